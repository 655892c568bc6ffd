"""`python3 slack_bot.py --console [--json]`: stdin lines in, replies out, no token needed."""
import json
import os
import subprocess
import sys

from sandbox.slack_workspace import pagerduty_message
from tests.corpus_runbooks import load_samples
from utils import PROJECT_DIR


def run_bot(args, database_url="", stdin="", **env):
    environment = {**os.environ, "PASSWORD_CONFIG": os.devnull, "DATABASE_URL": database_url, **env}
    for key in ("BOT_TOKEN", "SLACK_APP_TOKEN"):
        environment.pop(key, None) if key not in env else None
    return subprocess.run([sys.executable, "slack_bot.py", *args], cwd=PROJECT_DIR, env=environment, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_it_prints_one_json_object_per_line(db, database_url):
    load_samples(db)
    triggered = {**pagerduty_message("[P2] etcd has no leader on prod-east", 4821, "Q1ABC2D"), "bot_id": "B0PD"}
    resolved = {**pagerduty_message("[P2] etcd has no leader on prod-east", 4821, "Q1ABC2D", "resolved"),
                "bot_id": "B0PD"}
    lines = [
        "[FIRING:2] KubePodCrashLooping (api-7f9 default critical)",
        "is KubePodCrashLooping flapping again?",
        json.dumps(triggered), json.dumps(resolved),
        "RedisDown <!channel> <@U123> <https://evil|click>",
        '{"text": broken json',
        json.dumps({"user": "U1", "text": "[FIRING:1] TargetDown"}),
    ]
    result = run_bot(["--console", "--json"], database_url, "\n".join(lines) + "\n\n", PAGERDUTY_BOT_IDS="B0PD")
    assert result.returncode == 0, result.stderr
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["input"] for o in outputs] == lines
    assert set(outputs[0]) == {"input", "is_alert", "matched", "runbook_title", "url", "confidence",
                               "alternatives", "reply"}
    crash, typed, etcd, etcd_resolved, redis, broken, person = outputs
    assert (crash["is_alert"], crash["matched"], crash["confidence"]) == (True, "KubePodCrashLooping", 1.0)
    assert crash["url"].endswith("/kubepodcrashlooping/") and "kubectl logs --previous" in crash["reply"]
    # A line that is not JSON is alert text a person typed: always looked up, even as a question.
    assert (typed["is_alert"], typed["matched"]) == (True, "KubePodCrashLooping")
    assert etcd["matched"] == "etcdNoLeader" and etcd["reply"]
    assert etcd_resolved["matched"] == "etcdNoLeader" and etcd_resolved["reply"] is None
    assert (redis["is_alert"], redis["matched"], redis["reply"]) == (True, None, None)
    assert broken["is_alert"] is True  # not JSON after all: taken as alert text
    assert person["is_alert"] is False


def test_a_second_run_answers_the_same_incident_again(db, database_url):
    load_samples(db)
    line = json.dumps({**pagerduty_message("TargetDown", 7, "QSAME07"), "bot_id": "B0PD"})
    first, second = (run_bot(["--console", "--json"], database_url, line + "\n", PAGERDUTY_BOT_IDS="B0PD")
                     for _ in range(2))
    assert json.loads(first.stdout)["reply"] and json.loads(second.stdout)["reply"]


def test_without_json_it_prints_the_reply_as_slack_shows_it(db, database_url):
    load_samples(db)
    result = run_bot(["--console"], database_url, "KubePodCrashLooping\nlunch?\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("*KubePodCrashLooping*\n")
    assert "matched: exact name" in result.stdout
    assert "(no reply: no runbook)" in result.stdout  # typed text is looked up, and nothing answers "lunch?"


def test_help_and_a_missing_token_are_one_clear_line():
    assert run_bot(["--help"]).returncode == 0
    result = run_bot(["--transport", "rtm"], "postgresql://127.0.0.1:1/none")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: BOT_TOKEN is not set for the Slack bot (or use --console): add it to password_config or the "
        "environment (password_config.example describes it)."]


def test_a_new_apps_token_refused_over_rtm_is_one_sentence_and_exit_2(database_url):
    from sandbox.slack import SlackSandbox

    sandbox = SlackSandbox().start()  # a new app's token, as every app made since 2024: no RTM
    try:
        result = run_bot(["--transport", "rtm"], database_url, BOT_TOKEN="xoxb-new-app", SLACK_API_URL=sandbox.api_url)
    finally:
        sandbox.stop()
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: Slack refused an RTM connection for BOT_TOKEN (not_allowed_token_type): apps created "
                      "since 2024 cannot use RTM; set SLACK_APP_TOKEN to use Socket Mode."]
    assert "Traceback" not in result.stderr


def test_socket_mode_turned_off_for_the_app_stops_the_bot_with_one_sentence_and_exit_2(database_url, tmp_path):
    import subprocess
    import sys

    from sandbox.loopback import wait_for
    from sandbox.slack import SlackSandbox

    sandbox = SlackSandbox().start()
    log_path = tmp_path / "bot.log"
    env = {**os.environ, "PASSWORD_CONFIG": os.devnull, "DATABASE_URL": database_url, "BOT_TOKEN": "xoxb-sandbox",
           "SLACK_APP_TOKEN": "xapp-sandbox", "SLACK_API_URL": sandbox.api_url, "LOG_DIR": str(tmp_path)}
    try:
        with open(log_path, "w", encoding="utf-8") as log_file:
            bot = subprocess.Popen([sys.executable, "slack_bot.py"], cwd=PROJECT_DIR, env=env, stdout=log_file,
                                   stderr=subprocess.STDOUT)
        assert wait_for(lambda: sandbox.hub.status()["socket_mode_connections"] >= 1, 20), log_path.read_text()
        sandbox.apply_faults({"refresh": "link_disabled"})
        assert bot.wait(30) == 2, log_path.read_text()
    finally:
        if bot.poll() is None:
            bot.kill()
        sandbox.stop()
    errors = [line for line in log_path.read_text().splitlines() if line.startswith("error:")]
    assert errors == ["error: Slack disabled Socket Mode for this app (link_disabled): turn Socket Mode on again in "
                      "the app's settings at api.slack.com/apps."]


def test_ctrl_c_or_sigterm_ends_a_console_waiting_for_its_next_line(db, database_url):
    import signal
    load_samples(db)
    environment = {**os.environ, "PASSWORD_CONFIG": os.devnull, "DATABASE_URL": database_url}
    for signal_number, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        console = subprocess.Popen([sys.executable, "slack_bot.py", "--console", "--json"], cwd=PROJECT_DIR,
                                   env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            console.stdin.write("[FIRING:1] KubePodCrashLooping (api-7f9 default critical)\n")
            console.stdin.flush()
            assert json.loads(console.stdout.readline())["matched"] == "KubePodCrashLooping"
            console.send_signal(signal_number)  # stdin stays open: it is waiting for the next line
            assert console.wait(timeout=15) == code
        finally:
            if console.poll() is None:
                console.kill()
            console.communicate()
