"""The pipeline's own segmentation is jieba's, word for word."""
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.extract.entities import tokenizer_for
from kg.gazetteer import load_gazetteer
from kg.lexicon import load_lexicon
from kg.segment import cut, split_sentences, tokenizer

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [
    "",
    "  \r\n\t",
    "台州市教育局关于印发《台州市“双减”工作实施方案》的通知",
    "2023年全市投入资金4.4亿元,新建中小学67所,增加学位3万余个。",
    "支持温医大、温大争创一流;莫力达瓦达斡尔族自治旗“莫力达瓦强师”工程。",
    "C++ and Python3.11 100% ok—— ### A-B_c 鄂温克族自治旗 李华明说",
    "县人社局会同县教体局开展“互联网+义务教育”结对帮扶,覆盖乡村小学。",
]


@pytest.fixture(scope="module")
def pipeline_tokenizer():
    return tokenizer_for(load_gazetteer(), load_lexicon())


@pytest.mark.parametrize("text", SAMPLES)
def test_cut_is_jiebas_accurate_mode(pipeline_tokenizer, text):
    tk = pipeline_tokenizer.tokenizer
    assert cut(tk, text) == list(tk.cut(text, HMM=True))


def test_cut_matches_jieba_on_the_seed_documents(pipeline_tokenizer):
    tk = pipeline_tokenizer.tokenizer
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = path.read_text("utf-8")
        for s in split_sentences(text):
            assert cut(tk, s.text) == list(tk.cut(s.text, HMM=True))


def test_cut_follows_words_added_later():
    tk = tokenizer((("甲乙丙丁", "nz"),)).tokenizer
    text = "甲乙丙丁戊己庚辛"
    before = cut(tk, text)
    tk.add_word("戊己庚辛", 5, "nz")
    assert cut(tk, text) == list(tk.cut(text, HMM=True))
    assert cut(tk, text) != before
    tk.del_word("戊己庚辛")   # the frequency drops to 0, the total stays
    assert cut(tk, text) == list(tk.cut(text, HMM=True)) == before


def test_cut_of_any_other_tokenizer_is_its_own():
    import jieba
    text = SAMPLES[3]
    assert cut(jieba.dt, text) == list(jieba.dt.cut(text, HMM=True))


def test_words_the_pipeline_adds_carry_their_own_tags(pipeline_tokenizer):
    """The tags the pipeline gives the words it adds (lexicon names nz,
    places ns) are the tags the extractors see, not jieba's guesses."""
    from kg.segment import tokens
    tags = {t.word: t.pos for t in tokens("市教育局推进教共体建设,覆盖龙湾区。", 0,
                                          pipeline_tokenizer)}
    assert tags["教共体"] == "nz"
    assert tags["龙湾区"] == "ns"


def test_the_tag_table_is_the_one_jieba_posseg_reads():
    """The pipeline reads word tags itself instead of importing jieba.posseg
    (whose HMM tables it never uses); the tags are the same."""
    import jieba.posseg
    from kg.segment import _dictionary_tags, tokenizer
    ours = tokenizer((("台州湾新区", "ns"),))
    assert _dictionary_tags(ours.tokenizer) == ours.word_tag_tab   # read again: the same
    theirs = jieba.posseg.POSTokenizer(ours.tokenizer)
    theirs.makesure_userdict_loaded()   # (empties the tokenizer's table of added tags)
    assert ours.word_tag_tab == theirs.word_tag_tab
    assert ours.word_tag_tab["台州湾新区"] == "ns"


def _after_a_build(tmp_path, expression: str) -> str:
    """What ``expression`` prints in a fresh interpreter after a build."""
    import subprocess
    import sys
    (tmp_path / "d.txt").write_text("台州市教育局推进城乡教育共同体建设。", "utf-8")
    code = ("import sys; from kg.pipeline import build; import kg.segment as s; "
            f"build([{str(tmp_path / 'd.txt')!r}]); print({expression})")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_a_build_does_not_load_jieba_s_part_of_speech_model(tmp_path):
    assert _after_a_build(tmp_path, "'jieba.posseg' in sys.modules") == "False"


