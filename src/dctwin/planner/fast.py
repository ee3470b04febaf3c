"""The fast exact path: exact dispatch for given capacities inside a 4-D convex search.

Structure exploited
-------------------
For **fixed** capacities (PV, wind, battery energy E, battery power P) the single-bus
dispatch problem of :mod:`dctwin.planner.lp` is solved exactly by the greedy merit order
of the twin (renewables serve the load, the surplus charges the battery, the battery
covers deficits, the grid the rest), provided that

* the battery charges only from renewables and discharges only into the campus load
  (as in the LP and the twin),
* the import limit never binds (no storage reservation is then worth anything), and
* exporting is never penalised (export price ≥ 0, so exports are maximal).

Under these conditions every MWh of surplus stored avoids √η·√η MWh of import later,
which no other use beats, so greedy minimises imports hour by hour; the export cap
(a share of delivered production over the period) has a closed form given the greedy
totals. Variable O&M is paid on the energy the plants can produce, curtailed
or not (an as-produced PPA with deemed-energy compensation), so it never steers dispatch.
The optimal dispatch cost and the imports are then LP value
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
from collections.abc import Callable
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
    solar_cf: np.ndarray,
    wind_cf: np.ndarray,
    solar_mw: float,
    wind_mw: float,
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
        wind_t = wind_cf[t] * wind_mw
        supply = solar_cf[t] * solar_mw + wind_t
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
            fw = min(f, wind_t)
            forced_curt_wind += fw * dt_h
            flex_wind += min(ex_t, wind_t - fw) * dt_h
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
    eta = math.sqrt(p.round_trip_efficiency_frac)
    lo, hi = p.soc_min_frac * e_mwh, p.soc_max_frac * e_mwh
    exp_lim = 0.0 if p.policy.kind == "islanded" else p.export_limit_mw
    soc0 = lo
    for _ in range(4):  # cyclic storage: start where the year ends (a fixed point)
        out = _greedy_pass(
            p.solar_cf, p.wind_cf, pv, wd, p.load_mw, p.dt_h, e_mwh, p_mw, eta, eta, lo, hi, soc0, exp_lim
        )
        if abs(out[7] - soc0) <= 1e-9 * max(e_mwh, 1.0):
            break
        soc0 = out[7]
    imp, _, exportable, forced_curt, _, _, max_imp, _, _ = out
    # exports ≤ cap · delivered production, delivered = load − import + export (see problem.py)
    cap = p.export_cap_frac_of_production
    export_cap = cap * (p.load_mwh - imp) / (1.0 - cap) if cap < 1.0 else math.inf
    ex = min(exportable, export_cap)
    flexible_curt = exportable - ex
    curt = forced_curt + flexible_curt
    solar_per_mw, wind_per_mw = p.available_mwh_per_mw
    solar_avail, wind_avail = solar_per_mw * pv, wind_per_mw * wd
    c = p.costs
    # curtailment is shared pro rata for reporting only: VOM is paid on available energy
    share_solar = solar_avail / (solar_avail + wind_avail) if solar_avail + wind_avail > 0 else 0.0
    solar_disp = solar_avail - curt * share_solar
    wind_disp = wind_avail - curt * (1.0 - share_solar)
    capex = (
        c.solar_per_mw_yr * pv
        + c.wind_per_mw_yr * wd
        + c.battery_energy_per_mwh_yr * e_mwh
        + c.battery_power_per_mw_yr * p_mw
    )
    opex = (  # VOM on available energy (as-produced PPA with deemed-energy compensation)
        c.solar_vom_per_mwh * solar_avail
        + c.wind_vom_per_mwh * wind_avail
        + c.import_price_per_mwh * imp
        - c.export_price_per_mwh * ex
    )
    load_mwh = p.load_mwh
    cfe = (load_mwh - imp + p.grid_clean_share_frac * imp) / load_mwh if load_mwh > 0 else 1.0
    return DispatchTotals(imp, ex, curt, solar_disp, wind_disp, max_imp, capex + p.year_weight * opex, cfe)


def _conditions_hold(problem: PlanningProblem) -> str | None:
    """Why the greedy dispatch may not be exact for this problem, or None."""
    if problem.costs.export_price_per_mwh < 0.0:
        return "a negative export price"
    return None


_MAX_RESTARTS = 3  # SLSQP only has to get close; the ellipsoid polish finishes
_FULL_CFE_SLACK = 1e-6
_FEASIBILITY_TOL = 1e-6  # policy slack, as a share of the load
_NAMES = ("solar_mw", "wind_mw", "battery_energy_mwh", "battery_power_mw")
_UNITS = {"solar_mw": "MW", "wind_mw": "MW", "battery_energy_mwh": "MWh", "battery_power_mw": "MW"}


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

    cache: dict[bytes, DispatchTotals] = {}

    def totals_at(z: np.ndarray) -> DispatchTotals:
        key = np.asarray(z, dtype=float).tobytes()
        if key not in cache:  # SLSQP asks for cost and constraint at the same points
            if len(cache) > 64:
                cache.clear()
            cache[key] = dispatch_totals(p, z * scale)
        return cache[key]

    def f(z: np.ndarray) -> float:
        return totals_at(z).cost_per_yr / cost_scale

    def policy_slack(z: np.ndarray) -> float:
        return _policy_slack(p, totals_at(z))

    upper_z = [u / s if math.isfinite(u) else None for u, s in zip(upper, scale, strict=True)]
    bounds = list(zip(lower / scale, upper_z, strict=True))
    constraints = [{"type": "ineq", "fun": policy_slack}]
    start_x = _initial_guess(p) if x0 is None else np.asarray(x0, dtype=float)
    z_start = np.clip(start_x / scale, lower / scale, np.minimum(upper / scale, 1e6))
    z, _ = _descend(f, policy_slack, z_start, bounds, constraints)
    if z is None:
        raise InfeasibleError(_infeasible_message(p, dispatch_totals(p, _largest(p))))

    def both(zz: np.ndarray) -> tuple[float, float]:
        t = totals_at(zz)
        return t.cost_per_yr / cost_scale, _policy_slack(p, t)

    z = _ellipsoid_polish(both, z, lower / scale, upper / scale)
    x = np.clip(z, lower / scale, None) * scale
    x = _close_zero_import_gap(p, x, upper)
    totals = dispatch_totals(p, x)
    if totals.max_import_mw > p.import_limit_mw + 1e-9:
        return _fallback(p, f"the import limit of {p.import_limit_mw:g} MW binds")
    # The PPA volume cap is checked, not imposed: the optimum of the relaxed problem that
    # meets it is optimal for the capped one; otherwise the cap binds and the LP decides.
    dispatched = totals.solar_dispatched_mwh + totals.wind_dispatched_mwh
    if dispatched > p.ppa_volume_cap_mwh * (1.0 + 1e-9):
        return _fallback(p, f"the PPA volume cap of {p.ppa_volume_cap_mwh:,.0f} MWh binds")
    if _policy_slack(p, totals) < -_FEASIBILITY_TOL:
        raise InfeasibleError(_infeasible_message(p, dispatch_totals(p, _largest(p))))
    return _plan(p, x, totals, time.perf_counter() - start, "fast")


def _descend(
    f: Callable[[np.ndarray], float],
    slack: Callable[[np.ndarray], float],
    z: np.ndarray,
    bounds: list[tuple[float, float | None]],
    constraints: list[dict[str, object]],
) -> tuple[np.ndarray | None, float]:
    """SLSQP restarted from its own optimum until it stops improving (it stalls on the kinks
    of the piecewise-linear value functions); returns the best feasible point and value."""
    best_z, best = None, math.inf
    for _ in range(_MAX_RESTARTS):
        result = minimize(
            f, z, method="SLSQP", bounds=bounds, constraints=constraints,
            options={"ftol": 1e-10, "maxiter": 500, "eps": 1e-7},
        )  # fmt: skip
        feasible = slack(result.x) >= -_FEASIBILITY_TOL
        if feasible and (best_z is None or result.fun < best - 1e-9 * abs(best)):
            best_z, best = result.x, float(result.fun)
            z = result.x
        elif not feasible and best_z is None:
            z = result.x  # keep moving toward the feasible set
        else:
            break
    return best_z, best


def _close_zero_import_gap(p: PlanningProblem, x: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Grow the portfolio by the smallest factor that meets the policy exactly.

    The search allows a policy slack of 1e-6 of the load (so its constraint keeps a
    gradient), and for islanded and 100 % CFE it stops 1e-6 short of zero grid energy.
    Growing every capacity never adds imports, so doubling the growth from 1e-6 finds a
    portfolio the exact LP accepts, at a cost change of order 1e-5.
    """
    needs_zero = p.policy.kind == "islanded" or (p.policy.kind == "cfe" and p.policy.target_frac >= 1.0)

    def feasible(z: np.ndarray) -> bool:
        t = dispatch_totals(p, z)
        if needs_zero:
            return t.import_mwh <= 1e-9 * max(p.load_mwh, 1.0)
        return _policy_slack(p, t, exact=True) >= 0.0

    growth = 1e-6
    candidate = x
    while not feasible(candidate) and growth < 0.05:
        candidate = np.minimum(x * (1.0 + growth), upper)
        growth *= 2.0
    return candidate


