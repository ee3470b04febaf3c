"""The economics of a twin run and of the build-out timeline, end to end.

What is checked against what:

* the capex table is the model's capex line by line (its sum per class equals
  :func:`dctwin.economics.placed_capex_usd`), and every line names its source;
* the run's flows are annualised exactly (8760 h ÷ the simulated span);
* the headline cost per GPU-hour equals Σ cost items ÷ GPU-hours of the breakdown table;
* the build-out places each phase's capex in the year before the phase's first full year
  (``capex_lead_yr`` = 1) and its cumulative cash is the running sum of free cash flows.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from dctwin.economics import placed_capex_usd
from dctwin.economics_inputs import annual_scale, capex_table, placed_in_service, run_year_inputs
from dctwin.engine import run
from dctwin.errors import ScenarioError
from dctwin.results import RunStore
from dctwin.results.model import Results
from dctwin.scenario import load_scenario
from dctwin.scenario.network import with_cable_cuts
from dctwin.timeline import Timeline, build_out, phase_years, year_inputs

DAYS = 7


@pytest.fixture(scope="module")
def week() -> Results:
    return run(load_scenario("morocco-500mw", **{"time.duration_days": DAYS}))


@pytest.fixture(scope="module")
def ramp() -> Timeline:
    return build_out(load_scenario("morocco-500mw"), days=3)


def test_a_run_carries_its_economics(week: Results) -> None:
    e = week.summary["economics"]
    for key in ("capex_usd", "cost_usd_per_gpu_h", "cost_usd_per_mtok", "npv_usd", "irr_frac", "payback_yr"):
        assert isinstance(e[key], float) and math.isfinite(e[key]), key
    assert e["gpus"] == week.summary["campus"]["gpus"] == 16632
    assert {"capex", "cost_breakdown", "cash_flows", "economics_sensitivity"} <= set(week.tables)
    assert "economics" in week.metadata["timings_s"]


def test_the_capex_table_recomputed_by_hand_from_the_catalogue(week: Results) -> None:
    """Phase 1: 231 GB200 NVL72 racks, 34.65 MW IT, 85 % liquid-cooled (hardware.toml).

    Unit costs from campus_costs.toml: $3.0 M per rack (UDN via TweakTown, May 2024),
    $160 k storage per rack, fabric 13.3 % of the racks (Bernstein 2025), M&E $7.37 M and
    building $4.33 M per IT MW (Cushman & Wakefield 2025) × (1 + 8.5 % × 0.85) × 1.10.
    """
    racks, it_mw = 231, 231 * 0.150
    factor = (1 + 0.085 * 0.85) * 1.10
    by_hand = {
        "it": racks * 3.0e6 + racks * 160_000.0,
        "network": 0.133 * racks * 3.0e6,
        "power_cooling": it_mw * 7.37e6 * factor,
        "building": it_mw * 4.33e6 * factor,
    }
    table = week.tables["capex"]
    by_class = table.groupby("asset_class")["capex_usd"].sum()
    for cls, usd in by_hand.items():
        assert by_class[cls] == pytest.approx(usd, rel=1e-12), cls
    assert table[table["unit_cost_usd"] > 0]["asset_class"].isin(by_hand).all()  # PPA: no energy capex
    assert week.summary["economics"]["capex_usd"] == pytest.approx(sum(by_hand.values()), rel=1e-12)
    year = run_year_inputs(week, 2026, placed_in_service(week))
    model = placed_capex_usd(year, week.scenario.economics, week.scenario.costs)
    assert sum(model.values()) == pytest.approx(sum(by_hand.values()), rel=1e-12)
    line = table[table["item"] == "gb200-nvl72 racks"].iloc[0]
    assert "TweakTown" in line["source"]


def test_every_capex_line_names_its_source(week: Results) -> None:
    for _, line in week.tables["capex"].iterrows():
        assert line["source"] and "no source" not in line["source"], line["item"]


def test_an_overridden_unit_cost_is_marked_as_the_scenarios() -> None:
    sc = load_scenario(
        "morocco-500mw", **{"time.duration_days": 2, "economics.facility.building_usd_per_it_mw": 5.0e6}
    )
    results = run(sc)
    table = capex_table(run_year_inputs(results, 2026, placed_in_service(results)), sc)
    building = table[table["asset_class"] == "building"].iloc[0]
    assert building["unit_cost_usd"] == 5.0e6
    assert building["source"].startswith("scenario override (catalogue campus_costs.toml has 4330000.0)")


def test_flows_are_annualised_by_the_simulated_span(week: Results) -> None:
    assert annual_scale(week) == pytest.approx(8760.0 / (DAYS * 24))
    year = run_year_inputs(week, 2026)
    raw_gpu_h = (
        week.tables["jobs"]["gpu_h"].sum()
        + week.timeseries["swarm_gpus"].sum()
        + week.timeseries["inference_gpus"].sum()
    )  # dt = 1 h
    assert sum(year.gpu_h_delivered.values()) == pytest.approx(raw_gpu_h * annual_scale(week), rel=1e-9)
    assert year.ppa_mwh == pytest.approx(
        week.summary["campus"]["renewable_delivered_mwh"] * annual_scale(week), rel=1e-12
    )
    assert sum(year.product_shares.values()) == pytest.approx(1.0)


def test_gpu_hours_are_sold_as_measured_inference_and_spot_and_the_contract_mix(week: Results) -> None:
    """Inference and preemptible GPU-hours as run; the rest in the catalogue's contract ratio."""
    year = run_year_inputs(week, 2026)
    shares, mix = year.product_shares, week.scenario.services.mix
    jobs = week.tables["jobs"]
    total = sum(year.gpu_h_delivered.values()) / annual_scale(week)
    spot = jobs.loc[jobs["qos"] == "preemptible", "gpu_h"].sum()
    assert shares["spot"] == pytest.approx(spot / total, rel=1e-9)
    assert shares["inference"] == pytest.approx(week.timeseries["inference_gpus"].sum() / total, rel=1e-9)
    assert shares["reserved"] / shares["on_demand"] == pytest.approx(mix.reserved_frac / mix.on_demand_frac)
    assert shares["managed_training"] / shares["reserved"] == pytest.approx(
        mix.managed_training_frac / mix.reserved_frac
    )


