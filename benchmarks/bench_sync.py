"""Benchmark: sync N incidents from the sandbox PagerDuty into a fresh PostgreSQL database.

Prints the wall time, the number of API requests, records per second, and the peak RSS of
the syncing process.  Everything runs on loopback: the sandbox stand-in in a subprocess,
an embedded PostgreSQL in a temporary directory (or the server in DATABASE_URL).

    .venv/bin/python -m benchmarks.bench_sync --incidents 100000 --days 90
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
import requests

from alert_visualization.incident_sync import SyncSettings, sync
from alert_visualization.pagerduty_api import PagerDutyClient
from benchmarks.sizes import announce, sized
from database import connection
from sandbox.loopback import free_port
from sandbox.pagerduty import DEFAULT_TOKEN

PROJECT_DIR = Path(__file__).resolve().parents[1]


def start_sandbox(incidents, days, seed=7):
    """The stand-in as its own process (its memory is not the sync's); returns (process, url)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.pagerduty", "--port", str(port), "--incidents", str(incidents),
         "--days", str(days), "--seed", str(seed)],
        cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/services", headers={"Authorization": f"Token token={DEFAULT_TOKEN}"}, timeout=2)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("The sandbox did not start.")


def server_url(workdir):
    """DATABASE_URL's server, or an embedded one with its data in `workdir`."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    return connection.embedded_server(Path(workdir) / "postgres").get_uri()


fresh_database = connection.create_migrated_database


def measure_sync(database_url, api_url, days):
    """One full sync in this process: {seconds, requests, incidents, log_entries, peak_rss_mb}."""
    conn = psycopg2.connect(database_url)
    client = PagerDutyClient(DEFAULT_TOKEN, api_url, timeout=60)
    started = time.perf_counter()
    result = sync(conn, client, SyncSettings(initial_days=days + 1))
    seconds = time.perf_counter() - started
    conn.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": round(seconds, 1), "requests": result.requests, "incidents": result.incidents,
            "log_entries": result.log_entries, "peak_rss_mb": round(peak_kb / 1024, 1)}


def run_child(database_url, api_url, days):
    """Measure in a fresh interpreter so the peak RSS is the sync's alone."""
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_sync", "--child", "--database-url", database_url, "--api-url", api_url,
         "--days", str(days)],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def print_figures(count, figures):
    rate = figures["incidents"] / figures["seconds"] if figures["seconds"] else 0
    print(f"sync of {count} incidents: {figures['seconds']} s, {figures['requests']} requests, "
          f"{figures['incidents']} incidents + {figures['log_entries']} log entries, "
          f"{rate:.0f} incidents/s, peak RSS {figures['peak_rss_mb']} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=sized(10_000, 100_000))
    parser.add_argument("--days", type=float, default=90)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    announce("bench_sync", incidents=args.incidents, days=args.days)
    if args.child:
        print(json.dumps(measure_sync(args.database_url, args.api_url, int(args.days))))
        return
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as workdir:
        database_url = fresh_database(server_url(workdir), "bench_sync")
        sandbox, api_url = start_sandbox(args.incidents, args.days)
        try:
            print_figures(args.incidents, run_child(database_url, api_url, int(args.days)))
        finally:
            sandbox.terminate()
            sandbox.wait(10)


if __name__ == "__main__":
    main()
