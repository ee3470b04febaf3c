r"""The planning problem as a PyPSA network: the cross-check of the LP and a hand-off to PyPSA users.

The network mirrors :mod:`dctwin.planner.lp` component by component, in the way Riepin &
Brown build the C&I buyer node of PyPSA/247-cfe:

===================== ============================================================================
component             meaning
===================== ============================================================================
bus ``campus``        the site's AC bus; load ``facility`` with ``p_set`` = ``problem.load_mw``
generator ``solar``   extendable, ``p_max_pu`` = PV output per MW, ``capital_cost`` per MW·yr
generator ``onwind``  extendable, ``p_max_pu`` = wind output per MW, ``capital_cost`` per MW·yr
bus ``battery``       the storage's DC side
store ``battery``     ``e_cyclic``, ``e_min_pu``/``e_max_pu`` = SoC window, ``capital_cost`` per MWh·yr
link ``battery charger``    campus → battery, efficiency √η, carries the inverter ``capital_cost``
link ``battery discharger`` battery → campus, efficiency √η, no capital cost, ``p_nom`` tied
generator ``grid import``   ``marginal_cost`` = import price, ``p_nom`` = import limit
generator ``grid export``   ``sign = -1`` (a sink), ``marginal_cost`` = − export price
===================== ============================================================================

(no grid generators when the policy is ``islanded``). The constraints PyPSA has no
component for are added on the linopy model PyPSA builds, through
``n.optimize(extra_functionality=...)``: charge from renewables
(:math:`p_{charger} \le p_{solar} + p_{onwind}`), discharge into the campus only, the
inverter tie, the export cap on delivered production, the PPA volume cap and the policy
row (annual matching or CFE), each exactly as in :mod:`dctwin.planner.lp`.

Notes
-----
**Inverter tie.** Our inverter is symmetric on the AC side: charge and discharge are
both limited to ``battery_power_mw`` = :math:`P`. The charger's ``p_nom`` is measured at
its input (AC), the discharger's at its input (DC), so the tie is Riepin & Brown's
:math:`p^{nom}_{charger} = \sqrt{\eta}\, p^{nom}_{discharger}`, which makes the
discharger's AC output :math:`\le P`.

**Weightings.** ``snapshot_weightings`` has three columns (PyPSA design docs): ``objective``
weights marginal costs in the objective, ``stores`` the energy a store gains per MW
(:math:`e_t = e_{t-1} + w^{stores}_t p_t`), ``generators`` generator energy in global
constraints. Here ``objective`` = ``dt_h · year_weight`` (a year's operating cost),
``stores`` = ``generators`` = ``dt_h`` (MWh per MW of one step). ``capital_cost`` enters
the objective once, unweighted, so it is the yearly cost.

**VOM.** Variable O&M is paid on available energy (an as-produced PPA, see
:mod:`dctwin.planner.problem`), so it is folded into the generators' ``capital_cost``
(``vom · year_weight · dt_h · Σ cf`` per MW) and their ``marginal_cost`` is 0.

References
----------
T. Brown, J. Hörsch, D. Schlachtberger, "PyPSA: Python for Power System Analysis",
J. Open Research Software 6 (2018), doi:10.5334/jors.188.
E. Riepin, T. Brown, "On the means, costs, and system-level impacts of 24/7 carbon-free
energy procurement", Energy Strategy Reviews (2024); arXiv:2403.07876
(``Irieo/247-procurement-paper``; ``shared/reference/energy.md`` §1.1).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dctwin.errors import InfeasibleError
from dctwin.planner.lp import CAPACITY_NAMES, capacity_costs_per_yr, plan_from_dispatch
from dctwin.planner.problem import PlanningProblem, PlanResult

if TYPE_CHECKING:
    import pypsa

__all__ = ["export_netcdf", "solve_pypsa", "to_pypsa"]

_PIP = "pip install 'dctwin[pypsa]'"


def _pypsa() -> Any:
    try:
        import pypsa
    except ImportError as exc:
        raise ImportError(f"the PyPSA network needs the optional dependency PyPSA: {_PIP}") from exc
    return pypsa


def to_pypsa(problem: PlanningProblem, plan: PlanResult | None = None) -> pypsa.Network:
    """The planning problem as a single-bus PyPSA network.

    Parameters
    ----------
    problem
        The planning problem.
    plan
        A solved plan: its capacities are fixed (``p_nom_extendable = False``); without
        one, every capacity is extendable within ``problem.bounds``.

    Returns
    -------
    pypsa.Network
        Snapshots ``0 … T−1`` (steps of ``problem.dt_h``), components as in the module
        docstring. Capacities in MW / MWh, costs per year. The policy constraints are
        not part of the network; :func:`solve_pypsa` adds them when it optimises.

    Raises
    ------
    ImportError
        PyPSA is not installed (``pip install 'dctwin[pypsa]'``).
    """
    pypsa = _pypsa()
    with _options(pypsa):
        return _build_network(pypsa, problem, plan)


def _options(pypsa: Any) -> Any:
    """PyPSA options for our calls only.

    pandas ≥ 3 infers a ``str`` dtype; PyPSA 1.x converts it back to ``object`` on import
    and warns (FutureWarning) unless the choice is explicit: we keep its current
    behaviour, explicitly, without touching the user's global options.
    """
    return pypsa.option_context("api.legacy_string_dtype", True)


def _build_network(pypsa: Any, problem: PlanningProblem, plan: PlanResult | None) -> pypsa.Network:
    p = problem
    n = pypsa.Network(name=f"dctwin plan ({p.policy})")
    n.set_snapshots(pd.RangeIndex(len(p.load_mw), name="snapshot"))
    n.snapshot_weightings.loc[:, "objective"] = p.dt_h * p.year_weight  # a year of operating cost
    n.snapshot_weightings.loc[:, "stores"] = p.dt_h  # MWh stored per MW over one step
    n.snapshot_weightings.loc[:, "generators"] = p.dt_h
    for carrier in ("AC", "battery", "solar", "onwind", "grid"):
        n.add("Carrier", carrier)
    n.add("Bus", "campus", carrier="AC")
    n.add("Load", "facility", bus="campus", p_set=pd.Series(np.asarray(p.load_mw, float), n.snapshots))
    per_unit = capacity_costs_per_yr(p)
    for name, cf, key in (("solar", p.solar_cf, "solar_mw"), ("onwind", p.wind_cf, "wind_mw")):
        n.add(
            "Generator", name, bus="campus", carrier=name, capital_cost=per_unit[key], marginal_cost=0.0,
            p_max_pu=pd.Series(np.asarray(cf, float), n.snapshots), **_nominal(p, plan, key, "p"),
        )  # fmt: skip
    _add_battery(n, p, plan, per_unit)
    if p.policy.kind != "islanded":
        c = p.costs
        n.add("Generator", "grid import", bus="campus", carrier="grid", marginal_cost=c.import_price_per_mwh,
              **_grid_nominal(p.import_limit_mw))  # fmt: skip
        n.add("Generator", "grid export", bus="campus", carrier="grid", sign=-1.0,
              marginal_cost=-c.export_price_per_mwh, **_grid_nominal(p.export_limit_mw))  # fmt: skip
    return n


def _add_battery(
    n: pypsa.Network, p: PlanningProblem, plan: PlanResult | None, per_unit: dict[str, float]
) -> None:
    """Store on its own bus, a charger link with the inverter cost and a discharger link.

    The charger's ``p_nom`` is AC (its input), the discharger's DC (its input): the
    discharger gets ``p_nom / √η`` so that both AC sides are limited to the same power.
    """
    eta = math.sqrt(p.round_trip_efficiency_frac)
    n.add("Bus", "battery", carrier="battery")
    n.add(
        "Store", "battery", bus="battery", carrier="battery", e_cyclic=True,
        e_min_pu=p.soc_min_frac, e_max_pu=p.soc_max_frac, capital_cost=per_unit["battery_energy_mwh"],
        **_nominal(p, plan, "battery_energy_mwh", "e"),
    )  # fmt: skip
    charger = _nominal(p, plan, "battery_power_mw", "p")
    discharger = {k: v / eta if k in {"p_nom", "p_nom_min", "p_nom_max"} else v for k, v in charger.items()}
    n.add(
        "Link", "battery charger", bus0="campus", bus1="battery", carrier="battery", efficiency=eta,
        capital_cost=per_unit["battery_power_mw"], **charger,
    )  # fmt: skip
    n.add(
        "Link", "battery discharger", bus0="battery", bus1="campus", carrier="battery", efficiency=eta,
        **discharger,
    )  # fmt: skip


def _nominal(p: PlanningProblem, plan: PlanResult | None, key: str, prefix: str) -> dict[str, Any]:
    """``p_nom``/``e_nom`` attributes: fixed to the plan's capacity, or extendable within the bounds."""
    if plan is not None:
        return {f"{prefix}_nom": float(getattr(plan, key)), f"{prefix}_nom_extendable": False}
    low, high = getattr(p.bounds, key)
    return {
        f"{prefix}_nom_extendable": True,
        f"{prefix}_nom_min": float(low),
        f"{prefix}_nom_max": float(high),
    }


