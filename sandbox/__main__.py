"""`python3 -m sandbox`: the demo's first process.

Starts the embedded PostgreSQL (and applies migrations) so the other processes join a
ready server, runs the local stand-ins that speak the real protocols (docs site,
Prometheus rules API, PagerDuty, Slack, SMTP) on the ports the demo configuration
names, and prints what happens: the dashboard URL, each alert posted with the bot's
reply, where the handoff mail went.  After a while it edits a runbook page and commits an edit to the runbook repository, as team members
would.
"""
import logging
import threading
from urllib.parse import urlsplit

import utils
from database import connection
from sandbox import demo_events, demo_repo
from sandbox.docs_server import DocsServer
from sandbox.pagerduty import Account, serve_in_thread
from sandbox.pagerduty_history import generate_history
from sandbox.prometheus_rules import RulesServer
from sandbox.slack import SlackSandbox
from sandbox.slack_demo import run_demo
from sandbox.smtp import SmtpSink

log = logging.getLogger("sandbox")

DEMO_CHANNEL = "C0ALERTS"
EDIT_AFTER_SECONDS = 45
COMMIT_AFTER_SECONDS = 60


def port_of(url):
    return urlsplit(url).port


def describe_demo(config, log_dir, data_dir, database_url, outbox):
    """The block printed at demo start (pure, so it is tested as text)."""
    dashboard = config.text("DASHBOARD_URL", "http://127.0.0.1:5000")
    embedded = f" (embedded, data in {data_dir})" if "host=/" in database_url else ""
    return "\n".join([
        "=" * 72,
        "Oncall Helper demo: every process runs against local stand-ins, no account needed.",
        f"  dashboard: {dashboard}/",
        f"  docs site: {config.text('DOCS_URL')} (the runbook site the docs monitor watches)",
        f"  docs repo: {config.text('DOCS_REPO')} (a git repository of markdown runbooks it reads too)",
        f"  rules:     {config.text('PROMETHEUS_URL')}/api/v1/rules (the team's alert rules; "
        "`python3 -m generate_documentation_db --rules` lists their runbook status)",
        f"  alerts:    posted below into the sandbox channel {DEMO_CHANNEL}, each with the bot's reply",
        f"  handoff:   mails land in {outbox}/ ; the path is printed when the mailer sends",
        f"  logs:      {log_dir}/<process>.log (one file per process)",
        f"  database:  {database_url}{embedded}",
        "  stop:      Ctrl-C stops every process",
        "=" * 72,
    ])


def start_stand_ins(config, site_dir, outbox):
    """Each stand-in on the port its service's setting names, so there is one source of ports."""
    docs = DocsServer(site_dir, port_of(config.text("DOCS_URL"))).start()
    account = Account(generate_history(), token=config.text("PAGERDUTY_TOKEN"))
    pagerduty = serve_in_thread(account, port_of(config.text("PAGERDUTY_API_URL")))
    slack = SlackSandbox(port=port_of(config.text("SLACK_API_URL"))).start()
    smtp = SmtpSink(outbox, config.integer("SMTP_PORT")).start()
    rules = RulesServer(port=port_of(config.text("PROMETHEUS_URL"))).start()
    return docs, pagerduty, slack, smtp, rules


def main(argv):
    parser = utils.command_line("python3 -m sandbox", __doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="start everything, print the block and exit")
    args = parser.parse_args(argv)
    config = utils.load_config(args.config)
    config.require("DOCS_URL", "DOCS_REPO", "PAGERDUTY_API_URL", "SLACK_API_URL", "SMTP_PORT", "PROMETHEUS_URL",
                   feature="the demo stand-ins")
    utils.configure_logging("sandbox", config)
    stopping = utils.stop_event()
    conn = connection.connect(config)
    data_dir = connection.data_dir(config)
    site_dir = demo_events.fresh_site_copy(data_dir / "demo_docs_site")
    repo_dir = demo_repo.fresh_repository(utils.PROJECT_DIR / config.text("DOCS_REPO"))
    outbox = utils.PROJECT_DIR / "outbox" / "sandbox-smtp"
    docs, pagerduty, slack, smtp, rules = start_stand_ins(config, site_dir, outbox)
    url = connection.database_url(config)
    print(describe_demo(config, utils.log_dir_of(config), data_dir, url, outbox), flush=True)
    if not args.once:
        threading.Thread(target=demo_events.report_handoff_mail, args=(outbox, stopping), daemon=True).start()
        threading.Thread(target=demo_events.edit_runbook_later, args=(site_dir, EDIT_AFTER_SECONDS, stopping),
                         daemon=True).start()
        threading.Thread(target=demo_repo.commit_edit_later, args=(repo_dir, COMMIT_AFTER_SECONDS, stopping),
                         daemon=True).start()
        run_demo(slack, DEMO_CHANNEL, stopping)
    for server in (docs, pagerduty, rules):
        server.shutdown()
    slack.stop()
    smtp.stop()
    conn.close()
    log.info("Sandbox stopped.")


if __name__ == "__main__":
    utils.run_main(main)
