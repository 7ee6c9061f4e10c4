"""Names merged incrementally (kg.names.NameState) are the names merged
from scratch (kg.resolve.merge_names) of the documents as they now are,
after any sequence of documents changed, added and removed."""
import random
from types import SimpleNamespace

import pytest

from kg.names import NameState
from kg.resolve import DocNames, key, merge_names


@pytest.fixture(scope="module")
def seed_names(seed_results) -> list[DocNames]:
    """The seeds' parts of name resolution, each followed by its second
    half's (a document after an edit: some names gone, counts changed)."""
    return [r.names for pair in zip(*seed_results) for r in pair]


def _from_scratch(docs: dict[str, DocNames]):
    found, ids = merge_names([(SimpleNamespace(doc_id=d), dn) for d, dn in docs.items()])
    return found, ids


def _node(etype: str, name: str):
    return (etype, key(name))


def _names(*mentions, local=None, notation=None, extended=()) -> DocNames:
    """A document's part: ``(type, name, forms)`` per mention."""
    nodes = tuple(_node(t, n) for t, n, _ in mentions)
    forms: dict = {}
    for (t, n, fs), node in zip(mentions, nodes):
        forms.setdefault(node, set()).update({n, *fs})
    return DocNames(nodes, tuple(n for _, n, _ in mentions), forms,
                    {_node(t, n): set(fs) for t, n, fs in (local or [])},
                    notation or {}, frozenset(extended))


def test_the_state_of_the_seeds_merges_as_merge_names_does(seed_names):
    docs = {f"d{i}": dn for i, dn in enumerate(seed_names)}
    assert NameState.of(list(docs.items())).result() == _from_scratch(docs)


def test_a_form_one_document_gives_joins_and_then_parts_two_entities():
    full = _names(("Initiative", "城乡教育共同体", {"教共体"}))
    short = _names(("Initiative", "教共体", set()), ("Initiative", "教共体", set()))
    plain = _names(("Initiative", "城乡教育共同体", set()))
    state = NameState.of([("a", full), ("b", short)])
    (entity,) = [e for _, e in state.result()[0]]
    assert entity.name == "教共体"      # said twice against once
    assert entity.aliases == ("城乡教育共同体",)
    changes = state.replace("a", full, plain)   # the alias is no longer given
    names = sorted(e.name for _, e in state.result()[0])
    assert names == ["城乡教育共同体", "教共体"]
    assert state.result() == _from_scratch({"a": plain, "b": short})
    # the node of document a now has an entity of its own
    assert changes.moved == {_node("Initiative", "城乡教育共同体")}
    assert entity.id in changes.gone or entity.id in {e.id for e in changes.made}


def test_a_relative_form_joins_inside_its_own_document_only():
    here = _names(("Agency", "温州市教育局", set()), ("Agency", "教育局", set()),
                  local=[("Agency", "温州市教育局", {"教育局"})])
    there = _names(("Agency", "台州市教育局", set()), ("Agency", "教育局", set()),
                   local=[("Agency", "台州市教育局", {"教育局"})])
    state = NameState.of([("w", here)])
    state.replace("t", None, there)
    assert state.result() == _from_scratch({"w": here, "t": there})
    assert len(state.result()[0]) == 3   # 温州市教育局 + 教育局 here and 台州市教育局 apart


def test_a_division_code_is_the_last_documents():
    first = _names(("Place", "新城区", set()), notation={_node("Place", "新城区"): "610102"})
    second = _names(("Place", "新城区", set()), notation={_node("Place", "新城区"): "150102"})
    state = NameState.of([("a", first), ("b", second)])
    assert state.result() == _from_scratch({"a": first, "b": second})
    assert state.result()[0][0][1].notation == "150102"
    state.replace("b", second, None)
    assert state.result()[0][0][1].notation == "610102"


def test_a_name_quoted_with_words_before_it_loses_ties_until_no_document_says_so():
    a = _names(("Initiative", "推进“双减”", {"双减"}), extended={"推进“双减”"})
    b = _names(("Initiative", "“双减”工作", {"双减"}))
    state = NameState.of([("a", a), ("b", b)])
    assert state.result() == _from_scratch({"a": a, "b": b})
    plain = _names(("Initiative", "推进“双减”", {"双减"}))
    state.replace("a", a, plain)
    assert state.result() == _from_scratch({"a": plain, "b": b})


