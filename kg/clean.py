"""Pure text cleaners, ``str -> str``, chained by :func:`clean_text`.

Each cleaner is idempotent and independent; the chain is data
(:data:`CLEANERS`), so a caller can run a subset.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

__all__ = ["normalize", "to_simplified", "strip_boilerplate", "strip_page_marks", "strip_table_rules",
           "split_glued_items", "join_wrapped_lines", "drop_repeated_blocks", "tidy_lines",
           "CLEANERS", "clean_text"]

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def normalize(text: str) -> str:
    """NFKC (full-width forms to ASCII), one newline convention, no
    zero-width or direction marks."""
    text = unicodedata.normalize("NFKC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _INVISIBLE.sub("", text).replace("\u3000", " ").replace("\xa0", " ")


@lru_cache(maxsize=1)
def _t2s():
    import opencc
    return opencc.OpenCC("t2s")


def to_simplified(text: str, min_share: float = 0.02) -> str:
    """Traditional-Chinese text (a Hong Kong, Macao or Taiwan copy, a Big5
    file) in simplified characters, 「」 as “”, so the simplified lexicons
    read it; simplified text is left as it is.  Text counts as traditional
    when converting changes at least ``min_share`` of its Chinese characters."""
    converted = _t2s().convert(text)
    if converted == text:   # most text: no need to count its Chinese characters
        return text
    han = len(_NOT_HAN.sub("", text))
    if not han or sum(map(str.__ne__, text, converted)) < min_share * han:
        return text
    return converted.translate(_CORNER_QUOTES)


_NOT_HAN = re.compile("[^\u4e00-\u9fff]+")
_CORNER_QUOTES = str.maketrans({"「": "“", "」": "”", "『": "‘", "』": "’"})


@lru_cache(maxsize=None)
def _boilerplate_patterns() -> tuple[re.Pattern, ...]:
    raw = resources.files("kg").joinpath("data/boilerplate.txt").read_text("utf-8")
    return tuple(re.compile(line) for line in raw.splitlines()
                 if line.strip() and not line.startswith("#"))


_INLINE_CHROME = re.compile(r"(打印本页|关闭窗口|【打印】|【关闭】)\s*")


def strip_boilerplate(text: str) -> str:
    """Drop web-page chrome: breadcrumbs, 发布日期/浏览次数/字体 lines,
    关怀版, 热搜词, 打印本页 … (patterns in ``kg/data/boilerplate.txt``)."""
    pats = _boilerplate_patterns()
    out = []
    for line in text.split("\n"):
        s = line.strip()
        if s and any(p.search(s) for p in pats):
            continue
        out.append(_INLINE_CHROME.sub("", line))
    return "\n".join(out)


_PAGE_LINE = re.compile(r"^\s*(?:[-—–_]*\s*\d{1,4}\s*[-—–_]*|第\s*\d+\s*页(?:\s*[,,/]?\s*共\s*\d+\s*页)?"
                        r"|\d+\s*/\s*\d+|page\s*\d+(?:\s*of\s*\d+)?)\s*$", re.I)
#: an inline page mark and the spaces after it (those before it are taken
#: by :func:`_page_breaks`: a pattern opening with ``\s*`` is tried at every
#: offset of the text, and took twice as long)
_PAGE_INLINE = re.compile(r"(?:第\s*\d+\s*页\s*[,,/]?\s*共\s*\d+\s*页|[—–]\s*\d{1,4}\s*[—–])\s*")


def _page_breaks(text: str) -> str:
    """Every inline page mark, with the spaces around it, as a form feed."""
    out, last = [], 0
    for m in _PAGE_INLINE.finditer(text):
        a = m.start()
        while a > last and text[a - 1].isspace():
            a -= 1
        out += (text[last:a], "\f")
        last = m.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def strip_page_marks(text: str) -> str:
    """Drop the page numbers and footers a PDF leaves in its text
    (``— 3 —``, ``第 2 页 共 6 页``, ``3/12``), on their own lines or inline."""
    lines = [ln if not _PAGE_LINE.match(ln) or not ln.strip() else "\f" for ln in text.split("\n")]
    pages = _page_breaks("\n".join(lines)).split("\f")
    # a running header repeats at the top of pages: 洛阳市“十四五”教育事业发展规划
    heads = [_RUNNING_HEAD.match(pg.lstrip()) for pg in pages[1:]]
    counts: dict[str, int] = {}
    for h in heads:
        if h:
            counts[h.group(1)] = counts.get(h.group(1), 0) + 1
    out = [pages[0]]
    for pg, h in zip(pages[1:], heads):
        if h and counts[h.group(1)] >= 2:
            pg = pg.lstrip()[h.end():]
        out.append(pg)
    return "\n".join(out).replace("\n\n", "\n")  # a page break ends the line


_RUNNING_HEAD = re.compile(r"([^\s。;!?]{4,40})(?:\s+|\n|$)")


_TERMINAL = set("。!?;:…!?;:")
_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.]|[((][一二三四五六七八九十\d]+[))]|\d+[.、]|第[一二三四五六七八九十\d]+[章节部分条])")


def join_wrapped_lines(text: str, min_len: int = 20, min_share: float = 0.3) -> str:
    """Join lines a PDF wrapped in mid-sentence (``县教`` / ``育局``).

    Only in a document that looks hard-wrapped (at least ``min_share`` of
    its long lines stop without a sentence's end), and only a long line that
    stops without one onto a next line that opens no heading."""
    lines = text.split("\n")
    long_lines = [ln.rstrip() for ln in lines if len(ln.strip()) >= min_len]
    open_ends = sum(1 for ln in long_lines if ln[-1] not in _TERMINAL)
    if not long_lines or open_ends < min_share * len(long_lines) or open_ends < 2:
        return text
    out: list[str] = []
    for ln in lines:
        prev = out[-1].rstrip() if out else ""
        body = any(c in _TERMINAL for c in prev[:-1])  # (五)…提质增效。实施“东方名
        if prev and (len(prev.strip()) >= min_len or body) and prev[-1] not in _TERMINAL \
                and (body or not _HEADING.match(prev)) and ln.strip() and not _HEADING.match(ln):
            out[-1] = prev + ln.strip()
        else:
            out.append(ln)
    return "\n".join(out)


_RULES = re.compile(r"\|{2,}|^\s*\|\s*$", re.M)


def strip_table_rules(text: str) -> str:
    """Remove runs of ``|`` left by flattened tables."""
    return _RULES.sub("", text) if "|" in text else text


_CJK = "\u4e00-\u9fff"
#: Characters that, after a number, make it a quantity rather than an item number.
_UNIT_AFTER = "年月日号所个名人万亿元项次家座门届期批条类级岁天周倍台辆件册种本份间分秒点部位支场"
#: A number of one or two digits before a Chinese character, not a unit: a
#: candidate item number when it follows a Chinese character too (checked
#: in :func:`split_glued_items`: a pattern opening with that look-behind is
#: tried at every offset, one opening with the digits only where one is).
_GLUED = re.compile(rf"(\d{{1,2}})(?=[{_CJK}“《*])(?![{_UNIT_AFTER}])")
#: What may come before an item number: a Chinese character (but an
#: ordinal or approximating word, ``第2``, ``近30``) or a closing mark.
_BEFORE_ITEM = re.compile(rf"(?![第前近共约达超])[{_CJK}”》)]")


def split_glued_items(text: str) -> str:
    """Put item numbers glued to the text (``…建设2纵深推进…``, as left by
    PDF and sharing-site extraction) back on their own line.

    A number between Chinese characters counts as an item number only when
    it continues the document's own count (1, 2, 3 …) and is not followed by
    a unit (``67所``) or preceded by an ordinal word (``第2``).
    """
    out, last, expected = [], 0, 1
    # items already on their own line count too, so a second pass changes nothing
    heads = [(h.start(), int(h.group(1))) for h in _LINE_ITEM.finditer(text)]
    for m in _GLUED.finditer(text):
        if not m.start() or not _BEFORE_ITEM.match(text, m.start() - 1):
            continue
        while heads and heads[0][0] < m.start():
            if heads[0][1] in (expected, expected + 1):
                expected = heads[0][1] + 1
            heads.pop(0)
        tok = m.group(1)
        if int(tok) == expected:
            out.append(text[last:m.start()])
            out.append(f"\n{tok}.")
            last = m.end()
            expected += 1
        elif int(tok) == expected + 1:
            # one item lost to masking or a page break: resynchronise
            out.append(text[last:m.start()])
            out.append(f"\n{tok}.")
            last = m.end()
            expected += 2
    out.append(text[last:])
    text = "".join(out)
    return _MASKED_ITEM.sub("\n*.", text) if "*." in text else text


_LINE_ITEM = re.compile(r"(?m)^(\d{1,2})\.")
_MASKED_ITEM = re.compile(rf"(?<=[{_CJK}])\*\.(?=[{_CJK}“])")


def drop_repeated_blocks(text: str, min_run_chars: int = 200, min_para: int = 50) -> str:
    """Drop paragraphs repeated verbatim from earlier in the document: a run
    of repeated paragraphs holding at least ``min_run_chars`` characters, or
    a single repeated paragraph of ``min_para`` characters or more.  Short
    repeated headings outside such runs stay."""
    paras = text.split("\n")
    seen: set[str] = set()
    dup = []
    for p in paras:
        key = p.strip()
        dup.append(bool(key) and key in seen)
        if key:
            seen.add(key)
    keep = [True] * len(paras)
    i = 0
    while i < len(paras):
        if not dup[i]:
            i += 1
            continue
        j = i
        while j < len(paras) and (dup[j] or not paras[j].strip()):
            j += 1
        run = sum(len(paras[k].strip()) for k in range(i, j))
        for k in range(i, j):
            if run >= min_run_chars or len(paras[k].strip()) >= min_para:
                keep[k] = False
        i = j
    return "\n".join(p for p, k in zip(paras, keep) if k)


_SPACES = re.compile(r"[ \t]{2,}")


def tidy_lines(text: str) -> str:
    """Trim every line, squeeze inner runs of spaces, drop empty lines."""
    lines = (_SPACES.sub(" ", ln.strip()) for ln in text.split("\n"))
    return "\n".join(ln for ln in lines if ln)


CLEANERS = (normalize, to_simplified, strip_boilerplate, strip_page_marks, strip_table_rules,
            split_glued_items, tidy_lines, join_wrapped_lines, drop_repeated_blocks)


def clean_text(text: str, cleaners=CLEANERS) -> str:
    """Run the cleaners in order."""
    for fn in cleaners:
        text = fn(text)
    return text
