#!/usr/bin/env python3
"""What linking's state costs held as columns of integers instead of
Python objects: the next design for the incremental rebuild's link state.

    python benchmarks/link_columns.py [--n 1000] [--work DIR] [--doc 500]

Builds (cached) the benchmark's corpus of N documents, reads each
document's result back from the cache, and links every document apart
(``link_parts``).  Then, for the same parts:

  * ``kg.links.LinkState`` as it is: made (``of``) and saved (SQLite
    buckets);
  * the same relation entries as columns (relation number, document,
    counts, and each entry's kept records as packed spans): made from the
    parts, merged with numpy (counts summed by relation, the first spans
    of each relation kept), saved with ``numpy.savez`` and loaded;
  * document ``--doc`` edited (a sentence naming a new agency inserted mid-
    text): its rows replaced and everything merged again, against
    ``LinkState.update``.

Both merges are checked against each other, relation by relation (counts,
records, sentences and the spans kept).  A study, not a test: it prints
what it finds.
"""
from __future__ import annotations

import argparse
import gc
import io
import pickle
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

_BITS = 24   # a span packed: document rank, start, end (24 bits each at most)


class Columns:
    """Every document's reduced relation entries, a row each."""

    def __init__(self) -> None:
        self.keys: list[tuple] = []
        self.key_no: dict[tuple, int] = {}
        self.docs: list[str] = []
        self.doc_no: dict[str, int] = {}
        self.rows: dict[str, np.ndarray] = {}
        self.spans = np.zeros(0, np.int64)      # (document number, start, end) packed
        self.span_row = np.zeros(0, np.int64)   # the row each span is kept by

    @classmethod
    def of(cls, parts) -> "Columns":
        cols = cls()
        cols.put(parts)
        return cols

    def put(self, parts) -> None:
        """Add ``(doc_id, reduced)`` pairs' entries as rows (a document
        already in taken out first)."""
        drop = {d for d, _ in parts if d in self.docs}
        if drop:
            self.take_out(drop)
        base = len(self.rows.get("rel", ()))
        rel, doc, cnt, nrec, nsent, spans, owner = [], [], [], [], [], [], []
        key_no, keys = self.key_no, self.keys
        for doc_id, reduced in parts:
            d = self.doc_no.get(doc_id)
            if d is None:   # a document keeps its number
                d = self.doc_no[doc_id] = len(self.docs)
                self.docs.append(doc_id)
            for k, (count, n, sentences, ev) in reduced.items():
                i = key_no.get(k)
                if i is None:
                    i = key_no[k] = len(keys)
                    keys.append(k)
                row = base + len(rel)
                rel.append(i), doc.append(d), cnt.append(count), nrec.append(n)
                nsent.append(sentences)
                for e in ev:
                    spans.append((self._doc_no(e.doc_id, d) << 2 * _BITS)
                                 | (e.start << _BITS) | e.end)
                    owner.append(row)
        new = dict(rel=rel, doc=doc, cnt=cnt, nrec=nrec, nsent=nsent)
        for name, values in new.items():
            self.rows[name] = np.concatenate([self.rows.get(name, np.zeros(0, np.int64)),
                                              np.array(values, np.int64)])
        self.spans = np.concatenate([self.spans, np.array(spans, np.int64)])
        self.span_row = np.concatenate([self.span_row, np.array(owner, np.int64)])

    def _doc_no(self, doc_id: str, here: int) -> int:
        if doc_id == self.docs[here]:
            return here
        return self.doc_no[doc_id]   # (a record of another document: rare)

    def take_out(self, docs) -> None:
        """Every row of ``docs`` taken out (their numbers kept)."""
        gone = np.zeros(len(self.docs), bool)
        gone[[self.doc_no[d] for d in docs]] = True
        keep_row = ~gone[self.rows["doc"]]
        renumber = np.cumsum(keep_row) - 1
        keep_span = keep_row[self.span_row]
        self.rows = {name: col[keep_row] for name, col in self.rows.items()}
        self.spans, self.span_row = self.spans[keep_span], renumber[self.span_row[keep_span]]

    def merged(self, kept_of) -> dict[int, tuple]:
        """relation number -> (count, records, sentences, spans kept), the
        spans sorted as ``by_span`` sorts records (by document id)."""
        rels, sums, kept_rel, kept_span = self.merged_arrays(kept_of)
        kept: dict[int, list] = {}
        for i, s in zip(kept_rel.tolist(), kept_span.tolist()):
            kept.setdefault(i, []).append(s)
        out = {}
        for j, i in enumerate(rels.tolist()):
            out[i] = (int(sums[0][j]), int(sums[1][j]), int(sums[2][j]), tuple(kept.get(i, ())))
        return out

    def merged_arrays(self, kept_of):
        """The merge as arrays: the relations' numbers, their three sums,
        and the spans kept with their relations' numbers."""
        rel = self.rows["rel"]
        order = np.argsort(rel, kind="stable")
        r = rel[order]
        starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
        sums = [np.add.reduceat(self.rows[c][order], starts) for c in ("cnt", "nrec", "nsent")]
        rank = np.empty(len(self.docs), np.int64)
        rank[np.argsort(np.array(self.docs, dtype=object))] = np.arange(len(self.docs))
        low = (1 << 2 * _BITS) - 1
        key = (rank[self.spans >> 2 * _BITS] << 2 * _BITS) | (self.spans & low)
        span_rel = rel[self.span_row]
        by = np.lexsort((key, span_rel))
        sr, sp = span_rel[by], self.spans[by]
        first = np.r_[True, sr[1:] != sr[:-1]]
        group_start = np.maximum.accumulate(np.where(first, np.arange(len(sr)), 0))
        place = np.arange(len(sr)) - group_start
        keep = place < kept_of[sr]
        return r[starts], sums, sr[keep], sp[keep]

    def save(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, spans=self.spans, span_row=self.span_row, **self.rows)
        return buf.getvalue()


