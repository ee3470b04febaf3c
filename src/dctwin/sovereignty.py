"""Data sovereignty: where a tenant's data may be processed, the audit log of placement
decisions, and the EU AI Act systemic-risk flag.

Placement follows the residency catalogue (:func:`dctwin.scenario.residency.residency_catalogue`,
encoding facts.md §6; E: not legal advice):

* :func:`admission` decides one (class, conditions, site) cell: the rules of the class are tried
  in order and the first that applies decides. The answer names the rule and says why in one
  line; a denial also names the allow rules that were missed and what they lack (a condition to
  file, an operator property).
* :func:`admission_matrix` tabulates the decision for every tenant × site, once per run, so the
  scheduler looks up ``allowed[tenant, site]`` and never places a job where its data may not go;
  a job whose row is all false is rejected with :meth:`AdmissionMatrix.rejection`.
* :class:`AuditLog` records every decision (who, what class, where, which rule) in columns.

Deny rules depend on location only, so filing more conditions never turns an admission into a
denial (checked by the catalogue loader and property-tested).

The AI-Act part flags training runs above :data:`SYSTEMIC_RISK_FLOP` (10^25 FLOP, the EU AI Act
presumption of systemic risk for general-purpose models, facts.md §6.1).
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from dctwin.errors import CatalogError
from dctwin.scenario.residency import ResidencyCatalogue, Rule, SiteJurisdiction
from dctwin.scenario.tenants import Tenant
from dctwin.workload.jobs import KINDS, JobTable

__all__ = [
    "DECISIONS",
    "SYSTEMIC_RISK_FLOP",
    "TRAINING_KINDS",
    "Admission",
    "AdmissionMatrix",
    "AuditLog",
    "admission",
    "admission_matrix",
    "crosses_systemic_risk",
    "systemic_risk_jobs",
    "time_to_systemic_risk_s",
    "training_flop",
]


# ------------------------------------------------------------------ one decision
@dataclass(frozen=True)
class Admission:
    """Whether a class may be processed at a site, and why.

    Attributes
    ----------
    allowed
        True if a rule allows it.
    rule_id
        The rule that decided (an allow rule if allowed, else the deny rule that forbids it).
    reason
        One human sentence naming the rule, the site's country and, for a denial, what is missing.
    missing_conditions
        For a denial: the conditions the tenant would have to file for the closest allow rule whose
        operator properties the site has (empty if none would do).
    missing_site
        For a denial: the operator properties the site lacks for the closest allow rule whose
        conditions the tenant has (empty if none would do).
    """

    allowed: bool
    rule_id: str
    reason: str
    missing_conditions: tuple[str, ...] = ()
    missing_site: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Admission({'allowed' if self.allowed else 'denied'} by {self.rule_id})"


def _unmet_site(catalogue: ResidencyCatalogue, rule: Rule, jurisdiction: SiteJurisdiction) -> tuple[str, ...]:
    unmet = []
    for key, want in rule.site.items():
        have = getattr(jurisdiction, key)
        if isinstance(want, bool):
            if bool(have) is not want:
                unmet.append(key if want else f"not {key}")
        elif isinstance(want, int):
            if have < want:
                unmet.append(f"{key}>={want}")
        elif not catalogue.in_place(want, str(have)):
            unmet.append(f"{key} in {want}")
    return tuple(unmet)


def admission(
    catalogue: ResidencyCatalogue,
    residency_class: str,
    conditions: Collection[str],
    site_name: str,
    jurisdiction: SiteJurisdiction,
) -> Admission:
    """Decide whether data of ``residency_class`` may be processed at a site.

    Parameters
    ----------
    catalogue
        Residency catalogue (:func:`dctwin.scenario.residency.residency_catalogue`).
    residency_class
        Class of the data, e.g. ``"eu_personal"``.
    conditions
        Conditions the tenant has on file, e.g. ``["sccs", "tia"]``.
    site_name
        Site slug, used in the reason.
    jurisdiction
        Country and operator properties of the site.

    Returns
    -------
    Admission
        ``allowed``, the deciding ``rule_id`` and a one-line ``reason``.

    Raises
    ------
    CatalogError
        For a class or condition the catalogue does not know (with the closest name).

    Notes
    -----
    The rules of the class are tried in catalogue order. A rule applies if the site's country is
    in its ``where`` and not in its ``except_where``; an allow rule also needs every one of its
    conditions on file and every operator property it lists. The first rule that applies
    decides; the catalogue ends every class with a catch-all rule. Deny rules depend on location
    only, so admission is monotone in ``conditions``.

    Examples
    --------
    >>> from dctwin.scenario.residency import SiteJurisdiction, residency_catalogue
    >>> cat, morocco = residency_catalogue(), SiteJurisdiction()
    >>> admission(cat, "eu_personal", ["sccs", "tia"], "north", morocco).reason
    'eu_personal may be processed in MA under GDPR Art. 46 with SCCs and a transfer impact assessment on file (rule EU-GDPR-ART46-SCC)'
    >>> admission(cat, "eu_sovereign", [], "north", morocco).reason
    'eu_sovereign may not leave the EU (rule EU-SOV-LOCATION); site north is in MA'
    """  # noqa: E501
    rules = catalogue.rules_for(residency_class)
    have = frozenset(conditions)
    unknown = sorted(have.difference(catalogue.conditions))
    if unknown:
        raise CatalogError(
            f"unknown condition {unknown[0]!r}; known conditions: {', '.join(sorted(catalogue.conditions))}"
        )
    country = jurisdiction.country
    missed: list[tuple[Rule, tuple[str, ...], tuple[str, ...]]] = []
    for rule in rules:
        if not catalogue.located(rule, country):
            continue
        if rule.effect == "deny":
            return _denied(residency_class, rule, site_name, country, missed)
        lacking = tuple(c for c in rule.conditions if c not in have)
        unmet = _unmet_site(catalogue, rule, jurisdiction)
        if not lacking and not unmet:
            return Admission(
                True,
                rule.id,
                f"{residency_class} may be processed in {country} {rule.reason} (rule {rule.id})",
            )
        missed.append((rule, lacking, unmet))
    return Admission(  # unreachable with a validated catalogue (every class ends in a catch-all)
        False,
        "NO-RULE",
        f"no rule of the catalogue allows {residency_class} at site {site_name} in {country}",
    )


def _denied(
    residency_class: str,
    rule: Rule,
    site_name: str,
    country: str,
    missed: Sequence[tuple[Rule, tuple[str, ...], tuple[str, ...]]],
) -> Admission:
    reason = f"{residency_class} {rule.reason} (rule {rule.id}); site {site_name} is in {country}"
    if missed:
        alternatives = [
            " + ".join([*lacking, *(f"site {u}" for u in unmet)]) + f" (rule {r.id})"
            for r, lacking, unmet in missed
        ]
        reason += "; missing " + " or ".join(alternatives)
    by_conditions = [lacking for _, lacking, unmet in missed if not unmet]
    by_site = [unmet for _, lacking, unmet in missed if not lacking]
    return Admission(
        False,
        rule.id,
        reason,
        missing_conditions=min(by_conditions, key=len) if by_conditions else (),
        missing_site=min(by_site, key=len) if by_site else (),
    )


# ------------------------------------------------------------------ tenants × sites
@dataclass(frozen=True)
class AdmissionMatrix:
    """Admission of every tenant (row) at every site (column).

    Attributes
    ----------
    tenants
        Tenant names, in scenario order.
    residency_classes
        Residency class of each tenant.
    sites
        Site names, in scenario order.
    allowed
        ``bool[n_tenants, n_sites]``: where each tenant's data may be processed.
    rule_id
        ``object[n_tenants, n_sites]``: the deciding rule of each cell.
    reason
        ``object[n_tenants, n_sites]``: the one-line reason of each cell.
    """

    tenants: tuple[str, ...]
    residency_classes: tuple[str, ...]
    sites: tuple[str, ...]
    allowed: np.ndarray
    rule_id: np.ndarray
    reason: np.ndarray

    def admissible(self) -> np.ndarray:
        """``bool[n_tenants]``: the tenant may run somewhere."""
        return np.asarray(self.allowed.any(axis=1))

    def rejection(self, tenant: int | str) -> str:
        """Why a tenant's jobs may run nowhere: the denial of every site, or ``""`` if they may run."""
        i = self.tenants.index(tenant) if isinstance(tenant, str) else int(tenant)
        if self.allowed[i].any():
            return ""
        cells = "; ".join(f"{site}: {self.reason[i, j]}" for j, site in enumerate(self.sites))
        return f"tenant {self.tenants[i]} ({self.residency_classes[i]}) has no admissible site — {cells}"

    def for_jobs(self, jobs: JobTable) -> np.ndarray:
        """``bool[n_jobs, n_sites]``: where each job may run (its tenant's row).

        Raises
        ------
        ValueError
            If a job's tenant is not a row, or a job's residency class is not its tenant's.
        """
        missing = [name for name in jobs.tenants if name not in self.tenants]
        if missing:
            raise ValueError(
                f"jobs name tenant {missing[0]!r}, which is not a row of the matrix {self.tenants}"
            )
        if len(jobs) == 0:
            return np.zeros((0, len(self.sites)), dtype=bool)
        row_of = np.array([self.tenants.index(name) for name in jobs.tenants], dtype=np.int64)
        rows = row_of[jobs.tenant]
        job_class = np.asarray(jobs.residency_classes, dtype=object)[jobs.residency]
        bad = np.flatnonzero(job_class != np.asarray(self.residency_classes, dtype=object)[rows])
        if bad.size:
            k = int(bad[0])
            raise ValueError(
                f"job {int(jobs.job_id[k])} has residency class {job_class[k]!r} but its tenant "
                f"{self.tenants[rows[k]]} is {self.residency_classes[rows[k]]!r}; "
                "give the job its tenant's class"
            )
        return np.asarray(self.allowed[rows])

    def to_frame(self) -> pd.DataFrame:
        """One row per tenant × site: ``tenant``, ``residency_class``, ``site``, ``allowed``, ``rule_id``,
        ``reason``."""
        n_t, n_s = self.allowed.shape
        return pd.DataFrame(
            {
                "tenant": np.repeat(np.asarray(self.tenants, dtype=object), n_s),
                "residency_class": np.repeat(np.asarray(self.residency_classes, dtype=object), n_s),
                "site": np.tile(np.asarray(self.sites, dtype=object), n_t),
                "allowed": self.allowed.ravel(),
                "rule_id": self.rule_id.ravel(),
                "reason": self.reason.ravel(),
            }
        )

    def __repr__(self) -> str:
        n_t, n_s = self.allowed.shape
        nowhere = int((~self.admissible()).sum())
        return (
            f"AdmissionMatrix({n_t} tenants × {n_s} sites, {int(self.allowed.sum())}/{n_t * n_s} cells "
            f"allowed, {nowhere} tenants with no admissible site)"
        )


