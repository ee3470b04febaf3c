"""The build-out timeline: the campus year by year as it ramps through its phases.

Each phase is simulated for one representative year — a full calendar year at the
phase's capacity, starting on the first 1 January on or after the phase comes online —
with the twin's weather, supply, scheduler and dispatch. Every calendar year of the
horizon then takes the figures of the latest phase online on its 1 January (the year a
phase comes online mid-year counts at the previous phase: capacity is commissioned
through the year). The economics layer turns the same yearly figures into cash flows:
each phase's capex is placed in the first year it appears (paid ``capex_lead_yr`` years
before), and the years after the last phase repeat its operation up to the horizon.

This is orchestration above :func:`dctwin.engine.run`: it calls the engine once per
phase and only reads the runs' summaries.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dctwin.economics import EconomicsResult, YearInputs, campus_cash_flows, sensitivity_table
from dctwin.economics_inputs import annual_scale, placed_in_service, run_year_inputs, scheduled_gpu_hours
from dctwin.engine import run
from dctwin.results.model import Results
from dctwin.scenario.network import with_cable_cuts
from dctwin.scenario.schema import Scenario

__all__ = ["Timeline", "build_out", "phase_years", "representative_matches", "year_figures", "year_inputs"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Timeline:
    """The campus year by year.

    Attributes
    ----------
    years
        One row per calendar year: ``year``, ``phase`` and the unit-named figures of
        :func:`year_figures`.
    runs
        Phase name → the representative year's results.
    cash
        Cash flows of the whole ramp over the economics horizon and their KPIs.
    sensitivity
        One-at-a-time sensitivity of the ramp's NPV, IRR, payback, cost per GPU-hour.
    """

    years: pd.DataFrame
    runs: dict[str, Results] = field(default_factory=dict)
    cash: EconomicsResult | None = None
    sensitivity: pd.DataFrame | None = None

    def summary(self) -> dict[str, Any]:
        """Headline figures of the whole ramp (JSON-ready floats; ``None`` where undefined)."""
        if self.cash is None or self.years.empty:
            return {}
        t = self.cash.table
        ops = self.years[self.years["phase"] != "construction"]
        kpis = self.cash.summary()
        out: dict[str, Any] = {
            "first_year": int(t["year"].iloc[0]),
            "last_year": int(t["year"].iloc[-1]),
            "phases": list(self.runs),
            "final_facility_power_mw": float(ops["facility_power_mw"].iloc[-1]),
            "final_gpus": float(ops["gpus"].iloc[-1]),
            "peak_funding_usd": float(-min(0.0, t["cumulative_cash_usd"].min())),
            "emissions_location_t": float(ops["emissions_location_t"].sum()),
            **kpis,
        }
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()}

    def phases(self) -> pd.DataFrame:
        """Each phase's economics as a campus of its own: everything up to it built at once.

        One row per phase: ``facility_power_mw``, ``gpus``, ``capex_usd``,
        ``cost_usd_per_gpu_h``, ``cost_usd_per_mtok``, ``revenue_usd_per_yr``,
        ``ebitda_usd_per_yr``, ``npv_usd``, ``irr_frac``, ``payback_yr``,
        ``lcoe_renewables_usd_per_mwh``, ``supply_cost_usd_per_mwh`` and the run's
        ``hourly_cfe_score_frac``.
        """
        keys = (
            "facility_power_mw", "gpus", "capex_usd", "cost_usd_per_gpu_h", "cost_usd_per_mtok",
            "revenue_usd_per_yr", "ebitda_usd_per_yr", "npv_usd", "irr_frac", "payback_yr",
            "lcoe_renewables_usd_per_mwh", "supply_cost_usd_per_mwh",
        )  # fmt: skip
        rows = []
        for phase, results in self.runs.items():
            e = results.summary.get("economics") or {}
            cfe = results.summary["campus"].get("hourly_cfe_score_frac")
            rows.append({"phase": phase, **{k: e.get(k) for k in keys}, "hourly_cfe_score_frac": cfe})
        return pd.DataFrame(rows)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``build_out_years``, ``_phases``, ``_cash_flows`` and ``_sensitivity`` for the store."""
        out = {"build_out_years": self.years, "build_out_phases": self.phases()}
        if self.cash is not None:
            out["build_out_cash_flows"] = self.cash.table
        if self.sensitivity is not None:
            out["build_out_sensitivity"] = self.sensitivity
        return out

    def __repr__(self) -> str:
        if self.years.empty:
            return "Timeline(no years)"
        first, last = int(self.years["year"].iloc[0]), int(self.years["year"].iloc[-1])
        return f"Timeline({first}–{last}, phases {list(self.runs)})"


