"""The handoff mailer end to end, in-process: sandbox PagerDuty + sandbox SMTP + real Postgres.

Clocks are set per mailer, so "the mailer was down over Monday 09:00" is a test of a few
seconds.  Every expected number is computed here from the sandbox's raw history.
"""
import re
import threading
import time
from datetime import date, datetime, timedelta, timezone

import psycopg2
import pytest

from database.connection import connect_url
from database.locks import Lock, try_lock
from database.outage import Database
from generate_documentation_db import page_store
from generate_documentation_db.alert_keys import canonical_key
from generate_documentation_db.runbook_model import AlertKey, ParsedPage, Runbook, Section
from handoff import runs, sending
from handoff.schedule import check_due_handoff, run_scheduler
from handoff.sending import Sent
from handoff.week import latest_due_week
from matching import matcher
from matching.knowledge_base import load_index
from matching.titles import name_key
from sandbox.loopback import wait_for
from sandbox.pagerduty import Account, serve_in_thread
from tests.handoff.helpers import (
    BERLIN,
    HANDOFF,
    HTML_TITLE,
    NOW,
    expected_week,
    handoff_keys,
    make_history,
    parse_duration,
    read_mail,
    text_section,
)

WEEK_START = HANDOFF - timedelta(days=7)


def save_runbook(db, name, url, body):
    section = Section(name, None, 1, (name,), f"{name}: {body}", f"{name}: {body}")
    runbook = Runbook(name, name, None, (AlertKey(canonical_key(name), name, "title"),), (section,))
    page_store.save_page(db, ParsedPage(url, name, name, (runbook,), ()))


def test_the_mail_numbers_equal_an_independent_computation_from_the_sandbox(
        db, make_config, mailer_at, pagerduty, smtp_sink):
    save_runbook(db, "KubePodCrashLooping", "http://docs.local/kube-pod-crash-looping/", "a container restarts")
    save_runbook(db, "TargetDown", "http://docs.local/target-down/", "Prometheus cannot scrape a target")
    with db, db.cursor() as cur:  # the docs monitor logged the first page this week, the second long before
        cur.execute("UPDATE doc_changes SET changed_at = %s WHERE page_url LIKE %s", (HANDOFF - timedelta(days=2), "%crash%"))
        cur.execute("UPDATE doc_changes SET changed_at = %s WHERE page_url LIKE %s", (HANDOFF - timedelta(days=30), "%target%"))
    mailer = mailer_at(make_config(**handoff_keys(pagerduty, smtp_sink.port)), NOW)

    assert sending.send_due_handoff(mailer) == Sent.SENT
    [saved] = smtp_sink.mails()
    subject, text, html = read_mail(saved)
    expected = expected_week(pagerduty.account.history, WEEK_START, HANDOFF, NOW, BERLIN)

    assert subject.startswith(f"On-call handoff · 16–23 Nov 2026 · {expected['incidents']} incidents (")
    summary = {line[:30].strip(): line[30:].split() for line in text_section(text, "SUMMARY") if line.strip()}
    assert summary["Incidents"][0] == str(expected["incidents"])
    assert summary["High-urgency incidents"][0] == str(expected["high_urgency"])
    assert summary["Incidents off hours"][0] == str(expected["off"])
    assert summary["Incidents in sleep hours"][0] == str(expected["sleep"])
    assert abs(parse_duration(" ".join(summary["Mean time to acknowledge"][:2])) - expected["mtta"]) <= 1
    assert abs(parse_duration(" ".join(summary["MTTR, resolved by a person"][:2])) - expected["mttr"]) <= 60

    open_section = text_section(text, "STILL OPEN")
    listed = sorted(int(number) for number in re.findall(r"^  #(\d+) ", "\n".join(open_section), re.M))
    assert listed == expected["open_numbers"] and f"STILL OPEN ({len(listed)})" in text

    covered = {key for key, _ in expected["key_counts"].items()
               if matcher.match_alert(load_index(db), key_title(pagerduty.account.history, key)).found}
    assert {"kube pod crash looping", "target down"} <= covered
    assert_runbook_gaps(text, expected["key_counts"], covered)

    changes = text_section(text, "RUNBOOK PAGES CHANGED THIS WEEK")
    assert any("kube-pod-crash-looping" in line for line in changes)
    assert not any("target-down" in line for line in changes)
    assert "http://127.0.0.1:8050/?range=custom&amp;from=2026-11-16&amp;to=2026-11-23" in html


