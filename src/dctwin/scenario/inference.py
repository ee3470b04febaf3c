"""Scenario blocks of the interactive inference services, and the EMEA demand regions.

The campus sells inference endpoints (priced per million tokens, with a time-to-first-token
SLO) to users in the demand regions of ``data/regions/emea.toml``. An
:class:`InferenceConfig` fixes

* the **demand**: campus-wide requests per second (at a reference fleet size), split into
  workload classes (``chat``, ``code``, ``long_context``), each with a token-length
  distribution and a weekly shape fitted to the Azure LLM inference traces;
* the **served model** and how it is deployed: parameters, precision, GPUs per replica,
  batch limit, the efficiencies that turn the catalogue's FLOP/s and HBM bandwidth into
  prefill and decode tokens per second;
* the **SLO**: TTFT limit per class and the share of requests that must meet it.

The functions that use it are in :mod:`dctwin.workload.inference`. The regions are read by
:func:`load_regions` (cached); the network module reuses their coordinates.

Sources named in this module: Azure LLM inference traces 2023 (Patel et al., *Splitwise*,
ISCA 2024) and 2024 (Stojkovic et al., *DynamoLLM*, HPCA 2025), both
``Azure/AzurePublicDataset`` (CC-BY-4.0); Mooncake conversation trace (Qin et al.,
FAST 2025, ``kvcache-ai/Mooncake``); MLPerf Inference (MLCommons, ``mlcommons/inference``
``language/llama2-70b``); Microsoft Azure HPC blog "Azure's ND GB200 v6 delivers record
performance for inference workloads" (2025); facts.md = ``shared/reference/facts.md``;
workload-calibration.md = ``shared/reference/workload-calibration.md``. "[c]" marks values
we computed from the trace files.
"""

from __future__ import annotations

import math
import tomllib
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from dctwin.errors import CatalogError, ScenarioError
from dctwin.scenario.schema_base import Model, check_isodays, check_slug, check_time_zone, q

__all__ = [
    "AZURE2024_CODE_SHAPE",
    "AZURE2024_CONV_SHAPE",
    "DiurnalShape",
    "InferenceConfig",
    "Region",
    "ServedModel",
    "TokenLengths",
    "WorkloadClass",
    "default_workload_classes",
    "load_regions",
    "region_set_names",
]

Z_P90 = 1.2815515655446004
"""Standard normal 90th percentile: a lognormal's ``ln(p90 / p50) / Z_P90`` is its log-sd."""

_BYTES_PER_VALUE = {"fp4": 0.5625, "fp8": 1.0, "bf16": 2.0}
"""Bytes per weight or cache value. NVFP4 = 4-bit values + one FP8 scale per 16 (NVIDIA
NVFP4 format description), hence 0.5 + 1/16."""


