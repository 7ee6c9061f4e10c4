"""Document metadata from the header and signature lines: title,
publisher, date and place.

Read from the raw text (before boilerplate is removed, since 发布日期 and
来源 lines are boilerplate to the extractor but metadata here).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .clean import normalize
from .gazetteer import Division, Gazetteer

__all__ = ["Meta", "read_meta", "find_title", "find_publisher", "find_date", "find_place"]

_TITLE_WORDS = ("工作总结", "工作要点", "规划", "计划", "通知", "意见", "方案", "报告",
                "重点工作", "要点", "总结", "纲要", "办法", "决定")
_SOURCE = re.compile(r"(?:信息来源|来源|发布机构|发文机关|发布单位)\s*[::]\s*([^\s:: ]{2,30})")
_DATE_FIELD = re.compile(r"(?:发布日期|发布时间|成文日期|发文日期|日期)\s*[::]\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_CN_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_ORG_END = re.compile(r"(教育局|教育厅|教育部|人民政府|教育委员会|教委|办公室|办公厅|委员会|管理局|社会事业局)")
#: The salutation of a notice (各县(市、区)教育局:): its readers, not its author.
_ADDRESSEES = re.compile(r"^各|.*[::]$")
_TITLE_ORG = re.compile(r"^([\u4e00-\u9fff*X]{2,20}?(?:教育局|教育厅|教育部|人民政府|教育委员会|教委|委员会|管理局))")


@dataclass(frozen=True)
class Meta:
    title: str = ""
    publisher: str = ""
    date: str = ""
    place: str = ""


def _lines(raw: str) -> list[str]:
    """Non-empty header lines; a line flattened from PDF (very long, with
    spaced fields) is split at its runs of spaces."""
    out = []
    for ln in normalize(raw).split("\n"):
        ln = ln.strip()
        if len(ln) > 200:
            out.extend(p for p in re.split(r"\s+", ln[:2000]) if p)
        elif ln:
            out.append(ln)
    return out


def find_title(lines: list[str]) -> str:
    """The first short header line that reads like a document title."""
    for ln in lines[:25]:
        if 6 <= len(ln) <= 60 and not re.search(r"[。,;:,;:]$|^[一二三四五六七八九十\d]+[、.]", ln) \
                and any(w in ln for w in _TITLE_WORDS) and "位置" not in ln and not ln.startswith(">"):
            return re.split(r"\s", ln)[0] if len(ln) > 40 and " " in ln else ln
    return next((ln for ln in lines[:10] if 4 <= len(ln) <= 60 and not _ADDRESSEES.match(ln)), "")


def _clean_org(name: str) -> str:
    name = re.sub(r"(办公室|办公厅)$", "", name) if re.search(r"(局|厅|政府|委)(办公室|办公厅)$", name) else name
    return name


def find_publisher(lines: list[str], title: str) -> str:
    """From a 来源/信息来源 field, else the agency opening the title, else
    a signature line (an agency name alone on a line near a date)."""
    for ln in lines[:30]:
        m = _SOURCE.search(ln)
        if m and _ORG_END.search(m.group(1)):
            return _clean_org(_ORG_END.split(m.group(1))[0] + _ORG_END.search(m.group(1)).group(1))
    m = _TITLE_ORG.match(title)
    if m:
        return m.group(1)
    for i, ln in enumerate(lines):
        if len(ln) <= 20 and re.fullmatch(r"[\u4e00-\u9fff*X()]+", ln) and _ORG_END.search(ln) \
                and any(_CN_DATE.search(x) for x in lines[i + 1:i + 3]):
            return _clean_org(ln)
    for ln in lines[:5]:
        m = re.match(r"^([\u4e00-\u9fff]{2,20}?(?:人民政府|教育局))(?:文件)?\b", ln)
        if m and not _ADDRESSEES.match(ln):
            return m.group(1)
    return ""


def find_date(lines: list[str]) -> str:
    """A 发布日期 field, else the first full date near the signature."""
    for ln in lines[:30]:
        m = _DATE_FIELD.search(ln)
        if m:
            return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    for ln in lines[:40]:
        m = _CN_DATE.search(ln)
        if m and len(ln) <= 40:
            return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return ""


def find_place(texts: list[str], gaz: Gazetteer) -> Division | None:
    """The place of the first text that opens with a division's name or
    short form (publisher first, then title)."""
    for t in texts:
        for k in range(min(len(t), 12), 1, -1):
            d = gaz.lookup(t[:k])
            if d is not None and d.level > 0:
                return d
        m = re.match(r"^(某[省市县区])", t)
        if m:
            return gaz.lookup(m.group(1))
    return None


def read_meta(raw: str, gaz: Gazetteer, body: str = "") -> tuple[Meta, Division | None]:
    """Metadata of a document, and its place as a gazetteer division.

    A relative publisher (市教育局) is completed from the place named by the
    title or the body's most frequent prefecture."""
    lines = _lines(raw)
    title = find_title(lines)
    publisher = find_publisher(lines, title)
    place = find_place([publisher, title], gaz)
    if place is None and body:
        place = _most_named_place(body, gaz)
    if place is not None and publisher and publisher[0] in "市县区省" \
            and not publisher.startswith("市场") and publisher[0] == place.name[-1]:
        publisher = place.name + publisher[1:]
    return Meta(title, publisher, find_date(lines), place.name if place else ""), place


def _most_named_place(body: str, gaz: Gazetteer) -> Division | None:
    counts: dict[Division, int] = {}
    for d in gaz.prefectures:
        n = body.count(d.short)  # the full name holds the short form
        if n:
            counts[d] = n
    return max(counts, key=lambda d: (counts[d], d.code)) if counts else None
