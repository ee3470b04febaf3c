"""Tests of the derived DuckDB index: schema, rebuilds, staleness, queries, locking."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from dctwin.errors import StoreError
from dctwin.results import RunStore, index
from dctwin.results import store as store_module


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "runs")


@pytest.fixture
def two_runs(store: RunStore, make_results: Any) -> list[str]:
    """Two runs with different campus metrics and different time-series columns."""
    first = make_results()
    second = make_results(
        summary={
            "campus": {"hourly_cfe_score_frac": 0.9, "curtailment_mwh": 12.5, "label": "x"},
            "sites": {"north": {"solar_mwh": 1.0}, "south": {"solar_mwh": 2.0}},
        },
        timeseries=first.timeseries.assign(wind_mw=3.0),
        metadata={"seed": 7, "timings_s": {"weather": 2.0, "dispatch": 0.5}},
    )
    return [store.write(first), store.write(second)]


def test_runs_table_schema_and_order(store: RunStore, two_runs: list[str]) -> None:
    runs = store.list_runs()

    assert runs["run_id"].tolist() == two_runs[::-1]  # newest first
    assert list(runs.columns[: len(index.FIXED_COLUMNS)]) == list(index.FIXED_COLUMNS)
    first = runs.set_index("run_id").loc[two_runs[0]]
    second = runs.set_index("run_id").loc[two_runs[1]]
    assert (first["scenario"], first["phase"], first["step"]) == ("morocco-500mw", "phase-1", "1h")
    assert first["seed"] == 1 and second["seed"] == 7
    assert first["duration_days"] == 1.0
    assert first["created_utc"] == pd.Timestamp("2026-01-01T12:00:00", tz="UTC")
    assert str(runs["stored_utc"].dt.tz) == "UTC"
    assert second["created_utc"] == second["stored_utc"]  # no created_utc in its metadata
    assert (first["dctwin_version"], first["git_hash"]) == ("0.1.0", "abc1234")
    assert first["wall_time_s"] == 1.0  # timings_s.total
    assert second["wall_time_s"] == 2.5  # sum of the stages when there is no total
    assert (first["sites"], second["sites"]) == ("north", "north,south")


def test_metric_columns_follow_each_runs_keys(store: RunStore, two_runs: list[str]) -> None:
    runs = store.list_runs().set_index("run_id")

    assert runs.loc[two_runs[0], "pue_annual"] == 1.12
    assert pd.isna(runs.loc[two_runs[1], "pue_annual"])
    assert runs.loc[two_runs[1], "curtailment_mwh"] == 12.5
    assert runs.loc[two_runs[1], "hourly_cfe_score_frac"] == 0.9
    assert "label" not in runs.columns  # not numeric
    assert runs["curtailment_mwh"].dtype == "float64"


def test_a_rebuilt_index_has_the_same_rows(store: RunStore, two_runs: list[str]) -> None:
    appended = store.list_runs()  # the index as built run by run
    assert store.rebuild_index() == 2
    rebuilt = store.list_runs()

    pd.testing.assert_frame_equal(rebuilt.sort_index(axis=1), appended.sort_index(axis=1), check_exact=True)


@pytest.mark.parametrize("damage", ["delete", "garbage", "truncate", "foreign"])
def test_missing_or_corrupt_index_is_rebuilt(store: RunStore, two_runs: list[str], damage: str) -> None:
    expected = store.list_runs()
    path = store.index_path
    if damage == "delete":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"not a duckdb file" * 100)
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[:4096])
    else:
        path.unlink()
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE TABLE runs (run_id VARCHAR)")

    pd.testing.assert_frame_equal(store.list_runs(), expected, check_exact=True)
    assert store.query("SELECT count(*) AS n FROM runs")["n"].tolist() == [2]


def test_stale_index_notices_added_and_removed_runs(
    store: RunStore, two_runs: list[str], tmp_path: Path
) -> None:
    store.list_runs()
    shutil.copytree(store.root / two_runs[0], tmp_path / "backup")
    shutil.rmtree(store.root / two_runs[0])

    assert store.list_runs()["run_id"].tolist() == [two_runs[1]]

    shutil.copytree(tmp_path / "backup", store.root / two_runs[0])
    assert set(store.list_runs()["run_id"]) == set(two_runs)


def test_failed_index_update_keeps_the_run(
    store: RunStore, make_results: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = store.write(make_results())

    def broken(*args: Any, **kwargs: Any) -> None:
        raise duckdb.IOException("Could not set lock on file")

    monkeypatch.setattr(index, "append_record", broken)
    monkeypatch.setattr(index, "write_index_file", broken)
    second = store.write(make_results())
    monkeypatch.undo()

    assert (store.root / second / "timeseries.parquet").is_file()
    assert set(store.list_runs()["run_id"]) == {first, second}


def test_unwritable_index_falls_back_to_memory(
    store: RunStore, two_runs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store.index_path.unlink()

    def read_only_fs(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(index, "write_index_file", read_only_fs)

    assert set(store.list_runs()["run_id"]) == set(two_runs)
    assert not store.index_path.exists()


def test_timeseries_view_spans_runs(store: RunStore, two_runs: list[str]) -> None:
    frame = store.query(
        "SELECT run_id, count(*) AS n, count(wind_mw) AS n_wind, max(time_utc) AS last "
        "FROM timeseries GROUP BY run_id ORDER BY run_id"
    )

    assert frame["run_id"].tolist() == sorted(two_runs)
    assert frame["n"].tolist() == [24, 24]
    wind = dict(zip(frame["run_id"], frame["n_wind"], strict=True))
    assert wind == {two_runs[0]: 0, two_runs[1]: 24}  # columns united by name
    assert (frame["last"] == pd.Timestamp("2026-01-01T23:00", tz="UTC")).all()


def test_query_can_join_runs_and_metrics(store: RunStore, two_runs: list[str]) -> None:
    frame = store.query(
        "SELECT r.seed, m.site, m.value FROM runs r JOIN metrics m USING (run_id) "
        "WHERE m.scope = 'site' AND m.metric = 'solar_mwh' ORDER BY r.seed, m.site"
    )
    assert frame.to_dict("list") == {
        "seed": [1, 7, 7],
        "site": ["north", "north", "south"],
        "value": [1234.5, 1.0, 2.0],
    }
    fleet = store.query("SELECT metric, value FROM metrics WHERE scope = 'fleet'")
    assert dict(zip(fleet["metric"], fleet["value"], strict=True)) == {
        "gpus": 41472.0,
        "by_hardware.gb200-nvl72.racks": 576.0,
    }


def test_invalid_sql_is_a_one_line_store_error(store: RunStore, two_runs: list[str]) -> None:
    with pytest.raises(StoreError, match="query failed: Parser Error") as info:
        store.query("SELEC * FROM runs")
    assert "\n" not in str(info.value)
    with pytest.raises(StoreError, match="Catalog Error"):
        store.query("SELECT * FROM no_such_table")


def test_query_is_read_only(store: RunStore, two_runs: list[str], snapshot: Any) -> None:
    store.list_runs()
    before = snapshot(store.root)
    for sql in ("DROP TABLE runs", "DELETE FROM runs", "CREATE TABLE t (a INT)"):
        with pytest.raises(StoreError, match="read-only"):
            store.query(sql)
    assert snapshot(store.root) == before
    assert len(store.list_runs()) == 2


def test_index_is_left_unlocked(store: RunStore, two_runs: list[str]) -> None:
    store.list_runs()
    store.query("SELECT * FROM timeseries LIMIT 1")

    with duckdb.connect(str(store.index_path)) as con:  # read-write: fails if still locked
        con.execute("CREATE TABLE probe (a INT)")
    assert sorted(p.name for p in store.root.iterdir() if not p.name.startswith(".")) == sorted(
        [*two_runs, "index.duckdb"]
    )


def test_empty_existing_store_lists_nothing_and_writes_no_index(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    store = RunStore(tmp_path / "runs")

    assert store.list_runs().empty
    with pytest.raises(StoreError, match="timeseries"):
        store.query("SELECT * FROM timeseries")
    assert list((tmp_path / "runs").iterdir()) == []
    assert store.rebuild_index() == 0
    assert store.index_path.is_file()


def test_rebuild_leaves_no_temporary_files(store: RunStore, two_runs: list[str]) -> None:
    store.rebuild_index()
    hidden = [p.name for p in store.root.iterdir() if p.name.startswith(".")]
    assert hidden == [store_module.STAGING_DIR]


def test_damaged_run_is_indexed_with_nulls(store: RunStore, two_runs: list[str]) -> None:
    (store.root / two_runs[0] / "summary.json").write_text("{broken")
    store.index_path.unlink()

    runs = store.list_runs().set_index("run_id")

    assert set(runs.index) == set(two_runs)
    assert pd.isna(runs.loc[two_runs[0], "hourly_cfe_score_frac"])
    assert "pue_annual" not in runs.columns  # only the damaged summary had it
    assert runs.loc[two_runs[0], "seed"] == 1  # metadata.json is intact
