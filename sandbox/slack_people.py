"""What people do in the sandbox Slack besides posting: press an app's button, fill in its modal,
type into its search, run a slash command, mention it.  Each builds the payload Slack sends for
it (`block_actions`, `view_submission`, `block_suggestion`, `slash_commands`, `app_mention`) and
delivers it to the app over Socket Mode, as a named user.

Control API (sandbox/slack.py serves it):
  POST /_sandbox/press    {"user", "channel", "ts", "action_id", "value"?}   press a button of a message
  POST /_sandbox/submit   {"user", "view_id", "selected": {block_id: value}}  submit a modal the app opened
  POST /_sandbox/suggest  {"user", "view_id", "action_id", "value"}           type into an external_select
  POST /_sandbox/command  {"user", "channel", "command", "text"}              run a slash command
  POST /_sandbox/mention  {"user", "channel", "text", "thread_ts"?}            mention the app in a message
  POST /_sandbox/interactive {"payload": {...}}                               any interactive payload as given
"""
import time
import uuid

from sandbox.slack_workspace import BOT_USER_ID, TEAM_ID, user_for

APP_ID = "A0ONCALL"


def _base(sandbox, user):
    return {"token": "sandbox", "api_app_id": APP_ID, "team": {"id": TEAM_ID, "domain": "sandbox"},
            "user": user, "is_enterprise_install": False}


def _response_url(sandbox, channel, user):
    return f"{sandbox.control_url}respond/{channel}/{user['id']}/{uuid.uuid4().hex}"


def press(sandbox, params):
    """(status, body): the block_actions payload of `user` pressing a button of message `ts`."""
    channel, ts = params.get("channel", "C0ALERTS"), str(params.get("ts") or "")
    message = sandbox.workspace.message(channel, ts)
    if message is None:
        return 404, {"ok": False, "error": "message_not_found"}
    wanted, value = str(params.get("action_id") or ""), params.get("value")
    found = None
    for block in message.get("blocks") or []:
        for element in block.get("elements") or [] if block.get("type") == "actions" else []:
            action_id = str(element.get("action_id") or "")
            if (action_id == wanted or action_id.split(":")[0] == wanted) and value in (None, element.get("value")):
                found = (block, element)
                break
        if found:
            break
    if found is None:
        return 404, {"ok": False, "error": "no_such_button"}
    block, element = found
    user = user_for(params.get("user") or "someone")
    trigger_id = sandbox.workspace.new_trigger(user["id"])
    shown = {key: item for key, item in message.items() if key not in ("channel", "event_ts", "team")}
    payload = {**_base(sandbox, user), "type": "block_actions", "trigger_id": trigger_id,
               "container": {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False,
                             **({"thread_ts": message["thread_ts"]} if message.get("thread_ts") else {})},
               "channel": {"id": channel, "name": "alerts"}, "message": shown,
               "response_url": _response_url(sandbox, channel, user),
               "actions": [{"type": element.get("type", "button"), "action_id": element["action_id"],
                            "block_id": block.get("block_id", ""), "value": element.get("value"),
                            "text": element.get("text"), "action_ts": f"{time.time():.6f}"}]}
    sandbox.hub.request("interactive", payload, wait=0)
    return 200, {"ok": True, "trigger_id": trigger_id}


def submit(sandbox, params):
    """(status, body): `user` submits a modal the app opened, with `selected` {block_id: option value}."""
    opened = sandbox.workspace.views.get(params.get("view_id"))
    if opened is None:
        return 404, {"ok": False, "error": "view_not_found"}
    view = opened["view"]
    values = {}
    for block in view.get("blocks") or []:
        chosen = (params.get("selected") or {}).get(block.get("block_id"))
        element = block.get("element") or {}
        if block.get("type") == "input" and chosen is not None:
            values[block["block_id"]] = {element.get("action_id"): {
                "type": element.get("type"), "selected_option": {"text": {"type": "plain_text", "text": chosen},
                                                                 "value": chosen}}}
    user = user_for(params.get("user") or "someone")
    payload = {**_base(sandbox, user), "type": "view_submission", "trigger_id": sandbox.workspace.new_trigger(user["id"]),
               "view": {**view, "state": {"values": values}}, "response_urls": []}
    answer = sandbox.hub.request("interactive", payload)
    return 200, {"ok": True, "response": answer}


def suggest(sandbox, params):
    """(status, body): `user` types `value` into the external_select of an opened modal; the options
    the app answered with, in its ack."""
    opened = sandbox.workspace.views.get(params.get("view_id"))
    if opened is None:
        return 404, {"ok": False, "error": "view_not_found"}
    block_id = next((block.get("block_id") for block in opened["view"].get("blocks") or []
                     if (block.get("element") or {}).get("action_id") == params.get("action_id")), "")
    payload = {**_base(sandbox, user_for(params.get("user") or "someone")), "type": "block_suggestion",
               "action_id": params.get("action_id"), "block_id": block_id, "value": str(params.get("value") or ""),
               "view": opened["view"]}
    answer = sandbox.hub.request("interactive", payload)
    return 200, {"ok": answer is not None, "options": (answer or {}).get("options")}


def command(sandbox, params):
    """(status, body): `user` runs a slash command in a channel; its response_url takes the app's answer."""
    user = user_for(params.get("user") or "someone")
    channel = params.get("channel", "C0ALERTS")
    response_url = _response_url(sandbox, channel, user)
    payload = {"token": "sandbox", "team_id": TEAM_ID, "team_domain": "sandbox", "channel_id": channel,
               "channel_name": "alerts", "user_id": user["id"], "user_name": user["username"],
               "command": params.get("command", "/runbook"), "text": str(params.get("text") or ""),
               "api_app_id": APP_ID, "is_enterprise_install": "false", "response_url": response_url,
               "trigger_id": sandbox.workspace.new_trigger(user["id"])}
    sandbox.hub.request("slash_commands", payload, wait=0)
    return 200, {"ok": True, "response_url": response_url}


def mention(sandbox, params):
    """(status, body): `user` posts a message mentioning the app (in a thread with `thread_ts`): the
    channel's message event, and the app_mention event Slack sends the app for it."""
    user = user_for(params.get("user") or "someone")
    channel = params.get("channel", "C0ALERTS")
    text = f"<@{BOT_USER_ID}> {params.get('text') or ''}".strip()
    message = {"user": user["id"], "text": text, **({"thread_ts": params["thread_ts"]} if params.get("thread_ts") else {})}
    event = sandbox.post(channel, message)
    mentioned = {"type": "app_mention", "user": user["id"], "text": text, "ts": event["ts"], "channel": channel,
                 "event_ts": event["ts"], "team": TEAM_ID,
                 **({"thread_ts": params["thread_ts"]} if params.get("thread_ts") else {})}
    sandbox.hub.deliver(mentioned)
    return 200, {"ok": True, "ts": event["ts"]}


def raw_interactive(sandbox, params):
    """(status, body): deliver an interactive payload exactly as given (a test's forged press)."""
    payload = params.get("payload")
    if not isinstance(payload, dict):
        return 400, {"ok": False, "error": "payload must be an object"}
    answer = sandbox.hub.request("interactive", payload, wait=0 if payload.get("type") != "block_suggestion" else 3)
    return 200, {"ok": True, "response": answer}


CONTROLS = {"press": press, "submit": submit, "suggest": suggest, "command": command, "mention": mention,
            "interactive": raw_interactive}
