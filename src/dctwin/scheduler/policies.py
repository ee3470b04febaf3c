"""Scheduling policies of the compiled core: which job starts where, what yields to what.

The scheduling pass (priority order, EASY backfill around the head job's reservation, QoS
and quota preemption), and the tick-start policies: the power cap of flexible work and
what is preempted when the budget is short, inference's whole domains, the aggregate
small-job swarm, fair share and the pending queue's priorities.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from dctwin.scheduler.bookkeeping import (
    _account_energy,
    _advance_job,
    _clock,
    _integrate,
    _interrupt,
    _is_flexible,
    _priority_key,
    _push_event,
    _push_finish,
    _quota_ok,
    _renewable_limit_w,
    _site_power_w,
    _start,
)
from dctwin.scheduler.heap import heap_pop, heap_push
from dctwin.scheduler.placement import Domains, place, release_whole, reserve_whole, take_fragments
from dctwin.scheduler.records import (
    _PREEMPT_ATTEMPTS,
    EV_FAIL,
    GUARANTEED,
    I_POWER_AWARE,
    NO_CAPACITY,
    NO_POWER,
    NO_QUOTA,
    NO_RESERVATION,
    P_ALPHA,
    P_CAP_FLOOR,
    P_DT_S,
    P_FAIL_PER_GPU_S,
    P_HALF_LIFE_S,
    P_WALLTIME_FACTOR,
    PENDING,
    PREEMPTIBLE,
    RUNNING,
    STANDARD,
    START,
    Jobs,
    Params,
    Sites,
    Tenants,
    Work,
)


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
