"""`python3 send_mail.py` as an operator runs it: real processes, real clock, loopback servers."""
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from handoff import runs
from handoff.week import latest_due_week, parse_schedule
from sandbox.pagerduty import Account, serve_in_thread
from tests.handoff.helpers import handoff_keys, make_history, read_mail
from utils import PROJECT_DIR

SCHEDULE = parse_schedule("monday 09:00", "Europe/Berlin")


@pytest.fixture
def live_pagerduty():
    """The stand-in on the real clock, as a separate mailer process will see it."""
    server = serve_in_thread(Account(make_history(datetime.now(timezone.utc), days=16, count=200)))
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def mailer_env(database_url, live_pagerduty, smtp_sink, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url, "PASSWORD_CONFIG": str(tmp_path / "no-password-config"),
           "HANDOFF_OUTBOX": str(tmp_path / "outbox"), "PYTHONPATH": str(PROJECT_DIR)}
    return {**env, **handoff_keys(live_pagerduty, smtp_sink.port)}


def send_mail(env, *args, timeout=60):
    return subprocess.run([sys.executable, "send_mail.py", *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=timeout)


def due_week_of():
    return latest_due_week(datetime.now(timezone.utc), SCHEDULE).week_of


def test_help_names_every_mode(mailer_env):
    result = send_mail(mailer_env, "--help")
    assert result.returncode == 0
    for flag in ("--once", "--week", "--preview", "--dry-run"):
        assert flag in result.stdout


def test_a_bad_schedule_is_one_sentence_and_exit_2(mailer_env):
    result = send_mail({**mailer_env, "HANDOFF_SCHEDULE": "someday at nine"}, "--once")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ['error: HANDOFF_SCHEDULE must look like "monday 09:00", '
                                                  'but it is "someday at nine".']


def test_sending_without_an_smtp_host_names_the_key(mailer_env):
    result = send_mail({**mailer_env, "SMTP_HOST": ""}, "--once")
    assert result.returncode == 2 and "SMTP_HOST is not set for the handoff mail" in result.stderr


def test_once_sends_the_due_week_and_a_second_run_sends_nothing(mailer_env, smtp_sink, db):
    first = send_mail(mailer_env, "--once")
    assert first.returncode == 0, first.stderr
    assert "Handoff: sent." in first.stdout
    second = send_mail(mailer_env, "--once")
    assert second.returncode == 0 and "Handoff: already done." in second.stdout
    assert len(smtp_sink.mails()) == 1
    assert runs.handoff_run(db, due_week_of())["status"] == "sent"


def test_two_mailer_processes_started_together_send_one_mail(mailer_env, smtp_sink):
    processes = [subprocess.Popen([sys.executable, "send_mail.py", "--once"], cwd=PROJECT_DIR, env=mailer_env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = sorted(process.communicate(timeout=90)[0].strip() for process in processes)
    assert outputs == ["Handoff: already done.", "Handoff: sent."]
    assert len(smtp_sink.mails()) == 1


def test_preview_and_dry_run_write_files_and_leave_the_week_unsent(mailer_env, smtp_sink, db, tmp_path):
    preview = tmp_path / "preview" / "handoff.html"
    result = send_mail(mailer_env, "--preview", str(preview), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert preview.read_text(encoding="utf-8").lstrip().startswith("<!DOCTYPE html>")
    [eml] = (tmp_path / "outbox").glob("handoff-*.eml")
    assert eml.name == f"handoff-{due_week_of().isoformat()}.eml"
    assert read_mail(eml)[0].startswith("On-call handoff · ")
    assert smtp_sink.mails() == [] and runs.recent_runs(db) == []


def test_week_sends_the_named_week(mailer_env, smtp_sink, db):
    earlier = due_week_of() - timedelta(days=7)
    result = send_mail(mailer_env, "--week", earlier.isoformat())
    assert result.returncode == 0, result.stderr
    assert runs.handoff_run(db, earlier)["status"] == "sent"
    assert runs.handoff_run(db, due_week_of()) is None
    assert len(smtp_sink.mails()) == 1


def test_the_scheduler_loop_catches_up_at_start_and_stops_on_sigterm(mailer_env, smtp_sink, db):
    loop = subprocess.Popen([sys.executable, "send_mail.py"], cwd=PROJECT_DIR, env=mailer_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not smtp_sink.mails() and time.monotonic() < deadline and loop.poll() is None:
            time.sleep(0.1)
        assert len(smtp_sink.mails()) == 1
        while time.monotonic() < deadline and not heartbeat(db):
            time.sleep(0.1)
        outcome, details = heartbeat(db)
        assert outcome == "sent"
        assert details["last_sent_week"] == due_week_of().isoformat()
        next_handoff = datetime.fromisoformat(details["next_handoff_at"])
        assert timedelta(0) < next_handoff - datetime.now(timezone.utc) <= timedelta(days=7)
        assert next_handoff.astimezone(SCHEDULE.zone).strftime("%A %H:%M") == "Monday 09:00"
    finally:
        loop.send_signal(signal.SIGTERM)
        _, stderr = loop.communicate(timeout=20)
    assert loop.returncode == 0, stderr
    assert "Handoff mailer stopped." in stderr


def heartbeat(db):
    """(last_outcome, details) of the mailer's status row, or None before its first beat."""
    with db, db.cursor() as cur:
        cur.execute("SELECT last_outcome, details FROM process_status WHERE process = 'handoff_mailer'")
        return cur.fetchone()
