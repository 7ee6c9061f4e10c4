"""Relations between entities, with their evidence.

* ``publishedBy``: the document -> its publisher (from the metadata);
* ``locatedIn``: Agency/School/Event -> the place its name starts with (the
  inner one of 长沙市岳麓区…; a School named after the province holding the
  document's place: that place), a local School or Agency without one ->
  the document's place, and an Event a summary reports as held (not a
  national one of the lexicon) -> the document's place;
* ``partOf``: Place -> its containing division, from the gazetteer; a town
  (镇, 乡, 街道) -> the county named right before it, else the county whose
  document names it;
* ``issuedBy``: Programme -> the Agencies named right before its title
  (落实教育部、财政部《…》), else the Agency that the sentence names before
  an issuing cue (印发, 出台, 制定 …, with those listed right before it),
  else the publisher; a Programme whose title starts with an agency's
  name -> that agency;
* ``implements``: Agency -> Initiative or Programme: the agencies named
  right before an implementing cue in the clause (实施, 推进, 开展 …; joint
  agencies too: 联合, 会同), else the publisher;
* ``participatesIn``: School, Place or Agency -> Initiative, before a cue
  such as 入选, 创成, 获评, 列入;
* ``collaboratesWith``: Agency -> Agency joined by 联合, 会同, 携手;
* ``pairedWith``: School, Place or Agency -> another, joined by 结对,
  帮扶, 对口支援;
* ``componentOf``: Initiative -> the Programme that sets it out
  (《X》提出的Y, 《X》中的Y);
* ``mentions``: document -> every entity it names (:func:`mention_relations`);
* ``coMentioned``: entities named in one sentence, weighted by the number of
  sentences.

Cue words are data (``kg/data/cues.tsv``).
"""
from __future__ import annotations

import re
from collections import defaultdict
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from itertools import combinations
from operator import attrgetter

from ..gazetteer import Division, Gazetteer
from ..graph import doc_node
from ..model import Document, Entity, Evidence, Mention, Relation, by_span
from ..resolve import SentenceIndex
from ..structure import RESULT, mode_at, mode_marks

__all__ = ["load_cues", "document_relations", "mention_relations", "place_relations",
           "RelationPool", "merge_reduced", "merge_entries", "records_kept",
           "recording_reads", "relation_row", "relations_of"]

_NATIONAL = ("国家", "全国", "中国", "中共中央", "国务院", "教育部", "联合国")
_MAX_EVIDENCE = 5

#: While :func:`recording_reads` records: the names linking looked up in
#: the place table and the agency-name table (a memoised answer's too).
_reads: set | None = None


@contextmanager
def recording_reads():
    """Record, while inside, every name linking looks up in the place
    table (names to Place ids) and the agency-name table (names to Agency
    ids), a memoised answer's included; yields the set they go into.  A
    rebuild links again the documents whose reads a change of those tables
    touches."""
    global _reads
    before, _reads = _reads, set()
    _place_prefix.cache = None   # (answers memoised unrecorded hold no reads)
    try:
        yield _reads
    finally:
        _reads = before
        _place_prefix.cache = None   # (its answers hold what they read)


@lru_cache(maxsize=1)
def load_cues() -> dict[str, tuple[str, ...]]:
    raw = resources.files("kg").joinpath("data/cues.tsv").read_text("utf-8")
    out = {}
    for line in raw.splitlines():
        if line.strip() and not line.startswith("#"):
            rel, words = line.split("\t")
            out[rel] = tuple(sorted(words.split("|"), key=len, reverse=True))
    return out


@lru_cache(maxsize=1)
def load_townships() -> tuple[str, ...]:
    """The endings of divisions below a county (``kg/data/townships.txt``)."""
    raw = resources.files("kg").joinpath("data/townships.txt").read_text("utf-8")
    return tuple(w.strip() for w in raw.splitlines() if w.strip() and not w.startswith("#"))


_NUMBERED_SHORT = re.compile(r"^[\u4e00-\u9fff][一二三四五六七八九十]{1,2}[中高小]")


