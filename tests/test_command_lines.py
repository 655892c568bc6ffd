"""Every entry point speaks the same way: --version, --config, one prog style, one sentence for a bad argument."""
import os
import subprocess
import sys

import pytest

import utils
from utils import PROJECT_DIR

# (how it is run, the module whose main() parses its command line)
ENTRY_POINTS = [("slack_bot.py", "slack_bot"), ("send_mail.py", "send_mail"),
                ("-m generate_documentation_db", "generate_documentation_db.__main__"),
                ("-m alert_visualization", "alert_visualization.__main__"), ("-m sandbox", "sandbox.__main__"),
                ("-m database", "database.__main__")]


def run(arguments, **environ):
    return subprocess.run([sys.executable, *arguments], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PASSWORD_CONFIG": os.devnull, **environ})


@pytest.mark.parametrize("command, module", ENTRY_POINTS, ids=[module for _, module in ENTRY_POINTS])
def test_every_entry_point_has_version_config_and_a_python3_prog(command, module, capsys):
    import importlib
    main = importlib.import_module(module).main
    for argument in ("--version", "--help"):  # argparse answers both before main() does anything else
        with pytest.raises(SystemExit) as exited:
            main([argument])
        assert exited.value.code == 0
    version, usage = capsys.readouterr().out.split("\n", 1)
    assert version == f"Oncall Helper {utils.VERSION}"
    assert usage.startswith(f"usage: python3 {command}") and "--config PATH" in usage


def test_a_bad_week_is_one_sentence():
    result = run(["send_mail.py", "--week", "foo"])
    assert result.returncode == 2
    assert "argument --week: 'foo' is not a date like 2026-11-23" in result.stderr
    assert "invalid parse_week_argument value" not in result.stderr


def test_a_missing_csv_is_one_sentence_and_no_traceback(tmp_path):
    result = run(["-m", "alert_visualization", "--import-csv", str(tmp_path / "missing.csv")],
                 DATABASE_URL="postgresql://127.0.0.1:1/none", LOG_FILE="none")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"error: --import-csv: {tmp_path / 'missing.csv'} is not a file" in result.stderr


def test_a_missing_config_file_is_one_sentence(tmp_path):
    result = run(["slack_bot.py", "--config", str(tmp_path / "nope"), "--console"])
    assert result.returncode == 2 and result.stderr.strip() == f"error: The configuration file {tmp_path / 'nope'} does not exist."


def test_log_file_none_logs_to_stderr_only_and_a_second_replica_gets_a_file_of_its_own(tmp_path):
    logs = tmp_path / "logs"
    script = ("import sys, time, logging, utils; c = utils.load_config(); f = utils.configure_logging('replica', c); "
              "logging.getLogger('x').warning('hello from %s', sys.argv[1]); print(f); sys.stdout.flush(); "
              "time.sleep(float(sys.argv[2]))")
    first = subprocess.Popen([sys.executable, "-c", script, "one", "3"], cwd=PROJECT_DIR, text=True,
                             stdout=subprocess.PIPE, env={**os.environ, "PASSWORD_CONFIG": os.devnull, "LOG_DIR": str(logs)})
    first_file = first.stdout.readline().strip()
    second = run(["-c", script, "two", "0"], LOG_DIR=str(logs))
    first.wait(10)
    assert first_file == str(logs / "replica.log")
    assert second.stdout.strip().startswith(str(logs / "replica-")) and second.stdout.strip() != first_file
    assert "hello from two" in (logs / second.stdout.strip()).read_text() and "hello from two" in second.stderr
    quiet = run(["-c", script, "three", "0"], LOG_DIR=str(tmp_path / "unused"), LOG_FILE="none", LOG_LEVEL="error")
    assert quiet.stdout.strip() == "None" and not (tmp_path / "unused").exists()
    assert "hello from three" not in quiet.stderr  # LOG_LEVEL=error keeps the warning out
