"""The PagerDuty client and incremental sync against the sandbox stand-in on loopback."""
import threading
from datetime import datetime, timedelta, timezone

import psycopg2
import pytest
import requests

from alert_visualization import csv_import
from alert_visualization.incident_sync import SyncSettings, log_stream_teams, sync
from alert_visualization.pagerduty_api import PagerDutyClient, PagerDutyError, retry_policy
from database.locks import Lock, try_lock, unlock
from sandbox.pagerduty import DEFAULT_TOKEN, Account, serve_in_thread
from sandbox.pagerduty_endpoints import OVERVIEW_KINDS
from sandbox.pagerduty_history import RESPONDERS, generate_history

END = datetime(2026, 3, 20, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def start_sandbox():
    servers = []

    def start(count=400, days=30, seed=3, clock=END):
        account = Account(generate_history(seed=seed, days=days, count=count, end=END))
        account.clock = clock.timestamp()
        server = serve_in_thread(account)
        servers.append(server)
        return account, server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def control(server, path, body):
    requests.post(f"{server.base_url}/_sandbox/{path}", json=body, timeout=5).raise_for_status()


def client_for(server, retry=None):
    return PagerDutyClient(DEFAULT_TOKEN, server.base_url, timeout=10, retry=retry or retry_policy(backoff_factor=0))


def truth(account, clock):
    """What the sandbox says each incident looks like at `clock`, computed from its history."""
    expected = {}
    for incident in account.history.incidents:
        if incident.created_at >= clock.timestamp():
            continue
        acked = incident.acknowledged_at if incident.acknowledged_at and incident.acknowledged_at < clock.timestamp() else None
        resolved = incident.resolved_at if incident.resolved_at and incident.resolved_at < clock.timestamp() else None
        auto = None if resolved is None else incident.resolved_by not in RESPONDERS
        status = "resolved" if resolved else ("acknowledged" if acked else "triggered")
        expected[incident.id] = (status, _utc(acked), _utc(resolved), auto)
    return expected


def _utc(seconds):
    return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc)


def stored(db):
    with db, db.cursor() as cur:
        cur.execute("SELECT id, status, first_acknowledged_at, resolved_at, auto_resolved FROM incidents")
        return {row[0]: tuple(row[1:]) for row in cur.fetchall()}


def test_sync_stores_every_incident_with_first_ack_and_resolve(db, start_sandbox):
    account, server = start_sandbox(count=400, days=30)
    result = sync(db, client_for(server), SyncSettings(initial_days=31), now=END)
    assert result.incidents == 400
    assert stored(db) == truth(account, END)
    with db, db.cursor() as cur:
        cur.execute("SELECT count(*) FROM incidents WHERE auto_resolved")
        assert cur.fetchone()[0] > 20  # the history's flapping alerts made it through


def test_resync_fetches_only_what_is_new(db, start_sandbox):
    earlier = END - timedelta(days=2)
    account, server = start_sandbox(count=600, days=30, clock=earlier)
    sync(db, client_for(server), SyncSettings(initial_days=31), now=earlier)
    assert stored(db) == truth(account, earlier)

    control(server, "clock", {"now": END.isoformat()})
    control(server, "stats/reset", {})
    result = sync(db, client_for(server), SyncSettings(initial_days=31, overlap=timedelta(minutes=10)), now=END)
    window_start = (earlier - timedelta(minutes=10)).timestamp()
    new_or_overlap = sum(1 for incident in account.history.incidents if window_start <= incident.created_at < END.timestamp())
    assert result.incidents == new_or_overlap < 100
    stats = requests.get(f"{server.base_url}/_sandbox/stats", timeout=5).json()
    # The new ones, and the list of incidents still open (checked against those stored as open).
    open_now = sum(1 for incident in account.history.incidents
                   if incident.created_at < END.timestamp() and account.status_at(incident, END.timestamp()) != "resolved")
    assert new_or_overlap <= stats["records_served"]["incidents"] <= new_or_overlap + open_now
    # Incidents created before the re-sync window still got their later acknowledgements and resolves.
    assert stored(db) == truth(account, END)


