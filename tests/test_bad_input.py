"""Bad and hostile input: each bad file is reported and skipped, the good
ones build, and nothing is turned into garbage entities."""
import os

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.errors import InputError
from kg.io import decode
from kg.pipeline import build

GOOD = "台州市教育局2020年工作要点\n实施“初中崛起”工程,新建幼儿园67所。\n"


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


@pytest.mark.parametrize("data,expect", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    (b"PK\x03\x04\x14\x00\x06\x00", "zip"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
    (b"\x00\x01\x02\x03binary" * 20, "binary"),
])
def test_non_text_files_are_refused_with_what_they_are(data, expect):
    with pytest.raises(InputError, match=expect):
        decode(data, "x.txt")


def test_broken_utf8_is_reported_with_its_position_not_decoded_as_garbage():
    data = ("台州市教育局实施工程。" * 20).encode("utf-8")
    broken = data[:30] + b"\xff\xfe" + data[30:]
    with pytest.raises(InputError, match=r"invalid UTF-8 at byte 30"):
        decode(broken, "x.txt")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030"])
def test_each_encoding_builds_the_same_entities(tmp_path, encoding):
    text = "台州市教育局2020年工作要点\n台州市教育局实施银龄讲学计划。"
    (tmp_path / "d.txt").write_bytes(text.encode(encoding))
    names = {e.name for e in build([tmp_path / "d.txt"]).extraction.entities}
    assert {"台州市教育局", "银龄讲学计划"} <= names


def test_big5_text_is_decoded_as_traditional_chinese():
    text = "臺州市教育局實施銀齡講學計劃,推動教育公平。" * 3
    decoded, encoding = decode(text.encode("big5"), "x.txt")
    assert (decoded, encoding) == (text, "big5")


