"""The one Slack Web API client of the bot, and who it is."""
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from utils import ConfigError

# slack_sdk calls a websocket stale after a few unanswered pings: at its own 5 s, a slow network is not a
# dead one.
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
