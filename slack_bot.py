"""Slack bot: finds the runbook for each PagerDuty alert and replies in the alert's thread.

Transports, all feeding one handler (bot/handler.py):
  Socket Mode  when SLACK_APP_TOKEN is set (new Slack apps), with BOT_TOKEN for the Web API;
  RTM          with BOT_TOKEN alone (classic apps);
  console      --console: stdin lines (a JSON message event, or the alert text), no token needed.

The work is in bot/; this file reads the configuration, parses the command line and wires it up.
"""
import argparse
import logging
import sys
import threading
import uuid
from dataclasses import replace

import utils
from bot.catch_up import CatchingUp, catch_up, told_of_alerts
from bot.console import read_console, stop_reading_on_signals
from bot.handler import AlertHandler, BotSettings
from bot.interactions import Inbox, Interactions
from bot.posting import SECONDS_BETWEEN_POSTS, channel_pacer, slack_poster
from bot.replies import DEFAULT_STEPS_BUDGET
from bot.rtm import run_rtm
from bot.slack_client import PING_SECONDS, exit_past_library_threads, slack_identity, web_client
from bot.socket_mode import run_socket_mode
from bot.status import BotStatus
from bot.teaching import run_lessons
from bot.work_queue import WorkQueue
from database.outage import Database, open_database

log = logging.getLogger("slack_bot")

TRANSPORTS = ("socket-mode", "rtm", "console")
# How long a stopping bot waits for a catch-up in progress to finish.
STOP_SECONDS = 10
# Slack refuses a message of more than about 12,000 characters of block text; the header and the
# context line need the rest.
MAX_STEPS_BUDGET = 10_000


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = utils.command_line("python3 slack_bot.py", __doc__.splitlines()[0])
    parser.add_argument("--console", action="store_true", help="read alerts from stdin, print replies; no token")
    parser.add_argument("--json", action="store_true", help="with --console: one JSON object per input line")
    parser.add_argument("--transport", choices=TRANSPORTS, help="force a transport (default: from the tokens)")
    parser.add_argument("--once", action="store_true",
                        help="connect, answer unanswered alerts in recent history of SLACK_CHANNELS, and exit")
    parser.add_argument("--taught", action="store_true",
                        help="list what the team taught the bot with its buttons, and exit")
    parser.add_argument("--forget", metavar="ALERT_KEY",
                        help="undo what was taught for one alert key (as --taught lists it), and exit")
    return parser.parse_args(argv)


def choose_transport(args: argparse.Namespace, config: utils.Config) -> str:
    """The transport to run, its keys checked before anything connects."""
    if args.console or args.transport == "console":
        return "console"
    transport = args.transport or ("socket-mode" if config.is_set("SLACK_APP_TOKEN") else "rtm")
    config.require("BOT_TOKEN", feature="the Slack bot (or use --console)")
    if transport == "socket-mode":
        config.require("SLACK_APP_TOKEN", feature="Socket Mode")
    config.url("SLACK_API_URL")
    return transport


def bot_settings(config: utils.Config) -> BotSettings:
    return BotSettings(
        pagerduty_bot_ids=tuple(config.items("PAGERDUTY_BOT_IDS")),
        channels=tuple(config.items("SLACK_CHANNELS")),
        threshold=config.number("MATCH_THRESHOLD", None, minimum=0, maximum=1),
        reply_when_no_runbook=config.boolean("REPLY_WHEN_NO_RUNBOOK", False),
        steps_budget=config.integer("SLACK_REPLY_MAX_CHARS", DEFAULT_STEPS_BUDGET, minimum=500, maximum=MAX_STEPS_BUDGET),
    )


def run_console(args: argparse.Namespace, settings: BotSettings, database: Database) -> int:
    settings = replace(settings, claim_prefix=f"console:{uuid.uuid4().hex[:8]}:", every_bot_is_pagerduty=True)
    stop_reading_on_signals()
    read_console(AlertHandler(database, settings, lambda *reply: "console"), as_json=args.json)
    return 0


def run_slack(args: argparse.Namespace, config: utils.Config, transport: str, settings: BotSettings,
              database: Database, stopping: threading.Event) -> int:
    client = web_client(config.text("BOT_TOKEN"), config.url("SLACK_API_URL", "https://slack.com/api/"))
    identity = slack_identity(client)
    settings = replace(settings, own_ids=tuple(filter(None, (identity.get("bot_id"), identity.get("user_id")))),
                       interactive=transport == "socket-mode")
    status = BotStatus(database, transport)
    catching_up = CatchingUp(client, settings.channels)
    # A --once run from cron keeps no status row: it would read as a bot gone stale.
    pacer = channel_pacer(config.number("SLACK_POSTS_PER_SECOND", 1 / SECONDS_BETWEEN_POSTS, minimum=0, maximum=100))
    handler = AlertHandler(database, settings, slack_poster(client, pacer),
                           None if args.once else told_of_alerts(status, catching_up))
    handler.runbooks.keep_out_of_the_collector()  # a long-running bot: no collector pauses over its index
    handler.load_runbooks()
    catch_up(client, handler, settings.channels)
    if args.once:
        return 0
    interactions = Interactions(database, settings, client, handler)
    work = WorkQueue(Inbox(handler, interactions), on_overflow=catching_up.request)
    catch_up_thread = threading.Thread(target=catching_up.run_until, args=(stopping, handler, work.put),
                                       name="catch-up", daemon=True)
    catch_up_thread.start()
    ping_seconds = config.number("SLACK_PING_SECONDS", PING_SECONDS, minimum=0.5, maximum=60)
    log.info("Slack bot starting (%s transport).", transport)
    code = 0
    try:
        if transport == "socket-mode":
            run_socket_mode(config.text("SLACK_APP_TOKEN"), work.put, client, stopping, status, catching_up,
                            suggest=interactions.suggest, ping_seconds=ping_seconds)
        else:
            run_rtm(work.put, client, stopping, status, catching_up, ping_seconds)
    except utils.ConfigError as error:  # Slack refused the connection for good: one sentence, exit 2
        print(f"error: {error}", file=sys.stderr)
        stopping.set()
        code = 2
    work.stop(timeout=STOP_SECONDS)
    catch_up_thread.join(timeout=STOP_SECONDS)
    log.info("Slack bot stopped.")
    exit_past_library_threads(code)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    config = utils.load_config(args.config)
    if args.taught or args.forget is not None:
        utils.configure_logging("slack_bot", config)
        return run_lessons(args, open_database(config, utils.stop_event(), one_shot=True))
    transport = choose_transport(args, config)
    settings = bot_settings(config)
    utils.configure_logging("slack_bot", config)
    stopping = utils.stop_event()
    # A long-running bot waits for a database that is not up yet for as long as it takes.
    database = open_database(config, stopping, one_shot=args.once or transport == "console")
    if transport == "console":
        return run_console(args, settings, database)
    return run_slack(args, config, transport, settings, database, stopping)


if __name__ == "__main__":
    utils.run_main(main)
