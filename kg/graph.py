"""The networkx MultiDiGraph every export is rendered from.

Nodes are keyed by a stable id and carry plain attributes (JSON-able, but
for the evidence records):

* entity nodes (``kind="entity"``): ``type`` (one of :data:`kg.model.ENTITY_TYPES`),
  ``label`` (canonical name), ``aliases`` (list), ``notation`` (division code of
  places, else ``""``), ``docs`` (ids of the documents naming it) and
  ``evidence`` (list of evidence records: :class:`kg.model.Evidence`, which
  reads like the ``{"doc", "start", "end", "sentence"}`` dict of its JSON);
* document nodes (``kind="document"``, key ``doc:<doc_id>``): ``doc_id``,
  ``label``, ``title``, ``date``, ``year``, ``path``, ``publisher`` and ``place``
  (entity ids or ``""``);
* metric nodes (``kind="metric"``): ``label`` (the surface text), ``value``,
  ``unit``, ``indicator``, ``year``, ``comparator``, ``approximate``, ``doc``,
  ``about`` (entity id), ``status`` (``result`` or ``target``), ``place``
  (entity id) and ``evidence`` (a one-item list).

In ``graph.json`` (:func:`iter_graph_json`) an evidence record's
``sentence`` is the index of its text in its document's list of the
top-level ``sentences`` (document id -> texts), so each sentence is written
once and a change to one document renumbers the sentences of that document
alone; :func:`load_graph` puts the texts back.

Edges are keyed by their predicate (``edge key == attrs["predicate"]``) and
carry ``evidence`` (list as above) and ``weight``.  Predicates are those of
:data:`kg.model.PREDICATES` plus ``reports`` (document -> metric), ``about``
(metric -> entity) and ``inPlace`` (metric -> place).
"""
from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
import json
from collections import Counter
from collections.abc import Mapping
from itertools import chain, groupby, islice
from operator import attrgetter, itemgetter
from pathlib import Path

import networkx as nx

from . import __version__
from .compact import EdgeData, KnowledgeGraph, MetricData, SlotMapping
from .errors import GraphError
from .io import write_atomic
from .model import Evidence, Extraction

__all__ = ["FORMAT", "doc_node", "build_graph", "graph_to_json", "iter_graph_json",
           "write_graph_json", "write_json_head", "append_json_tail", "graph_to_graphml",
           "save_graph", "load_graph", "entity_nodes", "plain_record", "GraphRecords",
           "RELATION_ORDER"]

FORMAT = "edukg-graph/3"

#: Formats :func:`load_graph` reads: 1 held each evidence sentence inline on
#: every record citing it, 2 held it once in a ``sentences`` list, cited by
#: its index there, 3 holds it once in its document's list of
#: ``sentences``, cited by its index there.
READABLE_FORMATS = ("edukg-graph/1", "edukg-graph/2", FORMAT)


def doc_node(doc_id: str) -> str:
    """The node key of a document."""
    return f"doc:{doc_id}"


_SPAN = attrgetter("doc_id", "start", "end")


def _evidence_list(evidence, shared: dict | None = None) -> list[Evidence]:
    """Evidence records sorted, one per span; with ``shared``, equal records
    are one object (the first met), so the graph holds each span once
    however many nodes and edges cite it.  (Keyed by the records, which are
    alive anyway: span tuples as keys would cost 30 MiB at 16M characters.)"""
    if len(evidence) == 1:  # most edges: nothing to sort or merge
        (ev,) = evidence
        return [ev if shared is None else shared.setdefault(ev, ev)]
    seen, out = set(), []
    for ev in sorted(evidence, key=_SPAN):
        key = (ev.doc_id, ev.start, ev.end)
        if key not in seen:
            seen.add(key)
            out.append(ev if shared is None else shared.setdefault(ev, ev))
    return out


def _drained(items: list, consume: bool):
    """Yield the items of ``items``; with ``consume``, each is dropped from
    the list as it is handed out, and the list ends empty."""
    if not consume:
        yield from items
        return
    for i in range(len(items)):
        item, items[i] = items[i], None
        yield item
    items.clear()


def _entity_attrs(ent, shared: dict | None = None) -> dict:
    """The attributes of an entity's node."""
    return dict(kind="entity", type=ent.type, label=ent.name,
                aliases=sorted(set(ent.aliases) - {ent.name}), notation=ent.notation,
                docs=sorted({ev.doc_id for ev in ent.evidence}),
                evidence=_evidence_list(ent.evidence, shared))


