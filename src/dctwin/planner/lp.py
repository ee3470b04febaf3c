r"""The exact planning LP: least-cost PV, wind and battery with their hourly dispatch (linopy + HiGHS).

One bus, one period of :math:`T` steps of length :math:`\Delta t` [h], all flows in MW
and non-negative (``docs/conventions.md``). The formulation follows the 24/7 CFE model of
Riepin & Brown (the C&I buyer node of PyPSA/247-cfe) on a single site, with the twin's
battery and export rules and the contract of :mod:`dctwin.planner.problem`.

Variables
---------
Capacities (within ``problem.bounds``, or pinned by ``fixed``): PV :math:`S` [MW], wind
:math:`W` [MW], battery energy :math:`E` [MWh] and inverter power :math:`P` [MW]. Per step
:math:`t`: renewable output dispatched :math:`g_t` (used, stored or exported), battery
charge and discharge :math:`c_t, d_t` (AC side), state of charge :math:`e_t` [MWh] at the
end of the step, grid import and export :math:`i_t, x_t`.

Constraints
-----------
.. math::

    g_t \le cf^s_t S + cf^w_t W
        \quad (\text{curtailment} = cf^s_t S + cf^w_t W - g_t)

    g_t + d_t + i_t = L_t + c_t + x_t                                 \quad (\text{balance})

    c_t \le g_t \quad (\text{charge from renewables}), \qquad
    d_t \le L_t \quad (\text{discharge into the campus only})

    c_t \le P, \quad d_t \le P, \quad \underline{s} E \le e_t \le \overline{s} E

    e_t = e_{t-1} + \sqrt{\eta}\, c_t \Delta t - d_t \Delta t / \sqrt{\eta},
        \quad e_{-1} = e_{T-1}                                        \quad (\text{cyclic})

    i_t \le \bar I, \quad x_t \le \bar X, \quad
    \textstyle\sum_t x_t \le f_x \sum_t (L_t - i_t + x_t)            \quad (\text{export cap})

    \textstyle\sum_t g_t \Delta t \le V_{PPA}                         \quad (\text{PPA volume, if finite})

where :math:`\sum_t (L_t - i_t + x_t)\Delta t` is the *delivered* renewable production
(energy that reached the campus or the grid; curtailment and battery losses excluded),
and the policy:

* ``annual``: delivered production ≥ load, i.e. :math:`\sum_t x_t \ge \sum_t i_t`
  (100 % annual matching, the "res100" constraint of Riepin & Brown, on delivered energy);
* ``cfe:X``: :math:`\sum_t (1 - s_{grid}) i_t \le (1 - X) \sum_t L_t`;
* ``islanded``: :math:`i_t = x_t = 0`.

Objective [currency/yr]
-----------------------
.. math::

    \min\; (c_S + w\, v_s \textstyle\sum_t cf^s_t) S + (c_W + w\, v_w \sum_t cf^w_t) W
      + c_E E + c_P P + w \sum_t \left(p_i i_t - p_x x_t\right), \qquad w = w_{yr} \Delta t

with the annualised capacity costs, VOM and prices of
:class:`~dctwin.planner.problem.TechCosts` and :math:`w_{yr}` = ``problem.year_weight``,
which scales the period's operation to a year. VOM is paid on the energy the plants can
produce, curtailed or not (an as-produced PPA with deemed-energy compensation), so it is
a capacity cost and never steers dispatch.

Notes
-----
**One dispatch variable for PV and wind.** Since neither VOM nor any constraint tells PV
and wind apart once they are produced, the LP dispatches their sum. The reported
``solar_mw`` and ``wind_mw`` split :math:`g_t` pro rata to each plant's available
output in the step (curtailment shared the same way). This removes one variable and one
row per step and the degenerate PV/wind split: the 8760 h problem solves ≈ 40 % faster.

**The CFE constraint.** Riepin & Brown (methods, eq. CFE) require the clean energy used,
:math:`\sum_t [g_t + (d_t - c_t) - x_t + s_{grid} i_t]`, to be at least :math:`X \sum_t L_t`.
With the balance this is exactly :math:`\sum_t (1 - s_{grid}) i_t \le (1-X) \sum_t L_t`, one
row instead of one per step. It equals the twin's hourly CFE score
(:func:`dctwin.metrics.hourly_cfe`) whenever import and export do not happen in the same
hour: then the clean energy used in hour :math:`h` is :math:`L_h - i_h` (storage counts as
clean because it only charges from renewables) plus :math:`s_{grid} i_h`, and no surplus
carries between hours. Simultaneous import and export is never optimal while import is
dearer than export; where it did occur, the twin's score would be lower than the LP's,
never higher, so the reported score (``PlanResult.hourly_cfe_score_frac``) is always the
twin's, computed from the dispatch, and the tests check it against the target.

**Charge from renewables.** :math:`c_t \le g_t` is the twin's rule in LP form. It is
slightly weaker than the twin's "surplus only": with an import limit that binds, the LP
may charge from renewables in an hour the grid serves part of the load. With no import
limit (and flat prices and grid clean share) this never pays, and the LP dispatch costs
what the twin's merit order costs (see :mod:`dctwin.planner.fast`).

**Export cap.** Moroccan Law 13-09 caps surplus sales at a share of production; the LP
applies it to delivered production over the period, the twin's dispatch to date (a
tighter, causal version).

**Solver.** HiGHS's interior-point method with crossover (a basic optimal solution, so
duals are those of a vertex), through linopy's direct API. On 2 cores the synthetic
8760 h year solves in ≈ 10–25 s (dual simplex: 50–60 s); ``LPSolution.build_s`` and
``solve_s`` report the split.

**Infeasibility.** When HiGHS proves the problem infeasible, an auxiliary *elastic* LP
with the same caps minimises the missing clean (or served) energy instead of enforcing
the policy; its optimum is the certificate (the policy needs N MWh, the caps allow at
most M). The caps that bind are named with what they cost: the dual of a cap is the
MWh one more unit would recover; a cap pinned to its lower bound (a zero cap, a fixed
capacity) has no one-sided dual and is lifted in one more solve, and battery energy
and power, which only help together, are lifted as a pair (:func:`_explain_infeasible`).
Example (islanded, PV only, no storage allowed)::

    policy islanded cannot be met: it needs 32,629.8 MWh of on-site supply (no grid) over
    the 336 h period (100.0% of the 32,629.8 MWh load), but within the caps at most
    15,265.1 MWh (46.8%) is possible; the 17,364.7 MWh missing fall in 182 of 336 steps,
    when the capped PV, wind and storage fall short; binding caps: wind_mw ≤ 0 MW (lifting
    it recovers 17,364.7 MWh); battery_energy_mwh ≤ 0 MWh with battery_power_mw ≤ 0 MW
    (storage without both caps recovers 17,364.7 MWh); raise them or relax the policy

References
----------
E. Riepin, T. Brown, "On the means, costs, and system-level impacts of 24/7 carbon-free
energy procurement", Energy Strategy Reviews (2024); preprint arXiv:2403.07876 (model in
``Irieo/247-procurement-paper``, methods.tex; ``shared/reference/energy.md`` §1.1).
Google, "24/7 Carbon-Free Energy: Methodologies and Metrics", Feb 2021.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from dctwin.errors import InfeasibleError
from dctwin.metrics import hourly_cfe
from dctwin.planner.problem import PlanningProblem, PlanResult

__all__ = [
    "CAPACITY_NAMES",
    "FLOW_NAMES",
    "LPSolution",
    "capacity_costs_per_yr",
    "hourly_cfe_score",
    "plan_from_dispatch",
    "solve_lp",
]

CAPACITY_NAMES = ("solar_mw", "wind_mw", "battery_energy_mwh", "battery_power_mw")
"""Keys of the capacities (``fixed``, :class:`PlanResult` attributes)."""

FLOW_NAMES = (
    "solar_mw",
    "wind_mw",
    "battery_charge_mw",
    "battery_discharge_mw",
    "battery_soc_mwh",
    "grid_import_mw",
    "grid_export_mw",
    "curtailment_mw",
)
"""The dispatch arrays of :class:`LPSolution`, in its field order."""

_TIME = "time"
_SOLVER_OPTIONS = {"solver": "ipm", "run_crossover": "on", "output_flag": False, "log_to_console": False}


@dataclass(frozen=True)
class LPSolution:
    """The optimum of :func:`solve_lp`: the plan and its dispatch.

    Attributes
    ----------
    plan
        Capacities and summary (``method = "linopy-highs"``).
    solar_mw, wind_mw
        PV and wind output dispatched (used, stored or exported) per step; the LP
        dispatches their sum, shared pro rata to each plant's available output. [MW]
    battery_charge_mw, battery_discharge_mw
        Battery flows, AC side. [MW]
    battery_soc_mwh
        State of charge at the end of each step. [MWh]
    grid_import_mw, grid_export_mw
        Grid flows. [MW]
    curtailment_mw
        Available renewable output not dispatched. [MW]
    objective
        Optimal objective as HiGHS reports it. [currency/yr]
    build_s, solve_s
        Wall time to build the linopy model and to pass it to HiGHS and solve. [s]
    """

    plan: PlanResult
    solar_mw: np.ndarray
    wind_mw: np.ndarray
    battery_charge_mw: np.ndarray
    battery_discharge_mw: np.ndarray
    battery_soc_mwh: np.ndarray
    grid_import_mw: np.ndarray
    grid_export_mw: np.ndarray
    curtailment_mw: np.ndarray
    objective: float
    build_s: float
    solve_s: float

    def __repr__(self) -> str:
        p = self.plan
        return (
            f"LPSolution({len(self.solar_mw)} steps: PV {p.solar_mw:,.1f} MW, wind {p.wind_mw:,.1f} MW, "
            f"battery {p.battery_power_mw:,.1f} MW / {p.battery_energy_mwh:,.1f} MWh, "
            f"{p.cost_per_mwh:,.2f}/MWh, hourly CFE {p.hourly_cfe_score_frac:.1%}, "
            f"build {self.build_s:.2f} s, solve {self.solve_s:.2f} s)"
        )


def solve_lp(
    problem: PlanningProblem,
    *,
    time_limit_s: float | None = None,
    fixed: Mapping[str, float] | None = None,
) -> LPSolution:
    """Least-cost capacities and dispatch by the full LP (linopy, HiGHS).

    Parameters
    ----------
    problem
        The planning problem.
    time_limit_s
        HiGHS time limit. [s]
    fixed
        Capacities to pin, by name (``solar_mw``, ``wind_mw`` [MW], ``battery_energy_mwh``
        [MWh], ``battery_power_mw`` [MW]); a pinned value overrides ``problem.bounds``.

    Returns
    -------
    LPSolution
        The optimal plan (``method = "linopy-highs"``) and dispatch.

    Raises
    ------
    InfeasibleError
        The policy (or the load) cannot be met within the caps; the message gives the
        shortfall and names the binding caps. Also when the cost is unbounded below.
    TimeoutError
        HiGHS stopped at ``time_limit_s`` before proving optimality.
    ValueError
        ``fixed`` holds an unknown name or a negative capacity.

    Notes
    -----
    The formulation is in the module docstring. Build and solve times are measured
    separately (``LPSolution.build_s``, ``solve_s``); ``plan.solve_s`` is their sum.
    """
    lower, upper = _capacity_range(problem, fixed)
    start = time.perf_counter()
    model = _build(problem, lower, upper, elastic=None)
    build_s = time.perf_counter() - start
    condition = _solve(model, time_limit_s)
    solve_s = time.perf_counter() - start - build_s
    if condition != "optimal":
        _raise_not_optimal(problem, lower, upper, condition, time_limit_s)
    capacities = _capacities(model, lower, upper)
    flows = _flows(problem, model, capacities)
    objective = float(model.objective.value or 0.0)
    plan = plan_from_dispatch(problem, capacities, flows, objective, build_s + solve_s, "linopy-highs")
    return LPSolution(plan=plan, **flows, objective=objective, build_s=build_s, solve_s=solve_s)


def _capacity_range(
    problem: PlanningProblem, fixed: Mapping[str, float] | None
) -> tuple[dict[str, float], dict[str, float]]:
    """Lower and upper capacity bounds after pinning ``fixed``."""
    b = problem.bounds
    lower = {k: float(getattr(b, k)[0]) for k in CAPACITY_NAMES}
    upper = {k: float(getattr(b, k)[1]) for k in CAPACITY_NAMES}
    for key, value in (fixed or {}).items():
        if key not in CAPACITY_NAMES:
            raise ValueError(f"fixed: unknown capacity {key!r}; use one of {', '.join(CAPACITY_NAMES)}")
        if not value >= 0.0 or not math.isfinite(value):
            raise ValueError(f"fixed[{key!r}] must be a finite capacity ≥ 0, got {value}")
        lower[key] = upper[key] = float(value)
    return lower, upper


def _build(
    p: PlanningProblem, lower: Mapping[str, float], upper: Mapping[str, float], *, elastic: str | None
) -> linopy.Model:
    """The linopy model.

    ``elastic`` builds the auxiliary problems of :func:`_explain_infeasible` instead of the
    cost minimisation: ``"unserved"`` drops the policy and minimises the load left
    unserved (MWh); ``"policy"`` minimises the policy gap (MWh of clean energy short).
    """
    m = linopy.Model()
    index = pd.RangeIndex(len(p.load_mw), name=_TIME)
    for key in CAPACITY_NAMES:
        var = m.add_variables(lower=lower[key], name=f"capacity_{key}")
        if math.isfinite(upper[key]):  # an explicit row, so the infeasibility explainer can read its dual
            m.add_constraints(var <= upper[key], name=f"cap_{key}")
    islanded = p.policy.kind == "islanded"
    load = xr.DataArray(np.asarray(p.load_mw, dtype=float), coords=[index])
    m.add_variables(lower=0.0, coords=[index], name="renewable_mw")
    m.add_variables(lower=0.0, coords=[index], name="battery_charge_mw")
    m.add_variables(lower=0.0, upper=load, coords=[index], name="battery_discharge_mw")  # into the campus
    m.add_variables(lower=0.0, coords=[index], name="battery_soc_mwh")
    import_max_mw = 0.0 if islanded else p.import_limit_mw
    export_max_mw = 0.0 if islanded else p.export_limit_mw
    m.add_variables(lower=0.0, upper=import_max_mw, coords=[index], name="grid_import_mw")
    m.add_variables(lower=0.0, upper=export_max_mw, coords=[index], name="grid_export_mw")
    if elastic == "unserved":
        m.add_variables(lower=0.0, coords=[index], name="unserved_mw")
    elif elastic == "policy":
        m.add_variables(lower=0.0, name="policy_gap_mwh")
    _add_dispatch_constraints(m, p, load)
    _add_period_constraints(m, p, policy=elastic != "unserved")
    if elastic == "unserved":
        m.add_objective(m.variables["unserved_mw"].sum() * p.dt_h)
    elif elastic == "policy":
        m.add_objective(1.0 * m.variables["policy_gap_mwh"])
    else:
        _add_cost_objective(m, p)
    return m


def _add_dispatch_constraints(m: linopy.Model, p: PlanningProblem, load: xr.DataArray) -> None:
    """Availability, balance, charge-from-renewables, inverter and SoC window, storage continuity."""
    v = m.variables
    renewable = v["renewable_mw"]
    charge, discharge, soc = v["battery_charge_mw"], v["battery_discharge_mw"], v["battery_soc_mwh"]
    solar_cf = xr.DataArray(np.asarray(p.solar_cf, dtype=float), coords=load.coords)
    wind_cf = xr.DataArray(np.asarray(p.wind_cf, dtype=float), coords=load.coords)
    available = solar_cf * v["capacity_solar_mw"] + wind_cf * v["capacity_wind_mw"]
    m.add_constraints(renewable - available <= 0.0, name="renewable_available")
    supply = renewable + discharge + v["grid_import_mw"] - charge - v["grid_export_mw"]
    if "unserved_mw" in v:
        supply = supply + v["unserved_mw"]
    m.add_constraints(supply == load, name="balance")
    m.add_constraints(charge - renewable <= 0.0, name="charge_from_renewables")
    m.add_constraints(charge - v["capacity_battery_power_mw"] <= 0.0, name="charge_power")
    m.add_constraints(discharge - v["capacity_battery_power_mw"] <= 0.0, name="discharge_power")
    energy = v["capacity_battery_energy_mwh"]
    m.add_constraints(soc - p.soc_max_frac * energy <= 0.0, name="soc_max")
    if p.soc_min_frac > 0.0:
        m.add_constraints(soc - p.soc_min_frac * energy >= 0.0, name="soc_min")
    eta = math.sqrt(p.round_trip_efficiency_frac)
    m.add_constraints(
        soc - soc.roll({_TIME: 1}) - (eta * p.dt_h) * charge + (p.dt_h / eta) * discharge == 0.0,
        name="soc_cyclic",
    )


def _add_period_constraints(m: linopy.Model, p: PlanningProblem, *, policy: bool) -> None:
    """Export cap, PPA volume cap and (if ``policy``) the policy: one row each."""
    v = m.variables
    exports, imports = v["grid_export_mw"].sum(), v["grid_import_mw"].sum()
    load_sum_mw = float(np.sum(p.load_mw))
    if p.policy.kind != "islanded":
        # Σ export ≤ cap · delivered production, delivered = Σ (load − import + export)
        cap = p.export_cap_frac_of_production
        m.add_constraints((1.0 - cap) * exports + cap * imports <= cap * load_sum_mw, name="export_cap")
    if math.isfinite(p.ppa_volume_cap_mwh):
        m.add_constraints(v["renewable_mw"].sum() * p.dt_h <= p.ppa_volume_cap_mwh, name="ppa_volume_cap")
    if not policy:
        return
    gap: linopy.Variable | float = 0.0
    if "policy_gap_mwh" in v:
        gap = v["policy_gap_mwh"]
    if p.policy.kind == "annual":  # delivered renewable energy ≥ load  ⟺  Σ export ≥ Σ import
        m.add_constraints((exports - imports) * p.dt_h + gap >= 0.0, name="policy")
    elif p.policy.kind == "cfe":
        dirty_mwh = imports * ((1.0 - p.grid_clean_share_frac) * p.dt_h)
        m.add_constraints(dirty_mwh - gap <= (1.0 - p.policy.target_frac) * p.load_mwh, name="policy")
    elif p.policy.kind != "islanded":
        raise ValueError(f"unknown policy kind {p.policy.kind!r}; use annual, cfe or islanded")


def _add_cost_objective(m: linopy.Model, p: PlanningProblem) -> None:
    """Yearly capacity cost (VOM on available energy included) + grid energy. [currency/yr]"""
    v, c = m.variables, p.costs
    w = p.year_weight * p.dt_h
    per_unit = capacity_costs_per_yr(p)
    capacity = sum(per_unit[k] * v[f"capacity_{k}"] for k in CAPACITY_NAMES)
    imports = (w * c.import_price_per_mwh) * v["grid_import_mw"].sum()
    exports = (w * c.export_price_per_mwh) * v["grid_export_mw"].sum()
    m.add_objective(capacity + imports - exports)


def capacity_costs_per_yr(problem: PlanningProblem) -> dict[str, float]:
    r"""Yearly cost of one unit of each capacity, VOM on available energy included.

    Parameters
    ----------
    problem
        The planning problem (costs, profiles, step, year weight).

    Returns
    -------
    dict
        By :data:`CAPACITY_NAMES`: PV and wind [currency/MW/yr], battery energy
        [currency/MWh/yr], battery power [currency/MW/yr].

    Notes
    -----
    VOM is paid on what a plant can produce, curtailed or not (an as-produced PPA with
    deemed-energy compensation), so per MW of PV it adds
    :math:`v_s \, w_{yr} \Delta t \sum_t cf^s_t` to the annualised capex + FOM.
    """
    c = problem.costs
    w = problem.year_weight * problem.dt_h
    return {
        "solar_mw": c.solar_per_mw_yr + w * c.solar_vom_per_mwh * float(np.sum(problem.solar_cf)),
        "wind_mw": c.wind_per_mw_yr + w * c.wind_vom_per_mwh * float(np.sum(problem.wind_cf)),
        "battery_energy_mwh": c.battery_energy_per_mwh_yr,
        "battery_power_mw": c.battery_power_per_mw_yr,
    }


def _solve(m: linopy.Model, time_limit_s: float | None) -> str:
    """Solve with HiGHS (interior point + crossover) through its direct API; linopy's termination."""
    options: dict[str, Any] = dict(_SOLVER_OPTIONS)
    if time_limit_s is not None:
        options["time_limit"] = float(time_limit_s)
    _, condition = m.solve(solver_name="highs", io_api="direct", progress=False, **options)
    return str(condition)