def _grid_nominal(limit_mw: float) -> dict[str, Any]:
    """A grid connection: fixed at its limit, or free (extendable at no cost) when unlimited."""
    if math.isfinite(limit_mw):
        return {"p_nom": float(limit_mw)}
    return {"p_nom_extendable": True, "capital_cost": 0.0}


def _policy_constraints(problem: PlanningProblem) -> Any:
    """The ``extra_functionality`` that adds the rows PyPSA has no component for."""
    p = problem
    eta = math.sqrt(p.round_trip_efficiency_frac)

    def extra(n: pypsa.Network, snapshots: pd.Index) -> None:
        m = n.model
        gen, link = m["Generator-p"], m["Link-p"]
        renewable = gen.sel(name="solar", drop=True) + gen.sel(name="onwind", drop=True)
        charge = link.sel(name="battery charger", drop=True)
        discharge_dc = link.sel(name="battery discharger", drop=True)
        m.add_constraints(charge - renewable <= 0.0, name="charge_from_renewables")
        load = pd.Series(np.asarray(p.load_mw, float), index=pd.Index(snapshots, name="snapshot"))
        m.add_constraints(eta * discharge_dc <= load.to_xarray(), name="discharge_into_campus")
        if "Link-p_nom" in m.variables and "battery charger" in m["Link-p_nom"].indexes["name"]:
            nom = m["Link-p_nom"]
            m.add_constraints(
                nom.sel(name="battery charger", drop=True)
                - eta * nom.sel(name="battery discharger", drop=True)
                == 0.0,
                name="inverter_tie",
            )
        if math.isfinite(p.ppa_volume_cap_mwh):
            m.add_constraints(renewable.sum() * p.dt_h <= p.ppa_volume_cap_mwh, name="ppa_volume_cap")
        if p.policy.kind == "islanded":
            return
        imports, exports = (
            gen.sel(name="grid import", drop=True).sum(),
            gen.sel(name="grid export", drop=True).sum(),
        )
        cap = p.export_cap_frac_of_production
        load_sum_mw = float(np.sum(p.load_mw))
        m.add_constraints((1.0 - cap) * exports + cap * imports <= cap * load_sum_mw, name="export_cap")
        if p.policy.kind == "annual":
            m.add_constraints(exports - imports >= 0.0, name="annual_matching")
        else:
            dirty_mwh = imports * ((1.0 - p.grid_clean_share_frac) * p.dt_h)
            m.add_constraints(dirty_mwh <= (1.0 - p.policy.target_frac) * p.load_mwh, name="cfe_target")

    return extra


