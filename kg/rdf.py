"""RDF (Turtle) export of the graph, against the edukg ontology.

One emitter, ``_triples``, defines the RDF shape of the graph: the triples
in a fixed order, each term spelt once by a spelling (``_Spelling`` for
N-Triples, ``_TurtleSpelling`` for Turtle).  :func:`iter_ntriples` gives
them as N-Triples lines, which pyoxigraph turns into JSON-LD, TriG …
(file to file for large graphs) and rdflib reads when a caller wants an
rdflib Graph.  Turtle is written here, grouped by subject with ``;`` and
``,`` and prefixed names, byte for byte what pyoxigraph's serializer gives
for the same triples, at several times the speed of a detour through
N-Triples.  Every term comes from :class:`kg.vocab.EDUKG`, the closed namespace
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
asserted, only recorded as a weighted ``rdf:Statement``.  The relations of
:data:`DERIVED` are asserted and never reified: their evidence is by
construction the metric's own (``reports``, ``about``, ``inPlace``) or the
entity's records in that document (``mentions``, whose weight is their
number), which the graph already links with ``edukg:evidence``; a
statement would repeat them (two thirds of the statements of a large
build, a quarter of its Turtle).

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
from operator import itemgetter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import quote

import networkx as nx
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from .errors import GraphError
from .graph import GraphRecords
from .io import collector_paused, write_atomic
from .compact import EdgeData, SlotMapping
from .model import ENTITY_TYPES, PREDICATES, Evidence
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

#: Relations asserted and never reified, since their evidence is their
#: metric's (``reports``: document -> metric, ``about``, ``inPlace``) or
#: their entity's records in the document (``mentions``).
DERIVED = frozenset({"mentions", "reports", "about", "inPlace"})

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


def _node_iri_text(node: str) -> str:
    """The IRI of a graph node as a plain string (see :func:`node_iri`)."""
    if node.startswith("doc:"):
        return f"{BASE}doc/{_segment(node[4:])}"
    return BASE + _segment(node)


@lru_cache(maxsize=1 << 18)
def node_iri(node: str) -> URIRef:
    """The IRI of a graph node: a document (``doc:<doc_id>``), entity or metric."""
    return URIRef(_node_iri_text(node))


def _evidence_key(doc: str, start: int, end: int) -> str:
    """The 16 hex digits naming the evidence record of ``doc[start:end]``."""
    if _JSON_ESCAPED.search(doc):
        return _sha(json.dumps([doc, start, end], ensure_ascii=False))
    return _sha(f'["{doc}", {start}, {end}]')  # what json.dumps gives, without its overhead


@lru_cache(maxsize=1 << 18)
def evidence_iri(doc: str, start: int, end: int) -> URIRef:
    """The IRI of the evidence record of ``doc[start:end]``."""
    return URIRef(f"{BASE}ev/{_evidence_key(doc, int(start), int(end))}")


_JSON_ESCAPED = re.compile(r'[\\"\x00-\x1f]')


def _text(value) -> str:
    return "" if value is None else str(value)


def _escaper(escapes: dict[str, str], needs: re.Pattern):
    """A function escaping a string literal's text: the characters
    ``needs`` matches become their entry of ``escapes``, else ``\\uXXXX``."""
    def one(m: re.Match) -> str:
        c = m.group(0)
        return escapes.get(c) or f"\\u{ord(c):04X}"

    def escape(text: str) -> str:
        return text if needs.search(text) is None else needs.sub(one, text)
    return escape


#: ``text`` escaped for an N-Triples string.
_escape = _escaper({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"},
                   re.compile(r'[\\"\n\r\x00-\x1f\x7f]'))

#: ``text`` escaped for a Turtle string (``"…"``), as pyoxigraph writes it
#: (so the Turtle written here is byte for byte what its serializer gives).
_ttl_escape = _escaper({"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n",
                        "\f": "\\f", "\r": "\\r"},
                       re.compile('[\\\\"\x00-\x1f\x7f\ufffe\uffff]'))


#: Characters a Turtle local name holds as they are, anywhere but where
#: :func:`_ttl_local` says otherwise, and the ones it writes as ``\c``.
_PN_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_:-.")
_PN_ESCAPED = frozenset("~.-!$&'()*+,;=/?#@%")
_PN_SIMPLE = re.compile(r"[A-Za-z0-9_:]([A-Za-z0-9_:.-]*[A-Za-z0-9_:-])?")


def _ttl_local(name: str) -> str | None:
    """``name`` as the local part of a Turtle prefixed name, or None when it
    holds a character this writer does not put in one (the IRI is then
    written in full).  ``-`` cannot start it and ``.`` cannot start or end
    it; those, and ``~ / %`` and the other reserved characters, are
    backslash-escaped."""
    if _PN_SIMPLE.fullmatch(name):
        return name
    out = []
    last = len(name) - 1
    for i, c in enumerate(name):
        if c in _PN_PLAIN and not ((c == "-" and i == 0) or (c == "." and i in (0, last))):
            out.append(c)
        elif c in _PN_ESCAPED:
            out.append("\\" + c)
        else:
            return None
    return "".join(out)


_XSD = str(XSD)
_XSD_INTEGER, _XSD_DECIMAL, _XSD_BOOLEAN = _XSD + "integer", _XSD + "decimal", _XSD + "boolean"
#: Lexical forms Turtle writes bare, per datatype (as pyoxigraph does).
_TTL_BARE = {_XSD_INTEGER: re.compile(r"[+-]?[0-9]+"),
             _XSD_DECIMAL: re.compile(r"[+-]?[0-9]*\.[0-9]+"),
             _XSD_BOOLEAN: re.compile(r"true|false")}


def _decimal_text(value) -> str | None:
    """``value`` as an ``xsd:decimal`` lexical form, in plain positional
    notation, or None."""
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
    return format(dec, "f")


def _integer_value(value) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date_parts(value: str) -> tuple[str, str] | None:
    """``(lexical form, datatype)``: ``xsd:date`` for yyyy-mm-dd, ``xsd:gYear``
    for yyyy, else a plain literal (datatype ``""``); None for no date."""
    if not value:
        return None
    if _DATE.fullmatch(value):
        try:
            _dt.date.fromisoformat(value)
            return value, _XSD + "date"
        except ValueError:
            pass
    if _YEAR.fullmatch(value):
        return value, _XSD + "gYear"
    return value, ""


def _vocabulary_iri(name: str, allowed, what: str, where: str) -> str:
    """The EDUKG IRI of ``name``; GraphError when the ontology lacks it."""
    if name not in allowed:
        raise GraphError(f"{where}: {what} {name!r} is not one of {', '.join(allowed)}")
    try:
        return str(EDUKG[name])
    except (AttributeError, KeyError):
        raise GraphError(f"{where}: {what} {name!r} is not defined in "
                         "ontology/edukg.ttl (regenerate kg/vocab.py?)") from None


#: Entries a memo of :class:`_Spelling`'s literals holds before it starts
#: afresh (sentences and labels: spelling one again costs little).
_MEMO_LIMIT = 1 << 16

#: Offsets below this fit in the int :func:`_add_evidence` names a span by.
_SPAN_LIMIT = 1 << 24


def _format_of(pairs) -> str:
    """A :meth:`str.format` pattern of a Turtle run: ``(predicate, object)``
    pairs, an object ``None`` being a ``{}`` field."""
    def lit(text: str) -> str:
        return text.replace("{", "{{").replace("}", "}}")
    return " ;\n\t".join(f"{lit(p)} {'{}' if o is None else lit(o)}" for p, o in pairs)


class _Block:
    """Stands in the predicate position of a term list for a run of one
    subject's triples spelt ahead as one piece of Turtle (``p1 o1 ;``, a
    new line and a tab, ``p2 o2`` …; in the object position): the
    fixed-shape records (an evidence record, a reified statement, a metric)
    that make most of a large graph's triples.  ``last`` is the run's last
    predicate."""

    __slots__ = ("last",)

    def __init__(self, last: str) -> None:
        self.last = last


#: Node ids whose IRI is ``BASE + id`` and whose Turtle local name is the
#: id itself (``metric-…``, ``initiative-…``): neither percent-encoded nor
#: escaped, not starting with ``-``.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")


class _Spelling:
    """How the emitter spells RDF terms (N-Triples here; Turtle in
    :class:`_TurtleSpelling`).  One instance serves one export: it spells
    each node's IRI once and remembers recent evidence IRIs and sentences,
    which come back many times."""

    def __init__(self) -> None:
        #: node -> (IRI, term) of the nodes met so far, but those
        #: ``transient`` says are cited by their own few triples only
        #: (metrics: a large graph's hundred thousand would be 40 MiB here)
        self.nodes: dict[str, tuple[str, str]] = {}
        self.transient = None
        self._last: tuple = (None, None)   # the last transient node and its pair
        self._documents: dict[str, str] = {}              # doc id -> term
        #: the spans (as one int, see :func:`_add_evidence`) of the
        #: evidence records cited so far -> their key
        #: (:func:`_evidence_key`) as a number (two ints an entry, not a
        #: tuple and a term: a large graph cites half a million records)
        self.evidence_keys: dict = {}
        #: key -> the evidence record cited, written once after the nodes
        #: and edges
        self.records: dict = {}
        #: key -> how many times it was cited, when counted (None: not)
        self.counts: dict | None = None
        self.record = None   # the evidence record of the last unit made
        self.doc_numbers: dict[str, int] = {}   # document id -> its number in those ints
        self._zh: dict[str, str] = {}
        self._vocab: dict[str, dict[str, tuple[str, str]]] = {}  # what -> name -> ...
        #: The term of an ``xsd:integer`` of an int.
        self.number = self.integer_format().format
        #: name -> (IRI, term) of the edge predicates met so far
        self.predicates = self.known("predicate")
        self.type = self.predicate_iri(str(RDF.type))
        self.statement, self.subject = self.iri(str(RDF.Statement)), self.iri(str(RDF.subject))
        self.predicate, self.object = self.iri(str(RDF.predicate)), self.iri(str(RDF.object))
        self.pref, self.alt = self.iri(str(SKOS.prefLabel)), self.iri(str(SKOS.altLabel))
        self.notation = self.iri(str(SKOS.notation))
        self.title, self.date = self.iri(str(DCTERMS.title)), self.iri(str(DCTERMS.date))
        self.spatial = self.iri(str(DCTERMS.spatial))
        self.e = {name: self.iri(str(EDUKG[name])) for name in (
            "evidence", "Evidence", "inDocument", "start", "end", "sentence", "Document",
            "docId", "publishedBy", "Metric", "value", "unit", "indicator", "year",
            "comparator", "approximate", "status", "weight")}
        self.true = self.literal("true", _XSD_BOOLEAN)
        self.false = self.literal("false", _XSD_BOOLEAN)
        #: an evidence record's term is head + its key (:func:`_evidence_key`) + tail
        self.evidence_head_tail = self.base_head("ev/")
        self._stmt_head, self._stmt_tail = self.base_head("stmt/")
        #: a node of a plain id (:data:`_PLAIN_ID`, most are) is head + id + tail
        self._id_head, self._id_tail = self.base_head("")
        e = self.e
        #: the head of an evidence record's run, and the blocks (Turtle only)
        self.evidence_head = f"{self.type} {e['Evidence']} ;\n\t{e['inDocument']} "
        self.evidence_block = _Block(e["sentence"])
        self.evidence_block_unsaid = _Block(e["end"])   # a record with no sentence
        self.statement_block = _Block(e["weight"])
        #: a reified statement's run, ``.format(subject, predicate, object, weight)``
        self.statement_run = _format_of((
            (self.type, self.statement), (self.subject, None), (self.predicate, None),
            (self.object, None), (e["weight"], None)))
        #: the predicates of an evidence record's triples, in their order
        self.evidence_predicates = (e["evidence"], self.type, e["Evidence"], e["inDocument"],
                                    e["start"], e["end"], e["sentence"])
        self.metric_blocks: dict[str, _Block] = {}
        self._plain: dict[str, str] = {}

    #: Whether the emitter may put :class:`_Block` runs in the term lists
    #: (Turtle's writer reads them; N-Triples lines are triple by triple).
    blocks = False

    # -- what a concrete syntax defines
    def iri(self, iri: str) -> str:
        """An IRI term."""
        return f"<{iri}>"

    def predicate_iri(self, iri: str) -> str:
        """An IRI in the predicate position."""
        return self.iri(iri)

    def base_head(self, local: str) -> tuple[str, str]:
        """``(head, tail)`` with ``head + x + tail`` the term of the IRI
        ``BASE + local + x`` for any string ``x`` of :data:`_PLAIN_ID`
        (hexadecimal digits among them)."""
        return f"<{BASE}{local}", ">"

    def literal(self, text: str, datatype: str = "", lang: str = "") -> str:
        """A literal of the lexical form ``text``."""
        body = f'"{_escape(text)}"'
        if lang:
            return f"{body}@{lang}"
        return f"{body}^^<{datatype}>" if datatype else body

    def integer_format(self) -> str:
        """A :meth:`str.format` pattern of an ``xsd:integer`` literal."""
        return '"{}"^^<' + _XSD_INTEGER + ">"

    # -- shared, memoised
    def integer(self, value) -> str | None:
        """An ``xsd:integer`` literal of ``value``, or None when it is not one."""
        number = _integer_value(value)
        return None if number is None else self.number(number)

    def node_pair(self, node: str) -> tuple[str, str]:
        """``(IRI, term)`` of a graph node (see :func:`node_iri`)."""
        hit = self.nodes.get(node)
        if hit is None:
            if self._last[0] == node:
                return self._last[1]
            if _PLAIN_ID.fullmatch(node):   # no percent-encoding, no escapes
                hit = (BASE + node, f"{self._id_head}{node}{self._id_tail}")
            else:
                iri = _node_iri_text(node)
                hit = (iri, self.iri(iri))
            if self.transient is not None and self.transient(node):
                self._last = (node, hit)
            else:
                self.nodes[node] = hit
        return hit

    def node(self, node: str) -> str:
        """The term of a graph node's IRI."""
        return self.node_pair(node)[1]

    def document(self, doc: str) -> str:
        """The term of the document ``doc``'s IRI."""
        term = self._documents.get(doc)
        if term is None:
            term = self._documents[doc] = self.node(f"doc:{doc}")
        return term

    def known(self, what: str) -> dict[str, tuple[str, str]]:
        """name -> ``(IRI, term)`` of the EDUKG terms of kind ``what`` met so far."""
        return self._vocab.setdefault(what, {})

    def vocabulary(self, name: str, allowed, what: str, where: str) -> tuple[str, str]:
        """``(IRI, term)`` of the EDUKG term ``name`` (see :func:`_vocabulary_iri`)."""
        known = self.known(what)
        hit = known.get(name)
        if hit is None:
            iri = _vocabulary_iri(name, allowed, what, where)
            hit = known[name] = (iri, self.iri(iri))
        return hit

    def statement_of(self, s_iri: str, p_iri: str, o_iri: str) -> str:
        """The term of the reified statement of ``(s, p, o)``."""
        return f"{self._stmt_head}{_sha(f'{s_iri}|{p_iri}|{o_iri}')}{self._stmt_tail}"

    def _remembered(self, memo: dict, text: str, lang: str = "") -> str:
        """:meth:`literal` of ``text`` (in ``lang``), kept in ``memo``."""
        term = memo.get(text)
        if term is None:
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            term = memo[text] = self.literal(text, lang=lang)
        return term

    def zh(self, value) -> str:
        """A Chinese (``@zh``) literal; sentences repeat, so they are remembered."""
        return self._remembered(self._zh, str(value), LANG)

    def plain(self, value) -> str:
        """A plain (``xsd:string``) literal."""
        return self.literal(str(value))

    def short(self, value) -> str:
        """:meth:`plain` of a value that comes back often (a unit, a status)."""
        return self._remembered(self._plain, str(value))

    def decimal(self, value) -> str | None:
        text = _decimal_text(value)
        return None if text is None else self.literal(text, _XSD_DECIMAL)

    def date_literal(self, value: str) -> str | None:
        parts = _date_parts(value)
        return None if parts is None else self.literal(*parts)