def admission_matrix(
    catalogue: ResidencyCatalogue, tenants: Sequence[Tenant], sites: Mapping[str, SiteJurisdiction]
) -> AdmissionMatrix:
    """Admission of every tenant at every site.

    Parameters
    ----------
    catalogue
        Residency catalogue.
    tenants
        Tenants in scenario order (``residency_class`` and ``conditions`` are used).
    sites
        Site name → jurisdiction, in scenario order (``{s.name: s.jurisdiction for s in sites}``).

    Returns
    -------
    AdmissionMatrix
        Cell ``[i, j]`` equals ``admission(catalogue, tenants[i].residency_class,
        tenants[i].conditions, site_j, sites[site_j])``.

    Examples
    --------
    >>> from dctwin.scenario.residency import SiteJurisdiction, residency_catalogue
    >>> from dctwin.scenario.tenants import Tenant
    >>> tenants = [Tenant(name="ma-bank", residency_class="ma_personal"),
    ...            Tenant(name="eu-gov", residency_class="eu_sovereign")]
    >>> m = admission_matrix(residency_catalogue(), tenants, {"north": SiteJurisdiction()})
    >>> m.allowed.tolist(), m.rule_id.tolist()
    ([[True], [False]], [['MA-0908-IN-MA'], ['EU-SOV-LOCATION']])
    """
    names = tuple(sites)
    n_t, n_s = len(tenants), len(names)
    allowed = np.zeros((n_t, n_s), dtype=bool)
    rule_id = np.empty((n_t, n_s), dtype=object)
    reason = np.empty((n_t, n_s), dtype=object)
    memo: dict[tuple[str, frozenset[str], str], Admission] = {}
    for i, tenant in enumerate(tenants):
        key_conditions = frozenset(tenant.conditions)
        for j, site in enumerate(names):
            key = (tenant.residency_class, key_conditions, site)
            cell = memo.get(key)
            if cell is None:
                cell = admission(catalogue, tenant.residency_class, key_conditions, site, sites[site])
                memo[key] = cell
            allowed[i, j], rule_id[i, j], reason[i, j] = cell.allowed, cell.rule_id, cell.reason
    return AdmissionMatrix(
        tenants=tuple(t.name for t in tenants),
        residency_classes=tuple(t.residency_class for t in tenants),
        sites=names,
        allowed=allowed,
        rule_id=rule_id,
        reason=reason,
    )


