"""dctwin against Vessim on the phase-1 site-year at 5 min, side by side.

The issue's target: dctwin's energy part is at least 50× faster than Vessim on the same
year. Three timings, each the best of several repetitions after a warm-up
(``time.perf_counter``):

(a) dctwin :func:`~dctwin.dispatch.dispatch_site` on the identical problem Vessim solves
    (same solar, wind and load series, lossless battery, unlimited grid);
(b) dctwin's whole energy part for the site-year: :func:`dctwin.engine.run` on the phase-1
    5-min scenario, whose ``metadata["timings_s"]`` splits it into weather, supply,
    facility, dispatch (the energy part) and metrics;
(c) Vessim 0.16 simulating the same microgrid, setup included: solar and wind
    :class:`vessim.Producer`, the facility a :class:`vessim.Consumer`, a
    :class:`vessim.SimpleBattery`, a :class:`vessim.GridConnection` as the slack, the
    :class:`vessim.DefaultDispatchPolicy` and a minimal controller recording grid power and
    battery state each step (lighter than :class:`vessim.Recorder`, so the ratio is not
    flattered).

Both tools are then cross-checked on the year (energy totals, per-step grid power). The
semantic differences that remain are listed in ``benchmarks/README.md``.

Run alone with ``python benchmarks/bench_vessim.py`` or with every benchmark through
``python benchmarks/run_all.py`` (``make bench``). Numbers also go to
``benchmarks/results/vessim.json``.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd

import dctwin
from dctwin.dispatch import DispatchResult, GridLimits, dispatch_site
from dctwin.engine import run
from dctwin.scenario import Scenario, load_scenario
from dctwin.supply.battery import BatteryParams
from dctwin.testing.bench import bench_row

try:
    import vessim as vs
except ImportError as exc:  # the peer is a benchmark-only extra
    raise ImportError(
        "benchmarks/bench_vessim.py needs Vessim, the benchmark peer; install it with "
        'pip install -e ".[bench]" (or run make bench)'
    ) from exc

VESSIM_VERSION = importlib.metadata.version("vessim")
SCENARIO = "morocco-500mw"
STEP = "5min"
TARGET_RATIO = 50.0
REPEATS_DCTWIN = 3
REPEATS_VESSIM = 2
RESULTS_PATH = Path(__file__).resolve().parent / "results" / "vessim.json"
ENERGY_STAGES = ("weather", "supply", "facility", "dispatch")
W_PER_MW = 1e6
MICROGRID = "site"
BATTERY = "battery"

T = TypeVar("T")
BatteryModel = Literal["simple", "sqrt-eta"]


# ----------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class SiteYear:
    """The phase-1 site-year both tools simulate. Arrays [MW], one value per step."""

    solar_mw: np.ndarray
    wind_mw: np.ndarray
    load_mw: np.ndarray
    dt_h: float
    battery: BatteryParams
    grid: GridLimits
    source: str
    engine_flows: dict[str, np.ndarray]


def phase1_scenario() -> Scenario:
    """The built-in scenario at the benchmark's step (phase 1 is its default phase)."""
    # the energy twin with the documented utilisation profile: the scheduler is benchmarked
    # on its own (bench_scheduler.py), and Vessim has no workload model to compare it with
    return load_scenario(SCENARIO, it_load="profile", **{"time.step": STEP})


def scenario_battery_and_grid(scenario: Scenario) -> tuple[BatteryParams, GridLimits]:
    """The first active site's battery and grid limits, built as ``dctwin.engine`` does."""
    for site in scenario.sites:
        builds = scenario.builds_up_to_phase(site)
        facility_mw = sum(b.facility_power_mw for b in builds)
        if facility_mw <= 0:
            continue
        d = site.battery
        battery = BatteryParams(
            power_mw=sum(b.battery_power_mw for b in builds),
            energy_mwh=sum(b.battery_energy_mwh for b in builds),
            round_trip_efficiency_frac=d.round_trip_efficiency_frac,
            soc_min_frac=d.soc_min_frac,
            soc_max_frac=d.soc_max_frac,
            initial_soc_frac=d.initial_soc_frac,
            self_discharge_frac_per_day=d.self_discharge_frac_per_day,
        )
        g = site.grid
        imp = g.import_limit_mw if g.import_limit_mw is not None else facility_mw
        exp = g.export_limit_mw if g.export_limit_mw is not None else imp
        return battery, GridLimits(imp, exp, g.export_cap_frac_of_production)
    raise ValueError(f"scenario {scenario.name!r} has no site with capacity at {scenario.phase}")


