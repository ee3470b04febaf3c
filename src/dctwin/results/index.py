"""The DuckDB index over a results store: derived from the run directories, rebuildable.

The run directories are the truth; ``<root>/index.duckdb`` is a cache that makes runs
queryable with SQL. It can be deleted at any time: :meth:`RunStore.list_runs` and
:meth:`RunStore.query` notice a missing, corrupt or stale index and rebuild it from the
run directories alone (see :func:`read_record`).

Schema
------
Table ``runs``, one row per run:

=================  =========  =========================================================
column             type       source
=================  =========  =========================================================
``run_id``         VARCHAR    the run directory's name
``scenario``       VARCHAR    ``name`` in ``scenario.toml``
``phase``          VARCHAR    ``phase`` in ``scenario.toml``
``step``           VARCHAR    ``time.step`` in ``scenario.toml`` (``"1h"``, ``"15min"``)
``seed``           BIGINT     metadata ``seed``, else ``seed`` in ``scenario.toml``
``duration_days``  DOUBLE     ``time.duration_days`` in ``scenario.toml`` [d]
``created_utc``    TIMESTAMP  metadata ``created_utc`` (ISO 8601), else ``stored_utc`` [UTC]
``stored_utc``     TIMESTAMP  metadata ``stored_utc``, set by the store on write [UTC]
``dctwin_version`` VARCHAR    metadata ``dctwin_version``
``git_hash``       VARCHAR    metadata ``git_hash``
``wall_time_s``    DOUBLE     metadata ``timings_s.total`` (else the sum of ``timings_s``,
                              else ``wall_time_s``) [s]
``sites``          VARCHAR    comma-separated site slugs: the keys of ``summary["sites"]``,
                              else ``sites[].name`` in ``scenario.toml``
*metric columns*   DOUBLE     every numeric top-level key of ``summary["campus"]`` under
                              its own (unit-suffixed) name, e.g. ``hourly_cfe_score_frac``;
                              runs without that key hold NULL. A key that clashes with a
                              column above is stored as ``campus_<key>``. The numeric keys
                              of ``summary["economics"]`` and ``summary["build_out"]`` come
                              prefixed: ``economics_npv_usd``, ``build_out_irr_frac``.
=================  =========  =========================================================

Table ``metrics`` (long format, every numeric leaf of the summary): ``run_id``,
``scope`` (``'campus'``, ``'site'``, ``'fleet'``, ``'workload'``, ``'economics'`` or
``'build_out'``), ``site`` (slug, NULL unless scope is
``'site'``), ``metric`` (key; nested keys joined with ``.``), ``value`` DOUBLE.

View ``timeseries``: every run's ``timeseries.parquet`` (columns united by name), with a
``run_id`` column first, derived from the file's directory::

    SELECT run_id, avg(pue) FROM timeseries GROUP BY run_id

Table ``index_info``: ``schema_version``, ``root`` and ``built_utc``; an index whose
version or root differs from the store's is rebuilt.

Limitation: the view reads ``<root>/*/timeseries.parquet`` through DuckDB's glob, so a
root path containing ``*``, ``?`` or ``[`` is not supported by the view.
"""

from __future__ import annotations

import json
import logging
import math
import os
import secrets
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

__all__ = [
    "FIXED_COLUMNS",
    "INDEX_FILE",
    "SCHEMA_VERSION",
    "RunRecord",
    "append_record",
    "build_index",
    "open_fresh",
    "read_record",
    "stored_time",
    "write_index_file",
]

_log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: economics and build-out columns, workload/economics metric scopes
INDEX_FILE = "index.duckdb"

FIXED_COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR",
    "scenario": "VARCHAR",
    "phase": "VARCHAR",
    "step": "VARCHAR",
    "seed": "BIGINT",
    "duration_days": "DOUBLE",
    "created_utc": "TIMESTAMP",
    "stored_utc": "TIMESTAMP",
    "dctwin_version": "VARCHAR",
    "git_hash": "VARCHAR",
    "wall_time_s": "DOUBLE",
    "sites": "VARCHAR",
}

