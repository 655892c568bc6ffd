"""What people do with the bot besides posting alerts: press its buttons, correct it in the modal,
ask `/runbook <words>` or mention it (Socket Mode only: RTM apps get no interactivity).

Every press is checked against the stored alert it names (its event id, channel and message)
before anything is recorded, so a forged value, a press on a message that is no reply of ours,
or one from a channel the bot does not watch is ignored with one log line.  Feedback is stored
once per person per alert (`bot.feedback_store`); the reply's feedback line is then rewritten in
place with chat.update.
"""
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from bot import feedback_store
from bot.feedback import (
    HELPFUL_ACTION,
    MAX_QUERY_CHARS,
    SEARCH_ACTION,
    WRONG_ACTION,
    correction_view,
    feedback_line,
    read_correction,
    read_press,
    search_options,
    this_one_buttons,
    with_feedback_line,
)
from bot.handler import AlertHandler, BotSettings
from bot.recognition import slack_to_plain
from bot.replies import question_reply
from database.connection import DatabaseUnavailable
from database.outage import Database
from matching.index import RunbookIndex
from matching.lessons import CORRECTED, HELPFUL, NO_RUNBOOK, NOTHING_TAUGHT, lessons_for
from matching.matcher import match_alert, own_name, ranked_candidates
from matching.titles import name_key

log = logging.getLogger(__name__)

# What the transports hand the work queue for people's actions (message events go to the AlertHandler).
INTERACTIVE, SLASH_COMMAND, APP_MENTION = "interactive", "slash_command", "app_mention"
KINDS = (INTERACTIVE, SLASH_COMMAND, APP_MENTION)
COMMAND = "/runbook"
RELATED_IN_MODAL = 8
SEARCH_RESULTS = 20
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Done:
    """What an interaction came to, for the log and the tests."""

    kind: str
    result: str  # recorded, unchanged, opened, answered, ignored, failed
    detail: str = ""


