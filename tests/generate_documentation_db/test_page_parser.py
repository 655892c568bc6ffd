"""Parsing docs pages into runbooks and sections, and HTML into Slack mrkdwn (pure functions)."""
from generate_documentation_db import html_mrkdwn, runbook_facts, site_scope
from generate_documentation_db.html_nodes import children, parse_html
from generate_documentation_db.page_parser import parse_page

SINGLE_RUNBOOK = """<!doctype html><html><head><title>KubePodCrashLooping | Acme runbooks</title></head><body>
<header><a href="/">Acme runbooks</a><nav><a href="../index.html">All runbooks</a></nav></header>
<aside>On this page: Meaning, Impact</aside>
<main>
  <h1 id="kubepodcrashlooping">KubePodCrashLooping</h1>
  <p>A container keeps restarting. Also fires as: <code>KubePodCrashLoopingLegacy</code>.</p>
  <h2 id="meaning">Meaning</h2><p>The pod's container exits and the kubelet restarts it with back-off.</p>
  <h2 id="diagnosis">Diagnosis</h2>
  <ol><li>Look at the events: <code>kubectl describe pod $POD</code></li><li>Read the <em>previous</em> logs</li></ol>
  <h3 id="oom">Out of memory</h3><p>Check <strong>OOMKilled</strong> in the last state.</p>
  <h2 id="mitigation">Mitigation</h2><pre><code>kubectl rollout undo deploy/$DEPLOY
</code></pre>
</main>
<footer>Last built 2026-11-29 10:31:07 <script>track()</script></footer></body></html>"""

PROTOTYPE_PAGE = """<html><head><title>Alerts</title></head><body><nav><a href="/">home</a></nav>
<h1>Platform alerts</h1>
<section class="main-section" id="disk-full"><header>DiskFull</header>
  <p>Free space with <code>du -sh /var/*</code>, then rotate logs with <code>logrotate -f</code>.</p></section>
<section class="main-section"><header>HighErrorRate5xx</header><p>Check the load balancer 5xx graph.</p></section>
<section class="main-section"><header>etcdNoLeader</header><p>Restart the etcd member that lost quorum.</p>
  <h3>Escalation</h3><p>Page the platform lead.</p></section>
</body></html>"""


def sections_of(html, url="http://docs.test/runbooks/kubepodcrashlooping/"):
    return parse_page(html, url).runbooks


def fragment(html):
    return list(children(parse_html(f"<div>{html}</div>").find("body/div")))


def test_a_single_runbook_page_is_one_runbook_with_its_sub_sections():
    page = parse_page(SINGLE_RUNBOOK, "http://docs.test/runbooks/kubepodcrashlooping/")
    [runbook] = page.runbooks
    assert page.title == runbook.title == runbook.alert_name == "KubePodCrashLooping"
    assert [(s.title, s.level, s.anchor) for s in runbook.sections] == [
        ("KubePodCrashLooping", 1, "kubepodcrashlooping"), ("Meaning", 2, "meaning"), ("Diagnosis", 2, "diagnosis"),
        ("Out of memory", 3, "oom"), ("Mitigation", 2, "mitigation")]
    assert runbook.sections[3].heading_path == ("KubePodCrashLooping", "Diagnosis", "Out of memory")
    assert runbook.kind == "runbook" and runbook.summary.startswith("A container keeps restarting.")


def test_navigation_header_aside_footer_and_scripts_are_dropped():
    [runbook] = sections_of(SINGLE_RUNBOOK)
    assert "Acme runbooks" not in runbook.body_text and "On this page" not in runbook.body_text
    assert "Last built" not in runbook.body_text and "track()" not in runbook.mrkdwn


def test_alert_keys_come_from_title_slug_and_stated_aliases():
    [runbook] = sections_of(SINGLE_RUNBOOK, "http://docs.test/runbooks/crash-loop.html")
    assert [(key.name, key.source) for key in runbook.alert_keys] == [
        ("KubePodCrashLooping", "title"), ("crash-loop", "slug"), ("KubePodCrashLoopingLegacy", "alias")]
    assert runbook_facts.slug_name("http://docs.test/kubepodcrashlooping/") == "kubepodcrashlooping"
    assert runbook_facts.slug_name("http://docs.test/etcd/etcdNoLeader.html") == "etcdNoLeader"
    assert runbook_facts.slug_name("http://docs.test/disk-full/index.html") == "disk-full"


def test_a_slug_named_after_a_spaced_title_gives_the_identifier_spelling():
    html = "<main><h1>Kube Pod Crash Looping</h1><p>Restarting pods, see the steps below.</p></main>"
    [runbook] = sections_of(html, "http://docs.test/kubepodcrashlooping/")
    assert runbook.alert_name == "KubePodCrashLooping"


def test_a_content_change_changes_the_hash_but_a_footer_timestamp_does_not():
    first = parse_page(SINGLE_RUNBOOK, "http://docs.test/a/")
    new_footer = parse_page(SINGLE_RUNBOOK.replace("10:31:07", "11:02:44"), "http://docs.test/a/")
    edited = parse_page(SINGLE_RUNBOOK.replace("back-off", "exponential back-off"), "http://docs.test/a/")
    assert first.content_sha256 == new_footer.content_sha256
    assert first.content_sha256 != edited.content_sha256


