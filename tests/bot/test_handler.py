"""The message handler's database handling: outages retried briefly, logged, survived."""
import logging
import threading

import psycopg2

from bot import claims, feedback_store
from bot.handler import AlertHandler, BotSettings, Handled
from bot.recognition import recognise_alert
from database import connection
from database.outage import Database
from matching.knowledge_base import load_index
from matching.lessons import CORRECTED
from matching.matcher import match_alert
from sandbox.slack_workspace import PAGERDUTY_BOT_ID, pagerduty_message
from tests.corpus_runbooks import load_samples

DEAD_URL = "postgresql://127.0.0.1:1/nowhere"


def alert_event(number, title="KubePodCrashLooping"):
    return {"channel": "C1", "ts": f"1700000000.{number:06d}", **pagerduty_message(title, number, f"QH{number}")}


def handler_for(database, posted):
    def post_reply(channel, thread_ts, text, blocks):
        posted.append((channel, thread_ts, text))
        return f"{thread_ts}1"
    return AlertHandler(database, BotSettings(pagerduty_bot_ids=(PAGERDUTY_BOT_ID,)), post_reply)


def test_an_alert_named_only_in_its_attachment_is_answered_with_that_runbook(db, database_url):
    # An Alertmanager template under a generic title: the name is in the attachment's text, the service
    # field a person's words.
    load_samples(db)
    event = alert_event(6, "Incident triggered by Alertmanager")
    event["attachments"][0]["text"] = "*Alert:* KubePodCrashLooping\n*Severity:* critical\n*Summary:* restarts"
    posted = []
    outcome = handler_for(Database(lambda: psycopg2.connect(database_url)), posted).handle(event)
    assert outcome.result is Handled.REPLIED
    assert (outcome.match.matched, outcome.match.reason) == ("KubePodCrashLooping", "name in the message")
    assert len(posted) == 1 and "named in the message" in str(outcome.reply_blocks)


def test_a_lesson_on_an_alert_under_a_generic_title_teaches_that_alert_only(db, database_url):
    # Keyed by the title, every "Incident triggered by Alertmanager" would be one alert: a correction on
    # one would answer them all.  The name the attachment gives is the alert.
    load_samples(db)
    database = Database(lambda: psycopg2.connect(database_url))
    handler = handler_for(database, [])

    def generic(number, name):
        event = alert_event(number, "Incident triggered by Alertmanager")
        event["attachments"][0]["text"] = f"*Alert:* {name}\n*Severity:* critical"
        return event

    first = handler.handle(generic(40, "etcdNoLeader"))
    assert first.match.matched == "etcdNoLeader"
    replied = database.run(lambda conn: feedback_store.alert_in_thread(conn, "C1", first.alert.ts))
    assert replied.title_key == "etcd no leader"
    database.run(lambda conn: feedback_store.record_feedback(conn, replied, "U1", "ana", CORRECTED, "KubeAPIDown"))

    other = handler.handle(generic(41, "TargetDown"))
    again = handler.handle(generic(42, "etcdNoLeader"))
    assert (other.match.matched, other.match.reason) == ("TargetDown", "name in the message")
    assert (again.match.matched, again.match.reason) == ("KubeAPIDown", "taught")


def test_a_database_outage_is_logged_and_the_handler_goes_on(caplog):
    posted = []
    handler = handler_for(Database(lambda: connection.connect_url(DEAD_URL), retry_seconds=1), posted)
    with caplog.at_level(logging.WARNING):
        outcome = handler.handle(alert_event(1))
    assert outcome.result is Handled.DATABASE_UNAVAILABLE and posted == []
    assert "Database unavailable" in caplog.text and "retrying" in caplog.text


def test_a_connection_lost_between_alerts_is_reopened(db, database_url):
    load_samples(db)
    attempts = []

    def connect():
        attempts.append(1)
        if len(attempts) == 2:
            raise psycopg2.OperationalError("server closed the connection unexpectedly")
        return psycopg2.connect(database_url)

    database = Database(connect, retry_seconds=5)
    posted = []
    handler = handler_for(database, posted)
    assert handler.handle(alert_event(2)).result is Handled.REPLIED
    database._local.conn.close()  # the server went away under us
    assert handler.handle(alert_event(3)).result is Handled.REPLIED
    assert len(posted) == 2 and len(attempts) == 3


def test_the_same_incident_is_answered_once_by_two_handlers(db, database_url):
    load_samples(db)
    posted = []
    first, second = (handler_for(Database(lambda: psycopg2.connect(database_url)), posted) for _ in range(2))
    assert first.handle(alert_event(4)).result is Handled.REPLIED
    assert second.handle(alert_event(4)).result is Handled.DUPLICATE
    assert second.handle(alert_event(5, "KubePodCrashLooping") | {"attachments": alert_event(4)["attachments"]}
                         ).result is Handled.ALREADY_ANSWERED
    assert len(posted) == 1


def test_channels_outside_slack_channels_are_not_watched(db, database_url):
    load_samples(db)
    posted = []
    database = Database(lambda: psycopg2.connect(database_url))
    handler = AlertHandler(database, BotSettings(pagerduty_bot_ids=(PAGERDUTY_BOT_ID,), channels=("C2",)),
                           lambda *reply: posted.append(reply) or "1.1")
    assert handler.handle(alert_event(6)).result is Handled.CHANNEL_NOT_WATCHED
    assert handler.handle({**alert_event(7), "channel": "C2"}).result is Handled.REPLIED
    assert len(posted) == 1


