"""The economics part of the report: what the campus costs, earns and returns.

Pure functions over a run's results. The headline (capex, cost per GPU-hour and per million
tokens, revenue, EBITDA, NPV, IRR, payback, the cost of the energy supply) from
``summary["economics"]``; the capex lines with their sources (``capex``); the cost per
GPU-hour by item (``cost_breakdown``); the cash flows year by year (``cash_flows``, or
``build_out_cash_flows`` when the run carries the build-out timeline); and, with the build-out,
the campus year by year (``build_out_years``, ``summary["build_out"]``).

Money is shown in USD with a scale chosen per value (``1.27 bn USD``, ``940.6 M USD``) by
:func:`format_usd`; tables of many years use one scale per column (``[M USD]``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dctwin.report.tables import RecordTable, cell_number, format_quantity, is_missing
from dctwin.results.model import Results

__all__ = [
    "build_out_chart",
    "build_out_headline_table",
    "build_out_phases_records",
    "build_out_summary_table",
    "capex_table_records",
    "cash_flow_chart",
    "cost_breakdown_chart",
    "economics_figures",
    "economics_headline_table",
    "economics_key_figures",
    "format_usd",
    "has_build_out",
    "has_economics",
    "sensitivity_chart",
    "sensitivity_records",
]


def has_economics(results: Results) -> bool:
    """Whether the run carries its economics (``summary["economics"]``)."""
    return isinstance(results.summary.get("economics"), Mapping) and bool(results.summary["economics"])


def has_build_out(results: Results) -> bool:
    """Whether the run carries the build-out timeline (``build_out_years``)."""
    years = results.tables.get("build_out_years")
    return years is not None and len(years) > 0


def format_usd(value_usd: Any, per: str = "") -> str:
    """An amount of money with a readable scale.

    Parameters
    ----------
    value_usd
        Amount. [USD]
    per
        Unit it is per, appended after ``USD/`` (``"yr"``, ``"GPU"``).

    Returns
    -------
    str
        ``"—"`` when missing.

    Examples
    --------
    >>> format_usd(1267954062.4), format_usd(940614567.1, "yr"), format_usd(76235.8, "GPU")
    ('1.27 bn USD', '940.6 M USD/yr', '76,236 USD/GPU')
    >>> format_usd(-5.93e9)
    '−5.93 bn USD'
    """
    if is_missing(value_usd):
        return "—"
    x = float(value_usd)
    unit = "USD" + (f"/{per}" if per else "")
    mag = abs(x)
    if mag >= 1e9:
        text = f"{mag / 1e9:,.2f} bn"
    elif mag >= 1e6:
        text = f"{mag / 1e6:,.1f} M"
    else:
        text = f"{mag:,.0f}"
    return ("−" if x < 0 and text.strip("0.,") else "") + f"{text} {unit}"


def _years(value: Any, horizon_yr: Any) -> str:
    if is_missing(value):
        return (
            f"not within {horizon_yr:g} yr"
            if isinstance(horizon_yr, int | float)
            else "not within the horizon"
        )
    return format_quantity("payback_yr", value)


def _pct(value: Any) -> str:
    return "—" if is_missing(value) else format_quantity("x_frac", value)


def _headline_rows(e: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(label, value with unit)`` of the headline economics, in report order."""
    horizon = e.get("horizon_yr")
    wacc = e.get("wacc_frac")
    npv_label = "NPV" + (f" at {_pct(wacc)} WACC" if not is_missing(wacc) else "")
    rows = [
        ("GPUs", format_quantity("gpus", e.get("gpus"))),
        ("Facility power", format_quantity("facility_power_mw", e.get("facility_power_mw"))),
        ("IT power", format_quantity("it_mw", e.get("it_mw"))),
        ("Capex", format_usd(e.get("capex_usd"))),
        ("Capex per GPU", format_usd(e.get("capex_usd_per_gpu"), "GPU")),
        ("GPU-hours delivered per year", format_quantity("gpu_h_per_yr", e.get("gpu_h_per_yr"))),
        ("GPU utilisation", _pct(e.get("gpu_utilisation_frac"))),
        ("Tokens served per year", format_quantity("tokens_per_yr", e.get("tokens_per_yr"))),
        ("Cost per GPU-hour", format_quantity("cost_usd_per_gpu_h", e.get("cost_usd_per_gpu_h"))),
        ("Cost per million tokens", format_quantity("cost_usd_per_mtok", e.get("cost_usd_per_mtok"))),
        ("Annualised cost", format_usd(e.get("annualised_cost_usd_per_yr"), "yr")),
        ("Revenue", format_usd(e.get("revenue_usd_per_yr"), "yr")),
        ("Revenue per GPU-hour", format_quantity("revenue_usd_per_gpu_h", e.get("revenue_usd_per_gpu_h"))),
        ("Opex", format_usd(e.get("opex_usd_per_yr"), "yr")),
        ("EBITDA", format_usd(e.get("ebitda_usd_per_yr"), "yr")),
        ("EBITDA margin", _pct(e.get("ebitda_margin_frac"))),
        (npv_label, format_usd(e.get("npv_usd"))),
        ("IRR", _pct(e.get("irr_frac")) if not is_missing(e.get("irr_frac")) else "— (none)"),
        ("Payback", _years(e.get("payback_yr"), horizon)),
        ("Discounted payback", _years(e.get("discounted_payback_yr"), horizon)),
        (
            "LCOE of the renewable supply",
            format_quantity("lcoe_usd_per_mwh", e.get("lcoe_renewables_usd_per_mwh")),
        ),
        ("Energy supply cost", format_quantity("supply_cost_usd_per_mwh", e.get("supply_cost_usd_per_mwh"))),
        ("WACC", _pct(wacc)),
        ("Horizon", "—" if is_missing(horizon) else f"{horizon:g} yr"),
    ]
    if not e.get("tokens_per_yr"):
        rows = [r for r in rows if r[0] not in ("Tokens served per year", "Cost per million tokens")]
    return rows


