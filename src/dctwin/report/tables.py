"""Summary tables: the unit-suffixed summary keys turned into labelled rows with units.

The unit of a row comes from the suffix of its key (``docs/conventions.md``), through one
small table of rules, :data:`UNIT_RULES`; the only per-key knowledge here is the order of
the headline rows, :data:`HEADLINE_KEYS`. Everything is a pure function of the summary.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dctwin.results.model import Results

__all__ = [
    "HEADLINE_KEYS",
    "MISSING",
    "UNIT_RULES",
    "RecordTable",
    "SummaryRow",
    "SummaryTable",
    "UnitRule",
    "cell_number",
    "fleet_table",
    "format_quantity",
    "format_row",
    "headline_rows",
    "is_missing",
    "label_for",
    "summary_table",
    "table_from_columns",
    "unit_rule",
]


#: What a table cell shows for a value that is not there (None, NaN, empty).
MISSING = "–"


def is_missing(value: Any) -> bool:
    """Whether a value is absent from a table's point of view: ``None``, ``""`` or NaN.

    Parameters
    ----------
    value
        Any cell value.

    Returns
    -------
    bool
    """
    if value is None or (isinstance(value, str) and not value):
        return True
    return isinstance(value, float | np.floating) and math.isnan(float(value))


def cell_number(value: Any, decimals: int = 1, scale: float = 1.0, inf_text: str = "∞") -> str:
    """A number for a table cell: thousands separated, a true minus sign, ``–`` if missing.

    Parameters
    ----------
    value
        A number (a string is shown as it is).
    decimals
        Decimals shown.
    scale
        Multiplier before formatting (e.g. 1e-6 for M USD). [1]
    inf_text
        What an infinite value shows (e.g. ``"unreachable"`` for an RTT).

    Returns
    -------
    str

    Examples
    --------
    >>> cell_number(-1267954062.4, 0, 1e-6), cell_number(None), cell_number(float("inf"), inf_text="n/a")
    ('−1,268', '–', 'n/a')
    """
    if is_missing(value):
        return MISSING
    if isinstance(value, str):
        return value
    x = float(value) * scale
    if math.isinf(x):
        return inf_text
    return f"{x:,.{decimals}f}".replace("-", "−")


@dataclass(frozen=True)
class UnitRule:
    """How to show the values of the keys matching ``pattern``.

    Attributes
    ----------
    pattern
        Regular expression searched in the key (anchor with ``$`` for suffixes).
    unit
        Unit label shown in the table (``"%"``, ``"MWh"``, ``"–"``, ...).
    scale
        Factor from the stored value to the shown one (``100`` for fractions).
    decimals
        Fixed number of decimals; ``None`` = about three significant digits.
    big_unit, big_scale, big_threshold
        Larger unit used for the whole row when its largest magnitude, in the base
        unit, reaches ``big_threshold`` (``MWh`` → ``GWh`` from 10,000 MWh).
    strip
        Drop the matched suffix from the row label (``grid_import_mwh`` → "Grid import").
    integer
        Counts: shown as integers with thousands separators.
    """

    pattern: str
    unit: str
    scale: float = 1.0
    decimals: int | None = None
    big_unit: str | None = None
    big_scale: float = 1.0
    big_threshold: float = math.inf
    strip: bool = True
    integer: bool = False


#: Suffix rules, first match wins (so ``_kg_per_mwh`` precedes ``_mwh``).
UNIT_RULES: tuple[UnitRule, ...] = (
    UnitRule(r"^pue(_|$)", "–", decimals=3, strip=False),
    UnitRule(r"capacity_factor$", "%", scale=100.0, decimals=1, strip=False),
    UnitRule(r"_frac$", "%", scale=100.0, decimals=1),
    # money per unit and network/economics units (before _mwh, _gpu_h and _gpus match their tails)
    UnitRule(r"_usd_per_mwh$", "USD/MWh", decimals=1),
    UnitRule(r"_usd_per_gpu_h$", "USD/GPU-h", decimals=2),
    UnitRule(r"_usd_per_mtok$", "USD/M tokens", decimals=3),
    UnitRule(r"_usd_per_gpu$", "USD/GPU", decimals=0),
    UnitRule(r"_usd_per_yr$", "USD/yr", decimals=0, big_unit="M USD/yr", big_scale=1e-6, big_threshold=1e7),
    UnitRule(r"(^|_)gpu_h_per_yr$", "GPU·h/yr", big_unit="M GPU·h/yr", big_scale=1e-6, big_threshold=1e7),
    UnitRule(
        r"(^|_)tokens_per_yr$", "tokens/yr", big_unit="T tokens/yr", big_scale=1e-12, big_threshold=1e12
    ),
    UnitRule(r"_gbps$", "Gb/s", decimals=0),
    UnitRule(r"_km$", "km", decimals=0),
    UnitRule(r"_yr$", "yr", decimals=1),
    UnitRule(r"_kg_per_mwh$", "kg CO2e/MWh", decimals=0),
    UnitRule(r"_kwh_per_kwp$", "kWh/kWp", decimals=0),
    UnitRule(r"_l_per_kwh$", "L/kWh", decimals=3),
    UnitRule(r"_l_per_h$", "L/h"),
    UnitRule(r"_mwh$", "MWh", big_unit="GWh", big_scale=1e-3, big_threshold=1e4),
    UnitRule(r"_gwh$", "GWh"),
    UnitRule(r"_kwh$", "kWh"),
    UnitRule(r"_mw$", "MW", big_unit="GW", big_scale=1e-3, big_threshold=1e4),
    UnitRule(r"_kwp$", "kWp", big_unit="MWp", big_scale=1e-3, big_threshold=1e4),
    UnitRule(r"_kw$", "kW"),
    UnitRule(r"_t$", "t CO2e", big_unit="kt CO2e", big_scale=1e-3, big_threshold=1e5),
    UnitRule(r"_l$", "L", big_unit="m³", big_scale=1e-3, big_threshold=1e4),
    UnitRule(r"_c$", "°C", decimals=1),
    UnitRule(r"_k$", "K", decimals=1),
    UnitRule(r"_gpu_h$", "GPU·h", decimals=0, big_unit="M GPU·h", big_scale=1e-6, big_threshold=1e7),
    UnitRule(r"_gpus$", "GPUs", integer=True),
    UnitRule(r"_per_s$", "/s", decimals=1),
    UnitRule(r"_ms$", "ms", decimals=0),
    UnitRule(r"_h$", "h", decimals=0),
    UnitRule(r"_d$", "d", decimals=0),
    UnitRule(r"_s$", "s", decimals=2, big_unit="h", big_scale=1 / 3600.0, big_threshold=1e4),
    UnitRule(r"(^jobs_|_jobs$|^preemptions$|^restarts$|_events$)", "", integer=True, strip=False),
    UnitRule(r"_usd$", "USD", decimals=0),
    UnitRule(r"_pflops$", "PFLOP/s", decimals=0),
    UnitRule(r"_ratio$", "–", decimals=2, strip=False),
    UnitRule(r"_cycles$", "cycles", decimals=1, strip=False),
    UnitRule(r"^(gpus|racks|sites)$", "", integer=True, strip=False),
)
_FALLBACK = UnitRule(r"", "–", strip=False)

#: Headline rows, in this order; every other scalar key follows in summary order.
HEADLINE_KEYS: tuple[str, ...] = (
    "gpus",
    "racks",
    "it_capacity_mw",
    "facility_power_mw",
    "hourly_cfe_score_frac",
    "annual_renewable_share_frac",
    "hours_fully_clean_h",
    "hours_fully_clean_frac",
    "pue_annual",
    "pue_min",
    "pue_max",
    "facility_load_mwh",
    "it_load_mwh",
    "solar_mwh",
    "wind_mwh",
    "grid_import_mwh",
    "grid_export_mwh",
    "curtailment_mwh",
    "curtailment_frac",
    "emissions_location_t",
    "emissions_market_t",
    "water_l",
    "wue_l_per_kwh",
    "solar_capacity_factor",
    "solar_specific_yield_kwh_per_kwp",
    "wind_capacity_factor",
    "it_load_factor_frac",
    "gpu_busy_share_mean_frac",
    "hours_above_design_dry_bulb_h",
    "hours_it_derated_h",
)

_WORDS = {
    "pue": "PUE",
    "cfe": "CFE",
    "wue": "WUE",
    "it": "IT",
    "gpu": "GPU",
    "gpus": "GPUs",
    "pv": "PV",
    "ac": "AC",
    "dc": "DC",
    "soc": "SoC",
    "bf16": "BF16",
    "fp8": "FP8",
    "fp4": "FP4",
    "co2": "CO2",
    "jct": "JCT",
    "slo": "SLO",
    "ai": "AI",
    "ttft": "TTFT",
    "qos": "QoS",
    "rtt": "RTT",
}


@dataclass(frozen=True)
class SummaryRow:
    """One table row: the key, its label, its unit and one formatted value per column."""

    key: str
    label: str
    unit: str
    values: tuple[str, ...]
    headline: bool


@dataclass(frozen=True)
class SummaryTable:
    """Column headings and rows (headline rows first)."""

    columns: tuple[str, ...]
    rows: tuple[SummaryRow, ...]

    def row(self, key: str) -> SummaryRow:
        """The row of ``key``; raises ``KeyError`` naming the available keys."""
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(f"no row {key!r}; rows are {[r.key for r in self.rows]}")


@dataclass(frozen=True)
class RecordTable:
    """One row per record (e.g. per site and build step); headers carry the units."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def unit_rule(key: str) -> UnitRule:
    """The first rule of :data:`UNIT_RULES` whose pattern matches ``key``.

    Examples
    --------
    >>> unit_rule("grid_import_mwh").unit, unit_rule("carbon_intensity_kg_per_mwh").unit
    ('MWh', 'kg CO2e/MWh')
    """
    for rule in UNIT_RULES:
        if re.search(rule.pattern, key):
            return rule
    return _FALLBACK


