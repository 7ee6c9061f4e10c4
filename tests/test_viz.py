"""The HTML view: what a reader opening the page gets, offline and safely."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import networkx as nx
import pytest

from kg.graph import build_graph, doc_node
from kg.model import Document, Entity, Evidence, Extraction, Relation
from kg.viz import render_html, write_html

SCRIPT_XSS = "<script>alert(1)</script>"
IMG_XSS = "<img src=x onerror=alert(1)>"


def page_data(page: str) -> dict:
    """The node/edge/options JSON block the page draws from."""
    m = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', page, re.S)
    assert m, "no data block in the page"
    return json.loads(m.group(1))


def legend(page: str) -> str:
    m = re.search(r'<aside id="kg-legend".*?</aside>', page, re.S)
    assert m, "no legend in the page"
    return m.group(0)


class TagLog(HTMLParser):
    """Every start tag with its attribute names, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple[str, ...]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(sorted(name for name, _ in attrs))))


def tags_of(page: str) -> list[tuple[str, tuple[str, ...]]]:
    log = TagLog()
    log.feed(page)
    log.close()
    return log.tags


def one_doc_graph(agency: str, programme: str, sentence: str, title: str) -> nx.MultiDiGraph:
    """A document naming an agency and a programme, with the given texts."""
    text = sentence
    ev = Evidence("d1", 0, 1, sentence)
    doc = Document(doc_id="d1", path="d1.txt", text=text, title=title)
    ents = [Entity("agency-1", "Agency", agency, (agency + "局",), (ev,)),
            Entity("programme-1", "Programme", programme, (), (ev,))]
    rels = [Relation("programme-1", "issuedBy", "agency-1", (ev,)),
            Relation(doc_node("d1"), "mentions", "agency-1", (ev,)),
            Relation("agency-1", "coMentioned", "programme-1", (ev,), weight=2)]
    return build_graph(Extraction([doc], ents, rels, [], {"d1": "agency-1"}))


def test_page_shows_the_chinese_names(tiny_graph):
    page = render_html(tiny_graph, title="台州教育图谱")
    for name in ("台州市教育局", "台州市", "浙江省", "城乡教育共同体",
                 "台州教育现代化2035行动纲要", "台州教育工作要点"):
        assert name in page
    assert "<title>台州教育图谱</title>" in page
    assert '"Noto Sans CJK SC"' in page and "Microsoft YaHei" in page


def test_nodes_are_coloured_shaped_and_sized_by_type(tiny_graph):
    nodes = {n["id"]: n for n in page_data(render_html(tiny_graph))["nodes"]}
    assert nodes["agency-1"]["shape"] != nodes["place-1"]["shape"]
    assert nodes["agency-1"]["color"] != nodes["place-1"]["color"]
    assert nodes["place-1"]["shape"] == nodes["place-2"]["shape"]
    doc = nodes["doc:d1"]
    assert doc["shape"] == "square" and doc["label"] == "台州教育工作要点"
    assert doc["size"] < nodes["agency-1"]["size"]
    assert nodes["metric-1"]["label"] == "67所"          # small graph: metrics drawn
    tip = nodes["initiative-1"]["title"]
    assert "城乡教育共同体" in tip and "教共体" in tip and "建成67所幼儿园" in tip


def test_node_size_grows_with_mentions():
    g = one_doc_graph("台州市教育局", "行动纲要", "台州市教育局印发行动纲要。", "通知")
    g.nodes["agency-1"]["evidence"] = [
        {"doc": "d1", "start": i, "end": i + 1, "sentence": "台州市教育局。"} for i in range(9)]
    nodes = {n["id"]: n for n in page_data(render_html(g))["nodes"]}
    assert nodes["agency-1"]["size"] > nodes["programme-1"]["size"]


def test_long_document_titles_are_cut_in_the_label():
    title = "关于印发台州市全面深化教育领域综合改革实施方案的通知"
    g = one_doc_graph("台州市教育局", "行动纲要", "台州市教育局印发行动纲要。", title)
    doc = {n["id"]: n for n in page_data(render_html(g))["nodes"]}["doc:d1"]
    assert doc["label"].endswith("…") and len(doc["label"]) < len(title)
    assert title in doc["title"]


def test_legend_lists_every_type_with_its_count(tiny_graph):
    box = legend(render_html(tiny_graph))
    for etype, count in (("Agency", 1), ("Place", 2), ("School", 0), ("Programme", 1),
                         ("Initiative", 1), ("Event", 0), ("document", 1), ("metric", 1)):
        assert f'data-type="{etype}" data-count="{count}"' in box
    for zh in ("机构", "地区", "学校", "规划文件", "工程举措", "活动", "文件", "指标"):
        assert zh in box
    assert "position: fixed" in render_html(tiny_graph)


