"""Dictionaries kept in an SQLite file and read a bucket of rows at a time,
for the state of an incremental rebuild (:mod:`kg.names`, :mod:`kg.links`):
a rebuild touches a few hundred of its hundreds of thousands of entries, so
it reads those, writes back those it changed, and never loads the rest.

A table is saved as buckets of about :data:`BUCKET_ROWS` entries, one
SQLite row each (a key's bucket: a CRC of its spelling, or with
``by_head`` of its spelling but for its last string, so that the entries
whose keys begin with one tuple are one bucket: :meth:`LazyTable.prefix`).
SQLite costs about 4.5 µs a row to insert, more than pickling a small
value takes: a row per entry made saving three times as slow.  Each entry
is pickled apart inside its bucket, so a bucket read unpickles only the
entries asked for, and an entry not set again is written back as it was
read.

A key is a string or a tuple of strings, spelt joined by ``\\x1f`` (no text
of a build holds a control mark: cleaning removes them).  A value changed
in place must be set again (``table[k] = value``) for
:meth:`LazyTable.flush` to write it.
"""
from __future__ import annotations

import io
import marshal
import os
import pickle
import sqlite3
import zlib
from collections.abc import MutableMapping
from pathlib import Path

from .model import Evidence

__all__ = ["BUCKET_ROWS", "LazyTable", "save_table", "spans_only", "write_tables"]

#: Entries a bucket holds on average.  A bucket read costs about as much
#: as a row read did (one SQLite look-up; its entries' bytes are split by
#: ``marshal``), and a rebuild reads a few hundred.
BUCKET_ROWS = 8

_SEP = "\x1f"
_ABSENT = object()    # an entry known not to be there
_UNREAD = object()
_LAYOUT = -1          # the row holding a table's bucket count and grouping


def _spell(k) -> str:
    return k if isinstance(k, str) else _SEP + _SEP.join(k)


def _read(text: str):
    return tuple(text[1:].split(_SEP)) if text.startswith(_SEP) else text


def _head(spelt: str) -> str:
    """A spelt tuple key without its last string (a string key whole)."""
    if not spelt.startswith(_SEP):
        return spelt
    cut = spelt.rindex(_SEP)
    return spelt[:cut] if cut else _SEP   # (a key of one string: the empty tuple's)


def _bucket(text: str, count: int) -> int:
    return zlib.crc32(text.encode("utf-8")) % count


def _plain(value) -> bytes:
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


class _SpanPickler(pickle.Pickler):
    def reducer_override(self, obj):
        if obj.__class__ is Evidence:
            return Evidence, (obj.doc_id, obj.start, obj.end, "")
        return NotImplemented


def spans_only(value) -> bytes:
    """``value`` pickled with each :class:`~kg.model.Evidence` record as
    its span alone (its sentence is its document's, kept there): every
    record of a state pickled whole carries its sentence's text."""
    out = io.BytesIO()
    _SpanPickler(out, pickle.HIGHEST_PROTOCOL).dump(value)
    return out.getvalue()


