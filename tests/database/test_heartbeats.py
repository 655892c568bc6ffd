from database import heartbeats


def test_a_heartbeat_is_recorded_and_later_beats_merge_details(db):
    heartbeats.record_heartbeat(db, "docs_monitor", 300, "crawled 12 pages", last_poll="12:00")
    heartbeats.record_heartbeat(db, "docs_monitor", 300, None, pages=12)
    [status] = heartbeats.suite_status(db)
    assert status["process"] == "docs_monitor"
    assert status["last_outcome"] == "crawled 12 pages"
    assert status["details"] == {"last_poll": "12:00", "pages": 12, "interval_seconds": 300}
    assert status["stale"] is False


def test_a_heartbeat_older_than_three_intervals_is_stale(db):
    heartbeats.record_heartbeat(db, "slack_bot", 10, "connected")
    heartbeats.record_heartbeat(db, "send_mail", 60, "next run monday 09:00")
    with db, db.cursor() as cur:
        cur.execute("UPDATE process_status SET heartbeat_at = now() - interval '31 seconds'")
    stale = {row["process"]: row["stale"] for row in heartbeats.suite_status(db)}
    assert stale == {"send_mail": False, "slack_bot": True}
