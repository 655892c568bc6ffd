"""The RTM transport (classic apps, BOT_TOKEN alone): the older websocket API."""
import logging
import threading
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.rtm_v2 import RTMClient

from bot.catch_up import CatchingUp
from bot.slack_client import PING_SECONDS
from bot.status import BotStatus
from utils import ConfigError

log = logging.getLogger(__name__)


def run_rtm(deliver: Callable[[dict], None], client: WebClient, stopping: threading.Event, status: BotStatus,
            catching_up: CatchingUp, ping_seconds: float = PING_SECONDS) -> None:
    """Answer events until `stopping` is set; Slack refusing RTM for this app is a configuration error."""
    rtm = RTMClient(web_client=client, ping_interval=ping_seconds, auto_reconnect_enabled=True)

    @rtm.on("message")
    def on_message(_client, event):
        deliver(event)  # to the bot's own queue: the ack does not wait for the work

    @rtm.on("hello")
    def on_hello(_client, _event):
        catching_up.request()

    @rtm.on("member_joined_channel")
    def on_joined(_client, _event):
        catching_up.request()  # invited (back) to a channel: answer what was posted there meanwhile

    try:
        rtm.connect()
    except SlackApiError as error:
        reason = error.response.get("error", "error")
        raise ConfigError(f"Slack refused an RTM connection for BOT_TOKEN ({reason}): apps created since "
                                "2024 cannot use RTM; set SLACK_APP_TOKEN to use Socket Mode.") from None
    log.info("Connected to Slack over RTM.")
    status.beat_until(stopping, rtm.is_connected)
    rtm.close()
