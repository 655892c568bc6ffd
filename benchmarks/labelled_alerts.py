"""A labelled set of Slack messages for judging alert -> runbook matching (generated, seeded).

Built over the names in `../shared/corpus/manifest.tsv` (names only; no runbook prose is
used) in the shapes real monitors produce, delivered as PagerDuty's Slack app or a
monitor's bot would post them:

  alertmanager   "[FIRING:2] KubePodCrashLooping (api-7f9 default critical)"
  spelling       kube_pod_crash_looping, prod.KubePodCrashLooping, Kube Pod Crash Looping, …-staging
  datadog        "[P2] [Triggered on {host:web-01}] kube pod crash looping on prod-east"
  cloudwatch     ALARM: "prod-kube-pod-crash-looping" in US East (N. Virginia)
  grafana        "[Alerting] Kube pod crash looping alert", "Kube Pod Crash Looping - prod"
  summary        a description of what fired, not its name ("Pod default/api-7f9 is crash looping.")
  human          a hand-made monitor's title saying what it watches ("[P2] etcd cluster has no leader on prod-east")
  no_runbook     alerts nobody wrote a runbook for, many sharing words with ones that have one
  chatter        people in the channel, naming alerts in passing

Each item: {"kind", "event" (a Slack message event), "line" (the console form), "expected"
(set of acceptable alert names, empty when no runbook should be named), "is_alert", "shape",
"half"}.  `half` splits the set by alert name into 'tune' and 'held_out': no alert (so no
runbook) is in both, so figures on the held-out half are not flattered by tuning.  Two more
parts hold summaries other engineers wrote blind, for alerts the halves only name: 'fresh'
(benchmarks/alert_summaries_fresh.py) showed how differently people word them and was then used
to grow the on-call vocabulary, so it is a development set now; 'blind'
(benchmarks/alert_summaries_blind.py) was never looked at while tuning: it is the honest figure.
"""
import json
import random
import re
import zlib

from benchmarks.alert_summaries import SUMMARIES
from benchmarks.alert_summaries_blind import BLIND_NO_RUNBOOK_SUMMARIES, BLIND_SUMMARIES
from benchmarks.alert_summaries_fresh import FRESH_NO_RUNBOOK_SUMMARIES, FRESH_SUMMARIES
from benchmarks.no_runbook_alerts import CHATTER, NO_RUNBOOK_NAMES, NO_RUNBOOK_SUMMARIES, NO_RUNBOOK_TITLES
from matching.titles import name_key

PAGERDUTY_BOT_ID = "B0PAGERDUTY"

NAMESPACES = ["default", "payments", "monitoring", "kube-system", "openshift-etcd", "checkout"]
NODES = ["ip-10-0-3-17.ec2.internal", "node-4.prod.example.com", "worker-2", "10.2.3.4:9100"]


