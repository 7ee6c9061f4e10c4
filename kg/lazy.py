"""Dictionaries kept in an SQLite file and read a row at a time, for the
state of an incremental rebuild (:mod:`kg.names`): a rebuild touches a few
hundred of its tens of thousands of entries, so it reads those and writes
them back, and never loads the rest.

A key is a tuple of strings (or a string), spelt joined by ``\\x1f`` (no
text of a build holds a control mark: cleaning removes them); a value is
pickled.  Values are often changed in place (a set gains a member), so
:meth:`LazyTable.flush` writes back every entry read, not only those set.
"""
from __future__ import annotations

import pickle
import sqlite3
from collections.abc import MutableMapping

__all__ = ["LazyTable", "save_table"]

_SEP = "\x1f"
_ABSENT = object()    # an entry known not to be there
_UNREAD = object()


def _spell(k) -> str:
    return k if isinstance(k, str) else _SEP + _SEP.join(k)


def _read(text: str):
    return tuple(text[1:].split(_SEP)) if text.startswith(_SEP) else text


def save_table(db: sqlite3.Connection, name: str, items) -> None:
    """Write table ``name`` anew with ``items`` (``(key, value)``)."""
    db.execute(f'DROP TABLE IF EXISTS "{name}"')
    db.execute(f'CREATE TABLE "{name}" (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID')
    db.executemany(f'INSERT INTO "{name}" VALUES (?, ?)',
                   ((_spell(k), pickle.dumps(v, pickle.HIGHEST_PROTOCOL)) for k, v in items))


class LazyTable(MutableMapping):
    """Table ``name`` of ``db`` as a dictionary, each entry read when first
    asked for and kept; :meth:`flush` writes back what was read or set."""

    def __init__(self, db: sqlite3.Connection, name: str) -> None:
        self.db, self.name = db, name
        self.seen: dict = {}   # key -> value, or _ABSENT

    def _value(self, k):
        v = self.seen.get(k, _UNREAD)
        if v is _UNREAD:
            row = self.db.execute(f'SELECT v FROM "{self.name}" WHERE k = ?',
                                  (_spell(k),)).fetchone()
            v = self.seen[k] = pickle.loads(row[0]) if row is not None else _ABSENT
        return v

    def __getitem__(self, k):
        v = self._value(k)
        if v is _ABSENT:
            raise KeyError(k)
        return v

    def __contains__(self, k) -> bool:
        return self._value(k) is not _ABSENT

    def __setitem__(self, k, v) -> None:
        self.seen[k] = v

    def __delitem__(self, k) -> None:
        if self._value(k) is _ABSENT:
            raise KeyError(k)
        self.seen[k] = _ABSENT

    def __iter__(self):
        stored = (_read(k) for (k,) in self.db.execute(f'SELECT k FROM "{self.name}"'))
        for k in stored:
            if self.seen.get(k, _UNREAD) is not _ABSENT:
                yield k
        for k, v in list(self.seen.items()):
            if v is not _ABSENT and not self.db.execute(
                    f'SELECT 1 FROM "{self.name}" WHERE k = ?', (_spell(k),)).fetchone():
                yield k

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def flush(self) -> None:
        """Write back every entry read or set (deleting those deleted)."""
        gone = [(_spell(k),) for k, v in self.seen.items() if v is _ABSENT]
        kept = [(_spell(k), pickle.dumps(v, pickle.HIGHEST_PROTOCOL))
                for k, v in self.seen.items() if v is not _ABSENT]
        self.db.executemany(f'DELETE FROM "{self.name}" WHERE k = ?', gone)
        self.db.executemany(f'INSERT OR REPLACE INTO "{self.name}" VALUES (?, ?)', kept)
