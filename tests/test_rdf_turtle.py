"""The Turtle writer of kg/rdf.py: byte for byte what pyoxigraph's serializer
gives for the same triples, streamed, and the N-Triples path unchanged."""
from __future__ import annotations

import gc
import json
import random

import networkx as nx
import pyoxigraph as ox
import pytest

from kg.graph import GraphRecords, build_graph
from kg.model import Document, Entity, Evidence, Extraction, Metric, Relation
from kg.rdf import BASE, PREFIXES, iter_ntriples, serialize, stream_rdf, to_turtle
from kg.rdf import _TurtleSpelling, _XSD
from tests.conftest import SEEDS

OX_PREFIXES = {k: str(v) for k, v in PREFIXES.items()}
#: Characters of the local names node_iri makes (percent-encoded segments).
LOCAL = "aZ09_.-~%/"
#: Characters that literals must escape or keep as they are.
TEXT = 'a教 "\\\n\r\t\b\f\x00\x01\x1f\x7f\x85\u2028\u200b\ufeff\ufffe\uffff\U0001F600{}<>'


def pyoxigraph_turtle(g: nx.MultiDiGraph) -> bytes:
    """The Turtle pyoxigraph writes for the graph's N-Triples (as before)."""
    nt = "".join(line + "\n" for line in iter_ntriples(g)).encode("utf-8")
    triples = ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=OX_PREFIXES)


def one_object(term) -> str:
    """How pyoxigraph writes ``term`` as the object of a triple."""
    node = ox.NamedNode("http://example.org/s")
    text = ox.serialize([ox.Triple(node, node, term)], format=ox.RdfFormat.TURTLE,
                        prefixes=OX_PREFIXES).decode("utf-8")
    line = text.rstrip("\n").split("\n")[-1]
    return line[len("<http://example.org/s> <http://example.org/s> "):-len(" .")]


@pytest.fixture
def busy_graph():
    """Several documents, aliases, metrics, co-mentions and shared evidence."""
    docs, ents, rels, mets = [], [], [], []
    for d in range(3):
        doc_id = f"文件 {d}.txt"
        docs.append(Document(doc_id=doc_id, path=f"/tmp/{d}.txt", text="x", title=f"标题{{{d}}}",
                             date=["2021", "2021-02-30", "2022-03-04"][d]))
        for i in range(4):
            ev = Evidence(doc_id, 10 * i, 10 * i + 3, f'句子"{i}"\t{TEXT}')
            ents.append(Entity(f"school-{d}-{i}", "School", f"学校{d}{i}",
                               (f"别名{i}", f"又名{i}", "-x."), (ev, ev)))
            rels.append(Relation(f"doc:{doc_id}", "mentions", f"school-{d}-{i}", (ev,)))
            if i:
                rels.append(Relation(f"school-{d}-{i}", "partOf", f"school-{d}-0", (ev,)))
        mets.append(Metric(f"metric-{d}", doc_id, [30000.0, 12.5, 7][d], "个", "指标",
                           "3万余个", approximate=bool(d % 2)))
    return build_graph(Extraction(docs, ents, rels, mets, {}))


def test_turtle_is_what_pyoxigraph_wrote(tiny_graph, busy_graph, tmp_path):
    for g in (tiny_graph, busy_graph):
        path = tmp_path / "g.ttl"
        stream_rdf(g, path, "ttl")
        assert path.read_bytes() == pyoxigraph_turtle(g) == serialize(g, "ttl")
        assert to_turtle(g).encode("utf-8") == path.read_bytes()


def test_turtle_of_hostile_names_is_what_pyoxigraph_wrote(tmp_path):
    from tests.test_rdf import HOSTILE, HOSTILE_DOCS
    docs, ents, rels = [], [], []
    for i, doc_id in enumerate(HOSTILE_DOCS + ("-lead", "trail.", "~t", "100%", "")):
        docs.append(Document(doc_id=doc_id, path=f"/tmp/{i}.txt", text="x", title=HOSTILE,
                             date="2021"))
        ev = Evidence(doc_id, 0, 1, HOSTILE)
        ents.append(Entity(f"school-{i}", "School", HOSTILE + str(i), (HOSTILE,), (ev,)))
        rels.append(Relation(f"doc:{doc_id}", "mentions", f"school-{i}", (ev,)))
    g = build_graph(Extraction(docs, ents, rels, [], {}))
    path = tmp_path / "h.ttl"
    stream_rdf(g, path, "ttl")
    assert path.read_bytes() == pyoxigraph_turtle(g)


