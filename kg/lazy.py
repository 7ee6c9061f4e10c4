"""Dictionaries kept in an SQLite file and read a row at a time, for the
state of an incremental rebuild (:mod:`kg.names`, :mod:`kg.links`): a
rebuild touches a few hundred of its hundreds of thousands of entries, so
it reads those, writes back those it changed, and never loads the rest.

A key is a string or a tuple of strings, spelt joined by ``\\x1f`` (no text
of a build holds a control mark: cleaning removes them), so the entries
whose keys begin with a tuple are one range of the table
(:meth:`LazyTable.prefix`); a value is pickled.  A value changed in place
must be set again (``table[k] = value``) for :meth:`LazyTable.flush` to
write it.
"""
from __future__ import annotations

import io
import os
import pickle
import sqlite3
from collections.abc import MutableMapping
from pathlib import Path

from .model import Evidence

__all__ = ["LazyTable", "save_table", "spans_only", "write_tables"]

_SEP = "\x1f"
_LAST = "\U0010ffff"  # after every character a key holds
_ABSENT = object()    # an entry known not to be there
_UNREAD = object()


def _spell(k) -> str:
    return k if isinstance(k, str) else _SEP + _SEP.join(k)


def _read(text: str):
    return tuple(text[1:].split(_SEP)) if text.startswith(_SEP) else text


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


def save_table(db: sqlite3.Connection, name: str, items, dumps=_plain) -> None:
    """Write table ``name`` anew with ``items`` (``(key, value)``)."""
    db.execute(f'DROP TABLE IF EXISTS "{name}"')
    db.execute(f'CREATE TABLE "{name}" (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID')
    db.executemany(f'INSERT INTO "{name}" VALUES (?, ?)',
                   ((_spell(k), dumps(v)) for k, v in items))


def write_tables(path: Path, tables, dumps=_plain) -> None:
    """Write a new SQLite file at ``path`` (through a temporary file, so a
    reader never finds half of one) with ``tables``: ``(name, items)``."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        for name, items in tables:
            save_table(db, name, items, dumps)
        db.commit()
    finally:
        db.close()
    os.replace(tmp, path)


class LazyTable(MutableMapping):
    """Table ``name`` of ``db`` as a dictionary, each entry read when first
    asked for and kept; :meth:`flush` writes back the entries set or
    deleted (pickled by ``dumps``)."""

    def __init__(self, db: sqlite3.Connection, name: str, dumps=_plain) -> None:
        self.db, self.name, self.dumps = db, name, dumps
        self.seen: dict = {}   # key -> value, or _ABSENT
        self.dirty: set = set()
        self._heads: dict[tuple, set] = {}   # a tuple key set here, by its head

    def _value(self, k):
        v = self.seen.get(k, _UNREAD)
        if v is _UNREAD:
            row = self.db.execute(f'SELECT v FROM "{self.name}" WHERE k = ?',
                                  (_spell(k),)).fetchone()
            v = self.seen[k] = pickle.loads(row[0]) if row is not None else _ABSENT
        return v

    def load(self, keys) -> None:
        """Read the entries of ``keys`` not yet read, a few hundred a query
        (one query a key costs about 40 µs more)."""
        todo = [k for k in keys if k not in self.seen]
        for k in todo:
            self.seen[k] = _ABSENT
        for i in range(0, len(todo), 500):
            part = [_spell(k) for k in todo[i:i + 500]]
            for text, blob in self.db.execute(
                    f'SELECT k, v FROM "{self.name}" WHERE k IN ({",".join("?" * len(part))})',
                    part):
                self.seen[_read(text)] = pickle.loads(blob)

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

    def prefix(self, head: tuple) -> dict:
        """The entries whose keys are the tuple ``head`` and one string
        more."""
        low = _spell(head) + _SEP
        out = {}
        for text, blob in self.db.execute(
                f'SELECT k, v FROM "{self.name}" WHERE k >= ? AND k < ?', (low, low + _LAST)):
            k = _read(text)
            if len(k) != len(head) + 1:
                continue
            v = self.seen.get(k, _UNREAD)
            if v is _UNREAD:
                v = self.seen[k] = pickle.loads(blob)
            if v is not _ABSENT:
                out[k] = v
        for k in self._heads.get(head, ()):   # set here, perhaps not yet written
            v = self.seen[k]
            if v is not _ABSENT:
                out[k] = v
        return out

    def __iter__(self):
        stored = [_read(k) for (k,) in self.db.execute(f'SELECT k FROM "{self.name}"')]
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
        """Write back the entries set or deleted since the last flush."""
        gone = [(_spell(k),) for k in self.dirty if self.seen[k] is _ABSENT]
        kept = [(_spell(k), self.dumps(self.seen[k])) for k in self.dirty
                if self.seen[k] is not _ABSENT]
        self.db.executemany(f'DELETE FROM "{self.name}" WHERE k = ?', gone)
        self.db.executemany(f'INSERT OR REPLACE INTO "{self.name}" VALUES (?, ?)', kept)
        self.dirty.clear()
