"""From the scenario to the planning problem: the scenario's costs, its site limits (as
capacity bounds with their origin), the PPA volume cap, and how the fast path treats it."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from dctwin.economics import annualised_cost_per_unit
from dctwin.engine import run
from dctwin.errors import InfeasibleError, ScenarioError
from dctwin.planner.fast import dispatch_totals, solve_fast
from dctwin.planner.inputs import plan_bounds, problem_from_results, tech_costs
from dctwin.planner.lp import solve_lp
from dctwin.planner.problem import PlanningProblem, Policy, parse_policy
from dctwin.results.model import Results
from dctwin.scenario import load_scenario

FOUR_WEEKS = {"time.start_date": "2026-02-16", "time.duration_days": 28}


@pytest.fixture(scope="module")
def results() -> Results:
    return run(load_scenario("morocco-500mw", **FOUR_WEEKS))


def test_scenario_costs_reach_the_problem(results: Results) -> None:
    """Onshore wind 1,180 €/kW (Enel 850 MW in Morocco, energy.md §4.3) at 8.2 % WACC
    (IRENA 2023, Middle East & Africa) instead of the catalogue's 1,383 €/kW at 7 %."""
    cheap = load_scenario("morocco-500mw", **FOUR_WEEKS, **{"costs.onwind.capex_per_kw": 1180.0})
    cheap = cheap.model_copy(update={"costs": cheap.costs.model_copy(update={"wacc_frac": 0.082})})
    problem = problem_from_results(results, "north", Policy("annual"), costs=cheap.costs)
    expected = annualised_cost_per_unit(1_180_000.0, 0.0122, 0.082, 30.0)
    assert problem.costs.wind_per_mw_yr == pytest.approx(expected)
    assert problem.costs == tech_costs(cheap.costs, "single_axis")
    default = problem_from_results(results, "north", Policy("annual"))
    assert default.costs.wind_per_mw_yr == pytest.approx(
        annualised_cost_per_unit(1_383_000.0, 0.0122, 0.07, 30.0)
    )


def test_site_limits_become_bounds_with_their_origin(results: Results) -> None:
    site = results.scenario.sites[0].model_copy(
        update={
            "limits": results.scenario.sites[0].limits.model_copy(
                update={"solar_land_ha": 170.0, "wind_max_mw": 30.0}
            )
        }
    )
    bounds = plan_bounds(site, results.scenario.costs, built={"wind_mw": 10.0})
    assert bounds.solar_mw == pytest.approx((0.0, 50.0))  # 170 ha / 3.4 ha/MW
    assert bounds.wind_mw == (10.0, 30.0)
    assert bounds.battery_energy_mwh == (0.0, math.inf)
    assert (
        bounds.describe_cap("solar_mw", "MW")
        == "solar_mw ≤ 50 MW [north: limits.solar_land_ha = 170 ha at 3.4 ha/MW]"
    )
    with pytest.raises(ScenarioError, match=r"wind_mw ≤ 30 .* below the 40 built in earlier phases"):
        plan_bounds(site, results.scenario.costs, built={"wind_mw": 40.0})


def _limited(results: Results, **limits: float) -> PlanningProblem:
    scenario = results.scenario
    site = scenario.sites[0]
    site = site.model_copy(update={"limits": site.limits.model_copy(update=limits)})
    limited = Results(
        scenario=scenario.model_copy(update={"sites": [site]}),
        timeseries=results.timeseries,
        summary=results.summary,
        metadata=results.metadata,
    )
    return problem_from_results(limited, "north", parse_policy("cfe:1.0"))


def test_an_unreachable_target_names_the_scenario_fields_that_bind(results: Results) -> None:
    problem = _limited(results, solar_land_ha=136.0, wind_land_ha=592.0, battery_energy_max_mwh=50.0)
    with pytest.raises(InfeasibleError) as info:
        solve_fast(problem)
    message = str(info.value)
    assert "policy cfe:1 cannot be met" in message
    assert "solar_mw ≤ 40 MW [north: limits.solar_land_ha = 136 ha at 3.4 ha/MW]" in message
    assert "wind_mw ≤ 20 MW [north: limits.wind_land_ha = 592 ha at 29.6 ha/MW]" in message
    with pytest.raises(InfeasibleError, match=r"binding caps: .*\[north: limits\.solar_land_ha"):
        solve_lp(problem)


def test_the_ppa_volume_scales_to_the_period(results: Results) -> None:
    problem = _limited(results, ppa_volume_cap_mwh_per_yr=876_000.0)
    assert problem.ppa_volume_cap_mwh == pytest.approx(876_000.0 * 28 * 24 / 8760)


def test_a_slack_ppa_cap_keeps_the_fast_path_and_a_binding_one_goes_to_the_lp(results: Results) -> None:
    """The fast path solves without the cap and checks it: if the optimum meets it, it is
    optimal for the capped problem too; if not, the LP (which imposes it) decides."""
    base = replace(problem_from_results(results, "north", Policy("annual")))
    free = solve_fast(base)
    generated = base.load_mwh - free.grid_import_mwh + free.grid_export_mwh  # delivered ≤ dispatched
    slack = solve_fast(replace(base, ppa_volume_cap_mwh=10.0 * generated))
    assert slack.method == "fast"
    assert slack.cost_per_yr == pytest.approx(free.cost_per_yr, rel=1e-9)
    x = np.array([free.solar_mw, free.wind_mw, free.battery_energy_mwh, free.battery_power_mw])
    totals = dispatch_totals(base, x)
    dispatched = totals.solar_dispatched_mwh + totals.wind_dispatched_mwh
    assert dispatched > base.load_mwh  # the free optimum uses more than the load (losses, exports)
    tight_cap = base.load_mwh + 0.5 * (dispatched - base.load_mwh)  # annual matching needs ≥ the load
    tight = solve_fast(replace(base, ppa_volume_cap_mwh=tight_cap))
    assert tight.method.startswith("linopy-highs (fallback: the PPA volume cap")
    assert tight.cost_per_yr >= free.cost_per_yr * (1 - 1e-6)
