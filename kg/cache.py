"""Per-document cache of the extraction stage, under the build folder.

An entry is keyed by the document's bytes, its id and the pipeline's
version: a hash of the package's code and data files and of the user's
lexicon folder, so a change of code or lexicon invalidates exactly what it
must.  Entries are pickles written atomically; an unreadable entry is
treated as missing.

Beside the entries, the record of the last build into the folder
(:data:`RECORD`): a digest of everything its outputs were made from (the
documents' paths and bytes, the pipeline's version, the versions of the
libraries that shape the outputs) and the size and time of each output
as it left them.  A build whose inputs have that digest while the outputs
are as recorded has nothing to do (:func:`last_build`).  The record also
keeps the id, entry key and path of each document read, so that a build
whose files changed can tell whether what was read from them did
(:func:`last_documents`).
"""
from __future__ import annotations

import hashlib
import json
import pickle
from functools import lru_cache
from pathlib import Path

from . import __version__
from .io import write_atomic

__all__ = ["pipeline_version", "entry_key", "entry_bytes", "load_entry", "store_entry", "store_pickled",
           "CACHE_DIR", "RECORD", "build_key", "inputs_digest", "last_build", "last_documents",
           "record_build"]

CACHE_DIR = ".cache"
#: The record of the last build, in :data:`CACHE_DIR`
RECORD = "last-build.json"
#: The installed libraries whose versions can change the outputs' bytes
#: (segmentation, the graph's order, the page, the RDF terms)
_LIBRARIES = ("jieba", "rjieba", "networkx", "pyvis", "rdflib")


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


def entry_path(cache_dir: Path, key: str) -> Path:
    """Where the entry of ``key`` is stored."""
    return Path(cache_dir) / key[:2] / f"{key}.pickle"


def load_entry(cache_dir: Path, key: str):
    path = entry_path(cache_dir, key)
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
    write_atomic(entry_path(cache_dir, key), data, durable=False)


def _library_versions() -> str:
    from importlib import metadata
    out = []
    for name in _LIBRARIES:
        try:
            out.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name}=-")
    return ";".join(out)


def build_key(version: str, settings: str = "") -> str:
    """What, besides the documents, shapes a build's outputs: the
    pipeline's ``version``, the libraries' versions and the build's
    ``settings``."""
    return hashlib.sha1(f"{version}\0{_library_versions()}\0{settings}".encode("utf-8")).hexdigest()


def inputs_digest(files, problems, version: str, settings: str = "") -> str:
    """A digest of what a build's outputs are made of: every document file
    (its path and bytes, or why it cannot be read), the paths that could
    not be listed, the pipeline's ``version``, the libraries' versions and
    the build's ``settings``."""
    h = hashlib.sha1(f"edukg-build-1\0{build_key(version, settings)}".encode("utf-8"))
    for f in files:
        h.update(str(f).encode("utf-8", "surrogateescape") + b"\0")
        try:
            h.update(hashlib.sha1(Path(f).read_bytes()).digest())
        except OSError as exc:
            h.update(f"unreadable: {exc.strerror}".encode("utf-8"))
    for path, reason in problems:
        h.update(f"\0{path}\0{reason}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _outputs_state(out_dir: Path, names) -> dict[str, list[int]] | None:
    """Each output's size and modification time (ns), None if one is missing."""
    state = {}
    for name in names:
        try:
            st = (Path(out_dir) / name).stat()
        except OSError:
            return None
        state[name] = [st.st_size, st.st_mtime_ns]
    return state


def record_build(out_dir: Path, names, digest: str, summary: dict,
                 skipped: list[tuple[str, str]], documents=(), key: str = "") -> None:
    """Record that the outputs ``names`` now in ``out_dir`` were built from
    inputs of ``digest``, with their ``summary`` and the files ``skipped``
    (call it while the outputs are as the build left them: under the
    folder's lock); ``documents``, the ``(document id, entry key, path)``
    of each document read, in order, and ``key``, the :func:`build_key`,
    tell a later build which documents it must compare
    (:func:`last_documents`)."""
    state = _outputs_state(out_dir, names)
    if state is None:
        return
    record = {"inputs": digest, "outputs": state, "summary": summary,
              "skipped": [list(s) for s in skipped], "build": key,
              "documents": [list(d) for d in documents]}
    write_atomic(Path(out_dir) / CACHE_DIR / RECORD,
                 json.dumps(record, ensure_ascii=False, sort_keys=True), durable=False)


def last_build(out_dir: Path, names, digest: str) -> dict | None:
    """The record of the last build into ``out_dir`` (``summary`` and
    ``skipped``, as :func:`record_build` wrote them) when it was built from
    inputs of ``digest`` and its outputs ``names`` are as it left them;
    otherwise None (a record that cannot be read is no record)."""
    record = _record(out_dir, names)
    if record is None or record.get("inputs") != digest:
        return None
    return {"summary": record["summary"], "skipped": [tuple(s) for s in record["skipped"]]}


def last_documents(out_dir: Path, names, key: str) -> dict | None:
    """What the last build into ``out_dir`` recorded of its documents, when
    it was made with the build key ``key`` (:func:`build_key`) and its
    outputs ``names`` are as it left them: ``documents``, the ``(document
    id, entry key, path)`` of each document it read, in order, and its
    ``summary``; None otherwise."""
    record = _record(out_dir, names)
    if record is None or record.get("build") != key:
        return None
    documents = record.get("documents")
    if not isinstance(documents, list) or not all(
            isinstance(d, list) and len(d) == 3 and all(isinstance(x, str) for x in d)
            for d in documents):
        return None
    return {"summary": record["summary"], "documents": [tuple(d) for d in documents]}


def _record(out_dir: Path, names) -> dict | None:
    """The record of the last build into ``out_dir`` when it is readable and
    its outputs ``names`` are as it left them, else None."""
    try:
        record = json.loads((Path(out_dir) / CACHE_DIR / RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("outputs") != _outputs_state(out_dir, names) \
            or not _is_summary(record.get("summary")):
        return None
    skipped = record.get("skipped")
    if not isinstance(skipped, list) or not all(isinstance(s, list) and len(s) == 2
                                                for s in skipped):
        return None
    return record


def _is_summary(summary) -> bool:
    """Whether ``summary`` is what ``build_summary`` makes: documents and
    metrics counted, entities counted by type."""
    return isinstance(summary, dict) \
        and all(isinstance(summary.get(k), int) for k in ("documents", "metrics")) \
        and isinstance(summary.get("entities"), dict) \
        and all(isinstance(v, int) for v in summary["entities"].values())
