"""Loading runbooks into the knowledge-base tables for matching tests and benchmarks.

The shared corpus (`<checkout>/../shared/corpus`) is read in place, never copied: each
markdown file becomes one Runbook (H1 = alert name, `##`/`###` = sections) stored through
the knowledge base's own writer, `page_store.save_page`.
"""
import hashlib
import re
from pathlib import Path

from generate_documentation_db import page_store
from generate_documentation_db.alert_keys import canonical_key
from generate_documentation_db.runbook_model import AlertKey, ParsedPage, Runbook, Section

CORPUS_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
SITE = "https://runbooks.example.test"
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_HEADING = re.compile(r"^(#{1,4})\s+(.*?)\s*#*\s*$", re.MULTILINE)


def corpus_rows(corpus_dir=CORPUS_DIR):
    """[{source, relative_path, alert_name, title, aliases, kind}] from manifest.tsv ([] when absent)."""
    manifest = Path(corpus_dir) / "manifest.tsv"
    if not manifest.exists():
        return []
    lines = manifest.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line.strip()]


def markdown_runbook(markdown, alert_name, aliases=(), kind="runbook"):
    """One Runbook from a runbook's markdown (a small parser: enough for matching tests)."""
    body = _FRONT_MATTER.sub("", markdown)
    headings = list(_HEADING.finditer(body))
    title = next((h.group(2) for h in headings if h.group(1) == "#"), alert_name)
    sections, path = [], [title]
    for index, heading in enumerate(headings):
        level, name = len(heading.group(1)), heading.group(2)
        end = headings[index + 1].start() if index + 1 < len(headings) else len(body)
        text = body[heading.end():end].strip()
        path = path[:max(level - 1, 0)] + [name] if level > 1 else [title]
        sections.append(Section(name, None, level, tuple(path), _plain(text), text))
    names = [(title, "title"), (alert_name, "slug")] + [(alias, "alias") for alias in aliases if alias]
    keys = {}
    for name, source in names:
        keys.setdefault(canonical_key(name), AlertKey(canonical_key(name), name, source))
    runbook_kind = {"deprecated": "deprecated", "pointer": "pointer", "moved": "pointer", "todo": "stub"}.get(kind,
                                                                                                          "runbook")
    return Runbook(title=title, alert_name=alert_name, anchor=None, alert_keys=tuple(keys.values()),
                   sections=tuple(sections) or (Section(title, None, 1, (title,), _plain(body), body),),
                   kind=runbook_kind)


def _plain(markdown):
    return re.sub(r"[`*_>#\[\]]", " ", markdown)


def store_runbook(conn, url, runbook):
    digest = hashlib.sha256(f"{url}\n{runbook.mrkdwn}".encode()).hexdigest()
    page_store.save_page(conn, ParsedPage(url=url, title=runbook.title, content_sha256=digest, runbooks=(runbook,)))


def load_corpus(conn, corpus_dir=CORPUS_DIR):
    """Store every corpus runbook; return the manifest rows loaded."""
    rows = corpus_rows(corpus_dir)
    for row in rows:
        markdown = (Path(corpus_dir) / row["source"] / row["relative_path"]).read_text(encoding="utf-8")
        aliases = [alias for alias in row.get("aliases", "").split(";") if alias]
        runbook = markdown_runbook(markdown, row["alert_name"], aliases, row.get("kind", "runbook"))
        store_runbook(conn, f"{SITE}/{row['source']}/{row['relative_path'][:-3]}/", runbook)
    return rows


# A small knowledge base written for the tests (not corpus prose): name -> (meaning, steps).
SAMPLE_RUNBOOKS = {
    "KubePodCrashLooping": ("A container in a pod keeps restarting and crashing.",
                            "1. Read the previous container's logs: `kubectl logs --previous POD`.\n"
                            "2. Look at the pod's events for OOMKilled or failed probes.\n"
                            "3. Roll back the last deploy if it started with it."),
    "etcdNoLeader": ("An etcd member reports that the cluster has no leader.",
                     "1. Check network between control-plane nodes.\n2. Check disk fsync latency of etcd members."),
    "TargetDown": ("Prometheus cannot scrape some targets of a job.",
                   "1. Open the targets page and read the scrape error.\n2. Check the service's endpoints."),
    "NodeFilesystemSpaceFillingUp": ("A node's filesystem is predicted to run out of space soon.",
                                     "1. Find large directories with `du -xh / | sort -h | tail`.\n"
                                     "2. Clean old logs and images."),
    "KubeAPIDown": ("The Kubernetes API server has disappeared from service discovery.",
                    "1. Check the API server pods on the control plane.\n2. Check the load balancer health."),
    "PrometheusRuleFailures": ("Prometheus fails to evaluate recording or alerting rules.",
                               "1. Look at the rule evaluation errors in the Prometheus log.\n2. Fix the query."),
    "KubeJobFailed": ("A Kubernetes job failed to complete.",
                      "1. Read the logs of the job's last pod.\n2. Delete the job once understood."),
    "CertificateExpiringSoon": ("A TLS certificate served by an ingress expires within 14 days.",
                                "1. Check cert-manager's Certificate status.\n2. Renew by hand if issuance fails."),
}


def sample_runbook(name, meaning, steps):
    sections = (Section(name, None, 1, (name,), meaning, meaning),
                Section("Meaning", "meaning", 2, (name, "Meaning"), meaning, meaning),
                Section("Mitigation", "mitigation", 2, (name, "Mitigation"), steps, steps))
    keys = (AlertKey(canonical_key(name), name, "title"),)
    return Runbook(title=name, alert_name=name, anchor=None, alert_keys=keys, sections=sections)


def load_samples(conn, samples=None):
    for name, (meaning, steps) in (samples or SAMPLE_RUNBOOKS).items():
        store_runbook(conn, f"{SITE}/runbooks/{name.lower()}/", sample_runbook(name, meaning, steps))
