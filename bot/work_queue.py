"""The bot's own bounded queues between receiving a message and handling it, one lane per channel.

The transports only put events here and return, so Socket Mode's acknowledgement leaves at
once however slow the work is: a storm, a database outage (each call waits up to ten seconds
for the server), or Slack's per-channel pace for posting.  Slack redelivers an envelope not
acknowledged within three seconds, and slack_sdk runs acks and listeners on one small pool.

Each channel has its own lanes, so a storm there does not hold up the alerts of another; within
a channel, WORKERS_PER_CHANNEL lanes handle alerts side by side (most of a reply's time is spent
waiting on PostgreSQL and Slack), each message always in the same lane, so a message and the
edits the PagerDuty app makes to it are handled in the order they came.  The claims in
PostgreSQL keep exactly one reply per incident whichever lane gets there first, and the poster
keeps Slack's per-channel pace.  A full lane drops the event with a log line and asks for a
catch-up: the message is in the channel's history, and the catch-up answers whatever is still
unanswered.
"""
import logging
import queue
import threading
import zlib
from collections.abc import Callable

from bot.handler import AlertHandler

log = logging.getLogger(__name__)

MAX_WAITING = 1000  # per channel
WORKERS_PER_CHANNEL = 4


class WorkQueue:
    def __init__(self, handler: AlertHandler, on_overflow: Callable[[], None] | None = None,
                 max_waiting: int = MAX_WAITING, workers_per_channel: int = WORKERS_PER_CHANNEL):
        self.handler = handler
        self.on_overflow = on_overflow
        self.workers = max(1, workers_per_channel)
        self.max_waiting = max(1, max_waiting // self.workers)  # per lane: MAX_WAITING a channel
        self._lanes: dict[tuple[str, int], tuple[queue.Queue, threading.Thread]] = {}
        self._lock = threading.Lock()  # lanes start with their channel's first event
        self.dropped = 0

    def put(self, event: dict) -> None:
        """Queue one message event on its channel's lane; never blocks."""
        lane = self._lane(str(event.get("channel") or ""), self._shard(event)) if isinstance(event, dict) \
            else self._lane("", 0)
        try:
            lane.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            log.warning("%d messages of channel %s are waiting to be handled; this one is left to the next "
                        "catch-up.", self.max_waiting * self.workers, event.get("channel"))
            if self.on_overflow is not None:
                self.on_overflow()

    def stop(self, timeout: float = 10) -> None:
        """Finish what is queued (up to `timeout` seconds), then let the workers go."""
        with self._lock:
            lanes = list(self._lanes.values())
        for events, _ in lanes:
            try:
                events.put(None, timeout=timeout)
            except queue.Full:
                pass
        for _, worker in lanes:
            worker.join(timeout)

    def waiting(self) -> int:
        with self._lock:
            return sum(events.qsize() for events, _ in self._lanes.values())

    def _shard(self, event: dict) -> int:
        """The lane of a channel an event goes to: always the same one for the same message (an edit
        names its message in `message.ts`, a press in its container)."""
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        payload = event.get("payload") if isinstance(event.get("payload"), dict) else {}
        container = payload.get("container") if isinstance(payload.get("container"), dict) else {}
        ts = message.get("ts") or container.get("message_ts") or event.get("ts") or ""
        return zlib.crc32(str(ts).encode()) % self.workers

    def _lane(self, channel: str, shard: int) -> queue.Queue:
        with self._lock:
            if (channel, shard) not in self._lanes:
                events = queue.Queue(self.max_waiting)
                worker = threading.Thread(target=self._work, args=(events,),
                                          name=f"alerts-{channel or 'other'}-{shard}", daemon=True)
                self._lanes[(channel, shard)] = (events, worker)
                worker.start()
            return self._lanes[(channel, shard)][0]

    def _work(self, events: queue.Queue) -> None:
        while True:
            event = events.get()
            if event is None:
                return
            self.handler.handle(event)  # never raises: a broken event or an outage is logged there
