"""The ``kg`` command: thin click commands over the library functions.

Library errors (:class:`kg.errors.KGError`) become clear one-line messages
with a non-zero exit code, never a traceback.
"""
from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path

import click

from . import __version__
from .errors import KGError

DEFAULT_OUT = "exports"


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KGError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
def main() -> None:
    """edukg: knowledge graphs from Chinese education-policy documents.

    Build a graph from documents (`kg build seeds/`), then look entities up
    (`kg lookup 教共体`).  A build writes graph.json (networkx node-link data),
    graph.ttl (RDF/Turtle against ontology/edukg.ttl) and graph.html (an
    offline interactive map).
    """


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", default=DEFAULT_OUT, show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write graph.json, graph.ttl and graph.html into.")
@click.option("--lexicon", "lexicon_dir", type=click.Path(exists=True, file_okay=False),
              help="Folder of extra lexicon files (suffixes.tsv, boundaries.txt, *.jsonl).")
@click.option("--strict", is_flag=True, help="Stop at the first unreadable file.")
@click.option("-w", "--workers", type=click.IntRange(1), default=None,
              help="Processes for the per-document stage (default: all cores).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run the per-document stage on a Dask cluster (e.g. tcp://10.0.0.5:8786).")
@click.option("--no-cache", is_flag=True,
              help="Ignore and do not write the per-document cache in OUT/.cache "
                   "(and build even when nothing changed).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (no progress bar).")
