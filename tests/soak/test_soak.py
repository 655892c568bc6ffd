"""The fault soak: its pure parts (schedule, verdicts), and the short soak of the whole suite.

The short soak runs `python3 -m soak.__main__ --minutes 1.25`: the four real processes on
their own embedded PostgreSQL, every kind of fault once, and the end-state checks.
"""
import random
import re
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from handoff.mail import handoff_message_id
from sandbox.pagerduty_history import generate_history
from soak.alerts import PostedAlert, alert_counts, check_replies
from soak.checks import check_handoff, compare_incidents, compare_runbooks, expected_incidents
from soak.faults import ALL_KINDS, FAILING_PATHS, ROUND_KINDS, edited_page, fault_schedule, served_path
from soak.report import FaultLog, report_lines
from soak.suite import handoff_schedule, next_due_moment
from utils import PROJECT_DIR

SENDER = "oncall-helper@example.com"


def test_a_short_schedule_has_every_kind_of_fault_and_meets_the_handoff_at_its_worst():
    faults = fault_schedule(60, 30, random.Random(1))
    assert {fault.kind for fault in faults} == set(ALL_KINDS) - {"alert_storm"}  # no room for one
    assert all(0 <= fault.at < 60 for fault in faults)
    assert [fault.at for fault in faults] == sorted(fault.at for fault in faults)
    smtp = next(fault for fault in faults if fault.kind == "smtp_outage")
    assert smtp.at == 27 and smtp.seconds > 0
    assert [fault.at for fault in faults if fault.kind == "pg_restart"] == [34]


def test_a_long_schedule_repeats_the_rounds_restarts_postgres_every_few_minutes_and_ends_with_a_page_gone():
    faults = fault_schedule(840, 300, random.Random(2))
    counts = {kind: sum(fault.kind == kind for fault in faults) for kind in ALL_KINDS}
    assert all(counts[kind] == 9 for kind in ROUND_KINDS)
    assert counts["pg_restart"] >= 4 and counts["smtp_outage"] == 1 and counts["alert_storm"] == 1
    last_remove = max((f for f in faults if f.kind == "docs_remove"), key=lambda f: f.at)
    assert all(f.at < last_remove.at for f in faults if f.kind == "docs_restore")


def test_500s_go_to_paths_the_crawler_asks_for():
    assert served_path("kubernetes/kubepodcrashlooping/index.html") == "/kubernetes/kubepodcrashlooping/"
    assert served_path("etcd/etcdNoLeader.html") == "/etcd/etcdNoLeader.html"
    assert not any(path.endswith("index.html") for path in FAILING_PATHS)


def test_an_edit_adds_a_paragraph_under_the_first_section_heading():
    assert edited_page("<h1>KubeJobFailed</h1><p>Intro</p>", "Soak revision 3.") == \
        "<h1>KubeJobFailed</h1>\n<p>Soak revision 3.</p><p>Intro</p>"
    assert edited_page("<h1>Control plane</h1><p>Intro</p><h2>KubeAPIDown</h2><p>A</p><h2>B</h2>", "Soak revision 4.") \
        == "<h1>Control plane</h1><p>Intro</p><h2>KubeAPIDown</h2>\n<p>Soak revision 4.</p><p>A</p><h2>B</h2>"


def test_the_handoff_comes_due_on_the_first_whole_minute_after_the_lead():
    now = datetime(2026, 11, 29, 23, 59, 50, tzinfo=timezone.utc)
    due = next_due_moment(now, 12)
    assert due == datetime(2026, 11, 30, 0, 1, tzinfo=timezone.utc)
    assert handoff_schedule(due) == "monday 00:01"


def alert(kind, number, ts, status="triggered", has_runbook=True):
    return PostedAlert(kind, number, f"Q{number}", f"Alert {number}", status, ts, has_runbook)


def test_each_alert_with_a_runbook_needs_exactly_one_reply_and_one_without_none_but_a_record():
    posted = [alert("alert", 1, "1.1"), alert("status", 1, "1.2", "acknowledged"), alert("repost", 1, "1.3"),
              alert("alert", 2, "2.1", has_runbook=False)]
    recorded = {"1.1": 7, "1.2": 7, "1.3": 7, "2.1": None}
    assert check_replies(posted, [{"thread_ts": "1.3"}], recorded) == []
    assert check_replies(posted, [{"thread_ts": "1.1"}, {"thread_ts": "1.3"}], recorded) == \
        ["#1 (Alert 1) got 2 replies, not exactly one"]
    assert check_replies(posted, [], recorded) == ["#1 (Alert 1) got 0 replies, not exactly one"]
    assert check_replies(posted, [{"thread_ts": "1.1"}, {"thread_ts": "2.1"}], recorded) == \
        ["#2 (Alert 2) has no runbook but got 1 replies"]
    assert check_replies(posted, [{"thread_ts": "1.1"}], {**recorded, "2.1": 3}) == \
        ["#2 (Alert 2) was recorded with a runbook it does not have"]
    assert check_replies(posted, [{"thread_ts": "1.1"}, {"thread_ts": "9.9"}], recorded) == \
        ["a reply outside any alert's thread (9.9)"]
    lost = {key: value for key, value in recorded.items() if key != "1.2"}
    assert check_replies(posted, [{"thread_ts": "1.1"}], lost) == \
        ["#1 (acknowledged, 1.2) was never recorded in alert_events"]
    assert alert_counts(posted, [{"thread_ts": "1.1"}])["with_runbook"] == 1


