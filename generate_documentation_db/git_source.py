"""One git repository of runbooks, read with the `git` command: fetch, list, read, who changed what.

The repository is mirrored bare under the data folder and fetched shallow (FETCH_DEPTH commits)
on each poll, so a big history costs nothing and an unchanged remote costs one small fetch.
Credentials are the git configuration's (SSH keys, credential helpers) or a token sent as an
HTTP header through the environment, never on a command line or in the mirror's config; every
error names the repository with its credentials removed.
"""
import base64
import hashlib
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)
# Commits fetched per poll: enough to name who changed each file since the last poll.
FETCH_DEPTH = 50
TIP_REF = "refs/oncall-helper/tip"
_SCP_LIKE = re.compile(r"^(?P<user>[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")  # git@github.com:org/repo.git


class GitError(Exception):
    """A git command failed; the message is one sentence, free of credentials."""


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    subject: str


def display_remote(remote: str) -> str:
    """The remote as it may be shown: no user name or password in an URL."""
    parts = urlsplit(remote)
    if parts.scheme and parts.netloc and "@" in parts.netloc:
        return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[1], parts.path, parts.query, ""))
    return remote


def default_web_url(remote: str, branch: str | None) -> str:
    """Where people read a file of `remote`: a forge's ``…/blob/<branch>/`` page (GitHub, GitLab,
    Gitea and Forgejo all answer it), or a ``file://`` URL for a repository on this machine."""
    ref = branch or "HEAD"
    scp = _SCP_LIKE.match(remote) if "://" not in remote else None
    if scp:
        return f"https://{scp.group('host')}/{scp.group('path').removesuffix('.git')}/blob/{ref}/"
    parts = urlsplit(display_remote(remote))
    if parts.scheme in ("http", "https", "ssh", "git"):
        host = (parts.hostname or "") + (f":{parts.port}" if parts.port and parts.scheme in ("http", "https") else "")
        scheme = parts.scheme if parts.scheme in ("http", "https") else "https"
        return f"{scheme}://{host}{parts.path.removesuffix('/').removesuffix('.git')}/blob/{ref}/"
    path = Path(parts.path if parts.scheme == "file" else remote).expanduser().resolve()
    return path.as_uri() + "/"


def is_local(remote: str) -> bool:
    """A folder on this machine rather than an URL or ``host:path``."""
    return "://" not in remote and not _SCP_LIKE.match(remote)


class GitRepository:
    """The remote `remote` (an URL or a local path) at `branch` (None: the remote's default)."""

    def __init__(self, remote: str, branch: str | None, mirror_root: Path, token: str | None = None,
                 timeout_seconds: float = 120.0) -> None:
        self.remote = remote
        self.branch = branch
        self.name = display_remote(remote)
        # What the stored pages say they came from: the remote and, when one is set, the branch.
        self.source = f"{self.name}#{branch}" if branch else self.name
        digest = hashlib.sha256(self.source.encode()).hexdigest()[:16]
        self.mirror = Path(mirror_root) / digest
        self._token = token
        self.timeout_seconds = timeout_seconds

    def fetch(self) -> str:
        """Fetch the branch (shallow) and return its tip commit's sha; GitError when unreachable."""
        self._ensure_mirror()
        ref = f"refs/heads/{self.branch}" if self.branch else "HEAD"
        self._git("fetch", "--quiet", "--no-tags", f"--depth={FETCH_DEPTH}", self._fetch_url(), f"+{ref}:{TIP_REF}",
                  network=True)
        return self._git("rev-parse", "--verify", f"{TIP_REF}^{{commit}}").strip()

    def files(self, commit: str) -> dict[str, str]:
        """{path: blob sha} of every file in the commit's tree."""
        out = self._git("ls-tree", "-r", "-z", "--full-tree", commit)
        files = {}
        for entry in out.split("\0"):
            if not entry:
                continue
            meta, _, path = entry.partition("\t")
            mode, kind, sha = meta.split()
            if kind == "blob" and mode != "120000":  # a symlink's target is no runbook
                files[path] = sha
        return files

    def read(self, blobs: list[str]) -> dict[str, bytes]:
        """{blob sha: content} for the blobs, in one `git cat-file --batch`."""
        if not blobs:
            return {}
        result = self._run(["cat-file", "--batch"], input_bytes="".join(f"{sha}\n" for sha in blobs).encode())
        contents, at = {}, 0
        while at < len(result):
            header_end = result.index(b"\n", at)
            sha, _, size = result[at:header_end].decode().split(" ")
            start = header_end + 1
            contents[sha] = result[start:start + int(size)]
            at = start + int(size) + 1
        return contents

    def last_changes(self, commit: str, paths: set[str]) -> dict[str, Commit]:
        """{path: the newest fetched commit that changed it} for the paths it can name; a path last
        changed before the fetched history (or by the shallow boundary commit) is left out."""
        boundary = set(self._shallow_commits())
        out = self._git("log", "-z", "--no-renames", "--name-only", "--format=%x01%H%x00%an%x00%s", commit)
        found = {}
        for record in out.split("\x01")[1:]:
            sha, author, subject, *names = record.split("\0")
            if sha in boundary:
                continue
            for path in names:
                path = path.strip("\n")
                if path in paths and path not in found:
                    found[path] = Commit(sha, author, subject)
        return found

    def _shallow_commits(self):
        shallow = self.mirror / "shallow"
        return shallow.read_text().split() if shallow.exists() else []

    def _ensure_mirror(self):
        if (self.mirror / "HEAD").exists():
            return
        shutil.rmtree(self.mirror, ignore_errors=True)
        self.mirror.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "--quiet", "--bare", str(self.mirror)], check=True, capture_output=True,
                       env=self._environment(), timeout=self.timeout_seconds)

    def _fetch_url(self):
        # A local folder is fetched through file:// so the depth is honoured.
        if is_local(self.remote):
            return Path(self.remote).expanduser().resolve().as_uri()
        return self.remote

    def _git(self, *args, network=False):
        return self._run(list(args), network=network).decode("utf-8", errors="replace")

    def _run(self, args, input_bytes=None, network=False):
        try:
            done = subprocess.run(["git", "--git-dir", str(self.mirror), *args], input=input_bytes,
                                  capture_output=True, env=self._environment(network), timeout=self.timeout_seconds)
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} of {self.name} took longer than {self.timeout_seconds:g} s.") from None
        except FileNotFoundError:
            raise GitError("The git command is not installed; install git to read DOCS_REPO.") from None
        if done.returncode != 0:
            raise GitError(f"git {args[0]} of {self.name} failed: {self._first_error_line(done.stderr)}")
        return done.stdout

    def _first_error_line(self, stderr):
        lines = [line.strip() for line in stderr.decode("utf-8", errors="replace").splitlines() if line.strip()]
        line = next((line for line in lines if line.lower().startswith(("fatal", "error"))), lines[-1] if lines else
                    "no message")
        line = line.replace(self.remote, self.name)
        if self._token:
            line = line.replace(self._token, "[redacted]")
        return re.sub(r"//[^/@\s]+@", "//", line)

    def _environment(self, network=False):
        env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_CONFIG_")}
        # Never wait for a password on a terminal that nobody watches.
        env.update(GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true", SSH_ASKPASS="true", LC_ALL="C")
        env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
        if network and self._token:
            basic = base64.b64encode(f"x-access-token:{self._token}".encode()).decode()
            env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="http.extraHeader",
                       GIT_CONFIG_VALUE_0=f"Authorization: Basic {basic}")
        return env
