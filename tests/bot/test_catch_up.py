"""The catch-up against the sandbox Slack's Web API: every page of a busy channel, and channels the
bot cannot read skipped with one log line each."""
import logging

import pytest
from slack_sdk import WebClient

from bot.catch_up import UnreadableChannels, catch_up
from bot.handler import AlertHandler, BotSettings, Handled
from database import connection
from database.outage import Database
from sandbox.slack import SlackSandbox
from sandbox.slack_workspace import PAGERDUTY_BOT_ID, pagerduty_message
from tests.corpus_runbooks import load_samples

CHANNEL = "C0ALERTS"


@pytest.fixture
def slack():
    # These tests are about reading history; the replies go out unpaced (tests/bot/test_work_queue.py paces).
    sandbox = SlackSandbox(channel_post_limit=False).start()
    yield sandbox, WebClient(token="xoxb-catch-up", base_url=sandbox.api_url)
    sandbox.stop()


def handler_for(database_url, client):
    def post_reply(channel, thread_ts, text, blocks):
        return client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)["ts"]
    settings = BotSettings(pagerduty_bot_ids=(PAGERDUTY_BOT_ID,), reply_when_no_runbook=True)
    return AlertHandler(Database(lambda: connection.connect_url(database_url)), settings, post_reply)


def post_alerts(sandbox, channel, count, first_number):
    return [sandbox.workspace.add_message(channel, pagerduty_message("KubePodCrashLooping", number, f"QC{number}"))
            for number in range(first_number, first_number + count)]


def test_the_sandbox_pages_history_as_slack_does(slack):
    sandbox, client = slack
    alerts = post_alerts(sandbox, CHANNEL, 5, 100)
    first = client.conversations_history(channel=CHANNEL, limit=2)
    assert [m["ts"] for m in first["messages"]] == [alerts[4]["ts"], alerts[3]["ts"]] and first["has_more"]
    rest = client.conversations_history(channel=CHANNEL, limit=10, cursor=first["response_metadata"]["next_cursor"])
    assert [m["ts"] for m in rest["messages"]] == [a["ts"] for a in reversed(alerts[:3])] and not rest["has_more"]
    after = client.conversations_history(channel=CHANNEL, oldest=alerts[2]["ts"])
    assert [m["ts"] for m in after["messages"]] == [alerts[4]["ts"], alerts[3]["ts"]]


def test_a_catch_up_answers_every_alert_of_a_storm_longer_than_a_page(slack, db, database_url):
    sandbox, client = slack
    load_samples(db)
    alerts = post_alerts(sandbox, CHANNEL, 230, 1000)
    catch_up(client, handler_for(database_url, client), [CHANNEL])
    answered = {post["thread_ts"] for post in sandbox.workspace.posts(CHANNEL)}
    assert answered == {alert["ts"] for alert in alerts}
    assert len(sandbox.workspace.posts(CHANNEL)) == len(alerts)  # one reply each


def test_a_channel_the_bot_cannot_read_is_logged_once_and_the_others_are_caught_up(slack, db, database_url,
                                                                                  caplog):
    sandbox, client = slack
    load_samples(db)
    sandbox.apply_faults({"remove_bot": "C0REMOVED"})
    alert = post_alerts(sandbox, CHANNEL, 1, 2000)[0]
    handler, unreadable = handler_for(database_url, client), UnreadableChannels()
    with caplog.at_level(logging.WARNING, logger="bot.catch_up"):
        for _ in range(2):
            catch_up(client, handler, ["C0REMOVED", "alerts-typo", CHANNEL], unreadable=unreadable)
    assert [post["thread_ts"] for post in sandbox.workspace.posts(CHANNEL)] == [alert["ts"]]
    refused = [record.getMessage() for record in caplog.records if "refused the history" in record.getMessage()]
    assert len(refused) == 2
    assert "C0REMOVED (not_in_channel)" in refused[0] and "alerts-typo (channel_not_found)" in refused[1]


