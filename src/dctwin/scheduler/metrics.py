"""Workload metrics: pure functions over a :class:`~dctwin.scheduler.simulate.ScheduleResult`.

Names follow the scheduler literature (JCT, queueing delay, goodput) and the energy
vocabulary of the rest of dctwin; every key carries its unit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dctwin.scheduler.simulate import ScheduleResult

__all__ = [
    "flexibility_value",
    "gpu_state_shares",
    "job_stats",
    "scheduler_metadata",
    "tenant_stats",
    "workload_summary",
]


def _pct(values: pd.Series, q: float) -> float:
    v = values.dropna().to_numpy(dtype=float)
    return float(np.percentile(v, q)) if v.size else float("nan")


def job_stats(jobs: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Queueing delay and job completion time (mean, p50, p99) of finished jobs.

    Parameters
    ----------
    jobs
        ``ScheduleResult.jobs``.
    by
        Column to group by (``"qos"``, ``"tenant"``, ``"kind"``) or ``None`` for all jobs.

    Returns
    -------
    pandas.DataFrame
        ``jobs``, ``queue_mean_s``, ``queue_p50_s``, ``queue_p99_s``, ``jct_mean_s``,
        ``jct_p50_s``, ``jct_p99_s`` [s], ``gpu_h``, ``lost_gpu_h`` [GPU·h],
        ``facility_energy_mwh``, ``clean_energy_mwh`` [MWh], ``renewable_share_frac``.
    """
    done = jobs[jobs["state"] == "done"]
    key = done[by] if by is not None else pd.Series("all", index=done.index)
    g = done.groupby(key, observed=True)
    out = pd.DataFrame(
        {
            "jobs": g.size(),
            "queue_mean_s": g["queue_s"].mean(),
            "queue_p50_s": g["queue_s"].quantile(0.50),
            "queue_p99_s": g["queue_s"].quantile(0.99),
            "jct_mean_s": g["jct_s"].mean(),
            "jct_p50_s": g["jct_s"].quantile(0.50),
            "jct_p99_s": g["jct_s"].quantile(0.99),
            "gpu_h": g["gpu_h"].sum(),
            "lost_gpu_h": g["lost_gpu_h"].sum(),
            "facility_energy_mwh": g["facility_energy_mwh"].sum(),
            "clean_energy_mwh": g["clean_energy_mwh"].sum(),
        }
    )
    if by is None:  # one row for all jobs, even when none finished
        out = out.reindex(["all"]).fillna({"jobs": 0, "gpu_h": 0.0, "lost_gpu_h": 0.0,
                                           "facility_energy_mwh": 0.0, "clean_energy_mwh": 0.0})  # fmt: skip
    energy = out["facility_energy_mwh"]
    out["renewable_share_frac"] = (out["clean_energy_mwh"] / energy).where(energy > 0)
    out["jobs"] = out["jobs"].astype(int)
    out.index.name = by or "group"
    return out.reset_index()


def tenant_stats(result: ScheduleResult) -> pd.DataFrame:
    """Per tenant: jobs, GPU-hours (individual jobs + swarm), energy and its renewable share.

    Parameters
    ----------
    result
        The schedule (jobs table, swarm series, tenants).

    Returns
    -------
    pandas.DataFrame
        One row per tenant: ``jobs_done``, ``jobs_rejected``, ``gpu_h``, ``swarm_gpu_h``,
        ``facility_energy_mwh``, ``clean_energy_mwh``, ``renewable_share_frac``,
        ``jct_p50_s``, ``queue_p50_s``.
    """
    jobs = result.jobs
    rows = []
    for t in result.tenants.to_dict("records"):
        mine = jobs[jobs["tenant"] == t["tenant"]]
        done = mine[mine["state"] == "done"]
        energy = float(mine["facility_energy_mwh"].sum()) + float(t["swarm_facility_energy_mwh"])
        clean = float(mine["clean_energy_mwh"].sum()) + float(t["swarm_clean_energy_mwh"])
        rows.append(
            {
                "tenant": t["tenant"],
                "nominal_quota_gpus": int(t["nominal_quota_gpus"]),
                "jobs_done": len(done),
                "jobs_rejected": int((mine["state"] == "rejected").sum()),
                "gpu_h": float(mine["gpu_h"].sum()),
                "swarm_gpu_h": float(t["swarm_served_gpu_h"]),
                "facility_energy_mwh": energy,
                "clean_energy_mwh": clean,
                "renewable_share_frac": clean / energy if energy > 0 else float("nan"),
                "jct_p50_s": _pct(done["jct_s"], 50),
                "queue_p50_s": _pct(done["queue_s"], 50),
            }
        )
    return pd.DataFrame(rows)


