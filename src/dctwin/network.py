"""Network reach of the campus: the route graph, RTT per site and city, capacity, cable cuts.

The graph (:func:`build_network`) has a node per campus site, cable landing station and demand
city, and an edge per

* **backhaul** link, site → every landing of ``backhaul_countries`` within ``backhaul_max_km``;
* **submarine** segment of a cable (and a cable system's land crossing, e.g. Egypt);
* **terrestrial** link, landing → metro and metro ↔ metro.

Each edge carries its stated length ``km``, ``link_type``, ``cable`` (empty for links),
``capacity_gbps`` and its round-trip time

.. math:: \\mathrm{rtt}_e = 2 \\, \\mathrm{km}_e \\, \\tau \\, k_{\\mathrm{type}(e)} / 1000 + h

with τ the fibre delay [µs/km], k the inflation factor of the link type and h the per-hop
overhead [ms]. A route's RTT is the sum over its edges plus a fixed route overhead. Sites are
never transit nodes: a route from one site does not pass through another.

:func:`routes` gives the shortest-RTT route per site × city, with cut cables removed;
:func:`assign_traffic` spreads a demand in Gb/s over the routes within each link's usable
capacity (min-cost flow over candidate paths; what does not fit is unserved);
:func:`rtt_timeseries` gives RTT per step under scheduled outages; :func:`cut_comparison`
reports what a cut does to each city.

References
----------
facts.md (``shared/reference/facts.md``) §5.1 cables, §5.2 propagation (4.90 µs/km) and inflation
(Bozkurt et al., arXiv 1811.10737), §5.3 RTT table.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import networkx as nx
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import sparse
from scipy.optimize import linprog

from dctwin.errors import CatalogError, InfeasibleError, ScenarioError
from dctwin.scenario.inference import Region, load_regions
from dctwin.scenario.network import NetworkConfig, NetworkData, Outage, close_names, load_network_data

__all__ = [
    "EARTH_RADIUS_KM",
    "CampusNetwork",
    "RouteTable",
    "SiteLocation",
    "TrafficResult",
    "assign_traffic",
    "build_network",
    "cut_comparison",
    "great_circle_km",
    "inference_traffic_gbps",
    "routes",
    "rtt_timeseries",
]

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG). [km]"""

_LP_BATCH = 96
"""Congested steps solved together in one block-diagonal LP (HiGHS)."""


def great_circle_km(
    lat1_deg: ArrayLike, lon1_deg: ArrayLike, lat2_deg: ArrayLike, lon2_deg: ArrayLike
) -> Any:
    """Great-circle distance by the haversine formula (broadcasts).

    Parameters
    ----------
    lat1_deg, lon1_deg, lat2_deg, lon2_deg
        End points. [deg]

    Returns
    -------
    float or ndarray
        Distance on a sphere of radius :data:`EARTH_RADIUS_KM`. [km]

    Examples
    --------
    Tangier–Paris, 1,602 km in facts.md §5.3:

    >>> round(float(great_circle_km(35.7595, -5.8340, 48.8566, 2.3522)))
    1602
    """
    p1, p2 = np.radians(lat1_deg), np.radians(lat2_deg)
    dlat, dlon = p2 - p1, np.radians(np.subtract(lon2_deg, lon1_deg))
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    out = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return float(out) if np.ndim(out) == 0 else out


def _path_km(points: Sequence[tuple[float, float]]) -> float:
    return sum(float(great_circle_km(*a, *b)) for a, b in itertools.pairwise(points))


def inference_traffic_gbps(
    prompt_tokens_per_s: ArrayLike, output_tokens_per_s: ArrayLike, config: NetworkConfig
) -> np.ndarray:
    """Link load of inference traffic: the larger direction, prompts up or streamed tokens down.

    Parameters
    ----------
    prompt_tokens_per_s
        Prompt tokens arriving from the users. [token/s]
    output_tokens_per_s
        Tokens streamed back. [token/s]
    config
        ``prompt_bytes_per_token`` and ``output_bytes_per_token``. [B/token]

    Returns
    -------
    ndarray
        Load per direction-limited link. [Gb/s]

    Examples
    --------
    >>> float(inference_traffic_gbps(1e6, 1e6, NetworkConfig()))  # 1 M token/s × 200 B × 8 bit
    1.6
    """
    up = np.asarray(prompt_tokens_per_s, dtype=float) * config.prompt_bytes_per_token
    down = np.asarray(output_tokens_per_s, dtype=float) * config.output_bytes_per_token
    out: np.ndarray = np.maximum(up, down) * 8.0 / 1e9
    return out


