"""The command line: runs end to end; user errors give one line, exit 2, and write nothing."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dctwin import engine
from dctwin.cli import main


def tree_digest(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir")
        for p in sorted(root.rglob("*"))
    }


def test_run_writes_a_run_with_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "runs"
    assert main(["run", "morocco-500mw", "--days", "2", "--out", str(store)]) == 0
    out = capsys.readouterr().out
    assert "Hourly CFE" in out and "report:" in out
    (run_dir,) = [p for p in store.iterdir() if p.is_dir() and not p.name.startswith(".")]
    for name in ("scenario.toml", "metadata.json", "summary.json", "timeseries.parquet", "report.html"):
        assert (run_dir / name).is_file(), name
    assert main(["runs", "--out", str(store)]) == 0
    assert run_dir.name[:15] in capsys.readouterr().out
    assert main(["report", "latest", "--out", str(store)]) == 0
    assert main(["runs", "--out", str(store), "--sql", "select count(*) as n from runs"]) == 0
    assert "1" in capsys.readouterr().out


BAD_INVOCATIONS = [
    (["run", "morocco-500"], "did you mean 'morocco-500mw'"),
    (["run", "morocco-500mw", "--phase", "phase-7"], "phase-7"),
    (["run", "morocco-500mw", "--step", "10min"], "time.step"),
    (["run", "morocco-500mw", "--days", "0"], "time.duration_days"),
    (["run", "/nonexistent/campus.toml"], "does not exist"),
    (
        ["run", "morocco-500mw", "--cut", "atlas"],
        "--cut: unknown cable 'atlas'; did you mean 'atlas-offshore'",
    ),
    (["run", "--build-out", "--build-out-days", "0"], "--build-out-days: must be 1–366 d, got 0 d"),
    (["run", "--build-out-days", "3"], "--build-out-days: is only used with --build-out"),
    (
        ["run", "--cut", "sea-me-we-3"],
        "--cut: cable 'sea-me-we-3' is retired (2024-12-02) and not in the graph",
    ),
]


@pytest.mark.parametrize(("argv", "fragment"), BAD_INVOCATIONS)
def test_user_errors_are_one_line_and_write_nothing(
    argv: list[str], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "runs"
    assert main([*argv, "--out", str(store)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and fragment in err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert not store.exists()


def test_run_prints_the_headline_economics_and_the_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's headline figures (GPUs, MW, capex, cost per GPU-hour, payback), as stored."""
    store = tmp_path / "runs"
    argv = ["run", "--days", "2", "--cut", "tetouan-estepona", "--build-out", "--build-out-days", "1"]
    assert main([*argv, "--out", str(store)]) == 0
    out = capsys.readouterr().out
    (run_dir,) = [p for p in store.iterdir() if p.is_dir() and not p.name.startswith(".")]
    summary = json.loads((run_dir / "summary.json").read_text())
    e = summary["economics"]
    assert f"{e['gpus']:,.0f}" in out and "40.0 MW" in out
    assert f"{e['capex_usd'] / 1e9:.2f} bn USD" in out
    assert f"{e['cost_usd_per_gpu_h']:.2f} USD/GPU-h" in out
    assert f"{e['payback_yr']:.1f} yr" in out
    assert "build-out" in out and "2040" in out and summary["build_out"]["final_gpus"] == 181152
    assert "the run's cable outages" in out and "Madrid" in out
    assert "[tetouan-estepona]" in out  # route labels are printed literally, not as markup
    tables = {p.name for p in run_dir.glob("table-*.parquet")}
    for name in ("capex", "cost_breakdown", "cash_flows", "outage_comparison", "build_out_years"):
        assert f"table-{name}.parquet" in tables, name
    scenario = (run_dir / "scenario.toml").read_text()
    assert 'cable = "tetouan-estepona"' in scenario  # the stored scenario reproduces the cut


def test_bad_file_is_rejected_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nphase = "p"\n[[phases]]\nname = "p"\nonline_date = 2026-01-01\n')
    assert main(["validate", str(bad)]) == 2
    assert "sites" in capsys.readouterr().err
    assert main(["validate", "morocco-2026-plan"]) == 0
    assert main(["validate", "morocco-2026-plan", "--resolved"]) == 0
    assert "sizing_pue" in capsys.readouterr().out


def test_a_crashed_run_leaves_the_store_exactly_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "runs"
    assert main(["run", "--days", "1", "--out", str(store)]) == 0
    before = tree_digest(store)

    def boom(*args: object, **kwargs: object) -> None:
        raise MemoryError("simulated crash in the dispatch")

    monkeypatch.setattr(engine, "dispatch_site", boom)
    assert main(["run", "--days", "1", "--out", str(store)]) == 1
    assert "internal error" in capsys.readouterr().err
    assert tree_digest(store) == before


def test_listings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert "morocco-500mw" in out and "morocco-2026-plan" in out
    assert main(["hardware"]) == 0
    assert "gb200-nvl72" in capsys.readouterr().out
    assert main(["turbines"]) == 0
    assert "V112/3450" in capsys.readouterr().out


def test_no_traceback_from_the_real_entry_point(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dctwin", "run", "nope", "--out", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


def test_validate_checks_the_route_graph_as_a_run_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "morocco-500mw", "--resolved"]) == 0
    text = capsys.readouterr().out.replace("backhaul_max_km = 500.0", "backhaul_max_km = 1.0")
    path = tmp_path / "near.toml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "no landing in ['MA'] within 1 km (nearest: tetouan at 17 km)" in err
    assert "raise network.backhaul_max_km" in err