def economics_headline_table(results: Results) -> RecordTable | None:
    """The headline economics of the run's phase, one ``(metric, value)`` row each.

    GPUs, facility and IT power [MW], capex and capex per GPU [USD], GPU-hours per year,
    cost per GPU-hour and per million tokens [USD], revenue, opex and EBITDA [USD/yr] and
    the EBITDA margin, NPV [USD], IRR, payback and discounted payback [yr], the levelised
    cost of the renewable supply and the cost of the energy supplied [USD/MWh], WACC,
    horizon [yr], and a last row with the basis of the figures. ``None`` without
    ``summary["economics"]``.
    """
    if not has_economics(results):
        return None
    e = results.summary["economics"]
    rows = _headline_rows(e)
    if e.get("basis"):
        rows.append(("Basis", str(e["basis"])))
    return RecordTable(headers=("Metric", "Value"), rows=tuple(rows))


def economics_key_figures(results: Results) -> list[tuple[str, str]]:
    """Five headline figures for the top of the report: GPUs, MW, capex, USD/GPU-h, payback."""
    if not has_economics(results):
        return []
    rows = dict(_headline_rows(results.summary["economics"]))
    return [(k, rows[k]) for k in ("GPUs", "Facility power", "Capex", "Cost per GPU-hour", "Payback")]


