"""Stored alert keys follow the title cleaner.

Incidents are stored with `titles.alert_key` of their title, the team's feedback with the key of the
message it was given on (`details.key_of` its title and the alert it names), so the next firing of the
same alert finds its history and its lessons.  A change to the cleaner can give a
title another key ("OK -> ALARM: \"prod-api-5xx\" in …" was "ok alarm in us east", now "api 5xx");
then ALERT_KEY_VERSION moves, and the first process to start or sync makes every stored key again
from its title, once (migration 0084 records the version the keys were made with).
"""
import logging
from typing import TYPE_CHECKING

from psycopg2.extras import execute_values

from matching.details import key_of
from matching.titles import ALERT_KEY_VERSION, alert_key

if TYPE_CHECKING:
    import psycopg2.extensions

log = logging.getLogger(__name__)


def rekey_stored_titles(conn: "psycopg2.extensions.connection", version: int = ALERT_KEY_VERSION) -> int:
    """Make the stored title keys again when they were made by another version of the cleaner;
    returns how many rows changed key (0, after one look, when they are current)."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT version FROM alert_key_versions WHERE name = 'title keys'")
        row = cur.fetchone()
    if row and row[0] == version:
        return 0
    with conn, conn.cursor() as cur:
        # The version's row, locked: a second process starting meanwhile waits here, then finds it done.
        cur.execute("INSERT INTO alert_key_versions (name, version) VALUES ('title keys', 0) ON CONFLICT DO NOTHING")
        cur.execute("SELECT version FROM alert_key_versions WHERE name = 'title keys' FOR UPDATE")
        if cur.fetchone()[0] == version:
            return 0
        cur.execute("SELECT DISTINCT title FROM incidents")
        incident_keys = [(title, alert_key(title)) for (title,) in cur.fetchall()]
        # Feedback is keyed by its message's title and the alert it names (`details.key_of`), as the bot keys it.
        cur.execute("SELECT DISTINCT e.title, e.named_alert FROM alert_feedback f"
                    " JOIN alert_events e ON e.id = f.alert_event_id")
        feedback_keys = [(title, named, key_of(named, title)) for title, named in cur.fetchall()]
        changed = 0
        if incident_keys:
            execute_values(cur, "UPDATE incidents SET title_key = v.key FROM (VALUES %s) AS v(title, key) "
                                "WHERE incidents.title = v.title AND incidents.title_key IS DISTINCT FROM v.key",
                           incident_keys, page_size=1000)
            changed += cur.rowcount
        if feedback_keys:
            execute_values(cur, "UPDATE alert_feedback f SET title_key = v.key FROM alert_events e, "
                                "(VALUES %s) AS v(title, named, key) WHERE f.alert_event_id = e.id AND e.title = v.title "
                                "AND e.named_alert IS NOT DISTINCT FROM v.named "
                                "AND f.title_key IS DISTINCT FROM v.key", feedback_keys, page_size=1000)
            changed += cur.rowcount
        cur.execute("UPDATE alert_key_versions SET version = %s WHERE name = 'title keys'", (version,))
    if changed:
        log.info("Made the stored alert keys again for the title cleaner's version %d: %d rows.", version, changed)
    return changed
