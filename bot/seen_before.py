"""What happened the last times this alert fired, for the reply (from the stored PagerDuty incidents).

The PagerDuty sync keeps every incident with its title key (`matching.titles.alert_key`), who
resolved it and its newest note (migration 0071).  An alert's earlier incidents are those with its
title key, with the key of the alert its message names, or with the key of the runbook it matched ("Pod
is crash looping" and "KubePodCrashLooping" fire as one alert); not with a title every alert shares
("Incident triggered by Alertmanager", `bot.handler.history_keys`).  Nothing is shown for a first firing.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.replies import escape, link
from database.connection import Connection

WINDOW_DAYS = 30
# The median time to resolve is over the latest this-many resolved firings of the window: what the
# team does now, and a bounded read for an alert that fired thousands of times.
MEDIAN_OF = 200
# Firings are counted up to this many; more is shown as "more than 1,000 times".
COUNT_UP_TO = 1000
NOTE_CHARS = 300


@dataclass(frozen=True)
class SeenBefore:
    fired: int  # incidents of the alert created in the last WINDOW_DAYS (this one left out), up to COUNT_UP_TO + 1
    median_to_resolve: timedelta | None  # over the latest MEDIAN_OF of them that were resolved
    last_at: datetime  # the latest earlier incident: when it fired, who resolved it, its note and link
    last_resolved_by: str | None
    last_note: str | None
    last_url: str | None
    last_number: int | None


def seen_before(conn: Connection, keys: list[str], now: datetime, incident_id: str | None = None,
                incident_number: int | None = None) -> SeenBefore | None:
    """The alert's earlier incidents among those stored; None for a first firing."""
    keys = sorted({key for key in keys if key})
    if not keys:
        return None
    # One statement, read from the covering index: each key's latest firings (at most COUNT_UP_TO + 1),
    # then the count and the median over them, and the newest one's details by its id.
    with conn, conn.cursor() as cur:
        cur.execute(
            "WITH firings AS (SELECT f.id, f.created_at, f.resolved_at FROM unnest(%(keys)s::text[]) AS k(key),"
            "  LATERAL (SELECT i.id, i.created_at, i.resolved_at FROM incidents i"
            "   WHERE i.title_key = k.key AND i.created_at <= %(now)s AND i.merged_into IS NULL"
            "    AND NOT coalesce(i.id = %(incident_id)s OR i.incident_number = %(number)s, false)"
            "   ORDER BY i.created_at DESC LIMIT %(counted)s) AS f) "
            "SELECT (SELECT count(*) FROM firings WHERE created_at >= %(since)s),"
            " (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) FROM ("
            "   SELECT extract(epoch FROM resolved_at - created_at) AS seconds FROM firings"
            "   WHERE created_at >= %(since)s AND resolved_at IS NOT NULL ORDER BY created_at DESC LIMIT %(latest)s)"
            "  AS latest),"
            " i.created_at, i.resolved_by, i.last_note, i.html_url, i.incident_number "
            "FROM (SELECT id FROM firings ORDER BY created_at DESC LIMIT 1) AS newest JOIN incidents i ON i.id = newest.id",
            {"keys": keys, "since": now - timedelta(days=WINDOW_DAYS), "now": now, "incident_id": incident_id,
             "number": incident_number, "latest": MEDIAN_OF, "counted": COUNT_UP_TO + 1})
        row = cur.fetchone()
    if row is None:
        return None
    fired, median_seconds, *last = row
    median = timedelta(seconds=round(median_seconds)) if median_seconds is not None else None
    return SeenBefore(min(fired, COUNT_UP_TO + 1), median, *last)


def seen_before_block(seen: SeenBefore, now: datetime) -> dict:
    """The reply's "Seen before" line: how often, how long it took, the last time and its note."""
    often = f"more than {COUNT_UP_TO:,} times" if seen.fired > COUNT_UP_TO else \
        f"{seen.fired} time{'s' if seen.fired != 1 else ''}"
    parts = [f"*Seen before:* {often} in the last {WINDOW_DAYS} days"]
    if seen.median_to_resolve is not None:
        parts[0] += f", resolved in {_duration(seen.median_to_resolve)} (median)"
    last = f"last {_ago(now - seen.last_at)}"
    if seen.last_url:
        last = link(seen.last_url, f"last {_ago(now - seen.last_at)}" +
                    (f" (#{seen.last_number})" if seen.last_number else ""))
    if seen.last_resolved_by:
        last += f", resolved by {escape(seen.last_resolved_by)}"
    parts.append(last)
    text = " · ".join(parts)
    if seen.last_note:
        note = " ".join(seen.last_note.split())
        note = note if len(note) <= NOTE_CHARS else note[:NOTE_CHARS - 1].rstrip() + "…"
        text += f"\n> {escape(note)}"
    return {"type": "context", "block_id": "seen_before", "elements": [{"type": "mrkdwn", "text": text}]}


def _duration(span: timedelta) -> str:
    minutes = span.total_seconds() / 60
    if minutes < 90:
        return f"{max(1, round(minutes))} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h".replace(".0 h", " h")
    return f"{round(minutes / 1440)} days"


def _ago(span: timedelta) -> str:
    if span < timedelta(hours=1):
        return f"{max(1, round(span.total_seconds() / 60))} min ago"
    if span < timedelta(days=2):
        return f"{round(span.total_seconds() / 3600)} h ago"
    return f"{span.days} days ago"
