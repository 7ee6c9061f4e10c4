"""Property tests over the reader, the cleaners and the extractors, and
hostile names through every export."""
import json
import re

import pyoxigraph
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.clean import CLEANERS, clean_text
from kg.extract.entities import extract_mentions
from kg.extract.metrics import extract_metrics
from kg.gazetteer import load_gazetteer
from kg.graph import build_graph, graph_to_json
from kg.io import decode
from kg.lexicon import load_lexicon
from kg.model import Document
from kg.pipeline import extract
from kg.rdf import serialize
from kg.resolve import SentenceIndex
from kg.segment import split_sentences
from kg.viz import render_html

GAZ, LEX = load_gazetteer(), load_lexicon()
PLACE = GAZ.lookup("台州市")

# text that looks like the genre: Chinese, quotes, titles, numbers, marks
genre = st.text(alphabet=st.sampled_from(
    list("台州市教育局实施推进工程计划行动学校中学幼儿园“”《》,。;、0123456789%万亿个所名")
    + ["\n", " ", "*", "X", "<", ">", "&", "\"", "\\", "{", "}", "\u200b", "\u202e"]), max_size=300)
anything = st.text(max_size=300)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=400))
def test_decode_never_raises_anything_but_input_error(data):
    from kg.errors import InputError
    try:
        text, enc = decode(data, "x")
        assert isinstance(text, str)
    except InputError:
        pass


@FUZZ
@given(st.one_of(genre, anything))
def test_cleaning_is_idempotent(text):
    once = clean_text(text)
    assert clean_text(once) == once
    for fn in CLEANERS:
        assert isinstance(fn(text), str)


@FUZZ
@given(st.one_of(genre, anything))
def test_every_mention_and_metric_points_at_its_text(text):
    doc = Document("f", "f.txt", clean_text(text), date="2020-01-01")
    for m in extract_mentions(doc, LEX, GAZ, PLACE):
        assert doc.text[m.start:m.end] == m.text
    for m in extract_metrics(doc, SentenceIndex(split_sentences(doc.text))):
        assert doc.text[m.evidence.start:m.evidence.end] == m.text


def _graph(text):
    doc = Document("f", "f.txt", clean_text(text), publisher="台州市教育局", place="台州市",
                   date="2020-01-01")
    return build_graph(extract([(doc, PLACE)], GAZ, LEX))


@FUZZ
@given(genre)
def test_every_exported_literal_round_trips_through_rdflib_and_pyoxigraph(text):
    g = _graph(text)
    ttl = serialize(g, "ttl")
    ours = {a["label"] for _, a in g.nodes(data=True) if a.get("kind") == "entity"}
    r = rdflib.Graph().parse(data=ttl.decode("utf-8"), format="turtle")
    skos = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
    assert {str(o) for o in r.objects(None, skos)} >= ours
    store = pyoxigraph.Store()
    store.load(ttl, format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(r)


HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a>b", "a\\b",
           "{{ constructor }}", "a&c"]


def test_hostile_names_come_out_identical_in_json_turtle_and_html():
    text = "".join(f"实施“{h}”工程。" for h in HOSTILE) + "推进“测\u200b试\u202e工程”。"
    g = _graph(text)
    labels = {a["label"] for _, a in g.nodes(data=True) if a.get("kind") == "entity"}
    for h in HOSTILE:
        assert f"{h}工程" in labels, labels
    data = json.loads(graph_to_json(g))
    json_labels = {n["label"] for n in data["nodes"] if n.get("kind") == "entity"}
    r = rdflib.Graph().parse(data=serialize(g, "ttl").decode("utf-8"), format="turtle")
    skos = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
    assert json_labels == labels and {str(o) for o in r.objects(None, skos)} == labels
    html = render_html(g)
    for h in HOSTILE:
        assert f"{h}工程" not in html or not re.search(r"[<>&'\\]", h)
    assert not re.search(r"[\u200b\u202e]", "".join(labels))  # invisible marks are cleaned away


def test_a_hundred_thousand_quote_marks_and_an_unclosed_quote_make_no_giant_names():
    text = "“" * 100_000 + "实施“" + "很长的名字" * 2000
    doc = Document("f", "f.txt", clean_text(text))
    mentions = extract_mentions(doc, LEX, GAZ, PLACE)
    assert all(len(m.text) <= 80 for m in mentions)
