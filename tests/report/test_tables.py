"""Summary table: units from key suffixes, headline order, values traced to the summary."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dctwin.report.tables import (
    HEADLINE_KEYS,
    fleet_table,
    format_quantity,
    format_row,
    headline_rows,
    label_for,
    summary_table,
    table_from_columns,
    unit_rule,
)


@pytest.mark.parametrize(
    ("key", "unit"),
    [
        ("grid_import_mwh", "MWh"),
        ("grid_carbon_intensity_kg_per_mwh", "kg CO2e/MWh"),
        ("carbon_intensity_location_kg_per_mwh", "kg CO2e/MWh"),
        ("solar_specific_yield_kwh_per_kwp", "kWh/kWp"),
        ("solar_dc_kwp", "kWp"),
        ("wue_l_per_kwh", "L/kWh"),
        ("water_l", "L"),
        ("hours_fully_clean_h", "h"),
        ("hourly_cfe_score_frac", "%"),
        ("solar_capacity_factor", "%"),
        ("wind_capacity_factor", "%"),
        ("pue_annual", "–"),
        ("pue_max", "–"),
        ("emissions_market_t", "t CO2e"),
        ("it_capacity_mw", "MW"),
        ("temp_air_max_c", "°C"),
        ("renewable_to_load_ratio", "–"),
        ("gpus", ""),
        ("some_new_metric", "–"),
    ],
)
def test_unit_comes_from_the_key_suffix(key, unit):
    assert unit_rule(key).unit == unit


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("grid_import_mwh", "Grid import"),
        ("hourly_cfe_score_frac", "Hourly CFE score"),
        ("pue_annual", "PUE annual"),
        ("solar_dc_kwp", "Solar DC"),
        ("gpu_busy_share_mean_frac", "GPU busy share mean"),
        ("wind_capacity_factor", "Wind capacity factor"),
        ("emissions_location_t", "Emissions location"),
        ("gpus", "GPUs"),
    ],
)
def test_labels(key, label):
    assert label_for(key) == label


def test_fractions_shown_as_percent_and_big_energies_in_gwh():
    assert format_row("hourly_cfe_score_frac", [0.8512, 1.0]) == ("%", ["85.1", "100.0"])
    # One unit per row, chosen from the largest value of the row.
    assert format_row("grid_import_mwh", [25_000.0, 900.0]) == ("GWh", ["25.0", "0.900"])
    assert format_row("grid_import_mwh", [9_000.0, 900.0]) == ("MWh", ["9,000", "900"])
    assert format_row("water_l", [2.5e6]) == ("m³", ["2,500"])
    assert format_row("gpus", [13_752]) == ("", ["13,752"])
    assert format_quantity("emissions_location_t", 2356.4) == "2,356 t CO2e"
    assert format_quantity("pue_annual", 1.0904) == "1.090"
    assert format_quantity("solar_specific_yield_kwh_per_kwp", 1876.4) == "1,876 kWh/kWp"


def test_missing_and_non_finite_values():
    assert format_row("pue_min", [math.nan, None, 1.2]) == ("–", ["—", "—", "1.200"])
    assert format_row("renewable_to_load_ratio", [math.inf]) == ("–", ["∞"])
    assert format_quantity("pue_min", math.nan) == "—"


@given(st.floats(min_value=0.0, max_value=1e9, allow_nan=False))
def test_energy_round_trips_within_display_precision(value):
    unit, (text,) = format_row("facility_load_mwh", [value])
    shown = float(text.replace(",", "")) * (1000.0 if unit == "GWh" else 1.0)
    decimals = len(text.split(".")[1]) if "." in text else 0
    step = 10.0**-decimals * (1000.0 if unit == "GWh" else 1.0)
    assert abs(shown - value) <= step / 2 + 1e-9 * value
    assert unit == ("GWh" if value >= 1e4 else "MWh")


def test_two_site_table_columns_and_headline_order(two_sites):
    table = summary_table(two_sites)
    assert table.columns == ("Campus", "Nouaceur (Casablanca)", "Northern site (Tangier–Tetouan)")
    headline = [r.key for r in table.rows if r.headline]
    assert headline == [k for k in HEADLINE_KEYS if k in headline]
    assert headline[:5] == [
        "gpus",
        "racks",
        "it_capacity_mw",
        "facility_power_mw",
        "hourly_cfe_score_frac",
    ]
    first_other = next(i for i, r in enumerate(table.rows) if not r.headline)
    assert all(not r.headline for r in table.rows[first_other:])


def test_table_values_trace_to_the_summary(two_sites):
    table = summary_table(two_sites)
    campus, north = two_sites.summary["campus"], two_sites.summary["sites"]["north"]
    cfe = table.row("hourly_cfe_score_frac")
    assert cfe.unit == "%"
    assert cfe.values[0] == f"{campus['hourly_cfe_score_frac'] * 100:.1f}"
    assert cfe.values[2] == f"{north['hourly_cfe_score_frac'] * 100:.1f}"
    nouaceur = two_sites.summary["sites"]["nouaceur"]
    assert table.row("pue_annual").values[1] == f"{nouaceur['pue_annual']:.3f}"
    # A key only the sites carry is "—" in the campus column.
    assert table.row("temp_air_mean_c").values[0] == "—"
    solar_cf = campus["solar_mwh"] / (campus["solar_ac_mw"] * campus["period_h"])
    assert table.row("solar_capacity_factor").values[0] == f"{solar_cf * 100:.1f}"
    assert table.row("gpus").values[0] == f"{campus['gpus']:,d}"


def test_every_scalar_key_once_and_no_dicts(two_sites):
    table = summary_table(two_sites)
    keys = [r.key for r in table.rows]
    assert len(keys) == len(set(keys))
    summaries = [two_sites.summary["campus"], *two_sites.summary["sites"].values()]
    scalar = {k for s in summaries for k, v in s.items() if not isinstance(v, dict)}
    assert set(keys) == scalar
    assert "pue_monthly" not in keys


def test_single_site_table_merges_campus_and_site(no_battery):
    table = summary_table(no_battery)
    assert table.columns == ("Northern site (Tangier–Tetouan)",)
    site = no_battery.summary["sites"]["north"]
    expected = f"{site['wind_capacity_factor'] * 100:.1f}"
    assert table.row("wind_capacity_factor").values == (expected,)
    assert table.row("sites").values == ("1",)  # campus-only key kept
    assert table.row("battery_energy_mwh").values == ("0",)


def test_row_lookup_error_lists_rows():
    table = table_from_columns({"A": {"x_mw": 1.0}})
    with pytest.raises(KeyError, match="x_mw"):
        table.row("y_mw")


def test_headline_rows_for_one_summary(two_sites):
    campus = two_sites.summary["campus"]
    rows = headline_rows(campus)
    assert [label for label, _ in rows][:3] == ["GPUs", "Racks", "IT capacity"]
    assert ("Hourly CFE score", f"{campus['hourly_cfe_score_frac'] * 100:.1f} %") in rows
    assert ("Emissions location", f"{campus['emissions_location_t']:,.0f} t CO2e") in rows
    assert len(rows) == len([k for k in HEADLINE_KEYS if k in campus])


def test_fleet_table_one_row_per_site_and_build():
    fleet = {
        "nouaceur": [{"phase": "phase-1", "racks": 92, "gpus": 6624, "it_capacity_mw": 13.8}],
        "north": [
            {"phase": "phase-2", "racks": 99, "gpus": 7128, "it_capacity_mw": 17.325},
            {"phase": "phase-3", "racks": 10, "gpus": 720, "dense_bf16_pflops": 1800.0},
        ],
    }
    table = fleet_table(fleet)
    assert table.headers == (
        "Site", "Phase", "Racks", "GPUs", "IT capacity [MW]", "Dense BF16 [PFLOP/s]",
    )  # fmt: skip
    assert table.rows == (
        ("nouaceur", "phase-1", "92", "6,624", "13.8", "—"),
        ("north", "phase-2", "99", "7,128", "17.3", "—"),
        ("north", "phase-3", "10", "720", "—", "1,800"),
    )
