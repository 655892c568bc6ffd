"""How the bot did each week, on the dashboard and in the handoff mail, checked against the stored votes."""
import random
from datetime import date, datetime, timedelta, timezone

import pytest

from alert_visualization.app import create_app
from alert_visualization.bot_feedback import feedback_counts
from alert_visualization.dashboard_data import DashboardData
from bot.feedback_store import record_feedback, replied_alert
from database.connection import connect_url
from database.outage import Database
from handoff import mail
from handoff.report import build_handoff_report
from handoff.sources import load_inputs
from handoff.week import parse_schedule, week_ending_on

SCHEDULE = parse_schedule("monday 09:00", "UTC")
WEEK = week_ending_on(date(2026, 11, 30), SCHEDULE)  # Mon 23 Nov 09:00 - Mon 30 Nov 09:00 UTC
RUNBOOKS = ["KubePodCrashLooping", "KubeJobFailed", "etcdNoLeader", "TargetDown"]


@pytest.fixture
def alerts(db):
    """120 alert events over three weeks, answered or not, and random votes on them; the list of
    (received_at, answered_with, {voter: (verdict, chosen)})."""
    rng = random.Random(4)
    made = []
    with db, db.cursor() as cur:
        for number in range(120):
            received = WEEK.start_utc() - timedelta(days=7) + timedelta(hours=number * 4.2)
            answered = rng.choice(RUNBOOKS + [None])
            cur.execute("INSERT INTO alert_events (channel, message_ts, title, alert_key, runbook_id, matched_alert,"
                        " reply_ts, received_at, match_reason) VALUES ('C1', %s, %s, 'k', %s, %s, %s, %s, %s) RETURNING id",
                        (f"{number}.1", f"Alert {number % 9}", 1 if answered else None, answered,
                         f"{number}.2" if answered else None, received, "exact name" if answered else "none"))
            made.append([cur.fetchone()[0], received, answered, {}])
    for event_id, _, answered, votes in made:
        alert = replied_alert(db, event_id, "C1")
        for voter in rng.sample(["ana", "bo", "cy"], rng.randint(0, 2)):
            choice = rng.random()
            if answered and choice < 0.5:
                verdict, chosen = "helpful", None
            elif choice < 0.8:
                verdict, chosen = "corrected", rng.choice(RUNBOOKS)
            else:
                verdict, chosen = "no_runbook", None
            if verdict == "helpful" or answered or chosen:
                record_feedback(db, alert, voter, voter, verdict, chosen)
                votes[voter] = (verdict, chosen)
    return [(received, answered, votes) for _, received, answered, votes in made]


def expected(alerts, start, end):
    week = [alert for alert in alerts if start <= alert[0] < end]
    said = [[verdict for verdict, _ in votes.values()] for _, _, votes in week]
    corrected = [any(v in ("corrected", "no_runbook") for v in verdicts) for verdicts in said]
    counts = {
        "replies": sum(1 for _, answered, _ in week if answered),
        "confirmed": sum(1 for verdicts, fixed in zip(said, corrected) if "helpful" in verdicts and not fixed),
        "corrected": sum(1 for (_, answered, _), fixed in zip(week, corrected) if answered and fixed),
        "quiet_with_runbook": sum(1 for _, answered, votes in week if not answered
                                  and any(v == "corrected" and c for v, c in votes.values())),
    }
    by_runbook = {}
    for _, answered, votes in week:
        if answered and any(v in ("corrected", "no_runbook") for v, _ in votes.values()):
            by_runbook[answered] = by_runbook.get(answered, 0) + 1
    return counts, sorted(by_runbook.items(), key=lambda item: (-item[1], item[0]))[:5]


def test_the_weekly_counts_match_the_votes(db, alerts):
    counts, most = expected(alerts, WEEK.start_utc(), WEEK.end_utc())
    found = feedback_counts(db, WEEK.start_utc(), WEEK.end_utc())
    assert {key: found[key] for key in counts} == counts
    assert [(row["runbook"], row["corrected"]) for row in found["most_corrected"]] == most
    assert counts["confirmed"] and counts["corrected"] and counts["quiet_with_runbook"]  # the data exercises each


