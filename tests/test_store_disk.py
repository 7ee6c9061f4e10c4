"""kg query on a large build goes through a store on disk beside graph.ttl,
made by the first query, answering what the Turtle loaded in memory
answers, and made anew when a build replaces graph.ttl."""
import pyoxigraph
import pytest
from click.testing import CliRunner

import kg.store
from kg.cli import main
from kg.pipeline import build
from kg.store import disk_store_path, open_store, run_query
from tests.conftest import ROOT, SEEDS

QUERIES = sorted((ROOT / "queries").glob("*.rq"))
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture
def on_disk(monkeypatch):
    """Every graph file counts as large."""
    monkeypatch.setattr(kg.store, "DISK_STORE_AT", 0)


@pytest.fixture(scope="module")
def seed_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("disk-store") / "out"
    build([SEEDS], out)
    return out


def _answers(store) -> list:
    return [run_query(store, q.read_text("utf-8")).rows for q in QUERIES] + \
        [run_query(store, COUNT).rows]


def test_the_store_on_disk_answers_what_the_turtle_in_memory_answers(seed_build, on_disk):
    in_memory = pyoxigraph.Store()
    in_memory.load(path=str(seed_build / "graph.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    on_disk_store = open_store(seed_build)
    assert disk_store_path(seed_build / "graph.ttl").is_dir()
    assert _answers(on_disk_store) == _answers(in_memory)
    assert int(run_query(on_disk_store, COUNT).rows[0][0]) == len(in_memory) > 1000


def test_the_next_query_reuses_the_store(seed_build, on_disk):
    open_store(seed_build)
    target = disk_store_path(seed_build / "graph.ttl")
    made = target.stat().st_ino
    again = CliRunner().invoke(main, ["query", COUNT, "--graph", str(seed_build)])
    assert again.exit_code == 0, again.output
    assert target.stat().st_ino == made
    assert again.stderr == ""


def test_the_first_query_says_it_is_making_the_store_on_stderr(tmp_path, on_disk):
    out = tmp_path / "out"
    build([SEEDS / "003_69bc8e8bdc138787.txt"], out)
    first = CliRunner().invoke(main, ["query", COUNT, "--graph", str(out)])
    assert first.exit_code == 0, first.output
    assert first.stderr.startswith("loading ") and ".graph.ttl.store" in first.stderr
    assert first.stdout.splitlines()[0] == "n"


def test_a_new_build_replaces_the_store(tmp_path, on_disk):
    out = tmp_path / "out"
    build([SEEDS / "003_69bc8e8bdc138787.txt"], out)
    before = int(run_query(open_store(out), COUNT).rows[0][0])
    build([SEEDS], out)
    after = int(run_query(open_store(out), COUNT).rows[0][0])
    memory = pyoxigraph.Store()
    memory.load(path=str(out / "graph.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    assert after == len(memory) > before
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".graph.ttl")) == [
        ".graph.ttl.store"]   # nothing left of the old one or of the making


def test_a_store_that_cannot_be_made_falls_back_to_memory(seed_build, on_disk, monkeypatch,
                                                         tmp_path):
    ttl = tmp_path / "copy.ttl"
    ttl.write_bytes((seed_build / "graph.ttl").read_bytes())

    def read_only_folder(*args, **kw):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(kg.store.tempfile, "mkdtemp", read_only_folder)
    store = open_store(ttl)
    assert int(run_query(store, COUNT).rows[0][0]) > 1000
    assert [p.name for p in tmp_path.iterdir()] == ["copy.ttl"]


def test_bad_turtle_is_reported_and_leaves_nothing(tmp_path, on_disk):
    bad = tmp_path / "graph.ttl"
    bad.write_text("<a> <b> .", "utf-8")
    res = CliRunner().invoke(main, ["query", COUNT, "--graph", str(tmp_path)])
    assert res.exit_code == 1 and "not readable RDF" in res.output
    assert [p.name for p in tmp_path.iterdir()] == ["graph.ttl"]
