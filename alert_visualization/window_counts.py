"""The dashboard's counts, made where the incidents are: one grouped query in PostgreSQL.

A window (the chosen period and the one before it) of 100,000 incidents used to travel to
pandas whole on every new period or filter.  Instead, one scan with GROUPING SETS returns a
few small tables of counts and sums of durations -- per period, per alert, per local day and
urgency, per local weekday and hour, per service -- from which `summary.build_summary` works out
every figure with the definitions of `metrics` (means are sums over counts, so a week's mean
is made from its days exactly); the handoff mailer reads its weeks the same way.  Local days
and hours are PostgreSQL's `AT TIME ZONE`, which counts a DST change's hours as pandas'
`tz_convert` does.
"""
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from alert_visualization.incident_store import NO_SERVICE, narrowed
from alert_visualization.metrics import COUNTED, QUICK_AUTO_RESOLVE_MINUTES, Period

if TYPE_CHECKING:
    from database.connection import Connection

OPEN_LISTED = 20

# What every grouping counts.  Durations are summed in whole microseconds (bigint: cheap to sum and
# to add up again in pandas, and exact), so a mean rounds as the exact value does.
AGGREGATES = """
    count(*) AS incidents,
    count(*) FILTER (WHERE urgency = 'high') AS high_urgency,
    count(*) FILTER (WHERE urgency = 'low') AS low_urgency,
    count(*) FILTER (WHERE is_open) AS open,
    count(*) FILTER (WHERE unresolved_then) AS unresolved_at_end,
    count(tta) AS acknowledged, COALESCE(sum(tta), 0)::bigint AS tta_micros,
    count(ttr) FILTER (WHERE NOT auto AND NOT merged) AS resolved_by_person,
    COALESCE(sum(ttr) FILTER (WHERE NOT auto AND NOT merged), 0)::bigint AS person_micros,
    count(ttr) AS resolved, COALESCE(sum(ttr), 0)::bigint AS resolved_micros,
    count(ttr) FILTER (WHERE auto) AS auto_resolved, COALESCE(sum(ttr) FILTER (WHERE auto), 0)::bigint AS auto_micros,
    count(*) FILTER (WHERE auto) AS marked_auto,
    count(*) FILTER (WHERE auto AND ttr <= %(quick)s) AS quick_auto_resolved,
    (date_part('epoch', max(created_at)) * 1e6)::bigint AS last_created
"""
# Enough memory for every grouping to be hashed in one pass (the default 4 MB makes PostgreSQL sort
# the window on disk, three times slower).
GROUPING_WORK_MEM = "64MB"
# Which grouping a row belongs to: GROUPING() over these columns is a bitmask, 1 where a column
# is not part of the row's grouping.
GROUPED_COLUMNS = ("current", "alert_group", "weekday", "hour", "day", "urgency", "service")
# A window (the handoff's week and the week before): each table per period.
WINDOW_GROUPINGS = {
    "period": ("current",),
    "alerts": ("current", "alert_group"),
    "hours": ("current", "weekday", "hour"),
    "days": ("current", "day", "urgency"),
    "services": ("current", "service"),
}
# Local days (the dashboard's periods are whole days): per day, fine enough that any period and
# filter made of those days is a sum of rows (window_from_days), so a new filter asks nothing of
# PostgreSQL and a new period only asks for the days not read yet.  The local hours (the heatmap) are
# counted apart, by a query that counts and nothing else: the AGGREGATES over 16,000 hour rows were
# most of the scan's time.
DAY_GROUPINGS = {"alerts": ("day", "urgency", "service", "alert_group")}


def _grouping_mask(columns, grouped):
    """GROUPING(*grouped) of a row grouped by `columns`."""
    return sum(1 << (len(grouped) - 1 - i) for i, column in enumerate(grouped) if column not in columns)


@dataclass(frozen=True)
class WindowCounts:
    """The counts of one window, each table with a boolean `current` (the chosen period, else the one
    before it) and the AGGREGATES columns (summed from day counts, `hours` has only `incidents`, and
    `unresolved_at_end` is 0: only the handoff's read_window_counts knows a moment to count it at).
    `alerts` is keyed by `alert_group`: the stored title key ("k" + key), or the title itself ("t" +
    title) for a row stored before title keys existed.  `open_incidents`: the dashboard's list of the
    newest open ones (empty from read_window_counts; the handoff reads its own, as of its moment)."""

    period: pd.DataFrame
    alerts: pd.DataFrame
    hours: pd.DataFrame
    days: pd.DataFrame
    services: pd.DataFrame
    open_incidents: list[dict[str, object]]


