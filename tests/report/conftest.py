"""Small, realistic, energy-balanced :class:`Results` for the report tests.

The time series are synthetic (numpy, seeded) but follow ``docs/conventions.md``: every
column with its unit, UTC timestamps at interval start, and the energy balance closing
every step (a greedy battery dispatch does the bookkeeping). Periods are chosen to cross
Morocco's clock changes: on 2028-01-23 02:00 UTC Africa/Casablanca goes from UTC+1 to
UTC+0 for Ramadan (local 02:00–03:00 happens twice) and on 2028-03-05 02:00 UTC back to
UTC+1 (local 02:00–03:00 is skipped).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dctwin.metrics import campus_summary, hourly_cfe, site_summary
from dctwin.results.model import Results
from dctwin.scenario import Scenario, Site, hardware_catalog, load_scenario

MakeResults = Callable[..., Results]
Sites = Sequence[str] | None


def _without_battery(site: Site) -> Site:
    no_bat = {"battery_power_mw": 0.0, "battery_energy_mwh": 0.0}
    return site.model_copy(update={"builds": [b.model_copy(update=no_bat) for b in site.builds]})


def _scenario(step: str, start: str, days: int, sites: Sites, battery: bool) -> Scenario:
    overrides = {"time.duration_days": days, "time.step": step, "time.start_date": start}
    scenario = load_scenario("morocco-2026-plan", **overrides)
    kept = [s for s in scenario.sites if sites is None or s.name in sites]
    if not battery:
        kept = [_without_battery(s) for s in kept]
    return scenario.model_copy(update={"sites": kept})


def _capacities(scenario: Scenario, site: Site) -> dict[str, Any]:
    builds = scenario.builds_up_to_phase(site)
    facility = sum(b.facility_power_mw for b in builds)
    it_cap = facility / site.cooling.sizing_pue
    spec = hardware_catalog(scenario)[builds[-1].hardware]
    racks = int(it_cap * 1000.0 / spec.it_power_per_rack_kw)
    solar_ac = sum(b.solar_ac_mw for b in builds)
    return {
        "grid_clean_share_frac": site.grid.clean_share_frac,
        "grid_carbon_intensity_kg_per_mwh": site.grid.carbon_intensity_kg_per_mwh,
        "residual_mix_kg_per_mwh": site.grid.residual_mix_kg_per_mwh,
        "solar_ac_mw": solar_ac,
        "solar_dc_kwp": solar_ac * site.solar.dc_ac_ratio * 1000.0,
        "wind_mw": sum(b.wind_mw for b in builds),
        "battery_power_mw": sum(b.battery_power_mw for b in builds),
        "battery_energy_mwh": sum(b.battery_energy_mwh for b in builds),
        "it_capacity_mw": it_cap,
        "facility_power_mw": facility,
        "gpus": racks * spec.gpus_per_rack,
        "racks": racks,
    }


def _weather(index: pd.DatetimeIndex, rng: np.random.Generator, low_days: Sequence[int]) -> dict:
    n = len(index)
    hour = (index.hour + index.minute / 60.0).to_numpy(float)  # ≈ solar time at −7° lon
    day = ((index - index[0]) / pd.Timedelta(days=1)).to_numpy(float).astype(int)
    low = np.isin(day, list(low_days))
    temp = 16.0 + 6.0 * np.sin((hour - 9.0) / 24.0 * 2 * np.pi) + rng.normal(0, 0.8, n)
    temp[(day == 1) & (hour >= 13) & (hour < 16)] = 44.0  # a short heat spike above design
    sun = np.clip(np.sin(np.pi * (hour - 7.0) / 11.0), 0.0, None)
    cloud = np.where(low, 0.15, rng.uniform(0.7, 1.0, day.max() + 1)[day])
    ghi = 950.0 * sun * cloud
    speed = np.empty(n)
    speed[0] = 8.0
    shocks = rng.normal(0.0, 0.6, n)
    for i in range(1, n):
        speed[i] = 8.0 + 0.97 * (speed[i - 1] - 8.0) + shocks[i]
    speed = np.clip(np.where(low, 0.25, 1.0) * speed, 0.0, 25.0)
    return {"temp_air_c": temp, "ghi_w_per_m2": ghi, "wind_speed_hub_m_per_s": speed}


def _dispatch(clean: np.ndarray, load: np.ndarray, dt_h: float, cap: dict) -> dict:
    power, energy = cap["battery_power_mw"], cap["battery_energy_mwh"]
    eta = np.sqrt(0.87)
    soc = 0.5 * energy
    out = {k: np.zeros(len(load)) for k in ("charge", "discharge", "imp", "exp", "curt", "soc")}
    for i, (c, lo) in enumerate(zip(clean, load, strict=True)):
        surplus = c - lo
        if surplus >= 0:
            charge = max(0.0, min(surplus, power, (0.95 * energy - soc) / (eta * dt_h)))
            export = min(surplus - charge, 0.2 * c)
            out["charge"][i], out["exp"][i] = charge, export
            out["curt"][i] = surplus - charge - export
            soc += charge * eta * dt_h
        else:
            discharge = max(0.0, min(-surplus, power, (soc - 0.05 * energy) * eta / dt_h))
            out["discharge"][i], out["imp"][i] = discharge, -surplus - discharge
            soc -= discharge / eta * dt_h
        out["soc"][i] = soc
    return out


def site_timeseries(
    scenario: Scenario, site: Site, rng: np.random.Generator, low_days: Sequence[int] = (5, 6)
) -> pd.DataFrame:
    """One site's energy-balanced time series (long format, with ``site``)."""
    t = scenario.time
    steps = round(t.duration_days * 24 / t.dt_h)
    start = pd.Timestamp(t.start_date, tz="UTC")
    index = pd.date_range(start, periods=steps, freq=pd.Timedelta(hours=t.dt_h), name="time_utc")
    cap = _capacities(scenario, site)
    w = _weather(index, rng, low_days)
    solar = cap["solar_ac_mw"] * np.clip(w["ghi_w_per_m2"] / 1000.0 * 0.9, 0.0, 1.0)
    wind = cap["wind_mw"] * np.clip(((w["wind_speed_hub_m_per_s"] - 3.0) / 9.0) ** 3, 0.0, 1.0)
    training = np.clip(0.6 + rng.normal(0.0, 0.02, steps), 0.0, 0.7)
    inference = np.clip(0.2 + 0.08 * np.sin(index.hour.to_numpy() / 24 * 2 * np.pi), 0.0, 0.3)
    it = cap["it_capacity_mw"] * (0.3 + 0.7 * (training + inference))
    derated = w["temp_air_c"] > site.cooling.design_dry_bulb_c
    derate = np.where(derated, 0.1 * it, 0.0)
    it = it - derate
    pue = 1.08 + 0.004 * np.clip(w["temp_air_c"] - 15.0, 0.0, None)
    facility = it * pue
    electrical, other = 0.05 * facility, 0.005 * it
    flows = _dispatch(solar + wind, facility, t.dt_h, cap)
    energy = cap["battery_energy_mwh"]
    soc_frac = flows["soc"] / energy if energy > 0 else np.full(steps, np.nan)
    return pd.DataFrame(
        {
            "time_utc": index,
            "site": site.name,
            **w,
            "solar_mw": solar,
            "wind_mw": wind,
            "clean_supply_mw": solar + wind,
            "training_share_frac": training,
            "inference_share_frac": inference,
            "it_load_mw": it,
            "it_derate_mw": derate,
            "cooling_mw": facility - it - electrical - other,
            "electrical_loss_mw": electrical,
            "other_mw": other,
            "facility_load_mw": facility,
            "pue": pue,
            "water_l_per_h": 0.0,
            "derated": derated,
            "battery_charge_mw": flows["charge"],
            "battery_discharge_mw": flows["discharge"],
            "battery_soc_mwh": flows["soc"],
            "battery_soc_frac": soc_frac,
            "grid_import_mw": flows["imp"],
            "grid_export_mw": flows["exp"],
            "curtailment_mw": flows["curt"],
            "load_shed_mw": 0.0,
        }
    )


