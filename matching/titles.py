"""Alert titles: what varies between firings stripped, and the alert key (pure functions).

The bot, the dashboard's analytics and the handoff mail all name an alert by
`alert_key(title)`, so the same alert counts as one however its incident title was
decorated ("Triggered #4821: [FIRING:2] KubePodCrashLooping (api-7f9 default critical)" and
"[P2] kube_pod_crash_looping on prod" are both "kube pod crash looping").
"""
import functools
import re
import unicodedata
from collections.abc import Callable

# Bump when a change here gives some titles another alert_key: the keys stored with incidents and the
# team's feedback are then made again from their titles (matching.stored_keys).  2: CloudWatch state
# changes, figures with "+" and "pct", a cluster's name after "cluster" (2026-12-02).  3: words in letters
# beyond ASCII are words ("Сервис недоступен" was "unknown", like every title without a Latin letter).
# 4: the word after "in checkout namespace" is kept ("… in checkout namespace fails to reconcile").
# 5: more regions' words are affixes ("prd_persistent_volume_filling_up_ca", "…-me-south-1").
# 6: a status condition is words ("Degraded=True": Degraded, "Available=False": not Available), no label.
# 7: a numbered instance of a kind is its kind ("osd.4": osd), no longer dropped as a host name.
ALERT_KEY_VERSION = 7
# The key of a title without a single word (only emoji, punctuation): many alerts share it.
UNKNOWN_KEY = "unknown"

_TITLE_DECORATIONS = [re.compile(pattern, re.IGNORECASE) for pattern in (
    # PagerDuty: "Triggered #4821: …", "Resolved #4821 - …", "[#4821] …", "#4821: …"
    r"^(?:(?:re-?)?triggered|acknowledged|resolved|escalated|reassigned|annotated|assigned|incident)"
    r"\s*(?:#\d+)?\s*[:\-–—]\s*",
    r"^(?:(?:re-?)?triggered|acknowledged|resolved|escalated|reassigned)\s+(?=#\d+|\[)",
    # "Triggered 95357: …", "Alert #95542: …", "Acknowledged #26964 …"
    r"^(?:(?:re-?)?triggered|acknowledged|resolved|escalated|reassigned|alert)\s*#?\d+\s*[:\-–—]?\s*",
    r"^(?:incident\s*)?#\d+\s*[:\-–—]?\s*",
    r"\[#?\d+\]",
    # Alertmanager "[FIRING:2]" / "[RESOLVED]", Grafana "[Alerting]", Datadog "[Triggered on {…}]", "[P2]"
    r"\[(?:firing|resolved)(?::\s*\d+)?\]",
    r"\[(?:alerting|ok|no ?data|pending|normal)\]",
    r"\[(?:re-?triggered|triggered|warn|warning|recovered|alert|renotify|no data)(?:\s+on\s+\{[^}]*\})?\]",
    r"\[p[0-5]\]|\(p[0-5]\)|^p[0-5]\s*[:\-–—]\s*",
    # A severity in brackets, as Alertmanager-to-Slack templates print it: "[CRITICAL] …", "[SEV2]"
    r"\[(?:critical|warning|warn|info|error|major|minor|high|low|page|sev ?[0-5])\]",
    # Opsgenie: "[Opsgenie] Alert created: …"
    r"^\[opsgenie\]\s*(?:alert (?:created|closed|acknowledged)\s*:)?\s*",
    # "|Payments API| …" service prefixes
    r"^\|[^|]*\|",
)]
# CloudWatch: ALARM: "prod-api-5xx" in US East (N. Virginia) -> the alarm's name; AWS Chatbot posts
# "CloudWatch Alarm | prod-api-5xx | us-east-1 | Account: 1234…"
# A state change says where it came from too: OK -> ALARM: "prod-api-5xx" in …
_CLOUDWATCH_STATE = r"(?:alarm|ok|insufficient[_ ]data)"
_CLOUDWATCH = re.compile(rf'^(?:{_CLOUDWATCH_STATE}\s*(?:->|-&gt;|→)\s*)?{_CLOUDWATCH_STATE}\s*:\s*"([^"]+)"(?:\s+in\s+.*)?$',
                         re.IGNORECASE)
