"""The dashboard's summary worked out row by row in pandas, as the dashboard did before its figures
were counted in PostgreSQL: the reference `test_window_counts` holds the grouped queries to."""
import math

from alert_visualization.summary import KPI_DEFINITIONS, KPI_LABELS, SHARE_SLICES, trend_step
from tests.alert_visualization import row_metrics as pa


def apply_filters(incidents, service=None, urgency=None):
    if service:
        incidents = incidents[incidents["service_name"] == service]
    if urgency:
        incidents = incidents[incidents["urgency"] == urgency]
    return incidents


def kpi_values(incidents, period, covered_keys):
    hours = pa.interruptions(incidents, period.timezone)
    coverage = pa.runbook_coverage(incidents, covered_keys)
    return {
        "incidents": len(incidents), "high_urgency": int((incidents["urgency"] == "high").sum()),
        "mtta_minutes": pa.mtta_minutes(incidents), "mttr_minutes": pa.mttr_minutes(incidents),
        "mttr_all_minutes": pa.mttr_all_minutes(incidents), "auto_resolved": pa.auto_resolved(incidents)["count"],
        "sleep_interruptions": hours["sleep"], "off_hours_interruptions": hours["off"],
        "runbook_coverage_pct": None if coverage["share"] is None else round(100 * coverage["share"], 1),
    }


def _plain(value):
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def _records(frame):
    return [{key: _plain(value) for key, value in row.items()} for row in frame.to_dict("records")]


def _period_json(period):
    return {"from": period.first_day.isoformat(), "to": period.last_day.isoformat(),
            "timezone": period.timezone, "days": period.days}


def frame_summary(incidents, period, covered_keys, runbook_changes, service=None, urgency=None, top_n=10):
    """What `summary.build_summary` returns, from every incident of both periods (with alert keys)."""
    chosen = apply_filters(incidents, service, urgency)
    current, previous = pa.in_period(chosen, period), pa.in_period(chosen, period.previous())
    now_values = kpi_values(current, period, covered_keys)
    before_values = kpi_values(previous, period.previous(), covered_keys)
    top = pa.top_alert_keys(current, previous, top_n)
    top["has_runbook"] = pa.has_runbook(top["alert_key"], covered_keys)
    slices = [{"alert_key": row["alert_key"], "count": int(row["count"])} for _, row in top.head(SHARE_SLICES).iterrows()]
    other = len(current) - sum(item["count"] for item in slices)
    days = pa.per_day(current, period)
    matrix = pa.hour_weekday_matrix(current, period.timezone)
    newest = current[current["status"] != "resolved"].sort_values(["created_at", "id"], ascending=[False, True]).head(20)
    return {
        "period": _period_json(period), "previous_period": _period_json(period.previous()),
        "filters": {"service": service, "urgency": urgency},
        "kpis": {key: {"label": label, "definition": KPI_DEFINITIONS.get(key),
                       **pa.change(now_values[key], before_values[key])} for key, label in KPI_LABELS.items()},
        "totals": pa.totals(current),
        "auto_resolved": pa.auto_resolved(current),
        "interruptions": pa.interruptions(current, period.timezone),
        "per_day": {"days": [day.isoformat() for day in days.index],
                    **{name: days[name].tolist() for name in days.columns}},
        "per_week": [{"week": week.isoformat(), "incidents": int(count)}
                     for week, count in pa.per_week(current, period.timezone).items()],
        "by_service": [{"service": name, "count": int(count)} for name, count in pa.by_service(current).items()],
        "by_urgency": {name: int(count) for name, count in pa.by_urgency(current).items()},
        "top_alerts": _records(top),
        "alert_share": slices + ([{"alert_key": "(other alerts)", "count": int(other)}] if other > 0 else []),
        "heatmap": {"weekdays": list(matrix.index), "hours": [int(hour) for hour in matrix.columns],
                    "counts": matrix.to_numpy().tolist()},
        "response_trend": [{**row, "start": row["start"].isoformat()}
                           for row in _records(pa.response_trend(current, period.timezone, trend_step(period)))],
        "response_trend_step": trend_step(period),
        "noisy_alerts": _records(pa.noisy_alerts(current)),
        "runbook_coverage": pa.runbook_coverage(current, covered_keys, top_n),
        "open_incidents": [{"id": row.id, "title": row.title, "status": row.status, "urgency": row.urgency,
                            "service": row.service_name, "created_at": row.created_at.isoformat(),
                            "html_url": row.html_url} for row in newest.itertuples()],
        "runbook_changes": list(runbook_changes),
    }