def test_a_folder_of_good_and_bad_files_builds_the_good_and_reports_the_bad(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text(" \n\t\n", "utf-8")
    (tmp_path / "report.txt").write_bytes(b"%PDF-1.4 ...")
    (tmp_path / "chrome.html").write_text("<p>打印本页 关闭窗口</p><p>当前位置: 首页</p>", "utf-8")
    res = run("build", tmp_path, "--out", tmp_path / "o")
    assert res.exit_code == 1, res.output
    for name in ("empty.txt", "blank.txt", "report.txt", "chrome.html"):
        assert f"{name}" in res.output
    assert "1 documents" in res.output and (tmp_path / "o" / "graph.ttl").exists()


def test_a_missing_path_among_good_ones_is_reported_and_the_rest_builds(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    res = run("build", tmp_path / "good.txt", tmp_path / "missing.txt", "--out", tmp_path / "o")
    assert res.exit_code == 1 and "missing.txt: no such file" in res.output
    assert (tmp_path / "o" / "graph.json").exists()


def test_strict_makes_any_bad_input_fatal_and_writes_nothing(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    res = run("build", tmp_path / "good.txt", tmp_path / "missing.txt", "--strict",
              "--out", tmp_path / "o")
    assert res.exit_code == 1 and not (tmp_path / "o").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_an_unreadable_folder_is_reported(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.txt").write_text(GOOD, "utf-8")
    locked.chmod(0)
    try:
        res = run("build", tmp_path, "--out", tmp_path / "o")
        assert res.exit_code == 1 and "cannot be listed" in res.output
    finally:
        locked.chmod(0o755)


def test_link_loops_do_not_hang_or_crash(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    res = run("build", tmp_path, "--out", tmp_path / "o")
    assert "Traceback" not in res.output and (tmp_path / "o" / "graph.ttl").exists()


def test_nothing_readable_is_one_clear_error(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    res = run("build", tmp_path, "--out", tmp_path / "o")
    assert res.exit_code == 1 and "no document could be read" in res.output


def test_a_build_inside_its_input_folder_never_reads_its_own_exports(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    for _ in range(2):
        res = run("build", tmp_path, "--out", tmp_path / "out", "-q")
        assert res.exit_code == 0, res.output
    import json
    graph = json.loads((tmp_path / "out" / "graph.json").read_text("utf-8"))
    assert [n["doc_id"] for n in graph["nodes"] if n.get("kind") == "document"] == ["good"]


def test_a_large_file_is_streamed_into_parts_that_all_build(tmp_path):
    lines = [f"第{i}条:台州市教育局实施“初中崛起”工程,新建幼儿园{i}所,推进教共体建设。\n"
             for i in range(3000)]
    big = tmp_path / "big.txt"
    big.write_bytes("".join(lines).encode("gb18030"))  # about 130,000 characters
    result = build([big], tmp_path / "o", large_bytes=50_000, part_chars=20_000)
    docs = sorted(d.doc_id for d in result.extraction.documents)
    assert len(docs) >= 5 and all(d.startswith("big#") for d in docs)
    assert sum(len(d.text) for d in result.extraction.documents) >= sum(map(len, lines)) * 0.95
    assert "初中崛起工程" in {e.name for e in result.extraction.entities}


def test_a_large_file_with_broken_bytes_is_reported_with_the_position(tmp_path):
    good = ("台州市教育局实施工程。\n" * 5000).encode("utf-8")
    big = tmp_path / "big.txt"
    big.write_bytes(good + b"\xff\xfe\xfd" + good)
    (tmp_path / "ok.txt").write_text(GOOD, "utf-8")
    result = build([tmp_path], tmp_path / "o", large_bytes=10_000, part_chars=20_000)
    assert any(f"byte {len(good)}" in reason for _, reason in result.skipped)


def test_a_corrupt_or_foreign_graph_json_is_a_clear_error(tmp_path):
    (tmp_path / "graph.json").write_text('{"nodes": [', "utf-8")
    for args in (["lookup", "x"], ["export"], ["timeline", "x"], ["html"]):
        res = run(*args, "--graph", tmp_path)
        assert res.exit_code == 1 and "not a readable edukg graph" in res.output, args
    (tmp_path / "graph.json").write_text('{"directed": true, "nodes": []}', "utf-8")
    res = run("lookup", "x", "--graph", tmp_path)
    assert res.exit_code == 1 and "not an edukg graph" in res.output


def test_a_folder_of_ten_thousand_small_files_builds(tmp_path):
    docs = tmp_path / "many"
    docs.mkdir()
    for i in range(10_000):
        (docs / f"{i:05d}.txt").write_text(f"第{i}号通知\n实施“初中崛起”工程,新建幼儿园{i % 90 + 1}所。\n",
                                           "utf-8")
    res = run("build", docs, "--out", tmp_path / "o", "-q", "-w", "2")
    assert res.exit_code == 0, res.output
    import json
    graph = json.loads((tmp_path / "o" / "graph.json").read_text("utf-8"))
    assert sum(1 for n in graph["nodes"] if n.get("kind") == "document") == 10_000


def test_a_folder_that_cannot_be_listed_is_reported_even_as_root(tmp_path, monkeypatch):
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.txt").write_text(GOOD, "utf-8")
    real = os.scandir

    def scandir(path="."):
        if os.path.realpath(path) == os.path.realpath(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    res = run("build", tmp_path, "--out", tmp_path / "o")
    assert res.exit_code == 1 and "cannot be listed (Permission denied)" in res.output
    assert (tmp_path / "o" / "graph.ttl").exists()


def test_a_build_without_an_output_folder_leaves_no_temporary_folder(tmp_path, monkeypatch):
    import tempfile
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.txt").write_text(GOOD, "utf-8")
    lines = [f"第{i}条:台州市教育局实施“初中崛起”工程,新建幼儿园{i}所。\n" for i in range(2000)]
    (tmp_path / "in" / "big.txt").write_text("".join(lines), "utf-8")
    result = build([tmp_path / "in"], None, large_bytes=50_000, part_chars=20_000)
    assert sum(d.doc_id.startswith("big#") for d in result.extraction.documents) >= 3
    assert list(scratch.iterdir()) == []
