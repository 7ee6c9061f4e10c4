"""Name resolution: canonical names, aliases, relative references and
merging mentions into one entity per real thing, across documents.

* relative references are completed from the document's place:
  市教育局 in a Taizhou document is 台州市教育局, 县政府 is 平阳县人民政府;
* short place names are completed by the gazetteer (黄岩 -> 黄岩区);
* quotes, 《》 and a trailing suffix never split an entity: every surface
  form, the quoted core and the stripped form become aliases, and entities
  of one type sharing an alias are merged;
* ``X(以下简称Y)`` and ``X(简称Y)`` make Y an alias of X.
"""
from __future__ import annotations

import bisect
import hashlib
import re
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass
from operator import itemgetter

from .gazetteer import Division, Gazetteer
from .lexicon import load_short_forms
from .model import Document, Entity, Evidence, Mention, _by_fields, by_span, slot_init
from .segment import Sentence

__all__ = ["key", "entity_id", "complete_name", "aliases_of", "abbreviations",
           "SentenceIndex", "DocNames", "doc_names", "resolve", "merge_names", "merge_names_again",
           "preferred_name", "with_evidence"]

_QUOTE_CHARS = re.compile(r"[“”\"《》「」『』‘’'\s]")
_DASHES = re.compile(r"[—–―-]+")
_QUOTED_CORE = re.compile(r"[“\"]([^“”\"]+)[”\"]")
_ABBREV = re.compile(r"[((](?:以下)?简称[::]?[“\"]?([^”\"()()]{2,12})[”\"]?[))]")


_DOTS = str.maketrans({"•": "·", "・": "·", "‧": "·", "∙": "·", ",": "、", ",": "、"})


def key(name: str) -> str:
    """The comparison form of a name: no quotes, 《》 or spaces, one dash,
    one middle dot (绿谷之光•科技 = 绿谷之光·科技), one list comma."""
    if name.isalnum():  # letters and digits only (most names): nothing to change
        return name
    return _DASHES.sub("-", _QUOTE_CHARS.sub("", name)).translate(_DOTS)


def entity_id(etype: str, name: str, notation: str = "") -> str:
    """A stable id: places by division code, the rest by a hash of the name."""
    if etype == "Place" and notation:
        return f"place-{notation}"
    digest = hashlib.sha1(f"{etype}|{key(name)}".encode("utf-8")).hexdigest()[:12]
    return f"{etype.lower()}-{digest}"


def _city_of(place: Division | None, gaz: Gazetteer) -> Division | None:
    if place is None:
        return None
    return next((d for d in [place, *gaz.ancestors(place)] if d.level == 2), None) or \
        (place if place.level == 1 or place.code == "" else None)


_WHOLE = {"全市": 2, "全省": 1, "全县": 3, "全区": 3, "本市": 2, "我市": 2}


def complete_name(m: Mention, place: Division | None, gaz: Gazetteer) -> str:
    """The canonical name of an Agency or Event mention: relative references
    (市教育局, 县政府, 市委, 全市…大会) and short place prefixes completed,
    政府 as 人民政府, 中共 dropped (not before 中央: 中共中央办公厅)."""
    name = m.name
    if m.type not in ("Agency", "Event"):
        return name
    name = re.sub(r"^中共(?!中央)", "", name)
    if place is not None:
        levels = {1: gaz.province_of(place), 2: _city_of(place, gaz),
                  3: place if place.level == 3 else None}
        whole = _WHOLE.get(name[:2])
        if whole and levels.get(whole) is not None:
            return levels[whole].name + name[2:]
        target = {"市": levels[2], "县": levels[3], "区": levels[3], "省": levels[1]}.get(name[0])
        relative = m.type == "Agency" or name[1:2] == "委"
        if relative and target is not None and target.name.endswith(name[0]) \
                and not name.startswith(target.name) \
                and not gaz.lookup(name[:2], place) and not gaz.lookup(name[:3], place):
            name = target.name + name[1:]
        for k in range(min(6, len(name) - 1), 1, -1):
            d = gaz.lookup(name[:k], place)
            if d is not None and d.short == name[:k] and not name.startswith(d.name):
                if m.type == "Agency" or name[k:k + 1] == "委":
                    name = d.name + name[k:]
                break
    if m.type == "Agency":
        name = re.sub(r"(?<![人民])政府(办公室)?$", r"人民政府\1", name)
    return name


#: The edition opening an event's name (第四届, 首届).
EDITION = r"(?:第[一二三四五六七八九十百\d]+届|首届)"
_EDITION_START = re.compile("^" + EDITION)
#: National prefixes a short mention of the same thing leaves out.
_LEVEL = re.compile(r"^(国家级|国家|全国)")