_INT64 = 2**63


@dataclass
class RunRecord:
    """What the index holds about one run, read from its directory.

    Attributes
    ----------
    run_id
        The run directory's name.
    fields
        Values of :data:`FIXED_COLUMNS` (``None`` where unknown).
    campus
        Numeric top-level ``summary["campus"]`` entries, by column name.
    metrics
        ``(scope, site, metric, value)`` rows of the ``metrics`` table.
    """

    run_id: str
    fields: dict[str, Any]
    campus: dict[str, float] = field(default_factory=dict)
    metrics: list[tuple[str, str | None, str, float]] = field(default_factory=list)


# --------------------------------------------------------------------- reading runs
def read_record(run_dir: Path) -> RunRecord:
    """Read the indexed facts of one run from its directory.

    Unreadable or missing files leave their columns NULL (and are logged), so one
    damaged run never prevents indexing the others.

    Parameters
    ----------
    run_dir
        ``<root>/<run_id>``.

    Returns
    -------
    RunRecord
    """
    meta = _read_json(run_dir / "metadata.json")
    summary = _read_json(run_dir / "summary.json")
    scenario = _read_toml(run_dir / "scenario.toml")
    time_cfg = _table(scenario, "time")
    stored = stored_time(meta, run_dir.name)
    fields: dict[str, Any] = {
        "run_id": run_dir.name,
        "scenario": _str_or_none(scenario.get("name")),
        "phase": _str_or_none(scenario.get("phase")),
        "step": _str_or_none(time_cfg.get("step")),
        "seed": _int_or_none(meta.get("seed", scenario.get("seed"))),
        "duration_days": _float_or_none(time_cfg.get("duration_days")),
        "created_utc": _parse_utc(meta.get("created_utc")) or stored,
        "stored_utc": stored,
        "dctwin_version": _str_or_none(meta.get("dctwin_version")),
        "git_hash": _str_or_none(meta.get("git_hash")),
        "wall_time_s": _wall_time_s(meta),
        "sites": _sites(summary, scenario),
    }
    campus = _table(summary, "campus")
    columns: dict[str, float] = {}
    for key, value in campus.items():
        name = _metric_column(str(key))
        if _is_number(value) and name.lower() not in {c.lower() for c in columns}:
            columns[name] = float(value)
    for scope in _PREFIXED_SCOPES:
        for key, value in _table(summary, scope).items():
            if _is_number(value):
                columns[f"{scope}_{key}"] = float(value)
    return RunRecord(run_dir.name, fields, columns, list(_metric_rows(summary)))


