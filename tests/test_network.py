"""The route graph: RTT inside the facts.md §5.3 ranges, published cable floors, one test per cable
cut, RTT monotone under cuts, capacity-limited traffic assignment, outage time series.

facts.md = ``shared/reference/facts.md``: §5.1 cables (lengths, landings), §5.2 propagation
(4.90 µs/km) and inflation (×1.3 best conduit, ×2.1 public Internet; Bozkurt et al., arXiv
1811.10737), §5.3 RTT table (from Tangier).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dctwin.errors import CatalogError, ScenarioError
from dctwin.network import (
    CampusNetwork,
    assign_traffic,
    build_network,
    cut_comparison,
    great_circle_km,
    inference_traffic_gbps,
    routes,
    rtt_timeseries,
)
from dctwin.scenario.network import NetworkConfig, Outage, load_network_data
from dctwin.scenario.schema import Site

NORTH = Site(name="north", latitude_deg=35.62, longitude_deg=-5.55)  # morocco-500mw / morocco-2026-plan
NOUACEUR = Site(name="nouaceur", latitude_deg=33.37, longitude_deg=-7.58)  # morocco-2026-plan
TANGIER = Site(name="tangier", latitude_deg=35.7595, longitude_deg=-5.8340)  # regions/emea.toml origin
CABLES = [c.slug for c in load_network_data().cables]


@pytest.fixture(scope="module")
def net() -> CampusNetwork:
    return build_network(NetworkConfig(), [NORTH, NOUACEUR, TANGIER])


@pytest.fixture(scope="module")
def campus() -> CampusNetwork:
    """The two sites of the morocco-2026-plan scenario."""
    return build_network(NetworkConfig(), [NORTH, NOUACEUR])


@pytest.fixture(scope="module")
def with_retired() -> CampusNetwork:
    """The network before SEA-ME-WE 3's retirement (2 Dec 2024)."""
    return build_network(NetworkConfig(include_status=("in_service", "retired")), [NORTH, NOUACEUR])


def at(net: CampusNetwork, site: str, city: str) -> tuple[int, int]:
    return net.sites.index(site), net.cities.index(city)


# ------------------------------------------------------------------------- RTT against facts.md
# facts.md §5.3, Tangier row: (×1.3 column, ×2.1 column) [ms]
FACTS_5_3 = {
    "madrid": (7.0, 11.3),
    "paris": (20.4, 33.0),
    "frankfurt": (25.2, 40.7),
    "lagos": (43.1, 69.6),
    "dubai": (74.9, 120.9),
}


@pytest.mark.parametrize("site", ["north", "tangier"])
@pytest.mark.parametrize("city", sorted(FACTS_5_3))
def test_rtt_inside_the_facts_5_3_range(net: CampusNetwork, site: str, city: str) -> None:
    """RTT lies between the ×1.3 column + 2 ms and the ×2.1 column + 5 ms of facts.md §5.3 (the
    planning model RTT ≈ 2–5 ms + k · floor, k = 1.3 engineered … 2.1 public Internet, from the
    Tangier row), and is at least the great-circle floor 2 · d · 4.90 µs/km from the origin itself.
    """
    i, j = at(net, site, city)
    rtt = routes(net).rtt_ms[i, j]
    low, high = FACTS_5_3[city]
    assert low + 2.0 <= rtt <= high + 5.0
    assert rtt >= 2 * net.gc_km[i, j] * 4.90 / 1000


def test_every_city_is_reached_from_both_sites_above_the_floor(campus: CampusNetwork) -> None:
    table = routes(campus)
    assert table.reachable.all()
    floor_ms = 2 * campus.gc_km * 4.90 / 1000 + campus.config.route_overhead_ms
    assert (table.rtt_ms >= floor_ms).all()
    assert (table.km >= campus.gc_km).all()


def test_great_circle_reproduces_the_facts_5_3_distances() -> None:
    """facts.md §5.3, Tangier column: Madrid 550, Lagos 3,384, Dubai 5,879 km."""
    km = great_circle_km(
        35.7595, -5.8340, np.array([40.4168, 6.5244, 25.2048]), np.array([-3.7038, 3.3792, 55.2708])
    )
    assert km == pytest.approx([550, 3384, 5879], rel=0.002)


