"""Scenario block of the network (RTT model, capacity model, outages) and the network data files.

A :class:`NetworkConfig` fixes how round-trip times are computed over the route graph of
:mod:`dctwin.network` and which cables are out when:

* **propagation**: 4.90 µs/km one way in single-mode fibre (facts.md §5.2);
* **path inflation** per link type (:class:`InflationFactors`): the fibre path is longer than
  the stated length of a link (great circle for terrestrial links and backhaul, the cable's own
  length for submarine segments);
* **equipment and protocol overhead**: a fixed part per route and a part per hop;
* **cable lengths** not published: great circle × :attr:`NetworkConfig.cable_route_factor`;
* **backhaul**: the rule that links each campus site to the landing stations;
* **capacity**: how much of a link the campus's traffic may use, and bytes per token of the
  inference traffic;
* **SLO**: a network RTT budget per demand city;
* **outages**: cable cuts with a start and an end (UTC).

The network itself is data, ``scenario/data/network/<name>.toml``: landing stations, cables with
their segments, terrestrial links. :func:`load_network_data` reads and validates one (cached).

Sources: facts.md = ``shared/reference/facts.md`` (§5.1 cables, §5.2 propagation and inflation,
§5.3 RTT table); Bozkurt et al., "Dissecting Latency in the Internet's Fiber Infrastructure",
arXiv 1811.10737 (2018).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import networkx as nx
from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from dctwin.errors import CatalogError, ScenarioError
from dctwin.scenario.inference import load_regions
from dctwin.scenario.schema_base import Model, check_slug, q

__all__ = [
    "Cable",
    "InflationFactors",
    "Landing",
    "Link",
    "NetworkConfig",
    "NetworkData",
    "NetworkDefaults",
    "Outage",
    "Segment",
    "Status",
    "close_names",
    "load_network_data",
    "network_data_from_dict",
    "network_data_names",
    "with_cable_cuts",
]

Status = Literal["in_service", "retired", "planned"]

_UTC = dt.UTC


# --------------------------------------------------------------------------- the scenario block
class InflationFactors(Model):
    """Fibre path length ÷ stated length of a link, per link type.

    RTT of a link = 2 · km · µs/km · factor / 1000 + per-hop overhead (:mod:`dctwin.network`).
    """

    submarine: float = q(
        1.0,
        "1",
        "Submarine segments: the stated km is the cable's own length (published, or great circle × "
        "cable_route_factor), so no further inflation",
        "E: facts.md §5.1 lengths are cable lengths; the route factor is applied to unpublished ones",
        ge=1.0,
        le=3.0,
    )
    terrestrial: float = q(
        1.3,
        "1",
        "Terrestrial long-haul links (landing → metro, metro ↔ metro) over their great-circle distance",
        "facts.md §5.2: best conduit paths ≈ ×1.3 line of sight (median, Bozkurt et al., arXiv 1811.10737)",
        ge=1.0,
        le=3.0,
    )
    backhaul: float = q(
        1.5,
        "1",
        "Campus backhaul (site → landing) over its great-circle distance",
        "E: regional paths through intermediate POPs inflate more than long-haul conduits (facts.md §5.2, "
        "calibration pings: short paths inflate most); between Bozkurt's ×1.3 conduit median and the "
        "×2.1 public-Internet factor",
        ge=1.0,
        le=3.0,
    )

    def of(self, link_type: str) -> float:
        """The factor of a link type (``submarine``, ``terrestrial`` or ``backhaul``). [1]"""
        return float(getattr(self, link_type))


class Outage(Model):
    """A cable out of service from ``start_utc`` (inclusive) to ``end_utc`` (exclusive).

    Dates without a time are midnight UTC; naive date-times are read as UTC.
    """

    cable: str = Field(description="Slug of the cable that is cut, e.g. 'atlas-offshore'")
    start_utc: dt.datetime = Field(description="Start of the outage (inclusive), UTC")
    end_utc: dt.datetime = Field(description="End of the outage (exclusive), UTC")
    description: str = Field("", description="What happened, e.g. 'anchor drag 86 km off Asilah'")

    @field_validator("start_utc", "end_utc", mode="before")
    @classmethod
    def _date_to_datetime(cls, value: Any) -> Any:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return dt.datetime(value.year, value.month, value.day, tzinfo=_UTC)
        return value

    @field_validator("start_utc", "end_utc")
    @classmethod
    def _to_utc(cls, value: dt.datetime) -> dt.datetime:
        return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)

    @model_validator(mode="after")
    def _ordered(self) -> Outage:
        if self.end_utc <= self.start_utc:
            raise ValueError(
                f"end_utc {self.end_utc:%Y-%m-%d %H:%M} UTC must be after start_utc "
                f"{self.start_utc:%Y-%m-%d %H:%M} UTC; swap them or fix the end"
            )
        return self

    def __repr__(self) -> str:
        return f"Outage({self.cable!r}, {self.start_utc:%Y-%m-%d %H:%M} → {self.end_utc:%Y-%m-%d %H:%M} UTC)"


class NetworkConfig(Model):
    """How RTT and capacity are computed over the route graph, and which cables are out when."""

    data: str = q(
        "emea",
        "name",
        "Network data: a built-in name (scenario/data/network/<name>.toml) or a path to a TOML file",
        "scenario/data/network/emea.toml: facts.md §5.1 cables and landings, terrestrial links E",
    )
    fibre_us_per_km: float = q(
        4.90,
        "µs/km",
        "One-way propagation delay in single-mode fibre",
        "facts.md §5.2: n ≈ 1.4682 → 4.90 µs/km",
        gt=3.33,
        le=6.0,
    )
    inflation: InflationFactors = Field(
        default_factory=InflationFactors, description="Path inflation factor per link type"
    )
    cable_route_factor: float = q(
        1.30,
        "1",
        "Length of a submarine segment whose length is not published ÷ its great circle (through its "
        "waypoints)",
        "E: Σ published ÷ Σ great-circle length of the Moroccan cables with published lengths: "
        "(1,634 + 187 + 814) km / (1,309 + 131 + 589) km = 1.30 (facts.md §5.1)",
        ge=1.0,
        le=3.0,
    )
    route_overhead_ms: float = q(
        2.0,
        "ms",
        "Fixed RTT overhead per route: end-host NICs, load balancers, TLS termination",
        "E: bottom of the 2–5 ms planning overhead of facts.md §5.3; the hops add the rest",
        ge=0.0,
        le=50.0,
    )
    hop_overhead_ms: float = q(
        0.1,
        "ms",
        "RTT overhead per link traversed: routers, transponders, landing-station equipment",
        "E: ≈ 50 µs per direction per hop; 8–12 hops bring a route to facts.md §5.3's 2–5 ms overhead",
        ge=0.0,
        le=10.0,
    )
    include_status: tuple[Literal["in_service", "retired", "planned"], ...] = q(
        ("in_service",),
        "choice",
        "Which cable segments the graph holds, by status in the network data",
        "E: the network in service in 2026 (SEA-ME-WE 3 retired Dec 2024; Medusa's Lisbon and Port Said "
        "legs planned)",
        min_length=1,
    )
    backhaul_countries: tuple[str, ...] = q(
        ("MA",),
        "ISO 3166-1 alpha-2",
        "A site gets backhaul to the landing stations in these countries only (no cross-border backhaul)",
        "E: both campus sites are in Morocco (facts.md §1); other countries are reached over cables",
        min_length=1,
    )
    backhaul_max_km: float = q(
        500.0,
        "km",
        "A site gets backhaul to every landing of backhaul_countries within this great-circle distance",
        "E: covers the four Moroccan landings from both sites (north 17–294 km, Nouaceur 23–471 km)",
        gt=0.0,
        le=5000.0,
    )
    backhaul_capacity_gbps: float = q(
        3200.0,
        "Gb/s",
        "Capacity of each site → landing backhaul link",
        "E: 8 × 400 Gb/s wavelengths leased per landing station",
        gt=0.0,
    )
    utilisation_cap_frac: float = q(
        0.8,
        "frac",
        "Share of a link's capacity the campus's traffic may fill (the rest: other traffic, headroom)",
        "E: operators plan capacity upgrades at 70–80 % peak utilisation",
        gt=0.0,
        le=1.0,
    )
    k_paths: int = q(
        6,
        "paths",
        "Candidate paths per site–city pair when capacity binds: the k shortest by RTT with distinct "
        "cable sets (plus the shortest through each backhaul landing)",
        "E: every cable corridor to each city of the default network (at most 5 for Marseille: "
        "Atlas, Tetouan–Estepona, Medusa, Loukkos, MT West Africa North) plus one",
        ge=1,
        le=32,
    )
    prompt_bytes_per_token: float = q(
        4.0,
        "B/token",
        "User → campus bytes per prompt token (request body)",
        "E: ≈ 4 characters of English text per token (OpenAI tokenizer guidance), 1 B each in UTF-8",
        gt=0.0,
    )
    output_bytes_per_token: float = q(
        200.0,
        "B/token",
        "Campus → user bytes per generated token (one streamed server-sent event per token)",
        "E: an OpenAI-compatible chat.completion.chunk event is ≈ 150–250 B of JSON",
        gt=0.0,
    )
    rtt_budget_inflation: float = q(
        2.1,
        "1",
        "Default RTT budget of a city: this factor × its great-circle floor from the nearest site, "
        "plus rtt_budget_overhead_ms",
        "facts.md §5.3: ×2.1, the public-Internet column (Bozkurt et al.): a reroute worse than the "
        "public Internet loses the latency SLO",
        ge=1.0,
        le=10.0,
    )
    rtt_budget_overhead_ms: float = q(
        5.0,
        "ms",
        "Fixed part of the default RTT budget",
        "facts.md §5.3: top of the 2–5 ms overhead",
        ge=0.0,
        le=500.0,
    )
    rtt_budget_ms: dict[str, float] = q(
        {},
        "ms",
        "RTT budget per city slug, overriding the default rule",
        "E: none; set from the inference SLO (TTFT limit minus queueing and prefill)",
    )
    outages: list[Outage] = Field(default_factory=list, description="Cable outages with start and end")

    @field_validator("backhaul_countries")
    @classmethod
    def _countries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out = tuple(c.upper() for c in value)
        bad = [c for c in out if len(c) != 2 or not c.isalpha()]
        if bad:
            raise ValueError(f"backhaul_countries must be ISO 3166-1 alpha-2 codes like 'MA', got {bad}")
        return out

    @field_validator("rtt_budget_ms")
    @classmethod
    def _positive_budgets(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not (v > 0 and math.isfinite(v))}
        if bad:
            raise ValueError(
                f"rtt_budget_ms values must be finite and > 0 ms, got {bad}; give each city a positive budget"
            )
        return value

    @model_validator(mode="after")
    def _names_exist(self) -> NetworkConfig:
        try:
            data = load_network_data(self.data)
        except CatalogError as exc:
            raise ValueError(f"data: {exc}") from None
        for i, outage in enumerate(self.outages):
            problem = _cut_check(outage.cable, data, self.include_status)
            if problem:
                raise ValueError(f"outages[{i}].cable: {problem}")
        cities = {r.slug for r in load_regions(data.regions)}
        for city in self.rtt_budget_ms:
            if city not in cities:
                raise ValueError(f"rtt_budget_ms: unknown city {city!r}; {close_names(city, cities)}")
        return self


def _cut_check(cable: str, data: NetworkData, include_status: Sequence[str]) -> str | None:
    """Why ``cable`` cannot be cut on this network (``None`` if it can)."""
    known = {c.slug: c for c in data.cables}
    if cable not in known:
        return f"unknown cable {cable!r}; {close_names(cable, known)}"
    c = known[cable]
    if not any((seg.status or c.status) in include_status for seg in c.segments):
        when = f" ({c.status_date:%Y-%m-%d})" if c.status_date else ""
        return (
            f"cable {cable!r} is {c.status}{when} and not in the graph (network.include_status = "
            f"{list(include_status)}); add {c.status!r} to include_status to model it"
        )
    return None


def with_cable_cuts(scenario: Any, cables: Sequence[str]) -> Any:
    """The scenario with each of ``cables`` cut for the whole simulated period.

    Parameters
    ----------
    scenario
        A validated :class:`dctwin.scenario.schema.Scenario`.
    cables
        Cable slugs of the scenario's network data (``dctwin run --cut``).

    Returns
    -------
    Scenario
        A copy whose ``network.outages`` gain one outage per cable, from the first step
        to the end of the run; the scenario's own outages stay.

    Raises
    ------
    ScenarioError
        A cable is not in the network data (the message lists the known cables).
    """
    if not cables:
        return scenario
    data = load_network_data(scenario.network.data)
    for cable in cables:
        problem = _cut_check(cable, data, scenario.network.include_status)
        if problem:
            raise ScenarioError(problem, "--cut")
    start = dt.datetime.combine(scenario.time.start_date, dt.time(), tzinfo=_UTC)
    end = start + dt.timedelta(days=scenario.time.duration_days)
    added = [
        Outage(cable=c, start_utc=start, end_utc=end, description="--cut: the whole run") for c in cables
    ]
    network = scenario.network.model_copy(update={"outages": [*scenario.network.outages, *added]})
    return scenario.model_copy(update={"network": network})


def close_names(name: str, known: Sequence[str] | set[str] | Mapping[str, Any]) -> str:
    """``did you mean 'x'? (known: a, b, c)``, or just the known names.

    Examples
    --------
    >>> close_names("atlas", ["atlas-offshore", "loukkos"])
    "did you mean 'atlas-offshore'? (known: atlas-offshore, loukkos)"
    """
    names = sorted(known)
    hint = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    listed = ", ".join(names)
    return f"did you mean {hint[0]!r}? (known: {listed})" if hint else f"known: {listed}"


# ----------------------------------------------------------------------------- the data file
class Landing(Model):
    """A cable landing station."""

    slug: str = Field(description="Landing slug, e.g. 'asilah'")
    name: str = Field(description="Human-readable name")
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2 country code")
    latitude_deg: float = q(..., "°", "Latitude (WGS 84)", "network file", ge=-90, le=90)
    longitude_deg: float = q(..., "°", "Longitude (WGS 84)", "network file", ge=-180, le=180)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)


class Segment(Model):
    """One segment of a cable between two landings."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, populate_by_name=True)

    from_: str = Field(alias="from", description="Landing slug at one end")
    to: str = Field(description="Landing slug at the other end")
    km: float | None = q(
        None,
        "km",
        "Published segment length; empty = great circle × cable_route_factor",
        "network file",
        gt=0,
    )
    via: tuple[tuple[float, float], ...] = q(
        (), "°", "Waypoints (latitude, longitude) the great circle goes through", "network file"
    )
    link_type: Literal["submarine", "terrestrial"] = q(
        "submarine", "choice", "Submarine segment, or a cable system's land crossing", "network file"
    )
    capacity_gbps: float | None = q(
        None, "Gb/s", "Segment capacity; empty = the cable's", "network file", gt=0
    )
    status: Status | None = q(None, "choice", "Segment status; empty = the cable's", "network file")

    @field_validator("via")
    @classmethod
    def _waypoints(cls, value: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        for lat, lon in value:
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(f"waypoint ({lat}, {lon}) is not a (latitude, longitude) pair in degrees")
        return value


class Cable(Model):
    """A submarine cable system: capacity, status and its segments."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, populate_by_name=True)

    slug: str = Field(description="Cable slug, e.g. 'atlas-offshore'")
    name: str = Field(description="Display name")
    owner: str = Field(description="Owner or consortium")
    capacity_gbps: float = q(
        ..., "Gb/s", "Published capacity (lit or design, see the file)", "network file", gt=0
    )
    capacity_year: int = q(..., "year", "Year of the capacity figure", "network file", ge=1980, le=2100)
    status: Status = q(..., "choice", "in_service, retired or planned", "network file")
    status_date: dt.date | None = Field(
        None, description="Date of the status (retirement, ready for service)"
    )
    segments: list[Segment] = Field(alias="segment", min_length=1, description="Segments between landings")

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)


class Link(Model):
    """A terrestrial link between two nodes named ``landing:<slug>`` or ``city:<slug>``."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, populate_by_name=True)

    from_: str = Field(alias="from", description="Node, e.g. 'landing:rota'")
    to: str = Field(description="Node, e.g. 'city:madrid'")
    km: float | None = q(None, "km", "Route length; empty = great circle", "network file", gt=0)
    capacity_gbps: float | None = q(
        None, "Gb/s", "Capacity; empty = defaults.terrestrial_capacity_gbps", "network file", gt=0
    )


class NetworkDefaults(Model):
    """File-wide defaults."""

    terrestrial_capacity_gbps: float = q(
        25600.0,
        "Gb/s",
        "Capacity of a terrestrial link without its own",
        "E: 64 × 400 Gb/s on one pair",
        gt=0,
    )


class NetworkData(Model):
    """A network data file: landings, cables, terrestrial links, and the region set of its cities."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, populate_by_name=True)

    regions: str = Field("emea", description="Region set whose cities are the demand nodes")
    defaults: NetworkDefaults = Field(default_factory=NetworkDefaults, description="File-wide defaults")
    landings: list[Landing] = Field(alias="landing", min_length=1, description="Landing stations")
    cables: list[Cable] = Field(alias="cable", min_length=1, description="Submarine cables")
    links: list[Link] = Field(alias="link", default_factory=list, description="Terrestrial links")

    def cable(self, slug: str) -> Cable:
        """The cable of that slug.

        Raises
        ------
        CatalogError
            No such cable (with the closest name).
        """
        for c in self.cables:
            if c.slug == slug:
                return c
        raise CatalogError(f"unknown cable {slug!r}; {close_names(slug, [c.slug for c in self.cables])}")

    def __repr__(self) -> str:
        n_seg = sum(len(c.segments) for c in self.cables)
        return (
            f"NetworkData({len(self.landings)} landings, {len(self.cables)} cables / {n_seg} segments, "
            f"{len(self.links)} links, regions={self.regions!r})"
        )


_NETWORKS = resources.files("dctwin.scenario") / "data" / "network"


def network_data_names() -> list[str]:
    """Names of the network data files shipped in ``scenario/data/network/``, sorted."""
    return sorted(p.name.removesuffix(".toml") for p in _NETWORKS.iterdir() if p.name.endswith(".toml"))


def load_network_data(source: str = "emea") -> NetworkData:
    """Read and validate a network data file (parsed once per content: cached).

    Parameters
    ----------
    source
        A built-in name (``scenario/data/network/<name>.toml``) or a path to a TOML file.

    Returns
    -------
    NetworkData

    Raises
    ------
    CatalogError
        Neither a built-in name nor an existing file.
    ScenarioError
        An invalid entry; the message names it (``network/emea.toml cable[2].segment[0].to``)
        and the fix.

    Examples
    --------
    >>> data = load_network_data()
    >>> data.cable("atlas-offshore").segments[0].km
    1634.0
    """
    if source in network_data_names():
        text = (_NETWORKS / f"{source}.toml").read_text(encoding="utf-8")
        return _parse(text, f"network/{source}.toml")
    path = Path(source)
    if not path.is_file():
        raise CatalogError(
            f"no built-in network named {source!r} and no file at {str(path)!r}; built-in networks are "
            f"{network_data_names()}, or give the path of a TOML file"
        )
    return _parse(path.read_text(encoding="utf-8"), str(path))


@cache
def _parse(text: str, origin: str) -> NetworkData:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}; fix the syntax", origin) from None
    return network_data_from_dict(raw, origin)


def network_data_from_dict(raw: Mapping[str, Any], origin: str = "network") -> NetworkData:
    """Validate a network given as nested dicts (the parsed TOML).

    Checks, beyond types and bounds: unique slugs; every segment joins two known landings;
    every link joins two known nodes (``landing:<slug>`` or ``city:<slug>``); every city of the
    region set is reachable over the in-service network.

    Parameters
    ----------
    raw
        ``regions``, ``defaults``, ``landing``, ``cable`` (with ``segment``) and ``link`` tables.
    origin
        Name used as the first part of error paths.

    Returns
    -------
    NetworkData

    Raises
    ------
    ScenarioError
        Naming the entry (``cable[3].segment[1].to``) and how to fix it.
    """
    try:
        data = NetworkData.model_validate(dict(raw))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        if err["type"] == "extra_forbidden":
            known = _field_names(NetworkData, err["loc"][:-1])
            msg = f"unknown field {err['loc'][-1]!r}; {close_names(str(err['loc'][-1]), known)}"
        else:
            # imported here: the loader imports the schema, which imports this module
            from dctwin.scenario.loader import _explain, _unit_at

            loc = tuple(err["loc"])
            msg = _explain(err, _unit_at(NetworkData, loc), loc).replace("to the scenario", "to the file")
        raise ScenarioError(msg, f"{origin} {where}") from None
    try:
        regions = load_regions(data.regions)
    except CatalogError as exc:
        raise ScenarioError(f"{exc}", f"{origin} regions") from None
    _check_references(data, {r.slug for r in regions}, origin)
    return data


def _field_names(model: type[Model], loc: Sequence[Any]) -> list[str]:
    """The field names (aliases where set) of the model at ``loc`` inside ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        by_name = {(f.alias or n): f for n, f in current.model_fields.items()}
        annotation = by_name[str(part)].annotation
        current = next(a for a in (*getattr(annotation, "__args__", ()), annotation) if isinstance(a, type))
    return [f.alias or n for n, f in current.model_fields.items()]


def _unique(slugs: list[str], what: str, origin: str) -> None:
    seen: set[str] = set()
    for i, slug in enumerate(slugs):
        if slug in seen:
            raise ScenarioError(
                f"duplicate {what} slug {slug!r}; give every {what} its own", f"{origin} {what}[{i}]"
            )
        seen.add(slug)


def _check_references(data: NetworkData, cities: set[str], origin: str) -> None:
    landings = {lnd.slug for lnd in data.landings}
    _unique([lnd.slug for lnd in data.landings], "landing", origin)
    _unique([c.slug for c in data.cables], "cable", origin)
    graph = nx.Graph()
    graph.add_nodes_from(f"city:{c}" for c in cities)
    for i, cable in enumerate(data.cables):
        for j, seg in enumerate(cable.segments):
            for end, name in (("from", seg.from_), ("to", seg.to)):
                if name not in landings:
                    raise ScenarioError(
                        f"unknown landing {name!r}; {close_names(name, landings)}; add a [[landing]] or fix "
                        "the name",
                        f"{origin} cable[{i}].segment[{j}].{end}",
                    )
            if seg.from_ == seg.to:
                raise ScenarioError(
                    "a segment must join two different landings", f"{origin} cable[{i}].segment[{j}]"
                )
            if (seg.status or cable.status) == "in_service":
                graph.add_edge(f"landing:{seg.from_}", f"landing:{seg.to}")
    nodes = {f"landing:{s}" for s in landings} | {f"city:{c}" for c in cities}
    for i, link in enumerate(data.links):
        for end, name in (("from", link.from_), ("to", link.to)):
            if name not in nodes:
                raise ScenarioError(
                    f"unknown node {name!r}; {close_names(name, nodes)}; name a node 'landing:<slug>' or "
                    "'city:<slug>' of the region set",
                    f"{origin} link[{i}].{end}",
                )
        if link.from_ == link.to:
            raise ScenarioError("a link must join two different nodes", f"{origin} link[{i}]")
        graph.add_edge(link.from_, link.to)
    main = max(nx.connected_components(graph), key=lambda comp: sum(n.startswith("city:") for n in comp))
    lost = sorted(n.removeprefix("city:") for n in graph if n.startswith("city:") and n not in main)
    if lost:
        raise ScenarioError(
            f"cities {lost} cannot be reached over the in-service network; add a [[link]] from a landing or "
            "another city to each",
            f"{origin} link",
        )
