"""Weather files users bring: EPW, PVGIS TMY and dctwin's plain CSV.

Each reader returns a :class:`WeatherFile`: the file's values in dctwin's column names
and units, on the file's own time stamps, with the timing conventions of its format
spelled out. :func:`file_weather` then puts a file on the simulation's time index:

1. **Re-stamp** typical-year files (EPW, PVGIS TMY, one-year CSV) onto the simulated
   calendar year(s), keeping month, day and time of day; 29 February comes from
   28 February in leap years.
2. **Shift** the time stamps by ``time_shift_h`` and convert to UTC.
3. **Resample** to the simulation step with the interpolation of the synthetic path
   (:mod:`dctwin.weather.resample`): irradiance spread over 5-minute cells along the
   clear-sky curve, each file interval's irradiation kept, averaged to the step and
   decomposed with exact closure; temperature, wind and pressure interpolated
   linearly in time to the interval midpoints.

Timing conventions
------------------
* **EPW** (EnergyPlus Auxiliary Programs, "Weather Converter" chapter): local standard
  time (header ``TZ``); row *hour h* holds the irradiation of the hour *ending* at h and
  instantaneous temperature, wind and pressure *at* h.
* **PVGIS TMY** (JRC PVGIS, TMY tool): UTC time stamps. dctwin takes temperature,
  wind and pressure as values at the stamp and irradiance as the mean of the hour
  centred on the stamp plus the file's ``Irradiance Time Offset`` (0 when absent), the
  time of the satellite image it comes from.
* **dctwin CSV** (``docs/weather-csv.md``): UTC, stamps at interval starts, all values
  interval means.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pvlib

from dctwin.errors import WeatherDataError
from dctwin.weather.resample import (
    CELL,
    air_density_kg_per_m3,
    block_mean,
    cell_grid,
    clear_sky_ghi_w_per_m2,
    decompose_ghi,
    disaggregate_ghi_w_per_m2,
    hours_since_epoch,
    quiet_pandas_deprecations,
    solar_zenith_deg,
    step_of,
)

__all__ = [
    "PLAUSIBLE_RANGES",
    "WeatherFile",
    "file_weather",
    "read_epw",
    "read_pvgis_tmy",
    "read_weather_csv",
    "read_weather_file",
]

PLAUSIBLE_RANGES: dict[str, tuple[float, float, str]] = {
    "temp_air_c": (-60.0, 60.0, "°C"),
    "ghi_w_per_m2": (0.0, 1500.0, "W/m²"),
    "dni_w_per_m2": (0.0, 1500.0, "W/m²"),
    "dhi_w_per_m2": (0.0, 1000.0, "W/m²"),
    "wind_speed_m_per_s": (0.0, 75.0, "m/s"),
    "pressure_pa": (30_000.0, 110_000.0, "Pa"),
}
"""Accepted value ranges per column: (low, high, unit). Values outside are an error."""

REQUIRED_COLUMNS = ("temp_air_c", "ghi_w_per_m2", "wind_speed_m_per_s")
_OPTIONAL_COLUMNS = ("dni_w_per_m2", "dhi_w_per_m2", "pressure_pa")
_EPW_WIND_HEIGHT_M = 10.0  # EPW: wind speed at 10 m (WMO standard anemometer height)
_PVGIS_WIND_HEIGHT_M = 10.0  # PVGIS TMY column WS10m
_HOUR = pd.Timedelta(hours=1)


@dataclass(frozen=True)
class WeatherFile:
    """A weather file in dctwin's units, still on the file's own time stamps.

    Attributes
    ----------
    path
        The file.
    kind
        ``"epw"``, ``"pvgis_tmy"`` or ``"csv"``.
    data
        Columns ``temp_air_c`` [°C], ``ghi_w_per_m2`` [W/m²], ``wind_speed_m_per_s``
        [m/s], optionally ``dni_w_per_m2``, ``dhi_w_per_m2`` [W/m²], ``pressure_pa``
        [Pa]; tz-aware index of the file's stamps (its own clock, regular step).
    step
        Time between rows.
    irradiance_offset
        Start of a row's irradiance interval relative to its stamp.
    point_offset
        Instant of a row's temperature, wind and pressure relative to its stamp.
    typical_year
        Whether the file is a typical year to re-stamp onto the simulated years
        (always for EPW and PVGIS; for a CSV holding exactly one calendar year).
    wind_reference_height_m
        Height of the wind speed. [m]
    """

    path: Path
    kind: str
    data: pd.DataFrame
    step: pd.Timedelta
    irradiance_offset: pd.Timedelta
    point_offset: pd.Timedelta
    typical_year: bool
    wind_reference_height_m: float

    def __repr__(self) -> str:
        span = f"{self.data.index[0]} … {self.data.index[-1]}"
        return f"WeatherFile({self.kind}, {self.path.name}, {len(self.data)} rows of {self.step}, {span})"


# ------------------------------------------------------------------ validation
def _fail(path: Path, message: str) -> WeatherDataError:
    return WeatherDataError(f"{path}: {message}")


def _existing(path: str | Path) -> Path:
    p = Path(path)
    if not p.is_file():
        raise WeatherDataError(
            f"weather file not found: {p}; check sites[].weather.path (relative paths are "
            "resolved against the scenario file's folder)"
        )
    return p


def _check_plausible(path: Path, data: pd.DataFrame, hint: str = "") -> None:
    """Raise on the first missing or implausible value, naming column, time and fix."""
    for column in data.columns:
        low, high, unit = PLAUSIBLE_RANGES[column]
        values = data[column].to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < low) | (values > high)
        if bad.any():
            row = int(np.argmax(bad))
            value = values[row]
            what = (
                "is missing"
                if not np.isfinite(value)
                else f"= {value:g} {unit} is outside {low:g}…{high:g} {unit}"
            )
            raise _fail(
                path,
                f"column {column!r} {what} at {data.index[row]} (data row {row + 1}); "
                f"correct or fill the value{hint}",
            )


# ----------------------------------------------------------------------- EPW
_EPW_MISSING_HINT = " (EPW marks missing data as 99.9 °C, 9999 W/m², 999 m/s or 999999 Pa)"


def read_epw(path: str | Path) -> WeatherFile:
    """Read an EnergyPlus weather (EPW) file with :func:`pvlib.iotools.read_epw`.

    Parameters
    ----------
    path
        The ``.epw`` file: 8,760 hourly rows (8,784 for a leap year).

    Returns
    -------
    WeatherFile
        Typical year in local standard time; irradiance over the hour before each
        EPW hour, temperature, wind (10 m) and pressure at the hour.

    Raises
    ------
    WeatherDataError
        Missing or unreadable file, wrong row count, missing or implausible values.
    """
    p = _existing(path)
    try:
        with quiet_pandas_deprecations():
            raw, _meta = pvlib.iotools.read_epw(p, coerce_year=2000)  # 2000: leap, keeps 29 Feb
    except (ValueError, KeyError, IndexError, TypeError, pd.errors.ParserError) as exc:
        raise _fail(p, f"is not a readable EPW file ({exc}); export it again as EnergyPlus EPW") from None
    if len(raw) not in (8760, 8784):
        raise _fail(p, f"has {len(raw)} data rows; an hourly EPW has 8,760 (or 8,784 for a leap year)")
    data = pd.DataFrame(
        {
            "temp_air_c": raw["temp_air"].to_numpy(dtype=float),
            "ghi_w_per_m2": raw["ghi"].to_numpy(dtype=float),
            "dni_w_per_m2": raw["dni"].to_numpy(dtype=float),
            "dhi_w_per_m2": raw["dhi"].to_numpy(dtype=float),
            "wind_speed_m_per_s": raw["wind_speed"].to_numpy(dtype=float),
            "pressure_pa": raw["atmospheric_pressure"].to_numpy(dtype=float),
        },
        index=raw.index,
    )
    _check_plausible(p, data, _EPW_MISSING_HINT)
    return WeatherFile(p, "epw", data, _HOUR, pd.Timedelta(0), _HOUR, True, _EPW_WIND_HEIGHT_M)


# ---------------------------------------------------------------- PVGIS TMY
def read_pvgis_tmy(path: str | Path) -> WeatherFile:
    """Read a PVGIS typical meteorological year with :func:`pvlib.iotools.read_pvgis_tmy`.

    Parameters
    ----------
    path
        PVGIS TMY file in its ``csv`` or ``json`` output format (by suffix); the
        ``epw`` output format is read by :func:`read_epw`.

    Returns
    -------
    WeatherFile
        Typical year in UTC; wind at 10 m (``WS10m``).

    Raises
    ------
    WeatherDataError
        Missing or unreadable file, missing columns, implausible values.
    """
    p = _existing(path)
    suffix = p.suffix.lower().lstrip(".")
    if suffix == "epw":
        wf = read_epw(p)
        return WeatherFile(
            p,
            "pvgis_tmy",
            wf.data,
            wf.step,
            wf.irradiance_offset,
            wf.point_offset,
            True,
            wf.wind_reference_height_m,
        )
    if suffix not in ("csv", "json"):
        raise _fail(p, f"has suffix {p.suffix!r}; PVGIS TMY files are read as .csv, .json or .epw")
    try:
        with quiet_pandas_deprecations():
            raw, meta = pvlib.iotools.read_pvgis_tmy(p, map_variables=True)
    except (ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(
            p, f"is not a readable PVGIS TMY {suffix} file ({exc}); download it again from PVGIS"
        ) from None
    needed = {"temp_air": "T2m", "ghi": "G(h)", "wind_speed": "WS10m"}
    missing = [orig for col, orig in needed.items() if col not in raw.columns]
    if missing:
        raise _fail(p, f"lacks the PVGIS column(s) {missing}; found {list(raw.columns)}")
    columns = {
        "temp_air": "temp_air_c",
        "ghi": "ghi_w_per_m2",
        "dni": "dni_w_per_m2",
        "dhi": "dhi_w_per_m2",
        "wind_speed": "wind_speed_m_per_s",
        "pressure": "pressure_pa",
    }
    data = pd.DataFrame(
        {new: raw[old].to_numpy(dtype=float) for old, new in columns.items() if old in raw.columns},
        index=pd.DatetimeIndex(raw.index).tz_convert("UTC"),
    )
    if len(data) != 8760:
        raise _fail(p, f"has {len(data)} rows; a PVGIS TMY has 8,760 hourly rows")
    _check_plausible(p, data)
    offset_h = _pvgis_irradiance_offset_h(meta)
    irradiance_offset = pd.Timedelta(hours=offset_h) - _HOUR / 2
    return WeatherFile(
        p, "pvgis_tmy", data, _HOUR, irradiance_offset, pd.Timedelta(0), True, _PVGIS_WIND_HEIGHT_M
    )


def _pvgis_irradiance_offset_h(meta: Any) -> float:
    inputs = meta.get("inputs", {}) if isinstance(meta, dict) else {}
    value = inputs.get("irradiance time offset", 0.0) if isinstance(inputs, dict) else 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


# ------------------------------------------------------------------ dctwin CSV
_HEIGHT_COMMENT = re.compile(r"^#\s*wind_reference_height_m\s*[:=]\s*([-+0-9.eE]+)\s*$")


def read_weather_csv(path: str | Path, wind_reference_height_m: float | None = None) -> WeatherFile:
    """Read a weather time series in dctwin's plain CSV format (``docs/weather-csv.md``).

    Parameters
    ----------
    path
        The CSV file: ``time_utc`` (ISO 8601, interval starts), ``temp_air_c``,
        ``ghi_w_per_m2``, ``wind_speed_m_per_s``, optional ``dni_w_per_m2``,
        ``dhi_w_per_m2``, ``pressure_pa``; ``#`` comment lines before the header.
    wind_reference_height_m
        Height of the wind speed; overrides a ``# wind_reference_height_m: 10`` header
        comment. One of the two is required. [m]

    Returns
    -------
    WeatherFile
        In UTC; a typical year if it holds exactly one whole calendar year.

    Raises
    ------
    WeatherDataError
        Missing file, missing columns or wind height, irregular time stamps, missing
        or implausible values.
    """
    p = _existing(path)
    height = wind_reference_height_m
    with p.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            match = _HEIGHT_COMMENT.match(line.strip())
            if match and height is None:
                height = float(match.group(1))
    if height is None or not height > 0.0:
        raise _fail(
            p,
            "does not state the height of its wind speed; add a header line "
            "'# wind_reference_height_m: 10' (metres above ground) before the column names",
        )
    try:
        raw = pd.read_csv(p, comment="#", skip_blank_lines=True)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise _fail(p, f"is not a readable CSV file ({exc})") from None
    missing = [c for c in ("time_utc", *REQUIRED_COLUMNS) if c not in raw.columns]
    if missing:
        raise _fail(
            p,
            f"lacks the column(s) {missing}; found {list(raw.columns)}. Required: time_utc, "
            f"{', '.join(REQUIRED_COLUMNS)} (see docs/weather-csv.md)",
        )
    try:
        times = pd.DatetimeIndex(pd.to_datetime(raw["time_utc"], utc=True, format="ISO8601"))
    except (ValueError, TypeError) as exc:
        raise _fail(
            p, f"column 'time_utc' is not ISO 8601 ({exc}); write e.g. 2026-01-01T00:00:00Z"
        ) from None
    step = _regular_step(p, times)
    columns = [c for c in (*REQUIRED_COLUMNS, *_OPTIONAL_COLUMNS) if c in raw.columns]
    data = pd.DataFrame(
        {c: pd.to_numeric(raw[c], errors="coerce").to_numpy(dtype=float) for c in columns}, index=times
    )
    _check_plausible(p, data)
    typical = _is_one_calendar_year(times, step)
    return WeatherFile(p, "csv", data, step, pd.Timedelta(0), step / 2, typical, float(height))


def _regular_step(path: Path, times: pd.DatetimeIndex) -> pd.Timedelta:
    if len(times) < 2:
        raise _fail(path, f"has {len(times)} data row(s); a weather series needs at least two")
    diffs = np.diff(times.as_unit("ns").asi8)
    if not np.all(diffs == diffs[0]) or diffs[0] <= 0:
        row = int(np.argmax(diffs != diffs[0])) + 2 if np.any(diffs != diffs[0]) else 2
        raise _fail(
            path,
            f"time_utc must increase by one fixed step; row {row} ({times[row - 1]}) breaks it. "
            "Fill gaps and remove duplicates",
        )
    step = pd.Timedelta(int(diffs[0]), unit="ns")
    if step < CELL or step % CELL != pd.Timedelta(0):
        raise _fail(path, f"has a step of {step}; use a multiple of 5 minutes (5 min, 10 min, … 1 h)")
    return step


def _is_one_calendar_year(times: pd.DatetimeIndex, step: pd.Timedelta) -> bool:
    first = times[0]
    start = pd.Timestamp(year=first.year, month=1, day=1, tz="UTC")
    end = pd.Timestamp(year=first.year + 1, month=1, day=1, tz="UTC")
    return bool(first == start and times[-1] + step == end)


def read_weather_file(source: str, path: str | Path) -> WeatherFile:
    """Read a weather file by scenario source name: ``"epw"``, ``"pvgis_tmy"`` or ``"csv"``.

    Raises
    ------
    WeatherDataError
        Unknown source or unreadable file.
    """
    readers = {"epw": read_epw, "pvgis_tmy": read_pvgis_tmy, "csv": read_weather_csv}
    if source not in readers:
        raise WeatherDataError(f"unknown weather file source {source!r}; use one of {sorted(readers)}")
    return readers[source](path)


# ----------------------------------------------------------- onto the sim grid
def _restamp(wf: WeatherFile, years: range) -> pd.DataFrame:
    """Typical-year rows re-stamped onto whole years of the file's own clock."""
    stamps = pd.DatetimeIndex(wf.data.index)
    wall = stamps.tz_localize(None)
    keys = pd.Index(((wall.month * 32 + wall.day) * 24 + wall.hour) * 60 + wall.minute)
    if keys.has_duplicates:
        raise _fail(wf.path, "holds the same month, day and time twice; a typical year has each once")
    grids = [pd.date_range(f"{y}-01-01", f"{y + 1}-01-01", freq=wf.step, inclusive="left") for y in years]
    target = pd.DatetimeIndex(grids[0].append(grids[1:]) if len(grids) > 1 else grids[0])

    def key(day: np.ndarray) -> pd.Index:
        return pd.Index(np.asarray(((target.month * 32 + day) * 24 + target.hour) * 60 + target.minute))

    pos = keys.get_indexer(key(np.asarray(target.day)))
    leap_day = (target.month == 2) & (target.day == 29) & (pos < 0)  # no 29 Feb in the file
    pos = np.where(leap_day, keys.get_indexer(key(np.asarray(target.day) - 1)), pos)
    if (pos < 0).any():
        missing = target[int(np.argmax(pos < 0))]
        raise _fail(
            wf.path,
            f"has no row for {missing:%d %b %H:%M}; a typical year needs every hour of a 365-day year",
        )
    out = wf.data.iloc[pos].copy()
    out.index = target.tz_localize(stamps.tz)
    return out


