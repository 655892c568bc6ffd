"""Reads what a dashboard request needs from Postgres and turns it into the summary.

The figures are counted in PostgreSQL per local day (`window_counts.day_counts_in`).  The day
counts are kept, and a write recounts only the days it touched (`day_changes`); the alert names
the matcher gives each alert group of a window, and each summary, are kept until what they were
made from changes (every write to the incidents table moves the `incidents_version` sequence; the
runbook tables are re-read on every request).  So a new filter is sums in memory, a new period
reads only the days it adds, and a sync costs a recount of its own days.
"""
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import psycopg2

from alert_visualization import day_changes, incident_store, metrics, runbook_coverage, window_counts
from alert_visualization.bot_feedback import most_corrected, weekly_counts
from alert_visualization.filters import RANGES, Filters
from alert_visualization.metrics import Period
from alert_visualization.status_panel import status_panel
from alert_visualization.suite_metrics import suite_figures
from alert_visualization.summary import build_summary
from database import heartbeats
from database.connection import Connection
from database.outage import Database
from generate_documentation_db import rule_store
from generate_documentation_db.rule_coverage import ON_SITE, stored_coverage
from matching.knowledge_base import LiveIndex, rules_version
from matching.lessons import lessons_version, taught_alerts, taught_lessons
from matching.matcher import alert_key_reader

log = logging.getLogger(__name__)

CACHED_WINDOWS = 4  # alert names of a window: one entry per alert group
KEPT_DAYS = 800  # kept day counts spanning more are read afresh rather than extended
CACHED_SUMMARIES = 32
PARALLEL_DAYS = timedelta(days=14)  # a read of more days counts its hours on a second connection beside it
BOT_WEEKS = 8  # how many weeks the "how the bot did" table goes back


@dataclass(frozen=True)
class _KeptDays:
    counts: window_counts.DayCounts
    snapshot: str  # the snapshot of the transaction they were counted (or last found current) in
    taken_at: float  # time.monotonic() of that snapshot

    def covers(self, first_day: date, last_day: date) -> bool:
        return self.counts.first_day <= first_day and last_day <= self.counts.last_day

    def trusted(self) -> bool:
        """The change log still holds every write since the snapshot (it is pruned after a day)."""
        return time.monotonic() - self.taken_at < day_changes.TRUSTED_FOR.total_seconds()


def _runs(days):
    """[(first, last)] of the consecutive runs of sorted `days`."""
    runs = []
    for day in days:
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _idle(conn):
    # A REPEATABLE READ transaction must start afresh; the reads before it may have left theirs open.
    if conn.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
        conn.commit()


