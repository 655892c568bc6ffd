"""Posting a reply through Slack's Web API, with Slack's refusals sorted into final and passing ones."""
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


def slack_poster(client: WebClient) -> PostReply:
    """post_reply(channel, thread_ts, text, blocks) -> the reply's ts, through `client` (a WebClient)."""
    def post_reply(channel, thread_ts, text, blocks):
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