def _fleet_record(scenario: Scenario, site: Site) -> dict[str, Any]:
    cap = _capacities(scenario, site)
    keys = ("racks", "gpus", "it_capacity_mw", "facility_power_mw")
    builds = scenario.builds_up_to_phase(site)
    return {"phase": builds[-1].phase, "hardware": builds[-1].hardware} | {k: cap[k] for k in keys}


def build_results(
    step: str = "1h",
    start: str = "2028-01-22",
    days: int = 12,
    sites: Sequence[str] | None = None,
    battery: bool = True,
    low_days: Sequence[int] = (5, 6),
    seed: int = 7,
) -> Results:
    """A :class:`Results` from synthetic time series and the real summary functions."""
    scenario = _scenario(step, start, days, sites, battery)
    rng = np.random.default_rng(seed)
    ts = pd.concat([site_timeseries(scenario, s, rng, low_days) for s in scenario.sites])
    ts = ts.reset_index(drop=True)
    dt_h = scenario.time.dt_h
    summaries, cfes = {}, {}
    for site in scenario.sites:
        frame = ts[ts["site"] == site.name].drop(columns="site").set_index("time_utc")
        summaries[site.name] = site_summary(frame, dt_h, _capacities(scenario, site))
        cfes[site.name] = hourly_cfe(frame, dt_h, site.grid.clean_share_frac)
    summary = {
        "campus": campus_summary(summaries, cfes),
        "sites": summaries,
        "fleet": {s.name: [_fleet_record(scenario, s)] for s in scenario.sites},
    }
    metadata = {
        "seed": scenario.seed,
        "dctwin_version": "0.1.0",
        "git_hash": "0123abc",
        "timings_s": {"weather": 0.42, "dispatch": 0.05},
        "created_utc": "2026-05-01T12:00:00Z",
    }
    return Results(scenario, ts, summary, metadata, run_id="20260501-test")


@pytest.fixture(scope="session")
def make_results() -> MakeResults:
    """The builder, for tests that need their own variant."""
    return build_results


@pytest.fixture(scope="session")
def two_sites() -> Results:
    """Two sites, 12 days at 1 h from 2028-01-22 (crosses the 23 Jan switch to UTC+0 and
    the January/February boundary)."""
    return build_results()


@pytest.fixture(scope="session")
def one_site_15min() -> Results:
    """Nouaceur alone, 10 days at 15 min from 2028-02-27 (crosses the 5 March switch back
    to UTC+1 and the February/March boundary)."""
    return build_results(step="15min", start="2028-02-27", days=10, sites=["nouaceur"])


@pytest.fixture(scope="session")
def no_battery() -> Results:
    """One site, 8 days at 1 h, no battery built."""
    return build_results(days=8, sites=["north"], battery=False, low_days=(2,))
