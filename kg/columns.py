"""Relation entries held as columns of integers, merged with numpy: the
link state of an incremental rebuild, cheap to make, save, load and merge
again.

:func:`kg.pipeline.link` pools each document's relations and reduces them
(:meth:`~kg.extract.relations.RelationPool.reduced`): per relation key, how
many times it was found, how many evidence records that brought, for a
co-mention how many sentences, and the records kept (the first spans).
Entries of documents apart merge exactly (counts add up, the records kept
are the first spans of all: :func:`~kg.extract.relations.merge_entries`).

:class:`RelationColumns` keeps every document's entries as rows (the
relation's number, the document's, the three counts) and the records they
keep as spans (document, start, end) with the row that keeps each.  Its
:meth:`~RelationColumns.merged` is every relation's merge at once: counts
summed by relation, each relation's spans sorted as
:func:`~kg.model.by_span` sorts records, the first of each run kept.  On
the benchmark's 1,000 documents (694,208 entries, 305,346 relations) that
takes 0.15 s, against about 5 s to make the same state as Python objects
(:class:`kg.links.LinkState`), and the columns save in 0.17 s against 9 s
(``benchmarks/link_columns.py``): a rebuild puts in the changed documents'
rows (:meth:`~RelationColumns.put`) and merges everything again.

:class:`RecordColumns` does the same for the entities' records: a row per
entity and record of each document, merged into every entity's records
one per span, in span order (:func:`~kg.resolve.with_evidence`).
"""
from __future__ import annotations

import pickle
from array import array
from bisect import insort
from dataclasses import dataclass
from itertools import islice, repeat
from pathlib import Path

import numpy as np

from .extract.relations import records_kept
from .io import replacing

__all__ = ["Merged", "RecordColumns", "RelationColumns"]

_ROWS = ("rel", "doc", "count", "records", "sentences")
_SPANS = ("span_row", "span_doc", "start", "end", "code")
#: The columns' type: relation and document numbers, counts and offsets
#: all fit in 31 bits, and half the width is half the memory and the file.
_INT = np.int32
_EMPTY = np.zeros(0, _INT)


@dataclass(frozen=True)
class Merged:
    """Every relation's merge, as arrays: the relations' numbers (sorted)
    with their three sums, and the spans kept (relation, document, start,
    end: by relation, each relation's in span order)."""
    rel: np.ndarray
    count: np.ndarray
    records: np.ndarray
    sentences: np.ndarray
    kept_rel: np.ndarray
    kept_doc: np.ndarray
    kept_start: np.ndarray
    kept_end: np.ndarray
    kept_code: np.ndarray