def test_the_prototype_many_alerts_page_gives_one_runbook_per_block():
    runbooks = parse_page(PROTOTYPE_PAGE, "http://docs.test/alerts.html").runbooks
    assert [runbook.title for runbook in runbooks] == ["DiskFull", "HighErrorRate5xx", "etcdNoLeader"]
    disk = runbooks[0]
    assert disk.anchor == "disk-full" and disk.sections[0].heading_path == ("Platform alerts", "DiskFull")
    assert "`du -sh /var/*`" in disk.mrkdwn and "home" not in disk.mrkdwn
    assert [key.source for key in disk.alert_keys] == ["title"]  # the page's slug names the collection
    etcd = runbooks[2]
    assert [(s.title, s.heading_path) for s in etcd.sections] == [
        ("etcdNoLeader", ("Platform alerts", "etcdNoLeader")),
        ("Escalation", ("Platform alerts", "etcdNoLeader", "Escalation"))]


def test_a_topic_page_whose_h2s_are_alert_names_gives_one_runbook_per_alert():
    html = """<main><h1>Node alerts</h1><p>Alerts about nodes.</p>
      <h2 id="node-disk">NodeDiskPressure</h2><p>Free disk on the node.</p><h3>Steps</h3><p>Prune images.</p>
      <h2>node_memory_pressure</h2><p>Evict pods from the node.</p></main>"""
    runbooks = sections_of(html, "http://docs.test/node.html")
    assert [(r.title, r.anchor, len(r.sections)) for r in runbooks] == [
        ("NodeDiskPressure", "node-disk", 2), ("node_memory_pressure", None, 1)]


def test_deprecated_pointer_and_stub_pages_are_marked():
    deprecated = sections_of("<main><h1>OldAlert [Deprecated]</h1><p>This alert is deprecated. Silence it.</p></main>")
    pointer = sections_of('<main><h1>NodeRAIDDiskFailure</h1><p>See <a href="{{&lt; ref &quot;./NodeRAIDDegraded.md&quot; &gt;}}">'
                          'Node RAID Degraded</a></p></main>', "http://docs.test/node/NodeRAIDDiskFailure.html")
    stub = sections_of("<main><h1>NewAlert</h1><h2>Meaning</h2><p>Something new.</p><h2>Diagnosis</h2><p>TODO</p>"
                       "<h2>Mitigation</h2><p>TODO</p></main>")
    assert (deprecated[0].kind, deprecated[0].title) == ("deprecated", "OldAlert")
    assert (pointer[0].kind, pointer[0].points_to) == ("pointer", "http://docs.test/node/NodeRAIDDegraded.md")
    assert stub[0].kind == "stub"


def test_links_are_absolute_normalised_and_shortcodes_resolved():
    html = """<body><base href="http://docs.test/rb/"><a href="disk.html#steps">d</a><a href="./a/../disk.html">d</a>
      <a href="mailto:sre@example.com">m</a><a href="{{&lt; ref &quot;./etcd.md&quot; &gt;}}">e</a><a href="logo.png">i</a>
      <a href="HTTP://Docs.Test:80/rb/x.html">x</a></body>"""
    assert parse_page(html, "http://docs.test/rb/index.html").links == (
        "http://docs.test/rb/disk.html", "http://docs.test/rb/etcd.md", "http://docs.test/rb/x.html")


def test_scope_is_scheme_host_and_path_prefix():
    scope = site_scope.Scope.from_start_urls(["http://docs.test/runbooks/index.html"])
    assert scope.contains("http://docs.test/runbooks/disk.html")
    assert not scope.contains("http://docs.test/blog/post.html")
    assert not scope.contains("https://docs.test/runbooks/disk.html")
    assert not scope.contains("http://evil.test/runbooks/disk.html")


def test_sitemap_and_sitemap_index_are_read():
    sitemap = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>http://docs.test/a.html</loc></url><url><loc> http://docs.test/b.html </loc></url></urlset>"""
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>http://docs.test/s1.xml</loc></sitemap></sitemapindex>"""
    assert site_scope.parse_sitemap(sitemap) == (["http://docs.test/a.html", "http://docs.test/b.html"], [])
    assert site_scope.parse_sitemap(index) == ([], ["http://docs.test/s1.xml"])
    assert site_scope.parse_sitemap(b"<html>not xml") == ([], [])


def test_mrkdwn_lists_nest_and_number():
    html = "<ul><li>Check <b>pods</b><ul><li>events</li><li>logs</li></ul></li><li>Done</li></ul>" \
           "<ol start='3'><li><p>Scale up</p></li><li>Wait</li></ol>"
    assert html_mrkdwn.to_mrkdwn(fragment(html)) == (
        "• Check *pods*\n    • events\n    • logs\n• Done\n\n3. Scale up\n4. Wait")