def test_an_alert_arriving_as_the_server_crashes_is_answered_once_it_is_back(crashable_server):
    conn = psycopg2.connect(crashable_server.url)
    load_samples(conn)
    conn.close()
    posted = []
    handler = handler_for(Database(lambda: psycopg2.connect(crashable_server.url), retry_seconds=20), posted)
    assert handler.handle(alert_event(4)).result is Handled.REPLIED
    crashable_server.crash()
    threading.Timer(2, crashable_server.start_again).start()
    assert handler.handle(alert_event(5)).result is Handled.REPLIED
    assert len(posted) == 2


def test_an_alert_recorded_but_never_answered_is_answered_when_seen_again(db, database_url):
    # The database went away between recording the alert and claiming its reply.
    load_samples(db)
    event = alert_event(8)
    alert = recognise_alert(event, (PAGERDUTY_BOT_ID,))
    claims.record_alert(db, alert, match_alert(load_index(db), alert.title))
    posted = []
    handler = handler_for(Database(lambda: psycopg2.connect(database_url)), posted)
    assert handler.handle(event).result is Handled.REPLIED
    assert handler.handle(event).result is Handled.DUPLICATE
    assert len(posted) == 1


def test_a_reply_slack_refused_is_posted_when_the_alert_is_seen_again(db, database_url):
    load_samples(db)
    refusals = [RuntimeError("ratelimited: still 429 after 5 retries")]
    posted = []

    def post_reply(channel, thread_ts, text, blocks):
        if refusals:
            raise refusals.pop()
        posted.append(thread_ts)
        return f"{thread_ts}1"

    handler = AlertHandler(Database(lambda: psycopg2.connect(database_url)),
                           BotSettings(pagerduty_bot_ids=(PAGERDUTY_BOT_ID,)), post_reply)
    assert handler.handle(alert_event(9)).result is Handled.POST_FAILED
    assert handler.handle(alert_event(9)).result is Handled.REPLIED  # the catch-up's second look
    assert handler.handle(alert_event(9)).result is Handled.DUPLICATE
    assert posted == [alert_event(9)["ts"]]


def test_a_reply_posted_as_the_server_goes_away_is_recorded_once_it_is_back(crashable_server):
    conn = psycopg2.connect(crashable_server.url)
    load_samples(conn)
    conn.close()
    posted = []

    def post_then_lose_the_database(channel, thread_ts, text, blocks):
        posted.append(thread_ts)
        crashable_server.crash()  # the reply is in Slack; the database is gone for longer than the retries
        threading.Timer(3, crashable_server.start_again).start()
        return f"{thread_ts}1"

    database = Database(lambda: psycopg2.connect(crashable_server.url), retry_seconds=1)
    handler = AlertHandler(database, BotSettings(pagerduty_bot_ids=(PAGERDUTY_BOT_ID,)), post_then_lose_the_database)
    assert handler.handle(alert_event(6)).result is Handled.REPLIED
    check = psycopg2.connect(crashable_server.url)
    with check, check.cursor() as cur:
        cur.execute("SELECT reply_ts FROM alert_events")
        assert cur.fetchall() == [(f"{alert_event(6)['ts']}1",)]
        # The claim is not left looking abandoned: a stale one would be taken over by a re-post.
        cur.execute("SELECT count(*) FROM alert_replies WHERE reply_ts IS NULL")
        assert cur.fetchone()[0] == 0
    check.close()
    assert posted == [alert_event(6)["ts"]]


def test_interactive_replies_carry_feedback_buttons_and_quiet_ones_a_this_one_choice(db, database_url):
    load_samples(db)
    posted = []

    def post_reply(channel, thread_ts, text, blocks):
        posted.append(blocks)
        return f"{thread_ts}1"

    settings = BotSettings(pagerduty_bot_ids=(PAGERDUTY_BOT_ID,), interactive=True, reply_when_no_runbook=True)
    handler = AlertHandler(Database(lambda: psycopg2.connect(database_url)), settings, post_reply)
    assert handler.handle(alert_event(40)).result is Handled.REPLIED
    assert [element["action_id"] for element in posted[0][-1]["elements"]] == ["feedback_helpful", "feedback_wrong"]
    assert handler.handle(alert_event(41, "Some pods in payments look unhealthy")).result is Handled.REPLIED
    quiet = posted[1]
    assert quiet[0]["text"]["text"].startswith("No runbook found")
    offered = [element for element in quiet[-1]["elements"]]
    assert offered and all(element["action_id"].startswith("feedback_this_one:") for element in offered)
    assert "KubePodCrashLooping" in [element["text"]["text"].removeprefix("This one: ") for element in offered]
    plain = AlertHandler(Database(lambda: psycopg2.connect(database_url)),
                         BotSettings(pagerduty_bot_ids=(PAGERDUTY_BOT_ID,)), post_reply)
    assert plain.handle(alert_event(42)).result is Handled.REPLIED
    assert all(block["type"] != "actions" for block in posted[2])  # RTM: no buttons it could not receive