def _capacities(m: linopy.Model, lower: Mapping[str, float], upper: Mapping[str, float]) -> dict[str, float]:
    """Optimal capacities, clipped to their bounds (HiGHS may return −1e-12 for a zero)."""
    values = {k: float(m.variables[f"capacity_{k}"].solution) for k in CAPACITY_NAMES}
    return {k: min(max(values[k], lower[k]), upper[k]) + 0.0 for k in CAPACITY_NAMES}  # no -0.0


def _flows(p: PlanningProblem, m: linopy.Model, capacities: Mapping[str, float]) -> dict[str, np.ndarray]:
    """The dispatch arrays of the solved model, keyed as in :data:`FLOW_NAMES`.

    PV and wind share the dispatched renewable output pro rata to their available output.
    """
    v = m.variables
    flows = {k: np.asarray(v[k].solution.values, dtype=float) for k in FLOW_NAMES[2:-1]}
    solar_avail = np.asarray(p.solar_cf, dtype=float) * capacities["solar_mw"]
    wind_avail = np.asarray(p.wind_cf, dtype=float) * capacities["wind_mw"]
    available = solar_avail + wind_avail
    renewable = np.clip(np.asarray(v["renewable_mw"].solution.values, dtype=float), 0.0, available)
    share = np.divide(solar_avail, available, out=np.zeros_like(available), where=available > 0)
    flows["solar_mw"] = renewable * share
    flows["wind_mw"] = renewable - flows["solar_mw"]
    flows["curtailment_mw"] = available - renewable
    return {k: flows[k] for k in FLOW_NAMES}