def test_a_reply_slack_refuses_for_good_is_tried_once_and_never_asks_for_a_catch_up(slack, db, database_url):
    from bot.catch_up import CatchingUp
    from bot.posting import slack_poster

    sandbox, client = slack
    load_samples(db)
    sandbox.apply_faults({"archive": "C0ARCHIVED"})
    alert = post_alerts(sandbox, "C0ARCHIVED", 1, 3000)[0]
    settings = BotSettings(pagerduty_bot_ids=(PAGERDUTY_BOT_ID,))
    catching_up = CatchingUp(client, ["C0ARCHIVED"])
    handler = AlertHandler(Database(lambda: connection.connect_url(database_url)), settings,
                           slack_poster(client), catching_up.after_alert)
    first = handler.handle({**alert})
    assert first.note == "post refused (is_archived)"
    assert not catching_up.wanted.is_set()  # no catch-up loop re-posting into an archived channel
    assert handler.handle({**alert}).result is Handled.DUPLICATE


def test_a_reply_too_long_for_slack_is_posted_short_with_the_runbooks_link(slack, db, database_url):
    from bot.posting import slack_poster
    from tests.corpus_runbooks import SITE, sample_runbook, store_runbook

    sandbox, client = slack
    steps = "\n".join(f"{n}. Check shard {n} of the queue and drain it if it lags." for n in range(1, 600))
    store_runbook(db, f"{SITE}/runbooks/queuelaghigh/", sample_runbook("QueueLagHigh", "The queue lags.", steps))
    alert = sandbox.workspace.add_message(CHANNEL, pagerduty_message("QueueLagHigh", 4000, "QC4000"))
    settings = BotSettings(pagerduty_bot_ids=(PAGERDUTY_BOT_ID,), steps_budget=30_000)  # past what Slack takes
    handler = AlertHandler(Database(lambda: connection.connect_url(database_url)), settings,
                           slack_poster(client))
    assert handler.handle({**alert}).result is Handled.REPLIED
    reply = sandbox.workspace.posts(CHANNEL, alert["ts"])[0]
    text = " ".join(block.get("text", {}).get("text", "") for block in reply["blocks"] if block.get("text"))
    assert len(text) < 12_000 and "Full runbook" in text


def test_an_alert_the_pagerduty_app_edited_while_the_bot_was_down_is_answered_and_its_edits_are_statuses(
        slack, db, database_url):
    sandbox, client = slack
    load_samples(db)
    missed = sandbox.workspace.add_message(CHANNEL, pagerduty_message("KubePodCrashLooping", 31, "QMISS31"))
    sandbox.workspace.edit_message(CHANNEL, missed["ts"],
                                   pagerduty_message("KubePodCrashLooping", 31, "QMISS31", "acknowledged"))
    over = sandbox.workspace.add_message(CHANNEL, pagerduty_message("KubeJobFailed", 32, "QOVER32"))
    sandbox.workspace.edit_message(CHANNEL, over["ts"], pagerduty_message("KubeJobFailed", 32, "QOVER32", "resolved"))
    handler = handler_for(database_url, client)
    catch_up(client, handler, [CHANNEL])
    # Acknowledged while the bot was down: somebody is on it, and the runbook is still what they need.
    assert [post["thread_ts"] for post in sandbox.workspace.posts(CHANNEL)] == [missed["ts"]]
    edit = sandbox.workspace.edit_message(CHANNEL, missed["ts"],
                                          pagerduty_message("KubePodCrashLooping", 31, "QMISS31", "resolved"))
    outcome = handler.handle(edit)
    assert (outcome.result, outcome.detail) == (Handled.STATUS_UPDATE, "resolved")
    with db, db.cursor() as cur:
        cur.execute("SELECT message_ts, status FROM alert_events ORDER BY id")
        assert cur.fetchall() == [(missed["ts"], "resolved"), (over["ts"], "resolved")]
    assert len(sandbox.workspace.posts(CHANNEL)) == 1