def _expansions(name: str) -> set[str]:
    """The other forms of an agency name ending in a short form
    (市委教育工委, 市委教育工作委员会)."""
    out = set()
    for short, full in load_short_forms():
        if name.endswith(full):
            out.add(name[:-len(full)] + short)
        elif name.endswith(short) and len(name) > len(short):
            out.add(name[:-len(short)] + full)
    return out


def aliases_of(m: Mention, canonical: str) -> set[str]:
    """Surface forms a reader would accept for the mention's entity."""
    forms = {m.text, key(m.text), m.name}
    if m.rule == "quoted" and m.type != "Event":  # an event's quoted words are its theme
        forms.update(c.strip() for c in _QUOTED_CORE.findall(m.text))
        q = m.text.find("“")
        if q > 0:  # 台州市职业院校“双高计划”: the form from the quote on
            forms.update({m.text[q:], key(m.text[q:])})
    if m.type == "Agency" and m.text.startswith("中共"):
        forms.add(m.text[2:])
    if m.type == "Agency":
        forms.update(_expansions(canonical))
    if m.type == "Event":
        edition = _EDITION_START.match(canonical)
        if edition and len(canonical) - edition.end() >= 4:
            forms.add(canonical[edition.end():])  # 第四届…论坛: the same series' name
    if m.type != "Place":
        level = _LEVEL.match(canonical)
        if level and len(canonical) - level.end() >= 4:
            forms.add(canonical[level.end():])  # 国家产教融合试点城市: 产教融合试点城市
    return {f for f in forms if f and f != canonical}


class SentenceIndex:
    """Find the sentence holding an offset (binary search).  Made from a
    text and its sentences' offsets (:meth:`from_spans`), it makes each
    sentence when first asked for: linking stages every document's, and
    most sentences are never asked for (0.4 s for 300,000)."""

    def __init__(self, sentences: list[Sentence]) -> None:
        self._made: list = list(sentences)
        self.starts = [s.start for s in sentences]
        self._ends = [s.end for s in sentences]
        self._text: str | None = None

    @property
    def sentences(self) -> list[Sentence]:
        """Every sentence, in order."""
        return [self._sentence(i) for i in range(len(self.starts))]

    def spans(self) -> array:
        """The sentences' offsets, ``start, end`` after ``start, end``: what
        :meth:`from_spans` needs besides the text (a compact pickle)."""
        return array("l", [v for a, b in zip(self.starts, self._ends) for v in (a, b)])

    @classmethod
    def from_spans(cls, text: str, spans) -> "SentenceIndex":
        """The index of ``text`` whose sentences are at ``spans``
        (:meth:`spans`), without splitting it again."""
        index = cls([])
        index.starts, index._ends = list(spans[0::2]), list(spans[1::2])
        index._made = [None] * len(index.starts)
        index._text = text
        return index

    def _sentence(self, i: int) -> Sentence:
        s = self._made[i]
        if s is None:
            a, b = self.starts[i], self._ends[i]
            s = self._made[i] = Sentence(a, b, self._text[a:b])
        return s

    def _holding(self, offset: int) -> int:
        """The place of the sentence holding ``offset``; -1 for none."""
        i = bisect.bisect_right(self.starts, offset) - 1
        return i if i >= 0 and offset < self._ends[i] else -1

    def at(self, offset: int) -> Sentence | None:
        i = self._holding(offset)
        return self._sentence(i) if i >= 0 else None

    def evidence(self, doc_id: str, start: int, end: int) -> Evidence:
        i = self._holding(start)
        return Evidence(doc_id, start, end, self._sentence(i).text if i >= 0 else "")

    def evidence_of(self, doc_id: str, mentions) -> list[Evidence]:
        """:meth:`evidence` of each of ``mentions`` (anything with a
        ``start`` and an ``end``)."""
        holding, sentence = self._holding, self._sentence
        out = []
        for m in mentions:
            i = holding(m.start)
            out.append(Evidence(doc_id, m.start, m.end, sentence(i).text if i >= 0 else ""))
        return out


def abbreviations(text: str, mentions: list[Mention]) -> list[tuple[Mention, str]]:
    """``(mention, short form)`` for every ``X(以下简称Y)`` in the text,
    X being the mention ending right before the parenthesis."""
    ends = {m.end: m for m in mentions if m.type != "Place"}
    out = []
    for a in _ABBREV.finditer(text):
        m = ends.get(a.start()) or ends.get(a.start() - 1)
        if m is not None:
            out.append((m, a.group(1).strip()))
    return out


