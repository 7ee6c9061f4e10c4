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
    and those whose linking looked up a place or agency name, or an
    agency key, whose entry changed (each document's reads, as
    ``link_parts`` records them);
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
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _link_each(results, gaz):
    """Every document's part of linking (``kg.pipeline.link_parts``, each
    holding its reads), the entities, and the tables an edit may change:
    place names, agency names and agency keys (to ids)."""
    from kg.extract.relations import _agency_names
    from kg.pipeline import _agency_keys, link_parts
    entities, parts = link_parts(results, gaz)
    places = {e.name: e.id for e in entities.values() if e.type == "Place"}
    return parts, entities, (places, dict(_agency_names(entities)), _agency_keys(entities))


def _links(part):
    """A document's part of linking without its reads (what it links)."""
    return replace(part, reads=frozenset())


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
    from kg.pipeline import process_file

    results = built_results(args.n, args.work)
    gaz = load_gazetteer()
    gc.disable()
    parts, linked, tables = _link_each(results, gaz)
    sizes = sorted(len(p.reads) for _, p in parts)
    print(f"{len(results)} documents; keys a document's linking looks up: "
          f"mean {sum(sizes) / len(sizes):.0f}, median {sizes[len(sizes) // 2]}, max {sizes[-1]}")
    names = NameState.of([(r.doc.doc_id, r.names) for r in results])
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
                             gaz, set(tables[0]), rng):
        path = edited / Path(target.doc.path).name
        path.write_text(text, "utf-8")
        new = process_file(str(path), target.doc.doc_id)
        now = list(results)
        now[args.doc] = new
        parts2, linked2, tables2 = _link_each(now, gaz)
        changed_links = [i for i, ((_, a), (_, b)) in enumerate(zip(parts, parts2))
                         if _links(a) != _links(b)]
        t = time.perf_counter()
        changes = names.replace(target.doc.doc_id, target.names, new.names)
        names_s = time.perf_counter() - t
        names.replace(target.doc.doc_id, new.names, target.names)   # back, for the next edit
        touched = set().union(*map(_changed, tables, tables2))
        gone = {e.id for e in changes.made} | set(changes.gone)
        relink = {args.doc} | {i for i, (_, p) in enumerate(parts)
                               if p.reads & touched or p.records.keys() & gone
                               or p.records.keys() != parts2[i][1].records.keys()}
        fresh, back = [parts2[i] for i in changed_links], [parts[i] for i in changed_links]
        t = time.perf_counter()
        state.update(linked2, fresh)
        links_s = time.perf_counter() - t
        state.update(linked, back)   # back again
        disk = _from_files(names_file, links_file, gaz, target, new, linked2, fresh, linked,
                           back)
        print(f"{name}: entities made or changed {len(changes.made)}, gone {len(changes.gone)}, "
              f"nodes moved {len(changes.moved)}; tables changed {sorted(touched)}")
        print(f"  links changed in {len(changed_links)} documents {changed_links[:10]}; "
              f"to link again by reads {len(relink)}; covered: {set(changed_links) <= relink}")
        print(f"  held whole: NameState.replace {names_s * 1000:.1f} ms, LinkState.update "
              f"{links_s * 1000:.1f} ms ({len(fresh)} parts)")
        print("  from the files (open + change + flush): names {:.1f} ms, links {:.1f} ms "
              "({} rows read)".format(*disk))
    return 0


if __name__ == "__main__":
    sys.exit(main())
