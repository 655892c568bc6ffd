"""Headless Chromium driven over the Chrome DevTools Protocol (a websocket on loopback).

Just enough of CDP for the browser tests (the dashboard, the handoff mail's layout):
navigate, emulate a screen width, evaluate, watch for dialogs, screenshot.  Debian's
`chromium` package; `find_chromium()` is None without it.  Chromium's window cannot be
narrower than 500 px, so a phone is emulated the way DevTools does it.
"""
import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import requests
from websockets.sync.client import connect


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


class Browser:
    def __init__(self, executable, width=1400, height=2200):
        # Renderers may outlive the browser for a moment and still write into the profile.
        self.profile = tempfile.TemporaryDirectory(prefix="cdp-", ignore_cleanup_errors=True)
        self.process = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={self.profile.name}", f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.socket = self._attach(self._debugging_port())
        self.ids = itertools.count(1)
        self.events = []

    def _attach(self, port, timeout=20):
        """Connect to the first page's websocket; Chromium may write its port file before it listens."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
                page = next(target for target in targets if target["type"] == "page")
                # Entered by hand: the connection lives as long as the Browser object.
                return connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10).__enter__()
            except (OSError, requests.RequestException, StopIteration):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _debugging_port(self, timeout=20):
        marker = Path(self.profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            time.sleep(0.1)
        raise RuntimeError("Chromium did not open its debugging port.")

    def send(self, method, timeout=30, **params):
        message_id = next(self.ids)
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(deadline - time.monotonic(), 0.01)))
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def open_file(self, path, width, height=800, mobile=False):
        """Show a local file on a screen `width` CSS pixels wide, once it has loaded."""
        self.send("Page.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)
        self.send("Page.navigate", url=Path(path).resolve().as_uri())
        self.wait_for("document.readyState === 'complete'")

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError:
                value = None  # the page is between documents
            if value:
                return value
            time.sleep(0.2)
        raise TimeoutError(f"Timed out waiting for: {expression}")

    def screenshot(self, path):
        """The whole page at the emulated width, not just the first screen."""
        height = self.send("Page.getLayoutMetrics")["cssContentSize"]["height"]
        width = self.evaluate("document.documentElement.clientWidth")
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)

    def close(self):
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.profile.cleanup()
