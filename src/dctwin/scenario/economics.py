"""Scenario blocks of the campus economics: what the campus sells, and what it costs.

* :class:`ServiceCatalogue` — the products and their prices: GPU-hours (reserved,
  on-demand, spot) per hardware, managed training (a premium on reserved GPU-hours),
  inference endpoints priced per million input and output tokens with the TTFT SLO they
  are sold with and an SLA credit rule, and sovereign storage per TB-month; plus the share
  of delivered GPU-hours each product takes (the mix) and the highest utilisation the
  campus can sell. Defaults are public list prices (each field cites its page).
* :class:`CampusEconomics` — capex per MW and per rack, asset lives, opex, tax, WACC,
  FX, horizon and terminal-value rule. Defaults are the built-in catalogue
  ``scenario/data/campus_costs.toml`` (every value cites its source there); a scenario
  overrides any single number and keeps the rest, as :class:`~dctwin.scenario.planning.CostAssumptions`
  does::

      [economics]
      wacc_frac = 0.082                  # IRENA 2023: Middle East & Africa

      [economics.hardware.gb200-nvl72]
      rack_usd = 3.4e6                   # Bernstein 2025, incl. fabric

The energy assets (PV, wind, battery) and the grid prices are *not* here: the campus model
takes them from ``CostAssumptions`` (``costs.toml``), so the planner and the economics
share one set of energy costs.

Model currency is USD in constant 2025 prices (names end in ``_usd``); inputs quoted in
EUR or MAD say so in their names and are converted with :class:`FxRates`.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from dctwin.errors import ScenarioError
from dctwin.scenario.planning import _merge_over
from dctwin.scenario.schema_base import Model, _extra, q

__all__ = [
    "GPU_HOUR_PRODUCTS",
    "PRODUCTS",
    "AssetLives",
    "CampusEconomics",
    "FacilityCapex",
    "FxRates",
    "HardwareCapex",
    "InferenceProduct",
    "OpexAssumptions",
    "ProductMix",
    "ServiceCatalogue",
    "SlaCreditTier",
    "StorageProduct",
    "campus_costs_dict",
    "validate_block",
]

PRODUCTS = ("reserved", "on_demand", "spot", "managed_training", "inference")
"""Products that consume GPU-hours, in the order of :class:`ProductMix`."""
GPU_HOUR_PRODUCTS = ("reserved", "on_demand", "spot", "managed_training")
"""Products billed per GPU-hour (inference is billed per token)."""

_CATALOGUE = "campus_costs.toml (source per value in the file)"
_COREWEAVE = "CoreWeave pricing page (coreweave.com/pricing, transcribed 2026-09-20)"


@cache
def campus_costs_dict() -> dict[str, Any]:
    """The built-in campus cost catalogue as parsed from ``scenario/data/campus_costs.toml``."""
    path = resources.files("dctwin.scenario") / "data" / "campus_costs.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ campus costs
class FxRates(Model):
    """Exchange rates into the model currency (USD)."""

    usd_per_eur: float = q(..., "USD/EUR", "US dollars per euro", _CATALOGUE, gt=0.1, le=10.0)
    mad_per_usd: float = q(..., "MAD/USD", "Moroccan dirhams per US dollar", _CATALOGUE, gt=0.1, le=100.0)
    fx_date: str = q(..., "date", "Date (YYYY-MM) of the rates", _CATALOGUE, min_length=4, max_length=10)
    eur_inflation_frac: dict[str, Annotated[float, Field(gt=-0.5, lt=1.0)]] = q(
        ..., "frac/yr", "Euro-area HICP inflation by calendar year (keys: years)", _CATALOGUE
    )

    @field_validator("eur_inflation_frac")
    @classmethod
    def _year_keys(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k in value if not (k.isdigit() and len(k) == 4)]
        if bad:
            raise ValueError(f"keys must be calendar years like '2023', got {bad}")
        return value

    def eur_price_factor(self, from_year: int, to_year: int) -> float:
        """EUR of ``from_year`` in EUR of ``to_year``: Π (1 + inflation) over the years between. [1]

        Examples
        --------
        >>> FxRates(usd_per_eur=1.08, mad_per_usd=9.4, fx_date="2024",
        ...         eur_inflation_frac={"2021": 0.1, "2022": 0.2}).eur_price_factor(2020, 2022)
        1.32
        """
        factor = 1.0
        lo, hi = sorted((from_year, to_year))
        for year in range(lo + 1, hi + 1):
            if str(year) not in self.eur_inflation_frac:
                raise ScenarioError(
                    f"no euro inflation for {year}, needed to bring EUR {from_year} to {to_year}; add "
                    f'"{year}" = … to [economics.fx.eur_inflation_frac]',
                    "economics.fx.eur_inflation_frac",
                )
            factor *= 1.0 + self.eur_inflation_frac[str(year)]
        return round(factor, 12) if from_year <= to_year else 1.0 / factor

    def to_usd(self, amount: float, currency: str) -> float:
        """Convert an amount in ``EUR``, ``MAD`` or ``USD`` to USD. [USD]"""
        factor = {"USD": 1.0, "EUR": self.usd_per_eur, "MAD": 1.0 / self.mad_per_usd}.get(currency)
        if factor is None:
            raise ScenarioError(
                f"currency {currency!r} has no exchange rate; use EUR, MAD or USD or convert it first",
                "economics.fx",
            )
        return amount * factor


class HardwareCapex(Model):
    """IT capex of one rack of a hardware catalogue entry."""

    rack_usd: float = q(
        ..., "USD/rack", "System price of one rack (compute, NVLink, in-rack power)", _CATALOGUE, gt=0, le=1e8
    )


class FacilityCapex(Model):
    """Building, power and cooling capex per MW of critical IT load, and per-rack extras."""

    power_cooling_usd_per_it_mw: float = q(
        ..., "USD/MW", "Electrical and mechanical plant per MW of critical IT load", _CATALOGUE, ge=0, le=1e8
    )
    building_usd_per_it_mw: float = q(
        ..., "USD/MW", "Shell, site, back of house and offices per MW of IT", _CATALOGUE, ge=0, le=1e8
    )
    liquid_cooling_premium_frac: float = q(
        ..., "frac", "Extra facility cost of a fully liquid-cooled hall", _CATALOGUE, ge=0, le=1
    )
    soft_cost_frac: float = q(
        ..., "frac", "Design, fees and contingency on the facility capex", _CATALOGUE, ge=0, le=1
    )
    network_frac_of_it_capex: float = q(
        ..., "frac", "Scale-out fabric, optics and cabling as a share of rack capex", _CATALOGUE, ge=0, le=2
    )
    storage_usd_per_rack: float = q(
        ..., "USD/rack", "Storage hardware bought with each rack", _CATALOGUE, ge=0, le=1e7
    )


class AssetLives(Model):
    """Depreciation and replacement lives of the campus asset classes (energy assets: ``costs``)."""

    it_yr: float = q(..., "yr", "GPU servers and storage", _CATALOGUE, gt=0, le=30)
    network_yr: float = q(..., "yr", "Network fabric and optics", _CATALOGUE, gt=0, le=30)
    power_cooling_yr: float = q(..., "yr", "Electrical and mechanical plant", _CATALOGUE, gt=0, le=60)
    building_yr: float = q(..., "yr", "Building shell and site", _CATALOGUE, gt=0, le=100)

    @field_validator("it_yr", "network_yr", "power_cooling_yr", "building_yr")
    @classmethod
    def _whole_years(cls, value: float) -> float:
        """Cash flows are yearly: an asset serves, depreciates and is replaced in whole years."""
        if value != math.floor(value):
            raise ValueError(
                f"must be a whole number of years, got {value:g} yr; round it to "
                f"{max(1, math.floor(value)):g} or {math.ceil(value):g} yr (the cash flows are yearly)"
            )
        return value


class OpexAssumptions(Model):
    """Operating costs other than the energy assets' own O&M."""

    staff_fte_fixed: float = q(..., "FTE", "Staff independent of size", _CATALOGUE, ge=0, le=1e4)
    staff_fte_per_it_mw: float = q(..., "FTE/MW", "Staff per MW of IT installed", _CATALOGUE, ge=0, le=100)
    staff_cost_mad_per_fte_yr: float = q(
        ..., "MAD/FTE/yr", "Loaded cost of one employee", _CATALOGUE, ge=0, le=1e8
    )
    maintenance_it_frac_per_yr: float = q(
        ..., "frac/yr", "IT maintenance per year, share of IT capex", _CATALOGUE, ge=0, le=0.5
    )
    maintenance_network_frac_per_yr: float = q(
        ..., "frac/yr", "Network maintenance per year, share of network capex", _CATALOGUE, ge=0, le=0.5
    )
    maintenance_power_cooling_frac_per_yr: float = q(
        ..., "frac/yr", "M&E maintenance per year, share of M&E capex", _CATALOGUE, ge=0, le=0.5
    )
    maintenance_building_frac_per_yr: float = q(
        ..., "frac/yr", "Building maintenance per year, share of building capex", _CATALOGUE, ge=0, le=0.5
    )
    insurance_frac_per_yr: float = q(
        ..., "frac/yr", "Insurance per year, share of the assets' gross value", _CATALOGUE, ge=0, le=0.1
    )
    land_ha_per_it_mw: float = q(..., "ha/MW", "Land leased per MW of IT", _CATALOGUE, ge=0, le=100)
    land_lease_mad_per_ha_yr: float = q(
        ..., "MAD/ha/yr", "Land lease per hectare and year", _CATALOGUE, ge=0, le=1e8
    )
    ppa_price_eur_per_mwh: float = q(
        ..., "EUR/MWh", "Price of renewable energy delivered under the PPA", _CATALOGUE, ge=0, le=1000
    )
    wan_gbps_per_it_mw: float = q(
        ..., "Gb/s/MW", "WAN capacity leased to Europe and the EMEA metros per MW of IT", _CATALOGUE,
        ge=0, le=10_000,
    )  # fmt: skip
    wan_usd_per_gbps_month: float = q(
        ..., "USD/(Gb/s)/month", "Price of leased WAN capacity (wavelengths and IP transit)", _CATALOGUE,
        ge=0, le=1e6,
    )  # fmt: skip
    sales_admin_frac_of_revenue: float = q(
        ..., "frac", "Sales, marketing and general & administrative cost, share of revenue", _CATALOGUE,
        ge=0, le=0.9,
    )  # fmt: skip


