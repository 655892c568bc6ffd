"""`python3 -m generate_documentation_db`: the docs monitor.

Polls the runbook site (DOCS_URL) and the runbook repositories (DOCS_REPO) every DOCS_POLL_SECONDS
and keeps the runbook tables current, and reads
the team's alert rules (PROMETHEUS_URL, ALERT_RULES_PATH) on every poll; `--list`, `--changes`
and `--rules` print what is stored.
"""
import argparse
import logging
import sys
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from pathlib import Path

import requests

import utils
from database import heartbeats
from database.connection import DatabaseUnavailable, data_dir
from database.heartbeats import Process
from database.outage import open_database
from generate_documentation_db import rule_store, runbook_store
from generate_documentation_db.crawler import CrawlLimits
from generate_documentation_db.docs_monitor import DocsMonitor, PollReport
from generate_documentation_db.git_source import GitRepository, default_web_url, is_local
from generate_documentation_db.page_kinds import NOT_RUNBOOK_KINDS
from generate_documentation_db.progress import Progress
from generate_documentation_db.repo_monitor import RepoMonitor
from generate_documentation_db.rule_coverage import OFF_SITE, format_coverage, rule_coverage, with_broken_links
from generate_documentation_db.rule_sources import RuleReader, RuleWatcher, ask_gone_links
from matching.index import RunbookIndex
from matching.knowledge_base import load_records

log = logging.getLogger("generate_documentation_db")
# After a failed poll the next try comes sooner than the poll interval, doubling each time.
FIRST_RETRY_SECONDS = 10


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = utils.command_line(
        "python3 -m generate_documentation_db",
        "Docs monitor: keep the runbook knowledge base in PostgreSQL in step with the docs site "
        "(DOCS_URL), polling every DOCS_POLL_SECONDS.")
    parser.add_argument("--once", action="store_true", help="poll once and exit (for cron)")
    parser.add_argument("--url", action="append", metavar="URL",
                        help="docs site start URL, overriding DOCS_URL (repeat or comma-separate for several)")
    parser.add_argument("--list", action="store_true", help="print the stored runbooks and exit")
    parser.add_argument("--changes", action="store_true", help="print the latest page changes and exit")
    parser.add_argument("--limit", type=int, default=50, help="rows printed by --changes (default 50)")
    parser.add_argument("--rules", action="store_true",
                        help="list every stored alert rule with its runbook status (on the docs site, runbook_url "
                             "elsewhere, or none), the gaps first, and exit")
    parser.add_argument("--check-links", action="store_true",
                        help="with --rules: ask every runbook_url outside the docs site whether the page still exists")
    return parser.parse_args(argv)


def start_urls(config: utils.Config, args: argparse.Namespace) -> list[str]:
    """The site's start URLs from --url or DOCS_URL ([] when only DOCS_REPO is set); a ConfigError
    names the bad one, or asks for one of the two when neither is set."""
    if args.url:
        urls = [url.strip() for value in args.url for url in value.split(",") if url.strip()]
    else:
        if not config.is_set("DOCS_REPO"):
            config.require("DOCS_URL", feature="the docs monitor (or DOCS_REPO for a git repository of runbooks)")
        urls = config.items("DOCS_URL")
    for url in urls:
        utils.Config({}, {"DOCS_URL": url}).url("DOCS_URL")  # one sentence naming DOCS_URL when bad
    return urls


