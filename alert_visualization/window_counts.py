"""The dashboard's counts, made where the incidents are: one grouped query in PostgreSQL.

A window (the chosen period and the one before it) of 100,000 incidents used to travel to
pandas whole on every new period or filter.  Instead, one scan with GROUPING SETS returns a
few small tables of counts and sums of seconds -- per period, per alert, per local day and
urgency, per local weekday and hour, per service -- from which `summary.build_summary` works out
every figure with the definitions of `metrics` (means are sums over counts, so a week's mean
is made from its days exactly).  Local days and hours are PostgreSQL's `AT TIME ZONE`, which
counts a DST change's hours as pandas' `tz_convert` does.
"""
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from alert_visualization.incident_store import NO_SERVICE

if TYPE_CHECKING:
    from database.connection import Connection

QUICK_AUTO_RESOLVE_SECONDS = 5 * 60  # metrics.noisy_alerts' quick_minutes
OPEN_LISTED = 20

# What every grouping counts; "seconds" are summed exactly (numeric, read as Decimal), so a mean
# rounds as the exact value does, whatever order the incidents were added in.
AGGREGATES = """
    count(*) AS incidents,
    count(*) FILTER (WHERE urgency = 'high') AS high_urgency,
    count(*) FILTER (WHERE urgency = 'low') AS low_urgency,
    count(*) FILTER (WHERE is_open) AS open,
    count(tta) AS acknowledged, COALESCE(sum(tta), 0) AS tta_seconds,
    count(ttr) FILTER (WHERE NOT auto AND NOT merged) AS resolved_by_person,
    COALESCE(sum(ttr) FILTER (WHERE NOT auto AND NOT merged), 0) AS person_seconds,
    count(ttr) AS resolved, COALESCE(sum(ttr), 0) AS resolved_seconds,
    count(ttr) FILTER (WHERE auto) AS auto_resolved, COALESCE(sum(ttr) FILTER (WHERE auto), 0) AS auto_seconds,
    count(*) FILTER (WHERE auto) AS marked_auto,
    count(*) FILTER (WHERE auto AND ttr <= %(quick)s) AS quick_auto_resolved
"""
# Which grouping a row belongs to: GROUPING() over these columns is a bitmask, 1 where a column
# is not part of the row's grouping.
GROUPED_COLUMNS = ("alert_group", "weekday", "hour", "day", "urgency", "service")
GROUPINGS = {
    "period": (),
    "alerts": ("alert_group",),
    "hours": ("weekday", "hour"),
    "days": ("day", "urgency"),
    "services": ("service",),
}


def _grouping_mask(columns):
    width = len(GROUPED_COLUMNS)
    return sum(1 << (width - 1 - i) for i, column in enumerate(GROUPED_COLUMNS) if column not in columns)


@dataclass(frozen=True)
class WindowCounts:
    """The counts of one window, each table with a boolean `current` (the chosen period, else the one
    before it) and the AGGREGATES columns.  `alerts` is keyed by `alert_group`: the stored title key
    ("k" + key), or the title itself ("t" + title) for a row stored before title keys existed."""

    period: pd.DataFrame
    alerts: pd.DataFrame
    hours: pd.DataFrame
    days: pd.DataFrame
    services: pd.DataFrame
    open_incidents: list[dict[str, object]]


def _filters(service, urgency):
    clauses = []
    if service:
        clauses.append("AND COALESCE(service_name, %(no_service)s) = %(service)s")
    if urgency:
        clauses.append("AND urgency = %(urgency)s")
    return " ".join(clauses)


def read_window_counts(conn: "Connection", since: datetime, start: datetime, until: datetime, timezone: str,
                       service: str | None = None, urgency: str | None = None) -> WindowCounts:
    """Counts of the incidents created in [since, until) of one service and/or urgency (None: all);
    those created from `start` on are the current period's."""
    params = {"since": since, "start": start, "until": until, "timezone": timezone, "service": service,
              "urgency": urgency, "no_service": NO_SERVICE, "quick": QUICK_AUTO_RESOLVE_SECONDS}
    sets = ", ".join("(" + ", ".join(("current", *columns)) + ")" for columns in GROUPINGS.values())
    with conn, conn.cursor() as cur:
        cur.execute(f"""
            WITH window_incidents AS (
                SELECT created_at >= %(start)s AS current,
                       COALESCE('k' || title_key, 't' || title) AS alert_group,
                       EXTRACT(ISODOW FROM created_at AT TIME ZONE %(timezone)s)::int - 1 AS weekday,
                       EXTRACT(HOUR FROM created_at AT TIME ZONE %(timezone)s)::int AS hour,
                       (created_at AT TIME ZONE %(timezone)s)::date AS day,
                       urgency, COALESCE(service_name, %(no_service)s) AS service,
                       status <> 'resolved' AS is_open,
                       EXTRACT(EPOCH FROM first_acknowledged_at - created_at) AS tta,
                       EXTRACT(EPOCH FROM resolved_at - created_at) AS ttr,
                       COALESCE(auto_resolved, false) AS auto, merged_into IS NOT NULL AS merged
                FROM incidents
                WHERE created_at >= %(since)s AND created_at < %(until)s {_filters(service, urgency)}
            )
            SELECT GROUPING({", ".join(GROUPED_COLUMNS)}) AS grouping, current, {", ".join(GROUPED_COLUMNS)},
                   {AGGREGATES}
            FROM window_incidents GROUP BY GROUPING SETS ({sets})
            """, params)
        columns = [column.name for column in cur.description]
        rows = pd.DataFrame.from_records(cur.fetchall(), columns=columns)
        cur.execute(f"""
            SELECT id, title, status, urgency, COALESCE(service_name, %(no_service)s), created_at, html_url
            FROM incidents
            WHERE created_at >= %(start)s AND created_at < %(until)s AND status <> 'resolved'
                {_filters(service, urgency)}
            ORDER BY created_at DESC, id LIMIT {OPEN_LISTED}
            """, params)
        open_rows = cur.fetchall()
    tables = {name: _grouping(rows, columns) for name, columns in GROUPINGS.items()}
    listed = [{"id": incident_id, "title": title, "status": status, "urgency": urgency_name, "service": service_name,
               "created_at": pd.Timestamp(created).tz_convert("UTC").isoformat(), "html_url": url}
              for incident_id, title, status, urgency_name, service_name, created, url in open_rows]
    return WindowCounts(**tables, open_incidents=listed)


def _grouping(rows, columns):
    """One grouping's rows, with only its own columns."""
    chosen = rows[rows["grouping"] == _grouping_mask(columns)] if len(rows) else rows
    kept = ["current", *columns, *(column for column in rows.columns
                                   if column not in GROUPED_COLUMNS and column not in ("grouping", "current"))]
    return chosen[kept].reset_index(drop=True)


def latest_titles(conn: "Connection", since: datetime, until: datetime) -> dict[str, str]:
    """{alert_group: the latest title in it} over [since, until), every service and urgency: what the
    matcher is asked about to name the alert (as `metrics.with_alert_keys` asks)."""
    with conn, conn.cursor() as cur:
        cur.execute("""
            SELECT DISTINCT ON (alert_group) alert_group, title FROM (
                SELECT COALESCE('k' || title_key, 't' || title) AS alert_group, title, created_at
                FROM incidents WHERE created_at >= %s AND created_at < %s) AS window_titles
            ORDER BY alert_group, created_at DESC
            """, (since, until))
        return dict(cur.fetchall())
