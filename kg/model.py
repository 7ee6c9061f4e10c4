"""Value objects passed between the pipeline stages.

Data flows one way: files -> :class:`Document` -> :class:`Mention` ->
:class:`Entity`, :class:`Relation`, :class:`Metric` -> graph -> exports.
Every mention keeps ``doc_id``, ``start`` and ``end`` into the cleaned text,
so ``doc.text[m.start:m.end] == m.text`` always holds.
"""
from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from operator import attrgetter

__all__ = ["ENTITY_TYPES", "PREDICATES", "Document", "Mention", "Evidence",
           "Entity", "Relation", "Metric", "Extraction", "by_span", "slot_init"]

#: The six entity types of the annotation guidelines.
ENTITY_TYPES = ("Agency", "Place", "School", "Programme", "Initiative", "Event")

#: Predicates between entities (and from documents).  The first five are the
#: scored ones of the guidelines; ``participatesIn`` (a school, place or
#: agency takes part in or is selected for an initiative: 入选, 创成, 试点),
#: ``collaboratesWith`` (agencies acting jointly: 联合, 会同) and
#: ``pairedWith`` (pairing and support: 结对, 帮扶, 对口) and ``componentOf``
#: (an initiative a programme sets out: 《X》提出的Y) are stated by cue
#: words; ``mentions`` links a document to what it names, ``coMentioned``
#: links entities named in one sentence (weighted).
PREDICATES = ("locatedIn", "partOf", "issuedBy", "implements", "publishedBy",
              "participatesIn", "collaboratesWith", "pairedWith", "componentOf",
              "mentions", "coMentioned")


def slot_init(cls):
    """Give a frozen, slotted dataclass an ``__init__`` that stores each
    field through its slot's descriptor: the same signature and defaults,
    still frozen after it (setting a field raises), at about half the cost
    of the generated one, which goes through ``object.__setattr__`` by
    name for every field.  A build makes millions of these objects."""
    params, body, scope = [], [], {}
    for k, f in enumerate(fields(cls)):
        if f.default_factory is not MISSING or not f.init:
            raise TypeError(f"{cls.__name__}.{f.name}: slot_init takes plain defaults only")
        if f.default is MISSING:
            params.append(f.name)
        else:
            scope[f"_d{k}"] = f.default
            params.append(f"{f.name}=_d{k}")
        scope[f"_s{k}"] = cls.__dict__[f.name].__set__
        body.append(f"    _s{k}(self, {f.name})")
    code = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body) + "\n"
    exec(code, scope)
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init
    return cls


def _by_fields(self):
    """Pickle a slotted value object as its class and field values (twice as
    fast as the per-field state dataclasses give slotted classes), read by
    one ``attrgetter`` per class (2.3 s against 2.9 s to pickle the
    per-document results of 1,000 documents, millions of objects)."""
    cls = self.__class__
    get = _FIELDS.get(cls)
    if get is None:
        get = _FIELDS[cls] = _fields_getter(tuple(cls.__slots__))
    return cls, get(self)


#: class -> the function reading the values of its fields as a tuple
_FIELDS: dict = {}


def _document_by_fields(self):
    """:func:`_by_fields` for a :class:`Document`, its text as UTF-8 bytes:
    pickling a str makes its UTF-8 form and CPython keeps that inside the
    str for good, which for a Chinese text is one and a half times the
    text again (a build with the cache held 85 MiB more at 16M
    characters); encoding it here makes a copy that is freed."""
    values = _by_fields(self)[1]
    return _document, (values[:2] + (values[2].encode("utf-8", "surrogatepass"),) + values[3:])


def _document(doc_id: str, path: str, text: bytes, *rest) -> "Document":
    return Document(doc_id, path, text.decode("utf-8", "surrogatepass"), *rest)


def _fields_getter(names: tuple[str, ...]):
    if len(names) > 1:
        return attrgetter(*names)
    return lambda obj: tuple(getattr(obj, n) for n in names)


@slot_init
@dataclass(frozen=True, slots=True)
class Document:
    """One input document, cleaned, with the metadata read from its header."""

    __reduce__ = _document_by_fields

    doc_id: str          # file stem, unique within a build
    path: str            # where it was read from
    text: str            # cleaned text; every offset points into it
    title: str = ""
    publisher: str = ""  # surface form as written (resolved later)
    date: str = ""       # ISO yyyy-mm-dd where known, else yyyy or ""
    place: str = ""      # canonical place name (e.g. 台州市) where known
    encoding: str = "utf-8"

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date[:4].isdigit() else None


