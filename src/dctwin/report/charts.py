"""Report charts: pure functions from a run's time series to Plotly figures.

Two layers. Data functions (:func:`daily_energy_mwh`, :func:`monthly_energy_mwh`,
:func:`lowest_clean_week`, :func:`cfe_heatmap_matrix`, :func:`hourly_pue_temperature`)
take a site (or campus) frame indexed by ``time_utc`` and return tables; chart functions
(``*_chart``) turn those tables into :class:`plotly.graph_objects.Figure`;
:func:`report_figures` picks the frame of a site or of the campus out of a
:class:`~dctwin.results.model.Results` and returns the report's figures in order.

Every time axis is local wall-clock time (``scenario.time.report_timezone``); the UTC
instants of the run are converted here and nowhere else. Year-long charts are daily,
monthly or hourly aggregates; only the week chart is at the full step resolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dctwin.metrics import hourly_cfe, hourly_energy_mwh
from dctwin.results.model import Results
from dctwin.scenario.schema import Site

__all__ = [
    "CHART_TITLES",
    "TITLE_CFE_HEATMAP",
    "TITLE_ENERGY_BALANCE",
    "TITLE_MONTHLY_MIX",
    "TITLE_PUE",
    "TITLE_SOC",
    "TITLE_WEEK",
    "CleanWeek",
    "battery_energy_mwh",
    "battery_soc_chart",
    "cfe_heatmap_chart",
    "cfe_heatmap_matrix",
    "chart_layout",
    "daily_energy_mwh",
    "energy_balance_chart",
    "energy_unit",
    "flows_frame",
    "hourly_cfe_frame",
    "hourly_pue_temperature",
    "local_time",
    "lowest_clean_week",
    "monthly_energy_mwh",
    "monthly_mix_chart",
    "pue_temperature_chart",
    "report_figures",
    "week_chart",
]

TITLE_ENERGY_BALANCE = "Daily energy balance"
TITLE_WEEK = "Week with the lowest clean-supply share"
TITLE_CFE_HEATMAP = "Hourly CFE by day and local hour"
TITLE_PUE = "PUE against outdoor temperature"
TITLE_SOC = "Battery state of charge"
TITLE_MONTHLY_MIX = "Monthly supply mix"
#: The chart titles, in report order (each figure title starts with one of them).
CHART_TITLES = (
    TITLE_ENERGY_BALANCE,
    TITLE_WEEK,
    TITLE_CFE_HEATMAP,
    TITLE_PUE,
    TITLE_SOC,
    TITLE_MONTHLY_MIX,
)

#: Supply side of the energy balance: column → (legend name, colour).
SUPPLY = {
    "solar_mw": ("Solar", "#f2b701"),
    "wind_mw": ("Wind", "#3a8fd9"),
    "battery_discharge_mw": ("Battery discharge", "#7b4fbf"),
    "grid_import_mw": ("Grid import", "#8c8c8c"),
    "load_shed_mw": ("Load shed", "#d62728"),
}
#: Where supply above the facility load goes: column → (legend name, colour).
SURPLUS = {
    "battery_charge_mw": ("Battery charge", "#b39ddb"),
    "grid_export_mw": ("Grid export", "#2ca02c"),
    "curtailment_mw": ("Curtailment", "#e377c2"),
}
LOAD = ("facility_load_mw", "Facility load", "#111111")
_ENERGY_COLUMNS = [*SUPPLY, LOAD[0], *SURPLUS]
_MONTH_COLOURS = (
    "#1f4e9c", "#2f6fbf", "#3a9a8f", "#4caf50", "#9ccc3c", "#f2b701",
    "#f57c00", "#d84315", "#b23a48", "#8e5a3c", "#6d5a9c", "#3b3f8f",
)  # fmt: skip
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# ----------------------------------------------------------------------------- data
def local_time(index: pd.DatetimeIndex, tz: str) -> pd.DatetimeIndex:
    """Naive local wall-clock times of tz-aware instants (what the report's axes show).

    Examples
    --------
    >>> idx = pd.DatetimeIndex(["2028-01-20 12:00", "2028-01-24 12:00"], tz="UTC")
    >>> local_time(idx, "Africa/Casablanca").hour.tolist()  # UTC+1, then UTC+0 (Ramadan)
    [13, 12]
    """
    return index.tz_convert(tz).tz_localize(None)


def energy_unit(max_abs_mwh: float) -> tuple[str, float]:
    """Unit label and factor from MWh for energies up to ``max_abs_mwh``. [MWh]

    Examples
    --------
    >>> energy_unit(860.0), energy_unit(26_800.0)
    (('MWh', 1.0), ('GWh', 0.001))
    """
    return ("GWh", 1e-3) if max_abs_mwh >= 1e4 else ("MWh", 1.0)


def _energy_by(frame: pd.DataFrame, dt_h: float, keys: pd.Index) -> pd.DataFrame:
    energy = frame.reindex(columns=_ENERGY_COLUMNS, fill_value=0.0).astype(float) * dt_h
    out = energy.groupby(keys).sum()
    return out.rename(columns=lambda c: c.removesuffix("_mw") + "_mwh")


def daily_energy_mwh(frame: pd.DataFrame, dt_h: float, tz: str) -> pd.DataFrame:
    """Energy per local calendar day of the energy-balance flows.

    Parameters
    ----------
    frame
        Site or campus time series indexed by ``time_utc``, flows in MW.
    dt_h
        Step length. [h]
    tz
        IANA time zone of the report.

    Returns
    -------
    pandas.DataFrame
        Index: local midnight of each day; columns ``solar_mwh``, ``wind_mwh``,
        ``battery_discharge_mwh``, ``grid_import_mwh``, ``load_shed_mwh``,
        ``facility_load_mwh``, ``battery_charge_mwh``, ``grid_export_mwh``,
        ``curtailment_mwh`` (absent columns count as zero). [MWh]
    """
    days = local_time(pd.DatetimeIndex(frame.index), tz).normalize()
    return _energy_by(frame, dt_h, days.rename("date_local"))


def monthly_energy_mwh(frame: pd.DataFrame, dt_h: float, tz: str) -> pd.DataFrame:
    """Energy per local calendar month, columns as :func:`daily_energy_mwh`. [MWh]

    The index is a monthly :class:`pandas.PeriodIndex`.
    """
    months = local_time(pd.DatetimeIndex(frame.index), tz).to_period("M")
    return _energy_by(frame, dt_h, months.rename("month_local"))


@dataclass(frozen=True)
class CleanWeek:
    """The 7-day window with the lowest clean supply relative to load.

    Attributes
    ----------
    start_utc, end_utc
        Window start (inclusive) and end (exclusive), UTC.
    clean_share_frac
        Clean supply (solar + wind) ÷ facility load over the window. [frac]
    """

    start_utc: pd.Timestamp
    end_utc: pd.Timestamp
    clean_share_frac: float


def lowest_clean_week(frame: pd.DataFrame, dt_h: float, days: int = 7) -> CleanWeek:
    """The window of ``days`` days, starting on a day boundary of the run, with the lowest
    clean supply ÷ facility load.

    Parameters
    ----------
    frame
        Time series indexed by ``time_utc`` with ``facility_load_mw`` and either
        ``clean_supply_mw`` or ``solar_mw`` and ``wind_mw``.
    dt_h
        Step length. [h]
    days
        Window length; a run shorter than this gives the whole run. [d]

    Raises
    ------
    ValueError
        The frame is empty.
    """
    if frame.empty:
        raise ValueError("lowest_clean_week needs at least one step, got an empty frame")
    steps_per_day = max(1, round(24.0 / dt_h))
    n, window = len(frame), days * steps_per_day
    if "clean_supply_mw" in frame:
        clean = frame["clean_supply_mw"].to_numpy(float)
    else:
        solar_wind = frame.reindex(columns=["solar_mw", "wind_mw"], fill_value=0.0)
        clean = solar_wind.sum(axis=1).to_numpy(float)
    load = frame["facility_load_mw"].to_numpy(float)
    window = min(window, n)
    starts = np.arange(0, n - window + 1, steps_per_day)
    cum_clean = np.concatenate(([0.0], np.cumsum(clean)))
    cum_load = np.concatenate(([0.0], np.cumsum(load)))
    clean_w = cum_clean[starts + window] - cum_clean[starts]
    load_w = cum_load[starts + window] - cum_load[starts]
    share = np.where(load_w > 0, clean_w / np.where(load_w > 0, load_w, 1.0), np.inf)
    k = int(np.argmin(share))
    start = pd.Timestamp(frame.index[starts[k]])
    end = start + pd.Timedelta(hours=window * dt_h)
    return CleanWeek(start, end, float(share[k]) if np.isfinite(share[k]) else math.nan)


def cfe_heatmap_matrix(hourly: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Hourly CFE as a local hour-of-day × local day matrix.

    Parameters
    ----------
    hourly
        Output of :func:`dctwin.metrics.hourly_cfe` (``load_mwh``, ``cfe_mwh`` per UTC hour).
    tz
        IANA time zone of the report.

    Returns
    -------
    pandas.DataFrame
        Index hour 0–23, columns local days, values CFE [frac]. The local hour repeated
        when clocks go back holds the load-weighted mean of both hours; the hour skipped
        when clocks go forward, and hours outside the run, are NaN.
    """
    local = local_time(pd.DatetimeIndex(hourly.index), tz)
    keys = [local.normalize().rename("date_local"), pd.Index(local.hour, name="hour")]
    sums = hourly[["load_mwh", "cfe_mwh"]].groupby(keys).sum()
    frac = (sums["cfe_mwh"] / sums["load_mwh"].where(sums["load_mwh"] > 0)).fillna(1.0)
    matrix = frac.unstack("date_local").reindex(range(24))
    if matrix.shape[1]:
        dates = pd.date_range(matrix.columns.min(), matrix.columns.max(), freq="D")
        matrix = matrix.reindex(columns=dates)
    return matrix


def hourly_pue_temperature(frame: pd.DataFrame, dt_h: float) -> pd.DataFrame:
    """Hourly PUE (facility ÷ IT energy per UTC hour) and mean dry-bulb temperature.

    Hours without IT load are dropped. Columns ``temp_air_c`` [°C] and ``pue`` [–].
    """
    energy = hourly_energy_mwh(frame, dt_h, ["facility_load_mw", "it_load_mw"])
    temp = frame["temp_air_c"].groupby(pd.DatetimeIndex(frame.index).floor("h")).mean()
    it = energy["it_load_mwh"]
    pue = energy["facility_load_mwh"] / it.where(it > 0)
    return pd.DataFrame({"temp_air_c": temp, "pue": pue}).dropna()


# ------------------------------------------------------------------- results → data
def _site(results: Results, slug: str) -> Site:
    for site in results.scenario.sites:
        if site.name == slug:
            return site
    names = [s.name for s in results.scenario.sites]
    raise ValueError(f"site {slug!r} of the time series is not in the scenario's sites {names}")


def battery_energy_mwh(results: Results, site: str | None = None) -> float:
    """Battery energy capacity of a site (or the campus), from the summary, else the
    scenario's build-out up to the simulated phase. [MWh]"""
    summary = results.summary
    block = summary.get("sites", {}).get(site, {}) if site else summary.get("campus", {})
    if "battery_energy_mwh" in block:
        return float(block["battery_energy_mwh"])
    slugs = [site] if site else results.sites
    sites = [_site(results, s) for s in slugs]
    builds = [b for s in sites for b in results.scenario.builds_up_to_phase(s)]
    return float(sum(b.battery_energy_mwh for b in builds))


def flows_frame(results: Results, site: str | None = None) -> pd.DataFrame:
    """Time series of one site, or of the campus (flows summed over sites).

    The campus frame holds every ``*_mw`` column and ``battery_soc_mwh`` summed, and
    ``battery_soc_frac`` = Σ SoC ÷ Σ capacity (NaN without a battery). With one site,
    the campus frame is that site's frame.
    """
    if site is not None:
        return results.site_frame(site)
    if len(results.sites) == 1:
        return results.site_frame(results.sites[0])
    ts = results.timeseries
    cols = [c for c in ts.columns if c.endswith("_mw") or c == "battery_soc_mwh"]
    campus = ts.groupby("time_utc")[cols].sum()
    capacity = battery_energy_mwh(results)
    if "battery_soc_mwh" in campus and capacity > 0:
        campus["battery_soc_frac"] = campus["battery_soc_mwh"] / capacity
    else:
        campus["battery_soc_frac"] = np.nan
    return campus


def hourly_cfe_frame(results: Results, site: str | None = None) -> pd.DataFrame:
    """:func:`dctwin.metrics.hourly_cfe` of a site, or of the campus (load and CFE energy
    summed over sites, each site with its own grid clean share, then divided)."""
    slugs = [site] if site else results.sites
    dt_h = results.scenario.time.dt_h
    parts = []
    for slug in slugs:
        share = _site(results, slug).grid.clean_share_frac
        parts.append(hourly_cfe(results.site_frame(slug), dt_h, share))
    if len(parts) == 1:
        return parts[0]
    both = pd.concat([p[["load_mwh", "cfe_mwh"]] for p in parts]).groupby(level=0).sum()
    load = both["load_mwh"]
    both["cfe_frac"] = (both["cfe_mwh"] / load.where(load > 0)).fillna(1.0)
    return both


# --------------------------------------------------------------------------- charts
def chart_layout(fig: go.Figure, title: str, x_title: str, y_title: str, height: int = 450) -> go.Figure:
    """The report's common layout: title top left, legend above the plot, white template.

    Parameters
    ----------
    fig
        The figure, changed in place.
    title, x_title, y_title
        Title and axis titles (axis titles carry their unit, e.g. ``"MW"``).
    height
        Figure height. [px]

    Returns
    -------
    plotly.graph_objects.Figure
        ``fig``.
    """
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "y": 0.98, "yanchor": "top"},
        title_font_size=15,
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 100, "b": 50},
        legend={
            "orientation": "h",
            "y": 1.02,
            "yanchor": "bottom",
            "x": 0.0,
            "traceorder": "normal",
        },
        xaxis_title=x_title,
        yaxis_title=y_title,
    )
    return fig


