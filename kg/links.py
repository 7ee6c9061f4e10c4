"""Linking kept up to date as documents change, for a rebuild that links
again only the documents a change reaches.

:func:`kg.pipeline.link` finds every document's relations, pools them by
(subject, predicate, object), and merges them.  A pool of one document,
reduced (:meth:`~kg.extract.relations.RelationPool.reduced`), merges with
the others' exactly (:func:`~kg.extract.relations.merge_entries`: counts
add up, the records kept are the first spans of all), so :class:`LinkState`
keeps each document's part (:class:`DocLinks`) and the merged relations,
and :meth:`LinkState.update` merges again only the relations and entity
records the changed documents' parts hold.  Its :meth:`~LinkState.extraction`
is the :class:`~kg.model.Extraction` :func:`~kg.pipeline.link` makes of the
documents as they now are (``tests/test_links.py``).

Which documents to link again is the caller's: those that changed, those
naming an entity whose name, aliases or id changed
(:class:`kg.names.Changes`), and those whose linking read a place or
agency name that changed.
"""
from __future__ import annotations

import sqlite3
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, replace
from operator import attrgetter
from pathlib import Path

from .extract.relations import (RelationPool, mention_relations, merge_entries,
                                place_relations, records_kept, relations_of)
from .gazetteer import Gazetteer
from .graph import RELATION_ORDER
from .lazy import LazyTable, save_table, spans_only, write_tables
from .model import Document, Entity, Evidence, Extraction, Metric, Relation, by_span

__all__ = ["DocLinks", "LinkState", "doc_links"]

_DOC = attrgetter("doc_id")

#: The part of the place entities' own relations (partOf, from the
#: gazetteer), kept as one more document's.
PLACES = "\0places"


@dataclass(frozen=True)
class DocLinks:
    """One document's part of linking: its relations pooled and reduced,
    its metrics, its ``mentions``, its mentions' evidence records by
    entity, its publisher's entity id, and what its linking read of the
    tables made from every document's entities (``reads``: the names
    looked up; :func:`kg.pipeline.link_parts`)."""
    doc_id: str
    publisher: str
    reduced: dict
    metrics: tuple[Metric, ...]
    mentions: tuple[Relation, ...]
    records: dict
    reads: frozenset = frozenset()


def doc_links(doc_id: str, publisher: str, relations: list[Relation], metrics: list[Metric],
              eids: list[str], evidence: list[Evidence], reads=frozenset()) -> DocLinks:
    """A document's :class:`DocLinks` from what linking found in it (its
    relations and metrics), its mentions' entity ids and records, and the
    names it looked up."""
    pool = RelationPool()
    pool.add(relations)
    records: dict[str, list[Evidence]] = defaultdict(list)
    for eid, ev in zip(eids, evidence):
        records[eid].append(ev)
    return DocLinks(doc_id, publisher, pool.reduced(), tuple(metrics),
                    tuple(mention_relations(doc_id, eids, evidence)),
                    {eid: tuple(evs) for eid, evs in records.items()}, frozenset(reads))


