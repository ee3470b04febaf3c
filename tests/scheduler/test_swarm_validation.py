"""The aggregate swarm against the job-level model, on one and the same workload.

One workload is generated with every job materialised (a small fleet, three weeks). It is
scheduled twice: (a) every job one by one; (b) the jobs above the default threshold one by
one and the small ones folded, per tenant and hour, into a :class:`SwarmDemand` that the
fluid model serves. Same draws, same fleet, same policy: what differs is only the model of
the small jobs, so the comparison isolates its error.

This is the scheduling half of the validation; the demand half (the generator's swarm has
the statistics of the small jobs materialised one by one) is in
``tests/workload/test_generator.py``. Tolerances are stated per assertion.
"""

from __future__ import annotations

import numpy as np
import pytest

from dctwin.dispatch import GridLimits
from dctwin.facility.fleet import site_fleet
from dctwin.scenario import hardware_catalog
from dctwin.scenario.scheduler import SchedulerConfig
from dctwin.scenario.schema import BuildStep
from dctwin.scenario.tenants import Tenant
from dctwin.scenario.workload import JobGeneration
from dctwin.scheduler.simulate import ScheduleInputs, ScheduleResult, SiteSeries, simulate_schedule
from dctwin.scheduler.topology import build_topology
from dctwin.supply.battery import BatteryParams
from dctwin.workload.generator import generate_jobs, is_individual
from dctwin.workload.jobs import JobTable, SwarmDemand

DAYS = 21
TENANTS = [
    Tenant(name="lab", job_mix="llm_lab", workload_share_frac=0.5, nominal_quota_frac=0.5),
    Tenant(name="ent", job_mix="enterprise", workload_share_frac=0.3, nominal_quota_frac=0.3),
    Tenant(name="aca", job_mix="academic", workload_share_frac=0.2, nominal_quota_frac=0.2),
]
THRESHOLD = JobGeneration()  # the defaults: 128 GPUs or 128 GPU·h


