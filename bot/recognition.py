"""Recognising a PagerDuty alert in a Slack message event (pure functions).

PagerDuty's Slack app posts bot messages whose `text` is often empty: the incident sits
in `attachments` (fallback "Triggered #4821: …", a title linking to …/incidents/<ID>,
fields) or in `blocks` (a status line first, then the incident as a link).  When the
incident is acknowledged or resolved the app edits that message: a `message_changed`
event with the new version under `message`.  Other monitors post their own bot messages.  People talk in the
same channel and name alerts in passing; a person's message is never an alert.  The console's
plain lines (no bot, no user) are alert text typed by whoever runs it.
"""
import html
import re
import unicodedata
from dataclasses import dataclass, replace

from bot.runbook_links import runbook_links
from matching.details import message_key
from matching.details import named_alert as alert_named_in

# Slack's own cap on a message's text; anything longer is not a message Slack sent us.
MAX_TEXT_CHARS = 40_000
MAX_TITLE_CHARS = 300
MAX_DETAILS_CHARS = 4000

_INCIDENT_NUMBER = re.compile(r"(?:^|[\s\[(*_~])#(\d{1,9})\b")
# Where PagerDuty puts its incident number, whoever relays the message: where the message starts, after an
# emoji and a status word or not ("Triggered #4821: …", ":rotating_light: *Acknowledged* #4821", "[#4821] …",
# "#4821: …", "Incident #4821", "Alert #95542: …"), or as the incident link's label ("<…/incidents/Q1|#4821 …>").
# Elsewhere in another monitor's text "#3" is a node, a member or a count, no incident.
_PAGERDUTY_NUMBER = re.compile(
    r"\A(?:\s*:[a-z0-9_+-]+:)*[^\w#\[]*(?:\[#(\d{1,9})\]|(?:(?:re-?)?triggered|acknowledged|escalated|reassigned"
    r"|resolved|incident|alert)?[\s*_~:]*#(\d{1,9})\b)", re.IGNORECASE)
_INCIDENT_LINK_NUMBER = re.compile(r"/incidents/[A-Z0-9]{5,20}[^<>|\s]*\|#(\d{1,9})\b")
_INCIDENT_ID = re.compile(r"/incidents/([A-Z0-9]{5,20})\b")
_ALERT_MARKERS = re.compile(
    r"\[(?:FIRING|RESOLVED)\b|\bTriggered\b|/incidents/|(?:^|\s)#\d+\b|^(?:ALARM|OK|INSUFFICIENT_DATA):"
    r"|\[(?:P[0-5]|Alerting|Warn|Recovered)\b|\[#\d+\]|\bCloudWatch Alarm\s*\||\balertname\s*=",
    re.IGNORECASE | re.MULTILINE,
)
_STATUS_WORDS = re.compile(
    r"\b(re-?triggered|triggered|acknowledged|escalated|reassigned|resolved|firing|recovered)\b|^(ALARM|OK):",
    re.IGNORECASE | re.MULTILINE,
)
_STATUS_NAMES = {"retriggered": "triggered", "re-triggered": "triggered", "firing": "triggered",
                 "alarm": "triggered", "recovered": "resolved", "ok": "resolved"}
# An incident that is over needs no runbook; one acknowledged, escalated or reassigned without a
# reply yet (the bot was down when it triggered) still gets one.
OVER_STATUSES = frozenset({"resolved"})
_SLACK_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
# The incident as a link, in any layout: <https://acme.pagerduty.com/incidents/Q1ABC2D|#4821 title>.
_INCIDENT_LINK = re.compile(r"<https?://[^<>|]*/incidents/[A-Z0-9]{5,20}[^<>|]*\|([^<>]+)>")


@dataclass(frozen=True)
class AlertMessage:
    """A message recognised as an alert: where it is, what it says, which incident."""

    channel: str
    ts: str
    title: str
    status: str
    incident_number: int | None
    incident_id: str | None
    incident_url: str | None
    edited: bool = False  # the app updated its message (message_changed): a status change of this alert
    runbook_links: tuple[str, ...] = ()  # runbook URLs the message carries itself (`bot.runbook_links`)
    # All the message says, its title included (attachment text and fields, the lines after the first), cut at
    # MAX_DETAILS_CHARS: where an Alertmanager template puts the alert's name under a title like "Incident
    # triggered by Alertmanager" (`matching.details`).
    details: str = ""

    @property
    def named_alert(self) -> str | None:
        """The alert a field of the message names (`matching.details.named_alert`), else None."""
        return alert_named_in(self.details)

    @property
    def key(self) -> str:
        """The alert's key for its lessons and history (`matching.details.message_key`)."""
        return message_key(self.title, self.details)

    @property
    def incident_claims(self) -> list[str]:
        """The names this incident goes by; one reply per incident is claimed on all of them."""
        claims = []
        if self.incident_id:
            claims.append(f"id:{self.incident_id}")
        if self.incident_number is not None:
            claims.append(f"number:{self.incident_number}")
        return claims or [f"message:{self.channel}/{self.ts}"]

    @property
    def wants_reply(self) -> bool:
        return self.status not in OVER_STATUSES


