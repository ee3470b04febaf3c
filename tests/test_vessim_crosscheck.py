"""Cross-check of :func:`dctwin.dispatch.dispatch_site` against Vessim on short runs.

Vessim (the benchmark peer, ``pip install -e ".[bench]"``) is not installed by
``make test``; then this module skips. The Vessim microgrid is the one
``benchmarks/bench_vessim.py`` times (loaded from that file, so the benchmark and this
test cannot drift apart): solar and wind producers, the facility a consumer, a
``SimpleBattery`` mapped onto dctwin's SoC window, a ``GridConnection`` as the unlimited
slack, ``DefaultDispatchPolicy`` (battery first, then grid: dctwin's merit order).

Semantic differences, and the tolerance each one justifies:

* **Same problem** (lossless battery, no self-discharge, ``GridLimits()``): both integrate
  ``E' = E + P·Δt`` with the same limits ``min(P_max, room/Δt)``; they differ only in
  float rounding (W and Wh against MW and MWh, a different summation order). Totals agree
  to 1e-6 MWh, per-step grid power to 1e-6 MW (observed: ~1e-12).
* **Efficiency**: Vessim's ``SimpleBattery`` has no losses. With dctwin's √η split
  (η = 0.87) the two differ by exactly the battery's flows: the balance closes in both,
  so ``Δ(import − export) = Δ(charge − discharge)``, which is bounded by dctwin's
  conversion losses plus the SoC window (the two end the run at different SoC). The
  benchmark's ``SqrtEtaBattery`` subclass adds the √η losses to Vessim's battery; then the
  runs agree to rounding again.
* **Not modelled in Vessim**: self-discharge (dctwin's default 0.05 %/d; set to 0 here),
  dctwin's cumulative export cap and connection limits (Vessim's ``GridConnection`` has
  power limits but no cumulative cap and raises on unmet demand rather than shedding),
  hence the unlimited grid here.

No timing here: speed is measured by ``make bench`` (house style 5).
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

pytest.importorskip("vessim")

from hypothesis import given, settings
from hypothesis import strategies as st

from dctwin.dispatch import DispatchResult, GridLimits, dispatch_site
from dctwin.supply.battery import BatteryParams

DT_H = 1.0 / 12.0  # 5 min
N_STEPS = 2 * 24 * 12  # two days
ROUNDING_MWH = 1e-6  # float rounding only (see the module docstring)
ROUNDING_MW = 1e-6


def _load_bench() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_vessim.py"
    spec = importlib.util.spec_from_file_location("bench_vessim", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_vessim", module)
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def _inputs(seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two days of solar, wind and load [MW]: long surpluses by day, deficits by night."""
    rng = np.random.default_rng(seed)
    hour = (np.arange(N_STEPS) * DT_H) % 24.0
    solar = 12.0 * np.clip(np.sin(np.pi * (hour - 6.0) / 12.0), 0.0, None)
    wind = 6.0 * rng.random(N_STEPS)
    load = 8.0 + rng.normal(0.0, 0.5, N_STEPS)
    return solar, wind, load


BATTERY = BatteryParams(
    power_mw=3.0,
    energy_mwh=6.0,
    round_trip_efficiency_frac=0.87,
    soc_min_frac=0.1,
    soc_max_frac=0.9,
    initial_soc_frac=0.5,
    self_discharge_frac_per_day=0.0,
)


def _dctwin(battery: BatteryParams, seed: int = 7) -> DispatchResult:
    solar, wind, load = _inputs(seed)
    return dispatch_site(solar + wind, load, DT_H, battery, GridLimits())


def _vessim(battery: BatteryParams, model: str = "simple", seed: int = 7) -> DispatchResult:
    solar, wind, load = _inputs(seed)
    return bench.run_vessim(solar, wind, load, DT_H, battery, model)


def _assert_same(c: dict) -> None:
    for key, diff in c["diff"].items():
        assert abs(diff) <= ROUNDING_MWH, (key, c["dctwin"][key], c["vessim"][key])
    assert c["grid_net_max_abs_diff_mw"] <= ROUNDING_MW
    assert c["soc_max_abs_diff_mwh"] <= ROUNDING_MWH


