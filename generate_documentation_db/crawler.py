"""Fetching the docs site: bounded, polite, and unable to wander off or loop.

`fetch` gets one URL (conditional when validators are known), following redirects only
inside the scope, reading at most `max_page_bytes`, within a per-request timeout.
`crawl` walks the site breadth-first with a bounded number of requests in flight and
hands each result to a callback in the calling thread, so database writes stay on one
connection.  Nothing here touches the database.
"""
import logging
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from generate_documentation_db.progress import Progress
from generate_documentation_db.site_scope import Scope, normalise_url, resolve_href

log = logging.getLogger(__name__)

# The GIL switch interval while a crawl runs (seconds; Python's default is 0.005).
CRAWL_SWITCH_INTERVAL = 0.0005
USER_AGENT = "oncall-helper-docs-monitor/1.0 (+runbook knowledge base)"


class CrawlResult(Protocol):
    """What `crawl` needs of a fetch's result: the URL it ended at."""

    @property
    def final_url(self) -> str: ...


Result = TypeVar("Result", bound=CrawlResult)


@dataclass(frozen=True)
class CrawlLimits:
    concurrency: int = 8
    timeout_seconds: float = 10.0
    max_page_bytes: int = 2_000_000
    max_pages: int = 5000
    max_redirects: int = 5