def save_table(db: sqlite3.Connection, name: str, items, dumps=_plain,
               by_head: bool = False) -> None:
    """Write table ``name`` anew with ``items`` (``(key, value)``), in
    buckets (by each key's head with ``by_head``: :meth:`LazyTable.prefix`
    then reads one bucket)."""
    rows = [(_spell(k), dumps(v)) for k, v in items]
    count = max(1, len(rows) // BUCKET_ROWS)
    buckets: list[dict[str, bytes]] = [{} for _ in range(count)]
    for text, blob in rows:
        buckets[_bucket(_head(text) if by_head else text, count)][text] = blob
    db.execute(f'DROP TABLE IF EXISTS "{name}"')
    db.execute(f'CREATE TABLE "{name}" (b INTEGER PRIMARY KEY, v BLOB)')
    db.execute(f'INSERT INTO "{name}" VALUES (?, ?)', (_LAYOUT, marshal.dumps((count, by_head))))
    db.executemany(f'INSERT INTO "{name}" VALUES (?, ?)',
                   ((b, marshal.dumps(entries)) for b, entries in enumerate(buckets) if entries))


def write_tables(path: Path, tables, dumps=_plain) -> None:
    """Write a new SQLite file at ``path`` (through a temporary file, so a
    reader never finds half of one) with ``tables``: ``(name, items)``, or
    ``(name, items, by_head)``."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        for name, items, *by_head in tables:
            save_table(db, name, items, dumps, *by_head)
        db.commit()
    finally:
        db.close()
    os.replace(tmp, path)


class LazyTable(MutableMapping):
    """Table ``name`` of ``db`` as a dictionary, each entry read (with its
    bucket) when first asked for and kept; :meth:`flush` writes back the
    buckets of the entries set or deleted (pickled by ``dumps``)."""

    def __init__(self, db: sqlite3.Connection, name: str, dumps=_plain) -> None:
        self.db, self.name, self.dumps = db, name, dumps
        row = db.execute(f'SELECT v FROM "{name}" WHERE b = ?', (_LAYOUT,)).fetchone()
        if row is None:
            raise ValueError(f"table {name!r} is not a saved LazyTable")
        self.count, self.by_head = marshal.loads(row[0])
        self.seen: dict = {}   # key -> value, or _ABSENT
        self.dirty: set = set()
        self._raw: dict[int, dict[str, bytes]] = {}   # bucket -> spelt key -> pickled value
        self._heads: dict[tuple, set] = {}   # a tuple key set here, by its head

    def _where(self, k) -> tuple[str, int]:
        text = _spell(k)
        return text, _bucket(_head(text) if self.by_head else text, self.count)

    def _fetch(self, buckets) -> None:
        """Read the buckets not yet read, a few hundred a query."""
        todo = sorted({b for b in buckets if b not in self._raw})
        for b in todo:
            self._raw[b] = {}
        for i in range(0, len(todo), 500):
            part = todo[i:i + 500]
            for b, blob in self.db.execute(
                    f'SELECT b, v FROM "{self.name}" WHERE b IN ({",".join("?" * len(part))})',
                    part):
                self._raw[b] = marshal.loads(blob)

    def _value(self, k):
        v = self.seen.get(k, _UNREAD)
        if v is _UNREAD:
            text, b = self._where(k)
            self._fetch((b,))
            blob = self._raw[b].get(text)
            v = self.seen[k] = pickle.loads(blob) if blob is not None else _ABSENT
        return v

    def load(self, keys) -> None:
        """Read the entries of ``keys`` not yet read, their buckets a few
        hundred a query (one query a bucket costs about 40 µs more)."""
        todo = [(k, *self._where(k)) for k in keys if k not in self.seen]
        self._fetch(b for _, _, b in todo)
        for k, text, b in todo:
            blob = self._raw[b].get(text)
            self.seen[k] = pickle.loads(blob) if blob is not None else _ABSENT

    def __getitem__(self, k):
        v = self._value(k)
        if v is _ABSENT:
            raise KeyError(k)
        return v

    def __contains__(self, k) -> bool:
        return self._value(k) is not _ABSENT

    def __setitem__(self, k, v) -> None:
        self.seen[k] = v
        self.dirty.add(k)
        if isinstance(k, tuple) and len(k) > 1:
            self._heads.setdefault(k[:-1], set()).add(k)

    def __delitem__(self, k) -> None:
        if self._value(k) is _ABSENT:
            raise KeyError(k)
        self.seen[k] = _ABSENT
        self.dirty.add(k)

    def _stored(self, buckets) -> list:
        """The keys stored in ``buckets`` (read first)."""
        self._fetch(buckets)
        return [_read(text) for b in buckets for text in self._raw[b]]

    def _all_buckets(self) -> list[int]:
        return [b for (b,) in self.db.execute(f'SELECT b FROM "{self.name}" WHERE b >= 0')]

    def prefix(self, head: tuple) -> dict:
        """The entries whose keys are the tuple ``head`` and one string
        more (one bucket read for a table saved ``by_head``)."""
        buckets = [_bucket(_spell(head), self.count)] if self.by_head else self._all_buckets()
        n = len(head) + 1
        keys = [k for k in self._stored(buckets)
                if isinstance(k, tuple) and len(k) == n and k[:-1] == head]
        keys += [k for k in self._heads.get(head, ()) if k not in keys]
        self.load(keys)
        return {k: self.seen[k] for k in keys if self.seen[k] is not _ABSENT}

    def __iter__(self):
        stored = self._stored(self._all_buckets())
        for k in stored:
            if self.seen.get(k, _UNREAD) is not _ABSENT:
                yield k
        known = set(stored)
        for k, v in list(self.seen.items()):
            if v is not _ABSENT and k not in known:
                yield k

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def flush(self) -> None:
        """Write back the buckets of the entries set or deleted since the
        last flush (the others' entries as they were read)."""
        where = {k: self._where(k) for k in self.dirty}
        self._fetch(b for _, b in where.values())
        for k, (text, b) in where.items():
            v = self.seen[k]
            if v is _ABSENT:
                self._raw[b].pop(text, None)
            else:
                self._raw[b][text] = self.dumps(v)
        touched = {b for _, b in where.values()}
        self.db.executemany(f'INSERT OR REPLACE INTO "{self.name}" VALUES (?, ?)',
                            ((b, marshal.dumps(self._raw[b])) for b in sorted(touched)))
        self.dirty.clear()
