"""One self-contained HTML file per run: header, summary table, charts, notes.

The file embeds plotly.js once, in the page head, and every figure after it as a ``div``
plus a small inline script, so it opens offline (no CDN, no external assets).
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from dctwin import __version__
from dctwin.report.charts import local_time, report_figures
from dctwin.report.economics import (
    build_out_chart,
    build_out_headline_table,
    build_out_phases_records,
    build_out_summary_table,
    capex_table_records,
    cash_flow_chart,
    cost_breakdown_chart,
    economics_headline_table,
    economics_key_figures,
    has_economics,
    sensitivity_chart,
    sensitivity_records,
)
from dctwin.report.network import (
    BASE_MAP_NAME,
    base_map_topojson,
    cut_table,
    has_network,
    network_headline_table,
    outage_table,
    reach_map,
    reach_table,
    rtt_chart,
)
from dctwin.report.tables import (
    RecordTable,
    SummaryTable,
    fleet_table,
    format_quantity,
    label_for,
    summary_table,
    unit_rule,
)
from dctwin.report.workload import (
    flexibility_table,
    has_workload,
    record_table,
    workload_figures,
    workload_headline_table,
)
from dctwin.results.model import Results

__all__ = ["build_report", "write_report"]

_CSS = """
:root { --ink: #1d2530; --muted: #5b6675; --rule: #d9dee5; --band: #f4f6f9; --accent: #1f6fb2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
.container { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.3rem; margin: 36px 0 12px; padding-bottom: 4px;
  border-bottom: 2px solid var(--rule); }
p.lede { color: var(--muted); margin: 0 0 16px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 0;
  font-size: 0.9rem; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; font-variant-numeric: tabular-nums; }
nav { margin: 18px 0 0; font-size: 0.9rem; }
nav a { color: var(--accent); text-decoration: none; margin-right: 14px; }
nav a:hover { text-decoration: underline; }
.table-wrap { overflow-x: auto; }
table.summary { border-collapse: collapse; font-size: 0.9rem; min-width: 480px; }
table.summary th, table.summary td { padding: 4px 12px; border-bottom: 1px solid var(--rule); }
table.summary th { text-align: left; background: var(--band); font-weight: 600; }
table.summary td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.summary td.unit { color: var(--muted); white-space: nowrap; }
table.summary tbody tr:hover { background: var(--band); }
details { margin-top: 12px; }
details summary { cursor: pointer; color: var(--accent); }
table.records td { vertical-align: top; }
.table-wrap { margin: 0 0 18px; }
table.wrap td:last-child { font-size: 0.8rem; color: var(--muted); min-width: 320px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 10px;
  margin: 0 0 18px; }
.kpi { border: 1px solid var(--rule); border-radius: 6px; padding: 8px 12px; background: var(--band); }
.kpi .label { color: var(--muted); font-size: 0.8rem; }
.kpi .value { font-size: 1.25rem; font-weight: 600; font-variant-numeric: tabular-nums; }
p.note { color: var(--muted); font-size: 0.9rem; max-width: 860px; }
figure.chart { margin: 0 0 22px; border: 1px solid var(--rule); border-radius: 6px; padding: 6px; }
section.notes p { max-width: 860px; }
footer { margin-top: 40px; color: var(--muted); font-size: 0.85rem; }
"""

_NOTES = (
    (
        "Hourly CFE score",
        "Following Google's 24/7 Carbon-Free Energy methodology (2021), each clock hour "
        "counts only the clean energy consumed in that hour: load met by the site's own "
        "solar and wind, directly or through a battery charged from them, plus the grid's "
        "carbon-free share of imports. The score is the load-weighted mean of the hourly "
        "shares; surplus in one hour never offsets a deficit in another, so 100 % means every "
        'hour was fully clean. "Hours fully clean" counts hours with CFE of at least 99.9 %.',
    ),
    (
        "Annual renewable matching",
        "Annual matching compares renewable generation over the whole period with the load "
        'over the period, the basis of "100 % renewable" claims made with annual '
        "certificates. The annual renewable share caps that ratio at 100 %; the uncapped value "
        "is the renewable-to-load ratio. Because it ignores when energy is produced, it is "
        "usually well above the hourly CFE score.",
    ),
    (
        "Location- and market-based emissions",
        "Location-based emissions (GHG Protocol Scope 2 Guidance, 2015) are grid imports times "
        "the grid's average carbon intensity. Market-based emissions count only the imports "
        "not covered by renewable energy exported with its certificates, times the residual-mix "
        "intensity (the grid average where no residual mix is published). Both are in tonnes of "
        "CO2 equivalent.",
    ),
    (
        "PUE and WUE",
        "Power usage effectiveness is facility energy divided by IT energy (ISO/IEC 30134-2); "
        "the annual value is the energy ratio over the period, minimum and maximum are over "
        "steps with IT load. Water usage effectiveness is site water consumed divided by IT "
        "energy, in L/kWh (The Green Grid).",
    ),
)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _meta_value(key: str, value: Any) -> str:
    if isinstance(value, Mapping):
        unit_key = key if key.endswith("_s") else None
        parts = [f"{k} {_meta_value(unit_key or k, v)}" for k, v in value.items()]
        return ", ".join(parts)
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and unit_rule(key).pattern:  # a unit suffix (the fallback rule has none)
        return format_quantity(key, value)
    return str(value)


def _period(results: Results) -> str:
    tz, dt_h = results.scenario.time.report_timezone, results.scenario.time.dt_h
    times = pd.DatetimeIndex(results.timeseries["time_utc"].unique()).sort_values()
    if times.empty:
        return f"{results.scenario.time.start_date}, {results.scenario.time.duration_days} d"
    start, end = times[0], times[-1] + pd.Timedelta(hours=dt_h)
    first, last = local_time(pd.DatetimeIndex([start, end]), tz)
    days = (end - start) / pd.Timedelta(days=1)
    return f"{first:%d %b %Y %H:%M} – {last:%d %b %Y %H:%M} local ({tz}), {days:g} d"


def _header(results: Results) -> str:
    sc = results.scenario
    phases = {p.name: p.description for p in sc.phases}
    phase = sc.phase + (f" — {phases[sc.phase]}" if phases.get(sc.phase) else "")
    items: list[tuple[str, str]] = [
        ("phase", phase),
        ("period", _period(results)),
        ("step", f"{sc.time.step} ({sc.time.dt_h:g} h)"),
        ("sites", ", ".join(s.display_name or s.name for s in sc.sites)),
        ("run id", results.run_id or "not stored"),
        ("seed", str(sc.seed)),
    ]
    shown = {k for k, _ in items} | {"scenario"}  # the title is the scenario name
    for key, value in results.metadata.items():
        label = label_for(key)
        label = label[:1].lower() + label[1:]
        if label not in shown:
            items.append((label, _meta_value(key, value)))
    rows = "\n".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    return (
        f'<header>\n<h1>{_e(sc.name)}</h1>\n<p class="lede">{_e(sc.description)}</p>\n'
        f'<dl class="meta">\n{rows}\n</dl>\n</header>'
    )


def _table_html(table: SummaryTable, headline: bool | None) -> str:
    rows = [r for r in table.rows if headline is None or r.headline == headline]
    head = "".join(f"<th>{_e(c)}</th>" for c in ("Metric", *table.columns, "Unit"))
    body = []
    for r in rows:
        cells = "".join(f'<td class="num">{_e(v)}</td>' for v in r.values)
        unit = f'<td class="unit">{_e(r.unit)}</td>'
        body.append(f'<tr data-key="{_e(r.key)}"><td>{_e(r.label)}</td>{cells}{unit}</tr>')
    return (
        f'<div class="table-wrap"><table class="summary"><thead><tr>{head}</tr></thead>'
        f"<tbody>\n" + "\n".join(body) + "\n</tbody></table></div>"
    )


def _records_html(table: RecordTable, css_class: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in table.headers)
    cells = ["".join(f"<td>{_e(v)}</td>" for v in row) for row in table.rows]
    body = "\n".join(f"<tr>{c}</tr>" for c in cells)
    classes = " ".join(["summary", "records", *css_class.split()])
    return (
        f'<div class="table-wrap"><table class="{classes}"><thead><tr>{head}</tr></thead>'
        f"<tbody>\n{body}\n</tbody></table></div>"
    )


def _kpis_html(figures: list[tuple[str, str]]) -> str:
    cards = [
        f'<div class="kpi"><div class="label">{_e(k)}</div><div class="value">{_e(v)}</div></div>'
        for k, v in figures
    ]
    return '<div class="kpis">' + "".join(cards) + "</div>" if cards else ""


def _summary_section(results: Results) -> str:
    table = summary_table(results)
    parts = [
        '<section id="summary">\n<h2>Summary</h2>',
        _kpis_html(economics_key_figures(results)),
        _table_html(table, headline=True),
        "<details><summary>All other metrics</summary>",
        _table_html(table, headline=False),
        "</details>",
    ]
    fleet = results.summary.get("fleet")
    if isinstance(fleet, Mapping) and fleet:
        parts += ["<h3>Fleet</h3>", _records_html(fleet_table(fleet))]
    parts.append("</section>")
    return "\n".join(parts)


_CONFIG = {"displaylogo": False, "responsive": True}


def figure_html(fig: go.Figure, div_id: str) -> str:
    """One figure as an HTML fragment (plotly.js is in the page head, not here)."""
    height = fig.layout.height or 430
    body = pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        config=_CONFIG,
        div_id=div_id,
        default_width="100%",
        default_height=f"{height}px",
    )
    return f'<figure class="chart">{body}</figure>'


_JCT_COLUMNS = {
    "qos": "QoS", "tenant": "Tenant", "jobs": "Jobs", "queue_p50_s": "Queue p50", "queue_p99_s": "Queue p99",
    "jct_p50_s": "JCT p50", "jct_p99_s": "JCT p99", "gpu_h": "GPU·h", "lost_gpu_h": "Lost GPU·h",
    "renewable_share_frac": "Renewable share",
}  # fmt: skip
_TENANT_COLUMNS = {
    "tenant": "Tenant", "nominal_quota_gpus": "Nominal quota", "jobs_done": "Jobs done",
    "jobs_rejected": "Rejected", "gpu_h": "GPU·h (jobs)", "swarm_gpu_h": "GPU·h (small jobs)",
    "facility_energy_mwh": "Facility energy", "renewable_share_frac": "Renewable share",
    "jct_p50_s": "JCT p50",
}  # fmt: skip
_REGION_COLUMNS = {
    "display_name": "Region", "residency_class": "Data class", "rtt_ms": "RTT",
    "requests_per_s_mean": "Requests per s (mean)", "served_frac": "Served",
    "slo_attainment_frac": "TTFT SLO met",
    "ttft_p99_worst_ms": "TTFT p99 (worst hour)", "blocked_by_rule": "Blocked by",
}  # fmt: skip
_ADMISSION_COLUMNS = {
    "tenant": "Tenant", "residency_class": "Data class", "site": "Site", "allowed": "Allowed",
    "rule_id": "Rule", "reason": "Why",
}  # fmt: skip


def _workload_section(results: Results) -> str:
    """Workload: headline figures, flexibility, charts, JCT, tenants, inference, residency."""
    parts = ['<section id="workload">\n<h2>Workload</h2>', _records_html(workload_headline_table(results))]
    flex = flexibility_table(results)
    if flex is not None:
        parts += [
            "<h3>What following the clean supply buys (same workload, same weather)</h3>",
            _records_html(flex),
        ]
    parts += [figure_html(f, f"workload-chart-{i}") for i, f in enumerate(workload_figures(results))]
    t = results.tables
    for key, title, columns in (
        ("jct_by_qos", "Queueing and completion time by QoS class", _JCT_COLUMNS),
        ("tenants", "Tenants: work, energy and its renewable share", _TENANT_COLUMNS),
        ("inference_by_region", "Inference by EMEA region", _REGION_COLUMNS),
        ("admission", "Data residency: where each tenant's data may be processed", _ADMISSION_COLUMNS),
    ):
        if key in t and len(t[key]):
            parts += [f"<h3>{_e(title)}</h3>", _records_html(record_table(t[key], columns))]
    parts.append("</section>")
    return "\n".join(parts)


def _outage_lede(results: Results) -> str:
    outages = results.scenario.network.outages
    spans = [f"{o.cable} {o.start_utc:%Y-%m-%d %H:%M} → {o.end_utc:%Y-%m-%d %H:%M} UTC" for o in outages]
    return "Cables out during the run: " + "; ".join(spans) + "." if spans else ""


def _network_section(results: Results) -> str:
    """Reach and network: headline, map, RTT against budget, reach, N−1, the run's outages."""
    parts = ['<section id="network">\n<h2>Reach and network</h2>']
    headline = network_headline_table(results)
    if headline is not None:
        parts.append(_records_html(headline))
    parts += [figure_html(reach_map(results), "network-map"), figure_html(rtt_chart(results), "network-rtt")]
    reach = reach_table(results)
    if reach is not None:
        parts += ["<h3>Reach per demand city (intact network, and as run)</h3>", _records_html(reach, "wrap")]
    cuts = cut_table(results)
    if cuts is not None:
        parts += [
            "<h3>N−1: each cable cut on its own</h3>",
            '<p class="note">Every other cable intact; the capacity column is the largest loss of '
            "deliverable capacity to one city (cities share links, so their losses do not add).</p>",
            _records_html(cuts),
        ]
    outages = outage_table(results)
    if outages is not None:
        parts += ["<h3>This run's outages: cities whose route changed</h3>"]
        parts.append(f'<p class="note">{_e(_outage_lede(results))}</p>')
        parts.append(_records_html(outages, "wrap") if outages.rows else '<p class="note">No city moved.</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _economics_section(results: Results) -> str:
    """Economics: headline, cost per GPU-hour, capex with sources, cash flows, build-out."""
    parts = ['<section id="economics">\n<h2>Economics</h2>']
    headline = economics_headline_table(results)
    if headline is not None:  # the long basis text as a note, so the table stays narrow
        basis = [v for k, v in headline.rows if k == "Basis"]
        rows = tuple(r for r in headline.rows if r[0] != "Basis")
        parts += [f'<p class="note">Basis: {_e(b)}.</p>' for b in basis]
        parts.append(_records_html(RecordTable(headline.headers, rows)))
    parts.append(figure_html(cost_breakdown_chart(results), "economics-cost"))
    capex = capex_table_records(results)
    if capex is not None:
        parts += ["<h3>Capex, line by line, with sources</h3>", _records_html(capex, "wrap")]
    parts.append(figure_html(cash_flow_chart(results), "economics-cash"))
    sensitivity = sensitivity_records(results)
    if sensitivity is not None:
        parts += [
            "<h3>Sensitivity: what moves the value</h3>",
            figure_html(sensitivity_chart(results), "economics-sensitivity"),
            _records_html(sensitivity),
        ]
    years = build_out_headline_table(results)
    if years is not None:
        parts.append("<h3>Build-out: the campus year by year</h3>")
        summary = build_out_summary_table(results)
        if summary is not None:
            parts.append(_records_html(summary))
        parts += [_records_html(years), figure_html(build_out_chart(results), "economics-build-out")]
        phases = build_out_phases_records(results)
        if phases is not None:
            parts += ["<h3>Each phase as a campus of its own</h3>", _records_html(phases)]
    parts.append("</section>")
    return "\n".join(parts)


def _charts_section(results: Results, site: str | None, anchor: str, heading: str) -> str:
    figures = report_figures(results, site)
    divs = [figure_html(f, f"{anchor}-chart-{i}") for i, f in enumerate(figures)]
    head = f'<section id="{_e(anchor)}">\n<h2>{_e(heading)}</h2>\n'
    return head + "\n".join(divs) + "\n</section>"


def _sections(results: Results) -> list[tuple[str, str, str | None]]:
    """(anchor, heading, site) of each chart section: campus, then sites if several."""
    names = {s.name: s.display_name or s.name for s in results.scenario.sites}
    sites = results.sites
    if len(sites) == 1:
        return [(f"site-{sites[0]}", f"Charts — {names.get(sites[0], sites[0])}", None)]
    out: list[tuple[str, str, str | None]] = [("campus", "Campus", None)]
    return out + [(f"site-{s}", f"Site — {names.get(s, s)}", s) for s in sites]


def _domain_notes(results: Results) -> list[tuple[str, str]]:
    """Notes on the network and economics metrics, for the runs that carry them."""
    notes = []
    if has_network(results):
        n = results.scenario.network
        notes.append((
            "Network RTT and its budget",
            f"A city's round-trip time is that of its lowest-delay route from a campus site over "
            f"the route graph (backhaul to the Moroccan landing stations, submarine cable segments, "
            f"terrestrial links): {n.fibre_us_per_km:g} µs/km one way in fibre, times a path-inflation "
            f"factor per link type, plus {n.route_overhead_ms:g} ms per route and {n.hop_overhead_ms:g} ms "
            f"per hop. A city's RTT budget is {n.rtt_budget_overhead_ms:g} ms plus "
            f"{n.rtt_budget_inflation:g} × the round trip over the great circle from the nearest site "
            "(unless the scenario sets it); a route over budget loses the latency SLO. \"As run\" "
            "figures follow the scenario's cable outages step by step; \"intact\" ones ignore them.",
        ))  # fmt: skip
    if has_economics(results):
        notes.append((
            "Cost per GPU-hour and the cash flows",
            "Prices are constant (real) USD. The cost per GPU-hour is the annualised cost (capital "
            "recovery of the assets in service at the WACC plus the year's opex, before tax) divided by "
            "the GPU-hours delivered; the cost per million tokens is the inference share of that cost "
            "divided by the tokens served. NPV, IRR and payback are over the horizon's yearly free "
            "cash flows (after tax, plus the terminal value the scenario sets in the last year); "
            "every capex line names its source.",
        ))  # fmt: skip
    return notes


def _notes_section(tz: str, extra: list[tuple[str, str]] | None = None) -> str:
    notes = [f"<p><strong>{_e(title)}.</strong> {_e(text)}</p>" for title, text in (*_NOTES, *(extra or []))]
    notes.append(
        f"<p><strong>Time.</strong> The run is computed in UTC; every time axis shows local "
        f"wall-clock time in {_e(tz)}. On days when the clocks change (in Morocco, around "
        "Ramadan) one local hour is repeated or skipped; the CFE heat-map merges a repeated "
        "hour (load-weighted) and leaves a skipped one blank. A run that starts at 00:00 UTC "
        "starts and ends part-way through a local day, so the first and last day (and month) "
        "of the charts may be partial.</p>"
    )
    return (
        '<section id="notes" class="notes">\n<h2>Notes on the metrics</h2>\n'
        + "\n".join(notes)
        + "\n</section>"
    )


def build_report(results: Results) -> str:
    """The run's report as one self-contained HTML document.

    Parameters
    ----------
    results
        A run's results (scenario, long-format time series, summary, metadata).

    Returns
    -------
    str
        HTML with plotly.js embedded once (works offline): header, summary (with the key
        economics figures), then the sections the run has data for: economics, workload,
        reach and network; charts for the campus and for each site when there are several;
        notes. The network section's base map is embedded when the package ships it.
    """
    sections = _sections(results)
    nav = ['<a href="#summary">Summary</a>']
    nav += [f'<a href="#{_e(a)}">{_e(h.split(" — ")[-1])}</a>' for a, h, _ in sections]
    nav.append('<a href="#notes">Notes</a>')
    charts = [_charts_section(results, site, a, h) for a, h, site in sections]
    extra = [
        ("economics", "Economics", _economics_section, has_economics(results)),
        ("workload", "Workload", _workload_section, has_workload(results)),
        ("network", "Reach and network", _network_section, has_network(results)),
    ]
    shown = [(a, h, build) for a, h, build, present in extra if present]
    nav[1:1] = [f'<a href="#{a}">{_e(h)}</a>' for a, h, _ in shown]
    charts[0:0] = [build(results) for _, _, build in shown]
    title = f"dctwin report — {results.scenario.name}"
    return page(
        title,
        [
            _header(results),
            "<nav>" + "".join(nav) + "</nav>",
            _summary_section(results),
            *charts,
            _notes_section(results.scenario.time.report_timezone, _domain_notes(results)),
        ],
        head=_geo_assets() if has_network(results) else "",
    )


def _geo_assets() -> str:
    """A script that hands plotly.js the base map, so that it does not fetch it (empty if not shipped)."""
    topojson = base_map_topojson()
    if topojson is None:
        return ""
    body = topojson.replace("</", "<\\/")  # a JSON string may not close the script element
    return (
        '<script type="text/javascript">window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};'
        f"window.PlotlyGeoAssets.topojson[{json.dumps(BASE_MAP_NAME)}] = {body};</script>"
    )


def page(title: str, parts: list[str], head: str = "") -> str:
    """A self-contained HTML page: the report's style, plotly.js once, then ``parts``.

    Parameters
    ----------
    title
        Page title.
    parts
        HTML fragments of the body, in order (figures from :func:`figure_html`).
    head
        Further HTML for the page head, after plotly.js (e.g. the embedded base map).
    """
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head>\n<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{_CSS}</style>",
            f'<script type="text/javascript">{get_plotlyjs()}</script>',
            *([head] if head else []),
            "</head>",
            '<body>\n<main class="container">',
            *parts,
            f"<footer>Report generated by dctwin {_e(__version__)}.</footer>",
            "</main>\n</body>\n</html>\n",
        ]
    )


def write_report(results: Results, path: str | os.PathLike[str]) -> Path:
    """Write :func:`build_report` to ``path`` atomically (a directory gets ``report.html``).

    Parameters
    ----------
    results
        A run's results.
    path
        Target file, or an existing directory.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    target = Path(path)
    if target.is_dir():
        target = target / "report.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = build_report(results)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