class Interactions:
    def __init__(self, database: Database, settings: BotSettings, client: WebClient, alerts: AlertHandler,
                 respond: Callable[[str, dict], None] | None = None) -> None:
        self.database = database
        self.settings = settings
        self.client = client
        self.alerts = alerts  # its index, its posting and its lessons
        self.respond = respond or _respond_at

    # -- the ack path: answered within Slack's three seconds -------------------------------------------

    def suggest(self, payload: dict) -> dict:
        """The options for what was typed into the modal's runbook search (a `block_suggestion`)."""
        if payload.get("action_id") != SEARCH_ACTION:
            return {"options": []}
        query = " ".join(str(payload.get("value") or "").split())[:MAX_QUERY_CHARS]
        index = self._index_if_loaded()
        return search_options(find_runbooks(index, query, SEARCH_RESULTS) if index and query else [])

    # -- the work queue ----------------------------------------------------------------------------

    def handle(self, item: dict) -> Done:
        """One press, modal submission, command or mention; never raises."""
        kind = item.get("type")
        try:
            if kind == INTERACTIVE:
                return self._interactive(item.get("payload") or {})
            if kind == SLASH_COMMAND:
                return self._command(item.get("payload") or {})
            return self._mention(item.get("event") or {})
        except DatabaseUnavailable as error:
            log.error("Database unavailable; a %s was not handled: %s", kind, error)
            return Done(kind, "failed", "database unavailable")
        except (SlackApiError, SlackClientError) as error:
            reason = error.response.get("error", "") if isinstance(error, SlackApiError) else type(error).__name__
            log.warning("Slack refused the answer to a %s (%s).", kind, reason)
            return Done(kind, "failed", reason)
        except Exception:
            log.exception("Failed to handle a %s.", kind)
            return Done(kind, "failed", "error")

    def _watched(self, channel):
        return not self.settings.channels or channel in self.settings.channels

    def _index(self) -> RunbookIndex:
        return self.database.run(self.alerts.runbooks.current)

    def _index_if_loaded(self):
        try:
            return self._index()
        except DatabaseUnavailable:
            return None

    def _interactive(self, payload):
        if payload.get("type") == "view_submission":
            return self._correction(payload)
        press = read_press(payload) if payload.get("type") == "block_actions" else None
        if press is None:
            log.info("Ignored an interaction that is none of the bot's buttons (%s).",
                     str(payload.get("type"))[:40])
            return Done(INTERACTIVE, "ignored", "not ours")
        if not self._watched(press.channel):
            log.info("Ignored a press in channel %s, which the bot does not watch.", press.channel[:20])
            return Done(INTERACTIVE, "ignored", "channel not watched")
        message = payload.get("message") or {}
        thread_ts = (payload.get("container") or {}).get("thread_ts") or message.get("thread_ts")
        alert = self.database.run(lambda conn: feedback_store.replied_alert(
            conn, press.event_id, press.channel, [ts for ts in (press.message_ts, thread_ts) if ts]))
        if alert is None:
            log.info("Ignored a press on message %s in %s: no alert of the bot's has event %d there.",
                     press.message_ts[:20], press.channel[:20], press.event_id)
            return Done(INTERACTIVE, "ignored", "no such alert")
        if press.action == WRONG_ACTION:
            related = related_runbooks(self._index(), alert.title, RELATED_IN_MODAL)
            self.client.views_open(trigger_id=press.trigger_id, view=correction_view(
                alert.event_id, alert.channel, press.message_ts, alert.replied_alert, [name for name, _ in related]))
            return Done(INTERACTIVE, "opened", "correction")
        if press.action == HELPFUL_ACTION:
            if alert.replied_alert is None:
                return Done(INTERACTIVE, "ignored", "no runbook to confirm")
            return self._record(alert, press.user_id, press.user_name, HELPFUL, None, press.message_ts, message)
        chosen = self._runbook_named(press.chosen)
        if chosen is None:
            log.info("Ignored a press choosing %r, which is no runbook.", str(press.chosen)[:80])
            return Done(INTERACTIVE, "ignored", "no such runbook")
        return self._record(alert, press.user_id, press.user_name, CORRECTED, chosen, press.message_ts, message)

    def _correction(self, payload):
        correction = read_correction(payload)
        if correction is None:
            log.info("Ignored a modal submission that is not a correction of the bot's.")
            return Done(INTERACTIVE, "ignored", "not ours")
        alert = self.database.run(lambda conn: feedback_store.replied_alert(
            conn, correction.event_id, correction.channel, [correction.reply_ts]))
        if alert is None or not self._watched(correction.channel):
            log.info("Ignored a correction of event %d: no alert of the bot's has it in %s.",
                     correction.event_id, correction.channel[:20])
            return Done(INTERACTIVE, "ignored", "no such alert")
        if correction.no_runbook:
            return self._record(alert, correction.user_id, correction.user_name, NO_RUNBOOK, None,
                                correction.reply_ts)
        chosen = self._runbook_named(correction.chosen)
        if chosen is None:
            log.info("Ignored a correction choosing %r, which is no runbook.", str(correction.chosen)[:80])
            return Done(INTERACTIVE, "ignored", "no such runbook")
        return self._record(alert, correction.user_id, correction.user_name, CORRECTED, chosen, correction.reply_ts)

    def _runbook_named(self, name):
        """(alert name, url) of the runbook a choice names, or None when no runbook answers to it."""
        index = self._index()
        with index.locked_for_match():  # a patch meanwhile could remove the runbook found
            docs = index.runbooks_named(name_key(name or ""))
            return (own_name(index, docs[0]), index.runbook(docs[0]).record.url) if docs else None

    def _record(self, alert, voter, voter_name, verdict, chosen, message_ts, message=None):
        chosen_alert, chosen_url = chosen or (None, None)
        changed = self.database.run(lambda conn: feedback_store.record_feedback(
            conn, alert, voter, voter_name, verdict, chosen_alert, chosen_url))
        if not changed:
            return Done(INTERACTIVE, "unchanged", verdict)
        log.info("%s said %s about %r (event %d)%s.", voter_name, verdict, alert.title[:80], alert.event_id,
                 f": {chosen_alert}" if chosen_alert else "")
        if message_ts == alert.reply_ts or (message and message.get("ts") == alert.reply_ts):
            self._show_feedback(alert, message if message and message.get("ts") == alert.reply_ts else None)
        return Done(INTERACTIVE, "recorded", verdict)

    def _show_feedback(self, alert, message=None):
        """Rewrite the reply's feedback line from what is stored now (chat.update)."""
        said = self.database.run(lambda conn: feedback_store.feedback_on(conn, alert.event_id))
        message = message or self._reply_message(alert)
        if message is None:
            return
        blocks = with_feedback_line(list(message.get("blocks") or []), feedback_line(said))
        self.client.chat_update(channel=alert.channel, ts=alert.reply_ts, text=message.get("text") or "Runbook",
                                blocks=blocks)

    def _reply_message(self, alert):
        response = self.client.conversations_replies(channel=alert.channel, ts=alert.message_ts,
                                                     latest=alert.reply_ts, oldest=alert.reply_ts, inclusive=True)
        return next((message for message in response.get("messages") or [] if message.get("ts") == alert.reply_ts),
                    None)

    # -- asking for a runbook ------------------------------------------------------------------------

    def _command(self, payload):
        channel, words = str(payload.get("channel_id") or ""), _plain_words(str(payload.get("text") or ""))
        user = str(payload.get("user_id") or "")
        response_url = payload.get("response_url")
        if not (channel and user and isinstance(response_url, str)):
            log.info("Ignored a malformed slash command.")
            return Done(SLASH_COMMAND, "ignored", "malformed")
        if payload.get("thread_ts"):  # Slack offers commands in threads to few apps; answered as a mention
            return self._ask(channel, user, words, str(payload["thread_ts"]), response_url)
        if not words:
            self.respond(response_url, {"response_type": "ephemeral",
                                        "text": f"Ask `{COMMAND} <alert name or words>`, or mention the bot in an "
                                                "alert's thread to match that alert again."})
            return Done(SLASH_COMMAND, "answered", "usage")
        return self._ask(channel, user, words, None, response_url)

    def _mention(self, event):
        channel, user = str(event.get("channel") or ""), str(event.get("user") or "")
        if not (channel and user and isinstance(event.get("text"), str)):
            log.info("Ignored a malformed app_mention event.")
            return Done(APP_MENTION, "ignored", "malformed")
        if user in self.settings.own_ids or event.get("bot_id"):
            return Done(APP_MENTION, "ignored", "a bot")
        words = _plain_words(_MENTION.sub(" ", event["text"]))
        return self._ask(channel, user, words, event.get("thread_ts"), None, kind=APP_MENTION)

    def _ask(self, channel, user, words, thread_ts, response_url, kind=SLASH_COMMAND):
        """Answer a question in the alert's thread when asked inside one, else to the asker alone."""
        words = words[:MAX_QUERY_CHARS]
        alert = None
        if thread_ts and self._watched(channel):
            alert = self.database.run(lambda conn: feedback_store.alert_in_thread(conn, channel, thread_ts))
        if not words and alert is None:
            return self._answer_privately(channel, user, thread_ts, response_url, kind,
                                          *question_reply(None, "", ()))
        index = self._index()
        question = words or alert.title
        lessons = self.database.run(lambda conn: lessons_for(conn, alert.title_key)) \
            if alert and not words else NOTHING_TAUGHT
        # Asked about the alert itself: what its message named counts too, under a title every alert shares.
        said = (alert.named_alert or "") if alert and not words else ""
        match = match_alert(index, question, self.settings.threshold, lessons=lessons, details=said)
        related = related_runbooks(index, question, 3, exclude=match.matched if match.found else None)
        buttons = ()
        if alert is not None:
            offered = ([match.matched] if match.found else []) + [name for name, _ in related]
            block = this_one_buttons(alert.event_id, offered) if offered else None
            buttons = (block,) if block else ()
        text, blocks = question_reply(match if match.found else None, question, related, buttons)
        if alert is not None:
            self.alerts.post_reply(channel, alert.message_ts, text, blocks)
            return Done(kind, "answered", "in the thread")
        return self._answer_privately(channel, user, thread_ts, response_url, kind, text, blocks)

    def _answer_privately(self, channel, user, thread_ts, response_url, kind, text, blocks):
        if response_url:
            self.respond(response_url, {"response_type": "ephemeral", "text": text, "blocks": blocks})
        else:
            self.client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks,
                                           **({"thread_ts": thread_ts} if thread_ts else {}))
        return Done(kind, "answered", "ephemeral")


