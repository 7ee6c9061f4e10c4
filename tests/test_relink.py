"""A rebuild links again only the documents a change reaches
(kg.relink.LinkMemory, kg.pipeline.link_kept), and ends where linking
every document afresh does."""
import random
from dataclasses import replace

import pytest

import kg.pipeline as pipeline
from kg.gazetteer import load_gazetteer
from kg.pipeline import build, link, link_kept
from kg.relink import MEMORY_FILE, DocMemo, LinkMemory, eids_digest, to_link_again

from .conftest import SEEDS


@pytest.fixture
def linked_docs(monkeypatch):
    """The ids of the documents each call of ``_link_docs`` links."""
    seen: list[list[str]] = []
    real = pipeline._link_docs

    def spy(share, results, *rest):
        seen.append([results[i].doc.doc_id for i in share])
        return real(share, results, *rest)
    monkeypatch.setattr(pipeline, "_link_docs", spy)
    return seen


def _linked(results, gaz, **kw):
    """link_kept's extraction, and the memory it hands over."""
    kept = []
    ex = link_kept(results, gaz, keep=kept.append, **kw)
    return ex, kept[0]


def _copy(result, doc_id):
    """``result`` as the result of another document, ``doc_id``."""
    return replace(result, doc=replace(result.doc, doc_id=doc_id))


def test_changes_linked_from_the_memory_end_as_linking_afresh(seed_results, tmp_path,
                                                              linked_docs):
    """A random sequence of changes (a seed becomes its second half or
    whole again, is taken out, comes back, or a copy is added), each
    linked from the memory of the step before, saved and loaded: each
    step's extraction is that of every document linked afresh, and a step
    changing nothing links nothing again."""
    gaz = load_gazetteer()
    whole, half = ({r.doc.doc_id: r for r in results} for results in seed_results)
    now = {d: (r, "whole") for d, r in whole.items()}
    rng = random.Random(11)
    memory = None
    seen = {}   # cache key -> result: what a cache would hold
    moves = ["half", "none", "copy", "out", "whole", "out", "half", "copy", "none", "whole",
             "out", "half", "whole"]
    for step, move in enumerate(moves):
        doc_id = rng.choice(sorted(whole))
        if move == "out":
            now.pop(rng.choice(sorted(now)))
        elif move == "copy":
            now[f"copy{step}"] = (_copy(half[doc_id], f"copy{step}"), f"half of {doc_id}")
        elif move in ("half", "whole"):
            now[doc_id] = ((half if move == "half" else whole)[doc_id], move)
        results = [now[d][0] for d in sorted(now)]
        keys = [f"{d}:{now[d][1]}" for d in sorted(now)]
        seen.update(zip(keys, results))
        linked_docs.clear()
        ex, kept = _linked(results, gaz, keys=keys, before=memory, earlier=seen.get)
        if move == "none" and memory is not None:
            assert linked_docs == [[]]
        assert ex == link(results, gaz), (step, move, doc_id)
        kept.save(tmp_path / MEMORY_FILE)
        memory = LinkMemory.load(tmp_path / MEMORY_FILE)
        assert memory is not None and set(memory.docs) == set(now)


def test_names_are_merged_again_only_for_the_types_a_change_reaches(tmp_path, monkeypatch):
    """A document that gains a sentence naming a new initiative: the
    rebuild merges the Initiatives' names again and takes the other types'
    from the memory; one that gains a sentence naming nothing merges none;
    each ends where linking afresh does."""
    from kg.model import ENTITY_TYPES
    from kg.pipeline import process_file
    gaz = load_gazetteer()
    texts = {"a": "温州市教育局实施“银龄讲学”计划,永嘉县第一中学参加。\n",
             "b": "平阳县教育局推进集团化办学,鳌江镇中心小学和平阳县实验中学结对。\n"}
    edits = {"init": texts["a"] + "全面推进“书香校园”工程。\n",
             "none": texts["a"] + "全年工作稳步推进。\n"}

    def result(doc_id, text):
        path = tmp_path / f"{doc_id}-{len(text)}.txt"
        path.write_text(text, "utf-8")
        return replace(process_file(str(path), doc_id), doc=replace(
            process_file(str(path), doc_id).doc, path=f"{doc_id}.txt"))
    base = [result("a", texts["a"]), result("b", texts["b"])]
    seen = {"a0": base[0], "b0": base[1]}
    _, memory = _linked(base, gaz, keys=["a0", "b0"], earlier=seen.get)
    merged, again_merged = [], []
    real, real_again = pipeline.merge_names, pipeline.merge_names_again

    def spy(docs, types=None, other=False):
        merged.append(set(ENTITY_TYPES) if types is None else
                      set(ENTITY_TYPES) - set(types) if other else set(types))
        return real(docs, types, other)

    def spy_again(docs, before, touched):
        again_merged.append({n[0] for n in touched})
        return real_again(docs, before, touched)
    monkeypatch.setattr(pipeline, "merge_names", spy)
    monkeypatch.setattr(pipeline, "merge_names_again", spy_again)
    for edit, again in (("init", [{"Initiative"}]), ("none", [])):
        changed = [result("a", edits[edit]), base[1]]
        seen[edit] = changed[0]
        merged.clear()
        again_merged.clear()
        ex = link_kept(changed, gaz, keys=[edit, "b0"], before=memory, earlier=seen.get)
        assert merged == [] and again_merged == again, edit
        assert ex == link(changed, gaz), edit


