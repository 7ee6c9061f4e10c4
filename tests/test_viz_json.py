"""The page's JSON block (kg/viz.py ``_script_json``): braces inside strings
escaped, structure untouched, whatever the strings hold."""
from __future__ import annotations

import json
import random
import re

from kg.viz import _script_json

#: Characters that make JSON escaping hard, with some Chinese.
ALPHABET = '{}"\\<>&/\n\t\u2028\u2029 ab:,[]教育{{ }}'


def reference(data) -> str:
    """The escaping as first written: split the text at every string literal."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    parts = re.split(r'("(?:[^"\\]|\\.)*")', text)
    for i in range(1, len(parts), 2):
        parts[i] = parts[i].replace("{", "\\u007b").replace("}", "\\u007d")
    return "".join(parts)


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 12)))


def random_data(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth > 3 or roll < 0.4:
        return rng.choice([random_text(rng), random_text(rng), 7, -1.5, True, None])
    if roll < 0.7:
        return [random_data(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {random_text(rng): random_data(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


def test_braces_in_strings_are_escaped_exactly_as_before():
    rng = random.Random(3)
    for _ in range(3000):
        data = random_data(rng)
        out = _script_json(data)
        assert out == reference(data)
        assert json.loads(out) == data


def test_no_brace_of_a_string_survives():
    data = {"a{": ["}", '\\"{', "x\\", "{{ x }}"], "": {}, "b": [{}, {"}": "{"}]}
    out = _script_json(data)
    strings = re.findall(r'"(?:[^"\\]|\\.)*"', out)
    assert strings and not any("{" in s or "}" in s for s in strings)
    assert json.loads(out) == data


def test_the_page_data_written_in_small_pieces_is_the_same_text():
    """The page streams its data a batch at a time; however it is cut, the
    pieces make the same escaped text."""
    from kg.viz import _script_json_pieces
    rng = random.Random(5)
    for _ in range(1000):
        data = {random_text(rng): random_data(rng) for _ in range(rng.randrange(0, 5))}
        for batch, depth in ((1, 2), (2, 1), (3, 3)):
            assert "".join(_script_json_pieces(data, batch, depth)) == reference(data)


def test_a_large_table_of_the_page_data_is_spelt_a_megabyte_at_a_time(monkeypatch):
    """Each document's sentences are one item of the page's sentence table:
    the table comes in pieces of about PIECE_CHARS, not whole (at 16M
    characters of text it is tens of megabytes)."""
    import kg.viz
    from kg.viz import _script_json_pieces
    monkeypatch.setattr(kg.viz, "PIECE_CHARS", 1000)
    table = {f"doc{i:03d}": [f"第{i}号文件的第{k}句。" * 5 for k in range(10)] for i in range(100)}
    data = {"sentences": table}
    pieces = list(_script_json_pieces(data))
    assert "".join(pieces) == reference(data)
    assert len(pieces) > 50 and max(map(len, pieces)) < 2000
