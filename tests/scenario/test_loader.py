"""Scenario loading and validation: every malformed input is rejected with a message that
names the field path, shows the value with its unit, and says how to fix it."""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from dctwin.errors import CatalogError, ScenarioError
from dctwin.scenario import (
    builtin_scenario_names,
    builtin_scenario_text,
    hardware_catalog,
    load_scenario,
    scenario_from_dict,
    scenario_to_toml,
)
from dctwin.scenario.schema import Scenario


def base() -> dict[str, Any]:
    return tomllib.loads(builtin_scenario_text("morocco-500mw"))


def test_builtin_scenarios_are_listed_and_valid() -> None:
    names = builtin_scenario_names()
    assert names == ["morocco-2026-plan", "morocco-500mw"]
    for name in names:
        sc = load_scenario(name)
        assert sc.name == name


def test_default_scenario_matches_the_announcement() -> None:
    """seed-system.md S1–S3: 500 MW campus, phase 1 = 40 MW of GB200 NVL72 from Q4 2025."""
    sc = load_scenario("morocco-500mw")
    north = sc.sites[0]
    assert sum(b.facility_power_mw for b in north.builds) == pytest.approx(500.0)
    first = north.builds[0]
    assert (first.phase, first.hardware, first.facility_power_mw) == ("phase-1", "gb200-nvl72", 40.0)
    assert sc.phase == "phase-1"
    assert sc.phases[0].online_date.year == 2025 and sc.phases[0].online_date.month >= 10


def test_2026_plan_has_two_sites_of_16_and_20_mw() -> None:
    """facts.md §1: GITEX Africa 2026 MoU — 16 MW at Nouaceur, +20 MW in the north."""
    sc = load_scenario("morocco-2026-plan")
    mw = {s.name: sum(b.facility_power_mw for b in s.builds) for s in sc.sites}
    assert mw == {"nouaceur": 16.0, "north": 20.0}


def test_every_value_in_builtin_scenario_files_cites_a_source() -> None:
    """Non-negotiable 4: every default value cites its source next to it."""
    for name in [*builtin_scenario_names(), "hardware", "costs"]:
        text = (Path(__file__).parents[2] / "src/dctwin/scenario/data" / f"{name}.toml").read_text()
        for number, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            key = stripped.split("=", 1)[0].strip()
            if re.match(r"^[A-Za-z_][\w-]*\s*=", stripped) and key not in {"display_name", "gpu_model"}:
                assert "#" in stripped.split("=", 1)[1], f"{name}.toml:{number} has no source comment: {line}"


def test_every_schema_default_cites_a_source_and_unit() -> None:
    """Every field with a default carries its unit and the source of the default."""
    missing = []

    def walk(model: type, prefix: str) -> None:
        for fname, field in model.model_fields.items():  # type: ignore[attr-defined]
            path = f"{prefix}{fname}"
            inner = getattr(field.annotation, "model_fields", None)
            if inner is not None:
                walk(field.annotation, path + ".")
                continue
            args = getattr(field.annotation, "__args__", ()) or ()
            nested = [a for a in args if hasattr(a, "model_fields")]
            for a in nested:
                walk(a, path + "[].")
            if nested or field.is_required() or fname in {"display_name", "description", "sources"}:
                continue
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            if not extra.get("source") or not extra.get("unit"):
                missing.append(path)

    walk(Scenario, "")
    assert missing == []


def test_resolved_scenario_round_trips_through_toml(tmp_path: Path) -> None:
    sc = load_scenario("morocco-2026-plan")
    path = tmp_path / "resolved.toml"
    path.write_text(scenario_to_toml(sc))
    again = load_scenario(path)
    assert again == sc


def test_overrides_apply_dotted_paths() -> None:
    sc = load_scenario("morocco-500mw", phase="phase-2", **{"time.step": "15min", "time.duration_days": 7})
    assert (sc.phase, sc.time.step, sc.time.duration_days, sc.time.dt_h) == ("phase-2", "15min", 7, 0.25)


def test_hardware_catalog_reference_unit() -> None:
    """facts.md §3.1 (NVIDIA DGX SuperPOD GB200 RA): 8 NVL72 racks = 576 GPUs = 1.2 MW."""
    gb200 = hardware_catalog()["gb200-nvl72"]
    su_racks = gb200.racks_per_scalable_unit
    assert su_racks * gb200.gpus_per_rack == 576
    assert su_racks * gb200.it_power_per_rack_kw == pytest.approx(1200.0)


