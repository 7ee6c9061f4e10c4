#!/usr/bin/env python3
"""How far one document's edit reaches through name merging and linking,
and what the incremental states (kg.names, kg.links) pay for it.

    python benchmarks/edit_reach.py [--n 1000] [--work DIR] [--doc 500]

Builds (cached) the benchmark's corpus of N documents (bench_build's
``make_corpus``), reads each document's result back from the cache, then,
for each edit of document ``--doc`` (a sentence naming a new agency and a
new initiative inserted mid-text; three sentences each naming a county no
document names yet):

  * the documents whose links change (every document linked before and
    after, compared part by part);
  * the documents a rebuild would link again: the edited one, those naming
    an entity whose name, aliases or id changed (``NameState.replace``),
    and those whose linking looked up a place or agency name whose entry
    changed (every key looked up recorded per document, the tables'
    memos cleared per document so that each document's reads are its
    own);
  * the time ``NameState.replace`` and ``LinkState.update`` take, held
    whole and from the files they save (opened, changed and flushed).

A study, not a test: nothing asserts; it prints what it finds.
"""
from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


class _Recorded(dict):
    """A table that notes every key looked up in it (in :attr:`log`)."""

    log: set | None = None

    def __contains__(self, k):
        if _Recorded.log is not None:
            _Recorded.log.add(k)
        return dict.__contains__(self, k)

    def __getitem__(self, k):
        if _Recorded.log is not None:
            _Recorded.log.add(k)
        return dict.__getitem__(self, k)

    def get(self, k, default=None):
        if _Recorded.log is not None:
            _Recorded.log.add(k)
        return dict.get(self, k, default)


def _link_each(results, gaz, record: bool):
    """Every document's links (as comparable text), and with ``record``
    the keys its linking looked up in the place and agency-name tables."""
    from kg.extract import relations
    from kg.pipeline import _context, _link_document, _Staged
    entities, eids, publishers, ctx = _context(results, gaz)
    places = _Recorded(ctx.places)
    agencies = _Recorded({e.name: e.id for e in sorted(entities.values(), key=lambda e: e.id)
                          if e.type == "Agency" and len(e.name) >= 4})
    ctx = type(ctx)(ctx.gaz, ctx.entities, places, ctx.types)
    staged = _Staged(results, eids, gaz)
    links, reads = [], []
    for i, r in enumerate(results):
        relations._place_prefix.cache = None     # each document's reads its own
        relations._agency_names.cache = (entities, len(entities), agencies)
        log: set = set()
        _Recorded.log = log if record else None
        rels, metrics = _link_document(r, staged[i], publishers[i], ctx)
        _Recorded.log = None
        links.append((sorted(map(repr, rels)), list(map(repr, metrics)), publishers[i],
                      eids[i]))
        reads.append(log)
    tables = (dict(places), dict(agencies), entities)
    return links, reads, tables


def _changed(a: dict, b: dict) -> set:
    return {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}


def _edits(original: str, gaz, known_places: set, rng: random.Random):
    """(name, text) of each edit of a document's text."""
    lines = original.split("\n")
    mid = len(lines) // 2

    def inserted(sentence: str) -> str:
        return "\n".join(lines[:mid] + [sentence] + lines[mid:])
    yield "a new agency and initiative", inserted("宁海县教育科学研究中心牵头实施“青蓝携手”工程。")
    counties = sorted(d.name for d in gaz.divisions
                      if d.level == 3 and d.name not in known_places and len(d.name) >= 3)
    for k in range(3):
        county = rng.choice(counties)
        yield f"a new county ({county})", inserted(f"{county}教育局实施“春苗{k}”计划,"
                                                   f"{county}第一中学参与。")


def _from_files(names_file, links_file, gaz, target, new, linked2, fresh, linked, back):
    """Milliseconds to open each saved state, apply the edit and flush it
    (then the edit undone, for the next), and the link state's rows read."""
    from kg.links import LinkState
    from kg.names import NameState
    t = time.perf_counter()
    names = NameState.open(names_file)
    names.replace(target.doc.doc_id, target.names, new.names)
    names.flush()
    t1 = time.perf_counter()
    state = LinkState.open(gaz, links_file)
    state.update(linked2, fresh)
    state.flush()
    t2 = time.perf_counter()
    rows = sum(len(getattr(state, n).seen) for n in LinkState._TABLES)
    names.replace(target.doc.doc_id, new.names, target.names)
    names.flush()
    names.close()
    state.update(linked, back)
    state.flush()
    state.close()
    return (t1 - t) * 1000, (t2 - t1) * 1000, rows


