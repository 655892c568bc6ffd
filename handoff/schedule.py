"""The mailer's loop: check for a due handoff at the handoff moment and every few minutes after.

The frequent check is what retries a mail the SMTP server could not take, what notices a
handoff moment slept through (a suspended laptop, a paused container), and what finds the
database again after an outage: each check runs through `Database.run`, on a fresh
connection when the last one died with a restart.
"""
import logging

import psycopg2
import schedule

from database import heartbeats
from database.connection import DatabaseUnavailable
from database.heartbeats import Process
from database.outage import Database
from handoff import runs, sending
from handoff.week import next_handoff_moment

log = logging.getLogger(__name__)



def run_scheduler(mailer: sending.Mailer, database: Database, check_minutes: int) -> None:
    """Catch up at start, then check on the schedule until `mailer.stopping` is set."""
    scheduler = schedule.Scheduler()
    day = getattr(scheduler.every(), mailer.schedule.day_name)
    day.at(mailer.schedule.clock, mailer.schedule.zone.key).do(check_due_handoff, mailer, database, check_minutes)
    scheduler.every(check_minutes).minutes.do(check_due_handoff, mailer, database, check_minutes)
    log.info("Handoff mailer running: every %s %s %s, checking every %d min.",
             mailer.schedule.day_name, mailer.schedule.clock, mailer.schedule.zone.key, check_minutes)
    check_due_handoff(mailer, database, check_minutes)
    while not mailer.stopping.is_set():
        scheduler.run_pending()
        mailer.stopping.wait(max(1.0, min(scheduler.idle_seconds or 60.0, 60.0)))
    log.info("Handoff mailer stopped.")


def check_due_handoff(mailer: sending.Mailer, database: Database, check_minutes: int) -> str | None:
    """One scheduled check; a failure is logged and the next check tries again."""
    def check(conn):
        mailer.conn = conn  # this thread's connection: a fresh one after an outage
        try:
            outcome = sending.send_due_handoff(mailer)
        except (psycopg2.Error, DatabaseUnavailable):
            raise  # Database.run tells an outage (check again on a fresh connection) from a bad query
        except Exception as error:
            log.exception("The handoff check failed; the next check tries again.")
            outcome = f"check failed: {type(error).__name__}"
        record_heartbeat(mailer, check_minutes, outcome)
        return outcome

    try:
        return database.run(check)
    except DatabaseUnavailable as error:
        log.warning("The database is unavailable (%s); the next check tries again.", error)
    except psycopg2.Error:
        log.exception("Database error during the handoff check; the next check tries again.")
    return None


def record_heartbeat(mailer: sending.Mailer, check_minutes: int, outcome: str) -> None:
    """The status panel's line: how the check went, the next handoff, the last week sent."""
    last_sent = runs.last_sent_week(mailer.conn)
    heartbeats.record_heartbeat(
        mailer.conn, Process.HANDOFF_MAILER, check_minutes * 60, outcome,
        next_handoff_at=next_handoff_moment(mailer.clock(), mailer.schedule).isoformat(),
        last_sent_week=last_sent.isoformat() if last_sent else None)