class LinkState:
    """Every document's :class:`DocLinks` (its relations' entries kept by
    relation), in build order, and what they merge to: the relations by
    key and each entity's records.  Held whole (:meth:`of`), or opened
    from the file :meth:`save` wrote and read a bucket of entries at a time
    (:meth:`open`: for :meth:`update`, not :meth:`extraction`)."""

    #: What :meth:`save` writes, each record as its span alone: an entity's
    #: records are its documents' parts' (``records``), not saved again.
    _TABLES = ("parts", "doc_keys", "entries", "merged")

    def __init__(self, gaz: Gazetteer) -> None:
        self.gaz = gaz
        self.parts: dict[str, DocLinks] = {}           # without their relations
        self.doc_keys: dict[str, tuple] = {}           # document -> its relations' keys
        self.entries: dict[tuple, tuple] = {}          # (*key, document) -> entry
        self.by_key: dict[tuple, set[str]] = defaultdict(set)   # held whole: key -> documents
        self.merged: dict[tuple, tuple] = {}
        self.evidence: dict[str, tuple[Evidence, ...]] | None = {}   # held whole
        self.documents: dict[str, Document | None] = {}
        self.entities: dict[str, Entity] = {}
        self.db = None

    @classmethod
    def of(cls, gaz: Gazetteer, entities: dict[str, Entity],
           parts: list[tuple[Document, DocLinks]]) -> "LinkState":
        """The state of documents linked against ``entities`` (resolved,
        with the publishers' own), each with its part, in build order."""
        state = cls(gaz)
        state.update(entities, parts)
        return state

    def save(self, path: Path) -> None:
        """Write the state to the SQLite file ``path`` (whole, through a
        temporary file), for :meth:`open`."""
        write_tables(path, [*((name, getattr(self, name).items(), name == "entries")
                              for name in self._TABLES),   # a relation's entries one bucket
                            ("meta", self._meta())], spans_only)

    def _meta(self) -> list[tuple[str, object]]:
        return [("documents", list(self.documents)),
                ("places", {i: e for i, e in self.entities.items() if e.type == "Place"})]

    @classmethod
    def open(cls, gaz: Gazetteer, path: Path) -> "LinkState":
        """The state :meth:`save` wrote to ``path``, its tables read a bucket
        at a time; :meth:`flush` writes back what :meth:`update` changed."""
        state = cls(gaz)
        state.db = sqlite3.connect(path)
        for name in cls._TABLES:
            setattr(state, name, LazyTable(state.db, name, spans_only))
        state.by_key = state.evidence = None
        meta = LazyTable(state.db, "meta")
        state.documents = dict.fromkeys(meta["documents"])
        state.entities = meta["places"]
        return state

    def flush(self) -> None:
        """Write what :meth:`update` changed back to the opened file."""
        for name in self._TABLES:
            getattr(self, name).flush()
        save_table(self.db, "meta", self._meta(), spans_only)
        self.db.commit()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def update(self, entities: dict[str, Entity], parts: list[tuple[Document, DocLinks]],
               removed=()) -> None:
        """The entities as they now are (an opened state reads the place
        entities only), the new parts of the documents linked again (a
        document not yet in goes after the others), and the documents
        ``removed``; the relations and records they touch merged again."""
        changed_places = self._places_changed(entities)
        self.entities = dict(entities)
        if changed_places:
            parts = [*parts, (None, self._place_part())]
        for doc_id in removed:
            self._swap(doc_id, None)
            self.documents.pop(doc_id, None)
        for doc, part in parts:
            self._swap(part.doc_id, part)
            if doc is not None:
                self.documents[part.doc_id] = doc

    def _swap(self, doc_id: str, new: DocLinks | None) -> None:
        """Document ``doc_id``'s part replaced by ``new`` (None: taken
        out), and the relations and records it held or holds merged
        again."""
        old = self.parts.pop(doc_id, None)
        old_keys = self.doc_keys.pop(doc_id, ())
        after = new.reduced if new is not None else {}
        if self.db is not None:   # the rows this swap reads, asked for together
            keys = set(old_keys).union(after)
            self.entries.load([(*k, doc_id) for k in keys])
            self.merged.load(keys)
        if new is not None:
            self.parts[doc_id] = replace(new, reduced={})
            self.doc_keys[doc_id] = tuple(after)
        for k in set(old_keys).union(after):
            self._swap_key(k, doc_id, after.get(k))
        if self.evidence is None:   # opened: the records stay in the parts
            return
        had = old.records if old is not None else {}
        has = new.records if new is not None else {}
        for eid in had.keys() | has.keys():
            self._swap_records(eid, doc_id, has.get(eid))

    def _swap_key(self, k: tuple, doc_id: str, new: tuple | None) -> None:
        """Relation ``k`` with document ``doc_id``'s entry replaced by
        ``new``: its counts moved by the difference when neither the old
        entry nor the new has a record among (or before) the records kept,
        else merged again from every document's entry."""
        own = (*k, doc_id)
        old = self.entries.pop(own, None)
        if new is not None:
            self.entries[own] = new
        if self.by_key is not None:
            docs = self.by_key[k]
            if new is None:
                docs.discard(doc_id)
            else:
                docs.add(doc_id)
            if not docs:
                del self.by_key[k]
        cur = self.merged.get(k)
        if new is None and (cur is None or cur[0] == old[0]):   # (a count is 1 or more)
            self.merged.pop(k, None)
            return
        if cur is not None and _after_kept(k[1], cur, old) and _after_kept(k[1], cur, new):
            less = old or (0, 0, 0)
            more = new or (0, 0, 0)
            self.merged[k] = (cur[0] - less[0] + more[0], cur[1] - less[1] + more[1],
                              cur[2] - less[2] + more[2], cur[3])
            return
        self.merged[k] = merge_entries(k[1], [e for _, e in sorted(self._entries_of(k))])

    def _entries_of(self, k: tuple) -> list[tuple[str, tuple]]:
        """``(document, entry)`` of every document holding relation ``k``."""
        if self.by_key is not None:
            return [(d, self.entries[(*k, d)]) for d in self.by_key.get(k, ())]
        return [(full[-1], e) for full, e in self.entries.prefix(k).items()]

    def _swap_records(self, eid: str, doc_id: str, new: tuple | None) -> None:
        """Entity ``eid``'s records (by span, so a document's are together)
        with those of ``doc_id`` replaced by ``new``."""
        cur = self.evidence.get(eid, ())
        lo = bisect_left(cur, doc_id, key=_DOC)
        hi = bisect_right(cur, doc_id, lo, key=_DOC)
        out = cur[:lo] + (by_span(new) if new else ()) + cur[hi:]
        if out:
            self.evidence[eid] = out
        else:
            self.evidence.pop(eid, None)

    def _places_changed(self, entities: dict[str, Entity]) -> bool:
        """Whether the place entities differ from those last linked."""
        def places(table):
            return {i: e for i, e in table.items() if e.type == "Place"}
        return PLACES not in self.parts or places(entities) != places(self.entities)

    def _place_part(self) -> DocLinks:
        pool = RelationPool()
        pool.add(place_relations(self.entities, self.gaz))
        return DocLinks(PLACES, "", pool.reduced(), (), (), {})

    def extraction(self) -> Extraction:
        """What :func:`kg.pipeline.link` makes of the documents as they now
        are (of a state held whole)."""
        if self.db is not None:
            raise RuntimeError("an opened LinkState holds no documents nor entities whole")
        ex = Extraction(documents=list(self.documents.values()))
        entities = []
        for e in self.entities.values():
            found = self.evidence.get(e.id)
            entities.append(Entity(e.id, e.type, e.name, e.aliases, found, e.notation)
                            if found else e)
        ex.entities = sorted(entities, key=lambda e: e.id)
        mentions = [r for d in self.documents for r in self.parts[d].mentions]
        ex.relations = sorted(relations_of(self.merged) + mentions, key=RELATION_ORDER)
        ex.relations_sorted = True
        for d in self.documents:
            ex.publishers[d] = self.parts[d].publisher
            ex.metrics += self.parts[d].metrics
        return ex


def _after_kept(predicate: str, merged: tuple, entry: tuple | None) -> bool:
    """Whether one document's ``entry`` of a relation leaves the records
    its ``merged`` entry keeps as they are, were it in or out: the records
    kept are all there may be, and the entry's first span comes after
    the last of them."""
    if entry is None or not entry[3]:
        return True
    kept = merged[3]
    if len(kept) < records_kept(predicate):
        return False
    last, first = kept[-1], entry[3][0]
    return (first.doc_id, first.start, first.end) > (last.doc_id, last.start, last.end)
