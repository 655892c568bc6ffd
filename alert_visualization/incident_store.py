"""The incidents table and the sync's bookkeeping in PostgreSQL (every query of this package).

Each function takes an open psycopg2 connection; callers own transactions.
"""
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd
from psycopg2.extras import execute_values

from matching.titles import alert_key

if TYPE_CHECKING:
    from psycopg2.extensions import cursor as Cursor

    from database.connection import Connection

INCIDENT_COLUMNS = (
    "id", "incident_number", "title", "status", "urgency", "service_id", "service_name",
    "created_at", "first_acknowledged_at", "resolved_at", "auto_resolved", "html_url", "source", "merged_into",
)
NO_SERVICE = "(no service)"  # what an incident without a service is listed under
# Rows stored before the title keys existed get theirs this many at a time, on each sync.
TITLE_KEY_BATCH = 20_000


def upsert_incidents(cur: "Cursor", incidents: list[dict[str, object]]) -> None:
    """Insert or update incidents by id.

    Acknowledge and resolve times come from log entries, so an incident record never
    clears them; a CSV row (source='csv') brings its own and may set them.
    """
    if not incidents:
        return
    rows = [(*(incident.get(column) for column in INCIDENT_COLUMNS), alert_key(incident.get("title")))
            for incident in incidents]
    execute_values(cur, f"""
        INSERT INTO incidents ({", ".join(INCIDENT_COLUMNS)}, title_key) VALUES %s
        ON CONFLICT (id) DO UPDATE SET
            incident_number = EXCLUDED.incident_number, title = EXCLUDED.title, title_key = EXCLUDED.title_key,
            status = EXCLUDED.status, urgency = EXCLUDED.urgency,
            service_id = EXCLUDED.service_id, service_name = EXCLUDED.service_name,
            created_at = EXCLUDED.created_at, html_url = EXCLUDED.html_url,
            first_acknowledged_at = COALESCE(EXCLUDED.first_acknowledged_at, incidents.first_acknowledged_at),
            resolved_at = COALESCE(EXCLUDED.resolved_at, incidents.resolved_at),
            auto_resolved = COALESCE(EXCLUDED.auto_resolved, incidents.auto_resolved),
            merged_into = COALESCE(EXCLUDED.merged_into, incidents.merged_into),
            synced_at = now()
        """, rows, page_size=500)


def apply_acknowledgements(cur: "Cursor", first_acks: dict[str, datetime]) -> None:
    """{incident_id: time of a person's acknowledgement}: keep the earliest one."""
    if first_acks:
        execute_values(cur, """
            UPDATE incidents SET
                first_acknowledged_at = LEAST(COALESCE(incidents.first_acknowledged_at, v.at), v.at),
                status = CASE WHEN incidents.status = 'triggered' THEN 'acknowledged' ELSE incidents.status END
            FROM (VALUES %s) AS v(id, at) WHERE incidents.id = v.id
            """, list(first_acks.items()), template="(%s, %s::timestamptz)", page_size=1000)


def apply_resolutions(cur: "Cursor", resolutions: dict[str, tuple[datetime, bool]]) -> None:
    """{incident_id: (resolved_at, auto_resolved)} from resolve log entries."""
    if resolutions:
        rows = [(incident_id, at, auto) for incident_id, (at, auto) in resolutions.items()]
        execute_values(cur, """
            UPDATE incidents SET resolved_at = v.at, auto_resolved = v.auto, status = 'resolved'
            FROM (VALUES %s) AS v(id, at, auto) WHERE incidents.id = v.id
            """, rows, template="(%s, %s::timestamptz, %s::boolean)", page_size=1000)


def apply_history(cur: "Cursor", resolvers: dict[str, str], notes: dict[str, tuple[datetime, str]]) -> None:
    """Who resolved each incident, and its newest note, from log entries (the bot's "seen before")."""
    if resolvers:
        execute_values(cur, "UPDATE incidents SET resolved_by = v.who FROM (VALUES %s) AS v(id, who) "
                            "WHERE incidents.id = v.id", list(resolvers.items()), page_size=1000)
    if notes:
        rows = [(incident_id, at, text) for incident_id, (at, text) in notes.items()]
        execute_values(cur, "UPDATE incidents SET last_note = v.text, last_note_at = v.at "
                            "FROM (VALUES %s) AS v(id, at, text) WHERE incidents.id = v.id"
                            " AND (incidents.last_note_at IS NULL OR incidents.last_note_at <= v.at)",
                       rows, template="(%s, %s::timestamptz, %s)", page_size=1000)


