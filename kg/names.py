"""Name merging kept up to date as documents change, for a rebuild that
touches only what a changed document reaches.

:func:`kg.resolve.merge_names` merges the names of every document at once.
:class:`NameState` holds what it merges from, summed over the documents
(per node ``(type, key)``: how often each name is said, in how many
documents each form and each relative form is given, the documents naming
it and their division codes), the forms that join nodes, and the merged
groups.  :meth:`NameState.replace` takes one document's part out and puts
its new part in, then merges again only the groups whose nodes it touched
(a group of the 1,000-document benchmark has 1.1 nodes on average, 454 at
most), so its entities and ids are those :func:`~kg.resolve.merge_names`
would give for the documents as they now are (``tests/test_names.py``).
"""
from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .lazy import LazyTable, save_table, write_tables
from .model import ENTITY_TYPES, Entity
from .resolve import DocNames, entity_id, key, preferred_name

__all__ = ["NameState", "Changes"]

Node = tuple[str, str]


@dataclass
class _Sums:
    """One node's part of every document, summed."""
    said: Counter = field(default_factory=Counter)       # name -> mentions
    forms: Counter = field(default_factory=Counter)      # form -> documents
    relative: Counter = field(default_factory=Counter)   # relative form -> documents
    docs: Counter = field(default_factory=Counter)       # document -> its parts
    notation: dict = field(default_factory=dict)         # document -> division code


@dataclass(frozen=True)
class Changes:
    """What :meth:`NameState.replace` changed: the entities gone (by id),
    the entities new or changed (name, aliases or code), and the nodes
    whose entity id changed (the documents naming them are those whose
    mentions' ids changed)."""
    gone: frozenset[str]
    made: tuple[Entity, ...]
    moved: frozenset[Node]


