"""Job bookkeeping of the compiled core: events, clocks, energy, quotas, start and stop.

Small compiled functions the policies (:mod:`.policies`) and the loop (:mod:`.core`) share:
event packing and the event heaps (with compaction of stale events), the per-site power
sums and energy integral, the flexible jobs' progress and cap clocks, the Kueue quota
check, and starting, stopping, interrupting (back to the last checkpoint) and completing
a job.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from dctwin.scheduler.heap import heap_push
from dctwin.scheduler.placement import Domains, release
from dctwin.scheduler.records import (
    _EPOCH_BITS,
    _KIND_BITS,
    BATCH_KIND,
    DONE,
    EV_FAIL,
    EV_FINISH,
    GUARANTEED,
    I_MAX_GPUS,
    I_RECORD,
    P_AGE_NORM_S,
    P_BATCH_MARGIN,
    P_FAIL_PER_GPU_S,
    P_RESTART_S,
    P_W_AGE,
    P_W_FS,
    P_W_QOS,
    P_W_SIZE,
    PENDING,
    RUNNING,
    Jobs,
    Params,
    Sites,
    Tenants,
    Work,
)


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
