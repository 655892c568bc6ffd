"""The dashboard's filters, read from and written to the query string (so a view is a link)."""
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from alert_visualization.metrics import Period, last_days

RANGES = ("7", "30", "90")
URGENCIES = ("high", "low")
LONGEST_CUSTOM_DAYS = 366


@dataclass(frozen=True)
class Filters:
    range: str = "7"          # "7" / "30" / "90" / "custom"
    first_day: date | None = None  # custom range only
    last_day: date | None = None
    service: str | None = None
    urgency: str | None = None

    def period(self, timezone: str, now: datetime | None = None) -> Period:
        if self.range == "custom":
            return Period(self.first_day, self.last_day, timezone)
        today = (now or datetime.now(ZoneInfo(timezone))).astimezone(ZoneInfo(timezone)).date()
        return last_days(int(self.range), today, timezone)

    def query(self, **changes: object) -> str:
        """The query string of these filters (with `changes`), for links and the CSV export."""
        chosen = replace(self, **changes)
        params = {"range": chosen.range}
        if chosen.range == "custom":
            params.update({"from": chosen.first_day.isoformat(), "to": chosen.last_day.isoformat()})
        params.update({key: value for key, value in (("service", chosen.service), ("urgency", chosen.urgency)) if value})
        return urlencode(params)


def _day(text):
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def parse_filters(args: Mapping[str, str]) -> Filters:
    """Filters from request args; anything unusable falls back to its default."""
    first, last = _day(args.get("from")), _day(args.get("to"))
    wanted = args.get("range") or ("custom" if first and last else "7")
    if wanted == "custom" and first and last:
        first, last = min(first, last), max(first, last)
        if (last - first).days >= LONGEST_CUSTOM_DAYS:
            first = date.fromordinal(last.toordinal() - LONGEST_CUSTOM_DAYS + 1)
        range_key = "custom"
    else:
        range_key, first, last = (wanted if wanted in RANGES else "7"), None, None
    urgency = args.get("urgency") if args.get("urgency") in URGENCIES else None
    return Filters(range_key, first, last, (args.get("service") or "").strip() or None, urgency)
