"""Run the scheduler: build the compiled core's arrays, run it, and read the results back.

:func:`simulate_schedule` is the scheduler's one public entry point. It takes the
fleet topology, the jobs (a :class:`~dctwin.workload.jobs.JobTable`) with the sites each
may run at, the tenants and their quotas, the swarm demand, and per site and step the
clean supply, PUE, IT limit, inference GPUs wanted, battery and grid; it returns per
site and step the IT load the fleet draws (which the twin turns into facility load and
dispatches), and per job, tenant and placement what happened.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dctwin.dispatch import GridLimits
from dctwin.scenario.scheduler import SchedulerConfig
from dctwin.scenario.tenants import Tenant
from dctwin.scheduler import core, records
from dctwin.scheduler.placement import Domains, new_domains
from dctwin.scheduler.structs import make_struct
from dctwin.scheduler.topology import Topology
from dctwin.supply.battery import BatteryParams, retain_frac_per_step
from dctwin.workload.jobs import END_STATES, KINDS, QOS_CLASSES, JobTable, SwarmDemand

__all__ = ["ScheduleInputs", "ScheduleResult", "SiteSeries", "simulate_schedule"]

_BIG = 1 << 40


@dataclass(frozen=True)
class SiteSeries:
    """What the scheduler needs of one site, on the run's steps.

    Attributes
    ----------
    name
        Site slug.
    clean_mw
        Contracted clean supply (PV + wind). [MW]
    pue
        PUE at the step's outdoor temperature. [1]
    it_limit_mw
        Most IT power the site can draw: derated design IT and facility power ÷ PUE. [MW]
    inference_gpus
        GPUs inference replicas want at the site. [GPU]
    inference_busy_frac
        Share of those GPUs' time busy serving. [frac]
    battery
        Battery limits.
    grid
        Grid limits and the surplus-sale cap.
    """

    name: str
    clean_mw: np.ndarray
    pue: np.ndarray
    it_limit_mw: np.ndarray
    inference_gpus: np.ndarray
    inference_busy_frac: np.ndarray
    battery: BatteryParams
    grid: GridLimits


@dataclass(frozen=True)
class ScheduleInputs:
    """Everything :func:`simulate_schedule` needs.

    Attributes
    ----------
    topology
        Fleet topology of the simulated sites (site order = ``sites``).
    jobs
        Individually simulated jobs, sorted by submission.
    allowed_sites
        ``bool[n_jobs, n_sites]``: where each job's data may be processed.
    tenants
        Tenants in the order of ``jobs.tenants``.
    sites
        Per-site series on the run's steps.
    dt_h
        Step length. [h]
    config
        Scheduler policy.
    swarm
        Aggregate small-job demand per tenant and hour (``None``: no swarm).
    swarm_allowed_sites
        ``bool[n_tenants, n_sites]``: where each tenant's small jobs may run.
    """

    topology: Topology
    jobs: JobTable
    allowed_sites: np.ndarray
    tenants: Sequence[Tenant]
    sites: Sequence[SiteSeries]
    dt_h: float
    config: SchedulerConfig
    swarm: SwarmDemand | None = None
    swarm_allowed_sites: np.ndarray | None = None


@dataclass(frozen=True)
class ScheduleResult:
    """What the scheduler did.

    Attributes
    ----------
    site_series
        Per site a DataFrame on the run's steps (unit-named columns: ``it_load_mw``,
        ``it_budget_mw``, ``budget_excess_mw``, ``firm_overrun_mw``, ``training_gpus``,
        ``inference_gpus``, ``swarm_gpus``, ``flex_power_cap_frac``, ``power_held_gpus``,
        ``clean_share_frac``, ``battery_soc_mwh``, ``preemptions``).
    jobs
        One row per job: times [s], energy [MWh], GPU-seconds, restarts, state.
    tenants
        One row per tenant: swarm service and energy.
    placements
        The placement audit: time [s], job row, site index.
    events
        Scheduler events processed (arrivals, starts, ends, failures, preemptions, ticks).
    wall_s
        Wall time of the compiled core. [s]
    policy
        ``"power_aware"`` or ``"oblivious"``: how the run treated the power budget.
    segments
        With ``record_segments``: every running interval of every job (``job_row``,
        ``start_s``, ``end_s`` [s], the NVLink ``domains`` it held and the GPUs in each,
        ``domain_gpus``); ``None`` otherwise.
    """

    site_series: dict[str, pd.DataFrame]
    jobs: pd.DataFrame
    tenants: pd.DataFrame
    placements: pd.DataFrame
    events: int
    wall_s: float
    policy: str = ""
    segments: pd.DataFrame | None = None

    def __repr__(self) -> str:
        done = int((self.jobs["state"] == "done").sum()) if len(self.jobs) else 0
        return (
            f"ScheduleResult({self.policy}: {len(self.jobs):,} jobs, {done:,} done, {self.events:,} events "
            f"in {self.wall_s:.2f} s, sites {list(self.site_series)})"
        )


def _make(proxy: type, fields: tuple[str, ...], **values: object) -> Any:
    return make_struct(proxy, fields, values)


def _masks(allowed: np.ndarray) -> np.ndarray:
    allowed = np.asarray(allowed, dtype=bool)
    if allowed.ndim != 2:
        raise ValueError(f"allowed_sites must be 2-D (jobs × sites), got shape {allowed.shape}")
    if allowed.shape[1] > 62:
        raise ValueError(f"at most 62 sites are supported, got {allowed.shape[1]}")
    weights = (1 << np.arange(allowed.shape[1], dtype=np.int64)).astype(np.int64)
    return (allowed.astype(np.int64) * weights).sum(axis=1).astype(np.int64)


def _jobs(table: JobTable, masks: np.ndarray, topology: Topology) -> records.Jobs:
    n = len(table)
    f = np.zeros
    nan = np.full(n, np.nan)
    state = np.zeros(n, dtype=np.int64)
    largest = np.zeros(n, dtype=np.int64)  # largest admissible pool
    for p, pool in enumerate(topology.pools):
        ok = (masks >> pool.site) & 1 == 1
        largest = np.where(ok, np.maximum(largest, pool.gpus), largest)
        _ = p
    state[(masks == 0) | (table.gpus > largest)] = records.REJECTED
    deadline = np.where(np.isnan(table.deadline_s), np.inf, table.deadline_s)
    return _make(
        records.Jobs,
        records.JOBS_FIELDS,
        gpus=table.gpus.astype(np.int64),
        submit_s=table.submit_s.astype(np.float64),
        duration_s=table.duration_s.astype(np.float64),
        tenant=table.tenant.astype(np.int64),
        qos=table.qos.astype(np.int64),
        kind=table.kind.astype(np.int64),
        deadline_s=deadline.astype(np.float64),
        checkpoint_s=table.checkpoint_interval_s.astype(np.float64),
        sites_mask=masks,
        state=state,
        pool=np.full(n, -1, dtype=np.int64),
        first_start_s=nan.copy(),
        end_s=nan.copy(),
        prog_from_s=f(n),
        energy_from_s=f(n),
        speed=np.ones(n),
        cap=np.ones(n),
        done_s=f(n),
        overhead_s=f(n),
        epoch=np.zeros(n, dtype=np.int64),
        it_energy_j=f(n),
        facility_energy_j=f(n),
        clean_energy_j=f(n),
        tick_it_j=f(n),
        restarts=np.zeros(n, dtype=np.int64),
        preemptions=np.zeros(n, dtype=np.int64),
        lost_gpu_s=f(n),
        run_gpu_s=f(n),
        alloc_at=np.zeros(n, dtype=np.int64),
        alloc_n=np.zeros(n, dtype=np.int64),
        domains_max=np.zeros(n, dtype=np.int64),
        run_pos=np.full(n, -1, dtype=np.int64),
        power_wait_s=f(n),
        borrowed=np.zeros(n, dtype=np.int64),
        site=np.full(n, -1, dtype=np.int64),
        in_flex=np.zeros(n, dtype=np.int64),
        prog_from_v=f(n),
        energy_from_c=f(n),
    )


def _tenants(tenants: Sequence[Tenant], gpus: int, swarm_masks: np.ndarray) -> records.Tenants:
    k = len(tenants)
    cohorts = {name: i for i, name in enumerate(dict.fromkeys(t.cohort for t in tenants))}
    nominal = np.array([round(t.nominal_quota_frac * gpus) for t in tenants], dtype=np.int64)
    borrow = np.array(
        [_BIG if t.borrowing_limit_frac is None else round(t.borrowing_limit_frac * gpus) for t in tenants],
        dtype=np.int64,
    )
    lend = np.array(
        [
            n if t.lending_limit_frac is None else round(t.lending_limit_frac * gpus)
            for t, n in zip(tenants, nominal, strict=False)
        ],
        dtype=np.int64,
    )
    weights = np.array([t.fairshare_weight for t in tenants], dtype=float)
    shares = weights / weights.sum() if k else weights
    z = np.zeros
    return _make(
        records.Tenants,
        records.TENANTS_FIELDS,
        nominal_gpus=nominal,
        borrow_limit_gpus=borrow,
        lend_limit_gpus=lend,
        cohort=np.array([cohorts[t.cohort] for t in tenants], dtype=np.int64),
        share=shares,
        usage_gpus=np.zeros(k, dtype=np.int64),
        decayed_gpu_s=z(k),
        fairshare=np.ones(k),
        swarm_sites_mask=swarm_masks,
        swarm_backlog_gpu_s=z(k),
        swarm_served_gpu_s=z(k),
        swarm_backlog_integral=z(k),
        swarm_gpus_now=np.zeros(k, dtype=np.int64),
        swarm_energy_j=z(k),
        swarm_clean_j=z(k),
        swarm_tick_gpu_s=z(k),
    )


def _sites(series: Sequence[SiteSeries], dt_h: float, config: SchedulerConfig) -> records.Sites:
    n = len(series)

    def stack(name: str) -> np.ndarray:
        return np.ascontiguousarray(np.vstack([np.asarray(getattr(s, name), dtype=float) for s in series]))

    pue = stack("pue")
    allowance = np.full_like(pue, config.grid_allowance_mw)
    b = [s.battery for s in series]
    z = np.zeros
    return _make(
        records.Sites,
        records.SITES_FIELDS,
        clean_mw=stack("clean_mw"),
        pue=pue,
        it_cap_mw=stack("it_limit_mw"),
        allowance_mw=allowance,
        infer_gpus=stack("inference_gpus"),
        infer_busy_frac=stack("inference_busy_frac"),
        battery_power_mw=np.array([x.power_mw if x.energy_mwh > 0 else 0.0 for x in b]),
        soc_min_mwh=np.array([x.soc_min_mwh for x in b]),
        soc_max_mwh=np.array([x.soc_max_mwh for x in b]),
        eta_c=np.array([x.charge_efficiency_frac for x in b]),
        eta_d=np.array([x.discharge_efficiency_frac for x in b]),
        retain=np.array([retain_frac_per_step(x.self_discharge_frac_per_day, dt_h) for x in b]),
        soc_mwh=np.array([x.initial_soc_frac * x.energy_mwh for x in b]),
        import_limit_mw=np.array([float(s.grid.import_limit_mw) for s in series]),
        export_limit_mw=np.array([float(s.grid.export_limit_mw) for s in series]),
        export_cap_frac=np.array([float(s.grid.export_cap_frac_of_production) for s in series]),
        served_mwh=z(n),
        exported_mwh=z(n),
        battery_reserve_mwh=np.array([config.battery_reserve_frac * x.energy_mwh for x in b]),
        renewable_mw=z(n),
        it_cap_now_mw=z(n),
        allowance_now_mw=z(n),
        cap_flex=np.ones(n),
        w_guar=z(n),
        w_flex_full=z(n),
        w_inf=z(n),
        w_swarm=z(n),
        e_acc_j=z(n),
        t_last_s=z(n),
        busy_job_gpus=np.zeros(n, dtype=np.int64),
        worst_excess_w=z(n),
        firm_overrun_w=z(n),
        busy_gpu_s=z(n),
        e_constrained_j=z(n),
        vclock_s=z(n),
        cclock_s=z(n),
        t_clock_s=z(n),
        speed_flex=np.ones(n),
    )


def _work(
    topology: Topology, jobs: records.Jobs, n_sites: int, n_ticks: int, rng: np.random.Generator, record: bool
) -> records.Work:
    n = len(jobs.gpus)
    pools = topology.pools
    min_dom = min((p.domain_gpus for p in pools), default=1)
    slots = int(np.sum(jobs.gpus // min_dom + 2)) + 4 * len(topology.domain_gpus) + 1024
    slots = min(slots, 64 * len(topology.domain_gpus) + 4 * n + 1024)
    per_site = max((sum(1 for p in pools if p.site == s) for s in range(n_sites)), default=1)
    site_pools = np.full((n_sites, max(per_site, 1)), -1, dtype=np.int64)
    fill = [0] * n_sites
    for i, p in enumerate(pools):
        site_pools[p.site, fill[p.site]] = i
        fill[p.site] += 1
    w = 1000.0  # kW → W
    grid = (n_sites, n_ticks)
    z = np.zeros
    n_dom = len(topology.domain_gpus)
    return _make(
        records.Work,
        records.WORK_FIELDS,
        ev_key=z(4 * n + 64),
        ev_val=np.zeros(4 * n + 64, dtype=np.int64),
        fh_key=z((n_sites, 2 * n + 64)),
        fh_val=np.zeros((n_sites, 2 * n + 64), dtype=np.int64),
        fh_size=np.zeros(n_sites, dtype=np.int64),
        pend_key=z(n + 64),
        pend_val=np.zeros(n + 64, dtype=np.int64),
        stash=np.zeros(n + 64, dtype=np.int64),
        running=np.zeros(n + 1, dtype=np.int64),
        ended=np.zeros(2 * n + 64, dtype=np.int64),
        slot_domain=np.zeros(slots, dtype=np.int32),
        slot_gpus=np.zeros(slots, dtype=np.int32),
        counters=np.zeros(8, dtype=np.int64),
        fail_draws=rng.standard_exponential(max(4 * n, 1024)),
        pool_site=np.array([p.site for p in pools], dtype=np.int64),
        pool_w_train=np.array([p.gpu_it_kw * w * p.spec.power_frac_training for p in pools]),
        pool_w_idle=np.array([p.gpu_it_kw * w * p.spec.power_frac_idle for p in pools]),
        pool_w_inf=np.array([p.gpu_it_kw * w * p.spec.power_frac_inference for p in pools]),
        pool_cap=np.array([p.domain_gpus for p in pools], dtype=np.int64),
        site_pools=site_pools,
        inf_domains=np.zeros(n_dom, dtype=np.int32),
        inf_n=np.zeros(len(pools), dtype=np.int64),
        inf_gpus=np.zeros(len(pools), dtype=np.int64),
        swarm_domains=np.zeros(2 * n_dom, dtype=np.int32),
        swarm_gpus=np.zeros(2 * n_dom, dtype=np.int32),
        swarm_n=np.zeros(len(pools), dtype=np.int64),
        swarm_room=2 * topology.pool_domains.astype(np.int64),
        pool_first_domain=topology.pool_first_domain.astype(np.int64),
        scores=np.zeros(len(pools)),
        reservation=np.array([-1.0, -1.0, np.inf, 0.0, -1.0]),
        out_it_mw=z(grid),
        out_budget_mw=z(grid),
        out_excess_mw=z(grid),
        out_overrun_mw=z(grid),
        out_train_gpus=z(grid),
        out_infer_gpus=z(grid),
        out_swarm_gpus=z(grid),
        out_cap_flex=z(grid),
        out_power_held_gpus=z(grid),
        out_clean_share=z(grid),
        out_soc_mwh=z(grid),
        out_facility_mw=z(grid),
        out_preempted=z(grid),
        audit_time=z(2 * n + 64),
        audit_job=np.zeros(2 * n + 64, dtype=np.int64),
        audit_site=np.zeros(2 * n + 64, dtype=np.int64),
        audit_n=np.zeros(1, dtype=np.int64),
        seg_job=np.zeros(8 * n + 64 if record else 1, dtype=np.int64),
        seg_start=z(8 * n + 64 if record else 1),
        seg_end=z(8 * n + 64 if record else 1),
        seg_at=np.zeros(8 * n + 64 if record else 1, dtype=np.int64),
        seg_n=np.zeros(8 * n + 64 if record else 1, dtype=np.int64),
        seg_of_job=np.full(n, -1, dtype=np.int64),
        seg_domain=np.zeros(8 * slots if record else 1, dtype=np.int32),
        seg_gpus=np.zeros(8 * slots if record else 1, dtype=np.int32),
        seg_counts=np.zeros(2, dtype=np.int64),
    )


def _params(config: SchedulerConfig, dt_h: float, jobs: JobTable, record: bool) -> records.Params:
    f = np.zeros(13)
    f[records.P_DT_S] = dt_h * 3600.0
    f[records.P_ALPHA] = config.power_speed_exponent
    f[records.P_CAP_FLOOR] = config.cap_floor_frac
    f[records.P_RESTART_S] = config.restart_overhead_s
    f[records.P_FAIL_PER_GPU_S] = config.failure_rate_per_gpu_h / 3600.0
    f[records.P_WALLTIME_FACTOR] = config.walltime_factor
    f[records.P_W_QOS] = config.priority_weight_qos
    f[records.P_W_FS] = config.priority_weight_fairshare
    f[records.P_W_AGE] = config.priority_weight_age
    f[records.P_W_SIZE] = config.priority_weight_size
    f[records.P_AGE_NORM_S] = config.age_norm_days * 86400.0
    f[records.P_HALF_LIFE_S] = config.fairshare_half_life_days * 86400.0
    f[records.P_BATCH_MARGIN] = config.batch_deadline_margin
    i = np.zeros(6, dtype=np.int64)
    i[records.I_RECORD] = 1 if record else 0
    i[records.I_POWER_AWARE] = 1 if config.power_policy == "power_aware" else 0
    i[records.I_COVERS_FIRM] = 1 if config.grid_allowance == "firm" else 0
    i[records.I_DEPTH] = config.backfill_depth
    i[records.I_EVENT_DEPTH] = config.event_depth
    i[records.I_MAX_GPUS] = int(jobs.gpus.max()) if len(jobs) else 1
    return _make(records.Params, records.PARAMS_FIELDS, f=f, i=i)


def _swarm_per_tick(swarm: SwarmDemand | None, n_tenants: int, n_ticks: int, dt_h: float) -> np.ndarray:
    """GPU-seconds arriving per tick and tenant (hourly demand spread evenly inside the hour)."""
    out = np.zeros((n_ticks, n_tenants))
    if swarm is None:
        return out
    per_hour = round(1.0 / dt_h)
    if per_hour < 1 or abs(per_hour * dt_h - 1.0) > 1e-9:
        raise ValueError(f"the swarm needs a step that divides an hour, got dt_h = {dt_h}")
    hours = min(swarm.n_hours, math.ceil(n_ticks / per_hour))
    spread = np.repeat(swarm.gpu_s[:hours] / per_hour, per_hour, axis=0)[:n_ticks]
    out[: len(spread)] = spread
    return out


def simulate_schedule(
    inputs: ScheduleInputs, rng: np.random.Generator, *, record_segments: bool = False
) -> ScheduleResult:
    """Schedule the jobs on the fleet, step by step with the sites' energy dispatch.

    Parameters
    ----------
    inputs
        Fleet, jobs, tenants, per-site series and the policy.
    rng
        Generator of the infrastructure-failure stream.
    record_segments
        Also return every run segment with its domains (``ScheduleResult.segments``), for
        audits and the invariant tests; costs memory.

    Returns
    -------
    ScheduleResult
        Per-site series, per-job and per-tenant outcomes, the placement audit.

    Raises
    ------
    ValueError
        Inconsistent shapes (jobs × sites, steps).
    """
    table = inputs.jobs
    n_sites = len(inputs.sites)
    if tuple(s.name for s in inputs.sites) != inputs.topology.sites:
        raise ValueError(
            f"site series {[s.name for s in inputs.sites]} must match the topology's {inputs.topology.sites}"
        )
    n_ticks = len(inputs.sites[0].clean_mw) if n_sites else 0
    if np.any(np.diff(table.submit_s) < 0):
        raise ValueError("jobs must be sorted by submit_s (JobTable.sorted_by_submit())")
    allowed = np.asarray(inputs.allowed_sites, dtype=bool)
    if allowed.shape != (len(table), n_sites):
        raise ValueError(f"allowed_sites has shape {allowed.shape}, expected ({len(table)}, {n_sites})")
    masks = _masks(allowed) if len(table) else np.zeros(0, dtype=np.int64)
    k = len(inputs.tenants)
    swarm_allowed = (
        np.ones((k, n_sites), dtype=bool)
        if inputs.swarm_allowed_sites is None
        else inputs.swarm_allowed_sites
    )
    jobs = _jobs(table, masks, inputs.topology)
    tenants = _tenants(
        inputs.tenants, inputs.topology.gpus, _masks(swarm_allowed) if k else np.zeros(0, np.int64)
    )
    sites = _sites(inputs.sites, inputs.dt_h, inputs.config)
    work = _work(inputs.topology, jobs, n_sites, n_ticks, rng, record_segments)
    dom: Domains = new_domains(inputs.topology)
    par = _params(inputs.config, inputs.dt_h, table, record_segments)
    swarm = _swarm_per_tick(inputs.swarm, k, n_ticks, inputs.dt_h)
    start = time.perf_counter()
    core.run_core(jobs, tenants, sites, work, dom, par, swarm, n_ticks)
    wall = time.perf_counter() - start
    return _result(inputs, jobs, tenants, work, wall, dom)


_STATES = ("future", "pending", "running", "done", "rejected")


def _names(codes: np.ndarray, names: Sequence[str]) -> pd.Categorical:
    """Codes as a categorical of their names (cheap for a million rows, compact in Parquet)."""
    categories = pd.Index(list(dict.fromkeys(names)), dtype=object)
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=categories)


def _result(
    inputs: ScheduleInputs,
    jobs: records.Jobs,
    tenants: records.Tenants,
    work: records.Work,
    wall: float,
    dom: Domains,
) -> ScheduleResult:
    names = [s.name for s in inputs.sites]
    series = {}
    for s, name in enumerate(names):
        series[name] = pd.DataFrame(
            {
                "it_load_mw": work.out_it_mw[s],
                "facility_load_mw": work.out_facility_mw[s],
                "it_budget_mw": work.out_budget_mw[s],
                "budget_excess_mw": work.out_excess_mw[s],
                "firm_overrun_mw": work.out_overrun_mw[s],
                "training_gpus": work.out_train_gpus[s],
                "inference_gpus": work.out_infer_gpus[s],
                "swarm_gpus": work.out_swarm_gpus[s],
                "flex_power_cap_frac": work.out_cap_flex[s],
                "power_held_gpus": work.out_power_held_gpus[s],
                "clean_share_frac": work.out_clean_share[s],
                "battery_soc_mwh": work.out_soc_mwh[s],
                "preemptions": work.out_preempted[s],
            }
        )
    table = inputs.jobs
    j_to_mwh = 1.0 / 3.6e9
    jobs_frame = pd.DataFrame(
        {
            "job_id": table.job_id,
            "tenant": _names(table.tenant, table.tenants),
            "kind": _names(table.kind, KINDS),
            "qos": _names(table.qos, QOS_CLASSES),
            "end_state": _names(table.end_state, END_STATES),
            "residency": _names(table.residency, table.residency_classes),
            "gpus": table.gpus,
            "submit_s": table.submit_s,
            "duration_s": table.duration_s,
            "deadline_s": table.deadline_s,
            "state": _names(jobs.state, _STATES),
            "site": _names(np.where(jobs.site >= 0, jobs.site, len(names)), (*names, "")),
            "first_start_s": jobs.first_start_s,
            "end_s": jobs.end_s,
            "queue_s": jobs.first_start_s - table.submit_s,
            "jct_s": jobs.end_s - table.submit_s,
            "done_s": jobs.done_s,
            "domains_max": jobs.domains_max,
            "restarts": jobs.restarts,
            "preemptions": jobs.preemptions,
            "lost_gpu_h": jobs.lost_gpu_s / 3600.0,
            "gpu_h": jobs.run_gpu_s / 3600.0,
            "it_energy_mwh": jobs.it_energy_j * j_to_mwh,
            "facility_energy_mwh": jobs.facility_energy_j * j_to_mwh,
            "clean_energy_mwh": jobs.clean_energy_j * j_to_mwh,
        }
    )
    tenants_frame = pd.DataFrame(
        {
            "tenant": [t.name for t in inputs.tenants],
            "nominal_quota_gpus": tenants.nominal_gpus,
            "swarm_served_gpu_h": tenants.swarm_served_gpu_s / 3600.0,
            "swarm_backlog_gpu_h": tenants.swarm_backlog_gpu_s / 3600.0,
            "swarm_backlog_integral_gpu_h2": tenants.swarm_backlog_integral / 3600.0**2,
            "swarm_facility_energy_mwh": tenants.swarm_energy_j * j_to_mwh,
            "swarm_clean_energy_mwh": tenants.swarm_clean_j * j_to_mwh,
        }
    )
    n_audit = int(work.audit_n[0])
    placements = pd.DataFrame(
        {
            "time_s": work.audit_time[:n_audit],
            "job_row": work.audit_job[:n_audit],
            "site": work.audit_site[:n_audit],
        }
    )
    _ = dom
    segments = None
    if int(work.seg_counts[0]) > 0:
        k = int(work.seg_counts[0])
        segments = pd.DataFrame(
            {
                "job_row": work.seg_job[:k],
                "start_s": work.seg_start[:k],
                "end_s": work.seg_end[:k],
                "domains": [
                    work.seg_domain[a : a + m].copy()
                    for a, m in zip(work.seg_at[:k], work.seg_n[:k], strict=False)
                ],
                "domain_gpus": [
                    work.seg_gpus[a : a + m].copy()
                    for a, m in zip(work.seg_at[:k], work.seg_n[:k], strict=False)
                ],
            }
        )
    return ScheduleResult(
        site_series=series,
        jobs=jobs_frame,
        tenants=tenants_frame,
        placements=placements,
        events=int(work.counters[6]),
        wall_s=wall,
        policy=inputs.config.power_policy,
        segments=segments,
    )
