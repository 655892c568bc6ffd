"""python3 -m alert_visualization: the PagerDuty dashboard process.

Serves the dashboard with waitress and, when PAGERDUTY_TOKEN is set, syncs incidents
every PAGERDUTY_SYNC_SECONDS in the same process.  `--sync` runs one sync and exits;
`--import-csv FILE` loads a web-UI export; `--once` does one sync (when configured),
builds the summary once to check it, and exits.
"""
import argparse
import errno
import ipaddress
import json
import logging
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import waitress

from alert_visualization.app import create_app, warm_page
from alert_visualization.csv_import import import_csv
from alert_visualization.dashboard_data import DashboardData
from alert_visualization.filters import Filters
from alert_visualization.incident_sync import SyncResult, SyncSettings, sync
from alert_visualization.pagerduty_api import client_from_config
from database import heartbeats
from database.connection import DatabaseUnavailable
from database.heartbeats import Process
from database.outage import Database, open_database
from matching.stored_keys import rekey_stored_titles
from utils import (
    Config,
    ConfigError,
    ServiceUnavailable,
    command_line,
    configure_logging,
    load_config,
    run_main,
    stop_event,
)

log = logging.getLogger("alert_visualization")

SYNC_OFF_BEAT_SECONDS = 60  # without a PagerDuty sync the dashboard still says it is up
SYNC_OFF = "serving; PagerDuty sync is off (PAGERDUTY_TOKEN is not set)"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = command_line("python3 -m alert_visualization",
                          "PagerDuty incident analytics: sync incidents into Postgres and serve the dashboard.")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--sync", action="store_true", help="run one incident sync and exit")
    action.add_argument("--import-csv", metavar="FILE", help="load a PagerDuty web-UI incident export and exit")
    action.add_argument("--once", action="store_true", help="one sync (if configured) and one summary, then exit")
    return parser.parse_args(argv)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def match_threshold(config: Config) -> float | None:
    """The bot's MATCH_THRESHOLD: the dashboard counts an alert by its runbook when the bot would answer with it
    (None when unset: the matcher's own for its model)."""
    return config.number("MATCH_THRESHOLD", None, minimum=0, maximum=1)


def bind_settings(config: Config) -> tuple[str, int, str | None]:
    """(host, port, password); binding beyond loopback without DASHBOARD_PASSWORD is refused."""
    host = config.text("DASHBOARD_HOST", "127.0.0.1")
    port = config.integer("DASHBOARD_PORT", 5000, minimum=1, maximum=65535)
    password = config.text("DASHBOARD_PASSWORD")
    if not is_loopback(host) and not password:
        raise ConfigError(f"DASHBOARD_PASSWORD must be set to serve the dashboard on {host}, beyond loopback.")
    return host, port, password


