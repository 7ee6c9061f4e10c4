"""Faults: an interrupted build never damages the previous export, two
builds into one folder take turns, and the same input gives the same bytes."""
import json
import os
import signal
import subprocess
import sys
import time

import pyoxigraph
import pytest

from kg.pipeline import build
from tests.conftest import ROOT, SEEDS

KG = [sys.executable, "-c", "from kg.cli import main; main()"]


def readable(out):
    json.loads((out / "graph.json").read_text("utf-8"))
    store = pyoxigraph.Store()
    store.load(path=str(out / "graph.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    assert (out / "graph.html").read_text("utf-8").rstrip().endswith("</html>")
    return len(store)


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    out = tmp_path_factory.mktemp("faults") / "out"
    build([SEEDS / "003_69bc8e8bdc138787.txt"], out)
    return out, {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}


@pytest.mark.parametrize("delay", [0.3, 1.0, 2.0, 3.0, 4.5])
def test_killing_a_build_at_any_moment_leaves_the_previous_export_whole(previous, delay):
    out, before = previous
    proc = subprocess.Popen(KG + ["build", str(SEEDS), "--out", str(out), "-q"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = {p.name: p.read_bytes() for p in out.iterdir()
             if not p.name.startswith(".")}
    assert set(after) == set(before)
    assert readable(out) > 0
    leftovers = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    # a temporary file may remain after SIGKILL, but never under an export's name
    assert all(name.startswith(".") for name in leftovers)
    for p in out.iterdir():
        if p.name.endswith(".tmp"):
            p.unlink()
    # restore the module's baseline for the next kill
    build([SEEDS / "003_69bc8e8bdc138787.txt"], out)


def test_two_builds_into_one_folder_take_turns(tmp_path):
    out = tmp_path / "out"
    procs = [subprocess.Popen(KG + ["build", str(SEEDS / f), "--out", str(out), "-q"], cwd=ROOT)
             for f in ("003_69bc8e8bdc138787.txt", "004_2d191f5cd49d874e.txt")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert readable(out) > 0
    graph = json.loads((out / "graph.json").read_text("utf-8"))
    docs = [n["doc_id"] for n in graph["nodes"] if n.get("kind") == "document"]
    assert len(docs) == 1  # one build's whole output, not a mix of two
    other = {"003_69bc8e8bdc138787", "004_2d191f5cd49d874e"} - set(docs)
    for f in ("graph.ttl", "graph.html"):
        text = (out / f).read_text("utf-8")
        assert docs[0] in text and other.pop() not in text if f == "graph.ttl" else docs[0] in text


def test_same_input_same_bytes_in_every_export(tmp_path):
    env = dict(os.environ, PYTHONHASHSEED="1")
    for name, seed in (("a", "1"), ("b", "2")):
        env["PYTHONHASHSEED"] = seed
        subprocess.run(KG + ["build", str(SEEDS / "004_2d191f5cd49d874e.txt"), "--out",
                             str(tmp_path / name), "-q"], cwd=ROOT, env=env, check=True)
    for f in ("graph.json", "graph.ttl", "graph.html"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def _processes_naming(marker: str) -> list[int]:
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    cmd = f.read()
                with open(f"/proc/{d}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if marker.encode() in cmd and state != "Z":
                pids.append(int(d))
    return pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_a_build_leaves_no_worker_behind(tmp_path):
    out = tmp_path / "orphans-out"
    proc = subprocess.Popen(KG + ["build", str(SEEDS), "--out", str(out), "-q", "-w", "2",
                                  "--no-cache"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline and len(_processes_naming(str(out))) < 2:
        time.sleep(0.05)  # wait for the workers to be forked
    assert len(_processes_naming(str(out))) >= 2
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and _processes_naming(str(out)):
        time.sleep(0.1)
    left = _processes_naming(str(out))
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []


@pytest.mark.parametrize("where", ["stream_rdf", "stream_records_html", "append_json_tail"])
def test_an_error_in_either_export_process_replaces_nothing(tmp_path, monkeypatch, where):
    """With two workers the Turtle and the nodes of graph.json are written
    by a forked process, the page and the edges here: a failure in either
    leaves the previous build whole and no temporary file behind."""
    from kg import pipeline, rdf, viz
    seeds = sorted(SEEDS.glob("*.txt"))[:2]
    out = tmp_path / "o"
    build(seeds, out, workers=2, cache=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def fail(*args, **kwargs):
        raise OSError("disk full")
    module = {"stream_rdf": rdf, "stream_records_html": viz, "append_json_tail": pipeline}[where]
    monkeypatch.setattr(module, where, fail)
    with pytest.raises(OSError, match="disk full"):
        build(seeds, out, workers=2, cache=False)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize("workers", [1, 2])
def test_a_build_removes_what_a_killed_build_left_half_written(tmp_path, workers):
    """A build killed while writing leaves its temporary files (a large
    corpus's Turtle is hundreds of megabytes); the next build into the
    folder removes them, and nothing else."""
    out = tmp_path / "o"
    out.mkdir()
    stale = [out / ".graph.ttl.k1l2e3d4.tmp", out / ".graph.json.x9y8.tmp.handoff.tmp",
             out / ".graph.html.abc.tmp"]
    for p in stale:
        p.write_bytes(b"half")
    mine = [out / "notes.tmp", out / ".other.json.1.tmp"]
    for p in mine:
        p.write_bytes(b"kept")
    build([SEEDS / "003_69bc8e8bdc138787.txt"], out, workers=workers, cache=False)
    assert not any(p.exists() for p in stale)
    assert all(p.read_bytes() == b"kept" for p in mine)
    assert readable(out) > 0
