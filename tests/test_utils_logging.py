"""Redaction is checked in a child process: configure_logging owns the root logger of a process."""
import subprocess
import sys
import textwrap

from utils import PROJECT_DIR

CHILD = textwrap.dedent("""
    import logging, sys
    import utils
    config = utils.load_config(sys.argv[1])
    utils.configure_logging("redaction_check", config, log_dir=None if sys.argv[2] == "-" else sys.argv[2])
    log = logging.getLogger("check")
    token = config.text("BOT_TOKEN")
    log.info("connecting with %s to %s", token, config.text("DATABASE_URL"))
    try:
        raise RuntimeError(f"server refused {config.text('SENDER_PASSWORD')}")
    except RuntimeError:
        log.exception("sending failed")
    log.warning("a call whose arguments do not fit: %s %s", token)  # logging's own rule: print it, raise nothing
    log.info("still running")
""")


def run_child(tmp_path, config_text, env=None):
    config_file = tmp_path / "password_config"
    config_file.write_text(config_text)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(config_file), str(tmp_path / "logs")],
        cwd=PROJECT_DIR, capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return (tmp_path / "logs" / "redaction_check.log").read_text(), result.stderr


def test_secrets_are_replaced_in_the_log_file_and_on_stderr_tracebacks_included(tmp_path):
    log_file, stderr = run_child(tmp_path, (
        'BOT_TOKEN = "xoxb-123-secret-token"\n'
        'SENDER_PASSWORD = "mail-pa55word"\n'
        'DATABASE_URL = "postgresql://oncall:db-pa55@127.0.0.1:5432/oncall"\n'
    ))
    for output in (log_file, stderr):
        assert "connecting with *** to postgresql://oncall:***@127.0.0.1:5432/oncall" in output
        assert "RuntimeError: server refused ***" in output
        assert "Traceback" in output
        assert "a call whose arguments do not fit: %s %s (arguments that do not fit the message: ('***',))" in output
        assert "still running" in output
        for secret in ("xoxb-123-secret-token", "mail-pa55word", "db-pa55"):
            assert secret not in output


def test_a_secret_set_only_in_the_environment_is_redacted_too(tmp_path):
    import os
    env = dict(os.environ, BOT_TOKEN="xoxb-from-environment")
    log_file, _ = run_child(tmp_path, "", env=env)
    assert "connecting with *** to None" in log_file
    assert "xoxb-from-environment" not in log_file


def test_the_log_folder_is_the_log_dir_setting_when_none_is_given(tmp_path):
    config_file = tmp_path / "password_config"
    config_file.write_text(f'LOG_DIR = "{tmp_path / "elsewhere"}"\nBOT_TOKEN = "xoxb-1"\n')
    result = subprocess.run([sys.executable, "-c", CHILD, str(config_file), "-"], cwd=PROJECT_DIR,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "sending failed" in (tmp_path / "elsewhere" / "redaction_check.log").read_text()