def engine_site_year(scenario: Scenario) -> SiteYear:
    """Inputs from a real :func:`dctwin.engine.run` of the scenario (also its warm-up)."""
    ts = run(scenario).timeseries
    site = ts["site"].iloc[0]
    ts = ts[ts["site"] == site]
    battery, grid = scenario_battery_and_grid(scenario)
    flows = [
        "battery_charge_mw",
        "battery_discharge_mw",
        "battery_soc_mwh",
        "grid_import_mw",
        "grid_export_mw",
        "curtailment_mw",
        "load_shed_mw",
    ]
    return SiteYear(
        solar_mw=ts["solar_mw"].to_numpy(float),
        wind_mw=ts["wind_mw"].to_numpy(float),
        load_mw=ts["facility_load_mw"].to_numpy(float),
        dt_h=scenario.time.dt_h,
        battery=battery,
        grid=grid,
        source=f"dctwin.engine.run (site {site!r})",
        engine_flows={c: ts[c].to_numpy(float) for c in flows},
    )


# ----------------------------------------------------------------------------- Vessim
class SqrtEtaBattery(vs.SimpleBattery):
    """:class:`vessim.SimpleBattery` with dctwin's √η losses on charge and on discharge.

    Vessim's ``SimpleBattery`` is lossless. This subclass (cross-check only, never timed:
    a custom dispatchable leaves Vessim's fast dispatch path) stores ``√η · P · Δt`` when
    charging at ``P`` and draws ``P · Δt / √η`` when discharging, as
    :func:`dctwin.supply.battery.battery_step` does.
    """

    capacity: float  # [Wh]
    charge_level: float  # [Wh]
    min_soc: float
    c_rate: float | None
    _soc: float

    def __init__(self, *args: Any, eta_one_way: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.eta_one_way = eta_one_way

    def feasible_range(self, duration: float) -> tuple[float, float]:
        p_max = self.c_rate * self.capacity if self.c_rate is not None else math.inf
        lo = hi = 0.0
        if self._soc > self.min_soc:
            stored_wh = self.charge_level - self.min_soc * self.capacity
            lo = -min(p_max, stored_wh * 3600 * self.eta_one_way / duration)
        if self._soc < 1.0:
            room_wh = self.capacity - self.charge_level
            hi = min(p_max, room_wh * 3600 / (self.eta_one_way * duration))
        return lo, hi

    def step(self, duration: float) -> None:
        power_w = self.current_power
        if power_w > 0:
            level = self.charge_level + self.eta_one_way * power_w * duration / 3600
        elif power_w < 0:
            level = self.charge_level + power_w * duration / 3600 / self.eta_one_way
        else:
            return
        self.charge_level = min(max(level, self.min_soc * self.capacity), self.capacity)
        self._soc = self.charge_level / self.capacity


def vessim_battery(b: BatteryParams, model: BatteryModel) -> vs.SimpleBattery:
    """dctwin's battery in Vessim's terms (W, Wh, SoC window ``[min_soc, 1]``).

    Vessim's window is ``[min_soc · capacity, capacity]``; dctwin's is
    ``[soc_min_frac · E, soc_max_frac · E]``. So ``capacity = soc_max_frac · E``,
    ``min_soc = soc_min_frac / soc_max_frac``, ``initial_soc = initial_soc_frac /
    soc_max_frac``, and ``c_rate = P / capacity``; Vessim's ``charge_level`` [Wh] then equals
    dctwin's ``battery_soc_mwh`` × 10⁶. ``model="simple"`` ignores the efficiency (Vessim's
    battery is lossless); ``"sqrt-eta"`` adds dctwin's losses (:class:`SqrtEtaBattery`).
    """
    if b.power_mw <= 0 or b.energy_mwh <= 0:
        raise ValueError(f"Vessim needs a battery, got {b.power_mw} MW / {b.energy_mwh} MWh")
    capacity_wh = b.soc_max_frac * b.energy_mwh * W_PER_MW
    kwargs: dict[str, Any] = {
        "capacity": capacity_wh,
        "initial_soc": b.initial_soc_frac / b.soc_max_frac,
        "min_soc": b.soc_min_frac / b.soc_max_frac,
        "c_rate": b.power_mw * W_PER_MW / capacity_wh,
    }
    if model == "simple":
        return vs.SimpleBattery(BATTERY, **kwargs)
    return SqrtEtaBattery(BATTERY, eta_one_way=b.charge_efficiency_frac, **kwargs)


class StepProbe(vs.Controller):
    """Records grid power and battery state at every tick (after dispatch). [W], [Wh]"""

    def __init__(self) -> None:
        self.p_grid_w: list[float] = []
        self.battery_w: list[float] = []
        self.level_wh: list[float] = []

    def step(self, now: dt.datetime, microgrid_states: dict[str, Any]) -> None:
        state = microgrid_states[MICROGRID]
        battery = state["dispatch_states"][BATTERY]
        self.p_grid_w.append(state["p_grid"])
        self.battery_w.append(battery["current_power"])
        self.level_wh.append(battery["charge_level"])


def run_vessim(
    solar_mw: np.ndarray,
    wind_mw: np.ndarray,
    load_mw: np.ndarray,
    dt_h: float,
    battery: BatteryParams,
    model: BatteryModel = "simple",
) -> DispatchResult:
    """Simulate the microgrid in Vessim; flows converted to dctwin's conventions.

    Setpoints chosen at tick ``k`` hold over ``[k, k+1)`` (dctwin's step ``k``); the probe
    sees the battery level at the start of the interval, so the level at its end is the
    next tick's (and, for the last step, the run's final state). No curtailment or load
    shed exists in Vessim's microgrid: the grid connection is the unlimited slack.
    """
    step_s = round(dt_h * 3600)
    n = len(load_mw)
    offsets_s = np.arange(n) * step_s

    def trace(series_mw: np.ndarray) -> vs.Trace:
        return vs.Trace(pd.Series(np.asarray(series_mw, float) * W_PER_MW, index=offsets_s))

    env = vs.Environment(sim_start="2026-01-01", step_size=step_s)
    probe = env.add_controller(StepProbe())
    env.add_microgrid(
        actors=[
            vs.Producer("solar", trace(solar_mw)),
            vs.Producer("wind", trace(wind_mw)),
            vs.Consumer("facility", trace(load_mw)),
        ],
        dispatchables=[vessim_battery(battery, model), vs.GridConnection("grid")],
        name=MICROGRID,
    )
    result = env.run(until=n * step_s)
    final_wh = result.states[MICROGRID]["dispatch_states"][BATTERY]["charge_level"]
    p_grid_mw = np.asarray(probe.p_grid_w) / W_PER_MW
    battery_mw = np.asarray(probe.battery_w) / W_PER_MW
    zeros = np.zeros(n)
    return DispatchResult(
        battery_charge_mw=np.maximum(battery_mw, 0.0),
        battery_discharge_mw=np.maximum(-battery_mw, 0.0),
        battery_soc_mwh=np.append(probe.level_wh[1:], final_wh) / W_PER_MW,
        grid_import_mw=np.maximum(-p_grid_mw, 0.0),
        grid_export_mw=np.maximum(p_grid_mw, 0.0),
        curtailment_mw=zeros,
        load_shed_mw=zeros,
    )


# ------------------------------------------------------------------------ cross-check
def totals(r: DispatchResult, dt_h: float) -> dict[str, float]:
    """Energy totals of a dispatch. [MWh]"""
    return {
        "grid_import_mwh": float(r.grid_import_mw.sum() * dt_h),
        "grid_export_mwh": float(r.grid_export_mw.sum() * dt_h),
        "battery_charge_mwh": float(r.battery_charge_mw.sum() * dt_h),
        "battery_discharge_mwh": float(r.battery_discharge_mw.sum() * dt_h),
        "curtailment_mwh": float(r.curtailment_mw.sum() * dt_h),
        "final_soc_mwh": float(r.battery_soc_mwh[-1]),
    }


def compare(dctwin_r: DispatchResult, vessim_r: DispatchResult, dt_h: float) -> dict[str, Any]:
    """Totals of both, their differences (dctwin − Vessim), per-step grid power agreement."""
    a, b = totals(dctwin_r, dt_h), totals(vessim_r, dt_h)
    net_a = dctwin_r.grid_import_mw - dctwin_r.grid_export_mw
    net_b = vessim_r.grid_import_mw - vessim_r.grid_export_mw
    both_vary = net_a.std() > 0 and net_b.std() > 0
    soc_diff_mwh = dctwin_r.battery_soc_mwh - vessim_r.battery_soc_mwh
    return {
        "dctwin": a,
        "vessim": b,
        "diff": {k: a[k] - b[k] for k in a},
        "grid_net_max_abs_diff_mw": float(np.abs(net_a - net_b).max()),
        "grid_net_corr": float(np.corrcoef(net_a, net_b)[0, 1]) if both_vary else math.nan,
        "soc_max_abs_diff_mwh": float(np.abs(soc_diff_mwh).max()),
    }


def lossless(b: BatteryParams) -> BatteryParams:
    """The battery Vessim's ``SimpleBattery`` models: no losses, no self-discharge."""
    return replace(b, round_trip_efficiency_frac=1.0, self_discharge_frac_per_day=0.0)


# ----------------------------------------------------------------------------- timing
@dataclass(frozen=True)
class Timing:
    """Repeated timings of one case: wall clock (``perf_counter``) and this process's CPU
    time (``process_time``, less disturbed by other processes on a shared machine). [s]"""

    wall_s: list[float]
    cpu_s: list[float]

    @property
    def best_s(self) -> float:
        """Best wall time. [s]"""
        return min(self.wall_s)

    @property
    def best_cpu_s(self) -> float:
        """Best CPU time. [s]"""
        return min(self.cpu_s)


def best_of(fn: Callable[[], T], repeats: int) -> tuple[Timing, T]:
    """Time ``repeats`` calls of ``fn``; return the timings and the last result."""
    wall, cpu, result = [], [], None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    assert result is not None
    return Timing(wall, cpu), result


def time_engine(scenario: Scenario, repeats: int) -> dict[str, Any]:
    """Best engine energy part (sum of the energy stages) and best ``run`` wall/CPU time."""
    reps = []
    for _ in range(repeats):
        timing, results = best_of(lambda: run(scenario), 1)
        stages = dict(results.metadata["timings_s"])
        stages["energy_s"] = sum(stages[s] for s in ENERGY_STAGES)
        stages["cpu_s"] = timing.best_cpu_s
        reps.append({"wall_s": timing.best_s, **stages})
    best = min(reps, key=lambda r: r["energy_s"])
    return {
        "energy_s": best["energy_s"],
        "wall_s": min(r["wall_s"] for r in reps),
        "cpu_s": min(r["cpu_s"] for r in reps),
        "timings_s": {k: v for k, v in best.items() if k not in ("wall_s", "cpu_s", "energy_s")},
        "reps": reps,
    }


def load_note(before: float, after: float) -> str:
    """The 1-min load average around the timings: wall times are noisy when it is high."""
    cpus = os.cpu_count() or 1
    note = f"load average {before:.2f} → {after:.2f} on {cpus} CPUs"
    if max(before, after) > 0.5 * cpus:
        note += ": BUSY MACHINE, wall times are noisy; the CPU-time ratios are steadier"
    return note


# ---------------------------------------------------------------------------- report
def _fmt(x: float | None, spec: str) -> str:
    return "–" if x is None else format(x, spec)


def print_rows(rows: list[dict]) -> None:
    """The side-by-side table: case, dctwin s, peer s, ratio, target, verdict."""
    print(f"{'case':<52} {'dctwin s':>9} {'Vessim s':>9} {'ratio':>8} {'target':>7}  verdict")
    for r in rows:
        verdict = {True: "PASS", False: "FAIL", None: "info"}[r["passed"]]
        target = "–" if r["target_ratio"] is None else f"≥{r['target_ratio']:.0f}×"
        print(
            f"{r['name']:<52} {_fmt(r['dctwin_s'], '9.4f')} {r['peer_s']:9.3f} "
            f"{_fmt(r['ratio'], '7.1f')}× {target:>7}  {verdict}"
        )


def print_cpu(t_a: Timing, t_c: Timing, engine: dict[str, Any], ratios: dict) -> None:
    """CPU-time counterpart of the table (steadier on a shared machine)."""
    print(
        f"  CPU time (process_time): dispatch_site {t_a.best_cpu_s:.4f} s, engine.run "
        f"{engine['cpu_s']:.4f} s, Vessim {t_c.best_cpu_s:.3f} s → ratios "
        f"{ratios['a_dispatch_site']:.1f}× (a), {ratios['b_engine_run']:.1f}× (engine.run)"
    )


def print_crosscheck(name: str, c: dict[str, Any]) -> None:
    """Totals side by side and the per-step agreement of one cross-check."""
    print(f"\n  cross-check: {name}")
    print(f"    {'total':<24} {'dctwin':>14} {'Vessim':>14} {'dctwin−Vessim':>14}")
    for k in c["dctwin"]:
        print(f"    {k:<24} {c['dctwin'][k]:14.4f} {c['vessim'][k]:14.4f} {c['diff'][k]:14.3e}")
    print(
        f"    per-step grid net power: max |diff| = {c['grid_net_max_abs_diff_mw']:.3e} MW, "
        f"corr = {c['grid_net_corr']:.9f}; "
        f"SoC max |diff| = {c['soc_max_abs_diff_mwh']:.3e} MWh"
    )


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    git = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"],
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "pvlib": importlib.metadata.version("pvlib"),
        "windpowerlib": importlib.metadata.version("windpowerlib"),
        "vessim": VESSIM_VERSION,
        "dctwin": dctwin.__version__,
        "git_hash": git or "unknown",
    }


