"""Reading an lxml tree as a reader sees it: an element's content as a run of texts and elements. Pure.

lxml keeps the text inside an element before its first child in ``.text`` and the text after a
child in the child's ``.tail``.  The page parser and the mrkdwn writer read a section as the
nodes in document order, text and elements alike, so here a node is either a ``str`` or an
element.  Comments and processing instructions are left out; the text after them is kept.
"""
from collections.abc import Iterator

from lxml import html as lxml_html

Element = lxml_html.HtmlElement
Node = str | Element


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
    """Take `element` out of its tree; the text after it stays where it was."""
    if element.getparent() is not None:
        element.drop_tree()


def empty_element() -> Element:
    return lxml_html.fragment_fromstring("<div></div>")
