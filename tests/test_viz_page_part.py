"""The part of a big graph the page draws (kg/viz.py ``page_graph``) and the
sentence marks: the same as the first, plainer implementations gave."""
from __future__ import annotations

import random

import networkx as nx
import pytest

from kg.viz import HIDDEN_PREDICATES, _edge_count, page_graph, render_html

PREDICATES = ["locatedIn", "partOf", "implements", "mentions", "coMentioned", "reports"]


def reference_page_graph(g, limit, edge_limit):
    """page_graph as first written (the views of networkx, one sort)."""
    main = [n for n, k in g.nodes(data="kind") if k != "metric"]
    if len(main) <= limit:
        return g
    succ, pred = g.succ, g.pred
    keep = set(sorted(main, key=lambda n: (-len(succ[n]) - len(pred[n]), str(n)))[:limit])
    edges = [(u, v, k, d) for u in keep for v, keyed in succ[u].items() if v in keep
             for k, d in keyed.items()]

    def rank(e):
        w = e[3].get("weight", 1)
        return (str(e[3].get("predicate", e[2])) in HIDDEN_PREDICATES,
                -(w if isinstance(w, (int, float)) else 1), str(e[0]), str(e[2]), str(e[1]))
    if len(edges) > edge_limit:
        edges = sorted(edges, key=rank)[:edge_limit]
    metrics = [n for n, a in g.nodes(data=True) if a.get("kind") == "metric"
               and a.get("about") in keep]
    out = nx.MultiDiGraph(**g.graph, page_part=True)
    out.add_nodes_from((n, g.nodes[n]) for n in sorted(keep.union(metrics), key=str))
    out.add_edges_from(sorted(edges, key=lambda t: (str(t[0]), str(t[2]), str(t[1]))))
    return out


def random_graph(rng: random.Random, n: int = 60, m: int = 400) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    names = [f"n{i:02d}" for i in range(n)]
    for name in names:
        kind = rng.choice(["entity", "entity", "document", "metric"])
        g.add_node(name, kind=kind, type="School", label=name,
                   about=rng.choice(names) if kind == "metric" else None)
    for _ in range(m):
        u, v, p = rng.choice(names), rng.choice(names), rng.choice(PREDICATES)
        g.add_edge(u, v, key=p, predicate=p,
                   weight=rng.choice([1, 2, 3, 7, 2.5, None, "x"]))
    return g


def test_page_part_is_what_the_plain_version_gave():
    rng = random.Random(11)
    for _ in range(60):
        g = random_graph(rng, n=rng.randrange(5, 80), m=rng.randrange(0, 600))
        for limit, edge_limit in [(3, 5), (10, 40), (20, 1), (30, 10_000), (1000, 10)]:
            got, want = page_graph(g, limit, edge_limit), reference_page_graph(g, limit, edge_limit)
            if want is g:
                assert got is g
                continue
            assert list(got.nodes(data=True)) == list(want.nodes(data=True))
            assert list(got.edges(keys=True, data=True)) == list(want.edges(keys=True, data=True))
            assert got.graph == want.graph


def test_edge_count_is_networkx_count():
    rng = random.Random(2)
    for _ in range(20):
        g = random_graph(rng, m=rng.randrange(0, 300))
        assert _edge_count(g) == g.number_of_edges()
    assert _edge_count(nx.MultiGraph([(1, 2), (2, 1), (1, 1)])) == 3
    assert _edge_count(nx.DiGraph([(1, 2), (2, 1)])) == 2


