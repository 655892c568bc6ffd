"""The weekly on-call handoff mail, sent exactly once per on-call week.

    python3 send_mail.py                     scheduler loop (HANDOFF_SCHEDULE in ONCALL_TIMEZONE)
    python3 send_mail.py --once              send the due handoff if nobody has
    python3 send_mail.py --week 2026-11-23   that week's handoff (also one refused before)
    python3 send_mail.py --preview f.html    render the due (or --week) handoff without sending
    python3 send_mail.py --dry-run           write the .eml to outbox/ instead of SMTP

The work is in handoff/; this file reads the configuration, parses the command line and
wires it up.
"""
import argparse
import logging
import threading

import utils
from database.connection import Connection
from database.heartbeats import Process
from database.outage import open_database
from handoff import sending, sources
from handoff.schedule import run_scheduler
from handoff.sending import Sent
from handoff.smtp import SECURITY_MODES, RetryPolicy, SmtpSettings
from handoff.week import HandoffWeek, latest_due_week, parse_schedule, parse_week_argument, week_containing

log = logging.getLogger("handoff_mailer")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = utils.command_line("python3 send_mail.py", __doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="send the due handoff if it has not been sent, then exit")
    parser.add_argument("--week", type=parse_week_argument, metavar="YYYY-MM-DD",
                        help="the handoff week holding this date (a week starting that day on the schedule's weekday)")
    parser.add_argument("--preview", metavar="FILE.html", help="write the mail's HTML to FILE.html; send nothing")
    parser.add_argument("--dry-run", action="store_true", help="write the .eml to HANDOFF_OUTBOX (outbox/); send nothing")
    return parser.parse_args(argv)


def smtp_settings(config: utils.Config) -> SmtpSettings:
    security = config.choice("SMTP_SECURITY", SECURITY_MODES, "starttls")
    return SmtpSettings(
        host=config.text("SMTP_HOST"), port=config.integer("SMTP_PORT", DEFAULT_PORTS[security], minimum=1),
        security=security, username=config.text("SENDER_ID") if config.is_set("SENDER_PASSWORD") else None,
        password=config.text("SENDER_PASSWORD"), timeout=config.number("SMTP_TIMEOUT_SECONDS", 30.0, minimum=1),
    )


def build_mailer(config: utils.Config, conn: Connection | None, stopping: threading.Event,
                 sending_mail: bool) -> sending.Mailer:
    schedule_ = parse_schedule(config.text("HANDOFF_SCHEDULE", "monday 09:00"), config.text("ONCALL_TIMEZONE", "UTC"))
    if sending_mail:
        config.require("SMTP_HOST", "SENDER_ID", "HANDOFF_RECIPIENTS", feature="the handoff mail")
    retry = RetryPolicy(attempts=config.integer("HANDOFF_RETRY_ATTEMPTS", 5, minimum=1),
                        base_seconds=config.number("HANDOFF_RETRY_SECONDS", 2.0, minimum=0))
    return sending.Mailer(
        conn=conn, schedule=schedule_, sender=config.text("SENDER_ID", "oncall-helper@localhost"),
        recipients=config.items("HANDOFF_RECIPIENTS"), smtp=smtp_settings(config),
        build_report=sources.report_builder(config, schedule_), retry=retry, stopping=stopping,
    )


def chosen_week(args: argparse.Namespace, mailer: sending.Mailer) -> HandoffWeek:
    if args.week:
        return week_containing(args.week, mailer.schedule)
    return latest_due_week(mailer.clock(), mailer.schedule)


def render_only(args: argparse.Namespace, config: utils.Config, mailer: sending.Mailer) -> int:
    """--preview / --dry-run: build and write; the week's claim is not touched."""
    week = chosen_week(args, mailer)
    report = mailer.build_report(mailer.conn, week, mailer.clock())
    if args.preview:
        print(f"Preview of the handoff for {report['label']}: {sending.write_preview(report, args.preview)}")
    if args.dry_run:
        message = sending.compose(mailer, week, report)
        path = sending.write_eml(message, config.path("HANDOFF_OUTBOX", utils.PROJECT_DIR / "outbox"), week)
        print(f"Handoff mail for {report['label']} written to {path} (not sent).")
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    config = utils.load_config(args.config)
    utils.configure_logging(Process.HANDOFF_MAILER, config)
    stopping = utils.stop_event()
    sending_mail = not (args.preview or args.dry_run)
    mailer = build_mailer(config, None, stopping, sending_mail)  # bad settings stop us before the database
    looping = sending_mail and not (args.week or args.once)
    # The scheduler waits for a database that is not up yet, however long; a one-shot command gives up.
    database = open_database(config, stopping, one_shot=not looping)
    if looping:
        run_scheduler(mailer, database, config.integer("HANDOFF_CHECK_MINUTES", 5, minimum=1))
        return 0
    mailer.conn = database.connection()
    try:
        if not sending_mail:
            return render_only(args, config, mailer)
        if args.week:
            outcome = sending.send_week(mailer, chosen_week(args, mailer), retry_failed=True)
        else:
            outcome = sending.send_due_handoff(mailer)
        print(f"Handoff: {outcome}.")
        return 0 if outcome in (Sent.SENT, Sent.ALREADY_DONE) else 1
    finally:
        database.close()


if __name__ == "__main__":
    utils.run_main(main)
