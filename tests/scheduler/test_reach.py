"""Reach in the campus twin: outages in a window, capacity that binds, and the N−1 table.

The route-level physics (RTT per cut, capacity shares) is tested in tests/test_network.py;
here the network meets the scheduler: the serving model sees the RTT *as run* and the
share of the traffic the links carry.
"""

from __future__ import annotations

import numpy as np
import pytest

from dctwin.engine import run
from dctwin.results.model import Results
from dctwin.scenario import load_scenario
from dctwin.scheduler.reach import region_rtt_ms

DAYS = 6


@pytest.fixture(scope="module")
def estepona_out() -> Results:
    """tetouan-estepona cut on days 3–4 of a 6-day run (a repair ship takes ~2 days to reach it)."""
    outage = {
        "cable": "tetouan-estepona",
        "start_utc": "2026-01-03T00:00:00Z",
        "end_utc": "2026-01-05T00:00:00Z",
    }
    return run(load_scenario("morocco-500mw", **{"time.duration_days": DAYS, "network.outages": [outage]}))


def _city(results: Results, table: str, city: str) -> dict:
    frame = results.tables[table]
    key = "region" if "region" in frame else "city"
    return frame[frame[key] == city].iloc[0].to_dict()


def test_an_outage_raises_madrids_rtt_only_while_it_lasts(estepona_out: Results) -> None:
    madrid = _city(estepona_out, "inference_by_region", "madrid")
    assert madrid["rtt_as_run_max_ms"] > madrid["rtt_ms"] + 1.0  # rerouted over Loukkos (test_network)
    # 2 of 6 days at the cut RTT, 4 at the intact one: the mean is their time-weighted mean
    expected = (4 * madrid["rtt_ms"] + 2 * madrid["rtt_as_run_max_ms"]) / 6
    assert madrid["rtt_as_run_mean_ms"] == pytest.approx(expected, rel=1e-6)
    assert estepona_out.summary["workload"]["network_outage_steps_frac"] == pytest.approx(2 / 6)


def test_the_outage_comparison_names_the_cities_that_move(estepona_out: Results) -> None:
    table = estepona_out.tables["outage_comparison"].set_index("city")
    assert table.loc["madrid", "rtt_change_ms"] > 1.0
    assert "tetouan-estepona" not in table.loc["madrid", "route_after"]
    assert table.loc["casablanca", "rtt_change_ms"] == 0.0  # domestic, no cable on the way
    assert (table["rtt_after_ms"] >= table["rtt_before_ms"] - 1e-9).all()


def test_cities_unaffected_by_the_cut_keep_their_attainment(estepona_out: Results) -> None:
    table = estepona_out.tables["inference_by_region"].set_index("region")
    assert table.loc["casablanca", "slo_attainment_frac"] == pytest.approx(
        table.loc["casablanca", "slo_attainment_intact_frac"]
    )
    assert (table["slo_attainment_frac"] <= table["slo_attainment_intact_frac"] + 1e-12).all()


def test_traffic_the_links_cannot_carry_misses_the_slo() -> None:
    """Backhaul of 0.5 Gb/s per landing, below the ≈ 12 Gb/s peak inference traffic."""
    over = {"time.duration_days": 2}
    full = run(load_scenario("morocco-500mw", **over))
    thin = run(load_scenario("morocco-500mw", **over, **{"network.backhaul_capacity_gbps": 0.5}))
    w_full, w_thin = full.summary["workload"], thin.summary["workload"]
    assert w_full["network_carried_frac"] == pytest.approx(1.0)
    assert w_thin["network_carried_frac"] < 0.5
    assert w_thin["inference_slo_attainment_frac"] < w_full["inference_slo_attainment_frac"] - 0.3
    carried = thin.tables["inference_by_region"]["network_carried_frac"]
    assert (carried < 1.0).any() and (carried >= 0.0).all()


def test_the_n_minus_1_table_has_every_cable_in_service() -> None:
    results = run(load_scenario("morocco-500mw", **{"time.duration_days": 1}))
    cuts = results.tables["cable_cuts"].set_index("cable")
    assert "sea-me-we-3" not in cuts.index  # retired Dec 2024 (facts.md §5.1)
    assert {"atlas-offshore", "loukkos", "tetouan-estepona", "medusa", "mtwa-south"} <= set(cuts.index)
    assert cuts.loc["2africa", "cities_unreachable"] == 1  # Johannesburg: test_network
    assert "lagos" in cuts.loc["mtwa-south", "cities_budget_lost"]
    assert cuts.loc["2africa", "max_rtt_change_ms"] == np.inf  # a city lost is the worst change
    # cities share links: no cut can take away more than the cable itself could carry
    from dctwin.scenario.network import load_network_data

    usable = {c.slug: c.capacity_gbps * results.scenario.network.utilisation_cap_frac for c in
              load_network_data("emea").cables}  # fmt: skip
    for cable, lost in cuts["capacity_lost_gbps"].items():
        assert lost <= usable[cable] + 1e-6, cable


def test_region_rtt_weights_sites_by_their_share_of_the_traffic() -> None:
    share = np.array([[0.25, 0.75], [0.0, 0.0], [0.5, 0.5]])  # region × site
    rtt = np.array([[10.0, 30.0, 7.0], [12.0, 8.0, np.inf]])  # site × region
    # 0.25·10 + 0.75·12; a region no site serves shows its nearest site; an unreachable
    # site drops out and the other takes its share
    np.testing.assert_allclose(region_rtt_ms(share, rtt), [11.5, 8.0, 7.0])


def test_a_city_no_route_reaches_is_neither_served_nor_billed() -> None:
    """Cut 2Africa: Johannesburg (its only route, test_network) is dropped, not served."""
    from dctwin.scenario.network import with_cable_cuts

    sc = load_scenario("morocco-500mw", **{"time.duration_days": 2})
    intact, cut = run(sc), run(with_cable_cuts(sc, ["2africa"]))
    joburg = cut.tables["inference_by_region"].set_index("region").loc["johannesburg"]
    assert joburg["unreachable_frac"] == 1.0 and joburg["network_carried_frac"] == 0.0
    assert joburg["served_frac"] == 0.0 and joburg["slo_attainment_frac"] == 0.0
    assert np.isnan(joburg["rtt_as_run_mean_ms"])
    w_intact, w_cut = intact.summary["workload"], cut.summary["workload"]
    assert w_cut["inference_tokens"] < w_intact["inference_tokens"]
    assert w_cut["inference_served_frac"] < w_intact["inference_served_frac"]
    # carried share of the traffic, weighted by Gb/s: Johannesburg's share of the demand is lost
    assert w_cut["network_carried_frac"] == pytest.approx(
        w_cut["inference_tokens"] / w_intact["inference_tokens"], abs=0.01
    )
    revenue = [r.tables["cash_flows"]["revenue_inference_usd"].iloc[1] for r in (intact, cut)]
    assert revenue[1] < revenue[0]
