"""The stored one-week golden run.

A small, complete run of the default scenario (phase 1, one July week at 1 h) stored as
CSV and JSON under ``tests/data/golden/``. The suite re-runs it and compares every
column and every summary number, so any change of behaviour shows up as a diff that a
reviewer must accept by regenerating::

    make golden            # or: python -m dctwin.testing --write

Run ``python -m dctwin.testing --check`` to compare without writing.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dctwin.engine import run
from dctwin.results.model import Results
from dctwin.scenario import load_scenario
from dctwin.scenario.schema import Scenario

__all__ = ["GOLDEN_DIR", "assert_results_match_golden", "golden_scenario", "write_golden"]

GOLDEN_DIR = Path(__file__).resolve().parents[3] / "tests" / "data" / "golden"
RTOL = 1e-7
ATOL = 1e-9


def golden_scenario() -> Scenario:
    """Phase 1 of ``morocco-500mw`` for the week of 13–19 July 2026 at 1 h."""
    return load_scenario("morocco-500mw", **{"time.start_date": "2026-07-13", "time.duration_days": 7})


def write_golden(directory: Path = GOLDEN_DIR) -> Results:
    """Run the golden scenario and store its time series and summary."""
    results = run(golden_scenario())
    directory.mkdir(parents=True, exist_ok=True)
    frame = results.timeseries.copy()
    frame["time_utc"] = frame["time_utc"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame.to_csv(directory / "timeseries.csv", index=False, float_format="%.12g")
    (directory / "summary.json").write_text(json.dumps(_plain(results.summary), indent=1, sort_keys=True))
    return results


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def assert_results_match_golden(results: Results, directory: Path = GOLDEN_DIR) -> None:
    """Raise ``AssertionError`` naming the first column or metric that differs.

    Parameters
    ----------
    results
        A fresh run of :func:`golden_scenario`.
    directory
        Where the golden files live.
    """
    stored = pd.read_csv(directory / "timeseries.csv")
    fresh = results.timeseries.copy()
    fresh["time_utc"] = fresh["time_utc"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert list(stored.columns) == list(fresh.columns), "time-series columns changed"
    assert len(stored) == len(fresh), f"row count {len(fresh)} != golden {len(stored)}"
    for col in stored.columns:
        if stored[col].dtype.kind in "fiu":
            np.testing.assert_allclose(
                fresh[col].to_numpy(dtype=float),
                stored[col].to_numpy(dtype=float),
                rtol=RTOL,
                atol=ATOL,
                err_msg=f"column {col!r} differs from the golden run (`make golden` if intended)",
            )
        else:
            assert fresh[col].astype(str).tolist() == stored[col].astype(str).tolist(), (
                f"column {col!r} differs"
            )
    golden_summary = json.loads((directory / "summary.json").read_text())
    _compare(_plain(results.summary), golden_summary, "summary")


def _compare(fresh: Any, golden: Any, path: str) -> None:
    if isinstance(golden, dict):
        assert isinstance(fresh, dict) and set(fresh) == set(golden), f"{path}: keys differ"
        for key in golden:
            _compare(fresh[key], golden[key], f"{path}.{key}")
    elif isinstance(golden, list):
        assert isinstance(fresh, list) and len(fresh) == len(golden), f"{path}: length differs"
        for i, (f, g) in enumerate(zip(fresh, golden, strict=True)):
            _compare(f, g, f"{path}[{i}]")
    elif isinstance(golden, float) and isinstance(fresh, int | float):
        ok = (math.isnan(golden) and math.isnan(fresh)) or math.isclose(
            fresh, golden, rel_tol=RTOL, abs_tol=ATOL
        )
        assert ok, f"{path}: {fresh!r} != golden {golden!r}"
    else:
        assert fresh == golden, f"{path}: {fresh!r} != golden {golden!r}"


def main(argv: list[str] | None = None) -> int:
    """``python -m dctwin.testing --write | --check``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="regenerate the stored golden run")
    parser.add_argument("--check", action="store_true", help="compare a fresh run with the stored one")
    args = parser.parse_args(argv)
    if args.write:
        results = write_golden()
        print(f"golden run written to {GOLDEN_DIR} ({len(results.timeseries)} rows)")
    else:
        assert_results_match_golden(run(golden_scenario()))
        print("golden run matches")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