def test_a_build_does_not_load_jieba_rs_own_dictionary(tmp_path):
    """``import rjieba`` builds a tokenizer with jieba-rs's dictionary (33
    MiB); the pipeline loads only the extension module."""
    import kg.segment as seg
    if seg._rjieba is None:
        pytest.skip("rjieba is not installed")
    assert _after_a_build(tmp_path, "'rjieba' in sys.modules, s._rjieba is not None") \
        == "False True"


def test_the_dictionary_path_is_found_by_jieba_rs(pipeline_tokenizer, monkeypatch):
    """With rjieba installed the Python path search is not run at all, and
    the words are still jieba's."""
    import kg.segment as seg
    if seg._rjieba is None:
        pytest.skip("rjieba is not installed")

    def no_python_route(*args):
        raise AssertionError("the Python path search ran")

    monkeypatch.setattr(seg, "_route", no_python_route)
    tk = pipeline_tokenizer.tokenizer
    for text in SAMPLES:
        assert cut(tk, text) == list(tk.cut(text, HMM=True))


@pytest.mark.parametrize("text", SAMPLES)
def test_without_jieba_rs_the_words_are_the_same(pipeline_tokenizer, monkeypatch, text):
    import kg.segment as seg
    monkeypatch.setattr(seg, "_rjieba", None)
    tk = pipeline_tokenizer.tokenizer
    assert cut(tk, text) == list(tk.cut(text, HMM=True))


def test_a_latin_dictionary_word_is_cut_as_jieba_cuts_it():
    """jieba-rs joins single letters and digits into one word; when that
    word is in the dictionary too, the path is found in Python."""
    tk = tokenizer((("QQ", "nz"), ("AB3", "nz"))).tokenizer
    for text in ["用QQ和AB3联系", "QQAB3Q9", "AB3年", "Q和Q", "Python3和QQ群"]:
        assert cut(tk, text) == list(tk.cut(text, HMM=True))


def test_changed_frequencies_give_jiebas_words():
    """jieba adds a replaced word's new frequency to its total without
    taking the old one away; the copy scores paths with that same total."""
    tk = tokenizer((("频率测试词", "nz"),)).tokenizer
    text = "建设城乡教育共同体,覆盖所有乡村小学和初中,扩大优质教育资源受惠面"
    for word, freq in [("教育", 3), ("乡村小学", 900000), ("资源", 50_000_000)]:
        tk.add_word(word, freq)
        assert cut(tk, text) == list(tk.cut(text, HMM=True))


def test_jieba_rs_runs_hold_the_characters_segment_expects():
    """:func:`kg.segment.cut` hands jieba-rs whole texts only when it can
    tell which characters jieba-rs puts in a run: jieba's (U+4E00 to
    U+9FD5, ASCII letters and digits, ``+#&._%-``) and, besides, exactly
    those of ``_RS_ONLY``.  A later rjieba with other runs fails here."""
    import jieba
    import kg.segment as seg
    if seg._rjieba is None:
        pytest.skip("rjieba is not installed")
    engine = seg._rjieba.Jieba.empty()
    chars = [chr(i) for i in range(1, 0x30000) if not 0xD800 <= i < 0xE000]
    for c in chars:
        engine.add_word(c + "甲", 1000, None)
    in_run = {c for c in chars if engine.cut(c + "甲", False) == [c + "甲"]}
    jiebas = {c for c in chars if jieba.re_han_default.fullmatch(c)}
    assert jiebas <= in_run
    assert in_run - jiebas == {c for c in chars if seg._RS_ONLY.fullmatch(c)}
    assert {c for c in jiebas if not "\u4e00" <= c <= "\u9fd5"} == seg._RUN_CHARS


def test_a_text_with_rarer_ideographs_is_cut_as_jieba_cuts_it(pipeline_tokenizer):
    tk = pipeline_tokenizer.tokenizer
    for text in ["㐀㐁教育局𠀀推进", "龦龧工作,丽水市", "教育局\x1c推进\r\n工作  要点"]:
        assert cut(tk, text) == list(tk.cut(text, HMM=True))


