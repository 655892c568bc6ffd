"""Everything the dashboard shows, as one JSON-ready dict (pure: counts in, dict out).

`/api/summary.json` returns it as is; the page renders its KPI cards and tables from it
and figures.py draws its figures from it, so the page and the JSON can never disagree.
The counts are `window_counts.WindowCounts` (grouped in PostgreSQL); the definitions are the
ones `metrics` writes down, worked out here from counts and sums instead of one row per incident.
"""
import math
from collections.abc import Collection, Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal

import pandas as pd

from alert_visualization import metrics as pa
from alert_visualization.window_counts import WindowCounts
from matching.titles import name_key

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
CENTS = Decimal("0.01")
# The counted columns of every WindowCounts table (what is summed when rows are merged).
COUNTED = ("incidents", "high_urgency", "low_urgency", "open", "acknowledged", "tta_seconds", "resolved_by_person",
           "person_seconds", "resolved", "resolved_seconds", "auto_resolved", "auto_seconds", "marked_auto",
           "quick_auto_resolved")


def _period_json(period):
    return {"from": period.first_day.isoformat(), "to": period.last_day.isoformat(),
            "timezone": period.timezone, "days": period.days}


def _mean_minutes(seconds, count):
    """Exact seconds over a count, in minutes to two places (None without a count)."""
    return None if not count else float((Decimal(seconds) / int(count) / 60).quantize(CENTS, ROUND_HALF_EVEN))


def _of(table: pd.DataFrame, current: bool) -> pd.DataFrame:
    return table[table["current"] == current]


def period_totals(counts: pd.DataFrame) -> dict[str, float]:
    """The COUNTED sums of a table's rows (zeros when it has none)."""
    return {column: counts[column].sum() if len(counts) else 0 for column in COUNTED}


def totals(row: Mapping[str, float]) -> dict[str, int]:
    return {name: int(row[name]) for name in ("incidents", "high_urgency", "low_urgency", "open", "acknowledged")}


def auto_resolved(row: Mapping[str, float]) -> dict[str, float | None]:
    incidents, auto = int(row["incidents"]), int(row["auto_resolved"])
    return {"count": auto, "share": round(auto / incidents, 4) if incidents else None,
            "mean_minutes": _mean_minutes(row["auto_seconds"], auto)}


def interruptions(hours: pd.DataFrame) -> dict[str, int]:
    """Incidents per PagerDuty window (metrics.hour_category) from counts per local weekday and hour."""
    weekday, hour = hours["weekday"], hours["hour"]
    category = pd.Series("off", index=hours.index)
    category[(weekday < 5) & (hour >= 8) & (hour < 18)] = "business"
    category[(hour >= 22) | (hour < 8)] = "sleep"
    per_category = hours["incidents"].groupby(category).sum()
    return {name: int(per_category.get(name, 0)) for name in ("business", "off", "sleep")}


def hour_weekday_matrix(hours: pd.DataFrame) -> pd.DataFrame:
    """7 x 24 counts: rows Mon..Sun, columns local hours 0..23."""
    matrix = hours.pivot_table(index="weekday", columns="hour", values="incidents", aggfunc="sum") \
        if len(hours) else pd.DataFrame()
    matrix = matrix.reindex(index=range(7), columns=range(24)).fillna(0).astype(int)
    matrix.index = list(pa.WEEKDAYS)
    return matrix


def alert_counts(alerts: pd.DataFrame, alert_keys: Mapping[str, str]) -> pd.DataFrame:
    """The per-group counts summed per alert key (groups the matcher names alike are one alert)."""
    keyed = alerts.assign(alert_key=alerts["alert_group"].map(alert_keys))
    return keyed.groupby(["current", "alert_key"], as_index=False)[list(COUNTED)].sum()


