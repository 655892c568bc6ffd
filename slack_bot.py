"""Slack bot: finds the runbook for each PagerDuty alert and replies in the alert's thread.

Transports, all feeding one handler (generate_documentation_db.alert_handler):
  Socket Mode  when SLACK_APP_TOKEN is set (new Slack apps), with BOT_TOKEN for the Web API;
  RTM          with BOT_TOKEN alone (classic apps);
  console      --console: stdin lines (a JSON message event, or the alert text), no token needed.
"""
import argparse
import atexit
import json
import logging
import os
import sys
import threading
import time
import uuid
from dataclasses import replace

import utils
from bot.catch_up import CatchingUp, catch_up, told_of_alerts
from bot.posting import slack_poster
from generate_documentation_db import database_connection
from generate_documentation_db.alert_handler import AlertHandler, BotSettings, Database
from generate_documentation_db.bot_status import BotStatus
from matching.matcher import DEFAULT_THRESHOLD
from generate_documentation_db.slack_reply import DEFAULT_STEPS_BUDGET, render_for_console, reply_mrkdwn

log = logging.getLogger("slack_bot")

TRANSPORTS = ("socket-mode", "rtm", "console")
# slack_sdk calls a session stale after a few unanswered pings: at its own 5 s, a slow network is not a dead one.
PING_SECONDS = 5
# How long a stopping bot waits for a catch-up in progress to finish.
STOP_SECONDS = 10
# Slack refuses a message of more than about 12,000 characters of block text; the header and the
# context line need the rest.
MAX_STEPS_BUDGET = 10_000


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python3 slack_bot.py", description=__doc__.splitlines()[0])
    parser.add_argument("--console", action="store_true", help="read alerts from stdin, print replies; no token")
    parser.add_argument("--json", action="store_true", help="with --console: one JSON object per input line")
    parser.add_argument("--transport", choices=TRANSPORTS, help="force a transport (default: from the tokens)")
    parser.add_argument("--once", action="store_true",
                        help="connect, answer unanswered alerts in recent history of SLACK_CHANNELS, and exit")
    return parser.parse_args(argv)


def choose_transport(args, config):
    """The transport to run, its keys checked before anything connects."""
    if args.console or args.transport == "console":
        return "console"
    transport = args.transport or ("socket-mode" if config.is_set("SLACK_APP_TOKEN") else "rtm")
    config.require("BOT_TOKEN", feature="the Slack bot (or use --console)")
    if transport == "socket-mode":
        config.require("SLACK_APP_TOKEN", feature="Socket Mode")
    config.url("SLACK_API_URL")
    return transport


def bot_settings(config):
    return BotSettings(
        pagerduty_bot_ids=tuple(config.items("PAGERDUTY_BOT_IDS")),
        channels=tuple(config.items("SLACK_CHANNELS")),
        threshold=config.number("MATCH_THRESHOLD", DEFAULT_THRESHOLD, minimum=0, maximum=1),
        reply_when_no_runbook=config.boolean("REPLY_WHEN_NO_RUNBOOK", False),
        steps_budget=config.integer("SLACK_REPLY_MAX_CHARS", DEFAULT_STEPS_BUDGET, minimum=500, maximum=MAX_STEPS_BUDGET),
    )


def web_client(config, token):
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

    base_url = config.url("SLACK_API_URL", "https://slack.com/api/")
    return WebClient(token=token, base_url=base_url.rstrip("/") + "/", timeout=15,
                     retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=3),
                                     RateLimitErrorRetryHandler(max_retry_count=5)])


def run_socket_mode(config, handler, client, stopping, status, catching_up):
    from slack_sdk.errors import SlackClientError
    from slack_sdk.socket_mode import SocketModeClient
    from slack_sdk.socket_mode.response import SocketModeResponse

    socket_client = SocketModeClient(app_token=config.text("SLACK_APP_TOKEN"), web_client=client,
                                     ping_interval=PING_SECONDS)

    def on_request(socket, request):
        # Ack first: Slack redelivers anything not acknowledged within 3 seconds.
        try:
            socket.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        except SlackClientError as error:
            # The socket went away under us; Slack will redeliver, and the recorded message keeps
            # that second delivery quiet.  The alert is answered now all the same.
            log.warning("Could not acknowledge envelope %s (%s); handling it anyway.", request.envelope_id,
                        type(error).__name__)
        if request.type != "events_api":
            return
        if request.retry_attempt:
            log.info("Envelope redelivered (retry_attempt %s, %s).", request.retry_attempt, request.retry_reason)
        event = (request.payload or {}).get("event") or {}
        if event.get("type") == "message":
            handler.handle(event)

    def on_message(_socket, message, _raw):
        if message.get("type") == "hello":
            catching_up.request()  # a new connection: look for what was posted while the old one was down

    socket_client.socket_mode_request_listeners.append(on_request)
    socket_client.message_listeners.append(on_message)
    socket_client.connect()
    log.info("Connected to Slack over Socket Mode.")
    status.beat_until(stopping, socket_client.is_connected)
    socket_client.close()