def hourly_cfe_score(
    problem: PlanningProblem, grid_import_mw: np.ndarray, grid_export_mw: np.ndarray
) -> float:
    """The twin's hourly CFE score of a dispatch (as :func:`dctwin.metrics.hourly_cfe`).

    Parameters
    ----------
    problem
        The planning problem (load, step, grid clean share).
    grid_import_mw, grid_export_mw
        Grid flows per step. [MW]

    Returns
    -------
    float
        Load-weighted mean of the hourly CFE shares. [frac]

    Notes
    -----
    Sub-hourly steps are summed into clock hours counted from the first step, which is
    taken to start on the hour (as the twin's runs do). No load is shed in a plan.
    """
    n = len(problem.load_mw)
    step = pd.Timedelta(seconds=round(problem.dt_h * 3600.0))
    index = pd.date_range("2000-01-01", periods=n, freq=step, tz="UTC", name="time_utc")
    frame = pd.DataFrame(
        {
            "facility_load_mw": np.asarray(problem.load_mw, dtype=float),
            "grid_import_mw": np.asarray(grid_import_mw, dtype=float),
            "grid_export_mw": np.asarray(grid_export_mw, dtype=float),
            "load_shed_mw": np.zeros(n),
        },
        index=index,
    )
    cfe = hourly_cfe(frame, problem.dt_h, problem.grid_clean_share_frac)
    load = float(cfe["load_mwh"].sum())
    return float(cfe["cfe_mwh"].sum()) / load if load > 0 else 1.0