def key_title(history, key):
    from matching.titles import alert_key
    return next(incident.title for incident in reversed(history.incidents) if alert_key(incident.title) == key)


def assert_runbook_gaps(text, key_counts, covered):
    """Gaps are the most frequent uncovered keys (ties at the cut may be either)."""
    gaps = [re.match(r"^\s+(\d+)\s+(.+)$", line).groups() for line in text_section(text, "RUNBOOK GAPS")
            if re.match(r"^\s+\d+\s", line)]
    uncovered = {name_key(key): count for key, count in key_counts.items() if key not in covered and count >= 2}
    assert gaps, "the sandbox week has frequent alerts without runbooks"
    for count, name in gaps:
        assert uncovered[name_key(name)] == int(count)
    shown = {name_key(name) for _, name in gaps}
    left_out = [count for key, count in uncovered.items() if key not in shown]
    assert len(gaps) == min(10, len(uncovered))
    assert all(count <= min(int(c) for c, _ in gaps) for count in left_out)


def test_an_incident_title_with_html_is_escaped_in_the_html_part(make_config, mailer_at, pagerduty, smtp_sink):
    mailer = mailer_at(make_config(**handoff_keys(pagerduty, smtp_sink.port)), NOW)
    sending.send_due_handoff(mailer)
    _, text, html = read_mail(smtp_sink.mails()[0])
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;&lt;b&gt;disk&lt;/b&gt; &amp; &lt;img" in html
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert HTML_TITLE in text  # the plain-text part shows it as typed


def test_a_restart_mid_week_sends_nothing(make_config, mailer_at, pagerduty, smtp_sink):
    config = make_config(**handoff_keys(pagerduty, smtp_sink.port))
    assert sending.send_due_handoff(mailer_at(config, NOW, "before-restart")) == Sent.SENT
    for later in (timedelta(minutes=5), timedelta(days=3), timedelta(days=6, hours=22)):
        restarted = mailer_at(config, NOW + later, "after-restart")
        assert sending.send_due_handoff(restarted) == Sent.ALREADY_DONE
    assert len(smtp_sink.mails()) == 1


def test_downtime_over_the_handoff_moment_gives_one_catch_up_mail_for_the_latest_week(
        make_config, mailer_at, pagerduty, smtp_sink, database_url):
    config = make_config(**handoff_keys(pagerduty, smtp_sink.port))
    # Last seen alive just after the 9 Nov handoff; down over 16 Nov and 23 Nov; back on 24 Nov.
    before = mailer_at(config, HANDOFF - timedelta(days=14) + timedelta(minutes=1), "before-downtime")
    assert sending.send_due_handoff(before) == Sent.SENT
    back = mailer_at(config, HANDOFF + timedelta(days=1, hours=5), "after-downtime")
    stopping = back.stopping = threading.Event()
    loop = threading.Thread(target=run_scheduler, args=(back, Database(lambda: connect_url(database_url)), 5))
    loop.start()
    try:
        assert wait_for(lambda: len(smtp_sink.mails()) == 2, 15)
        # The sink saves the mail a moment before the loop records the week as sent.
        observer = psycopg2.connect(database_url)
        assert wait_for(lambda: runs.recent_runs(observer)[0]["status"] == "sent", 15)
        observer.close()
    finally:
        stopping.set()
        loop.join(10)
    assert not loop.is_alive()
    assert sending.send_due_handoff(back) == Sent.ALREADY_DONE
    weeks = [run["week_of"] for run in runs.recent_runs(back.conn)]
    assert weeks == [date(2026, 11, 16), date(2026, 11, 2)]  # 9-16 Nov was missed and stays unsent
    assert "16–23 Nov 2026" in read_mail(smtp_sink.mails()[1])[0]


