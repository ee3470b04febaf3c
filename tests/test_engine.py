"""End-to-end runs: physically plausible, sourced results; determinism; balance; golden week."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dctwin.engine import run, time_index
from dctwin.results.model import Results
from dctwin.scenario import load_scenario
from dctwin.scenario.schema import TimeConfig
from dctwin.testing import assert_results_match_golden, golden_scenario


@pytest.fixture(scope="module")
def year() -> Results:
    """The default scenario, phase 1, one year at 1 h."""
    return run(load_scenario("morocco-500mw"))


def site(results: Results) -> dict[str, Any]:
    return results.summary["sites"]["north"]


def test_phase_one_installs_the_reference_fleet(year: Results) -> None:
    """facts.md §8: 40 MW facility at PUE 1.15 → 231 NVL72 racks → 16,632 GB200 GPUs."""
    assert (site(year)["gpus"], site(year)["racks"]) == (16_632, 231)
    assert year.summary["fleet"]["north"][0]["scalable_units"] == pytest.approx(231 / 8)


def test_pv_inside_the_published_range(year: Results) -> None:
    """energy.md §4.1: PV (tracker) AC capacity factor 24–28 % in the north of Morocco."""
    assert 0.24 <= site(year)["solar_capacity_factor"] <= 0.28
    # DC/AC 1.3 → 1,620–1,890 kWh/kWp
    assert 1_600 <= site(year)["solar_specific_yield_kwh_per_kwp"] <= 1_900


def test_wind_inside_the_published_range(year: Results) -> None:
    """energy.md §4.1: onshore wind 35–45 % capacity factor in the north (Tangier–Tetouan)."""
    assert 0.35 <= site(year)["wind_capacity_factor"] <= 0.45


def test_annual_pue_in_the_warm_water_range(year: Results) -> None:
    """facts.md §4.1: warm-water DLC with dry coolers in Tangier, annual PUE ≈ 1.12–1.18."""
    s = site(year)
    assert 1.10 <= s["pue_annual"] <= 1.18
    assert s["pue_min"] >= 1.07 and s["pue_max"] <= 1.30
    assert s["water_l"] == 0.0  # dry coolers


def test_emissions_at_the_published_grid_intensity(year: Results) -> None:
    """energy.md §4.2: Moroccan grid ≈ 600 gCO2e/kWh (lowcarbonpower.org, 2023)."""
    s = site(year)
    assert s["grid_import_mwh"] > 0
    assert s["emissions_location_t"] / s["grid_import_mwh"] == pytest.approx(0.600)
    assert s["grid_only_emissions_t"] == pytest.approx(s["facility_load_mwh"] * 0.6)


def test_energy_balance_and_shares(year: Results) -> None:
    s = site(year)
    assert s["energy_balance_max_error_mw"] < 1e-9
    assert 0.0 <= s["hourly_cfe_score_frac"] <= s["annual_renewable_share_frac"] <= 1.0
    assert s["load_shed_mwh"] == 0.0
    assert year.summary["campus"]["hourly_cfe_score_frac"] == pytest.approx(s["hourly_cfe_score_frac"])
    frame = year.site_frame("north")
    assert frame.index.is_monotonic_increasing and str(frame.index.tz) == "UTC"
    assert len(frame) == 8760


def test_heat_waves_derate(year: Results) -> None:
    """A Chergui year drives the hourly maximum above 38 °C and PUE up with it."""
    frame = year.site_frame("north")
    assert frame["temp_air_c"].max() >= 38.0
    hot = frame["temp_air_c"] > 35
    assert frame.loc[hot, "pue"].mean() > frame.loc[~hot, "pue"].mean()


def test_same_seed_same_run_other_seed_other_run() -> None:
    short = {"time.duration_days": 3}
    a = run(load_scenario("morocco-500mw", **short)).timeseries
    b = run(load_scenario("morocco-500mw", **short)).timeseries
    c = run(load_scenario("morocco-500mw", seed=1, **short)).timeseries
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["solar_mw"], c["solar_mw"])


def test_a_week_alone_equals_the_week_inside_the_year(year: Results) -> None:
    """Weather and supply are drawn on whole calendar years, so a week alone sees the same
    conditions as inside the year. Everything with state differs: the battery starts from its
    initial charge, and the scheduler's queues (hence IT and facility load) from empty."""
    week = run(golden_scenario())
    frame = week.site_frame("north")
    inside = year.site_frame("north").loc[frame.index]
    stateless = [
        "temp_air_c", "ghi_w_per_m2", "dni_w_per_m2", "dhi_w_per_m2", "wind_speed_hub_m_per_s",
        "air_density_kg_per_m3", "solar_mw", "wind_mw", "clean_supply_mw", "pue", "chiller_share_frac",
    ]  # fmt: skip
    pd.testing.assert_frame_equal(frame[stateless], inside[stateless], check_freq=False, rtol=1e-6)