def arguments(description: str) -> argparse.Namespace:
    """The studies' options: ``--n``, ``--work``, ``--doc``."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/edukg-reach"))
    ap.add_argument("--doc", type=int, default=500)
    return ap.parse_args()


def built_results(n: int, work: Path) -> list:
    """The benchmark's corpus of ``n`` documents (made under ``work`` if
    not there), built with the cache into ``work/out``, and each
    document's result read back from the cache, in build order."""
    from bench_build import make_corpus
    from kg.cache import CACHE_DIR, load_entry
    from kg.io import list_documents
    from kg.pipeline import _doc_ids, _entry_keys, build

    corpus, out = work / f"corpus{n}", work / "out"
    if not corpus.is_dir():
        corpus.mkdir(parents=True)
        make_corpus(n, corpus)
    build([corpus], out, workers=2)
    files = list_documents([corpus], exclude=[out]).files
    keys = _entry_keys(files, _doc_ids(files), None)
    return [load_entry(out / CACHE_DIR, k) for k in keys]


def main() -> int:
    args = arguments(__doc__.splitlines()[0])
    from kg.gazetteer import load_gazetteer
    from kg.links import LinkState
    from kg.names import NameState
    from kg.pipeline import link_parts, process_file

    results = built_results(args.n, args.work)
    gaz = load_gazetteer()
    gc.disable()
    links, reads, (places, agencies, entities) = _link_each(results, gaz, record=True)
    sizes = sorted(map(len, reads))
    print(f"{len(results)} documents; keys a document's linking looks up: "
          f"mean {sum(sizes) / len(sizes):.0f}, median {sizes[len(sizes) // 2]}, max {sizes[-1]}")
    names = NameState.of([(r.doc.doc_id, r.names) for r in results])
    linked, parts = link_parts(results, gaz)
    state = LinkState.of(gaz, linked, parts)
    names_file, links_file = args.work / "names.sqlite", args.work / "links.sqlite"
    t = time.perf_counter()
    names.save(names_file)
    t1 = time.perf_counter()
    state.save(links_file)
    t2 = time.perf_counter()
    print(f"states saved: names {t1 - t:.1f} s ({names_file.stat().st_size >> 20} MiB), "
          f"links {t2 - t1:.1f} s ({links_file.stat().st_size >> 20} MiB)")
    target = results[args.doc]
    edited = args.work / "edited"
    edited.mkdir(exist_ok=True)
    rng = random.Random(1)
    for name, text in _edits(Path(target.doc.path).read_text("utf-8"),
                             gaz, set(places), rng):
        path = edited / Path(target.doc.path).name
        path.write_text(text, "utf-8")
        new = process_file(str(path), target.doc.doc_id)
        now = list(results)
        now[args.doc] = new
        after, _, (places2, agencies2, entities2) = _link_each(now, gaz, record=False)
        changed_links = [i for i, (a, b) in enumerate(zip(links, after)) if a != b]
        t = time.perf_counter()
        changes = names.replace(target.doc.doc_id, target.names, new.names)
        names_s = time.perf_counter() - t
        names.replace(target.doc.doc_id, new.names, target.names)   # back, for the next edit
        tables = _changed(places, places2) | _changed(agencies, agencies2)
        gone = {e.id for e in changes.made} | set(changes.gone)
        relink = {args.doc} | {i for i, r in enumerate(results)
                               if reads[i] & tables or set(links[i][3]) & gone
                               or links[i][3] != after[i][3]}
        linked2, parts2 = link_parts(now, gaz)
        by_id = {p.doc_id: p for _, p in parts}
        fresh = [(d, p) for d, p in parts2 if by_id.get(p.doc_id) != p]
        t = time.perf_counter()
        state.update(linked2, fresh)
        links_s = time.perf_counter() - t
        state.update(linked, [(d, by_id[p.doc_id]) for d, p in fresh])   # back again
        disk = _from_files(names_file, links_file, gaz, target, new, linked2, fresh, linked,
                           [(d, by_id[p.doc_id]) for d, p in fresh])
        print(f"{name}: entities made or changed {len(changes.made)}, gone {len(changes.gone)}, "
              f"nodes moved {len(changes.moved)}; tables changed {sorted(tables)}")
        print(f"  links changed in {len(changed_links)} documents {changed_links[:10]}; "
              f"to link again by reads {len(relink)}; covered: {set(changed_links) <= relink}")
        print(f"  held whole: NameState.replace {names_s * 1000:.1f} ms, LinkState.update "
              f"{links_s * 1000:.1f} ms ({len(fresh)} parts)")
        print("  from the files (open + change + flush): names {:.1f} ms, links {:.1f} ms "
              "({} rows read)".format(*disk))
    return 0


if __name__ == "__main__":
    sys.exit(main())
