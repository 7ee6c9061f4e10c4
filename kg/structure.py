"""Document structure read from headings: which year a section reports on
and whether it reports results (a work summary, 工作总结) or sets plans
(key points, plans, 工作要点/规划).

A heading is a short line (at most 40 characters).  Each mark holds from
its offset to the next one; before the first mark the document's title
decides.
"""
from __future__ import annotations

import bisect
import re

__all__ = ["year_marks", "mode_marks", "mode_at", "RESULT", "PLAN"]

RESULT, PLAN = "result", "plan"
_YEAR = re.compile(r"(20\d{2})年")
_RESULT_WORDS = re.compile(r"总结|回顾|成效|完成情况|工作报告")
_PLAN_WORDS = re.compile(r"要点|计划|规划|思路|安排|重点工作|目标任务|打算")


def _headings(text: str):
    pos = 0
    for line in text.split("\n"):
        if len(line) <= 40:
            yield pos, line
        pos += len(line) + 1


def year_marks(text: str) -> list[tuple[int, int]]:
    """``(offset, year)`` of the headings that name a year."""
    return [(pos, int(m.group(1))) for pos, line in _headings(text)
            if (m := _YEAR.search(line))]


def _mode_of(line: str) -> str | None:
    r, p = _RESULT_WORDS.search(line), _PLAN_WORDS.search(line)
    if r and p:  # 2023年工作总结和2024年工作要点: the document holds both
        return None
    return RESULT if r else PLAN if p else None


def mode_marks(text: str, title: str = "") -> list[tuple[int, str]]:
    """``(offset, mode)`` from the title (offset 0) and the headings."""
    marks = [(0, _mode_of(title) or PLAN)]
    for pos, line in _headings(text):
        mode = _mode_of(line)
        if mode:
            marks.append((pos, mode))
    return marks


def mode_at(marks: list[tuple[int, str]], offset: int) -> str:
    i = bisect.bisect_right(marks, offset, key=lambda m: m[0]) - 1
    return marks[max(i, 0)][1]
