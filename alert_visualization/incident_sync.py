"""Incremental sync of PagerDuty incidents into Postgres.

Two streams, each resuming from where the last sync got to (minus an overlap, so a
record written at the edge is never missed; upserts make the repeat harmless):

1. `/incidents` by creation time: new incidents and their current status.  The
   high-water mark is saved after every page, so an interrupted sync resumes close to
   where it stopped.
2. `/log_entries` (overview entries) by time, in week-sized chunks: a person's first
   acknowledgement and the resolve of each incident, whenever the incident was created,
   so an incident acknowledged or resolved since the last sync is updated without
   fetching it again, and without one request per incident.

3. Incidents stored as open that PagerDuty no longer lists as open are read again one by one
   (`recheck_open_incidents`): the log stream misses a resolve now and then.

Only one sync runs at a time across processes (a Postgres advisory lock).
"""
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Self

import psycopg2

from alert_visualization import day_changes, incident_store
from alert_visualization.pagerduty_api import PagerDutyClient, PagerDutyError, parse_time, split_span
from database.locks import Lock, try_lock, unlock
from matching.stored_keys import rekey_stored_titles

if TYPE_CHECKING:
    from database.connection import Connection
    from utils import Config

log = logging.getLogger(__name__)

# Incidents read again one by one in a round at most (each is a request; the key's limit is shared).
MAX_RECHECKS = 200


@dataclass(frozen=True)
class SyncSettings:
    initial_days: int = 90
    overlap: timedelta = timedelta(minutes=10)
    service_ids: tuple[str, ...] = ()
    team_ids: tuple[str, ...] = ()
    log_chunk: timedelta = timedelta(days=7)

    @classmethod
    def from_config(cls, config: "Config") -> Self:
        return cls(
            initial_days=config.integer("PAGERDUTY_SYNC_DAYS", 90, minimum=1),
            overlap=timedelta(minutes=config.integer("PAGERDUTY_SYNC_OVERLAP_MINUTES", 10, minimum=0)),
            service_ids=tuple(config.items("PAGERDUTY_SERVICE_IDS")),
            team_ids=tuple(config.items("PAGERDUTY_TEAM_IDS")),
        )


class SyncStopped(Exception):
    """The process is stopping; the sync ends after the page it just stored."""


@dataclass
class SyncResult:
    skipped: bool = False
    stopped: bool = False
    incidents: int = 0
    log_entries: int = 0
    rechecked: int = 0  # stored as open, read again because PagerDuty no longer lists them as open
    requests: int = 0
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)


def incident_record(incident: dict) -> dict[str, object]:
    """An API incident object -> an incidents-table row (acknowledge/resolve come from log entries)."""
    service = incident.get("service") or {}
    return {
        "id": incident["id"],
        "incident_number": incident.get("incident_number"),
        "title": incident.get("title") or incident.get("summary") or "",
        "status": incident.get("status", "triggered"),
        "urgency": incident.get("urgency") or "high",
        "service_id": service.get("id"),
        "service_name": service.get("summary") or service.get("name"),
        "created_at": parse_time(incident["created_at"]),
        "html_url": incident.get("html_url"),
        "source": "api",
        "merged_into": merged_into(incident),
    }


def merged_into(incident: dict) -> str | None:
    """The id of the incident this one was merged into (its resolve_reason says so), else None."""
    reason = incident.get("resolve_reason") or {}
    if reason.get("type") == "merge_resolve_reason":
        return (reason.get("incident") or {}).get("id")
    return None


def log_entry_changes(entries: Iterable[dict]) -> tuple[dict[str, datetime], dict[str, tuple[datetime, bool]]]:
    """Log entries -> ({incident: earliest acknowledgement by a person}, {incident: (resolved_at, auto)}).

    A resolve by anything other than a person (an integration such as Alertmanager, or the
    service's auto-resolve timeout) counts as auto-resolved.
    """
    first_acks, resolutions = {}, {}
    for entry in entries:
        incident_id = (entry.get("incident") or {}).get("id")
        at = parse_time(entry.get("created_at"))
        by_person = (entry.get("agent") or {}).get("type") == "user_reference"
        if not incident_id or at is None:
            continue
        if entry.get("type") == "acknowledge_log_entry" and by_person:
            first_acks[incident_id] = min(at, first_acks.get(incident_id, at))
        elif entry.get("type") == "resolve_log_entry":
            resolutions[incident_id] = (at, not by_person)
    return first_acks, resolutions


