"""`make demo` runs the suite in the foreground and Ctrl-C leaves nothing behind."""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
import requests

from utils import PROJECT_DIR

pytestmark = pytest.mark.timeout(240)


def wait_for_line(stream, text, seconds):
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"{text!r} not printed within {seconds}s; got:\n{''.join(seen)}")


def family(root):
    """The demo's processes: every descendant, plus servers they started in their own sessions."""
    members = {root.pid}
    for proc in root.children(recursive=True):
        members.add(proc.pid)
    return members


def dashboard_answers(url, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return True
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    return False


def alerts_answered(dashboard_url):
    """The bot's answered alerts as the demo dashboard's /metrics reports them."""
    from prometheus_client.parser import text_string_to_metric_families
    text = requests.get(f"{dashboard_url}/metrics", timeout=10).text
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "oncall_helper_alerts_answered_total")


def test_make_demo_shows_every_job_within_a_minute_and_ctrl_c_stops_every_process(tmp_path):
    data_dir = tmp_path / "data"
    env = dict(os.environ, DATA_DIR=str(data_dir))
    demo = subprocess.Popen(
        ["make", "--no-print-directory", "demo"], cwd=PROJECT_DIR, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        printed = "".join(wait_for_line(demo.stdout, "stop:      Ctrl-C", 120))
        assert str(PROJECT_DIR / "logs") in printed
        dashboard_url = re.search(r"dashboard: (http://\S+)", printed).group(1)
        started_at = time.monotonic()
        shown = "".join(wait_for_line(demo.stdout, "[slack]     reply in the thread of", 60))
        assert "[pagerduty] #" in shown
        if "[handoff]   HTML preview" not in shown:
            shown += "".join(wait_for_line(demo.stdout, "[handoff]   HTML preview", 60 - (time.monotonic() - started_at)))
        mail = Path(re.search(r"mail accepted by the sandbox SMTP: (\S+\.eml)", shown).group(1))
        assert "On-call handoff" in mail.read_text()
        assert dashboard_answers(dashboard_url, 60 - (time.monotonic() - started_at))
        # /metrics follows the run: the alerts the bot answered so far, and more a few seconds on.
        answered = alerts_answered(dashboard_url)
        assert answered >= 1
        wait_for_line(demo.stdout, "[slack]     reply in the thread of", 30)
        deadline = time.monotonic() + 20
        while alerts_answered(dashboard_url) <= answered and time.monotonic() < deadline:
            time.sleep(0.5)
        assert alerts_answered(dashboard_url) > answered

        started = family(psutil.Process(demo.pid))
        postmasters = [p for p in psutil.process_iter(["name", "cmdline"])
                       if p.info["name"] == "postgres" and str(data_dir) in " ".join(p.info["cmdline"] or [])]
        assert postmasters, "the demo runs the embedded PostgreSQL under DATA_DIR"
        started |= {p.pid for p in postmasters}

        os.killpg(demo.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
        rest, _ = demo.communicate(timeout=60)
        assert "all processes stopped" in rest
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(psutil.pid_exists(pid) for pid in started):
        time.sleep(0.2)
    left = [pid for pid in started if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert left == [], f"processes left behind: {left}"
