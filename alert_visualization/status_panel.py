"""The suite's status panel: one line per process from its heartbeat row (pure).

The processes are the Procfile's four.  One that never beat is "missing", not unhealthy:
a team may run the suite without Slack or without mail.  One whose heartbeat is older
than three of its own intervals is "stale", and that makes /healthz answer 503.
"""
from collections.abc import Iterable
from datetime import datetime

from database.heartbeats import Process

PROCESSES = (
    (Process.DOCS_MONITOR, "Docs monitor"),
    (Process.SLACK_BOT, "Slack bot"),
    (Process.HANDOFF_MAILER, "Handoff mailer"),
    (Process.DASHBOARD, "PagerDuty sync"),
)
OK, STALE, MISSING = "ok", "stale", "missing"


def status_panel(rows: Iterable[dict]) -> dict[str, object]:
    """{healthy, processes: [...]} from process_status.suite_status() rows."""
    by_name = {row["process"]: row for row in rows}
    processes = [process_line(name, label, by_name.get(name)) for name, label in PROCESSES]
    return {"healthy": all(line["state"] != STALE for line in processes), "processes": processes}


def process_line(name: Process, label: str, row: dict | None) -> dict[str, object]:
    if row is None:
        return {"process": name, "label": label, "state": MISSING, "heartbeat_at": None, "age_seconds": None,
                "age": "never", "last_outcome": None, "facts": ["no heartbeat recorded yet"], "details": {}}
    return {"process": name, "label": label, "state": STALE if row["stale"] else OK,
            "heartbeat_at": row["heartbeat_at"], "age_seconds": row["age_seconds"], "age": _age(row["age_seconds"]),
            "last_outcome": row["last_outcome"], "facts": FACTS[name](row["details"]), "details": row["details"]}


def docs_monitor_facts(details: dict) -> list[str]:
    return [f"polls every {_duration(details.get('interval_seconds'))}"]


def slack_bot_facts(details: dict) -> list[str]:
    facts = [f"connected over {details.get('transport', 'Slack')}" if details.get("connected") else "not connected"]
    if details.get("last_alert"):
        answer = details.get("last_alert_runbook") or details.get("last_alert_result") or "handled"
        facts.append(f"last alert {_when(details.get('last_alert_at'))}: {details['last_alert']} → {answer}")
    else:
        facts.append("no alert since it started")
    return facts


def handoff_mailer_facts(details: dict) -> list[str]:
    return [f"next handoff {_when(details.get('next_handoff_at'))}",
            f"last sent week of {details['last_sent_week']}" if details.get("last_sent_week") else "no week sent yet"]


def dashboard_facts(details: dict) -> list[str]:
    if details.get("syncing") is False:
        return []  # the outcome already says the sync is off
    facts = [f"last sync {_when(details['last_sync_at'])}" if details.get("last_sync_at") else "no sync finished yet"]
    return facts + [f"syncs every {_duration(details.get('interval_seconds'))}"]


FACTS = {Process.DOCS_MONITOR: docs_monitor_facts, Process.SLACK_BOT: slack_bot_facts,
         Process.HANDOFF_MAILER: handoff_mailer_facts, Process.DASHBOARD: dashboard_facts}


def _when(iso_moment):
    """`2026-03-30 09:00 UTC+02:00` from an ISO timestamp, in the offset it was written with."""
    if not iso_moment:
        return "unknown"
    return datetime.fromisoformat(iso_moment).strftime("%Y-%m-%d %H:%M %Z").strip()


def _age(seconds):
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    return f"{seconds / 60:.0f} min ago" if seconds < 7200 else f"{seconds / 3600:.0f} h ago"


def _duration(seconds):
    if not seconds:
        return "unknown"
    seconds = float(seconds)
    return f"{seconds / 60:g} min" if seconds >= 60 and seconds % 60 == 0 else f"{seconds:g} s"
