"""The campus's workload, end to end: tenants → jobs → residency → inference → scheduler.

:func:`schedule_campus` is what the engine calls when the IT load comes from the
scheduler. In a fixed order it

1. lays out the fleet of every active site as NVLink domains (:mod:`.topology`);
2. decides, per tenant and site, whether the tenant's data may be processed there
   (:func:`dctwin.sovereignty.admission_matrix`); tenants with no admissible site are
   rejected with the rule that forbids it;
3. generates the training and batch workload (:func:`dctwin.workload.generator.generate_jobs`):
   individual jobs and the aggregate swarm of small ones;
4. generates inference demand per EMEA region and sizes the replicas each region needs for
   its TTFT SLO, routing each region to the sites its users' data may go to;
5. runs the scheduler co-simulated with each site's dispatch, power-aware, and (optionally)
   the power-oblivious baseline on the same workload;
6. serves the inference demand with the GPUs the scheduler actually gave it, and writes the
   placement audit.

The network RTT added to TTFT comes from the route graph of :mod:`dctwin.network`
(:mod:`.reach`): replicas are sized for the intact network, requests see the RTT of each
step with the scenario's cable outages, and traffic the links cannot carry misses the SLO.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dctwin.dispatch import GridLimits
from dctwin.facility.cooling import it_limit_mw, pue_at_temperature
from dctwin.facility.fleet import SiteFleet
from dctwin.network import TrafficResult, routes
from dctwin.scenario.inference import Region, load_regions
from dctwin.scenario.network import Outage
from dctwin.scenario.residency import SiteJurisdiction, residency_catalogue
from dctwin.scenario.schema import HardwareSpec, Scenario, Site
from dctwin.scheduler.metrics import job_stats, tenant_stats, workload_summary
from dctwin.scheduler.reach import Reach, carry, n_minus_1, outage_comparison, plan_reach, with_carried
from dctwin.scheduler.simulate import ScheduleInputs, ScheduleResult, SiteSeries, simulate_schedule
from dctwin.scheduler.topology import Topology, build_topology
from dctwin.sovereignty import (
    SYSTEMIC_RISK_FLOP,
    TRAINING_KINDS,
    AdmissionMatrix,
    AuditLog,
    admission,
    admission_matrix,
    training_flop,
)
from dctwin.supply.battery import BatteryParams
from dctwin.workload.generator import generate_jobs
from dctwin.workload.inference import InferenceService, energy_per_million_tokens_kwh, gpus_for_slo, serve
from dctwin.workload.inference import inference_demand as make_inference_demand
from dctwin.workload.jobs import JobTable, SwarmDemand
from dctwin.workload.trace import read_job_trace

__all__ = [
    "CampusWorkload",
    "SiteWorkloadInputs",
    "region_residency_class",
    "schedule_campus",
]


@dataclass(frozen=True)
class SiteWorkloadInputs:
    """What the workload layer needs of one active site.

    Attributes
    ----------
    site
        The site (jurisdiction, cooling design).
    fleet
        Installed racks at the simulated phase.
    facility_power_mw
        Built facility power. [MW]
    clean_mw
        PV + wind output per step. [MW]
    temp_air_c
        Outdoor dry-bulb temperature per step. [°C]
    battery, grid
        Battery and grid limits, as the dispatch uses them.
    """

    site: Site
    fleet: SiteFleet
    facility_power_mw: float
    clean_mw: np.ndarray
    temp_air_c: np.ndarray
    battery: BatteryParams
    grid: GridLimits


@dataclass(frozen=True)
class CampusWorkload:
    """The scheduled workload of a run.

    Attributes
    ----------
    it_demand_mw
        IT power the fleet draws per site and step (to the facility model). [MW]
    site_series
        Scheduler columns per site (GPUs by use, budget, power cap, ...).
    result, baseline
        The scheduler's result, and the power-oblivious baseline's (or ``None``).
    jobs
        The individual jobs.
    inference
        How each region's inference demand was served.
    audit
        Placement and rejection decisions with the rule behind each.
    admission
        Tenant × site admission with rules and reasons.
    summary
        Unit-named headline figures (workload, inference, sovereignty, AI Act).
    tables
        Report tables: JCT by QoS and by tenant, tenants, inference by region.
    """

    it_demand_mw: dict[str, np.ndarray]
    site_series: dict[str, pd.DataFrame]
    result: ScheduleResult
    baseline: ScheduleResult | None
    jobs: JobTable
    inference: InferenceService
    audit: pd.DataFrame
    admission: AdmissionMatrix
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


_REGION_CLASS = {
    "MA": "ma_personal",
    "SA": "sa_personal",
    "AE": "ae_personal",
    "NG": "ng_personal",
    "ZA": "za_personal",
}


def region_residency_class(region: Region, known: Sequence[str]) -> str:
    """The residency class of the personal data in a region's inference requests.

    EU member states → ``eu_personal``; Morocco, Saudi Arabia, the UAE, Nigeria and South
    Africa → their personal-data classes (facts.md §6.2); elsewhere ``public`` (no class
    of our catalogue restricts it).

    Parameters
    ----------
    region
        The demand region (its ISO country code).
    known
        Residency classes of the catalogue (a class not in it falls back to ``public``).

    Returns
    -------
    str
        The residency class name.
    """
    name = "eu_personal" if region.eu_member else _REGION_CLASS.get(region.country_iso2, "public")
    return name if name in known else "public"


def _pools_spec(topology: Topology) -> HardwareSpec:
    biggest = max(topology.pools, key=lambda p: p.gpus)
    return biggest.spec


def _site_series(inputs: Sequence[SiteWorkloadInputs], n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    pue, limit = [], []
    for s in inputs:
        d = s.site.cooling
        p = pue_at_temperature(s.temp_air_c, d, s.fleet.liquid_cooled_frac)
        pue.append(np.asarray(p, dtype=float))
        limit.append(it_limit_mw(s.temp_air_c, d, p, s.fleet.it_capacity_mw, s.facility_power_mw))
    return pue, limit


def _inference_routing(
    scenario: Scenario, regions: Sequence[Region], inputs: Sequence[SiteWorkloadInputs], site_gpus: np.ndarray
) -> tuple[np.ndarray, list[str], list[str]]:
    """Share of each region's inference served at each site (∝ GPUs among admissible sites)."""
    catalogue = residency_catalogue()
    known = list(catalogue.classes)
    conditions = list(scenario.scheduler.inference_conditions)
    share = np.zeros((len(regions), len(inputs)))
    classes, rules = [], []
    for r, region in enumerate(regions):
        cls = region_residency_class(region, known)
        classes.append(cls)
        ok = np.array(
            [admission(catalogue, cls, conditions, s.site.name, s.site.jurisdiction).allowed for s in inputs]
        )
        weights = site_gpus * ok
        if weights.sum() > 0:
            share[r] = weights / weights.sum()
            rules.append("")
        else:
            rules.append(
                admission(
                    catalogue, cls, conditions, inputs[0].site.name, inputs[0].site.jurisdiction
                ).rule_id
            )
    return share, classes, rules


