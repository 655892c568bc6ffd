"""python3 -m alert_visualization: the PagerDuty dashboard process.

Serves the dashboard with waitress and, when PAGERDUTY_TOKEN is set, syncs incidents
every PAGERDUTY_SYNC_SECONDS in the same process.  `--sync` runs one sync and exits;
`--import-csv FILE` loads a web-UI export; `--once` does one sync (when configured),
builds the summary once to check it, and exits.
"""
import argparse
import ipaddress
import json
import logging
import sys
import threading
from datetime import datetime, timezone

from utils import ConfigError, configure_logging, load_config, run_main, stop_event

log = logging.getLogger("alert_visualization")

PROCESS_NAME = "dashboard"
SYNC_OFF_BEAT_SECONDS = 60  # without a PagerDuty sync the dashboard still says it is up
SYNC_OFF = "serving; PagerDuty sync is off (PAGERDUTY_TOKEN is not set)"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python3 -m alert_visualization",
        description="PagerDuty incident analytics: sync incidents into Postgres and serve the dashboard.")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--sync", action="store_true", help="run one incident sync and exit")
    action.add_argument("--import-csv", metavar="FILE", help="load a PagerDuty web-UI incident export and exit")
    action.add_argument("--once", action="store_true", help="one sync (if configured) and one summary, then exit")
    return parser.parse_args(argv)


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def match_threshold(config):
    """The bot's MATCH_THRESHOLD: the dashboard counts an alert by its runbook when the bot would answer with it."""
    from matching.matcher import DEFAULT_THRESHOLD

    return config.number("MATCH_THRESHOLD", DEFAULT_THRESHOLD, minimum=0, maximum=1)


def bind_settings(config):
    """(host, port, password); binding beyond loopback without DASHBOARD_PASSWORD is refused."""
    host = config.text("DASHBOARD_HOST", "127.0.0.1")
    port = config.integer("DASHBOARD_PORT", 5000, minimum=1)
    password = config.text("DASHBOARD_PASSWORD")
    if not is_loopback(host) and not password:
        raise ConfigError(f"DASHBOARD_PASSWORD must be set to serve the dashboard on {host}, beyond loopback.")
    return host, port, password


def timezone_name(config):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    name = config.text("ONCALL_TIMEZONE", "UTC")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"ONCALL_TIMEZONE must be a timezone name such as Europe/Berlin, not {name!r}.") from None
    return name


def terminal_progress():
    """Progress lines on stderr when it is a terminal; nothing in cron or logs."""
    if not sys.stderr.isatty():
        return None

    def show(stream, count):
        print(f"\r{stream}: {count} fetched   ", end="", file=sys.stderr, flush=True)
    return show


def run_sync(config, progress=None, stopping=None):
    from alert_visualization.incident_sync import SyncSettings, sync
    from alert_visualization.pagerduty_api import client_from_config
    from generate_documentation_db.database_connection import connect

    client = client_from_config(config)
    conn = connect(config)
    try:
        return sync(conn, client, SyncSettings.from_config(config), progress=progress, stopping=stopping)
    finally:
        conn.close()
        client.close()


def sync_interval(config):
    return config.integer("PAGERDUTY_SYNC_SECONDS", 300, minimum=10)


def record_heartbeat(config, interval, outcome, **details):
    """Say in process_status that the dashboard is alive and how its last sync went; never raises."""
    from generate_documentation_db import process_status
    from generate_documentation_db.database_connection import connect
    try:
        conn = connect(config, wait_seconds=5)
        try:
            process_status.record_heartbeat(conn, PROCESS_NAME, interval, outcome, **details)
        finally:
            conn.close()
    except Exception:  # the sync goes on; the status panel shows the beat went missing
        log.exception("Could not record the dashboard's heartbeat.")


