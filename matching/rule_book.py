"""What the team's alerting rules tell the matcher: their templates and their runbook links.

Built from the rules the docs monitor stores (`matching.knowledge_base.load_rule_book`) and
replaced whole when they change.  Pure lookups; no I/O.
"""
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from matching.names import key_starts_of
from matching.rule_templates import TemplateIndex, compile_template
from matching.titles import name_key

_PAGE_SUFFIXES = ("index.html", ".html", ".htm", ".md")


@dataclass(frozen=True)
class RuleFacts:
    """One stored rule as the matcher needs it."""

    alert_name: str
    summary: str = ""
    description: str = ""
    runbook_url: str = ""


class RuleBook:
    def __init__(self, rules: Iterable[RuleFacts] = (), version: int = 0) -> None:
        self.version = version
        rules = list(rules)
        self.templates = TemplateIndex(
            template for rule in rules for text in (rule.summary, rule.description) if text
            for template in [compile_template(rule.alert_name, text)] if template)
        urls: dict[str, list[str]] = defaultdict(list)
        for rule in rules:
            key = name_key(rule.alert_name)
            if rule.runbook_url and rule.runbook_url not in urls[key]:
                urls[key].append(rule.runbook_url)
        self._runbook_urls = {key: found for key, found in urls.items() if found}
        self.linked_key_starts = frozenset(start for key in self._runbook_urls for start in key_starts_of(key))
        self._names = {name_key(rule.alert_name): rule.alert_name for rule in rules}
        self.rule_count = len(rules)

    @property
    def linked_keys(self) -> dict[str, list[str]]:
        """{alert key: the runbook URLs its rules give}, for the name finder."""
        return self._runbook_urls

    def alert_name(self, key: str) -> str:
        """A rule's alert name as the rule spells it ("" when no rule has that key)."""
        return self._names.get(key, "")

    def runbook_urls(self, key: str) -> list[str]:
        return self._runbook_urls.get(key, [])

    def alert_for(self, title: str) -> str | None:
        """The alert whose rule's summary or description the title was rendered from, if unambiguous."""
        return self.templates.alert_for(title) if len(self.templates) else None


def link_key(url: str) -> tuple[str, str]:
    """(page, fragment) of a URL as runbook links are compared: host and path, lower case, with the
    scheme, a trailing slash and `index.html` / `.html` / `.md` left out ("…/KubePodCrashLooping.md"
    and "…/kubepodcrashlooping/" are one page).  ("", "") for a URL that cannot be read."""
    parts = _split_link(url)
    if parts is None:
        return "", ""
    path = _without_page_suffix(parts.path.rstrip("/")).rstrip("/").lower()
    return f"{(parts.hostname or '').lower()}{path}", parts.fragment.lower()


def link_name(url: str) -> str:
    """The alert name a runbook link's last path segment spells ("…/KubePodCrashLooping.md"); "" for a
    URL that cannot be read."""
    parts = _split_link(url)
    if parts is None:
        return ""
    return _without_page_suffix(parts.path.rstrip("/")).rstrip("/").rsplit("/", 1)[-1]


def _split_link(url: str) -> SplitResult | None:
    """The URL's parts, or None when it cannot be read: an unfilled template ("http://[RUNBOOK_HOST]/x")
    or a bracket typed by hand is no link to follow (urlsplit raises on them)."""
    try:
        parts = urlsplit(str(url or "").strip())
        parts.port  # noqa: B018 - reading it is the check: a port out of range or not a number raises
    except ValueError:
        return None
    return parts


def _without_page_suffix(path):
    for suffix in _PAGE_SUFFIXES:
        if path.lower().endswith(suffix):
            return path[: -len(suffix)]
    return path
