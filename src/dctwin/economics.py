"""Economics: small typed functions with their textbook definitions, and the campus model.

The finance functions are pure and vectorised over the rate where that makes sense:
:func:`annuity_factor`, :func:`annualised_cost_per_unit`, :func:`npv`, :func:`irr`,
:func:`payback_yr`, :func:`discounted_payback_yr`, :func:`lcoe_per_mwh`,
:func:`depreciation_schedule`.

The campus model turns one :class:`YearInputs` per year (capacity placed in service,
energy bought, GPU-hours delivered, tokens served, TB stored) into a yearly cash-flow
table and its KPIs (:func:`campus_cash_flows`), and gives the steady-state cost per
GPU-hour of one phase's fleet (:func:`phase_cost_per_gpu_h`). Conventions:

* constant (real) prices in USD; cash flows at year ends, the first year is ``t = 0``
  and is not discounted (Brealey–Myers);
* capex is paid ``capex_lead_yr`` years before an asset's first year of service (the table
  starts with that construction year); straight-line depreciation from the first year of
  service over the asset's life; with ``replace_at_end_of_life`` every asset is bought
  again when its life ends inside the horizon;
* the *cost per GPU-hour* is the annualised cost (capital recovery of the assets in
  service at the campus WACC + the year's opex, before tax) divided by the GPU-hours
  delivered; the *cost per million tokens* is the inference share of that cost (its share
  of GPU-hours) divided by the tokens served.

References
----------
Brealey, Myers & Allen, *Principles of Corporate Finance*, 13th ed., ch. 2 (annuities, NPV),
ch. 5 (IRR, payback).
PyPSA ``pypsa.costs`` / technology-data: annualised capex = capex × (annuity + FOM).
NREL, "Simple Levelized Cost of Energy (LCOE) Calculator Documentation" (sLCOE =
(capex · CRF + fixed O&M) / (8760 · CF) + variable O&M).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from dctwin.scenario.economics import GPU_HOUR_PRODUCTS, CampusEconomics, ServiceCatalogue
from dctwin.scenario.planning import CostAssumptions

__all__ = [
    "ASSET_CLASSES",
    "SENSITIVITY_DRIVERS",
    "CostBreakdown",
    "EconomicsResult",
    "YearInputs",
    "annualised_cost_per_unit",
    "annuity_factor",
    "asset_lives_yr",
    "campus_cash_flows",
    "capex_lines",
    "depreciation_schedule",
    "discounted_payback_yr",
    "energy_costs_usd",
    "irr",
    "lcoe_per_mwh",
    "npv",
    "payback_yr",
    "phase_cost_per_gpu_h",
    "placed_capex_usd",
    "sensitivity_table",
]

ASSET_CLASSES = (
    "it",
    "network",
    "power_cooling",
    "building",
    "solar",
    "wind",
    "battery_storage",
    "battery_inverter",
)
"""Capex classes, each with its own life and maintenance rate."""
_ENERGY_CLASSES = ASSET_CLASSES[4:]
_REPLACED = ASSET_CLASSES  # every asset whose life ends inside the horizon is bought again


# ----------------------------------------------------------------- finance formulas
def annuity_factor(wacc_frac: float, lifetime_yr: float) -> float:
    """Capital recovery factor: the share of an investment repaid each year.

    Parameters
    ----------
    wacc_frac
        Discount rate (weighted average cost of capital). [frac/yr]
    lifetime_yr
        Economic lifetime. [yr]

    Returns
    -------
    float
        Annuity factor. [1/yr]

    Notes
    -----
    :math:`a = r / (1 - (1+r)^{-n})`, and :math:`1/n` when :math:`r = 0`.

    Examples
    --------
    >>> round(annuity_factor(0.07, 25), 4)   # PyPSA's doctest value
    0.0858
    >>> annuity_factor(0.0, 20)
    0.05
    """
    return float(_crf(wacc_frac, lifetime_yr))


def annualised_cost_per_unit(
    capex_per_unit: float, fom_frac_per_yr: float, wacc_frac: float, lifetime_yr: float
) -> float:
    """Yearly cost of one unit of capacity: capital recovery plus fixed O&M.

    Parameters
    ----------
    capex_per_unit
        Overnight investment per unit (e.g. per MW or per MWh). [currency/unit]
    fom_frac_per_yr
        Fixed O&M as a share of capex per year. [frac/yr]
    wacc_frac
        Discount rate. [frac/yr]
    lifetime_yr
        Economic lifetime. [yr]

    Returns
    -------
    float
        Annualised cost. [currency/unit/yr]

    Examples
    --------
    >>> round(annualised_cost_per_unit(571_000, 0.0229, 0.07, 40))  # energy.md §4.3: 55.9 k€/MW/yr
    55906
    """
    return capex_per_unit * (annuity_factor(wacc_frac, lifetime_yr) + fom_frac_per_yr)


def _flows(cash_flows: ArrayLike) -> np.ndarray:
    flows = np.asarray(cash_flows, dtype=float)
    if flows.ndim != 1 or flows.size == 0 or not np.all(np.isfinite(flows)):
        raise ValueError("cash_flows must be a non-empty 1-D sequence of finite numbers, one per year")
    return flows


def npv(rate_frac: ArrayLike, cash_flows: ArrayLike) -> Any:
    """Net present value of yearly cash flows, the first one undiscounted.

    Parameters
    ----------
    rate_frac
        Discount rate; an array gives one NPV per rate. [frac/yr]
    cash_flows
        Cash flow of years 0, 1, …, n (negative = spent). [currency]

    Returns
    -------
    float or numpy.ndarray
        :math:`\\sum_t CF_t / (1+r)^t`. [currency]

    Examples
    --------
    >>> round(npv(0.10, [-100.0, 60.0, 60.0]), 2)   # Brealey–Myers style two-year project
    4.13
    >>> npv([0.0, 0.1], [-100.0, 60.0, 60.0]).round(2).tolist()
    [20.0, 4.13]
    """
    flows = _flows(cash_flows)
    rate = np.asarray(rate_frac, dtype=float)
    if np.any(rate <= -1.0):
        raise ValueError(f"rate_frac must be > -1 (a fraction per year), got {rate_frac!r}")
    discount = (1.0 + rate[..., None]) ** -np.arange(flows.size)
    out = (flows * discount).sum(axis=-1)
    return float(out) if out.ndim == 0 else out


_IRR_GRID = np.concatenate([np.linspace(-0.99, 1.0, 800), np.geomspace(1.0, 1000.0, 200)[1:]])


def irr(cash_flows: ArrayLike) -> float:
    """Internal rate of return: the discount rate at which the NPV is zero.

    Parameters
    ----------
    cash_flows
        Cash flow of years 0, 1, …, n. [currency]

    Returns
    -------
    float
        The lowest root of :func:`npv` above −99 %/yr (for a conventional stream — outflows
        then inflows — the only one). [frac/yr]

    Raises
    ------
    ValueError
        If the flows never change sign, or the NPV has no root between −99 % and
        100,000 %/yr: the IRR is undefined; report the NPV instead.

    Notes
    -----
    The NPV is scanned on a grid of rates for a sign change, and the first bracket is
    solved with Brent's method (``scipy.optimize.brentq``, tolerance 1e-12).

    Examples
    --------
    >>> round(irr([-100.0, 60.0, 60.0]), 4)
    0.1307
    """
    flows = _flows(cash_flows)
    if not (np.any(flows > 0) and np.any(flows < 0)):
        raise ValueError(
            "cash flows never change sign, so the IRR is undefined; it needs at least one outflow "
            "(negative) and one inflow (positive) — report the NPV instead"
        )
    values = np.asarray(npv(_IRR_GRID, flows))
    brackets = np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) <= 0)
    if brackets.size == 0:
        raise ValueError(
            "the NPV of these cash flows has no root between -99 % and 100,000 %/yr, so the IRR is "
            "undefined; report the NPV instead"
        )
    lo, hi = _IRR_GRID[brackets[0]], _IRR_GRID[brackets[0] + 1]
    return float(brentq(lambda r: float(npv(r, flows)), lo, hi, xtol=1e-12))


def payback_yr(cash_flows: ArrayLike) -> float:
    """Simple payback: when the cumulative cash flow first turns non-negative.

    Parameters
    ----------
    cash_flows
        Cash flow of years 0, 1, …, n, each at its year end. [currency]

    Returns
    -------
    float
        Years from ``t = 0``, interpolated linearly inside the year of the crossing;
        ``inf`` if it never pays back. [yr]

    Examples
    --------
    >>> round(payback_yr([-100.0, 60.0, 60.0]), 3)   # 1 + 40/60
    1.667
    >>> payback_yr([-100.0, 10.0])
    inf
    """
    flows = _flows(cash_flows)
    cumulative = np.cumsum(flows)
    if cumulative[0] >= 0:
        return 0.0
    crossed = np.flatnonzero(cumulative >= 0)
    if crossed.size == 0:
        return math.inf
    k = int(crossed[0])
    return float(k - 1 + -cumulative[k - 1] / flows[k])


def discounted_payback_yr(rate_frac: float, cash_flows: ArrayLike) -> float:
    """Discounted payback: :func:`payback_yr` of the cash flows discounted at ``rate_frac``.

    Parameters
    ----------
    rate_frac
        Discount rate. [frac/yr]
    cash_flows
        Cash flow of years 0, 1, …, n. [currency]

    Returns
    -------
    float
        Years from ``t = 0``; ``inf`` if the discounted flows never pay back. [yr]

    Examples
    --------
    >>> round(discounted_payback_yr(0.10, [-100.0, 60.0, 60.0]), 3)   # 1 + 45.45/49.59
    1.917
    """
    flows = _flows(cash_flows)
    return payback_yr(flows * (1.0 + rate_frac) ** -np.arange(flows.size))


def _crf(wacc_frac: ArrayLike, lifetime_yr: ArrayLike) -> np.ndarray:
    r = np.asarray(wacc_frac, dtype=float)
    n = np.asarray(lifetime_yr, dtype=float)
    if np.any(n <= 0):
        raise ValueError(f"lifetime_yr must be > 0, got {lifetime_yr!r} yr")
    safe = np.where(r == 0, 1.0, r)
    return np.where(r == 0, 1.0 / n, safe / (1.0 - (1.0 + safe) ** -n))


def lcoe_per_mwh(
    capex: ArrayLike,
    fixed_opex_per_yr: ArrayLike,
    variable_opex_per_mwh: ArrayLike,
    energy_mwh_per_yr: ArrayLike,
    wacc_frac: ArrayLike,
    lifetime_yr: ArrayLike,
) -> Any:
    """Levelised cost of energy of a plant with constant yearly output.

    Parameters
    ----------
    capex
        Overnight investment. [currency]
    fixed_opex_per_yr
        Fixed O&M per year. [currency/yr]
    variable_opex_per_mwh
        Variable O&M (and fuel) per MWh. [currency/MWh]
    energy_mwh_per_yr
        Energy delivered per year (8760 h × capacity × capacity factor). [MWh/yr]
    wacc_frac
        Discount rate. [frac/yr]
    lifetime_yr
        Economic lifetime. [yr]

    Returns
    -------
    float or numpy.ndarray
        LCOE (broadcast over array inputs). [currency/MWh]

    Notes
    -----
    NREL's simple LCOE: :math:`(C \\cdot CRF(r, n) + F) / E + V`.

    Examples
    --------
    >>> round(lcoe_per_mwh(571_000, 0.0229 * 571_000, 0.0, 8760 * 0.267, 0.07, 40), 1)  # energy.md §4.3
    23.9
    """
    energy = np.asarray(energy_mwh_per_yr, dtype=float)
    if np.any(energy <= 0):
        raise ValueError(f"energy_mwh_per_yr must be > 0, got {energy_mwh_per_yr!r} MWh/yr")
    yearly = np.asarray(capex, dtype=float) * _crf(wacc_frac, lifetime_yr) + np.asarray(fixed_opex_per_yr)
    out = yearly / energy + np.asarray(variable_opex_per_mwh, dtype=float)
    return float(out) if out.ndim == 0 else out


def depreciation_schedule(capex_by_year: ArrayLike, life_yr: float, horizon_yr: int) -> np.ndarray:
    """Straight-line depreciation of capex placed in service year by year.

    Parameters
    ----------
    capex_by_year
        Capex placed in service in years 0, 1, … (at most ``horizon_yr`` of them). [currency]
    life_yr
        Depreciation life; a fractional last year takes the remainder. [yr]
    horizon_yr
        Years of the schedule. [yr]

    Returns
    -------
    numpy.ndarray
        Depreciation charged in each year 0 … ``horizon_yr`` − 1, starting the year an asset
        is placed; it sums to the capex whose life ends inside the horizon. [currency/yr]

    Examples
    --------
    >>> depreciation_schedule([120.0, 0.0, 60.0], 3.0, 5).tolist()
    [40.0, 40.0, 60.0, 20.0, 20.0]
    >>> depreciation_schedule([100.0], 2.5, 4).tolist()
    [40.0, 40.0, 20.0, 0.0]
    """
    capex = np.asarray(capex_by_year, dtype=float)
    if life_yr <= 0:
        raise ValueError(f"life_yr must be > 0, got {life_yr} yr")
    if capex.ndim != 1 or capex.size > horizon_yr:
        raise ValueError(
            f"capex_by_year needs at most horizon_yr = {horizon_yr} yearly values, got {capex.size}"
        )
    out = np.zeros(horizon_yr)
    whole = math.floor(life_yr)
    for offset in range(math.ceil(life_yr)):
        share = 1.0 if offset < whole else life_yr - whole
        idx = np.arange(capex.size) + offset
        keep = idx < horizon_yr
        np.add.at(out, idx[keep], capex[keep] / life_yr * share)
    return out


# ----------------------------------------------------------------- campus inputs
@dataclass(frozen=True)
class YearInputs:
    """Plain inputs of one year of the campus (from a twin run, a plan or by hand).

    Attributes
    ----------
    year
        Calendar year.
    racks_added
        Racks placed in service this year, by hardware catalogue name. [rack]
    it_mw_added
        Critical IT capacity placed in service this year (racks × IT power per rack). [MW]
    liquid_cooled_frac
        Share of the heat of ``it_mw_added`` removed by liquid (the catalogue's
        ``liquid_cooled_frac``); scales the liquid-cooling premium. [frac]
    solar_ac_mw_added, wind_mw_added, battery_power_mw_added, battery_energy_mwh_added
        Energy assets placed in service this year (capex only when ``energy_supply =
        "owned"``; always used for the LCOE of the supply). [MW], [MWh]
    solar_mounting
        ``"single_axis"`` or ``"fixed"`` (selects the PV cost row).
    gpu_h_delivered
        GPU-hours delivered to customers this year, by hardware. [GPU·h]
    gpu_h_installed
        GPU-hours installed this year (GPUs × 8760 h); 0 = unknown. Caps the utilisation
        sensitivity at ``services.max_utilisation_frac``. [GPU·h]
    product_shares
        Measured share of the GPU-hours per product (``reserved``, ``on_demand``, ``spot``,
        ``managed_training``, ``inference``); empty = the catalogue's mix. [frac]
    input_tokens, output_tokens
        Tokens served by the inference endpoints. [token]
    slo_attainment_frac
        Share of inference requests that met the TTFT SLO (drives the SLA credit). [frac]
    storage_tb
        Mean TB stored by customers over the year. [TB]
    ppa_mwh
        Renewable energy delivered under the PPA or by owned assets (used, stored or
        exported). [MWh]
    grid_import_mwh, grid_export_mwh
        Grid energy bought and surplus sold. [MWh]
    solar_mwh, wind_mwh
        Generation available from owned plant (variable O&M when owned). [MWh]
    """

    year: int
    racks_added: Mapping[str, int] = field(default_factory=dict)
    it_mw_added: float = 0.0
    liquid_cooled_frac: float = 0.0
    solar_ac_mw_added: float = 0.0
    wind_mw_added: float = 0.0
    battery_power_mw_added: float = 0.0
    battery_energy_mwh_added: float = 0.0
    solar_mounting: str = "single_axis"
    gpu_h_delivered: Mapping[str, float] = field(default_factory=dict)
    gpu_h_installed: float = 0.0
    product_shares: Mapping[str, float] = field(default_factory=dict)
    input_tokens: float = 0.0
    output_tokens: float = 0.0
    slo_attainment_frac: float = 1.0
    storage_tb: float = 0.0
    ppa_mwh: float = 0.0
    grid_import_mwh: float = 0.0
    grid_export_mwh: float = 0.0
    solar_mwh: float = 0.0
    wind_mwh: float = 0.0

    def operation_only(self, year: int) -> YearInputs:
        """The same operation in another year, with nothing new placed in service."""
        return dataclasses.replace(
            self, year=year, racks_added={}, it_mw_added=0.0, solar_ac_mw_added=0.0, wind_mw_added=0.0,
            battery_power_mw_added=0.0, battery_energy_mwh_added=0.0,
        )  # fmt: skip


@dataclass(frozen=True)
class CostBreakdown:
    """Annualised cost per GPU-hour and per million tokens, by item.

    Attributes
    ----------
    cost_usd_per_yr
        Annualised cost by item (``capital_*``, ``energy_*``, ``staff``, ``maintenance``, ``wan``,
        ``insurance``, ``land``). [USD/yr]
    gpu_h_per_yr
        GPU-hours delivered. [GPU·h/yr]
    inference_frac
        Share of the GPU-hours serving inference. [frac]
    tokens_per_yr
        Tokens served. [token/yr]
    """

    cost_usd_per_yr: Mapping[str, float]
    gpu_h_per_yr: float
    inference_frac: float
    tokens_per_yr: float

    @property
    def total_usd_per_yr(self) -> float:
        """Total annualised cost. [USD/yr]"""
        return float(sum(self.cost_usd_per_yr.values()))

    @property
    def per_gpu_h_usd(self) -> dict[str, float]:
        """Cost per GPU-hour by item. [USD/GPU/h]"""
        gpu_h = self.gpu_h_per_yr
        return {k: v / gpu_h if gpu_h > 0 else math.nan for k, v in self.cost_usd_per_yr.items()}

    @property
    def cost_usd_per_gpu_h(self) -> float:
        """Total cost per GPU-hour delivered. [USD/GPU/h]"""
        return self.total_usd_per_yr / self.gpu_h_per_yr if self.gpu_h_per_yr > 0 else math.nan

    @property
    def cost_usd_per_mtok(self) -> float:
        """Inference share of the cost per million tokens served. [USD/Mtok]"""
        if self.tokens_per_yr <= 0:
            return math.nan
        return self.total_usd_per_yr * self.inference_frac / (self.tokens_per_yr / 1e6)

    def __repr__(self) -> str:
        return (
            f"CostBreakdown({self.cost_usd_per_gpu_h:.3f} USD/GPU-h over {self.gpu_h_per_yr:,.0f} GPU-h, "
            f"{self.cost_usd_per_mtok:.3f} USD/Mtok)"
        )


# ----------------------------------------------------------------- capex and lives
def energy_costs_usd(amount: float, economics: CampusEconomics, energy_costs: CostAssumptions) -> float:
    """An amount of the energy catalogue (its currency and price year) in model USD.

    EUR of ``energy_costs.currency_year`` are first brought to ``economics.currency_year``
    with the euro-area inflation of ``economics.fx.eur_inflation_frac``, then converted at
    ``usd_per_eur`` (real prices throughout).

    Parameters
    ----------
    amount
        In the energy catalogue's currency and price year. [EUR or USD]
    economics
        The model's price year and FX rates.
    energy_costs
        The energy catalogue (its ``currency`` and ``currency_year``).

    Returns
    -------
    float
        The amount in constant USD of ``economics.currency_year``. [USD]
    """
    if energy_costs.currency == "EUR":
        amount *= economics.fx.eur_price_factor(energy_costs.currency_year, economics.currency_year)
    return economics.fx.to_usd(amount, energy_costs.currency)


@dataclass(frozen=True)
class CapexLine:
    """One line of what a year places in service: quantity × unit cost × factor.

    Attributes
    ----------
    asset_class
        One of :data:`ASSET_CLASSES`.
    item
        What is bought, e.g. ``"gb200-nvl72 racks"``.
    quantity
        How many, in ``unit`` (racks, MW IT, MW AC, MWh, USD of racks).
    unit
        Unit of ``quantity``.
    unit_cost_usd
        Cost of one ``unit``. [USD/unit]
    factor
        Adjustments (liquid-cooling premium, soft costs, fabric share of rack capex). [1]
    sources
        ``(catalogue file, dotted key, value used)`` of every input of the line, first the
        unit cost's.
    note
        How the factor or the zero cost comes about, in words (empty if nothing to say).
    """

    asset_class: str
    item: str
    quantity: float
    unit: str
    unit_cost_usd: float
    factor: float
    sources: tuple[tuple[str, str, float], ...]
    note: str = ""

    @property
    def capex_usd(self) -> float:
        """quantity × unit cost × factor. [USD]"""
        return self.quantity * self.unit_cost_usd * self.factor


_CAMPUS_COSTS, _ENERGY_COSTS = "campus_costs.toml", "costs.toml"


def capex_lines(
    year: YearInputs, economics: CampusEconomics, energy_costs: CostAssumptions, *, owned: bool | None = None
) -> list[CapexLine]:
    """What a year places in service, line by line (the one place capex is computed).

    Parameters
    ----------
    year
        The placement: racks by hardware [rack], IT MW [MW], energy assets [MW, MWh].
    economics
        Rack prices, facility costs per IT MW, energy supply (owned or PPA), FX.
    energy_costs
        The energy catalogue (PV, wind, battery capex per kW or kWh, its currency and year).
    owned
        Whether the energy assets are the campus's; default ``economics.energy_supply ==
        "owned"``. With a PPA they are the supplier's and cost the campus nothing up front.

    Returns
    -------
    list of CapexLine
        Racks per hardware, storage, fabric, M&E and building per IT MW, then the energy
        assets placed (with a zero unit cost under a PPA).
    """
    fac = economics.facility
    racks = {hw: n for hw, n in sorted(year.racks_added.items()) if n}
    lines = [
        CapexLine("it", f"{hw} racks", float(n), "rack", economics.rack_usd(hw), 1.0,
                  ((_CAMPUS_COSTS, f"hardware.{hw}.rack_usd", economics.rack_usd(hw)),))
        for hw, n in racks.items()
    ]  # fmt: skip
    rack_capex = sum(line.capex_usd for line in lines)
    lines.append(
        CapexLine("it", "storage per rack", float(sum(racks.values())), "rack", fac.storage_usd_per_rack, 1.0,
                  ((_CAMPUS_COSTS, "facility.storage_usd_per_rack", fac.storage_usd_per_rack),))
    )  # fmt: skip
    lines.append(
        CapexLine("network", "scale-out fabric", rack_capex, "USD of racks", 1.0,
                  fac.network_frac_of_it_capex,
                  ((_CAMPUS_COSTS, "facility.network_frac_of_it_capex", fac.network_frac_of_it_capex),),
                  "factor: fabric share of the rack capex")
    )  # fmt: skip
    factor = (1.0 + fac.liquid_cooling_premium_frac * year.liquid_cooled_frac) * (1.0 + fac.soft_cost_frac)
    note = (
        f"factor (1 + {fac.liquid_cooling_premium_frac:g} liquid premium × {year.liquid_cooled_frac:.3f} "
        f"liquid-cooled) × (1 + {fac.soft_cost_frac:g} soft costs)"
    )
    adjust = (
        (_CAMPUS_COSTS, "facility.liquid_cooling_premium_frac", fac.liquid_cooling_premium_frac),
        (_CAMPUS_COSTS, "facility.soft_cost_frac", fac.soft_cost_frac),
    )
    for cls, key, label in (
        ("power_cooling", "power_cooling_usd_per_it_mw", "power and cooling (M&E)"),
        ("building", "building_usd_per_it_mw", "shell, site and offices"),
    ):
        usd = float(getattr(fac, key))
        sources = ((_CAMPUS_COSTS, f"facility.{key}", usd), *adjust)
        lines.append(CapexLine(cls, label, year.it_mw_added, "MW IT", usd, factor, sources, note))
    own = economics.energy_supply == "owned" if owned is None else owned
    usd_per_k = energy_costs_usd(1.0, economics, energy_costs) * 1000.0  # per kW(h) → per MW(h)
    mounting, y = year.solar_mounting, year
    solar = energy_costs.solar(mounting)
    for cls, item, qty, unit, table, key, per_k in (
        ("solar", f"PV ({mounting})", y.solar_ac_mw_added, "MW AC", f"solar_{mounting}", "capex_per_kw",
         solar.capex_per_kw),
        ("wind", "onshore wind", y.wind_mw_added, "MW", "onwind", "capex_per_kw",
         energy_costs.onwind.capex_per_kw),
        ("battery_storage", "battery energy", y.battery_energy_mwh_added, "MWh", "battery_storage",
         "capex_per_kwh", energy_costs.battery_storage.capex_per_kwh),
        ("battery_inverter", "battery power", y.battery_power_mw_added, "MW", "battery_inverter",
         "capex_per_kw", energy_costs.battery_inverter.capex_per_kw),
    ):  # fmt: skip
        if qty <= 0:
            continue
        note = "" if own else "PPA: the supplier's asset (economics.energy_supply = 'ppa')"
        unit_usd = per_k * usd_per_k if own else 0.0
        lines.append(
            CapexLine(cls, item, qty, unit, unit_usd, 1.0, ((_ENERGY_COSTS, f"{table}.{key}", per_k),), note)
        )
    return lines


def placed_capex_usd(
    year: YearInputs, economics: CampusEconomics, energy_costs: CostAssumptions, *, owned: bool | None = None
) -> dict[str, float]:
    """Capex of what a year places in service, by asset class: the :func:`capex_lines` summed.

    Parameters
    ----------
    year, economics, energy_costs, owned
        As :func:`capex_lines`.

    Returns
    -------
    dict
        Asset class (every one of :data:`ASSET_CLASSES`) → capex. [USD]
    """
    out = dict.fromkeys(ASSET_CLASSES, 0.0)
    for line in capex_lines(year, economics, energy_costs, owned=owned):
        out[line.asset_class] += line.capex_usd
    return out


def asset_lives_yr(
    economics: CampusEconomics, energy_costs: CostAssumptions, solar_mounting: str = "single_axis"
) -> dict[str, float]:
    """Life of each asset class: campus classes from ``economics``, energy from ``costs``.

    Parameters
    ----------
    economics
        Campus asset lives (IT, network, M&E, building).
    energy_costs
        Energy asset lifetimes (PV by mounting, wind, battery storage and inverter).
    solar_mounting
        ``"single_axis"`` or ``"fixed"``.

    Returns
    -------
    dict
        Asset class → life. [yr]
    """
    lives = economics.lives
    return {
        "it": lives.it_yr,
        "network": lives.network_yr,
        "power_cooling": lives.power_cooling_yr,
        "building": lives.building_yr,
        "solar": energy_costs.solar(solar_mounting).lifetime_yr,
        "wind": energy_costs.onwind.lifetime_yr,
        "battery_storage": energy_costs.battery_storage.lifetime_yr,
        "battery_inverter": energy_costs.battery_inverter.lifetime_yr,
    }


def _maintenance_frac(
    economics: CampusEconomics, energy_costs: CostAssumptions, mounting: str
) -> dict[str, float]:
    o = economics.opex
    return {
        "it": o.maintenance_it_frac_per_yr,
        "network": o.maintenance_network_frac_per_yr,
        "power_cooling": o.maintenance_power_cooling_frac_per_yr,
        "building": o.maintenance_building_frac_per_yr,
        "solar": energy_costs.solar(mounting).fom_frac_per_yr,
        "wind": energy_costs.onwind.fom_frac_per_yr,
        "battery_storage": energy_costs.battery_storage.fom_frac_per_yr,
        "battery_inverter": energy_costs.battery_inverter.fom_frac_per_yr,
    }


# ----------------------------------------------------------------- yearly cost items
@dataclass(frozen=True)
class _Context:
    economics: CampusEconomics
    catalogue: ServiceCatalogue
    energy_costs: CostAssumptions
    lives_yr: Mapping[str, float]
    maintenance_frac: Mapping[str, float]

    @classmethod
    def of(
        cls, economics: CampusEconomics, catalogue: ServiceCatalogue, costs: CostAssumptions, mounting: str
    ) -> _Context:
        lives = asset_lives_yr(economics, costs, mounting)
        return cls(economics, catalogue, costs, lives, _maintenance_frac(economics, costs, mounting))

    def eur_usd(self, amount: float) -> float:
        return energy_costs_usd(amount, self.economics, self.energy_costs)

    def mad_usd(self, amount: float) -> float:
        return self.economics.fx.to_usd(amount, "MAD")


def _energy_opex_usd(year: YearInputs, ctx: _Context) -> dict[str, float]:
    costs, owned = ctx.energy_costs, ctx.economics.energy_supply == "owned"
    ppa_eur = 0.0 if owned else year.ppa_mwh * ctx.economics.opex.ppa_price_eur_per_mwh
    vom = (
        year.wind_mwh * costs.onwind.vom_per_mwh
        + year.solar_mwh * costs.solar(year.solar_mounting).vom_per_mwh
    )
    return {
        "energy_ppa": ctx.economics.fx.to_usd(ppa_eur, "EUR"),
        "energy_grid": ctx.eur_usd(year.grid_import_mwh * costs.grid.import_price_per_mwh),
        "energy_vom": ctx.eur_usd(vom) if owned else 0.0,
    }


def _annual_cost_usd(
    in_service_usd: Mapping[str, float],
    it_mw: float,
    year: YearInputs,
    ctx: _Context,
    fixed_staff: bool = True,
) -> dict[str, float]:
    """Annualised cost of a year: capital recovery of the assets in service plus opex. [USD/yr]"""
    wacc = ctx.economics.wacc_frac
    capital = {c: in_service_usd.get(c, 0.0) * annuity_factor(wacc, ctx.lives_yr[c]) for c in ASSET_CLASSES}
    o = ctx.economics.opex
    fte = (o.staff_fte_fixed if fixed_staff and it_mw > 0 else 0.0) + o.staff_fte_per_it_mw * it_mw
    gross = sum(in_service_usd.values())
    return {
        "capital_it": capital["it"],
        "capital_network": capital["network"],
        "capital_power_cooling": capital["power_cooling"],
        "capital_building": capital["building"],
        "capital_energy_assets": sum(capital[c] for c in _ENERGY_CLASSES),
        **_energy_opex_usd(year, ctx),
        "staff": ctx.mad_usd(fte * o.staff_cost_mad_per_fte_yr),
        "maintenance": sum(in_service_usd.get(c, 0.0) * ctx.maintenance_frac[c] for c in ASSET_CLASSES),
        "insurance": gross * o.insurance_frac_per_yr,
        "land": ctx.mad_usd(it_mw * o.land_ha_per_it_mw * o.land_lease_mad_per_ha_yr),
        "wan": it_mw * o.wan_gbps_per_it_mw * o.wan_usd_per_gbps_month * 12.0,
        "sales_admin": o.sales_admin_frac_of_revenue * sum(_revenue_usd(year, ctx).values()),
    }


def _product_shares(year: YearInputs, catalogue: ServiceCatalogue) -> dict[str, float]:
    if not year.product_shares:
        return catalogue.mix.shares()
    shares = {p: float(year.product_shares.get(p, 0.0)) for p in (*GPU_HOUR_PRODUCTS, "inference")}
    unknown = set(year.product_shares) - set(shares)
    if unknown or abs(sum(shares.values()) - 1.0) > 1e-6:
        raise ValueError(
            f"year {year.year}: product_shares must use {sorted(shares)} and sum to 1, got "
            f"{dict(year.product_shares)}; rescale them or leave them empty for the catalogue mix"
        )
    return shares


def _revenue_usd(year: YearInputs, ctx: _Context) -> dict[str, float]:
    cat = ctx.catalogue
    shares = _product_shares(year, cat)
    out = {
        f"gpu_hour_{p}" if p != "managed_training" else p: sum(
            h * shares[p] * cat.price_usd_per_gpu_h(p, hw) for hw, h in year.gpu_h_delivered.items() if h
        )
        for p in GPU_HOUR_PRODUCTS
    }
    inf = cat.inference
    gross = (year.input_tokens * inf.input_usd_per_mtok + year.output_tokens * inf.output_usd_per_mtok) / 1e6
    out["inference"] = gross * (1.0 - inf.credit_frac(year.slo_attainment_frac))
    out["sovereign_storage"] = year.storage_tb * cat.storage.usd_per_tb_month * 12.0
    out["energy_export"] = ctx.eur_usd(year.grid_export_mwh * ctx.energy_costs.grid.export_price_per_mwh)
    return out


def _breakdown(
    in_service: Mapping[str, float], it_mw: float, year: YearInputs, ctx: _Context, fixed_staff: bool = True
) -> CostBreakdown:
    gpu_h = float(sum(year.gpu_h_delivered.values()))
    inference = _product_shares(year, ctx.catalogue)["inference"]
    cost = _annual_cost_usd(in_service, it_mw, year, ctx, fixed_staff)
    return CostBreakdown(cost, gpu_h, inference, year.input_tokens + year.output_tokens)


def phase_cost_per_gpu_h(
    phase: YearInputs,
    economics: CampusEconomics,
    catalogue: ServiceCatalogue,
    energy_costs: CostAssumptions,
    *,
    include_fixed_staff: bool = True,
) -> CostBreakdown:
    """Steady-state cost per GPU-hour of one phase's fleet.

    Parameters
    ----------
    phase
        What the phase places in service (``racks_added``, ``it_mw_added``, energy assets)
        and one steady year of its operation (GPU-hours, energy, tokens).
    economics, catalogue, energy_costs
        Campus costs, the service catalogue (product mix) and the energy costs.
    include_fixed_staff
        Charge the campus's fixed staff to this phase (a phase seen as a stand-alone site).

    Returns
    -------
    CostBreakdown
        Capital recovery of the phase's capex at the campus WACC over each asset's life,
        plus its yearly opex, per GPU-hour delivered and per million tokens.
    """
    ctx = _Context.of(economics, catalogue, energy_costs, phase.solar_mounting)
    capex = placed_capex_usd(phase, economics, energy_costs)
    return _breakdown(capex, phase.it_mw_added, phase, ctx, include_fixed_staff)


# ----------------------------------------------------------------- campus cash flows
def _horizon(years: Sequence[YearInputs], horizon_yr: int) -> list[YearInputs]:
    """One input per year of the horizon: gaps and the tail repeat the last operation."""
    if not years:
        raise ValueError("campus_cash_flows needs at least one YearInputs")
    first = years[0].year
    by_year = {y.year: y for y in years}
    if len(by_year) != len(years) or sorted(by_year) != [y.year for y in years]:
        raise ValueError(f"years must be distinct and in order, got {[y.year for y in years]}")
    if years[-1].year - first >= horizon_yr:
        raise ValueError(
            f"inputs run to {years[-1].year} but economics.horizon_yr = {horizon_yr} ends in "
            f"{first + horizon_yr - 1}; raise horizon_yr or drop the later years"
        )
    out: list[YearInputs] = []
    for t in range(horizon_yr):
        given = by_year.get(first + t)
        out.append(given if given is not None else out[-1].operation_only(first + t))
    return out


def _placements(years: list[YearInputs], ctx: _Context) -> dict[str, np.ndarray]:
    """Capex placed per class and year, replacements included. [USD]"""
    n = len(years)
    placed = {c: np.zeros(n) for c in ASSET_CLASSES}
    for t, y in enumerate(years):
        for c, v in placed_capex_usd(y, ctx.economics, ctx.energy_costs).items():
            placed[c][t] += v
    if ctx.economics.replace_at_end_of_life:
        for c in _REPLACED:
            step = math.ceil(ctx.lives_yr[c])
            for t in range(step, n):
                placed[c][t] += placed[c][t - step]
    return placed


def _in_service(placed: np.ndarray, life_yr: float) -> np.ndarray:
    """Gross value in service each year: capex placed within the last ``ceil(life)`` years."""
    window = math.ceil(life_yr)
    cumulative = np.cumsum(placed)
    return cumulative - np.concatenate([np.zeros(window), cumulative[:-window]])[: placed.size]


def _tax_usd(taxable: np.ndarray, economics: CampusEconomics) -> np.ndarray:
    tax, losses = np.zeros(taxable.size), 0.0
    for t, income in enumerate(taxable):
        if economics.loss_carryforward:
            used = min(losses, max(income, 0.0))
            losses += max(-income, 0.0) - used
            income -= used
        tax[t] = economics.tax_rate_frac * max(income, 0.0)
    return tax


def _terminal_usd(normalised_fcf_usd: float, book_value: float, economics: CampusEconomics) -> float:
    """Value at the horizon end: book value, a Gordon perpetuity of the normalised FCF, or 0.

    The perpetuity grows the last year's free cash flow *normalised* for replacement: its
    capex (which the last years never hold, capex being paid ``capex_lead_yr`` ahead) is
    replaced by the steady re-buy of everything in service, Σ gross value ÷ life.
    """
    if economics.terminal_value == "book_value":
        return book_value
    if economics.terminal_value == "perpetuity":
        g, r = economics.terminal_growth_frac, economics.wacc_frac
        return float(normalised_fcf_usd * (1.0 + g) / (r - g))
    return 0.0


def _frame(rows: dict[str, np.ndarray | list[float]], years: list[YearInputs]) -> pd.DataFrame:
    frame = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in rows.items()})
    frame.insert(0, "year", [y.year for y in years])
    return frame


@dataclass(frozen=True)
class EconomicsResult:
    """Yearly cash flows of the campus and their KPIs.

    Attributes
    ----------
    table
        One row per year: ``capex_<class>_usd``, ``opex_<item>_usd``,
        ``revenue_<product>_usd``, totals, ``ebitda_usd``, ``depreciation_usd``,
        ``tax_usd``, ``terminal_value_usd``, ``free_cash_flow_usd``, ``cumulative_cash_usd``,
        ``gpu_h_delivered``, ``annualised_cost_usd``, ``cost_usd_per_gpu_h``.
    npv_usd
        NPV of the free cash flows (terminal value included) at the campus WACC. [USD]
    irr_frac
        IRR of the same flows; NaN where undefined. [frac/yr]
    payback_yr, discounted_payback_yr
        Years from the first row (the first construction year) until the cumulative
        (discounted) cash flow, terminal value excluded, turns non-negative; ``inf`` if
        never. [yr]
    lcoe_renewables_usd_per_mwh
        LCOE of the renewable assets in service in the last year (technology-data costs at
        ``costs.wacc_frac``) over the renewable energy delivered that year. [USD/MWh]
    supply_cost_usd_per_mwh
        What the campus pays per MWh consumed in the last year (PPA or owned assets, grid,
        less exports). [USD/MWh]
    cost
        The whole run: Σ annualised cost ÷ Σ GPU-hours, by item, and per million tokens.
    """

    table: pd.DataFrame
    npv_usd: float
    irr_frac: float
    payback_yr: float
    discounted_payback_yr: float
    lcoe_renewables_usd_per_mwh: float
    supply_cost_usd_per_mwh: float
    cost: CostBreakdown

    def summary(self) -> dict[str, float]:
        """Unit-named KPIs (JSON-ready floats)."""
        t = self.table
        return {
            "npv_usd": self.npv_usd,
            "irr_frac": self.irr_frac,
            "payback_yr": self.payback_yr,
            "discounted_payback_yr": self.discounted_payback_yr,
            "capex_usd": float(t["capex_usd"].sum()),
            "revenue_usd": float(t["revenue_usd"].sum()),
            "cost_usd_per_gpu_h": self.cost.cost_usd_per_gpu_h,
            "cost_usd_per_mtok": self.cost.cost_usd_per_mtok,
            "lcoe_renewables_usd_per_mwh": self.lcoe_renewables_usd_per_mwh,
            "supply_cost_usd_per_mwh": self.supply_cost_usd_per_mwh,
        }

    def __repr__(self) -> str:
        first, last = int(self.table["year"].iloc[0]), int(self.table["year"].iloc[-1])
        return (
            f"EconomicsResult({first}–{last}: NPV {self.npv_usd / 1e9:.2f} bn USD, IRR {self.irr_frac:.1%}, "
            f"payback {self.payback_yr:.1f} yr, {self.cost.cost_usd_per_gpu_h:.2f} USD/GPU-h)"
        )


def _depreciation(placed: Mapping[str, np.ndarray], ctx: _Context) -> np.ndarray:
    n = len(next(iter(placed.values())))
    return sum((depreciation_schedule(placed[c], ctx.lives_yr[c], n) for c in ASSET_CLASSES), np.zeros(n))


def _yearly(run: list[YearInputs], ctx: _Context) -> tuple[dict[str, Any], list[dict[str, float]]]:
    """Capex, opex and revenue rows of every year, and each year's annualised cost items.

    ``placed`` is indexed by the first year of service, the capex rows by the year paid.
    """
    placed = _placements(run, ctx)
    lead = ctx.economics.capex_lead_yr
    paid = {c: np.concatenate([placed[c][lead:], np.zeros(lead)]) for c in ASSET_CLASSES}
    in_service = {c: _in_service(placed[c], ctx.lives_yr[c]) for c in ASSET_CLASSES}
    it_mw = np.cumsum([y.it_mw_added for y in run])
    costs = [
        _annual_cost_usd({c: in_service[c][t] for c in ASSET_CLASSES}, float(it_mw[t]), y, ctx)
        for t, y in enumerate(run)
    ]
    revenue = [_revenue_usd(y, ctx) for y in run]
    rows: dict[str, Any] = {f"capex_{c}_usd": paid[c] for c in ASSET_CLASSES}
    opex_items = [k for k in costs[0] if not k.startswith("capital_")]
    rows |= {f"opex_{k}_usd": [c[k] for c in costs] for k in opex_items}
    rows |= {f"revenue_{k}_usd": [r[k] for r in revenue] for k in revenue[0]}
    rows["capex_usd"] = sum(paid[c] for c in ASSET_CLASSES)
    rows["opex_usd"] = np.array([sum(c[k] for k in opex_items) for c in costs])
    rows["revenue_usd"] = np.array([sum(r.values()) for r in revenue])
    rows["ebitda_usd"] = rows["revenue_usd"] - rows["opex_usd"]
    rows["depreciation_usd"] = _depreciation(placed, ctx)
    rows["_in_service"] = in_service
    return rows, costs


def _supply_cost_usd_per_mwh(year: YearInputs, in_service: Mapping[str, float], ctx: _Context) -> float:
    consumed = year.ppa_mwh + year.grid_import_mwh - year.grid_export_mwh
    if consumed <= 0:
        return math.nan
    energy = _energy_opex_usd(year, ctx)
    assets = sum(
        in_service[c] * (annuity_factor(ctx.economics.wacc_frac, ctx.lives_yr[c]) + ctx.maintenance_frac[c])
        for c in _ENERGY_CLASSES
    )
    export = ctx.eur_usd(year.grid_export_mwh * ctx.energy_costs.grid.export_price_per_mwh)
    return (sum(energy.values()) + assets - export) / consumed


def _lcoe_renewables(run: list[YearInputs], ctx: _Context) -> float:
    """LCOE of every renewable asset built (as if owned) over the last year's delivery. [USD/MWh]"""
    last = run[-1]
    if last.ppa_mwh <= 0:
        return math.nan
    built = {c: 0.0 for c in _ENERGY_CLASSES}
    for y in run:
        for c, v in placed_capex_usd(y, ctx.economics, ctx.energy_costs, owned=True).items():
            if c in built:
                built[c] += v
    r = ctx.energy_costs.wacc_frac
    costs = ctx.energy_costs
    vom = (
        last.wind_mwh * costs.onwind.vom_per_mwh
        + last.solar_mwh * costs.solar(last.solar_mounting).vom_per_mwh
    )
    lcoe = sum(
        lcoe_per_mwh(built[c], built[c] * ctx.maintenance_frac[c], 0.0, last.ppa_mwh, r, ctx.lives_yr[c])
        for c in _ENERGY_CLASSES
    )
    return float(lcoe) + ctx.eur_usd(vom) / last.ppa_mwh