def test_two_mailers_at_the_same_moment_give_one_mail(make_config, mailer_at, pagerduty, smtp_sink):
    config = make_config(**handoff_keys(pagerduty, smtp_sink.port))
    mailers = [mailer_at(config, NOW, f"replica-{n}") for n in range(3)]
    outcomes, barrier = [], threading.Barrier(len(mailers))

    def run(mailer):
        barrier.wait()
        outcomes.append(sending.send_due_handoff(mailer))

    threads = [threading.Thread(target=run, args=(mailer,)) for mailer in mailers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == sorted([Sent.SENT] + [Sent.ALREADY_DONE] * 2)
    assert len(smtp_sink.mails()) == 1


def test_smtp_down_then_up_gives_one_mail(make_config, mailer_at, pagerduty, smtp_sink, db):
    config = make_config(**handoff_keys(pagerduty, smtp_sink.port))
    smtp_sink.stop()
    mailer = mailer_at(config, NOW)
    assert sending.send_due_handoff(mailer) == Sent.TRIED_LATER
    run = runs.handoff_run(db, date(2026, 11, 16))
    assert run["status"] == "pending" and run["claimed_by"] is None and "ConnectionRefused" in run["reason"]
    smtp_sink.start()
    assert sending.send_due_handoff(mailer_at(config, NOW + timedelta(minutes=5))) == Sent.SENT
    assert sending.send_due_handoff(mailer_at(config, NOW + timedelta(minutes=10))) == Sent.ALREADY_DONE
    assert len(smtp_sink.mails()) == 1
    assert runs.handoff_run(db, date(2026, 11, 16))["attempts"] == 2


def test_a_4xx_is_retried_within_the_attempt(make_config, mailer_at, pagerduty, smtp_sink, db):
    smtp_sink.faults.temporary_failures = 2
    mailer = mailer_at(make_config(**handoff_keys(pagerduty, smtp_sink.port)), NOW)
    assert sending.send_due_handoff(mailer) == Sent.SENT
    assert len(smtp_sink.mails()) == 1 and smtp_sink.faults.temporary_failures == 0
    run = runs.handoff_run(db, date(2026, 11, 16))
    assert (run["status"], run["recipients"], run["message_id"]) == ("sent", 2, "<handoff-2026-11-16@example.com>")


def test_a_5xx_is_recorded_with_the_servers_reason_and_not_resent(make_config, mailer_at, pagerduty, smtp_sink, db):
    smtp_sink.faults.permanent_failure = "Sender address rejected: not owned by user"
    config = make_config(**handoff_keys(pagerduty, smtp_sink.port))
    assert sending.send_due_handoff(mailer_at(config, NOW)) == Sent.REFUSED
    run = runs.handoff_run(db, date(2026, 11, 16))
    assert run["status"] == "failed" and "554" in run["reason"] and "not owned by user" in run["reason"]
    smtp_sink.faults.permanent_failure = None
    assert sending.send_due_handoff(mailer_at(config, NOW + timedelta(minutes=5))) == Sent.ALREADY_DONE
    assert smtp_sink.mails() == []
    # An operator who fixed the sender asks for the week by name: now it goes out, once.
    operator = mailer_at(config, NOW + timedelta(hours=1))
    assert sending.send_week(operator, latest_due_week(NOW, operator.schedule), retry_failed=True) == Sent.SENT
    assert len(smtp_sink.mails()) == 1


def test_a_week_across_the_dst_change_in_berlin_counts_169_hours(make_config, mailer_at, smtp_sink):
    handoff = datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN)  # clocks went back on Sunday 25 Oct
    history = make_history(handoff + timedelta(hours=1), seed=9, days=16, count=150)
    edges = {  # UTC instants around the week's real edges: 19 Oct 07:00 UTC and 26 Oct 08:00 UTC
        "first second of the week": datetime(2026, 10, 19, 7, 0, tzinfo=timezone.utc),
        "last second of the week": datetime(2026, 10, 26, 7, 59, 59, tzinfo=timezone.utc),
        "second before the week": datetime(2026, 10, 19, 6, 59, 59, tzinfo=timezone.utc),
        "handoff moment itself": datetime(2026, 10, 26, 8, 0, tzinfo=timezone.utc),
    }
    for title, moment in edges.items():
        history.add(f"Edge alert: {title}", moment.timestamp())
    account = Account(history)
    account.clock = (handoff + timedelta(hours=1)).timestamp()
    server = serve_in_thread(account)
    try:
        mailer = mailer_at(make_config(**handoff_keys(server, smtp_sink.port)), handoff + timedelta(hours=1))
        assert sending.send_due_handoff(mailer) == Sent.SENT
    finally:
        server.shutdown()
        server.server_close()
    subject, text, _ = read_mail(smtp_sink.mails()[0])
    week_start = datetime(2026, 10, 19, 9, 0, tzinfo=BERLIN)
    expected = expected_week(history, week_start, handoff, handoff + timedelta(hours=1), BERLIN)
    assert handoff.astimezone(timezone.utc) - week_start.astimezone(timezone.utc) == timedelta(hours=169)
    assert f"19–26 Oct 2026 · {expected['incidents']} incidents" in subject
    per_day = {line.split()[1] + " " + line.split()[0]: int(re.findall(r"\s(\d+)\s*#*$", line)[0])
               for line in text_section(text, "INCIDENTS PER DAY") if line.strip()}
    assert sum(per_day.values()) == expected["incidents"]
    # A week taken as 168 hours back from the handoff would lose the first hour's incident.
    naive_start = handoff.astimezone(timezone.utc) - timedelta(hours=168)
    naive = expected_week(history, naive_start, handoff, handoff + timedelta(hours=1), BERLIN)
    assert naive["incidents"] == expected["incidents"] - 1


