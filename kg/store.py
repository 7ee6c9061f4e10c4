"""The embedded SPARQL store, and loading into and querying remote ones.

A build's ``graph.ttl`` is loaded into an in-memory :mod:`pyoxigraph` store
(:func:`open_store`) and queried with SPARQL 1.1 (:func:`run_query`); the
answer is a :class:`Result` of plain Python strings that
:func:`format_result` renders as an aligned table, JSON or CSV.

The same Turtle can be sent to a remote triple store over the SPARQL 1.1
Graph Store HTTP Protocol (:func:`push`) and queried there over the SPARQL
1.1 Protocol (:func:`remote_query`), which answers in the same
:class:`Result` shape, so a query gives the same rows locally and remotely.
Only the standard library (:mod:`urllib`) speaks HTTP.

Examples
--------
>>> store = pyoxigraph.Store()
>>> store.load(input='<http://x/a> <http://x/name> "台州"@zh .',
...            format=pyoxigraph.RdfFormat.TURTLE)
>>> result = run_query(store, "SELECT ?s ?name WHERE { ?s <http://x/name> ?name }")
>>> result.variables, result.rows
(['s', 'name'], [['http://x/a', '台州']])
>>> print(format_result(result, "table"))
s           name
----------  ----
http://x/a  台州
>>> run_query(store, "ASK { ?s ?p ?o }").rows
[['true']]
"""
from __future__ import annotations

import csv
import io
import ipaddress
import json
import os
import shutil
import tempfile
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path

import pyoxigraph

from .errors import GraphError
from .io import fingerprint

__all__ = ["Result", "FORMATS", "open_store", "run_query", "format_result", "push",
           "remote_query"]

#: The formats :func:`format_result` knows (the first is the default).
FORMATS = ("table", "json", "csv")

#: Suffixes of the RDF files :func:`open_store` and :func:`push` read.
_RDF_FORMATS = {
    ".ttl": (pyoxigraph.RdfFormat.TURTLE, "text/turtle"),
    ".nt": (pyoxigraph.RdfFormat.N_TRIPLES, "application/n-triples"),
}

_RESULTS_JSON = "application/sparql-results+json"
#: What :func:`remote_query` accepts: JSON results for SELECT/ASK, RDF for
#: CONSTRUCT/DESCRIBE (the server picks by the kind of query).
_ACCEPT = (f"{_RESULTS_JSON}, application/n-triples;q=0.9, text/turtle;q=0.8, "
           "application/rdf+xml;q=0.5")
_SNIPPET = 300


@dataclass(frozen=True)
class Result:
    """The answer to a query, as plain strings.

    ``variables`` are the projected variable names (without ``?``); each row
    holds one value per variable: the lexical value of a literal, an IRI as
    a string, ``_:id`` for a blank node, ``None`` when unbound.  An ASK query
    gives the variable ``boolean`` and one row ``["true"]`` or ``["false"]``;
    CONSTRUCT and DESCRIBE give the variable ``triple`` and one N-Triples line
    per triple.
    """

    variables: list[str]
    rows: list[list[str | None]] = field(default_factory=list)

    def as_dicts(self) -> list[dict[str, str | None]]:
        """The rows as ``{variable: value}`` dictionaries."""
        return [dict(zip(self.variables, row)) for row in self.rows]


# -- the embedded store -------------------------------------------------------

def _graph_file(build: str | Path) -> Path:
    path = Path(build)
    if path.is_dir():
        path = path / "graph.ttl"
    if not path.is_file():
        raise GraphError(f"no graph at {path}: run `kg build` first, or name a build "
                         "folder or a .ttl/.nt file")
    if path.suffix.lower() not in _RDF_FORMATS:
        raise GraphError(f"{path}: expected a build folder or a .ttl/.nt file")
    return path


