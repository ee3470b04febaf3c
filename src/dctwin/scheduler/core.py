"""The compiled discrete-event core: jobs on NVLink domains under quotas, QoS, failures,
data residency and a power budget that follows the site's clean supply, co-simulated
step by step with the site's battery and grid dispatch.

Time advances in **ticks** of the energy model's step (1 h, 15 min or 5 min). At the
start of each tick, per site:

1. the **power budget** is set from the step's clean supply, what the battery can give
   (:func:`dctwin.dispatch.dispatch_step` state) and the grid allowance of the policy;
2. **inference** replicas (firm) take the whole domains they need, preempting
   preemptible training if they must;
3. **flexible** work (standard and preemptible training, batch inference not yet at its
   latest start) is fitted under the budget: first it is power-capped down to the cap
   floor, then preemptible jobs are preempted (checkpoint), then standard ones;
4. the **swarm** of small jobs (modelled in aggregate) takes whole domains for its
   backlog within its quota and the power headroom;
5. a scheduling pass starts pending jobs in priority order, with backfill and QoS
   preemption for the head job.

Within the tick, events (arrivals, finishes, infrastructure failures) are processed in
time order; each one triggers a short scheduling pass. At the tick's end the IT energy
of each site is known; the facility load (IT × PUE) is dispatched for the step, which
gives the battery state for the next tick and the step's clean share, attributed to the
energy of every job that ran in it.

Event payloads pack ``(job, epoch, kind)`` into one int64; a job's epoch increments
whenever its pending events become stale (preemption, failure, speed change).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numba.experimental import structref

from dctwin.dispatch import dispatch_step
from dctwin.scheduler.heap import heap_pop, heap_push
from dctwin.scheduler.placement import Domains, place, release, release_whole, reserve_whole, take_fragments
from dctwin.scheduler.structs import RecordType
from dctwin.supply.battery import BatteryLimits

__all__ = [
    "DONE",
    "PENDING",
    "REJECTED",
    "RUNNING",
    "Jobs",
    "Params",
    "Sites",
    "Tenants",
    "Work",
    "run_core",
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


# ------------------------------------------------------------------------- small helpers


WORK_FIELDS = tuple(Work.__annotations__)
structref.define_proxy(Work, WorkType, list(WORK_FIELDS))


@njit(cache=True)
def _new_work(*fields: np.ndarray) -> Work:  # cached constructor (the proxy's own is not)
    return Work(*fields)


Work.__new__ = lambda cls, *fields: _new_work(*fields)  # type: ignore[method-assign]


@njit(cache=True)
def _pack(job: int, epoch: int, kind: int) -> int:
    return ((job << _EPOCH_BITS) | (epoch & ((1 << _EPOCH_BITS) - 1))) << _KIND_BITS | kind


@njit(cache=True)
def _unpack(value: int) -> tuple[int, int, int]:
    kind = value & ((1 << _KIND_BITS) - 1)
    rest = value >> _KIND_BITS
    return rest >> _EPOCH_BITS, rest & ((1 << _EPOCH_BITS) - 1), kind


@njit(cache=True)
def _is_flexible(jobs: Jobs, j: int, t: float, par: Params) -> bool:
    """Flexible work can wait for power: not guaranteed, and batch work before its latest start."""
    if jobs.qos[j] == GUARANTEED:
        return False
    if jobs.kind[j] == BATCH_KIND and math.isfinite(jobs.deadline_s[j]):
        left = jobs.duration_s[j] - jobs.done_s[j] + jobs.overhead_s[j]
        if t >= jobs.deadline_s[j] - left * par.f[P_BATCH_MARGIN]:
            return False
    return True


@njit(cache=True)
def _site_power_w(s: int, sites: Sites, work: Work, dom: Domains) -> tuple[float, float]:
    """(total IT power, part counted against the renewable budget) of a site now. [W]"""
    idle = 0.0
    for k in range(work.site_pools.shape[1]):
        p = work.site_pools[s, k]
        if p < 0:
            break
        idle += dom.pool_free[p] * work.pool_w_idle[p]
    flex = sites.w_flex_full[s] * sites.cap_flex[s] + sites.w_swarm[s]
    firm = sites.w_guar[s] + sites.w_inf[s] + idle
    return flex + firm, flex if sites.allowance_now_mw[s] < 0 else flex + firm


@njit(cache=True)
def _renewable_limit_w(s: int, sites: Sites) -> float:
    """Budget for the constrained part: renewable (+ fixed grid allowance). [W]"""
    a = sites.allowance_now_mw[s]
    return (sites.renewable_mw[s] + (a if a > 0 else 0.0)) * 1e6


@njit(cache=True)
def _integrate(s: int, t: float, sites: Sites, work: Work, dom: Domains) -> None:
    """Accumulate the site's IT energy up to ``t`` and track budget excess."""
    dt = t - sites.t_last_s[s]
    if dt <= 0:
        return
    total, constrained = _site_power_w(s, sites, work, dom)  # the state held over [t_last, t)
    sites.e_acc_j[s] += total * dt
    sites.e_constrained_j[s] += constrained * dt
    sites.busy_gpu_s[s] += sites.busy_job_gpus[s] * dt
    sites.t_last_s[s] = t
    excess = max(constrained - _renewable_limit_w(s, sites), total - sites.it_cap_now_mw[s] * 1e6)
    if excess > sites.worst_excess_w[s]:
        sites.worst_excess_w[s] = excess


# ------------------------------------------------------------------------ job bookkeeping
@njit(cache=True)
def _clock(sites: Sites, s: int, t: float) -> None:
    """Advance the site's flexible progress and cap clocks to ``t``."""
    dt = t - sites.t_clock_s[s]
    if dt > 0:
        sites.vclock_s[s] += dt * sites.speed_flex[s]
        sites.cclock_s[s] += dt * sites.cap_flex[s]
        sites.t_clock_s[s] = t


@njit(cache=True)
def _advance_job(jobs: Jobs, sites: Sites, j: int, t: float) -> None:
    """Account progress of running job ``j`` up to ``t`` (restart overhead first)."""
    if jobs.in_flex[j] == 1:
        s = jobs.site[j]
        _clock(sites, s, t)
        work_done = sites.vclock_s[s] - jobs.prog_from_v[j]
        jobs.prog_from_v[j] = sites.vclock_s[s]
    else:
        work_done = (t - jobs.prog_from_s[j]) * jobs.speed[j]
    jobs.prog_from_s[j] = t
    if work_done <= 0:
        return
    if jobs.overhead_s[j] > 0:
        use = min(work_done, jobs.overhead_s[j])
        jobs.overhead_s[j] -= use
        work_done -= use
    jobs.done_s[j] = min(jobs.done_s[j] + work_done, jobs.duration_s[j])


