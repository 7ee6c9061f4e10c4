"""kg export: every format from graph.json, meaning-preserving and stable."""
import networkx as nx
import pytest
import rdflib
from click.testing import CliRunner

from kg.cli import main
from kg.errors import GraphError
from kg.model import Evidence
from kg.pipeline import build

DOC = ("台州市教育局2020年工作要点\n发布日期:2020-04-03\n"
       "台州市教育局联合台州市财政局实施“初中崛起”工程,新建幼儿园67所。\n")
RDFLIB = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig", "nq": "nquads",
          "rdfxml": "xml"}


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    (root / "d.txt").write_text(DOC, "utf-8")
    build([root / "d.txt"], root / "o")
    return root / "o"


def triples(path, fmt):
    if fmt in ("trig", "nq"):
        ds = rdflib.Dataset()
        ds.parse(path, format=RDFLIB[fmt])
        return {(s, p, o) for s, p, o, _ in ds.quads()}
    return set(rdflib.Graph().parse(path, format=RDFLIB[fmt]))


@pytest.mark.parametrize("fmt", sorted(RDFLIB))
def test_every_rdf_format_holds_the_same_triples_as_the_turtle(out, fmt, tmp_path):
    target = tmp_path / f"g.{fmt}"
    res = CliRunner().invoke(main, ["export", "--format", fmt, "--graph", str(out), "-o", str(target)])
    assert res.exit_code == 0, res.output
    assert triples(target, fmt) == triples(out / "graph.ttl", "ttl")


def test_export_is_byte_identical_across_runs(out, tmp_path):
    for name in ("a", "b"):
        CliRunner().invoke(main, ["export", "--format", "jsonld", "--graph", str(out),
                                  "-o", str(tmp_path / name)])
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


def test_graphml_keeps_nodes_edges_and_chinese(out, tmp_path):
    CliRunner().invoke(main, ["export", "--format", "graphml", "--graph", str(out),
                              "-o", str(tmp_path / "g.graphml")])
    h = nx.read_graphml(tmp_path / "g.graphml")
    g = nx.node_link_graph(__import__("json").loads((out / "graph.json").read_text("utf-8")),
                           edges="edges")
    assert h.number_of_nodes() == g.number_of_nodes() and h.number_of_edges() == g.number_of_edges()
    assert any(d.get("label") == "初中崛起工程" for _, d in h.nodes(data=True))


def test_export_of_a_missing_build_is_a_clear_error(tmp_path):
    res = CliRunner().invoke(main, ["export", "--graph", str(tmp_path)])
    assert res.exit_code == 1 and "no graph" in res.output


def test_graph_json_in_pieces_is_node_link_json(tmp_path):
    import json
    from kg.graph import FORMAT, graph_to_json, iter_graph_json, write_graph_json
    g = nx.MultiDiGraph(format="edukg-graph/1")
    g.add_node("b", kind="entity", label="乙<&>", aliases=["\u2028"])
    g.add_node("a", kind="document", id="ignored")
    g.add_edge("b", "a", key="mentions", predicate="mentions", weight=1, evidence=[])
    g.add_edge("a", "b", key="coMentioned", predicate="coMentioned", weight=2, evidence=[])
    data = nx.node_link_data(g, edges="edges")
    data["nodes"].sort(key=lambda n: n["id"])
    data["edges"].sort(key=lambda e: (e["source"], e["key"], e["target"]))
    data["sentences"] = {}   # no evidence, no sentence texts
    data["graph"]["format"] = FORMAT   # the format written, whatever the graph says
    expected = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"
    assert graph_to_json(g) == expected
    assert "".join(iter_graph_json(g, batch=1)) == expected
    write_graph_json(g, tmp_path / "g.json")
    assert (tmp_path / "g.json").read_text("utf-8") == expected


def test_graph_json_writes_the_sentences_of_a_few_documents_at_a_time():
    """The sentences come in pieces of some documents each, never as one
    string (at 16M characters of text they are 60 MB)."""
    import json
    from kg.graph import iter_graph_json
    g = nx.MultiDiGraph()
    g.add_node("a", kind="entity", label="甲",
               evidence=[Evidence(f"d{i:03d}", 0, 2, f"第{i}号文件的一句。") for i in range(300)])
    pieces = list(iter_graph_json(g))
    texts = json.loads("".join(pieces))["sentences"]
    assert len(texts) == 300 and texts["d299"] == ["第299号文件的一句。"]
    assert max(p.count("号文件的一句") for p in pieces) < 300 - 64


def _evidence_graph():
    ev = {"doc": "d1", "start": 0, "end": 5, "sentence": "实施教共体"}
    other = {"doc": "d1", "start": 6, "end": 9, "sentence": "“双减”"}
    g = nx.MultiDiGraph(format="edukg-graph/2")
    g.add_node("a", kind="entity", label="甲", evidence=[ev, other])
    g.add_node("b", kind="entity", label="乙", evidence=[ev])
    g.add_edge("a", "b", key="implements", predicate="implements", weight=1,
               evidence=[dict(ev)])
    return g


