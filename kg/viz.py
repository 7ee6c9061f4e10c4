"""The interactive HTML view of the graph: one self-contained, offline page.

The page draws the graph with vis-network, the JavaScript library pyvis wraps.
The vis-network script and stylesheet bundled with pyvis are inlined, and the
page comes from the small template below rather than from pyvis's own one,
which links Bootstrap from a CDN, prints the heading unescaped and escapes
every Chinese character.  Nothing on the page refers to an outside URL.

Safety of text read from documents:

* node and edge data travel as one JSON block; ``<``, ``>``, ``&`` and the
  two JavaScript line separators are written as ``\\uXXXX`` escapes, so no
  name can close the ``<script>`` element it sits in;
* tooltips are small HTML fragments in which every text from a document is
  HTML-escaped, so they are safe whether vis-network shows them as text or
  as HTML (the page turns them into elements so that line breaks show);
* the legend and the heading are escaped HTML.

The same graph always gives the same bytes: nodes and edges are sorted,
edge ids are their rank, and the page holds no time stamp.

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
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import networkx as nx

from . import __version__
from .errors import KGError
from .io import write_atomic

__all__ = ["render_html", "write_html"]


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
    "mentions": ("#C8C8C8", "提及"),
    "coMentioned": ("#D0D0D0", "共现"),
    "reports": ("#A0A0A0", "载有"),
    "about": ("#A0A0A0", "关于"),
}
#: Predicates drawn thin and grey.
FAINT_PREDICATES = frozenset({"mentions", "coMentioned", "reports", "about"})
#: Predicates hidden until the reader ticks them in the legend.
HIDDEN_PREDICATES = ("mentions", "coMentioned")

#: Metric nodes are drawn only when the graph has fewer nodes than this.
METRIC_NODE_LIMIT = 2000

FONT_STACK = ('"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", '
              '"PingFang SC", sans-serif')

_GLYPHS = {"dot": "●", "triangle": "▲", "hexagon": "⬢", "diamond": "◆",
           "star": "★", "triangleDown": "▼", "square": "■", "box": "▭"}
_DOC_LABEL_CHARS = 14
_SENTENCE_CHARS = 160
_MAX_ALIASES = 10
_VIS_DIR = "templates/lib/vis-9.1.2"


# --------------------------------------------------------------------- text

def _esc(value) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape(str(value), quote=True)


def _clip(text: str, limit: int) -> str:
    """Collapse white space and cut ``text`` to ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _script_json(data) -> str:
    """JSON that is safe inside a ``<script>`` element: it cannot close it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


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
            "group": str(attrs.get("type", "")), "shape": style.shape,
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
    return {"id": node_id, "label": _clip(title, _DOC_LABEL_CHARS), "group": "document",
            "shape": DOCUMENT_STYLE.shape, "color": DOCUMENT_STYLE.colour, "size": 8,
            "font": {"size": 11, "color": "#666666"}, "title": _tooltip(title, rows)}


def _metric_node(node_id: str, attrs: dict) -> dict:
    value = attrs.get("value")
    number = f"{value:g}" if isinstance(value, (int, float)) else str(value or "")
    amount = f"{number}{attrs.get('unit', '')}" if number else ""
    rows = [("类型", METRIC_STYLE.name), ("指标", attrs.get("indicator", "")),
            ("数值", amount), ("年份", attrs.get("year") or ""),
            ("比较", attrs.get("comparator", "")),
            ("约数", "是" if attrs.get("approximate") else ""),
            ("文件", attrs.get("doc", ""))]
    label = str(attrs.get("label", node_id))
    return {"id": node_id, "label": label, "group": "metric", "shape": METRIC_STYLE.shape,
            "color": {"background": "#F2F2F2", "border": METRIC_STYLE.colour},
            "font": {"size": 10, "color": "#777777"},
            "title": _tooltip(label, rows, _first_sentence(attrs))}


def show_metrics(g: nx.MultiDiGraph) -> bool:
    """Metric nodes are drawn only for graphs under :data:`METRIC_NODE_LIMIT`."""
    return g.number_of_nodes() < METRIC_NODE_LIMIT


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


def _edge(rank: int, u: str, v: str, predicate: str, attrs: dict,
          names: dict[str, str]) -> dict:
    colour, name = PREDICATE_STYLES.get(predicate, ("#888888", predicate))
    rows = [("关系", f"{names.get(u, u)} → {names.get(v, v)}"),
            ("权重", attrs.get("weight", "")),
            ("证据数", len(attrs.get("evidence") or []))]
    edge = {"id": f"e{rank}", "from": u, "to": v, "predicate": predicate,
            "label": name, "color": {"color": colour, "opacity": 0.9},
            "width": _edge_width(predicate, attrs.get("weight", 1)),
            "title": _tooltip(f"{name}（{predicate}）", rows, _first_sentence(attrs))}
    if predicate in HIDDEN_PREDICATES:
        edge["hidden"] = True
    if predicate == "coMentioned":
        edge["physics"] = False
        edge["dashes"] = True
    return edge


def build_edges(g: nx.MultiDiGraph, drawn: set[str]) -> list[dict]:
    """vis-network edge dicts between drawn nodes, sorted, with stable ids."""
    names = {str(n): str(a.get("label", n)) for n, a in g.nodes(data=True)}
    triples = sorted(((str(u), str(attrs.get("predicate", k)), str(v), attrs)
                      for u, v, k, attrs in g.edges(keys=True, data=True)
                      if str(u) in drawn and str(v) in drawn),
                     key=lambda t: t[:3])
    return [_edge(rank, u, v, p, attrs, names) for rank, (u, p, v, attrs) in enumerate(triples)]


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
    """The legend box: node kinds with counts, relation colours, toggles."""
    items = []
    for key, style, count in _legend_rows(g):
        english = "" if key in ("document", "metric") else f' <span class="kg-en">{_esc(key)}</span>'
        note = "（节点过多，未绘出）" if key == "metric" and count and not show_metrics(g) else ""
        items.append(f'<li data-type="{_esc(key)}" data-count="{count}">'
                     f'<span class="kg-glyph" style="color:{_esc(style.colour)}">'
                     f'{_GLYPHS.get(style.shape, "●")}</span> {_esc(style.name)}{english} '
                     f'<b>{count}</b>{_esc(note)}</li>')
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
    return ('<aside id="kg-legend" aria-label="图例"><h2>图例</h2>'
            f'<ul class="kg-types">{"".join(items)}</ul>'
            f'<h2>关系</h2><ul class="kg-rels">{"".join(relations)}</ul></aside>')


# ----------------------------------------------------------------- options

def build_options(n_nodes: int) -> dict:
    """vis-network options: seeded layout, forceAtlas2 with stabilisation."""
    return {
        "layout": {"randomSeed": 7, "improvedLayout": n_nodes <= 150},
        "physics": {
            "enabled": True,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -60, "centralGravity": 0.01,
                                 "springLength": 110, "springConstant": 0.08,
                                 "avoidOverlap": 0.3},
            "stabilization": {"enabled": True, "iterations": 600,
                              "updateInterval": 25, "fit": True},
            "minVelocity": 0.75,
        },
        "nodes": {"font": {"face": FONT_STACK}, "borderWidth": 1},
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
                  "smooth": {"type": "continuous"},
                  "font": {"face": FONT_STACK, "size": 10, "color": "#555555",
                           "strokeWidth": 3, "align": "middle"}},
        "interaction": {"hover": True, "tooltipDelay": 150,
                        "hideEdgesOnDrag": n_nodes > 500, "keyboard": False},
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


_CSS = """
html, body { margin: 0; height: 100%; }
body { font-family: FONTS; color: #222; background: #fff; }
header { padding: 8px 16px; border-bottom: 1px solid #ddd; }
header h1 { font-size: 18px; margin: 0; }
header p { font-size: 12px; color: #666; margin: 2px 0 0; }
#kg-network { position: absolute; top: 58px; left: 0; right: 0; bottom: 0; }
#kg-legend { position: fixed; top: 68px; right: 12px; z-index: 10; max-width: 260px;
  background: rgba(255,255,255,0.94); border: 1px solid #ccc; border-radius: 6px;
  padding: 6px 10px; font-size: 12px; box-shadow: 0 1px 4px rgba(0,0,0,0.15); }
#kg-legend h2 { font-size: 13px; margin: 4px 0; }
#kg-legend ul { list-style: none; margin: 0 0 4px; padding: 0; }
#kg-legend li { margin: 2px 0; white-space: nowrap; }
#kg-legend label { color: #555; cursor: pointer; }
.kg-glyph { display: inline-block; width: 1.2em; text-align: center; }
.kg-line { display: inline-block; width: 18px; height: 3px; vertical-align: middle; }
.kg-en { color: #888; }
div.vis-tooltip { font-family: FONTS; font-size: 13px; white-space: normal;
  max-width: 380px; line-height: 1.5; }
.kg-ev { margin-top: 4px; color: #444; }
""".replace("FONTS", FONT_STACK)

_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("kg-data").textContent);
  function tip(escapedHtml) {
    var div = document.createElement("div");
    div.className = "kg-tip";
    div.innerHTML = escapedHtml;
    return div;
  }
  data.nodes.forEach(function (n) { if (n.title) { n.title = tip(n.title); } });
  data.edges.forEach(function (e) { if (e.title) { e.title = tip(e.title); } });
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var network = new vis.Network(document.getElementById("kg-network"),
                                {nodes: nodes, edges: edges}, data.options);
  network.once("stabilizationIterationsDone", () => network.setOptions({physics: false}));
  document.querySelectorAll("#kg-legend input[data-predicate]").forEach(function (box) {
    box.addEventListener("change", function () {
      var predicate = box.getAttribute("data-predicate");
      var chosen = edges.get({filter: function (e) { return e.predicate === predicate; }});
      edges.update(chosen.map(function (e) { return {id: e.id, hidden: !box.checked}; }));
    });
  });
  window.kgNetwork = network;
})();
"""


def _summary(g: nx.MultiDiGraph) -> str:
    kinds = [a.get("kind") for _, a in g.nodes(data=True)]
    entities = sum(1 for k in kinds if k not in ("document", "metric"))
    return (f"{entities} 个实体 · {kinds.count('document')} 份文件 · "
            f"{kinds.count('metric')} 个指标 · {g.number_of_edges()} 条边 · "
            "悬停查看证据，勾选图例显示“提及”“共现”关系")


def assemble_page(title: str, summary: str, legend: str, data: dict) -> str:
    """The whole HTML page; ``legend`` is ready HTML, the rest is escaped here."""
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="edukg {_esc(__version__)}">',
        f"<title>{_esc(title)}</title>",
        f"<style>{_vis_asset('vis-network.css')}</style>",
        f"<style>{_CSS}</style>",
        f"<script>{_vis_asset('vis-network.min.js')}\n</script>",
        "</head>",
        "<body>",
        f"<header><h1>{_esc(title)}</h1><p>{_esc(summary)}</p></header>",
        '<div id="kg-network"></div>',
        legend,
        f'<script type="application/json" id="kg-data">{_script_json(data)}</script>',
        f"<script>{_SCRIPT}</script>",
        "</body>",
        "</html>",
        "",
    ])


def render_html(g: nx.MultiDiGraph, title: str = "edukg") -> str:
    """The interactive, self-contained HTML page of ``g``.

    Parameters
    ----------
    g : networkx.MultiDiGraph
        A graph as built by :func:`kg.graph.build_graph`.
    title : str
        Page title and heading.

    Returns
    -------
    str
        The page; identical for identical graphs, with no outside URL.
    """
    nodes = build_nodes(g)
    edges = build_edges(g, {n["id"] for n in nodes})
    data = {"nodes": nodes, "edges": edges, "options": build_options(len(nodes))}
    return assemble_page(title, _summary(g), build_legend(g, edges), data)


def write_html(g: nx.MultiDiGraph, path, title: str = "edukg") -> None:
    """Write :func:`render_html` of ``g`` to ``path`` as UTF-8, atomically."""
    write_atomic(Path(path), render_html(g, title))
