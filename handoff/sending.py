"""One handoff, exactly once: claim the week, build the report, send, record the outcome.

The order is what makes it exactly once: the claim comes first (so two mailers cannot
both build and send), the week is marked sent only after the SMTP server said 250,
a temporary failure gives the claim back for the next check, and a permanent one is
recorded with the server's reason so nobody re-sends a refused mail every five minutes.
"""
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path

from database.connection import Connection
from handoff import mail, runs
from handoff.smtp import PermanentSmtpError, RetryPolicy, SmtpSettings, TemporarySmtpError, send_with_retry
from handoff.week import HandoffSchedule, HandoffWeek, latest_due_week

log = logging.getLogger(__name__)

class Sent(StrEnum):
    """What a send attempt came to, for the log, the status panel and the CLI's exit code."""

    SENT = "sent"
    ALREADY_DONE = "already done"  # another mailer, or an earlier run, sent this week
    TRIED_LATER = "will retry"     # the SMTP server or the database failed for now; the claim is given back
    REFUSED = "refused"            # the SMTP server refused the mail for good; recorded, not re-sent
    NOT_OVER = "not over"          # --week of a week whose handoff moment has not come



@dataclass
class Mailer:
    """Everything a send needs besides the week: who, where, how, and where the report comes from."""

    conn: Connection | None  # None until the process has its database (send_mail.py sets it)
    schedule: HandoffSchedule
    sender: str
    recipients: list[str]
    smtp: SmtpSettings
    build_report: Callable[[Connection, HandoffWeek, datetime], dict]  # (conn, week, now) -> report dict
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lease: timedelta = runs.DEFAULT_LEASE
    mailer_id: str = field(default_factory=runs.mailer_id)
    stopping: threading.Event | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    unrecorded: list["SentMail"] = field(default_factory=list)  # the SMTP server took them, not yet marked sent


@dataclass(frozen=True)
class SentMail:
    week: HandoffWeek
    message_id: str
    recipients: int
    incidents: int
    note: str | None = None


def send_due_handoff(mailer: Mailer) -> Sent:
    """Send the latest week whose handoff moment has passed, if nobody has.

    Only the latest: a mailer down for three weeks sends one catch-up mail, not three.
    """
    return send_week(mailer, latest_due_week(mailer.clock(), mailer.schedule))


def send_week(mailer: Mailer, week: HandoffWeek, retry_failed: bool = False) -> Sent:
    """Claim `week` and mail its handoff; returns one of the outcome constants."""
    if mailer.unrecorded:  # before any claim: a mail the server took is never sent again
        log.info("Marking the handoff for the week of %s sent, now that the database is back.",
                 mailer.unrecorded[0].week.week_of)
        record_sent_mails(mailer)
    if week.end_utc() > mailer.clock():
        log.warning("The handoff week %s is not over until %s; not sending it yet.", week.week_of, week.end.isoformat())
        return Sent.NOT_OVER
    if not runs.claim_week(mailer.conn, week, mailer.mailer_id, mailer.lease, retry_failed):
        log.info("Handoff for the week of %s is already sent or being sent; nothing to do.", week.week_of)
        return Sent.ALREADY_DONE
    try:
        report = mailer.build_report(mailer.conn, week, mailer.clock())
        message = compose(mailer, week, report)
    except Exception as error:
        log.exception("Could not build the handoff for the week of %s.", week.week_of)
        runs.release_claim(mailer.conn, week, mailer.mailer_id, f"report failed: {type(error).__name__}: {error}")
        return Sent.TRIED_LATER
    if not runs.renew_claim(mailer.conn, week, mailer.mailer_id):
        # The build (a long first PagerDuty sync) outlived the lease and another mailer took over.
        log.warning("Lost the claim on the week of %s while building it; the other mailer sends it.", week.week_of)
        return Sent.ALREADY_DONE
    return deliver(mailer, week, message, report)


def compose(mailer: Mailer, week: HandoffWeek, report: dict) -> EmailMessage:
    message_id = mail.handoff_message_id(week.week_of, mailer.sender)
    return mail.compose_message(report, mailer.sender, mailer.recipients, message_id, mailer.clock())


def deliver(mailer: Mailer, week: HandoffWeek, message: EmailMessage, report: dict) -> Sent:
    """SMTP with retries; then the claim row says what happened."""
    def keep_claim(attempt, error):
        # A long outage outlives the lease; renewing it keeps a second mailer out.
        return runs.renew_claim(mailer.conn, week, mailer.mailer_id)

    try:
        refused = send_with_retry(mailer.smtp, message, mailer.retry, mailer.stopping, before_retry=keep_claim)
    except PermanentSmtpError as error:
        log.error("The SMTP server refused the handoff for the week of %s: %s", week.week_of, error)
        runs.mark_failed(mailer.conn, week, mailer.mailer_id, str(error))
        return Sent.REFUSED
    except TemporarySmtpError as error:
        log.warning("Handoff for the week of %s not sent yet (%s); the next check retries.", week.week_of, error)
        runs.release_claim(mailer.conn, week, mailer.mailer_id, f"temporary: {error}")
        return Sent.TRIED_LATER
    accepted = len(mailer.recipients) - len(refused)
    note = "refused: " + "; ".join(f"{to} {code}" for to, (code, _) in refused.items()) if refused else None
    log.info("Sent the handoff for %s (%d incidents) to %d recipient(s).", report["label"], report["incidents"], accepted)
    mailer.unrecorded.append(SentMail(week, message["Message-ID"], accepted, report["incidents"], note))
    record_sent_mails(mailer)
    return Sent.SENT


def record_sent_mails(mailer: Mailer) -> None:
    """Mark the mails the SMTP server accepted as sent.

    A database outage between the server's 250 and this update leaves the mail in
    `mailer.unrecorded`; the next check marks it before claiming anything.
    """
    while mailer.unrecorded:
        sent = mailer.unrecorded[0]
        runs.mark_sent(mailer.conn, sent.week, mailer.mailer_id, sent.message_id, sent.recipients,
                               sent.incidents, sent.note)
        mailer.unrecorded.pop(0)


def write_eml(message: EmailMessage, outbox: str | Path, week: HandoffWeek) -> Path:
    """--dry-run: the exact mail as a file instead of SMTP; the week stays unsent."""
    outbox = Path(outbox)
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"handoff-{week.week_of.isoformat()}.eml"
    path.write_bytes(message.as_bytes())
    return path


def write_preview(report: dict, path: str | Path) -> Path:
    """--preview: the HTML part alone, for a browser."""
    _, html = mail.render_bodies(report)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
