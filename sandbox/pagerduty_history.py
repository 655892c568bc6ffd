"""A seeded, realistic PagerDuty incident history for the sandbox stand-in.

Same seed, size and end time => the same history, so tests can compute expectations from
it.  What makes it look real: a handful of services; alert types whose frequency follows
a long tail; more incidents in working hours and on weekdays; log-normal acknowledge and
resolve times; flapping alerts that resolve themselves within minutes; low-urgency alerts
closed by the service's auto-resolve timeout; and a few incidents still open at the end.

Incidents and log entries are kept as compact tuples (a benchmark history has 100,000
incidents and several log entries each); the server renders them to API JSON on demand.
"""
import hashlib
import math
import random
from collections import namedtuple
from datetime import datetime, timezone

Service = namedtuple("Service", "id name team_id team_name")
# Times are POSIX seconds; acknowledged_at / resolved_at are None when it never happened.
# merged_into: the id of the incident a responder merged this one into (which resolved it), or None;
# raised: a low-urgency incident the responder raised to high when acknowledging it.
Incident = namedtuple(
    "Incident",
    "id number title urgency service created_at acknowledged_at acknowledger resolved_at resolved_by incident_key "
    "merged_into raised",
    defaults=(None, False),
)
# Every this-many-th incident a responder resolved was merged into the one before it instead.
MERGE_EVERY = 37
# Every this-many-th low-urgency incident is raised to high when a responder acknowledges it.
RAISE_EVERY = 7


def status_at(incident, now):
    """triggered, acknowledged or resolved: the incident as it stands at `now` (POSIX seconds)."""
    if incident.resolved_at is not None and incident.resolved_at <= now:
        return "resolved"
    if incident.acknowledged_at is not None and incident.acknowledged_at <= now:
        return "acknowledged"
    return "triggered"


def urgency_at(incident, status):
    """The incident's urgency as it stands with `status`: a raised one is high once acknowledged."""
    return "high" if incident.raised and status != "triggered" else incident.urgency
# kind: trigger / notify / acknowledge / annotate (a note) / resolve; agent: user name, "integration" or "timeout".
LogEntry = namedtuple("LogEntry", "id created_at kind incident_index agent note", defaults=(None,))
# Every NOTE_EVERY-th incident a person resolved gets a note from them just before the resolve.
NOTE_EVERY = 3
NOTES = ("Restarted the pod; the new image had a bad config map.", "Cleared old snapshots, back under 70 %.",
         "Rolled back the last deploy, error rate back to normal.", "Upstream provider incident; waited it out.",
         "Scaled the node pool by two nodes.")

TEAMS = (("PTEAM01", "Platform"), ("PTEAM02", "Payments"), ("PTEAM03", "Search"))
SERVICES = (
    Service("PSVCK8S", "kubernetes-platform", *TEAMS[0]),
    Service("PSVCOBS", "observability", *TEAMS[0]),
    Service("PSVCAPI", "public-api", *TEAMS[1]),
    Service("PSVCPAY", "payments", *TEAMS[1]),
    Service("PSVCSRC", "search", *TEAMS[2]),
    Service("PSVCDAT", "data-pipeline", *TEAMS[2]),
)
RESPONDERS = ("Ana Lima", "Ben Okafor", "Chen Wei", "Dana Cohen", "Erik Sand", "Fatima Noor")

NAMESPACES = ("default", "payments", "search", "checkout", "monitoring", "kube-system")
HOSTS = ("ip-10-0-3-17", "ip-10-0-7-201", "node-a1b2", "node-c3d4", "db-prod-2")
REGIONS = ('US East (N. Virginia)', 'EU (Ireland)', 'US West (Oregon)')


def _pod(rng):
    return f"{rng.choice(('api', 'worker', 'checkout', 'indexer'))}-{rng.randrange(16**3):03x}{rng.randrange(16**5):05x}"


