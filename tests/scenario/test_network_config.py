"""The network block of the scenario and the network data file: defaults that cite facts.md,
outages in UTC, and validation errors that name the path and the fix.

facts.md = ``shared/reference/facts.md`` (§5.1 cables, §5.2 propagation and inflation).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dctwin.errors import CatalogError, ScenarioError
from dctwin.network import great_circle_km
from dctwin.scenario.inference import load_regions
from dctwin.scenario.network import (
    NetworkConfig,
    Outage,
    load_network_data,
    network_data_from_dict,
    network_data_names,
)

DATA = Path(__file__).parents[2] / "src/dctwin/scenario/data/network"


def raw() -> dict[str, Any]:
    return tomllib.loads((DATA / "emea.toml").read_text(encoding="utf-8"))


def test_every_value_in_the_network_file_cites_a_source() -> None:
    """As tests/scenario/test_loader.py: every `key = value` line carries a trailing comment."""
    for name in network_data_names():
        text = (DATA / f"{name}.toml").read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            if re.match(r"^[A-Za-z_][\w-]*\s*=", stripped):
                assert "#" in stripped.split("=", 1)[1], f"network/{name}.toml:{number} has no source: {line}"


def test_defaults_follow_facts_5_2() -> None:
    cfg = NetworkConfig()
    assert cfg.fibre_us_per_km == 4.90  # facts.md §5.2
    assert cfg.inflation.terrestrial == 1.3  # facts.md §5.2, Bozkurt et al. best conduit
    assert cfg.rtt_budget_inflation == 2.1  # facts.md §5.2/§5.3 public Internet
    assert 2.0 <= cfg.route_overhead_ms <= 5.0  # facts.md §5.3 2–5 ms
    assert cfg.outages == []


def test_cable_route_factor_is_the_published_over_great_circle_ratio() -> None:
    """E: Σ published km / Σ great circle of the Moroccan cables with a published length
    (Atlas Offshore 1,634, Loukkos 187, MT West Africa North 814 km; facts.md §5.1) = 1.30."""
    data = load_network_data()
    where = {lnd.slug: (lnd.latitude_deg, lnd.longitude_deg) for lnd in data.landings}
    published = [(s.km, s.from_, s.to) for c in data.cables for s in c.segments if s.km is not None]
    assert sorted(km for km, _, _ in published) == [187.0, 814.0, 1634.0]
    gc = sum(great_circle_km(*where[a], *where[b]) for _, a, b in published)
    ratio = sum(km for km, _, _ in published) / gc
    assert ratio == pytest.approx(NetworkConfig().cable_route_factor, abs=0.01)


def test_mt_west_africa_south_trunk_fits_in_the_published_length() -> None:
    """facts.md §5.1: 8,600 km with 7 landings; our trunk at great circle × 1.30 is shorter (the
    remainder is branching to the landings) but of the same order."""
    data = load_network_data()
    where = {lnd.slug: (lnd.latitude_deg, lnd.longitude_deg) for lnd in data.landings}
    trunk = 1.30 * sum(
        great_circle_km(*where[s.from_], *where[s.to]) for s in data.cable("mtwa-south").segments
    )
    assert 0.75 * 8600 < trunk < 8600


def test_the_network_file_covers_the_16_cities_and_the_cables_of_facts_5_1() -> None:
    data = load_network_data()
    assert len(load_regions(data.regions)) == 18
    slugs = {c.slug for c in data.cables}
    assert {
        "atlas-offshore",
        "loukkos",
        "tetouan-estepona",
        "sea-me-we-3",
        "mtwa-north",
        "mtwa-south",
        "medusa",
    } <= slugs
    assert {lnd.slug for lnd in data.landings} >= {"asilah", "tetouan", "casablanca-cls", "nador"}
    assert "NetworkData(" in repr(data)


# ------------------------------------------------------------------------------------- outages
def test_outage_times_are_utc() -> None:
    day = Outage(cable="loukkos", start_utc=dt.date(2026, 3, 1), end_utc="2026-03-02")
    assert day.start_utc == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    naive = Outage(cable="loukkos", start_utc=dt.datetime(2026, 3, 1, 6), end_utc="2026-03-01T08:00")
    assert naive.start_utc.tzinfo is dt.UTC and naive.end_utc.hour == 8
    paris = dt.timezone(dt.timedelta(hours=1))
    aware = Outage(cable="loukkos", start_utc=dt.datetime(2026, 3, 1, 7, tzinfo=paris), end_utc="2026-03-02")
    assert aware.start_utc == dt.datetime(2026, 3, 1, 6, tzinfo=dt.UTC)
    assert "2026-03-01 06:00" in repr(aware)


def test_an_outage_that_ends_before_it_starts_says_to_swap() -> None:
    with pytest.raises(
        ValidationError, match=r"end_utc 2026-03-01 00:00 UTC must be after start_utc .*swap them"
    ):
        NetworkConfig(outages=[{"cable": "loukkos", "start_utc": "2026-03-02", "end_utc": "2026-03-01"}])


def test_an_unknown_cable_in_outages_names_the_path_and_suggests_the_name() -> None:
    with pytest.raises(
        ValidationError, match=r"outages\[1\]\.cable: unknown cable 'atlas'.*did you mean 'atlas-offshore'"
    ):
        NetworkConfig(
            outages=[
                {"cable": "loukkos", "start_utc": "2026-03-01", "end_utc": "2026-03-02"},
                {"cable": "atlas", "start_utc": "2026-03-01", "end_utc": "2026-03-02"},
            ]
        )


def test_an_unknown_city_in_the_rtt_budgets_suggests_the_name() -> None:
    with pytest.raises(ValidationError, match=r"rtt_budget_ms: unknown city 'pariss'; did you mean 'paris'"):
        NetworkConfig(rtt_budget_ms={"pariss": 50.0})
    with pytest.raises(ValidationError, match="must be finite and > 0 ms"):
        NetworkConfig(rtt_budget_ms={"paris": 0.0})
    with pytest.raises(ValidationError, match=r"must be finite and > 0 ms, got \{'paris': inf\}"):
        NetworkConfig(rtt_budget_ms={"paris": float("inf")})


def test_an_outage_of_a_cable_outside_the_graph_says_how_to_include_it() -> None:
    outage = {"cable": "sea-me-we-3", "start_utc": "2026-01-01", "end_utc": "2026-01-02"}
    with pytest.raises(ValidationError, match=r"outages\[0\]\.cable: cable 'sea-me-we-3' is retired"):
        NetworkConfig(outages=[outage])
    config = NetworkConfig(outages=[outage], include_status=("in_service", "retired"))
    assert config.outages[0].cable == "sea-me-we-3"


def test_an_unknown_network_data_name_lists_the_built_ins() -> None:
    with pytest.raises(ValidationError, match=r"data: no built-in network named 'emeaa'.*\['emea'\]"):
        NetworkConfig(data="emeaa")
    with pytest.raises(CatalogError, match="give the path of a TOML file"):
        load_network_data("nowhere.toml")


def test_a_network_file_can_be_given_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text((DATA / "emea.toml").read_text(encoding="utf-8"), encoding="utf-8")
    assert NetworkConfig(data=str(path)).data == str(path)
    assert len(load_network_data(str(path)).cables) == len(load_network_data().cables)


# ----------------------------------------------------------------------------- the data file
def test_an_unknown_landing_in_a_segment_names_the_entry_and_suggests_the_name() -> None:
    data = raw()
    data["cable"][0]["segment"][0]["to"] = "marseile-cls"
    with pytest.raises(
        ScenarioError,
        match=r"cable\[0\]\.segment\[0\]\.to: unknown landing 'marseile-cls'; did you mean 'marseille-cls'",
    ):
        network_data_from_dict(data, "network/emea.toml")


def test_an_unknown_node_in_a_link_says_how_to_name_nodes() -> None:
    data = raw()
    data["link"][0]["to"] = "city:casablnca"
    with pytest.raises(
        ScenarioError,
        match=r"link\[0\]\.to: unknown node 'city:casablnca'; did you mean 'city:casablanca'.*'landing:<s",
    ):
        network_data_from_dict(data)


def test_a_city_cut_off_from_the_network_is_named() -> None:
    data = raw()
    data["link"] = [link for link in data["link"] if link["to"] != "city:johannesburg"]
    with pytest.raises(
        ScenarioError, match=r"cities \['johannesburg'\] cannot be reached.*add a \[\[link\]\]"
    ):
        network_data_from_dict(data)


def test_duplicate_landings_and_bad_fields_are_named() -> None:
    data = raw()
    data["landing"].append(copy.deepcopy(data["landing"][0]))
    with pytest.raises(ScenarioError, match=r"landing\[\d+\]: duplicate landing slug 'asilah'"):
        network_data_from_dict(data)
    data = raw()
    data["cable"][1]["capacity_gbps"] = -1.0
    with pytest.raises(
        ScenarioError, match=r"cable\[1\]\.capacity_gbps: must be > 0\.0 Gb/s, got -1\.0 Gb/s"
    ):
        network_data_from_dict(data)
    data = raw()
    data["cable"][0]["segment"][0]["km"] = -1634.0
    with pytest.raises(ScenarioError, match=r"segment\[0\]\.km: must be > 0\.0 km, got -1634\.0 km; set"):
        network_data_from_dict(data)
    data = raw()
    del data["cable"][0]["capacity_gbps"]
    with pytest.raises(
        ScenarioError, match=r"cable\[0\]\.capacity_gbps: is required but missing; add it to the file"
    ):
        network_data_from_dict(data)
    data = raw()
    data["cable"][0]["segment"][0]["kms"] = 1.0
    with pytest.raises(
        ScenarioError, match=r"cable\[0\]\.segment\[0\]\.kms: unknown field 'kms'; did you mean 'km'"
    ):
        network_data_from_dict(data)


def test_the_network_block_round_trips_through_toml() -> None:
    """As the resolved scenario is saved (model_dump(mode='json') → TOML) and read back."""
    import tomli_w

    cfg = NetworkConfig(
        outages=[Outage(cable="atlas-offshore", start_utc="2026-03-01", end_utc="2026-03-15T06:00")],
        rtt_budget_ms={"lagos": 80.0},
    )
    text = tomli_w.dumps({"network": cfg.model_dump(mode="json", exclude_none=True)})
    assert NetworkConfig.model_validate(tomllib.loads(text)["network"]) == cfg
    native = tomllib.loads(
        '[[outages]]\ncable = "loukkos"\nstart_utc = 2026-03-01T00:00:00Z\nend_utc = 2026-03-02\n'
    )
    assert NetworkConfig.model_validate(native).outages[0].end_utc == dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def test_a_network_file_next_to_the_scenario_loads_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib import resources

    from dctwin.scenario import load_scenario, scenario_to_toml

    (tmp_path / "nets").mkdir()
    own = resources.files("dctwin.scenario").joinpath("data", "network", "emea.toml").read_text()
    (tmp_path / "nets" / "mynet.toml").write_text(own)
    text = scenario_to_toml(load_scenario("morocco-500mw")).replace(
        'data = "emea"', 'data = "nets/mynet.toml"'
    )
    (tmp_path / "campus.toml").write_text(text)
    monkeypatch.chdir("/")
    scenario = load_scenario(tmp_path / "campus.toml")
    assert scenario.network.data == str(tmp_path / "nets" / "mynet.toml")


def test_a_network_blocks_own_check_names_the_whole_field_path() -> None:
    from dctwin.scenario import load_scenario

    outage = {"cable": "sea-me-we-3", "start_utc": "2026-01-01", "end_utc": "2026-01-02"}
    with pytest.raises(
        ScenarioError, match=r"\(1 problem\): network\.outages\[0\]\.cable: cable 'sea-me-we-3'"
    ):
        load_scenario("morocco-500mw", **{"network.outages": [outage]})
