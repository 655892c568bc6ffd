"""Crawl progress on a terminal: pages done, queued, rate, on one rewritten line.

Silent when stderr is not a terminal (a log file or a supervisor's pipe): the poll's
summary log line says it all there.
"""
import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, min_interval: float = 0.2) -> None:
        self.stream = stream or sys.stderr
        self.min_interval = min_interval
        self.started = time.monotonic()
        self._last = 0.0
        self._shown = False

    @classmethod
    def for_terminal(cls) -> "Progress | None":
        """A Progress when stderr is a terminal, else None."""
        return cls() if sys.stderr.isatty() else None

    def update(self, done: int, queued: int) -> None:
        now = time.monotonic()
        if now - self._last < self.min_interval:
            return
        self._last = now
        self.stream.write("\r" + progress_line(done, queued, now - self.started) + "\x1b[K")
        self.stream.flush()
        self._shown = True

    def finish(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
        self.started, self._last, self._shown = time.monotonic(), 0.0, False


def progress_line(done: int, queued: int, elapsed_seconds: float) -> str:
    """'crawl: 120 pages done, 35 queued, 48.0 pages/s' (pure, so it is tested as text)."""
    rate = done / elapsed_seconds if elapsed_seconds > 0 else 0.0
    return f"crawl: {done} pages done, {queued} queued, {rate:.1f} pages/s"
