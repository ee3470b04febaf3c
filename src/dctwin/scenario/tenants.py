"""Scenario blocks of the workload layer: tenants, their quotas and their data rules.

A tenant is a customer organisation of the campus. It has

* a **data-residency class** (``residency_class``, a name of the residency catalogue
  ``scenario/data/residency.toml``) and the legal **conditions** it has on file (standard
  contractual clauses, a CNDP authorisation, ...), which decide where its jobs may run;
* a **Kueue-style quota** in a cohort: a nominal share of the installed GPUs it is
  guaranteed, how much more it may borrow from idle quota of the cohort, and how much of
  its own idle quota it lends;
* a **demand**: its share of the campus's training and batch work, the job mix it
  submits (a name of the generator's mixes) and the share of its jobs in each QoS class.

Quotas are shares of the installed GPUs so that a tenant keeps its share as the campus
ramps from 40 MW to 500 MW.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from dctwin.scenario.schema_base import Model, check_slug, q

__all__ = ["QosMix", "Tenant"]


class QosMix(Model):
    """Share of a tenant's jobs submitted in each QoS class (sums to 1)."""

    guaranteed_frac: float = q(
        0.2,
        "frac",
        "Jobs in the guaranteed class (never preempted)",
        "E: reserved-capacity share",
        ge=0.0,
        le=1.0,
    )
    standard_frac: float = q(0.6, "frac", "Jobs in the standard class", "E: on-demand share", ge=0.0, le=1.0)
    preemptible_frac: float = q(
        0.2, "frac", "Jobs in the preemptible (spot) class", "E: spot share", ge=0.0, le=1.0
    )

    @model_validator(mode="after")
    def _sums_to_one(self) -> QosMix:
        total = self.guaranteed_frac + self.standard_frac + self.preemptible_frac
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"guaranteed_frac + standard_frac + preemptible_frac must be 1, got {total:g}; rescale them"
            )
        return self


class Tenant(Model):
    """A customer organisation: residency, quota, demand."""

    name: str = Field(description="Tenant slug, e.g. 'ma-bank'")
    display_name: str = Field("", description="Human-readable name")
    home_country: str = q(
        "MA",
        "ISO 3166-1 alpha-2",
        "Country the tenant and its users are in",
        "scenario",
        min_length=2,
        max_length=2,
    )
    residency_class: str = q(
        "public", "name", "Data-residency class of the tenant's data (residency catalogue)", "facts.md §6.2"
    )
    conditions: list[str] = Field(
        default_factory=list,
        json_schema_extra={"unit": "names", "source": "scenario (none by default)"},
        description="Legal conditions on file, e.g. 'sccs', 'tia', 'cndp_authorisation' (residency rules)",
    )
    job_mix: str = q("enterprise", "name", "Job mix the tenant submits (generator catalogue)", "scenario")
    workload_share_frac: float = q(
        0.1, "frac", "Share of the campus's training and batch GPU-time demand", "scenario", ge=0.0, le=1.0
    )
    qos: QosMix = Field(default_factory=QosMix, description="Share of jobs per QoS class")
    cohort: str = q("campus", "name", "Kueue cohort within which quota is lent and borrowed", "scenario")
    nominal_quota_frac: float = q(
        0.1, "frac", "Guaranteed share of the installed GPUs (Kueue nominalQuota)", "scenario", ge=0.0, le=1.0
    )
    borrowing_limit_frac: float | None = q(
        None,
        "frac",
        "Most it may use above its nominal quota, as a share of installed GPUs; empty = no limit",
        "Kueue borrowingLimit semantics",
        ge=0.0,
        le=1.0,
    )
    lending_limit_frac: float | None = q(
        None,
        "frac",
        "Most of its idle nominal quota it lends to the cohort, as a share of installed GPUs; empty = all",
        "Kueue lendingLimit semantics",
        ge=0.0,
        le=1.0,
    )
    fairshare_weight: float = q(
        1.0,
        "1",
        "Weight of the tenant in the fair-share factor (Slurm shares)",
        "Slurm multifactor",
        gt=0.0,
        le=1e3,
    )

    @field_validator("name", "cohort")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)

    @field_validator("home_country")
    @classmethod
    def _upper(cls, value: str) -> str:
        if not value.isalpha():
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code, e.g. 'MA', 'FR'")
        return value.upper()

    @model_validator(mode="after")
    def _lending_within_quota(self) -> Tenant:
        if self.lending_limit_frac is not None and self.lending_limit_frac > self.nominal_quota_frac + 1e-12:
            raise ValueError(
                f"lending_limit_frac = {self.lending_limit_frac} exceeds nominal_quota_frac = "
                f"{self.nominal_quota_frac}: a tenant can only lend its own quota; lower it"
            )
        return self
