"""Stored alert keys follow the title cleaner: an incident's and a lesson's key are made again from
their titles when ALERT_KEY_VERSION moves, once."""
from datetime import datetime, timezone

from matching.lessons import lessons_for
from matching.stored_keys import rekey_stored_titles
from matching.titles import ALERT_KEY_VERSION, alert_key

STATE_CHANGE = 'OK -> ALARM: "prod-api-5xx" in US East (N. Virginia)'
OLD_KEY = "ok alarm in us east"  # what an earlier cleaner made of every CloudWatch state change


def test_keys_made_by_an_older_cleaner_are_made_again_once(db):
    with db, db.cursor() as cur:
        cur.execute("INSERT INTO incidents (id, incident_number, title, status, urgency, created_at, title_key) "
                    "VALUES ('Q1', 1, %s, 'triggered', 'high', %s, %s), ('Q2', 2, 'Disk full', 'resolved', 'low', %s, "
                    "'disk full')", (STATE_CHANGE, datetime(2026, 11, 20, tzinfo=timezone.utc), OLD_KEY,
                                     datetime(2026, 11, 21, tzinfo=timezone.utc)))
        cur.execute("INSERT INTO alert_events (channel, message_ts, title, alert_key) VALUES ('C1', '1.1', %s, %s) "
                    "RETURNING id", (STATE_CHANGE, OLD_KEY))
        event = cur.fetchone()[0]
        cur.execute("INSERT INTO alert_feedback (alert_event_id, voter, voter_name, title_key, verdict) "
                    "VALUES (%s, 'U1', '@ana', %s, 'no_runbook')", (event, OLD_KEY))
    assert alert_key(STATE_CHANGE) == "api 5xx" != OLD_KEY
    assert not lessons_for(db, alert_key(STATE_CHANGE)).no_runbook  # the lesson is under the old key

    assert rekey_stored_titles(db) == 2  # the incident and the lesson; 'disk full' was current
    with db, db.cursor() as cur:
        cur.execute("SELECT id, title_key FROM incidents ORDER BY id")
        assert cur.fetchall() == [("Q1", "api 5xx"), ("Q2", "disk full")]
        cur.execute("SELECT version FROM alert_key_versions")
        assert cur.fetchone()[0] == ALERT_KEY_VERSION
    assert lessons_for(db, alert_key(STATE_CHANGE)).no_runbook  # the next firing finds what the team said

    # Once per version: a stale key written since is left alone until the version moves again.
    with db, db.cursor() as cur:
        cur.execute("UPDATE incidents SET title_key = %s WHERE id = 'Q1'", (OLD_KEY,))
    assert rekey_stored_titles(db) == 0
    assert rekey_stored_titles(db, ALERT_KEY_VERSION + 1) == 1


def test_what_was_taught_about_a_title_without_words_teaches_nothing_about_the_next(db):
    from matching.lessons import taught_lessons
    from matching.titles import UNKNOWN_KEY
    title, other = "🔥🔥🔥", "‼️ ⚠️"
    assert alert_key(title) == alert_key(other) == UNKNOWN_KEY  # no word: one key for many alerts
    with db, db.cursor() as cur:
        cur.execute("INSERT INTO alert_events (channel, message_ts, title, alert_key) VALUES ('C1', '1.2', %s, %s) "
                    "RETURNING id", (title, UNKNOWN_KEY))
        event = cur.fetchone()[0]
        cur.execute("INSERT INTO alert_feedback (alert_event_id, voter, voter_name, title_key, verdict) "
                    "VALUES (%s, 'U1', '@ana', %s, 'no_runbook')", (event, UNKNOWN_KEY))
    assert not lessons_for(db, alert_key(other)).no_runbook
    assert UNKNOWN_KEY not in taught_lessons(db)


def test_feedback_on_an_alert_named_in_its_message_is_keyed_again_by_that_alert(db):
    from matching.details import message_key
    generic, details = "Incident triggered by Alertmanager", "*Alert:* etcdNoLeader\n*Severity:* critical"
    with db, db.cursor() as cur:
        cur.execute("INSERT INTO alert_events (channel, message_ts, title, alert_key, named_alert) "
                    "VALUES ('C1', '1.3', %s, 'etcd no leader', 'etcdNoLeader'), ('C1', '1.4', %s, 'x', NULL) "
                    "RETURNING id", (generic, generic))
        named, unnamed = (row[0] for row in cur.fetchall())
        cur.execute("INSERT INTO alert_feedback (alert_event_id, voter, voter_name, title_key, verdict) "
                    "VALUES (%s, 'U1', '@ana', 'stale', 'no_runbook'), (%s, 'U2', '@bo', 'stale', 'helpful')",
                    (named, unnamed))
    assert rekey_stored_titles(db, ALERT_KEY_VERSION + 7) == 2
    assert lessons_for(db, message_key(generic, details)).no_runbook  # the next etcdNoLeader under that title
    assert not lessons_for(db, message_key(generic, "*Alert:* TargetDown")).no_runbook  # not another alert
    with db, db.cursor() as cur:
        cur.execute("SELECT title_key FROM alert_feedback ORDER BY id")
        assert [row[0] for row in cur.fetchall()] == ["etcd no leader", "incident triggered by alertmanager"]
