"""A markdown runbook file from a git repository, read as the docs monitor reads a page. Pure.

The file is rendered with Python-Markdown (fenced code, tables, heading anchors spelled as
GitHub and GitLab spell them, so a section link from the reply opens the right heading on the
forge) and handed to the page parser, so a runbook kept in git has the same sections, alert
keys and kind as the same runbook published on a site.  Front matter (YAML ``---`` or Hugo's
TOML ``+++``) gives the title when the file has no ``# heading``, and the alert names it
lists (``aliases:``, ``alerts:``) become stated aliases.
"""
import html
import re
import unicodedata

import markdown

from generate_documentation_db.page_parser import parse_page
from generate_documentation_db.runbook_model import ParsedPage

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdx")
_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?(?P<fence>---|\+\+\+)[ \t]*\r?\n(?P<body>.*?)\r?\n(?P=fence)[ \t]*(?:\r?\n|\Z)",
                           re.DOTALL)
_FRONT_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*[:=]\s*(?P<value>.*)$")
_FRONT_ITEM = re.compile(r"^\s*-\s+(?P<value>.+)$")
_ALIAS_KEYS = ("aliases", "alias", "alerts", "alert", "alert_name", "alertname")
_FIRST_HEADING = re.compile(r"^\s{0,3}#\s+\S", re.MULTILINE)
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><article>
{heading}{aliases}{body}
</article></main></body></html>
"""


def is_markdown_path(path: str) -> bool:
    return path.lower().endswith(MARKDOWN_SUFFIXES)


def markdown_page(text: str, url: str) -> ParsedPage:
    """The ParsedPage of one markdown file whose people-facing address is `url`."""
    meta, body = front_matter(text)
    title = meta.get("title", [""])[0]
    aliases = [name for key in _ALIAS_KEYS for name in meta.get(key, [])]
    rendered = markdown.markdown(body, extensions=["fenced_code", "tables", "sane_lists", "toc"],
                                 extension_configs={"toc": {"slugify": forge_anchor, "permalink": False}})
    # A file whose title lives only in its front matter (Hugo, Docusaurus) gets it as its heading.
    heading = f"<h1>{html.escape(title)}</h1>\n" if title and not _FIRST_HEADING.search(body) else ""
    alias_line = f"<p>Also fires as: {html.escape(', '.join(aliases))}</p>\n" if aliases else ""
    return parse_page(PAGE.format(title=html.escape(title), heading=heading, aliases=alias_line, body=rendered),
                      url)


def front_matter(text: str) -> tuple[dict[str, list[str]], str]:
    """({key: [values]}, the markdown after it): the few keys a runbook's front matter has,
    read without a YAML library (scalars, inline ``[a, b]`` lists and ``- item`` lists)."""
    found = _FRONT_MATTER.match(text)
    if not found:
        return {}, text
    meta, key = {}, None
    for line in found.group("body").splitlines():
        item = _FRONT_ITEM.match(line)
        if item and key:
            meta.setdefault(key, []).append(_unquote(item.group("value")))
            continue
        pair = _FRONT_KEY.match(line)
        if not pair:
            continue
        key, value = pair.group("key").lower(), pair.group("value").strip()
        if value.startswith("[") and value.endswith("]"):
            meta[key] = [_unquote(part) for part in value[1:-1].split(",") if part.strip()]
        elif value:
            meta[key] = [_unquote(value)]
    return meta, text[found.end():]


def forge_anchor(heading: str, separator: str = "-") -> str:
    """The anchor GitHub and GitLab give a heading: lower case, punctuation dropped, spaces to '-'."""
    text = unicodedata.normalize("NFKC", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", separator)


def _unquote(value):
    value = value.strip()
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value