CROSSCHECKS = {
    "same_problem": "lossless battery, unlimited grid: dctwin vs Vessim SimpleBattery",
    "efficiency_gap": "phase-1 battery (η = 0.87) in dctwin vs lossless Vessim SimpleBattery",
    "sqrt_eta": "phase-1 battery (η = 0.87): dctwin vs Vessim with a √η SimpleBattery subclass",
}


def crosscheck_year(
    year: SiteYear, d_same: DispatchResult, v_same: DispatchResult
) -> dict[str, dict[str, Any]]:
    """Cross-checks on the benchmark year (the timed runs are reused for the first)."""
    phase1 = replace(year.battery, self_discharge_frac_per_day=0.0)
    clean_mw = year.solar_mw + year.wind_mw
    d_loss = dispatch_site(clean_mw, year.load_mw, year.dt_h, phase1, GridLimits())
    v_loss = run_vessim(year.solar_mw, year.wind_mw, year.load_mw, year.dt_h, phase1, "sqrt-eta")
    checks = {
        "same_problem": compare(d_same, v_same, year.dt_h),
        "efficiency_gap": compare(d_loss, v_same, year.dt_h),
        "sqrt_eta": compare(d_loss, v_loss, year.dt_h),
    }
    checks["scenario_limits_vs_unlimited"] = {
        "dctwin_engine": totals(DispatchResult(**year.engine_flows), year.dt_h),
        "dctwin_unlimited": totals(d_loss, year.dt_h),
    }
    return checks


