/* stockflow Connection Explorer: the page around the generated model.
   Reads the model's facts from the JSON block, runs the model in the page (runtime.js) under
   the current settings and the baseline, and draws the map, results and stock panels. All
   spec text is put in the page with textContent, never as HTML. */
"use strict";

(function () {
  var D = JSON.parse(document.getElementById("sf-data").textContent);
  var M = SF_MODEL;
  var state = {P: null, initial: {}, scenario: null, baseRun: null, run: null, selected: null, ms: 0};
  var byId = {};
  D.params.forEach(function (p) { byId[p.id] = p; });
  var charts = [];

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in (attrs || {})) { e.setAttribute(k, attrs[k]); }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  /* numbers as people read them: stockflow.numbers.value_text */
  function plain(v) {
    var a = Math.abs(v);
    if (a >= 1e15) { return v.toExponential(4); }
    if (a >= 1e6) { return v.toLocaleString("en-GB", {maximumFractionDigits: 0}); }
    if (a >= 100) { return v.toLocaleString("en-GB", {maximumFractionDigits: 2}); }
    if (a === 0) { return "0"; }
    if (a < 1e-9) { return v.toExponential(3); }
    var d = Math.max(0, 3 - Math.floor(Math.log10(a)));
    var t = v.toFixed(d);
    return t.indexOf(".") >= 0 ? t.replace(/0+$/, "").replace(/\.$/, "") : t;
  }
  function valueText(v, unit) {
    if (v !== v) { return "n/a"; }
    if (!isFinite(v)) { return v > 0 ? "inf" : "-inf"; }
    if (isMoney(unit)) {
      var a = Math.abs(v);
      var body = a >= 1e15 ? a.toExponential(4) : a >= 1000 ? a.toLocaleString("en-GB", {maximumFractionDigits: 0})
        : a.toLocaleString("en-GB", {minimumFractionDigits: 2, maximumFractionDigits: 2}).replace(/\.00$/, "");
      return (v < 0 && /[1-9]/.test(body) ? "-" : "") + "£" + body;
    }
    return plain(v);
  }
  /* a row's numbers to one number of decimals, as stockflow.numbers.column_texts: 91,136 beside
     91,009, not 91,136.34; money and numbers below 1 keep valueText's own */
  function columnTexts(values, unit) {
    var finite = values.filter(function (v) { return isFinite(v); }).map(Math.abs);
    var top = finite.length ? Math.max.apply(null, finite) : 0;
    if (isMoney(unit) || !finite.length || top < 1 || top >= 1e15) {
      return values.map(function (v) { return valueText(v, unit); });
    }
    var places = Math.max(0, Math.min(2, 4 - Math.floor(Math.log10(top))));
    return values.map(function (v) {
      return isFinite(v) ? v.toLocaleString("en-GB", {minimumFractionDigits: places, maximumFractionDigits: places}) :
        valueText(v);
    });
  }
  /* a time is never grouped: a run from 2024 reads 2024, not 2,024 */
  function timeText(t) { return plain(t).replace(/,/g, ""); }
  function timeTick(t) { return tickText(t).replace(/,/g, ""); }
  function isMoney(u) { return Boolean(u) && /^gbp(\/|$)/i.test(u.trim()); }
  /* units as a board reads them: money in £, and nothing for a pure number (not "1") */
  function unitLabel(u) { return (u || "").trim() === "1" ? "" : (u || "").replace(/\bGBP\b/gi, "£"); }
  function tickText(v, unit) {
    var money = isMoney(unit) ? "£" : "";
    if (Math.abs(v) < 1e-9) { return money + "0"; }
    return (v < 0 ? "-" : "") + money + Math.abs(v).toLocaleString("en-GB", {maximumFractionDigits: 10});
  }
  /* as numbers.percent_text: one decimal, or one significant figure where that would read 0.0 */
  function percentText(rel) {
    var pct = rel * 100, a = Math.abs(pct);
    if (pct === 0) { return "0%"; }
    if (a < 1e-4) { return "about 0%"; }
    if (a < 0.05) { return (pct > 0 ? "+" : "-") + Number(a.toPrecision(1)).toString() + "%"; }
    return (pct > 0 ? "+" : "") + pct.toFixed(1) + "%";
  }
  function signed(v, unit) { return (v > 0 ? "+" : "") + columnTexts([v], unit)[0]; }

  function baselineWords() {  // what there is to change: a model may have no scenarios or no parameters
    var ways = (D.scenarios.length > 1 ? ["choose a scenario"] : []).concat(D.params.length ? ["move an assumption"] : []);
    return "These are the baseline's settings" + (ways.length ? ": " + ways.join(" or ") + " to compare." :
      "; the spec has no scenarios or parameters to change.");
  }
  function scenarioById(id) { return D.scenarios.filter(function (s) { return s.id === id; })[0]; }

  function compute() {
    var t0 = performance.now();
    state.run = SF.run(M, D.plan, state.P, state.initial);
    state.ms = performance.now() - t0;
    window.SF_LAST_MS = state.ms;
    draw();
    toHash();
  }

  function setParam(id, value) {
    var p = byId[id.toLowerCase()];
    if (!p || !isFinite(value)) { return false; }
    if (p.lo !== null) { value = Math.max(p.lo, value); }
    if (p.hi !== null) { value = Math.min(p.hi, value); }
    state.P[p.slot] = value;
    var box = document.getElementById("box-" + p.slot), slider = document.getElementById("slider-" + p.slot);
    if (box) { box.value = String(value); }
    if (slider) { slider.value = String(value); }
    return true;
  }

  function loadScenario(id) {
    var sc = scenarioById(id);
    state.scenario = sc;
    state.P = sc.P.slice();
    state.initial = Object.assign({}, sc.initial);
    D.params.forEach(function (p) { setParam(p.id, state.P[p.slot]); });
    var note = document.getElementById("scenario-note");
    note.textContent = (sc.title || "") + (sc.description ? " — " + sc.description : "") +
      (sc.spread ? " (this scenario samples values: the ranges and the band show its " + sc.spread.runs +
        " draws at the spec's settings; the lines, and any moved assumption, are one run with the spec's values)"
        : sc.uncertain ? " (this scenario sweeps values: the explorer runs it once with the spec's values)" : "");
    document.getElementById("scenario").value = id;
  }

  /* ------------------------------------------------------------ assumptions panel */
  function buildControls() {
    var pick = document.getElementById("scenario");
    D.scenarios.forEach(function (sc) { pick.appendChild(el("option", {value: sc.id}, sc.name + (sc.title ? ": " + sc.title : ""))); });
    pick.addEventListener("change", function () { loadScenario(pick.value); compute(); });
    document.getElementById("reset").addEventListener("click", function () { loadScenario(state.scenario.id); compute(); });
    document.getElementById("all-params").addEventListener("change", function (ev) {
      document.getElementById("controls").classList.toggle("show-all", ev.target.checked);
    });
    var groups = {};
    var box = document.getElementById("params");
    D.params.forEach(function (p) {
      if (!groups[p.group]) {
        var g = el("fieldset", {"class": "group"});
        g.appendChild(el("legend", {}, p.group));
        groups[p.group] = g;
        box.appendChild(g);
      }
      groups[p.group].appendChild(control(p));
      if (p.lo !== null && p.hi !== null) { groups[p.group].classList.add("has-bounded"); }
    });
    // Sliders are for bounded parameters; where none has bounds, the panel stood empty
    var bounded = D.params.some(function (p) { return p.lo !== null && p.hi !== null; });
    if (D.params.length && !bounded) {
      document.getElementById("all-params").checked = true;
      document.getElementById("controls").classList.add("show-all");
    }
  }

  function control(p) {
    var row = el("div", {"class": "param" + (p.lo === null || p.hi === null ? " unbounded" : "")});
    var label = el("label", {"for": "box-" + p.slot});
    label.appendChild(el("span", {"class": "pname"}, p.name));
    if (unitLabel(p.units)) { label.appendChild(el("span", {"class": "units"}, " [" + unitLabel(p.units) + "]")); }
    row.appendChild(label);
    if (p.lo !== null && p.hi !== null) {
      var s = el("input", {type: "range", id: "slider-" + p.slot, min: String(p.lo), max: String(p.hi),
        step: String((p.hi - p.lo) / 200), value: String(p.value), "aria-label": p.name});
      s.addEventListener("input", function () { setParam(p.id, parseFloat(s.value)); compute(); });
      row.appendChild(s);
    }
    var b = el("input", {type: "number", id: "box-" + p.slot, value: String(p.value), step: "any"});
    if (p.lo !== null) { b.setAttribute("min", String(p.lo)); }
    if (p.hi !== null) { b.setAttribute("max", String(p.hi)); }
    b.addEventListener("change", function () { if (setParam(p.id, parseFloat(b.value))) { compute(); } });
    row.appendChild(b);
    var about = [p.description, p.source ? "Source: " + p.source : "", p.assumption ? "Assumption: " + p.assumption : ""]
      .filter(Boolean).join(" ");
    if (about) { row.appendChild(el("p", {"class": "about"}, about)); }
    return row;
  }

  /* ------------------------------------------------------------ results */
  function series(run, id) { return run.series[D.slots[id]]; }
  function last(a) { return a[a.length - 1]; }

  function spread() {  // the scenario's draws, while its assumptions are as the spec sets them
    var sc = state.scenario;
    if (!sc.spread) { return null; }
    var same = state.P.every(function (v, i) { return v === sc.P[i]; }) &&
      JSON.stringify(state.initial) === JSON.stringify(sc.initial);
    return same ? sc.spread : null;
  }

  function draw() {
    var run = state.run, base = state.baseRun, fan = spread();
    var body = document.getElementById("metrics-body");
    body.textContent = "";
    if (!D.metrics.length) {  // a table of headings alone reads as broken
      var none = el("tr"), cell0 = el("td", {colspan: "5"}, "The spec declares no metrics: the map and the stock " +
        "panels below show the run.");
      none.appendChild(cell0);
      body.appendChild(none);
    }
    D.metrics.forEach(function (m) {
      var now = run.metrics[m.slot], was = base.metrics[m.slot], diff = now - was;
      var tr = el("tr");
      var name = el("td", {}, m.name);
      if (m.description) { name.title = m.description; }
      tr.appendChild(name);
      var range = fan && fan.metrics[m.id];
      var shown = columnTexts([now, was].concat(range ? [range[0], range[2]] : []), m.units);  // one row, one decimals
      var cell = el("td", {"class": "num"}, shown[0]);
      if (range) {
        cell.appendChild(el("br"));
        var driver = fan.drivers && fan.drivers[m.id];
        cell.appendChild(el("small", {"class": "range"}, "5-95% of draws: " + shown[2] + " to " +
          shown[3] + (driver ? "; moved most by " + driver[0] + " (" + driver[1] + ")" : "")));  // [name, "+0.84"]
      }
      tr.appendChild(cell);
      tr.appendChild(el("td", {"class": "num"}, shown[1]));
      var change = Math.abs(diff) <= 1e-9 * Math.max(1, Math.abs(was)) ? "no change" :
        signed(diff, m.units) + (was ? " (" + percentText(diff / Math.abs(was)) + ")" : "");
      tr.appendChild(el("td", {"class": "num"}, change));
      tr.appendChild(el("td", {"class": "units"}, unitLabel(m.units)));
      body.appendChild(tr);
    });
    var be = document.getElementById("break-even");
    var same = state.P.every(function (v, i) { return v === state.baseP[i]; }) &&
      JSON.stringify(state.initial) === JSON.stringify(state.baseInitial);
    if (same) {
      state.breakEven = undefined;
      be.textContent = fan ? "This scenario samples its assumptions: at its own settings it is the baseline, and " +
        "the ranges above show its draws. Move an assumption to compare one run." :
        baselineWords();
    } else if (D.breakEven) {
      var t = SF.breakEven(run, base, D.breakEven.slot, D.breakEven.isStock, D.plan.method === "euler");
      state.breakEven = t;
      be.textContent = t !== t ? "No savings within the horizon: cumulative " + D.breakEven.name +
        " stays above the baseline's to " + D.timeUnit + " " + timeText(D.plan.start + D.plan.nSteps * D.plan.dt) + "."
        : (t <= D.plan.start ? "Cumulative " + D.breakEven.name + " is at or below the baseline's from the start."
          : t > run.times[run.times.length - 2] ? "Savings only at the very end: cumulative " + D.breakEven.name +
            " falls below the baseline's in the run's last step (" + D.timeUnit + " " + timeText(t) + " of " +
            timeText(last(run.times)) + "); a longer run would show whether they last."
          : "Savings from " + D.timeUnit + " " + Math.ceil(t - 1e-9) + ": cumulative " + D.breakEven.name +
            " falls below the baseline's at " + D.timeUnit + " " + timeText(t) + " and stays below it.");
      if (fan && fan.breakEven) { be.textContent += " " + drawsWords(fan); }
    }
    document.getElementById("speed").textContent = "computed in the page in " + state.ms.toFixed(1) + " ms";
    D.stocks.forEach(function (s) {
      var node = document.querySelector('[data-value="' + s.id + '"]');
      if (node) {
        var endNow = last(series(run, s.id)), endWas = last(series(base, s.id)), diff = endNow - endWas;
        var both = columnTexts([endNow, diff], (D.vars[s.id] || {}).units);  // 7,647.1 (+165.3): one decimals
        node.textContent = both[0] + " (" + (diff > 0 ? "+" : "") + both[1] + ")";
      }
    });
    if (state.selected) { refreshPanel(state.selected); }
    output();
  }

  function drawsWords(fan) {  // "Over its 200 draws: savings by month 60 in half, by month 84 in 9 in 10."
    var b = fan.breakEven, said = [];
    if (b.by50 !== null) { said.push("by " + D.timeUnit + " " + Math.ceil(b.by50 - 1e-9) + " in half the draws"); }
    if (b.by90 !== null) { said.push("by " + D.timeUnit + " " + Math.ceil(b.by90 - 1e-9) + " in 9 in 10"); }
    return "Over its " + fan.runs + " draws: " + (said.length ? "savings " + said.join(", ") : "fewer than half the draws " +
      "show savings within the horizon") + " (" + b.shareText + " of draws save by the end).";
  }

  /* ------------------------------------------------------------ a stock's panel */
  function chart(target, title, unit, times, lines) {
    var data = [times].concat(lines.map(function (l) { return l.values; }));
    var opts = {
      title: title, width: 460, height: 220,
      // from zero, so that a small change looks small; rescaled as the data change
      scales: {x: {time: false}, y: {range: function (u, lo, hi) { return [Math.min(0, lo), hi > 0 ? hi * 1.05 : 1]; }}},
      axes: [{label: D.timeUnits, values: function (u, ticks) { return ticks.map(timeTick); }},
        {label: unitLabel(unit), size: 80, values: function (u, ticks) { return ticks.map(function (v) { return tickText(v, unit); }); }}],
      series: [{label: D.timeUnit}].concat(lines.map(function (l) {
        return {label: l.label, stroke: l.colour, width: 2, dash: l.dash, spanGaps: false,
          value: function (u, v) { return v === null ? "" : valueText(v, unit); }};
      }))
    };
    charts.push(new uPlot(opts, data, target));
  }

  /* flows added in their stock's units per time unit (D.stocks[].factors): a flow in child/year
     beside one in child/month must not be added as it stands */
  function sum(runs, ids, factors) {
    var n = runs.times.length, out = new Array(n).fill(0);
    ids.forEach(function (id) {
      var s = series(runs, id), k = factors[id];
      for (var i = 0; i < n; i++) { out[i] += s[i] * k; }
    });
    return out;
  }

  function panelCharts(id) {  // the panel's charts: the stock, its flows, its average length of stay
    var s = D.stocks.filter(function (x) { return x.id === id; })[0];
    var run = state.run, base = state.baseRun, flows = [];
    if (s.inflows.length) {
      flows.push({label: "inflows, current", values: sum(run, s.inflows, s.factors), colour: "#1e8449"});
      flows.push({label: "inflows, baseline", values: sum(base, s.inflows, s.factors), colour: "#82e0aa", dash: [6, 4]});
    }
    if (s.outflows.length) {
      flows.push({label: "outflows, current", values: sum(run, s.outflows, s.factors), colour: "#c0392b"});
      flows.push({label: "outflows, baseline", values: sum(base, s.outflows, s.factors), colour: "#f1948a", dash: [6, 4]});
    }
    var lines = [{label: "current settings", values: series(run, id), colour: "#1f618d"},
      {label: "baseline", values: series(base, id), colour: "#7f8c8d", dash: [6, 4]}];
    var fan = spread();
    if (fan && fan.stocks[id] && fan.times.length === run.times.length) {
      lines.push({label: "5% of draws", values: fan.stocks[id][0], colour: "#85c1e9", dash: [2, 3]});
      lines.push({label: "95% of draws", values: fan.stocks[id][1], colour: "#85c1e9", dash: [2, 3]});
    }
    var out = [{title: s.name + " over time", unit: s.units, lines: lines}];
    if (flows.length) { out.push({title: "What flows in and out", unit: s.flowUnits, lines: flows}); }
    if (s.outflows.length && s.stayUnit) {
      var stayOf = function (r) {
        var out2 = sum(r, s.outflows, s.factors);
        return series(r, id).map(function (v, i) { return out2[i] > 0 ? v / out2[i] : null; });
      };
      out.push({title: "Average length of stay (stock / outflows)", unit: s.stayUnit, lines: [
        {label: "current settings", values: stayOf(run), colour: "#1f618d"},
        {label: "baseline", values: stayOf(base), colour: "#7f8c8d", dash: [6, 4]}]});
    }
    return out;
  }

  function refreshPanel(id) {  // a slider moved: new data in the same charts, no rebuild
    if (state.panelFor !== id || !charts.length) { panel(id); return; }
    var parts = panelCharts(id);
    if (parts.some(function (p, i) { return !charts[i] || charts[i].series.length !== p.lines.length + 1; })) {
      panel(id);  // the draws' band came or went: other lines, so new charts
      return;
    }
    charts.forEach(function (c, i) {
      c.setData([state.run.times].concat(parts[i].lines.map(function (l) { return l.values; })));
    });
    stay(id);
  }

  function stay(id) {
    var s = D.stocks.filter(function (x) { return x.id === id; })[0];
    var note = document.getElementById("stay");
    if (!note || !s.outflows.length || !s.stayUnit) { return; }
    var run = state.run, base = state.baseRun;
    var stayNow = last(series(run, id)) / last(sum(run, s.outflows, s.factors));
    var stayWas = last(series(base, id)) / last(sum(base, s.outflows, s.factors));
    note.textContent = "Average length of stay at the end (" + s.name + " / its outflows): " + plain(stayNow) + " " +
      s.stayUnit + ", against " + plain(stayWas) + " " + s.stayUnit + " in the baseline.";
  }

  function panel(id) {
    var s = D.stocks.filter(function (x) { return x.id === id; })[0];
    if (!s) { return false; }
    state.selected = id;
    toHash();
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    var box = document.getElementById("panel");
    box.textContent = "";
    box.appendChild(el("h2", {}, s.name));
    if (s.description) { box.appendChild(el("p", {"class": "about"}, s.description)); }
    var grid = el("div", {"class": "charts"});
    box.appendChild(grid);
    panelCharts(id).forEach(function (c) {
      var div = el("div");
      grid.appendChild(div);
      chart(div, c.title, c.unit, state.run.times, c.lines);
    });
    box.appendChild(el("p", {"class": "stay", id: "stay"}));
    stay(id);
    state.panelFor = id;
    highlight(id);
    return true;
  }

  function highlight(id) {
    document.querySelectorAll(".map .link").forEach(function (l) {
      l.classList.toggle("on", l.getAttribute("data-from") === id || l.getAttribute("data-to") === id);
    });
    document.querySelectorAll(".map .stock, .map .flow").forEach(function (n) {
      n.classList.toggle("selected", n.getAttribute("data-id") === id);
    });
    fitMap();
  }

  /* The map is as tall as what it shows: the causal links bow below the rows. */
  function fitMap() {
    var map = document.querySelector(".map");
    var heights = (map.getAttribute("data-heights") || "").split(" ").map(Number);
    if (heights.length !== 2) { return; }
    var shown = map.classList.contains("show-links") || map.querySelector(".link.on");
    var box = map.getAttribute("viewBox").split(" ");
    box[3] = String(shown ? heights[1] : heights[0]);
    map.setAttribute("viewBox", box.join(" "));
  }

  function hover(id) {
    var info = document.getElementById("hover");
    var v = D.vars[id];
    if (!v) { return; }
    info.textContent = "";
    info.appendChild(el("b", {}, v.name));
    info.appendChild(document.createTextNode(" = " + v.equation + (unitLabel(v.units) ? "  [" + unitLabel(v.units) + "]" : "")));
    var s = series(state.run, id);
    if (s) { info.appendChild(el("div", {}, "at the end: " + valueText(last(s), v.units) + " (baseline " + valueText(last(series(state.baseRun, id)), v.units) + ")")); }
  }

  function bindMap() {
    document.querySelectorAll(".map .stock, .map .flow").forEach(function (n) {
      var id = n.getAttribute("data-id");
      n.addEventListener("mouseenter", function () { hover(id); });
      n.addEventListener("focus", function () { hover(id); });
      n.addEventListener("click", function () { if (n.classList.contains("stock")) { panel(id); } else { highlight(id); hover(id); } });
    });
    document.getElementById("links").addEventListener("change", function (ev) {
      showLinks(ev.target.checked);
      toHash();
    });
  }

  function showLinks(on) {
    document.getElementById("links").checked = on;
    document.querySelector(".map").classList.toggle("show-links", on);
    fitMap();
  }

  /* ------------------------------------------------------------ what tests read */
  function output() {
    var out = {scenario: state.scenario.id, ms: state.ms, breakEven: state.breakEven === undefined ? null : state.breakEven,
      times: state.run.times, series: {}, metrics: {}, draws: spread() ? state.scenario.spread.runs : 0};
    D.outputs.forEach(function (id) { out.series[id] = series(state.run, id); });
    D.metrics.forEach(function (m) { out.metrics[m.id] = state.run.metrics[m.slot]; });
    out.panel = state.panelFor ? panelCharts(state.panelFor).map(function (c) {
      return {title: c.title, unit: c.unit, lines: c.lines.map(function (l) { return {label: l.label, values: l.values}; })};
    }) : null;
    document.getElementById("sf-out").textContent = JSON.stringify(out);
  }

  function fromHash() {  // #scenario=ID&set=name:value,name:value&stock=ID&links=1
    var h = {};
    (location.hash || "").replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i <= 0) { return; }
      var key = decodeURIComponent(kv.slice(0, i)), raw = kv.slice(i + 1);
      // each pair of `set` decoded on its own: an element's name may hold a comma (rate[a,b])
      h[key] = key === "set" ? raw.split(",").map(decodeURIComponent) : decodeURIComponent(raw);
    });
    return h;
  }

  /* the address holds the page's settings as they change: copied or bookmarked, it opens this
     what-if again (the scenario, every assumption moved from it, the stock shown) */
  function toHash() {
    if (!state.started) { return; }
    var moved = D.params.filter(function (p) { return state.P[p.slot] !== state.scenario.P[p.slot]; })
      .map(function (p) { return encodeURIComponent(p.id + ":" + state.P[p.slot]); });
    var parts = ["scenario=" + encodeURIComponent(state.scenario.id)];
    if (moved.length) { parts.push("set=" + moved.join(",")); }
    if (state.selected) { parts.push("stock=" + encodeURIComponent(state.selected)); }
    if (document.getElementById("links").checked) { parts.push("links=1"); }
    try { history.replaceState(null, "", "#" + parts.join("&")); } catch (e) { /* a page opened where history is barred */ }
  }

  function start() {
    buildControls();
    bindMap();
    var h = fromHash();
    var base = scenarioById(D.baseline);
    state.baseRun = SF.run(M, D.plan, base.P.slice(), base.initial);
    state.baseP = base.P.slice();
    state.baseInitial = Object.assign({}, base.initial);
    loadScenario(h.scenario && scenarioById(h.scenario) ? h.scenario : D.start);
    (h.set || []).forEach(function (pair) {
      var j = pair.lastIndexOf(":");
      if (j > 0) { setParam(pair.slice(0, j), parseFloat(pair.slice(j + 1))); }
    });
    compute();
    if (!panel(h.stock)) { panel(D.firstStock); }  // a stock the address names, if this model has it
    showLinks(h.links === "1");
    output();  // again, with the stock's panel drawn
    state.started = true;
    if (h.repeat) {  // measure a slider move: the mean of several recomputations
      var n = parseInt(h.repeat, 10), t0 = performance.now();
      for (var k = 0; k < n; k++) { compute(); }
      document.getElementById("sf-speed").textContent = String((performance.now() - t0) / n);
    }
  }

  start();
})();
