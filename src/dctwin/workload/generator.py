"""The seeded, calibrated training and batch workload: individual jobs and the aggregate swarm.

:func:`generate_jobs` turns the tenants (their demand share, job mix and QoS mix), the
installed GPUs (constant or hour by hour) and a :class:`~dctwin.scenario.workload.JobGeneration`
into

* a :class:`~dctwin.workload.jobs.JobTable` of the jobs large enough to matter for placement
  and power, one row each (at least ``individual_min_gpus`` GPUs, or at least
  ``individual_min_gpu_hours`` of GPU time), and
* a :class:`~dctwin.workload.jobs.SwarmDemand`: per tenant and hour, the number of the other,
  small jobs and the GPU-seconds they ask for. They are never materialised one by one at
  campus scale (about 10⁸ a year at 230k GPUs).

The model, per tenant ``i`` with mix ``m`` and kind ``k`` (notation of ``docs/workload-trace-csv.md``):

* arrivals are a Poisson process with rate ``r_m · G(t) · f(t) · w_i · s_k`` jobs per day,
  ``r_m`` the mix's jobs per GPU and day, ``G`` the installed GPUs, ``f`` the weekly
  submission shape (mean 1), ``w_i`` the tenant's ``workload_share_frac``, ``s_k`` the kind's
  share of the mix's jobs;
* with ``volume = "offered_load"`` and ``offered_load_frac = L``, the mix's ``fill_kind``
  (pretraining for an LLM lab) instead arrives at the rate that brings the tenant's expected
  GPU time to ``w_i · L`` of the installed GPU time;
* a job's GPUs come from the kind's size mixture (sizes above ``max_gang_frac · G(t)``
  dropped, the rest rescaled), its run time from the kind's truncated lognormal, its end state
  from the kind's shares, its QoS class from the tenant's mix.

Every quantity the split between individual jobs and the swarm needs is exact: the
individual/small probabilities and the small jobs' GPU-second moments are closed-form
partial moments of the truncated lognormal, so the individual jobs are sampled from their
conditional distribution and the swarm from the same Poisson process thinned to small jobs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import ndtr, ndtri

from dctwin.errors import ScenarioError
from dctwin.scenario.tenants import Tenant
from dctwin.scenario.workload import JobGeneration, JobMix, KindSpec, lookup_mix
from dctwin.workload.jobs import END_STATES, KINDS, JobTable, SwarmDemand
from dctwin.workload.profile import inference_diurnal_shape

__all__ = [
    "expected_statistics",
    "generate_jobs",
    "is_individual",
    "offered_load_frac",
    "sample_statistics",
    "weekly_submission_shape",
]

_H = 3600.0
_Rate = tuple[np.ndarray, np.ndarray]
_EXACT_LIMIT_JOBS = 20_000_000
"""Most small jobs ``swarm_sampling = "exact"`` may materialise (memory guard)."""


# ----------------------------------------------------------------------------- pure pieces
def is_individual(
    gpus: np.ndarray, duration_s: np.ndarray, individual_min_gpus: int, individual_min_gpu_hours: float
) -> np.ndarray:
    """Whether each job is simulated one by one rather than in the aggregate swarm.

    Parameters
    ----------
    gpus
        GPUs per job. [GPU]
    duration_s
        Run time per job. [s]
    individual_min_gpus
        Jobs with at least this many GPUs are individual. [GPU]
    individual_min_gpu_hours
        Jobs with at least this much GPU time are individual. [GPU·h]

    Returns
    -------
    numpy.ndarray
        ``True`` for individual jobs. [bool]

    Examples
    --------
    >>> is_individual(np.array([1, 1, 64]), np.array([60.0, 9 * 3600.0, 60.0]), 64, 8.0).tolist()
    [False, True, True]
    """
    gpus = np.asarray(gpus, dtype=float)
    gpu_h = gpus * np.asarray(duration_s, dtype=float) / _H
    return (gpus >= individual_min_gpus) | (gpu_h >= individual_min_gpu_hours)


def weekly_submission_shape(times_utc: pd.DatetimeIndex, config: JobGeneration) -> np.ndarray:
    """Relative job submission rate in each hour: diurnal cosine × weekend dip, mean 1 per week.

    Parameters
    ----------
    times_utc
        Starts of the hours (tz-aware UTC).
    config
        ``diurnal_peak_to_trough``, ``diurnal_peak_hour``, ``weekend_factor``,
        ``weekend_isodays`` and ``timezone``.

    Returns
    -------
    numpy.ndarray
        Multiplier of the mean submission rate. [1]

    Notes
    -----
    :math:`f = s(h_{local} + ½) · c_{day} / \\bar c` with the cosine :math:`s` of
    :func:`dctwin.workload.profile.inference_diurnal_shape` (mean 1 over a day),
    :math:`c_{day}` = ``weekend_factor`` on weekend days and 1 otherwise, and
    :math:`\\bar c = (7 - n_w + n_w · c_w)/7` its mean over a week, so that a whole week
    averages to 1 exactly (daylight-saving days aside).

    Examples
    --------
    >>> t = pd.date_range("2026-01-05", periods=168, freq="h", tz="UTC")  # a Monday
    >>> f = weekly_submission_shape(t, JobGeneration(timezone="UTC"))
    >>> round(float(f.mean()), 6), round(float(f[:120].max() / f[:120].min()), 1)
    (1.0, 2.5)
    """
    local = times_utc.tz_convert(config.timezone)
    hour = np.asarray(local.hour + local.minute / 60.0, dtype=float) + 0.5
    day = inference_diurnal_shape(hour, config.diurnal_peak_to_trough, config.diurnal_peak_hour)
    weekend = np.isin(np.asarray(local.isocalendar().day, dtype=int), config.weekend_isodays)
    n_w = len(config.weekend_isodays)
    mean_week = (7 - n_w + n_w * config.weekend_factor) / 7.0
    return np.asarray(day * np.where(weekend, config.weekend_factor, 1.0) / mean_week, dtype=float)


def _phi_between(z_lo: np.ndarray, z_hi: np.ndarray) -> np.ndarray:
    """Φ(z_hi) − Φ(z_lo), accurate in both tails."""
    return np.where(z_lo > 0.0, ndtr(-z_lo) - ndtr(-z_hi), ndtr(z_hi) - ndtr(z_lo))


@dataclass(frozen=True)
class _Lognormal:
    """A lognormal truncated to [a, b]: μ, σ and the bounds. [ln s, 1, s, s]"""

    mu: float
    sigma: float
    a: float
    b: float

    @classmethod
    def of(cls, spec: KindSpec) -> _Lognormal:
        d = spec.duration
        return cls(math.log(d.median_s), d.sigma, d.min_s, d.max_s)

    def z(self, x: np.ndarray | float) -> np.ndarray:
        return np.asarray((np.log(x) - self.mu) / self.sigma, dtype=float)

    def moments(self, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """P(lo ≤ d ≤ hi), E[d; lo ≤ d ≤ hi], E[d²; lo ≤ d ≤ hi] of the truncated law. [1, s, s²]"""
        lo, hi = np.clip(lo, self.a, self.b), np.clip(hi, self.a, self.b)
        za, zb, zl, zh, s = self.z(self.a), self.z(self.b), self.z(lo), self.z(hi), self.sigma
        norm = _phi_between(za, zb)
        p = _phi_between(zl, zh) / norm
        m1 = np.exp(self.mu + s**2 / 2) * _phi_between(zl - s, zh - s) / norm
        m2 = np.exp(2 * self.mu + 2 * s**2) * _phi_between(zl - 2 * s, zh - 2 * s) / norm
        return p, m1, m2

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return self.moments(np.full_like(np.asarray(x, dtype=float), self.a), np.asarray(x, dtype=float))[0]

    def sample(self, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Draws restricted to [lo, hi] by inversion (lower or upper tail, whichever is precise). [s]"""
        lo, hi = np.clip(lo, self.a, self.b), np.clip(hi, self.a, self.b)
        zl, zh = self.z(lo), self.z(hi)
        upper = zl > 0.0
        p_lo = np.where(upper, ndtr(-zh), ndtr(zl))
        p_hi = np.where(upper, ndtr(-zl), ndtr(zh))
        v = p_lo + rng.random(lo.shape) * (p_hi - p_lo)
        z = np.where(upper, -ndtri(v), ndtri(v))
        return np.clip(np.exp(self.mu + self.sigma * z), lo, hi)


