"""Reading documents from files and folders, and writing exports atomically."""
from __future__ import annotations

import codecs
import contextlib
import fcntl
import gc
import os
import secrets
import tempfile
from dataclasses import dataclass
from functools import lru_cache, partial
from html.parser import HTMLParser
from pathlib import Path

from .errors import InputError

__all__ = ["as_created", "fingerprint",
           "SUFFIXES", "MAGIC", "RawDocument", "Listing", "list_documents", "iter_paths",
           "collector_paused", "decode", "html_to_text", "read_document", "write_atomic", "write_all_atomic",
           "folder_lock", "split_large", "LARGE_BYTES", "PART_CHARS", "fork_call", "join_call", "stop_call",
           "die_with_parent", "give_back_free_memory", "replacing", "synced", "syncing", "Handoff",
           "remove_stale_temporaries"]

#: File endings read as documents.
SUFFIXES = (".txt", ".text", ".html", ".htm")

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True)
class RawDocument:
    doc_id: str
    path: str
    text: str
    encoding: str
    is_html: bool


@dataclass
class Listing:
    """The document files found under some paths, and the paths that could
    not be listed (``(path, reason)``)."""
    files: list[Path]
    problems: list[tuple[str, str]]


_BUILD_FILES = {"graph.json", "graph.ttl", "graph.html"}


def list_documents(paths, exclude=()) -> Listing:
    """Expand files and folders (recursively, not following links to
    folders) into the sorted document files; a missing path, an unreadable
    folder or a link loop is reported in ``problems``, not raised.  Hidden
    folders, folders holding an edukg build (graph.json, graph.ttl and
    graph.html) and the folders in ``exclude`` are not entered."""
    skip = {os.path.realpath(x) for x in exclude}
    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    for p in map(Path, paths):
        if p.is_symlink() and not p.exists():
            problems.append((str(p), f"{p}: broken or looping link"))
        elif not p.exists():
            problems.append((str(p), f"{p}: no such file or folder"))
        elif p.is_dir():
            def onerror(exc, top=p):
                problems.append((str(exc.filename or top),
                                 f"{exc.filename or top}: cannot be listed ({exc.strerror})"))
            for root, dirs, names in os.walk(p, followlinks=False, onerror=onerror):
                if _BUILD_FILES <= set(names):  # an edukg build folder: exports, not input
                    dirs[:] = []
                    continue
                dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                                 and os.path.realpath(os.path.join(root, d)) not in skip)
                files.extend(Path(root) / f for f in sorted(names)
                             if f.lower().endswith(SUFFIXES) and not f.startswith("."))
        else:
            files.append(p)
    seen, unique = set(), []
    for f in files:
        real = os.path.realpath(f)
        if real not in seen:
            seen.add(real)
            unique.append(f)
    return Listing(unique, problems)


def iter_paths(paths) -> list[Path]:
    """The document files under ``paths``; raises :class:`InputError` for
    the first path that cannot be listed."""
    listing = list_documents(paths)
    if listing.problems:
        raise InputError(listing.problems[0][1])
    return listing.files


