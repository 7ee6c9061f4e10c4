"""graph.html kept in a rebuild when the part of the graph it draws is as
it was: copied with its summary written again, byte for byte the page made
anew."""
import json

import pytest

import kg.pagekeep as pagekeep
from kg import viz
from kg.gazetteer import load_gazetteer
from kg.graph import GraphRecords
from kg.pagekeep import PAGE_INDEX_FILE
from kg.pipeline import _kept_writers, _payloads, _write_payloads, build, link_kept
from kg.viz import stream_records_html

from .changes import random_changes
from .test_relink import _seeds_copy


@pytest.fixture
def small_part(monkeypatch):
    """Pages that draw a part of the seeds' graph (its 40 most connected
    entities and documents)."""
    monkeypatch.setattr(viz, "PAGE_NODE_LIMIT", 40)


def _anew(ex, path):
    stream_records_html(GraphRecords(ex), path, title="edukg")
    return path.read_bytes()


def _write(ex, folder, build_key="b"):
    """The three files of ``ex`` written into ``folder`` as a build with
    the cache writes them (its index under ``folder/.cache``); returns how
    the page was written."""
    writers = _kept_writers(ex, folder, folder / ".cache", build_key)
    hows = []
    writers = writers._replace(page=lambda records, tmp, page=writers.page:
                               hows.append(page(records, tmp)))
    _write_payloads(folder, _payloads(GraphRecords(ex), writers), 1)
    return hows[0]


def _record(folder):
    return folder / ".cache" / PAGE_INDEX_FILE


def _linked(results, keys, memory=None):
    kept: list = []
    ex = link_kept(results, load_gazetteer(), keys=keys, before=memory, keep=kept.append)
    return ex, kept[0]


def test_a_page_whose_part_is_unchanged_is_kept(seed_results, tmp_path, small_part):
    """A short document added: the graph grows (the summary counts more),
    the part drawn stays; the page is copied, its summary written again,
    and is the page made anew."""
    whole, _ = seed_results
    keys = [f"{r.doc.doc_id}:whole" for r in whole]
    ex, memory = _linked(whole, keys)
    assert _write(ex, tmp_path) == "indexed"
    assert (tmp_path / "graph.html").read_bytes() == _anew(ex, tmp_path / "anew.html")
    from kg.pipeline import process_file
    (tmp_path / "extra.txt").write_text("实施“晨读暮省”行动。\n", "utf-8")
    extra = process_file(str(tmp_path / "extra.txt"), "zz-extra")
    ex2, _ = _linked(list(whole) + [extra], keys + ["zz-extra:1"], memory)
    part, part2 = (viz.records_page_part(GraphRecords(e)) for e in (ex, ex2))
    assert [n for n, _ in part[0]] == [n for n, _ in part2[0]]
    assert GraphRecords(ex).counts() != GraphRecords(ex2).counts()
    assert _write(ex2, tmp_path) == "kept"
    page = (tmp_path / "graph.html").read_bytes()
    assert page == _anew(ex2, tmp_path / "anew.html")
    assert viz._esc(viz.records_summary(GraphRecords(ex2))).encode("utf-8") in page


def test_a_page_whose_part_changed_is_made_anew(seed_results, tmp_path, small_part):
    whole, half = seed_results
    keys = [f"{r.doc.doc_id}:whole" for r in whole]
    ex, memory = _linked(whole, keys)
    _write(ex, tmp_path)
    ex2, _ = _linked(list(whole[:2]) + list(whole[3:]), keys[:2] + keys[3:], memory)
    assert _write(ex2, tmp_path) == "indexed"
    assert (tmp_path / "graph.html").read_bytes() == _anew(ex2, tmp_path / "anew.html")


@pytest.mark.parametrize("spoil", [None, "page edited", "record damaged", "other build",
                                   "summary moved", "other memory"])
def test_a_page_the_record_cannot_vouch_for_is_made_anew(seed_results, tmp_path, small_part,
                                                         spoil):
    """Nothing changed: the page is kept, unless its record cannot vouch
    for it."""
    whole, _ = seed_results
    keys = [f"{r.doc.doc_id}:whole" for r in whole]
    ex, memory = _linked(whole, keys)
    _write(ex, tmp_path)
    record = _record(tmp_path)
    if spoil == "page edited":
        with open(tmp_path / "graph.html", "ab") as fh:
            fh.write(b"<!-- a note -->")
    elif spoil == "record damaged":
        record.write_text("{", "utf-8")
    elif spoil in ("summary moved", "other memory"):
        data = json.loads(record.read_text("utf-8"))
        if spoil == "summary moved":
            data["summary"] = [data["size"] + 5, data["size"] + 9]
        else:   # (the Turtle's index vouches for the change: the page's record does not)
            data["token"] = "0123456789abcdef"
        record.write_text(json.dumps(data), "utf-8")
    ex2, _ = _linked(whole, keys, memory)
    build_key = "other" if spoil == "other build" else "b"
    assert _write(ex2, tmp_path, build_key) == ("kept" if spoil is None else "indexed")
    assert (tmp_path / "graph.html").read_bytes() == _anew(ex2, tmp_path / "anew.html")


@pytest.mark.parametrize("edge_limit", [60_000, 40])
def test_random_changes_keep_the_page_made_anew(seed_results, tmp_path, monkeypatch,
                                                edge_limit):
    """Over a random sequence of changes, each page, kept or made, is byte
    for byte the page made anew; with few edges drawn, an edge past the
    last drawn leaves the page as it was."""
    monkeypatch.setattr(viz, "PAGE_NODE_LIMIT", 20)
    monkeypatch.setattr(viz, "PAGE_EDGE_LIMIT", edge_limit)
    hows = []
    for step, move, ex in random_changes(seed_results, 5):
        hows.append(_write(ex, tmp_path))
        assert (tmp_path / "graph.html").read_bytes() == _anew(ex, tmp_path / "anew.html"), \
            (step, move, hows[-1])
        cut = json.loads(_record(tmp_path).read_text("utf-8"))["cut"]
        assert (cut is not None) == (edge_limit == 40)
    assert "kept" in hows and "indexed" in hows[1:], hows


def test_a_page_drawing_the_whole_graph_keeps_no_record(seed_results, tmp_path):
    whole, _ = seed_results
    ex, _ = _linked(whole, [f"{r.doc.doc_id}:whole" for r in whole])
    assert _write(ex, tmp_path) == "whole"
    assert not _record(tmp_path).exists()
    assert (tmp_path / "graph.html").read_bytes() == _anew(ex, tmp_path / "anew.html")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_rebuild_keeps_its_page(tmp_path, monkeypatch, small_part, workers):
    """``kg build`` after a sentence naming nothing drawn is added keeps
    the page, and writes what a build without cache writes."""
    files = _seeds_copy(tmp_path / "docs")
    out = tmp_path / "out"
    build([tmp_path / "docs"], out, workers=workers)
    copies = tmp_path / "copies"   # (with two workers, a forked process writes the page)
    real = pagekeep._copy_with

    def copy(*args):
        with open(copies, "a") as fh:
            fh.write("copied\n")
        return real(*args)
    monkeypatch.setattr(pagekeep, "_copy_with", copy)
    files[4].write_text(files[4].read_text("utf-8") + "\n实施“晨读暮省”行动。\n", "utf-8")
    build([tmp_path / "docs"], out, workers=workers)
    build([tmp_path / "docs"], tmp_path / "fresh", cache=False)
    assert copies.read_text().splitlines() == ["copied"]
    for name in ("graph.ttl", "graph.json", "graph.html"):
        assert (out / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()
