"""Everything the dashboard shows, as one JSON-ready dict (pure: frames in, dict out).

`/api/summary.json` returns it as is; the page renders its KPI cards and tables from it
and figures.py draws its figures from it, so the page and the JSON can never disagree.
"""
import math
from collections.abc import Collection, Iterable

import pandas as pd

from alert_visualization import metrics as pa

KPI_LABELS = {
    "incidents": "Incidents",
    "high_urgency": "High urgency",
    "mtta_minutes": "MTTA (min)",
    "mttr_minutes": "MTTR, resolved by a person (min)",
    "mttr_all_minutes": "MTTR, every incident (min)",
    "auto_resolved": "Auto-resolved",
    "sleep_interruptions": "Incidents in sleep hours",
    "off_hours_interruptions": "Incidents off hours",
    "runbook_coverage_pct": "Runbook coverage (%)",
}
# What each card counts, where PagerDuty's Insights would show another number under a similar name.
KPI_DEFINITIONS = {
    "mtta_minutes": "created to first acknowledgement by a person, over the acknowledged incidents",
    "mttr_minutes": "created to resolved, over the incidents a person resolved; auto-resolved ones left out",
    "mttr_all_minutes": "created to resolved over every resolved incident, auto-resolved ones included: "
                        "PagerDuty Insights' MTTR",
    "auto_resolved": "resolved by an integration or the service's timeout, not by a person",
    "sleep_interruptions": f"incidents created {pa.SLEEP_HOURS_LABEL} in the team's time zone; PagerDuty's "
                           "interruptions count notifications to responders instead",
    "off_hours_interruptions": f"incidents created outside {pa.BUSINESS_HOURS_LABEL} and outside sleep hours "
                               "(evenings, weekend days); PagerDuty's interruptions count notifications instead",
}
SHARE_SLICES = 8


def apply_filters(incidents: pd.DataFrame, service: str | None = None, urgency: str | None = None) -> pd.DataFrame:
    """The incidents of one service and/or urgency (None = all)."""
    if service:
        incidents = incidents[incidents["service_name"] == service]
    if urgency:
        incidents = incidents[incidents["urgency"] == urgency]
    return incidents


def _period_json(period):
    return {"from": period.first_day.isoformat(), "to": period.last_day.isoformat(),
            "timezone": period.timezone, "days": period.days}


def kpi_values(incidents: pd.DataFrame, period: pa.Period, covered_keys: Collection[str]) -> dict[str, float | None]:
    """The numbers on the KPI cards for one period's incidents."""
    hours = pa.interruptions(incidents, period.timezone)
    coverage = pa.runbook_coverage(incidents, covered_keys)
    return {
        "incidents": len(incidents),
        "high_urgency": int((incidents["urgency"] == "high").sum()),
        "mtta_minutes": pa.mtta_minutes(incidents),
        "mttr_minutes": pa.mttr_minutes(incidents),
        "mttr_all_minutes": pa.mttr_all_minutes(incidents),
        "auto_resolved": pa.auto_resolved(incidents)["count"],
        "sleep_interruptions": hours["sleep"],
        "off_hours_interruptions": hours["off"],
        "runbook_coverage_pct": None if coverage["share"] is None else round(100 * coverage["share"], 1),
    }


def alert_share(top: pd.DataFrame, total: int) -> list[dict[str, object]]:
    """Pie slices: the biggest keys, then everything else as one 'other' slice."""
    slices = [{"alert_key": row["alert_key"], "count": int(row["count"])} for _, row in top.head(SHARE_SLICES).iterrows()]
    other = total - sum(item["count"] for item in slices)
    return slices + ([{"alert_key": "(other alerts)", "count": int(other)}] if other > 0 else [])


def open_incidents(incidents: pd.DataFrame, limit: int = 20) -> list[dict[str, object]]:
    newest = incidents[incidents["status"] != "resolved"].sort_values("created_at", ascending=False).head(limit)
    return [{"id": row.id, "title": row.title, "status": row.status, "urgency": row.urgency,
             "service": row.service_name, "created_at": row.created_at.isoformat(), "html_url": row.html_url}
            for row in newest.itertuples()]


def _plain(value):
    """A JSON-ready scalar: numpy types unwrapped, NaN (pandas' missing number) as null."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def _records(frame):
    return [{key: _plain(value) for key, value in row.items()} for row in frame.to_dict("records")]


def trend_step(period: pa.Period) -> str:
    """Weekly points need a few weeks to say anything; a short period is drawn per day."""
    return "day" if period.days <= 31 else "week"


def build_summary(incidents: pd.DataFrame, period: pa.Period, covered_keys: Collection[str] = frozenset(),
                  runbook_changes: Iterable[dict[str, object]] = (), service: str | None = None,
                  urgency: str | None = None, top_n: int = 10) -> dict:
    """The dashboard's numbers and series for `period` vs the previous one.

    `incidents` must hold (at least) both periods' incidents, with alert keys.
    """
    chosen = apply_filters(incidents, service, urgency)
    current, previous = pa.in_period(chosen, period), pa.in_period(chosen, period.previous())
    now_values = kpi_values(current, period, covered_keys)
    before_values = kpi_values(previous, period.previous(), covered_keys)
    top = pa.top_alert_keys(current, previous, top_n)
    top["has_runbook"] = pa.has_runbook(top["alert_key"], covered_keys)
    days = pa.per_day(current, period)
    matrix = pa.hour_weekday_matrix(current, period.timezone)
    return {
        "period": _period_json(period),
        "previous_period": _period_json(period.previous()),
        "filters": {"service": service, "urgency": urgency},
        "kpis": {key: {"label": label, "definition": KPI_DEFINITIONS.get(key),
                       **pa.change(now_values[key], before_values[key])}
                 for key, label in KPI_LABELS.items()},
        "totals": pa.totals(current),
        "auto_resolved": pa.auto_resolved(current),
        "interruptions": pa.interruptions(current, period.timezone),
        "per_day": {"days": [day.isoformat() for day in days.index],
                    **{urgency_name: days[urgency_name].tolist() for urgency_name in days.columns}},
        "per_week": [{"week": week.isoformat(), "incidents": int(count)}
                     for week, count in pa.per_week(current, period.timezone).items()],
        "by_service": [{"service": name, "count": int(count)} for name, count in pa.by_service(current).items()],
        "by_urgency": {name: int(count) for name, count in pa.by_urgency(current).items()},
        "top_alerts": _records(top),
        "alert_share": alert_share(top, len(current)),
        "heatmap": {"weekdays": list(matrix.index), "hours": [int(hour) for hour in matrix.columns],
                    "counts": matrix.to_numpy().tolist()},
        "response_trend": [{**row, "start": row["start"].isoformat()}
                           for row in _records(pa.response_trend(current, period.timezone, trend_step(period)))],
        "response_trend_step": trend_step(period),
        "noisy_alerts": _records(pa.noisy_alerts(current)),
        "runbook_coverage": pa.runbook_coverage(current, covered_keys, top_n),
        "open_incidents": open_incidents(current),
        "runbook_changes": list(runbook_changes),
    }
