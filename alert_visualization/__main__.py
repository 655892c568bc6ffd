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
import os
import socket
import sys
import threading

from utils import ConfigError, configure_logging, load_config, run_main, stop_event

log = logging.getLogger("alert_visualization")

PROCESS_NAME = "dashboard"


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


def record_heartbeat(config, outcome):
    """Say in process_status that the dashboard is alive and how its last sync went."""
    from generate_documentation_db.database_connection import connect
    conn = connect(config)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("""
                INSERT INTO process_status (process, host_pid, heartbeat_at, last_outcome)
                VALUES (%s, %s, now(), %s) ON CONFLICT (process) DO UPDATE
                SET host_pid = EXCLUDED.host_pid, heartbeat_at = now(), last_outcome = EXCLUDED.last_outcome
                """, (PROCESS_NAME, f"{socket.gethostname()}:{os.getpid()}", outcome))
    finally:
        conn.close()


def sync_step(config, stopping=None):
    """One sync round of the long-running loop; returns True when it did its job."""
    try:
        result = run_sync(config, stopping=stopping)
        outcome = "skipped: another process is syncing" if result.skipped else f"synced {result.incidents} incidents"
        record_heartbeat(config, outcome)
        return True
    except Exception as error:  # a failed round is logged and retried next round
        log.exception("PagerDuty sync failed; retrying in the next round.")
        record_heartbeat(config, f"sync failed: {type(error).__name__}")
        return False


def sync_loop(config, stopping, interval):
    while not stopping.is_set():
        sync_step(config, stopping)
        stopping.wait(interval)


def serve(config, stopping):
    import waitress
    from alert_visualization.dashboard_data import DashboardData
    from alert_visualization.main import create_app
    from generate_documentation_db.database_connection import connect, database_url

    host, port, password = bind_settings(config)
    connect(config).close()  # applies migrations before the first request
    data = DashboardData(database_url(config), timezone_name(config))
    app = create_app(data, password, config.text("DASHBOARD_USER", "oncall"))
    syncing = None
    if config.is_set("PAGERDUTY_TOKEN"):
        interval = config.integer("PAGERDUTY_SYNC_SECONDS", 300, minimum=10)
        syncing = threading.Thread(target=sync_loop, args=(config, stopping, interval), name="pagerduty-sync", daemon=True)
        syncing.start()
    else:
        log.info("PAGERDUTY_TOKEN is not set, so incidents are not synced; the dashboard shows what is stored.")
    server = waitress.create_server(app, host=host, port=port, threads=4)
    threading.Thread(target=server.run, name="waitress", daemon=True).start()
    log.info("Dashboard on http://%s:%s/", host, server.effective_port)
    stopping.wait()
    server.close()
    if syncing is not None:
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
    data = DashboardData(database_url(config), timezone_name(config), max_connections=1)
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
