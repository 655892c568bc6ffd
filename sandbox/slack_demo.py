"""`make demo`'s alerts: PagerDuty incidents posted into the sandbox channel over time, and the
bot's thread replies printed as they appear; then a person correcting a reply, the next firing
answered as taught, and a `/runbook` question."""
import itertools
import logging
import random

from sandbox import slack_people
from sandbox.loopback import wait_for
from sandbox.slack_workspace import pagerduty_message, user_for

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
# The reply a person corrects in the demo, what they choose instead, and the question asked.
CORRECTED_TITLE = "[FIRING:1] KubeJobFailed (nightly-backup-{} batch warning)"
CORRECTED_TO = "BackupJobMissed"
QUESTION = "redis memory is almost full"


def run_demo(sandbox, channel, stopping, interval=8, first_delay=5):
    """Post the demo incidents one by one (then a random one now and then) until `stopping` is set."""
    # PagerDuty numbers incidents once per account: a fresh range per run, since replies are claimed per incident.
    first = random.randrange(1000, 900_000)
    numbers = itertools.count(first)
    titles = itertools.chain(DEMO_INCIDENTS, (random.choice(DEMO_INCIDENTS) for _ in itertools.count()))
    if stopping.wait(first_delay):
        return
    waiting = []
    for count, title in enumerate(titles):
        if count == len(DEMO_INCIDENTS):
            _teach_and_ask(sandbox, channel, numbers, stopping)
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


def _teach_and_ask(sandbox, channel, numbers, stopping):
    """Ana corrects the bot's reply to a failed backup job; the next firing is answered as she taught;
    Bo asks /runbook a question.  Logged and skipped if anything does not turn up in time."""
    try:
        number = next(numbers)
        alert = sandbox.post(channel, pagerduty_message(CORRECTED_TITLE.format(28390), number, f"QDEMO{number}"))
        print(f"[pagerduty] #{number} posted in {channel}: {CORRECTED_TITLE.format(28390)}", flush=True)
        replies = wait_for(lambda: sandbox.workspace.posts(channel, alert["ts"]), 20)
        if not replies or stopping.is_set():
            return
        _print_replies(sandbox, channel, number, alert["ts"])
        views = len(sandbox.workspace.views)
        slack_people.press(sandbox, {"user": "ana", "channel": channel, "ts": replies[0]["ts"],
                                     "action_id": "feedback_wrong"})
        if not wait_for(lambda: len(sandbox.workspace.views) > views, 10):
            return
        view_id = list(sandbox.workspace.views)[-1]
        slack_people.submit(sandbox, {"user": "ana", "view_id": view_id, "selected": {"search": CORRECTED_TO}})
        print(f"[slack]     @ana pressed Wrong runbook on the reply to #{number} and chose {CORRECTED_TO}", flush=True)
        if stopping.wait(2):
            return
        number = next(numbers)
        again = sandbox.post(channel, pagerduty_message(CORRECTED_TITLE.format(28391), number, f"QDEMO{number}"))
        print(f"[pagerduty] #{number} posted in {channel}: the same alert fires again", flush=True)
        if wait_for(lambda: sandbox.workspace.posts(channel, again["ts"]), 20):
            _print_replies(sandbox, channel, number, again["ts"])
        slack_people.command(sandbox, {"user": "bo", "channel": channel, "command": "/runbook", "text": QUESTION})
        answer = wait_for(lambda: [shown for shown in sandbox.workspace.ephemeral
                                   if shown.get("user") == user_for("bo")["id"]], 10)
        if answer:
            text = (answer[0].get("blocks") or [{}])[0].get("text", {}).get("text") or answer[0].get("text", "")
            print(f"[slack]     @bo asked /runbook {QUESTION}; only bo sees: {text.splitlines()[0]}", flush=True)
    except Exception:  # the demo goes on posting alerts whatever happens here
        log.exception("The demo's feedback scene failed.")


def _print_replies(sandbox, channel, number, thread_ts):
    replies = sandbox.workspace.posts(channel, thread_ts)
    for reply in replies:
        context = next((b["elements"][0]["text"] for b in reply.get("blocks", []) if b["type"] == "context"), "")
        why = context.rpartition("matched:")[2].strip()
        print(f"[slack]     reply in the thread of #{number}: {reply.get('text')}"
              + (f"  (matched: {why})" if why else ""), flush=True)
    return bool(replies)