class _TurtleSpelling(_Spelling):
    """Terms as Turtle: prefixed names (:data:`PREFIXES`), ``a``, bare
    numbers and booleans, written exactly as pyoxigraph writes them."""

    blocks = True

    _PREFIXES = tuple((name, str(ns)) for name, ns in PREFIXES.items())

    def iri(self, iri: str) -> str:
        for name, ns in self._PREFIXES:
            if iri.startswith(ns):
                local = _ttl_local(iri[len(ns):])
                if local is not None:
                    return f"{name}:{local}"
        return f"<{iri}>"

    def predicate_iri(self, iri: str) -> str:
        return "a" if iri == str(RDF.type) else self.iri(iri)

    def base_head(self, local: str) -> tuple[str, str]:
        head = self.iri(BASE + local + "0")
        return head[:-1], ""

    def literal(self, text: str, datatype: str = "", lang: str = "") -> str:
        if datatype in _TTL_BARE and _TTL_BARE[datatype].fullmatch(text):
            return text
        body = f'"{_ttl_escape(text)}"'
        if lang:
            return f"{body}@{lang}"
        return f"{body}^^{self.iri(datatype)}" if datatype else body

    def integer_format(self) -> str:
        return "{}"


def _add_evidence(out: list, t: _Spelling, subject: str, evidence) -> None:
    """Link ``subject`` to its evidence records, keeping each record the
    first time its ``(doc, start, end)`` is met (:attr:`_Spelling.records`:
    the records themselves are written after every node and edge, by
    :func:`_evidence_terms`)."""
    if not evidence:
        return
    written, numbers, records, counts = t.evidence_keys, t.doc_numbers, t.records, t.counts
    head, tail = t.evidence_head_tail
    link = t.evidence_predicates[0]
    for ev in evidence:
        if ev.__class__ is Evidence:
            doc, start, end = ev.doc_id, ev.start, ev.end
        else:
            try:
                doc, start, end = str(ev["doc"]), int(ev["start"]), int(ev["end"])
            except (KeyError, TypeError, ValueError):
                raise GraphError(f"{subject}: damaged evidence record {ev!r}") from None
        # the span as one int: document number, start and end in 48, 24 and
        # 24 bits (the tuple itself past 2**24), worked out inline: a
        # million citations
        n = numbers.get(doc)
        if n is None:
            n = numbers[doc] = len(numbers)
        span = (n << 48) | (start << 24) | end \
            if 0 <= start < _SPAN_LIMIT and 0 <= end < _SPAN_LIMIT else (doc, start, end)
        known = written.get(span)
        if known is None:
            known = written[span] = int(_evidence_key(doc, start, end), 16)
            records[known] = ev
        out += (subject, link, f"{head}{known:016x}{tail}")
        if counts is not None:
            counts[known] = counts.get(known, 0) + 1


