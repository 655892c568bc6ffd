"""On-call synonyms: the words a summary annotation uses for what an alert's name says.

Alert names are terse and follow conventions (``KubeletDown``, ``NodeFilesystemAlmostOutOfFiles``,
``etcdDatabaseQuotaLowSpace``); the summaries monitors page with describe the same condition in
other words ("Kubelet has disappeared from Prometheus target discovery.", "Filesystem has less
than 3% inodes left.", "etcd cluster database is running full.").  A stemmer joins none of these.

`plain_words` rewrites lower-case spaced words (as `titles.name_words` gives them) into one
canonical wording.  The matcher applies it to *both* sides, the alert's words and every
candidate runbook's name and Meaning, so a rule can only make two wordings of the same
condition equal; it never invents a word on one side only.  Each rule is a convention of
Prometheus / Alertmanager / node_exporter alerting, not a phrase taken from one alert.
"""
import functools
import re

from matching.required_text import required_strings

# The short forms people and alarm names write, and what runbooks spell out ("k 8s" as titles.name_words
# splits "k8s").
_SHORT_FORMS = {"prom": "prometheus", "mem": "memory", "k 8s": "kubernetes", "rootfs": "root filesystem",
                "req": "requests", "reqs": "requests", "conn": "connections", "conns": "connections",
                "repl": "replication", "avail": "available", "hw": "hardware", "ocp": "openshift"}
