"""The HTML map in a real browser: headless Chromium driven by Playwright.

Every request other than the page's own file is aborted and recorded, so
each test also shows the page works offline.  Needs the ``playwright``
package (its driver ships in the wheel; no browser is downloaded) and a
Chromium on the machine (Debian's ``chromium``; ``KG_CHROMIUM`` names
another); the module is skipped without them.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import time
from pathlib import Path

import networkx as nx
import pytest

from kg.lookup import find
from kg.viz import write_html

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="the playwright package is not installed")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SCREENSHOT = ROOT / "exports" / "screenshot.png"
IMG_XSS = "<img src=x onerror=alert(1)>"
SCRIPT_XSS = "<script>alert(1)</script>"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BIG_NODES = 5000
BIG_BOUND_S = 20.0


def _chromium() -> str | None:
    for candidate in (os.environ.get("KG_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="no Chromium found (apt-get install chromium)")


class Visit:
    """One page opened offline: what it requested, dialogs, script errors."""

    def __init__(self, browser, path: Path, width: int = 1400, height: int = 900) -> None:
        self.url = path.resolve().as_uri()
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)
        started = time.perf_counter()
        self.page.goto(self.url)
        self.page.wait_for_function("window.kg && window.kg.ready === true",
                                    timeout=60_000, polling=50)
        self.seconds = time.perf_counter() - started

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def offline(self) -> bool:
        return self.requests == [self.url] and not self.blocked

    def panel(self) -> dict:
        return self.page.evaluate("""() => {
            const p = document.getElementById("kg-panel");
            return {hidden: p.hidden, kind: p.getAttribute("data-kind"),
                    id: p.getAttribute("data-id"),
                    title: (p.querySelector("h2") || {}).textContent || "",
                    sentences: [...p.querySelectorAll(".kg-sent")].map(s => s.textContent),
                    marks: [...p.querySelectorAll(".kg-sent mark")].map(m => m.textContent)};
        }""")

    def search(self, text: str) -> None:
        self.page.fill("#kg-q", "")
        self.page.type("#kg-q", text)

    def wait_panel(self, kind: str, ident: str) -> dict:
        self.page.wait_for_function(
            "([k, i]) => { const p = document.getElementById('kg-panel');"
            " return !p.hidden && p.getAttribute('data-kind') === k"
            " && p.getAttribute('data-id') === i; }", arg=[kind, ident], timeout=10_000)
        return self.panel()

    def settle(self) -> None:
        """Wait for a focus animation to end."""
        self.page.wait_for_timeout(500)

    def screen_point(self, canvas_xy: dict) -> dict:
        """Page coordinates of a point of the network's canvas."""
        return self.page.evaluate("""(p) => {
            const dom = kg.network.canvasToDOM(p);
            const box = document.getElementById("kg-network").getBoundingClientRect();
            return {x: dom.x + box.left, y: dom.y + box.top, domX: dom.x, domY: dom.y};
        }""", canvas_xy)

    def close(self) -> None:
        self.page.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    from kg.pipeline import build
    out = tmp_path_factory.mktemp("seeds")
    result = build([SEEDS], out)
    return result.graph, out / "graph.html"


@pytest.fixture(scope="module")
def seeds_visit(browser, seeds):
    visit = Visit(browser, seeds[1])
    yield visit
    visit.close()


def _initiative(g) -> str:
    [node] = [n for n in find(g, "城乡教育共同体") if g.nodes[n]["type"] == "Initiative"]
    return node


def test_seeds_page_loads_offline_with_legend_and_filters(seeds_visit):
    v = seeds_visit
    assert v.offline(), (v.requests, v.blocked)
    assert not v.errors and not v.dialogs
    page = v.page
    assert page.evaluate("document.querySelectorAll('#kg-network canvas').length") == 1
    assert page.evaluate("document.characterSet") == "UTF-8"
    assert page.locator('#kg-legend li[data-type="Initiative"] b').inner_text() != "0"
    options = page.evaluate("[...document.querySelectorAll('#kg-doc option')].length")
    assert options == 1 + 5                                    # all, then each seed
    assert page.evaluate("[...document.querySelectorAll('#kg-year option')].length") >= 2
    status = page.inner_text("#kg-status")
    shown, total = (int(x) for x in status.split()[1:4:2])
    assert shown == total > 1000