def _respond_at(response_url: str, message: dict) -> None:
    """Answer through a slash command's response_url (Slack's, or the sandbox's on loopback)."""
    response = WebhookClient(response_url, timeout=10).send_dict(message)
    if response.status_code >= 300:
        log.warning("Slack refused the answer at the command's response_url (HTTP %d).", response.status_code)


def related_runbooks(index: RunbookIndex, text: str, limit: int, exclude: str | None = None) -> list[tuple[str, str]]:
    """(alert name, url) of the runbooks the ranking finds for `text`, best first, one per alert."""
    found = {}
    with index.locked_for_match():  # as match_alert: the docs monitor's patch waits, the runbooks found stay
        for doc, _, _ in ranked_candidates(index, text):
            name = own_name(index, doc)
            if name != exclude and name not in found:
                found[name] = index.runbook(doc).record.url
    return list(found.items())[:limit]


def find_runbooks(index: RunbookIndex, query: str, limit: int) -> list[str]:
    """Runbooks for what someone typed into the search: names that start with it or contain it
    (spelling ignored), then what the ranking finds for its words."""
    key = name_key(query)
    names = []
    with index.locked_for_match():  # the names and the runbooks they lead to, as one version of the index
        for known in sorted(index.known_keys) if key else ():
            if known.startswith(key) or (len(key) >= 4 and key in known):
                docs = index.runbooks_named(known)
                if docs:
                    names.append(own_name(index, docs[0]))
            if len(names) >= limit:
                break
        return list(dict.fromkeys(names + [name for name, _ in related_runbooks(index, query, limit)]))[:limit]


