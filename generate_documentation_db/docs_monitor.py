"""One poll of the docs site: what changed is re-parsed and stored, the rest costs a 304.

A poll revisits every known page with a conditional GET, reads the sitemap, follows new
in-scope links, and per page: stores a changed page's runbooks in one transaction, notes
a 404/410 (removing the runbooks on the second in a row), and keeps the last good data on
any fault.  Only one poll runs at a time across processes: the poll holds a PostgreSQL
advisory lock, which costs no write.
"""
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import requests

from database.connection import Connection
from database.locks import Lock, try_lock, unlock
from generate_documentation_db import crawler, page_store
from generate_documentation_db.page_kinds import NOT_RUNBOOK_KINDS, RUNBOOKS
from generate_documentation_db.page_parser import PARSER_VERSION, html_problem, parse_page
from generate_documentation_db.progress import Progress
from generate_documentation_db.runbook_model import ParsedPage
from generate_documentation_db.site_scope import Scope, normalise_url, parse_sitemap

log = logging.getLogger(__name__)
GONE_STATUSES = (404, 410)
# Page kinds that, where runbooks were, say the page is not there right now.
STANDS_FOR_MISSING = ("error", "listing")


@dataclass
class PollReport:
    """What one poll did: the figures the log line, --once and the benchmark print."""

    claimed: bool = True
    urls: int = 0
    requests: int = 0
    bytes_received: int = 0
    not_modified: int = 0
    unchanged: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    faults: list[tuple[str, str]] = field(default_factory=list)  # (url, problem)

    def add(self, other: "PollReport") -> "PollReport":
        """This report and another source's, as one poll of all the docs sources."""
        return PollReport(self.claimed and other.claimed, *(getattr(self, name) + getattr(other, name) for name in (
            "urls", "requests", "bytes_received", "not_modified", "unchanged", "added", "changed", "removed")),
            faults=self.faults + other.faults)

    def summary(self) -> str:
        if not self.claimed:
            return "Another process is crawling the docs site; skipped this poll."
        return (f"Polled {self.urls} URLs with {self.requests} requests ({self.bytes_received} bytes): "
                f"{self.added} added, {self.changed} changed, {self.removed} removed, "
                f"{self.not_modified + self.unchanged} unchanged, {len(self.faults)} faults.")


@dataclass(frozen=True)
class PageResult:
    """A fetch plus, for a good HTML page, its parse (done in the worker thread)."""

    fetched: crawler.Fetched
    page: ParsedPage | None = None
    problem: str | None = None

    @property
    def final_url(self) -> str:
        return self.fetched.final_url