@dataclass(frozen=True)
class _Kind:
    """One kind of one mix, tabulated for every size cap ``n`` (the first ``n`` sizes allowed).

    Arrays indexed ``[n]`` have ``len(sizes) + 1`` rows; row 0 (nothing allowed) is all zero.
    """

    code: int
    spec: KindSpec
    law: _Lognormal
    sizes: np.ndarray  # [GPU]
    split_s: np.ndarray  # per size: small jobs run for less than this [s]
    p_small: np.ndarray  # [n]
    p_ind: np.ndarray  # [n]
    gpu_s: np.ndarray  # E[g·d] per job [n] [GPU·s]
    small_gpu_s: np.ndarray  # E[g·d; small] [n] [GPU·s]
    small_gpu_s2: np.ndarray  # E[(g·d)²; small] [n] [GPU²·s²]
    small_gpus: np.ndarray  # E[g; small] [n] [GPU]
    small_dur_s: np.ndarray  # E[d; small] [n] [s]
    cdf_small: np.ndarray  # [n, size] conditional size CDF of small jobs
    cdf_ind: np.ndarray  # [n, size] conditional size CDF of individual jobs

    def allowed(self, max_gpus: np.ndarray) -> np.ndarray:
        """Cap index ``n`` for each hour's largest allowed job. [1]"""
        n = np.searchsorted(self.sizes, np.floor(max_gpus), side="right")
        return np.where(self.p_small[n] + self.p_ind[n] > 0.0, n, 0)


