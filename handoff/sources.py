"""Where the handoff report's inputs come from: the I/O edge of the mailer.

PagerDuty is synced first with the dashboard's own client and sync, then everything is
read from Postgres: the two weeks' incidents, what was still open at the handoff moment,
the runbook each alert key resolves to, and the runbook pages the docs monitor saw
change.  The numbers themselves are computed by alert_visualization.metrics (via report.py).
"""
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pandas as pd

from alert_visualization import incident_store, incident_sync, pagerduty_api, runbook_coverage, window_counts
from alert_visualization.bot_feedback import feedback_counts
from alert_visualization.filters import Filters
from alert_visualization.incident_sync import SyncResult, SyncSettings
from alert_visualization.pagerduty_api import PagerDutyClient
from database.connection import Connection
from generate_documentation_db import rule_coverage, rule_store, runbook_store
from handoff.report import (
    DocChange,
    ReportInputs,
    RunbookLinks,
    build_handoff_report,
    group_alert_keys,
    previous_week_of,
    titles_by_key,
)
from handoff.week import HandoffSchedule, HandoffWeek
from matching import matcher
from matching.index import RunbookIndex
from matching.knowledge_base import load_index
from matching.lessons import taught_lessons
from matching.semantics import installed_vectors
from utils import Config

log = logging.getLogger(__name__)

# Enough doc-change rows to cover a busy week; the week's own are filtered from them.
DOC_CHANGE_WINDOW = 1000
# How long to wait for another process's PagerDuty sync before building from what is stored.
SYNC_WAIT_SECONDS = 120


def report_builder(config: Config,
                   schedule: HandoffSchedule) -> Callable[[Connection, HandoffWeek, datetime | None], dict]:
    """(conn, week, now) -> report dict, with the configuration read once, here."""
    top_n = config.integer("HANDOFF_TOP_N", 10, minimum=1)
    open_limit = config.integer("HANDOFF_OPEN_LIMIT", 25, minimum=1)
    dashboard_url = config.url("DASHBOARD_URL")
    # The bot's own setting, so the mail's "no runbook" agrees with the bot's replies.
    threshold = config.number("MATCH_THRESHOLD", None, minimum=0, maximum=1)
    syncing = config.is_set("PAGERDUTY_TOKEN")
    client = pagerduty_api.client_from_config(config) if syncing else None
    sync_settings = incident_sync.SyncSettings.from_config(config) if syncing else None

    def build(conn, week, now=None):
        sync_note = sync_pagerduty(conn, client, sync_settings, now) if syncing else None
        return build_handoff_report(
            load_inputs(conn, week, schedule, threshold), week, schedule.zone, top_n=top_n, open_limit=open_limit,
            dashboard_url=dashboard_link(dashboard_url, week), sync_note=sync_note,
        )

    return build


def sync_pagerduty(conn: Connection, client: PagerDutyClient, settings: SyncSettings,
                   now: datetime | None = None) -> str | None:
    """Bring the incidents table up to date; a failure is logged and noted in the mail, not fatal.

    A handoff with figures from the last good sync, saying so, beats no handoff.
    """
    try:
        result = sync_after_others(conn, client, settings, now)
    except Exception as error:
        log.exception("PagerDuty sync before the handoff failed; using the incidents already stored.")
        finished_at, _ = incident_store.last_sync(conn)
        since = f" (last good sync {finished_at:%Y-%m-%d %H:%M %Z})" if finished_at else ""
        return f"PagerDuty could not be synced just now ({type(error).__name__}){since}: recent changes may be missing."
    if result.skipped:
        log.warning("Another process kept syncing PagerDuty; using what is stored so far.")
    return None


