"""Sentences with offsets, and the pipeline's own jieba tokenizer.

jieba's module-level functions share one global ``Tokenizer``, so user
dictionaries would leak between callers: the pipeline builds its own
``jieba.Tokenizer`` with the domain dictionary (``kg/data/userdict.txt``,
plus every lexicon name) and its own table of part-of-speech tags.

The tags are those of jieba's dictionary (what ``jieba.posseg`` reads too);
``jieba.posseg`` itself is not imported: it loads the tables of its
part-of-speech HMM (about 50 MiB resident for the whole build), and the
pipeline tags no word the dictionary lacks.

Segmentation (:func:`cut`) gives jieba's words exactly, but finds the most
probable path through the dictionary with jieba-rs (the ``rjieba`` wheel)
holding a copy of the tokenizer's dictionary: the same words, frequencies
and total, so the same path, several times faster than jieba's Python.
jieba's own HMM still segments the runs of characters the dictionary lacks.
Without ``rjieba`` the same path is found in Python.
"""
from __future__ import annotations

import logging
import marshal
import math
import os
import re
import tempfile
import weakref
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import accumulate, islice, repeat
from pathlib import Path
from typing import NamedTuple

from .model import slot_init


def _import_jieba():
    """``jieba``, imported without ``pkg_resources``: jieba imports it
    (0.13 s, deprecated by setuptools) only to find the files it ships,
    and without it opens the same files by their path.  A program that
    had imported ``pkg_resources`` already keeps it."""
    import sys
    if "pkg_resources" in sys.modules:
        import jieba
        return jieba
    sys.modules["pkg_resources"] = None   # (its import raises ImportError)
    try:
        import jieba
    finally:
        if "pkg_resources" in sys.modules and sys.modules["pkg_resources"] is None:
            del sys.modules["pkg_resources"]
    return jieba


jieba = _import_jieba()
from jieba import finalseg  # noqa: E402  (once jieba is in)

__all__ = ["Sentence", "split_sentences", "Token", "TaggedTokenizer", "tokenizer", "tokens",
           "cut"]

jieba.setLogLevel(logging.WARNING)


def _load_rjieba():
    """rjieba's extension module (its ``Jieba`` class), or None when rjieba
    is not installed.

    The module is loaded from its file, not through ``import rjieba``: the
    package's ``__init__`` builds a tokenizer with jieba-rs's own
    dictionary at import (33 MiB resident for the whole build, which
    never uses it).  Should the file not be found, the package is imported
    and that tokenizer emptied."""
    import importlib.machinery
    import importlib.util
    try:
        spec = importlib.util.find_spec("rjieba")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    for folder in spec.submodule_search_locations or ():
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = Path(folder) / f"rjieba{suffix}"
            if path.is_file():
                try:
                    loader = importlib.machinery.ExtensionFileLoader("rjieba.rjieba", str(path))
                    module = importlib.util.module_from_spec(
                        importlib.util.spec_from_file_location("rjieba.rjieba", path,
                                                               loader=loader))
                    loader.exec_module(module)
                    return module
                except (ImportError, OSError):  # pragma: no cover
                    break
    try:  # pragma: no cover - a layout other than the wheel's
        import rjieba
    except ImportError:  # pragma: no cover
        return None
    rjieba.clear()
    return rjieba


#: jieba-rs (the dictionary path in Rust); without it, the path is found in Python
_rjieba = _load_rjieba()


_END = re.compile(r"[。!?;！？；]+|\n+")


@slot_init
@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[Sentence]:
    """Sentences (ended by 。!?; or a line break) with offsets into ``text``.
    Closing quotes after the stop stay with the sentence.  The last few
    texts' sentences are remembered: a document is split by several stages."""
    return list(_sentences(text))


@lru_cache(maxsize=4)
def _sentences(text: str) -> tuple[Sentence, ...]:
    out, start = [], 0
    for m in _END.finditer(text):
        end = m.end()
        while end < len(text) and text[end] in "”’」』)":
            end += 1
        _add(out, text, start, end)
        start = end
    _add(out, text, start, len(text))
    return tuple(out)


def _add(out, text, start, end):
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Sentence(start, end, text[start:end]))


class Token(NamedTuple):
    """A word with its offsets and POS tag (a named tuple: millions are made)."""
    start: int
    end: int
    word: str
    pos: str


