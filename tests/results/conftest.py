"""Fixtures for the results-store tests: small Results and a byte-level tree snapshot."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dctwin.results import Results
from dctwin.scenario import Scenario, load_scenario

MakeResults = Callable[..., Results]
Snapshot = Callable[[Path], dict[str, str] | None]


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    """The built-in Morocco campus, one day."""
    return load_scenario("morocco-500mw", **{"time.duration_days": 1})


def make_timeseries(sites: tuple[str, ...] = ("north",), periods: int = 24) -> pd.DataFrame:
    """A small long-format time series, one row per site and hour."""
    time = pd.date_range("2026-01-01", periods=periods, freq="h", tz="UTC")
    frames = []
    for i, site in enumerate(sites):
        hours = np.arange(periods, dtype=float)
        solar = np.clip(np.sin((hours - 6.0) / 12.0 * np.pi), 0.0, None) * 300.0 * (i + 1)
        frames.append(
            pd.DataFrame(
                {
                    "time_utc": time,
                    "site": site,
                    "solar_mw": solar,
                    "grid_import_mw": np.maximum(250.0 - solar, 0.0),
                    "pue": 1.1 + 0.001 * hours,
                    "derated": hours > 20,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def make_results(scenario: Scenario) -> MakeResults:
    """Factory of small :class:`Results`; keyword arguments replace the defaults."""

    def make(**changes: Any) -> Results:
        fields: dict[str, Any] = {
            "scenario": scenario,
            "timeseries": make_timeseries(),
            "summary": {
                "campus": {"hourly_cfe_score_frac": 0.8, "pue_annual": 1.12},
                "sites": {"north": {"solar_mwh": 1234.5, "pue_annual": 1.12}},
                "fleet": {"gpus": 41472, "by_hardware": {"gb200-nvl72": {"racks": 576}}},
            },
            "metadata": {
                "seed": 1,
                "dctwin_version": "0.1.0",
                "git_hash": "abc1234",
                "timings_s": {"weather": 0.25, "total": 1.0},
                "created_utc": "2026-01-01T12:00:00+00:00",
            },
        }
        fields.update(changes)
        return Results(**fields)

    return make


def tree_snapshot(root: Path) -> dict[str, str] | None:
    """Every directory and file under ``root`` (hidden ones included) with a SHA-256 of
    each file's bytes; ``None`` when ``root`` does not exist."""
    if not root.exists():
        return None
    snap = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        snap[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return snap


@pytest.fixture
def snapshot() -> Snapshot:
    """:func:`tree_snapshot` as a fixture."""
    return tree_snapshot