# (pattern, replacement), applied in order to lower-case words separated by single spaces.
_RULES = [(re.compile(pattern), replacement) for pattern, replacement in (
    # Abbreviations alert names use for the words summaries spell out.
    (r"\berrs\b", "errors"),
    (r"\berr\b", "error"),
    (r"\b(?:configuration|configurations|configs|cfg)\b", "config"),
    (r"\b(?:certs?|certificates)\b", "certificate"),
    # Kubernetes calls a component's server certificate its serving certificate (the kubelet's, an API server's).
    (r"\bserving certificate\b", "server certificate"),
    (r"\bexpiry\b", "expiration"),
    (r"\bfile system\b", "filesystem"),
    (r"\bdb\b", "database"),
    (r"\bns\b", "namespace"),
    (r"\brx\b", "receive"),
    (r"\btx\b", "transmit"),
    (r"\b(?:kube )?api ?server\b", "api"),
    (r"\bhorizontal pod autoscalers?\b", "hpa"),
    (r"\bpod disruption budgets?\b", "pdb"),
    (r"\bnetwork ?polic(?:y|ies)\b", "netpol"),
    # A disk "busy" most of the time, as iostat's %util says it, is a disk's utilization (ODFDiskUtilizationHigh).
    (r"\bbusy\b", "utilization"),
    # A contraction's "n't", as the words are split ("isn't": isn t), is "not".
    (r"\b(?:is|are|was|were|does|did|has|have|had|could|would|should|ca|can|won|don|doesn|didn|isn|aren|wasn"
     r"|weren|hasn|haven|hadn|couldn|wouldn|shouldn) t\b", "not"),
    # The short forms people and alarm names write for what runbooks spell out (one pattern: see _SHORT_FORMS).
    (r"\b(?:" + "|".join(sorted(_SHORT_FORMS, key=len, reverse=True)) + r")\b",
     lambda short: _SHORT_FORMS[short.group(0)]),
    # The glossary of the platforms the runbooks cover: names use the abbreviation, summaries spell it out.
    (r"\bvirtual machine instances?\b", "vmi"),
    (r"\bvirtual machines?\b|\bvms\b", "vm"),
    (r"\bpersistent volume claims?\b|\bpvcs\b", "pvc"),
    (r"\bobject storage (?:daemons?|devices?)\b|\bosds\b", "osd"),
    (r"\bmetadata serv(?:er|ers|ice)\b", "mds"),
    (r"\bplacement groups?\b|\bpgs\b", "pg"),
    (r"\brados (?:block devices?|block)\b", "rbd"),
    (r"\brados gateways?\b", "rgw"),
    (r"\bmanagers?\b", "mgr"),
    (r"\bobject bucket claims?\b|\bobcs\b", "obc"),
    (r"\bmulti ?cloud object gateway\b|\bmcg\b", "noobaa"),
    (r"\bhyper ?converged(?: cluster)?(?: operator)?\b", "hco"),
    (r"\bcontainerized data importer\b", "cdi"),
    (r"\bhost ?path provisioner\b", "hpp"),
    (r"\bcluster network addons operator\b", "cnao"),
    (r"\bkey management (?:service|server|system)s?\b", "kms"),
    # Ceph's health states, as `ceph status` prints them (HEALTH_WARN, HEALTH_ERR): what its alerts' names and
    # Meanings call a warning state and an error state.
    (r"\bhealth (?:warn|warning)\b", "warning state"),
    (r"\bhealth (?:err|error)\b", "error state"),
    (r"\bmaster nodes?\b|\bcontrol plane nodes?\b", "control plane"),
    # Gone, in the words people and cloud monitors use for it, is what alert names call "Down"
    # ("unreachable" stays: KubeNodeUnreachable names it).
    (r"\b(?:offline|went down|gone down)\b", "down"),
    # So is "not up", as Ceph says of its daemons ("osd.3 and osd.9 not up"); not "not up to date".
    (r"\b(?:(?:is|are) )?not up\b(?! to\b| and\b)", "down"),
    # Going down and up again, however it is put, is what names call "Flapping" (NodeNetworkInterfaceFlapping).
    # (Not a mail's bounce: "bounce rate high".)
    (r"\b(?:keeps? )?bouncing(?: up down| down up)?\b|\bbounces? (?:up down|down up)\b"
     r"|\bgoing down and (?:coming )?back up\b",
     "flapping"),
    # A container that keeps restarting is crash looping (KubePodCrashLooping), however it is put.
    (r"\b(?:crash ?loop(?:s|ing)?|crashloopbackoff|restart loops?|restarting repeatedly|keeps? restarting)\b",
     "crash looping"),
    # So is one that "has restarted at least 5 times", "is restarting 1.2 times / 10 minutes" (the figures are gone).
    (r"\b(?:has |have |is |are )?(?:restarted|restarting) (?:at least |more than )?(?:[\d.]+ )?times\b", "crash looping"),
    # A certificate's end, however it is put, is what names call its "Expiration".
    (r"\b(?:expires?|expiring|expired|about to expire|will expire)\b", "expiration"),
    # Alert names say "Errors" and "Failures" of the same thing ("KubePersistentVolumeErrors" fires on
    # a volume whose status is Failed): one word for both.
    (r"\b(?:errors?|failures?|failed|failing|fails?)\b", "errors"),
    (r"\b(?:synchronising|synchronizing|synchronisation|synchronization|synchronised|synchronized)\b", "sync"),
    # node_exporter names count inodes as "files" (NodeFilesystemFilesFillingUp).
    (r"\binodes?\b", "files"),
    # How long it has been true says nothing about which alert it is ("for more than 15 minutes";
    # the figures themselves are gone by now, see titles.normalise_alert_title).
    (r"\b(?:for|in|within|during|over) (?:(?:more|longer|less) than |at least |the (?:last|next|past) )?"
     r"(?:\d+ )?(?:seconds?|minutes?|mins?|hours?|days?|weeks?)\b", ""),
    (r"\b(?:more|longer) than (?:\d+ )?(?:seconds?|minutes?|mins?|hours?|days?)\b", ""),
    # Prometheus' up-metric convention: a target gone from discovery, or no instance running, is "Down".
    (r"^targets? (?:has |have )?disappeared from (?:the )?prometheus target discovery (\w+)$", r"\1 down"),
    (r"\b(?:has |have )?disappeared from (?:the )?prometheus(?: target discovery)?\b", "down"),
    (r"\bno running (.+?) (?:(?:was|were|is|are|has been|have been) )?(?:detected|found)\b.*$", r"\1 down"),
    (r"^no running (.+)$", r"\1 down"),
    # "zero X" and "none (of them) are X" say "no X", the word names use (NoReadyVirtAPI, NetObservNoFlows).
    (r"\bzero\b", "no"),
    (r"\bnone (?:of (?:them|the \w+) )?(?:are|is|were|was) ", "no "),
    # "no virt-handler pods running" is "no running virt handler": the X is down.
    (r"\bno ((?:[a-z0-9]+ ){1,3}?)(?:pods? |instances? |replicas? )?(?:are |is )?running\b", r"\1down"),
    (r"\b(?:is|are) not running\b|\bis absent\b", "down"),
    # A target Prometheus cannot scrape is what the up-metric convention calls "Down" (CollectorNodeDown:
    # "Prometheus could not scrape the collector component").
    (r"\b(?:could not|cannot|can not|couldn't|can't|failed to|unable to) (?:be )?scraped?\b", "down"),
    # Unavailable a number of times is errors, not down: "has appeared unavailable 6 times" (the figure is gone).
    (r"\bunavailable (?:(?:on average|averaged|in total) )?times\b", "errors"),
    (r"\b(?:has|have) not been available\b|\b(?:is|are) (?:not available|unavailable)\b|\bunavailable\b", "down"),
    # Kubernetes' *ReplicasMismatch alerts say the object "has not matched the expected number of replicas".
    (r"\b(?:has|have|had) not matched\b|\b(?:does|do|did) not match\b|\bnot matching\b|\bmismatched\b", "mismatch"),
    # *Inconsistent and *Mismatch names are said as "different" ("instances … have different configurations",
    # "different versions of Ceph OSD components running"): one word for the three.
    (r"\b(?:inconsistent|inconsistency|different|differ|differs|differing)\b", "mismatch"),
    # So are several versions running at once ("More than one Ceph OSD release is running"): a version mismatch.
    (r"\b(?:more than one|multiple|several) ((?:\w+ ){0,3}?)(?:releases?|versions?)\b", r"\1version mismatch"),
    # *RolloutStuck: a rollout that "has not finished or progressed" is stuck.
    # Not progressed is a Kubernetes rollout's condition (Progressing), what *RolloutStuck names.
    (r"\b(?:has|have) not (?:finished or progressed|progressed(?: or finished)?)\b", "rollout stuck"),
    (r"\b(?:has|have) not (?:finished|progressed|completed)(?: or (?:finished|progressed|completed))?\b", "stuck"),
    # Data not brought up to date "for too long" is what names call "Stale" (NorthboundStale, SouthboundStale).
    # ("synchronized" is "sync" by now, see above; the words between are few, one clause's).
    (r"\b(?:has|have) not (?:been )?(?:successfully )?(?:sync|synced|updated|refreshed)\b((?: \w+){0,6}?) for too long\b",
     r"stale\1"),
    # Readiness: "unready", "non-ready state", "NotReady".
    (r"\b(?:unready|non ready|notready)\b", "not ready"),
    # Clock: "out of sync by more than 0.05s" is what a skew alert says.
    (r"\bout of sync\b", "skew"),
    # Space running out, in its many wordings, is "near full"; running out *soon* is "filling up".
    (r"\b(?:is |are )?(?:predicted|expected|going|about) to run out of (\w+)\b", r"\1 filling up"),
    (r"\b(?:is |are )?running out of (\w+)\b", r"\1 filling up"),
    (r"\b(?:almost|nearly|close to being) out of (\w+)\b", r"\1 near full"),
    (r"\bless than (?:\w+ )?(\w+) (?:left|free|available|remaining)\b", r"\1 near full"),
    (r"\b(?:is |are )?(?:nearing|running|almost|nearly|going to be|close to|about to be) full\b", "near full"),
    (r"\blow (?:on )?(?:space|disk space|free space)\b", "near full"),
    # A quota one is getting close to is almost full (KubeQuotaAlmostFull), not yet exceeded.
    (r"\b(?:(?:is|are) )?(?:getting close to|close to|nearing|approaching) (?:its|the|their) ((?:\w+ )?quotas?)\b",
     r"\1 almost full"),
    # "has only 28% available inodes left" is almost out of them; "has only 10% free" without what is left
    # is a volume filling up.
    (r"\bonly (?:has )?(?:\w+ )?(?:free|available) (\w+) (?:left|remaining)\b", r"\1 near full"),
    (r"\bonly (?:has )?(?:\w+ )?(?:free|available)\b", "filling up"),
)]


