"""What a runbook's text says about it: its alert name and keys, deprecation, pointers. Pure.

Kept apart from the HTML walking so the rules read in one place:
- keys: the normalised title, the URL slug / file name, and aliases the page states
  ("Also fires as: `MCDDrainError`");
- kind: 'deprecated' (title or first words say so), 'pointer' (a short page whose point
  is a link elsewhere: "moved to", "see"), 'stub' (TODO where the steps should be),
  else 'runbook'.
"""
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from posixpath import basename, dirname, splitext
from urllib.parse import unquote, urlsplit

from generate_documentation_db.alert_keys import canonical_key, looks_like_alert_name
from generate_documentation_db.runbook_model import AlertKey, Section

_DEPRECATED_MARK = re.compile(r"\s*[\[(]\s*deprecated\s*[\])]\s*|^\s*deprecated\s*[:\-–]\s*", re.IGNORECASE)
_DEPRECATED_TEXT = re.compile(r"^\W*(this (alert|runbook|page) (is|has been) deprecated|deprecated\b)", re.IGNORECASE)
_TITLE_NOISE = re.compile(r"^\s*(runbook|alert)\s*[:\-–]\s*|\s*[:\-–]\s*runbook\s*$", re.IGNORECASE)
_ALIAS_LINE = re.compile(
    r"\b(?:aliases?|also (?:known|fires|fired|called|named) as|alert names?|other names?|formerly(?: called| named)?"
    r"|renamed from)\b\s*[:\-–]?\s*(?P<names>[^\n.]*)",
    re.IGNORECASE,
)
_NAME_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]*[A-Za-z0-9]")
_POINTER_TEXT = re.compile(r"\b(moved|see|refer to|documented (?:in|at|on)|lives (?:in|at)|go to"
                           r"|more (?:information|info|details) (?:in|at|on)|details (?:in|at))\b", re.IGNORECASE)
_MRKDWN_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>")
_TODO = re.compile(r"\bTODO\b|\bTBD\b|to be (?:written|added|done)", re.IGNORECASE)
_STEP_HEADING = re.compile(r"diagnos|mitigat|resolution|remediat|steps|troubleshoot", re.IGNORECASE)
STUB_MAX_WORDS = 8
POINTER_MAX_WORDS = 40
SUMMARY_CHARS = 300
# A one-word slug shorter than this is a generic page name ('overview'), not an alert name.
SLUG_MIN_WORD_CHARS = 12
_INDEX_NAMES = {"index", "default", "readme", "_index"}


@dataclass(frozen=True)
class RunbookFacts:
    title: str
    alert_name: str | None
    alert_keys: tuple[AlertKey, ...]
    kind: str
    points_to: str | None
    summary: str


def describe(title: str, sections: Sequence[Section], url: str, page_level: bool) -> RunbookFacts:
    """Facts about one runbook; `page_level` says the page is this runbook (its slug counts)."""
    clean_title = clean_title_text(title)
    slug = slug_name(url) if page_level else None
    slug = slug if slug_is_a_name(slug, clean_title) else None
    aliases = stated_aliases(sections)
    keys = alert_keys(clean_title, slug, aliases)
    body_words = sum(len(section.text.split()) for section in sections)
    return RunbookFacts(
        title=clean_title or title,
        alert_name=alert_name(clean_title, slug, aliases),
        alert_keys=keys,
        kind=kind_of(title, sections, body_words),
        points_to=pointer_target(sections, body_words),
        summary=summary(sections),
    )


def clean_title_text(title: str | None) -> str:
    """The title without '[Deprecated]' marks or 'Runbook:' labels."""
    return _TITLE_NOISE.sub("", _DEPRECATED_MARK.sub(" ", title or "")).strip()