def _document_attrs(doc, publisher: str, place: str) -> dict:
    """The attributes of a document's node (``publisher`` and ``place``
    entity ids or ``""``)."""
    return dict(kind="document", doc_id=doc.doc_id, label=doc.title or doc.doc_id,
                title=doc.title, date=doc.date, year=doc.year, path=doc.path,
                publisher=publisher, place=place)


def _metric_values(m, ev: list) -> tuple:
    """The attributes of a metric's node (``ev`` its evidence list), in
    :attr:`MetricData.FIELDS` order."""
    return ("metric", m.text, m.value, m.unit, m.indicator, m.year, m.comparator,
            m.approximate, m.doc_id, m.about, m.status, m.place, ev)


def _metric_attrs(m, ev: list) -> dict:
    """The attributes of a metric's node, as a dict."""
    return dict(zip(MetricData.FIELDS, _metric_values(m, ev)))


#: The order of an extraction's relations (link gives them in it)
RELATION_ORDER = attrgetter("subject", "predicate", "object")
_ID = attrgetter("id")


def build_graph(ex: Extraction, consume: bool = False) -> nx.MultiDiGraph:
    """Turn an :class:`Extraction` into the graph, in a deterministic order.

    With ``consume`` the extraction's relations and metrics move into the
    graph: each is let go as soon as it is added, so the graph reuses the
    memory they held instead of both being held at once (a large build's
    relations are tens of megabytes), and ``ex.relations`` and
    ``ex.metrics`` are empty afterwards."""
    g = KnowledgeGraph(format=FORMAT, version=__version__)
    shared: dict = {}
    for ent in sorted(ex.entities, key=_ID):
        g.add_node(ent.id, **_entity_attrs(ent, shared))
    places = {e.name: e.id for e in ex.entities if e.type == "Place"}
    for doc in sorted(ex.documents, key=lambda d: d.doc_id):
        g.add_node(doc_node(doc.doc_id), **_document_attrs(
            doc, ex.publishers.get(doc.doc_id, ""), places.get(doc.place, "")))
    relations = sorted(ex.relations, key=RELATION_ORDER)
    metrics = sorted(ex.metrics, key=_ID)
    if consume:
        ex.relations, ex.metrics = [], []
    known = g._node   # the node table (a dict): `in g` asks it through a method call
    g.add_usual_edges((rel.subject, rel.object, rel.predicate, rel.predicate, rel.weight,
                       _evidence_list(rel.evidence, shared))
                      for rel in _drained(relations, consume)
                      if rel.subject in known and rel.object in known)
    for m in _drained(metrics, consume):
        ev = _evidence_list((m.evidence,), shared) if m.evidence else []
        g.add_metric_node(m.id, MetricData.of(_metric_values(m, ev)))
        d = doc_node(m.doc_id)
        if d in known:
            g.add_usual_edge(d, m.id, "reports", "reports", 1, ev)
        else:   # a document without its node: the edge makes it, bare
            g.add_edge(d, m.id, key="reports", predicate="reports", weight=1, evidence=ev)
        if m.about and m.about in known:
            g.add_usual_edge(m.id, m.about, "about", "about", 1, ev)
        if m.place and m.place in known:
            g.add_usual_edge(m.id, m.place, "inPlace", "inPlace", 1, ev)
    return g