def _whole_run(run: list[YearInputs], costs: list[dict[str, float]], ctx: _Context) -> CostBreakdown:
    items = {k: float(sum(c[k] for c in costs)) for k in costs[0]}
    gpu_h = np.array([sum(y.gpu_h_delivered.values()) for y in run], dtype=float)
    inference = np.array([_product_shares(y, ctx.catalogue)["inference"] for y in run])
    share = float((gpu_h * inference).sum() / gpu_h.sum()) if gpu_h.sum() > 0 else 0.0
    tokens = float(sum(y.input_tokens + y.output_tokens for y in run))
    return CostBreakdown(items, float(gpu_h.sum()), share, tokens)


def campus_cash_flows(
    years: Sequence[YearInputs],
    economics: CampusEconomics,
    catalogue: ServiceCatalogue,
    energy_costs: CostAssumptions,
) -> EconomicsResult:
    """Yearly cash flows of the campus over the analysis horizon, and their KPIs.

    Parameters
    ----------
    years
        One input per year of service, in order; missing years and the years after the
        last one up to ``economics.horizon_yr`` repeat the previous year's operation with
        nothing new built (steady state). The table starts ``economics.capex_lead_yr``
        construction years earlier, when the first assets are paid for.
    economics
        Capex, lives, opex, tax, WACC, FX, horizon and terminal-value rule.
    catalogue
        Prices and product mix of what the campus sells.
    energy_costs
        The planner's energy costs (PV, wind, battery, grid prices; EUR).

    Returns
    -------
    EconomicsResult
        Per year: capex by class, opex by item, revenue by product, EBITDA,
        depreciation, tax, free cash flow, cumulative cash; KPIs NPV, IRR, payback, LCOE
        of the supply, cost per GPU-hour (with its breakdown) and per million tokens.

    Notes
    -----
    ``FCF = revenue − opex − tax − capex (+ terminal value in the last year)``; tax is
    ``tax_rate_frac × max(0, EBITDA − depreciation − losses carried forward)``.
    """
    operating = _horizon(list(years), economics.horizon_yr)
    lead = economics.capex_lead_yr
    run = [YearInputs(operating[0].year - lead + i) for i in range(lead)] + operating
    ctx = _Context.of(economics, catalogue, energy_costs, operating[0].solar_mounting)
    rows, costs = _yearly(run, ctx)
    in_service = rows.pop("_in_service")
    rows["tax_usd"] = _tax_usd(rows["ebitda_usd"] - rows["depreciation_usd"], economics)
    before_terminal = rows["ebitda_usd"] - rows["tax_usd"] - rows["capex_usd"]
    book_value = float(rows["capex_usd"].sum() - rows["depreciation_usd"].sum())
    rows["terminal_value_usd"] = np.zeros(len(run))
    steady_capex = sum(float(in_service[c][-1]) / ctx.lives_yr[c] for c in ASSET_CLASSES)
    normalised = float(rows["ebitda_usd"][-1] - rows["tax_usd"][-1]) - steady_capex
    rows["terminal_value_usd"][-1] = _terminal_usd(normalised, book_value, economics)
    rows["free_cash_flow_usd"] = before_terminal + rows["terminal_value_usd"]
    rows["cumulative_cash_usd"] = np.cumsum(rows["free_cash_flow_usd"])
    rows["gpu_h_delivered"] = [sum(y.gpu_h_delivered.values()) for y in run]
    rows["annualised_cost_usd"] = [sum(c.values()) for c in costs]
    rows["cost_usd_per_gpu_h"] = [
        _breakdown_cost(c, g) for c, g in zip(costs, rows["gpu_h_delivered"], strict=True)
    ]
    try:
        rate = irr(rows["free_cash_flow_usd"])
    except ValueError:
        rate = math.nan
    last_in_service = {c: float(in_service[c][-1]) for c in ASSET_CLASSES}
    return EconomicsResult(
        table=_frame(rows, run),
        npv_usd=float(npv(economics.wacc_frac, rows["free_cash_flow_usd"])),
        irr_frac=rate,
        payback_yr=payback_yr(before_terminal),
        discounted_payback_yr=discounted_payback_yr(economics.wacc_frac, before_terminal),
        lcoe_renewables_usd_per_mwh=_lcoe_renewables(run, ctx),
        supply_cost_usd_per_mwh=_supply_cost_usd_per_mwh(run[-1], last_in_service, ctx),
        cost=_whole_run(run, costs, ctx),
    )