def test_the_handoff_mail_shows_the_weeks_counts(db, alerts):
    counts, most = expected(alerts, WEEK.start_utc(), WEEK.end_utc())
    report = build_handoff_report(load_inputs(db, WEEK, SCHEDULE), WEEK, SCHEDULE.zone)
    text, html = mail.render_bodies(report)
    assert (f"{counts['replies']} replies with a runbook: {counts['confirmed']} confirmed, {counts['corrected']} corrected; "
            f"{counts['quiet_with_runbook']} alerts it stayed quiet on had a runbook after all.") in text
    assert f"corrected {most[0][1]}x: {most[0][0]}" in text and "How the bot did" in html


def test_the_dashboard_lists_each_weeks_counts_and_what_was_taught(database_url, alerts):
    data = DashboardData(Database(lambda: connect_url(database_url)), "UTC")
    try:
        shown = data.bot_feedback(now=WEEK.end_utc() - timedelta(hours=1))
        page = create_app(data).test_client().get("/").get_data(as_text=True)
    finally:
        data.close()
    assert 'id="bot-weeks"' in page and 'id="taught"' in page and "slack_bot.py --forget" in page
    week_of = (WEEK.start_utc() - timedelta(hours=9)).date().isoformat()  # the Monday it starts on
    row = next(week for week in shown["weeks"] if week["week_of"] == week_of)
    start = datetime.fromisoformat(week_of).replace(tzinfo=timezone.utc)
    counts, _ = expected(alerts, start, start + timedelta(weeks=1))
    assert {key: row[key] for key in counts} == counts
    assert {lesson["title_key"] for lesson in shown["taught"]} <= {f"alert {n}" for n in range(9)}
    assert shown["taught"] and all(lesson["taught_by"] in ("ana", "bo", "cy") for lesson in shown["taught"]
                                   if lesson["answer"] or lesson["no_runbook"])


def test_an_alert_the_team_says_has_no_runbook_is_a_coverage_gap_on_the_dashboard(db, database_url):
    from alert_visualization import incident_store
    from alert_visualization.filters import Filters
    from tests.corpus_runbooks import load_samples
    load_samples(db)
    created = datetime(2026, 11, 25, 10, tzinfo=timezone.utc)
    with db, db.cursor() as cur:
        incident_store.upsert_incidents(cur, [{
            "id": f"QGAP{n}", "incident_number": n, "title": f"[FIRING:1] KubeJobFailed (backup-{n} ops warning)",
            "status": "resolved", "urgency": "high", "service_id": None, "service_name": "ops",
            "created_at": created + timedelta(hours=n), "first_acknowledged_at": None,
            "resolved_at": created + timedelta(hours=n, minutes=5), "auto_resolved": False, "html_url": None,
            "source": "api", "merged_into": None} for n in range(3)])
        cur.execute("INSERT INTO alert_events (channel, message_ts, title, alert_key, runbook_id, matched_alert, reply_ts,"
                    " match_reason) VALUES ('C1', '1.1', '[FIRING:1] KubeJobFailed (backup-0 ops warning)',"
                    " 'kube job failed', 1, 'KubeJobFailed', '1.2', 'exact name') RETURNING id")
        event_id = cur.fetchone()[0]
    data = DashboardData(Database(lambda: connect_url(database_url)), "UTC")
    filters = Filters(range="custom", first_day=date(2026, 11, 23), last_day=date(2026, 11, 29))
    try:
        def gaps():
            coverage = data.summary(filters, now=datetime(2026, 11, 30, tzinfo=timezone.utc))["runbook_coverage"]
            return {row["alert_key"]: row["count"] for row in coverage["without_runbook"]}
        assert gaps() == {}
        record_feedback(db, replied_alert(db, event_id, "C1"), "ana", "ana", "no_runbook")
        assert gaps() == {"kube job failed": 3}
    finally:
        data.close()