def plan_from_dispatch(
    problem: PlanningProblem,
    capacities: Mapping[str, float],
    flows: Mapping[str, np.ndarray],
    cost_per_yr: float,
    solve_s: float,
    method: str,
) -> PlanResult:
    r"""The :class:`PlanResult` of capacities and a dispatch (shared by every LP solve path).

    Parameters
    ----------
    problem
        The planning problem.
    capacities
        Capacities by :data:`CAPACITY_NAMES`. [MW], [MWh]
    flows
        Dispatch arrays by :data:`FLOW_NAMES`; only ``grid_import_mw``, ``grid_export_mw``
        and ``curtailment_mw`` are read. [MW]
    cost_per_yr
        Optimal objective. [currency/yr]
    solve_s
        Wall time of the solve path. [s]
    method
        Name of the solve path.

    Returns
    -------
    PlanResult
        With the twin's hourly CFE score and annual renewable share, and period totals [MWh].

    Notes
    -----
    As in :func:`dctwin.metrics.site_summary`: the annual renewable share is
    :math:`\min(D, L) / L` with the delivered renewable energy
    :math:`D = \sum_t (L_t - i_t + x_t) \Delta t` (curtailment and battery losses excluded).
    """
    dt = problem.dt_h
    load_mwh = problem.load_mwh
    imports_mwh = float(np.sum(flows["grid_import_mw"])) * dt
    exports_mwh = float(np.sum(flows["grid_export_mw"])) * dt
    delivered_mwh = load_mwh - imports_mwh + exports_mwh
    load_yr = load_mwh * problem.year_weight
    return PlanResult(
        **{k: float(capacities[k]) for k in CAPACITY_NAMES},
        cost_per_yr=float(cost_per_yr),
        cost_per_mwh=float(cost_per_yr) / load_yr if load_yr > 0 else math.nan,
        hourly_cfe_score_frac=hourly_cfe_score(problem, flows["grid_import_mw"], flows["grid_export_mw"]),
        annual_renewable_share_frac=min(delivered_mwh, load_mwh) / load_mwh if load_mwh > 0 else 1.0,
        grid_import_mwh=imports_mwh,
        grid_export_mwh=exports_mwh,
        curtailment_mwh=float(np.sum(flows["curtailment_mw"])) * dt,
        solve_s=float(solve_s),
        method=method,
    )


