"""Entity mentions: 《》 titles, quoted names, name grammars, lexicon
patterns and gazetteer places.

Every function takes a sentence (with its offset into the cleaned text) and
returns :class:`~kg.model.Mention` objects whose ``text`` is exactly
``doc.text[start:end]``.  :func:`extract_mentions` runs them all over a
document and resolves overlaps.
"""
from __future__ import annotations

import re
from importlib import resources
from functools import lru_cache, wraps
from operator import itemgetter

from ..gazetteer import Division, Gazetteer
from ..lexicon import Lexicon, Suffix
from ..model import Document, Mention
from ..resolve import EDITION
from .relations import load_townships
from ..segment import Sentence, Token, domain_dictionary, split_sentences, tokenizer, tokens

__all__ = ["title_mentions", "quoted_mentions", "suffix_mentions", "pattern_mentions",
           "place_mentions", "extract_mentions", "strip_quotes"]

_TITLE = re.compile(r"《([^《》\n]{2,80})》")
_QUOTED = re.compile(r"[“\"]([^“”\"\n]{1,30})[”\"]")
_NOT_PROGRAMME_AFTER = ("学生读物", "读本", "杂志", "一书", "栏目", "节目", "报道", "专栏", "刊发",
                        "刊登", "整版", "头版", "发表", "上发表", "专题")
