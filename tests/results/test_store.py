"""Tests of the run-directory store: round trip, atomic writes, ids, staging, errors."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dctwin.errors import RunNotFoundError, StoreError
from dctwin.results import RunStore
from dctwin.results import store as store_module

CORE = {"scenario.toml", "metadata.json", "summary.json", "timeseries.parquet"}


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "runs")


# ---------------------------------------------------------------------- round trip
def test_round_trip_is_exact(store: RunStore, make_results: Any) -> None:
    results = make_results()
    run_id = store.write(results, extra_files={"report.html": "<h1>Ouarzazate</h1>"})

    loaded = store.load(run_id)

    assert loaded.run_id == run_id
    pd.testing.assert_frame_equal(loaded.timeseries, results.timeseries, check_exact=True)
    assert list(loaded.timeseries.columns) == list(results.timeseries.columns)
    assert str(loaded.timeseries["time_utc"].dt.tz) == "UTC"
    assert loaded.scenario == results.scenario
    assert loaded.summary == results.summary
    stored_utc = loaded.metadata.pop("stored_utc")
    assert loaded.metadata == {**results.metadata, "run_id": run_id}
    assert datetime.fromisoformat(stored_utc).tzinfo is not None
    assert {p.name for p in store.run_dir(run_id).iterdir()} == CORE | {"report.html"}
    assert (store.run_dir(run_id) / "report.html").read_text() == "<h1>Ouarzazate</h1>"


def test_tables_round_trip(store: RunStore, make_results: Any) -> None:
    """Workload tables (jobs, audit, ...) are stored as table-<name>.parquet and read back exactly."""
    jobs = pd.DataFrame({"job_id": [1, 2], "tenant": ["a", "b"], "queue_s": [0.0, np.nan]})
    audit = pd.DataFrame({"time_s": [0.5], "rule_id": pd.Categorical(["PUBLIC-ANYWHERE"])})
    run_id = store.write(make_results(tables={"jobs": jobs, "audit": audit}))
    assert (store.run_dir(run_id) / "table-jobs.parquet").is_file()
    back = store.load(run_id)
    pd.testing.assert_frame_equal(back.tables["jobs"], jobs)
    pd.testing.assert_frame_equal(back.tables["audit"], audit)


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_time_resolution_survives(store: RunStore, make_results: Any, unit: str) -> None:
    frame = make_results().timeseries
    frame["time_utc"] = frame["time_utc"].dt.as_unit(unit)  # the engine writes seconds
    frame["naive_time"] = frame["time_utc"].dt.tz_localize(None)

    loaded = store.load(store.write(make_results(timeseries=frame))).timeseries

    pd.testing.assert_frame_equal(loaded, frame, check_exact=True)
    assert loaded["time_utc"].dtype == f"datetime64[{unit}, UTC]"


def test_run_id_format_and_files(store: RunStore, make_results: Any) -> None:
    run_id = store.write(make_results())

    stamp, rest = run_id[:15], run_id[16:]
    assert datetime.strptime(stamp, "%Y%m%dT%H%M%S")
    assert rest[: -len("-abcdef")] == "morocco-500mw-phase-1"
    int(run_id[-6:], 16)
    directory = store.run_dir(run_id)
    assert directory == store.root / run_id
    assert json.loads((directory / "metadata.json").read_text())["run_id"] == run_id
    assert "[time]" in (directory / "scenario.toml").read_text()


def test_parquet_keeps_unit_names_utc_and_zstd(store: RunStore, make_results: Any) -> None:
    results = make_results()
    path = store.run_dir(store.write(results)) / "timeseries.parquet"

    schema = pq.read_schema(path)
    meta = pq.read_metadata(path)

    assert schema.names == list(results.timeseries.columns)
    time_type = schema.field("time_utc").type
    assert pa.types.is_timestamp(time_type) and time_type.tz == "UTC"
    assert meta.row_group(0).column(0).compression == "ZSTD"


def test_reading_an_absent_root_creates_nothing(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "nowhere" / "runs")

    assert store.run_ids() == [] and len(store) == 0
    assert store.list_runs().empty
    assert "run_id" in store.list_runs().columns
    assert store.query("SELECT count(*) AS n FROM runs")["n"].tolist() == [0]
    assert store.rebuild_index() == 0
    with pytest.raises(RunNotFoundError, match="empty"):
        store.latest()
    with pytest.raises(RunNotFoundError, match="empty"):
        store.load("2026")
    assert repr(store) == f"RunStore({str(store.root)!r}, 0 runs)"
    assert not (tmp_path / "nowhere").exists()


def test_repr_is_short(store: RunStore, make_results: Any) -> None:
    store.write(make_results())
    assert repr(store) == f"RunStore({str(store.root)!r}, 1 run)"


# ----------------------------------------------------------------------- atomicity
class InjectedCrashError(RuntimeError):
    """The injected crash."""


def _fail_after(original: Any, calls: int, exc: BaseException) -> Any:
    count = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        count["n"] += 1
        if count["n"] > calls:
            raise exc
        return original(*args, **kwargs)

    return wrapper


CRASHES = {
    "parquet writer": ("dctwin.results.store.pq.write_table", 0, InjectedCrashError("disk full")),
    "third file": ("dctwin.results.store._write_durable", 2, InjectedCrashError("disk full")),
    "fsync": ("dctwin.results.store.os.fsync", 3, OSError(5, "I/O error")),
    "rename": ("dctwin.results.store.os.rename", 0, OSError(18, "cross-device")),
    "interrupt at rename": ("dctwin.results.store.os.rename", 0, KeyboardInterrupt()),
}


def _crash(monkeypatch: pytest.MonkeyPatch, where: str) -> type[BaseException]:
    target, calls, exc = CRASHES[where]
    module_path, attr = target.rsplit(".", 1)
    owner: Any = store_module
    for part in module_path.split(".")[3:]:
        owner = getattr(owner, part)
    monkeypatch.setattr(owner, attr, _fail_after(getattr(owner, attr), calls, exc))
    return type(exc)


@pytest.mark.parametrize("where", list(CRASHES))
def test_crash_leaves_existing_store_byte_identical(
    tmp_path: Path, make_results: Any, snapshot: Any, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    store = RunStore(tmp_path / "runs")
    first = store.write(make_results(), extra_files={"report.html": "r"})
    store.list_runs()
    before = snapshot(store.root)
    assert before is not None and first in before and "index.duckdb" in before

    expected = _crash(monkeypatch, where)
    with pytest.raises(expected):
        store.write(make_results(), extra_files={"report.html": "r2"})

    monkeypatch.undo()
    assert snapshot(store.root) == before
    assert store.run_ids() == [first]


@pytest.mark.parametrize("where", list(CRASHES))
def test_crash_on_first_write_leaves_no_root(
    tmp_path: Path, make_results: Any, snapshot: Any, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    (tmp_path / "keep.txt").write_text("untouched")
    before = snapshot(tmp_path)
    store = RunStore(tmp_path / "a" / "b" / "runs")

    expected = _crash(monkeypatch, where)
    with pytest.raises(expected):
        store.write(make_results())

    monkeypatch.undo()
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"extra_files": {"../evil.html": "x"}}, "plain"),
        ({"extra_files": {".hidden": "x"}}, "plain"),
        ({"extra_files": {"summary.json": "{}"}}, "written by the store"),
        ({"metadata": {"seed": object()}}, "metadata cannot be written as JSON"),
        ({"timeseries": "naive"}, "tz-aware UTC"),
        ({"timeseries": "casablanca"}, "tz-aware UTC"),
        ({"timeseries": "no time"}, "no 'time_utc' column"),
    ],
)
def test_rejected_run_changes_nothing(
    store: RunStore, make_results: Any, snapshot: Any, change: dict[str, Any], message: str
) -> None:
    store.write(make_results())
    before = snapshot(store.root)
    change = dict(change)
    extra = change.pop("extra_files", None)
    frame = make_results().timeseries
    bad_frames = {
        "naive": frame.assign(time_utc=frame["time_utc"].dt.tz_localize(None)),
        "casablanca": frame.assign(time_utc=frame["time_utc"].dt.tz_convert("Africa/Casablanca")),
        "no time": frame.drop(columns="time_utc"),
    }
    if "timeseries" in change:
        change["timeseries"] = bad_frames[change["timeseries"]]

    with pytest.raises(StoreError, match=message):
        store.write(make_results(**change), extra_files=extra)

    assert snapshot(store.root) == before


def test_root_that_is_a_file_is_rejected(tmp_path: Path, make_results: Any) -> None:
    (tmp_path / "runs").write_text("not a store")
    with pytest.raises(StoreError, match="not a directory"):
        RunStore(tmp_path / "runs").write(make_results())


# ------------------------------------------------------------------------- staging
def _fake_staging(store: RunStore, run_id: str, age_s: float) -> Path:
    """A staging directory as a write killed mid-way leaves it."""
    staging = store.root / ".staging" / run_id
    staging.mkdir(parents=True)
    (staging / "metadata.json").write_text(json.dumps({"run_id": run_id}))
    (staging / "summary.json").write_text("{")
    old = time.time() - age_s
    os.utime(staging, (old, old))
    return staging


def test_leftover_staging_is_invisible_and_swept(store: RunStore, make_results: Any) -> None:
    first = store.write(make_results())
    stale = _fake_staging(store, "20250101T000000-morocco-500mw-phase-1-dead00", age_s=7200)
    young = _fake_staging(store, "20250101T000000-morocco-500mw-phase-1-beef00", age_s=60)

    hidden = store.root / ".old-run"
    shutil.copytree(store.root / first, hidden)
    assert store.run_ids() == [first]
    assert store.list_runs()["run_id"].tolist() == [first]
    with pytest.raises(RunNotFoundError):
        store.load("20250101T000000")
    assert stale.exists()

    second = store.write(make_results())

    assert not stale.exists()
    assert young.exists()
    assert sorted(store.run_ids()) == sorted([first, second])
    assert [p.name for p in (store.root / ".staging").iterdir()] == [young.name]


# ----------------------------------------------------------------------------- ids
def test_two_writes_in_the_same_second_get_different_ids(
    store: RunStore, make_results: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    monkeypatch.setattr(store_module, "_utcnow", lambda: frozen)

    ids = {store.write(make_results()) for _ in range(3)}

    assert len(ids) == 3
    assert {i[:15] for i in ids} == {"20260301T120000"}
    assert store.run_ids() == sorted(ids)


def _fix_suffixes(monkeypatch: pytest.MonkeyPatch, suffixes: list[str]) -> None:
    """Make the 6-hex run-id suffixes come from ``suffixes``, in order."""
    pending = iter(suffixes)
    real = store_module.secrets.token_hex
    monkeypatch.setattr(store_module.secrets, "token_hex", lambda n: next(pending) if n == 3 else real(n))


def test_a_colliding_random_suffix_is_redrawn(
    store: RunStore, make_results: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    monkeypatch.setattr(store_module, "_utcnow", lambda: frozen)
    _fix_suffixes(monkeypatch, ["aaaaaa", "aaaaaa", "bbbbbb"])

    first = store.write(make_results())
    second = store.write(make_results())

    assert first.endswith("-aaaaaa") and second.endswith("-bbbbbb")


def test_unique_prefix_resolves_like_git(
    store: RunStore, make_results: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fix_suffixes(monkeypatch, ["abc123", "abd456"])
    monkeypatch.setattr(store_module, "_utcnow", lambda: datetime(2026, 3, 1, tzinfo=UTC))
    first = store.write(make_results())
    second = store.write(make_results())
    stem = first[: -len("abc123")]

    assert store.resolve(stem + "abc") == first
    assert store.load(stem + "abd").run_id == second
    assert store.run_dir(first[:-1]) == store.root / first
    with pytest.raises(RunNotFoundError, match=r"ambiguous .* matches 2 runs"):
        store.resolve(stem + "ab")
    with pytest.raises(RunNotFoundError):
        store.resolve("")


def test_unknown_id_names_root_and_nearest_ids(store: RunStore, make_results: Any) -> None:
    run_id = store.write(make_results())
    typo = run_id[:-2] + "zz"

    with pytest.raises(RunNotFoundError) as info:
        store.load(typo)

    message = str(info.value)
    assert str(store.root) in message
    assert f"did you mean {run_id!r}" in message
    with pytest.raises(RunNotFoundError, match="holds 1 run, the newest"):
        store.load("nothing-like-it")


def test_empty_store_message(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    with pytest.raises(RunNotFoundError, match=r"results store .*runs is empty"):
        RunStore(tmp_path / "runs").load("20260101")


def test_latest_is_the_last_written(store: RunStore, make_results: Any) -> None:
    ids = [store.write(make_results()) for _ in range(3)]
    assert store.latest() == ids[-1]


# ------------------------------------------------------------------------ add_file
def test_add_file_replaces_atomically(store: RunStore, make_results: Any, snapshot: Any) -> None:
    run_id = store.write(make_results(), extra_files={"report.html": b"<p>v1</p>"})

    path = store.add_file(run_id[:20], "report.html", "<p>v2</p>")
    store.add_file(run_id, "notes.md", b"# notes")

    assert path == store.root / run_id / "report.html"
    assert path.read_text() == "<p>v2</p>"
    names = {p.name for p in store.run_dir(run_id).iterdir()}
    assert names == CORE | {"report.html", "notes.md"}
    before = snapshot(store.root)
    with pytest.raises(StoreError, match="written by the store"):
        store.add_file(run_id, "timeseries.parquet", b"")
    with pytest.raises(StoreError, match="plain"):
        store.add_file(run_id, "sub/report.html", "x")
    with pytest.raises(RunNotFoundError):
        store.add_file("19990101", "report.html", "x")
    assert snapshot(store.root) == before


def test_add_file_crash_keeps_the_old_file(
    store: RunStore, make_results: Any, snapshot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = store.write(make_results(), extra_files={"report.html": "old"})
    before = snapshot(store.root)
    monkeypatch.setattr(store_module.os, "replace", _fail_after(os.replace, 0, InjectedCrashError("crash")))

    with pytest.raises(InjectedCrashError):
        store.add_file(run_id, "report.html", "new")

    monkeypatch.undo()
    assert snapshot(store.root) == before


# ---------------------------------------------------------------------- damaged runs
def test_loading_a_damaged_run_names_the_file(store: RunStore, make_results: Any) -> None:
    first, second = store.write(make_results()), store.write(make_results())
    (store.run_dir(first) / "timeseries.parquet").unlink()
    (store.run_dir(second) / "summary.json").write_text("{not json")

    with pytest.raises(StoreError, match=r"timeseries\.parquet is missing"):
        store.load(first)
    with pytest.raises(StoreError, match=r"summary\.json is not valid JSON"):
        store.load(second)


def test_loading_an_invalid_stored_scenario_is_a_store_error(store: RunStore, make_results: Any) -> None:
    run_id = store.write(make_results())
    path = store.run_dir(run_id) / "scenario.toml"
    path.write_text(path.read_text().replace('name = "morocco-500mw"', 'name = "Bad Name"', 1))
    with pytest.raises(StoreError, match="scenario cannot be read"):
        store.load(run_id)


def test_numpy_scalars_in_summary_are_written_as_numbers(store: RunStore, make_results: Any) -> None:
    summary = {"campus": {"pue_annual": np.float64(1.1), "gpus": np.int64(7)}, "sites": {}}
    run_id = store.write(make_results(summary=summary))
    assert store.load(run_id).summary == {"campus": {"pue_annual": 1.1, "gpus": 7}, "sites": {}}


# ------------------------------------------------------------------------ property
UNITS = ["mw", "mwh", "frac", "c", "kg_per_mwh", "l_per_h", "w_per_m2", "m_per_s"]
unit_names = st.builds(
    lambda stem, unit: f"{stem}_{unit}",
    st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
    st.sampled_from(UNITS),
)


@st.composite
def unit_frames(draw: st.DrawFn) -> pd.DataFrame:
    names = draw(st.lists(unit_names, min_size=1, max_size=5, unique=True))
    rows = draw(st.integers(min_value=1, max_value=30))
    floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
    data: dict[str, Any] = {
        "time_utc": pd.date_range("2026-01-01", periods=rows, freq="15min", tz="UTC"),
        "site": draw(st.lists(st.sampled_from(["north", "south"]), min_size=rows, max_size=rows)),
    }
    for name in names:
        data[name] = np.array(draw(st.lists(floats, min_size=rows, max_size=rows)), dtype=float)
    return pd.DataFrame(data)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(frame=unit_frames())
def test_float_time_series_survive_the_round_trip_exactly(make_results: Any, frame: pd.DataFrame) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(tmp)
        loaded = store.load(store.write(make_results(timeseries=frame))).timeseries

    pd.testing.assert_frame_equal(loaded, frame, check_exact=True)
    for name in frame.columns[2:]:
        written, read = frame[name].to_numpy(), loaded[name].to_numpy()
        np.testing.assert_array_equal(np.isnan(read), np.isnan(written))
        numbers = ~np.isnan(written)  # NaN is stored as Parquet null, read back as NaN
        np.testing.assert_array_equal(
            read[numbers].view(np.uint64), written[numbers].view(np.uint64)
        )  # bit for bit: -0.0 keeps its sign


def test_store_can_be_moved(tmp_path: Path, make_results: Any) -> None:
    store = RunStore(tmp_path / "runs")
    run_id = store.write(make_results())
    store.list_runs()
    shutil.move(store.root, tmp_path / "moved")
    moved = RunStore(tmp_path / "moved")
    assert moved.load(run_id).run_id == run_id
    assert moved.query("SELECT DISTINCT run_id FROM timeseries")["run_id"].tolist() == [run_id]