def sync_step(config, stopping=None):
    """One sync round of the long-running loop; returns True when it did its job."""
    interval = sync_interval(config)
    record_heartbeat(config, interval, None, syncing=True, sync_started_at=utc_now())  # a long first sync is not stale
    try:
        result = run_sync(config, stopping=stopping)
        outcome = "skipped: another process is syncing" if result.skipped else f"synced {result.incidents} incidents"
        record_heartbeat(config, interval, outcome, last_sync_at=utc_now())
        return True
    except Exception as error:  # a failed round is logged and retried next round
        log.exception("PagerDuty sync failed; retrying in the next round.")
        record_heartbeat(config, interval, f"sync failed: {type(error).__name__}")
        return False


def utc_now():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def sync_loop(config, stopping, interval):
    while not stopping.is_set():
        sync_step(config, stopping)
        stopping.wait(interval)


def sync_off_beats(config, stopping):
    while not stopping.is_set():
        record_heartbeat(config, SYNC_OFF_BEAT_SECONDS, SYNC_OFF, syncing=False)
        stopping.wait(SYNC_OFF_BEAT_SECONDS)


def serve(config, stopping):
    import waitress
    from alert_visualization.dashboard_data import DashboardData
    from alert_visualization.main import create_app
    from generate_documentation_db.database_connection import connect, database_url

    host, port, password = bind_settings(config)
    connect(config).close()  # applies migrations before the first request
    data = DashboardData(database_url(config), timezone_name(config), match_threshold=match_threshold(config))
    # The matcher's index names each alert by its runbook; built now, not on the first page view.
    threading.Thread(target=data.load_runbooks, name="runbook-index", daemon=True).start()
    app = create_app(data, password, config.text("DASHBOARD_USER", "oncall"))
    if config.is_set("PAGERDUTY_TOKEN"):
        syncing = threading.Thread(target=sync_loop, args=(config, stopping, sync_interval(config)),
                                   name="pagerduty-sync", daemon=True)
    else:
        log.info("PAGERDUTY_TOKEN is not set, so incidents are not synced; the dashboard shows what is stored.")
        syncing = threading.Thread(target=sync_off_beats, args=(config, stopping), name="heartbeat", daemon=True)
    syncing.start()
    server = waitress.create_server(app, host=host, port=port, threads=4)
    threading.Thread(target=server.run, name="waitress", daemon=True).start()
    log.info("Dashboard on http://%s:%s/", host, server.effective_port)
    stopping.wait()
    server.close()
    syncing.join(timeout=30)  # a running sync stops after the page it is storing
    data.close()
    log.info("Dashboard stopped.")


def once(config):
    from alert_visualization.dashboard_data import DashboardData
    from alert_visualization.filters import Filters
    from generate_documentation_db.database_connection import connect, database_url

    if config.is_set("PAGERDUTY_TOKEN"):
        if not sync_step(config):
            return 1
    connect(config).close()
    data = DashboardData(database_url(config), timezone_name(config), max_connections=1,
                         match_threshold=match_threshold(config))
    try:
        summary = data.summary(Filters())
    finally:
        data.close()
    print(json.dumps({"period": summary["period"], "incidents": summary["kpis"]["incidents"]["value"]}))
    return 0


def main(argv):
    args = parse_args(argv)
    config = load_config()
    configure_logging(PROCESS_NAME, config)
    if args.import_csv:
        from alert_visualization.csv_import import import_csv
        from generate_documentation_db.database_connection import connect
        conn = connect(config)
        loaded, skipped = import_csv(conn, args.import_csv, timezone_name(config))
        conn.close()
        print(f"Imported {loaded} incidents from {args.import_csv} ({skipped} rows skipped).")
        return 0
    if args.sync:
        result = run_sync(config, terminal_progress())
        print(f"\nSynced {result.incidents} incidents and {result.log_entries} log entries "
              f"in {result.requests} requests." if not result.skipped else "Another process is syncing; nothing done.")
        return 0
    if args.once:
        return once(config)
    bind_settings(config)  # refuse a bad bind before starting anything
    serve(config, stop_event())
    return 0


if __name__ == "__main__":
    run_main(main)