@slot_init
@dataclass(frozen=True, slots=True)
class Mention:
    """A span of a document recognised as naming an entity of ``type``.

    ``name`` is the candidate canonical name proposed by the extractor
    (quotes removed, suffix attached); resolution may still change it.
    """

    __reduce__ = _by_fields

    doc_id: str
    start: int
    end: int
    text: str
    type: str
    name: str
    rule: str = ""


@slot_init
@dataclass(frozen=True, slots=True)
class Evidence:
    """Where something was read: document, offsets and the whole sentence."""

    __reduce__ = _by_fields

    doc_id: str
    start: int
    end: int
    sentence: str

    def to_dict(self) -> dict:
        return {"doc": self.doc_id, "start": self.start, "end": self.end,
                "sentence": self.sentence}

    # The graph holds these records as they are (a dict each would double
    # their memory), and they read like their graph.json record, so code
    # reading a built graph and a loaded one is the same: ``ev["doc"]``,
    # ``ev.get("sentence")``, ``{**ev}``.
    def keys(self) -> tuple[str, ...]:
        return ("doc", "start", "end", "sentence")

    def __getitem__(self, key: str):
        if key == "doc":
            return self.doc_id
        if key == "start" or key == "end" or key == "sentence":
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default=None):
        if key == "doc":
            return self.doc_id
        if key == "start":
            return self.start
        if key == "end":
            return self.end
        if key == "sentence":
            return self.sentence
        return default


def by_span(records) -> tuple[Evidence, ...]:
    """Evidence records, one per (document, start, end), in that order (a
    span's sentence is the same in every record of it)."""
    records = records if isinstance(records, (list, tuple)) else list(records)
    if _in_span_order(records):   # (as linking mostly gives them: 0.3 s saved)
        return tuple(records)
    spans = {(e.doc_id, e.start, e.end): e for e in records}
    return tuple(spans[k] for k in sorted(spans))


def _in_span_order(records) -> bool:
    """Whether each record's (document, start, end) is past the one before."""
    for a, b in zip(records, records[1:]):
        if a.doc_id != b.doc_id:
            if a.doc_id > b.doc_id:
                return False
        elif a.start > b.start or a.start == b.start and a.end >= b.end:
            return False
    return True


@slot_init
@dataclass(frozen=True, slots=True)
class Entity:
    """One real thing, possibly mentioned in many documents."""

    __reduce__ = _by_fields

    id: str
    type: str
    name: str
    aliases: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    notation: str = ""   # administrative division code for places


@slot_init
@dataclass(frozen=True, slots=True)
class Relation:
    __reduce__ = _by_fields

    subject: str          # entity id or document id
    predicate: str
    object: str
    evidence: tuple[Evidence, ...] = ()
    weight: int = 1


@slot_init
@dataclass(frozen=True, slots=True)
class Metric:
    """A number the document reports or sets as a target."""

    __reduce__ = _by_fields

    id: str
    doc_id: str
    value: float
    unit: str
    indicator: str
    text: str                  # the surface form, e.g. 4.4万个
    year: int | None = None
    comparator: str = ""       # eq, ge, gt, le, lt, increase, decrease
    approximate: bool = False  # 3万余, 百余所: value is a lower bound
    about: str = ""            # entity id the metric is about, where known
    evidence: Evidence | None = None
    status: str = ""           # "result" (reported) or "target" (set)
    place: str = ""            # entity id of the place it counts in

    def placed(self, about: str, place: str) -> Metric:
        """This metric with ``about`` and ``place`` set: what
        ``dataclasses.replace`` gives, at a third of its cost (a build
        places every metric, 150,000 in 16M characters)."""
        return Metric(self.id, self.doc_id, self.value, self.unit, self.indicator, self.text,
                      self.year, self.comparator, self.approximate, about, self.evidence,
                      self.status, place)


@dataclass
class Extraction:
    """Everything extracted from a set of documents, before the graph."""

    documents: list[Document] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    publishers: dict[str, str] = field(default_factory=dict)  # doc_id -> entity id
    #: what the linking changed since the build it was given the memory of
    #: (a :class:`~kg.relink.Change`; None when not known)
    change: object = field(default=None, compare=False, repr=False)
    #: each entity's checksum (:func:`kg.splice.entity_print`, by id) when
    #: the linking found them (None when not)
    prints: object = field(default=None, compare=False, repr=False)
    #: whether ``relations`` are in :data:`kg.graph.RELATION_ORDER` (the
    #: linking sorts them: the writers need not sort them again)
    relations_sorted: bool = field(default=False, compare=False, repr=False)