def _evidence_terms(out: list, t: _Spelling, key: int, ev) -> None:
    """The triples of the evidence record ``ev`` named by ``key``
    (:func:`_evidence_key` as a number)."""
    if ev.__class__ is Evidence:
        doc, start, end, sentence = ev.doc_id, ev.start, ev.end, ev.sentence
    else:
        doc, start, end = str(ev["doc"]), int(ev["start"]), int(ev["end"])
        sentence = ev.get("sentence")
    head, tail = t.evidence_head_tail
    number = t.number
    node = f"{head}{key:016x}{tail}"
    _, a, kind, in_doc, p_start, p_end, p_sentence = t.evidence_predicates
    if t.blocks:
        run = f"{t.evidence_head}{t.document(doc)} ;\n\t{p_start} {number(start)} ;\n\t" \
              f"{p_end} {number(end)}"
        if sentence:
            out += (node, t.evidence_block, f"{run} ;\n\t{p_sentence} {t.zh(sentence)}")
        else:
            out += (node, t.evidence_block_unsaid, run)
        return
    out += (node, a, kind, node, in_doc, t.document(doc),
            node, p_start, number(start), node, p_end, number(end))
    if sentence:
        out += (node, p_sentence, t.zh(sentence))


def _add_entity(out: list, t: _Spelling, node: str, a: dict) -> None:
    s = t.node(node)
    out += (s, t.type, t.vocabulary(_text(a.get("type")), ENTITY_TYPES, "entity type", node)[1])
    label = a.get("label")
    if label:
        out += (s, t.pref, t.zh(label))
    for alias in a.get("aliases") or ():
        if alias and alias != label:
            out += (s, t.alt, t.zh(alias))
    if a.get("notation"):
        out += (s, t.notation, t.plain(a["notation"]))
    _add_evidence(out, t, s, a.get("evidence"))


