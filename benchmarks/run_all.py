"""Run every ``benchmarks/bench_*.py`` in turn and print one final table.

Each benchmark module has a ``main()`` that prints its own details and returns a list of
rows, one per timed case::

    {"name": str, "dctwin_s": float | None, "peer": str, "peer_s": float,
     "ratio": float | None, "target_ratio": float | None, "passed": bool | None}

``ratio`` is peer time / dctwin time (higher = dctwin faster); ``passed`` is
``ratio >= target_ratio``, or ``None`` for an informational row. A missed target is a
measurement, not a failure: the exit status is 0 unless a benchmark crashed (1).

Usage: ``python benchmarks/run_all.py [NAME ...]`` (``make bench``); names filter the
benchmarks by substring, e.g. ``python benchmarks/run_all.py vessim``.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def discover(filters: list[str] | None = None) -> list[Path]:
    """The benchmark modules, sorted by name, optionally filtered by substring."""
    paths = sorted(HERE.glob("bench_*.py"))
    if filters:
        paths = [p for p in paths if any(f in p.stem for f in filters)]
    return paths


def run_one(path: Path) -> list[dict[str, Any]]:
    """Import a benchmark module from its file and return its ``main()`` rows."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load benchmark {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    rows = module.main()
    if not isinstance(rows, list):
        raise TypeError(f"{path.name}: main() must return a list of row dicts, got {type(rows)}")
    return rows


def _fmt(x: float | None, spec: str) -> str:
    return "–" if x is None else format(x, spec)


def verdict(row: dict[str, Any]) -> str:
    """PASS, FAIL, info (no target) or ERROR (the benchmark crashed)."""
    if row.get("error"):
        return "ERROR"
    return {True: "PASS", False: "FAIL", None: "info"}[row.get("passed")]


def print_table(rows: list[dict[str, Any]]) -> None:
    """One line per case: times, ratio (peer / dctwin), target and verdict."""
    width = max([len(r["name"]) for r in rows] + [4])
    print(
        f"{'case':<{width}}  {'dctwin s':>9}  {'peer':<14} {'peer s':>8}  {'ratio':>8}"
        f"  {'target':>7}  verdict"
    )
    for r in rows:
        target = "–" if r.get("target_ratio") is None else f"≥{r['target_ratio']:g}×"
        ratio = "–" if r.get("ratio") is None else f"{r['ratio']:.1f}×"
        print(
            f"{r['name']:<{width}}  {_fmt(r.get('dctwin_s'), '9.4f')}  {r.get('peer', ''):<14}"
            f" {_fmt(r.get('peer_s'), '8.3f')}  {ratio:>8}  {target:>7}  {verdict(r)}"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print the final table; 1 only if a benchmark crashed."""
    filters = sys.argv[1:] if argv is None else argv
    paths = discover(filters)
    if not paths:
        print(f"no benchmarks/bench_*.py matched {filters}", file=sys.stderr)
        return 1
    rows: list[dict[str, Any]] = []
    for path in paths:
        print(f"\n===== {path.name} " + "=" * max(0, 60 - len(path.name)))
        start = time.perf_counter()
        try:
            rows.extend(run_one(path))
        except Exception as exc:
            traceback.print_exc()
            rows.append({"name": f"{path.stem}: {type(exc).__name__}: {exc}", "error": True})
        print(f"({path.name} took {time.perf_counter() - start:.1f} s)")
    print("\n===== summary " + "=" * 62)
    print_table(rows)
    missed = [r["name"] for r in rows if r.get("passed") is False]
    crashed = [r["name"] for r in rows if r.get("error")]
    if missed:
        print(f"\n{len(missed)} target(s) MISSED (a measurement, not a failure): {missed}")
    else:
        print("\nall targets met" if not crashed else "")
    if crashed:
        print(f"{len(crashed)} benchmark(s) CRASHED: {crashed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
