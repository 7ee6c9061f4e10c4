"""SHACL validation of the RDF export (kg/validate.py, ontology/shapes.ttl)."""
from __future__ import annotations

import dataclasses

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from kg.errors import GraphError
from kg.pipeline import build
from kg.rdf import evidence_iri, graph_to_rdf, node_iri
from kg.validate import Report, Violation, load_shapes, validate
from kg.vocab import EDUKG

from tests.conftest import ROOT, SEEDS


@pytest.fixture(scope="module")
def seeds_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("seeds-build")
    build([SEEDS], out_dir=out)
    return out


@pytest.fixture(scope="module")
def seeds_report(seeds_build) -> Report:
    return validate(seeds_build)  # the build directory, as `kg validate` gets it


@pytest.fixture
def tiny_rdf(tiny_graph) -> Graph:
    return graph_to_rdf(tiny_graph)


def lines(report: Report, severity: str = "Violation") -> list[str]:
    return [line for line in report.text().splitlines() if line.startswith(severity + ":")]


# --- well-formed data conforms ------------------------------------------------------

def test_seeds_export_conforms(seeds_report):
    assert seeds_report.conforms, seeds_report.text()
    assert seeds_report.count("Violation") == 0
    # warnings are listed but do not fail the graph
    assert all(v.severity == "Warning" for v in seeds_report.violations)


def test_turtle_file_conforms(tiny_rdf, tmp_path):
    path = tmp_path / "tiny.ttl"
    tiny_rdf.serialize(path, format="turtle")
    assert validate(path).conforms
    assert validate(str(path)).conforms


def test_tiny_graph_conforms(tiny_rdf):
    report = validate(tiny_rdf)
    assert report.conforms, report.text()
    assert report.violations == ()
    assert report.text() == "conforms: no violations"


def test_validate_does_not_change_a_given_graph(tiny_rdf):
    before = len(tiny_rdf)
    validate(tiny_rdf)
    assert len(tiny_rdf) == before


# --- broken data is caught with a readable message ----------------------------------

AGENCY, INITIATIVE, METRIC = node_iri("agency-1"), node_iri("initiative-1"), node_iri("metric-1")


def test_agency_without_preflabel(tiny_rdf):
    tiny_rdf.remove((AGENCY, SKOS.prefLabel, None))
    report = validate(tiny_rdf)
    assert not report.conforms
    assert ("Violation: id:agency-1 skos:prefLabel: Entity must have exactly one "
            "skos:prefLabel tagged @zh") in lines(report)


def test_agency_with_two_preflabels_or_wrong_language(tiny_rdf):
    tiny_rdf.add((AGENCY, SKOS.prefLabel, Literal("Taizhou Education Bureau", lang="en")))
    text = validate(tiny_rdf).text()
    assert "id:agency-1 (" in text and "skos:prefLabel: Entity must have exactly one" in text
    assert '[value: "Taizhou Education Bureau"@en]' in text


def test_metric_without_value(tiny_rdf):
    tiny_rdf.remove((METRIC, EDUKG.value, None))
    report = validate(tiny_rdf)
    assert not report.conforms
    assert ("Violation: id:metric-1 (建成幼儿园) edukg:value: Metric must have exactly one "
            "edukg:value, an xsd:decimal") in lines(report)


def test_metric_value_of_wrong_datatype(tiny_rdf):
    tiny_rdf.set((METRIC, EDUKG.value, Literal("67所")))
    assert any("edukg:value: Metric must have exactly one edukg:value" in line
               and '[value: "67所"]' in line for line in lines(validate(tiny_rdf)))


def test_located_in_an_initiative(tiny_rdf):
    tiny_rdf.add((AGENCY, EDUKG.locatedIn, INITIATIVE))
    report = validate(tiny_rdf)
    assert not report.conforms
    assert ("Violation: id:agency-1 (台州市教育局) edukg:locatedIn: edukg:locatedIn must "
            "point to a Place [value: id:initiative-1 (城乡教育共同体)]") in lines(report)


