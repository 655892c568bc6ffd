"""REST API v2 JSON shapes of the sandbox's incidents, log entries and services."""
from datetime import datetime, timezone

from sandbox.pagerduty_history import urgency_at


def render_time(seconds, zone):
    moment = datetime.fromtimestamp(seconds, zone)
    text = moment.isoformat(timespec="seconds")
    return text.replace("+00:00", "Z") if zone is timezone.utc else text


def service_reference(service, base):
    return {"id": service.id, "type": "service_reference", "summary": service.name,
            "self": f"{base}/services/{service.id}", "html_url": f"{base}/service-directory/{service.id}"}


def team_reference(service, base):
    return {"id": service.team_id, "type": "team_reference", "summary": service.team_name,
            "self": f"{base}/teams/{service.team_id}"}


def incident_json(incident, status, zone, base):
    """The REST v2 incident object, as the incident stands with `status`."""
    changed = {"triggered": incident.created_at, "acknowledged": incident.acknowledged_at,
               "resolved": incident.resolved_at}[status]
    acknowledger = {"id": "PUSER" + incident.acknowledger[:2].upper(), "type": "user_reference",
                    "summary": incident.acknowledger} if incident.acknowledger else None
    return {
        "id": incident.id, "type": "incident", "summary": f"[#{incident.number}] {incident.title}",
        "self": f"{base}/incidents/{incident.id}", "html_url": f"{base}/incidents/{incident.id}",
        "incident_number": incident.number, "title": incident.title, "description": incident.title,
        "created_at": render_time(incident.created_at, zone), "updated_at": render_time(changed, zone),
        "status": status, "incident_key": incident.incident_key, "urgency": urgency_at(incident, status),
        "service": service_reference(incident.service, base), "teams": [team_reference(incident.service, base)],
        "last_status_change_at": render_time(changed, zone),
        "last_status_change_by": _status_changer(incident, status, base),
        "resolved_at": render_time(incident.resolved_at, zone) if status == "resolved" else None,
        "acknowledgements": [{"at": render_time(incident.acknowledged_at, zone), "acknowledger": acknowledger}]
        if status == "acknowledged" else [],
        "assignments": [] if status == "resolved" else [{"at": render_time(incident.created_at, zone)}],
        "escalation_policy": {"id": "PESC" + incident.service.id[-3:], "type": "escalation_policy_reference"},
        "alert_counts": {"all": 1, "triggered": int(status != "resolved"), "resolved": int(status == "resolved")},
        **({"resolve_reason": {"type": "merge_resolve_reason", "incident": {
            "id": incident.merged_into, "type": "incident_reference", "self": f"{base}/incidents/{incident.merged_into}"}}}
           if status == "resolved" and incident.merged_into else {}),
    }


def _status_changer(incident, status, base):
    """Who made the incident what it is now: the resolver or acknowledger, else its service."""
    person = {"resolved": incident.resolved_by, "acknowledged": incident.acknowledger}.get(status)
    if person and person not in ("integration", "system", "timeout"):
        return {"id": "PUSER" + person[:2].upper(), "type": "user_reference", "summary": person}
    return service_reference(incident.service, base)


def _agent(entry, incident, base):
    if entry.agent == "timeout":
        return {"id": incident.service.id, "type": "service_reference", "summary": incident.service.name}, {"type": "timeout"}
    if entry.agent in ("integration", "system"):
        return ({"id": "PINT" + incident.service.id[-3:], "type": "events_api_v2_inbound_integration_reference",
                 "summary": "Alertmanager"}, {"type": "api"})
    return ({"id": "PUSER" + entry.agent[:2].upper(), "type": "user_reference", "summary": entry.agent},
            {"type": "web_ui"})


def log_entry_json(entry, incident, zone, base):
    """The REST v2 log entry object; the agent says who acted (a user, an integration, a timeout)."""
    agent, channel = _agent(entry, incident, base)
    verb = {"trigger": "Triggered", "notify": "Notified", "acknowledge": "Acknowledged", "annotate": "Note added",
            "resolve": "Resolved"}[entry.kind]
    if entry.kind == "annotate":  # PagerDuty puts a note's text in the entry's channel
        channel = {"type": "note", "summary": entry.note}
    return {
        "id": entry.id, "type": f"{entry.kind}_log_entry", "summary": f"{verb} by {agent['summary']}",
        "self": f"{base}/log_entries/{entry.id}", "created_at": render_time(entry.created_at, zone),
        "agent": agent, "channel": channel,
        "incident": {"id": incident.id, "type": "incident_reference", "summary": f"[#{incident.number}] {incident.title}"},
        "service": service_reference(incident.service, base), "teams": [team_reference(incident.service, base)],
    }
