"""The Slack bot's row in process_status: is it connected, and what was its last alert.

A beat every HEARTBEAT_SECONDS while the transport runs says whether the websocket is up;
each alert adds what it was and what the bot did with it, at most once per ALERT_WRITE_SECONDS
(in a burst the latest is written a second later).  A failed beat is logged and never stops
the bot: status is for people, alerts are the job.
"""
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

from bot.handler import Handled, Outcome
from database import heartbeats
from database.heartbeats import Process
from database.outage import Database

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30
# A burst of 200 alerts wrote 200 status rows, a tenth of the bot's time answering them.
ALERT_WRITE_SECONDS = 1.0
CONNECTED, RECONNECTING = "connected", "not connected (reconnecting)"


def alert_details(outcome: Outcome, now: datetime) -> dict[str, str | None]:
    """What the status panel shows of an alert: its title, when, and the bot's answer."""
    match = outcome.match
    return {
        "last_alert_at": now.isoformat(),
        "last_alert": outcome.alert.title[:200],
        "last_alert_result": outcome.note,
        "last_alert_runbook": match.runbook_title if match is not None and match.found else None,
    }


class BotStatus:
    def __init__(self, database: Database, transport: str, interval: float = HEARTBEAT_SECONDS) -> None:
        self.database = database
        self.transport = transport
        self.interval = interval
        self._lock = threading.Lock()
        self._unwritten: dict[str, str | None] | None = None  # the latest alert's details, not yet written
        self._written_at = float("-inf")

    def beat(self, connected: bool) -> None:
        outcome = CONNECTED if connected else RECONNECTING
        with self._lock:
            details, self._unwritten = self._unwritten or {}, None
        self._record(outcome, connected=connected, transport=self.transport, **details)

    def beat_until(self, stopping: threading.Event, is_connected: Callable[[], bool]) -> None:
        """Beat on a timer until `stopping` is set (the transport's main loop); between beats, write the
        last alert's details a burst left unwritten once their second is over."""
        while not stopping.is_set():
            self.beat(is_connected())
            next_beat = time.monotonic() + self.interval
            while not stopping.is_set() and time.monotonic() < next_beat:
                stopping.wait(min(ALERT_WRITE_SECONDS, max(0.0, next_beat - time.monotonic())))
                self.write_unwritten()

    def write_unwritten(self) -> None:
        """The latest alert's details, when a burst left them unwritten and their second is over."""
        with self._lock:
            if self._unwritten is None or time.monotonic() - self._written_at < ALERT_WRITE_SECONDS:
                return
            details, self._unwritten, self._written_at = self._unwritten, None, time.monotonic()
        self._record(None, **details)

    def alert_handled(self, outcome: Outcome) -> None:
        if outcome.alert is None or outcome.result in (Handled.DATABASE_UNAVAILABLE, Handled.DUPLICATE):
            # Nothing to say, nowhere to say it, or nothing new: a catch-up or a redelivery seeing a message
            # already answered would show "duplicate delivery" over the reply it had.
            return
        with self._lock:
            self._unwritten = alert_details(outcome, datetime.now(timezone.utc))
        self.write_unwritten()  # within a second of the last write, the beat loop writes it later

    def _record(self, outcome, **details):
        try:  # one upsert for every alert, with no BEGIN and COMMIT around it
            self.database.run_statements(lambda conn: heartbeats.record_heartbeat(
                conn, Process.SLACK_BOT, self.interval, outcome, **details))
        except Exception:
            log.warning("Could not record the bot's heartbeat.", exc_info=True)
