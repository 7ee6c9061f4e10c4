"""graph.ttl spliced in a rebuild: the units a change reaches written
again, the others copied, and the file byte for byte the one written
whole."""

import pytest

import kg.splice as splice
from kg.gazetteer import load_gazetteer
from kg.graph import GraphRecords
from kg.pipeline import build, link_kept
from kg.rdf import stream_rdf
from kg.relink import Change
from kg.splice import INDEX_FILE, TurtleIndex, kept_index, write_turtle_kept

from .changes import SPOILS, random_changes, spoiled
from .test_relink import _seeds_copy


def _whole(ex, path):
    stream_rdf(GraphRecords(ex), path, "ttl")
    return path.read_bytes()


def _write(ex, folder, build_key="b"):
    """Write ex's Turtle as a build does: to a temporary file, then renamed
    over graph.ttl; returns how it was written."""
    tmp = folder / ".graph.ttl.tmp"
    old, index = folder / "graph.ttl", folder / INDEX_FILE
    how = write_turtle_kept(GraphRecords(ex), tmp, old, index, ex.change, build_key,
                            kept_index(index, old, ex.change, build_key))
    tmp.replace(folder / "graph.ttl")
    return how


def test_random_changes_splice_the_turtle_written_whole(seed_results, tmp_path):
    """A random sequence of changes (a seed becomes its second half or
    whole again, is taken out, comes back, or a copy is added), each linked
    from the memory of the step before: each step's graph.ttl is spliced
    from the one before, and is byte for byte the Turtle written whole."""
    hows = []
    for step, move, ex in random_changes(seed_results, 7):
        hows.append(_write(ex, tmp_path))
        assert (tmp_path / "graph.ttl").read_bytes() == _whole(ex, tmp_path / "whole.ttl"), \
            (step, move, hows[-1])
    assert hows[0] == "indexed" and set(hows[1:]) == {"spliced"}


def test_a_splice_rewrites_only_what_the_change_reaches(seed_results, tmp_path, monkeypatch):
    """One seed changed: the units made again are a small part of the
    graph; nothing changed: none but the documents' own nodes."""
    gaz = load_gazetteer()
    whole, half = seed_results
    keys = [f"{r.doc.doc_id}:whole" for r in whole]
    kept: list = []
    ex = link_kept(whole, gaz, keys=keys, keep=kept.append)
    assert _write(ex, tmp_path) == "indexed"
    made = []
    real = splice._unit_text
    monkeypatch.setattr(splice, "_unit_text", lambda terms: made.append(terms) or real(terms))
    results = [half[0]] + list(whole[1:])
    ex2 = link_kept(results, gaz, keys=[f"{whole[0].doc.doc_id}:half"] + keys[1:],
                    before=kept[0], keep=kept.append)
    assert _write(ex2, tmp_path) == "spliced"
    assert (tmp_path / "graph.ttl").read_bytes() == _whole(ex2, tmp_path / "whole.ttl")
    # no node of a metric of a document left as it was is made again
    metrics = {m.id for m in ex2.metrics if m.doc_id != whole[0].doc.doc_id}
    assert made and not any(terms[0].removeprefix("id:") in metrics and terms[1] == "a"
                            for terms in made)
    index = TurtleIndex.load(tmp_path / INDEX_FILE)
    assert len(made) < len(index.node_keys) + len(index.edge_keys) + len(index.ev_keys)
    made.clear()
    ex3 = link_kept(results, gaz, keys=[f"{whole[0].doc.doc_id}:half"] + keys[1:],
                    before=kept[1], keep=kept.append)
    assert ex3.change.docs == frozenset() and ex3.change.sources == frozenset()
    assert _write(ex3, tmp_path) == "spliced"
    assert (tmp_path / "graph.ttl").read_bytes() == _whole(ex3, tmp_path / "whole.ttl")
    assert len(made) == len(whole)   # each document's node


