"""The demo's second docs source: a local git repository of markdown runbooks, as many teams keep them.

The sandbox makes it from `sandbox/docs_repo/` (one commit by ana), and later commits an edit by bo,
so the docs monitor's change log shows who changed which runbook in which commit.
"""
import shutil
import subprocess
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "docs_repo"
EDITED_FILE = "database/PostgresReplicationLag.md"
ADDED_STEP = "4. Tell the teams reading from the replica before you rebuild it: their reports will pause.\n"
EDIT_MESSAGE = "PostgresReplicationLag: warn readers before a rebuild"


def git(repo, *args, author="ana"):
    """Run git in `repo` as `author` (the demo's own identity, whatever the machine's git config says)."""
    identity = ["-c", f"user.name={author}", "-c", f"user.email={author}@example.com"]
    subprocess.run(["git", "-C", str(repo), *identity, *args], check=True, capture_output=True)


def fresh_repository(target):
    """A new repository at `target` holding `sandbox/docs_repo/` in one commit; returns its path."""
    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(SOURCE, target)
    git(target, "init", "--quiet", "--initial-branch=main")
    git(target, "add", "--all")
    git(target, "commit", "--quiet", "-m", "Data platform runbooks")
    return target


def commit_edit_later(repo, after_seconds, stopping):
    if stopping.wait(after_seconds):
        return
    path = Path(repo) / EDITED_FILE
    path.write_text(path.read_text(encoding="utf-8") + ADDED_STEP, encoding="utf-8")
    git(repo, "commit", "--quiet", "--all", "-m", EDIT_MESSAGE, author="bo")
    print(f"[docs]      bo committed an edit of {EDITED_FILE} to the runbook repository: the docs monitor "
          "logs it with the commit on its next poll (python3 -m generate_documentation_db --changes)", flush=True)
