"""The soak's alert traffic: PagerDuty incidents posted into the sandbox channel, with status
updates and re-posts, and the check that each got its one reply (or was recorded as
having no runbook).  `check_replies` is pure: it judges what was posted against what the
bot said and what it recorded.
"""
import itertools
from dataclasses import dataclass

from sandbox.slack_workspace import pagerduty_message

# Titles whose runbook is on the sample site on pages the soak never removes.
WITH_RUNBOOK = (
    "[FIRING:2] KubePodCrashLooping (checkout-7f9c4 payments critical)",
    "[P2] etcd has no leader on prod-east",
    'ALARM: "prod-redis-memory-high" in EU (Ireland)',
    "[FIRING:1] KubeJobFailed (nightly-backup-28391 batch warning)",
    "[Triggered on {host:web-01,env:prod}] certificate expiring soon",
    "[FIRING:1] ElasticsearchClusterRed (logging critical)",
    "[FIRING:1] KubeNodeNotReady (ip-10-0-3-17 critical)",
    "[FIRING:1] etcdMembersDown (etcd-0 critical)",
    "kafka_consumer_lag_high orders-consumer",
    "[FIRING:1] KubeHpaMaxedOut (api default warning)",
)
# Alerts nobody wrote a runbook for: no reply, but recorded.
WITHOUT_RUNBOOK = (
    "[FIRING:1] CassandraNodeDown (cass-3 critical)",
    "[P3] Varnish cache hit ratio low on edge-2",
    'ALARM: "prod-sqs-dlq-not-empty" in US East (N. Virginia)',
    "[FIRING:1] RabbitmqQueueBacklog (orders warning)",
)
FOLLOW_UPS = ("acknowledged", "resolved", "escalated")
LAYOUTS = ("attachment", "blocks")


@dataclass(frozen=True)
class PostedAlert:
    kind: str  # 'alert' (a new incident), 'status' (an update) or 'repost' (triggered again)
    number: int
    incident_id: str
    title: str
    status: str
    ts: str
    has_runbook: bool


class AlertPoster:
    """Posts the next message of the soak's alert traffic into the sandbox Slack."""

    def __init__(self, slack, channel, rng, first_number):
        self.slack, self.channel, self.rng = slack, channel, rng
        self.numbers = itertools.count(first_number)
        self.titles = itertools.cycle(self._title_order())
        self.posted = []

    def _title_order(self):
        # Two alerts with a runbook for each without one, in a seeded order.
        titles = [(title, True) for title in WITH_RUNBOOK] + [(title, False) for title in WITHOUT_RUNBOOK]
        self.rng.shuffle(titles)
        return titles

    def post_next(self):
        earlier = [alert for alert in self.posted if alert.kind == "alert"]
        roll = self.rng.random()
        if earlier and roll < 0.25:
            return self._post(self.rng.choice(earlier), "status", self.rng.choice(FOLLOW_UPS))
        if earlier and roll < 0.35:
            return self._post(self.rng.choice(earlier), "repost", "triggered")
        return self.post_new()

    def post_new(self):
        """A new incident's message, in either of the PagerDuty app's layouts."""
        title, has_runbook = next(self.titles)
        number = next(self.numbers)
        new = PostedAlert("alert", number, f"QSOAK{number}", title, "triggered", "", has_runbook)
        return self._post(new, "alert", "triggered")

    def _post(self, incident, kind, status):
        layout = LAYOUTS[incident.number % len(LAYOUTS)]
        message = pagerduty_message(incident.title, incident.number, incident.incident_id, status, layout=layout)
        if kind == "status" and incident.number % 2:
            # The PagerDuty app updates its own message; older integrations post a new one.
            self.slack.edit(self.channel, incident.ts, message)
            posted = PostedAlert(kind, incident.number, incident.incident_id, incident.title, status, incident.ts,
                                 incident.has_runbook)
            self.posted.append(posted)
            return posted
        event = self.slack.post(self.channel, message)
        posted = PostedAlert(kind, incident.number, incident.incident_id, incident.title, status, event["ts"],
                             incident.has_runbook)
        self.posted.append(posted)
        return posted


def check_replies(posted, bot_posts, recorded):
    """Problems (sentences) with the bot's replies; empty when every alert is accounted for.

    posted: [PostedAlert]; bot_posts: the bot's messages ({"thread_ts", ...});
    recorded: {message ts: runbook_id or None} from alert_events.
    """
    problems = [f"#{alert.number} ({alert.status}, {alert.ts}) was never recorded in alert_events"
                for alert in posted if alert.ts not in recorded]
    by_incident = {}
    for alert in posted:
        by_incident.setdefault(alert.incident_id, []).append(alert)
    replies_by_thread = {}
    for post in bot_posts:
        replies_by_thread.setdefault(post.get("thread_ts"), []).append(post)
    for messages in by_incident.values():
        problems += _incident_problems(messages, replies_by_thread, recorded)
    threads = {alert.ts for alert in posted}
    problems += [f"a reply outside any alert's thread ({thread})" for thread in replies_by_thread
                 if thread not in threads]
    return problems


def _incident_problems(messages, replies_by_thread, recorded):
    first = messages[0]
    replies = sum(len(replies_by_thread.get(ts, [])) for ts in {message.ts for message in messages})
    # The app edited the alert to resolved: if the bot first saw it so (its socket was down), silence is right.
    resolved_in_place = any(m.kind == "status" and m.status == "resolved" and m.ts == first.ts for m in messages)
    if first.has_runbook:
        if replies == 1 or (replies == 0 and resolved_in_place):
            return []
        return [f"#{first.number} ({first.title}) got {replies} replies, not exactly one"]
    if replies:
        return [f"#{first.number} ({first.title}) has no runbook but got {replies} replies"]
    return [f"#{first.number} ({first.title}) was recorded with a runbook it does not have"
            for message in messages if message.status == "triggered" and recorded.get(message.ts) is not None]


def alert_counts(posted, bot_posts):
    """The figures the soak prints about alerts."""
    new = [alert for alert in posted if alert.kind == "alert"]
    return {
        "messages": len(posted),
        "incidents": len(new),
        "with_runbook": sum(alert.has_runbook for alert in new),
        "without_runbook": sum(not alert.has_runbook for alert in new),
        "status_updates": sum(alert.kind == "status" for alert in posted),
        "reposts": sum(alert.kind == "repost" for alert in posted),
        "replies": len(bot_posts),
    }
