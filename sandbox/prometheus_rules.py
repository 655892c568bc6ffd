"""A Prometheus rules API on loopback: `GET /api/v1/rules` in the real response shape, from rule files.

Serves the groups of Prometheus rule YAML files (the `groups:` shape) as Prometheus does:
`{"status": "success", "data": {"groups": [{"name", "file", "interval", "rules": [{"type":
"alerting", "name", "query", "duration", "labels", "annotations", "health", "state", "alerts"}]}]}}`,
under `/api/v1/rules` and, as Mimir and Cortex do, under `/prometheus/api/v1/rules`.  A test can
make it misbehave (`fault = ("status", 500)`, `("delay", 3)`, `("garbage", None)`) or require a
bearer token.  The files are read again on every request, so editing one changes the answer.

    python -m sandbox.prometheus_rules --port 9090 --rules sandbox/alert_rules
"""
import argparse
import json
import logging
import re
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from sandbox.loopback import StandInHandler

log = logging.getLogger("sandbox.prometheus_rules")
DEFAULT_RULES = Path(__file__).resolve().parent / "alert_rules"
RULES_PATHS = ("/api/v1/rules", "/prometheus/api/v1/rules")
_DURATION = re.compile(r"(\d+)([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(text: str | None) -> int:
    """A Prometheus duration ("15m", "1h30m") in seconds, as the API reports `duration`."""
    return sum(int(number) * _SECONDS[unit] for number, unit in _DURATION.findall(str(text or "")))


def rules_response(rule_files: list[Path]) -> dict:
    """The API's answer for the alerting rules of the files."""
    groups = []
    for path in rule_files:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        for group in document.get("groups") or []:
            rules = [{
                "state": "inactive", "name": rule["alert"], "query": str(rule.get("expr", "")),
                "duration": duration_seconds(rule.get("for")), "labels": rule.get("labels") or {},
                "annotations": rule.get("annotations") or {}, "alerts": [], "health": "ok",
                "evaluationTime": 0.0004, "lastEvaluation": "2026-12-01T09:00:00Z", "type": "alerting",
            } for rule in group.get("rules") or [] if "alert" in rule]
            groups.append({"name": group.get("name", ""), "file": str(path), "rules": rules,
                           "interval": duration_seconds(group.get("interval")) or 30,
                           "evaluationTime": 0.001, "lastEvaluation": "2026-12-01T09:00:00Z"})
    return {"status": "success", "data": {"groups": groups}}


class RulesServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, rules_dir: Path = DEFAULT_RULES, port: int = 0, host: str = "127.0.0.1",
                 token: str | None = None) -> None:
        super().__init__((host, port), RulesHandler)
        self.rules_dir = Path(rules_dir)
        self.token = token
        self.fault: tuple[str, object] | None = None
        self.requests: list[str] = []
        self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"

    def rule_files(self) -> list[Path]:
        if self.rules_dir.is_file():
            return [self.rules_dir]
        return sorted(path for path in self.rules_dir.rglob("*") if path.suffix in (".yml", ".yaml"))

    def start(self) -> "RulesServer":
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="rules-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def handle_error(self, request, client_address):
        log.debug("Connection from %s ended early.", client_address, exc_info=True)


class RulesHandler(StandInHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Prometheus/3 (sandbox)"

    def do_GET(self):  # noqa: N802 (the http.server naming)
        path = urlsplit(self.path).path.rstrip("/")
        self.server.requests.append(path)
        fault = self.server.fault
        if fault and fault[0] == "delay":
            time.sleep(float(fault[1]))
        if path not in RULES_PATHS:
            return self._send(404, b"404 page not found\n", "text/plain")
        if self.server.token and self.headers.get("Authorization") != f"Bearer {self.server.token}":
            return self._send(401, b"Unauthorized\n", "text/plain")
        if fault and fault[0] == "status":
            return self._send(int(fault[1]), json.dumps({"status": "error", "errorType": "internal",
                                                         "error": "rule manager not ready"}).encode())
        if fault and fault[0] == "garbage":
            return self._send(200, b"<html>proxy error page</html>", "text/html")
        return self._send(200, json.dumps(rules_response(self.server.rule_files())).encode())

    def _send(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 (the base class's signature)
        log.debug("%s %s", self.address_string(), format % args)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox.prometheus_rules",
                                     description="A Prometheus rules API stand-in on loopback.")
    parser.add_argument("--port", type=int, default=9090)
    parser.add_argument("--rules", type=Path, default=DEFAULT_RULES, help="rule file or folder of them")
    args = parser.parse_args(argv)
    server = RulesServer(args.rules, port=args.port)
    print(f"Rules API at {server.url}/api/v1/rules", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
