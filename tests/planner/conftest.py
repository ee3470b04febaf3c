"""Shared fixtures of the planner tests: small synthetic but realistic planning problems.

The profiles are built with numpy from a fixed seed (no weather files, no twin run), so
they are cheap and identical on every machine:

* PV: a clear-sky half-sine between sunrise and sunset whose day length and peak follow
  the season at ≈ 31° N (southern Morocco), times a daily cloudiness drawn from an AR(1)
  process; annual capacity factor ≈ 0.27 (energy.md §4.1: 0.27–0.31 for single-axis).
* Wind: an hourly AR(1) wind speed (lag-1 correlation 0.97, multi-day weather systems)
  through a generic power curve (cut-in 3 m/s, rated 12 m/s, cut-out 25 m/s); capacity
  factor ≈ 0.34 (energy.md §4.1: Tarfaya ≈ 0.42).
* Load: a flat-ish facility load of 100 MW with a diurnal cooling swing of ± 4 % (PUE
  follows the air temperature) and 1 % noise.

Costs are the built-in catalogue's (``scenario/data/costs.toml``: technology-data 2030,
7 % WACC). Fixtures are factories so a test can change the policy or any field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache
from typing import Any

import numpy as np
import pytest

from dctwin.planner.inputs import cost_catalogue, tech_costs
from dctwin.planner.problem import PlanningProblem, TechCosts, parse_policy

LOAD_MW = 100.0
SEED = 20260401


@cache
def _profiles(hours: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Load [MW], PV and wind output per MW [MW/MW] for ``hours`` hourly steps from 1 January."""
    rng = np.random.default_rng(seed)
    t = np.arange(hours, dtype=float)
    hour_of_day = t % 24.0
    day = t // 24.0
    season = np.cos(2.0 * np.pi * (day - 172.0) / 365.0)  # +1 at the June solstice
    day_length_h = 12.0 + 2.0 * season
    sunrise = 12.5 - day_length_h / 2.0  # solar noon ≈ 12:30 UTC at 8° W
    phase = (hour_of_day + 0.5 - sunrise) / day_length_h
    clear = np.where((phase > 0.0) & (phase < 1.0), np.sin(np.pi * np.clip(phase, 0.0, 1.0)), 0.0)
    n_days = int(day[-1]) + 1
    cloud = np.empty(n_days)
    cloud[0] = 0.0
    shocks = rng.normal(0.0, 1.0, n_days)
    for d in range(1, n_days):
        cloud[d] = 0.6 * cloud[d - 1] + 0.8 * shocks[d]
    clearness = np.clip(0.85 + 0.12 * cloud, 0.25, 1.0)
    solar_cf = np.clip((0.88 + 0.04 * season) * clear**0.6 * clearness[day.astype(int)], 0.0, 1.0)  # tracker

    latent = np.empty(hours)
    latent[0] = 0.0
    noise = rng.normal(0.0, 1.0, hours)
    for h in range(1, hours):
        latent[h] = 0.97 * latent[h - 1] + np.sqrt(1.0 - 0.97**2) * noise[h]
    speed = np.clip(8.6 + 3.3 * latent + 0.8 * np.sin(2.0 * np.pi * (hour_of_day - 15.0) / 24.0), 0.0, None)
    wind_cf = np.clip((speed - 3.0) / (12.0 - 3.0), 0.0, 1.0) ** 3
    wind_cf = np.where(speed > 25.0, 0.0, wind_cf) * 0.92  # wake + availability + electrical losses

    cooling = 0.04 * np.sin(2.0 * np.pi * (hour_of_day - 9.0) / 24.0) + 0.03 * season
    load_mw = LOAD_MW * (1.0 + cooling + 0.01 * rng.normal(0.0, 1.0, hours))
    return load_mw, solar_cf, wind_cf


@pytest.fixture(scope="session")
def catalogue_costs() -> TechCosts:
    """The catalogue's annualised costs and prices (single-axis PV)."""
    return tech_costs(cost_catalogue(), "single_axis")


ProblemFactory = Callable[..., PlanningProblem]


@pytest.fixture(scope="session")
def make_problem(catalogue_costs: TechCosts) -> ProblemFactory:
    """Factory ``make_problem(policy="annual", hours=336, start_day=0, **fields)``.

    Hourly steps starting ``start_day`` days into the synthetic year, scaled to a year by
    ``year_weight = 8760 / hours``; any :class:`PlanningProblem` field can be overridden.
    """

    def make(policy: str = "annual", hours: int = 336, start_day: int = 0, **fields: Any) -> PlanningProblem:
        load_mw, solar_cf, wind_cf = _profiles(8760)
        window = slice(24 * start_day, 24 * start_day + hours)
        problem = PlanningProblem(
            load_mw=load_mw[window].copy(),
            solar_cf=solar_cf[window].copy(),
            wind_cf=wind_cf[window].copy(),
            dt_h=1.0,
            costs=catalogue_costs,
            policy=parse_policy(policy),
            grid_clean_share_frac=0.2,  # energy.md §4.2: low-carbon share ≈ 20–22 % (2023)
            round_trip_efficiency_frac=0.87,
            soc_min_frac=0.05,
            soc_max_frac=0.95,
            export_cap_frac_of_production=0.2,  # energy.md §4.2: Law 13-09 surplus cap
            year_weight=8760.0 / hours,
        )
        return replace(problem, **fields) if fields else problem

    return make


@pytest.fixture(scope="session")
def year_problem(make_problem: ProblemFactory) -> ProblemFactory:
    """Factory of the full synthetic year (8760 h) for a policy; slow to solve, use sparingly."""

    def make(policy: str = "cfe:0.9", **fields: Any) -> PlanningProblem:
        return make_problem(policy, hours=8760, **fields)

    return make
