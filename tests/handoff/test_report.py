"""The handoff's report dict and mail over counted incidents, its formatting, the subject, the composed mail."""
from datetime import date, datetime, timezone

import pytest

from alert_visualization import incident_store, window_counts
from alert_visualization.incident_store import incidents_frame
from handoff import mail
from handoff.formatting import change_tone, format_change, format_duration
from handoff.report import ReportInputs, build_handoff_report, group_alert_keys
from handoff.sources import dashboard_link
from handoff.week import parse_schedule, previous_week, week_ending_on

SCHEDULE = parse_schedule("monday 09:00", "Europe/Berlin")
WEEK = week_ending_on(date(2026, 11, 30), SCHEDULE)  # Mon 23 Nov 09:00 - Mon 30 Nov 09:00 CET (08:00 UTC)


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


def incident(number, title, created, acknowledged=None, resolved=None, auto=None, urgency="high", service="api"):
    status = "resolved" if resolved else ("acknowledged" if acknowledged else "triggered")
    return (f"Q{number}", number, title, status, urgency, service, created, acknowledged, resolved, auto,
            f"https://example.pagerduty.com/incidents/Q{number}", None)


def inputs(db, current=(), previous=(), still_open=(), **extra):
    """The report's inputs with `current` and `previous` stored and counted as the mailer counts them
    (alerts named by their titles' words, no matcher)."""
    with db, db.cursor() as cur:
        incident_store.upsert_incidents(cur, [dict(zip(incident_store.FRAME_COLUMNS, row), service_id=None, source="api")
                                              for row in (*current, *previous)])
    before = previous_week(WEEK, SCHEDULE)
    counts = window_counts.read_window_counts(db, before.start_utc(), WEEK.start_utc(), WEEK.end_utc(), SCHEDULE.zone.key)
    titles = window_counts.latest_titles(db, counts.alerts)
    return ReportInputs(counts, incidents_frame(list(still_open)), group_alert_keys(titles), titles, **extra)


@pytest.mark.parametrize("seconds, shown", [
    (None, "–"), (float("nan"), "–"), (45, "45s"), (754, "12m 34s"), (12_000, "3h 20m"), (190_000, "2d 4h"),
])
def test_durations_read_like_a_person_would_say_them(seconds, shown):
    assert format_duration(seconds) == shown


@pytest.mark.parametrize("current, previous, shown, tone", [
    (47, 42, "+12%", "worse"), (40, 50, "−20%", "better"), (5, 5, "±0%", "same"), (3, 0, "new", "worse"),
    (0, 0, "±0%", "same"), (None, 10, "–", "same"),
])
def test_changes_against_the_previous_week(current, previous, shown, tone):
    assert format_change(current, previous) == shown
    assert change_tone(current, previous) == tone


def test_the_subject_names_the_week_the_count_and_the_change():
    report = {"label": "23–30 Nov 2026", "incidents": 47, "previous_incidents": 42}
    assert mail.subject_line(report) == "On-call handoff · 23–30 Nov 2026 · 47 incidents (+12% vs previous week)"
    quiet = {**report, "incidents": 1, "previous_incidents": 0}
    assert mail.subject_line(quiet) == "On-call handoff · 23–30 Nov 2026 · 1 incident (none the week before)"


def test_the_report_counts_only_the_weeks_incidents_and_compares_with_the_week_before(db):
    current = [
        incident(1, "[FIRING:1] KubePodCrashLooping (api-1 default critical)", utc(2026, 11, 23, 8, 0),
                 acknowledged=utc(2026, 11, 23, 8, 10), resolved=utc(2026, 11, 23, 9, 0)),
        incident(2, "[FIRING:2] KubePodCrashLooping (api-2 default critical)", utc(2026, 11, 28, 23, 30),
                 acknowledged=utc(2026, 11, 28, 23, 50), resolved=utc(2026, 11, 29, 1, 0)),
        incident(3, "Disk full on db-1", utc(2026, 11, 29, 12, 0), resolved=utc(2026, 11, 29, 12, 2), auto=True,
                 urgency="low", service="db"),
    ]
    previous = [incident(9, "Disk full on db-2", utc(2026, 11, 18, 12, 0))]
    report = build_handoff_report(
        inputs(db, current, previous, runbooks={"kube pod crash looping": ("KubePodCrashLooping", "http://docs/kpcl")}),
        WEEK, SCHEDULE.zone, top_n=5)
    figures = {figure["name"]: figure for figure in report["summary"]}
    assert (report["incidents"], report["previous_incidents"], report["label"]) == (3, 1, "23–30 Nov 2026")
    assert figures["High-urgency incidents"]["value"] == 2
    assert figures["Mean time to acknowledge"]["display"] == "15m 00s"  # (10 + 20) / 2 minutes
    assert figures["MTTR, resolved by a person"]["display"] == "1h 15m"  # the auto-resolved one is left out
    assert figures["MTTR, every incident"]["display"] == "50m 40s"  # PagerDuty's: (60 + 90 + 2) / 3 minutes
    assert any("PagerDuty's Insights" in definition for definition in report["definitions"])
    assert figures["Incidents in sleep hours"]["value"] == 1  # 28 Nov 23:30 UTC is 00:30 in Berlin
    top = {row["title"]: row for row in report["top_alerts"]}
    assert top["KubePodCrashLooping"]["count"] == 2 and top["KubePodCrashLooping"]["runbook_url"] == "http://docs/kpcl"
    assert top["Disk full"]["runbook_url"] is None and top["Disk full"]["previous"] == 1
    assert report["runbook_gaps"] == []  # one "Disk full" page is not yet frequent
    assert [day["count"] for day in report["daily"]] == [1, 0, 0, 0, 0, 0, 2, 0]  # both late ones fall on Sunday in Berlin
    assert report["daily"][0]["day"] == "Mon 23 Nov from 09:00" and report["daily"][-1]["day"] == "Mon 30 Nov to 09:00"