def build_out_summary_table(results: Results) -> RecordTable | None:
    """The build-out's headline figures over all its years (``summary["build_out"]``)."""
    b = results.summary.get("build_out")
    if not isinstance(b, Mapping) or not b:
        return None
    horizon = (b.get("last_year", 0) - b.get("first_year", 0) + 1) if "first_year" in b else None
    rows = [
        ("Years", f"{b.get('first_year', '—')}–{b.get('last_year', '—')}"),
        ("Phases", ", ".join(map(str, b.get("phases", ()))) or "—"),
        ("Final facility power", format_quantity("facility_power_mw", b.get("final_facility_power_mw"))),
        ("Final GPUs", format_quantity("gpus", b.get("final_gpus"))),
        ("Capex, all phases", format_usd(b.get("capex_usd"))),
        ("Revenue, all years", format_usd(b.get("revenue_usd"))),
        ("Peak funding need", format_usd(b.get("peak_funding_usd"))),
        ("NPV", format_usd(b.get("npv_usd"))),
        ("IRR", _pct(b.get("irr_frac"))),
        ("Payback", _years(b.get("payback_yr"), horizon)),
        ("Discounted payback", _years(b.get("discounted_payback_yr"), horizon)),
        ("Cost per GPU-hour", format_quantity("cost_usd_per_gpu_h", b.get("cost_usd_per_gpu_h"))),
        ("Cost per million tokens", format_quantity("cost_usd_per_mtok", b.get("cost_usd_per_mtok"))),
        (
            "LCOE of the renewable supply",
            format_quantity("lcoe_usd_per_mwh", b.get("lcoe_renewables_usd_per_mwh")),
        ),
        ("Energy supply cost", format_quantity("supply_cost_usd_per_mwh", b.get("supply_cost_usd_per_mwh"))),
        ("Emissions, location-based", format_quantity("emissions_location_t", b.get("emissions_location_t"))),
    ]
    return RecordTable(headers=("Metric", "Value"), rows=tuple(rows))


# ------------------------------------------------------------------------------------ tables
def _fixed(value: Any, scale: float = 1.0, decimals: int = 0) -> str:
    """A number at a fixed scale and decimals (``–`` when missing), thousands separated."""
    return cell_number(value, decimals, scale)


def _plain(value: Any) -> str:
    """A number with about three significant digits (``–`` when missing)."""
    if is_missing(value):
        return "–"
    x = float(value)
    mag = abs(x)
    decimals = 0 if mag >= 100 or x == 0 else 1 if mag >= 10 else 2 if mag >= 1 else 3
    return f"{x:,.{decimals}f}"


def capex_table_records(results: Results) -> RecordTable | None:
    """The capex lines, each traceable to its source, with a total row.

    Columns: asset class, item, quantity and its unit, unit cost [USD], factor, capex
    [M USD], source. ``None`` without a ``capex`` table.
    """
    capex = results.tables.get("capex")
    if capex is None or not len(capex):
        return None
    rows = []
    for _, r in capex.iterrows():
        rows.append(
            (
                _item_label(str(r.get("asset_class", ""))),
                str(r.get("item", "")),
                _plain(r.get("quantity")),
                str(r.get("unit", "")),
                _plain(r.get("unit_cost_usd")),
                _fixed(r.get("factor"), decimals=3),
                _fixed(r.get("capex_usd"), 1e-6, 1),
                str(r.get("source", "")),
            )
        )
    total = float(capex["capex_usd"].sum())
    rows.append(("Total", "", "", "", "", "", _fixed(total, 1e-6, 1), format_usd(total)))
    headers = (
        "Asset class",
        "Item",
        "Quantity",
        "Unit",
        "Unit cost [USD]",
        "Factor",
        "Capex [M USD]",
        "Source",
    )
    return RecordTable(headers=headers, rows=tuple(rows))


#: build_out_years column → (header, scale, decimals).
_BUILD_OUT_COLUMNS = {
    "facility_power_mw": ("Facility [MW]", 1.0, 0),
    "gpus": ("GPUs", 1.0, 0),
    "facility_load_mwh": ("Facility energy [GWh]", 1e-3, 1),
    "hourly_cfe_score_frac": ("Hourly CFE [%]", 100.0, 1),
    "emissions_location_t": ("Emissions [kt CO2e]", 1e-3, 2),
    "revenue_usd": ("Revenue [M USD]", 1e-6, 0),
    "capex_usd": ("Capex [M USD]", 1e-6, 0),
    "free_cash_flow_usd": ("Free cash flow [M USD]", 1e-6, 0),
    "cumulative_cash_usd": ("Cumulative cash [M USD]", 1e-6, 0),
}