def _on_utc(
    wf: WeatherFile, period_start: pd.Timestamp, period_end: pd.Timestamp, shift: pd.Timedelta
) -> pd.DataFrame:
    """File rows covering the simulated ``[period_start, period_end)`` in UTC, shifted.

    A CSV covering the period is used as it is (its values outside the period are only
    context for the interpolation); typical years are re-stamped with a day to spare.
    """
    stamps = pd.DatetimeIndex(wf.data.index)
    data = wf.data.copy()
    data.index = stamps.tz_convert("UTC") + shift
    covers = data.index[0] <= period_start and data.index[-1] + wf.step >= period_end
    if wf.kind == "csv" and covers:
        return data
    if not wf.typical_year:
        raise _fail(
            wf.path,
            f"covers {data.index[0]} … {data.index[-1] + wf.step} (after time_shift_h) but the run "
            f"needs {period_start} … {period_end}; supply a file for the simulated period or one "
            "whole calendar year (a typical year, re-stamped onto the simulated years)",
        )
    clock = stamps.tz
    first = (period_start - shift - pd.Timedelta(days=2)).tz_convert(clock).year
    last = (period_end - shift + pd.Timedelta(days=2)).tz_convert(clock).year
    out = _restamp(wf, range(first, last + 1))
    out.index = pd.DatetimeIndex(out.index).tz_convert("UTC") + shift
    return out


