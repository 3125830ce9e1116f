/* stockflow explorer runtime: runs a generated model as stockflow's JAX path does.
   Mirrors runtime/_loop.py (the loop, save points, metric summaries) and
   compiler/codegen (caps, scenario windows); tests compare its numbers with Model.run. */
"use strict";

var SF = {
  model: null,

  snap: function (x) {
    var r = Math.round(x);
    return Math.abs(x - r) <= SF.model.snapTolerance * Math.max(1.0, Math.abs(x)) ? r : x;
  },

  ipow: function (x, n) {  // as XLA's integer_pow: binary powering
    var acc = null;
    while (n > 0) {
      if (n & 1) { acc = acc === null ? x : acc * x; }
      n >>= 1;
      if (n > 0) { x = x * x; }
    }
    return acc === null ? 1.0 : acc;
  },

  mod: function (a, b) {  // floored, as numpy's mod
    var r = a % b;
    return (r !== 0 && (r < 0) !== (b < 0)) ? r + b : r;
  },

  min: function (a, b) { return (a !== a || b !== b) ? NaN : Math.min(a, b); },
  max: function (a, b) { return (a !== a || b !== b) ? NaN : Math.max(a, b); },
  xor: function (a, b) { return Boolean(a) !== Boolean(b); },

  window: function (t, a, b, until) {  // 0 before a, up to 1 at b, 0 again from until
    var ramp = b > a ? Math.min(Math.max((t - a) / (b - a), 0.0), 1.0) : (t >= a ? 1.0 : 0.0);
    return t < until ? ramp : 0.0;
  },

  lookup: function (i, x) {
    var tb = SF.model.lookups[i], xs = tb.xs, ys = tb.ys, n = xs.length;
    if (tb.step) {  // searchsorted(side="right") - 1, clipped
      var lo = 0, hi = n;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (xs[mid] <= x) { lo = mid + 1; } else { hi = mid; } }
      return ys[Math.min(Math.max(lo - 1, 0), n - 1)];
    }
    var y = SF.interp(x, xs, ys);
    if (!tb.extrapolate) { return y; }
    if (x < xs[0]) { return ys[0] + (x - xs[0]) * ((ys[1] - ys[0]) / (xs[1] - xs[0])); }
    if (x > xs[n - 1]) { return ys[n - 1] + (x - xs[n - 1]) * ((ys[n - 1] - ys[n - 2]) / (xs[n - 1] - xs[n - 2])); }
    return y;
  },

  interp: function (x, xs, ys) {  // numpy.interp
    var n = xs.length;
    if (x !== x) { return NaN; }
    if (x <= xs[0]) { return ys[0]; }
    if (x >= xs[n - 1]) { return ys[n - 1]; }
    var lo = 0, hi = n - 1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (xs[mid] <= x) { lo = mid; } else { hi = mid; } }
    var slope = (ys[hi] - ys[lo]) / (xs[hi] - xs[lo]);
    return slope * (x - xs[lo]) + ys[lo];
  },

  part: function (V, flows, sign) {  // codegen/caps.py _total of _part: c * max(sign f, 0) in order
    var acc = null, i, p;
    for (i = 0; i < flows.length; i++) {
      p = flows[i][1] * Math.max(sign * V[flows[i][0]], 0.0);
      acc = acc === null ? p : acc + p;
    }
    return acc === null ? 0.0 : acc;
  },

  cut: function (V, ins, outs, k) {  // codegen/caps.py Cap.apply
    var i;
    for (i = 0; i < outs.length; i++) { if (V[outs[i][0]] > 0) { V[outs[i][0]] = V[outs[i][0]] * k; } }
    for (i = 0; i < ins.length; i++) { if (V[ins[i][0]] < 0) { V[ins[i][0]] = V[ins[i][0]] * k; } }
  },

  /* codegen/caps.py factors and cut_back: caps = [[stock slot, ins, outs, supply terms]],
     a term [slot, sign, units factor, index of the cap whose factor scales it, or -1]. */
  caps: function (V, caps, dt, passes) {
    var n = caps.length, drains = [], bases = [], k = [], fixed = [], i, j, p, all = true, t, x, changed;
    for (i = 0; i < n; i++) {
      bases.push(V[caps[i][0]] / dt);
      drains.push(SF.part(V, caps[i][2], 1.0) + SF.part(V, caps[i][1], -1.0));
      k.push(drains[i] <= bases[i] ? 1.0 : 0.0);
      all = all && drains[i] <= bases[i];
    }
    if (all) { return; }  // every stock covers its own drain: nothing is cut
    for (i = 0; i < n; i++) {
      var acc = null, terms = caps[i][3];
      for (j = 0; j < terms.length; j++) {
        t = terms[j];
        if (t[3] < 0) { x = t[2] * Math.max(t[1] * V[t[0]], 0.0); acc = acc === null ? x : acc + x; }
      }
      fixed.push(bases[i] + (acc === null ? 0.0 : acc));
    }
    for (p = 0; p < passes; p++) {
      changed = false;
      for (var q = p > 0 ? 1 : 0; q < n; q++) {  // a pass starts where the last ended
        i = p % 2 === 0 ? q : n - 1 - q;
        var sum = null, tt = caps[i][3];
        for (j = 0; j < tt.length; j++) {
          t = tt[j];
          if (t[3] >= 0) { x = (t[2] * Math.max(t[1] * V[t[0]], 0.0)) * k[t[3]]; sum = sum === null ? x : sum + x; }
        }
        var s = fixed[i] + (sum === null ? 0.0 : sum), d = drains[i];
        var f = (d > s && d > 0) ? Math.min(Math.max(s / d, 0.0), 1.0) : 1.0;
        changed = changed || f !== k[i];
        k[i] = f;
      }
      if (!changed) { break; }
    }
    for (i = 0; i < n; i++) { SF.cut(V, caps[i][1], caps[i][2], k[i]); }
  },

  /* One run. P: the parameter vector (model parameters, then scenario inputs); initial:
     {stock slot index in the state: value}. Returns times, each output's series by slot,
     and each metric's value by slot. */
  run: function (M, plan, P, initial) {
    SF.model = M;
    var V = new Float64Array(M.nSlots), n = M.nStocks, dt = plan.dt, t0 = plan.start;
    var i, k, j;
    for (i = 0; i < P.length; i++) { V[i] = P[i]; }
    V.base = Float64Array.from(P);
    M.prepare(V, dt);
    var override = new Float64Array(n), mask = new Array(n).fill(false);
    for (var key in (initial || {})) { override[+key] = initial[key]; mask[+key] = true; }
    var y = M.init(V, t0, dt, override, mask);
    var y0 = y.slice();
    var ext = plan.extremes, hi = new Float64Array(ext.length), lo = new Float64Array(ext.length);
    var dy = new Float64Array(n), k1 = new Float64Array(n), k2 = new Float64Array(n),
        k3 = new Float64Array(n), k4 = new Float64Array(n), tmp = new Array(n);
    function f(state, t, out) { M.evaluate(V, state, t, dt); M.deriv(V, out, t, dt); }
    var outputs = plan.outputs, series = outputs.map(function () { return []; }), times = [];
    var saves = [];
    /* What a step's start gives, from one evaluation at (state, t) that the caller made:
       the recorded row at a save point, and the running extremes. */
    function record(state, t) {
      for (var o = 0; o < outputs.length; o++) { series[o].push(V[outputs[o]]); }
      times.push(t);
      saves.push(state.slice());
    }
    function extremes(first) {
      for (var e = 0; e < ext.length; e++) {
        var v = V[ext[e]];
        if (first) { hi[e] = v; lo[e] = v; } else { hi[e] = SF.max(hi[e], v); lo[e] = SF.min(lo[e], v); }
      }
    }
    for (k = 0; k < plan.nSteps; k++) {
      var t = t0 + k * dt;
      M.evaluate(V, y, t, dt);  // once: the row, the extremes and the first derivative read it
      if (k % plan.saveEvery === 0) { record(y, t0 + dt * plan.saveEvery * (k / plan.saveEvery)); }
      extremes(k === 0);
      if (plan.method === "euler") {
        M.deriv(V, dy, t, dt);
        for (i = 0; i < n; i++) { y[i] = y[i] + dt * dy[i]; }
      } else {
        M.deriv(V, k1, t, dt);
        for (i = 0; i < n; i++) { tmp[i] = y[i] + (dt / 2) * k1[i]; }
        f(tmp, t + dt / 2, k2);
        for (i = 0; i < n; i++) { tmp[i] = y[i] + (dt / 2) * k2[i]; }
        f(tmp, t + dt / 2, k3);
        for (i = 0; i < n; i++) { tmp[i] = y[i] + dt * k3[i]; }
        f(tmp, t + dt, k4);
        for (i = 0; i < n; i++) { y[i] = y[i] + (dt / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]); }
      }
    }
    var tN = t0 + plan.nSteps * dt;
    var tLast = t0 + dt * plan.saveEvery * (plan.nSteps / plan.saveEvery);  // as the JAX path's save times
    M.evaluate(V, y, tLast, dt);
    record(y, tLast);
    if (tLast !== tN) { M.evaluate(V, y, tN, dt); }
    extremes(plan.nSteps === 0);
    var values = SF.summaries(M, plan, V, y0, y, hi, lo, saves, times, dt);
    for (i = 0; i < P.length; i++) { V[i] = P[i]; }
    for (j in values) { V[+j] = values[j]; }
    M.metrics(V, tN, dt);
    var metrics = {};
    for (i = 0; i < plan.metrics.length; i++) { metrics[plan.metrics[i]] = V[plan.metrics[i]]; }
    var bySlot = {};
    for (i = 0; i < outputs.length; i++) { bySlot[outputs[i]] = series[i]; }
    return {times: times, series: bySlot, metrics: metrics};
  },

  summaries: function (M, plan, V, y0, yN, hi, lo, saves, times, dt) {
    var out = {}, t0 = plan.start, tN = t0 + plan.nSteps * dt;
    function at(state, t, slot) { M.evaluate(V, state, t, dt); return V[slot]; }
    plan.aggregates.forEach(function (a) {
      if (a.kind === "integral") { out[a.slot] = yN[a.state]; }
      else if (a.kind === "mean") { out[a.slot] = yN[a.state] / (a.span === null ? plan.nSteps * dt : a.span); }
      else if (a.kind === "at") { out[a.slot] = at(saves[a.row], times[a.row], a.var); }
      else if (a.kind === "final") { out[a.slot] = at(yN, tN, a.var); }
      else if (a.kind === "initial") { out[a.slot] = at(y0, t0, a.var); }
      else if (a.kind === "maximum") { out[a.slot] = hi[a.ext]; }
      else { out[a.slot] = lo[a.ext]; }
    });
    return out;
  },

  /* The first time after which gap stays <= 0 (interpolated), or NaN: ScenarioResults.break_even. */
  settlesBelow: function (t, gap) {
    var n = gap.length;
    if (gap[n - 1] > 0) { return NaN; }
    var last = -1;
    for (var i = 0; i < n; i++) { if (gap[i] > 0) { last = i; } }
    if (last < 0) { return t[0]; }
    var g0 = gap[last], g1 = gap[last + 1];
    return t[last] + (t[last + 1] - t[last]) * g0 / (g0 - g1);
  },

  cumulative: function (series, times, euler) {
    var out = [0.0];
    for (var i = 1; i < series.length; i++) {
      var step = euler ? series[i - 1] : (series[i] + series[i - 1]) / 2;
      out.push(out[i - 1] + step * (times[i] - times[i - 1]));
    }
    return out;
  },

  breakEven: function (run, base, slot, isStock, euler) {
    var c = isStock ? run.series[slot] : SF.cumulative(run.series[slot], run.times, euler);
    var b = isStock ? base.series[slot] : SF.cumulative(base.series[slot], base.times, euler);
    return SF.settlesBelow(run.times, c.map(function (v, i) { return v - b[i]; }));
  }
};

if (typeof module !== "undefined") { module.exports = SF; }
