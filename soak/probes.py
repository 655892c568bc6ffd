"""What the soak looks at in the running suite: recovery after each fault, read from the
database, the stand-ins and the dashboard's HTTP port.

A probe is a function of no arguments returning the list of what has not recovered yet
(empty: recovered).  The database is read over the harness's own connection, which is
re-opened after a restart like any client's.
"""
import threading
import time
from datetime import datetime, timezone

import psycopg2
import requests

from handoff.week import latest_due_week, parse_schedule
from soak.faults import page_url
from soak.suite import ARCHIVED_CHANNEL, LEAVING_CHANNEL


class SuiteReader:
    """Queries against the suite's database; None while the database is unreachable.

    One connection, shared by the recovery watchers under a lock.
    """

    def __init__(self, database_url):
        self.url = database_url
        self.conn = None
        self.lock = threading.Lock()

    def rows(self, sql, params=()):
        with self.lock:
            try:
                if self.conn is None or self.conn.closed:
                    self.conn = psycopg2.connect(self.url, connect_timeout=3)
                with self.conn, self.conn.cursor() as cur:
                    cur.execute(sql, params)
                    return cur.fetchall()
            except (psycopg2.OperationalError, psycopg2.InterfaceError, psycopg2.DatabaseError) as error:
                if isinstance(error, psycopg2.ProgrammingError):
                    raise  # the soak's own bad SQL
                self._close()
                return None

    def exists(self, sql, params=()):
        found = self.rows(sql, params)
        return bool(found)

    def close(self):
        with self.lock:
            self._close()

    def _close(self):
        if self.conn is not None and not self.conn.closed:
            self.conn.close()
        self.conn = None


def heartbeat_since(reader, process, moment):
    return reader.exists("SELECT 1 FROM process_status WHERE process = %s AND heartbeat_at > to_timestamp(%s)",
                         (process, moment))


def sync_ok_since(reader, moment):
    return reader.exists("SELECT 1 FROM pagerduty_sync_runs WHERE outcome = 'ok' AND finished_at > to_timestamp(%s)",
                         (moment,))


def dashboard_answers(suite):
    try:
        return requests.get(suite.settings["DASHBOARD_URL"] + "/", timeout=10).status_code == 200
    except requests.RequestException:
        return False


def latest_week_sent(reader, suite):
    schedule = parse_schedule(suite.settings["HANDOFF_SCHEDULE"], suite.settings["ONCALL_TIMEZONE"])
    week = latest_due_week(datetime.now(timezone.utc), schedule)
    return reader.exists("SELECT 1 FROM handoff_runs WHERE week_of = %s AND status = 'sent'", (week.week_of,))


def snapshot(suite):
    """Counters taken just before a fault, so its probe can tell new activity from old."""
    hub = suite.slack.hub
    return {"connections": hub.counters["connections"], "acked": hub.counters["acked"],
            "posted": len(suite.slack.workspace.posted)}


