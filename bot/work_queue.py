"""The bot's own bounded queue between receiving a message and handling it.

The transports only put events here and return, so Socket Mode's acknowledgement leaves at
once however slow the work is: a storm, a database outage (each call waits up to ten seconds
for the server), or Slack's 429s on posting.  Slack redelivers an envelope not acknowledged
within three seconds, and slack_sdk runs acks and listeners on one small pool.

Workers handle events in arrival order per worker.  A full queue drops the event with a log
line and asks for a catch-up: the message is in the channel's history, and the catch-up
answers whatever is still unanswered.
"""
import logging
import queue
import threading
from collections.abc import Callable

from bot.handler import AlertHandler

log = logging.getLogger(__name__)

WORKERS = 2
MAX_WAITING = 1000


class WorkQueue:
    def __init__(self, handler: AlertHandler, on_overflow: Callable[[], None] | None = None,
                 workers: int = WORKERS, max_waiting: int = MAX_WAITING):
        self.handler = handler
        self.on_overflow = on_overflow
        self._events: queue.Queue = queue.Queue(max_waiting)
        self._threads = [threading.Thread(target=self._work, name=f"alert-worker-{number}", daemon=True)
                         for number in range(workers)]
        self.dropped = 0

    def start(self) -> "WorkQueue":
        for thread in self._threads:
            thread.start()
        return self

    def put(self, event: dict) -> None:
        """Queue one message event; never blocks."""
        try:
            self._events.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            log.warning("%d messages are waiting to be handled; this one is left to the next catch-up.",
                        self._events.maxsize)
            if self.on_overflow is not None:
                self.on_overflow()

    def stop(self, timeout: float = 10) -> None:
        """Finish what is queued (up to `timeout` seconds), then let the workers go."""
        for _ in self._threads:
            try:
                self._events.put(None, timeout=timeout)
            except queue.Full:
                break
        for thread in self._threads:
            thread.join(timeout)

    def waiting(self) -> int:
        return self._events.qsize()

    def _work(self) -> None:
        while True:
            event = self._events.get()
            if event is None:
                return
            self.handler.handle(event)  # never raises: a broken event or an outage is logged there
