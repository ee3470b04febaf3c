"""The workload part of the report: present for scheduler runs, absent otherwise, and built
from the run's own tables (a short run of the default scenario)."""

from __future__ import annotations

import pytest

from dctwin.engine import run
from dctwin.report.html import build_report
from dctwin.report.workload import (
    flexibility_table,
    has_workload,
    record_table,
    workload_figures,
    workload_headline_table,
)
from dctwin.results.model import Results
from dctwin.scenario import load_scenario


@pytest.fixture(scope="module")
def week() -> Results:
    return run(load_scenario("morocco-500mw", **{"time.duration_days": 7, "time.start_date": "2026-03-02"}))


def test_headline_and_flexibility_tables(week: Results) -> None:
    assert has_workload(week)
    headline = dict(workload_headline_table(week).rows)
    assert headline["Jobs done"].replace(",", "").isdigit()
    assert headline["GPU allocation (share)"].endswith("%")
    flex = flexibility_table(week)
    assert flex is not None and flex.headers[1:] == ("Power-aware (this run)", "Power-oblivious baseline")
    assert "Hourly CFE score" in [r[0] for r in flex.rows]


def test_four_charts_of_the_campus(week: Results) -> None:
    figures = workload_figures(week)
    assert [f.layout.title.text.split(" —")[0].split(":")[0] for f in figures] == [
        "GPUs by use", "IT load under the power budget", "Job completion time by QoS class (individual jobs)",
        "Inference per EMEA region",
    ]  # fmt: skip
    stacked = [t for t in figures[0].data if t.stackgroup == "gpus"]
    assert {t.name for t in stacked} == {"Training (jobs)", "Small jobs (swarm)", "Inference"}


def test_tables_come_from_the_run(week: Results) -> None:
    regions = record_table(week.tables["inference_by_region"], {"display_name": "Region", "rtt_ms": "RTT"})
    assert len(regions.rows) == 18 and regions.rows[0][1].endswith(" ms")
    admission = week.tables["admission"]
    sovereign = admission[admission["tenant"] == "eu-public-research"]
    assert not sovereign["allowed"].any() and set(sovereign["rule_id"]) == {"EU-SOV-LOCATION"}


def test_html_has_the_section_only_for_scheduler_runs(week: Results) -> None:
    html = build_report(week)
    assert '<section id="workload">' in html and 'href="#workload"' in html
    assert "EU-SOV-LOCATION" in html
    profile = run(load_scenario("morocco-500mw", it_load="profile", **{"time.duration_days": 2}))
    assert not has_workload(profile)
    assert '<section id="workload">' not in build_report(profile)
