"""Matching quality on the labelled set: top-1 accuracy, misses, and the wrong-reply rate.

    .venv/bin/python -m benchmarks.bench_matching [--threshold 0.55] [--sweep] [--dump set.jsonl] [--show-errors]

The set is split by alert name into a tuning half and a held-out half (no runbook in
both); tune thresholds and weights on the tuning half only, and quote the held-out half.
Two parts of summaries written by other engineers follow: 'fresh' (since used to grow the
vocabulary) and 'blind' (never tuned on): quote the blind one too.

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

from benchmarks.bench_database import fresh_database
from benchmarks.labelled_alerts import PAGERDUTY_BOT_ID, labelled_set
from bot.recognition import recognise_alert
from matching.knowledge_base import load_index
from matching.matcher import RELATED_FLOOR, RELATED_LIMIT, match_alert, threshold_for
from matching.semantics import installed_vectors
from tests.corpus_runbooks import corpus_rows, load_corpus


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
    runbooks = load_index(conn)
    results = []
    for index, item in enumerate(items):
        event = {"channel": "CBENCH", "ts": f"1700000000.{index:06d}", **item["event"]}
        alert = recognise_alert(event, pagerduty_bot_ids=(PAGERDUTY_BOT_ID,))
        match = match_alert(runbooks, alert.title, threshold=0.0, details=alert.details) if alert else None
        results.append((item, alert, match))
    return results


def verdicts(results, threshold):
    return [(item, alert, match, judge(item, alert, match, threshold)) for item, alert, match in results]


def summary_line(judged):
    """'top-1 right a/b (x %) | wrong reply c/d (y %)' over some judged results."""
    with_runbook = [v for i, _, _, v in judged if i["expected"]]
    without = [v for i, _, _, v in judged if not i["expected"]]
    right, wrong_with = with_runbook.count("right"), with_runbook.count("wrong")
    wrong_without = without.count("wrong")
    return (f"top-1 right {right}/{len(with_runbook)} ({right / max(1, len(with_runbook)):.1%}), "
            f"wrong runbook {wrong_with}; wrong replies without a runbook "
            f"{wrong_without}/{len(without)} ({wrong_without / max(1, len(without)):.1%})")


def report(results, threshold, show_errors=False, halves=("tune", "held_out", "fresh", "blind")):
    print(f"threshold {threshold:.2f}")
    for half in halves:
        judged = [j for j in verdicts(results, threshold) if j[0].get("half", "tune") == half]
        by_shape = defaultdict(Counter)
        for item, _, _, verdict in judged:
            by_shape[(item["kind"] if not item["expected"] else "with runbook", item["shape"])][verdict] += 1
        print(f"  {half} half: {summary_line(judged)}")
        missed = [(item, match) for item, _, match, verdict in judged if verdict == "missed"]
        related = sum(1 for item, match in missed if set(possibly_related(match)) & set(item["expected"]))
        print(f"    of the {len(missed)} missed, {related} have the right runbook among the 'possibly related'")
        print(f"    {'':<14}{'shape':<14}{'n':>5}{'right':>8}{'missed':>8}{'wrong':>8}{'quiet':>8}")
        for (group, shape), counts in sorted(by_shape.items()):
            print(f"    {group:<14}{shape:<14}{sum(counts.values()):>5}{counts['right']:>8}"
                  f"{counts['missed'] + counts['not recognised']:>8}{counts['wrong']:>8}{counts['quiet']:>8}")
        if show_errors:
            print_errors(judged)


def possibly_related(match):
    """What the bot would list as "possibly related" for a match it did not trust (run_set matches at
    threshold 0, so the best candidate is `matched`, not among the alternatives)."""
    best = [match.matched] if match.matched and match.confidence >= RELATED_FLOOR else []
    return (best + [name for name in match.alternatives if name not in best])[:RELATED_LIMIT]


def print_errors(judged):
    for item, _alert, match, verdict in judged:
        if verdict in ("wrong", "missed", "not recognised"):
            got = f"{match.matched or (match.alternatives[:1] or [None])[0]} {match.confidence:.2f}" if match \
                else "-"
            print(f"      {verdict:<15}{item['shape']:<13}{item['title'][:70]!r:<74} -> {got}  "
                  f"want {item['expected'][:1]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=None,
                        help="confidence needed to answer (default: the matcher's own for the model installed, as the bot's)")
    parser.add_argument("--sweep", action="store_true",
                        help="also report thresholds 0.3 .. 0.8 on each part (tune only on the tuning half)")
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
    print("halves (split by alert name): " + ", ".join(
        f"{half} {count}" for half, count in sorted(Counter(item["half"] for item in items).items())))
    with tempfile.TemporaryDirectory() as directory, fresh_database(Path(directory)) as conn:
        load_corpus(conn)
        started = time.perf_counter()
        results = run_set(conn, items)
        print(f"matched {len(items)} messages in {time.perf_counter() - started:.1f} s")
    threshold = args.threshold if args.threshold is not None else threshold_for(installed_vectors() is not None)
    report(results, threshold, args.show_errors)
    if args.sweep:
        for half in ("tune", "held_out", "fresh", "blind"):
            for threshold in (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8):
                print(f"threshold {threshold:.2f} {half}: "
                      f"{summary_line([j for j in verdicts(results, threshold) if j[0]['half'] == half])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
