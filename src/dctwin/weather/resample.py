"""Time grids, clear sky and the irradiance resampling shared by every weather source.

Everything here is pure and vectorised. The synthetic generator and the file readers
both hand their coarse series (hourly, usually) to the same functions, so a weather
file and a synthetic year reach the engine through one interpolation:

* **Fine cells.** Irradiance is built on 5-minute cells, the finest simulation step.
  Clear sky (Ineichen with pvlib's shipped Linke turbidity climatology) is evaluated at
  each cell's midpoint, and the clear-sky index of each coarse interval is interpolated
  linearly to the cells and renormalised interval by interval
  (:func:`disaggregate_ghi_w_per_m2`), so every coarse interval's irradiation is kept
  exactly while sunrise and sunset get the shape of the clear-sky curve.
* **Requested step.** Cells are averaged to the requested step (:func:`block_mean`),
  so a 1 h value is exactly the mean of its twelve 5 min values.
* **Decomposition** happens at the requested step with the solar position at the
  interval midpoint (:func:`decompose_ghi`), so ``GHI = DNI·cos(zenith) + DHI`` holds
  exactly for every value returned.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pvlib

__all__ = [
    "CELL",
    "STEPS",
    "air_density_kg_per_m3",
    "block_mean",
    "cell_grid",
    "clear_sky_ghi_w_per_m2",
    "decompose_ghi",
    "disaggregate_ghi_w_per_m2",
    "hours_since_epoch",
    "solar_zenith_deg",
    "step_of",
]

CELL = pd.Timedelta(minutes=5)
"""Length of the fine cells on which irradiance is shaped (the finest simulation step)."""

STEPS = (pd.Timedelta(hours=1), pd.Timedelta(minutes=15), pd.Timedelta(minutes=5))
"""Simulation steps the weather functions accept."""

R_DRY_AIR_J_PER_KG_K = 287.058
"""Specific gas constant of dry air. [J/(kg·K)] (ISO 2533:1975 standard atmosphere)"""

_MAX_ZENITH_DEG = 87.0  # pvlib.irradiance.erbs default: no beam below 3° elevation
_MIN_COS_ZENITH = 0.065  # pvlib.irradiance.clearness_index default
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "UTC+00:00", "+00:00"})


@contextmanager
def quiet_pandas_deprecations() -> Iterator[None]:
    """Silence pandas' deprecation warnings raised inside pvlib 0.16 (``.dayofyear``)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=r".*is deprecated.*")
        yield


def step_of(times_utc: pd.DatetimeIndex) -> pd.Timedelta:
    """Check a simulation time index and return its step.

    Parameters
    ----------
    times_utc
        Tz-aware UTC index with a fixed step of 1 h, 15 min or 5 min; each timestamp
        labels the start of its interval.

    Returns
    -------
    pandas.Timedelta
        The step.

    Raises
    ------
    ValueError
        The index is not a tz-aware UTC index with one of the allowed fixed steps, or
        its timestamps are not on the 5-minute grid.
    """
    if not isinstance(times_utc, pd.DatetimeIndex) or times_utc.tz is None:
        raise ValueError(
            "times_utc must be a tz-aware pandas.DatetimeIndex in UTC; build it with "
            "pd.date_range(start, periods=n, freq='1h', tz='UTC')"
        )
    if str(times_utc.tz) not in _UTC_NAMES:
        raise ValueError(f"times_utc must be in UTC, got time zone {times_utc.tz}; use .tz_convert('UTC')")
    if len(times_utc) == 0:
        raise ValueError("times_utc is empty; pass at least one timestamp")
    if len(times_utc) == 1:
        if times_utc.freq is None:
            raise ValueError("times_utc has one timestamp and no freq; set freq='1h', '15min' or '5min'")
        step = pd.Timedelta((times_utc[0] + times_utc.freq) - times_utc[0])
    else:
        diffs = np.diff(times_utc.as_unit("ns").asi8)
        if not np.all(diffs == diffs[0]):
            raise ValueError("times_utc must have a fixed step; it has gaps, duplicates or is unsorted")
        step = pd.Timedelta(int(diffs[0]), unit="ns")
    if step not in STEPS:
        raise ValueError(f"times_utc step is {step}; use 1 h, 15 min or 5 min")
    if (times_utc[0] - _EPOCH) % CELL != pd.Timedelta(0):
        raise ValueError(
            f"times_utc starts at {times_utc[0]}, which is not on the 5-minute grid; "
            "start on a whole multiple of 5 minutes"
        )
    return step


