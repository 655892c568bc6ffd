"""A docs page as an lxml tree, read as a reader sees it: an element's content as a run of texts and
elements. Pure.

lxml keeps the text inside an element before its first child in ``.text`` and the text after a
child in the child's ``.tail``.  The page parser and the mrkdwn writer read a section as the
nodes in document order, text and elements alike, so here a node is either a ``str`` or an
element.  Comments and processing instructions are left out; the text after them is kept.

Pages are parsed into lxml.etree's plain elements, not lxml.html's: lxml.html picks each
element's Python class in Python, which on a theme's page of thousands of elements cost more
than the parse (measured 1.0 ms a page of 2.7 on MkDocs Material's shape).
"""
import threading
from collections.abc import Iterator

from lxml import etree

Element = etree._Element
Node = str | Element
_parsers = threading.local()  # an lxml parser serves one thread at a time


def parse_html(html: bytes | str) -> Element | None:
    """The page's <html> element; None when there is nothing to read (an empty page)."""
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = etree.HTMLParser()
    return etree.fromstring(html, parser)


def children(element: Element) -> Iterator[Node]:
    """The element's content, in order: texts and child elements."""
    if element.text:
        yield element.text
    for child in element:
        if isinstance(child.tag, str):
            yield child
        if child.tail:
            yield child.tail


def is_element(node: Node) -> bool:
    return not isinstance(node, str)


def text_of(node: Node, separator: str = "") -> str:
    """All the text in a node, its descendants' joined with `separator` (comments left out)."""
    if isinstance(node, str):
        return node
    return separator.join(node.itertext())


def first(element: Element, *tags: str) -> Element | None:
    """The first descendant (not the element itself) with one of `tags`, or with any tag when none are given."""
    return next((found for found in element.iterdescendants(*tags) if isinstance(found.tag, str)), None)


def descendants(element: Element, *tags: str) -> list[Element]:
    """Every descendant with one of `tags`, in document order."""
    return [found for found in element.iterdescendants(*tags) if isinstance(found.tag, str)]


def has_class(element: Element, name: str) -> bool:
    return name in (element.get("class") or "").split()


def remove_keeping_tail(element: Element) -> None:
    """Take `element` and everything in it out of its tree; the text after it stays where it was."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + element.tail
        else:
            previous.tail = (previous.tail or "") + element.tail
    parent.remove(element)


def empty_element() -> Element:
    return etree.Element("div")