def _add_document(out: list, t: _Spelling, node: str, a: dict, g: nx.MultiDiGraph) -> None:
    s, e = t.node(node), t.e
    out += (s, t.type, e["Document"])
    out += (s, e["docId"], t.plain(_text(a.get("doc_id", node[4:]))))
    if a.get("title"):
        out += (s, t.title, t.zh(a["title"]))
    date = t.date_literal(_text(a.get("date")))
    if date is not None:
        out += (s, t.date, date)
    # publisher and place are entity ids resolved by the pipeline; the
    # publisher is the scored publishedBy relation even without an edge.
    if a.get("publisher") and a["publisher"] in g \
            and not g.has_edge(node, a["publisher"], key="publishedBy"):
        out += (s, e["publishedBy"], t.node(a["publisher"]))
    if a.get("place") and a["place"] in g:
        out += (s, t.spatial, t.node(a["place"]))
    # edukg:path is deliberately not exported: it is machine-specific.


def _add_metric(out: list, t: _Spelling, node: str, a: dict) -> None:
    if isinstance(a, SlotMapping):
        a = a.copy()   # a dict's get is several times faster
    s, e = t.node(node), t.e
    run = [(t.type, e["Metric"])]
    value = t.decimal(a.get("value"))
    if value is not None:
        run.append((e["value"], value))
    if a.get("unit"):
        run.append((e["unit"], t.short(a["unit"])))
    if a.get("indicator"):
        run.append((e["indicator"], t.zh(a["indicator"])))
    year = t.integer(a.get("year"))
    if year is not None:
        run.append((e["year"], year))
    if a.get("comparator"):
        run.append((e["comparator"], t.short(a["comparator"])))
    run.append((e["approximate"], t.true if a.get("approximate") else t.false))
    if a.get("status"):
        run.append((e["status"], t.short(a["status"])))
    if t.blocks:  # every predicate differs: one run of "p o ; p o"
        last = run[-1][0]
        block = t.metric_blocks.get(last) or t.metric_blocks.setdefault(last, _Block(last))
        out += (s, block, " ;\n\t".join([f"{p} {o}" for p, o in run]))
    else:
        for p, o in run:
            out += (s, p, o)
    _add_evidence(out, t, s, a.get("evidence"))