#: Text mixing what meets at run boundaries: ideographs (common, rarer, ones
#: jieba-rs alone takes into a run), Latin letters and digits that jieba-rs
#: joins, the marks a run may hold (+#&._%-), punctuation and spaces.
_MIXED = st.text(alphabet=st.sampled_from(
    list("台州市教育局电大温医大推进工程计划学校中学双减教共体年份") + list("aAzQ09") + list("+#&._%-")
    + list(",。、“”《》()!? ") + ["\r", "\n", "\t", "\u3000", "\x1c", "㐀", "龦", "𠀀", "\ufdd0", "é"]),
    max_size=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_MIXED)
def test_cut_is_jiebas_on_any_text(pipeline_tokenizer, text):
    tk = pipeline_tokenizer.tokenizer
    assert cut(tk, text) == list(tk.cut(text, HMM=True))


def test_the_dictionary_read_from_jiebas_cache_is_jiebas(tmp_path, monkeypatch):
    """The pipeline reads jieba's cached prefix dictionary itself (four
    times faster than jieba's own read); the dictionary is jieba's, and a
    cache that is missing or broken is built again by jieba."""
    import jieba

    from kg.segment import _Tokenizer

    def fresh(ours: bool):
        tk = _Tokenizer() if ours else jieba.Tokenizer()
        tk.tmp_dir = str(tmp_path)
        tk.initialize()
        return tk

    theirs = fresh(False)                    # jieba builds and writes the cache
    cache = tmp_path / "jieba.cache"
    assert cache.is_file()
    with monkeypatch.context() as m:         # not through jieba's slow read
        m.setattr(jieba.marshal, "load", None)
        m.setattr(jieba.Tokenizer, "gen_pfdict", None)
        ours = fresh(True)
    assert (ours.FREQ, ours.total) == (theirs.FREQ, theirs.total)
    assert cut(ours, SAMPLES[2]) == list(theirs.cut(SAMPLES[2], HMM=True))
    for broken in (b"", b"not marshal", cache.read_bytes()[:1000]):
        cache.write_bytes(broken)
        again = fresh(True)
        assert (again.FREQ, again.total) == (theirs.FREQ, theirs.total)
        assert cache.stat().st_size > 1000     # jieba wrote it anew


def test_a_word_with_an_empty_tag_is_tagged_as_a_word_the_dictionary_lacks():
    """A dictionary line ``word freq`` with an empty tag gives the word no
    tag of its own: it is tagged like a word the dictionary lacks."""
    from kg.segment import TaggedTokenizer, tokens
    base = tokenizer((("甲乙丙丁", "nz"), ("戊己庚辛", "nz")))
    table = dict(base.word_tag_tab, 戊己庚辛="")
    pt = TaggedTokenizer(base.tokenizer, table)
    tags = {t.word: t.pos for t in tokens("甲乙丙丁戊己庚辛,2023", 0, pt)}
    assert tags == {"甲乙丙丁": "nz", "戊己庚辛": "nr", ",": "x", "2023": "m"}


def test_jieba_comes_in_without_pkg_resources_and_still_finds_its_dictionary():
    """kg imports jieba without the deprecated pkg_resources (0.13 s of
    every run): jieba then reads its own dictionary by its path, and a
    program importing pkg_resources afterwards is not stopped."""
    code = ("import sys, kg.segment, jieba\n"
            "print('pkg_resources' in sys.modules)\n"
            "tk = jieba.Tokenizer()\n"
            "tk.tmp_dir = sys.argv[1]\n"
            "print('/'.join(tk.lcut('未来乡村学校建设')))\n"
            "print(sys.modules.get('pkg_resources', 'absent') is not None)\n")
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", code, tmp], capture_output=True, text=True,
                             cwd=ROOT, check=True).stdout.split()
    assert out == ["False", "未来/乡村/学校/建设", "True"]
