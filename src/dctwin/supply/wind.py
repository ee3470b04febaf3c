"""Wind farm output from a real turbine power curve (windpowerlib's offline library).

Chain, all vectorised: wind speed at the reference height → hub height (Hellman power
law or logarithmic profile, :mod:`windpowerlib.wind_speed`) → air density at hub
height (barometric + ideal gas, :mod:`windpowerlib.density`) → turbine power from the
manufacturer power curve with the IEC 61400-12-1 density correction
(IEC 61400-12-1 wind-speed normalisation, vectorised) → farm output after wake, availability
and electrical losses.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from windpowerlib import density as wpl_density
from windpowerlib import wind_speed as wpl_wind_speed

from dctwin.errors import CatalogError

_RHO_STANDARD = 1.225  # ISO 2533 standard sea-level air density [kg/m³]

__all__ = ["TurbineCurve", "hub_wind_speed_m_per_s", "turbine_curve", "turbine_types", "wind_farm_mw"]


@cache
def turbine_types() -> list[str]:
    """Turbine types with a power curve in windpowerlib's offline (local) library."""
    from windpowerlib import get_turbine_types

    with warnings.catch_warnings():  # windpowerlib 0.2.2 uses pandas' deprecated inplace=
        warnings.simplefilter("ignore")
        table = get_turbine_types(turbine_library="local", print_out=False)
    return sorted(table.loc[table["has_power_curve"], "turbine_type"].tolist())


@dataclass(frozen=True)
class TurbineCurve:
    """A turbine's power curve.

    Attributes
    ----------
    turbine_type
        Name in windpowerlib's library, e.g. ``"V112/3450"``.
    wind_speed_m_per_s
        Power-curve wind speeds. [m/s]
    power_w
        Power at those speeds, at standard density 1.225 kg/m³. [W]
    nominal_power_w
        Rated power. [W]
    """

    turbine_type: str
    wind_speed_m_per_s: np.ndarray
    power_w: np.ndarray
    nominal_power_w: float


@cache
def turbine_curve(turbine_type: str) -> TurbineCurve:
    """Load a turbine's power curve from windpowerlib's offline library.

    Parameters
    ----------
    turbine_type
        Name as listed by :func:`turbine_types`.

    Raises
    ------
    CatalogError
        The turbine is not in the offline library.
    """
    if turbine_type not in turbine_types():
        raise CatalogError(f"turbine {turbine_type!r} is not in windpowerlib's offline library")
    from windpowerlib import WindTurbine

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        turbine = WindTurbine(turbine_type=turbine_type, hub_height=100.0)
    curve = turbine.power_curve
    return TurbineCurve(
        turbine_type=turbine_type,
        wind_speed_m_per_s=curve["wind_speed"].to_numpy(dtype=float),
        power_w=curve["value"].to_numpy(dtype=float),
        nominal_power_w=float(turbine.nominal_power),
    )


def hub_wind_speed_m_per_s(
    wind_speed_m_per_s: np.ndarray,
    reference_height_m: float,
    hub_height_m: float,
    profile: str = "hellman",
    hellman_exponent: float = 1.0 / 7.0,
    roughness_length_m: float = 0.1,
) -> np.ndarray:
    """Extrapolate wind speed from the reference height to hub height.

    Parameters
    ----------
    wind_speed_m_per_s
        Wind speed at ``reference_height_m``. [m/s]
    reference_height_m, hub_height_m
        Heights above ground. [m]
    profile
        ``"hellman"`` (power law) or ``"logarithmic"``.
    hellman_exponent
        Power-law exponent α. [1]
    roughness_length_m
        Surface roughness z0 for the logarithmic profile. [m]

    Returns
    -------
    numpy.ndarray
        Wind speed at hub height. [m/s]

    Notes
    -----
    Hellman: :math:`v_h = v_r (h/h_r)^{α}`; logarithmic:
    :math:`v_h = v_r \\ln(h/z_0)/\\ln(h_r/z_0)` (Hau, *Wind Turbines*, 2013, §13.3).

    Examples
    --------
    >>> float(hub_wind_speed_m_per_s(np.array([5.0]), 10.0, 80.0, hellman_exponent=1/7)[0])
    6.742...
    """
    v = pd.Series(np.asarray(wind_speed_m_per_s, dtype=float))
    if profile == "hellman":
        out = wpl_wind_speed.hellman(v, reference_height_m, hub_height_m, hellman_exponent=hellman_exponent)
    else:
        out = wpl_wind_speed.logarithmic_profile(v, reference_height_m, hub_height_m, roughness_length_m)
    return np.asarray(out, dtype=float)