class GraphRecords:
    """The nodes and edges :func:`build_graph` makes of an extraction, read
    in sorted order without making the graph: for a writer that needs no
    more (the Turtle of a build with several workers, written by a forked
    process that would otherwise build a second graph, about 6 s and half
    a gigabyte at 16M characters).

    :meth:`nodes` gives ``(node, attrs)`` sorted by node, :meth:`edges`
    ``(source, target, key, attrs)`` sorted by source, key and target, the
    attributes being those of the graph.  The extraction is read, not
    changed."""

    def __init__(self, ex: Extraction) -> None:
        self.ex = ex
        self.graph = {"format": FORMAT, "version": __version__}   # the graph's attributes
        self.places = {e.name: e.id for e in ex.entities if e.type == "Place"}
        self._entities = {e.id: e for e in ex.entities}
        self._documents = {doc_node(d.doc_id): d for d in ex.documents}
        self._metrics = {m.id: m for m in ex.metrics}
        # relations build_graph keeps: both ends an entity or a document
        ends = self._entities.keys() | self._documents.keys()
        relations = ex.relations if ex.relations_sorted else \
            sorted(ex.relations, key=RELATION_ORDER)
        self._relations = [r for r in relations if r.subject in ends and r.object in ends]
        self._published = {(r.subject, r.object) for r in self._relations
                           if r.predicate == "publishedBy"}
        # a metric's document is a node even when no document has its id
        # (build_graph's add_edge makes it, without attributes)
        self._bare = {doc_node(m.doc_id) for m in ex.metrics} - self._documents.keys()
        self._counts: tuple | None = None
        self._subjects: list | None = None   # the relations' subjects, for edges_from
        self._reports: dict = {}

    def __contains__(self, node) -> bool:
        return node in self._entities or node in self._documents or node in self._metrics \
            or node in self._bare

    def is_metric(self, node) -> bool:
        return node in self._metrics

    def is_entity(self, node) -> bool:
        return node in self._entities

    def has_edge(self, u, v, key=None) -> bool:
        """Only what the writers ask: a document's publishedBy edge."""
        if key != "publishedBy":
            raise NotImplementedError("GraphRecords.has_edge answers publishedBy only")
        return (u, v) in self._published

    def nodes(self, start: int = 0):
        """``(node, attrs)`` of every node, sorted by node (from the
        ``start``-th on)."""
        for n in sorted(self._entities.keys() | self._documents.keys() | self._metrics.keys()
                        | self._bare)[start:]:
            yield n, self.attrs(n)

    def attrs(self, n) -> dict:
        """The attributes of node ``n`` (a node of the graph)."""
        ent = self._entities.get(n)
        if ent is not None:
            return _entity_attrs(ent)
        doc = self._documents.get(n)
        if doc is not None:
            return _document_attrs(doc, self.ex.publishers.get(doc.doc_id, ""),
                                   self.places.get(doc.place, ""))
        m = self._metrics.get(n)
        if m is not None:
            return _metric_attrs(m, [m.evidence] if m.evidence else [])
        return {}

    def neighbours(self) -> dict:
        """Every node but the metrics, with its number of neighbours: the
        nodes it has an edge to plus those it has an edge from (the
        length of its successors' and of its predecessors' adjacency in the
        graph)."""
        count = Counter(dict.fromkeys(self._entities.keys() | self._documents.keys()
                                      | self._bare, 0))
        for subject, run in groupby(self._relations, _SUBJECT):
            targets = set(map(_OBJECT, run))
            count[subject] += len(targets)
            count.update(targets)
        # (metrics have no count; their ends are nodes counted already)
        metrics = self._metrics.values()
        count.update(map(doc_node, map(_DOC_ID, metrics)))
        count.update([m.about for m in metrics if m.about in count])
        count.update([m.place for m in metrics if m.place != m.about and m.place in count])
        return dict(count)

    def metrics_about(self, nodes) -> list:
        """The metrics about one of ``nodes``."""
        return [m.id for m in self._metrics.values() if m.about in nodes]

    def __len__(self) -> int:
        """The number of nodes."""
        return len(self._entities) + len(self._documents) + len(self._metrics) + len(self._bare)

    def counts(self) -> tuple[int, int, int, int]:
        """How many entities (nodes neither documents nor metrics),
        documents, metrics and edges the graph has."""
        if self._counts is None:
            self._counts = self._counted()
        return self._counts

    def have_counts(self, counts: tuple) -> None:
        """Take :meth:`counts` as found by another process reading the
        same extraction."""
        self._counts = tuple(counts)

    def _counted(self) -> tuple[int, int, int, int]:
        # (sorted by key: a key's relations are next to each other)
        relations = sum(1 for _ in groupby(map(RELATION_ORDER, self._relations)))
        # each metric's edges to what it is about and where it counts, if
        # nodes (most metrics name the same few: each asked once)
        ends = sum(n for end, n in Counter(chain(map(_ABOUT, self._metrics.values()),
                                                 map(_PLACE, self._metrics.values()))).items()
                   if end and end in self)
        return (len(self._entities) + len(self._bare), len(self._documents), len(self._metrics),
                relations + len(self._metrics) + ends)

    def sizes(self) -> tuple[dict, int]:
        """How many nodes of each kind (entities by type, then
        ``document`` and ``metric``; a document node made bare by its
        metrics, None) and how many edges the graph has."""
        kinds = dict(Counter(e.type for e in self._entities.values()))
        if self._bare:
            kinds[None] = len(self._bare)
        if self._documents:
            kinds["document"] = len(self._documents)
        if self._metrics:
            kinds["metric"] = len(self._metrics)
        return kinds, self.counts()[3]

    def edges_among(self, nodes):
        """``(source, target, key, attrs)`` of the edges between two of
        ``nodes`` (which holds no metric), sorted by source, key and
        target."""
        for u, run in self._relation_edges(nodes):
            yield from _ordered(u, run)

    def _relation_edges(self, among=None):
        """``(source, [(key, target, attrs)])`` of the relations (those
        between two of ``among``, when given), by source."""
        relations = self._relations if among is None else \
            [r for r in self._relations if r.subject in among and r.object in among]
        last, run = None, []
        for r in relations:   # of equal relations, _ordered keeps the last
            if r.subject != last:
                if run:
                    yield last, run
                last, run = r.subject, []
            run.append((r.predicate, r.object, {"evidence": _evidence_list(r.evidence),
                                                "predicate": r.predicate,
                                                "weight": r.weight} if among is None
                        else _RelationAttrs(r)))
        if run:
            yield last, run

    def _metric_edges(self):
        """``(source, [(key, target, attrs)])`` of the metrics' edges, by
        source: each document's reports, each metric's about and inPlace
        (made as they are read, not all at once)."""
        metrics = sorted(self._metrics.values(), key=_ID)
        reports: dict[str, list] = {}
        for m in metrics:
            reports.setdefault(doc_node(m.doc_id), []).append(m)

        def by_document():
            for d in sorted(reports):
                yield d, [("reports", m.id, _edge("reports", m)) for m in reports[d]]

        def by_metric():
            for m in metrics:
                run = []
                if m.about and m.about in self:
                    run.append(("about", m.about, _edge("about", m)))
                if m.place and m.place in self:
                    run.append(("inPlace", m.place, _edge("inPlace", m)))
                if run:
                    yield m.id, run
        return heapq.merge(by_document(), by_metric(), key=_SOURCE)

    def _relations_of(self, u) -> tuple[int, int]:
        """Where the relations of subject ``u`` are in the sorted list."""
        if self._subjects is None:
            self._subjects = [r.subject for r in self._relations]
            self._reports = {}
            for m in sorted(self._metrics.values(), key=_ID):
                self._reports.setdefault(doc_node(m.doc_id), []).append(m)
        at = bisect_left(self._subjects, u)
        return at, bisect_right(self._subjects, u, at)

    def edges_among_from(self, u, nodes):
        """:meth:`edges_among` ``nodes`` of the source ``u`` alone."""
        at, upto = self._relations_of(u)
        run = [(r.predicate, r.object, _RelationAttrs(r)) for r in self._relations[at:upto]
               if r.object in nodes]
        return _ordered(u, run) if run and u in nodes else []

    def edges_from(self, u):
        """``(u, target, key, attrs)`` of the edges of source ``u``, as
        :meth:`edges` gives them."""
        at, upto = self._relations_of(u)
        run = [(r.predicate, r.object, {"evidence": _evidence_list(r.evidence),
                                        "predicate": r.predicate, "weight": r.weight})
               for r in self._relations[at:upto]]
        run += [("reports", m.id, _edge("reports", m)) for m in self._reports.get(u, ())]
        m = self._metrics.get(u)
        if m is not None:
            if m.about and m.about in self:
                run.append(("about", m.about, _edge("about", m)))
            if m.place and m.place in self:
                run.append(("inPlace", m.place, _edge("inPlace", m)))
        return _ordered(u, run) if run else []

    def edges(self):
        """``(source, target, key, attrs)`` of every edge, sorted by
        source, then key and target."""
        merged = heapq.merge(self._relation_edges(), self._metric_edges(), key=_SOURCE)
        last, run = None, []
        for u, edges in merged:
            if u != last and run:
                yield from _ordered(last, run)
                run = []
            last = u
            run += edges
        if run:
            yield from _ordered(last, run)


