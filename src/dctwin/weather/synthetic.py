"""Seeded synthetic weather years for any site, built on pvlib.

The generator works one **calendar year (UTC)** at a time, each year from its own
random stream derived from the caller's generator and the year number, and the
requested period is cut out of the generated years. So a week in July is the same
week whether a run covers that week or the whole year, and a year is the same
whichever neighbouring years a run also covers.

Within a year the chain is (all vectorised, the only recursions are AR(1) filters run
by :func:`scipy.signal.lfilter`):

1. **Cloudiness.** A daily clear-sky index :math:`k_d` from a Beta distribution whose
   mean follows ``monthly_clear_sky_index_frac`` through a smooth, mean-preserving
   periodic spline, with day-to-day persistence from a Gaussian AR(1) copula; hourly
   variability around it (largest on broken-cloud days) from a second AR(1) process,
   renormalised so each day keeps :math:`k_d`.
2. **Irradiance.** Clear sky (Ineichen with pvlib's Linke turbidity climatology) on
   5-minute cells × the clear-sky index, spread within each hour by
   :func:`dctwin.weather.resample.disaggregate_ghi_w_per_m2` and decomposed with Erbs
   at the requested step.
3. **Temperature.** Daily maximum and minimum from the monthly normals (same spline),
   an AR(1) synoptic anomaly, a diurnal range that shrinks on cloudy days, and Chergui
   heat waves (Poisson events in May–September whose peak day reaches
   ``heatwave_peak_temp_c`` ± 1 K; their expected contribution is taken out of the
   normals, which already contain them); a daily cycle from the minimum at sunrise to
   the maximum at 14:00 solar time and back.
4. **Wind.** A Gaussian AR(1) process mapped to a Weibull marginal (its shape raised so
   that the modulated series keeps ``wind_weibull_k``), modulated by a diurnal cycle in
   local mean solar time and a seasonal cycle, rescaled so each year's mean is exactly
   the target.
5. **Pressure** from altitude with AR(1) synoptic noise; **air density** from the ideal
   gas law.

Every latent Gaussian series is replaced by the normal scores of its ranks within the
year, so each synthetic year has the target distributions exactly (a *typical year*
in the sense of a TMY): the months still differ from their normals as real months do,
but the year as a whole does not drift. For inter-annual variability use measured
multi-year files.

Limitation: the random streams restart each 1 January 00:00 UTC, so multi-year runs
show one jump in the weather at each year boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pvlib
from scipy import linalg, optimize, signal, special, stats
from scipy.interpolate import CubicSpline

from dctwin.scenario.schema import ClimateNormals
from dctwin.weather.resample import (
    CELL,
    air_density_kg_per_m3,
    block_mean,
    cell_grid,
    clear_sky_ghi_w_per_m2,
    decompose_ghi,
    disaggregate_ghi_w_per_m2,
    hours_since_epoch,
    solar_zenith_deg,
    step_of,
)

__all__ = [
    "ar1_gaussian",
    "mean_preserving_seasonal",
    "synthetic_weather",
    "weibull_shape_for_modulation",
]

COLUMNS = (
    "temp_air_c",
    "ghi_w_per_m2",
    "dni_w_per_m2",
    "dhi_w_per_m2",
    "wind_speed_m_per_s",
    "pressure_pa",
    "air_density_kg_per_m3",
)

# Model constants not exposed in the scenario schema, each with its derivation ("E").
_CLOUD_DAY_AUTOCORR = 0.5  # E: Rabat-Salé TMYx, lag-1-day autocorrelation of daily kc 0.46
_KC_BETA_CONCENTRATION = 6.0  # E: Rabat-Salé TMYx, monthly std of daily kc 0.04–0.20
_KC_DAILY_MAX = 1.05  # E: Rabat-Salé TMYx, monthly maxima of daily kc 1.01–1.07
_KC_HOURLY_STD_MAX = 0.20  # E: peak hourly kc std (broken clouds); ERA5-smoothed Rabat TMYx 0.10–0.13
_KC_HOURLY_AUTOCORR = 0.8  # E: Rabat-Salé TMYx hourly kc deviations, lag-1 0.86 (ERA5-smoothed)
_KC_HOURLY_HEADROOM = 0.05  # E: cloud enhancement: hourly kc up to daily max + 0.05
_DTR_PER_KC = 1.04  # E: Rabat-Salé TMYx, relative diurnal-range anomaly per unit kc anomaly
_TEMP_PEAK_SOLAR_H = 14.0  # E: coastal Morocco, Rabat TMYx daily maxima at 11–15 h solar
_NIGHT_DECAY_EXPONENT = 0.9  # E: day mean 0.48 of the range above Tmin (Rabat-Salé TMYx 0.49)
_HEATWAVE_FIRST_MONTH, _HEATWAVE_LAST_MONTH = 5, 9  # E: summer Chergui season (facts.md §4.2)
_HEATWAVE_MIN_SHARE = 0.5  # E: nights warm by half the daytime excess in Chergui events
_HEATWAVE_PEAK_STD_K = 1.0  # E: event-to-event spread of peak temperature (38–44 °C alerts)
_PRESSURE_STD_PA = 350.0  # E: Rabat-Salé TMYx, std of daily mean station pressure 352 Pa
_PRESSURE_DAY_AUTOCORR = 0.9  # E: Rabat-Salé TMYx, lag-1-day autocorrelation 0.90
_MARGIN_DAYS = 2  # extra local days generated before and after the year (diurnal cycle)

_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


# ------------------------------------------------------------------ small pure parts
def ar1_gaussian(innovations: np.ndarray, autocorr: float) -> np.ndarray:
    """Stationary Gaussian AR(1) series with unit variance from standard-normal innovations.

    Parameters
    ----------
    innovations
        Independent standard-normal draws, one per step.
    autocorr
        Lag-1 autocorrelation :math:`\\phi`, in [0, 1).

    Returns
    -------
    numpy.ndarray
        :math:`z_0 = e_0`, :math:`z_t = \\phi z_{t-1} + \\sqrt{1-\\phi^2}\\,e_t`.

    Examples
    --------
    >>> ar1_gaussian(np.array([1.0, 0.0, 0.0]), 0.5)
    array([1.  , 0.5 , 0.25])
    """
    e = np.asarray(innovations, dtype=float).copy()
    e[1:] *= np.sqrt(1.0 - autocorr**2)
    return np.asarray(signal.lfilter([1.0], [1.0, -autocorr], e), dtype=float)


def _normal_scores(z: np.ndarray) -> np.ndarray:
    """Replace values by the standard-normal quantiles of their ranks (typical-year step)."""
    ranks = np.empty(len(z))
    ranks[np.argsort(z, kind="stable")] = np.arange(len(z))
    return np.asarray(special.ndtri((ranks + 0.5) / len(z)), dtype=float)


def _month_mid_frac() -> np.ndarray:
    ends = np.cumsum(_DAYS_IN_MONTH)
    return (ends - _DAYS_IN_MONTH / 2.0) / 365.0


def _periodic_spline(node_values: np.ndarray) -> CubicSpline:
    x = np.append(_month_mid_frac(), _month_mid_frac()[0] + 1.0)
    return CubicSpline(x, np.append(node_values, node_values[0]), bc_type="periodic")


def _eval_periodic(spline: CubicSpline, year_frac: np.ndarray) -> np.ndarray:
    x0 = _month_mid_frac()[0]
    return np.asarray(spline(x0 + np.mod(np.asarray(year_frac) - x0, 1.0)), dtype=float)


@cache
def _monthly_mean_operator() -> np.ndarray:
    """Inverse of the map from spline node values to the spline's monthly means."""
    day_frac = (np.arange(365) + 0.5) / 365.0
    month = np.repeat(np.arange(12), _DAYS_IN_MONTH)
    a = np.empty((12, 12))
    for j in range(12):
        values = _eval_periodic(_periodic_spline(np.eye(12)[j]), day_frac)
        a[:, j] = np.bincount(month, weights=values, minlength=12) / _DAYS_IN_MONTH
    return np.asarray(linalg.inv(a), dtype=float)


