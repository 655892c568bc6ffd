"""Each metric against a hand computation on a small fixed data set (Europe/Berlin, DST edges)."""
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest

from alert_visualization.incident_store import incidents_frame
from tests.alert_visualization import row_metrics as pa

TZ = "Europe/Berlin"
# Mon 23 .. Sun 29 March 2026; clocks go forward at 02:00 on Sunday the 29th.
PERIOD = pa.Period(date(2026, 3, 23), date(2026, 3, 29), TZ)
UTC = timezone.utc


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def incident(name, title, created, urgency="high", ack=None, resolved=None, auto=None, service="kubernetes-platform",
             merged_into=None):
    created_at = at(created)
    acked = created_at + timedelta(minutes=ack) if ack is not None else None
    resolved_at = created_at + timedelta(minutes=resolved) if resolved is not None else None
    status = "resolved" if resolved_at else ("acknowledged" if acked else "triggered")
    return (name, None, title, status, urgency, service, created_at, acked, resolved_at,
            auto if resolved_at else None, None, merged_into)


CRASH = "[FIRING:2] KubePodCrashLooping (api-7f9 default critical)"
API_5XX_US = 'ALARM: "prod-api-5xx" in US East (N. Virginia)'
API_5XX_EU = 'ALARM: "prod-api-5xx" in EU (Ireland)'
ROWS = [
    #        id   title                                                  created (UTC)        local time
    incident("A", CRASH, "2026-03-23T07:00:00", ack=4, resolved=30, auto=False),          # Mon 08:00 business
    incident("B", "[FIRING:1] KubePodCrashLooping (worker-1a2 payments critical)",
             "2026-03-23T17:00:00", ack=10, resolved=60, auto=False),                    # Mon 18:00 off
    incident("C", API_5XX_US, "2026-03-24T20:59:00", resolved=3, auto=True, service="public-api"),  # Tue 21:59 off
    incident("D", API_5XX_EU, "2026-03-24T21:00:00", resolved=2, auto=True, service="public-api"),  # Tue 22:00 sleep
    incident("E", API_5XX_US, "2026-03-28T10:00:00", resolved=4, auto=True, service="public-api"),  # Sat 11:00 off
    incident("F", "[P2] etcd has no leader on prod-east", "2026-03-29T00:30:00", "low", ack=20),    # Sun 01:30 CET sleep
    incident("G", "[P2] etcd has no leader on prod-west", "2026-03-29T01:30:00", "low", ack=2,
             resolved=240, auto=True),                                                    # Sun 03:30 CEST sleep
    incident("H", "Nightly billing export missing", "2026-03-29T21:59:00", service="data-pipeline"),  # Sun 23:59 sleep
    incident("I", CRASH, "2026-03-29T22:00:00"),                                          # Mon 30 00:00: next period
    incident("J", "[FIRING:3] KubePodCrashLooping (api-9x8 default critical)", "2026-03-22T22:59:00",
             resolved=5, auto=False),                                                     # Sun 22 23:59: previous
    incident("K", API_5XX_EU, "2026-03-22T23:00:00", resolved=1, auto=True, service="public-api"),  # Mon 23 00:00 sleep
    incident("L", "[P2] etcd has no leader on prod-east", "2026-03-17T09:00:00", "low", ack=3, resolved=9, auto=False),
]


@pytest.fixture
def everything():
    return pa.with_alert_keys(incidents_frame(ROWS))


@pytest.fixture
def current(everything):
    return pa.in_period(everything, PERIOD)


@pytest.fixture
def previous(everything):
    return pa.in_period(everything, PERIOD.previous())


def test_period_edges_are_local_midnights(current, previous):
    assert sorted(current["id"]) == ["A", "B", "C", "D", "E", "F", "G", "H", "K"]
    assert sorted(previous["id"]) == ["J", "L"]
    assert PERIOD.end - PERIOD.start == pd.Timedelta(days=7) - pd.Timedelta(hours=1)  # spring forward
    assert PERIOD.previous() == pa.Period(date(2026, 3, 16), date(2026, 3, 22), TZ)


def test_totals(current):
    assert pa.totals(current) == {"incidents": 9, "high_urgency": 7, "low_urgency": 2, "open": 2, "acknowledged": 4}


def test_mtta_is_the_mean_over_acknowledged_incidents(current):
    assert pa.mtta_minutes(current) == (4 + 10 + 20 + 2) / 4


def test_mttr_leaves_out_auto_resolved_incidents_which_are_reported_apart(current):
    assert pa.mttr_minutes(current) == (30 + 60) / 2
    assert pa.auto_resolved(current) == {"count": 5, "share": round(5 / 9, 4), "mean_minutes": (3 + 2 + 4 + 240 + 1) / 5}