def _breakdown_cost(cost: Mapping[str, float], gpu_h: float) -> float:
    return float(sum(cost.values()) / gpu_h) if gpu_h > 0 else math.nan


# ----------------------------------------------------------------- sensitivity
SENSITIVITY_DRIVERS = ("prices", "utilisation", "capex", "energy_prices", "wacc")


def _more_or_less_delivered(year: YearInputs, factor: float, max_utilisation_frac: float) -> YearInputs:
    """The year with ``factor`` × the GPU-hours and tokens, at most the deliverable share."""
    delivered = sum(year.gpu_h_delivered.values())
    if factor > 1.0 and year.gpu_h_installed > 0 and delivered > 0:
        factor = max(1.0, min(factor, max_utilisation_frac * year.gpu_h_installed / delivered))
    return dataclasses.replace(
        year,
        gpu_h_delivered={hw: h * factor for hw, h in year.gpu_h_delivered.items()},
        input_tokens=year.input_tokens * factor,
        output_tokens=year.output_tokens * factor,
    )


def _scaled(
    driver: str,
    factor: float,
    years: Sequence[YearInputs],
    economics: CampusEconomics,
    catalogue: ServiceCatalogue,
    energy_costs: CostAssumptions,
    wacc_step_frac: float,
) -> tuple[list[YearInputs], CampusEconomics, ServiceCatalogue, CostAssumptions]:
    """The inputs with one driver moved (×``factor``, or WACC ± ``wacc_step_frac``)."""
    ys, e, c, k = list(years), economics, catalogue, energy_costs
    if driver == "prices":
        inf = c.inference
        c = c.model_copy(
            update={
                "on_demand_usd_per_gpu_h": {hw: p * factor for hw, p in c.on_demand_usd_per_gpu_h.items()},
                "inference": inf.model_copy(
                    update={
                        "input_usd_per_mtok": inf.input_usd_per_mtok * factor,
                        "output_usd_per_mtok": inf.output_usd_per_mtok * factor,
                    }
                ),
                "storage": c.storage.model_copy(
                    update={"usd_per_tb_month": c.storage.usd_per_tb_month * factor}
                ),
            }
        )
    elif driver == "utilisation":
        ys = [_more_or_less_delivered(y, factor, c.max_utilisation_frac) for y in ys]
    elif driver == "capex":
        fac = e.facility
        e = e.model_copy(
            update={
                "hardware": {
                    hw: h.model_copy(update={"rack_usd": h.rack_usd * factor}) for hw, h in e.hardware.items()
                },
                "facility": fac.model_copy(
                    update={
                        "power_cooling_usd_per_it_mw": fac.power_cooling_usd_per_it_mw * factor,
                        "building_usd_per_it_mw": fac.building_usd_per_it_mw * factor,
                        "storage_usd_per_rack": fac.storage_usd_per_rack * factor,
                    }
                ),
            }
        )
    elif driver == "energy_prices":
        e = e.model_copy(
            update={
                "opex": e.opex.model_copy(
                    update={"ppa_price_eur_per_mwh": e.opex.ppa_price_eur_per_mwh * factor}
                )
            }
        )
        grid = k.grid.model_copy(update={"import_price_per_mwh": k.grid.import_price_per_mwh * factor})
        k = k.model_copy(update={"grid": grid})
    elif driver == "wacc":
        step = wacc_step_frac if factor > 1 else -wacc_step_frac
        e = e.model_copy(update={"wacc_frac": max(e.wacc_frac + step, 0.0)})
    else:
        raise ValueError(f"unknown sensitivity driver {driver!r}; use one of {SENSITIVITY_DRIVERS}")
    return ys, e, c, k


