"""The economics part of the report: headline figures as the run's summary holds them, capex lines
that add up, cash-flow bars that add up to the free cash flow, and the build-out year by year."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dctwin.engine import run
from dctwin.report.economics import (
    build_out_chart,
    build_out_headline_table,
    build_out_phases_records,
    build_out_summary_table,
    capex_table_records,
    cash_flow_chart,
    cost_breakdown_chart,
    economics_figures,
    economics_headline_table,
    economics_key_figures,
    format_usd,
    has_economics,
    sensitivity_chart,
    sensitivity_records,
)
from dctwin.report.html import build_report
from dctwin.report.network import has_network
from dctwin.report.tables import format_quantity
from dctwin.results.model import Results
from dctwin.scenario import load_scenario
from dctwin.timeline import build_out

_WEEK = {"time.duration_days": 7, "time.start_date": "2026-03-02"}


@pytest.fixture(scope="module")
def week() -> Results:
    return run(load_scenario("morocco-500mw", **_WEEK))


@pytest.fixture(scope="module")
def ramp(week: Results) -> Results:
    """The week with the build-out timeline (each phase simulated for 2 days) attached."""
    timeline = build_out(load_scenario("morocco-500mw"), days=2)
    return dataclasses.replace(
        week,
        tables={**week.tables, **timeline.tables()},
        summary={**week.summary, "build_out": timeline.summary()},
    )


@pytest.fixture(scope="module")
def profile() -> Results:
    return run(load_scenario("morocco-500mw", it_load="profile", **{"time.duration_days": 2}))


def test_headline_capex_matches_the_summary_and_the_capex_lines(week: Results) -> None:
    e = week.summary["economics"]
    table = economics_headline_table(week)
    assert table is not None and table.headers == ("Metric", "Value")
    rows = dict(table.rows)
    capex_lines = float(week.tables["capex"]["capex_usd"].sum())
    assert capex_lines == pytest.approx(e["capex_usd"], rel=1e-9)
    assert rows["Capex"] == format_usd(e["capex_usd"]) == format_usd(capex_lines)
    assert rows["Capex"].endswith(" bn USD")
    capex = capex_table_records(week)
    assert capex is not None and capex.headers[-1] == "Source"
    assert len(capex.rows) == len(week.tables["capex"]) + 1
    assert capex.rows[-1][0] == "Total" and capex.rows[-1][-1] == rows["Capex"]
    assert all(r[-1] for r in capex.rows[:-1])  # every line names its source


def test_headline_cost_per_gpu_hour_and_the_rest_are_readable(week: Results) -> None:
    e = week.summary["economics"]
    rows = dict(economics_headline_table(week).rows)
    assert rows["Cost per GPU-hour"] == f"{e['cost_usd_per_gpu_h']:.2f} USD/GPU-h"
    assert rows["Cost per GPU-hour"] == format_quantity("cost_usd_per_gpu_h", e["cost_usd_per_gpu_h"])
    assert rows["GPUs"] == f"{round(e['gpus']):,d}"
    assert rows["EBITDA margin"] == f"{100 * e['ebitda_margin_frac']:.1f} %"
    assert rows["Payback"] == f"{e['payback_yr']:.1f} yr"
    assert rows["LCOE of the renewable supply"].endswith(" USD/MWh")
    assert rows["Revenue"].endswith(" USD/yr") and rows["Basis"] == e["basis"]
    assert [k for k, _ in economics_key_figures(week)] == [
        "GPUs", "Facility power", "Capex", "Cost per GPU-hour", "Payback",
    ]  # fmt: skip


def test_format_usd_scales() -> None:
    assert format_usd(1_267_954_062.4) == "1.27 bn USD"
    assert format_usd(940_614_567.1, "yr") == "940.6 M USD/yr"
    assert format_usd(-5.93e9) == "−5.93 bn USD"
    assert format_usd(None) == "—" and format_usd(float("nan")) == "—"


def test_cost_breakdown_waterfall_ends_at_the_cost_per_gpu_hour(week: Results) -> None:
    (waterfall,) = cost_breakdown_chart(week).data[:1]
    assert waterfall.type == "waterfall" and waterfall.x[-1] == "Total"
    assert waterfall.y[-1] == pytest.approx(week.summary["economics"]["cost_usd_per_gpu_h"], rel=1e-6)
    assert sum(waterfall.y[:-1]) == pytest.approx(waterfall.y[-1])


def _bars_by_year(fig) -> tuple[np.ndarray, np.ndarray]:
    bars = np.sum([np.asarray(t.y, dtype=float) for t in fig.data if t.type == "bar"], axis=0)
    fcf = next(t for t in fig.data if t.name == "Free cash flow")
    return bars, np.asarray(fcf.y, dtype=float)


def test_cash_flow_bars_add_up_to_the_free_cash_flow(week: Results, ramp: Results) -> None:
    steady = cash_flow_chart(week)
    assert "steady state" in steady.layout.title.text
    bars, fcf = _bars_by_year(steady)
    np.testing.assert_allclose(bars, fcf, rtol=1e-9, atol=1e-9)
    whole = cash_flow_chart(ramp)
    assert "build-out" in whole.layout.title.text
    assert len(whole.data[0].x) == len(ramp.tables["build_out_cash_flows"])
    bars, fcf = _bars_by_year(whole)
    np.testing.assert_allclose(bars, fcf, rtol=1e-9, atol=1e-9)


def test_build_out_table_one_row_per_year(week: Results, ramp: Results) -> None:
    assert build_out_headline_table(week) is None and build_out_summary_table(week) is None
    table = build_out_headline_table(ramp)
    years = ramp.tables["build_out_years"]
    assert table is not None and len(table.rows) == len(years)
    assert table.headers[:4] == ("Year", "Phase", "Facility [MW]", "GPUs")
    assert table.rows[0][1] == "construction" and table.rows[0][2] == "–"
    last = dict(zip(table.headers, table.rows[-1], strict=True))
    cash = years["cumulative_cash_usd"].iloc[-1] / 1e6
    assert last["Cumulative cash [M USD]"] == f"{cash:,.0f}".replace("-", "−")
    summary = dict(build_out_summary_table(ramp).rows)
    assert summary["Final facility power"] == "500 MW"
    assert summary["Peak funding need"] == format_usd(ramp.summary["build_out"]["peak_funding_usd"])


def test_figures_and_the_build_out_chart(week: Results, ramp: Results) -> None:
    assert len(economics_figures(week)) == 3  # cost breakdown, cash flows, sensitivity
    figures = economics_figures(ramp)
    assert len(figures) == 4
    chart = build_out_chart(ramp)
    titles = [a.text for a in chart.layout.annotations]
    assert titles == ["Capacity", "Energy supply and emissions", "Revenue and EBITDA", "Cash position"]
    power = next(t for t in chart.data if t.name == "Facility power [MW]")
    assert max(v for v in power.y if v == v) == 500.0


def test_html_economics_section_and_key_figures(ramp: Results) -> None:
    html = build_report(ramp)
    assert '<section id="economics">' in html and 'href="#economics"' in html
    for heading in ("Capex, line by line, with sources", "Build-out: the campus year by year"):
        assert heading in html
    summary = html[html.index('<section id="summary">') : html.index("</section>")]
    assert '<div class="kpis">' in summary
    assert format_usd(ramp.summary["economics"]["capex_usd"]) in summary


def test_profile_run_has_economics_but_no_network(profile: Results) -> None:
    assert has_economics(profile) and not has_network(profile)
    html = build_report(profile)
    assert '<section id="economics">' in html
    assert '<section id="network">' not in html and '<section id="workload">' not in html
    rows = dict(economics_headline_table(profile).rows)
    assert "Cost per million tokens" not in rows  # no inference served in a profile run


def test_old_runs_without_economics_skip_the_section(two_sites: Results) -> None:
    assert not has_economics(two_sites) and economics_headline_table(two_sites) is None
    assert economics_figures(two_sites) == [] and economics_key_figures(two_sites) == []
    html = build_report(two_sites)
    assert '<section id="economics">' not in html and '<section id="network">' not in html
    assert '<div class="kpis">' not in html


def test_sensitivity_table_and_tornado_follow_the_stored_table(week: Results, ramp: Results) -> None:
    """The run's own sensitivity without a build-out; the ramp's when there is one."""
    table = sensitivity_records(week)
    frame = week.tables["economics_sensitivity"]
    assert table.rows[0][0] == "Base case" and len(table.rows) == len(frame)
    prices = next(r for r in table.rows if r[0].startswith("Selling prices"))
    row = frame[frame["driver"] == "prices"].iloc[0]
    assert prices[2] == f"{format_usd(row['npv_low_usd'])} / {format_usd(row['npv_high_usd'])}"
    tornado = sensitivity_chart(ramp)
    assert "whole build-out" in tornado.layout.title.text
    low = next(t for t in tornado.data if t.name == "driver at its low")
    stored = ramp.tables["build_out_sensitivity"].iloc[1:].iloc[::-1]
    base = ramp.tables["build_out_sensitivity"]["npv_low_usd"].iloc[0]
    np.testing.assert_allclose(low.x, (stored["npv_low_usd"] - base) / 1e9)


def test_each_phase_row_is_its_own_runs_economics(ramp: Results) -> None:
    table = build_out_phases_records(ramp)
    phases = ramp.tables["build_out_phases"]
    assert [r[0] for r in table.rows] == list(phases["phase"])
    assert table.rows[-1][1] == "500" and table.rows[-1][3] == format_usd(phases["capex_usd"].iloc[-1])
