"""RDF (Turtle) export of the graph, against the edukg ontology.

One emitter, :func:`iter_ntriples`, defines the RDF shape of the graph as
N-Triples lines; pyoxigraph turns them into Turtle, JSON-LD, TriG … (file to
file for large graphs), and rdflib reads them when a caller wants an rdflib
Graph.  Every term comes from :class:`kg.vocab.EDUKG`, the closed namespace
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
from functools import lru_cache
import json
import math
import os
import re
from itertools import islice
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import quote

import networkx as nx
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from .errors import GraphError
from .io import write_atomic
from .model import ENTITY_TYPES, PREDICATES
from .vocab import EDUKG

__all__ = ["BASE", "FORMATS", "GRAPH_IRI", "SPARQL_EVIDENCE", "node_iri", "evidence_iri",
           "iter_ntriples", "ntriples", "graph_to_rdf", "serialize", "stream_rdf", "to_turtle",
           "write_turtle", "write_rdf"]

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


@lru_cache(maxsize=1 << 18)
def node_iri(node: str) -> URIRef:
    """The IRI of a graph node: a document (``doc:<doc_id>``), entity or metric."""
    if node.startswith("doc:"):
        return URIRef(f"{BASE}doc/{_segment(node[4:])}")
    return URIRef(BASE + _segment(node))


@lru_cache(maxsize=1 << 18)
def evidence_iri(doc: str, start: int, end: int) -> URIRef:
    """The IRI of the evidence record of ``doc[start:end]``."""
    start, end = int(start), int(end)
    if _JSON_ESCAPED.search(doc):
        key = json.dumps([doc, start, end], ensure_ascii=False)
    else:  # what json.dumps gives, without its overhead
        key = f'["{doc}", {start}, {end}]'
    return URIRef(f"{BASE}ev/{_sha(key)}")


_JSON_ESCAPED = re.compile(r'[\\"\x00-\x1f]')


def _statement_iri(s: str, p: str, o: str) -> URIRef:
    return URIRef(f"{BASE}stmt/{_sha(f'{s}|{p}|{o}')}")


def _text(value) -> str:
    return "" if value is None else str(value)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'[\\"\n\r\x00-\x1f\x7f]')


def _escape(text: str) -> str:
    def one(m: re.Match) -> str:
        c = m.group(0)
        return _ESCAPES.get(c) or f"\\u{ord(c):04X}"
    return _NEEDS_ESCAPE.sub(one, text)


def _iri(iri: str) -> str:
    return f"<{iri}>"


def _lit(text, datatype: str = "", lang: str = "") -> str:
    """An N-Triples literal."""
    body = f'"{_escape(str(text))}"'
    if lang:
        return f"{body}@{lang}"
    return f"{body}^^<{datatype}>" if datatype else body


def _zh(value) -> str:
    return _lit(value, lang=LANG)


_XSD = str(XSD)


def _decimal(value) -> str | None:
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
    return _lit(format(dec, "f"), _XSD + "decimal")


def _integer(value) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return _lit(int(value), _XSD + "integer")
    except (TypeError, ValueError):
        return None


def _date(value: str) -> str | None:
    """``xsd:date`` for yyyy-mm-dd, ``xsd:gYear`` for yyyy, else a plain literal."""
    if not value:
        return None
    if _DATE.fullmatch(value):
        try:
            _dt.date.fromisoformat(value)
            return _lit(value, _XSD + "date")
        except ValueError:
            pass
    if _YEAR.fullmatch(value):
        return _lit(value, _XSD + "gYear")
    return _lit(value)


def _term(name: str, allowed, what: str, where: str) -> str:
    """The EDUKG IRI of ``name`` (N-Triples form); GraphError when the
    ontology lacks it."""
    if name not in allowed:
        raise GraphError(f"{where}: {what} {name!r} is not one of {', '.join(allowed)}")
    try:
        return _iri(EDUKG[name])
    except (AttributeError, KeyError):
        raise GraphError(f"{where}: {what} {name!r} is not defined in "
                         "ontology/edukg.ttl (regenerate kg/vocab.py?)") from None


class _V:
    """The vocabulary in N-Triples form, looked up once."""
    type = _iri(RDF.type)
    statement, subject = _iri(RDF.Statement), _iri(RDF.subject)
    predicate, object = _iri(RDF.predicate), _iri(RDF.object)
    pref, alt, notation = _iri(SKOS.prefLabel), _iri(SKOS.altLabel), _iri(SKOS.notation)
    title, date, spatial = _iri(DCTERMS.title), _iri(DCTERMS.date), _iri(DCTERMS.spatial)
    e = {name: _iri(EDUKG[name]) for name in (
        "evidence", "Evidence", "inDocument", "start", "end", "sentence", "Document", "docId",
        "publishedBy", "Metric", "value", "unit", "indicator", "year", "comparator",
        "approximate", "status", "weight")}
    true = _lit("true", _XSD + "boolean")
    false = _lit("false", _XSD + "boolean")


def _add_evidence(out: list[str], subject: str, evidence, seen: set | None = None) -> None:
    e = _V.e
    for ev in evidence or ():
        try:
            doc, start, end = str(ev["doc"]), int(ev["start"]), int(ev["end"])
        except (KeyError, TypeError, ValueError):
            raise GraphError(f"{subject}: damaged evidence record {ev!r}") from None
        node = _iri(evidence_iri(doc, start, end))
        out.append(f"{subject} {e['evidence']} {node} .")
        if seen is not None:  # one record per (doc, start, end): write it once
            if node in seen:
                continue
            seen.add(node)
        out.append(f"{node} {_V.type} {e['Evidence']} .")
        out.append(f"{node} {e['inDocument']} {_iri(node_iri(f'doc:{doc}'))} .")
        out.append(f"{node} {e['start']} {_integer(start)} .")
        out.append(f"{node} {e['end']} {_integer(end)} .")
        if ev.get("sentence"):
            out.append(f"{node} {e['sentence']} {_zh(ev['sentence'])} .")


def _add_entity(out: list[str], node: str, a: dict, seen: set | None = None) -> None:
    s = _iri(node_iri(node))
    out.append(f"{s} {_V.type} {_term(_text(a.get('type')), ENTITY_TYPES, 'entity type', node)} .")
    if a.get("label"):
        out.append(f"{s} {_V.pref} {_zh(a['label'])} .")
    for alias in a.get("aliases") or ():
        if alias and alias != a.get("label"):
            out.append(f"{s} {_V.alt} {_zh(alias)} .")
    if a.get("notation"):
        out.append(f"{s} {_V.notation} {_lit(a['notation'])} .")
    _add_evidence(out, s, a.get("evidence"), seen)


def _add_document(out: list[str], node: str, a: dict, g: nx.MultiDiGraph) -> None:
    s, e = _iri(node_iri(node)), _V.e
    out.append(f"{s} {_V.type} {e['Document']} .")
    out.append(f"{s} {e['docId']} {_lit(_text(a.get('doc_id', node[4:])))} .")
    if a.get("title"):
        out.append(f"{s} {_V.title} {_zh(a['title'])} .")
    date = _date(_text(a.get("date")))
    if date is not None:
        out.append(f"{s} {_V.date} {date} .")
    # publisher and place are entity ids resolved by the pipeline; the
    # publisher is the scored publishedBy relation even without an edge.
    if a.get("publisher") and a["publisher"] in g \
            and not g.has_edge(node, a["publisher"], key="publishedBy"):
        out.append(f"{s} {e['publishedBy']} {_iri(node_iri(a['publisher']))} .")
    if a.get("place") and a["place"] in g:
        out.append(f"{s} {_V.spatial} {_iri(node_iri(a['place']))} .")
    # edukg:path is deliberately not exported: it is machine-specific.


def _add_metric(out: list[str], node: str, a: dict, seen: set | None = None) -> None:
    s, e = _iri(node_iri(node)), _V.e
    out.append(f"{s} {_V.type} {e['Metric']} .")
    value = _decimal(a.get("value"))
    if value is not None:
        out.append(f"{s} {e['value']} {value} .")
    if a.get("unit"):
        out.append(f"{s} {e['unit']} {_lit(a['unit'])} .")
    if a.get("indicator"):
        out.append(f"{s} {e['indicator']} {_zh(a['indicator'])} .")
    year = _integer(a.get("year"))
    if year is not None:
        out.append(f"{s} {e['year']} {year} .")
    if a.get("comparator"):
        out.append(f"{s} {e['comparator']} {_lit(a['comparator'])} .")
    out.append(f"{s} {e['approximate']} {_V.true if a.get('approximate') else _V.false} .")
    if a.get("status"):
        out.append(f"{s} {e['status']} {_lit(a['status'])} .")
    _add_evidence(out, s, a.get("evidence"), seen)


def _add_edge(out: list[str], u: str, v: str, key, a: dict, seen: set | None = None) -> None:
    name = _text(a.get("predicate", key))
    p = _term(name, EDGE_PREDICATES, "predicate", f"edge {u} -> {v}")
    s, o = _iri(node_iri(u)), _iri(node_iri(v))
    if name not in UNASSERTED:
        out.append(f"{s} {p} {o} .")
    try:
        weight = int(a.get("weight") if a.get("weight") is not None else 1)
    except (TypeError, ValueError):
        weight = 1
    evidence = a.get("evidence") or ()
    if name in UNASSERTED or evidence or weight > 1:
        st = _iri(_statement_iri(node_iri(u), p[1:-1], node_iri(v)))
        out.append(f"{st} {_V.type} {_V.statement} .")
        out.append(f"{st} {_V.subject} {s} .")
        out.append(f"{st} {_V.predicate} {p} .")
        out.append(f"{st} {_V.object} {o} .")
        out.append(f"{st} {_V.e['weight']} {_integer(weight)} .")
        _add_evidence(out, st, evidence, seen)


def iter_ntriples(g: nx.MultiDiGraph):
    """Yield the graph's N-Triples lines, each once, in a fixed order
    (nodes and edges sorted), without holding them all."""
    buf: list[str] = []
    seen: set[str] = set()   # evidence records already written
    for node in sorted(g.nodes, key=str):
        a = g.nodes[node]
        kind = a.get("kind")
        if kind == "entity":
            _add_entity(buf, str(node), a, seen)
        elif kind == "document":
            _add_document(buf, str(node), a, g)
        elif kind == "metric":
            _add_metric(buf, str(node), a, seen)
        yield from buf
        buf.clear()
    for u, v, key, a in sorted(g.edges(keys=True, data=True),
                               key=lambda e: (str(e[0]), str(e[2]), str(e[1]))):
        _add_edge(buf, str(u), str(v), key, a, seen)
        yield from buf
        buf.clear()


def ntriples(g: nx.MultiDiGraph) -> list[str]:
    """The graph of :func:`kg.graph.build_graph` as unique N-Triples lines
    in a fixed order (nodes and edges sorted): the one place the RDF shape
    of the graph is defined.

    Raises :class:`~kg.errors.GraphError` for a node type or predicate that
    the ontology does not define, or a damaged evidence record.
    """
    return list(dict.fromkeys(iter_ntriples(g)))


def graph_to_rdf(g: nx.MultiDiGraph) -> Graph:
    """The graph as an rdflib Graph (for callers that want rdflib), with
    the project's prefixes bound."""
    rdf = Graph(bind_namespaces="none")
    for prefix, ns in PREFIXES.items():
        rdf.bind(prefix, ns, override=True, replace=True)
    rdf.parse(data="\n".join(ntriples(g)), format="nt")
    return rdf


