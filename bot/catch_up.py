"""Catching up on alerts posted while the bot was away: each watched channel's recent history, read in full.

Slack pages `conversations.history` (`cursor`, `has_more`); in an alert storm more than a page lands in
the window, and every alert in it must be answered.  A channel the bot cannot read (never invited,
removed, a mistyped id in SLACK_CHANNELS) is logged once and skipped, so the other channels are still
caught up and nothing retries a refusal that only a person can fix.
"""
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.handler import AlertHandler, Handled, Outcome
from bot.status import BotStatus

log = logging.getLogger(__name__)

CATCH_UP_MINUTES = 15
CHECK_SECONDS = 2
HISTORY_PAGE = 200  # the page size Slack recommends
MAX_PAGES = 50
# Refusals about the channel itself: they stay until someone invites the bot or fixes the id.
CHANNEL_REFUSALS = frozenset({"not_in_channel", "channel_not_found"})


class UnreadableChannels:
    """The channels Slack refused to show, each reported once per process."""

    def __init__(self) -> None:
        self._reported = set()
        self._lock = threading.Lock()

    def report(self, channel: str, reason: str) -> None:
        with self._lock:
            if (channel, reason) in self._reported:
                return
            self._reported.add((channel, reason))
        log.warning("Slack refused the history of channel %s (%s): invite the bot there or remove the channel "
                    "from SLACK_CHANNELS; its alerts are not caught up.", channel, reason)


UNREADABLE = UnreadableChannels()


def recent_messages(client: WebClient, channel: str, oldest: str) -> list[dict]:
    """Every top-level message of `channel` after `oldest`, following Slack's paging (newest first)."""
    messages, cursor = [], None
    for _ in range(MAX_PAGES):
        page = client.conversations_history(channel=channel, oldest=oldest, limit=HISTORY_PAGE,
                                            **({"cursor": cursor} if cursor else {}))
        messages += page.get("messages", [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page.get("has_more") or not cursor:
            return messages
    log.warning("Channel %s has more than %d messages in the catch-up window; only the newest were read.",
                channel, MAX_PAGES * HISTORY_PAGE)
    return messages


def catch_up(client: WebClient, handler: AlertHandler, channels: Iterable[str], minutes: float = CATCH_UP_MINUTES,
             unreadable: UnreadableChannels = UNREADABLE, deliver: Callable[[dict], object] | None = None) -> None:
    """Answer alerts posted while the bot was away, oldest first (claims keep this from replying twice).

    `deliver` hands each message on (the running bot's per-channel lanes, so a storm caught up in one
    channel is paced there and the others go on); by default the handler handles it here.
    """
    deliver = deliver or handler.handle
    oldest = f"{time.time() - minutes * 60:.6f}"
    for channel in channels:
        try:
            messages = recent_messages(client, channel, oldest)
        except SlackApiError as error:
            reason = error.response.get("error", "error")
            if reason not in CHANNEL_REFUSALS:
                raise
            unreadable.report(channel, reason)
            continue
        for message in sorted(messages, key=lambda message: float(message.get("ts") or 0)):
            deliver({"channel": channel, **message})


class CatchingUp:
    """Another look at recent history whenever the bot may have missed alerts.

    After a reconnect: Slack stops redelivering an event after a few tries, and a socket
    can be down longer.  After an alert the database could not take, or whose reply Slack
    refused past its retries: its ack was sent, so nothing redelivers it.  Recorded messages
    and reply claims keep a second look quiet.
    """

    def __init__(self, client: WebClient, channels: Sequence[str]) -> None:
        self.client, self.channels = client, channels
        self.wanted = threading.Event()

    def request(self) -> None:
        self.wanted.set()

    def after_alert(self, outcome: Outcome) -> None:
        # Nothing redelivers an acknowledged event: a later look at history answers it.
        if outcome.result in (Handled.DATABASE_UNAVAILABLE, Handled.POST_FAILED):
            self.request()

    def run_until(self, stopping: threading.Event, handler: AlertHandler,
                  deliver: Callable[[dict], object] | None = None) -> None:
        while not stopping.wait(CHECK_SECONDS):
            if self.wanted.is_set():
                self.wanted.clear()
                self._catch_up(handler, deliver)

    def _catch_up(self, handler, deliver):
        if not self.channels:
            return  # without SLACK_CHANNELS there is no history to read (as at start)
        try:
            handler.database.run(_ping)  # one wait for the database, not one per message
            log.info("Catching up on alerts posted in %s while the bot was away.", ", ".join(self.channels))
            catch_up(self.client, handler, self.channels, deliver=deliver)
        except Exception as error:
            log.warning("Could not catch up on missed alerts yet (%s); trying again shortly.", type(error).__name__)
            self.wanted.set()


def told_of_alerts(status: BotStatus, catching_up: CatchingUp) -> Callable[[Outcome], None]:
    """The handler's on_alert: the status row, and a catch-up when the database missed an alert."""
    def told(outcome):
        status.alert_handled(outcome)
        catching_up.after_alert(outcome)
    return told


def _ping(conn):
    with conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
