"""Interactive inference: request demand per EMEA region and a fluid/queueing serving model.

Demand (:func:`inference_demand`): per workload class, region and step, requests per
second = campus rate × class share × region weight × the class's weekly shape evaluated at
the region's **local** time (its IANA zone, its weekend days) × a lognormal AR(1) noise.

Serving (:func:`serve`, :func:`gpus_for_slo`): each region has a pool of replicas
(``gpus_per_replica`` GPUs each). No request or token is simulated; per step the pool is a
stationary queue:

* **Throughput** (:func:`replica_throughput`) is a roofline of the catalogue's dense FLOP/s
  and the HBM bandwidth: prefill is compute-bound, decode at full batch is bound by
  whichever of compute and HBM traffic (weights + KV cache) is slower.
* **Chunked prefill with decode first** (Sarathi-Serve, Agrawal et al., OSDI 2024): each
  iteration serves the running decodes, prefill gets the rest of the compute. With decode
  load ``ρ_d`` a prompt is prefilled ``f = 1/(1 − ρ_d)`` times slower than on an idle
  replica.
* **Queueing** for prefill is M/G/c on the replicas: Erlang C for the probability of
  waiting, the Allen–Cunneen factor ``(c_a² + c_s²)/2`` for the general arrival and
  service variability, and an exponential tail for the waiting-time distribution.
* **TTFT** = RTT + queueing wait + prefill time. SLO attainment is
  ``P(TTFT ≤ SLO)``, integrated analytically over the clipped-lognormal prompt length.

All functions are vectorised over steps and regions: demand and serving for a year of hourly
steps × 18 regions take ≈ 0.3 s on a 2-core box once the per-class tables are built
(≈ 0.3 s, once per process; see ``tests/workload/test_inference.py``).

References
----------
Kleinrock, L. (1975). *Queueing Systems, Vol. 1: Theory*, §3.5 (M/M/m, Erlang C).
Allen, A. O. (1990). *Probability, Statistics and Queueing Theory*, 2nd ed. (Allen–Cunneen).
Agrawal, A. et al. (2024). Taming throughput–latency tradeoff in LLM inference with
Sarathi-Serve. *OSDI* 2024.
Whitt, W. (1993). Approximations for the GI/G/m queue. *Prod. Oper. Manag.* 2(2), 114–161.
Williams, S., Waterman, A., Patterson, D. (2009). Roofline. *CACM* 52(4), 65–76.
Pope, R. et al. (2023). Efficiently scaling transformer inference. *MLSys* 2023.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special
from scipy.signal import lfilter

from dctwin.scenario.inference import DiurnalShape, InferenceConfig, Region, TokenLengths
from dctwin.scenario.schema import HardwareSpec

__all__ = [
    "InferenceDemand",
    "InferenceService",
    "ReplicaThroughput",
    "busy_gpu_s_per_request",
    "energy_per_million_tokens_kwh",
    "erlang_c",
    "gpus_for_slo",
    "inference_demand",
    "inference_it_power_mw",
    "local_diurnal_factors",
    "prompt_tokens_for_prefill",
    "replica_throughput",
    "sample_token_lengths",
    "serve",
    "token_length_moments",
]

_INFEASIBLE_SLACK_FRAC = 0.002
"""If a class's SLO target exceeds what an idle pool reaches, aim this far below that limit."""


# ====================================================================== token lengths
def token_length_moments(lengths: TokenLengths, orders: ArrayLike = (1, 2)) -> np.ndarray:
    """Raw moments of a clipped-lognormal token count.

    Parameters
    ----------
    lengths
        The distribution (median, p90, clip bounds). [token]
    orders
        Moment orders k. [1]

    Returns
    -------
    numpy.ndarray
        ``E[Y^k]`` for each order, ``Y = clip(X, min, max)``, ``X`` lognormal. [token^k]

    Notes
    -----
    With ``a = (ln lo − μ)/σ`` and ``b = (ln hi − μ)/σ``:
    :math:`E[Y^k] = lo^k Φ(a) + e^{kμ + k^2σ^2/2}[Φ(b − kσ) − Φ(a − kσ)] + hi^k (1 − Φ(b))`.

    Examples
    --------
    >>> from dctwin.scenario.inference import TokenLengths
    >>> conv_out = TokenLengths(median_tokens=129, p90_tokens=424, min_tokens=7, max_tokens=1000)
    >>> round(float(token_length_moments(conv_out, [1])[0]), 1)  # Azure 2023 conv: 211 [c]
    192.2
    """
    k = np.asarray(orders, dtype=float)
    mu, sd = lengths.log_mean, lengths.log_sd
    lo, hi = lengths.min_tokens, lengths.max_tokens
    a, b = (np.log(lo) - mu) / sd, (np.log(hi) - mu) / sd
    body = np.exp(k * mu + 0.5 * (k * sd) ** 2) * (special.ndtr(b - k * sd) - special.ndtr(a - k * sd))
    out: np.ndarray = lo**k * special.ndtr(a) + body + hi**k * special.ndtr(-b)
    return out


