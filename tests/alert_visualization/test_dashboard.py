"""The dashboard: routes on a real database, the process on loopback, and a headless-Chromium check."""
import csv
import io
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from alert_visualization import incident_store
from alert_visualization.app import create_app, warm_page
from alert_visualization.dashboard_data import DashboardData
from alert_visualization.filters import Filters
from database.connection import connect_url
from database.outage import Database
from sandbox.loopback import free_port
from sandbox.pagerduty import DEFAULT_TOKEN, Account, serve_in_thread
from sandbox.pagerduty_history import generate_history
from tests.alert_visualization.test_metrics import ROWS
from tests.cdp_browser import Browser, find_chromium
from utils import PROJECT_DIR

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", PROJECT_DIR / "test-artifacts"))
XSS = "<img src=x onerror=alert(1)>"
WEEK = "range=custom&from=2026-03-23&to=2026-03-29"


def as_record(row):
    record = dict(zip(incident_store.FRAME_COLUMNS, row))
    return {**record, "incident_number": None, "service_id": None, "source": "api"}


@pytest.fixture
def fixed_incidents(db):
    xss = as_record(("XSS", None, XSS, "triggered", "high", "=cmd|' /C calc'!A0",
                     datetime(2026, 3, 25, 12, tzinfo=timezone.utc), None, None, None, None))
    with db, db.cursor() as cur:
        incident_store.upsert_incidents(cur, [as_record(row) for row in ROWS] + [xss])


@pytest.fixture
def data(database_url):
    dashboard_data = DashboardData(Database(lambda: connect_url(database_url)), "Europe/Berlin")
    yield dashboard_data
    dashboard_data.close()


@pytest.fixture
def client(data, fixed_incidents):
    return create_app(data).test_client()


def test_summary_json_holds_the_hand_computed_numbers(client):
    summary = client.get(f"/api/summary.json?{WEEK}").get_json()
    kpis = {key: kpi["value"] for key, kpi in summary["kpis"].items()}
    # ROWS' nine incidents plus the untrusted-title one, created Wednesday 13:00 local.
    assert kpis["incidents"] == 10 and kpis["high_urgency"] == 8
    assert kpis["mtta_minutes"] == 9.0 and kpis["mttr_minutes"] == 45.0
    # PagerDuty's MTTR counts the auto-resolved incidents too, and the card says which is which.
    assert kpis["mttr_all_minutes"] == 48.57  # (30 + 60 + 3 + 2 + 4 + 240 + 1) / 7: C, D, E, G and K too
    assert "auto-resolved ones included" in summary["kpis"]["mttr_all_minutes"]["definition"]
    assert "notifications" in summary["kpis"]["sleep_interruptions"]["definition"]
    assert kpis["auto_resolved"] == 5 and kpis["sleep_interruptions"] == 5
    assert summary["kpis"]["incidents"]["previous"] == 2
    assert summary["per_day"]["high"] == [3, 2, 1, 0, 0, 1, 1]
    # Days without a person's resolve have no MTTR: null in the JSON, never NaN.
    sunday = next(row for row in summary["response_trend"] if row["start"] == "2026-03-29")
    assert sunday == {"start": "2026-03-29", "incidents": 3, "mtta_minutes": 11.0, "mttr_minutes": None}


def test_filters_in_the_query_string_narrow_every_number(client):
    by_service = client.get(f"/api/summary.json?{WEEK}&service=public-api").get_json()
    assert by_service["kpis"]["incidents"]["value"] == 4
    assert by_service["filters"] == {"service": "public-api", "urgency": None}
    low = client.get(f"/api/summary.json?{WEEK}&urgency=low").get_json()
    assert low["kpis"]["incidents"]["value"] == 2 and low["kpis"]["mtta_minutes"]["value"] == 11.0


