"""Sandbox Slack on loopback: the Web API, the RTM and Socket Mode websockets, and a control API.

`python -m sandbox.slack --port 8103` serves the Web API at http://127.0.0.1:8103/api/
(point SLACK_API_URL there) and the websockets on a second port.  It behaves as Slack
does where that is awkward: 429 with Retry-After, sockets that drop, `disconnect`
refresh requests, envelopes redelivered (`retry_attempt` > 0) when not acknowledged, and
`rtm.connect` refused (`not_allowed_token_type`) unless the app is a classic one (`--classic-app`).

Control API (for tests and the demo):
  POST /_sandbox/incident {"channel", "title", "number", "id", "status",   PagerDuty app posts an incident
                           "layout": "attachment" | "blocks", "ts"}       (with "ts": edits its message)
  POST /_sandbox/message  {"channel", "message": {...}}                     any message (a person, a bot)
  GET  /_sandbox/posts?channel=C&thread_ts=T                               what apps posted (the log)
  GET  /_sandbox/status                                                    connections and counters
  GET  /_sandbox/ephemeral?channel=C                                        what apps showed one person
  GET  /_sandbox/views                                                     the modals apps opened
  POST /_sandbox/respond/<id>                                              a slash command's response_url
  press, submit, suggest, command, mention: what people do (sandbox/slack_people.py)
  POST /_sandbox/faults   {"drop_sockets", "rate_limit", "retry_after", "redeliver", "refresh" (or its reason), "fanout",
                           "remove_bot": channel, "invite_bot": channel, "archive": channel,
                           "tier_1_limit": N (the next N connection calls answered 429)}

conversations.history pages as Slack does (oldest, limit, cursor, has_more); a channel id that is not
one is channel_not_found, a channel the bot was removed from answers not_in_channel, a post to an
archived channel is_archived, blocks with more than 12,000 characters msg_blocks_too_long, and more
posts to one channel than about one a second (a burst of five allowed) 429 ratelimited, as are
more than ten rtm.connect / apps.connections.open calls a minute (Tier 1).
"""
import argparse
import json
import logging
import threading
import time
import uuid
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import utils
from sandbox.loopback import StandInHandler
from sandbox.slack_people import CONTROLS
from sandbox.slack_sockets import SocketHub
from sandbox.slack_workspace import BOT_ID, BOT_USER_ID, TEAM_ID, Workspace, pagerduty_message

log = logging.getLogger("sandbox.slack")

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HISTORY_LIMIT = 999
# Slack refuses a message whose blocks hold more text than about this, all blocks together.
MAX_BLOCKS_TEXT = 12_000
# Connecting is Tier 1: about one call a minute with short bursts.  A bot that reconnects (or is
# restarted) in a tight loop gets 429s; one that reconnects now and then never does.
TIER_1_METHODS = ("rtm.connect", "apps.connections.open")
TIER_1_BURST, TIER_1_SECONDS = 10, 60
TIER_1_RETRY_AFTER = 3
# chat.postMessage per channel: about one a second, a short burst allowed, then 429 (Retry-After: 1).
POST_INTERVAL_SECONDS = 1.0
POST_BURST = 5


