"""A misbehaving site or database never costs the last good runbooks."""
import threading
import time

import psycopg2
import pytest

from generate_documentation_db import runbook_store
from sandbox.docs_server import Fault
from tests.generate_documentation_db.helpers import make_monitor, runbook_html, stored_titles, table_snapshot

ALERTS = ["DiskFull", "EtcdNoLeader", "KubePodCrashLooping"]
PAGE = "/docs/DiskFull.html"


def runbook_rows(conn):
    snapshot = table_snapshot(conn)
    return {table: rows for table, rows in snapshot.items() if table != "doc_pages"}


@pytest.mark.parametrize("fault, problem", [
    (Fault("status", 500), "HTTP 500"),
    (Fault("status", 503), "HTTP 503"),
    (Fault("delay", 1.5), "timeout"),
    (Fault("cut", 300), "truncated"),
    (Fault("truncate", 300), "truncated"),
    (Fault("garbage", 5000), "garbage"),
])
def test_a_faulty_response_keeps_the_last_good_runbooks(site, db, caplog, fault, problem):
    site.write_runbooks(ALERTS)
    monitor = make_monitor(site.url)
    monitor.poll(db)
    before = runbook_rows(db)
    site.write("DiskFull.html", runbook_html("DiskFull", "A newer version of the steps."))
    site.server.faults[PAGE] = fault
    report = monitor.poll(db)
    assert report.faults == [(site.url + "DiskFull.html", problem)]
    assert runbook_rows(db) == before
    assert sum("DiskFull.html" in record.getMessage() for record in caplog.records if record.levelname == "WARNING") == 1
    del site.server.faults[PAGE]
    assert monitor.poll(db).changed == 1
    disk = runbook_store.find_by_alert_key(db, "DiskFull")[0]
    assert "A newer version" in runbook_store.runbook_by_id(db, disk.runbook_id).mrkdwn


def test_an_oversized_page_keeps_the_last_good_runbooks(site, db):
    site.write_runbooks(ALERTS)
    monitor = make_monitor(site.url, max_page_bytes=20_000)
    monitor.poll(db)
    before = runbook_rows(db)
    site.write("DiskFull.html", runbook_html("DiskFull", "Free space. " * 3000))
    report = monitor.poll(db)
    assert report.faults == [(site.url + "DiskFull.html", "too large")]
    assert runbook_rows(db) == before


def test_a_site_that_is_down_keeps_everything(site, db):
    site.write_runbooks(ALERTS)
    monitor = make_monitor(site.url)
    monitor.poll(db)
    before = table_snapshot(db)
    site.server.stop()
    report = monitor.poll(db)
    assert report.faults and all(problem.startswith("connection failed") for _, problem in report.faults)
    assert table_snapshot(db) == before and stored_titles(db) == ALERTS


def test_a_database_lost_mid_poll_leaves_no_half_written_page(site, db, database_url):
    alerts = [f"Alert{number:02d}Firing" for number in range(16)]
    site.write_runbooks(alerts)
    for alert in alerts[8:]:
        site.server.faults[f"/docs/{alert}.html"] = Fault("delay", 0.2)
    watcher = psycopg2.connect(database_url)
    watcher.autocommit = True

    def terminate_after_first_pages():
        deadline = time.monotonic() + 10
        with watcher.cursor() as cur:
            while time.monotonic() < deadline:
                cur.execute("SELECT count(*) FROM runbooks")
                if cur.fetchone()[0] >= 3:
                    break
                time.sleep(0.01)
            cur.execute("SELECT pg_terminate_backend(%s)", (db.get_backend_pid(),))

    killer = threading.Thread(target=terminate_after_first_pages)
    killer.start()
    with pytest.raises((psycopg2.OperationalError, psycopg2.InterfaceError)):
        make_monitor(site.url, concurrency=2).poll(db)
    killer.join()
    with watcher.cursor() as cur:
        cur.execute("SELECT p.url, count(DISTINCT r.id), count(s.id) FROM doc_pages p "
                    "LEFT JOIN runbooks r ON r.page_id = p.id LEFT JOIN runbook_sections s ON s.runbook_id = r.id "
                    "WHERE p.url LIKE '%Firing.html' GROUP BY p.url")
        stored = cur.fetchall()
    assert 0 < len(stored) < len(alerts)
    assert all(runbooks == 1 and sections == 3 for _, runbooks, sections in stored)
    fresh = psycopg2.connect(database_url)
    try:
        make_monitor(site.url).poll(fresh)
        assert len(stored_titles(fresh)) == len(alerts)
    finally:
        fresh.close()
        watcher.close()