def sync_after_others(conn: Connection, client: PagerDutyClient, settings: SyncSettings, now: datetime | None,
                      wait_seconds: float = SYNC_WAIT_SECONDS) -> SyncResult:
    """Sync; when the dashboard is syncing right now, wait for it and then top up.

    Building from a half-finished sync (say the dashboard's first 90-day one) would mail
    a week with incidents missing.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        result = incident_sync.sync(conn, client, settings, now=now)
        if not result.skipped or time.monotonic() >= deadline:
            return result
        time.sleep(1)


def load_inputs(conn: Connection, week: HandoffWeek, schedule: HandoffSchedule,
                threshold: float | None = None) -> ReportInputs:
    """Everything the pure report builder needs, read in one place."""
    previous = previous_week_of(week, schedule)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="handoff-meanings") as reading:
        # The matcher's word-meaning model (loaded once per process, which load_index then finds loaded)
        # is read from its files while PostgreSQL counts the two weeks: the first mail of a process
        # would otherwise wait for one, then the other.
        warming = reading.submit(installed_vectors)
        counts = window_counts.read_window_counts(conn, previous.start_utc(), week.start_utc(), week.end_utc(),
                                                  schedule.zone.key)
        group_titles = window_counts.latest_titles(conn, counts.alerts)
        warming.result()
    index = load_index(conn)
    alert_keys = group_alert_keys(group_titles, matcher.alert_key_reader(index, threshold, taught_lessons(conn)))
    runbooks = runbooks_by_alert_key(index, titles_by_key(counts, alert_keys, group_titles), threshold)
    return ReportInputs(
        counts=counts,
        open_incidents=load_open_at(conn, week.end_utc()),
        alert_keys=alert_keys,
        group_titles=group_titles,
        runbooks=runbooks,
        # The dashboard's coverage sources, plus what the matcher found for this week's titles.
        covered_keys=runbook_coverage.covered_alert_keys(conn) | set(runbooks),
        doc_changes=doc_changes_between(conn, week.start_utc(), week.end_utc()),
        new_rule_gaps=new_rule_gaps(conn, index, week),
        bot=feedback_counts(conn, week.start_utc(), week.end_utc()),
    )


def new_rule_gaps(conn: Connection, index: RunbookIndex, week: HandoffWeek) -> list[dict]:
    """The week's new gaps: alert rules first read this week that have no runbook on the docs site, and
    rules whose runbook link broke this week."""
    added = rule_store.first_seen_between(conn, week.start_utc(), week.end_utc())
    broke = rule_store.links_broken_between(conn, week.start_utc(), week.end_utc())
    coverage = rule_coverage.stored_coverage(conn, index)
    return [entry.__dict__ for entry in coverage if entry.status != rule_coverage.ON_SITE
            and (entry.alert_name in added or entry.runbook in broke)]


def load_open_at(conn: Connection, moment: datetime) -> pd.DataFrame:
    """Incidents created before `moment` and not resolved by then: what the next person inherits.

    Read as of the handoff moment, so a past week's mail (--week) shows what was open then.
    """
    with conn, conn.cursor() as cur:
        cur.execute(f"""
            SELECT {", ".join(incident_store.LOADED_COLUMNS)} FROM incidents
            WHERE created_at < %(moment)s AND (resolved_at IS NULL OR resolved_at > %(moment)s)
              AND NOT (status = 'resolved' AND resolved_at IS NULL)
            ORDER BY created_at
            """, {"moment": moment})
        return incident_store.incidents_frame(cur.fetchall(), incident_store.LOADED_COLUMNS)


def runbooks_by_alert_key(index: RunbookIndex, titles_by_key: dict[str, str],
                          threshold: float | None = None) -> RunbookLinks:
    """{alert_key: (runbook title, url)} for the keys the bot's matcher finds a runbook for.

    The same matcher and threshold as the Slack bot's replies, so the mail never says
    "no runbook" for an alert the bot answers with one (or the other way round).
    """
    by_key = {}
    for key, title in titles_by_key.items():
        match = matcher.match_alert(index, title, threshold)
        if match.found:
            by_key[key] = (match.runbook_title, match.url)
    return by_key


def doc_changes_between(conn: Connection, start: datetime, end: datetime) -> list[DocChange]:
    """[(changed_at, change, page_url, runbook titles, changed_by)] of the docs monitor's log within the week."""
    return [change for change in runbook_store.recent_changes(conn, DOC_CHANGE_WINDOW) if start <= change[0] < end]


def dashboard_link(base_url: str | None, week: HandoffWeek) -> str | None:
    """The dashboard filtered to the local days the week touches (the dashboard counts whole days)."""
    if not base_url:
        return None
    days = Filters(range="custom", first_day=week.start.date(), last_day=week.end.date())
    return f"{base_url.rstrip('/')}/?{days.query()}"