@dataclass(frozen=True)
class Validators:
    """What a conditional GET sends back: the page's last ETag and Last-Modified."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    """The outcome of one fetch.  `problem` names a fault ('timeout', 'too large', 'HTTP 500',
    'truncated', 'out-of-scope redirect', 'redirect loop', 'connection failed'); `status` is
    None when no usable response arrived."""

    url: str
    final_url: str
    status: int | None
    body: bytes = b""
    content_type: str = ""
    validators: Validators = field(default_factory=Validators)
    problem: str | None = None
    bytes_received: int = 0
    requests_made: int = 1

    @property
    def is_html(self) -> bool:
        return "html" in self.content_type.lower()


def make_session(limits: CrawlLimits) -> requests.Session:
    """A requests Session: connection pool sized to the concurrency, transient 5xx and
    connection errors retried with back-off (honouring Retry-After) by urllib3."""
    session = requests.Session()
    retry = Retry(total=2, connect=2, read=0, status=2, backoff_factor=0.3,
                  status_forcelist=(500, 502, 503, 504), allowed_methods=("GET",),
                  respect_retry_after_header=True, raise_on_status=False, redirect=0)
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(limits.concurrency, 4), max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def fetch(session: requests.Session, url: str, scope: Scope, limits: CrawlLimits, validators: Validators | None = None,
          validators_for: Callable[[str], Validators | None] | None = None) -> Fetched:
    """GET `url`; redirects are followed by hand so each hop is checked against the scope.

    `validators_for(url)`, when given, supplies the validators of a redirect's target, so a
    link that always redirects (a directory without its slash) still ends in a 304.
    """
    seen, current, requests_made, received = {url}, url, 0, 0
    while True:
        requests_made += 1
        try:
            response = session.get(current, headers=_conditional_headers(validators), allow_redirects=False,
                                   stream=True, timeout=limits.timeout_seconds)
        except requests.RequestException as error:
            return Fetched(url, current, None, problem=_request_problem(error), requests_made=requests_made)
        with response:
            if not response.is_redirect:
                return _read(response, url, current, limits, requests_made, received)
            target = resolve_href(current, response.headers.get("Location", ""))
        problem = _redirect_problem(target, scope, seen, requests_made, limits)
        if problem:
            return Fetched(url, current, response.status_code, problem=problem, requests_made=requests_made)
        seen.add(target)
        current, validators = target, validators_for(target) if validators_for else None


def _redirect_problem(target, scope, seen, hops, limits):
    if target is None or not scope.contains(target):
        return "out-of-scope redirect"
    if target in seen or hops > limits.max_redirects:
        return "redirect loop"
    return None


def _read(response, url, final_url, limits, requests_made, received):
    validators = Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"))
    content_type = response.headers.get("Content-Type", "")
    base = dict(url=url, final_url=final_url, status=response.status_code, content_type=content_type,
                validators=validators, requests_made=requests_made)
    if response.status_code != 200:
        problem = f"HTTP {response.status_code}" if response.status_code >= 500 else None
        return Fetched(**base, problem=problem)
    declared = int(response.headers.get("Content-Length") or 0)
    if declared > limits.max_page_bytes:
        return Fetched(**base, problem="too large")
    chunks, deadline = [], time.monotonic() + limits.timeout_seconds * 3
    try:
        for chunk in response.iter_content(64 * 1024):
            chunks.append(chunk)
            received += len(chunk)
            if received > limits.max_page_bytes:
                return Fetched(**base, problem="too large", bytes_received=received)
            if time.monotonic() > deadline:  # a server dripping bytes never trips the read timeout
                return Fetched(**base, problem="timeout", bytes_received=received)
    except requests.exceptions.ConnectionError as error:
        problem = "timeout" if "timed out" in str(error).lower() else "truncated"
        return Fetched(**base, problem=problem, bytes_received=received)
    except requests.RequestException:
        return Fetched(**base, problem="truncated", bytes_received=received)
    return Fetched(**base, body=b"".join(chunks), bytes_received=received)


def _request_problem(error):
    # urllib3's retry wraps a read timeout in a ConnectionError; the message still says so.
    if isinstance(error, requests.Timeout) or "timed out" in str(error).lower():
        return "timeout"
    return f"connection failed ({type(error).__name__})"


def _conditional_headers(validators):
    headers = {}
    if validators and validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators and validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def crawl(start_urls: Iterable[str], scope: Scope, limits: CrawlLimits, fetch_one: Callable[[str], Result],
          handle: Callable[[Result], Iterable[str] | None], progress: Progress | None = None) -> int:
    """Breadth-first over the site from `start_urls`, at most `limits.concurrency` in flight.

    `fetch_one(url)` runs in a worker thread and returns an object with `final_url`;
    `handle(result)` runs in this thread for every result and returns the further URLs to
    visit.  Each URL is fetched once (so link loops end) and at most `limits.max_pages`
    are fetched.  Returns the number of URLs fetched.
    """
    queue = deque(dict.fromkeys(normalise_url(url) for url in start_urls))
    visited, in_flight, fetched = set(queue), set(), 0
    # This thread stores each page while the fetch threads parse the next ones: with Python's default
    # 5 ms switch interval every PostgreSQL reply waited for a parsing thread to let go (measured:
    # about 80 -> 90 pages/s on bench_crawl's generated site, noisy from run to run).
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(CRAWL_SWITCH_INTERVAL)
    try:
        return _crawl(queue, visited, in_flight, fetched, scope, limits, fetch_one, handle, progress)
    finally:
        sys.setswitchinterval(switch_interval)


def _crawl(queue, visited, in_flight, fetched, scope, limits, fetch_one, handle, progress):
    with ThreadPoolExecutor(max_workers=limits.concurrency, thread_name_prefix="docs-fetch") as pool:
        while queue or in_flight:
            while queue and len(in_flight) < limits.concurrency and fetched < limits.max_pages:
                in_flight.add(pool.submit(fetch_one, queue.popleft()))
                fetched += 1
            if not in_flight:
                break
            done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()
                visited.add(result.final_url)
                for url in handle(result) or ():
                    if url not in visited and scope.contains(url):
                        visited.add(url)
                        queue.append(url)
            if progress:
                progress.update(done=fetched - len(in_flight), queued=len(queue))
    if queue:
        log.warning("Stopped at the limit of %d pages; %d more were queued.", limits.max_pages, len(queue))
    return fetched
