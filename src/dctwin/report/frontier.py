"""The planner's report: the cost-versus-CFE frontier as a chart and a table.

Pure functions over the frontier table of :func:`dctwin.planner.frontier.cost_frontier`.
"""

from __future__ import annotations

import html
import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dctwin.report.html import figure_html, page

__all__ = ["build_frontier_report", "frontier_chart"]

TITLE_FRONTIER = "Cost of 24/7 carbon-free supply against the hourly CFE target"


def _x_labels(frame: pd.DataFrame) -> list[str]:
    return [
        "annual matching" if p == "annual" else f"{float(str(p).split(':')[1]) * 100:g} %"
        for p in frame["policy"]
    ]


def frontier_chart(frame: pd.DataFrame, currency: str = "EUR") -> go.Figure:
    """Cost per MWh, premium and portfolio for each policy of a frontier.

    Parameters
    ----------
    frame
        Frontier table (``policy``, ``cost_per_mwh``, ``premium_over_annual_frac``,
        capacities, ``storage_hours_h``, ``curtailment_frac``).
    currency
        Currency of the cost column.

    Returns
    -------
    plotly.graph_objects.Figure
        Top: cost per MWh of load (bars) with the premium over annual matching; bottom:
        PV, wind and battery power (MW) and storage hours.
    """
    x = _x_labels(frame)
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
        specs=[[{"secondary_y": True}], [{"secondary_y": True}]],
    )  # fmt: skip
    fig.add_trace(
        go.Bar(x=x, y=frame["cost_per_mwh"], name=f"cost [{currency}/MWh]", marker_color="#4c78a8"), 1, 1
    )
    if "premium_over_annual_frac" in frame:
        fig.add_trace(
            go.Scatter(x=x, y=frame["premium_over_annual_frac"] * 100, name="premium over annual [%]",
                       mode="lines+markers", line={"color": "#e45756"}),
            1, 1, secondary_y=True,
        )  # fmt: skip
    for col, name, colour in (
        ("solar_mw", "PV [MW AC]", "#f2b701"),
        ("wind_mw", "wind [MW]", "#3a8fd9"),
        ("battery_power_mw", "battery power [MW]", "#7d4cc2"),
    ):
        fig.add_trace(go.Bar(x=x, y=frame[col], name=name, marker_color=colour), 2, 1)
    fig.add_trace(
        go.Scatter(x=x, y=frame["storage_hours_h"], name="storage [h of mean load]", mode="lines+markers",
                   line={"color": "#54a24b"}),
        2, 1, secondary_y=True,
    )  # fmt: skip
    fig.update_layout(
        title=TITLE_FRONTIER, barmode="group", height=720, legend={"orientation": "h", "y": -0.1}
    )
    fig.update_yaxes(title_text=f"{currency}/MWh of load", row=1, col=1)
    fig.update_yaxes(title_text="premium [%]", row=1, col=1, secondary_y=True)
    fig.update_yaxes(title_text="capacity [MW]", row=2, col=1)
    fig.update_yaxes(title_text="storage [h]", row=2, col=1, secondary_y=True)
    fig.update_xaxes(title_text="policy (hourly CFE target)", row=2, col=1)
    return fig


_COLUMNS = [
    ("policy", "policy", None),
    ("solar_mw", "PV [MW]", 1),
    ("wind_mw", "wind [MW]", 1),
    ("battery_power_mw", "battery [MW]", 1),
    ("battery_energy_mwh", "battery [MWh]", 0),
    ("storage_hours_h", "storage [h]", 1),
    ("cost_per_mwh", "cost [/MWh]", 2),
    ("premium_over_annual_frac", "premium [%]", 1),
    ("hourly_cfe_score_frac", "CFE achieved [%]", 2),
    ("curtailment_frac", "curtailment [%]", 1),
    ("land_ha", "land [ha]", 0),
    ("solve_s", "solve [s]", 3),
]


def _cell(key: str, value: object, decimals: int | None) -> str:
    if (
        decimals is None
        or not isinstance(value, int | float)
        or (isinstance(value, float) and math.isnan(value))
    ):
        return html.escape(str(value))
    if key.endswith("_frac"):
        return f"{float(value) * 100:,.{decimals}f}"
    return f"{float(value):,.{decimals}f}"


def build_frontier_report(frame: pd.DataFrame, title: str, currency: str = "EUR", notes: str = "") -> str:
    """The frontier as one self-contained HTML page (chart + table).

    Parameters
    ----------
    frame
        Frontier table.
    title
        Page heading (scenario, site, phase).
    currency
        Currency of the costs.
    notes
        Extra paragraph (cost basis, sources).
    """
    cols = [c for c in _COLUMNS if c[0] in frame.columns]
    head = "".join(f"<th>{html.escape(label.replace('[/', f'[{currency}/'))}</th>" for _, label, _ in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(k, row[k], d)}</td>" for k, _, d in cols) + "</tr>"
        for _, row in frame.iterrows()
    )
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        figure_html(frontier_chart(frame, currency), "frontier"),
        f'<table class="summary"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>',
        f'<section class="notes"><p>{html.escape(notes)}</p></section>' if notes else "",
    ]
    return page(title, parts)