def _cdf_rows(w: np.ndarray) -> np.ndarray:
    total = w.sum(axis=1, keepdims=True)
    rows = np.cumsum(w, axis=1) / np.where(total > 0, total, 1.0)
    rows[rows >= 1.0 - 1e-12] = 1.0
    return np.asarray(rows, dtype=float)


def _kind(spec: KindSpec, code: int, config: JobGeneration) -> _Kind:
    law = _Lognormal.of(spec)
    g = np.asarray(spec.gpus.sizes_gpus, dtype=float)
    w = np.asarray(spec.gpus.weights_frac, dtype=float)
    split = np.where(
        g < config.individual_min_gpus, np.clip(config.individual_min_gpu_hours * _H / g, law.a, law.b), law.a
    )
    ps, m1s, m2s = law.moments(np.full_like(g, law.a), split)
    pi, _, _ = law.moments(split, np.full_like(g, law.b))
    _, m1, _ = law.moments(np.array([law.a]), np.array([law.b]))
    tri = np.tril(np.ones((len(g) + 1, len(g))), -1)  # row n allows the first n sizes
    p = tri * w
    p /= np.where(p.sum(axis=1, keepdims=True) > 0, p.sum(axis=1, keepdims=True), 1.0)
    return _Kind(
        code=code, spec=spec, law=law, sizes=g, split_s=split,
        p_small=p @ ps, p_ind=p @ pi, gpu_s=p @ (g * m1[0]),
        small_gpu_s=p @ (g * m1s), small_gpu_s2=p @ (g**2 * m2s), small_gpus=p @ (g * ps),
        small_dur_s=p @ m1s,
        cdf_small=_cdf_rows(p * ps), cdf_ind=_cdf_rows(p * pi),
    )  # fmt: skip


def _draw_sizes(rng: np.random.Generator, cdf: np.ndarray, caps: np.ndarray, hour: np.ndarray) -> np.ndarray:
    """Size indices by inverse transform, from the CDF row of each job's hour cap (``cdf[caps[hour]]``)."""
    u = rng.random(hour.size)
    out = np.zeros(hour.size, dtype=np.int64)
    for c in np.unique(caps):
        sel = caps[hour] == c
        out[sel] = np.searchsorted(cdf[c], u[sel], side="right")
    return np.minimum(out, cdf.shape[1] - 1)


def _draw_codes(rng: np.random.Generator, shares: Sequence[float], n: int) -> np.ndarray:
    cdf = np.cumsum(np.asarray(shares, dtype=float))
    cdf[-1] = 1.0
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


