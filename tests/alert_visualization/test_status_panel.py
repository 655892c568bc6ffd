"""The suite's status: the panel built from heartbeat rows, /status, /healthz's 200 and 503, the rendered panel."""
import pytest

from alert_visualization.app import create_app
from alert_visualization.dashboard_data import DashboardData
from alert_visualization.status_panel import status_panel
from database import heartbeats
from database.connection import connect_url
from database.outage import Database

HOSTILE = "<script>alert(1)</script> KubeJobFailed"


def row(process, details, stale=False, outcome="fine"):
    return {"process": process, "heartbeat_at": "2026-03-30T07:00:00+00:00", "age_seconds": 12.0, "stale": stale,
            "last_outcome": outcome, "details": details}


def test_the_panel_has_the_four_processes_in_procfile_order_and_says_which_never_beat():
    panel = status_panel([row("slack_bot", {"connected": True, "transport": "rtm", "interval_seconds": 30})])
    assert [(line["process"], line["state"]) for line in panel["processes"]] == [
        ("docs_monitor", "missing"), ("slack_bot", "ok"), ("handoff_mailer", "missing"), ("dashboard", "missing")]
    assert panel["healthy"] is True


def test_one_stale_process_makes_the_suite_unhealthy_and_unknown_rows_are_ignored():
    panel = status_panel([row("docs_monitor", {"interval_seconds": 300}, stale=True),
                          row("send_mail", {"interval_seconds": 60}, stale=True)])
    assert panel["healthy"] is False
    assert {line["process"]: line["state"] for line in panel["processes"]}["docs_monitor"] == "stale"
    assert "send_mail" not in {line["process"] for line in panel["processes"]}


def test_each_process_line_reads_its_own_details():
    panel = status_panel([
        row("docs_monitor", {"interval_seconds": 300}),
        row("slack_bot", {"connected": False, "transport": "socket-mode", "last_alert": "TargetDown",
                          "last_alert_at": "2026-03-30T06:59:00+00:00", "last_alert_runbook": "TargetDown"}),
        row("handoff_mailer", {"next_handoff_at": "2026-03-30T09:00:00+02:00", "last_sent_week": "2026-03-16"}),
        row("dashboard", {"interval_seconds": 600, "last_sync_at": "2026-03-30T06:58:00+00:00"}),
    ])
    facts = {line["process"]: line["facts"] for line in panel["processes"]}
    assert facts == {
        "docs_monitor": ["polls every 5 min"],
        "slack_bot": ["not connected", "last alert 2026-03-30 06:59 UTC: TargetDown → TargetDown"],
        "handoff_mailer": ["next handoff 2026-03-30 09:00 UTC+02:00", "last sent week of 2026-03-16"],
        "dashboard": ["last sync 2026-03-30 06:58 UTC", "syncs every 10 min"],
    }


@pytest.fixture
def app(database_url):
    data = DashboardData(Database(lambda: connect_url(database_url)), "UTC")
    yield create_app(data, password="s3cret-dashboard").test_client()
    data.close()


def beat_all(db):
    heartbeats.record_heartbeat(db, "docs_monitor", 300, "Polled 1 URLs: 2 changed")
    heartbeats.record_heartbeat(db, "slack_bot", 30, "connected", connected=True, transport="rtm",
                                    last_alert=HOSTILE, last_alert_result="replied", last_alert_runbook="KubeJobFailed")
    heartbeats.record_heartbeat(db, "handoff_mailer", 300, "sent", last_sent_week="2026-03-16",
                                    next_handoff_at="2026-03-30T09:00:00+02:00")
    heartbeats.record_heartbeat(db, "dashboard", 300, "synced 40 incidents", syncing=True)


def test_status_lists_every_process_while_every_heartbeat_is_fresh(app, db):
    beat_all(db)
    assert app.get("/healthz").status_code == 200  # no password: a load balancer asks it
    response = app.get("/status", auth=("oncall", "s3cret-dashboard"))
    assert response.status_code == 200
    health = response.get_json()
    assert health["status"] == "ok"
    assert {line["process"]: line["last_outcome"] for line in health["processes"]} == {
        "docs_monitor": "Polled 1 URLs: 2 changed", "slack_bot": "connected", "handoff_mailer": "sent",
        "dashboard": "synced 40 incidents"}