def mark_incidents_changed(conn: "Connection") -> None:
    """Move the incidents' version once more, after a writer's commit.  The trigger moves it while the
    writer's transaction is still open (a sequence is not transactional), so a dashboard reading in
    between keeps the old counts under the new version; this second move makes it read them again."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT nextval('incidents_version')")


def fill_title_keys(cur: "Cursor", batch: int = TITLE_KEY_BATCH) -> int:
    """Give up to `batch` incidents stored without a title key theirs; how many were given one."""
    cur.execute("SELECT id, title FROM incidents WHERE title_key IS NULL LIMIT %s", (batch,))
    rows = [(incident_id, alert_key(title)) for incident_id, title in cur.fetchall()]
    if rows:
        execute_values(cur, "UPDATE incidents SET title_key = v.key FROM (VALUES %s) AS v(id, key) "
                            "WHERE incidents.id = v.id", rows, page_size=1000)
    return len(rows)


def open_incidents(cur: "Cursor", resolved_without_time: bool = False) -> dict[str, datetime]:
    """{id: created_at} of the synced incidents stored as not resolved, or (resolved_without_time)
    those stored as resolved but with no resolve time."""
    condition = "status = 'resolved' AND resolved_at IS NULL" if resolved_without_time else "status <> 'resolved'"
    cur.execute(f"SELECT id, created_at FROM incidents WHERE {condition} AND source = 'api'")
    return dict(cur.fetchall())


def apply_incident_states(cur: "Cursor",
                          states: list[tuple[str, str, str, datetime | None, bool | None, str | None]]) -> None:
    """[(id, status, urgency, resolved_at, auto_resolved, merged_into)] read from the incidents themselves."""
    if states:
        execute_values(cur, """
            UPDATE incidents SET status = v.status, urgency = v.urgency,
                resolved_at = COALESCE(incidents.resolved_at, v.resolved_at),
                auto_resolved = COALESCE(incidents.auto_resolved, v.auto),
                merged_into = COALESCE(v.merged_into, incidents.merged_into), synced_at = now()
            FROM (VALUES %s) AS v(id, status, urgency, resolved_at, auto, merged_into) WHERE incidents.id = v.id
            """, states, template="(%s, %s, %s, %s::timestamptz, %s::boolean, %s)", page_size=500)


def synced_until(cur: "Cursor", stream: str) -> datetime | None:
    cur.execute("SELECT synced_until FROM pagerduty_sync_state WHERE stream = %s", (stream,))
    row = cur.fetchone()
    return row[0] if row else None


def set_synced_until(cur: "Cursor", stream: str, moment: datetime) -> None:
    cur.execute("""
        INSERT INTO pagerduty_sync_state (stream, synced_until) VALUES (%s, %s)
        ON CONFLICT (stream) DO UPDATE SET synced_until = EXCLUDED.synced_until, updated_at = now()
        """, (stream, moment))


def start_run(conn: "Connection") -> int:
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO pagerduty_sync_runs DEFAULT VALUES RETURNING id")
        return cur.fetchone()[0]


def finish_run(conn: "Connection", run_id: int, outcome: str, incidents: int, log_entries: int, requests_made: int,
               error: str | None = None) -> None:
    with conn, conn.cursor() as cur:
        cur.execute("""
            UPDATE pagerduty_sync_runs SET finished_at = now(), outcome = %s, incidents = %s,
                log_entries = %s, requests = %s, error = %s WHERE id = %s
            """, (outcome, incidents, log_entries, requests_made, error, run_id))


def last_sync(conn: "Connection") -> tuple[datetime | None, str | None]:
    """(finished_at, outcome) of the latest finished sync run, or (None, None)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT finished_at, outcome FROM pagerduty_sync_runs WHERE finished_at IS NOT NULL"
                    " ORDER BY finished_at DESC LIMIT 1")
        return cur.fetchone() or (None, None)


FRAME_COLUMNS = ("id", "incident_number", "title", "status", "urgency", "service_name",
                 "created_at", "first_acknowledged_at", "resolved_at", "auto_resolved", "html_url", "merged_into")
# What a frame read from the table also has: the title key the sync stored (migration 0071), so an
# alert's key is worked out once per alert, not once per title (titles differ in their values).
LOADED_COLUMNS = (*FRAME_COLUMNS, "title_key")


def narrowed(service: str | None, urgency: str | None) -> str:
    """The WHERE clauses for one service and/or urgency (None: all), with the parameters `service`,
    `urgency` and `no_service` (NO_SERVICE: how an incident without a service is chosen)."""
    return " ".join((["AND COALESCE(service_name, %(no_service)s) = %(service)s"] if service else [])
                    + (["AND urgency = %(urgency)s"] if urgency else []))


def load_incidents(conn: "Connection", since: datetime, until: datetime, service: str | None = None,
                   urgency: str | None = None) -> pd.DataFrame:
    """Incidents created in [since, until), of one service and/or urgency (None: all), as a DataFrame
    with UTC timestamps."""
    with conn, conn.cursor() as cur:
        cur.execute(f"""
            SELECT {", ".join(LOADED_COLUMNS)} FROM incidents
            WHERE created_at >= %(since)s AND created_at < %(until)s {narrowed(service, urgency)} ORDER BY created_at
            """, {"since": since, "until": until, "service": service, "urgency": urgency, "no_service": NO_SERVICE})
        rows = cur.fetchall()
    return incidents_frame(rows, LOADED_COLUMNS)


def incidents_frame(rows: Sequence[tuple], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows in FRAME_COLUMNS order (or LOADED_COLUMNS, with the stored title key) -> the DataFrame every
    metric takes; `columns` names them when there may be no rows to tell by."""
    columns = columns or (LOADED_COLUMNS if rows and len(rows[0]) == len(LOADED_COLUMNS) else FRAME_COLUMNS)
    frame = pd.DataFrame.from_records(list(rows), columns=list(columns))
    for column in ("created_at", "first_acknowledged_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["auto_resolved"] = frame["auto_resolved"].astype("boolean")
    frame["service_name"] = frame["service_name"].fillna(NO_SERVICE)
    return frame


def incident_count(conn: "Connection") -> int:
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM incidents")
        return cur.fetchone()[0]


def service_names(conn: "Connection") -> list[str]:
    with conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT service_name FROM incidents WHERE service_name IS NOT NULL ORDER BY 1")
        return [row[0] for row in cur.fetchall()]
