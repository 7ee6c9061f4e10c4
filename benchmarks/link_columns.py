#!/usr/bin/env python3
"""What linking's state costs held as columns of integers instead of
Python objects: the next design for the incremental rebuild's link state.

    python benchmarks/link_columns.py [--n 1000] [--work DIR] [--doc 500]

Builds (cached) the benchmark's corpus of N documents, reads each
document's result back from the cache, and links every document apart
(``link_parts``).  Then, for the same parts:

  * ``kg.links.LinkState`` as it is: made (``of``) and saved (SQLite
    buckets);
  * the same relation entries as columns (``kg.columns.RelationColumns``:
    relation number, document, counts, and each entry's kept records as
    spans): made from the parts, merged with numpy (counts summed by
    relation, the first spans of each relation kept), saved and loaded;
  * the entities' records as columns (``kg.columns.RecordColumns``), the
    same;
  * document ``--doc`` edited (a sentence naming a new agency inserted mid-
    text): its rows replaced and everything merged again, against
    ``LinkState.update``.

Both merges are checked against each other, relation by relation (counts,
records, sentences and the spans kept).  A study, not a test: it prints
what it finds.
"""
from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _spans(records) -> tuple:
    return tuple((e.doc_id, e.start, e.end) for e in records)


def main() -> int:
    from edit_reach import _edits, arguments, built_results
    from kg.columns import RecordColumns, RelationColumns
    from kg.gazetteer import load_gazetteer
    from kg.links import PLACES, LinkState
    from kg.pipeline import link_parts, process_file

    args = arguments(__doc__.splitlines()[0])
    results = built_results(args.n, args.work)
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

    print("columns (kg.columns.RelationColumns):")
    pairs = [(p.doc_id, p.reduced) for _, p in parts] + [(PLACES, state._place_part().reduced)]
    cols = timed("made from the parts", lambda: RelationColumns.of(pairs))
    merged = timed("merged (as arrays)", cols.merged)
    timed("merged (as a dict of tuples)", cols.merged_entries)

    def saved(columns, name: str) -> int:
        """``columns`` saved and loaded again, timed: the file's size."""
        path = args.work / name
        timed("saved", lambda: columns.save(path))
        size = path.stat().st_size
        timed("loaded", lambda: type(columns).load(path))
        path.unlink()
        return size
    size = saved(cols, "links_columns_study.npz")
    print(f"  {len(cols.cols['rel']):,} entries, {len(cols.keys):,} relations, "
          f"{len(merged.kept_rel):,} spans kept; {size >> 20} MiB")

    def differ(cols, recs, state) -> str:
        """How many relations and entities' records differ from the state's."""
        mine = cols.merged_entries()
        want = {k: (*v[:3], _spans(v[3])) for k, v in state.merged.items()}
        records = {eid: _spans(evs) for eid, evs in state.evidence.items()}
        return (f"relations differing from LinkState's: {len(mine.items() ^ want.items())}, "
                f"entities' records: {len(recs.merged_records().items() ^ records.items())}")

    print("the entities' records as columns (kg.columns.RecordColumns):")
    recs = timed("made from the parts", lambda: RecordColumns.of(
        (p.doc_id, p.records) for _, p in parts))
    timed("merged (as arrays)", recs.merged)
    size = saved(recs, "records_columns_study.npz")
    print(f"  {len(recs.cols['entity']):,} records of {len(recs.entities):,} entities; "
          f"{size >> 20} MiB")
    print("  " + differ(cols, recs, state))

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
    timed("columns: all merged again (as arrays)", cols.merged)
    timed("records: rows replaced", lambda: recs.put([(p.doc_id, p.records)
                                                       for _, p in changed]))
    timed("records: all merged again (as arrays)", recs.merged)
    print("  " + differ(cols, recs, state))
    return 0


if __name__ == "__main__":
    sys.exit(main())