def test_located_in_from_a_programme(tiny_rdf):
    tiny_rdf.add((node_iri("programme-1"), EDUKG.locatedIn, node_iri("place-1")))
    assert any(line.startswith("Violation: id:programme-1 (")
               and "Subject of edukg:locatedIn must be a School, Agency or Event" in line
               for line in lines(validate(tiny_rdf)))


def test_evidence_with_start_after_end(tiny_rdf):
    ev = evidence_iri("d1", 0, 6)
    assert (ev, RDF.type, EDUKG.Evidence) in tiny_rdf
    tiny_rdf.set((ev, EDUKG.start, Literal(9)))
    report = validate(tiny_rdf)
    assert not report.conforms
    [line] = [x for x in lines(report) if "edukg:start" in x]
    assert line.startswith(f"Violation: id:ev/{ev.rsplit('/', 1)[1]} edukg:start: ")
    assert "Evidence edukg:start must not be greater than edukg:end" in line
    assert '[value: "9"^^xsd:integer]' in line


@pytest.mark.parametrize("mutate, expected", [
    (lambda g: g.set((METRIC, EDUKG.comparator, Literal("about"))),
     "id:metric-1 (建成幼儿园) edukg:comparator: Metric edukg:comparator must be one of"),
    (lambda g: g.set((METRIC, EDUKG.status, Literal("plan"))),
     'edukg:status: Metric edukg:status must be "result" or "target" [value: "plan"]'),
    (lambda g: g.set((METRIC, EDUKG.year, Literal("2020"))),
     "edukg:year: Metric may have one edukg:year, an xsd:integer"),
    (lambda g: g.remove((METRIC, EDUKG.unit, None)),
     "edukg:unit: Metric must have exactly one non-empty edukg:unit"),
    (lambda g: g.remove((node_iri("doc:d1"), EDUKG.reports, METRIC)),
     "id:metric-1 (建成幼儿园) ^edukg:reports: Metric must be reported (edukg:reports) "
     "by exactly one Document"),
    (lambda g: g.set((node_iri("place-1"), SKOS.notation, Literal("3310"))),
     "id:place-1 (台州市) skos:notation: Place skos:notation must be one six-digit"),
    (lambda g: g.remove((node_iri("initiative-1"), EDUKG.evidence, None)),
     "id:initiative-1 (城乡教育共同体): Entity has no edukg:evidence"),
    (lambda g: g.remove((evidence_iri("d1", 0, 6), EDUKG.inDocument, None)),
     "edukg:inDocument: Evidence must have exactly one edukg:inDocument, a Document"),
    (lambda g: g.remove((evidence_iri("d1", 0, 6), EDUKG.sentence, None)),
     "edukg:sentence: Evidence must have exactly one edukg:sentence tagged @zh"),
    (lambda g: g.remove((node_iri("doc:d1"), EDUKG.docId, None)),
     "id:doc/d1 (台州教育工作要点) edukg:docId: Document must have exactly one"),
    (lambda g: g.add((node_iri("programme-1"), EDUKG.issuedBy, node_iri("place-1"))),
     "edukg:issuedBy: edukg:issuedBy must point to an Agency [value: id:place-1 (台州市)]"),
    (lambda g: g.add((AGENCY, EDUKG.implements, node_iri("place-1"))),
     "edukg:implements: edukg:implements must point to an Initiative or Programme"),
    (lambda g: g.add((AGENCY, EDUKG.coMentioned, INITIATIVE)),
     "edukg:coMentioned: edukg:coMentioned must not be asserted"),
])
def test_other_violations(tiny_rdf, mutate, expected):
    mutate(tiny_rdf)
    report = validate(tiny_rdf)
    assert not report.conforms
    assert any(expected in line for line in lines(report)), report.text()


