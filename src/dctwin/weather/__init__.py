"""Site weather: a seeded synthetic typical year, or an EPW / PVGIS TMY / CSV file.

The engine calls one function, :func:`site_weather`, which dispatches on
``site.weather.source`` and always returns the same frame: a tz-aware UTC index equal
to the simulation's, interval means in dctwin's units, exact closure
``GHI = DNI·cos(zenith) + DHI`` at the interval midpoint, and the wind's reference
height in ``attrs``.

Modules: :mod:`~dctwin.weather.synthetic` (the generator),
:mod:`~dctwin.weather.readers` (files), :mod:`~dctwin.weather.resample` (time grids,
clear sky, the irradiance resampling both share).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib

from dctwin.scenario.schema import Site
from dctwin.weather.readers import (
    WeatherFile,
    file_weather,
    read_epw,
    read_pvgis_tmy,
    read_weather_csv,
    read_weather_file,
)
from dctwin.weather.synthetic import COLUMNS, synthetic_weather

__all__ = [
    "COLUMNS",
    "WeatherFile",
    "file_weather",
    "read_epw",
    "read_pvgis_tmy",
    "read_weather_csv",
    "read_weather_file",
    "site_altitude_m",
    "site_weather",
    "synthetic_weather",
]


def site_altitude_m(site: Site) -> float:
    """The site's altitude: ``site.altitude_m``, else pvlib's shipped lookup. [m]

    Examples
    --------
    >>> site_altitude_m(Site(name="north", latitude_deg=35.62, longitude_deg=-5.55))
    222.0
    """
    if site.altitude_m is not None:
        return float(site.altitude_m)
    return float(pvlib.location.lookup_altitude(site.latitude_deg, site.longitude_deg))


def site_weather(site: Site, times_utc: pd.DatetimeIndex, rng: np.random.Generator) -> pd.DataFrame:
    """Weather of one site on the simulation's time index.

    Parameters
    ----------
    site
        The site; ``site.weather.source`` picks ``"synthetic"`` (from
        ``site.weather.climate``) or a file (``"epw"``, ``"pvgis_tmy"``, ``"csv"`` at the
        absolute ``site.weather.path``, stamps shifted by ``site.weather.time_shift_h``).
    times_utc
        Tz-aware UTC index with a fixed step of 1 h, 15 min or 5 min; each timestamp
        labels the start of its interval. Any span: a week, a (leap) year, several years.
    rng
        The weather generator of the run; only the synthetic source draws from it (one
        integer per call).

    Returns
    -------
    pandas.DataFrame
        Indexed by exactly ``times_utc``, float64 columns

        * ``temp_air_c`` — dry-bulb temperature [°C]
        * ``ghi_w_per_m2``, ``dni_w_per_m2``, ``dhi_w_per_m2`` — interval-mean
          irradiance [W/m²] (irradiation = value × dt_h), with
          ``ghi = dni·cos(zenith) + dhi`` at the interval midpoint
        * ``wind_speed_m_per_s`` — at ``attrs["wind_reference_height_m"]`` [m/s]
        * ``pressure_pa`` — surface air pressure [Pa]
        * ``air_density_kg_per_m3`` — dry-air density at the surface [kg/m³]

        and ``attrs["wind_reference_height_m"]`` (float, m), ``attrs["source"]`` (str).

    Raises
    ------
    WeatherDataError
        A weather file is missing, unreadable, incomplete or implausible.
    ValueError
        ``times_utc`` is not a UTC index with an allowed fixed step.

    Examples
    --------
    >>> times = pd.date_range("2026-06-21", periods=24, freq="1h", tz="UTC")
    >>> site = Site(name="north", latitude_deg=35.62, longitude_deg=-5.55)
    >>> weather = site_weather(site, times, np.random.default_rng(7))
    >>> list(weather.columns) == list(COLUMNS), weather.attrs["wind_reference_height_m"]
    (True, 50.0)
    """
    altitude_m = site_altitude_m(site)
    config = site.weather
    if config.source == "synthetic":
        return synthetic_weather(
            site.latitude_deg, site.longitude_deg, altitude_m, config.climate, times_utc, rng
        )
    if config.path is None:  # the schema already requires it; keeps the type checker informed
        raise ValueError(f"site {site.name!r}: weather source {config.source!r} needs a path")
    weather_file = read_weather_file(config.source, config.path)
    return file_weather(
        weather_file, site.latitude_deg, site.longitude_deg, altitude_m, times_utc, config.time_shift_h
    )