def test_iris_and_literals_are_spelt_as_pyoxigraph_spells_them():
    rng = random.Random(5)
    t = _TurtleSpelling()
    names = ["", ".", "..", "-", "_", "0", "a.", ".a", "-a", "a-", "a.b", "ev/0f", "x%2E%2E"]
    names += ["".join(rng.choice(LOCAL) for _ in range(rng.randrange(1, 8))) for _ in range(500)]
    for name in names:
        if "%" in name and not all(c in "0123456789ABCDEFabcdef"
                                   for part in name.split("%")[1:] for c in part[:2]):
            continue  # not a valid IRI: node_iri never makes one
        if any(len(part) < 2 for part in name.split("%")[1:]):
            continue
        assert t.iri(BASE + name) == one_object(ox.NamedNode(BASE + name)), name
    for _ in range(300):
        text = "".join(rng.choice(TEXT) for _ in range(rng.randrange(0, 10)))
        assert t.literal(text) == one_object(ox.Literal(text))
        assert t.literal(text, lang="zh") == one_object(ox.Literal(text, language="zh"))
    for lexical, datatype in [("5", "integer"), ("-12", "integer"), ("1.50", "decimal"),
                              ("-0.5", "decimal"), ("30000", "decimal"), ("true", "boolean"),
                              ("false", "boolean"), ("2021", "gYear"), ("2021-01-02", "date")]:
        iri = _XSD + datatype
        literal = ox.Literal(lexical, datatype=ox.NamedNode(iri))
        assert t.literal(lexical, iri) == one_object(literal)
    assert t.number(-7) == "-7" and t.integer("2021") == "2021" and t.integer("x") is None


def test_empty_graph_gives_empty_turtle(tmp_path):
    path = tmp_path / "e.ttl"
    stream_rdf(nx.MultiDiGraph(), path, "ttl")
    assert path.read_bytes() == b"" == serialize(nx.MultiDiGraph(), "ttl")


def test_n_triples_and_other_formats_still_come_from_the_lines(busy_graph, tmp_path):
    lines = list(iter_ntriples(busy_graph))
    path = tmp_path / "g.nt"
    stream_rdf(busy_graph, path, "nt")
    assert path.read_text("utf-8") == "".join(line + "\n" for line in lines)
    assert len(lines) == len(set(lines)) > 100
    stream_rdf(busy_graph, tmp_path / "g.trig", "trig")
    quads = list(ox.parse(path=str(tmp_path / "g.trig"), format=ox.RdfFormat.TRIG))
    assert {str(q.triple) for q in quads} == {
        str(t) for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)}


def test_exports_leave_the_garbage_collector_as_they_found_it(busy_graph, tmp_path):
    from kg.viz import render_html
    assert gc.isenabled()
    stream_rdf(busy_graph, tmp_path / "g.ttl", "ttl")
    render_html(busy_graph)
    assert gc.isenabled()
    gc.disable()
    try:
        stream_rdf(busy_graph, tmp_path / "g.nt", "nt")
        render_html(busy_graph)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_records_written_as_one_run_are_what_pyoxigraph_wrote(tmp_path):
    """Evidence records, reified statements and metrics are spelt as one
    run each; with and without their optional parts, cited again and again,
    and beside edges of the same predicate under other keys, the Turtle is
    still pyoxigraph's."""
    doc = Document(doc_id="d", path="/tmp/d.txt", text="x", title="t", date="2021")
    said = Evidence("d", 0, 2, "学校甲与学校乙")
    unsaid = Evidence("d", 5, 9, "")
    ents = [Entity("school-a", "School", "学校甲", (), (said, unsaid)),
            Entity("school-b", "School", "学校乙", ("乙校",), (said,))]
    rels = [Relation("school-a", "coMentioned", "school-b", (said,), weight=3),
            Relation("school-a", "pairedWith", "school-b", (unsaid, said)),
            Relation("school-b", "partOf", "school-a", (), weight=2),
            Relation("doc:d", "mentions", "school-a", (said, unsaid))]
    mets = [Metric("metric-bare", "d", 7, "", "", "7"),
            Metric("metric-full", "d", 2.5, "所", "建成学校", "2.5所", year=2021,
                   comparator="ge", approximate=True, about="school-a", evidence=unsaid,
                   status="target", place="school-b")]
    g = build_graph(Extraction([doc], ents, rels, mets, {"d": "school-a"}))
    # a second edge of one predicate under another key: its statement again
    g.add_edge("school-a", "school-b", key="paired-again", predicate="pairedWith", weight=1,
               evidence=[said.to_dict()])
    # and an unasserted one: its statement's run follows itself
    g.add_edge("school-a", "school-b", key="coMentioned-again", predicate="coMentioned",
               weight=3, evidence=[said.to_dict()])
    path = tmp_path / "g.ttl"
    stream_rdf(g, path, "ttl")
    text = path.read_bytes()
    assert text == pyoxigraph_turtle(g)
    assert text.count(b"a edukg:Evidence") == 2   # each record once, however often cited
    assert b"edukg:sentence" in text and b"edukg:weight 3" in text
    assert b" ;\n\ta rdf:Statement" in text   # the statement's run went on after itself


