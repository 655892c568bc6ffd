"""On-call metrics over a window's counts: pure, no I/O.

Shared by the dashboard and the handoff mailer.  The counts are `window_counts.WindowCounts`:
small tables that PostgreSQL groups from the incidents (per period, alert group, local weekday
and hour, local day and urgency, service), each row holding the COUNTED columns -- counts, and
exact sums of durations in microseconds -- so a mean here is a sum over a count, and a week's is made from its days.
Times of day are in the team's timezone (ONCALL_TIMEZONE).  The tests keep the row-by-row pandas
version of every figure (tests/alert_visualization/row_metrics.py) as the reference.

Definitions (the one place they are written down):

- **Period**: whole local days, first_day..last_day inclusive, in the team's timezone; an
  incident belongs to it when it was *created* in [start, end).  The previous period is
  the same number of local days just before (so a DST change inside it does not shift it).
- **Totals**: incidents created in the period; split by urgency; `open` = not resolved now
  (the handoff's: not resolved at the handoff moment).
- **Per day / per week**: incidents by their local creation day; weeks start on Monday.
- **Alert key**: the name the matcher gives the latest title of an alert group (incidents whose
  titles are alike once what varies between firings is stripped: `matching.titles.alert_key`,
  stored as `title_key`): the runbook's alert name when one matches, else those cleaned words.
  So `Pod is crash looping` and `KubePodCrashLooping` are one alert.
- **Top alert keys**: the N most frequent keys in the period (ties by name), each with its count in
  the previous period and the change (count - previous count).
- **MTTA**: mean of (first acknowledgement by a person - created) over the period's
  incidents that a person acknowledged.  Incidents never acknowledged are left out.
- **MTTR**: mean of (resolved - created) over incidents resolved by a person (or
  resolved with no record of who), never merged into another.  **Auto-resolved** incidents
  (closed by the integration or the service's timeout) are reported apart: their count,
  share and mean time to resolve.  Means are in minutes to two places, rounded from the exact
  value (half to even).  **MTTR, every incident** is PagerDuty Insights' figure:
  over every resolved incident, auto-resolved and merged ones included.
- **Interruptions**: incidents by the local hour they were created, in PagerDuty's
  windows: *sleep* 22:00-08:00 every day (sleep wins), *business* 08:00-18:00 Monday to
  Friday, *off hours* the rest (evenings and weekend days).  PagerDuty's own interruption
  reports count notifications to responders instead; the labels say "incidents".
- **Hour x weekday**: counts by local weekday (Monday first) and local hour 0-23.
- **MTTA/MTTR trend**: the same two means per local week (per local day for short periods).
- **Noisy alerts**: alert keys with at least `min_count` incidents in the period of which
  at least `min_quick_share` auto-resolved within `quick_minutes` of being created.
- **Runbook coverage**: the share of the period's incidents whose alert key has a runbook
  (keys compared spelling-free, `matching.titles.name_key`), and the most frequent keys without one.
- **Change**: value in the period minus value in the previous period; `change_pct` is that
  over the previous value (None when the previous value is 0 or missing).
"""
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pandas as pd

from matching.titles import name_key

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
URGENCIES = ("high", "low")
# PagerDuty's windows for its interruption reports, as they read on the cards.
BUSINESS_HOURS_LABEL = "Mon–Fri 08:00–18:00"
SLEEP_HOURS_LABEL = "22:00–08:00"
# The counted columns of every WindowCounts table: what is summed when rows are merged.
COUNTED = ("incidents", "high_urgency", "low_urgency", "open", "unresolved_at_end", "acknowledged", "tta_micros",
           "resolved_by_person", "person_micros", "resolved", "resolved_micros", "auto_resolved", "auto_micros",
           "marked_auto", "quick_auto_resolved")
CENTS = Decimal("0.01")
MICROS_PER_MINUTE = 60 * 10**6
QUICK_AUTO_RESOLVE_MINUTES = 5  # noisy alerts: auto-resolved within this long


@dataclass(frozen=True)
class Period:
    """Local days first_day..last_day (inclusive) in `timezone`."""

    first_day: date
    last_day: date
    timezone: str = "UTC"

    @property
    def start(self) -> pd.Timestamp:
        return _local_midnight(self.first_day, self.timezone)

    @property
    def end(self) -> pd.Timestamp:
        return _local_midnight(self.last_day + timedelta(days=1), self.timezone)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def previous(self) -> "Period":
        return Period(self.first_day - timedelta(days=self.days), self.first_day - timedelta(days=1), self.timezone)

    def label(self) -> str:
        return f"{self.first_day.isoformat()} to {self.last_day.isoformat()}"


