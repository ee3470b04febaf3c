"""Cost assumptions and supply limits in the scenario: catalogue defaults, partial
overrides, validation messages, and the capacity bounds the limits imply."""

from __future__ import annotations

import math
import tomllib

import pytest

from dctwin.errors import ScenarioError
from dctwin.scenario import load_scenario, scenario_from_dict, scenario_to_toml
from dctwin.scenario.planning import CostAssumptions, SupplyLimits, catalogue_costs_dict


def test_defaults_are_the_catalogue() -> None:
    """energy.md §4.3 (technology-data 2030, EUR 2020): onshore wind 1,383 €/kW, FOM 1.22 %,
    30 yr, VOM 1.8 €/MWh; single-axis PV 571 €/kW; battery 190 €/kWh; WACC 7 %."""
    costs = load_scenario("morocco-500mw").costs
    assert (costs.currency, costs.currency_year, costs.wacc_frac) == ("EUR", 2020, 0.07)
    assert costs.onwind.capex_per_kw == 1383.0
    assert costs.onwind.vom_per_mwh == 1.8
    assert costs.solar("single_axis").capex_per_kw == 571.0
    assert costs.solar("fixed").capex_per_kw == 482.0
    assert costs.battery_storage.capex_per_kwh == 190.0
    assert costs == CostAssumptions.model_validate(catalogue_costs_dict())


def test_a_partial_override_keeps_every_other_catalogue_value() -> None:
    sc = load_scenario("morocco-500mw", **{"costs.onwind.capex_per_kw": 1180.0, "costs.wacc_frac": 0.082})
    assert sc.costs.onwind.capex_per_kw == 1180.0
    assert sc.costs.onwind.lifetime_yr == 30.0  # not given: the catalogue's
    assert sc.costs.wacc_frac == 0.082
    assert sc.costs.solar_single_axis.capex_per_kw == 571.0


def test_the_resolved_scenario_carries_the_complete_cost_set() -> None:
    sc = load_scenario("morocco-500mw", **{"costs.grid.import_price_per_mwh": 95.0})
    data = tomllib.loads(scenario_to_toml(sc))
    assert data["costs"]["grid"] == {"import_price_per_mwh": 95.0, "export_price_per_mwh": 28.0}
    assert data["costs"]["battery_inverter"]["lifetime_yr"] == 10.0
    assert scenario_from_dict(data) == sc


@pytest.mark.parametrize(
    ("dotted", "value", "expected"),
    [
        ("costs.onwind.capex_per_kw", -5.0,
         r"costs\.onwind\.capex_per_kw: must be ≥ 0\.0 currency/kW, got -5\.0"),
        ("costs.wacc_frac", 7.0, r"costs\.wacc_frac: .*fractions are 0–1, not percent: did you mean 0\.07"),
        ("costs.battery_storage.lifetime_yr", 0.0, r"costs\.battery_storage\.lifetime_yr: must be > 0\.0 yr"),
        ("costs.onwind.capex_per_kwh", 10.0,
         r"costs\.onwind\.capex_per_kwh: unknown field; did you mean 'capex_per_kw'"),
        ("sites.0.limits.solar_land_ha", -1.0, r"sites\[0\]\.limits\.solar_land_ha: must be ≥ 0\.0 ha"),
    ],
)  # fmt: skip
def test_bad_costs_and_limits_name_the_field_unit_and_fix(dotted: str, value: float, expected: str) -> None:
    data = tomllib.loads(scenario_to_toml(load_scenario("morocco-500mw")))
    node = data
    *parents, leaf = dotted.split(".")
    for key in parents:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    node[leaf] = value
    with pytest.raises(ScenarioError, match=expected):
        scenario_from_dict(data)


def test_limits_take_the_tighter_of_capacity_and_land() -> None:
    """Single-axis PV 3.4 ha/MW, wind 29.6 ha/MW (costs.toml [land])."""
    land = load_scenario("morocco-500mw").costs.land
    limits = SupplyLimits(
        solar_max_mw=500.0, solar_land_ha=340.0, wind_land_ha=2960.0, battery_energy_max_mwh=800.0
    )
    bounds = limits.upper_bounds(land, "single_axis")
    assert bounds["solar_mw"][0] == pytest.approx(100.0)  # 340 ha / 3.4 ha/MW < 500 MW
    assert "solar_land_ha = 340 ha" in bounds["solar_mw"][1]
    assert bounds["wind_mw"][0] == pytest.approx(100.0)
    assert bounds["battery_energy_mwh"] == (800.0, "limits.battery_energy_max_mwh")
    assert bounds["battery_power_mw"] == (math.inf, "")
    fixed = limits.upper_bounds(land, "fixed")
    assert fixed["solar_mw"][0] == pytest.approx(340.0 / 3.2)
