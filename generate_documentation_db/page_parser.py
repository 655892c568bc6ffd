"""Parse a fetched docs page into runbooks and sections. Pure: HTML and URL in, values out.

Three page shapes are recognised:
- one runbook per page (title = alert name; Meaning / Impact / Diagnosis / Mitigation
  below it) -> one runbook with all its sections;
- the original prototype's many-alerts page (repeated ``<section class="main-section">``,
  each a ``<header>`` with the alert title and ``<p>`` steps) -> one runbook per block;
- a page whose title is a topic and whose ``<h2>`` headings are alert names
  (``KubePodNotReady``, ``disk_full``) -> one runbook per ``<h2>``.
"""
import hashlib
import re
from collections.abc import Iterable

from generate_documentation_db import html_mrkdwn, page_kinds, runbook_facts
from generate_documentation_db.alert_keys import looks_like_alert_name
from generate_documentation_db.html_nodes import (
    Element,
    children,
    empty_element,
    first,
    has_class,
    is_element,
    remove_keeping_tail,
    text_of,
)
from generate_documentation_db.page_document import HEADINGS, document_of
from generate_documentation_db.runbook_model import ParsedPage, Runbook, Section

# Bump when a change to parsing changes what is stored: every page is then re-parsed once.
PARSER_VERSION = 3
_TITLE_SUFFIX = re.compile(r"\s+[|·–—-]\s+[^|·–—-]+$")
_SPACES = re.compile(r"\s+")
# Docusaurus's heading links hold a zero-width space; it must not become part of the heading.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def parse_page(html: bytes | str, url: str) -> ParsedPage:
    """A ParsedPage: its title, runbooks, in-scope-or-not links and content hash."""
    document = document_of(html, url)
    if document is None:  # nothing lxml can read: an empty page
        main, head_title, links, marked_navigation = empty_element(), "", [], False
    else:
        main, head_title, links, marked_navigation = (document.main, document.head_title, document.links,
                                                      document.marked_navigation)
    title = page_title(main, head_title)
    kind = page_kinds.page_kind(main, title, marked_navigation)
    runbooks = tuple(page_runbooks(main, title, url)) if kind == page_kinds.RUNBOOKS else ()
    if runbooks:
        kind = page_kinds.content_kind(main, runbooks)
        runbooks = runbooks if kind == page_kinds.RUNBOOKS else ()
    return ParsedPage(url, title, content_sha256(title, runbooks, kind), runbooks, tuple(links), kind)


def html_problem(body: bytes) -> str | None:
    """Why a 200 response cannot be trusted as a page ('garbage', 'truncated'), else None.

    A cut-off page would otherwise replace good runbooks with half of them.
    """
    head = body[:200_000]
    text = head.decode("utf-8", errors="replace")
    if b"\x00" in head or text.count("\ufffd") > len(text) // 50 or "<" not in text:
        return "garbage"
    lowered = body[-4096:].decode("utf-8", errors="replace").lower()
    opened = re.search(r"<(html|body)[\s>]", text[:8192], re.IGNORECASE)
    if opened and "</html>" not in lowered and "</body>" not in lowered:
        return "truncated"
    return None


def page_title(main: Element, head_title: str) -> str:
    """The first <h1> of the content, else the page's <title> without its ' | Site name' suffix."""
    heading = first(main, "h1")
    if heading is not None and clean(text_of(heading)):
        return clean(text_of(heading))
    return _TITLE_SUFFIX.sub("", clean(head_title))


def page_runbooks(main: Element, title: str, url: str) -> list[Runbook]:
    """The runbooks on a page, in one of the three shapes the module docstring names."""
    blocks = [section for section in main.iterdescendants("section") if has_class(section, "main-section")]
    if blocks:
        return [_block_runbook(block, title, url) for block in blocks if _block_title(block)]
    sections = split_sections(main, title, url)
    if not sections:
        return []
    per_alert = _alert_headings(sections)
    if per_alert:
        return [_runbook(group, group[0].title, url, page_level=False) for group in per_alert]
    return [_runbook(sections, title or sections[0].title, url, page_level=True)]


def split_sections(container: Element, page_title_text: str, base_url: str) -> list[Section]:
    """Sections at every heading: title, anchor, heading path, plain text, mrkdwn."""
    chunks = []  # [heading tag or None, [content nodes]]
    _collect(container, chunks)
    sections, path = [], []
    for heading, nodes in chunks:
        if heading is None and not html_mrkdwn.to_text(nodes):
            continue  # whitespace before the first heading
        section = _section(heading, nodes, page_title_text, base_url, path)
        if section is not None:
            sections.append(section)
    return sections


