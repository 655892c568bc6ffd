"""Reads what a dashboard request needs from Postgres and turns it into the summary.

The incidents frame of a window, and each summary, are cached until what they were made
from changes (every write to the incidents table moves the `incidents_version` sequence;
the runbook tables are re-read on every request), so repeated views of a 100,000-incident
window are not recomputed.
"""
import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pandas as pd

from alert_visualization import incident_store, metrics, runbook_coverage
from alert_visualization.bot_feedback import most_corrected, weekly_counts
from alert_visualization.status_panel import status_panel
from alert_visualization.suite_metrics import suite_figures
from alert_visualization.summary import apply_filters, build_summary
from database import heartbeats
from database.connection import Connection
from database.outage import Database
from generate_documentation_db import rule_store
from generate_documentation_db.rule_coverage import ON_SITE, stored_coverage
from matching.knowledge_base import LiveIndex, rules_version
from matching.lessons import lessons_version, taught_alerts, taught_lessons
from matching.matcher import DEFAULT_THRESHOLD, alert_key_reader

if TYPE_CHECKING:
    from alert_visualization.filters import Filters

log = logging.getLogger(__name__)

CACHED_WINDOWS = 2  # a 100,000-incident window is tens of MB in memory
CACHED_SUMMARIES = 32
BOT_WEEKS = 8  # how many weeks the "how the bot did" table goes back