def test_a_name_quoted_extended_as_another_type_still_weighs_in_every_group():
    """The names that took words before their quotes are one set across
    types: a document quoting one so as an Initiative changes the canonical
    name of a Programme group no changed document names."""
    group = _names(("Programme", "推进“双减”", {"双减"}), ("Programme", "“双减”方案", {"双减"}))
    other = _names(("Initiative", "推进“双减”", set()), extended={"推进“双减”"})
    state = NameState.of([("p", group), ("q", other)])
    assert state.result() == _from_scratch({"p": group, "q": other})
    programme = [e for _, e in state.result()[0] if e.type == "Programme"][0]
    assert programme.name == "“双减”方案"
    changes = state.replace("q", other, None)
    assert state.result() == _from_scratch({"p": group})
    assert [e.name for e in changes.made if e.type == "Programme"] == ["推进“双减”"]


@pytest.mark.parametrize("seed", range(6))
def test_any_sequence_of_changes_merges_as_merge_names_does(seed_names, seed):
    """Documents take one another's names (so names, counts and forms are
    shared and unshared across them), are added and removed; after each
    step the state is what merging every document afresh gives, and what
    it says changed (the entities gone, new or changed, the nodes whose
    entity id changed) is exactly what did."""
    rng = random.Random(seed)
    pool = list(seed_names)
    docs = {f"d{i}": dn for i, dn in enumerate(pool[:3])}
    state = NameState.of(list(docs.items()))
    for step in range(12):
        old_found, before = _from_scratch(docs)
        choice = rng.random()
        if choice < 0.2 and len(docs) > 1:
            doc_id = rng.choice(sorted(docs))
            changes = state.replace(doc_id, docs.pop(doc_id), None)
        elif choice < 0.4:
            doc_id = f"n{step}"
            docs[doc_id] = rng.choice(pool)
            changes = state.replace(doc_id, None, docs[doc_id])
        else:
            doc_id = rng.choice(sorted(docs))
            new = rng.choice(pool)
            changes = state.replace(doc_id, docs[doc_id], new)
            docs[doc_id] = new
        found, after = _from_scratch(docs)
        assert state.result() == (found, after), f"step {step}"
        assert changes.moved == {n for n in before.keys() | after.keys()
                                 if before.get(n) != after.get(n)}
        old_entities = {e for _, e in old_found}
        assert set(changes.made) == {e for _, e in found} - old_entities
        assert changes.gone == {e.id for e in old_entities} - {e.id for _, e in found}


def test_a_document_taken_out_must_be_in():
    state = NameState.of([("a", _names(("Agency", "教育局", set())))])
    with pytest.raises(ValueError, match="not in"):
        state.replace("b", _names(("Agency", "教育局", set())), None)
    with pytest.raises(ValueError, match="already in"):
        state.replace("a", None, _names(("Agency", "教育局", set())))


@pytest.mark.parametrize("seed", range(3))
def test_a_saved_state_opened_a_row_at_a_time_changes_as_the_whole_one(seed_names, seed,
                                                                       tmp_path):
    """Saved, then opened anew for each change (as each rebuild would),
    read a bucket at a time and flushed: the same changes and the same merged
    names as the state held whole, and as merging afresh."""
    rng = random.Random(seed)
    pool = list(seed_names)
    docs = {f"d{i}": dn for i, dn in enumerate(pool[:4])}
    whole = NameState.of(list(docs.items()))
    path = tmp_path / "names.sqlite"
    whole.save(path)
    for step in range(8):
        doc_id = rng.choice(sorted(docs))
        new = rng.choice(pool)
        opened = NameState.open(path)
        try:
            assert opened.replace(doc_id, docs[doc_id], new) == \
                whole.replace(doc_id, docs[doc_id], new), f"step {step}"
            opened.flush()
        finally:
            opened.close()
        docs[doc_id] = new
    opened = NameState.open(path)
    try:
        assert opened.result() == whole.result() == _from_scratch(docs)
    finally:
        opened.close()
