(function () {
  "use strict";
  // Every text read from a document reaches the page through textContent or
  // a text node; only node tooltips, escaped HTML made in Python, are parsed.
  var timings = {start: performance.now()};
  var data = JSON.parse(document.getElementById("kg-data").textContent);
  timings.parsed = performance.now();
  var info = data.info, sentences = data.sentences, docs = data.docs;
  var types = data.types, predicates = data.predicates;
  var kg = window.kg = {ready: false, timings: timings};

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function tip(escapedHtml) {
    var div = document.createElement("div");
    div.className = "kg-tip";
    div.innerHTML = escapedHtml;
    return div;
  }

  // ---------------------------------------------------------------- graph
  var titles = {};
  data.nodes.forEach(function (n) { titles[n.id] = n.title; delete n.title; });
  data.edges.forEach(function (e) {
    var s = data.edge_styles[e.predicate];
    e.color = s.color; e.label = s.label;
    if (s.dashes) { e.dashes = true; }
    if (s.physics === false) { e.physics = false; }
  });
  var drawn = {};
  data.nodes.forEach(function (n) { drawn[n.id] = true; });
  // an edge's id: its ends and predicate (one more edge renumbers none)
  var edgeById = {}, adjacency = {};
  data.edges.forEach(function (e) {
    var id = e.from + "\u001f" + e.predicate + "\u001f" + e.to, n = 1;
    while (edgeById[id + (n > 1 ? "\u001f" + n : "")]) { n += 1; }
    e.id = id + (n > 1 ? "\u001f" + n : "");
    edgeById[e.id] = e;
    (adjacency[e.from] = adjacency[e.from] || []).push(e);
    if (e.to !== e.from) { (adjacency[e.to] = adjacency[e.to] || []).push(e); }
  });
  timings.prepared = performance.now();
  var nodes = new vis.DataSet(data.nodes);
  // Edges hidden by default (mentions, co-mentions) join the network only
  // when their box in the legend is ticked: a big graph opens faster.
  var edges = new vis.DataSet(data.edges.filter(function (e) { return !e.hidden; }));
  var network = new vis.Network(document.getElementById("kg-network"),
                                {nodes: nodes, edges: edges}, data.options);
  network.once("stabilizationIterationsDone", () => network.setOptions({physics: false}));
  if (!data.options.physics.enabled) { network.fit({animation: false}); }
  timings.network = performance.now();
  kg.network = network; kg.nodes = nodes; kg.edges = edges;
  window.kgNetwork = network;

  // Tooltips are made when first needed: a node's from its escaped HTML,
  // an edge's from its data, as text.
  network.on("hoverNode", function (p) {
    if (typeof titles[p.node] === "string") {
      nodes.update({id: p.node, title: tip(titles[p.node])});
      titles[p.node] = true;
    }
  });
  network.on("hoverEdge", function (p) {
    var e = edgeById[p.edge];
    if (!e || e.tipped) { return; }
    e.tipped = true;
    var div = el("div", "kg-tip");
    div.appendChild(el("b", null, predicateName(e.predicate) + "（" + e.predicate + "）"));
    [["关系", info[e.from].name + " → " + info[e.to].name], ["权重", e.weight || 1],
     ["证据数", e.evn || 0]].forEach(function (row) {
      div.appendChild(el("br"));
      div.appendChild(document.createTextNode(row[0] + "：" + row[1]));
    });
    if (e.ev && e.ev.length) {
      var text = sentences[e.ev[0][0]][e.ev[0][1]];
      div.appendChild(el("div", "kg-ev", "例句：" + (text.length > 160 ? text.slice(0, 159) + "…" : text)));
    }
    edges.update({id: e.id, title: div});
  });
  function hideTooltips() {
    document.querySelectorAll("div.vis-tooltip").forEach(function (t) { t.style.visibility = "hidden"; });
  }
  document.getElementById("kg-network").addEventListener("mouseleave", hideTooltips);
  // Arrows cost most of a frame on big graphs: drawn only when zoomed in.
  var arrowsOn = data.options.edges.arrows.to.enabled;
  function updateArrows() {
    var on = data.nodes.length <= 1000 || network.getScale() >= 0.45;
    if (on !== arrowsOn) {
      arrowsOn = on;
      network.setOptions({edges: {arrows: {to: {enabled: on, scaleFactor: 0.5}}}});
    }
  }
  network.on("zoom", updateArrows);
  network.on("animationFinished", updateArrows);

  // --------------------------------------------------------------- filters
  var typeBoxes = document.querySelectorAll("#kg-legend input[data-filter-type]");
  var docSelect = document.getElementById("kg-doc");
  var yearSelect = document.getElementById("kg-year");
  var status = document.getElementById("kg-status");
  var pinned = {}, hiddenNow = {};

  var years = {};
  Object.keys(docs).sort(function (a, b) {
    var x = docs[a], y = docs[b];
    return (x.date < y.date ? -1 : x.date > y.date ? 1 : a < b ? -1 : a > b ? 1 : 0);
  }).forEach(function (id) {
    var d = docs[id];
    var label = (d.date ? d.date + " " : "") + d.title + "（" + id + "）";
    var opt = el("option", null, label);
    opt.value = id;
    docSelect.appendChild(opt);
    if (d.year) { years[d.year] = (years[d.year] || 0) + 1; }
  });
  Object.keys(years).sort().forEach(function (y) {
    var opt = el("option", null, y + " 年（" + years[y] + " 份文件）");
    opt.value = y;
    yearSelect.appendChild(opt);
  });

  function typeKey(id) {
    var i = info[id];
    return i.kind === "entity" ? i.type : i.kind;
  }
  function docsOf(id) {
    var i = info[id];
    if (i.kind === "entity") { return i.docs; }
    return i.doc ? [i.doc] : [];
  }
  function visible(id, on) {
    if (pinned[id]) { return true; }
    if (!on[typeKey(id)]) { return false; }
    var doc = docSelect.value, year = yearSelect.value;
    if (!doc && !year) { return true; }
    return docsOf(id).some(function (d) {
      return (!doc || d === doc) && (!year || (docs[d] && String(docs[d].year) === year));
    });
  }
  function applyFilters() {
    var on = {}, shown = 0, changes = [];
    typeBoxes.forEach(function (box) { on[box.getAttribute("data-filter-type")] = box.checked; });
    data.nodes.forEach(function (n) {
      var hide = !visible(n.id, on);
      if (!hide) { shown += 1; }
      if (hide !== !!hiddenNow[n.id]) {
        hiddenNow[n.id] = hide;
        changes.push({id: n.id, hidden: hide});
      }
    });
    if (changes.length) { nodes.update(changes); }
    status.textContent = "显示 " + shown + " / " + data.nodes.length + " 个节点";
  }
  typeBoxes.forEach(function (box) { box.addEventListener("change", applyFilters); });
  docSelect.addEventListener("change", applyFilters);
  yearSelect.addEventListener("change", applyFilters);
  document.getElementById("kg-reset").addEventListener("click", function () {
    typeBoxes.forEach(function (box) { box.checked = true; });
    docSelect.value = ""; yearSelect.value = ""; pinned = {};
    applyFilters();
  });
  document.querySelectorAll("#kg-legend input[data-predicate]").forEach(function (box) {
    box.addEventListener("change", function () {
      var predicate = box.getAttribute("data-predicate");
      var chosen = data.edges.filter(function (e) { return e.predicate === predicate; });
      if (box.checked) {
        edges.update(chosen.map(function (e) {
          var copy = Object.assign({}, e);
          copy.hidden = false;
          delete copy.ev;
          return copy;
        }));
      } else {
        edges.remove(chosen.map(function (e) { return e.id; }));
      }
    });
  });
  applyFilters();

  // ---------------------------------------------------------------- search
  function norm(s) {
    return String(s).toLowerCase().replace(/[\s《》〈〉“”‘’"'「」『』【】()（）·・]/g, "");
  }
  var index = [];
  Object.keys(info).forEach(function (id) {
    if (!drawn[id]) { return; }
    var i = info[id];
    if (i.kind === "entity") {
      index.push([norm(i.name), id, i.name, 0]);
      i.aliases.forEach(function (a) { index.push([norm(a), id, a, 1]); });
    } else if (i.kind === "document") {
      index.push([norm(i.name), id, i.name, 0]);
      index.push([norm(i.doc), id, i.doc, 1]);
    } else {
      index.push([norm(i.name), id, i.name, 2]);
    }
  });
  function search(query) {
    var q = norm(query), best = {};
    if (!q) { return []; }
    index.forEach(function (row) {
      var at = row[0].indexOf(q);
      if (at < 0) { return; }
      var rank = row[0] === q ? row[3] : (at === 0 ? 3 : 4) + (row[3] === 2 ? 2 : 0);
      var old = best[row[1]];
      if (!old || rank < old.rank) { best[row[1]] = {id: row[1], rank: rank, form: row[2]}; }
    });
    return Object.keys(best).map(function (k) { return best[k]; }).sort(function (a, b) {
      var x = info[a.id].name, y = info[b.id].name;
      return a.rank - b.rank || x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
    });
  }
  kg.search = search;
  var box = document.getElementById("kg-q");
  var list = document.getElementById("kg-results");
  var hits = [], active = -1, timer = null, lastQuery = null;

  function glyph(id) {
    var t = types[typeKey(id)] || types[""];
    var g = el("span", "kg-glyph", t[1]);
    g.style.color = t[0];
    return g;
  }
  function typeName(id) {
    var t = types[typeKey(id)] || types[""];
    var i = info[id];
    return t[2] + (i.kind === "entity" && i.type ? " " + i.type : "");
  }
  function showResults() {
    list.textContent = "";
    if (!box.value.trim()) { list.hidden = true; return; }
    if (!hits.length) {
      list.appendChild(el("li", "kg-empty", "没有找到"));
    }
    hits.slice(0, 30).forEach(function (h, k) {
      var li = el("li", k === active ? "kg-active" : "");
      li.setAttribute("data-id", h.id);
      li.appendChild(glyph(h.id));
      li.appendChild(document.createTextNode(" " + info[h.id].name));
      if (h.form !== info[h.id].name) {
        li.appendChild(el("span", "kg-small", "（" + h.form + "）"));
      }
      li.appendChild(el("span", "kg-small", typeName(h.id)));
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); select(h.id); });
      list.appendChild(li);
    });
    if (hits.length > 30) { list.appendChild(el("li", "kg-empty", "… 共 " + hits.length + " 个")); }
    list.hidden = false;
  }
  function runSearch() {
    lastQuery = box.value;
    hits = search(box.value);
    active = hits.length ? 0 : -1;
    showResults();
    var exact = hits.filter(function (h) { return h.rank <= 1; });
    if (hits.length === 1 || exact.length === 1) { select((exact[0] || hits[0]).id, hits.length > 1); }
  }
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(runSearch, 120);
  });
  box.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      if (!hits.length) { return; }
      ev.preventDefault();
      active = (active + (ev.key === "ArrowDown" ? 1 : -1) + Math.min(hits.length, 30)) %
               Math.min(hits.length, 30);
      showResults();
    } else if (ev.key === "Enter") {
      clearTimeout(timer);
      if (box.value !== lastQuery) { lastQuery = box.value; hits = search(box.value); active = 0; }
      if (hits.length) { select(hits[Math.max(active, 0)].id); list.hidden = true; }
    } else if (ev.key === "Escape") {
      list.hidden = true;
    }
  });
  box.addEventListener("focus", function () { if (box.value.trim()) { showResults(); } });
  box.addEventListener("blur", function () { list.hidden = true; });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "/" && document.activeElement !== box &&
        !/^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName)) {
      ev.preventDefault();
      box.focus();
    }
  });

  // ------------------------------------------------------------ selection
  function select(id, keepList) {
    if (!drawn[id]) { return; }
    if (hiddenNow[id]) { pinned[id] = true; applyFilters(); }
    network.selectNodes([id]);
    network.focus(id, {scale: Math.max(network.getScale(), 1.0),
                       animation: {duration: 350, easingFunction: "easeInOutQuad"}});
    showNode(id);
    if (!keepList) { list.hidden = true; }
  }
  kg.select = select;
  network.on("click", function (p) {
    if (p.nodes.length) { showNode(p.nodes[0]); }
    else if (p.edges.length) { showEdge(p.edges[0]); }
  });

  // ----------------------------------------------------------------- panel
  var panel = document.getElementById("kg-panel");
  var body = document.getElementById("kg-panel-body");
  document.getElementById("kg-close").addEventListener("click", function () {
    panel.hidden = true;
    network.unselectAll();
  });

  function link(id, text) {
    var span = el("span");
    if (!info[id]) { span.textContent = text || id; return span; }
    span.appendChild(glyph(id));
    if (drawn[id]) {
      var b = el("button", "kg-link", text || info[id].name);
      b.type = "button";
      b.setAttribute("data-id", id);
      b.addEventListener("click", function () { select(id); });
      span.appendChild(b);
    } else {
      span.appendChild(el("span", null, text || info[id].name));
    }
    return span;
  }
  function docLine(docId) {
    var d = docs[docId], p = el("div", "kg-doc");
    if (d) {
      p.appendChild(link(d.node, d.title));
      p.appendChild(el("span", "kg-small", docId + (d.date ? " · " + d.date : "")));
    } else {
      p.textContent = docId;
    }
    return p;
  }
  function sentenceEl(item) {
    var text = sentences[item[0]][item[1]], p = el("p", "kg-sent"), pos = 0;
    for (var k = 2; k + 1 < item.length; k += 2) {
      var a = item[k], b = item[k + 1];
      if (a < pos || b > text.length) { continue; }
      p.appendChild(document.createTextNode(text.slice(pos, a)));
      p.appendChild(el("mark", null, text.slice(a, b)));
      pos = b;
    }
    p.appendChild(document.createTextNode(text.slice(pos)));
    return p;
  }
  function evidenceList(items, total, limit) {
    var wrap = el("div");
    function draw(n) {
      wrap.textContent = "";
      items.slice(0, n).forEach(function (item) {
        var box = el("div", "kg-evi");
        box.appendChild(docLine(item[0]));
        box.appendChild(sentenceEl(item));
        wrap.appendChild(box);
      });
      if (items.length > n) {
        var more = el("button", "kg-link kg-more", "显示全部 " + items.length + " 条");
        more.type = "button";
        more.addEventListener("click", function () { draw(items.length); });
        wrap.appendChild(more);
      }
      if (total > items.length) {
        wrap.appendChild(el("p", "kg-small", "（共 " + total + " 条，页面收录前 " + items.length + " 条）"));
      }
    }
    draw(limit || 10);
    return wrap;
  }
  function section(title, count) {
    var h = el("h3", null, title);
    h.setAttribute("data-section", title);
    if (count !== undefined) { h.appendChild(el("span", "kg-small", String(count))); }
    body.appendChild(h);
  }
  function header(id) {
    var i = info[id], head = el("div", "kg-panel-head");
    var kind = el("div", "kg-kind");
    kind.appendChild(glyph(id));
    kind.appendChild(document.createTextNode(" " + typeName(id)));
    head.appendChild(kind);
    head.appendChild(el("h2", null, i.name));
    head.appendChild(el("div", "kg-id", id));
    body.appendChild(head);
  }
  function open(kind, id) {
    hideTooltips();
    body.textContent = "";
    panel.hidden = false;
    panel.setAttribute("data-kind", kind);
    panel.setAttribute("data-id", id);
    panel.scrollTop = 0;
  }
  function predicateName(p) {
    var s = predicates[p];
    return s ? s[1] : p;
  }
  function relations(id) {
    var groups = {}, order = [];
    (adjacency[id] || []).forEach(function (e) {
      var out = e.from === id, other = out ? e.to : e.from;
      if (info[other] && info[other].kind !== "entity" && e.predicate !== "publishedBy") { return; }
      var key = (e.predicate === "coMentioned" ? "~ " : out ? "→ " : "← ") + e.predicate;
      if (!groups[key]) { groups[key] = []; order.push(key); }
      groups[key].push({edge: e, other: other, out: out});
    });
    order.sort(function (a, b) {
      var ca = a.indexOf("coMentioned") >= 0, cb = b.indexOf("coMentioned") >= 0;
      return ca - cb || (a < b ? -1 : a > b ? 1 : 0);
    });
    if (!order.length) { return; }
    section("关系");
    order.forEach(function (key) {
      var rows = groups[key], p = key.slice(2), out = key[0] === "→", both = key[0] === "~";
      rows.sort(function (a, b) {
        return (b.edge.weight || 1) - (a.edge.weight || 1) ||
               (info[a.other].name < info[b.other].name ? -1 : 1);
      });
      var h = el("div", "kg-kind", both ? predicateName(p) + " " :
                 out ? predicateName(p) + " → " : "← " + predicateName(p) + " ");
      h.appendChild(el("span", "kg-en", (out || both ? "" : "^") + p + " · " + rows.length));
      h.setAttribute("data-predicate", p);
      body.appendChild(h);
      var ul = el("ul");
      function fill(n) {
        ul.textContent = "";
        rows.slice(0, n).forEach(function (r) {
          var li = el("li");
          li.appendChild(el("span", "kg-small", both ? "~" : out ? "→" : "←"));
          li.appendChild(link(r.other));
          var ev = el("button", "kg-link kg-small",
                      "证据 " + (r.edge.evn || 0) + (r.edge.weight > 1 ? " · 权重 " + r.edge.weight : ""));
          ev.type = "button";
          ev.setAttribute("data-edge", r.edge.id);
          ev.addEventListener("click", function () { showEdge(r.edge.id); });
          li.appendChild(ev);
          ul.appendChild(li);
        });
        if (rows.length > n) {
          var li = el("li"), more = el("button", "kg-link kg-more", "显示全部 " + rows.length + " 个");
          more.type = "button";
          more.addEventListener("click", function () { fill(rows.length); });
          li.appendChild(more);
          ul.appendChild(li);
        }
      }
      fill(p === "coMentioned" ? 10 : 25);
      body.appendChild(ul);
    });
  }
  var COMPARATORS = {ge: "≥", gt: ">", le: "≤", lt: "<", increase: "增加", decrease: "减少"};
  function amount(m) {
    var c = m.comparator && m.comparator !== "eq" ? (COMPARATORS[m.comparator] || m.comparator) + " " : "";
    return c + m.value + m.unit + (m.approximate ? "（约）" : "");
  }
  function statusName(s) { return s === "target" ? "目标" : s === "result" ? "结果" : s; }
  function metricsTable(ids) {
    var table = el("table", "kg-metrics"), head = el("tr");
    ["数值", "指标", "年份", "状态", "文件"].forEach(function (t) { head.appendChild(el("th", null, t)); });
    table.appendChild(head);
    ids.forEach(function (mid) {
      var m = info[mid], tr = el("tr");
      var value = el("td");
      value.appendChild(link(mid, amount(m)));
      tr.appendChild(value);
      tr.appendChild(el("td", null, m.indicator));
      tr.appendChild(el("td", null, m.year || ""));
      tr.appendChild(el("td", null, statusName(m.status)));
      tr.appendChild(el("td", "kg-small", docs[m.doc] ? docs[m.doc].title : m.doc));
      table.appendChild(tr);
    });
    return table;
  }
  function showNode(id) {
    var i = info[id];
    if (!i) { return; }
    open("node", id);
    header(id);
    if (i.kind === "entity") {
      if (i.aliases.length) {
        section("别名", i.aliases.length);
        var al = el("div");
        i.aliases.forEach(function (a) { al.appendChild(el("span", "kg-chip", a)); });
        body.appendChild(al);
      }
      if (i.notation) { section("行政区划代码"); body.appendChild(el("div", null, i.notation)); }
      relations(id);
      if (i.metrics.length) { section("指标", i.metrics.length); body.appendChild(metricsTable(i.metrics)); }
      if (i.docs.length) {
        section("文件", i.docs.length);
        i.docs.forEach(function (d) { body.appendChild(docLine(d)); });
      }
      section("证据", i.evn);
      body.appendChild(evidenceList(i.ev, i.evn, 10));
    } else if (i.kind === "document") {
      var facts = el("ul");
      [["编号", i.doc], ["日期", i.date]].forEach(function (f) {
        if (f[1]) { facts.appendChild(el("li", null, f[0] + "：" + f[1])); }
      });
      [["发布机构", i.publisher], ["地区", i.place]].forEach(function (f) {
        if (f[1]) { var li = el("li", null, f[0] + "："); li.appendChild(link(f[1])); facts.appendChild(li); }
      });
      body.appendChild(facts);
      var named = {}, reported = [];
      (adjacency[id] || []).forEach(function (e) {
        if (e.from !== id) { return; }
        if (e.predicate === "mentions") { (named[typeKey(e.to)] = named[typeKey(e.to)] || []).push(e.to); }
        if (e.predicate === "reports") { reported.push(e.to); }
      });
      Object.keys(info).forEach(function (mid) {
        var m = info[mid];
        if (m.kind === "metric" && m.doc === i.doc && !drawn[mid]) { reported.push(mid); }
      });
      Object.keys(named).sort().forEach(function (t) {
        section("提及的" + (types[t] || types[""])[2], named[t].length);
        var ul = el("div");
        named[t].forEach(function (x) { ul.appendChild(link(x)); ul.appendChild(document.createTextNode(" ")); });
        body.appendChild(ul);
      });
      if (reported.length) { section("指标", reported.length); body.appendChild(metricsTable(reported)); }
    } else {
      var mf = el("ul");
      [["数值", amount(i)], ["指标", i.indicator], ["年份", i.year || ""], ["状态", statusName(i.status)]].forEach(function (f) { if (f[1]) { mf.appendChild(el("li", null, f[0] + "：" + f[1])); } });
      [["关于", i.about], ["地区", i.place]].forEach(function (f) {
        if (f[1]) { var li = el("li", null, f[0] + "："); li.appendChild(link(f[1])); mf.appendChild(li); }
      });
      body.appendChild(mf);
      if (i.doc) { body.appendChild(docLine(i.doc)); }
      section("证据", i.evn);
      body.appendChild(evidenceList(i.ev, i.evn, 10));
    }
  }
  function showEdge(eid) {
    var e = edgeById[eid];
    if (!e) { return; }
    open("edge", eid);
    var head = el("div", "kg-panel-head"), kind = el("div", "kg-kind", "关系 ");
    kind.appendChild(el("span", "kg-en", e.predicate));
    head.appendChild(kind);
    var h = el("h2");
    h.appendChild(link(e.from));
    h.appendChild(el("span", null, " " + predicateName(e.predicate) + " → "));
    h.appendChild(link(e.to));
    head.appendChild(h);
    body.appendChild(head);
    if (e.weight > 1) { body.appendChild(el("div", "kg-small", "权重 " + e.weight)); }
    section("证据", e.evn);
    if (e.ev.length) { body.appendChild(evidenceList(e.ev, e.evn, 10)); }
    else { body.appendChild(el("p", "kg-small", "（无原文证据：由地名库或文件信息得出）")); }
    if (edges.get(eid)) { network.selectEdges([eid]); }
  }
  kg.showNode = showNode;
  kg.showEdge = showEdge;

  // ----------------------------------------------------------------- ready
  network.once("afterDrawing", function () {
    kg.ready = true;
    kg.readyMs = Math.round(performance.now());
    timings.drawn = performance.now();
    document.body.setAttribute("data-ready", "1");
    if (data.focus) { select(data.focus); }
  });
})();