# --- infeasibility: a certificate from the elastic problem ------------------------------------------

_UNITS = {"solar_mw": "MW", "wind_mw": "MW", "battery_energy_mwh": "MWh", "battery_power_mw": "MW"}


def _raise_not_optimal(
    p: PlanningProblem,
    lower: Mapping[str, float],
    upper: Mapping[str, float],
    condition: str,
    time_limit_s: float | None,
) -> None:
    """Raise the error that explains why HiGHS returned no optimum."""
    if condition == "time_limit":
        raise TimeoutError(
            f"HiGHS stopped at the time limit of {time_limit_s:g} s before proving an optimum "
            f"({len(p.load_mw)} steps, policy {p.policy}); raise time_limit_s or use dctwin.planner.fast"
        )
    if condition in {"infeasible", "infeasible_or_unbounded", "unbounded"}:
        message = _explain_infeasible(p, lower, upper)
        if message is not None:
            raise InfeasibleError(message)
        if all(upper[k] == lower[k] for k in CAPACITY_NAMES):  # nothing to size: cannot be unbounded
            pinned = ", ".join(f"{k} = {lower[k]:,.6g}" for k in CAPACITY_NAMES)
            raise InfeasibleError(
                f"the fixed capacities ({pinned}) cannot meet policy {p.policy} with this load and "
                "these profiles; raise a capacity or relax the policy"
            )
        c = p.costs
        raise InfeasibleError(
            f"the planning cost has no lower bound (policy {p.policy}): selling surplus at "
            f"{c.export_price_per_mwh:g}/MWh earns more than the capacity it needs costs; "
            "set finite upper capacity bounds or a lower export price"
        )
    raise InfeasibleError(
        f"HiGHS ended with status {condition!r} on the planning LP (policy {p.policy}); "
        "check the inputs for NaN or infinite values"
    )


