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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pvlib

from dctwin import __version__
from dctwin.dispatch import GridLimits, dispatch_site
from dctwin.economics_inputs import run_economics
from dctwin.facility.cooling import facility_power
from dctwin.facility.fleet import SiteFleet, it_power_mw, site_fleet
from dctwin.metrics import campus_summary, hourly_cfe, site_summary
from dctwin.results.model import Results
from dctwin.scenario import hardware_catalog
from dctwin.scenario.schema import BuildStep, Scenario, Site, TimeConfig
from dctwin.scheduler.campus import CampusWorkload, SiteWorkloadInputs, schedule_campus
from dctwin.scheduler.metrics import (
    flexibility_value,
    gpu_state_shares,
    scheduler_metadata,
    workload_summary,
)
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
        Time series of every active site, site and campus summaries, metadata, and with
        ``it_load = "scheduler"`` the workload tables (jobs, audit, tenants, inference).
    """
    started = time.perf_counter()
    timer = _Timer()
    say = progress or (lambda _msg: None)
    times = time_index(scenario.time)
    dt_h = scenario.time.dt_h
    catalog = hardware_catalog(scenario)
    # one child per site (weather, profile), then one for the campus workload: the site
    # streams do not depend on whether the scheduler runs
    seeds = np.random.SeedSequence(scenario.seed).spawn(len(scenario.sites) + 1)
    active: list[_ActiveSite] = []
    for site, seed in zip(scenario.sites, seeds, strict=False):
        builds = scenario.builds_up_to_phase(site)
        caps = Capacities.from_builds(builds)
        if caps.facility_power_mw <= 0:
            continue
        weather_rng, workload_rng = (np.random.default_rng(s) for s in seed.spawn(2))
        fleet = site_fleet(builds, catalog, site.cooling.sizing_pue)
        supply = _site_supply(site, caps, times, dt_h, weather_rng, timer, say)
        active.append(_ActiveSite(site, caps, fleet, supply, workload_rng))
    workload = None
    if scenario.it_load == "scheduler" and active:
        say("campus: workload and scheduler")
        with timer.stage("workload"):
            workload = schedule_campus(
                scenario, [a.workload_inputs(dt_h) for a in active], times, np.random.default_rng(seeds[-1])
            )
    frames, summaries, cfe_by_site, fleets = [], {}, {}, {}
    for a in active:
        frame, info = _site_energy(scenario, a, times, timer, say, workload)
        with timer.stage("metrics"):
            indexed = frame.set_index("time_utc")
            summaries[a.site.name] = site_summary(indexed, dt_h, info)
            cfe_by_site[a.site.name] = hourly_cfe(indexed, dt_h, a.site.grid.clean_share_frac)
        fleets[a.site.name] = a.fleet.describe()
        frames.append(frame)
    with timer.stage("metrics"):
        campus = campus_summary(summaries, cfe_by_site) if summaries else {}
    timeseries = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    metadata = _metadata(scenario, timer.seconds, time.perf_counter() - started)
    summary: dict[str, Any] = {"campus": campus, "sites": summaries, "fleet": fleets}
    tables: dict[str, pd.DataFrame] = {}
    if workload is not None:
        summary["workload"] = _json_ready(workload.summary)
        if workload.baseline is not None:
            with timer.stage("baseline"):
                baseline = _baseline_summary(scenario, active, times, workload, dt_h)
            summary["workload"]["baseline_oblivious"] = _json_ready(baseline)
            aware = {**campus, **workload.summary}
            summary["workload"]["flexibility"] = _json_ready(flexibility_value(aware, baseline))
        tables = {"jobs": workload.result.jobs, "audit": workload.audit, **workload.tables}
        stages = {k: round(v, 4) for k, v in timer.seconds.items()}
        metadata["timings_s"] = {**metadata["timings_s"], **stages}
        metadata["scheduler"] = scheduler_metadata(workload.result)
    results = Results(
        scenario=scenario, timeseries=timeseries, summary=summary, metadata=metadata, tables=tables
    )
    if campus:
        with timer.stage("economics"):
            economics = run_economics(results)
            summary["economics"] = _json_ready(economics.summary(results))
            tables |= economics.tables()
        metadata["timings_s"]["economics"] = round(timer.seconds["economics"], 4)
    return results


def _baseline_summary(
    scenario: Scenario,
    active: list[_ActiveSite],
    times: pd.DatetimeIndex,
    workload: CampusWorkload,
    dt_h: float,
) -> dict[str, Any]:
    """Campus energy and workload figures of the power-oblivious baseline (same workload)."""
    assert workload.baseline is not None
    base = workload.baseline
    as_run = replace(
        workload,
        it_demand_mw={k: v["it_load_mw"].to_numpy() for k, v in base.site_series.items()},
        site_series=base.site_series,
    )
    summaries, cfe = {}, {}
    quiet = _Timer()
    for a in active:
        frame, info = _site_energy(scenario, a, times, quiet, lambda _m: None, as_run)
        indexed = frame.set_index("time_utc")
        summaries[a.site.name] = site_summary(indexed, dt_h, info)
        cfe[a.site.name] = hourly_cfe(indexed, dt_h, a.site.grid.clean_share_frac)
    gpus = int(workload.summary["installed_gpus"])
    return {**campus_summary(summaries, cfe), **workload_summary(base, gpus, dt_h)}


def _json_ready(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and not np.isfinite(v):
            v = None
        out[k] = v
    return out


@dataclass(frozen=True)
class _SiteSupply:
    weather: pd.DataFrame
    solar_mw: np.ndarray
    wind_mw: np.ndarray
    wind_speed_hub_m_per_s: np.ndarray
    air_density_kg_per_m3: np.ndarray
    altitude_m: float


@dataclass(frozen=True)
class _ActiveSite:
    site: Site
    caps: Capacities
    fleet: SiteFleet
    supply: _SiteSupply
    workload_rng: np.random.Generator

    def battery(self) -> BatteryParams:
        b = self.site.battery
        return BatteryParams(
            power_mw=self.caps.battery_power_mw,
            energy_mwh=self.caps.battery_energy_mwh,
            round_trip_efficiency_frac=b.round_trip_efficiency_frac,
            soc_min_frac=b.soc_min_frac,
            soc_max_frac=b.soc_max_frac,
            initial_soc_frac=b.initial_soc_frac,
            self_discharge_frac_per_day=b.self_discharge_frac_per_day,
        )

    def grid(self) -> GridLimits:
        g = self.site.grid
        import_limit = g.import_limit_mw if g.import_limit_mw is not None else self.caps.facility_power_mw
        export_limit = g.export_limit_mw if g.export_limit_mw is not None else import_limit
        return GridLimits(import_limit, export_limit, g.export_cap_frac_of_production)

    def workload_inputs(self, dt_h: float) -> SiteWorkloadInputs:
        return SiteWorkloadInputs(
            site=self.site,
            fleet=self.fleet,
            facility_power_mw=self.caps.facility_power_mw,
            clean_mw=self.supply.solar_mw + self.supply.wind_mw,
            temp_air_c=self.supply.weather["temp_air_c"].to_numpy(),
            battery=self.battery(),
            grid=self.grid(),
        )


def _site_supply(
    site: Site,
    caps: Capacities,
    times: pd.DatetimeIndex,
    dt_h: float,
    weather_rng: np.random.Generator,
    timer: _Timer,
    say: Progress,
) -> _SiteSupply:
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
    return _SiteSupply(weather, solar_mw, wind_mw, v_hub, rho_hub, altitude_m)


def _site_energy(
    scenario: Scenario,
    a: _ActiveSite,
    times: pd.DatetimeIndex,
    timer: _Timer,
    say: Progress,
    workload: CampusWorkload | None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    site, caps, fleet, sup = a.site, a.caps, a.fleet, a.supply
    dt_h = scenario.time.dt_h
    weather = sup.weather
    temp_c = weather["temp_air_c"].to_numpy()
    say(f"{site.name}: facility")
    extra: dict[str, np.ndarray] = {}
    with timer.stage("facility"):
        if workload is None:
            train, infer = utilisation_shares(
                times, scenario.time.report_timezone, scenario.workload, a.workload_rng, dt_h
            )
            demand_mw = it_power_mw(fleet, train, infer)
        else:
            series = workload.site_series[site.name]
            demand_mw = workload.it_demand_mw[site.name]
            train, infer = gpu_state_shares(series, fleet.gpus)
            for column in _SCHEDULER_COLUMNS:
                extra[column] = series[column].to_numpy()
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
        clean_mw = sup.solar_mw + sup.wind_mw
        grid = a.grid()
        flows = dispatch_site(clean_mw, fac.facility_load_mw, dt_h, a.battery(), grid)
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
            "wind_speed_hub_m_per_s": sup.wind_speed_hub_m_per_s,
            "air_density_kg_per_m3": sup.air_density_kg_per_m3,
            "solar_mw": sup.solar_mw,
            "wind_mw": sup.wind_mw,
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
            **extra,
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
        "grid_import_limit_mw": grid.import_limit_mw,
        "grid_clean_share_frac": site.grid.clean_share_frac,
        "grid_carbon_intensity_kg_per_mwh": site.grid.carbon_intensity_kg_per_mwh,
        "residual_mix_kg_per_mwh": site.grid.residual_mix_kg_per_mwh,
        "altitude_m": sup.altitude_m,
        "weather_source": str(weather.attrs.get("source", site.weather.source)),
    }
    return frame, info


_SCHEDULER_COLUMNS = (
    "training_gpus",
    "inference_gpus",
    "swarm_gpus",
    "it_budget_mw",
    "flex_power_cap_frac",
    "power_held_gpus",
    "preemptions",
)


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