@pytest.mark.parametrize("spoil", SPOILS)
def test_a_turtle_the_index_cannot_vouch_for_is_written_whole(seed_results, tmp_path, spoil):
    gaz = load_gazetteer()
    whole, half = seed_results
    keys = [f"{r.doc.doc_id}:whole" for r in whole]
    kept: list = []
    ex = link_kept(whole, gaz, keys=keys, keep=kept.append)
    _write(ex, tmp_path)
    ex2 = link_kept([whole[0], half[1]] + list(whole[2:]), gaz, before=kept[0],
                    keys=[keys[0], f"{whole[1].doc.doc_id}:half"] + keys[2:])
    build_key = spoiled(spoil, tmp_path / "graph.ttl", tmp_path / INDEX_FILE, ex2)
    assert _write(ex2, tmp_path, build_key) == "indexed"
    assert (tmp_path / "graph.ttl").read_bytes() == _whole(ex2, tmp_path / "whole.ttl")
    assert TurtleIndex.load(tmp_path / INDEX_FILE).describes(tmp_path / "graph.ttl", build_key,
                                                             ex2.change.token)


def test_no_change_known_means_no_index(seed_results, tmp_path):
    gaz = load_gazetteer()
    ex = link_kept(seed_results[0], gaz)
    ex.change = None
    assert _write(ex, tmp_path) == "whole"
    assert not (tmp_path / INDEX_FILE).exists()
    assert (tmp_path / "graph.ttl").read_bytes() == _whole(ex, tmp_path / "whole.ttl")
    ex.change = Change("abc")
    assert _write(ex, tmp_path) == "indexed"


def test_a_rebuild_splices_its_turtle(tmp_path, monkeypatch):
    """``kg build`` after a sentence is added to one document splices
    graph.ttl, and writes what a build without cache writes."""
    files = _seeds_copy(tmp_path / "docs")
    out = tmp_path / "out"
    build([tmp_path / "docs"], out, workers=1)
    hows = []
    real = splice._spliced
    monkeypatch.setattr(splice, "_spliced", lambda *a: hows.append(real(*a)) or hows[-1])
    files[1].write_text(files[1].read_text("utf-8") + "\n深入实施“星光伴读”行动。\n", "utf-8")
    build([tmp_path / "docs"], out, workers=1)
    build([tmp_path / "docs"], tmp_path / "fresh", cache=False)
    assert len(hows) == 1 and hows[0] is not None
    for name in ("graph.ttl", "graph.json", "graph.html"):
        assert (out / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()


@pytest.mark.parametrize("where", ["_spliced", "json _spliced", "page write_page_kept"])
def test_an_error_while_splicing_replaces_nothing(tmp_path, monkeypatch, where):
    """With two workers a spliced Turtle and graph.json are written by a
    forked process, the page here: a failure in either leaves the previous
    build whole."""
    from kg import jsonsplice, pagekeep
    files = _seeds_copy(tmp_path / "docs")
    out = tmp_path / "out"
    build([tmp_path / "docs"], out, workers=2)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def fail(*args, **kwargs):
        raise OSError("disk full")
    module = {"_spliced": splice, "json _spliced": jsonsplice, "page write_page_kept": pagekeep
              }[where]
    monkeypatch.setattr(module, where.split()[-1], fail)
    files[0].write_text(files[0].read_text("utf-8") + "\n推进“青蓝结对”工程。\n", "utf-8")
    with pytest.raises(OSError, match="disk full"):
        build([tmp_path / "docs"], out, workers=2)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_linking_that_keeps_its_memory_finds_the_entities_checksums(seed_results,
                                                                   monkeypatch):
    """With two workers and its memory kept, linking finds each entity's
    checksum in a forked process while it makes the relations; the splice
    takes them instead of making its own, but only for those entities."""
    from dataclasses import replace
    whole, _ = seed_results
    gaz = load_gazetteer()
    keys = [f"{r.doc.doc_id}:whole" for r in whole]
    ex = link_kept(list(whole), gaz, workers=2, keys=keys, keep=lambda memory: None)
    assert ex.prints == {e.id: splice.entity_print(e) for e in ex.entities}
    assert link_kept(list(whole), gaz, workers=2).prints is None   # (no memory kept)
    assert link_kept(list(whole), gaz, keys=keys, keep=lambda memory: None).prints is None
    made = []
    real = splice.entity_print
    monkeypatch.setattr(splice, "entity_print", lambda e: made.append(e) or real(e))
    assert splice._prints(GraphRecords(ex)) is ex.prints and not made
    fewer = replace(ex, entities=ex.entities[1:])
    fewer.prints = ex.prints
    assert splice._prints(GraphRecords(fewer)) == {e.id: real(e) for e in ex.entities[1:]}
    assert len(made) == len(ex.entities) - 1