@dataclass(frozen=True)
class DayCounts:
    """The counts of local days first_day..last_day: `alerts` per day, urgency, service and alert group
    (with the AGGREGATES columns), `hours` the incidents per day, local hour, urgency and service."""

    first_day: date
    last_day: date
    alerts: pd.DataFrame
    hours: pd.DataFrame

    def without(self, days: set[date]) -> "DayCounts":
        """These counts with the rows of `days` left out (to be read again and joined)."""
        return DayCounts(self.first_day, self.last_day, self.alerts[~self.alerts["day"].isin(days)],
                         self.hours[~self.hours["day"].isin(days)])

    def joined(self, other: "DayCounts") -> "DayCounts":
        """These days and `other`'s (which must not overlap them), as one."""
        return DayCounts(min(self.first_day, other.first_day), max(self.last_day, other.last_day),
                         pd.concat([self.alerts, other.alerts], ignore_index=True),
                         pd.concat([self.hours, other.hours], ignore_index=True))


def _grouped_counts(cur, groupings, params, service=None, urgency=None):
    """{name: table} of one scan of [since, until) grouped by each of `groupings`."""
    sets = ", ".join("(" + ", ".join(columns) + ")" for columns in groupings.values())
    grouped = [column for column in GROUPED_COLUMNS if any(column in columns for columns in groupings.values())]
    cur.execute(f"SET LOCAL work_mem = '{GROUPING_WORK_MEM}'")
    cur.execute(f"""
        WITH window_incidents AS (
            SELECT created_at >= %(start)s AS current,
                   COALESCE('k' || title_key, 't' || title) AS alert_group,
                   EXTRACT(ISODOW FROM local_created)::int - 1 AS weekday,
                   EXTRACT(HOUR FROM local_created)::int AS hour, local_created::date - DATE '1970-01-01' AS day,
                   urgency, COALESCE(service_name, %(no_service)s) AS service,
                   status <> 'resolved' AS is_open, created_at,
                   resolved_at IS NULL OR resolved_at > %(until)s AS unresolved_then,
                   (date_part('epoch', first_acknowledged_at - created_at) * 1e6)::bigint AS tta,
                   (date_part('epoch', resolved_at - created_at) * 1e6)::bigint AS ttr,
                   COALESCE(auto_resolved, false) AS auto, merged_into IS NOT NULL AS merged
            FROM (
                -- OFFSET 0 keeps this a subquery of its own: the local time is worked out once a row,
                -- not once for each of weekday, hour and day.
                SELECT created_at AT TIME ZONE %(timezone)s AS local_created, created_at, title_key, title,
                       urgency, service_name, status, first_acknowledged_at, resolved_at, auto_resolved, merged_into
                FROM incidents
                WHERE created_at >= %(since)s AND created_at < %(until)s {narrowed(service, urgency)}
                OFFSET 0) AS chosen
        )
        SELECT GROUPING({", ".join(grouped)}) AS grouping, {", ".join(grouped)}, {AGGREGATES}
        FROM window_incidents GROUP BY GROUPING SETS ({sets})
        """, {"no_service": NO_SERVICE, "quick": QUICK_AUTO_RESOLVE_MINUTES * 60 * 10**6, "service": service,
              "urgency": urgency, **params})
    rows = pd.DataFrame.from_records(cur.fetchall(), columns=[column.name for column in cur.description])
    # Days and times travel as numbers (reading thousands of date and timestamp values one by one is
    # slower than the query) and become dates and UTC times here, a column at a time.
    rows["day"] = pd.to_datetime(rows["day"], unit="D").dt.date
    rows["last_created"] = pd.to_datetime(rows["last_created"], unit="us", utc=True)
    return {name: _grouping(rows, columns, grouped) for name, columns in groupings.items()}


def read_window_counts(conn: "Connection", since: datetime, start: datetime, until: datetime,
                       timezone: str) -> WindowCounts:
    """Counts of the incidents created in [since, until): those from `start` on are the current period's
    (the handoff's week), the others the period before it."""
    params = {"since": since, "start": start, "until": until, "timezone": timezone}
    with conn, conn.cursor() as cur:
        tables = _grouped_counts(cur, WINDOW_GROUPINGS, params)
    return WindowCounts(**tables, open_incidents=[])


def day_counts_in(cur, first_day: date, last_day: date, timezone: str,
                  count_hours_elsewhere: "Callable[[dict], Future[pd.DataFrame]] | None" = None) -> DayCounts:
    """Counts of the incidents created on local days first_day..last_day, per day (DAY_GROUPINGS and the
    hours), in the transaction of `cur` (REPEATABLE READ, so both counts see one snapshot).
    `count_hours_elsewhere(params)`, when given,
    starts the hours' count on another connection (in this transaction's snapshot) while this one
    counts the alerts: the two scans then take one core each."""
    days = Period(first_day, last_day, timezone)
    params = {"since": days.start, "start": days.start, "until": days.end, "timezone": timezone}
    hours = count_hours_elsewhere(params) if count_hours_elsewhere else None
    alerts = _grouped_counts(cur, DAY_GROUPINGS, params)["alerts"]
    # "Not resolved at the end" would mean the end of this read, not of a period: day counts have none.
    alerts["unresolved_at_end"] = 0
    return DayCounts(first_day, last_day, alerts, hours.result() if hours else hour_counts(cur, params))


