"""The sandbox's websockets: Slack's RTM protocol and its Socket Mode protocol.

RTM: `hello` on connect, every message event sent to every connection, JSON `ping` ->
`pong`, `goodbye` before a server-side close.  Socket Mode: `hello`, each event wrapped
in an `events_api` envelope and sent to ONE of the app's connections; an envelope not
acknowledged within ACK_TIMEOUT is sent again with `retry_attempt` + 1, as Slack does;
`disconnect` (reason `refresh_requested` or, a little earlier, `warning`) asks the client to reconnect.
Button presses, modal submissions and searches (`interactive`) and `slash_commands` travel in
envelopes of their own; the app's ack may carry a response payload (a search's options).
"""
import asyncio
import concurrent.futures
import itertools
import json
import logging
import threading
import time
import uuid

from websockets.asyncio.server import serve

from sandbox.slack_workspace import TEAM_ID

log = logging.getLogger("sandbox.slack")

ACK_TIMEOUT = 3.0
# After a `warning` disconnect, how long Slack keeps the old socket open.
REFRESH_GRACE_SECONDS = 2.0
MAX_RETRIES = 3
APP_ID = "A0ONCALL"


def envelope_for(event, retry_attempt=0, envelope_id=None, event_id=None):
    """The Socket Mode envelope Slack sends for an Events API message event."""
    return {
        "envelope_id": envelope_id or str(uuid.uuid4()),
        "type": "events_api", "accepts_response_payload": False,
        "retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else "",
        "payload": {"token": "sandbox", "team_id": TEAM_ID, "api_app_id": APP_ID, "type": "event_callback",
                    "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
                    "event_time": int(time.time()), "event": event},
    }


