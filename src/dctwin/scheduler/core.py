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

import numpy as np
from numba import njit

from dctwin.dispatch import dispatch_step
from dctwin.scheduler.bookkeeping import (
    _account_energy,
    _advance_job,
    _complete,
    _enqueue,
    _integrate,
    _interrupt,
    _left_s,
    _push_finish,
    _unpack,
)
from dctwin.scheduler.heap import heap_pop
from dctwin.scheduler.placement import Domains, release
from dctwin.scheduler.policies import (
    _fit_power,
    _inference,
    _rebuild_pending,
    _schedule,
    _swarm,
    _try_start,
    _update_fairshare,
    _urgent_to_firm,
)
from dctwin.scheduler.records import (
    _EPOCH_BITS,
    EV_FINISH,
    I_COVERS_FIRM,
    I_DEPTH,
    I_EVENT_DEPTH,
    I_POWER_AWARE,
    P_DT_S,
    PENDING,
    REJECTED,
    RUNNING,
    START,
    Jobs,
    Params,
    Sites,
    Tenants,
    Work,
)
from dctwin.supply.battery import BatteryLimits, discharge_available_mw

__all__ = ["run_core"]


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
    return discharge_available_mw(
        sites.soc_mwh[s], sites.soc_min_mwh[s], sites.battery_reserve_mwh[s], sites.retain[s],
        sites.battery_power_mw[s], sites.eta_d[s], dt_h,
    )  # fmt: skip


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
