"""The energy balance of one site, step by step.

Rule-based dispatch in merit order, the policy of a renewable PPA with storage and grid
backup:

1. clean supply (PV + wind) serves the facility load;
2. a surplus charges the battery, then is exported within the connection limit and the
   statutory surplus cap (a share of renewable production to date), and the rest is
   curtailed;
3. a deficit is met by the battery, then by grid import within the connection limit;
   anything left is load shed.

Every step closes exactly (see ``docs/conventions.md``)::

    clean + discharge + import + shed = load + charge + export + curtailment
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from dctwin.supply.battery import (
    BatteryLimits,
    BatteryParams,
    battery_step,
    discharge_available_mw,
    retain_frac_per_step,
)

__all__ = [
    "DispatchResult",
    "GridLimits",
    "SiteDispatcher",
    "dispatch_site",
    "dispatch_step",
    "energy_balance_residual_mw",
]


@dataclass(frozen=True)
class GridLimits:
    """Grid connection limits for one site.

    Attributes
    ----------
    import_limit_mw, export_limit_mw
        Connection limits. [MW]
    export_cap_frac_of_production
        Cumulative exports may not exceed this share of cumulative *delivered* clean
        production, i.e. clean energy that reached the campus load or the grid (Moroccan
        Law 13-09 as amended: 20 %; battery losses are not production). [frac]
    """

    import_limit_mw: float = math.inf
    export_limit_mw: float = math.inf
    export_cap_frac_of_production: float = 1.0


@dataclass(frozen=True)
class DispatchResult:
    """Flows of one site over the simulated steps; all arrays [MW] except SoC [MWh]."""

    battery_charge_mw: np.ndarray
    battery_discharge_mw: np.ndarray
    battery_soc_mwh: np.ndarray
    grid_import_mw: np.ndarray
    grid_export_mw: np.ndarray
    curtailment_mw: np.ndarray
    load_shed_mw: np.ndarray


def dispatch_site(
    clean_supply_mw: np.ndarray,
    load_mw: np.ndarray,
    dt_h: float,
    battery: BatteryParams,
    grid: GridLimits,
) -> DispatchResult:
    """Dispatch battery and grid against the net load of one site.

    Parameters
    ----------
    clean_supply_mw
        Contracted clean supply delivered at the site (PV + wind). [MW]
    load_mw
        Facility load. [MW]
    dt_h
        Step length. [h]
    battery
        Battery limits (zero power = no battery).
    grid
        Connection limits and the surplus-sale cap.

    Returns
    -------
    DispatchResult
        Non-negative flows; SoC at the end of each step.

    Notes
    -----
    The loop is the only per-step code of the energy part. It is compiled with numba
    (cached on disk after the first call), ≈ 5 ns per step.
    """
    supply = np.ascontiguousarray(clean_supply_mw, dtype=np.float64)
    load = np.ascontiguousarray(load_mw, dtype=np.float64)
    has_battery = battery.power_mw > 0.0 and battery.energy_mwh > 0.0
    retain = retain_frac_per_step(battery.self_discharge_frac_per_day, dt_h)
    flows = _dispatch_loop(
        supply, load, float(dt_h), has_battery, battery.limits(), retain,
        battery.initial_soc_frac * battery.energy_mwh,
        float(grid.import_limit_mw), float(grid.export_limit_mw), float(grid.export_cap_frac_of_production),
    )  # fmt: skip
    return DispatchResult(*flows)


@njit(cache=True)
def dispatch_step(
    supply_mw: float,
    load_mw: float,
    dt_h: float,
    has_battery: bool,
    limits: BatteryLimits,
    retain: float,
    soc_mwh: float,
    imp_lim: float,
    exp_lim: float,
    cap_frac: float,
    served_mwh: float,
    exported_mwh: float,
) -> tuple[float, float, float, float, float, float, float, float, float]:
    """One step of the merit order (compiled): the house style's ``step`` function.

    Parameters
    ----------
    supply_mw, load_mw
        Clean supply and facility load over the step. [MW]
    dt_h
        Step length. [h]
    has_battery, limits, retain
        Battery present, its limits, and the self-discharge retention factor per step. [1]
    soc_mwh
        Stored energy at the start of the step. [MWh]
    imp_lim, exp_lim
        Grid connection limits. [MW]
    cap_frac
        Surplus-sale cap as a share of delivered clean production. [frac]
    served_mwh, exported_mwh
        Clean energy delivered to the campus and exported so far (the cap's state). [MWh]

    Returns
    -------
    tuple
        ``charge_mw, discharge_mw, soc_mwh, import_mw, export_mw, curtailment_mw,
        load_shed_mw, served_mwh, exported_mwh`` after the step.
    """
    net = supply_mw - load_mw
    surplus = max(net, 0.0)
    deficit = max(-net, 0.0)
    c = 0.0
    d = 0.0
    soc = soc_mwh
    if has_battery:
        if soc > limits.soc_min_mwh:  # self-discharge, modelled as stopping at the window floor
            soc = max(soc * retain, limits.soc_min_mwh)
        c, d, soc = battery_step(soc, surplus, deficit, dt_h, limits)
        surplus -= c
        deficit -= d
    imp = 0.0
    exp = 0.0
    curt = 0.0
    shed = 0.0
    if surplus > 0.0:
        served_mwh += load_mw * dt_h
        # E + e ≤ cap · (served + E + e)  ⟺  e ≤ (cap · served − (1 − cap) · E) / (1 − cap)
        if cap_frac >= 1.0:
            budget_mw = np.inf
        else:
            budget_mw = max(cap_frac * served_mwh - (1.0 - cap_frac) * exported_mwh, 0.0)
            budget_mw /= (1.0 - cap_frac) * dt_h
        exp = min(surplus, exp_lim, budget_mw)
        exported_mwh += exp * dt_h
        curt = surplus - exp
    elif deficit > 0.0:
        imp = min(deficit, imp_lim)
        shed = deficit - imp
        served_mwh += (load_mw - deficit) * dt_h
    else:
        served_mwh += load_mw * dt_h
    return c, d, soc, imp, exp, curt, shed, served_mwh, exported_mwh


@njit(cache=True)
def _dispatch_loop(
    supply: np.ndarray,
    load: np.ndarray,
    dt_h: float,
    has_battery: bool,
    limits: BatteryLimits,
    retain: float,
    soc: float,
    imp_lim: float,
    exp_lim: float,
    cap_frac: float,
) -> tuple[np.ndarray, ...]:
    """The per-step merit-order loop (compiled); see :func:`dispatch_site`."""
    n = supply.size
    charge = np.zeros(n)
    discharge = np.zeros(n)
    soc_out = np.zeros(n)
    imports = np.zeros(n)
    export = np.zeros(n)
    curtail = np.zeros(n)
    shed = np.zeros(n)
    served_mwh = 0.0  # load met by clean supply or the battery so far
    exported_mwh = 0.0
    for t in range(n):
        c, d, soc, i, e, k, s, served_mwh, exported_mwh = dispatch_step(
            supply[t], load[t], dt_h, has_battery, limits, retain, soc,
            imp_lim, exp_lim, cap_frac, served_mwh, exported_mwh,
        )  # fmt: skip
        charge[t] = c
        discharge[t] = d
        soc_out[t] = soc
        imports[t] = i
        export[t] = e
        curtail[t] = k
        shed[t] = s
    return charge, discharge, soc_out, imports, export, curtail, shed


class SiteDispatcher:
    """The dispatch of one site advanced one step at a time (co-simulation with the scheduler).

    Runs exactly the merit order of :func:`dispatch_site` (the same compiled
    :func:`dispatch_step`), so a year stepped here equals :func:`dispatch_site` on the same
    series. Between steps it tells the scheduler how much the battery could give.

    Parameters
    ----------
    dt_h
        Step length. [h]
    battery
        Battery limits.
    grid
        Connection limits and the surplus-sale cap.
    """

    def __init__(self, dt_h: float, battery: BatteryParams, grid: GridLimits) -> None:
        self.dt_h = float(dt_h)
        self.battery = battery
        self.limits = battery.limits()
        self.has_battery = battery.power_mw > 0.0 and battery.energy_mwh > 0.0
        self.retain = retain_frac_per_step(battery.self_discharge_frac_per_day, dt_h)
        self.soc_mwh = battery.initial_soc_frac * battery.energy_mwh
        self.grid = grid
        self.served_mwh = 0.0
        self.exported_mwh = 0.0

    def discharge_available_mw(self, reserve_frac: float = 0.0) -> float:
        """Most the battery can deliver over the next step, keeping ``reserve_frac`` of its
        energy capacity above the SoC floor untouched. [MW]"""
        if not self.has_battery:
            return 0.0
        return float(
            discharge_available_mw(
                self.soc_mwh, self.limits.soc_min_mwh, reserve_frac * self.battery.energy_mwh, self.retain,
                self.limits.power_mw, self.limits.discharge_efficiency_frac, self.dt_h,
            )
        )  # fmt: skip

    def step(self, supply_mw: float, load_mw: float) -> tuple[float, ...]:
        """Advance one step; returns ``charge, discharge, soc, import, export, curtailment, shed``."""
        g = self.grid
        c, d, soc, i, e, k, s, self.served_mwh, self.exported_mwh = dispatch_step(
            float(supply_mw), float(load_mw), self.dt_h, self.has_battery, self.limits, self.retain,
            self.soc_mwh, float(g.import_limit_mw), float(g.export_limit_mw),
            float(g.export_cap_frac_of_production), self.served_mwh, self.exported_mwh,
        )  # fmt: skip
        self.soc_mwh = soc
        return c, d, soc, i, e, k, s


def energy_balance_residual_mw(
    clean_supply_mw: np.ndarray, load_mw: np.ndarray, r: DispatchResult
) -> np.ndarray:
    """Sources minus sinks per step; zero (to rounding) when the balance closes. [MW]"""
    sources = clean_supply_mw + r.battery_discharge_mw + r.grid_import_mw + r.load_shed_mw
    sinks = load_mw + r.battery_charge_mw + r.grid_export_mw + r.curtailment_mw
    return np.asarray(sources - sinks)
