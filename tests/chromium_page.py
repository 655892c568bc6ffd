"""Headless Chromium over the DevTools protocol, for layout checks and screenshots.

Chromium's window cannot be narrower than 500 px, so a phone is emulated the way
DevTools does it (Emulation.setDeviceMetricsOverride) rather than by window size.
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

# Every element's box against the viewport: what sticks out sideways makes a phone scroll.
WIDER_THAN_VIEWPORT = """
(() => {
  const width = document.documentElement.clientWidth;
  const offenders = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)) {
      offenders.push(`${element.tagName} ${Math.round(box.left)}..${Math.round(box.right)}: `
                     + (element.textContent || '').trim().slice(0, 60));
    }
  }
  return {viewport: width, scrollWidth: document.documentElement.scrollWidth, offenders: offenders};
})()
"""


def chromium_binary():
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


class ChromiumPage:
    """One headless browser with one page; use as a context manager."""

    def __init__(self, binary=None):
        self.binary = binary or chromium_binary()
        self._ids = itertools.count(1)

    def __enter__(self):
        self._profile = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)  # renderers may outlive the browser briefly
        self._process = subprocess.Popen(
            [self.binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={self._profile.name}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port = self._debugging_port(Path(self._profile.name) / "DevToolsActivePort")
        page = next(target for target in requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
                    if target["type"] == "page")
        self._socket = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10).__enter__()
        self.call("Page.enable")
        return self

    def __exit__(self, *exc):
        self._socket.close()
        self._process.terminate()
        self._process.wait(10)
        self._profile.cleanup()

    def _debugging_port(self, port_file, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if port_file.exists() and port_file.read_text().strip():
                return int(port_file.read_text().splitlines()[0])
            time.sleep(0.05)
        raise RuntimeError("Chromium did not open its DevTools port")

    def call(self, method, wait_for_event=None, **params):
        """Send one command; return its result (after `wait_for_event` arrives, if given)."""
        number = next(self._ids)
        self._socket.send(json.dumps({"id": number, "method": method, "params": params}))
        result, event_seen = None, wait_for_event is None
        while result is None or not event_seen:
            message = json.loads(self._socket.recv(timeout=30))
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result = message["result"]
            event_seen = event_seen or message.get("method") == wait_for_event
        return result

    def open(self, path, width, height=800, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)
        self.call("Page.navigate", wait_for_event="Page.loadEventFired", url=Path(path).resolve().as_uri())

    def evaluate(self, expression):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"]["value"]

    def screenshot(self, path):
        """The whole page, not just the first screen."""
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        width = self.evaluate("document.documentElement.clientWidth")
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1})
        Path(path).write_bytes(base64.b64decode(shot["data"]))
        return Path(path)
