"""Push the seeds' graph into a real Oxigraph server on 127.0.0.1 and check
that every shipped query gives the same rows over HTTP as embedded.

The server binary comes with the ``oxigraph`` package of the test extra;
without it (or when it does not start) the module is skipped.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.errors import GraphError
from kg.pipeline import build
from kg.store import open_store, push, remote_query, run_query

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
QUERIES = sorted((ROOT / "queries").glob("*.rq"))
HOST = "127.0.0.1"
START_TIMEOUT = 10.0


def _oxigraph() -> str | None:
    """The server executable: the venv's own first, then the PATH."""
    bin_dirs = [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    return shutil.which("oxigraph", path=os.pathsep.join(bin_dirs))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _answers(base: str) -> bool:
    try:
        return remote_query(f"{base}/query", "ASK {}", timeout=1).rows == [["true"]]
    except GraphError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    """The base URL of an Oxigraph server on a free loopback port."""
    exe = _oxigraph()
    if exe is None:
        pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)")
    tmp = tmp_path_factory.mktemp("oxigraph")
    port = _free_port()
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen([exe, "serve", "--location", str(tmp / "db"),
                             "--bind", f"{HOST}:{port}"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def stop():
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()

    request.addfinalizer(stop)
    base = f"http://{HOST}:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers(base):
        if proc.poll() is not None or time.monotonic() > deadline:
            log.flush()
            tail = (tmp / "server.log").read_text("utf-8", "replace")[-500:]
            why = (f"exited with code {proc.returncode}" if proc.poll() is not None
                   else f"did not answer within {START_TIMEOUT:g} s")
            pytest.skip(f"the oxigraph server ({exe}) {why}: {tail}")
        time.sleep(0.2)
    return base


@pytest.fixture(scope="module")
def seed_ttl(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("seed-build")
    build([SEEDS], out)
    return out / "graph.ttl"


@pytest.fixture(scope="module")
def store(seed_ttl):
    return open_store(seed_ttl)


@pytest.fixture(scope="module")
def pushed(server, seed_ttl, store) -> str:
    sent = push(seed_ttl, f"{server}/store", timeout=60)
    assert sent == len(store) > 0
    return server


def test_push_loads_every_triple(pushed, store):
    result = remote_query(f"{pushed}/query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert result.rows == [[str(len(store))]]


def test_push_again_replaces(pushed, seed_ttl, store):
    push(seed_ttl, f"{pushed}/store")
    result = remote_query(f"{pushed}/query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert result.rows == [[str(len(store))]]


@pytest.mark.parametrize("query", QUERIES, ids=lambda p: p.stem)
def test_remote_answers_equal_embedded(pushed, store, query):
    sparql = query.read_text("utf-8")
    local = run_query(store, sparql)
    remote = remote_query(f"{pushed}/query", sparql)
    assert remote.variables == local.variables
    assert local.rows, f"{query.name} returned no row"
    assert sorted(remote.rows, key=repr) == sorted(local.rows, key=repr)


def test_remote_ask_and_construct(pushed, store):
    assert remote_query(f"{pushed}/query", "ASK { ?s ?p ?o }").rows == [["true"]]
    sparql = ("PREFIX edukg: <https://w3id.org/edukg/ontology#> "
              "CONSTRUCT { ?d edukg:docId ?id } WHERE { ?d edukg:docId ?id }")
    local, remote = run_query(store, sparql), remote_query(f"{pushed}/query", sparql)
    assert remote.variables == ["triple"]
    assert local.rows and sorted(remote.rows) == sorted(local.rows)


def test_push_to_a_named_graph(server, seed_ttl, store):
    iri = "https://w3id.org/edukg/graph/seeds"
    assert push(seed_ttl, f"{server}/store", graph_iri=iri) == len(store)
    result = remote_query(f"{server}/query",
                          f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")
    assert result.rows == [[str(len(store))]]


def test_push_to_a_wrong_path(server, seed_ttl):
    with pytest.raises(GraphError, match="HTTP 404") as info:
        push(seed_ttl, f"{server}/nope")
    assert f"{server}/nope" in str(info.value)


def test_remote_syntax_error(server):
    with pytest.raises(GraphError, match="HTTP 400"):
        remote_query(f"{server}/query", "SELEC ?x WHERE { ?x ?p ?o }")