def test_filters_hide_and_show_nodes(seeds_visit, seeds):
    g, _ = seeds
    page = seeds_visit.page
    visible = "kg.nodes.get({filter: n => !n.hidden}).length"
    total = page.evaluate(visible)
    page.uncheck('input[data-filter-type="Initiative"]')
    initiatives = sum(1 for _, a in g.nodes(data=True) if a.get("type") == "Initiative")
    assert page.evaluate(visible) == total - initiatives
    page.check('input[data-filter-type="Initiative"]')
    assert page.evaluate(visible) == total
    doc = sorted(a["doc_id"] for _, a in g.nodes(data=True) if a.get("kind") == "document")[0]
    page.select_option("#kg-doc", doc)
    named = page.evaluate(visible)
    assert 0 < named < total
    assert not page.evaluate(f"kg.nodes.get('doc:{doc}').hidden")
    page.click("#kg-reset")
    assert page.evaluate(visible) == total


def test_alias_search_finds_and_selects_the_entity(seeds_visit, seeds):
    g, _ = seeds
    node = _initiative(g)
    v = seeds_visit
    v.search("教共体")
    panel = v.wait_panel("node", node)
    assert panel["title"] == "城乡教育共同体"
    assert v.page.evaluate("kg.network.getSelectedNodes()") == [node]
    results = v.page.evaluate("[...document.querySelectorAll('#kg-results li')]"
                              ".map(li => li.getAttribute('data-id'))")
    assert node in results
    forms = {"城乡教育共同体", *g.nodes[node]["aliases"]}
    assert panel["sentences"], "no evidence sentence in the panel"
    assert panel["marks"] and set(panel["marks"]) <= forms
    for sentence, mark in zip(panel["sentences"], panel["marks"]):
        assert mark in sentence
    assert v.page.evaluate(
        "[...document.querySelectorAll('#kg-panel mark')].every(m =>"
        " m.childNodes.length === 1 && m.firstChild.nodeType === Node.TEXT_NODE)")
    assert v.offline()


def test_clicking_a_node_opens_its_panel_and_a_relation_jumps(seeds_visit, seeds):
    g, _ = seeds
    node = _initiative(g)
    v, page = seeds_visit, seeds_visit.page
    page.keyboard.press("Escape")
    page.click("#kg-close")
    assert v.panel()["hidden"]
    page.evaluate("(id) => kg.network.focus(id, {scale: 1.5})", node)
    spot = v.screen_point(page.evaluate("(id) => kg.network.getPosition(id)", node))
    assert page.evaluate("(p) => kg.network.getNodeAt({x: p.domX, y: p.domY})", spot) == node
    page.mouse.click(spot["x"], spot["y"])
    panel = v.wait_panel("node", node)
    assert panel["title"] == "城乡教育共同体" and panel["marks"]
    # a relation in the panel leads to the other node
    other = page.get_attribute("#kg-panel .kg-link[data-id]", "data-id")
    page.click(f'#kg-panel .kg-link[data-id="{other}"]')
    assert v.wait_panel("node", other)["title"] == g.nodes[other].get(
        "label", g.nodes[other].get("title"))
    assert v.offline()