class MalformedEvent(ValueError):
    """An event that cannot be a message we act on; the reason is safe to log."""


def slack_to_plain(text: str | None, keep_urls: bool = False) -> str:
    """Slack's wire format to plain text: <url|label> -> label (or "label url"), <@U1> -> @U1, &lt; -> <."""
    def replace(match):
        target, label = match.group(1), match.group(2)
        if label:
            return f"{label} {target}" if keep_urls and not target.startswith(("!", "@", "#")) else label
        if target.startswith("!"):
            return "@" + target[1:].split("^")[0]
        return target
    return html.unescape(_SLACK_LINK.sub(replace, text or ""))


def clean_text(text: str) -> str:
    """NFKC, no control or format characters, no lone surrogates, whitespace collapsed per line."""
    text = str(text).encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def block_texts(blocks: list[dict] | None) -> list[str]:
    """Every piece of text inside Block Kit blocks, depth first (sections, fields, headers, rich text)."""
    texts = []
    for block in blocks if isinstance(blocks, list) else []:
        _collect_block(block, texts)
    return texts


def _collect_block(node, texts):
    if isinstance(node, list):
        for item in node:
            _collect_block(item, texts)
    elif isinstance(node, dict):
        if isinstance(node.get("text"), str) and node.get("type") in (None, "mrkdwn", "plain_text", "text", "link"):
            texts.append(node["text"])
        if node.get("type") == "link" and isinstance(node.get("url"), str) and not node.get("text"):
            texts.append(node["url"])
        for key in ("text", "fields", "elements", "blocks"):
            if isinstance(node.get(key), (dict, list)):
                _collect_block(node[key], texts)


def attachment_texts(attachment: dict) -> list[str]:
    """fallback, pretext, title (and its link), text, fields and nested blocks of one attachment."""
    if not isinstance(attachment, dict):
        return []
    texts = [attachment.get(key) for key in ("fallback", "pretext", "title", "title_link", "text")]
    for field in attachment.get("fields") or []:
        if isinstance(field, dict):
            texts.append(f"{field.get('title', '')}: {field.get('value', '')}")
    texts.extend(block_texts(attachment.get("blocks")))
    return [text for text in texts if isinstance(text, str) and text.strip()]


def raw_texts(event: dict) -> list[str]:
    """Every text a message carries, in reading order, with Slack's markup."""
    texts = [event.get("text")] if isinstance(event.get("text"), str) else []
    texts.extend(block_texts(event.get("blocks")))
    for attachment in event.get("attachments") or []:
        texts.extend(attachment_texts(attachment))
    return [text for text in texts if text]


def gathered_text(event: dict) -> str:
    """All the text a message carries, in reading order, as plain text."""
    # URLs kept: the incident's id is in its link (…/incidents/Q1ABC2D).
    return clean_text(slack_to_plain("\n".join(raw_texts(event)), keep_urls=True))


def _widgets(event):
    attachments = [item for item in event.get("attachments") or [] if isinstance(item, dict)]
    return [event.get("blocks"), *[[item.get("actions"), item.get("blocks")] for item in attachments]]


def incident_title(event: dict) -> str:
    """The incident's title: an attachment's title, else the label of the link to the incident (the
    blocks layout puts a status line first), else the first line of fallback, text or blocks."""
    candidates = []
    for attachment in event.get("attachments") or []:
        if isinstance(attachment, dict):
            candidates += [attachment.get("title"), _first_line(attachment.get("fallback")),
                           _first_line(attachment.get("text"))]
            candidates += [_first_line(text) for text in block_texts(attachment.get("blocks"))]
    linked = [link.group(1) for text in [event.get("text")] + block_texts(event.get("blocks")) if isinstance(text, str)
              for link in [_INCIDENT_LINK.search(text)] if link]
    candidates += linked[:1]
    candidates += [_first_line(event.get("text"))] + [_first_line(t) for t in block_texts(event.get("blocks"))]
    for candidate in candidates:
        title = _without_emphasis(clean_text(slack_to_plain(candidate))) if isinstance(candidate, str) else ""
        if re.search(r"[^\W\d_]", title):
            return title[:MAX_TITLE_CHARS]
    return ""


def _without_emphasis(text):
    """mrkdwn's *bold*, _italic_, ~strike~ and `code` marks are formatting, not the title
    (an underscore inside a word, as in kube_pod_crash_looping, stays)."""
    text = re.sub(r"[*~`]+", "", text)
    return " ".join(re.sub(r"^_+(?=\S)|(?<=\S)_+$", "", word) for word in text.split())


def _first_line(text):
    return text.strip().splitlines()[0] if isinstance(text, str) and text.strip() else None


