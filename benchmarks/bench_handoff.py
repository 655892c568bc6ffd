"""How long the handoff report takes to build and render for a busy week.

    .venv/bin/python -m benchmarks.bench_handoff [--sizes 10000 100000] [--repeat 3]

Generates the sandbox's realistic incident history (two weeks, so the previous week is as
busy), turns it into the incidents frame the mailer reads from Postgres, and times the
pure steps: build_handoff_report (all the dashboard metrics) and rendering both mail
parts.  Prints the first build (cold), the best of --repeat after it, and the peak RSS.
"""
import argparse
import resource
import time
from datetime import datetime, timedelta, timezone

from alert_visualization import incident_store
from benchmarks.sizes import announce, sized
from handoff import mail
from handoff.report import ReportInputs, build_handoff_report
from handoff.week import latest_due_week, parse_schedule, previous_week
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


def inputs_for(history, week, previous):
    end = week.end_utc().timestamp()
    frame = incident_store.incidents_frame(list(frame_rows(history.incidents, end)))
    created = frame["created_at"]
    in_week = frame[(created >= week.start_utc()) & (created < week.end_utc())]
    before = frame[(created >= previous.start_utc()) & (created < previous.end_utc())]
    still_open = frame[(created < week.end_utc()) & frame["resolved_at"].isna()]
    return ReportInputs(in_week, before, still_open, runbooks={}, covered_keys=set(), doc_changes=[])


def best_of(repeat, action):
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        timings.append(time.perf_counter() - started)
    return min(timings), result


def bench(size, repeat):
    week = latest_due_week(HANDOFF, SCHEDULE)
    previous = previous_week(week, SCHEDULE)
    history = generate_history(seed=1, days=14, count=2 * size, end=week.end_utc() + timedelta(seconds=1))
    inputs = inputs_for(history, week, previous)
    # The first build also derives every title's alert key (cached afterwards): shown apart.
    cold_seconds, _ = best_of(1, lambda: build_handoff_report(inputs, week, SCHEDULE.zone))
    build_seconds, report = best_of(repeat, lambda: build_handoff_report(inputs, week, SCHEDULE.zone))
    env = mail.template_environment()
    render_seconds, (text, html) = best_of(repeat, lambda: mail.render_bodies(report, env))
    print(f"{len(inputs.incidents):>7} incidents in the week: build {cold_seconds * 1000:7.1f} ms cold, "
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
