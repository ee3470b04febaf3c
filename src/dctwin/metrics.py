"""Key performance indicators: pure functions over a site's (or the campus's) time series.

Energy over the simulated period is ``Σ power_mw · dt_h``. Hourly metrics first sum
sub-hourly steps into UTC clock hours. Names follow PyPSA's statistics vocabulary where
one exists (``curtailment``, ``capacity_factor``, ``energy_balance``).

References
----------
Google, "24/7 Carbon-Free Energy: Methodologies and Metrics", Feb 2021 (hourly CFE score).
GHG Protocol Scope 2 Guidance, 2015 (location- and market-based emissions).
ISO/IEC 30134-2:2016 (PUE); The Green Grid WP#35 (WUE).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "campus_summary",
    "hourly_cfe",
    "hourly_energy_mwh",
    "site_summary",
]

_FLOWS = [
    "solar_mw",
    "wind_mw",
    "clean_supply_mw",
    "it_load_mw",
    "it_derate_mw",
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
]


def _utc_index(frame: pd.DataFrame) -> pd.DatetimeIndex:
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        raise TypeError("expected a time series indexed by time_utc (DatetimeIndex)")
    return index


def hourly_energy_mwh(frame: pd.DataFrame, dt_h: float, columns: list[str] | None = None) -> pd.DataFrame:
    """Energy per UTC clock hour of power columns.

    Parameters
    ----------
    frame
        Time series indexed by ``time_utc`` (interval start), power columns in MW.
    dt_h
        Step length. [h]
    columns
        Power columns to convert (default: every ``*_mw`` flow present).

    Returns
    -------
    pandas.DataFrame
        Columns renamed ``*_mw`` → ``*_mwh``, one row per clock hour. [MWh]
    """
    cols = columns or [c for c in _FLOWS if c in frame.columns]
    energy = frame[cols] * dt_h
    if dt_h < 1.0:
        energy = energy.groupby(_utc_index(frame).floor("h")).sum()
    return energy.rename(columns=lambda c: c.removesuffix("_mw") + "_mwh")


def hourly_cfe(frame: pd.DataFrame, dt_h: float, grid_clean_share_frac: float) -> pd.DataFrame:
    """Hourly carbon-free energy (Google's 24/7 CFE accounting).

    Parameters
    ----------
    frame
        Site time series with ``facility_load_mw``, ``grid_import_mw``,
        ``grid_export_mw``, ``load_shed_mw``, indexed by ``time_utc``.
    dt_h
        Step length. [h]
    grid_clean_share_frac
        Carbon-free share of grid electricity. [frac]

    Returns
    -------
    pandas.DataFrame
        Per clock hour: ``load_mwh`` (served load), ``cfe_mwh`` and ``cfe_frac``.

    Notes
    -----
    Within an hour, the contracted clean energy used is the served load minus net grid
    import: :math:`u_h = \\min(L_h, L_h - I_h + X_h)` with the battery counted as clean
    (it only charges from clean supply). Then
    :math:`CFE_h = u_h + s_{grid}(L_h - u_h)` and :math:`cfe_h = CFE_h / L_h`.
    Surplus never carries from one hour to another.

    Examples
    --------
    >>> idx = pd.date_range("2026-01-01", periods=2, freq="h", tz="UTC")
    >>> f = pd.DataFrame({"facility_load_mw": [10.0, 10.0], "grid_import_mw": [0.0, 5.0],
    ...                   "grid_export_mw": [2.0, 0.0], "load_shed_mw": [0.0, 0.0]}, index=idx)
    >>> hourly_cfe(f, 1.0, 0.2)["cfe_frac"].round(3).tolist()
    [1.0, 0.6]
    """
    e = hourly_energy_mwh(
        frame, dt_h, ["facility_load_mw", "grid_import_mw", "grid_export_mw", "load_shed_mw"]
    )
    load = (e["facility_load_mwh"] - e["load_shed_mwh"]).clip(lower=0.0)
    used = np.minimum(load, (load - e["grid_import_mwh"] + e["grid_export_mwh"]).clip(lower=0.0))
    cfe = used + grid_clean_share_frac * (load - used)
    frac = (cfe / load.where(load > 0)).fillna(1.0)
    return pd.DataFrame({"load_mwh": load, "cfe_mwh": cfe, "cfe_frac": frac})


def _sum_mwh(frame: pd.DataFrame, column: str, dt_h: float) -> float:
    return float(frame[column].sum() * dt_h) if column in frame else 0.0


def site_summary(frame: pd.DataFrame, dt_h: float, info: dict[str, Any]) -> dict[str, Any]:
    """Summary metrics of one site over the simulated period.

    Parameters
    ----------
    frame
        Site time series indexed by ``time_utc`` (columns of ``docs/conventions.md``).
    dt_h
        Step length. [h]
    info
        Site constants: ``grid_clean_share_frac``, ``grid_carbon_intensity_kg_per_mwh``,
        ``residual_mix_kg_per_mwh``, ``solar_ac_mw``, ``solar_dc_kwp``, ``wind_mw``,
        ``battery_energy_mwh``, ``it_capacity_mw``, ``facility_power_mw`` and fleet
        counts; copied into the summary.

    Returns
    -------
    dict
        Unit-suffixed metrics (energies [MWh] over the period, shares [frac], ...).
    """
    out: dict[str, Any] = dict(info)
    hours = len(frame) * dt_h
    out["period_h"] = hours
    for col in _FLOWS:
        out[col.removesuffix("_mw") + "_mwh"] = _sum_mwh(frame, col, dt_h)
    cfe = hourly_cfe(frame, dt_h, info["grid_clean_share_frac"])
    out.update(_shares(out, cfe))
    out.update(_emissions(out, info))
    out.update(_facility(frame, out, dt_h))
    out.update(_capacity_factors(out, info, hours))
    residual = (
        frame["clean_supply_mw"]
        + frame["battery_discharge_mw"]
        + frame["grid_import_mw"]
        + frame["load_shed_mw"]
        - frame["facility_load_mw"]
        - frame["battery_charge_mw"]
        - frame["grid_export_mw"]
        - frame["curtailment_mw"]
    )
    out["energy_balance_max_error_mw"] = float(np.abs(residual).max()) if len(residual) else 0.0
    return out


def _delivered_mwh(e: dict[str, Any]) -> float:
    """Renewable energy delivered to the campus or the grid: served load − import + export.
    Curtailed energy and battery losses are not delivered. [MWh]"""
    served = e["facility_load_mwh"] - e["load_shed_mwh"]
    return float(served - e["grid_import_mwh"] + e["grid_export_mwh"])


def _shares(e: dict[str, Any], cfe: pd.DataFrame) -> dict[str, Any]:
    load = cfe["load_mwh"].sum()
    clean = e["clean_supply_mwh"]
    delivered = _delivered_mwh(e)
    return {
        "renewable_delivered_mwh": delivered,
        "cfe_mwh": float(cfe["cfe_mwh"].sum()),
        "served_load_mwh": float(load),
        "hourly_cfe_score_frac": float(cfe["cfe_mwh"].sum() / load) if load > 0 else 1.0,
        "hours_fully_clean_h": float((cfe["cfe_frac"] >= 0.999).sum()),
        "hours_fully_clean_frac": float((cfe["cfe_frac"] >= 0.999).mean()) if len(cfe) else 1.0,
        "annual_renewable_share_frac": float(min(delivered, load) / load) if load > 0 else 1.0,
        "renewable_to_load_ratio": float(delivered / load) if load > 0 else float("inf"),
        "curtailment_frac": float(e["curtailment_mwh"] / clean) if clean > 0 else 0.0,
        "export_frac_of_production": float(e["grid_export_mwh"] / clean) if clean > 0 else 0.0,
    }


def _emissions(e: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    imports = e["grid_import_mwh"]
    location_t = imports * info["grid_carbon_intensity_kg_per_mwh"] / 1000.0
    market_t = max(imports - e["grid_export_mwh"], 0.0) * info["residual_mix_kg_per_mwh"] / 1000.0
    load = e["facility_load_mwh"]
    return {
        "emissions_location_t": location_t,
        "emissions_market_t": market_t,
        "carbon_intensity_location_kg_per_mwh": location_t * 1000.0 / load if load > 0 else 0.0,
        "grid_only_emissions_t": load * info["grid_carbon_intensity_kg_per_mwh"] / 1000.0,
    }


def _facility(frame: pd.DataFrame, e: dict[str, Any], dt_h: float) -> dict[str, Any]:
    it, fac = e["it_load_mwh"], e["facility_load_mwh"]
    running = frame[frame["it_load_mw"] > 0]
    monthly = running.groupby(_utc_index(running).month)
    pue_monthly = (monthly["facility_load_mw"].sum() / monthly["it_load_mw"].sum()).round(5)
    water_l = float(frame["water_l_per_h"].sum() * dt_h) if "water_l_per_h" in frame else 0.0
    busy = (
        frame["training_share_frac"] + frame["inference_share_frac"]
        if "training_share_frac" in frame
        else None
    )
    hourly_derate = (
        frame["derated"].groupby(_utc_index(frame).floor("h")).any() if "derated" in frame else None
    )
    return {
        "pue_annual": fac / it if it > 0 else float("nan"),
        "pue_min": float(running["pue"].min()) if len(running) else float("nan"),
        "pue_max": float(running["pue"].max()) if len(running) else float("nan"),
        "pue_monthly": {str(m): float(v) for m, v in pue_monthly.items()},
        "water_l": water_l,
        "wue_l_per_kwh": water_l / (it * 1000.0) if it > 0 else 0.0,
        "gpu_busy_share_mean_frac": float(busy.mean()) if busy is not None else float("nan"),
        "it_load_mean_mw": float(frame["it_load_mw"].mean()),
        "facility_load_peak_mw": float(frame["facility_load_mw"].max()),
        "facility_load_mean_mw": float(frame["facility_load_mw"].mean()),
        "hours_above_design_dry_bulb_h": float(hourly_derate.sum()) if hourly_derate is not None else 0.0,
        "hours_it_derated_h": float((frame["it_derate_mw"] > 1e-9).sum() * dt_h)
        if "it_derate_mw" in frame
        else 0.0,
        "temp_air_max_c": float(frame["temp_air_c"].max()) if "temp_air_c" in frame else float("nan"),
        "temp_air_mean_c": float(frame["temp_air_c"].mean()) if "temp_air_c" in frame else float("nan"),
    }


def _capacity_factors(e: dict[str, Any], info: dict[str, Any], hours: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    solar_ac = info.get("solar_ac_mw", 0.0)
    wind = info.get("wind_mw", 0.0)
    it_cap = info.get("it_capacity_mw", 0.0)
    out["solar_capacity_factor"] = e["solar_mwh"] / (solar_ac * hours) if solar_ac > 0 else 0.0
    dc_kwp = info.get("solar_dc_kwp", 0.0)
    out["solar_specific_yield_kwh_per_kwp"] = e["solar_mwh"] * 1000.0 / dc_kwp if dc_kwp > 0 else 0.0
    out["wind_capacity_factor"] = e["wind_mwh"] / (wind * hours) if wind > 0 else 0.0
    out["it_load_factor_frac"] = e["it_load_mwh"] / (it_cap * hours) if it_cap > 0 else 0.0
    cap = info.get("battery_energy_mwh", 0.0)
    out["battery_full_cycles"] = e["battery_discharge_mwh"] / cap if cap > 0 else 0.0
    return out


_SUMMED = [
    "solar_ac_mw",
    "solar_dc_kwp",
    "wind_mw",
    "battery_power_mw",
    "battery_energy_mwh",
    "it_capacity_mw",
    "facility_power_mw",
    "gpus",
    "racks",
    "emissions_location_t",
    "emissions_market_t",
    "grid_only_emissions_t",
    "cfe_mwh",
    "served_load_mwh",
    "water_l",
]


def campus_summary(
    sites: dict[str, dict[str, Any]], hourly_cfe_by_site: dict[str, pd.DataFrame]
) -> dict[str, Any]:
    """Campus metrics from the site summaries: totals summed, ratios recomputed from totals.

    Parameters
    ----------
    sites
        Site slug → :func:`site_summary` output.
    hourly_cfe_by_site
        Site slug → :func:`hourly_cfe` output, for campus hours fully clean.
    """
    active = {k: v for k, v in sites.items() if v.get("facility_load_mwh", 0.0) > 0 or v.get("gpus", 0) > 0}
    out: dict[str, Any] = {}
    keys = [
        k for k in next(iter(sites.values())) if k.endswith("_mwh") and not k.endswith("_per_mwh")
    ] + _SUMMED
    for key in dict.fromkeys(keys):
        out[key] = float(sum(s.get(key, 0.0) for s in sites.values()))
    out["gpus"] = int(out["gpus"])
    out["racks"] = int(out["racks"])
    load = out["served_load_mwh"]
    clean = out["clean_supply_mwh"]
    delivered = out["renewable_delivered_mwh"]
    out["hourly_cfe_score_frac"] = out["cfe_mwh"] / load if load > 0 else 1.0
    out["annual_renewable_share_frac"] = min(delivered, load) / load if load > 0 else 1.0
    out["renewable_to_load_ratio"] = delivered / load if load > 0 else float("inf")
    out["curtailment_frac"] = out["curtailment_mwh"] / clean if clean > 0 else 0.0
    out["pue_annual"] = (
        out["facility_load_mwh"] / out["it_load_mwh"] if out["it_load_mwh"] > 0 else float("nan")
    )
    out["pue_min"] = min((s["pue_min"] for s in active.values()), default=float("nan"))
    out["pue_max"] = max((s["pue_max"] for s in active.values()), default=float("nan"))
    out["wue_l_per_kwh"] = out["water_l"] / (out["it_load_mwh"] * 1000.0) if out["it_load_mwh"] > 0 else 0.0
    if hourly_cfe_by_site:
        both = (
            pd.concat([h[["load_mwh", "cfe_mwh"]] for h in hourly_cfe_by_site.values()])
            .groupby(level=0)
            .sum()
        )
        frac = (both["cfe_mwh"] / both["load_mwh"].where(both["load_mwh"] > 0)).fillna(1.0)
        out["hours_fully_clean_h"] = float((frac >= 0.999).sum())
        out["hours_fully_clean_frac"] = float((frac >= 0.999).mean())
    out.update(_campus_capacity_factors(out, sites))
    out["sites"] = len(active)
    return out


def _campus_capacity_factors(out: dict[str, Any], sites: dict[str, dict[str, Any]]) -> dict[str, Any]:
    hours = max((s.get("period_h", 0.0) for s in sites.values()), default=0.0)
    gpus = out["gpus"]
    cf: dict[str, Any] = {"period_h": hours}
    cf.update(_capacity_factors(out, out, hours) if hours > 0 else {})
    cf["gpu_busy_share_mean_frac"] = (
        sum(s.get("gpu_busy_share_mean_frac", 0.0) * s.get("gpus", 0) for s in sites.values()) / gpus
        if gpus > 0
        else float("nan")
    )
    for key in ("hours_above_design_dry_bulb_h", "hours_it_derated_h", "temp_air_max_c"):
        cf[key] = max((s.get(key, 0.0) for s in sites.values()), default=0.0)
    cf["it_load_mean_mw"] = sum(s.get("it_load_mean_mw", 0.0) for s in sites.values())
    cf["facility_load_mean_mw"] = sum(s.get("facility_load_mean_mw", 0.0) for s in sites.values())
    return cf