_CHATBOT = re.compile(r"^(?:cloudwatch )?alarm\s*\|\s*([^|]+?)\s*(?:\||$)", re.IGNORECASE)
# Labels written out as key=value: "alertname=KubeQuotaExceeded namespace=payments" names its alert.
_ALERTNAME_LABEL = re.compile(r"""\balertname\s*[=:]\s*["'`]?([A-Za-z_][\w.:-]*)""")
_LABEL_PAIR = re.compile(r"^[A-Za-z_][\w.]*=")
# A Kubernetes status condition ("Degraded=True", "Available=False"): what is wrong, not a label.
_CONDITION_PAIR = re.compile(r"^([A-Za-z]+)=(true|false)$", re.IGNORECASE)
# A numbered instance of a kind, as Ceph names its daemons ("osd.4", "mds.0"): the kind is what the alert is
# about, the number varies.
_NUMBERED_INSTANCE = re.compile(r"^([A-Za-z]{2,})\.\d+$")
# Slack emoji shortcodes (":rotating_light:") decorate, never name.
_EMOJI = re.compile(r"(?<!\S):[a-z0-9_+'-]+:(?!\S)")
# Alertmanager's default title ends in label values: "KubePodCrashLooping (api-7f9 default critical)"
_TRAILING_PARENS = re.compile(r"\s*\([^()]*\)\s*$")
# "10+ minutes", "5m+", "90pct": a figure with its unit, as people and CloudWatch alarm names write them.
_NUMBER = re.compile(r"^[+\-~]?\d+(?:[.,:]\d+)*(?:%|pct|ms|us|µs|ns|s|sec|m|min|h|d|x|k|kb|mb|gb|tb|kib|mib|gib|tib)?\+?$",
                     re.IGNORECASE)
_ID = re.compile(r"^(?:[0-9a-f]{8,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                 r"|(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6,})$")
_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$")
_AWS_REGION = re.compile(r"^[a-z]{2}-[a-z]+-\d$", re.IGNORECASE)
_HTTP_CLASS = re.compile(r"^\d(?:xx|\d\d)$", re.IGNORECASE)  # "5xx", "503": a meaningful status, not a count
ENVIRONMENT_WORDS = frozenset(
    "prod production prd live staging stage stg dev development test qa uat preprod sandbox canary".split()
)
# The monitors and pagers that post alerts, by the names they sign them with ("CloudWatch Alarm | …",
# "Grafana OnCall: …"): never the alert's own name.
MONITOR_NAMES = frozenset("cloudwatch pagerduty opsgenie datadog grafana oncall victorops alertmanager "
                          "splunk newrelic zenduty".split())
# The cloud regions' words: AWS's us-east-1, ca-central-1, me-south-1, GCP's europe-west1, Azure's uksouth.
REGION_WORDS = frozenset("east west north south central northeast northwest southeast southwest us eu ap sa ca me af "
                         "il mx cn uk europe asia australia northamerica southamerica".split())
_DANGLING = frozenset("on in at for from of to with by - – — : | ,".split())
_PUNCTUATION = "\"'`“”‘’.,;:!?*_~()[]{}<>"
# "gRPC", "eBPF", "mTLS": a lower-case letter before capitals is one word, as the names spell it (etcdGRPC…).
_NAME_WORD = re.compile(r"\b[a-z][A-Z]{2,}(?![a-z])|[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+[a-z]*")
# In a text beyond ASCII, a word with such a letter ("Échec", "réplication", "недоступен", "ディスク") is one
# word whole (the look-ahead costs a scan of the word at each letter: ASCII texts take the pattern above).
_ANY_NAME_WORD = re.compile(r"(?=[^\W\d_]*[^\W\d_\x00-\x7f])[^\W\d_]+|" + _NAME_WORD.pattern)


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
            # An alarm's name is words a person chose ("prod-etcd-wal-fsync-p99-high"), never a host.
            title = re.sub(r"[-_.]+", " ", cloudwatch.group(1))
        for pattern in _TITLE_DECORATIONS:
            title = pattern.sub(" ", title).strip()
        if _TRAILING_PARENS.sub("", title).strip():
            title = _TRAILING_PARENS.sub("", title).strip()
    return title


# A few entries: one message is read several times while it is matched (names, flags, templates).
@functools.lru_cache(maxsize=64)
def without_decorations(title: str | None) -> str:
    """The title with emoji and the status, incident number and priority marks removed, all else kept
    (label values in parentheses too: a route grouped by namespace puts the alert's name there)."""
    title = _EMOJI.sub(" ", unicodedata.normalize("NFKC", str(title or ""))).strip()
    previous = None
    while previous != title:
        previous = title
        for pattern in _TITLE_DECORATIONS:
            title = pattern.sub(" ", title).strip()
    return title