def workload_summary(result: ScheduleResult, installed_gpus: int, dt_h: float) -> dict[str, float]:
    """Headline workload figures of a run.

    Parameters
    ----------
    result
        The scheduler's result.
    installed_gpus
        GPUs of the simulated sites. [GPU]
    dt_h
        Step length. [h]

    Returns
    -------
    dict
        Unit-named figures: allocation shares, JCT and queueing percentiles, goodput lost,
        deferred GPU-hours, preemptions, restarts, rejections, scheduler events (the
        wall time is in the run's metadata, not here: a summary is deterministic).
    """
    jobs = result.jobs
    series = list(result.site_series.values())
    steps = len(series[0]) if series else 0
    installed_gpu_h = installed_gpus * steps * dt_h
    train_gpu_h = sum(float(s["training_gpus"].sum()) for s in series) * dt_h
    swarm_gpu_h = sum(float(s["swarm_gpus"].sum()) for s in series) * dt_h
    inference_gpu_h = sum(float(s["inference_gpus"].sum()) for s in series) * dt_h
    held_gpu_h = sum(float(s["power_held_gpus"].sum()) for s in series) * dt_h
    done = jobs[jobs["state"] == "done"]
    gpu_h = float(jobs["gpu_h"].sum())
    lost = float(jobs["lost_gpu_h"].sum())
    share = (lambda x: x / installed_gpu_h) if installed_gpu_h > 0 else (lambda x: float("nan"))
    return {
        "jobs_individual": len(jobs),
        "jobs_done": len(done),
        "jobs_rejected": int((jobs["state"] == "rejected").sum()),
        "jobs_unfinished": int(jobs["state"].isin(["pending", "running", "future"]).sum()),
        "gpu_allocation_frac": share(train_gpu_h + swarm_gpu_h + inference_gpu_h),
        "training_allocation_frac": share(train_gpu_h),
        "swarm_allocation_frac": share(swarm_gpu_h),
        "inference_allocation_frac": share(inference_gpu_h),
        "queue_p50_s": _pct(done["queue_s"], 50),
        "queue_p99_s": _pct(done["queue_s"], 99),
        "jct_mean_s": float(done["jct_s"].mean()) if len(done) else float("nan"),
        "jct_p50_s": _pct(done["jct_s"], 50),
        "jct_p99_s": _pct(done["jct_s"], 99),
        "goodput_lost_frac": lost / gpu_h if gpu_h > 0 else 0.0,
        "lost_gpu_h": lost,
        "deferred_gpu_h": held_gpu_h,
        "preemptions": int(jobs["preemptions"].sum()),
        "restarts": int(jobs["restarts"].sum()),
        "scheduler_events": result.events,
    }


def flexibility_value(aware: dict[str, float], oblivious: dict[str, float]) -> dict[str, float]:
    """What following the clean supply buys against the power-oblivious baseline.

    Parameters
    ----------
    aware, oblivious
        Campus summaries (energy metrics merged with :func:`workload_summary`) of the two
        runs on the same workload and weather.

    Returns
    -------
    dict
        Differences aware − oblivious of the hourly CFE score [frac], grid import [MWh],
        emissions [t], p50/p99 JCT [s], allocation [frac], and deferred GPU-hours.
    """
    keys = {
        "hourly_cfe_score_frac": "hourly_cfe_score_delta_frac",
        "grid_import_mwh": "grid_import_delta_mwh",
        "emissions_location_t": "emissions_location_delta_t",
        "curtailment_mwh": "curtailment_delta_mwh",
        "jct_p50_s": "jct_p50_delta_s",
        "jct_p99_s": "jct_p99_delta_s",
        "gpu_allocation_frac": "gpu_allocation_delta_frac",
        "facility_load_mwh": "facility_load_delta_mwh",
    }
    out = {
        new: float(aware.get(old, np.nan)) - float(oblivious.get(old, np.nan)) for old, new in keys.items()
    }
    out["deferred_gpu_h"] = float(aware.get("deferred_gpu_h", np.nan))
    return out


def gpu_state_shares(series: pd.DataFrame, installed_gpus: int) -> tuple[np.ndarray, np.ndarray]:
    """Share of a site's GPUs training and serving inference, per step, from the schedule.

    Parameters
    ----------
    series
        A site's ``ScheduleResult.site_series`` (``training_gpus``, ``swarm_gpus``,
        ``inference_gpus`` [GPU]).
    installed_gpus
        GPUs installed at the site. [GPU]

    Returns
    -------
    training_share_frac, inference_share_frac
        (training + swarm) ÷ installed and inference ÷ installed, clipped to [0, 1]. [frac]
    """
    gpus = max(int(installed_gpus), 1)
    train = np.clip((series["training_gpus"] + series["swarm_gpus"]).to_numpy() / gpus, 0.0, 1.0)
    infer = np.clip(series["inference_gpus"].to_numpy() / gpus, 0.0, 1.0)
    return train, infer


def scheduler_metadata(result: ScheduleResult) -> dict[str, float | int | None]:
    """Throughput of the compiled core for the run's metadata.

    Parameters
    ----------
    result
        The schedule.

    Returns
    -------
    dict
        ``events`` [1], ``core_wall_s`` [s], ``events_per_s`` [1/s] (``None`` if the core
        took no measurable time).
    """
    core_s = result.wall_s
    return {
        "events": result.events,
        "core_wall_s": round(core_s, 4),
        "events_per_s": round(result.events / core_s, 1) if core_s > 0 else None,
    }
