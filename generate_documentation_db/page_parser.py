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

import lxml.html
from bs4 import BeautifulSoup, Tag
from lxml import etree

from generate_documentation_db import html_mrkdwn, page_kinds, runbook_facts
from generate_documentation_db.alert_keys import looks_like_alert_name
from generate_documentation_db.runbook_model import ParsedPage, Runbook, Section
from generate_documentation_db.site_scope import page_links

# Bump when a change to parsing changes what is stored: every page is then re-parsed once.
PARSER_VERSION = 3
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# Page chrome; a <header> inside the content (an article's title block) is kept.
CHROME_REGIONS = ("nav", "aside", "script", "style", "noscript", "template", "iframe", "svg")
CHROME = (*CHROME_REGIONS, "footer", "form", "button", "select", "input", "textarea")
# Themes that draw their menus without <nav> (MkDocs' default theme: a navbar whose dropdowns list
# every page); matched as whole class names only.
REGION_CLASSES = frozenset({"navbar", "sidebar", "site-nav", "site-navigation", "dropdown-menu", "md-sidebar"})
CHROME_ROLES = ("navigation", "banner", "contentinfo", "search", "complementary", "button")
# The document itself, most specific first: the docs generators' content containers (Docusaurus, MkDocs
# Material, schema.org markup, Sphinx), then the page's one <article>, then wider regions.
DOCUMENT_SELECTORS = (".theme-doc-markdown", ".md-content__inner", "[itemprop=articleBody]", "div.body[role=main]")
MAIN_SELECTORS = ("[role=main]", "main", "#content", ".content", "#main", ".main-content", "body")
# What a page says around its document rather than in it: breadcrumbs, "edit this page", feedback widgets.
_CHROME_CLASS = re.compile(r"breadcrumb|edit-?(this|page|link)|page-?feedback|feedback-?widget"
                           r"|theme-edit-this-page|md-source-file|headerlink|hash-link|skip-?link|sr-only|visually-hidden",
                           re.IGNORECASE)
_CHROME_LINK = re.compile(r"^\s*(edit (this|on|the) |view (page )?source|suggest an edit|improve this page|"
                          r"report an issue|was this (page )?helpful)", re.IGNORECASE)
# A block whose text, without its buttons, is at most this long is a widget ("Was this page helpful?").
WIDGET_TEXT_CHARS = 80
_TITLE_SUFFIX = re.compile(r"\s+[|·–—-]\s+[^|·–—-]+$")
_SPACES = re.compile(r"\s+")
_KEPT_HREF = "data-oncall-helper-href"
# Docusaurus's heading links hold a zero-width space; it must not become part of the heading.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def parse_page(html: bytes | str, url: str) -> ParsedPage:
    """A ParsedPage: its title, runbooks, in-scope-or-not links and content hash."""
    document, links, marked_navigation = _without_regions(html, url)
    soup = BeautifulSoup(document, "lxml")
    _restore_hrefs(soup)
    drop_chrome(soup)
    main = main_content(soup)
    title = page_title(soup, main)
    kind = page_kinds.page_kind(main, title, marked_navigation)
    runbooks = tuple(page_runbooks(main, title, url)) if kind == page_kinds.RUNBOOKS else ()
    if runbooks:
        kind = page_kinds.content_kind(main, runbooks)
        runbooks = runbooks if kind == page_kinds.RUNBOOKS else ()
    return ParsedPage(url, title, content_sha256(title, runbooks, kind), runbooks, tuple(links), kind)


def _without_regions(html, url):
    """(the page without its chrome regions, its links, whether the generator marks it as not
    content), read with lxml itself: a docs theme's sidebar lists every page of the site, and
    building BeautifulSoup's tree of it was most of the time a page took."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):  # an empty or unparseable body: BeautifulSoup copes
        return html, [], False
    base = root.find(".//base[@href]")
    links = page_links((anchor.get("href") for anchor in root.iter("a") if anchor.get("href") is not None), url,
                       base.get("href") if base is not None else None)
    marked_navigation = page_kinds.generator_marks_navigation(
        meta.get("content") or "" for meta in root.iter("meta") if (meta.get("name") or "").lower() == "robots")
    regions = [element for element in root.iter(*CHROME_REGIONS)]
    regions += [element for element in root.iter() if element.tag != "html" and (
        element.get("role") in CHROME_ROLES or not REGION_CLASSES.isdisjoint((element.get("class") or "").split()))]
    for element in regions:
        if element.getparent() is not None:
            element.drop_tree()
    # libxml2 percent-escapes href values when it writes HTML; a generator's unresolved shortcode
    # link ({{< ref "x.md" >}}) must reach the parser as written, so hrefs travel under another name.
    for anchor in root.iter("a"):
        if anchor.get("href") is not None:
            anchor.set(_KEPT_HREF, anchor.attrib.pop("href"))
    return lxml.html.tostring(root, encoding="unicode"), links, marked_navigation


def _restore_hrefs(soup):
    for anchor in soup.find_all("a", attrs={_KEPT_HREF: True}):
        anchor["href"] = anchor.attrs.pop(_KEPT_HREF)


def drop_chrome(soup: BeautifulSoup) -> None:
    """Remove navigation, page header/footer, asides, scripts and styles, widgets (a question with
    buttons, a form), breadcrumbs and "edit this page" links, in place."""
    # The page's regions go first (parse_page has dropped them already; a caller with its own soup
    # has not): a docs theme's sidebar holds hundreds of toggles, and each widget below is weighed
    # against the text around it.
    for tag in soup.find_all(CHROME_REGIONS):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": CHROME_ROLES}):
        tag.decompose()
    for widget in soup.find_all(("button", "form", "select", "input")):
        if widget.decomposed:
            continue
        holder = widget.find_parent(("div", "section", "p", "span"))
        if holder is not None and holder.name not in ("main", "article", "body") \
                and _text_chars_without(holder, (widget.name, "button", "option")) <= WIDGET_TEXT_CHARS:
            holder.decompose()
    for tag in soup.find_all(CHROME):
        tag.decompose()
    for tag in soup.find_all(attrs={"aria-label": re.compile("breadcrumb", re.IGNORECASE)}):
        tag.decompose()
    for tag in soup.find_all(class_=_CHROME_CLASS):
        if not tag.decomposed and tag.name not in ("main", "article", "body", "html"):
            tag.decompose()
    for anchor in soup.find_all("a"):
        if not anchor.decomposed and _CHROME_LINK.match(anchor.get_text(" ")):
            holder = anchor.parent
            anchor.decompose()
            if holder is not None and holder.name in ("p", "div", "span", "li") and not holder.get_text(strip=True):
                holder.decompose()
    for header in soup.find_all("header"):
        if not header.find_parent(("main", "article", "section")):
            header.decompose()


def _text_chars_without(holder, widget_names):
    """Characters of text in `holder`, spaces not counted, outside its widgets.  Subtracting the
    widgets' text keeps this linear: a navigation sidebar holds hundreds of toggles."""
    widgets = holder.find_all(widget_names)
    inner = {id(widget) for widget in widgets}
    outermost = [widget for widget in widgets
                 if not any(id(parent) in inner for parent in widget.parents if parent is not holder)] \
        if len(widgets) < 50 else [widget for widget in widgets if widget.parent.name not in widget_names]
    return _text_chars(holder) - sum(_text_chars(widget) for widget in outermost)