def repo_monitors(config: utils.Config) -> list[RepoMonitor]:
    """One RepoMonitor per DOCS_REPO entry (``URL-or-path`` or ``URL-or-path#branch``).

    DOCS_REPO_BRANCH is the branch of entries without their own; DOCS_REPO_WEB_URL gives one
    address pattern for all of them or one per entry, in order."""
    remotes = config.items("DOCS_REPO")
    if not remotes:
        return []
    web_urls = config.items("DOCS_REPO_WEB_URL")
    if len(web_urls) not in (0, 1, len(remotes)):
        raise utils.ConfigError(f"DOCS_REPO_WEB_URL must give one address for all {len(remotes)} DOCS_REPO entries "
                                f"or one for each, but it gives {len(web_urls)}.")
    mirrors = data_dir(config) / "docs_repos"
    token = config.text("DOCS_REPO_TOKEN")
    timeout = config.number("DOCS_REPO_TIMEOUT_SECONDS", 120.0, minimum=1, maximum=3600)
    monitors = []
    for position, entry in enumerate(remotes):
        remote, _, branch = entry.partition("#")
        branch = branch or config.text("DOCS_REPO_BRANCH")
        if is_local(remote):  # a relative folder is the project's, as every path setting is
            remote = str((utils.PROJECT_DIR / Path(remote).expanduser()).resolve())
        repository = GitRepository(remote, branch, mirrors, token=token, timeout_seconds=timeout)
        web_url = (web_urls[position] if len(web_urls) == len(remotes) else web_urls[0]) if web_urls \
            else default_web_url(remote, branch)
        monitors.append(RepoMonitor(repository, web_url))
    return monitors


class DocsSources:
    """The docs site and the runbook repositories, polled one after the other as one poll."""

    def __init__(self, sources: list) -> None:
        self.sources = sources
        self.start_urls = [url for source in sources for url in source.start_urls]

    def poll(self, conn) -> PollReport:
        report = self.sources[0].poll(conn)
        for source in self.sources[1:]:
            report = report.add(source.poll(conn))
        return report


def crawl_limits(config: utils.Config) -> CrawlLimits:
    return CrawlLimits(
        concurrency=config.integer("DOCS_CONCURRENCY", 8, minimum=1),
        timeout_seconds=config.number("DOCS_TIMEOUT_SECONDS", 10.0, minimum=0.1, maximum=600),
        max_page_bytes=config.integer("DOCS_MAX_PAGE_BYTES", 2_000_000, minimum=1024),
        max_pages=config.integer("DOCS_MAX_PAGES", 5000, minimum=1),
    )


def next_wait(poll_seconds: int, failed_polls: int) -> int:
    """Seconds until the next poll: the interval, or a doubling retry delay after failures."""
    if failed_polls == 0:
        return poll_seconds
    return min(poll_seconds, FIRST_RETRY_SECONDS * 2 ** (failed_polls - 1))


def format_changes(changes: Iterable[tuple[datetime, str, str, tuple[str, ...], str | None]]) -> list[str]:
    return [f"{at:%Y-%m-%d %H:%M:%S}  {change:<7}  {url}" + (f"  ({', '.join(titles)})" if titles else "")
            + (f"  by {changed_by}" if changed_by else "")
            for at, change, url, titles, changed_by in changes]


def format_runbooks(runbooks: Iterable[tuple[str, str | None, str, str]],
                    other_pages: Iterable[tuple[str, str, str]] = ()) -> list[str]:
    """The runbooks with their kind, then the pages stored as something else (never matched or counted)."""
    lines = [f"{title}  [{kind}]  {alert_name or '-'}  {url}" for title, alert_name, kind, url in runbooks]
    other_pages = list(other_pages)
    if other_pages:
        lines.append(f"Not runbooks ({len(other_pages)} pages, never offered as an answer):")
        lines.extend(f"  {title or '-'}  [{kind}: {NOT_RUNBOOK_KINDS.get(kind, kind)}]  {url}"
                     for title, kind, url in other_pages)
    return lines


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    config = utils.load_config(args.config)
    if args.list or args.changes:
        database = open_database(config, one_shot=True)
        rows = database.run(lambda conn: format_changes(runbook_store.recent_changes(conn, args.limit)) if args.changes
                            else format_runbooks(runbook_store.list_runbooks(conn),
                                                 runbook_store.pages_not_runbooks(conn)))
        print("\n".join(rows) if rows else "(none yet)")
        return 0
    if args.rules:
        database = open_database(config, one_shot=True)
        coverage = database.run(lambda conn: rule_coverage(rule_store.stored_rules(conn),
                                                           RunbookIndex(load_records(conn), vectors=None)))
        # Links the docs monitor found gone on its daily check; --check-links asks again now.
        gone = database.run(rule_store.stored_gone_links)
        if args.check_links:
            gone = ask_gone_links(requests.Session(), {entry.runbook for entry in coverage if entry.status == OFF_SITE})
        coverage = with_broken_links(coverage, gone)
        problems = [f"Last read failed: {state.problem}" for state in database.run(rule_store.source_states)
                    if state.problem]
        print("\n".join(problems + format_coverage(coverage)) if coverage or problems
              else "(no alert rules stored yet: set PROMETHEUS_URL or ALERT_RULES_PATH and let the docs monitor poll)")
        return 0
    urls = start_urls(config, args)
    config.url("DATABASE_URL", schemes=("postgresql", "postgres"))  # a bad URL is exit 2, not an endless wait
    poll_seconds = config.integer("DOCS_POLL_SECONDS", 300, minimum=1)
    site = [DocsMonitor(urls, crawl_limits(config), progress=Progress.for_terminal())] if urls else []
    monitor = DocsSources(site + repo_monitors(config))
    utils.configure_logging(Process.DOCS_MONITOR, config)
    return run(monitor, config, poll_seconds, once=args.once, rules=rule_watcher(config))


