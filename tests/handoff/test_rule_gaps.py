"""The week's new alert rule gaps in the handoff: rules added without a runbook, runbook links that broke."""
from datetime import datetime, timedelta, timezone

from generate_documentation_db import rule_store
from generate_documentation_db.alert_rules import AlertRule
from handoff.sources import new_rule_gaps
from handoff.week import parse_schedule, week_ending_on
from matching.index import RunbookIndex, RunbookRecord
from matching.titles import name_key

SCHEDULE = parse_schedule("monday 09:00", "Europe/Berlin")
SITE = "https://runbooks.example.test"


def _week_around(now):
    day = now.date()
    while True:  # the week whose handoff is the first Monday 09:00 after now
        week = week_ending_on(day, SCHEDULE)
        if week.start_utc() <= now < week.end_utc():
            return week
        day += timedelta(days=1)


def test_rules_added_this_week_without_a_runbook_and_links_that_broke_are_the_weeks_gaps(db):
    index = RunbookIndex([RunbookRecord(1, f"{SITE}/KubePodNotReady", "KubePodNotReady", "KubePodNotReady",
                                        f"{SITE}/KubePodNotReady", "runbook", "", "",
                                        ((name_key("KubePodNotReady"), "KubePodNotReady", "title"),))], vectors=None)
    rule_store.store_rules(db, "old.yml", [AlertRule("OldGap"), AlertRule("RedisDown", runbook_url="https://wiki.test/r")])
    with db, db.cursor() as cur:
        cur.execute("UPDATE alert_rule_names SET first_seen_at = now() - interval '60 days'")
    rule_store.store_rules(db, "new.yml", [AlertRule("KubePodNotReady", severity="warning"),
                                           AlertRule("KafkaLag", severity="critical")])
    rule_store.record_link(db, "https://wiki.test/r", 200)
    rule_store.record_link(db, "https://wiki.test/r", 404)  # broke now
    gaps = new_rule_gaps(db, index, _week_around(datetime.now(timezone.utc)))
    assert [(gap["alert_name"], gap["status"]) for gap in gaps] == [("KafkaLag", "no runbook"),
                                                                    ("RedisDown", "runbook_url broken")]