def is_varying_part(part: str) -> bool:
    """A number, id, host or address: differs between firings of the same alert."""
    return bool(_NUMBER.match(part) or _ID.match(part) or _IP.match(part) or _AWS_REGION.match(part)) \
        and not _HTTP_CLASS.match(part.rstrip("+"))


def _is_host_like(token):
    """web-01, api-7f9c4-x2b8k, ip-10-0-1-2.ec2.internal, default/api-7f9, https://…"""
    if "/" in token or "@" in token or token.count(".") >= 2:
        return True
    segments = re.split(r"[-_.]", token)
    return len(segments) > 1 and any(
        re.search(r"\d", segment) and not _HTTP_CLASS.match(segment) for segment in segments[1:]
    )


# A Kubernetes node as clouds and installers name it: EC2's private DNS name (ip-10-0-1-2.ec2.internal,
# ip-10-0-149-54.us-east-2.compute.internal), GKE's and AKS's pool machines (gke-prod-pool-1-5704c290-cn8f,
# aks-nodepool1-12345678-vmss000002), an installer's role and number in a host name (master-0.ocp.example.com;
# a bare worker-3 may as well be a pod's or a job's),
# or the node exporter's address (10.0.3.4:9100).
_NODE_NAME = re.compile(
    r"^(?:ip-\d{1,3}(?:-\d{1,3}){3}(?:\.[\w-]+)*"
    r"|[\w.-]+\.(?:compute|ec2)\.internal"
    r"|gke-[a-z0-9-]+-[0-9a-f]{8}-[a-z0-9]{4}"
    r"|aks-[a-z0-9]+-\d+-vmss[0-9a-z]+"
    r"|(?:worker|master|infra|node|compute|control-plane)-?\d+(?:\.[\w-]+)+"
    r"|[\w.-]+:9100)$", re.IGNORECASE)


def names_a_node(title: str | None) -> bool:
    """The title names a node by its host name: a description's `{{ $labels.node }}` or
    `{{ $labels.instance }}` ("ip-10-0-1-2.ec2.internal has been unready for more than 15 minutes")."""
    return any(_NODE_NAME.match(token.strip(_PUNCTUATION)) for token in str(title or "").split())


def _without_environment(token):
    """prod.KubePodCrashLooping, kube_pod_crash_looping_staging, prod-east -> the part that names the alert."""
    segments = re.split(r"([-_.])", token)
    words = segments[::2]
    start, end = 0, len(words)
    while start < end and words[start].lower() in ENVIRONMENT_WORDS | REGION_WORDS:
        start += 1
    while end > start and (words[end - 1].lower() in ENVIRONMENT_WORDS | REGION_WORDS
                           or _NUMBER.match(words[end - 1])):
        end -= 1
    if (start, end) == (0, len(words)) or not any(w.lower() in ENVIRONMENT_WORDS for w in words):
        return token
    return "".join(segments[2 * start: 2 * end - 1])


# Summary annotations name label values after (or, for namespaces, before) these words.
_LABEL_NOUNS = frozenset("namespace container instance interface device mountpoint".split())
_VALUE_NOUNS = frozenset("job queue topic bucket pod node member service deployment statefulset daemonset cluster"
                         .split())
_LABEL_OR_VALUE_NOUNS = _LABEL_NOUNS | _VALUE_NOUNS
_LABEL_WORD = re.compile(r"\b(?:" + "|".join(sorted(_LABEL_OR_VALUE_NOUNS)) + r")\b", re.IGNORECASE)
_GLUE_WORDS = frozenset("is are has have was in for of on at to the a an and or by with from".split())


def _is_value(noun, value):
    """A label value after a value noun: a name with digits or separators ("api-7f9", "etcd-0").  After
    "cluster" a hyphen alone is not enough ("cluster under-replicated", "read-only"): the value must
    have digits or dots, or name an environment ("eks-data-prod")."""
    if noun == "cluster":
        return bool(re.search(r"[\d_./:]", value)) or any(
            part.lower() in ENVIRONMENT_WORDS for part in re.split(r"[-_.]", value))
    return bool(re.search(r"[\d_./:-]", value))


