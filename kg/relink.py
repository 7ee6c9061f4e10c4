"""What a build keeps of its linking (:class:`LinkMemory`), so that a
rebuild links again only the documents a change reaches.

Linking one document reads, besides the document itself: the entity id of
each of its mentions, its publisher's entity, the names and aliases of the
entities it names, and the names it looks up in the tables made from every
document's entities (place names and agency names to ids, agency names'
comparison forms: :func:`~kg.extract.relations.recording_reads`).  The
memory keeps, per document, the cache key of the result it was linked
from, a digest of its mentions' entity ids, its publisher, the names it
read, and where its metrics were placed; the tables themselves; and every
document's relations reduced, as integer columns
(:class:`~kg.columns.RelationColumns`).  A rebuild compares: a document
whose result, entity ids and publisher are the same, that names no entity
whose name or aliases changed, and read no name whose entry changed,
links as it did, and its rows are kept.
"""
from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .columns import RelationColumns
from .model import ENTITY_TYPES

__all__ = ["Change", "DocMemo", "LinkMemory", "doc_rows", "eids_digest", "entity_forms",
           "rows_of", "to_link_again"]

#: The file, under the cache folder, a build keeps its linking in.
MEMORY_FILE = "link.npz"


@dataclass(frozen=True)
class DocMemo:
    """What a document's linking read and placed: the cache key of its
    result, a digest of its mentions' entity ids (:func:`eids_digest`), its
    publisher's entity id, the names it looked up (sorted), and each of its
    metrics' ``(about, place)``."""
    key: str
    eids: bytes
    publisher: str
    reads: tuple
    placed: tuple


@dataclass(frozen=True)
class Change:
    """What a build's linking changed against the build whose memory it
    was given: ``docs``, the documents linked again, added or removed;
    ``sources``, the subjects of the relations whose rows changed (those
    documents' rows, or the place relations').  ``token`` is the new
    memory's, ``before`` the old one's (None: there was none, and
    everything changed)."""
    token: str
    before: str | None = None
    docs: frozenset = frozenset()
    sources: frozenset = frozenset()


@dataclass
class LinkMemory:
    """A build's linking kept for the next: every document's relations
    reduced (``columns``), what each document read (``docs``, by id), and
    the tables they read from: place names, agency names and agency keys
    to ids, and each entity's name and aliases (:func:`entity_forms`).
    ``build`` is the build's key (pipeline, lexicon, settings); ``token``
    names this memory (what was written from it names it too)."""
    columns: RelationColumns
    docs: dict[str, DocMemo]
    tables: tuple[dict, dict, dict, dict]
    build: str = ""
    token: str = ""
    #: the names merged, one :func:`~kg.resolve.merge_names` result per
    #: entity type (:func:`~kg.resolve.parts_by_type`), for the documents
    #: of ``docs`` in that order; None when not kept
    names: dict | None = None

    def save(self, path: Path) -> None:
        """Write the memory to ``path`` (through a temporary file)."""
        rest = pickle.dumps((self.docs, self.tables, self.build, self.token, self.names),
                            pickle.HIGHEST_PROTOCOL)
        self.columns.save(path, extra=rest)

    @classmethod
    def load(cls, path: Path) -> "LinkMemory | None":
        """The memory :meth:`save` wrote to ``path``; None when there is
        none, or it cannot be read (a rebuild then links every document)."""
        try:
            columns = RelationColumns.load(path)
            docs, tables, build, token, names = pickle.loads(columns.extra)
        except Exception:   # (missing, cut short, of another version: not kept)
            return None
        columns.extra = b""
        return cls(columns, docs, tables, build, token, names)

    def kept_names(self, doc_ids: list[str], keys: list[str], names: list,
                   earlier) -> "KeptNames | None":
        """What of the names merged (see :attr:`names`) a rebuild keeps:
        the documents are those it was made for, in the same order, and
        for each whose result changed (``keys``, the cache keys; ``names``,
        each document's :class:`~kg.resolve.DocNames`) its result before
        is known (``earlier(key)``, None when not), and names the same
        things in the same way outside its entity types'
        (:func:`~kg.resolve.types_named_differently`).  The types no change
        reaches are kept whole; the others are merged again from their
        result before, where the changed documents' nodes of that type
        reach (:func:`~kg.resolve.merge_names_again`).  None: nothing is
        kept."""
        from .resolve import types_named_differently
        if self.names is None or list(self.docs) != list(doc_ids):
            return None
        touched: dict[str, dict] = {}
        for doc_id, key, dn in zip(doc_ids, keys, names):
            memo = self.docs[doc_id]
            if key and memo.key == key:
                continue
            old = earlier(memo.key) if memo.key else None
            differ = types_named_differently(old.names, dn) if old is not None else None
            if differ is None:
                return None
            for t in differ:
                nodes = touched.setdefault(t, {})
                for n, forms in dn.forms.items():
                    if n[0] == t:
                        nodes.setdefault(n, set()).update(forms)
                for n in old.names.forms:
                    if n[0] == t:
                        nodes.setdefault(n, set())
        return KeptNames({t: self.names.get(t, ([], {})) for t in ENTITY_TYPES},
                         touched)


