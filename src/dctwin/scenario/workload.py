"""Scenario blocks of the training and batch workload generator: job mixes and generation.

A **job mix** (:class:`JobMix`) is what one kind of tenant submits: per job kind
(:data:`dctwin.workload.jobs.KINDS`) its share of the jobs, a GPU-count distribution
(:class:`GpuCounts`, a discrete mixture; the traces' sizes are powers of two), a run-time
distribution (:class:`Durations`, a truncated lognormal) and how its jobs end
(:class:`EndStates`). The built-in mixes are in ``scenario/data/job_mixes.toml``:

* ``acme``, ``helios``, ``philly``: fitted to the published summaries of the Shanghai AI
  Lab Acme (Seren cluster), SenseTime Helios and Microsoft Philly traces; the calibration
  tests (``tests/workload/test_calibration.py``) check they reproduce them;
* ``llm_lab``, ``academic``, ``enterprise``, ``batch``: the campus tenants' mixes, each
  derived from a fitted mix (``based_on``) with documented changes, e.g. ``llm_lab`` is
  ``acme`` with frontier-scale pretraining gangs of 1k–16k GPUs running days to weeks.

:class:`JobGeneration` sets how the generator (:func:`dctwin.workload.generator.generate_jobs`)
uses them: the arrival rate, the weekly submission pattern, the offered load that sets the
volume of each mix's ``fill_kind`` (pretraining for an LLM lab), the threshold between jobs
simulated one by one and the aggregate swarm of small jobs, checkpoints and batch deadlines.

Sources: Hu et al., *Characterization of Large Language Model Development in the
Datacenter*, NSDI 2024 (Acme; ``InternLM/AcmeTrace`` ``data/cluster_summary.csv``); Hu et
al., *Characterization and Prediction of Deep Learning Workloads in Large-Scale GPU
Datacenters*, SC 2021 (Helios; ``S-Lab-System-Group/HeliosArtifact``); Jeon et al.,
*Analysis of Large-Scale Multi-Tenant GPU Clusters for DNN Training Workloads*, ATC 2019
(Philly; ``msr-fiddle/philly-traces``); workload-calibration.md =
``shared/reference/workload-calibration.md``. "[c]" marks values computed from the
trace summaries, "[m]" values from memory of a paper, not re-checked.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import re
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from dctwin.errors import CatalogError, ScenarioError
from dctwin.scenario.schema_base import Model, check_isodays, check_time_zone, q

__all__ = [
    "KIND_FIELDS",
    "Durations",
    "EndStates",
    "GpuCounts",
    "JobGeneration",
    "JobMix",
    "KindSpec",
    "builtin_job_mixes",
    "job_mixes",
    "job_mixes_from_dict",
    "lookup_mix",
]

KIND_FIELDS = ("pretrain", "finetune", "eval", "debug", "batch_inference")
"""The kind fields of a :class:`JobMix`, in the order of :data:`dctwin.workload.jobs.KINDS`."""

KindName = Literal["pretrain", "finetune", "eval", "debug", "batch_inference"]
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_TOL = 1e-6


class GpuCounts(Model):
    """GPUs per job: a discrete mixture over sizes (powers of two in every public trace)."""

    sizes_gpus: tuple[int, ...] = q(
        ..., "GPU", "Job sizes, strictly increasing", "mix", min_length=1, max_length=32
    )
    weights_frac: tuple[float, ...] = q(
        ..., "frac", "Share of the kind's jobs at each size (sums to 1)", "mix", min_length=1, max_length=32
    )

    @model_validator(mode="after")
    def _consistent(self) -> GpuCounts:
        sizes, weights = self.sizes_gpus, self.weights_frac
        if len(sizes) != len(weights):
            raise ValueError(
                f"sizes_gpus has {len(sizes)} entries but weights_frac {len(weights)}; "
                "give one weight per size"
            )
        if sizes[0] < 1 or any(b <= a for a, b in itertools.pairwise(sizes)):
            raise ValueError(f"sizes_gpus must be ≥ 1 GPU and strictly increasing, got {list(sizes)}")
        if min(weights) < 0.0:
            raise ValueError(f"weights_frac must be ≥ 0, got {list(weights)}")
        total = sum(weights)
        if abs(total - 1.0) > _TOL:
            raise ValueError(f"weights_frac must sum to 1, got {total:g}; rescale them")
        return self

    def __repr__(self) -> str:
        return f"GpuCounts({dict(zip(self.sizes_gpus, self.weights_frac, strict=True))})"


class Durations(Model):
    """Run time of a job: lognormal through its median and log-sd, truncated to bounds.

    The density is the lognormal's with ``μ = ln(median_s)`` and ``σ = sigma`` on
    ``[min_s, max_s]``, renormalised (truncated, not clipped: no mass piles up on a bound).
    """

    median_s: float = q(..., "s", "Median of the untruncated lognormal", "mix", gt=0.0, le=1e8)
    sigma: float = q(..., "1", "Log-standard deviation of the lognormal", "mix", ge=0.01, le=6.0)
    min_s: float = q(..., "s", "Shortest run time (truncation)", "mix", gt=0.0, le=1e8)
    max_s: float = q(..., "s", "Longest run time (truncation)", "mix", gt=0.0, le=1e8)

    @model_validator(mode="after")
    def _order(self) -> Durations:
        if not self.min_s <= self.median_s <= self.max_s or self.min_s >= self.max_s:
            raise ValueError(
                f"need min_s ≤ median_s ≤ max_s and min_s < max_s, got {self.min_s:g} / {self.median_s:g} / "
                f"{self.max_s:g} s; reorder them"
            )
        return self

    def __repr__(self) -> str:
        return f"Durations(median {self.median_s:g} s, σ {self.sigma:g}, [{self.min_s:g}, {self.max_s:g}] s)"


class EndStates(Model):
    """How a kind's jobs end on their own (shares of its jobs; sums to 1)."""

    completed_frac: float = q(..., "frac", "Jobs that complete", "mix", ge=0.0, le=1.0)
    failed_frac: float = q(..., "frac", "Jobs that fail (user or code error)", "mix", ge=0.0, le=1.0)
    cancelled_frac: float = q(..., "frac", "Jobs the user cancels", "mix", ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _sums_to_one(self) -> EndStates:
        total = self.completed_frac + self.failed_frac + self.cancelled_frac
        if abs(total - 1.0) > _TOL:
            raise ValueError(
                f"completed_frac + failed_frac + cancelled_frac must be 1, got {total:g}; rescale them"
            )
        return self

    def as_tuple(self) -> tuple[float, float, float]:
        """Shares in the order of :data:`dctwin.workload.jobs.END_STATES`. [frac]"""
        return (self.completed_frac, self.failed_frac, self.cancelled_frac)


class KindSpec(Model):
    """One job kind within a mix."""

    share_frac: float = q(..., "frac", "Share of the mix's jobs of this kind", "mix", ge=0.0, le=1.0)
    gpus: GpuCounts
    duration: Durations
    end_states: EndStates
    checkpointed: bool = q(
        True,
        "bool",
        "Jobs checkpoint every checkpoint_interval_s; otherwise a restart loses all their work",
        "E: training and batch inference checkpoint; evaluation and debug runs do not",
    )


class JobMix(Model):
    """What one kind of tenant submits: per job kind its share, sizes, run times and end states."""

    description: str = Field("", description="What the mix represents")
    source: str = q("", "text", "Trace or method the mix is fitted to", "mix")
    arrival_rate_per_gpu_day: float = q(
        ..., "1/(GPU·d)", "Jobs submitted per installed GPU and day (all kinds)", "mix", gt=0.0, le=1e3
    )
    fill_kind: KindName = q(
        ...,
        "kind",
        "Kind whose volume is set so that the offered load is met (JobGeneration.volume)",
        "mix",
    )
    pretrain: KindSpec | None = Field(None, description="Pretraining gangs")
    finetune: KindSpec | None = Field(None, description="Fine-tuning and other training")
    eval: KindSpec | None = Field(None, description="Evaluation and benchmarking runs")
    debug: KindSpec | None = Field(None, description="Interactive debugging and short tests")
    batch_inference: KindSpec | None = Field(None, description="Deferrable batch inference with a deadline")

    @model_validator(mode="after")
    def _kinds(self) -> JobMix:
        present = {k: spec for k in KIND_FIELDS if (spec := getattr(self, k)) is not None}
        if not present:
            raise ValueError(f"a mix needs at least one of the kinds {list(KIND_FIELDS)}")
        total = sum(spec.share_frac for spec in present.values())
        if abs(total - 1.0) > _TOL:
            shares = ", ".join(f"{k}.share_frac = {s.share_frac:g}" for k, s in present.items())
            raise ValueError(f"the kinds' share_frac must sum to 1, got {total:g} ({shares}); rescale them")
        if self.fill_kind not in present:
            raise ValueError(
                f"fill_kind {self.fill_kind!r} is not a kind of this mix; use one of {list(present)}"
            )
        return self

    def kinds(self) -> dict[str, KindSpec]:
        """The kinds present, in the order of :data:`dctwin.workload.jobs.KINDS`."""
        return {k: spec for k in KIND_FIELDS if (spec := getattr(self, k)) is not None}

    def __repr__(self) -> str:
        shares = ", ".join(f"{k} {s.share_frac:.3g}" for k, s in self.kinds().items())
        return f"JobMix({self.arrival_rate_per_gpu_day:g}/(GPU·d), fill {self.fill_kind}: {shares})"


class JobGeneration(Model):
    """How the generator turns tenants, their mixes and the installed GPUs into jobs.

    With ``source = "trace"`` the jobs are instead read from ``trace_path``
    (:func:`dctwin.workload.trace.read_job_trace`, format in ``docs/workload-trace-csv.md``)
    and there is no swarm; ``checkpoint_interval_s`` still fills empty checkpoint cells.
    """

    source: Literal["generated", "trace"] = q(
        "generated",
        "choice",
        "Where the jobs come from: the seeded generator, or a job trace CSV replayed as it is",
        "E: generate unless a trace is given",
    )
    trace_path: str | None = q(
        None,
        "path",
        "Job trace CSV to replay with source = 'trace' (relative to the scenario file)",
        "scenario",
        min_length=1,
    )
    arrival_rate_per_gpu_day: float | None = q(
        None,
        "1/(GPU·d)",
        "Jobs per installed GPU and day for every mix; empty = each mix's own trace rate",
        "workload-calibration.md §3c: 1.4–2.5 GPU jobs per GPU per day (Helios, PAI)",
        gt=0.0,
        le=1e3,
    )
    volume: Literal["offered_load", "mix_shares"] = q(
        "offered_load",
        "choice",
        "How each mix's fill_kind volume is set: to meet offered_load_frac, or by share_frac (calibration)",
        "E: the traces pin job counts, not the GPU time a few pretraining gangs hold (docs)",
    )
    offered_load_frac: float = q(
        0.9,
        "frac",
        "GPU-hours demanded ÷ GPU-hours installed, with volume = 'offered_load'",
        "E: a busy campus; 0.85–1.0 is the range of interest (issue), traces run at 0.6–0.8 [c]",
        gt=0.0,
        le=5.0,
    )
    individual_min_gpus: int = q(
        128,
        "GPU",
        "Jobs with at least this many GPUs are simulated one by one",
        "E: the smallest power-of-two gang that spans more than one NVL72 rack (72 GPUs)",
        ge=1,
        le=1_000_000,
    )
    individual_min_gpu_hours: float = q(
        128.0,
        "GPU·h",
        "Jobs with at least this much GPU time are simulated one by one (0 = every job)",
        "E: long fine-tunes (16 GPUs × 8 h); gives 1.3–1.7 M individual jobs a year at 500 MW and ≈ 0.1 M at "
        "40 MW (docs/workload-trace-csv.md)",
        ge=0.0,
        le=1e9,
    )
    max_gang_frac: float = q(
        0.5,
        "frac",
        "Largest job as a share of the GPUs installed at submission (larger sizes are dropped)",
        "E: no tenant is given more than half the campus in one gang",
        gt=0.0,
        le=1.0,
    )
    checkpoint_interval_s: float = q(
        1800.0,
        "s",
        "Time between checkpoints of checkpointed kinds",
        "E: Young/Daly optimum √(2·C·MTBF) with a 3 min checkpoint and the 3 h MTBF of a 16k-GPU gang "
        "(Llama 3 report, Dubey et al. 2024, §3.3.4: 419 interruptions in 54 d) ≈ 33 min",
        gt=0.0,
        le=1e7,
    )
    batch_completion_window_s: float = q(
        86400.0,
        "s",
        "Batch inference must finish within this time of submission",
        "OpenAI Batch API and Anthropic Message Batches: 24 h completion window",
        gt=0.0,
        le=1e8,
    )
    batch_min_slack: float = q(
        2.0,
        "1",
        "A batch job's deadline is at least this × its run time after submission",
        "E: keeps every deadline feasible with room to defer",
        ge=1.0,
        le=100.0,
    )
    diurnal_peak_to_trough: float = q(
        2.5,
        "1",
        "Submissions at the busiest hour of a weekday ÷ the quietest",
        "E: daytime peaks and night troughs of GPU job submissions in Helios (Hu et al. SC'21, §3) and "
        "Philly (Jeon et al. ATC'19) [m]",
        ge=1.0,
        le=100.0,
    )
    diurnal_peak_hour: float = q(
        15.0, "h", "Local hour of the most submissions", "E: afternoon peak, Helios [m]", ge=0.0, lt=24.0
    )
    weekend_factor: float = q(
        0.6,
        "1",
        "Submissions on a weekend day ÷ on a weekday",
        "E: weekend dip of Helios and PAI submissions (workload-calibration.md §3c) [m]",
        gt=0.0,
        le=2.0,
    )
    timezone: str = q(
        "Africa/Casablanca",
        "IANA zone",
        "Local time of the submitters (diurnal and weekly pattern)",
        "facts.md §1: the campus is in Morocco",
    )
    weekend_isodays: tuple[int, ...] = q(
        (6, 7), "ISO weekday", "Weekend days, 1 = Monday … 7 = Sunday", "Moroccan labour code", max_length=3
    )
    swarm_sampling: Literal["moments", "exact"] = q(
        "moments",
        "choice",
        "Swarm GPU-seconds per tenant, kind and hour: a moment-matched gamma, or every small job summed",
        "E: the gamma has the exact mean and variance of the compound Poisson sum (docs)",
    )
    swarm_exact_max_jobs: int = q(
        16,
        "jobs",
        "With 'moments', cells with at most this many small jobs are still summed job by job",
        "E: keeps sparse hours lumpy; the mean and variance are exact either way",
        ge=0,
        le=100_000,
    )
    mixes: dict[str, JobMix] = Field(
        default_factory=dict,
        description="Extra or overriding job mixes, complete (on top of scenario/data/job_mixes.toml)",
    )

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return check_time_zone(value, "Africa/Casablanca")

    @field_validator("weekend_isodays")
    @classmethod
    def _isodays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        return check_isodays(value)

    @field_validator("mixes")
    @classmethod
    def _mix_names(cls, value: dict[str, JobMix]) -> dict[str, JobMix]:
        for name in value:
            if not _SLUG.match(name):
                raise ValueError(
                    f"mix name {name!r} is not a slug: use lowercase letters, digits, '-' or '_'"
                )
        return value

    @model_validator(mode="after")
    def _trace(self) -> JobGeneration:
        if self.source == "trace" and self.trace_path is None:
            raise ValueError("source = 'trace' needs trace_path, the job trace CSV to replay; set it")
        return self

    def mix_catalogue(self) -> dict[str, JobMix]:
        """The built-in mixes with this block's ``mixes`` added or replacing them."""
        return job_mixes(self.mixes)

    def __repr__(self) -> str:
        load = "mix shares" if self.volume == "mix_shares" else f"offered load {self.offered_load_frac:g}"
        return (
            f"JobGeneration({load}, individual ≥ {self.individual_min_gpus} GPUs or "
            f"≥ {self.individual_min_gpu_hours:g} GPU·h, swarm {self.swarm_sampling})"
        )


# ----------------------------------------------------------------------------- the catalogue
def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _resolve(name: str, raw: Mapping[str, Any], origin: str, stack: tuple[str, ...]) -> dict[str, Any]:
    entry = raw[name]
    if not isinstance(entry, Mapping):
        raise ScenarioError("a mix must be a table of fields", f"{origin} mix.{name}")
    base = entry.get("based_on")
    own = {k: v for k, v in entry.items() if k != "based_on"}
    if base is None:
        return dict(own)
    if base in stack:
        raise ScenarioError(
            f"based_on forms a cycle {' → '.join((*stack, base))}; break it", f"{origin} mix.{name}"
        )
    if base not in raw:
        hint = difflib.get_close_matches(str(base), list(raw), n=1)
        fix = f"did you mean {hint[0]!r}?" if hint else f"mixes are {sorted(raw)}"
        raise ScenarioError(f"based_on {base!r} is not a mix; {fix}", f"{origin} mix.{name}.based_on")
    return _merge(_resolve(base, raw, origin, (*stack, base)), own)


def job_mixes_from_dict(raw: Mapping[str, Any], origin: str = "job_mixes") -> dict[str, JobMix]:
    """Validate a job-mix catalogue given as a dict (a parsed ``job_mixes.toml``).

    Parameters
    ----------
    raw
        ``{"mix": {name: fields}}``; a mix with ``based_on = "other"`` starts from that mix's
        fields and replaces those it gives (tables are merged field by field).
    origin
        Name of the source, used in error messages.

    Returns
    -------
    dict of str to JobMix
        Validated mixes by name, in file order.

    Raises
    ------
    ScenarioError
        A mix is invalid; the message names the file, the field path and the fix.
    """
    mixes_raw = raw.get("mix", {})
    if not isinstance(mixes_raw, Mapping) or not mixes_raw:
        raise ScenarioError("the catalogue needs [mix.<name>] tables", origin)
    out: dict[str, JobMix] = {}
    for name in mixes_raw:
        if not _SLUG.match(name):
            raise ScenarioError(
                "a mix name must be a slug: lowercase letters, digits, '-' or '_'", f"{origin} mix.{name}"
            )
        fields = _resolve(name, mixes_raw, origin, (name,))
        try:
            out[name] = JobMix.model_validate(fields)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            path = f"{origin} mix.{name}" + (f".{where}" if where else "")
            raise ScenarioError(f"{err['msg']}; fix the mix", path) from None
    return out


@cache
def builtin_job_mixes() -> dict[str, JobMix]:
    """The job mixes shipped in ``scenario/data/job_mixes.toml`` (cached).

    Returns
    -------
    dict of str to JobMix
        Validated mixes by name.

    Examples
    --------
    >>> mixes = builtin_job_mixes()
    >>> sorted(mixes)[:4]
    ['academic', 'acme', 'batch', 'enterprise']
    >>> mixes["llm_lab"].fill_kind, mixes["llm_lab"].pretrain.gpus.sizes_gpus[-1]
    ('pretrain', 16384)
    """
    text = (resources.files("dctwin.scenario") / "data" / "job_mixes.toml").read_text(encoding="utf-8")
    return job_mixes_from_dict(tomllib.loads(text), origin="job_mixes.toml")


def job_mixes(extra: Mapping[str, JobMix] | None = None) -> dict[str, JobMix]:
    """The built-in mixes, with ``extra`` added or replacing mixes of the same name.

    Parameters
    ----------
    extra
        Mixes from the scenario (``JobGeneration.mixes``).

    Returns
    -------
    dict of str to JobMix
        Mixes by name.
    """
    out = dict(builtin_job_mixes())
    out.update(extra or {})
    return out


def lookup_mix(mixes: Mapping[str, JobMix], name: str, where: str) -> JobMix:
    """The mix called ``name``; a :class:`CatalogError` naming ``where`` and the closest name if absent."""
    if name in mixes:
        return mixes[name]
    hint = difflib.get_close_matches(name, list(mixes), n=1)
    fix = f"did you mean {hint[0]!r}?" if hint else f"mixes are {sorted(mixes)}"
    raise CatalogError(f"{where}: no job mix named {name!r}; {fix} (or add it under workload mixes)")
