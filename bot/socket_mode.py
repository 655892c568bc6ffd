"""The Socket Mode transport (apps with an app-level token, SLACK_APP_TOKEN): events, button presses,
modal submissions and slash commands over a websocket."""
import json
import logging
import threading
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.catch_up import CatchingUp
from bot.interactions import APP_MENTION, INTERACTIVE, SLASH_COMMAND, envelope_item
from bot.slack_client import PING_SECONDS
from bot.status import BotStatus
from utils import ConfigError

log = logging.getLogger(__name__)

def run_socket_mode(app_token: str, deliver: Callable[[dict], None], client: WebClient, stopping: threading.Event,
                    status: BotStatus, catching_up: CatchingUp,
                    suggest: Callable[[dict], dict] | None = None, ping_seconds: float = PING_SECONDS) -> None:
    """Answer events until `stopping` is set; a dropped socket reconnects and asks for a catch-up.
    `suggest(payload)` answers a search typed into one of the bot's selects, inside the ack."""
    socket_client = SocketModeClient(app_token=app_token, web_client=client,
                                     ping_interval=ping_seconds)

    def on_request(socket, request):
        payload = request.payload if isinstance(request.payload, dict) else {}
        kind = payload.get("type")
        answer = None
        if request.type == "interactive" and kind == "block_suggestion" and suggest is not None:
            answer = _suggestions(suggest, payload)  # the options travel in the ack itself
        # Ack first: Slack redelivers anything not acknowledged within 3 seconds.
        try:
            socket.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id, payload=answer))
        except SlackClientError as error:
            # The socket went away under us; Slack will redeliver, and the recorded message keeps
            # that second delivery quiet.  The alert is answered now all the same.
            log.warning("Could not acknowledge envelope %s (%s); handling it anyway.", request.envelope_id,
                        type(error).__name__)
        if request.type == "interactive" and kind in ("block_actions", "view_submission"):
            deliver(envelope_item(INTERACTIVE, payload))
            return
        if request.type == "slash_commands":
            deliver(envelope_item(SLASH_COMMAND, payload))
            return
        if request.type != "events_api":
            return
        if request.retry_attempt:
            log.info("Envelope redelivered (retry_attempt %s, %s).", request.retry_attempt, request.retry_reason)
        event = payload.get("event") or {}
        if not isinstance(event, dict):
            log.warning("Ignored an events_api envelope whose event is not an object.")
        elif event.get("type") == "member_joined_channel":
            catching_up.request()  # invited (back) to a channel: answer what was posted there meanwhile
        elif event.get("type") == "message":
            deliver(event)  # to the bot's own queue: the ack does not wait for the work
        elif event.get("type") == "app_mention":
            deliver(envelope_item(APP_MENTION, event))

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
    try:
        socket_client.close()
    except (AttributeError, OSError) as error:
        # slack_sdk's close() races its own reconnect after a cut socket (its session's sock is None by
        # then): the bot is stopping, and nothing is left to close.
        log.info("The Socket Mode connection was already gone when the bot stopped (%s).", type(error).__name__)
    if disabled:
        raise ConfigError("Slack disabled Socket Mode for this app (link_disabled): turn Socket Mode on again in "
                          "the app's settings at api.slack.com/apps.")


def _suggestions(suggest, payload):
    try:
        return suggest(payload)
    except Exception:  # a search that fails shows no options; the socket and the bot go on
        log.exception("Could not answer a runbook search.")
        return {"options": []}


def _disconnect_reason(raw: str) -> str | None:
    try:
        message = json.loads(raw)
    except ValueError:
        return None
    return message.get("reason") if isinstance(message, dict) and message.get("type") == "disconnect" else None