def _add_edge(out: list, t: _Spelling, u: str, v: str, key, a: dict) -> None:
    if a.__class__ is EdgeData:   # its slots read directly: a million edges
        name = getattr(a, "predicate", key)
        weight = getattr(a, "weight", None)
        evidence = getattr(a, "evidence", None)
    else:
        name, weight, evidence = a.get("predicate", key), a.get("weight"), a.get("evidence")
    if name.__class__ is not str:
        name = _text(name)
    p_iri, p = t.predicates.get(name) or \
        t.vocabulary(name, EDGE_PREDICATES, "predicate", f"edge {u} -> {v}")
    nodes = t.nodes
    s_iri, s = nodes.get(u) or t.node_pair(u)
    o_iri, o = nodes.get(v) or t.node_pair(v)
    asserted = name not in UNASSERTED
    if asserted:
        out += (s, p, o)
        if name in DERIVED:
            return
    if weight.__class__ is not int:
        try:
            weight = int(weight if weight is not None else 1)
        except (TypeError, ValueError):
            weight = 1
    if not asserted or evidence or weight > 1:
        st = t.statement_of(s_iri, p_iri, o_iri)
        if t.blocks:
            out += (st, t.statement_block, t.statement_run.format(s, p, o, t.number(weight)))
        else:
            out += (st, t.type, t.statement, st, t.subject, s, st, t.predicate, p,
                    st, t.object, o, st, t.e["weight"], t.number(weight))
        _add_evidence(out, t, st, evidence)