_SOURCE = itemgetter(0)
_SUBJECT, _OBJECT = attrgetter("subject"), attrgetter("object")
_DOC_ID, _ABOUT, _PLACE = attrgetter("doc_id"), attrgetter("about"), attrgetter("place")


class _RelationAttrs(Mapping):
    """The attributes of a relation's edge, its evidence list made only
    when read (the page reads the predicate and weight of 340,000 edges at
    16M characters, and keeps 60,000)."""
    __slots__ = ("_r",)

    def __init__(self, relation) -> None:
        self._r = relation

    def __getitem__(self, key):
        if key == "predicate":
            return self._r.predicate
        if key == "weight":
            return self._r.weight
        if key == "evidence":
            return _evidence_list(self._r.evidence)
        raise KeyError(key)

    def get(self, key, default=None):
        return self[key] if key in _EDGE_ATTRS else default

    def __iter__(self):
        return iter(("evidence", "predicate", "weight"))

    def __len__(self) -> int:
        return 3


def _edge(predicate: str, m) -> dict:
    return {"evidence": [m.evidence] if m.evidence else [], "predicate": predicate, "weight": 1}


def _ordered(u, run: list) -> list:
    """The edges of source ``u``, sorted by key and target (a later one of
    equal key and target replacing the earlier, as in the graph)."""
    by_key = {(k, v): d for k, v, d in run}
    return [(u, v, k, by_key[(k, v)]) for k, v in sorted(by_key)]