def test_mrkdwn_code_blocks_are_fenced_and_inline_code_kept():
    html = "<p>Run <code>df -h</code> first.</p><pre><code>kubectl get pods \\\n  -n kube-system\n</code></pre>"
    assert html_mrkdwn.to_mrkdwn(fragment(html)) == (
        "Run `df -h` first.\n\n```\nkubectl get pods \\\n  -n kube-system\n```")


def test_mrkdwn_links_bold_italic_and_escaping():
    html = '<p>See <a href="/rb/disk.html">the <em>disk</em> runbook</a> or <a href="https://x.test/">' \
           'https://x.test/</a> when a &lt; b &amp; <strong>urgent</strong></p>'
    assert html_mrkdwn.to_mrkdwn(fragment(html), "http://docs.test/rb/index.html") == (
        "See <http://docs.test/rb/disk.html|the _disk_ runbook> or <https://x.test/> when a &lt; b &amp; *urgent*")


def test_mrkdwn_tables_become_aligned_text():
    html = "<table><tr><th>Signal</th><th>Threshold</th></tr><tr><td>5xx rate</td><td>&gt; 5%</td></tr>" \
           "<tr><td>p99</td><td>2 s</td></tr></table>"
    assert html_mrkdwn.to_mrkdwn(fragment(html)) == (
        "```\nSignal    Threshold\n--------  ---------\n5xx rate  &gt; 5%\np99       2 s\n```")


def test_plain_text_keeps_words_and_drops_markup():
    assert html_mrkdwn.to_text(fragment("<p>Run <code>df -h</code></p><ul><li>one</li><li>two</li></ul>")) == \
        "Run df -h\none two"


def test_a_generic_page_name_is_not_taken_for_an_alert_name():
    html = "<main><h1>HighErrorRate5xx: diagnosis</h1><p>Find the failing upstream first.</p></main>"
    [runbook] = sections_of(html, "http://docs.test/app/high-error-rate/diagnosis.html")
    assert [key.source for key in runbook.alert_keys] == ["title"]


PORTAL_PAGE = """<html><head><title>KubePodCrashLooping · Ops portal</title></head><body>
<main>
  <ol class="breadcrumbs"><li><a href="/">Home</a></li><li><a href="/k8s/">Kubernetes</a></li></ol>
  <div aria-label="Breadcrumb">Runbooks / Kubernetes</div>
  <article>
    <h1>KubePodCrashLooping</h1>
    <h2>Meaning</h2><p>A container keeps restarting.</p>
    <h2>Mitigation</h2>
    <ul><li><p>Check why the pod is not scheduled:</p>
      <div class="nested"><ul><li>pod priority</li><li>node affinity</li></ul></div></li>
      <li>Read the logs with <code>kubectl logs --previous</code>.</li></ul>
    <p><a href="https://git.example.test/edit/main/kubepodcrashlooping.md">Edit this page</a></p>
  </article>
  <div class="page-footer-widget">Was this page helpful? <button>Yes</button> <button>No</button></div>
  <form action="/feedback"><label>Tell us more</label><textarea></textarea><input type="submit" value="Send"></form>
  <p>Last edited by ana · <a href="/history">history</a></p>
</main></body></html>"""


def test_a_portal_page_gives_its_article_without_widgets_edit_links_or_breadcrumbs(db):
    from bot.replies import reply_mrkdwn, runbook_reply
    from generate_documentation_db import page_store, runbook_store
    from matching.matcher import Match
    page = parse_page(PORTAL_PAGE, "https://portal.example.test/k8s/kubepodcrashlooping")
    (runbook,) = page.runbooks
    stored_text = "\n".join(section.mrkdwn for section in runbook.sections)
    page_store.save_page(db, page)
    (found,) = runbook_store.find_by_alert_key(db, "KubePodCrashLooping")
    stored = runbook_store.runbook_by_id(db, found.runbook_id)
    match = Match(title="KubePodCrashLooping", normalised="KubePodCrashLooping", alert_key="kube pod crash looping",
                  runbook_id=found.runbook_id, matched="KubePodCrashLooping", url=page.url, reason="exact name", confidence=1.0)
    _, blocks = runbook_reply(match, stored)
    assert "pod priority" in reply_mrkdwn(blocks)
    shown = stored_text + "\n" + reply_mrkdwn(blocks)
    for chrome in ("helpful", "Yes", "Tell us more", "Send", "Edit this page", "Home", "Breadcrumb", "Last edited"):
        assert chrome not in shown, chrome
    assert "• Check why the pod is not scheduled:\n    • pod priority\n    • node affinity" in stored_text
    assert "kubectl logs --previous" in stored_text


def test_a_runbook_titled_with_an_http_status_is_a_runbook_not_an_error_page():
    page = parse_page("<main><h1>502 Bad Gateway on the API</h1><p>The edge proxy answers 502 when every API pod "
                      "fails its health check.</p><h2>Mitigation</h2><ol><li>Check the API pods' readiness.</li>"
                      "<li>Restart the edge proxy if the pods are ready but it still answers 502.</li></ol></main>",
                      "http://docs.test/api/502.html")
    assert page.kind == "runbooks" and [runbook.title for runbook in page.runbooks] == ["502 Bad Gateway on the API"]
