"""The SMTP client against the sandbox SMTP server: real SMTP on loopback, faults injected."""
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from handoff.smtp import (
    PermanentSmtpError,
    RetryPolicy,
    SmtpSettings,
    TemporarySmtpError,
    send_once,
    send_with_retry,
)
from sandbox.loopback import free_port
from sandbox.smtp import SmtpSink
from utils import PROJECT_DIR

FAST = RetryPolicy(attempts=4, base_seconds=0.05, max_seconds=0.2)


def a_mail(subject="Handoff"):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "oncall@example.com", "team@example.com", subject
    message.set_content("body")
    return message


@pytest.fixture
def sink(tmp_path):
    with SmtpSink(tmp_path / "outbox", free_port()) as running:
        yield running


def settings_for(sink, **overrides):
    return SmtpSettings("127.0.0.1", sink.port, "none", **overrides)


def test_an_accepted_mail_is_saved_as_an_eml_file(sink):
    assert send_once(settings_for(sink, username="oncall@example.com", password="pw"), a_mail("Hello")) == {}
    saved = message_from_bytes(sink.mails()[0].read_bytes(), policy=policy.default)
    assert saved["Subject"] == "Hello"


def test_a_4xx_is_retried_until_the_server_takes_the_mail(sink):
    sink.faults.temporary_failures = 2
    retries = []
    send_with_retry(settings_for(sink), a_mail(), FAST, before_retry=lambda attempt, error: retries.append(str(error)))
    assert len(sink.mails()) == 1
    assert len(retries) == 2 and all(reason.startswith("451") for reason in retries)


def test_a_4xx_that_never_clears_ends_as_a_temporary_error(sink):
    sink.faults.temporary_failures = 10
    with pytest.raises(TemporarySmtpError, match="451"):
        send_with_retry(settings_for(sink), a_mail(), FAST)
    assert sink.mails() == [] and sink.faults.temporary_failures == 10 - FAST.attempts


def test_a_5xx_is_permanent_with_the_servers_reason_and_not_retried(sink):
    sink.faults.permanent_failure = "Relaying denied for this sender"
    retries = []
    with pytest.raises(PermanentSmtpError) as refused:
        send_with_retry(settings_for(sink), a_mail(), FAST, before_retry=lambda *args: retries.append(args))
    assert refused.value.code == 554 and "Relaying denied" in refused.value.reason
    assert retries == []


def test_a_refused_connection_is_temporary_and_retried_until_the_server_is_up(tmp_path):
    sink = SmtpSink(tmp_path / "outbox", free_port())
    threading.Timer(0.3, sink.start).start()
    try:
        send_with_retry(settings_for(sink), a_mail(), RetryPolicy(attempts=30, base_seconds=0.1, max_seconds=0.2))
        assert len(sink.mails()) == 1
    finally:
        time.sleep(0.1)
        sink.stop()


def test_a_server_that_never_answers_times_out_as_temporary(tmp_path):
    with socket.socket() as silent:  # accepts the TCP connection, never says 220
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = SmtpSettings("127.0.0.1", silent.getsockname()[1], "none", timeout=0.3)
        with pytest.raises(TemporarySmtpError):
            send_once(settings, a_mail())


def test_starttls_against_a_server_without_it_is_a_permanent_configuration_error(sink):
    with pytest.raises(PermanentSmtpError, match="SMTP_SECURITY"):
        send_once(settings_for(sink).__class__("127.0.0.1", sink.port, "starttls"), a_mail())


def test_the_sandbox_server_runs_from_the_command_line(tmp_path):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "sandbox.smtp", "--port", str(port), "--outbox", str(tmp_path)],
                              cwd=PROJECT_DIR, stderr=subprocess.PIPE, text=True)
    try:
        send_with_retry(SmtpSettings("127.0.0.1", port, "none"), a_mail(), RetryPolicy(40, 0.1, 0.25))
        assert len(list(tmp_path.glob("*.eml"))) == 1
    finally:
        server.terminate()
        assert server.wait(10) == 0
