"""From twin runs to the economics' plain yearly inputs (:class:`dctwin.economics.YearInputs`).

What a year of the campus *places in service* comes from the scenario's build steps and
the run's fleet blocks of that phase; how it *ran* comes from the run's summary and tables:

* GPU-hours delivered = GPU-hours of individual jobs + the small-job swarm + inference
  replicas, split by hardware in proportion to the installed GPUs;
* what each GPU-hour is sold as: inference replicas → the per-token endpoints and
  preemptible (QoS) jobs → spot, both as measured; the other training GPU-hours
  (guaranteed and standard jobs, the swarm) are sold under contracts in the catalogue's
  ratio of reserved : on-demand : managed training (``services.mix``): a QoS class says
  how a job is scheduled, not what its tenant signed;
* tokens and SLO attainment from the inference service, stored TB from the installed GPUs;
* energy: renewable energy delivered under the PPA, grid import and export, PV and wind.

The same adapter serves a single run (the steady-state economics of its phase) and the
build-out timeline (one run per phase, the years in between).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dctwin.economics import (
    ASSET_CLASSES,
    CostBreakdown,
    EconomicsResult,
    YearInputs,
    campus_cash_flows,
    capex_lines,
    phase_cost_per_gpu_h,
    sensitivity_table,
)
from dctwin.results.model import Results
from dctwin.scenario import hardware_catalog
from dctwin.scenario.economics import ProductMix
from dctwin.scenario.schema import Scenario
from dctwin.scenario.sources import source_of

__all__ = [
    "RunEconomics",
    "annual_scale",
    "capex_table",
    "placed_in_service",
    "run_economics",
    "run_year_inputs",
    "scheduled_gpu_hours",
]

HOURS_PER_YEAR_H = 8760.0


def placed_in_service(results: Results, phases: set[str] | None = None) -> dict[str, Any]:
    """What the build steps of ``phases`` (default: every phase up to the run's) put in service.

    Parameters
    ----------
    results
        A twin run (its fleet blocks per site and its scenario's build steps).
    phases
        Phase names whose build steps count; ``None`` = every phase up to the run's.

    Returns
    -------
    dict
        ``racks_added`` by hardware [rack], ``it_mw_added`` [MW], ``liquid_cooled_frac``
        [frac] (IT-weighted), ``solar_ac_mw_added``, ``wind_mw_added``,
        ``battery_power_mw_added`` [MW], ``battery_energy_mwh_added`` [MWh], ``solar_mounting``.
    """
    scenario = results.scenario
    catalog = hardware_catalog(scenario)
    racks: dict[str, int] = {}
    it_mw = liquid_mw = 0.0
    for blocks in results.summary.get("fleet", {}).values():
        for b in blocks:
            if phases is not None and b["phase"] not in phases:
                continue
            racks[b["hardware"]] = racks.get(b["hardware"], 0) + int(b["racks"])
            it_mw += float(b["it_capacity_mw"])
            liquid_mw += float(b["it_capacity_mw"]) * catalog[b["hardware"]].liquid_cooled_frac
    energy = dict.fromkeys(("solar_ac_mw", "wind_mw", "battery_power_mw", "battery_energy_mwh"), 0.0)
    for site in scenario.sites:
        for build in scenario.builds_up_to_phase(site):
            if phases is None or build.phase in phases:
                for key in energy:
                    energy[key] += float(getattr(build, key))
    mounting = scenario.sites[0].solar.mounting if scenario.sites else "single_axis"
    return {
        "racks_added": racks,
        "it_mw_added": it_mw,
        "liquid_cooled_frac": liquid_mw / it_mw if it_mw > 0 else 0.0,
        "solar_ac_mw_added": energy["solar_ac_mw"],
        "wind_mw_added": energy["wind_mw"],
        "battery_power_mw_added": energy["battery_power_mw"],
        "battery_energy_mwh_added": energy["battery_energy_mwh"],
        "solar_mounting": mounting,
    }


def annual_scale(results: Results) -> float:
    """Factor from the run's span to one year: 8760 h ÷ (steps × Δt).

    A run of a representative week or a full year gives yearly figures alike; a leap
    year's 8784 h count as 8760 (real prices per year, not per calendar day).

    Parameters
    ----------
    results
        A twin run.

    Returns
    -------
    float
        The scale; 1 for an empty run. [1]
    """
    series = results.timeseries
    if series.empty:
        return 1.0
    span_h = len(series["time_utc"].unique()) * results.scenario.time.dt_h
    return HOURS_PER_YEAR_H / span_h if span_h > 0 else 1.0


def scheduled_gpu_hours(results: Results) -> tuple[dict[str, float], float, float]:
    """GPU-hours the scheduler delivered in the run, by source (not annualised).

    Parameters
    ----------
    results
        A run with ``it_load = "scheduler"`` (otherwise everything is 0).

    Returns
    -------
    gpu_h_by_qos, swarm_gpu_h, inference_gpu_h
        Individual jobs' GPU-hours by QoS class, the small-job swarm's and the inference
        replicas' (time-mean GPUs × step). [GPU·h]
    """
    jobs = results.tables.get("jobs")
    by_qos = (
        {str(k): float(v) for k, v in jobs.groupby("qos", observed=True)["gpu_h"].sum().items()}
        if jobs is not None and len(jobs)
        else {}
    )
    series, dt_h = results.timeseries, results.scenario.time.dt_h
    swarm = float(series["swarm_gpus"].sum() * dt_h) if "swarm_gpus" in series else 0.0
    inference = float(series["inference_gpus"].sum() * dt_h) if "inference_gpus" in series else 0.0
    return by_qos, swarm, inference


def _gpu_hours(results: Results) -> tuple[float, dict[str, float]]:
    """Total GPU-hours delivered and their product shares (from the QoS classes)."""
    w = results.summary.get("workload")
    series = results.timeseries
    dt_h = results.scenario.time.dt_h
    if not isinstance(w, dict):  # the profile: busy GPUs from the shares, the catalogue's mix
        campus = results.summary["campus"]
        busy = float((series["training_share_frac"] + series["inference_share_frac"]).mean())
        return busy * float(campus["gpus"]) * len(series["time_utc"].unique()) * dt_h, {}
    by_qos, swarm, inference = scheduled_gpu_hours(results)
    shares = {
        "contract": float(by_qos.get("guaranteed", 0.0)) + float(by_qos.get("standard", 0.0)) + swarm,
        "spot": float(by_qos.get("preemptible", 0.0)),
        "inference": inference,
    }
    total = sum(shares.values())
    return total, {k: v / total for k, v in shares.items()} if total > 0 else {}


def run_year_inputs(results: Results, year: int, placed: dict[str, Any] | None = None) -> YearInputs:
    """One year of the campus as the run simulated it, placing ``placed`` in service.

    Every flow (GPU-hours, tokens, energy) is scaled to a year with :func:`annual_scale`,
    so that a representative week stands for its year.

    Parameters
    ----------
    results
        A twin run of one representative year (its phase's capacity).
    year
        Calendar year the inputs stand for.
    placed
        What enters service that year (:func:`placed_in_service`); ``None`` = nothing new.

    Returns
    -------
    YearInputs
        With GPU-hours by hardware [GPU·h], product shares [frac], tokens [token], SLO
        attainment [frac], stored TB [TB] and energy [MWh] of the run.
    """
    campus = results.summary["campus"]
    w = results.summary.get("workload") or {}
    scale = annual_scale(results)
    total, shares = _gpu_hours(results)
    total *= scale
    gpus_by_hw: dict[str, float] = {}
    for blocks in results.summary.get("fleet", {}).values():
        for b in blocks:
            gpus_by_hw[b["hardware"]] = gpus_by_hw.get(b["hardware"], 0.0) + float(b["gpus"])
    n_gpus = sum(gpus_by_hw.values())
    delivered = {hw: total * g / n_gpus for hw, g in gpus_by_hw.items()} if n_gpus > 0 else {}
    services = results.scenario.services
    return YearInputs(
        year=year,
        **(placed or {}),
        gpu_h_delivered=delivered,
        gpu_h_installed=n_gpus * HOURS_PER_YEAR_H,
        product_shares=_with_contract_mix(shares, services.mix) if shares else _gpu_hour_mix(services.mix),
        input_tokens=scale * float(w.get("inference_input_tokens") or 0.0),
        output_tokens=scale * float(w.get("inference_output_tokens") or 0.0),
        slo_attainment_frac=_attainment(w.get("inference_slo_attainment_frac")),
        storage_tb=n_gpus * services.storage.stored_tb_per_gpu,
        ppa_mwh=scale * float(campus.get("renewable_delivered_mwh", 0.0)),
        grid_import_mwh=scale * float(campus.get("grid_import_mwh", 0.0)),
        grid_export_mwh=scale * float(campus.get("grid_export_mwh", 0.0)),
        solar_mwh=scale * float(campus.get("solar_mwh", 0.0)),
        wind_mwh=scale * float(campus.get("wind_mwh", 0.0)),
    )


def _attainment(value: Any) -> float:
    """SLO attainment of the run; no inference served (None or NaN) counts as met."""
    if value is None:
        return 1.0
    v = float(value)
    return 1.0 if math.isnan(v) else v


def _gpu_hour_mix(mix: ProductMix) -> dict[str, float]:
    """The catalogue's mix without inference, for runs without a token model (the profile).

    With ``it_load = "profile"`` no tokens are served, so every GPU-hour is sold as a
    GPU-hour product (the inference share of the profile's busy GPUs included).
    """
    shares = {p: v for p, v in mix.shares().items() if p != "inference"}
    total = sum(shares.values())
    return {**{p: v / total for p, v in shares.items()}, "inference": 0.0} if total > 0 else {}


def _with_contract_mix(shares: dict[str, float], mix: ProductMix) -> dict[str, float]:
    """Split the contract share into reserved, on-demand and managed training as ``mix`` does."""
    if not shares:
        return shares
    out = dict(shares)
    contract = out.pop("contract", 0.0)
    parts = {p: float(getattr(mix, f"{p}_frac")) for p in ("reserved", "on_demand", "managed_training")}
    total = sum(parts.values())
    for product, part in parts.items():
        out[product] = contract * (part / total if total > 0 else 1.0 / len(parts))
    return out


# ----------------------------------------------------------------- traceable capex
def capex_table(year: YearInputs, scenario: Scenario) -> pd.DataFrame:
    """What a year places in service, line by line, with the source of every unit cost.

    Parameters
    ----------
    year
        The placement (racks by hardware, IT MW, energy assets).
    scenario
        Its ``economics`` (campus costs) and ``costs`` (energy assets).

    Returns
    -------
    pandas.DataFrame
        The :func:`dctwin.economics.capex_lines`: ``asset_class``, ``item``, ``quantity`` (in
        ``unit``), ``unit_cost_usd``, ``factor``, ``capex_usd`` = quantity × unit cost ×
        factor, and ``source``: the catalogue comment of each input (``scenario override``
        where the scenario changed it), then the note on the factor.
    """
    rows = []
    for line in capex_lines(year, scenario.economics, scenario.costs):
        cited = " | ".join(source_of(file, key, value) for file, key, value in line.sources)
        rows.append(
            {
                "asset_class": line.asset_class, "item": line.item, "quantity": line.quantity,
                "unit": line.unit, "unit_cost_usd": line.unit_cost_usd, "factor": line.factor,
                "capex_usd": line.capex_usd, "source": f"{cited} [{line.note}]" if line.note else cited,
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


# ----------------------------------------------------------------- one run's economics
@dataclass(frozen=True)
class RunEconomics:
    """The economics of one run: its phase built at once and operated as simulated.

    Attributes
    ----------
    year
        The yearly inputs (annualised from the run) with everything up to the run's phase
        placed in service.
    cost
        Steady-state cost per GPU-hour and per million tokens, by item.
    cash
        Cash flows over ``economics.horizon_yr`` with the same operation every year.
    capex
        :func:`capex_table` of the placement.
    sensitivity
        :func:`dctwin.economics.sensitivity_table` of the same cash flows.
    """

    year: YearInputs
    cost: CostBreakdown
    cash: EconomicsResult
    capex: pd.DataFrame
    sensitivity: pd.DataFrame

    def summary(self, results: Results) -> dict[str, Any]:
        """Headline figures, unit-named (JSON-ready)."""
        campus = results.summary["campus"]
        econ = results.scenario.economics
        steady = self.cash.table.iloc[econ.capex_lead_yr]
        gpus = float(campus.get("gpus") or 0.0)
        gpu_h = self.cost.gpu_h_per_yr
        by_class = self.capex.groupby("asset_class")["capex_usd"].sum()
        out: dict[str, Any] = {
            "basis": _basis(results, self.year.year),
            "gpus": gpus,
            "it_mw": self.year.it_mw_added,
            "facility_power_mw": float(campus.get("facility_power_mw") or 0.0),
            "capex_usd": float(self.capex["capex_usd"].sum()),
            **{f"capex_{c}_usd": float(by_class.get(c, 0.0)) for c in ASSET_CLASSES},
            "capex_usd_per_gpu": float(self.capex["capex_usd"].sum()) / gpus if gpus > 0 else math.nan,
            "gpu_h_per_yr": gpu_h,
            "gpu_utilisation_frac": gpu_h / (gpus * HOURS_PER_YEAR_H) if gpus > 0 else math.nan,
            "tokens_per_yr": self.cost.tokens_per_yr,
            "cost_usd_per_gpu_h": self.cost.cost_usd_per_gpu_h,
            "cost_usd_per_mtok": self.cost.cost_usd_per_mtok,
            "annualised_cost_usd_per_yr": self.cost.total_usd_per_yr,
            "revenue_usd_per_yr": float(steady["revenue_usd"]),
            "revenue_usd_per_gpu_h": float(steady["revenue_usd"]) / gpu_h if gpu_h > 0 else math.nan,
            "opex_usd_per_yr": float(steady["opex_usd"]),
            "ebitda_usd_per_yr": float(steady["ebitda_usd"]),
            "ebitda_margin_frac": (
                float(steady["ebitda_usd"] / steady["revenue_usd"]) if steady["revenue_usd"] > 0 else math.nan
            ),
            "wacc_frac": econ.wacc_frac,
            "horizon_yr": econ.horizon_yr,
        }
        kpis = self.cash.summary()
        for key in ("capex_usd", "revenue_usd", "cost_usd_per_gpu_h", "cost_usd_per_mtok"):
            kpis.pop(key)
        return {**out, **kpis}

    def tables(self) -> dict[str, pd.DataFrame]:
        """``capex``, ``cost_breakdown``, ``cash_flows`` and ``economics_sensitivity`` for the store."""
        cost = self.cost
        items = pd.DataFrame(
            {
                "item": list(cost.cost_usd_per_yr),
                "usd_per_yr": [float(v) for v in cost.cost_usd_per_yr.values()],
                "usd_per_gpu_h": [float(v) for v in cost.per_gpu_h_usd.values()],
            }
        )
        total = items["usd_per_yr"].sum()
        items["share_frac"] = items["usd_per_yr"] / total if total > 0 else math.nan
        return {
            "capex": self.capex,
            "cost_breakdown": items,
            "cash_flows": self.cash.table,
            "economics_sensitivity": self.sensitivity,
        }


#: Below this many simulated days the economics say that a cold start biases them.
SHORT_RUN_D = 28


def _basis(results: Results, year: int) -> str:
    """What the run's economics stand for, and how far to trust the annualisation."""
    scenario = results.scenario
    span_d = HOURS_PER_YEAR_H / annual_scale(results) / 24.0
    text = (
        f"what the scenario builds up to {scenario.phase} placed in service in {year} and run as "
        f"simulated for {span_d:g} d, scaled ×{annual_scale(results):.3g} to a year, for "
        f"{scenario.economics.horizon_yr} yr"
    )
    if span_d < SHORT_RUN_D and scenario.it_load == "scheduler":
        text += (
            f"; a run under {SHORT_RUN_D} d starts with empty queues and covers one season, so it "
            "understates utilisation and revenue: simulate a year for figures to quote"
        )
    if scenario.it_load == "profile":
        text += "; the profile has no token model, so its inference hours are sold as GPU-hours"
    return text


def run_economics(results: Results) -> RunEconomics:
    """The economics of a run (see :class:`RunEconomics`).

    Parameters
    ----------
    results
        A twin run (any length: its flows are annualised).

    Returns
    -------
    RunEconomics
    """
    scenario = results.scenario
    year = run_year_inputs(results, scenario.time.start_date.year, placed_in_service(results))
    capex = capex_table(year, scenario)
    args = (scenario.economics, scenario.services, scenario.costs)
    cost = phase_cost_per_gpu_h(year, *args)
    cash = campus_cash_flows([year], *args)
    sensitivity = sensitivity_table([year], *args)
    return RunEconomics(year=year, cost=cost, cash=cash, capex=capex, sensitivity=sensitivity)
