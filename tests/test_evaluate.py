import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.evaluate import evaluate
from kg.pipeline import build
from tests.conftest import GOLD, SEEDS

DOC = "台州市教育局2020年工作要点\n实施“初中崛起”工程,开工建设永宁中学,新建幼儿园67所。\n"


@pytest.fixture
def tiny(tmp_path):
    (tmp_path / "d.txt").write_text(DOC, "utf-8")
    gold = {"doc": "d.txt", "entities": [
        {"type": "Initiative", "name": "初中崛起工程", "aliases": ["“初中崛起”工程"]},
        {"type": "School", "name": "永宁中学", "aliases": []},
        {"type": "Event", "name": "不存在的大会", "aliases": []}],
        "relations": [{"s": "永宁中学", "p": "locatedIn", "o": "台州市"}],
        "metrics": [{"indicator": "新建幼儿园", "value": 67, "unit": "所"}]}
    (tmp_path / "d.gold.json").write_text(json.dumps(gold, ensure_ascii=False), "utf-8")
    build([tmp_path / "d.txt"], tmp_path / "out")
    return tmp_path


def test_eval_counts_hits_misses_and_spurious(tiny):
    res = evaluate([tiny / "d.gold.json"], tiny / "out")
    doc = res["documents"][0]
    assert doc["entities"]["School"]["tp"] == 1 and doc["entities"]["Initiative"]["tp"] == 1
    assert "Event:不存在的大会" in doc["missed_entities"]
    assert doc["metrics"]["all"]["tp"] == 1


def test_eval_command_prints_per_type_lines_and_total(tiny):
    res = CliRunner().invoke(main, ["eval", str(tiny / "d.gold.json"), "--graph", str(tiny / "out")])
    assert res.exit_code == 0, res.output
    assert "School" in res.output and "missed: Event:不存在的大会" in res.output
    assert res.output.strip().splitlines()[-1].startswith("TOTAL entity F1")


def test_a_document_missing_from_the_graph_is_a_clear_error(tiny, tmp_path):
    other = tmp_path / "x.gold.json"
    other.write_text(json.dumps({"doc": "nope.txt", "entities": []}), "utf-8")
    res = CliRunner().invoke(main, ["eval", str(other), "--graph", str(tiny / "out")])
    assert res.exit_code == 1 and "not in the graph" in res.output


@pytest.mark.skipif(not (GOLD / "score_kg.py").exists(), reason="shared gold not beside the repo")
def test_eval_agrees_with_the_shared_scorer(tmp_path):
    stem = "003_69bc8e8bdc138787"
    build([SEEDS / f"{stem}.txt"], tmp_path / stem)
    ours = evaluate([GOLD / f"{stem}.gold.json"], tmp_path)["total"]
    out = subprocess.run([sys.executable, str(GOLD / "score_kg.py"), str(GOLD / f"{stem}.gold.json"),
                          str(tmp_path / stem / "graph.ttl"), "--json"], capture_output=True, text=True)
    theirs = json.loads(out.stdout[: out.stdout.rindex("}") + 1])["documents"][0]
    for section in ("entities", "relations", "metrics"):
        assert ours[section]["f1"] == theirs[section]["all"]["f1"]
