"""What the soak counts and prints: faults injected and recovered by kind, and the closing block."""
import threading
from collections import Counter, defaultdict

from soak.faults import ALL_KINDS


class FaultLog:
    """Faults injected and recovered, by kind; thread-safe (recoveries are watched in threads)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.injected, self.recovered = Counter(), Counter()
        self.recovery_seconds = defaultdict(list)
        self.unrecovered = []

    def note_injected(self, kind):
        with self.lock:
            self.injected[kind] += 1

    def note_recovered(self, kind, seconds):
        with self.lock:
            self.recovered[kind] += 1
            self.recovery_seconds[kind].append(seconds)

    def note_unrecovered(self, kind, description, waiting):
        with self.lock:
            self.unrecovered.append(f"{kind} ({description}) not recovered: {', '.join(waiting)}")


def report_lines(problems, seconds, counts, faults, end_state):
    """The closing block (pure): verdict, alerts, replies, faults by kind, recoveries, end state, problems."""
    injected, recovered = sum(faults.injected.values()), sum(faults.recovered.values())
    slowest = max(((max(times), kind) for kind, times in faults.recovery_seconds.items()), default=(0, "-"))
    by_kind = ", ".join(f"{kind} {faults.injected[kind]}" for kind in ALL_KINDS if faults.injected[kind])
    runbooks, incidents, mails = end_state
    verdict = "PASSED" if not problems else f"FAILED ({len(problems)} problems)"
    return [
        "=" * 72,
        f"Soak {verdict} after {seconds:.0f} s",
        f"  alerts:     {counts['messages']} messages posted: {counts['incidents']} incidents "
        f"({counts['with_runbook']} with a runbook, {counts['without_runbook']} without), "
        f"{counts['status_updates']} status updates, {counts['reposts']} re-posts",
        f"  replies:    {counts['replies']}",
        f"  faults:     {injected} injected: {by_kind}",
        f"  recoveries: {recovered} (slowest: {slowest[1]} after {slowest[0]:.1f} s)",
        f"  end state:  {runbooks} runbooks as on the site, {incidents} incidents as in the sandbox, "
        f"{mails} handoff mails for as many weeks",
        "=" * 72,
    ] + [f"  problem: {problem}" for problem in problems]