def test_clicking_an_edge_shows_its_evidence(seeds_visit):
    v, page = seeds_visit, seeds_visit.page
    page.click("#kg-close")
    # an edge with evidence whose midpoint, once centred, hits that edge only
    found = page.evaluate("""() => {
        const net = kg.network;
        const candidates = kg.edges.get({filter: e => !e.hidden && e.evn > 0 &&
                                          e.predicate === "implements"});
        for (const e of candidates) {
            const a = net.getPosition(e.from), b = net.getPosition(e.to);
            if (Math.hypot(a.x - b.x, a.y - b.y) < 200) continue;
            const mid = {x: (a.x + b.x) / 2, y: (a.y + b.y) / 2};
            net.moveTo({position: mid, scale: 1.2});
            const dom = net.canvasToDOM(mid);
            if (net.getNodeAt(dom) === undefined && net.getEdgeAt(dom) === e.id) {
                return {id: e.id, mid: mid};
            }
        }
        return null;
    }""")
    assert found, "no clickable edge"
    spot = v.screen_point(found["mid"])
    page.mouse.click(spot["x"], spot["y"])
    panel = v.wait_panel("edge", found["id"])
    assert panel["sentences"] and panel["marks"]
    assert page.evaluate("kg.network.getSelectedEdges()") == [found["id"]]
    assert v.offline()


def test_co_mention_toggle_adds_and_removes_edges(seeds_visit):
    page = seeds_visit.page
    count = "kg.edges.get({filter: e => e.predicate === 'coMentioned' && !e.hidden}).length"
    assert page.evaluate(count) == 0
    page.check('#kg-legend input[data-predicate="coMentioned"]')
    expected = int(page.get_attribute('#kg-legend li[data-predicate="coMentioned"]',
                                      "data-count"))
    assert page.evaluate(count) == expected > 0
    page.uncheck('#kg-legend input[data-predicate="coMentioned"]')
    assert page.evaluate(count) == 0


def test_screenshot_of_the_seeds_page_with_the_panel_open(seeds_visit, seeds):
    g, _ = seeds
    node = _initiative(g)
    v, page = seeds_visit, seeds_visit.page
    v.search("教共体")
    v.wait_panel("node", node)
    page.keyboard.press("Enter")
    page.evaluate("document.activeElement.blur()")
    page.mouse.move(5, 5)                                   # no tooltip in the picture
    page.evaluate("(id) => kg.network.focus(id, {scale: 1.1})", node)
    v.settle()
    page.evaluate("""() => {                                  // scroll to the evidence
        const panel = document.getElementById("kg-panel");
        const head = panel.querySelector(".kg-panel-head");
        const evidence = panel.querySelector('h3[data-section="证据"]');
        panel.scrollTop = evidence.offsetTop - head.offsetHeight - 60;
    }""")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 20_000
    fonts = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Noto Sans CJK SC" in fonts


def _hostile_graph() -> nx.MultiDiGraph:
    from kg.graph import build_graph, doc_node
    from kg.model import Document, Entity, Evidence, Extraction, Relation
    sentence = f"据{IMG_XSS}称{SCRIPT_XSS}工程已启动。"
    ev = Evidence("d1", 1, 1 + len(IMG_XSS), sentence)
    ev2 = Evidence("d1", sentence.index(SCRIPT_XSS), sentence.index("工程") + 2, sentence)
    doc = Document(doc_id="d1", path="d1.txt", text=sentence, title=f"{SCRIPT_XSS}{IMG_XSS}")
    ents = [Entity("agency-1", "Agency", IMG_XSS, (), (ev,)),
            Entity("initiative-1", "Initiative", f"{SCRIPT_XSS}工程", (), (ev2,))]
    rels = [Relation("agency-1", "implements", "initiative-1", (ev,)),
            Relation(doc_node("d1"), "mentions", "agency-1", (ev,))]
    return build_graph(Extraction([doc], ents, rels, [], {"d1": "agency-1"}))


