"""Which alert rules have a runbook, before any of them fires (pure functions over the stored rules
and the matcher's index of the runbooks).

A rule's runbook is *on the docs site* when a stored runbook carries its alert name, or its
`runbook_url` points at a stored page (`matching.matcher.rule_runbooks`); its link is *not on the docs site* when it points anywhere else
(a page that may be gone: `--check-links` asks); and it has *no runbook* when neither holds.
"""
from collections import Counter
from dataclasses import dataclass

from generate_documentation_db import rule_store
from generate_documentation_db.rule_store import StoredRule
from matching.index import RunbookIndex
from matching.matcher import rule_runbooks

ON_SITE = "runbook on the docs site"
OFF_SITE = "runbook_url not on the docs site"
BROKEN = "runbook_url broken"
NONE = "no runbook"
STATUS_ORDER = (NONE, BROKEN, OFF_SITE, ON_SITE)
SEVERITY_ORDER = ("critical", "error", "high", "warning", "medium", "info", "low", "none")


@dataclass(frozen=True)
class RuleCoverage:
    alert_name: str
    severity: str
    group: str
    source: str
    status: str
    runbook: str  # the stored runbook's URL, or the rule's runbook_url, or ""


def rule_coverage(rules: list[StoredRule], index: RunbookIndex) -> list[RuleCoverage]:
    """Each stored rule once (a rule two sources both serve is listed from the first), with its runbook
    status, the gaps first and by severity."""
    found, seen = [], set()
    for stored in rules:
        rule = stored.rule
        identity = (rule.alert_name, rule.group, rule.severity, rule.summary, rule.description, rule.runbook_url)
        if identity in seen:
            continue
        seen.add(identity)
        link = rule.runbook_url
        # The matcher's lookup, so --rules never says "no runbook" for an alert the bot answers.
        docs = rule_runbooks(index, rule.alert_name, [link] if link else [])
        if docs:
            status, runbook = ON_SITE, index.runbook(docs[0]).record.url
        else:
            status, runbook = (OFF_SITE, link) if link else (NONE, "")
        found.append(RuleCoverage(rule.alert_name, rule.severity or "none", rule.group, stored.source, status, runbook))
    return sorted(found, key=_order)


def stored_coverage(conn, index: RunbookIndex, gone: set[str] | None = None) -> list[RuleCoverage]:
    """`rule_coverage` of the stored rules, with the links the docs monitor found gone (or `gone`) marked."""
    gone = rule_store.stored_gone_links(conn) if gone is None else gone
    return with_broken_links(rule_coverage(rule_store.stored_rules(conn), index), gone)


def with_broken_links(coverage: list[RuleCoverage], broken: set[str]) -> list[RuleCoverage]:
    """The coverage with the links found gone (a 404 or 410) marked broken."""
    marked = [RuleCoverage(**{**entry.__dict__, "status": BROKEN}) if entry.status == OFF_SITE
              and entry.runbook in broken else entry for entry in coverage]
    return sorted(marked, key=_order)


def _order(entry):
    severity = entry.severity.lower()
    rank = SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)
    return STATUS_ORDER.index(entry.status), rank, entry.alert_name.lower(), entry.source


def format_coverage(coverage: list[RuleCoverage]) -> list[str]:
    """The --rules listing: one line per rule, then the counts by status and severity."""
    lines = [f"{entry.status:<34} {entry.severity:<9} {entry.alert_name:<45} {entry.runbook or '-'}"
             for entry in coverage]
    by_status = Counter(entry.status for entry in coverage)
    gaps = Counter(entry.severity for entry in coverage if entry.status != ON_SITE)
    lines.append("")
    lines.append(f"{len(coverage)} rules: " + ", ".join(f"{by_status[status]} {status}" for status in STATUS_ORDER
                                                         if by_status[status]) + ".")
    if gaps:
        lines.append("Without a runbook on the docs site, by severity: "
                     + ", ".join(f"{severity} {count}" for severity, count in sorted(
                         gaps.items(), key=lambda item: _order(RuleCoverage("", item[0], "", "", ON_SITE, ""))[1]))
                     + ".")
    return lines