def log_entry_history(entries: Iterable[dict]) -> tuple[dict[str, str], dict[str, tuple[datetime, str]]]:
    """Log entries -> ({incident: the person who resolved it}, {incident: (time, text) of its newest note}).
    A note is an annotate entry; PagerDuty puts its text in the entry's channel (`summary`, and `content`
    when channels are included)."""
    resolvers, notes = {}, {}
    for entry in entries:
        incident_id = (entry.get("incident") or {}).get("id")
        at = parse_time(entry.get("created_at"))
        agent = entry.get("agent") or {}
        if not incident_id or at is None:
            continue
        if entry.get("type") == "resolve_log_entry" and agent.get("type") == "user_reference" and agent.get("summary"):
            resolvers[incident_id] = str(agent["summary"])[:200]
        elif entry.get("type") == "annotate_log_entry":
            channel = entry.get("channel") or {}
            text = str(channel.get("content") or channel.get("summary") or "").strip()
            if text and (incident_id not in notes or at >= notes[incident_id][0]):
                notes[incident_id] = (at, text[:2000])
    return resolvers, notes


def _filters(settings):
    params = {"time_zone": "UTC"}
    if settings.service_ids:
        params["service_ids[]"] = list(settings.service_ids)
    if settings.team_ids:
        params["team_ids[]"] = list(settings.team_ids)
    return params


def _resume_point(conn, stream, settings, now):
    with conn, conn.cursor() as cur:
        mark = incident_store.synced_until(cur, stream)
    return mark - settings.overlap if mark else now - timedelta(days=settings.initial_days)


def sync_incident_stream(conn: "Connection", client: PagerDutyClient, settings: SyncSettings, now: datetime,
                         progress: Callable[[str, int], None]) -> tuple[int, tuple[datetime, datetime]]:
    """Fetch incidents created since the last mark; returns how many were upserted."""
    since = _resume_point(conn, "incidents", settings, now)
    params = {**_filters(settings), "sort_by": "created_at:asc"}
    count = 0
    rekey_stored_titles(conn)
    with conn, conn.cursor() as cur:
        incident_store.fill_title_keys(cur)
    for page in client.iter_window("/incidents", "incidents", since, now, params):
        records = [incident_record(incident) for incident in page]
        with conn, conn.cursor() as cur:
            incident_store.upsert_incidents(cur, records)
            if records:
                incident_store.set_synced_until(cur, "incidents", max(r["created_at"] for r in records))
        count += len(records)
        progress("incidents", count)
    with conn, conn.cursor() as cur:
        incident_store.set_synced_until(cur, "incidents", now)
    return count, (since, now)


def sync_log_stream(conn: "Connection", client: PagerDutyClient, settings: SyncSettings, now: datetime,
                    progress: Callable[[str, int], None]) -> tuple[int, tuple[datetime, datetime]]:
    """Apply acknowledgements and resolves logged since the last mark, a chunk (a week) at a time."""
    since = _resume_point(conn, "log_entries", settings, now)
    params = {"time_zone": "UTC", "is_overview": "true"}
    teams = log_stream_teams(client, settings)
    if teams:
        params["team_ids[]"] = list(teams)
    count = 0
    for start, end in split_span(since, now, settings.log_chunk):
        for page in client.iter_window("/log_entries", "log_entries", start, end, params):
            first_acks, resolutions = log_entry_changes(page)
            resolvers, notes = log_entry_history(page)
            with conn, conn.cursor() as cur:
                incident_store.apply_acknowledgements(cur, first_acks)
                incident_store.apply_resolutions(cur, resolutions)
                incident_store.apply_history(cur, resolvers, notes)
            count += len(page)
            progress("log entries", count)
        with conn, conn.cursor() as cur:
            incident_store.set_synced_until(cur, "log_entries", end)
    return count, (since, now)


def log_stream_teams(client: PagerDutyClient, settings: SyncSettings) -> tuple[str, ...]:
    """The teams whose log entries the stream reads.  /log_entries has no service filter: with only
    PAGERDUTY_SERVICE_IDS set, the teams those services belong to narrow it instead of the whole
    account's log.  A service with no team, or one not found, leaves the whole log: nothing is missed."""
    if settings.team_ids or not settings.service_ids:
        return settings.team_ids
    wanted, found, teams = set(settings.service_ids), set(), set()
    for page in client.iter_list("/services", "services"):
        for service in page:
            if service.get("id") not in wanted:
                continue
            service_teams = {team.get("id") for team in service.get("teams") or [] if team.get("id")}
            if not service_teams:
                return ()
            found.add(service["id"])
            teams |= service_teams
    return tuple(sorted(teams)) if found == wanted else ()