def test_published_cable_lengths_are_hard_floors(campus: CampusNetwork) -> None:
    """facts.md §5.1/§5.3: Asilah–Marseille 1,634 km → ≥ 16.0 ms RTT; Casablanca–Lisbon 814 km → 8.0 ms
    (7.98 unrounded), plus the terrestrial legs."""
    g, hop = campus.graph, campus.config.hop_overhead_ms
    atlas = g["landing:asilah"]["landing:marseille-cls"]
    assert atlas["km"] == 1634.0
    assert atlas["rtt_ms"] - hop == pytest.approx(16.0, abs=0.05)
    assert atlas["rtt_ms"] >= 16.0
    lisbon = g["landing:casablanca-cls"]["landing:lisbon-cls"]
    assert lisbon["km"] == 814.0
    assert lisbon["rtt_ms"] - hop == pytest.approx(8.0, abs=0.05)
    table = routes(campus)
    i, j = at(campus, "north", "marseille")
    assert table.cables[i][j] == ("atlas-offshore",) and table.rtt_ms[i, j] >= 16.0
    i, j = at(campus, "nouaceur", "lisbon")
    assert table.cables[i][j] == ("mtwa-north",) and table.rtt_ms[i, j] >= 8.0


def test_edge_rtt_is_propagation_times_inflation_plus_hop(campus: CampusNetwork) -> None:
    """rtt = 2 · km · 4.90 µs/km · k / 1000 + hop, with k = 1.0 / 1.3 / 1.5 by link type."""
    cfg = campus.config
    for _, _, e in campus.graph.edges(data=True):
        expected = 2 * e["km"] * 4.90 * cfg.inflation.of(e["link_type"]) / 1000
        assert e["rtt_ms"] - expected in (pytest.approx(cfg.hop_overhead_ms), pytest.approx(0.0))


def test_parallel_systems_get_junction_nodes_hidden_from_route_labels(campus: CampusNetwork) -> None:
    """SEA-ME-WE 4 and 5 both run Suez–Jeddah: the second is split by a junction node."""
    assert "via:sea-me-we-5:suez-jeddah" in campus.graph
    i, j = at(campus, "north", "riyadh")
    table = routes(campus, ["sea-me-we-4"])
    assert "sea-me-we-5" in table.cables[i][j] and "via:" not in table.route[i][j]


# ----------------------------------------------------------------------------- one test per cut
def route_change(net: CampusNetwork, cable: str, site: str, city: str) -> tuple[tuple[str, ...], ...]:
    i, j = at(net, site, city)
    before, after = routes(net), routes(net, [cable])
    assert after.rtt_ms[i, j] > before.rtt_ms[i, j]
    return before.cables[i][j], after.cables[i][j]


def test_cut_atlas_offshore_sends_marseille_over_tetouan_estepona_and_spain(campus: CampusNetwork) -> None:
    assert route_change(campus, "atlas-offshore", "north", "marseille") == (
        ("atlas-offshore",),
        ("tetouan-estepona",),
    )
    after = routes(campus, ["atlas-offshore"])
    i, j = at(campus, "north", "marseille")
    assert after.route[i][j] == "north > tetouan >[tetouan-estepona]> estepona > madrid > marseille"
    assert after.rtt_ms[i, j] - routes(campus).rtt_ms[i, j] == pytest.approx(1.1, abs=0.1)


def test_cut_loukkos_moves_lisbon_to_mt_west_africa_north(campus: CampusNetwork) -> None:
    assert route_change(campus, "loukkos", "north", "lisbon") == (("loukkos",), ("mtwa-north",))
    frame = cut_comparison(campus, "loukkos")
    assert frame.loc["lisbon", "site_before"] == "north" and frame.loc["lisbon", "site_after"] == "nouaceur"
    assert "mtwa-north" in frame.loc["lisbon", "route_after"]


def test_cut_tetouan_estepona_moves_madrid_and_paris_to_loukkos(campus: CampusNetwork) -> None:
    for city in ("madrid", "paris", "frankfurt"):
        assert route_change(campus, "tetouan-estepona", "north", city) == (
            ("tetouan-estepona",),
            ("loukkos",),
        )


def test_cut_sea_me_we_3_moves_cairo_and_the_gulf_to_marseille(with_retired: CampusNetwork) -> None:
    """With SEA-ME-WE 3 in service (before Dec 2024) Cairo goes Tetouan → Mazara; cut, via Marseille."""
    before, after = route_change(with_retired, "sea-me-we-3", "north", "cairo")
    assert before[0] == "sea-me-we-3" and "sea-me-we-3" not in after and "atlas-offshore" in after
    assert "sea-me-we-3" not in {
        c for row in routes(with_retired, ["sea-me-we-3"]).cables for p in row for c in p
    }


