"""``run(scenario) -> Results``: orchestration only, in a fixed and readable order.

For each site with capacity online at the simulated phase::

    capacities & fleet  →  weather  →  PV, wind  →  utilisation → IT power
    →  cooling & facility power (derating)  →  dispatch  →  metrics

then campus metrics. No physics lives here; every step is a call into a domain module.
Random streams: one ``SeedSequence(scenario.seed)`` spawns a child per site, which spawns
one generator for weather and one for the workload.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pvlib

from dctwin import __version__
from dctwin.dispatch import GridLimits, dispatch_site
from dctwin.facility.cooling import facility_power
from dctwin.facility.fleet import SiteFleet, it_power_mw, site_fleet
from dctwin.metrics import campus_summary, hourly_cfe, site_summary
from dctwin.results.model import Results
from dctwin.scenario import hardware_catalog
from dctwin.scenario.schema import BuildStep, Scenario, Site, TimeConfig
from dctwin.supply.battery import BatteryParams
from dctwin.supply.solar import solar_geometry, solar_plant_mw
from dctwin.supply.wind import hub_air_density_kg_per_m3, hub_wind_speed_m_per_s, turbine_curve, wind_farm_mw
from dctwin.weather import site_weather
from dctwin.workload.profile import utilisation_shares

__all__ = ["Capacities", "run", "time_index"]

Progress = Callable[[str], None]


def time_index(time_config: TimeConfig) -> pd.DatetimeIndex:
    """The run's UTC time index: interval starts at a fixed step.

    Examples
    --------
    >>> from dctwin.scenario.schema import TimeConfig
    >>> idx = time_index(TimeConfig(duration_days=1, step="15min"))
    >>> len(idx), str(idx.tz), str(idx[1] - idx[0])
    (96, 'UTC', '0 days 00:15:00')
    """
    periods = round(time_config.duration_days * 24 / time_config.dt_h)
    start = pd.Timestamp(time_config.start_date, tz="UTC")
    return pd.date_range(start, periods=periods, freq=time_config.step, name="time_utc")


@dataclass(frozen=True)
class Capacities:
    """Capacity online at a site at the simulated phase (sum of its build steps). [MW], [MWh]"""

    facility_power_mw: float
    solar_ac_mw: float
    wind_mw: float
    battery_power_mw: float
    battery_energy_mwh: float

    @classmethod
    def from_builds(cls, builds: list[BuildStep]) -> Capacities:
        """Sum the build steps."""
        return cls(
            facility_power_mw=sum(b.facility_power_mw for b in builds),
            solar_ac_mw=sum(b.solar_ac_mw for b in builds),
            wind_mw=sum(b.wind_mw for b in builds),
            battery_power_mw=sum(b.battery_power_mw for b in builds),
            battery_energy_mwh=sum(b.battery_energy_mwh for b in builds),
        )


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


def run(scenario: Scenario, progress: Progress | None = None) -> Results:
    """Simulate a scenario.

    Parameters
    ----------
    scenario
        A validated scenario (see :func:`dctwin.load_scenario`).
    progress
        Called with a short message as each site and stage starts (for progress bars).

    Returns
    -------
    Results
        Time series of every active site, site and campus summaries, metadata.
    """
    started = time.perf_counter()
    timer = _Timer()
    say = progress or (lambda _msg: None)
    times = time_index(scenario.time)
    dt_h = scenario.time.dt_h
    catalog = hardware_catalog(scenario)
    site_seeds = np.random.SeedSequence(scenario.seed).spawn(len(scenario.sites))
    frames, summaries, cfe_by_site, fleets = [], {}, {}, {}
    for site, seed in zip(scenario.sites, site_seeds, strict=True):
        builds = scenario.builds_up_to_phase(site)
        caps = Capacities.from_builds(builds)
        if caps.facility_power_mw <= 0:
            continue
        weather_rng, workload_rng = (np.random.default_rng(s) for s in seed.spawn(2))
        fleet = site_fleet(builds, catalog, site.cooling.sizing_pue)
        frame, info = _simulate_site(
            scenario, site, caps, fleet, times, weather_rng, workload_rng, timer, say
        )
        with timer.stage("metrics"):
            indexed = frame.set_index("time_utc")
            summaries[site.name] = site_summary(indexed, dt_h, info)
            cfe_by_site[site.name] = hourly_cfe(indexed, dt_h, site.grid.clean_share_frac)
        fleets[site.name] = fleet.describe()
        frames.append(frame)
    with timer.stage("metrics"):
        campus = campus_summary(summaries, cfe_by_site) if summaries else {}
    timeseries = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    metadata = _metadata(scenario, timer.seconds, time.perf_counter() - started)
    summary = {"campus": campus, "sites": summaries, "fleet": fleets}
    return Results(scenario=scenario, timeseries=timeseries, summary=summary, metadata=metadata)


def _simulate_site(
    scenario: Scenario,
    site: Site,
    caps: Capacities,
    fleet: SiteFleet,
    times: pd.DatetimeIndex,
    weather_rng: np.random.Generator,
    workload_rng: np.random.Generator,
    timer: _Timer,
    say: Progress,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    dt_h = scenario.time.dt_h
    altitude_m = (
        site.altitude_m
        if site.altitude_m is not None
        else float(pvlib.location.lookup_altitude(site.latitude_deg, site.longitude_deg))
    )
    say(f"{site.name}: weather")
    with timer.stage("weather"):
        weather = site_weather(site, times, weather_rng)
    say(f"{site.name}: solar and wind")
    with timer.stage("supply"):
        geometry = solar_geometry(times, dt_h, site.latitude_deg, site.longitude_deg, altitude_m, site.solar)
        solar_mw = solar_plant_mw(weather, geometry, caps.solar_ac_mw, site.solar)
        ref_height_m = float(weather.attrs["wind_reference_height_m"])
        w = site.wind
        v_hub = hub_wind_speed_m_per_s(
            weather["wind_speed_m_per_s"].to_numpy(),
            ref_height_m,
            w.hub_height_m,
            w.wind_profile,
            w.hellman_exponent,
            w.roughness_length_m,
        )
        rho_hub = hub_air_density_kg_per_m3(
            weather["pressure_pa"].to_numpy(), weather["temp_air_c"].to_numpy(), ref_height_m, w.hub_height_m
        )
        wind_mw = wind_farm_mw(
            v_hub,
            rho_hub,
            turbine_curve(w.turbine_type),
            caps.wind_mw,
            w.wake_loss_frac,
            w.availability_frac,
            w.electrical_loss_frac,
            w.density_correction,
        )
    say(f"{site.name}: facility")
    with timer.stage("facility"):
        train, infer = utilisation_shares(
            times, scenario.time.report_timezone, scenario.workload, workload_rng, dt_h
        )
        demand_mw = it_power_mw(fleet, train, infer)
        temp_c = weather["temp_air_c"].to_numpy()
        fac, it_derate_mw = facility_power(
            demand_mw,
            temp_c,
            site.cooling,
            fleet.liquid_cooled_frac,
            fleet.it_capacity_mw,
            caps.facility_power_mw,
        )
    say(f"{site.name}: dispatch")
    with timer.stage("dispatch"):
        clean_mw = solar_mw + wind_mw
        battery = BatteryParams(
            power_mw=caps.battery_power_mw,
            energy_mwh=caps.battery_energy_mwh,
            round_trip_efficiency_frac=site.battery.round_trip_efficiency_frac,
            soc_min_frac=site.battery.soc_min_frac,
            soc_max_frac=site.battery.soc_max_frac,
            initial_soc_frac=site.battery.initial_soc_frac,
            self_discharge_frac_per_day=site.battery.self_discharge_frac_per_day,
        )
        import_limit = (
            site.grid.import_limit_mw if site.grid.import_limit_mw is not None else caps.facility_power_mw
        )
        export_limit = site.grid.export_limit_mw if site.grid.export_limit_mw is not None else import_limit
        grid = GridLimits(import_limit, export_limit, site.grid.export_cap_frac_of_production)
        flows = dispatch_site(clean_mw, fac.facility_load_mw, dt_h, battery, grid)
    soc_frac = (
        flows.battery_soc_mwh / caps.battery_energy_mwh
        if caps.battery_energy_mwh > 0
        else np.zeros(len(times))
    )
    frame = pd.DataFrame(
        {
            "time_utc": times,
            "site": site.name,
            "temp_air_c": temp_c,
            "ghi_w_per_m2": weather["ghi_w_per_m2"].to_numpy(),
            "dni_w_per_m2": weather["dni_w_per_m2"].to_numpy(),
            "dhi_w_per_m2": weather["dhi_w_per_m2"].to_numpy(),
            "wind_speed_hub_m_per_s": v_hub,
            "air_density_kg_per_m3": rho_hub,
            "solar_mw": solar_mw,
            "wind_mw": wind_mw,
            "clean_supply_mw": clean_mw,
            "training_share_frac": train,
            "inference_share_frac": infer,
            "it_load_mw": fac.it_load_mw,
            "it_derate_mw": it_derate_mw,
            "cooling_mw": fac.cooling_mw,
            "electrical_loss_mw": fac.electrical_loss_mw,
            "other_mw": fac.other_mw,
            "facility_load_mw": fac.facility_load_mw,
            "pue": fac.pue,
            "chiller_share_frac": fac.chiller_share_frac,
            "water_l_per_h": fac.water_l_per_h,
            "derated": temp_c > site.cooling.design_dry_bulb_c,
            "battery_charge_mw": flows.battery_charge_mw,
            "battery_discharge_mw": flows.battery_discharge_mw,
            "battery_soc_mwh": flows.battery_soc_mwh,
            "battery_soc_frac": soc_frac,
            "grid_import_mw": flows.grid_import_mw,
            "grid_export_mw": flows.grid_export_mw,
            "curtailment_mw": flows.curtailment_mw,
            "load_shed_mw": flows.load_shed_mw,
        }
    )
    info = {
        "facility_power_mw": caps.facility_power_mw,
        "it_capacity_mw": fleet.it_capacity_mw,
        "gpus": fleet.gpus,
        "racks": fleet.racks,
        "dense_bf16_pflops": fleet.dense_bf16_pflops,
        "solar_ac_mw": caps.solar_ac_mw,
        "solar_dc_kwp": caps.solar_ac_mw * site.solar.dc_ac_ratio * 1000.0,
        "wind_mw": caps.wind_mw,
        "battery_power_mw": caps.battery_power_mw,
        "battery_energy_mwh": caps.battery_energy_mwh,
        "grid_import_limit_mw": import_limit,
        "grid_clean_share_frac": site.grid.clean_share_frac,
        "grid_carbon_intensity_kg_per_mwh": site.grid.carbon_intensity_kg_per_mwh,
        "residual_mix_kg_per_mwh": site.grid.residual_mix_kg_per_mwh,
        "altitude_m": altitude_m,
        "weather_source": str(weather.attrs.get("source", site.weather.source)),
    }
    return frame, info


def _metadata(scenario: Scenario, timings_s: dict[str, float], total_s: float) -> dict[str, Any]:
    return {
        "scenario": scenario.name,
        "phase": scenario.phase,
        "step": scenario.time.step,
        "seed": scenario.seed,
        "duration_days": scenario.time.duration_days,
        "dctwin_version": __version__,
        "git_hash": _git_hash(),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "timings_s": {**{k: round(v, 4) for k, v in timings_s.items()}, "total": round(total_s, 4)},
    }


def _git(*args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            ["git", *args], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None


def _git_hash() -> str:
    """Commit of the dctwin checkout (``-dirty`` if modified), or 'unknown' outside git."""
    head = _git("rev-parse", "--short=12", "HEAD")
    if head is None or head.returncode != 0:
        return "unknown"
    status = _git("status", "--porcelain", "--untracked-files=no")
    dirty = status is not None and bool(status.stdout.strip())
    return head.stdout.strip() + ("-dirty" if dirty else "")