def test_window_over_ten_thousand_incidents_is_split_and_synced_completely(db, start_sandbox):
    account, server = start_sandbox(count=10_300, days=2)
    result = sync(db, client_for(server), SyncSettings(initial_days=3), now=END)
    assert result.incidents == 10_300
    assert stored(db) == truth(account, END)
    stats = requests.get(f"{server.base_url}/_sandbox/stats", timeout=5).json()
    assert stats["errors_400"] == 0
    assert stats["max_offset_plus_limit"] <= 10_000


def test_offset_cap_is_reported_with_the_apis_message(start_sandbox):
    _, server = start_sandbox(count=50)
    with pytest.raises(PagerDutyError, match="exceeds maximum allowed value of 10000"):
        client_for(server).get("/incidents", {"offset": 9950, "limit": 100})


@pytest.mark.parametrize("headers", ["ratelimit", "retry-after"])
def test_a_429_is_waited_out_for_as_long_as_its_headers_say(db, start_sandbox, headers):
    account, server = start_sandbox(count=150)
    control(server, "faults", {"status": 429, "count": 2, "retry_after": 1, "headers": headers})
    result = sync(db, client_for(server), SyncSettings(initial_days=31), now=END)
    assert result.incidents == 150
    stats = requests.get(f"{server.base_url}/_sandbox/stats", timeout=5).json()
    assert stats["faults_served"] == 2
    assert min(stats["retry_gaps"]) >= 0.95  # the client waited as long as ratelimit-reset / Retry-After said
    assert stored(db) == truth(account, END)


def test_a_429_without_headers_is_waited_out_with_a_growing_wait(db, start_sandbox):
    account, server = start_sandbox(count=150)
    control(server, "faults", {"status": 429, "count": 3, "retry_after": 1, "headers": "none"})
    retry = retry_policy(backoff_factor=0, headerless_wait=0.3)
    result = sync(db, client_for(server, retry), SyncSettings(initial_days=31), now=END)
    assert result.incidents == 150 and stored(db) == truth(account, END)
    gaps = requests.get(f"{server.base_url}/_sandbox/stats", timeout=5).json()["retry_gaps"]
    assert min(gaps) >= 0.25 and max(gaps) >= 1.1  # 0.3, 0.6, 1.2 s: it waits longer each time


def test_only_headerless_429s_grow_the_guess_a_429_that_said_when_does_not(db, start_sandbox):
    account, server = start_sandbox(count=150)
    control(server, "faults", {"status": 429, "count": 3, "retry_after": 0})  # ratelimit-reset: 0 s
    control(server, "faults", {"status": 429, "count": 1, "retry_after": 1, "headers": "none"})
    retry = retry_policy(backoff_factor=0, headerless_wait=0.5)
    result = sync(db, client_for(server, retry), SyncSettings(initial_days=31), now=END)
    assert result.incidents == 150 and stored(db) == truth(account, END)
    gaps = requests.get(f"{server.base_url}/_sandbox/stats", timeout=5).json()["retry_gaps"]
    assert max(gaps) < 1.5  # the headerless one waited its first 0.5 s, not 0.5 * 2^3 = 4 s


def test_a_500_after_a_run_of_429s_waits_seconds_not_minutes(db, start_sandbox):
    account, server = start_sandbox(count=150)
    control(server, "faults", {"status": 429, "count": 4, "retry_after": 0})
    control(server, "faults", {"status": 500, "count": 2})
    retry = retry_policy(backoff_factor=1.0, backoff_max=1.0)
    result = sync(db, client_for(server, retry), SyncSettings(initial_days=31), now=END)
    assert result.incidents == 150 and stored(db) == truth(account, END)
    gaps = requests.get(f"{server.base_url}/_sandbox/stats", timeout=5).json()["retry_gaps"]
    assert max(gaps) < 2  # uncapped, the 500s would wait 2^4 and 2^5 seconds after the four 429s


