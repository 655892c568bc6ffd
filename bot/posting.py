"""Posting a reply through Slack's Web API, paced per channel, with Slack's refusals sorted into final
and passing ones."""
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.handler import PostReply, ReplyRefused

# Errors a retry cannot change: the channel is archived or closed to the bot, the message is too long,
# or the app may not post there.  Rate limits and server errors are retried by the client and the
# catch-up instead.
FINAL_POST_ERRORS = frozenset({
    "is_archived", "not_in_channel", "channel_not_found", "msg_blocks_too_long", "msg_too_long", "invalid_blocks",
    "restricted_action", "restricted_action_read_only_channel", "restricted_action_thread_only_channel",
    "cannot_reply_to_message", "no_permission", "team_access_not_granted", "ekm_access_denied",
})


# Slack takes about one message per second per channel, allows a short burst, and answers more with 429s.
SECONDS_BETWEEN_POSTS = 1.0
BURST = 3


class ChannelPacer:
    """Paces posts per channel: a burst of BURST at once, then one every SECONDS_BETWEEN_POSTS; a
    post to another channel does not wait.  (The generic cell rate algorithm: each channel's
    theoretical time of its next post moves on by the interval with every post.)"""

    def __init__(self, interval: float = SECONDS_BETWEEN_POSTS, burst: int = BURST,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.interval, self.burst, self.clock, self.sleep = interval, burst, clock, sleep
        self._due = {}  # channel -> the theoretical moment of its next post
        self._lock = threading.Lock()

    def wait_turn(self, channel: str) -> float:
        """Block until `channel` may take a post; the seconds waited."""
        with self._lock:
            now = self.clock()
            due = max(now, self._due.get(channel, now))
            wait = max(0.0, due - now - (self.burst - 1) * self.interval)
            self._due[channel] = due + self.interval
        if wait:
            self.sleep(wait)
        return wait


def channel_pacer(posts_per_second: float) -> ChannelPacer | None:
    """The pacer for SLACK_POSTS_PER_SECOND; None (no pacing) for 0, as a workspace without Slack's
    limit (an Enterprise Grid exception, the sandbox with its limit off) allows."""
    return ChannelPacer(interval=1 / posts_per_second) if posts_per_second > 0 else None


_SLACKS_PACE = object()


def slack_poster(client: WebClient, pacer: ChannelPacer | None = _SLACKS_PACE) -> PostReply:  # type: ignore[assignment]
    """post_reply(channel, thread_ts, text, blocks) -> the reply's ts, through `client` (a WebClient);
    paced by `pacer` (by default Slack's pace; None: not at all)."""
    pacer = ChannelPacer() if pacer is _SLACKS_PACE else pacer

    def post_reply(channel, thread_ts, text, blocks):
        if pacer is not None:
            pacer.wait_turn(channel)
        try:
            response = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks,
                                               unfurl_links=False, unfurl_media=False)
        except SlackApiError as error:
            reason = error.response.get("error", "")
            if reason in FINAL_POST_ERRORS:
                raise ReplyRefused(reason) from None
            raise
        return response["ts"]
    return post_reply