# (service index, urgency, flapping share, timeout share, title maker), most frequent first.
# Titles follow what the real sources send: Alertmanager's default and custom templates,
# Datadog's [P1..P4] monitors, CloudWatch alarms, Grafana and hand-made monitors.
ALERT_TYPES = (
    (0, "high", 0.55, 0.0, lambda r: f"[FIRING:{r.randint(1, 4)}] KubePodCrashLooping ({_pod(r)} {r.choice(NAMESPACES)} critical)"),
    (1, "low", 0.0, 0.6, lambda r: f"[FIRING:{r.randint(1, 3)}] NodeFilesystemSpaceFillingUp ({r.choice(HOSTS)} /dev/nvme{r.randint(0, 2)}n1 warning)"),
    (2, "high", 0.7, 0.0, lambda r: f'ALARM: "prod-api-5xx" in {r.choice(REGIONS)}'),
    (3, "high", 0.1, 0.0, lambda r: f"[P2] Payment authorisation latency above {r.choice((800, 900, 1200))}ms on prod-{r.choice(('east', 'west'))}"),
    (0, "low", 0.3, 0.3, lambda r: f"[FIRING:1] KubeDeploymentReplicasMismatch ({r.choice(NAMESPACES)} {_pod(r)[:-6]} warning)"),
    (4, "high", 0.2, 0.0, lambda r: f"[P1] Search error rate high on search-{r.randint(1, 9)}.prod"),
    (5, "low", 0.0, 0.5, lambda r: f"[FIRING:1] KubeJobFailed (etl-{r.randint(20000, 29999)} data warning)"),
    (0, "high", 0.0, 0.0, lambda r: f"Pod {r.choice(NAMESPACES)}/{_pod(r)} is crash looping."),
    (1, "high", 0.4, 0.0, lambda r: f"[FIRING:{r.randint(1, 2)}] TargetDown (node-exporter monitoring warning)"),
    (0, "high", 0.0, 0.0, lambda r: f"[P2] etcd has no leader on prod-{r.choice(('east', 'west'))}"),
    (3, "high", 0.0, 0.0, lambda r: f'ALARM: "payments-db-cpu-high" in {r.choice(REGIONS)}'),
    (5, "low", 0.0, 0.4, lambda r: "Nightly billing export missing"),
    (4, "low", 0.5, 0.0, lambda r: f"[Grafana] Indexer queue depth high for indexer-{r.randint(1, 12)}"),
    (2, "high", 0.0, 0.0, lambda r: f"[FIRING:1] SSLCertExpiringSoon (api.example.com {r.randint(3, 13)}d warning)"),
    (0, "high", 0.0, 0.0, lambda r: f"[FIRING:1] etcdNoLeader (etcd-{r.randint(0, 2)} kube-system critical)"),
    (1, "low", 0.6, 0.0, lambda r: "[FIRING:1] PrometheusRuleFailures (prometheus-k8s-0 monitoring critical)"),
)

HOUR = 3600.0
DAY = 24 * HOUR


def _hour_weight(moment):
    """Relative incident rate: busier in working hours (deploys, traffic), quieter at weekends."""
    hour, weekday = moment.hour, moment.weekday()
    daily = 1.0 if 9 <= hour < 18 else (0.6 if 7 <= hour < 22 else 0.3)
    return daily * (0.5 if weekday >= 5 else 1.0)


def _incident_times(rng, count, start, end):
    """`count` creation times in [start, end), thinned by the daily and weekly rhythm."""
    times = []
    while len(times) < count:
        moment = rng.uniform(start, end)
        if rng.random() < _hour_weight(datetime.fromtimestamp(moment, timezone.utc)):
            times.append(float(int(moment)))
    return sorted(times)


def _short_id(prefix, *parts):
    digest = hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest().upper()
    return prefix + "".join(ch for ch in digest if ch.isalnum())[:13]


def _alert_weights():
    """A long tail: the n-th alert type is about 1/n^1.1 as frequent as the first."""
    return [1 / (rank ** 1.1) for rank in range(1, len(ALERT_TYPES) + 1)]


def _response(rng, alert_type, created, end):
    """(acknowledged_at, acknowledger, resolved_at, resolved_by) for one incident."""
    _, urgency, flapping, timeout_share, _ = alert_type
    if rng.random() < flapping:  # resolves itself before anyone looks
        return None, None, created + rng.lognormvariate(math.log(150), 0.6), "integration"
    if rng.random() < timeout_share:  # nobody acts; the service's auto-resolve timeout closes it
        return None, None, created + 4 * HOUR, "timeout"
    median_ack = 240 if urgency == "high" else 1800
    acknowledged = created + rng.lognormvariate(math.log(median_ack), 0.9)
    resolved = acknowledged + rng.lognormvariate(math.log(2400), 1.0)
    responder = rng.choice(RESPONDERS)
    resolved_by = responder if rng.random() < 0.8 else "integration"
    return acknowledged, responder, resolved, resolved_by


