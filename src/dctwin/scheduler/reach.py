"""Network reach of the inference service: the route graph between the sites and the cities.

The workload layer asks three things of :mod:`dctwin.network`:

* the **planned RTT** of each region — the intact network's shortest routes, weighted by
  the share of the region served at each site — which sizes the replicas for the TTFT SLO
  (operators provision for the network they have, not for a cut they do not expect);
* the **RTT as run** per step, with the scenario's cable outages, which the serving model
  adds to each request's TTFT;
* whether the **capacity** of the links carries the traffic the service generates: each
  step's tokens become Gb/s per site and city (:func:`~dctwin.network.inference_traffic_gbps`),
  are spread over the routes within the usable capacity (:func:`~dctwin.network.assign_traffic`)
  and what cannot be carried counts against the SLO; the flow-weighted RTT of what is
  carried replaces the shortest route's where congestion pushes traffic onto longer paths.

It also writes the report's network tables: per city (route, RTT, RTT budget, RTT under
the outages), the single-cable-cut (N−1) table, and the comparison of each outage set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dctwin.errors import ScenarioError
from dctwin.network import (
    CampusNetwork,
    TrafficResult,
    assign_traffic,
    build_network,
    cut_comparison,
    inference_traffic_gbps,
    routes,
    rtt_timeseries,
)
from dctwin.scenario.inference import Region
from dctwin.scenario.schema import Scenario, Site
from dctwin.workload.inference import InferenceService

__all__ = ["Reach", "carry", "n_minus_1", "outage_comparison", "plan_reach", "region_rtt_ms", "with_carried"]


def region_rtt_ms(share_frac: np.ndarray, rtt_ms: np.ndarray) -> np.ndarray:
    """RTT of each region: its sites' routes weighted by the share it sends to each.

    Parameters
    ----------
    share_frac
        Share of each region's demand served at each site, shape (n_regions, n_sites);
        rows sum to 1, or to 0 for a region no site may serve. [frac]
    rtt_ms
        Route RTT per site and region, shape (..., n_sites, n_regions); ``inf`` where
        unreachable. [ms]

    Returns
    -------
    ndarray
        Shape (..., n_regions). A region's unreachable sites drop out and the others
        take their share; ``inf`` if none is reachable; for a region no site may serve,
        the nearest site's RTT (it is not served, the figure is informative). [ms]

    Examples
    --------
    >>> share = np.array([[0.5, 0.5], [1.0, 0.0]])
    >>> region_rtt_ms(share, np.array([[10.0, 20.0], [30.0, np.inf]])).tolist()
    [20.0, 20.0]
    """
    per_region = np.swapaxes(rtt_ms, -1, -2)  # (..., regions, sites)
    reach = np.isfinite(per_region)
    weight = share_frac * reach
    total = weight.sum(axis=-1)
    mean = np.divide(
        (weight * np.where(reach, per_region, 0.0)).sum(axis=-1),
        total,
        out=np.full(total.shape, np.inf),
        where=total > 0,
    )
    out: np.ndarray = np.where(share_frac.sum(axis=-1) == 0, per_region.min(axis=-1), mean)
    return out


@dataclass(frozen=True)
class Reach:
    """The route graph of the run's active sites, aligned with the demand regions.

    Attributes
    ----------
    net
        The route graph (sites in the order of the run's active sites).
    order
        Column of each demand region among the graph's cities. [-]
    share_frac
        Share of each region served at each site, (n_regions, n_sites). [frac]
    site_city_rtt_ms
        RTT per step, site and region with the scenario's outages, (n_steps, n_sites, n_regions). [ms]
    planned_rtt_ms
        Intact-network RTT per region (sizes the replicas), (n_regions,). [ms]
    rtt_ms
        RTT per step and region as run (outages in), (n_steps, n_regions). [ms]
    """

    net: CampusNetwork
    order: np.ndarray
    share_frac: np.ndarray
    site_city_rtt_ms: np.ndarray
    planned_rtt_ms: np.ndarray
    rtt_ms: np.ndarray


def plan_reach(
    scenario: Scenario,
    sites: Sequence[Site],
    regions: Sequence[Region],
    times_utc: pd.DatetimeIndex,
    share_frac: np.ndarray,
) -> Reach:
    """Build the route graph of the active sites and the RTT each region sees.

    Parameters
    ----------
    scenario
        Its ``network`` block (data, RTT model, outages).
    sites
        The active campus sites, in the order of ``share_frac``'s columns.
    regions
        The demand regions, in the order of ``share_frac``'s rows.
    times_utc
        The run's steps (tz-aware UTC), for the RTT as run under the outages.
    share_frac
        Share of each region's demand served at each site, (n_regions, n_sites). [frac]

    Returns
    -------
    Reach
        The graph, the RTT per site and city, the planned (intact) and as-run RTT per region.

    Raises
    ------
    ScenarioError
        The network's cities do not include a demand region.
    """
    net = build_network(scenario.network, sites)
    missing = [r.slug for r in regions if r.slug not in net.cities]
    if missing:
        raise ScenarioError(
            f"the network data has no route to the demand regions {missing}; use a network whose "
            f"`regions` set is the inference regions' (cities: {list(net.cities)})",
            "network.data",
        )
    order = np.array([net.cities.index(r.slug) for r in regions], dtype=int)
    steps = rtt_timeseries(net, times_utc, scenario.network.outages)[:, :, order]
    planned = region_rtt_ms(share_frac, routes(net).rtt_ms[:, order])
    return Reach(net, order, share_frac, steps, planned, region_rtt_ms(share_frac, steps))


def _traffic_gbps(reach: Reach, service: InferenceService) -> np.ndarray:
    """Inference traffic per step, site and city of the graph, (n_steps, n_sites, n_cities). [Gb/s]"""
    per_region = inference_traffic_gbps(
        service.prompt_tokens_served_per_s, service.output_tokens_served_per_s, reach.net.config
    )  # (n, regions)
    if per_region.ndim == 3:  # per class
        per_region = per_region.sum(axis=0)
    n = per_region.shape[0]
    out = np.zeros((n, len(reach.net.sites), len(reach.net.cities)))
    out[:, :, reach.order] = per_region[:, None, :] * reach.share_frac.T[None, :, :]
    return out


def carry(
    reach: Reach, service: InferenceService, times_utc: pd.DatetimeIndex, outages: Sequence[object]
) -> tuple[np.ndarray, np.ndarray, TrafficResult]:
    """Carry the service's traffic over the links; what the network delivers, and how fast.

    Parameters
    ----------
    reach
        The route graph and the regions' shares per site (:func:`plan_reach`).
    service
        The inference service as served (requests and tokens per step and region).
    times_utc
        The run's steps (tz-aware UTC).
    outages
        Cable outages (:class:`dctwin.scenario.network.Outage`) in force during the run.

    Returns
    -------
    carried_frac
        Share of each region's traffic the links carry, (n_steps, n_regions). [frac]
    rtt_ms
        Flow-weighted RTT of each region's carried traffic (the shortest route's where
        nothing is carried), (n_steps, n_regions). [ms]
    traffic
        The assignment (per site and city of the graph, and cable utilisation).
    """
    demand = _traffic_gbps(reach, service)
    traffic = assign_traffic(reach.net, demand, times_utc=times_utc, outages=list(outages))  # type: ignore[arg-type]
    d = traffic.demand_gbps[:, :, reach.order]
    s = traffic.served_gbps[:, :, reach.order]
    total = d.sum(axis=1)
    carried = np.divide(s.sum(axis=1), total, out=np.ones_like(total), where=total > 0)
    path_rtt = traffic.rtt_ms[:, :, reach.order]
    flow_rtt = np.where(np.isfinite(path_rtt), path_rtt, 0.0)
    carried_gbps = s.sum(axis=1)
    weighted = np.divide(
        (flow_rtt * s).sum(axis=1), carried_gbps, out=reach.rtt_ms.copy(), where=carried_gbps > 0
    )
    return carried, weighted, traffic


def with_carried(service: InferenceService, carried_frac: np.ndarray) -> InferenceService:
    """The service with what the network could not carry counted as dropped.

    Requests beyond the links' capacity (or to a city no route reaches) never arrive:
    they are dropped (SLO misses) and their tokens are neither served nor billed. The
    GPU time the scheduler reserved for them stays as simulated (their replicas were
    assigned and drew power).

    Parameters
    ----------
    service
        The service as the serving model computed it.
    carried_frac
        Share of each region's traffic the links carry, (n_steps, n_regions). [frac]

    Returns
    -------
    InferenceService
        With requests served [req/s], dropped [req/s], tokens served [token/s] and SLO
        attainment [frac] scaled by the carried share; ``service`` itself when all is carried.
    """
    if np.all(carried_frac >= 1.0 - 1e-12):
        return service
    keep = np.clip(carried_frac, 0.0, 1.0)
    served = service.requests_served_per_s * keep[None]
    return dataclasses.replace(
        service,
        slo_attainment_frac=service.slo_attainment_frac * keep[None],
        requests_served_per_s=served,
        requests_dropped_per_s=service.requests_dropped_per_s + (service.requests_served_per_s - served),
        prompt_tokens_served_per_s=service.prompt_tokens_served_per_s * keep,
        output_tokens_served_per_s=service.output_tokens_served_per_s * keep,
    )


def n_minus_1(net: CampusNetwork) -> pd.DataFrame:
    """What cutting each cable alone does to the cities: the N−1 table.

    Parameters
    ----------
    net
        The intact route graph.

    Returns
    -------
    DataFrame
        One row per cable in the graph: ``cities_rerouted``, ``worst_city``,
        ``max_rtt_change_ms`` (``inf`` when a city becomes unreachable), ``cities_budget_lost``
        (comma-separated), ``cities_unreachable``, ``capacity_lost_gbps`` (the largest loss of
        deliverable capacity to one city: cities share links, so their losses do not add).
    """
    rows = []
    for cable in net.cables:
        frame = cut_comparison(net, cable)
        change = frame["rtt_change_ms"].replace(np.inf, np.nan)
        moved = frame["route_before"] != frame["route_after"]
        unreachable = ~np.isfinite(frame["rtt_after_ms"])
        worst = change.idxmax() if change.notna().any() and change.max() > 0 else ""
        if unreachable.any():
            worst = "unreachable: " + ", ".join(frame.index[unreachable])
        rows.append(
            {
                "cable": cable,
                "cities_rerouted": int(moved.sum()),
                "worst_city": worst,
                "max_rtt_change_ms": (
                    float("inf") if unreachable.any() or not change.notna().any() else float(change.max())
                ),
                "cities_budget_lost": ", ".join(frame.index[frame["slo_lost"]]),
                "cities_unreachable": int(unreachable.sum()),
                "capacity_lost_gbps": float(
                    (frame["capacity_before_gbps"] - frame["capacity_after_gbps"]).clip(lower=0).max()
                ),
            }
        )
    return pd.DataFrame(rows)


def outage_comparison(net: CampusNetwork, cables: Sequence[str]) -> pd.DataFrame:
    """Per city, the intact network against all of ``cables`` cut.

    Parameters
    ----------
    net
        The intact route graph.
    cables
        Cable slugs cut together.

    Returns
    -------
    pandas.DataFrame
        One row per city (column ``city``) with the columns of
        :func:`dctwin.network.cut_comparison`: route, RTT [ms] and capacity [Gb/s] before and
        after, RTT budget [ms], whether the SLO is met before and after.
    """
    frame = cut_comparison(net, list(cables)).reset_index()
    return frame
