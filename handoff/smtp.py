"""Sending one mail over SMTP, sorting failures into "try again later" and "never".

4xx replies, refused connections, timeouts and dropped connections are temporary:
retried with exponential backoff.  5xx replies are permanent and come back with the
server's own reason, which the caller records.  The password never appears in an error.
"""
import logging
import random
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

log = logging.getLogger(__name__)

SECURITY_MODES = ("starttls", "ssl", "none")
# {recipient: (code, reply)} for each recipient the server refused, as smtplib returns it.
Refused = dict[str, tuple[int, bytes]]


class TemporarySmtpError(Exception):
    """The server could not take the mail now; worth another try later."""


class PermanentSmtpError(Exception):
    """The server refused the mail for good (5xx); `reason` is its reply."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code, self.reason = code, reason


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits up to base * 2**(n-1), capped."""

    attempts: int = 5
    base_seconds: float = 2.0
    max_seconds: float = 300.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1)))


def send_once(settings: SmtpSettings, message: EmailMessage) -> Refused:
    """Deliver `message` in one connection; returns {recipient: (code, reason)} refused ones.

    Raises TemporarySmtpError or PermanentSmtpError.
    """
    try:
        with _connect(settings) as server:
            if settings.username:
                server.login(settings.username, settings.password or "")
            return server.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        raise _classify_refusals(error.recipients) from None
    except smtplib.SMTPResponseException as error:
        raise _classify_reply(error.smtp_code, error.smtp_error) from None
    except smtplib.SMTPNotSupportedError as error:
        # A server without STARTTLS or AUTH will not grow it on a retry: SMTP_SECURITY is wrong.
        raise PermanentSmtpError(0, f"{error} (check SMTP_SECURITY)") from None
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, OSError) as error:
        raise TemporarySmtpError(f"{type(error).__name__}: {error}") from None


def send_with_retry(settings: SmtpSettings, message: EmailMessage, policy: RetryPolicy = RetryPolicy(),
                    stopping: threading.Event | None = None,
                    before_retry: Callable[[int, TemporarySmtpError], bool | None] | None = None) -> Refused:
    """send_once, retried on temporary failures; the last TemporarySmtpError when they run out.

    `before_retry(attempt, error)` runs before each wait (the mailer renews its claim
    there) and may return False to give up; `stopping` (a threading.Event) cuts waits short.
    """
    stopping = stopping or threading.Event()
    for attempt in range(1, policy.attempts + 1):
        try:
            return send_once(settings, message)
        except TemporarySmtpError as error:
            if attempt == policy.attempts or stopping.is_set():
                raise
            if before_retry and before_retry(attempt, error) is False:
                raise
            delay = policy.delay(attempt)
            log.warning("SMTP attempt %d of %d failed (%s); retrying in %.1f s.", attempt, policy.attempts, error, delay)
            if stopping.wait(delay):
                raise


def _connect(settings):
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                context=ssl.create_default_context())
    server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    if settings.security == "starttls":
        try:
            server.starttls(context=ssl.create_default_context())
        except BaseException:
            server.close()
            raise
    return server


def _classify_reply(code, text):
    reason = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    if 400 <= code < 500 or code == -1:
        return TemporarySmtpError(f"{code} {reason}")
    return PermanentSmtpError(code, reason)


def _classify_refusals(recipients):
    """Every recipient refused: temporary if any refusal was, else permanent with the first reason."""
    errors = [_classify_reply(code, text) for code, text in recipients.values()]
    temporary = [error for error in errors if isinstance(error, TemporarySmtpError)]
    return temporary[0] if temporary else errors[0]
