"""Trace replay: a generated workload written and read back unchanged, the documented defaults
and timestamps, and every malformed file rejected with one line naming the file, the line, the
column and the fix."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dctwin.errors import ScenarioError
from dctwin.scenario.tenants import Tenant
from dctwin.scenario.workload import JobGeneration
from dctwin.workload.generator import generate_jobs
from dctwin.workload.jobs import KINDS, JobTable
from dctwin.workload.trace import COLUMNS, read_job_trace, write_job_trace

DOC = Path(__file__).parents[2] / "docs" / "workload-trace-csv.md"
TENANTS = [
    Tenant(name="lab", job_mix="llm_lab", workload_share_frac=0.7),
    Tenant(name="ent", job_mix="enterprise", workload_share_frac=0.3, residency_class="eu_personal"),
]
CLASSES = ("public", "eu_personal")


def generated(seed: int = 3, days: float = 3.0) -> JobTable:
    jobs, _ = generate_jobs(
        JobGeneration(), TENANTS, CLASSES, 20_000, days * 86400.0, np.random.default_rng(seed)
    )
    return jobs


def assert_same(a: JobTable, b: JobTable) -> None:
    for name in a.column_names():
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert (a.tenants, a.residency_classes) == (b.tenants, b.residency_classes)


def write(tmp_path: Path, text: str, name: str = "jobs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ round trip
def test_a_generated_workload_round_trips_exactly(tmp_path: Path) -> None:
    jobs = generated()
    assert (jobs.kind == KINDS.index("batch_inference")).any() and np.isnan(jobs.deadline_s).any()
    path = write_job_trace(jobs, tmp_path / "trace.csv")
    again = read_job_trace(path, TENANTS, CLASSES)
    assert_same(jobs, again)
    header = path.read_text().splitlines()[1]
    assert header == ",".join(COLUMNS)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), days=st.floats(0.1, 2.0))
def test_round_trip_holds_for_any_generated_workload(
    tmp_path_factory: pytest.TempPathFactory, seed: int, days: float
) -> None:
    jobs = generated(seed, days)
    path = write_job_trace(jobs, tmp_path_factory.mktemp("rt") / "t.csv")
    assert_same(jobs, read_job_trace(path, TENANTS, CLASSES))


def test_the_example_in_the_docs_reads(tmp_path: Path) -> None:
    """The CSV block of docs/workload-trace-csv.md is a valid trace (docs snippets are tested)."""
    block = re.search(r"```csv\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None
    table = read_job_trace(
        write(tmp_path, block.group(1)), TENANTS, CLASSES, start_utc="2026-01-01T00:00:00Z"
    )
    assert len(table) == 4 and table.tenants == ("lab", "ent")
    assert np.all(np.diff(table.submit_s) >= 0)


# ------------------------------------------------------------------ defaults and time stamps
def test_minimal_file_takes_the_documented_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "# a comment\ntenant,submit_s,gpus,duration_s\nent,5,8,3600\nlab,0,1024,86400\n")
    t = read_job_trace(path, TENANTS, CLASSES, checkpoint_interval_s=900.0)
    assert t.job_id.tolist() == [1, 0]  # row order, then sorted by submission
    assert [KINDS[k] for k in t.kind] == ["finetune", "finetune"]
    assert t.qos.tolist() == [1, 1] and t.end_state.tolist() == [0, 0]  # standard, completed
    assert t.residency.tolist() == [0, 1]  # the tenants' classes: lab public, ent eu_personal
    assert np.isnan(t.deadline_s).all() and t.checkpoint_interval_s.tolist() == [900.0, 900.0]


def test_iso_timestamps_are_placed_relative_to_the_run_start(tmp_path: Path) -> None:
    text = (
        "tenant,submit_time,gpus,duration_s,kind,deadline_time\n"
        "lab,2026-01-01T01:00:00Z,8,60,batch_inference,2026-01-02T01:00:00Z\n"
        "lab,2026-01-01 02:00,8,60,,\n"  # no offset: UTC
        "lab,2026-01-01T04:00:00+02:00,8,60,,\n"  # 02:00 UTC
    )
    t = read_job_trace(write(tmp_path, text), ["lab"], start_utc="2026-01-01")
    assert t.submit_s.tolist() == [3600.0, 7200.0, 7200.0]
    assert t.deadline_s[0] == 25 * 3600.0 and np.isnan(t.deadline_s[1:]).all()
    assert t.residency_classes == ("public",)


def test_tenants_given_by_name_need_one_class_or_the_column(tmp_path: Path) -> None:
    text = "tenant,submit_s,gpus,duration_s,residency\nlab,0,1,1,eu_personal\nent,0,1,1,public\n"
    t = read_job_trace(write(tmp_path, text), ["lab", "ent"])
    assert t.residency_classes == ("eu_personal", "public") and t.residency.tolist() == [0, 1]
    missing = "tenant,submit_s,gpus,duration_s,residency\nlab,0,1,1,\n"
    with pytest.raises(ScenarioError, match="fill in the residency class or pass Tenant objects"):
        read_job_trace(write(tmp_path, missing), ["lab"], ["public", "eu_personal"])


# ------------------------------------------------------------------ malformed files
GOOD_HEADER = "job_id,tenant,submit_s,gpus,duration_s,kind,qos,end_state,deadline_s,residency\n"
GOOD_ROW = "0,lab,0,8,3600,finetune,standard,completed,,public\n"

MALFORMED = [
    ("missing column", "job_id,tenant,submit_s,duration_s\n0,lab,0,3600\n",
     "jobs.csv: required column 'gpus' is missing"),
    ("negative gpus", GOOD_HEADER + GOOD_ROW + "1,lab,0,-2,3600,finetune,standard,completed,,public\n",
     "jobs.csv line 3, column 'gpus': must be an integer ≥ 1, got '-2'; fix the value"),
    ("fractional gpus", GOOD_HEADER + "0,lab,0,1.5,3600,,,,,\n",
     "jobs.csv line 2, column 'gpus': must be an integer ≥ 1, got '1.5'"),
    ("unknown tenant", GOOD_HEADER + GOOD_ROW + "1,labb,0,8,3600,,,,,\n",
     "jobs.csv line 3, column 'tenant': 'labb' is not a known tenant (add it to the scenario's tenants); "
     "did you mean 'lab'?"),
    ("bad timestamp", "tenant,submit_time,gpus,duration_s\nlab,2026-01-01T00:00:00Z,1,1\nlab,yesterday,1,1\n",
     "jobs.csv line 3, column 'submit_time': 'yesterday' is not an ISO 8601 time; "
     "write e.g. 2026-01-01T08:30:00Z"),
    ("before the start", "tenant,submit_time,gpus,duration_s\nlab,2025-12-31T23:00:00Z,1,1\n",
     "jobs.csv line 2, column 'submit_time': 2025-12-31T23:00:00Z is before the run start "
     "2026-01-01T00:00:00+00:00; drop the row"),
    ("empty duration", GOOD_HEADER + "0,lab,0,8,,,,,,\n",
     "jobs.csv line 2, column 'duration_s': must be a number ≥ 0, got ''"),
    ("negative submit", GOOD_HEADER + "0,lab,-5,8,60,,,,,\n",
     "jobs.csv line 2, column 'submit_s': must be a number ≥ 0, got '-5'"),
    ("unknown kind", GOOD_HEADER + "0,lab,0,8,60,pretraining,,,,\n",
     "jobs.csv line 2, column 'kind': 'pretraining' is not a known job kind; did you mean 'pretrain'?"),
    ("unknown qos", GOOD_HEADER + "0,lab,0,8,60,,gold,,,\n",
     "jobs.csv line 2, column 'qos': 'gold' is not a known QoS class; use one of"),
    ("unknown residency", GOOD_HEADER + "0,lab,0,8,60,,,,,mars\n",
     "jobs.csv line 2, column 'residency': 'mars' is not a known residency class"),
    ("deadline first", GOOD_HEADER + "0,lab,100,8,60,batch_inference,,,50,\n",
     "jobs.csv line 2, column 'deadline_s': deadline 50 s is before submission 100 s"),
    ("both times", "tenant,submit_s,submit_time,gpus,duration_s\nlab,0,2026-01-01,1,1\n",
     "jobs.csv: give either 'submit_s' or 'submit_time', not both; drop one column"),
    ("no header", "# only a comment\n", "jobs.csv: no header line"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_files_are_rejected_with_file_line_column_and_fix(
    tmp_path: Path, case: str, text: str, message: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        read_job_trace(write(tmp_path, text), TENANTS, CLASSES, start_utc="2026-01-01")
    got = str(info.value)
    assert "\n" not in got, got
    assert message in got, got


def test_a_repeated_job_id_names_both_lines(tmp_path: Path) -> None:
    text = GOOD_HEADER + GOOD_ROW + "\n" + "1,lab,0,8,60,,,,,\n" + GOOD_ROW
    with pytest.raises(ScenarioError, match=r"jobs\.csv line 5, column 'job_id': job_id 0 repeats line 2"):
        read_job_trace(write(tmp_path, text), TENANTS, CLASSES)


def test_timestamps_without_a_run_start_say_what_to_pass(tmp_path: Path) -> None:
    path = write(tmp_path, "tenant,submit_time,gpus,duration_s\nlab,2026-01-01,1,1\n")
    with pytest.raises(ScenarioError, match="pass start_utc"):
        read_job_trace(path, TENANTS, CLASSES)


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read the trace"):
        read_job_trace(tmp_path / "nope.csv", TENANTS, CLASSES)
