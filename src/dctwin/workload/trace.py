"""Replay a job trace from CSV instead of generating one, and save a generated workload as one.

The format (``docs/workload-trace-csv.md``) has one row per job, names instead of codes::

    # dctwin job trace
    job_id,tenant,submit_s,gpus,duration_s,kind,qos,end_state,deadline_s,residency,checkpoint_interval_s
    0,lab,12.5,1024,259200.0,pretrain,standard,cancelled,,public,1800.0
    1,ent,40.0,8,7200.0,batch_inference,preemptible,completed,86440.0,public,1800.0

Only ``tenant``, ``gpus``, ``duration_s`` and one of ``submit_s`` / ``submit_time`` (ISO
8601) are required; the other columns have documented defaults, and extra columns are
ignored. Every problem is reported as one line naming the file, the line, the column, the
value and the fix.
"""

from __future__ import annotations

import contextlib
import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dctwin.errors import ScenarioError
from dctwin.scenario.tenants import Tenant
from dctwin.workload.jobs import END_STATES, KINDS, QOS_CLASSES, JobTable

__all__ = ["COLUMNS", "read_job_trace", "write_job_trace"]

COLUMNS = (
    "job_id",
    "tenant",
    "submit_s",
    "gpus",
    "duration_s",
    "kind",
    "qos",
    "end_state",
    "deadline_s",
    "residency",
    "checkpoint_interval_s",
)
"""Columns :func:`write_job_trace` writes, in order (``submit_time`` and ``deadline_time``
may replace ``submit_s`` and ``deadline_s`` in a file that is read)."""

_DEFAULTS = {"kind": "finetune", "qos": "standard", "end_state": "completed"}
_HEADER = "# dctwin job trace (docs/workload-trace-csv.md); times in s since the run start\n"


@dataclass(frozen=True)
class _Csv:
    """A trace file read as text: the frame, each row's line number, the file's name."""

    frame: pd.DataFrame
    lines: np.ndarray
    name: str

    def has(self, column: str) -> bool:
        return column in self.frame.columns

    def text(self, column: str) -> np.ndarray:
        return np.asarray(self.frame[column].str.strip(), dtype=object)

    def take(self, mask: np.ndarray) -> _Csv:
        return _Csv(self.frame[mask].reset_index(drop=True), self.lines[mask], self.name)

    def fail(self, row: int, column: str, message: str) -> ScenarioError:
        return ScenarioError(message, f"{self.name} line {int(self.lines[row])}, column {column!r}")


def _read(path: Path) -> _Csv:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read the trace: {exc.strerror}; check the path", str(path)) from None
    lines = raw.splitlines()
    skip = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    if skip >= len(lines) or not lines[skip].strip():
        raise ScenarioError(
            "no header line; the first line that is not a '#' comment names the columns", path.name
        )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False, skiprows=skip)
    frame.columns = [str(c).strip() for c in frame.columns]
    numbers = np.arange(len(frame)) + skip + 2
    keep = ~(frame == "").all(axis=1).to_numpy() if len(frame.columns) else np.zeros(0, bool)
    return _Csv(frame[keep].reset_index(drop=True), numbers[keep], path.name)


def _require(csv: _Csv, column: str) -> None:
    if not csv.has(column):
        have = ", ".join(csv.frame.columns)
        raise ScenarioError(
            f"required column {column!r} is missing (columns are: {have}); "
            "add it, see docs/workload-trace-csv.md",
            csv.name,
        )


def _parse_floats(text: np.ndarray) -> np.ndarray:
    """Floats, correctly rounded (so a written float reads back bit for bit); NaN where unreadable."""
    try:
        return np.array(text.astype(str), dtype=float)
    except ValueError:
        out = np.full(len(text), np.nan)
        for i, value in enumerate(text):
            with contextlib.suppress(ValueError):
                out[i] = float(value)
        return out


def _numbers(csv: _Csv, column: str, *, low: float, integer: bool, empty: float | None = None) -> np.ndarray:
    """A numeric column; ``empty`` is the value of an empty cell (``None``: empty is an error)."""
    text = csv.text(column)
    blank = text == ""
    values = _parse_floats(np.where(blank, "nan", text))
    if empty is not None:
        values[blank] = empty
    may_be_nan = blank if empty is not None and np.isnan(empty) else np.zeros(len(text), dtype=bool)
    bad = ~np.isfinite(values) & ~may_be_nan
    if integer:
        bad |= np.isfinite(values) & (values != np.round(values))
    bad |= values < low
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        kind = "an integer" if integer else "a number"
        raise csv.fail(row, column, f"must be {kind} ≥ {low:g}, got {text[row]!r}; fix the value")
    return values


