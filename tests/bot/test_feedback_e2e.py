"""The thread talks back, end to end: the real bot process over Socket Mode against the sandbox
Slack, people pressing its buttons, correcting it in the modal, asking `/runbook` and mentioning it."""
import os
import subprocess
import sys
import time

import psycopg2
import pytest

from sandbox import slack_people
from sandbox.loopback import wait_for
from sandbox.slack import SlackSandbox
from sandbox.slack_workspace import user_for
from tests.bot.harness import CHANNEL, BotProcess, connected, post_incident, replies_to, reply_text
from tests.bot.test_slack_bot import knowledge_base
from utils import PROJECT_DIR


@pytest.fixture(scope="module")
def slack(pg_server_url, tmp_path_factory):
    """(sandbox, bot, database url) with one Socket Mode bot connected."""
    with knowledge_base(pg_server_url, f"e2e_feedback_{os.getpid()}") as url:
        sandbox = SlackSandbox(channel_post_limit=False).start()
        bot = BotProcess(sandbox, url, "socket-mode", tmp_path_factory.mktemp("bot") / "bot.log",
                         SLACK_CHANNELS=CHANNEL)
        assert wait_for(lambda: connected(sandbox, "socket-mode"), 30), bot.log()
        yield sandbox, bot, url
        assert bot.stop() == 0, bot.log()
        sandbox.stop()


def feedback_rows(url, title_key=None):
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT voter_name, verdict, replied_alert, chosen_alert, forgotten_at IS NOT NULL "
                    "FROM alert_feedback WHERE %s IS NULL OR title_key = %s ORDER BY id", (title_key, title_key))
        rows = cur.fetchall()
    conn.close()
    return rows


def the_reply(sandbox, alert, bot):
    replies = wait_for(lambda: replies_to(sandbox, alert), 15)
    assert len(replies) == 1, bot.log()
    return replies[0]


def open_correction(sandbox, bot, reply, user):
    opened_before = len(sandbox.workspace.views)
    status, _ = slack_people.press(sandbox, {"user": user, "channel": CHANNEL, "ts": reply["ts"],
                                             "action_id": "feedback_wrong"})
    assert status == 200
    assert wait_for(lambda: len(sandbox.workspace.views) > opened_before, 10), bot.log()
    return list(sandbox.workspace.views)[-1]


def test_a_correction_teaches_the_next_firing_and_an_undo_forgets_it(slack):
    sandbox, bot, url = slack
    first = post_incident(sandbox, "[FIRING:1] KubeJobFailed (batch-7 ops warning)", 7001)
    reply = the_reply(sandbox, first, bot)
    assert reply["blocks"][0]["text"]["text"] == "KubeJobFailed"
    buttons = [element["action_id"] for element in reply["blocks"][-1]["elements"]]
    assert buttons == ["feedback_helpful", "feedback_wrong"]

    view_id = open_correction(sandbox, bot, reply, "ana")
    view = sandbox.workspace.views[view_id]["view"]
    assert view["callback_id"] == "feedback_correction"
    _, found = slack_people.suggest(sandbox, {"user": "ana", "view_id": view_id, "action_id": "runbook_search",
                                              "value": "crashloop"})
    assert "KubePodCrashLooping" in [option["value"] for option in found["options"]], bot.log()
    slack_people.submit(sandbox, {"user": "ana", "view_id": view_id, "selected": {"search": "KubePodCrashLooping"}})
    assert wait_for(lambda: "corrected to KubePodCrashLooping by @ana" in reply_text(
        sandbox.workspace.message(CHANNEL, reply["ts"])), 10), bot.log()
    assert feedback_rows(url, "kube job failed") == [("ana", "corrected", "KubeJobFailed", "KubePodCrashLooping", False)]

    second = post_incident(sandbox, "[FIRING:1] KubeJobFailed (batch-8 ops warning)", 7002)
    taught = the_reply(sandbox, second, bot)
    assert taught["blocks"][0]["text"]["text"] == "KubePodCrashLooping"
    assert "taught by @ana on " in reply_text(taught)

    forgot = subprocess.run([sys.executable, "slack_bot.py", "--forget", "kube job failed"], cwd=PROJECT_DIR,
                            env={**os.environ, "DATABASE_URL": url, "PASSWORD_CONFIG": os.devnull},
                            capture_output=True, text=True, timeout=60)
    assert forgot.returncode == 0 and "Forgot 1" in forgot.stdout, forgot.stdout + forgot.stderr
    third = post_incident(sandbox, "[FIRING:1] KubeJobFailed (batch-9 ops warning)", 7003)
    assert the_reply(sandbox, third, bot)["blocks"][0]["text"]["text"] == "KubeJobFailed"


