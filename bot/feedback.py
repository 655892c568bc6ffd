"""The buttons on the bot's replies, the correction modal, and the line that says what people said
(pure functions: Block Kit in, Block Kit out).

Every reply to an alert ends with *Helpful* and *Wrong runbook*; a "no runbook found" reply lists
the possibly related runbooks with a *This one* button each.  *Wrong runbook* opens a modal: the
related runbooks and "No runbook exists for this alert" as a choice, and a search of all runbooks
(an `external_select`, answered from the matcher's index).  Button values carry the alert event's
id; the press is checked against the stored alert before anything is recorded.
"""
import json
import re
from dataclasses import dataclass

from bot.replies import escape
from matching.lessons import CORRECTED, HELPFUL, NO_RUNBOOK, Feedback

HELPFUL_ACTION = "feedback_helpful"
WRONG_ACTION = "feedback_wrong"
THIS_ONE_ACTION = "feedback_this_one"
SEARCH_ACTION = "runbook_search"
CHOICE_ACTION = "runbook_choice"
CORRECTION_VIEW = "feedback_correction"
ACTIONS_BLOCK = "feedback_actions"
FEEDBACK_BLOCK = "feedback_said"
ACTION_IDS = (HELPFUL_ACTION, WRONG_ACTION, THIS_ONE_ACTION)
# The choice that says the alert has no runbook at all.
NO_RUNBOOK_VALUE = "no-runbook"
# Slack's limits: an option's text 75 characters, its value 150, a select's options 100.
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
MAX_OPTIONS = 100
# A search string longer than this is cut before it is matched: nobody types 100 kB into a select.
MAX_QUERY_CHARS = 200
_EVENT_ID = re.compile(r"^\d{1,18}$")


def feedback_buttons(event_id: int) -> dict:
    """The actions block every reply with a runbook ends with."""
    return {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": [
        _button("Helpful", HELPFUL_ACTION, str(event_id), style="primary"),
        _button("Wrong runbook", WRONG_ACTION, str(event_id)),
    ]}


def this_one_buttons(event_id: int, names: list[str] | tuple[str, ...]) -> dict | None:
    """A *This one* button per possibly related runbook, for a reply that found none sure enough."""
    # Slack wants the action_ids of one block distinct: the number tells them apart.
    buttons = [_button(f"This one: {name}"[:OPTION_TEXT_LIMIT], f"{THIS_ONE_ACTION}:{number}",
                       this_one_value(event_id, name))
               for number, name in enumerate(names[:5]) if len(this_one_value(event_id, name)) <= 2000]
    return {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": buttons} if buttons else None


def this_one_value(event_id: int, alert_name: str) -> str:
    return json.dumps({"event": event_id, "runbook": alert_name}, separators=(",", ":"))


def _button(text, action_id, value, style=None):
    button = {"type": "button", "text": {"type": "plain_text", "text": text, "emoji": False},
              "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button


@dataclass(frozen=True)
class Press:
    """A button pressed on one of the bot's messages, as far as the payload tells it."""

    action: str  # one of ACTION_IDS
    event_id: int
    chosen: str | None  # THIS_ONE_ACTION: the runbook's alert name
    user_id: str
    user_name: str
    channel: str
    message_ts: str
    trigger_id: str | None


def read_press(payload: dict) -> Press | None:
    """The press a `block_actions` payload carries; None when it is not one of ours or is broken
    (an unknown or forged action_id, a value that names no event)."""
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        return None
    action = actions[0]
    action_id = str(action.get("action_id") or "").split(":")[0]
    if action_id not in ACTION_IDS:
        return None
    value, chosen = str(action.get("value") or ""), None
    if action_id == THIS_ONE_ACTION:
        try:
            parsed = json.loads(value)
            value, chosen = str(parsed["event"]), str(parsed["runbook"])[:OPTION_VALUE_LIMIT]
        except (ValueError, TypeError, KeyError):
            return None
    user, container = payload.get("user") or {}, payload.get("container") or {}
    channel = container.get("channel_id") or (payload.get("channel") or {}).get("id")
    message_ts = container.get("message_ts") or (payload.get("message") or {}).get("ts")
    if not (_EVENT_ID.match(value) and isinstance(user, dict) and user.get("id") and channel and message_ts):
        return None
    return Press(action_id, int(value), chosen, str(user["id"]), user_name(user), str(channel), str(message_ts),
                 payload.get("trigger_id"))


def user_name(user: dict) -> str:
    """How a person is named on the reply: their handle, else their id."""
    return str(user.get("username") or user.get("name") or user.get("id") or "someone")[:80]


def correction_view(event_id: int, channel: str, reply_ts: str, replied_alert: str | None,
                    related: list[str]) -> dict:
    """The modal *Wrong runbook* opens: pick a related runbook, search them all, or say there is none."""
    options = [_option(name, name) for name in related if name != replied_alert][:10]
    options.append(_option("No runbook exists for this alert", NO_RUNBOOK_VALUE))
    said = f"The bot answered with *{escape(replied_alert)}*." if replied_alert else "The bot found no runbook."
    return {
        "type": "modal", "callback_id": CORRECTION_VIEW,
        "title": {"type": "plain_text", "text": "Wrong runbook"},
        "submit": {"type": "plain_text", "text": "Save"}, "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"event": event_id, "channel": channel, "reply_ts": reply_ts}),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{said} Which runbook is this alert's?"}},
            {"type": "input", "block_id": "choice", "optional": True,
             "label": {"type": "plain_text", "text": "Possibly related"},
             "element": {"type": "radio_buttons", "action_id": CHOICE_ACTION, "options": options}},
            {"type": "input", "block_id": "search", "optional": True,
             "label": {"type": "plain_text", "text": "Or search all runbooks"},
             "element": {"type": "external_select", "action_id": SEARCH_ACTION, "min_query_length": 2,
                         "placeholder": {"type": "plain_text", "text": "Alert name or words"}}},
        ],
    }


