"""Load a PagerDuty web-UI incident export (CSV) for teams without API access.

Columns are found by header name (case, spaces and punctuation ignored, several common
spellings accepted), so exports from different screens and years all load; a missing
column leaves its field empty.  A row without a title or creation time is skipped.

The web UI's incident export (`created_on`, `resolved_on`, `seconds_to_first_ack`,
`seconds_to_resolve`, `auto_resolved`, `acknowledged_by_user_names`, `urgency`, `service_name`, …)
has no acknowledgement time and no status: the first acknowledgement is `created_on` plus
`seconds_to_first_ack`, and the status follows from what happened.
"""
import csv
import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from alert_visualization import incident_store

if TYPE_CHECKING:
    from database.connection import Connection

log = logging.getLogger(__name__)

# field -> header spellings seen in PagerDuty exports, normalised by _header_key.
HEADERS = {
    "id": ("id", "incident_id", "incident_key_id"),
    "incident_number": ("incident_number", "number", "#", "no"),
    "title": ("title", "description", "summary", "incident_title", "name"),
    "status": ("status", "current_status"),
    "urgency": ("urgency",),
    "service_id": ("service_id",),
    "service_name": ("service_name", "service"),
    "created_at": ("created_on", "created_at", "created", "triggered_at", "opened_at"),
    "first_acknowledged_at": ("acknowledged_on", "first_acknowledged_at", "acknowledged_at", "first_ack_at"),
    "resolved_at": ("resolved_on", "resolved_at", "resolved"),
    "auto_resolved": ("auto_resolved", "autoresolved", "auto_resolve"),
    "html_url": ("html_url", "url", "incident_url", "link"),
    # The web UI's export has no acknowledgement time or status: durations from creation, and names.
    "seconds_to_first_ack": ("seconds_to_first_ack", "time_to_first_ack_seconds"),
    "seconds_to_resolve": ("seconds_to_resolve", "time_to_resolve_seconds"),
    "acknowledged_by": ("acknowledged_by_user_names", "acknowledged_by"),
}
_TRUE = {"true", "yes", "1", "y"}


def _header_key(header):
    text = header.strip().lower()
    return "#" if text == "#" else re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def column_map(headers: Iterable[str]) -> dict[str, int]:
    """{field: column index} for the fields whose column the export has."""
    positions = {_header_key(header): index for index, header in enumerate(headers)}
    found = {}
    for field, spellings in HEADERS.items():
        for spelling in spellings:
            if spelling in positions:
                found[field] = positions[spelling]
                break
    return found


def parse_export_time(text: str | None, zone: tzinfo) -> datetime | None:
    """An export timestamp; one without an offset is in the team's timezone."""
    text = (text or "").strip()
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def incident_from_row(row: Sequence[str], columns: dict[str, int], zone: tzinfo) -> dict[str, object] | None:
    """One CSV row -> an incidents-table row, or None when it lacks a title or creation time."""
    value = {field: (row[index].strip() if index < len(row) else "") for field, index in columns.items()}
    created = parse_export_time(value.get("created_at"), zone)
    if not value.get("title") or created is None:
        return None
    number = int(value["incident_number"]) if value.get("incident_number", "").isdigit() else None
    resolved = parse_export_time(value.get("resolved_at"), zone) or _after(created, value.get("seconds_to_resolve"))
    acknowledged = (parse_export_time(value.get("first_acknowledged_at"), zone)
                    or _after(created, value.get("seconds_to_first_ack")))
    derived_status = "resolved" if resolved else "acknowledged" if acknowledged or value.get("acknowledged_by") \
        else "triggered"
    status = (value.get("status") or derived_status).lower()
    auto = value.get("auto_resolved", "").lower()
    return {
        "id": value.get("id") or _derived_id(number, value["title"], created),
        "incident_number": number,
        "title": value["title"],
        "status": status,
        "urgency": (value.get("urgency") or "high").lower(),
        "service_id": value.get("service_id") or None,
        "service_name": value.get("service_name") or None,
        "created_at": created,
        "first_acknowledged_at": acknowledged,
        "resolved_at": resolved,
        "auto_resolved": (auto in _TRUE) if auto else None,
        "html_url": value.get("html_url") or None,
        "source": "csv",
    }


def _after(created, seconds):
    """`created` plus a duration in seconds from the export ('' or a negative one: none)."""
    try:
        duration = float(seconds)
    except (TypeError, ValueError):
        return None
    return created + timedelta(seconds=duration) if duration >= 0 else None


def _derived_id(number, title, created):
    """A stable id for a row without one, so importing the same file twice updates it."""
    digest = hashlib.sha1(f"{number}|{title}|{created.isoformat()}".encode()).hexdigest()[:12]
    return f"csv-{digest}"


def incidents_from_csv(lines: Iterable[str], zone: tzinfo) -> tuple[list[dict[str, object]], int]:
    """(incident rows, skipped count) from the export's lines."""
    reader = csv.reader(lines)
    headers = next(reader, [])
    columns = column_map(headers)
    incidents, skipped = [], 0
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        try:
            incident = incident_from_row(row, columns, zone)
        except ValueError:
            incident = None
        if incident is None:
            skipped += 1
        else:
            incidents.append(incident)
    return incidents, skipped


def import_csv(conn: "Connection", path: str | Path, timezone_name: str = "UTC") -> tuple[int, int]:
    """Upsert every usable row of the export at `path`; returns (loaded, skipped)."""
    with open(path, newline="", encoding="utf-8-sig") as export:
        incidents, skipped = incidents_from_csv(export, ZoneInfo(timezone_name))
    with conn, conn.cursor() as cur:
        incident_store.upsert_incidents(cur, incidents)
    incident_store.mark_incidents_changed(conn)
    log.info("Imported %d incidents from %s (%d rows skipped).", len(incidents), path, skipped)
    return len(incidents), skipped
