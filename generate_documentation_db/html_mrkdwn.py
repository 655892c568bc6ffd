"""HTML fragments to Slack mrkdwn (for replies) and to plain text (for search). Pure.

Slack's mrkdwn is not Markdown: bold is ``*x*``, italic ``_x_``, links ``<url|text>``,
there are no headings or tables, and ``&``, ``<``, ``>`` must be escaped everywhere.
Tables become aligned text inside a fenced block, the only way they stay readable.
"""
import re
from collections.abc import Iterable

from generate_documentation_db.html_nodes import Element, Node, children, descendants, first, is_element, text_of
from generate_documentation_db.site_scope import resolve_href

BLOCK_TAGS = {"p", "div", "ul", "ol", "pre", "table", "blockquote", "section", "article", "details", "dl",
              "figure", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "header", "main", "li", "dd", "dt", "summary"}
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")
BULLET = "•"
INDENT = "    "


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(nodes: Iterable[Node], base_url: str = "") -> str:
    """Slack mrkdwn for a sequence of sibling nodes (a section's content)."""
    blocks = [_block(node, base_url) for node in nodes]
    return _BLANK_LINES.sub("\n\n", "\n\n".join(block for block in blocks if block.strip())).strip()


def to_text(nodes: Iterable[Node]) -> str:
    """Plain text for a sequence of nodes: block elements on their own lines, spaces collapsed."""
    parts = []
    for node in nodes:
        text = _SPACES.sub(" ", text_of(node, " ")).strip()
        if text:
            parts.append(text)
    return "\n".join(parts)


def _block(node, base_url):
    if not is_element(node):
        return _inline(node, base_url).strip()
    name = node.tag
    if name == "pre":
        return _fence(text_of(node))
    if name in ("ul", "ol"):
        return _list(node, base_url, depth=0)
    if name == "table":
        return _table(node)
    if name == "blockquote":
        inner = to_mrkdwn(children(node), base_url)
        return "\n".join(f"> {line}" if line else ">" for line in inner.splitlines())
    if name == "hr":
        return ""
    if name in ("details", "div", "section", "article", "figure", "dl", "main", "header"):
        return _container(node, base_url)
    if name in ("h1", "h2", "h3", "h4", "h5", "h6", "summary", "dt"):
        return f"*{_inline_children(node, base_url).strip()}*"
    return _inline_children(node, base_url).strip()


def _container(node, base_url):
    """A wrapper holding blocks and loose inline content; inline runs are kept together."""
    blocks, run = [], []
    for child in children(node):
        if is_element(child) and child.tag in BLOCK_TAGS:
            blocks.append("".join(run).strip())
            run = []
            blocks.append(_block(child, base_url))
        else:
            run.append(_inline(child, base_url))
    blocks.append("".join(run).strip())
    return "\n\n".join(block for block in blocks if block.strip())


def _inline_children(node, base_url):
    return "".join(_inline(child, base_url) for child in children(node))


def _inline(node, base_url):
    if not is_element(node):
        return escape(_SPACES.sub(" ", node))
    name = node.tag
    if name == "br":
        return "\n"
    if name == "code":
        return _code_span(text_of(node))
    if name == "img":
        return escape(node.get("alt", ""))
    if name in BLOCK_TAGS:
        return " " + _block(node, base_url) + " "
    inner = _inline_children(node, base_url)
    if name in ("strong", "b"):
        return _wrap(inner, "*")
    if name in ("em", "i"):
        return _wrap(inner, "_")
    if name in ("del", "s", "strike"):
        return _wrap(inner, "~")
    if name == "a":
        return _link(node, inner, base_url)
    return inner


def _wrap(inner, mark):
    """Mark the words, keeping surrounding spaces outside: Slack needs the mark next to a word."""
    stripped = inner.strip()
    if not stripped:
        return inner
    leading = inner[: len(inner) - len(inner.lstrip())]
    trailing = inner[len(inner.rstrip()):]
    return f"{leading}{mark}{stripped}{mark}{trailing}"


def _code_span(code):
    code = _SPACES.sub(" ", code).strip()
    return f"`{escape(code.replace('`', 'ˋ'))}`" if code else ""


def _link(node, inner, base_url):
    href = (node.get("href") or "").strip()
    text = inner.strip()
    if href.lower().startswith("mailto:"):
        url = href
    else:
        url = resolve_href(base_url, href) if base_url else href
    if not url or url.startswith("#"):
        return inner
    url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    if not text or text == escape(url):
        return f"<{url}>"
    return f"<{url}|{text.replace('|', '¦')}>"


def _fence(code):
    # Slack has no escape inside a fence except for the three reserved characters.
    return "```\n" + escape(code.strip("\n").replace("```", "ˋˋˋ")) + "\n```"


def _list(node, base_url, depth):
    lines = []
    ordered = node.tag == "ol"
    number = int(node.get("start", 1)) if str(node.get("start", "1")).isdigit() else 1
    for child in children(node):
        if not is_element(child):
            continue
        if child.tag == "li":
            marker = f"{number}." if ordered else BULLET
            number += 1
            lines.extend(_list_item(child, marker, base_url, depth))
        elif child.tag in ("ul", "ol"):  # a list written straight inside a list: its previous item's
            lines.append(_list(child, base_url, depth + 1))
    return "\n".join(line for line in lines if line)


def _list_item(item, marker, base_url, depth):
    prefix = INDENT * depth
    text_parts, nested = [], []
    for child in _item_children(item):
        tag = child.tag if is_element(child) else None
        if tag in ("ul", "ol"):
            nested.append(_list(child, base_url, depth + 1))
        elif tag in ("pre", "table"):
            nested.append("\n".join(prefix + INDENT + line for line in _block(child, base_url).splitlines()))
        elif tag == "p":
            text_parts.append(" " + _inline_children(child, base_url) + " ")
        else:
            text_parts.append(_inline(child, base_url))
    text = _SPACES.sub(" ", "".join(text_parts)).strip()
    return [f"{prefix}{marker} {text}".rstrip(), *[block for block in nested if block]]


def _item_children(item):
    """A list item's children, with wrappers that hold a nested list (<div>, <section>) opened up, so
    the nesting survives whatever the generator wraps it in."""
    for child in children(item):
        if is_element(child) and child.tag in ("div", "section", "span") and first(child, "ul", "ol") is not None:
            yield from _item_children(child)
        else:
            yield child


def table_rows(table: Element) -> list[list[str]]:
    """The table as rows of cell texts (header row first when there is one)."""
    rows = []
    for row in descendants(table, "tr"):
        if next(row.iterancestors("table"), None) is not table:
            continue
        cells = [_SPACES.sub(" ", text_of(cell, " ")).strip() for cell in row if cell.tag in ("th", "td")]
        if any(cells):
            rows.append(cells)
    return rows


def _table(table):
    rows = table_rows(table)
    if not rows:
        return ""
    columns = max(len(row) for row in rows)
    rows = [row + [""] * (columns - len(row)) for row in rows]
    widths = [max(len(row[index]) for row in rows) for index in range(columns)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    if first(table, "th") is not None:
        lines.insert(1, "  ".join("-" * width for width in widths))
    return _fence("\n".join(lines))
