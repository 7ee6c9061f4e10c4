"""Relation entries as integer columns (kg.columns.RelationColumns) merge
as the relations' own merge does (kg.extract.relations.merge_entries), and
stay so as documents are put in again, taken out and added."""
import random
from dataclasses import replace

import pytest

from kg.columns import RecordColumns, RelationColumns
from kg.extract.relations import merge_entries
from kg.model import by_span
from kg.gazetteer import load_gazetteer
from kg.pipeline import link_parts


@pytest.fixture(scope="module")
def seed_parts(seed_results):
    """Each seed's part of linking (its reduced relations, its mentions'
    records by entity), whole and as its second half, linked against the
    seeds' entities."""
    gaz = load_gazetteer()

    def parts(results):
        return {p.doc_id: p for _, p in link_parts(results, gaz)[1]}
    return tuple(parts(results) for results in seed_results)


@pytest.fixture(scope="module")
def seed_entries(seed_parts):
    whole, half = seed_parts
    return ({d: p.reduced for d, p in whole.items()}, {d: p.reduced for d, p in half.items()})


def _expected(entries: dict) -> dict:
    """Every relation merged by merge_entries from every document's entry,
    its records as spans."""
    by_key: dict = {}
    for doc_id in sorted(entries):
        for k, entry in entries[doc_id].items():
            by_key.setdefault(k, []).append(entry)
    out = {}
    for k, found in by_key.items():
        count, n, sentences, kept = merge_entries(k[1], found)
        out[k] = (count, n, sentences, tuple((e.doc_id, e.start, e.end) for e in kept))
    return out


def test_the_columns_of_the_seeds_merge_as_their_relations_do(seed_entries):
    whole, _ = seed_entries
    merged = RelationColumns.of(whole.items()).merged_entries()
    assert merged == _expected(whole)
    # documents numbered against their ids' order: records still in span order
    assert RelationColumns.of(reversed(whole.items())).merged_entries() == merged
    # the seeds' relations keep several records each, and co-mentions one
    assert any(len(v[3]) == 5 for v in merged.values())
    assert all(len(v[3]) <= 1 for k, v in merged.items() if k[1] == "coMentioned")


def test_documents_put_in_again_taken_out_and_added_merge_as_afresh(seed_entries):
    """A random sequence of changes (a document becomes its half or whole
    again, is taken out, comes back, or a copy is added under a new id):
    after each, the merge is that of the documents as they now are."""
    whole, half = seed_entries
    rng = random.Random(7)
    now = dict(whole)
    columns = RelationColumns.of(now.items())
    for step in range(12):
        doc_id = rng.choice(sorted(whole))
        move = rng.choice(["half", "whole", "out", "copy"])
        if move == "out" and doc_id in now:
            del now[doc_id]
            columns.take_out([doc_id])
        elif move == "copy":
            copy = f"copy{step}"
            now[copy] = {k: (*v[:3], tuple(replace(e, doc_id=copy) for e in v[3]))
                         for k, v in half[doc_id].items()}
            columns.put([(copy, now[copy])])
        else:
            now[doc_id] = (half if move == "half" else whole)[doc_id]
            columns.put([(doc_id, now[doc_id])])
        assert columns.merged_entries() == _expected(now), (step, move, doc_id)
        assert sorted(columns.documents()) == sorted(d for d in now if now[d])


def test_saved_and_loaded_the_columns_merge_the_same(seed_entries, tmp_path):
    whole, half = seed_entries
    columns = RelationColumns.of(whole.items())
    columns.save(tmp_path / "links.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["links.npz"]   # no temporary file left
    again = RelationColumns.load(tmp_path / "links.npz")
    assert again.merged_entries() == columns.merged_entries()
    first = sorted(whole)[0]
    again.put([(first, half[first])])     # numbers and keys carried over
    assert again.merged_entries() == _expected({**whole, first: half[first]})


def test_the_key_order_is_kept_with_the_columns_and_places_the_keys_added(seed_entries,
                                                                          tmp_path):
    """Saved with the columns, the order of the relation keys is taken up
    again and the keys a rebuild adds are placed in it: always the order
    of the keys as tuples."""
    whole, half = seed_entries

    def in_key_order(columns):
        return [columns.keys[i] for i in columns.key_order()] == sorted(columns.keys)
    docs = sorted(whole)
    columns = RelationColumns.of((d, half[d]) for d in docs[:-1])
    assert in_key_order(columns)
    columns.save(tmp_path / "links.npz")
    again = RelationColumns.load(tmp_path / "links.npz")
    assert again.key_order().tolist() == columns.key_order().tolist()
    extra = {k: v for k, v in whole[docs[0]].items() if k not in again.key_no}
    few = dict(list(extra.items())[:5])
    assert few
    again.put([(docs[0], {**half[docs[0]], **few})])   # a few keys added: placed
    assert in_key_order(again)
    again.put([(docs[-1], whole[docs[-1]])])           # many: sorted afresh
    assert in_key_order(again)
    other = RelationColumns.of([("another", whole[docs[1]])])
    again.extend(other)
    assert in_key_order(again)


def test_no_documents_merge_to_nothing():
    assert RelationColumns().merged_entries() == {}
    assert RelationColumns.of([("d1", {})]).merged_entries() == {}


def _records(records: dict) -> dict:
    """Every entity's records of every document, one per span, by span."""
    found: dict = {}
    for doc_id in records:
        for eid, evs in records[doc_id].items():
            found.setdefault(eid, []).extend(evs)
    return {eid: tuple((e.doc_id, e.start, e.end) for e in by_span(evs))
            for eid, evs in found.items()}


def test_the_entities_records_merge_one_per_span_in_span_order(seed_parts, tmp_path):
    """The records each entity gets (kg.resolve.with_evidence: its
    mentions' records of every document, one per span, by span), as
    documents change, are taken out and come back, and once saved."""
    whole, half = seed_parts
    now = {d: p.records for d, p in whole.items()}
    # numbered against the ids' order, and the first document's spans given twice
    first = sorted(now)[0]
    twice = {eid: evs + evs[:1] for eid, evs in now[first].items()}
    columns = RecordColumns.of([*reversed(now.items()), (first, twice)])
    assert columns.merged_records() == _records(now)
    assert any(len(spans) > 20 for spans in _records(now).values())
    rng = random.Random(3)
    for step in range(8):
        doc_id = rng.choice(sorted(whole))
        move = rng.choice(["half", "whole", "out"])
        if move == "out":
            now.pop(doc_id, None)
            columns.take_out([doc_id])
        else:
            now[doc_id] = (half if move == "half" else whole)[doc_id].records
            columns.put([(doc_id, now[doc_id])])
        assert columns.merged_records() == _records(now), (step, move, doc_id)
    columns.save(tmp_path / "records.npz")
    assert RecordColumns.load(tmp_path / "records.npz").merged_records() == _records(now)
