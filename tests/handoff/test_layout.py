"""The sent mail's HTML in headless Chromium at phone and desktop width: nothing sticks out.

Screenshots are kept in outbox/screenshots/ (git-ignored) for a person to look at.
"""

import pytest

from handoff import sending
from handoff.sending import Sent
from tests.cdp_browser import Browser, find_chromium
from tests.handoff.helpers import NOW, handoff_keys, read_mail
from utils import PROJECT_DIR

SCREENSHOTS = PROJECT_DIR / "outbox" / "screenshots"

# Every element's box against the viewport: what sticks out sideways makes a phone scroll.
WIDER_THAN_VIEWPORT = """
(() => {
  const width = document.documentElement.clientWidth;
  const offenders = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)) {
      offenders.push(`${element.tagName} ${Math.round(box.left)}..${Math.round(box.right)}: `
                     + (element.textContent || '').trim().slice(0, 60));
    }
  }
  return {viewport: width, scrollWidth: document.documentElement.scrollWidth, offenders: offenders};
})()
"""

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="needs Chromium (apt-get install chromium)")


@pytest.fixture
def sent_html(make_config, mailer_at, pagerduty, smtp_sink, tmp_path):
    """The HTML part of a real sent handoff, with a long unbreakable title to stress the layout."""
    pagerduty.account.history.add("KubePersistentVolumeFillingUp_" + "x" * 120, NOW.timestamp() - 7200)
    mailer = mailer_at(make_config(**handoff_keys(pagerduty, smtp_sink.port)), NOW)
    assert sending.send_due_handoff(mailer) == Sent.SENT
    path = tmp_path / "handoff.html"
    path.write_text(read_mail(smtp_sink.mails()[0])[2], encoding="utf-8")
    return path


@pytest.mark.parametrize("name, width, mobile", [("phone-360", 360, True), ("desktop-1280", 1280, False)])
def test_the_mail_fits_the_screen_at_phone_and_desktop_width(sent_html, name, width, mobile):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with Browser(find_chromium()) as page:
        page.open_file(sent_html, width, mobile=mobile)
        layout = page.evaluate(WIDER_THAN_VIEWPORT)
        shot = page.screenshot(SCREENSHOTS / f"handoff-{name}.png")
    assert layout["offenders"] == []
    assert layout["scrollWidth"] <= layout["viewport"]
    assert shot.stat().st_size > 10_000


def test_the_mail_has_no_scripts_or_external_images(sent_html):
    html = sent_html.read_text(encoding="utf-8").lower()
    assert "<script" not in html and "<img" not in html and "url(" not in html and "<link" not in html