# ----------------------------------------------------------------------------- regions
class Region(Model):
    """One demand region: a city standing for the users of its country (or part of it)."""

    slug: str = Field(description="Region slug, e.g. 'paris'")
    display_name: str = Field(description="Human-readable name")
    country_iso2: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2 country code")
    latitude_deg: float = q(..., "°", "Latitude of the city centre (WGS 84)", "regions file", ge=-90, le=90)
    longitude_deg: float = q(
        ..., "°", "Longitude of the city centre (WGS 84)", "regions file", ge=-180, le=180
    )
    time_zone: str = Field(description="IANA time-zone name, e.g. 'Europe/Paris'")
    jurisdiction: str = Field(description="Data jurisdiction: 'EU' or the ISO country code")
    eu_member: bool = Field(description="Whether the country is an EU member state")
    weekend_isodays: tuple[int, ...] = q(
        (6, 7),
        "ISO weekday",
        "Local weekend days, 1 = Monday … 7 = Sunday",
        "ISO 8601 weekday numbering; Saturday–Sunday weekend",
        min_length=1,
        max_length=3,
    )
    demand_weight: float = q(
        ...,
        "M internet users",
        "Relative demand weight (normalised over the region set)",
        "regions file",
        ge=0,
    )

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)

    @field_validator("time_zone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return check_time_zone(value, "Europe/Paris")

    @field_validator("weekend_isodays")
    @classmethod
    def _isodays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        return check_isodays(value)

    def __repr__(self) -> str:
        return f"Region({self.slug!r}, {self.country_iso2}, {self.time_zone}, weight={self.demand_weight:g})"


_REGIONS = resources.files("dctwin.scenario") / "data" / "regions"


def region_set_names() -> list[str]:
    """Names of the region sets shipped in ``scenario/data/regions/``, sorted."""
    return sorted(p.name.removesuffix(".toml") for p in _REGIONS.iterdir() if p.name.endswith(".toml"))


@cache
def load_regions(name: str = "emea") -> tuple[Region, ...]:
    """The demand regions of a built-in region set, in file order (cached).

    Parameters
    ----------
    name
        Region-set name: a file ``scenario/data/regions/<name>.toml``.

    Returns
    -------
    tuple of Region
        Validated regions; their slugs are unique.

    Raises
    ------
    CatalogError
        No region set of that name.
    ScenarioError
        The file holds an invalid region (the message names it and the field).

    Examples
    --------
    >>> regions = load_regions()
    >>> len(regions), regions[0].slug, regions[0].time_zone
    (16, 'casablanca', 'Africa/Casablanca')
    """
    names = region_set_names()
    if name not in names:
        raise CatalogError(f"no region set named {name!r}; built-in region sets are {names}")
    raw = tomllib.loads((_REGIONS / f"{name}.toml").read_text(encoding="utf-8"))
    regions = []
    for i, entry in enumerate(raw.get("region", [])):
        try:
            regions.append(Region.model_validate(entry))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise ScenarioError(
                f"{err['msg']}, got {err.get('input')!r}; fix the file",
                f"regions/{name}.toml region[{i}].{where}",
            ) from None
    slugs = [r.slug for r in regions]
    if len(set(slugs)) != len(slugs):
        raise ScenarioError(f"duplicate region slugs in {slugs}", f"regions/{name}.toml")
    return tuple(regions)


# ------------------------------------------------------------------------- the demand
class TokenLengths(Model):
    """A token count per request: lognormal through the published median and p90, clipped.

    The lognormal has ``μ = ln(median)`` and ``σ = ln(p90 / median) / z₀.₉``; samples are
    clipped to ``[min_tokens, max_tokens]`` (the service's context limit), which puts the
    tail above ``max_tokens`` on it, as in the traces (4.7 % of Azure 2023 code prompts sit
    at the 7,437-token cap; the fit puts 5.0 % there [c]).
    """

    median_tokens: float = q(..., "token", "Median tokens per request", "class default", gt=0)
    p90_tokens: float = q(..., "token", "90th-percentile tokens per request", "class default", gt=0)
    min_tokens: float = q(..., "token", "Smallest count (clip)", "class default", ge=1)
    max_tokens: float = q(..., "token", "Largest count: the context limit (clip)", "class default", gt=0)

    @model_validator(mode="after")
    def _order(self) -> TokenLengths:
        if not self.min_tokens <= self.median_tokens < self.p90_tokens <= self.max_tokens:
            raise ValueError(
                "need min_tokens ≤ median_tokens < p90_tokens ≤ max_tokens, got "
                f"{self.min_tokens:g} / {self.median_tokens:g} / {self.p90_tokens:g} / "
                f"{self.max_tokens:g} tokens"
            )
        return self

    @property
    def log_mean(self) -> float:
        """μ of the underlying lognormal: ln of the median. [ln token]"""
        return math.log(self.median_tokens)

    @property
    def log_sd(self) -> float:
        """σ of the underlying lognormal. [ln token]"""
        return math.log(self.p90_tokens / self.median_tokens) / Z_P90


class DiurnalShape(Model):
    """Weekly shape of a class's request rate in the local time of its users.

    Factors are per local hour (0–23) of a working day and of a weekend day; their weekly
    mean ``(5·mean(weekday) + 2·mean(weekend)) / 7`` is 1. A region evaluates them at its
    own local time and with its own weekend days. The multiplicative noise is a stationary
    lognormal AR(1) in hourly steps (mean 1).
    """

    weekday_factors: tuple[float, ...] = q(
        ...,
        "1",
        "Rate / weekly mean per local hour of a working day",
        "class default",
        min_length=24,
        max_length=24,
    )
    weekend_factors: tuple[float, ...] = q(
        ...,
        "1",
        "Rate / weekly mean per local hour of a weekend day",
        "class default",
        min_length=24,
        max_length=24,
    )
    reference_utc_offset_h: float = q(
        ..., "h", "UTC offset of the trace's users the factors were fitted in", "class default", ge=-12, le=14
    )
    noise_log_sd: float = q(..., "ln", "Log-sd of the hourly rate noise", "class default", ge=0, le=2)
    noise_lag1_corr: float = q(
        ..., "1", "Lag-1 (1 h) autocorrelation of the noise", "class default", ge=0, lt=1
    )

    @model_validator(mode="after")
    def _normalised(self) -> DiurnalShape:
        if min(self.weekday_factors + self.weekend_factors) < 0:
            raise ValueError("diurnal factors must be ≥ 0")
        mean = (5 * sum(self.weekday_factors) + 2 * sum(self.weekend_factors)) / (7 * 24)
        if abs(mean - 1.0) > 0.01:
            raise ValueError(f"diurnal factors must have weekly mean 1, got {mean:.4f}; divide them by it")
        return self


# Fitted to azure2024_{code,conv}_hourly_digitized.csv (DynamoLLM week, May 2024, digitised from
# the AzurePublicDataset notebook; workload-calibration.md §3b) [c]: hours shifted to the users'
# local time with reference_utc_offset_h = −4 h (E: US Eastern daylight time — the code trace
# rises at 12–14 UTC = 08–10 EDT, falls at 21–23 UTC = 17–19 EDT and bottoms at 08–10 UTC =
# 04–06 EDT), then the least-squares fit of one factor per (day type, local hour) = the bin mean
# (5 working days and 2 weekend days per bin), divided by the weekly mean. Fit quality [c]:
# Pearson r with the 168 digitised hours 0.986 (code) / 0.925 (conv); log-residual sd 0.115 /
# 0.128 with lag-1 autocorrelation 0.81 / 0.86 (the noise parameters below).
# fmt: off
AZURE2024_CODE_SHAPE = DiurnalShape(
    weekday_factors=(
        0.517, 0.423, 0.366, 0.309, 0.287, 0.299, 0.322, 0.473, 0.864, 1.479, 2.095, 2.254,
        2.140, 2.466, 2.713, 2.765, 2.561, 1.886, 1.360, 1.017, 0.861, 0.824, 0.757, 0.627,
    ),
    weekend_factors=(
        0.384, 0.311, 0.253, 0.174, 0.134, 0.122, 0.114, 0.158, 0.239, 0.319, 0.396, 0.453,
        0.493, 0.527, 0.585, 0.601, 0.603, 0.595, 0.595, 0.551, 0.571, 0.589, 0.565, 0.510,
    ),
    reference_utc_offset_h=-4.0,
    noise_log_sd=0.115,
    noise_lag1_corr=0.81,
)
# fmt: on
"""Azure 2024 code service: weekday peak/trough 9.6 (15 h vs 04 h local), weekend peak 0.22 of
the weekday peak; hour-of-day factors 0.24–2.15 as in workload-calibration.md §3b [c]."""

# fmt: off
AZURE2024_CONV_SHAPE = DiurnalShape(
    weekday_factors=(
        0.917, 0.997, 1.149, 1.239, 1.266, 1.233, 1.112, 1.174, 1.315, 1.455, 1.526, 1.420,
        1.293, 1.239, 1.232, 1.156, 1.051, 0.879, 0.790, 0.824, 0.938, 1.013, 0.998, 0.824,
    ),
    weekend_factors=(
        0.499, 0.519, 0.532, 0.593, 0.610, 0.560, 0.594, 0.662, 0.708, 0.788, 0.798, 0.824,
        0.773, 0.758, 0.731, 0.685, 0.686, 0.658, 0.610, 0.654, 0.767, 0.844, 0.833, 0.705,
    ),
    reference_utc_offset_h=-4.0,
    noise_log_sd=0.128,
    noise_lag1_corr=0.86,
)
# fmt: on
"""Azure 2024 conversation service: weekday peak/trough 1.9, weekend ≈ 0.55 of weekdays;
hour-of-day factors 0.74–1.32 as in workload-calibration.md §3b [c]."""


class WorkloadClass(Model):
    """One class of requests: its share, token lengths, weekly shape and SLO."""

    name: str = Field(description="Class slug: 'chat', 'code', 'long_context', …")
    share_frac: float = q(..., "frac", "Share of the campus's requests", "class default", ge=0, le=1)
    prompt_tokens: TokenLengths = Field(description="Prompt (input, prefill) tokens per request")
    output_tokens: TokenLengths = Field(description="Generated (output, decode) tokens per request")
    diurnal: DiurnalShape = Field(description="Weekly shape in local time")
    ttft_slo_ms: float = q(
        ..., "ms", "Time-to-first-token limit, network RTT included", "class default", gt=0
    )
    arrival_scv: float = q(
        1.2,
        "1",
        "Squared coefficient of variation of inter-arrival times at a region's pool",
        "[c] Azure 2023 conv trace: inter-arrival CV 1.09 → SCV 1.2. E: also for code — its "
        "trace CV of 13 is one service's client bursts; a region pools many users, and "
        "superposed independent streams tend to Poisson (Palm–Khintchine)",
        gt=0,
        le=200,
    )

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)


