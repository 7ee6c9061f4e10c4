"""Check an exported graph against the SHACL shapes of ``ontology/shapes.ttl``.

The shapes say what well-formed edukg data looks like: one ``@zh`` name per
entity, evidence with a document and ordered offsets, metrics with a decimal
value and a unit, relations between the right classes.  :func:`validate` runs
them with pyshacl (no inference, no OWL imports; SHACL Advanced Features on,
for the SPARQL target of one shape) and returns a :class:`Report`
whose :meth:`Report.text` prints one line per problem.

The shapes are shipped as package data (``kg/data/shapes.ttl``, a copy of
``ontology/shapes.ttl``), so validation works from an installed package too.

>>> from rdflib import Graph
>>> report = validate(Graph())
>>> report.conforms, report.violations
(True, ())
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import unquote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, RDF, SH, SKOS
from rdflib.util import guess_format

from .errors import GraphError
from .rdf import PREFIXES
from .vocab import EDUKG

__all__ = ["SHAPES_RESOURCE", "Violation", "Report", "load_shapes", "validate"]

#: Where the shapes live inside the installed package.
SHAPES_RESOURCE = "data/shapes.ttl"

_SHAPES_NS = "https://w3id.org/edukg/shapes#"
_SHORT = {**{p: str(ns) for p, ns in PREFIXES.items()},
          "sh": str(SH), "edukgsh": _SHAPES_NS}
#: Longest namespaces first, so ``id:`` never hides a longer match.
_BY_LENGTH = sorted(_SHORT.items(), key=lambda kv: -len(kv[1]))
_SEVERITY_RANK = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True)
class Violation:
    """One validation result, already rendered as short readable strings.

    ``focus`` is the node that failed (e.g. ``id:agency-1``), ``label`` what
    a reader knows it by (its ``skos:prefLabel``, a document's title, a
    metric's indicator, a statement's ``subject predicate object``; ``""``
    when it has none), ``path`` the property path
    (e.g. ``skos:prefLabel`` or ``^edukg:reports``, ``""`` for a constraint on
    the node itself), ``value`` the offending value (``""`` when none), and
    ``shape`` the shape that reported it.
    """

    severity: str        # "Violation", "Warning" or "Info"
    focus: str
    label: str
    path: str
    message: str
    value: str = ""
    shape: str = ""

    def line(self) -> str:
        """The violation as one line of text, e.g. ``Violation: id:agency-1
        (台州市教育局) edukg:locatedIn: edukg:locatedIn must point to a Place
        [value: id:initiative-1 (城乡教育共同体)]``."""
        node = f"{self.focus} ({self.label})" if self.label else self.focus
        where = f" {self.path}" if self.path else ""
        value = f" [value: {self.value}]" if self.value else ""
        return f"{self.severity}: {node}{where}: {self.message}{value}"

    def __str__(self) -> str:
        return self.line()


@dataclass(frozen=True)
class Report:
    """The outcome of :func:`validate`.

    ``conforms`` is False when there is at least one result of severity
    Violation; warnings are listed in ``violations`` but do not fail a graph.
    """

    conforms: bool
    violations: tuple[Violation, ...] = ()

    def count(self, severity: str = "Violation") -> int:
        """How many results have ``severity``."""
        return sum(v.severity == severity for v in self.violations)

    def text(self) -> str:
        """One line per result, violations first; a summary line when there are none."""
        if not self.violations:
            return "conforms: no violations"
        return "\n".join(v.line() for v in self.violations)

    def to_dict(self) -> dict:
        """A JSON-able dict of the report."""
        return {"conforms": self.conforms,
                "violations": [asdict(v) for v in self.violations]}


def _shorten(term) -> str:
    """``term`` as ``prefix:local`` where a known namespace matches, else as is."""
    if isinstance(term, URIRef):
        iri = str(term)
        for prefix, ns in _BY_LENGTH:
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{prefix}:{unquote(iri[len(ns):])}"
        return f"<{iri}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        if term.language:
            return f'"{term}"@{term.language}'
        if term.datatype is not None:
            return f'"{term}"^^{_shorten(term.datatype)}'
        return f'"{term}"'
    return "" if term is None else str(term)


def _name(data: Graph, node) -> str:
    """The ``skos:prefLabel`` or ``dcterms:title`` of ``node``, else ``""``."""
    if not isinstance(node, (URIRef, BNode)):
        return ""
    for prop in (SKOS.prefLabel, DCTERMS.title):
        value = data.value(node, prop)
        if value is not None:
            return str(value)
    return ""


def _label(data: Graph, node) -> str:
    """What a reader recognises ``node`` by: its name; for a metric its
    indicator; for a reified relation ``subject predicate object``."""
    name = _name(data, node)
    if name or not isinstance(node, (URIRef, BNode)):
        return name
    if (node, RDF.type, EDUKG.Metric) in data:
        return str(data.value(node, EDUKG.indicator) or "")
    if (node, RDF.type, RDF.Statement) in data:
        s, p, o = (data.value(node, prop) for prop in (RDF.subject, RDF.predicate, RDF.object))
        if s is not None and p is not None and o is not None:
            return " ".join((_name(data, s) or _shorten(s), _shorten(p),
                             _name(data, o) or _shorten(o)))
    return ""


def _path(graphs: tuple[Graph, ...], path) -> str:
    """A property path in SPARQL-like syntax: ``^edukg:reports``, ``a/b``, ``a|b``."""
    if path is None:
        return ""
    if isinstance(path, URIRef):
        return _shorten(path)
    for g in graphs:
        if (path, None, None) not in g:
            continue
        for prop, fmt in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"),
                          (SH.oneOrMorePath, "{}+"), (SH.zeroOrOnePath, "{}?")):
            inner = g.value(path, prop)
            if inner is not None:
                return fmt.format(_path(graphs, inner))
        alt = g.value(path, SH.alternativePath)
        if alt is not None:
            return "(" + "|".join(_path(graphs, p) for p in Collection(g, alt)) + ")"
        if g.value(path, RDF.first) is not None:
            return "/".join(_path(graphs, p) for p in Collection(g, path))
    return _shorten(path)


def _value(data: Graph, term) -> str:
    if term is None:
        return ""
    text = _shorten(term)
    label = _name(data, term)
    return f"{text} ({label})" if label else text


def _shape_name(shapes: Graph, shape) -> str:
    """The shape's prefixed name; for an anonymous property shape, that of the
    named shape holding it."""
    seen = set()
    while isinstance(shape, BNode) and shape not in seen:
        seen.add(shape)
        shape = next(shapes.subjects(None, shape), None)
    return _shorten(shape) if isinstance(shape, URIRef) else ""


def _message(results: Graph, result) -> str:
    messages = list(results.objects(result, SH.resultMessage))
    for m in messages:
        if isinstance(m, Literal) and m.language == "en":
            return str(m)
    if messages:
        return str(sorted(messages)[0])
    component = results.value(result, SH.sourceConstraintComponent)
    return f"fails {_shorten(component)}" if component is not None else "fails a shape"


def _read_graph(path: Path, what: str) -> Graph:
    if not path.is_file():
        raise GraphError(f"no {what} at {path}")
    g = Graph()
    try:
        g.parse(path, format=guess_format(str(path)) or "turtle")
    except Exception as exc:  # rdflib raises many kinds for bad syntax
        raise GraphError(f"{path} is not readable RDF: {exc}") from None
    return g


def _data_graph(data) -> Graph:
    if isinstance(data, Graph):
        return data
    if not isinstance(data, (str, Path)):
        raise GraphError(f"cannot validate {type(data).__name__}: give an rdflib Graph, "
                         "a Turtle file or a build directory")
    path = Path(data)
    if path.is_dir():
        path = path / "graph.ttl"
        if not path.is_file():
            raise GraphError(f"no graph.ttl in {path.parent}: run `kg build` first")
    elif not path.exists():
        raise GraphError(f"no graph at {path}: give a graph.ttl or a build directory")
    return _read_graph(path, "graph")


def load_shapes(shapes=None) -> Graph:
    """The shapes graph: the packaged ``kg/data/shapes.ttl`` by default, or
    ``shapes`` (an rdflib Graph or the path of a Turtle file)."""
    if isinstance(shapes, Graph):
        return shapes
    if shapes is not None:
        return _read_graph(Path(shapes), "shapes file")
    res = resources.files("kg").joinpath(SHAPES_RESOURCE)
    try:
        text = res.read_text("utf-8")
    except (FileNotFoundError, OSError) as exc:
        raise GraphError(f"the edukg shapes are missing from the package ({exc}); "
                         "reinstall edukg") from None
    g = Graph()
    try:
        g.parse(data=text, format="turtle")
    except Exception as exc:
        raise GraphError(f"the packaged shapes are not readable Turtle: {exc}") from None
    return g


def validate(data, shapes=None) -> Report:
    """Validate ``data`` against the edukg SHACL shapes.

    Parameters
    ----------
    data : rdflib.Graph, str or Path
        A graph, a Turtle file (``graph.ttl``) or a build directory holding one.
    shapes : rdflib.Graph, str, Path or None
        Other shapes to use; by default the packaged ``shapes.ttl``.

    Returns
    -------
    Report
        ``conforms`` and the results, sorted: violations first, then by node.

    Raises
    ------
    GraphError
        When the data or shapes file is missing or is not readable RDF, or the
        shapes cannot be loaded by the validator.
    """
    from pyshacl import validate as shacl_validate  # slow import: only when used
    from pyshacl.errors import ReportableRuntimeError, ValidationFailure

    owned = not isinstance(data, Graph)
    graph = _data_graph(data)
    shapes_graph = load_shapes(shapes)
    try:
        conforms, results, _ = shacl_validate(
            graph, shacl_graph=shapes_graph, ont_graph=None, inference="none",
            advanced=True, js=False, abort_on_first=False, allow_warnings=True,
            allow_infos=True, meta_shacl=False, inplace=owned, debug=False)
    except ReportableRuntimeError as exc:
        raise GraphError(f"cannot validate with these shapes: {exc}") from None
    if isinstance(results, ValidationFailure):
        raise GraphError(f"validation failed: {results}")
    graphs = (results, shapes_graph)
    found = []
    for result in results.objects(None, SH.result):  # not the nested sh:detail
        severity = results.value(result, SH.resultSeverity)
        focus = results.value(result, SH.focusNode)
        value = results.value(result, SH.value)
        found.append(Violation(
            severity=_shorten(severity).removeprefix("sh:") if severity else "Violation",
            focus=_shorten(focus),
            label=_label(graph, focus),
            path=_path(graphs, results.value(result, SH.resultPath)),
            message=_message(results, result),
            value="" if value is None or value == focus else _value(graph, value),
            shape=_shape_name(shapes_graph, results.value(result, SH.sourceShape))))
    found = sorted(set(found), key=lambda v: (_SEVERITY_RANK.get(v.severity, 3), v.focus,
                                             v.path, v.message, v.value, v.shape))
    return Report(conforms=bool(conforms), violations=tuple(found))
