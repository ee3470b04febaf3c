"""From a twin run to a :class:`PlanningProblem`: the load and resource profiles the
planner sizes against, and the cost catalogue.

The facility load is the twin's (IT × PUE(T), not a flat line); the PV and wind
profiles are the twin's own supply models run at 1 MW on the run's weather, so a plan
handed back to the twin is simulated with exactly the physics it was sized on.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from dctwin.economics import annualised_cost_per_unit
from dctwin.planner.problem import CapacityBounds, PlanningProblem, Policy, TechCosts
from dctwin.results.model import Results
from dctwin.scenario.schema import Site
from dctwin.supply.solar import solar_geometry, solar_plant_mw
from dctwin.supply.wind import turbine_curve, wind_farm_mw

__all__ = ["CostCatalogue", "cost_catalogue", "problem_from_results", "tech_costs", "unit_profiles"]


@dataclass(frozen=True)
class CostCatalogue:
    """The cost catalogue (``scenario/data/costs.toml``) as read, with its currency.

    Attributes
    ----------
    currency
        ISO currency code of every money value.
    currency_year
        Price base year.
    wacc_frac
        Discount rate. [frac/yr]
    rows
        Technology name → its row (capex, FOM, lifetime, VOM, prices).
    """

    currency: str
    currency_year: int
    wacc_frac: float
    rows: dict[str, dict[str, float]]


@cache
def cost_catalogue() -> CostCatalogue:
    """The built-in cost catalogue (sources and currency year in the file)."""
    text = (resources.files("dctwin.scenario") / "data" / "costs.toml").read_text(encoding="utf-8")
    raw: dict[str, Any] = tomllib.loads(text)
    rows = {k: dict(v) for k, v in raw.items() if isinstance(v, dict)}
    return CostCatalogue(str(raw["currency"]), int(raw["currency_year"]), float(raw["wacc_frac"]), rows)


def tech_costs(catalogue: CostCatalogue, mounting: str = "single_axis") -> TechCosts:
    """Annualised capacity costs per MW / MWh and prices from the catalogue.

    Parameters
    ----------
    catalogue
        Cost catalogue.
    mounting
        PV mounting, ``"fixed"`` or ``"single_axis"``, selecting the PV cost row.
    """
    rows, wacc = catalogue.rows, catalogue.wacc_frac

    def per_unit(name: str, capex_key: str) -> float:
        row = rows[name]
        capex_per_mw = row[capex_key] * 1000.0  # per kW → per MW, per kWh → per MWh
        return annualised_cost_per_unit(capex_per_mw, row["fom_frac_per_yr"], wacc, row["lifetime_yr"])

    solar_row = "solar-single-axis" if mounting == "single_axis" else "solar-fixed"
    return TechCosts(
        solar_per_mw_yr=per_unit(solar_row, "capex_per_kw"),
        wind_per_mw_yr=per_unit("onwind", "capex_per_kw"),
        battery_energy_per_mwh_yr=per_unit("battery-storage", "capex_per_kwh"),
        battery_power_per_mw_yr=per_unit("battery-inverter", "capex_per_kw"),
        solar_vom_per_mwh=rows[solar_row].get("vom_per_mwh", 0.0),
        wind_vom_per_mwh=rows["onwind"].get("vom_per_mwh", 0.0),
        import_price_per_mwh=rows["grid"]["import_price_per_mwh"],
        export_price_per_mwh=rows["grid"]["export_price_per_mwh"],
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


def problem_from_results(
    results: Results,
    site_name: str,
    policy: Policy,
    *,
    bounds: CapacityBounds | None = None,
    catalogue: CostCatalogue | None = None,
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
    bounds
        Capacity bounds (default: none; for phasing, the capacity already built as minimum).
    catalogue
        Cost catalogue (default: the built-in one).

    Returns
    -------
    PlanningProblem
        Load = the twin's facility load; grid, battery and export terms from the scenario.
    """
    scenario = results.scenario
    site = next(s for s in scenario.sites if s.name == site_name)
    frame = results.site_frame(site_name)
    solar_cf, wind_cf = unit_profiles(results, site)
    dt_h = scenario.time.dt_h
    period_h = len(frame) * dt_h
    grid = site.grid
    import_limit = grid.import_limit_mw if grid.import_limit_mw is not None else math.inf
    export_limit = grid.export_limit_mw if grid.export_limit_mw is not None else math.inf
    return PlanningProblem(
        load_mw=frame["facility_load_mw"].to_numpy(dtype=float),
        solar_cf=solar_cf,
        wind_cf=wind_cf,
        dt_h=dt_h,
        costs=tech_costs(catalogue or cost_catalogue(), site.solar.mounting),
        policy=policy,
        grid_clean_share_frac=grid.clean_share_frac,
        round_trip_efficiency_frac=site.battery.round_trip_efficiency_frac,
        soc_min_frac=site.battery.soc_min_frac,
        soc_max_frac=site.battery.soc_max_frac,
        import_limit_mw=import_limit,
        export_limit_mw=export_limit,
        export_cap_frac_of_production=grid.export_cap_frac_of_production,
        bounds=bounds or CapacityBounds(),
        year_weight=8760.0 / period_h,
    )