def test_headline_cost_per_gpu_hour_is_the_breakdown_over_its_gpu_hours(week: Results) -> None:
    e, items = week.summary["economics"], week.tables["cost_breakdown"]
    assert items["usd_per_yr"].sum() / e["gpu_h_per_yr"] == pytest.approx(e["cost_usd_per_gpu_h"], rel=1e-12)
    assert items["usd_per_gpu_h"].sum() == pytest.approx(e["cost_usd_per_gpu_h"], rel=1e-12)
    assert items["share_frac"].sum() == pytest.approx(1.0)
    # capital dominates an AI campus: the IT annuity alone is the largest item
    assert items.set_index("item")["usd_per_yr"].idxmax() == "capital_it"


def test_a_run_cash_flow_is_its_phase_built_at_once_then_operated(week: Results) -> None:
    flows = week.tables["cash_flows"]
    econ = week.scenario.economics
    assert len(flows) == econ.horizon_yr + econ.capex_lead_yr
    assert flows["capex_usd"].iloc[0] == pytest.approx(week.summary["economics"]["capex_usd"])
    assert flows["revenue_usd"].iloc[0] == 0.0
    np.testing.assert_allclose(flows["cumulative_cash_usd"], flows["free_cash_flow_usd"].cumsum())


def test_the_build_out_places_each_phase_the_year_before_it_serves(ramp: Timeline) -> None:
    years = ramp.years.set_index("year")
    assert years.loc[2025, "phase"] == "construction"
    # phases online 2025-12-31, 2027-12-31, 2029-12-31, 2031-12-31: first full years 2026/28/30/32
    assert [years.loc[y, "phase"] for y in (2026, 2028, 2030, 2032)] == [f"phase-{i}" for i in range(1, 5)]
    assert [years.loc[y, "facility_power_mw"] for y in (2026, 2028, 2030, 2032)] == [
        40.0,
        100.0,
        250.0,
        500.0,
    ]
    for y in (2025, 2027, 2029, 2031):
        assert years.loc[y, "capex_usd"] > 1e9, y
    phase1 = ramp.runs["phase-1"].summary["economics"]["capex_usd"]
    assert years.loc[2025, "capex_usd"] == pytest.approx(phase1, rel=1e-12)
    assert len(ramp.years) == ramp.runs["phase-1"].scenario.economics.horizon_yr + 1
    np.testing.assert_allclose(years["cumulative_cash_usd"], years["free_cash_flow_usd"].cumsum())


def test_the_build_out_scales_the_representative_days_to_a_year(ramp: Timeline) -> None:
    """3 simulated days per phase stand for 365: energy and emissions × 8760 / 72."""
    years = ramp.years.set_index("year")
    campus = ramp.runs["phase-1"].summary["campus"]
    for key in ("facility_load_mwh", "grid_import_mwh", "emissions_location_t"):
        assert years.loc[2026, key] == pytest.approx(campus[key] * 8760 / 72, rel=1e-12), key
    assert years.loc[2026, "hourly_cfe_score_frac"] == campus["hourly_cfe_score_frac"]  # a ratio


def test_the_build_out_summary_is_the_ramp(ramp: Timeline) -> None:
    s = ramp.summary()
    assert (s["final_facility_power_mw"], s["final_gpus"]) == (500.0, ramp.years["gpus"].max())
    assert s["peak_funding_usd"] == pytest.approx(-ramp.years["cumulative_cash_usd"].min())
    assert s["capex_usd"] == pytest.approx(ramp.years["capex_usd"].sum())
    assert set(ramp.tables()) == {
        "build_out_years", "build_out_phases", "build_out_cash_flows", "build_out_sensitivity",
    }  # fmt: skip
    phases = ramp.phases().set_index("phase")
    assert list(phases["facility_power_mw"]) == [40.0, 100.0, 250.0, 500.0]
    # each phase seen as a campus built at once costs what its own run says
    for phase, results in ramp.runs.items():
        assert phases.loc[phase, "capex_usd"] == results.summary["economics"]["capex_usd"]
    assert phases["capex_usd"].is_monotonic_increasing