def incident_status(text: str) -> str:
    match = _STATUS_WORDS.search(text)
    if not match:
        return "unknown"
    word = (match.group(1) or match.group(2)).lower()
    return _STATUS_NAMES.get(word, word)


def is_bot_message(event: dict) -> bool:
    return bool(event.get("bot_id")) or event.get("subtype") == "bot_message"


def skip_reason(event: dict, own_ids: tuple[str, ...] = ()) -> str | None:
    """Why this event is not a new top-level message from someone else, or None when it is one."""
    if event.get("type", "message") != "message":
        return "not a message"
    if event.get("subtype") in ("message_deleted", "message_replied"):
        return "a deletion or a thread's bookkeeping"
    if event.get("thread_ts") and event.get("thread_ts") != event.get("ts"):
        return "a thread reply"
    if own_ids and (event.get("bot_id") in own_ids or event.get("user") in own_ids):
        return "our own message"
    return None


def check_well_formed(event: object) -> None:
    """Raise MalformedEvent for what no handler should touch: missing places, absurd sizes, wrong types."""
    if not isinstance(event, dict):
        raise MalformedEvent("the event is not an object")
    for key in ("channel", "ts"):
        if not isinstance(event.get(key), str) or not event.get(key):
            raise MalformedEvent(f"the event has no {key}")
    for key in ("text",):
        if key in event and event[key] is not None and not isinstance(event[key], str):
            raise MalformedEvent(f"the event's {key} is not a string")
    for key in ("attachments", "blocks"):
        if key in event and event[key] is not None and not isinstance(event[key], list):
            raise MalformedEvent(f"the event's {key} is not a list")
    if len(str(event.get("text") or "")) > MAX_TEXT_CHARS:
        raise MalformedEvent(f"the event's text is longer than Slack's {MAX_TEXT_CHARS} characters")


def recognise_alert(event: dict, pagerduty_bot_ids: tuple[str, ...] = (), own_ids: tuple[str, ...] = (),
                    every_bot_is_pagerduty: bool = False) -> AlertMessage | None:
    """An AlertMessage when `event` is an alert from PagerDuty or a monitor, else None.

    Raises MalformedEvent for an event that is broken rather than merely uninteresting.
    """
    check_well_formed(event)
    edited = event.get("subtype") == "message_changed"
    if edited:
        event = edited_message(event)
    if skip_reason(event, own_ids):
        return None
    text = gathered_text(event)
    if not text or len(text) > MAX_TEXT_CHARS:
        return None
    from_pagerduty = event.get("bot_id") in pagerduty_bot_ids or (every_bot_is_pagerduty and is_bot_message(event))
    if not from_pagerduty and not _is_monitor_text(event, text):
        return None
    alert = _alert_from(event, text, from_pagerduty)
    return replace(alert, edited=True) if alert is not None and edited else alert


def edited_message(event: dict) -> dict:
    """The message as it now reads, from a `message_changed` event (its own ts, the event's channel)."""
    message = event.get("message")
    if not isinstance(message, dict):
        raise MalformedEvent("the message_changed event has no message")
    message = {**message, "channel": event["channel"]}
    check_well_formed(message)
    return message


def _incident_number(text, raw, from_pagerduty):
    """The PagerDuty incident number the message names: any "#N" in the PagerDuty app's own messages, only
    PagerDuty's shapes in another bot's or a typed line (its replies are claimed per incident number).
    `raw`: the texts with Slack's link markup, where an incident link's label is still one."""
    if from_pagerduty:
        found = _INCIDENT_NUMBER.search(text)
        return int(found.group(1)) if found else None
    found = _PAGERDUTY_NUMBER.match(text)
    if found:
        return int(found.group(1) or found.group(2))
    found = next(filter(None, map(_INCIDENT_LINK_NUMBER.search, raw)), None)
    return int(found.group(1)) if found else None


def _is_monitor_text(event, text):
    if is_bot_message(event):
        return bool(_ALERT_MARKERS.search(text))
    # Neither a bot nor a person: a console line, alert text typed by whoever runs the console.
    return not event.get("user")


def _alert_from(event, text, from_pagerduty):
    title = incident_title(event)
    if not title:
        return None
    raw = raw_texts(event)  # read once: the incident link's label and the runbook links are in it
    number = _incident_number(text, raw, from_pagerduty)
    incident_id = _INCIDENT_ID.search(text)
    url = re.search(r"https?://\S+/incidents/[A-Z0-9]{5,20}\b", text)
    return AlertMessage(
        channel=event["channel"], ts=event["ts"], title=title, status=incident_status(text),
        incident_number=number,
        incident_id=incident_id.group(1) if incident_id else None,
        incident_url=url.group(0) if url else None,
        runbook_links=runbook_links(raw, _widgets(event)),
        details=text[:MAX_DETAILS_CHARS],
    )