def entity_nodes(g: nx.MultiDiGraph):
    """Yield ``(node, attrs)`` of the entity nodes, sorted by id."""
    for n in sorted(g.nodes):
        if g.nodes[n].get("kind") == "entity":
            yield n, g.nodes[n]


def graph_to_json(g: nx.MultiDiGraph) -> str:
    """Node-link JSON of the graph, sorted, compact and without timestamps
    (compact, so the C encoder writes it: many times faster than indented)."""
    return "".join(iter_graph_json(g))


def _evidence_stub(evidence: list, number) -> list:
    """``evidence`` with each sentence's text replaced by its index among
    its document's, ``number(doc, text)`` (:meth:`_JsonSpeller.number`); a
    record without a document id keeps its text."""
    out = []
    for ev in evidence:
        if isinstance(ev, Evidence):
            ev = ev.to_dict()
        if isinstance(ev, dict) and isinstance(ev.get("sentence"), str) \
                and isinstance(ev.get("doc"), str):
            ev = {**ev, "sentence": number(ev["doc"], ev["sentence"])}
        out.append(ev)
    return out


def _stubbed(attrs: dict, number) -> dict:
    evidence = attrs.get("evidence")
    if not evidence or not isinstance(evidence, list):
        return attrs
    return {**attrs, "evidence": _evidence_stub(evidence, number)}


#: The attributes of the edges :func:`build_graph` makes, and of their
#: evidence records.
_EDGE_ATTRS = frozenset({"evidence", "predicate", "weight"})
_RECORD_KEYS = frozenset({"doc", "start", "end", "sentence"})
#: What :meth:`_JsonSpeller.node` puts in place of the evidence list, and
#: its JSON (no text of a build holds a NUL: cleaning removes control marks).
_HOLE = "\x00evidence\x00"
_HOLE_JSON = json.dumps(_HOLE)


