"""What the team taught the matcher about one alert, from its feedback in the threads (pure).

People answer the bot's reply with *Helpful*, *Wrong runbook* (and the right one, or "no runbook
exists"), or attach a runbook to an alert the bot stayed quiet on.  Each person has one current
say per alert message; all of them for alerts of the same key (`details.message_key`: the title without
its values, or the alert a field of the message names under a title every alert shares) make that
alert's lessons.  Read in the order they were given:

- a confirmed or chosen runbook is what the next firing is answered with, at confidence 1;
- a runbook someone called wrong is never offered again, unless a later say confirms it;
- "no runbook exists" keeps the bot quiet, until someone attaches a runbook after all.

The feedback is written by `bot.feedback_store`; `lessons_for` and `taught_alerts` read it (the
matcher's only I/O besides loading its index, `matching.knowledge_base`).
"""
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from matching.titles import UNKNOWN_KEY, name_key

if TYPE_CHECKING:
    import psycopg2.extensions

    Connection = psycopg2.extensions.connection

# What a person said about the bot's answer to an alert.
HELPFUL, CORRECTED, NO_RUNBOOK = "helpful", "corrected", "no_runbook"
VERDICTS = (HELPFUL, CORRECTED, NO_RUNBOOK)


@dataclass(frozen=True)
class Feedback:
    """One person's current say about the bot's answer to one alert message."""

    verdict: str  # one of VERDICTS
    voter_name: str
    voted_at: datetime
    replied_alert: str | None = None  # the runbook the bot answered with, if it did
    chosen_alert: str | None = None  # CORRECTED: the runbook the person chose instead
    chosen_url: str | None = None


@dataclass(frozen=True)
class Lessons:
    """What the feedback on an alert's earlier firings says about the next one."""

    answer: str | None = None  # the alert name to answer with
    answer_url: str | None = None
    no_runbook: bool = False  # the team said the alert has no runbook: stay quiet
    taught_by: str | None = None  # who gave the say that decided it, and when
    taught_at: datetime | None = None
    rejected: frozenset[str] = field(default_factory=frozenset)  # name_keys of runbooks called wrong

    @property
    def decides(self) -> bool:
        return self.answer is not None or self.no_runbook

    def rejects(self, alert_name: str | None) -> bool:
        # Nearly every alert has no lessons: no name is spelled out for them.
        return bool(self.rejected) and bool(alert_name) and name_key(alert_name) in self.rejected


NOTHING_TAUGHT = Lessons()
# An alert event the bot answered with a runbook (SQL over `alert_events e`); anything else was no answer.
ANSWERED = "(e.runbook_id IS NOT NULL OR e.match_reason = 'runbook link')"
# alert_feedback's columns in Feedback's order.
FEEDBACK_COLUMNS = "verdict, voter_name, voted_at, replied_alert, chosen_alert, chosen_url"


def lessons_from(feedback: list[Feedback]) -> Lessons:
    """The lessons the feedback teaches, later says overriding earlier ones."""
    answer = url = by = at = None
    no_runbook = False
    rejected: set[str] = set()
    for say in sorted(feedback, key=lambda item: item.voted_at):
        if say.verdict == HELPFUL and say.replied_alert:
            chosen, chosen_url = say.replied_alert, None
        elif say.verdict == CORRECTED and say.chosen_alert:
            chosen, chosen_url = say.chosen_alert, say.chosen_url
        else:
            chosen = chosen_url = None
        if say.verdict in (CORRECTED, NO_RUNBOOK) and say.replied_alert:
            rejected.add(name_key(say.replied_alert))
            if answer and name_key(answer) == name_key(say.replied_alert):
                answer = url = None
        if chosen:
            rejected.discard(name_key(chosen))
            answer, url, no_runbook, by, at = chosen, chosen_url, False, say.voter_name, say.voted_at
        elif say.verdict == NO_RUNBOOK:
            answer, url, no_runbook, by, at = None, None, True, say.voter_name, say.voted_at
    if answer is None and not no_runbook:
        by = at = None
    return Lessons(answer, url, no_runbook, by, at, frozenset(rejected))


def lessons_for(conn: "Connection", title_key: str) -> Lessons:
    """What the feedback on earlier alerts of this title key teaches about the next one.  Nothing for the
    key of titles without words: what the team said about one such alert is no lesson about the others."""
    if title_key == UNKNOWN_KEY:
        return NOTHING_TAUGHT
    with conn, conn.cursor() as cur:
        cur.execute(f"SELECT {FEEDBACK_COLUMNS} FROM alert_feedback WHERE title_key = %s AND forgotten_at IS NULL",
                    (title_key,))
        rows = cur.fetchall()
    return lessons_from([Feedback(*row) for row in rows]) if rows else NOTHING_TAUGHT


def _feedback_by_key(conn):
    """{title key: [Feedback]} of every say not undone."""
    with conn, conn.cursor() as cur:
        cur.execute(f"SELECT title_key, {FEEDBACK_COLUMNS} FROM alert_feedback WHERE forgotten_at IS NULL")
        rows = cur.fetchall()
    by_key: dict[str, list[Feedback]] = {}
    for key, *feedback in rows:
        if key != UNKNOWN_KEY:
            by_key.setdefault(key, []).append(Feedback(*feedback))
    return by_key


def taught_lessons(conn: "Connection") -> dict[str, Lessons]:
    """{title key: its lessons} for every alert the team taught something: what the dashboard and
    the mail count each alert as, as the bot answers it ("no runbook exists" is a coverage gap)."""
    return {key: lessons_from(feedback) for key, feedback in _feedback_by_key(conn).items()}


def lessons_version(conn: "Connection") -> tuple:
    """Changes whenever anything is taught or undone: what caches of taught_lessons are keyed on."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), max(voted_at), max(forgotten_at) FROM alert_feedback")
        return cur.fetchone()


def taught_alerts(conn: "Connection") -> list[dict]:
    """Every title key the team taught something, newest lesson first: what it is answered with now
    (or that it stays quiet), who decided it and when, and the runbooks ruled out."""
    taught = []
    for key, feedback in _feedback_by_key(conn).items():
        lessons = lessons_from(feedback)
        if not lessons.decides and not lessons.rejected:
            continue
        taught.append({"title_key": key, "answer": lessons.answer, "no_runbook": lessons.no_runbook,
                       "taught_by": lessons.taught_by, "taught_at": lessons.taught_at,
                       "rejected": sorted({f.replied_alert for f in feedback if f.replied_alert
                                           and lessons.rejects(f.replied_alert)}),
                       "says": len(feedback), "last_at": max(f.voted_at for f in feedback)})
    return sorted(taught, key=lambda item: item["last_at"], reverse=True)