def mean_preserving_seasonal(monthly_means: list[float] | np.ndarray, year_frac: np.ndarray) -> np.ndarray:
    """Smooth seasonal cycle whose monthly means equal the given twelve values.

    Parameters
    ----------
    monthly_means
        Twelve monthly means, January → December (any unit).
    year_frac
        Position in the year, 0 = 1 January 00:00, 1 = one year later (wraps). [frac]

    Returns
    -------
    numpy.ndarray
        Periodic cubic spline through mid-month nodes, with the node values solved so
        that the spline's mean over each month (365-day year) equals ``monthly_means``.

    Examples
    --------
    >>> frac = (np.arange(365) + 0.5) / 365
    >>> cycle = mean_preserving_seasonal([10.0] * 6 + [20.0] * 6, frac)
    >>> round(float(cycle[:31].mean()), 6), round(float(cycle[181:212].mean()), 6)
    (10.0, 20.0)
    """
    nodes = _monthly_mean_operator() @ np.asarray(monthly_means, dtype=float)
    return _eval_periodic(_periodic_spline(nodes), year_frac)


def _weibull_cv2(k: float) -> float:
    return float(special.gamma(1.0 + 2.0 / k) / special.gamma(1.0 + 1.0 / k) ** 2 - 1.0)


def weibull_shape_for_modulation(k_target: float, modulation_m2: float) -> float:
    """Weibull shape of a base series so that base × modulation has the spread of ``k_target``.

    Parameters
    ----------
    k_target
        Weibull shape wanted for the modulated series. [1]
    modulation_m2
        :math:`\\overline{m^2}/\\bar m^2` of the deterministic modulation :math:`m(t)`. [1]

    Returns
    -------
    float
        Shape :math:`k_b` with :math:`(1 + CV^2(k_b))\\,\\overline{m^2}/\\bar m^2 = 1 + CV^2(k)`,
        where :math:`CV^2(k) = \\Gamma(1+2/k)/\\Gamma(1+1/k)^2 - 1` (method of moments).

    Examples
    --------
    >>> round(weibull_shape_for_modulation(2.0, 1.0), 6)
    2.0
    """
    target = (1.0 + _weibull_cv2(k_target)) / modulation_m2 - 1.0
    k_max = 50.0
    if target <= _weibull_cv2(k_max):
        return k_max
    return float(optimize.brentq(lambda k: _weibull_cv2(k) - target, 0.3, k_max, xtol=1e-10))