def test_votes_count_once_per_person_and_can_change(slack):
    sandbox, bot, url = slack
    alert = post_incident(sandbox, "[FIRING:1] etcdNoLeader (etcd-0 kube-system critical)", 7010)
    reply = the_reply(sandbox, alert, bot)
    press = {"channel": CHANNEL, "ts": reply["ts"], "action_id": "feedback_helpful"}
    for user in ("bo", "bo", "cy"):  # a double click, and a second person
        slack_people.press(sandbox, {**press, "user": user})
    sandbox.apply_faults({"redeliver": True})  # Slack sends the last press again
    assert wait_for(lambda: "✓ confirmed by @bo, @cy" in reply_text(sandbox.workspace.message(CHANNEL, reply["ts"])),
                    10), bot.log()
    time.sleep(1)
    assert feedback_rows(url, "etcd no leader") == [("bo", "helpful", "etcdNoLeader", None, False),
                                                    ("cy", "helpful", "etcdNoLeader", None, False)]
    # At most one update per change and none for the double click or the redelivery; two changes that
    # arrive together may be shown by one update (it reads the votes as they are).
    assert 1 <= sandbox.workspace.updates.count((CHANNEL, reply["ts"])) <= 2
    view_id = open_correction(sandbox, bot, reply, "cy")  # cy changes their mind
    slack_people.submit(sandbox, {"user": "cy", "view_id": view_id, "selected": {"choice": "no-runbook"}})
    assert wait_for(lambda: "no runbook exists, says @cy" in reply_text(
        sandbox.workspace.message(CHANNEL, reply["ts"])), 10), bot.log()
    assert [row[:2] for row in feedback_rows(url, "etcd no leader")] == [("bo", "helpful"), ("cy", "no_runbook")]


def test_no_runbook_exists_keeps_the_next_firing_quiet(slack):
    sandbox, bot, url = slack
    alert = post_incident(sandbox, "[FIRING:1] TargetDown (node-exporter monitoring warning)", 7020)
    reply = the_reply(sandbox, alert, bot)
    view_id = open_correction(sandbox, bot, reply, "dee")
    slack_people.submit(sandbox, {"user": "dee", "view_id": view_id, "selected": {"choice": "no-runbook"}})
    assert wait_for(lambda: feedback_rows(url, "target down"), 10), bot.log()
    again = post_incident(sandbox, "[FIRING:1] TargetDown (kubelet monitoring warning)", 7021)
    assert wait_for(lambda: f"Message {again['ts']}" in bot.log() or "taught no runbook" in bot.log(), 10)
    time.sleep(1.5)
    assert replies_to(sandbox, again) == []


def test_two_replicas_handle_one_press_once(slack, tmp_path):
    sandbox, bot, url = slack
    alert = post_incident(sandbox, "[FIRING:1] NodeFilesystemSpaceFillingUp (node-3 ops warning)", 7030)
    reply = the_reply(sandbox, alert, bot)
    second = BotProcess(sandbox, url, "socket-mode", tmp_path / "second.log", SLACK_CHANNELS=CHANNEL)
    try:
        assert wait_for(lambda: connected(sandbox, "socket-mode", 2), 30), second.log()
        sandbox.apply_faults({"fanout": True})  # both connections get the press
        slack_people.press(sandbox, {"user": "eve", "channel": CHANNEL, "ts": reply["ts"],
                                     "action_id": "feedback_helpful"})
        assert wait_for(lambda: "confirmed by @eve" in reply_text(sandbox.workspace.message(CHANNEL, reply["ts"])), 10)
        time.sleep(1.5)
        assert len(feedback_rows(url, "node filesystem space filling up")) == 1
        assert sandbox.workspace.updates.count((CHANNEL, reply["ts"])) == 1
    finally:
        sandbox.apply_faults({"fanout": False})
        assert second.stop() == 0


