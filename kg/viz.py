"""The interactive HTML map of the graph: one self-contained, offline page.

The page draws the graph with vis-network, the JavaScript library pyvis wraps.
The vis-network script and stylesheet bundled with pyvis are inlined, and the
page comes from the small template below rather than from pyvis's own one,
which links Bootstrap from a CDN, prints the heading unescaped and escapes
every Chinese character.  Nothing on the page refers to an outside URL and
the page makes no network request.

What a reader gets:

* a search box that finds nodes by canonical name, by any alias or by a
  document's title (``教共体`` finds 城乡教育共同体), with a results list;
* filters by entity type (the legend, with counts), by document and by year;
* a side panel for the clicked node: type, name, aliases, relations grouped
  by predicate (each a link to the other node), metrics, and the evidence
  sentences with the mention marked; a clicked edge shows its evidence;
* co-mention and mention edges hidden behind toggles.

The layout is computed here, not in the browser, so that even a graph of
several thousand nodes opens at once: a force-directed layout (attraction
along edges, repulsion through a density grid convolved by FFT, see
:func:`layout_positions`) with a fixed seed, scaled to pixels; the page then
draws with physics off.  Without numpy the page falls back to vis-network's
own physics with a bounded stabilisation, switched off afterwards.

Safety of text read from documents:

* node, edge and panel data travel as one JSON block; ``<``, ``>``, ``&``,
  braces and the two JavaScript line separators are written as ``\\uXXXX``
  escapes, so no name can close the ``<script>`` element it sits in;
* the page's script puts document text on the page with ``textContent`` and
  text nodes only (the evidence mark is a ``<mark>`` element holding a text
  node); tooltips are small HTML fragments in which every text from a
  document is HTML-escaped here;
* the legend and the heading are escaped HTML.

The same graph always gives the same bytes: nodes and edges are sorted,
positions are rounded and the page holds no time stamp.  An edge's id is
made by the page from its ends and predicate, so a graph with one edge
more gives a page whose other edges are written as they were.

Examples
--------
>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("a1", kind="entity", type="Agency", label="台州市教育局")
>>> page = render_html(g, title="示例")
>>> "台州市教育局" in page and "//cdn" not in page
True
"""
from __future__ import annotations

import html
import json
import math
import re
from collections import deque
from functools import lru_cache
from importlib import resources
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

import networkx as nx

from . import __version__
from .compact import KnowledgeGraph
from .errors import KGError
from .io import collector_paused, write_all_atomic
from .model import Evidence

try:  # the precomputed layout needs numpy; without it the browser lays out
    import numpy as _np
except ImportError:  # pragma: no cover - exercised by monkeypatching in tests
    _np = None

__all__ = ["render_html", "iter_html", "stream_html", "write_html", "neighbourhood", "layout_positions", "page_graph"]


class Style(NamedTuple):
    """How one kind of node is drawn: colour, vis-network shape, Chinese name."""

    colour: str
    shape: str
    name: str


#: Entity type -> style (Okabe-Ito colours, one distinct shape per type).
ENTITY_STYLES: dict[str, Style] = {
    "Agency": Style("#0072B2", "dot", "机构"),
    "Place": Style("#009E73", "triangle", "地区"),
    "School": Style("#E69F00", "hexagon", "学校"),
    "Programme": Style("#CC79A7", "diamond", "规划文件"),
    "Initiative": Style("#D55E00", "star", "工程举措"),
    "Event": Style("#56B4E9", "triangleDown", "活动"),
}
OTHER_STYLE = Style("#999999", "dot", "其他")
DOCUMENT_STYLE = Style("#A0A0A0", "square", "文件")
METRIC_STYLE = Style("#C8C8C8", "box", "指标")

#: Predicate -> (colour, Chinese label).
PREDICATE_STYLES: dict[str, tuple[str, str]] = {
    "locatedIn": ("#009E73", "位于"),
    "partOf": ("#56B4E9", "隶属"),
    "issuedBy": ("#CC79A7", "印发"),
    "implements": ("#D55E00", "实施"),
    "publishedBy": ("#0072B2", "发布"),
    "participatesIn": ("#E69F00", "参与"),
    "collaboratesWith": ("#0072B2", "协同"),
    "pairedWith": ("#009E73", "结对"),
    "componentOf": ("#CC79A7", "组成"),
    "mentions": ("#C8C8C8", "提及"),
    "coMentioned": ("#D0D0D0", "共现"),
    "reports": ("#A0A0A0", "载有"),
    "about": ("#A0A0A0", "关于"),
    "inPlace": ("#A0A0A0", "地区"),
}
#: Predicates drawn thin and grey.
FAINT_PREDICATES = frozenset({"mentions", "coMentioned", "reports", "about", "inPlace"})
#: Predicates hidden until the reader ticks them in the legend.
HIDDEN_PREDICATES = ("mentions", "coMentioned")

#: Metric nodes are drawn only when the graph has fewer nodes than this
#: (above it they still show in the side panel of what they are about).
METRIC_NODE_LIMIT = 2000
#: The page draws at most this many entity and document nodes: on a bigger
#: graph, the ones with the most neighbours (the metrics about them are in
#: their side panels); the heading says so ...
PAGE_NODE_LIMIT = 5000
#: ... and at most this many edges between them (mentions and co-mentions,
#: hidden until ticked, are the first to go, the lightest first).
PAGE_EDGE_LIMIT = 60_000
#: Evidence items carried per node and per edge into the page.
MAX_NODE_EVIDENCE = 200
MAX_EDGE_EVIDENCE = 50

FONT_STACK = ('"Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", '
              '"Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif')

_GLYPHS = {"dot": "●", "triangle": "▲", "hexagon": "⬢", "diamond": "◆",
           "star": "★", "triangleDown": "▼", "square": "■", "box": "▭"}
_DOC_LABEL_CHARS = 14
_SENTENCE_CHARS = 160
_MAX_ALIASES = 10
_VIS_DIR = "templates/lib/vis-9.1.2"
_SEED = 7
#: Up to this many nodes the layout's repulsion is summed pair by pair.
_EXACT_LAYOUT_NODES = 300


# --------------------------------------------------------------------- text

def _esc(value) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape(str(value), quote=True)