def run_rtm(config, handler, client, stopping, status, catching_up):
    from slack_sdk.errors import SlackApiError
    from slack_sdk.rtm_v2 import RTMClient

    rtm = RTMClient(web_client=client, ping_interval=PING_SECONDS, auto_reconnect_enabled=True)

    @rtm.on("message")
    def on_message(_client, event):
        handler.handle(event)

    @rtm.on("hello")
    def on_hello(_client, _event):
        catching_up.request()

    try:
        rtm.connect()
    except SlackApiError as error:
        reason = error.response.get("error", "error")
        raise utils.ConfigError(f"Slack refused an RTM connection for BOT_TOKEN ({reason}): apps created since "
                                "2024 cannot use RTM; set SLACK_APP_TOKEN to use Socket Mode.") from None
    log.info("Connected to Slack over RTM.")
    status.beat_until(stopping, rtm.is_connected)
    rtm.close()


def run_console(args, handler, stdin=sys.stdin, stdout=sys.stdout):
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        outcome = handler.handle(console_event(line.rstrip("\n"), number))
        print(json.dumps(console_result(line.rstrip("\n"), outcome), ensure_ascii=False) if args.json
              else console_text(outcome), file=stdout, flush=True)


def console_event(line, number):
    """A stdin line as a message event: a JSON object is one, anything else is alert text."""
    event = None
    if line.lstrip().startswith("{"):
        try:
            event = json.loads(line)
        except ValueError:
            event = None
    if not isinstance(event, dict):
        event = {"text": line}
    original_ts = event.get("ts")
    ts = f"{time.time():.6f}"[:-3] + f"{number % 1000:03d}"  # unique per line and per run
    event = {"type": "message", **event, "channel": str(event.get("channel") or "console"), "ts": ts}
    if event.get("thread_ts") and event["thread_ts"] == original_ts:
        event["thread_ts"] = ts
    return event


def console_result(line, outcome):
    match = outcome.match
    return {
        "input": line, "is_alert": bool(outcome.is_alert and outcome.alert is not None),
        "matched": match.matched if match and match.found else None,
        "runbook_title": match.runbook_title if match and match.found else None,
        "url": match.url if match and match.found else None,
        "confidence": float(match.confidence) if match else 0.0,
        "alternatives": list(match.alternatives) if match else [],
        "reply": reply_mrkdwn(outcome.reply_blocks) if outcome.reply_ts else None,
    }


def console_text(outcome):
    if outcome.reply_ts:
        return render_for_console(outcome.reply_text, outcome.reply_blocks) + "\n"
    return f"(no reply: {outcome.note})\n"


def slack_identity(client):
    """auth.test: who the bot is (its own messages are ignored); a refused token is a config error."""
    from slack_sdk.errors import SlackApiError

    try:
        return client.auth_test()
    except SlackApiError as error:
        raise utils.ConfigError(f"Slack refused BOT_TOKEN ({error.response.get('error', 'error')}).") from None


def main(argv):
    args = parse_args(argv)
    config = utils.load_config()
    transport = choose_transport(args, config)
    settings = bot_settings(config)
    utils.configure_logging("slack_bot", config)
    stopping = utils.stop_event()
    database_connection.connect(config).close()  # schema current; one sentence when unreachable
    url = database_connection.database_url(config)
    database = Database(lambda: database_connection.connect_url(url))
    if transport == "console":
        settings = replace(settings, claim_prefix=f"console:{uuid.uuid4().hex[:8]}:", every_bot_is_pagerduty=True)
        run_console(args, AlertHandler(database, settings, lambda *reply: "console"))
        return 0
    client = web_client(config, config.text("BOT_TOKEN"))
    identity = slack_identity(client)
    settings = replace(settings, own_ids=(identity.get("bot_id"), identity.get("user_id")))
    status = BotStatus(database, transport)
    # A --once run from cron keeps no status row: it would read as a bot gone stale.
    catching_up = CatchingUp(client, settings.channels)
    handler = AlertHandler(database, settings, slack_poster(client),
                           None if args.once else told_of_alerts(status, catching_up))
    handler.load_runbooks()
    catch_up(client, handler, settings.channels)
    if args.once:
        return 0
    catch_up_thread = threading.Thread(target=catching_up.run_until, args=(stopping, handler), name="catch-up",
                                       daemon=True)
    catch_up_thread.start()
    log.info("Slack bot starting (%s transport).", transport)
    run = run_socket_mode if transport == "socket-mode" else run_rtm
    run(config, handler, client, stopping, status, catching_up)
    catch_up_thread.join(timeout=STOP_SECONDS)
    log.info("Slack bot stopped.")
    exit_past_library_threads(0)


def exit_past_library_threads(code):
    """Exit after the exit handlers, skipping the rest of the interpreter's teardown.

    slack_sdk leaves daemon threads (session monitors, listener pools) that can still be inside
    psycopg2 or a socket call while Python finalizes, which now and then ends the process with
    SIGSEGV instead of 0.  The exit handlers still run (they flush the logs, and the last process
    to leave the embedded PostgreSQL stops it); nothing else is lost: every reply is claimed and
    recorded in PostgreSQL as it happens.
    """
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    utils.run_main(main)
