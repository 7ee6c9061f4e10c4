"""kg export: every format from graph.json, meaning-preserving and stable."""
import networkx as nx
import pytest
import rdflib
from click.testing import CliRunner

from kg.cli import main
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
    from kg.graph import graph_to_json, iter_graph_json, write_graph_json
    g = nx.MultiDiGraph(format="edukg-graph/1")
    g.add_node("b", kind="entity", label="乙<&>", aliases=["\u2028"])
    g.add_node("a", kind="document", id="ignored")
    g.add_edge("b", "a", key="mentions", predicate="mentions", weight=1, evidence=[])
    g.add_edge("a", "b", key="coMentioned", predicate="coMentioned", weight=2, evidence=[])
    data = nx.node_link_data(g, edges="edges")
    data["nodes"].sort(key=lambda n: n["id"])
    data["edges"].sort(key=lambda e: (e["source"], e["key"], e["target"]))
    expected = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"
    assert graph_to_json(g) == expected
    assert "".join(iter_graph_json(g, batch=1)) == expected
    write_graph_json(g, tmp_path / "g.json")
    assert (tmp_path / "g.json").read_text("utf-8") == expected
