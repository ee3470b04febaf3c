"""Weather files: EPW, PVGIS TMY and dctwin CSV onto the simulation grid; their errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dctwin.errors import WeatherDataError
from dctwin.scenario.schema import Site, WeatherConfig
from dctwin.weather import (
    COLUMNS,
    file_weather,
    read_epw,
    read_pvgis_tmy,
    read_weather_csv,
    site_weather,
)

SHARED_WEATHER = Path(__file__).resolve().parents[3] / "shared" / "data" / "weather"
RABAT_EPW = SHARED_WEATHER / "MAR_RK_Rabat-Sale.AP.601350_TMYx.epw"
TETOUAN_CSV = SHARED_WEATHER / "tetouan_2017_10min_uci_power_consumption.csv"
needs_rabat = pytest.mark.skipif(
    not RABAT_EPW.is_file(), reason=f"{RABAT_EPW} absent (shared/ not beside the repo)"
)

LAT, LON, ALT = 35.62, -5.55, 222.0
RABAT_LAT, RABAT_LON, RABAT_ALT = 34.051, -6.752, 84.1  # EPW LOCATION header
RNG = np.random.default_rng(0)  # file sources never draw from it


def _site(source: str, path: Path, lat: float = LAT, lon: float = LON, shift_h: float = 0.0) -> Site:
    weather = WeatherConfig(source=source, path=str(path), time_shift_h=shift_h)  # type: ignore[arg-type]
    return Site(name="north", latitude_deg=lat, longitude_deg=lon, altitude_m=ALT, weather=weather)


def _year(year: int, step: str = "1h") -> pd.DatetimeIndex:
    return pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq=step, tz="UTC", inclusive="left")


def _annual_kwh_per_m2(weather: pd.DataFrame) -> float:
    dt_h = (weather.index[1] - weather.index[0]) / pd.Timedelta("1h")
    return float(weather["ghi_w_per_m2"].sum() * dt_h / 1000.0)


# -------------------------------------------------------------- test files
def _write_epw(path: Path, hourly_local: pd.DataFrame, tz_h: float = 1.0) -> Path:
    """Write an EPW: rows = local standard hours (interval start + 1 h = EPW hour)."""
    header = [
        f"LOCATION,Test,,TST,dctwin-test,000000,{LAT},{LON},{tz_h},{ALT}",
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        "COMMENTS 1,written by tests/weather/test_readers.py",
        "COMMENTS 2,",
        "DATA PERIODS,1,1,Data,Thursday, 1/ 1,12/31",
    ]
    rows = []
    for t, r in hourly_local.iterrows():
        stamp = pd.Timestamp(t)
        rows.append(
            f"{1999 if stamp.month % 2 else 2011},{stamp.month},{stamp.day},{stamp.hour + 1},60,?,"
            f"{r.temp_air_c:.4f},10.0,70,{r.pressure_pa:.2f},0,0,300,"
            f"{r.ghi_w_per_m2:.6f},{r.dni_w_per_m2:.6f},{r.dhi_w_per_m2:.6f},0,0,0,0,"
            f"180,{r.wind_speed_m_per_s:.4f},5,5,20,77777,9,999999999,10,0.1,0,88,0.2,0,0"
        )
    path.write_text("\n".join(header + rows) + "\n", encoding="utf-8")
    return path


def _write_csv(path: Path, weather: pd.DataFrame, height_m: float | None = 50.0, columns: Any = None) -> Path:
    frame = weather[list(columns or COLUMNS[:-1])].copy()
    frame.insert(0, "time_utc", weather.index.strftime("%Y-%m-%dT%H:%M:%SZ"))
    head = "# dctwin weather CSV\n" + (f"# wind_reference_height_m: {height_m}\n" if height_m else "")
    path.write_text(head + frame.to_csv(index=False), encoding="utf-8")
    return path


def _write_pvgis_csv(path: Path, weather: pd.DataFrame, offset_h: float | None = None) -> Path:
    """A PVGIS TMY csv (layout of pvlib.iotools.read_pvgis_tmy), stamps = UTC hours."""
    lines = [
        f"Latitude (decimal degrees): {LAT}",
        f"Longitude (decimal degrees): {LON}",
        f"Elevation (m): {ALT}",
    ]
    if offset_h is not None:
        lines.append(f"Irradiance Time Offset (h): {offset_h}")
    lines.append("month,year")
    lines += [f"{m},{2005 + m}" for m in range(1, 13)]
    lines.append("time(UTC),T2m,RH,G(h),Gb(n),Gd(h),IR(h),WS10m,WD10m,SP")
    for t, r in weather.iterrows():
        stamp = pd.Timestamp(t)
        lines.append(
            f"{2005 + stamp.month}{stamp:%m%d:%H%M},{r.temp_air_c:.3f},70,{r.ghi_w_per_m2:.4f},"
            f"{r.dni_w_per_m2:.4f},{r.dhi_w_per_m2:.4f},300,{r.wind_speed_m_per_s:.3f},200,{r.pressure_pa:.1f}"
        )
    lines += [
        "T2m: 2-m air temperature (degree Celsius)",
        "G(h): Global irradiance on the horizontal plane (W/m2)",
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def synthetic_2026() -> pd.DataFrame:
    from dctwin.scenario.schema import ClimateNormals
    from dctwin.weather import synthetic_weather

    return synthetic_weather(LAT, LON, ALT, ClimateNormals(), _year(2026), np.random.default_rng(3))


# ------------------------------------------------------- the real Rabat EPW
@needs_rabat
def test_rabat_tmyx_annual_values_as_checked_in_the_readme() -> None:
    """shared/data/weather/README.md §1 (pvlib 0.16.1 check): GHI 1,939.7 kWh/m²,
    mean temperature 17.64 °C; wind at 10 m."""
    weather = site_weather(_site("epw", RABAT_EPW, RABAT_LAT, RABAT_LON), _year(2023), RNG)
    assert _annual_kwh_per_m2(weather) == pytest.approx(1939.7, rel=0.01)
    assert weather["temp_air_c"].mean() == pytest.approx(17.64, abs=0.05)
    assert weather["temp_air_c"].max() == pytest.approx(43.0, abs=0.5)
    assert weather.attrs["wind_reference_height_m"] == 10.0
    assert weather["wind_speed_m_per_s"].mean() == pytest.approx(2.71, abs=0.05)
    assert "epw" in weather.attrs["source"] and RABAT_EPW.name in weather.attrs["source"]


@needs_rabat
def test_rabat_tmyx_realigned_leap_year_at_15_min() -> None:
    """+1.45 h re-alignment (README timing caveat) moves the daily GHI centroid to solar noon;
    a leap year adds 29 Feb as a copy of 28 Feb; the irradiation is kept."""
    times = _year(2028, "15min")
    raw = read_epw(RABAT_EPW).data
    feb28_kwh = raw["ghi_w_per_m2"][(raw.index.month == 2) & (raw.index.day == 28)].sum() / 1000.0
    aligned = site_weather(_site("epw", RABAT_EPW, RABAT_LAT, RABAT_LON, shift_h=1.45), times, RNG)
    assert _annual_kwh_per_m2(aligned) == pytest.approx(1939.7 + feb28_kwh, rel=0.002)
    feb = aligned.loc["2028-02-28":"2028-02-29", "ghi_w_per_m2"].resample("D").sum()
    assert feb.iloc[0] == pytest.approx(feb.iloc[1], rel=0.02)
    ghi = aligned["ghi_w_per_m2"]
    solar_h = (ghi.index.hour + ghi.index.minute / 60.0 + 7.5 / 60.0 + RABAT_LON / 15.0) % 24.0
    centroid_h = float((ghi * solar_h).sum() / ghi.sum())
    assert centroid_h == pytest.approx(12.0, abs=0.3)


def test_tetouan_csv_is_not_a_dctwin_weather_csv() -> None:
    """The Tetouan UCI file has a bimodal, unusable wind column (README §4): the CSV reader
    refuses it instead of taking it as a wind source."""
    if not TETOUAN_CSV.is_file():
        pytest.skip(f"{TETOUAN_CSV} absent")
    with pytest.raises(WeatherDataError, match="wind_reference_height_m"):
        read_weather_csv(TETOUAN_CSV)
    with pytest.raises(WeatherDataError, match="time_utc"):
        read_weather_csv(TETOUAN_CSV, wind_reference_height_m=10.0)


# ------------------------------------------------------------- EPW round trip
def test_epw_round_trip_of_a_whole_year(tmp_path: Path, synthetic_2026: pd.DataFrame) -> None:
    """Hourly UTC weather → EPW in UTC+1 (mixed source years) → back: same hourly GHI."""
    local = synthetic_2026.copy()
    local.index = (local.index + pd.Timedelta("1h")).tz_localize(None)  # UTC+1 wall clock
    local = local.sort_index()
    local = pd.concat([local.iloc[-1:], local.iloc[:-1]])  # Jan 1 00:00 local first
    local.index = pd.date_range("2026-01-01", periods=8760, freq="1h")
    epw = _write_epw(tmp_path / "test.epw", local)
    back = site_weather(_site("epw", epw), _year(2026), RNG)
    inner = slice(1, -1)  # the first/last UTC hour wraps around the local year
    np.testing.assert_allclose(
        back["ghi_w_per_m2"].to_numpy()[inner], synthetic_2026["ghi_w_per_m2"].to_numpy()[inner], atol=1e-5
    )
    np.testing.assert_allclose(
        back["dhi_w_per_m2"].to_numpy()[inner], synthetic_2026["dhi_w_per_m2"].to_numpy()[inner], atol=1e-3
    )
    # EPW temperature is the value *at* the end of its hour, so the hour-mean written to
    # row j is read as a point at j + 1 h and comes back at midpoints as (T[j-1] + T[j]) / 2
    temp = synthetic_2026["temp_air_c"].to_numpy()
    np.testing.assert_allclose(
        back["temp_air_c"].to_numpy()[2:-1], (temp[1:-2] + temp[2:-1]) / 2.0, atol=1e-3
    )
    assert back["temp_air_c"].mean() == pytest.approx(temp.mean(), abs=0.02)
    assert back.attrs["wind_reference_height_m"] == 10.0


def test_epw_point_values_are_interpolated_to_interval_midpoints(tmp_path: Path) -> None:
    """A sine temperature sampled at EPW hours (hour ends) comes back at midpoints."""
    stamps = pd.date_range("2026-01-01", periods=8760, freq="1h")
    hours = np.arange(8760) + 1.0  # EPW hour h = value at h:00 local
    local = pd.DataFrame(
        {
            "temp_air_c": 15.0 + 5.0 * np.sin(2.0 * np.pi * hours / 24.0),
            "ghi_w_per_m2": 0.0,
            "dni_w_per_m2": 0.0,
            "dhi_w_per_m2": 0.0,
            "wind_speed_m_per_s": 5.0,
            "pressure_pa": 100_000.0,
        },
        index=stamps,
    )
    epw = _write_epw(tmp_path / "sine.epw", local, tz_h=0.0)
    times = pd.date_range("2026-03-01", periods=96, freq="15min", tz="UTC")
    back = site_weather(_site("epw", epw), times, RNG)
    mid_h = (times - pd.Timestamp("2026-01-01", tz="UTC")) / pd.Timedelta("1h") + 0.125
    expected = 15.0 + 5.0 * np.sin(2.0 * np.pi * np.asarray(mid_h) / 24.0)
    np.testing.assert_allclose(back["temp_air_c"], expected, atol=0.05)
    assert (back["ghi_w_per_m2"] == 0.0).all()


# ---------------------------------------------------------------------- CSV
def test_csv_round_trip_is_exact_at_the_same_step(tmp_path: Path, synthetic_2026: pd.DataFrame) -> None:
    week = synthetic_2026.loc["2026-07-01":"2026-07-07"]
    path = _write_csv(tmp_path / "w.csv", week)
    back = site_weather(_site("csv", path), pd.DatetimeIndex(week.index, freq="1h"), RNG)
    pd.testing.assert_frame_equal(back, week, check_freq=False, atol=1e-3, rtol=1e-6)
    assert back.attrs["wind_reference_height_m"] == 50.0


def test_csv_without_dni_dhi_or_pressure_is_completed(tmp_path: Path, synthetic_2026: pd.DataFrame) -> None:
    week = synthetic_2026.loc["2026-07-01":"2026-07-07"]
    cols = ["temp_air_c", "ghi_w_per_m2", "wind_speed_m_per_s"]
    path = _write_csv(tmp_path / "min.csv", week, columns=cols)
    times = pd.date_range("2026-07-02", "2026-07-06", freq="5min", tz="UTC", inclusive="left")
    back = site_weather(_site("csv", path), times, RNG)
    assert np.isfinite(back.to_numpy()).all()
    assert back["dni_w_per_m2"].max() > 500.0 and (back["dhi_w_per_m2"] <= back["ghi_w_per_m2"] + 1e-9).all()
    assert back["pressure_pa"].iloc[0] == pytest.approx(98_686.4, abs=1.0)  # alt2pres(222 m)
    daily_back = back["ghi_w_per_m2"].resample("D").sum() / 12.0
    daily_file = week["ghi_w_per_m2"].loc["2026-07-02":"2026-07-05"].resample("D").sum()
    np.testing.assert_allclose(daily_back, daily_file, rtol=1e-9)


def test_csv_typical_year_is_restamped_onto_a_leap_year(tmp_path: Path, synthetic_2026: pd.DataFrame) -> None:
    path = _write_csv(tmp_path / "year.csv", synthetic_2026)
    wf = read_weather_csv(path)
    assert wf.typical_year
    back = file_weather(wf, LAT, LON, ALT, _year(2028))
    assert len(back) == 8784
    file_kwh = _annual_kwh_per_m2(synthetic_2026)
    feb28_kwh = synthetic_2026.loc["2026-02-28", "ghi_w_per_m2"].sum() / 1000.0
    assert _annual_kwh_per_m2(back) == pytest.approx(file_kwh + feb28_kwh, rel=0.002)
    np.testing.assert_allclose(
        back.loc["2028-07-01":"2028-07-03", "ghi_w_per_m2"],
        synthetic_2026.loc["2026-07-01":"2026-07-03", "ghi_w_per_m2"],
        atol=1e-3,
    )


def test_csv_header_height_and_time_shift(tmp_path: Path, synthetic_2026: pd.DataFrame) -> None:
    week = synthetic_2026.loc["2026-07-01":"2026-07-07"]
    path = _write_csv(tmp_path / "w.csv", week, height_m=10.0)
    assert read_weather_csv(path).wind_reference_height_m == 10.0
    assert read_weather_csv(path, wind_reference_height_m=80.0).wind_reference_height_m == 80.0
    times = pd.date_range("2026-07-02", periods=48, freq="1h", tz="UTC")
    shifted = site_weather(_site("csv", path, shift_h=1.0), times, RNG)
    np.testing.assert_allclose(
        shifted["wind_speed_m_per_s"].to_numpy()[1:],
        week.loc[times - pd.Timedelta("1h"), "wind_speed_m_per_s"].to_numpy()[1:],
        rtol=1e-6,
    )


# -------------------------------------------------------------------- PVGIS
def test_pvgis_tmy_csv_keeps_the_irradiation(tmp_path: Path, synthetic_2026: pd.DataFrame) -> None:
    path = _write_pvgis_csv(tmp_path / "tmy.csv", synthetic_2026, offset_h=0.1761)
    wf = read_pvgis_tmy(path)
    assert wf.typical_year and wf.wind_reference_height_m == 10.0 and len(wf.data) == 8760
    back = site_weather(_site("pvgis_tmy", path), _year(2027), RNG)
    assert _annual_kwh_per_m2(back) == pytest.approx(_annual_kwh_per_m2(synthetic_2026), rel=0.002)
    assert back["temp_air_c"].mean() == pytest.approx(synthetic_2026["temp_air_c"].mean(), abs=0.02)
    # PVGIS values are centred on the stamp: the GHI centroid moves half an hour earlier
    ghi_in, ghi_out = synthetic_2026["ghi_w_per_m2"], back["ghi_w_per_m2"]
    hours = np.arange(8760) + 0.5
    shift_h = (ghi_out * hours).sum() / ghi_out.sum() - (ghi_in * hours).sum() / ghi_in.sum()
    assert shift_h == pytest.approx(-0.5 + 0.1761, abs=0.05)


def test_pvgis_tmy_json(tmp_path: Path, synthetic_2026: pd.DataFrame) -> None:
    rows = [
        {
            "time(UTC)": f"2010{pd.Timestamp(t):%m%d:%H%M}",
            "T2m": r.temp_air_c,
            "RH": 70.0,
            "G(h)": r.ghi_w_per_m2,
            "Gb(n)": r.dni_w_per_m2,
            "Gd(h)": r.dhi_w_per_m2,
            "IR(h)": 300.0,
            "WS10m": r.wind_speed_m_per_s,
            "WD10m": 200.0,
            "SP": r.pressure_pa,
        }
        for t, r in synthetic_2026.iterrows()
    ]
    doc = {
        "inputs": {"location": {"latitude": LAT, "longitude": LON, "elevation": ALT}},
        "outputs": {
            "months_selected": [{"month": m, "year": 2010} for m in range(1, 13)],
            "tmy_hourly": rows,
        },
        "meta": {"inputs": {}},
    }
    path = tmp_path / "tmy.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    back = site_weather(_site("pvgis_tmy", path), _year(2026), RNG)
    assert _annual_kwh_per_m2(back) == pytest.approx(_annual_kwh_per_m2(synthetic_2026), rel=0.002)


# ------------------------------------------------------------------- errors
def test_missing_file_names_the_path_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(WeatherDataError, match=r"not found: .*nope\.epw.*weather\.path"):
        site_weather(_site("epw", tmp_path / "nope.epw"), _year(2026), RNG)


def test_csv_missing_column(tmp_path: Path, synthetic_2026: pd.DataFrame) -> None:
    path = _write_csv(tmp_path / "w.csv", synthetic_2026.iloc[:48], columns=["temp_air_c", "ghi_w_per_m2"])
    with pytest.raises(WeatherDataError, match=r"w\.csv.*lacks the column\(s\) \['wind_speed_m_per_s'\]"):
        read_weather_csv(path)


def test_csv_without_wind_height(tmp_path: Path, synthetic_2026: pd.DataFrame) -> None:
    path = _write_csv(tmp_path / "w.csv", synthetic_2026.iloc[:48], height_m=None)
    with pytest.raises(WeatherDataError, match="# wind_reference_height_m: 10"):
        read_weather_csv(path)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("temp_air_c", 75.0, r"'temp_air_c' = 75 °C is outside -60…60 °C at 2026-01-01 05:00"),
        ("ghi_w_per_m2", -3.0, r"'ghi_w_per_m2' = -3 W/m² is outside 0…1500 W/m²"),
        ("ghi_w_per_m2", 1600.0, r"'ghi_w_per_m2' = 1600 W/m² is outside"),
        ("wind_speed_m_per_s", np.nan, r"'wind_speed_m_per_s' is missing at"),
    ],
)
def test_csv_implausible_values(
    tmp_path: Path, synthetic_2026: pd.DataFrame, column: str, value: float, message: str
) -> None:
    bad = synthetic_2026.iloc[:48].copy()
    bad.iloc[5, bad.columns.get_loc(column)] = value
    path = _write_csv(tmp_path / "bad.csv", bad)
    with pytest.raises(WeatherDataError, match=message):
        read_weather_csv(path)


def test_csv_irregular_time_stamps(tmp_path: Path, synthetic_2026: pd.DataFrame) -> None:
    gappy = synthetic_2026.iloc[:48].drop(synthetic_2026.index[10])
    path = _write_csv(tmp_path / "gap.csv", gappy)
    with pytest.raises(WeatherDataError, match=r"fixed step.*Fill gaps"):
        read_weather_csv(path)


def test_csv_not_covering_the_period(tmp_path: Path, synthetic_2026: pd.DataFrame) -> None:
    path = _write_csv(tmp_path / "w.csv", synthetic_2026.loc["2026-07-01":"2026-07-07"])
    with pytest.raises(WeatherDataError, match=r"covers .* but the run needs"):
        site_weather(_site("csv", path), pd.date_range("2026-08-01", periods=24, freq="1h", tz="UTC"), RNG)


def test_epw_wrong_row_count(tmp_path: Path, synthetic_2026: pd.DataFrame) -> None:
    short = synthetic_2026.iloc[:100].copy()
    short.index = short.index.tz_localize(None)
    path = _write_epw(tmp_path / "short.epw", short)
    with pytest.raises(WeatherDataError, match="has 100 data rows; an hourly EPW has 8,760"):
        read_epw(path)


def test_epw_missing_value_code(tmp_path: Path, synthetic_2026: pd.DataFrame) -> None:
    local = synthetic_2026.copy()
    local.index = pd.date_range("2026-01-01", periods=8760, freq="1h")
    local.iloc[4000, local.columns.get_loc("ghi_w_per_m2")] = 9999.0
    path = _write_epw(tmp_path / "gap.epw", local)
    with pytest.raises(WeatherDataError, match=r"gap\.epw: column 'ghi_w_per_m2' = 9999 W/m².*9999"):
        read_epw(path)


def test_not_an_epw(tmp_path: Path) -> None:
    path = tmp_path / "junk.epw"
    path.write_text("hello\nworld\n", encoding="utf-8")
    with pytest.raises(WeatherDataError, match=r"junk\.epw"):
        read_epw(path)


def test_pvgis_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "tmy.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(WeatherDataError, match=r"suffix '\.txt'.*\.csv, \.json or \.epw"):
        read_pvgis_tmy(path)


def test_the_documented_example_is_readable(tmp_path: Path) -> None:
    """The CSV block in docs/weather-csv.md parses and passes the checks."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "weather-csv.md").read_text(encoding="utf-8")
    example = doc.split("```csv\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.csv"
    path.write_text(example, encoding="utf-8")
    wf = read_weather_csv(path)
    assert wf.wind_reference_height_m == 10.0 and wf.step == pd.Timedelta("1h") and len(wf.data) == 7
    assert set(wf.data.columns) == set(COLUMNS[:-1])
    times = pd.date_range("2026-07-01", periods=6, freq="1h", tz="UTC")
    weather = site_weather(_site("csv", path), times, RNG)
    assert weather["ghi_w_per_m2"].iloc[5] == pytest.approx(12.5)


def test_typical_year_with_its_own_29_february(tmp_path: Path) -> None:
    """A leap-year typical year keeps its own 29 Feb in leap years and drops it otherwise."""
    from dctwin.scenario.schema import ClimateNormals
    from dctwin.weather import synthetic_weather

    leap = synthetic_weather(LAT, LON, ALT, ClimateNormals(), _year(2028), np.random.default_rng(9))
    wf = read_weather_csv(_write_csv(tmp_path / "leap.csv", leap))
    assert wf.typical_year and len(wf.data) == 8784
    in_leap = file_weather(wf, LAT, LON, ALT, _year(2032))
    np.testing.assert_allclose(
        in_leap.loc["2032-02-29", "ghi_w_per_m2"], leap.loc["2028-02-29", "ghi_w_per_m2"], atol=1e-3
    )
    in_common = file_weather(wf, LAT, LON, ALT, _year(2030))
    assert len(in_common) == 8760
    np.testing.assert_allclose(
        in_common.loc["2030-03-01", "ghi_w_per_m2"], leap.loc["2028-03-01", "ghi_w_per_m2"], atol=1e-3
    )