def sensitivity_table(
    years: Sequence[YearInputs],
    economics: CampusEconomics,
    catalogue: ServiceCatalogue,
    energy_costs: CostAssumptions,
    *,
    swing_frac: float = 0.2,
    wacc_step_frac: float = 0.02,
) -> pd.DataFrame:
    """One-at-a-time sensitivity of NPV, IRR, payback and cost per GPU-hour (a tornado).

    Parameters
    ----------
    years, economics, catalogue, energy_costs
        As :func:`campus_cash_flows`.
    swing_frac
        Each driver moves by ± this share: every selling price (GPU-hours, tokens,
        storage), the GPU-hours and tokens delivered, every campus capex unit cost, the
        PPA and grid energy prices. [frac]
    wacc_step_frac
        The WACC moves by ± this many points instead. [frac]

    Returns
    -------
    pandas.DataFrame
        One row per driver (and ``base``), sorted by the NPV swing (largest first):
        ``driver``, ``low``/``high`` (the move, text), ``npv_low_usd``, ``npv_high_usd``,
        ``irr_low_frac``, ``irr_high_frac``, ``payback_low_yr``, ``payback_high_yr``,
        ``cost_usd_per_gpu_h_low``, ``cost_usd_per_gpu_h_high``, ``npv_swing_usd``.
    """
    if not 0 < swing_frac < 1:
        raise ValueError(f"swing_frac must be in (0, 1), got {swing_frac}")
    base = campus_cash_flows(years, economics, catalogue, energy_costs)
    rows = []
    for driver in SENSITIVITY_DRIVERS:
        out: dict[str, Any] = {"driver": driver}
        for side, factor in (("low", 1.0 - swing_frac), ("high", 1.0 + swing_frac)):
            r = campus_cash_flows(
                *_scaled(driver, factor, years, economics, catalogue, energy_costs, wacc_step_frac)
            )
            move = (
                f"{'-' if side == 'low' else '+'}{wacc_step_frac * 100:g} pt"
                if driver == "wacc"
                else f"×{factor:g}"
            )
            out |= {
                side: move,
                f"npv_{side}_usd": r.npv_usd,
                f"irr_{side}_frac": r.irr_frac,
                f"payback_{side}_yr": r.payback_yr,
                f"cost_usd_per_gpu_h_{side}": r.cost.cost_usd_per_gpu_h,
            }
        out["npv_swing_usd"] = abs(out["npv_high_usd"] - out["npv_low_usd"])
        rows.append(out)
    frame = pd.DataFrame(rows).sort_values("npv_swing_usd", ascending=False, ignore_index=True)
    head = {
        "driver": "base", "low": "", "high": "", "npv_low_usd": base.npv_usd, "npv_high_usd": base.npv_usd,
        "irr_low_frac": base.irr_frac, "irr_high_frac": base.irr_frac, "payback_low_yr": base.payback_yr,
        "payback_high_yr": base.payback_yr, "cost_usd_per_gpu_h_low": base.cost.cost_usd_per_gpu_h,
        "cost_usd_per_gpu_h_high": base.cost.cost_usd_per_gpu_h, "npv_swing_usd": 0.0,
    }  # fmt: skip
    return pd.concat([pd.DataFrame([head]), frame], ignore_index=True)