def hub_air_density_kg_per_m3(
    pressure_pa: np.ndarray, temp_air_c: np.ndarray, reference_height_m: float, hub_height_m: float
) -> np.ndarray:
    """Air density at hub height from surface pressure and temperature.

    Parameters
    ----------
    pressure_pa
        Air pressure at ``reference_height_m``. [Pa]
    temp_air_c
        Air temperature at ``reference_height_m``. [°C]
    reference_height_m, hub_height_m
        Heights above ground. [m]

    Returns
    -------
    numpy.ndarray
        Air density at hub height. [kg/m³]

    Notes
    -----
    Temperature at hub height by the standard lapse rate (−6.5 K/km,
    :func:`windpowerlib.temperature.linear_gradient`), pressure by the barometric
    height formula and density by the ideal-gas law (windpowerlib.density).
    """
    from windpowerlib.temperature import linear_gradient

    temp_k = pd.Series(np.asarray(temp_air_c, dtype=float) + 273.15)
    temp_hub_k = linear_gradient(temp_k, reference_height_m, hub_height_m)
    pressure_hpa = pd.Series(np.asarray(pressure_pa, dtype=float) / 100.0)
    rho = wpl_density.barometric(pressure_hpa * 100.0, reference_height_m, hub_height_m, temp_hub_k)
    return np.asarray(rho, dtype=float)


def wind_farm_mw(
    wind_speed_hub_m_per_s: np.ndarray,
    air_density_kg_per_m3: np.ndarray,
    curve: TurbineCurve,
    capacity_mw: float,
    wake_loss_frac: float = 0.08,
    availability_frac: float = 0.97,
    electrical_loss_frac: float = 0.02,
    density_correction: bool = True,
) -> np.ndarray:
    """Wind farm AC output at the point of connection.

    Parameters
    ----------
    wind_speed_hub_m_per_s
        Free-stream wind speed at hub height. [m/s]
    air_density_kg_per_m3
        Air density at hub height. [kg/m³]
    curve
        Turbine power curve (:func:`turbine_curve`).
    capacity_mw
        Farm nameplate capacity; the farm is ``capacity_mw`` / turbine rating turbines,
        fractional counts allowed. [MW]
    wake_loss_frac, availability_frac, electrical_loss_frac
        Array wake losses, technical availability, collection/transformer losses. [frac]
    density_correction
        Apply the IEC 61400-12-1 density correction of the power curve.

    Returns
    -------
    numpy.ndarray
        Farm output, never above ``capacity_mw``. [MW]

    Notes
    -----
    :math:`P = C \\cdot p(v_n)/p_{rated} \\cdot (1-w)(a)(1-e)`, where p is the power
    curve at standard density and :math:`v_n = v (ρ/1.225)^{1/3}` the density-normalised
    wind speed of IEC 61400-12-1:2017 §9.1.5 for pitch-regulated turbines. Beyond the
    last point of the curve (cut-out) the output is zero.
    """
    if capacity_mw <= 0:
        return np.zeros_like(np.asarray(wind_speed_hub_m_per_s, dtype=float))
    v = np.asarray(wind_speed_hub_m_per_s, dtype=float)
    if density_correction:
        v = v * (np.asarray(air_density_kg_per_m3, dtype=float) / _RHO_STANDARD) ** (1.0 / 3.0)
    power_w = np.interp(v, curve.wind_speed_m_per_s, curve.power_w, left=0.0, right=0.0)
    per_unit = np.clip(np.asarray(power_w, dtype=float) / curve.nominal_power_w, 0.0, 1.0)
    factor = (1.0 - wake_loss_frac) * availability_frac * (1.0 - electrical_loss_frac)
    return per_unit * capacity_mw * factor
