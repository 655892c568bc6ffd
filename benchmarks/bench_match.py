"""Match latency by knowledge-base size, and the bot's end-to-end latency for a burst of alerts.

    .venv/bin/python -m benchmarks.bench_match [--sizes 360,10000,100000] [--burst 200] [--transport socket-mode]

1. match_alert() p50/p99 over the labelled alert titles with a subset of the corpus runbooks
   stored (360 sections), then the whole corpus padded with generated runbooks (4 sections
   each) up to each larger size of sections.
2. A real bot process against the sandbox Slack: a burst of alerts posted at once as the
   PagerDuty app; latency from posting to the reply appearing in the alert's thread.  Then the
   burst's floor: the sandbox alone answering as many chat.postMessage calls from one client.
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
from psycopg2.extras import execute_values

from benchmarks.bench_database import fresh_database
from benchmarks.labelled_alerts import labelled_set
from benchmarks.sizes import announce, sized
from bot.recognition import recognise_alert
from matching.knowledge_base import LiveIndex
from matching.matcher import match_alert
from sandbox.slack import SlackSandbox
from sandbox.slack_workspace import PAGERDUTY_BOT_ID, pagerduty_message
from tests.corpus_runbooks import CORPUS_DIR, corpus_rows, markdown_runbook, store_runbook

SECTIONS_PER_GENERATED_RUNBOOK = 4
# The whole corpus holds about 2,100 sections; smaller sizes store a subset of it.
CORPUS_SECTIONS_AT_LEAST = 2000
VOCABULARY = ("queue lag replica shard broker ingest cache latency error budget disk memory cpu pod node "
              "volume backup cron job certificate token quota throttle restart timeout connection pool "
              "webhook scheduler worker gateway proxy index compaction snapshot leader election partition "
              "consumer producer topic stream batch pipeline deploy rollout canary region zone tenant").split()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def count_sections(conn):
    with conn, conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM runbooks), (SELECT count(*) FROM runbook_sections)")
        return cur.fetchone()


def load_corpus_rows(conn, rows, target_sections=None):
    """Store corpus runbooks from `rows` in order, stopping once `target_sections` are stored;
    returns the rows not stored."""
    for index, row in enumerate(rows):
        if target_sections is not None and count_sections(conn)[1] >= target_sections:
            return rows[index:]
        markdown = (CORPUS_DIR / row["source"] / row["relative_path"]).read_text(encoding="utf-8")
        aliases = [alias for alias in row.get("aliases", "").split(";") if alias]
        store_runbook(conn, f"https://runbooks.example.test/{row['source']}/{row['relative_path'][:-3]}/",
                      markdown_runbook(markdown, row["alert_name"], aliases, row.get("kind", "runbook")))
    return []


def pad_to_sections(conn, target, rng):
    """Add generated runbooks (bulk SQL, same search documents as the store builds) up to `target` sections."""
    runbooks, sections = count_sections(conn)
    missing = max(0, target - sections) // SECTIONS_PER_GENERATED_RUNBOOK
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO doc_pages (url, title) VALUES ('https://generated.example/', 'generated') "
                    "ON CONFLICT (url) DO UPDATE SET title = EXCLUDED.title RETURNING id")
        page_id = cur.fetchone()[0]
    for start in range(0, missing, 2000):
        rows = [generated_runbook(page_id, runbooks + start + n, rng) for n in range(min(2000, missing - start))]
        with conn, conn.cursor() as cur:
            ids = execute_values(
                cur, "INSERT INTO runbooks (page_id, position, title, alert_name, url, body_text, mrkdwn) "
                     "VALUES %s RETURNING id", rows, fetch=True)
            section_rows = [(rid, p, 2, f"Step {p}", [row[2], f"Step {p}"], row[5][p * 40:(p + 1) * 40 + 200],
                             row[5][:200]) for (rid,), row in zip(ids, rows)
                            for p in range(SECTIONS_PER_GENERATED_RUNBOOK)]
            execute_values(cur, "INSERT INTO runbook_sections (runbook_id, position, level, title, heading_path, "
                                "body_text, mrkdwn) VALUES %s", section_rows)
            execute_values(cur, "INSERT INTO runbook_alert_keys (runbook_id, alert_key, name, source) VALUES %s",
                           [(rid, row[3].lower(), row[3], "title") for (rid,), row in zip(ids, rows)])
    with conn, conn.cursor() as cur:
        cur.execute("ANALYZE")


def generated_runbook(page_id, number, rng):
    words = rng.sample(VOCABULARY, 3)
    name = "".join(word.capitalize() for word in words) + f"X{number}"
    body = " ".join(rng.choice(VOCABULARY) for _ in range(120))
    return (page_id, number, name, name, f"https://generated.example/#{number}", body, body)


def match_latencies(index, titles):
    timings = []
    for title in titles:
        started = time.perf_counter()
        match_alert(index, title)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def alert_titles(items):
    return [recognise_alert({"channel": "C", "ts": "1.0", **item["event"]}, (PAGERDUTY_BOT_ID,)).title
            for item in items if item["is_alert"]]


def edit_one_page(conn, number):
    """The docs monitor's write for one edited page (a doc_changes row and the page's new runbooks)."""
    steps = f"1. Restart the edited service, revision {number}.\n2. Check its queue lag."
    store_runbook(conn, "https://runbooks.example.test/bench/EditedRunbook/",
                  markdown_runbook(f"# EditedRunbook\n\n## Meaning\n\nRevision {number}.\n\n## Steps\n\n{steps}\n",
                                   "EditedRunbook"))


def print_match_latency(conn, titles):
    runbooks, sections = count_sections(conn)
    live = LiveIndex(check_seconds=0)
    live.keep_out_of_the_collector()  # as the bot does (slack_bot.py)
    started = time.perf_counter()
    index = live.current(conn)
    built = time.perf_counter() - started
    cold = match_latencies(index, titles)
    warm = match_latencies(index, titles)
    refreshes = []
    for number in range(5):
        edit_one_page(conn, number)
        started = time.perf_counter()
        live.refresh(conn)
        refreshes.append((time.perf_counter() - started) * 1000)
    rss = psutil.Process().memory_info().rss / 2**20
    print(f"  {sections:>7} sections ({runbooks:>6} runbooks): index built in {built:5.1f} s (process RSS {rss:.0f} MiB); "
          f"cold p50 {percentile(cold, 0.5):5.2f} ms p99 {percentile(cold, 0.99):5.2f} ms | "
          f"warm p50 {percentile(warm, 0.5):5.2f} ms p99 {percentile(warm, 0.99):5.2f} ms | "
          f"refresh after one page changed: median {statistics.median(refreshes):.1f} ms")


def print_latency_header(titles):
    print(f"match latency (match_alert over {len(titles)} alert titles on the in-memory index; cold = the "
          "first pass, warm = the second, as in a bot that has run a while):")


def bench_matching(conn, sizes, titles):
    """Latency at each size of sections beyond the whole corpus, padded with generated runbooks."""
    rng = random.Random(7)
    for size in sizes:
        pad_to_sections(conn, size, rng)
        print_match_latency(conn, titles)


def bench_burst(directory, items, burst, transport, paced=False):
    """Start a bot on the corpus database against a sandbox; post `burst` alerts at once.  Unpaced,
    Slack's per-channel limit is off in the sandbox and the bot (the bot's own capacity); paced, both
    keep it, and the figures are the first reply and whether every alert was answered."""
    import subprocess
    sandbox = SlackSandbox(classic_app=transport == "rtm", channel_post_limit=paced).start()
    env = {**os.environ, "DATA_DIR": str(directory), "BOT_TOKEN": "xoxb-bench", "SLACK_API_URL": sandbox.api_url,
           "PAGERDUTY_BOT_IDS": PAGERDUTY_BOT_ID, "PASSWORD_CONFIG": os.devnull, "DATABASE_URL": "",
           "SLACK_POSTS_PER_SECOND": "1" if paced else "0", "LOG_FILE": "none"}
    if transport == "socket-mode":
        env["SLACK_APP_TOKEN"] = "xapp-bench"
    project = Path(__file__).resolve().parents[1]
    bot = subprocess.Popen([sys.executable, "slack_bot.py", "--transport", transport], cwd=project, env=env,
                           stdout=subprocess.DEVNULL, stderr=open(Path(directory) / "bot.log", "w"))
    try:
        key = "rtm_connections" if transport == "rtm" else "socket_mode_connections"
        deadline = time.monotonic() + 60
        while sandbox.hub.status()[key] < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        # Alerts the matcher answers, so every one of them should get its reply.
        titles = [item["title"] for item in items if item["kind"] == "alertmanager"]
        titles = (titles * (burst // len(titles) + 1))[:burst]
        posted = {}
        started = time.perf_counter()
        # Incidents of their own per run: replies are claimed per incident.
        for number, title in enumerate(titles, start=1_400_000 if paced else 900_000):
            event = sandbox.post("C0BENCH", pagerduty_message(title, number, f"QB{number}"))
            posted[event["ts"]] = time.perf_counter()
        latencies = wait_for_replies(sandbox, posted, timeout=30 + (1.2 * burst if paced else 60))
        total = time.perf_counter() - started
        time.sleep(1)
        answers = len(sandbox.workspace.posts("C0BENCH"))
    finally:
        bot.terminate()
        bot.wait(20)
        sandbox.stop()
        problems = [line for line in (Path(directory) / "bot.log").read_text().splitlines()
                    if " ERROR " in line or " WARNING " in line or line.startswith(("Traceback", "  ", "psycopg2", "Key"))]
        print("\n".join(problems[:40]))
    pace = "paced at Slack's 1 a second per channel" if paced else "pace off in the sandbox and the bot"
    print(f"bot end to end ({transport}, {pace}, burst of {len(posted)} alerts posted at once): "
          f"{len(latencies)} alerts answered by {answers} replies in {total:.1f} s; first {min(latencies):.0f} ms  "
          f"p50 {percentile(latencies, 0.5):.0f} ms  p99 {percentile(latencies, 0.99):.0f} ms")


def bench_reply_floor(burst):
    """The burst's floor on this machine: the sandbox Slack alone answering `burst` chat.postMessage calls
    from one client in a row (the replies' own round trips, before any delivery, claim or match; more
    client threads only contend for the same two cores)."""
    from slack_sdk import WebClient
    sandbox = SlackSandbox(channel_post_limit=False).start()
    try:
        client = WebClient(token="xoxb-bench", base_url=sandbox.api_url)
        started = time.perf_counter()
        for number in range(burst):
            client.chat_postMessage(channel="C0FLOOR", text=f"reply {number}", thread_ts="1700000000.000100")
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        sandbox.stop()
    print(f"the burst's floor: the sandbox Slack alone answers {burst} chat.postMessage calls from one client "
          f"in {elapsed:.0f} ms ({elapsed / burst:.2f} ms each)")


def wait_for_replies(sandbox, posted, timeout):
    replied = {}
    deadline = time.monotonic() + timeout
    while len(replied) < len(posted) and time.monotonic() < deadline:
        for post in sandbox.workspace.posts("C0BENCH"):
            if post["thread_ts"] in posted and post["thread_ts"] not in replied:
                replied[post["thread_ts"]] = (time.perf_counter() - posted[post["thread_ts"]]) * 1000
        time.sleep(0.005)
    return list(replied.values()) or [float("nan")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=sized("360,10000", "360,10000,100000"),
                        help="runbook sections to store, comma-separated (below ~2,100: a subset of the corpus; "
                             "above: the corpus padded with generated runbooks)")
    parser.add_argument("--burst", type=int, default=200, help="alerts posted at once to a real bot (0: none)")
    parser.add_argument("--paced-burst", type=int, default=20, help="alerts in the burst answered at Slack's pace (0: none)")
    parser.add_argument("--transport", choices=("socket-mode", "rtm"), default="socket-mode")
    args = parser.parse_args(argv)
    announce("bench_match", sections=args.sizes, burst=args.burst, paced_burst=args.paced_burst)
    rows = corpus_rows()
    if not rows:
        print("The shared corpus (../shared/corpus) is absent; nothing to measure.")
        return 0
    items = labelled_set(rows)
    titles = alert_titles(items)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    with tempfile.TemporaryDirectory() as directory:
        with fresh_database(Path(directory)) as conn:
            print_latency_header(titles)
            # Sizes below the whole corpus: a subset of its runbooks, as a small team's site would hold.
            rest = rows
            for size in [size for size in sizes if size < CORPUS_SECTIONS_AT_LEAST]:
                rest = load_corpus_rows(conn, rest, size)
                print_match_latency(conn, titles)
            load_corpus_rows(conn, rest)
            # The burst on the whole corpus, as a bot on a real runbook site would see it.
            if args.burst:  # --burst 0 measures the matcher alone
                bench_burst(Path(directory), items, args.burst, args.transport)
                bench_reply_floor(args.burst)
            if args.paced_burst:
                bench_burst(Path(directory), items, args.paced_burst, args.transport, paced=True)
            bench_matching(conn, [size for size in sizes if size >= CORPUS_SECTIONS_AT_LEAST], titles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