def phase_years(scenario: Scenario, horizon_yr: int) -> list[tuple[int, str]]:
    """``(calendar year, phase)`` for ``horizon_yr`` years from the first phase's first full year.

    Parameters
    ----------
    scenario
        Scenario with its phase timeline.
    horizon_yr
        Number of calendar years. [yr]

    Examples
    --------
    >>> from dctwin.scenario import load_scenario
    >>> phase_years(load_scenario("morocco-500mw"), 4)
    [(2026, 'phase-1'), (2027, 'phase-1'), (2028, 'phase-2'), (2029, 'phase-2')]
    """
    if horizon_yr < 1:
        raise ValueError(f"horizon_yr must be ≥ 1, got {horizon_yr} yr")
    first = _first_full_year(scenario.phases[0].online_date)
    out = []
    for year in range(first, first + horizon_yr):
        jan1 = dt.date(year, 1, 1)
        online = [p.name for p in scenario.phases if p.online_date <= jan1] or [scenario.phases[0].name]
        out.append((year, online[-1]))
    return out


def _first_full_year(online: dt.date) -> int:
    return online.year if (online.month, online.day) == (1, 1) else online.year + 1


def _representative(scenario: Scenario, phase: str, days: int | None) -> Scenario:
    online = next(p.online_date for p in scenario.phases if p.name == phase)
    year = _first_full_year(online)
    if days is None:
        days = 366 if pd.Timestamp(year=year, month=12, day=31).dayofyear == 366 else 365
    time = scenario.time.model_copy(update={"start_date": dt.date(year, 1, 1), "duration_days": days})
    quick = scenario.scheduler.model_copy(update={"compare_baseline": False})
    return scenario.model_copy(update={"phase": phase, "time": time, "scheduler": quick})


def year_figures(results: Results) -> dict[str, Any]:
    """The yearly figures the timeline reads from one run, its flows scaled to a year.

    Flows (energy, emissions, GPU-hours, tokens, jobs) are multiplied by
    :func:`dctwin.economics_inputs.annual_scale`, so a run of a few representative days
    stands for its year; capacities and ratios are the run's.

    Parameters
    ----------
    results
        A twin run (any length).

    Returns
    -------
    dict
        Capacity (``facility_power_mw``, ``gpus``, ``racks``), energy (``facility_load_mwh``,
        ``it_load_mwh``, ``solar_mwh``, ``wind_mwh``, ``grid_import_mwh``, ``grid_export_mwh``,
        ``curtailment_mwh``), ``hourly_cfe_score_frac``, ``annual_renewable_share_frac``,
        ``emissions_location_t``, ``pue_annual``, and with the scheduler ``gpu_h_by_qos``
        [GPU·h], ``swarm_gpu_h``, ``inference_gpu_h``, ``inference_tokens``, ``jobs_done``.
    """
    c = results.summary["campus"]
    scale = annual_scale(results)
    keys = (
        "facility_power_mw", "gpus", "racks", "facility_load_mwh", "it_load_mwh", "solar_mwh", "wind_mwh",
        "grid_import_mwh", "grid_export_mwh", "curtailment_mwh", "hourly_cfe_score_frac",
        "annual_renewable_share_frac", "emissions_location_t", "pue_annual",
    )  # fmt: skip
    out: dict[str, Any] = {k: c.get(k) for k in keys}
    for k in _FLOWS:  # a representative week stands for its year
        if out.get(k) is not None:
            out[k] = float(out[k]) * scale
    w = results.summary.get("workload")
    if isinstance(w, dict):
        by_qos, swarm, inference = scheduled_gpu_hours(results)
        out["gpu_h_by_qos"] = {k: v * scale for k, v in by_qos.items()}
        out["swarm_gpu_h"] = swarm * scale
        out["inference_gpu_h"] = inference * scale
        out["inference_tokens"] = float(w.get("inference_tokens") or 0.0) * scale
        out["jobs_done"] = float(w.get("jobs_done") or 0) * scale
        out["gpu_allocation_frac"] = w.get("gpu_allocation_frac")
    return out


