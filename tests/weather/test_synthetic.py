"""Synthetic weather: calibration to the Tangier climate, physics, determinism, time grids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from dctwin.scenario.schema import ClimateNormals
from dctwin.weather import COLUMNS, site_weather, synthetic_weather
from dctwin.weather.resample import quiet_pandas_deprecations
from dctwin.weather.synthetic import (
    ar1_gaussian,
    mean_preserving_seasonal,
    weibull_shape_for_modulation,
)

LAT, LON, ALT = 35.62, -5.55, 222.0  # northern site; altitude from pvlib.location.lookup_altitude
NORMALS = ClimateNormals()


def _year(year: int, step: str = "1h") -> pd.DatetimeIndex:
    return pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq=step, tz="UTC", inclusive="left")


def _synthetic(times: pd.DatetimeIndex, seed: int = 1, **climate: object) -> pd.DataFrame:
    normals = ClimateNormals(**climate) if climate else NORMALS
    return synthetic_weather(LAT, LON, ALT, normals, times, np.random.default_rng(seed))


def _interval_clear_sky(times: pd.DatetimeIndex, step: str) -> np.ndarray:
    """Reference clear-sky GHI, mean of 1-minute Ineichen values over each interval (SPA)."""
    fine = pd.date_range(times[0], times[-1] + pd.Timedelta(step), freq="1min", tz="UTC", inclusive="left")
    location = pvlib.location.Location(LAT, LON, altitude=ALT)
    with quiet_pandas_deprecations():
        clear = location.get_clearsky(fine + pd.Timedelta("30s"))["ghi"].to_numpy()
    n = int(pd.Timedelta(step) / pd.Timedelta("1min"))
    return clear.reshape(len(times), n).mean(axis=1)


def _apparent_zenith_deg(times_mid: pd.DatetimeIndex, lat: float, lon: float) -> np.ndarray:
    """SPA apparent zenith (pvlib.solarposition.get_solarposition), independent of dctwin."""
    with quiet_pandas_deprecations():
        position = pvlib.solarposition.get_solarposition(times_mid, lat, lon)
    return position["apparent_zenith"].to_numpy()


# ------------------------------------------------------------------ the frame
def test_frame_has_the_documented_columns_index_and_attrs(tangier_year: pd.DataFrame) -> None:
    times = _year(2026)
    assert tangier_year.index.equals(times)
    assert list(tangier_year.columns) == list(COLUMNS)
    assert (tangier_year.dtypes == np.float64).all()
    assert tangier_year.attrs["wind_reference_height_m"] == NORMALS.wind_reference_height_m
    assert "synthetic" in tangier_year.attrs["source"]
    assert np.isfinite(tangier_year.to_numpy()).all()


# ---------------------------------------------------------------- calibration
def test_monthly_daily_max_and_min_match_the_tangier_normals(tangier_years: pd.DataFrame) -> None:
    """Mean daily max/min per month within ±1 K of Tangier 1961–1990 (facts.md §4.2).

    Fifteen years are averaged: a single month's mean carries ≈ 0.8 K of synoptic noise
    (σ = 1.8 K, φ = 0.7 over 30 days), as real months do.
    """
    daily = tangier_years["temp_air_c"].resample("D").agg(["max", "min"])
    monthly = daily.groupby(daily.index.month).mean()
    np.testing.assert_allclose(monthly["max"], NORMALS.monthly_temp_max_c, atol=1.0)
    np.testing.assert_allclose(monthly["min"], NORMALS.monthly_temp_min_c, atol=1.0)


def test_annual_ghi_in_the_published_range(tangier_years: pd.DataFrame) -> None:
    """Annual GHI 1,800–2,000 kWh/m²: energy.md §4.1 Tangier placeholder 1,846 and the
    Rabat-Salé TMYx 1,939.7 (shared/data/weather/README.md) bracket the north."""
    annual_kwh_per_m2 = tangier_years["ghi_w_per_m2"].groupby(tangier_years.index.year).sum() / 1000.0
    assert annual_kwh_per_m2.between(1800.0, 2000.0).all(), annual_kwh_per_m2.round(0).tolist()


def test_summer_sunnier_than_winter(tangier_year: pd.DataFrame) -> None:
    """Tangier's rain falls Nov–Feb (facts.md §4.2): July irradiation ≫ December."""
    monthly = tangier_year["ghi_w_per_m2"].groupby(tangier_year.index.month).sum()
    assert monthly[7] > 2.5 * monthly[12]


def test_heat_waves_reach_38_c_in_most_years(tangier_years: pd.DataFrame) -> None:
    """Chergui pushes Tangier above 40 °C for 2–3 days (facts.md §4.2). With 2 Poisson
    events a year, P(no event) = e⁻² ≈ 14 %, so most years have an hour ≥ 38 °C."""
    annual_max = tangier_years["temp_air_c"].groupby(tangier_years.index.year).max()
    assert (annual_max >= 38.0).mean() >= 0.6
    assert annual_max.max() <= NORMALS.heatwave_peak_temp_c + 2.5 + 1.0


