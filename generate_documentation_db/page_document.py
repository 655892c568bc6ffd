"""The document inside a fetched page: its chrome cut away and its content container found. Pure.

Done with lxml's own tree, which is built and walked in C: a docs theme's page is mostly
navigation (a sidebar listing every page, toggles, icons).  What is left, the content container,
is the element the page parser reads.  The links and the generator's ``robots`` mark are read
first, from the whole page.
"""
import re
from dataclasses import dataclass

from lxml import etree

from generate_documentation_db.html_nodes import Element, parse_html, remove_keeping_tail, text_of
from generate_documentation_db.page_kinds import generator_marks_navigation
from generate_documentation_db.site_scope import page_links

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# Page regions that are never the document; a <header> inside the content (an article's title
# block) is kept.
CHROME_REGIONS = ("nav", "aside", "script", "style", "noscript", "template", "iframe", "svg")
CHROME = ("footer", "form", "button", "select", "input", "textarea")
CHROME_ROLES = ("navigation", "banner", "contentinfo", "search", "complementary", "button")
# Themes that draw their menus without <nav> (MkDocs' default theme: a navbar whose dropdowns list
# every page); matched as whole class names only.
REGION_CLASSES = frozenset({"navbar", "sidebar", "site-nav", "site-navigation", "dropdown-menu", "md-sidebar"})
# What a page says around its document rather than in it: breadcrumbs, "edit this page", feedback widgets.
_CHROME_CLASS = re.compile(r"breadcrumb|edit-?(this|page|link)|page-?feedback|feedback-?widget"
                           r"|theme-edit-this-page|md-source-file|headerlink|hash-link|skip-?link|sr-only"
                           r"|visually-hidden", re.IGNORECASE)
_CHROME_LINK = re.compile(r"^\s*(edit (this|on|the) |view (page )?source|suggest an edit|improve this page|"
                          r"report an issue|was this (page )?helpful)", re.IGNORECASE)
_BREADCRUMB = re.compile("breadcrumb", re.IGNORECASE)
# A block whose text, without its buttons, is at most this long is a widget ("Was this page helpful?").
WIDGET_TEXT_CHARS = 80
WIDGETS = ("button", "form", "select", "input")
_KEEP = ("main", "article", "body", "html")