def test_an_interrupted_sync_resumes_without_duplicates_or_refetching_everything(db, start_sandbox):
    account, server = start_sandbox(count=1500, days=30)
    control(server, "faults", {"status": 500, "count": 1000, "after_requests": 8})
    with pytest.raises(requests.exceptions.RetryError):
        sync(db, client_for(server, retry_policy(total=1, backoff_factor=0)), SyncSettings(initial_days=31), now=END)
    partial = len(stored(db))
    assert 0 < partial < 1500

    control(server, "faults", {"clear": True})
    control(server, "stats/reset", {})
    result = sync(db, client_for(server), SyncSettings(initial_days=31), now=END)
    assert result.incidents < 1500 - partial + 100  # resumed near the mark, not from the start
    assert stored(db) == truth(account, END)
    with db, db.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT incident_number) FROM incidents")
        assert cur.fetchone() == (1500, 1500)
        cur.execute("SELECT outcome FROM pagerduty_sync_runs ORDER BY id")
        assert [row[0] for row in cur.fetchall()] == ["failed", "ok"]


def test_only_one_sync_runs_at_a_time(db, database_url, start_sandbox):
    _, server = start_sandbox(count=20)
    other = psycopg2.connect(database_url)
    try:
        assert try_lock(other, Lock.PAGERDUTY_SYNC)
        assert sync(db, client_for(server), SyncSettings(initial_days=31), now=END).skipped
        unlock(other, Lock.PAGERDUTY_SYNC)
        assert not sync(db, client_for(server), SyncSettings(initial_days=31), now=END).skipped
    finally:
        other.close()


def test_a_bad_token_is_refused_without_echoing_it(start_sandbox):
    _, server = start_sandbox(count=5)
    client = PagerDutyClient("wrong-secret-token-value", server.base_url, retry=retry_policy(backoff_factor=0))
    with pytest.raises(PagerDutyError) as error:
        client.get("/incidents", {})
    assert "401" in str(error.value) and "wrong-secret-token-value" not in str(error.value)


def test_service_filter_reaches_the_api_and_the_log_stream_reads_only_those_services_teams(db, start_sandbox):
    account, server = start_sandbox(count=300)
    sync(db, client_for(server), SyncSettings(initial_days=31, service_ids=("PSVCPAY",)), now=END)
    expected = {i.id for i in account.history.incidents if i.service.id == "PSVCPAY"}
    assert set(stored(db)) == expected and expected
    # /log_entries has no service filter; payments' team is read, not the whole account's log.
    team = next(service.team_id for service in account.history.services if service.id == "PSVCPAY")
    served = requests.get(f"{server.base_url}/_sandbox/stats", timeout=5).json()["records_served"]["log_entries"]
    in_window = [entry for entry in account.history.log_entries if entry.kind in OVERVIEW_KINDS
                 and entry.created_at < END.timestamp()]
    of_team = [entry for entry in in_window if account.history.incidents[entry.incident_index].service.team_id == team]
    assert 0 < served <= len(of_team) < len(in_window)


def test_the_log_streams_teams_come_from_the_services_and_a_service_not_found_leaves_the_whole_log(start_sandbox):
    _, server = start_sandbox(count=10)
    client = client_for(server)
    assert log_stream_teams(client, SyncSettings(service_ids=("PSVCPAY", "PSVCAPI"))) == ("PTEAM02",)
    assert log_stream_teams(client, SyncSettings(service_ids=("PSVCPAY", "PSVCK8S"))) == ("PTEAM01", "PTEAM02")
    assert log_stream_teams(client, SyncSettings(service_ids=("PSVCPAY", "PNOSUCH"))) == ()
    assert log_stream_teams(client, SyncSettings(team_ids=("PT1",), service_ids=("PSVCPAY",))) == ("PT1",)