class SlackSandbox:
    """The workspace, the websocket hub and the fault switches, served over HTTP."""

    def __init__(self, host="127.0.0.1", port=0, ws_port=0, classic_app=False, channel_post_limit=True):
        # Slack lets only classic apps (none created since June 2024) connect over RTM.
        self.classic_app = classic_app
        self.channel_post_limit = channel_post_limit
        self._post_due = {}  # channel -> the theoretical moment of its next post (as ChannelPacer keeps it)
        self.channel_rate_limited = 0
        self._tier_1_calls = {}  # method -> the times of its calls in the last TIER_1_SECONDS
        self.tier_1_limited = 0  # the next this-many connection calls are refused (a test's fault)
        self.tier_1_refused = 0
        self.workspace = Workspace()
        self.hub = SocketHub(host, ws_port)
        self.http = ThreadingHTTPServer((host, port), _handler_for(self))
        self.http.daemon_threads = True
        self.rate_limited = 0
        self.retry_after = 1
        self.rate_limited_total = 0
        self._lock = threading.Lock()

    @property
    def api_url(self):
        return f"http://{self.http.server_address[0]}:{self.http.server_address[1]}/api/"

    @property
    def control_url(self):
        return f"http://{self.http.server_address[0]}:{self.http.server_address[1]}/_sandbox/"

    def start(self):
        self.hub.start()
        threading.Thread(target=self.http.serve_forever, name="slack-sandbox-http", daemon=True).start()
        return self

    def stop(self):
        self.http.shutdown()
        self.http.server_close()
        self.hub.stop()

    def post(self, channel, message):
        """Put a message in a channel and deliver it as every connected app would receive it (the
        bot hears nothing of a channel it was removed from; the history keeps the message)."""
        event = self.workspace.add_message(channel, message)
        if channel not in self.workspace.left:
            self.hub.deliver(event)
        return event

    def edit(self, channel, ts, message):
        """Edit a message in place (chat.update) and deliver the `message_changed` event."""
        event = self.workspace.edit_message(channel, ts, message)
        self.hub.deliver(event)
        return event

    def tier_1_allows(self, method):
        """False when `method` was called more than TIER_1_BURST times in the last minute (or a test
        asked for refusals with the `tier_1_limit` fault)."""
        with self._lock:
            now = time.monotonic()
            calls = [at for at in self._tier_1_calls.get(method, []) if at > now - TIER_1_SECONDS]
            if self.tier_1_limited > 0 or len(calls) >= TIER_1_BURST:
                self.tier_1_limited = max(0, self.tier_1_limited - 1)
                self.tier_1_refused += 1
                self._tier_1_calls[method] = calls
                return False
            self._tier_1_calls[method] = [*calls, now]
            return True

    def channel_allows_post(self, channel):
        """False when `channel` had more posts than Slack's per-channel rate allows just now."""
        if not self.channel_post_limit:
            return True
        with self._lock:
            now = time.monotonic()
            due = max(now, self._post_due.get(channel, now))
            if due - now > (POST_BURST - 1) * POST_INTERVAL_SECONDS:
                self.channel_rate_limited += 1
                return False
            self._post_due[channel] = due + POST_INTERVAL_SECONDS
            return True

    def take_rate_limit(self):
        with self._lock:
            if self.rate_limited > 0:
                self.rate_limited -= 1
                self.rate_limited_total += 1
                return True
        return False

    def apply_faults(self, faults):
        if faults.get("rate_limit"):
            with self._lock:
                self.rate_limited = int(faults["rate_limit"])
                self.retry_after = int(faults.get("retry_after", 1))
        if faults.get("tier_1_limit"):
            with self._lock:
                self.tier_1_limited = int(faults["tier_1_limit"])
        if "fanout" in faults:
            self.hub.fanout = bool(faults["fanout"])
        if faults.get("drop_sockets"):
            self.hub.drop_all()
        if faults.get("refresh"):  # true, or Slack's reason: refresh_requested, warning, link_disabled
            reason = faults["refresh"] if isinstance(faults["refresh"], str) else "refresh_requested"
            self.hub.request_refresh(reason)
        if faults.get("redeliver"):
            self.hub.redeliver_last()
        if faults.get("archive"):
            self.workspace.archived.add(faults["archive"])
        if faults.get("remove_bot"):
            self.workspace.left.add(faults["remove_bot"])
        if faults.get("invite_bot"):
            self.workspace.left.discard(faults["invite_bot"])
            joined_ts = self.workspace.next_ts()
            self.hub.deliver({"type": "member_joined_channel", "user": BOT_USER_ID, "channel": faults["invite_bot"],
                              "channel_type": "C", "team": TEAM_ID, "event_ts": joined_ts, "ts": joined_ts})


# --- Web API ---------------------------------------------------------------------------------

def web_api(sandbox, method, params, token):
    """(status, headers, body) for one Web API call."""
    if method in ("auth.test", "rtm.connect", "chat.postMessage", "conversations.history", "conversations.replies",
                  "chat.update", "chat.postEphemeral", "views.open"):
        if not (token or "").startswith("xoxb-"):
            return 200, {}, {"ok": False, "error": "invalid_auth" if token else "not_authed"}
    if method == "apps.connections.open" and not (token or "").startswith("xapp-"):
        return 200, {}, {"ok": False, "error": "invalid_auth"}
    handler = _METHODS.get(method)
    if handler is None:
        return 404, {}, {"ok": False, "error": "unknown_method"}
    if method in TIER_1_METHODS and not sandbox.tier_1_allows(method):
        return 429, {"Retry-After": str(TIER_1_RETRY_AFTER)}, {"ok": False, "error": "ratelimited"}
    return handler(sandbox, params)


