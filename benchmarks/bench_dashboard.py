"""Benchmark: sync from the sandbox, then time the dashboard process under load.

For each size (10,000 and 100,000 incidents in the page's window) it syncs that history
from the sandbox PagerDuty into a fresh database (time, requests, peak RSS), starts
`python -m alert_visualization` on loopback, and prints the p50/p95 response times of
`/` and `/api/summary.json` (the first request apart: it loads the window into the
cache), then the uncached paths: a new filter per request (summed from the day counts kept), a
new date window per request (only the day it adds read from PostgreSQL), and a new window after a
write to the incidents (as after a sync: the day written counted again, the alert names worked out
again), the page weight in bytes, and the dashboard process's RSS.

    .venv/bin/python -m benchmarks.bench_dashboard [--requests 20] [--sizes 10000,100000]
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import psutil
import psycopg2
import requests

from benchmarks import bench_sync
from benchmarks.sizes import announce, sized

PROJECT_DIR = bench_sync.PROJECT_DIR
# size -> (days of history, the page's range): the whole history falls in the window.
WINDOWS = {10_000: (29, "30"), 100_000: (89, "90")}


def start_dashboard(database_url):
    port = bench_sync.free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "DASHBOARD_PORT": str(port), "PAGERDUTY_TOKEN": "",
           "ONCALL_TIMEZONE": "Europe/Berlin"}
    log = open(Path(tempfile.gettempdir()) / "bench-dashboard.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "alert_visualization"], cwd=PROJECT_DIR, env=env,
                               stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/healthz", timeout=2).raise_for_status()
            return process, base
        except requests.RequestException:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"The dashboard did not start; see {log.name}.")


def touch_incidents(database_url):
    """A write to the incidents table, as a sync's: the dashboard's kept counts are no longer current."""
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE incidents SET synced_at = now() WHERE id = (SELECT min(id) FROM incidents)")
    conn.close()


def timed_get(url):
    started = time.perf_counter()
    response = requests.get(url, timeout=120)
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000, response


def percentiles(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def page_weight(base, html):
    """(HTML bytes, page and assets uncompressed, the same as sent to a browser that takes gzip, the
    plotly bundle uncompressed): every script and stylesheet the page links, fetched as it names them."""
    assets = re.findall(rb'<(?:script src|link rel="stylesheet" href)="([^"]+)"', html)
    raw = {path: len(requests.get(base + path.decode(), timeout=30, headers={"Accept-Encoding": "identity"}).content)
           for path in assets}
    sent = 0
    for path in assets:
        response = requests.get(base + path.decode(), timeout=30, stream=True, headers={"Accept-Encoding": "gzip"})
        sent += len(response.raw.read())
    page = requests.get(base + "/", timeout=30, stream=True, headers={"Accept-Encoding": "gzip"})
    sent += len(page.raw.read())
    plotly_js = next(size for path, size in raw.items() if b"plotly" in path)
    return len(html), sum(raw.values()) + len(html), sent, plotly_js


def measure_dashboard(base, page_range, count, database_url):
    query = f"range={page_range}"
    cold_ms, page = timed_get(f"{base}/?{query}")
    in_window = requests.get(f"{base}/api/summary.json?{query}", timeout=120).json()["kpis"]["incidents"]["value"]
    results = {}
    for path in ("/", "/api/summary.json"):
        samples = [timed_get(f"{base}{path}?{query}")[0] for _ in range(count)]
        results[path] = percentiles(samples)
    # A new filter is a summary computed afresh (the window's incidents stay loaded) ...
    services = requests.get(f"{base}/api/summary.json?{query}", timeout=120).json()["services"]
    views = [f"{query}&service={service}&urgency={urgency}" for service in services for urgency in ("", "high", "low")]
    samples = [timed_get(f"{base}/api/summary.json?{view}")[0] for view in views[:count]]
    results["/api/summary.json (new filter)"] = percentiles(samples)
    # ... and a new window loads its incidents from Postgres, computes, and builds the figures.
    today = date.today()
    windows = [f"range=custom&from={today - timedelta(days=int(page_range) - 1 + shift)}&to={today - timedelta(days=shift)}"
               for shift in range(1, count + 1)]
    samples = [timed_get(f"{base}/?{window}")[0] for window in windows]
    results["/ (new window, its days read)"] = percentiles(samples)
    # ... and after a sync wrote: the day it wrote is counted again, and the alert names worked out again.
    samples = []
    for window in windows:
        touch_incidents(database_url)
        samples.append(timed_get(f"{base}/?{window}")[0])
    results["/ (new window after a write)"] = percentiles(samples)
    html, total, sent, plotly_js = page_weight(base, page.content)
    return {"in_window": in_window, "cold_ms": cold_ms, "timings": results, "html": html, "total": total,
            "sent": sent, "plotly": plotly_js}


def report(size, sync_figures, dashboard, rss_mb):
    bench_sync.print_figures(size, sync_figures)
    print(f"  dashboard with {dashboard['in_window']} incidents in the window:"
          f" first / (cold cache) {dashboard['cold_ms']:.0f} ms right after the sync,"
          f" {dashboard['restarted_ms']:.0f} ms after a restart")
    for path, (p50, p95) in dashboard["timings"].items():
        print(f"    {path:<31} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    print(f"  page weight: HTML {dashboard['html']} bytes; with assets {dashboard['total']} bytes"
          f" (plotly.js {dashboard['plotly']}), {dashboard['sent']} bytes sent gzip-compressed;"
          f" dashboard RSS {rss_mb:.0f} MB")


def run_size(server, size, count):
    days, page_range = WINDOWS[size]
    database_url = bench_sync.fresh_database(server, f"bench_dashboard_{size}")
    sandbox, api_url = bench_sync.start_sandbox(size, days)
    try:
        sync_figures = bench_sync.run_child(database_url, api_url, days)
    finally:
        sandbox.terminate()
        sandbox.wait(10)
    dashboard, base = start_dashboard(database_url)
    try:
        figures = measure_dashboard(base, page_range, count, database_url)
        rss_mb = psutil.Process(dashboard.pid).memory_info().rss / 2**20
    finally:
        dashboard.send_signal(signal.SIGTERM)
        dashboard.wait(30)
    # Right after a sync wrote 100,000 rows the first count also sets their hint bits, beside
    # autovacuum; a dashboard restarted later (a deploy, a reboot) meets the table as it usually is.
    dashboard, base = start_dashboard(database_url)
    try:
        figures["restarted_ms"] = timed_get(f"{base}/?range={page_range}")[0]
    finally:
        dashboard.send_signal(signal.SIGTERM)
        dashboard.wait(30)
    report(size, sync_figures, figures, rss_mb)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=sized(10, 20), help="timed requests per route")
    parser.add_argument("--sizes", default=sized("10000", "10000,100000"), help="comma-separated: 10000 and/or 100000")
    args = parser.parse_args()
    announce("bench_dashboard", incidents=args.sizes, requests_per_route=args.requests)
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as workdir:
        server = bench_sync.server_url(workdir)
        for size in (int(size) for size in args.sizes.split(",")):
            run_size(server, size, args.requests)


if __name__ == "__main__":
    main()