def test_hardware_catalog_has_the_required_systems() -> None:
    names = set(hardware_catalog())
    assert {"gb200-nvl72", "gb300-nvl72", "dgx-b200", "hgx-b200", "dgx-b300", "dgx-h100"} <= names
    h100 = hardware_catalog()["dgx-h100"]
    assert h100.dense_fp4_pflops_per_gpu is None  # Hopper has no FP4


def test_scenario_can_add_hardware() -> None:
    data = base()
    entry = hardware_catalog()["gb200-nvl72"].model_dump()
    entry["gpu_tdp_w"] = 1000.0
    data["hardware"] = {"gb200-maxq": entry}
    data["sites"][0]["builds"][0]["hardware"] = "gb200-maxq"
    with pytest.raises(
        ScenarioError,
        match=r"sites\[0\]\.builds\[0\]\.hardware: no rack price .*economics\.hardware\.gb200-maxq",
    ):
        scenario_from_dict(data)
    data["economics"] = {"hardware": {"gb200-maxq": {"rack_usd": 3.0e6}}}
    with pytest.raises(ScenarioError, match=r"no GPU-hour price .*services\.on_demand_usd_per_gpu_h"):
        scenario_from_dict(data)
    data["services"] = {"on_demand_usd_per_gpu_h": {"gb200-maxq": 9.5}}
    sc = scenario_from_dict(data)
    assert hardware_catalog(sc)["gb200-maxq"].gpu_tdp_w == 1000.0
    assert sc.economics.rack_usd("gb200-maxq") == 3.0e6
    assert sc.economics.rack_usd("gb200-nvl72") > 0  # the catalogue's entries stay


def test_repr_is_short() -> None:
    text = repr(load_scenario("morocco-500mw"))
    assert text.startswith("Scenario('morocco-500mw', phase='phase-1'") and len(text) < 120


# ----------------------------------------------------------------- malformed inputs
def _set(data: dict[str, Any], path: str, value: Any) -> None:
    node: Any = data
    parts = re.findall(r"[^.\[\]]+", path)
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    last = parts[-1]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value


def _delete(data: dict[str, Any], path: str) -> None:
    node: Any = data
    parts = re.findall(r"[^.\[\]]+", path)
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    del node[parts[-1]]


# (mutation path, value or DELETE, expected path in message, expected fragments)
DELETE = object()
MALFORMED: list[tuple[str, Any, str, list[str]]] = [
    (
        "sites[0].battery.round_trip_efficiency_frac",
        87,
        "sites[0].battery.round_trip_efficiency_frac",
        ["≤ 1.0 frac", "87 frac", "did you mean 0.87"],
    ),
    ("sites[0].builds[0].battery_power_mw", -5.0, "sites[0].builds[0].battery_power_mw", ["≥ 0", "-5.0 MW"]),
    ("sites[0].builds[0].facility_power_mw", -40.0, "sites[0].builds[0].facility_power_mw", ["-40.0 MW"]),
    ("sites[0].latitude_deg", 135.6, "sites[0].latitude_deg", ["≤ 90", "135.6 deg"]),
    ("sites[0].longitude_deg", -200.0, "sites[0].longitude_deg", ["≥ -180"]),
    ("time.step", "10min", "time.step", ["'1h'", "'15min'", "'5min'"]),
    ("time.duration_days", 0, "time.duration_days", ["≥ 1", "0 d"]),
    ("time.duration_days", 400, "time.duration_days", ["≤ 366"]),
    ("time.report_timezone", "Mars/Olympus", "time.report_timezone", ["is not an IANA time zone"]),
    ("phase", "phase-9", "(scenario)", ["phase-9", "phase-1"]),
    ("sites[0].builds[0].phase", "phase-0", "(scenario)", ["unknown phase 'phase-0'"]),
    (
        "sites[0].builds[0].hardware",
        "gb200-nvl27",
        "sites[0].builds[0].hardware",
        ["did you mean 'gb200-nvl72'"],
    ),
    ("sites[0].wind.turbine_type", "V112/3451", "sites[0].wind.turbine_type", ["V112/3450"]),
    ("sites[0].battery.soc_min_frac", 0.97, "sites[0].battery", ["soc_min_frac", "soc_max_frac"]),
    ("sites[0].battery.initial_soc_frac", 0.01, "sites[0].battery", ["initial_soc_frac", "SoC window"]),
    ("sites[0].builds[0].battery_energy_mwh", 0.0, "sites[0] at phase-1", ["both be > 0 or both be 0"]),
    (
        "sites[0].weather.climate.monthly_temp_max_c",
        [20.0] * 11,
        "sites[0].weather.climate.monthly_temp_max_c",
        ["at least 12"],
    ),
    (
        "sites[0].weather.climate.monthly_temp_min_c",
        [30.0] * 12,
        "sites[0].weather.climate",
        ["monthly_temp_min_c[0]", "above monthly_temp_max_c[0]"],
    ),
    ("sites[0].weather.source", "epw", "sites[0].weather", ["needs a 'path'"]),
    ("sites[0].weather.source", "era5", "sites[0].weather.source", ["'synthetic'", "'epw'"]),
    ("sites[0].batery", {"round_trip_efficiency_frac": 0.9}, "sites[0].batery", ["did you mean 'battery'"]),
    ("sites[0].solar.dc_ac_ratio", "high", "sites[0].solar.dc_ac_ratio", ["valid number", "'high'"]),
    ("sites[0].grid.clean_share_frac", 20, "sites[0].grid.clean_share_frac", ["did you mean 0.2"]),
    ("sites[0].cooling.electrical_loss_frac", 0.5, "sites[0].cooling.electrical_loss_frac", ["< 0.3"]),
    ("sites[0].name", "North Site", "sites[0].name", ["not a slug"]),
    ("workload.training_share_frac", 0.9, "workload", ["exceeds 1", "training_share_frac"]),
    ("sites", [], "sites", ["at least 1"]),
    ("seed", -1, "seed", ["≥ 0"]),
    ("sites[0].wind.hub_height_m", DELETE, "", []),  # deleting an optional field is fine → valid
    ("name", DELETE, "name", ["required but missing"]),
]