def default_workload_classes() -> tuple[WorkloadClass, ...]:
    """The default classes: ``chat``, ``code`` and ``long_context``, with their sources.

    Shares (E): Azure 2024 request counts code 16.8 M : conversation 27.3 M = 38 : 62
    (workload-calibration.md §3b); 10 % of the conversation share is taken as long-context
    chat (Mooncake-like; our assumption). Token lengths [c]: Azure 2023 code and conv traces
    (p50/p90 input 1,469/5,188 and 1,020/2,735; output 13/55 and 129/424; caps at the traces'
    context limits: code max 7,437, conv p99 4,142 input), Mooncake conversation trace
    (input p50 6,909 / p90 27,367, max 126,195; output p50 350 / p90 597). SLOs: MLPerf
    Inference Llama 2 70B *Interactive* TTFT ≤ 450 ms for chat and code; the Llama 2 70B
    *Server* limit of 2 s for long context (``mlcommons/inference``
    ``language/llama2-70b/README.md``; MLPerf v5.0 announcement).

    Returns
    -------
    tuple of WorkloadClass
        Shares sum to 1.
    """
    chat = WorkloadClass(
        name="chat",
        share_frac=0.52,
        prompt_tokens=TokenLengths(median_tokens=1020, p90_tokens=2735, min_tokens=2, max_tokens=4142),
        output_tokens=TokenLengths(median_tokens=129, p90_tokens=424, min_tokens=7, max_tokens=1000),
        diurnal=AZURE2024_CONV_SHAPE,
        ttft_slo_ms=450.0,
    )
    code = WorkloadClass(
        name="code",
        share_frac=0.38,
        prompt_tokens=TokenLengths(median_tokens=1469, p90_tokens=5188, min_tokens=3, max_tokens=7437),
        output_tokens=TokenLengths(median_tokens=13, p90_tokens=55, min_tokens=6, max_tokens=1899),
        diurnal=AZURE2024_CODE_SHAPE,
        ttft_slo_ms=450.0,
    )
    long_context = WorkloadClass(
        name="long_context",
        share_frac=0.10,
        prompt_tokens=TokenLengths(median_tokens=6909, p90_tokens=27367, min_tokens=891, max_tokens=126195),
        output_tokens=TokenLengths(median_tokens=350, p90_tokens=597, min_tokens=1, max_tokens=2000),
        diurnal=AZURE2024_CONV_SHAPE,
        ttft_slo_ms=2000.0,
    )
    return (chat, code, long_context)


