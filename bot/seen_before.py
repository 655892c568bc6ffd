"""What happened the last times this alert fired, for the reply (from the stored PagerDuty incidents).

The PagerDuty sync keeps every incident with its title key (`matching.titles.alert_key`), who
resolved it and its newest note (migration 0071).  An alert's earlier incidents are those with its
title key, or with the key of the runbook it matched ("Pod is crash looping" and
"KubePodCrashLooping" fire as one alert).  Nothing is shown for a first firing.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.replies import escape, link
from database.connection import Connection

WINDOW_DAYS = 30
NOTE_CHARS = 300


@dataclass(frozen=True)
class SeenBefore:
    fired: int  # incidents of the alert created in the last WINDOW_DAYS (this one left out)
    median_to_resolve: timedelta | None  # over those resolved
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
    this_one = "(i.id = %(incident_id)s OR i.incident_number = %(number)s)"
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*), percentile_cont(0.5) WITHIN GROUP ("
            "  ORDER BY extract(epoch FROM i.resolved_at - i.created_at)) "
            f"FROM incidents i WHERE i.title_key = ANY(%(keys)s) AND i.created_at >= %(since)s"
            f" AND i.created_at <= %(now)s AND i.merged_into IS NULL AND NOT coalesce({this_one}, false)",
            {"keys": keys, "since": now - timedelta(days=WINDOW_DAYS), "now": now, "incident_id": incident_id,
             "number": incident_number})
        fired, median_seconds = cur.fetchone()
        cur.execute(
            "SELECT i.created_at, i.resolved_by, i.last_note, i.html_url, i.incident_number FROM incidents i "
            f"WHERE i.title_key = ANY(%(keys)s) AND i.created_at <= %(now)s AND i.merged_into IS NULL"
            f" AND NOT coalesce({this_one}, false) ORDER BY i.created_at DESC LIMIT 1",
            {"keys": keys, "now": now, "incident_id": incident_id, "number": incident_number})
        last = cur.fetchone()
    if last is None:
        return None
    median = timedelta(seconds=round(median_seconds)) if median_seconds is not None else None
    return SeenBefore(fired, median, *last)


def seen_before_block(seen: SeenBefore, now: datetime) -> dict:
    """The reply's "Seen before" line: how often, how long it took, the last time and its note."""
    parts = [f"*Seen before:* {seen.fired} time{'s' if seen.fired != 1 else ''} in the last {WINDOW_DAYS} days"]
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
