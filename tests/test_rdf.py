"""The Turtle export (kg/rdf.py), its closed vocabulary and the ontology."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib import namespace as ns
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kg.errors import GraphError
from kg.graph import build_graph, doc_node, save_graph
from kg.model import Document, Entity, Evidence, Extraction, Metric, Relation
from kg.rdf import BASE, SPARQL_EVIDENCE, graph_to_rdf, node_iri, to_turtle, write_turtle
from kg.vocab import EDUKG, NAMESPACE, ONTOLOGY_TERMS

from tests.conftest import CUT, GOLD, ROOT, TEXT, ev

ONTOLOGY = ROOT / "ontology" / "edukg.ttl"
SCORED = {"locatedIn", "partOf", "issuedBy", "implements", "publishedBy"}
OWL_KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)


def _module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def ontology() -> Graph:
    g = Graph()
    g.parse(ONTOLOGY, format="turtle")
    return g


def defined_terms(onto: Graph) -> dict[URIRef, URIRef]:
    """{term IRI: OWL kind} of the edukg terms the ontology declares."""
    return {s: kind for kind in OWL_KINDS for s in onto.subjects(RDF.type, kind)
            if isinstance(s, URIRef) and str(s).startswith(NAMESPACE)}


@pytest.fixture
def ttl(tiny_graph, tmp_path):
    path = tmp_path / "graph.ttl"
    write_turtle(tiny_graph, path)
    return path


def oxi_store(path) -> ox.Store:
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


# --- parsing -------------------------------------------------------------

def test_turtle_parses_identically_in_rdflib_and_pyoxigraph(ttl, tiny_graph):
    rdf = Graph().parse(ttl, format="turtle")
    quads = list(ox.parse(path=str(ttl), format=ox.RdfFormat.TURTLE))
    assert len(rdf) == len(quads) == len(oxi_store(ttl)) > 50
    nt = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES)
    assert isomorphic(rdf, Graph().parse(data=nt.decode("utf-8"), format="nt"))
    assert isomorphic(rdf, graph_to_rdf(tiny_graph))
    assert not any(isinstance(t, ox.BlankNode) for q in quads for t in q.triple)


def test_write_turtle_writes_to_turtle_text(ttl, tiny_graph):
    assert ttl.read_text("utf-8") == to_turtle(tiny_graph)
    head = ttl.read_text("utf-8")
    for prefix in ("edukg:", "skos:", "dcterms:", "xsd:", "id:"):
        assert f"@prefix {prefix}" in head


# --- what the scorer and users read -------------------------------------

def test_scorer_reads_entities_relations_and_metrics(ttl):
    scorer = GOLD / "score_kg.py"
    if not scorer.exists():
        pytest.skip("shared scorer not available")
    entities, docs, relations, metrics = _module("score_kg", scorer).read_graph(ttl)
    by_type = {}
    for typ, labels in entities.values():
        by_type.setdefault(typ, set()).update(labels)
    assert by_type == {"Agency": {"台州市教育局", "市教育局"}, "Place": {"台州市", "台州", "浙江省", "浙江"},
                       "Programme": {"台州教育现代化2035行动纲要"},
                       "Initiative": {"城乡教育共同体", "教共体"}}
    assert docs == {node_iri(doc_node("d1"))}
    assert {p for _, p, _ in relations} == SCORED
    assert (node_iri(doc_node("d1")), "publishedBy", node_iri("agency-1")) in relations
    assert metrics == [{"value": 67.0, "unit": "所", "indicator": "建成幼儿园"}]


def test_labels_types_and_metric_fields(ttl):
    g = Graph().parse(ttl, format="turtle")
    agency = node_iri("agency-1")
    assert set(g.objects(agency, RDF.type)) == {EDUKG.Agency}
    assert set(g.objects(agency, SKOS.prefLabel)) == {Literal("台州市教育局", lang="zh")}
    assert set(g.objects(agency, SKOS.altLabel)) == {Literal("市教育局", lang="zh")}
    assert set(g.objects(node_iri("place-1"), SKOS.notation)) == {Literal("331000")}
    assert (agency, EDUKG.implements, node_iri("initiative-1")) in g
    m = node_iri("metric-1")
    assert g.value(m, EDUKG.value).datatype == ns.XSD.decimal
    assert float(g.value(m, EDUKG.value)) == 67.0
    assert g.value(m, EDUKG.unit) == Literal("所")
    assert g.value(m, EDUKG.indicator) == Literal("建成幼儿园", lang="zh")
    assert g.value(m, EDUKG.year) == Literal(2020)
    assert g.value(m, EDUKG.approximate) == Literal(False)
    assert (node_iri(doc_node("d1")), EDUKG.reports, m) in g
    doc = node_iri(doc_node("d1"))
    assert g.value(doc, DCTERMS.date) == Literal("2020-04-03", datatype=ns.XSD.date)
    assert g.value(doc, EDUKG.docId) == Literal("d1")
    assert g.value(doc, EDUKG.path) is None   # machine-specific, not exported


def test_relation_evidence_is_reified_and_comentioned_not_asserted(ttl):
    g = Graph().parse(ttl, format="turtle")
    a, p = node_iri("agency-1"), node_iri("programme-1")
    assert (a, EDUKG.coMentioned, p) not in g
    (st,) = g.subjects(RDF.predicate, EDUKG.coMentioned)
    assert (st, RDF.type, RDF.Statement) in g
    assert (g.value(st, RDF.subject), g.value(st, RDF.object)) == (a, p)
    assert g.value(st, EDUKG.weight) == Literal(2)
    ev = g.value(st, EDUKG.evidence)
    assert (ev, RDF.type, EDUKG.Evidence) in g
    assert g.value(ev, EDUKG.inDocument) == node_iri(doc_node("d1"))
    assert (g.value(ev, EDUKG.start), g.value(ev, EDUKG.end)) == (Literal(0), Literal(24))
    # partOf has no evidence and weight 1: asserted, not reified
    assert (node_iri("place-1"), EDUKG.partOf, node_iri("place-2")) in g
    assert not set(g.subjects(RDF.predicate, EDUKG.partOf))


def test_mentions_and_metric_links_are_asserted_and_traced_through_their_nodes(tmp_path):
    """mentions, reports, about and inPlace are not reified: the sentences
    behind them, and a mention's count, are the entity's or the metric's
    own evidence records in that document."""
    doc = Document(doc_id="d1", path="d1.txt", text=TEXT, title="t")
    first, again = ev(27, 34), ev(37, 40)
    ents = [Entity("initiative-1", "Initiative", "城乡教育共同体", ("教共体",), (first, again)),
            Entity("place-1", "Place", "台州市", (), (ev(0, 3),))]
    rels = [Relation(doc_node("d1"), "mentions", "initiative-1", (first, again), weight=2),
            Relation(doc_node("d1"), "mentions", "place-1", (ev(0, 3),))]
    mets = [Metric("metric-1", "d1", 67.0, "所", "建成幼儿园", "67所", 2020, "eq", False,
                   "initiative-1", ev(49, 52), place="place-1")]
    path = tmp_path / "g.ttl"
    write_turtle(build_graph(Extraction([doc], ents, rels, mets, {})), path)
    g = Graph().parse(path, format="turtle")
    d, i, m, p = (node_iri(doc_node("d1")), node_iri("initiative-1"), node_iri("metric-1"),
                  node_iri("place-1"))
    assert {(d, EDUKG.mentions, i), (d, EDUKG.mentions, p), (d, EDUKG.reports, m),
            (m, EDUKG.about, i), (m, EDUKG.inPlace, p)} <= set(g)
    assert not set(g.subjects(RDF.type, RDF.Statement))
    rows = g.query("""PREFIX edukg: <https://w3id.org/edukg/ontology#>
        SELECT ?sentence (COUNT(?ev) AS ?n) WHERE {
          ?d edukg:mentions ?e . ?e edukg:evidence ?ev .
          ?ev edukg:inDocument ?d ; edukg:sentence ?sentence .
        } GROUP BY ?sentence ORDER BY ?sentence""", initBindings={"e": i})
    assert [(str(s), int(n)) for s, n in rows] == [(TEXT[CUT:], 2)]
    (sentence,) = g.objects(g.value(m, EDUKG.evidence), EDUKG.sentence)
    assert str(sentence) == TEXT[CUT:]


def test_sparql_evidence_returns_the_sentence(ttl, tiny_extraction):
    (rel,) = [r for r in tiny_extraction.relations if r.predicate == "implements"]
    rows = list(Graph().parse(ttl, format="turtle").query(SPARQL_EVIDENCE))
    assert [(str(r.agency), str(r.initiative), str(r.sentence), str(r.doc), int(r.start))
            for r in rows] == [("台州市教育局", "城乡教育共同体", rel.evidence[0].sentence,
                                "d1", rel.evidence[0].start)]
    oxi = [s["sentence"].value for s in oxi_store(ttl).query(SPARQL_EVIDENCE)]
    assert oxi == [rel.evidence[0].sentence]


# --- closed vocabulary --------------------------------------------------

def test_every_edukg_term_in_the_output_is_defined(ttl, ontology):
    defined = defined_terms(ontology)
    g = Graph().parse(ttl, format="turtle")
    used_props = {p for p in g.predicates() if str(p).startswith(NAMESPACE)}
    used_props |= {o for o in g.objects(None, RDF.predicate) if str(o).startswith(NAMESPACE)}
    used_classes = {o for o in g.objects(None, RDF.type) if str(o).startswith(NAMESPACE)}
    assert used_props and used_classes
    assert {defined.get(t) for t in used_classes} == {OWL.Class}
    assert {defined.get(t) for t in used_props} <= {OWL.ObjectProperty, OWL.DatatypeProperty}
    # nothing else of the edukg namespace appears anywhere, e.g. as an object
    anywhere = {t for triple in g for t in triple if str(t).startswith(NAMESPACE)}
    assert anywhere <= set(defined)


def test_undefined_type_or_predicate_is_refused(tiny_graph):
    bad = tiny_graph.copy()
    bad.add_edge("agency-1", "place-1", key="situatedIn", predicate="situatedIn",
                 weight=1, evidence=[])
    with pytest.raises(GraphError, match="situatedIn"):
        graph_to_rdf(bad)
    bad = tiny_graph.copy()
    bad.nodes["agency-1"]["type"] = "Ministry"
    with pytest.raises(GraphError, match="Ministry"):
        graph_to_rdf(bad)


def test_vocab_is_generated_from_the_ontology(ontology):
    assert ONTOLOGY_TERMS == {str(t)[len(NAMESPACE):] for t in defined_terms(ontology)}
    gen = _module("gen_vocab", ROOT / "scripts" / "gen_vocab.py")
    assert (ROOT / "kg" / "vocab.py").read_text("utf-8") == gen.render(ONTOLOGY)


def test_closed_namespace_refuses_unknown_terms():
    assert EDUKG.locatedIn == URIRef(NAMESPACE + "locatedIn")
    assert "locatedIn" in EDUKG and "notAThing" not in EDUKG
    with pytest.raises(AttributeError):
        EDUKG.notAThing  # noqa: B018


# --- hostile names and determinism --------------------------------------

HOSTILE = ('<script>alert("x")</script> \\ "q" """ {{ x }}\n第二行\r\t'
           "\u200b\u200f\u202e\u2066末尾\\")