# --------------------------------------------------------------------- the served model
class ServedModel(Model):
    """The LLM behind the endpoints: size, shape of its KV cache, serving precision.

    Defaults: Llama 3.1 70B (Meta model card and ``config.json``: 80 layers, 64 query heads
    and 8 KV heads of width 128, 128k context), served in NVFP4 as NVIDIA's Blackwell MLPerf
    Inference submissions (first FP4 submission in v4.1, NVIDIA technical blog) with an FP8
    KV cache.
    """

    name: str = q("llama-3.1-70b", "name", "Model name", "Meta Llama 3.1 model card")
    active_params_b: float = q(
        70.6,
        "1e9",
        "Parameters used per token (all of them for a dense model)",
        "Meta Llama 3.1 70B config",
        gt=0,
    )
    total_params_b: float = q(
        70.6, "1e9", "Parameters held in HBM (MoE: all experts)", "Meta Llama 3.1 70B config", gt=0
    )
    n_layers: int = q(80, "1", "Transformer layers", "Meta Llama 3.1 70B config", ge=1)
    attention_width: int = q(
        8192,
        "1",
        "Query heads × head width (attention FLOPs per context token)",
        "Llama 3.1 70B: 64 × 128",
        ge=1,
    )
    kv_width: int = q(1024, "1", "KV heads × head width", "Llama 3.1 70B: 8 KV heads × 128 (GQA)", ge=1)
    weight_precision: Literal["fp4", "fp8", "bf16"] = q(
        "fp4",
        "name",
        "Precision of weights and tensor math",
        "NVIDIA Blackwell MLPerf Inference submissions (NVFP4)",
    )
    kv_cache_precision: Literal["fp4", "fp8", "bf16"] = q(
        "fp8", "name", "Precision of the KV cache", "E: FP8 KV cache, common with FP4 weights (TensorRT-LLM)"
    )
    context_tokens: int = q(131072, "token", "Context window", "Meta Llama 3.1 model card: 128k", ge=1)

    @property
    def weight_bytes(self) -> float:
        """HBM taken by the weights of one replica. [B]"""
        return self.total_params_b * 1e9 * _BYTES_PER_VALUE[self.weight_precision]

    @property
    def kv_bytes_per_token(self) -> float:
        """KV cache per context token: K and V for every layer. [B]"""
        return 2.0 * self.n_layers * self.kv_width * _BYTES_PER_VALUE[self.kv_cache_precision]

    @model_validator(mode="after")
    def _sizes(self) -> ServedModel:
        if self.active_params_b > self.total_params_b:
            raise ValueError(
                f"active_params_b ({self.active_params_b:g}) must be ≤ total_params_b "
                f"({self.total_params_b:g})"
            )
        return self


