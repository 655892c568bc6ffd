"""Shared set-up for the handoff mailer tests: the week, the keys, a mailer wired exactly as
send_mail.py wires it, and plain-Python expectations computed straight from the sandbox's
generated history (not through alert_visualization.metrics)."""
import re
import threading
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from statistics import mean
from zoneinfo import ZoneInfo

import psycopg2

import send_mail
from matching.titles import alert_key
from sandbox.pagerduty import DEFAULT_TOKEN
from sandbox.pagerduty_history import RESPONDERS, generate_history, status_at, urgency_at

BERLIN = ZoneInfo("Europe/Berlin")
HANDOFF = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)  # a Monday handoff moment
NOW = HANDOFF + timedelta(hours=1)
HTML_TITLE = '<script>alert("pwned")</script><b>disk</b> & <img src=x onerror=alert(1)> full'


def make_history(end, seed=5, days=16, count=400):
    history = generate_history(seed=seed, days=days, count=count, end=end.astimezone(timezone.utc))
    history.add(HTML_TITLE, (end - timedelta(hours=3)).timestamp(), urgency="high")
    return history


def handoff_keys(pagerduty_server, smtp_port, **overrides):
    keys = {
        "PAGERDUTY_TOKEN": DEFAULT_TOKEN, "PAGERDUTY_API_URL": pagerduty_server.base_url, "PAGERDUTY_SYNC_DAYS": "20",
        "HANDOFF_SCHEDULE": "monday 09:00", "ONCALL_TIMEZONE": "Europe/Berlin",
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none",
        "SENDER_ID": "oncall-helper@example.com", "HANDOFF_RECIPIENTS": "alice@example.com, bob@example.com",
        "DASHBOARD_URL": "http://127.0.0.1:8050", "HANDOFF_OPEN_LIMIT": "100",
        "HANDOFF_RETRY_ATTEMPTS": "3", "HANDOFF_RETRY_SECONDS": "0.05",
    }
    return {**keys, **overrides}


class MailerAt:
    """A mailer process as send_mail.py builds it, with its own connection and a set clock."""

    def __init__(self, database_url, config, now, name):
        self.conn = psycopg2.connect(database_url)
        self.mailer = send_mail.build_mailer(config, self.conn, threading.Event(), sending_mail=True)
        self.mailer.clock = lambda: now.astimezone(timezone.utc)
        self.mailer.mailer_id = name

    def close(self):
        self.conn.close()


def read_mail(path):
    """(subject, plain text, html) of a saved .eml."""
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    return (message["Subject"], message.get_body(("plain",)).get_content(),
            message.get_body(("html",)).get_content())


def text_section(text, heading):
    """The lines under an upper-case heading of the plain-text part, up to the next heading."""
    lines = text.split(heading, 1)[1].splitlines()[1:]
    section = []
    for line in lines:
        if re.match(r"^[A-Z][A-Z0-9 ()\-]+$", line.strip()) and not line.startswith(" "):
            break
        section.append(line)
    return section


def parse_duration(text):
    """"20m 43s" / "1h 29m" / "2d 4h" / "45s" -> seconds (the mail's own precision)."""
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(int(number) * units[unit] for number, unit in re.findall(r"(\d+)([dhms])", text))


def expected_week(history, start, end, now, zone):
    """The handoff's numbers from the raw sandbox history, in plain Python.

    What the API shows at `now`: acknowledgements and resolves after it have not happened.
    """
    start, end, now = start.timestamp(), end.timestamp(), now.timestamp()
    week = [incident for incident in history.incidents if start <= incident.created_at < end]
    acked = [i.acknowledged_at - i.created_at for i in week if i.acknowledged_at is not None and i.acknowledged_at <= now]
    by_person = [i.resolved_at - i.created_at for i in week
                 if i.resolved_at is not None and i.resolved_at <= now and i.resolved_by in RESPONDERS
                 and not i.merged_into]  # a merge closed it, not a fix
    hours = [datetime.fromtimestamp(i.created_at, zone) for i in week]
    sleep = sum(1 for moment in hours if moment.hour >= 22 or moment.hour < 8)
    business = sum(1 for moment in hours if moment.weekday() < 5 and 8 <= moment.hour < 18)
    still_open = [i for i in history.incidents
                  if i.created_at < end and not (i.resolved_at is not None and i.resolved_at <= end)]
    keys = {}
    for incident in week:
        keys[alert_key(incident.title)] = keys.get(alert_key(incident.title), 0) + 1
    return {
        "incidents": len(week), "high_urgency": sum(1 for i in week if urgency_at(i, status_at(i, now)) == "high"),
        "mtta": mean(acked) if acked else None, "mttr": mean(by_person) if by_person else None,
        "sleep": sleep, "off": len(week) - sleep - business,
        "open_numbers": sorted(i.number for i in still_open), "key_counts": keys,
    }