def schedule_campus(
    scenario: Scenario,
    inputs: Sequence[SiteWorkloadInputs],
    times_utc: pd.DatetimeIndex,
    rng: np.random.Generator,
) -> CampusWorkload:
    """Generate, place and schedule the campus's workload for the run (see the module notes).

    Parameters
    ----------
    scenario
        The scenario (tenants, job generation, inference, scheduler policy).
    inputs
        Every active site at the simulated phase, in scenario order.
    times_utc
        The run's steps.
    rng
        The workload stream of the run.

    Returns
    -------
    CampusWorkload
        IT demand per site and step, and everything the report and the store need.
    """
    dt_h = scenario.time.dt_h
    n = len(times_utc)
    rng_jobs, rng_inference, rng_failures, rng_baseline = rng.spawn(4)
    topology = build_topology([(s.site.name, s.fleet) for s in inputs], scenario.scheduler.racks_per_hall)
    site_gpus = topology.site_gpus().astype(float)
    catalogue = residency_catalogue()
    jurisdictions: dict[str, SiteJurisdiction] = {s.site.name: s.site.jurisdiction for s in inputs}
    matrix = admission_matrix(catalogue, scenario.tenants, jurisdictions)
    classes = tuple(catalogue.classes)
    if scenario.jobs.source == "trace":
        assert scenario.jobs.trace_path is not None  # the schema requires it
        jobs = read_job_trace(
            scenario.jobs.trace_path, scenario.tenants, classes, start_utc=times_utc[0],
            checkpoint_interval_s=scenario.jobs.checkpoint_interval_s,
        ).sorted_by_submit()  # fmt: skip
        swarm = SwarmDemand.none(math.ceil(n * dt_h), tuple(t.name for t in scenario.tenants), classes)
    else:
        jobs, swarm = generate_jobs(
            scenario.jobs, scenario.tenants, classes, float(topology.gpus), n * dt_h * 3600.0, rng_jobs,
            start_utc=times_utc[0],
        )  # fmt: skip
    allowed = matrix.for_jobs(jobs)
    # inference: demand per region, replicas for the SLO, routed to admissible sites
    regions = load_regions()
    spec = _pools_spec(topology)
    demand = make_inference_demand(
        scenario.inference, regions, times_utc, rng_inference, installed_gpus=topology.gpus
    )
    share, region_classes, region_rules = _inference_routing(scenario, regions, inputs, site_gpus)
    reach = plan_reach(scenario, [s.site for s in inputs], regions, times_utc, share)
    region_rtt = reach.planned_rtt_ms  # replicas are sized for the intact network
    need = gpus_for_slo(demand, scenario.inference, spec, rtt_ms=region_rtt).astype(float)  # (n, regions)
    site_need = need @ share  # (n, sites)
    full = serve(demand, need * (share.sum(axis=1) > 0), scenario.inference, spec, rtt_ms=region_rtt)
    busy_region = np.divide(
        full.prefill_busy_gpus + full.decode_busy_gpus, full.gpus_assigned,
        out=np.zeros_like(need), where=full.gpus_assigned > 0,
    )  # fmt: skip
    busy_site = np.divide(
        (need * busy_region) @ share, site_need, out=np.zeros_like(site_need), where=site_need > 0
    )
    pue, limit = _site_series(inputs, n)
    series = [
        SiteSeries(
            name=s.site.name,
            clean_mw=s.clean_mw,
            pue=pue[i],
            it_limit_mw=limit[i],
            inference_gpus=site_need[:, i],
            inference_busy_frac=busy_site[:, i],
            battery=s.battery,
            grid=s.grid,
        )
        for i, s in enumerate(inputs)
    ]
    schedule = ScheduleInputs(
        topology, jobs, allowed, scenario.tenants, series, dt_h, scenario.scheduler, swarm=swarm,
        swarm_allowed_sites=matrix.allowed,
    )  # fmt: skip
    result = simulate_schedule(schedule, rng_failures)
    baseline = None
    if scenario.scheduler.compare_baseline and scenario.scheduler.power_policy == "power_aware":
        oblivious = scenario.scheduler.model_copy(update={"power_policy": "oblivious"})
        baseline = simulate_schedule(
            ScheduleInputs(
                topology,
                jobs,
                allowed,
                scenario.tenants,
                series,
                dt_h,
                oblivious,
                swarm=swarm,
                swarm_allowed_sites=matrix.allowed,
            ),
            rng_baseline,
        )
    # inference as actually served: each site's GPUs go back to the regions routed to it
    given = np.column_stack([result.site_series[s.site.name]["inference_gpus"].to_numpy() for s in inputs])
    ratio = np.divide(given, site_need, out=np.ones_like(given), where=site_need > 0)
    capacity = need * (np.minimum(ratio, 1.0) @ share.T) * (share.sum(axis=1) > 0)
    service = serve(demand, capacity, scenario.inference, spec, rtt_ms=reach.rtt_ms)
    outages = scenario.network.outages
    carried, carried_rtt, traffic = carry(reach, service, times_utc, outages)
    if not np.allclose(carried_rtt, reach.rtt_ms, equal_nan=True):  # congestion took longer paths
        service = serve(demand, capacity, scenario.inference, spec, rtt_ms=carried_rtt)
    service = with_carried(service, carried)
    intact = serve(demand, capacity, scenario.inference, spec, rtt_ms=region_rtt) if outages else service
    audit = _audit(result, jobs, matrix, [s.site.name for s in inputs])
    summary = workload_summary(result, topology.gpus, dt_h)
    summary.update(_inference_summary(service, spec, regions, region_rules))
    summary.update(_network_summary(reach, traffic, carried, outages))
    summary.update(_sovereignty_summary(jobs, matrix, result, scenario))
    # AI Act: the FLOP each training run actually accumulated (work done × GPUs × dense BF16 × MFU)
    frame = result.jobs
    training = frame["kind"].isin(TRAINING_KINDS).to_numpy()
    flop = training_flop(
        frame["gpus"], frame["done_s"], spec.dense_bf16_pflops_per_gpu, scenario.scheduler.mfu_frac
    )
    frame["training_flop"] = np.where(training, flop, 0.0)
    frame["ai_act_systemic_risk"] = frame["training_flop"] > SYSTEMIC_RISK_FLOP
    frame["renewable_share_frac"] = np.divide(
        frame["clean_energy_mwh"], frame["facility_energy_mwh"],
        out=np.full(len(frame), np.nan), where=frame["facility_energy_mwh"].to_numpy() > 0,
    )  # fmt: skip
    summary["ai_act_systemic_risk_jobs"] = int(frame["ai_act_systemic_risk"].sum())
    summary["installed_gpus"] = topology.gpus
    tables = {
        "jct_by_qos": job_stats(result.jobs, "qos"),
        "jct_by_tenant": job_stats(result.jobs, "tenant"),
        "tenants": tenant_stats(result),
        "inference_by_region": _region_table(service, regions, region_classes, region_rules, region_rtt).join(
            _reach_columns(reach, regions, service, intact, carried_rtt, carried)
        ),
        "network_routes": routes(reach.net).to_frame(),
        "cable_cuts": n_minus_1(reach.net),
        "admission": matrix.to_frame(),
    }
    if outages:
        tables["outage_comparison"] = _outage_table(reach, regions, service, intact)
    it = {s.site.name: result.site_series[s.site.name]["it_load_mw"].to_numpy() for s in inputs}
    return CampusWorkload(
        it, result.site_series, result, baseline, jobs, service, audit, matrix, summary, tables
    )


