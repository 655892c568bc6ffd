"""Start-up cost of the embedded PostgreSQL and of the schema migrations.

Prints the median of several runs, each in a fresh child process:
  cold    initdb + start in an empty data dir (the first `make demo` on a machine)
  warm    start with an existing data dir, server stopped (every later start)
  join    connect to a server another process already runs (the 2nd..4th process)
  migrate apply every migration to an empty database
Usage: .venv/bin/python -m benchmarks.bench_startup [--runs N]
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

CHILD = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from database import connection as dbc
    started = time.perf_counter()
    server = dbc.embedded_server(Path(sys.argv[1]))
    ready = time.perf_counter()
    conn = dbc.connect_url(server.get_uri())
    conn.autocommit = True
    conn.cursor().execute("DROP DATABASE IF EXISTS bench_migrate")
    conn.cursor().execute("CREATE DATABASE bench_migrate")
    fresh = dbc.connect_url(server.get_uri().replace("/postgres?", "/bench_migrate?"))
    before = time.perf_counter()
    applied = dbc.apply_migrations(fresh)
    done = time.perf_counter()
    fresh.close(); conn.close()
    print(json.dumps({"start": ready - started, "migrate": done - before, "migrations": len(applied)}))
    if len(sys.argv) > 2:
        sys.stdin.readline()  # hold the server for a joining process
""")


def child(data_dir, hold=False):
    args = [sys.executable, "-c", CHILD, str(data_dir)] + (["hold"] if hold else [])
    return subprocess.Popen(args, cwd=PROJECT_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def measure(data_dir):
    return json.loads(child(data_dir).communicate()[0])


def one_round(tmp):
    data_dir = Path(tmp) / "postgres"
    cold = measure(data_dir)
    warm = measure(data_dir)
    holder = child(data_dir, hold=True)
    holder.stdout.readline()
    join = measure(data_dir)
    holder.communicate("done\n")
    return {"cold": cold["start"], "warm": warm["start"], "join": join["start"],
            "migrate": cold["migrate"], "migrations": cold["migrations"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    rounds = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            rounds.append(one_round(tmp))
    print(f"embedded PostgreSQL start-up, median of {runs} runs")
    for key, label in (("cold", "cold start (initdb + start)"), ("warm", "warm start (existing data)"),
                       ("join", "join a running server")):
        print(f"  {label:<30} {statistics.median(r[key] for r in rounds):7.3f} s")
    print(f"  {'apply ' + str(rounds[0]['migrations']) + ' migrations':<30} "
          f"{statistics.median(r['migrate'] for r in rounds):7.3f} s")


if __name__ == "__main__":
    main()