class CampusEconomics(Model):
    """Capex, lives, opex, tax, financing and analysis rules of the campus.

    Any field left out takes the catalogue's value (merged before validation), so partial
    overrides are allowed at every level, as for :class:`~dctwin.scenario.planning.CostAssumptions`.
    """

    currency: Literal["USD"] = q(..., "ISO 4217", "Model currency of every *_usd value", _CATALOGUE)
    currency_year: int = q(..., "yr", "Price base year (constant prices)", _CATALOGUE, ge=1990, le=2100)
    wacc_frac: float = q(..., "frac/yr", "Discount rate of the campus (WACC), real", _CATALOGUE, ge=0, le=0.5)
    tax_rate_frac: float = q(..., "frac", "Corporate income tax rate", _CATALOGUE, ge=0, le=0.8)
    loss_carryforward: bool = q(..., "bool", "Tax losses offset later profits", _CATALOGUE)
    horizon_yr: int = q(..., "yr", "Years analysed from the first year", _CATALOGUE, ge=1, le=60)
    terminal_value: Literal["none", "book_value", "perpetuity"] = q(
        ..., "choice", "Value added to the last year's cash flow", _CATALOGUE
    )
    terminal_growth_frac: float = q(
        ..., "frac/yr", "Growth of the last cash flow for the perpetuity rule", _CATALOGUE, ge=-0.5, le=0.2
    )
    energy_supply: Literal["ppa", "owned"] = q(
        ..., "choice", "PPA: pay per MWh delivered; owned: the campus builds the energy assets", _CATALOGUE
    )
    capex_lead_yr: int = q(
        ..., "yr", "Years between paying for an asset and its first year of service", _CATALOGUE, ge=0, le=5
    )
    replace_at_end_of_life: bool = q(
        ...,
        "bool",
        "Re-buy every asset at the same real price when its life ends inside the horizon",
        _CATALOGUE,
    )
    fx: FxRates = Field(description="Exchange rates into USD")
    facility: FacilityCapex = Field(description="Facility capex per MW and per rack")
    lives: AssetLives = Field(description="Asset lives")
    opex: OpexAssumptions = Field(description="Operating costs")
    hardware: dict[str, HardwareCapex] = Field(description="IT capex per rack, by hardware catalogue name")

    @model_validator(mode="before")
    @classmethod
    def _fill_from_catalogue(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return _merge_over(campus_costs_dict(), data)
        return data

    @model_validator(mode="after")
    def _lives_cover_the_horizon(self) -> CampusEconomics:
        shortest = min(self.lives.it_yr, self.lives.network_yr, self.lives.power_cooling_yr)
        if not self.replace_at_end_of_life and self.horizon_yr > shortest:
            raise ValueError(
                f"replace_at_end_of_life = false with horizon_yr = {self.horizon_yr} yr longer than the "
                f"shortest asset life ({shortest:g} yr): the campus would keep selling GPU-hours from "
                f"retired hardware; set replace_at_end_of_life = true or horizon_yr "
                f"≤ {math.floor(shortest)} yr"
            )
        return self

    @model_validator(mode="after")
    def _growth_below_rate(self) -> CampusEconomics:
        if self.terminal_value == "perpetuity" and self.terminal_growth_frac >= self.wacc_frac:
            raise ValueError(
                f"terminal_growth_frac ({self.terminal_growth_frac}) must be below wacc_frac "
                f"({self.wacc_frac}) for a perpetuity; lower it or use terminal_value = 'book_value'"
            )
        return self

    def rack_usd(self, hardware: str) -> float:
        """IT capex of one rack of ``hardware``. [USD/rack]"""
        if hardware not in self.hardware:
            raise ScenarioError(
                f"no rack price for hardware {hardware!r}; add [economics.hardware.{hardware}] "
                f"rack_usd = … (known: {', '.join(sorted(self.hardware))})",
                "economics.hardware",
            )
        return self.hardware[hardware].rack_usd


# ------------------------------------------------------------------ the catalogue
class ProductMix(Model):
    """Share of the delivered GPU-hours taken by each product (sums to 1)."""

    reserved_frac: float = q(
        0.45,
        "frac",
        "Reserved (committed) GPU-hours",
        "E: anchor tenants on multi-year terms (Naver, public sector)",
        ge=0,
        le=1,
    )
    on_demand_frac: float = q(
        0.07, "frac", "On-demand GPU-hours", "E: burst capacity of smaller tenants", ge=0, le=1
    )
    spot_frac: float = q(
        0.04, "frac", "Spot (preemptible) GPU-hours", "E: the spot-market tenant of morocco-500mw", ge=0, le=1
    )
    managed_training_frac: float = q(
        0.15,
        "frac",
        "GPU-hours sold as managed training",
        "E: sovereign customers buying a managed service",
        ge=0,
        le=1,
    )
    inference_frac: float = q(
        0.29,
        "frac",
        "GPU-hours serving the inference endpoints (billed per token)",
        "E: WorkloadProfile 25 % inference of 85 % busy GPUs (scenario schema defaults) → 0.29",
        ge=0,
        le=1,
    )

    @model_validator(mode="after")
    def _sums_to_one(self) -> ProductMix:
        total = sum(self.shares().values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"product mix shares sum to {total:g}; they must sum to 1 — rescale them")
        return self

    def shares(self) -> dict[str, float]:
        """Share per product name of :data:`PRODUCTS`. [frac]"""
        return {p: float(getattr(self, f"{p}_frac")) for p in PRODUCTS}


class SlaCreditTier(Model):
    """Credit owed when the TTFT-SLO attainment of a period falls below a threshold."""

    attainment_below_frac: float = q(
        ..., "frac", "Attainment under which the credit applies", "service catalogue", gt=0, le=1
    )
    credit_frac: float = q(
        ..., "frac", "Share of the period's inference revenue credited", "service catalogue", ge=0, le=1
    )


def _default_sla_tiers() -> tuple[SlaCreditTier, ...]:
    return (
        SlaCreditTier(attainment_below_frac=0.99, credit_frac=0.10),
        SlaCreditTier(attainment_below_frac=0.95, credit_frac=0.25),
    )


class InferenceProduct(Model):
    """Inference endpoints billed per million tokens.

    The model served and the TTFT SLO the endpoints are sold with are the scenario's
    ``[inference]`` block (its ``model`` and each class's ``ttft_slo_ms`` and
    ``slo_target_frac``): the attainment measured against them sets the SLA credit here.
    """

    input_usd_per_mtok: float = q(
        0.13,
        "USD/Mtok",
        "Price per million input (prompt) tokens",
        "DeepInfra Meta-Llama-3.1-70B-Instruct-Turbo (FP8) list price $0.13 in / $0.40 out per M tokens "
        "(deepinfra.com, 2025): the low end of the 70B market (Together lists $0.88/M both ways); a "
        "wholesale sovereign-cloud price, not a retail one",
        ge=0,
        le=1000,
    )
    output_usd_per_mtok: float = q(
        0.40,
        "USD/Mtok",
        "Price per million output (generated) tokens",
        "DeepInfra Meta-Llama-3.1-70B-Instruct-Turbo (FP8) list price $0.40 per M output tokens "
        "(deepinfra.com, 2025)",
        ge=0,
        le=1000,
    )
    sla_credit_tiers: tuple[SlaCreditTier, ...] = Field(
        default_factory=_default_sla_tiers,
        description="Credits by attainment: the deepest tier reached applies [frac]",
        json_schema_extra=_extra(
            "frac", "Google Cloud Compute Engine SLA financial credits: 10 % below the SLO, 25 % below 95 %"
        ),
    )

    def credit_frac(self, attainment_frac: float) -> float:
        """Share of inference revenue credited back at a TTFT-SLO attainment. [frac]

        Examples
        --------
        >>> p = InferenceProduct()
        >>> p.credit_frac(0.995), p.credit_frac(0.97), p.credit_frac(0.90)
        (0.0, 0.1, 0.25)
        """
        owed = [t.credit_frac for t in self.sla_credit_tiers if attainment_frac < t.attainment_below_frac]
        return max(owed, default=0.0)


class StorageProduct(Model):
    """Sovereign object storage sold per TB-month."""

    usd_per_tb_month: float = q(
        60.0,
        "USD/TB/month",
        "Price of one TB stored for a month",
        _COREWEAVE + ": AI Object Storage Hot $0.06/GB/mo",
        ge=0,
        le=10000,
    )
    stored_tb_per_gpu: float = q(
        10.0,
        "TB/GPU",
        "TB customers store per installed GPU",
        "E: Bernstein 2025: ~2 PB of storage per NVL72 rack = 28 TB/GPU of capacity; about a third sold",
        ge=0,
        le=1000,
    )


_ON_DEMAND_SOURCE = (
    _COREWEAVE + ": GB200 NVL72 $42.00/h per 4 GPUs, HGX B200 $68.80/h and HGX H100 $49.24/h per 8 GPUs; "
    "E: GB300 = GB200 × 3.5/3.0 (rack price ratio, campus_costs.toml); B300 = B200 × 35.84/34.11 "
    "(CoreWeave HGX B300/B200 spot prices)"
)


def _default_on_demand() -> dict[str, float]:
    return {
        "gb200-nvl72": 10.50,
        "gb300-nvl72": 12.25,
        "dgx-b200": 8.60,
        "hgx-b200": 8.60,
        "dgx-b300": 9.04,
        "dgx-h100": 6.155,
    }


class ServiceCatalogue(Model):
    """What the campus sells, at what price, and the mix of GPU-hours sold."""

    on_demand_usd_per_gpu_h: dict[str, Annotated[float, Field(gt=0, le=1000)]] = Field(
        default_factory=_default_on_demand,
        description="On-demand price per GPU-hour, by hardware catalogue name [USD/GPU/h]",
        json_schema_extra=_extra("USD/GPU/h", _ON_DEMAND_SOURCE),
    )
    reserved_discount_frac: float = q(
        0.45,
        "frac",
        "Discount of reserved (committed) GPU-hours on the on-demand price",
        "E: a multi-year commitment, between AWS EC2 Savings Plans' 1-yr and 3-yr discounts for GPU "
        "instances (≈ 30–60 %) and CoreWeave's 'up to 60 % discounts over our On-Demand prices for committed "
        "usage' (pricing page); below spot's 50 % so that a committed hour never sells under a "
        "preemptible one",
        ge=0,
        lt=1,
    )
    spot_discount_frac: float = q(
        0.50,
        "frac",
        "Discount of spot GPU-hours on the on-demand price",
        _COREWEAVE + ": HGX B200 spot $34.11/h vs on-demand $68.80/h",
        ge=0,
        lt=1,
    )
    managed_training_premium_frac: float = q(
        0.15,
        "frac",
        "Premium of managed training on the reserved price",
        "AWS price lists: SageMaker ml.p4d.24xlarge $37.69/h vs EC2 p4d.24xlarge $32.77/h (+15 %)",
        ge=0,
        le=5,
    )
    inference: InferenceProduct = Field(default_factory=InferenceProduct, description="Inference endpoints")
    storage: StorageProduct = Field(default_factory=StorageProduct, description="Sovereign storage")
    mix: ProductMix = Field(default_factory=ProductMix, description="Share of GPU-hours per product")
    max_utilisation_frac: float = q(
        0.95,
        "frac",
        "Highest share of installed GPU-hours the campus can deliver",
        "E: hardware availability and maintenance windows (Meta Llama 3 report 2024: > 90 % effective "
        "training time)",
        gt=0,
        le=1,
    )

    @field_validator("on_demand_usd_per_gpu_h", mode="before")
    @classmethod
    def _over_defaults(cls, value: Any) -> Any:
        """A scenario's prices add to or replace the list prices, hardware by hardware."""
        if isinstance(value, Mapping) and value:
            return {**_default_on_demand(), **value}
        return value

    @field_validator("on_demand_usd_per_gpu_h")
    @classmethod
    def _some_price(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("on_demand_usd_per_gpu_h is empty; give a price for each hardware installed")
        return value

    def price_usd_per_gpu_h(self, product: str, hardware: str) -> float:
        """Price of one GPU-hour of ``product`` on ``hardware``. [USD/GPU/h]

        Examples
        --------
        >>> c = ServiceCatalogue()
        >>> c.price_usd_per_gpu_h("reserved", "gb200-nvl72"), c.price_usd_per_gpu_h("spot", "gb200-nvl72")
        (5.775, 5.25)
        """
        if hardware not in self.on_demand_usd_per_gpu_h:
            known = ", ".join(sorted(self.on_demand_usd_per_gpu_h))
            raise ScenarioError(
                f"no GPU-hour price for hardware {hardware!r}; add it to "
                f"services.on_demand_usd_per_gpu_h (known: {known})",
                "services.on_demand_usd_per_gpu_h",
            )
        base = self.on_demand_usd_per_gpu_h[hardware]
        reserved = base * (1.0 - self.reserved_discount_frac)
        prices = {
            "on_demand": base,
            "reserved": reserved,
            "spot": base * (1.0 - self.spot_discount_frac),
            "managed_training": reserved * (1.0 + self.managed_training_premium_frac),
        }
        if product not in prices:
            raise ValueError(f"product {product!r} is not billed per GPU-hour; use one of {list(prices)}")
        return round(prices[product], 10)

    def gpu_h_delivered(self, installed_gpu_h: float, utilisation_frac: float) -> float:
        """GPU-hours delivered at a measured utilisation, checked against what can be sold. [GPU·h]

        Examples
        --------
        >>> ServiceCatalogue().gpu_h_delivered(1000.0, 0.8)
        800.0
        """
        if not 0.0 <= utilisation_frac <= self.max_utilisation_frac:
            raise ValueError(
                f"utilisation_frac = {utilisation_frac} is outside 0–{self.max_utilisation_frac} "
                "(services.max_utilisation_frac); lower it or raise max_utilisation_frac"
            )
        return installed_gpu_h * utilisation_frac


# ------------------------------------------------------------------ validation
_M = TypeVar("_M", bound=BaseModel)


def validate_block(model: type[_M], data: Mapping[str, Any], path: str) -> _M:
    """Validate one block outside a scenario, with the scenario's error messages.

    Parameters
    ----------
    model
        :class:`CampusEconomics`, :class:`ServiceCatalogue` or one of their parts.
    data
        The block's table (partial: the catalogue fills the rest where the model does).
    path
        Where the block sits in a scenario, e.g. ``"economics"``; prefixed to error paths.

    Raises
    ------
    ScenarioError
        ``path.field: problem, got value unit; fix`` for every problem found.

    Examples
    --------
    >>> validate_block(CampusEconomics, {"wacc_frac": 8.2}, "economics")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dctwin.errors.ScenarioError: economics.wacc_frac: must be ≤ 0.5 frac/yr, got 8.2 frac/yr; ... 0.082?
    """
    # imported here: the loader imports the schema, which will import this module
    from dctwin.scenario.loader import _dotted, _explain, _model_at, _unit_at

    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            where = f"{path}.{_dotted(loc)}" if loc else path
            if err["type"] == "extra_forbidden":
                parent = _model_at(model, loc[:-1])
                valid = sorted(parent.model_fields) if parent else []
                hint = difflib.get_close_matches(str(loc[-1]), valid, n=1)
                fix = f"did you mean {hint[0]!r}?" if hint else f"valid fields here: {', '.join(valid)}"
                lines.append(f"{where}: unknown field; {fix}")
            else:
                lines.append(f"{where}: {_explain(err, _unit_at(model, loc), loc)}")
        raise ScenarioError("; ".join(lines)) from None
