"""KPIs: hourly CFE (Google 24/7 CFE), annual matching, emissions, PUE — worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dctwin.metrics import campus_summary, hourly_cfe, hourly_energy_mwh, site_summary

INFO = {
    "grid_clean_share_frac": 0.2,
    "grid_carbon_intensity_kg_per_mwh": 600.0,
    "residual_mix_kg_per_mwh": 600.0,
    "solar_ac_mw": 10.0,
    "solar_dc_kwp": 13_000.0,
    "wind_mw": 5.0,
    "battery_power_mw": 0.0,
    "battery_energy_mwh": 0.0,
    "it_capacity_mw": 10.0,
    "facility_power_mw": 12.0,
    "gpus": 100,
    "racks": 2,
}


def frame(n: int = 4, freq: str = "h", **cols: list[float]) -> pd.DataFrame:
    idx = pd.date_range("2026-06-01", periods=n, freq=freq, tz="UTC", name="time_utc")
    base = {
        c: np.zeros(n)
        for c in [
            "solar_mw",
            "wind_mw",
            "clean_supply_mw",
            "it_load_mw",
            "cooling_mw",
            "electrical_loss_mw",
            "other_mw",
            "facility_load_mw",
            "battery_charge_mw",
            "battery_discharge_mw",
            "grid_import_mw",
            "grid_export_mw",
            "curtailment_mw",
            "load_shed_mw",
            "pue",
            "temp_air_c",
            "water_l_per_h",
            "it_derate_mw",
            "training_share_frac",
            "inference_share_frac",
        ]
    }
    base.update({k: np.asarray(v, dtype=float) for k, v in cols.items()})
    return pd.DataFrame(base, index=idx)


def test_hourly_cfe_by_hand() -> None:
    """Google (2021): CFE_h = clean used in the hour + grid CFE share × grid supply; no carry-over."""
    f = frame(facility_load_mw=[10, 10, 10, 10], grid_import_mw=[0, 10, 4, 0], grid_export_mw=[6, 0, 0, 0])
    h = hourly_cfe(f, 1.0, 0.2)
    np.testing.assert_allclose(h["cfe_frac"], [1.0, 0.2, 0.6 + 0.2 * 0.4, 1.0])
    # the 6 MWh surplus of hour 0 does not help hour 1


def test_sub_hourly_steps_net_within_the_hour() -> None:
    """Four 15-min steps: 2 MW exported in the first, 2 MW imported in the last → clean hour."""
    f = frame(
        4, "15min", facility_load_mw=[8, 8, 8, 8], grid_import_mw=[0, 0, 0, 2], grid_export_mw=[2, 0, 0, 0]
    )
    h = hourly_cfe(f, 0.25, 0.0)
    assert len(h) == 1 and h["cfe_frac"].iloc[0] == pytest.approx(1.0)
    e = hourly_energy_mwh(f, 0.25)
    assert e["facility_load_mwh"].iloc[0] == pytest.approx(8.0)


def test_site_summary_matching_and_emissions() -> None:
    f = frame(
        solar_mw=[20, 0, 0, 0],
        clean_supply_mw=[20, 0, 0, 0],
        facility_load_mw=[10, 10, 10, 10],
        it_load_mw=[9, 9, 9, 9],
        grid_import_mw=[0, 10, 10, 10],
        grid_export_mw=[2, 0, 0, 0],
        curtailment_mw=[8, 0, 0, 0],
        pue=[10 / 9] * 4,
    )
    s = site_summary(f, 1.0, INFO)
    assert s["energy_balance_max_error_mw"] == 0.0
    # 20 MWh generated, 8 curtailed: 12 MWh delivered (= 40 load − 30 import + 2 export) / 40 MWh load
    assert s["annual_renewable_share_frac"] == pytest.approx(0.3)
    assert s["hourly_cfe_score_frac"] == pytest.approx((10 + 3 * 0.2 * 10) / 40)
    assert s["hours_fully_clean_h"] == 1.0
    assert s["emissions_location_t"] == pytest.approx(30 * 0.6)
    assert s["emissions_market_t"] == pytest.approx(28 * 0.6)  # 2 MWh of exported certificates
    assert s["pue_annual"] == pytest.approx(40 / 36)
    assert s["curtailment_frac"] == pytest.approx(8 / 20)
    assert s["solar_capacity_factor"] == pytest.approx(20 / (10 * 4))
    assert s["solar_specific_yield_kwh_per_kwp"] == pytest.approx(20_000 / 13_000)


def test_campus_recomputes_ratios_from_totals() -> None:
    a = frame(facility_load_mw=[10] * 4, it_load_mw=[9] * 4, grid_import_mw=[10] * 4, pue=[10 / 9] * 4)
    b = frame(
        facility_load_mw=[30] * 4,
        it_load_mw=[25] * 4,
        clean_supply_mw=[30] * 4,
        solar_mw=[30] * 4,
        pue=[1.2] * 4,
    )
    sites = {"a": site_summary(a, 1.0, INFO), "b": site_summary(b, 1.0, INFO)}
    camp = campus_summary(sites, {k: hourly_cfe(f, 1.0, 0.2) for k, f in {"a": a, "b": b}.items()})
    assert camp["hourly_cfe_score_frac"] == pytest.approx((2 * 4 + 30 * 4) / 160)
    assert camp["pue_annual"] == pytest.approx(160 / 136)
    assert camp["gpus"] == 200
    assert camp["hours_fully_clean_h"] == 0.0
