"""graph.html kept in a rebuild when the part of the graph it draws is as
it was.

Past :data:`~kg.viz.PAGE_NODE_LIMIT` entities and documents, the page
draws a part of the graph (:func:`~kg.viz.records_page_part`): the most
connected nodes (:func:`~kg.viz.records_page_nodes`), the metrics about
them, and the edges between them (at most
:data:`~kg.viz.PAGE_EDGE_LIMIT`: the first by
:func:`~kg.viz.page_edge_key`).  The page is made of that part, its title,
its assets and its summary line (the whole graph's counts) alone.

A build with the cache keeps a record of the page (:func:`_part_record`):
the nodes drawn; a checksum of its frame (title, its own CSS and script,
the graph's attributes), of each document and metric drawn, and of each
source's edges drawn; the key of the last edge drawn when it draws as many
as it may; and where the summary is in the file.  A rebuild finds what its
change reached (:func:`~kg.splice.reach`, against the Turtle written with
this record) and keeps the page, copied with its summary written again,
when:

- the nodes drawn are the same (their neighbours counted again: 0.4 s at
  16M characters);
- no entity drawn was reached, and the reached documents and metrics
  drawn have the attributes they had;
- each reached source drawn has the same edges drawn, those ordered up to
  the last edge drawn (so no edge came into or went out of the part);
- the frame is the same.

Else the page is made anew (8 s at 16M characters), and its record with
it.  A page kept is byte for byte the page made anew (tests compare them
over random sequences of changes).
"""
from __future__ import annotations

import hashlib
import json
import mmap
import os
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from . import viz
from .io import replacing
from .viz import (_asset, _esc, iter_records_html, page_edge_key,
                  records_page_nodes, records_page_part, records_summary, stream_records_html)

__all__ = ["PAGE_INDEX_FILE", "write_page_kept"]

#: The page's record, under the cache folder.
PAGE_INDEX_FILE = "graph.html.index.json"


