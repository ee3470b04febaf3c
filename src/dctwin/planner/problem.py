"""The planning problem: what every solve path (full LP, fast path, PyPSA) takes as input.

A single-bus site with extendable PV, onshore wind and a battery whose energy and power
are sized independently, grid import (priced, with a clean share that counts toward CFE)
and export (priced, capped), against the facility load the twin produces (IT × PUE(T)).

Sign and unit conventions as in ``docs/conventions.md``: capacities in MW / MWh, flows
non-negative in MW, energy = power × ``dt_h``, money in the cost catalogue's currency.
Operating costs over the modelled period are scaled to a year by ``year_weight`` so
that the objective is always a yearly cost.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

__all__ = ["CapacityBounds", "PlanResult", "PlanningProblem", "Policy", "TechCosts", "parse_policy"]


@dataclass(frozen=True)
class Policy:
    """Procurement policy.

    Attributes
    ----------
    kind
        ``"annual"``: renewable generation ≥ load over the year (with the surplus-sale cap);
        ``"cfe"``: hourly CFE score ≥ ``target_frac``; ``"islanded"``: no grid at all.
    target_frac
        CFE target for ``kind = "cfe"``. [frac]
    """

    kind: str
    target_frac: float = 1.0

    def __str__(self) -> str:
        return f"cfe:{self.target_frac:g}" if self.kind == "cfe" else self.kind


def parse_policy(text: str) -> Policy:
    """Parse ``annual``, ``islanded`` or ``cfe:X`` (X in 0–1, e.g. ``cfe:0.95``).

    Examples
    --------
    >>> parse_policy("cfe:0.95")
    Policy(kind='cfe', target_frac=0.95)
    >>> str(parse_policy("annual"))
    'annual'
    """
    text = text.strip().lower()
    if text in {"annual", "islanded"}:
        return Policy(text)
    match = re.fullmatch(r"cfe:([0-9]*\.?[0-9]+)", text)
    if match:
        target = float(match.group(1))
        if 0.0 <= target <= 1.0:
            return Policy("cfe", target)
        raise ValueError(f"CFE target must be between 0 and 1 (a fraction, not percent), got {target}")
    raise ValueError(
        f"unknown policy {text!r}; use 'annual', 'islanded' or 'cfe:X' with X in 0–1, e.g. 'cfe:0.95'"
    )


@dataclass(frozen=True)
class TechCosts:
    """Yearly cost of each capacity and variable costs.

    Attributes
    ----------
    solar_per_mw_yr, wind_per_mw_yr
        Annualised capex + FOM per MW (AC for PV). [currency/MW/yr]
    battery_energy_per_mwh_yr, battery_power_per_mw_yr
        Annualised capex + FOM of storage energy and of the inverter. [currency/MWh/yr], [currency/MW/yr]
    solar_vom_per_mwh, wind_vom_per_mwh
        Variable O&M per MWh the plant can produce (paid on curtailed energy too, as under an
        as-produced PPA with deemed-energy compensation). [currency/MWh]
    import_price_per_mwh, export_price_per_mwh
        Grid energy price and surplus sale price. [currency/MWh]
    """

    solar_per_mw_yr: float
    wind_per_mw_yr: float
    battery_energy_per_mwh_yr: float
    battery_power_per_mw_yr: float
    solar_vom_per_mwh: float = 0.0
    wind_vom_per_mwh: float = 0.0
    import_price_per_mwh: float = 85.0
    export_price_per_mwh: float = 0.0


@dataclass(frozen=True)
class CapacityBounds:
    """Lower (already built) and upper (land, resource) bounds on each capacity.

    Attributes
    ----------
    solar_mw, wind_mw, battery_energy_mwh, battery_power_mw
        ``(min, max)`` pairs; ``max`` may be ``math.inf``. [MW], [MWh]
    origins
        Capacity name → the scenario field that sets its upper bound (for messages).
    """

    solar_mw: tuple[float, float] = (0.0, math.inf)
    wind_mw: tuple[float, float] = (0.0, math.inf)
    battery_energy_mwh: tuple[float, float] = (0.0, math.inf)
    battery_power_mw: tuple[float, float] = (0.0, math.inf)
    origins: dict[str, str] = field(default_factory=dict, compare=False)

    def describe_cap(self, key: str, unit: str) -> str:
        """``key ≤ bound unit``, with the scenario field behind the bound when known."""
        text = f"{key} ≤ {getattr(self, key)[1]:,.6g} {unit}".rstrip()
        origin = self.origins.get(key)
        return f"{text} [{origin}]" if origin else text


@dataclass(frozen=True)
class PlanningProblem:
    """Everything a solve path needs; arrays share one time axis of ``len(load_mw)`` steps.

    Attributes
    ----------
    load_mw
        Facility load per step (IT × PUE(T) from the twin). [MW]
    solar_cf
        PV AC output per MW of AC capacity per step. [MW/MW]
    wind_cf
        Wind output per MW of nameplate per step. [MW/MW]
    dt_h
        Step length. [h]
    costs
        Annualised capacity costs and prices.
    policy
        Procurement policy.
    grid_clean_share_frac
        Carbon-free share of grid imports (counts toward CFE). [frac]
    round_trip_efficiency_frac
        Battery round-trip efficiency, split √η on charge and discharge. [frac]
    soc_min_frac, soc_max_frac
        Battery state-of-charge window as shares of energy capacity. [frac]
    import_limit_mw, export_limit_mw
        Grid connection limits (``math.inf`` = none). [MW]
    export_cap_frac_of_production
        Exports over the period ≤ this share of delivered renewable production (Moroccan
        Law 13-09 as amended: 20 %). [frac]
    ppa_volume_cap_mwh
        Upper bound on renewable generation (used + exported) over the period. [MWh]
    bounds
        Capacity bounds.
    year_weight
        Factor that scales the period's operating costs to one year (8760 h / period). [1]
    land_ha_per_unit
        Land per unit of each capacity (keys as :class:`CapacityBounds`), for reporting;
        ``None``: the built-in catalogue's single-axis factors. [ha/MW], [ha/MWh]

    Notes
    -----
    The storage cycle is closed (state of charge at the end = at the start); the battery
    charges only from renewable generation and discharges only into the campus load, as
    in the twin's dispatch.

    *Delivered production* is the renewable energy that reaches the campus or the grid,
    ``Σ (load − import + export)``: what a certificate ledger counts. Both the annual
    policy (delivered ≥ load, i.e. ``Σ export ≥ Σ import``: net-zero grid exchange over
    the year) and the surplus-sale cap (``Σ export ≤ cap · delivered``) use it, so that
    cycling energy through the battery, whose losses are consumed, never earns
    certificates or export rights.
    """

    load_mw: np.ndarray
    solar_cf: np.ndarray
    wind_cf: np.ndarray
    dt_h: float
    costs: TechCosts
    policy: Policy
    grid_clean_share_frac: float = 0.2
    round_trip_efficiency_frac: float = 0.87
    soc_min_frac: float = 0.0
    soc_max_frac: float = 1.0
    import_limit_mw: float = math.inf
    export_limit_mw: float = math.inf
    export_cap_frac_of_production: float = 0.2
    ppa_volume_cap_mwh: float = math.inf
    bounds: CapacityBounds = field(default_factory=CapacityBounds)
    year_weight: float = 1.0
    land_ha_per_unit: dict[str, float] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        n = len(self.load_mw)
        for name in ("solar_cf", "wind_cf"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} steps, load_mw has {n}")

    @property
    def period_h(self) -> float:
        """Length of the modelled period. [h]"""
        return len(self.load_mw) * self.dt_h

    @cached_property
    def load_mwh(self) -> float:
        """Load over the period. [MWh]"""
        return float(np.sum(self.load_mw) * self.dt_h)

    @cached_property
    def available_mwh_per_mw(self) -> tuple[float, float]:
        """PV and wind energy one MW could produce over the period. [MWh/MW]"""
        return float(np.sum(self.solar_cf)) * self.dt_h, float(np.sum(self.wind_cf)) * self.dt_h


@dataclass(frozen=True)
class PlanResult:
    """A solved plan (any solve path).

    Attributes
    ----------
    solar_mw, wind_mw, battery_energy_mwh, battery_power_mw
        Optimal capacities. [MW], [MWh]
    cost_per_yr
        Objective: annualised capex + O&M + grid energy − export revenue. [currency/yr]
    cost_per_mwh
        ``cost_per_yr`` per MWh of yearly load. [currency/MWh]
    hourly_cfe_score_frac, annual_renewable_share_frac
        Achieved shares (from the optimal dispatch). [frac]
    grid_import_mwh, grid_export_mwh, curtailment_mwh
        Over the period. [MWh]
    solve_s
        Wall time of the solve path. [s]
    method
        Which path produced it (``"linopy-highs"``, ``"fast"``, ``"pypsa-highs"``).
    """

    solar_mw: float
    wind_mw: float
    battery_energy_mwh: float
    battery_power_mw: float
    cost_per_yr: float
    cost_per_mwh: float
    hourly_cfe_score_frac: float
    annual_renewable_share_frac: float
    grid_import_mwh: float
    grid_export_mwh: float
    curtailment_mwh: float
    solve_s: float
    method: str
