"""The handoff report: frames in, a template-ready dict out.  Pure, no I/O.

Every number comes from alert_visualization.metrics (the dashboard's definitions); this module only
chooses which of them a handoff needs, puts them side by side with the previous week,
and formats times in the team's zone.  A handoff week runs from one handoff moment to
the next (Mon 09:00 to Mon 09:00), so its chart has a bar per local day it touches.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as datetime_time
from zoneinfo import ZoneInfo

import pandas as pd

from alert_visualization import metrics as pa
from handoff.formatting import format_duration, format_moment
from handoff.week import HandoffSchedule, HandoffWeek, previous_week, week_label
from matching.titles import normalise_alert_title

# An alert without a runbook is a gap worth naming once it paged at least this often.
GAP_MIN_COUNT = 2
CHART_BLOCKS = 30  # widest bar in the plain-text chart, in characters

# (changed_at, change, page_url, runbook titles): a line of the docs monitor's log.
# (changed_at, change, page_url, runbook titles, changed_by: who made it when a commit did)
DocChange = tuple[datetime, str, str, tuple[str, ...], str | None]
# {alert_key: (runbook title, url)} for the alerts the matcher finds a runbook for.
RunbookLinks = dict[str, tuple[str | None, str | None]]


@dataclass
class ReportInputs:
    """What the sources read; frames as incident_store.incidents_frame builds them."""

    incidents: pd.DataFrame            # created in the week
    previous_incidents: pd.DataFrame   # created in the week before
    open_incidents: pd.DataFrame       # created before the handoff moment, unresolved at it
    runbooks: RunbookLinks = field(default_factory=dict)  # {alert_key: (runbook title, url)}
    covered_keys: set[str] = field(default_factory=set)  # alert keys (any spelling) that have a runbook
    doc_changes: list[DocChange] = field(default_factory=list)  # [(changed_at, change, page_url, runbook titles)]
    key_of: Callable[[str], str] | None = None  # title -> alert key (the matcher's; None: the title's words)
    # Alert rules first read this week without a runbook on the docs site (rule_coverage.RuleCoverage fields).
    new_rule_gaps: list[dict] = field(default_factory=list)
    # How the Slack bot did with the week's alerts (bot.feedback_store.feedback_counts); None without a bot.
    bot: dict | None = None


def previous_week_of(week: HandoffWeek, schedule: HandoffSchedule) -> HandoffWeek:
    return previous_week(week, schedule)


def sample_titles(incidents: pd.DataFrame, key_of: Callable[[str], str] | None = None) -> dict[str, str]:
    """{alert_key: the latest title with that key}: what the matcher is asked about."""
    keyed = pa.with_alert_keys(incidents, key_of)
    latest = keyed.sort_values("created_at").drop_duplicates("alert_key", keep="last")
    return dict(zip(latest["alert_key"], latest["title"]))


def alert_names(titles_by_key: dict[str, str]) -> dict[str, str]:
    """{alert_key: a readable name}: the latest title with what varies stripped."""
    return {key: normalise_alert_title(title) or key for key, title in titles_by_key.items()}


def build_handoff_report(inputs: ReportInputs, week: HandoffWeek, zone: ZoneInfo, top_n: int = 10, open_limit: int = 25,
                         dashboard_url: str | None = None, sync_note: str | None = None) -> dict:
    current = pa.with_alert_keys(inputs.incidents, inputs.key_of)
    previous = pa.with_alert_keys(inputs.previous_incidents, inputs.key_of)
    covered = set(inputs.covered_keys) | set(inputs.runbooks)
    names = alert_names(sample_titles(current, inputs.key_of))
    open_rows = open_incident_rows(inputs.open_incidents, week, zone)
    return {
        "label": week_label(week),
        "week_of": week.week_of.isoformat(),
        "period": f"{week.start:%a %-d %b %H:%M} – {week.end:%a %-d %b %H:%M}",
        "timezone": zone.key,
        "incidents": int(len(current)),
        "previous_incidents": int(len(previous)),
        "summary": summary_figures(current, previous, zone.key),
        "definitions": list(FIGURE_DEFINITIONS),
        "open_total": len(open_rows),
        "open_incidents": open_rows[:open_limit],
        "open_more": max(0, len(open_rows) - open_limit),
        "daily": daily_chart(current, week, zone),
        "top_n": top_n,
        "top_alerts": top_alert_rows(current, previous, inputs.runbooks, names, zone, top_n),
        "noisy_alerts": noisy_alert_rows(current, names),
        "runbook_gaps": runbook_gap_rows(current, covered, names, top_n),
        "doc_changes": doc_change_rows(inputs.doc_changes, zone),
        "new_rule_gaps": list(inputs.new_rule_gaps),
        "bot": inputs.bot,
        "services": service_rows(current, week),
        "dashboard_url": dashboard_url,
        "sync_note": sync_note,
    }


# Where a figure differs from what PagerDuty's Insights shows under a similar name, the mail says how.
FIGURE_DEFINITIONS = (
    "MTTR, resolved by a person leaves out incidents an integration or a timeout resolved; "
    "MTTR, every incident includes them, as PagerDuty's Insights does.",
    f"Off hours are evenings and weekend days outside {pa.BUSINESS_HOURS_LABEL}, sleep hours {pa.SLEEP_HOURS_LABEL}, "
    "in the team's time zone; both count incidents by when they were created, where PagerDuty's "
    "interruptions count notifications to responders.",
)


def summary_figures(current: pd.DataFrame, previous: pd.DataFrame, timezone: str) -> list[dict]:
    """The handoff's numbers, each beside last week's (what each counts: FIGURE_DEFINITIONS)."""
    now_hours, before_hours = pa.interruptions(current, timezone), pa.interruptions(previous, timezone)
    now_totals, before_totals = pa.totals(current), pa.totals(previous)
    rows = [
        ("Incidents", now_totals["incidents"], before_totals["incidents"], "count"),
        ("High-urgency incidents", now_totals["high_urgency"], before_totals["high_urgency"], "count"),
        ("Mean time to acknowledge", _seconds(pa.mtta_minutes(current)), _seconds(pa.mtta_minutes(previous)), "duration"),
        ("MTTR, resolved by a person", _seconds(pa.mttr_minutes(current)), _seconds(pa.mttr_minutes(previous)),
         "duration"),
        ("MTTR, every incident", _seconds(pa.mttr_all_minutes(current)), _seconds(pa.mttr_all_minutes(previous)),
         "duration"),
        ("Incidents off hours", now_hours["off"], before_hours["off"], "count"),
        ("Incidents in sleep hours", now_hours["sleep"], before_hours["sleep"], "count"),
    ]
    return [{"name": name, "value": value, "previous": before, "kind": kind,
             "display": _display(value, kind), "previous_display": _display(before, kind)}
            for name, value, before, kind in rows]


def open_incident_rows(open_incidents: pd.DataFrame, week: HandoffWeek, zone: ZoneInfo) -> list[dict]:
    """Open at the handoff moment, triggered first (nobody has them), then oldest first."""
    rows = []
    for incident in open_incidents.sort_values("created_at").itertuples():
        acknowledged = pd.notna(incident.first_acknowledged_at) and incident.first_acknowledged_at <= week.end_utc()
        rows.append({
            "number": incident.incident_number, "title": incident.title, "urgency": incident.urgency,
            "status": "acknowledged" if acknowledged else "triggered", "service": incident.service_name,
            "created": format_moment(incident.created_at.to_pydatetime(), zone), "url": incident.html_url,
        })
    return sorted(rows, key=lambda row: row["status"] != "triggered")


def daily_chart(current: pd.DataFrame, week: HandoffWeek, zone: ZoneInfo) -> list[dict]:
    """One bar per local day the week touches; widths relative to the busiest day."""
    period = pa.Period(week.start.date(), (week.end - timedelta(microseconds=1)).date(), zone.key)
    counts = pa.per_day(current, period).sum(axis=1)
    busiest = max(int(counts.max()), 1) if len(counts) else 1
    labels = [f"{day:%a %-d %b}" for day in counts.index]
    if week.start.time() != datetime_time(0):  # the first and last days are partial: say so
        labels[0] += f" from {week.start:%H:%M}"
        labels[-1] += f" to {week.end:%H:%M}"
    return [{"day": label, "count": int(count), "width": max(1, round(100 * count / busiest)),
             "blocks": round(CHART_BLOCKS * count / busiest)} for label, count in zip(labels, counts)]


def top_alert_rows(current: pd.DataFrame, previous: pd.DataFrame, runbooks: RunbookLinks, names: dict[str, str],
                   zone: ZoneInfo, top_n: int) -> list[dict]:
    top = pa.top_alert_keys(current, previous, top_n)
    last_seen = current.groupby("alert_key")["created_at"].max()
    return [{
        "alert_key": row.alert_key, "title": names.get(row.alert_key, row.alert_key),
        "count": int(row.count), "previous": int(row.previous),
        "last_seen": format_moment(last_seen[row.alert_key].to_pydatetime(), zone),
        "runbook_title": runbooks.get(row.alert_key, (None, None))[0],
        "runbook_url": runbooks.get(row.alert_key, (None, None))[1],
    } for row in top.itertuples()]


def noisy_alert_rows(current: pd.DataFrame, names: dict[str, str]) -> list[dict]:
    noisy = pa.noisy_alerts(current) if len(current) else pd.DataFrame()
    return [{"alert_key": row.alert_key, "title": names.get(row.alert_key, row.alert_key), "count": int(row.count),
             "why": f"{row.quick_auto_resolved} resolved themselves within 5 minutes"}
            for row in noisy.itertuples()]


def runbook_gap_rows(current: pd.DataFrame, covered_keys: set[str], names: dict[str, str],
                     top_n: int) -> list[dict]:
    coverage = pa.runbook_coverage(current, covered_keys, top_n)
    return [{"alert_key": gap["alert_key"], "title": names.get(gap["alert_key"], gap["alert_key"]), "count": gap["count"]}
            for gap in coverage["without_runbook"] if gap["count"] >= GAP_MIN_COUNT]


def doc_change_rows(doc_changes: list[DocChange], zone: ZoneInfo) -> list[dict]:
    return [{"when": format_moment(changed_at, zone), "change": change, "page_url": url, "runbooks": list(titles),
             "by": by[0] if by else None}
            for changed_at, change, url, titles, *by in sorted(doc_changes, key=lambda item: item[0], reverse=True)]


def service_rows(current: pd.DataFrame, week: HandoffWeek) -> list[dict]:
    """Per service, busiest first: counts, open at the handoff moment, MTTA and MTTR."""
    rows = []
    for service, count in pa.by_service(current).items():
        incidents = current[current["service_name"] == service]
        totals = pa.totals(incidents)
        still_open = incidents["resolved_at"].isna() | (incidents["resolved_at"] > week.end_utc())
        rows.append({"service": service, "incidents": int(count), "high_urgency": totals["high_urgency"],
                     "open": int(still_open.sum()), "mtta": _seconds(pa.mtta_minutes(incidents)),
                     "mttr": _seconds(pa.mttr_minutes(incidents))})
    return rows


def _seconds(minutes):
    return None if minutes is None else minutes * 60


def _display(value, kind):
    if kind == "duration":
        return format_duration(value)
    return "–" if value is None else str(value)