def names_label_values(title: str | None) -> bool:
    """The title has a word after which a label value may follow ("namespace", "container", "pod"…):
    only then can `normalise_alert_title`'s `is_word` change what it keeps."""
    return bool(_LABEL_WORD.search(str(title or "")))


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
        after, before = index + 1, index - 1
        # "in checkout namespace fails to…": the value came before the noun, and the word after is the sentence's.
        value_before = (word == "namespace" and before > 0 and tokens[before - 1].lower() in ("in", "the")
                        and tokens[before].strip(_PUNCTUATION).lower() not in _GLUE_WORDS)
        if value_before:
            dropped.add(before)
        if word in _LABEL_OR_VALUE_NOUNS and after < len(tokens) and not value_before:
            value = tokens[after].strip(_PUNCTUATION)
            if value.lower() not in _GLUE_WORDS and (word in _LABEL_NOUNS or _is_value(word, value)) \
                    and not (is_word and is_word(value)):
                dropped.add(after)
    return [token for index, token in enumerate(tokens) if index not in dropped]


@functools.lru_cache(maxsize=65536)  # words recur across titles ("is", "Triggered", "pod", …)
def _kept_token(raw):
    token = raw.strip(_PUNCTUATION)
    condition = _CONDITION_PAIR.match(token)
    if condition:  # "Available=False" says "not Available"
        return condition.group(1) if condition.group(2).lower() == "true" else f"not {condition.group(1)}"
    instance = _NUMBERED_INSTANCE.match(token)
    if instance:  # then read as any word: "staging.2" is an environment's, as "staging" is
        token = instance.group(1)
    if not token or is_varying_part(token) or token.lower() in ENVIRONMENT_WORDS or _LABEL_PAIR.match(token):
        return None
    token = _without_environment(token)
    if not token or _is_host_like(token):
        return None
    return token


def normalise_alert_title(title: str | None, is_word: Callable[[str], bool] | None = None) -> str:
    """The alert's title with what varies between firings stripped, case kept.

    "Triggered #4821: [FIRING:2] KubePodCrashLooping (api-7f9 default critical)" -> "KubePodCrashLooping";
    '[P2] etcd has no leader on prod-east' -> "etcd has no leader".  `is_word`: see _without_label_values
    (alert keys never pass it, so they do not depend on what the runbooks say).
    """
    if is_word is None:
        return _normalised(str(title or ""))
    return _normalise(title, is_word)


@functools.lru_cache(maxsize=16384)  # the bot, the dashboard and the mail clean the same titles again and again
def _normalised(title):
    return _normalise(title, None)


def _normalise(title, is_word):
    text = unicodedata.normalize("NFKC", str(title or ""))
    if not text.isprintable():  # most titles are: the look at each character's category is for the rest
        text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\t\n")
    text = _strip_decorations(" ".join(text.split()))
    tokens = [kept for kept in map(_kept_token, _without_label_values(text.split(), is_word)) if kept]
    while tokens and tokens[-1].lower() in _DANGLING:
        tokens.pop()
    while tokens and tokens[0].lower() in _DANGLING:
        tokens.pop(0)
    return " ".join(tokens)


def name_words(name: str | None) -> list[str]:
    """KubePodCrashLooping / kube_pod_crash_looping / kube-pod-crash-looping -> [kube, pod, crash, looping]."""
    text = unicodedata.normalize("NFKC", str(name or ""))
    return [word.lower() for word in (_NAME_WORD if text.isascii() else _ANY_NAME_WORD).findall(text)]


@functools.lru_cache(maxsize=65536)
def name_key(name: str | None) -> str:
    """The spelling-free form of a name, for exact matching: CamelCase, snake_case, spaced and hyphenated are equal."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", str(name or "")).lower() if ch.isalnum())


@functools.lru_cache(maxsize=16384)
def alert_key(title: str | None) -> str:
    """The stable key of an alert: its normalised title as lowercase words ("kube pod crash looping").

    Readable on a dashboard, and `name_key(alert_key(t)) == name_key(name)` for a title that is just the name.
    """
    words = name_words(normalise_alert_title(title))
    if not words:
        # A title made only of ids and numbers still needs a key; its words are the best there is.
        words = name_words(" ".join(str(title or "").split())) or [UNKNOWN_KEY]
    return " ".join(words)