def request_envelope(kind, payload, retry_attempt=0):
    """The Socket Mode envelope of an `interactive` or `slash_commands` request."""
    return {"envelope_id": str(uuid.uuid4()), "type": kind, "accepts_response_payload": True,
            "retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else "", "payload": payload}


class SocketHub:
    """Open websockets by protocol, and the envelopes waiting for an ack."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.loop = asyncio.new_event_loop()
        self.rtm, self.socket_mode = set(), []
        self.pending = {}  # envelope_id -> (envelope, sent_at)
        self._acks = {}  # envelope_id -> a future of the ack's response payload, for requests that wait
        self.fanout = False
        self.last_envelope = None
        self.counters = {"delivered": 0, "acked": 0, "redelivered": 0, "connections": 0}
        self._next = itertools.count()
        self._ready = threading.Event()

    def url(self, kind):
        return f"ws://{self.host}:{self.port}/{kind}?ticket={uuid.uuid4().hex}"

    def start(self):
        threading.Thread(target=self._run, name="slack-sandbox-ws", daemon=True).start()
        self._ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self):
        async with serve(self._connection, self.host, self.port, ping_interval=None) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._server = server
            self._ready.set()
            redelivery = asyncio.get_running_loop().create_task(self._redeliver_unacked())
            try:
                await server.serve_forever()
            except asyncio.CancelledError:
                pass
            finally:
                redelivery.cancel()

    def stop(self):
        if self._ready.is_set():
            self.loop.call_soon_threadsafe(self._server.close)

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    async def _connection(self, websocket):
        kind = "rtm" if websocket.request.path.startswith("/rtm") else "socket-mode"
        self.counters["connections"] += 1
        if kind == "rtm":
            self.rtm.add(websocket)
            await websocket.send(json.dumps({"type": "hello"}))
        else:
            self.socket_mode.append(websocket)
            await websocket.send(json.dumps({"type": "hello", "num_connections": len(self.socket_mode),
                                             "connection_info": {"app_id": APP_ID}}))
        try:
            async for raw in websocket:
                await self._received(kind, websocket, raw)
        except Exception as error:  # a dropped peer ends here; the hub just forgets it
            log.info("A %s socket closed: %s", kind, type(error).__name__)
        finally:
            self.rtm.discard(websocket)
            if websocket in self.socket_mode:
                self.socket_mode.remove(websocket)

    async def _received(self, kind, websocket, raw):
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if kind == "rtm" and message.get("type") == "ping":
            await websocket.send(json.dumps({"type": "pong", "reply_to": message.get("id")}))
        elif kind == "socket-mode" and message.get("envelope_id"):
            if self.pending.pop(message["envelope_id"], None) is not None:
                self.counters["acked"] += 1
            waiting = self._acks.pop(message["envelope_id"], None)
            if waiting is not None and not waiting.done():
                waiting.set_result(message.get("payload"))

    def deliver(self, event):
        self._call(self._deliver(event))

    async def _deliver(self, event):
        for websocket in list(self.rtm):
            await _send(websocket, event)
        if self.socket_mode:
            envelope = envelope_for(event)
            self.last_envelope = envelope
            self.pending[envelope["envelope_id"]] = (envelope, time.monotonic())
            await self._send_envelope(envelope)
        self.counters["delivered"] += 1

    async def _send_envelope(self, envelope):
        sockets = list(self.socket_mode)
        if not sockets:
            return
        targets = sockets if self.fanout else [sockets[next(self._next) % len(sockets)]]
        for websocket in targets:
            await _send(websocket, envelope)

    def request(self, kind, payload, wait=ACK_TIMEOUT):
        """Send an `interactive` or `slash_commands` envelope to one of the app's connections; the
        ack's response payload (None without one, or when no ack came within `wait` seconds)."""
        envelope = request_envelope(kind, payload)
        answered = concurrent.futures.Future()
        self._acks[envelope["envelope_id"]] = answered
        self.last_envelope = envelope
        self._call(self._send_request(envelope))
        try:
            return answered.result(wait)
        except concurrent.futures.TimeoutError:
            self._acks.pop(envelope["envelope_id"], None)
            return None

    async def _send_request(self, envelope):
        self.pending[envelope["envelope_id"]] = (envelope, time.monotonic())
        self.counters["delivered"] += 1
        await self._send_envelope(envelope)

    async def _redeliver_unacked(self):
        while True:
            await asyncio.sleep(0.5)
            now = time.monotonic()
            for envelope_id, (envelope, sent_at) in list(self.pending.items()):
                if now - sent_at < ACK_TIMEOUT:
                    continue
                if envelope["retry_attempt"] >= MAX_RETRIES:
                    self.pending.pop(envelope_id, None)
                    continue
                await self._resend(envelope)

    async def _resend(self, envelope):
        if envelope["type"] == "events_api":
            retry = envelope_for(envelope["payload"]["event"], envelope["retry_attempt"] + 1,
                                 event_id=envelope["payload"]["event_id"])
        else:
            retry = request_envelope(envelope["type"], envelope["payload"], envelope["retry_attempt"] + 1)
        self.pending.pop(envelope["envelope_id"], None)
        self.pending[retry["envelope_id"]] = (retry, time.monotonic())
        self.counters["redelivered"] += 1
        await self._send_envelope(retry)

    def redeliver_last(self):
        """Send the last envelope again as Slack does after a missed ack (retry_attempt + 1)."""
        if self.last_envelope:
            self._call(self._resend(self.last_envelope))

    def drop_all(self):
        """Cut every socket without a close handshake, as a network failure would."""
        def abort():
            for websocket in list(self.rtm) + list(self.socket_mode):
                websocket.transport.abort()
        self.loop.call_soon_threadsafe(abort)

    def request_refresh(self, reason="refresh_requested"):
        """Socket Mode's `disconnect` and RTM's `goodbye`.  Slack sends reason `warning` a few seconds
        before it refreshes a connection, `refresh_requested` as it does, and `link_disabled` when an
        admin turned Socket Mode off for the app; either way the socket is closed soon after."""
        async def send_all():
            sockets = list(self.socket_mode)
            for websocket in sockets:
                await _send(websocket, {"type": "disconnect", "reason": reason, "debug_info": {"host": "sandbox"}})
            for websocket in list(self.rtm):
                await _send(websocket, {"type": "goodbye"})
            await asyncio.sleep(REFRESH_GRACE_SECONDS if reason == "warning" else 0.5)
            for websocket in sockets:
                await websocket.close()
        asyncio.run_coroutine_threadsafe(send_all(), self.loop)  # returns at once; the close follows later

    def status(self):
        return {"rtm_connections": len(self.rtm), "socket_mode_connections": len(self.socket_mode),
                "pending_envelopes": len(self.pending), **self.counters}


async def _send(websocket, payload):
    try:
        await websocket.send(json.dumps(payload))
    except Exception as error:  # the peer went away mid-send; it will reconnect and miss this one
        log.info("Could not send to a socket: %s", type(error).__name__)
