"""The fast exact path: exact dispatch for given capacities inside a 4-D convex search.

Structure exploited
-------------------
For **fixed** capacities (PV, wind, battery energy E, battery power P) the single-bus
dispatch problem of :mod:`dctwin.planner.lp` is solved exactly by the greedy merit order
of the twin (renewables serve the load, the surplus charges the battery, the battery
covers deficits, the grid the rest), provided that

* the battery charges only from renewables (as in the LP),
* the import limit never binds (no storage reservation is then worth anything), and
* a MWh exported is worth at least its variable O&M (exports are then maximal).

Under these conditions every MWh of surplus stored avoids √η·√η MWh of import later,
which no other use beats, so greedy minimises imports hour by hour; the export cap
(a share of production over the period) and the split of curtailment between wind and
PV (the LP curtails the technology with the higher VOM first) have closed forms given
the greedy totals. The optimal dispatch cost and the imports are then LP value
functions of the capacities, which enter only right-hand sides: both are **convex** in
the capacities. The planner is therefore a 4-variable convex programme whose objective
and constraint are each one compiled pass over the year (≈ 0.1 ms for 8760 h), solved
with SLSQP on scaled variables. When a condition fails, :func:`solve_fast` falls back
to the full LP and says so in ``PlanResult.method``.

Equivalence with the full LP is shown in ``tests/planner/test_fast.py``: cost within
0.1 % on every policy, and, where the LP optimum is degenerate in the capacities, the LP
with the capacities fixed to the fast path's reaches the same cost.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.optimize import minimize

from dctwin.errors import InfeasibleError
from dctwin.planner.problem import PlanningProblem, PlanResult

__all__ = ["DispatchTotals", "dispatch_totals", "solve_fast"]


@dataclass(frozen=True)
class DispatchTotals:
    """Greedy dispatch of given capacities, over the period. [MWh] unless noted."""

    import_mwh: float
    export_mwh: float
    curtailment_mwh: float
    solar_dispatched_mwh: float
    wind_dispatched_mwh: float
    max_import_mw: float
    cost_per_yr: float
    hourly_cfe_score_frac: float


@njit(cache=True)
def _greedy_pass(
    solar: np.ndarray,
    wind: np.ndarray,
    load: np.ndarray,
    dt_h: float,
    energy_mwh: float,
    power_mw: float,
    eta_c: float,
    eta_d: float,
    soc_lo: float,
    soc_hi: float,
    soc0: float,
    export_limit_mw: float,
) -> tuple[float, float, float, float, float, float, float, float, float]:
    """One greedy pass; returns period totals and the final state of charge."""
    soc = soc0
    imp = 0.0
    used_or_stored = 0.0
    exportable = 0.0
    forced_curt = 0.0
    forced_curt_wind = 0.0
    flex_wind = 0.0
    max_imp = 0.0
    has_battery = energy_mwh > 0.0 and power_mw > 0.0
    for t in range(load.size):
        supply = solar[t] + wind[t]
        net = supply - load[t]
        if net >= 0.0:
            c = 0.0
            if has_battery:
                room = max(soc_hi - soc, 0.0) / (eta_c * dt_h)
                c = min(net, power_mw, room)
                soc += eta_c * c * dt_h
            s = net - c
            used_or_stored += (load[t] + c) * dt_h
            ex_t = min(s, export_limit_mw)
            exportable += ex_t * dt_h
            f = s - ex_t
            forced_curt += f * dt_h
            fw = min(f, wind[t])
            forced_curt_wind += fw * dt_h
            flex_wind += min(ex_t, wind[t] - fw) * dt_h
        else:
            deficit = -net
            d = 0.0
            if has_battery:
                avail = max(soc - soc_lo, 0.0) * eta_d / dt_h
                d = min(deficit, power_mw, avail)
                soc -= d * dt_h / eta_d
            i = deficit - d
            imp += i * dt_h
            max_imp = max(max_imp, i)
            used_or_stored += supply * dt_h
    return imp, used_or_stored, exportable, forced_curt, forced_curt_wind, flex_wind, max_imp, soc, 0.0


def dispatch_totals(problem: PlanningProblem, x: np.ndarray) -> DispatchTotals:
    """Exact optimal dispatch totals and yearly cost for capacities ``x``.

    Parameters
    ----------
    problem
        The planning problem.
    x
        ``[solar_mw, wind_mw, battery_energy_mwh, battery_power_mw]``. [MW, MW, MWh, MW]

    Returns
    -------
    DispatchTotals
        Period totals of the greedy (optimal, see module notes) dispatch and the cost.
    """
    pv, wd, e_mwh, p_mw = (max(float(v), 0.0) for v in x)
    p = problem
    solar = p.solar_cf * pv
    wind = p.wind_cf * wd
    eta = math.sqrt(p.round_trip_efficiency_frac)
    lo, hi = p.soc_min_frac * e_mwh, p.soc_max_frac * e_mwh
    exp_lim = 0.0 if p.policy.kind == "islanded" else p.export_limit_mw
    soc0 = lo
    for _ in range(4):  # cyclic storage: start where the year ends (a fixed point)
        out = _greedy_pass(solar, wind, p.load_mw, p.dt_h, e_mwh, p_mw, eta, eta, lo, hi, soc0, exp_lim)
        if abs(out[7] - soc0) <= 1e-9 * max(e_mwh, 1.0):
            break
        soc0 = out[7]
    imp, g0, exportable, forced_curt, forced_curt_wind, flex_wind, max_imp, _, _ = out
    cap = p.export_cap_frac_of_production
    export_cap = cap * g0 / (1.0 - cap) if cap < 1.0 else math.inf
    ex = min(exportable, export_cap)
    flexible_curt = exportable - ex
    curt = forced_curt + flexible_curt
    solar_avail = float(solar.sum() * p.dt_h)
    wind_avail = float(wind.sum() * p.dt_h)
    c = p.costs
    if c.wind_vom_per_mwh >= c.solar_vom_per_mwh:  # curtail the costlier technology first
        curt_wind = forced_curt_wind + min(flexible_curt, flex_wind)
        curt_wind = min(curt_wind, wind_avail)
        curt_solar = curt - curt_wind
    else:
        curt_solar = min(curt, solar_avail)
        curt_wind = curt - curt_solar
    solar_disp = solar_avail - curt_solar
    wind_disp = wind_avail - curt_wind
    capex = (
        c.solar_per_mw_yr * pv
        + c.wind_per_mw_yr * wd
        + c.battery_energy_per_mwh_yr * e_mwh
        + c.battery_power_per_mw_yr * p_mw
    )
    opex = (
        c.solar_vom_per_mwh * solar_disp
        + c.wind_vom_per_mwh * wind_disp
        + c.import_price_per_mwh * imp
        - c.export_price_per_mwh * ex
    )
    load_mwh = p.load_mwh
    cfe = (load_mwh - imp + p.grid_clean_share_frac * imp) / load_mwh if load_mwh > 0 else 1.0
    return DispatchTotals(imp, ex, curt, solar_disp, wind_disp, max_imp, capex + p.year_weight * opex, cfe)


def _conditions_hold(problem: PlanningProblem) -> str | None:
    """Why the greedy dispatch may not be exact for this problem, or None."""
    c = problem.costs
    if c.export_price_per_mwh < max(c.solar_vom_per_mwh, c.wind_vom_per_mwh):
        return "export price below variable O&M"
    if math.isfinite(problem.ppa_volume_cap_mwh):
        return "a PPA volume cap"
    return None


_NAMES = ("solar_mw", "wind_mw", "battery_energy_mwh", "battery_power_mw")


def solve_fast(problem: PlanningProblem, x0: np.ndarray | None = None) -> PlanResult:
    """Least-cost capacities by the fast exact path (falls back to the LP when not exact).

    Parameters
    ----------
    problem
        The planning problem.
    x0
        Starting capacities (e.g. the optimum of a neighbouring target in a sweep).

    Returns
    -------
    PlanResult
        ``method = "fast"``, or ``"linopy-highs (fallback: …)"`` when the structure does
        not hold.

    Raises
    ------
    InfeasibleError
        The policy cannot be met within the capacity bounds.
    """
    reason = _conditions_hold(problem)
    if reason is not None:
        return _fallback(problem, reason)
    start = time.perf_counter()
    p = problem
    load_mw = max(float(np.mean(p.load_mw)), 1e-9)
    scale = np.array([load_mw, load_mw, load_mw, load_mw])  # E in MWh ≈ load × 1 h
    b = p.bounds
    lower = np.array([b.solar_mw[0], b.wind_mw[0], b.battery_energy_mwh[0], b.battery_power_mw[0]])
    upper = np.array([b.solar_mw[1], b.wind_mw[1], b.battery_energy_mwh[1], b.battery_power_mw[1]])
    cost_scale = _cost_scale(p)

    def f(z: np.ndarray) -> float:
        return dispatch_totals(p, z * scale).cost_per_yr / cost_scale

    def policy_slack(z: np.ndarray) -> float:
        return _policy_slack(p, dispatch_totals(p, z * scale))

    z0 = (_initial_guess(p) if x0 is None else np.asarray(x0, dtype=float)) / scale
    z0 = np.clip(z0, lower / scale, np.minimum(upper / scale, 1e6))
    bounds = list(
        zip(
            lower / scale,
            [u / s if math.isfinite(u) else None for u, s in zip(upper, scale, strict=True)],
            strict=True,
        )
    )
    constraints = [{"type": "ineq", "fun": policy_slack}]
    result = minimize(
        f, z0, method="SLSQP", bounds=bounds, constraints=constraints,
        options={"ftol": 1e-10, "maxiter": 500, "eps": 1e-7},
    )  # fmt: skip
    x = np.clip(result.x, lower / scale, None) * scale
    totals = dispatch_totals(p, x)
    if totals.max_import_mw > p.import_limit_mw + 1e-9:
        return _fallback(p, f"the import limit of {p.import_limit_mw:g} MW binds")
    if _policy_slack(p, totals) < -1e-6:
        raise InfeasibleError(_infeasible_message(p, totals))
    return _plan(p, x, totals, time.perf_counter() - start, "fast")


def _cost_scale(p: PlanningProblem) -> float:
    return max(p.load_mwh * p.year_weight * p.costs.import_price_per_mwh, 1.0)


def _policy_slack(p: PlanningProblem, t: DispatchTotals) -> float:
    """≥ 0 when the policy holds; scaled by the period's load."""
    load = max(p.load_mwh, 1e-9)
    if p.policy.kind == "annual":
        return (t.solar_dispatched_mwh + t.wind_dispatched_mwh - load) / load
    share = 0.0 if p.policy.kind == "islanded" else p.grid_clean_share_frac
    target = 1.0 if p.policy.kind == "islanded" else p.policy.target_frac
    return ((1.0 - target) * load - (1.0 - share) * t.import_mwh) / load


