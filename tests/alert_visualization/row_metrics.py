"""The on-call metrics worked out row by row over a DataFrame of incidents, in pandas: how the
dashboard and the handoff counted before their figures were counted in PostgreSQL
(`alert_visualization.window_counts`).  The tests keep it as the reference: `test_metrics` checks it
against hand-computed numbers, and `test_window_counts` holds the counted figures to it.

The definitions are in `alert_visualization.metrics`' docstring.
"""
from collections.abc import Callable, Iterable
from functools import lru_cache

import pandas as pd

# The same periods, windows and changes as the counted figures (re-exported for the tests).
from alert_visualization.metrics import (  # noqa: F401
    BUSINESS_HOURS_LABEL,
    SLEEP_HOURS_LABEL,
    URGENCIES,
    WEEKDAYS,
    Period,
    change,
    last_days,
    ranked,
)
from matching.titles import alert_key, name_key


@lru_cache(maxsize=262_144)
def _cached_alert_key(title):
    return alert_key(title)


def with_alert_keys(incidents: pd.DataFrame, key_of: Callable[[str], str] | None = None) -> pd.DataFrame:
    """The frame with an `alert_key` column.

    `key_of(title)`: the matcher's key (`matching.matcher.alert_key_reader`: the runbook's name when
    one matches); without it, the cleaned title's words.  A frame read from the table carries each
    incident's stored title key (its cleaned title's words): titles with the same one are one alert,
    asked about once, by the latest of them; without one, each distinct title is asked about.
    """
    if "title_key" not in incidents or incidents["title_key"].isna().any():
        key_of = key_of or _cached_alert_key
        keys = {title: key_of(title) for title in incidents["title"].unique()}
        return incidents.assign(alert_key=incidents["title"].map(keys))
    if key_of is None:
        return incidents.assign(alert_key=incidents["title_key"])
    latest = incidents.drop_duplicates("title_key", keep="last")
    keys = {title_key: key_of(title) for title_key, title in zip(latest["title_key"], latest["title"])}
    return incidents.assign(alert_key=incidents["title_key"].map(keys))


def in_period(incidents: pd.DataFrame, period: Period) -> pd.DataFrame:
    created = incidents["created_at"]
    return incidents[(created >= period.start) & (created < period.end)]


def local_created(incidents: pd.DataFrame, timezone: str) -> pd.Series:
    return incidents["created_at"].dt.tz_convert(timezone)


def totals(incidents: pd.DataFrame) -> dict[str, int]:
    return {
        "incidents": int(len(incidents)),
        "high_urgency": int((incidents["urgency"] == "high").sum()),
        "low_urgency": int((incidents["urgency"] == "low").sum()),
        "open": int((incidents["status"] != "resolved").sum()),
        "acknowledged": int(incidents["first_acknowledged_at"].notna().sum()),
    }


def _mean_minutes(durations):
    durations = durations.dropna()
    return None if durations.empty else round(durations.dt.total_seconds().mean() / 60, 2)


def mtta_minutes(incidents: pd.DataFrame) -> float | None:
    return _mean_minutes(incidents["first_acknowledged_at"] - incidents["created_at"])


def _auto_resolved_mask(incidents):
    return incidents["auto_resolved"].fillna(False).astype(bool)


def _merged_mask(incidents):
    if "merged_into" not in incidents:
        return pd.Series(False, index=incidents.index)
    return incidents["merged_into"].notna()


def mttr_minutes(incidents: pd.DataFrame) -> float | None:
    """Created to resolved over the incidents a person resolved: not auto-resolved, not merged away."""
    resolved_by_person = incidents[incidents["resolved_at"].notna() & ~_auto_resolved_mask(incidents)
                                   & ~_merged_mask(incidents)]
    return _mean_minutes(resolved_by_person["resolved_at"] - resolved_by_person["created_at"])


def mttr_all_minutes(incidents: pd.DataFrame) -> float | None:
    """PagerDuty Insights' MTTR: created to resolved over every resolved incident, auto-resolved ones included."""
    resolved = incidents[incidents["resolved_at"].notna()]
    return _mean_minutes(resolved["resolved_at"] - resolved["created_at"])


def auto_resolved(incidents: pd.DataFrame) -> dict[str, float | None]:
    auto = incidents[_auto_resolved_mask(incidents) & incidents["resolved_at"].notna()]
    return {
        "count": int(len(auto)),
        "share": round(len(auto) / len(incidents), 4) if len(incidents) else None,
        "mean_minutes": _mean_minutes(auto["resolved_at"] - auto["created_at"]),
    }


def _count_table(rows, columns):
    """Counts of each (row, column) pair as a table (a faster pd.crosstab)."""
    if rows.empty:
        return pd.DataFrame()
    return pd.DataFrame({"row": rows, "column": columns}).groupby(["row", "column"]).size().unstack(fill_value=0)


def per_day(incidents: pd.DataFrame, period: Period) -> pd.DataFrame:
    """DataFrame: one row per local day of the period (zeros included), a column per urgency."""
    days = pd.date_range(period.first_day, period.last_day, freq="D").date
    local_day = local_created(incidents, period.timezone).dt.date
    counts = _count_table(local_day, incidents["urgency"])
    counts = counts.reindex(index=days, fill_value=0)
    for urgency in URGENCIES:
        if urgency not in counts.columns:
            counts[urgency] = 0
    return counts.fillna(0).astype(int)


def per_week(incidents: pd.DataFrame, timezone: str) -> pd.Series:
    """Series: incidents per local week, indexed by the week's Monday."""
    local = local_created(incidents, timezone)
    monday = (local.dt.normalize() - pd.to_timedelta(local.dt.day_of_week, unit="D")).dt.date
    return incidents.groupby(monday).size().sort_index()