def test_each_evidence_record_is_written_once_whatever_its_offsets(tmp_path):
    """Records are remembered by a number made of document and offsets;
    offsets too large for it, and equal offsets in two documents, still
    give one record per span."""
    from kg.rdf import evidence_iri
    big = 1 << 25
    spans = [("d1", 0, 4), ("d2", 0, 4), ("d1", big, big + 4), ("d1", 3, big)]
    g = nx.MultiDiGraph()
    for i, (doc, start, end) in enumerate(spans):
        record = {"doc": doc, "start": start, "end": end, "sentence": f"句子{i}"}
        g.add_node(f"e{i}", kind="entity", type="School", label=f"学校{i}",
                   evidence=[record, dict(record)])
        g.add_edge(f"e{i}", "e0", key="coMentioned", predicate="coMentioned", weight=1,
                   evidence=[dict(record)])
    path = tmp_path / "g.ttl"
    stream_rdf(g, path, "ttl")
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    records = {t.subject.value for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
               if t.predicate.value == rdf_type and t.object.value.endswith("Evidence")}
    assert records == {str(evidence_iri(*span)) for span in spans}
    assert path.read_text("utf-8").count("a edukg:Evidence") == len(spans)


@pytest.mark.parametrize("spelling", ["nt", "ttl"])
def test_a_node_of_a_plain_id_is_spelt_as_any_other_node(spelling):
    from kg.rdf import _node_iri_text, _Spelling, _TurtleSpelling
    t = _TurtleSpelling() if spelling == "ttl" else _Spelling()
    for node in ["metric-0a1b2c3d4e5f", "initiative-9f", "_x", "0", "A_b-c", "a-", "-a", "a.b",
                 "a:b", "doc:x", "中文", "a b", "a~b", "a%20", "."]:
        iri = _node_iri_text(node)
        assert t.node_pair(node) == (iri, t.iri(iri)), node


# -- the Turtle of an extraction read without its graph (GraphRecords) -------

def _graph_edges(g):
    """The graph's edges as GraphRecords gives them: sorted by source, key
    and target, with plain attribute dictionaries."""
    return sorted(((u, v, k, dict(d)) for u, v, k, d in g.edges(keys=True, data=True)),
                  key=lambda e: (e[0], e[2], e[1]))


def _awkward_extraction(tiny: Extraction) -> Extraction:
    """``tiny`` with what a graph drops or replaces: a relation stated twice
    (the graph keeps the later), a relation to no entity, a metric of a
    document the extraction lacks, a metric about an entity in a place."""
    d1 = "doc:d1"
    first = Relation("agency-1", "implements", "initiative-1", (Evidence("d1", 0, 6, "甲"),))
    again = Relation("agency-1", "implements", "initiative-1", (Evidence("d1", 7, 9, "乙"),), 3)
    ghost = Relation("agency-1", "locatedIn", "place-404", ())
    orphan = Metric("metric-0", "d404", 3.0, "所", "学校", "3所", 2021, "eq", False, "",
                    Evidence("d404", 1, 3, "建成3所学校。"))
    placed = Metric("metric-2", "d1", 5.0, "个", "教共体", "5个", 2020, "eq", True,
                    about="initiative-1", evidence=Evidence("d1", 40, 42, "5个"),
                    status="target", place="place-1")
    rels = [r for r in tiny.relations if (r.subject, r.predicate) != ("agency-1", "implements")]
    rels = [first, *rels, again, ghost, Relation(d1, "mentions", "place-1", ())]
    return Extraction(tiny.documents, tiny.entities, rels, [*tiny.metrics, orphan, placed],
                      tiny.publishers)


