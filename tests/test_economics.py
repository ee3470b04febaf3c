"""Economics: published formulas against textbook values, the campus model against a hand
computation, and the invariants of a cash-flow table (hypothesis).

References used below
---------------------
* PyPSA ``pypsa.costs.annuity`` doctest: annuity(0.07, 25) ≈ 0.0858.
* Brealey, Myers & Allen, *Principles of Corporate Finance* (13th ed.), ch. 2 and 5:
  NPV of −100, +60, +60 at 10 % = 4.13; IRR = 13.07 %; annuity factor 3 yr at 10 % = 2.487.
* Microsoft Excel ``IRR`` function documentation, worked example: −70,000 then 12,000,
  15,000, 18,000, 21,000 (and 26,000): IRR −2.12 % after four years, 8.66 % after five.
* NREL "Simple Levelized Cost of Energy (LCOE) Calculator Documentation":
  sLCOE = (capex · CRF + fixed O&M) / (8760 · CF) + variable O&M.
* shared/reference/energy.md §4.3: single-axis PV 571 €/kW, FOM 2.29 %, 40 yr → 55.9 k€/MW/yr
  and ≈ 24 €/MWh at CF 26.7 %; onshore wind 1,383 €/kW, 1.22 %, 30 yr, VOM 1.8 → ≈ 36 €/MWh at 42 %.
* shared/reference/facts.md §1: the re-scoped MoU, MAD 12 bn ≈ US$1.28 bn for 36 MW.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dctwin.economics import (
    ASSET_CLASSES,
    YearInputs,
    annualised_cost_per_unit,
    annuity_factor,
    campus_cash_flows,
    depreciation_schedule,
    discounted_payback_yr,
    irr,
    lcoe_per_mwh,
    npv,
    payback_yr,
    phase_cost_per_gpu_h,
    placed_capex_usd,
)
from dctwin.errors import ScenarioError
from dctwin.scenario.economics import CampusEconomics, ServiceCatalogue
from dctwin.scenario.loader import hardware_catalog
from dctwin.scenario.planning import CostAssumptions

ECONOMICS = CampusEconomics.model_validate({})
CATALOGUE = ServiceCatalogue()
COSTS = CostAssumptions.model_validate({})
GB200 = hardware_catalog()["gb200-nvl72"]
#: Euro-area HICP 2021–2025 (Eurostat; 2025 ECB projection): EUR 2020 → EUR 2025.
EUR_2020_TO_2025 = 1.026 * 1.084 * 1.054 * 1.024 * 1.021


def _phase(facility_mw: float = 40.0, utilisation_frac: float = 0.8, year: int = 2026) -> YearInputs:
    """A GB200 phase of ``facility_mw`` at PUE 1.15 (facts.md §8), one steady year of operation."""
    racks = math.floor(facility_mw / 1.15 * 1000.0 / GB200.it_power_per_rack_kw + 1e-9)
    gpus = racks * GB200.gpus_per_rack
    gpu_h = gpus * 8760.0 * utilisation_frac
    facility_mwh = facility_mw * 8760.0 * 0.66  # twin phase-1: 232 GWh of 40 MW × 8760 h
    return YearInputs(
        year=year,
        racks_added={"gb200-nvl72": racks},
        it_mw_added=racks * GB200.it_power_per_rack_kw / 1000.0,
        liquid_cooled_frac=GB200.liquid_cooled_frac,
        solar_ac_mw_added=1.1 * facility_mw,
        wind_mw_added=1.12 * facility_mw,
        battery_power_mw_added=0.5 * facility_mw,
        battery_energy_mwh_added=2.0 * facility_mw,
        gpu_h_delivered={"gb200-nvl72": gpu_h},
        input_tokens=gpu_h * CATALOGUE.mix.inference_frac * 50e6,
        output_tokens=gpu_h * CATALOGUE.mix.inference_frac * 3e6,
        slo_attainment_frac=0.993,
        storage_tb=gpus * CATALOGUE.storage.stored_tb_per_gpu,
        ppa_mwh=1.01 * facility_mwh,
        grid_import_mwh=0.18 * facility_mwh,
        grid_export_mwh=0.19 * facility_mwh,
        solar_mwh=0.45 * facility_mwh,
        wind_mwh=0.68 * facility_mwh,
    )


# ------------------------------------------------------------------ textbook values
def test_annuity_factor_textbook_values() -> None:
    """PyPSA doctest 0.0858; Brealey–Myers 3-yr annuity factor at 10 % = 2.487 (= 1/CRF)."""
    assert annuity_factor(0.07, 25) == pytest.approx(0.0858, abs=5e-5)
    assert 1.0 / annuity_factor(0.10, 3) == pytest.approx(2.487, abs=5e-4)
    assert annuity_factor(0.0, 8) == 0.125
    assert annualised_cost_per_unit(571_000, 0.0229, 0.07, 40) == pytest.approx(55_906, abs=1)


def test_npv_of_a_simple_stream() -> None:
    """Brealey–Myers: −100 then 60, 60 at 10 % → 4.13; at 0 % the plain sum."""
    assert npv(0.10, [-100.0, 60.0, 60.0]) == pytest.approx(4.1322, abs=1e-4)
    assert npv(0.0, [-100.0, 60.0, 60.0]) == pytest.approx(20.0)
    assert npv(np.array([0.0, 0.10]), [-100.0, 60.0, 60.0]) == pytest.approx([20.0, 4.1322], abs=1e-4)


def test_irr_of_published_examples() -> None:
    """−100, 60, 60 → 13.07 % (Brealey–Myers); Excel IRR documentation: −2.12 % and 8.66 %."""
    assert irr([-100.0, 60.0, 60.0]) == pytest.approx(0.1307, abs=5e-5)
    excel = [-70_000.0, 12_000.0, 15_000.0, 18_000.0, 21_000.0, 26_000.0]
    assert irr(excel[:5]) == pytest.approx(-0.0212, abs=5e-5)
    assert irr(excel) == pytest.approx(0.0866, abs=5e-5)


@pytest.mark.parametrize("flows", [[100.0, 10.0], [-100.0, -5.0], [0.0, 0.0]])
def test_irr_without_a_sign_change_says_it_is_undefined(flows: list[float]) -> None:
    with pytest.raises(ValueError, match=r"never change sign.*report the NPV instead"):
        irr(flows)


def test_payback_simple_and_discounted() -> None:
    """−100, 60, 60: pays back after 1 + 40/60 yr; discounted at 10 %: 1 + 45.45/49.59 yr."""
    assert payback_yr([-100.0, 60.0, 60.0]) == pytest.approx(1.0 + 40.0 / 60.0)
    assert discounted_payback_yr(0.10, [-100.0, 60.0, 60.0]) == pytest.approx(
        1.0 + (100.0 - 60.0 / 1.1) / (60.0 / 1.21)
    )
    assert payback_yr([-100.0, 30.0, 30.0]) == math.inf
    assert payback_yr([5.0, -1.0]) == 0.0


def test_lcoe_of_a_simple_plant_against_a_hand_computation() -> None:
    """NREL sLCOE: 1 MW at 1,000 $/kW, 20 $/kW-yr FOM, 2 $/MWh VOM, CF 30 %, 7 %, 25 yr."""
    crf = 0.07 / (1.0 - 1.07**-25)
    by_hand = (1_000_000.0 * crf + 20_000.0) / (8760.0 * 0.30) + 2.0
    assert lcoe_per_mwh(1e6, 2e4, 2.0, 8760.0 * 0.30, 0.07, 25) == pytest.approx(by_hand)
    assert by_hand == pytest.approx(
        42.26, abs=0.01
    )  # the same numbers in NREL's online sLCOE calculator form


def test_lcoe_matches_energy_md_figures() -> None:
    """energy.md §4.3: PV ≈ 24 €/MWh at CF 26.7 %, ≈ 21 at 30.8 %; wind ≈ 36 €/MWh at CF 42 %."""
    pv = lcoe_per_mwh(571_000, 0.0229 * 571_000, 0.0, 8760 * np.array([0.267, 0.308]), 0.07, 40)
    assert pv == pytest.approx([23.9, 20.7], abs=0.1)
    wind = lcoe_per_mwh(1_383_000, 0.0122 * 1_383_000, 1.8, 8760 * 0.42, 0.07, 30)
    assert wind == pytest.approx(
        36.0, abs=0.7
    )  # energy.md §4.3 rounds 128 k€/MW/yr ÷ 3,679 MWh + 1.8 to ≈ 36


def test_straight_line_depreciation_sums_to_capex() -> None:
    capex = [100.0, 0.0, 250.0, 40.0]
    schedule = depreciation_schedule(capex, 6.0, 12)
    assert schedule.sum() == pytest.approx(sum(capex))
    assert schedule[0] == pytest.approx(100.0 / 6.0)
    assert schedule[2] == pytest.approx((100.0 + 250.0) / 6.0)
    assert depreciation_schedule([90.0], 4.5, 3).sum() == pytest.approx(60.0)  # cut at the horizon


@given(
    capex=st.lists(st.floats(0.0, 1e9), min_size=1, max_size=10),
    life=st.floats(0.5, 40.0),
)
def test_depreciation_always_sums_to_capex_within_a_long_horizon(capex: list[float], life: float) -> None:
    schedule = depreciation_schedule(capex, life, len(capex) + math.ceil(life))
    assert schedule.sum() == pytest.approx(sum(capex), rel=1e-9, abs=1e-3)
    assert np.all(schedule >= 0)


# ------------------------------------------------------------------ properties of NPV / IRR
_conventional = st.tuples(
    st.floats(-1e6, -1.0),
    st.lists(st.floats(0.0, 1e6), min_size=1, max_size=15).filter(lambda xs: max(xs) > 1.0),
)


@given(stream=_conventional, rates=st.tuples(st.floats(-0.5, 2.0), st.floats(-0.5, 2.0)))
def test_npv_decreases_with_the_rate_for_a_conventional_stream(
    stream: tuple[float, list[float]], rates: tuple[float, float]
) -> None:
    lo, hi = sorted(rates)
    flows = [stream[0], *stream[1]]
    assert npv(lo, flows) >= npv(hi, flows) - 1e-6 * max(1.0, abs(npv(lo, flows)))


@given(stream=_conventional)
@settings(max_examples=200)
def test_irr_makes_npv_zero(stream: tuple[float, list[float]]) -> None:
    flows = [stream[0], *stream[1]]
    assume(npv(-0.99, flows) > 0 > npv(1000.0, flows))  # the IRR lies inside -99 % … 100,000 %/yr
    rate = irr(flows)
    scale = sum(abs(f) for f in flows)
    assert abs(npv(rate, flows)) <= 1e-7 * scale


# ------------------------------------------------------------------ the campus model
def test_phase_cost_per_gpu_hour_recomputed_by_hand_from_its_parts() -> None:
    """40 MW GB200 phase at 80 %: capex annuities + opex items ÷ GPU-hours, from the catalogue."""
    phase = _phase()
    model = phase_cost_per_gpu_h(phase, ECONOMICS, CATALOGUE, COSTS)
    e, o, fac, lives = ECONOMICS, ECONOMICS.opex, ECONOMICS.facility, ECONOMICS.lives
    racks, it_mw = 231, 231 * 0.150  # 40 MW / 1.15 = 34.8 MW IT → 231 racks of 150 kW (fleet.py)
    assert phase.racks_added == {"gb200-nvl72": racks} and phase.it_mw_added == pytest.approx(it_mw)
    it_capex = racks * (e.hardware["gb200-nvl72"].rack_usd + fac.storage_usd_per_rack)
    network = racks * e.hardware["gb200-nvl72"].rack_usd * fac.network_frac_of_it_capex
    facility_mw = it_mw * (1 + fac.liquid_cooling_premium_frac * 0.85) * (1 + fac.soft_cost_frac)
    mne, shell = facility_mw * fac.power_cooling_usd_per_it_mw, facility_mw * fac.building_usd_per_it_mw

    def crf(life: float) -> float:
        r = e.wacc_frac
        return r / (1 - (1 + r) ** -life)

    capital = it_capex * crf(lives.it_yr) + network * crf(lives.network_yr)
    capital += mne * crf(lives.power_cooling_yr) + shell * crf(lives.building_yr)  # PPA: no energy assets
    maintenance = (
        it_capex * o.maintenance_it_frac_per_yr
        + network * o.maintenance_network_frac_per_yr
        + mne * o.maintenance_power_cooling_frac_per_yr
        + shell * o.maintenance_building_frac_per_yr
    )
    insurance = (it_capex + network + mne + shell) * o.insurance_frac_per_yr
    usd_per_mad, usd_per_eur = 1 / e.fx.mad_per_usd, e.fx.usd_per_eur
    usd_per_eur_2020 = usd_per_eur * EUR_2020_TO_2025  # the energy catalogue is in EUR 2020
    staff = (o.staff_fte_fixed + o.staff_fte_per_it_mw * it_mw) * o.staff_cost_mad_per_fte_yr * usd_per_mad
    land = it_mw * o.land_ha_per_it_mw * o.land_lease_mad_per_ha_yr * usd_per_mad
    energy = phase.ppa_mwh * o.ppa_price_eur_per_mwh * usd_per_eur
    energy += phase.grid_import_mwh * COSTS.grid.import_price_per_mwh * usd_per_eur_2020
    gpu_h = racks * 72 * 8760 * 0.8
    mix, hw = CATALOGUE.mix, "gb200-nvl72"
    revenue = gpu_h * (
        mix.reserved_frac * CATALOGUE.price_usd_per_gpu_h("reserved", hw)
        + mix.on_demand_frac * CATALOGUE.price_usd_per_gpu_h("on_demand", hw)
        + mix.spot_frac * CATALOGUE.price_usd_per_gpu_h("spot", hw)
        + mix.managed_training_frac * CATALOGUE.price_usd_per_gpu_h("managed_training", hw)
    )
    inf = CATALOGUE.inference
    tokens_usd = (
        phase.input_tokens * inf.input_usd_per_mtok + phase.output_tokens * inf.output_usd_per_mtok
    ) / 1e6
    revenue += tokens_usd  # 99.3 % attainment: above the first credit tier (99 %), no SLA credit
    revenue += phase.storage_tb * CATALOGUE.storage.usd_per_tb_month * 12
    revenue += phase.grid_export_mwh * COSTS.grid.export_price_per_mwh * usd_per_eur_2020
    sales_admin = o.sales_admin_frac_of_revenue * revenue
    wan = it_mw * o.wan_gbps_per_it_mw * o.wan_usd_per_gbps_month * 12
    by_hand = (capital + maintenance + insurance + staff + land + energy + wan + sales_admin) / gpu_h
    assert model.cost_usd_per_gpu_h == pytest.approx(by_hand, rel=1e-9)
    assert sum(model.per_gpu_h_usd.values()) == pytest.approx(by_hand, rel=1e-9)
    assert model.per_gpu_h_usd["capital_it"] == pytest.approx(it_capex * crf(6.0) / gpu_h)
    tokens_m = (phase.input_tokens + phase.output_tokens) / 1e6
    assert model.cost_usd_per_mtok == pytest.approx(by_hand * gpu_h * CATALOGUE.mix.inference_frac / tokens_m)
    assert 1.5 < by_hand < 4.0  # USD/GPU-h: below every GB200 list price of the catalogue


def test_owned_energy_assets_are_capex_from_the_planner_costs() -> None:
    """energy_supply = owned: PV, wind, battery capex come from costs.toml (EUR) at the FX rate."""
    owned = ECONOMICS.model_copy(update={"energy_supply": "owned"})
    phase = _phase()
    capex = placed_capex_usd(phase, owned, COSTS)
    usd_per_eur = ECONOMICS.fx.usd_per_eur * EUR_2020_TO_2025  # costs.toml: EUR 2020
    assert capex["wind"] == pytest.approx(
        phase.wind_mw_added * 1000 * COSTS.onwind.capex_per_kw * usd_per_eur
    )
    assert capex["battery_storage"] == pytest.approx(
        80.0 * 1000 * COSTS.battery_storage.capex_per_kwh * usd_per_eur
    )
    assert placed_capex_usd(phase, ECONOMICS, COSTS)["wind"] == 0.0  # PPA: the supplier's assets
    cost = phase_cost_per_gpu_h(phase, owned, CATALOGUE, COSTS)
    assert cost.cost_usd_per_yr["energy_ppa"] == 0.0
    assert cost.cost_usd_per_yr["capital_energy_assets"] > 0.0
    assert cost.cost_usd_per_yr["energy_vom"] == pytest.approx(phase.wind_mwh * 1.8 * usd_per_eur)


def test_capex_of_36_mw_lands_near_the_mou_anchor() -> None:
    """facts.md §1: MAD 12 bn ≈ US$1.28 bn for 16 + 20 = 36 MW (Apr 2026 MoU).

    Included in the model's figure: GB200 NVL72 racks with storage and the scale-out fabric,
    and building, power and cooling per MW of IT with the liquid premium and soft costs.
    Not included: the energy assets (PPA), land purchase (leased), grid connection works,
    financing costs during construction, and the re-scoped plan's own hardware mix, which
    is not public. With those gaps the model should sit within a factor 1.5 of the anchor.
    """
    capex = sum(placed_capex_usd(_phase(16.0), ECONOMICS, COSTS).values())
    capex += sum(placed_capex_usd(_phase(20.0), ECONOMICS, COSTS).values())
    anchor_usd = 12e9 / ECONOMICS.fx.mad_per_usd
    assert anchor_usd == pytest.approx(1.28e9)
    assert 1 / 1.5 < capex / anchor_usd < 1.5


def _ramp() -> list[YearInputs]:
    """morocco-500mw build-out: 40 MW GB200 in 2026, then GB300 to 100, 250, 500 MW (2028, 2030, 2032)."""
    first = _phase(40.0)
    steps = [(2028, 60.0), (2030, 150.0), (2032, 250.0)]
    years, running = [first], first
    for year, mw in steps:
        add = _phase(mw, year=year)
        gb300 = {"gb300-nvl72": add.racks_added["gb200-nvl72"] * 150 // 175}  # 140 kW × 1.25 per rack
        gb300_gpu_h = running.gpu_h_delivered.get("gb300-nvl72", 0.0) + gb300["gb300-nvl72"] * 72 * 8760 * 0.8
        running = dataclasses.replace(
            add,
            racks_added=gb300,
            gpu_h_delivered={**running.gpu_h_delivered, "gb300-nvl72": gb300_gpu_h},
            **{
                k: getattr(running, k) + getattr(add, k)
                for k in ("input_tokens", "output_tokens", "storage_tb", "ppa_mwh", "grid_import_mwh")
            },
        )
        years.append(running)
    return years


def test_cash_flows_add_up_and_the_ramp_spends_capex_in_its_years() -> None:
    years = _ramp()
    result = campus_cash_flows(years, ECONOMICS, CATALOGUE, COSTS)
    t = result.table
    assert list(t["year"]) == list(range(2025, 2026 + ECONOMICS.horizon_yr))  # 2025: construction
    by_year = t.set_index("year")
    assert (by_year.loc[[2025, 2027, 2029, 2031], "capex_usd"] > 1e9).all()  # paid a year ahead
    assert by_year.loc[2026, "capex_usd"] == 0.0
    assert by_year.loc[2025, "revenue_usd"] == 0.0 and by_year.loc[2025, "opex_usd"] == 0.0
    it_2026 = placed_capex_usd(years[0], ECONOMICS, COSTS)["it"]
    it_2032 = placed_capex_usd(years[3], ECONOMICS, COSTS)["it"]
    assert by_year.loc[2031, "capex_it_usd"] == pytest.approx(it_2026 + it_2032)  # 6-yr life: replaced
    assert by_year.loc[2026, "depreciation_usd"] > 0.0 == by_year.loc[2025, "depreciation_usd"]
    fcf = t["revenue_usd"] - t["opex_usd"] - t["tax_usd"] - t["capex_usd"] + t["terminal_value_usd"]
    np.testing.assert_allclose(t["free_cash_flow_usd"], fcf)
    parts = [f"capex_{c}_usd" for c in ASSET_CLASSES]
    np.testing.assert_allclose(t[parts].sum(axis=1), t["capex_usd"])
    np.testing.assert_allclose(t.filter(regex=r"^opex_.+_usd$").sum(axis=1), t["opex_usd"])
    np.testing.assert_allclose(t.filter(regex=r"^revenue_.+_usd$").sum(axis=1), t["revenue_usd"])
    assert result.npv_usd == pytest.approx(npv(ECONOMICS.wacc_frac, t["free_cash_flow_usd"]))
    assert npv(result.irr_frac, t["free_cash_flow_usd"]) == pytest.approx(0.0, abs=1.0)
    assert t["terminal_value_usd"].iloc[-1] == pytest.approx(
        t["capex_usd"].sum() - t["depreciation_usd"].sum()
    )
    assert 0 < result.payback_yr <= result.discounted_payback_yr < ECONOMICS.horizon_yr
    assert result.cost.cost_usd_per_gpu_h == pytest.approx(
        t["annualised_cost_usd"].sum() / t["gpu_h_delivered"].sum()
    )
    assert "NPV" in repr(result) and set(result.summary()) >= {"npv_usd", "irr_frac", "cost_usd_per_mtok"}


@given(
    utilisation=st.floats(0.05, 0.95),
    reserved_discount=st.floats(0.0, 0.9),
    tax=st.floats(0.0, 0.5),
    terminal=st.sampled_from(["none", "book_value", "perpetuity"]),
    supply=st.sampled_from(["ppa", "owned"]),
)
@settings(max_examples=40, deadline=None)
def test_every_year_revenue_minus_opex_tax_capex_is_the_free_cash_flow(
    utilisation: float, reserved_discount: float, tax: float, terminal: str, supply: str
) -> None:
    economics = CampusEconomics.model_validate(
        {"tax_rate_frac": tax, "terminal_value": terminal, "energy_supply": supply, "horizon_yr": 10}
    )
    catalogue = CATALOGUE.model_copy(update={"reserved_discount_frac": reserved_discount})
    years = [_phase(40.0, utilisation), _phase(60.0, utilisation, year=2028)]
    t = campus_cash_flows(years, economics, catalogue, COSTS).table
    fcf = t["revenue_usd"] - t["opex_usd"] - t["tax_usd"] - t["capex_usd"] + t["terminal_value_usd"]
    np.testing.assert_allclose(t["free_cash_flow_usd"], fcf, rtol=1e-12, atol=1e-3)
    assert (t["tax_usd"] >= 0).all()
    taxable = (t["ebitda_usd"] - t["depreciation_usd"]).clip(lower=0)
    assert t["tax_usd"].sum() <= tax * taxable.sum() + 1e-3


def test_losses_carry_forward_before_tax_is_due() -> None:
    """Year 1 loses 100, year 2 earns 150: with carry-forward only 50 is taxed."""
    from dctwin.economics import _tax_usd

    taxable = np.array([-100.0, 150.0])
    assert _tax_usd(taxable, ECONOMICS).tolist() == pytest.approx([0.0, 0.35 * 50.0])
    no_cf = ECONOMICS.model_copy(update={"loss_carryforward": False})
    assert _tax_usd(taxable, no_cf).tolist() == pytest.approx([0.0, 0.35 * 150.0])


def test_sla_credit_lowers_inference_revenue() -> None:
    met, missed = _phase(), dataclasses.replace(_phase(), slo_attainment_frac=0.97)
    first = ECONOMICS.capex_lead_yr  # the first year of service (row 0 is construction)
    r_met = campus_cash_flows([met], ECONOMICS, CATALOGUE, COSTS).table["revenue_inference_usd"].iloc[first]
    r_missed = (
        campus_cash_flows([missed], ECONOMICS, CATALOGUE, COSTS).table["revenue_inference_usd"].iloc[first]
    )
    assert r_met > 1e8
    assert r_missed == pytest.approx(0.9 * r_met)


@pytest.mark.parametrize(
    ("years", "match"),
    [
        ([], "at least one YearInputs"),
        ([YearInputs(2027), YearInputs(2026)], "distinct and in order"),
        ([YearInputs(2026), YearInputs(2045)], "raise horizon_yr"),
    ],
)
def test_bad_year_sequences_say_how_to_fix(years: list[YearInputs], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        campus_cash_flows(years, ECONOMICS, CATALOGUE, COSTS)


def test_unknown_hardware_names_the_table_to_add() -> None:
    with pytest.raises(ValueError, match=r"add \[economics\.hardware\.mi355x\]"):
        placed_capex_usd(YearInputs(2026, racks_added={"mi355x": 4}), ECONOMICS, COSTS)
    with pytest.raises(ValueError, match=r"services\.on_demand_usd_per_gpu_h"):
        campus_cash_flows([YearInputs(2026, gpu_h_delivered={"mi355x": 1.0})], ECONOMICS, CATALOGUE, COSTS)


def test_perpetuity_grows_the_fcf_normalised_for_replacement() -> None:
    """TV = (EBITDA − tax − Σ gross value in service ÷ life) × (1 + g) / (r − g), by hand."""
    perpetuity = ECONOMICS.model_copy(update={"terminal_value": "perpetuity", "terminal_growth_frac": 0.01})
    phase = _phase()
    result = campus_cash_flows([phase], perpetuity, CATALOGUE, COSTS)
    last = result.table.iloc[-1]
    capex = placed_capex_usd(phase, perpetuity, COSTS)  # one copy of each class is in service at the end
    lives = {"it": 6.0, "network": 6.0, "power_cooling": 12.0, "building": 30.0}
    steady = sum(capex[c] / life for c, life in lives.items())
    by_hand = (last["ebitda_usd"] - last["tax_usd"] - steady) * 1.01 / (0.07 - 0.01)
    assert last["terminal_value_usd"] == pytest.approx(by_hand, rel=1e-12)
    assert last["capex_usd"] == 0.0  # why it must be normalised: the last year buys nothing


def test_no_replacement_beyond_the_it_life_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"would keep selling GPU-hours from retired hardware"):
        CampusEconomics.model_validate({"replace_at_end_of_life": False})
    short = CampusEconomics.model_validate({"replace_at_end_of_life": False, "horizon_yr": 6})
    assert short.horizon_yr == 6


def test_the_utilisation_upside_stops_at_the_deliverable_share() -> None:
    """At 80 % delivered and a 95 % cap, '+20 %' can add only 15/80 of the GPU-hours."""
    from dctwin.economics import _more_or_less_delivered

    phase = dataclasses.replace(_phase(), gpu_h_installed=231 * 72 * 8760.0)
    more = _more_or_less_delivered(phase, 1.2, 0.95)
    assert sum(more.gpu_h_delivered.values()) == pytest.approx(0.95 * phase.gpu_h_installed)
    assert more.input_tokens == pytest.approx(phase.input_tokens * 0.95 / 0.8)
    less = _more_or_less_delivered(phase, 0.8, 0.95)
    assert sum(less.gpu_h_delivered.values()) == pytest.approx(0.8 * sum(phase.gpu_h_delivered.values()))


def test_energy_catalogue_euros_are_brought_to_the_model_price_year() -> None:
    """costs.toml is EUR 2020 (technology-data); the campus model is constant 2025 prices."""
    from dctwin.economics import energy_costs_usd

    assert (COSTS.currency, COSTS.currency_year, ECONOMICS.currency_year) == ("EUR", 2020, 2025)
    assert pytest.approx(1.2256, abs=1e-4) == EUR_2020_TO_2025
    assert energy_costs_usd(100.0, ECONOMICS, COSTS) == pytest.approx(100.0 * EUR_2020_TO_2025 * 1.0824)
    gap = ECONOMICS.model_copy(update={"fx": ECONOMICS.fx.model_copy(update={"eur_inflation_frac": {}})})
    with pytest.raises(ScenarioError, match=r'no euro inflation for 2021.*"2021" = … to \[economics\.fx'):
        energy_costs_usd(100.0, gap, COSTS)
