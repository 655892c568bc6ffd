"""`python3 -m soak.__main__`: the fault soak.

Runs the whole suite (embedded PostgreSQL in a temp DATA_DIR, the four processes, the
stand-ins on free ports) while a schedule injects faults: Slack socket drops, refreshes,
redeliveries and 429s; PagerDuty 429s and 500s; docs-site 500s, edits and removed pages;
an SMTP outage; PostgreSQL restarts.  Alerts are posted the whole time.  At the end it
checks that every alert got exactly one reply (or was recorded as having no runbook),
the stored runbooks equal the site, the synced incidents equal the sandbox's, each due
handoff week was mailed exactly once, and no process died; it prints the counts.
Exit status 0 when everything held.
"""
import argparse
import logging
import random
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from database import connection
from soak import checks
from soak.alerts import AlertPoster, alert_counts, check_replies
from soak.faults import Injector, fault_schedule
from soak.probes import Probes, SuiteReader, dashboard_answers, snapshot
from soak.report import FaultLog, report_lines
from soak.suite import CHANNEL, Suite, next_due_moment

SHORT_RUN_MINUTES = 3  # up to this long, a run is "short" (the one inside `make test`)
RECOVERY_SECONDS = 150
# PagerDuty's 429s without headers are waited out on a ladder of 5, 10, 20, 40, 60 s within one request
# (alert_visualization.pagerduty_api.PagerDutyRetry); two such faults queued behind each other keep one
# sync waiting 135 s, by design, before the round that recovers.  Measured: recoveries of 142 and 195 s.
PAGERDUTY_RECOVERY_SECONDS = 300
READY_SECONDS = 90


class Plan:
    """The run's timings, from its length."""

    def __init__(self, minutes):
        short = minutes <= SHORT_RUN_MINUTES
        self.total_seconds = minutes * 60
        self.handoff_lead = 12 if short else min(300, self.total_seconds * 0.35)
        self.settle_reserve = 25 if short else 60
        self.settle_limit = 50 if short else PAGERDUTY_RECOVERY_SECONDS
        self.alert_every = 2.5 if short else 4.0
        self.progress_every = 10 if short else 30


