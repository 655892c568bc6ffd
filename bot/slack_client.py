"""The one Slack Web API client of the bot, who it is, and leaving slack_sdk's threads behind."""
import atexit
import os
import sys
from typing import NoReturn

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from utils import ConfigError

# slack_sdk calls a websocket stale after four unanswered pings: at its own 5 s (SLACK_PING_SECONDS), a slow
# network is not a dead one, and a cut socket is replaced within about 30 s.
PING_SECONDS = 5


def web_client(token: str, base_url: str) -> WebClient:
    """A client that retries dropped connections and waits out 429s as Slack's Retry-After asks."""
    return WebClient(token=token, base_url=base_url.rstrip("/") + "/", timeout=15,
                     retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=3),
                                     RateLimitErrorRetryHandler(max_retry_count=5)])


def slack_identity(client: WebClient) -> SlackResponse:
    """auth.test: who the bot is (its own messages are ignored); a refused token is a config error."""
    try:
        return client.auth_test()
    except SlackApiError as error:
        raise ConfigError(f"Slack refused BOT_TOKEN ({error.response.get('error', 'error')}).") from None


def exit_past_library_threads(code: int) -> NoReturn:
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
