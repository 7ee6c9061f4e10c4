"""The whole path on the seed documents: build, exports, scores."""
import subprocess
import sys

import pyoxigraph
import pytest
import rdflib

from kg.graph import load_graph
from kg.pipeline import build
from tests.conftest import GOLD, SEEDS


@pytest.fixture(scope="module")
def seeds_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("seeds")
    result = build([SEEDS], out)
    return out, result


def test_all_seeds_build_without_skips(seeds_build):
    out, result = seeds_build
    assert result.skipped == []
    assert len(result.extraction.documents) == 5
    types = {a["type"] for _, a in result.graph.nodes(data=True) if a["kind"] == "entity"}
    assert types == {"Agency", "Place", "School", "Programme", "Initiative", "Event"}


def test_every_mention_offset_points_at_its_text(seeds_build):
    _, result = seeds_build
    texts = {d.doc_id: d.text for d in result.extraction.documents}
    for e in result.extraction.entities:
        for ev in e.evidence:
            assert ev.sentence in texts[ev.doc_id]
            assert texts[ev.doc_id][ev.start:ev.end] in ev.sentence


def test_turtle_parses_in_rdflib_and_pyoxigraph(seeds_build):
    out, _ = seeds_build
    g = rdflib.Graph().parse(out / "graph.ttl", format="turtle")
    store = pyoxigraph.Store()
    store.load(path=str(out / "graph.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(g) == len(store) > 1000


def test_graph_json_round_trips(seeds_build):
    out, result = seeds_build
    g = load_graph(out)
    assert sorted(g.nodes) == sorted(result.graph.nodes)
    assert g.number_of_edges() == result.graph.number_of_edges()


def test_relative_reference_resolved_in_the_taizhou_seed(seeds_build):
    _, result = seeds_build
    agencies = {e.name: e for e in result.extraction.entities if e.type == "Agency"}
    assert "台州市教育局" in agencies
    assert "台州市教育局" not in {e.name for e in result.extraction.entities if e.type != "Agency"}


def test_the_repeated_copy_of_the_lishui_seed_is_dropped(seeds_build):
    _, result = seeds_build
    doc = next(d for d in result.extraction.documents if d.doc_id.startswith("001"))
    assert doc.text.count("40.切实维护校园安全稳定") == 1


@pytest.mark.skipif(not (GOLD / "score_kg.py").exists(), reason="shared gold not beside the repo")
@pytest.mark.parametrize("stem", sorted(p.name[:-len(".gold.json")] for p in GOLD.glob("*.gold.json")))
def test_dev_gold_scores_hold(tmp_path, stem):
    build([SEEDS / f"{stem}.txt"], tmp_path / stem)
    res = subprocess.run([sys.executable, str(GOLD / "score_kg.py"), str(GOLD / f"{stem}.gold.json"),
                          str(tmp_path / stem / "graph.ttl"), "--min-entity-f1", "0.80"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


DATA = SEEDS.parent / "tests" / "data"
OOS_GOLD = sorted(p for d in ("oos", "oos2") for p in (DATA / d).glob("*.gold.json"))


@pytest.mark.parametrize("gold", OOS_GOLD, ids=lambda p: p.name[:-len(".gold.json")])
def test_out_of_sample_documents_hold_their_floor(tmp_path, gold):
    """Documents written for the genre from other provinces and formats
    (a PDF flattened to text, a scraped page): a floor that catches
    regressions in generalisation."""
    from kg.evaluate import evaluate
    stem = gold.name[:-len(".gold.json")]
    source = next(p for p in gold.parent.glob(stem + ".*") if not p.name.endswith(".json"))
    build([source], tmp_path / stem)
    total = evaluate([gold], tmp_path)["total"]
    assert total["entities"]["f1"] >= 0.75 and total["metrics"]["f1"] >= 0.8


def test_a_build_pauses_the_cyclic_collector_and_restores_it(tmp_path):
    import gc
    assert gc.isenabled()
    build([SEEDS / "003_69bc8e8bdc138787.txt"], tmp_path / "a", cache=False)
    assert gc.isenabled()
    gc.disable()
    try:
        build([SEEDS / "003_69bc8e8bdc138787.txt"], tmp_path / "b", cache=False)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(Exception):
        build([tmp_path / "missing.txt"], tmp_path / "c")
    assert gc.isenabled()


def test_a_large_build_frees_the_tokenizer_and_the_next_build_is_the_same(tmp_path, monkeypatch):
    """Past RELEASE_TOKENIZER_AT documents the tokenizer is dropped after the
    per-document stage; a later build in the same process makes it again."""
    from kg import pipeline
    from kg.extract.entities import release_tokenizers, tokenizer_for
    release_tokenizers()   # (whatever earlier tests built)
    seeds = sorted(SEEDS.glob("*.txt"))[:2]
    first = pipeline.build(seeds, tmp_path / "a", workers=1, cache=False)
    assert tokenizer_for.cache_info().currsize == 1
    monkeypatch.setattr(pipeline, "RELEASE_TOKENIZER_AT", 2)
    second = pipeline.build(seeds, tmp_path / "b", workers=1, cache=False)
    assert tokenizer_for.cache_info().currsize == 0
    third = pipeline.build(seeds, tmp_path / "c", workers=1, cache=False)
    for name in ("graph.json", "graph.ttl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes() \
            == (tmp_path / "c" / name).read_bytes()
    assert first.extraction.entities == second.extraction.entities == third.extraction.entities


def _seed_results():
    from kg.gazetteer import load_gazetteer
    from kg.lexicon import load_lexicon
    from kg.pipeline import analyse, prepare
    gaz, lex = load_gazetteer(), load_lexicon()
    return [analyse(*prepare(p, gaz), gaz, lex) for p in sorted(SEEDS.glob("*.txt"))], gaz


def test_linking_in_forked_processes_gives_what_one_process_gives(monkeypatch):
    """Past PARALLEL_LINK_AT documents, the names of some types are merged
    in a forked process, and the relations and metrics of every other
    document are found in one (several, with more workers) and sent back
    encoded."""
    from kg import pipeline
    results, gaz = _seed_results()
    one = pipeline.link(results, gaz, workers=1)
    forks = []
    real = pipeline.fork_call
    monkeypatch.setattr(pipeline, "fork_call", lambda fn: forks.append(fn) or real(fn))
    monkeypatch.setattr(pipeline, "PARALLEL_LINK_AT", 2)
    for workers in (2, 3):
        many = pipeline.link(results, gaz, workers=workers)
        assert many.relations == one.relations
        assert many.metrics == one.metrics
        assert list(many.publishers.items()) == list(one.publishers.items())
        assert many.entities == one.entities
    assert [fn.func.__name__ for fn in forks] == ["merge_names", "_link_share"] + \
        ["merge_names", "_link_share", "_link_share"]
    assert any(r.predicate == "coMentioned" for r in one.relations)
    assert any(m.about for m in one.metrics)


def test_documents_sharing_an_id_are_linked_as_in_one_process(monkeypatch):
    """Co-mentions count the (document, sentence) pairs that name them: two
    documents of one id are one document, however the documents are
    dealt to linking processes."""
    from kg import pipeline
    results, gaz = _seed_results()
    results = results + results[:2]
    one = pipeline.link(results, gaz, workers=1)
    monkeypatch.setattr(pipeline, "PARALLEL_LINK_AT", 2)
    many = pipeline.link(results, gaz, workers=2)
    assert many.relations == one.relations and many.metrics == one.metrics
    assert any(r.predicate == "coMentioned" and r.weight > 1 for r in one.relations)


def test_an_error_in_a_linking_process_is_raised_here(monkeypatch):
    import os
    from kg import pipeline
    results, gaz = _seed_results()
    here, real = os.getpid(), pipeline._link_document

    def fail_in_a_fork(*args):
        if os.getpid() != here:
            raise ValueError("linking failed in a fork")
        return real(*args)
    monkeypatch.setattr(pipeline, "_link_document", fail_in_a_fork)
    monkeypatch.setattr(pipeline, "PARALLEL_LINK_AT", 2)
    with pytest.raises(ValueError, match="linking failed in a fork"):
        pipeline.link(results, gaz, workers=2)
    assert pipeline._SHARED is None


def test_a_title_names_its_issuer_whatever_the_order_of_the_documents(tmp_path):
    """An agency known only as a document's publisher issues the programme
    another document names after it, whether that document comes first."""
    from dataclasses import replace
    from kg.gazetteer import load_gazetteer
    from kg.lexicon import load_lexicon
    from kg.pipeline import analyse, link, prepare
    gaz, lex = load_gazetteer(), load_lexicon()
    (tmp_path / "a.txt").write_text("海盐县教育局2020年工作总结\n发布时间: 2020-12-03\n全县学校认真贯彻"
                                    "《嘉兴市教育局关于推进智慧校园建设的意见》,推进智慧校园建设。\n", "utf-8")
    (tmp_path / "b.txt").write_text("关于做好暑期安全工作的通知\n信息来源: 嘉兴市教育局 发布时间: "
                                    "2020-04-03 16:30\n请全市学校做好暑期安全工作。\n", "utf-8")
    results = []
    for name in ("a", "b"):
        doc, place = prepare(tmp_path / f"{name}.txt", gaz)
        results.append(analyse(replace(doc, doc_id=name), place, gaz, lex))
    for order in (results, results[::-1]):
        ex = link(order, gaz)
        names = {e.id: e.name for e in ex.entities}
        issued = {(names[r.subject], names[r.object]) for r in ex.relations
                  if r.predicate == "issuedBy"}
        assert issued == {("嘉兴市教育局关于推进智慧校园建设的意见", "嘉兴市教育局")}


def test_the_per_document_stage_hands_link_its_sentences():
    """Link reads the sentences the per-document stage found (and the cache
    keeps) instead of splitting every text again."""
    import pickle
    from kg.segment import split_sentences
    results, _ = _seed_results()
    for r in results:
        again = pickle.loads(pickle.dumps(r))
        assert again.index().sentences == split_sentences(r.doc.text)


def test_with_workers_this_process_shares_the_documents_and_keeps_their_order(tmp_path):
    """With several workers this process takes documents from the end while
    the forked ones take chunks from the start: every document is done
    once, counted once, and the results are those of one process, in file
    order, unreadable files included."""
    import os

    from kg import pipeline
    texts = [path.read_text("utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    for i in range(23):
        (tmp_path / f"d{i:02}.txt").write_text(texts[i % len(texts)][: 3000 + 97 * i], "utf-8")
    (tmp_path / "d07.txt").write_text("", "utf-8")        # read nowhere: skipped
    files = sorted(tmp_path.glob("*.txt"))
    here, me = [], os.getpid()
    real = pipeline.process_file

    def noted(path, doc_id, lexicon_dir=None):   # (the forked processes note in their copy)
        if os.getpid() == me:
            here.append(doc_id)
        return real(path, doc_id, lexicon_dir)
    counts = []
    pipeline.process_file = noted
    try:
        shared = pipeline.build(files, workers=3, cache=False, progress=counts.append)
    finally:
        pipeline.process_file = real
    alone = pipeline.build(files, workers=1, cache=False)
    assert sum(counts) == len(files)
    assert 0 < len(here) < len(files) and len(set(here)) == len(here)   # a share, each once
    assert here == sorted(here, reverse=True)             # from the end
    assert [d.doc_id for d in shared.extraction.documents] == \
        [d.doc_id for d in alone.extraction.documents]
    assert shared.extraction == alone.extraction and shared.skipped == alone.skipped
    assert [p for p, _ in shared.skipped] == [str(tmp_path / "d07.txt")]
