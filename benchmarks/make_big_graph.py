"""A generated edukg graph of a chosen size, for timing the HTML page.

Run ``python benchmarks/make_big_graph.py [N] [OUT.html]`` to write the page
of an ``N``-node graph (5,000 by default) and print how long the layout and
the page took.  :func:`make_big_graph` is also used by the browser tests.

The graph has the shape of a real build: documents that mention entities of
the six types, evidence sentences whose offsets are consistent, structural
relations, co-mentions and metrics (metrics are not drawn above 2,000
nodes but show in the side panel).
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import networkx as nx

_SYLLABLES = ("华 明 新 东 西 南 北 中 安 平 和 兴 文 德 春 秋 光 阳 青 山 江 河 湖 海 "
              "林 石 金 玉 宁 远 星 云 松 梅 竹 兰 清 泉 溪 桥").split()
_SUFFIXES = {
    "Place": ("区", "县", "镇", "街道", "乡"),
    "Agency": ("教育局", "教育发展中心", "教研室", "财政局", "人民政府"),
    "School": ("小学", "中学", "幼儿园", "实验学校", "职业技术学校"),
    "Programme": ("教育发展规划", "行动计划", "实施方案", "工作要点", "三年行动纲要"),
    "Initiative": ("教育共同体", "集团化办学", "名师工程", "智慧校园建设", "课后服务"),
    "Event": ("教育论坛", "教学比赛", "开学典礼", "研学活动", "科技节"),
}
_SHARES = (("Place", 0.06), ("Agency", 0.12), ("School", 0.36), ("Programme", 0.1),
           ("Initiative", 0.28), ("Event", 0.08))
_TEMPLATES = ("{a}认真落实{b}，全面推进教育高质量发展。",
              "{a}与{b}联合开展专项工作，取得明显成效。",
              "据统计，{a}在{b}中表现突出，获得表彰。",
              "会议要求{a}进一步深化{b}，做到常态长效。")


def make_big_graph(n: int = 5000, seed: int = 0, n_docs: int = 60,
                   n_metrics: int = 400) -> nx.MultiDiGraph:
    """A graph of ``n`` drawn nodes (``n_docs`` documents, the rest entities)
    plus ``n_metrics`` metric nodes; the same arguments give the same graph."""
    rnd = random.Random(seed)
    g = nx.MultiDiGraph(format="edukg-graph/1", version="bench")
    docs = [f"b{i:03d}" for i in range(n_docs)]
    text_len = {d: 0 for d in docs}
    for i, d in enumerate(docs):
        year = 2015 + i % 10
        g.add_node(f"doc:{d}", kind="document", doc_id=d, label=f"第{i}号文件",
                   title=f"关于推进第{i}批教育改革试点工作的通知", date=f"{year}-03-{1 + i % 28:02d}",
                   year=year, path=f"{d}.txt", publisher="", place="")
    names: set[str] = set()
    ents: list[tuple[str, str, str]] = []
    n_ent = n - n_docs
    for etype, share in _SHARES:
        count = round(n_ent * share) if etype != "Event" else n_ent - len(ents)
        for j in range(count):
            while True:
                name = "".join(rnd.choice(_SYLLABLES) for _ in range(rnd.randint(2, 4)))
                name += rnd.choice(_SUFFIXES[etype])
                if name not in names:
                    names.add(name)
                    break
            ents.append((f"{etype.lower()}-{j:05d}", etype, name))
    by_type: dict[str, list[str]] = {}
    label = {}
    for eid, etype, name in ents:
        by_type.setdefault(etype, []).append(eid)
        label[eid] = name
    evidence: dict[str, list[dict]] = {eid: [] for eid, _, _ in ents}
    edges: dict[tuple[str, str, str], list[dict]] = {}

    def sentence(doc: str, a: str, b: str) -> tuple[dict, dict, dict]:
        tpl = rnd.choice(_TEMPLATES)
        text = tpl.format(a=label[a], b=label[b])
        start = text_len[doc]
        text_len[doc] += len(text)
        ia = tpl.index("{a}")
        ib = text.index(label[b], ia + len(label[a]))
        eva = {"doc": doc, "start": start + ia, "end": start + ia + len(label[a]), "sentence": text}
        evb = {"doc": doc, "start": start + ib, "end": start + ib + len(label[b]), "sentence": text}
        whole = {"doc": doc, "start": start, "end": start + len(text), "sentence": text}
        return eva, evb, whole

    def relate(u: str, p: str, v: str, ev: dict) -> None:
        edges.setdefault((u, p, v), []).append(ev)

    rules = (("School", "locatedIn", "Place"), ("Agency", "locatedIn", "Place"),
             ("Programme", "issuedBy", "Agency"), ("Agency", "implements", "Initiative"),
             ("School", "participatesIn", "Initiative"), ("Event", "locatedIn", "Place"),
             ("Initiative", "componentOf", "Programme"))
    for eid, etype, _ in ents:
        for _ in range(rnd.randint(1, 3)):
            doc = rnd.choice(docs)
            choices = [r for r in rules if etype in (r[0], r[2])]
            subj_t, pred, obj_t = rnd.choice(choices)
            other = rnd.choice(by_type[obj_t if etype == subj_t else subj_t])
            u, v = (eid, other) if etype == subj_t else (other, eid)
            if u == v:
                continue
            eva, evb, whole = sentence(doc, u, v)
            evidence[u].append(eva)
            evidence[v].append(evb)
            relate(u, pred, v, eva)
            a, b = sorted((u, v))
            relate(a, "coMentioned", b, whole)
            relate(f"doc:{doc}", "mentions", u, eva)
            relate(f"doc:{doc}", "mentions", v, evb)
    places = by_type["Place"]
    for i, p in enumerate(places[1:], 1):
        relate(p, "partOf", places[rnd.randrange(0, max(1, i // 4))], {})
    for d in docs:
        relate(f"doc:{d}", "publishedBy", rnd.choice(by_type["Agency"]), {})
    for eid, etype, name in ents:
        ev = sorted(evidence[eid], key=lambda e: (e["doc"], e["start"]))
        aliases = [name[:2] + name[-2:]] if len(name) > 5 and rnd.random() < 0.3 else []
        g.add_node(eid, kind="entity", type=etype, label=name, aliases=aliases, notation="",
                   docs=sorted({e["doc"] for e in ev}), evidence=ev)
    for (u, p, v), evs in sorted(edges.items()):
        g.add_edge(u, v, key=p, predicate=p, weight=len(evs) or 1,
                   evidence=[e for e in evs if e])
    for i in range(n_metrics):
        about = rnd.choice(by_type["Initiative"] + by_type["School"])
        doc = rnd.choice(docs)
        value = rnd.randint(2, 300)
        text = f"{label[about]}建成{value}所"
        start = text_len[doc]
        text_len[doc] += len(text) + 1
        ev = [{"doc": doc, "start": start + len(label[about]) + 2,
               "end": start + len(text), "sentence": text + "。"}]
        mid = f"metric-{i:05d}"
        g.add_node(mid, kind="metric", label=f"{value}所", value=float(value), unit="所",
                   indicator="建成学校", year=2015 + i % 10, comparator="eq",
                   approximate=False, doc=doc, about=about, status="result", place="",
                   evidence=ev)
        g.add_edge(f"doc:{doc}", mid, key="reports", predicate="reports", weight=1, evidence=ev)
        g.add_edge(mid, about, key="about", predicate="about", weight=1, evidence=ev)
    return g


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from kg.viz import render_html
    n = int(argv[1]) if len(argv) > 1 else 5000
    out = Path(argv[2]) if len(argv) > 2 else Path(f"big-{n}.html")
    t0 = time.perf_counter()
    g = make_big_graph(n)
    t1 = time.perf_counter()
    page = render_html(g, title=f"{n} 个节点")
    t2 = time.perf_counter()
    out.write_text(page, "utf-8")
    print(f"graph: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges, {t1 - t0:.2f}s; "
          f"page: {len(page.encode('utf-8')) / 1e6:.1f} MB in {t2 - t1:.2f}s -> {out}")


if __name__ == "__main__":
    main(sys.argv)
