"""The PagerDuty REST API v2 client: one `requests` Session, retries, classic pagination.

PagerDuty's classic pagination refuses any request whose offset + limit passes 10,000
(HTTP 400), and `since`..`until` may span at most 6 months.  `iter_window` therefore walks
a time range in spans under 6 months and, when a span holds more records than the cap
(the first page asks for `total`), bisects it in time and walks the halves instead.
429s and 5xx are retried by urllib3's `Retry`, honouring `Retry-After` and PagerDuty's own
`ratelimit-reset` (see PagerDutyRetry).
"""
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Self

import requests
from requests.adapters import HTTPAdapter
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

if TYPE_CHECKING:
    from utils import Config

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.pagerduty.com"
# Accounts in PagerDuty's EU service region answer on their own host; a key of one region is refused by the other.
REGION_API_URLS = {"us": DEFAULT_API_URL, "eu": "https://api.eu.pagerduty.com"}
OFFSET_CAP = 10_000
PAGE_LIMIT = 100
# Under the API's 6-month since/until limit, whatever the months' lengths.
MAX_SPAN = timedelta(days=179)
# A window this short that still holds more than the cap cannot be split further.
MIN_SPLIT = timedelta(seconds=1)


class PagerDutyError(Exception):
    """The API refused a request for a reason retrying will not fix (bad token, bad input)."""


class PagerDutyRetry(Retry):
    """urllib3's Retry, reading PagerDuty's rate-limit headers.

    A 429 from PagerDuty says when its per-minute window resets (`ratelimit-reset`, in seconds), not
    Retry-After, and sometimes carries no headers at all; then the wait starts at `headerless_wait`
    and doubles up to a minute, the length of the window (the limit is shared with the account's
    other tools, so the window may be spent by someone else).
    """

    headerless_wait = 5.0
    headerless_seen = 0  # 429s without headers so far in this request: only those double the wait

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        stated = super().get_retry_after(response)
        if stated is not None:
            return stated
        reset = response.headers.get("ratelimit-reset")
        if reset is not None:
            try:
                return max(0.0, float(reset))
            except ValueError:
                pass
        if response.status == 429:
            # A 429 that said when to come back does not count: it was a short wait, not a guess.
            wait = min(60.0, self.headerless_wait * 2 ** self.headerless_seen)
            self.headerless_seen += 1
            return wait
        return None

    def new(self, **kw: object) -> Self:
        retry = super().new(**kw)
        retry.headerless_wait, retry.headerless_seen = self.headerless_wait, self.headerless_seen
        return retry


BACKOFF_MAX_SECONDS = 8


def retry_policy(total: int = 8, backoff_factor: float = 0.5, headerless_wait: float = 5.0,
                 backoff_max: float = BACKOFF_MAX_SECONDS) -> PagerDutyRetry:
    """Retry 429 and 5xx on GETs; Retry-After or PagerDuty's ratelimit-reset wins over the backoff."""
    retry = PagerDutyRetry(
        total=total, connect=total, read=total, status=total,
        # urllib3 grows the backoff with every error of the request, 429s included: capped low, a 500
        # after a run of rate limits waits seconds, not minutes (the 429s wait as PagerDuty says).
        backoff_factor=backoff_factor, backoff_max=backoff_max,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=True,
    )
    retry.headerless_wait = headerless_wait
    return retry


