"""The job table: what the workload generator (or a trace) hands to the scheduler.

One row per job simulated individually, as a struct of numpy arrays (columnar, so a
million jobs cost a few tens of MB and vectorised statistics are cheap). Codes are small
integers; their names are in :data:`KINDS`, :data:`QOS_CLASSES` and :data:`END_STATES`,
tenants and residency classes are indices into the table's own name tuples.

The swarm of small, short jobs that is modelled in aggregate (see
:mod:`dctwin.scheduler.swarm`) is a :class:`SwarmDemand`: per tenant and hour, the
number of jobs and the GPU-seconds they ask for.

Times are seconds since the run's first step (``time.start_date`` 00:00 UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import ClassVar

import numpy as np
import pandas as pd

__all__ = [
    "END_STATES",
    "KINDS",
    "QOS_CLASSES",
    "JobTable",
    "SwarmDemand",
]

KINDS = ("pretrain", "finetune", "eval", "debug", "batch_inference")
"""Job kinds; ``batch_inference`` is deferrable work with a deadline."""

QOS_CLASSES = ("guaranteed", "standard", "preemptible")
"""QoS classes in decreasing priority: a class may preempt only the classes after it."""

END_STATES = ("completed", "failed", "cancelled")
"""How a job ends on its own (user outcome, as in the traces); infrastructure failures
are the scheduler's and end in a restart from the last checkpoint, not here."""


def _codes(names: tuple[str, ...], values: np.ndarray, what: str) -> None:
    if values.size and (values.min() < 0 or values.max() >= len(names)):
        raise ValueError(f"{what} codes must be in 0..{len(names) - 1}, got {values.min()}..{values.max()}")


@dataclass(frozen=True)
class JobTable:
    """Jobs simulated one by one.

    Attributes
    ----------
    job_id
        Unique id. [1]
    tenant
        Index into ``tenants``. [1]
    kind
        Index into :data:`KINDS`. [1]
    qos
        Index into :data:`QOS_CLASSES`. [1]
    gpus
        GPUs requested, all at once (gang). [GPU]
    submit_s
        Submission time since the run start. [s]
    duration_s
        Run time on the requested GPUs at full speed until the job ends on its own
        (its ``end_state``). [s]
    end_state
        Index into :data:`END_STATES`. [1]
    deadline_s
        Latest completion time since the run start; ``nan`` for none. [s]
    residency
        Index into ``residency_classes``: the data-residency class of the job's data. [1]
    checkpoint_interval_s
        Time between checkpoints; a restart loses the work since the last one. [s]
    tenants
        Tenant names (scenario order).
    residency_classes
        Residency class names.
    """

    job_id: np.ndarray
    tenant: np.ndarray
    kind: np.ndarray
    qos: np.ndarray
    gpus: np.ndarray
    submit_s: np.ndarray
    duration_s: np.ndarray
    end_state: np.ndarray
    deadline_s: np.ndarray
    residency: np.ndarray
    checkpoint_interval_s: np.ndarray
    tenants: tuple[str, ...] = field(default=())
    residency_classes: tuple[str, ...] = field(default=())

    _DTYPES: ClassVar[dict[str, type]] = {
        "job_id": np.int64,
        "tenant": np.int32,
        "kind": np.int8,
        "qos": np.int8,
        "gpus": np.int32,
        "submit_s": np.float64,
        "duration_s": np.float64,
        "end_state": np.int8,
        "deadline_s": np.float64,
        "residency": np.int16,
        "checkpoint_interval_s": np.float64,
    }

    def __post_init__(self) -> None:
        n = len(self.job_id)
        for name, dtype in self._DTYPES.items():
            value: np.ndarray = np.asarray(getattr(self, name), dtype=dtype)
            if value.shape != (n,):
                raise ValueError(f"JobTable.{name} has shape {value.shape}, expected ({n},)")
            object.__setattr__(self, name, value)
        _codes(KINDS, self.kind, "kind")
        _codes(QOS_CLASSES, self.qos, "qos")
        _codes(END_STATES, self.end_state, "end_state")
        if n and self.tenant.max() >= len(self.tenants):
            raise ValueError(f"tenant index {self.tenant.max()} but only {len(self.tenants)} tenant names")
        if n and self.residency.max() >= len(self.residency_classes):
            raise ValueError(
                f"residency index {self.residency.max()} but only {len(self.residency_classes)} class names"
            )
        if n and (self.gpus.min() < 1 or self.duration_s.min() < 0 or self.submit_s.min() < 0):
            raise ValueError("jobs need gpus ≥ 1, duration_s ≥ 0 and submit_s ≥ 0")

    def __len__(self) -> int:
        return len(self.job_id)

    def __repr__(self) -> str:
        n = len(self)
        if n == 0:
            return "JobTable(0 jobs)"
        gpu_h = float(np.sum(self.gpus * self.duration_s)) / 3600.0
        return (
            f"JobTable({n:,} jobs, {len(self.tenants)} tenants, median {np.median(self.gpus):g} GPUs, "
            f"median {np.median(self.duration_s):,.0f} s, {gpu_h:,.0f} GPU-h)"
        )

    @classmethod
    def empty(cls, tenants: tuple[str, ...] = (), residency_classes: tuple[str, ...] = ()) -> JobTable:
        """A table with no jobs."""
        arrays: dict[str, np.ndarray] = {
            name: np.empty(0, dtype=dtype) for name, dtype in cls._DTYPES.items()
        }
        return cls(**arrays, tenants=tenants, residency_classes=residency_classes)

    def column_names(self) -> list[str]:
        """The array columns, in order."""
        return [f.name for f in fields(self) if f.name in self._DTYPES]

    def take(self, index: np.ndarray) -> JobTable:
        """The rows at ``index`` (an integer or boolean array)."""
        arrays = {name: getattr(self, name)[index] for name in self._DTYPES}
        return JobTable(**arrays, tenants=self.tenants, residency_classes=self.residency_classes)

    def sorted_by_submit(self) -> JobTable:
        """The rows in order of submission (stable)."""
        return self.take(np.argsort(self.submit_s, kind="stable"))

    def to_frame(self) -> pd.DataFrame:
        """A DataFrame with names instead of codes (for reports and CSV)."""
        frame = pd.DataFrame({name: getattr(self, name) for name in self._DTYPES})
        frame["tenant"] = np.asarray(self.tenants, dtype=object)[self.tenant] if len(self) else []
        frame["kind"] = np.asarray(KINDS, dtype=object)[self.kind] if len(self) else []
        frame["qos"] = np.asarray(QOS_CLASSES, dtype=object)[self.qos] if len(self) else []
        frame["end_state"] = np.asarray(END_STATES, dtype=object)[self.end_state] if len(self) else []
        residency = np.asarray(self.residency_classes, dtype=object)
        frame["residency"] = residency[self.residency] if len(self) else []
        return frame


