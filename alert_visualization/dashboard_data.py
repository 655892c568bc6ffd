"""Reads what a dashboard request needs from Postgres and turns it into the summary.

The incidents frame of a window, and each summary, are cached until what they were made
from changes (a sync or an import bumps the incidents' row count or latest `synced_at`;
the runbook tables are re-read on every request), so repeated views of a 100,000-incident
window are not recomputed.
"""
import logging
import threading
from contextlib import contextmanager

import psycopg2
from psycopg2.pool import ThreadedConnectionPool

from alert_visualization import incident_store, process_alerts, runbook_data
from alert_visualization.status_panel import status_panel
from generate_documentation_db import process_status
from generate_documentation_db.database_connection import connection_lost
from alert_visualization.summary import apply_filters, build_summary
from matching.knowledge_base import LiveIndex
from matching.matcher import DEFAULT_THRESHOLD, alert_key_reader

log = logging.getLogger(__name__)

CACHED_WINDOWS = 2  # a 100,000-incident window is tens of MB in memory
CACHED_SUMMARIES = 32


class DashboardData:
    def __init__(self, database_url, timezone, max_connections=4, match_threshold=DEFAULT_THRESHOLD):
        self.timezone = timezone
        self.pool = ThreadedConnectionPool(1, max_connections, database_url)
        # Alerts are counted by the runbook the bot's matcher finds for them, as in the handoff mail.
        self.runbooks = LiveIndex()
        self._key_of = None
        self._match_threshold = match_threshold
        self._frames = {}
        self._summaries = {}  # callers must not modify a returned summary
        self._lock = threading.Lock()

    @contextmanager
    def connection(self):
        conn = self._live_connection()
        try:
            yield conn
        except psycopg2.Error as error:
            if connection_lost(error):
                conn.close()  # broken by a database restart: dropped, never handed out again
            raise
        finally:
            self._give_back(conn)

    def _live_connection(self):
        """A pooled connection that still reaches the server: after a database restart every idle one
        is broken, and the first request to get one must not be the one that finds out."""
        for _ in range(self.pool.maxconn + 1):
            conn = self.pool.getconn()
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT 1")
                conn.rollback()
                return conn
            except psycopg2.Error as error:
                self.pool.putconn(conn, close=True)
                if not connection_lost(error):
                    raise
        return self.pool.getconn()

    def _give_back(self, conn):
        """Back to the pool, rolled back; one that cannot even roll back is closed, and the pool drops it.

        A slot never given back stays taken: a few restarts would exhaust the pool.
        """
        if not conn.closed:
            try:
                conn.rollback()
            except psycopg2.Error:
                conn.close()
        self.pool.putconn(conn)

    def load_runbooks(self):
        """Build the matcher's index ahead of the first request (logged, never raised: requests retry)."""
        try:
            with self.connection() as conn:
                self.runbooks.current(conn)
        except Exception:
            log.exception("Could not load the runbooks for naming alerts; the first request will try again.")

    def close(self):
        self.pool.closeall()

    def _version(self, conn):
        with conn.cursor() as cur:
            cur.execute("SELECT count(*), max(synced_at) FROM incidents")
            return cur.fetchone()

    def incidents(self, conn, since, until):
        """Incidents created in [since, until) with alert keys, from the cache when unchanged."""
        index = self.runbooks.current(conn)
        key = (since, until, (*self._version(conn), index.version))
        with self._lock:
            if key in self._frames:
                return self._frames[key]
            if self._key_of is None:
                self._key_of = alert_key_reader(index, self._match_threshold)
        frame = process_alerts.with_alert_keys(incident_store.load_incidents(conn, since, until), self._key_of)
        with self._lock:
            self._frames = {k: v for k, v in self._frames.items() if k[2] == key[2]}
            if len(self._frames) >= CACHED_WINDOWS:
                self._frames.pop(next(iter(self._frames)))
            self._frames[key] = frame
        return frame

    def summary(self, filters, now=None):
        """The summary for `filters`; recomputed only when an input changed since the last time."""
        period = filters.period(self.timezone, now)
        with self.connection() as conn:
            covered = runbook_data.covered_alert_keys(conn)
            changes = runbook_data.recent_runbook_changes(conn)
            finished_at, outcome = incident_store.last_sync(conn)
            key = (filters, period, self._version(conn), self.runbooks.current(conn).version, frozenset(covered),
                   repr(changes), finished_at)
            with self._lock:
                if key in self._summaries:
                    return self._summaries[key]
            frame = self.incidents(conn, period.previous().start, period.end)
            services = incident_store.service_names(conn)
        summary = build_summary(frame, period, covered, changes, filters.service, filters.urgency)
        summary["last_sync"] = {"finished_at": finished_at.isoformat() if finished_at else None, "outcome": outcome}
        summary["services"] = services
        with self._lock:
            if len(self._summaries) >= CACHED_SUMMARIES:
                self._summaries.pop(next(iter(self._summaries)))
            self._summaries[key] = summary
        return summary

    def export(self, filters, now=None):
        """The filtered incidents of the period, newest first, for the CSV export."""
        period = filters.period(self.timezone, now)
        with self.connection() as conn:
            frame = self.incidents(conn, period.previous().start, period.end)
        chosen = process_alerts.in_period(apply_filters(frame, filters.service, filters.urgency), period)
        return chosen.sort_values("created_at", ascending=False)

    def suite_status(self):
        """The status panel: each process's heartbeat, never cached (it is about now)."""
        with self.connection() as conn:
            return status_panel(process_status.suite_status(conn))

    def health(self):
        """/healthz: "ok", or "stale" when a process's heartbeat is older than three intervals."""
        with self.connection() as conn:
            finished_at, outcome = incident_store.last_sync(conn)
            count, _ = self._version(conn)
        panel = self.suite_status()
        return {"status": "ok" if panel["healthy"] else "stale", "incidents": count,
                "last_sync_at": finished_at.isoformat() if finished_at else None,
                "last_sync_outcome": outcome, "processes": panel["processes"]}
