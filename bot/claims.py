"""Recording every alert seen, and claiming the one reply per incident (migration 0030).

Two bot replicas, or Slack redelivering an envelope, see the same message.  The message
is recorded once (UNIQUE channel + ts), and the reply is claimed by inserting a row per
name of the incident into `alert_replies`: whoever inserts them all replies, everyone
else stays quiet.  A claim whose reply never came (its claimer died) can be taken over
once it is older than `stale_after` seconds.
"""
import logging

log = logging.getLogger(__name__)

STALE_CLAIM_SECONDS = 120


def record_alert(conn, alert, match):
    """Insert the alert event: (its id, True), or (the earlier row's id, False) when this message
    was already recorded (a redelivery, another replica, a catch-up)."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO alert_events (channel, message_ts, incident_number, incident_id, status, title, alert_key,"
            " runbook_id, matched_alert, runbook_title, runbook_url, confidence, match_reason) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (channel, message_ts) DO NOTHING RETURNING id",
            (alert.channel, alert.ts, alert.incident_number, alert.incident_id, alert.status, alert.title,
             match.alert_key, match.runbook_id, match.matched, match.runbook_title, match.url,
             match.confidence, match.reason),
        )
        row = cur.fetchone()
        if row:
            return row[0], True
        cur.execute("SELECT id FROM alert_events WHERE channel = %s AND message_ts = %s", (alert.channel, alert.ts))
        return cur.fetchone()[0], False


def is_answered(conn, event_id, incident_claims):
    """True when the event has its reply, or any name of its incident is claimed (answered, or being
    answered by someone)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM alert_events WHERE id = %s AND reply_ts IS NOT NULL) "
                    " OR EXISTS (SELECT 1 FROM alert_replies WHERE incident = ANY(%s))",
                    (event_id, list(incident_claims)))
        return cur.fetchone()[0]


def claim_reply(conn, event_id, incident_claims, claimer, stale_after=STALE_CLAIM_SECONDS):
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


def already_answered(conn, incident_claims):
    """True when any name of the incident has been claimed (answered or being answered)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM alert_replies WHERE incident = ANY(%s) LIMIT 1", (list(incident_claims),))
        return cur.fetchone() is not None


def record_reply(conn, event_id, incident_claims, reply_ts):
    """The reply was posted: note its ts on the event and the claims."""
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE alert_events SET reply_ts = %s WHERE id = %s", (reply_ts, event_id))
        cur.execute("UPDATE alert_replies SET reply_ts = %s, replied_at = now() WHERE incident = ANY(%s)",
                    (reply_ts, list(incident_claims)))


def release_claim(conn, incident_claims, claimer):
    """Posting failed for good: let a later message (or another replica) try again."""
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM alert_replies WHERE incident = ANY(%s) AND claimed_by = %s AND reply_ts IS NULL",
                    (list(incident_claims), claimer))


def recent_events(conn, limit=20):
    """[(received_at, channel, title, matched_alert, confidence, reply_ts)] newest first."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT received_at, channel, title, matched_alert, confidence, reply_ts FROM alert_events "
                    "ORDER BY received_at DESC, id DESC LIMIT %s", (limit,))
        return cur.fetchall()
