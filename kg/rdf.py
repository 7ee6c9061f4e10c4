"""RDF (Turtle) export of the graph, against the edukg ontology.

Every triple is built from :class:`kg.vocab.EDUKG`, the closed namespace
generated from ``ontology/edukg.ttl``, and a few standard vocabularies
(RDF, SKOS, XSD, DCTERMS), so the export can only use defined terms: a node
type or predicate the ontology lacks raises :class:`kg.errors.GraphError`.

IRIs (all under :data:`BASE`, stable across runs, no blank nodes):

* entity and metric nodes: ``BASE + <node id>`` (percent-encoded if needed);
* documents: ``BASE + "doc/" + quote(doc_id, safe="")``;
* evidence records: ``BASE + "ev/" + sha1(doc, start, end)[:16]``;
* reified relations: ``BASE + "stmt/" + sha1(s|p|o)[:16]``.

Relations are asserted as plain triples (``s edukg:implements o``), which is
what the scorer and simple SPARQL read.  A relation with evidence or a weight
above 1 is also reified as an ``rdf:Statement`` carrying ``edukg:weight`` and
``edukg:evidence`` links to :class:`~kg.model.Evidence` records
(``edukg:inDocument``, ``edukg:start``, ``edukg:end``, ``edukg:sentence``),
so a query can return the sentence behind a relation (:data:`SPARQL_EVIDENCE`).
``coMentioned`` is a statistical association, not a stated fact: it is never
asserted, only recorded as a weighted ``rdf:Statement``.

Examples
--------
>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("place-1", kind="entity", type="Place", label="台州市", aliases=[],
...            notation="331000", docs=[], evidence=[])
>>> print(node_iri("place-1"), node_iri("doc:台州 1"))
https://w3id.org/edukg/id/place-1 https://w3id.org/edukg/id/doc/%E5%8F%B0%E5%B7%9E%201
>>> len(graph_to_rdf(g))
3
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import quote

import networkx as nx
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from .errors import GraphError
from .io import write_atomic
from .model import ENTITY_TYPES, PREDICATES
from .vocab import EDUKG

__all__ = ["BASE", "FORMATS", "GRAPH_IRI", "SPARQL_EVIDENCE", "node_iri", "evidence_iri",
           "graph_to_rdf", "serialize", "to_turtle", "write_turtle", "write_rdf"]

#: Namespace of the instance IRIs (prefix ``id:`` in the Turtle).
BASE = "https://w3id.org/edukg/id/"

#: Predicates an edge of the graph may carry (see :mod:`kg.graph`).
EDGE_PREDICATES = PREDICATES + ("reports", "about", "inPlace")

#: Relations recorded only as reified statements, never asserted.
UNASSERTED = frozenset({"coMentioned"})

LANG = "zh"
PREFIXES = {"edukg": EDUKG._NS, "id": Namespace(BASE), "rdf": RDF, "rdfs": RDFS,
            "skos": SKOS, "dcterms": DCTERMS, "xsd": XSD, "prov": PROV}

#: The sentences behind every ``implements`` relation (for the README).
SPARQL_EVIDENCE = """\
PREFIX edukg: <https://w3id.org/edukg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?agency ?initiative ?sentence ?doc ?start ?end WHERE {
  ?s edukg:implements ?o .
  ?stmt a rdf:Statement ;
        rdf:subject ?s ; rdf:predicate edukg:implements ; rdf:object ?o ;
        edukg:evidence ?ev .
  ?ev edukg:sentence ?sentence ; edukg:start ?start ; edukg:end ?end ;
      edukg:inDocument/edukg:docId ?doc .
  ?s skos:prefLabel ?agency .
  ?o skos:prefLabel ?initiative .
}
ORDER BY ?agency ?initiative ?doc ?start
"""

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(r"\d{4}")


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _segment(text: str) -> str:
    """``text`` as one IRI path segment: percent-encoded, never empty, ``.`` or ``..``."""
    seg = quote(text, safe="")
    return seg.replace(".", "%2E") if seg.strip(".") == "" else seg


def node_iri(node: str) -> URIRef:
    """The IRI of a graph node: a document (``doc:<doc_id>``), entity or metric."""
    if node.startswith("doc:"):
        return URIRef(f"{BASE}doc/{_segment(node[4:])}")
    return URIRef(BASE + _segment(node))


def evidence_iri(doc: str, start: int, end: int) -> URIRef:
    """The IRI of the evidence record of ``doc[start:end]``."""
    key = json.dumps([doc, int(start), int(end)], ensure_ascii=False)
    return URIRef(f"{BASE}ev/{_sha(key)}")


def _statement_iri(s: URIRef, p: URIRef, o: URIRef) -> URIRef:
    return URIRef(f"{BASE}stmt/{_sha(f'{s}|{p}|{o}')}")


def _text(value) -> str:
    return "" if value is None else str(value)


def _zh(value) -> Literal:
    return Literal(str(value), lang=LANG)


def _decimal(value) -> Literal | None:
    """``value`` as an ``xsd:decimal`` in plain positional notation, or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        dec = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        return None
    if not dec.is_finite():
        return None
    return Literal(format(dec, "f"), datatype=XSD.decimal)


