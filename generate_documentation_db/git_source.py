"""One git repository of runbooks, read with the `git` command: fetch, list, read, who changed what.

The repository is mirrored bare under the data folder and fetched shallow (FETCH_DEPTH commits)
on each poll, so a big history costs nothing and an unchanged remote costs one small fetch.
Credentials are the git configuration's (SSH keys, credential helpers), or the URL's own user and
password or a token, sent as an HTTP header to that host only, through the environment: never on
a command line or in the mirror's config; every error names the repository without them.
"""
import base64
import contextlib
import hashlib
import logging
import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

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
        if self.mirror.exists() and not (self.mirror / "HEAD").exists():
            shutil.rmtree(self.mirror, ignore_errors=True)
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
            header = result[at:header_end].decode(errors="replace").split(" ")
            if len(header) != 3 or header[1] != "blob":  # "<sha> missing": the mirror lost an object
                raise GitError(f"git cat-file of {self.name} could not read {header[0]}; the mirror is fetched "
                               "again next poll.")
            sha, _, size = header
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
            # A fetch killed at its timeout leaves its lock files; the caller holds the advisory lock,
            # so no other git is working in this mirror.
            for stale in [self.mirror / "shallow.lock", *self.mirror.glob("refs/**/*.lock"), *self.mirror.glob("*.lock")]:
                stale.unlink(missing_ok=True)
            return
        shutil.rmtree(self.mirror, ignore_errors=True)
        self.mirror.parent.mkdir(parents=True, exist_ok=True)
        self._run(["init", "--quiet", "--bare", str(self.mirror)], git_dir=False)

    def _fetch_url(self):
        """The remote as git is given it: a local folder through file:// (so the depth is honoured),
        an URL without its user and password (they travel in a header, never on a command line)."""
        if is_local(self.remote):
            return Path(self.remote).expanduser().resolve().as_uri()
        return display_remote(self.remote)

    def _git(self, *args, network=False):
        return self._run(list(args), network=network).decode("utf-8", errors="replace")

    def _run(self, args, input_bytes=None, network=False, git_dir=True):
        command = ["git", *(["--git-dir", str(self.mirror)] if git_dir else []), *args]
        try:
            # Its own process group, so a timeout stops git's helpers (ssh, git-remote-https) with it.
            process = subprocess.Popen(command, stdin=subprocess.PIPE if input_bytes is not None else subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self._environment(network),
                                       start_new_session=True)
        except FileNotFoundError:
            raise GitError("The git command is not installed; install git to read DOCS_REPO.") from None
        try:
            stdout, stderr = process.communicate(input_bytes, timeout=self.timeout_seconds)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise GitError(f"git {args[0]} of {self.name} took longer than {self.timeout_seconds:g} s.") from None
        if process.returncode != 0:
            raise GitError(f"git {args[0]} of {self.name} failed: {self._first_error_line(stderr)}")
        return stdout

    def _first_error_line(self, stderr):
        lines = [line.strip() for line in stderr.decode("utf-8", errors="replace").splitlines() if line.strip()]
        line = next((line for line in lines if line.lower().startswith(("fatal", "error"))), lines[-1] if lines else
                    "no message")
        line = line.replace(self.remote, self.name)
        for secret in self._secrets():
            line = line.replace(secret, "[redacted]")
        return re.sub(r"//[^/@\s]+@", "//", line)

    def _secrets(self):
        parts = urlsplit(self.remote) if "://" in self.remote else None
        return [secret for secret in (self._token, parts and parts.password, parts and parts.username) if secret]

    def _environment(self, network=False):
        # Git's own settings reach it (SSH keys, credential helpers, core.sshCommand); variables that
        # point it at another repository or configuration do not.
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("GIT_CONFIG_", "GIT_DIR", "GIT_WORK_TREE", "GIT_OBJECT_DIRECTORY",
                                      "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_INDEX_FILE"))}
        # Never wait for a password: no terminal, and askpass answers nothing.
        env.update(GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true", SSH_ASKPASS="true", LC_ALL="C")
        header = self._auth_header() if network else None
        if header:
            scope, value = header
            env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0=f"http.{scope}.extraHeader", GIT_CONFIG_VALUE_0=value)
        return env

    def _auth_header(self):
        """(URL scope, header) for an HTTPS remote: its own user and password, else the token.  Sent to
        that host only, and never over plain HTTP."""
        parts = urlsplit(self.remote) if "://" in self.remote else None
        if parts is None or parts.scheme != "https":
            return None
        if parts.password or parts.username:
            user, password = unquote(parts.username or ""), unquote(parts.password or "")
        elif self._token:
            user, password = "x-access-token", self._token
        else:
            return None
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        return f"https://{parts.hostname}{f':{parts.port}' if parts.port else ''}/", f"Authorization: Basic {basic}"
