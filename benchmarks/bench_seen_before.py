"""What "seen before" adds to a reply: the two queries over the stored incidents, and the line.

    .venv/bin/python -m benchmarks.bench_seen_before [--sizes 10000 100000] [--lookups 300]

Stores the sandbox's realistic incident history (90 days, with who resolved each incident and
its notes) in a throwaway embedded PostgreSQL, then looks up `--lookups` alerts of the history,
frequent and rare ones alike, as the bot does for each reply.  Prints p50 / p99 / max per size.
"""
import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime, timezone

from alert_visualization import incident_store
from benchmarks.bench_database import fresh_database
from benchmarks.bench_handoff import moment
from benchmarks.sizes import announce, sized
from bot.seen_before import seen_before, seen_before_block
from matching.titles import alert_key
from sandbox.pagerduty_history import RESPONDERS, generate_history

END = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def store(conn, history):
    records = [{"id": i.id, "incident_number": i.number, "title": i.title,
                "status": "resolved" if i.resolved_at else "triggered", "urgency": i.urgency,
                "service_id": i.service.id, "service_name": i.service.name, "created_at": moment(i.created_at),
                "first_acknowledged_at": moment(i.acknowledged_at), "resolved_at": moment(i.resolved_at),
                "auto_resolved": None if i.resolved_at is None else i.resolved_by not in RESPONDERS,
                "html_url": f"https://example.pagerduty.com/incidents/{i.id}", "source": "api",
                "merged_into": i.merged_into} for i in history.incidents]
    resolvers = {i.id: i.resolved_by for i in history.incidents if i.resolved_by in RESPONDERS}
    notes = {history.incidents[e.incident_index].id: (moment(e.created_at), e.note)
             for e in history.log_entries if e.kind == "annotate"}
    with conn, conn.cursor() as cur:
        for start in range(0, len(records), 5000):
            incident_store.upsert_incidents(cur, records[start:start + 5000])
        incident_store.apply_history(cur, resolvers, notes)
    conn.autocommit = True  # what autovacuum does after a bulk load: statistics and the visibility map
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE incidents")
    conn.autocommit = False


def bench(size, lookups):
    history = generate_history(seed=3, days=90, count=size, end=END)
    keys = [alert_key(incident.title) for incident in history.incidents]
    rng = random.Random(5)
    asked = [rng.choice(keys) for _ in range(lookups // 2)] + rng.sample(sorted(set(keys)), min(lookups // 2, len(set(keys))))
    with tempfile.TemporaryDirectory() as directory, fresh_database(directory) as conn:
        started = time.perf_counter()
        store(conn, history)
        stored = time.perf_counter() - started
        timings, shown = [], 0
        for key in asked:
            started = time.perf_counter()
            seen = seen_before(conn, [key, key + " x"], END, incident_id="QNOTSTORED")
            if seen:
                seen_before_block(seen, END)
                shown += 1
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(f"{size:>8} {len(set(keys)):>6} {stored:>9.1f} {statistics.median(timings):>8.2f} {p99:>8.2f} "
          f"{timings[-1]:>8.2f} {shown:>5}/{len(asked)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=sized([10_000], [10_000, 100_000]))
    parser.add_argument("--lookups", type=int, default=300)
    args = parser.parse_args()
    announce("bench_seen_before", incidents=args.sizes, lookups=args.lookups)
    print("incidents   keys  stored s   p50 ms   p99 ms   max ms  shown")
    for size in args.sizes:
        bench(size, args.lookups)


if __name__ == "__main__":
    main()