def test_a_sync_already_running_elsewhere_is_waited_for_not_skipped(make_config, mailer_at, pagerduty, smtp_sink,
                                                                     database_url):
    other = psycopg2.connect(database_url)  # the dashboard, in the middle of its own sync
    assert try_lock(other, Lock.PAGERDUTY_SYNC)
    threading.Timer(1.5, other.close).start()  # its connection ends: PostgreSQL frees the lock
    mailer = mailer_at(make_config(**handoff_keys(pagerduty, smtp_sink.port)), NOW)
    assert sending.send_due_handoff(mailer) == Sent.SENT
    expected = expected_week(pagerduty.account.history, WEEK_START, HANDOFF, NOW, BERLIN)
    assert f"· {expected['incidents']} incidents" in read_mail(smtp_sink.mails()[0])[0]


def test_a_failed_sync_still_sends_the_handoff_and_says_so(make_config, mailer_at, pagerduty, smtp_sink):
    mailer = mailer_at(make_config(**handoff_keys(pagerduty, smtp_sink.port, PAGERDUTY_TOKEN="revoked-token")), NOW)
    assert sending.send_due_handoff(mailer) == Sent.SENT
    subject, text, html = read_mail(smtp_sink.mails()[0])
    assert "PagerDuty could not be synced just now" in text and "PagerDuty could not be synced just now" in html
    assert "revoked-token" not in text + html + subject