@pytest.mark.parametrize(
    ("path", "value", "where", "fragments"), MALFORMED, ids=[m[0] + "=" + repr(m[1])[:12] for m in MALFORMED]
)
def test_malformed_scenarios_are_rejected_clearly(
    path: str, value: Any, where: str, fragments: list[str]
) -> None:
    data = copy.deepcopy(base())
    if value is DELETE:
        _delete(data, path)
    else:
        _set(data, path, value)
    if not where:
        scenario_from_dict(data)  # still valid
        return
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    message = str(info.value)
    assert where in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "\n" not in message  # one line for the CLI


def test_at_least_twenty_malformed_cases() -> None:
    assert sum(1 for m in MALFORMED if m[2]) >= 20


def test_several_problems_are_reported_together() -> None:
    data = base()
    data["seed"] = -3
    data["time"]["step"] = "2h"
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data)
    message = str(info.value)
    assert "2 problems" in message and "seed" in message and "time.step" in message


def test_missing_file_and_bad_syntax(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 'x'\nseed = \n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(bad)
    with pytest.raises(CatalogError, match="did you mean 'morocco-500mw'"):
        load_scenario("morocco-500")


def test_relative_weather_path_resolves_against_the_scenario_file(tmp_path: Path) -> None:
    data = base()
    data["sites"][0]["weather"] = {"source": "epw", "path": "weather/site.epw"}
    (tmp_path / "s.toml").write_text(tomli_w.dumps(data))
    sc = load_scenario(tmp_path / "s.toml")
    assert sc.sites[0].weather.path == str((tmp_path / "weather/site.epw").resolve())


@pytest.mark.parametrize(("path", "value", "where", "fragments"), [m for m in MALFORMED if m[2]],
                         ids=[m[0] for m in MALFORMED if m[2]])  # fmt: skip
def test_malformed_scenario_files_write_nothing(
    path: str,
    value: Any,
    where: str,
    fragments: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Through the CLI: exit 2, one line naming the field, and no results store created."""
    from dctwin.cli import main

    data = copy.deepcopy(base())
    if value is DELETE:
        _delete(data, path)
    else:
        _set(data, path, value)
    scenario_file = tmp_path / "campus.toml"
    scenario_file.write_text(tomli_w.dumps(data))
    store = tmp_path / "runs"
    assert main(["run", str(scenario_file), "--out", str(store)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and where in err and len(err.splitlines()) == 1
    assert not store.exists()