def _audit(result: ScheduleResult, jobs: JobTable, matrix: AdmissionMatrix, sites: list[str]) -> pd.DataFrame:
    """Every placement (with the rule that allowed it) and every rejection (with the rule that forbade it)."""
    log = AuditLog()
    p = result.placements
    rows = p["job_row"].to_numpy()
    site = p["site"].to_numpy()
    tenant = jobs.tenant[rows]
    names = np.asarray(jobs.tenants, dtype=object)
    classes = np.asarray(jobs.residency_classes, dtype=object)
    log.extend(
        p["time_s"].to_numpy(), names[tenant], jobs.job_id[rows], classes[jobs.residency[rows]],
        np.asarray(sites, dtype=object)[site], "placed", matrix.rule_id[tenant, site],
    )  # fmt: skip
    rejected = np.flatnonzero(result.jobs["state"].to_numpy() == "rejected")
    if rejected.size:
        t = jobs.tenant[rejected]
        rules = np.array(
            [_rejection_rule(matrix, int(i), int(g)) for i, g in zip(t, jobs.gpus[rejected], strict=True)],
            dtype=object,
        )
        log.extend(
            jobs.submit_s[rejected], names[t], jobs.job_id[rejected], classes[jobs.residency[rejected]],
            None, "rejected", rules,
        )  # fmt: skip
    return log.to_frame()


