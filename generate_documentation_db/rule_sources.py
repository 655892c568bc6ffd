"""Where the team's alerting rules come from, read on every poll of the docs monitor.

* `PROMETHEUS_URL`: base URLs of Prometheus-compatible rules APIs, comma-separated
  (`http://prometheus:9090`, Mimir's or Cortex's `http://mimir/prometheus`, a Thanos Ruler,
  vmalert); `/api/v1/rules` is added.  Basic auth as `https://user:password@host`, or a bearer
  token in `PROMETHEUS_TOKEN`.
* `ALERT_RULES_PATH`: rule files or folders of them (`*.yml`, `*.yaml`, read recursively), such as
  a checkout of the team's rules repository; each file is a source of its own, so one broken file
  keeps its last good rules while the others move on.

A source that cannot be read (a timeout, an HTTP error, invalid YAML or JSON, a template Go would
not parse) is one log line naming it, without its credentials; its last good rules stay.
"""
import logging
from dataclasses import dataclass, field
from pathlib import Path

import requests

from database.connection import Connection
from generate_documentation_db import rule_store
from generate_documentation_db.alert_rules import AlertRule, RuleSourceError, rules_from_api, rules_from_yaml
from matching.index import RunbookIndex
from matching.knowledge_base import load_records
from matching.rule_templates import template_problem

log = logging.getLogger(__name__)
RULES_API_PATH = "/api/v1/rules"
RULE_FILE_SUFFIXES = (".yml", ".yaml")
TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 50_000_000
MAX_LINKS_PER_POLL = 50


@dataclass(frozen=True)
class RuleSource:
    """`name` is what logs, `--rules` and the database call it: a URL without credentials, or a path."""

    name: str
    url: str = ""  # a rules API, credentials included
    path: Path | None = None  # a rule file


@dataclass
class RulesReport:
    sources: int = 0
    rules: int = 0
    changed: list[str] = field(default_factory=list)
    faults: list[tuple[str, str]] = field(default_factory=list)  # (source, problem)

    def summary(self) -> str:
        return (f"Read {self.rules} alert rules from {self.sources} sources: {len(self.changed)} changed, "
                f"{len(self.faults)} could not be read.")


def _url_parts(url: str) -> tuple[str, str, str, str, str]:
    """(scheme, user info, host, path, query) of a URL, read the way no character of a password can
    derail: the user info ends at the last '@', wherever a '/', '#' or '?' inside it would put it."""
    scheme, _, rest = url.strip().partition("://")
    userinfo, at, rest = rest.rpartition("@") if "@" in rest else ("", "", rest)
    rest = rest.split("#", 1)[0]
    rest, _, query = rest.partition("?")
    host, slash, path = rest.partition("/")
    return scheme, userinfo, host, slash + path, query


def rules_api_url(base_url: str) -> str:
    """The rules endpoint under a base URL (kept as given when it already names the endpoint; a query,
    such as a tenant, stays a query)."""
    scheme, userinfo, host, path, query = _url_parts(base_url)
    path = path.rstrip("/")
    path = path if path.endswith(RULES_API_PATH) else path + RULES_API_PATH
    return f"{scheme}://{userinfo + '@' if userinfo else ''}{host}{path}" + (f"?{query}" if query else "")


def without_credentials(url: str) -> str:
    """The URL as logs and the database may show it: the user name kept, the password left out."""
    scheme, userinfo, host, path, query = _url_parts(url)
    user = userinfo.partition(":")[0]
    return f"{scheme}://{user + '@' if user else ''}{host}{path}" + (f"?{query}" if query else "")


def configured_sources(api_urls: list[str], rule_paths: list[str]) -> list[RuleSource]:
    """Every source the settings name; a folder is expanded into its rule files, in order.  A path
    that does not exist (a checkout being replaced, an unmounted volume) is one source that fails,
    so the rules last read under it stay."""
    sources = [RuleSource(without_credentials(rules_api_url(url)), url=rules_api_url(url)) for url in api_urls]
    for value in rule_paths:
        path = Path(value).expanduser()
        if path.is_dir():
            files = sorted(file for file in path.rglob("*") if file.suffix in RULE_FILE_SUFFIXES)
            sources.extend(RuleSource(str(file), path=file) for file in files)
        else:
            sources.append(RuleSource(str(path), path=path))
    return sources