# --------------------------------------------------------------------------- the config
class InferenceConfig(Model):
    """The interactive inference services of the campus: demand, model, deployment, SLO."""

    mean_requests_per_s: float = q(
        39500.0,
        "req/s",
        "Campus-wide mean request rate, all regions and classes, at reference_installed_gpus",
        "E: sized so that the busy GPU-time of the default classes on GB200 is 20 % of the "
        "reference fleet (3,840 of 19,200 GPUs at 0.0972 GPU·s per request, see "
        "dctwin.workload.inference.busy_gpu_s_per_request); Patterson et al. 2022 (IEEE "
        "Computer 55(7)) put inference at 60 % of Google's ML energy — a third of that as "
        "interactive endpoints here, the rest is batch inference and training",
        ge=0,
    )
    reference_installed_gpus: float = q(
        19200.0,
        "GPU",
        "Installed GPUs at which mean_requests_per_s applies; demand scales with the fleet",
        "facts.md §8: 40 MW phase 1 as IT load → 267 NVL72 racks ≈ 19.2k GB200",
        gt=0,
    )
    classes: tuple[WorkloadClass, ...] = Field(
        default_factory=default_workload_classes,
        min_length=1,
        description="Workload classes (shares sum to 1)",
    )
    model: ServedModel = Field(default_factory=ServedModel, description="The served model")
    gpus_per_replica: int = q(
        4,
        "GPU",
        "GPUs of one model replica (tensor parallel inside an NVLink domain)",
        "Azure ND GB200 v6 MLPerf Llama 2 70B run: 18 VMs × 4 GPUs of one NVL72 (Azure HPC blog 2025)",
        ge=1,
        le=576,
    )
    max_batch_per_replica: int = q(
        256,
        "request",
        "Concurrent sequences per replica (continuous batching)",
        "vLLM default max_num_seqs = 256",
        ge=1,
    )
    compute_eff_frac: float = q(
        0.55,
        "frac",
        "Sustained share of the catalogue's dense FLOP/s in prefill and decode GEMMs",
        "Azure HPC blog 2025: 2,744 TFLOPS FP8 sustained on GB200 = 0.55 of 5 PF dense (facts.md §3.1)",
        gt=0,
        le=1,
    )
    hbm_tb_per_s_per_gpu: float = q(
        8.0,
        "TB/s",
        "HBM bandwidth per GPU (the catalogue has none yet; used unless the spec has hbm_tb_per_s_per_gpu)",
        "facts.md §3.1: 576 TB/s per GB200/GB300 NVL72 ÷ 72",
        gt=0,
    )
    hbm_bandwidth_eff_frac: float = q(
        0.92,
        "frac",
        "Sustained share of HBM bandwidth in decode",
        "Azure HPC blog 2025: 7.35 TB/s measured on GB200 (92 %)",
        gt=0,
        le=1,
    )
    kv_cache_hbm_frac: float = q(
        0.9,
        "frac",
        "Share of HBM the server may fill (weights + KV cache)",
        "vLLM gpu_memory_utilization = 0.9",
        gt=0,
        le=1,
    )
    slo_target_frac: float = q(
        0.99,
        "frac",
        "Share of a class's requests in a region that must meet its TTFT SLO",
        "MLPerf Inference LLM benchmarks: latency limits hold at the 99th percentile",
        gt=0,
        lt=1,
    )
    max_utilisation_frac: float = q(
        0.95,
        "frac",
        "Busy share of a region's replicas above which requests are shed (admission control)",
        "E: headroom that keeps the M/G/c approximation in its range",
        gt=0,
        lt=1,
    )
    region_weight_overrides: dict[str, float] = q(
        {}, "1", "Region slug → demand weight replacing the regions file's", "scenario (none by default)"
    )

    @model_validator(mode="after")
    def _classes(self) -> InferenceConfig:
        names = [c.name for c in self.classes]
        if len(set(names)) != len(names):
            raise ValueError(f"workload class names must be unique, got {names}")
        total = sum(c.share_frac for c in self.classes)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"classes' share_frac must sum to 1, got {total:g}; rescale them")
        for c in self.classes:
            if c.prompt_tokens.max_tokens + c.output_tokens.max_tokens > self.model.context_tokens * 1.001:
                raise ValueError(
                    f"class {c.name!r}: max prompt + output tokens exceed the model's context of "
                    f"{self.model.context_tokens} tokens; lower max_tokens or pick a longer-context model"
                )
        if any(w < 0 for w in self.region_weight_overrides.values()):
            raise ValueError("region_weight_overrides must be ≥ 0")
        return self

    def class_names(self) -> tuple[str, ...]:
        """Names of the workload classes, in order."""
        return tuple(c.name for c in self.classes)

    def __repr__(self) -> str:
        return (
            f"InferenceConfig({self.mean_requests_per_s:g} req/s at {self.reference_installed_gpus:g} GPUs, "
            f"classes={list(self.class_names())}, model={self.model.name!r} {self.model.weight_precision}, "
            f"{self.gpus_per_replica} GPU/replica)"
        )