# When and where an alert fires, which its summary says around the condition: "for longer than 15 minutes",
# "over the last 5m", "in the last two minutes", "on cluster eks-data", "in namespace:cluster a:b".  The
# cleaner has dropped the figures by now (titles.normalise_alert_title), so a window may end in "the last".
_COUNT = r"(?:a|an|one|two|three|four|five|ten|fifteen|thirty|few|several|couple of)"
_UNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)"
_CIRCUMSTANCES = [re.compile(pattern, re.IGNORECASE) for pattern in (
    rf"\b(?:for|in|within|during|over|since|after)\s+(?:the\s+)?(?:(?:more|longer|less)\s+than\s+|at\s+least\s+|about\s+)?"
    rf"(?:(?:last|past|next|previous)\s+)?(?:{_COUNT}\s+)?{_UNIT}\b",
    r"\b(?:for|in|within|during|over)\s+the\s+(?:last|past|next|previous)\s*$",
    rf"\b(?:more|longer|less)\s+than\s+(?:{_COUNT}\s+)?{_UNIT}\b",
    r"\b(?:for\s+)?(?:(?:more|longer|less)\s+than|at\s+least)\s*$",
    r"\b(?:on|in)\s+(?:the\s+)?cluster(?:\s+\S*[-_.\d]\S*)?$",
    r"\b(?:in\s+)?namespace:cluster(?:\s+\S+)?",
)]