_KEY_AND_TARGET = itemgetter(0, 1)


def _sorted_edges(g: nx.MultiDiGraph):
    """``(u, v, key, data)`` of every edge, sorted by ``(str(u), str(key),
    str(v))``: the sources in order, each one's few edges sorted apart."""
    for u, targets in sorted(g.adjacency(), key=lambda t: str(t[0])):
        if not targets:
            continue
        edges = [(str(k), str(v), v, k, d) for v, keyed in targets.items()
                 for k, d in keyed.items()]
        edges.sort(key=_KEY_AND_TARGET)
        for _, _, v, k, d in edges:
            yield u, v, k, d


#: The sections of the RDF written, in their order: each node's triples
#: (by node), each source's edges (by source), each evidence record (by
#: key).
NODES, EDGES, EVIDENCE = 0, 1, 2


def _units(g: nx.MultiDiGraph, t: _Spelling, only: tuple | None = None,
           evidence: bool = True):
    """The graph as terms spelt by ``t``, in a fixed order: ``(section,
    key, terms)`` of each unit, a node's triples, a source's edges' or an
    evidence record's (:data:`NODES`, :data:`EDGES`, :data:`EVIDENCE`;
    nodes and sources sorted, evidence records by their key as a number),
    each unit's terms a flat list of subject, predicate and object in a row.
    No two units in a row share a subject but a source that is also the
    last node.  The one place the RDF shape of the graph is defined.

    ``only``, of a :class:`~kg.graph.GraphRecords`: ``(nodes, sources)``,
    sorted, the units of those nodes (of the graph) and sources alone.
    Without ``evidence``, the records cited are left in ``t.records``."""
    if only is not None:
        t.transient = g.is_metric
        nodes = ((n, g.attrs(n)) for n in only[0])
        edges = (e for u in only[1] for e in g.edges_from(u))
    elif isinstance(g, GraphRecords):
        t.transient, nodes, edges = g.is_metric, g.nodes(), g.edges()
    else:
        attrs = g._node

        def metric(node: str) -> bool:
            a = attrs.get(node)
            return a is not None and a.get("kind") == "metric"
        t.transient = metric
        nodes = sorted(g.nodes(data=True), key=lambda t: str(t[0]))
        edges = _sorted_edges(g)
    for node, a in nodes:
        out: list[str] = []
        kind = a.get("kind")
        if kind == "entity":
            _add_entity(out, t, str(node), a)
        elif kind == "document":
            _add_document(out, t, str(node), a, g)
        elif kind == "metric":
            _add_metric(out, t, str(node), a)
        yield NODES, node, out
    out, last = [], None
    for u, v, key, a in edges:
        if u != last:
            if out:
                yield EDGES, last, out
                out = []
            last = u
        _add_edge(out, t, str(u), str(v), key, a)
    if out:
        yield EDGES, last, out
    if not evidence:
        return
    records = t.records
    for key in sorted(records):
        out = []
        t.record = records.pop(key)   # (for the writer keeping an index)
        _evidence_terms(out, t, key, t.record)
        yield EVIDENCE, key, out