def file_weather(
    wf: WeatherFile,
    latitude_deg: float,
    longitude_deg: float,
    altitude_m: float,
    times_utc: pd.DatetimeIndex,
    time_shift_h: float = 0.0,
) -> pd.DataFrame:
    """Put a weather file on the simulation's time index.

    Parameters
    ----------
    wf
        A file read by :func:`read_epw`, :func:`read_pvgis_tmy` or :func:`read_weather_csv`.
    latitude_deg, longitude_deg
        Site position, for the solar geometry of the resampling. [deg]
    altitude_m
        Site altitude, for clear sky and (when the file has none) pressure. [m]
    times_utc
        Tz-aware UTC index, fixed step of 1 h, 15 min or 5 min, labels at interval starts.
    time_shift_h
        Added to the file's time stamps (e.g. +1.45 h re-aligns the Rabat TMYx). [h]

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`dctwin.weather.site_weather`, indexed by ``times_utc``.

    Raises
    ------
    WeatherDataError
        A non-typical CSV does not cover the period, or a typical year lacks a row.
    ValueError
        ``times_utc`` is not a UTC index with an allowed step.

    Notes
    -----
    Every file interval's irradiation is kept exactly, so daily and annual irradiation
    equal the file's (a leap year adds 29 February as a copy of 28 February).
    """
    step = step_of(times_utc)
    data = _on_utc(wf, times_utc[0], times_utc[-1] + step, pd.Timedelta(hours=time_shift_h))
    ghi, dni, dhi = _irradiance_on_grid(wf, data, (latitude_deg, longitude_deg, altitude_m), times_utc, step)
    mid_h = hours_since_epoch(times_utc + step / 2)
    point_h = hours_since_epoch(pd.DatetimeIndex(data.index + wf.point_offset))

    def points(column: str) -> np.ndarray:
        return np.interp(mid_h, point_h, data[column].to_numpy())

    temp = points("temp_air_c")
    if "pressure_pa" in data:
        pressure = points("pressure_pa")
    else:
        pressure = np.full(len(times_utc), float(pvlib.atmosphere.alt2pres(altitude_m)))
    out = pd.DataFrame(
        {
            "temp_air_c": temp,
            "ghi_w_per_m2": ghi,
            "dni_w_per_m2": dni,
            "dhi_w_per_m2": dhi,
            "wind_speed_m_per_s": points("wind_speed_m_per_s"),
            "pressure_pa": pressure,
            "air_density_kg_per_m3": air_density_kg_per_m3(pressure, temp),
        },
        index=times_utc,
        dtype=float,
    )
    out.attrs["wind_reference_height_m"] = float(wf.wind_reference_height_m)
    restamped = "typical year re-stamped" if wf.typical_year else "time series"
    out.attrs["source"] = f"{wf.kind}: {wf.path} ({restamped}, time_shift_h = {time_shift_h:+g} h)"
    return out