def without_circumstances(reading: str) -> str:
    """The alert's words without when and where it fires (see _CIRCUMSTANCES): they tell which rule
    window or cluster fired, never which alert, and a runbook rarely repeats them.

    >>> without_circumstances("StatefulSet has not matched the expected number of replicas for longer than minutes on cluster eks-data")
    'StatefulSet has not matched the expected number of replicas'
    """
    for pattern in _CIRCUMSTANCES:  # in order, each on what the one before left
        reading = " ".join(pattern.sub(" ", reading).split())
    return reading


# A description's later sentences often tell the reader what to do ("Investigate network health.", "Please
# check ceph status to find out the cause.", "Removing failed job after investigation should clear this
# alert."): their words are the reader's, not the condition's, and no runbook's name or Meaning says them.
_ADVICE_OPENINGS = frozenset("""
please investigate ensure verify inspect review consider look contact refer follow try confirm examine validate
visit removing escalate determine identify debug troubleshoot consult navigate
""".split())
# Verbs that are nouns or adjectives as often ("Check failed: …", "Read errors have increased", "Open file
# descriptors are at 95%"): advice only when what follows is what an instruction is about ("Check the …",
# "Query 'max_over_time(…)' to see…", "Run this command").
_ADVICE_IF_OBJECT = frozenset("check query see run make read remove delete increase reduce fix resolve open use".split())
_OBJECT_OPENINGS = frozenset("the a an this that these those its their your if whether for with all any each which "
                             "why how what whose".split())
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'`(]?[A-Z])")


def without_advice(text: str) -> str:
    """The text without the sentences after its first that open with an instruction (see _ADVICE_OPENINGS)
    or say what may follow (_SPECULATION).

    >>> without_advice("Pod restarted 5 times in the last 24h. Investigate stability.")
    'Pod restarted 5 times in the last 24h.'
    """
    sentences = _SENTENCE_END.split(text)
    return " ".join(sentences[:1] + [sentence for sentence in sentences[1:] if not _is_advice(sentence)])


# A later sentence that says what may follow ("Insufficient IPv4 subnets could result in failure of new pods.",
# "This may be a symptom of network connectivity issues…") is the alert's impact, not its condition.
# Not "could not" / "can't" (a failure, said), nor the month ("last ran on 3 May 2024").
_SPECULATION = re.compile(r"(?<!\d )\b(?:[Mm]ay|[Mm]ight|[Cc]ould|[Ww]ould|[Cc]an)\b(?!['’]t\b|\s+not\b)")


def _is_advice(sentence):
    if _SPECULATION.search(sentence):
        return True
    first, *rest = sentence.split() or [""]
    word = first.strip("\"'`(*_").lower()
    if word in _ADVICE_OPENINGS:
        return True
    following = rest[0] if rest else ""
    return word in _ADVICE_IF_OBJECT and (following[:1] in "\"'`" and following != "" or
                                          following.strip("\"'`*_").lower() in _OBJECT_OPENINGS)