def representative_matches(scenario: Scenario, phase: str) -> bool:
    """Whether ``scenario`` as configured already simulates ``phase``'s representative year.

    Parameters
    ----------
    scenario
        A scenario with its ``time`` block as it would run.
    phase
        Phase name.

    Returns
    -------
    bool
        ``True`` when the scenario simulates ``phase`` over the same period, step and
        length as the build-out would (its run can be reused).
    """
    rep = _representative(scenario, phase, None)
    return scenario.phase == phase and scenario.time == rep.time


def build_out(
    scenario: Scenario,
    horizon_yr: int | None = None,
    progress: Progress | None = None,
    *,
    days: int | None = None,
    reuse: dict[str, Results] | None = None,
    cuts: Sequence[str] = (),
) -> Timeline:
    """Simulate each phase's representative year and lay the campus out year by year.

    Parameters
    ----------
    scenario
        The campus (its phase timeline, build steps and economics).
    horizon_yr
        Calendar years to cover from the first phase's first full year; default
        ``economics.horizon_yr``. [yr]
    progress
        Called with a short message as each phase starts.
    days
        Simulate only the first ``days`` days of each representative year and scale its
        flows to the year (quicker; loses the seasons it skips). Default: the whole year. [d]
    reuse
        Phase → an existing run of that phase's representative year (not simulated again).
    cuts
        Cables cut for the whole of every representative year (``dctwin run --cut``).

    Returns
    -------
    Timeline
        One row per year (capacity, energy, emissions, and the economics: capex, revenue,
        opex, EBITDA, free cash flow, cumulative cash), the run of each phase, the cash-flow
        table and its KPIs.
    """
    say = progress or (lambda _m: None)
    horizon = horizon_yr or scenario.economics.horizon_yr
    plan = phase_years(scenario, horizon)
    runs: dict[str, Results] = {}
    for phase in dict.fromkeys(p for _, p in plan):
        if reuse and phase in reuse:
            runs[phase] = reuse[phase]
            continue
        say(f"{phase}: a representative {'year' if days is None else f'{days} d'}")
        runs[phase] = run(with_cable_cuts(_representative(scenario, phase, days), cuts))
    inputs = year_inputs(scenario, plan, runs)
    args = (scenario.economics, scenario.services, scenario.costs)
    cash = campus_cash_flows(inputs, *args)
    rows = []
    for year, phase in plan:
        figures = year_figures(runs[phase])
        rows.append(
            {"year": year, "phase": phase, **{k: v for k, v in figures.items() if not isinstance(v, dict)}}
        )
    years = pd.DataFrame(rows)
    money = cash.table[["year", *_MONEY]]
    years = money.merge(years, on="year", how="left")  # the construction year(s) first
    years["phase"] = years["phase"].fillna("construction")
    return Timeline(years=years, runs=runs, cash=cash, sensitivity=sensitivity_table(inputs, *args))


_FLOWS = (
    "facility_load_mwh", "it_load_mwh", "solar_mwh", "wind_mwh", "grid_import_mwh", "grid_export_mwh",
    "curtailment_mwh", "emissions_location_t",
)  # fmt: skip

_MONEY = (
    "capex_usd", "revenue_usd", "opex_usd", "ebitda_usd", "tax_usd", "free_cash_flow_usd",
    "cumulative_cash_usd", "gpu_h_delivered", "cost_usd_per_gpu_h",
)  # fmt: skip


def year_inputs(
    scenario: Scenario, plan: list[tuple[int, str]], runs: dict[str, Results]
) -> list[YearInputs]:
    """One :class:`YearInputs` per year of ``plan``.

    A phase's build steps (and those of any phase online on the same 1 January that the
    plan skips) are placed in service in the first year the plan shows that phase;
    every year operates as its phase's representative run.

    Parameters
    ----------
    scenario
        The campus (its phase order).
    plan
        ``(calendar year, phase)`` per year, as :func:`phase_years` gives.
    runs
        Phase → its representative run.

    Returns
    -------
    list of YearInputs
        One per year of ``plan``, flows annualised [GPU·h, token, MWh per year].
    """
    order = [p.name for p in scenario.phases]
    placed_up_to = -1
    out = []
    for year, phase in plan:
        idx = order.index(phase)
        placed = None
        if idx > placed_up_to:
            placed = placed_in_service(runs[phase], phases=set(order[placed_up_to + 1 : idx + 1]))
            placed_up_to = idx
        out.append(run_year_inputs(runs[phase], year, placed))
    return out