def test_no_heat_wave_no_hour_above_38_c() -> None:
    """Mild normals without Chergui events never reach 38 °C (3 years)."""
    times = pd.date_range("2026-01-01", "2029-01-01", freq="1h", tz="UTC", inclusive="left")
    calm = _synthetic(times, heatwave_events_per_year=0.0)
    assert calm["temp_air_c"].max() < 38.0


def test_heat_waves_occur_in_may_to_september_only() -> None:
    times = _year(2026)
    hot = _synthetic(times, heatwave_events_per_year=8.0, heatwave_peak_temp_c=45.0)
    calm = _synthetic(times, heatwave_events_per_year=0.0, heatwave_peak_temp_c=45.0)
    months = hot.index[hot["temp_air_c"] >= 38.0].month
    assert len(months) > 0 and months.min() >= 5 and months.max() <= 10  # Sep 30 events end in Oct
    assert hot["temp_air_c"].max() == pytest.approx(45.0, abs=3.0)
    winter = hot.index.month.isin([1, 2, 3, 11, 12])
    np.testing.assert_array_equal(hot["temp_air_c"][winter], calm["temp_air_c"][winter])


@pytest.mark.parametrize("k", [1.9, 2.6])
def test_wind_mean_and_weibull_shape(k: float) -> None:
    """Annual mean within ±3 % of the target; fitted Weibull k within ±0.2."""
    wind = _synthetic(_year(2026), wind_weibull_k=k)["wind_speed_m_per_s"].to_numpy()
    assert wind.mean() == pytest.approx(NORMALS.wind_mean_speed_m_per_s, rel=0.03)
    k_fit, _, _ = stats.weibull_min.fit(wind, floc=0.0)
    assert k_fit == pytest.approx(k, abs=0.2)


def test_wind_is_persistent(tangier_year: pd.DataFrame) -> None:
    """Hourly wind keeps synoptic persistence: lag-1 autocorrelation > 0.8."""
    assert tangier_year["wind_speed_m_per_s"].autocorr(lag=1) > 0.8


def test_wind_diurnal_and_seasonal_cycles_peak_where_asked(tangier_years: pd.DataFrame) -> None:
    """Afternoon maximum near 16:00 and July maximum (energy.md §4.1, schema defaults)."""
    wind = tangier_years["wind_speed_m_per_s"]
    local_hour = ((wind.index.hour + 0.5 + LON / 15.0) % 24.0).astype(int)
    by_hour = wind.groupby(local_hour).mean()
    assert abs(int(by_hour.idxmax()) - NORMALS.wind_peak_hour_local) <= 2
    by_month = wind.groupby(wind.index.month).mean()
    assert abs(int(by_month.idxmax()) - NORMALS.wind_peak_month) <= 1
    assert by_month.max() / by_month.min() == pytest.approx(1.22, abs=0.1)  # (1 + 0.1)/(1 − 0.1)


def test_pressure_and_density_from_altitude(tangier_year: pd.DataFrame) -> None:
    """Mean pressure = pvlib.atmosphere.alt2pres(222 m) ± 50 Pa; ρ = p/(R_d T)."""
    assert tangier_year["pressure_pa"].mean() == pytest.approx(pvlib.atmosphere.alt2pres(ALT), abs=50.0)
    assert 200.0 < tangier_year["pressure_pa"].std() < 500.0
    rho = tangier_year["pressure_pa"] / (287.058 * (tangier_year["temp_air_c"] + 273.15))
    np.testing.assert_allclose(tangier_year["air_density_kg_per_m3"], rho, rtol=1e-12)
    assert tangier_year["air_density_kg_per_m3"].mean() == pytest.approx(1.18, abs=0.02)


# ---------------------------------------------------------------- irradiance
def test_ghi_zero_at_night_and_bounded_by_clear_sky() -> None:
    """GHI is 0 when the sun is below the horizon for the whole interval, and at most
    1.1 × the interval's clear-sky GHI (+ 5 W/m² for solar-position and averaging differences)."""
    for step in ("1h", "5min"):
        times = pd.date_range("2026-06-01", "2026-06-15", freq=step, tz="UTC", inclusive="left")
        weather = _synthetic(times)
        clear = _interval_clear_sky(times, step)
        ghi = weather["ghi_w_per_m2"].to_numpy()
        night = clear == 0.0
        assert night.sum() > 0 and (ghi[night] == 0.0).all()
        assert (ghi <= 1.1 * clear + 5.0).all(), float(np.max(ghi - 1.1 * clear))
        assert ghi.max() > 800.0