def _ellipsoid_polish(
    both: Callable[[np.ndarray], tuple[float, float]],
    z0: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    radius_frac: float = 0.25,
    max_iter: int = 400,
    rel_tol: float = 2e-6,
) -> np.ndarray:
    """Polish a point with the ellipsoid method (central-cut, Shor/Yudin–Nemirovski).

    The ellipsoid method needs only (approximate) subgradients and converges for any
    convex problem, so it cannot stall on the kinks where SLSQP stops. It starts from an
    ellipsoid around ``z0`` with semi-axes ``radius_frac·max(z0, 1)·√n`` and stops when the
    objective cut certifies ``f(z) − f* ≤ rel_tol·f(z)`` inside the ellipsoid.
    Subgradients are forward differences with a step of 1e-4 (scaled units), which
    averages over the hour-by-hour kinks of the value functions.
    """
    n = z0.size
    z = z0.astype(float).copy()
    shape = np.diag((radius_frac * np.maximum(np.abs(z0), 1.0)) ** 2) * n
    f0, s0 = both(z0)
    best_z, best_f = z0.copy(), f0 if s0 >= -_FEASIBILITY_TOL else math.inf
    h = 1e-4
    for _ in range(max_iter):
        out_of_bounds = np.flatnonzero((z < lower) | (z > upper))
        if out_of_bounds.size:
            i = out_of_bounds[0]
            a = np.zeros(n)
            a[i] = -1.0 if z[i] < lower[i] else 1.0
            objective_cut = False
        else:
            fz, sz = both(z)
            objective_cut = sz >= -_FEASIBILITY_TOL
            a = np.empty(n)
            base = fz if objective_cut else -sz
            for i in range(n):
                step = np.zeros(n)
                step[i] = h
                value = both(z + step)
                a[i] = ((value[0] if objective_cut else -value[1]) - base) / h
            if objective_cut and fz < best_f:
                best_z, best_f = z.copy(), fz
        pa = shape @ a
        width = math.sqrt(max(float(a @ pa), 0.0))
        if width <= 1e-15:
            break
        if objective_cut and width <= rel_tol * max(best_f, 1e-12):
            break
        direction = pa / width
        z = z - direction / (n + 1)
        shape = n * n / (n * n - 1.0) * (shape - 2.0 / (n + 1) * np.outer(direction, direction))
    return best_z