def open_store(build: str | Path, notice=None) -> pyoxigraph.Store:
    """A store holding the graph of ``build``: in memory, or, for a file
    of :data:`DISK_STORE_AT` bytes or more, on disk beside it, made by the
    first call and read-only.

    Parameters
    ----------
    build : str or Path
        A build folder (its ``graph.ttl`` is read) or a ``.ttl``/``.nt`` file.
    notice : callable, optional
        Called with a line for the user before a store on disk is made (the
        first query of a large build takes about a minute).

    Raises
    ------
    GraphError
        When the file is missing or is not valid Turtle/N-Triples.
    """
    path = _graph_file(build)
    fmt = _RDF_FORMATS[path.suffix.lower()][0]
    try:
        if path.stat().st_size >= DISK_STORE_AT:
            store = _disk_store(path, fmt, notice)
            if store is not None:
                return store
        store = pyoxigraph.Store()
        store.load(path=str(path), format=fmt)
    except (SyntaxError, ValueError) as exc:
        raise GraphError(f"{path} is not readable RDF: {exc}") from None
    except OSError as exc:
        raise GraphError(f"cannot read {path}: {exc}") from None
    return store


#: A graph file at least this large is queried through a store on disk
#: beside it (:func:`_disk_store`), made by the first query.
DISK_STORE_AT = 64 << 20

#: The file in a store on disk naming the graph file it holds (its
#: :func:`~kg.io.fingerprint`).
_SOURCE = "edukg-source"


def disk_store_path(path: Path) -> Path:
    return path.parent / f".{path.name}.store"


def _disk_store(path: Path, fmt, notice=None) -> pyoxigraph.Store | None:
    """A read-only store on disk holding the graph file ``path``: the one
    beside it if it holds this very file, else one made anew (bulk-loaded
    in a temporary folder, then put in place of the old one).  Loading the
    Turtle of 1,000 documents took 55 s for every query; the store answers
    the next ones in a fraction of a second.  None when the store cannot be
    written beside the file (the caller then loads the file in memory)."""
    target = disk_store_path(path)
    source = fingerprint(path)
    try:
        if (target / _SOURCE).read_text("utf-8") == source:
            return pyoxigraph.Store.read_only(str(target))
    except OSError:
        pass
    try:
        tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", suffix=".tmp", dir=path.parent))
    except OSError:
        return None
    if notice is not None:
        notice(f"loading {path} into a store on disk for this and later queries "
               f"({target.name})")
    old = None   # where the out-of-date store is moved to, then removed
    try:
        store = pyoxigraph.Store(str(tmp))
        try:
            store.bulk_load(path=str(path), format=fmt)
            store.flush()
        finally:
            del store   # closed before its folder is renamed or removed
        (tmp / _SOURCE).write_text(source, "utf-8")
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=target.name + ".", suffix=".old",
                                        dir=path.parent))
            os.replace(target, old / "store")
        os.replace(tmp, target)
        return pyoxigraph.Store.read_only(str(target))
    except OSError:
        return None
    finally:
        for leftover in (tmp, old):
            if leftover is not None:
                shutil.rmtree(leftover, ignore_errors=True)


def _term(term) -> str | None:
    """A pyoxigraph term as a plain string."""
    if term is None:
        return None
    if isinstance(term, pyoxigraph.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, (pyoxigraph.NamedNode, pyoxigraph.Literal)):
        return term.value
    return str(term)  # a quoted triple (RDF 1.2)


def _ntriples(triple) -> str:
    return f"{triple} ."


def run_query(store: pyoxigraph.Store, sparql: str) -> Result:
    """Run a SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE) on ``store``.

    Raises
    ------
    GraphError
        For a syntax error (with the parser's message) or a failed evaluation.
    """
    try:
        answer = store.query(sparql)
        if isinstance(answer, pyoxigraph.QueryBoolean):
            return Result(["boolean"], [["true" if bool(answer) else "false"]])
        if isinstance(answer, pyoxigraph.QueryTriples):
            return Result(["triple"], [[_ntriples(t)] for t in answer])
        names = [v.value for v in answer.variables]
        rows = [[_term(solution[name]) for name in names] for solution in answer]
    except SyntaxError as exc:
        raise GraphError(f"SPARQL syntax error: {exc}") from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise GraphError(f"SPARQL query failed: {exc}") from None
    return Result(names, rows)


# -- formatting ---------------------------------------------------------------