def _integer(value) -> Literal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Literal(int(value))
    except (TypeError, ValueError):
        return None


def _date(value: str) -> Literal | None:
    """``xsd:date`` for yyyy-mm-dd, ``xsd:gYear`` for yyyy, else a plain literal."""
    if not value:
        return None
    if _DATE.fullmatch(value):
        try:
            _dt.date.fromisoformat(value)
            return Literal(value, datatype=XSD.date)
        except ValueError:
            pass
    if _YEAR.fullmatch(value):
        return Literal(value, datatype=XSD.gYear)
    return Literal(value)


def _term(name: str, allowed, what: str, where: str) -> URIRef:
    """The EDUKG IRI of ``name``; GraphError when the ontology lacks it."""
    if name not in allowed:
        raise GraphError(f"{where}: {what} {name!r} is not one of {', '.join(allowed)}")
    try:
        return EDUKG[name]
    except (AttributeError, KeyError):
        raise GraphError(f"{where}: {what} {name!r} is not defined in "
                         "ontology/edukg.ttl (regenerate kg/vocab.py?)") from None


def _add_evidence(rdf: Graph, subject: URIRef, evidence) -> None:
    for ev in evidence or ():
        try:
            doc, start, end = str(ev["doc"]), int(ev["start"]), int(ev["end"])
        except (KeyError, TypeError, ValueError):
            raise GraphError(f"{subject}: damaged evidence record {ev!r}") from None
        node = evidence_iri(doc, start, end)
        rdf.add((subject, EDUKG.evidence, node))
        rdf.add((node, RDF.type, EDUKG.Evidence))
        rdf.add((node, EDUKG.inDocument, node_iri(f"doc:{doc}")))
        rdf.add((node, EDUKG.start, Literal(start)))
        rdf.add((node, EDUKG.end, Literal(end)))
        if ev.get("sentence"):
            rdf.add((node, EDUKG.sentence, _zh(ev["sentence"])))


def _add_entity(rdf: Graph, node: str, a: dict) -> None:
    s = node_iri(node)
    rdf.add((s, RDF.type, _term(_text(a.get("type")), ENTITY_TYPES, "entity type", node)))
    if a.get("label"):
        rdf.add((s, SKOS.prefLabel, _zh(a["label"])))
    for alias in a.get("aliases") or ():
        if alias and alias != a.get("label"):
            rdf.add((s, SKOS.altLabel, _zh(alias)))
    if a.get("notation"):
        rdf.add((s, SKOS.notation, Literal(str(a["notation"]))))
    _add_evidence(rdf, s, a.get("evidence"))


def _add_document(rdf: Graph, node: str, a: dict, g: nx.MultiDiGraph) -> None:
    s = node_iri(node)
    rdf.add((s, RDF.type, EDUKG.Document))
    rdf.add((s, EDUKG.docId, Literal(_text(a.get("doc_id", node[4:])))))
    if a.get("title"):
        rdf.add((s, DCTERMS.title, _zh(a["title"])))
    date = _date(_text(a.get("date")))
    if date is not None:
        rdf.add((s, DCTERMS.date, date))
    # publisher and place are entity ids resolved by the pipeline; the
    # publisher is the scored publishedBy relation even without an edge.
    if a.get("publisher") and a["publisher"] in g:
        rdf.add((s, EDUKG.publishedBy, node_iri(a["publisher"])))
    if a.get("place") and a["place"] in g:
        rdf.add((s, DCTERMS.spatial, node_iri(a["place"])))
    # edukg:path is deliberately not exported: it is machine-specific.


def _add_metric(rdf: Graph, node: str, a: dict) -> None:
    s = node_iri(node)
    rdf.add((s, RDF.type, EDUKG.Metric))
    value = _decimal(a.get("value"))
    if value is not None:
        rdf.add((s, EDUKG.value, value))
    if a.get("unit"):
        rdf.add((s, EDUKG.unit, Literal(str(a["unit"]))))
    if a.get("indicator"):
        rdf.add((s, EDUKG.indicator, _zh(a["indicator"])))
    year = _integer(a.get("year"))
    if year is not None:
        rdf.add((s, EDUKG.year, year))
    if a.get("comparator"):
        rdf.add((s, EDUKG.comparator, Literal(str(a["comparator"]))))
    rdf.add((s, EDUKG.approximate, Literal(bool(a.get("approximate")))))
    if a.get("status"):
        rdf.add((s, EDUKG.status, Literal(str(a["status"]))))
    _add_evidence(rdf, s, a.get("evidence"))