def build_out_headline_table(results: Results) -> RecordTable | None:
    """The build-out year by year: capacity, energy, CFE, emissions, and the money.

    One row per year of ``build_out_years`` (construction years first): year, phase,
    facility power [MW], GPUs, facility energy [GWh], hourly CFE score [%], location-based
    emissions [kt CO2e], revenue, capex, free cash flow and cumulative cash [M USD].
    ``None`` without the build-out.
    """
    if not has_build_out(results):
        return None
    years = results.tables["build_out_years"]
    present = [k for k in _BUILD_OUT_COLUMNS if k in years]
    rows = []
    for _, r in years.iterrows():
        cells = [_fixed(r[k], _BUILD_OUT_COLUMNS[k][1], _BUILD_OUT_COLUMNS[k][2]) for k in present]
        rows.append((str(int(r["year"])), str(r.get("phase", "–")), *cells))
    headers = ("Year", "Phase", *(_BUILD_OUT_COLUMNS[k][0] for k in present))
    return RecordTable(headers=headers, rows=tuple(rows))


# ------------------------------------------------------------------------------------ charts
_ITEM_WORDS = {
    "it": "IT",
    "ppa": "PPA",
    "vom": "variable O&M",
    "power_cooling": "power & cooling",
    "sales_admin": "sales & admin",
    "wan": "WAN leases",
    "energy_assets": "energy assets",
}


def _item_label(item: str) -> str:
    """``capital_power_cooling`` → ``Capital: power & cooling``; ``staff`` → ``Staff``."""
    head, _, rest = item.partition("_")
    if head in ("capital", "energy") and rest:
        return f"{head.capitalize()}: {_ITEM_WORDS.get(rest, rest.replace('_', ' '))}"
    text = _ITEM_WORDS.get(item, item.replace("_", " "))
    return text[:1].upper() + text[1:]


def cost_breakdown_chart(results: Results) -> go.Figure:
    """Cost per GPU-hour by item [USD/GPU-h] as a waterfall that ends at the total.

    Items that cost nothing (e.g. energy assets under a PPA) are left out; the revenue per
    GPU-hour is drawn as a dashed line for comparison.
    """
    fig = go.Figure()
    costs = results.tables.get("cost_breakdown")
    e = results.summary.get("economics", {})
    if costs is not None and len(costs):
        shown = costs[costs["usd_per_gpu_h"].abs() > 0]
        labels = [_item_label(str(i)) for i in shown["item"]]
        values = shown["usd_per_gpu_h"].to_numpy(dtype=float)
        total = float(values.sum())
        fig.add_trace(
            go.Waterfall(
                x=[*labels, "Total"],
                y=[*values, total],
                measure=["relative"] * len(values) + ["total"],
                text=[f"{v:.2f}" for v in [*values, total]],
                textposition="outside",
                connector={"line": {"color": "#bbb", "width": 1}},
                increasing={"marker": {"color": "#1f6fb2"}},
                totals={"marker": {"color": "#d62728"}},
                name="Cost",
                hovertemplate="%{x}: %{y:.3f} USD/GPU-h<extra></extra>",
            )
        )
        revenue = e.get("revenue_usd_per_gpu_h")
        if not is_missing(revenue):
            fig.add_hline(
                y=float(revenue),
                line={"dash": "dash", "color": "#2ca02c"},
                annotation_text=f"revenue {float(revenue):.2f} USD/GPU-h",
                annotation_position="top left",
            )
    cost = e.get("cost_usd_per_gpu_h")
    title = "Cost per GPU-hour by item" + (f": {float(cost):.2f} USD/GPU-h" if not is_missing(cost) else "")
    fig.update_layout(
        title=title,
        yaxis_title="USD/GPU-h",
        height=440,
        showlegend=False,
        margin={"t": 60, "l": 60, "r": 20, "b": 110},
    )
    return fig


def _money_scale(values: np.ndarray) -> tuple[float, str]:
    """Scale and unit for an axis of money: bn USD from 1 bn, else M USD."""
    finite = np.abs(values[np.isfinite(values)])
    return (1e-9, "bn USD") if finite.size and finite.max() >= 1e9 else (1e-6, "M USD")


def _cash_frame(results: Results) -> tuple[pd.DataFrame | None, str]:
    for key, what in (
        ("build_out_cash_flows", "build-out"),
        ("cash_flows", "the run's phase at steady state"),
    ):
        frame = results.tables.get(key)
        if frame is not None and len(frame):
            return frame, what
    return None, ""