def print_limits(c: dict[str, dict[str, float]], grid: GridLimits) -> None:
    """How much the scenario's own grid limits change dctwin's dispatch (no Vessim)."""
    print(
        "\n  dctwin only: the scenario's grid limits (import/export ≤ "
        f"{grid.import_limit_mw:g}/{grid.export_limit_mw:g} MW, exports ≤ "
        f"{grid.export_cap_frac_of_production:.0%} of production, self-discharge on) "
        "vs GridLimits() as above"
    )
    print(f"    {'total':<24} {'engine run':>14} {'unlimited':>14}")
    for k, v in c["dctwin_engine"].items():
        print(f"    {k:<24} {v:14.4f} {c['dctwin_unlimited'][k]:14.4f}")


def describe_inputs(scenario: Scenario, year: SiteYear) -> dict[str, Any]:
    """What was simulated, for the JSON record."""
    return {
        "scenario": scenario.name,
        "step": STEP,
        "n_steps": len(year.load_mw),
        "dt_h": year.dt_h,
        "source": year.source,
        "battery_scenario": asdict(year.battery),
        "battery_same_problem": asdict(lossless(year.battery)),
        "grid_scenario": asdict(year.grid),
        "solar_mwh": float(year.solar_mw.sum() * year.dt_h),
        "wind_mwh": float(year.wind_mw.sum() * year.dt_h),
        "load_mwh": float(year.load_mw.sum() * year.dt_h),
    }


