"""Scenario blocks of the energy planner: cost assumptions and per-site supply limits.

Cost defaults are the built-in catalogue ``scenario/data/costs.toml`` (PyPSA
technology-data 2030, EUR 2020; every value cites its source there). A scenario
overrides any single number, e.g.::

    [costs]
    wacc_frac = 0.082                 # IRENA 2023: Middle East & Africa average

    [costs.onwind]
    capex_per_kw = 1180.0             # Enel 850 MW Morocco ≈ 1,180 €/kW (energy.md §4.3)

and every number it does not set keeps the catalogue's value, so the resolved
scenario saved with a run always holds the complete cost set.

Supply limits are upper bounds per site and technology (land, resource, permits) and
an optional PPA volume; empty means no limit.
"""

from __future__ import annotations

import math
import tomllib
from functools import cache
from importlib import resources
from typing import Any

from pydantic import Field, model_validator

from dctwin.scenario.schema_base import Model, q

__all__ = [
    "CostAssumptions",
    "GridPrices",
    "LandUse",
    "PlantCost",
    "StorageEnergyCost",
    "SupplyLimits",
    "catalogue_costs_dict",
]

_CATALOGUE = "costs.toml (PyPSA technology-data 2030, energy.md §4.3; source per value in the file)"


@cache
def catalogue_costs_dict() -> dict[str, Any]:
    """The built-in cost catalogue as parsed from ``scenario/data/costs.toml``."""
    text = (resources.files("dctwin.scenario") / "data" / "costs.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _merge_over(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    out = dict(defaults)
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_over(out[key], value)
        else:
            out[key] = value
    return out


class PlantCost(Model):
    """Capital and operating cost of a generator or converter, per kW of capacity."""

    capex_per_kw: float = q(
        ..., "currency/kW", "Overnight investment per kW", _CATALOGUE, ge=0.0, le=50_000.0
    )
    fom_frac_per_yr: float = q(
        ..., "frac/yr", "Fixed O&M per year as a share of capex", _CATALOGUE, ge=0.0, le=0.3
    )
    lifetime_yr: float = q(..., "yr", "Economic lifetime", _CATALOGUE, gt=0.0, le=100.0)
    vom_per_mwh: float = q(
        0.0, "currency/MWh", "Variable O&M per MWh the plant can produce", _CATALOGUE, ge=0.0, le=1000.0
    )


class StorageEnergyCost(Model):
    """Capital and operating cost of storage energy capacity, per kWh."""

    capex_per_kwh: float = q(
        ...,
        "currency/kWh",
        "Overnight investment per kWh of energy capacity",
        _CATALOGUE,
        ge=0.0,
        le=10_000.0,
    )
    fom_frac_per_yr: float = q(
        ..., "frac/yr", "Fixed O&M per year as a share of capex", _CATALOGUE, ge=0.0, le=0.3
    )
    lifetime_yr: float = q(..., "yr", "Economic lifetime", _CATALOGUE, gt=0.0, le=100.0)


class GridPrices(Model):
    """Prices of grid energy bought and surplus sold."""

    import_price_per_mwh: float = q(
        ..., "currency/MWh", "Price of energy imported from the grid", _CATALOGUE, ge=0.0, le=5000.0
    )
    export_price_per_mwh: float = q(
        ..., "currency/MWh", "Price received for surplus sold to the grid", _CATALOGUE, ge=-500.0, le=5000.0
    )


class LandUse(Model):
    """Land taken per unit of capacity (total project area)."""

    solar_single_axis_ha_per_mw: float = q(
        ..., "ha/MW", "Single-axis PV land per MW AC", _CATALOGUE, gt=0.0, le=100.0
    )
    solar_fixed_ha_per_mw: float = q(
        ..., "ha/MW", "Fixed-tilt PV land per MW AC", _CATALOGUE, gt=0.0, le=100.0
    )
    onwind_ha_per_mw: float = q(..., "ha/MW", "Onshore wind land per MW", _CATALOGUE, gt=0.0, le=500.0)
    battery_ha_per_mwh: float = q(..., "ha/MWh", "Battery land per MWh", _CATALOGUE, ge=0.0, le=10.0)

    def solar_ha_per_mw(self, mounting: str) -> float:
        """Land per MW AC of PV with the given mounting. [ha/MW]"""
        return self.solar_single_axis_ha_per_mw if mounting == "single_axis" else self.solar_fixed_ha_per_mw


class CostAssumptions(Model):
    """Every cost the planner (and later the economics) uses; defaults from the catalogue.

    Any field left out of a scenario takes the catalogue's value (merged before
    validation), so partial overrides are allowed at every level.
    """

    currency: str = q(
        ..., "ISO 4217", "Currency of every money value", _CATALOGUE, min_length=3, max_length=3
    )
    currency_year: int = q(..., "yr", "Price base year", _CATALOGUE, ge=1990, le=2100)
    wacc_frac: float = q(..., "frac/yr", "Discount rate (WACC), real", _CATALOGUE, ge=0.0, le=0.3)
    solar_fixed: PlantCost = Field(description="Utility PV, fixed tilt (per kW AC)")
    solar_single_axis: PlantCost = Field(description="Utility PV, single-axis tracking (per kW AC)")
    onwind: PlantCost = Field(description="Onshore wind (per kW nameplate)")
    battery_storage: StorageEnergyCost = Field(description="Li-ion battery energy (per kWh)")
    battery_inverter: PlantCost = Field(description="Battery inverter (per kW)")
    grid: GridPrices = Field(description="Grid energy prices")
    land: LandUse = Field(description="Land use per unit of capacity")

    @model_validator(mode="before")
    @classmethod
    def _fill_from_catalogue(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return _merge_over(catalogue_costs_dict(), data)
        return data

    def solar(self, mounting: str) -> PlantCost:
        """PV cost row for a mounting (``"fixed"`` or ``"single_axis"``)."""
        return self.solar_single_axis if mounting == "single_axis" else self.solar_fixed


class SupplyLimits(Model):
    """Upper limits on what the planner may build at a site; empty = no limit.

    A land limit becomes a capacity limit through the site's land-use factors
    (``costs.land``); where both are set, the tighter one applies.
    """

    solar_max_mw: float | None = q(
        None, "MW", "Most PV (AC) the site can host", "scenario (no limit by default)", ge=0.0, le=1e5
    )
    wind_max_mw: float | None = q(
        None, "MW", "Most wind nameplate the site can host", "scenario (no limit by default)", ge=0.0, le=1e5
    )
    battery_power_max_mw: float | None = q(
        None, "MW", "Most battery inverter power", "scenario (no limit by default)", ge=0.0, le=1e5
    )
    battery_energy_max_mwh: float | None = q(
        None, "MWh", "Most battery energy", "scenario (no limit by default)", ge=0.0, le=1e6
    )
    solar_land_ha: float | None = q(
        None, "ha", "Land available for PV", "scenario (no limit by default)", ge=0.0, le=1e7
    )
    wind_land_ha: float | None = q(
        None, "ha", "Land available for wind", "scenario (no limit by default)", ge=0.0, le=1e7
    )
    ppa_volume_cap_mwh_per_yr: float | None = q(
        None,
        "MWh/yr",
        "Most renewable energy the PPA delivers per year (used, stored or exported)",
        "scenario (no limit by default)",
        ge=0.0,
        le=1e9,
    )

    def upper_bounds(self, land: LandUse, mounting: str) -> dict[str, tuple[float, str]]:
        """Upper capacity bounds and the field that sets each (the tighter of MW and land).

        Returns
        -------
        dict
            ``solar_mw``, ``wind_mw``, ``battery_energy_mwh``, ``battery_power_mw`` →
            ``(bound, origin)``; ``math.inf`` and ``""`` where nothing limits.
        """
        solar_per_mw = land.solar_ha_per_mw(mounting)
        candidates: dict[str, list[tuple[float | None, str]]] = {
            "solar_mw": [
                (self.solar_max_mw, "limits.solar_max_mw"),
                (
                    None if self.solar_land_ha is None else self.solar_land_ha / solar_per_mw,
                    f"limits.solar_land_ha = {self.solar_land_ha:g} ha at {solar_per_mw:g} ha/MW"
                    if self.solar_land_ha is not None
                    else "",
                ),
            ],
            "wind_mw": [
                (self.wind_max_mw, "limits.wind_max_mw"),
                (
                    None if self.wind_land_ha is None else self.wind_land_ha / land.onwind_ha_per_mw,
                    f"limits.wind_land_ha = {self.wind_land_ha:g} ha at {land.onwind_ha_per_mw:g} ha/MW"
                    if self.wind_land_ha is not None
                    else "",
                ),
            ],
            "battery_energy_mwh": [(self.battery_energy_max_mwh, "limits.battery_energy_max_mwh")],
            "battery_power_mw": [(self.battery_power_max_mw, "limits.battery_power_max_mw")],
        }
        out: dict[str, tuple[float, str]] = {}
        for key, options in candidates.items():
            given = [(float(v), origin) for v, origin in options if v is not None]
            out[key] = min(given, key=lambda item: item[0]) if given else (math.inf, "")
        return out
