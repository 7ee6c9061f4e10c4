"""The pipeline's own segmentation is jieba's, word for word."""
from pathlib import Path

import pytest

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
