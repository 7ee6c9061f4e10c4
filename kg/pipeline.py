"""The pipeline: files -> Documents -> mentions -> entities, relations,
metrics -> :class:`~kg.model.Extraction` -> graph -> exports.

Each stage is a plain function of the previous stage's output; this module
only wires them together.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import networkx as nx

from .clean import clean_text
from .errors import InputError
from .extract.entities import extract_mentions
from .extract.metrics import attach_entities, extract_metrics
from .extract.relations import document_relations, merge_relations, place_relations
from .gazetteer import Division, Gazetteer, load_gazetteer
from .graph import build_graph, graph_to_json
from .io import folder_lock, list_documents, read_document, write_all_atomic
from .lexicon import Lexicon, load_lexicon
from .meta import read_meta
from .model import Document, Entity, Extraction, Mention, Relation
from .resolve import SentenceIndex, entity_id, key, resolve
from .segment import split_sentences

__all__ = ["prepare", "extract", "build", "BuildResult", "OUTPUTS"]

#: The files ``kg build`` writes into its output folder.
OUTPUTS = ("graph.json", "graph.ttl", "graph.html")


@dataclass
class BuildResult:
    graph: nx.MultiDiGraph
    extraction: Extraction
    skipped: list[tuple[str, str]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


def prepare(path: Path, gaz: Gazetteer) -> tuple[Document, Division | None]:
    """Read, clean and date one file; raises :class:`InputError`."""
    raw = read_document(path)
    text = clean_text(raw.text)
    if len(text.strip()) < 2:
        raise InputError(f"{path}: nothing left after removing web-page boilerplate")
    meta, place = read_meta(raw.text, gaz, text)
    doc = Document(doc_id=raw.doc_id, path=raw.path, text=text, title=meta.title,
                   publisher=meta.publisher, date=meta.date, place=meta.place,
                   encoding=raw.encoding)
    return doc, place


def _publisher_entity(doc: Document, entities: dict[str, Entity]) -> str:
    """The id of the publisher's entity, creating it when the text never
    names it (the name is then known from the header only)."""
    if not doc.publisher:
        return ""
    k = key(doc.publisher)
    for e in entities.values():
        if e.type == "Agency" and (key(e.name) == k or k in {key(a) for a in e.aliases}):
            return e.id
    eid = entity_id("Agency", doc.publisher)
    entities[eid] = Entity(eid, "Agency", doc.publisher, ())
    return eid


def extract(docs: list[tuple[Document, Division | None]], gaz: Gazetteer,
            lex: Lexicon) -> Extraction:
    """Entities, relations and metrics of prepared documents."""
    staged = []
    for doc, place in docs:
        index = SentenceIndex(split_sentences(doc.text))
        mentions: list[Mention] = extract_mentions(doc, lex, gaz, place)
        staged.append((doc, place, mentions, index))
    entity_list, ids = resolve(staged, gaz)
    entities = {e.id: e for e in entity_list}
    ex = Extraction(documents=[d for d, *_ in staged])
    rels = []
    places = {e.name: e.id for e in entities.values() if e.type == "Place"}
    for doc, place, mentions, index in staged:
        publisher = _publisher_entity(doc, entities)
        ex.publishers[doc.doc_id] = publisher
        rels += document_relations(doc, place, mentions, ids, entities, publisher, index, gaz)
        if publisher and place is not None and place.name in places:
            rels.append(Relation(publisher, "locatedIn", places[place.name], ()))
        types = {e.id: e.type for e in entities.values()}
        doc_place = places.get(place.name, "") if place is not None else ""
        ex.metrics += attach_entities(extract_metrics(doc, index), mentions, ids, types, index,
                                      doc_place)
    rels += place_relations(entities, gaz)
    ex.entities = sorted(entities.values(), key=lambda e: e.id)
    ex.relations = merge_relations(rels)
    return ex


def build(paths, out_dir: Path | None = None, lexicon_dir: str | None = None,
          strict: bool = False, progress=None) -> BuildResult:
    """Build the graph of the documents under ``paths``; when ``out_dir``
    is given, write ``graph.json``, ``graph.ttl`` and ``graph.html`` there.

    Unreadable files are skipped and reported in ``BuildResult.skipped``
    (with ``strict`` the first one raises :class:`InputError`)."""
    gaz = load_gazetteer()
    lex = load_lexicon(lexicon_dir)
    listing = list_documents(paths)
    if strict and listing.problems:
        raise InputError(listing.problems[0][1])
    files = listing.files
    if not files:
        reasons = "; ".join(r for _, r in listing.problems)
        raise InputError("no .txt or .html documents found in " + ", ".join(map(str, paths))
                         + (f" ({reasons})" if reasons else ""))
    docs, skipped = [], list(listing.problems)
    seen_ids: dict[str, int] = {}
    for f in files:
        if progress:
            progress(f)
        try:
            doc, place = prepare(f, gaz)
        except InputError as exc:
            if strict:
                raise
            skipped.append((str(f), str(exc)))
            continue
        n = seen_ids.get(doc.doc_id, 0)
        seen_ids[doc.doc_id] = n + 1
        if n:  # two files with one stem in different folders
            doc = replace(doc, doc_id=f"{doc.doc_id}~{n}")
        docs.append((doc, place))
    if not docs:
        raise InputError("no document could be read: " + "; ".join(r for _, r in skipped))
    ex = extract(docs, gaz, lex)
    g = build_graph(ex)
    result = BuildResult(g, ex, skipped)
    if out_dir is not None:
        result.written = write_outputs(g, Path(out_dir))
    return result


def write_outputs(g: nx.MultiDiGraph, out_dir: Path) -> list[Path]:
    """Render graph.json, graph.ttl and graph.html, then replace the three
    together under the folder's lock."""
    from .rdf import serialize
    from .viz import render_html
    payloads = {out_dir / "graph.json": graph_to_json(g).encode("utf-8"),
                out_dir / "graph.ttl": serialize(g, "ttl"),
                out_dir / "graph.html": render_html(g, title="edukg").encode("utf-8")}
    with folder_lock(out_dir):
        write_all_atomic(payloads)
    return [out_dir / name for name in OUTPUTS]
