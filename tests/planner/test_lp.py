"""The full planning LP: hand-computed optima, policy invariants, dispatch feasibility, bounds,
explained infeasibility, and a cost that is the sum of its parts.

Hand cases use tiny problems whose optimum follows from the constraints alone (worked
in each docstring); the rest uses the shared synthetic fortnight of ``conftest.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dctwin.errors import InfeasibleError
from dctwin.planner.lp import CAPACITY_NAMES, LPSolution, solve_lp
from dctwin.planner.problem import CapacityBounds, PlanningProblem, Policy, TechCosts, parse_policy

ProblemFactory = Callable[..., PlanningProblem]  # the ``make_problem`` fixture of conftest.py

TOL = 1e-6
NO_STORAGE = {"battery_energy_mwh": (0.0, 0.0), "battery_power_mw": (0.0, 0.0)}


def _tiny(load: list[float], solar_cf: list[float], policy: str, **fields: object) -> PlanningProblem:
    """PV-only problem with unit prices easy to add up by hand."""
    base = PlanningProblem(
        load_mw=np.array(load, dtype=float),
        solar_cf=np.array(solar_cf, dtype=float),
        wind_cf=np.zeros(len(load)),
        dt_h=1.0,
        costs=TechCosts(
            solar_per_mw_yr=1000.0,
            wind_per_mw_yr=1000.0,
            battery_energy_per_mwh_yr=100.0,
            battery_power_per_mw_yr=50.0,
            import_price_per_mwh=100.0,
            export_price_per_mwh=10.0,
        ),
        policy=parse_policy(policy),
        grid_clean_share_frac=0.2,
        round_trip_efficiency_frac=0.81,  # √η = 0.9 each way
        export_cap_frac_of_production=1.0,
        bounds=CapacityBounds(wind_mw=(0.0, 0.0), **NO_STORAGE),
    )
    return replace(base, **fields) if fields else base


# --- (a) optima computed by hand -----------------------------------------------------------------


def test_annual_pv_only_sizes_pv_to_load_over_mean_capacity_factor() -> None:
    """Flat 10 MW load, PV cf = (0, 0.5, 1, 0.5), no storage, annual matching.

    Delivered ≥ load ⟺ Σ export ≥ Σ import. For 10 ≤ S ≤ 20 MW: import = 10 + 2(10 − S/2)
    = 30 − S, export = S − 10, so S ≥ 20 MW = load / mean cf. More PV earns 2 MWh × 10 = 20
    per MW in exports, less than its 1000 cost: S = 20. Cost = 1000·20 + 100·10 − 10·10
    = 20,900. Hourly CFE = (0.2·10 + 10 + 10 + 10) / 40 = 0.8.
    """
    sol = solve_lp(_tiny([10.0] * 4, [0.0, 0.5, 1.0, 0.5], "annual"))
    plan = sol.plan
    assert plan.solar_mw == pytest.approx(20.0, rel=1e-7)
    assert plan.cost_per_yr == pytest.approx(20_900.0, rel=1e-7)
    assert plan.grid_import_mwh == pytest.approx(10.0, rel=1e-7)
    assert plan.grid_export_mwh == pytest.approx(10.0, rel=1e-7)
    assert plan.hourly_cfe_score_frac == pytest.approx(0.8, rel=1e-7)
    assert plan.annual_renewable_share_frac == pytest.approx(1.0, rel=1e-7)
    assert plan.cost_per_mwh == pytest.approx(20_900.0 / 40.0, rel=1e-7)
    assert plan.method == "linopy-highs"


def test_cfe_100_carries_the_night_through_the_battery_with_sqrt_eta_each_way() -> None:
    """Two steps, 10 MW load, PV cf = (1, 0), cfe:1.0, η = 0.81, storage allowed.

    The night needs d = 10 MW from the battery: it empties 10 / 0.9 = 11.11 MWh, which a
    charge of 11.11 / 0.9 = 12.35 MW refills by day (cyclic). So S = 10 + 10/0.81 =
    22.346 MW, E = 11.111 MWh, P = 12.346 MW (the charge), no grid. Cost = 1000 S + 100 E + 50 P.
    """
    problem = _tiny([10.0, 10.0], [1.0, 0.0], "cfe:1.0", bounds=CapacityBounds(wind_mw=(0.0, 0.0)))
    sol = solve_lp(problem)
    s, e, p = 10.0 + 10.0 / 0.81, 10.0 / 0.9, 10.0 / 0.81
    assert sol.plan.solar_mw == pytest.approx(s, rel=1e-7)
    assert sol.plan.battery_energy_mwh == pytest.approx(e, rel=1e-7)
    assert sol.plan.battery_power_mw == pytest.approx(p, rel=1e-7)
    assert sol.plan.cost_per_yr == pytest.approx(1000.0 * s + 100.0 * e + 50.0 * p, rel=1e-7)
    np.testing.assert_allclose(sol.battery_charge_mw, [p, 0.0], atol=TOL)
    np.testing.assert_allclose(sol.battery_discharge_mw, [0.0, 10.0], atol=TOL)
    np.testing.assert_allclose(sol.battery_soc_mwh, [e, 0.0], atol=TOL)
    assert sol.plan.grid_import_mwh == pytest.approx(0.0, abs=TOL)
    assert sol.plan.hourly_cfe_score_frac == pytest.approx(1.0, abs=TOL)


def test_vom_is_paid_on_available_energy_and_scaled_to_a_year() -> None:
    """The annual hand case with PV VOM 2/MWh, worthless exports, and a 4 h period weighted
    2190 times to make a year.

    S = 20 MW as before (the annual constraint alone sets it). VOM is a capacity cost:
    2/MWh × Σcf (2 MWh per MW) × 2190 = 8760 per MW on top of 1000; the 10 MWh imported
    cost 100 each, 2190 times: 9760 × 20 + 2190 × 1000 = 2,385,200.
    """
    costs = replace(_tiny([1.0], [1.0], "annual").costs, solar_vom_per_mwh=2.0, export_price_per_mwh=0.0)
    problem = _tiny([10.0] * 4, [0.0, 0.5, 1.0, 0.5], "annual", costs=costs, year_weight=2190.0)
    plan = solve_lp(problem).plan
    assert plan.solar_mw == pytest.approx(20.0, rel=1e-7)
    expected = (1000.0 + 2.0 * 2.0 * 2190.0) * 20.0 + 2190.0 * 100.0 * 10.0
    assert plan.cost_per_yr == pytest.approx(expected, rel=1e-7)
    assert plan.cost_per_mwh == pytest.approx(expected / (40.0 * 2190.0), rel=1e-7)


# --- (b) policies -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fortnight(make_problem: ProblemFactory) -> dict[str, LPSolution]:
    """The synthetic fortnight solved once per policy (plus one with grid limits)."""
    out = {
        pol: solve_lp(make_problem(pol)) for pol in ("annual", "cfe:0.8", "cfe:0.9", "cfe:1.0", "islanded")
    }
    limited = make_problem("cfe:0.9", import_limit_mw=90.0, export_limit_mw=25.0)
    out["cfe:0.9 limited"] = solve_lp(limited)
    return out


def _problem(make_problem: ProblemFactory, key: str) -> PlanningProblem:
    if key == "cfe:0.9 limited":
        return make_problem("cfe:0.9", import_limit_mw=90.0, export_limit_mw=25.0)
    return make_problem(key)


def test_stricter_policies_cost_more(fortnight: dict[str, LPSolution]) -> None:
    costs = [fortnight[k].plan.cost_per_yr for k in ("cfe:0.8", "cfe:0.9", "cfe:1.0", "islanded")]
    assert costs[0] <= costs[1] + 1e-6 * costs[1]
    assert costs[1] <= costs[2] + 1e-6 * costs[2]
    assert costs[2] <= costs[3] + 1e-6 * costs[3]  # islanded = cfe:1.0 without export revenue
    assert costs[0] < costs[2]  # and the last steps are not free


@pytest.mark.parametrize("key", ["cfe:0.8", "cfe:0.9", "cfe:1.0", "cfe:0.9 limited"])
def test_cfe_target_is_met_on_the_twins_hourly_score(fortnight: dict[str, LPSolution], key: str) -> None:
    target = parse_policy(key.split()[0]).target_frac
    plan = fortnight[key].plan
    assert plan.hourly_cfe_score_frac >= target - TOL


def test_annual_matching_delivers_the_load(
    fortnight: dict[str, LPSolution], make_problem: ProblemFactory
) -> None:
    sol, problem = fortnight["annual"], make_problem("annual")
    delivered = float(np.sum(problem.load_mw - sol.grid_import_mw + sol.grid_export_mw)) * problem.dt_h
    assert delivered >= problem.load_mwh * (1.0 - TOL)
    generated = float(np.sum(sol.solar_mw + sol.wind_mw)) * problem.dt_h
    assert generated >= problem.load_mwh  # losses come on top
    assert sol.plan.annual_renewable_share_frac == pytest.approx(1.0, abs=TOL)


def test_islanded_uses_no_grid(fortnight: dict[str, LPSolution]) -> None:
    sol = fortnight["islanded"]
    assert np.all(sol.grid_import_mw == 0.0)
    assert np.all(sol.grid_export_mw == 0.0)
    assert sol.plan.battery_energy_mwh > 0.0  # nights need storage
    assert sol.plan.hourly_cfe_score_frac == pytest.approx(1.0, abs=TOL)


# --- (c) the dispatch is feasible ---------------------------------------------------------------


@pytest.mark.parametrize("key", ["annual", "cfe:0.8", "cfe:1.0", "islanded", "cfe:0.9 limited"])
def test_dispatch_satisfies_every_constraint(
    fortnight: dict[str, LPSolution], make_problem: ProblemFactory, key: str
) -> None:
    _assert_feasible(_problem(make_problem, key), fortnight[key])


def _assert_feasible(p: PlanningProblem, sol: LPSolution) -> None:
    plan, dt = sol.plan, p.dt_h
    scale = max(float(np.max(p.load_mw)), 1.0) * TOL
    flows = [sol.solar_mw, sol.wind_mw, sol.battery_charge_mw, sol.battery_discharge_mw, sol.battery_soc_mwh]
    flows += [sol.grid_import_mw, sol.grid_export_mw, sol.curtailment_mw]
    assert all(np.all(f >= -scale) for f in flows)
    sources = sol.solar_mw + sol.wind_mw + sol.battery_discharge_mw + sol.grid_import_mw
    sinks = p.load_mw + sol.battery_charge_mw + sol.grid_export_mw
    np.testing.assert_allclose(sources, sinks, atol=scale)
    np.testing.assert_allclose(sol.solar_mw + sol.wind_mw + sol.curtailment_mw,
                               p.solar_cf * plan.solar_mw + p.wind_cf * plan.wind_mw, atol=scale)  # fmt: skip
    assert np.all(sol.solar_mw <= p.solar_cf * plan.solar_mw + scale)
    assert np.all(sol.wind_mw <= p.wind_cf * plan.wind_mw + scale)
    eta = math.sqrt(p.round_trip_efficiency_frac)
    previous = np.roll(sol.battery_soc_mwh, 1)  # cyclic: before the first step = after the last
    change = eta * sol.battery_charge_mw * dt - sol.battery_discharge_mw * dt / eta
    np.testing.assert_allclose(sol.battery_soc_mwh, previous + change, atol=scale)
    assert np.all(sol.battery_charge_mw <= sol.solar_mw + sol.wind_mw + scale)  # from renewables only
    assert np.all(sol.battery_discharge_mw <= p.load_mw + scale)  # into the campus only
    assert np.all(
        np.maximum(sol.battery_charge_mw, sol.battery_discharge_mw) <= plan.battery_power_mw + scale
    )
    assert np.all(sol.battery_soc_mwh <= p.soc_max_frac * plan.battery_energy_mwh + scale)
    assert np.all(sol.battery_soc_mwh >= p.soc_min_frac * plan.battery_energy_mwh - scale)
    assert np.all(sol.grid_import_mw <= p.import_limit_mw + scale)
    assert np.all(sol.grid_export_mw <= p.export_limit_mw + scale)
    delivered = float(np.sum(p.load_mw - sol.grid_import_mw + sol.grid_export_mw))
    cap = p.export_cap_frac_of_production
    assert float(np.sum(sol.grid_export_mw)) <= cap * delivered + scale * len(p.load_mw)


def test_grid_limits_bind_where_set(fortnight: dict[str, LPSolution]) -> None:
    """The limited case actually exercises its limits (else the feasibility check above proves little)."""
    sol = fortnight["cfe:0.9 limited"]
    assert np.max(sol.grid_export_mw) == pytest.approx(25.0, rel=1e-6)
    assert fortnight["cfe:0.9"].grid_export_mw.max() > 25.0


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    steps=st.integers(3, 30),
    policy=st.sampled_from(["annual", "cfe:0.5", "cfe:0.95", "islanded"]),
    soc_min=st.floats(0.0, 0.3),
    cap=st.floats(0.05, 0.95),  # a cap of 1 lets paid exports grow without bound
)
def test_any_solved_dispatch_is_feasible(
    seed: int, steps: int, policy: str, soc_min: float, cap: float
) -> None:
    """Property: on random small problems, an optimum always satisfies every constraint."""
    rng = np.random.default_rng(seed)
    problem = PlanningProblem(
        load_mw=rng.uniform(1.0, 50.0, steps),
        solar_cf=rng.uniform(0.0, 1.0, steps) * (rng.uniform(size=steps) > 0.3),
        wind_cf=rng.uniform(0.0, 1.0, steps),
        dt_h=float(rng.choice([1.0, 0.25])),
        costs=TechCosts(60e3, 120e3, 15e3, 30e3, 0.0, 1.8, 85.0, 28.0),
        policy=parse_policy(policy),
        soc_min_frac=soc_min,
        soc_max_frac=0.95,
        export_cap_frac_of_production=cap,
        year_weight=8760.0 / steps,
    )
    _assert_feasible(problem, solve_lp(problem))


# --- (d) bounds and fixed capacities ------------------------------------------------------------


def test_bounds_are_respected(make_problem: ProblemFactory) -> None:
    bounds = CapacityBounds(
        solar_mw=(0.0, 200.0),
        wind_mw=(60.0, math.inf),
        battery_energy_mwh=(0.0, 300.0),
        battery_power_mw=(10.0, 40.0),
    )
    free = solve_lp(make_problem("cfe:0.9")).plan
    plan = solve_lp(make_problem("cfe:0.9", bounds=bounds)).plan
    assert free.solar_mw > 200.0  # the bound is meant to bind
    assert plan.solar_mw <= 200.0 + TOL
    assert plan.wind_mw >= 60.0 - TOL
    assert plan.battery_energy_mwh <= 300.0 + TOL
    assert 10.0 - TOL <= plan.battery_power_mw <= 40.0 + TOL
    assert plan.cost_per_yr >= free.cost_per_yr


def test_fixed_capacities_pin_the_plan_and_price_only_the_dispatch(make_problem: ProblemFactory) -> None:
    problem = make_problem("cfe:0.9")
    best = solve_lp(problem).plan
    optimum = {k: getattr(best, k) for k in CAPACITY_NAMES}
    again = solve_lp(problem, fixed=optimum).plan
    assert again.cost_per_yr == pytest.approx(best.cost_per_yr, rel=1e-7)
    worse = dict(
        optimum, solar_mw=optimum["solar_mw"] * 1.2, battery_energy_mwh=optimum["battery_energy_mwh"] * 1.1
    )
    pinned = solve_lp(problem, fixed=worse).plan
    assert [getattr(pinned, k) for k in CAPACITY_NAMES] == pytest.approx([worse[k] for k in CAPACITY_NAMES])
    assert pinned.cost_per_yr > best.cost_per_yr


def test_fixed_rejects_unknown_names_and_negative_values(make_problem: ProblemFactory) -> None:
    with pytest.raises(ValueError, match="unknown capacity 'pv_mw'"):
        solve_lp(make_problem("annual"), fixed={"pv_mw": 10.0})
    with pytest.raises(ValueError, match="finite capacity ≥ 0"):
        solve_lp(make_problem("annual"), fixed={"solar_mw": -1.0})


# --- (e) infeasible requests are explained -------------------------------------------------------


def test_cfe_100_with_tight_land_caps_names_both_caps(make_problem: ProblemFactory) -> None:
    bounds = CapacityBounds(solar_mw=(0.0, 150.0), wind_mw=(0.0, 60.0))
    with pytest.raises(InfeasibleError) as info:
        solve_lp(make_problem("cfe:1", bounds=bounds))
    message = str(info.value)
    assert "policy cfe:1 cannot be met" in message
    assert "solar_mw ≤ 150 MW" in message
    assert "wind_mw ≤ 60 MW" in message
    assert "carbon-free supply" in message


def test_islanded_without_storage_names_the_storage_caps_and_counts_the_dark_hours(
    make_problem: ProblemFactory,
) -> None:
    """PV only, no battery, no grid: whatever the PV size, the load of every dark step is lost.

    The certificate is exact: at most the load of the sunny steps can be served."""
    problem = make_problem("islanded", bounds=CapacityBounds(wind_mw=(0.0, 0.0), **NO_STORAGE))
    dark = problem.solar_cf == 0.0
    missing = float(np.sum(problem.load_mw[dark])) * problem.dt_h
    with pytest.raises(InfeasibleError) as info:
        solve_lp(problem)
    message = str(info.value)
    assert f"the {missing:,.1f} MWh missing fall in {int(dark.sum())} of {dark.size} steps" in message
    assert "battery_energy_mwh ≤ 0 MWh" in message
    assert "wind_mw ≤ 0 MW" in message
    assert "solar_mw" not in message  # more PV would not help at night


def test_annual_above_the_ppa_volume_names_the_ppa_cap(make_problem: ProblemFactory) -> None:
    problem = make_problem("annual")
    with pytest.raises(InfeasibleError, match=r"ppa_volume_cap_mwh ≤ 20,000 MWh"):
        solve_lp(replace(problem, ppa_volume_cap_mwh=20_000.0))


def test_import_limit_below_the_night_load_is_named(make_problem: ProblemFactory) -> None:
    """No wind, no storage: every night needs ≈ 100 MW from a 50 MW connection."""
    bounds = CapacityBounds(wind_mw=(0.0, 0.0), **NO_STORAGE)
    problem = make_problem("cfe:0.5", import_limit_mw=50.0, bounds=bounds)
    with pytest.raises(InfeasibleError, match=r"grid import limit of 50 MW leaves [0-9,.]+ MWh unserved"):
        solve_lp(problem)


def test_unbounded_export_profit_is_explained() -> None:
    problem = _tiny([10.0] * 4, [0.0, 0.5, 1.0, 0.5], "annual")
    costs = replace(problem.costs, export_price_per_mwh=1e4)  # 2 MWh × 1e4 per MW ≫ 1000 per MW
    with pytest.raises(InfeasibleError, match="no lower bound"):
        solve_lp(replace(problem, costs=costs))


def test_time_limit_is_reported(make_problem: ProblemFactory) -> None:
    with pytest.raises(TimeoutError, match="time limit of 0 s"):
        solve_lp(make_problem("cfe:0.9"), time_limit_s=0.0)


# --- (f) the cost is the sum of its parts ---------------------------------------------------------


@pytest.mark.parametrize("key", ["annual", "cfe:0.9", "cfe:0.9 limited"])
def test_cost_is_capacity_plus_grid_energy(
    fortnight: dict[str, LPSolution], make_problem: ProblemFactory, key: str
) -> None:
    p, sol = _problem(make_problem, key), fortnight[key]
    plan, c, w = sol.plan, p.costs, p.year_weight * p.dt_h
    capacity = (
        (c.solar_per_mw_yr + w * c.solar_vom_per_mwh * p.solar_cf.sum()) * plan.solar_mw
        + (c.wind_per_mw_yr + w * c.wind_vom_per_mwh * p.wind_cf.sum()) * plan.wind_mw
        + c.battery_energy_per_mwh_yr * plan.battery_energy_mwh
        + c.battery_power_per_mw_yr * plan.battery_power_mw
    )
    grid = w * (
        c.import_price_per_mwh * sol.grid_import_mw.sum() - c.export_price_per_mwh * sol.grid_export_mw.sum()
    )
    assert plan.cost_per_yr == pytest.approx(capacity + grid, rel=1e-7)
    assert sol.objective == pytest.approx(plan.cost_per_yr, rel=1e-12)
    assert plan.cost_per_mwh == pytest.approx(plan.cost_per_yr / (p.load_mwh * p.year_weight), rel=1e-12)
    assert plan.grid_import_mwh == pytest.approx(sol.grid_import_mw.sum() * p.dt_h, rel=1e-12)
    assert plan.curtailment_mwh == pytest.approx(sol.curtailment_mw.sum() * p.dt_h, rel=1e-12)
    assert sol.build_s > 0.0 and sol.solve_s > 0.0
    assert plan.solve_s == pytest.approx(sol.build_s + sol.solve_s)


def test_repr_is_short_and_informative(fortnight: dict[str, LPSolution]) -> None:
    text = repr(fortnight["cfe:0.9"])
    assert text.startswith("LPSolution(336 steps: PV ")
    assert "hourly CFE 90.0%" in text
    assert "\n" not in text


def test_unknown_policy_kind_is_rejected(make_problem: ProblemFactory) -> None:
    with pytest.raises(ValueError, match="unknown policy kind 'weekly'"):
        solve_lp(replace(make_problem("annual"), policy=Policy("weekly")))
