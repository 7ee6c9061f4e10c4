"""graph.html kept in a rebuild when the part of the graph it draws is as
it was.

Past :data:`~kg.viz.PAGE_NODE_LIMIT` entities and documents, the page
draws a part of the graph (:func:`~kg.viz.records_page_part`): the most
connected nodes, the metrics about them, and the edges between them.  The
page is made of that part, its title, its assets and its summary line (the
whole graph's counts) alone.  A build with the cache keeps a checksum of
what the page was made of but the summary (:func:`part_print`: the part's
nodes and edges as graph.json spells them, every sentence they cite, the
title and the assets) and where the summary is in the file.  A rebuild
whose part has the same checksum copies the old page with its summary
written again (a change to one document out of a thousand leaves the part
as it was: finding the part and its checksum takes about 3 s, making the
page 8 s at 16M characters).
"""
from __future__ import annotations

import hashlib
import json
import mmap
import os
from pathlib import Path

from .graph import _json_dumps, _JsonSpeller
from .io import replacing
from .viz import (_asset, _esc, _vis_asset, iter_records_html, records_page_part,
                  records_summary, stream_records_html)

__all__ = ["PAGE_INDEX_FILE", "part_print", "write_page_kept"]

#: The page's record, under the cache folder.
PAGE_INDEX_FILE = "graph.html.index.json"


def part_print(records, part: tuple, title: str) -> str:
    """A checksum of what the page drawing ``part`` (of
    :func:`~kg.viz.records_page_part`) is made of, but its summary."""
    spell = _JsonSpeller(_json_dumps())
    h = hashlib.blake2b(digest_size=20)
    for text in (title, spell.dumps(records.graph), _vis_asset("vis-network.css"),
                 _vis_asset("vis-network.min.js"), _asset("page.css"), _asset("page.js")):
        h.update(text.encode("utf-8", "surrogatepass") + b"\0")
    nodes, edges = part
    for n, d in nodes:
        h.update(spell.node(n, d).encode("utf-8", "surrogatepass"))
    h.update(b"\0")
    for u, v, k, d in edges:   # (as a dict: a lazy mapping's keys compared made
        # each edge's records three times)
        h.update(spell.edge(u, v, k, dict(d)).encode("utf-8", "surrogatepass"))
    for doc in sorted(spell.sentences):
        h.update(spell.dumps([doc, list(spell.sentences[doc])]).encode("utf-8",
                                                                         "surrogatepass"))
    return h.hexdigest()


def _summary_marker(title: str) -> bytes:
    """What the page has right before its summary."""
    return f'<header><div class="kg-head"><h1>{_esc(title)}</h1><p>'.encode("utf-8")


def write_page_kept(records, path: Path, old: Path | None, index_path: Path | None,
                    build: str, title: str = "edukg") -> str:
    """Write the page of ``records`` to ``path`` (a temporary file), and
    its record to ``index_path``; when the page at ``old`` drew a part with
    the same :func:`part_print` (in a build of key ``build``), it is copied
    with its summary written again.  Returns how: ``"kept"``,
    ``"indexed"`` (made, its record kept) or ``"whole"`` (made: no
    ``index_path``, or the page draws the whole graph)."""
    part = records_page_part(records) if index_path is not None else None
    if part is None:
        stream_records_html(records, path, title)
        if index_path is not None:
            index_path.unlink(missing_ok=True)
        return "whole"
    checksum = part_print(records, part, title)
    summary = _esc(records_summary(records)).encode("utf-8")
    before = _record(index_path)
    if old is not None and _describes(before, old, build, checksum):
        _copy_with(old, path, before["summary"], summary)
        at, how = before["summary"][0], "kept"
    else:
        at, how = _written(records, part, path, title), "indexed"
        if at is None:   # (no summary where it belongs: no record)
            index_path.unlink(missing_ok=True)
            return "whole"
    st = os.stat(path)
    record = {"build": build, "print": checksum, "size": st.st_size,
              "mtime": st.st_mtime_ns, "summary": [at, at + len(summary)]}
    with replacing([index_path]) as tmp:
        tmp[index_path].write_text(json.dumps(record), "utf-8")
    return how


def _record(index_path: Path) -> dict | None:
    try:
        record = json.loads(Path(index_path).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _describes(record: dict | None, old: Path, build: str, checksum: str) -> bool:
    """Whether ``record`` is of the page at ``old``, made by the build
    ``build`` from a part of checksum ``checksum``."""
    if record is None:
        return False
    try:
        st = os.stat(old)
        a, b = record["summary"]
        return record["build"] == build and record["print"] == checksum \
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
