"""The residency catalogue as data: every value cites its source, the rules are consistent with
the classes and the condition vocabulary, invalid catalogues fail with a path, and tenant
validation names the field and the closest known name."""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from dctwin.errors import CatalogError, ScenarioError
from dctwin.scenario.residency import (
    SiteJurisdiction,
    check_tenants,
    residency_catalogue,
    residency_catalogue_from_dict,
)
from dctwin.scenario.tenants import Tenant

TOML = Path(__file__).parents[2] / "src/dctwin/scenario/data/residency.toml"
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')

CLASSES = {
    "public",
    "ma_personal",
    "ma_vital_sensitive_sys",
    "ma_vital_sensitive_data",
    "eu_personal",
    "eu_sovereign",
    "sa_personal",
    "sa_restricted",
    "ae_personal",
    "ae_sectoral",
    "ng_personal",
    "za_personal",
}
"""facts.md §6.2: the proposed residency classes."""


def raw() -> dict[str, Any]:
    return tomllib.loads(TOML.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ the file
def test_every_value_in_residency_toml_cites_a_source() -> None:
    """As tests/scenario/test_loader.py::test_every_value_in_builtin_scenario_files_cites_a_source,
    but stricter: the ``#`` must be a comment outside any string, and no value may span lines."""
    for number, line in enumerate(TOML.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if not re.match(r"^[A-Za-z_][\w-]*\s*=", stripped):
            assert not stripped or stripped.startswith(("#", "[")), f"residency.toml:{number}: {line}"
            continue
        value = _STRING.sub('""', stripped.split("=", 1)[1])
        assert "#" in value, f"residency.toml:{number} has no source comment: {line}"
        assert value.split("#", 1)[1].strip(), f"residency.toml:{number} has an empty comment: {line}"


def test_the_file_says_it_is_a_derivation_and_not_legal_advice() -> None:
    head = TOML.read_text(encoding="utf-8").split("[groups]")[0]
    assert "E:" in head and "NOT LEGAL ADVICE" in head and "facts.md §6.2" in head


def test_the_classes_are_those_of_facts_section_6_2() -> None:
    assert set(residency_catalogue().classes) == CLASSES


def test_every_class_and_rule_cites_its_legal_basis() -> None:
    cat = residency_catalogue()
    for name, cls in cat.classes.items():
        assert cls.legal_basis and cls.source, name
        assert cls.source.startswith(("https://", "facts.md")), name
    for rule in cat.rules:
        assert rule.source.startswith(("https://", "facts.md")), rule.id
        assert rule.reason and not rule.reason.endswith("."), rule.id
    for name, spec in cat.conditions.items():
        assert spec.description and spec.source, name


# ------------------------------------------------------------------ consistency (property 4)
def test_rules_reference_known_classes_and_conditions() -> None:
    """Checked on the raw TOML, independently of the loader's own checks."""
    data = raw()
    classes, conditions, groups = set(data["classes"]), set(data["conditions"]), set(data["groups"])
    ids = [r["id"] for r in data["rules"]]
    assert len(ids) == len(set(ids)), "rule ids are unique"
    site_fields = set(SiteJurisdiction.model_fields)
    for rule in data["rules"]:
        assert rule["class"] in classes, rule["id"]
        assert set(rule.get("conditions", [])) <= conditions, rule["id"]
        assert set(rule.get("site", {})) <= site_fields, rule["id"]
        for token in [*rule["where"], *rule.get("except_where", [])]:
            assert token == "*" or token in groups or re.fullmatch(r"[A-Z]{2}", token), (rule["id"], token)


def test_every_class_has_an_allow_rule_and_ends_in_a_catch_all() -> None:
    cat = residency_catalogue()
    for name in cat.classes:
        rules = cat.rules_for(name)
        assert any(r.effect == "allow" for r in rules), name
        assert rules[-1].catch_all, name


def test_deny_rules_depend_on_location_only() -> None:
    """What makes admission monotone in the tenant's conditions."""
    for rule in residency_catalogue().rules:
        if rule.effect == "deny":
            assert not rule.conditions and not rule.site, rule.id


def test_class_jurisdictions_agree_with_the_rules() -> None:
    """``jurisdictions``: some allow rule applies there (all conditions, best operator), none
    elsewhere; ``free_in``: allowed there with no condition at all."""
    from dctwin.sovereignty import admission

    cat = residency_catalogue()
    every = sorted(cat.conditions)
    for country in sorted(cat.countries() | {"MA", "SA", "AE", "NG", "ZA", "US", "CN", "BR", "EG"}):
        for name, cls in cat.classes.items():
            best = _best_operator(country)
            anywhere = admission(cat, name, every, "x", best).allowed
            assert anywhere == any(cat.in_place(t, country) for t in cls.jurisdictions), (name, country)
            if any(cat.in_place(t, country) for t in cls.free_in):
                assert admission(cat, name, [], "x", best).allowed, (name, country)


def _best_operator(country: str) -> SiteJurisdiction:
    return SiteJurisdiction(
        country=country,
        moroccan_law_company=True,
        majority_moroccan_owned=True,
        operated_from_country=country,
        immune_from_non_eu_law=True,
        dpf_certified=True,
    )


def test_eu_groups() -> None:
    """27 EU members; EEA = EU + IS, LI, NO; Morocco is not adequate (facts.md §6.1)."""
    groups = residency_catalogue().groups
    assert len(groups["EU"]) == 27 and set(groups["EEA"]) == {*groups["EU"], "IS", "LI", "NO"}
    assert "MA" not in groups["EU_ADEQUATE"] and "US" not in groups["EU_ADEQUATE"]


# ------------------------------------------------------------------ invalid catalogues
def _broken(edit: Any) -> dict[str, Any]:
    data = copy.deepcopy(raw())
    edit(data)
    return data


def _rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in data["rules"] if r["id"] == rule_id)


@pytest.mark.parametrize(
    ("edit", "path", "words"),
    [
        (
            lambda d: _rule(d, "EU-GDPR-ART46-SCC")["conditions"].__setitem__(0, "scc"),
            "rules[15].conditions[0]",
            "did you mean 'sccs'",
        ),
        (
            lambda d: _rule(d, "EU-GDPR-ART46-SCC").__setitem__("class", "eu_persona"),
            ".class",
            "'eu_personal'",
        ),
        (lambda d: _rule(d, "EU-GDPR-ART44").__setitem__("conditions", ["tia"]), "rules[17]", "deny rule"),
        (lambda d: d["rules"].remove(_rule(d, "EU-GDPR-ART44")), "classes.eu_personal", "catch-all"),
        (
            lambda d: _rule(d, "MA-DGSSI-L1")["site"].__setitem__("moroccan_law", True),
            "site.moroccan_law",
            "did you",
        ),
        (
            lambda d: _rule(d, "MA-DGSSI-L1")["site"].__setitem__("moroccan_law_company", "yes"),
            "site",
            "bool",
        ),
        (
            lambda d: _rule(d, "EU-SOV-CONTROL")["where"].__setitem__(0, "EUR"),
            "where[0]",
            "did you mean 'EU'",
        ),
        (lambda d: _rule(d, "EU-SOV-CONTROL").__setitem__("id", "EU-GDPR-EEA"), ".id", "duplicate"),
        (lambda d: _rule(d, "EU-SOV-CONTROL").__setitem__("effect", "permit"), "effect", "allow"),
    ],
)
def test_an_invalid_catalogue_names_the_path_and_the_fix(edit: Any, path: str, words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        residency_catalogue_from_dict(_broken(edit))
    assert path in str(info.value) and words in str(info.value)
    assert info.value.path is not None and info.value.path.startswith("residency")


def test_the_catalogue_repr_is_short() -> None:
    text = repr(residency_catalogue())
    assert text.startswith("ResidencyCatalogue(12 classes,") and len(text) < 150
    assert str(residency_catalogue()) == text


def test_an_unknown_class_lookup_suggests_the_close_one() -> None:
    with pytest.raises(CatalogError, match="did you mean 'eu_sovereign'"):
        residency_catalogue().rules_for("eu-sovereign")


# ------------------------------------------------------------------ the site side
def test_site_jurisdiction_defaults_describe_the_morocco_campus() -> None:
    """facts.md §1: sites in Morocco, managed locally; consortium not majority Moroccan-owned (E)."""
    j = SiteJurisdiction()
    assert (j.country, j.operated_from_country, j.moroccan_law_company, j.majority_moroccan_owned) == (
        "MA",
        "MA",
        True,
        False,
    )
    assert repr(j) == (
        "SiteJurisdiction(MA, Moroccan-law operator run from MA, not majority Moroccan-owned, DGSSI L0)"
    )


def test_every_site_jurisdiction_default_cites_a_source_and_unit() -> None:
    """The integrator adds SiteJurisdiction to Site: it must pass test_loader's schema check."""
    for name, field in SiteJurisdiction.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        assert extra.get("unit") and extra.get("source"), name
        if name in {"moroccan_law_company", "majority_moroccan_owned", "immune_from_non_eu_law"}:
            assert str(extra["source"]).startswith("E:") and "facts.md §1" in str(extra["source"]), name


def test_site_jurisdiction_validates_codes_and_the_dgssi_level() -> None:
    assert SiteJurisdiction(country="fr", operated_from_country="fr").country == "FR"
    with pytest.raises(ValueError, match="ISO 3166-1"):
        SiteJurisdiction(country="France")
    with pytest.raises(ValueError, match="Decree 2-24-921 level 1"):
        SiteJurisdiction(dgssi_qualification_level=1, operated_from_country="FR")
    with pytest.raises(ValueError, match="majority_moroccan_owned = true"):
        SiteJurisdiction(dgssi_qualification_level=2)
    assert (
        SiteJurisdiction(dgssi_qualification_level=2, majority_moroccan_owned=True).dgssi_qualification_level
        == 2
    )


# ------------------------------------------------------------------ tenants
def _tenants(**third: Any) -> list[Tenant]:
    return [
        Tenant(name="ma-bank", residency_class="ma_personal"),
        Tenant(name="eu-health", residency_class="eu_personal", conditions=["sccs", "tia"]),
        Tenant(name="third", **third),
    ]


def test_known_tenants_pass() -> None:
    check_tenants(_tenants(residency_class="eu_sovereign", conditions=["bcr"]))


def test_an_unknown_residency_class_names_the_path_and_the_close_match() -> None:
    with pytest.raises(ScenarioError) as info:
        check_tenants(_tenants(residency_class="eu_personnal"))
    assert info.value.path == "tenants[2].residency_class"
    assert str(info.value).startswith("tenants[2].residency_class: unknown residency class 'eu_personnal'")
    assert "did you mean 'eu_personal'?" in str(info.value)


def test_an_unknown_condition_names_the_path_and_the_close_match() -> None:
    with pytest.raises(ScenarioError) as info:
        check_tenants(_tenants(residency_class="eu_personal", conditions=["scc", "tia"]))
    assert info.value.path == "tenants[2].conditions[0]"
    assert "unknown condition 'scc'; did you mean 'sccs'?" in str(info.value)


def test_an_unknown_inference_condition_is_rejected_at_load_not_mid_run() -> None:
    from dctwin.scenario import load_scenario

    with pytest.raises(ScenarioError) as info:
        load_scenario("morocco-500mw", **{"scheduler.inference_conditions": ["sccs", "tias"]})
    assert info.value.path == "scheduler.inference_conditions[1]"
    assert "unknown condition 'tias'; did you mean 'tia'?" in str(info.value)
