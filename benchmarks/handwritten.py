"""The GIRFEC core written by hand in JAX: the yardstick for the generated code.

The core is the bundled spec's levels of need and intervention (5 stocks, 24 flows, the smooth
of reach) without the non-negative caps and without the metrics: what one would write by hand
in a few lines. `core_spec` cuts the same model out of the bundled spec, so stockflow and the
hand-written code run the same equations; the benchmark checks they agree before timing.
"""

from __future__ import annotations

from typing import Any

from common import GIRFEC

METRICS_MARK = "# ------------------------------------------------------------------ what the programme board asks"
PARAMS = ("rate_u_a", "rate_u_t", "rate_u_i", "rate_a_t", "rate_a_i", "rate_t_i", "rate_a_u", "rate_t_u",
          "rate_t_a", "rate_i_u", "rate_i_a", "rate_i_t", "births_per_year", "childhood_length",
          "migration_rate", "intervention_scale", "eligible_families", "outreach_rate", "word_of_mouth",
          "engagement_duration", "effect_delay", "max_escalation_reduction", "max_deescalation_increase")


def core_spec() -> str:
    """The bundled GIRFEC spec up to its metrics, with no stock capped at zero."""
    text = GIRFEC.read_text(encoding="utf-8")
    if METRICS_MARK not in text:
        raise SystemExit("the GIRFEC spec no longer has its metrics heading; update benchmarks/handwritten.py")
    return text[:text.index(METRICS_MARK)].replace("non_negative", "")


def run_function(steps: int, dt: float) -> Any:
    """run(params, y0) -> the Intensive stock before each step, Euler, time in months."""
    import jax
    import jax.numpy as jnp

    per_month = 1 / 12  # rates are per year

    def deriv(y: Any, p: Any) -> Any:
        u, a, t, i, e, s = y[0], y[1], y[2], y[3], y[4], y[5]
        (rua, rut, rui, rat, rai, rti, rau, rtu, rta, riu, ria, rit, births, length, mig, scale, elig,
         outreach, wom, duration, delay, less_red, more_green) = (p[k] for k in range(len(PARAMS)))
        reach = e / elig
        red, green = 1 - less_red * s, 1 + more_green * s
        out = 1 / length + mig
        ua, ut, ui = u * rua * red, u * rut * red, u * rui * red
        at, ai, ti = a * rat * red, a * rai * red, t * rti * red
        au, tu, ta = a * rau * green, t * rtu * green, t * rta * green
        iu, ia, it = i * riu * green, i * ria * green, i * rit * green
        du = births + (u + a + t + i) * mig - u * out - ua - ut - ui + au + tu + iu
        da = ua - at - ai - au + ta + ia - a * out
        dt_ = ut + at - ti - tu - ta + it - t * out
        di = ui + ai + ti - iu - ia - it - i * out
        de = scale * (outreach + wom * reach) * jnp.maximum(elig - e, 0) - e / duration
        ds = (reach - s) / delay / per_month  # effect_delay is in months
        return jnp.stack([du, da, dt_, di, de, ds]) * per_month

    def run(p: Any, y0: Any) -> Any:
        def step(y: Any, _: Any) -> tuple[Any, Any]:
            return y + dt * deriv(y, p), y[3]

        return jax.lax.scan(step, y0, None, length=steps)[1]

    return run
