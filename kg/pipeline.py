"""The pipeline: files -> Documents -> mentions -> entities, relations,
metrics -> :class:`~kg.model.Extraction` -> graph -> exports.

Each stage is a plain function of the previous stage's output; this module
only wires them together.
"""
from __future__ import annotations

import os
import pickle
import secrets
import tempfile
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import NamedTuple

import networkx as nx
import numpy as np

from .cache import (CACHE_DIR, RECORD, build_key, entry_bytes, entry_key, entry_path,
                    inputs_digest, last_build, last_documents, load_entry, pipeline_version,
                    record_build, store_entry, store_pickled)
from .clean import clean_text
from .errors import InputError
from .extract.entities import extract_mentions, release_tokenizers, tokenizer_for
from .extract.metrics import attach_entities, extract_metrics
from .columns import Merged, RelationColumns
from .extract.relations import (RelationPool, _agency_names, document_relations,
                                mention_relations, place_relations, recording_reads,
                                relations_of)
from .gazetteer import Division, Gazetteer, load_gazetteer
from .graph import (RELATION_ORDER, GraphRecords, append_json_tail, build_graph,
                    write_graph_json, write_json_head)
from .io import (LARGE_BYTES, PART_CHARS, Handoff, collector_paused, die_with_parent,
                 folder_lock, fork_call, give_back_free_memory, join_call, list_documents,
                 read_document, remove_stale_temporaries, replacing, split_large, stop_call,
                 synced, syncing, write_all_atomic)
from .lexicon import Lexicon, load_lexicon
from .links import PLACES, DocLinks, doc_links
from .meta import read_meta
from .model import Document, Entity, Evidence, Extraction, Mention, Metric, Relation
from .resolve import (DocNames, SentenceIndex, doc_names, entity_id, key, merge_names,
                      merge_names_again, parts_by_type, resolved, with_evidence)
from .relink import (MEMORY_FILE, Change, DocMemo, LinkMemory, doc_rows, eids_digest,
                     entity_forms, rows_of, to_link_again)
from .segment import cut, split_sentences

__all__ = ["prepare", "analyse", "process_file", "link", "extract", "build", "up_to_date",
           "same_content",
           "build_summary", "BuildResult",
           "DocResult", "OUTPUTS"]

#: The files ``kg build`` writes into its output folder.
OUTPUTS = ("graph.json", "graph.ttl", "graph.html")

#: A build of at least this many documents drops the tokenizer (about 140
#: MiB) once the per-document stage is over: the later stages of a large
#: build need the memory more than a next build in the same process needs
#: the tokenizer (built again in about two seconds).
RELEASE_TOKENIZER_AT = 200


