"""Entity look-ups over a built graph: by canonical name or any alias."""
from __future__ import annotations

import difflib
from collections import defaultdict

import networkx as nx

from .graph import entity_nodes
from .resolve import key

__all__ = ["find", "closest", "closest_of", "describe"]


def find(g: nx.MultiDiGraph, name: str) -> list[str]:
    """Entity nodes whose canonical name or an alias equals ``name``
    (quotes, 《》 and spaces ignored); canonical-name hits first."""
    k = key(name)
    exact, alias = [], []
    for n, a in entity_nodes(g):
        if key(a["label"]) == k:
            exact.append(n)
        elif any(key(x) == k for x in a.get("aliases", ())):
            alias.append(n)
    return exact + alias


def closest(g: nx.MultiDiGraph, name: str, n: int = 5) -> list[str]:
    """The labels nearest to ``name``, for 'did you mean'."""
    labels = {a["label"] for _, a in entity_nodes(g)}
    for _, a in entity_nodes(g):
        labels.update(a.get("aliases", ()))
    return closest_of(labels, name, n)


def closest_of(labels: set[str], name: str, n: int = 5) -> list[str]:
    """:func:`closest` among ``labels`` (every entity's label and aliases)."""
    hits = difflib.get_close_matches(name, sorted(labels), n=n, cutoff=0.3)
    if len(hits) < n:
        hits += [lab for lab in sorted(labels) if name in lab and lab not in hits][: n - len(hits)]
    return hits


def _label(g, n) -> str:
    a = g.nodes[n]
    return a.get("label") or n


def describe(g: nx.MultiDiGraph, node: str, co_mentions: int = 10) -> dict:
    """Everything a user asks of an entity, as plain data."""
    a = g.nodes[node]
    relations: dict[str, list[dict]] = defaultdict(list)
    co = []
    for _, tgt, k, d in g.out_edges(node, keys=True, data=True):
        if k == "coMentioned":
            co.append((d.get("weight", 1), tgt))
        elif g.nodes[tgt].get("kind") == "entity":
            relations[k].append({"direction": "out", "id": tgt, "name": _label(g, tgt),
                                 "type": g.nodes[tgt].get("type"),
                                 "evidence": [dict(ev) for ev in d.get("evidence", [])[:1]]})
    for src, _, k, d in g.in_edges(node, keys=True, data=True):
        if k == "coMentioned":
            co.append((d.get("weight", 1), src))
        elif g.nodes[src].get("kind") == "entity":
            relations[f"^{k}"].append({"direction": "in", "id": src, "name": _label(g, src),
                                       "type": g.nodes[src].get("type"),
                                       "evidence": [dict(ev) for ev in d.get("evidence", [])[:1]]})
    docs = []
    by_doc: dict[str, dict] = {}
    for ev in a.get("evidence", []):
        by_doc.setdefault(ev["doc"], ev)
    for doc_id in a.get("docs", []):
        dn = f"doc:{doc_id}"
        meta = g.nodes[dn] if dn in g else {}
        ev = by_doc.get(doc_id, {})
        docs.append({"doc": doc_id, "title": meta.get("title", ""), "date": meta.get("date", ""),
                     "sentence": ev.get("sentence", ""), "start": ev.get("start"),
                     "end": ev.get("end")})
    metrics = []
    for src, _, k in g.in_edges(node, keys=True):
        if k == "about":
            m = g.nodes[src]
            metrics.append({k2: m.get(k2) for k2 in ("value", "unit", "indicator", "year", "status", "doc")})
    co.sort(key=lambda x: (-x[0], x[1]))
    return {
        "id": node, "type": a.get("type"), "name": a.get("label"),
        "aliases": list(a.get("aliases", [])), "notation": a.get("notation", ""),
        "relations": {k: sorted(v, key=lambda r: r["name"]) for k, v in sorted(relations.items())},
        "co_mentioned": [{"name": _label(g, n), "type": g.nodes[n].get("type"), "weight": w}
                         for w, n in co[:co_mentions]],
        "documents": docs, "metrics": metrics,
    }
