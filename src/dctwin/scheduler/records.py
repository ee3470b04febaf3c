"""The scheduler core's state: numba StructRef records and the codes they use.

Five records hold every array the compiled core reads and writes: :class:`Jobs` (one row
per individual job: inputs, then state and results), :class:`Tenants` (quotas, fair share,
the swarm), :class:`Sites` (per-step inputs, dispatch state, power sums and clocks),
:class:`Params` (the policy as two arrays) and :class:`Work` (heaps, lists, allocation
slots, outputs). :mod:`dctwin.scheduler.simulate` builds them from the scenario's objects;
:mod:`dctwin.scheduler.structs` explains why they are StructRefs.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.experimental import structref

from dctwin.scheduler.structs import RecordType

__all__ = [
    "DONE",
    "JOBS_FIELDS",
    "PARAMS_FIELDS",
    "PENDING",
    "REJECTED",
    "RUNNING",
    "SITES_FIELDS",
    "TENANTS_FIELDS",
    "WORK_FIELDS",
    "Jobs",
    "Params",
    "Sites",
    "Tenants",
    "Work",
]

FUTURE, PENDING, RUNNING, DONE, REJECTED = 0, 1, 2, 3, 4
GUARANTEED, STANDARD, PREEMPTIBLE = 0, 1, 2
BATCH_KIND = 4
EV_FINISH, EV_FAIL = 1, 2
START, NO_CAPACITY, NO_POWER, NO_QUOTA, NO_RESERVATION = 0, 1, 2, 3, 4
_EPOCH_BITS = 24
_PREEMPT_ATTEMPTS = 4
_KIND_BITS = 3


@structref.register
class JobsType(RecordType):
    """numba type of :class:`Jobs`."""


class Jobs(structref.StructRefProxy):
    """Per-job arrays (static inputs first, then state and results)."""

    gpus: np.ndarray  # int64 [GPU]
    submit_s: np.ndarray  # float64 [s]
    duration_s: np.ndarray  # float64: work at full speed [s]
    tenant: np.ndarray  # int64
    qos: np.ndarray  # int64
    kind: np.ndarray  # int64
    deadline_s: np.ndarray  # float64, inf = none [s]
    checkpoint_s: np.ndarray  # float64 [s]
    sites_mask: np.ndarray  # int64 bitmask of admissible sites
    state: np.ndarray  # int64
    pool: np.ndarray  # int64
    first_start_s: np.ndarray  # float64, nan until started [s]
    end_s: np.ndarray  # float64, nan until done [s]
    prog_from_s: np.ndarray  # float64: progress accounted up to here [s]
    energy_from_s: np.ndarray  # float64: energy accounted up to here [s]
    speed: np.ndarray  # float64: throughput share at the current power cap [frac]
    cap: np.ndarray  # float64: power share of training power [frac]
    done_s: np.ndarray  # float64: progress at full speed [s]
    overhead_s: np.ndarray  # float64: restart overhead still to run [s]
    epoch: np.ndarray  # int64
    it_energy_j: np.ndarray  # float64 [J]
    facility_energy_j: np.ndarray  # float64 [J]
    clean_energy_j: np.ndarray  # float64 [J]
    tick_it_j: np.ndarray  # float64 [J]
    restarts: np.ndarray  # int64 (after infrastructure failures)
    preemptions: np.ndarray  # int64
    lost_gpu_s: np.ndarray  # float64: work lost since the last checkpoint + restart overhead [GPU·s]
    run_gpu_s: np.ndarray  # float64: GPU-seconds held [GPU·s]
    alloc_at: np.ndarray  # int64: first allocation slot
    alloc_n: np.ndarray  # int64: domains used
    domains_max: np.ndarray  # int64: most domains used in one placement
    run_pos: np.ndarray  # int64: position in the running list
    power_wait_s: np.ndarray  # float64: time spent pending while held by the power budget [s]
    borrowed: np.ndarray  # int64: GPUs above the tenant's nominal quota [GPU]
    site: np.ndarray  # int64 (of the last placement)
    in_flex: np.ndarray  # int64: 1 if the job's power is in the site's flexible sum
    prog_from_v: np.ndarray  # float64: flexible jobs: the site's progress clock at the last accounting
    energy_from_c: np.ndarray  # float64: flexible jobs: the site's cap clock at the last accounting


JOBS_FIELDS = tuple(Jobs.__annotations__)
structref.define_proxy(Jobs, JobsType, list(JOBS_FIELDS))


@njit(cache=True)
def _new_jobs(*fields: np.ndarray) -> Jobs:  # cached constructor (the proxy's own is not)
    return Jobs(*fields)


Jobs.__new__ = lambda cls, *fields: _new_jobs(*fields)  # type: ignore[method-assign]


@structref.register
class TenantsType(RecordType):
    """numba type of :class:`Tenants`."""


class Tenants(structref.StructRefProxy):
    """Per-tenant quota and fair-share state."""

    nominal_gpus: np.ndarray  # int64
    borrow_limit_gpus: np.ndarray  # int64 (huge = none)
    lend_limit_gpus: np.ndarray  # int64
    cohort: np.ndarray  # int64
    share: np.ndarray  # float64 normalised fair-share shares
    usage_gpus: np.ndarray  # int64 in use now
    decayed_gpu_s: np.ndarray  # float64 decayed usage
    fairshare: np.ndarray  # float64 factor in (0, 1]
    swarm_sites_mask: np.ndarray  # int64
    swarm_backlog_gpu_s: np.ndarray  # float64
    swarm_served_gpu_s: np.ndarray  # float64 total
    swarm_backlog_integral: np.ndarray  # float64 Σ backlog·dt [GPU·s·s]
    swarm_gpus_now: np.ndarray  # int64 this tick
    swarm_energy_j: np.ndarray  # float64
    swarm_clean_j: np.ndarray  # float64
    swarm_tick_gpu_s: np.ndarray  # float64: GPU-seconds served this tick


TENANTS_FIELDS = tuple(Tenants.__annotations__)
structref.define_proxy(Tenants, TenantsType, list(TENANTS_FIELDS))


@njit(cache=True)
def _new_tenants(*fields: np.ndarray) -> Tenants:  # cached constructor (the proxy's own is not)
    return Tenants(*fields)


Tenants.__new__ = lambda cls, *fields: _new_tenants(*fields)  # type: ignore[method-assign]


@structref.register
class SitesType(RecordType):
    """numba type of :class:`Sites`."""


class Sites(structref.StructRefProxy):
    """Per-site inputs by tick (2-D: site × tick) and the dispatch state."""

    clean_mw: np.ndarray
    pue: np.ndarray
    it_cap_mw: np.ndarray
    allowance_mw: np.ndarray  # grid allowance, IT side [MW]
    infer_gpus: np.ndarray  # wanted
    infer_busy_frac: np.ndarray
    battery_power_mw: np.ndarray  # per site
    soc_min_mwh: np.ndarray
    soc_max_mwh: np.ndarray
    eta_c: np.ndarray
    eta_d: np.ndarray
    retain: np.ndarray
    soc_mwh: np.ndarray  # state
    import_limit_mw: np.ndarray
    export_limit_mw: np.ndarray
    export_cap_frac: np.ndarray
    served_mwh: np.ndarray  # state
    exported_mwh: np.ndarray  # state
    battery_reserve_mwh: np.ndarray
    renewable_mw: np.ndarray  # this tick's budget from clean supply + battery, IT side [MW]
    it_cap_now_mw: np.ndarray
    allowance_now_mw: np.ndarray
    cap_flex: np.ndarray  # current flexible power cap [frac]
    w_guar: np.ndarray  # W of running guaranteed/urgent jobs at full power
    w_flex_full: np.ndarray  # W of running flexible jobs at full power
    w_inf: np.ndarray
    w_swarm: np.ndarray
    e_acc_j: np.ndarray
    t_last_s: np.ndarray
    busy_job_gpus: np.ndarray  # GPUs held by individual jobs
    worst_excess_w: np.ndarray  # this tick
    firm_overrun_w: np.ndarray  # this tick
    busy_gpu_s: np.ndarray  # this tick: GPU-seconds held by individual jobs
    e_constrained_j: np.ndarray  # this tick: energy of the part counted against the renewable budget
    # clocks of the flexible jobs: all run at the site's cap, so their progress and energy are
    # read off two integrals instead of re-timing every job when the cap changes
    vclock_s: np.ndarray  # ∫ speed dt: full-speed seconds of progress [s]
    cclock_s: np.ndarray  # ∫ cap dt [s]
    t_clock_s: np.ndarray
    speed_flex: np.ndarray  # throughput share at the current flexible cap [frac]


SITES_FIELDS = tuple(Sites.__annotations__)
structref.define_proxy(Sites, SitesType, list(SITES_FIELDS))


@njit(cache=True)
def _new_sites(*fields: np.ndarray) -> Sites:  # cached constructor (the proxy's own is not)
    return Sites(*fields)


Sites.__new__ = lambda cls, *fields: _new_sites(*fields)  # type: ignore[method-assign]


@structref.register
class ParamsType(RecordType):
    """numba type of :class:`Params`."""


class Params(structref.StructRefProxy):
    """Policy parameters (floats in a float64 array, ints in an int64 array, by position)."""

    f: np.ndarray
    i: np.ndarray


# float params


PARAMS_FIELDS = tuple(Params.__annotations__)
structref.define_proxy(Params, ParamsType, list(PARAMS_FIELDS))


@njit(cache=True)
def _new_params(*fields: np.ndarray) -> Params:  # cached constructor (the proxy's own is not)
    return Params(*fields)


Params.__new__ = lambda cls, *fields: _new_params(*fields)  # type: ignore[method-assign]
P_DT_S, P_ALPHA, P_CAP_FLOOR, P_RESTART_S, P_FAIL_PER_GPU_S, P_WALLTIME_FACTOR = 0, 1, 2, 3, 4, 5
P_W_QOS, P_W_FS, P_W_AGE, P_W_SIZE, P_AGE_NORM_S, P_HALF_LIFE_S = 6, 7, 8, 9, 10, 11
P_BATCH_MARGIN = 12
# int params
I_POWER_AWARE, I_COVERS_FIRM, I_DEPTH, I_EVENT_DEPTH, I_MAX_GPUS, I_RECORD = 0, 1, 2, 3, 4, 5


@structref.register
class WorkType(RecordType):
    """numba type of :class:`Work`."""


class Work(structref.StructRefProxy):
    """Scratch arrays: heaps, lists, allocation slots, per-pool and per-tick outputs."""

    ev_key: np.ndarray
    ev_val: np.ndarray
    fh_key: np.ndarray  # per site: heap of flexible jobs' finishes in progress-clock time
    fh_val: np.ndarray
    fh_size: np.ndarray
    pend_key: np.ndarray
    pend_val: np.ndarray
    stash: np.ndarray
    running: np.ndarray
    ended: np.ndarray  # jobs that ended this tick (energy attribution)
    slot_domain: np.ndarray
    slot_gpus: np.ndarray
    # counters (int64): ev_size, pend_size, n_running, n_ended, slot_top, next_arrival, events, fail_draw
    counters: np.ndarray
    fail_draws: np.ndarray  # standard exponentials
    pool_site: np.ndarray
    pool_w_train: np.ndarray  # W per GPU at training power
    pool_w_idle: np.ndarray
    pool_w_inf: np.ndarray
    pool_cap: np.ndarray
    site_pools: np.ndarray  # site × max pools, -1 padded
    inf_domains: np.ndarray  # per pool stack region (pool_first_domain offsets)
    inf_n: np.ndarray  # per pool
    inf_gpus: np.ndarray  # per pool allocated GPUs this tick
    swarm_domains: np.ndarray  # per pool a region of 2 × its domains: (domain, GPUs) slots
    swarm_gpus: np.ndarray
    swarm_n: np.ndarray
    swarm_room: np.ndarray  # slots per pool
    pool_first_domain: np.ndarray
    scores: np.ndarray  # scratch: one per pool
    reservation: np.ndarray  # float64: [job, pool, shadow_s, extra_gpus, tick]
    # outputs by site × tick
    out_it_mw: np.ndarray
    out_budget_mw: np.ndarray
    out_excess_mw: np.ndarray
    out_overrun_mw: np.ndarray
    out_train_gpus: np.ndarray
    out_infer_gpus: np.ndarray
    out_swarm_gpus: np.ndarray
    out_cap_flex: np.ndarray
    out_power_held_gpus: np.ndarray
    out_clean_share: np.ndarray
    out_soc_mwh: np.ndarray
    out_facility_mw: np.ndarray
    out_preempted: np.ndarray
    # audit: placements
    audit_time: np.ndarray
    audit_job: np.ndarray
    audit_site: np.ndarray
    audit_n: np.ndarray
    # segments (only with I_RECORD): job, start, end, first slot, slot count; slot log
    seg_job: np.ndarray
    seg_start: np.ndarray
    seg_end: np.ndarray
    seg_at: np.ndarray
    seg_n: np.ndarray
    seg_of_job: np.ndarray
    seg_domain: np.ndarray
    seg_gpus: np.ndarray
    seg_counts: np.ndarray  # [segments, slots]


WORK_FIELDS = tuple(Work.__annotations__)
structref.define_proxy(Work, WorkType, list(WORK_FIELDS))


@njit(cache=True)
def _new_work(*fields: np.ndarray) -> Work:  # cached constructor (the proxy's own is not)
    return Work(*fields)


Work.__new__ = lambda cls, *fields: _new_work(*fields)  # type: ignore[method-assign]
