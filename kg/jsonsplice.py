"""graph.json written again only where a change reaches.

graph.json (:func:`kg.graph.iter_graph_json`) is three lists of units:
each source's edges (by source), each node (by node), and each document's
sentences (by document), the evidence records citing a sentence by its
index in its document's list, numbered in order of first citation.  A build
with the cache keeps an index of it (:class:`JsonIndex`, beside the link
memory): where each unit begins and ends, and which documents each edge or
node unit cites.

A rebuild given what its linking changed (:class:`~kg.relink.Change`) and
the units it reached (:func:`kg.splice.reach`: the same nodes and sources
as the Turtle's) writes again:

- those units;
- every unit citing a document whose numbering may have changed: a
  document linked again, added or removed, or one whose citations, in
  order, differ in a unit reached (a record of it gained, lost or moved);
  those documents' sentence lists are numbered afresh;

and copies the others' bytes from the file the index describes.  Any other
document keeps its numbering: every unit citing it is either copied, or
cites its sentences in the same order as before.  The result is byte for
byte graph.json written whole (tests compare them over random sequences of
changes); anything the index cannot vouch for writes the file whole.
"""
from __future__ import annotations

import json
import mmap
import os
import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from pathlib import Path

import numpy as np

from .graph import FORMAT, GraphRecords, _json_dumps, _JsonSpeller, write_graph_json
from .io import KERNEL_COPY_AT, collector_paused, copy_stretch, replacing
from .model import Evidence
from .splice import _CHUNK, _packed, _unpacked, describes, kept_index

__all__ = ["JsonIndex", "JSON_INDEX_FILE", "kept_json_index", "write_json_kept"]

#: The index of graph.json, under the cache folder.
JSON_INDEX_FILE = "graph.json.index.npz"

#: The sections of graph.json, as the index numbers them.
EDGES, NODES, SENTENCES = 0, 1, 2

#: An evidence record in a unit's JSON: its document (as JSON) and
#: sentence number.
_RECORD = re.compile(rb'\{"doc":("(?:[^"\\]|\\.)*"),"end":-?\d+,"sentence":(\d+),"start":-?\d+\}')

_SOURCE = itemgetter(0)


@dataclass
class JsonIndex:
    """Where each unit of a graph.json begins and ends (per section, its
    keys sorted, their starts and ends), which documents each edge or node
    unit cites (``cite_units[s]``, ``cite_docs[s]``: pairs of a unit's
    number in section ``s`` and a document's in ``docs``).  ``build`` and
    ``token``: the build key and the link memory's token it was written
    with; ``size`` and ``mtime``: the file's."""
    build: str
    token: str
    size: int
    mtime: int
    keys: list
    starts: list
    ends: list
    cite_units: list
    cite_docs: list
    docs: list

    def save(self, path: Path) -> None:
        """Write the index to ``path`` (through a temporary file)."""
        path = Path(path)
        names = "\0".join([self.build, self.token, *self.docs]).encode("utf-8", "surrogatepass")
        arrays = {"numbers": np.array([self.size, self.mtime], np.int64),
                  "names": np.frombuffer(names, np.uint8)}
        for s in (EDGES, NODES, SENTENCES):
            arrays[f"keys{s}"] = _packed(self.keys[s])
            arrays[f"starts{s}"], arrays[f"ends{s}"] = self.starts[s], self.ends[s]
        for s in (EDGES, NODES):
            arrays[f"cite_units{s}"], arrays[f"cite_docs{s}"] = \
                self.cite_units[s], self.cite_docs[s]
        with replacing([path]) as tmp, open(tmp[path], "wb") as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load(cls, path: Path) -> "JsonIndex | None":
        """The index :meth:`save` wrote; None if there is none or it cannot
        be read."""
        try:
            with np.load(Path(path)) as data:
                size, mtime = data["numbers"].tolist()
                build, token, *docs = data["names"].tobytes().decode(
                    "utf-8", "surrogatepass").split("\0")
                sections = (EDGES, NODES, SENTENCES)
                return cls(build, token, size, mtime,
                           [_unpacked(data[f"keys{s}"]) for s in sections],
                           [data[f"starts{s}"] for s in sections],
                           [data[f"ends{s}"] for s in sections],
                           [data[f"cite_units{s}"] for s in (EDGES, NODES)],
                           [data[f"cite_docs{s}"] for s in (EDGES, NODES)], docs)
        except Exception:   # (missing, cut short, of another version: a whole write)
            return None

    def describes(self, path: Path, build: str, token: str | None) -> bool:
        """Whether this is the index of the file at ``path`` as the build
        ``build`` linked against the memory ``token`` wrote it."""
        return describes(self, path, build, token)