class _JsonSpeller:
    """Spells edges as ``dumps`` of their node-link dictionary with stubbed
    evidence (:func:`_evidence_stub`) would.  The usual edge (the attributes
    :func:`build_graph` gives, plain types) is put together from pieces
    (ids memoised), several times faster; any other goes through
    ``dumps``."""

    def __init__(self, dumps) -> None:
        self.dumps = dumps
        self.sentences: dict = {}   # document -> sentence text -> index
        self._strings: dict = {}    # document and node ids, predicates -> JSON
        #: when a set, the documents of the records spelt are added to it
        self.cited: set | None = None

    def table(self, doc: str) -> dict:
        """Document ``doc``'s sentences numbered so far (text -> index),
        made empty when it has none."""
        table = self.sentences.get(doc)
        if table is None:
            table = self.sentences[doc] = {}
        return table

    def string(self, text: str) -> str:
        out = self._strings.get(text)
        if out is None:
            out = self._strings[text] = self.dumps(text)
        return out

    def record(self, ev) -> str:
        """The JSON of an evidence record, spelt anew at each citation
        (remembering half a million of them would cost 80 MiB for half a
        second)."""
        if type(ev) is Evidence:
            doc, start, end, text = ev.doc_id, ev.start, ev.end, ev.sentence
        elif type(ev) is dict and ev.keys() == _RECORD_KEYS:
            doc, start, end, text = ev["doc"], ev["start"], ev["end"], ev["sentence"]
        else:
            return self._other(ev)
        if type(doc) is str and type(start) is int and type(end) is int and type(text) is str:
            index = self.number(doc, text)
            return f'{{"doc":{self.string(doc)},"end":{end},"sentence":{index},"start":{start}}}'
        return self._other(ev)

    def number(self, doc: str, text: str) -> int:
        """The index of ``text`` among the sentences of document ``doc``
        (each document's numbered in order of first citation), handing out
        the next when it has none."""
        table = self.table(doc)
        index = table.get(text)
        if index is None:
            index = table[text] = len(table)
        if self.cited is not None:
            self.cited.add(doc)
        return index

    def _other(self, ev) -> str:
        """A record not of the usual shape, through ``dumps``."""
        return self.dumps(_evidence_stub([ev], self.number)[0])

    def edge(self, u, v, k, d) -> str:
        weight, predicate, records = d.get("weight"), d.get("predicate"), d.get("evidence")
        usual = d.usual() if type(d) is EdgeData else d.keys() == _EDGE_ATTRS
        if (not usual or type(weight) is not int or type(predicate) is not str
                or type(k) is not str or type(u) is not str or type(v) is not str
                or type(records) is not list):
            return self.dumps({**_stubbed(d, self.number), "source": u,
                               "target": v, **({"key": k} if k is not None else {})})
        strings = self._strings
        return (f'{{"evidence":{self.records(records)},'
                f'"key":{strings.get(k) or self.string(k)},'
                f'"predicate":{strings.get(predicate) or self.string(predicate)},'
                f'"source":{strings.get(u) or self.string(u)},'
                f'"target":{strings.get(v) or self.string(v)},"weight":{weight}}}')

    def records(self, evidence: list) -> str:
        """The JSON list of ``evidence``'s records: :meth:`record` of each,
        inline for the records a build makes."""
        strings, sentences, spelt, cited = self._strings, self.sentences, [], self.cited
        for ev in evidence:
            if type(ev) is Evidence:
                doc, start, end, text = ev.doc_id, ev.start, ev.end, ev.sentence
                if type(doc) is str and type(start) is int and type(end) is int \
                        and type(text) is str:
                    # numbered inline: a call a record costs a tenth of a second
                    table = sentences.get(doc)
                    if table is None:
                        table = self.table(doc)
                    index = table.get(text)
                    if index is None:
                        index = table[text] = len(table)
                    if cited is not None:
                        cited.add(doc)
                    spelt.append(f'{{"doc":{strings.get(doc) or self.string(doc)},"end":{end},'
                                 f'"sentence":{index},"start":{start}}}')
                    continue
            spelt.append(self.record(ev))
        return f'[{",".join(spelt)}]'

    def node(self, n, d) -> str:
        """The node's dictionary as ``dumps`` spells it, its evidence list
        spelt by :meth:`records` into the place a marker held (a node's
        records are most of its text; a dictionary per record for the
        encoder took a sixth more time)."""
        if isinstance(d, SlotMapping):
            d = d.copy()
        evidence = d.get("evidence")
        if type(evidence) is list and evidence:
            spelt = self.records(evidence)
            text = self.dumps({**d, "evidence": _HOLE, "id": n})
            if text.count(_HOLE_JSON) == 1:
                return text.replace(_HOLE_JSON, spelt)
            # an attribute spelt like the marker: the long way (the records
            # again, their sentences already numbered in the same order)
        return self.dumps({**_stubbed(d, self.number), "id": n})


def _sorted_edges(g: nx.Graph):
    """Lists of (source, target, key, attrs), sorted by (source, key,
    target), one list per source node (networkx's adjacency dictionaries
    are read directly: its edge views cost about three seconds a million
    edges)."""
    adj = g._adj
    for u in sorted(adj):
        if g.is_multigraph():
            out = sorted([(k, v, d) for v, kd in adj[u].items() for k, d in kd.items()],
                         key=lambda e: (e[0], e[1]))
            yield [(u, v, k, d) for k, v, d in out]
        else:
            yield [(u, v, None, d) for v, d in sorted(adj[u].items(), key=lambda e: e[0])]


def iter_graph_json(g: nx.MultiDiGraph, batch: int = 2000):
    """The text of :func:`graph_to_json` in pieces of about ``batch`` nodes
    or edges, so a large graph is never one string (nor copied into
    node-link dictionaries all at once); ``g`` a graph, or the
    :class:`GraphRecords` of an extraction (the same text, without the
    graph).

    It is networkx node-link data (keys sorted, nodes by id, edges by
    (source, key, target)) with one change: the ``sentence`` of an evidence
    record is a number, the index of its text in its document's list of a
    top-level ``sentences`` object (document id -> texts, each document's
    in order of first citation), where each sentence is written once
    however many records cite it (a sentence is cited by about ten nodes
    and edges: the file is about three times smaller).  Numbered by
    document, a change to one document renumbers no other document's
    sentences, so the records citing them stay as they were.
    :func:`load_graph` puts the texts back.

    The text comes in two halves, which two processes can write:
    :func:`json_head` (up to the nodes) and :func:`json_tail` (the nodes and
    the sentences), the tail numbering the sentences the head has not."""
    spell = _JsonSpeller(_json_dumps())
    yield from json_head(g, spell, batch)
    nodes = g.nodes() if isinstance(g, GraphRecords) \
        else ((n, g.nodes[n]) for n in sorted(g.nodes))
    yield from json_tail(nodes, spell, batch)