def test_forked_linkers_fill_the_memory_as_one_process(seed_results, monkeypatch):
    gaz = load_gazetteer()
    whole, half = seed_results
    monkeypatch.setattr(pipeline, "PARALLEL_LINK_AT", 2)
    keys = [r.doc.doc_id for r in whole]
    ex1, one = _linked(whole, gaz, workers=1, keys=keys)
    ex2, two = _linked(whole, gaz, workers=2, keys=keys)
    assert ex1 == ex2
    assert one.docs == two.docs
    assert one.columns.merged_entries() == two.columns.merged_entries()
    assert one.tables == two.tables
    # linked again from either, with one document changed, in two processes
    changed = [half[0]] + whole[1:]
    keys[0] += ":half"
    assert link_kept(changed, gaz, workers=2, keys=keys, before=two) == link(changed, gaz)


def _memory(docs: dict, tables) -> LinkMemory:
    from kg.columns import RelationColumns
    return LinkMemory(RelationColumns(), docs, tables)


def test_a_document_is_linked_again_when_what_it_read_changed():
    places = {"甲县": "place-1", "乙县": "place-2"}
    agencies, keys = {"甲县教育局": "agency-1"}, {"甲县教育局": "agency-1"}
    forms = {"agency-1": ("甲县教育局", ()), "school-1": ("甲县中学", ())}
    eids = {d: ["agency-1"] if d != "c" else ["school-1"] for d in "abcdefg"}
    docs = {d: DocMemo(d, eids_digest(eids[d]), "agency-1", (f"{d}-read",), ())
            for d in "abcdefg"}
    docs["b"] = replace(docs["b"], reads=("乙县",))
    before = _memory(docs, (places, agencies, keys, forms))
    ids = list("abcdefgh")
    now = dict(eids, h=["agency-1"], e=["agency-1", "school-1"])
    tables = ({"甲县": "place-1", "乙县": "place-9"}, agencies, keys,
              {"agency-1": ("甲县教育局", ()), "school-1": ("甲县中学", ("甲中",))})
    again = to_link_again(before, ids, [d if d != "d" else "d2" for d in ids],
                          ["agency-1" if d != "f" else "agency-2" for d in ids],
                          [now[d] for d in ids], tables)
    # a: nothing changed; b read a place whose id changed; c names an entity
    # given an alias; d's result changed; e's entity ids; f's publisher;
    # g: nothing; h is new
    assert [ids[i] for i in again] == ["b", "c", "d", "e", "f", "h"]
    # with the same tables, only what changed in the documents themselves
    same = to_link_again(before, ids, ids, ["agency-1"] * 8, [eids.get(d, []) for d in ids],
                         before.tables)
    assert [ids[i] for i in same] == ["h"]


def test_a_memory_that_cannot_be_read_is_not_used(tmp_path):
    path = tmp_path / MEMORY_FILE
    assert LinkMemory.load(path) is None
    path.write_bytes(b"not a memory")
    assert LinkMemory.load(path) is None


def _seeds_copy(folder):
    folder.mkdir()
    for p in sorted(SEEDS.glob("*.txt")):
        (folder / p.name).write_text(p.read_text("utf-8"), "utf-8")
    return sorted(folder.glob("*.txt"))