# ------------------------------------------------------------------ the audit log
DECISIONS = ("allowed", "rejected", "placed")
"""Audit decisions: a site was admitted for the job, the job was rejected (no admissible site),
the job was placed (started) on a site."""

_DECISION_CODE = {name: k for k, name in enumerate(DECISIONS)}


class _Names:
    """Interned strings of one column: name → small integer code."""

    __slots__ = ("index", "names")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.index: dict[str, int] = {}

    def code(self, name: str) -> int:
        found = self.index.get(name)
        if found is None:
            if not isinstance(name, str):
                raise TypeError(f"expected a name (str), got {name!r}")
            found = self.index[name] = len(self.names)
            self.names.append(name)
        return found

    def codes(self, values: Any, n: int, what: str, none_ok: bool = False) -> np.ndarray:
        if values is None or isinstance(values, str):
            if values is None and not none_ok:
                raise ValueError(f"{what} is required")
            return np.full(n, -1 if values is None else self.code(values), dtype=np.int32)
        flat = np.asarray(values, dtype=object).ravel()
        if flat.size != n:
            raise ValueError(f"{what} has {flat.size} values, expected {n}")
        local, uniques = pd.factorize(flat, use_na_sentinel=True)
        if not none_ok and (local < 0).any():
            raise ValueError(f"{what} has missing values; every decision names its {what}")
        lookup = np.array([self.code(u) for u in uniques], dtype=np.int32)
        return np.where(local >= 0, lookup[local] if lookup.size else -1, -1).astype(np.int32)