def label_for(key: str) -> str:
    """Human label of a summary key: unit suffix dropped, acronyms kept.

    Examples
    --------
    >>> label_for("hourly_cfe_score_frac"), label_for("pue_annual"), label_for("curtailment_frac")
    ('Hourly CFE score', 'PUE annual', 'Curtailment (share)')
    """
    rule = unit_rule(key)
    stem = re.sub(rule.pattern, "", key) if rule.strip else key
    words = [_WORDS.get(w, w) for w in stem.split("_") if w]
    text = " ".join(words) or key
    if key.endswith("_frac") and not {"share", "score", "factor"} & set(stem.split("_")):
        text += " (share)"  # e.g. curtailment_mwh and curtailment_frac must not read alike
    return text[0].upper() + text[1:]


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def _number(x: float, decimals: int | None) -> str:
    if decimals is None:
        mag = abs(x)
        decimals = 0 if mag >= 100 or x == 0 else 1 if mag >= 10 else 2 if mag >= 1 else 3
    return f"{x:,.{decimals}f}"


def _format_one(value: Any, rule: UnitRule, scale: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    x = float(value)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if rule.integer:
        return f"{round(x):,d}"
    return _number(x * scale, rule.decimals)


def format_row(key: str, values: Sequence[Any]) -> tuple[str, list[str]]:
    """Unit label and formatted values of one row.

    The larger unit (GWh, m³, ...) is chosen for the whole row from its largest magnitude,
    so that the columns of a row are comparable.

    Parameters
    ----------
    key
        Summary key (unit-suffixed).
    values
        One raw value per column (``None`` = missing, shown as "—").

    Returns
    -------
    tuple
        ``(unit, [formatted value, ...])``.

    Examples
    --------
    >>> format_row("grid_import_mwh", [12345.0, 800.0])
    ('GWh', ['12.3', '0.800'])
    >>> format_row("hourly_cfe_score_frac", [0.8512])
    ('%', ['85.1'])
    """
    rule = unit_rule(key)
    finite = [float(v) for v in values if isinstance(v, int | float) and math.isfinite(float(v))]
    magnitudes = [abs(v) for v in finite]
    unit, scale = rule.unit, rule.scale
    if rule.big_unit and magnitudes and max(magnitudes) >= rule.big_threshold:
        unit, scale = rule.big_unit, rule.scale * rule.big_scale
    return unit, [_format_one(v, rule, scale) for v in values]


def format_quantity(key: str, value: Any) -> str:
    """One value with its unit, as shown in the report.

    Examples
    --------
    >>> format_quantity("emissions_location_t", 1234.5), format_quantity("pue_annual", 1.1234)
    ('1,234 t CO2e', '1.123')
    >>> format_quantity("solar_capacity_factor", 0.2346)
    '23.5 %'
    """
    unit, (text,) = format_row(key, [value])
    return f"{text} {unit}" if unit not in {"", "–"} and text != "—" else text


def headline_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(label, value with unit)`` of the headline keys present in one summary, in order.

    Examples
    --------
    >>> headline_rows({"pue_annual": 1.0912, "hourly_cfe_score_frac": 0.857, "other_mw": 1.0})
    [('Hourly CFE score', '85.7 %'), ('PUE annual', '1.091')]
    """
    return [(label_for(k), format_quantity(k, summary[k])) for k in HEADLINE_KEYS if k in summary]


def table_from_columns(columns: Mapping[str, Mapping[str, Any]]) -> SummaryTable:
    """A table with one column per mapping (e.g. campus and each site).

    Parameters
    ----------
    columns
        Column heading → summary dict. Non-scalar values (e.g. ``pue_monthly``) are
        left out; a key missing from a column is shown as "—".
    """
    keys: dict[str, None] = {}
    for summary in columns.values():
        keys.update({k: None for k, v in summary.items() if _is_scalar(v)})
    headline = [k for k in HEADLINE_KEYS if k in keys]
    rest = [k for k in keys if k not in HEADLINE_KEYS]
    rows = []
    for key in headline + rest:
        unit, values = format_row(key, [c.get(key) for c in columns.values()])
        rows.append(SummaryRow(key, label_for(key), unit, tuple(values), key in HEADLINE_KEYS))
    return SummaryTable(tuple(columns), tuple(rows))


def fleet_table(fleet: Mapping[str, Any]) -> RecordTable:
    """The fleet summary as a table: one row per site and build step.

    Parameters
    ----------
    fleet
        ``summary["fleet"]``: site slug → list of records (or one record), each a dict of
        unit-suffixed keys (``racks``, ``gpus``, ``it_capacity_mw``, ...).
    """
    records: list[dict[str, Any]] = []
    for site, entries in fleet.items():
        for entry in entries if isinstance(entries, list | tuple) else [entries]:
            if isinstance(entry, Mapping):
                records.append({"site": site, **entry})
    keys = list(dict.fromkeys(k for r in records for k, v in r.items() if _is_scalar(v)))
    headers, columns = [], []
    for key in keys:
        unit, values = format_row(key, [r.get(key) for r in records])
        headers.append(label_for(key) + (f" [{unit}]" if unit not in {"", "–"} else ""))
        columns.append(values)
    return RecordTable(tuple(headers), tuple(zip(*columns, strict=True)))


def _site_names(results: Results) -> dict[str, str]:
    names = {s.name: (s.display_name or s.name) for s in results.scenario.sites}
    return {slug: names.get(slug, slug) for slug in results.summary.get("sites", {})}


def summary_table(results: Results) -> SummaryTable:
    """The report's summary table: campus, then one column per site when there are several.

    With a single site, the one column merges the campus and site summaries (the site
    summary carries more keys, e.g. capacity factors).
    """
    campus = dict(results.summary.get("campus", {}))
    sites: dict[str, dict[str, Any]] = results.summary.get("sites", {})
    names = _site_names(results)
    if len(sites) <= 1:
        merged = campus | next(iter(sites.values()), {})
        heading = names[next(iter(sites))] if sites else "Campus"
        return table_from_columns({heading: merged})
    return table_from_columns({"Campus": campus} | {names[s]: v for s, v in sites.items()})