@pytest.mark.parametrize("step", ["15min", "5min"])
def test_sub_hourly_daily_irradiation_matches_hourly(step: str) -> None:
    """Daily irradiation at 15 min and 5 min within 2 % of the hourly run (any day with sun)."""
    hourly = _synthetic(pd.date_range("2026-12-15", "2026-12-29", freq="1h", tz="UTC", inclusive="left"))
    fine = _synthetic(pd.date_range("2026-12-15", "2026-12-29", freq=step, tz="UTC", inclusive="left"))
    dt_h = pd.Timedelta(step) / pd.Timedelta("1h")
    day_h = hourly["ghi_w_per_m2"].resample("D").sum()
    day_f = fine["ghi_w_per_m2"].resample("D").sum() * dt_h
    np.testing.assert_allclose(day_f, day_h, rtol=0.02)
    np.testing.assert_allclose(fine["temp_air_c"].resample("1h").mean(), hourly["temp_air_c"], atol=0.05)


def test_sub_hourly_irradiance_follows_sunrise() -> None:
    """At 5 min, the first sunlit hour ramps up instead of jumping (clear-sky shape)."""
    times = pd.date_range("2026-07-10", "2026-07-11", freq="5min", tz="UTC", inclusive="left")
    ghi = _synthetic(times)["ghi_w_per_m2"].to_numpy()
    first = int(np.argmax(ghi > 0.0))
    assert ghi[first] < 20.0 and (np.diff(ghi[first : first + 12]) > 0.0).all()


def test_closure_at_the_interval_midpoint(tangier_year: pd.DataFrame) -> None:
    """GHI = DNI·cos(zenith) + DHI with the SPA apparent zenith at the interval midpoint."""
    mid = tangier_year.index + pd.Timedelta("30min")
    zenith = _apparent_zenith_deg(mid, LAT, LON)
    w = tangier_year
    closure = w["dni_w_per_m2"] * np.cos(np.radians(zenith)) + w["dhi_w_per_m2"]
    np.testing.assert_allclose(closure, w["ghi_w_per_m2"], atol=2.0)
    assert (w["dhi_w_per_m2"] <= w["ghi_w_per_m2"] + 1e-9).all()


# ----------------------------------------------------- determinism and slicing
def test_same_seed_same_weather_other_seed_other_weather() -> None:
    times = pd.date_range("2026-03-01", periods=7 * 24, freq="1h", tz="UTC")
    a, b, c = _synthetic(times, seed=5), _synthetic(times, seed=5), _synthetic(times, seed=6)
    pd.testing.assert_frame_equal(a, b)
    for column in ("temp_air_c", "ghi_w_per_m2", "wind_speed_m_per_s", "pressure_pa"):
        assert not np.allclose(a[column], c[column])


@pytest.mark.parametrize("step", ["1h", "5min"])
def test_a_week_is_the_same_week_of_the_full_year(step: str) -> None:
    year = _synthetic(_year(2026, step), seed=11)
    week_times = pd.date_range("2026-07-06", "2026-07-13", freq=step, tz="UTC", inclusive="left")
    week = _synthetic(week_times, seed=11)
    pd.testing.assert_frame_equal(week, year.loc[week_times], check_freq=False)


def test_a_year_does_not_depend_on_its_neighbours() -> None:
    """2028 is the same inside a 2027–2028 run as alone (each year has its own stream)."""
    both = _synthetic(pd.date_range("2027-12-25", "2028-01-08", freq="15min", tz="UTC", inclusive="left"))
    alone = _synthetic(pd.date_range("2028-01-01", "2028-01-08", freq="15min", tz="UTC", inclusive="left"))
    pd.testing.assert_frame_equal(both.loc[alone.index], alone, check_freq=False)


def test_leap_year_has_8784_hours_and_sane_29_february() -> None:
    weather = _synthetic(_year(2028))
    assert len(weather) == 8784 and np.isfinite(weather.to_numpy()).all()
    feb29 = weather.loc["2028-02-29"]
    assert 5.0 < feb29["temp_air_c"].mean() < 20.0 and feb29["ghi_w_per_m2"].max() > 100.0


def test_rejects_bad_time_indexes() -> None:
    naive = pd.date_range("2026-01-01", periods=24, freq="1h")
    with pytest.raises(ValueError, match="tz-aware"):
        _synthetic(naive)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="step"):
        _synthetic(pd.date_range("2026-01-01", periods=24, freq="30min", tz="UTC"))
    with pytest.raises(ValueError, match="UTC"):
        _synthetic(pd.date_range("2026-01-01", periods=24, freq="1h", tz="Africa/Casablanca"))
    with pytest.raises(ValueError, match="5-minute grid"):
        _synthetic(pd.date_range("2026-01-01 00:02", periods=24, freq="1h", tz="UTC"))


