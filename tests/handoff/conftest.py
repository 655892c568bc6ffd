"""The handoff tests' servers: the sandbox PagerDuty and SMTP on loopback, and mailers wired as
send_mail.py wires them."""
import pytest

from sandbox.loopback import free_port
from sandbox.pagerduty import Account, serve_in_thread
from sandbox.smtp import SmtpSink
from tests.handoff.helpers import NOW, MailerAt, make_history


@pytest.fixture
def pagerduty():
    """The PagerDuty stand-in with a history ending at NOW, its clock pinned there."""
    account = Account(make_history(NOW))
    account.clock = NOW.timestamp()
    server = serve_in_thread(account)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_sink(tmp_path):
    with SmtpSink(tmp_path / "smtp-outbox", free_port()) as sink:
        yield sink


@pytest.fixture
def mailer_at(database_url):
    """mailer_at(config, now, name="m1") -> a Mailer; every connection is closed afterwards."""
    opened = []

    def build(config, now, name="mailer-1"):
        opened.append(MailerAt(database_url, config, now, name))
        return opened[-1].mailer

    yield build
    for mailer in opened:
        mailer.close()