def test_a_mailer_whose_lease_ran_out_while_building_does_not_send(make_config, mailer_at, pagerduty, smtp_sink, db):
    config = make_config(**handoff_keys(pagerduty, smtp_sink.port))
    slow, fast = mailer_at(config, NOW, "slow"), mailer_at(config, NOW, "fast")
    build = slow.build_report

    def build_while_another_takes_over(conn, week, now):
        report = build(conn, week, now)
        assert runs.claim_week(fast.conn, week, "fast", lease=timedelta(0))
        return report

    slow.build_report = build_while_another_takes_over
    assert sending.send_due_handoff(slow) == Sent.ALREADY_DONE
    assert smtp_sink.mails() == []
    assert runs.handoff_run(db, date(2026, 11, 16))["claimed_by"] == "fast"


def terminate_when(condition, conn, database_url, seconds=10):
    """A thread that cuts `conn`'s backend off (as a database restart does) once `condition()` holds."""
    def watch():
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.01)
        with psycopg2.connect(database_url) as admin, admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", (conn.get_backend_pid(),))
        admin.close()
    watcher = threading.Thread(target=watch)
    watcher.start()
    return watcher


def test_a_database_lost_after_the_smtp_250_marks_the_week_sent_at_the_next_check_without_resending(
        make_config, mailer_at, pagerduty, smtp_sink, database_url, db):
    smtp_sink.faults.reply_delay = 1.0  # the mail is saved; the 250 comes a second later
    mailer = mailer_at(make_config(**handoff_keys(pagerduty, smtp_sink.port)), NOW)
    watcher = terminate_when(smtp_sink.mails, mailer.conn, database_url)
    with pytest.raises(psycopg2.Error):
        sending.send_due_handoff(mailer)
    watcher.join()
    mailer.conn = psycopg2.connect(database_url)  # send_mail's reconnect
    try:
        assert sending.send_due_handoff(mailer) == Sent.ALREADY_DONE
    finally:
        mailer.conn.close()
    assert len(smtp_sink.mails()) == 1
    run = runs.handoff_run(db, date(2026, 11, 16))
    assert (run["status"], run["message_id"]) == ("sent", "<handoff-2026-11-16@example.com>")


def test_a_database_lost_while_smtp_is_down_delays_the_mail_only_until_the_next_check(
        make_config, mailer_at, pagerduty, smtp_sink, database_url, db):
    smtp_sink.stop()
    mailer = mailer_at(make_config(**handoff_keys(pagerduty, smtp_sink.port)), NOW)
    build = mailer.build_report

    def build_then_lose_the_database(conn, week, now):
        report = build(conn, week, now)
        terminate_when(lambda: True, conn, database_url).join()
        return report

    mailer.build_report = build_then_lose_the_database
    with pytest.raises(psycopg2.Error):
        sending.send_due_handoff(mailer)  # the claim is left behind
    smtp_sink.start()
    mailer.build_report = build
    mailer.conn = psycopg2.connect(database_url)
    try:
        assert sending.send_due_handoff(mailer) == Sent.SENT
    finally:
        mailer.conn.close()
    assert len(smtp_sink.mails()) == 1


@pytest.mark.parametrize("lost", ["closed by the last check", "broken by a restart since"])
def test_a_check_whose_connection_was_lost_reconnects_and_sends(lost, make_config, mailer_at, pagerduty, smtp_sink,
                                                                database_url, db):
    config = make_config(**handoff_keys(pagerduty, smtp_sink.port))
    mailer = mailer_at(config, NOW)
    database = Database(lambda: connect_url(database_url))
    if lost == "closed by the last check":  # it lost the database, and could not reconnect then
        database.connection().close()
    else:
        terminate_when(lambda: True, database.connection(), database_url).join()
    try:
        assert check_due_handoff(mailer, database, check_minutes=5) == Sent.SENT
        assert len(smtp_sink.mails()) == 1
        assert runs.handoff_run(db, date(2026, 11, 16))["status"] == "sent"
    finally:
        database.close()
