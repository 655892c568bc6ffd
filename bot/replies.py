"""The thread reply: Block Kit built from a Match and its runbook (pure functions).

Alert titles are untrusted (anyone who can create an incident writes them) and so is
the docs site, so text is escaped for mrkdwn: `<!channel>`, `<@U123>` and
`<https://evil|click>` arrive as visible characters, never as a ping or a link.  Only
links the runbook itself carries (`<https://…|text>`) survive, and only http(s).
"""
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only: building a reply needs neither the matcher nor the runbook store
    from generate_documentation_db.runbook_store import StoredRunbook, StoredSection
    from matching.matcher import Match

# Slack's limits: a section's text 3000 characters, a header 150, a message 50 blocks.
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
DEFAULT_STEPS_BUDGET = 3500
_STEP_HEADINGS = re.compile(r"diagnos|mitigat|resolution|remedia|steps|fix|troubleshoot|procedure|what to do|action",
                            re.IGNORECASE)
_ANGLE_TOKEN = re.compile(r"<([^<>]*)>")
_SAFE_LINK = re.compile(r"^(?:https?://|mailto:)[^\s|<>]+(?:\|[^<>]*)?$")
_BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")


def escape(text: str | None) -> str:
    """Untrusted text as literal mrkdwn: no mention, no link, no channel-wide ping."""
    text = str(text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # Slack links bare URLs and names "@channel" by itself; a zero-width joiner defeats both.
    text = re.sub(r"(?i)\b(https?|ftp|mailto):", "\\1\u200b:", text)
    return re.sub(r"@(?=(?:channel|here|everyone)\b)", "@\u200b", text, flags=re.IGNORECASE)


def safe_mrkdwn(text: str | None) -> str:
    """Runbook mrkdwn with its http(s) links kept and any other <…> (mentions, pings) made literal."""
    def keep_links(match):
        inner = match.group(1)
        return f"<{inner}>" if _SAFE_LINK.match(inner) else f"&lt;{inner}&gt;"
    text = _BARE_AMPERSAND.sub("&amp;", str(text or ""))
    text = _ANGLE_TOKEN.sub(keep_links, text.replace("<<", "&lt;<"))
    return re.sub(r"<(?![^<>]*>)", "&lt;", text).replace("@channel", "@\u200bchannel").replace("@here", "@\u200bhere")


def link(url: str | None, label: str) -> str:
    """A mrkdwn link to a runbook URL (only http(s); anything else is shown as text)."""
    if not re.match(r"^https?://[^\s|<>]+$", url or ""):
        return escape(label)
    # Inside a link's label Slack links nothing further, so &, < and > are all that need escaping.
    label = str(label).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "¦")
    return f"<{url}|{label}>"


def step_sections(sections: Sequence["StoredSection"]) -> list["StoredSection"]:
    """The sections an on-call engineer acts on (Diagnosis, Mitigation, …), else all of them."""
    acting = [s for s in sections if any(_STEP_HEADINGS.search(h) for h in (s.title, *s.heading_path))]
    return acting or list(sections)


def steps_mrkdwn(runbook: "StoredRunbook") -> str:
    chosen = step_sections(runbook.sections) if runbook.sections else []
    parts = []
    for section in chosen:
        heading = f"*{section.title}*" if section.level > 1 else ""
        parts.append("\n".join(p for p in (heading, safe_mrkdwn(section.mrkdwn).strip()) if p))
    text = "\n\n".join(p for p in parts if p) or safe_mrkdwn(runbook.mrkdwn)
    return text.strip()


def cut_mrkdwn(text: str, budget: int, limit: int = SECTION_LIMIT) -> tuple[list[str], bool]:
    """(chunks, was_cut): `text` cut at line boundaries into chunks of at most `limit` characters,
    at most `budget` in all, with code fences closed at each cut and reopened after it."""
    chunks, current, used, fence_open, was_cut = [], [], 0, False, False
    for line in text.splitlines():
        line = line[: limit - 8]
        size = len(line) + 1
        if used + size + 4 > budget:
            was_cut = True
            break
        if sum(len(x) + 1 for x in current) + size + 4 > limit:
            chunks.append(_closed("\n".join(current), fence_open))
            current = ["```"] if fence_open else []
        current.append(line)
        used += size
        if line.strip().startswith("```"):
            fence_open = not fence_open
    if current:
        chunks.append(_closed("\n".join(current), fence_open))
    return [chunk for chunk in chunks if chunk.strip() and chunk.strip() != "```"], was_cut


def _closed(text, fence_open):
    return text + "\n```" if fence_open else text


_REASON_WORDS = {"exact name": "exact name", "name in the message": "named in the message", "runbook link": "the alert's runbook link",
                 "rule runbook_url": "from the rule's runbook_url", "rule template": "from the rule's summary template"}