CSV_EXPORT = """\
Incident ID,#,Description,Status,Urgency,Service,Created On,Acknowledged On,Resolved On,Auto Resolved,Extra
PABC123,101,"[FIRING:1] KubePodCrashLooping (api-1 default critical)",resolved,high,kubernetes-platform,2026-03-01T10:00:00Z,2026-03-01T10:04:00Z,2026-03-01T10:30:00Z,false,x
PABC124,102,"ALARM: ""prod-api-5xx"" in EU (Ireland)",resolved,low,public-api,2026-03-01T11:00:00+01:00,,2026-03-01T10:02:00Z,true,y
,103,Nightly billing export missing,triggered,high,data-pipeline,2026-03-02 09:00,,,,z
PABC126,104,,resolved,high,search,2026-03-02T09:00:00Z,,,,no title: skipped
"""


def test_csv_import_finds_columns_by_name_and_tolerates_missing_ones(db, tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text(CSV_EXPORT, encoding="utf-8")
    loaded, skipped = csv_import.import_csv(db, path, "Europe/Berlin")
    assert (loaded, skipped) == (3, 1)
    with db, db.cursor() as cur:
        cur.execute("SELECT id, title, urgency, service_name, created_at, first_acknowledged_at, resolved_at,"
                    " auto_resolved, source FROM incidents ORDER BY incident_number")
        rows = cur.fetchall()
    assert rows[0][:4] == ("PABC123", "[FIRING:1] KubePodCrashLooping (api-1 default critical)", "high", "kubernetes-platform")
    assert rows[0][5] - rows[0][4] == timedelta(minutes=4)
    assert rows[1][1] == 'ALARM: "prod-api-5xx" in EU (Ireland)'
    assert rows[1][4] == datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc) and rows[1][7] is True
    # No id: one is derived; a time without an offset is read in the team's timezone (CET = UTC+1).
    assert rows[2][0].startswith("csv-") and rows[2][4] == datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    assert all(row[8] == "csv" for row in rows)
    # Importing the same export again updates rather than duplicates.
    assert csv_import.import_csv(db, path, "Europe/Berlin") == (3, 1)
    with db, db.cursor() as cur:
        cur.execute("SELECT count(*) FROM incidents")
        assert cur.fetchone()[0] == 3


def test_a_stopping_process_ends_the_sync_after_the_page_it_stored(db, start_sandbox):
    account, server = start_sandbox(count=800, days=30)
    stopping = threading.Event()
    result = sync(db, client_for(server), SyncSettings(initial_days=31), now=END,
                  progress=lambda stream, count: stopping.set(), stopping=stopping)
    assert result.stopped and result.incidents == 100  # one page, then stop
    assert len(stored(db)) == 100
    finished = sync(db, client_for(server), SyncSettings(initial_days=31), now=END)
    assert not finished.stopped and stored(db) == truth(account, END)
    with db, db.cursor() as cur:
        cur.execute("SELECT outcome FROM pagerduty_sync_runs ORDER BY id")
        assert [row[0] for row in cur.fetchall()] == ["stopped", "ok"]


def test_history_longer_than_six_months_is_fetched_in_spans_the_api_accepts(db, start_sandbox):
    account, server = start_sandbox(count=300, days=200)
    refused = requests.get(f"{server.base_url}/incidents", timeout=5, headers={"Authorization": f"Token token={DEFAULT_TOKEN}"},
                           params={"since": (END - timedelta(days=200)).isoformat(), "until": END.isoformat()})
    assert refused.status_code == 400 and "6 months" in refused.text
    control(server, "stats/reset", {})
    sync(db, client_for(server), SyncSettings(initial_days=201), now=END)
    assert stored(db) == truth(account, END)
    assert requests.get(f"{server.base_url}/_sandbox/stats", timeout=5).json()["errors_400"] == 0


