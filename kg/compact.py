"""Compact storage for the graph's edges, through networkx's own hooks.

A networkx ``MultiDiGraph`` keeps, for every pair of linked nodes, a dict of
edge keys, and for every edge a dict of attributes.  A dict costs 224 bytes
however few entries it holds, and nearly every pair has one edge and every
edge the same three attributes (``evidence``, ``predicate``, ``weight``):
at a thousand documents the two dicts are about 400 MB of a 900 MB graph.

:class:`KnowledgeGraph` is a ``MultiDiGraph`` whose
``edge_key_dict_factory`` and ``edge_attr_dict_factory`` (the extension
points networkx documents for this) make :class:`EdgeKeys`, which holds one
key inline (56 bytes), and :class:`EdgeData`, which holds the three usual
attributes in slots (64 bytes).  Both are full mutable mappings: other keys
and attributes are kept in an ordinary dict, and every networkx view,
algorithm and copy works on them unchanged.

Examples
--------
>>> g = KnowledgeGraph()
>>> g.add_edge("a", "b", key="implements", predicate="implements", weight=1, evidence=[])
'implements'
>>> g.edges["a", "b", "implements"]
EdgeData({'evidence': [], 'predicate': 'implements', 'weight': 1})
>>> g.edges["a", "b", "implements"]["note"] = "any other attribute"
>>> sorted(g.edges["a", "b", "implements"])
['evidence', 'note', 'predicate', 'weight']
>>> g.add_edge("a", "b", key="coMentioned", weight=2)
'coMentioned'
>>> sorted(g["a"]["b"])
['coMentioned', 'implements']
"""
from __future__ import annotations

from collections.abc import MutableMapping

import networkx as nx

__all__ = ["EdgeKeys", "SlotMapping", "EdgeData", "MetricData", "KnowledgeGraph"]

_NONE = object()   # an empty inline slot of EdgeKeys

#: networkx 3.3+ caches backend conversions on the graph; what changes it
#: clears them (older versions have no cache)
_clear_cache = getattr(nx, "_clear_cache", lambda g: None)


class EdgeKeys(MutableMapping):
    """The edges between one pair of nodes, by key: the first held inline,
    the rest (rare) in a dict."""

    __slots__ = ("_key", "_value", "_more")

    def __init__(self, items=()) -> None:
        self._key, self._value, self._more = _NONE, None, None
        if items:
            self.update(items)

    def __getitem__(self, key):
        if self._more is not None:
            return self._more[key]
        if self._key is not _NONE and self._key == key:
            return self._value
        raise KeyError(key)

    def get(self, key, default=None):
        if self._more is not None:
            return self._more.get(key, default)
        return self._value if self._key is not _NONE and self._key == key else default

    def __contains__(self, key) -> bool:
        if self._more is not None:
            return key in self._more
        return self._key is not _NONE and self._key == key

    def __setitem__(self, key, value) -> None:
        if self._more is not None:
            self._more[key] = value
        elif self._key is _NONE or self._key == key:
            self._key, self._value = key, value
        else:
            self._more = {self._key: self._value, key: value}
            self._key, self._value = _NONE, None

    def __delitem__(self, key) -> None:
        if self._more is not None:
            del self._more[key]
        elif self._key is not _NONE and self._key == key:
            self._key, self._value = _NONE, None
        else:
            raise KeyError(key)

    def __iter__(self):
        if self._more is not None:
            return iter(self._more)
        return iter(()) if self._key is _NONE else iter((self._key,))

    def __len__(self) -> int:
        if self._more is not None:
            return len(self._more)
        return 0 if self._key is _NONE else 1

    def items(self):
        if self._more is not None:
            return self._more.items()
        return () if self._key is _NONE else ((self._key, self._value),)

    def copy(self) -> dict:
        return dict(self.items())

    def __reduce__(self):
        return self.__class__, (self.copy(),)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.copy()!r})"


