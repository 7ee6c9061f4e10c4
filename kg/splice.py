"""graph.ttl written again only where a change reaches.

The Turtle is a row of units (:func:`kg.rdf._units`): each node's
triples, by node; each source's edges, by source; each evidence record, by
its key.  A build with the cache keeps an index of graph.ttl
(:class:`TurtleIndex`, beside the link memory): where each unit begins,
what each entity's unit was made of (a checksum), each metric's document,
and how many times each evidence record is cited.  A rebuild given what
its linking changed (:class:`~kg.relink.Change`: the documents linked
again, added or removed, and the subjects of the relations whose rows
changed) writes again only the units that change can reach, and copies
the others' bytes from the file the index describes:

- the entities whose checksum differs, or that came or went;
- every document's node, and every unit of a bare document node (a
  thousand, a few milliseconds);
- the metrics of the documents linked again, and the metrics naming an
  entity that came or went;
- the edges of the subjects of changed relations, of the documents linked
  again, of those metrics, and of the subjects of relations ending at an
  entity that came or went;
- the evidence records no longer cited, newly cited, or of a document
  linked again (its text may have changed under the same span).

The result is byte for byte the Turtle written whole (tests compare them
over random sequences of changes).  Anything the index cannot vouch for
(no index, another build's or another memory's, graph.ttl changed since,
a source that is also the last node) writes the file whole.
"""
from __future__ import annotations

import mmap
import os
import re
import zlib
from bisect import bisect_left
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

import numpy as np

from . import rdf
from .graph import GraphRecords, doc_node
from .io import collector_paused, copy_stretch, replacing
from .model import Evidence
from .rdf import (EDGES, EVIDENCE, NODES, _evidence_key, _evidence_terms, _TurtleSpelling,
                  _turtle_header, _unit_text, _units)

__all__ = ["TurtleIndex", "INDEX_FILE", "entity_print", "entity_prints", "kept_index", "reach",
           "write_turtle_kept"]

#: The index of graph.ttl, under the cache folder.
INDEX_FILE = "graph.ttl.index.npz"

#: The kinds of node units, as the index numbers them.
ENTITY, DOCUMENT, METRIC, BARE = 0, 1, 2, 3

#: An evidence link in a unit's Turtle: its key.
_EVIDENCE_LINK = re.compile(re.escape(_TurtleSpelling().evidence_head_tail[0].encode("utf-8"))
                            + rb"([0-9a-f]{16})")

#: Bytes written at a time.
_CHUNK = 1 << 22


def entity_print(e) -> int:
    """A checksum of what an entity's Turtle is made of: its type, name,
    aliases, code and evidence spans (in their order: an extraction gives
    them in one)."""
    text = "\0".join((e.type, e.name, "\2".join(e.aliases), e.notation,
                      "".join([f"{ev.doc_id}\1{ev.start}\1{ev.end}\2" for ev in e.evidence])))
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


