"""The results store: one directory per run, written atomically, and a derived index.

Layout of a store::

    <root>/
      <run_id>/                one complete run; only add_file() changes it afterwards
        scenario.toml          the resolved scenario, every default filled in
        metadata.json          Results.metadata + "run_id" + "stored_utc"
        summary.json           {"campus": {...}, "sites": {slug: {...}}, "fleet": {...}}
        timeseries.parquet     the long-format time series (pyarrow, zstd)
        table-<name>.parquet   further tables (Results.tables: jobs, audit, tenants, ...)
        report.html, ...       extra files given to write() or add_file()
      index.duckdb             derived DuckDB index (see dctwin.results.index); deletable
      .staging/<run_id>/       a write in progress, or one killed mid-way; never listed

Run ids read ``<UTC yyyymmddTHHMMSS>-<scenario>-<phase>-<6 hex>``, e.g.
``20260101T120000-morocco-500mw-phase-1-3fa9c2``; the random suffix keeps two writes
in the same second apart. Any unique prefix of an id resolves to it, as in git.

Metadata keys. The store writes ``Results.metadata`` as given and adds ``run_id`` and
``stored_utc`` (ISO 8601, UTC, microseconds). The index reads these keys when present:
``seed`` (int), ``dctwin_version`` (str), ``git_hash`` (str), ``created_utc`` (ISO
8601), ``timings_s`` (stage → wall time [s]; ``total`` is indexed as ``wall_time_s``)
and ``stored_utc``. Metadata and summary must be JSON-serialisable; numpy scalars are
written as numbers and datetimes as ISO 8601 strings.

Time series. Written with pyarrow (zstd) and the pandas schema metadata, so column
names, order, dtypes, the UTC time zone and the index come back as written. As pandas
does, pyarrow stores a float NaN as Parquet null (SQL NULL in the ``timeseries`` view);
it is read back as NaN.

Atomicity. :meth:`RunStore.write` first encodes every file in memory (a run that cannot
be encoded is rejected before the disk is touched), then writes them into
``<root>/.staging/<run_id>``, fsyncs each file and the directory, and renames the
directory into place with one ``os.rename``. Any exception (or ``KeyboardInterrupt``)
before the rename removes the staging directory and every directory the write created
(the root and its missing parents included) and is re-raised: the store is left exactly
as it was. A process killed mid-write leaves only a hidden staging directory, which is
never listed and is swept by a later successful write once it is older than
``stale_after_s``. The index is updated after the rename; if that fails the run is
still stored, and the next :meth:`RunStore.list_runs` rebuilds the index.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
import secrets
import shutil
import time
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dctwin.errors import DctwinError, RunNotFoundError, StoreError
from dctwin.results import index
from dctwin.results.model import Results
from dctwin.scenario.loader import scenario_from_dict, scenario_to_toml

__all__ = [
    "CORE_FILES",
    "METADATA_FILE",
    "SCENARIO_FILE",
    "STAGING_DIR",
    "SUMMARY_FILE",
    "TIMESERIES_FILE",
    "RunStore",
]

_log = logging.getLogger(__name__)

SCENARIO_FILE = "scenario.toml"
METADATA_FILE = "metadata.json"
SUMMARY_FILE = "summary.json"
TIMESERIES_FILE = "timeseries.parquet"
TABLE_PREFIX = "table-"
CORE_FILES = frozenset({SCENARIO_FILE, METADATA_FILE, SUMMARY_FILE, TIMESERIES_FILE})
STAGING_DIR = ".staging"
_UTC_NAMES = frozenset({"UTC", "Etc/UTC"})
_TIME_UNITS: tuple[Literal["s", "ms", "us", "ns"], ...] = ("s", "ms", "us", "ns")


def _utcnow() -> datetime:
    """The current time, tz-aware UTC (a seam for tests)."""
    return datetime.now(UTC)


class RunStore:
    """A directory of runs, one sub-directory per run, with a derived DuckDB index.

    Parameters
    ----------
    root
        The store's directory. It is created by the first successful :meth:`write`;
        reading or listing an absent root returns nothing and creates nothing.
    stale_after_s
        Age after which a leftover staging directory (a write killed mid-way) is
        swept by the next successful write. [s]

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     store = RunStore(Path(tmp) / "runs")
    ...     (len(store), store.root.exists())
    (0, False)
    """

    def __init__(self, root: str | Path, *, stale_after_s: float = 3600.0) -> None:
        self.root = Path(root).expanduser().resolve()
        self.stale_after_s = stale_after_s

    def __repr__(self) -> str:
        return f"RunStore({str(self.root)!r}, {_plural(len(self), 'run')})"

    def __len__(self) -> int:
        return len(self.run_ids())

    @property
    def index_path(self) -> Path:
        """The DuckDB index file, ``<root>/index.duckdb`` (it may not exist)."""
        return self.root / index.INDEX_FILE

    # ------------------------------------------------------------------- run ids
    def run_ids(self) -> list[str]:
        """Ids of the stored runs, sorted (ids start with their UTC time, so oldest first).

        Hidden entries (the staging area) and directories without ``metadata.json``
        are not runs.
        """
        if not self.root.is_dir():
            return []
        with os.scandir(self.root) as entries:
            ids = [
                e.name
                for e in entries
                if not e.name.startswith(".")
                and e.is_dir()
                and os.path.isfile(os.path.join(e.path, METADATA_FILE))
            ]
        return sorted(ids)

    def resolve(self, run_id: str) -> str:
        """The full id of the run that ``run_id`` names exactly or as a unique prefix.

        Raises
        ------
        RunNotFoundError
            No run, or several runs, match; the message names the root and suggests
            the nearest ids.
        """
        ids = self.run_ids()
        if run_id in ids:
            return run_id
        matches = [i for i in ids if i.startswith(run_id)] if run_id else []
        if len(matches) == 1:
            return matches[0]
        if matches:
            shown = ", ".join(repr(m) for m in matches[:5]) + (", ..." if len(matches) > 5 else "")
            raise RunNotFoundError(
                f"run id prefix {run_id!r} is ambiguous in the results store {self.root}: "
                f"it matches {len(matches)} runs ({shown}); give more characters"
            )
        raise self._not_found(run_id, ids)

    def _not_found(self, run_id: str, ids: list[str]) -> RunNotFoundError:
        if not ids:
            return RunNotFoundError(
                f"no run {run_id!r}: the results store {self.root} is empty; "
                "write a run first (or pass the right store directory)"
            )
        close = difflib.get_close_matches(run_id, ids, n=3, cutoff=0.6)
        hint = (
            f"did you mean {' or '.join(repr(c) for c in close)}?"
            if close
            else f"it holds {_plural(len(ids), 'run')}, the newest {self.latest()!r}; see list_runs()"
        )
        return RunNotFoundError(f"no run {run_id!r} in the results store {self.root}; {hint}")

    def run_dir(self, run_id: str) -> Path:
        """The directory of a stored run (``run_id`` may be a unique prefix).

        Raises
        ------
        RunNotFoundError
            No single run matches.
        """
        return self.root / self.resolve(run_id)

    def latest(self) -> str:
        """The id of the most recently stored run.

        Raises
        ------
        RunNotFoundError
            The store is empty.
        """
        ids = self.run_ids()
        if not ids:
            raise RunNotFoundError(
                f"the results store {self.root} is empty; write a run first "
                "(or pass the right store directory)"
            )
        return max(ids, key=lambda i: (self._stored_time(i) or datetime.min, i))

    def _stored_time(self, run_id: str) -> datetime | None:
        try:
            meta = json.loads((self.root / run_id / METADATA_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        return index.stored_time(meta if isinstance(meta, dict) else {}, run_id)

    # ------------------------------------------------------------------- writing
    def write(self, results: Results, extra_files: Mapping[str, str | bytes] | None = None) -> str:
        """Store one run atomically and return its new id.

        Parameters
        ----------
        results
            The run to store; ``results.timeseries`` needs a tz-aware UTC ``time_utc``
            column.
        extra_files
            More files for the run directory, name → text (written as UTF-8) or bytes,
            e.g. ``{"report.html": html}``.

        Returns
        -------
        str
            The run id, ``<UTC yyyymmddTHHMMSS>-<scenario>-<phase>-<6 hex>``.

        Raises
        ------
        StoreError
            The run cannot be encoded (bad ``time_utc``, non-JSON metadata, a bad
            extra file name) or the root is not a directory; nothing was written.
        OSError
            Writing failed; the store is left exactly as it was.
        """
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"results store root {self.root} exists but is not a directory")
        now = _utcnow()
        run_id = self._new_run_id(results, now)
        files = _encode_run(results, run_id, now, extra_files or {})
        self._commit(run_id, files)
        self._sweep_staging()
        self._update_index(run_id)
        return run_id

    def _new_run_id(self, results: Results, now: datetime) -> str:
        stem = f"{now:%Y%m%dT%H%M%S}-{_slug(results.scenario.name)}-{_slug(results.scenario.phase)}"
        for _ in range(100):
            run_id = f"{stem}-{secrets.token_hex(3)}"
            if not (self.root / run_id).exists() and not (self.root / STAGING_DIR / run_id).exists():
                return run_id
        raise StoreError(f"could not find a free run id for {stem!r} in {self.root}")

    def _commit(self, run_id: str, files: Mapping[str, bytes]) -> None:
        """Write ``files`` into a staging directory and rename it to ``<root>/<run_id>``."""
        staging = self.root / STAGING_DIR / run_id
        created: list[Path] = []
        made_staging = False
        try:
            self._make_dirs(created)
            os.mkdir(staging)
            made_staging = True
            for name, data in files.items():
                _write_durable(staging / name, data)
            _fsync_dir(staging)
            os.rename(staging, self.root / run_id)
        except BaseException:
            if made_staging:
                shutil.rmtree(staging, ignore_errors=True)
            for path in reversed(created):
                with suppress(OSError):
                    os.rmdir(path)
            raise
        _fsync_dir(self.root)

    def _make_dirs(self, created: list[Path]) -> None:
        """Create the root, its missing parents and the staging area; record what was new."""
        missing = []
        path = self.root
        while not path.exists():
            missing.append(path)
            path = path.parent
        for path in [*reversed(missing), self.root / STAGING_DIR]:
            try:
                os.mkdir(path)
            except FileExistsError:
                continue
            created.append(path)

    def _sweep_staging(self) -> None:
        """Remove staging directories older than ``stale_after_s`` (killed writes)."""
        cutoff = time.time() - self.stale_after_s
        try:
            entries = list(os.scandir(self.root / STAGING_DIR))
        except OSError:
            return
        for entry in entries:
            with suppress(OSError):
                if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                    continue
                _log.info("sweeping stale staging entry %s", entry.path)
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)

    def _update_index(self, run_id: str) -> None:
        """Add a freshly stored run to the index; on failure leave it to be rebuilt."""
        try:
            record = index.read_record(self.root / run_id)
            try:
                index.append_record(self.index_path, self.root, record)
            except duckdb.Error:
                self.rebuild_index()  # missing, corrupt or from another schema
        except Exception as exc:  # the run is stored: an index failure must not undo it
            _log.warning(
                "run %s is stored but the index could not be updated (%s); "
                "it will be rebuilt by the next list_runs()",
                run_id,
                exc,
            )

    def add_file(self, run_id: str, name: str, content: str | bytes) -> Path:
        """Add or replace one file in a stored run, atomically (temp file + ``os.replace``).

        Parameters
        ----------
        run_id
            Id or unique prefix of the run.
        name
            Plain file name, e.g. ``"report.html"``; not one of the store's own files.
        content
            Text (written as UTF-8) or bytes.

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        RunNotFoundError
            No single run matches ``run_id``.
        StoreError
            ``name`` is not a plain file name or names one of the store's own files.
        """
        directory = self.run_dir(run_id)
        _check_file_name(name)
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        _sweep_temp_files(directory, time.time() - self.stale_after_s)
        tmp = directory / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            _write_durable(tmp, data)
            os.replace(tmp, directory / name)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(directory)
        return directory / name

    # ------------------------------------------------------------------- reading
    def load(self, run_id: str) -> Results:
        """Read a stored run back.

        Parameters
        ----------
        run_id
            Id or unique prefix of the run.

        Returns
        -------
        Results
            With ``run_id`` set; the time series is identical to the one written
            (columns, order, dtypes, time zone, index).

        Raises
        ------
        RunNotFoundError
            No single run matches ``run_id``.
        StoreError
            A file of the run is missing or unreadable, or its scenario no longer
            validates.
        """
        directory = self.run_dir(run_id)
        path = directory / SCENARIO_FILE
        text = _read_text(path)
        try:
            scenario = scenario_from_dict(tomllib.loads(text))
        except (ValueError, DctwinError) as exc:  # TOMLDecodeError, ScenarioError, CatalogError
            raise StoreError(
                f"{path}: the stored scenario cannot be read by this dctwin version: {exc}"
            ) from exc
        tables = {
            path.name.removeprefix(TABLE_PREFIX).removesuffix(".parquet"): _read_parquet(path)
            for path in sorted(directory.glob(f"{TABLE_PREFIX}*.parquet"))
        }
        return Results(
            scenario=scenario,
            timeseries=_read_parquet(directory / TIMESERIES_FILE),
            summary=_read_json(directory / SUMMARY_FILE),
            metadata=_read_json(directory / METADATA_FILE),
            run_id=directory.name,
            tables=tables,
        )

    # --------------------------------------------------------------------- index
    def rebuild_index(self) -> int:
        """Recreate ``index.duckdb`` from the run directories alone.

        The new index is built in a temporary file and moved into place atomically.
        An absent root is left absent.

        Returns
        -------
        int
            Number of runs indexed.
        """
        if not self.root.is_dir():
            return 0
        ids = self.run_ids()
        index.write_index_file(self.index_path, self.root, self._records(ids))
        return len(ids)

    def _records(self, ids: list[str]) -> list[index.RunRecord]:
        return [index.read_record(self.root / run_id) for run_id in ids]

    @contextmanager
    def _index(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to a current index, rebuilt first if it is stale.

        Falls back to an in-memory index when the store is empty (nothing is created)
        or when the index file cannot be written.
        """
        ids = self.run_ids()
        con = index.open_fresh(self.index_path, self.root, ids) if ids else None
        if con is None and ids:
            try:
                self.rebuild_index()
                con = index.open_fresh(self.index_path, self.root, ids)
            except Exception as exc:
                _log.warning("cannot rebuild %s (%s); using an in-memory index", self.index_path, exc)
        if con is None:
            con = duckdb.connect(":memory:")
            try:
                index.build_index(con, self.root, self._records(ids))
            except BaseException:
                con.close()
                raise
        try:
            yield con
        finally:
            con.close()

    def list_runs(self) -> pd.DataFrame:
        """The ``runs`` table of the index, newest first.

        A missing, corrupt or stale index (its runs differ from the run directories)
        is rebuilt first. Columns are described in :mod:`dctwin.results.index`: the
        fixed ones, then the metric columns in alphabetical order; ``created_utc`` and
        ``stored_utc`` are tz-aware UTC.

        Returns
        -------
        pandas.DataFrame
            One row per run; empty (with the fixed columns) for an empty store.
        """
        with self._index() as con:
            frame = con.execute(
                "SELECT * FROM runs ORDER BY stored_utc DESC NULLS LAST, run_id DESC"
            ).fetchdf()
        for column in ("created_utc", "stored_utc"):
            frame[column] = pd.to_datetime(frame[column]).dt.tz_localize("UTC")
        metrics = sorted(c for c in frame.columns if c not in index.FIXED_COLUMNS)
        return frame[[*index.FIXED_COLUMNS, *metrics]]

    def query(self, sql: str) -> pd.DataFrame:
        """Run read-only SQL against the index (tables ``runs``, ``metrics``, view ``timeseries``).

        Parameters
        ----------
        sql
            DuckDB SQL, e.g. ``"SELECT run_id, avg(pue) FROM timeseries GROUP BY 1"``.

        Returns
        -------
        pandas.DataFrame
            The result (empty for statements without one).

        Raises
        ------
        StoreError
            The SQL is invalid or tries to modify the index; DuckDB's message on one line.
        """
        with self._index() as con:
            try:
                relation = con.sql(sql)
                return pd.DataFrame() if relation is None else relation.df()
            except duckdb.Error as exc:
                raise StoreError(f"query failed: {_one_line(str(exc))}") from exc


