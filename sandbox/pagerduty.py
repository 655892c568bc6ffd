"""A PagerDuty REST API v2 stand-in on loopback: /incidents, /log_entries, /services.

It keeps the real API's awkward rules so the client must handle them:
- classic pagination (`limit` up to 100, `offset`, `more`, `total` only when `total=true`);
- HTTP 400 when offset + limit exceeds 10,000 (the real error body);
- HTTP 400 when `since`..`until` spans more than 6 months;
- `Authorization: Token token=...` checked (401 otherwise);
- `statuses[]`, `service_ids[]`, `team_ids[]`, `urgencies[]`, `time_zone`, `is_overview` filters;
- `GET /incidents/{id}`, the incident as it stands (with `last_status_change_by`);
- a log stream that can lose resolves (`POST /_sandbox/drop_resolves {"count": N, "resolved_after": T}`);
- faults: 429 with PagerDuty's `ratelimit-*` headers (or Retry-After, or none), or 5xx, on a
  schedule (`--fault-every N`) or through the control endpoint `POST /_sandbox/faults`.

The account's history comes from `sandbox.pagerduty_history`.  The server shows it as of
its clock (real time unless `POST /_sandbox/clock` pins it): incidents created later are
not there yet, and acknowledgements/resolves after the clock have not happened.

    python -m sandbox.pagerduty --port 8102 [--incidents 3000 --days 90 --seed 7 --token T]
"""
import argparse
import json
import logging
import threading
import time
from datetime import timezone
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from sandbox.loopback import StandInHandler
from sandbox.pagerduty_endpoints import ROUTES, BadRequest, get_incident, parse_time
from sandbox.pagerduty_history import generate_history, status_at
from sandbox.pagerduty_json import render_time

RATE_LIMIT_PER_MINUTE = 960  # requests per minute per REST API key

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "sandbox-pagerduty-token"


class Account:
    """The history as the API shows it at `now()`, plus request statistics and pending faults."""

    def __init__(self, history, token=DEFAULT_TOKEN, fault_every=0, fault_status=429, retry_after=1):
        self.history = history
        self.token = token
        self.dropped_resolves = set()  # ids of incidents whose resolve the log stream does not show
        self.clock = None
        self.lock = threading.Lock()
        self.fault_every = fault_every
        self.scheduled_fault = {"status": fault_status, "retry_after": retry_after}
        self.faults = []  # pending injected faults, served first-come
        self.reset_stats()

    def now(self):
        return self.clock if self.clock is not None else time.time()

    def reset_stats(self):
        with self.lock:
            self.stats = {"requests": 0, "by_path": {}, "faults_served": 0, "errors_400": 0,
                          "max_offset_plus_limit": 0, "last_fault_at": None, "retry_gaps": [],
                          "records_served": {"incidents": 0, "log_entries": 0}, "queries": []}

    def next_fault(self):
        """The fault to answer this request with, if any (counts the request too)."""
        with self.lock:
            self.stats["requests"] += 1
            if self.stats["last_fault_at"] is not None:
                self.stats["retry_gaps"].append(time.monotonic() - self.stats["last_fault_at"])
                self.stats["last_fault_at"] = None
            fault = None
            if self.faults:
                if self.faults[0].get("after_requests", 0) > 0:
                    self.faults[0]["after_requests"] -= 1
                else:
                    fault = self.faults[0]
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self.faults.pop(0)
            elif self.fault_every and self.stats["requests"] % self.fault_every == 0:
                fault = self.scheduled_fault
            if fault:
                self.stats["faults_served"] += 1
                self.stats["last_fault_at"] = time.monotonic()
            return fault

    def status_at(self, incident, now):
        return status_at(incident, now)