def write_json(payload: dict[str, Any]) -> None:
    """``benchmarks/results/vessim.json`` (git-ignored), written atomically."""
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS_PATH.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(RESULTS_PATH)


def main() -> list[dict[str, Any]]:
    """Time dctwin and Vessim on the phase-1 site-year, cross-check, print, write JSON."""
    scenario = phase1_scenario()
    year = engine_site_year(scenario)  # also the engine's warm-up run
    n, dt_h = len(year.load_mw), year.dt_h
    same = lossless(year.battery)
    print(f"bench_vessim: {scenario!r}, phase-1 site, {n} steps of {dt_h * 60:g} min")
    print(f"  inputs: {year.source}")
    print(f"  battery: {year.battery}")

    def dctwin_same() -> DispatchResult:
        return dispatch_site(year.solar_mw + year.wind_mw, year.load_mw, dt_h, same, GridLimits())

    def vessim_same() -> DispatchResult:
        return run_vessim(year.solar_mw, year.wind_mw, year.load_mw, dt_h, same)

    day = round(24 / dt_h)
    dctwin_same()  # warm-ups
    run_vessim(year.solar_mw[:day], year.wind_mw[:day], year.load_mw[:day], dt_h, same)
    load_before = os.getloadavg()[0]
    t_a, d_same = best_of(dctwin_same, REPEATS_DCTWIN)
    t_c, v_same = best_of(vessim_same, REPEATS_VESSIM)
    engine = time_engine(scenario, REPEATS_DCTWIN)
    load = load_note(load_before, os.getloadavg()[0])
    peer = f"vessim {VESSIM_VERSION}"
    rows = [
        bench_row("vessim (a) energy part, same microgrid", t_a.best_s, peer, t_c.best_s, TARGET_RATIO),
        bench_row(
            "vessim (b) + weather synthesis, pvlib, facility", engine["energy_s"], peer, t_c.best_s, None
        ),
        bench_row("vessim (b') engine.run wall, incl. metrics", engine["wall_s"], peer, t_c.best_s, None),
    ]
    print(f"\n  best of {REPEATS_DCTWIN} (dctwin) / {REPEATS_VESSIM} (Vessim), after a warm-up")
    print_rows(rows)
    stages = ", ".join(f"{k} {v:.4f}" for k, v in engine["timings_s"].items())
    print(f"  dctwin engine.run timings_s (best rep of (b)): {stages}")
    cpu_ratios = {
        "a_dispatch_site": t_c.best_cpu_s / t_a.best_cpu_s,
        "b_engine_run": t_c.best_cpu_s / engine["cpu_s"],
    }
    print_cpu(t_a, t_c, engine, cpu_ratios)
    print(f"  {load}")
    checks = crosscheck_year(year, d_same, v_same)
    for key, label in CROSSCHECKS.items():
        print_crosscheck(label, checks[key])
    print_limits(checks["scenario_limits_vs_unlimited"], year.grid)
    write_json(
        {
            "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "inputs": describe_inputs(scenario, year),
            "repeats": {"dctwin": REPEATS_DCTWIN, "vessim": REPEATS_VESSIM},
            "times_s": {"dctwin_dispatch_site": asdict(t_a), "vessim": asdict(t_c)},
            "cpu_time_ratios": cpu_ratios,
            "load": load,
            "engine": engine,
            "rows": rows,
            "crosscheck": checks,
        }
    )
    print(f"\n  wrote {RESULTS_PATH}")
    return rows


if __name__ == "__main__":
    main()