@dataclass(frozen=True)
class KeptNames:
    """The names a rebuild keeps (:meth:`LinkMemory.kept_names`): every
    entity type's :func:`~kg.resolve.merge_names` result before, and for
    the types a change reaches, the nodes of that type the changed
    documents name, before or after, each with the forms they now give it
    (``touched``)."""
    before: dict
    touched: dict

    def kept(self) -> dict:
        """The results of the types no change reaches, by type."""
        return {t: part for t, part in self.before.items() if t not in self.touched}


def eids_digest(eids) -> bytes:
    """A digest of a document's mentions' entity ids (a mention without
    an entity counted as an empty id)."""
    return hashlib.blake2b("\x1f".join(e or "" for e in eids).encode(), digest_size=16).digest()


def entity_forms(entities: dict) -> dict[str, tuple]:
    """Each entity's name and aliases, by id: what linking reads of the
    entities a document names."""
    return {eid: (e.name, e.aliases) for eid, e in entities.items()}


def changed_keys(a: dict, b: dict) -> set:
    """The keys whose entry differs between ``a`` and ``b`` (or is in one only)."""
    out = set(a.keys() ^ b.keys())
    out.update(k for k, v in a.items() if k in b and b[k] != v)
    return out


def to_link_again(before: LinkMemory, doc_ids: list[str], keys: list[str],
                  publishers: list[str], eids: list[list[str]], tables: tuple,
                  digests: list[bytes] | None = None) -> list[int]:
    """The documents (by place in ``doc_ids``) to link again: new ones,
    those whose result changed (``keys``, their cache keys), whose
    mentions' entity ids or publisher changed, that name an entity whose
    name or aliases changed, or read a name whose entry in a table
    changed (``tables``: as :class:`LinkMemory` keeps them, made now;
    ``digests``: :func:`eids_digest` of each document's ids, when made)."""
    if digests is None:
        digests = [eids_digest(e) for e in eids]
    names = set().union(*(changed_keys(a, b) for a, b in zip(before.tables[:3], tables[:3])))
    forms_before, forms = before.tables[3], tables[3]
    renamed = {eid for eid, f in forms.items() if eid in forms_before and forms_before[eid] != f}
    again = []
    for i, doc_id in enumerate(doc_ids):
        memo = before.docs.get(doc_id)
        if memo is None or not keys[i] or memo.key != keys[i] \
                or memo.publisher != publishers[i] or memo.eids != digests[i] \
                or (names and not names.isdisjoint(memo.reads)) \
                or (renamed and not renamed.isdisjoint(eids[i])):
            again.append(i)
    return again


def rows_of(columns: RelationColumns, doc_ids) -> set:
    """The relation keys the documents ``doc_ids`` hold rows of in
    ``columns``."""
    numbers = [columns.doc_no[d] for d in doc_ids if d in columns.doc_no]
    if not numbers:
        return set()
    rel = columns.cols["rel"][np.isin(columns.cols["doc"], numbers)]
    keys = columns.keys
    return {keys[r] for r in np.unique(rel).tolist()}


def doc_rows(columns: RelationColumns, doc_id: str) -> set:
    """The rows document ``doc_id`` holds in ``columns``, each ``(key,
    count, records, sentences, spans)``."""
    d = columns.doc_no.get(doc_id)
    if d is None:
        return set()
    cols = columns.cols
    rows = np.flatnonzero(cols["doc"] == d)
    spans: dict[int, list] = {}
    for i in np.flatnonzero(np.isin(cols["span_row"], rows)).tolist():
        spans.setdefault(int(cols["span_row"][i]), []).append(
            (int(cols["span_doc"][i]), int(cols["start"][i]), int(cols["end"][i]),
             int(cols["code"][i])))
    keys = columns.keys
    return {(keys[int(cols["rel"][r])], int(cols["count"][r]), int(cols["records"][r]),
             int(cols["sentences"][r]), tuple(spans.get(r, ()))) for r in rows.tolist()}
