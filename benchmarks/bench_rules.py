"""Alert rules at a big team's size: a rules API poll, what an unchanged poll writes, template matching.

    .venv/bin/python -m benchmarks.bench_rules [--rules 1000] [--titles 2000]

1. A Prometheus rules API stand-in on loopback serves `--rules` generated alerting rules (summary
   and description templates with label values, printf'd values and `with` blocks); the docs
   monitor's rule poll reads them into a fresh embedded PostgreSQL: the first poll, then an
   unchanged one, with the rows PostgreSQL reports written by each (`pg_stat_database`).
2. The matcher's rule book over those rules: build time, and `alert_for` p50/p99 over titles
   rendered from the templates (every fifth cut at 100 characters, as PagerDuty does).
"""
import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import requests
import yaml

from benchmarks.bench_database import fresh_database
from generate_documentation_db.rule_sources import RuleReader, RuleWatcher
from matching.rule_book import RuleBook, RuleFacts
from sandbox.prometheus_rules import RulesServer

WORDS = ("queue lag replica shard broker ingest cache latency error disk memory cpu pod node volume backup "
         "certificate token quota throttle restart timeout connection pool webhook scheduler worker gateway "
         "proxy index compaction snapshot leader election partition consumer producer topic stream").split()


def generated_rules(count, rng):
    """`count` alerting rules whose templates read like real ones and differ from each other."""
    rules = []
    for number in range(count):
        subject, condition, other = rng.sample(WORDS, 3)
        name = f"{subject.title()}{condition.title()}{other.title()}{number}"
        rules.append({
            "alert": name, "expr": f"{subject}_{condition}_total > {number}", "for": "10m",
            "labels": {"severity": rng.choice(("warning", "critical"))},
            "annotations": {
                "summary": f"The {subject} {condition} of {other} rule {number} is above its limit.",
                "description": (f"{subject.title()} {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} reports "
                                f"{condition} of {{{{ printf \"%.2f\" $value }}}} on {other} number {number}"
                                "{{ with $labels.cluster }} on cluster {{ . }}{{ end }}."),
                "runbook_url": f"https://runbooks.example.test/{name}.md",
            }})
    return rules


def rendered(rule, rng):
    annotations = rule["annotations"]
    if rng.random() < 0.5:
        return annotations["summary"]
    text = (annotations["description"].replace("{{ $labels.namespace }}", rng.choice(("payments", "kube-system")))
            .replace("{{ $labels.pod }}", f"api-{rng.randrange(1000)}-x7")
            .replace('{{ printf "%.2f" $value }}', f"{rng.random() * 100:.2f}")
            .replace("{{ with $labels.cluster }} on cluster {{ . }}{{ end }}", " on cluster prod-eu-1"))
    return text


def written_rows(conn):
    with conn, conn.cursor() as cur:
        cur.execute("SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database"
                    " WHERE datname = current_database()")
        return cur.fetchone()[0]


def settle_stats(conn):
    time.sleep(0.7)  # the statistics collector reports a transaction's rows within about half a second
    with conn, conn.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--titles", type=int, default=2000)
    args = parser.parse_args(argv)
    rng = random.Random(7)
    rules = generated_rules(args.rules, rng)
    with tempfile.TemporaryDirectory() as directory:
        rule_file = Path(directory) / "rules.yml"
        rule_file.write_text(yaml.safe_dump({"groups": [{"name": "generated", "rules": rules}]}))
        server = RulesServer(rule_file).start()
        try:
            with fresh_database(Path(directory)) as conn:
                watcher = RuleWatcher(RuleReader(requests.Session()), [server.url], [])
                print(f"rules API poll ({args.rules} alerting rules, {rule_file.stat().st_size // 1024} KiB of YAML):")
                for label in ("first poll", "unchanged poll"):
                    settle_stats(conn)
                    before = written_rows(conn)
                    started = time.perf_counter()
                    report = watcher.poll(conn)
                    took = time.perf_counter() - started
                    settle_stats(conn)
                    print(f"  {label:<15} {took * 1000:8.0f} ms  {len(report.changed)} source changed, "
                          f"{written_rows(conn) - before} rows written")
                started = time.perf_counter()
                requests.get(f"{server.url}/api/v1/rules", timeout=30).raise_for_status()
                print(f"  of which the stand-in's answer alone (it reads its YAML on every request): "
                      f"{(time.perf_counter() - started) * 1000:.0f} ms")
        finally:
            server.stop()
    started = time.perf_counter()
    book = RuleBook(RuleFacts(rule["alert"], rule["annotations"]["summary"], rule["annotations"]["description"],
                              rule["annotations"]["runbook_url"]) for rule in rules)
    built = time.perf_counter() - started
    titles = []
    for number in range(args.titles):
        rule = rng.choice(rules)
        title = rendered(rule, rng)
        titles.append(((title[:100] if number % 5 == 0 else title), rule["alert"]))
    times, right = [], 0
    for title, expected in titles:
        started = time.perf_counter()
        found = book.alert_for(title)
        times.append(time.perf_counter() - started)
        right += found == expected
    times.sort()
    print(f"rule book: built in {built * 1000:.0f} ms; alert_for over {len(titles)} rendered titles: "
          f"p50 {statistics.median(times) * 1000:.2f} ms, p99 {times[int(len(times) * 0.99)] * 1000:.2f} ms; "
          f"{right}/{len(titles)} named their rule")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