def slug_name(url: str) -> str | None:
    """The name in a URL's last path segment: '/kubepodcrashlooping/' -> 'kubepodcrashlooping',
    '/etcd/etcdNoLeader.html' -> 'etcdNoLeader'; None for an index page at the root."""
    path = unquote(urlsplit(url).path)
    name, _ = splitext(basename(path.rstrip("/")) if path.endswith("/") else basename(path))
    if name.lower() in _INDEX_NAMES or not name:
        name, _ = splitext(basename(dirname(path.rstrip("/")) if not path.endswith("/") else ""))
    return name if canonical_key(name) else None


def slug_is_a_name(slug: str | None, title: str) -> bool:
    """Whether a slug names the alert ('kubepodcrashlooping', 'disk-full', 'etcdNoLeader')
    rather than a part of a multi-page runbook ('diagnosis', 'overview')."""
    return bool(slug) and (looks_like_alert_name(slug) or canonical_key(slug) == canonical_key(title)
                           or re.search(r"[-_.]", slug) is not None or len(slug) >= SLUG_MIN_WORD_CHARS)


def stated_aliases(sections: Iterable[Section]) -> list[str]:
    """Alert names the page states as other names of this alert."""
    names = []
    for section in sections:
        for line in _ALIAS_LINE.finditer(section.text):
            names.extend(token for token in _NAME_TOKEN.findall(line.group("names")) if looks_like_alert_name(token))
    return list(dict.fromkeys(names))


def alert_keys(title: str, slug: str | None, aliases: Iterable[str]) -> tuple[AlertKey, ...]:
    """AlertKey per distinct canonical key, strongest source first (title, slug, alias)."""
    keys, seen = [], set()
    for name, source in [(title, "title"), (slug, "slug"), *[(alias, "alias") for alias in aliases]]:
        key = canonical_key(name)
        if key and key not in seen:
            seen.add(key)
            keys.append(AlertKey(key, name, source))
    return tuple(keys)


def alert_name(title: str, slug: str | None, aliases: Sequence[str]) -> str | None:
    """The alert's identifier as the page spells it: an identifier-like title, else the slug
    spelled like the title when they are the same name, else the slug, an alias, the title."""
    if title and (looks_like_alert_name(title) or " " not in title):
        return title
    if slug and canonical_key(slug) == canonical_key(title):
        return "".join(word[:1].upper() + word[1:] for word in title.split())
    if slug and looks_like_alert_name(slug):
        return slug
    return aliases[0] if aliases else title or slug


def kind_of(title: str, sections: Sequence[Section], body_words: int) -> str:
    first_text = next((section.text for section in sections if section.text), "")
    if _DEPRECATED_MARK.search(title or "") or _DEPRECATED_TEXT.search(first_text):
        return "deprecated"
    if pointer_target(sections, body_words):
        return "pointer"
    steps = [s.text for s in sections if _STEP_HEADING.search(s.title)]
    if steps and all(_TODO.search(text) and len(text.split()) < STUB_MAX_WORDS for text in steps):
        return "stub"
    return "runbook"


def pointer_target(sections: Sequence[Section], body_words: int) -> str | None:
    """The link a short 'moved to / see X' page points at, else None."""
    if body_words > POINTER_MAX_WORDS or any("`" in section.mrkdwn for section in sections):
        return None  # commands to run make it a (short) runbook, whatever else it links to
    if sum(1 for section in sections if section.text) > 1:
        return None  # Meaning / Impact / ... with content: a runbook that also links elsewhere
    for section in sections:
        if _POINTER_TEXT.search(section.text):
            found = _MRKDWN_LINK.search(section.mrkdwn)
            if found:
                return found.group(1)
    return None


def summary(sections: Sequence[Section]) -> str:
    """The first paragraph of substance (the intro, else the Meaning section), shortened."""
    preferred = [s for s in sections if re.match(r"meaning|description|summary|overview", s.title, re.I)]
    for section in [*sections[:1], *preferred, *sections]:
        text = section.text.split("\n")[0].strip()
        if len(text.split()) >= 3:
            return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return ""