HOSTILE_DOCS = ("台州 教育 \"规划\" 2020", "a b", "a%20b", "x/y#z?w", "..")


@pytest.fixture
def hostile_graph():
    docs, ents, rels = [], [], []
    for i, doc_id in enumerate(HOSTILE_DOCS):
        docs.append(Document(doc_id=doc_id, path=f"/tmp/{i}.txt", text="x", title=HOSTILE,
                             date="2021"))
        ev = Evidence(doc_id, 0, 1, HOSTILE)
        ents.append(Entity(f"school-{i}", "School", HOSTILE + str(i), (HOSTILE,), (ev,)))
        rels.append(Relation(doc_node(doc_id), "mentions", f"school-{i}", (ev,)))
    mets = [Metric("metric-h", HOSTILE_DOCS[0], 30000.0, "个", HOSTILE, "3万余个",
                   approximate=True)]
    return build_graph(Extraction(docs, ents, rels, mets, {}))


def test_hostile_names_round_trip(hostile_graph, tmp_path):
    path = tmp_path / "hostile.ttl"
    write_turtle(hostile_graph, path)
    expected_labels = {HOSTILE + str(i) for i in range(len(HOSTILE_DOCS))}
    g = Graph().parse(path, format="turtle")
    assert isomorphic(g, graph_to_rdf(hostile_graph))
    assert {str(o) for o in g.objects(None, SKOS.prefLabel)} == expected_labels
    assert {str(o) for o in g.objects(None, SKOS.altLabel)} == {HOSTILE}
    assert {str(o) for o in g.objects(None, EDUKG.sentence)} == {HOSTILE}
    assert g.value(node_iri("metric-h"), EDUKG.indicator) == Literal(HOSTILE, lang="zh")
    docs = {str(d): str(g.value(d, EDUKG.docId)) for d in g.subjects(RDF.type, EDUKG.Document)}
    assert sorted(docs.values()) == sorted(HOSTILE_DOCS)   # distinct IRIs, exact ids
    for iri, doc_id in docs.items():
        assert iri == str(node_iri(doc_node(doc_id)))
        assert iri.startswith(BASE + "doc/") and all(c not in iri[len(BASE) + 4:]
                                                      for c in ' "/#?')
    store = oxi_store(path)
    assert len(store) == len(g)
    oxi = {s["l"].value for s in store.query(
        "SELECT ?l WHERE { ?e <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }")}
    assert oxi == expected_labels
    oxi_docs = {s["d"].value: s["id"].value for s in store.query(
        f"SELECT ?d ?id WHERE {{ ?d <{EDUKG.docId}> ?id }}")}
    assert oxi_docs == docs


