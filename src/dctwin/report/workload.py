"""The workload part of the report: pure functions over a run's results.

Charts: GPUs by use against the installed fleet and the IT load against the power budget
(a zoomable year), JCT distributions by QoS class, inference SLO attainment and TTFT per
EMEA region. Tables: headline workload figures, what power-following buys against the
power-oblivious baseline, JCT by QoS and by tenant, tenants' energy and renewable share,
inference by region, and the residency decision per tenant and site.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dctwin.report.charts import chart_layout, local_time
from dctwin.report.tables import RecordTable, format_quantity, label_for
from dctwin.results.model import Results

__all__ = [
    "flexibility_table",
    "has_workload",
    "record_table",
    "workload_figures",
    "workload_headline_table",
]

_USE = (
    ("training_gpus", "Training (jobs)", "#1f77b4"),
    ("swarm_gpus", "Small jobs (swarm)", "#9467bd"),
    ("inference_gpus", "Inference", "#2ca02c"),
)


def has_workload(results: Results) -> bool:
    """Whether the run's IT load came from the scheduler."""
    return isinstance(results.summary.get("workload"), Mapping)


def _campus_series(results: Results) -> pd.DataFrame:
    cols = [c for c, _, _ in _USE] + ["it_load_mw", "it_budget_mw"]
    frame = results.timeseries
    present = [c for c in cols if c in frame.columns]
    return frame.groupby("time_utc")[present].sum()


def gpu_use_chart(results: Results) -> go.Figure:
    """GPUs in training, swarm and inference, stacked, against the installed GPUs."""
    series = _campus_series(results)
    tz = results.scenario.time.report_timezone
    x = local_time(pd.DatetimeIndex(series.index), tz)
    fig = go.Figure()
    for col, name, color in _USE:
        if col in series:
            fig.add_trace(
                go.Scatter(
                    x=x, y=series[col], name=name, stackgroup="gpus", line={"width": 0, "color": color}
                )
            )
    gpus = float(results.summary.get("workload", {}).get("installed_gpus") or 0)
    if gpus:
        fig.add_trace(go.Scatter(x=x, y=np.full(len(x), gpus), name="Installed GPUs",
                                 line={"color": "black", "dash": "dot"}))  # fmt: skip
    chart_layout(fig, "GPUs by use — campus", f"local time ({tz})", "GPUs", height=420)
    fig.update_xaxes(rangeslider={"visible": True})
    return fig


def power_budget_chart(results: Results) -> go.Figure:
    """IT load the scheduler drew against the IT budget it was given."""
    series = _campus_series(results)
    tz = results.scenario.time.report_timezone
    x = local_time(pd.DatetimeIndex(series.index), tz)
    fig = go.Figure()
    if "it_budget_mw" in series:
        name = "IT budget (clean + battery + grid allowance)"
        budget = go.Scatter(x=x, y=series["it_budget_mw"], name=name, line={"color": "#2ca02c", "width": 1})
        fig.add_trace(budget)
    fig.add_trace(
        go.Scatter(x=x, y=series["it_load_mw"], name="IT load", line={"color": "#d62728", "width": 1})
    )
    chart_layout(fig, "IT load under the power budget — campus", f"local time ({tz})", "MW", height=420)
    fig.update_xaxes(rangeslider={"visible": True})
    return fig


def jct_chart(results: Results) -> go.Figure:
    """Distribution of job completion times by QoS class (finished individual jobs)."""
    jobs = results.tables.get("jobs")
    fig = go.Figure()
    if jobs is not None and len(jobs):
        done = jobs[jobs["state"] == "done"]
        for qos in ("guaranteed", "standard", "preemptible"):
            h = done.loc[done["qos"] == qos, "jct_s"].to_numpy(dtype=float) / 3600.0
            if h.size:
                fig.add_trace(go.Box(y=h, name=qos, boxpoints=False))
    fig.update_layout(
        title="Job completion time by QoS class (individual jobs)", yaxis_title="JCT [h]", yaxis_type="log",
        height=380, margin={"t": 60, "l": 60, "r": 20, "b": 50},
    )  # fmt: skip
    return fig


