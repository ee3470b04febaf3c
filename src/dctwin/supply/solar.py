"""PV plant output with pvlib: position → tracking → transposition → IAM → cell temperature
→ PVWatts DC → losses → PVWatts inverter with DC/AC clipping.

Each stage is a pvlib function; this module only wires them and carries units. The
chain follows pvlib's PVWatts-style ``ModelChain`` without its orchestration class.

References
----------
Dobos, A. P. (2014). PVWatts Version 5 Manual, NREL/TP-6A20-62641.
Holmgren, W. F., Hansen, C. W., Mikofski, M. A. (2018). pvlib python. JOSS 3(29), 884.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pvlib

from dctwin.scenario.schema import SolarDesign

__all__ = ["SolarGeometry", "plane_of_array_w_per_m2", "solar_geometry", "solar_plant_mw"]


@dataclass(frozen=True)
class SolarGeometry:
    """Sun and module geometry per step (evaluated at interval midpoints).

    Attributes
    ----------
    apparent_zenith_deg, azimuth_deg
        Solar position. [deg]
    surface_tilt_deg, surface_azimuth_deg
        Module orientation (tracker rotation for single-axis). [deg]
    aoi_deg
        Angle of incidence of beam irradiance on the modules. [deg]
    dni_extra_w_per_m2
        Extraterrestrial normal irradiance. [W/m²]
    airmass_relative
        Relative air mass (Kasten-Young). [1]
    """

    apparent_zenith_deg: np.ndarray
    azimuth_deg: np.ndarray
    surface_tilt_deg: np.ndarray
    surface_azimuth_deg: np.ndarray
    aoi_deg: np.ndarray
    dni_extra_w_per_m2: np.ndarray
    airmass_relative: np.ndarray


def solar_geometry(
    times_utc: pd.DatetimeIndex,
    dt_h: float,
    latitude_deg: float,
    longitude_deg: float,
    altitude_m: float,
    design: SolarDesign,
) -> SolarGeometry:
    """Solar position and module orientation at the midpoint of each step.

    Parameters
    ----------
    times_utc
        Interval starts (UTC).
    dt_h
        Step length. [h]
    latitude_deg, longitude_deg
        Site position. [deg]
    altitude_m
        Site altitude. [m]
    design
        Mounting (fixed tilt or single-axis tracker with backtracking) and geometry.
    """
    mid = times_utc + pd.Timedelta(hours=dt_h / 2.0)
    # pvlib's ephemeris: ≈ 0.01° from SPA and ~10× faster; the weather module uses the same
    # algorithm, so the GHI = DNI·cos z + DHI closure of the weather holds in the PV chain too.
    pressure_pa = float(pvlib.atmosphere.alt2pres(altitude_m))
    pos = pvlib.solarposition.ephemeris(mid, latitude_deg, longitude_deg, pressure=pressure_pa)
    zen = pos["apparent_zenith"].to_numpy()
    azi = pos["azimuth"].to_numpy()
    if design.mounting == "single_axis":
        trk = pvlib.tracking.singleaxis(
            zen,
            azi,
            axis_tilt=0.0,
            axis_azimuth=180.0,
            max_angle=design.tracker_max_angle_deg,
            backtrack=True,
            gcr=design.ground_coverage_ratio_frac,
        )
        tilt = np.nan_to_num(np.asarray(trk["surface_tilt"], dtype=float), nan=0.0)
        surf_azi = np.nan_to_num(np.asarray(trk["surface_azimuth"], dtype=float), nan=180.0)
    else:
        tilt = np.full(zen.shape, design.surface_tilt_deg)
        surf_azi = np.full(zen.shape, design.surface_azimuth_deg)
    aoi = np.asarray(pvlib.irradiance.aoi(tilt, surf_azi, zen, azi), dtype=float)
    # day of year as an array: pvlib's DatetimeIndex path uses an accessor pandas 3.1 deprecates
    dni_extra = np.asarray(pvlib.irradiance.get_extra_radiation(mid.day_of_year.to_numpy()), dtype=float)
    airmass = np.asarray(pvlib.atmosphere.get_relative_airmass(zen), dtype=float)
    return SolarGeometry(zen, azi, tilt, surf_azi, aoi, dni_extra, airmass)


def plane_of_array_w_per_m2(
    geometry: SolarGeometry,
    ghi_w_per_m2: np.ndarray,
    dni_w_per_m2: np.ndarray,
    dhi_w_per_m2: np.ndarray,
    design: SolarDesign,
) -> tuple[np.ndarray, np.ndarray]:
    """Plane-of-array irradiance: total and IAM-effective.

    Parameters
    ----------
    geometry
        From :func:`solar_geometry`.
    ghi_w_per_m2, dni_w_per_m2, dhi_w_per_m2
        Horizontal global, direct normal and diffuse irradiance. [W/m²]
    design
        Transposition model and albedo.

    Returns
    -------
    poa_global_w_per_m2, effective_w_per_m2
        In-plane irradiance, and the part reaching the cells after the angular loss
        of the beam component (Fresnel/physical IAM, De Soto 2006). [W/m²]
    """
    poa = pvlib.irradiance.get_total_irradiance(
        geometry.surface_tilt_deg,
        geometry.surface_azimuth_deg,
        geometry.apparent_zenith_deg,
        geometry.azimuth_deg,
        dni_w_per_m2,
        ghi_w_per_m2,
        dhi_w_per_m2,
        dni_extra=geometry.dni_extra_w_per_m2,
        airmass=geometry.airmass_relative,
        albedo=design.albedo_frac,
        model=design.transposition_model,
    )
    direct = np.nan_to_num(np.asarray(poa["poa_direct"], dtype=float))
    diffuse = np.nan_to_num(np.asarray(poa["poa_diffuse"], dtype=float))
    iam = np.asarray(pvlib.iam.physical(np.clip(geometry.aoi_deg, 0.0, 90.0)), dtype=float)
    poa_global = np.clip(direct + diffuse, 0.0, None)
    effective = np.clip(direct * iam + diffuse, 0.0, None)
    return poa_global, effective


def solar_plant_mw(
    weather: pd.DataFrame,
    geometry: SolarGeometry,
    ac_capacity_mw: float,
    design: SolarDesign,
    wind_speed_module_m_per_s: np.ndarray | None = None,
) -> np.ndarray:
    """AC output of a PV plant.

    Parameters
    ----------
    weather
        ``ghi_w_per_m2``, ``dni_w_per_m2``, ``dhi_w_per_m2``, ``temp_air_c`` per step.
    geometry
        From :func:`solar_geometry` on the same index.
    ac_capacity_mw
        Inverter AC rating; DC nameplate is ``ac_capacity_mw × dc_ac_ratio``. [MW]
    design
        Plant design: losses, temperature coefficient, DC/AC ratio, models.
    wind_speed_module_m_per_s
        Wind speed near the modules for the SAPM temperature model. [m/s]

    Returns
    -------
    numpy.ndarray
        AC power at the plant's point of connection, ≤ ``ac_capacity_mw``. [MW]

    Notes
    -----
    :math:`P_{dc} = P_{dc0}\\,\\frac{G_{eff}}{1000}\\,[1+γ(T_{cell}-25)]\\,(1-L)`;
    the PVWatts inverter model then gives
    :math:`P_{ac} = \\min(η(ζ) P_{dc}, P_{ac0})` with :math:`P_{ac0} = η_{nom} P_{dc0,inv}`.
    """
    if ac_capacity_mw <= 0:
        return np.zeros(len(weather))
    poa_global, effective = plane_of_array_w_per_m2(
        geometry,
        weather["ghi_w_per_m2"].to_numpy(),
        weather["dni_w_per_m2"].to_numpy(),
        weather["dhi_w_per_m2"].to_numpy(),
        design,
    )
    temp_air = weather["temp_air_c"].to_numpy()
    if design.temperature_model == "pvsyst_freestanding":
        params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["pvsyst"]["freestanding"]
        temp_cell = pvlib.temperature.pvsyst_cell(poa_global, temp_air, 1.0, **params)
    else:
        params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"]
        wind = (
            wind_speed_module_m_per_s
            if wind_speed_module_m_per_s is not None
            else np.full_like(temp_air, 1.0)
        )
        temp_cell = pvlib.temperature.sapm_cell(poa_global, temp_air, wind, **params)
    pdc0_w = ac_capacity_mw * design.dc_ac_ratio * 1e6
    pdc_w = pvlib.pvsystem.pvwatts_dc(
        effective, np.asarray(temp_cell, dtype=float), pdc0_w, design.gamma_pdc_per_c
    )
    pdc_w = np.asarray(pdc_w, dtype=float) * (1.0 - design.system_loss_frac)
    pdc0_inverter_w = ac_capacity_mw * 1e6 / design.inverter_efficiency_frac
    pac_w = pvlib.inverter.pvwatts(pdc_w, pdc0_inverter_w, eta_inv_nom=design.inverter_efficiency_frac)
    return np.clip(np.nan_to_num(np.asarray(pac_w, dtype=float)), 0.0, ac_capacity_mw * 1e6) / 1e6
