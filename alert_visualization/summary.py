"""Everything the dashboard shows, as one JSON-ready dict (pure: counts in, dict out).

`/api/summary.json` returns it as is; the page renders its KPI cards and tables from it
and figures.py draws its figures from it, so the page and the JSON can never disagree.
The counts are `window_counts.WindowCounts` (grouped in PostgreSQL); every figure is one of
`metrics`' definitions over them.
"""
import math
from collections.abc import Collection, Iterable, Mapping

import pandas as pd

from alert_visualization import metrics as pa
from alert_visualization.window_counts import WindowCounts

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


def _period_json(period):
    return {"from": period.first_day.isoformat(), "to": period.last_day.isoformat(),
            "timezone": period.timezone, "days": period.days}


def trend_step(period: pa.Period) -> str:
    """Weekly points need a few weeks to say anything; a short period is drawn per day."""
    return "day" if period.days <= 31 else "week"


def kpi_values(row: Mapping[str, float], hours: pd.DataFrame, alerts: pd.DataFrame,
               covered_keys: Collection[str]) -> dict[str, float | None]:
    """The numbers on the KPI cards for one period."""
    windows = pa.interruptions(hours)
    coverage = pa.runbook_coverage(alerts, covered_keys)
    return {
        "incidents": int(row["incidents"]),
        "high_urgency": int(row["high_urgency"]),
        "mtta_minutes": pa.mtta_minutes(row),
        "mttr_minutes": pa.mttr_minutes(row),
        "mttr_all_minutes": pa.mttr_all_minutes(row),
        "auto_resolved": int(row["auto_resolved"]),
        "sleep_interruptions": windows["sleep"],
        "off_hours_interruptions": windows["off"],
        "runbook_coverage_pct": None if coverage["share"] is None else round(100 * coverage["share"], 1),
    }


def alert_share(top: pd.DataFrame, total: int) -> list[dict[str, object]]:
    """Pie slices: the biggest keys, then everything else as one 'other' slice."""
    slices = [{"alert_key": row["alert_key"], "count": int(row["count"])} for _, row in top.head(SHARE_SLICES).iterrows()]
    other = total - sum(item["count"] for item in slices)
    return slices + ([{"alert_key": "(other alerts)", "count": int(other)}] if other > 0 else [])


def _plain(value):
    """A JSON-ready scalar: numpy types unwrapped, NaN (pandas' missing number) as null."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def _records(frame):
    return [{key: _plain(value) for key, value in row.items()} for row in frame.to_dict("records")]


def build_summary(counts: WindowCounts, alert_keys: Mapping[str, str], period: pa.Period,
                  covered_keys: Collection[str] = frozenset(), runbook_changes: Iterable[dict[str, object]] = (),
                  service: str | None = None, urgency: str | None = None, top_n: int = 10) -> dict:
    """The dashboard's numbers and series for `period` vs the previous one, from the counts of both
    (already narrowed to `service` and `urgency`); `alert_keys` names each alert group."""
    alerts = pa.alert_counts(counts.alerts, alert_keys)
    current, previous = pa.of_period(alerts, True), pa.of_period(alerts, False)
    now_row, before_row = pa.period_totals(pa.of_period(counts.period, True)), \
        pa.period_totals(pa.of_period(counts.period, False))
    hours, days = pa.of_period(counts.hours, True), pa.of_period(counts.days, True)
    now_values = kpi_values(now_row, hours, current, covered_keys)
    before_values = kpi_values(before_row, pa.of_period(counts.hours, False), previous, covered_keys)
    top = pa.top_alert_keys(current, previous, top_n)
    top["has_runbook"] = pa.has_runbooks(top["alert_key"], covered_keys)
    daily = pa.per_day(days, period)
    matrix = pa.hour_weekday_matrix(hours)
    services = pa.of_period(counts.services, True).set_index("service")["incidents"]
    step = trend_step(period)
    return {
        "period": _period_json(period),
        "previous_period": _period_json(period.previous()),
        "filters": {"service": service, "urgency": urgency},
        "kpis": {key: {"label": label, "definition": KPI_DEFINITIONS.get(key),
                       **pa.change(now_values[key], before_values[key])}
                 for key, label in KPI_LABELS.items()},
        "totals": pa.totals(now_row),
        "auto_resolved": pa.auto_resolved(now_row),
        "interruptions": pa.interruptions(hours),
        "per_day": {"days": [day.isoformat() for day in daily.index],
                    **{urgency_name: daily[urgency_name].tolist() for urgency_name in daily.columns}},
        "per_week": [{"week": week.isoformat(), "incidents": int(count)} for week, count in pa.per_week(days).items()],
        "by_service": [{"service": name, "count": int(count)} for name, count in pa.ranked(services).items()],
        "by_urgency": {name: int(now_row[f"{name}_urgency"]) for name in pa.URGENCIES},
        "top_alerts": _records(top),
        "alert_share": alert_share(top, int(now_row["incidents"])),
        "heatmap": {"weekdays": list(matrix.index), "hours": [int(hour) for hour in matrix.columns],
                    "counts": matrix.to_numpy().tolist()},
        "response_trend": pa.response_trend(days, step),
        "response_trend_step": step,
        "noisy_alerts": _records(pa.noisy_alerts(current)),
        "runbook_coverage": pa.runbook_coverage(current, covered_keys, top_n),
        "open_incidents": counts.open_incidents,
        "runbook_changes": list(runbook_changes),
    }
