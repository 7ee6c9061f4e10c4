"""The value objects: frozen, slotted, and pickled by their fields (the
cache, worker processes and Dask ship them)."""
import dataclasses
import pickle

import pytest

from kg.model import Document, Entity, Evidence, Mention, Metric, Relation, _by_fields

EV = Evidence("d1", 0, 6, "台州市教育局。")
OBJECTS = [Document("d1", "d1.txt", "台州市教育局。", title="通知", date="2024-01-02"),
           Mention("d1", 0, 6, "台州市教育局", "Agency", "台州市教育局", "grammar"),
           EV, Entity("agency-1", "Agency", "台州市教育局", ("市教育局",), (EV,)),
           Relation("doc:d1", "mentions", "agency-1", (EV,), weight=2),
           Metric("m1", "d1", 3.0, "所", "学校", "3所", 2024, evidence=EV, about="agency-1")]


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda o: type(o).__name__)
def test_value_objects_pickle_by_their_fields(obj):
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        back = pickle.loads(pickle.dumps(obj, protocol=protocol))
        assert back == obj and hash(back) == hash(obj) and type(back) is type(obj)
    assert not hasattr(obj, "__dict__")  # slotted: no per-object dictionary
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, dataclasses.fields(obj)[0].name, "x")


def test_a_placed_metric_is_what_replace_gives():
    """Metric.placed, the fast path of linking, keeps every other field."""
    m = Metric("m1", "d1", 3.0, "所", "学校", "3所", 2024, "ge", True, "old", EV, "target",
               "place-0")
    assert m.placed("agency-1", "place-1") == \
        dataclasses.replace(m, about="agency-1", place="place-1")


def test_value_objects_take_their_fields_by_position_keyword_and_default():
    """Their ``__init__`` (:func:`kg.model.slot_init`) keeps the dataclass's
    signature: positions, keywords, defaults, and errors for a field left
    out or unknown."""
    import inspect
    m = Metric("m1", "d1", 3.0, "所", "学校", "3所")
    assert (m.year, m.comparator, m.approximate, m.about, m.evidence, m.status, m.place) == \
        (None, "", False, "", None, "", "")
    assert Mention(doc_id="d1", start=0, end=6, text="台州市教育局", type="Agency",
                   name="台州市教育局") == Mention("d1", 0, 6, "台州市教育局", "Agency",
                                              "台州市教育局", "")
    assert dataclasses.replace(EV, start=1) == Evidence("d1", 1, 6, "台州市教育局。")
    assert list(inspect.signature(Entity).parameters) == [f.name for f in dataclasses.fields(Entity)]
    with pytest.raises(TypeError):
        Evidence("d1", 0, 6)
    with pytest.raises(TypeError):
        Evidence("d1", 0, 6, "s", colour="red")


def test_slot_init_refuses_a_default_made_by_a_factory():
    from kg.model import slot_init

    @dataclasses.dataclass(frozen=True, slots=True)
    class Bag:
        items: list = dataclasses.field(default_factory=list)
    with pytest.raises(TypeError, match="plain defaults"):
        slot_init(Bag)


@dataclasses.dataclass(frozen=True, slots=True)
class _OneField:
    __reduce__ = _by_fields
    name: str


def test_a_value_object_of_one_field_pickles_by_it():
    back = pickle.loads(pickle.dumps(_OneField("甲")))
    assert back == _OneField("甲") and type(back) is _OneField


def test_a_pickled_document_keeps_no_second_copy_of_its_text():
    """The cache pickles every document a build reads while the build goes
    on with it: CPython keeps the UTF-8 form it makes of a str for pickle
    inside the str for good, which for Chinese text doubled what a cached
    build held of its documents (85 MiB more at 16M characters)."""
    import sys
    for text in ("台州市教育局印发《关于推进教共体建设的通知》。" * 50,
                 "半个字符\ud800留在文中"):   # (a lone surrogate, as a bad file may give)
        doc = Document("d1", "d1.txt", text, title="通知")
        before = sys.getsizeof(doc.text)
        back = pickle.loads(pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL))
        assert sys.getsizeof(doc.text) == before
        assert back == doc and back.text == text


def test_records_by_span_are_one_per_span_in_document_and_offset_order():
    from kg.model import by_span
    a, b, c = Evidence("d1", 5, 9, "甲"), Evidence("d1", 5, 12, "甲"), Evidence("d2", 0, 3, "乙")
    assert by_span([a, b, c]) == (a, b, c)                 # in order: as given
    assert by_span([c, b, a, b]) == (a, b, c)              # out of order, a span twice
    assert by_span(iter([b, a])) == (a, b) and by_span([]) == ()
    assert by_span([a, Evidence("d1", 5, 9, "甲")]) == (a,)


def test_a_sentence_index_from_offsets_reads_as_one_from_sentences():
    from kg.resolve import SentenceIndex
    from kg.segment import split_sentences
    text = "第一句。第二句很长!\n第三句"
    made = SentenceIndex(split_sentences(text))
    kept = SentenceIndex.from_spans(text, made.spans())
    assert kept.sentences == made.sentences and kept.spans() == made.spans()
    for offset in range(len(text) + 1):
        assert kept.at(offset) == made.at(offset)
        assert kept.evidence("d", offset, offset + 1) == made.evidence("d", offset, offset + 1)
    ms = [Mention("d", 4, 7, "第二句", "Initiative", "第二句")]
    assert kept.evidence_of("d", ms) == [made.evidence("d", 4, 7)]