@dataclass
class BuildResult:
    #: the documents, entities, relations and metrics; when the build made
    #: the graph, the relations and metrics have moved into it
    #: (:func:`~kg.graph.build_graph` with ``consume``), so a large build
    #: does not hold them twice
    extraction: Extraction
    skipped: list[tuple[str, str]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    #: seconds spent in each stage: documents (reading and the per-document
    #: stage, cache look-ups included), link, graph (when the build made
    #: it), exports
    timings: dict[str, float] = field(default_factory=dict)
    #: the graph, when the build made it (see :attr:`graph`)
    made: nx.MultiDiGraph | None = field(default=None, repr=False)
    #: :meth:`sizes`, when the build counted them
    counted: tuple | None = field(default=None, repr=False)

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The graph of the extraction: a build whose exports were written
        from the extraction itself makes it when first asked (5 s at 16M
        characters)."""
        if self.made is None:
            self.made = build_graph(self.extraction)
        return self.made

    def sizes(self) -> tuple[dict, int]:
        """How many nodes of each kind the graph has (entities by type,
        then ``document`` and ``metric``), and how many edges, without
        making it."""
        if self.counted is not None:
            return self.counted
        if self.made is not None:
            kinds: dict = {}
            for _, a in self.made.nodes(data=True):
                k = a.get("type") if a.get("kind") == "entity" else a.get("kind")
                kinds[k] = kinds.get(k, 0) + 1
            return kinds, self.made.number_of_edges()
        return GraphRecords(self.extraction).sizes()


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


def _agency_keys(entities: dict[str, Entity]) -> dict[str, str]:
    """The comparison form of every Agency name and alias -> the id of the
    first Agency (in table order) bearing it."""
    out: dict[str, str] = {}
    for e in entities.values():
        if e.type == "Agency":
            out.setdefault(key(e.name), e.id)
            for a in e.aliases:
                out.setdefault(key(a), e.id)
    return out


def _publisher_entity(doc: Document, entities: dict[str, Entity],
                      agencies: dict[str, str] | None = None) -> str:
    """The id of the publisher's entity, creating it when the text never
    names it (the name is then known from the header only).  ``agencies``
    is :func:`_agency_keys` of ``entities``, kept up to date here."""
    if not doc.publisher:
        return ""
    if agencies is None:
        agencies = _agency_keys(entities)
    k = key(doc.publisher)
    if k in agencies:
        return agencies[k]
    eid = entity_id("Agency", doc.publisher)
    entities[eid] = Entity(eid, "Agency", doc.publisher, ())
    agencies.setdefault(k, eid)
    return eid


@dataclass(frozen=True)
class DocResult:
    """What the per-document stage learns: the cleaned document, its
    mentions, its metrics (not yet linked to entities), its part of name
    resolution, and where its sentences are (:meth:`SentenceIndex.spans`,
    so link need not split the text again)."""
    doc: Document
    mentions: tuple[Mention, ...]
    metrics: tuple
    names: DocNames
    sentences: Sequence[int]

    def index(self) -> SentenceIndex:
        """The document's :class:`SentenceIndex`."""
        return SentenceIndex.from_spans(self.doc.text, self.sentences)


def analyse(doc: Document, place: Division | None, gaz: Gazetteer, lex: Lexicon) -> DocResult:
    """The per-document stage: the mentions, metrics and part of name
    resolution (:func:`~kg.resolve.doc_names`) of one document."""
    index = SentenceIndex(split_sentences(doc.text))
    mentions = tuple(extract_mentions(doc, lex, gaz, place))
    return DocResult(doc, mentions, tuple(extract_metrics(doc, index)),
                     doc_names(doc, place, list(mentions), gaz), index.spans())


def process_file(path: str, doc_id: str, lexicon_dir: str | None = None) -> DocResult | str:
    """Read and analyse one file: a :class:`DocResult`, or the reason the
    file cannot be read.  A plain top-level function, so worker processes
    and Dask workers can run it."""
    gaz, lex = load_gazetteer(), load_lexicon(lexicon_dir)
    try:
        doc, place = prepare(Path(path), gaz)
    except InputError as exc:
        return str(exc)
    return analyse(replace(doc, doc_id=doc_id), place, gaz, lex)


@dataclass(frozen=True)
class _Linking:
    """What linking one document reads: the resolved entities and the
    tables made from them once for all documents."""
    gaz: Gazetteer
    entities: dict[str, Entity]
    places: dict[str, str]
    types: dict[str, str]


def _link_document(r: DocResult, staged: tuple, publisher: str,
                   ctx: _Linking) -> tuple[list, list]:
    """One document's relations and metrics (with what each is about),
    once the names and publishers of all documents are resolved."""
    doc, place, mentions, index, evidence, eids = staged
    rels = document_relations(doc, place, mentions, eids, ctx.entities, publisher, index,
                              ctx.gaz, ctx.places, evidence)   # (reads place.name too)
    if publisher and place is not None and place.name in ctx.places:
        rels.append(Relation(publisher, "locatedIn", ctx.places[place.name], ()))
    doc_place = ctx.places.get(place.name, "") if place is not None else ""
    metrics = attach_entities(list(r.metrics), mentions, eids, ctx.types, index, doc_place)
    return rels, metrics


#: Fewer documents than this are linked in this process alone: forking
#: costs more than it saves.
PARALLEL_LINK_AT = 64


#: A relation's evidence record is kept in the link columns as its
#: document's number and span, and a code to find it again by: the index
#: of the mention whose record it is, or this for the whole sentence it
#: starts.
_WHOLE = -1


def _codes_of(staged: "_Staged", doc_index: dict[str, int], codes: dict[int, int],
              records: list) -> list[int]:
    """The code of each of a document's relation records (:data:`_WHOLE`):
    ``codes`` holds its mention records' (by ``id``)."""
    found = [codes.get(id(ev)) for ev in records]
    if None not in found:
        return found
    for k, ev in enumerate(records):
        if id(ev) in codes:   # (a mention's, or a sentence met before)
            found[k] = codes[id(ev)]
            continue
        index = staged[doc_index[ev.doc_id]][3]
        s = index.at(ev.start)
        if s is None or s.start != ev.start or ev.end != s.start + len(s.text) \
                or s.text != ev.sentence:
            raise ValueError(f"a relation's record is neither a mention's nor a sentence: {ev}")
        found[k] = codes[id(ev)] = _WHOLE
    return found


def _link_docs(share: list[int], results: list[DocResult], staged: "_Staged",
               publishers: list[str], ctx: _Linking
               ) -> tuple[RelationColumns, list[list[Metric]], list[tuple]]:
    """Link the documents ``share``: each document's relations pooled and
    reduced apart, as columns (:class:`~kg.columns.RelationColumns`, each
    record kept with its code: :func:`_codes_of`), with each document's
    metrics and the names its linking read, sorted (:func:`recording_reads`,
    its publisher's comparison form too; a tuple takes a tenth of a set's
    memory)."""
    metrics, reads = [], []
    codes: dict[int, int] = {}   # the records of the document being put in
    # one string for each name read, however many documents read it (made
    # anew by each lookup, the names held 35 MiB more at the 1-worker
    # build's peak, 16M characters)
    names: dict[str, str] = {}

    def entries():
        with recording_reads() as log:
            for i in share:
                s = staged[i]
                doc = results[i].doc
                log.clear()
                if doc.publisher:
                    log.add(key(doc.publisher))
                rels, found = _link_document(results[i], s, publishers[i], ctx)
                pool = RelationPool()
                pool.add(rels)
                metrics.append(found)
                reads.append(tuple(sorted([names.setdefault(n, n) for n in log])))
                codes.clear()
                codes.update((id(ev), k) for k, ev in enumerate(s[4]))
                yield doc.doc_id, pool.reduced()
    doc_index = {results[i].doc.doc_id: i for i in share}
    columns = RelationColumns()
    columns.put(entries(), codes=partial(_codes_of, staged, doc_index, codes))
    return columns, metrics, reads


_SHARED: tuple | None = None  # what forked linking processes read


def _link_share(share: list[int]) -> tuple[RelationColumns, list[list[tuple]], list[tuple]]:
    """In a forked process: :func:`_link_docs` of ``share``, each metric
    sent back as where it was placed."""
    columns, metrics, reads = _link_docs(share, *_SHARED)
    return columns, [[(m.about, m.place) for m in found] for found in metrics], reads


#: How much of the linking this process takes against each forked one:
#: while they link, this one also stages every document (its sentences and
#: each mention's evidence record), gives the entities their evidence and
#: finds every document's ``mentions``; they pool, reduce and send their
#: columns back, and this one adds them to its own.
HOME_SHARE = 0.85


def _shares(items: list[int], workers: int) -> list[list[int]]:
    """``items`` (documents) dealt to ``workers`` processes, interleaved
    (neighbouring documents are alike in size), this process's share
    weighted by :data:`HOME_SHARE`: share 0 is this process's."""
    weights = [HOME_SHARE] + [1.0] * (workers - 1)
    shares: list[list[int]] = [[] for _ in weights]
    for i in items:
        w = min(range(workers), key=lambda w: (len(shares[w]) + 1) / weights[w])
        shares[w].append(i)
    return shares


class _Staged:
    """What linking reads of each document, made when first asked for
    (by whichever process links the document): ``(doc, place, mentions,
    index, evidence, eids)``, the sentence index and each mention's
    evidence record made from the document's result."""

    def __init__(self, results: list[DocResult], eids: list[list[str]], gaz: Gazetteer) -> None:
        self.results, self.eids, self.gaz = results, eids, gaz
        self._made: list[tuple | None] = [None] * len(results)

    def __len__(self) -> int:
        return len(self._made)

    def __getitem__(self, i: int) -> tuple:
        s = self._made[i]
        if s is None:
            r = self.results[i]
            place = self.gaz.lookup(r.doc.place) if r.doc.place else None
            index = r.index()
            evidence = index.evidence_of(r.doc.doc_id, r.mentions)
            s = self._made[i] = (r.doc, place, list(r.mentions), index, evidence, self.eids[i])
        return s

    def all(self) -> list[tuple]:
        return [self[i] for i in range(len(self))]


@dataclass
class _Linked:
    """What :func:`_link_some` found: the columns of the documents linked
    (each document's relations reduced), their metrics, and the names each
    read, by document (place in the results)."""
    columns: RelationColumns
    metrics: dict[int, list[Metric]]
    reads: dict[int, tuple]


def _link_some(todo: list[int], results: list[DocResult], staged: _Staged,
               publishers: list[str], ctx: _Linking, workers: int, meanwhile=None) -> _Linked:
    """:func:`_link_docs` of the documents ``todo``: with ``workers`` > 1
    and enough of them, a share linked here and the others in forked
    processes, whose columns are added to this one's.  ``meanwhile()``,
    work of this process's own, is done while the forked processes link."""
    global _SHARED
    parallel = workers > 1 and len(todo) >= PARALLEL_LINK_AT and hasattr(os, "fork")
    shares = _shares(todo, workers) if parallel else [todo]
    _SHARED = (results, staged, publishers, ctx)
    forked = []
    try:
        forked = [fork_call(partial(_link_share, share)) for share in shares[1:]]
        columns, found, read = _link_docs(shares[0], results, staged, publishers, ctx)
        linked = _Linked(columns, dict(zip(shares[0], found)), dict(zip(shares[0], read)))
        if meanwhile is not None:
            meanwhile()
        for share, handle in zip(shares[1:], forked):
            theirs, placed, read = join_call(*handle)
            forked = forked[1:]
            columns.extend(theirs)
            for i, where, names in zip(share, placed, read):
                linked.metrics[i] = [m.placed(a, p) for m, (a, p) in
                                     zip(results[i].metrics, where)]
                linked.reads[i] = names
    finally:
        _SHARED = None
        for handle in forked:
            stop_call(*handle)
    return linked


#: How many relations :func:`_relations_from` makes at a time: its
#: numbers are read off the arrays a slice at a time, so that few of them
#: are ever Python ints at once (a million of them held at once, freed
#: between the relations made, left a hundred megabytes behind).
_RELATIONS_AT_ONCE = 1 << 14


def _relations_from(m: Merged, keys: list[tuple], docs: list[str], key_order: np.ndarray,
                    staged: _Staged, doc_index: dict[str, int]) -> list[Relation]:
    """Every relation of a :meth:`RelationColumns.merged` (``keys`` and
    ``docs``: the columns' relations and documents by number;
    ``key_order``: :meth:`RelationColumns.key_order`), sorted by key: each
    record kept found again by its code (a mention's record of the staged
    document, or its whole sentence, made once)."""
    rank = np.empty(len(keys), np.int64)
    rank[key_order] = np.arange(len(keys))
    order = np.argsort(rank[m.rel], kind="stable")
    lows = np.searchsorted(m.kept_rel, m.rel)
    kept_n = np.searchsorted(m.kept_rel, m.rel, side="right") - lows
    stores: list = [None] * len(docs)   # document number -> its mentions' records
    whole: dict[tuple, Evidence] = {}
    out: list[Relation] = []
    add = out.append
    for at in range(0, len(order), _RELATIONS_AT_ONCE):
        js = order[at:at + _RELATIONS_AT_ONCE]
        n_kept = kept_n[js]
        ends = np.cumsum(n_kept)
        where = np.repeat(lows[js] - (ends - n_kept), n_kept) + np.arange(ends[-1] if len(ends)
                                                                          else 0)
        evidence = []
        for d, start, code in zip(m.kept_doc[where].tolist(), m.kept_start[where].tolist(),
                                  m.kept_code[where].tolist()):
            if code >= 0:
                found = stores[d]
                if found is None:
                    found = stores[d] = staged[doc_index[docs[d]]][4]
                evidence.append(found[code])
                continue
            ev = whole.get((d, start))
            if ev is None:
                sent = staged[doc_index[docs[d]]][3].at(start)
                ev = whole[(d, start)] = Evidence(docs[d], sent.start,
                                                  sent.start + len(sent.text), sent.text)
            evidence.append(ev)
        upto = 0
        for r, count, n, sentences, k_n in zip(m.rel[js].tolist(), m.count[js].tolist(),
                                                m.records[js].tolist(),
                                                m.sentences[js].tolist(), n_kept.tolist()):
            k = keys[r]
            weight = (sentences if n > 1 else 1) if k[1] == "coMentioned" else count
            add(Relation(*k, evidence=tuple(evidence[upto:upto + k_n]), weight=weight))
            upto += k_n
    return out


def link(results: list[DocResult], gaz: Gazetteer, workers: int = 1) -> Extraction:
    """Resolve the mentions of all documents into entities, and find the
    relations and the metrics' entities (the per-document part in
    ``workers`` processes).

    Names are merged first, from what the per-document stage found; each
    document is staged (its sentences, its mentions' evidence records) by
    the process that links it, and this process gives the entities their
    records while the forked processes link their share."""
    return link_kept(results, gaz, workers)


def link_kept(results: list[DocResult], gaz: Gazetteer, workers: int = 1,
              keys: list[str] | None = None, before: LinkMemory | None = None,
              keep=None, earlier=None) -> Extraction:
    """:func:`link`, calling ``keep(memory)`` with what the next build may
    keep of it (:class:`~kg.relink.LinkMemory`; ``keys``, each result's
    cache key, goes into it) once it is complete, before the relations are
    made: a caller that saves and drops it frees its columns early.  Given
    the memory of the build ``before`` (taken over: its columns are
    changed), only the documents a change reaches are linked again
    (:func:`~kg.relink.to_link_again`): the others' relations are those
    it holds; and the names are merged again only where a changed
    document's part of resolution changed, against its result before
    (``earlier(cache key)``, the cache's entry): the entity types it
    changed, and in each the groups its nodes reach
    (:meth:`~kg.relink.LinkMemory.kept_names`).  Documents sharing an id
    (which :func:`extract` may be given) are linked as one pool, and
    nothing is kept."""
    doc_ids = [r.doc.doc_id for r in results]
    unique = len(set(doc_ids)) == len(doc_ids)
    names: dict | None = {} if unique and keep is not None else None
    kept = before.kept_names(doc_ids, keys or [""] * len(results), [r.names for r in results],
                             earlier) if before is not None and unique and earlier else None
    entities, eids, publishers, ctx = _context(results, gaz, workers, kept, names)
    staged = _Staged(results, eids, gaz)
    ex = Extraction(documents=[r.doc for r in results])
    found: dict = {}

    def meanwhile() -> None:
        every = staged.all()
        found["entities"] = with_evidence(entities.values(), eids, [s[4] for s in every])
        found["mentions"] = _mention_relations(every)
    if not unique:
        meanwhile()
        relations, metrics = _link_pooled(results, staged, publishers, ctx)
    else:
        keys = keys if keys is not None else [""] * len(results)
        tables = (ctx.places, dict(_agency_names(entities)), _agency_keys(entities),
                  entity_forms(entities))
        todo = list(range(len(results)))
        digests = [eids_digest(e) for e in eids]
        if before is not None:
            todo = to_link_again(before, doc_ids, keys, publishers, eids, tables, digests)
        linked = _link_some(todo, results, staged, publishers, ctx, workers, meanwhile)
        # each entity's checksum, written with the Turtle's index: found in a
        # forked process while this one makes the relations
        printing = _printing(found["entities"]) if keep is not None and workers > 1 else None
        try:
            columns = linked.columns
            token = secrets.token_hex(8)
            if before is not None:
                columns, theirs = before.columns, columns
                again = [doc_ids[i] for i in todo] + list(set(before.docs) - set(doc_ids))
                reached = rows_of(columns, again) | set(theirs.keys)
                places = doc_rows(columns, PLACES)
                columns.take_out(again)
                columns.extend(theirs)
            place_rows = RelationPool()
            place_rows.add(place_relations(entities, gaz))
            columns.put([(PLACES, place_rows.reduced())])
            if before is not None:
                reached.update(row[0] for row in places ^ doc_rows(columns, PLACES))
                ex.change = Change(token, before.token or None, frozenset(again),
                                   frozenset(k[0] for k in reached))
            else:
                ex.change = Change(token)
            memos, metrics = {}, []
            for i, doc_id in enumerate(doc_ids):
                if i in linked.metrics:
                    metrics.append(linked.metrics[i])
                    reads = linked.reads[i]
                    placed = tuple((m.about, m.place) for m in linked.metrics[i])
                else:
                    memo = before.docs[doc_id]
                    reads, placed = memo.reads, memo.placed
                    metrics.append([m.placed(a, p)
                                    for m, (a, p) in zip(results[i].metrics, placed)])
                memos[doc_id] = DocMemo(keys[i], digests[i], publishers[i], reads, placed)
            del linked, before
            key_order = columns.key_order()   # (kept with the memory)
            if keep is not None:
                keep(LinkMemory(columns, memos, tables, token=token, names=names))
            del memos
            merged, numbered = columns.merged(), (columns.keys, columns.docs, key_order)
            del columns   # (what is kept is saved: its rows need not outlive the merge)
            relations = _relations_from(merged, *numbered, staged,
                                        {d: i for i, d in enumerate(doc_ids)})
        except BaseException:
            if printing is not None:
                stop_call(*printing)
            raise
        ex.prints = join_call(*printing) if printing is not None else None
    for r, publisher, found_metrics in zip(results, publishers, metrics):
        ex.publishers[r.doc.doc_id] = publisher
        ex.metrics += found_metrics
    ex.entities = sorted(found["entities"], key=lambda e: e.id)
    # two sorted runs
    ex.relations = sorted(relations + found["mentions"], key=RELATION_ORDER)
    ex.relations_sorted = True
    return ex


def _printing(entities: list[Entity]) -> tuple | None:
    """A forked process finding :func:`~kg.splice.entity_prints` of
    ``entities`` (0.45 s for 50,000), to be joined; None where there is no
    fork."""
    if not hasattr(os, "fork"):
        return None
    return fork_call(partial(_entity_prints_niced, entities))


def _entity_prints_niced(entities: list[Entity]) -> dict:
    """:func:`~kg.splice.entity_prints`, at a lower priority than the
    process making the relations (and the one saving the memory) beside."""
    from .splice import entity_prints
    try:
        os.nice(10)
    except OSError:
        pass
    return entity_prints(entities)


def _link_pooled(results: list[DocResult], staged: _Staged, publishers: list[str],
                 ctx: _Linking) -> tuple[list[Relation], list[list[Metric]]]:
    """Every document's relations in one pool (documents sharing an id
    count their sentences together), and each document's metrics."""
    pool = RelationPool()
    pool.add(place_relations(ctx.entities, ctx.gaz))
    metrics = []
    for i, r in enumerate(results):
        rels, found = _link_document(r, staged[i], publishers[i], ctx)
        pool.add(rels)
        metrics.append(found)
    return relations_of(pool.reduced()), metrics


def _context(results: list[DocResult], gaz: Gazetteer, workers: int = 1, kept=None, merged=None
             ) -> tuple[dict[str, Entity], list[list[str]], list[str], _Linking]:
    """What linking the documents reads: the entities (resolved, and the
    publishers the texts never name), each mention's entity id, each
    document's publisher, and the tables made once for all documents
    (``kept`` and ``merged``: see :func:`_resolve`)."""
    entity_list, eids = _resolve(results, workers, kept, merged)
    entities = {e.id: e for e in entity_list}
    types = {e.id: e.type for e in entities.values()}
    agencies = _agency_keys(entities)
    # every publisher first: no document's relations depend on the order
    publishers = [_publisher_entity(r.doc, entities, agencies) for r in results]
    ctx = _Linking(gaz, entities, types=types,
                   places={e.name: e.id for e in entities.values() if e.type == "Place"})
    return entities, eids, publishers, ctx


def link_parts(results: list[DocResult], gaz: Gazetteer
               ) -> tuple[dict[str, Entity], list[tuple[Document, DocLinks]]]:
    """:func:`link` of the documents as each document's part
    (:class:`~kg.links.DocLinks`, for a :class:`~kg.links.LinkState`),
    with the entities they were linked against.  Each part holds its
    document's reads: the names its linking looked up in the place and
    agency-name tables (:func:`~kg.extract.relations.recording_reads`), and
    the comparison form of its publisher's name, looked up among the
    agencies' (:func:`_publisher_entity`)."""
    entities, eids, publishers, ctx = _context(results, gaz)
    staged = _Staged(results, eids, gaz)
    parts = []
    with recording_reads() as log:
        for i, r in enumerate(results):
            s = staged[i]
            log.clear()
            if r.doc.publisher:
                log.add(key(r.doc.publisher))
            rels, metrics = _link_document(r, s, publishers[i], ctx)
            parts.append((r.doc, doc_links(r.doc.doc_id, publishers[i], rels, metrics, s[5],
                                           s[4], frozenset(log))))
    return entities, parts


#: The entity types whose names a forked process merges while this one
#: merges the others' (:func:`~kg.resolve.merge_names`): about half the
#: work each on the benchmark's corpus, where Initiatives are half the
#: mentions but quicker to merge than Schools and Programmes.
FORKED_TYPES = frozenset({"School", "Programme"})


def _resolve(results: list[DocResult], workers: int, kept: dict | None = None,
             merged: dict | None = None) -> tuple[list[Entity], list[list[str]]]:
    """:func:`~kg.resolve.resolve` of the documents, with ``workers`` > 1
    the names of :data:`FORKED_TYPES` merged in a forked process.  The
    names ``kept`` (:meth:`~kg.relink.LinkMemory.kept_names`) are taken as
    merged there, each type a change reaches merged again here where it
    reaches (:func:`~kg.resolve.merge_names_again`); ``merged``, when
    given, receives every type's (:func:`~kg.resolve.parts_by_type`)."""
    docs = [(r.doc, r.names) for r in results]
    if kept is not None:
        parts = list(kept.kept().values())
        parts += [merge_names_again(docs, kept.before[t], nodes)
                  for t, nodes in sorted(kept.touched.items())]
    elif workers <= 1 or len(results) < PARALLEL_LINK_AT or not hasattr(os, "fork"):
        parts = [merge_names(docs)]
    else:
        handle = fork_call(partial(merge_names, docs, FORKED_TYPES))
        try:
            here = merge_names(docs, FORKED_TYPES, other=True)
        except BaseException:
            stop_call(*handle)
            raise
        parts = [here, join_call(*handle)]
    if merged is not None:
        merged.update(parts_by_type(parts))
    return resolved(docs, parts)


def _mention_relations(staged: list[tuple]) -> list[Relation]:
    """Every document's ``mentions`` (:func:`mention_relations`), sorted
    (documents sharing an id, which :func:`extract` may be given, as one)."""
    mentions: list[Relation] = []
    for doc_id, group in groupby(sorted(staged, key=_staged_doc_id), _staged_doc_id):
        group = list(group)
        mentions += mention_relations(doc_id, [e for *_, ids in group for e in ids],
                                      [e for *_, ev, _ in group for e in ev])
    return mentions


def _staged_doc_id(staged: tuple) -> str:
    return staged[0].doc_id


def extract(docs: list[tuple[Document, Division | None]], gaz: Gazetteer,
            lex: Lexicon) -> Extraction:
    """Entities, relations and metrics of prepared documents."""
    return link([analyse(doc, place, gaz, lex) for doc, place in docs], gaz)


def _doc_ids(files: list[Path]) -> list[str]:
    """File stems, made unique in file order (a second 'a.txt' is 'a~1')."""
    seen: dict[str, int] = {}
    out = []
    for f in files:
        n = seen.get(f.stem, 0)
        seen[f.stem] = n + 1
        out.append(f"{f.stem}~{n}" if n else f.stem)
    return out


def _split_large_files(files: list[Path], parts_dir: Path, large_bytes: int,
                       part_chars: int, skipped: list) -> list[Path]:
    """Replace each large .txt file by the parts :func:`split_large` streams
    it into, so no worker holds more than a part in memory."""
    out = []
    for f in files:
        try:
            big = f.suffix.lower() in (".txt", ".text") and f.stat().st_size > large_bytes
        except OSError:
            big = False
        if not big:
            out.append(f)
            continue
        try:
            out.extend(split_large(f, parts_dir / f.stem, part_chars))
        except InputError as exc:
            skipped.append((str(f), str(exc)))
    return out


def _process_cached(path: str, doc_id: str, lexicon_dir: str | None,
                    cache_dir: str | None, cache_key: str | None) -> DocResult | str:
    """:func:`process_file`, storing a good result in the cache where it
    was made."""
    r = process_file(path, doc_id, lexicon_dir)
    if cache_dir and cache_key and isinstance(r, DocResult):
        store_entry(Path(cache_dir), cache_key, r)
    return r


def _process_pickled(path: str, doc_id: str, lexicon_dir: str | None,
                     cache_dir: str | None, cache_key: str | None) -> bytes | str:
    """:func:`_process_cached` in a worker process: a good result comes
    back as the pickle stored in the cache (made once, for both, while the
    other workers run; the pool's own pickling of bytes is a copy)."""
    r = process_file(path, doc_id, lexicon_dir)
    if not isinstance(r, DocResult):
        return r
    data = entry_bytes(r)
    if cache_dir and cache_key:
        store_pickled(Path(cache_dir), cache_key, data)
    return data


def _run(todo: list[tuple[str, str, str | None]], lexicon_dir, workers: int,
         scheduler: str | None, progress, cache_dir: Path | None = None) -> list[DocResult | str]:
    """Run :func:`process_file` over ``todo`` (path, document id, cache
    key) in order: in this process, in worker processes, or on a Dask
    cluster; results are stored in ``cache_dir`` under their keys."""
    cache = str(cache_dir) if cache_dir is not None else None
    if not todo:
        return []
    if scheduler:
        try:
            from dask.distributed import Client
        except ImportError:
            raise InputError("--scheduler needs Dask: pip install 'edukg[cluster]'") from None
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with client:
            futures = client.map(process_file, [p for p, _, _ in todo], [d for _, d, _ in todo],
                                 [lexicon_dir] * len(todo), pure=False)
            out = client.gather(futures)
        for (_, _, k), r in zip(todo, out):  # the cluster's disks may not be ours
            if cache and k and isinstance(r, DocResult):
                store_entry(cache_dir, k, r)
        if progress:
            progress(len(todo))
        return out
    if workers <= 1 or len(todo) == 1:
        out = []
        for path, doc_id, k in todo:
            out.append(_process_cached(path, doc_id, lexicon_dir, cache, k))
            if progress:
                progress(1)
        return out
    return _run_here_and_forked(todo, lexicon_dir, workers, progress, cache)


def _run_here_and_forked(todo: list[tuple[str, str, str | None]], lexicon_dir, workers: int,
                         progress, cache: str | None) -> list[DocResult | str]:
    """:func:`_run` with ``workers`` processes, this one among them: the
    ``workers - 1`` forked ones take chunks of documents from the start of
    ``todo``, this one takes documents one by one from its end, until they
    meet.  A result made here is neither pickled nor loaded (about 4 ms a
    document, a thirteenth of its making), and no third process competes
    for the cores.  The chunks shrink as the documents left do, so that neither
    side waits long for the other at the end."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    warm = load_gazetteer(), load_lexicon(lexicon_dir)
    # built once here, with its jieba-rs copy, shared with the forked workers
    cut(tokenizer_for(*warm).tokenizer, "")
    ctx = multiprocessing.get_context("fork")
    forked = workers - 1
    out: list = [None] * len(todo)
    running: dict = {}           # chunk's future -> its first document
    start, end = 0, len(todo)    # todo[start:end]: no one's yet

    def collect(block: bool) -> None:
        done = wait(running, return_when=FIRST_COMPLETED).done if block \
            else [f for f in running if f.done()]
        for f in done:
            first = running.pop(f)
            results = f.result()
            for i, r in enumerate(results, first):
                out[i] = pickle.loads(r) if type(r) is bytes else r
            if progress:
                progress(len(results))

    with ProcessPoolExecutor(max_workers=forked, mp_context=ctx, initializer=die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        while start < end:
            # each forked process busy, and one chunk more waiting for each
            while len(running) < 2 * forked and start < end:
                size = max(1, min(16, (end - start) // (workers * 8)))
                running[pool.submit(_process_chunk, todo[start:start + size], lexicon_dir,
                                    cache)] = start
                start += size
            if start < end:
                end -= 1
                path, doc_id, k = todo[end]
                out[end] = _process_cached(path, doc_id, lexicon_dir, cache, k)
                if progress:
                    progress(1)
            collect(block=False)
        while running:
            collect(block=True)
    return out


def _process_chunk(items: list[tuple[str, str, str | None]], lexicon_dir: str | None,
                   cache: str | None) -> list[bytes | str]:
    """:func:`_process_pickled` of each ``(path, document id, cache key)``."""
    return [_process_pickled(path, doc_id, lexicon_dir, cache, k) for path, doc_id, k in items]


def build(paths, out_dir: Path | None = None, lexicon_dir: str | None = None,
          strict: bool = False, progress=None, workers: int = 1,
          scheduler: str | None = None, cache: bool = True,
          large_bytes: int = LARGE_BYTES, part_chars: int = PART_CHARS,
          preloaded: dict | None = None) -> BuildResult:
    """Build the graph of the documents under ``paths``; when ``out_dir``
    is given, write ``graph.json``, ``graph.ttl`` and ``graph.html`` there
    (from the extraction: the result's graph is then made when first
    asked for).

    The per-document stage runs in ``workers`` processes, or on the Dask
    cluster at ``scheduler``; its results are cached under
    ``out_dir/.cache`` (keyed by content and pipeline version), so a
    rebuild only re-reads what changed.  Unreadable files are skipped and
    reported in ``BuildResult.skipped`` (with ``strict`` the first one
    raises :class:`InputError`).  ``progress(n)`` is called as files are
    done.  ``preloaded`` (cache key -> entry: what :func:`same_content`
    loaded) is taken instead of the cache's own entries, and emptied."""
    with collector_paused(), _parts_folder(out_dir) as parts_dir:
        return _build(paths, out_dir, lexicon_dir, strict, progress, workers, scheduler, cache,
                      large_bytes, part_chars, parts_dir, preloaded)


@contextmanager
def _parts_folder(out_dir):
    """Where large files' parts go: ``out_dir/.parts`` (kept, so that a
    rebuild finds the cached parts), or a temporary folder removed when a
    build without an output folder ends."""
    if out_dir is not None:
        yield Path(out_dir) / ".parts"
        return
    with tempfile.TemporaryDirectory(prefix="edukg-parts-") as tmp:
        yield Path(tmp)


def _build(paths, out_dir, lexicon_dir, strict, progress, workers, scheduler, cache,
           large_bytes, part_chars, parts_dir, preloaded=None) -> BuildResult:
    timings: dict[str, float] = {}
    since = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal since
        now = time.perf_counter()
        timings[stage] = round(now - since, 3)
        since = now

    gaz = load_gazetteer()
    load_lexicon(lexicon_dir)
    listing = list_documents(paths, exclude=[out_dir] if out_dir is not None else [])
    if strict and listing.problems:
        raise InputError(listing.problems[0][1])
    files = listing.files
    if not files:
        reasons = "; ".join(r for _, r in listing.problems)
        raise InputError("no .txt or .html documents found in " + ", ".join(map(str, paths))
                         + (f" ({reasons})" if reasons else ""))
    skipped = list(listing.problems)
    digest = _digest(listing, lexicon_dir, large_bytes, part_chars) \
        if cache and out_dir is not None else None
    files = _split_large_files(files, parts_dir, large_bytes, part_chars, skipped)
    if strict and skipped:
        raise InputError(skipped[0][1])
    ids = _doc_ids(files)
    cache_dir = Path(out_dir) / CACHE_DIR if (cache and out_dir is not None) else None
    keys = _entry_keys(files, ids, lexicon_dir) if cache_dir else [None] * len(files)
    results: list[DocResult | str | None] = [None] * len(files)
    todo = []
    early, making = _made_early(files, ids, keys, cache_dir, lexicon_dir,
                                1 if scheduler else workers)
    try:
        _load_hits(files, ids, keys, cache_dir, results, todo, set(early), progress, preloaded)
        if preloaded:
            preloaded.clear()   # (entries of files that changed since: not held)
        if making is not None:
            made, making = _made(making), None
            for i, r in zip(early, made):
                results[i] = r
            if progress:
                progress(len(early))
    finally:
        if making is not None:
            stop_call(*making)
    done = _run([(p, d, keys[i]) for i, p, d in todo], lexicon_dir, workers, scheduler, progress,
                cache_dir)
    for (i, _, _), r in zip(todo, done):
        results[i] = r
    good, read = [], []
    for f, r, k in zip(files, results, keys):
        if isinstance(r, DocResult):
            good.append(r)
            read.append((r.doc.doc_id, k or "", r.doc.path))
        else:
            if strict:
                raise InputError(r)
            skipped.append((str(f), r))
    if not good:
        raise InputError("no document could be read: " + "; ".join(r for _, r in skipped))
    del results, done   # the mentions are needed by link only
    if len(files) >= RELEASE_TOKENIZER_AT:
        release_tokenizers()
    give_back_free_memory()
    lap("documents")
    build_id = _build_key(lexicon_dir, large_bytes, part_chars)
    saving: list = []
    keep = partial(_keep_memory, cache_dir, build_id, workers > 1 and not scheduler, saving) \
        if cache_dir is not None else None
    try:
        ex = link_kept(good, gaz, workers=1 if scheduler else workers,
                       keys=[k for _, k, _ in read], before=_link_memory(cache_dir, build_id),
                       keep=keep, earlier=partial(_earlier, cache_dir) if cache_dir else None)
    except BaseException:
        for handle in saving:
            stop_call(*handle)
        raise
    for handle in saving:
        join_call(*handle)
    del good
    give_back_free_memory()
    lap("link")
    jobs = 1 if scheduler else workers
    recorded = None
    if digest is not None:   # once the outputs are replaced, under the folder's lock
        recorded = partial(record_build, out_dir, OUTPUTS, digest, build_summary(ex),
                           list(skipped), read, _build_key(lexicon_dir, large_bytes, part_chars))
    if out_dir is not None:
        records, written = _outputs_of(ex, Path(out_dir), jobs, recorded, cache_dir, build_id)
        lap("exports")
        return BuildResult(ex, skipped, written, timings=timings, counted=records.sizes())
    g = build_graph(ex, consume=True)
    lap("graph")
    return BuildResult(ex, skipped, timings=timings, made=g)


#: At most this many documents missing from the cache (a rebuild's) are
#: made in a forked process while this one loads the others from it: the
#: making of one takes 0.9 s (0.5 s of it the tokenizer made), loading a
#: thousand 1.4 s.
EARLY_AT = 16


def _made_early(files: list[Path], ids: list[str], keys: list[str | None],
                cache_dir: Path | None, lexicon_dir, workers: int) -> tuple[list[int], tuple | None]:
    """With ``workers`` > 1, a cache holding some of the documents and at
    most :data:`EARLY_AT` missing: the missing ones' places, and the
    forked process making them (:func:`_making`); else nothing and None."""
    if cache_dir is None or workers <= 1:
        return [], None
    missing = [i for i, k in enumerate(keys) if k is not None
               and not entry_path(cache_dir, k).is_file()]
    if not _made_beside(len(missing), len(files), workers):
        return [], None
    return missing, _making([(str(files[i]), ids[i], keys[i]) for i in missing], lexicon_dir,
                            cache_dir)


def _made_beside(missing: int, total: int, workers: int) -> bool:
    """Whether ``missing`` documents of ``total`` are made in a forked
    process while this one loads the others: a few (:data:`EARLY_AT`),
    with others to load and ``workers`` > 1."""
    return workers > 1 and 0 < missing <= EARLY_AT and missing < total and hasattr(os, "fork")


def _making(items: list[tuple[str, str, str | None]], lexicon_dir, cache_dir: Path) -> tuple:
    """A forked process making the documents ``items`` (path, id, cache
    key: :func:`_process_chunk`, each stored in the cache); its results
    come back, pickled, from :func:`_made`."""
    return fork_call(partial(_process_chunk, items, lexicon_dir, str(cache_dir)))


def _made(handle: tuple) -> list:
    """The results of a :func:`_making` process."""
    return [pickle.loads(r) if type(r) is bytes else r for r in join_call(*handle)]


def _load_hits(files: list[Path], ids: list[str], keys: list[str | None],
               cache_dir: Path | None, results: list, todo: list, early: set,
               progress, preloaded: dict | None = None) -> None:
    """Each document's result from the cache into ``results`` (taken out
    of ``preloaded``, cache key -> entry, when it is there); ``(place,
    path, id)`` of those it does not hold appended to ``todo`` (but those
    of ``early``, being made)."""
    preloaded = preloaded if preloaded is not None else {}
    for i, (f, doc_id) in enumerate(zip(files, ids)):
        if i in early:
            continue
        if cache_dir is not None:
            hit = preloaded.pop(keys[i], None) if keys[i] else None
            if hit is None and keys[i]:
                hit = load_entry(cache_dir, keys[i])
            if isinstance(hit, DocResult) and hit.doc.path == str(f):
                results[i] = hit
                if progress:
                    progress(1)
                continue
        todo.append((i, str(f), doc_id))


def _earlier(cache_dir: Path, key: str) -> DocResult | None:
    """The cache's result under ``key``, if it holds one."""
    hit = load_entry(cache_dir, key)
    return hit if isinstance(hit, DocResult) else None


def _keep_memory(cache_dir: Path, build_id: str, forked: bool, saving: list,
                 memory: LinkMemory) -> None:
    """Save what a build keeps of its linking into ``cache_dir``; with
    ``forked``, in a forked process (its handle onto ``saving``, to be
    joined), while this one makes the relations."""
    memory.build = build_id
    cache_dir.mkdir(parents=True, exist_ok=True)
    save = partial(memory.save, cache_dir / MEMORY_FILE)
    if forked and hasattr(os, "fork"):
        saving.append(fork_call(save))
    else:
        save()


def _link_memory(cache_dir: Path | None, build_id: str) -> LinkMemory | None:
    """What the last build into this cache kept of its linking, if it was
    a build with these settings (:class:`~kg.relink.LinkMemory`)."""
    if cache_dir is None or not (cache_dir / MEMORY_FILE).is_file():
        return None
    memory = LinkMemory.load(cache_dir / MEMORY_FILE)
    return memory if memory is not None and memory.build == build_id else None


def _entry_keys(files: list[Path], ids: list[str], lexicon_dir) -> list[str | None]:
    """The cache key of each file (None for a file that cannot be read)."""
    version = pipeline_version(lexicon_dir)
    keys: list[str | None] = []
    for f, doc_id in zip(files, ids):
        try:
            keys.append(entry_key(doc_id, f.read_bytes(), version))
        except OSError:
            keys.append(None)
    return keys


def _settings(large_bytes: int, part_chars: int) -> str:
    return f"large={large_bytes};part={part_chars}"


def _digest(listing, lexicon_dir, large_bytes: int, part_chars: int) -> str:
    """:func:`~kg.cache.inputs_digest` of a build of the documents of ``listing``."""
    return inputs_digest(listing.files, listing.problems, pipeline_version(lexicon_dir),
                         _settings(large_bytes, part_chars))


def _build_key(lexicon_dir, large_bytes: int, part_chars: int) -> str:
    """:func:`~kg.cache.build_key` of a build with these settings."""
    return build_key(pipeline_version(lexicon_dir), _settings(large_bytes, part_chars))


def build_summary(ex: Extraction) -> dict:
    """The counts a build reports: documents, entities by type, metrics."""
    types: dict[str, int] = {}
    for e in ex.entities:
        types[e.type] = types.get(e.type, 0) + 1
    return {"documents": len(ex.documents), "entities": dict(sorted(types.items())),
            "metrics": len({m.id for m in ex.metrics})}


def up_to_date(paths, out_dir: Path, lexicon_dir: str | None = None,
               large_bytes: int = LARGE_BYTES, part_chars: int = PART_CHARS) -> dict | None:
    """What the last build into ``out_dir`` recorded (``summary``:
    :func:`build_summary`; ``skipped``: the files it skipped, with why),
    when a build of ``paths`` now would write the same outputs: the same
    document files with the same bytes, the same pipeline and lexicon, the
    same libraries, and its outputs still as it left them.  None otherwise,
    or when the folder holds no record (builds without the cache keep none)."""
    if not (Path(out_dir) / CACHE_DIR / RECORD).is_file():
        return None   # (before reading every document)
    listing = list_documents(paths, exclude=[out_dir])
    if not listing.files:
        return None
    return last_build(Path(out_dir), OUTPUTS,
                      _digest(listing, lexicon_dir, large_bytes, part_chars))


def same_content(paths, out_dir: Path, lexicon_dir: str | None = None, workers: int = 1,
                 scheduler: str | None = None, strict: bool = False,
                 large_bytes: int = LARGE_BYTES, part_chars: int = PART_CHARS,
                 preload: dict | None = None) -> dict | None:
    """When document files changed since the last build into ``out_dir``,
    but what is read from them did not (an HTML page whose menus, scripts or
    counters changed around the same text, a file saved again in another
    encoding), its outputs are those a build would write: then record the
    files as built and return what that build recorded (``summary``:
    :func:`build_summary`), with the files skipped now (``skipped``) and how
    many files were read again (``changed``).  None when a build would
    write other outputs, or cannot be compared: no record (a build without
    the cache keeps none), another pipeline, lexicon or library, outputs
    changed since, a document added, removed, moved or read differently.

    The changed files are read as a build reads them (in ``workers``
    processes, or on the cluster at ``scheduler``) and cached, so a build
    that follows finds them done.  Given ``preload``, a dictionary, and
    ``workers`` > 1, a few changed files (:data:`EARLY_AT`) are read by a
    forked process while this one loads the others' entries into it
    (cache key -> entry), for the build that follows when the text
    changed (:func:`build`'s ``preloaded``)."""
    out_dir = Path(out_dir)
    key = _build_key(lexicon_dir, large_bytes, part_chars)
    last = last_documents(out_dir, OUTPUTS, key)
    if last is None:
        return None
    listing = list_documents(paths, exclude=[out_dir])
    skipped = list(listing.problems)
    if not listing.files or (strict and skipped):
        return None
    before = {d: (k, path) for d, k, path in last["documents"]}
    with collector_paused():
        files = _split_large_files(listing.files, out_dir / ".parts", large_bytes, part_chars,
                                   skipped)
        ids = _doc_ids(files)
        if [d for d in ids if d in before] != [d for d, _, _ in last["documents"]]:
            return None   # a document removed, or the order changed
        keys = _entry_keys(files, ids, lexicon_dir)
        todo = [(i, str(f), d) for i, (f, d, k) in enumerate(zip(files, ids, keys))
                if k is None or before.get(d) != (k, str(f))]
        cache_dir = out_dir / CACHE_DIR
        # (before reading: a file moved keeps its key, and its entry is replaced)
        was = {d: load_entry(cache_dir, before[d][0]) for _, _, d in todo if d in before}
        items = [(p, d, keys[i]) for i, p, d in todo]
        if preload is not None and not scheduler and _made_beside(len(todo), len(files), workers):
            making = _making(items, lexicon_dir, cache_dir)
            try:
                changed = {i for i, _, _ in todo}
                for i, k in enumerate(keys):
                    if k is not None and i not in changed:
                        entry = load_entry(cache_dir, k)
                        if isinstance(entry, DocResult):
                            preload[k] = entry
                done = _made(making)
            except BaseException:
                stop_call(*making)
                raise
        else:
            done = _run(items, lexicon_dir, workers, scheduler, None, cache_dir)
    results = dict(zip((i for i, _, _ in todo), done))
    for (i, f, d), r in zip(todo, done):
        if isinstance(r, DocResult):
            if d not in was or not _read_alike(was[d], r):
                return None
        elif d in before:
            return None   # read last time, skipped now
        elif strict:
            return None
        else:
            skipped.append((f, r))
    read = [(d, k or "", str(f)) for i, (f, d, k) in enumerate(zip(files, ids, keys))
            if not isinstance(results.get(i), str)]   # (unchanged files are not in results)
    with folder_lock(out_dir):
        if last_documents(out_dir, OUTPUTS, key) != last:
            return None   # another build came in between
        record_build(out_dir, OUTPUTS, _digest(listing, lexicon_dir, large_bytes, part_chars),
                     last["summary"], skipped, read, key)
    return {"summary": last["summary"], "skipped": skipped, "changed": len(todo)}


def _read_alike(old, new: DocResult) -> bool:
    """Whether ``old`` (a cache entry) is what was read of ``new``'s
    document, but for the file's encoding, which no output holds."""
    return isinstance(old, DocResult) \
        and old == replace(new, doc=replace(new.doc, encoding=old.doc.encoding))


class _Writers(NamedTuple):
    """The writers of graph.ttl, graph.json and graph.html, each
    ``write(records, tmp)``, and whether the first two splice
    (:func:`_kept_writers`)."""
    turtle: object
    data: object
    page: object
    splicing: bool


def _kept_writers(ex: Extraction, out_dir: Path, cache_dir: Path | None,
                  build: str) -> _Writers:
    """The writers of the Turtle, graph.json and the page: without a cache,
    each file written whole; with one, each indexed there, the first two
    spliced from the file in ``out_dir`` when its index and what the
    linking changed allow (:func:`~kg.splice.write_turtle_kept`,
    :func:`~kg.jsonsplice.write_json_kept`), the page kept when the part
    it draws is as it was (:func:`~kg.pagekeep.write_page_kept`).  What
    the change reached (:func:`~kg.splice.reach`) is found once, by the
    first to need it, in the process that writes."""
    from .jsonsplice import JSON_INDEX_FILE, kept_json_index, write_json_kept
    from .pagekeep import PAGE_INDEX_FILE, write_page_kept
    from .rdf import stream_rdf
    from .splice import INDEX_FILE, kept_index, reach, write_turtle_kept
    from .viz import stream_records_html
    if cache_dir is None:
        return _Writers(partial(stream_rdf, fmt="ttl"), write_graph_json,
                        partial(stream_records_html, title="edukg"), False)
    cache_dir.mkdir(parents=True, exist_ok=True)
    ttl, data = out_dir / "graph.ttl", out_dir / "graph.json"
    ttl_index, data_index = cache_dir / INDEX_FILE, cache_dir / JSON_INDEX_FILE
    before = kept_index(ttl_index, ttl, ex.change, build)
    before_data = kept_json_index(data_index, data, ex.change, build) \
        if before is not None else None
    found: dict = {}

    def reached(records: GraphRecords):
        if before is None:
            return None
        if "reach" not in found:   # (once in each process that writes)
            found["reach"] = reach(records, ex.change, before)
        return found["reach"]

    def turtle(records: GraphRecords, tmp: Path) -> str:
        return write_turtle_kept(records, tmp, ttl, ttl_index, ex.change, build, before,
                                 reached(records))

    def graph_data(records: GraphRecords, tmp: Path) -> str:
        kept = reached(records) if before_data is not None else None
        return write_json_kept(records, tmp, data, data_index, ex.change, build, before_data,
                               kept and kept[1:])

    def page(records: GraphRecords, tmp: Path) -> str:
        return write_page_kept(records, tmp, out_dir / "graph.html", cache_dir / PAGE_INDEX_FILE,
                               build, "edukg", ex.change,
                               partial(reached, records) if before is not None else None)
    return _Writers(turtle, graph_data, page, before is not None)


def _payloads(records: GraphRecords, writers: _Writers | None = None) -> dict:
    """The writers of :data:`OUTPUTS` for :func:`write_all_atomic`, by file
    name, each writing from ``records`` (``writers``: of
    :func:`_kept_writers`, each file written whole by default)."""
    if writers is None:
        writers = _kept_writers(records.ex, Path("."), None, "")
    # the page before graph.json: its data, the larger, is made while the
    # heap is least fragmented (the main process of a 2-worker build of 16M
    # characters peaked at 1,039 MiB the other way round, 1,010 MiB this way)
    return {"graph.ttl": lambda tmp: writers.turtle(records, tmp),
            "graph.html": lambda tmp: writers.page(records, tmp),
            "graph.json": lambda tmp: writers.data(records, tmp)}


def _write_payloads(out_dir: Path, payloads: dict, jobs: int, then=None) -> list[Path]:
    """Write :func:`_payloads` into ``out_dir``, replacing the three files
    together under the folder's lock (the first ``jobs - 1`` forked), then
    call ``then()`` still under it."""
    with folder_lock(out_dir):
        remove_stale_temporaries(out_dir, OUTPUTS)
        write_all_atomic({out_dir / name: fn for name, fn in payloads.items()}, jobs=jobs)
        if then is not None:
            then()
    return [out_dir / name for name in OUTPUTS]


#: The share of graph.json's nodes (the first, in their order) that the
#: main process of a 2-process export writes after the edges, before the
#: page; the forked process writes the others after the Turtle.  At 16M
#: characters, each alone: the edges 5.2 s, the page 7.2 s, the Turtle
#: 13.1 s, the nodes 3.8 s, of which the first 30 % (agencies, documents:
#: more records than the metrics at the end) take 2.2 s; side by side
#: each process is slower.  With 45 %, this one ended 3 s before the
#: other (a traced 2-worker build of the 1,000 documents: the head 9.0 s
#: and the page 8.4 s here, the Turtle 17.9 s and the tail 2.6 s there;
#: exports 21.2 s); with 75 %, 0.7 s before (19.4 s); with 85 %, both
#: ended together (18.4 s).
LEAD_NODES = 0.85


def _outputs_of(ex: Extraction, out_dir: Path, jobs: int, then=None,
                cache_dir: Path | None = None, build: str = ""):
    """Write graph.json, graph.ttl and graph.html of the graph of ``ex``
    into ``out_dir``, each streamed to a temporary file, then replace the
    three together under the folder's lock.  They are written from the
    extraction itself (:class:`~kg.graph.GraphRecords`: the same bytes,
    without making the graph, 5 s and a third of a gigabyte at 16M
    characters); returns the records, and the files written.  With
    ``cache_dir``, the Turtle and graph.json are indexed there and spliced
    where they can be, and the page kept when the part it draws is as it
    was (:func:`_kept_writers`).

    With two processes and no cache, a forked process writes the Turtle,
    then the second part of graph.json's nodes; this one writes
    graph.json's first part (the edges, and the first nodes:
    :data:`LEAD_NODES`) and hands the numbering of the sentences it cited
    to the forked process, then writes the page (:func:`_split_outputs`).
    With the cache, each file is written by one process: the forked one
    writes the Turtle (and in a rebuild the page after it), this one
    graph.json (and in a full build the page after it:
    :func:`_kept_outputs`).
    With one process, or three and more, each file is written whole by
    one.  ``then()`` is called once the files are replaced, under the
    folder's lock."""
    records = GraphRecords(ex)
    writers = _kept_writers(ex, out_dir, cache_dir, build)
    if jobs != 2 or not hasattr(os, "fork"):
        return records, _write_payloads(out_dir, _payloads(records, writers), jobs, then)
    paths = {name: out_dir / name for name in OUTPUTS}
    with folder_lock(out_dir):
        remove_stale_temporaries(out_dir, OUTPUTS)
        with replacing(paths.values()) as tmp:
            ttl, data, page = (tmp[paths[name]] for name in ("graph.ttl", "graph.json",
                                                             "graph.html"))
            if cache_dir is not None:
                _kept_outputs(ex, writers, ttl, data, page, records)
            else:
                _split_outputs(ex, writers.turtle, ttl, page, records, data)
        if then is not None:
            then()
    return records, [out_dir / name for name in OUTPUTS]


def _kept_outputs(ex: Extraction, writers: _Writers, ttl: Path, data: Path, page: Path,
                  records: GraphRecords) -> None:
    """The two processes of :func:`_outputs_of` with the cache: a forked
    process writes the Turtle, this one graph.json; the page is written
    after graph.json when they are written whole (8 s against the Turtle's
    13 s at 16M characters), after the Turtle when they are spliced (most
    often kept, in about 1.3 s, while graph.json's splice takes 1.5 s and
    the Turtle's 1.2 s: both processes find what the change reached; this
    one counts the graph for the page's summary and hands the counts
    over)."""
    counts = Handoff(page) if writers.splicing else None

    def forked() -> None:   # (reading this process's records, as they were at the fork)
        writers.turtle(records, ttl)
        turtle_synced = syncing(ttl)
        if writers.splicing:
            records.have_counts(counts.receive())   # (the page's summary: counted there)
            synced(partial(writers.page, records), page)
        turtle_synced()

    def here():
        if writers.splicing:   # (0.35 s, while the other process splices the Turtle)
            counts.send(records.counts())
        writers.data(records, data)
        data_synced = syncing(data)
        if writers.splicing:
            return data_synced
        writers.page(records, page)
        page_synced = syncing(page)
        return lambda: (data_synced(), page_synced())
    try:
        _beside(forked, here)
    finally:
        if counts is not None:
            counts.discard()


def _beside(forked, here) -> None:
    """``forked()`` in a forked process while ``here()`` runs in this one
    (it returns the wait for its file's sync); then joined, the forked
    process stopped if either fails."""
    fork = fork_call(forked)
    try:
        wait = here()
        try:
            join_call(*fork)
        finally:
            wait()
    except BaseException:
        stop_call(*fork)
        raise


def _split_outputs(ex: Extraction, turtle, ttl: Path, page: Path, records: GraphRecords,
                   data: Path) -> None:
    """The two processes of :func:`_outputs_of` without the cache: see
    there."""
    from .viz import stream_records_html
    handoff = Handoff(data)

    def here():
        lead = int(len(records) * LEAD_NODES)
        handoff.send((write_json_head(records, data, lead), lead))
        stream_records_html(records, page, title="edukg")
        return syncing(page)
    try:   # (the forked process reads its own copy of the extraction)
        _beside(partial(_records_outputs, ex, ttl, data, handoff, turtle), here)
    finally:
        handoff.discard()


def _records_outputs(ex: Extraction, ttl: Path, data: Path, handoff: Handoff,
                     turtle) -> None:
    """The forked half of :func:`_outputs_of`: the Turtle of the
    extraction at ``ttl``, then, once the other process has written the
    head of graph.json at ``data`` and handed over its sentences, the
    nodes appended to it (``turtle``: the Turtle's writer)."""
    records = GraphRecords(ex)
    turtle(records, ttl)
    wait = syncing(ttl)   # the disk takes the Turtle while the nodes are written
    sentences, lead = handoff.receive()
    synced(lambda path: append_json_tail(records.nodes(lead), sentences, path, first=not lead),
           data)
    wait()
