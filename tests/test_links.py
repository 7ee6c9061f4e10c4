"""Linking kept up to date (kg.links.LinkState) is linking from scratch
(kg.pipeline.link) of the documents as they now are."""
from dataclasses import replace

import pytest

from kg.gazetteer import load_gazetteer
from kg.links import LinkState
from kg.pipeline import link, link_parts


def _same(a, b) -> None:
    assert a.documents == b.documents
    assert a.entities == b.entities
    assert a.relations == b.relations
    assert a.metrics == b.metrics
    assert a.publishers == b.publishers


def _state(results, gaz):
    entities, parts = link_parts(results, gaz)
    return LinkState.of(gaz, entities, parts)


def test_the_state_of_the_seeds_is_their_linking(seed_results):
    gaz = load_gazetteer()
    whole, _ = seed_results
    _same(_state(whole, gaz).extraction(), link(whole, gaz))


@pytest.mark.parametrize("i", range(5))
def test_a_document_changed_merges_again_to_the_linking_of_the_documents_now(seed_results, i):
    """Document i becomes its second half: the parts that changed (the
    document's own, and any other's its new entities reach) are put in,
    the others left as they were, and the state is the linking of the
    documents as they now are."""
    gaz = load_gazetteer()
    whole, half = seed_results
    state = _state(whole, gaz)
    _, before = link_parts(whole, gaz)
    now = [*whole[:i], half[i], *whole[i + 1:]]
    entities, parts = link_parts(now, gaz)
    changed = [p for p, old in zip(parts, before) if p != old]
    assert now[i].doc.doc_id in {part.doc_id for _, part in changed}
    state.update(entities, changed)
    _same(state.extraction(), link(now, gaz))


def test_documents_added_and_removed(seed_results):
    gaz = load_gazetteer()
    whole, half = seed_results
    state = _state(whole[:3], gaz)
    now = whole[:2] + whole[3:]
    entities, parts = link_parts(now, gaz)
    state.update(entities, parts, removed=[whole[2].doc.doc_id])
    _same(state.extraction(), link(now, gaz))
    # a second copy of a document, under another id, doubles its counts
    copy = replace(half[0], doc=replace(half[0].doc, doc_id="copy"))
    now = now + [copy]
    entities, parts = link_parts(now, gaz)
    state.update(entities, parts)
    _same(state.extraction(), link(now, gaz))


@pytest.mark.parametrize("seed", range(3))
def test_any_sequence_of_changes_links_as_link_does(seed_results, seed):
    """Documents become others (under their own ids), are added and
    removed; the parts that changed are put in after each step, and the
    state is the linking of the documents as they now are."""
    import random
    rng = random.Random(seed)
    gaz = load_gazetteer()
    whole, half = seed_results
    pool = whole + half
    now = list(whole[:3])
    state = _state(now, gaz)
    _, parts = link_parts(now, gaz)
    for step in range(8):
        ids = [r.doc.doc_id for r in now]
        choice, removed = rng.random(), []
        if choice < 0.2 and len(now) > 1:
            removed = [now.pop(rng.randrange(len(now))).doc.doc_id]
        else:
            doc_id = f"n{step}" if choice < 0.4 else rng.choice(ids)
            source = rng.choice(pool)
            other = replace(source, doc=replace(source.doc, doc_id=doc_id))
            if doc_id in ids:
                now[ids.index(doc_id)] = other
            else:
                now.append(other)
        before = {p.doc_id: p for _, p in parts}
        entities, parts = link_parts(now, gaz)
        state.update(entities, [(d, p) for d, p in parts if before.get(p.doc_id) != p], removed)
        _same(state.extraction(), link(now, gaz))


def _spans(value):
    import pickle
    from kg.lazy import spans_only
    return pickle.loads(spans_only(value))


def test_a_saved_state_opened_a_row_at_a_time_updates_as_the_whole_one(seed_results, tmp_path):
    """Saved, then opened anew for each change (as each rebuild would),
    read a bucket at a time and flushed: every table ends as in the state
    held whole (its records as spans: their sentences are the documents'),
    whose extraction is the linking of the documents now."""
    import random
    rng = random.Random(3)
    gaz = load_gazetteer()
    whole, half = seed_results
    now = list(whole)
    state = _state(now, gaz)
    path = tmp_path / "links.sqlite"
    state.save(path)
    _, parts = link_parts(now, gaz)
    for step in range(6):
        i = rng.randrange(len(now))
        source = rng.choice(whole + half)
        now[i] = replace(source, doc=replace(source.doc, doc_id=now[i].doc.doc_id))
        before = {p.doc_id: p for _, p in parts}
        entities, parts = link_parts(now, gaz)
        changed = [(d, p) for d, p in parts if before.get(p.doc_id) != p]
        state.update(entities, changed)
        opened = LinkState.open(gaz, path)
        try:
            opened.update(entities, changed)
            opened.flush()
        finally:
            opened.close()
    _same(state.extraction(), link(now, gaz))
    opened = LinkState.open(gaz, path)
    try:
        for name in LinkState._TABLES:   # the records as spans, their sentences the documents'
            assert _spans(dict(getattr(opened, name))) == _spans(dict(getattr(state, name))), name
        assert list(opened.documents) == list(state.documents)
        with pytest.raises(RuntimeError):
            opened.extraction()
    finally:
        opened.close()


class _Logged(dict):
    """A table that notes every key looked up in it."""

    log: set = set()

    def __contains__(self, k):
        _Logged.log.add(k)
        return dict.__contains__(self, k)

    def __getitem__(self, k):
        _Logged.log.add(k)
        return dict.__getitem__(self, k)

    def get(self, k, default=None):
        _Logged.log.add(k)
        return dict.get(self, k, default)


def test_each_part_holds_the_names_its_linking_looked_up(seed_results):
    """A part's reads are every name its document's linking looked up in
    the place and agency-name tables (answers memoised for other documents
    included), and its publisher's comparison form: what the tables give,
    each document linked alone with its lookups noted, every memo cleared
    before it."""
    from kg.extract import relations
    from kg.pipeline import _context, _link_document, _Staged
    from kg.resolve import key
    gaz = load_gazetteer()
    whole, _ = seed_results
    _, parts = link_parts(whole, gaz)
    entities, eids, publishers, ctx = _context(whole, gaz)
    agencies = _Logged(relations._agency_names(entities))
    ctx = type(ctx)(ctx.gaz, ctx.entities, _Logged(ctx.places), ctx.types)
    staged = _Staged(whole, eids, gaz)
    try:
        for i, r in enumerate(whole):
            relations._place_prefix.cache = None
            relations._agency_names.cache = (entities, len(entities), agencies)
            _Logged.log = {key(r.doc.publisher)} if r.doc.publisher else set()
            _link_document(r, staged[i], publishers[i], ctx)
            assert parts[i][1].reads == _Logged.log, r.doc.doc_id
            assert len(_Logged.log) > 20
    finally:
        relations._place_prefix.cache = relations._agency_names.cache = None


def test_a_document_reads_its_own_place_however_little_it_names():
    """A document naming no place still looks its own place up (its
    agencies and events stand there): a change to that place's entity
    reaches it."""
    from kg.lexicon import load_lexicon
    from kg.model import Document
    from kg.pipeline import analyse
    gaz = load_gazetteer()
    doc = Document("d", "d.txt", "推进工作。", publisher="", place="台州市", date="2020-01-01")
    result = analyse(doc, gaz.lookup("台州市"), gaz, load_lexicon())
    _, [(_, part)] = link_parts([result], gaz)
    assert part.reads == {"台州市"}
