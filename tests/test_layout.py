"""The layout keeps one home per job: what each package may import, and entry points that only wire."""
import ast
import subprocess
import sys

import pytest

from utils import PROJECT_DIR

PACKAGES = ("alert_visualization", "bot", "database", "generate_documentation_db", "handoff", "matching")


def imported_modules(path):
    """Every module `path` imports, as dotted names (`from a.b import c` gives a.b and a.b.c)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def imports_of(package):
    return {(path.relative_to(PROJECT_DIR).as_posix(), name)
            for path in (PROJECT_DIR / package).rglob("*.py") for name in imported_modules(path)}


def reaching(package, forbidden):
    return sorted((path, name) for path, name in imports_of(package)
                  if any(name == root or name.startswith(root + ".") for root in forbidden))


def test_the_docs_monitor_knows_nothing_of_slack_or_the_bot():
    assert reaching("generate_documentation_db", ("slack_sdk", "bot", "slack_bot")) == []


def test_the_dashboard_sends_no_mail():
    assert reaching("alert_visualization", ("smtplib", "handoff", "send_mail", "email")) == []


def test_matching_and_the_database_layer_sit_below_every_job():
    jobs = ("bot", "handoff", "alert_visualization", "generate_documentation_db", "slack_bot", "send_mail")
    assert reaching("matching", jobs + ("database",)) == []
    assert reaching("database", jobs + ("matching",)) == []


def test_nothing_below_the_bot_imports_it():
    for package in ("handoff", "alert_visualization", "database", "matching", "generate_documentation_db"):
        assert reaching(package, ("bot", "slack_bot")) == []


@pytest.mark.parametrize("entry_point, limit", [("utils.py", 340), ("slack_bot.py", 150), ("send_mail.py", 150)])
def test_entry_points_only_wire(entry_point, limit):
    assert len((PROJECT_DIR / entry_point).read_text(encoding="utf-8").splitlines()) <= limit


def test_every_package_imports_from_the_checkout_without_path_tricks():
    trick = "sys.path" + ".insert"  # spelled apart so this file does not find itself
    offenders = [path.relative_to(PROJECT_DIR).as_posix()
                 for folder in ("tests", "benchmarks", "soak", "sandbox", *PACKAGES)
                 for path in (PROJECT_DIR / folder).rglob("*.py") if trick in path.read_text("utf-8")]
    assert offenders == []


def test_the_linter_finds_nothing():
    """pyproject.toml's ruff settings: unused or unsorted imports, undefined names, common bug patterns."""
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--quiet", "."], cwd=PROJECT_DIR,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