def _triples(g: nx.MultiDiGraph, t: _Spelling, batch: int = 1 << 15):
    """The terms of :func:`_units` in lists of about ``batch`` terms (a
    flat list: no tuple per triple for the garbage collector to follow)."""
    out: list[str] = []
    for _, _, terms in _units(g, t):
        out += terms
        if len(out) >= batch:
            yield out
            out = []
    if out:
        yield out


def _unique_triples(batches):
    """The ``(s, p, o)`` triples of term batches, each once, in order."""
    for batch in batches:
        terms = iter(batch)
        yield from zip(terms, terms, terms)


def iter_ntriples(g: nx.MultiDiGraph):
    """Yield the graph's N-Triples lines, each once, in a fixed order
    (nodes and edges sorted), without holding them all."""
    for batch in _triples(g, _Spelling()):
        terms = iter(batch)
        for s, p, o in zip(terms, terms, terms):
            yield f"{s} {p} {o} ."


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


@lru_cache(maxsize=None)
def _turtle_header() -> str:
    """The ``@prefix`` lines of :data:`PREFIXES`, in the order pyoxigraph
    writes them, so that :func:`_turtle_text` gives byte for byte what
    pyoxigraph's own serializer gives for the same triples."""
    import pyoxigraph as ox
    node = ox.NamedNode(BASE)
    text = ox.serialize([ox.Triple(node, node, node)], format=ox.RdfFormat.TURTLE,
                        prefixes={k: str(v) for k, v in PREFIXES.items()}).decode("utf-8")
    return "".join(line for line in text.splitlines(keepends=True) if line.startswith("@prefix "))


def _turtle_text(batches):
    """Yield the Turtle text of the term batches of :func:`_triples` (spelt
    by :class:`_TurtleSpelling`), one piece per batch: the prefixes, then
    the triples in their order (:func:`_turtle_pieces`).  Nothing at all
    for no triples."""
    last = (None, None)
    for batch in batches:
        parts = [_turtle_header()] if last[0] is None else []
        last = _turtle_pieces(batch, parts.append, *last)
        yield "".join(parts)
    if last[0] is not None:
        yield " .\n"


def _turtle_pieces(batch: list, add, last_s, last_p) -> tuple:
    """``add`` the Turtle of each triple of ``batch`` after the triple
    whose subject and predicate were ``last_s`` and ``last_p`` (None: the
    first): a run with the same subject written with ``;`` and one with
    the same subject and predicate with ``,`` (a :class:`_Block` run is
    written as it was spelt, its subject's run going on after it); a new
    subject ends the run before it.  Returns the last subject and
    predicate."""
    terms = iter(batch)
    for s, p, o in zip(terms, terms, terms):
        if s == last_s:
            if p == last_p:
                add(f" , {o}")
            elif p.__class__ is _Block:
                add(f" ;\n\t{o}")
                last_p = p.last
            else:
                add(f" ;\n\t{p} {o}")
                last_p = p
        elif p.__class__ is _Block:
            add(f"{s} {o}" if last_s is None else f" .\n{s} {o}")
            last_s, last_p = s, p.last
        else:
            add(f"{s} {p} {o}" if last_s is None else f" .\n{s} {p} {o}")
            last_s, last_p = s, p
    return last_s, last_p


