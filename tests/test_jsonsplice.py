"""graph.json spliced in a rebuild: the units a change reaches, and those
citing a document renumbered, written again, the others copied, and the
file byte for byte the one written whole."""
import json

import pytest

import kg.jsonsplice as jsonsplice
from kg.gazetteer import load_gazetteer
from kg.graph import GraphRecords, load_graph, write_graph_json
from kg.jsonsplice import JSON_INDEX_FILE, JsonIndex, kept_json_index, write_json_kept
from kg.pipeline import link_kept
from kg.splice import INDEX_FILE, kept_index, reach

from .changes import SPOILS, random_changes, spoiled


def _whole(ex, path):
    write_graph_json(GraphRecords(ex), path)
    return path.read_bytes()


def _write(ex, folder, build_key="b"):
    """Write ex's graph.json as a build does, the units reached found from
    the Turtle's index (written beside it); returns how it was written."""
    from kg.splice import write_turtle_kept
    records = GraphRecords(ex)
    old, index = folder / "graph.json", folder / JSON_INDEX_FILE
    old_ttl, ttl_index = folder / "graph.ttl", folder / INDEX_FILE
    before_ttl = kept_index(ttl_index, old_ttl, ex.change, build_key)
    reached = reach(records, ex.change, before_ttl)[1:] if before_ttl is not None else None
    tmp = folder / ".graph.json.tmp"
    how = write_json_kept(records, tmp, old, index, ex.change, build_key,
                          kept_json_index(index, old, ex.change, build_key), reached)
    tmp.replace(old)
    write_turtle_kept(records, folder / ".graph.ttl.tmp", old_ttl, ttl_index, ex.change,
                      build_key, before_ttl)
    (folder / ".graph.ttl.tmp").replace(old_ttl)
    return how


def _first_build(whole, folder):
    """The seeds linked and their graph.json written with its index:
    their cache keys and the memory kept (in a list, for more)."""
    keys = [f"{r.doc.doc_id}:whole" for r in whole]
    kept: list = []
    _write(link_kept(whole, load_gazetteer(), keys=keys, keep=kept.append), folder)
    return keys, kept


def test_the_indexed_writer_writes_graph_json(seed_results, tmp_path):
    gaz = load_gazetteer()
    ex = link_kept(seed_results[0], gaz)
    assert _write(ex, tmp_path) == "indexed"
    assert (tmp_path / "graph.json").read_bytes() == _whole(ex, tmp_path / "whole.json")
    index = JsonIndex.load(tmp_path / JSON_INDEX_FILE)
    data = (tmp_path / "graph.json").read_bytes()
    first = json.loads(data[index.starts[1][0]:index.ends[1][0]])
    assert first["id"] == index.keys[1][0]
    assert set(index.keys[2]) == {r.doc.doc_id for r in seed_results[0]}


def test_random_changes_splice_graph_json_written_whole(seed_results, tmp_path):
    """A random sequence of changes, each linked from the memory of the
    step before: each step's graph.json is spliced from the one before,
    and is byte for byte the file written whole."""
    hows = []
    for step, move, ex in random_changes(seed_results, 11):
        hows.append(_write(ex, tmp_path))
        assert (tmp_path / "graph.json").read_bytes() == _whole(ex, tmp_path / "whole.json"), \
            (step, move, hows[-1])
    assert hows[0] == "indexed" and set(hows[1:]) == {"spliced"}
    load_graph(tmp_path / "graph.json")


def test_a_splice_writes_again_only_what_it_must(seed_results, tmp_path, monkeypatch):
    """One seed changed: its sentences are numbered afresh and no other
    document's list is written again; nothing changed: no sentence list
    is written again."""
    gaz = load_gazetteer()
    whole, half = seed_results
    keys, kept = _first_build(whole, tmp_path)
    written = []
    real = jsonsplice._sentences_unit
    monkeypatch.setattr(jsonsplice, "_sentences_unit",
                        lambda dumps, doc, table: written.append(doc) or real(dumps, doc, table))
    results = [half[0]] + list(whole[1:])
    ex2 = link_kept(results, gaz, keys=[f"{whole[0].doc.doc_id}:half"] + keys[1:],
                    before=kept[0], keep=kept.append)
    assert _write(ex2, tmp_path) == "spliced"
    assert (tmp_path / "graph.json").read_bytes() == _whole(ex2, tmp_path / "whole.json")
    assert written[0] == whole[0].doc.doc_id
    written.clear()
    ex3 = link_kept(results, gaz, keys=[f"{whole[0].doc.doc_id}:half"] + keys[1:],
                    before=kept[1], keep=kept.append)
    assert _write(ex3, tmp_path) == "spliced"
    assert (tmp_path / "graph.json").read_bytes() == _whole(ex3, tmp_path / "whole.json")
    assert written == []


@pytest.mark.parametrize("spoil", SPOILS)
def test_a_graph_json_the_index_cannot_vouch_for_is_written_whole(seed_results, tmp_path,
                                                                  spoil):
    gaz = load_gazetteer()
    whole, half = seed_results
    keys, kept = _first_build(whole, tmp_path)
    ex2 = link_kept([whole[0], half[1]] + list(whole[2:]), gaz, before=kept[0],
                    keys=[keys[0], f"{whole[1].doc.doc_id}:half"] + keys[2:])
    build_key = spoiled(spoil, tmp_path / "graph.json", tmp_path / JSON_INDEX_FILE, ex2)
    assert _write(ex2, tmp_path, build_key) == "indexed"
    assert (tmp_path / "graph.json").read_bytes() == _whole(ex2, tmp_path / "whole.json")
    assert JsonIndex.load(tmp_path / JSON_INDEX_FILE).describes(
        tmp_path / "graph.json", build_key, ex2.change.token)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_rebuild_splices_graph_json(tmp_path, monkeypatch, workers):
    """``kg build`` after a sentence is added to one document splices
    graph.json, and writes what a build without cache writes."""
    from kg.pipeline import build

    from .test_relink import _seeds_copy
    files = _seeds_copy(tmp_path / "docs")
    out = tmp_path / "out"
    build([tmp_path / "docs"], out, workers=workers)
    real, log = jsonsplice._spliced, tmp_path / "spliced.log"

    def spliced(*args):   # (noted in a file: with two workers it runs in a fork)
        index = real(*args)
        with open(log, "a") as fh:
            fh.write(f"{index is not None}\n")
        return index
    monkeypatch.setattr(jsonsplice, "_spliced", spliced)
    files[2].write_text(files[2].read_text("utf-8") + "\n深入实施“书香校园”行动。\n", "utf-8")
    build([tmp_path / "docs"], out, workers=workers)
    build([tmp_path / "docs"], tmp_path / "fresh", cache=False)
    assert log.read_text() == "True\n"
    for name in ("graph.ttl", "graph.json", "graph.html"):
        assert (out / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()
    index = JsonIndex.load(out / ".cache" / JSON_INDEX_FILE)
    assert index is not None and index.describes(out / "graph.json", index.build, index.token)