def test_statement_weight_and_co_mention_ends(tiny_rdf):
    [stmt] = tiny_rdf.subjects(RDF.predicate, EDUKG.coMentioned)
    tiny_rdf.set((stmt, EDUKG.weight, Literal(0)))
    tiny_rdf.set((stmt, RDF.object, METRIC))
    got = lines(validate(tiny_rdf))
    who = "(台州市教育局 edukg:coMentioned id:metric-1)"
    assert any(who in x and "edukg:weight: rdf:Statement must have exactly one edukg:weight, "
               "an xsd:integer >= 1" in x for x in got)
    assert any(who in x and "(rdf:subject|rdf:object)/rdf:type: rdf:Statement of "
               "edukg:coMentioned must relate two entities" in x
               and x.endswith("[value: edukg:Metric]") for x in got)


def test_publisher_and_places_need_no_evidence(tiny_rdf):
    # the document publisher and gazetteer places may lack mention evidence
    tiny_rdf.remove((AGENCY, EDUKG.evidence, None))
    tiny_rdf.remove((node_iri("place-2"), EDUKG.evidence, None))
    assert validate(tiny_rdf).conforms


def test_warning_does_not_fail(tiny_rdf):
    tiny_rdf.remove((METRIC, EDUKG.indicator, None))
    report = validate(tiny_rdf)
    assert report.conforms
    assert report.count("Warning") == 1
    assert lines(report, "Warning") == [
        "Warning: id:metric-1 edukg:indicator: Metric has no edukg:indicator: "
        "what it measures is unknown"]


# --- the report -----------------------------------------------------------------

def test_report_is_a_frozen_value(tiny_rdf):
    tiny_rdf.remove((AGENCY, SKOS.prefLabel, None))
    tiny_rdf.remove((METRIC, EDUKG.value, None))
    report = validate(tiny_rdf)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.conforms = True
    assert isinstance(report.violations, tuple)
    assert all(isinstance(v, Violation) for v in report.violations)
    assert report.count() == len(report.text().splitlines()) == 2
    assert report == validate(tiny_rdf)  # deterministic order
    d = report.to_dict()
    assert d["conforms"] is False and d["violations"][0]["focus"] == "id:agency-1"
    assert {"severity", "focus", "label", "path", "message", "value", "shape"} \
        <= set(d["violations"][0])
    assert report.violations[0].shape == "edukgsh:EntityPrefLabel"


# --- shapes and inputs -------------------------------------------------------------

def test_packaged_shapes_are_a_copy_of_the_ontology_shapes():
    source = ROOT / "ontology" / "shapes.ttl"
    packaged = ROOT / "kg" / "data" / "shapes.ttl"
    assert packaged.read_bytes() == source.read_bytes(), \
        "copy ontology/shapes.ttl to kg/data/shapes.ttl"


def test_packaged_shapes_load():
    shapes = load_shapes()
    assert len(shapes) > 100
    assert (URIRef("https://w3id.org/edukg/shapes#MetricShape"), RDF.type,
            URIRef("http://www.w3.org/ns/shacl#NodeShape")) in shapes


def test_shapes_by_path_and_graph(tiny_rdf):
    source = ROOT / "ontology" / "shapes.ttl"
    assert validate(tiny_rdf, shapes=source).conforms
    assert validate(tiny_rdf, shapes=Graph().parse(source)).conforms


def test_missing_path(tmp_path):
    with pytest.raises(GraphError, match="no graph at"):
        validate(tmp_path / "nowhere.ttl")


def test_build_directory_without_turtle(tmp_path):
    with pytest.raises(GraphError, match="no graph.ttl in"):
        validate(tmp_path)


def test_unparsable_turtle(tmp_path):
    bad = tmp_path / "graph.ttl"
    bad.write_text("@prefix edukg: <https://w3id.org/edukg/ontology#> .\nthis is not turtle",
                   "utf-8")
    with pytest.raises(GraphError, match="not readable RDF"):
        validate(bad)
    with pytest.raises(GraphError, match="not readable RDF"):
        validate(tmp_path)


def test_missing_shapes_file(tiny_rdf, tmp_path):
    with pytest.raises(GraphError, match="no shapes file at"):
        validate(tiny_rdf, shapes=tmp_path / "shapes.ttl")


def test_wrong_input_type():
    with pytest.raises(GraphError, match="cannot validate"):
        validate(42)

