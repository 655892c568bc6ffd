"""Handoff-week arithmetic: which seven days a handoff mail covers, in the team's time zone.

A handoff week is the seven local days that end at the scheduled moment
(`HANDOFF_SCHEDULE`, e.g. ``monday 09:00``, in `ONCALL_TIMEZONE`).  Across a DST change
the week is 167 or 169 hours long: the shift starts and ends at the same wall-clock
time, which is what the people on call see.  Everything here is pure.
"""
import argparse
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from utils import ConfigError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SCHEDULE = re.compile(r"^\s*(?P<day>[a-z]+)\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class HandoffSchedule:
    """The weekly moment one shift hands over to the next."""

    weekday: int  # Monday is 0, as in datetime.weekday()
    at: time
    zone: ZoneInfo

    @property
    def day_name(self) -> str:
        return WEEKDAYS[self.weekday]

    @property
    def clock(self) -> str:
        return self.at.strftime("%H:%M")


@dataclass(frozen=True)
class HandoffWeek:
    """Seven local days [start, end) ending at a scheduled handoff moment."""

    start: datetime
    end: datetime

    @property
    def week_of(self) -> date:
        """The local date the week starts on: the week's name in the database and the CLI."""
        return self.start.date()

    @property
    def hours(self) -> float:
        # Aware datetimes in one zone subtract as wall-clock times; UTC counts the real hours.
        return (self.end_utc() - self.start_utc()).total_seconds() / 3600

    def start_utc(self) -> datetime:
        return self.start.astimezone(timezone.utc)

    def end_utc(self) -> datetime:
        return self.end.astimezone(timezone.utc)


def parse_schedule(text: str | None, zone_name: str) -> HandoffSchedule:
    """`monday 09:00` + `Europe/Berlin` -> HandoffSchedule, or ConfigError naming the key."""
    match = _SCHEDULE.match(text or "")
    day = match and match.group("day").lower()
    if not match or day not in WEEKDAYS:
        raise ConfigError(f'HANDOFF_SCHEDULE must look like "monday 09:00", but it is "{text}".')
    hour, minute = int(match.group("hour")), int(match.group("minute"))
    if hour > 23 or minute > 59:
        raise ConfigError(f'HANDOFF_SCHEDULE has no such time of day: "{text}".')
    return HandoffSchedule(WEEKDAYS.index(day), time(hour, minute), parse_zone(zone_name))


def parse_zone(zone_name: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f'ONCALL_TIMEZONE must be an IANA time zone such as "Europe/Berlin", not "{zone_name}".') from None


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` at wall-clock `at` in `zone`, made real when DST skips or repeats that time.

    A skipped time (02:30 on a spring-forward night) moves to the same offset after the
    jump, as clocks do; a repeated one takes its first occurrence.
    """
    naive = datetime.combine(day, at)
    moment = naive.replace(tzinfo=zone, fold=0)
    round_trip = moment.astimezone(timezone.utc).astimezone(zone)
    return round_trip if round_trip.replace(tzinfo=None) != naive else moment


def week_ending_on(day: date, schedule: HandoffSchedule) -> HandoffWeek:
    """The handoff week whose scheduled end falls on local date `day`."""
    end = local_moment(day, schedule.at, schedule.zone)
    start = local_moment(day - timedelta(days=7), schedule.at, schedule.zone)
    return HandoffWeek(start, end)


def latest_due_week(now: datetime, schedule: HandoffSchedule) -> HandoffWeek:
    """The most recent week whose handoff moment is at or before `now` (aware datetime)."""
    local_now = now.astimezone(schedule.zone)
    days_back = (local_now.weekday() - schedule.weekday) % 7
    week = week_ending_on(local_now.date() - timedelta(days=days_back), schedule)
    if week.end_utc() > now.astimezone(timezone.utc):
        week = previous_week(week, schedule)
    return week


def next_handoff_moment(now: datetime, schedule: HandoffSchedule) -> datetime:
    """The first scheduled handoff moment after `now` (aware), for the status panel."""
    latest_end = latest_due_week(now, schedule).end
    return week_ending_on(latest_end.date() + timedelta(days=7), schedule).end


def week_containing(day: date, schedule: HandoffSchedule) -> HandoffWeek:
    """The handoff week holding local `day` at the schedule's clock time: what `--week` names.

    On the schedule's weekday that is the week starting that day, so ``--week 2026-11-23``
    with a Monday schedule is 23-30 Nov.
    """
    return latest_due_week(local_moment(day + timedelta(days=7), schedule.at, schedule.zone), schedule)


def previous_week(week: HandoffWeek, schedule: HandoffSchedule) -> HandoffWeek:
    return week_ending_on(week.start.date(), schedule)


def parse_week_argument(text: str) -> date:
    """`YYYY-MM-DD` -> date; argparse reports the ArgumentTypeError's sentence as it is."""
    try:
        if isinstance(text, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-23")


def week_label(week: HandoffWeek) -> str:
    """`23–30 Nov 2026`, `28 Nov – 5 Dec 2026`, `29 Dec 2026 – 5 Jan 2027` for subjects and headings."""
    first, last = week.start.date(), week.end.date()
    if first.year != last.year:
        return f"{first:%-d %b %Y} – {last:%-d %b %Y}"
    if first.month != last.month:
        return f"{first:%-d %b} – {last:%-d %b %Y}"
    return f"{first:%-d}–{last:%-d %b %Y}"