def test_healthz_stays_200_while_another_process_is_stale_and_status_says_which(app, db):
    beat_all(db)
    with db, db.cursor() as cur:  # the bot beats every 30 s; 91 s without a beat is stale
        cur.execute("UPDATE process_status SET heartbeat_at = now() - interval '91 seconds'")
    assert app.get("/healthz").status_code == 200 and app.get("/healthz").get_json()["database"] == "ok"
    response = app.get("/status", auth=("oncall", "s3cret-dashboard"))
    assert response.status_code == 200
    health = response.get_json()
    assert health["status"] == "stale"
    assert {line["process"]: line["state"] for line in health["processes"]} == {
        "docs_monitor": "ok", "slack_bot": "stale", "handoff_mailer": "ok", "dashboard": "ok"}


def test_the_page_shows_the_panel_with_untrusted_text_escaped(app, db):
    beat_all(db)
    with db, db.cursor() as cur:
        cur.execute("UPDATE process_status SET heartbeat_at = now() - interval '20 minutes'"
                    " WHERE process = 'handoff_mailer'")
    page = app.get("/", auth=("oncall", "s3cret-dashboard")).get_data(as_text=True)
    panel = page[page.index('<table id="suite-status"'):page.index("</table>", page.index('id="suite-status"'))]
    assert 'data-process="handoff_mailer" data-state="stale"' in panel
    assert 'data-process="docs_monitor" data-state="ok"' in panel and "Polled 1 URLs: 2 changed" in panel
    assert "connected over rtm" in panel and "last sent week of 2026-03-16" in panel
    assert "&lt;script&gt;alert(1)&lt;/script&gt; KubeJobFailed → KubeJobFailed" in panel
    assert "<script>alert(1)" not in page


def scrape(app):
    from prometheus_client.parser import text_string_to_metric_families
    response = app.get("/metrics", auth=("oncall", "s3cret-dashboard"))
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_parse_and_follow_what_the_suite_records(app, db):
    beat_all(db)
    before = scrape(app)
    assert before[("oncall_helper_heartbeat_age_seconds", (("process", "slack_bot"),))] < 60
    assert before[("oncall_helper_slack_connected", ())] == 1.0
    assert ("oncall_helper_alerts_seen_total", (("match", "exact name"),)) not in before
    with db, db.cursor() as cur:
        for number, (reason, reply) in enumerate([("exact name", "1.2"), ("exact name", None), ("none", None)]):
            cur.execute("INSERT INTO alert_events (channel, message_ts, title, alert_key, match_reason, reply_ts)"
                        " VALUES ('C1', %s, 'KubeJobFailed', 'kube job failed', %s, %s)", (f"{number}.1", reason, reply))
        cur.execute("INSERT INTO handoff_runs (week_of, week_start, week_end, status) "
                    "VALUES ('2026-11-23', '2026-11-23 09:00Z', '2026-11-30 09:00Z', 'sent')")
        cur.execute("UPDATE process_status SET heartbeat_at = now() - interval '91 seconds' WHERE process = 'slack_bot'")
    after = scrape(app)
    assert after[("oncall_helper_alerts_seen_total", (("match", "exact name"),))] == 2
    assert after[("oncall_helper_alerts_answered_total", (("match", "exact name"),))] == 1
    assert after[("oncall_helper_alerts_seen_total", (("match", "none"),))] == 1
    assert after[("oncall_helper_alerts_quiet_total", (("match", "exact name"),))] == 1
    assert after[("oncall_helper_handoff_mails_sent_total", ())] == 1
    assert after[("oncall_helper_process_stale", (("process", "slack_bot"),))] == 1.0
    assert after[("oncall_helper_slack_connected", ())] == 0.0  # a stale heartbeat is no connection
    assert after[("oncall_helper_dashboard_request_seconds_count", (("route", "/metrics"),))] >= 1