@lru_cache(maxsize=1)
def domain_dictionary() -> tuple[tuple[str, int | None, str | None], ...]:
    """``(word, frequency, tag)`` lines of the domain dictionary
    (``kg/data/userdict.txt``)."""
    out = []
    for line in resources.files("kg").joinpath("data/userdict.txt").read_text("utf-8").splitlines():
        parts = line.split()
        if parts and not line.startswith("#"):
            out.append((parts[0], int(parts[1]) if len(parts) > 1 else None,
                        parts[2].lower() if len(parts) > 2 else None))
    return tuple(out)


@dataclass(eq=False)
class TaggedTokenizer:
    """A jieba tokenizer and the part-of-speech tag of every word of its
    dictionary (the two things ``jieba.posseg.POSTokenizer`` holds that the
    pipeline reads)."""

    tokenizer: jieba.Tokenizer
    word_tag_tab: dict[str, str]


def _dictionary_tags(tk: jieba.Tokenizer) -> dict[str, str]:
    """word -> tag of jieba's dictionary file (lines ``word freq tag``, as
    ``POSTokenizer.load_word_tag`` reads them), then of the words added
    with a tag."""
    table: dict[str, str] = {}
    with tk.get_dict_file() as fh:
        text = fh.read().decode("utf-8")
    for line in text.splitlines():
        parts = line.strip().split(" ")
        if len(parts) == 3:
            table[parts[0]] = parts[2]
    table.update(tk.user_word_tag_tab)
    return table


@lru_cache(maxsize=4)
def tokenizer(extra_words: tuple[tuple[str, str], ...] = ()) -> TaggedTokenizer:
    """A fresh jieba tokenizer with the domain dictionary loaded, plus
    ``extra_words`` as ``(word, tag)`` pairs (place names as ``ns``; without
    a tag jieba would tag an added word ``x``, like punctuation)."""
    tk = _Tokenizer()
    tk.initialize()
    for word, freq, tag in domain_dictionary():
        tk.add_word(word, freq, tag)
    for w, tag in extra_words:
        tk.add_word(w, None, tag)
    return TaggedTokenizer(tk, _dictionary_tags(tk))


_HAN = re.compile(r"[\u4e00-\u9fff]")
_NUMBER = re.compile(r"[\d.%零〇一二两三四五六七八九十百千万亿*]+")
_LATIN = re.compile(r"[A-Za-z]+")


def _tag(word: str, table: dict) -> str:
    """The word's tag from jieba's dictionary; a word the dictionary lacks
    is a number (m), a Latin word (eng), punctuation (x) or, being a
    Chinese word jieba's HMM put together, most likely a name (nr)."""
    tag = table.get(word)
    if tag:
        return tag
    if _NUMBER.fullmatch(word):
        return "m"
    if _LATIN.fullmatch(word):
        return "eng"
    if len(word) > 1 and _HAN.search(word):
        return "nr"
    return "x"


def tokens(text: str, offset: int = 0, pos_tokenizer=None) -> list[Token]:
    """Tokens of ``text`` with POS tags and offsets (``offset`` added).

    Segmentation is jieba's own (with its HMM for unknown words, see
    :func:`cut`); tags come from jieba's dictionary, which is several times
    faster than jieba's character-level POS model and as good for what the
    extractors ask: is this a verb, a place, a name."""
    pt = pos_tokenizer or tokenizer()
    words = cut(pt.tokenizer, text)
    bounds = list(accumulate(map(len, words), initial=offset))
    tags = map(_tags(pt).__getitem__, words)
    return list(map(_new_tuple, repeat(Token), zip(bounds, islice(bounds, 1, None), words, tags)))


_new_tuple = tuple.__new__


class _TagMemo(dict):
    """Word -> tag as :func:`_tag` gives it: the dictionary's tags, and the
    others worked out when a word is first met."""

    def __init__(self, table: dict) -> None:
        super().__init__(table)   # a copy, then the untagged words out: 0.03 s, not 0.08
        for word in [w for w, t in table.items() if not t]:
            del self[word]
        self.table = table

    def __missing__(self, word: str) -> str:
        tag = self[word] = _tag(word, self.table)
        return tag


#: tagged tokenizer -> (tag memo, size of its table when made); weak, so a
#: tokenizer dropped by its users takes its memo with it.
_TAGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _tags(pt: TaggedTokenizer) -> _TagMemo:
    """The tag memo of a tagged tokenizer, rebuilt when its table grew."""
    hit = _TAGS.get(pt)
    if hit is None or hit[1] != len(pt.word_tag_tab):
        hit = _TAGS[pt] = (_TagMemo(pt.word_tag_tab), len(pt.word_tag_tab))
    return hit[0]