def _irradiance_on_grid(
    wf: WeatherFile,
    data: pd.DataFrame,
    place: tuple[float, float, float],
    times_utc: pd.DatetimeIndex,
    step: pd.Timedelta,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GHI, DNI, DHI at the simulation step from the file's intervals (UTC, shifted)."""
    latitude_deg, longitude_deg, altitude_m = place
    pad = CELL * int(np.ceil((wf.step + abs(wf.irradiance_offset)) / CELL) + 1)
    cell_mid = cell_grid(times_utc[0] - pad, times_utc[-1] + step + pad) + CELL / 2
    zenith_c, dni_extra_c = solar_zenith_deg(cell_mid, latitude_deg, longitude_deg)
    clear_c = clear_sky_ghi_w_per_m2(cell_mid, latitude_deg, longitude_deg, altitude_m, zenith_c, dni_extra_c)
    cell_mid_h = hours_since_epoch(cell_mid)
    start_h = hours_since_epoch(pd.DatetimeIndex(data.index + wf.irradiance_offset))
    step_h = wf.step / _HOUR
    ghi_file = data["ghi_w_per_m2"].to_numpy()
    ghi_c = disaggregate_ghi_w_per_m2(cell_mid_h, clear_c, start_h, step_h, ghi_file)

    n_per, first, n = int(step / CELL), int(pad / CELL), len(times_utc)
    ghi = block_mean(ghi_c, first, n_per, n)
    diffuse_frac = _diffuse_fraction(data, ghi_file, zenith_c, cell_mid_h, start_h, step_h)
    dhi = None
    if diffuse_frac is not None:
        idx = np.clip(np.floor((cell_mid_h - start_h[0]) / step_h + 1e-9).astype(np.int64), 0, len(data) - 1)
        dhi = block_mean(diffuse_frac[idx] * ghi_c, first, n_per, n)
    mid = times_utc + step / 2
    if n_per == 1:
        zenith, dni_extra = zenith_c[first : first + n], dni_extra_c[first : first + n]
    else:
        zenith, dni_extra = solar_zenith_deg(mid, latitude_deg, longitude_deg)
    dni, dhi_out = decompose_ghi(ghi, zenith, dni_extra, np.asarray(mid.day_of_year), dhi)
    return ghi, dni, dhi_out


def _diffuse_fraction(
    data: pd.DataFrame,
    ghi_file: np.ndarray,
    zenith_c: np.ndarray,
    cell_mid_h: np.ndarray,
    start_h: np.ndarray,
    step_h: float,
) -> np.ndarray | None:
    """Per file interval DHI/GHI from the file's DHI, or from its DNI via closure; else None."""
    if "dhi_w_per_m2" in data:
        dhi_file = data["dhi_w_per_m2"].to_numpy()
    elif "dni_w_per_m2" in data:
        idx = np.floor((cell_mid_h - start_h[0]) / step_h + 1e-9).astype(np.int64)
        inside = (idx >= 0) & (idx < len(data))
        cos_z = np.where(zenith_c < 90.0, np.cos(np.radians(zenith_c)), 0.0)
        n = np.maximum(np.bincount(idx[inside], minlength=len(data)), 1)
        mean_cos = np.bincount(idx[inside], weights=cos_z[inside], minlength=len(data)) / n
        dhi_file = ghi_file - data["dni_w_per_m2"].to_numpy() * mean_cos
    else:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(ghi_file > 0.0, dhi_file / ghi_file, 1.0)
    return np.clip(np.nan_to_num(frac, nan=1.0), 0.0, 1.0)
