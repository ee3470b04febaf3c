"""The reach-and-network part of the report: built from the run's own network tables (a short run
of the default scenario, with and without the Atlas Offshore cable cut)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from dctwin.engine import run
from dctwin.report import network
from dctwin.report.html import build_report
from dctwin.report.network import (
    cut_table,
    has_network,
    network_figures,
    network_headline_table,
    outage_table,
    reach_map,
    reach_table,
    route_nodes,
)
from dctwin.results.model import Results
from dctwin.scenario import load_scenario
from dctwin.scenario.network import with_cable_cuts

_WEEK = {"time.duration_days": 7, "time.start_date": "2026-03-02"}


@pytest.fixture(scope="module")
def intact() -> Results:
    return run(load_scenario("morocco-500mw", **_WEEK))


@pytest.fixture(scope="module")
def cut() -> Results:
    return run(with_cable_cuts(load_scenario("morocco-500mw", **_WEEK), ["atlas-offshore"]))


def _row(table, column: str, value: str) -> dict[str, str]:
    i = table.headers.index(column)
    rows = [r for r in table.rows if r[i] == value]
    assert len(rows) == 1, (value, [r[i] for r in table.rows])
    return dict(zip(table.headers, rows[0], strict=True))


def _city_markers(fig) -> int:
    return sum(len(t.lat) for t in fig.data if "markers" in (t.mode or "") and t.name != "Campus sites")


def test_reach_table_one_row_per_city_sorted_by_rtt(intact: Results) -> None:
    assert has_network(intact)
    table = reach_table(intact)
    assert table is not None and len(table.rows) == 18
    regions = intact.tables["inference_by_region"].set_index("region")
    madrid = _row(table, "City", "Madrid")
    assert madrid["RTT [ms]"] == f"{regions.loc['madrid', 'rtt_ms']:.1f}"
    assert madrid["RTT budget [ms]"] == f"{regions.loc['madrid', 'rtt_budget_ms']:.1f}"
    assert madrid["Route"] == regions.loc["madrid", "route"]
    rtts = [float(r[table.headers.index("RTT [ms]")]) for r in table.rows]
    assert rtts == sorted(rtts)


def test_map_has_one_marker_per_city_and_the_sites(intact: Results) -> None:
    fig = reach_map(intact)
    assert {t.type for t in fig.data} == {"scattergeo"}
    assert _city_markers(fig) == 18
    (sites,) = [t for t in fig.data if t.name == "Campus sites"]
    assert list(sites.lat) == [s.latitude_deg for s in intact.scenario.sites]
    assert list(sites.lon) == [s.longitude_deg for s in intact.scenario.sites]
    routes = next(t for t in fig.data if t.name == "Routes (intact network)")
    assert sum(v is None for v in routes.lat) == 18  # one polyline per city
    lon, lat = fig.layout.geo.lonaxis.range, fig.layout.geo.lataxis.range
    assert lon[0] <= -17.5 and lon[1] >= 55.3 and lat[0] <= -26.2 and lat[1] >= 52.4  # Dakar … Dubai, Jo'burg


def test_map_marks_the_cities_that_lose_their_slo(cut: Results) -> None:
    oc = cut.tables["outage_comparison"].copy()
    oc.loc[oc["city"] == "marseille", "slo_lost"] = True
    oc.loc[oc["city"] == "lagos", "rtt_after_ms"] = float("inf")
    marked = dataclasses.replace(cut, tables={**cut.tables, "outage_comparison": oc})
    fig = reach_map(marked)
    names = {t.name: list(t.text) for t in fig.data if t.text is not None and t.name != "Campus sites"}
    assert names["Loses its RTT budget under the outage"] == ["Marseille"]
    assert names["Unreachable under the outage"] == ["Lagos"]
    assert _city_markers(fig) == 18
    assert any(t.name == "Cut cable" for t in fig.data)


def test_outage_table_lists_marseille_with_a_longer_rtt(cut: Results) -> None:
    table = outage_table(cut)
    assert table is not None
    marseille = _row(table, "City", "Marseille")
    change = float(marseille["RTT change [ms]"])
    oc = cut.tables["outage_comparison"].set_index("city")
    assert change > 0 and change == pytest.approx(oc.loc["marseille", "rtt_change_ms"], abs=0.05)
    assert marseille["Loses RTT budget"] == "no"
    assert "atlas-offshore" not in marseille["Route under the outage"]
    unchanged = {"Casablanca", "Lisbon", "Madrid"}  # none of their routes uses the cut cable
    assert not unchanged & {r[0] for r in table.rows}


def test_without_cuts_no_outage_table_but_the_n_minus_1(intact: Results) -> None:
    assert outage_table(intact) is None
    table = cut_table(intact)
    assert table is not None and len(table.rows) == len(intact.tables["cable_cuts"])
    atlas = _row(table, "Cable cut", "Atlas Offshore")
    assert int(atlas["Cities rerouted"]) >= 1
    headline = network_headline_table(intact)
    assert headline is not None and dict(headline.rows)["Demand cities"] == "18"


def test_two_figures_and_the_route_label(intact: Results) -> None:
    figures = network_figures(intact)
    assert [f.layout.title.text.split(":")[0] for f in figures] == [
        "Reach",
        "RTT per demand city against its budget",
    ]
    assert len(figures[1].data[0].x) == 18
    assert route_nodes("unreachable") == ([], [])
    assert route_nodes("north > tetouan > tangier") == (["north", "tetouan", "tangier"], ["", ""])


def test_html_section_geo_trace_and_self_contained(cut: Results) -> None:
    html = build_report(cut)
    assert '<section id="network">' in html and 'href="#network"' in html
    for heading in ("Reach and network", "N−1: each cable cut on its own", "This run's outages"):
        assert heading in html
    assert '"type":"scattergeo"' in html
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=[\"']https?:", html)


def test_base_map_embedded_only_when_shipped(intact: Results, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(network, "BASE_MAP_PATH", tmp_path / "missing.json")
    assert reach_map(intact).layout.geo.showland is False  # nothing to fetch from a CDN
    assert 'PlotlyGeoAssets.topojson["world_110m"]' not in build_report(intact)
    topojson = tmp_path / "world_110m.json"
    topojson.write_text(json.dumps({"type": "Topology", "objects": {}, "arcs": [], "note": "</script>"}))
    monkeypatch.setattr(network, "BASE_MAP_PATH", topojson)
    assert reach_map(intact).layout.geo.showland is True
    html = build_report(intact)
    assert 'PlotlyGeoAssets.topojson["world_110m"] = {"type": "Topology"' in html
    assert "<\\/script>" in html