def test_metrics_of_nothing_are_none_not_zero(everything):
    empty = everything.iloc[0:0]
    assert pa.mtta_minutes(empty) is None and pa.mttr_minutes(empty) is None
    assert pa.runbook_coverage(empty, set())["share"] is None


def test_per_day_counts_local_days_with_zeros(current):
    days = pa.per_day(current, PERIOD)
    assert list(days.index) == [date(2026, 3, d) for d in range(23, 30)]
    assert days["high"].tolist() == [3, 2, 0, 0, 0, 1, 1]
    assert days["low"].tolist() == [0, 0, 0, 0, 0, 0, 2]


def test_per_week_starts_on_monday(everything):
    weeks = pa.per_week(everything, TZ)
    assert weeks.to_dict() == {date(2026, 3, 16): 2, date(2026, 3, 23): 9, date(2026, 3, 30): 1}


def test_interruptions_use_pagerdutys_windows_in_local_time(current):
    assert pa.interruptions(current, TZ) == {"business": 1, "off": 3, "sleep": 5}
    # The same incidents seen from UTC fall into other windows: the timezone matters.
    assert pa.interruptions(current, "UTC") == {"business": 1, "off": 4, "sleep": 4}


def test_hour_weekday_matrix_across_the_spring_forward(current):
    matrix = pa.hour_weekday_matrix(current, TZ)
    assert matrix.shape == (7, 24) and int(matrix.to_numpy().sum()) == 9
    expected = {("Mon", 0): 1, ("Mon", 8): 1, ("Mon", 18): 1, ("Tue", 21): 1, ("Tue", 22): 1,
                ("Sat", 11): 1, ("Sun", 1): 1, ("Sun", 3): 1, ("Sun", 23): 1}
    found = {(day, hour): int(matrix.loc[day, hour]) for day in matrix.index for hour in matrix.columns
             if matrix.loc[day, hour]}
    assert found == expected


def test_fall_back_hour_is_counted_twice_as_local_two_oclock():
    rows = [incident("X", CRASH, "2026-10-25T00:30:00"), incident("Y", CRASH, "2026-10-25T01:30:00")]
    frame = pa.with_alert_keys(incidents_frame(rows))
    assert int(pa.hour_weekday_matrix(frame, TZ).loc["Sun", 2]) == 2
    period = pa.last_days(7, date(2026, 10, 25), TZ)
    assert period.end - period.start == pd.Timedelta(days=7, hours=1)
    assert len(pa.in_period(frame, period)) == 2


def test_alert_keys_strip_what_varies_between_firings(current):
    keys = dict(zip(current["id"], current["alert_key"]))
    assert keys["A"] == keys["B"] == "kube pod crash looping"
    assert keys["C"] == keys["D"] == keys["E"] == keys["K"] == "api 5xx"
    assert keys["F"] == keys["G"] == "etcd has no leader"
    assert keys["H"] == "nightly billing export missing"


def test_top_alert_keys_with_change_against_the_previous_period(current, previous):
    top = pa.top_alert_keys(current, previous, n=3)
    assert top.iloc[0].to_dict() == {"alert_key": "api 5xx", "count": 4, "previous": 0, "change": 4}
    rest = {row["alert_key"]: (row["count"], row["previous"], row["change"]) for _, row in top.iloc[1:].iterrows()}
    assert rest == {"kube pod crash looping": (2, 1, 1), "etcd has no leader": (2, 1, 1)}


def test_noisy_alerts_are_frequent_and_quickly_auto_resolved(current):
    noisy = pa.noisy_alerts(current, min_count=3, quick_minutes=5)
    assert noisy.to_dict("records") == [
        {"alert_key": "api 5xx", "count": 4, "auto_resolved": 4, "quick_auto_resolved": 4, "quick_share": 1.0}]
    # G auto-resolved after 4 hours: auto, but not quick, so etcd is never noisy.
    assert pa.noisy_alerts(current, min_count=1, quick_minutes=5)["alert_key"].tolist() == ["api 5xx"]


def test_runbook_coverage_compares_keys_spelling_free(current):
    coverage = pa.runbook_coverage(current, {"KubePodCrashLooping", "etcd-has-no-leader"})
    assert coverage["covered"] == 4 and coverage["incidents"] == 9
    assert coverage["share"] == round(4 / 9, 4)
    assert coverage["without_runbook"] == [{"alert_key": "api 5xx", "count": 4},
                                           {"alert_key": "nightly billing export missing", "count": 1}]


def test_response_trend_per_week(everything):
    trend = pa.response_trend(everything, TZ).set_index("start")
    assert trend.loc[date(2026, 3, 23)].to_dict() == {"incidents": 9, "mtta_minutes": 9.0, "mttr_minutes": 45.0}
    assert trend.loc[date(2026, 3, 16)].to_dict() == {"incidents": 2, "mtta_minutes": 3.0, "mttr_minutes": 7.0}