def match_reason(match: "Match") -> str:
    if match.reason == "taught":
        when = f" on {match.taught_at.day} {match.taught_at:%b}" if match.taught_at else ""
        return f"taught by @{escape(match.taught_by)}{when}"
    words = _REASON_WORDS.get(match.reason)
    if words is None:
        return f"text match {match.confidence:.2f}"
    return words if match.on_docs_site else f"{words} (not on the docs site)"


def runbook_reply(match: "Match", runbook: "StoredRunbook | None", budget: int = DEFAULT_STEPS_BUDGET,
                  extra: Sequence[dict] = ()) -> tuple[str, list[dict]]:
    """(fallback_text, blocks) for a runbook found for an alert; `extra` blocks (what happened the last
    times, the feedback buttons) go last."""
    title = (runbook.title if runbook else match.runbook_title) or match.matched or "Runbook"
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": _clip(title, HEADER_LIMIT), "emoji": False}}]
    chunks, was_cut = cut_mrkdwn(steps_mrkdwn(runbook), budget) if runbook else ([], True)
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in chunks]
    if was_cut and match.url:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"… {link(match.url, 'Full runbook')}"}})
    changed_at = runbook.page_changed_at if runbook else None
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _context_line(match, changed_at)}]})
    return f"Runbook: {escape(title)}", blocks + list(extra)


def _context_line(match, changed_at):
    label = re.sub(r"^https?://", "", match.url or "")
    parts = [f"Source: {link(match.url, label)}" if match.url else "Source: knowledge base"]
    if changed_at is not None:
        parts.append(f"changed {changed_at:%Y-%m-%d}")
    parts.append(f"matched: {match_reason(match)}")
    if match.alternatives:
        parts.append("also: " + _related_links(match))
    return _clip(" · ".join(parts), 1900)


def no_runbook_reply(match: "Match", extra: Sequence[dict] = ()) -> tuple[str, list[dict]]:
    """(fallback_text, blocks) when nothing matched and the team asked to be told so."""
    text = f"No runbook found for `{escape(match.normalised or match.title)[:200]}`."
    if match.reason == "taught no runbook":
        text = f"No runbook exists for `{escape(match.normalised or match.title)[:200]}`, as " \
               f"@{escape(match.taught_by)} said."
    if match.alternatives:
        text += "\nPossibly related: " + _related_links(match)
    return "No runbook found", [{"type": "section", "text": {"type": "mrkdwn", "text": text}}, *extra]


def question_reply(match: "Match | None", question: str, related: Sequence[tuple[str, str]],
                   extra: Sequence[dict] = ()) -> tuple[str, list[dict]]:
    """(fallback_text, blocks) answering `/runbook <words>` or a mention: the best runbook with its
    confidence, and the others worth a look; `extra` blocks (buttons) go last."""
    if not question:
        text = "Ask me with the alert's name or a few words: `/runbook <words>`, or mention me in an alert's thread."
        return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    asked = escape(question)[:200]
    if match is None:
        text = f"No runbook is a sure match for `{asked}`."
    else:
        text = f"For `{asked}`: {link(match.url, match.matched or match.runbook_title or 'runbook')} " \
               f"({match_reason(match)})."
    if related:
        text += "\nAlso worth a look: " + ", ".join(link(url, name) for name, url in related)
    fallback = f"Runbook: {escape(match.matched)}" if match else "No runbook found"
    return fallback, [{"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, SECTION_LIMIT)}}, *extra]


def _related_links(match):
    """The other runbooks worth a look, each a link when its URL is known."""
    urls = list(match.alternative_urls) + [None] * len(match.alternatives)
    return ", ".join(link(url, name) if url else escape(name) for name, url in zip(match.alternatives, urls))


def _clip(text, limit):
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_for_console(text: str, blocks: Iterable[dict] | None) -> str:
    """The reply as Slack would show it: headers bold, links as 'label (url)', escapes undone."""
    lines = []
    for block in blocks or []:
        if block["type"] == "header":
            lines.append(f"*{block['text']['text']}*")
        elif block["type"] == "section":
            lines.append(block["text"]["text"])
        elif block["type"] == "context":
            lines.append(" ".join(element["text"] for element in block["elements"]))
    shown = "\n".join(lines) or text
    shown = re.sub(r"<(https?://[^|>]+)\|([^>]*)>", r"\2 (\1)", shown)
    return shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("\u200b", "")


def reply_mrkdwn(blocks: Iterable[dict]) -> str:
    """All mrkdwn of a reply's blocks joined (buttons left out): what --json reports and tests inspect."""
    return "\n".join(text for text in map(_block_text, blocks) if text is not None)


def _block_text(block):
    if block["type"] == "context":
        return " ".join(element["text"] for element in block["elements"])
    return (block.get("text") or {}).get("text")