def timezone_name(config: Config) -> str:
    name = config.text("ONCALL_TIMEZONE", "UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"ONCALL_TIMEZONE must be a timezone name such as Europe/Berlin, not {name!r}.") from None
    return name


def terminal_progress() -> Callable[[str, int], None] | None:
    """Progress lines on stderr when it is a terminal; nothing in cron or logs."""
    if not sys.stderr.isatty():
        return None

    def show(stream, count):
        print(f"\r{stream}: {count} fetched   ", end="", file=sys.stderr, flush=True)
    return show


def run_sync(config: Config, database: Database, progress: Callable[[str, int], None] | None = None,
             stopping: threading.Event | None = None) -> SyncResult:
    """One PagerDuty sync; a database outage fails this round (it is too long to repeat at once)."""
    client = client_from_config(config)
    try:
        return database.run(lambda conn: sync(conn, client, SyncSettings.from_config(config), progress=progress,
                                              stopping=stopping), retry_seconds=0)
    finally:
        client.close()


def sync_interval(config: Config) -> int:
    return config.integer("PAGERDUTY_SYNC_SECONDS", 300, minimum=10)


def record_heartbeat(database: Database, interval: int, outcome: str | None, **details: object) -> None:
    """Say in process_status that the dashboard is alive and how its last sync went; never raises."""
    try:
        database.run(lambda conn: heartbeats.record_heartbeat(conn, Process.DASHBOARD, interval, outcome, **details))
    except Exception:  # the sync goes on; the status panel shows the beat went missing
        log.exception("Could not record the dashboard's heartbeat.")


def sync_step(config: Config, database: Database, stopping: threading.Event | None = None) -> bool:
    """One sync round of the long-running loop; returns True when it did its job."""
    interval = sync_interval(config)
    # A long first sync is not stale.
    record_heartbeat(database, interval, None, syncing=True, sync_started_at=utc_now())
    try:
        result = run_sync(config, database, stopping=stopping)
        outcome = "skipped: another process is syncing" if result.skipped else f"synced {result.incidents} incidents"
        record_heartbeat(database, interval, outcome, last_sync_at=utc_now())
        return True
    except Exception as error:  # a failed round is logged and retried next round
        if isinstance(error, DatabaseUnavailable):
            log.warning("PagerDuty sync stopped: the database is unavailable (%s); retrying in the next round.", error)
        else:
            log.exception("PagerDuty sync failed; retrying in the next round.")
        record_heartbeat(database, interval, f"sync failed: {type(error).__name__}")
        return False


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def sync_loop(config: Config, database: Database, stopping: threading.Event, interval: int,
              after_sync: Callable[[], None] | None = None) -> None:
    """Sync every `interval` seconds; `after_sync()` after each round that did its job (the dashboard
    counts its periods again then, rather than on the next page view)."""
    while not stopping.is_set():
        if sync_step(config, database, stopping) and after_sync is not None and not stopping.is_set():
            after_sync()
        stopping.wait(interval)


def sync_off_beats(database: Database, stopping: threading.Event) -> None:
    while not stopping.is_set():
        record_heartbeat(database, SYNC_OFF_BEAT_SECONDS, SYNC_OFF, syncing=False)
        stopping.wait(SYNC_OFF_BEAT_SECONDS)


def listening_server(app, host: str, port: int, prefix: str):
    """The WSGI server bound to host:port; a port in use is an outage (another instance may be stopping),
    an address this machine does not have or may not bind is a setting to fix."""
    try:
        return waitress.create_server(app, host=host, port=port, threads=4, url_prefix=prefix.rstrip("/"))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ServiceUnavailable(f"Port {port} on {host} is in use by another program; stop it or set "
                                     f"DASHBOARD_PORT to a free port.") from None
        raise ConfigError(f"The dashboard cannot listen on {host}:{port} ({error.strerror}); "
                          f"check DASHBOARD_HOST and DASHBOARD_PORT.") from None


def serve(config: Config, database: Database, stopping: threading.Event) -> None:
    host, port, password = bind_settings(config)
    data = DashboardData(database, timezone_name(config), match_threshold=match_threshold(config))
    app = create_app(data, password, config.text("DASHBOARD_USER", "oncall"))
    # Behind a reverse proxy at a path (https://ops.example.com/oncall/): every link the page makes has it.
    prefix = "/" + (config.text("DASHBOARD_URL_PREFIX") or "").strip("/")
    server = listening_server(app, host, port, prefix)  # before any thread starts: a busy port ends it cleanly
    # The matcher's index names each alert by its runbook, the preset periods are counted and the page is
    # rendered once: now, not on the first page view.
    def warm_up():
        try:  # once per cleaner version; a CSV-only install has no sync to do it
            database.run(rekey_stored_titles)
        except Exception:
            log.exception("Could not make the stored alert keys again; the next sync will.")
        data.warm(stopping)
        if not stopping.is_set():
            warm_page(app)
        database.forget()  # this thread's connection: the thread ends here

    warming = threading.Thread(target=warm_up, name="dashboard-warm", daemon=True)
    warming.start()
    if config.is_set("PAGERDUTY_TOKEN"):
        syncing = threading.Thread(target=sync_loop, args=(config, database, stopping, sync_interval(config),
                                                           lambda: data.warm(stopping)), name="pagerduty-sync", daemon=True)
    else:
        log.info("PAGERDUTY_TOKEN is not set, so incidents are not synced; the dashboard shows what is stored.")
        syncing = threading.Thread(target=sync_off_beats, args=(database, stopping), name="heartbeat", daemon=True)
    syncing.start()
    threading.Thread(target=server.run, name="waitress", daemon=True).start()
    log.info("Dashboard on http://%s:%s%s", host, server.effective_port, prefix if prefix.endswith("/") else prefix + "/")
    stopping.wait()
    server.close()
    # No thread of ours may still be working when the interpreter finalises: one caught inside native
    # code then (the word vectors' tokenizer, a query) aborts the process or hangs it instead of exiting 0.
    server.task_dispatcher.shutdown(timeout=10)  # the request in flight is answered
    syncing.join(timeout=30)  # a running sync stops after the page it is storing
    warming.join(timeout=30)  # it stops after the step it is in
    data.close()
    log.info("Dashboard stopped.")


def once(config: Config, database: Database) -> int:
    if config.is_set("PAGERDUTY_TOKEN") and not sync_step(config, database):
        return 1
    data = DashboardData(database, timezone_name(config), match_threshold=match_threshold(config))
    try:
        summary = data.summary(Filters())
    finally:
        data.close()
    print(json.dumps({"period": summary["period"], "incidents": summary["kpis"]["incidents"]["value"]}))
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    config = load_config(args.config)
    configure_logging(Process.DASHBOARD, config)
    stopping = stop_event()
    one_shot = bool(args.import_csv or args.sync or args.once)
    if not one_shot:
        bind_settings(config)  # refuse a bad bind before waiting for anything
    if args.import_csv and not Path(args.import_csv).is_file():
        raise ConfigError(f"--import-csv: {args.import_csv} is not a file (a PagerDuty incidents export, .csv).")
    # A request waits this long for a database restart before the page says the database is away.
    database = open_database(config, stopping, one_shot, retry_seconds=5)
    if args.import_csv:
        loaded, skipped = database.run(lambda conn: import_csv(conn, args.import_csv, timezone_name(config)))
        print(f"Imported {loaded} incidents from {args.import_csv} ({skipped} rows skipped).")
        return 0
    if args.sync:
        result = run_sync(config, database, terminal_progress(), stopping=stopping)
        if result.skipped:
            print("Another process is syncing; nothing done.")
        elif result.stopped:  # Ctrl-C or SIGTERM: what is stored stays, the next sync goes on from there
            print(f"\nStopped after {result.incidents} incidents and {result.log_entries} log entries "
                  f"({result.requests} requests); the next sync goes on from there.")
            return 1
        else:
            print(f"\nSynced {result.incidents} incidents and {result.log_entries} log entries "
                  f"in {result.requests} requests.")
        return 0
    if args.once:
        return once(config, database)
    serve(config, database, stopping)
    return 0


if __name__ == "__main__":
    run_main(main)