def _width(text: str) -> int:
    """Terminal columns of ``text``: wide and full-width characters count 2."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _cell(value: str | None) -> str:
    if value is None:
        return ""
    return " ".join(value.splitlines()) if ("\n" in value or "\r" in value) else value


def _table(result: Result) -> str:
    header = [_cell(v) for v in result.variables]
    body = [[_cell(v) for v in row] for row in result.rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in body])
              for i, h in enumerate(header)]
    rule = ["-" * w for w in widths]

    def line(cells: list[str]) -> str:
        padded = [c + " " * (w - _width(c)) for c, w in zip(cells, widths)]
        return "  ".join(padded).rstrip()

    return "\n".join(line(cells) for cells in [header, rule, *body])


def _csv(result: Result) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.variables)
    writer.writerows([["" if v is None else v for v in row] for row in result.rows])
    return out.getvalue().rstrip("\n")


def format_result(result: Result, fmt: str = "table") -> str:
    """Render ``result`` as text (without a final newline).

    Parameters
    ----------
    result : Result
    fmt : {"table", "json", "csv"}
        ``table``: aligned columns, a Chinese character counting two columns
        wide, unbound values empty; ``json``: ``{"variables": [...], "rows":
        [{var: value}]}`` with Chinese kept as is and unbound values ``null``;
        ``csv``: a header line then one line per row, unbound values empty.
    """
    if fmt == "table":
        return _table(result)
    if fmt == "json":
        return json.dumps({"variables": list(result.variables), "rows": result.as_dicts()},
                          ensure_ascii=False, indent=1)
    if fmt == "csv":
        return _csv(result)
    raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")


# -- remote stores ------------------------------------------------------------

def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_endpoint(endpoint: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GraphError(f"{endpoint!r} is not an http(s) URL of a SPARQL endpoint")
    return parts


def _request(req: urllib.request.Request, timeout: float, what: str) -> tuple[str, bytes]:
    """Send ``req``; the answer's content type and body, or a GraphError."""
    host = urllib.parse.urlsplit(req.full_url).hostname
    # A local server is reached directly, never through an HTTP proxy.
    handlers = [urllib.request.ProxyHandler({})] if _is_loopback(host) else []
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read().decode("utf-8", "replace")
        except (OSError, HTTPException):
            body = ""
        body = " ".join(body.split())[:_SNIPPET]
        raise GraphError(f"{what} failed: HTTP {exc.code} {exc.reason}"
                         + (f": {body}" if body else "")) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            reason = f"no answer within {timeout:g} s"
        raise GraphError(f"{what} failed: {reason}") from None
    except TimeoutError:
        raise GraphError(f"{what} failed: no answer within {timeout:g} s") from None
    except (OSError, HTTPException) as exc:
        raise GraphError(f"{what} failed: {exc.__class__.__name__}: {exc}") from None