@dataclass(frozen=True)
class SwarmDemand:
    """Small, short jobs modelled in aggregate: what arrives per tenant and hour.

    Attributes
    ----------
    jobs
        Jobs arriving, shape ``(n_hours, n_tenants)``. [1]
    gpu_s
        GPU-seconds those jobs ask for (GPUs × run time), same shape. [GPU·s]
    mean_gpus
        Mean GPUs per small job, per tenant. [GPU]
    mean_duration_s
        Mean run time of a small job, per tenant. [s]
    residency
        Residency class index of each tenant's small jobs (one class per tenant). [1]
    tenants, residency_classes
        Names, as in :class:`JobTable`.
    """

    jobs: np.ndarray
    gpu_s: np.ndarray
    mean_gpus: np.ndarray
    mean_duration_s: np.ndarray
    residency: np.ndarray
    tenants: tuple[str, ...] = ()
    residency_classes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        jobs = np.asarray(self.jobs, dtype=np.float64)
        gpu_s = np.asarray(self.gpu_s, dtype=np.float64)
        if jobs.ndim != 2 or jobs.shape != gpu_s.shape:
            raise ValueError(
                f"SwarmDemand jobs {jobs.shape} and gpu_s {gpu_s.shape} must be equal 2-D shapes"
            )
        for name in ("mean_gpus", "mean_duration_s", "residency"):
            if np.asarray(getattr(self, name)).shape != (jobs.shape[1],):
                raise ValueError(f"SwarmDemand.{name} must have one value per tenant ({jobs.shape[1]})")
        object.__setattr__(self, "jobs", jobs)
        object.__setattr__(self, "gpu_s", gpu_s)

    @property
    def n_hours(self) -> int:
        """Hours covered. [h]"""
        return int(self.jobs.shape[0])

    @classmethod
    def none(cls, n_hours: int, tenants: tuple[str, ...], residency_classes: tuple[str, ...]) -> SwarmDemand:
        """No small jobs at all."""
        k = len(tenants)
        return cls(
            np.zeros((n_hours, k)), np.zeros((n_hours, k)), np.ones(k), np.ones(k),
            np.zeros(k, dtype=np.int16), tenants, residency_classes,
        )  # fmt: skip