def test_lossless_battery_matches_vessim_simple_battery() -> None:
    battery = bench.lossless(BATTERY)
    d = _dctwin(battery)
    _assert_same(bench.compare(d, _vessim(battery), DT_H))
    # not vacuous: the run fills and empties the window and hits the power limit
    assert d.battery_soc_mwh.max() == pytest.approx(battery.soc_max_mwh)
    assert d.battery_soc_mwh.min() == pytest.approx(battery.soc_min_mwh)
    assert d.battery_charge_mw.max() == pytest.approx(battery.power_mw)
    assert d.grid_import_mw.sum() > 0 and d.grid_export_mw.sum() > 0


def test_sqrt_eta_battery_in_vessim_matches_dctwin_losses() -> None:
    _assert_same(bench.compare(_dctwin(BATTERY), _vessim(BATTERY, "sqrt-eta"), DT_H))


def test_efficiency_gap_is_bounded_by_battery_losses() -> None:
    d, v = _dctwin(BATTERY), _vessim(bench.lossless(BATTERY))
    a, b = bench.totals(d, DT_H), bench.totals(v, DT_H)
    net_gap_mwh = (a["grid_import_mwh"] - a["grid_export_mwh"]) - (
        b["grid_import_mwh"] - b["grid_export_mwh"]
    )
    battery_gap_mwh = (a["battery_charge_mwh"] - a["battery_discharge_mwh"]) - (
        b["battery_charge_mwh"] - b["battery_discharge_mwh"]
    )
    assert net_gap_mwh == pytest.approx(battery_gap_mwh, abs=ROUNDING_MWH)
    eta = BATTERY.charge_efficiency_frac
    losses_mwh = (1 - eta) * a["battery_charge_mwh"] + (1 / eta - 1) * a["battery_discharge_mwh"]
    window_mwh = BATTERY.soc_max_mwh - BATTERY.soc_min_mwh
    assert losses_mwh > 0
    assert abs(net_gap_mwh) <= losses_mwh + window_mwh
    # dctwin's stored-energy bookkeeping closes: charge − discharge = ΔSoC + losses
    stored_mwh = a["final_soc_mwh"] - BATTERY.initial_soc_frac * BATTERY.energy_mwh
    assert a["battery_charge_mwh"] - a["battery_discharge_mwh"] == pytest.approx(
        stored_mwh + losses_mwh, abs=ROUNDING_MWH
    )


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    power_mw=st.floats(0.5, 20.0),
    hours=st.floats(0.25, 8.0),
    window=st.tuples(st.floats(0.0, 0.4), st.floats(0.6, 1.0)),
)
def test_vessim_agrees_for_any_lossless_battery(
    seed: int, power_mw: float, hours: float, window: tuple[float, float]
) -> None:
    soc_min, soc_max = window
    battery = BatteryParams(
        power_mw=power_mw,
        energy_mwh=power_mw * hours,
        round_trip_efficiency_frac=1.0,
        soc_min_frac=soc_min,
        soc_max_frac=soc_max,
        initial_soc_frac=(soc_min + soc_max) / 2,
        self_discharge_frac_per_day=0.0,
    )
    _assert_same(bench.compare(_dctwin(battery, seed), _vessim(battery, seed=seed), DT_H))


def test_vessim_sign_and_unit_conventions() -> None:
    """Vessim's signed W become dctwin's directional MW; its Wh level becomes MWh."""
    battery = replace(bench.lossless(BATTERY), initial_soc_frac=0.9)
    v = _vessim(battery)
    assert (v.grid_import_mw >= 0).all() and (v.grid_export_mw >= 0).all()
    assert not ((v.grid_import_mw > 0) & (v.grid_export_mw > 0)).any()
    assert battery.soc_min_mwh - ROUNDING_MWH <= v.battery_soc_mwh.min()
    assert v.battery_soc_mwh.max() <= battery.soc_max_mwh + ROUNDING_MWH