# ----------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class _Horizon:
    """The run's hours: length of each [h], installed GPUs [GPU], submission shape [1]."""

    len_h: np.ndarray
    gpus: np.ndarray
    shape: np.ndarray

    @property
    def n(self) -> int:
        return len(self.len_h)


def _horizon(
    installed_gpus: float | np.ndarray, duration_s: float, start_utc: pd.Timestamp, config: JobGeneration
) -> _Horizon:
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise ScenarioError(f"must be a finite time > 0 s, got {duration_s} s", "duration_s")
    n = math.ceil(duration_s / _H - 1e-9)
    len_h = np.minimum(1.0, duration_s / _H - np.arange(n))
    gpus = np.asarray(installed_gpus, dtype=float)
    if gpus.ndim == 0:
        gpus = np.full(n, float(gpus))
    if gpus.shape != (n,):
        raise ScenarioError(
            f"needs one value per hour of the run ({n}), got shape {gpus.shape}; "
            "pass a number or an hourly array",
            "installed_gpus",
        )
    if not np.all(np.isfinite(gpus)) or gpus.min() < 0:
        raise ScenarioError(f"must be finite and ≥ 0 GPU, got minimum {gpus.min():g} GPU", "installed_gpus")
    times = pd.date_range(start_utc, periods=n, freq="h")
    return _Horizon(len_h, gpus, weekly_submission_shape(times, config))


def _start(start_utc: pd.Timestamp | str) -> pd.Timestamp:
    ts = pd.Timestamp(start_utc)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _check_tenants(tenants: Sequence[Tenant], residency_classes: Sequence[str]) -> None:
    if not tenants:
        raise ScenarioError("at least one tenant is needed to generate jobs; add one", "tenants")
    names = [t.name for t in tenants]
    if len(set(names)) != len(names):
        raise ScenarioError(f"tenant names must be unique, got {names}", "tenants")
    share = sum(t.workload_share_frac for t in tenants)
    if abs(share - 1.0) > 1e-6:
        raise ScenarioError(f"workload_share_frac sums to {share:g}; it must be 1, rescale them", "tenants")
    for i, t in enumerate(tenants):
        if t.residency_class not in residency_classes:
            raise ScenarioError(
                f"{t.residency_class!r} is not in residency_classes {list(residency_classes)}; add it",
                f"tenants[{i}].residency_class",
            )


# ----------------------------------------------------------------------------- rates
def _kind_rates(
    i: int, tenant: Tenant, mix: JobMix, kinds: list[_Kind], hz: _Horizon, config: JobGeneration
) -> list[_Rate]:
    """Per kind: expected arrivals per hour [jobs] and the hour's cap index."""
    rate = config.arrival_rate_per_gpu_day or mix.arrival_rate_per_gpu_day
    base = hz.gpus * hz.shape * hz.len_h / 24.0  # GPU-days weighted by the submission shape
    caps = [k.allowed(config.max_gang_frac * hz.gpus) for k in kinds]
    lam = [
        rate * base * tenant.workload_share_frac * k.spec.share_frac * (n > 0)
        for k, n in zip(kinds, caps, strict=True)
    ]
    if config.volume == "offered_load":
        f = next(j for j, k in enumerate(kinds) if KINDS[k.code] == mix.fill_kind)
        target = (
            tenant.workload_share_frac * config.offered_load_frac * float(np.sum(hz.gpus * hz.len_h)) * _H
        )
        others = sum(float(np.sum(lam[j] * k.gpu_s[caps[j]])) for j, k in enumerate(kinds) if j != f)
        per_unit = float(np.sum(base * kinds[f].gpu_s[caps[f]]))
        where = f"tenants[{i}] ({tenant.name!r}, mix {tenant.job_mix!r})"
        if others > target * (1 + 1e-9) and target > 0:
            raise ScenarioError(
                f"its kinds other than {mix.fill_kind!r} alone offer a load of "
                f"{others / target * config.offered_load_frac:.3g} > offered_load_frac = "
                f"{config.offered_load_frac:g}; lower arrival_rate_per_gpu_day or raise offered_load_frac",
                where,
            )
        if per_unit <= 0 and target > others:
            raise ScenarioError(
                f"no {mix.fill_kind!r} job fits max_gang_frac × installed GPUs, so the offered load "
                "cannot be met; raise max_gang_frac, add smaller sizes or set volume = 'mix_shares'",
                where,
            )
        lam[f] = base * (max(target - others, 0.0) / per_unit if per_unit > 0 else 0.0)
    return [(lam_k, n) for lam_k, n in zip(lam, caps, strict=True)]