_CASH_BARS = (
    ("revenue_usd", "Revenue", "#2ca02c", 1.0),
    ("terminal_value_usd", "Terminal value", "#98df8a", 1.0),
    ("opex_usd", "Opex", "#ff7f0e", -1.0),
    ("tax_usd", "Tax", "#bcbd22", -1.0),
    ("capex_usd", "Capex", "#1f6fb2", -1.0),
)


def cash_flow_chart(results: Results) -> go.Figure:
    """Cash flows by year: revenue up, opex, tax and capex down, free cash flow and cumulative cash.

    Uses ``build_out_cash_flows`` when the run carries the build-out, else ``cash_flows``.
    The stacked bars of a year add up to its free cash flow (the diamond).
    """
    fig = go.Figure()
    frame, what = _cash_frame(results)
    unit = "USD"
    if frame is not None:
        money = [c for c, *_ in _CASH_BARS if c in frame] + ["free_cash_flow_usd", "cumulative_cash_usd"]
        scale, unit = _money_scale(frame[[c for c in money if c in frame]].to_numpy(dtype=float).ravel())
        years = frame["year"].astype(int)
        for col, name, color, sign in _CASH_BARS:
            if col in frame and frame[col].abs().sum() > 0:
                fig.add_trace(go.Bar(x=years, y=sign * frame[col] * scale, name=name, marker_color=color))
        if "free_cash_flow_usd" in frame:
            fig.add_trace(
                go.Scatter(
                    x=years,
                    y=frame["free_cash_flow_usd"] * scale,
                    name="Free cash flow",
                    mode="markers",
                    marker={"symbol": "diamond", "size": 9, "color": "black"},
                )
            )
        if "cumulative_cash_usd" in frame:
            fig.add_trace(
                go.Scatter(
                    x=years,
                    y=frame["cumulative_cash_usd"] * scale,
                    name="Cumulative cash",
                    mode="lines+markers",
                    line={"color": "#d62728", "width": 2},
                )
            )
    fig.update_layout(
        title=f"Cash flows by year — {what}" if what else "Cash flows by year",
        barmode="relative",
        yaxis_title=unit,
        xaxis={"dtick": 1},
        height=460,
        margin={"t": 100, "l": 60, "r": 20, "b": 50},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )
    return fig


def _add_capacity(fig: go.Figure, years: pd.DataFrame) -> None:
    x = years["year"].astype(int)
    fig.add_trace(
        go.Bar(x=x, y=years["facility_power_mw"], name="Facility power [MW]", marker_color="#1f6fb2"),
        row=1,
        col=1,
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(x=x, y=years["gpus"], name="GPUs", mode="lines+markers", line={"color": "#9467bd"}),
        row=1,
        col=1,
        secondary_y=True,
    )


def _add_energy(fig: go.Figure, years: pd.DataFrame) -> None:
    x = years["year"].astype(int)
    for col, name, color in (
        ("solar_mwh", "Solar", "#f2b701"),
        ("wind_mwh", "Wind", "#3a9d5d"),
        ("grid_import_mwh", "Grid import", "#7f7f7f"),
    ):
        if col in years:
            fig.add_trace(
                go.Bar(x=x, y=years[col] * 1e-3, name=f"{name} [GWh]", marker_color=color),
                row=1,
                col=2,
                secondary_y=False,
            )
    if "emissions_location_t" in years:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=years["emissions_location_t"] * 1e-3,
                name="Emissions [kt CO2e]",
                mode="lines+markers",
                line={"color": "#8c564b"},
            ),
            row=1,
            col=2,
            secondary_y=True,
        )


