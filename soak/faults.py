"""The soak's fault schedule (pure) and how each fault is injected into the running suite.

A schedule is a list of Fault(at, kind, seconds, target): `at` seconds into the fault
phase, lasting `seconds` where that means something (an outage, a run of 500s).  Rounds
of every kind repeat through the phase; the SMTP outage straddles the moment the handoff
comes due, and a PostgreSQL restart follows it, so the mailer meets both at its worst time.
"""
import os
from dataclasses import dataclass
from pathlib import Path

from sandbox.docs_server import Fault as DocsFault
from sandbox.pagerduty_history import RESPONDERS
from sandbox.slack_workspace import pagerduty_message
from soak.suite import ARCHIVED_CHANNEL, LEAVING_CHANNEL

ROUND_SECONDS = 90
PG_RESTART_EVERY = 180
# Pages no soak alert depends on: these come and go.
REMOVABLE_PAGES = (
    "node/NodeHighMemoryUsage.html", "node/NodeClockNotSynchronising.html", "kubernetes/KubePodNotReady.html",
    "kubernetes/cpu-throttling.html", "app/DatabaseConnectionsExhausted.html", "etcd/etcdHighFsyncDurations.html",
    "kubernetes/KubePersistentVolumeFillingUp.html", "kubernetes/KubeDeploymentReplicasMismatch.html",
)
# Pages edited in place (a paragraph after the heading), among them pages alerts are answered from.
EDITABLE_PAGES = (
    "kubernetes/kubepodcrashlooping/index.html", "etcd/etcdNoLeader.html", "app/RedisMemoryHigh.html",
    "kubernetes/KubeJobFailed.html", "app/CertificateExpiringSoon.html", "kubernetes/KubeNodeNotReady.html",
    "etcd/etcdMembersDown.html", "app/KafkaConsumerLagHigh.html", "kubernetes/KubeHpaMaxedOut.html",
    "node/disk-full.html", "platform/control-plane.html",
)


def served_path(page):
    """The path the crawler asks for: a folder's index.html is fetched as the folder."""
    return "/" + page.removesuffix("index.html")


# Paths answered with 500 for a while (never removed ones, so their recovery is a 200 or a 304).
FAILING_PATHS = ("/", "/legacy/alerts.html", *(served_path(page) for page in EDITABLE_PAGES))
ROUND_KINDS = ("slack_drop", "slack_refresh", "slack_warning", "slack_429", "slack_redeliver", "slack_remove_bot",
               "slack_archive", "pagerduty_429",
               "pagerduty_429_bare", "pagerduty_500", "pagerduty_late_resolve", "docs_500", "docs_edit", "docs_remove",
               "docs_restore")
ALL_KINDS = (*ROUND_KINDS, "smtp_outage", "pg_restart", "alert_storm")
# The storm: this many alerts at once, more than a page of history and two minutes of paced replies.
STORM_ALERTS = 120


@dataclass(frozen=True)
class Fault:
    at: float
    kind: str
    seconds: float = 0.0
    target: str = ""


def fault_schedule(phase_seconds, handoff_due_at, rng):
    """Every fault of the run, in time order; the last ones end well before the phase does."""
    usable = max(10.0, phase_seconds - 12)
    rounds = max(1, round(usable / ROUND_SECONDS))
    length = usable / rounds
    faults = []
    for number in range(rounds):
        faults += _round(number * length, length, rng, last=number == rounds - 1)
    faults.append(Fault(max(0.0, handoff_due_at - 3), "smtp_outage", 5.0 if phase_seconds < 200 else 25.0))
    faults += _pg_restarts(phase_seconds, usable, handoff_due_at, rng)
    if phase_seconds >= 400:  # a short soak has no room for two minutes of paced replies
        # Paced at Slack's one reply a second, the storm needs its own length before it can be over.
        faults.append(Fault(usable * 0.3, "alert_storm", float(STORM_ALERTS), target=str(STORM_ALERTS)))
    return sorted(faults, key=lambda fault: fault.at)


def _round(start, length, rng, last):
    faults = []
    removed = rng.choice(REMOVABLE_PAGES)
    for kind in ROUND_KINDS:
        at = start + rng.uniform(0.05, 0.85) * length
        faults.append(_fault(kind, at, rng, removed))
    if last:
        # The site's final state keeps a removed page gone: restore before removing.
        remove = next(f for f in faults if f.kind == "docs_remove")
        restore = next(f for f in faults if f.kind == "docs_restore")
        if restore.at > remove.at:
            faults.remove(restore)
            faults.append(Fault(min(remove.at, restore.at) - 1, "docs_restore"))
    return faults