def _unit_text(terms: list) -> str:
    """The Turtle text of one unit of :func:`_units` (its terms spelt by
    :class:`_TurtleSpelling`), ended: what :func:`_turtle_text` writes for
    it between the units before and after it (which share none of its
    subjects); "" for no terms."""
    if not terms:
        return ""
    parts: list[str] = []
    _turtle_pieces(terms, parts.append, None, None)
    parts.append(" .\n")
    return "".join(parts)


def serialize(g: nx.MultiDiGraph, fmt: str = "ttl") -> bytes:
    """The graph in an RDF format of :data:`FORMATS`, deterministic.

    Turtle is written here (:func:`_turtle_text`).  For the other formats
    the N-Triples lines of :func:`ntriples` come in a fixed order;
    pyoxigraph parses them and writes the format in that order, much faster
    than rdflib.  TriG and N-Quads put every triple in the named graph
    :data:`GRAPH_IRI`.
    """
    import pyoxigraph as ox
    if fmt not in FORMATS:
        raise GraphError(f"unknown RDF format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "ttl":
        triples = dict.fromkeys(_unique_triples(_triples(g, _TurtleSpelling())))
        terms = [term for triple in triples for term in triple]
        return "".join(_turtle_text([terms] if terms else [])).encode("utf-8")
    lines = ntriples(g)
    nt = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    if fmt == "nt":
        return nt
    triples = ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)
    rdf_format = getattr(ox.RdfFormat, FORMATS[fmt])
    if fmt in ("trig", "nq"):
        graph = ox.NamedNode(GRAPH_IRI)
        triples = (ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
    prefixes = {k: str(v) for k, v in PREFIXES.items()} if fmt in ("trig", "rdfxml") else None
    return ox.serialize(triples, format=rdf_format, prefixes=prefixes)


def to_turtle(g: nx.MultiDiGraph) -> str:
    """The Turtle text of the graph; the same graph always gives the same text."""
    return serialize(g, "ttl").decode("utf-8")


def write_turtle(g: nx.MultiDiGraph, path: Path) -> None:
    """Write the graph as Turtle to ``path`` (atomically)."""
    write_atomic(Path(path), serialize(g, "ttl"))


def stream_rdf(g: nx.MultiDiGraph, target: Path, fmt: str = "ttl") -> None:
    """Write the graph in ``fmt`` to the file ``target`` (not atomically:
    callers write to a temporary name and rename), streaming, so that the
    triples are never all in memory as Python strings: Turtle is written
    batch by batch; for the other formats the lines go to a temporary
    N-Triples file and pyoxigraph converts file to file."""
    import pyoxigraph as ox
    if fmt not in FORMATS:
        raise GraphError(f"unknown RDF format {fmt!r}; choose one of {', '.join(FORMATS)}")
    target = Path(target)
    if fmt == "ttl":
        with open(target, "wb") as fh, collector_paused():
            for text in _turtle_text(_triples(g, _TurtleSpelling())):
                fh.write(text.encode("utf-8"))
        return
    nt_path = target.with_name(target.name + ".nt.tmp")
    try:
        with open(nt_path, "wb") as fh, collector_paused():
            for batch in _triples(g, _Spelling()):
                terms = iter(batch)
                fh.write("".join([f"{s} {p} {o} .\n" for s, p, o in zip(terms, terms, terms)])
                         .encode("utf-8"))
        if fmt == "nt":
            os.replace(nt_path, target)
            return
        triples = ox.parse(path=str(nt_path), format=ox.RdfFormat.N_TRIPLES)
        if fmt in ("trig", "nq"):
            graph = ox.NamedNode(GRAPH_IRI)
            triples = (ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
        prefixes = {k: str(v) for k, v in PREFIXES.items()} if fmt in ("trig", "rdfxml") else None
        ox.serialize(triples, output=str(target), format=getattr(ox.RdfFormat, FORMATS[fmt]),
                     prefixes=prefixes)
    finally:
        if nt_path.exists():
            nt_path.unlink()


def write_rdf(g: nx.MultiDiGraph, path: Path, fmt: str) -> None:
    """Write the graph in ``fmt`` (see :data:`FORMATS`) to ``path`` (atomically)."""
    write_atomic(Path(path), serialize(g, fmt))