def test_sandbox_filters_by_status_as_the_api_does(start_sandbox):
    account, server = start_sandbox(count=300, days=5)
    page = client_for(server).get("/incidents", {"statuses[]": ["triggered", "acknowledged"], "limit": 100,
                                                 "since": (END - timedelta(days=6)).isoformat(), "total": "true"})
    expected = [i for i, (status, *_rest) in truth(account, END).items() if status != "resolved"]
    assert page["total"] == len(expected) > 0
    assert [incident["id"] for incident in page["incidents"]] == expected[:100]  # oldest first
    assert all(incident["status"] in ("triggered", "acknowledged") for incident in page["incidents"])


def test_scheduled_faults_are_retried_through(db):
    account = Account(generate_history(seed=5, days=10, count=200, end=END), fault_every=4, fault_status=503)
    account.clock = END.timestamp()
    server = serve_in_thread(account)
    try:
        sync(db, client_for(server), SyncSettings(initial_days=11), now=END)
        assert stored(db) == truth(account, END)
        assert requests.get(f"{server.base_url}/_sandbox/stats", timeout=5).json()["faults_served"] >= 2
    finally:
        server.shutdown()
        server.server_close()


# The columns of PagerDuty's web-UI incident export (Incidents -> Export CSV): no acknowledgement
# time and no status column, durations in seconds instead.
WEB_UI_EXPORT = """id,incident_number,description,service_id,service_name,escalation_policy_name,created_on,resolved_on,\
seconds_to_first_ack,seconds_to_resolve,auto_resolved,acknowledged_by_user_names,resolved_by_user_name,urgency
Q1AAA,501,[FIRING:1] KubePodCrashLooping (api-1 default critical),PSVC1,kubernetes-platform,Platform,\
2026-03-01T08:00:00Z,2026-03-01T08:30:00Z,240,1800,false,Ana Souza,Ana Souza,high
Q1AAB,502,ALARM: "prod-api-5xx" in EU (Ireland),PSVC2,public-api,API,2026-03-01T09:00:00Z,2026-03-01T09:03:00Z,\
,180,true,,,low
Q1AAC,503,Disk almost full on db-3,PSVC3,databases,DB,2026-03-01T10:00:00Z,,90,,false,Jonas Weber,,high
"""


