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
takes 0.1 s, against about 5 s for the same state held as Python objects
(:class:`kg.links.LinkState`), and the columns save in 0.03 s
(``benchmarks/link_columns.py``): a rebuild puts in the changed documents'
rows (:meth:`~RelationColumns.put`) and merges everything again.
"""
from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .extract.relations import records_kept

__all__ = ["Merged", "RelationColumns"]

_ROWS = ("rel", "doc", "count", "records", "sentences")
_SPANS = ("span_row", "span_doc", "start", "end")
_EMPTY = np.zeros(0, np.int64)


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


class RelationColumns:
    """Documents' reduced relation entries as integer columns.  Relations
    and documents are numbered as first met, and keep their numbers while
    the state lives (a document put in again keeps its own)."""

    def __init__(self) -> None:
        self.keys: list[tuple] = []
        self.key_no: dict[tuple, int] = {}
        self.limits: list[int] = []   # relation number -> the records it keeps
        self.docs: list[str] = []
        self.doc_no: dict[str, int] = {}
        self.cols: dict[str, np.ndarray] = {name: _EMPTY for name in _ROWS + _SPANS}

    @classmethod
    def of(cls, entries) -> "RelationColumns":
        """The columns of ``entries``: ``(doc_id, reduced)`` pairs."""
        state = cls()
        state.put(entries)
        return state

    def _number(self, doc_id: str) -> int:
        d = self.doc_no.get(doc_id)
        if d is None:
            d = self.doc_no[doc_id] = len(self.docs)
            self.docs.append(doc_id)
        return d

    def put(self, entries) -> None:
        """Each ``(doc_id, reduced)`` of ``entries`` in place of what that
        document held (a document not yet in is added)."""
        entries = list(entries)
        self.take_out([d for d, _ in entries if d in self.doc_no])
        base = len(self.cols["rel"])
        rows: dict[str, list] = {name: [] for name in _ROWS + _SPANS}
        rel, doc, count, records, sentences = (rows[n] for n in _ROWS)
        span_row, span_doc, start, end = (rows[n] for n in _SPANS)
        key_no, keys = self.key_no, self.keys
        for doc_id, reduced in entries:
            d = self._number(doc_id)
            for k, (c, n, s, kept) in reduced.items():
                i = key_no.get(k)
                if i is None:
                    i = key_no[k] = len(keys)
                    keys.append(k)
                    self.limits.append(records_kept(k[1]))
                row = base + len(rel)
                rel.append(i)
                doc.append(d)
                count.append(c)
                records.append(n)
                sentences.append(s)
                for ev in kept:
                    span_row.append(row)
                    span_doc.append(d if ev.doc_id == doc_id else self._number(ev.doc_id))
                    start.append(ev.start)
                    end.append(ev.end)
        for name, values in rows.items():
            self.cols[name] = np.concatenate([self.cols[name], np.array(values, np.int64)])

    def take_out(self, doc_ids) -> None:
        """The rows of the documents ``doc_ids`` taken out (their numbers
        kept)."""
        gone = np.zeros(len(self.docs), bool)
        gone[[self.doc_no[d] for d in doc_ids if d in self.doc_no]] = True
        if not gone.any():
            return
        cols = self.cols
        keep = ~gone[cols["doc"]]
        renumber = np.cumsum(keep) - 1
        keep_span = keep[cols["span_row"]]
        for name in _ROWS:
            cols[name] = cols[name][keep]
        for name in _SPANS:
            cols[name] = cols[name][keep_span]
        cols["span_row"] = renumber[cols["span_row"]]

    def documents(self) -> list[str]:
        """The documents holding rows, by number."""
        held = np.zeros(len(self.docs), bool)
        held[self.cols["doc"]] = True
        return [d for d, h in zip(self.docs, held) if h]

    def merged(self) -> Merged:
        """Every relation's entries merged (:func:`merge_entries` of all
        of them at once)."""
        cols = self.cols
        order = np.argsort(cols["rel"], kind="stable")
        rel = cols["rel"][order]
        runs = np.flatnonzero(np.r_[True, rel[1:] != rel[:-1]]) if len(rel) else _EMPTY
        sums = [np.add.reduceat(cols[c][order], runs) if len(rel) else _EMPTY
                for c in ("count", "records", "sentences")]
        rank = np.empty(len(self.docs), np.int64)   # documents in id order, as by_span sorts
        rank[sorted(range(len(self.docs)), key=self.docs.__getitem__)] = np.arange(len(self.docs))
        span_rel = cols["rel"][cols["span_row"]]
        # (start, end) as one key: offsets fit in 31 bits (a document
        # part is a few million characters)
        by = np.lexsort(((cols["start"] << 32) | cols["end"], rank[cols["span_doc"]], span_rel))
        # (a span kept by two entries of one relation would be one record:
        # entries of documents apart never share one)
        run_rel = span_rel[by]
        first = np.r_[True, run_rel[1:] != run_rel[:-1]] if len(by) else np.zeros(0, bool)
        at = np.arange(len(by))
        place = at - np.maximum.accumulate(np.where(first, at, 0)) if len(by) else _EMPTY
        limit = np.array(self.limits, np.int64)
        keep = by[place < limit[run_rel]] if len(by) else _EMPTY
        return Merged(rel[runs] if len(rel) else _EMPTY, *sums, span_rel[keep],
                      cols["span_doc"][keep], cols["start"][keep], cols["end"][keep])

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

    def save(self, path: Path) -> None:
        """Write the columns to ``path`` (an ``.npz`` file, through a
        temporary file), with the relation keys and document ids."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        names = np.frombuffer(pickle.dumps((self.keys, self.docs), pickle.HIGHEST_PROTOCOL),
                              np.uint8)
        with open(tmp, "wb") as fh:
            np.savez(fh, names=names, **self.cols)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> "RelationColumns":
        """The columns :meth:`save` wrote to ``path``."""
        state = cls()
        with np.load(Path(path)) as data:
            state.keys, state.docs = pickle.loads(data["names"].tobytes())
            state.cols = {name: data[name] for name in _ROWS + _SPANS}
        state.key_no = {k: i for i, k in enumerate(state.keys)}
        state.limits = [records_kept(k[1]) for k in state.keys]
        state.doc_no = {d: i for i, d in enumerate(state.docs)}
        return state
