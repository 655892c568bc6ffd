"""The handoff report: counts in, a template-ready dict out.  Pure, no I/O.

Every number comes from alert_visualization.metrics (the dashboard's definitions) over the week's
counts (alert_visualization.window_counts: grouped in PostgreSQL, as the dashboard's are); this module only
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
from alert_visualization.window_counts import WindowCounts
from handoff.formatting import format_duration, format_moment
from handoff.week import HandoffSchedule, HandoffWeek, previous_week, week_label
from matching.titles import alert_key, normalise_alert_title

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
    """What the sources read: the counts of the week and the week before, and what names them."""

    counts: WindowCounts               # current: the week; else the week before (window_counts.read_window_counts)
    open_incidents: pd.DataFrame       # created before the handoff moment, unresolved at it (incidents_frame)
    alert_keys: dict[str, str] = field(default_factory=dict)  # {alert group: alert key}
    group_titles: dict[str, str] = field(default_factory=dict)  # {alert group: its latest title}
    runbooks: RunbookLinks = field(default_factory=dict)  # {alert_key: (runbook title, url)}
    covered_keys: set[str] = field(default_factory=set)  # alert keys (any spelling) that have a runbook
    doc_changes: list[DocChange] = field(default_factory=list)  # [(changed_at, change, page_url, runbook titles)]
    # Alert rules first read this week without a runbook on the docs site (rule_coverage.RuleCoverage fields).
    new_rule_gaps: list[dict] = field(default_factory=list)
    # How the Slack bot did with the week's alerts (bot.feedback_store.feedback_counts); None without a bot.
    bot: dict | None = None


def previous_week_of(week: HandoffWeek, schedule: HandoffSchedule) -> HandoffWeek:
    return previous_week(week, schedule)


def group_alert_keys(group_titles: dict[str, str], key_of: Callable[[str], str] | None = None) -> dict[str, str]:
    """{alert group: alert key}: what `key_of` (the matcher's `alert_key_reader`) says of the group's
    latest title; without it, the title's words."""
    key_of = key_of or alert_key
    return {group: key_of(title) for group, title in group_titles.items()}


def titles_by_key(counts: WindowCounts, alert_keys: dict[str, str], group_titles: dict[str, str]) -> dict[str, str]:
    """{alert_key: the latest title with that key this week}: what the matcher is asked about."""
    current = pa.of_period(counts.alerts, True).sort_values("last_created")
    return {alert_keys.get(group, group[1:]): group_titles.get(group, group[1:]) for group in current["alert_group"]}


def alert_names(titles: dict[str, str]) -> dict[str, str]:
    """{alert_key: a readable name}: the latest title with what varies stripped."""
    return {key: normalise_alert_title(title) or key for key, title in titles.items()}


def build_handoff_report(inputs: ReportInputs, week: HandoffWeek, zone: ZoneInfo, top_n: int = 10, open_limit: int = 25,
                         dashboard_url: str | None = None, sync_note: str | None = None) -> dict:
    counts = inputs.counts
    alerts = pa.alert_counts(counts.alerts, inputs.alert_keys)
    current, previous = pa.of_period(alerts, True), pa.of_period(alerts, False)
    now_row, before_row = pa.period_totals(pa.of_period(counts.period, True)), \
        pa.period_totals(pa.of_period(counts.period, False))
    covered = set(inputs.covered_keys) | set(inputs.runbooks)
    names = alert_names(titles_by_key(counts, inputs.alert_keys, inputs.group_titles))
    open_rows = open_incident_rows(inputs.open_incidents, week, zone)
    return {
        "label": week_label(week),
        "week_of": week.week_of.isoformat(),
        "period": f"{week.start:%a %-d %b %H:%M} – {week.end:%a %-d %b %H:%M}",
        "timezone": zone.key,
        "incidents": int(now_row["incidents"]),
        "previous_incidents": int(before_row["incidents"]),
        "summary": summary_figures(now_row, before_row, pa.of_period(counts.hours, True),
                                   pa.of_period(counts.hours, False)),
        "definitions": list(FIGURE_DEFINITIONS),
        "open_total": len(open_rows),
        "open_incidents": open_rows[:open_limit],
        "open_more": max(0, len(open_rows) - open_limit),
        "daily": daily_chart(pa.of_period(counts.days, True), week, zone),
        "top_n": top_n,
        "top_alerts": top_alert_rows(current, previous, inputs.runbooks, names, zone, top_n),
        "noisy_alerts": noisy_alert_rows(current, names),
        "runbook_gaps": runbook_gap_rows(current, covered, names, top_n),
        "doc_changes": doc_change_rows(inputs.doc_changes, zone),
        "new_rule_gaps": list(inputs.new_rule_gaps),
        "bot": inputs.bot,
        "services": service_rows(pa.of_period(counts.services, True)),
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


def summary_figures(now: dict, before: dict, now_hours: pd.DataFrame, before_hours: pd.DataFrame) -> list[dict]:
    """The handoff's numbers, each beside last week's (what each counts: FIGURE_DEFINITIONS); `now` and
    `before` are metrics.period_totals of the two weeks."""
    now_windows, before_windows = pa.interruptions(now_hours), pa.interruptions(before_hours)
    rows = [
        ("Incidents", int(now["incidents"]), int(before["incidents"]), "count"),
        ("High-urgency incidents", int(now["high_urgency"]), int(before["high_urgency"]), "count"),
        ("Mean time to acknowledge", _seconds(pa.mtta_minutes(now)), _seconds(pa.mtta_minutes(before)), "duration"),
        ("MTTR, resolved by a person", _seconds(pa.mttr_minutes(now)), _seconds(pa.mttr_minutes(before)), "duration"),
        ("MTTR, every incident", _seconds(pa.mttr_all_minutes(now)), _seconds(pa.mttr_all_minutes(before)),
         "duration"),
        ("Incidents off hours", now_windows["off"], before_windows["off"], "count"),
        ("Incidents in sleep hours", now_windows["sleep"], before_windows["sleep"], "count"),
    ]
    return [{"name": name, "value": value, "previous": previous, "kind": kind,
             "display": _display(value, kind), "previous_display": _display(previous, kind)}
            for name, value, previous, kind in rows]


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


def daily_chart(days: pd.DataFrame, week: HandoffWeek, zone: ZoneInfo) -> list[dict]:
    """One bar per local day the week touches; widths relative to the busiest day."""
    period = pa.Period(week.start.date(), (week.end - timedelta(microseconds=1)).date(), zone.key)
    counts = pa.per_day(days, period).sum(axis=1)
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
    last_seen = current.set_index("alert_key")["last_created"]
    return [{
        "alert_key": row.alert_key, "title": names.get(row.alert_key, row.alert_key),
        "count": int(row.count), "previous": int(row.previous),
        "last_seen": format_moment(pd.Timestamp(last_seen[row.alert_key]).to_pydatetime(), zone),
        "runbook_title": runbooks.get(row.alert_key, (None, None))[0],
        "runbook_url": runbooks.get(row.alert_key, (None, None))[1],
    } for row in top.itertuples()]


def noisy_alert_rows(current: pd.DataFrame, names: dict[str, str]) -> list[dict]:
    return [{"alert_key": row.alert_key, "title": names.get(row.alert_key, row.alert_key), "count": int(row.count),
             "why": f"{row.quick_auto_resolved} resolved themselves within {pa.QUICK_AUTO_RESOLVE_MINUTES} minutes"}
            for row in pa.noisy_alerts(current).itertuples()]


def runbook_gap_rows(current: pd.DataFrame, covered_keys: set[str], names: dict[str, str],
                     top_n: int) -> list[dict]:
    coverage = pa.runbook_coverage(current, covered_keys, top_n)
    return [{"alert_key": gap["alert_key"], "title": names.get(gap["alert_key"], gap["alert_key"]), "count": gap["count"]}
            for gap in coverage["without_runbook"] if gap["count"] >= GAP_MIN_COUNT]


def doc_change_rows(doc_changes: list[DocChange], zone: ZoneInfo) -> list[dict]:
    return [{"when": format_moment(changed_at, zone), "change": change, "page_url": url, "runbooks": list(titles),
             "by": by[0] if by else None}
            for changed_at, change, url, titles, *by in sorted(doc_changes, key=lambda item: item[0], reverse=True)]


def service_rows(services: pd.DataFrame) -> list[dict]:
    """Per service, busiest first: counts, open at the handoff moment, MTTA and MTTR."""
    ranked = services.assign(order=-services["incidents"]).sort_values(["order", "service"], kind="stable")
    return [{"service": row["service"], "incidents": int(row["incidents"]), "high_urgency": int(row["high_urgency"]),
             "open": int(row["unresolved_at_end"]), "mtta": _seconds(pa.mtta_minutes(row)),
             "mttr": _seconds(pa.mttr_minutes(row))} for _, row in ranked.iterrows()]


def _seconds(minutes):
    return None if minutes is None else minutes * 60


def _display(value, kind):
    if kind == "duration":
        return format_duration(value)
    return "–" if value is None else str(value)