#: Summary blocks whose numeric keys are ``runs`` columns as ``<scope>_<key>``.
_PREFIXED_SCOPES = ("economics", "build_out")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _log.warning("index: cannot read %s (%s); its columns stay NULL", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _log.warning("index: cannot read %s (%s); its columns stay NULL", path, exc)
        return {}


def _table(mapping: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = mapping.get(key)
    return value if isinstance(value, dict) else {}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _float_or_none(value: Any) -> float | None:
    return float(value) if _is_number(value) else None


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64:
        return value
    return None


def _parse_utc(value: Any) -> datetime | None:
    """An ISO 8601 string as a naive UTC datetime (naive input is taken as UTC)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def stored_time(metadata: Mapping[str, Any], run_id: str) -> datetime | None:
    """When a run was stored: metadata ``stored_utc``, else the time its id starts with.

    Returns
    -------
    datetime or None
        Naive UTC; ``None`` if neither is readable.
    """
    return _parse_utc(metadata.get("stored_utc")) or _time_from_id(run_id)


def _time_from_id(run_id: str) -> datetime | None:
    try:
        return datetime.strptime(run_id[:15], "%Y%m%dT%H%M%S")
    except ValueError:
        return None


def _wall_time_s(meta: Mapping[str, Any]) -> float | None:
    timings = meta.get("timings_s")
    if isinstance(timings, dict):
        if _is_number(timings.get("total")):
            return float(timings["total"])
        numbers = [float(v) for v in timings.values() if _is_number(v)]
        if numbers:
            return math.fsum(numbers)
    return _float_or_none(meta.get("wall_time_s"))


def _sites(summary: Mapping[str, Any], scenario: Mapping[str, Any]) -> str | None:
    sites = summary.get("sites")
    if isinstance(sites, dict) and sites:
        return ",".join(str(slug) for slug in sites)
    listed = scenario.get("sites")
    if isinstance(listed, list):
        names = [str(s["name"]) for s in listed if isinstance(s, dict) and "name" in s]
        return ",".join(names) or None
    return None


def _metric_column(key: str) -> str:
    return f"campus_{key}" if key.lower() in FIXED_COLUMNS else key


def _numeric_leaves(mapping: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, float]]:
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _numeric_leaves(value, f"{name}.")
        elif _is_number(value):
            yield name, float(value)


def _metric_rows(summary: Mapping[str, Any]) -> Iterator[tuple[str, str | None, str, float]]:
    campus, sites, fleet = (summary.get(k) for k in ("campus", "sites", "fleet"))
    if isinstance(campus, Mapping):
        for metric, value in _numeric_leaves(campus):
            yield "campus", None, metric, value
    if isinstance(sites, Mapping):
        for slug, values in sites.items():
            if isinstance(values, Mapping):
                for metric, value in _numeric_leaves(values):
                    yield "site", str(slug), metric, value
    if isinstance(fleet, Mapping):
        for metric, value in _numeric_leaves(fleet):
            yield "fleet", None, metric, value
    for scope in ("workload", *_PREFIXED_SCOPES):
        block = summary.get(scope)
        if isinstance(block, Mapping):
            for metric, value in _numeric_leaves(block):
                yield scope, None, metric, value


# ------------------------------------------------------------------- writing the index
def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _timeseries_view_sql(root: Path) -> str:
    pattern = _literal(f"{root.as_posix()}/*/timeseries.parquet")
    return (
        "CREATE OR REPLACE VIEW timeseries AS SELECT "
        r"regexp_extract(filename, '([^/\\]+)[/\\]timeseries\.parquet$', 1) AS run_id, "
        f"* EXCLUDE (filename) FROM read_parquet({pattern}, filename = true, "
        "union_by_name = true)"
    )


def _has_timeseries(root: Path, records: Sequence[RunRecord]) -> bool:
    return any((root / r.run_id / "timeseries.parquet").is_file() for r in records)


def _insert(con: duckdb.DuckDBPyConnection, records: Sequence[RunRecord]) -> None:
    for record in records:
        row = {**record.fields, **record.campus}
        names = ", ".join(_quote(name) for name in row)
        marks = ", ".join("?" for _ in row)
        con.execute(f"INSERT INTO runs ({names}) VALUES ({marks})", list(row.values()))
        if record.metrics:
            con.executemany(
                "INSERT INTO metrics VALUES (?, ?, ?, ?, ?)",
                [[record.run_id, *metric] for metric in record.metrics],
            )


def build_index(con: duckdb.DuckDBPyConnection, root: Path, records: Sequence[RunRecord]) -> None:
    """Create the index schema in an empty database and fill it.

    Parameters
    ----------
    con
        Connection to an empty DuckDB database (a file or ``:memory:``).
    root
        Absolute store root, embedded in the ``timeseries`` view.
    records
        One :class:`RunRecord` per run.
    """
    by_lower: dict[str, str] = {}  # DuckDB identifiers are case-insensitive
    for record in records:
        for column in record.campus:
            by_lower.setdefault(column.lower(), column)
    metric_columns = sorted(by_lower.values())
    columns = [f"{_quote(n)} {t}" for n, t in FIXED_COLUMNS.items()]
    columns += [f"{_quote(n)} DOUBLE" for n in metric_columns]
    con.execute("BEGIN TRANSACTION")
    con.execute("CREATE TABLE index_info (schema_version INTEGER, root VARCHAR, built_utc TIMESTAMP)")
    con.execute(
        "INSERT INTO index_info VALUES (?, ?, ?)",
        [SCHEMA_VERSION, str(root), datetime.now(UTC).replace(tzinfo=None)],
    )
    con.execute(f"CREATE TABLE runs ({', '.join(columns)})")
    con.execute(
        "CREATE TABLE metrics (run_id VARCHAR, scope VARCHAR, site VARCHAR, metric VARCHAR, value DOUBLE)"
    )
    _insert(con, records)
    if _has_timeseries(root, records):
        con.execute(_timeseries_view_sql(root))
    con.execute("COMMIT")


def write_index_file(path: Path, root: Path, records: Sequence[RunRecord]) -> None:
    """Build a new index into a temporary file and move it onto ``path`` atomically.

    Readers see either the old or the new index, never a half-built one; a stale
    write-ahead log (``path.wal``) of the old index is removed first so that DuckDB
    cannot replay it onto the new file.
    """
    tmp = path.with_name(f".{path.stem}-{secrets.token_hex(4)}{path.suffix}")
    try:
        con = duckdb.connect(str(tmp))
        try:
            build_index(con, root, records)
        finally:
            con.close()
        Path(f"{path}.wal").unlink(missing_ok=True)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)


def _is_compatible(con: duckdb.DuckDBPyConnection, root: Path) -> bool:
    try:
        rows = con.execute("SELECT schema_version, root FROM index_info").fetchall()
    except duckdb.Error:
        return False
    return rows == [(SCHEMA_VERSION, str(root))]


def append_record(path: Path, root: Path, record: RunRecord) -> None:
    """Add (or replace) one run in an existing index file, in one transaction.

    Metric columns the index does not have yet are added; the ``timeseries`` view is
    recreated so that new time-series columns become visible.

    Raises
    ------
    duckdb.Error
        The index is missing, locked, corrupt or incompatible; the caller leaves it to
        be rebuilt.
    """
    con = duckdb.connect(str(path))
    try:
        if not _is_compatible(con, root):
            raise duckdb.InvalidInputException(f"index {path} is from another schema or root")
        existing = {row[0].lower() for row in con.execute("DESCRIBE runs").fetchall()}
        con.execute("BEGIN TRANSACTION")
        for column in record.campus:
            if column.lower() not in existing:
                con.execute(f"ALTER TABLE runs ADD COLUMN {_quote(column)} DOUBLE")
        con.execute("DELETE FROM runs WHERE run_id = ?", [record.run_id])
        con.execute("DELETE FROM metrics WHERE run_id = ?", [record.run_id])
        _insert(con, [record])
        if (root / record.run_id / "timeseries.parquet").is_file():
            con.execute(_timeseries_view_sql(root))
        con.execute("COMMIT")
    finally:
        con.close()


def open_fresh(path: Path, root: Path, run_ids: Sequence[str]) -> duckdb.DuckDBPyConnection | None:
    """Open the index read-only if it is current, else return ``None``.

    Current means: the file opens, has this module's schema version and this root, and
    its ``runs`` table holds exactly ``run_ids``.
    """
    if not path.is_file():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        _log.info("index %s cannot be opened (%s); rebuilding", path, exc)
        return None
    try:
        indexed = {row[0] for row in con.execute("SELECT run_id FROM runs").fetchall()}
        if _is_compatible(con, root) and indexed == set(run_ids):
            return con
    except duckdb.Error as exc:
        _log.info("index %s is unreadable (%s); rebuilding", path, exc)
    con.close()
    return None
