"""The bot's own bounded queues between receiving a message and handling it, one lane per channel.

The transports only put events here and return, so Socket Mode's acknowledgement leaves at
once however slow the work is: a storm, a database outage (each call waits up to ten seconds
for the server), or Slack's per-channel pace for posting.  Slack redelivers an envelope not
acknowledged within three seconds, and slack_sdk runs acks and listeners on one small pool.

Each channel has its own lane and worker, in arrival order: replies to one channel are paced
to about one a second, and a storm there must not hold up the alerts of another.  A full lane
drops the event with a log line and asks for a catch-up: the message is in the channel's
history, and the catch-up answers whatever is still unanswered.
"""
import logging
import queue
import threading
from collections.abc import Callable

from bot.handler import AlertHandler

log = logging.getLogger(__name__)

MAX_WAITING = 1000  # per channel


class WorkQueue:
    def __init__(self, handler: AlertHandler, on_overflow: Callable[[], None] | None = None,
                 max_waiting: int = MAX_WAITING):
        self.handler = handler
        self.on_overflow = on_overflow
        self.max_waiting = max_waiting
        self._lanes: dict[str, tuple[queue.Queue, threading.Thread]] = {}
        self._lock = threading.Lock()  # lanes start with their channel's first event
        self.dropped = 0

    def put(self, event: dict) -> None:
        """Queue one message event on its channel's lane; never blocks."""
        lane = self._lane(str(event.get("channel") or "")) if isinstance(event, dict) else self._lane("")
        try:
            lane.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            log.warning("%d messages of channel %s are waiting to be handled; this one is left to the next "
                        "catch-up.", self.max_waiting, event.get("channel"))
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

    def _lane(self, channel: str) -> queue.Queue:
        with self._lock:
            if channel not in self._lanes:
                events = queue.Queue(self.max_waiting)
                worker = threading.Thread(target=self._work, args=(events,), name=f"alerts-{channel or 'other'}",
                                          daemon=True)
                self._lanes[channel] = (events, worker)
                worker.start()
            return self._lanes[channel][0]

    def _work(self, events: queue.Queue) -> None:
        while True:
            event = events.get()
            if event is None:
                return
            self.handler.handle(event)  # never raises: a broken event or an outage is logged there