def _add_money(fig: go.Figure, years: pd.DataFrame) -> str:
    x = years["year"].astype(int)
    cols = [c for c in ("revenue_usd", "ebitda_usd", "cumulative_cash_usd") if c in years]
    scale, unit = _money_scale(years[cols].to_numpy(dtype=float).ravel())
    if "revenue_usd" in years:
        revenue = go.Bar(
            x=x, y=years["revenue_usd"] * scale, name=f"Revenue [{unit}]", marker_color="#2ca02c"
        )
        fig.add_trace(revenue, row=2, col=1)
    if "ebitda_usd" in years:
        ebitda = go.Scatter(
            x=x,
            y=years["ebitda_usd"] * scale,
            name=f"EBITDA [{unit}]",
            mode="lines+markers",
            line={"color": "#17becf"},
        )
        fig.add_trace(ebitda, row=2, col=1)
    if "cumulative_cash_usd" in years:
        cash = years["cumulative_cash_usd"] * scale
        fig.add_trace(
            go.Scatter(
                x=x,
                y=cash,
                name=f"Cumulative cash [{unit}]",
                mode="lines+markers",
                line={"color": "#d62728"},
                fill="tozeroy",
            ),
            row=2,
            col=2,
        )
    return unit


def build_out_chart(results: Results) -> go.Figure:
    """The build-out year by year, four panels.

    Capacity (facility power [MW], GPUs); energy supply [GWh] and location-based emissions
    [kt CO2e]; revenue and EBITDA; cumulative cash position (the dip is the funding need).
    """
    fig = make_subplots(
        rows=2,
        cols=2,
        specs=[[{"secondary_y": True}, {"secondary_y": True}], [{}, {}]],
        subplot_titles=("Capacity", "Energy supply and emissions", "Revenue and EBITDA", "Cash position"),
        vertical_spacing=0.14,
        horizontal_spacing=0.16,
    )
    unit = "USD"
    if has_build_out(results):
        years = results.tables["build_out_years"]
        if {"facility_power_mw", "gpus"} <= set(years.columns):
            _add_capacity(fig, years)
        _add_energy(fig, years)
        unit = _add_money(fig, years)
        fig.update_xaxes(range=[float(years["year"].min()) - 0.5, float(years["year"].max()) + 0.5])
    fig.update_yaxes(title_text="MW", row=1, col=1, secondary_y=False)
    fig.update_yaxes(title_text="GPUs", row=1, col=1, secondary_y=True, showgrid=False, rangemode="tozero")
    fig.update_yaxes(title_text="GWh", row=1, col=2, secondary_y=False)
    fig.update_yaxes(title_text="kt CO2e", row=1, col=2, secondary_y=True, showgrid=False, rangemode="tozero")
    fig.update_yaxes(title_text=unit, row=2, col=1)
    fig.update_yaxes(title_text=unit, row=2, col=2)
    fig.update_xaxes(dtick=2)
    fig.update_layout(
        title="Build-out year by year",
        barmode="stack",
        height=800,
        margin={"t": 70, "l": 60, "r": 60, "b": 120},
        legend={"orientation": "h", "y": -0.08, "yanchor": "top"},
    )
    return fig


_DRIVER_LABELS = {
    "prices": "Selling prices (GPU-hours, tokens, storage)",
    "utilisation": "GPU-hours and tokens delivered",
    "capex": "Capex unit costs (racks, M&E, building)",
    "energy_prices": "Energy prices (PPA, grid)",
    "wacc": "WACC",
}


def _sensitivity_frame(results: Results) -> pd.DataFrame | None:
    """The build-out's sensitivity when present, else the run's."""
    for name in ("build_out_sensitivity", "economics_sensitivity"):
        frame = results.tables.get(name)
        if frame is not None and len(frame):
            return frame
    return None


def sensitivity_records(results: Results) -> RecordTable | None:
    """What moves the value: NPV, IRR and payback with each driver at its low and high.

    One row per driver (largest NPV swing first) after the base case, from
    ``build_out_sensitivity`` (the whole ramp) or else ``economics_sensitivity`` (the run's
    phase). ``None`` without either table.
    """
    frame = _sensitivity_frame(results)
    if frame is None:
        return None
    horizon = results.scenario.economics.horizon_yr
    rows = []
    for _, r in frame.iterrows():
        driver = str(r["driver"])
        label = "Base case" if driver == "base" else _DRIVER_LABELS.get(driver, driver)
        moves = "" if driver == "base" else f"{r['low']} / {r['high']}"
        pair = {
            "npv": [format_usd(r[f"npv_{side}_usd"]) for side in ("low", "high")],
            "irr": [_pct(r[f"irr_{side}_frac"]) for side in ("low", "high")],
            "payback": [_years(_finite(r[f"payback_{side}_yr"]), horizon) for side in ("low", "high")],
            "cost": [_fixed(r[f"cost_usd_per_gpu_h_{side}"], decimals=2) for side in ("low", "high")],
        }
        rows.append((label, moves, *(" / ".join(v) for v in pair.values())))
    headers = ("Driver", "Low / high", "NPV", "IRR", "Payback", "Cost [USD/GPU-h]")
    return RecordTable(headers=headers, rows=tuple(rows))