def test_the_web_uis_export_gives_acknowledgement_times_and_statuses(db, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(WEB_UI_EXPORT, encoding="utf-8")
    assert csv_import.import_csv(db, path, "UTC") == (3, 0)
    with db, db.cursor() as cur:
        cur.execute("SELECT incident_number, status, urgency, created_at, first_acknowledged_at, resolved_at, "
                    "auto_resolved FROM incidents ORDER BY incident_number")
        crash, api, disk = cur.fetchall()
    assert crash[4] - crash[3] == timedelta(seconds=240) and crash[5] - crash[3] == timedelta(minutes=30)
    assert crash[1] == "resolved" and crash[6] is False
    assert api[4] is None and api[1] == "resolved" and api[6] is True  # auto-resolved, never acknowledged
    assert disk[1] == "acknowledged" and disk[4] - disk[3] == timedelta(seconds=90) and disk[5] is None


def test_an_incident_whose_resolve_the_log_stream_missed_is_not_left_open(db, start_sandbox):
    account, server = start_sandbox(count=300, days=30)
    dropped = requests.post(f"{server.base_url}/_sandbox/drop_resolves", json={"count": 25}, timeout=5).json()
    assert dropped["dropped"] == 25
    result = sync(db, client_for(server), SyncSettings(initial_days=31), now=END)
    assert result.rechecked == 25
    assert stored(db) == truth(account, END)  # resolved, when, and by whom (a person or not), as PagerDuty says
    stats = requests.get(f"{server.base_url}/_sandbox/stats", timeout=5).json()
    assert stats["by_path"]["get_incident"] == 25  # one read per incident the stream missed, none for the rest


def test_a_late_resolve_the_log_stream_missed_closes_the_incident_at_the_next_sync(db, start_sandbox):
    earlier = END - timedelta(days=2)
    account, server = start_sandbox(count=600, days=30, clock=earlier)
    sync(db, client_for(server), SyncSettings(initial_days=31), now=earlier)
    control(server, "clock", {"now": END.isoformat()})
    dropped = requests.post(f"{server.base_url}/_sandbox/drop_resolves",
                            json={"count": 1000, "resolved_after": earlier.isoformat()}, timeout=5).json()["dropped"]
    late = [incident for incident in account.history.incidents if incident.created_at < earlier.timestamp()
            and incident.resolved_at and earlier.timestamp() <= incident.resolved_at < END.timestamp()]
    assert dropped > 0 and late  # open at the first sync, resolved since, and the stream lost the resolve
    sync(db, client_for(server), SyncSettings(initial_days=31), now=END)
    assert stored(db) == truth(account, END)
    assert all(stored(db)[incident.id][0] == "resolved" for incident in late)


def test_merged_incidents_are_stored_as_merged_whether_merged_before_the_first_sync_or_after(db, start_sandbox):
    earlier = END - timedelta(days=3)
    account, server = start_sandbox(count=900, days=30, clock=earlier)
    sync(db, client_for(server), SyncSettings(initial_days=31), now=earlier)
    control(server, "clock", {"now": END.isoformat()})
    sync(db, client_for(server), SyncSettings(initial_days=31), now=END)
    merged = {incident.id: incident.merged_into for incident in account.history.incidents
              if incident.merged_into and incident.resolved_at < END.timestamp()}
    late = [incident_id for incident_id in merged
            if account.history.by_id[incident_id].resolved_at >= earlier.timestamp()]
    assert merged and late  # some merged before the first sync, some between the two
    with db, db.cursor() as cur:
        cur.execute("SELECT id, merged_into FROM incidents WHERE merged_into IS NOT NULL")
        assert dict(cur.fetchall()) == merged
    assert stored(db) == truth(account, END)


def test_an_urgency_raised_after_the_first_sync_is_taken_from_the_incident_once_it_resolves(db, start_sandbox):
    from sandbox.pagerduty_history import RESPONDERS

    earlier = END - timedelta(days=3)
    account, server = start_sandbox(count=300, days=30, clock=earlier)
    start = earlier.timestamp()
    raised = account.history.new_incident("Disk filling on db-3", start - 600, urgency="low",
                                          acknowledged_at=start + 600, resolved_at=start + 3600,
                                          responder=RESPONDERS[0], raised=True)
    account.history = account.history.with_incident(raised)
    sync(db, client_for(server), SyncSettings(initial_days=31), now=earlier)
    assert stored_urgency(db, raised.id) == "low"  # as it was when the first sync saw it
    control(server, "clock", {"now": END.isoformat()})
    sync(db, client_for(server), SyncSettings(initial_days=31), now=END)
    assert stored_urgency(db, raised.id) == "high"  # raised when acknowledged, read again once it resolved


def stored_urgency(db, incident_id):
    with db, db.cursor() as cur:
        cur.execute("SELECT urgency FROM incidents WHERE id = %s", (incident_id,))
        return cur.fetchone()[0]


def test_an_eu_account_is_one_setting_and_a_refused_key_names_the_region(start_sandbox):
    import utils
    from alert_visualization.pagerduty_api import client_from_config

    config = utils.Config({"PAGERDUTY_TOKEN": ("a-key", "password_config line 1"),
                           "PAGERDUTY_REGION": ("eu", "password_config line 2")}, environ={})
    assert client_from_config(config).base_url == "https://api.eu.pagerduty.com"
    _, server = start_sandbox(count=10)
    with pytest.raises(PagerDutyError) as refused:
        PagerDutyClient("wrong-key", server.base_url, timeout=10).get("/incidents", {})
    assert "refused PAGERDUTY_TOKEN (HTTP 401" in str(refused.value) and "PAGERDUTY_REGION" in str(refused.value)
    assert "wrong-key" not in str(refused.value)
