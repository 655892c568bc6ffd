"""Docs monitor figures for a git repository of markdown runbooks: the first poll, a poll of the
unchanged repository, and a poll after a commit that edits one file (time, git fetches, files
parsed, rows written).

    .venv/bin/python -m benchmarks.bench_docs_repo [--files 1000]

The repository is made of the shared corpus's runbooks (cycled, each copy under its own alert
name) when `../shared/corpus` is present, else of generated runbooks; it is fetched through
file://, as a forge's would be over the network.
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_crawl import fresh_database, row_versions
from benchmarks.sizes import announce
from database import connection
from generate_documentation_db.git_source import GitRepository
from generate_documentation_db.repo_monitor import RepoMonitor
from sandbox import corpus_site
from sandbox.demo_repo import git


def runbook_texts():
    """Markdown runbooks to copy: the corpus's, or one generated shape when the corpus is absent."""
    entries = corpus_site.manifest()
    if entries:
        return [(f"{entry.source}/{Path(entry.relative_path).parent}", entry.alert_name,
                 (corpus_site.CORPUS_DIR / entry.source / entry.relative_path).read_text("utf-8")) for entry in entries]
    return [("generated", "ServiceLatencyHigh", "# ServiceLatencyHigh\n\n## Meaning\n\nLatency is high.\n\n## Mitigation\n\n"
                                   "```\nkubectl rollout undo deploy/api\n```\n")]


def make_repository(root, files):
    texts = runbook_texts()
    for number in range(files):
        source, alert, text = texts[number % len(texts)]
        name = f"{alert}Copy{number // len(texts)}" if number >= len(texts) else alert
        path = root / f"area{number // 100:02d}" / source / f"{name}.md"  # a name can be in two folders
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace(alert, name), encoding="utf-8")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "runbooks")
    return sorted(root.rglob("*.md"))


def timed_poll(monitor, conn):
    before = row_versions(conn)
    started = time.perf_counter()
    report = monitor.poll(conn)
    return report, time.perf_counter() - started, len(before ^ row_versions(conn))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="markdown files in the repository (default 1000)")
    args = parser.parse_args(argv)
    announce("bench_docs_repo", files=args.files)
    with tempfile.TemporaryDirectory(prefix="bench_docs_repo_") as scratch:
        scratch = Path(scratch)
        paths = make_repository(scratch / "repo", args.files)
        pg = connection.embedded_server(scratch / "postgres")
        conn = fresh_database(pg.get_uri(), "bench_repo")
        try:
            monitor = RepoMonitor(GitRepository(str(scratch / "repo"), "main", scratch / "mirrors"),
                                  "https://git.example/runbooks/blob/main/")
            rows = []
            report, seconds, written = timed_poll(monitor, conn)
            rows.append(("first poll", seconds, report.requests, report.added + report.changed, written))
            report, seconds, written = timed_poll(monitor, conn)
            rows.append(("unchanged repository", seconds, report.requests, report.added + report.changed, written))
            edited = paths[len(paths) // 2]
            edited.write_text(edited.read_text(encoding="utf-8") + "\n1. One more step.\n", encoding="utf-8")
            git(scratch / "repo", "commit", "--quiet", "--all", "-m", "one more step")
            report, seconds, written = timed_poll(monitor, conn)
            rows.append(("a commit editing one file", seconds, report.requests, report.added + report.changed,
                         written))
        finally:
            conn.close()
            pg.cleanup()
    print(f"bench_docs_repo: {args.files} markdown files, Python {sys.version.split()[0]}")
    print(f"  {'poll':<28}{'time':>10}{'git fetches':>13}{'files stored':>14}{'rows written':>14}")
    for label, seconds, fetches, stored, written in rows:
        print(f"  {label:<28}{seconds:>9.2f}s{fetches:>13}{stored:>14}{written:>14}")


if __name__ == "__main__":
    main()
