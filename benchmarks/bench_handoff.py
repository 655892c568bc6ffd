"""How long the handoff mail takes to make for a busy week, from PostgreSQL to both mail parts.

    .venv/bin/python -m benchmarks.bench_handoff [--sizes 10000 100000] [--repeat 3]

Generates the sandbox's realistic incident history (two weeks, so the previous week is as
busy), stores it in an embedded PostgreSQL as a sync leaves it, and times what the mailer
does: load_inputs (the week's counts grouped in PostgreSQL, the alert names, the open
incidents) and build_handoff_report, then rendering both mail parts.  Prints the first
build (cold: the matcher's index is built too), the best of --repeat after it, and the peak RSS.
"""
import argparse
import resource
import tempfile
import time
from datetime import datetime, timedelta, timezone

from alert_visualization import incident_store
from benchmarks.bench_database import fresh_database
from benchmarks.sizes import announce, sized
from handoff import mail
from handoff.report import build_handoff_report
from handoff.sources import load_inputs
from handoff.week import latest_due_week, parse_schedule
from matching.titles import alert_key
from sandbox.pagerduty_history import RESPONDERS, generate_history

SCHEDULE = parse_schedule("monday 09:00", "Europe/Berlin")
HANDOFF = datetime(2026, 11, 23, 9, 0, tzinfo=SCHEDULE.zone)


def moment(seconds):
    return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc)


def frame_rows(incidents, end):
    """History incidents as the incidents table holds them after a sync at `end`, with the title key
    the sync stores (worked out here before the clock starts, as the sync did when it stored them)."""
    for incident in incidents:
        resolved = incident.resolved_at if incident.resolved_at is not None and incident.resolved_at <= end else None
        yield (incident.id, incident.number, incident.title, "resolved" if resolved else "triggered",
               incident.urgency, incident.service.name, moment(incident.created_at), moment(incident.acknowledged_at),
               moment(resolved), None if resolved is None else incident.resolved_by not in RESPONDERS,
               f"https://example.pagerduty.com/incidents/{incident.id}", getattr(incident, "merged_into", None),
               alert_key(incident.title))


def store(conn, history, end):
    """The history's incidents in the incidents table, as a sync at `end` leaves them (not timed)."""
    columns = (*incident_store.FRAME_COLUMNS, "title_key")
    rows = [{**dict(zip(columns, row)), "service_id": None, "source": "api"} for row in frame_rows(history.incidents, end)]
    with conn, conn.cursor() as cur:
        for start in range(0, len(rows), 20_000):
            incident_store.upsert_incidents(cur, rows[start:start + 20_000])
        cur.execute("ANALYZE incidents")


def best_of(repeat, action):
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        timings.append(time.perf_counter() - started)
    return min(timings), result


def bench(size, repeat):
    week = latest_due_week(HANDOFF, SCHEDULE)
    history = generate_history(seed=1, days=14, count=2 * size, end=week.end_utc() + timedelta(seconds=1))
    with tempfile.TemporaryDirectory() as directory, fresh_database(directory) as conn:
        store(conn, history, week.end_utc().timestamp())

        def made():
            return build_handoff_report(load_inputs(conn, week, SCHEDULE), week, SCHEDULE.zone)

        cold_seconds, _ = best_of(1, made)
        build_seconds, report = best_of(repeat, made)
    env = mail.template_environment()
    render_seconds, (text, html) = best_of(repeat, lambda: mail.render_bodies(report, env))
    print(f"{report['incidents']:>7} incidents in the week: read and built {cold_seconds * 1000:7.1f} ms cold, "
          f"{build_seconds * 1000:7.1f} ms warm; render {render_seconds * 1000:5.1f} ms; "
          f"mail {(len(text) + len(html)) / 1024:5.1f} KiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=sized([10_000], [10_000, 100_000]))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    announce("bench_handoff", incidents_in_the_week=args.sizes)
    for size in args.sizes:
        bench(size, args.repeat)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
