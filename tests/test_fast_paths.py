"""The per-document stage's shortcuts give what the plain forms gave."""
import random

from kg.clean import to_simplified
from kg.extract.entities import _holds_boundary, pattern_mentions
from kg.gazetteer import load_gazetteer
from kg.lexicon import load_lexicon
from kg.segment import Sentence


def test_boundary_inside_a_gap_by_substrings():
    lex = load_lexicon()
    rng = random.Random(7)
    words = sorted(lex.boundaries)
    for _ in range(300):
        gap = "".join(rng.choice(words + ["教", "育", "双", "减"]) for _ in range(3))[:8]
        slow = any(b in gap for b in lex.boundaries if len(b) >= 2)
        assert _holds_boundary(gap, lex.boundaries) == slow


def test_words_outside_the_surfaces_name_no_division():
    gaz = load_gazetteer()
    names = gaz.surfaces()
    for w in ["教育", "学校", "台州", "台州市", "浙江", "会同", "某县"]:
        if w not in names:
            assert gaz.lookup(w, None) is None
    assert "台州市" in names


def test_divisions_around_a_context_in_list_order():
    gaz = load_gazetteer()
    rng = random.Random(3)
    for context in rng.sample([d for d in gaz.divisions if d.code], 20):
        slow = tuple(d for d in gaz.divisions if gaz.within(d, context))
        assert gaz.around(context) == slow


def test_pattern_mentions_of_a_sentence_without_patterns():
    lex = load_lexicon()
    s = Sentence(0, 8, "今天天气很好。")
    assert pattern_mentions("d", s, lex, []) == []


def test_simplified_text_is_left_as_it_is():
    text = "台州市教育局关于印发实施方案的通知"
    assert to_simplified(text) == text


def test_a_name_of_letters_and_digits_is_its_own_key():
    """key() returns a name without quotes, spaces, dashes, dots or commas
    as it is, and normalises every other one as the patterns say."""
    import re
    from kg.resolve import key
    rng = random.Random(11)
    pieces = ["教育", "局", "2035", "A", "“", "”", "《", "》", " ", "—", "-", "•", "·", ",",
              "、", "\u3000", "双减", "é", "⑩", "Ⅻ"]
    for _ in range(2000):
        name = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        slow = re.sub(r"[—–―-]+", "-", re.sub(r"[“”\"《》「」『』‘’'\s]", "", name)).translate(
            str.maketrans({"•": "·", "・": "·", "‧": "·", "∙": "·", ",": "、", ",": "、"}))
        assert key(name) == slow, name
    assert key("城乡“教共体”") == "城乡教共体" and key("教共体") == "教共体"
