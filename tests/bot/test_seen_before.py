"""'Seen before' in a reply: the earlier incidents of the alert, from the PagerDuty sync's store,
checked against the sandbox history it was synced from."""
import statistics
from datetime import datetime, timedelta, timezone

import psycopg2
import pytest

from alert_visualization.incident_sync import SyncSettings, sync
from alert_visualization.pagerduty_api import PagerDutyClient, retry_policy
from bot.seen_before import COUNT_UP_TO, MEDIAN_OF, WINDOW_DAYS, seen_before, seen_before_block
from matching.titles import alert_key
from sandbox.pagerduty import DEFAULT_TOKEN, Account, serve_in_thread
from sandbox.pagerduty_history import generate_history

END = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def synced(pg_server_url):
    """(history, connection) with 45 days of the sandbox's incidents synced into a fresh database."""
    from tests.databases import fresh_database
    history = generate_history(seed=11, days=45, count=900, end=END)
    account = Account(history)
    account.clock = END.timestamp()
    server = serve_in_thread(account)
    with fresh_database(pg_server_url, "seen_before_test") as url:
        conn = psycopg2.connect(url)
        client = PagerDutyClient(DEFAULT_TOKEN, server.base_url, timeout=10, retry=retry_policy(backoff_factor=0))
        sync(conn, client, SyncSettings(initial_days=60), now=END)
        yield history, conn
        conn.close()
    server.shutdown()
    server.server_close()


def expected(history, key, now, this_number):
    """The same figures worked out from the history itself."""
    earlier = [incident for incident in history.incidents if alert_key(incident.title) == key
               and incident.created_at <= now.timestamp() and incident.number != this_number
               and incident.merged_into is None]
    window = [incident for incident in earlier if incident.created_at >= (now - timedelta(days=WINDOW_DAYS)).timestamp()]
    resolved = sorted((incident for incident in window if incident.resolved_at is not None),
                      key=lambda incident: incident.created_at, reverse=True)[:MEDIAN_OF]
    spans = [incident.resolved_at - incident.created_at for incident in resolved]
    last = max(earlier, key=lambda incident: incident.created_at)
    notes = [entry.note for entry in history.log_entries if entry.kind == "annotate"
             and history.incidents[entry.incident_index].number == last.number]
    person = last.resolved_by if last.resolved_by not in (None, "integration", "timeout") else None
    return len(window), statistics.median(spans) if spans else None, last, person, (notes or [None])[-1]


def test_seen_before_agrees_with_the_history_it_was_synced_from(synced):
    history, conn = synced
    keys = sorted({alert_key(incident.title) for incident in history.incidents})
    checked = 0
    for key in keys:
        latest = max((i for i in history.incidents if alert_key(i.title) == key), key=lambda i: i.created_at)
        others = [i for i in history.incidents if alert_key(i.title) == key and i.number != latest.number]
        seen = seen_before(conn, [key], END, incident_number=latest.number)
        if not others:
            assert seen is None  # a first firing shows nothing
            continue
        fired, median, last, person, note = expected(history, key, END, latest.number)
        assert seen.fired == min(fired, COUNT_UP_TO + 1), key
        if median is None:
            assert seen.median_to_resolve is None
        else:
            assert abs(seen.median_to_resolve.total_seconds() - median) <= 1, key
        assert seen.last_number == last.number and seen.last_at.timestamp() == last.created_at
        assert seen.last_resolved_by == person and seen.last_note == note, key
        checked += 1
    assert checked >= 5
    assert any(seen_before(conn, [key], END) and seen_before(conn, [key], END).last_note for key in keys)


def test_the_line_says_how_often_how_long_who_and_the_note():
    seen_at = END - timedelta(days=3)
    from bot.seen_before import SeenBefore
    seen = SeenBefore(4, timedelta(minutes=42), seen_at, "Ana Lima", "Restarted the pod <!channel>",
                      "https://acme.pagerduty.com/incidents/Q1", 1234)
    text = seen_before_block(seen, END)["elements"][0]["text"]
    assert text.startswith("*Seen before:* 4 times in the last 30 days, resolved in 42 min (median)")
    assert "<https://acme.pagerduty.com/incidents/Q1|last 3 days ago (#1234)>, resolved by Ana Lima" in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    busy = seen_before_block(SeenBefore(COUNT_UP_TO + 1, None, seen_at, None, None, None, None), END)
    assert busy["elements"][0]["text"].startswith("*Seen before:* more than 1,000 times in the last 30 days · last")


def test_an_alerts_history_is_looked_up_by_its_title_unless_every_alert_shares_that_title():
    from bot.handler import history_keys
    from bot.recognition import AlertMessage
    from matching.matcher import Match

    def alert(title, details):
        return AlertMessage("C1", "1.1", title, "triggered", None, None, None, details=f"{title}\n{details}")

    generic = alert("Incident triggered by Alertmanager", "*Alert:* etcdNoLeader")
    named = Match(generic.title, "", "etcd no leader", runbook_id=1, matched="etcdNoLeader", reason="name in the message")
    assert history_keys(generic, named) == ["etcd no leader", "etcd no leader"]
    # A title of its own words keeps the incidents stored under it, beside the named alert's.
    own = alert("[FIRING:1] Pod is crash looping", "alertname=KubePodCrashLooping")
    by_words = Match(own.title, "", "kube pod crash looping", runbook_id=2, matched="KubePodCrashLooping",
                     reason="text match")
    assert history_keys(own, by_words) == ["kube pod crash looping", "kube pod crash looping", "pod is crash looping"]
