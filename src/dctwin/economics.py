"""Economics: small typed functions with their textbook definitions.

References
----------
Brealey, Myers & Allen, *Principles of Corporate Finance*, 13th ed., ch. 2 (annuities, NPV).
PyPSA ``pypsa.costs`` / technology-data: annualised capex = capex × (annuity + FOM).
"""

from __future__ import annotations

__all__ = ["annualised_cost_per_unit", "annuity_factor"]


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
    if lifetime_yr <= 0:
        raise ValueError(f"lifetime_yr must be > 0, got {lifetime_yr} yr")
    if wacc_frac == 0:
        return 1.0 / lifetime_yr
    return wacc_frac / (1.0 - (1.0 + wacc_frac) ** -lifetime_yr)


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