class DashboardData:
    """What the views ask for.  Every read goes through `database.run`, so a request arriving just
    after a database restart is answered on a fresh connection instead of failing."""

    def __init__(self, database: Database, timezone: str, match_threshold: float | None = None) -> None:
        self.timezone = timezone
        self.database = database
        # Alerts are counted by the runbook the bot's matcher finds for them, as in the handoff mail.
        self.runbooks = LiveIndex()
        self._key_of = None
        self._taught_version = None  # what the team had taught when _key_of was made
        self._match_threshold = match_threshold
        self._alert_keys = {}  # (period, versions) -> {alert group: alert key}
        self._days = None  # _KeptDays: the day counts and the snapshot they were counted in
        self._services = (None, [])  # (incidents version, every service's name)
        self._summaries = {}  # callers must not modify a returned summary
        self._rule_gaps = (None, None)  # (versions it was made from, gaps)
        self._lock = threading.Lock()
        self._reading = threading.Lock()  # held while day counts are read (day_counts)
        # Counts the hours beside the alerts of a long read, on a connection of its own.
        self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dashboard-hours")

    def warm(self, stopping: threading.Event | None = None) -> None:
        """Count the preset periods ahead of anyone asking: at start, and after each sync of this process,
        so the first view of a period is not the one that waits for 180 days of incidents to be counted
        (the 90 days first: their day counts hold the 30 and the 7 days too).  Stops between periods once
        `stopping` is set.  Logged, never raised."""
        try:
            presets = [Filters(days) for days in sorted(RANGES, key=int, reverse=True)]
            # The first time, the runbooks' index is built (Python) while the longest period's days are
            # counted (PostgreSQL).
            indexing = threading.Thread(target=self._index_now, name="warm-index") if not self.runbooks.loaded else None
            if indexing:
                indexing.start()
            longest = presets[0].period(self.timezone)
            self.database.run(lambda conn: self.day_counts(conn, longest.previous().first_day, longest.last_day))
            if indexing:
                indexing.join()
            for filters in presets:
                if stopping is not None and stopping.is_set():
                    return
                self.summary(filters)
        except Exception:
            log.exception("Could not count the dashboard's periods ahead of time; requests will count them.")

    def _index_now(self):
        try:
            self.database.run(self.runbooks.current)
        except Exception as error:  # the summaries after it load the index themselves
            log.warning("Could not load the runbooks for matching ahead of time (%s).", type(error).__name__)
        finally:
            self.database.forget()  # this short-lived thread's connection

    def close(self) -> None:
        self._helper.shutdown(wait=True)
        self.database.close()

    def _version(self, conn):
        """What changes with every write to the incidents table: the sequence the trigger of migration 0082
        moves, and the end of the latest sync.  The sequence moves before its writer commits (sequences are
        not transactional), so counts read in between would be kept as current; the sync's end is recorded
        after its incidents are committed, and makes them read again."""
        with conn, conn.cursor() as cur:
            cur.execute("SELECT last_value, is_called, (SELECT max(finished_at) FROM pagerduty_sync_runs)"
                        " FROM incidents_version")
            return cur.fetchone()

    def _alert_key_reader(self, conn, index, taught_version):
        if self._key_of is None or self._taught_version != taught_version:
            reader = alert_key_reader(index, self._match_threshold, taught_lessons(conn))
            with self._lock:
                self._key_of, self._taught_version = reader, taught_version
        return self._key_of

    def day_counts(self, conn: Connection, first_day: date, last_day: date) -> window_counts.DayCounts:
        """Per-day counts covering first_day..last_day.  The days already counted are kept: a write since
        makes only its own days counted again (`day_changes`), and a new period reads only the days
        before or after the kept ones, so a new filter reads nothing."""
        kept = self._days
        if kept is not None and kept.covers(first_day, last_day) and kept.trusted():
            _idle(conn)
            with conn, conn.cursor() as cur:
                snapshot = day_changes.take_snapshot(cur)
                written = day_changes.changed_hours(cur, kept.snapshot)
            if not written:
                self._keep(kept.counts, snapshot, replacing=kept)
                return kept.counts
        # One count at a time: a request that comes while the warm-up (or another request) is counting
        # these days waits for that count instead of making its own beside it on the same two cores.
        with self._reading:
            _idle(conn)
            with conn, conn.cursor() as cur:
                snapshot = day_changes.take_snapshot(cur)
                counts = self._counted(cur, self._days, first_day, last_day)
            self._keep(counts, snapshot)
        return counts

    def _counted(self, cur, kept, first_day, last_day):
        """The day counts of first_day..last_day, made from `kept` where it can be, in `cur`'s transaction."""
        def read(first, last):
            elsewhere = self._hours_elsewhere(cur) if last - first >= PARALLEL_DAYS else None
            return window_counts.day_counts_in(cur, first, last, self.timezone, elsewhere)

        if kept is None or not kept.trusted():
            return read(first_day, last_day)
        counts = kept.counts
        touching = first_day <= counts.last_day + timedelta(days=1) and counts.first_day - timedelta(days=1) <= last_day
        if not touching or max(last_day, counts.last_day) - min(first_day, counts.first_day) > timedelta(days=KEPT_DAYS):
            return read(first_day, last_day)
        changed = day_changes.changed_days(day_changes.changed_hours(cur, kept.snapshot), self.timezone)
        if changed is day_changes.EVERY_DAY:
            return read(first_day, last_day)
        stale = sorted(day for day in changed if counts.first_day <= day <= counts.last_day)
        if stale:
            counts = counts.without(set(stale))
            for first, last in _runs(stale):
                counts = counts.joined(read(first, last))
        if first_day < counts.first_day:
            counts = counts.joined(read(first_day, counts.first_day - timedelta(days=1)))
        if last_day > counts.last_day:
            counts = counts.joined(read(counts.last_day + timedelta(days=1), last_day))
        return counts

    def _hours_elsewhere(self, cur):
        """A function that counts the hours on the helper thread's connection, in `cur`'s snapshot."""
        cur.execute("SELECT pg_export_snapshot()")
        exported = cur.fetchone()[0]
        return lambda params: self._helper.submit(self._count_hours, exported, params)

    def _count_hours(self, exported, params):
        conn = self.database.connection()  # the helper thread's own
        try:
            _idle(conn)
            with conn, conn.cursor() as cur:
                day_changes.adopt_snapshot(cur, exported)
                return window_counts.hour_counts(cur, params)
        except psycopg2.Error:
            self.database.forget()  # a fresh connection next time; the request's retry covers this one
            raise

    def _keep(self, counts, snapshot, replacing=None):
        """Keep `counts` as of `snapshot`; with `replacing`, only if no other thread kept newer ones meanwhile."""
        with self._lock:
            if replacing is None or self._days is replacing:
                self._days = _KeptDays(counts, snapshot, time.monotonic())

    def alert_keys(self, conn: Connection, period: Period) -> dict[str, str]:
        """{alert group: the alert key the matcher gives its latest title} over `period` and the one
        before it, from the cache while the incidents, runbooks and lessons are unchanged."""
        index = self.runbooks.current(conn)
        taught_version = lessons_version(conn)
        versions = (*self._version(conn), index.version, index.rules.version, taught_version)
        key = (period, versions)
        with self._lock:
            if key in self._alert_keys:
                return self._alert_keys[key]
        whole = window_counts.window_from_days(self.day_counts(conn, period.previous().first_day, period.last_day),
                                               period)
        key_of = self._alert_key_reader(conn, index, taught_version)
        keys = {group: key_of(title) for group, title in window_counts.latest_titles(conn, whole.alerts).items()}
        with self._lock:
            self._alert_keys = {k: v for k, v in self._alert_keys.items() if k[1] == versions}
            if len(self._alert_keys) >= CACHED_WINDOWS:
                self._alert_keys.pop(next(iter(self._alert_keys)))
            self._alert_keys[key] = keys
        return keys

    def _service_names(self, conn):
        version = self._version(conn)
        with self._lock:
            if self._services[0] == version:
                return self._services[1]
        names = incident_store.service_names(conn)
        with self._lock:
            self._services = (version, names)
        return names

    def summary(self, filters: Filters, now: datetime | None = None) -> dict:
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
            alert_keys = self.alert_keys(conn, period)
            days = self.day_counts(conn, period.previous().first_day, period.last_day)
            listed = window_counts.read_open_incidents(conn, period.start, period.end, filters.service,
                                                       filters.urgency)
            return key, None, (covered, changes, finished_at, outcome, days, listed, alert_keys,
                               self._service_names(conn))

        key, cached, inputs = self.database.run(read)
        if cached is not None:
            return cached
        covered, changes, finished_at, outcome, days, listed, alert_keys, services = inputs
        counts = window_counts.window_from_days(days, period, filters.service, filters.urgency, listed)
        summary = build_summary(counts, alert_keys, period, covered, changes, filters.service, filters.urgency)
        summary["last_sync"] = {"finished_at": finished_at.isoformat() if finished_at else None, "outcome": outcome}
        summary["services"] = services
        with self._lock:
            if len(self._summaries) >= CACHED_SUMMARIES:
                self._summaries.pop(next(iter(self._summaries)))
            self._summaries[key] = summary
        return summary

    def export(self, filters: Filters, now: datetime | None = None) -> pd.DataFrame:
        """The filtered incidents of the period, newest first, with their alert keys, for the CSV export."""
        period = filters.period(self.timezone, now)

        def read(conn):
            keys = self.alert_keys(conn, period)
            frame = incident_store.load_incidents(conn, period.start, period.end, filters.service, filters.urgency)
            return frame, keys

        frame, keys = self.database.run(read)
        return metrics.with_alert_groups(frame, keys).sort_values("created_at", ascending=False)

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