def _codes(csv: _Csv, column: str, names: Sequence[str], default: str | None, what: str) -> np.ndarray:
    """A name column as indices into ``names``; empty cells take ``default``."""
    text = csv.text(column) if csv.has(column) else np.full(len(csv.frame), "", dtype=object)
    if default is not None:
        text = np.where(text == "", default, text)
    index = {name: i for i, name in enumerate(names)}
    codes = np.array([index.get(v, -1) for v in text], dtype=np.int64)
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        hint = difflib.get_close_matches(str(text[row]), list(names), n=1)
        fix = f"did you mean {hint[0]!r}?" if hint else f"use one of {list(names)}"
        raise csv.fail(row, column, f"{text[row]!r} is not a known {what}; {fix}")
    return codes


def _times(csv: _Csv, seconds: str, stamp: str, start: pd.Timestamp | None, required: bool) -> np.ndarray:
    """Seconds since the run start from ``seconds`` or ``stamp`` (ISO 8601); NaN where empty."""
    if csv.has(seconds) and csv.has(stamp):
        raise ScenarioError(f"give either {seconds!r} or {stamp!r}, not both; drop one column", csv.name)
    if csv.has(seconds):
        return _numbers(csv, seconds, low=0.0, integer=False, empty=None if required else np.nan)
    if not csv.has(stamp):
        if required:
            _require(csv, seconds)
        return np.full(len(csv.frame), np.nan)
    if start is None:
        raise ScenarioError(
            f"column {stamp!r} holds timestamps; pass start_utc (the run's time.start_date) to place them",
            csv.name,
        )
    text = csv.text(stamp)
    parsed = pd.to_datetime(pd.Series(text), utc=True, format="ISO8601", errors="coerce")
    values = ((parsed - start).dt.total_seconds()).to_numpy(dtype=float)
    bad = parsed.isna().to_numpy() & ((text != "") | required)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise csv.fail(row, stamp, f"{text[row]!r} is not an ISO 8601 time; write e.g. 2026-01-01T08:30:00Z")
    if (values < 0).any():
        row = int(np.flatnonzero(values < 0)[0])
        raise csv.fail(row, stamp, f"{text[row]} is before the run start {start.isoformat()}; drop the row")
    return values


def _tenant_names(tenants: Sequence[Tenant | str]) -> tuple[str, ...]:
    return tuple(t if isinstance(t, str) else t.name for t in tenants)


def _classes(tenants: Sequence[Tenant | str], csv: _Csv, given: Sequence[str] | None) -> tuple[str, ...]:
    if given is not None:
        return tuple(given)
    seen = [t.residency_class for t in tenants if isinstance(t, Tenant)]
    if csv.has("residency"):
        seen += [v for v in csv.text("residency") if v]
    return tuple(dict.fromkeys(seen)) or ("public",)


def _residency(
    csv: _Csv, tenants: Sequence[Tenant | str], tenant: np.ndarray, classes: tuple[str, ...]
) -> np.ndarray:
    """Residency codes: the column where given, else the tenant's class."""
    defaults = []
    for t in tenants:
        if isinstance(t, Tenant):
            defaults.append(classes.index(t.residency_class) if t.residency_class in classes else -1)
        else:
            defaults.append(0 if len(classes) == 1 else -1)
    text = csv.text("residency") if csv.has("residency") else np.full(len(csv.frame), "", dtype=object)
    codes = np.where(text == "", np.asarray(defaults, dtype=np.int64)[tenant], 0)
    named = text != ""
    if named.any():
        codes[named] = _codes(csv.take(named), "residency", classes, None, "residency class")
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        who = csv.text("tenant")[row]
        raise csv.fail(
            row,
            "residency",
            f"empty, and tenant {who!r} has no class in {list(classes)}; "
            "fill in the residency class or pass Tenant objects",
        )
    return codes