def _add_edge(rdf: Graph, u: str, v: str, key, a: dict) -> None:
    name = _text(a.get("predicate", key))
    p = _term(name, EDGE_PREDICATES, "predicate", f"edge {u} -> {v}")
    s, o = node_iri(u), node_iri(v)
    if name not in UNASSERTED:
        rdf.add((s, p, o))
    weight = _integer(a.get("weight"))
    weight = 1 if weight is None else weight
    evidence = a.get("evidence") or ()
    if name in UNASSERTED or evidence or weight.toPython() > 1:
        st = _statement_iri(s, p, o)
        rdf.add((st, RDF.type, RDF.Statement))
        rdf.add((st, RDF.subject, s))
        rdf.add((st, RDF.predicate, p))
        rdf.add((st, RDF.object, o))
        rdf.add((st, EDUKG.weight, weight))
        _add_evidence(rdf, st, evidence)


def graph_to_rdf(g: nx.MultiDiGraph) -> Graph:
    """Render the graph of :func:`kg.graph.build_graph` as an rdflib Graph.

    Raises :class:`~kg.errors.GraphError` for a node type or predicate that
    the ontology does not define, or a damaged evidence record.
    """
    rdf = Graph(bind_namespaces="none")
    for prefix, ns in PREFIXES.items():
        rdf.bind(prefix, ns, override=True, replace=True)
    for node in sorted(g.nodes, key=str):
        a = g.nodes[node]
        kind = a.get("kind")
        if kind == "entity":
            _add_entity(rdf, str(node), a)
        elif kind == "document":
            _add_document(rdf, str(node), a, g)
        elif kind == "metric":
            _add_metric(rdf, str(node), a)
    for u, v, key, a in sorted(g.edges(keys=True, data=True),
                               key=lambda e: (str(e[0]), str(e[2]), str(e[1]))):
        _add_edge(rdf, str(u), str(v), key, a)
    return rdf


#: Output formats of :func:`serialize` (``kg export --format``).
FORMATS = {"ttl": "TURTLE", "nt": "N_TRIPLES", "jsonld": "JSON_LD", "trig": "TRIG",
           "nq": "N_QUADS", "rdfxml": "RDF_XML"}

#: The named graph a TriG or N-Quads export puts the build in.
GRAPH_IRI = BASE + "graph"


def _ox_term(term):
    import pyoxigraph as ox
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise GraphError(f"blank node or unsupported term in the export: {term!r}")


def _sorted_triples(rdf: Graph) -> list:
    """pyoxigraph triples in a fixed order (by their N-Triples text), so
    the same graph always gives the same bytes whatever the hash seed."""
    import pyoxigraph as ox
    triples = [ox.Triple(_ox_term(s), _ox_term(p), _ox_term(o)) for s, p, o in rdf]
    return sorted(triples, key=str)


def serialize(g: nx.MultiDiGraph, fmt: str = "ttl") -> bytes:
    """The graph in an RDF format of :data:`FORMATS`, deterministic.

    Serialised by pyoxigraph (much faster than rdflib's Turtle writer);
    TriG and N-Quads put every triple in the named graph :data:`GRAPH_IRI`.
    """
    import pyoxigraph as ox
    if fmt not in FORMATS:
        raise GraphError(f"unknown RDF format {fmt!r}; choose one of {', '.join(FORMATS)}")
    triples = _sorted_triples(graph_to_rdf(g))
    rdf_format = getattr(ox.RdfFormat, FORMATS[fmt])
    if fmt in ("trig", "nq"):
        graph = ox.NamedNode(GRAPH_IRI)
        triples = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]
    prefixes = {k: str(v) for k, v in PREFIXES.items()} if fmt in ("ttl", "trig", "rdfxml") else None
    return ox.serialize(triples, format=rdf_format, prefixes=prefixes)


def to_turtle(g: nx.MultiDiGraph) -> str:
    """The Turtle text of the graph; the same graph always gives the same text."""
    return serialize(g, "ttl").decode("utf-8")


def write_turtle(g: nx.MultiDiGraph, path: Path) -> None:
    """Write the graph as Turtle to ``path`` (atomically)."""
    write_atomic(Path(path), serialize(g, "ttl"))


def write_rdf(g: nx.MultiDiGraph, path: Path, fmt: str) -> None:
    """Write the graph in ``fmt`` (see :data:`FORMATS`) to ``path`` (atomically)."""
    write_atomic(Path(path), serialize(g, fmt))
