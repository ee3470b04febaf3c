"""The cost-versus-CFE frontier and phase-by-phase sizing.

A frontier is a sweep of CFE targets solved by the fast path, each warm-started from
the previous optimum (the optimum moves little between neighbouring targets). Phasing
sizes each phase of the build-out against its own load, keeping what earlier phases
built as a lower bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace

import numpy as np
import pandas as pd

from dctwin.planner.fast import solve_fast
from dctwin.planner.inputs import cost_catalogue
from dctwin.planner.problem import PlanningProblem, PlanResult, Policy
from dctwin.scenario.planning import LandUse

__all__ = ["DEFAULT_TARGETS", "cost_frontier", "land_use_ha", "plan_row"]

DEFAULT_TARGETS = (0.80, 0.85, 0.90, 0.925, 0.95, 0.97, 0.98, 0.99, 0.995, 1.00)


def land_use_ha(plan: PlanResult, mounting: str = "single_axis", land: LandUse | None = None) -> float:
    """Land taken by a plan's PV, wind and batteries. [ha]

    Parameters
    ----------
    plan
        A solved plan.
    mounting
        PV mounting (``"single_axis"`` or ``"fixed"``).
    land
        Land-use factors (default: the built-in catalogue's ``[land]`` table: Ong et al.
        2013 for PV, Tarfaya for wind).
    """
    land = land or cost_catalogue().land
    return (
        plan.solar_mw * land.solar_ha_per_mw(mounting)
        + plan.wind_mw * land.onwind_ha_per_mw
        + plan.battery_energy_mwh * land.battery_ha_per_mwh
    )


def plan_row(
    problem: PlanningProblem, plan: PlanResult, annual_cost_per_mwh: float | None = None
) -> dict[str, object]:
    """One frontier row: the plan plus derived indicators (storage hours, premium, land)."""
    row: dict[str, object] = {"policy": str(problem.policy), **asdict(plan)}
    mean_load = float(np.mean(problem.load_mw))
    row["storage_hours_h"] = plan.battery_energy_mwh / mean_load if mean_load > 0 else 0.0
    available = plan.grid_export_mwh + plan.curtailment_mwh
    generated = (
        plan.solar_mw * float(np.sum(problem.solar_cf)) + plan.wind_mw * float(np.sum(problem.wind_cf))
    ) * problem.dt_h
    row["curtailment_frac"] = plan.curtailment_mwh / generated if generated > 0 else 0.0
    row["surplus_mwh"] = available
    factors = problem.land_ha_per_unit
    row["land_ha"] = (
        land_use_ha(plan) if factors is None else sum(getattr(plan, k) * v for k, v in factors.items())
    )
    if annual_cost_per_mwh:
        row["premium_over_annual_frac"] = plan.cost_per_mwh / annual_cost_per_mwh - 1.0
    return row


def cost_frontier(problem: PlanningProblem, targets: Sequence[float] = DEFAULT_TARGETS) -> pd.DataFrame:
    """Least-cost portfolios for a list of hourly CFE targets, plus the annual-matching reference.

    Parameters
    ----------
    problem
        The planning problem (its policy is ignored).
    targets
        Hourly CFE targets. [frac]

    Returns
    -------
    pandas.DataFrame
        One row per policy (``annual`` first): capacities [MW, MWh], cost [currency/yr,
        currency/MWh], premium over annual matching [frac], achieved CFE [frac], imports,
        exports, curtailment [MWh], storage hours [h], land [ha], solve time [s].
    """
    annual = solve_fast(replace(problem, policy=Policy("annual")))
    rows = [plan_row(replace(problem, policy=Policy("annual")), annual, annual.cost_per_mwh)]
    x = None
    for target in sorted(targets):
        p = replace(problem, policy=Policy("cfe", float(target)))
        plan = solve_fast(p, x0=x)
        x = np.array([plan.solar_mw, plan.wind_mw, plan.battery_energy_mwh, plan.battery_power_mw])
        rows.append(plan_row(p, plan, annual.cost_per_mwh))
    return pd.DataFrame(rows)