def test_response_trend_per_local_day(current):
    trend = pa.response_trend(current, TZ, by="day").set_index("start")
    assert trend["incidents"].to_dict() == {date(2026, 3, 23): 3, date(2026, 3, 24): 2, date(2026, 3, 28): 1,
                                            date(2026, 3, 29): 3}
    sunday = trend.loc[date(2026, 3, 29)]
    assert (sunday["incidents"], sunday["mtta_minutes"], pd.isna(sunday["mttr_minutes"])) == (3, 11.0, True)
    assert trend.loc[date(2026, 3, 23)].to_dict() == {"incidents": 3, "mtta_minutes": 7.0, "mttr_minutes": 45.0}


def test_by_service_and_urgency(current):
    assert pa.by_service(current).to_dict() == {"public-api": 4, "kubernetes-platform": 4, "data-pipeline": 1}
    assert pa.by_urgency(current).to_dict() == {"high": 7, "low": 2}


def test_change_against_previous():
    assert pa.change(9, 2) == {"value": 9, "previous": 2, "change": 7, "change_pct": 350.0}
    assert pa.change(3, 0)["change_pct"] is None
    assert pa.change(None, 4)["change"] is None


def test_with_the_matchers_keys_a_described_alert_and_its_name_are_one_alert():
    from matching.index import RunbookIndex, RunbookRecord
    from matching.matcher import alert_key_reader
    from matching.titles import name_key

    url = "https://runbooks.example.test/KubePodCrashLooping.md"
    crash_looping = RunbookRecord(1, url, "KubePodCrashLooping", "KubePodCrashLooping", url, "runbook",
                                  "A pod is crash looping: its container keeps restarting.",
                                  "1. Read the previous container's logs. 2. Check the pod's events.",
                                  names=((name_key("KubePodCrashLooping"), "KubePodCrashLooping", "title"),))
    frame = incidents_frame([incident("A", CRASH, "2026-03-23T07:00:00"),
                             incident("B", "Pod default/api-7f9c4 is crash looping.", "2026-03-23T08:00:00"),
                             incident("C", API_5XX_US, "2026-03-23T09:00:00")])
    by_words = pa.with_alert_keys(frame)["alert_key"].tolist()
    by_runbook = pa.with_alert_keys(frame, alert_key_reader(RunbookIndex([crash_looping])))["alert_key"].tolist()
    assert by_words[0] != by_words[1]  # the cleaned titles' words differ
    assert by_runbook == ["kube pod crash looping", "kube pod crash looping", by_words[2]]


def test_an_incident_merged_into_another_is_not_resolved_by_a_person_but_counts_in_pagerdutys_mttr():
    rows = [incident("A", CRASH, "2026-03-23T07:00:00", resolved=30, auto=False),
            incident("B", CRASH, "2026-03-23T07:05:00", resolved=3, auto=False, merged_into="A")]
    frame = incidents_frame(rows)
    assert pa.mttr_minutes(frame) == 30.0  # B was closed by the merge, not by anyone fixing it
    assert pa.mttr_all_minutes(frame) == 16.5


def test_the_stored_title_keys_give_the_same_alert_keys_as_each_title_on_the_sandbox_history():
    from matching.index import RunbookIndex, RunbookRecord
    from matching.matcher import alert_key_reader
    from matching.titles import alert_key, name_key
    from sandbox.pagerduty_history import generate_history
    history = generate_history(seed=9, days=20, count=1500, end=datetime(2026, 3, 30, tzinfo=timezone.utc))
    rows = [(i.id, i.number, i.title, "resolved", i.urgency, i.service.name,
             datetime.fromtimestamp(i.created_at, timezone.utc), None, None, None, None, None) for i in history.incidents]
    per_title = incidents_frame(rows)
    stored = incidents_frame([(*row, alert_key(row[2])) for row in rows])  # as load_incidents reads them
    assert "title_key" in stored and "title_key" not in per_title
    assert pa.with_alert_keys(stored)["alert_key"].tolist() == pa.with_alert_keys(per_title)["alert_key"].tolist()
    runbooks = RunbookIndex([RunbookRecord(1, "https://runbooks.test/crash", "KubePodCrashLooping", "KubePodCrashLooping",
                                           "https://runbooks.test/crash", "runbook", "A pod is crash looping.",
                                           "Read the logs.", names=((name_key("KubePodCrashLooping"),
                                                                      "KubePodCrashLooping", "title"),))])
    reader = alert_key_reader(runbooks)
    by_runbook = pa.with_alert_keys(stored, reader)["alert_key"].tolist()
    assert by_runbook == pa.with_alert_keys(per_title, reader)["alert_key"].tolist()
    assert "kube pod crash looping" in by_runbook