class Handler(StandInHandler):
    server_version = "pagerduty-sandbox/1"
    protocol_version = "HTTP/1.1"

    @property
    def account(self):
        return self.server.account

    def log_message(self, fmt, *args):
        log.debug("%s " + fmt, self.address_string(), *args)

    def send_json(self, status, body, headers=()):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/_sandbox/stats":
            with self.account.lock:
                return self.send_json(200, self.account.stats)
        route = ROUTES.get(url.path)
        one_incident = url.path.startswith("/incidents/") and url.path.count("/") == 2
        if route is None and not one_incident:
            return self.send_json(404, {"error": {"message": "Not Found", "code": 2100}})
        if self.headers.get("Authorization", "") != f"Token token={self.account.token}":
            return self.send_json(401, {"error": {"message": "Authentication failed", "code": 2006}})
        fault = self.account.next_fault()
        if fault:
            return self.send_json(fault["status"], {"error": {"message": "Injected fault", "code": 2020}},
                                  fault_headers(fault))
        if one_incident:
            return self.answer_one(url.path.rsplit("/", 1)[1], parse_qs(url.query))
        self.answer(route, parse_qs(url.query))

    def answer_one(self, incident_id, query):
        with self.account.lock:
            self.account.stats["by_path"]["get_incident"] = self.account.stats["by_path"].get("get_incident", 0) + 1
        body = get_incident(self.account, query, self.server.base_url, incident_id)
        if body is None:
            return self.send_json(404, {"error": {"message": "Not Found", "code": 2100}})
        self.send_json(200, body)

    def answer(self, route, query):
        with self.account.lock:
            self.account.stats["by_path"][route.__name__] = self.account.stats["by_path"].get(route.__name__, 0) + 1
            self.account.stats["queries"].append({key: values for key, values in query.items()})
            limit, offset = int(query.get("limit", ["25"])[0] or 0), int(query.get("offset", ["0"])[0] or 0)
            self.account.stats["max_offset_plus_limit"] = max(self.account.stats["max_offset_plus_limit"], offset + min(limit, 100))
        try:
            body = route(self.account, query, self.server.base_url)
        except BadRequest as error:
            with self.account.lock:
                self.account.stats["errors_400"] += 1
            return self.send_json(400, {"error": error.body})
        self.send_json(200, body)

    def do_POST(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if url.path == "/_sandbox/faults":
            with self.account.lock:
                self.account.faults = [] if body.get("clear") else [*self.account.faults, {
                    "status": int(body.get("status", 429)), "count": int(body.get("count", 1)),
                    "retry_after": body.get("retry_after"), "after_requests": int(body.get("after_requests", 0)),
                    "headers": body.get("headers", "ratelimit")}]
            return self.send_json(200, {"pending": len(self.account.faults)})
        if url.path == "/_sandbox/drop_resolves":
            # The log stream loses the resolves of this many resolved incidents (its cap, lag, a filter).
            with self.account.lock:
                after = parse_time(body["resolved_after"], "resolved_after") if body.get("resolved_after") else 0
                resolved = [incident.id for incident in self.account.history.incidents
                            if incident.resolved_at is not None and after <= incident.resolved_at < self.account.now()]
                self.account.dropped_resolves = set(resolved[:int(body.get("count", 1))])
            return self.send_json(200, {"dropped": len(self.account.dropped_resolves)})
        if url.path == "/_sandbox/clock":
            self.account.clock = parse_time(body["now"], "now") if body.get("now") else None
            return self.send_json(200, {"now": render_time(self.account.now(), timezone.utc)})
        if url.path == "/_sandbox/stats/reset":
            self.account.reset_stats()
            return self.send_json(200, {})
        self.send_json(404, {"error": {"message": "Not Found", "code": 2100}})


def fault_headers(fault):
    """The headers of an injected fault.  PagerDuty's 429 says when its per-minute window resets
    (`ratelimit-reset`, seconds), not Retry-After, and at times sends no headers at all; a fault may
    also ask for `headers: "retry-after"` (a proxy in front of the API) or `"none"`."""
    wait, style = fault.get("retry_after"), fault.get("headers", "ratelimit")
    if wait is None or style == "none" or fault["status"] != 429 and style == "ratelimit":
        return []
    if style == "retry-after":
        return [("Retry-After", str(wait))]
    return [("ratelimit-limit", str(RATE_LIMIT_PER_MINUTE)), ("ratelimit-remaining", "0"), ("ratelimit-reset", str(wait))]


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, account, host="127.0.0.1", port=0):
        super().__init__((host, port), Handler)
        self.account = account
        self.base_url = f"http://{host}:{self.server_address[1]}"


def serve_in_thread(account, port=0):
    """Start the stand-in on loopback in a daemon thread; returns the server (`.base_url`)."""
    server = SandboxServer(account, port=port)
    threading.Thread(target=server.serve_forever, name="pagerduty-sandbox", daemon=True).start()
    return server


def main(argv=None):
    parser = argparse.ArgumentParser(description="PagerDuty REST API v2 stand-in on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the API token clients must send")
    parser.add_argument("--incidents", type=int, default=3000, help="size of the generated history")
    parser.add_argument("--days", type=float, default=90, help="days of history before now")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fault-every", type=int, default=0, help="answer every Nth API request with a fault")
    parser.add_argument("--fault-status", type=int, default=429, help="status of scheduled faults (429 or 5xx)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    history = generate_history(seed=args.seed, days=args.days, count=args.incidents)
    account = Account(history, args.token, args.fault_every, args.fault_status)
    server = SandboxServer(account, port=args.port)
    log.info("PagerDuty sandbox on %s with %d incidents over %g days.", server.base_url, len(history.incidents), args.days)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
