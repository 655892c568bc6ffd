"""What every test, benchmark and soak that runs real servers needs: a free loopback port, waiting
for something to become true without a fixed sleep, and the stand-ins' HTTP request handler."""
import socket
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
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


class StandInHandler(BaseHTTPRequestHandler):
    """The stand-in servers' request handler: replies leave at once, as a real server's do.

    http.server writes a reply's headers and its body in two sends.  With Nagle's algorithm on, a
    kept-alive connection's body then waits for the client's delayed ACK of the headers: 40 ms a
    request on Linux, which made every keep-alive client look 40 ms slow (the crawl measured 44 ms
    a page fetched one by one, 1 ms without it).
    """

    disable_nagle_algorithm = True