def _explain_infeasible(
    p: PlanningProblem, lower: Mapping[str, float], upper: Mapping[str, float]
) -> str | None:
    """The certificate of an infeasible plan, or None when no shortfall is found.

    Two auxiliary (elastic) problems keep every cap. First, where the grid cannot serve
    every step (islanded, or a finite import limit), the least load left unserved with
    the policy dropped; then the least policy gap (MWh of renewable or carbon-free
    supply short of the target). The first positive optimum is the certificate: the
    policy needs N MWh, the caps allow at most N − gap. The duals of the capacity caps
    in that problem are the MWh each extra unit of capacity would recover; the caps
    with non-zero duals are the binding ones. Battery energy and power only help
    together, so when both are capped and neither dual moves, one more solve without
    both caps tells whether storage is what is missing.
    """
    islanded = p.policy.kind == "islanded"
    modes = ["unserved"] if islanded or math.isfinite(p.import_limit_mw) else []
    modes += [] if islanded else ["policy"]
    for mode in modes:
        m = _build(p, lower, upper, elastic=mode)
        if _solve(m, None) != "optimal":
            return None
        short_mwh = _shortfall_mwh(m, p)
        if short_mwh <= 1e-6 * max(p.load_mwh, 1.0):
            continue
        if mode == "policy":
            first = _policy_sentence(p, m, short_mwh)
        else:
            unserved_mwh = np.asarray(m.variables["unserved_mw"].solution.values) * p.dt_h
            first = _islanded_sentence(p, unserved_mwh) if islanded else _import_sentence(p, unserved_mwh)
        binding = _binding_caps(_Elastic(p, lower, upper, mode, short_mwh), m)
        if not binding:
            return f"{first}; no capacity cap binds (the limit is in the profiles or the grid connection)"
        return f"{first}; binding caps: {'; '.join(binding)}; raise them or relax the policy"
    return None


