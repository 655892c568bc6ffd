"""Render the shared runbook corpus (markdown) as a static HTML docs site, for crawl tests
and benchmarks.  The corpus is read in place (`<checkout>/../shared/corpus`) and never
copied into the project; the rendered site lives in a temporary directory.

Each `<source>/<dir>/<Alert>.md` becomes `<source>/<dir>/<Alert>.html` (Python-Markdown,
Hugo front matter's title as the page <title>, `.md` links rewritten to `.html` as a site
generator would), with an index page per source, a root index and a sitemap.xml.

    python -m sandbox.corpus_site OUT_DIR
"""
import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import markdown

CORPUS_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
_FRONT_MATTER = re.compile(r"\A---\n(?P<body>.*?)\n---\n", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title:\s*(?P<title>.+)$", re.MULTILINE)
_MD_LINK = re.compile(r'href="(?!https?:)([^"#]*?)\.md(#[^"]*)?"')
PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Runbooks</title></head>
<body><header><nav><a href="{root}index.html">All runbooks</a></nav></header>
<main><article>
{body}
</article></main>
<footer>Rendered from {source}.</footer></body></html>
"""


@dataclass(frozen=True)
class CorpusEntry:
    source: str
    relative_path: str
    alert_name: str
    aliases: tuple
    kind: str

    @property
    def page_path(self):
        return f"{self.source}/{self.relative_path[:-3]}.html"


def manifest(corpus_dir=CORPUS_DIR):
    """[CorpusEntry] from manifest.tsv, or [] when the corpus is absent."""
    path = Path(corpus_dir) / "manifest.tsv"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    rows = [dict(zip(header, line.split("\t"))) for line in lines[1:] if line.strip()]
    return [CorpusEntry(row["source"], row["relative_path"], row["alert_name"],
                        tuple(alias for alias in row.get("aliases", "").split(";") if alias), row["kind"])
            for row in rows]


def render_page(markdown_text, source, depth):
    """The HTML page for one runbook's markdown."""
    front = _FRONT_MATTER.match(markdown_text)
    title_match = _FRONT_TITLE.search(front.group("body")) if front else None
    body_markdown = markdown_text[front.end():] if front else markdown_text
    heading = re.search(r"^#\s+(.+)$", body_markdown, re.MULTILINE)
    title = title_match.group("title").strip() if title_match else (heading.group(1) if heading else "Runbook")
    body = markdown.markdown(body_markdown, extensions=["tables", "fenced_code", "toc"])
    body = _MD_LINK.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', body)
    return PAGE.format(title=html.escape(title), root="../" * depth, body=body, source=source)


def render_site(out_dir, corpus_dir=CORPUS_DIR, base_url=None):
    """Write the whole site under `out_dir`; returns the [CorpusEntry] rendered."""
    out_dir, corpus_dir = Path(out_dir), Path(corpus_dir)
    entries = manifest(corpus_dir)
    for entry in entries:
        target = out_dir / entry.page_path
        target.parent.mkdir(parents=True, exist_ok=True)
        text = (corpus_dir / entry.source / entry.relative_path).read_text(encoding="utf-8")
        target.write_text(render_page(text, entry.source, entry.page_path.count("/")), encoding="utf-8")
    _write_indexes(out_dir, entries)
    if base_url:
        _write_sitemap(out_dir, entries, base_url)
    return entries


def _write_indexes(out_dir, entries):
    sources = sorted({entry.source for entry in entries})
    for source in sources:
        items = "".join(f'<li><a href="{e.page_path[len(source) + 1:]}">{html.escape(e.alert_name)}</a></li>'
                        for e in entries if e.source == source)
        (out_dir / source / "index.html").write_text(
            f"<html><head><title>{source}</title></head><body><main><h1>{source} runbooks</h1>"
            f"<ul>{items}</ul></main></body></html>", encoding="utf-8")
    links = "".join(f'<li><a href="{source}/index.html">{source}</a></li>' for source in sources)
    links += '<li><a href="sitemap.xml">Sitemap</a></li>'  # a table of contents, as on a real site
    (out_dir / "index.html").write_text(
        f"<html><head><title>Runbooks</title></head><body><main><h1>Runbooks</h1><ul>{links}</ul></main>"
        "</body></html>", encoding="utf-8")


def _write_sitemap(out_dir, entries, base_url):
    urls = "".join(f"<url><loc>{base_url.rstrip('/')}/{entry.page_path}</loc></url>" for entry in entries)
    (out_dir / "sitemap.xml").write_text(
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
        encoding="utf-8")


if __name__ == "__main__":
    rendered = render_site(sys.argv[1])
    print(f"Rendered {len(rendered)} runbooks into {sys.argv[1]}.")