@njit(cache=True)
def _account_energy(jobs: Jobs, sites: Sites, j: int, t: float, work: Work) -> None:
    dt = t - jobs.energy_from_s[j]
    if dt <= 0:
        return
    p = jobs.pool[j]
    if jobs.in_flex[j] == 1:
        s = jobs.site[j]
        _clock(sites, s, t)
        capped_s = sites.cclock_s[s] - jobs.energy_from_c[j]
        jobs.energy_from_c[j] = sites.cclock_s[s]
    else:
        capped_s = dt
    e = jobs.gpus[j] * work.pool_w_train[p] * capped_s
    jobs.it_energy_j[j] += e
    jobs.tick_it_j[j] += e
    jobs.run_gpu_s[j] += jobs.gpus[j] * dt
    jobs.energy_from_s[j] = t


@njit(cache=True)
def _left_s(jobs: Jobs, j: int) -> float:
    return jobs.duration_s[j] - jobs.done_s[j] + jobs.overhead_s[j]


@njit(cache=True)
def _push_finish(jobs: Jobs, sites: Sites, work: Work, j: int, t: float) -> None:
    """Schedule job ``j``'s finish: in real time (firm jobs) or on its site's progress clock."""
    if jobs.in_flex[j] == 1:
        s = jobs.site[j]
        _clock(sites, s, t)
        size = work.fh_size[s]
        if size >= work.fh_key.shape[1]:
            _compact_flex(jobs, work, s)
            size = work.fh_size[s]
        key = sites.vclock_s[s] + _left_s(jobs, j)
        work.fh_size[s] = heap_push(
            work.fh_key[s], work.fh_val[s], size, key, _pack(j, jobs.epoch[j], np.int64(EV_FINISH))
        )
    else:
        _push_event(jobs, work, _finish_time(jobs, j, t), j, jobs.epoch[j], np.int64(EV_FINISH))


@njit(cache=True)
def _compact_flex(jobs: Jobs, work: Work, s: int) -> None:
    n = work.fh_size[s]
    keys = work.fh_key[s, :n].copy()
    vals = work.fh_val[s, :n].copy()
    size = 0
    mask = (1 << _EPOCH_BITS) - 1
    for k in range(n):
        j, epoch, _ = _unpack(vals[k])
        if jobs.state[j] == RUNNING and jobs.in_flex[j] == 1 and epoch == (jobs.epoch[j] & mask):
            size = heap_push(work.fh_key[s], work.fh_val[s], size, keys[k], vals[k])
    work.fh_size[s] = size


@njit(cache=True)
def _finish_time(jobs: Jobs, j: int, t: float) -> float:
    return t + _left_s(jobs, j) / max(jobs.speed[j], 1e-9)


@njit(cache=True)
def _push_event(jobs: Jobs, work: Work, t: float, j: int, epoch: int, kind: int) -> None:
    c = work.counters
    if c[0] >= len(work.ev_key):
        _compact_events(jobs, work)
    c[0] = heap_push(work.ev_key, work.ev_val, c[0], t, _pack(j, epoch, kind))


@njit(cache=True)
def _compact_events(jobs: Jobs, work: Work) -> None:
    """Drop stale events (their job's epoch moved on) so the heap never overflows: the live
    events are at most two per running job."""
    c = work.counters
    n = c[0]
    keys = work.ev_key[:n].copy()
    vals = work.ev_val[:n].copy()
    c[0] = 0
    mask = (1 << _EPOCH_BITS) - 1
    for k in range(n):
        j, epoch, _ = _unpack(vals[k])
        if jobs.state[j] == RUNNING and epoch == (jobs.epoch[j] & mask):
            c[0] = heap_push(work.ev_key, work.ev_val, c[0], keys[k], vals[k])


@njit(cache=True)
def _priority_key(jobs: Jobs, tenants: Tenants, j: int, par: Params) -> float:
    """Heap key (smaller first) = −(Slurm multifactor priority without the common age offset)."""
    f = par.f
    qos_factor = 1.0 - jobs.qos[j] / 2.0
    size_factor = jobs.gpus[j] / max(par.i[I_MAX_GPUS], 1)
    prio = (
        f[P_W_QOS] * qos_factor
        + f[P_W_FS] * tenants.fairshare[jobs.tenant[j]]
        + f[P_W_SIZE] * size_factor
        - f[P_W_AGE] * jobs.submit_s[j] / f[P_AGE_NORM_S]
    )
    return -prio


@njit(cache=True)
def _enqueue(jobs: Jobs, tenants: Tenants, j: int, par: Params, work: Work) -> None:
    c = work.counters
    jobs.state[j] = PENDING
    c[1] = heap_push(work.pend_key, work.pend_val, c[1], _priority_key(jobs, tenants, j, par), j)


# ------------------------------------------------------------------------------ quotas
@njit(cache=True)
def _quota_ok(tenants: Tenants, i: int, g: int) -> tuple[bool, int]:
    """Kueue semantics: within nominal, or borrowing within the borrowing limit from what
    the cohort's other members lend. Returns (admissible, GPUs borrowed after admission)."""
    new = tenants.usage_gpus[i] + g
    nominal = tenants.nominal_gpus[i]
    if new <= nominal:
        return True, 0
    borrow = new - nominal
    if borrow > tenants.borrow_limit_gpus[i]:
        return False, 0
    lendable = 0
    borrowed_by_others = 0
    for k in range(len(tenants.nominal_gpus)):
        if k == i or tenants.cohort[k] != tenants.cohort[i]:
            continue
        idle = max(tenants.nominal_gpus[k] - tenants.usage_gpus[k], 0)
        lendable += min(idle, tenants.lend_limit_gpus[k])
        borrowed_by_others += max(tenants.usage_gpus[k] - tenants.nominal_gpus[k], 0)
    already = max(tenants.usage_gpus[i] - nominal, 0)
    if borrow - already > lendable - borrowed_by_others:
        return False, 0
    return True, borrow