def top_alert_keys(current: pd.DataFrame, previous: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """DataFrame alert_key, count, previous, change: the period's N most frequent keys."""
    top = pa.ranked(current.set_index("alert_key")["incidents"]).head(n)
    before = previous.set_index("alert_key")["incidents"]
    frame = pd.DataFrame({"alert_key": top.index, "count": top.to_numpy().astype(int)})
    frame["previous"] = frame["alert_key"].map(before).fillna(0).astype(int)
    frame["change"] = frame["count"] - frame["previous"]
    return frame


def noisy_alerts(current: pd.DataFrame, min_count: int = 5, min_quick_share: float = 0.5, n: int = 10) -> pd.DataFrame:
    """metrics.noisy_alerts over per-alert counts (quick: auto-resolved within QUICK_AUTO_RESOLVE_SECONDS)."""
    per_key = pd.DataFrame({"alert_key": current["alert_key"], "count": current["incidents"].astype(int),
                            "auto_resolved": current["marked_auto"].astype(int),
                            "quick_auto_resolved": current["quick_auto_resolved"].astype(int)})
    per_key = per_key.sort_values("alert_key", kind="stable")
    per_key["quick_share"] = (per_key["quick_auto_resolved"] / per_key["count"]).round(4)
    noisy = per_key[(per_key["count"] >= min_count) & (per_key["quick_share"] >= min_quick_share)]
    return noisy.sort_values(["count", "quick_share"], ascending=False, kind="stable").head(n).reset_index(drop=True)


def runbook_coverage(current: pd.DataFrame, covered_keys: Iterable[str], n: int = 10) -> dict:
    """Share of incidents whose alert key has a runbook (keys compared spelling-free), and the top keys
    without one."""
    counts = current.set_index("alert_key")["incidents"].astype(int)
    has_runbook = pd.Series(has_runbooks(counts.index, covered_keys), index=counts.index, dtype=bool)
    incidents, covered = int(counts.sum()), int(counts[has_runbook].sum())
    missing = pa.ranked(counts[~has_runbook])
    return {"incidents": incidents, "covered": covered,
            "share": round(covered / incidents, 4) if incidents else None,
            "without_runbook": [{"alert_key": key, "count": int(count)} for key, count in missing.head(n).items()]}


def has_runbooks(alert_keys: Iterable[str], covered_keys: Iterable[str]) -> list[bool]:
    covered = {name_key(key) for key in covered_keys}
    return [name_key(key) in covered for key in alert_keys]


def per_day(days: pd.DataFrame, period: pa.Period) -> pd.DataFrame:
    """One row per local day of the period (zeros included), a column per urgency."""
    every_day = pd.date_range(period.first_day, period.last_day, freq="D").date
    counts = days.pivot_table(index="day", columns="urgency", values="incidents", aggfunc="sum") \
        if len(days) else pd.DataFrame()
    counts = counts.reindex(index=every_day)
    for urgency in pa.URGENCIES:
        if urgency not in counts.columns:
            counts[urgency] = 0
    return counts.fillna(0).astype(int)


def _monday(day):
    return day - pd.Timedelta(days=day.weekday())


def response_trend(days: pd.DataFrame, step: str) -> list[dict[str, object]]:
    """Per local week (its Monday) or day: incidents, mtta_minutes, mttr_minutes (None without data)."""
    if not len(days):
        return []
    start = days["day"].map(_monday) if step == "week" else days["day"]
    sums = days.groupby(start)[["incidents", "acknowledged", "tta_seconds", "resolved_by_person",
                                "person_seconds"]].sum().sort_index()
    return [{"start": bucket.isoformat(), "incidents": int(row.incidents),
             "mtta_minutes": _mean_minutes(row.tta_seconds, row.acknowledged),
             "mttr_minutes": _mean_minutes(row.person_seconds, row.resolved_by_person)}
            for bucket, row in sums.iterrows()]


def trend_step(period: pa.Period) -> str:
    """Weekly points need a few weeks to say anything; a short period is drawn per day."""
    return "day" if period.days <= 31 else "week"


def kpi_values(row: Mapping[str, float], hours: pd.DataFrame, alerts: pd.DataFrame,
               covered_keys: Collection[str]) -> dict[str, float | None]:
    """The numbers on the KPI cards for one period."""
    windows = interruptions(hours)
    coverage = runbook_coverage(alerts, covered_keys)
    return {
        "incidents": int(row["incidents"]),
        "high_urgency": int(row["high_urgency"]),
        "mtta_minutes": _mean_minutes(row["tta_seconds"], row["acknowledged"]),
        "mttr_minutes": _mean_minutes(row["person_seconds"], row["resolved_by_person"]),
        "mttr_all_minutes": _mean_minutes(row["resolved_seconds"], row["resolved"]),
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
    alerts = alert_counts(counts.alerts, alert_keys)
    current, previous = _of(alerts, True), _of(alerts, False)
    now_row, before_row = period_totals(_of(counts.period, True)), period_totals(_of(counts.period, False))
    hours, days = _of(counts.hours, True), _of(counts.days, True)
    now_values = kpi_values(now_row, hours, current, covered_keys)
    before_values = kpi_values(before_row, _of(counts.hours, False), previous, covered_keys)
    top = top_alert_keys(current, previous, top_n)
    top["has_runbook"] = has_runbooks(top["alert_key"], covered_keys)
    daily = per_day(days, period)
    weekly = days.groupby(days["day"].map(_monday))["incidents"].sum().sort_index() if len(days) else pd.Series()
    matrix = hour_weekday_matrix(hours)
    services = _of(counts.services, True).set_index("service")["incidents"]
    step = trend_step(period)
    return {
        "period": _period_json(period),
        "previous_period": _period_json(period.previous()),
        "filters": {"service": service, "urgency": urgency},
        "kpis": {key: {"label": label, "definition": KPI_DEFINITIONS.get(key),
                       **pa.change(now_values[key], before_values[key])}
                 for key, label in KPI_LABELS.items()},
        "totals": totals(now_row),
        "auto_resolved": auto_resolved(now_row),
        "interruptions": interruptions(hours),
        "per_day": {"days": [day.isoformat() for day in daily.index],
                    **{urgency_name: daily[urgency_name].tolist() for urgency_name in daily.columns}},
        "per_week": [{"week": week.isoformat(), "incidents": int(count)} for week, count in weekly.items()],
        "by_service": [{"service": name, "count": int(count)} for name, count in pa.ranked(services).items()],
        "by_urgency": {name: int(now_row[f"{name}_urgency"]) for name in pa.URGENCIES},
        "top_alerts": _records(top),
        "alert_share": alert_share(top, int(now_row["incidents"])),
        "heatmap": {"weekdays": list(matrix.index), "hours": [int(hour) for hour in matrix.columns],
                    "counts": matrix.to_numpy().tolist()},
        "response_trend": response_trend(days, step),
        "response_trend_step": step,
        "noisy_alerts": _records(noisy_alerts(current)),
        "runbook_coverage": runbook_coverage(current, covered_keys, top_n),
        "open_incidents": counts.open_incidents,
        "runbook_changes": list(runbook_changes),
    }
