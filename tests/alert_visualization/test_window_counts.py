"""The figures counted in PostgreSQL are the figures worked out row by row: the dashboard's summary
(window_counts + summary.build_summary) against the pandas reference (frame_summary), on a synced
sandbox history, for several periods (one across a DST change) and every filter."""
from datetime import date, datetime, timedelta, timezone

import pytest

from alert_visualization import incident_store, incident_sync, runbook_coverage
from alert_visualization.dashboard_data import DashboardData
from alert_visualization.filters import Filters
from alert_visualization.pagerduty_api import PagerDutyClient, retry_policy
from database.connection import connect_url
from database.outage import Database
from matching.lessons import taught_lessons
from matching.matcher import alert_key_reader
from sandbox.pagerduty import DEFAULT_TOKEN, Account, serve_in_thread
from sandbox.pagerduty_history import generate_history
from tests.alert_visualization import row_metrics
from tests.alert_visualization.frame_summary import frame_summary
from tests.alert_visualization.test_dashboard import add_runbook

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=timezone.utc)
ZONE = "Europe/Berlin"  # the history spans the end of summer time (25 October 2026)


@pytest.fixture
def synced(db, database_url):
    """A 60-day sandbox history synced as the dashboard syncs it, a runbook for one of its alerts, and a
    few incidents without a service."""
    history = generate_history(seed=3, days=60, count=3000, end=NOW)
    server = serve_in_thread(Account(history))
    try:
        client = PagerDutyClient(DEFAULT_TOKEN, server.base_url, timeout=10, retry=retry_policy(backoff_factor=0))
        incident_sync.sync(db, client, incident_sync.SyncSettings(initial_days=61), now=NOW)
    finally:
        server.shutdown()
        server.server_close()
    with db, db.cursor() as cur:
        cur.execute("UPDATE incidents SET service_name = NULL WHERE incident_number % 89 = 0")
        cur.execute("SELECT count(*), count(DISTINCT service_name), count(*) FILTER (WHERE merged_into IS NOT NULL),"
                    " count(*) FILTER (WHERE auto_resolved) FROM incidents")
        count, services, merged, auto = cur.fetchone()
    assert count == 3000 and services >= 3 and merged and auto
    add_runbook(db, "http://docs.local/crash", "KubePodCrashLooping", "kubepodcrashlooping")
    data = DashboardData(Database(lambda: connect_url(database_url)), ZONE)
    yield data
    data.close()


def reference(db, data, filters):
    """The summary as the dashboard made it before: every incident of both periods into pandas."""
    period = filters.period(ZONE, NOW)
    index = data.runbooks.current(db)
    key_of = alert_key_reader(index, data._match_threshold, taught_lessons(db))
    frame = row_metrics.with_alert_keys(incident_store.load_incidents(db, period.previous().start, period.end), key_of)
    return frame_summary(frame, period, runbook_coverage.covered_alert_keys(db),
                         runbook_coverage.recent_runbook_changes(db), filters.service, filters.urgency)


def assert_same(counted, reference, where, field=None):
    """Equal, except that a mean in minutes may be one hundredth off: the reference adds floats, so
    where the exact mean ends in 5 at the third place it can round the other way."""
    if isinstance(reference, dict):
        assert isinstance(counted, dict) and counted.keys() == reference.keys(), where
        for key, value in reference.items():
            assert_same(counted[key], value, where, key if key not in ("value", "previous", "change") else field)
    elif isinstance(reference, list):
        assert isinstance(counted, list) and len(counted) == len(reference), where
        for mine, theirs in zip(counted, reference):
            assert_same(mine, theirs, where, field)
    elif field and "minutes" in field and isinstance(reference, float) and isinstance(counted, float):
        assert abs(counted - reference) <= 0.01 + 1e-9, (where, field, counted, reference)
    else:
        assert counted == reference, (where, field, counted, reference)


def assert_as_the_reference(data, db, filters):
    summary = dict(data.summary(filters, NOW))
    assert summary.pop("services") and summary.pop("last_sync")
    expected = reference(db, data, filters)
    assert summary.keys() == expected.keys()
    for figure, value in expected.items():
        assert_same(summary[figure], value, (filters, figure))


def test_every_figure_and_the_export_are_the_row_by_row_ones_for_every_period_and_filter(synced, db):
    first, second = incident_store.service_names(db)[:2]
    views = [(None, None), (None, "high"), (first, None), (second, "low"), ("(no service)", None),
             ("no such service", "high")]
    # In this order the kept day counts are read, then extended both ways (the 30 days and the 30 before
    # them reach past the first period at each end), then used as they are.
    periods = [Filters("custom", date(2026, 10, 19), date(2026, 11, 1)), Filters("30"), Filters("7")]
    for base in periods:
        for service, urgency in views:
            assert_as_the_reference(synced, db, Filters(base.range, base.first_day, base.last_day, service, urgency))
    # Incidents stored before title keys existed are alert groups of their own titles.
    with db, db.cursor() as cur:
        cur.execute("UPDATE incidents SET title_key = NULL WHERE incident_number % 97 = 0")
    assert_as_the_reference(synced, db, Filters("30"))
    # The figures are not empty ones that would agree trivially.
    whole = synced.summary(Filters("30"), NOW)
    assert whole["kpis"]["incidents"]["value"] > 1000 and whole["noisy_alerts"] and whole["open_incidents"]
    assert whole["kpis"]["mttr_minutes"]["value"] and whole["runbook_coverage"]["covered"]
    assert sum(map(sum, whole["heatmap"]["counts"])) == whole["kpis"]["incidents"]["value"]

    # The CSV export is the filtered period, keyed with the same alert names.
    filters = Filters("7", service=first, urgency="high")
    exported, summary = synced.export(filters, NOW), synced.summary(filters, NOW)
    assert len(exported) == summary["kpis"]["incidents"]["value"] > 0
    assert exported["created_at"].is_monotonic_decreasing
    in_export = exported["alert_key"].value_counts()
    assert all(in_export[row["alert_key"]] == row["count"] for row in summary["top_alerts"])
    assert synced.export(Filters("7", service="no such service"), NOW).empty


