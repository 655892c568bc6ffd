"""The labelled alert messages the matcher is measured and calibrated on, in one shape.

Every item is a dict with `set`, `style`, `event` (the Slack message event the bot would see),
`title`, `expected` (accepted alert names; empty when no runbook exists) and `group` (the alert
it is about, so cross-validation never splits one alert's messages):

* ``dev``: `../shared/matching-dev/alerts.jsonl` (Alertmanager titles through PagerDuty, name
  spellings, summary annotations, alerts with no runbook), as `evaluate.py` feeds the console;
* ``handwritten-dev`` / ``handwritten-blind``: Datadog, CloudWatch, Grafana, Opsgenie and typed
  titles, written from the runbooks alone by an engineer who never saw the matcher
  (`benchmarks/sets/*.jsonl`); the blind half is never fitted or tuned on;
* ``names-blind``, ``names-blind-2``: 320 and 220 messages naming 300 and 200 runbooks' alerts, spelled every
  way monitors and people write them (PagerDuty, Alertmanager, Opsgenie, Grafana, Datadog, CloudWatch,
  e-mail and ticket subjects, typed sentences in several languages; in the second, names only in an
  attachment, in code blocks, plural or possessive), and ``no-runbook-blind``: 208 messages of alerts no
  runbook documents (other products, near misses of runbooks' names, their summaries, attachments under
  generic titles, chatter).  Written from the corpus manifest alone by someone who never saw the matcher
  and never fitted on, but not blind any more: their failures (4, 63 and 4) showed the kinds of message
  the changes of 2026-12-03 were built for;
* ``handwritten-blind-3`` (130 monitor titles and typed lines, 40 without a runbook) and ``summaries-blind-3``
  (152 annotation summaries and descriptions of alerts the development set has no summary of), written the
  same way from the runbooks alone; never fitted on, but not blind any more: the failures of the first showed
  the kinds of message the changes of 2026-12-04 were built for (a team's own alarm names, short forms,
  status conditions);
* ``handwritten-blind-4``: 110 monitor titles and typed lines (22 each of Datadog, CloudWatch, Grafana,
  Opsgenie and people) for alerts drawn at random, and 30 of products no runbook covers, written from the
  runbooks alone after those changes; never fitted or tuned on;
* ``handwritten-blind-5``: 110 monitor titles and typed lines (22 each of Datadog, CloudWatch, Grafana, Opsgenie
  and people) for alerts drawn at random with another seed, and 30 no runbook covers, written from the runbooks
  alone on 2026-12-04 by a helper who never saw the matcher; never fitted or tuned on;
* ``summaries-blind-5``: 120 summary and description annotations of alerts drawn at random, rendered with
  label values and wrapped as PagerDuty and Alertmanager route them, and 30 of other exporters' alerts no
  runbook covers, written the same way at the same time; never fitted or tuned on;
* ``handwritten-train-4a``, ``-4b``, ``-4c``: 115, 114 and 114 monitor titles and typed lines (Datadog,
  CloudWatch, Grafana, Opsgenie and other paging tools, people), one for every runbook of a third of the
  corpus each, and 40 alerts without a runbook each, written the same way from the runbooks alone; fitted
  on, so that the confidence model learns hand-written titles from more than one set of 147;
* ``ours-tune``, ``ours-held_out``, ``ours-fresh``, ``ours-blind``: `labelled_alerts.labelled_set`.
"""
import csv
import json
import re
from collections import defaultdict
from pathlib import Path

from benchmarks.labelled_alerts import labelled_set
from matching.titles import name_key
from tests.corpus_runbooks import CORPUS_DIR, corpus_rows

DEV_SET = CORPUS_DIR.parent / "matching-dev" / "alerts.jsonl"
SETS_DIR = Path(__file__).resolve().parent / "sets"
PAGERDUTY_BOT = "B0PAGERDTY"
# Never fitted on (see above for the ones whose failures shaped a change).
HELD_OUT_SETS = ("handwritten-blind", "handwritten-blind-3", "handwritten-blind-4", "handwritten-blind-5", "names-blind",
                 "names-blind-2", "no-runbook-blind", "ours-blind", "summaries-blind-3", "summaries-blind-5")


def accepted_names(corpus_dir=CORPUS_DIR):
    """{key: keys a reader accepts for that alert} from manifest.tsv (alert name, file name, aliases)."""
    names = defaultdict(set)
    with open(Path(corpus_dir) / "manifest.tsv", encoding="utf-8") as manifest:
        for row in csv.DictReader(manifest, delimiter="\t"):
            key = name_key(row["alert_name"])
            names[key] |= {key, name_key(Path(row["relative_path"]).stem)}
            names[key] |= {name_key(alias) for alias in row["aliases"].split(";") if alias}
    return names


def console_event(item, number):
    """The event the console makes of an item, as evaluate.py sends it (typed lines are bare text)."""
    if item.get("source_app") == "human":
        return {"type": "message", "text": item["channel_text"].replace("\n", " ")}
    attachment = {"fallback": item["channel_text"], "title": item["channel_text"], "color": "#D92D20"}
    if item.get("attachments_text"):
        attachment["text"] = item["attachments_text"]
    return {"type": "message", "subtype": "bot_message", "bot_id": PAGERDUTY_BOT, "text": "",
            "attachments": [attachment], "ts": f"{1764500000 + number}.000200"}


def jsonl_items(path, set_name):
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        item = json.loads(line)
        expected = [item["expected"], *(item.get("acceptable") or [])] if item["expected"] else []
        items.append({"set": set_name, "style": item["style"], "event": console_event(item, number),
                      "title": item["channel_text"], "expected": expected,
                      "group": name_key(item["expected"] or item["channel_text"])})
    return items


def labelled_items(rows):
    items = []
    for item in labelled_set(rows):
        style = "chatter" if not item["is_alert"] else ("no_runbook" if not item["expected"] else item["shape"])
        items.append({"set": f"ours-{item['half']}", "style": style, "event": item["event"], "title": item["title"],
                      "expected": item["expected"],
                      "group": name_key(item["expected"][0] if item["expected"] else item["title"])})
    return items


def all_items():
    """Every labelled item there is ([] of a part whose files are absent)."""
    items = jsonl_items(DEV_SET, "dev") if DEV_SET.exists() else []
    for path in sorted(SETS_DIR.glob("*.jsonl")):
        items += jsonl_items(path, path.stem.replace("_", "-"))
    rows = corpus_rows()
    return items + (labelled_items(rows) if rows else [])


def is_right(answer_name, answer_url, expected, names):
    """The evaluate.py rule: the matched name or the URL's last segment is an accepted name."""
    accepted = set()
    for name in expected:
        accepted |= names.get(name_key(name), set()) | {name_key(name)}
    tail = re.sub(r"(index)?\.html?$", "", (answer_url or "").rstrip("/").split("/")[-1].split("#")[0])
    return bool(answer_name) and (name_key(answer_name) in accepted or name_key(tail) in accepted)