def _rejection_rule(matrix: AdmissionMatrix, tenant: int, gpus: int) -> str:
    if not matrix.allowed[tenant].any():
        return str(matrix.rule_id[tenant, 0])
    return "CAPACITY-GANG-TOO-LARGE"


def _inference_summary(
    service: InferenceService, spec: HardwareSpec, regions: Sequence[Region], rules: Sequence[str]
) -> dict[str, Any]:
    served = service.requests_served_per_s.sum(axis=0)  # (n, regions)
    dropped = service.requests_dropped_per_s.sum(axis=0)
    total = served + dropped
    attained = service.overall_slo_attainment_frac()
    tokens = (
        (service.prompt_tokens_served_per_s + service.output_tokens_served_per_s).sum()
        * service.dt_h
        * 3600.0
    )
    return {
        "inference_requests": float(total.sum() * service.dt_h * 3600.0),
        "inference_served_frac": float(served.sum() / total.sum()) if total.sum() > 0 else 1.0,
        "inference_slo_attainment_frac": attained,
        "inference_tokens": float(tokens),
        "inference_input_tokens": float(service.prompt_tokens_served_per_s.sum() * service.dt_h * 3600.0),
        "inference_output_tokens": float(service.output_tokens_served_per_s.sum() * service.dt_h * 3600.0),
        "inference_energy_per_million_tokens_kwh": float(energy_per_million_tokens_kwh(service, spec)),
        "inference_regions_not_admissible": int(sum(1 for r in rules if r)),
    }