# ---------------------------------------------------------------------- start and stop
@njit(cache=True)
def _start(
    jobs: Jobs, tenants: Tenants, sites: Sites, work: Work, dom: Domains, par: Params,
    j: int, p: int, used: int, at: int, t: float, borrow: int,
) -> None:  # fmt: skip
    s = work.pool_site[p]
    c = work.counters
    c[4] = at + used
    jobs.state[j] = RUNNING
    jobs.pool[j] = p
    jobs.site[j] = s
    jobs.alloc_at[j] = at
    jobs.alloc_n[j] = used
    jobs.domains_max[j] = max(jobs.domains_max[j], used)
    if math.isnan(jobs.first_start_s[j]):
        jobs.first_start_s[j] = t
    jobs.prog_from_s[j] = t
    jobs.energy_from_s[j] = t
    w = jobs.gpus[j] * work.pool_w_train[p]
    if _is_flexible(jobs, j, t, par):
        _clock(sites, s, t)
        jobs.speed[j] = sites.speed_flex[s]
        jobs.prog_from_v[j] = sites.vclock_s[s]
        jobs.energy_from_c[j] = sites.cclock_s[s]
        sites.w_flex_full[s] += w
        jobs.in_flex[j] = 1
    else:
        jobs.speed[j] = 1.0
        sites.w_guar[s] += w
        jobs.in_flex[j] = 0
    sites.busy_job_gpus[s] += jobs.gpus[j]
    tenants.usage_gpus[jobs.tenant[j]] += jobs.gpus[j]
    jobs.borrowed[j] = borrow
    jobs.run_pos[j] = c[2]
    work.running[c[2]] = j
    c[2] += 1
    jobs.epoch[j] += 1
    _push_finish(jobs, sites, work, j, t)
    rate = par.f[P_FAIL_PER_GPU_S] * jobs.gpus[j]
    if rate > 0:
        draw = work.fail_draws[c[7] % len(work.fail_draws)]
        c[7] += 1
        _push_event(jobs, work, t + draw / rate, j, jobs.epoch[j], np.int64(EV_FAIL))
    if par.i[I_RECORD] == 1:
        k, top = work.seg_counts[0], work.seg_counts[1]
        if k < len(work.seg_job) and top + used <= len(work.seg_domain):
            work.seg_job[k] = j
            work.seg_start[k] = t
            work.seg_end[k] = np.inf
            work.seg_at[k] = top
            work.seg_n[k] = used
            for i in range(used):
                work.seg_domain[top + i] = work.slot_domain[at + i]
                work.seg_gpus[top + i] = work.slot_gpus[at + i]
            work.seg_of_job[j] = k
            work.seg_counts[0] = k + 1
            work.seg_counts[1] = top + used
    n = work.audit_n[0]
    if n < len(work.audit_job):
        work.audit_time[n] = t
        work.audit_job[n] = j
        work.audit_site[n] = s
        work.audit_n[0] = n + 1
    c[6] += 1


@njit(cache=True)
def _stop(jobs: Jobs, tenants: Tenants, sites: Sites, work: Work, dom: Domains, j: int, t: float) -> None:
    """Take a running job off its GPUs (progress and energy accounted to ``t``)."""
    p = jobs.pool[j]
    s = work.pool_site[p]
    _integrate(s, t, sites, work, dom)
    _advance_job(jobs, sites, j, t)
    _account_energy(jobs, sites, j, t, work)
    w = jobs.gpus[j] * work.pool_w_train[p]
    if jobs.in_flex[j] == 1:
        sites.w_flex_full[s] = max(sites.w_flex_full[s] - w, 0.0)
    else:
        sites.w_guar[s] = max(sites.w_guar[s] - w, 0.0)
    release(dom, work.slot_domain, work.slot_gpus, jobs.alloc_at[j], jobs.alloc_n[j])
    if work.seg_of_job[j] >= 0:
        work.seg_end[work.seg_of_job[j]] = t
        work.seg_of_job[j] = -1
    sites.busy_job_gpus[s] -= jobs.gpus[j]
    tenants.usage_gpus[jobs.tenant[j]] -= jobs.gpus[j]
    jobs.borrowed[j] = 0
    c = work.counters
    pos = jobs.run_pos[j]
    last = work.running[c[2] - 1]
    work.running[pos] = last
    jobs.run_pos[last] = pos
    c[2] -= 1
    jobs.run_pos[j] = -1
    jobs.epoch[j] += 1
    work.ended[c[3]] = j
    c[3] += 1


@njit(cache=True)
def _interrupt(
    jobs: Jobs, tenants: Tenants, sites: Sites, work: Work, dom: Domains, par: Params,
    j: int, t: float, preempted: bool, tick: int,
) -> None:  # fmt: skip
    """Preemption or infrastructure failure: back to the last checkpoint, restart later."""
    _stop(jobs, tenants, sites, work, dom, j, t)
    ckpt = jobs.checkpoint_s[j]
    kept = math.floor(jobs.done_s[j] / ckpt) * ckpt if ckpt > 0 else 0.0  # no checkpoint: all lost
    lost = jobs.done_s[j] - kept
    jobs.done_s[j] = kept
    jobs.overhead_s[j] = par.f[P_RESTART_S]
    jobs.lost_gpu_s[j] += (lost + par.f[P_RESTART_S]) * jobs.gpus[j]
    if preempted:
        jobs.preemptions[j] += 1
        work.out_preempted[jobs.site[j], tick] += 1
    else:
        jobs.restarts[j] += 1
    _enqueue(jobs, tenants, j, par, work)
    work.counters[6] += 1


@njit(cache=True)
def _complete(jobs: Jobs, tenants: Tenants, sites: Sites, work: Work, dom: Domains, j: int, t: float) -> None:
    _stop(jobs, tenants, sites, work, dom, j, t)
    jobs.done_s[j] = jobs.duration_s[j]
    jobs.state[j] = DONE
    jobs.end_s[j] = t
    work.counters[6] += 1


# ----------------------------------------------------------------------- starting jobs
@njit(cache=True)
def _est_left_s(jobs: Jobs, sites: Sites, j: int, t: float, par: Params) -> float:
    """Walltime-based estimate of a running or pending job's remaining run time. [s]"""
    done = jobs.done_s[j]
    speed = 1.0
    if jobs.state[j] == RUNNING:
        if jobs.in_flex[j] == 1:
            s = jobs.site[j]
            speed = sites.speed_flex[s]
            done += sites.vclock_s[s] + (t - sites.t_clock_s[s]) * speed - jobs.prog_from_v[j]
        else:
            done += max(t - jobs.prog_from_s[j], 0.0)
    left = max(jobs.duration_s[j] - done, 0.0) + jobs.overhead_s[j]
    return left * par.f[P_WALLTIME_FACTOR] / max(speed, 1e-9)