def _shortfall_mwh(m: linopy.Model, p: PlanningProblem) -> float:
    """Optimum of an elastic problem: unserved load or policy gap over the period. [MWh]"""
    if "unserved_mw" in m.variables:
        return float(m.variables["unserved_mw"].solution.sum()) * p.dt_h
    return float(m.variables["policy_gap_mwh"].solution)


@dataclass(frozen=True)
class _Elastic:
    """An elastic problem and its optimum: what :func:`_binding_caps` re-solves with a cap lifted."""

    problem: PlanningProblem
    lower: Mapping[str, float]
    upper: Mapping[str, float]
    mode: str
    short_mwh: float

    def recovered_mwh(self, lifted: tuple[str, ...]) -> float:
        """Shortfall recovered when the caps ``lifted`` are removed. [MWh]"""
        upper = dict(self.upper, **dict.fromkeys(lifted, math.inf))
        m = _build(self.problem, self.lower, upper, elastic=self.mode)
        if _solve(m, None) != "optimal":
            return 0.0
        return self.short_mwh - _shortfall_mwh(m, self.problem)


def _need(p: PlanningProblem, need_mwh: float, what: str, best_mwh: float) -> str:
    load_mwh = p.load_mwh
    return (
        f"policy {p.policy} cannot be met: it needs {need_mwh:,.1f} MWh of {what} over the "
        f"{p.period_h:,.0f} h period ({need_mwh / load_mwh:.1%} of the {load_mwh:,.1f} MWh load), "
        f"but within the caps at most {best_mwh:,.1f} MWh ({best_mwh / load_mwh:.1%}) is possible"
    )