def _local_midnight(day, timezone):
    # Where a DST change skips midnight (some zones do), the day starts at the first real instant; where
    # it repeats midnight (America/Havana), at the first of the two, as PostgreSQL's AT TIME ZONE counts it.
    return pd.Timestamp(day).tz_localize(timezone, nonexistent="shift_forward", ambiguous=True)


def last_days(days: int, today: date, timezone: str) -> Period:
    """The `days` local days ending with `today` (today included)."""
    return Period(today - timedelta(days=days - 1), today, timezone)


def with_alert_groups(incidents: pd.DataFrame, alert_keys: dict[str, str]) -> pd.DataFrame:
    """The frame with an `alert_key` column from {alert group: key} (`window_counts.latest_titles`'
    groups: "k" + the stored title key, or "t" + the title where none was stored)."""
    groups = ("k" + incidents["title_key"]).fillna("t" + incidents["title"])
    return incidents.assign(alert_key=alert_keys_of(groups, alert_keys))


def alert_keys_of(groups: pd.Series, alert_keys: Mapping[str, str]) -> pd.Series:
    """Each alert group's key; a group not named yet (written since the names were worked out) goes by
    its own words: the title key, or the title."""
    return groups.map(alert_keys).fillna(groups.str[1:])


def ranked(counts: pd.Series) -> pd.Series:
    """Most first; ties by name, so a list never reorders between two requests."""
    return counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")


def mean_minutes(micros: int, count: int) -> float | None:
    """Microseconds over a count, exactly, in minutes to two places (None without a count)."""
    return None if not count else float((Decimal(int(micros)) / int(count) / MICROS_PER_MINUTE).quantize(
        CENTS, ROUND_HALF_EVEN))


def of_period(table: pd.DataFrame, current: bool) -> pd.DataFrame:
    """A WindowCounts table's rows of the chosen period (True) or of the one before it (False)."""
    return table[table["current"] == current]


def period_totals(counts: pd.DataFrame) -> dict[str, float]:
    """The COUNTED sums of a table's rows (zeros when it has none)."""
    return {column: counts[column].sum() if len(counts) else 0 for column in COUNTED}


def totals(row: Mapping[str, float]) -> dict[str, int]:
    return {name: int(row[name]) for name in ("incidents", "high_urgency", "low_urgency", "open", "acknowledged")}


def mtta_minutes(row: Mapping[str, float]) -> float | None:
    return mean_minutes(row["tta_micros"], row["acknowledged"])


def mttr_minutes(row: Mapping[str, float]) -> float | None:
    """Created to resolved over the incidents a person resolved: not auto-resolved, not merged away."""
    return mean_minutes(row["person_micros"], row["resolved_by_person"])


def mttr_all_minutes(row: Mapping[str, float]) -> float | None:
    """PagerDuty Insights' MTTR: created to resolved over every resolved incident, auto-resolved ones included."""
    return mean_minutes(row["resolved_micros"], row["resolved"])


def auto_resolved(row: Mapping[str, float]) -> dict[str, float | None]:
    incidents, auto = int(row["incidents"]), int(row["auto_resolved"])
    return {"count": auto, "share": round(auto / incidents, 4) if incidents else None,
            "mean_minutes": mean_minutes(row["auto_micros"], auto)}


def hour_weekday_matrix(hours: pd.DataFrame) -> pd.DataFrame:
    """7 x 24 counts: rows Mon..Sun, columns local hours 0..23."""
    matrix = np.zeros((7, 24), dtype=int)
    np.add.at(matrix, (hours["weekday"].to_numpy(int), hours["hour"].to_numpy(int)), hours["incidents"].to_numpy(int))
    return pd.DataFrame(matrix, index=list(WEEKDAYS), columns=range(24))


def interruptions(hours: pd.DataFrame) -> dict[str, int]:
    """Incidents per PagerDuty window from counts per local weekday and hour: sleep 22:00-08:00 every
    day (sleep wins), business 08:00-18:00 Monday to Friday, off hours the rest."""
    matrix = hour_weekday_matrix(hours).to_numpy()
    sleep = int(matrix[:, [*range(8), 22, 23]].sum())
    business = int(matrix[:5, 8:18].sum())
    return {"business": business, "off": int(matrix.sum()) - sleep - business, "sleep": sleep}


