"""Matching quality on the labelled set: top-1 accuracy, misses, and the wrong-reply rate.

    .venv/bin/python benchmarks/bench_matching.py [--threshold 0.55] [--sweep] [--dump set.jsonl] [--show-errors]

Loads every runbook of `../shared/corpus` into a fresh database on a temporary embedded
PostgreSQL, then runs each labelled Slack message through the bot's own recogniser and
matcher.  Targets: >= 90 % right on alerts that have a runbook, <= 2 % replies with a
wrong runbook on alerts without one and on chatter.
"""
import argparse
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.labelled_alerts import PAGERDUTY_BOT_ID, labelled_set  # noqa: E402
from generate_documentation_db.alert_messages import recognise_alert  # noqa: E402
from generate_documentation_db.matcher import DEFAULT_THRESHOLD, TermFrequencies, match_alert  # noqa: E402
from tests.corpus_runbooks import corpus_rows, load_corpus  # noqa: E402
from benchmarks.bench_database import fresh_database  # noqa: E402


def judge(item, alert, match, threshold):
    """'right', 'wrong', 'missed', 'quiet' (correctly no reply) or 'not recognised'."""
    replied = alert is not None and match is not None and match.found and match.confidence >= threshold
    if item["expected"]:
        if alert is None:
            return "not recognised"
        if not replied:
            return "missed"
        return "right" if match.matched in item["expected"] else "wrong"
    return "wrong" if replied else "quiet"


def run_set(conn, items):
    frequencies = TermFrequencies()
    results = []
    for index, item in enumerate(items):
        event = {"channel": "CBENCH", "ts": f"1700000000.{index:06d}", **item["event"]}
        alert = recognise_alert(event, pagerduty_bot_ids=(PAGERDUTY_BOT_ID,))
        match = match_alert(conn, alert.title, threshold=0.0, frequencies=frequencies) if alert else None
        results.append((item, alert, match))
    return results


def report(results, threshold, show_errors=False):
    by_kind = defaultdict(Counter)
    for item, alert, match in results:
        by_kind[item["kind"]][judge(item, alert, match, threshold)] += 1
    print(f"threshold {threshold:.2f}")
    print(f"  {'kind':<14}{'n':>5}{'right':>8}{'missed':>8}{'wrong':>8}{'quiet':>8}")
    for kind, counts in sorted(by_kind.items()):
        print(f"  {kind:<14}{sum(counts.values()):>5}{counts['right']:>8}"
              f"{counts['missed'] + counts['not recognised']:>8}{counts['wrong']:>8}{counts['quiet']:>8}")
    with_runbook = [r for r in results if r[0]["expected"]]
    without = [r for r in results if not r[0]["expected"]]
    right = sum(judge(i, a, m, threshold) == "right" for i, a, m in with_runbook)
    wrong_with = sum(judge(i, a, m, threshold) == "wrong" for i, a, m in with_runbook)
    wrong_without = sum(judge(i, a, m, threshold) == "wrong" for i, a, m in without)
    print(f"  top-1 accuracy on alerts with a runbook: {right / len(with_runbook):.1%} "
          f"({right}/{len(with_runbook)}); wrong runbook {wrong_with / len(with_runbook):.1%}")
    print(f"  wrong-reply rate on alerts without one and chatter: {wrong_without / len(without):.1%} "
          f"({wrong_without}/{len(without)})")
    if show_errors:
        for item, alert, match in results:
            verdict = judge(item, alert, match, threshold)
            if verdict in ("wrong", "missed", "not recognised"):
                got = f"{match.matched or (match.alternatives[:1] or [None])[0]} {match.confidence:.2f}" if match \
                    else "-"
                print(f"    {verdict:<15}{item['kind']:<13}{item['title'][:70]!r:<74} -> {got}  "
                      f"want {item['expected'][:1]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--sweep", action="store_true", help="also report thresholds 0.3 .. 0.8")
    parser.add_argument("--dump", help="write the set as console lines (JSON per line) to this file")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args(argv)
    rows = corpus_rows()
    if not rows:
        print("The shared corpus (../shared/corpus) is absent; nothing to measure.")
        return 0
    items = labelled_set(rows)
    if args.dump:
        Path(args.dump).write_text("".join(item["line"] + "\n" for item in items), encoding="utf-8")
    print(f"labelled set: {len(items)} messages, " + ", ".join(
        f"{kind} {count}" for kind, count in sorted(Counter(item["kind"] for item in items).items())))
    with tempfile.TemporaryDirectory() as directory, fresh_database(Path(directory)) as conn:
        load_corpus(conn)
        started = time.perf_counter()
        results = run_set(conn, items)
        print(f"matched {len(items)} messages in {time.perf_counter() - started:.1f} s")
    report(results, args.threshold, args.show_errors)
    if args.sweep:
        for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            report(results, threshold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
