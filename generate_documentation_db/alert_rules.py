"""The team's alerting rules, read from Prometheus rule files or a rules API response (pure functions).

Every rule says which alert it raises, and most say what its runbook is (`runbook_url`) and how
the page will read (`summary`, `description`: the templates Alertmanager fills in).  Two shapes
hold them: rule YAML (`groups:` files as Prometheus loads them, and Kubernetes `PrometheusRule`
objects with the same groups under `spec`, several documents per file), and the JSON of
`GET /api/v1/rules` (Prometheus, Thanos Ruler, the Mimir and Cortex rulers, vmalert).
Recording rules are skipped: they raise nothing.
"""
import hashlib
import json
import math
from dataclasses import asdict, dataclass, field

import yaml

# libyaml's parser when PyYAML was built with it: a rules repository of thousands of rules parses ten times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RuleSourceError(ValueError):
    """A rule source that cannot be read: the message is one sentence naming what is wrong."""


@dataclass(frozen=True)
class AlertRule:
    """One alerting rule as the knowledge base keeps it."""

    alert_name: str
    group: str = ""
    severity: str = ""
    labels: dict = field(default_factory=dict)
    summary: str = ""
    description: str = ""
    runbook_url: str = ""
    expr: str = ""
    for_duration: str = ""


def rules_from_yaml(text: str, where: str = "the rule file") -> list[AlertRule]:
    """The alerting rules of a rule file: `groups:` documents and PrometheusRule objects."""
    try:
        documents = [document for document in yaml.load_all(text, Loader=_LOADER) if document is not None]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise RuleSourceError(f"{where} is not valid YAML{at}.") from None
    rules = []
    for document in documents:
        # A PrometheusRule object keeps its groups under spec; a Prometheus rule file at the top.  Anything
        # else (another Kubernetes object, a playbook beside the rules) holds no rules.
        holder = document.get("spec") if isinstance(document, dict) and "spec" in document else document
        groups = holder.get("groups") if isinstance(holder, dict) else None
        if groups is None:
            continue
        if not isinstance(groups, list):
            raise RuleSourceError(f"{where} has a 'groups' that is not a list.")
        for group in groups:
            rules.extend(_group_rules(group, where))
    return rules


def _group_rules(group, where):
    if not isinstance(group, dict) or not isinstance(group.get("rules") or [], list):
        raise RuleSourceError(f"{where} has a rule group that is not a mapping with a list of rules.")
    name = str(group.get("name") or "")
    rules = []
    for rule in group.get("rules") or []:
        if not isinstance(rule, dict) or not rule.get("alert"):
            continue  # a recording rule
        rules.append(_rule(str(rule["alert"]), name, rule.get("labels"), rule.get("annotations"),
                           rule.get("expr"), rule.get("for")))
    return rules


def rules_from_api(payload: object, where: str = "the rules API") -> list[AlertRule]:
    """The alerting rules of a `GET /api/v1/rules` response body (already decoded from JSON)."""
    if not isinstance(payload, dict) or payload.get("status") != "success":
        error = payload.get("error") if isinstance(payload, dict) else None
        raise RuleSourceError(f"{where} did not answer with rules" + (f" ({str(error)[:200]})." if error else "."))
    data = payload.get("data")
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, list):
        raise RuleSourceError(f"{where} answered without a list of rule groups.")
    rules = []
    for group in groups:
        if not isinstance(group, dict):
            raise RuleSourceError(f"{where} answered with a rule group that is not an object.")
        group_rules = group.get("rules") or []
        if not isinstance(group_rules, list):
            raise RuleSourceError(f"{where} answered with a rule group whose rules are not a list.")
        for rule in group_rules:
            if not isinstance(rule, dict) or rule.get("type") not in ("alerting", None) or not rule.get("name"):
                continue
            if rule.get("type") is None and "query" in rule and "annotations" not in rule and "alerts" not in rule:
                continue  # a recording rule from a ruler that leaves out the type
            duration = rule.get("duration")
            rules.append(_rule(str(rule["name"]), str(group.get("name") or ""), rule.get("labels"),
                               rule.get("annotations"), rule.get("query"),
                               _seconds(duration)))
    return rules


def _seconds(duration):
    """The API's `duration` (seconds, a number) as a rule file's `for`: "900s"; "" when none or not a number."""
    if isinstance(duration, bool) or not isinstance(duration, int | float) or not math.isfinite(duration):
        return ""
    return f"{int(duration)}s" if duration else ""


def _text(value) -> str:
    # PostgreSQL text cannot hold NUL; a rule is not refused for one stray byte.
    return str(value if value is not None else "").replace("\0", "").strip()


def _rule(alert_name, group, labels, annotations, expr, for_duration):
    labels = {_text(key): _text(value) for key, value in labels.items()} if isinstance(labels, dict) else {}
    annotations = annotations if isinstance(annotations, dict) else {}
    # Rules spell the annotations several ways: runbook_url, runbook, runbookURL; message is the old summary.
    runbook = annotations.get("runbook_url") or annotations.get("runbook") or annotations.get("runbookURL") or ""
    return AlertRule(
        alert_name=_text(alert_name), group=_text(group), severity=labels.get("severity", ""), labels=labels,
        summary=_text(annotations.get("summary") or annotations.get("message")),
        description=_text(annotations.get("description")),
        runbook_url=_text(runbook), expr=_text(expr), for_duration=_text(for_duration),
    )


def fingerprint(rules: list[AlertRule]) -> str:
    """A digest of a source's rules: an unchanged source is recognised without writing anything."""
    canonical = json.dumps([asdict(rule) for rule in rules], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
