"""An entity across time and place: the documents that name it, by year and
place, with its metrics.  ``kg timeline 教共体`` follows an initiative from
one year's documents to the next and from city to city."""
from __future__ import annotations

import networkx as nx

from .graph import doc_node

__all__ = ["timeline"]


def _metrics_about(g: nx.MultiDiGraph, node: str) -> dict[str, list[dict]]:
    """The metrics about ``node``, by document."""
    out: dict[str, list[dict]] = {}
    for src, _, k in g.in_edges(node, keys=True):
        if k == "about":
            m = g.nodes[src]
            out.setdefault(m.get("doc", ""), []).append(
                {f: m.get(f) for f in ("value", "unit", "indicator", "year", "status", "comparator")})
    for rows in out.values():
        rows.sort(key=lambda r: (r["year"] or 0, r["indicator"] or "", r["value"] or 0))
    return out


def timeline(g: nx.MultiDiGraph, node: str) -> list[dict]:
    """One row per document naming ``node``: year, place, document, the
    first evidence sentence and the metrics about the entity there; sorted
    by year, place and document."""
    a = g.nodes[node]
    first: dict[str, dict] = {}
    for ev in a.get("evidence", []):
        first.setdefault(ev["doc"], ev)
    metrics = _metrics_about(g, node)
    rows = []
    for doc_id in sorted(set(a.get("docs", [])) | set(metrics)):
        dn = doc_node(doc_id)
        d = g.nodes[dn] if dn in g else {}
        place = d.get("place", "")
        rows.append({
            "year": d.get("year"),
            "place": g.nodes[place]["label"] if place and place in g else "",
            "doc": doc_id, "title": d.get("title", ""), "date": d.get("date", ""),
            "sentence": first.get(doc_id, {}).get("sentence", ""),
            "metrics": metrics.get(doc_id, []),
        })
    rows.sort(key=lambda r: (r["year"] or 0, r["place"], r["doc"]))
    return rows