def test_sea_me_we_3_is_retired_and_absent_by_default(campus: CampusNetwork) -> None:
    assert load_network_data().cable("sea-me-we-3").status == "retired"
    assert "sea-me-we-3" not in campus.cables
    assert np.array_equal(routes(campus).rtt_ms, routes(campus, ["sea-me-we-3"]).rtt_ms)


def test_cut_mt_west_africa_north_moves_nouaceur_lisbon_to_loukkos(campus: CampusNetwork) -> None:
    assert route_change(campus, "mtwa-north", "nouaceur", "lisbon") == (("mtwa-north",), ("loukkos",))


def test_cut_mt_west_africa_south_reroutes_west_africa_over_2africa_and_lagos_loses_its_slo(
    campus: CampusNetwork,
) -> None:
    for city in ("dakar", "abidjan", "lagos"):
        before, after = route_change(campus, "mtwa-south", "nouaceur", city)
        assert "mtwa-south" in before and "2africa" in after and "mtwa-south" not in after
    frame = cut_comparison(campus, "mtwa-south")
    assert frame.loc["lagos", "rtt_change_ms"] == pytest.approx(16.6, abs=0.5)
    assert list(frame.index[frame["slo_lost"]]) == ["lagos"]  # 79 ms > budget 2.1 × 33.6 + 5 ms ≈ 71 ms
    assert frame.loc["lagos", "capacity_after_gbps"] == 0.0  # nothing within the budget
    assert frame.loc["paris", "rtt_change_ms"] == 0.0


def test_cut_medusa_shifts_overflow_to_lisbon_and_the_route_when_atlas_and_estepona_are_out(
    campus: CampusNetwork,
) -> None:
    """Medusa is the third path to Marseille (after Atlas Offshore and Tetouan–Estepona + Spain):
    with those two out (the 2012 Atlas cut plus a second fault), cutting Medusa moves Marseille to
    Loukkos + Spain; alone, it removes the capacity that 3 Tb/s to Marseille overflows onto."""
    i, j = at(campus, "north", "marseille")
    two = routes(campus, ["atlas-offshore", "tetouan-estepona"])
    three = routes(campus, ["atlas-offshore", "tetouan-estepona", "medusa"])
    assert two.cables[i][j] == ("medusa",) and three.cables[i][j] == ("loukkos",)
    assert three.rtt_ms[i, j] > two.rtt_ms[i, j]
    demand = np.zeros((2, 18))
    demand[i, j] = 3000.0
    whole, cut = assign_traffic(campus, demand), assign_traffic(campus, demand, ["medusa"])
    medusa = campus.cables.index("medusa")
    assert (
        whole.unserved_gbps.sum() == pytest.approx(0.0, abs=1e-6) and whole.cable_utilisation_frac[medusa] > 0
    )
    assert cut.cable_utilisation_frac[medusa] == 0.0
    assert cut.rtt_ms[i, j] > whole.rtt_ms[i, j]  # the overflow rides MT West Africa North via Lisbon
    assert cut.cable_utilisation_frac[campus.cables.index("mtwa-north")] > 0
    frame = cut_comparison(campus, "medusa")
    assert frame.loc["marseille", "capacity_after_gbps"] < frame.loc["marseille", "capacity_before_gbps"]


def test_cut_2africa_leaves_johannesburg_unreachable(campus: CampusNetwork) -> None:
    table = routes(campus, ["2africa"])
    j = campus.cities.index("johannesburg")
    assert not table.reachable[:, j].any() and np.isinf(table.rtt_ms[:, j]).all()
    assert table.route[0][j] == "unreachable"
    frame = cut_comparison(campus, "2africa")
    assert frame.loc["johannesburg", "slo_lost"] and frame.loc["johannesburg", "capacity_after_gbps"] == 0.0


def test_cut_of_an_unknown_cable_suggests_the_name(campus: CampusNetwork) -> None:
    with pytest.raises(CatalogError, match="did you mean 'atlas-offshore'"):
        routes(campus, ["atlas"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sets(st.sampled_from(CABLES)), st.sets(st.sampled_from(CABLES)))
def test_rtt_never_decreases_when_more_cables_are_cut(
    with_retired: CampusNetwork, first: set[str], more: set[str]
) -> None:
    base = routes(with_retired).rtt_ms
    some, all_ = routes(with_retired, first).rtt_ms, routes(with_retired, first | more).rtt_ms
    assert (some >= base - 1e-12).all() and (all_ >= some - 1e-12).all()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sets(st.sampled_from(CABLES), max_size=3))
