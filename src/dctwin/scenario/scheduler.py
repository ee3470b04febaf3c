"""Scenario block of the scheduler: the power policy and the scheduling parameters.

Defaults follow the production schedulers the design takes its semantics from (Slurm's
multifactor priority and backfill, Kueue's quotas) and published failure and power-cap
figures; see ``shared/reference/workload-calibration.md`` §1–2.
"""

from __future__ import annotations

from typing import Literal

from dctwin.scenario.schema_base import Model, q

__all__ = ["SchedulerConfig"]


class SchedulerConfig(Model):
    """How jobs are scheduled on the fleet and how they follow the power budget."""

    power_policy: Literal["power_aware", "oblivious"] = q(
        "power_aware",
        "choice",
        "power_aware: flexible work follows clean supply + battery + grid allowance; "
        "oblivious: the facility limit only",
        "E: the renewable-following budget of issue 4 (Google CICS virtual capacity curves)",
    )
    grid_allowance: Literal["firm", "fixed"] = q(
        "firm",
        "choice",
        "firm: the grid covers firm load (guaranteed jobs, inference, idle standby) and flexible "
        "work runs on clean supply and the battery; fixed: a fixed grid allowance for everything",
        "E: operator policy for a 100 % renewable claim with grid backup (seed-system.md S4–S5)",
    )
    grid_allowance_mw: float = q(
        0.0,
        "MW",
        "Grid power the budget may use with grid_allowance = 'fixed' (facility side)",
        "E: none",
        ge=0.0,
        le=1e5,
    )
    battery_reserve_frac: float = q(
        0.1,
        "frac",
        "Share of battery energy kept out of the scheduler's budget (resilience reserve)",
        "E: ride-through reserve; facts.md §3.3 storage for power stabilisation",
        ge=0.0,
        le=1.0,
    )
    cap_floor_frac: float = q(
        0.6,
        "frac",
        "Lowest power cap of flexible training, as a share of its training power",
        "E: GB200 GPU range 200–1,200 W (facts.md §3.2); Meta provisions 80 % of TDP",
        ge=0.1,
        le=1.0,
    )
    power_speed_exponent: float = q(
        0.5,
        "1",
        "Throughput ∝ (power cap)^exponent for capped training",
        "E: between H100 capped to 86 % losing 10–15 % (exponent ≈ 0.9) and memory-bound work (≈ 0.3); "
        "power-law fits of Frey et al. 2022 (MIT LLSC, arXiv 2201.12423)",
        ge=0.0,
        le=1.5,
    )
    restart_overhead_s: float = q(
        600.0,
        "s",
        "Time to restart a job from its checkpoint after a failure or preemption",
        "E: checkpoint load and re-initialisation of a large gang, ≈ 10 min",
        ge=0.0,
        le=86400.0,
    )
    failure_rate_per_gpu_h: float = q(
        1.97e-5,
        "1/(GPU·h)",
        "Infrastructure interruptions per GPU-hour (a job fails at rate × its GPUs)",
        "Llama 3 report (Dubey et al. 2024, §3.3.4): 419 unexpected interruptions in 54 days on 16,384 H100",
        ge=0.0,
        le=1e-2,
    )
    walltime_factor: float = q(
        1.5,
        "1",
        "Requested walltime ÷ true run time, used by backfill",
        "E: users over-request; Slurm backfill uses the time limit",
        ge=1.0,
        le=20.0,
    )
    priority_weight_qos: float = q(
        10000.0, "1", "Slurm PriorityWeightQOS", "E: QoS dominates (Slurm multifactor docs)", ge=0.0, le=1e7
    )
    priority_weight_fairshare: float = q(
        5000.0, "1", "Slurm PriorityWeightFairshare", "E: Slurm multifactor docs example", ge=0.0, le=1e7
    )
    priority_weight_age: float = q(
        1000.0, "1", "Slurm PriorityWeightAge (per age_norm_days of waiting)", "E", ge=0.0, le=1e7
    )
    priority_weight_size: float = q(
        100.0, "1", "Slurm PriorityWeightJobSize (favours large gangs)", "E", ge=0.0, le=1e7
    )
    age_norm_days: float = q(
        7.0, "d", "Waiting time that earns the full age factor (Slurm PriorityMaxAge)", "Slurm default 7-0",
        gt=0.0, le=365.0,
    )  # fmt: skip
    fairshare_half_life_days: float = q(
        7.0, "d", "Half-life of past usage in the fair-share factor (Slurm PriorityDecayHalfLife)",
        "Slurm default 7-0", gt=0.0, le=365.0,
    )  # fmt: skip
    backfill_depth: int = q(
        100, "jobs", "Pending jobs tried per full scheduling pass",
        "Slurm bf_max_job_test / default_queue_depth 100", ge=1, le=100000,
    )  # fmt: skip
    event_depth: int = q(
        8,
        "jobs",
        "Pending jobs tried after each event",
        "E: Slurm's quick event-driven pass",
        ge=1,
        le=100000,
    )
    batch_deadline_margin: float = q(
        1.2,
        "1",
        "Batch work becomes firm when the time left to its deadline falls to this × its run time",
        "E: slack before a deadline miss",
        ge=1.0,
        le=10.0,
    )
    mfu_frac: float = q(
        0.4,
        "frac",
        "Model FLOP utilisation, for the FLOP a training run accumulates (AI Act flag)",
        "facts.md §6.2: 40 % MFU in the 1e25 FLOP estimate",
        gt=0.0,
        le=1.0,
    )
    racks_per_hall: int = q(
        128, "rack", "Racks per hall", "facts.md §3.1: a DGX SuperPOD scales to 128 racks", ge=1, le=100000
    )
    inference_conditions: list[str] = q(
        ["sccs", "tia"],
        "names",
        "Legal conditions the operator has on file for the personal data in inference requests",
        "E: SCCs + transfer impact assessment with EU, Gulf and African customers (facts.md §6.2)",
    )
    compare_baseline: bool = q(
        True,
        "bool",
        "Also run the power-oblivious baseline on the same workload and report what flexibility buys",
        "issue 4",
    )