def inference_chart(results: Results) -> go.Figure:
    """SLO attainment and worst-hour p99 TTFT per EMEA region."""
    regions = results.tables.get("inference_by_region")
    fig = go.Figure()
    if regions is not None and len(regions):
        names = regions["display_name"].astype(str).tolist()
        fig.add_trace(go.Bar(x=names, y=regions["slo_attainment_frac"] * 100.0, name="SLO attainment [%]"))
        fig.add_trace(
            go.Scatter(x=names, y=regions["rtt_ms"], name="network RTT [ms]", yaxis="y2", mode="markers")
        )
    fig.update_layout(
        title="Inference per EMEA region: TTFT SLO attainment and network RTT",
        yaxis={"title": "SLO attainment [%]", "range": [0, 100]},
        yaxis2={"title": "RTT [ms]", "overlaying": "y", "side": "right"},
        height=400, margin={"t": 100, "l": 60, "r": 60, "b": 80},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )  # fmt: skip
    return fig


def workload_figures(results: Results) -> list[go.Figure]:
    """Every workload chart of the report, in order."""
    return [gpu_use_chart(results), power_budget_chart(results), jct_chart(results), inference_chart(results)]


_HEADLINE = (
    "jobs_individual",
    "jobs_done",
    "jobs_rejected",
    "gpu_allocation_frac",
    "training_allocation_frac",
    "swarm_allocation_frac",
    "inference_allocation_frac",
    "queue_p50_s",
    "queue_p99_s",
    "jct_p50_s",
    "jct_p99_s",
    "goodput_lost_frac",
    "deferred_gpu_h",
    "preemptions",
    "restarts",
    "inference_slo_attainment_frac",
    "inference_served_frac",
    "inference_energy_per_million_tokens_kwh",
    "sovereignty_rejected_jobs",
    "ai_act_systemic_risk_jobs",
    "scheduler_events",
)


def workload_headline_table(results: Results) -> RecordTable:
    """The headline workload figures with units."""
    w = results.summary.get("workload", {})
    rows = tuple((label_for(k), format_quantity(k, w[k])) for k in _HEADLINE if k in w)
    return RecordTable(headers=("Metric", "Value"), rows=rows)


def flexibility_table(results: Results) -> RecordTable | None:
    """Power-aware against the power-oblivious baseline on the same workload and weather."""
    w = results.summary.get("workload", {})
    base = w.get("baseline_oblivious")
    if not isinstance(base, Mapping):
        return None
    campus = {**results.summary.get("campus", {}), **w}
    keys = (
        "hourly_cfe_score_frac", "grid_import_mwh", "emissions_location_t", "curtailment_mwh",
        "facility_load_mwh", "gpu_allocation_frac", "jct_p50_s", "jct_p99_s", "jobs_done",
    )  # fmt: skip
    rows = []
    for k in keys:
        if k in campus and k in base:
            rows.append((label_for(k), format_quantity(k, campus[k]), format_quantity(k, base[k])))
    return RecordTable(
        headers=("Metric", "Power-aware (this run)", "Power-oblivious baseline"), rows=tuple(rows)
    )


def record_table(frame: pd.DataFrame, columns: Mapping[str, str]) -> RecordTable:
    """A table of chosen columns, values formatted by their unit-named column keys."""
    present = [c for c in columns if c in frame.columns]
    rows = []
    for _, row in frame.iterrows():
        rows.append(tuple(_cell(c, row[c]) for c in present))
    return RecordTable(headers=tuple(columns[c] for c in present), rows=tuple(rows))


def _cell(key: str, value: Any) -> str:
    if isinstance(value, str | bool | np.bool_):
        return str(value)
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return format_quantity(key, value)