def test_golden_week() -> None:
    """Regenerate with `make golden` when a change of behaviour is intended."""
    assert_results_match_golden(run(golden_scenario()))


@pytest.mark.parametrize("step", ["15min", "5min"])
def test_sub_hourly_steps_agree_with_hourly_energy(step: str) -> None:
    kw = {"time.duration_days": 14, "time.start_date": "2026-04-01"}
    hourly = run(load_scenario("morocco-500mw", **kw)).summary["campus"]
    fine = run(load_scenario("morocco-500mw", **{**kw, "time.step": step})).summary["campus"]
    for key in ("solar_mwh", "wind_mwh", "it_load_mwh", "facility_load_mwh"):
        assert fine[key] == pytest.approx(hourly[key], rel=0.03), key


def test_two_site_plan_by_phase() -> None:
    """facts.md §1: phase 1 is Nouaceur alone (16 MW); phase 2 adds the north (20 MW)."""
    one = run(load_scenario("morocco-2026-plan", phase="phase-1", **{"time.duration_days": 2}))
    two = run(load_scenario("morocco-2026-plan", **{"time.duration_days": 2}))
    assert one.sites == ["nouaceur"] and two.sites == ["nouaceur", "north"]
    assert two.summary["campus"]["gpus"] == sum(s["gpus"] for s in two.summary["sites"].values())
    assert two.summary["campus"]["facility_power_mw"] == 36.0


def test_time_index_rules() -> None:
    idx = time_index(TimeConfig(start_date="2028-02-28", duration_days=2, step="5min"))
    assert len(idx) == 576 and idx[0] == pd.Timestamp("2028-02-28", tz="UTC") and idx.freqstr == "5min"


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    days=st.integers(1, 3),
    step=st.sampled_from(["1h", "15min"]),
    solar=st.floats(0.0, 200.0),
    wind=st.floats(0.0, 200.0),
    battery_h=st.floats(0.0, 8.0),
    grid_mw=st.floats(0.0, 60.0),
)
def test_energy_balance_closes_for_any_plant(
    seed: int, days: int, step: str, solar: float, wind: float, battery_h: float, grid_mw: float
) -> None:
    """Property: whatever the plant, every step of every site balances and flows are ≥ 0."""
    battery_mw = 20.0 if battery_h > 0 else 0.0
    build = {
        "solar_ac_mw": solar,
        "wind_mw": wind,
        "battery_power_mw": battery_mw,
        "battery_energy_mwh": battery_mw * battery_h,
    }
    sc = load_scenario("morocco-500mw", seed=seed, **{"time.duration_days": days, "time.step": step})
    builds = [sc.sites[0].builds[0].model_copy(update=build)]
    grid = sc.sites[0].grid.model_copy(update={"import_limit_mw": grid_mw})
    sc = sc.model_copy(update={"sites": [sc.sites[0].model_copy(update={"builds": builds, "grid": grid})]})
    f = run(sc).site_frame("north")
    sources = f["clean_supply_mw"] + f["battery_discharge_mw"] + f["grid_import_mw"] + f["load_shed_mw"]
    sinks = f["facility_load_mw"] + f["battery_charge_mw"] + f["grid_export_mw"] + f["curtailment_mw"]
    np.testing.assert_allclose(sources, sinks, atol=1e-9)
    flows = [c for c in f.columns if c.endswith("_mw")]
    assert (f[flows] >= 0).all().all()
    assert (f["grid_import_mw"] <= grid_mw + 1e-9).all()
