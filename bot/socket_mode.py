"""The Socket Mode transport (apps with an app-level token, SLACK_APP_TOKEN): events over a websocket."""
import json
import logging
import threading
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.catch_up import CatchingUp
from bot.slack_client import PING_SECONDS
from bot.status import BotStatus
from utils import ConfigError

log = logging.getLogger(__name__)

def run_socket_mode(app_token: str, deliver: Callable[[dict], None], client: WebClient, stopping: threading.Event,
                    status: BotStatus, catching_up: CatchingUp) -> None:
    """Answer events until `stopping` is set; a dropped socket reconnects and asks for a catch-up."""
    socket_client = SocketModeClient(app_token=app_token, web_client=client,
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
        if event.get("type") == "member_joined_channel":
            catching_up.request()  # invited (back) to a channel: answer what was posted there meanwhile
        elif event.get("type") == "message":
            deliver(event)  # to the bot's own queue: the ack does not wait for the work

    def on_message(_socket, message, _raw):
        if message.get("type") == "hello":
            catching_up.request()  # a new connection: look for what was posted while the old one was down

    disabled = []

    def on_raw_message(raw):
        # slack_sdk reconnects on every `disconnect` before any listener sees it; `link_disabled` means
        # an admin turned Socket Mode off for the app, and reconnecting would only loop.
        if '"link_disabled"' in raw and _disconnect_reason(raw) == "link_disabled":
            disabled.append(True)
            stopping.set()

    socket_client.socket_mode_request_listeners.append(on_request)
    socket_client.message_listeners.append(on_message)
    socket_client.on_message_listeners.append(on_raw_message)
    socket_client.connect()
    log.info("Connected to Slack over Socket Mode.")
    status.beat_until(stopping, socket_client.is_connected)
    socket_client.close()
    if disabled:
        raise ConfigError("Slack disabled Socket Mode for this app (link_disabled): turn Socket Mode on again in "
                          "the app's settings at api.slack.com/apps.")


def _disconnect_reason(raw: str) -> str | None:
    try:
        message = json.loads(raw)
    except ValueError:
        return None
    return message.get("reason") if isinstance(message, dict) and message.get("type") == "disconnect" else None
