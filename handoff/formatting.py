"""How the handoff shows its figures: durations, week-on-week changes and moments.  Pure.

Both the report (which fills its tables with these strings) and the mail templates (as
Jinja2 filters) use them, so the plain-text and HTML parts never say a figure two ways.
"""
from datetime import datetime
from zoneinfo import ZoneInfo


def format_duration(seconds: float | None) -> str:
    """45 s -> "45s", 754 s -> "12m 34s", 12_000 s -> "3h 20m", 190_000 s -> "2d 4h"; None -> "–"."""
    if seconds is None or seconds != seconds:  # NaN: no incident had the event
        return "–"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600}h"


def format_change(current: float | None, previous: float | None) -> str:
    """Change vs the previous week: "+12%", "−5%", "±0%", "new" (was zero), "–" (unknown)."""
    if current is None or previous is None or current != current or previous != previous:
        return "–"
    if previous == 0:
        return "±0%" if current == 0 else "new"
    percent = round((current - previous) / previous * 100)
    if percent == 0:
        return "±0%"
    return f"+{percent}%" if percent > 0 else f"−{abs(percent)}%"


def change_tone(current: float | None, previous: float | None) -> str:
    """"worse", "better" or "same": every handoff figure is better when it falls."""
    if current is None or previous is None or current != current or previous != previous or current == previous:
        return "same"
    return "worse" if current > previous else "better"


def format_moment(moment: datetime | None, zone: ZoneInfo) -> str:
    """An incident time in the team's zone: "Mon 23 Nov 14:05"."""
    return moment.astimezone(zone).strftime("%a %-d %b %H:%M") if moment is not None else "–"
