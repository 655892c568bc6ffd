"""Loading the matcher's index from the runbook tables, and keeping it in step with them.

The only I/O of `matching`.  It reads the runbook tables and the alert rules.  The docs monitor writes a row to ``doc_changes`` for every page it
adds, changes or removes; `LiveIndex` looks at the newest row at most every `check_seconds` and
re-reads only the pages changed since, so a runbook edited on the site is matched on within
seconds of its crawl, with no restart and no full rebuild.
"""
import gc
import logging
import threading
import time
from typing import TYPE_CHECKING

from matching.index import RunbookIndex, RunbookRecord
from matching.rule_book import RuleBook, RuleFacts

if TYPE_CHECKING:
    import psycopg2.extensions

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0
# Patching costs about what adding costs, page by page: past this share of the pages changed at once,
# building the index anew is as quick, and leaves no removed slots behind.
REBUILD_SHARE = 0.5
MEANING_CHARS = 600
# What the runbook says its alert means: the summary the crawler stored, else its Meaning /
# Description / Summary / Overview section, else its first section with text.
_RECORDS_SQL = """
SELECT r.id, p.url, r.title, r.alert_name, r.url, r.kind,
       left(coalesce(nullif(r.summary, ''),
            (SELECT s.body_text FROM runbook_sections s WHERE s.runbook_id = r.id
              AND s.title ~* '^(meaning|description|summary|overview)' ORDER BY s.position LIMIT 1),
            (SELECT s.body_text FROM runbook_sections s WHERE s.runbook_id = r.id AND s.body_text <> ''
              ORDER BY s.position LIMIT 1), ''), %(meaning_chars)s),
       r.body_text,
       ARRAY(SELECT ARRAY[k.alert_key, k.name, k.source] FROM runbook_alert_keys k WHERE k.runbook_id = r.id
             ORDER BY k.alert_key)
FROM runbooks r JOIN doc_pages p ON p.id = r.page_id
"""


def latest_change(conn: "psycopg2.extensions.connection") -> int:
    """The id of the newest ``doc_changes`` row (0 when nothing was ever stored)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM doc_changes")
        return cur.fetchone()[0]


def load_records(conn: "psycopg2.extensions.connection", page_urls: list[str] | None = None) -> list[RunbookRecord]:
    """Every stored runbook as a RunbookRecord, or only those of `page_urls`."""
    where = " WHERE p.url = ANY(%(pages)s)" if page_urls is not None else ""
    with conn, conn.cursor() as cur:
        cur.execute(_RECORDS_SQL + where + " ORDER BY r.id",
                    {"meaning_chars": MEANING_CHARS, "pages": list(page_urls or [])})
        return [RunbookRecord(*row[:8], names=tuple(tuple(name) for name in row[8])) for row in cur.fetchall()]


def load_index(conn: "psycopg2.extensions.connection") -> RunbookIndex:
    """A fresh index of every stored runbook, with the stored alert rules."""
    version = latest_change(conn)  # read first: a change that lands meanwhile is applied next time
    index = RunbookIndex(load_records(conn), version=version)
    index.rules = load_rule_book(conn)
    return index


def rules_version(conn: "psycopg2.extensions.connection") -> int:
    """Moves on whenever the docs monitor stores changed alert rules, in the same transaction (migration 0062)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT version FROM alert_rules_moved")
        return cur.fetchone()[0]


def load_rule_book(conn: "psycopg2.extensions.connection") -> RuleBook:
    """The stored alert rules' templates and runbook links."""
    version = rules_version(conn)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT alert_name, summary, description, runbook_url FROM alert_rules ORDER BY id")
        return RuleBook([RuleFacts(*row) for row in cur.fetchall()], version=version)


def changed_pages(conn: "psycopg2.extensions.connection", since: int) -> tuple[list[str], int]:
    """(pages changed after change `since`, the newest change id)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), %s), coalesce(array_agg(DISTINCT page_url), '{}') "
                    "FROM doc_changes WHERE id > %s", (since, since))
        newest, pages = cur.fetchone()
    return list(pages), newest


class LiveIndex:
    """The index of a long-running process: built on first use, patched when pages change."""

    def __init__(self, check_seconds: float = CHECK_SECONDS) -> None:
        self.check_seconds = check_seconds
        self._index: RunbookIndex | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._freeze = False  # see keep_out_of_the_collector

    @property
    def loaded(self) -> bool:
        """The index has been built once (it is refreshed from then on)."""
        return self._index is not None

    def current(self, conn: "psycopg2.extensions.connection") -> RunbookIndex:
        """The index, refreshed first when the last look at ``doc_changes`` is `check_seconds` old.  While
        another thread refreshes it (a rebuild takes seconds on a big site), the index as it is answers."""
        if self._index is not None and time.monotonic() - self._checked < self.check_seconds:
            return self._index
        if not self._lock.acquire(blocking=self._index is None):
            return self._index
        try:
            if self._index is None:
                started = time.perf_counter()
                self._index = load_index(conn)
                self._frozen_if_asked()
                log.info("Loaded %d runbooks for matching in %.1f s.", len(self._index),
                         time.perf_counter() - started)
            elif time.monotonic() - self._checked >= self.check_seconds:
                self.refresh(conn)
            self._checked = time.monotonic()
            return self._index
        finally:
            self._lock.release()

    def keep_out_of_the_collector(self) -> None:
        """For a long-running process whose index is most of its objects: after each build, everything the
        process holds is moved out of the cyclic garbage collector's reach (gc.freeze), whose full passes
        over the index paused a match for 384 ms at 100,000 sections.  The index has no reference cycles, so
        an index replaced by a rebuild is still freed."""
        self._freeze = True
        if self._index is not None:
            self._frozen_if_asked()

    def _frozen_if_asked(self):
        if self._freeze:
            gc.collect()
            gc.freeze()

    def refresh(self, conn: "psycopg2.extensions.connection") -> list[str]:
        """Apply the pages changed since the index was built or last patched; returns them.  Many pages
        at once (a site-wide re-crawl), or patches that left more removed slots than runbooks, build a
        new index beside the old one, which answers meanwhile, and replace it whole."""
        pages, newest = changed_pages(conn, self._index.version)
        if newest != self._index.version:
            if len(pages) > REBUILD_SHARE * self._index.page_count or self._index.removed_slots > len(self._index):
                started = time.perf_counter()
                self._index = load_index(conn)  # readers holding the old one finish on it
                self._frozen_if_asked()
                log.info("Matching follows %d changed page(s): rebuilt in %.1f s.", len(pages),
                         time.perf_counter() - started)
                return pages
            self._index.replace_pages(pages, load_records(conn, pages), newest)
            log.info("Matching follows %d changed page(s).", len(pages))
        if rules_version(conn) != self._index.rules.version:
            self._index.rules = load_rule_book(conn)  # replaced whole: a reader sees the old or the new
            log.info("Matching follows the alert rules: %d rules.", self._index.rules.rule_count)
        return pages