def test_page_references_no_outside_url(tiny_graph):
    page = render_html(tiny_graph)
    for needle in ('src="http', "src='http", 'href="http', "href='http", "//cdn", "@import"):
        assert needle not in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"""url\(\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert "sourceMappingURL" not in page
    assert "vis.Network" in page and ".vis-network" in page   # library inlined


def test_written_file_is_utf8_and_equals_render(tiny_graph, tmp_path):
    path = tmp_path / "out" / "graph.html"
    write_html(tiny_graph, path, title="台州")
    assert path.read_bytes().decode("utf-8") == render_html(tiny_graph, title="台州")
    assert [p.name for p in path.parent.iterdir()] == ["graph.html"]   # no temp files left


def test_same_graph_gives_identical_bytes(tiny_graph):
    reordered = nx.MultiDiGraph(**tiny_graph.graph)
    reordered.add_nodes_from(reversed(list(tiny_graph.nodes(data=True))))
    reordered.add_edges_from(reversed(list(tiny_graph.edges(keys=True, data=True))))
    first = render_html(tiny_graph)
    assert render_html(tiny_graph) == first
    assert render_html(reordered) == first


def test_comentioned_and_mentions_edges_start_hidden(tiny_graph):
    edges = page_data(render_html(tiny_graph))["edges"]
    by_predicate = {e["predicate"]: e for e in edges}
    co = by_predicate["coMentioned"]
    assert co["hidden"] is True and co["width"] < 1
    colour = co["color"]["color"]
    assert colour[1:3] == colour[3:5] == colour[5:7]          # a grey
    assert by_predicate["mentions"]["hidden"] is True
    for p in ("locatedIn", "partOf", "issuedBy", "implements", "publishedBy"):
        assert not by_predicate[p].get("hidden")
        assert by_predicate[p]["label"]
    assert len({e["id"] for e in edges}) == len(edges)
    box = legend(render_html(tiny_graph))
    assert 'type="checkbox" data-predicate="coMentioned"' in box


def test_layout_is_seeded_and_physics_stops_after_stabilisation(tiny_graph):
    page = render_html(tiny_graph)
    options = page_data(page)["options"]
    assert options["layout"]["randomSeed"] == 7
    assert options["physics"]["stabilization"]["enabled"] is True
    assert ('network.once("stabilizationIterationsDone", '
            "() => network.setOptions({physics: false}))") in page


def test_metrics_are_left_out_of_big_graphs():
    g = nx.MultiDiGraph()
    for i in range(2000):
        g.add_node(f"school-{i:04d}", kind="entity", type="School", label=f"第{i}中学")
    g.add_node("metric-1", kind="metric", label="67所", value=67.0, unit="所")
    page = render_html(g)
    ids = {n["id"] for n in page_data(page)["nodes"]}
    assert "metric-1" not in ids and "school-0001" in ids
    assert 'data-type="metric" data-count="1"' in legend(page)


def test_hostile_names_cannot_break_out():
    hostile = one_doc_graph(SCRIPT_XSS, IMG_XSS, f"据{SCRIPT_XSS}称</script>{IMG_XSS}。",
                            f"</title>{IMG_XSS}")
    benign = one_doc_graph("台州市教育局", "行动纲要", "台州市教育局印发行动纲要。", "通知")
    page = render_html(hostile, title=SCRIPT_XSS)
    safe = render_html(benign, title="图谱")
    for payload in (SCRIPT_XSS, IMG_XSS, "</script>" + IMG_XSS, "</title>" + IMG_XSS):
        assert payload not in page
    assert page.count("</title>") == 1
    assert page.count("<script") == safe.count("<script")
    assert page.lower().count("</script") == safe.lower().count("</script")
    assert tags_of(page) == tags_of(safe)          # no element or attribute was injected
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
    nodes = {n["id"]: n for n in page_data(page)["nodes"]}
    assert nodes["agency-1"]["label"] == SCRIPT_XSS   # drawn on canvas, as written
    for tip in (nodes["agency-1"]["title"], nodes["programme-1"]["title"],
                nodes["doc:d1"]["title"]):
        assert "<script" not in tip and "<img" not in tip and "</title" not in tip
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in nodes["agency-1"]["title"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in nodes["programme-1"]["title"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node.js not installed")
def test_inline_scripts_are_valid_javascript(tmp_path):
    g = one_doc_graph(SCRIPT_XSS, IMG_XSS, f"据{SCRIPT_XSS}称</script>。", "通知")
    page = render_html(g)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 2
    for i, code in enumerate(scripts):
        path = tmp_path / f"s{i}.js"
        path.write_text(code, "utf-8")
        result = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
