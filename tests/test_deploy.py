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
