import threading
from datetime import date, timedelta

import psycopg2

from handoff import runs
from handoff.week import parse_schedule, week_ending_on

SCHEDULE = parse_schedule("monday 09:00", "Europe/Berlin")
WEEK = week_ending_on(date(2026, 11, 30), SCHEDULE)


def test_the_first_mailer_claims_a_week_and_a_second_does_not(db):
    assert runs.claim_week(db, WEEK, "a:1")
    assert not runs.claim_week(db, WEEK, "b:2")
    run = runs.handoff_run(db, WEEK.week_of)
    assert (run["status"], run["claimed_by"], run["attempts"]) == ("pending", "a:1", 1)


def test_a_sent_week_is_never_claimed_again(db):
    runs.claim_week(db, WEEK, "a:1")
    assert runs.mark_sent(db, WEEK, "a:1", "<id@x>", recipients=2, incidents=47)
    assert not runs.claim_week(db, WEEK, "b:2", lease=timedelta(0))
    assert not runs.claim_week(db, WEEK, "b:2", retry_failed=True)
    run = runs.handoff_run(db, WEEK.week_of)
    assert (run["status"], run["incidents"], run["claimed_by"]) == ("sent", 47, None)
    assert run["sent_at"] is not None


def test_a_claim_whose_lease_ran_out_passes_to_another_mailer(db):
    runs.claim_week(db, WEEK, "a:1")
    assert runs.claim_week(db, WEEK, "b:2", lease=timedelta(0))
    # The first mailer lost the week: it may no longer mark it either way.
    assert not runs.mark_sent(db, WEEK, "a:1", "<id@x>", 1, 1)
    assert not runs.renew_claim(db, WEEK, "a:1")
    assert runs.handoff_run(db, WEEK.week_of)["attempts"] == 2


def test_a_released_week_is_claimed_by_the_next_check_with_the_reason_kept(db):
    runs.claim_week(db, WEEK, "a:1")
    runs.release_claim(db, WEEK, "a:1", "ConnectionRefusedError")
    assert runs.handoff_run(db, WEEK.week_of)["reason"] == "ConnectionRefusedError"
    assert runs.claim_week(db, WEEK, "a:1")


def test_a_permanent_failure_is_retried_only_when_asked_by_name(db):
    runs.claim_week(db, WEEK, "a:1")
    runs.mark_failed(db, WEEK, "a:1", "554 5.7.1 relay denied")
    assert not runs.claim_week(db, WEEK, "a:1", lease=timedelta(0))
    assert runs.claim_week(db, WEEK, "a:1", retry_failed=True)
    assert runs.handoff_run(db, WEEK.week_of)["status"] == "pending"


def test_many_mailers_claiming_at_once_give_exactly_one_owner(database_url):
    winners, barrier = [], threading.Barrier(8)

    def mailer(number):
        conn = psycopg2.connect(database_url)
        barrier.wait()
        if runs.claim_week(conn, WEEK, f"m:{number}"):
            winners.append(number)
        conn.close()

    threads = [threading.Thread(target=mailer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1


def test_a_mailer_takes_back_its_own_claim_a_failed_check_left_and_no_one_else_does(db):
    assert runs.claim_week(db, WEEK, "a:1")  # then the check died with the database
    assert not runs.claim_week(db, WEEK, "b:2")
    assert runs.claim_week(db, WEEK, "a:1")
    assert runs.handoff_run(db, WEEK.week_of)["attempts"] == 2