def _auth_test(sandbox, params):
    return 200, {}, {"ok": True, "url": "https://sandbox.slack.test/", "team": "Sandbox", "user": "oncall-helper",
                     "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}


def _rtm_connect(sandbox, params):
    if not sandbox.classic_app:
        return 200, {}, {"ok": False, "error": "not_allowed_token_type"}
    return 200, {}, {"ok": True, "url": sandbox.hub.url("rtm"), "team": {"id": TEAM_ID, "name": "Sandbox"},
                     "self": {"id": BOT_USER_ID, "name": "oncall-helper"}}


def _connections_open(sandbox, params):
    return 200, {}, {"ok": True, "url": sandbox.hub.url("socket-mode")}


def _post_message(sandbox, params):
    if sandbox.take_rate_limit():
        return 429, {"Retry-After": str(sandbox.retry_after)}, {"ok": False, "error": "ratelimited"}
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    refusal = sandbox.workspace.refusal(params.get("channel"))
    if refusal or params.get("channel") in sandbox.workspace.archived:
        sandbox.workspace.refused.append((params.get("channel"), params.get("thread_ts"), refusal or "is_archived"))
        return 200, {}, {"ok": False, "error": refusal or "is_archived"}
    if not params.get("text") and not blocks:
        return 200, {}, {"ok": False, "error": "no_text"}
    if not sandbox.channel_allows_post(params.get("channel")):
        return 429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}
    if blocks and not _blocks_valid(blocks):
        return 200, {}, {"ok": False, "error": "invalid_blocks"}
    if blocks and sum(len(_block_text(block)) for block in blocks) > MAX_BLOCKS_TEXT:
        return 200, {}, {"ok": False, "error": "msg_blocks_too_long"}
    message = {"subtype": "bot_message", "bot_id": BOT_ID, "user": BOT_USER_ID, "text": params.get("text", ""),
               "blocks": blocks or []}
    if params.get("thread_ts"):
        message["thread_ts"] = params["thread_ts"]
    event = sandbox.post(params["channel"], message)
    return 200, {}, {"ok": True, "channel": params["channel"], "ts": event["ts"], "message": event}


def _update(sandbox, params):
    """chat.update: an app may edit only its own messages."""
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    message = sandbox.workspace.message(params.get("channel"), params.get("ts"))
    if message is None:
        return 200, {}, {"ok": False, "error": "message_not_found"}
    if message.get("bot_id") != BOT_ID:
        return 200, {}, {"ok": False, "error": "cant_update_message"}
    if blocks is not None and not _blocks_valid(blocks):
        return 200, {}, {"ok": False, "error": "invalid_blocks"}
    changed = {"text": params.get("text", message.get("text", ""))}
    if blocks is not None:
        changed["blocks"] = blocks
    sandbox.edit(params["channel"], params["ts"], changed)
    sandbox.workspace.updates.append((params["channel"], params["ts"]))
    return 200, {}, {"ok": True, "channel": params["channel"], "ts": params["ts"], "text": changed["text"]}


def _post_ephemeral(sandbox, params):
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    refusal = sandbox.workspace.refusal(params.get("channel"))
    if refusal:
        return 200, {}, {"ok": False, "error": refusal}
    if not params.get("user"):
        return 200, {}, {"ok": False, "error": "user_not_in_channel"}
    shown = sandbox.workspace.show_ephemeral({"via": "chat.postEphemeral", "channel": params["channel"],
                                              "user": params["user"], "text": params.get("text", ""),
                                              "blocks": blocks or [], "thread_ts": params.get("thread_ts")})
    return 200, {}, {"ok": True, "message_ts": shown["ts"]}


def _views_open(sandbox, params):
    view = params.get("view")
    if isinstance(view, str):
        view = json.loads(view)
    if not isinstance(view, dict) or view.get("type") != "modal":
        return 200, {}, {"ok": False, "error": "invalid_arguments"}
    stored, error = sandbox.workspace.open_view(params.get("trigger_id"), view)
    if error:
        return 200, {}, {"ok": False, "error": error}
    return 200, {}, {"ok": True, "view": stored}


def _block_text(block):
    texts = [(block.get("text") or {}).get("text", "")] + [element.get("text", "")
                                                          for element in block.get("elements") or []]
    return "".join(text for text in texts if isinstance(text, str))


def _blocks_valid(blocks):
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return False
    for block in blocks:
        text = (block.get("text") or {}).get("text", "") if isinstance(block, dict) else None
        if text is None or len(text) > MAX_SECTION_TEXT or (block.get("type") == "header" and len(text) > 150):
            return False
    return True


def _history(sandbox, params):
    refusal = sandbox.workspace.refusal(params.get("channel"))
    if refusal:
        return 200, {}, {"ok": False, "error": refusal}
    # Slack pages with an opaque cursor; this one is the offset.  limit is capped at 999.
    limit = max(1, min(int(params.get("limit") or 100), MAX_HISTORY_LIMIT))
    offset = int(params.get("cursor") or 0)
    messages, more = sandbox.workspace.history(params.get("channel"), params.get("oldest"), limit, offset)
    metadata = {"next_cursor": str(offset + limit) if more else ""}
    return 200, {}, {"ok": True, "messages": messages, "has_more": more, "response_metadata": metadata}


