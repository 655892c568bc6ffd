"""A git repository of markdown runbooks as a docs source: real git repositories on disk, a real
database.  The remote is a local repository fetched through file://, as a forge's would be."""
import os
import subprocess

import pytest

from generate_documentation_db import runbook_store
from generate_documentation_db.git_source import GitError, GitRepository, default_web_url, display_remote
from generate_documentation_db.repo_monitor import RepoMonitor
from tests.generate_documentation_db.helpers import stored_titles, table_snapshot

WEB = "https://git.example/runbooks/blob/main/"


def runbook_md(alert, step):
    return f"# {alert}\n\n## Meaning\n\n{alert} fired.\n\n## Mitigation\n\n1. {step}\n"


class Remote:
    """A repository people push to: files written, committed as a named author."""

    def __init__(self, path):
        self.path = path
        path.mkdir()
        self.git("init", "--quiet", "--initial-branch=main")

    def git(self, *args):
        return subprocess.run(["git", "-C", str(self.path), *args], check=True, capture_output=True,
                              text=True).stdout.strip()

    def commit(self, author, message, files=(), delete=()):
        for rel, text in dict(files).items():
            (self.path / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.path / rel).write_text(text)
            self.git("add", rel)
        for rel in delete:
            self.git("rm", "--quiet", rel)
        self.git("-c", f"user.name={author}", "-c", f"user.email={author}@example.com", "commit", "--quiet",
                 "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def remote(tmp_path):
    return Remote(tmp_path / "runbooks")


def monitor_of(remote, tmp_path, branch="main"):
    return RepoMonitor(GitRepository(str(remote.path), branch, tmp_path / "mirrors"), WEB)


def changes(db):
    return [(change, url.removeprefix(WEB), by) for _, change, url, _, by in runbook_store.recent_changes(db)]


def test_the_first_poll_stores_every_runbook_with_forge_links_and_anchors(remote, tmp_path, db):
    remote.commit("ana", "add runbooks", {
        "k8s/KubePodCrashLooping.md": "---\ntitle: Kube Pod Crash Looping\n---\n" + runbook_md("KubePodCrashLooping",
                                                                                            "Read the logs."),
        "disk-full.md": "---\ntitle: Disk full\naliases: [NodeFilesystemSpaceFillingUp]\n---\n\n"
                        "## Meaning\n\nA disk is full.\n\n## Mitigation\n\n```\ndf -h\n```\n",
        "README.md": "# Our runbooks\n\nOne file per alert; see the folders.\n",
        "images/graph.png": "not markdown",
    })
    report = monitor_of(remote, tmp_path).poll(db)
    assert (report.added, report.faults) == (3, [])
    assert stored_titles(db) == ["Disk full", "KubePodCrashLooping"]
    crash = runbook_store.find_by_alert_key(db, "KubePodCrashLooping")[0]
    assert crash.url == WEB + "k8s/KubePodCrashLooping.md"
    [disk] = runbook_store.find_by_alert_key(db, "NodeFilesystemSpaceFillingUp")
    assert disk.alert_name == "DiskFull"  # the slug, spelled as the title spells it
    stored = runbook_store.runbook_by_id(db, crash.runbook_id)
    assert [(section.title, section.anchor) for section in stored.sections][1:] == [
        ("Meaning", "meaning"), ("Mitigation", "mitigation")]
    assert runbook_store.pages_not_runbooks(db) == [("Our runbooks", "other", WEB + "README.md")]
    assert {by for _, _, by in changes(db)} == {"ana in " + remote.git("rev-parse", "--short=7", "HEAD")
                                               + ": add runbooks"}


def test_an_unchanged_repository_means_no_parsing_and_no_writes(remote, tmp_path, db):
    remote.commit("ana", "add", {"DiskFull.md": runbook_md("DiskFull", "Free space.")})
    monitor = monitor_of(remote, tmp_path)
    monitor.poll(db)
    before = table_snapshot(db)
    report = monitor.poll(db)
    assert (report.not_modified, report.added, report.changed, report.faults) == (1, 0, 0, [])
    assert table_snapshot(db) == before


def test_a_commit_that_edits_one_file_logs_exactly_that_file_with_its_commit(remote, tmp_path, db):
    remote.commit("ana", "add", {f"{alert}.md": runbook_md(alert, "Look.") for alert in ("DiskFull", "EtcdNoLeader")})
    monitor = monitor_of(remote, tmp_path)
    monitor.poll(db)
    sha = remote.commit("bo", "raise the threshold", {"EtcdNoLeader.md": runbook_md("EtcdNoLeader", "Restart it.")})
    report = monitor.poll(db)
    assert (report.changed, report.unchanged, report.added) == (1, 1, 0)
    assert changes(db)[0] == ("changed", "EtcdNoLeader.md", f"bo in {sha[:7]}: raise the threshold")
    assert [change for change in changes(db) if change[0] == "changed"] == [changes(db)[0]]
    assert "Restart it." in runbook_store.runbook_by_id(db, runbook_store.find_by_alert_key(db, "EtcdNoLeader")[0].runbook_id).mrkdwn


def test_a_deleted_file_is_removed_at_once_and_a_force_push_keeps_what_is_still_there(remote, tmp_path, db):
    remote.commit("ana", "add", {f"{alert}.md": runbook_md(alert, "Look.") for alert in ("DiskFull", "EtcdNoLeader")})
    monitor = monitor_of(remote, tmp_path)
    monitor.poll(db)
    sha = remote.commit("cy", "DiskFull is gone", delete=["DiskFull.md"])
    assert monitor.poll(db).removed == 1
    assert stored_titles(db) == ["EtcdNoLeader"]
    assert changes(db)[0] == ("removed", "DiskFull.md", f"cy in {sha[:7]}: DiskFull is gone")
    # History rewritten: the deletion undone by a force-push of another line of commits.
    remote.git("reset", "--quiet", "--hard", "HEAD~1")
    remote.commit("dee", "rewrite", {"NewAlert.md": runbook_md("NewAlert", "Do it.")})
    report = monitor.poll(db)
    assert (report.added, report.unchanged, report.faults) == (2, 1, [])
    assert stored_titles(db) == ["DiskFull", "EtcdNoLeader", "NewAlert"]


def test_an_unreachable_remote_keeps_the_last_good_runbooks_and_comes_back(remote, tmp_path, db, caplog):
    remote.commit("ana", "add", {"DiskFull.md": runbook_md("DiskFull", "Free space.")})
    monitor = monitor_of(remote, tmp_path)
    monitor.poll(db)
    before = table_snapshot(db)
    moved = remote.path.with_name("elsewhere")
    remote.path.rename(moved)
    report = monitor.poll(db)
    assert len(report.faults) == 1 and "Keeping the last good runbooks" in caplog.text
    assert table_snapshot(db) == before
    moved.rename(remote.path)
    remote.commit("ana", "more", {"EtcdNoLeader.md": runbook_md("EtcdNoLeader", "Look.")})
    assert monitor.poll(db).added == 1
    assert stored_titles(db) == ["DiskFull", "EtcdNoLeader"]


def test_credentials_never_leave_the_remote_url(tmp_path, db):
    secret = "hunter2-token"
    repository = GitRepository(f"https://bot:{secret}@127.0.0.1:9/runbooks.git", "main", tmp_path / "m", token=secret)
    report = RepoMonitor(repository, WEB).poll(db)
    [(source, problem)] = report.faults
    assert secret not in source + problem and "127.0.0.1:9/runbooks.git" in problem
    assert display_remote("https://bot:pw@git.example/r.git") == "https://git.example/r.git"


def test_people_facing_links_default_to_the_forge_page_of_each_file():
    assert default_web_url("git@github.com:acme/runbooks.git", "main") == "https://github.com/acme/runbooks/blob/main/"
    assert default_web_url("https://gitlab.example/ops/rb.git", None) == "https://gitlab.example/ops/rb/blob/HEAD/"
    monitor = RepoMonitor(GitRepository("/srv/rb", None, "/tmp"), "https://runbooks.example/{page}/")
    assert monitor.file_url("k8s/KubePodCrashLooping.md") == "https://runbooks.example/k8s/KubePodCrashLooping/"


def test_the_cli_reads_a_repository_alone_and_lists_who_changed_what(tmp_path, database_url):
    from sandbox import demo_repo
    from tests.generate_documentation_db.test_cli import run_monitor
    repo = demo_repo.fresh_repository(tmp_path / "demo_repo")
    settings = dict(DOCS_REPO=str(repo), DOCS_REPO_WEB_URL="https://git.example/data/-/blob/main/{path}",
                    DATA_DIR=str(tmp_path / "data"))
    polled = run_monitor("--once", database_url=database_url, **settings)
    assert polled.returncode == 0 and "3 added" in polled.stderr and "0 faults" in polled.stderr, polled.stderr
    demo_repo.git(repo, "commit", "--quiet", "--allow-empty", "-m", "nothing")
    (repo / demo_repo.EDITED_FILE).write_text((repo / demo_repo.EDITED_FILE).read_text() + demo_repo.ADDED_STEP)
    demo_repo.git(repo, "commit", "--quiet", "--all", "-m", demo_repo.EDIT_MESSAGE, author="bo")
    assert "1 changed" in run_monitor("--once", database_url=database_url, **settings).stderr
    listed = run_monitor("--list", database_url=database_url).stdout
    assert "PostgresReplicationLag  [runbook]  PostgresReplicationLag  https://git.example/data/-/blob/main/" \
           "database/PostgresReplicationLag.md" in listed
    assert "Data platform runbooks  [other: names no alert and has no steps]" in listed
    changes = run_monitor("--changes", database_url=database_url).stdout.splitlines()
    assert changes[0].endswith(f"(PostgresReplicationLag)  by bo in {demo_repo_head(repo)}: {demo_repo.EDIT_MESSAGE}")


def demo_repo_head(repo):
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "--short=7", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()


def test_repository_settings_are_read_in_one_place(tmp_path):
    import utils
    from generate_documentation_db.__main__ import repo_monitors
    config = utils.Config({}, {"DOCS_REPO": "runbooks, git@github.com:acme/rb.git#prod", "DOCS_REPO_BRANCH": "main",
                               "DATA_DIR": str(tmp_path)})
    local, forge = repo_monitors(config)
    assert local.repository.remote == str(utils.PROJECT_DIR / "runbooks") and local.repository.branch == "main"
    assert (forge.repository.branch, forge.web_url) == ("prod", "https://github.com/acme/rb/blob/prod/")
    with pytest.raises(utils.ConfigError, match="DOCS_REPO_WEB_URL must give one address"):
        repo_monitors(utils.Config({}, {"DOCS_REPO": "a, b, c", "DOCS_REPO_WEB_URL": "x/, y/"}))


def test_a_killed_fetch_s_lock_or_a_lost_object_is_one_sentence_and_the_next_poll_works(remote, tmp_path, db):
    remote.commit("ana", "add", {"DiskFull.md": runbook_md("DiskFull", "Free space.")})
    monitor = monitor_of(remote, tmp_path)
    monitor.poll(db)
    (monitor.repository.mirror / "shallow.lock").write_text("")  # what a fetch killed at its timeout leaves
    remote.commit("bo", "more", {"EtcdNoLeader.md": runbook_md("EtcdNoLeader", "Look.")})
    assert monitor.poll(db).added == 1
    with pytest.raises(GitError, match="could not read 0000000"):
        monitor.repository.read(["0" * 40])


def test_url_credentials_travel_in_a_header_for_that_host_only():
    repository = GitRepository("https://bot:s3cret@git.example/acme/rb.git", "main", "/tmp/m", token="tok")
    assert repository._fetch_url() == "https://git.example/acme/rb.git"
    environment = repository._environment(network=True)
    assert environment["GIT_CONFIG_KEY_0"] == "http.https://git.example/.extraHeader"
    assert "s3cret" not in repository._fetch_url() and "GIT_SSH_COMMAND" not in {
        key for key in environment if key not in os.environ}
    plain = GitRepository("http://git.example/rb.git", None, "/tmp/m", token="tok")
    assert "GIT_CONFIG_KEY_0" not in plain._environment(network=True)  # never a token over plain HTTP


def test_a_renamed_repository_entry_claims_its_unchanged_files_so_a_deletion_still_removes_them(remote, tmp_path, db):
    remote.commit("ana", "add", {f"{alert}.md": runbook_md(alert, "Look.") for alert in ("DiskFull", "EtcdNoLeader")})
    monitor_of(remote, tmp_path, branch=None).poll(db)  # first read as the remote's default branch
    renamed = monitor_of(remote, tmp_path, branch="main")  # then the entry gains '#main'
    assert renamed.poll(db).added == 0
    remote.commit("cy", "DiskFull is gone", delete=["DiskFull.md"])
    assert renamed.poll(db).removed == 1 and stored_titles(db) == ["EtcdNoLeader"]