def push(ttl_path: str | Path, endpoint: str, graph_iri: str | None = None,
         timeout: float = 30) -> int:
    """Load a graph into a remote store with the SPARQL 1.1 Graph Store
    HTTP Protocol; the number of triples sent.

    The file is sent unchanged as one HTTP ``PUT`` (``text/turtle``, or
    ``application/n-triples`` for a ``.nt`` file) to
    ``endpoint?graph=<graph_iri>``, or to ``endpoint?default`` when no graph
    IRI is given.  PUT *replaces* that graph: pushing a build again leaves
    no stale triples.  Triples pushed into a named graph are seen by queries
    through ``GRAPH <graph_iri> { ... }`` (or a server's union-default-graph
    option); those pushed into the default graph by every query.

    ``endpoint`` is the store's Graph Store Protocol base (the SPARQL query
    endpoint for :func:`remote_query` in brackets):

    * Oxigraph: ``http://host:7878/store`` (``http://host:7878/query``);
    * Apache Jena Fuseki: ``http://host:3030/<dataset>/data``
      (``http://host:3030/<dataset>/sparql``);
    * GraphDB: ``http://host:7200/repositories/<repo>/rdf-graphs/service``
      (``http://host:7200/repositories/<repo>``).

    Parameters
    ----------
    ttl_path : str or Path
        A ``.ttl``/``.nt`` file, or a build folder (its ``graph.ttl``).
    endpoint : str
        The http(s) URL of the Graph Store Protocol service.
    graph_iri : str, optional
        The named graph to replace; the default graph when None.
    timeout : float
        Seconds to wait for the connection and for the answer.

    Raises
    ------
    GraphError
        When the file is missing or unparsable, the endpoint is not an http(s)
        URL, the connection is refused or times out, or the server answers
        4xx/5xx (the message names the endpoint, the status code and the
        first 300 characters of the server's answer).
    """
    path = _graph_file(ttl_path)
    fmt, media_type = _RDF_FORMATS[path.suffix.lower()]
    parts = _check_endpoint(endpoint)
    try:
        data = path.read_bytes()
        count = sum(1 for _ in pyoxigraph.parse(data, format=fmt))
    except (SyntaxError, ValueError) as exc:
        raise GraphError(f"{path} is not readable RDF: {exc}") from None
    except OSError as exc:
        raise GraphError(f"cannot read {path}: {exc}") from None
    param = ("graph=" + urllib.parse.quote(graph_iri, safe="")) if graph_iri else "default"
    query = f"{parts.query}&{param}" if parts.query else param
    url = urllib.parse.urlunsplit(parts._replace(query=query, fragment=""))
    req = urllib.request.Request(url, data=data, method="PUT", headers={
        "Content-Type": f"{media_type}; charset=utf-8"})
    _request(req, timeout, f"push of {path.name} to {url}")
    return count


def _binding(value: dict | None) -> str | None:
    if not value:
        return None
    kind = value.get("type")
    if kind == "bnode":
        return f"_:{value.get('value', '')}"
    if kind == "triple":
        return json.dumps(value.get("value"), ensure_ascii=False)
    return value.get("value")


def _parse_results(body: bytes, content_type: str, what: str) -> Result:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type in (_RESULTS_JSON, "application/json"):
        try:
            data = json.loads(body.decode("utf-8"))
            if "boolean" in data:
                return Result(["boolean"], [["true" if data["boolean"] else "false"]])
            names = list(data["head"]["vars"])
            rows = [[_binding(b.get(n)) for n in names] for b in data["results"]["bindings"]]
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GraphError(f"{what}: unreadable SPARQL JSON results: {exc}") from None
        return Result(names, rows)
    fmt = pyoxigraph.RdfFormat.from_media_type(media_type) if media_type else None
    if fmt is None:
        raise GraphError(f"{what}: unexpected answer of type {content_type or 'unknown'}: "
                         + body[:_SNIPPET].decode("utf-8", "replace"))
    try:
        quads = pyoxigraph.parse(body, format=fmt)
        return Result(["triple"], [[_ntriples(q.triple)] for q in quads])
    except (SyntaxError, ValueError) as exc:
        raise GraphError(f"{what}: unreadable RDF answer: {exc}") from None


def remote_query(endpoint: str, sparql: str, timeout: float = 30) -> Result:
    """Run a query on a remote SPARQL 1.1 Protocol endpoint.

    The query is POSTed as ``application/sparql-query``, asking for
    ``application/sparql-results+json`` (SELECT, ASK) or N-Triples/Turtle
    (CONSTRUCT, DESCRIBE), and the answer is read into the same
    :class:`Result` shape as :func:`run_query` gives.  See :func:`push` for
    the query endpoints of Oxigraph, Fuseki and GraphDB.

    Raises
    ------
    GraphError
        For a refused or timed-out connection, an HTTP error (a syntax error
        is the server's 400, with its message) or an unreadable answer.
    """
    _check_endpoint(endpoint)
    req = urllib.request.Request(endpoint, data=sparql.encode("utf-8"), method="POST",
                                 headers={"Content-Type": "application/sparql-query; charset=utf-8",
                                          "Accept": _ACCEPT})
    what = f"query at {endpoint}"
    content_type, body = _request(req, timeout, what)
    return _parse_results(body, content_type, what)