def kept_json_index(index_path: Path | None, old: Path, change, build: str
                    ) -> JsonIndex | None:
    """The index at ``index_path`` if it describes the graph.json at
    ``old`` as written by the build ``change`` was linked against (build
    key ``build``): the index a splice may start from."""
    return kept_index(index_path, old, change, build, JsonIndex)


def write_json_kept(records: GraphRecords, path: Path, old: Path | None,
                    index_path: Path | None, change, build: str,
                    before: JsonIndex | None = None, reached=None) -> str:
    """Write graph.json of ``records`` to ``path`` (a temporary file), and
    its index to ``index_path``.  Given ``before``, the index of the
    graph.json at ``old`` (see :func:`kept_json_index`), the ``change``
    since and the units it ``reached`` (``(nodes, sources)``, of
    :func:`kg.splice.reach`), the units the change reaches are written and
    the others copied.  Returns how: ``"spliced"``, ``"indexed"`` (written
    whole, with its index) or ``"whole"`` (without: no ``index_path`` or no
    ``change``)."""
    if index_path is None or change is None:
        write_graph_json(records, path)
        if index_path is not None:
            index_path.unlink(missing_ok=True)
        return "whole"
    index, how = None, "spliced"
    if before is not None and old is not None and reached is not None:
        index = _spliced(records, change, old, before, reached, path)
    if index is None:
        index, how = _written(records, path), "indexed"
    st = os.stat(path)
    index.build, index.token, index.size, index.mtime = build, change.token, st.st_size, \
        st.st_mtime_ns
    index.save(index_path)
    return how


# ----------------------------------------------------------------- layout

def _head() -> str:
    return '{"directed":true,"edges":['


def _middle(records: GraphRecords, dumps) -> str:
    return ('],"graph":' + dumps({**records.graph, "format": FORMAT})
            + ',"multigraph":true,"nodes":[')


_OPEN_SENTENCES = '],"sentences":{'
_TAIL = "}}\n"


def _sentences_unit(dumps, doc: str, table: dict) -> str:
    return f"{dumps(doc)}:{dumps(list(table))}"


class _Writer:
    """Writes graph.json's pieces to a file, in chunks, knowing where each
    unit of a section begins and ends, and which documents it cites."""

    def __init__(self, fh, source: int | None = None) -> None:
        self.fh = fh
        self.source = source   # (the old file's descriptor, for copy)
        self.at = 0
        self.pending: list[bytes] = []
        self.size = 0
        self.first = True
        self.keys: list[list] = [[], [], []]
        self.starts: list[list] = [[], [], []]
        self.ends: list[list] = [[], [], []]
        self.cites: list[tuple[list, list]] = [([], []), ([], [])]

    def put(self, data) -> None:
        self.pending.append(data)
        self.at += len(data)
        self.size += len(data)
        if self.size >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        self.fh.write(b"".join(self.pending))
        self.pending, self.size = [], 0

    def copy(self, view: memoryview, a: int, b: int) -> None:
        """Bytes ``a`` to ``b`` of the old file (mapped as ``view``)."""
        if b - a < KERNEL_COPY_AT:
            self.put(view[a:b])
            return
        self.flush()
        copy_stretch(self.fh, view, self.source, a, b)
        self.at += b - a

    def text(self, text: str) -> None:
        """A piece between sections (the next unit is a section's first)."""
        self.put(text.encode("utf-8", "surrogatepass"))
        self.first = True

    def unit(self, section: int, key, data) -> None:
        """A unit, after a comma unless it is its section's first."""
        if not self.first:
            self.put(b",")
        self.first = False
        self.keys[section].append(key)
        self.starts[section].append(self.at)
        self.put(data)
        self.ends[section].append(self.at)

    def cite(self, section: int, docs: list[int]) -> None:
        """The documents the last unit of ``section`` cites."""
        units, numbers = self.cites[section]
        units.extend([len(self.keys[section]) - 1] * len(docs))
        numbers.extend(docs)

    def index(self, docs: list) -> JsonIndex:
        return JsonIndex("", "", 0, 0, self.keys,
                         [np.array(s, np.int64) for s in self.starts],
                         [np.array(e, np.int64) for e in self.ends],
                         [np.array(u, np.int32) for u, _ in self.cites],
                         [np.array(d, np.int32) for _, d in self.cites], docs)


