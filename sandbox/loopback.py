"""Two things every test, benchmark and soak that runs real servers needs: a free loopback port,
and waiting for something to become true without a fixed sleep."""
import socket
import time
from collections.abc import Callable
from typing import TypeVar

Value = TypeVar("Value")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], Value], timeout: float = 20, interval: float = 0.05) -> Value:
    """Poll until `condition()` is truthy; its value, or the last falsy one once `timeout` seconds passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
