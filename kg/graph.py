"""The networkx MultiDiGraph every export is rendered from.

Nodes are keyed by a stable id and carry plain JSON-able attributes:

* entity nodes (``kind="entity"``): ``type`` (one of :data:`kg.model.ENTITY_TYPES`),
  ``label`` (canonical name), ``aliases`` (list), ``notation`` (division code of
  places, else ``""``), ``docs`` (ids of the documents naming it) and
  ``evidence`` (list of ``{"doc", "start", "end", "sentence"}``);
* document nodes (``kind="document"``, key ``doc:<doc_id>``): ``doc_id``,
  ``label``, ``title``, ``date``, ``year``, ``path``, ``publisher`` and ``place``
  (entity ids or ``""``);
* metric nodes (``kind="metric"``): ``label`` (the surface text), ``value``,
  ``unit``, ``indicator``, ``year``, ``comparator``, ``approximate``, ``doc``,
  ``about`` (entity id), ``status`` (``result`` or ``target``), ``place``
  (entity id) and ``evidence`` (a one-item list).

Edges are keyed by their predicate (``edge key == attrs["predicate"]``) and
carry ``evidence`` (list as above) and ``weight``.  Predicates are those of
:data:`kg.model.PREDICATES` plus ``reports`` (document -> metric), ``about``
(metric -> entity) and ``inPlace`` (metric -> place).
"""
from __future__ import annotations

import json
from pathlib import Path

import networkx as nx

from . import __version__
from .errors import GraphError
from .io import write_atomic
from .model import Extraction

__all__ = ["FORMAT", "doc_node", "build_graph", "graph_to_json", "iter_graph_json",
           "write_graph_json", "graph_to_graphml",
           "save_graph", "load_graph", "entity_nodes"]

FORMAT = "edukg-graph/1"


def doc_node(doc_id: str) -> str:
    """The node key of a document."""
    return f"doc:{doc_id}"


def _evidence_list(evidence, shared: dict | None = None) -> list[dict]:
    """Evidence records sorted, one per span; with ``shared``, equal records
    are one dictionary (a sentence's co-mention pairs share their record)."""
    if len(evidence) == 1:  # most edges: nothing to sort or merge
        (ev,) = evidence
        if shared is None:
            return [ev.to_dict()]
        d = shared.get(ev)
        if d is None:
            d = shared[ev] = ev.to_dict()
        return [d]
    seen, out = set(), []
    for ev in sorted(evidence, key=lambda e: (e.doc_id, e.start, e.end)):
        key = (ev.doc_id, ev.start, ev.end)
        if key not in seen:
            seen.add(key)
            if shared is None:
                out.append(ev.to_dict())
            else:
                d = shared.get(ev)
                if d is None:
                    d = shared[ev] = ev.to_dict()
                out.append(d)
    return out


def build_graph(ex: Extraction) -> nx.MultiDiGraph:
    """Turn an :class:`Extraction` into the graph, in a deterministic order."""
    g = nx.MultiDiGraph(format=FORMAT, version=__version__)
    shared: dict = {}
    for ent in sorted(ex.entities, key=lambda e: e.id):
        g.add_node(ent.id, kind="entity", type=ent.type, label=ent.name,
                   aliases=sorted(set(ent.aliases) - {ent.name}),
                   notation=ent.notation,
                   docs=sorted({ev.doc_id for ev in ent.evidence}),
                   evidence=_evidence_list(ent.evidence, shared))
    places = {e.name: e.id for e in ex.entities if e.type == "Place"}
    for doc in sorted(ex.documents, key=lambda d: d.doc_id):
        g.add_node(doc_node(doc.doc_id), kind="document", doc_id=doc.doc_id,
                   label=doc.title or doc.doc_id, title=doc.title, date=doc.date,
                   year=doc.year, path=doc.path,
                   publisher=ex.publishers.get(doc.doc_id, ""),
                   place=places.get(doc.place, ""))
    for rel in sorted(ex.relations, key=lambda r: (r.subject, r.predicate, r.object)):
        if rel.subject not in g or rel.object not in g:
            continue
        g.add_edge(rel.subject, rel.object, key=rel.predicate, predicate=rel.predicate,
                   weight=rel.weight, evidence=_evidence_list(rel.evidence, shared))
    for m in sorted(ex.metrics, key=lambda m: m.id):
        ev = [m.evidence.to_dict()] if m.evidence else []
        g.add_node(m.id, kind="metric", label=m.text, value=m.value, unit=m.unit,
                   indicator=m.indicator, year=m.year, comparator=m.comparator,
                   approximate=m.approximate, doc=m.doc_id, about=m.about,
                   status=m.status, place=m.place, evidence=ev)
        g.add_edge(doc_node(m.doc_id), m.id, key="reports", predicate="reports",
                   weight=1, evidence=ev)
        if m.about and m.about in g:
            g.add_edge(m.id, m.about, key="about", predicate="about", weight=1, evidence=ev)
        if m.place and m.place in g:
            g.add_edge(m.id, m.place, key="inPlace", predicate="inPlace", weight=1, evidence=ev)
    return g


def entity_nodes(g: nx.MultiDiGraph):
    """Yield ``(node, attrs)`` of the entity nodes, sorted by id."""
    for n in sorted(g.nodes):
        if g.nodes[n].get("kind") == "entity":
            yield n, g.nodes[n]


def graph_to_json(g: nx.MultiDiGraph) -> str:
    """Node-link JSON of the graph, sorted, compact and without timestamps
    (compact, so the C encoder writes it: many times faster than indented)."""
    return "".join(iter_graph_json(g))


def iter_graph_json(g: nx.MultiDiGraph, batch: int = 2000):
    """The text of :func:`graph_to_json` in pieces of ``batch`` nodes or
    edges, so a large graph is never one string (nor copied into node-link
    dictionaries all at once): ``json.dumps`` of ``nx.node_link_data``,
    keys sorted, nodes by id, edges by (source, key, target)."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
    if not g.is_multigraph():
        data = nx.node_link_data(g, edges="edges")
        data["nodes"].sort(key=lambda n: n["id"])
        data["edges"].sort(key=lambda e: (e["source"], e["target"]))
        yield dumps(data) + "\n"
        return
    yield '{"directed":' + dumps(g.is_directed()) + ',"edges":['
    edges = sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[2], e[1]))
    for i in range(0, len(edges), batch):
        part = ",".join(dumps({**d, "source": u, "target": v, "key": k})
                        for u, v, k, d in edges[i:i + batch])
        yield ("," if i else "") + part
    del edges
    yield '],"graph":' + dumps(g.graph) + ',"multigraph":true,"nodes":['
    nodes = sorted(g.nodes)
    for i in range(0, len(nodes), batch):
        part = ",".join(dumps({**g.nodes[n], "id": n}) for n in nodes[i:i + batch])
        yield ("," if i else "") + part
    yield "]}\n"


def write_graph_json(g: nx.MultiDiGraph, path: Path) -> None:
    """Write :func:`graph_to_json` of ``g`` to ``path`` (not atomically:
    callers write to a temporary name and rename), piece by piece."""
    with open(path, "wb") as fh:
        for part in iter_graph_json(g):
            fh.write(part.encode("utf-8"))


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
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
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
    if not isinstance(data, dict) or data.get("graph", {}).get("format") != FORMAT:
        raise GraphError(f"{path} is not an edukg graph (expected format {FORMAT})")
    try:
        return nx.node_link_graph(data, directed=True, multigraph=True, edges="edges")
    except (KeyError, TypeError, nx.NetworkXError) as exc:
        raise GraphError(f"{path} is a damaged edukg graph: {exc}") from None