#: Output formats of :func:`serialize` (``kg export --format``).
FORMATS = {"ttl": "TURTLE", "nt": "N_TRIPLES", "jsonld": "JSON_LD", "trig": "TRIG",
           "nq": "N_QUADS", "rdfxml": "RDF_XML"}

#: The named graph a TriG or N-Quads export puts the build in.
GRAPH_IRI = BASE + "graph"


def serialize(g: nx.MultiDiGraph, fmt: str = "ttl") -> bytes:
    """The graph in an RDF format of :data:`FORMATS`, deterministic.

    The N-Triples lines of :func:`ntriples` come in a fixed order; pyoxigraph parses
    them and writes any other format in that order, much faster than
    rdflib.  TriG and N-Quads put every triple in the named graph
    :data:`GRAPH_IRI`.
    """
    import pyoxigraph as ox
    if fmt not in FORMATS:
        raise GraphError(f"unknown RDF format {fmt!r}; choose one of {', '.join(FORMATS)}")
    lines = ntriples(g)
    nt = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    if fmt == "nt":
        return nt
    triples = ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)
    rdf_format = getattr(ox.RdfFormat, FORMATS[fmt])
    if fmt in ("trig", "nq"):
        graph = ox.NamedNode(GRAPH_IRI)
        triples = (ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
    prefixes = {k: str(v) for k, v in PREFIXES.items()} if fmt in ("ttl", "trig", "rdfxml") else None
    return ox.serialize(triples, format=rdf_format, prefixes=prefixes)


def to_turtle(g: nx.MultiDiGraph) -> str:
    """The Turtle text of the graph; the same graph always gives the same text."""
    return serialize(g, "ttl").decode("utf-8")


def write_turtle(g: nx.MultiDiGraph, path: Path) -> None:
    """Write the graph as Turtle to ``path`` (atomically)."""
    write_atomic(Path(path), serialize(g, "ttl"))


def stream_rdf(g: nx.MultiDiGraph, target: Path, fmt: str = "ttl") -> None:
    """Write the graph in ``fmt`` to the file ``target`` (not atomically:
    callers write to a temporary name and rename), streaming: the lines go
    to a temporary N-Triples file and pyoxigraph converts file to file, so
    the triples are never all in memory as Python strings."""
    import pyoxigraph as ox
    if fmt not in FORMATS:
        raise GraphError(f"unknown RDF format {fmt!r}; choose one of {', '.join(FORMATS)}")
    target = Path(target)
    nt_path = target.with_name(target.name + ".nt.tmp")
    try:
        with open(nt_path, "wb") as fh:
            lines = iter_ntriples(g)
            while True:
                chunk = list(islice(lines, 4096))
                if not chunk:
                    break
                chunk.append("")
                fh.write("\n".join(chunk).encode("utf-8"))
        if fmt == "nt":
            os.replace(nt_path, target)
            return
        triples = ox.parse(path=str(nt_path), format=ox.RdfFormat.N_TRIPLES)
        if fmt in ("trig", "nq"):
            graph = ox.NamedNode(GRAPH_IRI)
            triples = (ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
        prefixes = {k: str(v) for k, v in PREFIXES.items()} if fmt in ("ttl", "trig", "rdfxml") else None
        ox.serialize(triples, output=str(target), format=getattr(ox.RdfFormat, FORMATS[fmt]),
                     prefixes=prefixes)
    finally:
        if nt_path.exists():
            nt_path.unlink()


def write_rdf(g: nx.MultiDiGraph, path: Path, fmt: str) -> None:
    """Write the graph in ``fmt`` (see :data:`FORMATS`) to ``path`` (atomically)."""
    write_atomic(Path(path), serialize(g, fmt))