def per_day(days: pd.DataFrame, period: "Period") -> pd.DataFrame:
    """One row per local day of the period (zeros included), a column per urgency."""
    every_day = pd.date_range(period.first_day, period.last_day, freq="D").date
    counts = days.groupby(["day", "urgency"])["incidents"].sum().unstack(fill_value=0) \
        if len(days) else pd.DataFrame()
    counts = counts.reindex(index=every_day)
    for urgency in URGENCIES:
        if urgency not in counts.columns:
            counts[urgency] = 0
    return counts.fillna(0).astype(int)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def per_week(days: pd.DataFrame) -> pd.Series:
    """Incidents per local week, indexed by its Monday (weeks with incidents only)."""
    if not len(days):
        return pd.Series(dtype=int)
    return days.groupby(days["day"].map(monday))["incidents"].sum().sort_index()


def response_trend(days: pd.DataFrame, step: str) -> list[dict[str, object]]:
    """Per local week (its Monday) or day: incidents, mtta_minutes, mttr_minutes (None without data)."""
    if not len(days):
        return []
    start = days["day"].map(monday) if step == "week" else days["day"]
    sums = days.groupby(start)[list(COUNTED)].sum().sort_index()
    return [{"start": bucket.isoformat(), "incidents": int(row["incidents"]), "mtta_minutes": mtta_minutes(row),
             "mttr_minutes": mttr_minutes(row)} for bucket, row in sums.iterrows()]


def alert_counts(alerts: pd.DataFrame, alert_keys: Mapping[str, str]) -> pd.DataFrame:
    """The per-group counts summed per alert key (groups the matcher names alike are one alert), with
    the latest creation time of each."""
    keyed = alerts.assign(alert_key=alert_keys_of(alerts["alert_group"], alert_keys))
    grouped = keyed.groupby(["current", "alert_key"], as_index=False)
    return grouped[list(COUNTED)].sum().merge(grouped["last_created"].max(), on=["current", "alert_key"])


def top_alert_keys(current: pd.DataFrame, previous: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """DataFrame alert_key, count, previous, change: the period's N most frequent keys (from alert_counts)."""
    top = ranked(current.set_index("alert_key")["incidents"]).head(n)
    before = previous.set_index("alert_key")["incidents"]
    frame = pd.DataFrame({"alert_key": top.index, "count": top.to_numpy().astype(int)})
    frame["previous"] = frame["alert_key"].map(before).fillna(0).astype(int)
    frame["change"] = frame["count"] - frame["previous"]
    return frame


def noisy_alerts(current: pd.DataFrame, min_count: int = 5, min_quick_share: float = 0.5, n: int = 10) -> pd.DataFrame:
    """DataFrame alert_key, count, auto_resolved, quick_auto_resolved, quick_share (noisiest first): keys
    with at least `min_count` incidents, at least `min_quick_share` of them auto-resolved within
    QUICK_AUTO_RESOLVE_MINUTES."""
    per_key = pd.DataFrame({"alert_key": current["alert_key"], "count": current["incidents"].astype(int),
                            "auto_resolved": current["marked_auto"].astype(int),
                            "quick_auto_resolved": current["quick_auto_resolved"].astype(int)})
    per_key = per_key.sort_values("alert_key", kind="stable")
    per_key["quick_share"] = (per_key["quick_auto_resolved"] / per_key["count"]).round(4)
    noisy = per_key[(per_key["count"] >= min_count) & (per_key["quick_share"] >= min_quick_share)]
    return noisy.sort_values(["count", "quick_share"], ascending=False, kind="stable").head(n).reset_index(drop=True)


def has_runbooks(alert_keys: Iterable[str], covered_keys: Iterable[str]) -> list[bool]:
    covered = {name_key(key) for key in covered_keys}
    return [name_key(key) in covered for key in alert_keys]


def runbook_coverage(current: pd.DataFrame, covered_keys: Collection[str], n: int = 10) -> dict:
    """Share of incidents whose alert key has a runbook (keys compared spelling-free), and the top keys
    without one."""
    counts = current.set_index("alert_key")["incidents"].astype(int)
    has_runbook = pd.Series(has_runbooks(counts.index, covered_keys), index=counts.index, dtype=bool)
    incidents, covered = int(counts.sum()), int(counts[has_runbook].sum())
    missing = ranked(counts[~has_runbook])
    return {"incidents": incidents, "covered": covered,
            "share": round(covered / incidents, 4) if incidents else None,
            "without_runbook": [{"alert_key": key, "count": int(count)} for key, count in missing.head(n).items()]}


def change(current: float | None, previous: float | None) -> dict[str, float | None]:
    """{value, previous, change, change_pct} for a KPI card (None-safe)."""
    if current is None or previous is None:
        return {"value": current, "previous": previous, "change": None, "change_pct": None}
    delta = round(current - previous, 2)
    pct = round(100 * delta / previous, 1) if previous else None
    return {"value": current, "previous": previous, "change": delta, "change_pct": pct}
