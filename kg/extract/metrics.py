"""Metrics: numbers with a unit, the indicator they measure and a year.

``67所``, ``4.4万个`` (44000), ``68亿元`` (6,800,000,000 元), ``3万余个``
(30000, a lower bound), ``百分之九十`` (90 %), ``下降1个百分点`` (a decrease
of 1 百分点).  Units and their multipliers are data (``kg/data/units.tsv``).
"""
from __future__ import annotations

import bisect
import hashlib
import re
from functools import lru_cache
from importlib import resources

from ..model import Document, Mention, Metric
from ..resolve import SentenceIndex
from ..structure import RESULT, mode_at, mode_marks, year_marks

__all__ = ["load_units", "parse_number", "extract_metrics", "attach_entities"]

_TARGET_WORDS = re.compile(r"力争|争取|确保|目标|到20\d\d年|预计|计划|拟")

#: Marks opening a quoted name (a slogan such as “两个只增不减”).
_OPEN_QUOTES = "“‘「『\"'"

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_SCALE = {"万": 10_000, "亿": 100_000_000}
_NUM = r"(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)"
#: A character every number of :data:`_NUM` opens with.
_NUMERAL = re.compile(r"[\d零〇一二两三四五六七八九十百千]")
_COMPARATORS = (("下降", "decrease"), ("减少", "decrease"), ("降低", "decrease"),
                ("提高", "increase"), ("增长", "increase"), ("提升", "increase"),
                ("增加", "increase"), ("不超过", "le"), ("不低于", "ge"), ("超过", "gt"),
                ("达到", "ge"), ("以上", "ge"), ("以内", "le"), ("以下", "le"), ("达", "ge"))
_TRIM = re.compile(r"^(?:[一二三四五六七八九十\d]+[是.、]|全年|其中|共|累计|分别|力争|确保|年内)+|"
                   r"(?:分别|累计|共计|共|均|达到|达|超过|为|约|近|以上|实现|完成|占|有|至)+$")


@lru_cache(maxsize=1)
def load_units() -> tuple[tuple[str, str, float], ...]:
    raw = resources.files("kg").joinpath("data/units.tsv").read_text("utf-8")
    rows = []
    for line in raw.splitlines():
        if line.strip() and not line.startswith("#"):
            surf, unit, mult = line.split("\t")
            rows.append((surf, unit, float(mult)))
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


def parse_number(s: str) -> float | None:
    """``4.4`` -> 4.4, ``三十`` -> 30, ``百`` -> 100, ``一百二十`` -> 120."""
    if _DECIMAL.fullmatch(s):
        return float(s)
    total, cur = 0, 0
    for ch in s:
        if ch in _CN_DIGITS:
            cur = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (cur or 1) * _CN_UNITS[ch]
            cur = 0
        else:
            return None
    return float(total + cur) if s else None


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    units = "|".join(re.escape(u) for u, _, _ in load_units())
    return re.compile(rf"(百分之)?{_NUM}([万亿])?(余|多)?({units})?")


_YEAR = re.compile(r"(20\d{2})年")
_DECIMAL = re.compile(r"\d+(?:\.\d+)?")
_AFTER_END = re.compile(r"[,;、。,:的]")
_LINK_VERB_END = re.compile(r"(达到|达|为|占|超过)$")
_CLAUSE = re.compile(r"[^,;、,:]+")
_MONEY_AFTER = re.compile(r"(投资|资金|经费|元)")
_YEAR_NUMBER = re.compile(r"(19|20)\d{2}")


@lru_cache(maxsize=1)
def _unit_table() -> dict[str, tuple[str, float]]:
    """Unit surface -> (canonical unit, multiplier), made once."""
    return {u: (c, mult) for u, c, mult in load_units()}


def _indicator(clause: str, a: int, b: int) -> str:
    before = _TRIM.sub("", clause[:a].strip(" :“”"))
    after = clause[b:].strip(" :“”")
    after = _AFTER_END.split(after)[0] if after else ""
    if len(before) >= 2 and not _LINK_VERB_END.search(clause[:a]):
        text = before if len(after) > 12 or not after else before + after
    else:
        text = before + after
    return _TRIM.sub("", text)[-30:]