def sample_token_lengths(lengths: TokenLengths, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw token counts of ``n`` requests.

    Parameters
    ----------
    lengths
        The distribution. [token]
    n
        Number of requests. [1]
    rng
        Random generator (the workload stream of the run).

    Returns
    -------
    numpy.ndarray
        Integer token counts, clipped to ``[min_tokens, max_tokens]``. [token]
    """
    x = np.exp(lengths.log_mean + lengths.log_sd * rng.standard_normal(n))
    return np.rint(np.clip(x, lengths.min_tokens, lengths.max_tokens)).astype(np.int64)


def _clipped_cdf(p: np.ndarray, lengths: TokenLengths) -> np.ndarray:
    with np.errstate(divide="ignore"):
        z = (np.log(p) - lengths.log_mean) / lengths.log_sd
    cdf = np.where(p >= lengths.max_tokens, 1.0, special.ndtr(z))
    return np.where(p < lengths.min_tokens, 0.0, cdf)


def _clipped_quantile(prob: ArrayLike, lengths: TokenLengths) -> np.ndarray:
    x = np.exp(lengths.log_mean + lengths.log_sd * special.ndtri(np.asarray(prob, dtype=float)))
    return np.clip(x, lengths.min_tokens, lengths.max_tokens)


# ============================================================================= demand
@dataclass(frozen=True)
class InferenceDemand:
    """Request demand per workload class, step and region.

    Attributes
    ----------
    times_utc
        Step starts, tz-aware UTC.
    regions
        Region slugs (axis 2 of the arrays).
    classes
        Workload-class names (axis 0).
    requests_per_s
        Mean arrival rate in the step, shape (n_classes, n_steps, n_regions). [req/s]
    mean_prompt_tokens
        Mean prompt length, same shape (constant in time: the class distribution). [token]
    mean_output_tokens
        Mean output length, same shape. [token]
    dt_h
        Step length. [h]
    """

    times_utc: pd.DatetimeIndex
    regions: tuple[str, ...]
    classes: tuple[str, ...]
    requests_per_s: np.ndarray
    mean_prompt_tokens: np.ndarray
    mean_output_tokens: np.ndarray
    dt_h: float

    @property
    def n_steps(self) -> int:
        """Number of steps. [1]"""
        return int(self.requests_per_s.shape[1])

    @property
    def total_requests_per_s(self) -> np.ndarray:
        """All classes together, shape (n_steps, n_regions). [req/s]"""
        out: np.ndarray = self.requests_per_s.sum(axis=0)
        return out

    @property
    def prompt_tokens_per_s(self) -> np.ndarray:
        """Prompt tokens arriving, shape (n_steps, n_regions). [token/s]"""
        out: np.ndarray = (self.requests_per_s * self.mean_prompt_tokens).sum(axis=0)
        return out

    @property
    def output_tokens_per_s(self) -> np.ndarray:
        """Output tokens asked for, shape (n_steps, n_regions). [token/s]"""
        out: np.ndarray = (self.requests_per_s * self.mean_output_tokens).sum(axis=0)
        return out

    def of_class(self, name: str) -> np.ndarray:
        """Requests per second of one class, shape (n_steps, n_regions). [req/s]"""
        if name not in self.classes:
            raise KeyError(f"no workload class {name!r}; classes are {list(self.classes)}")
        out: np.ndarray = self.requests_per_s[self.classes.index(name)]
        return out

    def __getitem__(self, steps: slice | int) -> InferenceDemand:
        """The demand of a range of steps (an int keeps one step)."""
        sl = slice(steps, steps + 1) if isinstance(steps, int) else steps
        return InferenceDemand(
            self.times_utc[sl],
            self.regions,
            self.classes,
            self.requests_per_s[:, sl],
            self.mean_prompt_tokens[:, sl],
            self.mean_output_tokens[:, sl],
            self.dt_h,
        )

    def __repr__(self) -> str:
        start = self.times_utc[0] if len(self.times_utc) else "–"
        return (
            f"InferenceDemand({self.n_steps} steps of {self.dt_h:g} h from {start}, "
            f"{len(self.regions)} regions, classes={list(self.classes)}, "
            f"mean {self.total_requests_per_s.sum(axis=1).mean():.4g} req/s)"
        )


def _step_h(times_utc: pd.DatetimeIndex) -> float:
    if times_utc.tz is None or str(times_utc.tz) not in {"UTC", "utc"}:
        raise ValueError(f"times_utc must be tz-aware UTC, got tz={times_utc.tz}; use tz_localize('UTC')")
    if len(times_utc) < 2:
        return 1.0
    steps = np.diff(times_utc.asi8)
    if not np.all(steps == steps[0]):
        raise ValueError("times_utc must have a fixed step; resample to a regular index")
    return float(pd.Timedelta(int(steps[0]), unit=times_utc.unit) / pd.Timedelta(hours=1))


def local_diurnal_factors(
    shape: DiurnalShape, regions: tuple[Region, ...] | list[Region], times_utc: pd.DatetimeIndex
) -> np.ndarray:
    """The weekly shape of a class evaluated at each region's local time.

    Parameters
    ----------
    shape
        Weekday and weekend factors per local hour. [1]
    regions
        Regions (their IANA zone and weekend days are used).
    times_utc
        Step starts, tz-aware UTC.

    Returns
    -------
    numpy.ndarray
        Factor per step and region, shape (n_steps, n_regions), weekly mean 1 in every
        region. [1]

    Notes
    -----
    A step takes the factor of the local hour it starts in. Daylight saving and Morocco's
    Ramadan offset come from the tz database, so a region ``h`` hours east of another peaks
    exactly ``h`` hours earlier in UTC whenever their offsets differ by ``h``.
    """
    _step_h(times_utc)
    return _factors(shape, *_local_calendar(regions, times_utc))


def _local_calendar(
    regions: tuple[Region, ...] | list[Region], times_utc: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local hour and weekend flag per step and region, each (n_steps, n_regions), and the
    number of weekend days of each region's week, (n_regions,)."""
    hour = np.empty((len(times_utc), len(regions)), dtype=np.int64)
    weekend = np.empty(hour.shape, dtype=bool)
    for j, region in enumerate(regions):
        local = times_utc.tz_convert(region.time_zone)
        hour[:, j] = local.hour
        weekend[:, j] = np.isin(np.asarray(local.dayofweek) + 1, region.weekend_isodays)
    weekend_days = np.array([len(r.weekend_isodays) for r in regions], dtype=float)
    return hour, weekend, weekend_days


def _factors(
    shape: DiurnalShape, hour: np.ndarray, weekend: np.ndarray, weekend_days: np.ndarray
) -> np.ndarray:
    """The shape's hourly factors, scaled so that each region's own week averages 1."""
    weekday_f = np.asarray(shape.weekday_factors)
    weekend_f = np.asarray(shape.weekend_factors)
    norm = ((7.0 - weekend_days) * weekday_f.sum() + weekend_days * weekend_f.sum()) / (7.0 * 24.0)
    out: np.ndarray = np.where(weekend, weekend_f[hour], weekday_f[hour]) / norm
    return out


def _ar1_lognormal(
    n_steps: int, n_regions: int, shape: DiurnalShape, dt_h: float, rng: np.random.Generator
) -> np.ndarray:
    """Stationary lognormal AR(1) multiplier with mean 1; lag-1 correlation per hour scaled to dt_h."""
    sd = shape.noise_log_sd
    eps = rng.standard_normal((n_steps + 1, n_regions))
    if sd == 0.0:
        return np.ones((n_steps, n_regions))
    phi = shape.noise_lag1_corr**dt_h
    start = phi * sd * eps[0]  # φ·y₋₁ with y₋₁ ~ N(0, σ²): the series starts stationary
    y, _ = lfilter([sd * np.sqrt(1.0 - phi**2)], [1.0, -phi], eps[1:], axis=0, zi=start[None, :])
    out: np.ndarray = np.exp(y - 0.5 * sd**2)
    return out


def inference_demand(
    config: InferenceConfig,
    regions: tuple[Region, ...] | list[Region],
    times_utc: pd.DatetimeIndex,
    rng: np.random.Generator,
    installed_gpus: ArrayLike | None = None,
) -> InferenceDemand:
    """Requests per second per workload class, step and region.

    Parameters
    ----------
    config
        The inference services (rate, classes, shapes, region weight overrides).
    regions
        Demand regions, e.g. :func:`dctwin.scenario.inference.load_regions`.
    times_utc
        Step starts, tz-aware UTC with a fixed step.
    rng
        Random generator of the workload stream; one draw of shape (n_steps + 1, n_regions)
        per class, in class order.
    installed_gpus
        Installed GPUs, scalar or per step; demand scales with
        ``installed_gpus / config.reference_installed_gpus``. ``None`` = the reference. [GPU]

    Returns
    -------
    InferenceDemand
        Rates and mean token lengths.

    Raises
    ------
    ValueError
        Naive or irregular times, an unknown region in the overrides, or all weights zero.

    Notes
    -----
    :math:`λ_{k,t,r} = Λ\\,(G_t/G_{ref})\\,s_k\\,w_r\\,F_k(\\mathrm{local}_r(t))\\,ε_{k,t,r}`
    with class share :math:`s_k`, normalised region weight :math:`w_r`, weekly shape
    :math:`F_k` (weekly mean 1) and noise :math:`ε = e^{y - σ^2/2}`,
    :math:`y_t = φ y_{t-1} + σ\\sqrt{1-φ^2}\\,η_t`, :math:`φ = ρ_1^{Δt}`, fitted to the Azure
    2024 hourly rates (see :data:`dctwin.scenario.inference.AZURE2024_CODE_SHAPE`).
    """
    dt_h = _step_h(times_utc)
    slugs = tuple(r.slug for r in regions)
    unknown = set(config.region_weight_overrides) - set(slugs)
    if unknown:
        raise ValueError(
            f"region_weight_overrides names unknown regions {sorted(unknown)}; regions are {slugs}"
        )
    weights = np.array([config.region_weight_overrides.get(r.slug, r.demand_weight) for r in regions])
    if weights.sum() <= 0:
        raise ValueError("all region demand weights are 0; give at least one region a positive weight")
    weights = weights / weights.sum()
    n, m = len(times_utc), len(regions)
    installed = config.reference_installed_gpus if installed_gpus is None else installed_gpus
    scale = config.mean_requests_per_s * np.broadcast_to(np.asarray(installed, dtype=float), (n,))
    scale = scale / config.reference_installed_gpus
    rates = np.empty((len(config.classes), n, m))
    prompt = np.empty((len(config.classes), 1, 1))
    output = np.empty((len(config.classes), 1, 1))
    calendar = _local_calendar(regions, times_utc)
    for k, cls in enumerate(config.classes):
        factors = _factors(cls.diurnal, *calendar)
        noise = _ar1_lognormal(n, m, cls.diurnal, dt_h, rng)
        rates[k] = scale[:, None] * cls.share_frac * weights[None, :] * factors * noise
        prompt[k] = token_length_moments(cls.prompt_tokens, [1])[0]
        output[k] = token_length_moments(cls.output_tokens, [1])[0]
    return InferenceDemand(
        times_utc=times_utc,
        regions=slugs,
        classes=config.class_names(),
        requests_per_s=rates,
        mean_prompt_tokens=np.broadcast_to(prompt, rates.shape),
        mean_output_tokens=np.broadcast_to(output, rates.shape),
        dt_h=dt_h,
    )


# ========================================================================= throughput
@dataclass(frozen=True)
class ReplicaThroughput:
    """Token rates of one replica for a given request shape.

    Attributes
    ----------
    prefill_tokens_per_s_per_gpu
        Prompt tokens prefilled per second on an otherwise idle replica, per GPU. [token/s]
    decode_tokens_per_s_per_gpu
        Output tokens per second at full batch, per GPU. [token/s]
    batch_requests
        Concurrent sequences at full batch (batch limit or KV-cache limit). [req]
    decode_step_ms
        Time of one decode iteration at full batch. [ms]
    decode_memory_bound
        Whether HBM traffic, not compute, sets the decode step.
    """

    prefill_tokens_per_s_per_gpu: float
    decode_tokens_per_s_per_gpu: float
    batch_requests: int
    decode_step_ms: float
    decode_memory_bound: bool


def _dense_flops_per_gpu(config: InferenceConfig, spec: HardwareSpec) -> float:
    precision = config.model.weight_precision
    pflops = getattr(spec, f"dense_{precision}_pflops_per_gpu")
    if pflops is None:
        raise ValueError(
            f"{spec.display_name} has no dense {precision.upper()} throughput in the hardware catalogue; "
            "set inference.model.weight_precision to 'fp8' or 'bf16'"
        )
    return float(pflops) * 1e15


def _hbm_bytes_per_s(config: InferenceConfig, spec: HardwareSpec) -> float:
    tb_per_s = getattr(spec, "hbm_tb_per_s_per_gpu", None) or config.hbm_tb_per_s_per_gpu
    return float(tb_per_s) * 1e12 * config.hbm_bandwidth_eff_frac


def replica_throughput(
    config: InferenceConfig, spec: HardwareSpec, prompt_tokens: float, output_tokens: float
) -> ReplicaThroughput:
    """Prefill and decode token rates of one replica (roofline, method E).

    Parameters
    ----------
    config
        Served model, replica size, batch limit and efficiencies.
    spec
        Hardware catalogue entry (dense FLOP/s at the model's precision, HBM per GPU).
    prompt_tokens
        Mean prompt length of the requests. [token]
    output_tokens
        Mean output length. [token]

    Returns
    -------
    ReplicaThroughput
        Rates per GPU of the replica.

    Raises
    ------
    ValueError
        The hardware lacks the precision, or the weights and one sequence's KV cache do not
        fit in the replica's HBM.

    Notes
    -----
    With ``G`` GPUs of dense throughput ``F`` at efficiency ``η``, ``N`` active parameters,
    ``L`` layers and attention width ``d``: a prompt of ``P`` tokens costs
    ``2NP + 2LdP²`` FLOP (causal attention), so prefill runs at
    ``GFη / (2N + 2LdP)`` tokens/s. A decode iteration over ``B`` sequences of mean context
    ``c = P + O/2`` takes ``max(t_c, t_m)`` with ``t_c = B(2N + 4Ldc)/(GFη)`` and
    ``t_m = (W + Bc·kv)/(G·BW·η_m)`` (weights ``W`` and the KV cache read once per step);
    ``B = min(max_batch, ⌊(G·HBM·u − W)/(c·kv)⌋)``. Cross-checked against MLPerf Inference
    Llama 2 70B on GB200 NVL72 (865k output tokens/s per rack, Azure HPC blog 2025) in the
    tests.

    Examples
    --------
    >>> from dctwin.scenario import hardware_catalog
    >>> from dctwin.scenario.inference import InferenceConfig
    >>> tp = replica_throughput(InferenceConfig(), hardware_catalog()["gb200-nvl72"], 1020, 129)
    >>> round(tp.prefill_tokens_per_s_per_gpu), round(tp.decode_tokens_per_s_per_gpu), tp.batch_requests
    (38586, 22115, 256)
    """
    model = config.model
    g = config.gpus_per_replica
    flops = g * _dense_flops_per_gpu(config, spec) * config.compute_eff_frac
    n2 = 2.0 * model.active_params_b * 1e9
    attn = 2.0 * model.n_layers * model.attention_width
    prefill = flops / (n2 + attn * prompt_tokens) / g
    context = prompt_tokens + 0.5 * output_tokens
    kv = model.kv_bytes_per_token
    free_bytes = g * spec.hbm_gb_per_gpu * 1e9 * config.kv_cache_hbm_frac - model.weight_bytes
    kv_limit = int(free_bytes // (kv * max(context, 1.0))) if free_bytes > 0 else 0
    if kv_limit < 1:
        raise ValueError(
            f"{model.name} ({model.weight_bytes / 1e9:.0f} GB of weights) and one sequence of "
            f"{context:.0f} tokens do not fit in {g} × {spec.hbm_gb_per_gpu:g} GB; raise "
            "inference.gpus_per_replica or lower the precision"
        )
    batch = min(config.max_batch_per_replica, kv_limit)
    t_compute = batch * (n2 + 2.0 * attn * context) / flops
    t_memory = (model.weight_bytes + batch * context * kv) / (g * _hbm_bytes_per_s(config, spec))
    step = max(t_compute, t_memory)
    return ReplicaThroughput(
        prefill_tokens_per_s_per_gpu=float(prefill),
        decode_tokens_per_s_per_gpu=float(batch / step / g),
        batch_requests=batch,
        decode_step_ms=float(step * 1e3),
        decode_memory_bound=bool(t_memory >= t_compute),
    )


@dataclass(frozen=True)
class _ClassServing:
    """Per-class constants of the queueing model (one replica, idle-replica speeds)."""

    name: str
    prompt: TokenLengths
    alpha_s_per_token: float  # prefill time per prompt token, linear part [s/token]
    beta_s_per_token2: float  # prefill time per prompt token², attention part [s/token²]
    prefill_mean_s: float  # E[t_p] on an idle replica [s]
    prefill_sq_s2: float  # E[t_p²] [s²]
    decode_replica_s: float  # replica-seconds of decode per request at full batch [s]
    prompt_mean_tokens: float
    output_mean_tokens: float
    slo_s: float
    arrival_scv: float
    tables: _WaitTables


def _class_constants(config: InferenceConfig, spec: HardwareSpec) -> list[_ClassServing]:
    model = config.model
    flops = config.gpus_per_replica * _dense_flops_per_gpu(config, spec) * config.compute_eff_frac
    alpha = 2.0 * model.active_params_b * 1e9 / flops
    beta = 2.0 * model.n_layers * model.attention_width / flops
    out = []
    for cls in config.classes:
        m1, m2, m3, m4 = token_length_moments(cls.prompt_tokens, [1, 2, 3, 4])
        o1 = float(token_length_moments(cls.output_tokens, [1])[0])
        tp = replica_throughput(config, spec, m1, o1)
        decode_rate = tp.decode_tokens_per_s_per_gpu * config.gpus_per_replica
        out.append(
            _ClassServing(
                name=cls.name,
                prompt=cls.prompt_tokens,
                alpha_s_per_token=alpha,
                beta_s_per_token2=beta,
                prefill_mean_s=alpha * m1 + beta * m2,
                prefill_sq_s2=alpha**2 * m2 + 2 * alpha * beta * m3 + beta**2 * m4,
                decode_replica_s=o1 / decode_rate,
                prompt_mean_tokens=float(m1),
                output_mean_tokens=o1,
                slo_s=cls.ttft_slo_ms / 1e3,
                arrival_scv=cls.arrival_scv,
                tables=_wait_tables(cls.prompt_tokens, alpha, beta),
            )
        )
    return out


def busy_gpu_s_per_request(config: InferenceConfig, spec: HardwareSpec) -> dict[str, float]:
    """GPU-seconds of compute one request of each class takes (prefill + decode).

    Parameters
    ----------
    config
        The inference services.
    spec
        Hardware catalogue entry.

    Returns
    -------
    dict
        Class name → busy GPU-time per request. [GPU·s]
    """
    g = config.gpus_per_replica
    return {c.name: g * (c.prefill_mean_s + c.decode_replica_s) for c in _class_constants(config, spec)}


# ========================================================================== queueing
def erlang_c(servers: ArrayLike, offered_load_erl: ArrayLike) -> np.ndarray:
    """Probability that an arrival waits in an M/M/c queue (Erlang C), vectorised.

    Parameters
    ----------
    servers
        Number of servers c (here: replicas). [1]
    offered_load_erl
        Offered load a = λ·E[S]. [Erlang]

    Returns
    -------
    numpy.ndarray
        P(wait > 0); 1 where ``a ≥ c`` (no steady state), 0 where ``a = 0``. [frac]

    Notes
    -----
    Erlang B from the Poisson distribution, :math:`B = p(c; a) / P(X ≤ c)` with the
    regularised incomplete gamma function, then
    :math:`C = cB / (c - a(1 - B))` (Kleinrock 1975, §3.5). Exact and O(1) per element for
    any c.

    Examples
    --------
    >>> float(erlang_c(2, 1.0))  # M/M/2 at ρ = 0.5: 2ρ²/(1 + ρ) = 1/3 (Kleinrock 1975, §3.4)
    0.3333333333333333
    """
    c = np.asarray(servers, dtype=float)
    a = np.asarray(offered_load_erl, dtype=float)
    c, a = np.broadcast_arrays(c, a)
    stable = (a > 0) & (a < c)
    cs, as_ = np.where(stable, c, 2.0), np.where(stable, a, 1.0)
    pmf = np.exp(cs * np.log(as_) - as_ - special.gammaln(cs + 1.0))
    blocking = pmf / special.gammaincc(cs + 1.0, as_)
    wait = cs * blocking / (cs - as_ * (1.0 - blocking))
    out: np.ndarray = np.where(stable, wait, np.where(a > 0, 1.0, 0.0))
    return out


@dataclass(frozen=True)
class _Queue:
    """State of the regions' prefill queues for given replicas and admitted arrivals."""

    slowdown: np.ndarray  # f = 1/(1 − ρ_d), 1 where not stable [1]
    wait_prob: np.ndarray  # Erlang C [frac]
    theta_per_s: np.ndarray  # rate of the waiting-time tail [1/s]
    prefill_busy: np.ndarray  # replica-seconds of prefill per second (full speed) [1]
    decode_busy: np.ndarray  # replica-seconds of decode per second [1]
    stable: np.ndarray


def _per_class(consts: list[_ClassServing], attr: str) -> np.ndarray:
    return np.array([getattr(c, attr) for c in consts])


def _queue(lam: np.ndarray, replicas: np.ndarray, consts: list[_ClassServing]) -> _Queue:
    """lam: (K, m) admitted req/s; replicas: (m,)."""
    total = lam.sum(axis=0)
    prefill = _per_class(consts, "prefill_mean_s") @ lam
    prefill_sq = _per_class(consts, "prefill_sq_s2") @ lam
    decode = _per_class(consts, "decode_replica_s") @ lam
    scv_a = _per_class(consts, "arrival_scv") @ lam
    stable = (replicas > 0) & ((prefill + decode) < replicas) & (total > 0)
    r = np.where(stable, replicas, 2.0)
    slowdown = np.where(stable, r / (r - np.where(stable, decode, 1.0)), 1.0)  # only valid where stable
    safe_total = np.where(stable, total, 1.0)
    safe_prefill = np.where(stable, prefill, 1.0)
    mean_s = slowdown * safe_prefill / safe_total
    scv_s = np.maximum(prefill_sq * safe_total / safe_prefill**2 - 1.0, 0.0)
    ca2 = scv_a / safe_total
    load = np.where(stable, slowdown * prefill, 0.0)
    wait_prob = np.where(stable, erlang_c(replicas, load), np.where(total > 0, 1.0, 0.0))
    theta = np.where(stable, (r - load) / mean_s * 2.0 / np.where(stable, ca2 + scv_s, 1.0), 0.0)
    return _Queue(slowdown, wait_prob, theta, prefill, decode, stable)


def prompt_tokens_for_prefill(
    prefill_s: np.ndarray, alpha_s_per_token: float, beta_s_per_token2: float
) -> np.ndarray:
    """Prompt length whose idle-replica prefill takes ``prefill_s``: the root of αP + βP² = x.

    Parameters
    ----------
    prefill_s
        Prefill time, ≥ 0. [s]
    alpha_s_per_token
        Linear part of the prefill time per prompt token (weights). [s/token]
    beta_s_per_token2
        Quadratic part (attention over the prompt). [s/token²]

    Returns
    -------
    numpy.ndarray
        Prompt length, in the numerically stable form 2x / (α + √(α² + 4βx)). [token]

    Examples
    --------
    >>> float(prompt_tokens_for_prefill(np.array(2.0 * 100 + 0.01 * 100**2), 2.0, 0.01))
    100.0
    """
    x = np.asarray(prefill_s, dtype=float)
    out: np.ndarray = (
        2.0 * x / (alpha_s_per_token + np.sqrt(alpha_s_per_token**2 + 4.0 * beta_s_per_token2 * x))
    )
    return out


def _prefill_cdf(
    x_s: np.ndarray, prompt: TokenLengths, alpha_s_per_token: float, beta_s_per_token2: float
) -> np.ndarray:
    """P(idle-replica prefill time ≤ x): invert αP + βP² = x for the prompt length."""
    x = np.maximum(x_s, 0.0)
    p_star = prompt_tokens_for_prefill(x, alpha_s_per_token, beta_s_per_token2)
    return np.where(x > 0, _clipped_cdf(p_star, prompt), 0.0)


def _bilinear(
    grid0: np.ndarray, grid1: np.ndarray, table: np.ndarray, v0: np.ndarray, v1: np.ndarray
) -> np.ndarray:
    """Bilinear interpolation on a uniform grid, clamped at its edges."""
    f0 = np.clip((v0 - grid0[0]) / (grid0[1] - grid0[0]), 0.0, len(grid0) - 1.0)
    f1 = np.clip((v1 - grid1[0]) / (grid1[1] - grid1[0]), 0.0, len(grid1) - 1.0)
    i0 = np.minimum(f0.astype(np.int64), len(grid0) - 2)
    i1 = np.minimum(f1.astype(np.int64), len(grid1) - 2)
    t0, t1 = f0 - i0, f1 - i1
    out: np.ndarray = (1 - t0) * ((1 - t1) * table[i0, i1] + t1 * table[i0, i1 + 1]) + t0 * (
        (1 - t1) * table[i0 + 1, i1] + t1 * table[i0 + 1, i1 + 1]
    )
    return out


@dataclass(frozen=True)
class _WaitTables:
    """Tables of the wait + prefill distribution of one class, in log10 coordinates.

    With V ~ Exp(κ) the wait of a request that waits and τ the idle-replica prefill time,
    ``D(x, κ) = E[e^{−κ(x−τ)}; τ ≤ x]`` over the continuous part of τ (``F(x) − D`` is
    ``P(V + τ ≤ x)``); the clip atoms of the prompt length are added exactly at lookup.
    ``log_x99`` is the 99th percentile of ``W + τ`` for Erlang C ``C`` and κ. Axes:
    ``log10(x/τ_hi)``, ``log10(κ·τ_hi)``, ``log10(C)``.
    """

    tau_hi_s: float
    tau_lo_s: float
    atom_lo: float
    atom_hi: float
    log_x: np.ndarray
    log_k: np.ndarray
    d: np.ndarray  # (n_x, n_k)
    log_c: np.ndarray
    log_x99: np.ndarray  # (n_c, n_k)


_LOG_X = np.round(np.linspace(-5.0, 3.0, 161), 12)  # a node exactly at x = τ_hi, where F jumps
_LOG_K = np.round(np.linspace(-4.0, 7.0, 221), 12)
_LOG_C = np.round(np.linspace(-9.0, 0.0, 181), 12)
_P99 = 0.99


def _continuous_cdf(
    x: np.ndarray, prompt: TokenLengths, alpha_s_per_token: float, beta_s_per_token2: float
) -> np.ndarray:
    """The part of P(τ ≤ x) from unclipped prompt lengths (no clip atoms)."""
    x = np.maximum(x, 0.0)
    p_star = prompt_tokens_for_prefill(x, alpha_s_per_token, beta_s_per_token2)
    lo, hi = np.log(prompt.min_tokens), np.log(prompt.max_tokens)
    with np.errstate(divide="ignore"):
        lp = np.clip(np.log(p_star), lo, hi)
    mu, sd = prompt.log_mean, prompt.log_sd
    out: np.ndarray = special.ndtr((lp - mu) / sd) - special.ndtr((lo - mu) / sd)
    return out


@lru_cache(maxsize=64)
def _wait_tables(prompt: TokenLengths, alpha_s_per_token: float, beta_s_per_token2: float) -> _WaitTables:
    lo, hi = prompt.min_tokens, prompt.max_tokens
    tau_lo, tau_hi = (
        alpha_s_per_token * lo + beta_s_per_token2 * lo**2,
        alpha_s_per_token * hi + beta_s_per_token2 * hi**2,
    )
    mu, sd = prompt.log_mean, prompt.log_sd
    atom_lo = float(special.ndtr((np.log(lo) - mu) / sd))
    atom_hi = float(special.ndtr(-(np.log(hi) - mu) / sd))
    x = tau_hi * 10.0 ** _LOG_X[:, None, None]
    k = 10.0 ** _LOG_K[None, :, None] / tau_hi
    # H_c = P(V + τ_c ≤ x) = ∫ F_c(x − V) dP(V), split where x − V passes τ_hi (F_c flat above).
    u_k = np.where(x > tau_hi, -np.expm1(-k * np.maximum(x - tau_hi, 0.0)), 0.0)
    u_end = np.where(x > tau_lo, -np.expm1(-k * np.maximum(x - tau_lo, 0.0)), 0.0)
    nodes, weights = np.polynomial.legendre.leggauss(32)
    u = u_k + 0.5 * (u_end - u_k) * (nodes + 1.0)
    with np.errstate(divide="ignore"):
        body = _continuous_cdf(x + np.log1p(-u) / k, prompt, alpha_s_per_token, beta_s_per_token2) @ weights
    h_c = (1.0 - atom_lo - atom_hi) * u_k[..., 0] + 0.5 * (u_end - u_k)[..., 0] * body
    f_c = _continuous_cdf(x[:, 0, 0], prompt, alpha_s_per_token, beta_s_per_token2)
    d = np.maximum(f_c[:, None] - h_c, 0.0)
    # 99th percentile of W + τ for each (C, κ) node: bisection on log x over the whole grid,
    # P(W + τ ≤ x) = F(x) − C·min(D_c + atoms, F) with F and the atoms exact, D_c linear in log x.
    ks = k[0, :, 0]
    cols = np.arange(len(_LOG_K))[None, :]
    c2 = 10.0 ** _LOG_C[:, None]
    lx_a = np.full((len(_LOG_C), len(_LOG_K)), _LOG_X[0])
    lx_b = np.full_like(lx_a, _LOG_X[-1])
    step = _LOG_X[1] - _LOG_X[0]
    for _ in range(36):
        mid = 0.5 * (lx_a + lx_b)
        pos = (mid - _LOG_X[0]) / step
        i = np.minimum(pos.astype(np.int64), len(_LOG_X) - 2)
        w = pos - i
        xm = tau_hi * 10.0**mid
        f_m = (
            _continuous_cdf(xm, prompt, alpha_s_per_token, beta_s_per_token2)
            + atom_lo * (xm >= tau_lo)
            + atom_hi * (xm >= tau_hi)
        )
        d_m = (
            (1 - w) * d[i, cols]
            + w * d[i + 1, cols]
            + _atom_terms(xm, ks[None, :], tau_lo, tau_hi, atom_lo, atom_hi)
        )
        ok = f_m - c2 * np.minimum(d_m, f_m) >= _P99
        lx_a, lx_b = np.where(ok, lx_a, mid), np.where(ok, mid, lx_b)
    log_x99 = lx_b
    return _WaitTables(float(tau_hi), float(tau_lo), atom_lo, atom_hi, _LOG_X, _LOG_K, d, _LOG_C, log_x99)


def _atom_terms(
    x: np.ndarray, kappa: np.ndarray, tau_lo: float, tau_hi: float, atom_lo: float, atom_hi: float
) -> np.ndarray:
    """E[e^{−κ(x−τ)}; τ ≤ x] over the two clip atoms of the prompt length."""
    out: np.ndarray = atom_lo * np.exp(-kappa * np.maximum(x - tau_lo, 0.0)) * (
        x >= tau_lo
    ) + atom_hi * np.exp(-kappa * np.maximum(x - tau_hi, 0.0)) * (x >= tau_hi)
    return out


def _attainment(q: _Queue, slack_s: np.ndarray, c: _ClassServing) -> np.ndarray:
    """P(wait + prefill ≤ slack) for one class; slack = SLO − RTT, shape (m,)."""
    tab = c.tables
    ok = q.stable & (slack_s > 0)
    f = np.where(ok, q.slowdown, 1.0)
    x = np.where(ok, slack_s, 1.0) / f  # slack in idle-replica prefill time
    kappa = np.where(ok, q.theta_per_s, 1.0) * f
    cdf = _prefill_cdf(x, c.prompt, c.alpha_s_per_token, c.beta_s_per_token2)
    d = _bilinear(tab.log_x, tab.log_k, tab.d, np.log10(x / tab.tau_hi_s), np.log10(kappa * tab.tau_hi_s))
    d = np.minimum(d + _atom_terms(x, kappa, tab.tau_lo_s, tab.tau_hi_s, tab.atom_lo, tab.atom_hi), cdf)
    out: np.ndarray = np.where(ok, cdf - q.wait_prob * d, 0.0)
    return out


def _ttft_p99_s(q: _Queue, c: _ClassServing) -> np.ndarray:
    """99th percentile of wait + prefill (RTT excluded); NaN where the queue is unstable."""
    tab = c.tables
    f = np.where(q.stable, q.slowdown, 1.0)
    kappa = np.where(q.stable, q.theta_per_s, 1.0) * f
    log_c = np.log10(np.clip(q.wait_prob, 10.0 ** tab.log_c[0], 1.0))
    log_x99 = _bilinear(tab.log_c, tab.log_k, tab.log_x99, log_c, np.log10(kappa * tab.tau_hi_s))
    out: np.ndarray = np.where(q.stable, f * tab.tau_hi_s * 10.0**log_x99, np.nan)
    return out


# ====================================================================== SLO and serving
def _rates(demand: InferenceDemand, config: InferenceConfig) -> np.ndarray:
    if demand.classes != config.class_names():
        raise ValueError(
            f"demand classes {list(demand.classes)} differ from the config's {list(config.class_names())}; "
            "build the demand from the same InferenceConfig"
        )
    n, m = demand.requests_per_s.shape[1:]
    return demand.requests_per_s.reshape(len(demand.classes), n * m)


def _slack_s(rtt_ms: ArrayLike | None, shape: tuple[int, int]) -> np.ndarray:
    if rtt_ms is None:
        return np.zeros(shape[0] * shape[1])
    rtt = np.asarray(rtt_ms, dtype=float)
    try:
        return np.broadcast_to(rtt, shape).reshape(-1) / 1e3
    except ValueError:
        raise ValueError(
            f"rtt_ms must have shape (n_regions,) or (n_steps, n_regions) = {shape}, got {rtt.shape}"
        ) from None


def _meets(
    lam: np.ndarray,
    r: np.ndarray,
    rtt_s: np.ndarray,
    consts: list[_ClassServing],
    targets: np.ndarray,
    u_max: float,
) -> np.ndarray:
    q = _queue(lam, r, consts)
    ok = (q.prefill_busy + q.decode_busy) <= u_max * r + 1e-9
    for k, c in enumerate(consts):
        served = lam[k] > 0
        ok &= ~served | (_attainment(q, c.slo_s - rtt_s, c) >= targets[k] - 1e-12)
    return ok


def _replicas_for_slo(
    lam: np.ndarray, rtt_s: np.ndarray, config: InferenceConfig, consts: list[_ClassServing], target: float
) -> np.ndarray:
    """Minimum whole replicas per element meeting every class's target (flattened)."""
    m = lam.shape[1]
    total = lam.sum(axis=0)
    prefill = _per_class(consts, "prefill_mean_s") @ lam
    decode = _per_class(consts, "decode_replica_s") @ lam
    r0 = np.ceil((prefill + decode) / config.max_utilisation_frac - 1e-9)
    targets = np.empty((len(consts), m))
    for k, c in enumerate(consts):
        # Limit of an idle pool (f = 1, no wait): aim a little below it where the target is out of reach.
        limit = _prefill_cdf(c.slo_s - rtt_s, c.prompt, c.alpha_s_per_token, c.beta_s_per_token2)
        targets[k] = np.minimum(target, limit - _INFEASIBLE_SLACK_FRAC)
        # Prefill slowdown the target allows: f·t_p(P_target) ≤ slack → ρ_d ≤ 1 − 1/f_max.
        pq = _clipped_quantile(np.clip(targets[k], 1e-9, 1 - 1e-12), c.prompt)
        f_max = (c.slo_s - rtt_s) / (c.alpha_s_per_token * pq + c.beta_s_per_token2 * pq**2)
        bound = np.where(f_max > 1.0, decode / (1.0 - 1.0 / np.where(f_max > 1.0, f_max, 2.0)), 0.0)
        r0 = np.where((lam[k] > 0) & (targets[k] > 0), np.maximum(r0, np.ceil(bound - 1e-9)), r0)
    r0 = np.where(total > 0, np.maximum(r0, 1.0), 0.0)
    lo, hi = r0 - 1.0, r0.copy()
    todo = np.flatnonzero(total > 0)
    step = np.ones(m)
    for _ in range(64):  # gallop up until the target is met
        if not todo.size:
            break
        ok = _meets(
            lam[:, todo], hi[todo], rtt_s[todo], consts, targets[:, todo], config.max_utilisation_frac
        )
        bad = todo[~ok]
        lo[bad] = hi[bad]
        hi[bad] = hi[bad] + step[bad]
        step[bad] *= 2.0
        todo = bad
    todo = np.flatnonzero(hi - lo > 1.0)
    while todo.size:  # bisect: lo fails (or is below r0), hi meets
        mid = np.floor(0.5 * (lo[todo] + hi[todo]))
        ok = _meets(lam[:, todo], mid, rtt_s[todo], consts, targets[:, todo], config.max_utilisation_frac)
        hi[todo[ok]], lo[todo[~ok]] = mid[ok], mid[~ok]
        todo = todo[hi[todo] - lo[todo] > 1.0]
    return hi


def gpus_for_slo(
    demand: InferenceDemand,
    config: InferenceConfig,
    spec: HardwareSpec,
    rtt_ms: ArrayLike | None = None,
    slo_target_frac: float | None = None,
) -> np.ndarray:
    """Fewest GPUs (whole replicas) per region and step that meet every class's TTFT SLO.

    Parameters
    ----------
    demand
        Requests per class, step and region.
    config
        The inference services (classes, SLOs, replica size, utilisation cap).
    spec
        Hardware catalogue entry of the serving GPUs.
    rtt_ms
        Network round trip per region, shape (n_regions,) or (n_steps, n_regions); added
        to TTFT. ``None`` = 0. [ms]
    slo_target_frac
        Share of each class's requests that must meet its SLO; ``None`` = the config's. [frac]

    Returns
    -------
    numpy.ndarray
        GPUs, shape (n_steps, n_regions), a multiple of ``gpus_per_replica``; 0 where there
        is no demand. [GPU]

    Notes
    -----
    The smallest ``R`` with busy share ``(ρ_p + ρ_d) ≤ max_utilisation_frac`` and
    ``P(TTFT_k ≤ SLO_k) ≥ target`` for every class with demand. Attainment grows with
    ``R`` (less prefill slowdown, less waiting), so the search starts at an analytic lower
    bound, gallops up and bisects. Where even an idle pool misses the target (RTT or
    prompts too long for the SLO), the target becomes that limit minus 0.002.
    """
    lam = _rates(demand, config)
    shape = demand.requests_per_s.shape[1:]
    consts = _class_constants(config, spec)
    target = config.slo_target_frac if slo_target_frac is None else slo_target_frac
    replicas = _replicas_for_slo(lam, _slack_s(rtt_ms, shape), config, consts, target)
    return (replicas.reshape(shape) * config.gpus_per_replica).astype(np.int64)


@dataclass(frozen=True)
class InferenceService:
    """How each region's pool served its demand, per step.

    Arrays are (n_steps, n_regions), or (n_classes, n_steps, n_regions) where marked
    *per class*.

    Attributes
    ----------
    times_utc, regions, classes
        Axes, as in :class:`InferenceDemand`.
    gpus_per_replica
        GPUs of one replica. [GPU]
    replicas_needed
        Fewest replicas meeting the SLO target (:func:`gpus_for_slo`). [1]
    replicas_assigned
        Replicas given to the region. [1]
    prefill_busy_gpus, decode_busy_gpus
        GPUs busy on prefill and on decode (time shares). [GPU]
    prefill_slowdown
        Factor by which running decodes slow a prefill, ``1/(1 − ρ_d)``; NaN where the
        pool is empty or overloaded. [1]
    queue_wait_prob_frac
        Probability a request waits for a replica (Erlang C). [frac]
    queue_wait_mean_ms
        Mean wait for a replica, all admitted requests; NaN where the pool is empty or
        has no demand. [ms]
    ttft_mean_ms, ttft_p99_ms
        *Per class*: TTFT of served requests incl. RTT; NaN where none are served. [ms]
    slo_attainment_frac
        *Per class*: share of all requests (dropped ones count as misses) with
        TTFT ≤ SLO; 1 where there are no requests. [frac]
    requests_served_per_s, requests_dropped_per_s
        *Per class*: admitted and shed requests. [req/s]
    prompt_tokens_served_per_s, output_tokens_served_per_s
        Tokens processed. [token/s]
    dt_h
        Step length. [h]
    """

    times_utc: pd.DatetimeIndex
    regions: tuple[str, ...]
    classes: tuple[str, ...]
    gpus_per_replica: int
    replicas_needed: np.ndarray
    replicas_assigned: np.ndarray
    prefill_busy_gpus: np.ndarray
    decode_busy_gpus: np.ndarray
    prefill_slowdown: np.ndarray
    queue_wait_prob_frac: np.ndarray
    queue_wait_mean_ms: np.ndarray
    ttft_mean_ms: np.ndarray
    ttft_p99_ms: np.ndarray
    slo_attainment_frac: np.ndarray
    requests_served_per_s: np.ndarray
    requests_dropped_per_s: np.ndarray
    prompt_tokens_served_per_s: np.ndarray
    output_tokens_served_per_s: np.ndarray
    dt_h: float

    @property
    def gpus_assigned(self) -> np.ndarray:
        """GPUs given to inference in each region. [GPU]"""
        out: np.ndarray = self.replicas_assigned * self.gpus_per_replica
        return out

    @property
    def gpus_needed(self) -> np.ndarray:
        """GPUs the SLO target needs. [GPU]"""
        out: np.ndarray = self.replicas_needed * self.gpus_per_replica
        return out

    @property
    def busy_gpus(self) -> np.ndarray:
        """GPUs busy (prefill + decode): draw the inference power fraction. [GPU]"""
        out: np.ndarray = self.prefill_busy_gpus + self.decode_busy_gpus
        return out

    @property
    def idle_gpus(self) -> np.ndarray:
        """Assigned GPUs not busy: draw the idle power fraction. [GPU]"""
        out: np.ndarray = np.maximum(self.gpus_assigned - self.busy_gpus, 0.0)
        return out

    @property
    def busy_frac(self) -> np.ndarray:
        """Power-state share of the assigned GPUs that is busy; 0 where none are assigned. [frac]"""
        g = self.gpus_assigned
        out: np.ndarray = np.divide(self.busy_gpus, g, out=np.zeros(g.shape), where=g > 0)
        return out

    @property
    def tokens_served_per_s(self) -> np.ndarray:
        """Prompt + output tokens processed. [token/s]"""
        out: np.ndarray = self.prompt_tokens_served_per_s + self.output_tokens_served_per_s
        return out

    def region_slo_attainment_frac(self) -> np.ndarray:
        """Share of all of a region's requests meeting their SLO, over the whole run, (n_regions,). [frac]"""
        offered = self.requests_served_per_s + self.requests_dropped_per_s
        met = (offered * self.slo_attainment_frac).sum(axis=(0, 1))
        total = offered.sum(axis=(0, 1))
        out: np.ndarray = np.divide(met, total, out=np.ones(total.shape), where=total > 0)
        return out

    def overall_slo_attainment_frac(self) -> float:
        """Share of all requests (every region and class) meeting their SLO over the run. [frac]"""
        offered = self.requests_served_per_s + self.requests_dropped_per_s
        total = float(offered.sum())
        return float((offered * self.slo_attainment_frac).sum()) / total if total > 0 else 1.0

    def __repr__(self) -> str:
        return (
            f"InferenceService({len(self.times_utc)} steps × {len(self.regions)} regions, "
            f"mean {self.gpus_assigned.sum(axis=1).mean():.0f} GPUs assigned, "
            f"{self.busy_gpus.sum(axis=1).mean():.0f} busy, "
            f"SLO attainment {float(np.min(self.region_slo_attainment_frac())):.4f} (worst region))"
        )


def _allocate(total_replicas: np.ndarray, need: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Split a per-step total over regions ∝ need (largest remainder); (n,) and (n, m) → (n, m)."""
    basis = np.where(need.sum(axis=1, keepdims=True) > 0, need, fallback)
    basis_sum = basis.sum(axis=1, keepdims=True)
    share = np.divide(basis, basis_sum, out=np.full(basis.shape, 1.0 / basis.shape[1]), where=basis_sum > 0)
    exact = share * total_replicas[:, None]
    base = np.floor(exact + 1e-9)
    left = (total_replicas - base.sum(axis=1)).astype(np.int64)
    order = np.argsort(-(exact - base), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(basis.shape[1])[None, :].repeat(len(order), axis=0), axis=1)
    out: np.ndarray = base + (rank < left[:, None])
    return out


def serve(
    demand: InferenceDemand,
    capacity_gpus: ArrayLike | None,
    config: InferenceConfig,
    hardware_spec: HardwareSpec,
    rtt_ms: ArrayLike | None = None,
) -> InferenceService:
    """Serve the demand with the given GPUs: replicas, queueing, TTFT, SLO, drops, power states.

    Parameters
    ----------
    demand
        Requests per class, step and region (:func:`inference_demand`).
    capacity_gpus
        GPUs for inference: scalar or (n_steps,) = campus total, split over regions in
        whole replicas in proportion to their :func:`gpus_for_slo` need (surplus too);
        (n_steps, n_regions) = per region; ``None`` = exactly the need. [GPU]
    config
        The inference services.
    hardware_spec
        Hardware catalogue entry of the serving GPUs.
    rtt_ms
        Network round trip per region, (n_regions,) or (n_steps, n_regions). [ms]

    Returns
    -------
    InferenceService
        Per region and step; power-state shares in ``busy_frac``, MW via
        :func:`inference_it_power_mw`.

    Notes
    -----
    Load above ``max_utilisation_frac`` of a region's replicas is shed, proportionally in
    all classes; shed requests count as SLO misses. Per class ``k``:
    ``E[TTFT] = RTT + C/θ + f·E[t_p]`` with Erlang C probability ``C``, tail rate
    ``θ = (R − a)/E[S] · 2/(c_a² + c_s²)`` and prefill slowdown ``f = 1/(1 − ρ_d)``;
    ``P(TTFT ≤ s) = (1 − C) F_T(s') + C ∫₀^{s'} θe^{−θw} F_T(s' − w) dw`` with
    ``s' = s − RTT`` and ``F_T`` the prefill-time distribution. The integral and the 99th
    percentile are tabulated once per class on a log grid of slack and tail rate
    (Gauss–Legendre, 32 nodes; the clip atoms of the prompt length exact) and interpolated:
    attainment within 2·10⁻³ of a direct integration at worst, p99 within 2.5 %.
    """
    lam = _rates(demand, config)
    shape = demand.requests_per_s.shape[1:]
    consts = _class_constants(config, hardware_spec)
    rtt_s = _slack_s(rtt_ms, shape)
    g = config.gpus_per_replica
    need = _replicas_for_slo(lam, rtt_s, config, consts, config.slo_target_frac).reshape(shape)
    if capacity_gpus is None:
        assigned = need
    else:
        cap = np.asarray(capacity_gpus, dtype=float)
        if cap.ndim <= 1 and cap.size in (1, shape[0]):
            total = np.floor(np.broadcast_to(cap, shape[:1]) / g + 1e-9)
            assigned = _allocate(total, need, demand.total_requests_per_s)
        elif cap.shape == shape:
            assigned = np.floor(cap / g + 1e-9)
        else:
            raise ValueError(
                f"capacity_gpus must be a scalar, (n_steps,) = ({shape[0]},) or (n_steps, n_regions) = "
                f"{shape}, got shape {cap.shape}"
            )
    r = assigned.reshape(-1)
    busy = (_per_class(consts, "prefill_mean_s") + _per_class(consts, "decode_replica_s")) @ lam
    admit = np.clip(
        np.divide(config.max_utilisation_frac * r, busy, out=np.ones(r.shape), where=busy > 0), 0, 1
    )
    lam_in = lam * admit[None, :]
    q = _queue(lam_in, r, consts)
    k_shape = (len(consts), *shape)
    mean_wait = np.where(q.stable, q.wait_prob / np.where(q.stable, q.theta_per_s, 1.0), np.nan)
    ttft_mean = np.full((len(consts), r.size), np.nan)
    ttft_p99 = np.full_like(ttft_mean, np.nan)
    attain = np.ones_like(ttft_mean)
    for k, c in enumerate(consts):
        has = lam[k] > 0
        served = q.stable & (lam_in[k] > 0)
        ttft_mean[k] = np.where(served, rtt_s + mean_wait + q.slowdown * c.prefill_mean_s, np.nan) * 1e3
        ttft_p99[k] = np.where(lam_in[k] > 0, rtt_s + _ttft_p99_s(q, c), np.nan) * 1e3
        attain[k] = np.where(has, admit * _attainment(q, c.slo_s - rtt_s, c), 1.0)
    return InferenceService(
        times_utc=demand.times_utc,
        regions=demand.regions,
        classes=demand.classes,
        gpus_per_replica=g,
        replicas_needed=need.astype(np.int64),
        replicas_assigned=assigned.astype(np.int64),
        prefill_busy_gpus=(g * q.prefill_busy).reshape(shape),
        decode_busy_gpus=(g * q.decode_busy).reshape(shape),
        prefill_slowdown=np.where(q.stable, q.slowdown, np.nan).reshape(shape),
        queue_wait_prob_frac=q.wait_prob.reshape(shape),
        queue_wait_mean_ms=(mean_wait * 1e3).reshape(shape),
        ttft_mean_ms=ttft_mean.reshape(k_shape),
        ttft_p99_ms=ttft_p99.reshape(k_shape),
        slo_attainment_frac=attain.reshape(k_shape),
        requests_served_per_s=lam_in.reshape(k_shape),
        requests_dropped_per_s=(lam - lam_in).reshape(k_shape),
        prompt_tokens_served_per_s=(_per_class(consts, "prompt_mean_tokens") @ lam_in).reshape(shape),
        output_tokens_served_per_s=(_per_class(consts, "output_mean_tokens") @ lam_in).reshape(shape),
        dt_h=demand.dt_h,
    )


# ============================================================================ energy
def inference_it_power_mw(
    service: InferenceService, spec: HardwareSpec, include_it_overhead: bool = True
) -> np.ndarray:
    """IT power of the GPUs assigned to inference, per step and region.

    Parameters
    ----------
    service
        Result of :func:`serve`.
    spec
        Hardware catalogue entry (rack power, power fractions, GPUs per rack).
    include_it_overhead
        Add the rack's share of network, storage and management (``it_overhead_frac``).

    Returns
    -------
    numpy.ndarray
        Power, shape (n_steps, n_regions). [MW]

    Notes
    -----
    :math:`P = \\frac{P_{rack}}{n_{GPU/rack}} (1 + o) (g_{busy} f_{inf} + g_{idle} f_{idle})`:
    busy GPUs draw the catalogue's inference fraction, idle assigned GPUs the idle fraction.
    """
    per_gpu_kw = spec.rack_power_kw / spec.gpus_per_rack
    if include_it_overhead:
        per_gpu_kw *= 1.0 + spec.it_overhead_frac
    states = service.busy_gpus * spec.power_frac_inference + service.idle_gpus * spec.power_frac_idle
    out: np.ndarray = per_gpu_kw * states / 1e3
    return out


@overload
def energy_per_million_tokens_kwh(
    service: InferenceService,
    spec: HardwareSpec,
    output_only: bool = ...,
    include_it_overhead: bool = ...,
    by_region: Literal[False] = ...,
) -> float: ...
@overload
def energy_per_million_tokens_kwh(
    service: InferenceService,
    spec: HardwareSpec,
    output_only: bool = ...,
    include_it_overhead: bool = ...,
    *,
    by_region: Literal[True],
) -> np.ndarray: ...
def energy_per_million_tokens_kwh(
    service: InferenceService,
    spec: HardwareSpec,
    output_only: bool = False,
    include_it_overhead: bool = True,
    by_region: bool = False,
) -> float | np.ndarray:
    """IT energy per million tokens served (facility losses and PUE excluded).

    Parameters
    ----------
    service
        Result of :func:`serve`.
    spec
        Hardware catalogue entry.
    output_only
        Divide by output tokens only (the unit of most price lists) instead of all tokens.
    include_it_overhead
        Include network, storage and management IT power.
    by_region
        Return one value per region instead of the campus value.

    Returns
    -------
    float or numpy.ndarray
        Energy per 10⁶ tokens over the whole run; NaN where no tokens were served. [kWh]
    """
    energy_kwh = (inference_it_power_mw(service, spec, include_it_overhead) * 1e3 * service.dt_h).sum(axis=0)
    tokens = service.output_tokens_served_per_s if output_only else service.tokens_served_per_s
    mtokens = (tokens * service.dt_h * 3600.0).sum(axis=0) / 1e6
    if by_region:
        return np.divide(energy_kwh, mtokens, out=np.full(mtokens.shape, np.nan), where=mtokens > 0)
    total = float(mtokens.sum())
    return float(energy_kwh.sum()) / total if total > 0 else float("nan")
