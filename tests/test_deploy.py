"""The production set-up files agree with the code they start."""
import re

from deploy.run_procfile import parse_env_file, parse_procfile
from utils import PROJECT_DIR

UNITS = {
    "docs_monitor": "oncall-helper-docs-monitor.service",
    "slack_bot": "oncall-helper-slack-bot.service",
    "handoff_mailer": "oncall-helper-handoff-mailer.service",
    "dashboard": "oncall-helper-dashboard.service",
}


def procfile():
    return dict(parse_procfile((PROJECT_DIR / "Procfile").read_text()))


def test_the_procfile_lists_the_four_jobs_and_the_sandbox():
    assert set(procfile()) == set(UNITS) | {"sandbox"}


def test_each_systemd_unit_starts_its_procfile_command_and_does_not_restart_on_a_config_error():
    for name, unit in UNITS.items():
        text = (PROJECT_DIR / "deploy" / unit).read_text()
        exec_start = re.search(r"^ExecStart=\S+/python (.+)$", text, re.M).group(1)
        assert procfile()[name] == f"python3 {exec_start}"
        assert "RestartPreventExitStatus=2" in text  # utils.run_main exits 2 on a bad setting
        assert "KillSignal=SIGTERM" in text


def test_the_slack_manifest_asks_for_socket_mode_and_the_scopes_the_bot_uses():
    manifest = (PROJECT_DIR / "slack_app_manifest.yml").read_text()
    assert re.search(r"^\s+socket_mode_enabled: true$", manifest, re.M)
    for scope in ("channels:history", "groups:history", "chat:write"):
        assert re.search(rf"^\s+- {scope}\b", manifest, re.M), scope
    for event in ("message.channels", "message.groups"):
        assert re.search(rf"^\s+- {event}$", manifest, re.M), event


def test_procfile_and_env_file_parsing():
    assert parse_procfile("# jobs\n\nweb: python3 -m app --port 5000\n") == [("web", "python3 -m app --port 5000")]
    assert parse_env_file('# demo\nPASSWORD_CONFIG="sandbox/x"\nBAD LINE\n') == {"PASSWORD_CONFIG": "sandbox/x"}


DATABASE_UNIT = "oncall-helper-database.service"
HARDENING = ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
             "EnvironmentFile=/etc/oncall-helper/oncall-helper.env", "StateDirectory=oncall-helper",
             "LogsDirectory=oncall-helper", "PartOf=oncall-helper.target", "CapabilityBoundingSet=\n")


def test_every_unit_is_hardened_reads_etc_and_writes_only_its_state_and_logs():
    for unit in (*UNITS.values(), DATABASE_UNIT):
        text = (PROJECT_DIR / "deploy" / unit).read_text()
        for line in HARDENING:
            assert line in text, (unit, line)
        assert "Environment=PASSWORD_CONFIG=/dev/null" in text  # never the checkout's password_config
        assert "WantedBy=oncall-helper.target" in text
    for unit in UNITS.values():  # the embedded database lives in its own unit's cgroup
        text = (PROJECT_DIR / "deploy" / unit).read_text()
        assert f"Requires={DATABASE_UNIT}" in text and re.search(rf"^After=.*{DATABASE_UNIT}", text, re.M)
    database = (PROJECT_DIR / "deploy" / DATABASE_UNIT).read_text()
    assert re.search(r"^ExecStart=\S+/python -m database$", database, re.M) and "RemainAfterExit=yes" in database
    target = (PROJECT_DIR / "deploy" / "oncall-helper.target").read_text()
    wanted = {name for line in re.findall(r"^Wants=(.+)$", target, re.M) for name in line.split()}
    assert wanted == {*UNITS.values(), DATABASE_UNIT}


def test_systemd_analyze_verify_passes_on_the_units(tmp_path):
    import shutil
    import subprocess
    import sys

    import pytest
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here")
    names = [*UNITS.values(), DATABASE_UNIT, "oncall-helper.target"]
    for name in names:  # verify checks that ExecStart's program exists: this machine's python
        text = (PROJECT_DIR / "deploy" / name).read_text().replace("/opt/oncall-helper/.venv/bin/python", sys.executable)
        (tmp_path / name).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *names], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_the_compose_file_starts_the_procfiles_commands_in_the_image():
    import yaml
    compose = yaml.safe_load((PROJECT_DIR / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == set(UNITS) | {"postgres"}
    for name in UNITS:
        assert services[name]["command"] == procfile()[name], name
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql://oncall:")
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(services["dashboard"]["healthcheck"]["test"])
    dockerfile = (PROJECT_DIR / "deploy" / "Dockerfile").read_text()
    assert "ENV PATH=/opt/oncall-helper/.venv/bin:$PATH" in dockerfile  # `python3` is the venv's
    assert re.search(r"^USER oncall$", dockerfile, re.M) and "pip install --no-cache-dir -r requirements.txt" in dockerfile


def test_the_database_entry_point_has_nothing_to_hold_with_a_database_url(database_url):
    import os
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "database"], cwd=PROJECT_DIR, capture_output=True, text=True,
                            timeout=60, env={**os.environ, "PASSWORD_CONFIG": os.devnull, "DATABASE_URL": database_url,
                                             "LOG_FILE": "none"})
    assert result.returncode == 0 and "there is no embedded one to run" in result.stderr


def test_the_database_entry_point_holds_the_embedded_server_while_the_jobs_come_and_go(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil
    env = {**os.environ, "PASSWORD_CONFIG": os.devnull, "DATA_DIR": str(tmp_path / "data"), "LOG_FILE": "none"}
    env.pop("DATABASE_URL", None)
    holder = subprocess.Popen([sys.executable, "-m", "database"], cwd=PROJECT_DIR, env=env, stderr=subprocess.PIPE,
                              text=True)
    try:
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline and not any("is running" in line for line in lines):
            lines.append(holder.stderr.readline())
        assert any("Embedded PostgreSQL is running" in line for line in lines), lines
        job = subprocess.run([sys.executable, "-m", "generate_documentation_db", "--list"], cwd=PROJECT_DIR, env=env,
                             capture_output=True, text=True, timeout=60)
        assert job.returncode == 0, job.stderr
        postmaster = tmp_path / "data" / "postgres" / "postmaster.pid"
        assert postmaster.exists() and psutil.pid_exists(int(postmaster.read_text().split()[0]))  # outlived the job
        holder.send_signal(signal.SIGTERM)
        assert holder.wait(30) == 0
        assert not postmaster.exists()  # the last one out stopped it
    finally:
        if holder.poll() is None:
            holder.kill()