# ------------------------------------------------------------------------ the year
@dataclass(frozen=True)
class _Place:
    latitude_deg: float
    longitude_deg: float
    altitude_m: float


@dataclass(frozen=True)
class _Days:
    """Daily (local mean solar day) quantities, day k at position k + _MARGIN_DAYS."""

    year_frac: np.ndarray
    kc_mean: np.ndarray
    kc: np.ndarray
    kc_max: np.ndarray


def _cloud_days(climate: ClimateNormals, year_frac: np.ndarray, rng: np.random.Generator) -> _Days:
    mean = np.clip(mean_preserving_seasonal(climate.monthly_clear_sky_index_frac, year_frac), 0.05, 1.1)
    kc_max = np.maximum(_KC_DAILY_MAX, mean / 0.95)
    m = mean / kc_max
    z = _normal_scores(ar1_gaussian(rng.standard_normal(len(year_frac)), _CLOUD_DAY_AUTOCORR))
    u = special.ndtr(z)
    kc = kc_max * stats.beta.ppf(u, m * _KC_BETA_CONCENTRATION, (1.0 - m) * _KC_BETA_CONCENTRATION)
    return _Days(year_frac=year_frac, kc_mean=mean, kc=np.asarray(kc, dtype=float), kc_max=kc_max)


