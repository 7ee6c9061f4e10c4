"""A look-up index of a built graph, so that ``kg lookup`` on a large build
answers in a fraction of a second instead of reading the whole graph.

The index is an SQLite file beside ``graph.json`` (``.graph.json.index``),
made from it at the first look-up and used until graph.json changes (its
size, modification time and inode are kept in the index).  It holds every
node's and edge's record as graph.json has it (evidence sentences by
document and number, the texts in their own table) and every entity's names in
comparison form; a look-up reads an entity's own records, its edges and its
neighbours' into a small graph and describes it there, so it answers
exactly what the whole graph would (``tests/test_index.py``).

graph.json of 1,000 documents (273 MB) took 29.5 s to load for each look-up.
"""
from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from pathlib import Path

import networkx as nx

from .graph import _node_link_graph, _restore_sentences, is_graph_data
from .io import as_created, fingerprint
from .resolve import key

__all__ = ["GraphIndex", "index_path"]

#: Changed whenever what the index holds changes: an older index is made anew.
INDEX_VERSION = "2"

#: The size of graph.json from which making its index is worth a notice
#: (about 300 documents: several seconds).
NOTICE_AT = 64 << 20

_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE nodes (id TEXT PRIMARY KEY, rank INTEGER, record TEXT);
CREATE TABLE edges (rank INTEGER PRIMARY KEY, source TEXT, target TEXT, record TEXT);
CREATE TABLE sentences (doc TEXT, n INTEGER, text TEXT, PRIMARY KEY (doc, n)) WITHOUT ROWID;
CREATE TABLE names (key TEXT, form TEXT, node TEXT, rank INTEGER, is_label INTEGER);
"""
_INDEXES = """
CREATE INDEX edges_source ON edges (source);
CREATE INDEX edges_target ON edges (target);
CREATE INDEX names_key ON names (key);
"""


def index_path(graph_json: Path) -> Path:
    return graph_json.parent / f".{graph_json.name}.index"


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _make(graph_json: Path, target: Path, stamp: str) -> bool:
    """Write the index of ``graph_json`` to ``target``; False when the file
    is not a graph this module reads (the caller then loads it the usual
    way, which says what is wrong)."""
    try:
        data = json.loads(graph_json.read_text("utf-8"))
        if not is_graph_data(data):
            return False
        nodes = sorted(data["nodes"], key=lambda d: d["id"])
        edges = data["edges"]
        sentences = data.get("sentences") or []
        # format 3: each document's list; format 2: one list (document "")
        rows = [(doc, n, text) for doc, texts in sentences.items()
                for n, text in enumerate(texts)] if isinstance(sentences, dict) \
            else [("", n, text) for n, text in enumerate(sentences)]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        return False
    db = sqlite3.connect(target)
    try:
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
        db.executemany("INSERT INTO meta VALUES (?, ?)",
                       [("version", INDEX_VERSION), ("graph", stamp),
                        ("attrs", _dumps(data["graph"])),
                        ("inline", "1" if "sentences" not in data else "0"),
                        ("by_doc", "1" if isinstance(sentences, dict) else "0")])
        db.executemany("INSERT INTO nodes VALUES (?, ?, ?)",
                       ((d["id"], i, _dumps(d)) for i, d in enumerate(nodes)))
        db.executemany("INSERT INTO edges VALUES (?, ?, ?, ?)",
                       ((i, d["source"], d["target"], _dumps(d)) for i, d in enumerate(edges)))
        db.executemany("INSERT INTO sentences VALUES (?, ?, ?)", rows)
        db.executemany("INSERT INTO names VALUES (?, ?, ?, ?, ?)", _names(nodes))
        db.executescript(_INDEXES)
        db.commit()
    except (KeyError, TypeError, AttributeError, sqlite3.Error):
        return False
    finally:
        db.close()
    return True


def _names(nodes: list[dict]):
    """``(key, form, node, rank, is_label)`` of every entity's label and
    aliases."""
    for rank, d in enumerate(nodes):
        if d.get("kind") != "entity":
            continue
        yield key(d["label"]), d["label"], d["id"], rank, 1
        for alias in d.get("aliases", ()):
            yield key(alias), alias, d["id"], rank, 0


class GraphIndex:
    """Look-ups over the index of one graph.json (see :meth:`open`)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        meta = dict(db.execute("SELECT name, value FROM meta"))
        self.attrs = json.loads(meta["attrs"])
        self.inline = meta.get("inline") == "1"
        self.by_doc = meta.get("by_doc") == "1"

    @classmethod
    def open(cls, graph: Path, notice=None) -> "GraphIndex | None":
        """The index of ``graph`` (a build folder or its graph.json), made
        or made anew when missing or out of date (``notice`` is called with
        a line for the user first); None when graph.json is missing or not
        a readable graph, or the index cannot be written beside it."""
        path = Path(graph)
        if path.is_dir():
            path = path / "graph.json"
        try:
            stamp = fingerprint(path)
        except OSError:
            return None
        target = index_path(path)
        db = _open_current(target, stamp)
        if db is None:
            try:
                fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp",
                                           dir=target.parent)
                os.close(fd)
            except OSError:
                return None
            if notice is not None and int(stamp.split(":")[0]) >= NOTICE_AT:
                notice(f"indexing {path} for this and later look-ups ({target.name})")
            try:
                if not _make(path, Path(tmp), stamp):
                    return None
                as_created(tmp)
                os.replace(tmp, target)
            except OSError:
                return None
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            db = _open_current(target, stamp)
            if db is None:
                return None
        return cls(db)

    def close(self) -> None:
        self.db.close()

    def find(self, name: str) -> list[str]:
        """:func:`kg.lookup.find` over the index."""
        exact: dict[str, None] = {}
        alias: dict[str, None] = {}
        for node, is_label in self.db.execute(
                "SELECT node, is_label FROM names WHERE key = ? ORDER BY rank, is_label DESC",
                (key(name),)):
            (exact if is_label else alias)[node] = None
        return list(exact) + [n for n in alias if n not in exact]

    def labels(self) -> set[str]:
        """Every entity's label and aliases (for :func:`kg.lookup.closest`)."""
        return {form for (form,) in self.db.execute("SELECT DISTINCT form FROM names")}

    def around(self, node: str) -> nx.MultiDiGraph:
        """The part of the graph :func:`kg.lookup.describe` and
        :func:`kg.timeline.timeline` read for ``node``: the node, its edges,
        the nodes at their other ends, the documents naming it or reporting
        its metrics and those documents' places, with their records as in
        the whole graph."""
        edges = self.db.execute(
            "SELECT rank, record FROM edges WHERE source = ? UNION "
            "SELECT rank, record FROM edges WHERE target = ? ORDER BY rank",
            (node, node)).fetchall()
        edge_records = [json.loads(r) for _, r in edges]
        records: dict[str, tuple[int, dict]] = {}
        self._fetch(records, {node} | {e["source"] for e in edge_records}
                    | {e["target"] for e in edge_records})
        own = records[node][1]
        docs = set(own.get("docs", ())) | {
            r.get("doc") for _, r in records.values()
            if r.get("kind") == "metric" and r.get("about") == node}
        self._fetch(records, {f"doc:{d}" for d in docs if isinstance(d, str)})
        self._fetch(records, {r.get("place") for _, r in records.values()
                              if r.get("kind") == "document" and r.get("place")})
        data = {"graph": dict(self.attrs),
                "nodes": [r for _, r in sorted(records.values(), key=lambda x: x[0])],
                "edges": edge_records}
        if not self.inline:
            data["sentences"] = self._sentences(data)
        _restore_sentences(data)
        return _node_link_graph(data)

    def _fetch(self, records: dict, ids: set) -> None:
        """Add the ``(rank, record)`` of the nodes ``ids`` not yet in ``records``."""
        todo = sorted(i for i in ids if isinstance(i, str) and i not in records)
        for nid, rank, record in self._rows_in("SELECT id, rank, record FROM nodes WHERE id",
                                               todo):
            records[nid] = (rank, json.loads(record))

    def _rows_in(self, select: str, values: list, first: tuple = ()):
        """The rows of ``select … IN (values)`` (after the parameters
        ``first``), asked 500 values at a time (SQLite caps the parameters
        of one statement)."""
        for i in range(0, len(values), 500):
            part = values[i:i + 500]
            yield from self.db.execute(f"{select} IN ({','.join('?' * len(part))})",
                                       (*first, *part))

    def _sentences(self, data: dict) -> dict:
        """The texts of the sentences the records of ``data`` cite, as
        graph.json holds them: by document, then number (format 2: by
        number)."""
        cited: dict = {}
        for item in (*data["nodes"], *data["edges"]):
            for ev in item.get("evidence") or ():
                if isinstance(ev, dict) and type(ev.get("sentence")) is int:
                    doc = ev.get("doc") if self.by_doc else ""
                    if isinstance(doc, str):
                        cited.setdefault(doc, set()).add(ev["sentence"])
        texts = {doc: dict(self._rows_in("SELECT n, text FROM sentences WHERE doc = ? AND n",
                                         sorted(numbers), (doc,)))
                 for doc, numbers in sorted(cited.items())}
        return texts if self.by_doc else texts.get("", {})


def _open_current(target: Path, stamp: str) -> sqlite3.Connection | None:
    """The index at ``target`` if it is of this version and of the graph
    whose :func:`~kg.io.fingerprint` is ``stamp``, else None."""
    if not target.is_file():
        return None
    try:
        db = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        meta = dict(db.execute("SELECT name, value FROM meta"))
    except sqlite3.Error:   # not an index, or a damaged one
        db.close()
        return None
    if meta.get("version") != INDEX_VERSION or meta.get("graph") != stamp:
        db.close()
        return None
    return db