def test_serialisation_is_byte_identical(tiny_graph, hostile_graph, tmp_path):
    assert to_turtle(tiny_graph) == to_turtle(tiny_graph)
    save_graph(hostile_graph, tmp_path / "graph.json")
    code = ("import sys; from kg.graph import load_graph; from kg.rdf import write_turtle; "
            "write_turtle(load_graph(sys.argv[1]), sys.argv[2])")
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}.ttl"
        env = dict(os.environ, PYTHONHASHSEED=seed,
                   PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        subprocess.run([sys.executable, "-c", code, str(tmp_path / "graph.json"), str(out)],
                       check=True, env=env, cwd=tmp_path)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == to_turtle(hostile_graph).encode("utf-8")


# --- the ontology itself ------------------------------------------------

def test_ontology_labels_definitions_domains_and_ranges(ontology):
    defined = defined_terms(ontology)
    assert {str(t)[len(NAMESPACE):] for t, k in defined.items() if k == OWL.Class} == {
        "Agency", "Place", "School", "Programme", "Initiative", "Event", "Metric",
        "Document", "Evidence"}
    assert SCORED | {"value", "unit", "indicator"} <= {str(t)[len(NAMESPACE):] for t in defined}
    for term, kind in defined.items():
        langs = {lit.language for lit in ontology.objects(term, RDFS.label)}
        assert {"zh", "en"} <= langs, term
        assert any(lit.language == "en" for lit in ontology.objects(term, SKOS.definition)), term
        assert any(lit.language == "en" for lit in ontology.objects(term, RDFS.comment)), term
        if kind != OWL.Class:
            assert ontology.value(term, RDFS.domain) is not None, term
            assert ontology.value(term, RDFS.range) is not None, term
    assert ontology.value(EDUKG.value, RDFS.range) == ns.XSD.decimal
    assert ontology.value(EDUKG.publishedBy, RDFS.subPropertyOf) == DCTERMS.publisher


def test_the_streamed_export_holds_no_triple_twice(tiny_graph):
    from kg.rdf import iter_ntriples
    lines = list(iter_ntriples(tiny_graph))
    assert len(lines) == len(set(lines)) > 0
