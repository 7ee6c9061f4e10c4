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


def test_an_edge_more_leaves_the_other_edges_records_as_they_were(tiny_graph):
    """A graph with one edge more gives a page whose other edges are
    written as before, ids and all: the page names an edge by its ends and
    predicate, not by its place in the sorted list, so a rebuild that adds
    one relation changes one record of the page's edges, not every one
    after it."""
    before = page_data(render_html(tiny_graph))["edges"]
    g = tiny_graph.copy()
    first = min(str(n) for n in g)
    g.add_edge(first, first, key="partOf", predicate="partOf", weight=1)
    after = page_data(render_html(g))["edges"]
    assert len(after) == len(before) + 1
    kept = [e for e in after if (e["from"], e["predicate"], e["to"]) != (first, "partOf", first)]
    assert kept == before


def test_comentioned_and_mentions_edges_start_hidden(tiny_graph):
    data = page_data(render_html(tiny_graph))
    edges, styles = data["edges"], data["edge_styles"]
    by_predicate = {e["predicate"]: e for e in edges}
    co = by_predicate["coMentioned"]
    assert co["hidden"] is True and co["width"] < 1
    colour = styles["coMentioned"]["color"]["color"]
    assert colour[1:3] == colour[3:5] == colour[5:7]          # a grey
    assert styles["coMentioned"]["dashes"] is True
    assert by_predicate["mentions"]["hidden"] is True
    for p in ("locatedIn", "partOf", "issuedBy", "implements", "publishedBy"):
        assert not by_predicate[p].get("hidden")
        assert styles[p]["label"]
        assert styles[p]["color"]["color"] != colour
    assert len({(e["from"], e["predicate"], e["to"]) for e in edges}) == len(edges)
    box = legend(render_html(tiny_graph))
    assert 'type="checkbox" data-predicate="coMentioned"' in box


def test_layout_is_precomputed_seeded_and_drawn_without_physics(tiny_graph):
    pytest.importorskip("numpy", reason="the precomputed layout needs numpy")
    page = render_html(tiny_graph)
    data = page_data(page)
    options = data["options"]
    assert options["layout"]["randomSeed"] == 7
    assert options["physics"]["enabled"] is False
    assert options["layout"]["improvedLayout"] is False
    positions = {n["id"]: (n["x"], n["y"]) for n in data["nodes"]}
    assert all(isinstance(x, int) and isinstance(y, int) for x, y in positions.values())
    assert len(set(positions.values())) == len(positions)    # no two nodes on one spot
    xs = [x for x, _ in positions.values()]
    assert max(xs) - min(xs) > 100                            # spread out, in pixels


def test_without_numpy_the_browser_lays_out_and_stops_physics(tiny_graph, monkeypatch):
    import kg.viz
    monkeypatch.setattr(kg.viz, "_np", None)
    page = render_html(tiny_graph)
    data = page_data(page)
    options = data["options"]
    assert options["layout"]["randomSeed"] == 7
    assert options["physics"]["enabled"] is True
    assert options["physics"]["stabilization"]["enabled"] is True
    assert options["physics"]["stabilization"]["iterations"] <= 600
    assert all("x" not in n for n in data["nodes"])
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


# ------------------------------------------------------------ the explorer

def marked(data: dict, item: list) -> list[str]:
    """The texts an evidence item of the page marks in its sentence."""
    text = data["sentences"][item[0]][item[1]]
    return [text[a:b] for a, b in zip(item[2::2], item[3::2])]


def test_legend_filters_every_type_and_offers_document_and_year_filters(tiny_graph):
    page = render_html(tiny_graph)
    box = legend(page)
    for etype in ("Agency", "Place", "School", "Programme", "Initiative", "Event",
                  "document", "metric"):
        assert f'<input type="checkbox" data-filter-type="{etype}" checked>' in box
    assert '<select id="kg-doc">' in box and '<select id="kg-year">' in box
    docs = page_data(page)["docs"]
    assert docs == {"d1": {"node": "doc:d1", "title": "台州教育工作要点",
                           "date": "2020-04-03", "year": 2020}}
    assert 'id="kg-q"' in page and 'id="kg-panel"' in page


