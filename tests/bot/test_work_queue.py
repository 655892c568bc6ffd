"""Acks leave at once whatever the work costs, and replies are paced per channel as Slack asks.

The Socket Mode transport runs in-process against the sandbox Slack, with the real handler and
a PostgreSQL of the test's own that the test takes away: each handled message then waits for
the database, and an ack that waited with it would be past Slack's three seconds.
"""
import threading
import time

import psycopg2
import pytest
from slack_sdk import WebClient

from bot.catch_up import CatchingUp
from bot.handler import AlertHandler, BotSettings
from bot.posting import ChannelPacer, slack_poster
from bot.socket_mode import run_socket_mode
from bot.status import BotStatus
from bot.work_queue import WorkQueue
from database.outage import Database
from sandbox.loopback import wait_for
from sandbox.slack import SlackSandbox
from sandbox.slack_workspace import PAGERDUTY_BOT_ID, pagerduty_message
from tests.corpus_runbooks import load_samples

CHANNEL, OTHER_CHANNEL = "C0ALERTS", "C0OTHER"


class FakeClock:
    def __init__(self):
        self.now, self.slept = 100.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 3))
        self.now += seconds


def test_the_pacer_lets_a_short_burst_through_then_one_post_a_second_per_channel():
    clock = FakeClock()
    pacer = ChannelPacer(interval=1.0, burst=3, clock=clock, sleep=clock.sleep)
    waits = [pacer.wait_turn("C1") for _ in range(6)]
    assert waits == [0, 0, 0, 1.0, 1.0, 1.0]
    assert pacer.wait_turn("C2") == 0  # another channel does not queue behind C1
    clock.now += 10  # a quiet spell refills the burst
    assert [pacer.wait_turn("C1") for _ in range(3)] == [0, 0, 0]


@pytest.fixture
def bot_on(crashable_server):
    """The sandbox Slack, with the Socket Mode transport running in this process."""
    conn = psycopg2.connect(crashable_server.url)
    load_samples(conn)
    conn.close()
    sandbox = SlackSandbox().start()
    client = WebClient(token="xoxb-sandbox-token", base_url=sandbox.api_url)
    database = Database(lambda: psycopg2.connect(crashable_server.url), retry_seconds=30)
    handler = AlertHandler(database, BotSettings(pagerduty_bot_ids=(PAGERDUTY_BOT_ID,)), slack_poster(client))
    handler.load_runbooks()
    stopping = threading.Event()
    catching_up = CatchingUp(client, (CHANNEL, OTHER_CHANNEL))
    work = WorkQueue(handler, on_overflow=catching_up.request)
    threading.Thread(target=catching_up.run_until, args=(stopping, handler, work.put), daemon=True).start()
    transport = threading.Thread(target=run_socket_mode, args=(
        "xapp-sandbox-token", work.put, client, stopping, BotStatus(database, "socket-mode", interval=0.5),
        catching_up), daemon=True)
    transport.start()
    assert wait_for(lambda: sandbox.hub.status()["socket_mode_connections"] >= 1, 15)

    sandbox.catching_up = catching_up  # the test may ask for a look at history, as a reconnect does
    yield sandbox
    stopping.set()
    transport.join(10)
    work.stop(5)
    database.close()
    sandbox.stop()


def test_a_storm_during_a_database_outage_is_acked_at_once_and_answered_once_paced(bot_on, crashable_server):
    sandbox = bot_on
    crashable_server.stop()
    alerts = [sandbox.post(CHANNEL, pagerduty_message("KubePodCrashLooping", number, f"QSTORM{number}"))
              for number in range(600, 614)]
    assert wait_for(lambda: sandbox.hub.status()["acked"] >= len(alerts), 5), sandbox.hub.status()
    time.sleep(4)  # past Slack's 3 s: an envelope not acked by now would be sent again
    assert sandbox.hub.status()["redelivered"] == 0
    crashable_server.start_again()
    answered = wait_for(lambda: len({post["thread_ts"] for post in sandbox.workspace.posts(CHANNEL)}) == len(alerts),
                        60)
    assert answered, f"{len(sandbox.workspace.posts(CHANNEL))} of {len(alerts)} answered"
    assert len(sandbox.workspace.posts(CHANNEL)) == len(alerts)  # none twice
    assert sandbox.channel_rate_limited == 0  # paced below Slack's per-channel rate: no 429s


def test_a_storm_in_one_channel_does_not_hold_up_an_alert_in_another(bot_on):
    sandbox = bot_on
    storm = [sandbox.post(CHANNEL, pagerduty_message("KubePodCrashLooping", number, f"QBUSY{number}"))
             for number in range(700, 708)]
    elsewhere = sandbox.post(OTHER_CHANNEL, pagerduty_message("KubeJobFailed", 799, "QQUIET799"))
    assert wait_for(lambda: sandbox.workspace.posts(OTHER_CHANNEL, elsewhere["ts"]), 6)
    answered = {post["thread_ts"] for post in sandbox.workspace.posts(CHANNEL)}
    assert len(answered & {alert["ts"] for alert in storm}) < len(storm)  # the storm is still being paced out
    assert wait_for(lambda: len(sandbox.workspace.posts(CHANNEL)) == len(storm), 30)


def test_a_storm_caught_up_from_history_is_paced_in_its_own_lane_while_another_channel_is_answered(bot_on):
    sandbox = bot_on
    # Posted while the bot was away: only the channels' history holds them.
    storm = [sandbox.workspace.add_message(CHANNEL, pagerduty_message("KubePodCrashLooping", number, f"QAWAY{number}"))
             for number in range(800, 808)]
    elsewhere = sandbox.workspace.add_message(OTHER_CHANNEL, pagerduty_message("KubeJobFailed", 899, "QAWAY899"))
    sandbox.catching_up.request()
    assert wait_for(lambda: sandbox.workspace.posts(OTHER_CHANNEL, elsewhere["ts"]), 8)
    assert len(sandbox.workspace.posts(CHANNEL)) < len(storm)  # still being paced out in its own lane
    assert wait_for(lambda: len(sandbox.workspace.posts(CHANNEL)) == len(storm), 30)


class SlowHandler:
    """Records (message ts, status) in the order it handles them, taking `seconds` per message."""

    def __init__(self, seconds):
        self.seconds, self.handled, self.lock = seconds, [], threading.Lock()

    def handle(self, event):
        time.sleep(self.seconds)
        message = event.get("message") or event
        with self.lock:
            self.handled.append((message["ts"], message.get("status")))


def test_a_channels_alerts_are_handled_side_by_side_and_a_messages_edits_in_order():
    handler = SlowHandler(0.2)
    work = WorkQueue(handler, workers_per_channel=4)
    started = time.monotonic()
    for number in range(8):
        work.put({"channel": CHANNEL, "ts": f"1.{number}", "status": "triggered"})
    for number in range(8):  # the PagerDuty app edits each message: the edit names it in message.ts
        work.put({"channel": CHANNEL, "subtype": "message_changed", "ts": f"2.{number}",
                  "message": {"ts": f"1.{number}", "status": "resolved"}})
    assert wait_for(lambda: len(handler.handled) == 16, 10)
    elapsed = time.monotonic() - started
    work.stop()
    assert elapsed < 16 * 0.2 / 2  # one worker would take 3.2 s
    for number in range(8):
        statuses = [status for ts, status in handler.handled if ts == f"1.{number}"]
        assert statuses == ["triggered", "resolved"]  # never the edit before its message