@dataclass
class TurtleIndex:
    """Where each unit of a graph.ttl begins (the sections' keys, sorted,
    and their offsets, each section's list one longer: where it ends), and
    what a rebuild needs to know which units changed: per node, its kind
    (:data:`ENTITY` …), checksum (an entity's :func:`entity_print`) and
    document (a metric's, as a number of ``docs``); per evidence record,
    its citations and document.  ``build`` and ``token``: the build key
    and the link memory's token it was written with; ``size`` and
    ``mtime``: the file's."""
    build: str
    token: str
    size: int
    mtime: int
    head: int
    node_keys: list
    node_at: np.ndarray
    kinds: np.ndarray
    prints: np.ndarray
    node_docs: np.ndarray
    edge_keys: list
    edge_at: np.ndarray
    ev_keys: np.ndarray
    ev_at: np.ndarray
    ev_counts: np.ndarray
    ev_docs: np.ndarray
    docs: list

    def save(self, path: Path) -> None:
        """Write the index to ``path`` (through a temporary file)."""
        path = Path(path)
        names = "\0".join([self.build, self.token, *self.docs]).encode("utf-8", "surrogatepass")
        with replacing([path]) as tmp, open(tmp[path], "wb") as fh:
            np.savez(fh, numbers=np.array([self.size, self.mtime, self.head], np.int64),
                     names=np.frombuffer(names, np.uint8),
                     node_keys=_packed(self.node_keys), edge_keys=_packed(self.edge_keys),
                     node_at=self.node_at, kinds=self.kinds, prints=self.prints,
                     node_docs=self.node_docs, edge_at=self.edge_at, ev_keys=self.ev_keys,
                     ev_at=self.ev_at, ev_counts=self.ev_counts, ev_docs=self.ev_docs)

    @classmethod
    def load(cls, path: Path) -> "TurtleIndex | None":
        """The index :meth:`save` wrote; None if there is none or it cannot
        be read."""
        try:
            with np.load(Path(path)) as data:
                size, mtime, head = data["numbers"].tolist()
                build, token, *docs = data["names"].tobytes().decode(
                    "utf-8", "surrogatepass").split("\0")
                return cls(build, token, size, mtime, head, _unpacked(data["node_keys"]),
                           data["node_at"], data["kinds"], data["prints"], data["node_docs"],
                           _unpacked(data["edge_keys"]), data["edge_at"], data["ev_keys"],
                           data["ev_at"], data["ev_counts"], data["ev_docs"], docs)
        except Exception:   # (missing, cut short, of another version: a whole write)
            return None

    def describes(self, path: Path, build: str, token: str | None) -> bool:
        """Whether this is the index of the file at ``path`` as the build
        ``build`` linked against the memory ``token`` wrote it."""
        return describes(self, path, build, token)