@dataclass
class PagerDutyClient:
    """A thin client: `get()` one resource page, `iter_window()` every record in a time range."""

    token: str = field(repr=False)
    base_url: str = DEFAULT_API_URL
    timeout: float = 30.0
    retry: Retry = field(default_factory=retry_policy)
    requests_made: int = 0

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(max_retries=self.retry))
        self.session.mount("https://", HTTPAdapter(max_retries=self.retry))
        self.session.headers.update({
            "Authorization": f"Token token={self.token}",
            "Accept": "application/vnd.pagerduty+json;version=2",
            "User-Agent": "oncall-helper-dashboard",
        })

    def get(self, path: str, params: dict[str, object]) -> dict:
        """One GET; a 4xx becomes PagerDutyError with the API's own message (never the token)."""
        self.requests_made += 1
        response = self.session.get(f"{self.base_url}{path}", params=params, timeout=self.timeout)
        if response.status_code == 401:
            raise PagerDutyError(f"PagerDuty at {self.base_url} refused PAGERDUTY_TOKEN (HTTP 401: {_api_error(response)}); "
                                 "check the key, and PAGERDUTY_REGION for an account in the EU service region.")
        if response.status_code >= 400:
            raise PagerDutyError(f"PagerDuty refused GET {path} with HTTP {response.status_code}: {_api_error(response)}")
        return response.json()

    def iter_window(self, path: str, key: str, since: datetime, until: datetime,
                    params: dict[str, object] | None = None) -> Iterator[list[dict]]:
        """Every record of `path` between since and until, in windows the API accepts."""
        for start, end in split_span(since, until, MAX_SPAN):
            yield from self._iter_capped(path, key, start, end, dict(params or {}))

    def iter_list(self, path: str, key: str, params: dict[str, object] | None = None) -> Iterator[list[dict]]:
        """Every record of a list without a time window (/services), page by page."""
        query = {**(params or {}), "limit": PAGE_LIMIT, "offset": 0}
        yield from self._pages(path, key, query, self.get(path, query))

    def _iter_capped(self, path, key, since, until, params):
        query = {**params, "since": iso(since), "until": iso(until), "limit": PAGE_LIMIT, "offset": 0, "total": "true"}
        first = self.get(path, query)
        total = first.get("total") or 0
        if total > OFFSET_CAP and until - since > MIN_SPLIT:
            middle = since + (until - since) / 2
            log.debug("%s holds %d records between %s and %s; splitting.", path, total, since, until)
            yield from self._iter_capped(path, key, since, middle, params)
            yield from self._iter_capped(path, key, middle, until, params)
            return
        if total > OFFSET_CAP:
            log.warning("%s holds %d records in one second at %s; only %d can be read.", path, total, since, OFFSET_CAP)
        yield from self._pages(path, key, query, first)

    def _pages(self, path, key, query, page):
        while True:
            yield page[key]
            offset = query["offset"] + len(page[key])
            if not page.get("more") or not page[key]:
                return
            if offset + PAGE_LIMIT > OFFSET_CAP:
                # Only when the API gave no `total` could the window not be split before; say so.
                log.warning("%s has more than %d records from %s to %s and PagerDuty gave no total; the rest "
                            "of that window is not read.", path, OFFSET_CAP, query.get("since"), query.get("until"))
                return
            query = {**query, "offset": offset, "total": "false"}
            page = self.get(path, query)

    def close(self) -> None:
        self.session.close()


def split_span(since: datetime, until: datetime, longest: timedelta) -> list[tuple[datetime, datetime]]:
    """[(start, end)] covering since..until, each no longer than `longest`."""
    spans = []
    start = since
    while start < until:
        end = min(start + longest, until)
        spans.append((start, end))
        start = end
    return spans


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime | None:
    """An API timestamp (any offset, or Z) as an aware UTC datetime; None stays None."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _api_error(response):
    try:
        error = response.json().get("error", {})
    except ValueError:
        return response.reason or "no details"
    details = "; ".join(error.get("errors") or [])
    return f"{error.get('message', response.reason)}{' (' + details + ')' if details else ''}"


def client_from_config(config: "Config") -> PagerDutyClient:
    """A client from PAGERDUTY_TOKEN / PAGERDUTY_REGION or PAGERDUTY_API_URL / PAGERDUTY_TIMEOUT_SECONDS."""
    config.require("PAGERDUTY_TOKEN", feature="the PagerDuty incident sync")
    region = config.choice("PAGERDUTY_REGION", tuple(REGION_API_URLS), "us")
    return PagerDutyClient(
        token=config.text("PAGERDUTY_TOKEN"),
        base_url=config.url("PAGERDUTY_API_URL", REGION_API_URLS[region]),
        timeout=config.number("PAGERDUTY_TIMEOUT_SECONDS", 30.0, minimum=1, maximum=600),
    )
