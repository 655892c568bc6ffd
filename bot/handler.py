"""The one message handler every transport feeds: recognise, match, record, claim, reply.

`AlertHandler.handle(event)` returns an Outcome saying what happened, so the console can
print it and tests can assert on it.  Posting goes through a `post_reply(channel,
thread_ts, text, blocks) -> ts` callable, so the handler knows nothing of transports.
"""
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum

from bot.claims import claim_reply, is_answered, record_alert, record_reply, release_claim
from bot.feedback import feedback_buttons, this_one_buttons
from bot.recognition import AlertMessage, MalformedEvent, recognise_alert
from bot.replies import no_runbook_reply, runbook_reply
from bot.seen_before import seen_before, seen_before_block
from database.connection import DatabaseUnavailable
from database.outage import Database
from generate_documentation_db import runbook_store
from matching.index import RunbookIndex
from matching.knowledge_base import LiveIndex
from matching.lessons import lessons_for
from matching.matcher import Match, match_alert
from matching.stored_keys import rekey_stored_titles
from matching.titles import alert_key

log = logging.getLogger(__name__)

# A reply too long for Slack is tried once more this short: the runbook's link and its first steps.
COMPACT_STEPS_BUDGET = 800
# A reply that failed for a passing reason is tried this many times (catch-ups) before it is given up.
MAX_POST_ATTEMPTS = 5
# How long a posted reply waits for the database to record it (a restart takes seconds; a failover minutes).
RECORD_REPLY_WAIT_SECONDS = 3600
# The transport's post_reply(channel, thread_ts, text, blocks) -> the reply's ts.
PostReply = Callable[[str, str, str, list[dict]], str]


