"""What the dashboard reads from the runbook knowledge base and the Slack bot's alert record.

Those tables belong to other processes (migrations 0010+ and 0030+); each query checks the
table exists first, so a deployment without them shows "no data" rather than failing.
"""
import logging
from typing import TYPE_CHECKING

from generate_documentation_db.runbook_store import CHANGED_BY_SQL
from matching.lessons import taught_lessons
from matching.titles import name_key

if TYPE_CHECKING:
    from database.connection import Connection

log = logging.getLogger(__name__)


def _exists(cur, table):
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
    return cur.fetchone()[0]


def covered_alert_keys(conn: "Connection") -> set[str]:
    """Spelling-free keys (matching.titles.name_key form) of alerts known to have a runbook.

    Two sources: every name a runbook answers to (runbook_alert_keys), and alert keys the
    Slack bot matched to a runbook (alert_events) -- the latter covers titles such as
    Alertmanager summaries that name no alert.  An alert the team said has no runbook
    ("No runbook exists" on a reply, matching.lessons) is a gap whatever runbook shares its name.
    """
    keys = set()
    with conn, conn.cursor() as cur:
        if _exists(cur, "runbook_alert_keys"):
            cur.execute("SELECT DISTINCT alert_key FROM runbook_alert_keys")
            keys.update(row[0] for row in cur.fetchall())
        if _exists(cur, "alert_events"):
            cur.execute("SELECT DISTINCT alert_key FROM alert_events"
                        " WHERE runbook_id IS NOT NULL AND match_reason <> 'none'")
            keys.update(row[0] for row in cur.fetchall())
    if _exists_in(conn, "alert_feedback"):
        for title_key, lessons in taught_lessons(conn).items():
            if lessons.no_runbook:
                keys -= {title_key, name_key(title_key)}
    return keys


def _exists_in(conn, table):
    with conn, conn.cursor() as cur:
        return _exists(cur, table)


def recent_runbook_changes(conn: "Connection", limit: int = 10) -> list[dict[str, object]]:
    """The latest runbook page changes the docs monitor recorded, newest first."""
    with conn, conn.cursor() as cur:
        if not _exists(cur, "doc_changes"):
            return []
        cur.execute(f"SELECT changed_at, page_url, change, runbooks, {CHANGED_BY_SQL} FROM doc_changes"
                    " ORDER BY changed_at DESC, id DESC LIMIT %s", (limit,))
        return [{"changed_at": changed_at.isoformat(), "page_url": url, "change": change, "runbooks": list(runbooks or []),
                 "by": changed_by} for changed_at, url, change, runbooks, changed_by in cur.fetchall()]
