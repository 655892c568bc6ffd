"""The sandbox Slack workspace's state: channels, messages, the apps in it (no I/O).

Messages look like the ones Slack delivers: `ts` strings that only grow, bot messages with
`bot_id` and `subtype: bot_message`, PagerDuty's incident messages with their content in
`attachments` (fallback "Triggered #4821: …", a title linking to …/incidents/<ID>, fields)
or, as the newer app lays them out, in `blocks` with an empty `text`.  The PagerDuty app
edits its own message when the incident is acknowledged or resolved: the channel's history
holds the latest version, and connected apps receive a `message_changed` event.
"""
import hashlib
import itertools
import re
import threading
import time
import uuid

TEAM_ID = "T0SANDBOX"
BOT_USER_ID = "U0ONCALL"
BOT_ID = "B0ONCALL"
PAGERDUTY_BOT_ID = "B0PAGERDUTY"
PAGERDUTY_APP_ID = "A0PAGERDUTY"
STATUS_COLOURS = {"triggered": "#FF0000", "acknowledged": "#FFA500", "resolved": "#36A64F",
                  "escalated": "#FF0000", "reassigned": "#FFA500"}


def pagerduty_message(title, incident_number, incident_id, status="triggered", service="Production API",
                      urgency="high", assignee="Alex Oncall", subdomain="sandbox", layout="attachment"):
    """A message as PagerDuty's Slack app posts it for an incident: empty text, and one attachment or
    (layout="blocks", the newer app) Block Kit blocks whose first text is the status line."""
    url = f"https://{subdomain}.pagerduty.com/incidents/{incident_id}"
    if layout == "blocks":
        return pagerduty_blocks_message(title, incident_number, url, status, service, urgency, assignee)
    return {
        "type": "message", "subtype": "bot_message", "bot_id": PAGERDUTY_BOT_ID, "app_id": PAGERDUTY_APP_ID,
        "username": "PagerDuty", "text": "",
        "attachments": [{
            "fallback": f"{status.capitalize()} #{incident_number}: {title}",
            "color": STATUS_COLOURS.get(status, "#CCCCCC"),
            "pretext": f"{status.capitalize()} by {assignee if status != 'triggered' else 'Alertmanager'}",
            "title": f"#{incident_number}: {title}", "title_link": url,
            "fields": [{"title": "Assigned", "value": assignee, "short": True},
                       {"title": "Urgency", "value": urgency.capitalize(), "short": True},
                       {"title": "Service", "value": service, "short": True}],
        }],
    }


def pagerduty_blocks_message(title, incident_number, url, status, service, urgency, assignee):
    """The newer app's layout: a status context line, the incident as a link, fields, buttons."""
    by = "Alertmanager" if status == "triggered" else assignee
    return {
        "type": "message", "subtype": "bot_message", "bot_id": PAGERDUTY_BOT_ID, "app_id": PAGERDUTY_APP_ID,
        "username": "PagerDuty", "text": "",
        "blocks": [
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"*{status.capitalize()}* by {by} · {service}"}]},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*<{url}|[#{incident_number}] {title}>*"}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*Urgency:*\n{urgency.capitalize()}"},
                                           {"type": "mrkdwn", "text": f"*Assigned:*\n{assignee}"},
                                           {"type": "mrkdwn", "text": f"*Status:*\n{status.capitalize()}"}]},
            {"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Acknowledge"}, "action_id": "acknowledge"},
                {"type": "button", "text": {"type": "plain_text", "text": "Resolve"}, "action_id": "resolve"}]},
        ],
    }


# What a Slack conversation id looks like: C… (public), G… (private), D… (direct).
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")
# A trigger_id opens a modal only within three seconds of the press that made it, and only once.
TRIGGER_SECONDS = 3.0


def user_for(name):
    """A workspace member as interaction payloads name them: the same id for the same handle."""
    digest = hashlib.sha1(str(name).encode("utf-8")).hexdigest()[:8].upper()
    return {"id": f"U{digest}", "username": str(name), "name": str(name), "team_id": TEAM_ID}


