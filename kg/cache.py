"""Per-document cache of the extraction stage, under the build folder.

An entry is keyed by the document's bytes, its id and the pipeline's
version: a hash of the package's code and data files and of the user's
lexicon folder, so a change of code or lexicon invalidates exactly what it
must.  Entries are pickles written atomically; an unreadable entry is
treated as missing.
"""
from __future__ import annotations

import hashlib
import pickle
from functools import lru_cache
from pathlib import Path

from . import __version__
from .io import write_atomic

__all__ = ["pipeline_version", "entry_key", "entry_bytes", "load_entry", "store_entry", "store_pickled",
           "CACHE_DIR"]

CACHE_DIR = ".cache"


def _hash_tree(h, root: Path, patterns=("*.py", "*.txt", "*.tsv", "*.jsonl", "*.json")) -> None:
    for pattern in patterns:
        for f in sorted(root.rglob(pattern)):
            if "__pycache__" in f.parts:
                continue
            h.update(str(f.relative_to(root)).encode("utf-8"))
            h.update(f.read_bytes())


@lru_cache(maxsize=8)
def pipeline_version(lexicon_dir: str | None = None) -> str:
    """A hash of everything that shapes extraction: code, data, lexicon."""
    h = hashlib.sha1(__version__.encode("utf-8"))
    _hash_tree(h, Path(__file__).resolve().parent)
    if lexicon_dir:
        _hash_tree(h, Path(lexicon_dir).resolve())
    return h.hexdigest()


def entry_key(doc_id: str, data: bytes, version: str) -> str:
    h = hashlib.sha1(version.encode("ascii"))
    h.update(doc_id.encode("utf-8") + b"\0")
    h.update(data)
    return h.hexdigest()


def load_entry(cache_dir: Path, key: str):
    path = Path(cache_dir) / key[:2] / f"{key}.pickle"
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def entry_bytes(value) -> bytes:
    """The pickle :func:`store_entry` writes of ``value`` (and
    :func:`load_entry` reads)."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def store_entry(cache_dir: Path, key: str, value) -> None:
    """Store ``value`` under ``key``."""
    store_pickled(cache_dir, key, entry_bytes(value))


def store_pickled(cache_dir: Path, key: str, data: bytes) -> None:
    """Store under ``key`` a value already pickled by :func:`entry_bytes`."""
    write_atomic(Path(cache_dir) / key[:2] / f"{key}.pickle", data, durable=False)
