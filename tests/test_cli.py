"""The kg command as a user runs it."""
import json
import re

import pytest
from click.testing import CliRunner

from kg.cli import main

DOC = ("台州市教育局2020年工作要点\n发布日期:2020-04-03\n"
       "一是建设城乡教育共同体(以下简称教共体),教共体覆盖所有乡村小学。\n"
       "二是实施“初中崛起”工程,开工建设永宁中学,新增公办学位4.4万个。\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("kg")
    (root / "docs" / "sub").mkdir(parents=True)
    (root / "docs" / "sub" / "taizhou.txt").write_text(DOC, "utf-8")
    out = root / "out"
    res = CliRunner().invoke(main, ["build", str(root / "docs"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out, res


def test_build_writes_the_three_exports(built):
    out, res = built
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "graph.html", "graph.json", "graph.ttl"]
    assert "1 documents" in res.output
    # where the time went, stage by stage (the exports are written from
    # the extraction: no graph is made)
    stages = re.search(r"stages: (.+)", res.output).group(1)
    assert [part.split()[0] for part in stages.split(", ")] == [
        "documents", "link", "exports"]


def test_lookup_by_alias_finds_the_canonical_entity(built):
    out, _ = built
    res = CliRunner().invoke(main, ["lookup", "教共体", "--graph", str(out)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("城乡教育共同体  [Initiative]")
    assert "implements (incoming)" in res.output and "台州市教育局" in res.output
    assert "taizhou" in res.output and "以下简称教共体" in res.output


def test_lookup_json_keeps_chinese_readable(built):
    out, _ = built
    res = CliRunner().invoke(main, ["lookup", "永宁中学", "--json", "--graph", str(out)])
    data = json.loads(res.output)
    assert "永宁中学" in res.output  # ensure_ascii off
    hit = data["found"][0]
    assert hit["type"] == "School"
    assert any(r["name"] == "台州市" for r in hit["relations"]["locatedIn"])
    assert hit["documents"][0]["sentence"].startswith("二是实施")


def test_unknown_name_prints_closest_and_fails(built):
    out, _ = built
    res = CliRunner().invoke(main, ["lookup", "初中崛起计划", "--graph", str(out)])
    assert res.exit_code == 1 and "初中崛起工程" in res.output


def test_missing_build_is_a_clear_error_not_a_traceback(tmp_path):
    res = CliRunner().invoke(main, ["lookup", "x", "--graph", str(tmp_path)])
    assert res.exit_code == 1 and "Error: no graph" in res.output
    assert "Traceback" not in res.output


def test_missing_input_path_is_a_clear_error(tmp_path):
    res = CliRunner().invoke(main, ["build", str(tmp_path / "nope.txt"), "--out", str(tmp_path)])
    assert res.exit_code == 1 and "no such file" in res.output


def test_a_bad_file_is_skipped_reported_and_the_rest_builds(tmp_path):
    (tmp_path / "good.txt").write_text(DOC, "utf-8")
    (tmp_path / "empty.txt").write_text("", "utf-8")
    res = CliRunner().invoke(main, ["build", str(tmp_path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "skipped" in res.output and "empty.txt" in res.output
    assert (tmp_path / "o" / "graph.ttl").exists()
    strict = CliRunner().invoke(main, ["build", str(tmp_path), "--strict", "--out", str(tmp_path / "s")])
    assert strict.exit_code == 1 and not (tmp_path / "s" / "graph.ttl").exists()


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_explains_itself(command):
    res = CliRunner().invoke(main, [command, "--help"])
    assert res.exit_code == 0
    doc = main.commands[command].help
    assert doc and len(doc.split()) >= 5
    assert all(p.help for p in main.commands[command].params if p.param_type_name == "option")


def test_readme_documents_every_command():
    from tests.conftest import ROOT
    readme = (ROOT / "README.md").read_text("utf-8")
    for command in main.commands:
        assert f"kg {command}" in readme


def test_timeline_lists_documents_by_year_with_metrics(tmp_path):
    (tmp_path / "a.txt").write_text("台州市教育局2020年工作要点\n发布日期:2020-04-03\n"
                                    "建设城乡教育共同体,教共体覆盖率达到80%。\n", "utf-8")
    (tmp_path / "b.txt").write_text("温州市教育局2023年工作总结\n发布日期:2024-01-10\n"
                                    "深化城乡教育共同体建设,教共体覆盖率达到100%。\n", "utf-8")
    CliRunner().invoke(main, ["build", str(tmp_path), "--out", str(tmp_path / "o"), "-q"])
    res = CliRunner().invoke(main, ["timeline", "城乡教育共同体", "--graph", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    first = next(i for i, ln in enumerate(lines) if ln.strip().startswith("2020 台州市"))
    second = next(i for i, ln in enumerate(lines) if ln.strip().startswith("2024 温州市"))
    assert first < second
    assert "80 %" in res.output and "100 % (2023, result)" in res.output
    data = json.loads(CliRunner().invoke(main, ["timeline", "教共体", "--json", "--graph",
                                                str(tmp_path / "o")]).output)
    assert [r["year"] for r in data["found"][0]["timeline"]] == [2020, 2024]


def test_lookup_shows_the_evidence_of_each_relation(built):
    out, _ = built
    res = CliRunner().invoke(main, ["lookup", "初中崛起工程", "--graph", str(out)])
    assert "implements (incoming)" in res.output
    assert "taizhou: “二是实施" in res.output


def test_query_from_a_file_and_inline_in_every_format(built):
    out, _ = built
    res = CliRunner().invoke(main, ["query", "--file", "queries/schools_by_place.rq",
                                    "--graph", str(out)])
    assert res.exit_code == 0 and "永宁中学" in res.output and "331000" in res.output
    res = CliRunner().invoke(main, ["query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                    "--graph", str(out), "--format", "csv"])
    assert res.output.splitlines()[0] == "n" and int(res.output.splitlines()[1]) > 50


def test_query_needs_exactly_one_query(built):
    out, _ = built
    res = CliRunner().invoke(main, ["query", "--graph", str(out)])
    assert res.exit_code == 2 and "give a SPARQL query" in res.output


def test_push_to_a_store_that_is_not_there_is_a_clear_error(built):
    out, _ = built
    res = CliRunner().invoke(main, ["push", "--endpoint", "http://127.0.0.1:9/store",
                                    "--graph", str(out), "--timeout", "5"])
    assert res.exit_code == 1 and "Error: push of graph.ttl" in res.output
    assert "Traceback" not in res.output


def test_cache_makes_a_rebuild_reuse_unchanged_documents(tmp_path):
    from kg.pipeline import build
    (tmp_path / "a.txt").write_text(DOC, "utf-8")
    (tmp_path / "b.txt").write_text(DOC.replace("永宁中学", "新桥中学"), "utf-8")
    first = build([tmp_path / "a.txt", tmp_path / "b.txt"], tmp_path / "o")
    seen = []
    (tmp_path / "b.txt").write_text(DOC.replace("永宁中学", "三梅中学"), "utf-8")
    import kg.pipeline as pl
    real = pl.process_file
    try:
        pl.process_file = lambda path, doc_id, lex=None: seen.append(doc_id) or real(path, doc_id, lex)
        second = build([tmp_path / "a.txt", tmp_path / "b.txt"], tmp_path / "o")
    finally:
        pl.process_file = real
    assert seen == ["b"]  # only the changed document was read again
    names = {e.name for e in second.extraction.entities}
    assert "三梅中学" in names and "新桥中学" not in names
    assert {e.name for e in first.extraction.entities} & names


def test_entries_cached_by_worker_processes_serve_a_rebuild(tmp_path):
    from kg.pipeline import build
    for i in range(3):
        (tmp_path / f"d{i}.txt").write_text(DOC.replace("永宁中学", f"第{i + 1}中学"), "utf-8")
    first = build([tmp_path / f"d{i}.txt" for i in range(3)], tmp_path / "o", workers=2)
    assert len(list((tmp_path / "o" / ".cache").rglob("*.pickle"))) == 3
    import kg.pipeline as pl
    real, seen = pl.process_file, []
    try:
        pl.process_file = lambda path, doc_id, lex=None: seen.append(doc_id) or real(path, doc_id, lex)
        again = build([tmp_path / f"d{i}.txt" for i in range(3)], tmp_path / "o", workers=1)
    finally:
        pl.process_file = real
    assert seen == []   # every document came from what the workers stored
    assert again.extraction == first.extraction
    assert {e.name for e in again.extraction.entities} >= {"第1中学", "第2中学", "第3中学"}


def test_workers_give_the_same_bytes_as_one_process(tmp_path):
    for i in range(4):
        (tmp_path / f"d{i}.txt").write_text(DOC.replace("永宁中学", f"第{i + 1}中学"), "utf-8")
    # with several workers each forked writer builds its own copy of the graph
    for w in ("1", "2", "3"):
        res = CliRunner().invoke(main, ["build", str(tmp_path), "--out", str(tmp_path / f"o{w}"),
                                        "-w", w, "--no-cache", "-q"])
        assert res.exit_code == 0, res.output
    for f in ("graph.json", "graph.ttl", "graph.html"):
        one = (tmp_path / "o1" / f).read_bytes()
        assert one == (tmp_path / "o2" / f).read_bytes() == (tmp_path / "o3" / f).read_bytes()
    assert not (tmp_path / "o1" / ".cache").exists()


def test_validate_says_whether_a_build_conforms(built):
    out, _ = built
    res = CliRunner().invoke(main, ["validate", str(out)])
    assert res.exit_code == 0 and res.output.strip().splitlines()[-1].startswith("conforms")


def test_html_of_one_entitys_neighbourhood(built, tmp_path):
    out, _ = built
    res = CliRunner().invoke(main, ["html", "--graph", str(out), "--around", "教共体",
                                    "--hops", "1", "-o", str(tmp_path / "n.html")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "n.html").read_text("utf-8")
    assert "城乡教育共同体" in page and "永宁中学" not in page
    res = CliRunner().invoke(main, ["html", "--graph", str(out), "--around", "不存在的名字"])
    assert res.exit_code == 1 and "no entity named" in res.output


def _forget_lexicons():
    """Forget the lexicons read so far and what was made of them, as a new
    ``kg`` process would not have read them."""
    from kg.cache import pipeline_version
    from kg.extract.entities import release_tokenizers
    from kg.lexicon import load_lexicon
    pipeline_version.cache_clear()
    load_lexicon.cache_clear()
    release_tokenizers()


def _new_lexicon(path, text):
    path.write_text(text, "utf-8")
    _forget_lexicons()


def _stamps(out):
    return {f: (out / f).stat().st_mtime_ns for f in ("graph.json", "graph.ttl", "graph.html")}


def test_a_build_with_nothing_changed_has_nothing_to_do(tmp_path):
    """The second build of the same documents into the same folder says the
    outputs stand and leaves them untouched; any change of a document, of
    the set of documents, of the lexicon or of an output builds again."""
    docs, out, lex = tmp_path / "docs", tmp_path / "o", tmp_path / "lex"
    docs.mkdir()
    lex.mkdir()
    (docs / "a.txt").write_text(DOC, "utf-8")
    (docs / "b.txt").write_text(DOC.replace("永宁中学", "新桥中学"), "utf-8")
    run = CliRunner().invoke

    def build(*extra):
        res = run(main, ["build", str(docs), "--out", str(out), "--lexicon", str(lex), *extra])
        assert res.exit_code == 0, res.output
        return res.output
    first = build()
    assert "stages:" in first
    before = _stamps(out)
    again = build()
    assert again.startswith(f"up to date: {out} (2 documents, ")
    assert re.search(r"\d+ entities, \d+ metrics", again)
    assert "stages:" not in again and _stamps(out) == before
    assert build("-q") == ""

    changes = [
        lambda: (docs / "b.txt").write_text(DOC.replace("永宁中学", "三梅中学"), "utf-8"),
        lambda: (docs / "c.txt").write_text(DOC.replace("永宁中学", "双屿中学"), "utf-8"),
        lambda: (docs / "a.txt").unlink(),
        lambda: _new_lexicon(lex / "initiatives.jsonl",
                             '{"label": "Initiative", "pattern": "初中崛起", "id": "初中崛起"}\n'),
        lambda: (out / "graph.html").write_text("", "utf-8"),
        lambda: (out / "graph.ttl").unlink(),
    ]
    try:
        for n, change in enumerate(changes):
            change()
            assert "stages:" in build(), n
            assert build().startswith("up to date:")
        assert "stages:" in build("--no-cache")
    finally:
        _forget_lexicons()   # (the lexicon folder's own)


def _page(visits: int) -> str:
    """DOC as a web page whose visit counter (in a script, the menu and the
    footer) changes at each download."""
    body = "".join(f"<p>{line}</p>" for line in DOC.splitlines())
    return (f"<html><head><title>台州市教育局2020年工作要点</title>"
            f"<script>var visits={visits};</script></head><body><nav><a href='/'>首页</a> "
            f"浏览次数:{visits}</nav>{body}<footer>访问量 {visits}</footer></body></html>")


def test_files_changed_around_the_same_text_rewrite_nothing(tmp_path):
    """A page downloaded again with another visit counter, a file saved
    again in GB18030, an empty file added: the text read is the same, so
    the outputs stand, untouched, and are byte for byte those a build from
    nothing writes of the files as they are now."""
    docs, out, fresh = tmp_path / "docs", tmp_path / "o", tmp_path / "fresh"
    docs.mkdir()
    (docs / "a.txt").write_text(DOC.replace("永宁中学", "新桥中学"), "utf-8")
    (docs / "b.html").write_text(_page(12), "utf-8")
    run = CliRunner().invoke

    def build(folder=out, *extra, code=0):
        res = run(main, ["build", str(docs), "--out", str(folder), *extra])
        assert res.exit_code == code, res.output
        return res.output
    assert "stages:" in build()
    before = _stamps(out)
    (docs / "b.html").write_text(_page(9999), "utf-8")
    said = build()
    assert said.startswith(f"up to date: {out} (2 documents, ") \
        and "1 changed file read again: the same text as when it was built" in said
    assert _stamps(out) == before
    assert "no document, lexicon or code changed" in build()   # recorded as built
    (docs / "a.txt").write_bytes((docs / "a.txt").read_text("utf-8").encode("gb18030"))
    (docs / "b.html").write_text(_page(10000), "utf-8")
    (docs / "empty.txt").write_text("", "utf-8")
    said = build(code=1)   # the empty file is skipped, as a build would
    assert "3 changed files read again" in said and "empty.txt" in said
    assert _stamps(out) == before
    build(fresh, "--no-cache", code=1)
    for name in before:
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name


def test_a_build_whose_documents_stand_says_so_when_only_a_missing_path_changed(tmp_path):
    (tmp_path / "a.txt").write_text(DOC, "utf-8")
    out = tmp_path / "o"

    def build(missing):
        res = CliRunner().invoke(main, ["build", str(tmp_path / "a.txt"),
                                        str(tmp_path / missing), "--out", str(out)])
        assert res.exit_code == 1, res.output   # the missing path is reported
        return res.output
    assert "stages:" in build("gone.txt")
    before = _stamps(out)
    said = build("lost.txt")
    assert "lost.txt" in said and "no document read changed since it was built" in said
    assert _stamps(out) == before


def test_a_file_read_otherwise_is_built_again(tmp_path):
    """Whatever changes what is read of the files builds again: other
    words, a document moved (its path is in the graph), one removed, one
    added, one that can no longer be read; so does a record without the
    documents it read."""
    docs, out = tmp_path / "docs", tmp_path / "o"
    for sub in ("one", "two"):
        (docs / sub).mkdir(parents=True)
    (docs / "one" / "a.txt").write_text(DOC, "utf-8")
    (docs / "z.html").write_text(_page(12), "utf-8")
    args = ["build", str(docs), "--out", str(out)]

    def build(code=0):
        res = CliRunner().invoke(main, args)
        assert res.exit_code == code, res.output
        return res.output
    build()
    changes = [
        lambda: (docs / "z.html").write_text(_page(13).replace("永宁中学", "三梅中学"), "utf-8"),
        lambda: (docs / "one" / "a.txt").rename(docs / "two" / "a.txt"),   # still read last
        lambda: (docs / "c.txt").write_text(DOC.replace("永宁中学", "双屿中学"), "utf-8"),
        lambda: (docs / "c.txt").unlink(),
    ]
    for n, change in enumerate(changes):
        change()
        assert "stages:" in build(), n
    (docs / "two" / "a.txt").write_text("", "utf-8")   # read before, skipped now
    assert "stages:" in build(code=1)
    (docs / "two" / "a.txt").write_text(DOC, "utf-8")
    build()
    record = out / ".cache" / "last-build.json"
    data = json.loads(record.read_text("utf-8"))
    for damaged in ({**data, "documents": [["a", "b"]]}, {**data, "build": "another"}):
        record.write_text(json.dumps(damaged), "utf-8")
        (docs / "z.html").write_text(_page(len(str(damaged))), "utf-8")
        assert "stages:" in build()


def test_a_build_with_nothing_changed_reports_what_its_build_skipped(tmp_path):
    (tmp_path / "good.txt").write_text(DOC, "utf-8")
    (tmp_path / "empty.txt").write_text("", "utf-8")
    args = ["build", str(tmp_path), "--out", str(tmp_path / "o")]
    first = CliRunner().invoke(main, args)
    again = CliRunner().invoke(main, args)
    assert first.exit_code == again.exit_code == 1
    assert "up to date:" in again.output and "skipped" in again.output \
        and "empty.txt" in again.output
    strict = CliRunner().invoke(main, args + ["--strict"])   # builds, and stops at the file
    assert strict.exit_code == 1 and "up to date" not in strict.output


def test_a_damaged_build_record_means_building_again(tmp_path):
    (tmp_path / "a.txt").write_text(DOC, "utf-8")
    out = tmp_path / "o"
    args = ["build", str(tmp_path / "a.txt"), "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    record = out / ".cache" / "last-build.json"
    good = json.loads(record.read_text("utf-8"))
    wrong = dict(good, summary=dict(good["summary"], entities={"School": "一"}))
    for damaged in ("", "[]", "{", '{"inputs": 1}', json.dumps(wrong)):
        record.write_text(damaged, "utf-8")
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 0 and "stages:" in res.output