def test_panel_data_has_names_aliases_documents_and_metrics(tiny_graph):
    info = page_data(render_html(tiny_graph))["info"]
    ini = info["initiative-1"]
    assert ini["kind"] == "entity" and ini["type"] == "Initiative"
    assert ini["name"] == "城乡教育共同体" and ini["aliases"] == ["教共体"]
    assert ini["docs"] == ["d1"] and ini["evn"] == 1
    assert info["doc:d1"]["name"] == "台州教育工作要点" and info["doc:d1"]["year"] == 2020
    metric = info["metric-1"]
    assert (metric["value"], metric["unit"], metric["indicator"], metric["year"]) == \
        ("67", "所", "建成幼儿园", 2020)
    tiny_graph.nodes["metric-1"]["about"] = "initiative-1"
    info = page_data(render_html(tiny_graph))["info"]
    assert info["initiative-1"]["metrics"] == ["metric-1"]


def test_evidence_marks_the_mention_inside_its_sentence(tiny_graph):
    co_edge = tiny_graph.edges["agency-1", "programme-1", "coMentioned"]
    sentence = co_edge["evidence"][0]["sentence"]      # a co-mention's span is its sentence
    co_edge["evidence"] = [{"doc": "d1", "start": 0, "end": len(sentence), "sentence": sentence}]
    data = page_data(render_html(tiny_graph))
    info = data["info"]
    assert marked(data, info["initiative-1"]["ev"][0]) == ["城乡教育共同体"]
    assert marked(data, info["agency-1"]["ev"][0]) == ["台州市教育局"]
    assert marked(data, info["metric-1"]["ev"][0]) == ["67所"]
    doc, number = info["initiative-1"]["ev"][0][:2]
    assert doc == "d1" and data["sentences"][doc][number].startswith("实施城乡教育共同体")
    edges = {e["predicate"]: e for e in data["edges"]}
    co = edges["coMentioned"]                    # whole sentence: both names marked
    assert co["evn"] == 1 and co["weight"] == 2
    first, second = marked(data, co["ev"][0])
    assert first == "台州市教育局" and second.strip("《》") == "台州教育现代化2035行动纲要"
    assert marked(data, edges["issuedBy"]["ev"][0])[0].startswith("台州市教育局")


def test_marks_are_exact_when_a_name_occurs_twice_in_a_sentence():
    sentence = "台州市教育局会同台州市教育局直属学校开展评估。"
    second = sentence.index("台州市教育局", 1)
    g = one_doc_graph("台州市教育局", "评估", sentence, "通知")
    g.nodes["agency-1"]["evidence"] = [{"doc": "d1", "start": 100 + second,
                                        "end": 100 + second + 6, "sentence": sentence}]
    g.nodes["programme-1"]["evidence"] = [{"doc": "d1", "start": 100 + sentence.index("评估"),
                                           "end": 100 + sentence.index("评估") + 2,
                                           "sentence": sentence}]
    data = page_data(render_html(g))
    item = data["info"]["agency-1"]["ev"][0]
    assert item[2:] == [second, second + 6]        # the second occurrence, not the first


def test_every_evidence_sentence_is_stored_once(tiny_graph):
    data = page_data(render_html(tiny_graph))
    rows = [(doc, text) for doc, texts in data["sentences"].items() for text in texts]
    assert len(rows) == len(set(rows)) == 2


def test_a_change_to_one_document_leaves_the_page_entries_of_the_others():
    """Sentences are numbered by document in the page too: a sentence
    added to one document changes no entry citing only another."""
    def page(first: str) -> dict:
        g = nx.MultiDiGraph()
        for d in ("d1", "d2"):
            g.add_node(f"doc:{d}", kind="document", doc_id=d, title=d)
        g.add_node("a", kind="entity", type="Agency", label="教育局", aliases=[],
                   evidence=[{"doc": "d1", "start": 0, "end": 3, "sentence": first}])
        g.add_node("b", kind="entity", type="Initiative", label="教共体", aliases=[],
                   evidence=[{"doc": "d2", "start": 5, "end": 8, "sentence": "推进教共体。"},
                             {"doc": "d1", "start": 20, "end": 23, "sentence": "深化教共体。"}])
        return page_data(render_html(g))
    before, after = page("教育局部署。"), page("教育局另行部署。")
    assert before["info"]["b"] == after["info"]["b"]
    assert before["sentences"]["d2"] == after["sentences"]["d2"] == ["推进教共体。"]
    assert after["sentences"]["d1"] == ["教育局另行部署。", "深化教共体。"]
    assert marked(after, after["info"]["b"]["ev"][1]) == ["教共体"]