def _option(text, value):
    return {"text": {"type": "plain_text", "text": text[:OPTION_TEXT_LIMIT], "emoji": False},
            "value": value[:OPTION_VALUE_LIMIT]}


def search_options(names: list[str]) -> dict:
    """The answer to a `block_suggestion`: the runbooks found for what was typed."""
    return {"options": [_option(name, name) for name in dict.fromkeys(names)][:MAX_OPTIONS]}


@dataclass(frozen=True)
class Correction:
    """What a submitted correction modal says."""

    event_id: int
    channel: str
    reply_ts: str
    chosen: str | None  # the runbook chosen (the search wins over the list), None with no_runbook
    no_runbook: bool
    user_id: str
    user_name: str


def read_correction(payload: dict) -> Correction | None:
    """The correction a `view_submission` of our modal carries; None when it is not ours or is broken."""
    view, user = payload.get("view") or {}, payload.get("user") or {}
    if not isinstance(view, dict) or view.get("callback_id") != CORRECTION_VIEW or not isinstance(user, dict):
        return None
    try:
        metadata = json.loads(view.get("private_metadata") or "")
        event_id, channel, reply_ts = int(metadata["event"]), str(metadata["channel"]), str(metadata["reply_ts"])
    except (ValueError, TypeError, KeyError):
        return None
    values = (view.get("state") or {}).get("values") or {}
    searched = _selected(values, "search", SEARCH_ACTION)
    listed = _selected(values, "choice", CHOICE_ACTION)
    chosen = searched or listed
    if not chosen or not user.get("id"):
        return None
    no_runbook = chosen == NO_RUNBOOK_VALUE
    return Correction(event_id, channel, reply_ts, None if no_runbook else chosen[:OPTION_VALUE_LIMIT], no_runbook,
                      str(user["id"]), user_name(user))


def _selected(values, block_id, action_id):
    selected = ((values.get(block_id) or {}).get(action_id) or {}).get("selected_option") or {}
    value = selected.get("value") if isinstance(selected, dict) else None
    return str(value) if value else None


def feedback_line(feedback: list[Feedback]) -> str | None:
    """What people said, as the reply's context line shows it: "✓ confirmed by @ana, @bo · corrected
    to KubeQuotaExceeded by @cy"; None when nobody said anything."""
    confirmed = [f"@{escape(say.voter_name)}" for say in feedback if say.verdict == HELPFUL]
    corrected: dict[str, list[str]] = {}
    for say in feedback:
        if say.verdict == CORRECTED and say.chosen_alert:
            corrected.setdefault(say.chosen_alert, []).append(f"@{escape(say.voter_name)}")
    none = [f"@{escape(say.voter_name)}" for say in feedback if say.verdict == NO_RUNBOOK]
    parts = []
    if confirmed:
        parts.append("✓ confirmed by " + ", ".join(confirmed))
    parts += [f"corrected to {escape(name)} by " + ", ".join(voters) for name, voters in corrected.items()]
    if none:
        parts.append("no runbook exists, says " + ", ".join(none))
    return " · ".join(parts) or None


def with_feedback_line(blocks: list[dict], line: str | None) -> list[dict]:
    """The reply's blocks with its feedback line put in (before the buttons), replaced, or taken out."""
    kept = [block for block in blocks if block.get("block_id") != FEEDBACK_BLOCK]
    if not line:
        return kept
    said = {"type": "context", "block_id": FEEDBACK_BLOCK, "elements": [{"type": "mrkdwn", "text": line[:1900]}]}
    at = next((number for number, block in enumerate(kept) if block.get("block_id") == ACTIONS_BLOCK), len(kept))
    return kept[:at] + [said] + kept[at:]
