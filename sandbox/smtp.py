"""Sandbox SMTP server: real SMTP on loopback, each accepted mail saved as an .eml file.

    python -m sandbox.smtp --port 8125 --outbox outbox/sandbox-smtp

Faults, to make the mailer prove its retries (also settable on `SmtpSink.faults` in tests):
  --fail-temporary N    answer the next N mails with 451 (try again later)
  --fail-permanent TEXT answer every mail with 554 TEXT (refused for good)
  --down-for SECONDS    refuse connections for that long before listening
"""
import argparse
import asyncio
import itertools
import logging
import os
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from utils import stop_event

log = logging.getLogger(__name__)
# aiosmtpd 1.4 warns about its own internal use of login_data on every AUTH.
warnings.filterwarnings("ignore", message="Session.login_data is deprecated")


@dataclass
class SmtpFaults:
    temporary_failures: int = 0      # how many of the next mails get 451
    permanent_failure: str = None    # when set, every mail gets 554 with this text
    reply_delay: float = 0.0         # seconds between saving a mail and answering 250 (a slow server)


class OutboxHandler:
    """aiosmtpd handler: apply faults, else write the mail to `outbox` and answer 250."""

    def __init__(self, outbox, faults):
        self.outbox = Path(outbox)
        self.faults = faults
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self.faults.permanent_failure:
                return f"554 5.7.1 {self.faults.permanent_failure}"
            if self.faults.temporary_failures > 0:
                self.faults.temporary_failures -= 1
                return "451 4.3.0 Mailbox temporarily unavailable, try again later"
            path = self._write(envelope)
        log.info("Accepted mail from %s for %s: %s", envelope.mail_from, ", ".join(envelope.rcpt_tos), path.resolve())
        if self.faults.reply_delay:
            await asyncio.sleep(self.faults.reply_delay)
        return "250 2.0.0 OK queued as " + path.stem

    def _write(self, envelope):
        self.outbox.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{next(self._numbers):04d}.eml"
        partial = self.outbox / (name + ".part")
        # Written aside, then renamed: a reader never sees half a mail.
        partial.write_bytes(envelope.original_content or envelope.content)
        return partial.rename(self.outbox / name)


def accept_any_login(server, session, envelope, mechanism, auth_data):
    """Loopback sink: any user and password may log in, as a local catcher should."""
    return AuthResult(success=True)


class SmtpSink:
    """The server, startable and stoppable in-process (stopping it makes connections refused)."""

    def __init__(self, outbox, port, host="127.0.0.1", faults=None):
        self.outbox, self.host, self.port = Path(outbox), host, port
        self.faults = faults or SmtpFaults()
        self._controller = None

    def start(self):
        handler = OutboxHandler(self.outbox, self.faults)
        self._controller = Controller(handler, hostname=self.host, port=self.port,
                                      authenticator=accept_any_login, auth_require_tls=False)
        self._controller.start()
        return self

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None

    def mails(self):
        """Saved .eml files, oldest first."""
        return sorted(self.outbox.glob("*.eml")) if self.outbox.exists() else []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox.smtp", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8125)
    parser.add_argument("--outbox", default="outbox/sandbox-smtp", help="folder for accepted mails (.eml)")
    parser.add_argument("--fail-temporary", type=int, default=0, metavar="N")
    parser.add_argument("--fail-permanent", metavar="TEXT")
    parser.add_argument("--down-for", type=float, default=0, metavar="SECONDS")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd narrates every SMTP command
    stopping = stop_event()
    if args.down_for and stopping.wait(args.down_for):
        return 0
    sink = SmtpSink(args.outbox, args.port, faults=SmtpFaults(args.fail_temporary, args.fail_permanent)).start()
    log.info("Sandbox SMTP listening on 127.0.0.1:%d, saving mails to %s.", args.port, Path(args.outbox).resolve())
    try:
        stopping.wait()
    finally:
        sink.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