def _local_names(mentions, completed, place) -> dict[str, set[str]]:
    """The canonical names of a document's entities (places aside) that
    start with the document's place."""
    out: dict[str, set[str]] = {}
    if place is None:
        return out
    for m, name in zip(mentions, completed):
        if m.type != "Place" and name.startswith(place.name):
            out.setdefault(m.type, set()).add(key(name))
    return out


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@slot_init
@dataclass(frozen=True, slots=True)
class DocNames:
    """What one document brings to resolution, found in the per-document
    stage by :func:`doc_names` (so it runs in the workers and is cached):
    the node ``(type, key)`` and completed name of each mention (aligned
    with the mentions), and per node the forms it is known by, the forms
    that are relative (this document's only) and its division code; and
    the names that took words before their quotes."""

    __reduce__ = _by_fields

    nodes: tuple[tuple[str, str], ...]
    names: tuple[str, ...]
    forms: dict
    local_only: dict
    notation: dict
    extended: frozenset = frozenset()


def doc_names(doc: Document, place: Division | None, mentions: list[Mention],
              gaz: Gazetteer) -> DocNames:
    """One document's part of :func:`resolve`: relative names completed
    from the document's place, every mention's node and aliases."""
    higher = [a.name + place.name for a in gaz.ancestors(place)] if place is not None else []
    completed = [complete_name(m, place, gaz) for m in mentions]
    local = _local_names(mentions, completed, place)
    nodes, names, spans = [], [], {}
    forms: dict[tuple[str, str], set[str]] = defaultdict(set)
    local_only: dict[tuple[str, str], set[str]] = defaultdict(set)
    notation: dict[tuple[str, str], str] = {}
    extended: set[str] = set()
    ends: dict[int, Division] = {}   # where a place mention ends -> its division
    for m, name in zip(mentions, completed):
        if place is not None and m.type != "Place" \
                and key(place.name + name) in local.get(m.type, ()):
            name = place.name + name  # 校园文化研究院 beside 温州市校园文化研究院
        node = (m.type, key(name))
        nodes.append(node)
        names.append(name)
        spans[(m.start, m.end)] = node
        if m.rule == "quoted" and m.text[:1] not in "“\"":
            extended.add(name)
        aliases = aliases_of(m, name)
        forms[node].update(aliases | {name})
        if name != m.name:  # completed from the document's place: 市教育局
            local_only[node].update(f for f in aliases if key(f) != key(name))
        for h in higher:  # 北京市海淀区教育委员会 is 海淀区教育委员会 here
            if m.type != "Place" and name.startswith(h) and len(name) > len(h):
                forms[node].add(name[len(h) - len(place.name):])
        if m.type == "Place":
            # 长春市|朝阳区: a name many divisions share is the one inside
            # the place named right before it, else nearest the document's
            d = gaz.lookup(m.name, ends.get(m.start, place))
            notation[node] = d.code if d is not None else ""
            if d is not None:
                ends[m.end] = d
    for m, short in abbreviations(doc.text, mentions):
        node = spans[(m.start, m.end)]
        forms[node].add(short)
        if short[:1] in "市县区省本我":  # (以下简称“区教委”): relative, this document's only
            local_only[node].add(short)
    return DocNames(tuple(nodes), tuple(names), dict(forms), dict(local_only), notation,
                    frozenset(extended))


def resolve(docs: list[tuple[Document, DocNames]]) -> tuple[list[Entity], list[list[str]]]:
    """Merge the mentions of all documents into entities, from each
    document's :class:`DocNames`.

    Returns the entities, without their evidence records (linking needs
    none: :func:`with_evidence` adds them), and, for each document, the
    entity id of each of its mentions (aligned with them).
    """
    return resolved(docs, [merge_names(docs)])


def resolved(docs: list[tuple[Document, DocNames]], parts: list[tuple[list, dict]]
             ) -> tuple[list[Entity], list[list[str]]]:
    """:func:`resolve` of the documents from :func:`merge_names` of their
    types apart, each type in one of ``parts``."""
    found = sorted((f for part, _ in parts for f in part), key=_ROOT)
    ids = {}
    for _, more in parts:
        ids.update(more)
    return [e for _, e in found], [[ids[node] for node in dn.nodes] for _, dn in docs]


_ROOT = itemgetter(0)


