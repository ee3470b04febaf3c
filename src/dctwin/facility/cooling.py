"""Facility power and water: warm-water liquid cooling with dry coolers and chiller trim.

Heat paths (all IT power becomes heat):

* the **liquid loop** (``liquid_cooled_frac`` of IT heat; W32–W40 warm water) is cooled by
  dry coolers down to ``T_db + approach``; when that is above the supply set-point a trim
  chiller removes the rest;
* the **air-side loop** (the rest of the heat, colder water for CRAH coils) is handled
  the same way at its own, lower set-point, so it needs its chiller earlier in the year.

Chiller COP is a fixed share of the Carnot COP between the evaporator (supply − 3 K) and
the condenser (``T_db`` + condenser approach). Pumps scale with heat moved, air handlers
with the air-side heat; dry-cooler fans
rise linearly from a turn-down floor at 10 °C to their design fraction at the design
dry-bulb. Electrical losses are a share of facility power. All terms are proportional
to IT power, so PUE depends on the weather, not on the load level.

References
----------
ASHRAE TC 9.9 (2021), *Water-Cooled Servers: Common Designs, Components and Processes*
(liquid classes W17–W45).
The Green Grid WP#49 (PUE) and WP#35 (WUE).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dctwin.scenario.schema import CoolingDesign

__all__ = [
    "FacilityPower",
    "chiller_cop",
    "chiller_share_frac",
    "facility_power",
    "it_limit_mw",
    "pue_at_temperature",
]

_KELVIN = 273.15
_EVAPORATOR_BELOW_SUPPLY_K = 3.0
_FAN_FLOOR_TEMP_C = 10.0


def chiller_cop(
    temp_air_c: np.ndarray,
    supply_temp_c: float,
    condenser_approach_k: float,
    carnot_efficiency_frac: float,
    cop_max: float,
) -> np.ndarray:
    """COP of an air-cooled trim chiller.

    Parameters
    ----------
    temp_air_c
        Outdoor dry-bulb temperature. [°C]
    supply_temp_c
        Chilled-water supply set-point. [°C]
    condenser_approach_k
        Condensing temperature above dry-bulb. [K]
    carnot_efficiency_frac
        Share of the Carnot COP achieved. [frac]
    cop_max
        Upper bound at small lift. [1]

    Returns
    -------
    numpy.ndarray
        Coefficient of performance (heat removed / electricity). [1]

    Notes
    -----
    :math:`COP = η_C \\, T_e / (T_c - T_e)` with :math:`T_e = T_{supply} - 3` K and
    :math:`T_c = T_{db} + Δ_{cond}` in kelvin, bounded to [1, COP_max].

    Examples
    --------
    >>> round(float(chiller_cop(np.array([40.0]), 35.0, 8.0, 0.5, 12.0)[0]), 2)
    9.54
    """
    t_evap = supply_temp_c - _EVAPORATOR_BELOW_SUPPLY_K + _KELVIN
    t_cond = np.asarray(temp_air_c, dtype=float) + condenser_approach_k + _KELVIN
    lift = np.maximum(t_cond - t_evap, 1e-6)
    return np.clip(carnot_efficiency_frac * t_evap / lift, 1.0, cop_max)


def chiller_share_frac(
    temp_air_c: np.ndarray, supply_temp_c: float, delta_t_k: float, approach_k: float
) -> np.ndarray:
    """Share of a loop's heat the trim chiller must remove.

    Parameters
    ----------
    temp_air_c
        Outdoor dry-bulb (or wet-bulb for evaporative towers). [°C]
    supply_temp_c
        Loop supply set-point. [°C]
    delta_t_k
        Return − supply temperature of the loop. [K]
    approach_k
        Heat-rejection approach to the outdoor temperature. [K]

    Returns
    -------
    numpy.ndarray
        0 when dry coolers reach the set-point, 1 when they cannot cool the return at all. [frac]

    Notes
    -----
    Dry coolers bring the return water ``T_s + ΔT`` down to ``T_db + approach``; the
    chiller covers the remaining span: :math:`s = \\mathrm{clip}((T_{db}+a-T_s)/ΔT, 0, 1)`.

    Examples
    --------
    >>> chiller_share_frac(np.array([20.0, 35.0, 45.0]), 35.0, 10.0, 5.0).tolist()
    [0.0, 0.5, 1.0]
    """
    span = (np.asarray(temp_air_c, dtype=float) + approach_k - supply_temp_c) / delta_t_k
    return np.clip(span, 0.0, 1.0)


@dataclass(frozen=True)
class FacilityPower:
    """Facility power split per step. [MW] except ``pue`` [1], shares [frac], water [L/h]."""

    it_load_mw: np.ndarray
    cooling_mw: np.ndarray
    electrical_loss_mw: np.ndarray
    other_mw: np.ndarray
    facility_load_mw: np.ndarray
    pue: np.ndarray
    chiller_share_frac: np.ndarray
    water_l_per_h: np.ndarray


def _cooling_per_it(temp_air_c: np.ndarray, d: CoolingDesign, liquid_frac: float) -> tuple[np.ndarray, ...]:
    """Cooling power and water per MW of IT heat; chiller share of heat."""
    t = np.asarray(temp_air_c, dtype=float)
    t_reject = t - d.wet_bulb_depression_k if d.heat_rejection == "evaporative" else t
    if d.heat_rejection == "adiabatic":
        spraying = t > d.adiabatic_threshold_c
        t_reject = np.where(spraying, t - d.adiabatic_effectiveness_frac * d.wet_bulb_depression_k, t)
    else:
        spraying = np.zeros(t.shape, dtype=bool)
    loops = (
        (liquid_frac, d.liquid_supply_temp_c, d.liquid_delta_t_k),
        (1.0 - liquid_frac, d.air_supply_temp_c, d.air_delta_t_k),
    )
    chiller_per_it = np.zeros_like(t)
    chiller_heat = np.zeros_like(t)
    for share, supply, delta in loops:
        if share <= 0:
            continue
        s = chiller_share_frac(t_reject, supply, delta, d.dry_cooler_approach_k)
        cop = chiller_cop(
            t, supply, d.chiller_condenser_approach_k, d.chiller_carnot_efficiency_frac, d.chiller_cop_max
        )
        chiller_per_it += share * s / cop
        chiller_heat += share * s
    ramp = np.clip((t - _FAN_FLOOR_TEMP_C) / (d.design_dry_bulb_c - _FAN_FLOOR_TEMP_C), 0.0, 1.0)
    fan = d.fan_power_frac_of_heat_design * (
        d.fan_power_min_frac_of_design + (1 - d.fan_power_min_frac_of_design) * ramp
    )
    heat_out = 1.0 + chiller_per_it  # chillers reject their own electricity as heat too
    air_handling = d.air_handling_power_frac_of_air_heat * (1.0 - liquid_frac)
    cooling_per_it = chiller_per_it + air_handling + (d.pump_power_frac_of_heat + fan) * heat_out
    if d.heat_rejection == "evaporative":
        water_l_per_mwh = np.full_like(t, d.evaporative_water_l_per_kwh_heat * 1000.0) * heat_out
    elif d.heat_rejection == "adiabatic":
        water_l_per_mwh = (
            np.where(spraying, 0.5 * d.evaporative_water_l_per_kwh_heat * 1000.0, 0.0) * heat_out
        )
    else:
        water_l_per_mwh = np.zeros_like(t)
    return cooling_per_it, chiller_heat, water_l_per_mwh


def pue_at_temperature(
    temp_air_c: np.ndarray, design: CoolingDesign, liquid_cooled_frac: float
) -> np.ndarray:
    """PUE as a function of outdoor temperature (load-independent in this model).

    Parameters
    ----------
    temp_air_c
        Outdoor dry-bulb temperature. [°C]
    design
        Cooling and electrical design.
    liquid_cooled_frac
        Share of IT heat on the liquid loop. [frac]

    Returns
    -------
    numpy.ndarray
        PUE. [1]

    Notes
    -----
    :math:`PUE = (1 + c(T) + o) / (1 - ℓ)` with :math:`c` cooling power per unit IT,
    :math:`o` other loads per unit IT and :math:`ℓ` the electrical loss share.
    """
    cooling, _, _ = _cooling_per_it(temp_air_c, design, liquid_cooled_frac)
    return _pue(cooling, design)


def it_limit_mw(
    temp_air_c: np.ndarray,
    design: CoolingDesign,
    pue: np.ndarray,
    it_capacity_mw: float,
    facility_power_limit_mw: float,
) -> np.ndarray:
    """The most IT power the site can run at a temperature: derated capacity, within the feed.

    Parameters
    ----------
    temp_air_c
        Outdoor dry-bulb temperature. [°C]
    design
        Cooling design (design dry-bulb, derate per kelvin above it).
    pue
        PUE at that temperature (:func:`pue_at_temperature`). [1]
    it_capacity_mw
        Installed IT capacity. [MW]
    facility_power_limit_mw
        Built facility power. [MW]

    Returns
    -------
    numpy.ndarray
        ``min(derate(T) × it_capacity_mw, facility_power_limit_mw / PUE)``, with
        ``derate = clip(1 − derate_frac_per_k × max(T − design_dry_bulb_c, 0), 0, 1)``. [MW]
    """
    t = np.asarray(temp_air_c, dtype=float)
    derate = np.clip(1.0 - design.derate_frac_per_k * np.maximum(t - design.design_dry_bulb_c, 0.0), 0.0, 1.0)
    out: np.ndarray = np.minimum(
        derate * it_capacity_mw, facility_power_limit_mw / np.asarray(pue, dtype=float)
    )
    return out


def _pue(cooling_per_it: np.ndarray, design: CoolingDesign) -> np.ndarray:
    return (1.0 + cooling_per_it + design.other_power_frac_of_it) / (1.0 - design.electrical_loss_frac)


def facility_power(
    it_demand_mw: np.ndarray,
    temp_air_c: np.ndarray,
    design: CoolingDesign,
    liquid_cooled_frac: float,
    it_capacity_mw: float,
    facility_power_limit_mw: float,
) -> tuple[FacilityPower, np.ndarray]:
    """Facility power, with IT derated by the cooling design point and the power cap.

    Parameters
    ----------
    it_demand_mw
        IT power the workload asks for. [MW]
    temp_air_c
        Outdoor dry-bulb temperature. [°C]
    design
        Cooling and electrical design.
    liquid_cooled_frac
        Share of IT heat on the liquid loop. [frac]
    it_capacity_mw
        Design IT power of the fleet. [MW]
    facility_power_limit_mw
        Built facility power; facility load never exceeds it. [MW]

    Returns
    -------
    FacilityPower, it_derate_mw
        The split of facility power and the IT power held back [MW].

    Notes
    -----
    Above the design dry-bulb the IT capacity derates by ``derate_frac_per_k`` per kelvin.
    IT is then capped at ``facility_power_limit_mw / PUE(T)``.
    """
    t = np.asarray(temp_air_c, dtype=float)
    demand = np.asarray(it_demand_mw, dtype=float)
    cooling_per_it, chiller_heat, water_l_per_mwh = _cooling_per_it(t, design, liquid_cooled_frac)
    pue = _pue(cooling_per_it, design)
    it = np.minimum(demand, it_limit_mw(t, design, pue, it_capacity_mw, facility_power_limit_mw))
    facility = it * pue
    cooling = it * cooling_per_it
    other = it * design.other_power_frac_of_it
    result = FacilityPower(
        it_load_mw=it,
        cooling_mw=cooling,
        electrical_loss_mw=facility - it - cooling - other,
        other_mw=other,
        facility_load_mw=facility,
        pue=pue,
        chiller_share_frac=chiller_heat,
        water_l_per_h=water_l_per_mwh * it,
    )
    return result, demand - it
