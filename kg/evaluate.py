"""Scoring a built graph against gold annotations in the guidelines' format.

A gold file is one JSON object per document::

    {"doc": "003_x.txt", "publisher": "…", "place": "…", "date": "…",
     "entities": [{"type", "name", "aliases"}],
     "relations": [{"s", "p", "o"}],            # "@doc" names the document
     "metrics": [{"indicator", "value", "unit", "year"}]}

Entities match one-to-one by type and any shared name form (quotes, 《》 and
spaces ignored); relations match when both ends map to the gold names;
metrics when value and unit are equal and the indicators share two
characters in order.  The rules follow the shared scorer, so the figures of
``kg eval`` and ``score_kg.py`` agree.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from .errors import InputError
from .graph import doc_node, load_graph

__all__ = ["read_gold", "doc_view", "score_document", "evaluate", "prf"]

SCORED = ("locatedIn", "partOf", "issuedBy", "implements", "publishedBy")
_STRIP = re.compile(r"[\s“”\"'‘’《》〈〉「」『』]")


def norm(s: str) -> str:
    return _STRIP.sub("", unicodedata.normalize("NFKC", str(s))).lower()


def norm_unit(s: str) -> str:
    u = norm(s)
    return "百分点" if u in ("个百分点", "百分点") else u


def prf(tp: int, pred: int, gold: int) -> dict:
    p = tp / pred if pred else 0.0
    r = tp / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "pred": pred, "gold": gold,
            "precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def read_gold(path: Path) -> dict:
    path = Path(path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable gold file ({exc})") from None
    if not isinstance(data, dict) or "doc" not in data or "entities" not in data:
        raise InputError(f"{path}: a gold file needs 'doc' and 'entities'")
    return data


@dataclass
class DocView:
    """The part of a graph that one document supports."""
    entities: dict          # node -> (type, set of normalised labels)
    relations: set          # (subject node or "@doc", predicate, object node)
    metrics: list           # dicts with value, unit, indicator


def doc_view(g: nx.MultiDiGraph, doc_id: str) -> DocView:
    dn = doc_node(doc_id)
    ents = {}
    publisher = g.nodes[dn].get("publisher", "") if dn in g else ""
    for n, a in g.nodes(data=True):
        if a.get("kind") == "entity" and (doc_id in a.get("docs", ()) or n == publisher):
            ents[n] = (a["type"], {norm(a["label"]), *(norm(x) for x in a.get("aliases", ()))})
    rels = set()
    for s, o, k, d in g.edges(keys=True, data=True):
        if k not in SCORED:
            continue
        if s == dn and o in ents:
            rels.add(("@doc", k, o))
        elif s in ents and o in ents and (
                not d.get("evidence") or any(e["doc"] == doc_id for e in d["evidence"])):
            rels.add((s, k, o))
    mets = [{"value": a.get("value"), "unit": norm_unit(a.get("unit", "")),
             "indicator": norm(a.get("indicator", ""))}
            for _, a in g.nodes(data=True) if a.get("kind") == "metric" and a.get("doc") == doc_id]
    return DocView(ents, rels, mets)


def _max_matching(candidates: dict) -> dict:
    owner: dict = {}

    def augment(left, seen):
        for right in candidates[left]:
            if right not in seen:
                seen.add(right)
                if right not in owner or augment(owner[right], seen):
                    owner[right] = left
                    return True
        return False

    for left in sorted(candidates, key=str):
        augment(left, set())
    return {left: right for right, left in owner.items()}


def _lcs_at_least(a: str, b: str, k: int = 2) -> bool:
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b):
            cur.append(prev[j] + 1 if ca == cb else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1] >= k


def score_document(gold: dict, view: DocView) -> dict:
    index: dict = {}
    for ge in gold["entities"]:
        for form in [ge["name"], *ge.get("aliases", [])]:
            index.setdefault((ge["type"], norm(form)), []).append(ge["name"])
    candidates = {}
    for node, (etype, labels) in view.entities.items():
        names = []
        for lab in sorted(labels):
            names += [n for n in index.get((etype, lab), []) if n not in names]
        if names:
            candidates[node] = names
    mapping = _max_matching(candidates)
    out = {"doc": gold["doc"], "entities": {}, "relations": {}, "metrics": {}}
    types = sorted({e["type"] for e in gold["entities"]} | {t for t, _ in view.entities.values()})
    for t in types:
        pred = [n for n, (et, _) in view.entities.items() if et == t]
        n_gold = sum(1 for e in gold["entities"] if e["type"] == t)
        out["entities"][t] = prf(sum(1 for n in pred if n in mapping), len(pred), n_gold)
    out["entities"]["all"] = prf(len(mapping), len(view.entities), len(gold["entities"]))
    gold_rel = {(r["s"], r["p"], r["o"]) for r in gold.get("relations", [])}
    pred_rel = {(s if s == "@doc" else mapping.get(s, f"?{s}"), p, mapping.get(o, f"?{o}"))
                for s, p, o in view.relations}
    for p in sorted({r[1] for r in gold_rel | pred_rel}):
        pr = {r for r in pred_rel if r[1] == p}
        gr = {r for r in gold_rel if r[1] == p}
        out["relations"][p] = prf(len(pr & gr), len(pr), len(gr))
    out["relations"]["all"] = prf(len(pred_rel & gold_rel), len(pred_rel), len(gold_rel))
    gold_m = [dict(m, indicator=norm(m.get("indicator", "")), unit=norm_unit(m.get("unit", "")))
              for m in gold.get("metrics", [])]
    cands = {}
    for k, m in enumerate(view.metrics):
        if m["value"] is None:
            continue
        hits = [i for i, gm in enumerate(gold_m)
                if abs(float(m["value"]) - float(gm["value"])) <= 1e-6 * max(1.0, abs(float(gm["value"])))
                and m["unit"] == gm["unit"] and _lcs_at_least(m["indicator"], gm["indicator"])]
        if hits:
            cands[k] = hits
    out["metrics"]["all"] = prf(len(_max_matching(cands)), len(view.metrics), len(gold_m))
    matched = set(mapping.values())
    out["missed_entities"] = sorted(f'{e["type"]}:{e["name"]}' for e in gold["entities"]
                                    if e["name"] not in matched)
    out["spurious_entities"] = sorted(f"{t}:{min(ls)}" for n, (t, ls) in view.entities.items()
                                      if n not in mapping)
    out["missed_relations"] = sorted(f"{s} {p} {o}" for s, p, o in gold_rel - pred_rel)
    out["spurious_relations"] = sorted(f"{s} {p} {o}" for s, p, o in pred_rel - gold_rel)
    return out


def _total(results: list[dict], section: str) -> dict:
    tp = pred = gold = 0
    for r in results:
        a = r[section]["all"]
        tp, pred, gold = tp + a["tp"], pred + a["pred"], gold + a["gold"]
    return prf(tp, pred, gold)


def evaluate(gold_paths, graph_dir: Path) -> dict:
    """Score every gold file against the build in ``graph_dir``: a
    per-document build ``graph_dir/<stem>/graph.json`` when there is one,
    else the document's part of ``graph_dir/graph.json``."""
    graph_dir = Path(graph_dir)
    combined = None
    results = []
    for gp in gold_paths:
        gold = read_gold(gp)
        stem = Path(gold["doc"]).stem
        per_doc = graph_dir / stem / "graph.json"
        if per_doc.exists():
            g = load_graph(per_doc)
        else:
            combined = combined if combined is not None else load_graph(graph_dir)
            g = combined
        if doc_node(stem) not in g:
            raise InputError(f"{gp}: document {stem} is not in the graph at {graph_dir}")
        results.append(score_document(gold, doc_view(g, stem)))
    return {"documents": results,
            "total": {s: _total(results, s) for s in ("entities", "relations", "metrics")}}
