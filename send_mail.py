"""The weekly on-call handoff mail, sent exactly once per on-call week.

    python3 send_mail.py                     scheduler loop (HANDOFF_SCHEDULE in ONCALL_TIMEZONE)
    python3 send_mail.py --once              send the due handoff if nobody has
    python3 send_mail.py --week 2026-11-23   that week's handoff (also one refused before)
    python3 send_mail.py --preview f.html    render the due (or --week) handoff without sending
    python3 send_mail.py --dry-run           write the .eml to outbox/ instead of SMTP

The work is in alert_visualization/handoff_*.py; this file reads the configuration,
parses the command line and runs the loop.
"""
import argparse
import logging
import sys

import psycopg2
import schedule

import utils
from alert_visualization import handoff_runs, handoff_send, handoff_sources
from alert_visualization.handoff_week import (latest_due_week, next_handoff_moment, parse_schedule,
                                             parse_week_argument, week_containing)
from alert_visualization.smtp_client import SECURITY_MODES, RetryPolicy, SmtpSettings
from generate_documentation_db import database_connection, process_status

log = logging.getLogger("send_mail")
PROCESS_NAME = "handoff_mailer"  # its name in process_status, as in the Procfile
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="send_mail.py", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="send the due handoff if it has not been sent, then exit")
    parser.add_argument("--week", type=parse_week_argument, metavar="YYYY-MM-DD",
                        help="the handoff week holding this date (a week starting that day on the schedule's weekday)")
    parser.add_argument("--preview", metavar="FILE.html", help="write the mail's HTML to FILE.html; send nothing")
    parser.add_argument("--dry-run", action="store_true", help="write the .eml to HANDOFF_OUTBOX (outbox/); send nothing")
    return parser.parse_args(argv)


def smtp_settings(config):
    security = config.choice("SMTP_SECURITY", SECURITY_MODES, "starttls")
    return SmtpSettings(
        host=config.text("SMTP_HOST"), port=config.integer("SMTP_PORT", DEFAULT_PORTS[security], minimum=1),
        security=security, username=config.text("SENDER_ID") if config.is_set("SENDER_PASSWORD") else None,
        password=config.text("SENDER_PASSWORD"), timeout=config.number("SMTP_TIMEOUT_SECONDS", 30.0, minimum=1),
    )


def build_mailer(config, conn, stopping, sending):
    schedule_ = parse_schedule(config.text("HANDOFF_SCHEDULE", "monday 09:00"), config.text("ONCALL_TIMEZONE", "UTC"))
    if sending:
        config.require("SMTP_HOST", "SENDER_ID", "HANDOFF_RECIPIENTS", feature="the handoff mail")
    retry = RetryPolicy(attempts=config.integer("HANDOFF_RETRY_ATTEMPTS", 5, minimum=1),
                        base_seconds=config.number("HANDOFF_RETRY_SECONDS", 2.0, minimum=0))
    return handoff_send.Mailer(
        conn=conn, schedule=schedule_, sender=config.text("SENDER_ID", "oncall-helper@localhost"),
        recipients=config.items("HANDOFF_RECIPIENTS"), smtp=smtp_settings(config),
        build_report=handoff_sources.report_builder(config, schedule_), retry=retry, stopping=stopping,
    )


def chosen_week(args, mailer):
    if args.week:
        return week_containing(args.week, mailer.schedule)
    return latest_due_week(mailer.clock(), mailer.schedule)


def render_only(args, config, mailer):
    """--preview / --dry-run: build and write; the week's claim is not touched."""
    week = chosen_week(args, mailer)
    report = mailer.build_report(mailer.conn, week, mailer.clock())
    if args.preview:
        print(f"Preview of the handoff for {report['label']}: {handoff_send.write_preview(report, args.preview)}")
    if args.dry_run:
        message = handoff_send.compose(mailer, week, report)
        path = handoff_send.write_eml(message, config.text("HANDOFF_OUTBOX", "outbox"), week)
        print(f"Handoff mail for {report['label']} written to {path} (not sent).")
    return 0