def test_synced_incidents_are_compared_with_the_sandbox_as_of_its_clock():
    history = generate_history(seed=3, days=2, count=40, end=datetime(2026, 11, 30, tzinfo=timezone.utc))
    clock = history.incidents[-5].created_at + 600.5
    expected = expected_incidents(history, clock)
    assert len(expected) == 36 + sum(incident.created_at < clock for incident in history.incidents[-4:])
    assert compare_incidents(dict(expected), expected) == []
    first = next(iter(expected))
    stale = {**expected, first: (expected[first][0], "triggered", None, None, None)}
    problems = compare_incidents({key: value for key, value in stale.items() if key != history.incidents[0].id},
                                 expected)
    assert problems[0] == f"1 sandbox incidents are not synced (e.g. {history.incidents[0].id})"
    assert compare_incidents({**expected, "QEXTRA": (1, "triggered", None, None, None)}, expected) == \
        ["1 synced incidents are not in the sandbox (e.g. QEXTRA)"]


def test_runbooks_differing_from_a_fresh_crawl_are_named():
    fresh = [("u/a", 0, "A", "x"), ("u/b", 0, "B", "y")]
    assert compare_runbooks(fresh, fresh) == []
    assert compare_runbooks([("u/a", 0, "A", "x"), ("u/c", 0, "C", "z")], fresh) == [
        "stored runbook 'C' (u/c) is not on the site any more", "runbook 'B' (u/b) on the site is not stored"]
    assert compare_runbooks([("u/a", 0, "A", "old"), ("u/b", 0, "B", "y")], fresh) == \
        ["stored runbook 'A' (u/a) differs from the site"]


def test_each_due_week_is_mailed_exactly_once():
    settings = {"SENDER_ID": SENDER, "HANDOFF_SCHEDULE": "monday 00:01", "ONCALL_TIMEZONE": "UTC"}
    due = datetime(2026, 11, 30, 0, 1, tzinfo=timezone.utc)
    weeks = {date(2026, 11, 16), date(2026, 11, 23)}
    mails = {handoff_message_id(week, SENDER): 1 for week in weeks}
    assert check_handoff(mails, weeks, settings, due, due) == []
    twice = {**mails, handoff_message_id(date(2026, 11, 23), SENDER): 2}
    assert check_handoff(twice, weeks, settings, due, due) == ["<handoff-2026-11-23@example.com> was mailed 2 times"]
    assert check_handoff(mails, {date(2026, 11, 16)}, settings, due, due) == [
        "<handoff-2026-11-23@example.com> was mailed but its week is not recorded as sent",
        "the handoff that came due during the soak (week of 2026-11-23) was not sent"]


def test_the_closing_block_counts_alerts_replies_faults_by_kind_and_recoveries():
    faults = FaultLog()
    for kind in ("pg_restart", "slack_drop", "slack_drop"):
        faults.note_injected(kind)
    faults.note_recovered("slack_drop", 11.0)
    faults.note_recovered("pg_restart", 30.5)
    counts = alert_counts([alert("alert", 1, "1.1"), alert("status", 1, "1.2", "resolved")], [{"thread_ts": "1.1"}])
    lines = report_lines(["slack_drop (Slack sockets cut) not recovered"], 61.2, counts, faults, (32, 2499, 2))
    assert lines[1] == "Soak FAILED (1 problems) after 61 s"
    assert "2 messages posted: 1 incidents (1 with a runbook, 0 without), 1 status updates" in lines[2]
    assert lines[3:6] == ["  replies:    1", "  faults:     3 injected: slack_drop 2, pg_restart 1",
                          "  recoveries: 2 (slowest: pg_restart after 30.5 s)"]
    assert lines[-1] == "  problem: slack_drop (Slack sockets cut) not recovered"


@pytest.mark.timeout(300)
def test_the_whole_suite_survives_the_short_fault_soak(tmp_path):
    soak = subprocess.run([sys.executable, "-m", "soak.__main__", "--minutes", "1.25", "--seed", "1",
                           "--work-dir", str(tmp_path / "soak")],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=280)
    printed = soak.stdout
    assert soak.returncode == 0, printed[-6000:] + soak.stderr[-3000:]
    assert "Soak PASSED" in printed
    injected = dict((kind, int(count)) for kind, count in re.findall(r"(\w+) (\d+)(?:,|$)",
                                                                    re.search(r"faults: +\d+ injected: (.*)",
                                                                              printed).group(1)))
    assert set(ALL_KINDS) - {"docs_restore", "alert_storm"} <= set(injected)
    recoveries = int(re.search(r"recoveries: (\d+)", printed).group(1))
    assert recoveries == sum(injected.values())
    alerts = re.search(r"alerts: +(\d+) messages posted: (\d+) incidents \((\d+) with a runbook", printed)
    replies = int(re.search(r"replies: +(\d+)", printed).group(1))
    assert int(alerts.group(2)) >= 10 and replies == int(alerts.group(3))