def _message_figure(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": 18}
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return chart_layout(fig, title, "", "", height=220)


def _suffix(name: str) -> str:
    return f" — {name}" if name else ""


def _supply_columns(frame: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Supply flows to draw: load shed only when some load was shed."""
    shed = "load_shed_mw" in frame and bool((frame["load_shed_mw"] > 0).any())
    return {c: v for c, v in SUPPLY.items() if c != "load_shed_mw" or shed}


def energy_balance_chart(frame: pd.DataFrame, dt_h: float, tz: str, name: str = "") -> go.Figure:
    """Daily energy balance over the run (local days).

    Supply (solar, wind, battery discharge, grid import, load shed if any) is stacked above
    zero; the facility load is a line; what supply above the load went to (battery charge,
    grid export, curtailment) is stacked below zero. Unit MWh/day or GWh/day.
    """
    daily = daily_energy_mwh(frame, dt_h, tz)
    unit, factor = energy_unit(float(daily.abs().to_numpy().max(initial=0.0)))
    fig = go.Figure()
    x = daily.index
    for col, (label, colour) in _supply_columns(frame).items():
        y = daily[col.removesuffix("_mw") + "_mwh"] * factor
        fig.add_bar(x=x, y=y, name=label, marker_color=colour)
    for col, (label, colour) in SURPLUS.items():
        y = -daily[col.removesuffix("_mw") + "_mwh"] * factor
        fig.add_bar(x=x, y=y, name=label, marker_color=colour)
    fig.add_scatter(
        x=x, y=daily["facility_load_mwh"] * factor, name=LOAD[1], mode="lines+markers",
        line={"color": LOAD[2], "width": 2}, marker={"size": 3},
    )  # fmt: skip
    fig.update_layout(barmode="relative", bargap=0.05, hovermode="x unified")
    title = f"{TITLE_ENERGY_BALANCE}{_suffix(name)}"
    return chart_layout(fig, title, f"local day ({tz})", f"energy [{unit}/day]")


def week_chart(frame: pd.DataFrame, dt_h: float, tz: str, name: str = "") -> go.Figure:
    """The week with the lowest clean-supply share at full step resolution (power, MW).

    Supply stacked as areas, facility load as a line, battery charge, grid export and
    curtailment as dashed lines; range slider and 1-day / 3-day / all buttons.
    """
    week = lowest_clean_week(frame, dt_h)
    index = pd.DatetimeIndex(frame.index)
    part = frame[(index >= week.start_utc) & (index < week.end_utc)]
    x = local_time(pd.DatetimeIndex(part.index), tz)
    fig = go.Figure()
    for col, (label, colour) in _supply_columns(frame).items():
        fig.add_scatter(
            x=x, y=part[col], name=label, stackgroup="supply", fillcolor=colour,
            line={"color": colour, "width": 0.5, "shape": "hv"},
        )  # fmt: skip
    load_line = {"color": LOAD[2], "width": 2, "shape": "hv"}
    fig.add_scatter(x=x, y=part[LOAD[0]], name=LOAD[1], line=load_line)
    for col, (label, colour) in SURPLUS.items():
        if col in part:
            line = {"color": colour, "width": 1.5, "dash": "dot", "shape": "hv"}
            fig.add_scatter(x=x, y=part[col], name=label, line=line)
    first, last = x.min(), x.max()
    title = (
        f"{TITLE_WEEK}{_suffix(name)}: {first:%d %b %Y} – {last:%d %b %Y}, "
        f"clean supply = {week.clean_share_frac:.0%} of load"
    )
    buttons = [
        {"count": 1, "label": "1 d", "step": "day", "stepmode": "backward"},
        {"count": 3, "label": "3 d", "step": "day", "stepmode": "backward"},
        {"step": "all", "label": "week"},
    ]
    selector = {"buttons": buttons, "x": 1.0, "xanchor": "right", "y": 1.02, "yanchor": "bottom"}
    fig.update_xaxes(rangeslider={"visible": True, "thickness": 0.12}, rangeselector=selector)
    fig.update_layout(hovermode="x unified")
    return chart_layout(fig, title, f"local time ({tz})", "power [MW]", height=540)


def cfe_heatmap_chart(hourly: pd.DataFrame, tz: str, name: str = "") -> go.Figure:
    """Heat-map of hourly CFE (0–100 %): local day on x, local hour of day on y.

    ``hourly`` is :func:`dctwin.metrics.hourly_cfe` output (see :func:`cfe_heatmap_matrix`).
    """
    matrix = cfe_heatmap_matrix(hourly, tz)
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=matrix.columns,
            y=matrix.index,
            zmin=0.0,
            zmax=1.0,
            colorscale="RdYlGn",
            colorbar={"title": {"text": "CFE"}, "tickformat": ".0%"},
            hovertemplate="%{x|%d %b %Y}, %{y}:00 local<br>CFE %{z:.1%}<extra></extra>",
        )
    )
    fig.update_yaxes(dtick=3, range=[-0.5, 23.5])
    title = f"{TITLE_CFE_HEATMAP}{_suffix(name)}"
    return chart_layout(fig, title, f"local day ({tz})", "local hour of day")


def pue_temperature_chart(
    frame: pd.DataFrame, dt_h: float, tz: str, design_dry_bulb_c: float | None, name: str = ""
) -> go.Figure:
    """Hourly PUE against the hour's mean dry-bulb temperature, one colour per local month,
    with the cooling design dry-bulb as a dashed vertical line."""
    title = f"{TITLE_PUE}{_suffix(name)}"
    if not {"temp_air_c", "facility_load_mw", "it_load_mw"} <= set(frame.columns):
        return _message_figure(title, "no temperature or IT-load data")
    points = hourly_pue_temperature(frame, dt_h)
    months = local_time(pd.DatetimeIndex(points.index), tz).month
    fig = go.Figure()
    for month in sorted(set(months)):
        sel = points[months == month]
        fig.add_scatter(
            x=sel["temp_air_c"], y=sel["pue"], mode="markers", name=_MONTHS[month - 1],
            marker={"color": _MONTH_COLOURS[month - 1], "size": 4, "opacity": 0.6},
            hovertemplate="%{x:.1f} °C, PUE %{y:.3f}<extra>" + _MONTHS[month - 1] + "</extra>",
        )  # fmt: skip
    if design_dry_bulb_c is not None:
        fig.add_vline(
            x=design_dry_bulb_c, line={"dash": "dash", "color": "#c0392b"},
            annotation_text=f"design dry-bulb {design_dry_bulb_c:g} °C",
            annotation_position="top left",
        )  # fmt: skip
    return chart_layout(fig, title, "outdoor dry-bulb temperature [°C]", "PUE [–]")


def battery_soc_chart(
    frame: pd.DataFrame, dt_h: float, tz: str, battery_energy_mwh: float, name: str = ""
) -> go.Figure:
    """Battery state of charge at the end of each hour (``battery_soc_frac``), or a
    "no battery" message when the capacity is zero."""
    title = f"{TITLE_SOC}{_suffix(name)}"
    soc = frame.get("battery_soc_frac")
    if battery_energy_mwh <= 0 or soc is None or soc.isna().all():
        return _message_figure(f"{title}: no battery", "no battery")
    ends = pd.DatetimeIndex(soc.index) + pd.Timedelta(hours=dt_h)
    on_hour = (ends.minute == 0) & (ends.second == 0)
    x = local_time(ends[on_hour], tz)
    fig = go.Figure()
    fig.add_scatter(
        x=x, y=soc.to_numpy()[on_hour], name="state of charge", mode="lines",
        line={"color": SUPPLY["battery_discharge_mw"][1], "width": 1.2},
        hovertemplate="%{x|%d %b %H:%M}: %{y:.1%}<extra></extra>",
    )  # fmt: skip
    fig.update_yaxes(range=[0.0, 1.0], tickformat=".0%")
    fig.update_xaxes(rangeslider={"visible": True, "thickness": 0.08})
    title += f" ({battery_energy_mwh:,.0f} MWh)"
    return chart_layout(fig, title, f"local time, end of hour ({tz})", "state of charge", height=500)


def _month_labels(frame: pd.DataFrame, dt_h: float, tz: str) -> list[str]:
    """ "Mar 2028", with " (partial)" for months the run covers less than fully."""
    months = local_time(pd.DatetimeIndex(frame.index), tz).to_period("M")
    hours = pd.Series(dt_h, index=months).groupby(level=0).sum()
    # A full month may be an hour short when the clocks go forward.
    periods = pd.PeriodIndex(hours.index)
    return [
        p.strftime("%b %Y") + (" (partial)" if h < 24 * p.days_in_month - 1.5 else "")
        for p, h in zip(periods, hours.to_numpy(), strict=True)
    ]


def monthly_mix_chart(frame: pd.DataFrame, dt_h: float, tz: str, name: str = "") -> go.Figure:
    """Supply per local month as stacked bars (solar, wind, battery discharge, grid import,
    load shed if any) with the facility load as a line with markers. Months the run covers
    only in part (a run starting 00:00 UTC ends in the next local month) say "(partial)"."""
    monthly = monthly_energy_mwh(frame, dt_h, tz)
    supply = _supply_columns(frame)
    cols = [c.removesuffix("_mw") + "_mwh" for c in supply]
    top = float(monthly[[*cols, "facility_load_mwh"]].to_numpy().max(initial=0.0))
    unit, factor = energy_unit(top)
    x = _month_labels(frame, dt_h, tz)
    fig = go.Figure()
    for col, (label, colour) in zip(cols, supply.values(), strict=True):
        fig.add_bar(x=x, y=monthly[col] * factor, name=label, marker_color=colour)
    fig.add_scatter(
        x=x, y=monthly["facility_load_mwh"] * factor, name=LOAD[1], mode="lines+markers",
        line={"color": LOAD[2], "width": 2}, marker={"size": 8},
    )  # fmt: skip
    fig.update_layout(barmode="stack", hovermode="x unified")
    title = f"{TITLE_MONTHLY_MIX}{_suffix(name)}"
    return chart_layout(fig, title, f"local month ({tz})", f"energy [{unit}/month]")


def report_figures(results: Results, site: str | None = None) -> list[go.Figure]:
    """The report's figures for one site, or for the campus (``site=None``), in order.

    Energy balance, lowest-clean week, CFE heat-map, PUE against temperature (sites, and
    the campus of a single-site run: PUE and temperature do not add across sites),
    battery state of charge, monthly supply mix.
    """
    tz, dt_h = results.scenario.time.report_timezone, results.scenario.time.dt_h
    frame = flows_frame(results, site)
    one_site = site if site is not None else (results.sites[0] if len(results.sites) == 1 else None)
    name = (_site(results, one_site).display_name or one_site) if one_site else "Campus"
    figures = [
        energy_balance_chart(frame, dt_h, tz, name),
        week_chart(frame, dt_h, tz, name),
        cfe_heatmap_chart(hourly_cfe_frame(results, site), tz, name),
    ]
    if one_site is not None:
        design = _site(results, one_site).cooling.design_dry_bulb_c
        figures.append(pue_temperature_chart(frame, dt_h, tz, design, name))
    figures.append(battery_soc_chart(frame, dt_h, tz, battery_energy_mwh(results, site), name))
    figures.append(monthly_mix_chart(frame, dt_h, tz, name))
    return figures
