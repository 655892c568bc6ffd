"""`make demo`'s alerts: PagerDuty incidents posted into the sandbox channel over time, and the
bot's thread replies printed as they appear."""
import itertools
import logging
import random

from sandbox.slack_workspace import pagerduty_message

log = logging.getLogger("sandbox.slack")

# Titles in the shapes real monitors produce; the last ones have no runbook on the sample site.
DEMO_INCIDENTS = [
    "[FIRING:2] KubePodCrashLooping (checkout-7f9c4 payments critical)",
    "[P2] etcd has no leader on prod-east",
    'ALARM: "prod-redis-memory-high" in EU (Ireland)',
    "[FIRING:1] KubeJobFailed (nightly-backup-28391 batch warning)",
    # A title rendered from a rule's description: found through the rule's template.
    "Deployment billing/billing-api has not matched the expected number of replicas for longer than 15 minutes.",
    "[Triggered on {host:web-01,env:prod}] certificate expiring soon",
    "[FIRING:1] ElasticsearchClusterRed (logging critical)",
]


def run_demo(sandbox, channel, stopping, interval=8, first_delay=5):
    """Post the demo incidents one by one (then a random one now and then) until `stopping` is set."""
    # PagerDuty numbers incidents once per account: a fresh range per run, since replies are claimed per incident.
    first = random.randrange(1000, 900_000)
    numbers = itertools.count(first)
    titles = itertools.chain(DEMO_INCIDENTS, (random.choice(DEMO_INCIDENTS) for _ in itertools.count()))
    if stopping.wait(first_delay):
        return
    waiting = []
    for title in titles:
        number = next(numbers)
        event = sandbox.post(channel, pagerduty_message(title, number, f"QDEMO{number}"))
        print(f"[pagerduty] #{number} posted in {channel}: {title}", flush=True)
        waiting.append((number, event["ts"]))
        for _ in range(interval * 2):
            waiting = [item for item in waiting if not _print_replies(sandbox, channel, *item)]
            if stopping.wait(0.5):
                return
        if number - first >= len(DEMO_INCIDENTS):
            interval = 60  # after the scripted ones, an alert a minute


def _print_replies(sandbox, channel, number, thread_ts):
    replies = sandbox.workspace.posts(channel, thread_ts)
    for reply in replies:
        context = next((b["elements"][0]["text"] for b in reply.get("blocks", []) if b["type"] == "context"), "")
        why = context.rpartition("matched:")[2].strip()
        print(f"[slack]     reply in the thread of #{number}: {reply.get('text')}"
              + (f"  (matched: {why})" if why else ""), flush=True)
    return bool(replies)