def test_deliverable_capacity_never_grows_with_a_cut(campus: CampusNetwork, cut: set[str]) -> None:
    frame = cut_comparison(campus, sorted(cut))
    assert (frame["capacity_after_gbps"] <= frame["capacity_before_gbps"] + 1e-6).all()
    assert (frame["rtt_after_ms"] >= frame["rtt_before_ms"]).all()


# ------------------------------------------------------------------------------------- capacity
def test_traffic_above_atlas_capacity_shifts_to_other_routes(campus: CampusNetwork) -> None:
    """Atlas Offshore carries 320 Gb/s × 0.8 = 256 Gb/s of 1,000 Gb/s to Marseille; the rest goes
    over Tetouan–Estepona and Medusa at a higher mean RTT."""
    i, j = at(campus, "north", "marseille")
    demand = np.zeros((2, 18))
    demand[i, j] = 1000.0
    res = assign_traffic(campus, demand)
    util = dict(zip(res.cables, res.cable_utilisation_frac, strict=True))
    assert util["atlas-offshore"] == pytest.approx(0.8)
    assert util["medusa"] > 0
    assert res.served_gbps[i, j] == pytest.approx(1000.0)
    assert res.rtt_ms[i, j] > routes(campus).rtt_ms[i, j]
    assert res.by_city().loc["marseille", "served_gbps"] == pytest.approx(1000.0)


def test_traffic_beyond_every_route_is_unserved(campus: CampusNetwork) -> None:
    i, j = at(campus, "nouaceur", "lagos")
    demand = np.zeros((2, 18))
    demand[i, j] = 1e6
    res = assign_traffic(campus, demand)
    assert 0 < res.served_gbps[i, j] < 1e6
    assert res.served_gbps[i, j] + res.unserved_gbps[i, j] == pytest.approx(1e6)
    assert (res.cable_utilisation_frac <= 0.8 + 1e-9).all()


def test_unreachable_demand_is_unserved(campus: CampusNetwork) -> None:
    demand = np.ones((2, 18))
    res = assign_traffic(campus, demand, ["2africa"])
    j = campus.cities.index("johannesburg")
    assert (res.unserved_gbps[:, j] == 1.0).all() and np.isnan(res.rtt_ms[:, j]).all()
    assert res.unserved_gbps.sum() == pytest.approx(2.0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.floats(0, 3000), min_size=36, max_size=36),
    st.sets(st.sampled_from(CABLES), max_size=3),
)
def test_served_plus_unserved_is_the_demand(
    campus: CampusNetwork, values: list[float], cut: set[str]
) -> None:
    demand = np.array(values).reshape(2, 18)
    res = assign_traffic(campus, demand, cut)
    assert res.served_gbps + res.unserved_gbps == pytest.approx(demand, abs=1e-6)
    assert (res.served_gbps >= 0).all() and (res.unserved_gbps >= 0).all()
    assert (res.cable_utilisation_frac <= campus.config.utilisation_cap_frac + 1e-6).all()
    shortest = routes(campus, cut).rtt_ms
    carried = res.served_gbps > 1e-9
    assert (res.rtt_ms[carried] >= shortest[carried] - 1e-9).all()


def test_demand_of_the_wrong_shape_is_rejected(campus: CampusNetwork) -> None:
    with pytest.raises(ValueError, match=r"shape \(2, 18\)"):
        assign_traffic(campus, np.ones((18, 2)))
    with pytest.raises(ValueError, match="≥ 0"):
        assign_traffic(campus, -np.ones((2, 18)))


def test_inference_traffic_is_the_larger_direction() -> None:
    """1 M prompt tokens/s × 4 B up vs 0.1 M output tokens/s × 200 B down → 0.16 Gb/s down."""
    cfg = NetworkConfig()
    assert float(inference_traffic_gbps(1e6, 1e5, cfg)) == pytest.approx(0.16)


