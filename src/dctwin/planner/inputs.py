"""From a twin run to a :class:`PlanningProblem`: the load and resource profiles the
planner sizes against, and the cost catalogue.

The facility load is the twin's (IT × PUE(T), not a flat line); the PV and wind
profiles are the twin's own supply models run at 1 MW on the run's weather, so a plan
handed back to the twin is simulated with exactly the physics it was sized on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from dctwin.economics import annualised_cost_per_unit
from dctwin.errors import ScenarioError
from dctwin.planner.problem import CapacityBounds, PlanningProblem, Policy, TechCosts
from dctwin.results.model import Results
from dctwin.scenario.planning import CostAssumptions, PlantCost
from dctwin.scenario.schema import Site
from dctwin.supply.solar import solar_geometry, solar_plant_mw
from dctwin.supply.wind import turbine_curve, wind_farm_mw

__all__ = ["cost_catalogue", "plan_bounds", "problem_from_results", "tech_costs", "unit_profiles"]


def cost_catalogue() -> CostAssumptions:
    """The built-in cost catalogue (``scenario/data/costs.toml``; sources in the file)."""
    return CostAssumptions.model_validate({})


def tech_costs(costs: CostAssumptions, mounting: str = "single_axis") -> TechCosts:
    """Annualised capacity costs per MW / MWh and prices from a scenario's cost assumptions.

    Parameters
    ----------
    costs
        Cost assumptions (``scenario.costs``, or :func:`cost_catalogue`).
    mounting
        PV mounting, ``"fixed"`` or ``"single_axis"``, selecting the PV cost row.

    Returns
    -------
    TechCosts
        Capex annualised at ``costs.wacc_frac`` over each lifetime, plus FOM. [currency/MW/yr],
        [currency/MWh/yr]; VOM and prices. [currency/MWh]
    """
    wacc = costs.wacc_frac

    def per_mw(row: PlantCost) -> float:
        return annualised_cost_per_unit(row.capex_per_kw * 1000.0, row.fom_frac_per_yr, wacc, row.lifetime_yr)

    storage = costs.battery_storage
    solar = costs.solar(mounting)
    return TechCosts(
        solar_per_mw_yr=per_mw(solar),
        wind_per_mw_yr=per_mw(costs.onwind),
        battery_energy_per_mwh_yr=annualised_cost_per_unit(
            storage.capex_per_kwh * 1000.0, storage.fom_frac_per_yr, wacc, storage.lifetime_yr
        ),
        battery_power_per_mw_yr=per_mw(costs.battery_inverter),
        solar_vom_per_mwh=solar.vom_per_mwh,
        wind_vom_per_mwh=costs.onwind.vom_per_mwh,
        import_price_per_mwh=costs.grid.import_price_per_mwh,
        export_price_per_mwh=costs.grid.export_price_per_mwh,
    )


def unit_profiles(results: Results, site: Site) -> tuple[np.ndarray, np.ndarray]:
    """PV and wind output per MW of capacity, from the twin's models on the run's weather.

    Parameters
    ----------
    results
        A twin run containing ``site``.
    site
        The site (its solar and wind design).

    Returns
    -------
    solar_cf, wind_cf
        Output per MW (AC for PV) each step. [MW/MW]
    """
    frame = results.site_frame(site.name)
    times = pd.DatetimeIndex(frame.index)
    dt_h = results.scenario.time.dt_h
    altitude_m = float(results.summary["sites"][site.name]["altitude_m"])
    geometry = solar_geometry(times, dt_h, site.latitude_deg, site.longitude_deg, altitude_m, site.solar)
    solar_cf = solar_plant_mw(frame, geometry, 1.0, site.solar)
    w = site.wind
    wind_cf = wind_farm_mw(
        frame["wind_speed_hub_m_per_s"].to_numpy(),
        frame["air_density_kg_per_m3"].to_numpy(),
        turbine_curve(w.turbine_type),
        1.0,
        w.wake_loss_frac,
        w.availability_frac,
        w.electrical_loss_frac,
        w.density_correction,
    )
    return solar_cf, wind_cf


def plan_bounds(
    site: Site, costs: CostAssumptions, built: Mapping[str, float] | None = None
) -> CapacityBounds:
    """Capacity bounds of a site: what is already built (lower) and its limits (upper).

    Parameters
    ----------
    site
        The site; ``site.limits`` caps each technology (MW, MWh or land in ha).
    costs
        Cost assumptions, for the land-use factors that turn hectares into MW.
    built
        Capacity built in earlier phases by name (``solar_mw``, ``wind_mw``,
        ``battery_energy_mwh``, ``battery_power_mw``); it is kept. [MW], [MWh]

    Returns
    -------
    CapacityBounds
        With ``origins`` naming the scenario field behind each finite upper bound.

    Raises
    ------
    ScenarioError
        A limit is below what earlier phases already built.
    """
    built = dict(built or {})
    uppers = site.limits.upper_bounds(costs.land, site.solar.mounting)
    pairs: dict[str, tuple[float, float]] = {}
    origins: dict[str, str] = {}
    for key, (upper, origin) in uppers.items():
        lower = float(built.get(key, 0.0))
        if upper < lower - 1e-9:
            raise ScenarioError(
                f"site {site.name!r}: the limit {key} ≤ {upper:,.6g} ({origin}) is below the "
                f"{lower:,.6g} built in earlier phases; raise the limit"
            )
        pairs[key] = (lower, upper)
        if origin:
            origins[key] = f"{site.name}: {origin}"
    return CapacityBounds(**pairs, origins=origins)


def problem_from_results(
    results: Results,
    site_name: str,
    policy: Policy,
    *,
    built: Mapping[str, float] | None = None,
    bounds: CapacityBounds | None = None,
    costs: CostAssumptions | None = None,
) -> PlanningProblem:
    """The planning problem of one site of a twin run.

    Parameters
    ----------
    results
        A twin run (any step; hourly is the planner's usual resolution).
    site_name
        Site to plan.
    policy
        Procurement policy.
    built
        Capacity built in earlier phases, kept as lower bounds (see :func:`plan_bounds`).
    bounds
        Explicit capacity bounds, replacing the site's limits and ``built``.
    costs
        Cost assumptions (default: the scenario's ``costs``).

    Returns
    -------
    PlanningProblem
        Load = the twin's facility load; grid, battery, export terms, limits and PPA volume
        from the scenario.
    """
    scenario = results.scenario
    site = next(s for s in scenario.sites if s.name == site_name)
    costs = costs or scenario.costs
    frame = results.site_frame(site_name)
    solar_cf, wind_cf = unit_profiles(results, site)
    dt_h = scenario.time.dt_h
    period_h = len(frame) * dt_h
    grid = site.grid
    import_limit = grid.import_limit_mw if grid.import_limit_mw is not None else math.inf
    export_limit = grid.export_limit_mw if grid.export_limit_mw is not None else math.inf
    ppa_cap_yr = site.limits.ppa_volume_cap_mwh_per_yr
    return PlanningProblem(
        load_mw=frame["facility_load_mw"].to_numpy(dtype=float),
        solar_cf=solar_cf,
        wind_cf=wind_cf,
        dt_h=dt_h,
        costs=tech_costs(costs, site.solar.mounting),
        policy=policy,
        grid_clean_share_frac=grid.clean_share_frac,
        round_trip_efficiency_frac=site.battery.round_trip_efficiency_frac,
        soc_min_frac=site.battery.soc_min_frac,
        soc_max_frac=site.battery.soc_max_frac,
        import_limit_mw=import_limit,
        export_limit_mw=export_limit,
        export_cap_frac_of_production=grid.export_cap_frac_of_production,
        ppa_volume_cap_mwh=math.inf if ppa_cap_yr is None else ppa_cap_yr * period_h / 8760.0,
        bounds=bounds or plan_bounds(site, costs, built),
        year_weight=8760.0 / period_h,
        land_ha_per_unit={
            "solar_mw": costs.land.solar_ha_per_mw(site.solar.mounting),
            "wind_mw": costs.land.onwind_ha_per_mw,
            "battery_energy_mwh": costs.land.battery_ha_per_mwh,
        },
    )