class Probes:
    """Builds, once a fault has been cleared, the probe that says when the suite got over it."""

    def __init__(self, suite, reader, poster=None):
        self.suite, self.reader, self.poster = suite, reader, poster

    def for_fault(self, fault, target, before, cleared_at):
        return getattr(self, f"_{fault.kind}")(target, before, cleared_at)

    def _slack_drop(self, target, before, cleared_at):
        hub = self.suite.slack.hub
        return lambda: [] if hub.status()["socket_mode_connections"] >= 1 \
            and hub.counters["connections"] > before["connections"] else ["the bot has not reconnected"]

    _slack_refresh = _slack_warning = _slack_drop

    def _slack_remove_bot(self, target, before, cleared_at):
        """The alert posted while the bot was out of the channel is answered once it is back."""
        posts = self.suite.slack.workspace.posts
        return lambda: [] if len(posts(LEAVING_CHANNEL, target)) == 1 else \
            [f"the alert in {LEAVING_CHANNEL} has {len(posts(LEAVING_CHANNEL, target))} replies, not one"]

    def _slack_archive(self, target, before, cleared_at):
        """The reply Slack refused for the archived channel is tried once, not again and again."""
        workspace, seen = self.suite.slack.workspace, []

        def probe():
            tries = sum(1 for channel, thread, _ in workspace.refused if channel == ARCHIVED_CHANNEL and thread == target)
            if tries == 0:
                return ["the bot has not tried to reply yet"]
            seen.append(time.monotonic())
            if tries > 1:
                return [f"the refused reply was tried {tries} times"]
            return [] if seen[-1] - seen[0] >= 10 else ["watching that the refused reply is not tried again"]
        return probe

    def _slack_429(self, target, before, cleared_at):
        slack = self.suite.slack
        return lambda: [] if slack.rate_limited == 0 and len(slack.workspace.posted) > before["posted"] \
            else ["no reply posted since the 429s"]

    def _slack_redeliver(self, target, before, cleared_at):
        hub = self.suite.slack.hub
        return lambda: [] if hub.counters["acked"] > before["acked"] else ["the redelivered envelope is not acked"]

    def _pagerduty_429(self, target, before, cleared_at):
        account = self.suite.pagerduty.account
        drained = []

        def probe():
            if not drained:
                with account.lock:
                    if account.faults:
                        return ["PagerDuty faults not served yet"]
                drained.append(time.time())
            return [] if sync_ok_since(self.reader, drained[0]) else ["no good PagerDuty sync since the faults"]
        return probe

    _pagerduty_500 = _pagerduty_429_bare = _pagerduty_429

    def _pagerduty_late_resolve(self, target, before, cleared_at):
        """Each incident whose resolve the log stream lost is stored resolved once PagerDuty has it so."""
        account = self.suite.pagerduty.account
        by_id = {incident.id: incident for incident in account.history.incidents}
        ids = target.split(",")

        def probe():
            due = [incident_id for incident_id in ids if by_id[incident_id].resolved_at <= account.now() - 1]
            if not due:
                return ["the lost resolves are not due yet"]
            rows = self.reader.rows("SELECT id FROM incidents WHERE id = ANY(%s) AND status = 'resolved'", (due,))
            stored = {row[0] for row in rows or []}
            return [f"{incident_id} is still stored open" for incident_id in ids if incident_id not in stored]
        return probe

    def _alert_storm(self, target, before, cleared_at):
        """Every alert of the storm recorded, and each one with a runbook answered in its thread."""
        storm = set(target.split(","))

        def probe():
            rows = self.reader.rows("SELECT message_ts FROM alert_events WHERE message_ts = ANY(%s)", (list(storm),))
            if rows is None:
                return ["the database is unreachable"]
            unrecorded = storm - {row[0] for row in rows}
            answered = {post.get("thread_ts") for post in self.suite.slack.workspace.posts()}
            unanswered = [alert.ts for alert in self.poster.posted
                          if alert.ts in storm and alert.has_runbook and alert.ts not in answered]
            return ([f"{len(unrecorded)} storm alerts not recorded"] if unrecorded else []) + \
                ([f"{len(unanswered)} storm alerts not answered yet"] if unanswered else [])
        return probe

    def _docs_500(self, target, before, cleared_at):
        docs = self.suite.docs
        seen = len(docs.requests)
        return lambda: [] if any(r.path == target and r.status in (200, 304) for r in docs.requests[seen:]) \
            else [f"{target} not fetched again"]

    def _docs_edit(self, target, before, cleared_at):
        url = page_url(self.suite, target)
        return lambda: [] if self.reader.exists(
            "SELECT 1 FROM doc_changes WHERE page_url = %s AND change = 'changed' AND changed_at > to_timestamp(%s)",
            (url, cleared_at - 1)) else [f"the edit of {target} is not stored"]

    def _docs_remove(self, target, before, cleared_at):
        url, path = page_url(self.suite, target), self.suite.site_dir / target
        # A page restored before its removal was noticed is back for good; its restore is watched instead.
        return lambda: [] if path.exists() or self.reader.exists(
            "SELECT 1 FROM doc_pages WHERE url = %s AND status = 'gone'", (url,)) else [f"{target} is still stored"]

    def _docs_restore(self, target, before, cleared_at):
        url = page_url(self.suite, target)
        return lambda: [] if self.reader.exists(
            "SELECT 1 FROM doc_pages p JOIN runbooks r ON r.page_id = p.id WHERE p.url = %s AND p.status = 'ok'",
            (url,)) else [f"{target} is not back"]

    def _smtp_outage(self, target, before, cleared_at):
        return lambda: [] if latest_week_sent(self.reader, self.suite) else ["the due handoff is not sent"]

    def _pg_restart(self, target, before, cleared_at):
        checks = (
            ("docs monitor", lambda: heartbeat_since(self.reader, "docs_monitor", cleared_at)),
            ("handoff mailer", lambda: heartbeat_since(self.reader, "handoff_mailer", cleared_at)),
            ("dashboard sync", lambda: sync_ok_since(self.reader, cleared_at)),
            ("dashboard page", lambda: dashboard_answers(self.suite)),
            ("slack bot", lambda: self.reader.exists(
                "SELECT 1 FROM alert_events WHERE received_at > to_timestamp(%s)", (cleared_at,))),
        )
        return lambda: [name for name, done in checks if not done()]
