"""Battery: limits and the per-step state update.

The battery is the only stateful supply part. :func:`battery_step` is the one small
``step`` function of the house style; :func:`dctwin.dispatch.dispatch_site` loops over it
for a whole time series. Both are compiled with numba (``cache=True``): the benchmark
against Vessim showed the interpreted loop at ≈ 1 µs per step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from numba import njit

__all__ = ["BatteryLimits", "BatteryParams", "battery_step", "discharge_available_mw", "retain_frac_per_step"]


@dataclass(frozen=True)
class BatteryParams:
    """Battery limits for one site at one phase.

    Attributes
    ----------
    power_mw
        Charge and discharge power limit (AC). [MW]
    energy_mwh
        Usable-window reference energy capacity (nameplate). [MWh]
    round_trip_efficiency_frac
        AC→AC round-trip efficiency, split evenly as √η on charge and discharge. [frac]
    soc_min_frac, soc_max_frac
        State-of-charge window. [frac]
    initial_soc_frac
        State of charge before the first step. [frac]
    self_discharge_frac_per_day
        Share of stored energy lost per day. [frac/d]
    """

    power_mw: float = 0.0
    energy_mwh: float = 0.0
    round_trip_efficiency_frac: float = 0.87
    soc_min_frac: float = 0.05
    soc_max_frac: float = 0.95
    initial_soc_frac: float = 0.5
    self_discharge_frac_per_day: float = 0.0

    @property
    def charge_efficiency_frac(self) -> float:
        """One-way charge efficiency √η. [frac]"""
        return math.sqrt(self.round_trip_efficiency_frac)

    @property
    def discharge_efficiency_frac(self) -> float:
        """One-way discharge efficiency √η. [frac]"""
        return math.sqrt(self.round_trip_efficiency_frac)

    @property
    def soc_min_mwh(self) -> float:
        """Lowest allowed stored energy. [MWh]"""
        return self.soc_min_frac * self.energy_mwh

    @property
    def soc_max_mwh(self) -> float:
        """Highest allowed stored energy. [MWh]"""
        return self.soc_max_frac * self.energy_mwh

    def limits(self) -> BatteryLimits:
        """The limits as plain floats for the compiled step function."""
        return BatteryLimits(
            float(self.power_mw),
            float(self.soc_min_mwh),
            float(self.soc_max_mwh),
            self.charge_efficiency_frac,
            self.discharge_efficiency_frac,
        )


class BatteryLimits(NamedTuple):
    """The battery limits as plain floats, the form the compiled step function takes.

    Attributes
    ----------
    power_mw
        Charge/discharge power limit. [MW]
    soc_min_mwh, soc_max_mwh
        Stored-energy window. [MWh]
    charge_efficiency_frac, discharge_efficiency_frac
        One-way efficiencies. [frac]
    """

    power_mw: float
    soc_min_mwh: float
    soc_max_mwh: float
    charge_efficiency_frac: float
    discharge_efficiency_frac: float


@njit(cache=True)
def battery_step(
    soc_mwh: float, surplus_mw: float, deficit_mw: float, dt_h: float, limits: BatteryLimits
) -> tuple[float, float, float]:
    """Charge from a surplus or discharge into a deficit for one step.

    Compiled with numba (called once per step inside :func:`dctwin.dispatch.dispatch_site`).

    Parameters
    ----------
    soc_mwh
        Stored energy at the start of the step (after self-discharge). [MWh]
    surplus_mw
        Power available to charge (≥ 0). [MW]
    deficit_mw
        Power wanted from the battery (≥ 0); only one of surplus/deficit is > 0. [MW]
    dt_h
        Step length. [h]
    limits
        Battery limits (:meth:`BatteryParams.limits`).

    Returns
    -------
    charge_mw, discharge_mw, soc_mwh
        AC charge and discharge power over the step [MW] and stored energy at its end [MWh].

    Notes
    -----
    :math:`c = \\min(s, P, (E_{max}-E)/(η_c Δt))`,
    :math:`d = \\min(δ, P, (E-E_{min}) η_d / Δt)`,
    :math:`E' = E + η_c c Δt - d Δt / η_d`.

    Examples
    --------
    >>> p = BatteryParams(power_mw=10, energy_mwh=40, round_trip_efficiency_frac=1.0,
    ...                   soc_min_frac=0.0, soc_max_frac=1.0)
    >>> battery_step(20.0, 15.0, 0.0, 1.0, p.limits())
    (10.0, 0.0, 30.0)
    >>> battery_step(5.0, 0.0, 8.0, 1.0, p.limits())
    (0.0, 5.0, 0.0)
    """
    if surplus_mw > 0.0:
        eta = limits.charge_efficiency_frac
        room_mw = max(limits.soc_max_mwh - soc_mwh, 0.0) / (eta * dt_h)
        charge_mw = min(surplus_mw, limits.power_mw, room_mw)
        return charge_mw, 0.0, soc_mwh + eta * charge_mw * dt_h
    if deficit_mw > 0.0:
        eta = limits.discharge_efficiency_frac
        avail_mw = max(soc_mwh - limits.soc_min_mwh, 0.0) * eta / dt_h
        discharge_mw = min(deficit_mw, limits.power_mw, avail_mw)
        return 0.0, discharge_mw, soc_mwh - discharge_mw * dt_h / eta
    return 0.0, 0.0, soc_mwh


def retain_frac_per_step(self_discharge_frac_per_day: float, dt_h: float) -> float:
    """Share of the stored energy left after one step of self-discharge.

    Parameters
    ----------
    self_discharge_frac_per_day
        Energy lost per day at rest. [frac/d]
    dt_h
        Step length. [h]

    Returns
    -------
    float
        ``(1 − self_discharge_frac_per_day) ** (dt_h / 24)``. [frac]

    Examples
    --------
    >>> round(retain_frac_per_step(0.024, 24.0), 6), round(retain_frac_per_step(0.0, 1.0), 6)
    (0.976, 1.0)
    """
    return float((1.0 - self_discharge_frac_per_day) ** (dt_h / 24.0))


@njit(cache=True)
def discharge_available_mw(
    soc_mwh: float,
    soc_min_mwh: float,
    reserve_mwh: float,
    retain_frac: float,
    power_mw: float,
    discharge_efficiency_frac: float,
    dt_h: float,
) -> float:
    """Most the battery can deliver over the next step, keeping ``reserve_mwh`` above the floor.

    Compiled with numba: the dispatcher and the scheduler's power budget both call it.

    Parameters
    ----------
    soc_mwh
        Stored energy now. [MWh]
    soc_min_mwh
        SoC floor. [MWh]
    reserve_mwh
        Energy above the floor kept untouched. [MWh]
    retain_frac
        Share left after the step's self-discharge (:func:`retain_frac_per_step`). [frac]
    power_mw
        Discharge power limit (0 = no battery). [MW]
    discharge_efficiency_frac
        Discharge efficiency. [frac]
    dt_h
        Step length. [h]

    Returns
    -------
    float
        ``min(P, max(E' − floor − reserve, 0) · η_d / Δt)`` with ``E'`` the SoC after
        self-discharge (not below the floor). [MW]

    Examples
    --------
    >>> discharge_available_mw(30.0, 4.0, 6.0, 1.0, 10.0, 0.9, 1.0)
    10.0
    >>> round(discharge_available_mw(12.0, 4.0, 6.0, 1.0, 10.0, 0.9, 1.0), 6)
    1.8
    """
    if power_mw <= 0.0:
        return 0.0
    floor = soc_min_mwh + reserve_mwh
    soc = max(soc_mwh * retain_frac, soc_min_mwh) if soc_mwh > floor else soc_mwh
    return min(power_mw, max(soc - floor, 0.0) * discharge_efficiency_frac / dt_h)
