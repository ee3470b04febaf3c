"""PUE and water of warm-water liquid cooling against the ranges of facts.md §4.1 and §8."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dctwin.facility.cooling import chiller_cop, chiller_share_frac, facility_power, pue_at_temperature
from dctwin.scenario.schema import CoolingDesign

GB200_LIQUID = 0.85


def test_pue_at_mild_temperatures() -> None:
    """facts.md §4.1 default model: Nov–Apr ≈ 1.10–1.12 (Tangier, 12–16 °C daily means)."""
    pue = pue_at_temperature(np.array([10.0, 14.0, 18.0]), CoolingDesign(), GB200_LIQUID)
    assert np.all((pue >= 1.09) & (pue <= 1.125))


def test_pue_on_chergui_days() -> None:
    """facts.md §4.1: Chergui days (> 35 °C) up to ~1.25; §8: ~1.25 at ≥ 40 °C."""
    pue = pue_at_temperature(np.array([40.0, 42.0]), CoolingDesign(), GB200_LIQUID)
    assert np.all((pue >= 1.18) & (pue <= 1.30))


def test_pue_at_30c() -> None:
    """facts.md §8: ~1.17 at 30 °C (±0.05)."""
    assert pue_at_temperature(np.array([30.0]), CoolingDesign(), GB200_LIQUID)[0] == pytest.approx(
        1.15, abs=0.05
    )


@given(st.lists(st.floats(-10.0, 50.0), min_size=2, max_size=50), st.floats(0.0, 1.0))
def test_pue_never_falls_as_it_gets_hotter(temps: list[float], liquid: float) -> None:
    t = np.sort(np.array(temps))
    pue = pue_at_temperature(t, CoolingDesign(), liquid)
    assert np.all(np.diff(pue) >= -1e-12)
    assert np.all(pue >= 1.0)


def test_chiller_share_is_zero_when_dry_coolers_suffice() -> None:
    d = CoolingDesign()
    threshold = d.liquid_supply_temp_c - d.dry_cooler_approach_k  # 30 °C
    share = chiller_share_frac(
        np.array([threshold - 5, threshold, threshold + 5]),
        d.liquid_supply_temp_c,
        d.liquid_delta_t_k,
        d.dry_cooler_approach_k,
    )
    assert share.tolist() == [0.0, 0.0, 0.5]


def test_chiller_cop_is_a_share_of_carnot() -> None:
    """COP = η_C · T_e / (T_c − T_e): 0.5 × 290.15 K / (30 + 8 + 273.15 − 290.15) K."""
    cop = chiller_cop(np.array([30.0]), 20.0, 8.0, 0.5, 100.0)[0]
    assert cop == pytest.approx(0.5 * 290.15 / 21.0)


def test_facility_balance_and_derating() -> None:
    d = CoolingDesign()
    temps = np.array([15.0, 30.0, 45.0])
    demand = np.array([30.0, 30.0, 34.0])
    fac, derate = facility_power(
        demand, temps, d, GB200_LIQUID, it_capacity_mw=34.65, facility_power_limit_mw=40.0
    )
    parts = fac.it_load_mw + fac.cooling_mw + fac.electrical_loss_mw + fac.other_mw
    np.testing.assert_allclose(parts, fac.facility_load_mw)
    np.testing.assert_allclose(fac.facility_load_mw / fac.it_load_mw, fac.pue)
    assert fac.electrical_loss_mw == pytest.approx(d.electrical_loss_frac * fac.facility_load_mw)
    # 45 °C is 2 K above the 43 °C design point: capacity derates by 2 × 3 %
    assert fac.it_load_mw[2] == pytest.approx(min(34.0, 0.94 * 34.65, 40.0 / fac.pue[2]))
    assert derate[:2].tolist() == [0.0, 0.0] and derate[2] > 0
    assert np.all(fac.facility_load_mw <= 40.0 + 1e-9)


def test_facility_cap_binds_when_hot() -> None:
    fac, derate = facility_power(np.array([40.0]), np.array([41.0]), CoolingDesign(), 0.85, 40.0, 40.0)
    assert fac.facility_load_mw[0] == pytest.approx(40.0)
    assert derate[0] == pytest.approx(40.0 - 40.0 / fac.pue[0])


def test_water_use_by_heat_rejection_mode() -> None:
    """facts.md §4.1: dry coolers ≈ 0 L/kWh; towers ≈ 1.12 L/kWh (NVIDIA, 2.6 M gal/MW/yr)."""
    temps = np.full(3, 25.0)
    it = np.full(3, 10.0)
    dry, _ = facility_power(it, temps, CoolingDesign(heat_rejection="dry"), 0.85, 20.0, 100.0)
    wet, _ = facility_power(it, temps, CoolingDesign(heat_rejection="evaporative"), 0.85, 20.0, 100.0)
    assert dry.water_l_per_h.sum() == 0.0
    wue = wet.water_l_per_h / (wet.it_load_mw * 1000.0)
    assert np.all((wue > 1.12) & (wue < 1.25))  # heat rejected includes cooling power
    hot = np.array([20.0, 35.0])
    adia, _ = facility_power(
        np.full(2, 10.0), hot, CoolingDesign(heat_rejection="adiabatic"), 0.85, 20.0, 100.0
    )
    assert adia.water_l_per_h[0] == 0.0 and adia.water_l_per_h[1] > 0.0


def test_it_limit_derates_above_the_design_dry_bulb_and_stays_within_the_feed() -> None:
    """2 K above design: capacity × (1 − 2 k); PUE 1.25 on a 40 MW feed caps IT at 32 MW."""
    from dctwin.facility.cooling import it_limit_mw

    d = CoolingDesign()
    t = np.array([d.design_dry_bulb_c - 5.0, d.design_dry_bulb_c + 2.0, d.design_dry_bulb_c])
    limit = it_limit_mw(t, d, np.array([1.1, 1.1, 1.25]), it_capacity_mw=34.65, facility_power_limit_mw=40.0)
    assert limit[0] == pytest.approx(34.65)
    assert limit[1] == pytest.approx(34.65 * (1 - 2 * d.derate_frac_per_k))
    assert limit[2] == pytest.approx(32.0)