def hours_since_epoch(times: pd.DatetimeIndex) -> np.ndarray:
    """Time as float hours since 1970-01-01 00:00 UTC. [h]"""
    return np.asarray((times - _EPOCH) / pd.Timedelta(hours=1), dtype=float)


def cell_grid(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """5-minute cells (start labels) covering ``[start, end)``; ``start`` on the 5-min grid."""
    return pd.date_range(start, end, freq=CELL, inclusive="left").as_unit("ns")


def block_mean(values: np.ndarray, first: int, n_per_block: int, n_blocks: int) -> np.ndarray:
    """Means of consecutive blocks of ``n_per_block`` values, starting at position ``first``.

    Parameters
    ----------
    values
        Cell values.
    first
        Position of the first value of the first block.
    n_per_block
        Values per block (12 for 1 h blocks of 5-minute cells).
    n_blocks
        Number of blocks.

    Examples
    --------
    >>> block_mean(np.arange(6.0), 0, 3, 2)
    array([1., 4.])
    """
    chunk = np.asarray(values, dtype=float)[first : first + n_per_block * n_blocks]
    return chunk.reshape(n_blocks, n_per_block).mean(axis=1)


def solar_zenith_deg(
    times_mid: pd.DatetimeIndex, latitude_deg: float, longitude_deg: float
) -> tuple[np.ndarray, np.ndarray]:
    """Apparent solar zenith and extraterrestrial normal irradiance at given instants.

    Parameters
    ----------
    times_mid
        Instants, usually interval midpoints (tz-aware).
    latitude_deg, longitude_deg
        Site position. [deg]

    Returns
    -------
    zenith_deg
        Apparent (refraction-corrected) solar zenith. [deg]
    dni_extra_w_per_m2
        Extraterrestrial normal irradiance. [W/m²]

    Notes
    -----
    Uses :func:`pvlib.solarposition.ephemeris` (≈ 0.01° against SPA, about ten times
    faster) and :func:`pvlib.irradiance.get_extra_radiation` (Spencer 1971).
    """
    with quiet_pandas_deprecations():
        position = pvlib.solarposition.ephemeris(times_mid, latitude_deg, longitude_deg)
    zenith = np.asarray(position["apparent_zenith"], dtype=float)
    dni_extra = np.asarray(
        pvlib.irradiance.get_extra_radiation(np.asarray(times_mid.day_of_year, dtype=float)), dtype=float
    )
    return zenith, dni_extra


def clear_sky_ghi_w_per_m2(
    times_mid: pd.DatetimeIndex,
    latitude_deg: float,
    longitude_deg: float,
    altitude_m: float,
    zenith_deg: np.ndarray,
    dni_extra_w_per_m2: np.ndarray,
) -> np.ndarray:
    """Clear-sky global horizontal irradiance (Ineichen–Perez, pvlib).

    Parameters
    ----------
    times_mid
        Instants at which to evaluate (tz-aware), usually cell midpoints.
    latitude_deg, longitude_deg
        Site position. [deg]
    altitude_m
        Site altitude. [m]
    zenith_deg
        Apparent solar zenith at ``times_mid``. [deg]
    dni_extra_w_per_m2
        Extraterrestrial normal irradiance at ``times_mid``. [W/m²]

    Returns
    -------
    numpy.ndarray
        Clear-sky GHI, zero when the sun is down. [W/m²]

    References
    ----------
    Ineichen, P. and Perez, R. (2002), A new airmass independent formulation for the
    Linke turbidity coefficient, Solar Energy 73(3), 151–157,
    doi:10.1016/S0038-092X(02)00045-2. Linke turbidity: Remund et al. (2003), monthly
    climatology shipped with pvlib (``pvlib.clearsky.lookup_linke_turbidity``).
    """
    with quiet_pandas_deprecations():
        linke = pvlib.clearsky.lookup_linke_turbidity(times_mid, latitude_deg, longitude_deg)
    pressure_pa = pvlib.atmosphere.alt2pres(altitude_m)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        airmass = pvlib.atmosphere.get_relative_airmass(zenith_deg)
        airmass_abs = pvlib.atmosphere.get_absolute_airmass(airmass, pressure_pa)
        clear = pvlib.clearsky.ineichen(
            zenith_deg, airmass_abs, np.asarray(linke, dtype=float), altitude_m, dni_extra_w_per_m2
        )
    ghi = np.nan_to_num(np.asarray(clear["ghi"], dtype=float), nan=0.0)
    return np.where(zenith_deg < 90.0, np.maximum(ghi, 0.0), 0.0)


def disaggregate_ghi_w_per_m2(
    cell_mid_h: np.ndarray,
    clear_cell_w_per_m2: np.ndarray,
    interval_start_h: np.ndarray,
    interval_h: float,
    ghi_interval_w_per_m2: np.ndarray,
) -> np.ndarray:
    """Spread coarse interval-mean GHI over fine cells, keeping each interval's irradiation.

    Parameters
    ----------
    cell_mid_h
        Midpoints of the fine cells, hours since 1970 UTC. [h]
    clear_cell_w_per_m2
        Clear-sky GHI at the cell midpoints. [W/m²]
    interval_start_h
        Starts of the coarse intervals (regular, ascending), hours since 1970 UTC. [h]
    interval_h
        Length of a coarse interval, a multiple of the cell length. [h]
    ghi_interval_w_per_m2
        Interval-mean GHI of the coarse intervals. [W/m²]

    Returns
    -------
    numpy.ndarray
        GHI at each cell. [W/m²] Cells outside the coarse intervals get 0.

    Notes
    -----
    The clear-sky index of interval *i*, :math:`k_i = G_i / \\overline{G^{cs}}_i`, is
    interpolated linearly between interval midpoints to the cells (intervals without
    clear sky take the index of their nearest sunlit neighbour), and every interval is
    then rescaled so that :math:`\\sum_{j\\in i} k_j G^{cs}_j = n_i G_i`: the interval's
    irradiation is kept exactly. An interval with irradiance but no clear sky at any of
    its cells (mis-stamped file data at sunrise) is spread evenly.
    """
    n_int = len(interval_start_h)
    idx = np.floor((cell_mid_h - interval_start_h[0]) / interval_h + 1e-9).astype(np.int64)
    inside = (idx >= 0) & (idx < n_int)
    idx_in = np.where(inside, idx, 0)
    count = np.bincount(idx_in[inside], minlength=n_int).astype(float)
    clear_sum = np.bincount(idx_in[inside], weights=clear_cell_w_per_m2[inside], minlength=n_int)
    ghi = np.asarray(ghi_interval_w_per_m2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        clear_mean = clear_sum / count
        kc = np.where(clear_mean > 1.0, ghi / clear_mean, np.nan)
    kc = pd.Series(kc).ffill().bfill().fillna(1.0).to_numpy()
    kc_cell = np.interp(cell_mid_h, interval_start_h + interval_h / 2.0, kc)
    shaped = kc_cell * clear_cell_w_per_m2
    shaped_sum = np.bincount(idx_in[inside], weights=shaped[inside], minlength=n_int)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(shaped_sum > 0.0, ghi * count / shaped_sum, 0.0)
    flat = (shaped_sum <= 0.0) & (ghi > 0.0)
    out = np.where(flat[idx_in], ghi[idx_in], shaped * scale[idx_in])
    return np.where(inside, out, 0.0)


def decompose_ghi(
    ghi_w_per_m2: np.ndarray,
    zenith_deg: np.ndarray,
    dni_extra_w_per_m2: np.ndarray,
    day_of_year: np.ndarray,
    dhi_w_per_m2: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Split GHI into DNI and DHI so that ``GHI = DNI·cos(zenith) + DHI`` holds exactly.

    Parameters
    ----------
    ghi_w_per_m2
        Global horizontal irradiance (interval mean). [W/m²]
    zenith_deg
        Apparent solar zenith at the interval midpoint. [deg]
    dni_extra_w_per_m2
        Extraterrestrial normal irradiance. [W/m²]
    day_of_year
        Day of year (1–366), used by the Erbs model. [d]
    dhi_w_per_m2
        Diffuse horizontal irradiance if known (from a file); ``None`` to estimate it
        with the Erbs model. [W/m²]

    Returns
    -------
    dni_w_per_m2, dhi_w_per_m2
        Direct normal and diffuse horizontal irradiance. [W/m²]

    Notes
    -----
    Without a given DHI the diffuse fraction comes from Erbs et al. (1982) via
    :func:`pvlib.irradiance.erbs`. Then :math:`DNI = (GHI - DHI)/\\cos z`, set to 0 for
    :math:`z > 87°` or :math:`\\cos z < 0.065` (pvlib's limits) and capped at the
    extraterrestrial DNI; DHI takes the remainder so closure is exact.

    References
    ----------
    Erbs, D. G., Klein, S. A. and Duffie, J. A. (1982), Estimation of the diffuse
    radiation fraction for hourly, daily and monthly-average global radiation, Solar
    Energy 28(4), 293–302, doi:10.1016/0038-092X(82)90302-4.
    """
    ghi = np.maximum(np.asarray(ghi_w_per_m2, dtype=float), 0.0)
    if dhi_w_per_m2 is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            erbs = pvlib.irradiance.erbs(ghi, zenith_deg, np.asarray(day_of_year))
        dhi = np.asarray(erbs["dhi"], dtype=float)
    else:
        dhi = np.asarray(dhi_w_per_m2, dtype=float)
    dhi = np.clip(np.nan_to_num(dhi, nan=0.0), 0.0, ghi)
    cos_z = np.cos(np.radians(zenith_deg))
    beam_ok = (zenith_deg <= _MAX_ZENITH_DEG) & (cos_z >= _MIN_COS_ZENITH)
    with np.errstate(divide="ignore", invalid="ignore"):
        dni = np.where(beam_ok, (ghi - dhi) / cos_z, 0.0)
    dni = np.clip(dni, 0.0, dni_extra_w_per_m2)
    dhi = np.maximum(ghi - dni * np.where(beam_ok, cos_z, 0.0), 0.0)
    return dni, dhi


def air_density_kg_per_m3(pressure_pa: np.ndarray, temp_air_c: np.ndarray) -> np.ndarray:
    """Density of dry air from the ideal gas law.

    Parameters
    ----------
    pressure_pa
        Air pressure. [Pa]
    temp_air_c
        Air temperature. [°C]

    Returns
    -------
    numpy.ndarray
        Air density :math:`\\rho = p / (R_d T)`, :math:`R_d = 287.058` J/(kg·K). [kg/m³]

    Examples
    --------
    >>> round(float(air_density_kg_per_m3(np.array(101325.0), np.array(15.0))), 3)
    1.225
    """
    return np.asarray(pressure_pa, dtype=float) / (
        R_DRY_AIR_J_PER_KG_K * (np.asarray(temp_air_c, dtype=float) + 273.15)
    )