# ----------------------------------------------------------------------- encoding
def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "run"


def _one_line(message: str) -> str:
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


def _check_file_name(name: str) -> None:
    if (
        not name
        or name.startswith(".")
        or any(sep in name for sep in ("/", "\\", "\0"))
        or os.path.basename(name) != name
    ):
        raise StoreError(f"file name {name!r} must be a plain, non-hidden name such as 'report.html'")
    if name in CORE_FILES:
        raise StoreError(f"{name!r} is written by the store itself; choose another file name")


def _encode_run(
    results: Results, run_id: str, now: datetime, extra_files: Mapping[str, str | bytes]
) -> dict[str, bytes]:
    """Every file of a run directory, encoded in memory (nothing touches the disk)."""
    metadata = {
        **results.metadata,
        "run_id": run_id,
        "stored_utc": now.isoformat(timespec="microseconds"),
    }
    try:
        scenario_text = scenario_to_toml(results.scenario)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"the scenario cannot be written as TOML: {exc}") from exc
    files = {
        SCENARIO_FILE: scenario_text.encode("utf-8"),
        METADATA_FILE: _json_bytes(metadata, "metadata"),
        SUMMARY_FILE: _json_bytes(results.summary, "summary"),
        TIMESERIES_FILE: _parquet_bytes(results.timeseries),
    }
    for name, table in results.tables.items():
        files[f"{TABLE_PREFIX}{_slug(name)}.parquet"] = _table_bytes(table, name)
    for name, content in extra_files.items():
        _check_file_name(name)
        files[name] = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    return files


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} {value!r} is not JSON-serialisable")