def test_marks_of_names_sharing_a_sentence():
    """Two names in one sentence, one of them twice and one a prefix of the
    other: the marks found are the first free occurrences, sorted."""
    sentence = "台州教育局与台州教育共同体，台州教育局"
    g = nx.MultiDiGraph()
    g.add_node("d", kind="document", doc_id="d", title="t")
    g.add_node("a", kind="entity", type="Agency", label="台州教育局", aliases=["教育局"],
               evidence=[{"doc": "d", "start": 100, "end": 105, "sentence": sentence},
                         {"doc": "d", "start": 114, "end": 119, "sentence": sentence}])
    g.add_node("b", kind="entity", type="Initiative", label="台州教育共同体", aliases=[],
               evidence=[{"doc": "d", "start": 106, "end": 113, "sentence": sentence}])
    g.add_edge("a", "b", key="coMentioned", predicate="coMentioned", weight=2,
               evidence=[{"doc": "d", "start": 100, "end": 100 + len(sentence),
                          "sentence": sentence}])
    page = render_html(g)
    assert page == render_html(g)
    import json
    import re
    data = json.loads(re.search(r'id="kg-data">(.*?)</script>', page, re.S).group(1))
    assert data["info"]["a"]["ev"] == [["d", 0, 0, 5], ["d", 0, 14, 19]]
    assert data["info"]["b"]["ev"] == [["d", 0, 6, 13]]
    assert data["edges"][0]["ev"] == [["d", 0, 0, 5, 6, 13]]


def test_squared_lengths_are_the_floats_numpy_summed():
    np = pytest.importorskip("numpy")
    from kg.viz import _squared_lengths
    rng = np.random.default_rng(4)
    d = np.concatenate([rng.normal(0, 1e3, (5000, 2)), rng.normal(0, 1e-3, (5000, 2)),
                        np.array([[0.0, -0.0], [np.inf, 1.0], [np.nan, 2.0], [1e300, 1e300]])])
    with np.errstate(over="ignore", invalid="ignore"):
        want, got = (d * d).sum(1), _squared_lengths(d)
    assert want.tobytes() == got.tobytes()


def reference_starts(g, forms_of):
    """The sentence starts as first worked out (every occurrence found for
    every item, then intersected)."""
    def occurrences(text, form):
        i = text.find(form)
        while i >= 0:
            yield i
            i = text.find(form, i + 1)
    exact, allowed = {}, {}

    def whole(ev):
        key = (str(ev.get("doc", "")), str(ev.get("sentence", "")))
        start, end = ev.get("start"), ev.get("end")
        if isinstance(start, int) and isinstance(end, int) and end - start == len(key[1]):
            exact[key] = start
            return True
        return False
    for n, a in g.nodes(data=True):
        forms = forms_of.get(str(n), [])
        for ev in a.get("evidence") or []:
            if whole(ev):
                continue
            sentence, start, end = str(ev.get("sentence", "")), ev.get("start"), ev.get("end")
            if not (isinstance(start, int) and isinstance(end, int)):
                continue
            starts = {start - i for f in forms if len(f) == end - start
                      for i in occurrences(sentence, f)}
            if starts:
                key = (str(ev.get("doc", "")), sentence)
                allowed[key] = allowed[key] & starts if key in allowed else starts
    for *_, a in g.edges(data=True):
        for ev in a.get("evidence") or []:
            whole(ev)
    out = {k: min(v) for k, v in allowed.items() if len(v) == 1}
    out.update(exact)
    return out


def test_sentence_starts_are_what_the_plain_version_found():
    from kg.viz import _Sentences
    rng = random.Random(8)
    for _ in range(200):
        names = ["甲乙", "乙", "甲乙丙", "丙丁", "丁"]
        sentences = ["".join(rng.choice("甲乙丙丁戊") for _ in range(rng.randrange(1, 12)))
                     for _ in range(4)]
        g = nx.MultiDiGraph()
        for i, name in enumerate(names):
            evidence = []
            for _ in range(rng.randrange(0, 6)):
                sentence = rng.choice(sentences)
                base = rng.choice([100, 101, 103])
                at = rng.randrange(0, len(sentence) + 1)
                length = rng.choice([len(name), 1, 2, len(sentence)])
                evidence.append({"doc": rng.choice(["d1", "d2"]), "sentence": sentence,
                                 "start": rng.choice([base + at, None]), "end": base + at + length})
            g.add_node(f"e{i}", kind=rng.choice(["entity", "metric"]), label=name,
                       aliases=[rng.choice(names)], evidence=evidence)
        for _ in range(rng.randrange(0, 3)):
            sentence = rng.choice(sentences)
            g.add_edge("e0", "e1", evidence=[{"doc": "d1", "sentence": sentence,
                                              "start": 100, "end": 100 + len(sentence)}])
        sentences_of = _Sentences(g)
        assert sentences_of.start == reference_starts(g, sentences_of.forms)