def describes(index, path: Path, build: str, token: str | None) -> bool:
    """Whether ``index`` (its ``build``, ``token``, ``size`` and ``mtime``)
    is of the file at ``path`` as the build ``build`` linked against the
    memory ``token`` wrote it."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return bool(token) and index.token == token and index.build == build \
        and st.st_size == index.size and st.st_mtime_ns == index.mtime


def _packed(keys: list) -> np.ndarray:
    return np.frombuffer("\0".join(map(str, keys)).encode("utf-8", "surrogatepass"), np.uint8)


def _unpacked(data: np.ndarray) -> list:
    text = data.tobytes().decode("utf-8", "surrogatepass")
    return text.split("\0") if text else []


class _NotIndexable(Exception):
    """A unit shares its first subject with the unit before it (a source
    that is also the last node): the file is written whole, unindexed."""


def kept_index(index_path: Path | None, old: Path, change, build: str, kind=None):
    """The index at ``index_path`` (a :class:`TurtleIndex`, or of the class
    ``kind``) if it describes the file at ``old`` as written by the build
    ``change`` was linked against (build key ``build``): the index a
    splice may start from."""
    if index_path is None or change is None or not change.before:
        return None
    index = (kind or TurtleIndex).load(index_path)
    return index if index is not None and index.describes(old, build, change.before) else None


def write_turtle_kept(records: GraphRecords, path: Path, old: Path | None,
                      index_path: Path | None, change, build: str,
                      before: TurtleIndex | None = None, reached: tuple | None = None) -> str:
    """Write the Turtle of ``records`` to ``path`` (a temporary file), and
    its index to ``index_path`` (None: no index, the file written whole).
    Given ``before``, the index of the graph.ttl at ``old`` (see
    :func:`kept_index`), and the ``change`` since, the units the change
    reaches (``reached``: :func:`reach`, found when not given) are written
    and the others copied.  Returns how:
    ``"spliced"``, ``"indexed"`` (written whole, with its index) or
    ``"whole"`` (without)."""
    if index_path is None or change is None:
        rdf.stream_rdf(records, path, "ttl")
        return "whole"
    index, how = None, "spliced"
    if before is not None and old is not None:
        index = _spliced(records, change, old, before, path, reached)
    if index is None:
        index, how = _written(records, path), "indexed"
    if index is None:
        rdf.stream_rdf(records, path, "ttl")
        index_path.unlink(missing_ok=True)
        return "whole"
    st = os.stat(path)
    index.build, index.token, index.size, index.mtime = build, change.token, st.st_size, \
        st.st_mtime_ns
    index.save(index_path)
    return how


def _node_facts(records: GraphRecords, keys: list, docs: dict, prints: dict) -> tuple:
    """Per node of ``keys``: its kind, checksum (``prints``: each
    entity's) and document number (in ``docs``, numbered as met)."""
    kinds = np.empty(len(keys), np.int8)
    sums = np.zeros(len(keys), np.uint32)
    node_docs = np.full(len(keys), -1, np.int32)
    documents, metrics = records._documents, records._metrics
    for i, n in enumerate(keys):
        p = prints.get(n)
        if p is not None:
            kinds[i] = ENTITY
            sums[i] = p
        elif n in documents:
            kinds[i] = DOCUMENT
        else:
            m = metrics.get(n)
            if m is not None:
                kinds[i] = METRIC
                node_docs[i] = docs.setdefault(m.doc_id, len(docs))
            else:
                kinds[i] = BARE
    return kinds, sums, node_docs


def entity_prints(entities) -> dict:
    """:func:`entity_print` of each of ``entities``, by id."""
    return {e.id: entity_print(e) for e in entities}


def _prints(records: GraphRecords) -> dict:
    """The entities' checksums: those the linking found
    (``Extraction.prints``) when they are of these entities."""
    known = records.ex.prints
    if isinstance(known, dict) and known.keys() == records._entities.keys():
        return known
    return entity_prints(records._entities.values())


def _written(records: GraphRecords, path: Path) -> TurtleIndex | None:
    """Write the Turtle of ``records`` whole to ``path``, as
    :func:`~kg.rdf.stream_rdf` does, and return its index (its build,
    token, size and time left to the caller); None if it cannot be
    indexed (no triples, or a source that is also the last node)."""
    t = _TurtleSpelling()
    t.counts = {}
    keys: tuple[list, list, list] = ([], [], [])
    starts: tuple[list, list, list] = ([], [], [])
    ev_docs: list[str] = []
    header = _turtle_header().encode("utf-8")
    at = head = len(header)
    last, pending, size = None, [], 0
    try:
        with open(path, "wb") as fh, collector_paused():
            for section, key, terms in _units(records, t):
                keys[section].append(key)
                starts[section].append(at)
                if section == EVIDENCE:
                    ev_docs.append(_doc_of(t.record))
                if not terms:
                    continue
                if terms[0] == last:
                    raise _NotIndexable
                if last is None:
                    pending.append(header)
                last = terms[-3]
                text = _unit_text(terms).encode("utf-8", "surrogatepass")
                at += len(text)
                pending.append(text)
                size += len(text)
                if size >= _CHUNK:
                    fh.write(b"".join(pending))
                    pending, size = [], 0
            fh.write(b"".join(pending))
    except _NotIndexable:
        return None
    if last is None:
        return None
    docs: dict[str, int] = {}
    kinds, prints, node_docs = _node_facts(records, keys[NODES], docs, _prints(records))
    counts = t.counts
    return TurtleIndex(
        "", "", 0, 0, head, keys[NODES], _ends(starts[NODES], _section_end(starts, EDGES, at)),
        kinds, prints, node_docs, keys[EDGES],
        _ends(starts[EDGES], _section_end(starts, EVIDENCE, at)),
        np.array(keys[EVIDENCE], np.uint64), _ends(starts[EVIDENCE], at),
        np.array([counts[k] for k in keys[EVIDENCE]], np.int64),
        np.array([docs.setdefault(d, len(docs)) for d in ev_docs], np.int32), list(docs))


def _section_end(starts: tuple, section: int, end: int) -> int:
    """Where the section before ``section`` ends: where the next section
    with units begins, or ``end``."""
    for later in range(section, len(starts)):
        if starts[later]:
            return starts[later][0]
    return end


def _ends(starts: list, end: int) -> np.ndarray:
    return np.array(starts + [end], np.int64)


def _spliced(records: GraphRecords, change, old: Path, before: TurtleIndex,
             path: Path, reached: tuple | None = None) -> TurtleIndex | None:
    """Write to ``path`` the Turtle of ``records`` from the file ``old``
    that ``before`` indexes: the units ``change`` reaches (``reached``, of
    :func:`reach`, found when not given) made again, the others copied.
    Returns the new index (build, token, size and time left
    to the caller), or None when the file must be written whole (nothing
    is then left written that matters)."""
    prints, nodes, sources = reached or reach(records, change, before)
    t = _TurtleSpelling()
    t.counts = {}
    made: tuple[dict, dict] = ({}, {})
    only = (sorted(n for n in nodes if n in records), sorted(sources))
    for section, key, terms in _units(records, t, only=only, evidence=False):
        made[section][key] = _unit_text(terms).encode("utf-8", "surrogatepass")
    with open(old, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        view = memoryview(mm)
        try:
            edits = [sorted(((k, made[NODES].get(k)) for k in nodes), key=_FIRST),
                     sorted(((k, made[EDGES].get(k)) for k in sources), key=_FIRST)]
            cited = _old_citations(view, before, edits)
            evidence = _evidence_edits(records, change, before, t, cited)
            if evidence is None:
                return None
            counts, edits_ev = evidence
            return _write_spliced(view, before, edits, edits_ev, counts, records, prints, path,
                                  fh.fileno())
        finally:
            view.release()


_FIRST = itemgetter(0)


def reach(records: GraphRecords, change, before: TurtleIndex) -> tuple[dict, set, set]:
    """``(prints, nodes, sources)``: the entities' checksums
    (:func:`entity_print`), and the nodes and sources whose units
    ``change`` may have changed since the graph ``before`` indexes (see
    the module's notes), in the Turtle and in graph.json
    (:mod:`kg.jsonsplice`) alike."""
    prints = _prints(records)
    return (prints, *_reached(records, change, before, prints))


def _reached(records: GraphRecords, change, before: TurtleIndex, prints: dict
             ) -> tuple[set, set]:
    """The nodes and sources of :func:`reach`."""
    kinds = before.kinds.tolist()
    old_prints = {k: p for k, kind, p in zip(before.node_keys, kinds, before.prints.tolist())
                  if kind == ENTITY}
    came, went = prints.keys() - old_prints.keys(), old_prints.keys() - prints.keys()
    nodes = {k for k, p in prints.items() if old_prints.get(k) != p} | went
    nodes |= records._documents.keys() | records._bare
    nodes |= {k for k, kind in zip(before.node_keys, kinds) if kind in (DOCUMENT, BARE)}
    changed = change.docs
    metrics = {before.node_keys[i] for i in
               np.flatnonzero(np.isin(before.node_docs, _numbers(before, changed))).tolist()}
    metrics.update(m.id for m in records._metrics.values() if m.doc_id in changed)
    # (and those that came or went, of whatever document)
    metrics |= records._metrics.keys() ^ {k for k, kind in zip(before.node_keys, kinds)
                                          if kind == METRIC}
    nodes |= metrics
    sources = set(change.sources) | {doc_node(d) for d in changed} | metrics
    ends = came | went   # (the edges to an entity that came or went)
    if ends:   # (graph.json's metric nodes name their ends)
        about = {m.id for m in records._metrics.values() if m.about in ends or m.place in ends}
        sources |= about
        nodes |= about
        sources.update(r.subject for r in records.ex.relations
                       if r.subject in ends or r.object in ends)
    return nodes, sources


def _unit_range(keys: list, at: np.ndarray, key) -> tuple[int, int] | None:
    i = bisect_left(keys, key)
    if i < len(keys) and keys[i] == key:
        return int(at[i]), int(at[i + 1])
    return None


def _old_citations(view: memoryview, before: TurtleIndex, edits: list) -> dict:
    """How many times the units of ``edits`` (nodes', sources') cite each
    evidence record in the old file, by key."""
    cited: dict[int, int] = {}
    for (keys, at), section in zip(((before.node_keys, before.node_at),
                                    (before.edge_keys, before.edge_at)), edits):
        for key, _ in section:
            where = _unit_range(keys, at, key)
            if where is None:
                continue
            for hexkey in _EVIDENCE_LINK.findall(view[where[0]:where[1]]):
                k = int(hexkey, 16)
                cited[k] = cited.get(k, 0) + 1
    return cited


def _evidence_edits(records: GraphRecords, change, before: TurtleIndex, t, cited: dict):
    """The evidence section's counts (of the old keys, updated) and edits:
    the records no longer cited dropped, the newly cited added, those of
    the documents changed written again; None when a record to write is
    not at hand (the file is then written whole)."""
    keys = before.ev_keys.tolist()
    counts = before.ev_counts.copy()
    new: dict[int, int] = {}
    for k in cited.keys() | t.counts.keys():
        delta = t.counts.get(k, 0) - cited.get(k, 0)
        i = bisect_left(keys, k)
        if i < len(keys) and keys[i] == k:
            counts[i] += delta
        elif delta > 0:
            new[k] = delta
        elif delta < 0:
            return None   # cited before, yet not in the index
    if (counts < 0).any():
        return None
    changed = change.docs
    again = np.flatnonzero(np.isin(before.ev_docs, _numbers(before, changed))
                           & (counts > 0)).tolist()
    found = dict(t.records)
    missing = {keys[i] for i in again} - found.keys()
    if missing:
        found.update(_records_of(records, changed, missing))
        if not missing <= found.keys():
            return None
    edits: dict = {}
    for i in np.flatnonzero(counts == 0).tolist():
        edits[keys[i]] = None
    for k in [keys[i] for i in again] + list(new):
        out: list = []
        _evidence_terms(out, t, k, found[k])
        edits[k] = (_unit_text(out).encode("utf-8", "surrogatepass"),
                    new.get(k), _doc_of(found[k]))
    return counts, sorted(edits.items())


def _numbers(index: TurtleIndex, docs) -> list[int]:
    """The numbers ``index`` gives the documents ``docs``."""
    return [i for i, d in enumerate(index.docs) if d in docs]


def _doc_of(ev) -> str:
    return ev.doc_id if ev.__class__ is Evidence else str(ev["doc"])


def _records_of(records: GraphRecords, docs, keys: set) -> dict:
    """The evidence records of ``keys`` among the entities' records of
    ``docs``."""
    found = {}
    for e in records._entities.values():
        for ev in e.evidence:
            if ev.doc_id in docs:
                k = int(_evidence_key(ev.doc_id, ev.start, ev.end), 16)
                if k in keys:
                    found.setdefault(k, ev)
    return found


def _splice_section(view: memoryview, out, keys: list, at: np.ndarray, edits: list,
                    pos: int, fd: int | None = None) -> tuple[list, int]:
    """Write one section at ``pos``: the old units (``keys``, starting at
    ``at``, in ``view``, the file open at ``fd``) with ``edits`` made, ``(key, bytes or None)``
    sorted by key (None: the unit gone).  Returns the pieces written, each
    ``(True, i0, i1)`` (old units copied) or ``(False, key, length)`` (a
    unit made), and where the section ends."""
    pieces: list = []
    cursor = 0
    for key, data in edits:
        i = bisect_left(keys, key, cursor)
        if i > cursor:
            a, b = int(at[cursor]), int(at[i])
            copy_stretch(out, view, fd, a, b)
            pieces.append((True, cursor, i))
            pos += b - a
        if data is not None:
            out.write(data)
            pieces.append((False, key, len(data)))
            pos += len(data)
        cursor = i + 1 if i < len(keys) and keys[i] == key else i
    if cursor < len(keys):
        a, b = int(at[cursor]), int(at[len(keys)])
        copy_stretch(out, view, fd, a, b)
        pieces.append((True, cursor, len(keys)))
        pos += b - a
    return pieces, pos


def _laid_out(pieces: list, keys: list, at: np.ndarray, start: int
              ) -> tuple[list, np.ndarray, np.ndarray]:
    """The keys and starts of a section written as ``pieces`` from
    ``start``, and where each unit came from: its old number, or -1 for a
    unit made."""
    new_keys: list = []
    starts, came = [], []
    pos = start
    for copied, x, y in pieces:
        if copied:
            new_keys += keys[x:y]
            starts.append(at[x:y] - at[x] + pos)
            came.append(np.arange(x, y))
            pos += int(at[y] - at[x])
        else:
            new_keys.append(x)
            starts.append(np.array([pos], np.int64))
            came.append(np.array([-1]))
            pos += y
    if not starts:
        return new_keys, np.zeros(0, np.int64), np.zeros(0, np.int64)
    return new_keys, np.concatenate(starts).astype(np.int64), np.concatenate(came)


def _write_spliced(view: memoryview, before: TurtleIndex, edits: list, edits_ev: list,
                   counts: np.ndarray, records: GraphRecords, prints: dict, path: Path,
                   fd: int | None = None) -> TurtleIndex | None:
    """Write the spliced file to ``path`` (the old one mapped as ``view``,
    open at ``fd``) and return its index; None if its first edge unit's
    subject is its last node (the file is then written whole)."""
    ev_keys = before.ev_keys.tolist()
    with open(path, "wb") as out:
        out.write(view[:before.head])
        node_pieces, node_end = _splice_section(view, out, before.node_keys, before.node_at,
                                                edits[0], before.head, fd)
        edge_pieces, edge_end = _splice_section(view, out, before.edge_keys, before.edge_at,
                                                edits[1], node_end, fd)
        ev_pieces, end = _splice_section(view, out, ev_keys, before.ev_at,
                                         [(k, e and e[0]) for k, e in edits_ev], edge_end, fd)
    edge_keys, edge_at, _ = _laid_out(edge_pieces, before.edge_keys, before.edge_at, node_end)
    last_node = _last_key(node_pieces, before.node_keys)
    if last_node is not None and edge_keys and last_node == edge_keys[0]:
        return None
    keys, ev_at, came = _laid_out(ev_pieces, ev_keys, before.ev_at, edge_end)
    docs = {d: i for i, d in enumerate(before.docs)}
    made = dict(edits_ev)
    new_counts = np.empty(len(keys), np.int64)
    ev_docs = np.empty(len(keys), np.int32)
    old = came >= 0
    new_counts[old] = counts[came[old]]
    ev_docs[old] = before.ev_docs[came[old]]
    for j in np.flatnonzero(~old).tolist():
        _, count, doc = made[keys[j]]
        if count is None:   # an old record written again
            count = int(counts[bisect_left(ev_keys, keys[j])])
        new_counts[j] = count
        ev_docs[j] = docs.setdefault(doc, len(docs))
    node_keys, node_at, came = _laid_out(node_pieces, before.node_keys, before.node_at,
                                         before.head)
    # (a unit copied is as it was: only those made are looked up)
    kinds, sums = before.kinds[came], before.prints[came]
    node_docs = before.node_docs[came]
    made_at = np.flatnonzero(came < 0)
    if len(made_at):
        made_kinds, made_sums, made_docs = _node_facts(
            records, [node_keys[j] for j in made_at.tolist()], docs, prints)
        kinds[made_at], sums[made_at], node_docs[made_at] = made_kinds, made_sums, made_docs
    return TurtleIndex("", "", 0, 0, before.head, node_keys, np.r_[node_at, node_end],
                       kinds, sums, node_docs, edge_keys, np.r_[edge_at, edge_end],
                       np.array(keys, np.uint64), np.r_[ev_at, end], new_counts, ev_docs,
                       list(docs))


def _last_key(pieces: list, keys: list):
    """The last key of a section written as ``pieces``."""
    if not pieces:
        return None
    copied, x, y = pieces[-1]
    return keys[y - 1] if copied else x