def _initial_guess(p: PlanningProblem) -> np.ndarray:
    load = float(np.mean(p.load_mw))
    solar_cf = max(float(np.mean(p.solar_cf)), 1e-3)
    wind_cf = max(float(np.mean(p.wind_cf)), 1e-3)
    return np.array([0.6 * load / solar_cf, 0.6 * load / wind_cf, 4.0 * load, 1.0 * load])


def _infeasible_message(p: PlanningProblem, t: DispatchTotals) -> str:
    b = p.bounds
    caps = [
        f"{name} ≤ {hi:g}"
        for name, (lo, hi) in zip(
            _NAMES, (b.solar_mw, b.wind_mw, b.battery_energy_mwh, b.battery_power_mw), strict=True
        )
        if math.isfinite(hi)
    ]
    return (
        f"policy {p.policy} cannot be met: at best {t.hourly_cfe_score_frac:.2%} hourly CFE "
        f"({t.import_mwh:,.0f} MWh of grid import left) within the capacity caps "
        f"{', '.join(caps) if caps else '(none)'}; raise a cap or lower the target"
    )


def _plan(p: PlanningProblem, x: np.ndarray, t: DispatchTotals, solve_s: float, method: str) -> PlanResult:
    load_yr = p.load_mwh * p.year_weight
    gen = t.solar_dispatched_mwh + t.wind_dispatched_mwh
    return PlanResult(
        solar_mw=float(x[0]),
        wind_mw=float(x[1]),
        battery_energy_mwh=float(x[2]),
        battery_power_mw=float(x[3]),
        cost_per_yr=t.cost_per_yr,
        cost_per_mwh=t.cost_per_yr / load_yr if load_yr > 0 else math.nan,
        hourly_cfe_score_frac=t.hourly_cfe_score_frac,
        annual_renewable_share_frac=min(gen, p.load_mwh) / p.load_mwh if p.load_mwh > 0 else 1.0,
        grid_import_mwh=t.import_mwh,
        grid_export_mwh=t.export_mwh,
        curtailment_mwh=t.curtailment_mwh,
        solve_s=solve_s,
        method=method,
    )


def _fallback(problem: PlanningProblem, reason: str) -> PlanResult:
    from dataclasses import replace

    from dctwin.planner.lp import solve_lp

    plan = solve_lp(problem).plan
    return replace(plan, method=f"{plan.method} (fallback: {reason})")