def _class_is(*names):
    return " or ".join(f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')" for name in names)


# The document itself, most specific first: the docs generators' content containers (Docusaurus,
# MkDocs Material, schema.org markup, Sphinx); then, after the page's one <article>, wider regions.
DOCUMENT_XPATHS = (f"//*[{_class_is('theme-doc-markdown')}]", f"//*[{_class_is('md-content__inner')}]",
                   "//*[@itemprop='articleBody']", f"//div[{_class_is('body')} and @role='main']")
MAIN_XPATHS = ("//*[@role='main']", "//main", "//*[@id='content']", f"//*[{_class_is('content')}]",
               "//*[@id='main']", f"//*[{_class_is('main-content')}]", "//body")
# Every link target, as plain strings (an lxml "smart" string would keep its whole page alive in
# page_links' cache).
_HREFS = etree.XPath("//a/@href", smart_strings=False)
# What drop_chrome's third pass weighs: a chrome tag, or anything with a class or an aria-label.
_MAYBE_CHROME = etree.XPath("//*[" + " or ".join(f"self::{tag}" for tag in CHROME) + " or @class or @aria-label]")
_SPACES = re.compile(r"\s+")
# The tags a document's container keeps; any other (<body>, a <td>) is read as a <div>.
_CONTAINERS = ("div", "article", "main", "section")


@dataclass(frozen=True)
class Document:
    """A page's content container, the page's <title> text, its links, and whether the generator
    marks the page as not content."""

    main: Element
    head_title: str
    links: list[str]
    marked_navigation: bool


def document_of(html: bytes | str, url: str) -> Document | None:
    """The Document of a page, or None when lxml cannot read it at all (an empty body)."""
    try:
        root = parse_html(html)
    except (etree.ParserError, ValueError):
        return None
    if root is None:
        return None
    base = root.find(".//base[@href]")
    links = page_links(_HREFS(root), url, base.get("href") if base is not None else None)
    robots = [meta.get("content") or "" for meta in root.iter("meta") if (meta.get("name") or "").lower() == "robots"]
    title = root.find(".//title")
    head_title = text_of(title) if title is not None else ""
    drop_chrome(root)
    main = main_content(root)
    if main.tag not in _CONTAINERS:
        main.tag = "div"  # a <body id=…> or <td id=…> holding the document is its section (page_parser.anchor_of)
    return Document(main, head_title, links, generator_marks_navigation(robots))


def drop_chrome(root) -> None:
    """Remove navigation, page header/footer, asides, scripts and styles, widgets (a question with
    buttons, a form), breadcrumbs and "edit this page" links, in place."""
    # The regions go first: a sidebar holds hundreds of toggles, each weighed below against its text.
    # Region tags first, found in C: a sidebar's thousands of elements then never become Python objects.
    _drop(list(root.iter(*CHROME_REGIONS)))
    _drop([element for element in root.iter() if isinstance(element.tag, str) and element.tag != "html" and (
        element.get("role") in CHROME_ROLES or not REGION_CLASSES.isdisjoint((element.get("class") or "").split()))])
    for widget in list(root.iter(*WIDGETS)):
        if not _attached(widget, root):
            continue
        holder = next((parent for parent in widget.iterancestors() if parent.tag in ("div", "section", "p", "span")),
                      None)
        if holder is not None and holder.tag not in _KEEP \
                and _text_chars_without(holder, (widget.tag, "button", "option")) <= WIDGET_TEXT_CHARS:
            _drop([holder])
    _drop(element for element in _MAYBE_CHROME(root) if element.tag in CHROME
          or _BREADCRUMB.search(element.get("aria-label") or "")
          or (element.tag not in _KEEP and _CHROME_CLASS.search(element.get("class") or "")))
    for anchor in list(root.iter("a")):
        if _attached(anchor, root) and _CHROME_LINK.match(" ".join(anchor.itertext())):
            holder = anchor.getparent()
            _drop([anchor])
            if holder is not None and holder.tag in ("p", "div", "span", "li") and not text_of(holder).strip():
                _drop([holder])
    _drop(header for header in list(root.iter("header"))
          if not any(parent.tag in ("main", "article", "section") for parent in header.iterancestors()))


def main_content(root):
    """The element holding the document: a generator's content container, else the page's one
    <article> (a feedback widget or a related-pages list beside it is not the runbook), else <main>,
    #content... else <body>."""
    for xpath in DOCUMENT_XPATHS:
        found = _first_with_text(root, xpath)
        if found is not None:
            return found
    articles = [article for article in root.iter("article")
                if not any(parent.tag == "article" for parent in article.iterancestors())]
    if len(articles) == 1 and text_of(articles[0]).strip() and any(
            element.tag in HEADINGS for element in articles[0].iterdescendants()):
        return articles[0]
    for xpath in MAIN_XPATHS:
        found = _first_with_text(root, xpath)
        if found is not None:
            return found
    return root.find("body") if root.find("body") is not None else root


def _first_with_text(root, xpath):
    found = root.xpath(xpath)
    return found[0] if found and text_of(found[0]).strip() else None


def _attached(element, root):
    return element is root or any(parent is root for parent in element.iterancestors())


def _drop(elements):
    for element in list(elements):
        remove_keeping_tail(element)


def _text_chars_without(holder, widget_names):
    """Characters of text in `holder`, spaces not counted, outside its widgets."""
    widgets = [element for element in holder.iterdescendants() if element.tag in widget_names]
    inner = set(widgets)
    outermost = [widget for widget in widgets if not any(parent in inner for parent in widget.iterancestors())]
    return _text_chars(holder) - sum(_text_chars(widget) for widget in outermost)


def _text_chars(element):
    return len(_SPACES.sub("", text_of(element)))