def by_service(incidents: pd.DataFrame) -> pd.Series:
    return ranked(incidents["service_name"].value_counts())


def by_urgency(incidents: pd.DataFrame) -> pd.Series:
    return incidents["urgency"].value_counts().reindex(URGENCIES, fill_value=0)


def top_alert_keys(current: pd.DataFrame, previous: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """DataFrame alert_key, count, previous, change: the period's N most frequent keys."""
    counts = current["alert_key"].value_counts()
    before = previous["alert_key"].value_counts()
    top = ranked(counts).head(n)
    frame = pd.DataFrame({"alert_key": top.index, "count": top.to_numpy()})
    frame["previous"] = frame["alert_key"].map(before).fillna(0).astype(int)
    frame["change"] = frame["count"] - frame["previous"]
    return frame


def hour_category(local_times: pd.Series) -> pd.Series:
    """'sleep', 'business' or 'off' for local timestamps, in PagerDuty's windows (sleep wins)."""
    hour, weekday = local_times.dt.hour, local_times.dt.day_of_week
    category = pd.Series("off", index=local_times.index)
    category[(weekday < 5) & (hour >= 8) & (hour < 18)] = "business"
    category[(hour >= 22) | (hour < 8)] = "sleep"
    return category


def interruptions(incidents: pd.DataFrame, timezone: str) -> dict[str, int]:
    counts = hour_category(local_created(incidents, timezone)).value_counts()
    return {name: int(counts.get(name, 0)) for name in ("business", "off", "sleep")}


def hour_weekday_matrix(incidents: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """7 x 24 DataFrame of counts: rows Mon..Sun, columns local hours 0..23."""
    local = local_created(incidents, timezone)
    matrix = _count_table(local.dt.day_of_week, local.dt.hour)
    matrix = matrix.reindex(index=range(7), columns=range(24), fill_value=0).fillna(0).astype(int)
    matrix.index = list(WEEKDAYS)
    return matrix


def noisy_alerts(incidents: pd.DataFrame, min_count: int = 5, quick_minutes: float = 5, min_quick_share: float = 0.5,
                 n: int = 10) -> pd.DataFrame:
    """DataFrame alert_key, count, auto_resolved, quick_auto_resolved, quick_share (noisiest first)."""
    minutes = (incidents["resolved_at"] - incidents["created_at"]).dt.total_seconds() / 60
    auto = _auto_resolved_mask(incidents)
    per_key = pd.DataFrame({
        "alert_key": incidents["alert_key"], "auto_resolved": auto,
        "quick_auto_resolved": auto & (minutes <= quick_minutes),
    }).groupby("alert_key").agg(
        count=("auto_resolved", "size"), auto_resolved=("auto_resolved", "sum"),
        quick_auto_resolved=("quick_auto_resolved", "sum"))
    per_key["quick_share"] = (per_key["quick_auto_resolved"] / per_key["count"]).round(4)
    noisy = per_key[(per_key["count"] >= min_count) & (per_key["quick_share"] >= min_quick_share)]
    noisy = noisy.sort_values(["count", "quick_share"], ascending=False, kind="stable").head(n)
    return noisy.reset_index().astype({"auto_resolved": int, "quick_auto_resolved": int})


def response_trend(incidents: pd.DataFrame, timezone: str, by: str = "week") -> pd.DataFrame:
    """DataFrame by local week (its Monday) or local day: incidents, mtta_minutes, mttr_minutes.

    The same definitions as mtta_minutes / mttr_minutes, per bucket (NaN where there is no data).
    """
    local = local_created(incidents, timezone)
    day = local.dt.normalize()
    bucket = (day - pd.to_timedelta(local.dt.day_of_week, unit="D")) if by == "week" else day
    resolved_by_person = incidents["resolved_at"].notna() & ~_auto_resolved_mask(incidents) & ~_merged_mask(incidents)
    minutes = pd.DataFrame({
        "start": bucket.dt.date,
        "tta": (incidents["first_acknowledged_at"] - incidents["created_at"]).dt.total_seconds() / 60,
        "ttr": ((incidents["resolved_at"] - incidents["created_at"]).dt.total_seconds() / 60).where(resolved_by_person),
    })
    trend = minutes.groupby("start").agg(incidents=("tta", "size"), mtta_minutes=("tta", "mean"),
                                         mttr_minutes=("ttr", "mean"))
    return trend.round(2).reset_index()


def runbook_coverage(incidents: pd.DataFrame, covered_keys: Iterable[str], n: int = 10) -> dict:
    """Share of incidents whose alert key has a runbook, and the top keys without one.

    `covered_keys` holds spelling-free keys (`matching.titles.name_key`) of alerts that have a runbook.
    """
    covered = {name_key(key) for key in covered_keys}
    key_covered = {key: name_key(key) in covered for key in incidents["alert_key"].unique()}
    has_runbook = incidents["alert_key"].map(key_covered).astype(bool)
    missing = ranked(incidents.loc[~has_runbook, "alert_key"].value_counts())
    return {
        "incidents": int(len(incidents)),
        "covered": int(has_runbook.sum()),
        "share": round(float(has_runbook.mean()), 4) if len(incidents) else None,
        "without_runbook": [{"alert_key": key, "count": int(count)} for key, count in missing.head(n).items()],
    }


def has_runbook(alert_keys: Iterable[str], covered_keys: Iterable[str]) -> list[bool]:
    covered = {name_key(key) for key in covered_keys}
    return [name_key(key) in covered for key in alert_keys]