# ------------------------------------------------------------ property test
@settings(max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    latitude_deg=st.floats(-89.0, 89.0),
    longitude_deg=st.floats(-180.0, 180.0),
    seed=st.integers(0, 2**32 - 1),
    step=st.sampled_from(["1h", "15min", "5min"]),
    start_day=st.integers(0, 365),
)
def test_any_site_any_seed_is_physical(
    latitude_deg: float, longitude_deg: float, seed: int, step: str, start_day: int
) -> None:
    """Finite, physically bounded output and exact closure for any place, seed and step."""
    start = pd.Timestamp("2027-01-01", tz="UTC") + pd.Timedelta(days=start_day)
    times = pd.date_range(start, periods=int(pd.Timedelta("3D") / pd.Timedelta(step)), freq=step)
    altitude_m = float(pvlib.location.lookup_altitude(latitude_deg, longitude_deg))
    w = synthetic_weather(
        latitude_deg, longitude_deg, altitude_m, NORMALS, times, np.random.default_rng(seed)
    )
    assert w.index.equals(times) and np.isfinite(w.to_numpy()).all()
    assert w["temp_air_c"].between(-60.0, 60.0).all()
    assert w["ghi_w_per_m2"].between(0.0, 1400.0).all()
    assert w["dni_w_per_m2"].between(0.0, 1420.0).all()
    assert (w["dhi_w_per_m2"] >= 0.0).all() and (w["dhi_w_per_m2"] <= w["ghi_w_per_m2"] + 1e-9).all()
    assert w["wind_speed_m_per_s"].between(0.0, 60.0).all()
    assert w["pressure_pa"].between(40_000.0, 110_000.0).all()
    assert w["air_density_kg_per_m3"].between(0.5, 1.6).all()
    mid = times + pd.Timedelta(step) / 2
    zenith = _apparent_zenith_deg(mid, latitude_deg, longitude_deg)
    closure = w["dni_w_per_m2"] * np.cos(np.radians(zenith)) + w["dhi_w_per_m2"]
    np.testing.assert_allclose(closure, w["ghi_w_per_m2"], atol=2.0, rtol=0.005)


# --------------------------------------------------------------- small parts
def test_ar1_has_unit_variance_and_the_asked_autocorrelation() -> None:
    z = ar1_gaussian(np.random.default_rng(0).standard_normal(200_000), 0.9)
    assert z.std() == pytest.approx(1.0, abs=0.03)
    assert np.corrcoef(z[1:], z[:-1])[0, 1] == pytest.approx(0.9, abs=0.01)


def test_seasonal_spline_keeps_every_monthly_mean() -> None:
    day_frac = (np.arange(365) + 0.5) / 365.0
    cycle = mean_preserving_seasonal(NORMALS.monthly_temp_max_c, day_frac)
    month = np.repeat(np.arange(12), [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    means = np.bincount(month, weights=cycle) / np.bincount(month)
    np.testing.assert_allclose(means, NORMALS.monthly_temp_max_c, atol=1e-9)
    assert np.abs(np.diff(cycle)).max() < 0.2  # smooth: no monthly steps


def test_weibull_shape_correction_raises_k_under_modulation() -> None:
    """A modulated series spreads more, so the base series needs a larger k."""
    assert weibull_shape_for_modulation(1.9, 1.0) == pytest.approx(1.9)
    assert weibull_shape_for_modulation(1.9, 1.01) > 1.9


def test_site_weather_uses_the_sites_climate(make_site: object) -> None:
    times = pd.date_range("2026-07-01", periods=24 * 7, freq="1h", tz="UTC")
    hot = ClimateNormals(monthly_temp_max_c=[40.0] * 12, monthly_temp_min_c=[30.0] * 12)
    site = make_site(climate=hot)  # type: ignore[operator]
    w = site_weather(site, times, np.random.default_rng(1))
    assert w["temp_air_c"].mean() > 30.0


def test_rabat_clear_sky_index_reproduces_the_rabat_tmyx_irradiation() -> None:
    """The irradiance chain closes on real data: with the monthly clear-sky index of the
    Rabat-Salé TMYx (GHI / Ineichen clear sky, pvlib Linke turbidity, computed from the
    EPW) the generator at Rabat gives the TMYx's 1,939.7 kWh/m² (README §1) within 2 %."""
    rabat_kc = [0.88, 0.89, 0.86, 0.91, 0.90, 0.91, 1.00, 0.99, 0.96, 0.86, 0.84, 0.82]
    normals = ClimateNormals(monthly_clear_sky_index_frac=rabat_kc)
    times = _year(2026)
    weather = synthetic_weather(34.051, -6.752, 84.1, normals, times, np.random.default_rng(2))
    assert weather["ghi_w_per_m2"].sum() / 1000.0 == pytest.approx(1939.7, rel=0.02)