def _span_order(owner: np.ndarray, doc: np.ndarray, start: np.ndarray, end: np.ndarray,
                rank: np.ndarray) -> np.ndarray:
    """The order of spans by owner, then as :func:`~kg.model.by_span`
    sorts records: document id (``rank`` of each document number), start,
    end ((start, end) as one key: offsets fit in 31 bits, a document part
    being a few million characters)."""
    return np.lexsort(((start.astype(np.int64) << 32) | end, rank[doc], owner))


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Whether each of sorted ``values`` begins a run of equal ones."""
    return np.r_[True, values[1:] != values[:-1]] if len(values) else np.zeros(0, bool)


class _Columns:
    """Integer columns of documents' rows, documents numbered as first met
    (a document put in again keeps its number), saved to one ``.npz``."""

    #: the columns, and the names numbered (pickled inside the file)
    COLUMNS: tuple[str, ...] = ()
    NAMES: tuple[str, ...] = ("docs",)

    def __init__(self) -> None:
        self.docs: list[str] = []
        self.doc_no: dict[str, int] = {}
        self.cols: dict[str, np.ndarray] = {name: _EMPTY for name in self.COLUMNS}
        self.extra = b""

    @classmethod
    def of(cls, entries):
        """The columns of ``entries``: ``(doc_id, what the document
        holds)`` pairs (see :meth:`put`)."""
        state = cls()
        state.put(entries)
        return state

    def put(self, entries) -> None:   # pragma: no cover - each kind's own
        raise NotImplementedError

    def _number(self, doc_id: str) -> int:
        d = self.doc_no.get(doc_id)
        if d is None:
            d = self.doc_no[doc_id] = len(self.docs)
            self.docs.append(doc_id)
        return d

    def _gone(self, doc_ids) -> np.ndarray | None:
        """Per document number, whether it is in ``doc_ids`` (None: none is)."""
        gone = np.zeros(len(self.docs), bool)
        gone[[self.doc_no[d] for d in doc_ids if d in self.doc_no]] = True
        return gone if gone.any() else None

    def _add_spans(self, into: tuple[list, ...], owner: int, records, d: int,
                   doc_id: str) -> None:
        """Each of ``records`` (given by document ``doc_id``, number ``d``;
        a record of another document is rare) as a span row of ``owner``:
        onto ``into``'s lists of owners, documents, starts and ends (a list
        per column: numpy reads flat lists of ints fastest)."""
        owners, docs, starts, ends = into
        for ev in records:
            owners.append(owner)
            docs.append(d if ev.doc_id == doc_id else self._number(ev.doc_id))
            starts.append(ev.start)
            ends.append(ev.end)

    def _append(self, names: tuple[str, ...], lists, shift: dict | None = None) -> None:
        """The values of ``lists`` (one list or ``array("q")`` per column of
        ``names``; ``shift`` adds a number to a column's) added to those
        columns."""
        for name, values in zip(names, lists):
            more = np.frombuffer(values, np.int64).astype(_INT) \
                if isinstance(values, array) and values else np.array(values, _INT)
            if shift and name in shift:
                more = more + shift[name]
            self.cols[name] = np.concatenate([self.cols[name], more])

    def _rank(self) -> np.ndarray:
        """Each document number's place in document id order."""
        rank = np.empty(len(self.docs), np.int64)
        rank[sorted(range(len(self.docs)), key=self.docs.__getitem__)] = np.arange(len(self.docs))
        return rank

    def documents(self) -> list[str]:
        """The documents holding rows, by number."""
        held = np.zeros(len(self.docs), bool)
        held[self.cols["doc"]] = True
        return [d for d, h in zip(self.docs, held) if h]

    def save(self, path: Path, extra: bytes = b"") -> None:
        """Write the columns to ``path`` (an ``.npz`` file, through a
        temporary file), with the names they number and ``extra`` bytes
        (``extra`` once loaded)."""
        path = Path(path)
        names = np.frombuffer(pickle.dumps([getattr(self, n) for n in self.NAMES],
                                           pickle.HIGHEST_PROTOCOL), np.uint8)
        with replacing([path]) as tmp, open(tmp[path], "wb") as fh:
            np.savez(fh, names=names, extra=np.frombuffer(extra, np.uint8), **self.cols,
                     **self._kept_arrays())

    @classmethod
    def load(cls, path: Path):
        """The columns :meth:`save` wrote to ``path``."""
        state = cls()
        with np.load(Path(path)) as data:
            for name, value in zip(cls.NAMES, pickle.loads(data["names"].tobytes())):
                setattr(state, name, value)
            state.cols = {name: data[name] for name in cls.COLUMNS}
            state.extra = data["extra"].tobytes() if "extra" in data.files else b""
            kept = {name: data[name] for name in state._kept_arrays() if name in data.files}
        state.doc_no = {d: i for i, d in enumerate(state.docs)}
        state._loaded(**kept)
        return state

    def _kept_arrays(self) -> dict:
        """Arrays saved besides the columns, by name."""
        return {}

    def _loaded(self) -> None:
        """What :meth:`load` makes again of the names."""


class RelationColumns(_Columns):
    """Documents' reduced relation entries as integer columns.  Relations
    and documents are numbered as first met, and keep their numbers while
    the state lives (a document put in again keeps its own)."""

    COLUMNS = _ROWS + _SPANS
    NAMES = ("keys", "docs")

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[tuple] = []
        self.key_no: dict[tuple, int] = {}
        self.limits: list[int] = []   # relation number -> the records it keeps
        self._order = np.zeros(0, np.int64)   # (key_order of the first keys)

    def _kept_arrays(self) -> dict:
        return {"key_order": self._order}

    def _loaded(self, key_order=None) -> None:
        self.key_no = {k: i for i, k in enumerate(self.keys)}
        self.limits = [records_kept(k[1]) for k in self.keys]
        if key_order is not None and len(key_order) <= len(self.keys):
            self._order = key_order.astype(np.int64)

    def key_order(self) -> np.ndarray:
        """The relations' numbers in key order (keys ordered as tuples are,
        by one string each: no id holds a NUL).  Kept with the columns, so
        that a rebuild places only the keys it adds (0.45 s to sort the
        300,000 of the 1,000-document benchmark)."""
        order, n = self._order, len(self._order)
        if n < len(self.keys):
            joined = self._joined
            new = sorted(range(n, len(self.keys)), key=joined)
            if len(new) > n // 64:
                order = np.array(sorted(range(len(self.keys)), key=joined), np.int64)
            else:
                placed = order.tolist()
                for i in new:
                    insort(placed, i, key=joined)
                order = np.array(placed, np.int64)
            self._order = order
        return order

    def _joined(self, number: int) -> str:
        return "\0".join(self.keys[number])

    def put(self, entries, codes=None) -> None:
        """Each ``(doc_id, reduced)`` of ``entries`` in place of what that
        document held (a document not yet in is added).  ``codes(records)``,
        when given, gives an int for each of a document's records kept
        (``kept_code`` of :meth:`merged`): where to find the record again.
        ``entries`` may be a generator: each entry is read as it comes, a
        document's rows at once, into machine ints (a million rows as
        Python ints and tuples held at once cost a hundred megabytes
        more)."""
        rows = tuple(array("q") for _ in _ROWS)
        rel, doc, count, records, sentences = rows
        spans = tuple(array("q") for _ in _SPANS)
        owners, span_docs, starts, ends, span_codes = spans
        key_no = self.key_no
        number = key_no.setdefault
        again = []
        for doc_id, reduced in entries:
            if doc_id in self.doc_no:
                again.append(doc_id)
            d = self._number(doc_id)
            if not reduced:
                continue
            base = len(rel)
            rel.extend([number(k, len(key_no)) for k in reduced])
            c, n, s, kept = zip(*reduced.values())
            doc.extend(repeat(d, len(c)))
            count.extend(c)
            records.extend(n)
            sentences.extend(s)
            found = [ev for held in kept for ev in held]
            if not found:
                continue
            owners.extend([base + j for j, held in enumerate(kept) for _ in held])
            ids = [ev.doc_id for ev in found]
            # (a record of another document is rare)
            span_docs.extend(repeat(d, len(ids)) if ids.count(doc_id) == len(ids)
                             else [d if i == doc_id else self._number(i) for i in ids])
            starts.extend([ev.start for ev in found])
            ends.extend([ev.end for ev in found])
            span_codes.extend(codes(found) if codes is not None else repeat(-1, len(found)))
        new = list(islice(key_no, len(self.keys), None))
        self.keys += new
        self.limits += [records_kept(k[1]) for k in new]
        self.take_out(again)
        base = len(self.cols["rel"])
        self._append(_ROWS, rows)
        self._append(_SPANS, spans, shift={"span_row": base})

    def extend(self, other: "RelationColumns") -> None:
        """``other``'s rows added to these (its relations and documents
        numbered as these number them; it holds none of these documents:
        the columns of another process's share)."""
        key_no, keys = self.key_no, self.keys
        rel_map = np.empty(len(other.keys), _INT)
        for j, k in enumerate(other.keys):
            i = key_no.get(k)
            if i is None:
                i = key_no[k] = len(keys)
                keys.append(k)
                self.limits.append(other.limits[j])
            rel_map[j] = i
        doc_map = np.array([self._number(d) for d in other.docs], _INT)
        base = len(self.cols["rel"])
        theirs = dict(other.cols)
        theirs["rel"] = rel_map[theirs["rel"]]
        theirs["doc"] = doc_map[theirs["doc"]]
        theirs["span_doc"] = doc_map[theirs["span_doc"]]
        theirs["span_row"] = theirs["span_row"] + base
        self.cols = {name: np.concatenate([col, theirs[name]]) for name, col in self.cols.items()}

    def take_out(self, doc_ids) -> None:
        """The rows of the documents ``doc_ids`` taken out (their numbers
        kept)."""
        gone = self._gone(doc_ids)
        if gone is None:
            return
        cols = self.cols
        keep = ~gone[cols["doc"]]
        renumber = np.cumsum(keep) - 1
        keep_span = keep[cols["span_row"]]
        for name in _ROWS:
            cols[name] = cols[name][keep]
        for name in _SPANS:
            cols[name] = cols[name][keep_span]
        cols["span_row"] = renumber[cols["span_row"]].astype(_INT)

    def merged(self) -> Merged:
        """Every relation's entries merged (:func:`merge_entries` of all
        of them at once)."""
        cols = self.cols
        order = np.argsort(cols["rel"], kind="stable")
        rel = cols["rel"][order]
        runs = np.flatnonzero(_run_starts(rel))
        sums = [np.add.reduceat(cols[c][order], runs) if len(rel) else _EMPTY
                for c in ("count", "records", "sentences")]
        span_rel = cols["rel"][cols["span_row"]]
        by = _span_order(span_rel, cols["span_doc"], cols["start"], cols["end"], self._rank())
        # (a span kept by two entries of one relation would be one record:
        # entries of documents apart never share one)
        run_rel = span_rel[by]
        first = _run_starts(run_rel)
        at = np.arange(len(by))
        place = at - np.maximum.accumulate(np.where(first, at, 0)) if len(by) else _EMPTY
        limit = np.array(self.limits, np.int64)
        keep = by[place < limit[run_rel]] if len(by) else _EMPTY
        return Merged(rel[runs] if len(rel) else _EMPTY, *sums, span_rel[keep],
                      *(cols[name][keep] for name in ("span_doc", "start", "end", "code")))

    def merged_entries(self) -> dict[tuple, tuple]:
        """:meth:`merged` by relation key: ``(count, records, sentences,
        spans kept)``, each span ``(doc_id, start, end)``."""
        m = self.merged()
        kept: dict[int, list] = {}
        for i, d, s, e in zip(m.kept_rel.tolist(), m.kept_doc.tolist(), m.kept_start.tolist(),
                              m.kept_end.tolist()):
            kept.setdefault(i, []).append((self.docs[d], s, e))
        return {self.keys[i]: (c, n, s, tuple(kept.get(i, ())))
                for i, c, n, s in zip(m.rel.tolist(), m.count.tolist(), m.records.tolist(),
                                      m.sentences.tolist())}


class RecordColumns(_Columns):
    """The entities' records of each document (its mentions' evidence
    records, by entity) as integer columns: a row per entity and record."""

    COLUMNS = ("entity", "doc", "start", "end")
    NAMES = ("entities", "docs")

    def __init__(self) -> None:
        super().__init__()
        self.entities: list[str] = []
        self.entity_no: dict[str, int] = {}

    def _loaded(self) -> None:
        self.entity_no = {e: i for i, e in enumerate(self.entities)}

    def put(self, entries) -> None:
        """Each ``(doc_id, records)`` of ``entries`` (``records``: entity
        id -> that document's records of it) in place of what that document
        held."""
        entries = list(entries)
        self.take_out([d for d, _ in entries if d in self.doc_no])
        rows: tuple[list, list, list, list] = ([], [], [], [])
        numbers = self.entity_no
        for doc_id, records in entries:
            d = self._number(doc_id)
            for eid, found in records.items():
                i = numbers.get(eid)
                if i is None:
                    i = numbers[eid] = len(self.entities)
                    self.entities.append(eid)
                self._add_spans(rows, i, found, d, doc_id)
        self._append(self.COLUMNS, rows)

    def take_out(self, doc_ids) -> None:
        """The rows of the documents ``doc_ids`` taken out."""
        gone = self._gone(doc_ids)
        if gone is not None:
            keep = ~gone[self.cols["doc"]]
            self.cols = {name: col[keep] for name, col in self.cols.items()}

    def merged(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every entity's records, one per span: ``(entity, doc, start,
        end)`` arrays by entity, each entity's in span order."""
        cols = self.cols
        by = _span_order(cols["entity"], cols["doc"], cols["start"], cols["end"], self._rank())
        rows = [cols[name][by] for name in self.COLUMNS]
        same = ~_run_starts(rows[0])
        for col in rows[1:]:   # a span again, of the same entity: one record
            same &= ~_run_starts(col)
        return tuple(col[~same] for col in rows)

    def merged_records(self) -> dict[str, tuple]:
        """:meth:`merged` by entity id: its records' spans, ``(doc_id,
        start, end)``."""
        out: dict[str, list] = {}
        for i, d, s, e in zip(*(col.tolist() for col in self.merged())):
            out.setdefault(self.entities[i], []).append((self.docs[d], s, e))
        return {eid: tuple(spans) for eid, spans in out.items()}