class _Tokenizer(jieba.Tokenizer):
    """jieba's tokenizer, counting the changes to its dictionary so that
    :func:`cut` knows when its jieba-rs copy (or, without rjieba, its score
    table) is out of date."""

    version = 0
    #: its jieba-rs copy (see :func:`_engine`)
    engine = None

    def initialize(self, dictionary=None):
        if not (dictionary or self.initialized or self.cache_file
                or self.dictionary != jieba.DEFAULT_DICT):
            loaded = _cached_prefix_dictionary(self.tmp_dir)
            if loaded is not None:
                self.FREQ, self.total = loaded
                self.initialized = True
        super().initialize(dictionary)   # returns at once when loaded above
        self.version += 1

    def add_word(self, word, freq=None, tag=None):
        super().add_word(word, freq, tag)
        self.version += 1


def _cached_prefix_dictionary(tmp_dir: str | None) -> tuple[dict, int] | None:
    """jieba's prefix dictionary and total from the cache jieba keeps of its
    default dictionary (``jieba.cache`` in the temporary folder), read the
    way ``Tokenizer.initialize`` reads it but four times faster: jieba's
    ``marshal.load`` of the open file reads it in small pieces (1.0 s),
    ``marshal.loads`` of its bytes does not (0.25 s).  None when there is
    no such cache or it is not one; jieba then builds it as usual."""
    path = os.path.join(tmp_dir or tempfile.gettempdir(), "jieba.cache")
    try:
        with open(path, "rb") as fh:
            freq, total = marshal.loads(fh.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(freq, dict) or not isinstance(total, int):
        return None
    return freq, total


class _Table(NamedTuple):
    """A tokenizer's dictionary as :func:`cut` reads it: every word and
    prefix -> ``log(freq) - log(total)`` (None for a bare prefix), and the
    score of a character no word starts with (``log(1) - log(total)``)."""
    version: int
    score: dict
    unknown: float


#: Tokenizer -> its score table; weak, as for :data:`_TAGS`.
_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_MISSING = object()


def _table(tk: _Tokenizer) -> _Table:
    """The score table of ``tk``, rebuilt whenever its dictionary changed."""
    tk.check_initialized()
    hit = _TABLES.get(tk)
    if hit is None or hit.version != tk.version:
        logtotal = math.log(tk.total)
        score = {w: (math.log(f) - logtotal if f else None) for w, f in tk.FREQ.items()}
        hit = _TABLES[tk] = _Table(tk.version, score, 0.0 - logtotal)
    return hit


_BLOCK = jieba.re_han_default
_SKIP = jieba.re_skip_default


def cut(tk: jieba.Tokenizer, text: str) -> list[str]:
    """The words of ``text`` exactly as ``tk.cut(text, HMM=True)`` gives
    them (jieba's accurate mode).  For the pipeline's own tokenizers (see
    :func:`tokenizer`) the dictionary path is found by jieba-rs (see
    :func:`_engine`), or without it in Python, without jieba's per-sentence
    DAG dictionary and per-edge logarithms; any other tokenizer cuts
    itself."""
    if not isinstance(tk, _Tokenizer):
        return list(tk.cut(text, HMM=True))
    engine = _engine(tk)
    if engine is not None and not _RS_ONLY.search(text):
        words = _cut_rs(text, engine, tk.FREQ)
        if words is not None:
            return words
    return _cut_py(tk, text)


def _cut_py(tk: _Tokenizer, text: str) -> list[str]:
    """:func:`cut`, the dictionary path found in Python."""
    table = _table(tk)
    score, unknown, freq = table.score, table.unknown, tk.FREQ
    out: list[str] = []
    for k, blk in enumerate(_BLOCK.split(text)):
        if not blk:
            continue
        if k % 2:  # a run of Chinese characters, letters and digits
            out += _cut_block(blk, score, unknown, freq)
        elif len(blk) == 1:  # a punctuation mark or a space
            out.append(blk)
        else:
            for n, x in enumerate(_SKIP.split(blk)):
                if n % 2:
                    out.append(x)
                else:
                    out.extend(x)
    return out


#: The characters jieba-rs takes into a run (a block of :data:`_BLOCK`)
#: and jieba does not: more CJK ideographs.  A text holding one is cut in
#: Python (``tests/test_segment.py`` checks this against jieba-rs itself).
_RS_ONLY = re.compile("[\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff\U00020000-\U0002a6df"
                      "\U0002a700-\U0002ebef\U0002f800-\U0002fa1f]")

#: The characters of a run besides the ideographs U+4E00 to U+9FD5.
_RUN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+#&._%-")


class _Engine(NamedTuple):
    version: int
    engine: object


def _engine(tk: _Tokenizer):
    """A jieba-rs tokenizer holding ``tk``'s dictionary, rebuilt whenever
    ``tk``'s changed; None without ``rjieba``.

    Every word of positive frequency is copied with its frequency.  jieba's
    total is the sum of the frequencies plus those a later ``add_word``
    replaced (it only ever adds to the total), and a path's score depends
    on the total, so the difference is given to a filler word no text
    holds: both then score every path alike."""
    if _rjieba is None:
        return None
    hit = tk.engine
    if hit is not None and hit.version == tk.version:
        return hit.engine
    tk.check_initialized()
    engine = _rjieba.Jieba.empty()
    add, summed = engine.add_word, 0
    for word, f in tk.FREQ.items():
        if f:
            add(word, f, None)
            summed += f
    if tk.total > summed:
        add(_FILLER, tk.total - summed, None)
    tk.engine = _Engine(tk.version, engine)
    return engine


#: A word no text can hold (a Unicode noncharacter): the copy's filler.
_FILLER = "\ufdd0"


def _cut_rs(text: str, engine, freq: dict) -> list[str] | None:
    """:func:`cut` with the dictionary path found by jieba-rs.

    ``engine.cut(text, False)`` splits the text into runs and the rest as
    jieba does, and gives each run's path words, except that it joins
    single ASCII letters and digits into one word.  Single characters of a
    run (those joined included: the dictionary lacks the joined word, so
    they were single on the path) are gathered and handed to jieba's HMM
    as jieba does (:func:`_flush`), at the next word of the path or the
    end of the run.  None when a joined word is in the dictionary too,
    which leaves the path unknown."""
    out: list[str] = []
    buf = ""
    for w in engine.cut(text, False):
        if len(w) == 1:
            if "\u4e00" <= w <= "\u9fd5" or w in _RUN_CHARS:
                buf += w
                continue
        elif w.isascii() and w.isalnum():
            if freq.get(w):
                return None
            buf += w
            continue
        if buf:   # a word of the path, punctuation or a space
            _flush(buf, freq, out)
            buf = ""
        out.append(w)
    if buf:
        _flush(buf, freq, out)
    return out


def _route(block: str, score: dict, fallback: float) -> list[int]:
    """For every position of ``block``, the end of the word that starts
    there on jieba's most probable path (its ``calc`` over ``get_DAG``:
    the best ``score + best[end]``, the longest word on a tie)."""
    n = len(block)
    best = [0.0] * (n + 1)
    best[n] = 0
    end = list(range(1, n + 1))
    get = score.get
    missing = _MISSING
    for k in range(n - 1, -1, -1):
        v = get(block[k], missing)
        if v is missing:  # no word starts with this character
            best[k] = fallback + best[k + 1]
            continue
        top = _NO_PATH if v is None else v + best[k + 1]
        i = k + 1
        while i < n:
            v = get(block[k:i + 1], missing)
            if v is missing:
                break
            i += 1
            if v is not None:
                s = v + best[i]
                if s >= top:
                    top = s
                    end[k] = i
        best[k] = fallback + best[k + 1] if top == _NO_PATH else top
    return end


_NO_PATH = float("-inf")


@lru_cache(maxsize=65536)
def _hmm(buf: str) -> tuple[str, ...]:
    """jieba's HMM segmentation of a run of characters its dictionary lacks."""
    return tuple(finalseg.cut(buf))


def _cut_block(block: str, score: dict, fallback: float, freq: dict) -> list[str]:
    """jieba's ``__cut_DAG``: dictionary words on the best path, and runs of
    single characters the dictionary lacks as a word handed to the HMM."""
    end = _route(block, score, fallback)
    out: list[str] = []
    n, x, buf = len(block), 0, ""
    while x < n:
        y = end[x]
        if y - x == 1:
            buf += block[x]
        else:
            if buf:
                _flush(buf, freq, out)
                buf = ""
            out.append(block[x:y])
        x = y
    if buf:
        _flush(buf, freq, out)
    return out


def _flush(buf: str, freq: dict, out: list[str]) -> None:
    if len(buf) == 1:
        out.append(buf)
    elif not freq.get(buf):
        out += _hmm(buf)
    else:
        out.extend(buf)