def _written(records: GraphRecords, path: Path) -> JsonIndex:
    """Write graph.json of ``records`` whole to ``path``, byte for byte
    :func:`~kg.graph.write_graph_json`, and return its index (its build,
    token, size and time left to the caller)."""
    spell = _JsonSpeller(_json_dumps())
    spell.cited = cited = set()
    docs: dict[str, int] = {}
    with open(path, "wb") as fh, collector_paused():
        out = _Writer(fh)
        out.text(_head())
        for u, run in groupby(records.edges(), _SOURCE):
            out.unit(EDGES, u, ",".join([spell.edge(*e) for e in run]).encode("utf-8"))
            out.cite(EDGES, [docs.setdefault(d, len(docs)) for d in cited])
            cited.clear()
        out.text(_middle(records, spell.dumps))
        for n, d in records.nodes():
            out.unit(NODES, n, spell.node(n, d).encode("utf-8"))
            out.cite(NODES, [docs.setdefault(d, len(docs)) for d in cited])
            cited.clear()
        out.text(_OPEN_SENTENCES)
        for doc in sorted(spell.sentences):
            out.unit(SENTENCES, doc, _sentences_unit(spell.dumps, doc, spell.sentences[doc])
                     .encode("utf-8", "surrogatepass"))
        out.text(_TAIL)
        out.flush()
    return out.index(list(docs))


# ----------------------------------------------------------------- splice

class _Unsure(Exception):
    """The splice cannot vouch for what it would write: the file is
    written whole."""


class _KeptSpeller(_JsonSpeller):
    """A speller numbering the sentences of the documents ``again`` afresh
    and every other document's as the old file did (its list read from the
    old file when first needed)."""

    def __init__(self, old: "_OldFile", again: set) -> None:
        super().__init__(_json_dumps())
        self.old, self.again = old, again
        self.lengths: dict[str, int] = {}

    def table(self, doc: str) -> dict:
        table = self.sentences.get(doc)
        if table is None:   # (an old list is read, never added to, until the last pass)
            table = {} if doc in self.again else self.old.table(doc)
            self.sentences[doc] = table
            self.lengths[doc] = len(table)
        return table

    def kept_numbering(self) -> bool:
        """Whether no document numbered as before was given a new
        sentence."""
        return all(len(self.sentences[doc]) == n for doc, n in self.lengths.items()
                   if doc not in self.again)


