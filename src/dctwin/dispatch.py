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

from dctwin.supply.battery import BatteryLimits, BatteryParams, battery_step

__all__ = ["DispatchResult", "GridLimits", "dispatch_site", "energy_balance_residual_mw"]


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
    retain = (1.0 - battery.self_discharge_frac_per_day) ** (dt_h / 24.0)
    flows = _dispatch_loop(
        supply, load, float(dt_h), has_battery, battery.limits(), retain,
        battery.initial_soc_frac * battery.energy_mwh,
        float(grid.import_limit_mw), float(grid.export_limit_mw), float(grid.export_cap_frac_of_production),
    )  # fmt: skip
    return DispatchResult(*flows)


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
        net = supply[t] - load[t]
        surplus = max(net, 0.0)
        deficit = max(-net, 0.0)
        if has_battery:
            if soc > limits.soc_min_mwh:  # self-discharge, modelled as stopping at the window floor
                soc = max(soc * retain, limits.soc_min_mwh)
            c, d, soc = battery_step(soc, surplus, deficit, dt_h, limits)
            charge[t] = c
            discharge[t] = d
            surplus -= c
            deficit -= d
        soc_out[t] = soc
        if surplus > 0.0:
            served_mwh += load[t] * dt_h
            # E + e ≤ cap · (served + E + e)  ⟺  e ≤ (cap · served − (1 − cap) · E) / (1 − cap)
            if cap_frac >= 1.0:
                budget_mw = np.inf
            else:
                budget_mw = max(cap_frac * served_mwh - (1.0 - cap_frac) * exported_mwh, 0.0)
                budget_mw /= (1.0 - cap_frac) * dt_h
            e = min(surplus, exp_lim, budget_mw)
            export[t] = e
            exported_mwh += e * dt_h
            curtail[t] = surplus - e
        elif deficit > 0.0:
            i = min(deficit, imp_lim)
            imports[t] = i
            shed[t] = deficit - i
            served_mwh += (load[t] - deficit) * dt_h
        else:
            served_mwh += load[t] * dt_h
    return charge, discharge, soc_out, imports, export, curtail, shed


def energy_balance_residual_mw(
    clean_supply_mw: np.ndarray, load_mw: np.ndarray, r: DispatchResult
) -> np.ndarray:
    """Sources minus sinks per step; zero (to rounding) when the balance closes. [MW]"""
    sources = clean_supply_mw + r.battery_discharge_mw + r.grid_import_mw + r.load_shed_mw
    sinks = load_mw + r.battery_charge_mw + r.grid_export_mw + r.curtailment_mw
    return np.asarray(sources - sinks)
