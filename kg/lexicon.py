"""Lexicons and patterns, loaded from data files.

The defaults ship in ``kg/data/``; ``load_lexicon(extra_dir)`` adds the files
of the same names found in a user's folder (``kg build --lexicon DIR``), so
lexicons grow without code changes:

* ``suffixes.tsv``   type, suffix, keep, bare (see the file's header);
* ``boundaries.txt`` words that end a name on its left;
* ``strong_boundaries.txt`` the fewer words that end an Event or Programme
  name on its left (those names may hold 建设, 发展 …);
* ``agencies.jsonl``, ``initiatives.jsonl`` and any ``*.jsonl``: EntityRuler-style lines
  ``{"label", "pattern", "id"}``: the pattern is recognised as a mention of
  type ``label`` whose canonical name is ``id``;
* ``regions.tsv``    named regions (read by :mod:`kg.gazetteer`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import InputError
from .model import ENTITY_TYPES

__all__ = ["Suffix", "Lexicon", "load_lexicon"]


@dataclass(frozen=True)
class Suffix:
    type: str
    suffix: str
    keep: bool
    bare: bool


@dataclass(frozen=True)
class Lexicon:
    suffixes: tuple[Suffix, ...]
    boundaries: frozenset[str]
    strong_boundaries: frozenset[str]
    patterns: tuple[tuple[str, str, str], ...]   # (label, pattern, canonical id)
    sources: tuple[str, ...] = field(default=())
    #: words after quotes that make them a channel or a slogan, not a name
    not_names_after: tuple[str, ...] = field(default=())
    #: (short, full) school name endings after a place's first character
    school_abbreviations: tuple[tuple[str, str], ...] = field(default=())

    def suffixes_of(self, etype: str) -> list[Suffix]:
        return [s for s in self.suffixes if s.type == etype]


def _lines(text: str):
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            yield line


def _parse_suffixes(text: str, where: str) -> list[Suffix]:
    out = []
    for n, line in enumerate(_lines(text), 1):
        cols = line.split("\t")
        if len(cols) < 2 or cols[0] not in ENTITY_TYPES:
            raise InputError(f"{where}: line {n}: expected 'type<TAB>suffix[<TAB>keep<TAB>bare]'")
        keep = cols[2].strip() != "n" if len(cols) > 2 else True
        bare = cols[3].strip() != "n" if len(cols) > 3 else True
        out.append(Suffix(cols[0], cols[1].strip(), keep, bare))
    return out


def _parse_patterns(text: str, where: str) -> list[tuple[str, str, str]]:
    out = []
    for n, line in enumerate(_lines(text), 1):
        try:
            obj = json.loads(line)
            label, pattern = obj["label"], obj["pattern"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise InputError(f"{where}: line {n}: expected a JSON object with "
                             "'label', 'pattern' and optional 'id'") from None
        if label not in ENTITY_TYPES:
            raise InputError(f"{where}: line {n}: unknown label {label!r}")
        out.append((label, pattern, obj.get("id") or pattern))
    return out


def _read_default(name: str) -> str:
    return resources.files("kg").joinpath(f"data/{name}").read_text("utf-8")


def _pairs(text: str) -> list[tuple[str, str]]:
    """Tab-separated ``(short, full)`` lines."""
    out = []
    for line in _lines(text):
        short, _, full = line.partition("\t")
        if short.strip() and full.strip():
            out.append((short.strip(), full.strip()))
    return out


@lru_cache(maxsize=1)
def load_short_forms() -> tuple[tuple[str, str], ...]:
    """``(short, full)`` agency name endings (教育工委, 教育工作委员会) from
    ``short_forms.tsv``."""
    return tuple(_pairs(_read_default("short_forms.tsv")))


@lru_cache(maxsize=8)
def load_lexicon(extra_dir: str | None = None) -> Lexicon:
    """The shipped lexicon, extended by the files in ``extra_dir``."""
    suffixes = _parse_suffixes(_read_default("suffixes.tsv"), "kg/data/suffixes.tsv")
    boundaries = set(_lines(_read_default("boundaries.txt")))
    strong = set(_lines(_read_default("strong_boundaries.txt")))
    not_after = set(_lines(_read_default("not_names_after.txt")))
    school_abbr = _pairs(_read_default("school_abbreviations.tsv"))
    patterns = []
    for entry in sorted(resources.files("kg").joinpath("data").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".jsonl"):
            patterns += _parse_patterns(entry.read_text("utf-8"), f"kg/data/{entry.name}")
    sources = ["kg/data"]
    if extra_dir:
        d = Path(extra_dir)
        if not d.is_dir():
            raise InputError(f"--lexicon {d}: not a folder")
        sources.append(str(d))
        if (d / "suffixes.tsv").exists():
            suffixes += _parse_suffixes((d / "suffixes.tsv").read_text("utf-8"), str(d / "suffixes.tsv"))
        if (d / "boundaries.txt").exists():
            boundaries |= set(_lines((d / "boundaries.txt").read_text("utf-8")))
        if (d / "strong_boundaries.txt").exists():
            strong |= set(_lines((d / "strong_boundaries.txt").read_text("utf-8")))
        if (d / "school_abbreviations.tsv").exists():
            school_abbr += _pairs((d / "school_abbreviations.tsv").read_text("utf-8"))
        if (d / "not_names_after.txt").exists():
            not_after |= set(_lines((d / "not_names_after.txt").read_text("utf-8")))
        for f in sorted(d.glob("*.jsonl")):
            patterns += _parse_patterns(f.read_text("utf-8"), str(f))
    # longest suffix first, so 职业技术学院 wins over 学院
    suffixes.sort(key=lambda s: (-len(s.suffix), s.type, s.suffix))
    return Lexicon(tuple(suffixes), frozenset(w.strip() for w in boundaries),
                   frozenset(w.strip() for w in strong), tuple(patterns), tuple(sources),
                   tuple(sorted(w.strip() for w in not_after)),
                   tuple(sorted(set(school_abbr), key=lambda p: (-len(p[0]), p))))