def _fault(kind, at, rng, removed):
    if kind == "slack_429":
        return Fault(at, kind, target=str(rng.randint(1, 4)))
    if kind == "slack_remove_bot":
        return Fault(at, kind, rng.uniform(4, 12))
    if kind == "pagerduty_late_resolve":
        # Its incidents resolve within 30 s of the fault: their recovery is watched from then on.
        return Fault(at, kind, 30.0, target=str(rng.randint(2, 4)))
    if kind.startswith("pagerduty_"):
        return Fault(at, kind, target=str(rng.randint(1, 3)))
    if kind == "docs_500":
        return Fault(at, kind, rng.uniform(4, 12), rng.choice(FAILING_PATHS))
    if kind == "docs_edit":
        return Fault(at, kind, target=rng.choice(EDITABLE_PAGES))
    if kind == "docs_remove":
        return Fault(at, kind, target=removed)
    return Fault(at, kind)


def _pg_restarts(phase_seconds, usable, handoff_due_at, rng):
    """One restart while the handoff is being sent, more every few minutes in a long soak."""
    during_handoff = handoff_due_at + 4
    times = [during_handoff] if during_handoff < usable - 5 else [usable * 0.4]
    times += [at for at in range(60, int(usable) - 20, PG_RESTART_EVERY) if abs(at - times[0]) > 40]
    return [Fault(at, "pg_restart", rng.uniform(3, 12), rng.choice(("fast", "immediate"))) for at in sorted(times)]


# --- injecting ---------------------------------------------------------------------------------

def edited_page(page_html, marker):
    """The page with a paragraph added under its first section heading (what an author's edit looks like).

    Under an h2, since a page's introduction above its first runbook belongs to no runbook.
    """
    heading = "</h2>" if "</h2>" in page_html else "</h1>"
    cut = page_html.index(heading) + len(heading)
    return f"{page_html[:cut]}\n<p>{marker}</p>{page_html[cut:]}"