class SlotMapping(MutableMapping):
    """A mutable mapping keeping the keys of ``FIELDS`` in slots (a
    subclass names them in ``__slots__`` too) and any other key in a dict;
    iteration gives the slotted keys first, in ``FIELDS`` order, then the
    others in the order they were set."""

    __slots__ = ("_other",)
    FIELDS: tuple[str, ...] = ()
    _FIELD_SET: frozenset = frozenset()

    def __init_subclass__(cls, **kw) -> None:
        super().__init_subclass__(**kw)
        cls._FIELD_SET = frozenset(cls.FIELDS)

    def __init__(self, items=()) -> None:
        self._other = None
        if items:
            self.update(items)

    def __getitem__(self, key):
        if key in self._FIELD_SET:
            try:
                return getattr(self, key)
            except AttributeError:
                raise KeyError(key) from None
        if self._other is None:
            raise KeyError(key)
        return self._other[key]

    def get(self, key, default=None):
        if key in self._FIELD_SET:
            return getattr(self, key, default)
        return default if self._other is None else self._other.get(key, default)

    def __contains__(self, key) -> bool:
        if key in self._FIELD_SET:
            return hasattr(self, key)
        return self._other is not None and key in self._other

    def __setitem__(self, key, value) -> None:
        if key in self._FIELD_SET:
            setattr(self, key, value)
        else:
            if self._other is None:
                self._other = {}
            self._other[key] = value

    def __delitem__(self, key) -> None:
        if key in self._FIELD_SET:
            try:
                delattr(self, key)
            except AttributeError:
                raise KeyError(key) from None
        elif self._other is None:
            raise KeyError(key)
        else:
            del self._other[key]

    def update(self, other=(), **kw) -> None:
        pairs = other.items() if hasattr(other, "items") else other
        for key, value in pairs:
            self[key] = value
        for key, value in kw.items():
            self[key] = value

    def __iter__(self):
        for key in self.FIELDS:
            if hasattr(self, key):
                yield key
        if self._other:
            yield from self._other

    def __len__(self) -> int:
        return sum(hasattr(self, key) for key in self.FIELDS) + len(self._other or ())

    def copy(self) -> dict:
        out = {key: value for key in self.FIELDS
               if (value := getattr(self, key, _NONE)) is not _NONE}
        if self._other:
            out.update(self._other)
        return out

    def __reduce__(self):
        return self.__class__, (self.copy(),)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.copy()!r})"


class EdgeData(SlotMapping):
    """The attributes of one edge: ``evidence``, ``predicate`` and
    ``weight`` in slots (64 bytes, where a dict of three is 184)."""

    __slots__ = ("evidence", "predicate", "weight")
    FIELDS = ("evidence", "predicate", "weight")

    def usual(self) -> bool:
        """Whether the edge has the three usual attributes and no other."""
        return not self._other and hasattr(self, "weight") and hasattr(self, "predicate") \
            and hasattr(self, "evidence")


class MetricData(SlotMapping):
    """The attributes of a metric node (see :mod:`kg.graph`) in slots: 144
    bytes, where a dict of its thirteen is 464, and a large graph has a
    hundred thousand metrics."""

    FIELDS = ("kind", "label", "value", "unit", "indicator", "year", "comparator",
              "approximate", "doc", "about", "status", "place", "evidence")
    __slots__ = FIELDS

    @classmethod
    def of(cls, values) -> "MetricData":
        """The attributes ``values``, given in :attr:`FIELDS` order (a
        build makes a hundred thousand: this is several times faster than
        from a dict)."""
        d = cls.__new__(cls)
        d._other = None
        (d.kind, d.label, d.value, d.unit, d.indicator, d.year, d.comparator, d.approximate,
         d.doc, d.about, d.status, d.place, d.evidence) = values
        return d


class KnowledgeGraph(nx.MultiDiGraph):
    """A ``MultiDiGraph`` storing its edges in :class:`EdgeKeys` and
    :class:`EdgeData` (same interface, about half the memory per edge)."""

    edge_key_dict_factory = EdgeKeys
    edge_attr_dict_factory = EdgeData

    def size(self, weight=None):
        """The number of edges (networkx's, counted from the adjacency
        without its degree views when unweighted: 0.2 s against 0.74 s for
        917,000 edges), or the total ``weight``."""
        if weight is not None:
            return super().size(weight)
        return sum(len(keyed) for targets in self._succ.values() for keyed in targets.values())

    def add_metric_node(self, node, attrs) -> None:
        """``add_node(node, **attrs)`` for a metric node, its attributes
        kept in a :class:`MetricData` (``attrs`` a mapping, or already
        one)."""
        data = attrs if type(attrs) is MetricData else MetricData(attrs)
        if node in self._node:
            self._node[node].update(data)
        else:
            self._succ[node] = self.adjlist_inner_dict_factory()
            self._pred[node] = self.adjlist_inner_dict_factory()
            self._node[node] = data
        _clear_cache(self)

    def add_usual_edge(self, u, v, key, predicate, weight, evidence) -> None:
        """``add_edge(u, v, key=key, predicate=..., weight=..., evidence=...)``
        between two nodes already in the graph, replacing any edge of that
        key, about three times faster (a build adds a million edges)."""
        self.add_usual_edges(((u, v, key, predicate, weight, evidence),))

    def add_usual_edges(self, rows) -> None:
        """:meth:`add_usual_edge` for each ``(u, v, key, predicate, weight,
        evidence)`` of ``rows``, in one call (the build adds the graph's
        relations so)."""
        succ, pred = self._succ, self._pred
        for u, v, key, predicate, weight, evidence in rows:
            data = EdgeData()
            data.predicate, data.weight, data.evidence = predicate, weight, evidence
            keyed = succ[u].get(v)
            if keyed is None:
                keyed = EdgeKeys()
                keyed._key, keyed._value = key, data
                succ[u][v] = keyed
                pred[v][u] = keyed
            else:
                keyed[key] = data
        _clear_cache(self)

    def to_directed_class(self):
        return KnowledgeGraph
