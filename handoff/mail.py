"""The handoff report as a mail: Jinja2 templates in, an EmailMessage out.  Pure.

The HTML part is built for mail clients, not browsers: tables and inline styles, no
scripts, no external images, a chart drawn with table cells, and a single column that
fits a 360 px phone.  The plain-text part says the same for clients that show no HTML.
"""
from collections.abc import Sequence
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formatdate, parseaddr
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from handoff.formatting import change_tone, format_change, format_duration

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def template_environment(directory: Path = TEMPLATE_DIR) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(directory)),
        # Incident titles come from monitors and people: escape everything in the HTML part.
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters.update(duration=format_duration, change=format_change, tone=change_tone)
    return env


def subject_line(report: dict) -> str:
    """`On-call handoff · 23–30 Nov 2026 · 47 incidents (+12% vs previous week)`."""
    total, previous = report["incidents"], report["previous_incidents"]
    noun = "incident" if total == 1 else "incidents"
    change = format_change(total, previous)
    if change == "new":
        change = "none the week before"
    elif change != "–":
        change = f"{change} vs previous week"
    return f"On-call handoff · {report['label']} · {total} {noun} ({change})"


def render_bodies(report: dict, env: Environment | None = None) -> tuple[str, str]:
    """(plain_text, html) for `report` (the dict report.build_handoff_report returns)."""
    env = env or template_environment()
    context = {"report": report, "subject": subject_line(report)}
    return env.get_template("handoff.txt").render(context), env.get_template("handoff.html").render(context)


def compose_message(report: dict, sender: str, recipients: Sequence[str], message_id: str, now: datetime | None,
                    env: Environment | None = None) -> EmailMessage:
    """The mail: plain text first, HTML as the preferred alternative (RFC 2046 order)."""
    text, html = render_bodies(report, env)
    message = EmailMessage()
    message["Subject"] = subject_line(report)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now) if now else formatdate(localtime=False)
    # One Message-ID per week: if a crash ever repeats a send, mail clients fold the copies.
    message["Message-ID"] = message_id
    # RFC 3834: no vacation auto-replies to a robot's weekly mail.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def handoff_message_id(week_of: date, sender: str | None) -> str:
    """`<handoff-2026-11-23@example.com>`, stable for the week."""
    address = parseaddr(str(sender or ""))[1]
    domain = address.rpartition("@")[2] if "@" in address else "oncall-helper.local"
    return f"<handoff-{week_of.isoformat()}@{domain}>"