def types_named_differently(old: DocNames, new: DocNames) -> set[str] | None:
    """The entity types whose part of resolution differs between two
    readings of one document (its mentions' nodes and names, the forms,
    relative forms and codes of its nodes, in their order); None when the
    names that took words before their quotes differ (they weigh in every
    type's choice of names)."""
    if old.extended != new.extended:
        return None
    types: set[str] = set()
    for a, b in ((zip(old.nodes, old.names), zip(new.nodes, new.names)),
                 (old.forms.items(), new.forms.items()),
                 (old.local_only.items(), new.local_only.items()),
                 (old.notation.items(), new.notation.items())):
        ga, gb = _by_node_type(a), _by_node_type(b)
        types.update(t for t in ga.keys() | gb.keys() if ga.get(t) != gb.get(t))
    return types


def _by_node_type(pairs) -> dict[str, list]:
    out: dict[str, list] = defaultdict(list)
    for node, value in pairs:
        out[node[0]].append((node, value))
    return out


def parts_by_type(parts: list[tuple[list, dict]]) -> dict[str, tuple[list, dict]]:
    """:func:`merge_names` results (of any grouping of the types) as one
    result per type: what :func:`merge_names` of that type alone gives."""
    out: dict[str, tuple[list, dict]] = {}
    for found, ids in parts:
        for f in found:
            out.setdefault(f[0][0], ([], {}))[0].append(f)
        for node, eid in ids.items():
            out.setdefault(node[0], ([], {}))[1][node] = eid
    return out


def merge_names(docs: list[tuple[Document, DocNames]], types=None, other: bool = False
                ) -> tuple[list[tuple[tuple, Entity]], dict[tuple, str]]:
    """The entities of the documents' mentions of ``types`` (every type
    when None; with ``other``, of every type but those), each after the
    node that stands for its group (in that node's order), and the entity
    id of each node (``(type, name)``): a type's names merge only with
    names of that type, so types can be merged apart (:func:`resolved`)."""
    forms, names, notation, extended, local_only, node_docs = _no_sums()
    for doc, dn in docs:
        said, named, relative = zip(dn.nodes, dn.names), dn.forms.items(), dn.local_only.items()
        if types is not None:
            said = [t for t in said if (t[0][0] in types) is not other]
            named = [t for t in named if (t[0][0] in types) is not other]
            relative = [t for t in relative if (t[0][0] in types) is not other]
        for node, name in said:
            names[node].append(name)
        for node, f in named:  # every node of the document
            forms[node].update(f)
            node_docs[node].add(doc.doc_id)
        for node, f in relative:
            local_only[node].update(f)
        notation.update(dn.notation)
        extended.update(dn.extended)
    return _grouped(forms, names, notation, extended, local_only, node_docs)


def merge_names_again(docs: list[tuple[Document, DocNames]], before: tuple[list, dict],
                      touched: dict[tuple[str, str], set[str]]
                      ) -> tuple[list[tuple[tuple, Entity]], dict[tuple, str]]:
    """:func:`merge_names` of one entity type, given ``before``, its
    result for the documents as they were, and ``touched``: the nodes of
    that type in any document whose part of it changed, before and after,
    each with the forms those documents now give it (the documents are
    the same ones, in the same order, and the names that took words
    before their quotes are the same).

    Only the groups a change can reach are merged again: the touched
    nodes' groups before, and every group having a form a touched node
    may now have (one of its group's before, or one the changed documents
    give it).  A group holds every node sharing a key with one of its own,
    so the nodes no touched one joins keep their groups, and a group's
    root (its least node) does not depend on the other nodes.  The
    documents are read for the reached nodes only."""
    found, ids = before
    members: dict[str, list] = defaultdict(list)   # entity id -> its group's nodes
    for node, eid in ids.items():
        members[eid].append(node)
    reach = set(touched)
    forms = {e.id: e for _, e in found}
    wanted: set[str] = set()   # the keys of every form a touched node may have now
    for node, given in touched.items():
        wanted.update(key(f) for f in given)
        group = forms.get(ids.get(node))
        if group is not None:
            reach.update(members[group.id])
            wanted.add(key(group.name))
            wanted.update(key(f) for f in group.aliases)
    # a group's name and aliases are its members' forms: every key it joins by
    for _, e in found:
        if key(e.name) in wanted or any(key(f) in wanted for f in e.aliases):
            reach.update(members[e.id])
    made, made_ids = _grouped(*_gathered(docs, reach))
    kept = [(root, e) for root, e in found if root not in reach]
    return sorted(kept + made, key=_ROOT), \
        {**{n: eid for n, eid in ids.items() if n not in reach}, **made_ids}