class NameState:
    """The sums :func:`~kg.resolve.merge_names` merges from, and its
    merged groups, for documents in a fixed order (``order``: document id
    -> place; a division code is the last document's, as there)."""

    def __init__(self) -> None:
        self.sums: dict[Node, _Sums] = {}
        self.extended: Counter = Counter()   # name -> documents quoting it extended
        self.order: dict[str, int] = {}
        self.keys: dict[Node, frozenset] = {}            # node -> the keys it joins by
        self.by_key: dict[tuple, set[Node]] = {}         # key -> nodes
        self.root: dict[Node, Node] = {}                 # node -> its group's root
        self.groups: dict[Node, tuple[list[Node], Entity]] = {}  # root -> members, entity
        self.ids: dict[Node, str] = {}                   # node -> its entity's id
        self.db = None            # the file the tables are read from (open())
        self._keyed: set[Node] = set()   # opened: the nodes whose keys are known

    @classmethod
    def of(cls, docs: list[tuple[str, DocNames]]) -> "NameState":
        """The state of ``docs`` (``(doc_id, names)``, in build order)."""
        state = cls()
        sums = state.sums
        for i, (doc_id, dn) in enumerate(docs):   # _add of each document's _parts, in bulk
            if doc_id in state.order:
                raise ValueError(f"two documents have the id {doc_id!r}")
            state.order[doc_id] = i
            for node, name in zip(dn.nodes, dn.names):
                s = sums.get(node)
                if s is None:
                    s = sums[node] = _Sums()
                s.said[name] += 1
            present = dn.forms.keys() | set(dn.nodes)
            for node in present:
                s = sums.get(node)
                if s is None:
                    s = sums[node] = _Sums()
                s.forms.update(dn.forms.get(node, ()))
                s.relative.update(dn.local_only.get(node, ()))
                s.docs[doc_id] += 1
                code = dn.notation.get(node)
                if code is not None:
                    s.notation[doc_id] = code
            state.extended.update(dn.extended)
        state._merge(set(sums))
        return state

    _TABLES = ("sums", "by_key", "root", "groups", "ids")

    def save(self, path: Path) -> None:
        """Write the state to the SQLite file ``path`` (replacing it whole,
        through a temporary file), for :meth:`open`."""
        write_tables(path, [*((name, getattr(self, name).items()) for name in self._TABLES),
                            ("meta", [("order", self.order), ("extended", self.extended)])])

    @classmethod
    def open(cls, path: Path) -> "NameState":
        """The state :meth:`save` wrote to ``path``, its tables read a bucket
        at a time as :meth:`replace` needs them; :meth:`flush` writes back
        what changed."""
        state = cls()
        state.db = sqlite3.connect(path)
        for name in cls._TABLES:
            setattr(state, name, LazyTable(state.db, name))
        meta = LazyTable(state.db, "meta")
        state.order, state.extended = meta["order"], meta["extended"]
        return state

    def flush(self) -> None:
        """Write what :meth:`replace` changed back to the opened file."""
        for name in self._TABLES:
            getattr(self, name).flush()
        save_table(self.db, "meta", [("order", self.order), ("extended", self.extended)])
        self.db.commit()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def result(self) -> tuple[list[tuple[Node, Entity]], dict[Node, str]]:
        """What :func:`~kg.resolve.merge_names` returns: each entity after
        its group's root, in root order, and each node's entity id."""
        found = [(root, self.groups[root][1]) for root in sorted(self.groups)]
        return found, dict(self.ids)

    def replace(self, doc_id: str, old: DocNames | None, new: DocNames | None) -> Changes:
        """Document ``doc_id``'s part ``old`` taken out (None: it is new,
        placed after the others) and ``new`` put in (None: it is gone),
        and the groups it touched merged again."""
        if old is None:
            if doc_id in self.order:
                raise ValueError(f"document {doc_id!r} is already in")
            self.order[doc_id] = max(self.order.values(), default=-1) + 1
        elif doc_id not in self.order:
            raise ValueError(f"document {doc_id!r} is not in")
        before, quoted_before = _parts(old) if old is not None else ({}, frozenset())
        after, quoted_after = _parts(new) if new is not None else ({}, frozenset())
        if new is None:
            del self.order[doc_id]
        # a node the document names as before is left alone
        changed = [n for n in before.keys() | after.keys() if before.get(n) != after.get(n)]
        touched = self._add(doc_id, [(n, before[n]) for n in changed if n in before],
                            quoted_before - quoted_after, -1)
        touched |= self._add(doc_id, [(n, after[n]) for n in changed if n in after],
                             quoted_after - quoted_before, 1)
        return self._merge(touched)

    # ------------------------------------------------------------ sums

    def _add(self, doc_id: str, parts, quoted, sign: int) -> set[Node]:
        """Add (``sign`` 1) or take out (-1) one document's ``parts``
        (:func:`_parts`) and names quoted with words before
        (``quoted``); the nodes whose sums changed."""
        sums = self.sums
        touched: set[Node] = set()
        for node, (said, forms, relative, code) in parts:
            self._keys_of(node)   # as the key index has them, before the sums change
            s = sums.get(node)
            if s is None:
                s = sums[node] = _Sums()
            _count(s.said, said, sign)
            _count(s.forms, ((f, 1) for f in forms), sign)
            _count(s.relative, ((f, 1) for f in relative), sign)
            _count(s.docs, ((doc_id, 1),), sign)
            if code is not None:
                if sign > 0:
                    s.notation[doc_id] = code
                else:
                    s.notation.pop(doc_id, None)
            sums[node] = s   # (set again: an opened state writes what is set)
            touched.add(node)
        for name in quoted:
            self.extended[name] += sign
            if self.extended[name] <= 0:
                del self.extended[name]
            # the canonical name of any group saying it may change (a
            # node's names all have its key)
            k = key(name)
            touched.update(n for n in ((t, k) for t in ENTITY_TYPES) if n in sums)
        return touched

    def _node_keys(self, node: Node) -> frozenset:
        """The keys ``node`` joins other nodes by (:func:`merge_names`'s):
        each form's key, a relative form's with each document naming the
        node; none for places, nor for keys shorter than two."""
        s = self.sums.get(node)
        if s is None or not s.docs or node[0] == "Place":
            return frozenset()
        relative = s.relative.keys()
        out = {(node[0], key(f)) for f in s.forms if f not in relative}
        out.update((node[0], key(f), d) for f in relative for d in s.docs)
        return frozenset(k for k in out if len(k[1]) >= 2)

    # ---------------------------------------------------------- merging

    def _merge(self, touched: set[Node]) -> Changes:
        """Merge again the groups of ``touched`` nodes (their old groups
        and whatever their keys now join)."""
        for node in touched:
            self._rekey(node)
        seeds = set(touched)
        old_roots = {self.root[n] for n in touched if n in self.root}
        before: dict[str, Entity] = {}   # the entities of the groups merged again
        for r in old_roots:
            members, entity = self.groups.pop(r)
            seeds.update(members)
            before[entity.id] = entity
            for n in members:
                del self.root[n]
        made, done = [], set()
        for start in sorted(seeds):
            if start in done or not self._alive(start):
                continue
            members = self._component(start)
            for n in members:   # an untouched group a touched node now joins
                r = self.root.get(n)
                if r is not None and r in self.groups:
                    joined, entity = self.groups.pop(r)
                    before[entity.id] = entity
                    for m in joined:
                        del self.root[m]
            root = members[0]
            entity = self._entity(root, members)
            self.groups[root] = (members, entity)
            for n in members:
                self.root[n] = root
            done.update(members)
            made.append(entity)
        seeds |= done
        moved = set()
        for n in seeds:
            if n in self.root:
                now = self.groups[self.root[n]][1].id
                if self.ids.get(n) != now:
                    self.ids[n] = now
                    moved.add(n)
            else:
                self.sums.pop(n, None)
                if self.ids.pop(n, None) is not None:
                    moved.add(n)
        made_ids = {e.id for e in made}
        return Changes(frozenset(before.keys() - made_ids),
                       tuple(e for e in made if before.get(e.id) != e), frozenset(moved))

    def _keys_of(self, node: Node) -> frozenset:
        """The keys ``node`` has in the key index (an opened state works
        them out from the node's sums the first time it is asked)."""
        if self.db is not None and node not in self._keyed:
            self._keyed.add(node)
            keys = self._node_keys(node)
            if keys:
                self.keys[node] = keys
        return self.keys.get(node, frozenset())

    def _rekey(self, node: Node) -> None:
        """Bring the keys ``node`` joins by up to date in the key index."""
        old = self._keys_of(node)
        keys = self._node_keys(node)
        for k in old - keys:
            nodes = self.by_key[k]
            nodes.discard(node)
            if nodes:
                self.by_key[k] = nodes
            else:
                del self.by_key[k]
        for k in keys - old:
            nodes = self.by_key.get(k) or set()
            nodes.add(node)
            self.by_key[k] = nodes
        if keys:
            self.keys[node] = keys
        else:
            self.keys.pop(node, None)

    def _alive(self, node: Node) -> bool:
        s = self.sums.get(node)
        return s is not None and bool(s.docs)

    def _component(self, start: Node) -> list[Node]:
        """The nodes joined to ``start`` by shared keys."""
        out, todo = {start}, [start]
        while todo:
            n = todo.pop()
            for k in self._keys_of(n):
                for m in self.by_key[k]:
                    if m not in out:
                        out.add(m)
                        todo.append(m)
        return sorted(out)

    def _entity(self, root: Node, members: list[Node]) -> Entity:
        """The entity of a group, as :func:`merge_names` makes it."""
        said: Counter = Counter()
        forms: set[str] = set()
        for n in members:
            s = self.sums[n]
            said.update(s.said)
            forms.update(s.forms)
        canonical = preferred_name(said, self.extended)
        code = ""
        for n in members:
            notation = self.sums[n].notation
            if notation:
                last = max(notation, key=self.order.__getitem__)
                if notation[last]:
                    code = notation[last]
                    break
        return Entity(entity_id(root[0], canonical, code), root[0], canonical,
                      tuple(sorted(forms - {canonical})), (), code)


def _count(counter: Counter, items, sign: int) -> None:
    """Add (``sign`` 1) or take out (-1) ``(key, n)`` counts, dropping a
    key whose count falls to nothing (only a key taken out can)."""
    if sign > 0:
        for k, n in items:
            counter[k] += n
        return
    for k, n in items:
        left = counter[k] - n
        if left > 0:
            counter[k] = left
        else:
            del counter[k]


def _parts(dn: DocNames) -> tuple[dict[Node, tuple], frozenset[str]]:
    """One document's part of each node it names, ``node -> (names said
    with their counts, forms, relative forms, division code or None)``,
    and the names it quoted with words before them."""
    said: dict[Node, Counter] = {}
    for node, name in zip(dn.nodes, dn.names):
        c = said.get(node)
        if c is None:
            c = said[node] = Counter()
        c[name] += 1
    empty: frozenset = frozenset()
    parts = {}
    for node in said.keys() | dn.forms.keys():
        parts[node] = (tuple(sorted(said.get(node, {}).items())),
                       frozenset(dn.forms.get(node, empty)),
                       frozenset(dn.local_only.get(node, empty)), dn.notation.get(node))
    return parts, frozenset(dn.extended)
