"""The kg program as a shell runs it: the console script's entry point,
its output and exit codes (the click tests run the commands in-process)."""
import configparser
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SEEDS

KG = [sys.executable, "-c", "from kg.cli import run; run()"]


def kg(*args, **kw):
    return subprocess.run(KG + [str(a) for a in args], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", **kw)


def test_the_console_script_is_the_program_entry_point():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    scripts = cfg["options.entry_points"]["console_scripts"]
    assert "kg = kg.cli:run" in [line.strip() for line in scripts.splitlines()]


def test_a_build_prints_all_it_says_and_exits_0(tmp_path):
    res = kg("build", SEEDS / "003_69bc8e8bdc138787.txt", "--out", tmp_path, "-w", "1")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert "1 documents" in lines[0] and lines[2].lstrip().startswith("stages: ")
    # the last lines, written just before the process ends, are not lost
    assert lines[-3:] == [f"wrote {tmp_path / n}" for n in ("graph.json", "graph.ttl",
                                                            "graph.html")]
    assert (tmp_path / "graph.ttl").stat().st_size > 0


def test_a_build_that_skipped_a_file_exits_1_and_says_why(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_bytes((SEEDS / "003_69bc8e8bdc138787.txt").read_bytes())
    (docs / "empty.txt").write_bytes(b"")
    res = kg("build", docs, "--out", tmp_path / "out", "-q")
    assert res.returncode == 1
    assert "skipped:" in res.stderr and "empty.txt" in res.stderr
    assert (tmp_path / "out" / "graph.json").exists()


def test_errors_keep_their_exit_codes_and_messages(tmp_path):
    usage = kg("build", "--no-such-option")
    assert usage.returncode == 2 and "No such option" in usage.stderr
    missing = kg("lookup", "教共体", "--graph", tmp_path)
    assert missing.returncode == 1 and missing.stderr.startswith("Error: ")
    assert "Traceback" not in missing.stderr
    version = kg("--version")
    assert version.returncode == 0 and version.stdout.startswith("kg, version ")


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path):
    kg("build", SEEDS / "003_69bc8e8bdc138787.txt", "--out", tmp_path, "-q", "-w", "1")
    # `kg lookup … | head -0`: the pipe is closed before anything is written
    proc = subprocess.Popen(KG + ["lookup", "城乡教育共同体", "--graph", str(tmp_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait() == 1   # click's exit status for a closed pipe
    assert err == ""


def test_the_program_ends_without_freeing_what_a_build_made(tmp_path, monkeypatch):
    """Run as the program, a build's result is left for the process's end
    (which frees nothing) instead of being freed as the command returns;
    called in-process as a library, nothing is left behind."""
    import os

    from kg import cli
    from kg.pipeline import BuildResult

    class Ended(Exception):
        pass

    def end(code):
        raise Ended(code)
    doc = tmp_path / "taizhou.txt"
    doc.write_text("台州市教育局2020年工作要点\n实施“初中崛起”工程。\n", "utf-8")
    monkeypatch.setattr(sys, "argv", ["kg", "build", str(doc), "--out", str(tmp_path / "out"),
                                      "-q", "-w", "1"])
    monkeypatch.setattr(os, "_exit", end)
    monkeypatch.setattr(cli, "_LEFT", None)
    with pytest.raises(Ended) as ended:
        cli.run()
    assert ended.value.args == (0,)
    left = cli._LEFT
    assert [type(x) for x in left] == [BuildResult]
    assert [d.doc_id for d in left[0].extraction.documents] == ["taizhou"]
    monkeypatch.setattr(cli, "_LEFT", None)
    with pytest.raises(SystemExit):
        cli.main(["build", str(doc), "--out", str(tmp_path / "again"), "-q", "-w", "1"])
    assert cli._LEFT is None
