"""What a parsed docs page is made of: runbooks, their sections and alert keys.

Plain immutable values: the parser produces them, the store writes them, the tests
compare them.
"""
from dataclasses import dataclass, field

# Where an alert key came from, strongest first.
KEY_SOURCES = ("title", "slug", "alias")


@dataclass(frozen=True)
class Section:
    """One heading and the content under it (down to the next heading of any level)."""

    title: str
    anchor: str | None
    level: int
    heading_path: tuple[str, ...]  # page title › heading › sub-heading
    text: str  # plain text, for search
    mrkdwn: str  # Slack mrkdwn, for replies


@dataclass(frozen=True)
class AlertKey:
    """A name the runbook answers to; `key` is alert_keys.canonical_key(name)."""

    key: str
    name: str
    source: str  # one of KEY_SOURCES


@dataclass(frozen=True)
class Runbook:
    """The instructions for one alert (a whole page, or one block of a many-alerts page)."""

    title: str
    alert_name: str | None
    anchor: str | None
    alert_keys: tuple[AlertKey, ...]
    sections: tuple[Section, ...]
    kind: str = "runbook"  # runbook | pointer | deprecated | stub
    points_to: str | None = None
    summary: str = ""

    @property
    def body_text(self) -> str:
        return "\n\n".join(section.text for section in self.sections if section.text)

    @property
    def mrkdwn(self) -> str:
        return "\n\n".join(_section_mrkdwn(section) for section in self.sections).strip()


@dataclass(frozen=True)
class ParsedPage:
    """Everything the crawler keeps from one fetched page."""

    url: str
    title: str
    content_sha256: str
    runbooks: tuple[Runbook, ...]
    links: tuple[str, ...] = field(default=())
    kind: str = "runbooks"  # page_kinds.RUNBOOKS, or what else the page is (an error page, a listing…)


def _section_mrkdwn(section):
    heading = f"*{section.title}*" if section.level > 1 else ""
    return "\n".join(part for part in (heading, section.mrkdwn) if part)