class Inbox:
    """What the work queue hands each item to: message events to the AlertHandler, people's
    presses, commands and mentions to Interactions."""

    def __init__(self, alerts: AlertHandler, interactions: Interactions) -> None:
        self.alerts, self.interactions = alerts, interactions

    def handle(self, item: dict):
        if isinstance(item, dict) and item.get("type") in KINDS:
            return self.interactions.handle(item)
        return self.alerts.handle(item)


def envelope_item(kind: str, payload: dict) -> dict:
    """A Socket Mode request as a work-queue item, laned by its channel."""
    if kind == APP_MENTION:
        return {"type": APP_MENTION, "channel": payload.get("channel"), "event": payload}
    channel = payload.get("channel_id") or (payload.get("channel") or {}).get("id") \
        or (payload.get("container") or {}).get("channel_id") or _view_channel(payload)
    return {"type": kind, "channel": channel, "payload": payload}


def _view_channel(payload):
    try:
        return json.loads(((payload.get("view") or {}).get("private_metadata")) or "{}").get("channel")
    except (ValueError, AttributeError):
        return None


def _plain_words(text: str) -> str:
    """What a person asked, as words: Slack's markup undone ("&lt;KubeletDown&gt;", a link's label)."""
    return " ".join(slack_to_plain(text).split())