_MATERIALS = re.compile(r"等?[^,。;]{0,6}(教材|读本|读物|丛书|书籍|绘本|课程)")
_PERIODICAL = re.compile(r"(报|杂志|周刊|月刊|学报|人民教育|日报|晚报)$")
_MASK = re.compile(r"[*X×＊]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_STOP_POS = {"p", "c", "u", "uj", "ul", "uz", "ug", "uv", "ud", "r", "x", "y", "e", "o"}
_PERSON_PLACE_POS = {"ns", "nr", "nrt", "nrfg"}
#: The rest of a run of quoted words and the 等 after it: “A”“B”、“C”等.
_QUOTE_RUN = re.compile(r"(?:[、,和及与]?[“\"][^“”\"\n]{1,30}[”\"])*")
#: The opening of a short-form declaration: (以下简称“…”.
_DECLARED = re.compile(r"[((](?:以下)?(?:简称|称)[::]?$")
#: A transition between two quoted forms: 从“委任制”向“任期制”转变.
_TRANSITION = re.compile(r"从[“\"][^“”\"\n]{1,12}[”\"]向[“\"][^“”\"\n]{1,12}[”\"]")
_PUNCT = set(",;:!?、,。;:!?…—()()[]【】“”\"'‘’《》 \t\n")
_PROPER_POS = {"ns", "nr", "nrt", "nz", "j", "nt", "eng"}
_NAME_MARKERS = ("届", "全国", "全球", "世界", "国际", "中国", "首届", "省", "市", "县", "区")
#: Words for an organ of some unnamed body: 党委教育工委, 部门办公室.
_ORGAN_WORDS = {"党委", "党组", "党总支", "支部", "部门", "单位", "机关", "学校", "各级", "基层"}
#: Programme suffixes that also end ordinary phrases (工作方案, 指导意见):
#: a bare name needs a longer head.
_WEAK_PROGRAMME = {"方案", "意见", "规定", "措施"}
_RELATIVE = ("市", "县", "区", "省", "中共", "国家", "全国", "中国", "某市", "某县", "某区", "某省")
_ASSOCIATION = ("协会", "学会", "联盟", "研究院", "基金会", "领导小组", "研究中心", "研究所",
                "教研室", "考试院")
_GENERIC_LEFT = {"普通", "农村", "乡村", "公办", "民办", "城镇", "薄弱", "特色", "优质", "示范",
                 "标准化", "新优", "义务教育", "职业", "高等", "各类", "市直", "省级", "市级",
                 "县级", "国家级", "重点", "一流", "高水平", "现代", "新型", "全日制", "寄宿制",
                 "专项", "普惠性", "普惠", "山区", "海岛", "领域", "重点领域", "工作", "长效", "管理", "考核", "评价", "保障", "联动", "协调", "三年",
                 "五年", "有关", "相关", "主要", "重大", "一批", "若干", "该", "本", "这", "其",
                 "年度", "本年度", "实际"}
#: Words that may stand before a place inside an agency's name.
_PARTY = {"中共", "中国共产党", "共青团", "中国", "国家"}
#: Words that make a school-like name a title schools earn, not a school.
_DESIGNATIONS = ("先进", "示范性", "达标", "特色", "标准化", "现代化", "优质", "星级", "品牌", "智慧校园",
                 "文明", "平安", "绿色", "数字")
#: Verbs that make a quoted name an Event: 举办“开学家长第一课”.
_HOLD_VERBS = ("举办", "召开", "举行", "承办", "主办")
#: Single-character complements glued to a verb before a name: 用好, 抓实.
_COMPLEMENTS = {"好", "实", "牢"}
#: Two programmes run together where a list lost its 、 (“科学家进校园行动少年科学院计划”).
_GLUED = re.compile(r"^(.{3,}?(?:行动|工程|计划))(.{3,}(?:行动|工程|计划|项目))$")
#: A quoted theme right before an event's name: “童心向党”|中小学生艺术展演.
_THEME_END = re.compile(r"“[^“”\n]{1,12}”$")
#: An ordinal that opens an event's name: 第四届…论坛, 首届…大会.
_EDITION = re.compile(EDITION + r"[^,。;:、,;:!?“”《》()()]{0,30}$")


_QUOTE_MARKS = re.compile(r"[“”\"《》「」『』'‘’]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_NO_WORD = re.compile(r"[\d\W_]+")
_NUMBERED_SET = re.compile(r"\d+条")
_NUMBERED_SET_END = re.compile(r"\d+条$")
_ALNUM = re.compile(r"[\dA-Za-z]+")
_PARALLEL = re.compile(r"[、,]")
_YEAR_WORD = re.compile(r"(19|20)\d\d")
_ITEM_NUMBER = re.compile(r"[一二三四五六七八九十\d]+是|\d+\.?|\*+")
_COUNT_WORD = re.compile(r"[\d*.%]+[个所名项批]?")
_ORDINAL_END = re.compile(r"第[一二三四五六七八九十百\d]+$")
_NUMERAL_START = re.compile(r"[一二三四五六七八九十两百千万\d]")


def strip_quotes(s: str) -> str:
    return _QUOTE_MARKS.sub("", s).strip()


def _ok_core(core: str) -> bool:
    """A quoted core is a name if, masks aside, it keeps two Chinese
    characters or letters and is not a bare number or punctuation."""
    bare = _MASK.sub("", core)
    return len(_CJK.findall(bare)) + len(_LATIN_LETTER.findall(bare)) >= 2 and \
        not _NO_WORD.fullmatch(bare)


def title_mentions(doc_id: str, s: Sentence) -> list[Mention]:
    """《…》 titles are Programmes (policy documents), unless what follows
    says the title is a book, a periodical or a column."""
    out = []
    for m in _TITLE.finditer(s.text):
        after = s.text[m.end():m.end() + 4]
        inner = m.group(1).strip()
        tail = re.sub(r"^(《[^》]*》|[、和及])*", "", s.text[m.end():m.end() + 60])
        if any(after.startswith(w) for w in _NOT_PROGRAMME_AFTER) or not _ok_core(inner) \
                or _PERIODICAL.search(inner) or _MATERIALS.match(tail):
            continue
        out.append(Mention(doc_id, s.start + m.start(), s.start + m.end(), m.group(0),
                           "Programme", strip_quotes(inner), "title"))
    return out


_SUFFIX_TABLES: dict[int, tuple] = {}


def _suffix_tables(lex: Lexicon) -> tuple[dict, dict, dict, re.Pattern, re.Pattern]:
    """Every suffix by its text, the bare ones by their text, the bare
    ones' texts by type, and the regexes of all suffixes and of the bare
    ones: made once per lexicon, not per sentence."""
    hit = _SUFFIX_TABLES.get(id(lex))
    if hit is None or hit[0] is not lex:
        by_suffix = {x.suffix: x for x in lex.suffixes}
        bare = {x.suffix: x for x in lex.suffixes if x.bare}
        by_type: dict[str, set[str]] = {}
        for x in bare.values():
            by_type.setdefault(x.type, set()).add(x.suffix)
        hit = _SUFFIX_TABLES[id(lex)] = (lex, by_suffix, bare, by_type,
                                         _suffix_regex(tuple(by_suffix)), _suffix_regex(tuple(bare)))
    return hit[1:]


@lru_cache(maxsize=8)
def _suffix_regex(suffixes: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(re.escape(x) for x in sorted(set(suffixes), key=len, reverse=True)))


_NOUN_POS = {"n", "ns", "nr", "nz", "nt", "j", "vn", "b", "an", "nrt", "ng"}


def _noun_prefix(toks, k: int, boundaries, max_chars: int = 14) -> int:
    """Offset where the nouns right before token ``k`` begin (台州市职业院校
    before “双高计划”); verbs, adverbs and numbers end the walk."""
    i, length = k, 0
    while i > 0:
        t = toks[i - 1]
        w = t.word
        if t.pos not in _NOUN_POS or w in boundaries or length + len(w) > max_chars \
                or (len(w) >= 4 and (w[:2] in boundaries or w[-2:] in boundaries)):
            break  # 全面实施“一人一案”: a verb jieba glued to an adverb
        length += len(t.word)
        i -= 1
    return toks[i].start if i < k else toks[k].start


def _not_a_name_after(after: str, lex: Lexicon) -> bool:
    """Whether the words after a run of quotes make them a channel or a
    slogan (…等宣发平台, …等要求); see ``not_names_after.txt``."""
    words = lex.not_names_after
    return after.startswith(words) or (after.startswith("等") and after[1:].startswith(
        tuple(w for w in words if not w.startswith("等"))))


#: A quoted word this frequent in jieba's general dictionary is an ordinary
#: word in quotes for emphasis (“路线图”, “一对一”, “无纸化”), not a name.
_COMMON_FREQ = 9


@lru_cache(maxsize=1)
def _domain_words() -> frozenset[str]:
    """The words of the domain dictionary (``userdict.txt``): names, never
    ordinary words."""
    return frozenset(word for word, _, _ in domain_dictionary())


def _ordinary_word(core: str, freq: dict, lex: Lexicon) -> bool:
    return freq.get(core, 0) >= _COMMON_FREQ and core not in _domain_words() \
        and core not in _pattern_words(lex)


def _per_lexicon(fn):
    """Memoise ``fn(lex)`` by the lexicon's identity: hashing a lexicon
    hashes all its tables, which costs more than the work it would save."""
    cache: dict[int, tuple] = {}

    @wraps(fn)
    def by_identity(lex: Lexicon):
        hit = cache.get(id(lex))
        if hit is None or hit[0] is not lex:
            hit = cache[id(lex)] = (lex, fn(lex))
        return hit[1]
    return by_identity


@_per_lexicon
def _pattern_words(lex: Lexicon) -> frozenset[str]:
    return frozenset(p for _, p, _ in lex.patterns)


def quoted_mentions(doc_id: str, s: Sentence, lex: Lexicon, toks: list[Token] = (),
                    freq: dict | None = None) -> list[Mention]:
    """“…” names, with a trailing suffix (工程, 计划, 论坛, 规划 …) taken
    into the name where the lexicon says so, and the words right before the
    quote (台州市职业院校“双高计划”) where they can belong to a name.  The
    suffix decides the type; a bare quoted name is an Initiative."""
    out = []
    if "“" not in s.text and '"' not in s.text:
        return out  # no quote, no quoted name
    by_suffix, _, _, rx, _ = _suffix_tables(lex)
    starts = None
    transitions = [(t.start(), t.end()) for t in _TRANSITION.finditer(s.text)]
    for m in _QUOTED.finditer(s.text):
        core = m.group(1).strip()
        run_end = _QUOTE_RUN.match(s.text, m.end()).end()
        after = s.text[run_end:run_end + 6]
        sm = _suffix_after(s.text, m.end(), rx, lex.boundaries)
        numbered = _NUMBERED_SET.fullmatch(core) or (sm and _ALNUM.fullmatch(core))
        if not _ok_core(core) and not numbered or (not sm and _not_a_name_after(after, lex)):
            continue
        if not sm and freq is not None and _ordinary_word(core, freq, lex):
            continue  # 精品研学“路线图”: an ordinary word in quotes
        if _DECLARED.search(s.text, max(0, m.start() - 8), m.start()):
            continue  # (以下简称“区教委”): the short form of the name before it
        if any(a <= m.start() and m.end() <= b for a, b in transitions):
            continue  # 从“委任制”向“任期制”转变: two states, not programmes
        if not sm and len(core) >= 6 and "有" in core[1:-1] and not _MASK.search(core):
            continue  # “校园处处有文化”: a goal stated as a sentence
        if _MASK.search(core) and len(_CJK.findall(_MASK.sub("", core))) < 3:
            continue  # “*两翼”, “X样板”: too little is left of the name
        glued = _GLUED.match(core) if not sm else None
        if glued:
            a = s.start + m.start(1)
            for part in glued.groups():
                k = core.index(part)
                out.append(Mention(doc_id, a + k, a + k + len(part), part, "Initiative", part,
                                   "quoted"))
            continue
        end, etype, name = m.end(), "Initiative", core
        if not sm and _PARALLEL.search(core):
            continue  # a slogan of parallel phrases (抓师德、强师风), not a name
        if not sm and len(core) <= 3 and core.endswith("者"):
            continue  # a role (监督者, 指导者)
        if sm:
            gap, suffix, end = sm
            suf: Suffix = by_suffix[suffix]
            if suf.type in ("Agency", "School", "Place"):
                end = m.end()  # “互联网+义务教育”学校: the quoted name stands alone
            else:
                etype = suf.type
                name = core + gap + suffix if suf.keep or gap else core
        elif s.text[max(0, m.start() - 2):m.start()] in _HOLD_VERBS:
            etype = "Event"  # 举办“开学家长第一课”
        if _NUMBERED_SET.fullmatch(core) or _NUMBERED_SET_END.search(name):
            etype = "Programme"  # 减负40条: a numbered set of measures
        start = s.start + m.start()
        if starts is None:  # token offsets, once a quoted name gets this far
            starts = {t.start: k for k, t in enumerate(toks)}
        k = starts.get(start)
        if k:
            left_start = _noun_prefix(toks, k, lex.boundaries)
            left = s.text[left_start - s.start:m.start()]
            scope = etype == "Initiative" and left in _WHOLE_AREA | {"全国", "国家"}
            if left and _CJK.search(left) and s.text[m.start() - 1] not in "”\"" and not scope:
                name = left + name
                start = left_start
        if not _ok_core(strip_quotes(name)):
            continue
        out.append(Mention(doc_id, start, s.start + end,
                           s.text[start - s.start:end], etype, strip_quotes(name), "quoted"))
    return out


_GAP = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]{0,8}")
#: What every numbered school name holds: a numeral and 中, 高 or 小.
_NUMBERED_CORE = re.compile(r"[一二三四五六七八九十][中高小]")
_NUMBERED_SCHOOL = re.compile(r"([\u4e00-\u9fff]{1,3}?)([一二三四五六七八九十]{1,2})(中|高|小)(?![\u4e00-\u9fff]?[学心国华文央])")


def _suffix_after(text: str, pos: int, rx: re.Pattern, boundaries) -> tuple[str, str, int] | None:
    """A type suffix right after a closing quote, or after a few more words
    (“五育并举”熔铸工程, “双覆盖”集中攻坚专项行动): ``(gap, suffix, end)``."""
    m = rx.match(text, pos)
    if m:
        return "", m.group(0), m.end()
    gap = _GAP.match(text, pos).group(0)
    gap = re.split(r"[和与及等的]", gap)[0][:8]
    for k in range(1, len(gap) + 1):
        m = rx.match(text, pos + k)
        if m:
            words = text[pos:pos + k]
            if _holds_boundary(words, boundaries) or m.group(0) in ("建设", "工作", "活动"):
                return None
            return words, m.group(0), m.end()
    return None


def _holds_boundary(words: str, boundaries) -> bool:
    """Whether a boundary word of two or more characters stands inside
    ``words`` (a short gap: its substrings are looked up)."""
    n = len(words)
    return any(words[i:j] in boundaries for i in range(n - 1) for j in range(i + 2, n + 1))


_LEADING_JOINERS = "和与及、的"
_MONEY = re.compile(r"[\d.]*[万亿千百]?元|[\d.]+[万亿]")
_MASKED_TOKEN = re.compile(r"[*X×]+")
_CONNECTORS = {"+", "·", ".", "-"}
#: Verbs jieba tags as nouns that still never open a name (建成…学校, 竣工投用…中学).
_LEAD_VERBS = {"建成", "竣工", "投用", "竣工投用", "新建", "改建", "扩建", "迁建", "建设", "发展",
               "充分", "发挥", "依托", "加入", "成立", "组建", "创建", "创成", "入选", "获评"}
_WHOLE_AREA = {"全市", "全省", "全县", "全区"}
#: Heads that make a suffix a generic word, not a name (中小学, 大中小学).
_GENERIC_HEADS = {"中", "大中", "各", "本", "该", "高", "初", "普", "职"}


_ABOUT = re.compile(r"关于[^,。;:、《》“”()()]{4,40}?的(?:实施)?(?:意见|通知|决定|办法|方案|规定|指导意见)")


def about_mentions(doc_id: str, s: Sentence) -> list[Mention]:
    """Unquoted document titles of the form 关于…的意见/通知/决定."""
    return [Mention(doc_id, s.start + m.start(), s.start + m.end(), m.group(0), "Programme",
                    m.group(0), "grammar") for m in _ABOUT.finditer(s.text)]


def _left_edge(toks: list[Token], idx: int, boundaries: frozenset[str],
               max_chars: int, allow_parens: bool, inner_verbs: bool = True) -> tuple[int, int]:
    """Where the name whose suffix starts at token ``idx`` begins: walk left
    while tokens can belong to a name.  Returns the first token's index and
    the offset the name starts at (past a joiner jieba glued on, 和三梅)."""
    i, length, depth = idx, 0, 0
    while i > 0:
        t = toks[i - 1]
        w = t.word
        if len(w) > 1 and w[0] in _LEADING_JOINERS and t.pos not in _STOP_POS:
            i -= 1  # 和三梅: the name starts after the joiner
            break
        if _MONEY.fullmatch(w):
            break  # 1000万元弘远校长奖励培育基金: the amount is no part of the name
        if allow_parens and w in (")", ")"):
            depth += 1
        elif allow_parens and w in ("(", "(") and depth:
            depth -= 1
        elif _MASKED_TOKEN.fullmatch(w) or (w in _CONNECTORS and i - 1 > 0
                                             and toks[i - 2].pos not in _STOP_POS):
            pass  # a masked character (思政*化联盟) or a connector (5+2, 天府·仁寿, 2.0)
        elif w in boundaries or t.pos in _STOP_POS or not _PUNCT.isdisjoint(w) \
                or (len(w) >= 4 and (w[:2] in boundaries or w[-2:] in boundaries)
                    and (t.pos[:1] in "vdail" or (w[:2] in boundaries and w[2:4] in boundaries))):
            inner_verb = inner_verbs and i == idx and len(w) == 2 and w in boundaries \
                and t.pos.startswith("v")
            if not (w in ("“", "”") and allow_parens) and not inner_verb:
                break
        if length + len(w) > max_chars:
            break
        length += len(w)
        i -= 1
    while i < idx and not (_YEAR_WORD.fullmatch(toks[i].word) and toks[i + 1].word.startswith("年")) \
            and (toks[i].word in boundaries or toks[i].word in "()()“”"
                       or _ITEM_NUMBER.fullmatch(toks[i].word)
                       or toks[i].pos == "q"
                       or toks[i].pos == "m" and _COUNT_WORD.fullmatch(toks[i].word)
                       and not _YEAR_WORD.fullmatch(toks[i].word)):
        i += 1
    start = toks[i].start if i < idx else toks[idx].start
    if i < idx and len(toks[i].word) > 1 and toks[i].word[0] in _LEADING_JOINERS:
        start += 1
    return i, start


#: How the names of counties (and of the cities before a town) end.
_COUNTY_ENDS = ("区", "县", "市", "旗")


@lru_cache(maxsize=1)
def _town_generic() -> tuple[frozenset[str], tuple[str, ...]]:
    """Words naming a kind of town (``kg/data/town_generic.txt``), and
    those of two characters or more, which a kind's name may end with."""
    raw = resources.files("kg").joinpath("data/town_generic.txt").read_text("utf-8")
    words = frozenset(w.strip() for w in raw.splitlines() if w.strip() and not w.startswith("#"))
    return words, tuple(w for w in words if len(w) >= 2)


def _town_name(left_text: str) -> bool:
    """Whether the words after a county's name and before 镇, 乡 or 街道
    name a town: two or three characters, no kind of town (重点, 中心)."""
    return 2 <= len(left_text) <= 3 and all(_CJK.match(c) for c in left_text) \
        and left_text not in _GENERIC_LEFT and not _kind_of_town(left_text)


def _kind_of_town(left_text: str) -> bool:
    """Whether the words before 镇, 乡 or 街道 make a kind of town (重点镇,
    区域中心镇, 县域中心镇): they are, or end with, a word of
    ``kg/data/town_generic.txt`` of two characters or more."""
    words, endings = _town_generic()
    return left_text in words or left_text.endswith(endings)


def _valid(etype: str, left: list[Token], suffix: str, text_before: str) -> bool:
    left_text = "".join(t.word for t in left)
    if not left_text or left_text in _GENERIC_LEFT or not _CJK.search(left_text):
        return False
    proper = any(t.pos in _PROPER_POS for t in left)
    if etype == "Place":
        if suffix in load_townships():
            if not 2 <= len(left_text) <= 4 or left_text in _GENERIC_LEFT or left_text.endswith(("城", "乡")) \
                    or _kind_of_town(left_text):
                return False
            if left[-1].pos in _PERSON_PLACE_POS | {"nz", "j", "x"} and len(left) <= 2:
                return True
            # 苏家/坨镇, 学院路/街道: a proper first word, or a street named after a road
            return (left[0].pos in _PERSON_PLACE_POS and all(len(x.word) <= 2 for x in left)) \
                or (suffix == "街道" and left_text[-1] in "路村庄桥门园湖山河坊里营屯堡寺")
        return any(t.pos in ("ns", "j") for t in left) and len(left_text) >= 2
    if etype == "School":
        if any(w in left_text for w in _DESIGNATIONS):
            return False  # 高中教育质量先进学校, 智慧校园达标学校: a title schools earn
        return not left_text.startswith(tuple(_GENERIC_LEFT)) and (
            any(t.pos in _PERSON_PLACE_POS for t in left)
            or any(t.pos == "nt" and (suffix.endswith(("大学", "学院")) or t.word.endswith(("大学", "学院")))
                   for t in left)  # 北京大学, 清华大学附属中学
            or _ORDINAL_END.search(left_text) is not None)
    if etype == "Agency":
        if left_text in _ORGAN_WORDS:
            return False  # 党委教育工委: an organ of no named body
        if left_text.startswith(_RELATIVE) or proper:
            return True
        return suffix in _ASSOCIATION and len(left_text) >= 2
    if etype == "Event":  # a time word names an event too: 新年音乐会, 元旦晚会
        return len(left_text) >= 4 or proper or any(k in left_text for k in _NAME_MARKERS) \
            or (len(left) == 1 and left[0].pos == "t" and len(left_text) >= 2)
    if etype == "Programme":
        return len(left_text) >= (6 if suffix in _WEAK_PROGRAMME else 4)
    return len(left_text) >= 2 and not all(t.word in _GENERIC_LEFT for t in left)


_AGENCY_END = re.compile(r"(局|委员会|政府|厅)(会同|联合|协同|配合|和|与|及|、)?")


def _after_other_agency(text: str, start: int, suffix_start: int) -> int:
    """Where an agency name really starts when the words before its suffix
    hold another agency and a joining verb (县人社局会同县教体局)."""
    last = None
    for m in _AGENCY_END.finditer(text, start, suffix_start):
        last = m
    return last.end() if last is not None and last.end() < suffix_start else start


def suffix_mentions(doc_id: str, s: Sentence, toks: list[Token], lex: Lexicon) -> list[Mention]:
    """Unquoted names by grammar: words + a type suffix (永宁中学,
    台州市教育局, 健康学校工程, 台州职业教育大会), the suffix aligned on token
    boundaries so that 中小学 never yields 小学."""
    _, bare, bare_by_type, _, rx = _suffix_tables(lex)
    starts = ending = None
    out = []
    for m in rx.finditer(s.text):
        if starts is None:  # token offsets, once a suffix is seen
            starts = {t.start: k for k, t in enumerate(toks)}
            ending = {t.end: k for k, t in enumerate(toks)}
        a, b = s.start + m.start(), s.start + m.end()
        if b not in ending and not (b + 2 in ending and s.text[m.end():m.end() + 2] == "工作"):
            continue  # …试点工作: jieba glues 工作 to the word before it
        suf = bare[m.group(0)]
        if a in starts:
            idx, head = starts[a], []
        else:  # the suffix begins inside a token: 城乡教育共同体, 县委|办公室
            idx = next((k for k, x in enumerate(toks) if x.start < a < x.end), None)
            if idx is None:
                continue
            tok = toks[idx]
            head_text = s.text[tok.start - s.start:m.start()]
            if tok.start >= a or head_text in _GENERIC_HEADS or head_text in lex.boundaries:
                continue  # 中小学, 制定方案: no name before the suffix
            head = [Token(tok.start, a, s.text[tok.start - s.start:m.start()], tok.pos)]
        long_name = suf.type in ("Programme", "Event")
        first, start = _left_edge(toks, idx, lex.strong_boundaries if long_name else lex.boundaries,
                                  40 if long_name else 16, suf.type == "Programme",
                                  not head and not (suf.type == "Agency" and suf.suffix[0] in "省市县区"))
        same_type = bare_by_type[suf.type]
        if not head and first < idx and toks[idx - 1].word in same_type \
                and suf.suffix[0] in "省市县区" and len(suf.suffix) <= 3:
            first, start = idx, toks[idx].start  # 市委市政府: two organs, not one
        if suf.type in ("Event", "Agency") and first > 0 and toks[first - 1].word in _WHOLE_AREA \
                and start == toks[first].start:
            first -= 1
            start = toks[first].start
        left = [*toks[first:idx], *head]
        if start > left[0].start if left else False:
            left[0] = Token(start, left[0].end, left[0].word[start - left[0].start:], left[0].pos)
        if suf.type in ("Agency", "School", "Initiative", "Place"):
            while len(left) > 1 and (left[0].pos in ("v", "d", "ad", "vd") or left[0].word in _LEAD_VERBS
                                     or left[0].word in _COMPLEMENTS):
                left = left[1:]
                start = left[0].start
        if suf.type in ("Agency", "School"):
            # 服务互动交流专栏北京市海淀区教委: the name opens at its place
            at = next((k for k, x in enumerate(left) if k and x.pos == "ns"
                       and not any(y.pos in _PROPER_POS or y.word in _PARTY for y in left[:k])), None)
            if at is not None:
                left = left[at:]
                start = left[0].start
        named_town = False
        if suf.type == "Place" and suf.suffix in load_townships() and len(left) > 1:
            # 南海区|西樵镇, 顺德区|杏坛镇: a town's name opens after its county's
            at = next((k for k in range(len(left) - 2, -1, -1) if left[k].pos == "ns"
                       and len(left[k].word) >= 3 and left[k].word.endswith(_COUNTY_ENDS)),
                      None)
            if at is not None and _town_name("".join(t.word for t in left[at + 1:])):
                left = left[at + 1:]
                start = left[0].start
                named_town = True
        relative_organ = suf.type == "Agency" and suf.suffix[0] in "省市县区" and not left
        if not relative_organ and not named_town \
                and (not left or not _valid(suf.type, left, suf.suffix, s.text[:m.start()])):
            continue
        nxt = s.text[m.end():m.end() + 1]
        if suf.type == "Programme" and nxt and _CJK.match(nxt) and nxt not in "和与及等的或以并":
            continue  # 学前教育规划布局: the suffix word modifies a noun
        if suf.type == "Agency":
            start = _after_other_agency(s.text, start - s.start, m.start()) + s.start
        if suf.type == "Event":
            theme = _THEME_END.search(s.text, 0, start - s.start)
            if theme:
                start = s.start + theme.start()  # “童心向党”中小学生艺术展演: its theme
            ed = _EDITION.search(s.text, max(0, start - s.start - 36), start - s.start)
            if ed:
                start = s.start + ed.start()  # 第四届长三角基于大数据的…论坛
        text = s.text[start - s.start:m.end()]
        before = s.text[start - s.start - 1:start - s.start]
        if before == "等" and suf.type in ("Initiative", "Event") \
                and not _NUMERAL_START.match(text):
            continue  # 师德师风、乱收费等专项治理行动: a kind of action, not a name
        quoted = before == "“" and s.text[m.end():m.end() + 1] == "”"
        if suf.type == "Place" and quoted:
            continue  # “优校兴乡”: a slogan that ends like a township
        if _GLUED.match(text) and s.text[start - s.start - 1:start - s.start] == "“" \
                and s.text[m.end():m.end() + 1] == "”":
            continue  # two quoted names run together: quoted_mentions splits them
        out.append(Mention(doc_id, start, b, text, suf.type, strip_quotes(text), "grammar"))
    return out


def pattern_mentions(doc_id: str, s: Sentence, lex: Lexicon, toks: list[Token] = ()) -> list[Mention]:
    """Names listed in the lexicon's JSONL patterns (教育部, 公民同招 …),
    where they stand on token boundaries (教育部门 is no 教育部)."""
    out = []
    if _any_pattern(lex).search(s.text) is None:
        return out  # no pattern occurs in the sentence
    starts = ends = None
    for label, pattern, canonical in lex.patterns:
        if pattern not in s.text:
            continue
        if starts is None:  # token offsets, once a pattern is seen
            starts = {t.start for t in toks}
            ends = {t.end for t in toks}
        for m in re.finditer(re.escape(pattern), s.text):
            a, b = s.start + m.start(), s.start + m.end()
            if toks and (a not in starts or b not in ends):
                continue
            out.append(Mention(doc_id, a, b, pattern, label, canonical, "lexicon"))
    return out


@_per_lexicon
def _any_pattern(lex: Lexicon) -> re.Pattern:
    """A regex that finds a sentence holding any of the lexicon's patterns."""
    pats = sorted({p for _, p, _ in lex.patterns}, key=len, reverse=True)
    return re.compile("|".join(re.escape(p) for p in pats) or r"(?!)")


_WORD = itemgetter(2)  # a token's word


def place_mentions(doc_id: str, toks: list[Token], gaz: Gazetteer,
                   context: Division | None) -> list[Mention]:
    """Tokens that name a division or region, accepted through the
    document's place (short forms only inside its province)."""
    out = []
    # a word outside the gazetteer's surfaces names no division
    named = gaz.surfaces().intersection(map(_WORD, toks))
    if not named:
        return out
    province = gaz.province_of(context) if context is not None else None
    for k, t in enumerate(toks):
        if t.word not in named:
            continue
        d = gaz.lookup(t.word, context)
        if d is not None and d.name.startswith("某") and d != context:
            continue  # a masked place other than the document's own
        if d is not None and k and toks[k - 1].word[-1] in "局委府厅办院" and province is not None \
                and gaz.province_of(d) != province:
            continue  # 县教体局会同县…: the verb 会同, not 会同县 of another province
        if d is not None:
            out.append(Mention(doc_id, t.start, t.end, t.word, "Place", d.name, "gazetteer"))
    return out


@lru_cache(maxsize=None)
def _local_prefixes(gaz: Gazetteer, context: Division) -> frozenset[str]:
    local = [d for d in gaz.around(context) if d.code]
    return frozenset({d.short for d in local} | {d.name for d in local}
                     | {d.short[0] for d in local if d.level == 3})


def numbered_school_mentions(doc_id: str, s: Sentence, gaz: Gazetteer,
                             context: Division | None) -> list[Mention]:
    """Short names of numbered schools: a place (or its first character)
    and a number: 台州一中, 黄二高.  The place must be the document's own or
    lie inside it, so 十一中 in a sentence about anything else is no school."""
    if context is None or not _NUMBERED_CORE.search(s.text):
        return []
    prefixes = _local_prefixes(gaz, context)
    out = []
    for m in _NUMBERED_SCHOOL.finditer(s.text):
        head = m.group(1)
        for k in range(len(head)):
            if head[k:] in prefixes:
                a = s.start + m.start() + k
                out.append(Mention(doc_id, a, s.start + m.end(), s.text[m.start() + k:m.end()],
                                   "School", s.text[m.start() + k:m.end()], "grammar"))
                break
    return out


@lru_cache(maxsize=64)
def _initials(gaz: Gazetteer, context: Division) -> dict[str, str]:
    """The first character of the document's own place and of its city,
    with the short name it stands for (温 -> 温州).  Other counties of the
    city are left out: their initials collide too often (温江, 温州)."""
    out: dict[str, str] = {}
    for d in [context, *gaz.ancestors(context)]:
        if d.level in (2, 3) and len(d.short) >= 2:
            out.setdefault(d.short[0], d.short)
    return out


@lru_cache(maxsize=8)
def _abbreviation_regex(shorts: tuple[str, ...]) -> re.Pattern:
    alts = "|".join(re.escape(x) for x in shorts)
    return re.compile(rf"([\u4e00-\u9fff])({alts})")


@_per_lexicon
def _abbreviations(lex: Lexicon) -> tuple[dict[str, str], re.Pattern]:
    """The lexicon's school abbreviations (short ending -> full ending) and
    the regex finding them after a character."""
    full = dict(lex.school_abbreviations)
    return full, _abbreviation_regex(tuple(full))


def abbreviated_school_mentions(doc_id: str, s: Sentence, lex: Lexicon, gaz: Gazetteer,
                                context: Division | None) -> list[Mention]:
    """Schools shortened to a place's first character and a short ending,
    standing in a list (支持温医大、温大争创 -> 温州医科大学, 温州大学)."""
    if context is None or not lex.school_abbreviations:
        return []
    initials = _initials(gaz, context)
    full, rx = _abbreviations(lex)
    out = []
    for m in rx.finditer(s.text):
        place = initials.get(m.group(1))
        before, after = s.text[m.start() - 1:m.start()], s.text[m.end():m.end() + 1]
        if place is None or not (before in ("、", "和", "与", "及") and before
                                 or after and after in "、,,。;;::等和与及"):
            continue  # only in a list or before punctuation: 台大力推进 is no school
        out.append(Mention(doc_id, s.start + m.start(), s.start + m.end(), m.group(0), "School",
                           place + full[m.group(2)], "grammar"))
    return out


def declared_short_mentions(doc: Document, mentions: list[Mention]) -> list[Mention]:
    """Later uses of a short form the text declares (清华大学附属中学(以下简称
    “清华附中”) … 清华附中), as mentions of the full name's entity."""
    from ..resolve import abbreviations
    out = []
    for full, short in abbreviations(doc.text, mentions):
        if len(short) < 2:
            continue
        for m in re.finditer(re.escape(short), doc.text):
            if m.start() <= full.end + 12:
                continue  # the declaration itself
            out.append(Mention(doc.doc_id, m.start(), m.end(), short, full.type, full.name,
                               "lexicon"))
    return out


_RANK = {"title": 0, "quoted": 1, "lexicon": 2, "grammar": 3}


def _select(mentions: list[Mention]) -> list[Mention]:
    """Places are kept as they are; other mentions may not overlap: the
    longer wins, then the rule of higher rank.  An initiative named inside
    an event's name (“一带一路”职业教育国际论坛, …改革试点工作交流会) is kept
    beside the event."""
    places = [m for m in mentions if m.type == "Place"]
    others = sorted((m for m in mentions if m.type != "Place"),
                    key=lambda m: (-(m.end - m.start), _RANK.get(m.rule, 9), m.start))
    kept = _non_overlapping(m for m in others if m.rule != "inner")
    events = [k for k in kept if k.type == "Event"]
    kept_set = set(kept)
    inner = _non_overlapping(
        m for m in others if m.type == "Initiative" and m not in kept_set
        and any(k.start <= m.start and m.end <= k.end and (k.start, k.end) != (m.start, m.end)
                for k in events))
    # a place inside a Programme/Initiative title is part of that name
    titled = [(m.start, m.end) for m in kept if m.type in ("Programme", "Initiative")
              and m.rule != "quoted"]
    places = [p for p in places if not any(s <= p.start and p.end <= e for s, e in titled)]
    return sorted(kept + places + inner, key=lambda m: (m.start, m.end, m.type))


def _non_overlapping(ranked) -> list[Mention]:
    """The mentions, in rank order, that overlap none ranked before them."""
    taken: list[tuple[int, int]] = []
    used = bytearray()   # the characters taken, while no span is empty
    kept = []
    for m in ranked:
        a, b = m.start, m.end
        if used is not None and a >= b:
            used = None      # an empty span: compare spans pair by pair
        if used is not None:
            if b > len(used):
                used.extend(bytes(b - len(used)))
            if used.find(1, a, b) >= 0:
                continue
            used[a:b] = b"\1" * (b - a)
        elif any(a < e and s < b for s, e in taken):
            continue
        taken.append((a, b))
        kept.append(m)
    return kept


@lru_cache(maxsize=4)
def tokenizer_for(gaz: Gazetteer, lex: Lexicon):
    """The pipeline's tokenizer knowing every place name (as ``ns``) and
    lexicon name (as ``nz``); built once per gazetteer and lexicon."""
    places = sorted(w for w, _ in gaz.surface_forms() if len(w) >= 2)
    return tokenizer(tuple((w, "ns") for w in places)
                     + tuple(sorted({(p, "nz") for _, p, _ in lex.patterns})))


def release_tokenizers() -> None:
    """Drop the tokenizers built so far (jieba's dictionary with the added
    names, its tags and its jieba-rs copy: about 140 MiB); the
    next one asked for is built again, in about two seconds."""
    tokenizer_for.cache_clear()
    tokenizer.cache_clear()


def extract_mentions(doc: Document, lex: Lexicon, gaz: Gazetteer,
                     context: Division | None) -> list[Mention]:
    """All entity mentions of a document, overlaps resolved."""
    pt = tokenizer_for(gaz, lex)
    found: list[Mention] = []
    for s in split_sentences(doc.text):
        toks = tokens(s.text, s.start, pt)
        found += title_mentions(doc.doc_id, s)
        found += quoted_mentions(doc.doc_id, s, lex, toks, pt.tokenizer.FREQ)
        found += pattern_mentions(doc.doc_id, s, lex, toks)
        found += about_mentions(doc.doc_id, s)
        found += suffix_mentions(doc.doc_id, s, toks, lex)
        found += place_mentions(doc.doc_id, toks, gaz, context)
        found += numbered_school_mentions(doc.doc_id, s, gaz, context)
        found += abbreviated_school_mentions(doc.doc_id, s, lex, gaz, context)
    if "简称" in doc.text:
        found += declared_short_mentions(doc, _select(found))
    title_end = doc.text.find("\n")
    if doc.title and 0 < title_end:
        found = [m for m in found if not (m.type == "Programme" and m.end <= title_end
                                          and m.text in doc.title)]
    return _select(found)