def test_open_incidents_are_as_of_the_handoff_moment_triggered_first(db):
    still_open = [
        incident(5, "Acked before the handoff", utc(2026, 11, 29, 9, 0), acknowledged=utc(2026, 11, 29, 9, 5)),
        incident(6, "Acked only after the handoff", utc(2026, 11, 29, 10, 0), acknowledged=utc(2026, 11, 30, 9, 0)),
    ]
    report = build_handoff_report(inputs(db, still_open=still_open), WEEK, SCHEDULE.zone, open_limit=1)
    assert [(row["number"], row["status"]) for row in report["open_incidents"]] == [(6, "triggered")]
    assert (report["open_total"], report["open_more"]) == (2, 1)


def test_an_empty_week_still_renders_a_calm_mail(db):
    report = build_handoff_report(inputs(db), WEEK, SCHEDULE.zone)
    text, html = mail.render_bodies(report)
    assert "Nothing open: the next person starts clean." in text and "No incidents this week." in html
    assert mail.subject_line(report).endswith("· 0 incidents (±0% vs previous week)")


def test_the_composed_mail_is_text_then_html_with_a_stable_message_id(db):
    report = build_handoff_report(inputs(db), WEEK, SCHEDULE.zone, dashboard_url="http://dash/?a=1&b=2")
    message_id = mail.handoff_message_id(WEEK.week_of, "On-call bot <oncall@example.com>")
    message = mail.compose_message(report, "oncall@example.com", ["a@example.com", "b@example.com"],
                                           message_id, utc(2026, 11, 30, 8, 0))
    assert message_id == "<handoff-2026-11-23@example.com>"
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert (message["To"], message["Auto-Submitted"]) == ("a@example.com, b@example.com", "auto-generated")
    assert 'href="http://dash/?a=1&amp;b=2"' in message.get_body(("html",)).get_content()


def test_the_dashboard_link_covers_the_local_days_of_the_week():
    assert dashboard_link("http://127.0.0.1:5000/", WEEK) == \
        "http://127.0.0.1:5000/?range=custom&from=2026-11-23&to=2026-11-30"
    assert dashboard_link(None, WEEK) is None


def test_new_alert_rules_without_a_runbook_are_listed_and_only_when_there_are_some(db):
    gaps = [{"alert_name": "KafkaConsumerLagHigh", "severity": "critical", "status": "no runbook", "runbook": ""},
            {"alert_name": "RedisDown", "severity": "warning", "status": "runbook_url not on the docs site",
             "runbook": "javascript:alert(1)"}]
    text, html = mail.render_bodies(build_handoff_report(inputs(db, new_rule_gaps=gaps), WEEK, SCHEDULE.zone))
    assert "NEW ALERT RULES WITHOUT A RUNBOOK" in text and "KafkaConsumerLagHigh (critical): no runbook" in text
    assert "New alert rules without a runbook" in html and "RedisDown" in html
    assert 'href="javascript:' not in html  # a rule's link is shown as a link only when it is http(s)
    text, html = mail.render_bodies(build_handoff_report(inputs(db), WEEK, SCHEDULE.zone))
    assert "NEW ALERT RULES" not in text and "New alert rules" not in html


def test_runbook_changes_say_who_made_them_when_a_commit_did(db):
    changes = [(utc(2026, 11, 27, 9, 0), "changed", "https://git.example/blob/main/disk.md", ("DiskFull",),
                "ana in 3f2c1e0: raise the threshold"),
               (utc(2026, 11, 26, 9, 0), "added", "https://runbooks.example/etcd/", ("etcdNoLeader",), None)]
    report = build_handoff_report(inputs(db, doc_changes=changes), WEEK, SCHEDULE.zone)
    text, html = mail.render_bodies(report)
    assert "(DiskFull), by ana in 3f2c1e0: raise the threshold" in text
    assert "changed by ana in 3f2c1e0: raise the threshold" in html
    assert "(etcdNoLeader)\n" in text