def name_words(name):
    return [w.lower() for w in re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", name)]


def pagerduty_event(title, number, status="Triggered", incident_id=None):
    incident_id = incident_id or f"Q{number:06X}"[:8]
    url = f"https://acme.pagerduty.com/incidents/{incident_id}"
    return {"type": "message", "subtype": "bot_message", "bot_id": PAGERDUTY_BOT_ID, "text": "",
            "attachments": [{"fallback": f"{status} #{number}: {title}", "title": f"#{number}: {title}",
                             "title_link": url, "fields": [{"title": "Service", "value": "Platform",
                                                            "short": True}]}]}


def alertmanager_title(name, rng):
    labels = " ".join(rng.sample([f"{rng.choice(['api', 'web', 'db'])}-{rng.randrange(16**4):04x}",
                                  rng.choice(NAMESPACES), rng.choice(["critical", "warning"]), "prometheus-k8s"], 3))
    return f"[FIRING:{rng.randint(1, 9)}] {name} ({labels})"


def spelling_title(name, rng):
    words = name_words(name)
    return rng.choice([
        "_".join(words), "-".join(words), f"prod.{name}", f"{name}-staging", f"{name}_prod",
        " ".join(w.capitalize() for w in words), f"{' '.join(words)} (production)", f"{name}-prod-eu",
        f"stg-{'-'.join(words)}", f"{name}.production", f"[prod] {name}", f"{name} [staging]",
        f"{'_'.join(words).upper()}_PROD", f"{name} - us-east-1",
    ])


def datadog_title(name, rng):
    spaced = " ".join(name_words(name))
    host = rng.choice(["web-01", "db-7", "k8s-node-12"])
    return rng.choice([f"[P{rng.randint(1, 4)}] {spaced} on prod-east",
                       f"[Triggered on {{host:{host},env:prod}}] {spaced}",
                       f"[P2] [Triggered on {{cluster:main}}] {spaced} on {host}"])


def cloudwatch_title(name, rng):
    region = rng.choice(["US East (N. Virginia)", "EU (Ireland)", "Asia Pacific (Tokyo)"])
    return f'ALARM: "prod-{"-".join(name_words(name))}" in {region}'


def grafana_title(name, rng):
    words = name_words(name)
    return rng.choice([f"[Alerting] {' '.join(words).capitalize()} alert", f"[FIRING:1] {name} (Kubernetes prod)",
                       f"[Alerting] {name} (prod-eu)", f"{' '.join(w.capitalize() for w in words)} - prod"])


def fill_labels(template, rng):
    return template.format(ns=rng.choice(NAMESPACES), pod=f"api-{rng.randrange(16**5):05x}",
                           container=rng.choice(["app", "sidecar"]), node=rng.choice(NODES))


def summary_title(name, rng):
    return fill_labels(rng.choice(SUMMARIES[name]), rng)


def human_title(summary, rng):
    """A hand-made monitor titled with what it watches: '[P2] Etcd cluster has no leader on prod-east'."""
    text = summary.rstrip(".")
    return rng.choice([f"[P{rng.randint(1, 4)}] {text} on prod-east", f"[Alerting] {text}",
                       f"[Triggered on {{env:prod}}] {text}", f"{text} (production)"])


def alert_names_by_spelling(rows):
    """{name or alias: the set of alert names a reader would accept for it}."""
    by_key, spelling = {}, {}
    for row in rows:
        names = {row["alert_name"]} | {a for a in row.get("aliases", "").split(";") if a}
        for name in names:
            # Names equal but for case (MDSCPUUsageHigh, MDSCpuUsageHigh) are one alert to anyone reading them.
            by_key.setdefault(name_key(name), set()).add(row["alert_name"])
            spelling.setdefault(name, name_key(name))
    return {name: by_key[key] for name, key in spelling.items()}


SHAPES = {"alertmanager": alertmanager_title, "spelling": spelling_title, "datadog": datadog_title,
          "cloudwatch": cloudwatch_title, "grafana": grafana_title}


def with_runbook_items(rows, rng):
    """Alerts whose runbook is in the corpus, in every shape: (shape, title, expected names, half name)."""
    expected = alert_names_by_spelling(rows)
    items = []
    for name in sorted(expected):
        shape = rng.choice(sorted(SHAPES))
        items.append((shape, SHAPES[shape](name, rng), expected[name], min(expected[name])))
    for name in sorted(set(SUMMARIES) & set(expected)):
        half = min(expected[name])
        items += [("summary", summary_title(name, rng), expected[name], half) for _ in range(2)]
        plain = [summary for summary in SUMMARIES[name] if "{" not in summary]
        if plain:
            items.append(("human", human_title(rng.choice(plain), rng), expected[name], half))
    return items


def no_runbook_items(rng):
    items = []
    for name in NO_RUNBOOK_NAMES:
        shape = rng.choice(sorted(SHAPES))
        items.append((shape, SHAPES[shape](name, rng), set(), name))
    items += [("human", title, set(), title) for title in NO_RUNBOOK_TITLES]
    items += [("summary", fill_labels(summary, rng), set(), summary) for summary in NO_RUNBOOK_SUMMARIES]
    return items


def chatter_items(rows, rng):
    names = [row["alert_name"] for row in rows]
    items = []
    for index in range(90):
        name, other = rng.choice(names), rng.choice(names)
        spelled = rng.choice([name, name, " ".join(name_words(name)), "_".join(name_words(name))])
        template = rng.choice(CHATTER)
        text = template.format(name=spelled, other=other)
        items.append(("chatter", text, set(), name if "{name}" in template else text, index % 2 == 0))
    return items


def written_items(rows, rng, summaries_by_name, no_runbook_summaries):
    """Summaries another engineer wrote: (shape, title, expected names), some wrapped as a hand-made
    monitor's title."""
    expected = alert_names_by_spelling(rows)
    items = []
    for name, summaries in sorted(summaries_by_name.items()):
        for summary in summaries:
            shape = "human" if "{" not in summary and rng.random() < 0.5 else "summary"
            title = human_title(summary, rng) if shape == "human" else fill_labels(summary, rng)
            items.append((shape, title, expected[name]))
    items += [("summary", fill_labels(summary, rng), set()) for summary in no_runbook_summaries]
    return items


def half_of(name):
    """'tune' or 'held_out', by alert name: every shape of one alert (and its runbook) falls in one half."""
    return "tune" if zlib.crc32(name_key(name).encode()) % 2 == 0 else "held_out"


def labelled_set(rows, seed=4821):
    """The labelled items, in a fixed order for a given seed."""
    rng = random.Random(seed)
    items, number = [], 1000
    for shape, title, expected, half_name in with_runbook_items(rows, rng) + no_runbook_items(rng):
        number += 1
        event = pagerduty_event(title, number)
        kind = shape if expected else "no_runbook"
        items.append({"kind": kind, "shape": shape, "event": event, "line": json.dumps(event), "title": title,
                      "expected": sorted(expected), "is_alert": True, "half": half_of(half_name)})
    written = [("fresh", FRESH_SUMMARIES, FRESH_NO_RUNBOOK_SUMMARIES),
               ("blind", BLIND_SUMMARIES, BLIND_NO_RUNBOOK_SUMMARIES)]
    for offset, (part, summaries, no_runbook) in enumerate(written, start=1):
        for shape, title, expected in written_items(rows, random.Random(seed + offset), summaries, no_runbook):
            number += 1
            event = pagerduty_event(title, number)
            items.append({"kind": shape if expected else "no_runbook", "shape": shape, "event": event,
                          "line": json.dumps(event), "title": title, "expected": sorted(expected),
                          "is_alert": True, "half": part})
    for kind, text, _expected, half_name, as_json in chatter_items(rows, rng):
        event = {"type": "message", "user": "U0PERSON", "text": text}
        items.append({"kind": kind, "shape": kind, "event": event, "line": json.dumps(event) if as_json else text,
                      "title": text, "expected": [], "is_alert": False, "half": half_of(half_name)})
    return items