def _replies(sandbox, params):
    inclusive = str(params.get("inclusive", "")).lower() in ("1", "true")
    messages = sandbox.workspace.replies(params.get("channel"), params.get("ts"), params.get("oldest"),
                                         params.get("latest"), inclusive)
    return 200, {}, {"ok": True, "messages": messages, "has_more": False}


_METHODS = {"auth.test": _auth_test, "rtm.connect": _rtm_connect, "apps.connections.open": _connections_open,
            "chat.postMessage": _post_message, "conversations.history": _history,
            "conversations.replies": _replies, "chat.update": _update, "chat.postEphemeral": _post_ephemeral,
            "views.open": _views_open}


# --- control API -----------------------------------------------------------------------------

def control(sandbox, verb, name, params):
    if verb == "POST" and name == "incident":
        number = int(params.get("number") or 1000 + len(sandbox.workspace.posted))
        incident_id = params.get("id") or f"Q{uuid.uuid4().hex[:6].upper()}"
        message = pagerduty_message(params["title"], number, incident_id, params.get("status", "triggered"),
                                    params.get("service", "Production API"), layout=params.get("layout", "attachment"))
        channel = params.get("channel", "C0ALERTS")
        if params.get("ts"):  # the app updates its message of the incident: an acknowledge or resolve
            return 200, sandbox.edit(channel, params["ts"], message)
        return 200, sandbox.post(channel, message)
    if verb == "POST" and name == "message":
        return 200, sandbox.post(params.get("channel", "C0ALERTS"), params.get("message") or {})
    if verb == "GET" and name == "posts":
        return 200, {"posts": sandbox.workspace.posts(params.get("channel"), params.get("thread_ts"))}
    if verb == "GET" and name == "status":
        return 200, {**sandbox.hub.status(), "rate_limited_total": sandbox.rate_limited_total,
                     "channel_rate_limited": sandbox.channel_rate_limited, "tier_1_refused": sandbox.tier_1_refused}
    if verb == "POST" and name.count("/") == 3 and name.startswith("respond/"):  # a command's response_url
        _, channel, user, _ = name.split("/")
        sandbox.workspace.show_ephemeral({"via": "response_url", "channel": channel, "user": user, **params})
        return 200, {"ok": True}
    if verb == "GET" and name == "ephemeral":
        return 200, {"ephemeral": [shown for shown in sandbox.workspace.ephemeral
                                   if params.get("channel") in (None, shown.get("channel"))]}
    if verb == "GET" and name == "views":
        return 200, {"views": list(sandbox.workspace.views.values())}
    if verb == "POST" and name in CONTROLS:
        return CONTROLS[name](sandbox, params)
    if verb == "POST" and name == "faults":
        sandbox.apply_faults(params)
        return 200, {"ok": True}
    return 404, {"error": "unknown control path"}


def _handler_for(sandbox):
    class Handler(StandInHandler):
        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

        def _serve(self, verb):
            parts = urlsplit(self.path)
            params = dict(parse_qsl(parts.query))
            params.update(self._body())
            if parts.path.startswith("/api/"):
                token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip() or params.get("token")
                status, headers, body = web_api(sandbox, parts.path[5:], params, token)
            elif parts.path.startswith("/_sandbox/"):
                status, body = control(sandbox, verb, parts.path[10:], params)
                headers = {}
            else:
                status, headers, body = 404, {}, {"ok": False, "error": "not_found"}
            self._send(status, headers, body)

        def _body(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8") if length else ""
            if not raw:
                return {}
            if "json" in self.headers.get("Content-Type", ""):
                return json.loads(raw)
            return dict(parse_qsl(raw))

        def _send(self, status, headers, body):
            payload = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox.slack", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8103, help="Web API and control port (default 8103)")
    parser.add_argument("--ws-port", type=int, default=0, help="websocket port (default: any free one)")
    parser.add_argument("--demo", action="store_true", help="post a few PagerDuty incidents over time")
    parser.add_argument("--channel", default="C0ALERTS", help="the alerts channel (default C0ALERTS)")
    parser.add_argument("--classic-app", action="store_true",
                        help="let the bot token connect over RTM (by default refused, as for every new Slack app)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sandbox = SlackSandbox(port=args.port, ws_port=args.ws_port, classic_app=args.classic_app).start()
    print(f"Sandbox Slack: Web API {sandbox.api_url} (SLACK_API_URL), control {sandbox.control_url}", flush=True)
    stopping = utils.stop_event()
    try:
        if args.demo:
            from sandbox.slack_demo import run_demo
            run_demo(sandbox, args.channel, stopping)
        while not stopping.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
