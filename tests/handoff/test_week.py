import argparse
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from handoff.week import (
    latest_due_week,
    local_moment,
    parse_schedule,
    parse_week_argument,
    previous_week,
    week_containing,
    week_ending_on,
    week_label,
)
from utils import ConfigError

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*parts):
    return datetime(*parts, tzinfo=BERLIN)


def test_it_parses_a_schedule_in_any_case():
    schedule = parse_schedule("Monday 09:00", "Europe/Berlin")
    assert (schedule.weekday, schedule.clock, schedule.day_name) == (0, "09:00", "monday")


@pytest.mark.parametrize("text", ["", "monday", "funday 09:00", "monday 25:00", "monday 9", "monday 09:61"])
def test_it_refuses_a_schedule_it_cannot_read_naming_the_key(text):
    with pytest.raises(ConfigError, match="HANDOFF_SCHEDULE"):
        parse_schedule(text, "UTC")


def test_it_refuses_an_unknown_time_zone_naming_the_key():
    with pytest.raises(ConfigError, match="ONCALL_TIMEZONE"):
        parse_schedule("monday 09:00", "Mars/Olympus")


def test_the_due_week_is_the_seven_days_ending_at_the_last_handoff_moment():
    schedule = parse_schedule("monday 09:00", "Europe/Berlin")
    week = latest_due_week(berlin(2026, 11, 25, 14, 0), schedule)
    assert (week.start, week.end) == (berlin(2026, 11, 16, 9), berlin(2026, 11, 23, 9))


def test_the_handoff_moment_itself_closes_the_week_and_a_second_before_does_not():
    schedule = parse_schedule("monday 09:00", "Europe/Berlin")
    moment = berlin(2026, 11, 23, 9, 0)
    assert latest_due_week(moment, schedule).end == moment
    assert latest_due_week(moment - timedelta(seconds=1), schedule).end == berlin(2026, 11, 16, 9)


def test_a_week_across_the_autumn_dst_change_in_berlin_has_169_hours():
    schedule = parse_schedule("monday 09:00", "Europe/Berlin")
    week = week_ending_on(date(2026, 10, 26), schedule)  # clocks went back on Sunday 25 Oct
    assert week.hours == 169
    assert week.start.utcoffset() == timedelta(hours=2) and week.end.utcoffset() == timedelta(hours=1)
    assert week.end_utc() == datetime(2026, 10, 26, 8, 0, tzinfo=timezone.utc)


def test_a_week_across_the_spring_dst_change_in_berlin_has_167_hours():
    schedule = parse_schedule("monday 09:00", "Europe/Berlin")
    assert week_ending_on(date(2026, 3, 30), schedule).hours == 167


def test_a_handoff_time_skipped_by_dst_moves_forward_like_the_clocks():
    moment = local_moment(date(2026, 3, 29), datetime.strptime("02:30", "%H:%M").time(), BERLIN)
    assert moment.astimezone(timezone.utc) == datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)
    assert (moment.hour, moment.minute) == (3, 30)


def test_consecutive_weeks_meet_without_gap_or_overlap_through_a_year_of_dst():
    schedule = parse_schedule("sunday 02:30", "Europe/Berlin")
    week = latest_due_week(berlin(2027, 1, 1), schedule)
    for _ in range(53):
        earlier = previous_week(week, schedule)
        assert earlier.end == week.start and earlier.hours in (167, 168, 169)
        week = earlier


def test_week_argument_names_the_week_starting_that_day():
    schedule = parse_schedule("monday 09:00", "Europe/Berlin")
    week = week_containing(date(2026, 11, 23), schedule)
    assert (week.start, week.end) == (berlin(2026, 11, 23, 9), berlin(2026, 11, 30, 9))
    assert week_containing(date(2026, 11, 26), schedule) == week


def test_week_argument_must_be_a_date():
    assert parse_week_argument("2026-11-23") == date(2026, 11, 23)
    for text in ("23.11.2026", "2026-02-31", "foo"):  # argparse prints the sentence as it is
        with pytest.raises(argparse.ArgumentTypeError, match="is not a date like 2026-11-23"):
            parse_week_argument(text)


@pytest.mark.parametrize("end, label", [
    (date(2026, 11, 30), "23–30 Nov 2026"),
    (date(2026, 12, 5), "28 Nov – 5 Dec 2026"),
    (date(2027, 1, 4), "28 Dec 2026 – 4 Jan 2027"),
])
def test_week_labels_read_like_a_calendar(end, label):
    assert week_label(week_ending_on(end, parse_schedule("monday 09:00", "UTC"))) == label