def _json_dumps():
    return json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def json_head(g: nx.MultiDiGraph, spell: "_JsonSpeller", batch: int = 2000):
    """The first half of :func:`iter_graph_json`: the edges, the graph's
    attributes, up to the opening of the node list (of a graph, or of the
    :class:`GraphRecords` of an extraction: the same text).
    ``spell.sentences`` then numbers the sentences the edges cite."""
    dumps = spell.dumps
    records = isinstance(g, GraphRecords)
    yield '{"directed":' + dumps(True if records else g.is_directed()) + ',"edges":['
    part: list[str] = []
    first = True
    edge = spell.edge
    for edges in ((e,) for e in g.edges()) if records else _sorted_edges(g):
        part.extend([edge(*e) for e in edges])
        if len(part) >= batch:
            yield ("" if first else ",") + ",".join(part)
            first, part = False, []
    if part:
        yield ("" if first else ",") + ",".join(part)
    # the format this writer spells, whatever graph it was given
    yield ('],"graph":' + dumps({**g.graph, "format": FORMAT}) + ',"multigraph":'
           + dumps(True if records else g.is_multigraph())
           + ',"nodes":[')


def json_tail(nodes, spell: "_JsonSpeller", batch: int = 2000, first: bool = True):
    """The second half of :func:`iter_graph_json`: ``nodes``, ``(node,
    attrs)`` sorted by node (a graph's, or :meth:`GraphRecords.nodes`), and
    every sentence cited, by document, in ``spell``'s numbering (``first``:
    whether these are the first nodes of the list)."""
    yield from json_nodes(nodes, spell, batch, first)
    # a few documents' sentences at a time: the texts whole would be one
    # string of 60 MB at 16M characters, its bytes as much again
    yield '],"sentences":{'
    dumps, sentences = spell.dumps, spell.sentences
    part: list[str] = []
    sep = ""
    for doc in sorted(sentences):
        part.append(f"{dumps(doc)}:{dumps(list(sentences[doc]))}")
        if len(part) >= 64:
            yield sep + ",".join(part)
            sep, part = ",", []
    if part:
        yield sep + ",".join(part)
    yield "}}\n"


def _sentence_lists(sentences: dict) -> dict[str, list[str]]:
    """Document -> its sentences' texts in their numbering, of a
    :class:`_JsonSpeller`'s ``sentences``."""
    return {doc: list(table) for doc, table in sentences.items()}


def json_nodes(nodes, spell: "_JsonSpeller", batch: int = 2000, first: bool = True):
    """The items of the node list of :func:`iter_graph_json` for ``nodes``
    (``first``: whether they begin the list)."""
    part: list[str] = []
    for n, d in nodes:
        part.append(spell.node(n, d))
        if len(part) >= batch:
            yield ("" if first else ",") + ",".join(part)
            first, part = False, []
    if part:
        yield ("" if first else ",") + ",".join(part)


def _write_pieces(path: Path, pieces, mode: str = "wb") -> None:
    with open(path, mode) as fh:
        for part in pieces:
            fh.write(part.encode("utf-8"))


def write_graph_json(g: nx.MultiDiGraph, path: Path) -> None:
    """Write :func:`graph_to_json` of ``g`` to ``path`` (not atomically:
    callers write to a temporary name and rename), piece by piece."""
    _write_pieces(path, iter_graph_json(g))


def write_json_head(g: nx.MultiDiGraph, path: Path, nodes: int = 0) -> dict[str, list[str]]:
    """Write :func:`json_head` of ``g`` (a graph or :class:`GraphRecords`)
    to ``path``, and its first ``nodes`` nodes; return the sentences
    numbered (document -> texts, in order), for :func:`append_json_tail`."""
    spell = _JsonSpeller(_json_dumps())
    if isinstance(g, GraphRecords):
        lead = list(islice(g.nodes(), nodes))
    else:
        lead = [(n, g.nodes[n]) for n in sorted(g.nodes)[:nodes]] if nodes else []
    _write_pieces(path, chain(json_head(g, spell), json_nodes(lead, spell)))
    return _sentence_lists(spell.sentences)