def test_an_import_committed_while_the_dashboard_read_is_counted_at_the_next_request(synced, db, database_url):
    before = synced.summary(Filters("7"), NOW)["kpis"]["incidents"]["value"]
    writer = connect_url(database_url)
    with writer.cursor() as cur:  # written, its statement's version moved, not yet committed
        incident_store.upsert_incidents(cur, [{
            "id": "QNEW", "incident_number": 999_999, "title": "Disk full on db-9", "status": "triggered",
            "urgency": "high", "service_id": None, "service_name": "database", "created_at": NOW - timedelta(hours=1),
            "first_acknowledged_at": None, "resolved_at": None, "auto_resolved": None, "html_url": None,
            "source": "csv", "merged_into": None}])
    assert synced.summary(Filters("7", urgency="high"), NOW)["kpis"]["incidents"]["value"] > 0  # read meanwhile
    writer.commit()
    incident_store.mark_incidents_changed(writer)  # as import_csv does after its commit
    writer.close()
    after = synced.summary(Filters("7"), NOW)
    assert after["kpis"]["incidents"]["value"] == before + 1
    assert "QNEW" in [row["id"] for row in after["open_incidents"]]



def test_warming_counts_the_preset_periods_so_their_first_view_is_already_made(synced):
    synced.warm()
    warmed = list(synced._summaries.values())
    assert len(warmed) == 3
    kept = synced._days.counts
    assert kept.last_day - kept.first_day >= timedelta(days=179)  # the 90 days and the 90 before them
    for days in ("7", "30", "90"):
        assert any(synced.summary(Filters(days)) is summary for summary in warmed)


def test_a_write_makes_only_the_days_it_touched_counted_again(synced, db):
    filters = Filters("30")
    before = synced.summary(filters, NOW)["kpis"]["incidents"]["value"]
    oldest = "SELECT id FROM incidents WHERE created_at BETWEEN %s AND %s ORDER BY id LIMIT 1"
    with db, db.cursor() as cur:
        # A delete the change log does not see: its day is not counted again, so it does not show.
        cur.execute("ALTER TABLE incidents DISABLE TRIGGER incident_changes_deleted")
        cur.execute(f"DELETE FROM incidents WHERE id = ({oldest})", (NOW - timedelta(days=20), NOW - timedelta(days=19)))
        cur.execute("ALTER TABLE incidents ENABLE TRIGGER incident_changes_deleted")
        # One it sees: that day is.
        cur.execute(f"DELETE FROM incidents WHERE id = ({oldest})", (NOW - timedelta(days=3), NOW - timedelta(days=2)))
    assert synced.summary(filters, NOW)["kpis"]["incidents"]["value"] == before - 1


def test_counts_kept_across_writes_are_the_row_by_row_ones(synced, db, database_url):
    assert_as_the_reference(synced, db, Filters("30"))
    # A sync that began before the dashboard counted and commits after: its transaction was not in
    # the snapshot the days were counted in, so they are counted again when it has committed.
    writer = connect_url(database_url)
    with writer.cursor() as cur:
        cur.execute("UPDATE incidents SET urgency = CASE urgency WHEN 'high' THEN 'low' ELSE 'high' END "
                    "WHERE incident_number %% 13 = 0 AND created_at > %s", (NOW - timedelta(days=10),))
        assert cur.rowcount > 10
    assert_as_the_reference(synced, db, Filters("30"))  # read meanwhile: the write is not committed yet
    writer.commit()
    incident_store.mark_incidents_changed(writer)
    with writer, writer.cursor() as cur:
        cur.execute("DELETE FROM incidents WHERE incident_number %% 17 = 0 AND created_at > %s",
                    (NOW - timedelta(days=40),))
        cur.execute("UPDATE incidents SET resolved_at = NULL, status = 'triggered' WHERE incident_number % 19 = 0")
    writer.close()
    for service, urgency in [(None, None), (None, "high"), (incident_store.service_names(db)[0], "low")]:
        assert_as_the_reference(synced, db, Filters("30", service=service, urgency=urgency))
    with db, db.cursor() as cur:
        cur.execute("TRUNCATE incidents CASCADE")
    assert synced.summary(Filters("30"), NOW)["kpis"]["incidents"]["value"] == 0