def run_scheduler(config, mailer, stopping):
    """Catch up at start, then check at the handoff moment and every few minutes after.

    The frequent check is what retries a mail the SMTP server could not take and what
    notices a handoff moment slept through (a suspended laptop, a paused container).
    """
    check_minutes = config.integer("HANDOFF_CHECK_MINUTES", 5, minimum=1)
    scheduler = schedule.Scheduler()
    day = getattr(scheduler.every(), mailer.schedule.day_name)
    day.at(mailer.schedule.clock, mailer.schedule.zone.key).do(check_due_handoff, config, mailer, check_minutes)
    scheduler.every(check_minutes).minutes.do(check_due_handoff, config, mailer, check_minutes)
    log.info("Handoff mailer running: every %s %s %s, checking every %d min.",
             mailer.schedule.day_name, mailer.schedule.clock, mailer.schedule.zone.key, check_minutes)
    check_due_handoff(config, mailer, check_minutes)
    while not stopping.is_set():
        scheduler.run_pending()
        stopping.wait(max(1.0, min(scheduler.idle_seconds or 60.0, 60.0)))
    log.info("Handoff mailer stopped.")
    return 0


def check_due_handoff(config, mailer, check_minutes, again=True):
    """One scheduled check; a failure is logged and the next check tries again.

    A connection that a database restart broke since the last check is only found out
    by using it: then the check reconnects and runs once more, so the handoff moment's
    check is not lost to a restart that is long over.
    """
    if mailer.conn.closed and not reconnect(config, mailer):
        return  # the last check lost the database, and it is still away
    try:
        outcome = handoff_send.send_due_handoff(mailer)
    except psycopg2.Error as error:
        if again and database_connection.connection_lost(error):
            log.warning("The database connection was lost (%s); reconnecting and checking again.",
                        str(error).strip().splitlines()[0])
            if reconnect(config, mailer):
                check_due_handoff(config, mailer, check_minutes, again=False)
            return
        log.exception("Database error during the handoff check; reconnecting for the next one.")
        reconnect(config, mailer)
        return
    except Exception as error:
        log.exception("The handoff check failed; the next check tries again.")
        outcome = f"check failed: {type(error).__name__}"
    try:
        record_heartbeat(mailer, check_minutes, outcome)
    except psycopg2.Error:
        log.exception("Could not record the mailer's heartbeat; reconnecting for the next check.")
        reconnect(config, mailer)


def record_heartbeat(mailer, check_minutes, outcome):
    """The status panel's line: how the check went, the next handoff, the last week sent."""
    last_sent = handoff_runs.last_sent_week(mailer.conn)
    process_status.record_heartbeat(
        mailer.conn, PROCESS_NAME, check_minutes * 60, outcome,
        next_handoff_at=next_handoff_moment(mailer.clock(), mailer.schedule).isoformat(),
        last_sent_week=last_sent.isoformat() if last_sent else None)


def reconnect(config, mailer):
    """A restarted or failed-over database: a fresh connection, or another try next check."""
    try:
        mailer.conn.close()
        mailer.conn = database_connection.connect(config, wait_seconds=0)
        return True
    except (psycopg2.Error, utils.ConfigError):
        log.exception("PostgreSQL is still unreachable.")
        return False


def main(argv):
    args = parse_args(argv)
    config = utils.load_config()
    utils.configure_logging("send_mail", config)
    stopping = utils.stop_event()
    sending = not (args.preview or args.dry_run)
    mailer = build_mailer(config, None, stopping, sending)  # bad settings stop us before the database
    mailer.conn = database_connection.connect(config)
    try:
        if not sending:
            return render_only(args, config, mailer)
        if args.week:
            outcome = handoff_send.send_week(mailer, chosen_week(args, mailer), retry_failed=True)
        elif args.once:
            outcome = handoff_send.send_due_handoff(mailer)
        else:
            return run_scheduler(config, mailer, stopping)
        print(f"Handoff: {outcome}.")
        return 0 if outcome in (handoff_send.SENT, handoff_send.ALREADY_DONE) else 1
    finally:
        mailer.conn.close()


if __name__ == "__main__":
    utils.run_main(main)