# ----------------------------------------------------------------------------- sampling
def _individual(
    rng: np.random.Generator, kind: _Kind, lam: np.ndarray, caps: np.ndarray, hz: _Horizon
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Submit times [s], GPUs [GPU] and run times [s] of one kind's individual jobs."""
    counts = rng.poisson(lam * kind.p_ind[caps])
    hour = np.repeat(np.arange(hz.n), counts)
    submit = (hour + rng.random(hour.size) * hz.len_h[hour]) * _H
    j = _draw_sizes(rng, kind.cdf_ind, caps, hour)
    lo = kind.split_s[j]
    dur = kind.law.sample(rng, lo, np.full_like(lo, kind.law.b))
    return submit, kind.sizes[j].astype(np.int64), dur


def _swarm_kind(
    rng: np.random.Generator, kind: _Kind, lam: np.ndarray, caps: np.ndarray, config: JobGeneration
) -> tuple[np.ndarray, np.ndarray]:
    """Small jobs [jobs] and their GPU-seconds [GPU·s] per hour, for one kind of one tenant."""
    p = kind.p_small[caps]
    counts = rng.poisson(lam * p).astype(np.int64)
    gpu_s = np.zeros(len(counts))
    limit = np.iinfo(np.int64).max if config.swarm_sampling == "exact" else config.swarm_exact_max_jobs
    exact = (counts <= limit) & (counts > 0)
    if exact.any():
        hour = np.repeat(np.flatnonzero(exact), counts[exact])
        j = _draw_sizes(rng, kind.cdf_small, caps, hour)
        d = kind.law.sample(rng, np.full(hour.size, kind.law.a), kind.split_s[j])
        gpu_s += np.bincount(hour, weights=kind.sizes[j] * d, minlength=len(counts))
    big = ~exact & (counts > 0)
    if big.any():
        n = counts[big].astype(float)
        mean = kind.small_gpu_s[caps[big]] / p[big]
        var = np.maximum(kind.small_gpu_s2[caps[big]] / p[big] - mean**2, 0.0)
        shape = np.where(var > 0, n * mean**2 / np.where(var > 0, var, 1.0), 1.0)
        scale = np.where(var > 0, var / np.where(mean > 0, mean, 1.0), 0.0)
        gpu_s[big] = np.where(var > 0, rng.gamma(shape, np.where(scale > 0, scale, 1.0)), n * mean)
    return counts.astype(float), gpu_s


@dataclass
class _Rows:
    """Columns of the individual jobs, collected per tenant and kind."""

    parts: list[dict[str, np.ndarray]]

    def add(self, **columns: np.ndarray) -> None:
        self.parts.append(columns)

    def table(self, tenants: tuple[str, ...], residency_classes: tuple[str, ...]) -> JobTable:
        if not self.parts:
            return JobTable.empty(tenants, residency_classes)
        names = list(self.parts[0])
        cols = {name: np.concatenate([p.pop(name) for p in self.parts]) for name in names}
        self.parts.clear()
        order = np.argsort(cols["submit_s"], kind="stable")
        for name in names:  # one column at a time: the peak stays near the table's own size
            cols[name] = cols[name][order]
        return JobTable(
            job_id=np.arange(len(order)), **cols, tenants=tenants, residency_classes=residency_classes
        )


def _tenant_jobs(
    rng: np.random.Generator, i: int, tenant: Tenant, res: int, kinds: list[_Kind],
    rates: list[_Rate], hz: _Horizon, config: JobGeneration, rows: _Rows,
) -> None:  # fmt: skip
    qos = (tenant.qos.guaranteed_frac, tenant.qos.standard_frac, tenant.qos.preemptible_frac)
    for kind, (lam, caps) in zip(kinds, rates, strict=True):
        submit, gpus, dur = _individual(rng, kind, lam, caps, hz)
        n = submit.size
        deadline = np.full(n, np.nan)
        if KINDS[kind.code] == "batch_inference":
            deadline = submit + np.maximum(config.batch_completion_window_s, config.batch_min_slack * dur)
        rows.add(
            tenant=np.full(n, i, np.int32), kind=np.full(n, kind.code, np.int8),
            qos=_draw_codes(rng, qos, n).astype(np.int8), gpus=gpus.astype(np.int32), submit_s=submit,
            duration_s=dur, end_state=_draw_codes(rng, kind.spec.end_states.as_tuple(), n).astype(np.int8),
            deadline_s=deadline, residency=np.full(n, res, np.int16),
            checkpoint_interval_s=np.full(n, config.checkpoint_interval_s) if kind.spec.checkpointed else dur,
        )  # fmt: skip


def generate_jobs(
    config: JobGeneration,
    tenants: Sequence[Tenant],
    residency_classes: Sequence[str],
    installed_gpus: float | np.ndarray,
    duration_s: float,
    rng: np.random.Generator,
    *,
    start_utc: pd.Timestamp | str = "2026-01-01T00:00:00Z",
) -> tuple[JobTable, SwarmDemand]:
    """Generate the run's training and batch jobs: individual large jobs and the small-job swarm.

    Parameters
    ----------
    config
        Arrival rates, offered load, threshold, checkpoints, deadlines, submission pattern
        and extra job mixes.
    tenants
        Tenants (scenario order); their ``workload_share_frac`` must sum to 1.
    residency_classes
        Names the table's residency indices refer to; must hold every tenant's class.
    installed_gpus
        GPUs installed on the campus: one number, or one value per hour of the run. [GPU]
    duration_s
        Length of the run; jobs are submitted in ``[0, duration_s)``. [s]
    rng
        The workload stream of the run (``np.random.Generator``).
    start_utc
        The run's first step (``time.start_date`` 00:00 UTC); places the weekly pattern.

    Returns
    -------
    jobs : JobTable
        Individual jobs sorted by submission, ids ``0 … n-1``.
    swarm : SwarmDemand
        Small jobs per hour and tenant: counts [jobs] and GPU-seconds [GPU·s].

    Raises
    ------
    ScenarioError
        Inconsistent inputs, or an offered load the mixes cannot meet; the message names
        the argument or tenant and how to fix it.
    CatalogError
        A tenant's ``job_mix`` is not a known mix.

    Notes
    -----
    Small-job counts per tenant, kind and hour are Poisson with mean
    :math:`λ_h P_{small}` (thinning of the arrival process, so independent of the individual
    jobs). Their GPU-seconds are summed job by job where there are at most
    ``swarm_exact_max_jobs`` of them (or everywhere with ``swarm_sampling = "exact"``), and
    otherwise drawn from the gamma law with the exact conditional mean :math:`N μ` and
    variance :math:`N σ^2` of the sum of :math:`N` small jobs; the hourly totals therefore
    have the exact mean :math:`λ E[x]` and variance :math:`λ E[x^2]` of the compound Poisson
    sum. See ``docs/workload-trace-csv.md`` for the threshold and its validation.

    Examples
    --------
    >>> from dctwin.scenario.tenants import Tenant
    >>> t = [Tenant(name="lab", job_mix="llm_lab", workload_share_frac=1.0)]
    >>> rng = np.random.default_rng(1)
    >>> jobs, swarm = generate_jobs(JobGeneration(), t, ["public"], 16_600, 7 * 86400.0, rng)
    >>> bool(jobs.gpus.min() >= 1), swarm.jobs.shape, bool(swarm.jobs.sum() > 100 * len(jobs))
    (True, (168, 1), True)
    """
    start = _start(start_utc)
    hz = _horizon(installed_gpus, duration_s, start, config)
    _check_tenants(tenants, residency_classes)
    mixes = config.mix_catalogue()
    names, classes = tuple(t.name for t in tenants), tuple(residency_classes)
    rows = _Rows([])
    swarm_jobs, swarm_gpu_s = np.zeros((hz.n, len(tenants))), np.zeros((hz.n, len(tenants)))
    mean_gpus, mean_dur = np.ones(len(tenants)), np.ones(len(tenants))
    plan = []
    for i, tenant in enumerate(tenants):
        mix = lookup_mix(mixes, tenant.job_mix, f"tenants[{i}].job_mix")
        kinds = [_kind(spec, KINDS.index(name), config) for name, spec in mix.kinds().items()]
        plan.append((kinds, _kind_rates(i, tenant, mix, kinds, hz, config)))
    _guard_exact(plan, config)
    for i, (tenant, (kinds, rates)) in enumerate(zip(tenants, plan, strict=True)):
        _tenant_jobs(rng, i, tenant, classes.index(tenant.residency_class), kinds, rates, hz, config, rows)
        n_small = g_small = d_small = 0.0
        for kind, (lam, caps) in zip(kinds, rates, strict=True):
            counts, gpu_s = _swarm_kind(rng, kind, lam, caps, config)
            swarm_jobs[:, i] += counts
            swarm_gpu_s[:, i] += gpu_s
            n_small += float(np.sum(lam * kind.p_small[caps]))
            g_small += float(np.sum(lam * kind.small_gpus[caps]))
            d_small += float(np.sum(lam * kind.small_dur_s[caps]))
        if n_small > 0:
            mean_gpus[i], mean_dur[i] = g_small / n_small, d_small / n_small
    residency = np.array([classes.index(t.residency_class) for t in tenants], dtype=np.int16)
    swarm = SwarmDemand(swarm_jobs, swarm_gpu_s, mean_gpus, mean_dur, residency, names, classes)
    return rows.table(names, classes), swarm


def _guard_exact(plan: list[tuple[list[_Kind], list[_Rate]]], config: JobGeneration) -> None:
    if config.swarm_sampling != "exact":
        return
    expected = sum(
        float(np.sum(lam * k.p_small[n]))
        for kinds, rates in plan
        for k, (lam, n) in zip(kinds, rates, strict=True)
    )
    if expected > _EXACT_LIMIT_JOBS:
        raise ScenarioError(
            f"'exact' would materialise ≈ {expected:.3g} small jobs (limit {_EXACT_LIMIT_JOBS:.0e}); "
            "use 'moments' at campus scale (its hourly mean and variance are exact)",
            "swarm_sampling",
        )


# ----------------------------------------------------------------------------- statistics
def offered_load_frac(jobs: JobTable, swarm: SwarmDemand, installed_gpu_h: float) -> float:
    """GPU-hours demanded (individual jobs and swarm) ÷ GPU-hours installed.

    Parameters
    ----------
    jobs
        Individual jobs.
    swarm
        Small-job swarm.
    installed_gpu_h
        Installed GPUs × hours of the run. [GPU·h]

    Returns
    -------
    float
        Offered load, counted at submission. [frac]
    """
    demand_gpu_s = float(np.sum(jobs.gpus * jobs.duration_s)) + float(np.sum(swarm.gpu_s))
    return demand_gpu_s / _H / installed_gpu_h


def sample_statistics(jobs: JobTable) -> dict[str, float]:
    """Summary statistics of a job table, named as the trace summaries name them.

    Parameters
    ----------
    jobs
        Jobs (every job of the workload, e.g. generated with ``individual_min_gpu_hours = 0``).

    Returns
    -------
    dict
        ``mean_gpus`` [GPU], ``median_gpus`` [GPU], ``mean_duration_s`` [s],
        ``median_duration_s`` [s], ``gpu_s_per_job`` [GPU·s], per end state
        ``<state>_frac`` (share of jobs) and ``<state>_gpu_time_frac``, per kind
        ``<kind>_job_frac`` and ``<kind>_gpu_time_frac``. [frac]
    """
    gpu_s = jobs.gpus * jobs.duration_s
    total = float(gpu_s.sum())
    out = {
        "mean_gpus": float(jobs.gpus.mean()),
        "median_gpus": float(np.median(jobs.gpus)),
        "mean_duration_s": float(jobs.duration_s.mean()),
        "median_duration_s": float(np.median(jobs.duration_s)),
        "gpu_s_per_job": total / len(jobs),
    }
    for code, state in enumerate(END_STATES):
        out[f"{state}_frac"] = float(np.mean(jobs.end_state == code))
        out[f"{state}_gpu_time_frac"] = float(gpu_s[jobs.end_state == code].sum()) / total
    for code, kind in enumerate(KINDS):
        out[f"{kind}_job_frac"] = float(np.mean(jobs.kind == code))
        out[f"{kind}_gpu_time_frac"] = float(gpu_s[jobs.kind == code].sum()) / total
    return out


def expected_statistics(mix: JobMix) -> dict[str, float]:
    """The same statistics as :func:`sample_statistics`, computed exactly for a mix.

    Parameters
    ----------
    mix
        A job mix, taken with its kinds' own shares (``volume = "mix_shares"``, no size cap).

    Returns
    -------
    dict
        As :func:`sample_statistics`, plus ``gpu_time_per_gpu_day_frac``: the offered load
        the mix makes at its own arrival rate. [frac]

    Examples
    --------
    >>> from dctwin.scenario.workload import builtin_job_mixes
    >>> s = expected_statistics(builtin_job_mixes()["acme"])
    >>> s["median_gpus"], round(s["median_duration_s"]), round(s["pretrain_gpu_time_frac"], 2)
    (1.0, 123, 0.64)
    """
    config = JobGeneration(individual_min_gpu_hours=0.0)
    specs = mix.kinds()
    kinds = {name: _kind(spec, KINDS.index(name), config) for name, spec in specs.items()}
    share = {name: spec.share_frac for name, spec in specs.items()}
    gpu_s = {name: float(k.gpu_s[-1]) for name, k in kinds.items()}
    per_job = sum(share[n] * gpu_s[n] for n in kinds)
    out = {
        "mean_gpus": sum(share[n] * float(np.dot(s.gpus.weights_frac, s.gpus.sizes_gpus))
                         for n, s in specs.items()),
        "median_gpus": _mixture_median_gpus(specs),
        "mean_duration_s": sum(share[n] * float(k.law.moments(np.array([k.law.a]), np.array([k.law.b]))[1][0])
                               for n, k in kinds.items()),
        "median_duration_s": _mixture_median_s(kinds, share),
        "gpu_s_per_job": per_job,
        "gpu_time_per_gpu_day_frac": mix.arrival_rate_per_gpu_day * per_job / 86400.0,
    }  # fmt: skip
    for code, state in enumerate(END_STATES):
        out[f"{state}_frac"] = sum(share[n] * s.end_states.as_tuple()[code] for n, s in specs.items())
        out[f"{state}_gpu_time_frac"] = (
            sum(share[n] * gpu_s[n] * s.end_states.as_tuple()[code] for n, s in specs.items()) / per_job
        )
    for kind in KINDS:
        out[f"{kind}_job_frac"] = share.get(kind, 0.0)
        out[f"{kind}_gpu_time_frac"] = share.get(kind, 0.0) * gpu_s.get(kind, 0.0) / per_job
    return out


def _mixture_median_gpus(specs: dict[str, KindSpec]) -> float:
    sizes = sorted({g for s in specs.values() for g in s.gpus.sizes_gpus})
    mass = [
        sum(s.share_frac * w for s in specs.values() for gg, w in zip(s.gpus.sizes_gpus, s.gpus.weights_frac,
                                                                      strict=True) if gg <= g)
        for g in sizes
    ]  # fmt: skip
    return float(sizes[int(np.searchsorted(mass, 0.5 - 1e-12, side="left"))])


def _mixture_median_s(kinds: dict[str, _Kind], share: dict[str, float]) -> float:
    lo = min(k.law.a for k in kinds.values())
    hi = max(k.law.b for k in kinds.values())

    def excess(log_x: float) -> float:
        x = np.array([math.exp(log_x)])
        return sum(share[n] * float(k.law.cdf(x)[0]) for n, k in kinds.items()) - 0.5

    return math.exp(brentq(excess, math.log(lo), math.log(hi), xtol=1e-10))
