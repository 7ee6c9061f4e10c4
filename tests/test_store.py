"""The embedded SPARQL store on a build of the seeds, result formatting,
and the errors of loading, querying and pushing."""
from __future__ import annotations

import csv
import io
import json
import socket
from pathlib import Path

import pytest

from kg.errors import GraphError
from kg.pipeline import build
from kg.store import (FORMATS, Result, _width, format_result, open_store, push,
                      run_query)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
QUERIES = sorted((ROOT / "queries").glob("*.rq"))


def free_port() -> int:
    """A loopback port nobody listens on (bound once, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def seed_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("seed-build")
    build([SEEDS], out)
    return out


@pytest.fixture(scope="module")
def store(seed_build):
    return open_store(seed_build)


def test_queries_are_shipped():
    assert len(QUERIES) >= 5


@pytest.mark.parametrize("query", QUERIES, ids=lambda p: p.stem)
def test_every_shipped_query_answers(store, query):
    result = run_query(store, query.read_text("utf-8"))
    assert result.variables
    assert result.rows, f"{query.name} returned no row on the seeds"
    for row in result.rows:
        assert len(row) == len(result.variables)
        assert all(v is None or type(v) is str for v in row)


def test_agencies_implementing(store):
    result = run_query(store, (ROOT / "queries" / "agencies_implementing.rq").read_text("utf-8"))
    assert result.variables == ["agency", "initiative", "doc", "sentence"]
    rows = result.as_dicts()
    assert "台州市教育局" in {r["agency"] for r in rows}
    assert all(r["sentence"] and r["doc"] for r in rows)


def test_open_store_accepts_the_turtle_file(seed_build, store):
    assert len(open_store(seed_build / "graph.ttl")) == len(store) > 0


def test_ask_and_construct(store):
    assert run_query(store, "ASK { ?s ?p ?o }") == Result(["boolean"], [["true"]])
    assert run_query(store, "ASK { ?s <urn:nope> ?o }").rows == [["false"]]
    result = run_query(store, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3")
    assert result.variables == ["triple"]
    assert len(result.rows) == 3
    assert all(row[0].startswith("<") and row[0].endswith(" .") for row in result.rows)


def test_iris_are_plain_strings(store):
    result = run_query(store, "PREFIX edukg: <https://w3id.org/edukg/ontology#> "
                              "SELECT ?d WHERE { ?d a edukg:Document } LIMIT 1")
    assert result.rows[0][0].startswith("https://w3id.org/edukg/id/doc/")


def test_syntax_error_is_a_graph_error(store):
    with pytest.raises(GraphError, match="SPARQL syntax error"):
        run_query(store, "SELEC ?x WHERE { ?x ?p ?o }")


def test_missing_and_unparsable_graphs(tmp_path):
    with pytest.raises(GraphError, match="no graph at"):
        open_store(tmp_path)
    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> 教共体 .", "utf-8")
    with pytest.raises(GraphError, match="bad.ttl is not readable RDF"):
        open_store(bad)
    other = tmp_path / "graph.json"
    other.write_text("{}", "utf-8")
    with pytest.raises(GraphError, match=r"\.ttl/\.nt"):
        open_store(other)


SAMPLE = Result(["name", "code", "note"],
                [["台州市", "331000", None], ["Taizhou", "x", "城乡教育共同体,含\n换行"]])


def test_json_round_trip():
    data = json.loads(format_result(SAMPLE, "json"))
    assert data == {"variables": ["name", "code", "note"],
                    "rows": [{"name": "台州市", "code": "331000", "note": None},
                             {"name": "Taizhou", "code": "x", "note": "城乡教育共同体,含\n换行"}]}
    assert "台州市" in format_result(SAMPLE, "json")  # not \u-escaped


def test_csv_round_trip():
    text = format_result(SAMPLE, "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["name", "code", "note"]
    assert rows[1:] == [["台州市", "331000", ""], ["Taizhou", "x", "城乡教育共同体,含\n换行"]]


def test_table_aligns_cjk():
    lines = format_result(SAMPLE, "table").splitlines()
    assert len(lines) == 4  # header, rule, two rows (the newline is flattened)
    header, rule, first, second = lines
    assert header.split() == ["name", "code", "note"]
    assert set(rule.replace(" ", "")) == {"-"}
    # the second and third columns start at the same display column on every line
    starts = [_width(header[:header.index("code")]),
              _width(first[:first.index("331000")]),
              _width(second[:second.index("x ")])]
    assert len(set(starts)) == 1
    assert _width("台州市") == 6
    assert _width(second[:second.index("城乡")]) == _width(header[:header.index("note")])
    assert not any(line != line.rstrip() for line in lines)


def test_table_of_a_seed_query(store):
    result = run_query(store, (ROOT / "queries" / "schools_by_place.rq").read_text("utf-8"))
    lines = format_result(result, "table").splitlines()
    assert len(lines) == len(result.rows) + 2
    rule_width = _width(lines[1])
    assert all(_width(line) <= rule_width for line in lines)


def test_unknown_format():
    assert FORMATS == ("table", "json", "csv")
    with pytest.raises(ValueError, match="unknown format"):
        format_result(SAMPLE, "xml")


def test_push_to_a_closed_port(seed_build):
    endpoint = f"http://127.0.0.1:{free_port()}/store"
    with pytest.raises(GraphError) as info:
        push(seed_build / "graph.ttl", endpoint, timeout=5)
    assert endpoint in str(info.value)


def test_push_checks_its_arguments(seed_build, tmp_path):
    with pytest.raises(GraphError, match="not an http"):
        push(seed_build, "file:///etc/passwd")
    with pytest.raises(GraphError, match="no graph at"):
        push(tmp_path, "http://127.0.0.1:9/store")
