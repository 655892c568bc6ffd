"""The sample runbook site end to end, and `python3 -m generate_documentation_db` as a process."""
import os
import shutil
import subprocess
import sys

import pytest

from database import heartbeats
from generate_documentation_db import runbook_store
from generate_documentation_db.__main__ import next_wait
from generate_documentation_db.progress import progress_line
from sandbox.docs_server import DEFAULT_ROOT, DocsServer
from tests.generate_documentation_db.helpers import make_monitor
from utils import PROJECT_DIR


@pytest.fixture
def sample_site(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(DEFAULT_ROOT, root)
    server = DocsServer(root).start()
    sitemap = root / "sitemap.xml"
    sitemap.write_text(sitemap.read_text().replace("http://127.0.0.1:8101/", server.url))
    yield server
    server.stop()


def only(refs):
    assert len(refs) == 1, refs
    return refs[0]


def test_the_sample_site_gives_its_runbooks_with_all_their_quirks(sample_site, db):
    report = make_monitor(sample_site.url).poll(db)
    assert report.faults == [] and 25 <= len(runbook_store.list_runbooks(db)) <= 40
    site = sample_site.url
    assert only(runbook_store.find_by_alert_key(db, "CPUThrottlingHigh")).url == site + "kubernetes/cpu-throttling.html"
    crash = only(runbook_store.find_by_alert_key(db, "kube_pod_crash_looping"))
    assert (crash.title, crash.alert_name) == ("Kube Pod Crash Looping", "KubePodCrashLooping")
    assert only(runbook_store.find_by_alert_key(db, "node_filesystem_space_low")).key_source == "alias"
    etcd = runbook_store.find_by_alert_key(db, "etcdNoLeader")
    assert [ref.url for ref in etcd] == [site + "etcd/etcdNoLeader.html", site + "legacy/alerts.html#etcdNoLeader"]
    pointer = only(runbook_store.find_by_alert_key(db, "NodeFilesystemFilesFillingUp"))
    assert (pointer.kind, pointer.points_to) == ("pointer", site + "node/disk-full.html")
    assert only(runbook_store.find_by_alert_key(db, "NodeDiskIOSaturation")).kind == "deprecated"
    assert only(runbook_store.find_by_alert_key(db, "BackupJobMissed")).kind == "stub"
    assert only(runbook_store.find_by_alert_key(db, "WatchdogHeartbeatMissing"))  # only in the sitemap
    assert only(runbook_store.find_by_alert_key(db, "RabbitMQQueueFull")).url == site + "legacy/alerts.html#RabbitMQQueueFull"
    assert only(runbook_store.find_by_alert_key(db, "KubeSchedulerDown")).url.endswith("#kubeschedulerdown")


def run_monitor(*args, database_url=None, **env):
    environ = {**os.environ, "PASSWORD_CONFIG": os.devnull, **env}
    environ.pop("DOCS_URL", None)
    environ.update(env)
    if database_url:
        environ["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "generate_documentation_db", *args], cwd=PROJECT_DIR,
                          env=environ, capture_output=True, text=True, timeout=60)


def test_the_cli_polls_once_then_lists_runbooks_and_changes(sample_site, database_url, db):
    polled = run_monitor("--once", "--url", sample_site.url, database_url=database_url,
                         DOCS_POLL_SECONDS="120")
    assert polled.returncode == 0, polled.stderr
    assert "added" in polled.stderr and "0 faults" in polled.stderr
    [status] = heartbeats.suite_status(db)  # the poll's heartbeat, with its result
    assert status["process"] == "docs_monitor" and status["details"]["interval_seconds"] == 120
    assert status["last_outcome"] in polled.stderr and "0 faults" in status["last_outcome"]
    listed = run_monitor("--list", database_url=database_url)
    assert "KubeSchedulerDown  [runbook]" in listed.stdout and "NodeDiskIOSaturation  [deprecated]" in listed.stdout
    changes = run_monitor("--changes", "--limit", "100", database_url=database_url)
    assert f"added    {sample_site.url}legacy/alerts.html  (RabbitMQQueueFull, " in changes.stdout


def test_the_cli_explains_a_missing_or_bad_docs_url_in_one_sentence(database_url):
    missing = run_monitor("--once", database_url=database_url)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "DOCS_URL" in missing.stderr
    bad = run_monitor("--once", database_url=database_url, DOCS_URL="ftp://docs.example/")
    assert bad.returncode == 2 and "DOCS_URL must be a URL" in bad.stderr
    assert run_monitor("--help").returncode == 0


def test_failed_polls_are_retried_sooner_with_doubling_delays():
    assert [next_wait(300, failures) for failures in range(7)] == [300, 10, 20, 40, 80, 160, 300]


def test_progress_line_reads_as_a_sentence():
    assert progress_line(120, 35, 2.5) == "crawl: 120 pages done, 35 queued, 48.0 pages/s"


def test_the_monitor_waits_for_a_database_that_is_not_there_yet(sample_site, pg_server_url):
    import signal
    import time

    import psycopg2

    from database.connection import url_for_database
    name = f"late_{os.getpid()}"
    environ = {**os.environ, "PASSWORD_CONFIG": os.devnull, "DOCS_URL": sample_site.url, "DOCS_POLL_SECONDS": "1",
               "DATABASE_URL": url_for_database(pg_server_url, name)}
    monitor = subprocess.Popen([sys.executable, "-m", "generate_documentation_db"], cwd=PROJECT_DIR, env=environ,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    admin = psycopg2.connect(pg_server_url)
    admin.autocommit = True
    try:
        time.sleep(2)
        assert monitor.poll() is None  # still waiting, not crashed
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        late = psycopg2.connect(url_for_database(pg_server_url, name))
        deadline, runbooks = time.monotonic() + 30, 0
        while time.monotonic() < deadline and runbooks < 25:
            time.sleep(0.3)
            try:
                with late, late.cursor() as cur:
                    cur.execute("SELECT count(*) FROM runbooks")
                    runbooks = cur.fetchone()[0]
            except psycopg2.errors.UndefinedTable:
                pass
        late.close()
        assert runbooks >= 25
        monitor.send_signal(signal.SIGTERM)
        assert monitor.wait(15) == 0
        assert "PostgreSQL is not reachable" in monitor.stderr.read()
    finally:
        if monitor.poll() is None:
            monitor.kill()
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_the_monitor_survives_a_database_crash_and_stores_the_next_edit(sample_site, crashable_server):
    import signal
    import threading
    import time

    import psycopg2

    environ = {**os.environ, "PASSWORD_CONFIG": os.devnull, "DOCS_URL": sample_site.url, "DOCS_POLL_SECONDS": "1",
               "DATABASE_URL": crashable_server.url}
    monitor = subprocess.Popen([sys.executable, "-m", "generate_documentation_db"], cwd=PROJECT_DIR, env=environ,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    said = []  # the monitor's log lines as they come, so the outage lasts until it has noticed
    threading.Thread(target=lambda: said.extend(monitor.stderr), daemon=True).start()

    def logged(text):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(text in line for line in said):
            time.sleep(0.2)
        return any(text in line for line in said)

    def stored(sql):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and monitor.poll() is None:
            try:
                with psycopg2.connect(crashable_server.url) as conn, conn.cursor() as cur:
                    cur.execute(sql)
                    if cur.fetchone()[0]:
                        return True
            except psycopg2.OperationalError:
                pass
            time.sleep(0.3)
        return False

    try:
        assert stored("SELECT count(*) >= 25 FROM runbooks")
        time.sleep(1.5)  # the monitor's connection now sits idle between polls
        crashable_server.crash()
        assert logged("The database is unavailable"), "".join(said)
        crashable_server.start_again()
        page = sample_site.root / "etcd" / "etcdNoLeader.html"
        page.write_text(page.read_text().replace("</h1>", "</h1>\n<p>Check the disk latency first.</p>", 1))
        assert stored("SELECT count(*) FROM runbooks WHERE body_text || summary LIKE '%disk latency first%'")
        assert monitor.poll() is None, "the monitor died on the crash"
        monitor.send_signal(signal.SIGTERM)
        assert monitor.wait(15) == 0
    finally:
        if monitor.poll() is None:
            monitor.kill()
        monitor.wait()


@pytest.fixture
def demo_rules_api(sample_site, tmp_path):
    """The demo team's rule files, their runbook links pointing at this test's copy of the site."""
    from sandbox.prometheus_rules import DEFAULT_RULES, RulesServer
    folder = tmp_path / "rules"
    folder.mkdir()
    for path in DEFAULT_RULES.glob("*.yml"):
        (folder / path.name).write_text(path.read_text().replace("http://127.0.0.1:8101/", sample_site.url))
    server = RulesServer(folder).start()
    yield server
    server.stop()


def test_rules_are_read_with_the_poll_and_listed_with_their_runbook_status(sample_site, demo_rules_api,
                                                                            database_url):
    polled = run_monitor("--once", "--url", sample_site.url, database_url=database_url,
                         PROMETHEUS_URL=f"{demo_rules_api.url}/prometheus", RULE_LINK_CHECK_HOURS="0")
    assert polled.returncode == 0, polled.stderr
    assert "Read 10 alert rules from 1 sources: 1 changed, 0 could not be read." in polled.stderr
    listed = run_monitor("--rules", database_url=database_url)
    lines = listed.stdout.splitlines()
    assert any(line.startswith("no runbook") and "KubeContainerWaiting" in line for line in lines), listed.stdout
    assert any(line.startswith("runbook on the docs site") and "NodeFilesystemAlmostOutOfSpace" in line
               and line.endswith("node/disk-full.html") for line in lines)
    assert any(line.startswith("runbook_url not on the docs site") and "NodeNetworkReceiveErrs" in line
               for line in lines)
    assert "10 rules: 2 no runbook, 1 runbook_url not on the docs site, 7 runbook on the docs site." in lines
    assert lines.index("") == 10  # every rule once, then the totals
    checked = run_monitor("--rules", "--check-links", database_url=database_url)
    assert any(line.startswith("runbook_url broken") and "NodeNetworkReceiveErrs" in line
               for line in checked.stdout.splitlines()), checked.stdout
    # The monitor asks the links itself on its polls (daily by default): then --rules shows it too.
    assert run_monitor("--once", "--url", sample_site.url, database_url=database_url,
                       PROMETHEUS_URL=demo_rules_api.url).returncode == 0
    assert "1 runbook_url broken" in run_monitor("--rules", database_url=database_url).stdout
