"""The model's functions with arrays kept as arrays (codegen.vector), for JAX: the same
equations and order as `compiled.ScalarCode`, with each group of same-form elements evaluated as
one array operation and every vector read and written in slices."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ir.model import CheckedModel
from .backend import join
from .caps import cut_back
from .compiled import ScalarCode
from .emit import Env
from .stacked import stacked_fn, table_form
from .vector import Gatherer, Group, LazyEnv, SumEmitter, evaluate_group, group_of, schedule


class VectorCode(ScalarCode):
    def __init__(self, model: CheckedModel, xp: Any, scaled: tuple[str, ...], timed: tuple[str, ...]):
        super().__init__(model, xp, scaled, timed)
        g, lay = model.graph, self.lay
        arrays = [tuple(v for v, _ in a.elements) for a in g.arrays]
        from .caps_vector import VectorCaps, chains  # JAX's: a NumPy run never imports it

        found = chains(self.caps) if self.caps else None
        # capped flows change after they are computed: read from env, unless the caps cut
        # their vectors whole (caps_vector)
        capped = {f for cap in self.caps for f, _ in cap.ins + cap.outs} if found is None else set()
        self.gather = gather = Gatherer(xp, set(scaled) | set(timed) | capped)
        self.vector_caps = VectorCaps(self.caps, found, gather) if found is not None else None
        self._sources = 0
        gather.add("state", lay.stocks)
        gather.add("prep", self.prep_names)
        self.lookups = lookups = {lk.id: lk for lk in g.lookups}
        tables = {lk.id: table_form(lk) for lk in g.lookups}
        sums = SumEmitter(xp, lookups, gather)
        self.steps = self._steps(schedule(list(g.order), self.loop_eqs, arrays, set(scaled), tables), dict(self.eqs),
                                 self.loop_eqs, scalar={n: sums(e) for n, e in self.loop_eqs.items()})
        d_names = [f"$d:{s}" for s in lay.stocks] + [f"$d:{m}" for m in lay.monitors]
        d_exprs = dict(zip(d_names, self.loop_derivs, strict=True))
        d_arrays = [tuple(f"$d:{n}" for n in names) for names in arrays]
        self.d_steps = self._steps(schedule(d_names, d_exprs, d_arrays, set(), tables),
                                   dict(zip(d_names, self.derivs, strict=True)), d_exprs,
                                   scalar={n: sums(e) for n, e in d_exprs.items()})
        self.d_plan = gather.plan(d_names)
        self._plans: dict[tuple[str, ...], Any] = {}
        # prepare: the hoisted constants, grouped by form, over the parameter vector
        self.p_gather = Gatherer(xp, set())
        self.p_gather.add("params", lay.params)
        hoisted = [n for n, _ in self.hoisted]
        self.p_steps = self._steps(schedule(hoisted, self.hoisted_eqs, [tuple(hoisted)], set(), tables),
                                   dict(self.hoisted), self.hoisted_eqs, self.p_gather)
        self.p_plan = self.p_gather.plan(list(self.prep_names))
        # init: initial values and what they read, the state's stocks as one vector
        self.i_gather = Gatherer(xp, set(timed))
        self.i_gather.add("params", lay.params)
        i_fns = {n: f for n, f, _ in self.init_steps}
        i_sums = SumEmitter(xp, lookups, self.i_gather)
        self.i_steps = self._steps(schedule(list(g.init_order), self.init_eqs, arrays, set(), tables), i_fns,
                                   self.init_eqs, self.i_gather, {n: i_sums(e) for n, e in self.init_eqs.items()})
        self.i_plan = self.i_gather.plan(list(lay.stocks))

    def _steps(self, scheduled: list[Any], fns: dict[str, Any], exprs: dict[str, Any], gather: Gatherer | None = None,
               scalar: dict[str, Any] | None = None) -> list[Any]:
        """Steps to run: groups, and (name, closure) for the rest; `scalar` holds closures that
        reduce long sums in one operation, `fns` the plain ones that groups run on vectors (a
        group whose members call different tables gets one that stacks them)."""
        one = scalar or fns
        out: list[Any] = []
        for step in scheduled:
            if isinstance(step, str):
                out.append((step, one[step]))
            else:
                self._sources += 1
                fn = stacked_fn(self.xp, self.lookups, [exprs[m] for m, _ in step], fns[step[0][0]])
                group = group_of(gather or self.gather, self._sources, step, fn)
                out += [group] if group is not None else [(m, one[m]) for m, _ in step]
        return out

    def prepare(self, params: Any, dt: Any) -> Env:
        env = LazyEnv(self.p_gather.where, {"params": params}, {"dt": dt})
        self._run(self.p_steps, env, {}, self.p_gather)
        return {"$values": self.p_gather.run(self.p_plan, env), "dt": dt}

    def init(self, params: Any, t0: Any, dt: Any, override: Any, mask: Any) -> Any:
        xp = self.xp
        env = LazyEnv(self.i_gather.where, {"params": params}, {"time": t0, "dt": dt})
        self.blend(env, self.windows(env, t0))
        for step in self.i_steps:
            if isinstance(step, Group):
                evaluate_group(self.i_gather, step, env)
                if step.names[0] in self.stock_index:  # a stock's initial value, unless the run gives one
                    idx = np.asarray([self.stock_index[n] for n in step.names])
                    env.vectors[step.source] = xp.where(mask[idx], override[idx], env.vectors[step.source])
                continue
            n, f = step
            v = f(env)
            if n in self.stock_index:
                i = self.stock_index[n]
                v = xp.where(mask[i], override[i], v)
            env[n] = v
        stocks = self.i_gather.run(self.i_plan, env)
        return join(xp, [stocks, xp.zeros((len(self.lay.monitors),), dtype=xp.float64)])

    def _run(self, steps: list[Any], env: LazyEnv, windows: dict[str, Any], gather: Gatherer | None = None) -> None:
        for step in steps:
            if isinstance(step, Group):
                evaluate_group(gather or self.gather, step, env)
                continue
            n, f = step
            env[n] = f(env)
            if n in self.multipliers:
                env[n] = env[n] * (1.0 + (env[f"{n}$value"] - 1.0) * windows[n])

    def evaluate(self, state: Any, t: Any, prep: Env) -> Env:
        env = LazyEnv(self.gather.where, {"state": state, "prep": prep["$values"]}, {"time": t, "dt": prep["dt"]})
        windows = self.windows(env, t)
        self.blend(env, windows)
        self._run(self.steps, env, windows)
        if self.vector_caps is not None:
            self.vector_caps(env)
        elif self.caps:  # as in ScalarCode.evaluate
            cut_back(self.caps, env, self.xp)
        return env

    def _values(self, env: Any, names: tuple[str, ...]) -> Any:
        plan = self._plans.get(names)
        if plan is None:
            plan = self._plans[names] = self.gather.plan(list(names))
        return self.gather.run(plan, env)

    def _deriv(self, env: Any) -> Any:
        self._run(self.d_steps, env, {})  # derivatives: no flow of these is scaled
        return self.gather.run(self.d_plan, env)

    def rhs(self, state: Any, t: Any, prep: Env) -> tuple[Any, Any]:
        env = self.evaluate(state, t, prep)
        return self._deriv(env), self._values(env, self.lay.outputs)

    def deriv(self, state: Any, t: Any, prep: Env) -> Any:
        return self._deriv(self.evaluate(state, t, prep))

    def extremes(self, state: Any, t: Any, prep: Env) -> Any:
        return self._values(self.evaluate(state, t, prep), self.lay.extremes)

    def outputs(self, state: Any, t: Any, prep: Env, names: tuple[str, ...]) -> Any:
        return self._values(self.evaluate(state, t, prep), names)