def test_graph_json_writes_each_sentence_once(tmp_path):
    import json
    from kg.graph import write_graph_json
    write_graph_json(_evidence_graph(), tmp_path / "g.json")
    text = (tmp_path / "g.json").read_text("utf-8")
    assert text.count("实施教共体") == 1 and text.count("双减") == 1
    data = json.loads(text)
    # by document, in order of first citation
    assert data["sentences"] == {"d1": ["实施教共体", "“双减”"]}
    assert data["edges"][0]["evidence"] == [{"doc": "d1", "end": 5, "sentence": 0, "start": 0}]
    assert [ev["sentence"] for ev in data["nodes"][0]["evidence"]] == [0, 1]


def test_a_change_to_one_document_renumbers_no_other_documents_sentences(tmp_path):
    """Two builds whose documents differ only in one have the same records
    for every other document's sentences: a diff of graph.json shows what
    changed, not every sentence cited after it."""
    import json
    from kg.graph import write_graph_json

    def written(first_sentence: str):
        g = nx.MultiDiGraph(format="edukg-graph/3")
        g.add_node("a", kind="entity", label="甲",
                   evidence=[Evidence("d1", 0, 2, first_sentence), Evidence("d2", 0, 2, "乙句")])
        g.add_node("b", kind="entity", label="乙",
                   evidence=[Evidence("d2", 3, 5, "丙句"), Evidence("d1", 9, 12, "丁句")])
        write_graph_json(g, tmp_path / "g.json")
        return json.loads((tmp_path / "g.json").read_text("utf-8"))
    before, after = written("甲句"), written("改过的甲句")
    assert before["sentences"]["d2"] == after["sentences"]["d2"] == ["乙句", "丙句"]
    assert before["sentences"]["d1"] == ["甲句", "丁句"]
    assert after["sentences"]["d1"] == ["改过的甲句", "丁句"]
    for b, a in zip(before["nodes"], after["nodes"]):
        assert [ev for ev in b["evidence"] if ev["doc"] == "d2"] == \
            [ev for ev in a["evidence"] if ev["doc"] == "d2"]


def test_load_graph_puts_the_sentences_back(tmp_path):
    from kg.graph import load_graph, write_graph_json
    g = _evidence_graph()
    write_graph_json(g, tmp_path / "graph.json")
    h = load_graph(tmp_path)

    def plain(attrs):
        return {**attrs, "evidence": [dict(ev) for ev in attrs["evidence"]]}
    assert {n: plain(a) for n, a in h.nodes(data=True)} == \
        {n: plain(a) for n, a in g.nodes(data=True)}
    assert [(u, v, k, plain(d)) for u, v, k, d in h.edges(keys=True, data=True)] == \
        [(u, v, k, plain(d)) for u, v, k, d in g.edges(keys=True, data=True)]
    # the records are the model's Evidence, as in a built graph
    assert all(isinstance(ev, Evidence) for ev in h.nodes["a"]["evidence"])
    # one record per sentence in memory, however many cite it
    assert h.nodes["a"]["evidence"][0] is h.nodes["b"]["evidence"][0] \
        is h.edges["a", "b", "implements"]["evidence"][0]


def test_load_graph_reads_format_1(tmp_path):
    """Builds written before the sentence table still load (inline sentences)."""
    import json
    from kg.graph import FORMAT, load_graph
    g = _evidence_graph()
    g.graph["format"] = "edukg-graph/1"
    (tmp_path / "graph.json").write_text(json.dumps(nx.node_link_data(g, edges="edges"),
                                                    ensure_ascii=False), "utf-8")
    h = load_graph(tmp_path)
    assert h.nodes["a"]["evidence"][1]["sentence"] == "“双减”"
    assert h.graph["format"] == FORMAT