def append_json_tail(nodes, sentences: dict[str, list[str]], path: Path,
                     first: bool = True) -> None:
    """Append :func:`json_tail` of ``nodes`` to the head at ``path``, the
    sentences numbered as the head's writer numbered them (``sentences``,
    from :func:`write_json_head`; ``first``: whether it wrote no node): the
    same bytes as :func:`write_graph_json` of the graph whose nodes these
    are."""
    spell = _JsonSpeller(_json_dumps())
    spell.sentences = {doc: dict(zip(texts, range(len(texts))))
                       for doc, texts in sentences.items()}
    _write_pieces(path, json_tail(nodes, spell, first=first), "ab")


def graph_to_graphml(g: nx.MultiDiGraph) -> bytes:
    """GraphML of the graph: list and dict attributes (aliases, evidence)
    become JSON strings, since GraphML holds only scalars."""
    h = nx.MultiDiGraph()
    for n in sorted(g.nodes):
        h.add_node(n, **{k: _scalar(v) for k, v in sorted(g.nodes[n].items())})
    for u, v, k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[2], e[1])):
        h.add_edge(u, v, key=k, **{a: _scalar(b) for a, b in sorted(d.items())})
    return "\n".join(nx.generate_graphml(h, encoding="utf-8", prettyprint=True)).encode("utf-8") + b"\n"


def _scalar(value):
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=plain_record)
    return value


def save_graph(g: nx.MultiDiGraph, path: Path) -> None:
    write_atomic(Path(path), graph_to_json(g))


def load_graph(path: Path) -> nx.MultiDiGraph:
    """Read ``graph.json`` (or the build directory holding it)."""
    path = Path(path)
    if path.is_dir():
        path = path / "graph.json"
    if not path.exists():
        raise GraphError(f"no graph at {path}: run `kg build` first "
                         "or name the build directory with --graph")
    try:
        data = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GraphError(f"{path} is not a readable edukg graph: {exc}") from None
    if not is_graph_data(data):
        raise GraphError(f"{path} is not an edukg graph (expected format {FORMAT})")
    try:
        _restore_sentences(data)
        g = _node_link_graph(data)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, nx.NetworkXError) as exc:
        raise GraphError(f"{path} is a damaged edukg graph: {exc}") from None
    g.graph["format"] = FORMAT
    return g


def is_graph_data(data) -> bool:
    """Whether parsed JSON is an edukg graph of a format this version reads."""
    return isinstance(data, dict) and isinstance(data.get("graph"), dict) \
        and data["graph"].get("format") in READABLE_FORMATS


def _node_link_graph(data: dict) -> KnowledgeGraph:
    """What ``networkx.node_link_graph`` makes of a directed multigraph's
    node-link data, as a :class:`~kg.compact.KnowledgeGraph`."""
    g = KnowledgeGraph()
    g.graph = data["graph"]
    for d in data["nodes"]:
        attrs = {str(k): v for k, v in d.items() if k != "id"}
        if attrs.get("kind") == "metric":
            g.add_metric_node(d["id"], attrs)
        else:
            g.add_node(d["id"], **attrs)
    ends = ("source", "target", "key")
    for d in data["edges"]:
        g.add_edge(d["source"], d["target"], d.get("key"),
                   **{str(k): v for k, v in d.items() if k not in ends})
    return g


def plain_record(value):
    """A ``json.dumps`` ``default``: an :class:`~kg.model.Evidence` as the
    dictionary graph.json holds."""
    if isinstance(value, Evidence):
        return value.to_dict()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _restore_sentences(data: dict) -> None:
    """Put the texts of ``data["sentences"]`` back on the evidence records
    citing them by index (among their document's sentences, or in format
    2 among all), in place; equal records become one
    :class:`~kg.model.Evidence` (a record of another shape stays a
    dictionary, for the validators to report)."""
    texts = data.pop("sentences", None)
    if texts is None:   # format 1: the texts are inline
        return
    by_doc = data["graph"].get("format") != "edukg-graph/2"
    records: dict = {}
    for item in (*data["nodes"], *data["edges"]):
        evidence = item.get("evidence")
        if not evidence or not isinstance(evidence, list):
            continue
        for i, ev in enumerate(evidence):
            if not isinstance(ev, dict) or type(ev.get("sentence")) is not int:
                continue   # a record the writer did not stub
            span = (ev.get("doc"), ev.get("start"), ev.get("end"), ev["sentence"])
            record = records.get(span)
            if record is None:
                doc, start, end, number = span
                text = texts[doc][number] if by_doc else texts[number]
                if ev.keys() == _RECORD_KEYS and type(doc) is str and type(start) is int \
                        and type(end) is int:
                    record = Evidence(doc, start, end, text)
                else:
                    record = {**ev, "sentence": text}
                records[span] = record
            evidence[i] = record