class RuleReader:
    """Reads rule sources: one HTTP session for every rules API, passed in."""

    def __init__(self, session: requests.Session, token: str | None = None, timeout_seconds: float = TIMEOUT_SECONDS):
        self.session = session
        self.token = token
        self.timeout_seconds = timeout_seconds

    def read(self, source: RuleSource) -> list[AlertRule]:
        """The source's alerting rules; RuleSourceError (one sentence naming it) when it cannot be read."""
        rules = self._read_api(source) if source.url else self._read_file(source)
        for rule in rules:
            for annotation in ("summary", "description"):
                problem = template_problem(getattr(rule, annotation))
                if problem:
                    raise RuleSourceError(f"{source.name}: the {annotation} of {rule.alert_name} {problem}.")
        return rules

    def _read_file(self, source):
        try:
            text = source.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise RuleSourceError(f"{source.name} cannot be read ({type(error).__name__}).") from None
        return rules_from_yaml(text, source.name)

    def _read_api(self, source):
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self.session.get(source.url, headers=headers, timeout=self.timeout_seconds,
                                        params={"type": "alert"})
        except requests.Timeout:
            raise RuleSourceError(f"{source.name} did not answer within {self.timeout_seconds:g} s.") from None
        except requests.RequestException as error:
            raise RuleSourceError(f"{source.name} could not be reached ({type(error).__name__}).") from None
        with response:
            if response.status_code != 200:
                raise RuleSourceError(f"{source.name} answered HTTP {response.status_code}.")
            if len(response.content) > MAX_RESPONSE_BYTES:
                raise RuleSourceError(f"{source.name} answered more than {MAX_RESPONSE_BYTES} bytes.")
            try:
                payload = response.json()
            except ValueError:
                raise RuleSourceError(f"{source.name} answered something that is not JSON.") from None
        return rules_from_api(payload, source.name)


class RuleWatcher:
    """The configured rule sources, read on every poll (a folder is listed again each time), and the
    rules' runbook links that point off the docs site, asked every `link_check_seconds` whether
    they still exist (0: never), at most MAX_LINKS_PER_POLL of them per poll."""

    def __init__(self, reader: RuleReader, api_urls: list[str], rule_paths: list[str],
                 link_check_seconds: float = 0) -> None:
        self.reader = reader
        self.api_urls = list(api_urls)
        self.rule_paths = list(rule_paths)
        self.link_check_seconds = link_check_seconds

    def check_links(self, conn: Connection) -> list[str]:
        """Ask the off-site runbook links that are due; returns those that broke now."""
        if not self.link_check_seconds:
            return []
        linked = {stored.rule.runbook_url for stored in rule_store.stored_rules(conn) if stored.rule.runbook_url}
        due = rule_store.links_due(conn, linked, self.link_check_seconds)
        if not due:
            return []
        index = RunbookIndex(load_records(conn), vectors=None)
        for url in due:
            if index.runbooks_at(url):  # the docs monitor crawls those pages itself: noted, not asked
                rule_store.record_link(conn, url, None)
        off_site = [url for url in due if not index.runbooks_at(url)][:MAX_LINKS_PER_POLL]
        broke = []
        for url in off_site:
            if rule_store.record_link(conn, url, link_status(self.reader.session, url, self.reader.timeout_seconds)):
                log.warning("The runbook link %s of an alert rule now answers that the page is gone.",
                            without_credentials(url))
                broke.append(url)
        return broke

    @property
    def configured(self) -> bool:
        return bool(self.api_urls or self.rule_paths)

    def poll(self, conn: Connection) -> RulesReport:
        return poll_rules(conn, self.reader, configured_sources(self.api_urls, self.rule_paths))


def poll_rules(conn: Connection, reader: RuleReader, sources: list[RuleSource]) -> RulesReport:
    """Read every source and keep what changed; a source that fails keeps its last good rules (and,
    for a folder that is not there, every file's read under it)."""
    report = RulesReport(sources=len(sources))
    # The rules there are at the very first read are the team's rules, not news of the week.
    first_read = not rule_store.any_source_read(conn)
    for source in sources:
        try:
            rules = reader.read(source)
        except RuleSourceError as error:
            _fault(conn, report, source, str(error))
            continue
        except Exception:  # a reader bug on one source must not stop the poll or lose that source's rules
            log.exception("Could not read the alert rules of %s.", source.name)
            _fault(conn, report, source, f"{source.name} could not be read (an internal error; see the log).")
            continue
        report.rules += len(rules)
        if rule_store.store_rules(conn, source.name, rules, first_read=first_read):
            report.changed.append(source.name)
            log.info("Alert rules of %s changed: %d rules.", source.name, len(rules))
    missing_folders = [source.name for source in sources if source.path is not None and not source.path.exists()]
    rule_store.forget_sources(conn, [source.name for source in sources], keep_under=missing_folders)
    return report


def _fault(conn, report, source, problem):
    log.warning("%s Its last good alert rules stay.", problem)
    rule_store.record_problem(conn, source.name, problem)
    report.faults.append((source.name, problem))


def link_status(session: requests.Session, url: str, timeout_seconds: float = TIMEOUT_SECONDS) -> int | None:
    """The HTTP status a runbook link answers (after redirects); None when it cannot be reached."""
    try:
        response = session.head(url, timeout=timeout_seconds, allow_redirects=True)
        if response.status_code in (403, 405, 501):  # servers that refuse HEAD: ask for the page itself
            response.close()
            response = session.get(url, timeout=timeout_seconds, stream=True, allow_redirects=True)
        response.close()
        return response.status_code
    except requests.RequestException:
        return None


def ask_gone_links(session: requests.Session, urls: set[str], timeout_seconds: float = TIMEOUT_SECONDS) -> set[str]:
    """The links that answer 404 or 410 (a link that cannot be reached is not called gone)."""
    return {url for url in sorted(urls) if link_status(session, url, timeout_seconds) in rule_store.GONE}