class Workspace:
    """Channels and their messages; thread-safe, since the HTTP and websocket sides share it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self.channels = {}  # channel id -> [message]
        self.posted = []  # every chat.postMessage, in order: the log of what apps said
        self.left = set()  # channels the bot was removed from (it is in every other one)
        self.archived = set()  # channels that take no new messages
        self.refused = []  # (channel, thread_ts, error) of every post refused for its channel
        self.updates = []  # every chat.update of an app's message: (channel, ts)
        self.ephemeral = []  # what apps showed one person: chat.postEphemeral and response_url answers
        self.views = {}  # view id -> the modal an app opened, with who it was opened for
        self._triggers = {}  # trigger_id -> (user, made at); used up by views.open

    def next_ts(self):
        return f"{int(time.time())}.{next(self._counter):06d}"

    def add_message(self, channel, message):
        """Store a top-level message or thread reply; return it as the event Slack would send."""
        with self._lock:
            event = {"type": "message", **message, "channel": channel, "ts": self.next_ts(),
                     "event_ts": None, "team": TEAM_ID}
            event["event_ts"] = event["ts"]
            self.channels.setdefault(channel, []).append(event)
            if message.get("bot_id") == BOT_ID:
                self.posted.append(event)
        return event

    def edit_message(self, channel, ts, message):
        """Replace a message's content, as chat.update does; return the `message_changed` event
        every connected app receives (the new version under `message`, the old under `previous_message`)."""
        with self._lock:
            stored = next(m for m in self.channels.get(channel, []) if m["ts"] == ts)
            previous = dict(stored)
            edited_ts = self.next_ts()
            stored.clear()
            stored.update({**previous, **message, "ts": ts, "edited": {"user": previous.get("bot_id"), "ts": edited_ts}})
            changed = dict(stored)
        return {"type": "message", "subtype": "message_changed", "hidden": True, "channel": channel,
                "ts": edited_ts, "event_ts": edited_ts, "team": TEAM_ID,
                "message": {k: v for k, v in changed.items() if k not in ("channel", "event_ts", "team")},
                "previous_message": {k: v for k, v in previous.items() if k not in ("channel", "event_ts", "team")}}

    def message(self, channel, ts):
        with self._lock:
            return next((dict(m) for m in self.channels.get(channel, []) if m["ts"] == ts), None)

    def new_trigger(self, user):
        trigger_id = f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:16]}"
        with self._lock:
            self._triggers[trigger_id] = (user, time.monotonic())
        return trigger_id

    def open_view(self, trigger_id, view):
        """(the stored view, None) or (None, Slack's error): a trigger opens one modal, within seconds."""
        with self._lock:
            made = self._triggers.pop(trigger_id, None)
            if made is None:
                return None, "invalid_trigger_id"
            if time.monotonic() - made[1] > TRIGGER_SECONDS:
                return None, "expired_trigger_id"
            view_id = f"V{uuid.uuid4().hex[:10].upper()}"
            stored = {**view, "id": view_id, "team_id": TEAM_ID, "state": {"values": {}}, "hash": uuid.uuid4().hex[:8]}
            self.views[view_id] = {"view": stored, "user": made[0]}
            return stored, None

    def show_ephemeral(self, shown):
        with self._lock:
            self.ephemeral.append({**shown, "ts": self.next_ts()})
            return self.ephemeral[-1]

    def history(self, channel, oldest=None, limit=100, offset=0):
        """(a page of top-level messages newest first, whether older ones follow), as
        conversations.history pages them: after `oldest`, `limit` at a time from `offset`."""
        with self._lock:
            top = [m for m in self.channels.get(channel, []) if m.get("thread_ts") in (None, m["ts"])
                   and (oldest is None or float(m["ts"]) > float(oldest))]
        newest_first = list(reversed(top))
        return newest_first[offset:offset + limit], offset + limit < len(newest_first)

    def refusal(self, channel):
        """Slack's error for a channel the bot cannot use, or None: a mistyped id is not found, a
        channel the bot was removed from (or never invited to) answers not_in_channel."""
        if not CHANNEL_ID.match(channel or ""):
            return "channel_not_found"
        return "not_in_channel" if channel in self.left else None

    def replies(self, channel, thread_ts, oldest=None, latest=None, inclusive=False):
        """A thread's messages, parent first, within (oldest, latest) as conversations.replies reads them."""
        def within(ts):
            after = oldest is None or float(ts) > float(oldest) or (inclusive and ts == oldest)
            before = latest is None or float(ts) < float(latest) or (inclusive and ts == latest)
            return after and before
        with self._lock:
            thread = [m for m in self.channels.get(channel, []) if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts]
        return [thread[0]] + [m for m in thread[1:] if within(m["ts"])] if thread else []

    def posts(self, channel=None, thread_ts=None):
        with self._lock:
            return [p for p in self.posted if (channel is None or p["channel"] == channel)
                    and (thread_ts is None or p.get("thread_ts") == thread_ts)]