def build(paths, out_dir, lexicon_dir, strict, workers, scheduler, no_cache, quiet):
    """Build the knowledge graph of PATHS (files or folders, recursively).

    Reads .txt and .html files in UTF-8, UTF-16 or GB18030/GBK.  Files that
    cannot be read are reported and skipped; the exit code is 1 when any
    was skipped, and --strict makes the first one fatal.  When no document,
    lexicon or code changed since the last build into OUT, and its outputs
    are as it left them, there is nothing to do: it says so.  The same when
    files changed but not the text read from them (an HTML page's menus or
    scripts, a file saved in another encoding): only those are read again.
    """
    import os

    from .io import list_documents
    from .pipeline import build as run_build, same_content, up_to_date
    t0 = time.perf_counter()
    last = None if no_cache else up_to_date(paths, out_dir, lexicon_dir)
    if last is not None and not (strict and last["skipped"]):
        _report_up_to_date(out_dir, last, quiet, time.perf_counter() - t0,
                           "no document, lexicon or code changed since it was built")
        return
    workers = workers or os.cpu_count() or 1
    preloaded: dict = {}   # (the cache's entries same_content loads while it reads)
    same = None if no_cache else same_content(paths, out_dir, lexicon_dir, workers, scheduler,
                                              strict, preload=preloaded)
    if same is not None:
        n = same["changed"]   # none: only a path that cannot be listed changed
        _report_up_to_date(out_dir, same, quiet, time.perf_counter() - t0,
                           f"{n} changed file{'s' if n != 1 else ''} read again: "
                           "the same text as when it was built" if n
                           else "no document read changed since it was built")
        return
    show = not quiet and sys.stderr.isatty()
    total = len(list_documents(paths, exclude=[out_dir]).files) if show else 0
    with click.progressbar(length=total, label="reading", file=sys.stderr,
                           show_pos=True) if show and total > 1 else _NoBar() as bar:
        result = run_build(paths, out_dir, lexicon_dir=lexicon_dir, strict=strict,
                           progress=bar.update, workers=workers, scheduler=scheduler,
                           cache=not no_cache, preloaded=preloaded)
    _leave(result)
    for path, reason in result.skipped:
        click.echo(f"skipped: {reason}", err=True)
    if not quiet:
        kinds, edges = result.sizes()
        click.echo(f"{len(result.extraction.documents)} documents, "
                   f"{sum(v for k, v in kinds.items() if k not in ('document', 'metric'))} entities, "
                   f"{kinds.get('metric', 0)} metrics, {edges} edges "
                   f"in {time.perf_counter() - t0:.1f}s")
        click.echo("  " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
        click.echo("  stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items()))
        for p in result.written:
            click.echo(f"wrote {p}")
    if result.skipped:
        sys.exit(1)


def _report_up_to_date(out_dir, last: dict, quiet: bool, seconds: float, why: str) -> None:
    """What ``kg build`` says when its outputs in ``out_dir`` stand as the
    last build left them (``why``): the files skipped (the exit status is 1
    again), and, unless ``quiet``, that the outputs stand, with their counts."""
    for _, reason in last["skipped"]:
        click.echo(f"skipped: {reason}", err=True)
    if not quiet:
        s = last["summary"]
        entities = s.get("entities") or {}
        click.echo(f"up to date: {out_dir} ({s.get('documents', 0)} documents, "
                   f"{sum(entities.values())} entities, {s.get('metrics', 0)} metrics; "
                   f"{why}) in {seconds:.1f}s")
    if last["skipped"]:
        sys.exit(1)


class _NoBar:
    """Stands in for a progress bar in pipes and with --quiet."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n: int) -> None:
        pass


def _hits_or_exit(g, name: str, as_json: bool, index=None) -> list[str]:
    """The entities named ``name`` in ``g`` (or in ``index``, a
    :class:`~kg.index.GraphIndex`); with none, print the closest names (as
    JSON with ``--json``) and exit 1."""
    from .lookup import closest, closest_of, find
    hits = index.find(name) if index is not None else find(g, name)
    if hits:
        return hits
    near = closest_of(index.labels(), name) if index is not None else closest(g, name)
    if as_json:
        click.echo(json.dumps({"query": name, "found": [], "closest": near},
                              ensure_ascii=False, indent=1))
    else:
        click.echo(f"no entity named {name!r}" + (". Closest: " + ", ".join(near) if near else ""),
                   err=True)
    sys.exit(1)


def _notice(line: str) -> None:
    """A line on standard error about a slow first step (not the answer)."""
    click.echo(line, err=True)


def _short(text: str, n: int = 90) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _metric_line(m: dict) -> str:
    status = f", {m['status']}" if m.get("status") else ""
    return f"{m['indicator']}: {m['value']:g} {m['unit']} ({m['year']}{status})"


def _print_entity(info: dict) -> None:
    click.echo(f"{info['name']}  [{info['type']}]  {info['id']}")
    if info["aliases"]:
        click.echo("  aliases: " + ", ".join(info["aliases"]))
    if info["notation"]:
        click.echo(f"  division code: {info['notation']}")
    for pred, items in info["relations"].items():
        label = f"{pred[1:]} (incoming)" if pred.startswith("^") else pred
        click.echo(f"  {label}:")
        for r in items:
            click.echo(f"    {r['name']} [{r['type']}]")
            for ev in r["evidence"]:
                click.echo(f"      {ev['doc']}: “{_short(ev['sentence'])}”")
    if info["metrics"]:
        click.echo("  metrics:")
        for m in info["metrics"]:
            click.echo(f"    {_metric_line(m)} ({m['doc']})")
    if info["co_mentioned"]:
        click.echo("  named with: " + ", ".join(f"{c['name']} ({c['weight']})"
                                               for c in info["co_mentioned"]))
    click.echo("  documents:")
    for d in info["documents"]:
        title = f" {d['title']}" if d["title"] else ""
        click.echo(f"    {d['doc']}{title} {d['date']}".rstrip())
        if d["sentence"]:
            click.echo(f"      “{d['sentence']}”")


@main.command()
@click.argument("name")
@click.option("--graph", "graph_dir", default=DEFAULT_OUT, show_default=True,
              type=click.Path(path_type=Path), help="Build folder (or graph.json) to read.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the entity's two-hop neighbourhood as an interactive HTML page.")
def lookup(name, graph_dir, as_json, html_file):
    """Find an entity by its canonical name or any alias (教共体 finds
    城乡教育共同体 where the documents make that link) and show its type,
    aliases, relations, metrics, and the documents that name it with one
    evidence sentence each.  Exits 1 with the closest names when nothing
    matches."""
    from .graph import load_graph
    from .index import GraphIndex
    from .lookup import describe
    # the index answers from the entity's own records; the page needs two hops
    index = None if html_file else GraphIndex.open(graph_dir, _notice)
    if index is None:
        g = load_graph(graph_dir)
        hits = _hits_or_exit(g, name, as_json)
        infos = [describe(g, n) for n in hits]
    else:
        with contextlib.closing(index):
            hits = _hits_or_exit(None, name, as_json, index)
            infos = [describe(index.around(n), n) for n in hits]
    if html_file:
        _write_neighbourhood(g, hits[0], 2, False, html_file)
    if as_json:
        click.echo(json.dumps({"query": name, "found": infos}, ensure_ascii=False, indent=1))
        return
    for i, info in enumerate(infos):
        if i:
            click.echo()
        _print_entity(info)


@main.command()
@click.argument("name")
@click.option("--graph", "graph_dir", default=DEFAULT_OUT, show_default=True,
              type=click.Path(path_type=Path), help="Build folder (or graph.json) to read.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def timeline(name, graph_dir, as_json):
    """Follow an entity across years and places: for each document that
    names it (by year, then place), the document, one evidence sentence and
    the metrics about the entity there.  Exits 1 with the closest names when
    nothing matches."""
    from .graph import load_graph
    from .index import GraphIndex
    from .timeline import timeline as rows_of
    index = GraphIndex.open(graph_dir, _notice)
    if index is None:
        g = load_graph(graph_dir)
        hits = _hits_or_exit(g, name, as_json)
        around = [g] * len(hits)
    else:
        with contextlib.closing(index):
            hits = _hits_or_exit(None, name, as_json, index)
            around = [index.around(n) for n in hits]
    result = [{"id": n, "name": part.nodes[n]["label"], "type": part.nodes[n]["type"],
               "timeline": rows_of(part, n)} for n, part in zip(hits, around)]
    if as_json:
        click.echo(json.dumps({"query": name, "found": result}, ensure_ascii=False, indent=1))
        return
    for i, item in enumerate(result):
        if i:
            click.echo()
        click.echo(f"{item['name']}  [{item['type']}]")
        for r in item["timeline"]:
            where = f" {r['place']}" if r["place"] else ""
            click.echo(f"  {r['year'] or '----'}{where}  {r['doc']} {r['title']}".rstrip())
            if r["sentence"]:
                click.echo(f"      “{_short(r['sentence'])}”")
            for m in r["metrics"]:
                click.echo(f"      {_metric_line(m)}")


EXPORT_FORMATS = ("ttl", "nt", "jsonld", "trig", "nq", "rdfxml", "graphml", "json")
_SUFFIX = {"ttl": "ttl", "nt": "nt", "jsonld": "jsonld", "trig": "trig", "nq": "nq",
           "rdfxml": "rdf", "graphml": "graphml", "json": "json"}


@main.command()
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="ttl", show_default=True,
              help="Output format: Turtle, N-Triples, JSON-LD, TriG, N-Quads, RDF/XML, GraphML "
                   "or node-link JSON.")
@click.option("--graph", "graph_dir", default=DEFAULT_OUT, show_default=True,
              type=click.Path(path_type=Path), help="Build folder (or graph.json) to read.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: graph.<format> beside graph.json; - for stdout).")
def export(fmt, graph_dir, output):
    """Render a built graph in another format, from graph.json, without
    re-extracting.  Output is deterministic: the same build gives the same
    bytes."""
    from .graph import graph_to_graphml, graph_to_json, load_graph
    from .io import write_all_atomic
    from .rdf import serialize, stream_rdf
    g = load_graph(graph_dir)
    if str(output) == "-":
        data = graph_to_graphml(g) if fmt == "graphml" else \
            graph_to_json(g).encode("utf-8") if fmt == "json" else serialize(g, fmt)
        sys.stdout.buffer.write(data)
        return
    base = graph_dir if graph_dir.is_dir() else graph_dir.parent
    target = output or base / f"graph.{_SUFFIX[fmt]}"
    if fmt == "graphml":
        data = graph_to_graphml(g)
    elif fmt == "json":
        data = graph_to_json(g).encode("utf-8")
    else:  # streamed to disk: large graphs never sit in memory twice
        data = lambda tmp: stream_rdf(g, tmp, fmt)  # noqa: E731
    write_all_atomic({target: data})
    click.echo(f"wrote {target}")


@main.command()
@click.argument("sparql", required=False)
@click.option("--file", "query_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the SPARQL query from a file (queries/*.rq are shipped).")
@click.option("--graph", "graph_dir", default=DEFAULT_OUT, show_default=True,
              type=click.Path(path_type=Path), help="Build folder (or a .ttl/.nt file) to load.")
@click.option("--endpoint", help="Ask a remote SPARQL 1.1 endpoint (e.g. http://127.0.0.1:7878/query) "
                                 "instead of the embedded store.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
def query(sparql, query_file, graph_dir, endpoint, fmt):
    """Answer a SPARQL query from the embedded store (pyoxigraph, loaded
    from the build's graph.ttl) or a remote endpoint.  Give the query as an
    argument or with --file; print a table, JSON or CSV."""
    from .store import format_result, open_store, remote_query, run_query
    if bool(sparql) == bool(query_file):
        raise click.UsageError("give a SPARQL query or --file, not both or neither")
    text = sparql or query_file.read_text("utf-8")
    result = remote_query(endpoint, text) if endpoint else \
        run_query(open_store(graph_dir, _notice), text)
    click.echo(format_result(result, fmt))


@main.command()
@click.option("--endpoint", required=True,
              help="Graph Store Protocol URL of the store, e.g. http://127.0.0.1:7878/store "
                   "(Oxigraph), http://host:3030/ds/data (Fuseki).")
@click.option("--graph-iri", help="Named graph to replace (default: the store's default graph).")
@click.option("--graph", "graph_dir", default=DEFAULT_OUT, show_default=True,
              type=click.Path(path_type=Path), help="Build folder (or .ttl file) to push.")
@click.option("--timeout", default=60, show_default=True, help="Seconds to wait for the store.")
def push(endpoint, graph_iri, graph_dir, timeout):
    """Load a build's Turtle into a SPARQL 1.1 store with the Graph Store
    HTTP Protocol (HTTP PUT: the target graph is replaced).  A store that
    refuses gets a clear error with its status and answer.  Data pushed into
    a named graph is queried with GRAPH <iri> { … }."""
    from .store import push as push_graph
    n = push_graph(graph_dir, endpoint, graph_iri, timeout)
    click.echo(f"pushed {n} triples to {endpoint}" + (f" (graph {graph_iri})" if graph_iri else ""))


@main.command()
@click.argument("build_dir", required=False, default=DEFAULT_OUT,
                type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def validate(build_dir, as_json):
    """Check a build's Turtle (or a .ttl file) against the SHACL shapes of
    ontology/shapes.ttl and print every violation readably: severity, node,
    its label, property, message and value.  Exits 1 when the data does
    not conform (warnings alone do not fail)."""
    from .validate import validate as run_validate
    report = run_validate(build_dir)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        if report.violations:
            click.echo(report.text())
        warnings = report.count("Warning")
        errors = len(report.violations) - warnings
        click.echo(("conforms" if report.conforms else f"does not conform: {errors} violations")
                   + (f" ({warnings} warnings)" if warnings else ""))
    if not report.conforms:
        sys.exit(1)


@main.command()
@click.option("--graph", "graph_dir", default=DEFAULT_OUT, show_default=True,
              type=click.Path(path_type=Path), help="Build folder (or graph.json) to read.")
@click.option("--around", "name", help="Draw only the neighbourhood of this entity (any alias).")
@click.option("--hops", type=click.IntRange(0, 6), default=2, show_default=True,
              help="How far from --around to go.")
@click.option("--co-mentions", is_flag=True, help="Let the neighbourhood follow co-mentions too.")
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file to write (default: graph.html beside graph.json, or "
                   "<name>.html with --around).")
def html(graph_dir, name, hops, co_mentions, out_file):
    """Write the interactive, self-contained HTML map of a build, or of the
    neighbourhood of one entity (--around NAME --hops N): search by any
    name, filters by type, document and year, a side panel with relations,
    metrics and highlighted evidence."""
    from .graph import load_graph
    from .viz import write_html
    g = load_graph(graph_dir)
    base = graph_dir if graph_dir.is_dir() else graph_dir.parent
    if not name:
        target = out_file or base / "graph.html"
        write_html(g, target, title="edukg")
    else:
        node = _one_entity(g, name)
        target = out_file or base / f"{g.nodes[node]['label']}.html"
        _write_neighbourhood(g, node, hops, co_mentions, target)
    click.echo(f"wrote {target}")


def _one_entity(g, name: str) -> str:
    return _hits_or_exit(g, name, False)[0]


def _write_neighbourhood(g, node: str, hops: int, co_mentions: bool, target: Path) -> None:
    from .viz import neighbourhood, write_html
    sub = neighbourhood(g, node, hops, co_mentions=co_mentions)
    write_html(sub, target, title=f"{g.nodes[node]['label']} · {hops} 跳", focus=node)


@main.command(name="eval")
@click.argument("gold", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--graph", "graph_dir", default=DEFAULT_OUT, show_default=True,
              type=click.Path(path_type=Path),
              help="Build folder: per-document builds DIR/<stem>/ or one build of all documents.")
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@click.option("--errors/--no-errors", default=True, show_default=True,
              help="List the missed and spurious entities of each document.")
def evaluate_cmd(gold, graph_dir, as_json, errors):
    """Score a build against gold annotations (*.gold.json in the format of
    the annotation guidelines; folders are searched): precision, recall and
    F1 per entity type, per relation and for metrics, with the entities
    missed and the spurious ones."""
    from .evaluate import evaluate
    files = []
    for p in gold:
        files += sorted(p.glob("*.gold.json")) if p.is_dir() else [p]
    if not files:
        raise click.ClickException("no *.gold.json files given")
    res = evaluate(files, graph_dir)
    if as_json:
        click.echo(json.dumps(res, ensure_ascii=False, indent=1))
        return
    for r in res["documents"]:
        e, rel, m = r["entities"]["all"], r["relations"]["all"], r["metrics"]["all"]
        click.echo(f"{r['doc']}: entity F1 {e['f1']:.3f} (P {e['precision']:.3f} R {e['recall']:.3f})"
                   f"  relation F1 {rel['f1']:.3f}  metric F1 {m['f1']:.3f}")
        for section in ("entities", "relations"):
            for t, v in r[section].items():
                if t != "all":
                    click.echo(f"    {t:<11} P {v['precision']:.3f} R {v['recall']:.3f} "
                               f"F1 {v['f1']:.3f}  ({v['tp']}/{v['pred']} predicted, {v['gold']} gold)")
        if errors:
            click.echo("    missed: " + " | ".join(r["missed_entities"]))
            click.echo("    spurious: " + " | ".join(r["spurious_entities"]))
    t = res["total"]
    click.echo(f"TOTAL entity F1 {t['entities']['f1']:.3f} (P {t['entities']['precision']:.3f} "
               f"R {t['entities']['recall']:.3f}) relation F1 {t['relations']['f1']:.3f} "
               f"metric F1 {t['metrics']['f1']:.3f}")


#: Under :func:`run`, what the commands leave for the process's end (see
#: there); None elsewhere (the click tests, a program calling :func:`main`).
_LEFT: list | None = None


def _leave(value) -> None:
    """Under :func:`run`, keep ``value`` until the process ends, which
    frees nothing: a build's result (the extraction: millions of small
    objects) freed when the command returns took 0.95 s after a 2-worker
    rebuild of 1,000 documents.  Elsewhere it is freed as usual."""
    if _LEFT is not None:
        _LEFT.append(value)


def run() -> None:
    """The ``kg`` program (the console script): :func:`main`, then the
    process ends at once with its exit status.

    A large build leaves millions of small objects behind (the graph, the
    extraction); the interpreter freeing them one by one on its way out took
    7.9 s after a 2-worker build of 1,000 documents had finished.  Every
    command has written, renamed and closed its files and released its
    locks before it returns, so only the standard streams are flushed here
    and :func:`os._exit` skips the rest; what a command would free as it
    returns, it leaves here too (:func:`_leave`).  (The click tests call
    :func:`main` in-process, which returns as usual.)"""
    import os
    global _LEFT
    _LEFT = []
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a reader that closed the pipe: nothing to say
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