@functools.lru_cache(maxsize=8192)  # a runbook's name and Meaning are read again for every alert it is a candidate for
def plain_words(words: str) -> str:
    """`words` (lower-case, spaced) in the canonical wording of on-call conditions.

    >>> plain_words("kubelet has disappeared from prometheus target discovery")
    'kubelet down'
    >>> plain_words("filesystem has less than files left")
    'filesystem has files near full'
    """
    text = " ".join(words.split())
    present = _present(text)
    for pattern, replacement, required in _TRIED:
        if required is None or not required.isdisjoint(present):
            rewritten = pattern.sub(replacement, text)
            if rewritten != text:
                text, present = rewritten, _present(rewritten)
    return " ".join(text.split())


# Each rule with the strings it cannot match without (None: it is always tried).  A title gives two or
# three rules anything to rewrite: testing their strings is a fifth of running every rule.
_TRIED = [(pattern, replacement, required_strings(pattern)) for pattern, replacement in _RULES]
_REQUIRED = frozenset().union(*(required for _, _, required in _TRIED if required))


def _present(text):
    return frozenset(string for string in _REQUIRED if string in text)


# A quota's use said as a figure ("Namespace checkout is using 112% of its cpu quota") is what quota alerts
# name in words: the three kube-prometheus quota alerts share that one description and differ by its value.
# From this share on a quota is "almost full" (kube-prometheus' KubeQuotaAlmostFull fires above 90 %; a share
# said as "90%" was rounded from above it).
ALMOST_FULL_SHARE = 90
_QUOTA_SHARE = re.compile(r"(\d+(?:\.\d+)?)\s?%\s+of\s+(?:its|the)\s+(?:[\w./-]+\s+){0,3}?quota\b"
                          # a namespace's quota in an alarm name ("ns-payments-quota-90pct", "resourcequota-100pct-used"),
                          # not another thing's (a Ceph pool's, a bucket claim's) nor what is left of it ("-10pct-free")
                          r"|\b(?:resource[-_ ]?quotas?|(?:ns|namespace)[-_][\w-]*?quotas?)[-_ ](?:(?:usage|used|at)[-_ ])?"
                          r"(\d+(?:\.\d+)?)(?:pct|percent)\b(?![-_ ](?:free|left|remaining|available))", re.IGNORECASE)


def quota_condition(title: str) -> str:
    """The words for the share of a quota the title says it uses: "exceeded" above 100 %, "fully used" at
    100 %, "almost full" from ALMOST_FULL_SHARE; "" for less, or when it says none.

    >>> quota_condition("Namespace checkout is using 112% of its cpu quota.")
    'exceeded'
    """
    found = _QUOTA_SHARE.search(title)
    if not found:
        return ""
    share = float(found.group(1) or found.group(2))
    return ("exceeded" if share > 100 else "fully used" if share == 100 else
            "almost full" if share >= ALMOST_FULL_SHARE else "")


# A count of ready instances said as a figure ("0/2 Ready", "only 1 of 2 running virt-api pods has been Ready")
# is what the readiness alerts name in words: none ready (NoReadyVirtAPI), fewer ready than should be
# (LowReadyVirtAPICount).  The cleaner drops the figures.
_READY_COUNT = re.compile(r"\b(\d+)\s*(?:/|of|out of)\s*(\d+)\b(?:[^.;]{0,40}?)\bready\b|\bready\b\W{0,3}(\d+)\s*/\s*(\d+)\b",
                          re.IGNORECASE)


def ready_condition(title: str) -> str:
    """The words for a count of ready instances the title says: "no ready" for none, "low ready" for fewer
    than all; "" when it says none, or all.

    >>> ready_condition("virt-api only 1/2 ready for 10m")
    'low ready'
    """
    found = _READY_COUNT.search(title)
    if not found:
        return ""
    ready, total = (int(found.group(1)), int(found.group(2))) if found.group(1) else (int(found.group(3)), int(found.group(4)))
    return "no ready" if ready == 0 < total else "low ready" if 0 < ready < total else ""
