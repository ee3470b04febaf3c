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

from dctwin.supply.battery import BatteryParams, battery_step

__all__ = ["DispatchResult", "GridLimits", "dispatch_site", "energy_balance_residual_mw"]


@dataclass(frozen=True)
class GridLimits:
    """Grid connection limits for one site.

    Attributes
    ----------
    import_limit_mw, export_limit_mw
        Connection limits. [MW]
    export_cap_frac_of_production
        Cumulative exports may not exceed this share of cumulative clean production
        (Moroccan Law 13-09 as amended: 20 %). [frac]
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
    The loop is the only per-step code of the energy part; everything it does per step
    is a handful of float operations on Python scalars (≈ 1 µs per step).
    """
    supply = np.asarray(clean_supply_mw, dtype=float)
    load = np.asarray(load_mw, dtype=float)
    n = supply.size
    net = supply - load
    surplus_all = np.maximum(net, 0.0).tolist()
    deficit_all = np.maximum(-net, 0.0).tolist()
    supply_list = supply.tolist()
    charge = [0.0] * n
    discharge = [0.0] * n
    soc_out = [0.0] * n
    has_battery = battery.power_mw > 0.0 and battery.energy_mwh > 0.0
    retain = (1.0 - battery.self_discharge_frac_per_day) ** (dt_h / 24.0)
    soc = battery.initial_soc_frac * battery.energy_mwh
    soc_floor = battery.soc_min_mwh
    exp_lim, imp_lim = grid.export_limit_mw, grid.import_limit_mw
    cap_frac = grid.export_cap_frac_of_production
    produced_mwh = 0.0
    exported_mwh = 0.0
    export = [0.0] * n
    imports = [0.0] * n
    curtail = [0.0] * n
    shed = [0.0] * n
    for t in range(n):
        surplus = surplus_all[t]
        deficit = deficit_all[t]
        produced_mwh += supply_list[t] * dt_h
        if has_battery:
            if soc > soc_floor:  # self-discharge, modelled as stopping at the window floor
                soc = max(soc * retain, soc_floor)
            c, d, soc = battery_step(soc, surplus, deficit, dt_h, battery)
            charge[t] = c
            discharge[t] = d
            surplus -= c
            deficit -= d
        soc_out[t] = soc
        if surplus > 0.0:
            budget_mw = max(cap_frac * produced_mwh - exported_mwh, 0.0) / dt_h
            e = min(surplus, exp_lim, budget_mw)
            export[t] = e
            exported_mwh += e * dt_h
            curtail[t] = surplus - e
        elif deficit > 0.0:
            i = min(deficit, imp_lim)
            imports[t] = i
            shed[t] = deficit - i
    return DispatchResult(
        battery_charge_mw=np.asarray(charge),
        battery_discharge_mw=np.asarray(discharge),
        battery_soc_mwh=np.asarray(soc_out),
        grid_import_mw=np.asarray(imports),
        grid_export_mw=np.asarray(export),
        curtailment_mw=np.asarray(curtail),
        load_shed_mw=np.asarray(shed),
    )


def energy_balance_residual_mw(clean_supply_mw: np.ndarray, load_mw: np.ndarray, r: DispatchResult) -> np.ndarray:
    """Sources minus sinks per step; zero (to rounding) when the balance closes. [MW]"""
    sources = clean_supply_mw + r.battery_discharge_mw + r.grid_import_mw + r.load_shed_mw
    sinks = load_mw + r.battery_charge_mw + r.grid_export_mw + r.curtailment_mw
    return np.asarray(sources - sinks)