def _frame_print(records, title: str) -> str:
    """A checksum of the page's frame: its title, the graph's attributes
    and its own CSS and script (``kg/data/viz/*.js`` and ``*.css`` are not
    in the pipeline's hash; vis-network's are pyvis's, whose version is)."""
    h = hashlib.blake2b(digest_size=16)
    for text in (title, json.dumps(records.graph, sort_keys=True), _asset("page.css"),
                 _asset("page.js")):
        h.update(text.encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


def _small_nodes(records, keep: set) -> list:
    """The documents (and bare document nodes) of ``keep``, and the
    metrics about one of ``keep``: the nodes drawn but the entities."""
    return [n for n in keep if not records.is_entity(n)] + records.metrics_about(keep)


def _node_print(records, n) -> str:
    """A checksum of the attributes of node ``n``."""
    return hashlib.blake2b(repr(sorted(dict(records.attrs(n)).items())).encode(
        "utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _edges_print(edges) -> str:
    """A checksum of a source's edges ``(u, v, key, attrs)``, in order."""
    h = hashlib.blake2b(digest_size=12)
    for _, v, k, d in edges:
        h.update(repr((v, k, d.get("predicate"), d.get("weight"),
                       d.get("evidence"))).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _part_record(records, keep: set, edges: list, title: str, cut: tuple | None) -> dict:
    """The page's record but where its file is: of the nodes ``keep``,
    the ``edges`` drawn (those up to ``cut``, the key of the last, when
    some were left out)."""
    sources = {u: _edges_print(run) for u, run in groupby(edges, itemgetter(0))}
    return {"keep": sorted(keep, key=str), "frame": _frame_print(records, title),
            "small": {n: _node_print(records, n) for n in _small_nodes(records, keep)},
            "cut": None if cut is None else list(cut), "sources": sources}


def _unchanged(records, keep: set, before: dict, reached: tuple, title: str) -> bool:
    """Whether the part of the graph the page drew, recorded in
    ``before``, is as it was, given what the change ``reached`` (of
    :func:`~kg.splice.reach`: no node or source it leaves out changed)
    and the nodes drawn now, ``keep``."""
    _, nodes, sources = reached
    small, old_small = _small_nodes(records, keep), before.get("small") or {}
    if before.get("keep") != sorted(keep, key=str) \
            or any(records.is_entity(n) for n in keep & nodes) \
            or len(small) != len(old_small) or not old_small.keys() >= set(small) \
            or any(_node_print(records, n) != old_small[n] for n in small if n in nodes) \
            or before.get("frame") != _frame_print(records, title):
        return False
    cut = tuple(before["cut"]) if before.get("cut") is not None else None
    old = before.get("sources") or {}
    for u in sorted(keep & sources, key=str):
        edges = [e for e in records.edges_among_from(u, keep)
                 if cut is None or page_edge_key(e) <= cut]
        if (_edges_print(edges) if edges else None) != old.get(u):
            return False
    return True


def _summary_marker(title: str) -> bytes:
    """What the page has right before its summary."""
    return f'<header><div class="kg-head"><h1>{_esc(title)}</h1><p>'.encode("utf-8")


def write_page_kept(records, path: Path, old: Path | None, index_path: Path | None,
                    build: str, title: str = "edukg", change=None, reached=None) -> str:
    """Write the page of ``records`` to ``path`` (a temporary file), and
    its record to ``index_path``; when the page at ``old`` drew a part
    that is as it was (in a build of key ``build``, whose linking's memory
    ``change`` was made from, and given ``reached()``, what the change
    reached: :func:`~kg.splice.reach`), it is copied with its summary
    written again.  Returns how: ``"kept"``, ``"indexed"`` (made, its
    record kept) or ``"whole"`` (made: no ``index_path``, or the page
    draws the whole graph)."""
    keep = records_page_nodes(records) if index_path is not None else None
    if keep is None:
        stream_records_html(records, path, title)
        if index_path is not None:
            index_path.unlink(missing_ok=True)
        return "whole"
    summary = _esc(records_summary(records)).encode("utf-8")
    before = _record(index_path)
    token = change.token if change is not None else None
    if old is not None and reached is not None and change is not None \
            and _describes(before, old, build, change.before) \
            and _unchanged(records, keep, before, reached(), title):
        _copy_with(old, path, before["summary"], summary)
        record, at, how = before, before["summary"][0], "kept"
    else:
        part = records_page_part(records, keep=keep)
        record, how = _made_record(records, keep, part, title), "indexed"
        at = _written(records, part, path, title)
        if at is None:   # (no summary where it belongs: no record)
            index_path.unlink(missing_ok=True)
            return "whole"
    st = os.stat(path)
    record = {**record, "build": build, "token": token, "size": st.st_size,
              "mtime": st.st_mtime_ns, "summary": [at, at + len(summary)]}
    with replacing([index_path]) as tmp:
        tmp[index_path].write_text(json.dumps(record), "utf-8")
    return how


def _made_record(records, keep: set, part: tuple, title: str) -> dict:
    """:func:`_part_record` of the page drawing ``part``, made of the
    nodes ``keep``: when it draws as many edges as it may, the last it
    draws is the cut (whether or not others were left out: an edge that
    comes past it is left out)."""
    edges = part[1]
    cut = max(map(page_edge_key, edges)) if len(edges) >= viz.PAGE_EDGE_LIMIT else None
    return _part_record(records, keep, edges, title, cut)


def _record(index_path: Path) -> dict | None:
    try:
        record = json.loads(Path(index_path).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _describes(record: dict | None, old: Path, build: str, token: str | None) -> bool:
    """Whether ``record`` is of the page at ``old``, made by the build
    ``build`` whose linking's memory was ``token``."""
    if record is None:
        return False
    try:
        st = os.stat(old)
        a, b = record["summary"]
        return token is not None and record["build"] == build and record["token"] == token \
            and record["size"] == st.st_size and record["mtime"] == st.st_mtime_ns \
            and isinstance(a, int) and isinstance(b, int) and 0 < a <= b <= st.st_size
    except (OSError, KeyError, TypeError, ValueError):
        return False


def _copy_with(old: Path, path: Path, span: list, summary: bytes) -> None:
    """Copy the page at ``old`` to ``path``, the bytes ``span`` replaced by
    ``summary``."""
    a, b = span
    with open(old, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm, \
            open(path, "wb") as out:
        out.write(mm[:a])
        out.write(summary)
        out.write(mm[b:])


def _written(records, part: tuple, path: Path, title: str) -> int | None:
    """Write the page drawing ``part`` to ``path``; returns where its
    summary begins (None if it is not found)."""
    marker, at, pos = _summary_marker(title), None, 0
    with open(path, "wb") as fh:
        for piece in iter_records_html(records, title, part):
            data = piece.encode("utf-8")
            if at is None:
                i = data.find(marker)
                if i >= 0:
                    at = pos + i + len(marker)
            pos += len(data)
            fh.write(data)
    return at