def fold_small_jobs(jobs: JobTable, small: np.ndarray, hours: int) -> SwarmDemand:
    """Small jobs summed per tenant and hour of submission (what the generator's swarm holds)."""
    k = len(jobs.tenants)
    hour = np.minimum((jobs.submit_s[small] // 3600).astype(int), hours - 1)
    tenant = jobs.tenant[small]
    count = np.zeros((hours, k))
    gpu_s = np.zeros((hours, k))
    np.add.at(count, (hour, tenant), 1.0)
    np.add.at(gpu_s, (hour, tenant), jobs.gpus[small] * jobs.duration_s[small])
    gpus = np.bincount(tenant, weights=jobs.gpus[small], minlength=k) / np.maximum(count.sum(axis=0), 1)
    dur = np.bincount(tenant, weights=jobs.duration_s[small], minlength=k) / np.maximum(count.sum(axis=0), 1)
    return SwarmDemand(
        count, gpu_s, gpus, dur, np.zeros(k, dtype=np.int16), jobs.tenants, jobs.residency_classes
    )


@pytest.fixture(scope="module")
def pair() -> tuple[ScheduleResult, ScheduleResult, np.ndarray, int]:
    fleet = site_fleet(
        [BuildStep(phase="p", facility_power_mw=9.6)], hardware_catalog(), 1.0
    )  # 64 NVL72 racks
    topo = build_topology([("s0", fleet)])
    every = JobGeneration(offered_load_frac=0.6, individual_min_gpus=1, individual_min_gpu_hours=0.0)
    jobs, _ = generate_jobs(every, TENANTS, ("public",), float(topo.gpus), DAYS * 86400.0,
                            np.random.default_rng(11))  # fmt: skip
    small = ~is_individual(jobs.gpus, jobs.duration_s, THRESHOLD.individual_min_gpus,
                           THRESHOLD.individual_min_gpu_hours)  # fmt: skip
    hours = DAYS * 24
    site = SiteSeries("s0", np.full(hours, 1e3), np.full(hours, 1.1), np.full(hours, 9.6), np.zeros(hours),
                      np.zeros(hours), BatteryParams(), GridLimits())  # fmt: skip
    policy = SchedulerConfig(power_policy="oblivious")

    def schedule(table: JobTable, swarm: SwarmDemand | None) -> ScheduleResult:
        inputs = ScheduleInputs(topo, table, np.ones((len(table), 1), dtype=bool), TENANTS, [site], 1.0,
                                policy, swarm=swarm)  # fmt: skip
        return simulate_schedule(inputs, np.random.default_rng(3))

    job_level = schedule(jobs, None)
    aggregate = schedule(jobs.take(~small), fold_small_jobs(jobs, small, hours))
    return job_level, aggregate, small, topo.gpus


def test_a_real_swarm(pair: tuple[ScheduleResult, ScheduleResult, np.ndarray, int]) -> None:
    _, _, small, _ = pair
    assert small.sum() > 50 * (~small).sum()  # tens of thousands of small jobs, a few hundred large


def test_same_it_load_and_allocation(pair: tuple[ScheduleResult, ScheduleResult, np.ndarray, int]) -> None:
    """Mean IT power within 2 % and GPUs in use within 2 points of the fleet."""
    job_level, aggregate, _, gpus = pair
    j, a = job_level.site_series["s0"], aggregate.site_series["s0"]
    assert a["it_load_mw"].mean() == pytest.approx(j["it_load_mw"].mean(), rel=0.02)
    busy_a = (a["training_gpus"] + a["swarm_gpus"]).mean() / gpus
    busy_j = j["training_gpus"].mean() / gpus
    assert busy_a == pytest.approx(busy_j, abs=0.02)


def test_same_small_work_served(pair: tuple[ScheduleResult, ScheduleResult, np.ndarray, int]) -> None:
    """The small jobs' GPU-hours served agree within 2 % (work still running or queued at the
    end of the three weeks is the difference)."""
    job_level, aggregate, small, _ = pair
    served_jobs = float(job_level.jobs.loc[small, "gpu_h"].sum())
    served_swarm = float(aggregate.tenants["swarm_served_gpu_h"].sum())
    assert served_swarm == pytest.approx(served_jobs, rel=0.02)


def test_large_jobs_see_the_same_queue(pair: tuple[ScheduleResult, ScheduleResult, np.ndarray, int]) -> None:
    """The individually simulated jobs finish alike: the same number done, mean JCT within 5 %
    and the share that starts without waiting within 15 points. (The fluid swarm packs a
    little tighter than jobs placed one by one, so large jobs queue somewhat less; the mean
    queueing delay itself is dominated by a few long waits and moves by minutes with the
    order of simultaneous events, so it is not compared.)"""
    job_level, aggregate, small, _ = pair
    big_j = job_level.jobs.loc[~small]
    big_a = aggregate.jobs
    done_j, done_a = big_j[big_j["state"] == "done"], big_a[big_a["state"] == "done"]
    assert len(done_a) == pytest.approx(len(done_j), rel=0.01)
    assert done_a["jct_s"].mean() == pytest.approx(done_j["jct_s"].mean(), rel=0.05)
    waited_a, waited_j = (done_a["queue_s"] > 0).mean(), (done_j["queue_s"] > 0).mean()
    assert abs(waited_a - waited_j) < 0.15


def test_small_jobs_wait_little_in_both(pair: tuple[ScheduleResult, ScheduleResult, np.ndarray, int]) -> None:
    """At 60 % offered load the small jobs hardly queue: in the job-level model their mean
    wait and in the fluid model the Little's-law wait (backlog-time ÷ work served) are both
    below one step (1 h)."""
    job_level, aggregate, small, _ = pair
    t = aggregate.tenants
    wait_swarm_h = float(t["swarm_backlog_integral_gpu_h2"].sum() / t["swarm_served_gpu_h"].sum())
    jobs = job_level.jobs
    wait_jobs_h = float(jobs.loc[small & (jobs["state"] == "done"), "queue_s"].mean()) / 3600.0
    assert wait_swarm_h < 1.0 and wait_jobs_h < 1.0