def recheck_open_incidents(conn: "Connection", client: PagerDutyClient, settings: SyncSettings, now: datetime,
                           limit: int = MAX_RECHECKS, resolved_without_time: bool = False) -> int:
    """Read again the incidents stored as open that PagerDuty no longer lists as open.

    The log stream misses a resolve now and then (its 10,000-record cap, lag, a team filter); without
    this the incident would stay open for good: in "Open incidents", in the handoff, in MTTR.
    Returns how many were corrected.
    """
    with conn, conn.cursor() as cur:
        stored_open = incident_store.open_incidents(cur, resolved_without_time)
    if not stored_open:
        return 0
    params = {**_filters(settings), "statuses[]": ["triggered", "acknowledged"]}
    since = min(stored_open.values())
    still_open = {incident["id"] for page in client.iter_window("/incidents", "incidents", since, now, params)
                  for incident in page}
    gone = sorted(set(stored_open) - still_open)
    if len(gone) > limit:
        log.warning("%d stored open incidents are no longer open in PagerDuty; %d are read this round.",
                    len(gone), limit)
    states = []
    for incident_id in gone[:limit]:
        try:
            incident = client.get(f"/incidents/{incident_id}", {"time_zone": "UTC"})["incident"]
        except PagerDutyError as error:
            log.warning("Could not read incident %s again: %s", incident_id, error)
            continue
        states.append(incident_state(incident))
    with conn, conn.cursor() as cur:
        incident_store.apply_incident_states(cur, states)
    return len(states)


def incident_state(incident: dict) -> tuple[str, str, str, datetime | None, bool | None, str | None]:
    """(id, status, urgency, resolved_at, auto_resolved, merged_into) from an incident object: resolved by
    anyone but a person (an integration, the auto-resolve timeout) is auto-resolved."""
    resolved_at = parse_time(incident.get("resolved_at") or (
        incident.get("last_status_change_at") if incident.get("status") == "resolved" else None))
    changer = (incident.get("last_status_change_by") or {}).get("type")
    auto = None if resolved_at is None or changer is None else changer != "user_reference"
    return (incident["id"], incident.get("status", "triggered"), incident.get("urgency") or "high", resolved_at, auto,
            merged_into(incident))


def _checked(progress, stopping, counts):
    """Report progress after each stored page, and end the sync there if the process is stopping."""
    def after_page(stream, count):
        counts[stream] = count
        if progress:
            progress(stream, count)
        if stopping is not None and stopping.is_set():
            raise SyncStopped()
    return after_page


def sync(conn: "Connection", client: PagerDutyClient, settings: SyncSettings, now: datetime | None = None,
         progress: Callable[[str, int], None] | None = None, stopping: threading.Event | None = None) -> SyncResult:
    """One sync of both streams; SyncResult(skipped=True) when another process is syncing.

    `stopping` (a threading.Event) ends the sync after the current page; the marks saved so
    far let the next sync resume there.
    """
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    counts = {}
    progress = _checked(progress, stopping, counts)
    if not try_lock(conn, Lock.PAGERDUTY_SYNC):
        log.info("Another process is syncing PagerDuty incidents; skipping this round.")
        return SyncResult(skipped=True)
    run_id = incident_store.start_run(conn)
    requests_before = client.requests_made
    result = SyncResult()
    try:
        result.incidents, incident_window = sync_incident_stream(conn, client, settings, now, progress)
        # Before the log stream: an incident resolved since the last round is read from the incident
        # itself, which alone says whether a merge resolved it; the log stream then adds its times.
        result.rechecked = recheck_open_incidents(conn, client, settings, now)
        result.log_entries, log_window = sync_log_stream(conn, client, settings, now, progress)
        # After it: an incident listed as resolved whose resolve the stream did not show.
        result.rechecked += recheck_open_incidents(conn, client, settings, now, resolved_without_time=True)
        result.windows = [incident_window, log_window]
        result.requests = client.requests_made - requests_before
        try:
            day_changes.prune(conn)  # what the dashboards no longer need to know was written
        except psycopg2.Error as error:  # the sync itself is done: the next one prunes
            conn.rollback()
            log.warning("Could not prune the incidents' change log (%s).", type(error).__name__)
        incident_store.finish_run(conn, run_id, "ok", result.incidents, result.log_entries, result.requests)
        log.info("Synced %d incidents and %d log entries in %d requests.", result.incidents, result.log_entries, result.requests)
        return result
    except SyncStopped:
        result.stopped = True
        result.incidents, result.log_entries = counts.get("incidents", 0), counts.get("log entries", 0)
        incident_store.finish_run(conn, run_id, "stopped", result.incidents, result.log_entries,
                                  client.requests_made - requests_before)
        log.info("Sync stopped early because the process is stopping; the next one resumes from here.")
        return result
    except Exception as error:
        conn.rollback()
        incident_store.finish_run(conn, run_id, "failed", counts.get("incidents", 0), counts.get("log entries", 0),
                                  client.requests_made - requests_before, str(error)[:500])
        raise
    finally:
        unlock(conn, Lock.PAGERDUTY_SYNC)
