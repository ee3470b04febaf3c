"""Charts: every figure's numbers traced back to the time series they come from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dctwin.metrics import hourly_cfe
from dctwin.report import charts
from dctwin.report.charts import (
    CHART_TITLES,
    SUPPLY,
    SURPLUS,
    cfe_heatmap_chart,
    daily_energy_mwh,
    energy_unit,
    flows_frame,
    hourly_cfe_frame,
    lowest_clean_week,
    monthly_energy_mwh,
    report_figures,
)
from dctwin.results.model import Results

TZ = "Africa/Casablanca"


def _traces(fig):  # name → trace
    return {t.name: t for t in fig.data}


def _factor(fig) -> float:
    """MWh per plotted unit, from the y-axis title."""
    title = fig.layout.yaxis.title.text
    assert "GWh" in title or "MWh" in title, title
    return 1000.0 if "GWh" in title else 1.0


def _frames(results: Results):
    yield None, flows_frame(results)
    for site in results.sites:
        yield site, results.site_frame(site)


# ---------------------------------------------------------------------- energy balance
@pytest.mark.parametrize("name", ["two_sites", "one_site_15min"])
def test_daily_energy_sums_equal_timeseries_energy(name, request):
    results: Results = request.getfixturevalue(name)
    dt_h = results.scenario.time.dt_h
    for _, frame in _frames(results):
        daily = daily_energy_mwh(frame, dt_h, TZ)
        for col in [*SUPPLY, *SURPLUS, "facility_load_mw"]:
            expected = frame[col].sum() * dt_h
            got = daily[col.removesuffix("_mw") + "_mwh"].sum()
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-6), col


@pytest.mark.parametrize("name", ["two_sites", "one_site_15min"])
def test_energy_balance_chart_traces_sum_to_timeseries(name, request):
    results: Results = request.getfixturevalue(name)
    dt_h = results.scenario.time.dt_h
    for _, frame in _frames(results):
        fig = charts.energy_balance_chart(frame, dt_h, TZ)
        traces, f = _traces(fig), _factor(fig)
        for col, (label, _) in {**SUPPLY, **SURPLUS}.items():
            if col == "load_shed_mw":
                assert label not in traces  # nothing was shed
                continue
            sign = 1.0 if col in SUPPLY else -1.0
            got = sign * np.sum(traces[label].y) * f
            assert got == pytest.approx(frame[col].sum() * dt_h, abs=1e-6), label
        load = np.asarray(traces["Facility load"].y) * f
        assert load.sum() == pytest.approx(frame["facility_load_mw"].sum() * dt_h, abs=1e-6)
        # The energy balance closes every local day: supply − surplus uses = load.
        bars = sum(np.asarray(t.y) for t in fig.data if t.type == "bar") * f
        np.testing.assert_allclose(bars, load, atol=1e-6)


def test_daily_energy_uses_local_days(two_sites):
    frame = two_sites.site_frame("north")
    daily = daily_energy_mwh(frame, 1.0, TZ)
    # 2028-01-22 00:00 UTC is 01:00 local (UTC+1): the first local day has 23 steps.
    first_day = frame.loc[: pd.Timestamp("2028-01-22 22:00", tz="UTC"), "solar_mw"].sum()
    assert daily.index[0] == pd.Timestamp("2028-01-22")
    assert daily["solar_mwh"].iloc[0] == pytest.approx(first_day)


def test_energy_unit_switches_to_gwh():
    assert energy_unit(9_999.0) == ("MWh", 1.0)
    assert energy_unit(10_000.0) == ("GWh", 1e-3)


# ------------------------------------------------------------------------ monthly mix
@pytest.mark.parametrize("name", ["two_sites", "one_site_15min"])
def test_monthly_mix_bars_sum_to_monthly_energy(name, request):
    results: Results = request.getfixturevalue(name)
    dt_h = results.scenario.time.dt_h
    for _, frame in _frames(results):
        fig = charts.monthly_mix_chart(frame, dt_h, TZ)
        traces, f = _traces(fig), _factor(fig)
        local = frame.index.tz_convert(TZ)
        month = local.strftime("%b %Y")
        # Both fixtures cover parts of two months.
        assert list(traces["Solar"].x) == [f"{m} (partial)" for m in dict.fromkeys(month)]
        assert len(traces["Solar"].x) == 2
        supply = frame[["solar_mw", "wind_mw", "battery_discharge_mw", "grid_import_mw"]]
        expected = (supply.sum(axis=1) * dt_h).groupby(month, sort=False).sum()
        bars = sum(np.asarray(t.y) for t in fig.data if t.type == "bar") * f
        np.testing.assert_allclose(bars, expected.to_numpy(), rtol=1e-12, atol=1e-6)
        load = (frame["facility_load_mw"] * dt_h).groupby(month, sort=False).sum()
        np.testing.assert_allclose(np.asarray(traces["Facility load"].y) * f, load.to_numpy())
        wind = (frame["wind_mw"] * dt_h).groupby(month, sort=False).sum()
        np.testing.assert_allclose(np.asarray(traces["Wind"].y) * f, wind.to_numpy())


def test_monthly_energy_months_are_local():
    # 31 Jan 23:30 UTC is 1 Feb 00:30 in Casablanca in winter (UTC+1, outside Ramadan).
    idx = pd.DatetimeIndex(["2027-01-31 22:30", "2027-01-31 23:30"], tz="UTC", name="time_utc")
    frame = pd.DataFrame({"solar_mw": [1.0, 2.0], "facility_load_mw": [1.0, 2.0]}, index=idx)
    monthly = monthly_energy_mwh(frame, 1.0, TZ)
    assert monthly["solar_mwh"].to_dict() == {
        pd.Period("2027-01", "M"): 1.0,
        pd.Period("2027-02", "M"): 2.0,
    }


# ------------------------------------------------------------------------------- week
def _brute_force_lowest_week(frame: pd.DataFrame, dt_h: float):
    steps_day = round(24 / dt_h)
    best = None
    for k in range(0, len(frame) - 7 * steps_day + 1, steps_day):
        part = frame.iloc[k : k + 7 * steps_day]
        share = part["clean_supply_mw"].sum() / part["facility_load_mw"].sum()
        if best is None or share < best[1]:
            best = (frame.index[k], share)
    return best


@pytest.mark.parametrize("name", ["two_sites", "one_site_15min", "no_battery"])
def test_week_is_the_one_with_lowest_clean_share(name, request):
    results: Results = request.getfixturevalue(name)
    dt_h = results.scenario.time.dt_h
    for _, frame in _frames(results):
        week = lowest_clean_week(frame, dt_h)
        start, share = _brute_force_lowest_week(frame, dt_h)
        assert week.start_utc == start
        assert week.end_utc == start + pd.Timedelta(days=7)
        assert week.clean_share_frac == pytest.approx(share)


def test_week_contains_the_dark_calm_days(make_results):
    # Days 9 and 10 have little sun and wind; the darkest window holds both.
    results = make_results(sites=["nouaceur"], days=14, low_days=(9, 10))
    week = lowest_clean_week(results.site_frame("nouaceur"), 1.0)
    first = pd.Timestamp(results.scenario.time.start_date, tz="UTC")
    assert week.start_utc <= first + pd.Timedelta(days=9)
    assert week.end_utc >= first + pd.Timedelta(days=11)


def test_week_chart_is_the_week_at_full_resolution(one_site_15min):
    frame = one_site_15min.site_frame("nouaceur")
    fig = charts.week_chart(frame, 0.25, TZ, "Nouaceur")
    week = lowest_clean_week(frame, 0.25)
    x = pd.DatetimeIndex(_traces(fig)["Solar"].x)
    assert len(x) == 7 * 96  # every 15-min step of the week
    assert x[0] == week.start_utc.tz_convert(TZ).tz_localize(None)
    assert fig.layout.title.text.startswith(charts.TITLE_WEEK)
    assert f"{week.clean_share_frac:.0%}" in fig.layout.title.text
    assert fig.layout.xaxis.rangeslider.visible is True
    part = frame[(frame.index >= week.start_utc) & (frame.index < week.end_utc)]
    np.testing.assert_allclose(_traces(fig)["Facility load"].y, part["facility_load_mw"])


def test_week_shorter_run_uses_whole_run_and_empty_run_raises():
    idx = pd.date_range("2028-01-01", periods=48, freq="h", tz="UTC", name="time_utc")
    frame = pd.DataFrame({"clean_supply_mw": 1.0, "facility_load_mw": 4.0}, index=idx)
    week = lowest_clean_week(frame, 1.0)
    assert (week.start_utc, week.end_utc) == (idx[0], idx[0] + pd.Timedelta(hours=48))
    assert week.clean_share_frac == pytest.approx(0.25)
    with pytest.raises(ValueError, match="empty"):
        lowest_clean_week(frame.iloc[:0], 1.0)


# --------------------------------------------------------------------------- heat-map
def _cell(fig, local: pd.Timestamp) -> float:
    heat = fig.data[0]
    col = list(pd.DatetimeIndex(heat.x)).index(local.normalize())
    return float(np.asarray(heat.z)[local.hour, col])


@pytest.mark.parametrize("name", ["two_sites", "one_site_15min"])
def test_heatmap_values_equal_hourly_cfe_in_local_time(name, request):
    results: Results = request.getfixturevalue(name)
    dt_h = results.scenario.time.dt_h
    for site in results.sites:
        share = results.scenario.sites[results.sites.index(site)].grid.clean_share_frac
        hourly = hourly_cfe(results.site_frame(site), dt_h, share)
        fig = cfe_heatmap_chart(hourly_cfe_frame(results, site), TZ)
        local = hourly.index.tz_convert(TZ).tz_localize(None)
        repeated = local.duplicated(keep=False)
        for t, value, twice in zip(local, hourly["cfe_frac"], repeated, strict=True):
            if not twice:
                assert _cell(fig, t) == pytest.approx(value, abs=1e-12)
        assert np.nanmin(np.asarray(fig.data[0].z, dtype=float)) >= 0.0
        assert np.nanmax(np.asarray(fig.data[0].z, dtype=float)) <= 1.0


def test_heatmap_hour_is_local_hour_across_ramadan_switch_back(two_sites):
    # 2028-01-23 02:00 UTC: Casablanca goes from UTC+1 to UTC+0 (Ramadan).
    hourly = hourly_cfe_frame(two_sites)
    fig = cfe_heatmap_chart(hourly, TZ)
    before = pd.Timestamp("2028-01-22 12:00", tz="UTC")
    after = pd.Timestamp("2028-01-25 12:00", tz="UTC")
    assert _cell(fig, pd.Timestamp("2028-01-22 13:00")) == hourly.loc[before, "cfe_frac"]
    assert _cell(fig, pd.Timestamp("2028-01-25 12:00")) == hourly.loc[after, "cfe_frac"]
    # Local 02:00 on 23 Jan happens twice (01:00 and 02:00 UTC): load-weighted merge.
    both = hourly.loc[pd.date_range("2028-01-23 01:00", periods=2, freq="h", tz="UTC")]
    merged = both["cfe_mwh"].sum() / both["load_mwh"].sum()
    assert _cell(fig, pd.Timestamp("2028-01-23 02:00")) == pytest.approx(merged)
    assert _cell(fig, pd.Timestamp("2028-01-23 02:00")) != pytest.approx(both["cfe_frac"].iloc[1])


def test_heatmap_hour_is_local_hour_across_switch_forward(one_site_15min):
    # 2028-03-05 02:00 UTC: back to UTC+1, local 02:00–03:00 does not exist.
    hourly = hourly_cfe_frame(one_site_15min)
    fig = cfe_heatmap_chart(hourly, TZ)
    before = hourly.loc[pd.Timestamp("2028-03-04 12:00", tz="UTC"), "cfe_frac"]
    after = hourly.loc[pd.Timestamp("2028-03-06 12:00", tz="UTC"), "cfe_frac"]
    assert _cell(fig, pd.Timestamp("2028-03-04 12:00")) == before
    assert _cell(fig, pd.Timestamp("2028-03-06 13:00")) == after
    assert np.isnan(_cell(fig, pd.Timestamp("2028-03-05 02:00")))
    assert fig.layout.yaxis.title.text == "local hour of day"


def test_campus_heatmap_is_load_weighted_over_sites(two_sites):
    campus = hourly_cfe_frame(two_sites)
    parts = [hourly_cfe_frame(two_sites, s) for s in two_sites.sites]
    expected = sum(p["cfe_mwh"] for p in parts) / sum(p["load_mwh"] for p in parts)
    np.testing.assert_allclose(campus["cfe_frac"], expected)
    total = sum(p["cfe_mwh"].sum() for p in parts) / sum(p["load_mwh"].sum() for p in parts)
    assert total == pytest.approx(two_sites.summary["campus"]["hourly_cfe_score_frac"])


# -------------------------------------------------------------------------------- PUE
def test_pue_chart_hourly_points_by_month_with_design_line(one_site_15min):
    frame = one_site_15min.site_frame("nouaceur")
    fig = charts.pue_temperature_chart(frame, 0.25, TZ, 43.0)
    assert [t.name for t in fig.data] == ["Feb", "Mar"]
    x = np.concatenate([np.asarray(t.x) for t in fig.data])
    y = np.concatenate([np.asarray(t.y) for t in fig.data])
    hours = frame.index.floor("h")
    assert len(x) == hours.nunique()  # downsampled to hours
    fac = frame["facility_load_mw"].groupby(hours).sum()
    it = frame["it_load_mw"].groupby(hours).sum()
    np.testing.assert_allclose(np.sort(y), np.sort((fac / it).to_numpy()))
    np.testing.assert_allclose(np.sort(x), np.sort(frame["temp_air_c"].groupby(hours).mean()))
    (line,) = fig.layout.shapes
    assert line.x0 == line.x1 == 43.0
    assert "43" in fig.layout.annotations[0].text


def test_pue_chart_design_line_comes_from_scenario(two_sites):
    figs = report_figures(two_sites, "north")
    pue = next(f for f in figs if f.layout.title.text.startswith(charts.TITLE_PUE))
    design = two_sites.scenario.sites[1].cooling.design_dry_bulb_c
    assert pue.layout.shapes[0].x0 == design


# -------------------------------------------------------------------------------- SoC
def test_soc_chart_is_end_of_hour_soc(one_site_15min):
    frame = one_site_15min.site_frame("nouaceur")
    fig = charts.battery_soc_chart(frame, 0.25, TZ, 32.0)
    (trace,) = fig.data
    on_hour = frame.iloc[3::4]  # the step ending on each full hour
    np.testing.assert_allclose(trace.y, on_hour["battery_soc_frac"])
    ends = (on_hour.index + pd.Timedelta(minutes=15)).tz_convert(TZ).tz_localize(None)
    assert list(pd.DatetimeIndex(trace.x)) == list(ends)


def test_campus_soc_is_total_energy_over_total_capacity(two_sites):
    campus = flows_frame(two_sites)
    total = sum(two_sites.site_frame(s)["battery_soc_mwh"] for s in two_sites.sites)
    np.testing.assert_allclose(campus["battery_soc_frac"], total / 72.0)


def test_zero_battery_says_no_battery(no_battery):
    figs = report_figures(no_battery)
    soc = next(f for f in figs if f.layout.title.text.startswith(charts.TITLE_SOC))
    assert "no battery" in soc.layout.title.text
    assert len(soc.data) == 0
    assert soc.layout.annotations[0].text == "no battery"


# ----------------------------------------------------------------------------- report
def test_report_figures_order_and_titles(two_sites, no_battery):
    campus = [f.layout.title.text for f in report_figures(two_sites)]
    no_pue = [t for t in CHART_TITLES if t != charts.TITLE_PUE]
    assert [t.split(" — ")[0] for t in campus] == no_pue
    assert all("Campus" in t for t in campus)
    site = [f.layout.title.text for f in report_figures(two_sites, "nouaceur")]
    assert [t.split(" — ")[0] for t in site] == list(CHART_TITLES)
    assert all("Nouaceur (Casablanca)" in t for t in site)
    single = [f.layout.title.text for f in report_figures(no_battery)]
    assert [t.split(" — ")[0] for t in single] == list(CHART_TITLES)


def test_time_axes_are_local(two_sites):
    fig = charts.energy_balance_chart(flows_frame(two_sites), 1.0, TZ)
    assert TZ in fig.layout.xaxis.title.text
    assert pd.DatetimeIndex(fig.data[0].x)[0] == pd.Timestamp("2028-01-22")


def test_unknown_site_error_names_the_sites(two_sites):
    other = two_sites.scenario.model_copy(update={"sites": two_sites.scenario.sites[:1]})
    broken = Results(other, two_sites.timeseries, {"campus": {}, "sites": {}})
    with pytest.raises(ValueError, match=r"'north'.*\['nouaceur'\]"):
        hourly_cfe_frame(broken)


def test_month_labels_mark_partial_months(make_results):
    results = make_results(start="2028-01-01", days=366, sites=["north"], low_days=(40, 41))
    fig = charts.monthly_mix_chart(results.site_frame("north"), 1.0, TZ)
    labels = list(fig.data[0].x)
    # 2028-01-01 00:00 UTC is 01:00 local, so the run ends at 01:00 local on 1 Jan 2029;
    # March loses the hour the clocks skip and still counts as full.
    assert labels[:3] == ["Jan 2028", "Feb 2028", "Mar 2028"]
    assert labels[-2:] == ["Dec 2028", "Jan 2029 (partial)"]
    assert _factor(fig) == 1000.0  # monthly energies of 20 MW are GWh
