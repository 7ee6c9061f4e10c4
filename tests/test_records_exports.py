"""A build writes its exports from the extraction (kg.graph.GraphRecords),
without making the graph: graph.json and the page are byte for byte what
the graph gives, whether the page draws the whole graph or a part."""
from __future__ import annotations

from pathlib import Path

import pytest

from kg import viz
from kg.graph import GraphRecords, append_json_tail, build_graph, write_graph_json, write_json_head
from kg.pipeline import build, link, process_file
from kg.gazetteer import load_gazetteer
from kg.viz import iter_records_html, render_html

from .test_rdf_turtle import _awkward_extraction

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def seeds_extraction():
    results = [process_file(str(p), p.stem) for p in sorted(SEEDS.glob("*.txt"))]
    return link(results, load_gazetteer())


@pytest.fixture(params=["tiny", "awkward", "seeds"])
def extraction(request, tiny_extraction, seeds_extraction):
    return {"tiny": lambda: tiny_extraction,
            "awkward": lambda: _awkward_extraction(tiny_extraction),
            "seeds": lambda: seeds_extraction}[request.param]()


@pytest.mark.parametrize("lead", [0, 0.3, 1])
def test_graph_json_of_the_records_is_the_graph_s(extraction, lead, tmp_path):
    records, g = GraphRecords(extraction), build_graph(extraction)
    write_graph_json(g, tmp_path / "graph.json")
    write_graph_json(records, tmp_path / "records.json")
    assert (tmp_path / "records.json").read_bytes() == (tmp_path / "graph.json").read_bytes()
    # in two halves, as two processes write it: both from the records
    first = int(len(records) * lead)
    sentences = write_json_head(records, tmp_path / "halves.json", first)
    append_json_tail(GraphRecords(extraction).nodes(first), sentences, tmp_path / "halves.json",
                     first=not first)
    assert (tmp_path / "halves.json").read_bytes() == (tmp_path / "graph.json").read_bytes()


@pytest.mark.parametrize("limit, edge_limit", [(None, None), (3, 5), (10, 40), (20, 1),
                                               (30, 10_000), (1, 0)])
def test_the_page_of_the_records_is_the_graph_s(extraction, monkeypatch, limit, edge_limit):
    """With the limits of the seeds' graph (the whole graph drawn), and
    with small ones, as a large corpus has them (a part drawn: the most
    connected nodes, ties by id, the edges between them by rank)."""
    if limit is not None:
        monkeypatch.setattr(viz, "PAGE_NODE_LIMIT", limit)
        monkeypatch.setattr(viz, "PAGE_EDGE_LIMIT", edge_limit)
    g = build_graph(extraction)
    page = "".join(iter_records_html(GraphRecords(extraction), "edukg"))
    assert page == render_html(g, "edukg")
    if limit is not None and len(g) > limit:
        assert f"图中只绘出连接最多的 {limit} 个实体与文件" in page


def test_the_records_count_what_the_graph_holds(extraction):
    records, g = GraphRecords(extraction), build_graph(extraction)
    kinds: dict = {}
    for _, a in g.nodes(data=True):
        k = a.get("type") if a.get("kind") == "entity" else a.get("kind")
        kinds[k] = kinds.get(k, 0) + 1
    assert records.sizes() == (kinds, g.number_of_edges())
    assert len(records) == len(g)
    main = [n for n, a in g.nodes(data=True) if a.get("kind") != "metric"]
    assert records.neighbours() == {n: len(g.succ[n]) + len(g.pred[n]) for n in main}


def test_a_build_with_an_output_folder_makes_no_graph_until_asked(tmp_path):
    """The exports come from the extraction; the graph of the result is
    made when first asked for, the same as a build without outputs gives."""
    seeds = sorted(SEEDS.glob("*.txt"))[:3]
    for workers in (1, 2):
        written = build(seeds, tmp_path / f"o{workers}", workers=workers, cache=False)
        assert written.made is None
        plain = build(seeds, workers=workers, cache=False)
        assert written.sizes() == plain.sizes()
        assert sorted(written.graph.nodes(data=True)) == sorted(plain.graph.nodes(data=True))
        assert sorted((u, v, k) for u, v, k in written.graph.edges(keys=True)) == \
            sorted((u, v, k) for u, v, k in plain.graph.edges(keys=True))


def test_linking_hands_its_relations_over_sorted_and_says_so(seeds_extraction):
    """The writers take the linking's word for the order (they sort an
    extraction that does not give it)."""
    from kg.graph import RELATION_ORDER
    from kg.model import Extraction
    assert seeds_extraction.relations_sorted
    assert seeds_extraction.relations == sorted(seeds_extraction.relations, key=RELATION_ORDER)
    assert not Extraction().relations_sorted