def _text_chars(tag):
    return len(_SPACES.sub("", tag.get_text()))


def main_content(soup: BeautifulSoup) -> Tag:
    """The element holding the document: a generator's content container, else the page's one
    <article> (a feedback widget or a related-pages list beside it is not the runbook), else <main>,
    #content... else <body>."""
    for selector in DOCUMENT_SELECTORS:
        found = soup.select_one(selector)
        if found is not None and found.get_text(strip=True):
            return found
    articles = [article for article in soup.find_all("article") if not article.find_parent("article")]
    if len(articles) == 1 and articles[0].get_text(strip=True) and articles[0].find(HEADINGS):
        return articles[0]
    for selector in MAIN_SELECTORS:
        found = soup.select_one(selector)
        if found is not None and found.get_text(strip=True):
            return found
    return soup


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


def page_title(soup: BeautifulSoup, main: Tag) -> str:
    """The first <h1> of the content, else <title> without its ' | Site name' suffix."""
    heading = main.find("h1")
    if heading and clean(heading.get_text()):
        return clean(heading.get_text())
    if soup.title and clean(soup.title.get_text()):
        return _TITLE_SUFFIX.sub("", clean(soup.title.get_text()))
    return ""


def page_runbooks(main: Tag, title: str, url: str) -> list[Runbook]:
    """The runbooks on a page, in one of the three shapes the module docstring names."""
    blocks = main.select("section.main-section")
    if blocks:
        return [_block_runbook(block, title, url) for block in blocks if _block_title(block)]
    sections = split_sections(main, title, url)
    if not sections:
        return []
    per_alert = _alert_headings(sections)
    if per_alert:
        return [_runbook(group, group[0].title, url, page_level=False) for group in per_alert]
    return [_runbook(sections, title or sections[0].title, url, page_level=True)]


def split_sections(container: Tag, page_title_text: str, base_url: str) -> list[Section]:
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
    for child in node.children:
        if isinstance(child, Tag) and child.name in HEADINGS:
            chunks.append([child, []])
        elif isinstance(child, Tag) and child.find(HEADINGS) and child.name not in ("table", "ul", "ol"):
            _collect(child, chunks)
        else:
            if not chunks:
                chunks.append([None, []])
            chunks[-1][1].append(child)


def _section(heading, nodes, page_title_text, base_url, path):
    level = int(heading.name[1]) if heading is not None else 1
    title = clean(heading.get_text()) if heading is not None else page_title_text
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


def anchor_of(heading: Tag | None) -> str | None:
    """The id a link can jump to: the heading's, an inner anchor's, or its section's."""
    if heading is None:
        return None
    if heading.get("id"):
        return heading["id"]
    inner = heading.find(lambda tag: tag.get("id") or (tag.name == "a" and tag.get("name")))
    if inner is not None:
        return inner.get("id") or inner.get("name")
    parent = heading.parent
    if parent is not None and parent.name in ("section", "article", "div") and parent.get("id"):
        return parent["id"]
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


def _block_title(block):
    header = block.find("header") or block.find(HEADINGS)
    return clean(header.get_text()) if header else ""


def _block_runbook(block, page_title_text, url):
    header = block.find("header") or block.find(HEADINGS)
    title = _block_title(block)
    header.extract()
    anchor = block.get("id") or anchor_of(header.find(HEADINGS) if header.name == "header" else header)
    body = split_sections(block, title, url)
    intro = [s for s in body if s.title == title and s.level == 1][:1]
    first = Section(title, anchor, 1, (page_title_text, title) if page_title_text else (title,),
                    intro[0].text if intro else "", intro[0].mrkdwn if intro else "")
    rest = tuple(Section(s.title, s.anchor, s.level + 1, (page_title_text, *s.heading_path), s.text, s.mrkdwn)
                 for s in body if s not in intro)
    return _runbook([first, *rest], title, url, page_level=False, anchor=anchor)


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