def _make_incident(rng, number, created, end):
    alert_type = rng.choices(ALERT_TYPES, weights=_alert_weights())[0]
    service = SERVICES[alert_type[0]]
    title = alert_type[4](rng)
    acknowledged, responder, resolved, resolved_by = _response(rng, alert_type, created, end)
    # The API shows whole seconds.
    acknowledged, resolved = (None if t is None else float(int(t)) for t in (acknowledged, resolved))
    if number % 997 == 0 and created > end - 3 * DAY:  # a few stuck open: nobody resolved them yet
        resolved, resolved_by = None, None
    merged = resolved is not None and resolved_by in RESPONDERS and number > 1 and number % MERGE_EVERY == 0
    return Incident(
        _short_id("Q", number), number, title, alert_type[1], service, created,
        acknowledged, responder, resolved, resolved_by, _short_id("K", title),
        _short_id("Q", number - 1) if merged else None,
        alert_type[1] == "low" and acknowledged is not None and number % RAISE_EVERY == 0,
    )


def _log_entries(index, incident):
    """The incident's log entries; trigger, acknowledge and resolve are the overview ones."""
    entries = [LogEntry(_short_id("R", incident.number, "t"), incident.created_at, "trigger", index, "integration")]
    entries.append(LogEntry(_short_id("R", incident.number, "n"), incident.created_at + 5, "notify", index, "system"))
    if incident.acknowledged_at is not None:
        entries.append(LogEntry(_short_id("R", incident.number, "a"), incident.acknowledged_at, "acknowledge", index, incident.acknowledger))
    if incident.resolved_at is not None:
        if incident.resolved_by in RESPONDERS and incident.number % NOTE_EVERY == 0:
            entries.append(LogEntry(_short_id("R", incident.number, "m"), incident.resolved_at - 60, "annotate", index,
                                    incident.resolved_by, NOTES[incident.number % len(NOTES)]))
        entries.append(LogEntry(_short_id("R", incident.number, "r"), incident.resolved_at, "resolve", index, incident.resolved_by))
    return entries


class History:
    """Services, incidents (by creation time) and log entries (by time) of one generated account."""

    def __init__(self, incidents):
        self.services = SERVICES
        self.incidents = incidents
        self.log_entries = sorted(
            (entry for index, incident in enumerate(incidents) for entry in _log_entries(index, incident)),
            key=lambda entry: (entry.created_at, entry.id),
        )
        self.created_times = [incident.created_at for incident in incidents]
        self.log_times = [entry.created_at for entry in self.log_entries]
        self.by_id = {incident.id: incident for incident in incidents}

    def add(self, title, created_at, urgency="high", service=SERVICES[0]):
        """Append a triggered incident (tests use this for titles they choose)."""
        incident = self.new_incident(title, created_at, urgency, service)
        self.__init__(self._with(incident).incidents)
        return incident

    def new_incident(self, title, created_at, urgency="high", service=SERVICES[0], acknowledged_at=None,
                     resolved_at=None, responder=None, raised=False):
        """An incident of this account's numbering, not yet part of it (see with_incident)."""
        number = len(self.incidents) + 1_000_000
        return Incident(_short_id("Q", number, title), number, title, urgency, service, created_at,
                        acknowledged_at, responder, resolved_at, responder if resolved_at else None,
                        _short_id("K", title), None, raised)

    def with_incident(self, incident):
        """A new History with `incident` too; a server swaps it in whole, so no reader sees half of it."""
        return self._with(incident)

    def _with(self, incident):
        return History(sorted([*self.incidents, incident], key=lambda item: (item.created_at, item.number)))


def generate_history(seed=7, days=90, count=3000, end=None):
    """A History of `count` incidents created over the `days` before `end` (default: now)."""
    end = (end or datetime.now(timezone.utc)).timestamp()
    start = end - days * DAY
    rng = random.Random(seed)
    times = _incident_times(rng, count, start, end)
    incidents = [_make_incident(rng, number, created, end) for number, created in enumerate(times, start=1)]
    return History(incidents)