def _region_table(
    service: InferenceService,
    regions: Sequence[Region],
    classes: Sequence[str],
    rules: Sequence[str],
    rtt: np.ndarray,
) -> pd.DataFrame:
    attained = service.region_slo_attainment_frac()
    w = service.requests_served_per_s + service.requests_dropped_per_s  # (classes, n, regions)
    served = service.requests_served_per_s.sum(axis=(0, 1))
    p99 = (
        np.nanmax(service.ttft_p99_ms, axis=(0, 1))
        if np.isfinite(service.ttft_p99_ms).any()
        else np.full(len(regions), np.nan)
    )
    return pd.DataFrame(
        {
            "region": [r.slug for r in regions],
            "display_name": [r.display_name for r in regions],
            "residency_class": classes,
            "rtt_ms": rtt,
            "requests_per_s_mean": w.sum(axis=0).mean(axis=0),
            "served_frac": np.divide(
                served, w.sum(axis=(0, 1)), out=np.ones(len(regions)), where=w.sum(axis=(0, 1)) > 0
            ),
            "slo_attainment_frac": attained,
            "ttft_p99_worst_ms": p99,
            "blocked_by_rule": list(rules),
        }
    )


def _sovereignty_summary(
    jobs: JobTable, matrix: AdmissionMatrix, result: ScheduleResult, scenario: Scenario
) -> dict[str, Any]:
    rejected = result.jobs[result.jobs["state"] == "rejected"]
    out: dict[str, Any] = {"sovereignty_rejected_jobs": len(rejected)}
    for i, t in enumerate(matrix.tenants):
        if not matrix.allowed[i].any():
            out[f"sovereignty_rejected_tenant_{t}"] = str(matrix.rule_id[i, 0])
    _ = (jobs, scenario)
    return out