def test_hostile_texts_stay_data_in_the_panel_and_escape_templates():
    text = f"据{IMG_XSS}称{{{{ constructor }}}}。"
    g = one_doc_graph(IMG_XSS, "{{ constructor }}", text, f"{SCRIPT_XSS}通知")
    page = render_html(g, title=IMG_XSS)
    assert IMG_XSS not in page and SCRIPT_XSS not in page
    assert "{{ constructor }}" not in page
    data = page_data(page)
    assert data["info"]["agency-1"]["name"] == IMG_XSS
    assert data["info"]["programme-1"]["name"] == "{{ constructor }}"
    assert data["docs"]["d1"]["title"] == f"{SCRIPT_XSS}通知"
    assert IMG_XSS in data["sentences"]["d1"][0]
    script = re.findall(r"<script>(.*?)</script>", page, re.S)[-1]
    assert ".innerHTML = escapedHtml" in script and script.count("innerHTML") == 1


def test_big_graphs_keep_metrics_in_the_panel_and_start_without_arrows():
    g = nx.MultiDiGraph()
    for i in range(2000):
        g.add_node(f"school-{i:04d}", kind="entity", type="School", label=f"第{i}中学")
        if i:
            g.add_edge(f"school-{i:04d}", f"school-{(i - 1) // 3:04d}", key="partOf",
                       predicate="partOf")
    g.add_node("metric-1", kind="metric", label="67所", value=67.0, unit="所",
               about="school-0001", doc="d1")
    data = page_data(render_html(g))
    assert "metric-1" not in {n["id"] for n in data["nodes"]}
    assert data["info"]["school-0001"]["metrics"] == ["metric-1"]
    assert data["options"]["edges"]["arrows"]["to"]["enabled"] is False
    assert data["options"]["interaction"]["hideEdgesOnDrag"] is True
    import kg.viz
    if kg.viz._np is not None:                   # laid out here: nodes apart
        assert len({(n["x"], n["y"]) for n in data["nodes"]}) > 1900


def test_focus_names_the_node_to_open():
    g = one_doc_graph("台州市教育局", "行动纲要", "台州市教育局印发行动纲要。", "通知")
    assert page_data(render_html(g, focus="agency-1"))["focus"] == "agency-1"
    assert page_data(render_html(g))["focus"] is None
    assert page_data(render_html(g, focus="nowhere"))["focus"] is None


# ------------------------------------------------------------ neighbourhood

def test_neighbourhood_follows_entity_edges_and_brings_documents_and_metrics(tiny_graph):
    from kg.viz import neighbourhood
    tiny_graph.nodes["metric-1"]["about"] = "initiative-1"
    tiny_graph.add_edge("metric-1", "initiative-1", key="about", predicate="about", weight=1,
                        evidence=[])
    one = neighbourhood(tiny_graph, "initiative-1", hops=1)
    assert set(one) == {"initiative-1", "agency-1", "doc:d1", "metric-1"}
    two = neighbourhood(tiny_graph, "initiative-1", hops=2)
    assert set(two) == {"initiative-1", "agency-1", "programme-1", "place-1", "doc:d1",
                        "metric-1"}
    three = neighbourhood(tiny_graph, "initiative-1", hops=3)
    assert "place-2" in three
    assert set(neighbourhood(tiny_graph, "initiative-1", hops=0)) == \
        {"initiative-1", "doc:d1", "metric-1"}
    # every edge between kept nodes, with its attributes; the graph's own too
    assert set(two.edges(keys=True)) == {
        (u, v, k) for u, v, k in tiny_graph.edges(keys=True) if u in two and v in two}
    assert two.edges["agency-1", "initiative-1", "implements"]["evidence"] == \
        tiny_graph.edges["agency-1", "initiative-1", "implements"]["evidence"]
    assert two.graph == tiny_graph.graph
    assert two.nodes["initiative-1"] == tiny_graph.nodes["initiative-1"]


def test_neighbourhood_crosses_co_mentions_only_when_asked():
    from kg.viz import neighbourhood
    g = one_doc_graph("台州市教育局", "行动纲要", "台州市教育局印发行动纲要。", "通知")
    g.remove_edge("programme-1", "agency-1", key="issuedBy")
    assert "programme-1" not in neighbourhood(g, "agency-1", hops=2)
    around = neighbourhood(g, "agency-1", hops=2, co_mentions=True)
    assert "programme-1" in around
    assert around.has_edge("agency-1", "programme-1", key="coMentioned")