def _clip(text: str, limit: int) -> str:
    """Collapse white space and cut ``text`` to ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: JSON text up to its next string literal holding a brace (group 2), or
#: to its end: strings without braces and the text between strings are
#: taken whole (possessively), so a match never starts inside a string.
_UP_TO_BRACED_STRING = re.compile(
    r'((?:[^"]++|"(?:[^"\\{}]++|\\.)*+")*+)("(?:[^"\\]++|\\.)*+"|\Z)')


def _escape_braces(match: re.Match) -> str:
    return match.group(1) + match.group(2).replace("{", "\\u007b").replace("}", "\\u007d")


def _escape_script(text: str) -> str:
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        if char in text:
            text = text.replace(char, escape)
    return _UP_TO_BRACED_STRING.sub(_escape_braces, text)  # braces in strings escaped


def _script_json(data) -> str:
    """JSON that is safe inside a ``<script>`` element: it cannot close it,
    and no text of it reads as markup or as a template (``{{ }}``)."""
    return "".join(_script_json_pieces(data))


_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


class _Spelt(str):
    """A value of the page data already spelt as JSON (by :func:`_dumps`):
    a large page's side-panel entries are kept as text, several times
    smaller than their lists and dictionaries."""

    __slots__ = ()


def _spell(value) -> str:
    """:func:`_dumps` of ``value``, where a :class:`_Spelt` value (itself,
    or one of a dictionary's) is taken as it is."""
    if value.__class__ is _Spelt:
        return value
    if value.__class__ is dict and any(v.__class__ is _Spelt for v in value.values()):
        return "{" + ",".join(_dumps(k) + ":" + _spell(value[k]) for k in sorted(value)) + "}"
    return _dumps(value)


#: About how many characters of a large dictionary of the page data are
#: spelt at a time (each document's sentences are one item, about 15,000
#: characters at 16M characters of text).
PIECE_CHARS = 1 << 20


def _script_json_pieces(data, batch: int = 2000, depth: int = 2):
    """:func:`_script_json` of ``data`` in pieces: a dictionary or list down
    to ``depth`` levels is spelt ``batch`` items at a time, so the page's
    data (tens of megabytes for a large graph) is never one string, nor
    copied whole by each escape."""
    if depth and isinstance(data, dict) and data and all(type(k) is str for k in data):
        keys = sorted(data)
        yield "{"
        if depth > 1:
            for j, k in enumerate(keys):
                yield ("," if j else "") + _escape_script(_dumps(k)) + ":"
                yield from _script_json_pieces(data[k], batch, depth - 1)
        else:   # at most ``batch`` items, and about PIECE_CHARS, a piece
            part: list[str] = []
            size, sep = 0, ""
            for k in keys:
                part.append(_dumps(k) + ":" + _spell(data[k]))
                size += len(part[-1])
                if len(part) >= batch or size >= PIECE_CHARS:
                    yield sep + _escape_script(",".join(part))
                    part, size, sep = [], 0, ","
            if part:
                yield sep + _escape_script(",".join(part))
        yield "}"
    elif depth and isinstance(data, list) and data:
        yield "["
        for i in range(0, len(data), batch):
            yield ("," if i else "") + _escape_script(",".join(map(_spell, data[i:i + batch])))
        yield "]"
    else:
        yield _escape_script(_spell(data))


def _tooltip(heading: str, rows: list[tuple[str, str]], sentence: str = "") -> str:
    """An HTML tooltip; every argument is plain text and is escaped here."""
    parts = [f"<b>{_esc(heading)}</b>"]
    parts += [f"<br>{_esc(key)}：{_esc(value)}" for key, value in rows if value not in ("", None)]
    if sentence:
        parts.append(f'<div class="kg-ev">例句：{_esc(_clip(sentence, _SENTENCE_CHARS))}</div>')
    return "".join(parts)


def _first_sentence(attrs: dict) -> str:
    evidence = attrs.get("evidence") or []
    return evidence[0].get("sentence", "") if evidence else ""


def _number(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return f"{value:g}"
    return str(value or "")


# -------------------------------------------------------------------- nodes

def _entity_style(etype: str) -> Style:
    return ENTITY_STYLES.get(etype, OTHER_STYLE)


def _entity_size(attrs: dict) -> float:
    """Grows with the number of mentions (evidence items) or documents."""
    n = max(len(attrs.get("evidence") or []), len(attrs.get("docs") or []), 1)
    return round(min(40.0, 12.0 + 4.0 * math.sqrt(n - 1)), 1)


def _entity_node(node_id: str, attrs: dict) -> dict:
    style = _entity_style(attrs.get("type", ""))
    aliases = list(attrs.get("aliases") or [])
    alias_text = "、".join(aliases[:_MAX_ALIASES])
    if len(aliases) > _MAX_ALIASES:
        alias_text += f" 等{len(aliases)}个"
    rows = [("类型", f"{style.name}（{attrs.get('type', '')}）"),
            ("别名", alias_text),
            ("行政区划代码", attrs.get("notation", "")),
            ("文件数", len(attrs.get("docs") or [])),
            ("提及次数", len(attrs.get("evidence") or []))]
    return {"id": node_id, "label": str(attrs.get("label", node_id)),
            "shape": style.shape,
            "color": style.colour, "size": _entity_size(attrs),
            "font": {"size": 14, "color": "#222222"},
            "title": _tooltip(str(attrs.get("label", node_id)), rows,
                              _first_sentence(attrs))}


def _document_node(node_id: str, attrs: dict, names: dict[str, str]) -> dict:
    title = str(attrs.get("title") or attrs.get("label") or attrs.get("doc_id") or node_id)
    rows = [("类型", DOCUMENT_STYLE.name), ("日期", attrs.get("date", "")),
            ("发布机构", names.get(attrs.get("publisher", ""), "")),
            ("地区", names.get(attrs.get("place", ""), "")),
            ("编号", attrs.get("doc_id", ""))]
    return {"id": node_id, "label": _clip(title, _DOC_LABEL_CHARS),
            "shape": DOCUMENT_STYLE.shape, "color": DOCUMENT_STYLE.colour, "size": 8,
            "font": {"size": 11, "color": "#666666"}, "title": _tooltip(title, rows)}


def _metric_node(node_id: str, attrs: dict) -> dict:
    number = _number(attrs.get("value"))
    amount = f"{number}{attrs.get('unit', '')}" if number else ""
    rows = [("类型", METRIC_STYLE.name), ("指标", attrs.get("indicator", "")),
            ("数值", amount), ("年份", attrs.get("year") or ""),
            ("比较", attrs.get("comparator", "")),
            ("约数", "是" if attrs.get("approximate") else ""),
            ("文件", attrs.get("doc", ""))]
    label = str(attrs.get("label", node_id))
    return {"id": node_id, "label": label, "shape": METRIC_STYLE.shape,
            "color": {"background": "#F2F2F2", "border": METRIC_STYLE.colour},
            "font": {"size": 10, "color": "#777777"},
            "title": _tooltip(label, rows, _first_sentence(attrs))}


def show_metrics(g: nx.MultiDiGraph) -> bool:
    """Metric nodes are drawn only for graphs under :data:`METRIC_NODE_LIMIT`
    (never for the part :func:`page_graph` cuts out of a bigger one)."""
    return g.number_of_nodes() < METRIC_NODE_LIMIT and not g.graph.get("page_part")


def build_nodes(g: nx.MultiDiGraph) -> list[dict]:
    """vis-network node dicts, sorted by id; metrics skipped on big graphs."""
    names = {str(n): str(a.get("label", n)) for n, a in g.nodes(data=True)
             if a.get("kind") == "entity"}
    metrics = show_metrics(g)
    out = []
    for n in sorted(g.nodes, key=str):
        attrs, node_id = g.nodes[n], str(n)
        kind = attrs.get("kind")
        if kind == "document":
            out.append(_document_node(node_id, attrs, names))
        elif kind == "metric":
            if metrics:
                out.append(_metric_node(node_id, attrs))
        else:
            out.append(_entity_node(node_id, attrs))
    return out


# -------------------------------------------------------------------- edges

def _edge_width(predicate: str, weight) -> float:
    if predicate in FAINT_PREDICATES:
        return 0.5
    try:
        w = max(1.0, float(weight))
    except (TypeError, ValueError):
        w = 1.0
    return round(min(5.0, 1.0 + math.log2(w)), 2)


def _edge(u: str, v: str, predicate: str, attrs: dict) -> dict:
    """A vis-network edge; its colour, label and dashes come from
    :func:`edge_styles` (applied by the page), its tooltip is built by the
    page from the edge's data, and its id by the page from its ends and
    predicate (an id by rank would change with every edge sorted before
    it: one relation more would rewrite every edge after it)."""
    edge = {"from": u, "to": v, "predicate": predicate,
            "width": _edge_width(predicate, attrs.get("weight", 1))}
    if predicate in HIDDEN_PREDICATES:
        edge["hidden"] = True
    return edge


def edge_styles(predicates) -> dict[str, dict]:
    """Per predicate: colour, Chinese label, and for co-mentions dashes and
    no pull in the browser's physics."""
    out = {}
    for p in sorted(set(predicates)):
        colour, name = PREDICATE_STYLES.get(p, ("#888888", p))
        style = {"color": {"color": colour, "opacity": 0.9}, "label": name}
        if p == "coMentioned":
            style.update(dashes=True, physics=False)
        out[p] = style
    return out


_FIRST_THREE = itemgetter(0, 1, 2)


def _edge_triples(g: nx.MultiDiGraph, drawn: set[str]) -> list[tuple[str, str, str, dict]]:
    """``(u, predicate, v, attributes)`` of the edges between drawn nodes,
    sorted (ties in the graph's order)."""
    out = []
    for u, targets in g.adjacency():
        su = str(u)
        if su not in drawn:
            continue
        for v, keyed in targets.items():
            sv = str(v)
            if sv in drawn:
                out += [(su, str(attrs.get("predicate", k)), sv, attrs)
                        for k, attrs in keyed.items()]
    out.sort(key=_FIRST_THREE)
    return out


def _edges_of(triples) -> list[dict]:
    return [_edge(u, v, p, attrs) for u, p, v, attrs in triples]


def build_edges(g: nx.MultiDiGraph, drawn: set[str]) -> list[dict]:
    """vis-network edge dicts between drawn nodes, sorted (their ids are
    the page's: from their ends and predicate)."""
    return _edges_of(_edge_triples(g, drawn))


# ------------------------------------------------------------------- layout

def _layout_edges(ids: list[str], edges: list[dict]) -> list[tuple[int, int, float]]:
    """Undirected weighted pairs for the layout: co-mentions pull weakly."""
    index = {n: i for i, n in enumerate(ids)}
    pairs: dict[tuple[int, int], float] = {}
    for e in edges:
        a, b = index.get(e["from"]), index.get(e["to"])
        if a is None or b is None or a == b:
            continue
        w = 0.25 if e["predicate"] == "coMentioned" else 1.0
        key = (a, b) if a < b else (b, a)
        pairs[key] = max(pairs.get(key, 0.0), w)
    return [(a, b, w) for (a, b), w in sorted(pairs.items())]


def _squared_lengths(d):
    """``(d * d).sum(1)`` of an (m, 2) array, the very same floats (x² + y²),
    without numpy's slow reduction along an axis of length 2."""
    x, y = d[:, 0], d[:, 1]
    return x * x + y * y


def _grid_repulsion(np, pos, grid, kernels, density):
    """Repulsion ``1/d`` from every node, through the density on a grid."""
    lo = pos.min(0)
    span = max(float((pos.max(0) - lo).max()), 1e-9) * 1.0001
    h = span / grid
    cells = np.minimum(((pos - lo) / h).astype(np.int64), grid - 1)
    side = density.shape[1]
    density.reshape(-1)[:] = np.bincount(cells[:, 0] * side + cells[:, 1],
                                         minlength=density.size)
    spectrum = np.fft.rfft2(density)
    out = []
    for kernel in kernels:
        field = np.fft.irfft2(spectrum * kernel, s=density.shape)[:grid, :grid] / h
        out.append(field[cells[:, 0], cells[:, 1]])
    force = np.stack(out, 1)
    # nodes sharing a cell push away from the cell's centroid, as they would
    # from each other (the grid alone gives them one and the same force)
    flat = cells[:, 0] * grid + cells[:, 1]
    count = np.bincount(flat, minlength=grid * grid)
    centre = np.stack([np.bincount(flat, pos[:, 0], grid * grid),
                       np.bincount(flat, pos[:, 1], grid * grid)], 1) / np.maximum(count, 1)[:, None]
    d = pos - centre[flat]
    r2 = np.maximum(_squared_lengths(d), (0.05 * h) ** 2)
    return force + d * ((count[flat] - 1) / r2)[:, None]


def _exact_repulsion(np, pos):
    """Repulsion ``1/d`` summed over every pair (small graphs)."""
    d = pos[:, None, :] - pos[None, :, :]
    r2 = (d * d).sum(2)
    np.fill_diagonal(r2, np.inf)
    return (d / np.maximum(r2, 1e-6)[:, :, None]).sum(1)


def layout_positions(ids: list[str], pairs: list[tuple[int, int, float]],
                     seed: int = _SEED, iterations: int | None = None,
                     spacing: float = 90.0) -> dict[str, tuple[int, int]] | None:
    """Pixel positions of ``ids`` from a force-directed layout, or ``None``
    when numpy is missing.

    Fruchterman-Reingold forces with a fixed seed: attraction ``d²`` along
    each weighted pair ``(i, j, w)`` of node indices, repulsion ``1/d``
    between all nodes, a weak pull to the centre, and a temperature that
    cools linearly.  Up to :data:`_EXACT_LAYOUT_NODES` nodes the repulsion is
    summed pair by pair; above, it is read off a density grid convolved with
    the force kernel by FFT, so an iteration costs O(n + E + G² log G), not
    O(n²) (5,000 nodes: about 1.5 s in all).  Positions are scaled so that
    each node has about ``spacing`` pixels of room, and rounded.
    """
    if _np is None:
        return None
    np = _np
    n = len(ids)
    if n == 0:
        return {}
    if n == 1:
        return {ids[0]: (0, 0)}
    rng = np.random.default_rng(seed)
    side = math.sqrt(n)
    pos = rng.random((n, 2)) * side
    exact = n <= _EXACT_LAYOUT_NODES
    iterations = iterations or (150 if exact else 300 if n <= 2000 else 200)
    grid = 128
    if not exact:
        off = np.arange(-grid, grid)
        dx, dy = np.meshgrid(off, off, indexing="ij")
        r2 = (dx * dx + dy * dy).astype(float)
        r2[grid, grid] = np.inf
        kernels = (np.fft.rfft2(np.fft.ifftshift(dx / r2)),
                   np.fft.rfft2(np.fft.ifftshift(dy / r2)))
        density = np.zeros((2 * grid, 2 * grid))
    if pairs:
        u = np.array([p[0] for p in pairs], dtype=np.int64)
        v = np.array([p[1] for p in pairs], dtype=np.int64)
        w = np.array([p[2] for p in pairs], dtype=float)[:, None]
    temperature = side / 8
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        if exact:
            disp = _exact_repulsion(np, pos)
        else:
            disp = _grid_repulsion(np, pos, grid, kernels, density)
        if pairs:
            d = pos.take(u, axis=0) - pos.take(v, axis=0)  # = pos[u] - pos[v], faster
            pull = np.sqrt(_squared_lengths(d))[:, None] * w * d
            for axis in (0, 1):  # bincount: many times faster than np.add.at
                disp[:, axis] += np.bincount(v, pull[:, axis], n) - np.bincount(u, pull[:, axis], n)
        disp -= 0.02 * (pos - pos.mean(0))
        length = np.sqrt(_squared_lengths(disp))
        length[length == 0] = 1.0
        pos += disp * (np.minimum(length, temperature) / length)[:, None]
        temperature -= cooling
    pos -= (pos.min(0) + pos.max(0)) / 2
    extent = np.maximum(pos.max(0) - pos.min(0), 1.0)
    scale = spacing * math.sqrt(n / float(extent[0] * extent[1]))
    if exact:  # sparse drawings: neighbours at least 1.5 spacings apart
        d = pos[:, None, :] - pos[None, :, :]
        r2 = (d * d).sum(2)
        np.fill_diagonal(r2, np.inf)
        nearest = float(np.median(np.sqrt(r2.min(1))))
        scale = max(scale, 1.5 * spacing / max(nearest, 1e-9))
    pos = np.rint(pos * scale).astype(np.int64)
    return {node: (int(x), int(y)) for node, (x, y) in zip(ids, pos.tolist())}


# ------------------------------------------------------------------ evidence

class _Sentences:
    """Evidence sentences, each stored once, and the marks inside them.

    An evidence item has offsets into its document, not into its sentence.
    The sentence's own start is worked out from the graph: an item whose
    span is the whole sentence (a co-mention) gives it directly; otherwise
    every item naming an entity (or a metric) in that sentence allows only
    the starts that put one of the names at the item's offsets, and the
    starts all items allow are intersected.  When one start remains, marks
    are exact; when none does, the first occurrence of a name is marked.
    """

    def __init__(self, g: nx.MultiDiGraph) -> None:
        self.forms: dict[str, list[str]] = {}
        self.form_sets: dict[str, frozenset[str]] = {}
        for n, a in g.nodes(data=True):
            kind = a.get("kind")
            if kind == "document":
                continue
            names = [str(a.get("label", ""))]
            if kind != "metric":
                names += [str(x) for x in a.get("aliases") or []]
            forms = sorted({f for f in names if f}, key=lambda f: (-len(f), f))
            self.forms[str(n)] = forms
            self.form_sets[str(n)] = frozenset(forms)
        self.start = self._starts(g)
        self.table: dict[str, dict[str, int]] = {}   # document -> sentence -> number

    def _starts(self, g: nx.MultiDiGraph) -> dict[tuple[str, str], int]:
        exact: dict[tuple[str, str], int] = {}
        allowed: dict[tuple[str, str], set[int]] = {}

        def whole(ev) -> bool:
            key = (str(ev.get("doc", "")), str(ev.get("sentence", "")))
            start, end = ev.get("start"), ev.get("end")
            if isinstance(start, int) and isinstance(end, int) and end - start == len(key[1]):
                exact[key] = start
                return True
            return False

        for n, a in g.nodes(data=True):
            evidence = a.get("evidence")
            if not evidence:
                continue
            by_length: dict[int, set[str]] = {}    # the node's forms by length
            for f in self.forms.get(str(n), []):
                by_length.setdefault(len(f), set()).add(f)
            # the records unpacked inline here and in item(): a helper call
            # per record made the page 13 % slower on 16M characters
            for ev in evidence:
                if ev.__class__ is Evidence:    # as a build made it
                    doc, start, end, sentence = ev.doc_id, ev.start, ev.end, ev.sentence
                else:                           # as graph.json gave it
                    get = ev.get
                    start, end = get("start"), get("end")
                    doc, sentence = get("doc", ""), get("sentence", "")
                if not (isinstance(start, int) and isinstance(end, int)):
                    continue
                if sentence.__class__ is not str:
                    sentence = str(sentence)
                if doc.__class__ is not str:
                    doc = str(doc)
                if end - start == len(sentence):     # whole(ev), inline
                    exact[(doc, sentence)] = start
                    continue
                forms = by_length.get(end - start)
                if not forms:
                    continue
                key = (doc, sentence)
                before = allowed.get(key)
                if before is None:
                    starts = _starts_of(sentence, start, forms)
                    if starts:
                        allowed[key] = starts
                elif before and any(f in sentence for f in forms):
                    # before & _starts_of(...), without finding every occurrence
                    allowed[key] = {s for s in before
                                    if start >= s and sentence[start - s:end - s] in forms}
        for _, targets in g.adjacency():
            for keyed in targets.values():
                for a in keyed.values():
                    for ev in a.get("evidence") or []:
                        whole(ev)
        out = {k: min(v) for k, v in allowed.items() if len(v) == 1}
        out.update(exact)
        return out

    def item(self, ev: dict, names: list[str], span: bool = True) -> list:
        """``[document, sentence number, a1, b1, a2, b2, ...]``: the
        sentence's number among its document's (in order of first use, so
        a change to one document renumbers no other's), the marks sentence
        offsets, sorted and disjoint."""
        if ev.__class__ is Evidence:
            doc, start, end, sentence = ev.doc_id, ev.start, ev.end, ev.sentence
        else:
            get = ev.get
            doc, sentence, start, end = get("doc", ""), get("sentence", ""), get("start"), get("end")
        if doc.__class__ is not str or sentence.__class__ is not str:
            doc, sentence = str(doc), str(sentence)
        key = (doc, sentence)
        table = self.table.get(doc)
        if table is None:
            table = self.table[doc] = {}
        index = table.get(sentence)
        if index is None:
            index = table[sentence] = len(table)
        marks: list[tuple[int, int]] = []
        s0 = self.start.get(key)
        if (span and s0 is not None and isinstance(start, int) and isinstance(end, int)
                and 0 <= start - s0 < end - s0 <= len(sentence)
                and end - start < len(sentence)):
            marks.append((start - s0, end - s0))
        forms_of, sets_of = self.forms, self.form_sets
        for node in names:
            forms = forms_of.get(node)
            if not forms:
                continue
            if marks:
                if len(marks) == 1:
                    a, b = marks[0]
                    if sentence[a:b] in sets_of[node]:
                        continue
                elif _names_marked(sentence, marks, sets_of[node]):
                    continue
            for form in forms:
                hit = _first_free(sentence, form, marks)
                if hit is not None:
                    marks.append((hit, hit + len(form)))
                    break
        if len(marks) == 1:
            return [doc, index, *marks[0]]
        return [doc, index] + [x for m in sorted(marks) for x in m]

    def rows(self) -> dict[str, list[str]]:
        """The sentence table: each document's sentences in the order of
        the numbers handed out, the documents sorted."""
        return {doc: list(self.table[doc]) for doc in sorted(self.table)}


def _starts_of(sentence: str, start: int, forms) -> set[int]:
    """The sentence starts that put one of ``forms`` at document offset
    ``start``: ``start - i`` for every occurrence ``i`` of each form."""
    starts = set()
    for f in forms:
        i = sentence.find(f)
        while i >= 0:
            starts.add(start - i)
            i = sentence.find(f, i + 1)
    return starts


def _names_marked(text: str, marks: list[tuple[int, int]], names: frozenset[str]) -> bool:
    """Whether one of ``marks`` in ``text`` is one of ``names``."""
    if len(marks) == 1:
        a, b = marks[0]
        return text[a:b] in names
    return any(text[a:b] in names for a, b in marks)


def _first_free(text: str, form: str, marks: list[tuple[int, int]]) -> int | None:
    """Where ``form`` first occurs in ``text`` overlapping none of ``marks``."""
    i = text.find(form)
    while i >= 0:
        j = i + len(form)
        if not any(a < j and i < b for a, b in marks):
            return i
        i = text.find(form, i + 1)
    return None


# --------------------------------------------------------------- panel data

def _node_info(g: nx.MultiDiGraph, n, sentences: _Sentences) -> dict:
    a, node_id = g.nodes[n], str(n)
    kind = a.get("kind")
    if kind == "document":
        return {"kind": "document", "name": str(a.get("title") or a.get("label") or node_id),
                "doc": str(a.get("doc_id", "")), "date": str(a.get("date") or ""),
                "year": a.get("year") or None, "publisher": str(a.get("publisher") or ""),
                "place": str(a.get("place") or "")}
    evidence = list(a.get("evidence") or [])
    items = [sentences.item(ev, [node_id]) for ev in evidence[:MAX_NODE_EVIDENCE]]
    if kind == "metric":
        return {"kind": "metric", "name": str(a.get("label", node_id)),
                "value": _number(a.get("value")), "unit": str(a.get("unit") or ""),
                "indicator": str(a.get("indicator") or ""), "year": a.get("year") or None,
                "status": str(a.get("status") or ""), "comparator": str(a.get("comparator") or ""),
                "approximate": bool(a.get("approximate")), "doc": str(a.get("doc") or ""),
                "about": str(a.get("about") or ""), "place": str(a.get("place") or ""),
                "ev": items, "evn": len(evidence)}
    return {"kind": "entity", "type": str(a.get("type", "")), "name": str(a.get("label", node_id)),
            "aliases": [str(x) for x in a.get("aliases") or []],
            "notation": str(a.get("notation") or ""),
            "docs": [str(d) for d in a.get("docs") or []], "ev": items, "evn": len(evidence),
            "metrics": []}


def _metrics_by_entity(g: nx.MultiDiGraph, order: list) -> dict[str, list[str]]:
    """Entity -> the metrics about it, in ``order``: what the side panel
    lists under an entity."""
    out: dict[str, list[str]] = {}
    for n in order:
        a = g.nodes[n]
        if a.get("kind") != "metric":
            continue
        about = str(a.get("about") or "")
        if about in g and g.nodes[about].get("kind") not in ("document", "metric"):
            out.setdefault(about, []).append(str(n))
    return out


def build_page_data(g: nx.MultiDiGraph, focus=None) -> dict:
    """Everything the page's script reads: vis-network nodes (with
    positions), edges (with evidence), options, and the side panel's data."""
    nodes = build_nodes(g)
    drawn = {n["id"] for n in nodes}
    triples = _edge_triples(g, drawn)
    edges = _edges_of(triples)
    positions = layout_positions([n["id"] for n in nodes], _layout_edges(
        [n["id"] for n in nodes], edges))
    if positions is not None:
        for node in nodes:
            node["x"], node["y"] = positions[node["id"]]
    sentences = _Sentences(g)
    order = sorted(g.nodes, key=str)
    metrics = _metrics_by_entity(g, order)
    info = {}
    for n in order:   # each entry spelt at once: its evidence lists are most of the page
        item = _node_info(g, n, sentences)
        if item["kind"] == "entity":
            item["metrics"] = metrics.get(str(n), [])
        info[str(n)] = _Spelt(_dumps(item))
    for (u, _, v, attrs), edge in zip(triples, edges):
        evidence = list(attrs.get("evidence") or [])
        edge["ev"] = _Spelt(_dumps([sentences.item(ev, [u, v], span=True)
                                    for ev in evidence[:MAX_EDGE_EVIDENCE]]))
        edge["evn"] = len(evidence)
        weight = attrs.get("weight", 1)
        if weight not in (1, None):
            edge["weight"] = weight
    docs = {}
    for n, a in g.nodes(data=True):
        if a.get("kind") == "document":
            doc_id = str(a.get("doc_id") or str(n).removeprefix("doc:"))
            docs[doc_id] = {"node": str(n), "title": str(a.get("title") or a.get("label") or doc_id),
                            "date": str(a.get("date") or ""), "year": a.get("year") or None}
    types = {t: [s.colour, _GLYPHS.get(s.shape, "●"), s.name] for t, s in ENTITY_STYLES.items()}
    types.update({"": [OTHER_STYLE.colour, "●", OTHER_STYLE.name],
                  "document": [DOCUMENT_STYLE.colour, "■", DOCUMENT_STYLE.name],
                  "metric": [METRIC_STYLE.colour, "▭", METRIC_STYLE.name]})
    return {"nodes": nodes, "edges": edges,
            "options": build_options(len(nodes), positions is not None),
            "edge_styles": edge_styles(e["predicate"] for e in edges),
            "info": info, "sentences": sentences.rows(), "docs": docs, "types": types,
            "predicates": {p: list(s) for p, s in PREDICATE_STYLES.items()},
            "focus": str(focus) if focus is not None and str(focus) in drawn else None}


# ------------------------------------------------------------------- legend

def _legend_rows(g: nx.MultiDiGraph) -> list[tuple[str, Style, int]]:
    """``(key, style, count)`` of every entity type, then documents and metrics."""
    counts: dict[str, int] = {}
    docs = metrics = 0
    for _, attrs in g.nodes(data=True):
        kind = attrs.get("kind")
        if kind == "document":
            docs += 1
        elif kind == "metric":
            metrics += 1
        else:
            t = str(attrs.get("type", ""))
            counts[t] = counts.get(t, 0) + 1
    rows = [(t, s, counts.get(t, 0)) for t, s in ENTITY_STYLES.items()]
    rows += [(t, OTHER_STYLE, counts[t]) for t in sorted(counts) if t not in ENTITY_STYLES]
    rows += [("document", DOCUMENT_STYLE, docs), ("metric", METRIC_STYLE, metrics)]
    return rows


def build_legend(g: nx.MultiDiGraph, edges: list[dict]) -> str:
    """The legend and filter box: node kinds with counts (each a filter
    checkbox), relation colours with toggles, document and year filters."""
    items = []
    for key, style, count in _legend_rows(g):
        english = "" if key in ("document", "metric") else f' <span class="kg-en">{_esc(key)}</span>'
        note = "（节点过多，未绘出）" if key == "metric" and count and not show_metrics(g) else ""
        items.append(f'<li data-type="{_esc(key)}" data-count="{count}"><label>'
                     f'<input type="checkbox" data-filter-type="{_esc(key)}" checked> '
                     f'<span class="kg-glyph" style="color:{_esc(style.colour)}">'
                     f'{_GLYPHS.get(style.shape, "●")}</span> {_esc(style.name)}{english} '
                     f'<b>{count}</b>{_esc(note)}</label></li>')
    per_predicate: dict[str, int] = {}
    for e in edges:
        per_predicate[e["predicate"]] = per_predicate.get(e["predicate"], 0) + 1
    relations = []
    for p in sorted(per_predicate, key=lambda p: (p in FAINT_PREDICATES, p)):
        colour, name = PREDICATE_STYLES.get(p, ("#888888", p))
        toggle = (f' <label><input type="checkbox" data-predicate="{_esc(p)}"> 显示</label>'
                  if p in HIDDEN_PREDICATES else "")
        relations.append(f'<li data-predicate="{_esc(p)}" data-count="{per_predicate[p]}">'
                         f'<span class="kg-line" style="background:{_esc(colour)}"></span> '
                         f'{_esc(name)} <span class="kg-en">{_esc(p)}</span> '
                         f'<b>{per_predicate[p]}</b>{toggle}</li>')
    return ('<aside id="kg-legend" aria-label="图例与筛选"><h2>图例 · 类型筛选</h2>'
            f'<ul class="kg-types">{"".join(items)}</ul>'
            f'<h2>关系</h2><ul class="kg-rels">{"".join(relations)}</ul>'
            '<h2>筛选</h2>'
            '<label class="kg-field">文件 <select id="kg-doc"><option value="">全部文件</option>'
            '</select></label>'
            '<label class="kg-field">年份 <select id="kg-year"><option value="">全部年份</option>'
            '</select></label>'
            '<button type="button" id="kg-reset">重置筛选</button>'
            '<p id="kg-status" class="kg-en"></p></aside>')


# ----------------------------------------------------------------- options

def build_options(n_nodes: int, positioned: bool = False) -> dict:
    """vis-network options.  With precomputed positions physics is off;
    without, a seeded forceAtlas2 runs a bounded stabilisation."""
    big = n_nodes > 1000
    return {
        "layout": {"randomSeed": _SEED, "improvedLayout": not positioned and n_nodes <= 150},
        "physics": {
            "enabled": not positioned,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -60, "centralGravity": 0.01,
                                 "springLength": 110, "springConstant": 0.08,
                                 "avoidOverlap": 0.3},
            "stabilization": {"enabled": not positioned,
                              "iterations": (600 if n_nodes <= 1000 else
                                             200 if n_nodes <= 3000 else 60),
                              "updateInterval": 25, "fit": True},
            "minVelocity": 0.75,
        },
        "nodes": {"font": {"face": FONT_STACK}, "borderWidth": 1},
        "edges": {"arrows": {"to": {"enabled": not big, "scaleFactor": 0.5}},
                  "smooth": {"enabled": not big, "type": "continuous"},
                  "font": {"face": FONT_STACK, "size": 10, "color": "#555555",
                           "strokeWidth": 3, "align": "middle"}},
        "interaction": {"hover": True, "tooltipDelay": 150,
                        "hideEdgesOnDrag": n_nodes > 500, "hideEdgesOnZoom": n_nodes > 2000,
                        "keyboard": False, "multiselect": False},
    }


# -------------------------------------------------------------------- page

@lru_cache(maxsize=None)
def _vis_asset(name: str) -> str:
    """A file of the vis-network build bundled with pyvis, made inline-safe."""
    try:
        text = resources.files("pyvis").joinpath(f"{_VIS_DIR}/{name}").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise KGError(f"the vis-network files of pyvis 0.3.x are missing ({exc}); "
                      "reinstall pyvis") from None
    text = re.sub(r"^\s*//# sourceMappingURL=\S*", "", text, flags=re.M)
    text = re.sub(r"/\*# sourceMappingURL=\S*\s*\*/", "", text)
    return re.sub(r"</(script|style)", r"<\\/\1", text, flags=re.I)


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    """The page's own stylesheet or script, from ``kg/data/viz/``."""
    text = resources.files("kg").joinpath(f"data/viz/{name}").read_text("utf-8")
    return text.replace("FONTS", FONT_STACK) if name.endswith(".css") else text


def _edge_count(g: nx.MultiDiGraph) -> int:
    """``g.number_of_edges()``, counted off the adjacency of a directed
    multigraph (networkx sums the degrees, many times slower)."""
    if not (g.is_multigraph() and g.is_directed()):
        return g.number_of_edges()
    return sum(len(keyed) for _, targets in g.adjacency() for keyed in targets.values())


def _summary(g: nx.MultiDiGraph) -> str:
    kinds = [a.get("kind") for _, a in g.nodes(data=True)]
    entities = sum(1 for k in kinds if k not in ("document", "metric"))
    return _summary_text(entities, kinds.count("document"), kinds.count("metric"),
                         _edge_count(g))


def _summary_text(entities: int, documents: int, metrics: int, edges: int) -> str:
    return (f"{entities} 个实体 · {documents} 份文件 · {metrics} 个指标 · {edges} 条边 · "
            "点击节点或边查看证据，勾选图例显示“提及”“共现”关系")


def _part_note() -> str:
    """What the summary adds when the page draws a part of the graph."""
    return (f" · 图中只绘出连接最多的 {PAGE_NODE_LIMIT} 个实体与文件"
            f"及其间至多 {PAGE_EDGE_LIMIT} 条边")


def assemble_page(title: str, summary: str, legend: str, data: dict) -> str:
    """The whole HTML page; ``legend`` is ready HTML, the rest is escaped here."""
    return "".join(_page_pieces(title, summary, legend, data))


def _page_pieces(title: str, summary: str, legend: str, data: dict):
    """:func:`assemble_page` in pieces (the data's in batches)."""
    yield "\n".join([
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="edukg {_esc(__version__)}">',
        f"<title>{_esc(title)}</title>",
        f"<style>{_vis_asset('vis-network.css')}</style>",
        f"<style>{_asset('page.css')}</style>",
        f"<script>{_vis_asset('vis-network.min.js')}\n</script>",
        "</head>",
        "<body>",
        f'<header><div class="kg-head"><h1>{_esc(title)}</h1><p>{_esc(summary)}</p></div>'
        '<div id="kg-search"><input id="kg-q" type="search" autocomplete="off" '
        'placeholder="搜索名称或别名（按 / 聚焦）" aria-label="搜索名称或别名">'
        '<ol id="kg-results" hidden></ol></div></header>',
        '<div id="kg-network"></div>',
        legend,
        '<aside id="kg-panel" aria-label="详情" hidden><button type="button" id="kg-close" '
        'aria-label="关闭">×</button><div id="kg-panel-body"></div></aside>',
        '<script type="application/json" id="kg-data">'])
    yield from _script_json_pieces(data)
    yield "\n".join(["</script>",
                     f"<script>{_asset('page.js')}</script>",
                     "</body>",
                     "</html>",
                     ""])


def render_html(g: nx.MultiDiGraph, title: str = "edukg", focus=None) -> str:
    """The interactive, self-contained HTML page of ``g``.

    Parameters
    ----------
    g : networkx.MultiDiGraph
        A graph as built by :func:`kg.graph.build_graph` (or a part of one,
        such as :func:`neighbourhood` gives).
    title : str
        Page title and heading.
    focus : str, optional
        A node to select, centre and open in the side panel when the page
        opens (ignored when it is not drawn).

    Returns
    -------
    str
        The page; identical for identical graphs, with no outside URL.
    """
    return "".join(iter_html(g, title, focus))


def iter_html(g: nx.MultiDiGraph, title: str = "edukg", focus=None):
    """:func:`render_html` in pieces, for writing a large page without
    holding it whole (nor its UTF-8 bytes) in memory."""
    with collector_paused():
        page = page_graph(g)
        summary = _summary(g) + ("" if page is g else _part_note())
        yield from _part_pieces(page, title, summary, focus)


def _part_pieces(page: nx.MultiDiGraph, title: str, summary: str, focus=None):
    """The page's pieces, drawing ``page`` (let go once its data is made)."""
    data = build_page_data(page, focus)
    legend = build_legend(page, data["edges"])
    del page
    yield from _page_pieces(title, summary, legend, data)


def iter_records_html(records, title: str = "edukg", part=None):
    """:func:`iter_html` of the graph ``records`` (a
    :class:`~kg.graph.GraphRecords`) stands for, the same text, made
    without the graph when the page draws a part of it (at 16M characters
    the part is 5,000 of 197,000 nodes; the graph takes 5 s to make);
    ``part``: its :func:`records_page_part`, when found already."""
    with collector_paused():
        page = records_page_graph(records, part=part)
        if page is None:   # the page draws the whole graph: it is made
            from .graph import build_graph
            yield from iter_html(build_graph(records.ex), title)
            return
        yield from _part_pieces(page, title, records_summary(records))


def records_summary(records) -> str:
    """The page's summary line of the graph ``records`` stands for, when
    the page draws a part of it."""
    return _summary_text(*records.counts()) + _part_note()


def stream_records_html(records, path, title: str = "edukg") -> None:
    """:func:`stream_html` of :func:`iter_records_html`."""
    with open(path, "wb") as fh:
        for piece in iter_records_html(records, title):
            fh.write(piece.encode("utf-8"))


def stream_html(g: nx.MultiDiGraph, path, title: str = "edukg", focus=None) -> None:
    """Write :func:`render_html` of ``g`` to ``path`` as UTF-8, piece by
    piece (not atomically: callers write to a temporary name and rename)."""
    with open(path, "wb") as fh:
        for piece in iter_html(g, title, focus):
            fh.write(piece.encode("utf-8"))


def page_graph(g: nx.MultiDiGraph, limit: int | None = None,
               edge_limit: int | None = None) -> nx.MultiDiGraph:
    """``g`` itself when it has at most ``limit`` (default
    :data:`PAGE_NODE_LIMIT`) entity and document nodes; else the part of it
    the page draws: the ``limit`` of them with the most neighbours (ties by
    id), the metrics about one of them (for the side panel, without their
    edges), and at most ``edge_limit`` (default :data:`PAGE_EDGE_LIMIT`)
    edges between kept nodes: first those shown from the start, then
    mentions and co-mentions, heaviest first."""
    limit = PAGE_NODE_LIMIT if limit is None else limit
    kinds = g.nodes(data="kind")
    main = [n for n, k in kinds if k != "metric"]
    if len(main) <= limit:
        return g
    succ, pred = dict(g.adjacency()), g.pred
    keep = _most_connected({n: len(succ[n]) + len(pred[n]) for n in main}, limit)
    edges = [(u, v, k, d) for u in keep for v, keyed in succ[u].items() if v in keep
             for k, d in keyed.items()]
    metrics = [n for n, a in g.nodes(data=True) if a.get("kind") == "metric"
               and a.get("about") in keep]
    return _page_part(g.graph, [(n, g.nodes[n]) for n in sorted(keep.union(metrics), key=str)],
                      _page_edges(edges, edge_limit))


def records_page_part(records, limit: int | None = None,
                      edge_limit: int | None = None, keep: set | None = None
                      ) -> tuple[list, list] | None:
    """The nodes ``(node, attrs)`` and edges ``(source, target, key,
    attrs)``, in order, of :func:`page_graph` of the graph ``records`` (a
    :class:`~kg.graph.GraphRecords`) stands for, found without that graph:
    None when the page draws the whole graph.  ``keep``: its
    :func:`records_page_nodes`, when found already."""
    keep = records_page_nodes(records, limit) if keep is None else keep
    if keep is None:
        return None
    nodes = sorted(keep.union(records.metrics_about(keep)), key=str)
    return ([(n, records.attrs(n)) for n in nodes],
            sorted(_page_edges(list(records.edges_among(keep)), edge_limit), key=_edge_order))


def records_page_nodes(records, limit: int | None = None) -> set | None:
    """The entities and documents the page draws of the graph ``records``
    stands for (:func:`page_graph`), None when it draws the whole graph."""
    limit = PAGE_NODE_LIMIT if limit is None else limit
    neighbours = records.neighbours()
    return _most_connected(neighbours, limit) if len(neighbours) > limit else None


def records_page_graph(records, limit: int | None = None, edge_limit: int | None = None,
                       part: tuple | None = None) -> nx.MultiDiGraph | None:
    """:func:`page_graph` of the graph ``records`` (a
    :class:`~kg.graph.GraphRecords`) stands for, made without that graph
    (from ``part``, its :func:`records_page_part`, when given): None when
    the page draws the whole graph."""
    if part is None:
        part = records_page_part(records, limit, edge_limit)
        if part is None:
            return None
    nodes, edges = part
    out = _page_part(records.graph, nodes, [])
    out.add_usual_edges((u, v, k, d["predicate"], d["weight"], d["evidence"])
                        for u, v, k, d in edges)
    return out


def _edge_order(edge: tuple) -> tuple:
    """The key of an edge ``(u, v, key, attrs)`` in the page's part: by
    source, key and target."""
    return str(edge[0]), str(edge[2]), str(edge[1])


def _most_connected(neighbours: dict, limit: int) -> set:
    """The ``limit`` nodes of ``neighbours`` (node -> how many) with the
    most (ties by id)."""
    return set(sorted(neighbours, key=lambda n: (-neighbours[n], str(n)))[:limit])


def _page_edges(edges: list, edge_limit: int | None) -> list:
    """At most ``edge_limit`` of ``edges`` ``(u, v, key, attrs)``: first
    those shown from the start, then the hidden ones by rank (the first
    by :func:`page_edge_key`)."""
    edge_limit = PAGE_EDGE_LIMIT if edge_limit is None else edge_limit
    if len(edges) > edge_limit:
        edges = sorted(edges, key=page_edge_key)[:edge_limit]
    return edges


def page_edge_key(edge: tuple) -> tuple:
    """The order in which the page keeps edges ``(u, v, key, attrs)``
    when it draws too many: those shown from the start (0) before the
    hidden ones (1), each by weight, heaviest first, then by source, key
    and target."""
    d = edge[3]
    w = d.get("weight", 1)
    return (int(str(d.get("predicate", edge[2])) in HIDDEN_PREDICATES),
            -(w if isinstance(w, (int, float)) else 1), str(edge[0]), str(edge[2]), str(edge[1]))


def _page_part(graph: dict, nodes: list, edges: list) -> nx.MultiDiGraph:
    """The graph of the part the page draws: ``nodes`` ``(node, attrs)``
    in order, ``edges`` sorted by source, key and target."""
    out = KnowledgeGraph(**graph, page_part=True)
    out.add_nodes_from(nodes)
    out.add_edges_from(sorted(edges, key=_edge_order))
    return out


def write_html(g: nx.MultiDiGraph, path, title: str = "edukg", focus=None) -> None:
    """Write :func:`render_html` of ``g`` to ``path`` as UTF-8, atomically."""
    write_all_atomic({Path(path): lambda tmp: stream_html(g, tmp, title, focus)})


# ----------------------------------------------------------- neighbourhood

def neighbourhood(g: nx.MultiDiGraph, node, hops: int = 2,
                  co_mentions: bool = False) -> nx.MultiDiGraph:
    """The part of ``g`` within ``hops`` of the entity ``node``.

    Entities are reached through entity-to-entity edges in either direction
    (co-mentions too only when ``co_mentions`` is true); then the documents
    that name or publish a reached entity and the metrics about (or placed
    in) one are added.  Every edge of ``g`` between kept nodes is kept, with
    its attributes, so the result renders like a whole graph::

        write_html(neighbourhood(g, n, 2), "around.html", title="…", focus=n)

    Raises :class:`~kg.errors.GraphError` when ``node`` is not in ``g``.
    """
    from .errors import GraphError
    if node not in g:
        raise GraphError(f"no node {node!r} in the graph")
    if hops < 0:
        raise GraphError(f"hops must be 0 or more, not {hops}")

    def is_entity(n) -> bool:
        return g.nodes[n].get("kind") not in ("document", "metric")

    reached = {node: 0}
    queue = deque([node])
    while queue:
        n = queue.popleft()
        if reached[n] >= hops:
            continue
        steps = [(v, k) for _, v, k in g.out_edges(n, keys=True)]
        steps += [(u, k) for u, _, k in g.in_edges(n, keys=True)]
        for other, key in sorted(steps, key=lambda s: (str(s[0]), str(s[1]))):
            if other in reached or not is_entity(other):
                continue
            if key == "coMentioned" and not co_mentions:
                continue
            reached[other] = reached[n] + 1
            queue.append(other)
    keep = set(reached)
    for n in reached:
        for other in list(g.predecessors(n)) + list(g.successors(n)):
            kind = g.nodes[other].get("kind")
            if kind in ("document", "metric"):
                keep.add(other)
        for doc_id in g.nodes[n].get("docs") or []:
            if f"doc:{doc_id}" in g:
                keep.add(f"doc:{doc_id}")
    sub = g.subgraph(keep)
    out = KnowledgeGraph(**g.graph)
    out.add_nodes_from(sorted(sub.nodes(data=True), key=lambda t: str(t[0])))
    out.add_edges_from(sorted(sub.edges(keys=True, data=True),
                              key=lambda t: (str(t[0]), str(t[2]), str(t[1]))))
    return out