def _hourly_kc(days: _Days, day_pos: np.ndarray, clear_h: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hourly clear-sky index around the daily value, each day keeping its daily index."""
    x = np.clip(days.kc / days.kc_max, 0.0, 1.0)
    std = _KC_HOURLY_STD_MAX * 2.0 * np.sqrt(x * (1.0 - x))
    z = _normal_scores(ar1_gaussian(rng.standard_normal(len(day_pos)), _KC_HOURLY_AUTOCORR))
    cap = (days.kc_max + _KC_HOURLY_HEADROOM)[day_pos]
    kc_day = days.kc[day_pos]
    kc = np.clip(kc_day + std[day_pos] * z, 0.0, cap)
    n_days = len(days.kc)
    want = np.bincount(day_pos, weights=kc_day * clear_h, minlength=n_days)
    got = np.bincount(day_pos, weights=kc * clear_h, minlength=n_days)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(got > 0.0, want / got, 1.0)
    return np.clip(kc * ratio[day_pos], 0.0, cap)


def _heatwave_weights(duration_days: int) -> np.ndarray:
    """Triangular weights over an event's days, 1 on the peak day(s)."""
    k = np.arange(duration_days)
    w = 1.0 - np.abs(k - (duration_days - 1) / 2.0) / ((duration_days + 1) / 2.0)
    return w / w.max()


def _heatwave_window(year: int, duration_days: int) -> tuple[int, int]:
    """First and last possible start day (0-based day of year) of a heat wave."""
    first = pd.Timestamp(year=year, month=_HEATWAVE_FIRST_MONTH, day=1).day_of_year - 1
    last = pd.Timestamp(year=year, month=_HEATWAVE_LAST_MONTH, day=30).day_of_year - 1
    return first, last - duration_days + 1


def _heatwave_excess_k(
    year: int, climate: ClimateNormals, tmax_c: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Daily-maximum excess of this year's Chergui events (0 outside events). [K]"""
    excess = np.zeros_like(tmax_c)
    n_events = int(rng.poisson(climate.heatwave_events_per_year))
    first, last = _heatwave_window(year, climate.heatwave_duration_days)
    starts = rng.integers(first, last + 1, size=n_events)
    noise = np.clip(rng.standard_normal(n_events), -2.5, 2.5)
    weights = _heatwave_weights(climate.heatwave_duration_days)
    for start, dev in zip(starts, noise, strict=True):  # a handful of events per year
        pos = start + _MARGIN_DAYS + np.arange(climate.heatwave_duration_days)
        peak_c = climate.heatwave_peak_temp_c + _HEATWAVE_PEAK_STD_K * dev
        excess[pos] = np.maximum(excess[pos], weights * np.maximum(peak_c - tmax_c[pos], 0.0))
    return excess


def _expected_heatwave_excess_k(year: int, climate: ClimateNormals, tmax_c: np.ndarray) -> np.ndarray:
    """Climatological mean of the heat-wave excess per day, removed from the normals. [K]

    The normals already contain heat waves; subtracting the expected excess keeps the
    monthly means of daily maxima on the normals once the events are added back.
    """
    first, last = _heatwave_window(year, climate.heatwave_duration_days)
    density = np.zeros(len(tmax_c))
    density[first + _MARGIN_DAYS : last + _MARGIN_DAYS + 1] = climate.heatwave_events_per_year / (
        last - first + 1
    )
    cover = np.convolve(density, _heatwave_weights(climate.heatwave_duration_days))[: len(tmax_c)]
    return cover * np.maximum(climate.heatwave_peak_temp_c - tmax_c, 0.0)


def _daily_temperature_c(
    year: int,
    climate: ClimateNormals,
    days: _Days,
    rng_anomaly: np.random.Generator,
    rng_events: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Daily maximum and minimum temperature. [°C]"""
    tmax_n = mean_preserving_seasonal(climate.monthly_temp_max_c, days.year_frac)
    tmin_n = mean_preserving_seasonal(climate.monthly_temp_min_c, days.year_frac)
    expected = _expected_heatwave_excess_k(year, climate, tmax_n)
    tmax_n = tmax_n - expected
    tmin_n = tmin_n - _HEATWAVE_MIN_SHARE * expected
    z = _normal_scores(
        ar1_gaussian(rng_anomaly.standard_normal(len(tmax_n)), climate.daily_temp_anomaly_autocorr)
    )
    mid = (tmax_n + tmin_n) / 2.0 + climate.daily_temp_anomaly_std_c * z
    half_range = (tmax_n - tmin_n) / 2.0 * np.maximum(1.0 + _DTR_PER_KC * (days.kc - days.kc_mean), 0.2)
    tmax = mid + half_range
    tmin = mid - half_range
    excess = _heatwave_excess_k(year, climate, tmax, rng_events)
    return tmax + excess, tmin + _HEATWAVE_MIN_SHARE * excess


def _diurnal_temperature_c(
    local_h: np.ndarray, latitude_deg: float, day_of_year: np.ndarray, tmax_c: np.ndarray, tmin_c: np.ndarray
) -> np.ndarray:
    """Temperature through the day: minimum at sunrise, maximum at 14:00 solar time.

    ``local_h`` is local mean solar time in hours since the first margin day's midnight;
    daily arrays are indexed by local day. Rise: half cosine from sunrise to the peak;
    fall: half cosine in :math:`f^{0.9}` to the next sunrise (slightly faster evening cooling).
    """
    decl = pvlib.solarposition.declination_spencer71(day_of_year)
    eot_h = pvlib.solarposition.equation_of_time_spencer71(day_of_year) / 60.0
    cos_ws = np.clip(-np.tan(np.radians(latitude_deg)) * np.tan(decl), -1.0, 1.0)
    sunrise = np.clip(12.0 - np.degrees(np.arccos(cos_ws)) / 15.0 - eot_h, 2.0, 10.0)
    peak = _TEMP_PEAK_SOLAR_H - eot_h
    i = np.floor(local_h / 24.0).astype(np.int64)
    h = local_h - 24.0 * i

    def fall(frac: np.ndarray) -> np.ndarray:
        return (1.0 + np.cos(np.pi * np.clip(frac, 0.0, 1.0) ** _NIGHT_DECAY_EXPONENT)) / 2.0

    rise_frac = np.clip((h - sunrise[i]) / (peak[i] - sunrise[i]), 0.0, 1.0)
    t_rise = tmin_c[i] + (tmax_c[i] - tmin_c[i]) * (1.0 - np.cos(np.pi * rise_frac)) / 2.0
    t_after = tmin_c[i + 1] + (tmax_c[i] - tmin_c[i + 1]) * fall(
        (h - peak[i]) / (sunrise[i + 1] + 24.0 - peak[i])
    )
    t_before = tmin_c[i] + (tmax_c[i - 1] - tmin_c[i]) * fall(
        (h - peak[i - 1] + 24.0) / (sunrise[i] + 24.0 - peak[i - 1])
    )
    return np.where(h < sunrise[i], t_before, np.where(h < peak[i], t_rise, t_after))


def _wind_hourly_m_per_s(
    climate: ClimateNormals, local_h: np.ndarray, year_frac: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Hourly wind speed at the reference height, before the exact mean rescaling. [m/s]"""
    diurnal = 1.0 + climate.wind_diurnal_amplitude_frac * np.cos(
        2.0 * np.pi * (local_h - climate.wind_peak_hour_local) / 24.0
    )
    seasonal = 1.0 + climate.wind_seasonal_amplitude_frac * np.cos(
        2.0 * np.pi * (year_frac - (climate.wind_peak_month - 0.5) / 12.0)
    )
    modulation = diurnal * seasonal
    k_base = weibull_shape_for_modulation(
        climate.wind_weibull_k, float(np.mean(modulation**2) / np.mean(modulation) ** 2)
    )
    z = _normal_scores(ar1_gaussian(rng.standard_normal(len(local_h)), climate.wind_hourly_autocorr))
    base = (-np.log(special.ndtr(-z))) ** (1.0 / k_base)  # Weibull(k_base) quantile of Φ(z)
    return np.asarray(base * modulation, dtype=float)


@dataclass(frozen=True)
class _YearGrid:
    """Time axes of one UTC calendar year: 5-minute cells, hours and local solar days."""

    year: int
    start: pd.Timestamp
    cells: pd.DatetimeIndex
    per_hour: int
    n_hours: int
    n_days: int
    lmt_shift_h: float  # local mean solar time − UTC [h]

    @classmethod
    def of(cls, year: int, longitude_deg: float) -> _YearGrid:
        start = pd.Timestamp(year=year, month=1, day=1, tz="UTC")
        cells = cell_grid(start, pd.Timestamp(year=year + 1, month=1, day=1, tz="UTC"))
        per_hour = int(pd.Timedelta(hours=1) / CELL)
        n_hours = len(cells) // per_hour
        return cls(year, start, cells, per_hour, n_hours, n_hours // 24, longitude_deg / 15.0)

    @property
    def cell_h(self) -> np.ndarray:
        """Cell midpoints, hours since 1 January 00:00 UTC."""
        return (np.arange(len(self.cells)) + 0.5) / self.per_hour

    @property
    def hour_mid_h(self) -> np.ndarray:
        """Hour midpoints, hours since 1 January 00:00 UTC."""
        return np.arange(self.n_hours) + 0.5

    @property
    def day_k(self) -> np.ndarray:
        """Local solar days with margins; day 0 is 1 January."""
        return np.arange(self.n_days + 2 * _MARGIN_DAYS) - _MARGIN_DAYS

    @property
    def hour_pos(self) -> np.ndarray:
        """Position of each hour's local day in the daily arrays."""
        return (np.floor((self.hour_mid_h + self.lmt_shift_h) / 24.0) + _MARGIN_DAYS).astype(np.int64)


def _year_irradiance(
    grid: _YearGrid, place: _Place, days: _Days, rng_kc: np.random.Generator
) -> dict[str, np.ndarray]:
    """GHI on the year's cells, with the solar geometry it used."""
    cell_mid = grid.cells + CELL / 2
    zenith, dni_extra = solar_zenith_deg(cell_mid, place.latitude_deg, place.longitude_deg)
    clear = clear_sky_ghi_w_per_m2(
        cell_mid, place.latitude_deg, place.longitude_deg, place.altitude_m, zenith, dni_extra
    )
    clear_h = clear.reshape(grid.n_hours, grid.per_hour).mean(axis=1)
    kc_h = _hourly_kc(days, grid.hour_pos, clear_h, rng_kc)
    start_h = hours_since_epoch(pd.DatetimeIndex([grid.start]))[0]
    ghi = disaggregate_ghi_w_per_m2(
        start_h + grid.cell_h, clear, start_h + np.arange(grid.n_hours), 1.0, kc_h * clear_h
    )
    cap_cell = np.repeat((days.kc_max + _KC_HOURLY_HEADROOM)[grid.hour_pos], grid.per_hour)
    ghi = np.minimum(ghi, cap_cell * clear)  # the in-hour reshaping may not exceed the cap
    return {"ghi": ghi, "zenith": zenith, "dni_extra": dni_extra}


def _year_cells(year: int, place: _Place, climate: ClimateNormals, seed: int) -> dict[str, np.ndarray]:
    """One UTC calendar year on 5-minute cells: GHI, temperature, wind, pressure."""
    rng_cloud, rng_kc, rng_temp, rng_events, rng_wind, rng_pres = (
        np.random.default_rng(s) for s in np.random.SeedSequence([seed, year]).spawn(6)
    )
    grid = _YearGrid.of(year, place.longitude_deg)
    day_k, cell_h, hour_mid_h = grid.day_k, grid.cell_h, grid.hour_mid_h
    days = _cloud_days(climate, (day_k + 0.5) / grid.n_days, rng_cloud)
    out = _year_irradiance(grid, place, days, rng_kc)

    tmax, tmin = _daily_temperature_c(year, climate, days, rng_temp, rng_events)
    cell_local_h = cell_h + grid.lmt_shift_h + 24.0 * _MARGIN_DAYS
    day_of_year = np.mod(day_k, grid.n_days) + 1
    out["temp"] = _diurnal_temperature_c(cell_local_h, place.latitude_deg, day_of_year, tmax, tmin)

    local_h = np.mod(hour_mid_h + grid.lmt_shift_h, 24.0)
    wind_h = _wind_hourly_m_per_s(climate, local_h, hour_mid_h / grid.n_hours, rng_wind)
    wind = np.interp(cell_h, hour_mid_h, wind_h)
    out["wind"] = wind * (climate.wind_mean_speed_m_per_s / wind.mean())

    pressure_d = pvlib.atmosphere.alt2pres(place.altitude_m) + _PRESSURE_STD_PA * _normal_scores(
        ar1_gaussian(rng_pres.standard_normal(len(day_k)), _PRESSURE_DAY_AUTOCORR)
    )
    out["pressure"] = np.interp(cell_h, (day_k + 0.5) * 24.0 - grid.lmt_shift_h, pressure_d)
    return out


def _year_at_step(
    year: int, place: _Place, climate: ClimateNormals, seed: int, step: pd.Timedelta
) -> pd.DataFrame:
    """One UTC calendar year at the simulation step (interval means, exact closure)."""
    cells = _year_cells(year, place, climate, seed)
    start = pd.Timestamp(year=year, month=1, day=1, tz="UTC")
    times = pd.date_range(
        start, pd.Timestamp(year=year + 1, month=1, day=1, tz="UTC"), freq=step, inclusive="left"
    )
    n_per = int(step / CELL)

    def mean(name: str) -> np.ndarray:
        return block_mean(cells[name], 0, n_per, len(times))

    if n_per == 1:
        zenith, dni_extra = cells["zenith"], cells["dni_extra"]
    else:
        zenith, dni_extra = solar_zenith_deg(times + step / 2, place.latitude_deg, place.longitude_deg)
    ghi = mean("ghi")
    dni, dhi = decompose_ghi(ghi, zenith, dni_extra, np.asarray((times + step / 2).day_of_year))
    temp = mean("temp")
    pressure = mean("pressure")
    return pd.DataFrame(
        {
            "temp_air_c": temp,
            "ghi_w_per_m2": ghi,
            "dni_w_per_m2": dni,
            "dhi_w_per_m2": dhi,
            "wind_speed_m_per_s": mean("wind"),
            "pressure_pa": pressure,
            "air_density_kg_per_m3": air_density_kg_per_m3(pressure, temp),
        },
        index=times,
    )


def synthetic_weather(
    latitude_deg: float,
    longitude_deg: float,
    altitude_m: float,
    climate: ClimateNormals,
    times_utc: pd.DatetimeIndex,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Seeded synthetic weather for one site, cut out of whole generated UTC years.

    Parameters
    ----------
    latitude_deg, longitude_deg
        Site position, north and east positive. [deg]
    altitude_m
        Site altitude. [m]
    climate
        Monthly normals and stochastic parameters (:class:`~dctwin.scenario.schema.ClimateNormals`).
    times_utc
        Tz-aware UTC index, fixed step of 1 h, 15 min or 5 min, labels at interval starts.
    rng
        Generator of the weather stream; one integer is drawn from it and, with each
        year's number, seeds that year.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``times_utc``; float64 columns ``temp_air_c`` [°C], ``ghi_w_per_m2``,
        ``dni_w_per_m2``, ``dhi_w_per_m2`` [W/m², interval means], ``wind_speed_m_per_s``
        [m/s, at ``climate.wind_reference_height_m``], ``pressure_pa`` [Pa],
        ``air_density_kg_per_m3`` [kg/m³]; ``attrs["wind_reference_height_m"]`` and
        ``attrs["source"]``.

    Raises
    ------
    ValueError
        ``times_utc`` is not a UTC index with a 1 h, 15 min or 5 min step.

    Notes
    -----
    See the module docstring for the model chain. Irradiance at any step is the mean of
    5-minute cells, so daily irradiation is identical at 1 h, 15 min and 5 min.

    Examples
    --------
    >>> times = pd.date_range("2026-07-01", periods=48, freq="1h", tz="UTC")
    >>> df = synthetic_weather(35.62, -5.55, 222.0, ClimateNormals(), times, np.random.default_rng(1))
    >>> bool(df["ghi_w_per_m2"].iloc[0] == 0.0), bool(df["ghi_w_per_m2"].max() > 500.0)
    (True, True)
    """
    step = step_of(times_utc)
    seed = int(rng.integers(0, 2**63 - 1))
    place = _Place(float(latitude_deg), float(longitude_deg), float(altitude_m))
    years = range(times_utc[0].year, times_utc[-1].year + 1)
    full = pd.concat([_year_at_step(year, place, climate, seed, step) for year in years])
    positions = full.index.get_indexer(times_utc)
    out = pd.DataFrame(full.to_numpy()[positions], index=times_utc, columns=list(COLUMNS), dtype=float)
    out.attrs["wind_reference_height_m"] = float(climate.wind_reference_height_m)
    out.attrs["source"] = (
        f"synthetic: seeded typical years {years.start}–{years.stop - 1} at "
        f"{latitude_deg:.3f}°N {longitude_deg:.3f}°E, {altitude_m:.0f} m (dctwin.weather.synthetic)"
    )
    return out