class Soak:
    def __init__(self, args):
        self.args, self.plan = args, Plan(args.minutes)
        self.rng = random.Random(args.seed)
        self.work_dir = Path(args.work_dir or tempfile.mkdtemp(prefix="oncall-soak-"))
        self.suite = Suite(self.work_dir, self.plan.total_seconds + 300)
        self.faults = FaultLog()
        self.watchers, self.deaths, self.waiting = [], {}, {}
        self.giving_up = threading.Event()
        self.print_lock = threading.Lock()
        self.started = time.monotonic()
        self.reader = self.poster = None

    def say(self, text):
        with self.print_lock:
            print(f"[{time.monotonic() - self.started:6.1f}s] {text}", flush=True)

    # --- the run -------------------------------------------------------------------------------

    def run(self):
        try:
            problems = self.start()
            if not problems:
                self.fault_phase()
                problems = self.settle()
            problems += self.stop()
        finally:
            self.giving_up.set()
            self.suite.close()
            if self.reader:
                self.reader.close()
        self.report(problems)
        if not self.args.keep and not problems:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        return 0 if not problems else 1

    def start(self):
        self.say(f"Soak of {self.args.minutes:g} min in {self.work_dir} (seed {self.args.seed}).")
        database_url = self.suite.start_database()
        self.reader = SuiteReader(database_url)
        self.handoff_due = next_due_moment(datetime.now(timezone.utc), self.plan.handoff_lead)
        self.suite.start_stand_ins(self.handoff_due)
        connection.connect(self.suite.config()).close()  # the schema, before four processes race for it
        self.suite.start_processes()
        self.say(f"Started the four processes; the handoff comes due at {self.handoff_due:%H:%M} UTC; "
                 f"dashboard {self.suite.settings['DASHBOARD_URL']}/ ; logs in {self.suite.log_dir}")
        self.poster = AlertPoster(self.suite.slack, CHANNEL, self.rng, first_number=self.rng.randrange(10_000, 90_000))
        self.injector = Injector(self.suite, self.poster)
        self.probes = Probes(self.suite, self.reader, self.poster)
        return self.wait_until_ready() + self.refused_rtm_problems()

    def refused_rtm_problems(self):
        """A second bot told to use RTM with a new app's token: Slack refuses, and the bot must stop
        with one sentence and exit 2 (which systemd does not restart), not crash-loop."""
        result = self.suite.run_once(["slack_bot.py", "--transport", "rtm"], timeout=60)
        said = [line for line in result.stderr.splitlines() if line.startswith("error:")][-1:] or [""]
        self.say(f"refused RTM: exit {result.returncode}: {said[0]}")
        if result.returncode != 2 or "SLACK_APP_TOKEN" not in said[0]:
            return [f"a bot refused RTM exited {result.returncode} saying {said[0]!r}, not 2 with one sentence"]
        return []

    def wait_until_ready(self):
        """[] once every process did its first job; else what never came up."""
        deadline = time.monotonic() + READY_SECONDS
        next_note = time.monotonic() + 15
        while time.monotonic() < deadline and not self.check_deaths():
            waiting = self.not_ready()
            if not waiting:
                self.say("Suite is up: bot connected, first crawl and sync done, dashboard answering.")
                return []
            if time.monotonic() > next_note:
                self.say(f"waiting for: {', '.join(waiting)}")
                next_note += 15
            time.sleep(0.5)
        return [f"the suite did not come up: {', '.join(self.not_ready())} not ready"]

    def not_ready(self):
        checks = (("slack bot", lambda: self.suite.slack.hub.status()["socket_mode_connections"] >= 1),
                  ("docs monitor", lambda: self.reader.exists("SELECT 1 FROM runbooks LIMIT 1")),
                  ("dashboard sync", lambda: self.reader.exists(
                      "SELECT 1 FROM pagerduty_sync_runs WHERE outcome = 'ok'")),
                  ("dashboard page", lambda: dashboard_answers(self.suite)),
                  ("handoff mailer", lambda: self.reader.exists("SELECT 1 FROM process_status "
                                                                "WHERE process = 'handoff_mailer'")))
        return [name for name, ready in checks if not ready()]

    def fault_phase(self):
        phase_start = time.monotonic()
        due_at = (self.handoff_due - datetime.now(timezone.utc)).total_seconds()
        length = max(self.plan.total_seconds - (phase_start - self.started) - self.plan.settle_reserve, due_at + 20)
        schedule = fault_schedule(length, due_at, self.rng)
        self.say(f"Fault phase: {len(schedule)} faults over {length:.0f} s, an alert every {self.plan.alert_every:g} s.")
        next_alert = next_progress = 0.0
        while (elapsed := time.monotonic() - phase_start) < length:
            while schedule and schedule[0].at <= elapsed:
                self.inject(schedule.pop(0))
            if elapsed >= next_alert:
                self.poster.post_next()
                next_alert = elapsed + self.plan.alert_every
            if elapsed >= next_progress:
                self.progress()
                next_progress = elapsed + self.plan.progress_every
            self.check_deaths()
            time.sleep(0.2)

    def inject(self, fault):
        before = snapshot(self.suite)
        description, target = self.injector.apply(fault)
        if description is None:
            return
        self.faults.note_injected(fault.kind)
        self.say(f"fault {fault.kind}: {description}")
        watcher = threading.Thread(target=self.watch_recovery, args=(fault, description, target, before),
                                   name=f"soak-{fault.kind}-{len(self.watchers)}", daemon=True)
        watcher.start()
        self.watchers.append(watcher)

    def watch_recovery(self, fault, description, target, before):
        if fault.seconds:
            time.sleep(fault.seconds)
            self.injector.clear(fault)
            self.say(f"cleared {fault.kind} ({description})")
        cleared_at = time.time()
        probe = self.probes.for_fault(fault, target, before, cleared_at)
        limit = PAGERDUTY_RECOVERY_SECONDS if fault.kind.startswith("pagerduty_") else RECOVERY_SECONDS
        deadline = time.monotonic() + limit
        while True:
            waiting = self.waiting[threading.current_thread().name] = probe()
            if not waiting:
                self.faults.note_recovered(fault.kind, time.time() - cleared_at)
                return self.say(f"recovered from {fault.kind} in {time.time() - cleared_at:.1f} s")
            if time.monotonic() > deadline or self.giving_up.is_set():
                return self.faults.note_unrecovered(fault.kind, description, waiting)
            time.sleep(1)

    def check_deaths(self):
        for name, code in self.suite.dead_processes().items():
            if name not in self.deaths:
                self.deaths[name] = code
                self.say(f"PROCESS DIED: {name} exited with {code}; last lines:\n"
                         + "\n".join(self.suite.log_text(name).splitlines()[-15:]))
        return self.deaths

    def still_waiting(self):
        """What the recovery watchers still wait for, e.g. "pg_restart: handoff mailer"."""
        return [f"{watcher.name[5:].rsplit('-', 1)[0]}: {', '.join(self.waiting.get(watcher.name) or ['clearing'])}"
                for watcher in self.watchers if watcher.is_alive()]

    def progress(self):
        counts = alert_counts(self.poster.posted, self.suite.slack.workspace.posts(CHANNEL))
        with self.faults.lock:
            injected, recovered = sum(self.faults.injected.values()), sum(self.faults.recovered.values())
        alive = len(self.suite.processes) - len(self.deaths)
        waiting = self.still_waiting()
        self.say(f"progress: {counts['messages']} alert messages, {counts['replies']} replies, "
                 f"{injected} faults, {recovered} recovered, {alive}/4 processes up"
                 + (f"; waiting for {'; '.join(waiting)}" if waiting else ""))

    # --- the end -------------------------------------------------------------------------------

    def settle(self):
        """Faults stop; wait (up to the limit) until the end state holds; its problems if it never does."""
        pinned = time.time()
        self.suite.pagerduty.account.clock = pinned
        self.say("Fault phase over: no new faults or alerts; PagerDuty's clock pinned; checking the end state.")
        deadline = time.monotonic() + self.plan.settle_limit
        while True:
            problems = self.end_state_problems(pinned)
            if not problems or time.monotonic() > deadline:
                break
            time.sleep(2)
        self.giving_up.set()
        for watcher in self.watchers:
            watcher.join(timeout=10)
        return problems + self.faults.unrecovered

    def end_state_problems(self, pinned):
        problems = [f"still recovering from {waiting}" for waiting in self.still_waiting()]
        problems += check_replies(self.poster.posted, self.suite.slack.workspace.posts(CHANNEL),
                                  self.recorded_alerts())
        problems += self.runbook_problems()
        problems += self.incident_problems(pinned)
        problems += self.handoff_problems()
        return problems

    def recorded_alerts(self):
        rows = self.reader.rows("SELECT message_ts, runbook_id FROM alert_events WHERE channel = %s", (CHANNEL,))
        return dict(rows or [])

    def runbook_problems(self):
        stored = self.reader.rows(checks.RUNBOOK_ROWS)
        if stored is None:
            return ["the database is unreachable"]
        fresh = checks.fresh_crawl_rows(self.reader.url, self.suite.docs.url)
        self.runbook_count = len(stored)
        return checks.compare_runbooks(stored, fresh)

    def incident_problems(self, pinned):
        if not self.reader.exists("SELECT 1 FROM pagerduty_sync_runs WHERE outcome = 'ok' "
                                  "AND started_at > to_timestamp(%s)", (pinned,)):
            return ["no PagerDuty sync has finished since the sandbox clock was pinned"]
        rows = self.reader.rows("SELECT id, incident_number, status, first_acknowledged_at, resolved_at, "
                                "auto_resolved FROM incidents") or []
        expected = checks.expected_incidents(self.suite.pagerduty.account.history, pinned)
        self.incident_count = len(expected)
        return checks.compare_incidents(checks.stored_incidents(rows), expected)

    def handoff_problems(self):
        sent = {row[0] for row in self.reader.rows("SELECT week_of FROM handoff_runs WHERE status = 'sent'") or []}
        self.mail_ids = checks.mailed_weeks(self.suite.smtp.mails())
        return checks.check_handoff(self.mail_ids, sent, self.suite.settings, self.handoff_due,
                                         datetime.now(timezone.utc))

    def stop(self):
        problems = [f"{name} died during the soak (exit status {code})" for name, code in self.check_deaths().items()]
        codes = self.suite.stop_processes()
        problems += [f"{name} did not stop cleanly on SIGTERM (exit status {code})" for name, code in codes.items()
                     if code != 0 and name not in self.deaths]
        return problems

    def report(self, problems):
        counts = alert_counts(self.poster.posted, self.suite.slack.workspace.posts(CHANNEL)) \
            if self.poster else alert_counts([], [])
        end_state = (getattr(self, "runbook_count", "?"), getattr(self, "incident_count", "?"),
                     len(getattr(self, "mail_ids", {})))
        lines = report_lines(problems, time.monotonic() - self.started, counts, self.faults, end_state)
        if problems:
            lines.append(f"  logs: {self.suite.log_dir} (kept)")
        print("\n".join(lines), flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python3 -m soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=15, help="length of the run (default 15)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault schedule (default: random)")
    parser.add_argument("--work-dir", help="where the data, site copy, mails and logs go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir after a passing run")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.randrange(1_000_000)
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("sandbox").setLevel(logging.ERROR)  # dropped sockets are the point here
    return Soak(args).run()


if __name__ == "__main__":
    sys.exit(main())