def solve_pypsa(problem: PlanningProblem, plan: PlanResult | None = None) -> PlanResult:
    """Build the network and optimise it with HiGHS (the cross-check of :func:`~dctwin.planner.lp.solve_lp`).

    Parameters
    ----------
    problem
        The planning problem.
    plan
        Capacities to fix (optional); then only the dispatch is optimised.

    Returns
    -------
    PlanResult
        ``method = "pypsa-highs"``; cost = PyPSA's objective plus, for fixed capacities,
        their yearly cost. ``solve_s`` is the wall time of building and optimising.

    Raises
    ------
    InfeasibleError
        HiGHS finds no optimum (use :func:`~dctwin.planner.lp.solve_lp` for an explanation).
    ImportError
        PyPSA is not installed.
    """
    pypsa = _pypsa()
    start = time.perf_counter()
    n = to_pypsa(problem, plan)
    with _options(pypsa):
        _, condition = n.optimize(
            solver_name="highs",
            extra_functionality=_policy_constraints(problem),
            log_to_console=False,
            include_objective_constant=False,
            io_api="direct",
            progress=False,
            solver="ipm",
            run_crossover="on",
            output_flag=False,
        )
    solve_s = time.perf_counter() - start
    if condition != "optimal":
        raise InfeasibleError(
            f"PyPSA/HiGHS found no optimum for policy {problem.policy} (termination {condition!r}); "
            "dctwin.planner.lp.solve_lp explains which cap binds"
        )
    capacities = _capacities(n)
    cost = float(n.objective or 0.0)
    if plan is not None:
        cost += _fixed_capacity_cost(problem, capacities)
    return plan_from_dispatch(
        problem, capacities, dispatch_from_network(problem, n), cost, solve_s, "pypsa-highs"
    )


