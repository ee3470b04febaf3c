"""The scheduler core: a hand-computed schedule it reproduces exactly, each policy in a
small case whose outcome follows from the rules, and the invariants under random workloads:
no GPU is allocated twice, a gang runs all or nothing, no job runs where its data may not
go, and the IT power never exceeds the budget the scheduler was given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dctwin.dispatch import GridLimits, dispatch_site
from dctwin.facility.fleet import site_fleet
from dctwin.scenario import hardware_catalog
from dctwin.scenario.scheduler import SchedulerConfig
from dctwin.scenario.schema import BuildStep
from dctwin.scenario.tenants import QosMix, Tenant
from dctwin.scheduler.simulate import ScheduleInputs, ScheduleResult, SiteSeries, simulate_schedule
from dctwin.scheduler.topology import Topology, build_topology
from dctwin.supply.battery import BatteryParams
from dctwin.workload.jobs import JobTable, SwarmDemand

GPU_KW = 150.0 / 72  # NVIDIA SU: 1.2 MW / 576 GPUs, IT incl. network and storage
TRAIN_KW = GPU_KW * 0.85  # catalogue power_frac_training
IDLE_KW = GPU_KW * 0.18


def _topology(mw_per_site: Sequence[float] = (2.4,)) -> Topology:
    fleets = []
    for i, mw in enumerate(mw_per_site):
        fleet = site_fleet([BuildStep(phase="p", facility_power_mw=mw)], hardware_catalog(), 1.0)
        fleets.append((f"s{i}", fleet))
    return build_topology(fleets)


def _jobs(rows: list[dict[str, float]], tenants: tuple[str, ...] = ("a",)) -> JobTable:
    n = len(rows)

    def col(name: str, default: float) -> np.ndarray:
        return np.array([r.get(name, default) for r in rows], dtype=float)

    return JobTable(
        job_id=np.arange(n),
        tenant=col("tenant", 0),
        kind=col("kind", 1),
        qos=col("qos", 1),
        gpus=col("gpus", 1),
        submit_s=col("submit_s", 0.0),
        duration_s=col("duration_s", 3600.0),
        end_state=np.zeros(n),
        deadline_s=col("deadline_s", np.nan),
        residency=np.zeros(n),
        checkpoint_interval_s=col("checkpoint_s", 1800.0),
        tenants=tenants,
        residency_classes=("public",),
    )


def _site(
    name: str, hours: int, clean_mw: float | np.ndarray = 100.0, it_mw: float = 100.0, **kw: object
) -> SiteSeries:
    base = SiteSeries(
        name=name,
        clean_mw=np.broadcast_to(np.asarray(clean_mw, dtype=float), (hours,)).copy(),
        pue=np.full(hours, 1.1),
        it_limit_mw=np.full(hours, it_mw),
        inference_gpus=np.zeros(hours),
        inference_busy_frac=np.zeros(hours),
        battery=BatteryParams(),
        grid=GridLimits(),
    )
    return replace(base, **kw) if kw else base  # type: ignore[arg-type]


def _run(
    jobs: JobTable,
    topo: Topology,
    sites: list[SiteSeries],
    tenants: list[Tenant] | None = None,
    allowed: np.ndarray | None = None,
    swarm: SwarmDemand | None = None,
    seed: int = 0,
    **config: object,
) -> ScheduleResult:
    cfg = SchedulerConfig(**{"failure_rate_per_gpu_h": 0.0, **config})  # type: ignore[arg-type]
    tenants = tenants or [Tenant(name=t, nominal_quota_frac=1.0) for t in jobs.tenants]
    allowed = np.ones((len(jobs), len(sites)), dtype=bool) if allowed is None else allowed
    inputs = ScheduleInputs(topo, jobs, allowed, tenants, sites, 1.0, cfg, swarm=swarm)
    return simulate_schedule(inputs, np.random.default_rng(seed), record_segments=True)


def test_hand_computed_schedule() -> None:
    """16 NVL72 racks (1,152 GPUs in 2 SUs), FIFO with EASY backfill, no power limit.

    * t=0: A (72 GPUs, 1 h) takes one domain of SU 0.
    * t=100 s: B (576 GPUs, 2 h) takes the whole SU 1 (best-fit SU with 8 whole domains).
    * t=200 s: C (600 GPUs, 0.5 h) does not fit (504 free): head of the queue, reservation at
      B's walltime estimate (100 + 1.5 × 7,200 s), 552 GPUs spare then.
    * t=300 s: D (10 GPUs, 600 s) backfills (10 ≤ 552 spare) and ends at 900 s.
    * t=3,600 s: A ends (576 free < 600); t=7,300 s: B ends, C starts on 8 + 1 domains, ends 9,100 s.
    Energy of A: 72 GPUs × 150/72 kW × 0.85 × 1 h = 0.1275 MWh.
    """
    jobs = _jobs(
        [
            {"gpus": 72, "submit_s": 0, "duration_s": 3600},
            {"gpus": 576, "submit_s": 100, "duration_s": 7200},
            {"gpus": 600, "submit_s": 200, "duration_s": 1800},
            {"gpus": 10, "submit_s": 300, "duration_s": 600},
        ]
    )
    topo = _topology()
    r = _run(jobs, topo, [_site("s0", 4)], power_policy="oblivious")
    j = r.jobs
    assert j["first_start_s"].tolist() == [0.0, 100.0, 7300.0, 300.0]
    assert j["end_s"].tolist() == [3600.0, 7300.0, 9100.0, 900.0]
    assert j["domains_max"].tolist() == [1, 8, 9, 1]
    assert set(j["state"]) == {"done"}
    assert j["it_energy_mwh"][0] == pytest.approx(72 * TRAIN_KW / 1000.0)
    seg = r.segments
    assert seg is not None
    assert len({int(topo.domain_su[d]) for d in seg.loc[1, "domains"]}) == 1  # B inside one SU
    # hour 0: A all hour, B 3,500 s, D 600 s busy; the rest idle
    busy_kwh = 72 * TRAIN_KW + 576 * TRAIN_KW * 3500 / 3600 + 10 * TRAIN_KW * 600 / 3600
    idle_kwh = (1152 * 3600 - 72 * 3600 - 576 * 3500 - 10 * 600) / 3600 * IDLE_KW
    assert r.site_series["s0"]["it_load_mw"][0] == pytest.approx((busy_kwh + idle_kwh) / 1000.0)


def test_power_aware_holds_flexible_work_until_clean_power_returns() -> None:
    """Clean supply 0.2 MW for 3 h, then 5 MW. A guaranteed job runs at once (the grid covers
    firm load); a standard job of 576 GPUs (≈ 1 MW) waits for the clean hours."""
    jobs = _jobs(
        [
            {"gpus": 72, "qos": 0, "submit_s": 0, "duration_s": 7200},
            {"gpus": 576, "qos": 1, "submit_s": 10, "duration_s": 3600},
        ]
    )
    clean = np.array([0.2, 0.2, 0.2, 5.0, 5.0, 5.0])
    r = _run(jobs, _topology(), [_site("s0", 6, clean_mw=clean)])
    assert r.jobs["first_start_s"].tolist() == [0.0, 3 * 3600.0]
    series = r.site_series["s0"]
    assert series["power_held_gpus"][1:3].min() == 576  # it arrived after the first tick started
    assert (series["budget_excess_mw"] <= 1e-9).all()


def test_flexible_work_is_capped_before_it_is_preempted() -> None:
    """A running standard job of 576 GPUs (1,020 kW at full power) sees its budget fall to
    ≈ 0.75 MW: it is capped to 735/1,020 of its power (above the 0.6 floor), not preempted,
    and runs (735/1,020)^0.5 as fast."""
    jobs = _jobs([{"gpus": 576, "qos": 1, "submit_s": 0, "duration_s": 7200}])
    clean = np.array([5.0, 0.75 * 1.1, 0.75 * 1.1, 5.0, 5.0, 5.0])  # IT budget = clean / PUE
    r = _run(jobs, _topology(), [_site("s0", 6, clean_mw=clean)])
    series = r.site_series["s0"]
    cap = series["flex_power_cap_frac"][1]
    assert cap == pytest.approx(750.0 / (576 * TRAIN_KW), rel=1e-6)
    assert r.jobs["preemptions"][0] == 0
    speed = cap**0.5
    assert r.jobs["end_s"][0] == pytest.approx(
        3600 + 3600 / speed, rel=1e-9
    )  # hour 0 at full speed, then capped
    assert (series["budget_excess_mw"] <= 1e-9).all()


def test_guaranteed_job_preempts_preemptible_and_the_victim_resumes_from_its_checkpoint() -> None:
    """A preemptible job holds all 1,152 GPUs from t=0 (checkpoint every 2,400 s). At 2,700 s a
    guaranteed job of 576 GPUs arrives; the tenant's quota is full, so at the next tick
    (3,600 s) its own lower-class job is preempted: it loses the 1,200 s since its checkpoint
    at 2,400 s plus the 600 s restart overhead, and resumes when the 1,152 GPUs are free again."""
    jobs = _jobs(
        [
            {"gpus": 1152, "qos": 2, "submit_s": 0, "duration_s": 36000, "checkpoint_s": 2400},
            {"gpus": 576, "qos": 0, "submit_s": 2700, "duration_s": 3600},
        ]
    )
    r = _run(jobs, _topology(), [_site("s0", 24)], power_policy="oblivious")
    j = r.jobs
    assert j["preemptions"].tolist() == [1, 0]
    assert j["first_start_s"][1] == 3600.0
    assert j["lost_gpu_h"][0] == pytest.approx((1200 + 600) * 1152 / 3600)
    assert j["state"].tolist() == ["done", "done"]
    assert j["end_s"][0] == pytest.approx(7200 + (36000 - 2400) + 600)
    assert r.site_series["s0"]["preemptions"][1] == 1


def test_infrastructure_failures_restart_from_the_checkpoint() -> None:
    jobs = _jobs([{"gpus": 576, "duration_s": 20 * 3600, "checkpoint_s": 600}])
    r = _run(jobs, _topology(), [_site("s0", 72)], failure_rate_per_gpu_h=1e-4, power_policy="oblivious")
    j = r.jobs.iloc[0]
    assert j["restarts"] > 0 and j["state"] == "done"
    assert j["done_s"] == pytest.approx(20 * 3600)
    assert 0 < j["lost_gpu_h"] <= j["restarts"] * (600 + 600) * 576 / 3600 + 1e-9
    assert j["jct_s"] > 20 * 3600


def test_borrowing_limit_and_lending() -> None:
    """Tenants a and b have 576 nominal GPUs each; a may borrow 288 more. a submits 576, 288
    and 288 GPUs, b 288, all at t=0. a's first two start (nominal, then 288 borrowed from b's
    idle quota), its third would borrow 576 > 288 and waits for a's first to end; b starts
    within its nominal quota on the last 288 free GPUs."""
    tenants = [
        Tenant(name="a", nominal_quota_frac=0.5, borrowing_limit_frac=0.25),
        Tenant(name="b", nominal_quota_frac=0.5),
    ]
    rows = [{"gpus": 576.0}, {"gpus": 288.0}, {"gpus": 288.0}, {"gpus": 288.0, "tenant": 1}]
    r = _run(
        _jobs(rows, tenants=("a", "b")),
        _topology(),
        [_site("s0", 6)],
        tenants=tenants,
        power_policy="oblivious",
    )
    assert r.jobs["first_start_s"].tolist() == [0.0, 0.0, 3600.0, 0.0]


def test_jobs_run_only_where_their_data_may_go() -> None:
    topo = _topology((1.2, 1.2))
    jobs = _jobs([{"gpus": 72}, {"gpus": 72}, {"gpus": 72}])
    allowed = np.array([[False, True], [True, False], [False, False]])
    r = _run(jobs, topo, [_site("s0", 4), _site("s1", 4)], allowed=allowed)
    assert r.jobs["site"].tolist() == ["s1", "s0", ""]
    assert r.jobs["state"].tolist() == ["done", "done", "rejected"]
    assert sorted(r.placements["site"].tolist()) == [0, 1]


def test_inference_takes_whole_domains_and_preempts_preemptible_training() -> None:
    jobs = _jobs([{"gpus": 1152, "qos": 2, "duration_s": 10 * 3600}])
    want = np.array([0.0, 150.0, 150.0, 0.0, 0.0, 0.0])  # 150 GPUs = 3 NVL72 domains
    site = _site("s0", 6, inference_gpus=want, inference_busy_frac=np.full(6, 0.5))
    r = _run(jobs, _topology(), [site], power_policy="oblivious")
    s = r.site_series["s0"]
    assert s["inference_gpus"].tolist()[:3] == [0.0, 150.0, 150.0]
    assert r.jobs["preemptions"][0] == 1
    # hour 2: 150 GPUs half busy at the inference fraction 0.6, 66 GPUs of the 3rd domain idle,
    # 936 idle GPUs (the training job could not restart: 1,152 do not fit)
    kw = 150 * (0.5 * 0.6 + 0.5 * 0.18) * GPU_KW + (216 - 150) * IDLE_KW + 936 * IDLE_KW
    assert s["it_load_mw"][2] == pytest.approx(kw / 1000.0)


def test_swarm_is_served_from_whole_domains() -> None:
    """72 GPU-hours of small jobs per hour for one tenant: 72 GPUs busy every hour."""
    hours = 6
    swarm = SwarmDemand(
        jobs=np.full((hours, 1), 100.0), gpu_s=np.full((hours, 1), 72 * 3600.0),
        mean_gpus=np.array([2.0]), mean_duration_s=np.array([1296.0]), residency=np.array([0]),
        tenants=("a",), residency_classes=("public",),
    )  # fmt: skip
    r = _run(JobTable.empty(("a",), ("public",)), _topology(), [_site("s0", hours)], swarm=swarm)
    assert r.site_series["s0"]["swarm_gpus"].tolist() == [72.0] * hours
    assert r.tenants["swarm_served_gpu_h"][0] == pytest.approx(72 * hours)
    assert r.tenants["swarm_backlog_gpu_h"][0] == pytest.approx(0.0)


def test_co_simulated_battery_equals_dispatching_the_it_series() -> None:
    jobs = _jobs([{"gpus": 576, "qos": 1, "submit_s": 3600 * k, "duration_s": 5400} for k in range(8)])
    clean = 0.6 + 0.6 * np.sin(np.arange(12) / 2.0) ** 2
    battery = BatteryParams(power_mw=0.5, energy_mwh=2.0, initial_soc_frac=0.5)
    site = _site("s0", 12, clean_mw=clean, battery=battery, grid=GridLimits(5.0, 5.0, 0.2))
    r = _run(jobs, _topology(), [site])
    s = r.site_series["s0"]
    again = dispatch_site(clean, s["facility_load_mw"].to_numpy(), 1.0, battery, GridLimits(5.0, 5.0, 0.2))
    np.testing.assert_allclose(again.battery_soc_mwh, s["battery_soc_mwh"], atol=1e-9)
    assert (s["budget_excess_mw"] <= 1e-9).all()


# ------------------------------------------------------------------------------- properties
@st.composite
def workloads(draw: st.DrawFn) -> tuple[JobTable, np.ndarray, np.ndarray, str]:
    n = draw(st.integers(1, 25))
    rows = []
    for _ in range(n):
        rows.append(
            {
                "gpus": draw(st.sampled_from([1, 4, 8, 30, 72, 100, 144, 300, 576, 700])),
                "qos": draw(st.integers(0, 2)),
                "kind": draw(st.sampled_from([1, 2, 4])),
                "submit_s": draw(st.floats(0, 8 * 3600)),
                "duration_s": draw(st.floats(60, 6 * 3600)),
                "deadline_s": draw(st.sampled_from([np.nan, 20 * 3600.0])),
                "tenant": draw(st.integers(0, 1)),
            }
        )
    rows.sort(key=lambda r: r["submit_s"])
    allowed = np.array([[draw(st.booleans()), draw(st.booleans())] for _ in range(n)])
    clean = np.array([draw(st.floats(0.0, 3.0)) for _ in range(16)])
    policy = draw(st.sampled_from(["power_aware", "oblivious"]))
    return _jobs(rows, tenants=("a", "b")), allowed, clean, policy


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workloads(), st.integers(0, 2**16))
def test_invariants_under_random_workloads(
    case: tuple[JobTable, np.ndarray, np.ndarray, str], seed: int
) -> None:
    jobs, allowed, clean, policy = case
    topo = _topology((1.2, 1.2))  # two sites of 8 NVL72 racks
    tenants = [
        Tenant(name="a", nominal_quota_frac=0.6, borrowing_limit_frac=0.3, qos=QosMix()),
        Tenant(name="b", nominal_quota_frac=0.4),
    ]
    sites = [
        _site("s0", 16, clean_mw=clean, it_mw=1.2, battery=BatteryParams(power_mw=0.3, energy_mwh=1.0)),
        _site("s1", 16, clean_mw=clean[::-1].copy(), it_mw=1.0),
    ]
    r = _run(jobs, topo, sites, tenants=tenants, allowed=allowed, seed=seed, power_policy=policy,
             failure_rate_per_gpu_h=2e-4)  # fmt: skip
    seg = r.segments
    caps = topo.domain_gpus
    if seg is not None:
        # a gang runs all or nothing: each run segment holds exactly the job's GPUs, in one pool
        for row in seg.itertuples():
            assert int(np.sum(row.domain_gpus)) == int(jobs.gpus[row.job_row])
            assert len({int(topo.domain_pool[d]) for d in row.domains}) == 1
            site = int(topo.pools[int(topo.domain_pool[row.domains[0]])].site)
            assert allowed[row.job_row, site], "a job ran where its data may not go"
        # no GPU allocated twice: at every segment start, the GPUs held per domain ≤ its size
        for t in seg["start_s"]:
            live = seg[(seg["start_s"] <= t) & (seg["end_s"] > t)]
            used = np.zeros(len(caps), dtype=np.int64)
            for row in live.itertuples():
                np.add.at(used, row.domains, row.domain_gpus)
            assert np.all(used <= caps)
    for name, s in r.site_series.items():
        ok = s["firm_overrun_mw"] <= 0
        assert (s.loc[ok, "budget_excess_mw"] <= 1e-6).all(), f"{name}: IT power above the budget"
        if policy == "power_aware":  # hourly IT energy within the hour's budget
            assert (s.loc[ok, "it_load_mw"] <= s.loc[ok, "it_budget_mw"] + 1e-6).all()
        assert (s["it_load_mw"] <= 1.2 + 1e-9).all()
    done = r.jobs["state"] == "done"
    np.testing.assert_allclose(r.jobs.loc[done, "done_s"], jobs.duration_s[done.to_numpy()], rtol=1e-9)
    rejected = r.jobs["state"] == "rejected"
    assert (~allowed.any(axis=1) <= rejected.to_numpy()).all()
    assert r.jobs.loc[rejected, "first_start_s"].isna().all()


def test_many_power_cap_changes_keep_the_event_heap_bounded() -> None:
    """A flexible job whose cap changes every hour for 300 h: each change re-times its events and
    leaves stale ones behind; the heap compacts instead of overflowing, and the work is exact."""
    jobs = _jobs([{"gpus": 576, "qos": 1, "duration_s": 200 * 3600}])
    hours = 300
    clean = np.where(np.arange(hours) % 2 == 0, 0.8, 0.7) * 1.1  # IT budget 0.8 / 0.7 MW ...
    clean[0] = 5.0  # ... after a first hour with room to start (queued work is deferred, not capped)
    r = _run(jobs, _topology(), [_site("s0", hours, clean_mw=clean)], failure_rate_per_gpu_h=1e-5)
    caps = r.site_series["s0"]["flex_power_cap_frac"].to_numpy()
    assert len(np.unique(np.round(caps[1:100], 6))) == 2  # it really alternates
    j = r.jobs.iloc[0]
    assert j["state"] == "done" and j["done_s"] == pytest.approx(200 * 3600)