def test_runbook_command_and_mentions_answer(slack):
    sandbox, bot, url = slack
    _, sent = slack_people.command(sandbox, {"user": "fay", "channel": CHANNEL, "command": "/runbook",
                                             "text": "pods keep crash looping"})
    shown = wait_for(lambda: [e for e in sandbox.workspace.ephemeral if e.get("via") == "response_url"
                              and e["user"] == user_for("fay")["id"]], 10)
    assert shown and shown[0]["response_type"] == "ephemeral", bot.log()
    assert "KubePodCrashLooping" in shown[0]["blocks"][0]["text"]["text"]

    slack_people.mention(sandbox, {"user": "gus", "channel": CHANNEL, "text": "etcd has no leader"})
    privately = wait_for(lambda: [e for e in sandbox.workspace.ephemeral if e["user"] == user_for("gus")["id"]], 10)
    assert privately and "etcdNoLeader" in privately[0]["blocks"][0]["text"]["text"], bot.log()
    # What Slack sends is markup: a link's label and escaped brackets are the words asked about.
    slack_people.mention(sandbox, {"user": "hal", "channel": CHANNEL,
                                   "text": "is <https://grafana.example.test/d/etcd|etcdNoLeader> firing again?"})
    slack_people.command(sandbox, {"user": "ida", "channel": CHANNEL, "command": "/runbook",
                                   "text": "&lt;etcdNoLeader&gt;"})
    for person in ("hal", "ida"):
        who = user_for(person)["id"]
        asked = wait_for(lambda who=who: [e for e in sandbox.workspace.ephemeral if e["user"] == who], 10)
        answer = asked[0]["blocks"][0]["text"]["text"] if asked else ""
        assert "|etcdNoLeader>" in answer and "sure match" not in answer, (person, answer, bot.log())  # its link

    alert = post_incident(sandbox, "Disk on db-1 will be full soon", 7040)
    wait_for(lambda: "db-1" in bot.log(), 10)
    slack_people.mention(sandbox, {"user": "gus", "channel": CHANNEL, "text": "NodeFilesystemSpaceFillingUp",
                                   "thread_ts": alert["ts"]})
    answer = wait_for(lambda: [p for p in replies_to(sandbox, alert) if "This one" in reply_text(p)], 10)
    assert answer and "NodeFilesystemSpaceFillingUp" in reply_text(answer[0]), bot.log()
    slack_people.press(sandbox, {"user": "gus", "channel": CHANNEL, "ts": answer[0]["ts"],
                                 "action_id": "feedback_this_one"})
    assert wait_for(lambda: feedback_rows(url, "disk on db will be full soon")
                    or feedback_rows(url, "disk on will be full soon"), 10), (bot.log(), feedback_rows(url))
    again = post_incident(sandbox, "Disk on db-2 will be full soon", 7041)
    assert "NodeFilesystemSpaceFillingUp" in reply_text(the_reply(sandbox, again, bot))


def test_bad_interactions_are_ignored_with_a_log_line_and_store_nothing(slack):
    sandbox, bot, url = slack
    alert = post_incident(sandbox, "[FIRING:1] KubeAPIDown (apiserver default critical)", 7050)
    reply = the_reply(sandbox, alert, bot)
    before = feedback_rows(url)
    base = {"type": "block_actions", "user": user_for("mal"), "trigger_id": "1.2.3",
            "container": {"type": "message", "message_ts": reply["ts"], "channel_id": CHANNEL},
            "channel": {"id": CHANNEL}}
    forged = [
        {**base, "actions": [{"action_id": "feedback_helpful", "value": "999999999"}]},  # no such reply
        {**base, "actions": [{"action_id": "drop_tables", "value": "1"}]},  # an unknown action_id
        {**base, "actions": [{"action_id": "feedback_helpful", "value": "1; DROP"}]},  # a forged value
        {**base, "container": {**base["container"], "channel_id": "C0ELSEWHERE"}, "channel": {"id": "C0ELSEWHERE"},
         "actions": [{"action_id": "feedback_helpful", "value": "1"}]},  # a channel the bot does not watch
        {"type": "block_actions", "actions": "not a list"},
    ]
    for payload in forged:
        slack_people.raw_interactive(sandbox, {"payload": payload})
    _, answer = slack_people.raw_interactive(sandbox, {"payload": {
        "type": "block_suggestion", "action_id": "runbook_search", "value": "x" * 100_000, "user": user_for("mal")}})
    assert isinstance(answer["response"]["options"], list)
    assert wait_for(lambda: bot.log().count("Ignored a press") + bot.log().count("Ignored an interaction") >= 5, 10), \
        bot.log()
    assert feedback_rows(url) == before
    assert bot.process.poll() is None
