"""The change log of migration 0083: which local days a write touched, and its pruning."""
from datetime import date, datetime, timedelta, timezone

from alert_visualization import day_changes
from database.connection import connect_url


def test_an_hour_counts_for_each_local_day_it_overlaps():
    hour = datetime(2026, 11, 20, 18, 0, tzinfo=timezone.utc)
    assert day_changes.changed_days([hour], "Europe/Berlin") == {date(2026, 11, 20)}
    # 18:00-19:00 UTC is 23:30-00:30 in India: two local days.
    assert day_changes.changed_days([hour], "Asia/Kolkata") == {date(2026, 11, 20), date(2026, 11, 21)}
    assert day_changes.changed_days([], "UTC") == set()
    assert day_changes.changed_days([hour, None], "UTC") is day_changes.EVERY_DAY


def unseen_hours(db, snapshot):
    with db, db.cursor() as cur:
        day_changes.take_snapshot(cur)
        return day_changes.changed_hours(cur, snapshot)


def test_a_write_logs_its_hours_in_its_own_transaction_and_a_sync_prunes_the_old_ones(db, database_url):
    created = datetime(2026, 11, 20, 9, 41, tzinfo=timezone.utc)
    with db, db.cursor() as cur:
        snapshot = day_changes.take_snapshot(cur)
    writer = connect_url(database_url)
    with writer.cursor() as cur:
        cur.execute("INSERT INTO incidents (id, incident_number, title, status, urgency, created_at) "
                    "VALUES ('Q1', 1, 'Disk full', 'triggered', 'high', %s), ('Q2', 2, 'Disk full', 'triggered', "
                    "'high', %s)", (created, created + timedelta(minutes=5)))
    assert unseen_hours(db, snapshot) == []  # not committed yet
    writer.commit()
    writer.close()
    assert unseen_hours(db, snapshot) == [datetime(2026, 11, 20, 9, tzinfo=timezone.utc)]
    with db, db.cursor() as cur:
        later = day_changes.take_snapshot(cur)
    assert unseen_hours(db, later) == []
    with db, db.cursor() as cur:
        cur.execute("UPDATE incident_changes SET logged_at = now() - interval '25 hours'")
    assert day_changes.prune(db) == 1
    assert unseen_hours(db, snapshot) == []
