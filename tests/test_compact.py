"""The graph's compact edge storage behaves as networkx's own dicts do."""
import copy
import pickle

import networkx as nx
import pytest

from kg.compact import EdgeData, EdgeKeys, KnowledgeGraph
from kg.graph import build_graph


def test_a_built_graph_stores_its_edges_compactly(tiny_extraction):
    g = build_graph(tiny_extraction)
    assert isinstance(g, KnowledgeGraph) and isinstance(g, nx.MultiDiGraph)
    u, v, k, d = next(iter(g.edges(keys=True, data=True)))
    assert type(d) is EdgeData and type(g._adj[u][v]) is EdgeKeys


def test_a_second_edge_between_the_same_nodes_is_kept_apart():
    g = KnowledgeGraph()
    g.add_edge("a", "b", key="implements", predicate="implements", weight=1, evidence=[])
    g.add_edge("a", "b", key="coMentioned", predicate="coMentioned", weight=3, evidence=[])
    g.add_edge("a", "b", key="implements", weight=2)     # updates, as networkx does
    assert sorted(g["a"]["b"]) == ["coMentioned", "implements"]
    assert g.edges["a", "b", "implements"]["weight"] == 2
    assert g.edges["a", "b", "coMentioned"]["weight"] == 3
    g.remove_edge("a", "b", key="implements")
    assert list(g["a"]["b"]) == ["coMentioned"] and g.number_of_edges() == 1
    g.remove_edge("a", "b")
    assert not g.has_edge("a", "b") and g.number_of_edges() == 0


def test_edges_with_keys_networkx_makes_up_are_numbered():
    g = KnowledgeGraph()
    assert [g.add_edge("a", "b") for _ in range(3)] == [0, 1, 2]
    assert g.number_of_edges("a", "b") == 3


def test_edge_data_takes_any_attribute_and_reads_like_a_dict():
    d = EdgeData({"predicate": "partOf", "weight": 1})
    d["note"] = "checked"
    assert "evidence" not in d and d.get("evidence", "none") == "none"
    with pytest.raises(KeyError):
        d["evidence"]
    d["evidence"] = []
    assert dict(d) == {"evidence": [], "predicate": "partOf", "weight": 1, "note": "checked"}
    assert d == {"predicate": "partOf", "weight": 1, "evidence": [], "note": "checked"}
    assert not d.usual()
    del d["note"]
    assert d.usual() and len(d) == 3
    del d["weight"]
    assert not d.usual() and "weight" not in d
    with pytest.raises(KeyError):
        del d["weight"]


def test_copies_subgraphs_and_pickles_keep_every_edge(tiny_extraction):
    g = build_graph(tiny_extraction)
    edges = sorted((u, v, k, dict(d)) for u, v, k, d in g.edges(keys=True, data=True))
    for other in (g.copy(), copy.deepcopy(g), pickle.loads(pickle.dumps(g)),
                  g.subgraph(list(g.nodes)).copy()):
        assert sorted((u, v, k, dict(d)) for u, v, k, d in other.edges(keys=True, data=True)) \
            == edges
    # and a networkx algorithm runs on it unchanged
    assert nx.number_weakly_connected_components(g) >= 1


def test_the_fast_edge_path_makes_the_same_graph_as_add_edge():
    fast, slow = KnowledgeGraph(), KnowledgeGraph()
    for g in (fast, slow):
        g.add_nodes_from("abc")
    edges = [("a", "b", "implements", 1, ["e1"]), ("a", "b", "coMentioned", 2, []),
             ("b", "c", "partOf", 1, []), ("a", "b", "implements", 3, ["e2"])]
    for u, v, k, w, ev in edges:
        fast.add_usual_edge(u, v, k, k, w, ev)
        slow.add_edge(u, v, key=k, predicate=k, weight=w, evidence=ev)
    assert sorted((u, v, k, dict(d)) for u, v, k, d in fast.edges(keys=True, data=True)) == \
        sorted((u, v, k, dict(d)) for u, v, k, d in slow.edges(keys=True, data=True))
    assert fast.edges["a", "b", "implements"]["weight"] == 3
    assert list(fast.predecessors("c")) == ["b"] and fast.number_of_edges() == 3


def test_metric_nodes_keep_their_attributes_in_slots_and_any_other_beside(tiny_extraction,
                                                                         tmp_path):
    from kg.compact import MetricData
    from kg.graph import load_graph, write_graph_json
    g = build_graph(tiny_extraction)
    metrics = [n for n, a in g.nodes(data=True) if a.get("kind") == "metric"]
    assert metrics and all(type(g.nodes[m]) is MetricData for m in metrics)
    m = metrics[0]
    before = dict(g.nodes[m])
    g.nodes[m]["checked_by"] = "张三"          # an attribute the class has no slot for
    write_graph_json(g, tmp_path / "graph.json")
    h = load_graph(tmp_path)
    assert type(h.nodes[m]) is MetricData
    assert dict(h.nodes[m]) == {**before, "checked_by": "张三"}
    # adding the node again updates it, as add_node does
    h.add_metric_node(m, {"status": "target"})
    assert h.nodes[m]["status"] == "target" and h.nodes[m]["label"] == before["label"]


def test_metric_data_from_its_values_in_field_order_is_metric_data_from_a_dict():
    from kg.compact import MetricData
    values = ("metric", "3所", 3.0, "所", "学校", 2021, "eq", False, "d1", "school-1",
              "result", "place-1", [])
    fast = MetricData.of(values)
    assert type(fast) is MetricData and list(fast) == list(MetricData.FIELDS)
    assert fast.copy() == MetricData(dict(zip(MetricData.FIELDS, values))).copy()
    fast["checked_by"] = "张三"   # and it takes other attributes as any MetricData does
    assert fast["checked_by"] == "张三" and len(fast) == len(values) + 1


def test_the_graph_counts_its_edges_and_their_weights_as_networkx_does(tiny_extraction):
    g = build_graph(tiny_extraction)
    g.add_edge("x", "y", key="a", weight=2)
    g.add_edge("x", "y", key="b", weight=5)
    g.add_edge("y", "x", weight=1)
    plain = nx.MultiDiGraph(g)
    assert g.number_of_edges() == g.size() == plain.number_of_edges() \
        == len(list(g.edges(keys=True))) > 3
    assert g.size(weight="weight") == plain.size(weight="weight")
    assert g.number_of_edges("x", "y") == 2