def _finite(value: Any) -> Any:
    return None if is_missing(value) or not math.isfinite(float(value)) else value


def sensitivity_chart(results: Results) -> go.Figure:
    """Tornado: NPV with each driver at its low and high, around the base case. [bn USD]"""
    frame = _sensitivity_frame(results)
    fig = go.Figure()
    if frame is None:
        return fig
    base = float(frame.loc[frame["driver"] == "base", "npv_low_usd"].iloc[0])
    drivers = frame[frame["driver"] != "base"].iloc[::-1]  # largest swing on top
    labels = [f"{_DRIVER_LABELS.get(d, d)} ({lo} / {hi})" for d, lo, hi in zip(
        drivers["driver"], drivers["low"], drivers["high"], strict=True
    )]  # fmt: skip
    for side, colour in (("low", "#1f77b4"), ("high", "#ff7f0e")):
        fig.add_bar(
            y=labels,
            x=(drivers[f"npv_{side}_usd"] - base) / 1e9,
            base=base / 1e9,
            orientation="h",
            name=f"driver at its {side}",
            marker_color=colour,
            hovertemplate="NPV %{x:.2f} bn USD<extra>%{y}</extra>",
        )
    fig.add_vline(x=base / 1e9, line_dash="dash", annotation_text=f"base NPV {base / 1e9:.2f} bn USD")
    scope = "the whole build-out" if "build_out_sensitivity" in results.tables else "the run's phase"
    fig.update_layout(
        title=f"What moves the NPV — {scope}, one driver at a time",
        barmode="overlay",
        xaxis_title="NPV [bn USD]",
        height=380,
        margin={"l": 330},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def build_out_phases_records(results: Results) -> RecordTable | None:
    """Each phase as a campus of its own (everything up to it built at once).

    From ``build_out_phases``: facility power [MW], GPUs, capex, cost per GPU-hour and per
    million tokens, revenue and EBITDA per year, NPV, IRR, payback, hourly CFE score.
    """
    frame = results.tables.get("build_out_phases")
    if frame is None or not len(frame):
        return None
    horizon = results.scenario.economics.horizon_yr
    rows = tuple(
        (
            str(r["phase"]),
            _fixed(r["facility_power_mw"]),
            _fixed(r["gpus"]),
            format_usd(r["capex_usd"]),
            _fixed(r["cost_usd_per_gpu_h"], decimals=2),
            _fixed(r["cost_usd_per_mtok"], decimals=3),
            format_usd(r["revenue_usd_per_yr"], "yr"),
            format_usd(r["ebitda_usd_per_yr"], "yr"),
            format_usd(r["npv_usd"]),
            _pct(r["irr_frac"]),
            _years(_finite(r["payback_yr"]), horizon),
            _pct(r["hourly_cfe_score_frac"]),
        )
        for _, r in frame.iterrows()
    )
    headers = (
        "Phase", "Facility [MW]", "GPUs", "Capex", "Cost [USD/GPU-h]", "Cost [USD/M tokens]", "Revenue",
        "EBITDA", "NPV", "IRR", "Payback", "Hourly CFE",
    )  # fmt: skip
    return RecordTable(headers=headers, rows=rows)


def economics_figures(results: Results) -> list[go.Figure]:
    """Every economics chart of the report, in order (the build-out chart only with a build-out)."""
    if not has_economics(results) and _cash_frame(results)[0] is None:
        return []
    figures = [cost_breakdown_chart(results), cash_flow_chart(results)]
    if _sensitivity_frame(results) is not None:
        figures.append(sensitivity_chart(results))
    if has_build_out(results):
        figures.append(build_out_chart(results))
    return figures