@njit(cache=True)
def _ensure_slots(jobs: Jobs, work: Work, need: int) -> None:
    """Compact the allocation slots when the bump pointer would run out."""
    c = work.counters
    if c[4] + need <= len(work.slot_domain):
        return
    n = c[2]
    order = np.argsort(jobs.alloc_at[work.running[:n]])
    top = 0
    for r in order:
        j = work.running[r]
        at, k = jobs.alloc_at[j], jobs.alloc_n[j]
        for i in range(k):
            work.slot_domain[top + i] = work.slot_domain[at + i]
            work.slot_gpus[top + i] = work.slot_gpus[at + i]
        jobs.alloc_at[j] = top
        top += k
    c[4] = top


@njit(cache=True)
def _try_start(
    jobs: Jobs, tenants: Tenants, sites: Sites, work: Work, dom: Domains, par: Params,
    j: int, t: float, use_reservation: bool,
) -> int:  # fmt: skip
    """Start job ``j`` now if quota, capacity, power and the head job's reservation allow.

    Among admissible pools with room, the one at the site with the most power headroom
    is tried first (renewable-aware site choice), then the others.
    """
    g = jobs.gpus[j]
    ok, borrow = _quota_ok(tenants, jobs.tenant[j], g)
    if not ok:
        return NO_QUOTA
    flexible = _is_flexible(jobs, j, t, par)
    n_pools = len(work.pool_site)
    scores = work.scores
    scores[:] = -np.inf
    reason = NO_CAPACITY
    res = work.reservation
    for p in range(n_pools):
        s = work.pool_site[p]
        if (jobs.sites_mask[j] >> s) & 1 == 0 or dom.pool_free[p] < g:
            continue
        total, constrained = _site_power_w(s, sites, work, dom)
        w_train, w_idle = work.pool_w_train[p], work.pool_w_idle[p]
        cap = sites.cap_flex[s] if flexible else 1.0
        add = g * (w_train * cap - w_idle)
        if total + add > sites.it_cap_now_mw[s] * 1e6 + 1e-6:
            reason = NO_POWER
            continue
        headroom = _renewable_limit_w(s, sites) - constrained
        if flexible and par.i[I_POWER_AWARE] == 1:
            add_constrained = g * w_train * cap if sites.allowance_now_mw[s] < 0 else add
            if add_constrained > headroom + 1e-6:
                reason = NO_POWER
                continue
        blocks_head = use_reservation and res[1] == p and res[0] != j
        if blocks_head and t + _est_left_s(jobs, sites, j, t, par) > res[2] and g > res[3]:
            reason = NO_RESERVATION if reason == NO_CAPACITY else reason
            continue
        scores[p] = headroom if par.i[I_POWER_AWARE] == 1 else float(dom.pool_free[p])
    for _ in range(n_pools):
        p = int(np.argmax(scores))
        if scores[p] == -np.inf:
            break
        scores[p] = -np.inf
        s = work.pool_site[p]
        _ensure_slots(jobs, work, g // max(dom.pool_cap[p], 1) + 2)
        at = work.counters[4]
        _integrate(s, t, sites, work, dom)
        used = place(dom, p, g, work.slot_domain, work.slot_gpus, at)
        if used > 0:
            late = t + _est_left_s(jobs, sites, j, t, par) > res[2]
            if use_reservation and res[1] == p and res[0] != j and late:
                res[3] -= g  # backfilled into the head job's spare GPUs
            _start(jobs, tenants, sites, work, dom, par, j, p, used, at, t, borrow)
            return START
    return reason


@njit(cache=True)
def _make_reservation(
    jobs: Jobs, sites: Sites, work: Work, dom: Domains, par: Params, j: int, t: float, tick: int
) -> None:
    """EASY backfill: the earliest time the head job ``j`` could start on an admissible pool
    as running jobs end (walltime estimates), and the GPUs spare at that time."""
    res = work.reservation
    if res[0] == j and res[4] == tick:
        return
    g = jobs.gpus[j]
    best_shadow, best_pool, best_extra = np.inf, -1, 0.0
    n = work.counters[2]
    for p in range(len(work.pool_site)):
        if (jobs.sites_mask[j] >> work.pool_site[p]) & 1 == 0:
            continue
        ends = np.empty(n)
        freed = np.empty(n)
        m = 0
        for r in range(n):
            v = work.running[r]
            if jobs.pool[v] == p:
                ends[m] = t + _est_left_s(jobs, sites, v, t, par)
                freed[m] = jobs.gpus[v]
                m += 1
        free = float(dom.pool_free[p])
        if free >= g:
            shadow, extra = t, free - g
        else:
            order = np.argsort(ends[:m])
            shadow, extra = np.inf, 0.0
            for r in order:
                free += freed[r]
                if free >= g:
                    shadow, extra = ends[r], free - g
                    break
        if shadow < best_shadow:
            best_shadow, best_pool, best_extra = shadow, p, extra
    res[0], res[1], res[2], res[3], res[4] = j, best_pool, best_shadow, best_extra, tick


@njit(cache=True)
def _victim_ok(jobs: Jobs, tenants: Tenants, j: int, v: int) -> bool:
    """A higher QoS class preempts a lower one (of any tenant: the tenant's own lower-class
    jobs also free its quota, Kueue withinClusterQueue); a tenant within its nominal quota
    reclaims GPUs other tenants borrow (Kueue reclaimWithinCohort), except guaranteed ones."""
    if jobs.qos[v] > jobs.qos[j]:
        return True
    ten = jobs.tenant[j]
    within = tenants.usage_gpus[ten] + jobs.gpus[j] <= tenants.nominal_gpus[ten]
    return within and jobs.borrowed[v] > 0 and jobs.qos[v] != GUARANTEED and jobs.tenant[v] != ten


@njit(cache=True)
def _preempt_for(
    jobs: Jobs, tenants: Tenants, sites: Sites, work: Work, dom: Domains, par: Params,
    j: int, t: float, tick: int,
) -> bool:  # fmt: skip
    """Preempt lower-QoS (or borrowing) jobs on one pool so that job ``j`` fits there,
    within its quota. Nothing is preempted unless the victims would be enough."""
    g = jobs.gpus[j]
    ten = jobs.tenant[j]
    quota_short = g - _quota_room(tenants, ten)
    n = work.counters[2]
    best_p, best_total = -1, 0
    for p in range(len(work.pool_site)):
        if (jobs.sites_mask[j] >> work.pool_site[p]) & 1 == 0:
            continue
        total = dom.pool_free[p]
        own = 0
        for r in range(n):
            v = work.running[r]
            if jobs.pool[v] == p and _victim_ok(jobs, tenants, j, v):
                total += jobs.gpus[v]
                if jobs.tenant[v] == ten:
                    own += jobs.gpus[v]
        if total >= g and own >= quota_short and total > best_total:
            best_p, best_total = p, total
    if best_p < 0:
        return False
    victims = np.empty(n, dtype=np.int64)
    keys = np.empty(n)
    m = 0
    for r in range(n):
        v = work.running[r]
        if jobs.pool[v] == best_p and _victim_ok(jobs, tenants, j, v):
            victims[m] = v
            own_first = 0.0 if jobs.tenant[v] == ten and quota_short > 0 else 1.0
            keys[m] = (
                own_first * 1e15 - jobs.qos[v] * 1e12 - jobs.prog_from_s[v]
            )  # lowest class, latest first
            m += 1
    order = np.argsort(keys[:m])
    for r in order:
        if dom.pool_free[best_p] >= g and _quota_ok(tenants, ten, g)[0]:
            break
        _interrupt(jobs, tenants, sites, work, dom, par, victims[r], t, np.bool_(True), tick)
    return dom.pool_free[best_p] >= g and _quota_ok(tenants, ten, g)[0]


@njit(cache=True)
def _schedule(
    jobs: Jobs, tenants: Tenants, sites: Sites, work: Work, dom: Domains, par: Params,
    t: float, depth: int, tick: int, deep: bool,
) -> int:  # fmt: skip
    """One scheduling pass over the ``depth`` highest-priority pending jobs; returns the
    GPUs of flexible jobs held back by the power budget."""
    c = work.counters
    stash_n = 0
    tried = 0
    # a full (tick) pass makes the head job's reservation; the quick passes after events reuse
    # it while the head waits (recomputing it costs a sort of the running jobs)
    res = work.reservation
    have_reservation = (not deep) and res[4] == tick and res[0] >= 0 and jobs.state[int(res[0])] == PENDING
    held = 0
    attempts = 0
    while c[1] > 0 and tried < depth:
        _, j, c[1] = heap_pop(work.pend_key, work.pend_val, c[1])
        if jobs.state[j] != PENDING:
            continue
        tried += 1
        r = _try_start(jobs, tenants, sites, work, dom, par, j, t, have_reservation)
        if r == START:
            continue
        # preemption is tried for the first few blocked jobs of a full pass only (a scan of the
        # running jobs each; Slurm likewise preempts on behalf of the top pending jobs)
        preemptor = deep and jobs.qos[j] != PREEMPTIBLE and attempts < _PREEMPT_ATTEMPTS
        blocked = r == NO_CAPACITY or r == NO_QUOTA  # explicit comparisons: numba
        if blocked and preemptor:
            attempts += 1
        if blocked and preemptor and _preempt_for(jobs, tenants, sites, work, dom, par, j, t, tick):
            r = _try_start(jobs, tenants, sites, work, dom, par, j, t, np.bool_(False))
            if r == START:
                continue
        if r == NO_CAPACITY and deep and not have_reservation:
            _make_reservation(jobs, sites, work, dom, par, j, t, tick)
            have_reservation = True
        if r == NO_POWER:
            held += jobs.gpus[j]
        work.stash[stash_n] = j
        stash_n += 1
    for k in range(stash_n):
        j = work.stash[k]
        c[1] = heap_push(work.pend_key, work.pend_val, c[1], _priority_key(jobs, tenants, j, par), j)
    return held


# ------------------------------------------------------------------ tick-start policies
@njit(cache=True)
def _set_flex_cap(sites: Sites, par: Params, s: int, t: float, cap: float) -> None:
    """Apply a new flexible power cap at site ``s``: O(1), the clocks carry every job along."""
    _clock(sites, s, t)
    sites.cap_flex[s] = cap
    sites.speed_flex[s] = cap ** par.f[P_ALPHA] if cap < 1.0 else 1.0


@njit(cache=True)
def _urgent_to_firm(jobs: Jobs, sites: Sites, work: Work, par: Params, t: float) -> None:
    """Batch jobs that reached their latest start leave the flexible set (full power)."""
    for r in range(work.counters[2]):
        j = work.running[r]
        if jobs.in_flex[j] == 1 and not _is_flexible(jobs, j, t, par):
            s = jobs.site[j]
            w = jobs.gpus[j] * work.pool_w_train[jobs.pool[j]]
            sites.w_flex_full[s] = max(sites.w_flex_full[s] - w, 0.0)
            sites.w_guar[s] += w
            _advance_job(jobs, sites, j, t)  # (clocks up to now, while still flexible)
            _account_energy(jobs, sites, j, t, work)
            jobs.in_flex[j] = 0
            jobs.speed[j] = 1.0
            jobs.epoch[j] += 1
            _push_finish(jobs, sites, work, j, t)
            rate = par.f[P_FAIL_PER_GPU_S]
            if rate > 0:
                c = work.counters
                draw = work.fail_draws[c[7] % len(work.fail_draws)]
                c[7] += 1
                _push_event(jobs, work, t + draw / (rate * jobs.gpus[j]), j, jobs.epoch[j], np.int64(EV_FAIL))


@njit(cache=True)
def _inference(
    jobs: Jobs, tenants: Tenants, sites: Sites, work: Work, dom: Domains, par: Params,
    s: int, t: float, tick: int,
) -> None:  # fmt: skip
    """Give inference the whole domains it wants at site ``s`` (firm), preempting
    preemptible training if it must."""
    _integrate(s, t, sites, work, dom)
    want = math.ceil(sites.infer_gpus[s, tick] - 1e-9)
    busy = sites.infer_busy_frac[s, tick]
    w_inf = 0.0
    got_total = 0
    for k in range(work.site_pools.shape[1]):
        p = work.site_pools[s, k]
        if p < 0:
            break
        cap = work.pool_cap[p]
        need = (max(want - got_total, 0) + cap - 1) // cap
        base = work.pool_first_domain[p]
        have = work.inf_n[p]
        if need < have:
            release_whole(dom, work.inf_domains, base + need, have - need)
            work.inf_n[p] = need
        elif need > have:
            got = reserve_whole(dom, p, need - have, work.inf_domains, base + have)
            work.inf_n[p] = have + got
            if work.inf_n[p] < need:  # preempt preemptible jobs of this pool, latest first
                n = work.counters[2]
                for _ in range(n):
                    victim, latest = np.int64(-1), -np.inf
                    for r in range(work.counters[2]):
                        v = work.running[r]
                        if jobs.pool[v] == p and jobs.qos[v] == PREEMPTIBLE and jobs.prog_from_s[v] > latest:
                            victim, latest = v, jobs.prog_from_s[v]
                    if victim < 0:
                        break
                    _interrupt(jobs, tenants, sites, work, dom, par, victim, t, np.bool_(True), tick)
                    got = reserve_whole(dom, p, need - work.inf_n[p], work.inf_domains, base + work.inf_n[p])
                    work.inf_n[p] += got
                    if work.inf_n[p] >= need:
                        break
        g = min(work.inf_n[p] * cap, max(want - got_total, 0))
        work.inf_gpus[p] = g
        got_total += g
        w_inf += g * (busy * work.pool_w_inf[p] + (1.0 - busy) * work.pool_w_idle[p])
        w_inf += (work.inf_n[p] * cap - g) * work.pool_w_idle[p]
    sites.w_inf[s] = w_inf
    work.out_infer_gpus[s, tick] = got_total


@njit(cache=True)
def _fit_power(
    jobs: Jobs, tenants: Tenants, sites: Sites, work: Work, dom: Domains, par: Params,
    s: int, t: float, tick: int,
) -> None:  # fmt: skip
    """Fit flexible work under the budget: cap to the floor, then preempt preemptible, then standard."""
    _integrate(s, t, sites, work, dom)
    floor = par.f[P_CAP_FLOOR]
    for stage in range(3):
        total, constrained = _site_power_w(s, sites, work, dom)
        flex_now = sites.w_flex_full[s] * sites.cap_flex[s] + sites.w_swarm[s]
        others_total = total - flex_now
        others_constrained = constrained - flex_now
        limit = _renewable_limit_w(s, sites) if par.i[I_POWER_AWARE] == 1 else np.inf
        avail = min(limit - others_constrained, sites.it_cap_now_mw[s] * 1e6 - others_total)
        full = sites.w_flex_full[s]
        if full <= avail + 1e-6:
            cap = 1.0
        elif full * floor <= avail:
            cap = avail / full
        else:
            cap = floor
        if cap != sites.cap_flex[s]:
            _set_flex_cap(sites, par, s, t, cap)
        if full * cap <= avail + 1e-6 or stage == 2:
            if avail < 0:
                sites.firm_overrun_w[s] = max(sites.firm_overrun_w[s], -avail)
            return
        qos_victim = PREEMPTIBLE if stage == 0 else STANDARD
        for _ in range(work.counters[2]):
            total, constrained = _site_power_w(s, sites, work, dom)
            flex_now = sites.w_flex_full[s] * sites.cap_flex[s]
            avail = min(limit - (constrained - flex_now), sites.it_cap_now_mw[s] * 1e6 - (total - flex_now))
            if sites.w_flex_full[s] * sites.cap_flex[s] <= avail + 1e-6:
                break
            victim, latest = np.int64(-1), -np.inf
            for r in range(work.counters[2]):
                v = work.running[r]
                mine = jobs.site[v] == s and jobs.in_flex[v] == 1 and jobs.qos[v] == qos_victim
                if mine and jobs.prog_from_s[v] > latest:
                    victim, latest = v, jobs.prog_from_s[v]
            if victim < 0:
                break
            _interrupt(jobs, tenants, sites, work, dom, par, victim, t, np.bool_(True), tick)


@njit(cache=True)
def _quota_room(tenants: Tenants, i: int) -> int:
    """Most GPUs tenant ``i`` may add now (nominal headroom plus what it may borrow)."""
    lo, hi = 0, 1 << 24
    if not _quota_ok(tenants, i, np.int64(1))[0]:
        return 0
    while lo < hi:  # admissibility is monotone in the request
        mid = (lo + hi + 1) // 2
        if _quota_ok(tenants, i, mid)[0]:
            lo = mid
        else:
            hi = mid - 1
    return lo


@njit(cache=True)
def _swarm(
    tenants: Tenants, sites: Sites, work: Work, dom: Domains, par: Params,
    swarm_gpu_s: np.ndarray, t: float, tick: int, arrivals: bool,
) -> None:  # fmt: skip
    """The aggregate small-job swarm takes whole domains for its backlog (fluid model).

    Called at the start of a tick (``arrivals``: the tick's small-job GPU-seconds join the
    backlog) and again whenever a job ends inside the tick (the freed GPUs serve the backlog
    for the rest of the tick, as small jobs would backfill them). Domains are held to the end
    of the tick; the work served is GPUs × time held.
    """
    dt = par.f[P_DT_S]
    left = (tick + 1) * dt - t
    if left <= 0:
        return
    order = np.argsort(-tenants.fairshare)
    for i in order:
        if arrivals:
            tenants.swarm_backlog_gpu_s[i] += swarm_gpu_s[tick, i]
        if tenants.swarm_backlog_gpu_s[i] <= 1e-9:
            continue
        want = math.ceil(tenants.swarm_backlog_gpu_s[i] / left - 1e-9)
        want = min(want, _quota_room(tenants, i))
        got_total = 0
        for p in range(len(work.pool_site)):
            if want - got_total <= 0:
                break
            s = work.pool_site[p]
            if (tenants.swarm_sites_mask[i] >> s) & 1 == 0 or dom.pool_free[p] == 0:
                continue
            cap = work.pool_cap[p]
            total, constrained = _site_power_w(s, sites, work, dom)
            room = sites.it_cap_now_mw[s] * 1e6 - total
            if par.i[I_POWER_AWARE] == 1:
                room = min(_renewable_limit_w(s, sites) - constrained, room)
            per_gpu = work.pool_w_train[p] if sites.allowance_now_mw[s] < 0 else (
                work.pool_w_train[p] - work.pool_w_idle[p]
            )  # fmt: skip
            by_power = int(room / max(per_gpu, 1e-9)) if room > 0 else 0
            if by_power <= 0:
                continue
            _integrate(s, t, sites, work, dom)
            limit = min(want - got_total, by_power)
            # first the gaps gangs leave in partly used domains, then whole domains
            room_slots = work.swarm_room[p] - work.swarm_n[p]
            base = work.pool_first_domain[p] * 2 + work.swarm_n[p]
            slots, g = take_fragments(dom, p, limit, work.swarm_domains, work.swarm_gpus, base, room_slots)
            work.swarm_n[p] += slots
            held = g
            if g < limit and work.swarm_n[p] < work.swarm_room[p]:
                base = work.pool_first_domain[p] * 2 + work.swarm_n[p]
                whole = min((limit - g + cap - 1) // cap, work.swarm_room[p] - work.swarm_n[p])
                got = reserve_whole(dom, p, whole, work.swarm_domains, base)
                for k in range(got):
                    work.swarm_gpus[base + k] = cap
                work.swarm_n[p] += got
                held += got * cap
                g = min(held, limit)
            got_total += g
            sites.w_swarm[s] += g * work.pool_w_train[p] + (held - g) * work.pool_w_idle[p]
            work.out_swarm_gpus[s, tick] += g * left / dt
        served = min(got_total * left, tenants.swarm_backlog_gpu_s[i])
        tenants.swarm_backlog_gpu_s[i] -= served
        tenants.swarm_served_gpu_s[i] += served
        tenants.swarm_tick_gpu_s[i] += got_total * left
        tenants.swarm_gpus_now[i] += got_total
        tenants.usage_gpus[i] += got_total


@njit(cache=True)
def _update_fairshare(tenants: Tenants, par: Params) -> None:
    """Slurm classic fair share: F = 2^(−U/S), decayed usage U and shares S normalised."""
    dt = par.f[P_DT_S]
    decay = 0.5 ** (dt / par.f[P_HALF_LIFE_S])
    for i in range(len(tenants.nominal_gpus)):
        tenants.decayed_gpu_s[i] = tenants.decayed_gpu_s[i] * decay + tenants.usage_gpus[i] * dt
    total = tenants.decayed_gpu_s.sum()
    for i in range(len(tenants.nominal_gpus)):
        u = tenants.decayed_gpu_s[i] / total if total > 0 else 0.0
        tenants.fairshare[i] = 2.0 ** (-u / max(tenants.share[i], 1e-9))


@njit(cache=True)
def _rebuild_pending(jobs: Jobs, tenants: Tenants, work: Work, par: Params) -> None:
    c = work.counters
    n = c[1]
    for k in range(n):
        work.stash[k] = work.pend_val[k]
    c[1] = 0
    for k in range(n):
        j = work.stash[k]
        if jobs.state[j] == PENDING:
            c[1] = heap_push(work.pend_key, work.pend_val, c[1], _priority_key(jobs, tenants, j, par), j)


# ---------------------------------------------------------------------------- the loop
@njit(cache=True)
def _tick_end(
    jobs: Jobs, tenants: Tenants, sites: Sites, work: Work, dom: Domains, par: Params,
    t1: float, tick: int,
) -> None:  # fmt: skip
    dt = par.f[P_DT_S]
    dt_h = dt / 3600.0
    n_sites = sites.clean_mw.shape[0]
    share = np.zeros(n_sites)
    pue = np.zeros(n_sites)
    for r in range(work.counters[2]):
        _account_energy(jobs, sites, work.running[r], t1, work)
    for s in range(n_sites):
        _integrate(s, t1, sites, work, dom)
        it_mw = sites.e_acc_j[s] / dt / 1e6
        pue[s] = sites.pue[s, tick]
        facility = it_mw * pue[s]
        has_battery = sites.battery_power_mw[s] > 0
        limits = BatteryLimits(
            sites.battery_power_mw[s],
            sites.soc_min_mwh[s],
            sites.soc_max_mwh[s],
            sites.eta_c[s],
            sites.eta_d[s],
        )
        out = dispatch_step(
            sites.clean_mw[s, tick], facility, dt_h, has_battery, limits, sites.retain[s], sites.soc_mwh[s],
            sites.import_limit_mw[s], sites.export_limit_mw[s], sites.export_cap_frac[s],
            sites.served_mwh[s], sites.exported_mwh[s],
        )  # fmt: skip
        sites.soc_mwh[s] = out[2]
        sites.served_mwh[s] = out[7]
        sites.exported_mwh[s] = out[8]
        imports, shed = out[3], out[6]
        share[s] = (facility - imports - shed) / facility if facility > 0 else 1.0
        # the budget the scheduler was given: renewable (+ fixed allowance), plus, when the grid
        # covers firm load, the firm load it actually drew
        firm_mw = (sites.e_acc_j[s] - sites.e_constrained_j[s]) / dt / 1e6
        budget = min(
            sites.renewable_mw[s] + max(sites.allowance_now_mw[s], 0.0) + firm_mw, sites.it_cap_now_mw[s]
        )
        work.out_it_mw[s, tick] = it_mw
        work.out_facility_mw[s, tick] = facility
        work.out_budget_mw[s, tick] = budget
        work.out_excess_mw[s, tick] = max(sites.worst_excess_w[s], 0.0) / 1e6
        work.out_overrun_mw[s, tick] = sites.firm_overrun_w[s] / 1e6
        work.out_train_gpus[s, tick] = sites.busy_gpu_s[s] / dt
        work.out_cap_flex[s, tick] = sites.cap_flex[s]
        work.out_clean_share[s, tick] = share[s]
        work.out_soc_mwh[s, tick] = out[2]
        sites.e_acc_j[s] = 0.0
        sites.e_constrained_j[s] = 0.0
        sites.busy_gpu_s[s] = 0.0
        sites.worst_excess_w[s] = -np.inf
        sites.firm_overrun_w[s] = 0.0
    # clean energy of every job that ran in the tick
    for r in range(work.counters[2]):
        j = work.running[r]
        s = jobs.site[j]
        jobs.facility_energy_j[j] += jobs.tick_it_j[j] * pue[s]
        jobs.clean_energy_j[j] += jobs.tick_it_j[j] * pue[s] * share[s]
        jobs.tick_it_j[j] = 0.0
    for r in range(work.counters[3]):
        j = work.ended[r]
        if jobs.tick_it_j[j] != 0.0:
            s = jobs.site[j]
            jobs.facility_energy_j[j] += jobs.tick_it_j[j] * pue[s]
            jobs.clean_energy_j[j] += jobs.tick_it_j[j] * pue[s] * share[s]
            jobs.tick_it_j[j] = 0.0
    work.counters[3] = 0
    # the swarm gives its domains back; its energy is attributed like the jobs'
    for p in range(len(work.pool_site)):
        if work.swarm_n[p] > 0:
            s = work.pool_site[p]
            _integrate(s, t1, sites, work, dom)
            release(dom, work.swarm_domains, work.swarm_gpus, work.pool_first_domain[p] * 2, work.swarm_n[p])
            work.swarm_n[p] = 0
    for i in range(len(tenants.nominal_gpus)):
        tenants.swarm_backlog_integral[i] += (
            tenants.swarm_backlog_gpu_s[i] * dt
        )  # work waiting into the next tick
        g = tenants.swarm_gpus_now[i]
        if g > 0:
            s_any = -1
            for s in range(n_sites):
                if (tenants.swarm_sites_mask[i] >> s) & 1:
                    s_any = s
                    break
            w = work.pool_w_train[work.site_pools[s_any, 0]]
            e = tenants.swarm_tick_gpu_s[i] * w * pue[s_any]
            tenants.swarm_energy_j[i] += e
            tenants.swarm_clean_j[i] += e * share[s_any]
            tenants.usage_gpus[i] -= g
            tenants.swarm_gpus_now[i] = 0
            tenants.swarm_tick_gpu_s[i] = 0.0
    for s in range(n_sites):
        sites.w_swarm[s] = 0.0


@njit(cache=True)
def _battery_available_mw(sites: Sites, s: int, dt_h: float) -> float:
    if sites.battery_power_mw[s] <= 0:
        return 0.0
    floor = sites.soc_min_mwh[s] + sites.battery_reserve_mwh[s]
    soc = sites.soc_mwh[s]
    if soc > floor:
        soc = max(soc * sites.retain[s], sites.soc_min_mwh[s])
    return min(sites.battery_power_mw[s], max(soc - floor, 0.0) * sites.eta_d[s] / dt_h)


@njit(cache=True)
def run_core(
    jobs: Jobs, tenants: Tenants, sites: Sites, work: Work, dom: Domains, par: Params,
    swarm_gpu_s: np.ndarray, n_ticks: int,
) -> None:  # fmt: skip
    """Simulate ``n_ticks`` steps; every result is written into the argument arrays."""
    dt = par.f[P_DT_S]
    dt_h = dt / 3600.0
    c = work.counters
    n_jobs = len(jobs.gpus)
    n_sites = sites.clean_mw.shape[0]
    rebuild_every = max(round(6 * 3600.0 / dt), 1)
    has_swarm = swarm_gpu_s.sum() > 0
    for s in range(n_sites):
        sites.worst_excess_w[s] = -np.inf
    for tick in range(n_ticks):
        t0 = tick * dt
        t1 = t0 + dt
        c[6] += 1  # the tick itself is an event
        for s in range(n_sites):
            _integrate(s, t0, sites, work, dom)
            battery = _battery_available_mw(sites, s, dt_h)
            pue = sites.pue[s, tick]
            if par.i[I_POWER_AWARE] == 1:
                sites.renewable_mw[s] = (sites.clean_mw[s, tick] + battery) / pue
            else:
                sites.renewable_mw[s] = np.inf
            sites.it_cap_now_mw[s] = sites.it_cap_mw[s, tick]
            sites.allowance_now_mw[s] = (
                -1.0 if par.i[I_COVERS_FIRM] == 1 else sites.allowance_mw[s, tick] / pue
            )
        _urgent_to_firm(jobs, sites, work, par, t0)
        for s in range(n_sites):
            _inference(jobs, tenants, sites, work, dom, par, s, t0, tick)
        for s in range(n_sites):
            _fit_power(jobs, tenants, sites, work, dom, par, s, t0, tick)
        _update_fairshare(tenants, par)
        if tick % rebuild_every == 0:
            _rebuild_pending(jobs, tenants, work, par)
        held = _schedule(jobs, tenants, sites, work, dom, par, t0, par.i[I_DEPTH], tick, np.bool_(True))
        _swarm(tenants, sites, work, dom, par, swarm_gpu_s, t0, tick, np.bool_(True))
        free_total = 0.0
        for p in range(len(work.pool_site)):
            free_total += dom.pool_free[p]
        for p in range(len(work.pool_site)):  # idle GPUs the power budget kept from waiting work
            s = work.pool_site[p]
            if free_total > 0:
                share = held * dom.pool_free[p] / free_total
                work.out_power_held_gpus[s, tick] += min(share, dom.pool_free[p])
        while True:
            next_event = work.ev_key[0] if c[0] > 0 else np.inf
            flex_site = -1
            for s in range(n_sites):  # the next flexible finish, read off each site's progress clock
                if work.fh_size[s] > 0 and sites.speed_flex[s] > 0:
                    tv = sites.t_clock_s[s] + (work.fh_key[s, 0] - sites.vclock_s[s]) / sites.speed_flex[s]
                    tv = max(tv, sites.t_clock_s[s])
                    if tv < next_event:
                        next_event, flex_site = tv, s
            a = c[5]
            while a < n_jobs and jobs.state[a] == REJECTED:
                a += 1
            c[5] = a
            next_arrival = jobs.submit_s[a] if a < n_jobs else np.inf
            t = min(next_event, next_arrival)
            if t >= t1:
                break
            if next_arrival <= next_event:
                # an arrival frees nothing: try the new job alone (it may backfill around the
                # head job's reservation), and queue it if it cannot start
                c[5] = a + 1
                c[6] += 1
                jobs.state[a] = PENDING
                res = work.reservation
                held_head = res[4] == tick and res[0] >= 0 and jobs.state[int(res[0])] == PENDING
                if _try_start(jobs, tenants, sites, work, dom, par, a, t, held_head) != START:
                    _enqueue(jobs, tenants, a, par, work)
                continue
            if flex_site >= 0:
                _, value, work.fh_size[flex_site] = heap_pop(
                    work.fh_key[flex_site], work.fh_val[flex_site], work.fh_size[flex_site]
                )
            else:
                _, value, c[0] = heap_pop(work.ev_key, work.ev_val, c[0])
            j, epoch, kind = _unpack(value)
            if jobs.state[j] != RUNNING or epoch != (jobs.epoch[j] & ((1 << _EPOCH_BITS) - 1)):
                continue
            if flex_site >= 0 and jobs.in_flex[j] == 0:
                continue  # left the flexible set; its real-time finish is in the other heap
            if kind == EV_FINISH:
                _advance_job(jobs, sites, j, t)
                if _left_s(jobs, j) <= 1e-6 * max(jobs.duration_s[j], 1.0):
                    _complete(jobs, tenants, sites, work, dom, j, t)
                else:  # rounding: finish a moment later
                    _push_finish(jobs, sites, work, j, t)
                    continue
            else:
                _interrupt(jobs, tenants, sites, work, dom, par, j, t, np.bool_(False), tick)
            _schedule(jobs, tenants, sites, work, dom, par, t, par.i[I_EVENT_DEPTH], tick, np.bool_(False))
            if has_swarm:  # GPUs freed by the event serve the small-job backlog for the rest of the tick
                _swarm(tenants, sites, work, dom, par, swarm_gpu_s, t, tick, np.bool_(False))
        _tick_end(jobs, tenants, sites, work, dom, par, t1, tick)