class _OldFile:
    """The old graph.json (its bytes in ``view``) and its index."""

    def __init__(self, view: memoryview, index: JsonIndex) -> None:
        self.view, self.index = view, index
        self._docs: dict[bytes, str] = {}
        self._tables: dict[str, dict] = {}

    def unit(self, section: int, key) -> memoryview | None:
        keys = self.index.keys[section]
        i = bisect_left(keys, key)
        if i < len(keys) and keys[i] == key:
            return self.view[int(self.index.starts[section][i]):int(self.index.ends[section][i])]
        return None

    def table(self, doc: str) -> dict:
        """Document ``doc``'s sentences as the old file numbered them
        (text -> index; empty if it had none), read once: the same
        dictionary each time."""
        table = self._tables.get(doc)
        if table is None:
            data = self.unit(SENTENCES, doc)
            texts = json.loads(b"{" + bytes(data) + b"}")[doc] if data is not None else []
            table = self._tables[doc] = dict(zip(texts, range(len(texts))))
        return table

    def citations(self, section: int, key) -> list[tuple[str, int]]:
        """``(document, sentence number)`` of each record the old unit
        cites, in order."""
        data = self.unit(section, key)
        if data is None:
            return []
        docs = self._docs
        out = []
        for doc, n in _RECORD.findall(data):
            name = docs.get(doc)
            if name is None:
                name = docs[doc] = json.loads(doc)
            out.append((name, int(n)))
        return out


def _evidence_of(records: GraphRecords, section: int, key) -> list:
    """The evidence records the unit ``key`` of ``section`` cites, in the
    order graph.json spells them."""
    if section == EDGES:
        return [ev for e in records.edges_from(key) for ev in e[3]["evidence"]]
    if key not in records:
        return []
    return records.attrs(key).get("evidence") or []


def _moved(records: GraphRecords, old: _OldFile, reached: tuple, changed: set,
           speller: _KeptSpeller) -> set:
    """The documents (other than ``changed``) whose citations, in order,
    differ between the old and the new version of a unit ``reached``
    (``(nodes, sources)``): a record of one gained, lost or moved, or a
    sentence not in the old list."""
    moved: set = set()
    nodes, sources = reached
    for section, keys in ((EDGES, sources), (NODES, nodes)):
        for key in keys:
            before = [c for c in old.citations(section, key) if c[0] not in changed]
            now = []
            for ev in _evidence_of(records, section, key):
                if type(ev) is not Evidence:
                    raise _Unsure
                doc = ev.doc_id
                if doc in changed:
                    continue
                n = speller.table(doc).get(ev.sentence)
                if n is None:
                    moved.add(doc)
                now.append((doc, n))
            if before != now:
                moved |= _differing(before, now)
    return moved


def _differing(before: list, now: list) -> set:
    """The documents whose citations ``(document, number)`` differ between
    ``before`` and ``now``."""
    by_doc: dict = {}
    for i, pairs in enumerate((before, now)):
        for doc, n in pairs:
            by_doc.setdefault(doc, ([], []))[i].append(n)
    return {doc for doc, (a, b) in by_doc.items() if a != b}


def _citers(index: JsonIndex, docs: set) -> tuple[set, set]:
    """The node and source units of ``index`` citing one of ``docs``."""
    numbers = [i for i, d in enumerate(index.docs) if d in docs]
    out = []
    for section in (NODES, EDGES):
        units = np.unique(index.cite_units[section][np.isin(index.cite_docs[section], numbers)])
        keys = index.keys[section]
        out.append({keys[i] for i in units.tolist()})
    return out[0], out[1]


