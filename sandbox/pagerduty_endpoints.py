"""The sandbox PagerDuty's endpoints: GET /incidents, /log_entries, /services as REST API v2.

Each takes the Account (history, clock, statistics), the parsed query and the base URL,
and returns the response body, or raises BadRequest with the API's own error shape.
"""
import bisect
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sandbox.pagerduty_history import DAY, urgency_at
from sandbox.pagerduty_json import incident_json, log_entry_json, service_reference, team_reference

OFFSET_CAP = 10_000
MAX_SPAN_DAYS = 183  # "6 months"
OFFSET_CAP_ERROR = {
    "message": "Arguments Caused Error",
    "code": 2002,
    "errors": [
        "Offset+limit exceeds maximum allowed value of 10000. Please try to refine your search to "
        "reduce the returned set of records below this number, like adding a date range."
    ],
}


class BadRequest(Exception):
    def __init__(self, errors, message="Invalid Input Provided", code=2001):
        super().__init__(message)
        self.body = {"message": message, "code": code, "errors": errors}


def parse_time(text, field):
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest([f"{field} is not a valid date"]) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def _window(query, now):
    """(since, until) seconds from the query; defaults and the 6-month rule as the real API."""
    if query.get("date_range") == ["all"]:
        return float("-inf"), now
    until = min(parse_time(query["until"][0], "until"), now) if "until" in query else now
    since = parse_time(query["since"][0], "since") if "since" in query else until - 30 * DAY
    if until - since > MAX_SPAN_DAYS * DAY:
        raise BadRequest(["The maximum range of since and until is 6 months"])
    return since, until


def _paging(query):
    try:
        limit = min(max(int(query.get("limit", ["25"])[0]), 1), 100)
        offset = max(int(query.get("offset", ["0"])[0]), 0)
    except ValueError:
        raise BadRequest(["limit and offset must be integers"]) from None
    if offset + limit > OFFSET_CAP:
        raise BadRequest(OFFSET_CAP_ERROR["errors"], OFFSET_CAP_ERROR["message"], OFFSET_CAP_ERROR["code"])
    return limit, offset


def _zone(query):
    name = query.get("time_zone", ["UTC"])[0]
    if name in ("UTC", "Etc/UTC"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(["time_zone is not a valid time zone"]) from None


def _page(records, query, key):
    limit, offset = _paging(query)
    page = records[offset:offset + limit]
    total = len(records) if query.get("total", ["false"])[0] == "true" else None
    return page, {"limit": limit, "offset": offset, "total": total, "more": offset + limit < len(records)}


def list_incidents(account, query, base):
    now = account.now()
    since, until = _window(query, now)
    zone = _zone(query)
    history = account.history
    low = bisect.bisect_left(history.created_times, since)
    high = bisect.bisect_left(history.created_times, until)
    incidents = history.incidents[low:high]
    wanted = {name: set(query.get(f"{name}[]", [])) for name in ("statuses", "service_ids", "team_ids", "urgencies")}
    if any(wanted.values()):
        incidents = [
            incident for incident in incidents
            if (not wanted["statuses"] or account.status_at(incident, now) in wanted["statuses"])
            and (not wanted["service_ids"] or incident.service.id in wanted["service_ids"])
            and (not wanted["team_ids"] or incident.service.team_id in wanted["team_ids"])
            and (not wanted["urgencies"] or urgency_at(incident, account.status_at(incident, now)) in wanted["urgencies"])
        ]
    if query.get("sort_by", ["created_at:asc"])[0].endswith(":desc"):
        incidents = incidents[::-1]
    page, paging = _page(incidents, query, "incidents")
    with account.lock:
        account.stats["records_served"]["incidents"] += len(page)
    return {"incidents": [incident_json(incident, account.status_at(incident, now), zone, base) for incident in page], **paging}


# The overview keeps what changed the incident and what people said about it (notes), not notifications.
OVERVIEW_KINDS = {"trigger", "acknowledge", "annotate", "resolve"}


def list_log_entries(account, query, base):
    now = account.now()
    since, until = _window(query, now)
    zone = _zone(query)
    history = account.history
    low = bisect.bisect_left(history.log_times, since)
    high = bisect.bisect_left(history.log_times, until)
    entries = history.log_entries[low:high][::-1]  # newest first, as the real endpoint
    if account.dropped_resolves:  # entries the stream lost (its 10,000-record cap, lag): still resolved
        entries = [entry for entry in entries if not (
            entry.kind == "resolve" and history.incidents[entry.incident_index].id in account.dropped_resolves)]
    teams = set(query.get("team_ids[]", []))
    overview = query.get("is_overview", ["false"])[0] == "true"
    if teams or overview:
        entries = [
            entry for entry in entries
            if (not overview or entry.kind in OVERVIEW_KINDS)
            and (not teams or history.incidents[entry.incident_index].service.team_id in teams)
        ]
    page, paging = _page(entries, query, "log_entries")
    with account.lock:
        account.stats["records_served"]["log_entries"] += len(page)
    return {"log_entries": [log_entry_json(entry, history.incidents[entry.incident_index], zone, base) for entry in page], **paging}


def list_services(account, query, base):
    services = list(account.history.services)
    page, paging = _page(services, query, "services")
    return {"services": [{**service_reference(service, base), "type": "service", "name": service.name,
                          "teams": [team_reference(service, base)]} for service in page], **paging}


def get_incident(account, query, base, incident_id):
    """GET /incidents/{id}: the incident as it stands now, or None when there is no such incident."""
    incident = account.history.by_id.get(incident_id)
    if incident is None or incident.created_at >= account.now():
        return None
    return {"incident": incident_json(incident, account.status_at(incident, account.now()), _zone(query), base)}


ROUTES = {"/incidents": list_incidents, "/log_entries": list_log_entries, "/services": list_services}