def _cost_scale(p: PlanningProblem) -> float:
    return max(p.load_mwh * p.year_weight * p.costs.import_price_per_mwh, 1.0)


def _policy_slack(p: PlanningProblem, t: DispatchTotals, exact: bool = False) -> float:
    """≥ 0 when the policy holds; scaled by the period's load (``exact``: no 100 % relaxation)."""
    load = max(p.load_mwh, 1e-9)
    if p.policy.kind == "annual":  # delivered renewable energy ≥ load  ⟺  exports ≥ imports
        return (t.export_mwh - t.import_mwh) / load
    share = 0.0 if p.policy.kind == "islanded" else p.grid_clean_share_frac
    target = 1.0 if p.policy.kind == "islanded" else p.policy.target_frac
    # 100 %: allow 1e-6 of the load so the constraint keeps a gradient (SLSQP needs one);
    # the cost difference is far below the 0.1 % equivalence tolerance.
    if not exact:
        target = min(target, 1.0 - _FULL_CFE_SLACK)
    return ((1.0 - target) * load - (1.0 - share) * t.import_mwh) / load


def _initial_guess(p: PlanningProblem) -> np.ndarray:
    load = float(np.mean(p.load_mw))
    solar_cf = max(float(np.mean(p.solar_cf)), 1e-3)
    wind_cf = max(float(np.mean(p.wind_cf)), 1e-3)
    return np.array([0.6 * load / solar_cf, 0.6 * load / wind_cf, 4.0 * load, 1.0 * load])


def _largest(p: PlanningProblem) -> np.ndarray:
    """The largest portfolio the bounds allow (uncapped capacities at 1,000 × mean load):
    more capacity never adds imports, so it certifies the best reachable score."""
    big = 1000.0 * max(float(np.mean(p.load_mw)), 1e-9)
    b = p.bounds
    return np.array(
        [
            hi if math.isfinite(hi) else big
            for _, hi in (b.solar_mw, b.wind_mw, b.battery_energy_mwh, b.battery_power_mw)
        ]
    )


def _infeasible_message(p: PlanningProblem, t: DispatchTotals) -> str:
    b = p.bounds
    caps = [b.describe_cap(name, _UNITS[name]) for name in _NAMES if math.isfinite(getattr(b, name)[1])]
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