@pytest.mark.parametrize("awkward", [False, True])
def test_graph_records_are_the_nodes_and_edges_of_the_graph(tiny_extraction, awkward):
    ex = _awkward_extraction(tiny_extraction) if awkward else tiny_extraction
    relations, metrics = list(ex.relations), list(ex.metrics)
    records = GraphRecords(ex)
    g = build_graph(ex)
    assert [(n, dict(a)) for n, a in records.nodes()] == \
        [(n, dict(a)) for n, a in sorted(g.nodes(data=True))]
    assert list(records.edges()) == _graph_edges(g)
    assert ex.relations == relations and ex.metrics == metrics   # read, not consumed
    if awkward:
        assert "metric-0" in records and "doc:d404" in records and "place-404" not in records
        edge = g.edges["agency-1", "initiative-1", "implements"]
        assert edge["weight"] == 3 and [e.sentence for e in edge["evidence"]] == ["乙"]


def test_the_turtle_of_graph_records_is_the_graph_s(tiny_extraction, tmp_path):
    ex = _awkward_extraction(tiny_extraction)
    stream_rdf(GraphRecords(ex), tmp_path / "records.ttl")
    stream_rdf(build_graph(ex), tmp_path / "graph.ttl")
    text = (tmp_path / "records.ttl").read_bytes()
    assert text == (tmp_path / "graph.ttl").read_bytes()
    assert b"place-404" not in text and "乙".encode() in text and "甲".encode() not in text


def test_the_turtle_of_the_seeds_extraction_is_the_graph_s(tmp_path):
    from kg.gazetteer import load_gazetteer
    from kg.pipeline import link, process_file
    results = [process_file(str(p), p.stem) for p in sorted(SEEDS.glob("*.txt"))]
    ex = link(results, load_gazetteer())
    stream_rdf(GraphRecords(ex), tmp_path / "records.ttl")
    stream_rdf(build_graph(ex), tmp_path / "graph.ttl")
    text = (tmp_path / "records.ttl").read_bytes()
    assert text == (tmp_path / "graph.ttl").read_bytes()
    subjects = {t.subject.value for t in ox.parse(text, format=ox.RdfFormat.TURTLE)}
    assert {BASE + "doc/" + p.stem for p in SEEDS.glob("*.txt")} <= subjects


# -- graph.json in two halves: the edges from the graph, the nodes from the records

def _json_halves(ex, graph, path, lead=0):
    """graph.json as two processes write it: the edges and the first
    ``lead`` nodes from the graph, the other nodes from the records."""
    from kg.graph import append_json_tail, write_json_head
    sentences = write_json_head(graph, path, lead)
    append_json_tail(GraphRecords(ex).nodes(lead), sentences, path, first=not lead)
    return sentences


@pytest.mark.parametrize("awkward", [False, True])
@pytest.mark.parametrize("lead", [0, 1, 3])
def test_graph_json_from_two_halves_is_the_graph_s(tiny_extraction, awkward, lead, tmp_path):
    from kg.graph import load_graph, write_graph_json
    ex = _awkward_extraction(tiny_extraction) if awkward else tiny_extraction
    # an entity no edge reaches: its sentence is numbered by the second half
    alone = Entity("school-9", "School", "永宁中学", (), (Evidence("d1", 0, 4, "只在这里。"),))
    ex = Extraction(ex.documents, [*ex.entities, alone], ex.relations, ex.metrics, ex.publishers)
    g = build_graph(ex)
    sentences = _json_halves(ex, g, tmp_path / "halves.json", min(lead, len(g)))
    write_graph_json(g, tmp_path / "whole.json")
    assert (tmp_path / "halves.json").read_bytes() == (tmp_path / "whole.json").read_bytes()
    whole = json.loads((tmp_path / "whole.json").read_text("utf-8"))["sentences"]
    assert sentences and all(whole[doc][:len(texts)] == texts for doc, texts in sentences.items())
    assert whole["d1"][-1] == "只在这里。"
    back = load_graph(tmp_path / "halves.json")
    assert sorted(back.nodes) == sorted(g.nodes)
    assert back.number_of_edges() == g.number_of_edges()


def test_graph_json_of_the_seeds_from_two_halves_is_the_graph_s(tmp_path):
    from kg.gazetteer import load_gazetteer
    from kg.graph import write_graph_json
    from kg.pipeline import link, process_file
    results = [process_file(str(p), p.stem) for p in sorted(SEEDS.glob("*.txt"))]
    ex = link(results, load_gazetteer())
    g = build_graph(ex)
    write_graph_json(g, tmp_path / "whole.json")
    for lead in (0, 1, len(g) // 4, len(g) - 1, len(g)):
        _json_halves(ex, g, tmp_path / "halves.json", lead)
        assert (tmp_path / "halves.json").read_bytes() == (tmp_path / "whole.json").read_bytes()
