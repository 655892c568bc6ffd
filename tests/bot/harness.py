"""Running the real bot process against the sandbox Slack, for the end-to-end tests."""
import os
import signal
import subprocess
import sys

from sandbox.slack_workspace import PAGERDUTY_BOT_ID, pagerduty_message
from utils import PROJECT_DIR

CHANNEL = "C0ALERTS"


class BotProcess:
    """`python3 slack_bot.py` as a child process with its stderr kept for the test to read."""

    def __init__(self, sandbox, database_url, transport, log_path, **extra_env):
        env = {**os.environ, "DATABASE_URL": database_url, "BOT_TOKEN": "xoxb-sandbox-token",
               "SLACK_API_URL": sandbox.api_url, "PAGERDUTY_BOT_IDS": PAGERDUTY_BOT_ID,
               "PASSWORD_CONFIG": os.devnull, **extra_env}
        if transport == "socket-mode":
            env["SLACK_APP_TOKEN"] = "xapp-sandbox-token"
        self.log_path = log_path
        self.log_file = open(log_path, "w", encoding="utf-8")
        self.process = subprocess.Popen([sys.executable, "slack_bot.py", "--transport", transport],
                                        cwd=PROJECT_DIR, env=env, stdout=self.log_file, stderr=subprocess.STDOUT)

    def log(self):
        return self.log_path.read_text(encoding="utf-8")

    def stop(self):
        """SIGTERM; the exit status (0 when the bot stopped cleanly)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            self.log_file.close()


def connected(sandbox, transport, count=1):
    status = sandbox.hub.status()
    key = "rtm_connections" if transport == "rtm" else "socket_mode_connections"
    return status[key] >= count


def post_incident(sandbox, title, number, status="triggered", incident_id=None):
    """The PagerDuty app posts an incident message; returns the event (its ts is the thread to watch)."""
    message = pagerduty_message(title, number, incident_id or f"QE2E{number}", status)
    return sandbox.post(CHANNEL, message)


def replies_to(sandbox, event):
    return sandbox.workspace.posts(CHANNEL, event["ts"])


def reply_text(post):
    """Everything a reply shows, as one string (text and every block's text)."""
    parts = [post.get("text", "")]
    for block in post.get("blocks", []):
        if block.get("type") == "context":
            parts += [element["text"] for element in block["elements"]]
        elif block.get("type") == "actions":
            parts += [element["text"]["text"] for element in block["elements"]]
        else:
            parts.append(block["text"]["text"])
    return "\n".join(parts)
