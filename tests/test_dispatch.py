"""Dispatch: the energy balance closes every step, flows are non-negative, limits hold."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dctwin.dispatch import GridLimits, SiteDispatcher, dispatch_site, energy_balance_residual_mw
from dctwin.supply.battery import BatteryParams, battery_step

power = arrays(np.float64, st.integers(1, 200), elements=st.floats(0.0, 500.0))


@st.composite
def cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float, BatteryParams, GridLimits]:
    supply = draw(power)
    load = draw(arrays(np.float64, supply.shape, elements=st.floats(0.0, 500.0)))
    dt_h = draw(st.sampled_from([1.0, 0.25, 1.0 / 12.0]))
    soc_min = draw(st.floats(0.0, 0.4))
    soc_max = draw(st.floats(0.6, 1.0))
    battery = BatteryParams(
        power_mw=draw(st.floats(0.0, 300.0)),
        energy_mwh=draw(st.floats(0.0, 1200.0)),
        round_trip_efficiency_frac=draw(st.floats(0.5, 1.0)),
        soc_min_frac=soc_min,
        soc_max_frac=soc_max,
        initial_soc_frac=draw(st.floats(soc_min, soc_max)),
        self_discharge_frac_per_day=draw(st.floats(0.0, 0.05)),
    )
    grid = GridLimits(
        import_limit_mw=draw(st.floats(0.0, 600.0)),
        export_limit_mw=draw(st.floats(0.0, 600.0)),
        export_cap_frac_of_production=draw(st.floats(0.0, 1.0)),
    )
    return supply, load, dt_h, battery, grid


@settings(max_examples=300, deadline=None)
@given(cases())
def test_energy_balance_closes_every_step(case: tuple) -> None:
    supply, load, dt_h, battery, grid = case
    r = dispatch_site(supply, load, dt_h, battery, grid)
    residual = energy_balance_residual_mw(supply, load, r)
    assert np.all(np.abs(residual) <= 1e-9 * (1.0 + supply + load))
    for flow in (
        r.battery_charge_mw,
        r.battery_discharge_mw,
        r.grid_import_mw,
        r.grid_export_mw,
        r.curtailment_mw,
        r.load_shed_mw,
    ):
        assert np.all(flow >= 0.0)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_limits_hold(case: tuple) -> None:
    supply, load, dt_h, battery, grid = case
    r = dispatch_site(supply, load, dt_h, battery, grid)
    eps = 1e-9
    assert np.all(r.grid_import_mw <= grid.import_limit_mw + eps)
    assert np.all(r.grid_export_mw <= grid.export_limit_mw + eps)
    assert np.all(r.battery_charge_mw <= battery.power_mw + eps)
    assert np.all(r.battery_discharge_mw <= battery.power_mw + eps)
    if battery.power_mw > 0 and battery.energy_mwh > 0:
        assert np.all(r.battery_soc_mwh >= battery.soc_min_mwh - 1e-6)
        assert np.all(r.battery_soc_mwh <= battery.soc_max_mwh + 1e-6)
    # the battery charges from clean surplus only, and never charges and discharges together
    assert np.all(r.battery_charge_mw <= np.maximum(supply - load, 0.0) + eps)
    assert np.all(np.minimum(r.battery_charge_mw, r.battery_discharge_mw) == 0.0)
    assert np.all(np.minimum(r.grid_import_mw, r.grid_export_mw) == 0.0)
    # statutory cap: cumulative exports ≤ share of cumulative delivered production (load met + exports)
    delivered = np.cumsum(load - r.grid_import_mw - r.load_shed_mw + r.grid_export_mw)
    assert np.all(np.cumsum(r.grid_export_mw) <= grid.export_cap_frac_of_production * delivered + 1e-6)


def test_hand_computed_day() -> None:
    """Three steps worked by hand: surplus charges then exports, deficit discharges then imports."""
    battery = BatteryParams(
        power_mw=10.0,
        energy_mwh=20.0,
        round_trip_efficiency_frac=0.81,
        soc_min_frac=0.0,
        soc_max_frac=1.0,
        initial_soc_frac=0.5,
    )
    grid = GridLimits(import_limit_mw=100.0, export_limit_mw=3.0, export_cap_frac_of_production=1.0)
    r = dispatch_site(np.array([30.0, 0.0, 0.0]), np.array([10.0, 15.0, 15.0]), 1.0, battery, grid)
    # step 0: surplus 20 → charge min(20, 10, (20-10)/0.9=11.1) = 10 → SoC 10 + 9 = 19; export 3; curtail 7
    assert r.battery_charge_mw[0] == pytest.approx(10.0)
    assert r.battery_soc_mwh[0] == pytest.approx(19.0)
    assert (r.grid_export_mw[0], r.curtailment_mw[0]) == pytest.approx((3.0, 7.0))
    # step 1: deficit 15 → discharge min(15, 10, 19 × 0.9 = 17.1) = 10 → SoC 19 − 10/0.9; import 5
    assert r.battery_discharge_mw[1] == pytest.approx(10.0)
    assert r.battery_soc_mwh[1] == pytest.approx(19.0 - 10.0 / 0.9)
    assert r.grid_import_mw[1] == pytest.approx(5.0)
    # step 2: SoC 7.889 → discharge 7.1 → import 7.9
    assert r.battery_discharge_mw[2] == pytest.approx((19.0 - 10.0 / 0.9) * 0.9)
    assert r.grid_import_mw[2] == pytest.approx(15.0 - (19.0 - 10.0 / 0.9) * 0.9)


def test_load_shed_when_the_grid_is_short() -> None:
    r = dispatch_site(
        np.array([0.0]), np.array([50.0]), 1.0, BatteryParams(), GridLimits(import_limit_mw=30.0)
    )
    assert (r.grid_import_mw[0], r.load_shed_mw[0]) == (30.0, 20.0)


def test_battery_round_trip_loses_the_stated_efficiency() -> None:
    """Charge 10 MWh then discharge everything: out/in = round-trip efficiency."""
    p = BatteryParams(
        power_mw=100.0,
        energy_mwh=100.0,
        round_trip_efficiency_frac=0.87,
        soc_min_frac=0.0,
        soc_max_frac=1.0,
        initial_soc_frac=0.0,
    )
    c, _, soc = battery_step(0.0, 10.0, 0.0, 1.0, p.limits())
    _, d, soc = battery_step(soc, 0.0, 100.0, 1.0, p.limits())
    assert d / c == pytest.approx(0.87)
    assert soc == pytest.approx(0.0)


@settings(max_examples=40, deadline=None)
@given(cases())
def test_stepping_one_step_at_a_time_equals_the_whole_series(
    case: tuple[np.ndarray, np.ndarray, float, BatteryParams, GridLimits],
) -> None:
    """The co-simulation path (scheduler ↔ dispatch, one step at a time) runs exactly the
    merit order of ``dispatch_site``; it only also reports the discharge the battery could give."""
    supply, load, dt_h, battery, grid = case
    whole = dispatch_site(supply, load, dt_h, battery, grid)
    stepper = SiteDispatcher(dt_h, battery, grid)
    for t in range(len(supply)):
        available = stepper.discharge_available_mw()
        c, d, soc, i, e, k, s = stepper.step(supply[t], load[t])
        assert d <= available + 1e-9  # the offer to the scheduler is never exceeded
        got = (c, d, soc, i, e, k, s)
        want = tuple(float(getattr(whole, f)[t]) for f in (
            "battery_charge_mw", "battery_discharge_mw", "battery_soc_mwh", "grid_import_mw",
            "grid_export_mw", "curtailment_mw", "load_shed_mw",
        ))  # fmt: skip
        assert got == pytest.approx(want, abs=1e-9)