def test_a_phase_the_timeline_skips_is_placed_with_the_next() -> None:
    """Phase 2 online mid-2027 and phase 3 on 2027-12-31: 1 Jan 2028 sees phase 3 only."""
    sc = load_scenario("morocco-500mw")
    phases = [p.model_copy() for p in sc.phases]
    phases[1] = phases[1].model_copy(update={"online_date": dt.date(2027, 6, 30)})
    phases[2] = phases[2].model_copy(update={"online_date": dt.date(2027, 12, 31)})
    sc = sc.model_copy(update={"phases": phases})
    plan = phase_years(sc, 3)
    assert plan == [(2026, "phase-1"), (2027, "phase-1"), (2028, "phase-3")]
    short = sc.model_copy(update={"time": sc.time.model_copy(update={"duration_days": 1})})
    runs = {p: run(short.model_copy(update={"phase": p})) for p in ("phase-1", "phase-3")}
    inputs = year_inputs(sc, plan, runs)
    assert inputs[2].it_mw_added == pytest.approx(
        placed_in_service(runs["phase-3"], {"phase-2", "phase-3"})["it_mw_added"]
    )
    assert inputs[1].it_mw_added == 0.0


def test_a_cut_of_an_unknown_cable_names_the_option_and_the_cables() -> None:
    sc = load_scenario("morocco-500mw")
    with pytest.raises(ScenarioError, match=r"--cut: unknown cable 'atlas'; did you mean 'atlas-offshore'"):
        with_cable_cuts(sc, ["atlas"])


def test_a_cut_lasts_the_whole_run_and_keeps_the_scenarios_outages() -> None:
    sc = load_scenario("morocco-500mw", **{"time.duration_days": 3})
    cut = with_cable_cuts(sc, ["loukkos"])
    (outage,) = cut.network.outages
    assert outage.cable == "loukkos"
    assert outage.start_utc == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert outage.end_utc - outage.start_utc == dt.timedelta(days=3)
    assert len(with_cable_cuts(cut, ["medusa"]).network.outages) == 2


def test_the_sensitivity_moves_npv_the_way_each_driver_should(week: Results) -> None:
    t = week.tables["economics_sensitivity"].set_index("driver")
    base = t.loc["base", "npv_low_usd"]
    assert base == pytest.approx(week.summary["economics"]["npv_usd"])
    for driver in ("prices", "utilisation"):  # more revenue → more value
        assert t.loc[driver, "npv_low_usd"] < base < t.loc[driver, "npv_high_usd"], driver
    for driver in ("capex", "energy_prices", "wacc"):  # more cost → less value
        assert t.loc[driver, "npv_low_usd"] > base > t.loc[driver, "npv_high_usd"], driver
    # capex ×1.2 raises the capital items of the cost per GPU-hour by 20 %, opex unchanged
    items = week.tables["cost_breakdown"].set_index("item")["usd_per_gpu_h"]
    capital = items[[i for i in items.index if i.startswith("capital_")]].sum()
    maintenance_insurance = items[["maintenance", "insurance"]].sum()
    expected = t.loc["base", "cost_usd_per_gpu_h_low"] + 0.2 * (capital + maintenance_insurance)
    assert t.loc["capex", "cost_usd_per_gpu_h_high"] == pytest.approx(expected, rel=1e-9)
    assert list(t.index[1:]) == list(t.iloc[1:].sort_values("npv_swing_usd", ascending=False).index)


def test_the_economics_are_queryable_in_the_results_index(week: Results, tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    run_id = store.write(week)
    row = store.query(
        "SELECT economics_capex_usd, economics_cost_usd_per_gpu_h, economics_npv_usd FROM runs"
    ).iloc[0]
    e = week.summary["economics"]
    assert (row["economics_capex_usd"], row["economics_npv_usd"]) == (e["capex_usd"], e["npv_usd"])
    assert row["economics_cost_usd_per_gpu_h"] == e["cost_usd_per_gpu_h"]
    scopes = store.query(f"SELECT DISTINCT scope FROM metrics WHERE run_id = '{run_id}'")["scope"]
    assert {"campus", "workload", "economics"} <= set(scopes)


def test_cuts_apply_to_every_phase_of_the_build_out() -> None:
    ramp = build_out(load_scenario("morocco-500mw"), days=1, cuts=["tetouan-estepona"])
    for phase, results in ramp.runs.items():
        assert results.summary["workload"]["network_outage_steps_frac"] == 1.0, phase
        assert "outage_comparison" in results.tables, phase
