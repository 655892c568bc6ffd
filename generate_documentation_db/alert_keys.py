"""The key an alert name is looked up by, whatever its spelling.

``KubePodCrashLooping``, ``kube_pod_crash_looping``, ``Kube Pod Crash Looping``,
``kube-pod-crash-looping`` and ``prod.KubePodCrashLooping``'s last part all name one
alert.  `canonical_key` maps every one of them to ``kubepodcrashlooping``: lower case,
letters and digits only.  Joining *without* a separator is deliberate: upstream names
disagree on the case of acronyms (``OSDCPULoadHigh`` vs ``OSDCpuLoadHigh``,
``CephPgRepair…`` vs ``CephPGRepair…``), which a word-splitting key would tell apart.

The runbook side stores `canonical_key` of each runbook's title, URL slug and stated
aliases (table ``runbook_alert_keys``).  The matcher applies the same function on the
title side; because the key ignores separators, any run of consecutive words of a
human title can be tried too: ``etcd no leader`` -> ``etcdnoleader``.
"""
import re

from matching.titles import name_key

# An alert-like identifier: one token, at least two word parts (CamelCase or snake_case).
_IDENTIFIER = re.compile(r"^(?:[A-Za-z][A-Za-z0-9]*[a-z0-9][A-Z][A-Za-z0-9]*|[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+)$")


def canonical_key(name: str | None) -> str:
    """The lookup key of an alert name: lower-case letters and digits, nothing else.

    >>> canonical_key("KubePodCrashLooping") == canonical_key("kube_pod_crash_looping")
    True
    >>> canonical_key("Kube Pod Crash Looping")
    'kubepodcrashlooping'

    Returns '' for a name with no letter or digit.  The same function as matching.titles.name_key
    (the alert-title side), so both sides of a lookup agree by construction.
    """
    return name_key(name)


def looks_like_alert_name(token: str | None) -> bool:
    """True for a single identifier such as ``KubePodCrashLooping`` or ``disk_full``.

    Plain words (``Watchdog``) are not recognised: they are only alert names in context.
    """
    return bool(_IDENTIFIER.match(token or ""))
