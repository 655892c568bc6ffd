"""The sandbox Slack workspace's state: channels, messages, the apps in it (no I/O).

Messages look like the ones Slack delivers: `ts` strings that only grow, bot messages with
`bot_id` and `subtype: bot_message`, PagerDuty's incident messages with their content in
`attachments` (fallback "Triggered #4821: …", a title linking to …/incidents/<ID>, fields).
"""
import itertools
import re
import threading
import time

TEAM_ID = "T0SANDBOX"
BOT_USER_ID = "U0ONCALL"
BOT_ID = "B0ONCALL"
PAGERDUTY_BOT_ID = "B0PAGERDUTY"
PAGERDUTY_APP_ID = "A0PAGERDUTY"
STATUS_COLOURS = {"triggered": "#FF0000", "acknowledged": "#FFA500", "resolved": "#36A64F",
                  "escalated": "#FF0000", "reassigned": "#FFA500"}


def pagerduty_message(title, incident_number, incident_id, status="triggered", service="Production API",
                      urgency="high", assignee="Alex Oncall", subdomain="sandbox"):
    """A message as PagerDuty's Slack app posts it for an incident: empty text, one attachment."""
    url = f"https://{subdomain}.pagerduty.com/incidents/{incident_id}"
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


# What a Slack conversation id looks like: C… (public), G… (private), D… (direct).
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")


class Workspace:
    """Channels and their messages; thread-safe, since the HTTP and websocket sides share it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self.channels = {}  # channel id -> [message]
        self.posted = []  # every chat.postMessage, in order: the log of what apps said
        self.left = set()  # channels the bot was removed from (it is in every other one)
        self.archived = set()  # channels that take no new messages

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

    def replies(self, channel, thread_ts):
        with self._lock:
            return [m for m in self.channels.get(channel, [])
                    if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts]

    def posts(self, channel=None, thread_ts=None):
        with self._lock:
            return [p for p in self.posted if (channel is None or p["channel"] == channel)
                    and (thread_ts is None or p.get("thread_ts") == thread_ts)]
