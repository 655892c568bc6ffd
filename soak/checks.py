"""The soak's end-state checks: each returns a list of problems (sentences), empty when it holds.

- the stored runbooks equal a fresh crawl of the site's final state (into a database of
  their own on the same server), so nothing an outage interrupted was half-applied;
- the synced incidents equal the sandbox PagerDuty's, as of its (pinned) clock;
- every handoff week that came due was mailed exactly once;
- every alert got its one reply or was recorded as having no runbook (soak_alerts).
"""
import email
import email.policy
from collections import Counter

import psycopg2

from database import connection
from generate_documentation_db.docs_monitor import DocsMonitor
from handoff.mail import handoff_message_id
from handoff.week import latest_due_week, parse_schedule
from sandbox.pagerduty_history import RESPONDERS

FRESH_DATABASE = "soak_fresh_crawl"
RUNBOOK_ROWS = """
    SELECT p.url, r.position, r.title, r.alert_name, r.url, r.anchor, r.kind, r.points_to, r.summary,
           r.body_text, r.mrkdwn,
           ARRAY(SELECT k.alert_key || '/' || k.name FROM runbook_alert_keys k WHERE k.runbook_id = r.id
                 ORDER BY 1),
           ARRAY(SELECT s.title || '/' || s.body_text FROM runbook_sections s WHERE s.runbook_id = r.id
                 ORDER BY s.position)
    FROM runbooks r JOIN doc_pages p ON p.id = r.page_id ORDER BY p.url, r.position
"""


def runbook_rows(conn):
    with conn, conn.cursor() as cur:
        cur.execute(RUNBOOK_ROWS)
        return cur.fetchall()


def fresh_crawl_rows(server_url, site_url):
    """The runbooks a first crawl of the site as it is now stores, in a database of its own."""
    conn = psycopg2.connect(connection.create_migrated_database(server_url, FRESH_DATABASE))
    try:
        DocsMonitor([site_url]).poll(conn)
        return runbook_rows(conn)
    finally:
        conn.close()


def compare_runbooks(stored, fresh):
    """Problems: runbooks stored but not on the site, on the site but not stored, or different."""
    by_key = {(row[0], row[1]): row for row in stored}
    fresh_by_key = {(row[0], row[1]): row for row in fresh}
    problems = [f"stored runbook {row[2]!r} ({row[0]}) is not on the site any more"
                for key, row in by_key.items() if key not in fresh_by_key]
    problems += [f"runbook {row[2]!r} ({row[0]}) on the site is not stored" for key, row in fresh_by_key.items()
                 if key not in by_key]
    problems += [f"stored runbook {row[2]!r} ({row[0]}) differs from the site" for key, row in fresh_by_key.items()
                 if key in by_key and by_key[key] != row]
    return problems


def expected_incidents(history, clock):
    """{id: (number, status, first ack, resolved_at, auto_resolved)} as the API shows them at `clock`."""
    expected = {}
    for incident in history.incidents:
        if incident.created_at >= clock:
            continue
        acked = incident.acknowledged_at if incident.acknowledged_at is not None \
            and incident.acknowledged_at < clock else None
        resolved = incident.resolved_at if incident.resolved_at is not None and incident.resolved_at < clock else None
        status = "resolved" if resolved else "acknowledged" if acked else "triggered"
        auto = (incident.resolved_by not in RESPONDERS) if resolved else None
        expected[incident.id] = (incident.number, status, acked, resolved, auto)
    return expected


def stored_incidents(rows):
    """DB rows (id, number, status, first ack, resolved, auto) -> the same shape as expected_incidents."""
    def seconds(moment):
        return None if moment is None else float(int(moment.timestamp()))
    return {row[0]: (row[1], row[2], seconds(row[3]), seconds(row[4]), row[5] if row[4] else None) for row in rows}


def compare_incidents(stored, expected):
    missing = sorted(set(expected) - set(stored))
    extra = sorted(set(stored) - set(expected))
    different = sorted(key for key in set(expected) & set(stored) if expected[key] != stored[key])
    problems = []
    if missing:
        problems.append(f"{len(missing)} sandbox incidents are not synced (e.g. {missing[0]})")
    if extra:
        problems.append(f"{len(extra)} synced incidents are not in the sandbox (e.g. {extra[0]})")
    for key in different[:3]:
        problems.append(f"incident {key} is stored as {stored[key]}, the sandbox says {expected[key]}")
    if len(different) > 3:
        problems.append(f"... and {len(different) - 3} more incidents differ")
    return problems


def mailed_weeks(mail_paths):
    """Counter of Message-IDs over the .eml files the SMTP sink saved."""
    ids = Counter()
    for path in mail_paths:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        ids[str(message["Message-ID"])] += 1
    return ids


def check_handoff(mail_ids, sent_weeks, settings, soak_due, now):
    """Problems with the handoff mails: a week mailed twice, a due week not mailed, a row without its mail."""
    sender = settings["SENDER_ID"]
    schedule = parse_schedule(settings["HANDOFF_SCHEDULE"], settings["ONCALL_TIMEZONE"])
    problems = [f"{message_id} was mailed {count} times" for message_id, count in mail_ids.items() if count != 1]
    expected_ids = {handoff_message_id(week, sender) for week in sent_weeks}
    problems += [f"{message_id} was mailed but its week is not recorded as sent"
                 for message_id in mail_ids if message_id not in expected_ids]
    problems += [f"the week of {week} is recorded as sent but no mail arrived" for week in sent_weeks
                 if handoff_message_id(week, sender) not in mail_ids]
    due_week = latest_due_week(soak_due, schedule).week_of
    if now >= soak_due and due_week not in sent_weeks:
        problems.append(f"the handoff that came due during the soak (week of {due_week}) was not sent")
    return problems
