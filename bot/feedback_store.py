"""The team's feedback on the bot's answers, written to PostgreSQL (migration 0070).

One row per person per alert message (`alert_feedback`): pressing another button, or the same one
twice, or Slack redelivering the press, or two bot replicas handling it, all leave that one row.
What the rows teach is read by `matching.lessons`; how the bot did each week by
`alert_visualization.bot_feedback`.
"""
from dataclasses import dataclass

from database.connection import Connection
from matching.details import key_of
from matching.lessons import ANSWERED, FEEDBACK_COLUMNS, VERDICTS, Feedback


@dataclass(frozen=True)
class RepliedAlert:
    """The alert message a press or a question in its thread is about."""

    event_id: int
    channel: str
    message_ts: str
    reply_ts: str | None
    title: str
    title_key: str
    replied_alert: str | None  # the runbook the bot answered with, if it did
    named_alert: str | None = None  # the alert a field of its message named (`matching.details.named_alert`)


def replied_alert(conn: Connection, event_id: int, channel: str,
                  message_ts: list[str] | None = None) -> RepliedAlert | None:
    """The alert event `event_id` in `channel` (and, when given, whose message or reply is one of
    `message_ts`); None when there is none, so a forged or stale button value finds nothing."""
    with conn, conn.cursor() as cur:
        cur.execute(f"SELECT e.id, e.channel, e.message_ts, e.reply_ts, e.title, "
                    f" CASE WHEN {ANSWERED} THEN e.matched_alert END, e.named_alert FROM alert_events e "
                    "WHERE e.id = %s AND e.channel = %s"
                    " AND (%s::text[] IS NULL OR e.message_ts = ANY(%s) OR e.reply_ts = ANY(%s))",
                    (event_id, channel, message_ts, message_ts, message_ts))
        row = cur.fetchone()
    if row is None:
        return None
    # Keyed as the handler looks its lessons up (`AlertMessage.key`).
    return RepliedAlert(row[0], row[1], row[2], row[3], row[4], key_of(row[6], row[4]), row[5], row[6])


def alert_in_thread(conn: Connection, channel: str, thread_ts: str) -> RepliedAlert | None:
    """The alert whose thread `thread_ts` is, in `channel`; None for any other thread."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM alert_events WHERE channel = %s AND message_ts = %s", (channel, thread_ts))
        row = cur.fetchone()
    return replied_alert(conn, row[0], channel) if row else None


def record_feedback(conn: Connection, alert: RepliedAlert, voter: str, voter_name: str, verdict: str,
                    chosen_alert: str | None = None, chosen_url: str | None = None) -> bool:
    """Store `voter`'s say about the alert, replacing their earlier one; True when it changed
    anything (False for a double click, a redelivered press, a second replica)."""
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}")
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO alert_feedback (alert_event_id, voter, voter_name, title_key, verdict, replied_alert,"
            " chosen_alert, chosen_url) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (alert_event_id, voter) DO UPDATE SET verdict = EXCLUDED.verdict,"
            " chosen_alert = EXCLUDED.chosen_alert, chosen_url = EXCLUDED.chosen_url,"
            " voter_name = EXCLUDED.voter_name, voted_at = now(), forgotten_at = NULL, forgotten_by = NULL "
            "WHERE (alert_feedback.verdict, alert_feedback.chosen_alert, alert_feedback.forgotten_at)"
            " IS DISTINCT FROM (EXCLUDED.verdict, EXCLUDED.chosen_alert, NULL) RETURNING id",
            (alert.event_id, voter, voter_name, alert.title_key, verdict, alert.replied_alert, chosen_alert,
             chosen_url))
        return cur.fetchone() is not None


def feedback_on(conn: Connection, event_id: int) -> list[Feedback]:
    """The current says about one alert message, oldest first."""
    with conn, conn.cursor() as cur:
        cur.execute(f"SELECT {FEEDBACK_COLUMNS} FROM alert_feedback WHERE alert_event_id = %s"
                    " AND forgotten_at IS NULL ORDER BY voted_at, id", (event_id,))
        return [Feedback(*row) for row in cur.fetchall()]


def forget_lessons(conn: Connection, title_key: str, by: str) -> int:
    """Undo everything taught for a title key (an admin's `--forget`); the number of says undone."""
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE alert_feedback SET forgotten_at = now(), forgotten_by = %s "
                    "WHERE title_key = %s AND forgotten_at IS NULL", (by, title_key))
        return cur.rowcount