class DashboardData:
    """What the views ask for.  Every read goes through `database.run`, so a request arriving just
    after a database restart is answered on a fresh connection instead of failing."""

    def __init__(self, database: Database, timezone: str, match_threshold: float = DEFAULT_THRESHOLD) -> None:
        self.timezone = timezone
        self.database = database
        # Alerts are counted by the runbook the bot's matcher finds for them, as in the handoff mail.
        self.runbooks = LiveIndex()
        self._key_of = None
        self._taught_version = None  # what the team had taught when _key_of was made
        self._match_threshold = match_threshold
        self._frames = {}
        self._summaries = {}  # callers must not modify a returned summary
        self._rule_gaps = (None, None)  # (versions it was made from, gaps)
        self._lock = threading.Lock()

    def load_runbooks(self) -> None:
        """Build the matcher's index ahead of the first request (logged, never raised: requests retry)."""
        try:
            self.database.run(self.runbooks.current)
        except Exception:
            log.exception("Could not load the runbooks for naming alerts; the first request will try again.")

    def close(self) -> None:
        self.database.close()

    def _version(self, conn):
        """A number that changes with every write to the incidents table (the trigger of migration 0082)."""
        with conn.cursor() as cur:
            cur.execute("SELECT last_value, is_called FROM incidents_version")
            return cur.fetchone()

    def incidents(self, conn: Connection, since: datetime, until: datetime) -> pd.DataFrame:
        """Incidents created in [since, until) with alert keys, from the cache when unchanged."""
        index = self.runbooks.current(conn)
        taught_version = lessons_version(conn)
        key = (since, until, (*self._version(conn), index.version, index.rules.version, taught_version))
        with self._lock:
            if key in self._frames:
                return self._frames[key]
        if self._key_of is None or self._taught_version != taught_version:
            reader = alert_key_reader(index, self._match_threshold, taught_lessons(conn))
            with self._lock:
                self._key_of, self._taught_version = reader, taught_version
        frame = metrics.with_alert_keys(incident_store.load_incidents(conn, since, until), self._key_of)
        with self._lock:
            self._frames = {k: v for k, v in self._frames.items() if k[2] == key[2]}
            if len(self._frames) >= CACHED_WINDOWS:
                self._frames.pop(next(iter(self._frames)))
            self._frames[key] = frame
        return frame

    def summary(self, filters: "Filters", now: datetime | None = None) -> dict:
        """The summary for `filters`; recomputed only when an input changed since the last time."""
        period = filters.period(self.timezone, now)

        def read(conn):
            covered = runbook_coverage.covered_alert_keys(conn)
            changes = runbook_coverage.recent_runbook_changes(conn)
            finished_at, outcome = incident_store.last_sync(conn)
            index = self.runbooks.current(conn)
            key = (filters, period, self._version(conn), index.version, index.rules.version, frozenset(covered),
                   repr(changes), finished_at, lessons_version(conn))
            with self._lock:
                cached = self._summaries.get(key)
            if cached is not None:
                return key, cached, None
            frame = self.incidents(conn, period.previous().start, period.end)
            return key, None, (covered, changes, finished_at, outcome, frame, incident_store.service_names(conn))

        key, cached, inputs = self.database.run(read)
        if cached is not None:
            return cached
        covered, changes, finished_at, outcome, frame, services = inputs
        summary = build_summary(frame, period, covered, changes, filters.service, filters.urgency)
        summary["last_sync"] = {"finished_at": finished_at.isoformat() if finished_at else None, "outcome": outcome}
        summary["services"] = services
        with self._lock:
            if len(self._summaries) >= CACHED_SUMMARIES:
                self._summaries.pop(next(iter(self._summaries)))
            self._summaries[key] = summary
        return summary

    def export(self, filters: "Filters", now: datetime | None = None) -> pd.DataFrame:
        """The filtered incidents of the period, newest first, for the CSV export."""
        period = filters.period(self.timezone, now)
        frame = self.database.run(lambda conn: self.incidents(conn, period.previous().start, period.end))
        chosen = metrics.in_period(apply_filters(frame, filters.service, filters.urgency), period)
        return chosen.sort_values("created_at", ascending=False)

    def rule_gaps(self) -> dict[str, object]:
        """The alert rules with no runbook on the docs site, gaps first by severity (see
        generate_documentation_db.rule_coverage), made again only when the rules or runbooks changed."""
        def read(conn):
            index = self.runbooks.current(conn)
            gone = rule_store.stored_gone_links(conn)
            versions = (rules_version(conn), index.version, frozenset(gone))
            made_from, gaps = self._rule_gaps
            if made_from == versions:
                return gaps
            coverage = stored_coverage(conn, index, gone)
            gaps = {"rules": len(coverage), "gaps": [entry.__dict__ for entry in coverage if entry.status != ON_SITE]}
            self._rule_gaps = (versions, gaps)
            return gaps

        return self.database.run(read)

    def bot_feedback(self, now: datetime | None = None) -> dict[str, object]:
        """How the bot did each of the last BOT_WEEKS weeks (newest first, weeks from Monday in the
        dashboard's zone), the runbooks most often corrected over them, and what the team taught."""
        zone = ZoneInfo(self.timezone)
        today = (now or datetime.now(timezone.utc)).astimezone(zone).date()
        monday = datetime.combine(today - timedelta(days=today.weekday()), datetime.min.time(), zone)
        starts = [monday - timedelta(weeks=back) for back in range(BOT_WEEKS)]

        def read(conn):
            counts = weekly_counts(conn, starts, timedelta(weeks=1))
            weeks = [{"week_of": start.date().isoformat(), **week} for start, week in zip(starts, counts)]
            return {"weeks": weeks, "most_corrected": most_corrected(conn, starts[-1], starts[0] + timedelta(weeks=1)),
                    "taught": taught_alerts(conn)}

        return self.database.run(read)

    def suite_status(self) -> dict[str, object]:
        """The status panel: each process's heartbeat, never cached (it is about now)."""
        return status_panel(self.database.run(heartbeats.suite_status))

    def health(self) -> dict[str, object]:
        """/healthz: this process answers and reaches its database (raises when it cannot).  Another
        process's stale heartbeat is /status's business: a load balancer must not take a healthy
        dashboard out of service because the mailer is down."""
        (finished_at, outcome), count = self.database.run(
            lambda conn: (incident_store.last_sync(conn), incident_store.incident_count(conn)), retry_seconds=0)
        return {"status": "ok", "database": "ok", "incidents": count,
                "last_sync_at": finished_at.isoformat() if finished_at else None, "last_sync_outcome": outcome}

    def status(self) -> dict[str, object]:
        """/status: the suite as the status panel shows it, each process with its heartbeat's age."""
        panel = self.suite_status()
        return {**self.health(), "status": "ok" if panel["healthy"] else "stale", "healthy": panel["healthy"],
                "processes": panel["processes"]}

    def metrics_figures(self) -> dict[str, object]:
        """What /metrics reports, read at scrape time."""
        return self.database.run(suite_figures)