def _collect(node, chunks):
    """Walk in document order, starting a chunk at each heading, descending only into wrappers
    that contain a heading, so every other element stays whole."""
    for child in children(node):
        if is_element(child) and child.tag in HEADINGS:
            chunks.append([child, []])
        elif is_element(child) and child.tag not in ("table", "ul", "ol") and first(child, *HEADINGS) is not None:
            _collect(child, chunks)
        else:
            if not chunks:
                chunks.append([None, []])
            chunks[-1][1].append(child)


def _section(heading, nodes, page_title_text, base_url, path):
    level = int(heading.tag[1]) if heading is not None else 1
    title = clean(text_of(heading)) if heading is not None else page_title_text
    text = html_mrkdwn.to_text(nodes)
    if not title and not text:
        return None
    while path and path[-1][0] >= level:
        path.pop()
    path.append((level, title))
    heading_path = tuple(name for _, name in path)
    if heading_path[0] != page_title_text and page_title_text:
        heading_path = (page_title_text, *heading_path)
    mrkdwn = html_mrkdwn.to_mrkdwn(nodes, base_url)
    return Section(title, anchor_of(heading), level, heading_path, text, mrkdwn)


def anchor_of(heading: Element | None) -> str | None:
    """The id a link can jump to: the heading's, an inner anchor's, or its section's."""
    if heading is None:
        return None
    if heading.get("id"):
        return heading.get("id")
    inner = next((tag for tag in heading.iterdescendants() if isinstance(tag.tag, str) and (
        tag.get("id") or (tag.tag == "a" and tag.get("name")))), None)
    if inner is not None:
        return inner.get("id") or inner.get("name")
    parent = heading.getparent()
    if parent is not None and parent.tag in ("section", "article", "div") and parent.get("id"):
        return parent.get("id")
    return None


def _alert_headings(sections):
    """Group sections per <h2> when the page is a topic whose h2s are all alert names."""
    if looks_like_alert_name(sections[0].title) or len(sections) < 2:
        return []
    h2s = [section for section in sections if section.level == 2]
    if len(h2s) < 2 or not all(looks_like_alert_name(section.title) for section in h2s):
        return []
    groups = []
    for section in sections:
        if section.level == 2:
            groups.append([])
        if groups:
            groups[-1].append(section)
    return groups


def _block_header(block):
    header = first(block, "header")
    return header if header is not None else first(block, *HEADINGS)


def _block_title(block):
    header = _block_header(block)
    return clean(text_of(header)) if header is not None else ""


def _block_runbook(block, page_title_text, url):
    header = _block_header(block)
    title = _block_title(block)
    remove_keeping_tail(header)
    anchor = block.get("id") or anchor_of(first(header, *HEADINGS) if header.tag == "header" else header)
    body = split_sections(block, title, url)
    intro = [s for s in body if s.title == title and s.level == 1][:1]
    opening = Section(title, anchor, 1, (page_title_text, title) if page_title_text else (title,),
                      intro[0].text if intro else "", intro[0].mrkdwn if intro else "")
    rest = tuple(Section(s.title, s.anchor, s.level + 1, (page_title_text, *s.heading_path), s.text, s.mrkdwn)
                 for s in body if s not in intro)
    return _runbook([opening, *rest], title, url, page_level=False, anchor=anchor)


def _runbook(sections, title, url, page_level, anchor=None):
    facts = runbook_facts.describe(title, sections, url, page_level)
    return Runbook(
        title=facts.title,
        alert_name=facts.alert_name,
        anchor=anchor if anchor is not None else (None if page_level else sections[0].anchor),
        alert_keys=facts.alert_keys,
        sections=tuple(sections),
        kind=facts.kind,
        points_to=facts.points_to,
        summary=facts.summary,
    )


def content_sha256(title: str, runbooks: Iterable[Runbook], kind: str = page_kinds.RUNBOOKS) -> str:
    """SHA-256 of what is stored from the page: a changed footer or timestamp is not a change."""
    digest = hashlib.sha256(title.encode() if kind == page_kinds.RUNBOOKS else f"{kind}\n{title}".encode())
    for runbook in runbooks:
        digest.update(repr(runbook).encode())
    return digest.hexdigest()


def clean(text: str | None) -> str:
    """Whitespace collapsed, ends trimmed; the heading permalinks some generators add dropped."""
    return _SPACES.sub(" ", _ZERO_WIDTH.sub("", text or "")).strip().rstrip("¶#🔗").strip()