def _network_summary(
    reach: Reach, traffic: TrafficResult, carried: np.ndarray, outages: Sequence[Outage]
) -> dict[str, Any]:
    budget = reach.net.rtt_budget_ms[reach.order]
    best = routes(reach.net).rtt_ms[:, reach.order].min(axis=0)
    return {
        "network_cities": len(reach.order),
        "network_cities_within_rtt_budget": int((best <= budget).sum()),
        "network_max_cable_utilisation_frac": float(np.max(traffic.cable_utilisation_frac, initial=0.0)),
        "network_peak_traffic_gbps": float(traffic.demand_gbps.sum(axis=(1, 2)).max(initial=0.0)),
        "network_carried_frac": _carried_share(traffic),
        "network_outages": len(outages),
        "network_outage_steps_frac": _outage_steps_frac(reach),
    }


def _carried_share(traffic: TrafficResult) -> float:
    """Share of all inference traffic (Gb/s × steps, every city) the links carried. [frac]"""
    demand = float(traffic.demand_gbps.sum())
    return float(traffic.served_gbps.sum()) / demand if demand > 0 else 1.0


def _outage_steps_frac(reach: Reach) -> float:
    """Share of the steps in which some route is longer than on the intact network."""
    if not len(reach.site_city_rtt_ms):
        return 0.0
    intact = routes(reach.net).rtt_ms[:, reach.order]
    return float(np.mean(np.any(reach.site_city_rtt_ms != intact[None], axis=(1, 2))))


def _mean_where_finite(rtt_ms: np.ndarray) -> np.ndarray:
    """Mean over steps of the finite RTTs per region; NaN where a region is never reachable. [ms]"""
    ok = np.isfinite(rtt_ms)
    count = ok.sum(axis=0)
    total = np.where(ok, rtt_ms, 0.0).sum(axis=0)
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)


def _reach_columns(
    reach: Reach,
    regions: Sequence[Region],
    service: InferenceService,
    intact: InferenceService,
    carried_rtt: np.ndarray,
    carried: np.ndarray,
) -> pd.DataFrame:
    """Per region: where it is, its route and RTT budget, and the RTT it saw as run."""
    table = routes(reach.net)
    nearest = np.argmin(table.rtt_ms[:, reach.order], axis=0)
    return pd.DataFrame(
        {
            "latitude_deg": [r.latitude_deg for r in regions],
            "longitude_deg": [r.longitude_deg for r in regions],
            "route": [table.route[int(i)][int(j)] for i, j in zip(nearest, reach.order, strict=True)],
            "rtt_budget_ms": reach.net.rtt_budget_ms[reach.order],
            "rtt_as_run_mean_ms": _mean_where_finite(carried_rtt),
            "rtt_as_run_max_ms": np.max(carried_rtt, axis=0, initial=0.0),
            "unreachable_frac": np.mean(~np.isfinite(carried_rtt), axis=0) if len(carried_rtt) else 0.0,
            "network_carried_frac": carried.mean(axis=0) if len(carried) else 1.0,
            "slo_attainment_intact_frac": intact.region_slo_attainment_frac(),
        }
    )


def _outage_table(
    reach: Reach, regions: Sequence[Region], service: InferenceService, intact: InferenceService
) -> pd.DataFrame:
    """Per city: all the scenario's outage cables cut at once against the intact network, with the
    TTFT-SLO attainment of the run with its outages against the same run on the intact network."""
    cables = sorted({o.cable for o in reach.net.config.outages})
    frame = outage_comparison(reach.net, cables).set_index("city").loc[[r.slug for r in regions]]
    frame["cables_cut"] = "+".join(cables)
    frame["slo_attainment_intact_frac"] = intact.region_slo_attainment_frac()
    frame["slo_attainment_as_run_frac"] = service.region_slo_attainment_frac()
    return frame.reset_index()
