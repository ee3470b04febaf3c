"""Plan a scenario phase by phase and hand the sized portfolio back to the twin.

For each site and each phase up to the requested one, the twin is run at that phase
(so the load is that phase's IT × PUE(T)), and the planner sizes PV, wind and battery
with what earlier phases built as lower bounds ("capacity built in one phase is kept in
the next"). The result is a new scenario whose build steps carry the planned capacity
increments; ``dctwin run`` on it shows the hourly result of the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from dctwin.engine import run
from dctwin.planner.fast import solve_fast
from dctwin.planner.frontier import plan_row
from dctwin.planner.inputs import problem_from_results
from dctwin.planner.problem import PlanResult, Policy
from dctwin.scenario.schema import BuildStep, Scenario

__all__ = ["PhasedPlan", "demand_scenario", "plan_scenario"]

_CAPS = ("solar_mw", "wind_mw", "battery_energy_mwh", "battery_power_mw")
_BUILD_FIELDS = {
    "solar_mw": "solar_ac_mw",
    "wind_mw": "wind_mw",
    "battery_energy_mwh": "battery_energy_mwh",
    "battery_power_mw": "battery_power_mw",
}


@dataclass(frozen=True)
class PhasedPlan:
    """A planned scenario and the plan of every (site, phase).

    Attributes
    ----------
    scenario
        The input scenario with planned capacities in its build steps.
    table
        One row per site and phase: capacities (cumulative), cost, CFE, solve time.
    plans
        ``(site, phase) → PlanResult``.
    """

    scenario: Scenario
    table: pd.DataFrame
    plans: dict[tuple[str, str], PlanResult]


def plan_scenario(scenario: Scenario, policy: Policy, up_to_phase: str | None = None) -> PhasedPlan:
    """Size every site for every phase up to ``up_to_phase`` (default: the scenario's phase).

    Parameters
    ----------
    scenario
        Scenario to plan (its renewable capacities are replaced).
    policy
        Procurement policy for every phase.
    up_to_phase
        Last phase to plan.

    Returns
    -------
    PhasedPlan
        The planned scenario, a table and the individual plans.
    """
    last = scenario.phase_index(up_to_phase)
    phases = [p.name for p in scenario.phases[: last + 1]]
    plans: dict[tuple[str, str], PlanResult] = {}
    rows: list[dict[str, Any]] = []
    built = {s.name: dict.fromkeys(_CAPS, 0.0) for s in scenario.sites}
    for phase in phases:
        results = run(demand_scenario(scenario.model_copy(update={"phase": phase})))
        for site in scenario.sites:
            if site.name not in results.sites:
                continue
            already = built[site.name]
            problem = problem_from_results(results, site.name, policy, built=already)
            plan = solve_fast(problem)
            plans[(site.name, phase)] = plan
            built[site.name] = {k: max(getattr(plan, k), already[k]) for k in _CAPS}
            rows.append({"site": site.name, "phase": phase, **plan_row(problem, plan)})
    planned = _with_capacities(scenario, plans, phases)
    return PhasedPlan(planned, pd.DataFrame(rows), plans)


def demand_scenario(scenario: Scenario) -> Scenario:
    """The scenario whose twin run gives the load to plan against: the demand the campus wants.

    With the scheduler, the power-aware IT load already bends to the supply of the scenario
    being replaced; the planner sizes the new supply against the power-oblivious load of the
    same workload (and skips the baseline comparison). Running the planned scenario
    power-aware can then only shift flexible load toward clean hours.
    """
    if scenario.it_load != "scheduler":
        return scenario
    policy = scenario.scheduler.model_copy(update={"power_policy": "oblivious", "compare_baseline": False})
    return scenario.model_copy(update={"scheduler": policy})


def _with_capacities(
    scenario: Scenario, plans: dict[tuple[str, str], PlanResult], phases: list[str]
) -> Scenario:
    sites = []
    for site in scenario.sites:
        previous = dict.fromkeys(_CAPS, 0.0)
        builds: list[BuildStep] = []
        for build in site.builds:
            plan = plans.get((site.name, build.phase))
            if plan is None:
                builds.append(build if build.phase not in phases else _zero_supply(build))
                continue
            cumulative = {k: getattr(plan, k) for k in _CAPS}
            increments = {_BUILD_FIELDS[k]: round(max(cumulative[k] - previous[k], 0.0), 3) for k in _CAPS}
            builds.append(build.model_copy(update=increments))
            previous = {k: max(previous[k], cumulative[k]) for k in _CAPS}
        sites.append(site.model_copy(update={"builds": builds}))
    description = f"{scenario.description} — renewable portfolio sized by dctwin plan"
    return scenario.model_copy(update={"sites": sites, "description": description.strip(" —")})


def _zero_supply(build: BuildStep) -> BuildStep:
    return build.model_copy(update=dict.fromkeys(_BUILD_FIELDS.values(), 0.0))