def _json_bytes(data: Mapping[str, Any], what: str) -> bytes:
    try:
        text = json.dumps(data, indent=2, ensure_ascii=False, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{what} cannot be written as JSON: {exc}; use plain values") from exc
    return (text + "\n").encode("utf-8")


def _check_timeseries(frame: Any) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise StoreError(f"timeseries must be a pandas DataFrame, got {type(frame).__name__}")
    duplicated = frame.columns[frame.columns.duplicated()]
    if len(duplicated):
        raise StoreError(f"timeseries has duplicate columns {list(duplicated)}; rename them")
    if "time_utc" not in frame.columns:
        raise StoreError("timeseries has no 'time_utc' column; add the UTC start of each step")
    dtype = frame["time_utc"].dtype
    if not isinstance(dtype, pd.DatetimeTZDtype) or str(dtype.tz) not in _UTC_NAMES:
        raise StoreError(
            f"timeseries column 'time_utc' must be tz-aware UTC, got {dtype}; "
            "fix with .dt.tz_convert('UTC') (or .dt.tz_localize('UTC') for naive UTC times)"
        )


def _table_bytes(frame: pd.DataFrame, name: str) -> bytes:
    if not isinstance(frame, pd.DataFrame):
        raise StoreError(f"table {name!r} must be a pandas DataFrame, got {type(frame).__name__}")
    return _arrow_bytes(frame, f"table {name!r}", preserve_index=False)


def _arrow_bytes(frame: pd.DataFrame, what: str, preserve_index: bool | None) -> bytes:
    """A frame as zstd Parquet in memory (nothing touches the disk)."""
    try:
        table = pa.Table.from_pandas(frame, preserve_index=preserve_index)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise StoreError(f"{what} cannot be written as Parquet: {exc}") from exc
    return bytes(sink.getvalue().to_pybytes())


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    _check_timeseries(frame)
    return _arrow_bytes(frame, "the time series", preserve_index=None)


# ----------------------------------------------------------------------- file I/O
def _write_durable(path: Path, data: bytes) -> None:
    """Create ``path`` (it must not exist), write ``data`` and fsync it."""
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    """Make a directory's entries durable (a no-op where directories cannot be opened)."""
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sweep_temp_files(directory: Path, cutoff: float) -> None:
    """Remove ``.*.tmp`` files of killed add_file() calls older than ``cutoff`` [s since epoch]."""
    for path in directory.glob(".*.tmp"):
        with suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise StoreError(f"{path} is missing; the run is damaged")
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}; the run is damaged") from exc


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(_read_text(path))
    except ValueError as exc:
        raise StoreError(f"{path} is not valid JSON: {exc}; the run is damaged") from exc
    if not isinstance(data, dict):
        raise StoreError(f"{path} must hold a JSON object, got {type(data).__name__}")
    return data


def _read_parquet(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise StoreError(f"{path} is missing; the run is damaged")
    try:
        table = pq.read_table(str(path))
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"cannot read {path}: {exc}; the run is damaged") from exc
    frame: pd.DataFrame = table.to_pandas()
    return _restore_time_units(frame, table.schema.pandas_metadata or {})


def _restore_time_units(frame: pd.DataFrame, pandas_meta: Mapping[str, Any]) -> pd.DataFrame:
    """Give datetime columns back the unit they were written with.

    Parquet has no second resolution: ``datetime64[s]`` is stored as milliseconds. The
    pandas metadata pyarrow writes keeps the original unit, and the values are whole
    seconds, so converting back is exact.
    """
    for entry in pandas_meta.get("columns", []):
        numpy_type, name = entry.get("numpy_type"), entry.get("field_name")
        unit = next((u for u in _TIME_UNITS if numpy_type == f"datetime64[{u}]"), None)
        if unit is None or name not in frame.columns:
            continue
        column = frame[name]
        if isinstance(column, pd.Series) and column.dt.unit != unit:
            frame[name] = column.dt.as_unit(unit)
    return frame
