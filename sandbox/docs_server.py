"""A static docs site on loopback that behaves like a real web server, with faults on demand.

Serves a directory over HTTP/1.1 with ETag and Last-Modified validators and answers
conditional requests with 304, like nginx or a CDN.  Tests (and `make demo`) use it as
the team's runbook site; a test can rewrite files under the root between polls and make
any path misbehave:

    server = DocsServer(root); server.start()
    server.faults["/runbooks/disk.html"] = Fault("status", 500)

Every request is logged in `server.requests` (path, status, conditional or not, bytes).

    python -m sandbox.docs_server --port 8101 --root sandbox/docs_site
"""
import argparse
import email.utils
import hashlib
import logging
import mimetypes
import random
import sys
import threading
import time
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sandbox.loopback import StandInHandler

log = logging.getLogger("sandbox.docs_server")
DEFAULT_ROOT = Path(__file__).resolve().parent / "docs_site"


@dataclass(frozen=True)
class Fault:
    """How a path misbehaves.

    kind: 'status' (answer `value`, e.g. 500 or 404), 'delay' (sleep `value` seconds first),
    'cut' (promise the whole body, send `value` bytes, close: a dropped connection),
    'truncate' (send the first `value` bytes as if they were the whole page),
    'garbage' (`value` random bytes served as text/html), 'redirect' (302 to `value`).
    """

    kind: str
    value: object = None


@dataclass(frozen=True)
class LoggedRequest:
    path: str
    status: int
    conditional: bool
    bytes_sent: int


class DocsServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, root, port=0, host="127.0.0.1"):
        super().__init__((host, port), DocsRequestHandler)
        self.root = Path(root).resolve()
        self.faults = {}
        self.requests = []
        self._lock = threading.Lock()
        self._thread = None

    @property
    def url(self):
        return f"http://{self.server_address[0]}:{self.server_address[1]}/"

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="docs-server", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()

    def handle_error(self, request, client_address):
        # A client that gives up (a timeout test, a crawler at its size limit) is normal here.
        log.debug("Connection from %s ended early.", client_address, exc_info=True)

    def record(self, entry):
        with self._lock:
            self.requests.append(entry)

    def take_requests(self):
        """The requests logged since the last call (and forget them)."""
        with self._lock:
            taken, self.requests = self.requests, []
        return taken


class DocsRequestHandler(StandInHandler):
    protocol_version = "HTTP/1.1"
    server_version = "OncallDocs/1.0"

    def do_GET(self):  # noqa: N802 (the http.server naming)
        self._serve(send_body=True)

    def do_HEAD(self):  # noqa: N802
        self._serve(send_body=False)

    def log_message(self, format, *args):  # noqa: A002 (the base class's signature)
        log.debug("%s %s", self.address_string(), format % args)

    def _serve(self, send_body):
        path = unquote(urlsplit(self.path).path)
        fault = self.server.faults.get(path)
        if fault and fault.kind == "delay":
            time.sleep(fault.value)
        elif fault and fault.kind not in ("cut", "truncate"):
            return self._fault(path, fault, send_body)
        file_path = self._file_for(path)
        if file_path is None:
            return self._reply(path, 404, b"<html><body><h1>404 Not Found</h1></body></html>", send_body)
        if file_path.is_dir():
            return self._redirect(path, path + "/")
        self._send_file(path, file_path, fault, send_body)

    def _file_for(self, path):
        candidate = (self.server.root / path.lstrip("/")).resolve()
        if candidate != self.server.root and self.server.root not in candidate.parents:
            return None  # ../ escapes are refused like a real server would
        if candidate.is_dir() and path.endswith("/"):
            candidate = candidate / "index.html"
        return candidate if candidate.exists() else None

    def _send_file(self, path, file_path, fault, send_body):
        body = file_path.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        modified = email.utils.formatdate(int(file_path.stat().st_mtime), usegmt=True)
        if self._not_modified(etag, file_path.stat().st_mtime):
            self.send_response(304)
            self._common_headers(etag, modified)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return self.server.record(LoggedRequest(path, 304, True, 0))
        length = len(body)
        if fault and fault.kind == "truncate":
            body = body[: fault.value]
            length = len(body)
        self.send_response(200)
        self._common_headers(etag, modified)
        self.send_header("Content-Type", _content_type(file_path))
        self.send_header("Content-Length", str(length))
        self.end_headers()
        sent = body[: fault.value] if fault and fault.kind == "cut" else body
        if send_body:
            self.wfile.write(sent)
        if fault and fault.kind == "cut":
            self.close_connection = True
        self.server.record(LoggedRequest(path, 200, self._is_conditional(), len(sent) if send_body else 0))

    def _not_modified(self, etag, mtime):
        if self.headers.get("If-None-Match") is not None:
            return etag in [tag.strip() for tag in self.headers["If-None-Match"].split(",")]
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return int(mtime) <= email.utils.parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False
        return False

    def _is_conditional(self):
        return bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))

    def _common_headers(self, etag, modified):
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        self.send_header("Cache-Control", "no-cache")

    def _fault(self, path, fault, send_body):
        if fault.kind == "status":
            return self._reply(path, fault.value, f"<html><body>error {fault.value}</body></html>".encode(), send_body)
        if fault.kind == "redirect":
            return self._redirect(path, fault.value)
        if fault.kind == "garbage":
            noise = random.Random(fault.value).randbytes(fault.value or 4096)
            return self._reply(path, 200, noise, send_body)
        raise ValueError(f"unknown fault {fault.kind}")

    def _redirect(self, path, location):
        self.send_response(302 if location.startswith("http") else 301)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.server.record(LoggedRequest(path, 302, self._is_conditional(), 0))

    def _reply(self, path, status, body, send_body):
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)
        self.server.record(LoggedRequest(path, status, self._is_conditional(), len(body) if send_body else 0))


def _content_type(file_path):
    guessed = mimetypes.guess_type(file_path.name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox.docs_server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8101, help="port on 127.0.0.1 (default 8101)")
    parser.add_argument("--root", default=str(DEFAULT_ROOT), help="directory to serve (default: the sample site)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = DocsServer(args.root, args.port)
    log.info("Serving %s at %s", server.root, server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