class AuditLog:
    """Columnar log of placement decisions: who, what class, where, which rule.

    Appends go to compact typed buffers (:mod:`array`), strings are interned, so a million
    decisions cost ~30 MB and a second or two of appends; :meth:`extend` adds whole arrays.

    Examples
    --------
    >>> log = AuditLog()
    >>> log.append(3600.0, "eu-bank", 17, "eu_personal", "north", "placed", "EU-GDPR-ART46-SCC")
    >>> log.append(3600.0, "eu-gov", 18, "eu_sovereign", None, "rejected", "EU-SOV-LOCATION")
    >>> log
    AuditLog(2 decisions: 1 placed, 0 allowed, 1 rejected)
    >>> log.to_frame()[["tenant", "site", "decision", "rule_id"]].values.tolist()
    [['eu-bank', 'north', 'placed', 'EU-GDPR-ART46-SCC'], ['eu-gov', nan, 'rejected', 'EU-SOV-LOCATION']]
    """

    COLUMNS = ("time_s", "tenant", "job_id", "residency_class", "site", "decision", "rule_id")

    def __init__(self) -> None:
        self._time = array("d")
        self._job = array("q")
        self._tenant, self._class, self._site, self._rule = array("i"), array("i"), array("i"), array("i")
        self._decision = array("b")
        self._tenants, self._classes, self._sites, self._rules = _Names(), _Names(), _Names(), _Names()

    def append(
        self,
        time_s: float,
        tenant: str,
        job_id: int | None,
        residency_class: str,
        site: str | None,
        decision: str,
        rule_id: str,
    ) -> None:
        """Record one decision.

        Parameters
        ----------
        time_s
            Time of the decision since the run start. [s]
        tenant
            Tenant name (who).
        job_id
            Job id; ``None`` for a tenant-level decision (e.g. the aggregate swarm), stored as -1.
        residency_class
            Residency class of the data.
        site
            Site name; ``None`` for a rejection (no site).
        decision
            One of :data:`DECISIONS`.
        rule_id
            Rule that allowed (or forbade) it.
        """
        try:
            code = _DECISION_CODE[decision]
        except KeyError:
            raise ValueError(f"decision must be one of {DECISIONS}, got {decision!r}") from None
        self._time.append(time_s)
        self._tenant.append(self._tenants.code(tenant))
        self._job.append(-1 if job_id is None else job_id)
        self._class.append(self._classes.code(residency_class))
        self._site.append(-1 if site is None else self._sites.code(site))
        self._decision.append(code)
        self._rule.append(self._rules.code(rule_id))

    def extend(
        self,
        time_s: npt.ArrayLike,
        tenant: Any,
        job_id: npt.ArrayLike | None,
        residency_class: Any,
        site: Any,
        decision: Any,
        rule_id: Any,
    ) -> None:
        """Record many decisions at once: arrays of equal length, or one value for all.

        String columns take a sequence of names or one name; ``site`` may hold ``None``/NaN for no
        site, ``job_id`` may be ``None`` (-1). Units as in :meth:`append`.
        """
        times = np.atleast_1d(np.asarray(time_s, dtype=np.float64)).ravel()
        n = times.size
        jobs = np.broadcast_to(np.asarray(-1 if job_id is None else job_id, dtype=np.int64), (n,))
        if isinstance(decision, str):
            if decision not in _DECISION_CODE:
                raise ValueError(f"decision must be one of {DECISIONS}, got {decision!r}")
            decisions = np.full(n, _DECISION_CODE[decision], dtype=np.int8)
        else:
            local, uniques = pd.factorize(np.asarray(decision, dtype=object).ravel())
            bad = [u for u in uniques if u not in _DECISION_CODE]
            if bad or local.size != n or (local < 0).any():
                raise ValueError(
                    f"decision must hold {n} values from {DECISIONS}, got {bad or 'missing values'}"
                )
            decisions = np.array([_DECISION_CODE[u] for u in uniques], dtype=np.int8)[local]
        columns = (
            self._tenants.codes(tenant, n, "tenant"),
            self._classes.codes(residency_class, n, "residency_class"),
            self._sites.codes(site, n, "site", none_ok=True),
            self._rules.codes(rule_id, n, "rule_id"),
        )
        self._time.frombytes(times.tobytes())
        self._job.frombytes(np.ascontiguousarray(jobs).tobytes())
        for buffer, codes in zip((self._tenant, self._class, self._site, self._rule), columns, strict=True):
            buffer.frombytes(codes.astype(np.int32).tobytes())
        self._decision.frombytes(decisions.tobytes())

    def __len__(self) -> int:
        return len(self._time)

    def _counts(self) -> np.ndarray:
        codes = np.frombuffer(self._decision, dtype=np.int8) if len(self) else np.zeros(0, np.int8)
        return np.bincount(codes, minlength=len(DECISIONS))

    def to_frame(self) -> pd.DataFrame:
        """The log as a DataFrame.

        Returns
        -------
        pandas.DataFrame
            Columns ``time_s`` [s], ``tenant``, ``job_id`` (-1: none), ``residency_class``, ``site``
            (NaN: none), ``decision`` (one of :data:`DECISIONS`), ``rule_id``; names are categoricals.
        """

        def ints(buffer: array[Any], dtype: type) -> np.ndarray:
            return np.frombuffer(buffer, dtype=dtype).copy() if len(buffer) else np.zeros(0, dtype=dtype)

        def cat(buffer: array[int], names: Sequence[str], dtype: type = np.int32) -> pd.Categorical:
            return pd.Categorical.from_codes(
                ints(buffer, dtype), categories=pd.Index(list(names), dtype=object)
            )

        return pd.DataFrame(
            {
                "time_s": ints(self._time, np.float64),
                "tenant": cat(self._tenant, self._tenants.names),
                "job_id": ints(self._job, np.int64),
                "residency_class": cat(self._class, self._classes.names),
                "site": cat(self._site, self._sites.names),
                "decision": cat(self._decision, DECISIONS, np.int8),
                "rule_id": cat(self._rule, self._rules.names),
            }
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> AuditLog:
        """Rebuild a log from :meth:`to_frame` output (e.g. read back from Parquet)."""
        log = cls()
        if len(frame):
            log.extend(
                frame["time_s"].to_numpy(),
                frame["tenant"].to_numpy(dtype=object),
                frame["job_id"].to_numpy(),
                frame["residency_class"].to_numpy(dtype=object),
                frame["site"].to_numpy(dtype=object),
                frame["decision"].to_numpy(dtype=object),
                frame["rule_id"].to_numpy(dtype=object),
            )
        return log

    def __repr__(self) -> str:
        counts = self._counts()
        parts = ", ".join(
            f"{int(counts[_DECISION_CODE[d]]):,} {d}" for d in ("placed", "allowed", "rejected")
        )
        return f"AuditLog({len(self):,} decisions: {parts})"


# ------------------------------------------------------------------ EU AI Act
SYSTEMIC_RISK_FLOP = 1e25
"""Training compute above which a general-purpose AI model is presumed to have systemic risk
(EU AI Act Art. 51(2); facts.md §6.1: notify the Commission within 2 weeks). [FLOP]"""

TRAINING_KINDS = ("pretrain", "finetune")
"""Job kinds whose compute counts as training compute (E: fine-tuning counts towards the model's
cumulative training compute)."""


def training_flop(
    gpus: npt.ArrayLike,
    runtime_s: npt.ArrayLike,
    dense_pflops_per_gpu: npt.ArrayLike,
    mfu_frac: npt.ArrayLike,
) -> Any:
    """Training compute of a run.

    Parameters
    ----------
    gpus
        GPUs of the run. [GPU]
    runtime_s
        Wall-clock training time. [s]
    dense_pflops_per_gpu
        Dense (non-sparse) peak throughput of one GPU at the training precision, e.g. 2.5 for GB200
        BF16 (hardware catalogue ``dense_bf16_pflops_per_gpu``). [PFLOP/s]
    mfu_frac
        Model FLOPs utilisation: achieved / peak. [frac]

    Returns
    -------
    float or numpy.ndarray
        ``gpus · runtime_s · dense_pflops_per_gpu · 1e15 · mfu_frac``. [FLOP]

    References
    ----------
    facts.md §6.2 note: at 40 % MFU, 16k GB200 GPUs reach 10^25 FLOP in ≈ 7 days (BF16 dense
    2.5 PF/GPU) or ≈ 3.6 days (FP8 dense 5 PF/GPU).

    Examples
    --------
    >>> f"{training_flop(16_000, 7 * 86_400, 2.5, 0.40):.3g}"
    '9.68e+24'
    """
    out = (
        np.asarray(gpus, dtype=np.float64)
        * np.asarray(runtime_s, dtype=np.float64)
        * (np.asarray(dense_pflops_per_gpu, dtype=np.float64) * 1e15)
        * np.asarray(mfu_frac, dtype=np.float64)
    )
    return float(out) if out.ndim == 0 else out


def crosses_systemic_risk(
    gpus: npt.ArrayLike,
    runtime_s: npt.ArrayLike,
    dense_pflops_per_gpu: npt.ArrayLike,
    mfu_frac: npt.ArrayLike,
) -> Any:
    """True if a training run exceeds the EU AI Act systemic-risk threshold.

    Parameters are those of :func:`training_flop`.

    Returns
    -------
    bool or numpy.ndarray
        ``training_flop(...) > SYSTEMIC_RISK_FLOP`` (strictly greater, as Art. 51(2) reads
        "greater than 10^25"; facts.md §6.1).

    Examples
    --------
    >>> crosses_systemic_risk(16_000, 7 * 86_400, 2.5, 0.40), crosses_systemic_risk(16_000, 8 * 86_400, 2.5, 0.40)
    (False, True)
    """  # noqa: E501
    out = np.asarray(training_flop(gpus, runtime_s, dense_pflops_per_gpu, mfu_frac)) > SYSTEMIC_RISK_FLOP
    return bool(out) if out.ndim == 0 else out


def time_to_systemic_risk_s(
    gpus: npt.ArrayLike, dense_pflops_per_gpu: npt.ArrayLike, mfu_frac: npt.ArrayLike
) -> Any:
    """Training time at which a run reaches :data:`SYSTEMIC_RISK_FLOP`.

    Parameters
    ----------
    gpus
        GPUs of the run. [GPU]
    dense_pflops_per_gpu
        Dense peak throughput per GPU. [PFLOP/s]
    mfu_frac
        Model FLOPs utilisation. [frac]

    Returns
    -------
    float or numpy.ndarray
        ``1e25 / (gpus · dense_pflops_per_gpu · 1e15 · mfu_frac)``. [s]

    Examples
    --------
    facts.md §6.2: 16k GB200 GPUs at 40 % MFU, ≈ 7 days in BF16 and ≈ 3.6 days in FP8.

    >>> round(time_to_systemic_risk_s(16_000, 2.5, 0.40) / 86_400, 1)
    7.2
    >>> round(time_to_systemic_risk_s(16_000, 5.0, 0.40) / 86_400, 1)
    3.6
    """
    out = SYSTEMIC_RISK_FLOP / np.asarray(training_flop(gpus, 1.0, dense_pflops_per_gpu, mfu_frac))
    return float(out) if out.ndim == 0 else out


def systemic_risk_jobs(jobs: JobTable, dense_pflops_per_gpu: float, mfu_frac: float) -> np.ndarray:
    """Flag the training jobs of a table that cross the systemic-risk threshold.

    Parameters
    ----------
    jobs
        Job table; ``gpus`` [GPU] × ``duration_s`` [s] at full speed is the run.
    dense_pflops_per_gpu
        Dense peak throughput per GPU at the training precision. [PFLOP/s]
    mfu_frac
        Model FLOPs utilisation. [frac]

    Returns
    -------
    numpy.ndarray
        ``bool[n_jobs]``: a :data:`TRAINING_KINDS` job above 10^25 FLOP.

    Notes
    -----
    E: per job; the Act counts a model's cumulative training compute, so a model trained over
    several jobs should be summed by the caller.
    """
    training = np.isin(jobs.kind, [KINDS.index(k) for k in TRAINING_KINDS])
    return (
        np.asarray(crosses_systemic_risk(jobs.gpus, jobs.duration_s, dense_pflops_per_gpu, mfu_frac))
        & training
    )