def test_hostile_names_show_as_text_and_run_nothing(browser, tmp_path):
    path = tmp_path / "hostile.html"
    write_html(_hostile_graph(), path, title=IMG_XSS)
    v = Visit(browser, path)
    try:
        page = v.page
        assert page.title() == IMG_XSS
        assert page.inner_text("header h1") == IMG_XSS
        v.search("<img")
        page.wait_for_selector("#kg-results li[data-id]")
        hits = page.evaluate("[...document.querySelectorAll('#kg-results li')]"
                             ".map(li => li.getAttribute('data-id'))")
        assert hits == ["agency-1", "doc:d1"]          # the name, then the document title
        page.keyboard.press("Enter")
        panel = v.wait_panel("node", "agency-1")
        assert panel["title"] == IMG_XSS
        assert panel["marks"] == [IMG_XSS]
        assert any(SCRIPT_XSS in s for s in panel["sentences"])
        # the document's title in the panel, the results list, a tooltip
        assert SCRIPT_XSS + IMG_XSS in page.inner_text("#kg-panel")
        assert SCRIPT_XSS + IMG_XSS in page.evaluate(
            "document.querySelector('#kg-doc option[value=d1]').textContent")
        page.evaluate("document.activeElement.blur()")
        v.settle()
        spot = v.screen_point(page.evaluate("kg.network.getPosition('agency-1')"))
        page.mouse.move(spot["x"], spot["y"])
        page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5_000)
        assert IMG_XSS in page.inner_text("div.vis-tooltip")
        page.click('#kg-panel .kg-link[data-id="initiative-1"]')
        v.wait_panel("node", "initiative-1")
        page.wait_for_timeout(300)
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        assert page.evaluate("document.querySelectorAll('script').length") == 3
        assert not v.dialogs, v.dialogs
        assert not v.errors, v.errors
        assert v.offline()
    finally:
        v.close()


def _make_big_graph():
    spec = importlib.util.spec_from_file_location("make_big_graph",
                                                  ROOT / "benchmarks" / "make_big_graph.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_big_graph


def test_a_5000_node_page_opens_and_answers_quickly(browser, tmp_path, capsys):
    g = _make_big_graph()(BIG_NODES)
    path = tmp_path / "big.html"
    started = time.perf_counter()
    write_html(g, path, title=f"{BIG_NODES} 个节点")
    rendered = time.perf_counter() - started
    v = Visit(browser, path)
    try:
        page = v.page
        drawn = page.evaluate("kg.nodes.length")
        assert drawn == BIG_NODES
        # interactive: a search selects a node and opens its panel
        target = sorted(n for n, a in g.nodes(data=True) if a.get("type") == "School")[7]
        name = g.nodes[target]["label"]
        t0 = time.perf_counter()
        v.search(name)
        panel = v.wait_panel("node", target)
        answered = time.perf_counter() - t0
        assert panel["title"] == name and panel["marks"]
        interactive = v.seconds + answered
        # panning by dragging: time of each redraw while the view moves
        page.evaluate("document.activeElement.blur(); document.getElementById('kg-close').click();"
                      "kg.network.fit({animation: false});"
                      "window.draws = []; kg.network.on('beforeDrawing', () => window.t0 = "
                      "performance.now()); kg.network.on('afterDrawing', () => "
                      "window.draws.push(performance.now() - window.t0));")
        page.mouse.move(700, 450)
        page.mouse.down()
        for k in range(1, 21):
            page.mouse.move(700 - 12 * k, 450 - 6 * k)
        page.mouse.up()
        page.wait_for_timeout(300)
        draws = sorted(page.evaluate("window.draws"))
        pan_ms = draws[len(draws) // 2]
        size_mb = path.stat().st_size / 1e6
        timings = page.evaluate("kg.timings")
        with capsys.disabled():
            print(f"\n5,000-node page: {size_mb:.1f} MB written in {rendered:.1f} s; "
                  f"ready {v.seconds:.2f} s after navigation "
                  f"(script: JSON {timings['parsed'] - timings['start']:.0f} ms, network "
                  f"{timings['network'] - timings['prepared']:.0f} ms, first draw "
                  f"{timings['drawn'] - timings['network']:.0f} ms); search to panel "
                  f"{answered:.2f} s; interactive in {interactive:.2f} s; median redraw "
                  f"while panning {pan_ms:.0f} ms over {len(draws)} frames")
        assert interactive < BIG_BOUND_S
        assert pan_ms < 250
        assert v.offline()
        assert not v.errors
    finally:
        v.close()
