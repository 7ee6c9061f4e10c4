"""kg lookup through the index beside graph.json answers what the whole
graph answers, and follows graph.json when a build replaces it."""
import json
import os

import pytest
from click.testing import CliRunner

import kg.index
from kg.cli import main
from kg.graph import load_graph
from kg.index import GraphIndex, index_path
from kg.lookup import closest, describe, find
from kg.pipeline import build
from kg.timeline import timeline
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def seeds_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("index") / "out"
    build([SEEDS], out)
    return out


def _whole_and_indexed(out, args, command="lookup"):
    """``kg COMMAND ARGS`` on the whole graph (an index that cannot be
    written: a folder where its file would be) and through the index."""
    target = index_path(out / "graph.json")
    if target.exists():
        target.unlink()
    target.mkdir()
    whole = CliRunner().invoke(main, [command, *args, "--graph", str(out)])
    target.rmdir()
    GraphIndex.open(out).close()
    indexed = CliRunner().invoke(main, [command, *args, "--graph", str(out)])
    assert target.is_file()
    return whole, indexed


@pytest.mark.parametrize("args", [["教共体"], ["温州市教育局", "--json"], ["平阳县"],
                                  ["市教育局", "--json"], ["no such thing"],
                                  ["未来乡村学校", "--json"]])
def test_the_index_answers_what_the_whole_graph_answers(seeds_build, args):
    whole, indexed = _whole_and_indexed(seeds_build, args)
    assert (indexed.exit_code, indexed.output) == (whole.exit_code, whole.output)
    assert whole.output.strip()


@pytest.mark.parametrize("args", [["教共体"], ["温州市", "--json"], ["no such thing"]])
def test_timelines_through_the_index_are_the_whole_graphs(seeds_build, args):
    whole, indexed = _whole_and_indexed(seeds_build, args, "timeline")
    assert (indexed.exit_code, indexed.output) == (whole.exit_code, whole.output)
    assert whole.output.strip()


def test_the_first_look_up_of_a_large_graph_says_it_is_indexing_on_stderr(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(kg.index, "NOTICE_AT", 0)   # every graph counts as large
    out = tmp_path / "out"
    build([SEEDS / "003_69bc8e8bdc138787.txt"], out)
    first = CliRunner().invoke(main, ["lookup", "城乡教育共同体", "--graph", str(out)])
    second = CliRunner().invoke(main, ["lookup", "城乡教育共同体", "--graph", str(out)])
    assert first.exit_code == second.exit_code == 0
    assert first.stderr.startswith("indexing ") and second.stderr == ""
    assert first.stdout == second.stdout and "城乡教育共同体" in first.stdout


def test_every_entity_is_described_alike(seeds_build):
    g = load_graph(seeds_build)
    index = GraphIndex.open(seeds_build)
    try:
        entities = [n for n, a in g.nodes(data=True) if a.get("kind") == "entity"]
        assert len(entities) > 100
        for n in entities:
            label = g.nodes[n]["label"]
            assert index.find(label) == find(g, label)
            around = index.around(n)
            assert describe(around, n) == describe(g, n)
            assert timeline(around, n) == timeline(g, n)
        labels = index.labels()
        assert all(g.nodes[n]["label"] in labels for n in entities)
    finally:
        index.close()


def test_closest_names_come_from_the_index_too(seeds_build):
    g = load_graph(seeds_build)
    index = GraphIndex.open(seeds_build)
    try:
        from kg.lookup import closest_of
        for name in ("教育共同体", "温州教育", "双减工作"):
            assert closest_of(index.labels(), name) == closest(g, name)
    finally:
        index.close()


def test_a_new_build_replaces_a_stale_index(tmp_path):
    out = tmp_path / "out"
    build([SEEDS / "003_69bc8e8bdc138787.txt"], out)
    first = CliRunner().invoke(main, ["lookup", "城乡教育共同体", "--graph", str(out)])
    assert first.exit_code == 0
    build([SEEDS / "000_66470a5e57bef4cf.txt"], out)
    g = load_graph(out)
    name = next(a["label"] for _, a in g.nodes(data=True) if a.get("type") == "Programme")
    res = CliRunner().invoke(main, ["lookup", name, "--graph", str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["found"][0]["name"] == name
    gone = CliRunner().invoke(main, ["lookup", "城乡教育共同体", "--graph", str(out)])
    assert gone.exit_code == 1


def test_a_damaged_graph_is_reported_as_before(tmp_path):
    (tmp_path / "graph.json").write_text('{"nodes": [', "utf-8")
    res = CliRunner().invoke(main, ["lookup", "教共体", "--graph", str(tmp_path)])
    assert res.exit_code == 1 and "not a readable edukg graph" in res.output
    assert not index_path(tmp_path / "graph.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["graph.json"]   # no temporary left


def test_a_graph_file_named_directly_gets_its_index_beside_it(seeds_build, tmp_path):
    copy = tmp_path / "mine.json"
    copy.write_bytes((seeds_build / "graph.json").read_bytes())
    res = CliRunner().invoke(main, ["lookup", "教共体", "--graph", str(copy)])
    assert res.exit_code == 0, res.output
    assert os.path.isfile(tmp_path / ".mine.json.index")


def test_the_index_is_as_readable_as_the_graph_it_indexes(seeds_build):
    GraphIndex.open(seeds_build).close()
    umask = os.umask(0)
    os.umask(umask)
    mode = index_path(seeds_build / "graph.json").stat().st_mode & 0o777
    assert mode == 0o666 & ~umask


def test_a_damaged_index_is_made_anew(tmp_path):
    out = tmp_path / "out"
    build([SEEDS / "003_69bc8e8bdc138787.txt"], out)
    index_path(out / "graph.json").write_bytes(b"not an index at all")
    res = CliRunner().invoke(main, ["lookup", "城乡教育共同体", "--graph", str(out)])
    assert res.exit_code == 0 and res.output.startswith("城乡教育共同体  [Initiative]")
    assert index_path(out / "graph.json").read_bytes().startswith(b"SQLite format 3")


def _as_format_2(data: dict) -> dict:
    """graph.json ``data`` as the previous format wrote it: one list of
    sentences for all documents."""
    texts, number = [], {}
    for doc, sentences in sorted(data["sentences"].items()):
        for k, text in enumerate(sentences):
            number[(doc, k)] = len(texts)
            texts.append(text)
    for item in (*data["nodes"], *data["edges"]):
        for ev in item.get("evidence") or ():
            ev["sentence"] = number[(ev["doc"], ev["sentence"])]
    return {**data, "graph": {**data["graph"], "format": "edukg-graph/2"}, "sentences": texts}


def test_a_graph_of_the_previous_format_is_described_alike_through_its_index(seeds_build,
                                                                             tmp_path):
    data = json.loads((seeds_build / "graph.json").read_text("utf-8"))
    (tmp_path / "graph.json").write_text(json.dumps(_as_format_2(data), ensure_ascii=False),
                                         "utf-8")
    g, old = load_graph(seeds_build), load_graph(tmp_path)
    index = GraphIndex.open(tmp_path)
    try:
        entities = [n for n, a in g.nodes(data=True) if a.get("kind") == "entity"]
        for n in entities:
            assert describe(old, n) == describe(g, n)
            assert describe(index.around(n), n) == describe(g, n)
    finally:
        index.close()