# ---------------------------------------------------------------------------------- time series
def test_rtt_equals_the_cut_value_inside_the_outage_and_normal_outside(campus: CampusNetwork) -> None:
    times = pd.date_range("2026-03-01", periods=24 * 10, freq="h", tz="UTC")
    outages = [
        Outage(cable="atlas-offshore", start_utc="2026-03-02T06:00", end_utc="2026-03-04T18:30"),
        Outage(cable="mtwa-south", start_utc="2026-03-04T00:00", end_utc="2026-03-06T00:00"),
    ]
    rtt = rtt_timeseries(campus, times, outages)
    assert rtt.shape == (len(times), 2, 18)
    normal = routes(campus).rtt_ms
    for k, t in enumerate(times):
        cut = [o.cable for o in outages if o.start_utc <= t.to_pydatetime() < o.end_utc]
        assert np.array_equal(rtt[k], routes(campus, cut).rtt_ms if cut else normal)
    assert np.array_equal(
        rtt[times.get_loc(pd.Timestamp("2026-03-02T06:00Z"))], routes(campus, ["atlas-offshore"]).rtt_ms
    )
    assert np.array_equal(rtt[times.get_loc(pd.Timestamp("2026-03-02T05:00Z"))], normal)
    assert np.array_equal(rtt[times.get_loc(pd.Timestamp("2026-03-06T00:00Z"))], normal)  # end is exclusive
    both = routes(campus, ["atlas-offshore", "mtwa-south"]).rtt_ms
    assert np.array_equal(rtt[times.get_loc(pd.Timestamp("2026-03-04T12:00Z"))], both)


def test_rtt_timeseries_needs_tz_aware_times(campus: CampusNetwork) -> None:
    with pytest.raises(ValueError, match="tz-aware"):
        rtt_timeseries(campus, pd.date_range("2026-01-01", periods=3, freq="h"), [])


def test_hourly_traffic_under_outages_matches_the_per_state_solution(campus: CampusNetwork) -> None:
    times = pd.date_range("2026-01-01", periods=48, freq="h", tz="UTC")
    outages = [Outage(cable="tetouan-estepona", start_utc=dt.datetime(2026, 1, 1, 12), end_utc="2026-01-02")]
    demand = np.random.default_rng(3).uniform(0, 60, size=(48, 2, 18))
    res = assign_traffic(campus, demand, times_utc=times, outages=outages)
    inside = (times >= "2026-01-01T12:00Z") & (times < "2026-01-02T00:00Z")
    cut = assign_traffic(campus, demand[inside], ["tetouan-estepona"])
    whole = assign_traffic(campus, demand[~inside])
    assert np.allclose(res.served_gbps[inside], cut.served_gbps)
    assert np.allclose(res.served_gbps[~inside], whole.served_gbps)
    te = campus.cables.index("tetouan-estepona")
    assert (res.cable_utilisation_frac[inside, te] == 0).all() and (
        res.cable_utilisation_frac[~inside, te] > 0
    ).all()
    assert res.by_city().shape == (18, 4)


# --------------------------------------------------------------------------------- build errors
def test_a_site_without_a_landing_in_reach_is_an_error() -> None:
    far = Site(name="ouarzazate", latitude_deg=30.92, longitude_deg=-6.89)
    with pytest.raises(
        ScenarioError, match=r"sites\[0\].*no landing in \['MA'\] within 200 km.*backhaul_max_km"
    ):
        build_network(NetworkConfig(backhaul_max_km=200.0), [far])


def test_duplicate_site_names_are_an_error() -> None:
    with pytest.raises(ScenarioError, match=r"sites\[1\].name: duplicate site name 'north'"):
        build_network(NetworkConfig(), [NORTH, NORTH])


def test_sites_are_not_transit_nodes(campus: CampusNetwork) -> None:
    for row in routes(campus).paths:
        for path in row:
            assert [n for n in path if n.startswith("site:")] == [path[0]]


def test_empty_inputs_give_empty_results(campus: CampusNetwork) -> None:
    times = pd.date_range("2026-01-01", periods=0, freq="h", tz="UTC")
    assert rtt_timeseries(campus, times).shape == (0, 2, 18)
    res = assign_traffic(campus, np.zeros((0, 2, 18)))
    assert res.served_gbps.shape == (0, 2, 18) and (res.by_city()["served_gbps"] == 0).all()
    assert "CampusNetwork(2 sites, 18 cities" in repr(campus)
    assert repr(routes(campus)) == "RouteTable(2 sites × 18 cities, 0 unreachable)"