class DocsMonitor:
    """Keeps the runbook tables in step with one docs site (one or several start URLs)."""

    def __init__(self, start_urls: Iterable[str], limits: crawler.CrawlLimits | None = None,
                 session: requests.Session | None = None, progress: Progress | None = None) -> None:
        self.start_urls = [normalise_url(url) for url in start_urls]
        self.scope = Scope.from_start_urls(self.start_urls)
        self.limits = limits or crawler.CrawlLimits()
        self.session = session or crawler.make_session(self.limits)
        self.progress = progress
        self._sitemaps = {}  # sitemap url -> (Validators, page urls): a 304 keeps the list

    def poll(self, conn: Connection) -> PollReport:
        """One poll; returns a PollReport.  Database errors propagate (the caller waits and retries)."""
        if not try_lock(conn, Lock.CRAWL):
            return PollReport(claimed=False)
        try:
            return self._poll_claimed(conn)
        finally:
            unlock(conn, Lock.CRAWL)

    def _poll_claimed(self, conn):
        report = PollReport()
        known = page_store.known_pages(conn)
        seeds = [*self.start_urls, *self._sitemap_pages(report),
                 *[url for url, page in known.items() if page.status != "gone" and self.scope.contains(url)]]

        def validators_for(url):
            stored = known.get(url)
            # A page parsed by an older parser is fetched in full, so the upgrade reaches it.
            if stored is None or stored.parser_version != PARSER_VERSION:
                return None
            return crawler.Validators(stored.etag, stored.last_modified)

        def fetch_one(url):
            return self._fetch_page(url, validators_for)

        def handle(result):
            return self._handle(conn, known, result, report)

        report.urls = crawler.crawl(seeds, self.scope, self.limits, fetch_one, handle, self.progress)
        if self.progress:
            self.progress.finish()
        return report

    def _fetch_page(self, url, validators_for):
        fetched = crawler.fetch(self.session, url, self.scope, self.limits, validators_for(url), validators_for)
        if fetched.problem or fetched.status != 200 or not fetched.is_html:
            return PageResult(fetched, problem=fetched.problem)
        problem = html_problem(fetched.body)
        if problem:
            return PageResult(fetched, problem=problem)
        try:
            return PageResult(fetched, page=parse_page(fetched.body, fetched.final_url))
        except Exception:  # a parser bug on one page must not stop the crawl or lose data
            log.exception("Could not parse %s; keeping its last good version.", url)
            return PageResult(fetched, problem="unparseable")

    def _handle(self, conn, known, result, report):
        fetched = result.fetched
        report.requests += fetched.requests_made
        report.bytes_received += fetched.bytes_received
        stored = known.get(fetched.final_url) or known.get(fetched.url)
        stored_links = list(stored.links) if stored else []
        if result.problem or (fetched.status and fetched.status >= 400 and fetched.status not in GONE_STATUSES):
            problem = result.problem or f"HTTP {fetched.status}"
            log.warning("Could not fetch %s (%s); keeping the last good version, retrying next poll.",
                        fetched.url, problem)
            report.faults.append((fetched.url, problem))
            return stored_links
        if fetched.status == 304:
            report.not_modified += 1
            if stored and stored.status == "missing":
                page_store.record_present(conn, stored.url)
            return stored_links
        if fetched.status in GONE_STATUSES:
            if page_store.record_missing(conn, fetched.url) == "removed":
                report.removed += 1
                log.info("Removed the runbooks of %s: gone on two polls in a row.", fetched.url)
            return []
        if result.page is None:
            return []  # a redirect hop or a non-HTML file: nothing to store
        if result.page.kind in STANDS_FOR_MISSING and stored and stored.status != "gone" and stored.kind == RUNBOOKS:
            # A runbook page that now answers with an error page or a listing (a soft 404 mid-deploy, an
            # SSO page in an outage) is a missing page: its runbooks stay until it is gone twice.
            log.warning("%s now serves %s; keeping its runbooks unless the next poll says the same.", fetched.url,
                        NOT_RUNBOOK_KINDS[result.page.kind])
            if page_store.record_missing(conn, stored.url) == "removed":
                report.removed += 1
            return stored_links
        return self._store(conn, result, report)

    def _store(self, conn, result, report):
        change = page_store.save_page(conn, result.page, result.fetched.validators.etag,
                                      result.fetched.validators.last_modified, PARSER_VERSION)
        if change is None:
            report.unchanged += 1
        else:
            setattr(report, change, getattr(report, change) + 1)
            # An edit is news; the first crawl's thousands of additions are a count in the summary.
            log.log(logging.INFO if change == "changed" else logging.DEBUG, "Page %s %s: %d runbooks.",
                    result.page.url, change, len(result.page.runbooks))
        return list(result.page.links)

    def _sitemap_pages(self, report):
        pages = []
        pending = self.scope.sitemap_urls()
        while pending and len(pending) < 100:  # a sitemap index pointing at itself must end
            url = pending.pop(0)
            validators, cached = self._sitemaps.get(url, (None, []))
            fetched = crawler.fetch(self.session, url, self.scope, self.limits, validators)
            report.requests += fetched.requests_made
            report.bytes_received += fetched.bytes_received
            if fetched.status == 304:
                pages.extend(cached)
            elif fetched.status == 200 and not fetched.problem:
                found, nested = parse_sitemap(fetched.body)
                found = [normalise_url(page) for page in found if page]
                self._sitemaps[url] = (fetched.validators, found)
                pages.extend(found)
                # A sitemap index at the host's root may list sitemaps outside the docs' folder.
                pending.extend(link for link in nested if self.scope.same_host(link) and link not in self._sitemaps)
        return [page for page in dict.fromkeys(pages) if self.scope.contains(page)]