def test_load_graph_reads_format_2(tmp_path):
    """Builds written with one sentence list for all documents still load."""
    import json
    from kg.graph import FORMAT, load_graph
    data = {"directed": True, "multigraph": True, "graph": {"format": "edukg-graph/2"},
            "nodes": [{"id": "a", "kind": "entity", "label": "甲",
                       "evidence": [{"doc": "d2", "start": 0, "end": 2, "sentence": 1},
                                    {"doc": "d1", "start": 4, "end": 6, "sentence": 0}]}],
            "edges": [], "sentences": ["实施教共体", "“双减”"]}
    (tmp_path / "graph.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    h = load_graph(tmp_path)
    assert h.nodes["a"]["evidence"] == [Evidence("d2", 0, 2, "“双减”"),
                                        Evidence("d1", 4, 6, "实施教共体")]
    assert h.graph["format"] == FORMAT


def test_graph_json_citing_a_missing_sentence_is_a_clear_error(tmp_path):
    import json
    from kg.graph import load_graph, write_graph_json
    write_graph_json(_evidence_graph(), tmp_path / "graph.json")
    data = json.loads((tmp_path / "graph.json").read_text("utf-8"))
    data["sentences"]["d1"] = data["sentences"]["d1"][:1]
    (tmp_path / "graph.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(GraphError, match="damaged"):
        load_graph(tmp_path)
    data["sentences"] = {}   # no sentence of the document at all
    (tmp_path / "graph.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    with pytest.raises(GraphError, match="damaged"):
        load_graph(tmp_path)


def test_graph_json_keeps_evidence_of_other_shapes(tmp_path):
    """Records a caller made without the usual fields round-trip unchanged."""
    from kg.graph import load_graph, write_graph_json
    g = _evidence_graph()
    g.add_edge("b", "a", key="partOf", predicate="partOf", weight=2.5,
               evidence=[{"doc": "d2"}, {"doc": "d2", "start": 1, "end": 2, "sentence": "句"}])
    g.add_node("c", kind="entity", label="丙", evidence=["一句话"])
    write_graph_json(g, tmp_path / "graph.json")
    h = load_graph(tmp_path)
    loaded, made = h.edges["b", "a", "partOf"], g.edges["b", "a", "partOf"]
    assert loaded["weight"] == made["weight"] == 2.5
    assert [dict(ev) for ev in loaded["evidence"]] == made["evidence"]
    assert h.nodes["c"]["evidence"] == ["一句话"]


def test_graph_json_spells_node_records_of_every_shape_beside_any_text(tmp_path):
    """A node's records, however made, are numbered in order of citation
    within their document; a name spelt like the writer's own marker
    changes nothing."""
    import json
    from kg.graph import load_graph, write_graph_json
    marker = "\x00evidence\x00"
    records = [Evidence("d1", 0, 5, "实施教共体"), {"doc": "d2"}, "一句话",
               {"doc": "d3", "start": 1, "end": 2, "sentence": "新句"}]
    g = _evidence_graph()
    g.add_node("c", kind="entity", label="丙", evidence=list(records))
    g.add_node("d", kind="entity", label=marker, aliases=[marker], evidence=list(records))
    write_graph_json(g, tmp_path / "graph.json")
    data = json.loads((tmp_path / "graph.json").read_text("utf-8"))
    assert data["sentences"] == {"d1": ["实施教共体", "“双减”"], "d3": ["新句"]}
    spelt = [{"doc": "d1", "end": 5, "sentence": 0, "start": 0}, {"doc": "d2"}, "一句话",
             {"doc": "d3", "end": 2, "sentence": 0, "start": 1}]
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["c"] == {"evidence": spelt, "id": "c", "kind": "entity", "label": "丙"}
    assert nodes["d"] == {"aliases": [marker], "evidence": spelt, "id": "d", "kind": "entity",
                          "label": marker}
    h = load_graph(tmp_path)
    assert h.nodes["d"]["label"] == marker
    assert [ev if isinstance(ev, str) else dict(ev) for ev in h.nodes["d"]["evidence"]] == \
        [records[0].to_dict(), *records[1:]]


def test_a_graph_built_by_consuming_the_extraction_is_the_same_graph(tiny_extraction):
    import copy

    from kg.graph import build_graph, graph_to_json
    kept = copy.deepcopy(tiny_extraction)
    moved = copy.deepcopy(tiny_extraction)
    g = build_graph(moved, consume=True)
    assert graph_to_json(g) == graph_to_json(build_graph(kept))
    assert kept == tiny_extraction   # without consume, the extraction is left as it was
    assert moved.relations == [] and moved.metrics == []
    assert moved.entities == tiny_extraction.entities
    assert moved.documents == tiny_extraction.documents


def test_a_build_keeps_documents_and_entities_and_moves_the_rest_into_the_graph(out, tmp_path):
    (tmp_path / "d.txt").write_text(DOC, "utf-8")
    result = build([tmp_path / "d.txt"])
    assert [d.doc_id for d in result.extraction.documents] == ["d"]
    assert "初中崛起工程" in {e.name for e in result.extraction.entities}
    assert result.extraction.relations == [] and result.extraction.metrics == []
    kinds = [a.get("kind") for _, a in result.graph.nodes(data=True)]
    assert kinds.count("metric") >= 1
    assert any(k == "implements" for _, _, k in result.graph.edges(keys=True))


def test_the_graph_cites_the_extractions_evidence_records_without_copies(tiny_extraction):
    from kg.graph import build_graph
    g = build_graph(tiny_extraction)
    records = {}
    for e in tiny_extraction.entities:
        for ev in e.evidence:
            records.setdefault(ev, ev)
    cited = [ev for _, a in g.nodes(data=True) for ev in a.get("evidence") or []]
    cited += [ev for *_, d in g.edges(keys=True, data=True) for ev in d.get("evidence") or []]
    assert cited and all(isinstance(ev, Evidence) for ev in cited)
    # a span cited by an entity and by its edges is the entity's own record
    shared = [ev for ev in cited if ev in records]
    assert shared and all(ev is records[ev] for ev in shared)
    # and it reads like its graph.json record
    ev = shared[0]
    assert ev["doc"] == ev.doc_id and dict(ev) == ev.to_dict()
