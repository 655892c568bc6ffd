"""Heartbeats: each process says it is alive and how its last step went.

The dashboard's status panel and /healthz read them; a process whose heartbeat is older
than three of its own intervals is stale.
"""
import json
import os
import socket
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import psycopg2.extensions
from psycopg2.extras import Json

STALE_AFTER_INTERVALS = 3


class Process(StrEnum):
    """Each long-running process's row in process_status: its name in the Procfile and the logs."""

    DOCS_MONITOR = "docs_monitor"
    SLACK_BOT = "slack_bot"
    HANDOFF_MAILER = "handoff_mailer"
    DASHBOARD = "dashboard"


def record_heartbeat(conn: psycopg2.extensions.connection, process: Process | str, interval_seconds: float,
                     outcome: str | None = None, **details: object) -> None:
    """Upsert this process's row; details merge into what earlier beats recorded."""
    details = {**details, "interval_seconds": interval_seconds}
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO process_status (process, host_pid, heartbeat_at, last_outcome, details)"
            " VALUES (%s, %s, now(), %s, %s)"
            " ON CONFLICT (process) DO UPDATE SET host_pid = EXCLUDED.host_pid, heartbeat_at = now(),"
            "  last_outcome = COALESCE(EXCLUDED.last_outcome, process_status.last_outcome),"
            "  details = process_status.details || EXCLUDED.details",
            (process, f"{socket.gethostname()}:{os.getpid()}", outcome, Json(details, dumps=_dumps)),
        )


def suite_status(conn: psycopg2.extensions.connection) -> list[dict[str, object]]:
    """[{process, heartbeat_at, age_seconds, stale, last_outcome, details}] by process name."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT process, heartbeat_at, EXTRACT(EPOCH FROM now() - heartbeat_at), last_outcome, details"
            " FROM process_status ORDER BY process"
        )
        rows = cur.fetchall()
    return [describe(*row) for row in rows]


def describe(process: str, heartbeat_at: datetime, age_seconds: Decimal | float, last_outcome: str | None,
             details: dict[str, object]) -> dict[str, object]:
    interval = float(details.get("interval_seconds") or 60)
    return {
        "process": process,
        "heartbeat_at": heartbeat_at.isoformat(),
        "age_seconds": round(float(age_seconds), 1),
        "stale": float(age_seconds) > STALE_AFTER_INTERVALS * interval,
        "last_outcome": last_outcome,
        "details": details,
    }


def _dumps(value):
    return json.dumps(value, default=str)