def read_job_trace(
    path: str | os.PathLike[str],
    tenants: Sequence[Tenant | str],
    residency_classes: Sequence[str] | None = None,
    *,
    start_utc: pd.Timestamp | str | None = None,
    checkpoint_interval_s: float = 1800.0,
) -> JobTable:
    """Read a job trace CSV (``docs/workload-trace-csv.md``) into a job table.

    Parameters
    ----------
    path
        The CSV file.
    tenants
        The scenario's tenants (or their names), in scenario order; every ``tenant`` in the
        file must be one of them. A ``Tenant`` gives empty ``residency`` cells its class.
    residency_classes
        Names the table's residency indices refer to; default: the tenants' classes, then
        those named in the file, in order of appearance (``("public",)`` if none is named).
    start_utc
        The run's first step; needed only for ``submit_time`` / ``deadline_time`` columns.
    checkpoint_interval_s
        Checkpoint interval of rows that leave ``checkpoint_interval_s`` empty. [s]

    Returns
    -------
    JobTable
        The jobs, sorted by submission (stable); ``job_id`` as in the file (default: row order).

    Raises
    ------
    ScenarioError
        A missing column, or a bad value; the message names the file, line and column and says
        how to fix it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "jobs.csv"
    >>> _ = p.write_text("tenant,submit_s,gpus,duration_s\\nlab,60,8,3600\\nlab,0,1024,86400\\n")
    >>> t = read_job_trace(p, ["lab"])
    >>> t.gpus.tolist(), t.job_id.tolist(), t.residency_classes
    ([1024, 8], [1, 0], ('public',))
    """
    csv = _read(Path(path))
    for column in ("tenant", "gpus", "duration_s"):
        _require(csv, column)
    start = None if start_utc is None else _utc(start_utc)
    names = _tenant_names(tenants)
    tenant = _codes(csv, "tenant", names, None, "tenant (add it to the scenario's tenants)")
    classes = _classes(tenants, csv, residency_classes)
    submit = _times(csv, "submit_s", "submit_time", start, required=True)
    duration = _numbers(csv, "duration_s", low=0.0, integer=False)
    deadline = _times(csv, "deadline_s", "deadline_time", start, required=False)
    early = deadline < submit
    if early.any():
        row = int(np.flatnonzero(early)[0])
        raise csv.fail(
            row, "deadline_s", f"deadline {deadline[row]:g} s is before submission {submit[row]:g} s"
        )
    n = len(csv.frame)
    job_id = _numbers(csv, "job_id", low=0.0, integer=True) if csv.has("job_id") else np.arange(n)
    _unique(csv, job_id)
    checkpoint = (
        _numbers(csv, "checkpoint_interval_s", low=0.0, integer=False, empty=checkpoint_interval_s)
        if csv.has("checkpoint_interval_s")
        else np.full(n, checkpoint_interval_s)
    )
    table = JobTable(
        job_id=job_id.astype(np.int64),
        tenant=tenant,
        kind=_codes(csv, "kind", KINDS, _DEFAULTS["kind"], "job kind"),
        qos=_codes(csv, "qos", QOS_CLASSES, _DEFAULTS["qos"], "QoS class"),
        gpus=_numbers(csv, "gpus", low=1.0, integer=True),
        submit_s=submit,
        duration_s=duration,
        end_state=_codes(csv, "end_state", END_STATES, _DEFAULTS["end_state"], "end state"),
        deadline_s=deadline,
        residency=_residency(csv, tenants, tenant, classes),
        checkpoint_interval_s=checkpoint,
        tenants=names,
        residency_classes=classes,
    )
    return table.sorted_by_submit()


def _utc(value: pd.Timestamp | str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _unique(csv: _Csv, job_id: np.ndarray) -> None:
    order = np.argsort(job_id, kind="stable")
    same = np.flatnonzero(job_id[order][1:] == job_id[order][:-1])
    if same.size:
        first, second = sorted((int(order[same[0]]), int(order[same[0] + 1])))
        raise csv.fail(
            second,
            "job_id",
            f"job_id {int(job_id[second])} repeats line {int(csv.lines[first])}; ids must be unique",
        )


def write_job_trace(table: JobTable, path: str | os.PathLike[str]) -> Path:
    """Write a job table as a trace CSV that :func:`read_job_trace` reads back unchanged.

    Parameters
    ----------
    table
        The jobs.
    path
        The CSV file to write (replaced atomically).

    Returns
    -------
    pathlib.Path
        The file written.

    Notes
    -----
    Floats are written with the shortest representation that reads back to the same
    ``float64``, so a write–read round trip is exact; ``deadline_s`` is empty for none.
    """
    frame = table.to_frame()[list(COLUMNS)]
    frame["deadline_s"] = frame["deadline_s"].astype(object).where(frame["deadline_s"].notna(), "")
    out = Path(path)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        handle.write(_HEADER)
        frame.to_csv(handle, index=False, lineterminator="\n")
    os.replace(tmp, out)
    return out