def _capacities(n: pypsa.Network) -> dict[str, float]:
    g, s, links = n.generators.p_nom_opt, n.stores.e_nom_opt, n.links.p_nom_opt
    values = (g["solar"], g["onwind"], s["battery"], links["battery charger"])
    return {k: max(float(v), 0.0) for k, v in zip(CAPACITY_NAMES, values, strict=True)}


def _fixed_capacity_cost(p: PlanningProblem, capacities: dict[str, float]) -> float:
    """Yearly cost of fixed capacities (PyPSA leaves non-extendable capital cost out of its objective)."""
    per_unit = capacity_costs_per_yr(p)
    return sum(per_unit[k] * capacities[k] for k in CAPACITY_NAMES)


def dispatch_from_network(problem: PlanningProblem, n: pypsa.Network) -> dict[str, np.ndarray]:
    """The optimised dispatch of a network from :func:`to_pypsa`, keyed as ``lp.FLOW_NAMES``.

    Parameters
    ----------
    problem
        The planning problem the network was built from.
    n
        The optimised network.

    Returns
    -------
    dict of numpy.ndarray
        Per-step flows [MW] and state of charge [MWh], AC side for the battery.
    """
    g, links = n.generators_t.p, n.links_t
    steps = len(problem.load_mw)
    zeros = np.zeros(steps)
    solar = g["solar"].to_numpy(float)
    wind = g["onwind"].to_numpy(float)
    capacities = _capacities(n)
    available = problem.solar_cf * capacities["solar_mw"] + problem.wind_cf * capacities["wind_mw"]
    return {
        "solar_mw": solar,
        "wind_mw": wind,
        "battery_charge_mw": links.p0["battery charger"].to_numpy(float),
        "battery_discharge_mw": -links.p1["battery discharger"].to_numpy(float),
        "battery_soc_mwh": n.stores_t.e["battery"].to_numpy(float),
        "grid_import_mw": g["grid import"].to_numpy(float) if "grid import" in g else zeros,
        "grid_export_mw": g["grid export"].to_numpy(float) if "grid export" in g else zeros,
        "curtailment_mw": np.clip(available - solar - wind, 0.0, None),
    }


def export_netcdf(problem: PlanningProblem, plan: PlanResult, path: str | Path) -> Path:
    """Write the planned system (capacities fixed) as a PyPSA netCDF file.

    Parameters
    ----------
    problem
        The planning problem the plan solves.
    plan
        The plan whose capacities are written as fixed ``p_nom`` / ``e_nom``.
    path
        Output file (``.nc``).

    Returns
    -------
    pathlib.Path
        The file written; ``pypsa.Network(path)`` reads it back.

    Raises
    ------
    ImportError
        PyPSA is not installed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    n = to_pypsa(problem, plan)
    with _options(_pypsa()):
        n.export_to_netcdf(target)
    return target