def _comparator(clause: str, a: int, b: int) -> str:
    window = clause[max(0, a - 6):a] + clause[b:b + 3]
    for word, cmp in _COMPARATORS:
        if word in window:
            return cmp
    return "eq"


def extract_metrics(doc: Document, index: SentenceIndex) -> list[Metric]:
    """Every number with a unit in the document, as a metric."""
    units = _unit_table()
    marks = year_marks(doc.text)
    modes = mode_marks(doc.text, doc.title)
    out = []
    pattern = _pattern()
    for s in index.sentences:
        if not _NUMERAL.search(s.text):
            continue  # no number, no metric
        for cm in _CLAUSE.finditer(s.text):
            clause = cm.group(0)
            for m in pattern.finditer(clause):
                pct, num, scale, approx, unit = m.groups()
                if pct:
                    unit = "%"
                a, b = m.start(), m.end()
                prev = clause[max(0, a - 1):a]
                nxt = clause[b:b + 1]
                if not unit and scale and _MONEY_AFTER.match(clause[b:b + 2]):
                    unit = "元"  # 30亿投资
                if not unit:
                    continue
                if (prev and prev in "第-—~《") or prev.isdigit() \
                        or _YEAR_NUMBER.fullmatch(num):
                    continue
                if prev and prev in _OPEN_QUOTES and not num[0].isdigit():
                    continue  # “两个只增不减”: a count in words opening a quoted name
                if unit in ("个", "名", "所", "项", "门") and nxt and nxt in "月年":
                    continue  # 3个月, not a count
                value = parse_number(num)
                if value is None or (not num[0].isdigit() and len(num) == 1 and not approx
                                     and num not in "两"):
                    continue
                canon, mult = units[unit] if unit != "%" or not pct else ("%", 1.0)
                value *= _SCALE.get(scale or "", 1) * mult
                start = s.start + cm.start() + a
                end = s.start + cm.start() + b
                sm = _YEAR.search(s.text)
                year = int(sm.group(1)) if sm and "到" in s.text[max(0, sm.start() - 2):sm.start()] else None
                if year is None:
                    prior = [y for off, y in marks if off <= start]
                    year = prior[-1] if prior else doc.year
                indicator = _indicator(clause, a, b)
                if not indicator and out and out[-1].evidence.sentence == s.text:
                    indicator = out[-1].indicator  # 分别达到67%、41%: the same indicator
                target = mode_at(modes, start) != RESULT or bool(_TARGET_WORDS.search(s.text[:cm.end()]))
                mid = "metric-" + hashlib.sha1(f"{doc.doc_id}|{start}|{end}".encode()).hexdigest()[:12]
                out.append(Metric(mid, doc.doc_id, round(value, 6), canon, indicator,
                                  doc.text[start:end], year, _comparator(clause, a, b),
                                  bool(approx), "", index.evidence(doc.doc_id, start, end),
                                  "target" if target else "result"))
    return out


def attach_entities(metrics: list[Metric], mentions: list[Mention], eids: list[str | None],
                    types: dict[str, str], index: SentenceIndex,
                    doc_place: str = "") -> list[Metric]:
    """Say what each metric is about and where it counts: the nearest
    non-place entity named before the number in its clause, and the place
    named there (else the document's place); ``eids`` holds the entity id of
    each mention (None for none)."""
    out = []
    order = sorted(range(len(mentions)), key=lambda i: mentions[i].start)
    starts = [mentions[i].start for i in order]
    for met in metrics:
        ev = met.evidence
        sentence = index.at(ev.start) if ev is not None else None
        if sentence is None:
            out.append(met)
            continue
        rel = ev.start - sentence.start
        clause_start = sentence.start + max(sentence.text.rfind(c, 0, rel) for c in ",;:、") + 1
        about, place = "", ""
        # the mentions starting in the clause before the number, in list order
        window = sorted(order[bisect.bisect_left(starts, clause_start):
                              bisect.bisect_left(starts, ev.start)])
        for i in window:
            if mentions[i].end <= ev.start:
                eid = eids[i]
                if eid is not None and types.get(eid) == "Place":
                    place = eid
                elif eid is not None:
                    about = eid
        out.append(met.placed(about, place or doc_place))
    return out
