"""Campus economics and service catalogue in the scenario: catalogue defaults, partial
overrides, validation messages (path, unit, fix), and the sources of every default."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from dctwin.errors import ScenarioError
from dctwin.scenario.economics import (
    PRODUCTS,
    CampusEconomics,
    InferenceProduct,
    ServiceCatalogue,
    campus_costs_dict,
    validate_block,
)
from dctwin.scenario.loader import hardware_catalog

DATA = Path(__file__).parents[2] / "src/dctwin/scenario/data"


def test_defaults_are_the_catalogue() -> None:
    """campus_costs.toml: USD, WACC 7 % (energy.md §4.3), Morocco CIT 35 % (Finance Law 50-22),
    C&W 2025 $11.7 M/MW split 63/37 into M&E and building, GB200 NVL72 rack $3.0 M."""
    eco = CampusEconomics.model_validate({})
    assert (eco.currency, eco.wacc_frac, eco.tax_rate_frac, eco.energy_supply) == ("USD", 0.07, 0.35, "ppa")
    facility = eco.facility.power_cooling_usd_per_it_mw + eco.facility.building_usd_per_it_mw
    assert facility == pytest.approx(11.7e6)
    assert eco.rack_usd("gb200-nvl72") == 3.0e6
    assert eco.fx.mad_per_usd * 1.28e9 == pytest.approx(12e9)  # facts.md §1
    assert eco == CampusEconomics.model_validate(campus_costs_dict())


def test_every_hardware_entry_has_a_rack_price_and_a_gpu_hour_price() -> None:
    names = set(hardware_catalog())
    assert names <= set(CampusEconomics.model_validate({}).hardware)
    assert names <= set(ServiceCatalogue().on_demand_usd_per_gpu_h)


def test_a_partial_override_keeps_every_other_catalogue_value() -> None:
    eco = CampusEconomics.model_validate(
        {
            "wacc_frac": 0.082,  # IRENA 2023, Middle East & Africa
            "opex": {"ppa_price_eur_per_mwh": 35.0},
            "hardware": {"gb200-nvl72": {"rack_usd": 3.4e6}, "mi355x-rack": {"rack_usd": 2.0e6}},
        }
    )
    default = CampusEconomics.model_validate({})
    assert (eco.wacc_frac, eco.opex.ppa_price_eur_per_mwh, eco.rack_usd("gb200-nvl72")) == (
        0.082,
        35.0,
        3.4e6,
    )
    assert eco.rack_usd("mi355x-rack") == 2.0e6  # a new entry is added
    assert eco.rack_usd("gb300-nvl72") == default.rack_usd("gb300-nvl72")
    assert eco.opex.staff_fte_fixed == default.opex.staff_fte_fixed
    assert eco.lives == default.lives and eco.fx == default.fx
    services = ServiceCatalogue.model_validate(
        {"inference": {"input_usd_per_mtok": 0.23}, "on_demand_usd_per_gpu_h": {"gb200-nvl72": 9.0}}
    )
    assert services.inference.output_usd_per_mtok == InferenceProduct().output_usd_per_mtok
    assert services.inference.credit_frac(1.0) == 0.0


def test_the_resolved_blocks_round_trip_through_toml() -> None:
    """The resolved scenario saved with a run must carry the complete, re-loadable set."""
    for model, value in [
        (CampusEconomics, CampusEconomics.model_validate({})),
        (ServiceCatalogue, ServiceCatalogue()),
    ]:
        text = tomli_w.dumps(value.model_dump(mode="json"))
        assert model.model_validate(tomllib.loads(text)) == value


def _set(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    node = data
    *parents, leaf = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    return data


@pytest.mark.parametrize(
    ("dotted", "value", "expected"),
    [
        ("wacc_frac", 7.0, r"economics\.wacc_frac: must be ≤ 0\.5 frac/yr, got 7\.0 frac/yr; .*mean 0\.07"),
        ("tax_rate_frac", 35, r"economics\.tax_rate_frac: .*not percent: did you mean 0\.35"),
        ("opex.staff_fte_fixed", -1.0, r"opex\.staff_fte_fixed: must be ≥ 0\.0 FTE, got -1\.0 FTE; set a"),
        ("lives.it_yr", 0.0, r"economics\.lives\.it_yr: must be > 0\.0 yr, got 0\.0 yr"),
        ("hardware.gb200-nvl72.rack_usd", -3.0, r"rack_usd: must be > 0\.0 USD/rack, got -3\.0 USD/rack"),
        ("lives.it_yr", 5.5, r"economics\.lives\.it_yr: must be a whole number of years, got 5\.5 yr; round"),
        ("facility.power_cooling_usd_per_it_mw", -5.0, r"power_cooling_usd_per_it_mw: must be ≥ 0\.0 USD/MW"),
        ("opex.ppa_price_usd_per_mwh", 4, r"_mwh: unknown field; did you mean 'ppa_price_eur_per_mwh'"),
        ("terminal_value", "gordon", r"economics\.terminal_value: got 'gordon'; choose one of"),
        ("currency", "EUR", r"economics\.currency: got 'EUR'; choose one of 'USD'"),
    ],
)  # fmt: skip
def test_bad_economics_values_name_the_path_unit_and_fix(dotted: str, value: Any, expected: str) -> None:
    with pytest.raises(ScenarioError, match=expected):
        validate_block(CampusEconomics, _set({}, dotted, value), "economics")


def test_a_perpetuity_needs_growth_below_the_wacc() -> None:
    with pytest.raises(
        ScenarioError, match=r"terminal_growth_frac \(0\.08\) must be below wacc_frac.*book_value"
    ):
        validate_block(
            CampusEconomics, {"terminal_value": "perpetuity", "terminal_growth_frac": 0.08}, "economics"
        )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"reserved_discount_frac": 40}, r"discount_frac: must be < 1\.0 frac, got 40 frac; .*0\.4\?"),
        ({"mix": {"spot_frac": 0.5}}, r"services\.mix: product mix shares sum to 1\.46; .*rescale them"),
        ({"on_demand_usd_per_gpu_h": {"gb200-nvl72": -1.0}}, r"usd_per_gpu_h\.gb200-nvl72: must be > 0"),
        ({"on_demand_usd_per_gpu_h": {}}, r"is empty; give a price for each hardware installed"),
        (
            {"inference": {"input_usd_per_tok": 1.0}},
            r"input_usd_per_tok: unknown field; did you mean 'input_usd_per_mtok'",
        ),
        ({"max_utilisation_frac": 0.0}, r"services\.max_utilisation_frac: must be > 0\.0 frac"),
    ],
)  # fmt: skip
def test_bad_catalogue_values_name_the_path_unit_and_fix(data: dict[str, Any], expected: str) -> None:
    with pytest.raises(ScenarioError, match=expected):
        validate_block(ServiceCatalogue, data, "services")


def test_prices_of_the_gpu_hour_products() -> None:
    """CoreWeave GB200 $42/h per 4 GPUs = 10.50; reserved −45 %, spot −50 %, managed +15 % on reserved."""
    c = ServiceCatalogue()
    prices = {
        p: c.price_usd_per_gpu_h(p, "gb200-nvl72")
        for p in ("on_demand", "reserved", "spot", "managed_training")
    }
    assert prices == pytest.approx(
        {"on_demand": 10.5, "reserved": 5.775, "spot": 5.25, "managed_training": 6.64125}
    )
    assert prices["spot"] < prices["reserved"] < prices["on_demand"]  # a commitment never sells below spot
    assert set(c.mix.shares()) == set(PRODUCTS)
    with pytest.raises(ValueError, match="not billed per GPU-hour"):
        c.price_usd_per_gpu_h("inference", "gb200-nvl72")
    with pytest.raises(ValueError, match="max_utilisation_frac"):
        c.gpu_h_delivered(1000.0, 0.99)


def test_sla_credit_takes_the_deepest_tier_reached() -> None:
    """Google Cloud Compute Engine SLA pattern: 10 % below the SLO, 25 % below 95 %."""
    p = InferenceProduct()
    assert [p.credit_frac(a) for a in (1.0, 0.99, 0.985, 0.95, 0.5)] == [0.0, 0.0, 0.1, 0.1, 0.25]


def test_every_value_in_campus_costs_toml_cites_a_source() -> None:
    """As tests/scenario/test_loader.py: every ``key = value`` line has a trailing source comment."""
    text = (DATA / "campus_costs.toml").read_text()
    keys = 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if re.match(r"^[A-Za-z_][\w-]*\s*=", stripped):
            keys += 1
            assert "#" in stripped.split("=", 1)[1], (
                f"campus_costs.toml:{number} has no source comment: {line}"
            )
    assert keys > 30


@pytest.mark.parametrize(
    ("dotted", "expected"),
    [
        ("economics.hardware.gb200-nvl27.rack_usd", r"economics\.hardware\.gb200-nvl27: price for unknown"),
        ("services.on_demand_usd_per_gpu_h.gb200-nvl27", r"on_demand_usd_per_gpu_h\.gb200-nvl27: price for"),
    ],
)
def test_a_price_for_a_misspelt_hardware_is_rejected(dotted: str, expected: str) -> None:
    """Silently ignoring it would leave the user believing the override applied."""
    from dctwin.scenario import load_scenario

    with pytest.raises(ScenarioError, match=expected + r".*did you mean 'gb200-nvl72'"):
        load_scenario("morocco-500mw", **{dotted: 6.0})


def test_a_price_year_without_euro_inflation_is_rejected_at_load() -> None:
    """Not after a year of simulation: the energy catalogue (EUR 2020) must reach 2035."""
    from dctwin.scenario import load_scenario

    with pytest.raises(ScenarioError, match=r"economics\.fx\.eur_inflation_frac: no euro inflation for 2026"):
        load_scenario("morocco-500mw", **{"economics.currency_year": 2035})