def rule_watcher(config: utils.Config) -> RuleWatcher:
    """The alert rule sources of PROMETHEUS_URL and ALERT_RULES_PATH (none: nothing is read)."""
    api_urls = config.items("PROMETHEUS_URL")
    for url in api_urls:
        utils.Config({}, {"PROMETHEUS_URL": url}).url("PROMETHEUS_URL")  # one sentence naming it when bad
    reader = RuleReader(requests.Session(), token=config.text("PROMETHEUS_TOKEN"),
                        timeout_seconds=config.number("DOCS_TIMEOUT_SECONDS", 10.0, minimum=0.1, maximum=600))
    link_hours = config.number("RULE_LINK_CHECK_HOURS", 24.0, minimum=0, maximum=24 * 365)
    # Relative rule paths are the project's, as every path setting is, wherever the monitor was started.
    paths = [str(utils.PROJECT_DIR / path) for path in config.items("ALERT_RULES_PATH")]
    return RuleWatcher(reader, api_urls, paths, link_check_seconds=link_hours * 3600)


def run(monitor: "DocsMonitor | DocsSources", config: utils.Config, poll_seconds: int, once: bool,
        rules: RuleWatcher | None = None) -> int:
    """Poll until stopped; the database going away is waited for, never half-written."""
    stopping = utils.stop_event()
    database = open_database(config, stopping, one_shot=once)
    log.info("Docs monitor watching %s every %d s.", ", ".join(monitor.start_urls), poll_seconds)
    failed_polls = 0
    while not stopping.is_set():
        try:
            # A poll is not repeated at once after an outage: it is long, and the next one comes soon.
            report = database.run(monitor.poll, retry_seconds=0)
            summary = report.summary()
            log.info(summary)
            if rules is not None and rules.configured:
                rules_report = database.run(rules.poll, retry_seconds=0)
                log.info(rules_report.summary())
                database.run(rules.check_links, retry_seconds=0)
                summary += " " + rules_report.summary()
            # Liveness for the dashboard; it goes to process_status, never to the runbook tables.
            database.run(partial(heartbeats.record_heartbeat, process=Process.DOCS_MONITOR,
                                 interval_seconds=poll_seconds, outcome=summary, last_poll=poll_figures(report)))
            failed_polls = failed_polls + 1 if report.faults and not _any_success(report) else 0
        except DatabaseUnavailable as error:
            if once:
                raise
            log.warning("The database is unavailable (%s); waiting for it.", error)
            failed_polls += 1
        if once:
            break
        stopping.wait(next_wait(poll_seconds, failed_polls))
    database.close()
    log.info("Docs monitor stopped.")
    return 0


def poll_figures(report) -> dict[str, int]:
    """A poll's counts as the heartbeat keeps them, for /metrics."""
    return {"requests": report.requests, "bytes": report.bytes_received, "not_modified": report.not_modified,
            "unchanged": report.unchanged, "added": report.added, "changed": report.changed,
            "removed": report.removed, "failed": len(report.faults)}


def _any_success(report):
    return report.not_modified + report.unchanged + report.added + report.changed > 0


if __name__ == "__main__":
    utils.run_main(main, sys.argv[1:])