def _short_steps(values: np.ndarray, n: int) -> str:
    steps = int(np.count_nonzero(values > 1e-6))
    return f"{steps} of {n} steps, when the capped PV, wind and storage fall short"


def _islanded_sentence(p: PlanningProblem, unserved_mwh: np.ndarray) -> str:
    short = float(unserved_mwh.sum())
    text = _need(p, p.load_mwh, "on-site supply (no grid)", p.load_mwh - short)
    return f"{text}; the {short:,.1f} MWh missing fall in {_short_steps(unserved_mwh, len(unserved_mwh))}"


def _import_sentence(p: PlanningProblem, unserved_mwh: np.ndarray) -> str:
    short = float(unserved_mwh.sum())
    return (
        f"the load cannot be served: even with the renewables and storage the caps allow, the grid "
        f"import limit of {p.import_limit_mw:,.6g} MW leaves {short:,.1f} MWh unserved in "
        f"{_short_steps(unserved_mwh, len(unserved_mwh))} (policy {p.policy})"
    )


def _policy_sentence(p: PlanningProblem, m: linopy.Model, gap_mwh: float) -> str:
    if p.policy.kind == "annual":
        need = p.load_mwh
        what = "renewable energy delivered to the campus or the grid (annual matching)"
        return _need(p, need, what, need - gap_mwh)
    need = p.policy.target_frac * p.load_mwh
    imports = np.asarray(m.variables["grid_import_mw"].solution.values)
    text = _need(p, need, "carbon-free supply (hourly CFE)", need - gap_mwh)
    return (
        f"{text}; the grid must still supply {float(imports.sum()) * p.dt_h:,.1f} MWh in "
        f"{_short_steps(imports, len(imports))}"
    )


def _binding_caps(e: _Elastic, m: linopy.Model) -> list[str]:
    """The caps that limit the elastic optimum, with what lifting them recovers.

    A cap above its lower bound binds when its dual is non-zero, and the dual is what one
    more unit recovers. A cap pinned to its lower bound (a zero cap, a fixed capacity)
    has no one-sided dual, so it is lifted and the problem re-solved; battery energy and
    power only help together, so when neither binds alone both are lifted at once.
    """
    found: list[str] = []
    tol = 1e-6 * max(e.problem.load_mwh, 1.0)
    for key in CAPACITY_NAMES:
        cap, unit = e.upper[key], _UNITS[key]
        if not math.isfinite(cap):
            continue
        origin = e.problem.bounds.origins.get(key)
        where = f" [{origin}]" if origin else ""
        if cap > e.lower[key] + 1e-9:
            dual = abs(float(m.constraints[f"cap_{key}"].dual))
            if dual > 1e-6:
                found.append(f"{key} ≤ {cap:,.6g} {unit}{where} (each extra {unit} recovers {dual:,.3g} MWh)")
        elif (gain := e.recovered_mwh((key,))) > tol:
            found.append(f"{key} ≤ {cap:,.6g} {unit}{where} (lifting it recovers {gain:,.1f} MWh)")
    pair = ("battery_energy_mwh", "battery_power_mw")
    both_capped = all(math.isfinite(e.upper[k]) for k in pair)
    if (
        both_capped
        and not any(f.startswith("battery_") for f in found)
        and (gain := e.recovered_mwh(pair)) > tol
    ):
        found.append(
            f"battery_energy_mwh ≤ {e.upper[pair[0]]:,.6g} MWh with battery_power_mw ≤ "
            f"{e.upper[pair[1]]:,.6g} MW (storage without both caps recovers {gain:,.1f} MWh)"
        )
    if "ppa_volume_cap" in m.constraints:
        dual = abs(float(m.constraints["ppa_volume_cap"].dual))
        if dual > 1e-6:
            found.append(
                f"ppa_volume_cap_mwh ≤ {e.problem.ppa_volume_cap_mwh:,.6g} MWh "
                f"(each extra MWh recovers {dual:,.3g} MWh)"
            )
    return found