class ReplyRefused(Exception):
    """Slack refused the reply for a reason that a retry does not change (`reason` is Slack's error code:
    is_archived, not_in_channel, msg_blocks_too_long, …).  Raised by the transport's post_reply."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def too_long(self) -> bool:
        return self.reason in ("msg_blocks_too_long", "invalid_blocks", "msg_too_long")


@dataclass(frozen=True)
class BotSettings:
    pagerduty_bot_ids: tuple[str, ...] = ()
    # The console has no workspace of other bots: a bot message typed into it is the PagerDuty app's.
    every_bot_is_pagerduty: bool = False
    own_ids: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()  # empty: every channel the bot is in
    threshold: float | None = None  # None: the matcher's own for its model (MATCH_THRESHOLD unset)
    reply_when_no_runbook: bool = False
    steps_budget: int = 3500
    claim_prefix: str = ""  # the console's claims live apart from the real channels'
    # Socket Mode apps get buttons on their replies; RTM (classic) apps cannot receive the presses.
    interactive: bool = False


class Handled(StrEnum):
    """What the handler did with a message; the value is how the console and the status panel say it."""

    REPLIED = "replied"
    NO_RUNBOOK = "no runbook"
    STATUS_UPDATE = "status update"            # a resolve, or an edit of an answered alert: recorded only
    DUPLICATE = "duplicate delivery"           # a redelivery, another replica, a catch-up
    ALREADY_ANSWERED = "already answered"      # another message of the same incident has the reply
    POST_REFUSED = "post refused"              # Slack said no for good (archived channel, bot removed)
    POST_FAILED = "post failed"                # a passing failure: the next catch-up tries again
    POST_GIVEN_UP = "post given up"            # MAX_POST_ATTEMPTS passing failures
    NOT_AN_ALERT = "not an alert"
    CHANNEL_NOT_WATCHED = "channel not watched"
    MALFORMED = "malformed"
    DATABASE_UNAVAILABLE = "database unavailable"
    ERROR = "error"


@dataclass(frozen=True)
class Outcome:
    is_alert: bool
    result: Handled
    alert: AlertMessage | None = None
    match: Match | None = None
    reply_text: str | None = None
    reply_blocks: tuple[dict, ...] | None = None
    reply_ts: str | None = None
    detail: str = ""  # the refusal's reason, the incident's status, what was malformed

    @property
    def note(self) -> str:
        return f"{self.result} ({self.detail})" if self.detail else str(self.result)


def history_keys(alert: AlertMessage, match: Match) -> list[str]:
    """The keys the alert's earlier incidents are stored under (by their titles): its own, its runbook's,
    and its title's unless the title is one every alert shares: a title whose own words found nothing
    while a field named the alert ("Incident triggered by Alertmanager")."""
    title_key = alert_key(alert.title)
    generic = alert.key != title_key and match.reason in ("name in the message", "taught", "none")
    return [alert.key, match.alert_key] + ([] if generic else [title_key])


class AlertHandler:
    def __init__(self, database: Database, settings: BotSettings, post_reply: PostReply,
                 on_alert: Callable[[Outcome], None] | None = None) -> None:
        self.database = database
        self.settings = settings
        self.post_reply = post_reply
        self.on_alert = on_alert  # told each alert's Outcome (the bot's status row); must not raise
        self.runbooks = LiveIndex()  # the matcher's index, following the docs monitor's changes
        self.claimer = f"{socket.gethostname()}:{os.getpid()}"
        self._failed_posts = {}  # first incident claim -> passing failures so far

    def load_runbooks(self) -> RunbookIndex:
        """Build the matcher's index now, so the first alert does not wait for it (tens of seconds
        for tens of thousands of runbooks); the team's lessons are keyed as this version's cleaner keys
        titles first (matching.stored_keys)."""
        self.database.run(rekey_stored_titles)
        return self.database.run(self.runbooks.current)

    def handle(self, event: dict) -> Outcome:
        """Handle one message event; never raises (a broken event or outage is logged)."""
        outcome = self._handle_safely(event)
        if outcome.is_alert and self.on_alert is not None:
            self.on_alert(outcome)
        return outcome

    def _handle_safely(self, event):
        try:
            return self._handle(event)
        except MalformedEvent as error:
            log.warning("Ignored a malformed message event: %s.", error)
            return Outcome(False, Handled.MALFORMED, detail=str(error))
        except DatabaseUnavailable as error:
            log.error("Database unavailable; this message was not handled: %s", error)
            return Outcome(True, Handled.DATABASE_UNAVAILABLE)
        except Exception:
            log.exception("Failed to handle a message event.")
            return Outcome(False, Handled.ERROR)

    def _handle(self, event):
        settings = self.settings
        alert = recognise_alert(event, settings.pagerduty_bot_ids, settings.own_ids,
                                every_bot_is_pagerduty=settings.every_bot_is_pagerduty)
        if alert is None:
            return Outcome(False, Handled.NOT_AN_ALERT)
        if settings.channels and alert.channel not in settings.channels:
            return Outcome(False, Handled.CHANNEL_NOT_WATCHED)
        index = self.database.run(self.runbooks.current)
        lessons = self.database.run_statements(lambda conn: lessons_for(conn, alert.key))
        match = match_alert(index, alert.title, settings.threshold, links=alert.runbook_links, lessons=lessons,
                            details=alert.details)
        event_id, new = self.database.run_statements(lambda conn: record_alert(conn, alert, match))
        wants_reply = alert.wants_reply and (match.found or settings.reply_when_no_runbook)
        if not new and (not wants_reply or self.database.run(
                lambda conn: is_answered(conn, event_id, self._claims(alert)))):
            if alert.edited:  # PagerDuty updated its message: the alert's status is recorded, nothing said
                log.info("Message %s in %s is now %s.", alert.ts, alert.channel, alert.status)
                return Outcome(True, Handled.STATUS_UPDATE, alert, match, detail=alert.status)
            log.info("Message %s in %s was already handled (redelivered).", alert.ts, alert.channel)
            return Outcome(True, Handled.DUPLICATE, alert, match)
        if not new:
            # Recorded, then the database or Slack failed before the reply: answer it now.
            log.info("Message %s in %s was recorded but never answered; answering it now.", alert.ts, alert.channel)
        log.info("Alert %r -> %s (%s %.2f).", alert.title[:120], match.matched, match.reason, match.confidence)
        if not alert.wants_reply:
            return Outcome(True, Handled.STATUS_UPDATE, alert, match, detail=alert.status)
        if not match.found and not settings.reply_when_no_runbook:
            return Outcome(True, Handled.NO_RUNBOOK, alert, match)
        return self._reply(alert, match, event_id)

    def _claims(self, alert):
        return [f"{self.settings.claim_prefix}{claim}" for claim in alert.incident_claims]

    def _reply(self, alert, match, event_id):
        claims = self._claims(alert)
        owned = self.database.run(lambda conn: claim_reply(conn, event_id, claims, self.claimer))
        if not owned:
            return Outcome(True, Handled.ALREADY_ANSWERED, alert, match)
        text, blocks = self._compose(alert, match, event_id)
        try:
            try:
                reply_ts = self.post_reply(alert.channel, alert.ts, text, blocks)
            except ReplyRefused as refusal:
                if not refusal.too_long:
                    raise
                text, blocks = self._compose(alert, match, event_id, COMPACT_STEPS_BUDGET)
                reply_ts = self.post_reply(alert.channel, alert.ts, text, blocks)
        except ReplyRefused as refusal:
            # Kept claimed: a redelivery or a catch-up would only be refused again.
            log.warning("Slack refused the reply for %r in %s (%s); it is not tried again.", alert.title[:120],
                        alert.channel, refusal.reason)
            return Outcome(True, Handled.POST_REFUSED, alert, match, text, tuple(blocks), detail=refusal.reason)
        except Exception:
            log.exception("Could not post the reply for %r.", alert.title[:120])
            self.database.run(lambda conn: release_claim(conn, claims, self.claimer))
            attempts = self._failed_posts[claims[0]] = self._failed_posts.get(claims[0], 0) + 1
            if attempts >= MAX_POST_ATTEMPTS:
                log.error("Gave up replying to %r after %d attempts.", alert.title[:120], attempts)
                return Outcome(True, Handled.POST_GIVEN_UP, alert, match, text, tuple(blocks))
            return Outcome(True, Handled.POST_FAILED, alert, match, text, tuple(blocks))
        self._failed_posts.pop(claims[0], None)
        # The reply is in Slack: it must be recorded, however long the database is away, or its claim
        # would look abandoned after STALE_CLAIM_SECONDS and a re-post of the incident be answered again.
        self.database.run_statements(lambda conn: record_reply(conn, event_id, claims, reply_ts),
                                     retry_seconds=RECORD_REPLY_WAIT_SECONDS)
        return Outcome(True, Handled.REPLIED, alert, match, text, tuple(blocks), reply_ts)

    def _compose(self, alert, match, event_id, budget=None):
        interactive = self.settings.interactive
        now = datetime.now(timezone.utc)
        keys = history_keys(alert, match)
        seen = self.database.run_statements(
            lambda conn: seen_before(conn, keys, now, alert.incident_id, alert.incident_number))
        history = [seen_before_block(seen, now)] if seen else []
        if not match.found:
            buttons = this_one_buttons(event_id, match.alternatives) if interactive else None
            return no_runbook_reply(match, history + ([buttons] if buttons else []))
        extra = history + ([feedback_buttons(event_id)] if interactive else [])
        if match.runbook_id is None:  # the alert's own runbook link, to a page the docs site lacks
            return runbook_reply(match, None, extra=extra)
        runbook = self.database.run_statements(lambda conn: runbook_store.runbook_by_id(conn, match.runbook_id))
        return runbook_reply(match, runbook, budget or self.settings.steps_budget, extra)
