"""The suite's status: the panel built from heartbeat rows, /healthz's 200 and 503, the rendered panel."""
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


def test_healthz_is_200_while_every_heartbeat_is_fresh_and_needs_no_password(app, db):
    beat_all(db)
    response = app.get("/healthz")
    assert response.status_code == 200
    health = response.get_json()
    assert health["status"] == "ok"
    assert {line["process"]: line["last_outcome"] for line in health["processes"]} == {
        "docs_monitor": "Polled 1 URLs: 2 changed", "slack_bot": "connected", "handoff_mailer": "sent",
        "dashboard": "synced 40 incidents"}


def test_healthz_is_503_when_a_heartbeat_is_older_than_three_intervals(app, db):
    beat_all(db)
    with db, db.cursor() as cur:  # the bot beats every 30 s; 91 s without a beat is stale
        cur.execute("UPDATE process_status SET heartbeat_at = now() - interval '91 seconds'")
    response = app.get("/healthz")
    assert response.status_code == 503
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
    panel = page[page.index('<table id="suite-status">'):page.index("</table>", page.index('id="suite-status"'))]
    assert 'data-process="handoff_mailer" data-state="stale"' in panel
    assert 'data-process="docs_monitor" data-state="ok"' in panel and "Polled 1 URLs: 2 changed" in panel
    assert "connected over rtm" in panel and "last sent week of 2026-03-16" in panel
    assert "&lt;script&gt;alert(1)&lt;/script&gt; KubeJobFailed → KubeJobFailed" in panel
    assert "<script>alert(1)" not in page