def _gathered(docs: list[tuple[Document, DocNames]], nodes: set) -> tuple:
    """What :func:`merge_names` sums from the documents, for ``nodes`` only
    (a document naming none is passed over): forms, names, codes, the
    names that took words before their quotes (of every document),
    relative forms, and the documents naming each node.  The nodes and
    their names come in another order than there, which changes nothing:
    a group's name is chosen from how often each name is said, and only
    places, never merged, have codes."""
    forms, names, notation, extended, local_only, node_docs = _no_sums()
    for doc, dn in docs:
        if dn.extended:
            extended.update(dn.extended)
        hit = nodes.intersection(dn.forms)   # (every node a document names has forms)
        if not hit:
            continue
        for node in hit:
            forms[node].update(dn.forms[node])
            node_docs[node].add(doc.doc_id)
            relative = dn.local_only.get(node)
            if relative:
                local_only[node].update(relative)
            code = dn.notation.get(node)
            if code is not None:
                notation[node] = code
        for node, name in zip(dn.nodes, dn.names):
            if node in hit:
                names[node].append(name)
    return forms, names, notation, extended, local_only, node_docs


def _no_sums() -> tuple:
    """What :func:`merge_names` sums, empty: per node ``(type, key)`` its
    forms, its names (one per mention), its code; the names that took
    words before their quotes; per node its relative forms (市教育局 names
    a different thing in each document: an alias, never a key that merges
    entities) and the documents naming it."""
    return (defaultdict(set), defaultdict(list), {}, set(), defaultdict(set), defaultdict(set))


def _grouped(forms: dict, names: dict, notation: dict, extended: set, local_only: dict,
             node_docs: dict) -> tuple[list[tuple[tuple, Entity]], dict[tuple, str]]:
    """:func:`merge_names` from its sums (:func:`_gathered`)."""
    # merge entities of one type that share a form (the quoted core is the
    # identity of a quoted name: 城乡“教共体” and “教共体” are one thing).
    # Places are already canonical through the gazetteer.
    uf = _UnionFind()
    by_form: dict[tuple, tuple[str, str]] = {}
    for node in sorted(forms):
        if node[0] == "Place":
            continue
        relative = local_only.get(node, ())   # (no empty set made for every node)
        keys = [(node[0], key(f)) for f in sorted(forms[node].difference(relative))]
        # a relative form still merges inside its own document
        keys += [(node[0], key(f), d) for f in sorted(relative) for d in sorted(node_docs[node])]
        for k in keys:
            if len(k[1]) < 2:
                continue
            if k in by_form:
                uf.union(by_form[k], node)
            else:
                by_form[k] = node
    groups: dict[tuple, list[tuple[str, str]]] = defaultdict(list)
    for node in forms:
        groups[uf.find(node)].append(node)
    found, ids = [], {}
    for root, members in sorted(groups.items()):
        etype = root[0]
        said = names[members[0]] if len(members) == 1 else [nm for n in members for nm in names[n]]
        canonical = said[0]
        if said.count(canonical) != len(said):   # (most entities are named one way)
            canonical = preferred_name(Counter(said), extended)
        code = next((notation[n] for n in members if notation.get(n)), "")
        eid = entity_id(etype, canonical, code)
        all_forms = set().union(*(forms[n] for n in members)) - {canonical}
        found.append((root, Entity(eid, etype, canonical, tuple(sorted(all_forms)), (), code)))
        for n in members:
            ids[n] = eid
    return found, ids


def preferred_name(counts: Counter, extended) -> str:
    """The canonical name of a group whose mentions said ``counts``
    (name -> mentions): the one said most, then one that took no words
    before its quotes (``extended``), then the longest, then the last in
    code-point order."""
    if len(counts) == 1:
        return next(iter(counts))
    return max(counts, key=lambda nm: (counts[nm], nm not in extended, len(nm), nm))


def with_evidence(entities, eids: list[list[str]], evidence: list[list[Evidence]]
                  ) -> list[Entity]:
    """``entities`` with the evidence records of their mentions, one per
    span, by span: ``eids`` and ``evidence`` give, per document, the entity
    id and the record of each mention (:func:`resolve`'s ids, aligned with
    the records).  An entity no mention names keeps its own."""
    records: dict[str, list[Evidence]] = defaultdict(list)
    for ids, evs in zip(eids, evidence):
        for eid, e in zip(ids, evs):
            records[eid].append(e)
    out = []
    for e in entities:
        found = records.get(e.id)
        out.append(Entity(e.id, e.type, e.name, e.aliases, by_span(found), e.notation)
                   if found else e)
    return out