def hour_counts(cur, params: dict) -> pd.DataFrame:
    """Incidents per local hour, urgency and service, with the hour's day and weekday (DayCounts.hours)."""
    cur.execute("""
        SELECT date_part('epoch', date_trunc('hour', local_created))::bigint AS local_hour, urgency,
               COALESCE(service_name, %(no_service)s) AS service, count(*) AS incidents
        FROM (SELECT created_at AT TIME ZONE %(timezone)s AS local_created, urgency, service_name
              FROM incidents WHERE created_at >= %(since)s AND created_at < %(until)s OFFSET 0) AS chosen
        GROUP BY 1, 2, 3
        """, {"no_service": NO_SERVICE, **params})
    rows = pd.DataFrame.from_records(cur.fetchall(), columns=["local_hour", "urgency", "service", "incidents"])
    local = pd.to_datetime(rows.pop("local_hour"), unit="s")  # the wall-clock hour, as if it were UTC
    rows.insert(0, "day", local.dt.date)
    rows.insert(1, "weekday", local.dt.day_of_week)
    rows.insert(2, "hour", local.dt.hour)
    return rows


def read_open_incidents(conn: "Connection", start: datetime, until: datetime, service: str | None = None,
                        urgency: str | None = None) -> list[dict[str, object]]:
    """The newest OPEN_LISTED incidents created in [start, until) that are not resolved."""
    with conn, conn.cursor() as cur:
        cur.execute(f"""
            SELECT id, title, status, urgency, COALESCE(service_name, %(no_service)s), created_at, html_url
            FROM incidents
            WHERE created_at >= %(start)s AND created_at < %(until)s AND status <> 'resolved'
                {narrowed(service, urgency)}
            ORDER BY created_at DESC, id LIMIT {OPEN_LISTED}
            """, {"start": start, "until": until, "service": service, "urgency": urgency, "no_service": NO_SERVICE})
        return [{"id": incident_id, "title": title, "status": status, "urgency": urgency_name,
                 "service": service_name, "created_at": pd.Timestamp(created).tz_convert("UTC").isoformat(),
                 "html_url": url}
                for incident_id, title, status, urgency_name, service_name, created, url in cur.fetchall()]


def window_from_days(days: DayCounts, period: Period, service: str | None = None, urgency: str | None = None,
                     open_incidents: list[dict[str, object]] = ()) -> WindowCounts:
    """The WindowCounts of `period` and the one before it, of one service and/or urgency (None: all),
    summed from per-day counts that cover both (pure)."""
    first, last = period.previous().first_day, period.last_day
    alerts, hours = days.alerts, days.hours
    chosen = (alerts["day"] >= first) & (alerts["day"] <= last)
    chosen_hours = (hours["day"] >= first) & (hours["day"] <= last)
    for column, value in (("service", service), ("urgency", urgency)):
        if value:
            chosen &= alerts[column] == value
            chosen_hours &= hours[column] == value
    alerts = alerts[chosen].assign(current=alerts["day"] >= period.first_day)
    hours = hours[chosen_hours].assign(current=hours["day"] >= period.first_day)

    def summed(table, by, columns=COUNTED):
        grouped = table.groupby(list(by), as_index=False)
        totals = grouped[list(columns)].sum()
        return totals.merge(grouped["last_created"].max(), on=list(by)) if "alert_group" in by else totals

    return WindowCounts(period=summed(alerts, ["current"]), alerts=summed(alerts, ["current", "alert_group"]),
                        hours=summed(hours, ["current", "weekday", "hour"], ["incidents"]),
                        days=summed(alerts, ["current", "day", "urgency"]),
                        services=summed(alerts, ["current", "service"]), open_incidents=list(open_incidents))


def _grouping(rows, columns, grouped):
    """One grouping's rows, with only its own columns."""
    chosen = rows[rows["grouping"] == _grouping_mask(columns, grouped)] if len(rows) else rows
    kept = [*columns, *(column for column in rows.columns if column not in GROUPED_COLUMNS and column != "grouping")]
    return chosen[kept].reset_index(drop=True)


def latest_titles(conn: "Connection", alerts: pd.DataFrame) -> dict[str, str]:
    """{alert_group: its latest title} for the groups of an `alerts` table (WindowCounts.alerts, both
    periods): what the matcher is asked about to name the alert (found through the title-key index at
    each group's `last_created`, a lookup per group)."""
    last_created = alerts.groupby("alert_group")["last_created"].max().to_dict() if len(alerts) else {}
    keyed = {group: at for group, at in last_created.items() if group.startswith("k")}
    titles = {group: group[1:] for group in last_created if group.startswith("t")}
    with conn, conn.cursor() as cur:
        cur.execute("""
            SELECT DISTINCT ON (title_key) 'k' || title_key, title
            FROM incidents JOIN unnest(%s::text[], %s::timestamptz[]) AS latest(title_key, created_at)
                USING (title_key, created_at)
            ORDER BY title_key, id DESC
            """, ([group[1:] for group in keyed], list(keyed.values())))
        titles.update(cur.fetchall())
    return titles