#: Opening bytes of formats that are not text, with what to tell the user.
MAGIC = ((b"%PDF", "a PDF file, not text: extract its text first (e.g. pdftotext)"),
         (b"PK\x03\x04", "a zip archive (or .docx/.xlsx), not text"),
         (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file, not text"),
         (b"\x89PNG", "a PNG image, not text"), (b"\xff\xd8\xff", "a JPEG image, not text"),
         (b"GIF8", "a GIF image, not text"), (b"\x1f\x8b", "a gzip archive, not text"),
         (b"Rar!", "a RAR archive, not text"), (b"7z\xbc\xaf", "a 7-Zip archive, not text"),
         (b"\x7fELF", "a program, not text"))


def _common_ratio(text: str) -> float:
    """Share of the Chinese characters that are among GB2312's 3,755 most
    common (level 1): high for real simplified text, low for mojibake."""
    han = [c for c in text[:20_000] if "\u4e00" <= c <= "\u9fff"]
    if not han:
        return 0.0
    common = 0
    for c in han:
        try:
            b = c.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += 0xB0 <= b[0] <= 0xD7
    return common / len(han)


def decode(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), UTF-16 or GB18030.

    The encoding is detected, not assumed: known binary formats (PDF, zip,
    images …) are refused by their opening bytes; a BOM wins; then strict
    UTF-8; UTF-8 with a few broken bytes is refused with the position of
    the first; then GB18030 (a superset of GBK) or Big5, whichever gives
    common Chinese text; then charset-normalizer's best guess.
    Returns ``(text, encoding)``; raises :class:`InputError` when no encoding
    decodes the bytes cleanly.
    """
    for magic, what in MAGIC:
        if data.startswith(magic):
            raise InputError(f"{name}: {what}")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise InputError(f"{name}: bad {enc} at byte {exc.start}") from None
    if b"\x00" in data[:4096]:
        raise InputError(f"{name}: binary data, not a text document")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    replaced = data.decode("utf-8", errors="replace")
    bad = replaced.count("\ufffd")
    good = sum(1 for c in replaced if ord(c) > 127) - bad
    if good > 10 * bad:  # UTF-8 with a few broken bytes: say where, decode nothing
        raise InputError(f"{name}: invalid UTF-8 at byte {first_bad} "
                         f"({bad} undecodable sequence{'s' if bad > 1 else ''}); "
                         "repair or re-save the file as UTF-8")
    candidates = []
    for enc in ("gb18030", "big5"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _looks_chinese(text):
            candidates.append((_common_ratio(text) if enc == "gb18030" else 0.5, enc, text))
    if candidates:
        score, enc, text = max(candidates)
        return text, enc
    try:
        from charset_normalizer import from_bytes
        best = from_bytes(data[:200_000]).best()
    except ImportError:  # pragma: no cover - optional
        best = None
    if best is not None:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise InputError(f"{name}: not UTF-8 (bad byte at {first_bad}) "
                     "nor GB18030/GBK/Big5; convert it to UTF-8")


def _looks_chinese(text: str) -> bool:
    """Most non-ASCII characters are CJK ideographs or punctuation."""
    wide = [c for c in text[:20_000] if ord(c) > 127]
    if not wide:
        return True
    common = sum(1 for c in wide if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f"
                 or "\uff00" <= c <= "\uffef" or c in "“”‘’—…·")
    return common >= 0.9 * len(wide)


class _TextExtractor(HTMLParser):
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
             "title", "section", "article", "table", "ul", "ol", "dd", "dt"}
    SKIP = {"script", "style", "noscript", "head", "nav", "footer"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self._in_title = True
        if tag in self.SKIP:
            self.skip += 1
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of an HTML page, one block per line."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    body = "".join(parser.parts)
    title = parser.title.strip()
    if title and title not in body:
        body = title + "\n" + body
    return body


def read_document(path: Path) -> RawDocument:
    """Read one ``.txt`` or ``.html`` file; raises :class:`InputError`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if not data.strip():
        raise InputError(f"{path}: empty file")
    text, encoding = decode(data, str(path))
    head = text.lstrip()[:512].lower()
    is_html = path.suffix.lower() in (".html", ".htm") or head.startswith(("<!doctype html", "<html"))
    if is_html:
        text = html_to_text(text)
    if not text.strip():
        raise InputError(f"{path}: no text in the file")
    return RawDocument(doc_id=path.stem, path=str(path), text=text,
                       encoding=encoding, is_html=is_html)


#: Files larger than this are split into parts (see :func:`split_large`).
LARGE_BYTES = 8 << 20
#: The characters of each part a large file is split into.
PART_CHARS = 2_000_000


def split_large(path: Path, dest: Path, part_chars: int = PART_CHARS) -> list[Path]:
    """Stream a large text file into UTF-8 parts of about ``part_chars``
    characters, cut at line ends, in ``dest``: ``<stem>#1.txt``, ``#2`` …

    Memory stays bounded by the part size: the file is read in 4 MiB chunks
    through an incremental decoder (the encoding is detected on the first
    MiB).  Raises :class:`InputError` for undecodable bytes, with the byte
    position."""
    path, dest = Path(path), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    parts: list[Path] = []
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
        probe = head
        for trim in range(4):  # a multibyte character may be cut at the end
            try:
                _, encoding = decode(probe, str(path))
                break
            except InputError:
                if trim == 3:
                    raise
                probe = head[: len(head) - trim - 1]
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        consumed = 0
        buf = ""

        def flush(text: str) -> None:
            target = dest / f"{path.stem}#{len(parts) + 1}.txt"
            write_atomic(target, text)
            parts.append(target)

        chunk = head
        while True:
            try:
                buf += decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise InputError(f"{path}: bad {encoding} at byte {consumed + exc.start}") from None
            consumed += len(chunk)
            while len(buf) >= part_chars:
                cut = buf.rfind("\n", 0, part_chars) + 1 or part_chars
                flush(buf[:cut])
                buf = buf[cut:]
            if not chunk:
                break
            chunk = fh.read(4 << 20)
        if buf.strip():
            flush(buf)
    return parts


def fingerprint(path) -> str:
    """What changes when a file is rewritten or replaced: its size,
    modification time and inode (a build replaces its outputs by renames)."""
    st = os.stat(path)
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def as_created(path) -> None:
    """Give a temporary file (made private by :func:`tempfile.mkstemp`) the
    permissions a file created in place would have: ``0o666`` less the
    umask."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


@contextlib.contextmanager
def replacing(paths):
    """Temporary files beside ``paths``, given as a dict path -> temporary
    path, renamed over them together when the block ends (each written and
    synced by then; the renames take microseconds), or removed if it
    raises: an interrupted run leaves the previous set whole.  The old
    copies of large files are removed after the renames by a process of
    their own (:func:`free_later`)."""
    staged: dict[Path, Path] = {}
    old: list[Path] = []
    try:
        for path in map(Path, paths):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.close(fd)
            staged[path] = Path(tmp)
        yield staged
        for tmp in staged.values():
            as_created(tmp)
        old = _kept_aside(staged)
        for path, tmp in staged.items():
            os.replace(tmp, path)
    except BaseException:
        for tmp in [*staged.values(), *old]:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    free_later(old)


#: A file replaced by :func:`replacing` that is at least this large has
#: its old copy removed by a process of its own, after the rename, not by
#: the rename: a rename over a file frees the old copy's blocks and pages
#: (0.2 s for graph.json's 288 MB on ext4, half a second for a rebuild's
#: three outputs), and the build need not wait for that.
FREE_LATER_AT = 16 << 20

#: The command removing the old copies (their paths follow), started in a
#: session of its own, not waited for.
FREE_COMMAND = ("rm", "-f", "--")


def _kept_aside(staged: dict) -> list[Path]:
    """A second name (``.NAME.*.old.tmp``, which :func:`remove_stale_temporaries`
    removes if left behind) for each file of ``staged`` that exists and is
    at least :data:`FREE_LATER_AT` large, so that renaming over it frees
    nothing; those names.  A file that cannot be linked is left as it is."""
    old = []
    for path in staged:
        try:
            if os.stat(path).st_size < FREE_LATER_AT:
                continue
            aside = path.parent / f".{path.name}.{secrets.token_hex(6)}.old.tmp"
            os.link(path, aside)
        except OSError:   # (none yet, or a file system without hard links)
            continue
        old.append(aside)
    return old


def free_later(paths: list[Path]) -> None:
    """Remove ``paths`` in a process of its own (:data:`FREE_COMMAND`, in
    a session of its own, reading and writing nothing), not waited for;
    here if it cannot be started."""
    for pid in list(_FREEING):   # (those ended are reaped)
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                _FREEING.remove(pid)
        except ChildProcessError:
            _FREEING.remove(pid)
    if not paths:
        return
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)] \
        if hasattr(os, "POSIX_SPAWN_OPEN") else []
    try:
        _FREEING.append(os.posix_spawnp(FREE_COMMAND[0], [*FREE_COMMAND, *map(str, paths)],
                                        os.environ, file_actions=quiet, setsid=True))
    except (OSError, AttributeError, NotImplementedError):
        for p in paths:
            try:
                os.unlink(p)
            except OSError:
                pass


#: The processes :func:`free_later` started, until reaped.
_FREEING: list[int] = []


def write_all_atomic(files: dict, jobs: int = 1) -> None:
    """Replace several files together (:func:`replacing`).  A value is the
    file's bytes, or a function that writes the file at the path it is
    given (for outputs streamed to disk).  With ``jobs`` > 1 the first
    ``jobs - 1`` functions run in forked processes while this one writes
    the rest; an error in one of them is raised here."""
    forked, syncs = [], []
    with replacing(files) as staged:
        try:
            here = []
            for path, data in files.items():
                tmp = staged[Path(path)]
                if callable(data) and len(forked) < jobs - 1 and hasattr(os, "fork"):
                    forked.append(fork_call(partial(synced, data, tmp)))
                else:
                    here.append((data, tmp))
            # every fork started: each file written here is synced in a
            # thread while the next is written
            for data, tmp in here:
                (data if callable(data) else partial(_write_bytes, data))(tmp)
                syncs.append(syncing(tmp))
            while forked:
                join_call(*forked.pop(0))
        except BaseException:
            for pid, fd in forked:
                stop_call(pid, fd)
            raise
        finally:
            for wait in syncs:   # (no file is renamed before it is on disk)
                wait()


def _write_bytes(data: bytes, path: Path) -> None:
    with open(path, "wb") as fh:
        fh.write(data)


class Handoff:
    """A value one process hands to another forked after the handoff is
    made, without waiting for the other to take it: :meth:`send` pickles it
    to a file beside ``path`` and says so on a pipe (a pipe alone would
    block the sender until the receiver reads); :meth:`receive` waits for
    the word, then reads the file and removes it.  If the sender ends
    without sending, the receiver gets an error, not a hang."""

    def __init__(self, path: Path) -> None:
        self.path = Path(str(path) + ".handoff.tmp")
        self._read, self._write = os.pipe()

    def send(self, value) -> None:
        import pickle
        with open(self.path, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.write(self._write, b"\1")
        self.close()

    def receive(self):
        import pickle
        os.close(self._write)   # so that a sender gone without a word reads as the end
        self._write = -1
        got = os.read(self._read, 1)
        self.close()
        if not got:
            raise OSError("the process that was to hand a value over ended without it")
        try:
            with open(self.path, "rb") as fh:
                return pickle.load(fh)
        finally:
            self.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Close this end's pipe (both ends, once the other process is
        forked, each process holding its own)."""
        for fd in (self._read, self._write):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._read = self._write = -1

    def discard(self) -> None:
        """Close the pipe and remove the file, if a value was sent and not
        received (the receiver failed)."""
        self.close()
        self.path.unlink(missing_ok=True)


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector off for a while, then as it was.

    A build and its exports make millions of small acyclic objects
    (mentions, evidence, relations, graph attributes, page data); every
    full collection they trigger would walk all of them again (half of the
    corpus-wide stage once).  Reference counting still frees what is
    dropped.

    On the way out, everything made meanwhile goes to the oldest
    generation unwalked (:func:`gc.freeze` then :func:`gc.unfreeze`: two
    list splices), instead of waiting in the youngest, where the first
    allocation after :func:`gc.enable` would walk all of it: 2-3 s after a
    build of 1,000 documents.  It stays collectable by later full
    collections.  (Not when the program had frozen objects of its own:
    they would be unfrozen too.)"""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def die_with_parent(parent: int | None = None) -> None:
    """Make this (forked) process end when its parent does, so a build
    killed with SIGKILL leaves no worker behind (Linux: PR_SET_PDEATHSIG;
    elsewhere nothing).  ``parent`` is the pid the fork was made from: if it
    is already gone the process ends at once."""
    import signal
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def give_back_free_memory() -> None:
    """Give the system back the free pages inside the C heap (glibc's
    ``malloc_trim``; elsewhere nothing).

    What a stage frees between objects that live on leaves holes the heap
    cannot shrink past; their pages stay resident, and the next stage's
    allocations mostly land elsewhere.  Between the stages of a build of
    16M characters they were 120-140 MiB (after the documents and after
    link), and the peak came 20-40 MiB lower with them given back, at a
    millisecond or two each time."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@lru_cache(maxsize=1)
def _malloc_trim():
    try:
        import ctypes
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def fork_call(fn) -> tuple[int, int]:
    """Run ``fn()`` in a forked process (which reads this one's memory as
    it was at the fork); ``(pid, fd)`` of the process and of the pipe its
    pickled result, or its error, comes back on: see :func:`join_call`."""
    import pickle
    r, w = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 0
        try:
            die_with_parent(parent)
            os.close(r)
            payload = pickle.dumps((True, fn()), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:
            code = 1
            try:
                payload = pickle.dumps((False, exc))
            except Exception:
                payload = pickle.dumps((False, OSError(f"a forked process failed: {exc!r}")))
        try:
            with os.fdopen(w, "wb") as fh:
                fh.write(payload)
        except OSError:
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    return pid, r


def join_call(pid: int, fd: int):
    """Wait for a :func:`fork_call` process: its result, or its error raised."""
    import pickle
    with os.fdopen(fd, "rb") as fh:
        payload = fh.read()
    _, status = os.waitpid(pid, 0)
    if not payload:
        raise OSError(f"a forked process ended with status {status} and no result")
    ok, value = pickle.loads(payload)
    if not ok:
        raise value
    return value


#: Stretches of an old file at least this long are copied by the kernel
#: (``os.copy_file_range``: a 289 MB file in 0.07 s, against 0.1-0.3 s
#: through this process).
KERNEL_COPY_AT = 1 << 16


def copy_stretch(out, view, fd: int | None, a: int, b: int) -> None:
    """Write bytes ``a`` to ``b`` of the file open at ``fd`` (mapped as
    ``view``) to the binary file ``out``: by the kernel where it can
    (``out`` flushed first), else from ``view``."""
    if fd is not None and b - a >= KERNEL_COPY_AT and hasattr(os, "copy_file_range"):
        out.flush()
        try:
            while a < b:
                n = os.copy_file_range(fd, out.fileno(), b - a, a)
                if n <= 0:
                    break
                a += n
        except OSError:   # (another file system, an old kernel: the rest as bytes)
            pass
    if a < b:
        out.write(view[a:b])


def synced(write, path: Path) -> None:
    """``write(path)``, then the file synced to disk."""
    write(path)
    _fsync(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def syncing(path: Path):
    """Start syncing the written file ``path`` to disk in a thread, and
    return the function that waits for it (raising its error).  ``fsync``
    releases the interpreter's lock: the disk takes the file (0.3-0.4 s
    for the 378 MB Turtle of 1,000 documents) while this process writes
    the next one.  Not before a fork: start the forks first."""
    import threading
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _fsync(path)
        except BaseException as exc:  # raised by the waiter
            errors.append(exc)

    thread = threading.Thread(target=run, name=f"fsync {Path(path).name}", daemon=True)
    thread.start()

    def wait() -> None:
        thread.join()
        if errors:
            raise errors[0]
    return wait


def stop_call(pid: int, fd: int) -> None:
    import signal
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except OSError:
        pass
    try:
        os.close(fd)
    except OSError:
        pass


def remove_stale_temporaries(folder: Path, names) -> list[Path]:
    """Remove the temporary files :func:`replacing` made for ``names`` in
    ``folder`` (``.NAME.*.tmp``, and what was written beside them) and a
    killed run left behind: a killed build of a large corpus leaves
    hundreds of megabytes.  Only under :func:`folder_lock`, which every
    writer of the folder holds while its temporary files exist."""
    removed = []
    for name in names:
        for p in Path(folder).glob(f".{name}.*.tmp"):
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
    return removed


@contextlib.contextmanager
def folder_lock(folder: Path):
    """An exclusive lock on ``folder`` (a ``.kg.lock`` file in it): a second
    build into the same folder waits for the first to finish writing."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".kg.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def write_atomic(path: Path, data: str | bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename,
    so a reader never sees a half-written file; ``durable``: synced to
    disk before the rename (a cache entry need not be: a damaged one is
    read as missing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        as_created(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