def write_atomically(path, text):
    """The docs server must never serve half a file (that would be a fault of its own)."""
    partial = path.with_name(path.name + ".soak-partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


class Injector:
    """Applies and clears faults on the suite's stand-ins and database."""

    def __init__(self, suite, poster=None):
        self.suite, self.poster = suite, poster
        self.removed = {}  # page -> its HTML, to restore later
        self.edits = 0

    def apply(self, fault):
        """Inject `fault`; (description, target), the description None when there was nothing to do."""
        applied = getattr(self, f"_{fault.kind}")(fault)
        return applied if isinstance(applied, tuple) else (applied, fault.target)

    def clear(self, fault):
        if fault.kind == "slack_remove_bot":
            self.suite.slack.apply_faults({"invite_bot": LEAVING_CHANNEL})
        elif fault.kind == "docs_500":
            self.suite.docs.faults.pop(fault.target, None)
        elif fault.kind == "smtp_outage":
            self.suite.smtp.start()
        elif fault.kind == "pg_restart":
            self.suite.start_database_again()

    def _slack_drop(self, fault):
        self.suite.slack.apply_faults({"drop_sockets": True})
        return "Slack sockets cut"

    def _slack_refresh(self, fault):
        self.suite.slack.apply_faults({"refresh": True})
        return "Slack asked for a reconnect (disconnect / refresh_requested)"

    def _slack_warning(self, fault):
        self.suite.slack.apply_faults({"refresh": "warning"})
        return "Slack warned of a refresh (disconnect / warning), then closed the socket"

    def _slack_remove_bot(self, fault):
        """The bot is removed from a channel and an alert comes in there; it is invited back later."""
        self.suite.slack.apply_faults({"remove_bot": LEAVING_CHANNEL})
        alert = self._side_alert(LEAVING_CHANNEL)
        return f"bot removed from {LEAVING_CHANNEL} for {fault.seconds:.0f} s, alert {alert['ts']} posted there", \
            alert["ts"]

    def _slack_archive(self, fault):
        """An alert arrives and its channel is archived before the reply: Slack refuses it for good."""
        slack = self.suite.slack
        slack.apply_faults({"archive": ARCHIVED_CHANNEL})
        alert = self._side_alert(ARCHIVED_CHANNEL)
        return f"{ARCHIVED_CHANNEL} archived with alert {alert['ts']} waiting for its reply", alert["ts"]

    def _side_alert(self, channel):
        number = next(self.poster.numbers)
        message = pagerduty_message("[FIRING:1] KubePodCrashLooping (api-side default critical)", number,
                                    f"QSIDE{number}")
        return self.suite.slack.post(channel, message) if channel != ARCHIVED_CHANNEL else \
            self._delivered_anyway(channel, message)

    def _delivered_anyway(self, channel, message):
        # Posted a moment before the archive: the event reaches the bot, the reply cannot.
        event = self.suite.slack.workspace.add_message(channel, message)
        self.suite.slack.hub.deliver(event)
        return event

    def _slack_429(self, fault):
        self.suite.slack.apply_faults({"rate_limit": int(fault.target), "retry_after": 1})
        return f"next {fault.target} chat.postMessage calls answered 429"

    def _slack_redeliver(self, fault):
        self.suite.slack.apply_faults({"redeliver": True})
        return "last envelope redelivered (retry_attempt + 1)"

    def _pagerduty_429(self, fault):
        return self._pagerduty(429, int(fault.target), retry_after=1)

    def _pagerduty_429_bare(self, fault):
        return self._pagerduty(429, int(fault.target), headers="none")

    def _pagerduty_late_resolve(self, fault):
        """Incidents that trigger now and resolve in a few seconds, their resolves lost by the log
        stream (its cap, lag): only reading the incidents again finds them resolved."""
        account = self.suite.pagerduty.account
        with account.lock:
            now, history, ids = float(int(account.now())), account.history, []  # the API shows whole seconds
            for number in range(int(fault.target)):
                incident = history.new_incident(f"Soak late resolve {number}: KubeJobFailed", now - 30,
                                                acknowledged_at=now - 20, resolved_at=now + 10 + 5 * number,
                                                responder=RESPONDERS[0])
                history = history.with_incident(incident)
                ids.append(incident.id)
            account.history = history
            account.dropped_resolves = set(account.dropped_resolves) | set(ids)
        return f"{', '.join(ids)} resolve without a log entry", ",".join(ids)

    def _alert_storm(self, fault):
        storm = [self.poster.post_new() for _ in range(int(fault.target))]
        return f"{len(storm)} alerts posted at once", ",".join(alert.ts for alert in storm)

    def _pagerduty_500(self, fault):
        return self._pagerduty(500, int(fault.target))

    def _pagerduty(self, status, count, retry_after=None, headers="ratelimit"):
        account = self.suite.pagerduty.account
        with account.lock:
            account.faults.append({"status": status, "count": count, "retry_after": retry_after, "after_requests": 0,
                                   "headers": headers})
        return f"next {count} PagerDuty requests answered {status}" + (" without headers" if headers == "none" else "")

    def _docs_500(self, fault):
        self.suite.docs.faults[fault.target] = DocsFault("status", 500)
        return f"{fault.target} answers 500 for {fault.seconds:.0f} s"

    def _docs_edit(self, fault):
        self.edits += 1
        path = self.suite.site_dir / fault.target
        marker = f"Soak revision {self.edits}."
        write_atomically(path, edited_page(path.read_text(encoding="utf-8"), marker))
        return f"edited {fault.target} ({marker})"

    def _docs_remove(self, fault):
        path = self.suite.site_dir / fault.target
        if fault.target in self.removed or not path.exists():
            return None
        self.removed[fault.target] = path.read_text(encoding="utf-8")
        path.unlink()
        return f"removed {fault.target}"

    def _docs_restore(self, fault):
        if not self.removed:
            return None
        page, html = self.removed.popitem()
        write_atomically(self.suite.site_dir / page, html)
        return f"restored {page}", page

    def _smtp_outage(self, fault):
        self.suite.smtp.stop()
        return f"SMTP server down for {fault.seconds:.0f} s"

    def _pg_restart(self, fault):
        self.suite.stop_database(fault.target)
        return f"PostgreSQL stopped (-m {fault.target}) for {fault.seconds:.0f} s"


def page_url(suite, page):
    """The URL the docs monitor stores for a site file (a directory's index.html is its folder)."""
    path = Path(page)
    if path.name == "index.html":
        return suite.docs.url + (str(path.parent) + "/" if str(path.parent) != "." else "")
    return suite.docs.url + page