def test_export_csv_is_the_filtered_incidents_and_spreadsheet_safe(client):
    response = client.get(f"/export.csv?{WEEK}")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 10 and {row["id"] for row in rows} >= {"A", "K", "XSS"}
    xss = next(row for row in rows if row["id"] == "XSS")
    assert xss["title"] == XSS and xss["service_name"].startswith("'=")  # not run as a formula
    assert len(list(csv.DictReader(io.StringIO(client.get(f"/export.csv?{WEEK}&urgency=low").get_data(as_text=True))))) == 2


def test_page_renders_titles_as_text_and_every_card(client):
    page = client.get(f"/?{WEEK}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert XSS not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert 'data-kpi="incidents" data-value="10"' in body
    assert '<script src="/vendor/plotly-dashboard-4.1.1.min.js">' in body and "cdn" not in body.lower()


def test_plotly_js_is_the_vendored_partial_bundle_cached_for_a_year_and_compressed(client):
    import gzip

    import plotly
    response = client.get("/vendor/plotly-dashboard-4.1.1.min.js")
    assert response.status_code == 200 and b"plotly.js (dashboard: bar, heatmap, pie, scatter - minified) v4.1.1" in response.get_data()[:200]
    assert 1_000_000 < len(response.get_data()) <= 1_300_000  # the cartesian bundle's traces the page never draws are out
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    response.close()
    full = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()[:100]
    assert "v4.1.1" in full  # the same plotly.js as the installed package's figures are made for
    packed = client.get("/vendor/plotly-dashboard-4.1.1.min.js", headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip" and len(packed.get_data()) < 600_000
    assert gzip.decompress(packed.get_data()).startswith(b"/**\n* plotly.js (dashboard")
    page = client.get(f"/?{WEEK}", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip" and b"On-call dashboard" in gzip.decompress(page.get_data())
    assert 'dashboard.css?v=' in gzip.decompress(page.get_data()).decode()


def test_healthz_reports_the_database_and_last_sync_and_status_the_processes(client):
    health = client.get("/healthz").get_json()
    assert health == {"status": "ok", "database": "ok", "incidents": 13, "last_sync_at": None,
                      "last_sync_outcome": None}
    assert [line["state"] for line in client.get("/status").get_json()["processes"]] == ["missing"] * 4


def test_healthz_is_503_when_its_database_is_gone():
    gone = DashboardData(Database(lambda: connect_url("postgresql://127.0.0.1:1/none"), retry_seconds=0), "UTC")
    response = create_app(gone).test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json() == {"status": "error", "database": "unreachable"}


def test_links_work_under_a_path_prefix_and_times_say_their_zone(data, fixed_incidents):
    page = create_app(data).test_client().get(f"/?{WEEK}", base_url="http://localhost/oncall").get_data(as_text=True)
    assert 'action="/oncall/"' in page and 'href="/oncall/export.csv?' in page and 'src="/oncall/vendor/plotly-dashboard-4.1.1.min.js"' in page
    assert 'href="/oncall/static/dashboard.css' in page
    assert not re.search(r'(?:href|src|action)="/(?!oncall/)', page)  # nothing points outside the prefix
    assert re.search(r"<time datetime=\"2026-03-2\d[^\"]*\">2026-03-2\d \d\d:\d\d CET</time>", page)


def test_a_password_guards_everything_but_healthz(data, fixed_incidents):
    guarded = create_app(data, password="s3cret-dashboard").test_client()
    assert guarded.get("/").status_code == 401
    assert guarded.get("/api/summary.json", auth=("oncall", "wrong")).status_code == 401
    assert guarded.get(f"/api/summary.json?{WEEK}", auth=("oncall", "s3cret-dashboard")).status_code == 200
    assert guarded.get("/healthz").status_code == 200


def test_the_page_is_rendered_ahead_of_the_first_view_even_behind_a_password(data, fixed_incidents, caplog):
    guarded = create_app(data, password="s3cret-dashboard")
    warm_page(guarded)  # as the process does at start, for no one: no password asked
    assert data._summaries and "Could not render" not in caplog.text
    # A broken page is a log line, not a crash of the warm-up.
    broken = create_app(DashboardData(Database(lambda: connect_url("postgresql://127.0.0.1:1/none"), retry_seconds=0),
                                      "UTC"))
    warm_page(broken)
    assert "Could not render the dashboard's page ahead of time" in caplog.text


def run_cli(*args, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "alert_visualization", *args], cwd=PROJECT_DIR,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout)


def test_binding_beyond_loopback_without_a_password_is_refused_in_one_sentence(database_url):
    result = run_cli(env={"DATABASE_URL": database_url, "DASHBOARD_HOST": "0.0.0.0"})
    assert result.returncode == 2
    assert result.stderr.strip() == "error: DASHBOARD_PASSWORD must be set to serve the dashboard on 0.0.0.0, beyond loopback."


def test_sync_without_a_token_names_the_key(database_url):
    result = run_cli("--sync", env={"DATABASE_URL": database_url, "PAGERDUTY_TOKEN": ""})
    assert result.returncode == 2 and "PAGERDUTY_TOKEN is not set" in result.stderr


def test_a_port_out_of_range_or_in_use_is_one_sentence_not_a_traceback(database_url):
    result = run_cli(env={"DATABASE_URL": database_url, "DASHBOARD_PORT": "70000"})
    assert result.returncode == 2
    assert result.stderr.strip() == "error: DASHBOARD_PORT must be at most 65535, but environment variable DASHBOARD_PORT sets 70000."
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(env={"DATABASE_URL": database_url, "DASHBOARD_PORT": str(port)})
    assert result.returncode == 1 and "Traceback" not in result.stderr  # an outage: systemd tries again
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: Port {port} on 127.0.0.1 is in use by another program; stop it or set DASHBOARD_PORT to a free port.")


def test_a_sync_from_the_command_line_stops_on_ctrl_c_keeping_what_it_stored(database_url, db):
    server = serve_in_thread(Account(generate_history(seed=5, days=30, count=20_000)))
    try:
        env = {**os.environ, "DATABASE_URL": database_url, "PAGERDUTY_TOKEN": DEFAULT_TOKEN,
               "PAGERDUTY_API_URL": server.base_url, "PAGERDUTY_SYNC_DAYS": "31"}
        process = subprocess.Popen([sys.executable, "-m", "alert_visualization", "--sync"], cwd=PROJECT_DIR, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:  # signalled once the first page is stored
            with db, db.cursor() as cur:
                cur.execute("SELECT count(*) FROM incidents")
                if cur.fetchone()[0]:
                    break
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    assert process.returncode == 1, err
    assert "Stopped after" in out and "the next sync goes on from there" in out
    with db, db.cursor() as cur:
        cur.execute("SELECT count(*) FROM incidents")
        assert 0 < cur.fetchone()[0] < 20_000


def test_import_csv_from_the_command_line(database_url, db, tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("Incident ID,Title,Created At,Urgency\nP1,Disk full on db-1,2026-03-01T10:00:00Z,low\n", encoding="utf-8")
    result = run_cli("--import-csv", str(export), env={"DATABASE_URL": database_url})
    assert result.returncode == 0 and "Imported 1 incidents" in result.stdout
    with db, db.cursor() as cur:
        cur.execute("SELECT title, urgency FROM incidents")
        assert cur.fetchall() == [("Disk full on db-1", "low")]


@pytest.fixture
def sandbox_with_history():
    """The PagerDuty stand-in with 15 days of history ending now, plus an incident with a hostile title."""
    history = generate_history(seed=11, days=15, count=400)
    history.add(XSS, time.time() - 3600)
    server = serve_in_thread(Account(history))
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def dashboard_process(database_url, sandbox_with_history):
    """The real process (waitress + its sync loop) on a free loopback port."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "DASHBOARD_PORT": str(port), "ONCALL_TIMEZONE": "Europe/Berlin",
           "PAGERDUTY_TOKEN": DEFAULT_TOKEN, "PAGERDUTY_API_URL": sandbox_with_history.base_url,
           "PAGERDUTY_SYNC_SECONDS": "600", "PAGERDUTY_SYNC_DAYS": "16"}
    process = subprocess.Popen([sys.executable, "-m", "alert_visualization"], cwd=PROJECT_DIR, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=2).json().get("last_sync_outcome") == "ok":
                break
        except requests.ConnectionError:
            pass
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.3)
    else:
        pytest.fail("The dashboard did not finish its first sync within a minute.")
    yield process, base
    if process.poll() is None:
        process.terminate()
        process.wait(20)


def dashboard_line(base):
    health = requests.get(f"{base}/status", timeout=5).json()
    return next(line for line in health["processes"] if line["process"] == "dashboard")


def test_the_process_syncs_serves_and_stops_cleanly_on_sigterm(dashboard_process):
    process, base = dashboard_process
    assert requests.get(f"{base}/healthz", timeout=5).json()["incidents"] == 401
    deadline = time.monotonic() + 10
    while dashboard_line(base)["last_outcome"] != "synced 401 incidents" and time.monotonic() < deadline:
        time.sleep(0.1)
    line = dashboard_line(base)
    assert line["last_outcome"] == "synced 401 incidents" and line["state"] == "ok", line
    assert line["details"]["interval_seconds"] == 600 and line["details"]["last_sync_at"]
    assert requests.get(f"{base}/?range=30", timeout=30).status_code == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0


def independent_kpis(db, days, urgency=None):
    """The card numbers straight from SQL, with no pandas and no project code."""
    with db, db.cursor() as cur:
        cur.execute("""
            WITH bounds AS (
                SELECT (date_trunc('day', now() AT TIME ZONE 'Europe/Berlin') - (%s - 1) * interval '1 day')
                           AT TIME ZONE 'Europe/Berlin' AS since,
                       (date_trunc('day', now() AT TIME ZONE 'Europe/Berlin') + interval '1 day')
                           AT TIME ZONE 'Europe/Berlin' AS until)
            SELECT count(*), count(*) FILTER (WHERE urgency = 'high'),
                   round((avg(extract(epoch FROM first_acknowledged_at - created_at)) / 60)::numeric, 2),
                   count(*) FILTER (WHERE auto_resolved AND resolved_at IS NOT NULL)
            FROM incidents, bounds
            WHERE created_at >= since AND created_at < until AND (%s::text IS NULL OR urgency = %s)
            """, (days, urgency, urgency))
        count, high, mtta, auto = cur.fetchone()
    return {"incidents": count, "high_urgency": high, "mtta_minutes": float(mtta), "auto_resolved": auto}


def read_cards(browser):
    cards = browser.evaluate(
        "JSON.stringify([...document.querySelectorAll('.kpi')].map(card => [card.dataset.kpi, card.dataset.value,"
        " card.querySelector('.kpi-value').textContent.trim()]))")
    import json
    return {key: (value, text) for key, value, text in json.loads(cards)}


def check_cards_against(cards, summary, independent):
    for key, kpi in summary["kpis"].items():
        shown = "" if kpi["value"] is None else str(kpi["value"])
        assert cards[key][0] == shown and cards[key][1] == (shown or "–"), key
    for key, value in independent.items():
        assert float(cards[key][0]) == value, key


@pytest.mark.skipif(find_chromium() is None, reason="no Chromium on this machine (Debian package 'chromium')")
def test_dashboard_in_headless_chromium(dashboard_process, db):
    _, base = dashboard_process
    browser = Browser(find_chromium())
    try:
        browser.send("Page.enable")
        browser.send("Runtime.enable")
        browser.send("Page.addScriptToEvaluateOnNewDocument",
                     source="window.__dialogs = []; ['alert', 'confirm', 'prompt'].forEach(name => "
                            "{ window[name] = (message) => window.__dialogs.push(String(message)); });")
        browser.send("Page.navigate", url=f"{base}/?range=7")
        assert browser.wait_for("document.body && document.body.dataset.chartsRendered") == "6"
        assert browser.evaluate("document.querySelectorAll('.js-plotly-plot .main-svg').length") >= 6

        summary = requests.get(f"{base}/api/summary.json?range=7", timeout=30).json()
        check_cards_against(read_cards(browser), summary, independent_kpis(db, 7))

        # The hostile title is on the page as text, and nothing ran.
        assert XSS in browser.evaluate("document.getElementById('open-incidents').textContent")
        assert browser.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
        assert browser.evaluate("window.__dialogs.length") == 0
        assert not [event for event in browser.events if event.get("method") == "Page.javascriptDialogOpening"]

        # Change a filter the way a person does, and the link carries it.
        browser.evaluate("document.getElementById('filter-urgency').value = 'high';"
                         " document.body.dataset.chartsRendered = ''; document.getElementById('filter-apply').click(); true")
        browser.wait_for("location.search.includes('urgency=high') && document.body.dataset.chartsRendered === '6'")
        high = requests.get(f"{base}/api/summary.json?range=7&urgency=high", timeout=30).json()
        check_cards_against(read_cards(browser), high, independent_kpis(db, 7, "high"))
        assert high["kpis"]["incidents"]["value"] < summary["kpis"]["incidents"]["value"]

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.screenshot(ARTIFACTS / "dashboard.png")
        assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000

        # Every chart and table is labelled for a screen reader.
        labels = browser.evaluate("[...document.querySelectorAll('.chart')].map(c => [c.getAttribute('role'), "
                                  "c.getAttribute('aria-label')])")
        assert len(labels) == 6 and all(role == "img" and label.startswith("Chart: ") for role, label in labels)
        assert browser.evaluate("[...document.querySelectorAll('table')].every(t => t.getAttribute('aria-label') || "
                                "(t.getAttribute('aria-labelledby') && document.getElementById("
                                "t.getAttribute('aria-labelledby')).textContent.trim()))") is True

        # A browser that prefers dark gets a dark page and dark charts.
        browser.send("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": "dark"}])
        browser.wait_for("[...document.querySelectorAll('.chart')].every(c => c.dataset.theme === 'dark')")
        assert browser.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(21, 23, 26)"
        assert browser.evaluate("document.getElementById('chart-over-time').layout.paper_bgcolor") == "#1e2125"
        browser.screenshot(ARTIFACTS / "dashboard-dark.png")
        assert (ARTIFACTS / "dashboard-dark.png").stat().st_size > 10_000
    finally:
        browser.close()


def add_runbook(db, url, alert_name, key):
    with db, db.cursor() as cur:
        cur.execute("INSERT INTO doc_pages (url, title) VALUES (%s, %s) RETURNING id", (url, alert_name))
        page_id = cur.fetchone()[0]
        cur.execute("INSERT INTO runbooks (page_id, position, title, alert_name, url) VALUES (%s, 0, %s, %s, %s) "
                    "RETURNING id", (page_id, alert_name, alert_name, url))
        runbook_id = cur.fetchone()[0]
        cur.execute("INSERT INTO runbook_alert_keys (runbook_id, alert_key, name, source) VALUES (%s, %s, %s, 'title')",
                    (runbook_id, key, alert_name))
        return runbook_id


def test_coverage_reads_runbook_keys_and_the_bots_matches(client, db):
    runbook_id = add_runbook(db, "http://docs.local/kube", "KubePodCrashLooping", "kubepodcrashlooping")
    with db, db.cursor() as cur:
        # The bot matched an Alertmanager summary title to a runbook by text: that key is covered too.
        cur.execute("INSERT INTO alert_events (channel, message_ts, title, alert_key, runbook_id, match_reason)"
                    " VALUES ('C1', '1.1', 'Nightly billing export missing', 'nightly billing export missing', %s,"
                    " 'text match'), ('C1', '1.2', '[P2] etcd has no leader', 'etcd has no leader', NULL, 'none')",
                    (runbook_id,))
        cur.execute("INSERT INTO doc_changes (page_url, change, runbooks, changed_at) VALUES"
                    " ('http://docs.local/kube', 'changed', '{KubePodCrashLooping}', '2026-03-25T10:00:00Z')")
        cur.execute("INSERT INTO doc_changes (page_url, change, runbooks, changed_at, commit_sha, author, message)"
                    " VALUES ('https://git.local/blob/main/disk.md', 'added', '{DiskFull}', '2026-03-25T09:00:00Z',"
                    " '3f2c1e0a9b', 'ana', 'raise the threshold')")
    summary = client.get(f"/api/summary.json?{WEEK}").get_json()
    coverage = summary["runbook_coverage"]
    # Covered: A, B (kube pod crash looping) and H (nightly billing) -- 3 of 10.
    assert (coverage["covered"], coverage["incidents"]) == (3, 10)
    assert summary["kpis"]["runbook_coverage_pct"]["value"] == 30.0
    assert [row["alert_key"] for row in coverage["without_runbook"]][:2] == ["api 5xx", "etcd has no leader"]
    top = {row["alert_key"]: row["has_runbook"] for row in summary["top_alerts"]}
    assert top["kube pod crash looping"] and not top["api 5xx"]
    assert summary["runbook_changes"] == [
        {"changed_at": "2026-03-25T10:00:00+00:00", "page_url": "http://docs.local/kube", "change": "changed",
         "runbooks": ["KubePodCrashLooping"], "by": None},
        {"changed_at": "2026-03-25T09:00:00+00:00", "page_url": "https://git.local/blob/main/disk.md", "change": "added",
         "runbooks": ["DiskFull"], "by": "ana in 3f2c1e0: raise the threshold"}]
    assert "ana in 3f2c1e0: raise the threshold" in client.get(f"/?{WEEK}").get_data(as_text=True)


def test_the_alert_rules_without_a_runbook_are_listed_before_they_fire(client, db):
    from generate_documentation_db.alert_rules import AlertRule
    from generate_documentation_db.rule_store import store_rules
    add_runbook(db, "http://docs.local/kube", "KubePodCrashLooping", "kubepodcrashlooping")
    assert b'id="rule-gaps"' not in client.get("/").data  # no rules configured: no panel
    store_rules(db, "rules.yml", [
        AlertRule("KubePodCrashLooping", severity="warning"),
        AlertRule("KafkaConsumerLagHigh", severity="critical"),
        AlertRule("RedisDown", severity="warning", runbook_url="https://wiki.example.test/RedisDown"),
    ])
    page = client.get("/").get_data(as_text=True)
    panel = page.split('id="rule-gaps"', 1)[1].split("</table>", 1)[0]
    assert "2 of 3 alert rules have no runbook on the docs site" in page
    assert panel.index("KafkaConsumerLagHigh") < panel.index("RedisDown") and "KubePodCrashLooping" not in panel
    assert 'runbook_url not on the docs site: <a href="https://wiki.example.test/RedisDown"' in panel


def test_database_restarts_never_leave_broken_connections_nor_fail_a_request(crashable_server):
    data = DashboardData(Database(lambda: connect_url(crashable_server.url)), "UTC")
    try:
        for _ in range(3):
            crashable_server.crash()
            crashable_server.start_again()
            # The pooled connection died with the server; the first request after the restart still answers.
            assert data.summary(Filters())["kpis"]["incidents"]["value"] == 0
            assert data.health()["incidents"] == 0
        # One request thread, one connection: each broken one was dropped, never kept.
        assert len([conn for conn in data.database._open if not conn.closed]) == 1
    finally:
        data.close()
