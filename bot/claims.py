"""Recording every alert seen, and claiming the one reply per incident (migration 0030).

Two bot replicas, or Slack redelivering an envelope, see the same message.  The message
is recorded once (UNIQUE channel + ts), and the reply is claimed by inserting a row per
name of the incident into `alert_replies`: whoever inserts them all replies, everyone
else stays quiet.  A claim whose reply never came (its claimer died) can be taken over
once it is older than `stale_after` seconds.
"""
import logging
from collections.abc import Iterable

from bot.recognition import AlertMessage
from database.connection import Connection
from matching.matcher import Match

log = logging.getLogger(__name__)

STALE_CLAIM_SECONDS = 120


def record_alert(conn: Connection, alert: AlertMessage, match: Match) -> tuple[int, bool]:
    """Insert the alert event: (its id, True), or (the earlier row's id, False) when this message
    was already recorded (a redelivery, another replica, a catch-up, an edit of it)."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO alert_events (channel, message_ts, incident_number, incident_id, status, title, alert_key,"
            " runbook_id, matched_alert, runbook_title, runbook_url, confidence, match_reason, named_alert) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (channel, message_ts) DO NOTHING RETURNING id",
            (alert.channel, alert.ts, alert.incident_number, alert.incident_id, alert.status, alert.title,
             match.alert_key, match.runbook_id, match.matched, match.runbook_title, match.url,
             match.confidence, match.reason, alert.named_alert),
        )
        row = cur.fetchone()
        if row:
            return row[0], True
        if alert.edited:  # the app edited its message: the alert now has the status it shows
            cur.execute("UPDATE alert_events SET status = %s WHERE channel = %s AND message_ts = %s RETURNING id",
                        (alert.status, alert.channel, alert.ts))
        else:
            cur.execute("SELECT id FROM alert_events WHERE channel = %s AND message_ts = %s", (alert.channel, alert.ts))
        return cur.fetchone()[0], False


def is_answered(conn: Connection, event_id: int, incident_claims: Iterable[str]) -> bool:
    """True when the event has its reply, or any name of its incident is claimed (answered, or being
    answered by someone)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM alert_events WHERE id = %s AND reply_ts IS NOT NULL) "
                    " OR EXISTS (SELECT 1 FROM alert_replies WHERE incident = ANY(%s))",
                    (event_id, list(incident_claims)))
        return cur.fetchone()[0]


def claim_reply(conn: Connection, event_id: int, incident_claims: Iterable[str], claimer: str,
                stale_after: float = STALE_CLAIM_SECONDS) -> bool:
    """True when this process now owns the reply for every name of the incident."""
    with conn, conn.cursor() as cur:
        for incident in incident_claims:
            cur.execute(
                "INSERT INTO alert_replies (incident, alert_event_id, claimed_by) VALUES (%s, %s, %s) "
                "ON CONFLICT (incident) DO UPDATE SET alert_event_id = EXCLUDED.alert_event_id, "
                " claimed_by = EXCLUDED.claimed_by, claimed_at = now() "
                "WHERE alert_replies.reply_ts IS NULL "
                " AND alert_replies.claimed_at < now() - make_interval(secs => %s) "
                "RETURNING incident",
                (incident, event_id, claimer, stale_after),
            )
            if cur.fetchone() is None:
                conn.rollback()
                return False
    return True


def record_reply(conn: Connection, event_id: int, incident_claims: Iterable[str], reply_ts: str) -> None:
    """The reply was posted: note its ts on the event and the claims."""
    with conn, conn.cursor() as cur:
        cur.execute("WITH event AS (UPDATE alert_events SET reply_ts = %(ts)s WHERE id = %(event)s) "
                    "UPDATE alert_replies SET reply_ts = %(ts)s, replied_at = now() WHERE incident = ANY(%(claims)s)",
                    {"ts": reply_ts, "event": event_id, "claims": list(incident_claims)})


def release_claim(conn: Connection, incident_claims: Iterable[str], claimer: str) -> None:
    """Posting failed for good: let a later message (or another replica) try again."""
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM alert_replies WHERE incident = ANY(%s) AND claimed_by = %s AND reply_ts IS NULL",
                    (list(incident_claims), claimer))