def _spliced(records: GraphRecords, change, old_path: Path, before: JsonIndex,
             reached: tuple, path: Path) -> JsonIndex | None:
    """Write to ``path`` graph.json of ``records`` from the file
    ``old_path`` that ``before`` indexes: the units ``reached`` and those
    citing a document renumbered made again, the others copied.  Returns
    the new index (build, token, size and time left to the caller), or None
    when the file must be written whole."""
    changed = set(change.docs)
    with open(old_path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        view = memoryview(mm)
        try:
            old = _OldFile(view, before)
            try:
                again = changed | _moved(records, old, reached, changed,
                                         _KeptSpeller(old, changed))
            except _Unsure:
                return None
            nodes, sources = _citers(before, again)
            nodes |= set(reached[0])
            sources |= set(reached[1])
            spell = _KeptSpeller(old, again)
            spell.cited = set()
            made: list[dict] = [{}, {}, {}]
            cites: list[dict] = [{}, {}]
            for u in sorted(sources):
                run = records.edges_from(u)
                made[EDGES][u] = ",".join([spell.edge(*e) for e in run]).encode("utf-8") \
                    if run else None
                cites[EDGES][u], spell.cited = spell.cited, set()
            for n in sorted(nodes):
                made[NODES][n] = spell.node(n, records.attrs(n)).encode("utf-8") \
                    if n in records else None
                cites[NODES][n], spell.cited = spell.cited, set()
            if not spell.kept_numbering():
                return None
            for doc in sorted(again):
                table = spell.sentences.get(doc)
                made[SENTENCES][doc] = _sentences_unit(spell.dumps, doc, table).encode(
                    "utf-8", "surrogatepass") if table else None
            return _write_spliced(view, before, made, cites, _middle(records, spell.dumps),
                                  path, fh.fileno())
        finally:
            view.release()


def _write_spliced(view: memoryview, before: JsonIndex, made: list, cites: list,
                   middle: str, path: Path, fd: int | None = None) -> JsonIndex:
    """Write the spliced file to ``path`` (the units ``made``, by section
    and key, bytes or None for a unit gone; the old file mapped as
    ``view``, open at ``fd``) and return its index."""
    docs = {d: i for i, d in enumerate(before.docs)}
    with open(path, "wb") as fh:
        out = _Writer(fh, fd)
        out.text(_head())
        pieces = [_splice_section(view, out, before, EDGES, made[EDGES])]
        out.text(middle)
        pieces.append(_splice_section(view, out, before, NODES, made[NODES]))
        out.text(_OPEN_SENTENCES)
        pieces.append(_splice_section(view, out, before, SENTENCES, made[SENTENCES]))
        out.text(_TAIL)
        out.flush()
    index = out.index([])
    for section in (EDGES, NODES):
        units, numbers = _kept_cites(before, section, pieces[section])
        new_units, new_docs = [], []
        for key, cited in cites[section].items():
            if made[section][key] is None:
                continue
            i = bisect_left(index.keys[section], key)
            new_units.extend([i] * len(cited))
            new_docs.extend([docs.setdefault(d, len(docs)) for d in cited])
        index.cite_units[section] = np.concatenate([units, np.array(new_units, np.int32)])
        index.cite_docs[section] = np.concatenate([numbers, np.array(new_docs, np.int32)])
    index.docs = list(docs)
    return index


def _splice_section(view: memoryview, out: _Writer, before: JsonIndex, section: int,
                    made: dict) -> np.ndarray:
    """Write one section: the old units with those ``made`` put in their
    place (None: the unit gone).  Returns, per old unit, its number in the
    new section, or -1 (made again or gone)."""
    keys, starts, ends = before.keys[section], before.starts[section], before.ends[section]
    new_of_old = np.full(len(keys), -1, np.int32)
    cursor = 0

    def copy(i: int, j: int) -> None:   # old units i..j-1, as they were
        if j <= i:
            return
        if not out.first:
            out.put(b",")
        out.first = False
        a = int(starts[i])
        at = out.at
        out.copy(view, a, int(ends[j - 1]))
        new_of_old[i:j] = np.arange(len(out.keys[section]), len(out.keys[section]) + j - i)
        out.keys[section].extend(keys[i:j])
        out.starts[section].extend((starts[i:j] - a + at).tolist())
        out.ends[section].extend((ends[i:j] - a + at).tolist())

    for key, data in sorted(made.items(), key=_SOURCE):
        i = bisect_left(keys, key, cursor)
        copy(cursor, i)
        if data is not None:
            out.unit(section, key, data)
        cursor = i + 1 if i < len(keys) and keys[i] == key else i
    copy(cursor, len(keys))
    return new_of_old


def _kept_cites(before: JsonIndex, section: int, new_of_old: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """The citations of the units copied, numbered as in the new file."""
    units = new_of_old[before.cite_units[section]]
    kept = units >= 0
    return units[kept].astype(np.int32), before.cite_docs[section][kept].astype(np.int32)
