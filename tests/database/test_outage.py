"""A process started while PostgreSQL is down waits for it, connects once it is up, and does its job.

This is a machine booting faster than its database server: the process must not take the outage
for a configuration error (exit 2, which the systemd units do not restart on) and stop for good.
Each case is the real entry point as a child process against a server of the test's own.
"""
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass

import psycopg2
import pytest
import requests

from database.outage import Database
from sandbox.docs_server import DEFAULT_ROOT, DocsServer
from sandbox.loopback import free_port, wait_for
from sandbox.slack import SlackSandbox
from sandbox.slack_workspace import PAGERDUTY_BOT_ID
from sandbox.smtp import SmtpSink
from utils import PROJECT_DIR


@dataclass
class Job:
    command: list
    env: dict
    worked: object  # (database url, env) -> True once the job has visibly done its work


def rows(url, sql):
    try:
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()[0]
    except psycopg2.Error:
        return None


def docs_monitor(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(DEFAULT_ROOT, root)
    server = DocsServer(root).start()
    return server.stop, Job([sys.executable, "-m", "generate_documentation_db"],
                            {"DOCS_URL": server.url, "DOCS_POLL_SECONDS": "2"},
                            lambda url, _env: rows(url, "SELECT count(*) >= 25 FROM runbooks"))


def handoff_mailer(tmp_path):
    sink = SmtpSink(tmp_path / "outbox", free_port())
    sink.start()
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port), "SMTP_SECURITY": "none",
           "SENDER_ID": "oncall@example.com", "HANDOFF_RECIPIENTS": "team@example.com"}
    return sink.stop, Job(
        [sys.executable, "send_mail.py"], env,
        lambda url, _env: rows(url, "SELECT count(*) = 1 FROM process_status WHERE process = 'handoff_mailer'"))


def dashboard(_tmp_path):
    port = free_port()

    def answers(_url, _env):
        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json().get("incidents") == 0
        except (requests.RequestException, ValueError):
            return False
    return (lambda: None), Job([sys.executable, "-m", "alert_visualization"], {"DASHBOARD_PORT": str(port)}, answers)


def slack_bot(_tmp_path):
    slack = SlackSandbox().start()
    env = {"BOT_TOKEN": "xoxb-sandbox-token", "SLACK_APP_TOKEN": "xapp-sandbox-token", "SLACK_API_URL": slack.api_url,
           "PAGERDUTY_BOT_IDS": PAGERDUTY_BOT_ID}
    return slack.stop, Job([sys.executable, "slack_bot.py"], env,
                           lambda url, _env: slack.hub.status()["socket_mode_connections"] >= 1 and rows(
                               url, "SELECT count(*) = 1 FROM process_status WHERE process = 'slack_bot'"))


JOBS = {"docs monitor": docs_monitor, "handoff mailer": handoff_mailer, "dashboard": dashboard, "slack bot": slack_bot}


@pytest.mark.parametrize("name", JOBS)
def test_a_process_started_before_its_database_waits_for_it_and_then_works(name, crashable_server, tmp_path):
    crashable_server.stop()
    cleanup, job = JOBS[name](tmp_path)
    log_path = tmp_path / "process.log"
    env = {**os.environ, "PASSWORD_CONFIG": os.devnull, "LOG_DIR": str(tmp_path / "logs"),
           "DATABASE_URL": crashable_server.url, **job.env}
    with open(log_path, "w", encoding="utf-8") as log_file:
        process = subprocess.Popen(job.command, cwd=PROJECT_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: "waiting for it" in log_path.read_text(encoding="utf-8"), 30), log_path.read_text()
        assert process.poll() is None, f"{name} gave up on the database: {log_path.read_text()}"
        crashable_server.start_again()
        assert wait_for(lambda: job.worked(crashable_server.url, env), 60), log_path.read_text()
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0, log_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        cleanup()


def test_a_one_shot_command_gives_up_on_an_absent_database_with_exit_1_and_one_sentence(crashable_server):
    crashable_server.stop()
    env = {**os.environ, "PASSWORD_CONFIG": os.devnull, "DATABASE_URL": crashable_server.url}
    result = subprocess.run([sys.executable, "-m", "generate_documentation_db", "--list"], cwd=PROJECT_DIR,
                            env={**env, "DATABASE_WAIT_SECONDS": "1"}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: PostgreSQL is unreachable:")


def test_work_run_through_the_database_is_repeated_on_a_fresh_connection_after_a_restart(crashable_server):
    database = Database(lambda: psycopg2.connect(crashable_server.url), retry_seconds=30)
    backends = []

    def backend_pid(conn):
        with conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            backends.append(cur.fetchone()[0])
        conn.rollback()
        return backends[-1]

    try:
        first = database.run(backend_pid)
        crashable_server.crash()
        crashable_server.start_again()
        second = database.run(backend_pid)
        assert second != first and backends[-1] == second
        assert len([conn for conn in database._open if not conn.closed]) == 1
    finally:
        database.close()
