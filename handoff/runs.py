"""The `handoff_runs` table: who sends which week's handoff mail, and whether it went out.

Any number of mailers may run.  Each claims a week with one atomic
``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` so exactly one of them wins; the
winner's claim is a lease it renews while it retries, so a mailer killed mid-send
hands the week to the next one instead of blocking it forever.
"""
import os
import socket
from datetime import date, timedelta

from database.connection import Connection
from handoff.week import HandoffWeek

PENDING, SENT, FAILED = "pending", "sent", "failed"
DEFAULT_LEASE = timedelta(minutes=15)

_CLAIM = """
INSERT INTO handoff_runs AS run (week_of, week_start, week_end, claimed_by, claimed_at, attempts)
VALUES (%(week_of)s, %(start)s, %(end)s, %(mailer)s, now(), 1)
ON CONFLICT (week_of) DO UPDATE
   SET claimed_by = EXCLUDED.claimed_by, claimed_at = now(), status = 'pending',
       attempts = run.attempts + 1, updated_at = now()
 WHERE (run.status = 'pending' AND (run.claimed_by IS NULL OR run.claimed_at < now() - %(lease)s
                                   OR run.claimed_by = %(mailer)s))
    OR (run.status = 'failed' AND %(retry_failed)s)
RETURNING week_of
"""


def mailer_id() -> str:
    """host:pid, so a claim in the table says which process holds it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_week(conn: Connection, week: HandoffWeek, mailer: str, lease: timedelta = DEFAULT_LEASE,
               retry_failed: bool = False) -> bool:
    """True when `mailer` now owns `week`: it was new, unclaimed, its holder's lease ran out,
    or it is this mailer's own claim, left by a check a database outage cut short (a mailer's
    checks run one at a time, so that check is over; waiting out its lease would delay the mail).

    A sent week is never claimed again.  A permanently failed one only when an operator
    asks for it by name (`retry_failed`), so a 5xx is not re-sent every few minutes.
    """
    params = {"week_of": week.week_of, "start": week.start, "end": week.end, "mailer": mailer,
              "lease": lease, "retry_failed": retry_failed}
    with conn, conn.cursor() as cur:
        cur.execute(_CLAIM, params)
        return cur.fetchone() is not None


def renew_claim(conn: Connection, week: HandoffWeek, mailer: str) -> bool:
    """Extend the lease while retrying; False means another mailer took the week over."""
    return _update_own(conn, week, mailer, "claimed_at = now()") == 1


def mark_sent(conn: Connection, week: HandoffWeek, mailer: str, message_id: str, recipients: int, incidents: int,
              reason: str | None = None) -> bool:
    """Record that the SMTP server accepted the mail (`reason` notes refused recipients)."""
    return _update_own(conn, week, mailer,
                       "status = 'sent', sent_at = now(), claimed_by = NULL, message_id = %(message_id)s, "
                       "recipients = %(recipients)s, incidents = %(incidents)s, reason = %(reason)s",
                       message_id=message_id, recipients=recipients, incidents=incidents, reason=reason) == 1


def mark_failed(conn: Connection, week: HandoffWeek, mailer: str, reason: str) -> bool:
    """A permanent refusal (5xx): kept with the server's reason, not retried by the scheduler."""
    return _update_own(conn, week, mailer, "status = 'failed', claimed_by = NULL, reason = %(reason)s",
                       reason=reason) == 1


def release_claim(conn: Connection, week: HandoffWeek, mailer: str, reason: str) -> bool:
    """Give the week back after temporary failures, so the next check tries again."""
    return _update_own(conn, week, mailer, "claimed_by = NULL, claimed_at = NULL, reason = %(reason)s",
                       reason=reason) == 1


def _update_own(conn, week, mailer, assignments, **values):
    sql = (f"UPDATE handoff_runs SET {assignments}, updated_at = now() "
           "WHERE week_of = %(week_of)s AND claimed_by = %(mailer)s AND status = 'pending'")
    with conn, conn.cursor() as cur:
        cur.execute(sql, {"week_of": week.week_of, "mailer": mailer, **values})
        return cur.rowcount


def handoff_run(conn: Connection, week_of: date) -> dict | None:
    """The row for one week as a dict, or None."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM handoff_runs WHERE week_of = %s", (week_of,))
        row = cur.fetchone()
        return dict(zip([column.name for column in cur.description], row)) if row else None


def recent_runs(conn: Connection, limit: int = 10) -> list[dict]:
    """Newest weeks first, for the CLI's status line and the dashboard."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT week_of, status, reason, attempts, sent_at FROM handoff_runs "
                    "ORDER BY week_of DESC LIMIT %s", (limit,))
        names = [column.name for column in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def last_sent_week(conn: Connection) -> date | None:
    """The newest week whose handoff went out (its week_of date), or None."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT max(week_of) FROM handoff_runs WHERE status = 'sent'")
        return cur.fetchone()[0]
