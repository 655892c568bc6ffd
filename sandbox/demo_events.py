"""What the demo does over time besides posting alerts: a runbook edit, and the handoff mail report."""
import email
import email.policy
import shutil
import time
from pathlib import Path

from sandbox.docs_server import DEFAULT_ROOT

EDITED_PAGE = Path("kubernetes/kubepodcrashlooping/index.html")
ADDED_STEP = "<li>Compare the crash time with the last deploy: <code>kubectl rollout history deploy/NAME</code>.</li>\n"


def fresh_site_copy(target):
    """A copy of the sample site the demo may edit, so the checkout's files stay untouched."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(DEFAULT_ROOT, target)
    return target


def add_mitigation_step(page_html):
    """The page with one more step at the end of its last list (what a team member would add)."""
    cut = page_html.rfind("</ul>")
    return page_html[:cut] + ADDED_STEP + page_html[cut:]


def edit_runbook_later(site_dir, after_seconds, stopping):
    if stopping.wait(after_seconds):
        return
    page = site_dir / EDITED_PAGE
    page.write_text(add_mitigation_step(page.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"[docs]      edited {EDITED_PAGE} on the sample site: the docs monitor logs the change on its "
          "next poll (python3 -m generate_documentation_db --changes)", flush=True)


def html_part(message_bytes):
    """The text/html alternative of a mail, as text."""
    message = email.message_from_bytes(message_bytes, policy=email.policy.default)
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part else None


def report_handoff_mail(outbox, stopping, patience_seconds=90):
    """Print where the sink saved the handoff mail, with an HTML preview beside it.

    Each week is mailed once, so a demo restarted with the same data sends nothing new:
    after `patience_seconds` the newest mail of an earlier run is shown instead.
    """
    outbox = Path(outbox)
    before = set(outbox.glob("*.eml"))
    deadline = time.monotonic() + patience_seconds
    while not stopping.wait(1):
        new = sorted(set(outbox.glob("*.eml")) - before)
        if new:
            return _print_mail(new[-1], "")
        if time.monotonic() > deadline:
            if before:
                newest = max(before, key=lambda path: path.stat().st_mtime)
                return _print_mail(newest, " (sent by an earlier demo run: each week is mailed once)")
            print("[handoff]   no handoff mail yet; logs/send_mail.log says why", flush=True)
            return


def _print_mail(mail, note):
    preview = mail.parent.parent / "handoff-preview.html"
    preview.write_text(html_part(mail.read_bytes()) or "", encoding="utf-8")
    print(f"[handoff]   mail accepted by the sandbox SMTP{note}: {mail}", flush=True)
    print(f"[handoff]   HTML preview: {preview}", flush=True)