def test_neighbourhood_renders_with_the_same_page_and_rejects_unknown_nodes(tiny_graph, tmp_path):
    from kg.errors import GraphError
    from kg.viz import neighbourhood
    sub = neighbourhood(tiny_graph, "agency-1", hops=1)
    path = tmp_path / "around.html"
    write_html(sub, path, title="台州市教育局 周边", focus="agency-1")
    data = page_data(path.read_text("utf-8"))
    assert data["focus"] == "agency-1"
    assert {n["id"] for n in data["nodes"]} == set(sub)
    assert render_html(sub) == render_html(neighbourhood(tiny_graph, "agency-1", hops=1))
    with pytest.raises(GraphError):
        neighbourhood(tiny_graph, "nowhere")


def test_huge_graphs_draw_their_most_connected_nodes_and_say_so(monkeypatch):
    import kg.viz
    monkeypatch.setattr(kg.viz, "PAGE_NODE_LIMIT", 3)
    g = nx.MultiDiGraph()
    for i in range(6):
        g.add_node(f"school-{i}", kind="entity", type="School", label=f"第{i}中学")
    for i in range(1, 6):                          # school-0 is the hub
        g.add_edge("school-0", f"school-{i}", key="partOf", predicate="partOf")
    g.add_edge("school-1", "school-2", key="pairedWith", predicate="pairedWith")
    g.add_node("metric-1", kind="metric", label="67所", value=67.0, unit="所",
               about="school-1", doc="d1")
    g.add_node("metric-2", kind="metric", label="3所", value=3.0, unit="所",
               about="school-5", doc="d1")
    page = render_html(g)
    data = page_data(page)
    assert [n["id"] for n in data["nodes"]] == ["school-0", "school-1", "school-2"]
    assert {(e["from"], e["to"]) for e in data["edges"]} == {
        ("school-0", "school-1"), ("school-0", "school-2"), ("school-1", "school-2")}
    assert data["info"]["school-1"]["metrics"] == ["metric-1"]
    assert "metric-2" not in data["info"]
    assert "连接最多的 3 个实体与文件" in page
    assert "6 个实体" in page                       # the heading counts the whole graph
    monkeypatch.setattr(kg.viz, "PAGE_NODE_LIMIT", 6)
    assert "连接最多" not in render_html(g)


def test_the_page_part_keeps_shown_edges_before_the_heaviest_hidden_ones():
    from kg.viz import page_graph
    g = nx.MultiDiGraph()
    for i in range(5):
        g.add_node(f"e{i}", kind="entity", type="School", label=f"第{i}中学")
    g.add_edge("e0", "e1", key="partOf", predicate="partOf", weight=1)
    g.add_edge("e0", "e2", key="coMentioned", predicate="coMentioned", weight=5)
    g.add_edge("e1", "e2", key="coMentioned", predicate="coMentioned", weight=2)
    g.add_edge("e0", "e3", key="coMentioned", predicate="coMentioned", weight=9)
    g.add_edge("e3", "e4", key="partOf", predicate="partOf", weight=1)
    assert page_graph(g, limit=5) is g
    part = page_graph(g, limit=4, edge_limit=2)          # e4 has the fewest neighbours
    assert sorted(part.nodes) == ["e0", "e1", "e2", "e3"] and part.graph["page_part"]
    assert sorted(part.edges(keys=True)) == [("e0", "e1", "partOf"), ("e0", "e3", "coMentioned")]


def test_the_page_of_a_loaded_graph_is_the_page_of_the_build(tmp_path):
    """Evidence held as records by a build and as dicts by graph.json
    mark the same words on the page."""
    from kg.graph import load_graph
    from kg.pipeline import build
    from kg.viz import stream_html
    from tests.conftest import SEEDS
    out = tmp_path / "out"
    built = build([SEEDS / "003_69bc8e8bdc138787.txt"], out, cache=False)
    stream_html(built.graph, tmp_path / "built.html", title="edukg")
    stream_html(load_graph(out), tmp_path / "loaded.html", title="edukg")
    page = (tmp_path / "built.html").read_bytes()
    assert page == (tmp_path / "loaded.html").read_bytes() == (out / "graph.html").read_bytes()
    assert b"\xe5\x8f\xb0\xe5\xb7\x9e" in page  # 台州