# ----------------------------------------------------------------------------------- the graph
class SiteLocation(Protocol):
    """What the network needs of a campus site (:class:`dctwin.scenario.Site` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def latitude_deg(self) -> float: ...
    @property
    def longitude_deg(self) -> float: ...


@dataclass(frozen=True)
class _State:
    """Shortest routes of one cut state (cached on the network)."""

    rtt_ms: np.ndarray  # (S, C), inf where unreachable
    paths: tuple[tuple[tuple[str, ...], ...], ...]  # node paths, () where unreachable
    k_paths: dict[tuple[int, int], list[tuple[float, np.ndarray]]] = field(default_factory=dict)


@dataclass(frozen=True)
class CampusNetwork:
    """The route graph of a campus and what its functions need (built by :func:`build_network`).

    Attributes
    ----------
    graph
        Nodes ``site:<name>``, ``landing:<slug>``, ``city:<slug>`` (and ``via:…`` junctions that split
        parallel edges); edges with ``km``, ``link_type``, ``cable``, ``capacity_gbps``, ``rtt_ms``, ``eid``.
    config
        The network block of the scenario.
    data
        The network data file.
    sites, cities
        Site names and demand-city slugs: the axes of every result. [-]
    cables
        Slugs of the cables in the graph. [-]
    edge_capacity_gbps
        Capacity per edge id. [Gb/s]
    edge_cable
        Cable slug per edge id ("" for links). [-]
    gc_km
        Great-circle distance per site × city. [km]
    rtt_budget_ms
        Network RTT budget per city (SLO). [ms]
    """

    graph: nx.Graph
    config: NetworkConfig
    data: NetworkData
    sites: tuple[str, ...]
    cities: tuple[str, ...]
    cables: tuple[str, ...]
    edge_capacity_gbps: np.ndarray
    edge_cable: tuple[str, ...]
    gc_km: np.ndarray
    rtt_budget_ms: np.ndarray
    _states: dict[frozenset[str], _State] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        return (
            f"CampusNetwork({len(self.sites)} sites, {len(self.cities)} cities, {len(self.cables)} cables, "
            f"{self.graph.number_of_nodes()} nodes, {self.graph.number_of_edges()} edges)"
        )


def build_network(
    config: NetworkConfig, sites: Sequence[SiteLocation], regions: Sequence[Region] | None = None
) -> CampusNetwork:
    """Build the route graph of the campus sites, landings and demand cities.

    Parameters
    ----------
    config
        Network block: data file, propagation, inflation, overheads, backhaul rule, statuses.
    sites
        Campus sites (name, latitude, longitude), e.g. ``scenario.sites``.
    regions
        Demand cities (default: every region of the data file's region set); their slugs must
        be cities of that set.

    Returns
    -------
    CampusNetwork

    Raises
    ------
    ScenarioError
        Duplicate site names, a site without a landing in reach, an unknown city.

    Notes
    -----
    Stated length ``km`` per edge: published cable length; else great circle (through the
    segment's waypoints) × ``cable_route_factor`` for submarine segments, the great circle for
    terrestrial links and backhaul. ``rtt_ms = 2·km·τ·k/1000 + hop_overhead_ms``.
    """
    data = load_network_data(config.data)
    all_regions = {r.slug: r for r in load_regions(data.regions)}
    chosen = list(regions) if regions is not None else list(all_regions.values())
    for i, r in enumerate(chosen):
        if r.slug not in all_regions:
            raise ScenarioError(
                f"city {r.slug!r} is not in region set {data.regions!r}; {close_names(r.slug, all_regions)}",
                f"regions[{i}]",
            )
    _check_sites(sites)
    graph = nx.Graph()
    for r in all_regions.values():
        graph.add_node(f"city:{r.slug}", kind="city", label=r.slug, lat=r.latitude_deg, lon=r.longitude_deg)
    for lnd in data.landings:
        graph.add_node(
            f"landing:{lnd.slug}", kind="landing", label=lnd.slug, lat=lnd.latitude_deg, lon=lnd.longitude_deg
        )
    edges: list[dict[str, Any]] = []
    _add_cables(graph, edges, config, data)
    _add_links(graph, edges, config, data)
    for i, site in enumerate(sites):
        _add_site(graph, edges, config, data, site, i)
    lat_s = np.array([s.latitude_deg for s in sites], dtype=float)[:, None]
    lon_s = np.array([s.longitude_deg for s in sites], dtype=float)[:, None]
    gc = np.asarray(
        great_circle_km(
            lat_s,
            lon_s,
            np.array([r.latitude_deg for r in chosen]),
            np.array([r.longitude_deg for r in chosen]),
        ),
        dtype=float,
    ).reshape(len(sites), len(chosen))
    cities = tuple(r.slug for r in chosen)
    return CampusNetwork(
        graph=graph,
        config=config,
        data=data,
        sites=tuple(s.name for s in sites),
        cities=cities,
        cables=tuple(sorted({e["cable"] for e in edges if e["cable"]})),
        edge_capacity_gbps=np.array([e["capacity_gbps"] for e in edges], dtype=float),
        edge_cable=tuple(e["cable"] for e in edges),
        gc_km=gc,
        rtt_budget_ms=_rtt_budget_ms(config, cities, gc),
    )


def _check_sites(sites: Sequence[SiteLocation]) -> None:
    if not sites:
        raise ScenarioError("the network needs at least one site; pass the scenario's sites", "sites")
    names = [s.name for s in sites]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ScenarioError(f"duplicate site name {name!r}; give every site its own", f"sites[{i}].name")


def _rtt_budget_ms(config: NetworkConfig, cities: tuple[str, ...], gc_km: np.ndarray) -> np.ndarray:
    floor_ms = 2.0 * gc_km.min(axis=0) * config.fibre_us_per_km / 1000.0
    budget = config.rtt_budget_overhead_ms + config.rtt_budget_inflation * floor_ms
    override = np.array([config.rtt_budget_ms.get(c, np.nan) for c in cities], dtype=float)
    out: np.ndarray = np.where(np.isnan(override), budget, override)
    return out


def _edge_rtt_ms(config: NetworkConfig, km: float, link_type: str) -> float:
    return 2.0 * km * config.fibre_us_per_km * config.inflation.of(link_type) / 1000.0


def _add_edge(
    graph: nx.Graph, edges: list[dict[str, Any]], config: NetworkConfig, u: str, v: str, **attrs: Any
) -> None:
    """Add an edge; a second edge between the same nodes is split by a junction node."""
    prop_ms = _edge_rtt_ms(config, attrs["km"], attrs["link_type"])
    hop = config.hop_overhead_ms
    if not graph.has_edge(u, v):
        halves = [(u, v, attrs["km"], prop_ms + hop)]
    else:
        mid = f"via:{attrs['segment']}"
        graph.add_node(mid, kind="junction", label=mid)
        halves = [(u, mid, attrs["km"] / 2, prop_ms / 2 + hop), (mid, v, attrs["km"] / 2, prop_ms / 2)]
    for a, b, km, rtt in halves:
        graph.add_edge(a, b, **{**attrs, "km": km, "rtt_ms": rtt, "eid": len(edges)})
        edges.append({**attrs, "km": km})


def _coords(graph: nx.Graph, node: str) -> tuple[float, float]:
    return float(graph.nodes[node]["lat"]), float(graph.nodes[node]["lon"])


def _add_cables(
    graph: nx.Graph, edges: list[dict[str, Any]], config: NetworkConfig, data: NetworkData
) -> None:
    for cable in data.cables:
        for seg in cable.segments:
            if (seg.status or cable.status) not in config.include_status:
                continue
            u, v = f"landing:{seg.from_}", f"landing:{seg.to}"
            gc = _path_km([_coords(graph, u), *seg.via, _coords(graph, v)])
            if seg.km is not None:
                km = seg.km
            else:
                km = gc * (config.cable_route_factor if seg.link_type == "submarine" else 1.0)
            _add_edge(
                graph, edges, config, u, v,
                km=km, link_type=seg.link_type, cable=cable.slug,
                segment=f"{cable.slug}:{seg.from_}-{seg.to}",
                capacity_gbps=seg.capacity_gbps or cable.capacity_gbps,
            )  # fmt: skip


def _add_links(
    graph: nx.Graph, edges: list[dict[str, Any]], config: NetworkConfig, data: NetworkData
) -> None:
    for link in data.links:
        km = link.km or float(great_circle_km(*_coords(graph, link.from_), *_coords(graph, link.to)))
        _add_edge(
            graph, edges, config, link.from_, link.to,
            km=km, link_type="terrestrial", cable="", segment=f"link:{link.from_}-{link.to}",
            capacity_gbps=link.capacity_gbps or data.defaults.terrestrial_capacity_gbps,
        )  # fmt: skip


def _add_site(
    graph: nx.Graph,
    edges: list[dict[str, Any]],
    config: NetworkConfig,
    data: NetworkData,
    site: SiteLocation,
    i: int,
) -> None:
    node = f"site:{site.name}"
    graph.add_node(node, kind="site", label=site.name, lat=site.latitude_deg, lon=site.longitude_deg)
    candidates = [lnd for lnd in data.landings if lnd.country in config.backhaul_countries]
    km = [
        float(great_circle_km(site.latitude_deg, site.longitude_deg, c.latitude_deg, c.longitude_deg))
        for c in candidates
    ]
    near = [(c, d) for c, d in zip(candidates, km, strict=True) if d <= config.backhaul_max_km]
    if not near:
        nearest = min(zip(km, (c.slug for c in candidates), strict=True), default=(float("nan"), "none"))
        raise ScenarioError(
            f"site {site.name!r} has no landing in {list(config.backhaul_countries)} within "
            f"{config.backhaul_max_km:g} km (nearest: {nearest[1]} at {nearest[0]:.0f} km); raise "
            "network.backhaul_max_km or check the coordinates",
            f"sites[{i}]",
        )
    for lnd, d in near:
        _add_edge(
            graph, edges, config, node, f"landing:{lnd.slug}",
            km=d, link_type="backhaul", cable="", segment=f"backhaul:{site.name}-{lnd.slug}",
            capacity_gbps=config.backhaul_capacity_gbps,
        )  # fmt: skip


# ------------------------------------------------------------------------------------ routes
def _check_cut(net: CampusNetwork, cut: Iterable[str]) -> frozenset[str]:
    """The cut as a set of known cable slugs.

    A cable of the data file that is not in the graph (retired or planned, outside
    ``include_status``) may be cut and changes nothing: the graph functions compose over
    any status set. Users are stopped earlier: the scenario's outages and ``--cut`` reject
    such a cable with how to include it (:func:`dctwin.scenario.network.with_cable_cuts`).
    """
    if isinstance(cut, str):
        cut = (cut,)
    known = {c.slug for c in net.data.cables}
    for name in cut:
        if name not in known:
            raise CatalogError(f"unknown cable {name!r} to cut; {close_names(name, known)}")
    return frozenset(cut)


def _view(net: CampusNetwork, site: str, cut: frozenset[str]) -> nx.Graph:
    g = net.graph
    node = f"site:{site}"
    return nx.subgraph_view(
        g,
        filter_node=lambda n: n == node or g.nodes[n]["kind"] != "site",
        filter_edge=lambda u, v: g[u][v]["cable"] not in cut,
    )


def _state(net: CampusNetwork, cut: frozenset[str]) -> _State:
    state = net._states.get(cut)
    if state is not None:
        return state
    rtt = np.full((len(net.sites), len(net.cities)), np.inf)
    paths: list[tuple[tuple[str, ...], ...]] = []
    for i, site in enumerate(net.sites):
        dist, found = nx.single_source_dijkstra(_view(net, site, cut), f"site:{site}", weight="rtt_ms")
        row = []
        for j, city in enumerate(net.cities):
            target = f"city:{city}"
            if target in dist:
                rtt[i, j] = dist[target] + net.config.route_overhead_ms
            row.append(tuple(found.get(target, ())))
        paths.append(tuple(row))
    state = _State(rtt_ms=rtt, paths=tuple(paths))
    net._states[cut] = state
    return state


def _edge_ids(graph: nx.Graph, path: Sequence[str]) -> np.ndarray:
    return np.array([graph[a][b]["eid"] for a, b in itertools.pairwise(path)], dtype=int)


def _route_label(graph: nx.Graph, path: Sequence[str]) -> str:
    if not path:
        return "unreachable"
    parts = [graph.nodes[path[0]]["label"]]
    for a, b in itertools.pairwise(path):
        cable = graph[a][b]["cable"]
        if graph.nodes[b]["kind"] == "junction":
            continue
        parts.append(f" >[{cable}]> " if cable else " > ")
        parts.append(graph.nodes[b]["label"])
    return "".join(parts)


@dataclass(frozen=True)
class RouteTable:
    """Shortest-RTT route per site × city.

    Attributes
    ----------
    sites, cities
        Axes. [-]
    rtt_ms
        Route RTT, ``inf`` where unreachable, shape (n_sites, n_cities). [ms]
    km
        Stated route length (sum of edge lengths before inflation); ``inf`` where unreachable. [km]
    reachable
        Whether a route exists. [bool]
    bottleneck_capacity_gbps
        Smallest edge capacity on the route; 0 where unreachable. [Gb/s]
    cables
        Cables used, in path order, per site and city. [-]
    route
        Readable route, e.g. ``north > tetouan >[tetouan-estepona]> estepona > madrid``. [-]
    paths
        Graph nodes of the route (``site:…``, ``landing:…``, ``city:…``); empty where unreachable. [-]
    cut
        The cut cables. [-]
    """

    sites: tuple[str, ...]
    cities: tuple[str, ...]
    rtt_ms: np.ndarray
    km: np.ndarray
    reachable: np.ndarray
    bottleneck_capacity_gbps: np.ndarray
    cables: tuple[tuple[tuple[str, ...], ...], ...]
    route: tuple[tuple[str, ...], ...]
    paths: tuple[tuple[tuple[str, ...], ...], ...]
    cut: frozenset[str]

    def to_frame(self) -> pd.DataFrame:
        """One row per site × city with the unit-named columns of the table."""
        rows = [
            {
                "site": s, "city": c, "rtt_ms": self.rtt_ms[i, j], "km": self.km[i, j],
                "reachable": bool(self.reachable[i, j]),
                "bottleneck_capacity_gbps": self.bottleneck_capacity_gbps[i, j],
                "cables": "+".join(self.cables[i][j]), "route": self.route[i][j],
            }
            for i, s in enumerate(self.sites)
            for j, c in enumerate(self.cities)
        ]  # fmt: skip
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        cut = f", cut={sorted(self.cut)}" if self.cut else ""
        return (
            f"RouteTable({len(self.sites)} sites × {len(self.cities)} cities, "
            f"{int((~self.reachable).sum())} unreachable{cut})"
        )


def routes(net: CampusNetwork, cut: Iterable[str] = ()) -> RouteTable:
    """Shortest-RTT route from every site to every city, with the cut cables removed.

    Parameters
    ----------
    net
        The route graph.
    cut
        Cable slugs out of service (all their segments are removed).

    Returns
    -------
    RouteTable
        Unreachable pairs have ``rtt_ms = inf`` and ``reachable = False``.

    Raises
    ------
    CatalogError
        An unknown cable slug (with the closest name).

    Notes
    -----
    RTT = Σ_e rtt_e + route_overhead_ms over the path minimising it (Dijkstra); cut states are
    computed once per network and cached.
    """
    cut_set = _check_cut(net, cut)
    st = _state(net, cut_set)
    g = net.graph
    shape = st.rtt_ms.shape
    km, cap = np.full(shape, np.inf), np.zeros(shape)
    cables: list[tuple[tuple[str, ...], ...]] = []
    labels: list[tuple[str, ...]] = []
    for i in range(shape[0]):
        row_c, row_l = [], []
        for j in range(shape[1]):
            path = st.paths[i][j]
            eids = _edge_ids(g, path)
            if path:
                km[i, j] = sum(g[a][b]["km"] for a, b in itertools.pairwise(path))
                cap[i, j] = net.edge_capacity_gbps[eids].min()
            used = [net.edge_cable[e] for e in eids if net.edge_cable[e]]
            row_c.append(tuple(dict.fromkeys(used)))
            row_l.append(_route_label(g, path))
        cables.append(tuple(row_c))
        labels.append(tuple(row_l))
    return RouteTable(
        net.sites,
        net.cities,
        st.rtt_ms.copy(),
        km,
        np.isfinite(st.rtt_ms),
        cap,
        tuple(cables),
        tuple(labels),
        st.paths,
        cut_set,
    )


# ---------------------------------------------------------------------------------- outages
def _outage_states(
    net: CampusNetwork,
    times_utc: pd.DatetimeIndex,
    outages: Sequence[Outage],
    base: frozenset[str] = frozenset(),
) -> tuple[list[frozenset[str]], np.ndarray]:
    """The distinct cut sets over the steps, and the index of each step's set."""
    if not isinstance(times_utc, pd.DatetimeIndex) or times_utc.tz is None:
        raise ValueError(
            "times_utc must be a tz-aware pandas DatetimeIndex (UTC); use pd.date_range(..., tz='UTC')"
        )
    _check_cut(net, [o.cable for o in outages])
    t = times_utc.tz_convert("UTC")
    active = np.zeros((len(t), len(outages)), dtype=bool)
    for k, o in enumerate(outages):
        active[:, k] = np.asarray((t >= pd.Timestamp(o.start_utc)) & (t < pd.Timestamp(o.end_utc)))
    rows, inverse = np.unique(active, axis=0, return_inverse=True)
    states: list[frozenset[str]] = []
    index = np.empty(len(t), dtype=int)
    for r, row in enumerate(rows):
        cut = base | {o.cable for o, on in zip(outages, row, strict=True) if on}
        if cut not in states:
            states.append(cut)
        index[inverse.reshape(-1) == r] = states.index(cut)
    return states, index


def rtt_timeseries(
    net: CampusNetwork, times_utc: pd.DatetimeIndex, outages: Sequence[Outage] = ()
) -> np.ndarray:
    """RTT per step, site and city while scheduled outages come and go.

    Parameters
    ----------
    net
        The route graph.
    times_utc
        Step starts, tz-aware. A step is under an outage if its start lies in
        ``[start_utc, end_utc)``.
    outages
        Cable outages (e.g. ``scenario.network.outages``).

    Returns
    -------
    ndarray
        Shape (n_steps, n_sites, n_cities), ``inf`` where unreachable. [ms]

    Notes
    -----
    Each distinct set of active outages is routed once; the steps share its result.
    """
    states, index = _outage_states(net, times_utc, outages)
    table = np.stack([_state(net, s).rtt_ms for s in states]) if states else np.empty((0, *net.gc_km.shape))
    out: np.ndarray = table[index]
    return out


# ---------------------------------------------------------------------------------- traffic
@dataclass(frozen=True)
class TrafficResult:
    """Demand spread over the routes within link capacity.

    Attributes
    ----------
    sites, cities, cables
        Axes. [-]
    demand_gbps, served_gbps, unserved_gbps
        Per (step,) site and city; ``served + unserved = demand``. [Gb/s]
    rtt_ms
        Mean RTT of the traffic carried (flow-weighted over its paths); NaN where none. [ms]
    cable_utilisation_frac
        Largest segment flow ÷ capacity per (step,) cable. [frac]
    """

    sites: tuple[str, ...]
    cities: tuple[str, ...]
    cables: tuple[str, ...]
    demand_gbps: np.ndarray
    served_gbps: np.ndarray
    unserved_gbps: np.ndarray
    rtt_ms: np.ndarray
    cable_utilisation_frac: np.ndarray

    def by_city(self) -> pd.DataFrame:
        """Per city, summed over sites and averaged over steps: demand, served, unserved, mean RTT."""
        shape = (-1, *self.demand_gbps.shape[-2:])
        served = self.served_gbps.reshape(shape)
        n = max(served.shape[0], 1)
        total = served.sum(axis=(0, 1))
        weighted = (np.nan_to_num(self.rtt_ms.reshape(shape)) * served).sum(axis=(0, 1))
        return pd.DataFrame(
            {
                "demand_gbps": self.demand_gbps.reshape(shape).sum(axis=(0, 1)) / n,
                "served_gbps": total / n,
                "unserved_gbps": self.unserved_gbps.reshape(shape).sum(axis=(0, 1)) / n,
                "rtt_ms": np.divide(weighted, total, out=np.full(total.shape, np.nan), where=total > 0),
            },
            index=pd.Index(self.cities, name="city"),
        )

    def __repr__(self) -> str:
        return (
            f"TrafficResult(demand {self.demand_gbps.sum():.4g} Gb/s, "
            f"unserved {self.unserved_gbps.sum():.4g} Gb/s, "
            f"max utilisation {np.max(self.cable_utilisation_frac, initial=0.0):.2f})"
        )


_PATH_SCAN = 10
"""Simple paths scanned per candidate kept (bounds the search when many detours share cables)."""


def _k_paths(net: CampusNetwork, cut: frozenset[str], i: int, j: int) -> list[tuple[float, np.ndarray]]:
    """Candidate paths of a pair: the k shortest, and the shortest through each backhaul landing."""
    st = _state(net, cut)
    key = (i, j)
    if key in st.k_paths:
        return st.k_paths[key]
    paths: dict[tuple[str, ...], None] = {}
    if np.isfinite(st.rtt_ms[i, j]):
        source, target = f"site:{net.sites[i]}", f"city:{net.cities[j]}"
        view = _view(net, net.sites[i], cut)
        gen = nx.shortest_simple_paths(view, source, target, weight="rtt_ms")
        # the k shortest with distinct cable sets: detours over terrestrial links that ride the
        # same cables add no capacity, so they would only crowd out the diverse routes
        seen: set[frozenset[str]] = set()
        for p in itertools.islice(gen, _PATH_SCAN * net.config.k_paths):
            cables = frozenset(c for a, b in itertools.pairwise(p) if (c := view[a][b]["cable"]))
            if cables not in seen:
                seen.add(cables)
                paths[tuple(p)] = None
                if len(seen) == net.config.k_paths:
                    break
        transit = nx.restricted_view(view, [source], [])  # no site on the way
        for landing in view.neighbors(source):
            try:
                paths[(source, *nx.dijkstra_path(transit, landing, target, weight="rtt_ms"))] = None
            except nx.NetworkXNoPath:
                continue
    g = net.graph
    st.k_paths[key] = [
        (
            sum(g[a][b]["rtt_ms"] for a, b in itertools.pairwise(p)) + net.config.route_overhead_ms,
            _edge_ids(g, p),
        )
        for p in paths
    ]
    return st.k_paths[key]


@dataclass(frozen=True)
class _Columns:
    """The path formulation of one cut state: the candidate paths of every reachable pair."""

    pairs: np.ndarray  # flat pair index (i * n_cities + j) per LP pair
    rtt_ms: np.ndarray  # RTT per path column
    pair_of_path: sparse.csr_matrix  # (n_pairs, n_paths) 0/1
    edges_of_path: sparse.csr_matrix  # (n_edges, n_paths) 0/1
    used: np.ndarray  # edge ids on some path (capacity rows)


def _columns(net: CampusNetwork, cut: frozenset[str]) -> _Columns:
    st = _state(net, cut)
    n_c = len(net.cities)
    pairs: list[int] = []
    rtts: list[float] = []
    pair_idx: list[int] = []
    edge_rows: list[int] = []
    edge_cols: list[int] = []
    for i, j in zip(*np.nonzero(np.isfinite(st.rtt_ms)), strict=True):
        p = len(pairs)
        pairs.append(int(i) * n_c + int(j))
        for rtt, eids in _k_paths(net, cut, int(i), int(j)):
            pair_idx.append(p)
            edge_rows.extend(eids.tolist())
            edge_cols.extend([len(rtts)] * len(eids))
            rtts.append(rtt)
    n_x = len(rtts)
    return _Columns(
        pairs=np.array(pairs, dtype=int),
        rtt_ms=np.array(rtts, dtype=float),
        pair_of_path=sparse.csr_matrix((np.ones(n_x), (pair_idx, np.arange(n_x))), shape=(len(pairs), n_x)),
        edges_of_path=sparse.csr_matrix(
            (np.ones(len(edge_rows)), (edge_rows, edge_cols)), shape=(len(net.edge_cable), n_x)
        ),
        used=np.unique(np.array(edge_rows, dtype=int)),
    )


def _solve_steps(
    net: CampusNetwork, cut: frozenset[str], demand: np.ndarray, usable: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min-cost flow over the candidate paths, steps (m, S, C) solved as one block-diagonal LP."""
    col = _columns(net, cut)
    m = demand.shape[0]
    n_p, n_x = col.pair_of_path.shape
    a_eq = sparse.hstack([col.pair_of_path, sparse.identity(n_p)])  # paths + unserved = demand
    a_ub = sparse.hstack([col.edges_of_path[col.used], sparse.csr_matrix((len(col.used), n_p))])
    unserved_cost = 1e3 * (1.0 + col.rtt_ms.max(initial=0.0))  # dearer than any path
    cost = np.concatenate([col.rtt_ms, np.full(n_p, unserved_cost)])
    block = sparse.identity(m, format="csr")
    res = linprog(
        np.tile(cost, m),
        A_ub=sparse.kron(block, a_ub, format="csr"),
        b_ub=np.tile(usable[col.used], m),
        A_eq=sparse.kron(block, a_eq, format="csr"),
        b_eq=demand.reshape(m, -1)[:, col.pairs].ravel(),
        bounds=(0, None),
        method="highs",
    )
    if res.status != 0:
        raise InfeasibleError(f"traffic assignment LP failed: {res.message}")
    x = np.maximum(res.x.reshape(m, n_x + n_p)[:, :n_x], 0.0)
    carried = np.zeros((m, demand[0].size))
    rtt_sum = np.zeros_like(carried)
    carried[:, col.pairs] = (col.pair_of_path @ x.T).T
    rtt_sum[:, col.pairs] = (col.pair_of_path @ (x * col.rtt_ms).T).T
    served = np.minimum(carried.reshape(demand.shape), demand)
    mean_rtt = np.divide(
        rtt_sum.reshape(demand.shape), carried.reshape(demand.shape),
        out=np.full(demand.shape, np.nan), where=carried.reshape(demand.shape) > 1e-12,
    )  # fmt: skip
    return served, mean_rtt, (col.edges_of_path @ x.T).T


def _assign_state(
    net: CampusNetwork, cut: frozenset[str], demand: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Served, mean RTT and edge flow for steps (m, S, C) under one cut state."""
    st = _state(net, cut)
    m, n_s, n_c = demand.shape
    incidence = np.zeros((len(net.edge_cable), n_s * n_c))
    for i in range(n_s):
        for j in range(n_c):
            incidence[_edge_ids(net.graph, st.paths[i][j]), i * n_c + j] = 1.0
    served = demand * np.isfinite(st.rtt_ms)
    edge_flow = served.reshape(m, n_s * n_c) @ incidence.T
    rtt = np.where(served > 0, st.rtt_ms, np.nan)
    usable = net.edge_capacity_gbps * net.config.utilisation_cap_frac
    over = np.flatnonzero((edge_flow > usable * (1 + 1e-9) + 1e-9).any(axis=1))
    # capacity binds in these steps: the candidate paths share the load (batched LPs)
    for batch in np.array_split(over, -(-len(over) // _LP_BATCH)) if len(over) else ():
        served[batch], rtt[batch], edge_flow[batch] = _solve_steps(net, cut, demand[batch], usable)
    return served, rtt, edge_flow


def assign_traffic(
    net: CampusNetwork,
    demand_gbps: ArrayLike,
    cut: Iterable[str] = (),
    times_utc: pd.DatetimeIndex | None = None,
    outages: Sequence[Outage] = (),
) -> TrafficResult:
    """Carry a demand over the routes, each link loaded up to its usable capacity.

    Parameters
    ----------
    net
        The route graph.
    demand_gbps
        Traffic per site and city, shape (n_sites, n_cities) or (n_steps, n_sites, n_cities). [Gb/s]
    cut
        Cables out for the whole horizon.
    times_utc, outages
        Step starts and scheduled outages (3-D demand only): each step uses its own cut set.

    Returns
    -------
    TrafficResult
        Same leading shape as the demand.

    Raises
    ------
    ValueError
        A demand of the wrong shape, negative or not finite.

    Notes
    -----
    Where the shortest routes fit within ``capacity × utilisation_cap_frac`` on every link, they
    carry everything (vectorised over steps). In the steps where some link would overflow, a
    linear programme (HiGHS) spreads each pair over its candidate paths — the ``k_paths`` shortest
    (Yen) plus the shortest through each landing the site has backhaul to, so that every corridor
    out of Morocco is a candidate — at least total RTT × Gb/s, subject to the link capacities; what
    cannot be carried is unserved (at a penalty above any path). Congested steps of one cut state
    are solved together, ``_LP_BATCH`` per block-diagonal LP. Capacity is per direction and the
    flows of a link are summed.
    """
    d = np.asarray(demand_gbps, dtype=float)
    flat = d.ndim == 2
    d3 = d[None] if flat else d
    want = (len(net.sites), len(net.cities))
    if d3.ndim != 3 or d3.shape[1:] != want:
        raise ValueError(f"demand_gbps must have shape {want} or (n_steps, *{want}), got {d.shape}")
    if not np.all(np.isfinite(d3)) or (d3 < 0).any():
        raise ValueError("demand_gbps must be finite and ≥ 0 Gb/s")
    base = _check_cut(net, cut)
    if outages:
        if times_utc is None or flat or len(times_utc) != d3.shape[0]:
            raise ValueError("outages need times_utc with one entry per step of a 3-D demand_gbps")
        states, index = _outage_states(net, times_utc, outages, base)
    else:
        states, index = [base], np.zeros(d3.shape[0], dtype=int)
    served, rtt = np.zeros_like(d3), np.full_like(d3, np.nan)
    edge_flow = np.zeros((d3.shape[0], len(net.edge_cable)))
    for k, state in enumerate(states):
        steps = np.flatnonzero(index == k)
        served[steps], rtt[steps], edge_flow[steps] = _assign_state(net, state, d3[steps])
    util = np.zeros((d3.shape[0], len(net.cables)))
    cap = net.edge_capacity_gbps
    for c, cable in enumerate(net.cables):
        eids = [e for e, name in enumerate(net.edge_cable) if name == cable]
        util[:, c] = (edge_flow[:, eids] / cap[eids]).max(axis=1)
    unserved = np.maximum(d3 - served, 0.0)
    pick = (lambda a: a[0]) if flat else (lambda a: a)
    return TrafficResult(
        net.sites, net.cities, net.cables, pick(d3), pick(served), pick(unserved), pick(rtt), pick(util)
    )


# ------------------------------------------------------------------------------------ cuts
def _deliverable_gbps(net: CampusNetwork, cut: frozenset[str], j: int, rows: Sequence[int]) -> float:
    """Max flow from sites ``rows`` to city ``j`` over the links that lie on a route within its budget."""
    g = net.graph
    sources = {f"site:{net.sites[i]}" for i in rows}
    view = nx.subgraph_view(
        g,
        filter_node=lambda n: n in sources or g.nodes[n]["kind"] != "site",
        filter_edge=lambda u, v: g[u][v]["cable"] not in cut,
    )
    target = f"city:{net.cities[j]}"
    limit = net.rtt_budget_ms[j] - net.config.route_overhead_ms + 1e-9
    to_node = nx.multi_source_dijkstra_path_length(view, sources, weight="rtt_ms")
    if to_node.get(target, np.inf) > limit:
        return 0.0
    from_node = nx.single_source_dijkstra_path_length(view, target, weight="rtt_ms")
    flow = nx.DiGraph()
    flow.add_edges_from(("source", s) for s in sources)  # no capacity attribute: unbounded
    for u, v, attrs in view.edges(data=True):
        for a, b in ((u, v), (v, u)):
            if to_node.get(a, np.inf) + attrs["rtt_ms"] + from_node.get(b, np.inf) <= limit:
                flow.add_edge(a, b, capacity=attrs["capacity_gbps"] * net.config.utilisation_cap_frac)
    return float(nx.maximum_flow_value(flow, "source", target))


def cut_comparison(net: CampusNetwork, cable: str | Sequence[str], site: str | None = None) -> pd.DataFrame:
    """What cutting one or more cables does to each city: RTT, capacity, route, SLO.

    Parameters
    ----------
    net
        The route graph.
    cable
        Cable slug, or several cut together.
    site
        Compare the routes from this site only; ``None`` = the best site per city (the campus).

    Returns
    -------
    DataFrame
        Indexed by city: ``site_before``/``site_after``, ``rtt_before_ms``/``rtt_after_ms``,
        ``rtt_change_ms``, ``capacity_before_gbps``/``capacity_after_gbps``, ``rtt_budget_ms``,
        ``slo_met_before``/``slo_met_after``, ``slo_lost``, ``route_before``/``route_after``.

    Raises
    ------
    CatalogError
        An unknown cable or site.

    Notes
    -----
    *Capacity* is what the site(s) can deliver to the city within its RTT budget: the maximum
    flow over the links (u → v) that lie on some route within the budget,
    ``d(sites, u) + rtt(u, v) + d(v, city) ≤ rtt_budget_ms − route_overhead_ms``, each loaded up to
    ``capacity × utilisation_cap_frac``. It never grows with a cut. (A flow may join such links
    into a path a little over the budget: an upper bound on the exact length-bounded flow.)
    *SLO lost*: the best route met the budget before the cut and does not after it (or the city
    is unreachable).
    """
    cut = _check_cut(net, (cable,) if isinstance(cable, str) else cable)
    if site is not None and site not in net.sites:
        raise CatalogError(f"unknown site {site!r}; {close_names(site, net.sites)}")
    rows = np.array([net.sites.index(site)]) if site is not None else np.arange(len(net.sites))
    out: dict[str, Any] = {}
    for when, table in (("before", routes(net)), ("after", routes(net, cut))):
        sub = table.rtt_ms[rows]
        best = rows[np.argmin(sub, axis=0)]
        out[f"site_{when}"] = [table.sites[b] for b in best]
        out[f"rtt_{when}_ms"] = sub.min(axis=0)
        out[f"route_{when}"] = [table.route[b][j] for j, b in enumerate(best)]
        out[f"capacity_{when}_gbps"] = [
            _deliverable_gbps(net, table.cut, j, rows.tolist()) for j in range(len(net.cities))
        ]
    frame = pd.DataFrame(out, index=pd.Index(net.cities, name="city"))
    frame["rtt_change_ms"] = frame["rtt_after_ms"] - frame["rtt_before_ms"]
    frame["rtt_budget_ms"] = net.rtt_budget_ms
    frame["slo_met_before"] = frame["rtt_before_ms"] <= frame["rtt_budget_ms"]
    frame["slo_met_after"] = frame["rtt_after_ms"] <= frame["rtt_budget_ms"]
    frame["slo_lost"] = frame["slo_met_before"] & ~frame["slo_met_after"]
    order = [
        "site_before", "rtt_before_ms", "site_after", "rtt_after_ms", "rtt_change_ms", "capacity_before_gbps",
        "capacity_after_gbps", "rtt_budget_ms", "slo_met_before", "slo_met_after", "slo_lost", "route_before",
        "route_after",
    ]  # fmt: skip
    return frame[order]