def _place_prefix(name: str, places: dict[str, str], gaz: Gazetteer,
                  context: Division | None) -> list[str]:
    """Place entity ids named at the start of ``name``; a numbered school's
    short name (黄二高) names its county by the first character.  Memoised
    per place table (the gazetteer's divisions live as long as it), with
    the names each answer looked up in ``places`` (:func:`recording_reads`)."""
    cached = getattr(_place_prefix, "cache", None)
    if cached is None or cached[0] is not places or cached[1] != len(places):
        _place_prefix.cache = cached = (places, len(places), {})
    k = (name, id(context))
    hit = cached[2].get(k)
    if hit is None:
        found, looked = _find_place_prefix(name, places, gaz, context)
        # the names read are kept while recording only (a build's memo
        # holds a hundred thousand answers)
        hit = cached[2][k] = (found, looked if _reads is not None else ())
    if _reads is not None:
        _reads.update(hit[1])
    return list(hit[0])


def _find_place_prefix(name: str, places: dict[str, str], gaz: Gazetteer,
                       context: Division | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """:func:`_place_prefix`'s answer, and the names it looked up in
    ``places``."""
    surfaces = gaz.surfaces()
    looked: list[str] = []
    for k in range(min(len(name) - 1, 9), 1, -1):
        if name[:k] not in surfaces:  # names no division: lookup gives None
            continue
        d = gaz.lookup(name[:k], context)
        if d is not None:
            looked.append(d.name)
            if d.name in places:
                inner = _inner_place(name[k:], d, places, gaz, looked)
                return (places[(inner or d).name],), tuple(looked)
    if context is not None and _NUMBERED_SHORT.match(name):
        for d in gaz.divisions:
            if d.level == 3 and d.code:
                looked.append(d.name)
                if d.name in places and gaz.within(d, context) \
                        and name.startswith(d.short[0]):
                    return (places[d.name],), tuple(looked)
    return (), tuple(looked)


def _inner_place(rest: str, outer: Division, places: dict[str, str], gaz: Gazetteer,
                 looked: list[str]) -> Division | None:
    """The division inside ``outer`` that ``rest`` (what follows its name)
    opens with and that is an entity: 长沙市|岳麓区教育局 is in 岳麓区.  The
    names looked up go onto ``looked``."""
    surfaces = gaz.surfaces()
    for k in range(min(len(rest) - 1, 9), 1, -1):
        if rest[:k] not in surfaces:
            continue
        d = gaz.lookup(rest[:k], outer)
        if d is not None and outer in gaz.ancestors(d):
            looked.append(d.name)
            if d.name in places:
                return d
    return None


def _located(ent: Entity, m: Mention, places: dict[str, str], gaz: Gazetteer,
             place: Division | None, doc_place: str | None, reported: bool) -> list[str]:
    """Where an Agency, School or Event is: the place its name (or the form
    in the text) starts with; an Event a summary reports as held was held in
    the document's place, and a local School or Agency stands there."""
    named = _place_prefix(ent.name, places, gaz, place) + _place_prefix(m.text, places, gaz, place)
    if ent.type != "Event":   # (an event's series name, 长三角…论坛 for 第四届长三角…论坛, is no place)
        named += [pid for a in ent.aliases for pid in _place_prefix(a, places, gaz, place)][:1]
    named = list(dict.fromkeys(named))
    if doc_place is None:
        return named
    if ent.type == "Event":   # (a national one the lexicon knows was held elsewhere)
        return named or ([doc_place] if reported and m.rule != "lexicon" else [])
    national = m.rule == "lexicon" or ent.name.startswith(_NATIONAL)
    if ent.type == "School" and named:
        # a school a document names after its own province is the
        # document's (江苏省天一中学 in a Wuxi document)
        named = list(dict.fromkeys(doc_place if _province_of(pid, doc_place, places, gaz)
                                   else pid for pid in named))
        inside = [pid for pid in named if _inside(pid, doc_place, places, gaz)]
        return list(dict.fromkeys(named + ([doc_place] if inside else [])))
    if not named and not national:
        return [doc_place]
    return named


#: The gazetteer's levels of provinces (and municipalities) and of
#: counties (县, 县级市, 区).
PROVINCE, COUNTY = 1, 3

@lru_cache(maxsize=1)
def _town_run() -> re.Pattern:
    """What may stand between a county's name and a town of it: other
    towns of a list (柯桥区平水镇、王坛镇), none of them a mention."""
    return re.compile(r"(?:[\u4e00-\u9fff]{1,6}(?:%s)[、和及与]?)*"
                      % "|".join(map(re.escape, load_townships())))


def _county_before(text: str, k: int, mentions: list[Mention], eids: list[str | None],
                   entities: dict[str, Entity], gaz: Gazetteer) -> str | None:
    """The county whose name the text puts right before town mention
    ``k`` (柯桥区平水镇), or before the list of towns it ends (柯桥区平水镇、
    王坛镇): the nearest Place mention before it, if a county with nothing
    but towns between."""
    start = mentions[k].start
    for j in range(k - 1, -1, -1):
        m, eid = mentions[j], eids[j]
        if m.end > start or eid is None:
            continue
        ent = entities[eid]
        if ent.type != "Place":
            continue
        if not ent.notation:
            if ent.name.endswith(load_townships()):
                continue   # (a town of the same list)
            return None
        d = gaz.by_code.get(ent.notation)
        if d is not None and d.level == COUNTY and _town_run().fullmatch(text, m.end, start):
            return eid
        return None
    return None


def _inside(pid: str, doc_place: str, places: dict[str, str], gaz: Gazetteer) -> bool:
    by_id = _place_names(places)
    inner, outer = gaz.lookup(by_id.get(pid, "")), gaz.lookup(by_id.get(doc_place, ""))
    return inner is not None and outer is not None and outer in gaz.ancestors(inner)


def _province_of(pid: str, doc_place: str, places: dict[str, str], gaz: Gazetteer) -> bool:
    """Whether place ``pid`` is a province (or a municipality) that holds
    the document's place ``doc_place``."""
    outer = gaz.lookup(_place_names(places).get(pid, ""))
    return outer is not None and outer.level == PROVINCE and _inside(doc_place, pid, places, gaz)


def _place_names(places: dict[str, str]) -> dict[str, str]:
    """Place ids to names, cached per place table."""
    cached = getattr(_place_names, "cache", None)
    if cached is None or cached[0] is not places or cached[1] != len(places):
        _place_names.cache = cached = (places, len(places), {v: k for k, v in places.items()})
    return cached[2]


def document_relations(doc: Document, place: Division | None, mentions: list[Mention],
                       eids: list[str | None], entities: dict[str, Entity],
                       publisher: str, index: SentenceIndex, gaz: Gazetteer,
                       places: dict[str, str] | None = None,
                       evidence: list[Evidence] | None = None) -> list[Relation]:
    """All relations one document states or makes certain, ``mentions``
    aside (:func:`mention_relations`).  ``eids``: the entity id of each
    mention, None for none; ``places``: the Place entities' names to ids,
    and ``evidence``: each mention's evidence record, when the caller has
    them."""
    cues = load_cues()
    rels: list[Relation] = []
    dn = doc_node(doc.doc_id)
    if publisher:
        rels.append(Relation(dn, "publishedBy", publisher, ()))
    if places is None:
        places = {e.name: e.id for e in entities.values() if e.type == "Place"}
    doc_place = None
    if place is not None:
        if _reads is not None:
            _reads.add(place.name)
        doc_place = places.get(place.name)
    by_sentence: dict[int, list[tuple[Mention, str, Evidence]]] = defaultdict(list)
    modes = mode_marks(doc.text, doc.title)
    for k, (m, eid) in enumerate(zip(mentions, eids)):
        if eid is None:
            continue
        s = index.at(m.start)
        ev = evidence[k] if evidence is not None else index.evidence(doc.doc_id, m.start, m.end)
        if s is not None:
            by_sentence[s.start].append((m, eid, ev))
        ent = entities[eid]
        if ent.type in ("Agency", "School", "Event"):
            reported = mode_at(modes, m.start) == RESULT
            for pid in _located(ent, m, places, gaz, place, doc_place, reported):
                if pid != eid:
                    rels.append(Relation(eid, "locatedIn", pid, (ev,)))
        elif ent.type == "Place" and not ent.notation and ent.name.endswith(load_townships()):
            county = _county_before(doc.text, k, mentions, eids, entities, gaz) \
                or (doc_place if place is not None and place.level == COUNTY else None)
            if county and county != eid:
                rels.append(Relation(eid, "partOf", county, (ev,)))
    for start, items in sorted(by_sentence.items()):
        sentence = index.at(start)
        rels += _sentence_relations(doc, sentence.text, sentence.start, items, entities,
                                    publisher, cues)
    return rels


def mention_relations(doc_id: str, eids: list[str | None],
                      evidence: list[Evidence]) -> list[Relation]:
    """``mentions`` of one document: the document -> each entity it names,
    with the records of its mentions there (at most five, by span),
    weighted by their number; sorted by entity.  A document's own: no
    other document adds to them, so they need no pooling."""
    by_entity: dict[str, list[Evidence]] = defaultdict(list)
    for eid, ev in zip(eids, evidence):
        if eid is not None:
            by_entity[eid].append(ev)
    dn = doc_node(doc_id)
    return [Relation(dn, "mentions", eid,
                     tuple(evs) if len(evs) == 1 else by_span(evs)[:_MAX_EVIDENCE], len(evs))
            for eid, evs in sorted(by_entity.items())]


_TITLE_CHAIN = re.compile(r"(《[^《》]*》[、和及与,]?)+$")


def _cue_before(lead: str, cue_words) -> bool:
    """A cue word ends ``lead`` (at most two characters away, with no 的
    between: 学习贯彻新修订的《…》 is no issuing)."""
    tail = lead[-6:]
    for c in cue_words:
        k = tail.rfind(c)
        if k >= 0 and len(tail) - (k + len(c)) <= 2 and "的" not in tail[k:]:
            return True
    return False


def _issuer_by_name(name: str, entities) -> str | None:
    """The Agency whose full name opens a title (温州市教育局2023年工作总结)."""
    names, reads = _agency_names(entities), _reads
    for k in range(min(len(name), 40), 3, -1):
        part = name[:k]
        if reads is not None:
            reads.add(part)
        eid = names.get(part)
        if eid:
            return eid
    return None


def _agency_names(entities) -> dict[str, str]:
    """Agency names to ids, cached per entity table."""
    cached = getattr(_agency_names, "cache", None)
    if cached is None or cached[0] is not entities or cached[1] != len(entities):
        table = {e.name: e.id for e in sorted(entities.values(), key=lambda e: e.id)
                 if e.type == "Agency" and len(e.name) >= 4}
        _agency_names.cache = cached = (entities, len(entities), table)
    return cached[2]


_CLAUSE_END = re.compile(r"[,;:,;:]")
_CLAUSE_MARKS = tuple(sorted(set(_CLAUSE_END.pattern[1:-1])))


def _clause_start(text: str, pos: int) -> int:
    """Offset (into ``text``) where the clause holding ``pos`` begins."""
    return max(text.rfind(c, 0, pos) for c in _CLAUSE_MARKS) + 1


def _cue_after(text: str, pos: int, words, reach: int = 6) -> bool:
    """A cue word starts within ``reach`` characters after ``pos``."""
    window = text[pos:pos + reach + 4]
    return any(0 <= window.find(w) <= reach for w in words)


class _Sentence:
    """One sentence's entity mentions, with what is asked of them again
    and again memoised: the type of each, and whether a set of cue words
    follows a mention."""

    __slots__ = ("text", "offset", "items", "_after")

    def __init__(self, text: str, offset: int, items, entities) -> None:
        self.text, self.offset = text, offset
        self.items = [(x, eid, entities[eid].type) for x, eid, _ in items]
        self._after: dict[tuple[int, str], bool] = {}

    def cue_after(self, end: int, cue: str, words) -> bool:
        k = (end, cue)
        hit = self._after.get(k)
        if hit is None:
            hit = self._after[k] = _cue_after(self.text, end - self.offset, words)
        return hit

    def subjects(self, m: Mention, start: int, cue: str, words,
                 types=("Agency",)) -> list[str]:
        """Entities of ``types`` named in ``m``'s clause (from ``start``,
        an offset into the text) right before a cue word that leads to
        ``m`` (教育部实施…, 市教育局联合市财政局开展…)."""
        return [eid for _, eid in self._subjects(m, start, cue, words, types)]

    def _subjects(self, m: Mention, start: int, cue: str, words, types) -> list[tuple]:
        return [(x, eid) for x, eid, etype in self.items
                if etype in types and start <= x.start - self.offset and x.end <= m.start
                and self.cue_after(x.end, cue, words)]

    def issuers(self, m: Mention, start: int, cue: str, words) -> list[str]:
        """The Agency named last before a cue leading to ``m`` (see
        :meth:`subjects`), with those listed right before it (中共中央办公厅、
        国务院办公厅印发…: both issue it)."""
        found = self._subjects(m, start, cue, words, ("Agency",))
        return self.named_before(found[-1][0].end)[0] if found else []

    def named_before(self, end: int) -> tuple[list[str], int]:
        """The Agencies named right before offset ``end``, a list of them
        included (落实教育部、财政部《…》), and where the first begins
        (``end`` when none)."""
        found: list[str] = []
        at = end
        for y, eid, etype in reversed(self.items):
            if y.end > at or etype != "Agency":
                continue
            gap = self.text[y.end - self.offset:at - self.offset]
            if gap and not (found and gap in _LISTED):
                break
            found.insert(0, eid)
            at = y.start
        return list(dict.fromkeys(found)), at


#: What stands between two names of a list (A、B; A和B).
_LISTED = frozenset("、和与及")


@lru_cache(maxsize=1)
def _joined_cues() -> dict[str, tuple[str, ...]]:
    """The cue sets :func:`_sentence_relations` asks for, joined ones included."""
    cues = dict(load_cues())
    cues["implements+collaboratesWith"] = cues["implements"] + cues["collaboratesWith"]
    cues["issuedBy+collaboratesWith"] = cues["issuedBy"] + cues["collaboratesWith"]
    return cues


def _sentence_relations(doc, text, offset, items, entities, publisher, cues) -> list[Relation]:
    rels = []
    sent = _Sentence(text, offset, items, entities)
    joined = _joined_cues()

    def subjects(m, start, cue, types=("Agency",)):
        return sent.subjects(m, start, cue, joined[cue], types)

    for (m, eid, etype), (_, _, ev) in zip(sent.items, items):
        before = text[:m.start - offset]
        start = _clause_start(text, m.start - offset)
        joint = subjects(m, start, "implements+collaboratesWith")
        if etype == "Programme":
            lead = _TITLE_CHAIN.sub("", before)
            chained = len(lead) < len(before)   # (after another title: 《…》和《…》)
            # 落实教育部《…》: the agencies naming a title issued it (the
            # first of a chain: 落实教育部《A》和《B》 leaves B's issuer unsaid)
            owners, at = sent.named_before(offset + len(lead))
            lead = lead[:at - offset]
            if owners and not chained:
                issuers = owners
            elif _cue_before(lead, cues["issuedBy"]):
                issuers = sent.issuers(m, start, "issuedBy+collaboratesWith",
                                       joined["issuedBy+collaboratesWith"]) or [publisher]
            else:
                issuers = [_issuer_by_name(entities[eid].name, entities)]
            for issuer in issuers:
                if issuer and issuer != eid:
                    rels.append(Relation(eid, "issuedBy", issuer, (ev,)))
            if _cue_before(lead, cues["implements"]) and publisher:
                # (not those naming the title: the cue after them is its own word)
                for agent in [a for a in joint if a not in owners] or [publisher]:
                    rels.append(Relation(agent, "implements", eid, (ev,)))
        elif etype == "Initiative":
            for agent in joint or ([publisher] if publisher else []):
                rels.append(Relation(agent, "implements", eid, (ev,)))
            for prog in subjects(m, start, "componentOf", ("Programme",)):
                rels.append(Relation(eid, "componentOf", prog, (ev,)))
            for who in subjects(m, start, "participatesIn", ("School", "Place", "Agency")):
                if entities[who].type != "Agency" or who not in joint:
                    rels.append(Relation(who, "participatesIn", eid, (ev,)))
        if etype in ("School", "Place", "Agency"):
            for other in subjects(m, start, "pairedWith", ("School", "Place", "Agency")):
                if other != eid:
                    rels.append(Relation(other, "pairedWith", eid, (ev,)))
        if etype == "Agency":
            for other in subjects(m, start, "collaboratesWith"):
                if other != eid:
                    rels.append(Relation(other, "collaboratesWith", eid, (ev,)))
    ents = sorted({eid for _, eid, _ in items})
    whole = (Evidence(doc.doc_id, offset, offset + len(text), text),)  # one for all pairs
    rels += [Relation(a, "coMentioned", b, whole) for a, b in combinations(ents, 2)]
    return rels


def place_relations(entities: dict[str, Entity], gaz: Gazetteer) -> list[Relation]:
    """partOf between the place entities, from the gazetteer: the division
    directly containing each, when it is an entity (a municipality's
    district: the municipality, whichever of its two levels is one)."""
    by_code = {e.notation: e.id for e in entities.values() if e.type == "Place" and e.notation}
    rels = []
    for e in entities.values():
        if e.type != "Place" or not e.notation:
            continue
        d = gaz.by_code.get(e.notation)
        if d is None:
            continue
        parent = gaz.parent(d)
        if parent is not None and parent.code not in by_code:
            # a municipality is listed twice (北京市 as province and as
            # prefecture): a district is part of whichever is an entity
            above = gaz.parent(parent)
            if above is not None and above.name == parent.name:
                parent = above
        if parent is not None and parent.code in by_code:
            rels.append(Relation(e.id, "partOf", by_code[parent.code], ()))
    return rels


#: A relation as the ``(subject, predicate, object, evidence)`` row
#: :meth:`RelationPool.add_rows` pools.
relation_row = attrgetter("subject", "predicate", "object", "evidence")


class RelationPool:
    """Relations pooled as they are found: one per (subject, predicate,
    object), with their evidence, so the many relations of a corpus are
    never all held one by one before merging."""

    def __init__(self) -> None:
        self._pooled: dict[tuple, list] = {}

    def add(self, rels) -> None:
        self.add_rows(map(relation_row, rels))

    def add_rows(self, rows) -> None:
        """Pool ``(subject, predicate, object, evidence)`` rows (relations
        taken apart: :data:`relation_row`)."""
        pooled = self._pooled
        for s, p, o, ev in rows:
            k = (s, p, o)
            entry = pooled.get(k)
            if entry is None:
                pooled[k] = [ev, 1]
            else:
                if entry[1] == 1:
                    entry[0] = list(entry[0])
                entry[0].extend(ev)
                entry[1] += 1

    def merged(self) -> list[Relation]:
        """The pooled relations, sorted: evidence sorted and at most five
        items kept, co-mentions weighted by their sentences."""
        return relations_of(self.reduced())

    def reduced(self) -> dict[tuple, tuple]:
        """The pool reduced to what its relations are made of, ``key ->
        (count, records, sentences, evidence)``: how many times the
        relation was found, how many evidence records that brought, for a
        co-mention how many (document, sentence) pairs they hold, and the
        records kept (the one record, or the first spans).  Pools of
        documents apart are merged reduced (:func:`merge_reduced`), each
        reduced where it was filled: the same relations as one pool of
        them all (:func:`relations_of`)."""
        out = {}
        for k, (ev, count) in self._pooled.items():
            n = len(ev)
            if n < 2:  # most relations: one record (or none) from one sentence
                out[k] = (count, n, n, tuple(ev))
                continue
            ev = by_span(ev)   # one record per span (it has one sentence)
            # a co-mention's weight counts its sentences
            sentences = len({(e.doc_id, e.sentence) for e in ev}) if k[1] == "coMentioned" else 0
            out[k] = (count, n, sentences, _kept(k[1], ev))
        return out


def _kept(predicate: str, spans: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
    """The records a relation keeps of its records ``spans`` (one per
    span, in order): the first five, a co-mention's first only."""
    return spans[:records_kept(predicate)]


def records_kept(predicate: str) -> int:
    """How many records (the first spans) a relation of ``predicate`` keeps."""
    return 1 if predicate == "coMentioned" else _MAX_EVIDENCE


def merge_reduced(into: dict[tuple, tuple], other: dict[tuple, tuple]) -> dict[tuple, tuple]:
    """Add ``other`` to ``into`` (both :meth:`RelationPool.reduced`, of
    pools that share no document: their sentences are counted apart);
    return ``into``."""
    for k, entry in other.items():
        mine = into.get(k)
        if mine is None:
            into[k] = entry
            continue
        into[k] = (mine[0] + entry[0], mine[1] + entry[1], mine[2] + entry[2],
                   _kept(k[1], by_span(mine[3] + entry[3])))
    return into


def merge_entries(predicate: str, entries: list[tuple]) -> tuple:
    """One relation's entries in :meth:`RelationPool.reduced` pools of
    documents apart, merged at once: what :func:`merge_reduced` makes of
    them one pool after another (the records kept are the first spans of
    all, however they are cut)."""
    if len(entries) == 1:
        return entries[0]
    return (sum(e[0] for e in entries), sum(e[1] for e in entries), sum(e[2] for e in entries),
            _kept(predicate, by_span([ev for e in entries for ev in e[3]])))


def relations_of(reduced: dict[tuple, tuple]) -> list[Relation]:
    """The relations of a :meth:`RelationPool.reduced` pool, sorted by key."""
    out = []
    add = out.append
    # keys ordered as tuples are, by one string each (no id holds a NUL):
    # twice as fast as comparing the tuples
    for k in sorted(reduced, key="\0".join):
        count, n, sentences, ev = reduced[k]
        if k[1] == "coMentioned":
            add(Relation(*k, evidence=ev, weight=sentences if n > 1 else 1))
        else:
            add(Relation(*k, evidence=ev, weight=count))
    return out
