"""Shared fixtures: a small hand-made extraction and its graph."""
from __future__ import annotations

from pathlib import Path

import pytest

from kg.graph import build_graph, doc_node
from kg.model import Document, Entity, Evidence, Extraction, Metric, Relation

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOLD = ROOT.parent / "shared" / "gold"

TEXT = ("台州市教育局印发《台州教育现代化2035行动纲要》。"
        "实施城乡教育共同体(以下简称教共体)建设,全市建成67所幼儿园。")


CUT = TEXT.index("。") + 1


def ev(start: int, end: int, doc: str = "d1") -> Evidence:
    return Evidence(doc, start, end, TEXT[:CUT] if start < CUT else TEXT[CUT:])


@pytest.fixture
def tiny_extraction() -> Extraction:
    doc = Document(doc_id="d1", path="d1.txt", text=TEXT, title="台州教育工作要点",
                   publisher="台州市教育局", date="2020-04-03", place="台州市")
    ents = [
        Entity("agency-1", "Agency", "台州市教育局", ("市教育局",), (ev(0, 6),)),
        Entity("place-1", "Place", "台州市", ("台州",), (ev(0, 3),), notation="331000"),
        Entity("place-2", "Place", "浙江省", ("浙江",), (ev(0, 3),), notation="330000"),
        Entity("programme-1", "Programme", "台州教育现代化2035行动纲要",
               ("《台州教育现代化2035行动纲要》",), (ev(8, 24),)),
        Entity("initiative-1", "Initiative", "城乡教育共同体", ("教共体",), (ev(27, 34),)),
    ]
    rels = [
        Relation("agency-1", "locatedIn", "place-1", (ev(0, 6),)),
        Relation("place-1", "partOf", "place-2", ()),
        Relation("programme-1", "issuedBy", "agency-1", (ev(0, 24),)),
        Relation("agency-1", "implements", "initiative-1", (ev(25, 40),)),
        Relation(doc_node("d1"), "publishedBy", "agency-1", ()),
        Relation(doc_node("d1"), "mentions", "initiative-1", (ev(27, 34),)),
        Relation("agency-1", "coMentioned", "programme-1", (ev(0, 24),), weight=2),
    ]
    mets = [Metric("metric-1", "d1", 67.0, "所", "建成幼儿园", "67所", 2020, "eq",
                   False, "", ev(49, 52))]
    return Extraction([doc], ents, rels, mets, {"d1": "agency-1"})


@pytest.fixture
def tiny_graph(tiny_extraction):
    return build_graph(tiny_extraction)


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    return {p.stem: p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))}


@pytest.fixture(scope="session")
def seed_results(tmp_path_factory):
    """The seeds' results, and each seed's second half's under the same
    document id (the document after an edit): for the incremental states'
    tests."""
    from kg.pipeline import process_file
    halves = tmp_path_factory.mktemp("halves")
    whole, half = [], []
    for path in sorted(SEEDS.glob("*.txt")):
        whole.append(process_file(str(path), path.stem))
        lines = path.read_text("utf-8").splitlines()
        (halves / path.name).write_text("\n".join(lines[:2] + lines[len(lines) // 2:]), "utf-8")
        half.append(process_file(str(halves / path.name), path.stem))
    return whole, half
