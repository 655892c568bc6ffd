"""The Slack bot's status row: connection beats and the last alert, through the real handler."""
import logging
import threading
import time

import psycopg2

from bot.handler import AlertHandler, BotSettings
from bot.status import BotStatus
from database import heartbeats
from database.outage import Database
from sandbox.slack_workspace import PAGERDUTY_BOT_ID, pagerduty_message
from tests.corpus_runbooks import load_samples


def alert_event(number, title):
    return {"channel": "C1", "ts": f"1700000000.{number:06d}", **pagerduty_message(title, number, f"QS{number}")}


def bot_row(db):
    [row] = [row for row in heartbeats.suite_status(db) if row["process"] == "slack_bot"]
    return row


def test_each_alert_adds_its_title_and_answer_to_the_connection_beat(db, database_url):
    load_samples(db)
    database = Database(lambda: psycopg2.connect(database_url))
    status = BotStatus(database, "rtm", interval=5)
    handler = AlertHandler(database, BotSettings(pagerduty_bot_ids=(PAGERDUTY_BOT_ID,)),
                           lambda *reply: "1700000001.000001", status.alert_handled)
    status.beat(True)
    handler.handle(alert_event(1, "[FIRING:1] KubePodCrashLooping (api-7f9 default critical)"))
    handler.handle({"channel": "C1", "ts": "1700000000.000009", "user": "U1", "text": "is KubePodCrashLooping flapping?"})
    row = bot_row(db)
    assert row["last_outcome"] == "connected" and row["details"]["connected"] is True
    assert "[FIRING:1] KubePodCrashLooping (api-7f9" in row["details"]["last_alert"]
    assert row["details"]["last_alert_runbook"] == "KubePodCrashLooping"
    assert row["details"]["last_alert_result"] == "replied" and row["details"]["interval_seconds"] == 5

    handler.handle(alert_event(2, "Disk quota on the build farm almost used up"))
    # Within a second of the last write: not written yet (a burst writes once a second)...
    assert bot_row(db)["details"]["last_alert_result"] == "replied"
    time.sleep(1.1)
    status.write_unwritten()  # ...but once the second is over (the beat loop does this every second)
    assert bot_row(db)["details"]["last_alert_result"] == "no runbook"
    status.beat(False)
    row = bot_row(db)
    assert row["last_outcome"] == "not connected (reconnecting)" and row["details"]["connected"] is False
    assert row["details"]["last_alert_runbook"] is None and row["details"]["last_alert_result"] == "no runbook"
    # A catch-up seeing that message again says nothing new: the status keeps what the bot did with it.
    time.sleep(1.1)
    handler.handle(alert_event(2, "Disk quota on the build farm almost used up"))
    status.write_unwritten()
    assert bot_row(db)["details"]["last_alert_result"] == "no runbook"


def test_beats_follow_the_connection_until_stopped(db, database_url):
    status = BotStatus(Database(lambda: psycopg2.connect(database_url)), "socket-mode", interval=0.05)
    states, stopping = iter([True, False, True]), threading.Event()

    def is_connected():
        state = next(states, None)
        if state is None:
            stopping.set()
            return True
        return state
    status.beat_until(stopping, is_connected)
    assert bot_row(db)["details"]["connected"] is True and bot_row(db)["details"]["transport"] == "socket-mode"


def test_a_beat_without_a_database_is_logged_not_raised(caplog):
    status = BotStatus(Database(lambda: psycopg2.connect("postgresql://127.0.0.1:1/nowhere"), retry_seconds=0), "rtm")
    with caplog.at_level(logging.WARNING):
        status.beat(True)
    assert "Could not record the bot's heartbeat" in caplog.text