def test_a_rebuild_from_the_memory_writes_what_a_fresh_build_does(tmp_path, linked_docs):
    files = _seeds_copy(tmp_path / "docs")
    out = tmp_path / "out"
    build([tmp_path / "docs"], out, workers=2)   # (the memory saved by a forked process)
    assert (out / ".cache" / MEMORY_FILE).is_file()
    text = files[2].read_text("utf-8")
    # a sentence naming a new initiative
    files[2].write_text(text + "\n全面实施“青蓝携手”工程。\n", "utf-8")
    linked_docs.clear()
    again = build([tmp_path / "docs"], out)
    relinked = {d for share in linked_docs for d in share}
    fresh = build([tmp_path / "docs"], tmp_path / "fresh", cache=False)
    assert again.extraction == fresh.extraction
    for name in ("graph.json", "graph.ttl", "graph.html"):
        assert (out / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()
    assert relinked == {files[2].stem}
    # a memory cut short is not used: every document is linked again
    (out / ".cache" / MEMORY_FILE).write_bytes(b"PK")
    files[2].write_text(text, "utf-8")
    linked_docs.clear()
    whole = build([tmp_path / "docs"], out).extraction
    assert {d for share in linked_docs for d in share} == {f.stem for f in files}
    assert whole == build([tmp_path / "docs"], tmp_path / "fresh2", cache=False).extraction


def test_a_two_worker_rebuild_makes_what_changed_while_loading_the_rest(tmp_path, monkeypatch):
    """With two workers, the documents the cache lacks are made in a forked
    process while this one loads the others from it: they are not looked
    for in it, a bad one is reported as a build without cache reports it,
    and the files are those of a build without cache."""
    files = _seeds_copy(tmp_path / "docs")
    out = tmp_path / "out"
    build([tmp_path / "docs"], out, workers=2)
    files[1].write_text(files[1].read_text("utf-8") + "\n全面实施“青蓝携手”工程。\n", "utf-8")
    files[3].write_bytes(b"\x00\x01\x02 not a document \xff\xfe")
    looked_for, ticks = [], []
    real = pipeline.load_entry
    monkeypatch.setattr(pipeline, "load_entry", lambda d, k: looked_for.append(k) or real(d, k))
    again = build([tmp_path / "docs"], out, workers=2, progress=ticks.append)
    fresh = build([tmp_path / "docs"], tmp_path / "fresh", cache=False)
    assert len(looked_for) == len(files) - 2 and sum(ticks) == len(files)
    assert again.skipped == fresh.skipped and len(again.skipped) == 1
    assert again.extraction == fresh.extraction
    for name in ("graph.json", "graph.ttl", "graph.html"):
        assert (out / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()
    looked_for.clear()   # the changed document was stored in the cache
    build([tmp_path / "docs"], out, workers=2)
    assert len(looked_for) == len(files) - 1


def test_what_same_content_loads_while_it_reads_serves_the_build(tmp_path, monkeypatch):
    """``kg build`` first asks whether the changed files' text changed:
    with two workers, a forked process reads them while this one loads
    the other entries, which the build then takes instead of loading
    them again."""
    from kg.pipeline import same_content
    files = _seeds_copy(tmp_path / "docs")
    out = tmp_path / "out"
    build([tmp_path / "docs"], out, workers=2)
    files[1].write_text(files[1].read_text("utf-8") + "\n全面实施“青蓝携手”工程。\n", "utf-8")
    loaded = []
    real = pipeline.load_entry
    monkeypatch.setattr(pipeline, "load_entry", lambda d, k: loaded.append(k) or real(d, k))
    preload: dict = {}
    assert same_content([tmp_path / "docs"], out, workers=2, preload=preload) is None
    assert len(preload) == len(files) - 1
    loaded.clear()
    again = build([tmp_path / "docs"], out, workers=2, preloaded=preload)
    # the changed file's new entry, and the one before (its names compared
    # with the new ones: kg.relink.LinkMemory.kept_names) alone
    assert len(loaded) == 2 and not preload
    fresh = build([tmp_path / "docs"], tmp_path / "fresh", cache=False)
    assert again.extraction == fresh.extraction
    for name in ("graph.json", "graph.ttl", "graph.html"):
        assert (out / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()


def test_the_columns_relations_are_those_of_one_pool_of_every_document(seed_results):
    """link's relations, merged from each document's columns, are those
    of every document's relations pooled at once, with the places' own
    (partOf, from the gazetteer)."""
    gaz = load_gazetteer()
    for results in seed_results:
        entities, eids, publishers, ctx = pipeline._context(results, gaz)
        staged = pipeline._Staged(results, eids, gaz)
        pooled, _ = pipeline._link_pooled(results, staged, publishers, ctx)
        assert any(r.predicate == "partOf" and not r.evidence for r in pooled)
        assert any(len(r.evidence) == 5 for r in pooled)
        linked = [r for r in link(results, gaz).relations if r.predicate != "mentions"]
        assert linked == pooled