def _spans(cols: Columns, records) -> tuple:
    return tuple((cols.doc_no[e.doc_id] << 2 * _BITS) | (e.start << _BITS) | e.end
                 for e in records)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/edukg-reach"))
    ap.add_argument("--doc", type=int, default=500)
    args = ap.parse_args()
    from bench_build import make_corpus
    from edit_reach import _edits
    from kg.cache import CACHE_DIR, load_entry
    from kg.extract.relations import records_kept
    from kg.gazetteer import load_gazetteer
    from kg.io import list_documents
    from kg.links import PLACES, LinkState
    from kg.pipeline import _doc_ids, _entry_keys, build, link_parts, process_file

    corpus, out = args.work / f"corpus{args.n}", args.work / "out"
    if not corpus.is_dir():
        corpus.mkdir(parents=True)
        make_corpus(args.n, corpus)
    build([corpus], out, workers=2)
    files = list_documents([corpus], exclude=[out]).files
    keys = _entry_keys(files, _doc_ids(files), None)
    results = [load_entry(out / CACHE_DIR, k) for k in keys]
    gaz = load_gazetteer()
    gc.disable()

    def timed(label, fn):
        t = time.perf_counter()
        value = fn()
        print(f"  {label}: {time.perf_counter() - t:.2f} s")
        return value

    print(f"{len(results)} documents")
    entities, parts = timed("link_parts", lambda: link_parts(results, gaz))
    print("LinkState (objects, SQLite buckets):")
    state = timed("of", lambda: LinkState.of(gaz, entities, parts))
    path = args.work / "links_columns_study.sqlite"
    timed("save", lambda: state.save(path))
    print(f"  file: {path.stat().st_size >> 20} MiB")
    path.unlink()

    print("columns:")
    pairs = [(p.doc_id, p.reduced) for _, p in parts] + [(PLACES, state._place_part().reduced)]
    cols = timed("made from the parts", lambda: Columns.of(pairs))
    kept_of = np.array([records_kept(k[1]) for k in cols.keys], np.int64)
    timed("merged (as arrays)", lambda: cols.merged_arrays(kept_of))
    merged = timed("merged (as a dict of tuples)", lambda: cols.merged(kept_of))
    blob = timed("saved (numpy.savez, in memory)", cols.save)
    timed("loaded", lambda: dict(np.load(io.BytesIO(blob))))
    names = timed("relation keys and document ids pickled", lambda: pickle.dumps(
        (cols.keys, cols.docs), pickle.HIGHEST_PROTOCOL))
    timed("and unpickled", lambda: pickle.loads(names))
    print(f"  {len(cols.rows['rel']):,} entries, {len(cols.keys):,} relations, "
          f"{len(cols.spans):,} spans kept; {len(blob) >> 20} MiB, keys {len(names) >> 20} MiB")

    def differ(merged, state) -> int:
        bad = 0
        for i, (count, n, sentences, spans) in merged.items():
            want = state.merged[cols.keys[i]]
            bad += (count, n, sentences, spans) != (*want[:3], _spans(cols, want[3]))
        return bad + abs(len(merged) - len(state.merged))
    print(f"  relations differing from LinkState's: {differ(merged, state)}")

    i = args.doc
    edited = Path(args.work / "link_columns_edited.txt")
    name, text = next(_edits(Path(results[i].doc.path).read_text("utf-8"), gaz, set(), None))
    edited.write_text(text, "utf-8")
    new = process_file(str(edited), results[i].doc.doc_id)
    edited.unlink()
    after = list(results)
    after[i] = new
    entities2, parts2 = link_parts(after, gaz)
    by_id = {p.doc_id: p for _, p in parts}
    changed = [(d, p) for d, p in parts2 if by_id[p.doc_id] != p]
    print(f"document {i} edited ({name}): {len(changed)} part(s) changed")
    timed("LinkState.update (held whole)", lambda: state.update(entities2, changed))
    timed("columns: rows replaced", lambda: cols.put([(p.doc_id, p.reduced) for _, p in changed]))
    kept_of = np.array([records_kept(k[1]) for k in cols.keys], np.int64)
    timed("columns: all merged again (as arrays)", lambda: cols.merged_arrays(kept_of))
    merged = cols.merged(kept_of)
    print(f"  relations differing from LinkState's: {differ(merged, state)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
