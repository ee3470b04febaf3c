"""Data sovereignty: the outcome of every residency class on the Morocco campus (facts.md §6.2's
table) and at a hypothetical French site, the admission invariants the scheduler relies on
(property-tested), the audit log, and the EU AI Act systemic-risk flag."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dctwin.scenario.residency import SiteJurisdiction, residency_catalogue
from dctwin.scenario.tenants import Tenant
from dctwin.sovereignty import (
    SYSTEMIC_RISK_FLOP,
    AuditLog,
    admission,
    admission_matrix,
    crosses_systemic_risk,
    systemic_risk_jobs,
    time_to_systemic_risk_s,
    training_flop,
)
from dctwin.workload.jobs import KINDS, JobTable

CAT = residency_catalogue()
MOROCCO = SiteJurisdiction()
"""The default jurisdiction: a campus site in Morocco as the public record shows it (facts.md §1)."""
FRANCE = SiteJurisdiction(
    country="FR", moroccan_law_company=False, operated_from_country="FR", immune_from_non_eu_law=True
)
"""A hypothetical EU site for contrast: in France, run from France by an operator immune from
non-EU law (a SecNumCloud-style provider, facts.md §6.1)."""
ALL = sorted(CAT.conditions)


# ------------------------------------------------------------------ facts.md §6.2 table, Morocco column
MOROCCO_TABLE = [
    ("public", [], True, "PUBLIC-ANYWHERE"),
    ("ma_personal", [], True, "MA-0908-IN-MA"),
    ("ma_vital_sensitive_sys", [], True, "MA-DGSSI-L1"),
    ("ma_vital_sensitive_data", [], False, "MA-DGSSI-L2-REQUIRED"),
    ("ma_vital_sensitive_data", ["royal_derogation"], True, "MA-DGSSI-L2-DEROGATION"),
    ("eu_personal", [], False, "EU-GDPR-ART44"),
    ("eu_personal", ["sccs"], False, "EU-GDPR-ART44"),
    ("eu_personal", ["sccs", "tia"], True, "EU-GDPR-ART46-SCC"),
    ("eu_personal", ["bcr", "tia"], True, "EU-GDPR-ART46-BCR"),
    ("eu_sovereign", ALL, False, "EU-SOV-LOCATION"),
    ("sa_personal", [], False, "SA-PDPL-TRANSFER"),
    ("sa_personal", ["sccs"], True, "SA-PDPL-SCC"),
    ("sa_restricted", ALL, False, "SA-RESTRICTED-LOCALISATION"),
    ("ae_personal", [], False, "AE-PDPL-TRANSFER"),
    ("ae_personal", ["sccs"], True, "AE-PDPL-CONTRACT"),
    ("ae_sectoral", ALL, False, "AE-SECTORAL-LOCALISATION"),
    ("ng_personal", [], False, "NG-NDPA-S41"),
    ("ng_personal", ["sccs"], True, "NG-NDPA-S41-CONTRACT"),
    ("za_personal", [], False, "ZA-POPIA-S72"),
    ("za_personal", ["sccs"], True, "ZA-POPIA-S72-AGREEMENT"),
]


@pytest.mark.parametrize(("cls", "conditions", "allowed", "rule_id"), MOROCCO_TABLE)
def test_every_class_on_the_morocco_campus_follows_the_facts_table(
    cls: str, conditions: list[str], allowed: bool, rule_id: str
) -> None:
    """facts.md §6.2, column "Allowed on Morocco campus?": PUBLIC yes; MA_PERSONAL yes;
    MA_VITAL_SENSITIVE_SYS yes with a Moroccan-law operator run from Morocco (the default, E);
    MA_VITAL_SENSITIVE_DATA only if majority Moroccan-owned (the consortium is not, E) else royal
    derogation; EU_PERSONAL with SCCs + TIA; EU_SOVEREIGN no; SA/AE personal with safeguards,
    restricted/sectoral no; NG/ZA with contractual safeguards."""
    decision = admission(CAT, cls, conditions, "north", MOROCCO)
    assert (decision.allowed, decision.rule_id) == (allowed, rule_id)
    assert f"(rule {rule_id})" in decision.reason


def test_eu_personal_denial_names_the_missing_conditions() -> None:
    """facts.md §6.1: Morocco is not adequate → Art. 46 SCCs/BCRs + transfer impact assessment."""
    none = admission(CAT, "eu_personal", [], "north", MOROCCO)
    assert none.missing_conditions == ("sccs", "tia")
    assert none.reason == (
        "eu_personal may leave the EEA only for an adequate country or under GDPR Art. 46 safeguards "
        "(GDPR Art. 44) (rule EU-GDPR-ART44); site north is in MA; missing sccs + tia "
        "(rule EU-GDPR-ART46-SCC) or bcr + tia (rule EU-GDPR-ART46-BCR)"
    )
    assert admission(CAT, "eu_personal", ["sccs"], "north", MOROCCO).missing_conditions == ("tia",)
    allowed = admission(CAT, "eu_personal", ["sccs", "tia"], "north", MOROCCO)
    assert allowed.reason == (
        "eu_personal may be processed in MA under GDPR Art. 46 with SCCs and a transfer impact "
        "assessment on file (rule EU-GDPR-ART46-SCC)"
    )


def test_eu_sovereign_may_not_leave_the_eu() -> None:
    decision = admission(CAT, "eu_sovereign", ALL, "north", MOROCCO)
    assert decision.reason == "eu_sovereign may not leave the EU (rule EU-SOV-LOCATION); site north is in MA"
    assert decision.missing_conditions == () and decision.missing_site == ()


def test_vital_sensitive_data_needs_moroccan_ownership_or_a_royal_derogation() -> None:
    """facts.md §6.1 Decree 2-24-921 level 2: majority Moroccan-owned, else royal derogation."""
    denied = admission(CAT, "ma_vital_sensitive_data", [], "north", MOROCCO)
    assert denied.missing_site == ("majority_moroccan_owned",)
    assert denied.missing_conditions == ("royal_derogation",)
    assert "site majority_moroccan_owned (rule MA-DGSSI-L2) or royal_derogation" in denied.reason
    owned = MOROCCO.model_copy(update={"majority_moroccan_owned": True})
    assert admission(CAT, "ma_vital_sensitive_data", [], "north", owned).rule_id == "MA-DGSSI-L2"


@pytest.mark.parametrize(
    ("update", "lacking"),
    [
        ({"moroccan_law_company": False}, ("moroccan_law_company",)),
        ({"operated_from_country": "KR"}, ("operated_from_country in MA",)),
    ],
)
def test_vital_sensitive_systems_need_a_moroccan_law_operator_run_from_morocco(
    update: dict[str, object], lacking: tuple[str, ...]
) -> None:
    """facts.md §6.1 Decree 2-24-921 level 1: Moroccan-law company, all operation in Morocco."""
    site = SiteJurisdiction(**{**MOROCCO.model_dump(), **update})
    decision = admission(CAT, "ma_vital_sensitive_sys", ALL, "north", site)
    assert (decision.allowed, decision.rule_id, decision.missing_site) == (
        False,
        "MA-DGSSI-L1-REQUIRED",
        lacking,
    )


# ------------------------------------------------------------------ a hypothetical EU site
FRANCE_TABLE = [
    ("public", [], True, "PUBLIC-ANYWHERE"),
    ("eu_personal", [], True, "EU-GDPR-EEA"),
    ("eu_sovereign", [], True, "EU-SOV-CONTROL"),
    ("ma_personal", [], False, "MA-0908-TRANSFER-BAN"),
    ("ma_personal", ["cndp_declaration"], True, "MA-0908-ART43"),
    ("ma_personal", ["cndp_authorisation"], True, "MA-0908-ART44-CNDP"),
    ("ma_vital_sensitive_sys", ALL, False, "MA-0520-SYS-NATIONAL-HOSTING"),
    ("ma_vital_sensitive_data", ALL, False, "MA-0520-DATA-NATIONAL-HOSTING"),
    ("sa_personal", ["sccs"], True, "SA-PDPL-SCC"),
    ("sa_restricted", ALL, False, "SA-RESTRICTED-LOCALISATION"),
    ("ae_sectoral", ALL, False, "AE-SECTORAL-LOCALISATION"),
]


@pytest.mark.parametrize(("cls", "conditions", "allowed", "rule_id"), FRANCE_TABLE)
def test_a_french_site_for_contrast(cls: str, conditions: list[str], allowed: bool, rule_id: str) -> None:
    """facts.md §6.2, column "Conditions / allowed elsewhere": EU_SOVEREIGN EU only; MA_VITAL_* never
    abroad; MA_PERSONAL abroad only to adequate states or with CNDP authorisation — modelled as the
    EEA part of the CNDP list (délibération 465-2013) with the transfer declared to the CNDP
    (rule MA-0908-ART43), or a CNDP authorisation anywhere (rule MA-0908-ART44-CNDP)."""
    decision = admission(CAT, cls, conditions, "paris", FRANCE)
    assert (decision.allowed, decision.rule_id) == (allowed, rule_id)


def test_eu_sovereign_in_the_eu_still_needs_eu_control() -> None:
    """facts.md §6.1 SecNumCloud 3.2 / Gaia-X L3: EU location and immunity from non-EU law."""
    foreign = FRANCE.model_copy(update={"immune_from_non_eu_law": False})
    decision = admission(CAT, "eu_sovereign", ALL, "paris", foreign)
    assert (decision.rule_id, decision.missing_site) == (
        "EU-SOV-CONTROL-REQUIRED",
        ("immune_from_non_eu_law",),
    )


def test_moroccan_personal_data_outside_the_cndp_list_needs_an_authorisation() -> None:
    us = SiteJurisdiction(country="US", moroccan_law_company=False, operated_from_country="US")
    assert not admission(CAT, "ma_personal", ["cndp_declaration"], "us", us).allowed
    assert admission(CAT, "ma_personal", ["cndp_authorisation"], "us", us).rule_id == "MA-0908-ART44-CNDP"


def test_eu_personal_in_the_us_needs_a_dpf_certified_operator_or_sccs() -> None:
    """facts.md §6.1: the USA is adequate for DPF-certified organisations only."""
    us = SiteJurisdiction(country="US", moroccan_law_company=False, operated_from_country="US")
    denied = admission(CAT, "eu_personal", [], "us", us)
    assert (denied.missing_site, denied.missing_conditions) == (("dpf_certified",), ("sccs", "tia"))
    dpf = us.model_copy(update={"dpf_certified": True})
    assert admission(CAT, "eu_personal", [], "us", dpf).rule_id == "EU-GDPR-ART45-DPF"


def test_unknown_names_are_catalogue_errors() -> None:
    from dctwin.errors import CatalogError

    with pytest.raises(CatalogError, match="did you mean 'ma_personal'"):
        admission(CAT, "ma-personal", [], "north", MOROCCO)
    with pytest.raises(CatalogError, match="unknown condition 'scc'"):
        admission(CAT, "eu_personal", ["scc"], "north", MOROCCO)


# ------------------------------------------------------------------ properties
COUNTRIES = sorted(CAT.countries() | {"MA", "US", "SA", "AE", "NG", "ZA", "CN", "BR", "EG", "IN"})
classes = st.sampled_from(sorted(CAT.classes))
conditions = st.sets(st.sampled_from(ALL))
jurisdictions = st.builds(
    SiteJurisdiction,
    country=st.sampled_from(COUNTRIES),
    moroccan_law_company=st.booleans(),
    majority_moroccan_owned=st.booleans(),
    operated_from_country=st.sampled_from(COUNTRIES),
    immune_from_non_eu_law=st.booleans(),
    dpf_certified=st.booleans(),
)
tenant_lists = st.lists(st.tuples(classes, conditions), min_size=1, max_size=6)
site_lists = st.lists(jurisdictions, min_size=1, max_size=4)


def _tenants(spec: list[tuple[str, set[str]]]) -> list[Tenant]:
    return [Tenant(name=f"t{i}", residency_class=c, conditions=sorted(k)) for i, (c, k) in enumerate(spec)]


@settings(max_examples=200, deadline=None)
@given(tenant_lists, site_lists)
def test_the_matrix_agrees_with_admission_cell_by_cell(spec: list[tuple[str, set[str]]], sites: list) -> None:
    tenants = _tenants(spec)
    named = {f"s{j}": site for j, site in enumerate(sites)}
    matrix = admission_matrix(CAT, tenants, named)
    assert matrix.allowed.shape == (len(tenants), len(sites)) and matrix.allowed.dtype == bool
    for i, tenant in enumerate(tenants):
        for j, (name, site) in enumerate(named.items()):
            cell = admission(CAT, tenant.residency_class, tenant.conditions, name, site)
            assert (matrix.allowed[i, j], matrix.rule_id[i, j], matrix.reason[i, j]) == (
                cell.allowed,
                cell.rule_id,
                cell.reason,
            )
        assert (matrix.rejection(i) == "") == bool(matrix.allowed[i].any())


@settings(max_examples=400, deadline=None)
@given(classes, conditions, conditions, jurisdictions)
def test_more_conditions_never_turn_an_admission_into_a_denial(
    cls: str, have: set[str], extra: set[str], site: SiteJurisdiction
) -> None:
    if admission(CAT, cls, have, "s", site).allowed:
        assert admission(CAT, cls, have | extra, "s", site).allowed


@settings(max_examples=400, deadline=None)
@given(classes, conditions, jurisdictions)
def test_every_decision_names_its_rule_and_no_class_runs_where_it_is_forbidden(
    cls: str, have: set[str], site: SiteJurisdiction
) -> None:
    """The scheduler's invariant: a job runs only where its class may be processed."""
    decision = admission(CAT, cls, have, "s", site)
    rule = next(r for r in CAT.rules_for(cls) if r.id == decision.rule_id)
    assert CAT.located(rule, site.country)
    assert f"(rule {rule.id})" in decision.reason and "\n" not in decision.reason
    if decision.allowed:
        assert rule.effect == "allow" and set(rule.conditions) <= have
        assert any(CAT.in_place(t, site.country) for t in CAT.classes[cls].jurisdictions)
        earlier = CAT.rules_for(cls)[: CAT.rules_for(cls).index(rule)]
        assert not any(r.effect == "deny" and CAT.located(r, site.country) for r in earlier)
    else:
        assert rule.effect == "deny"
        if decision.missing_conditions:  # filing what is missing admits it
            assert not set(decision.missing_conditions) & have
            assert admission(CAT, cls, have | set(decision.missing_conditions), "s", site).allowed


# ------------------------------------------------------------------ the matrix for the scheduler
def test_the_matrix_gives_the_scheduler_a_row_per_job_and_explains_rejections() -> None:
    tenants = [
        Tenant(name="ma-bank", residency_class="ma_personal"),
        Tenant(name="eu-gov", residency_class="eu_sovereign"),
        Tenant(name="eu-health", residency_class="eu_personal", conditions=["sccs", "tia"]),
    ]
    matrix = admission_matrix(CAT, tenants, {"north": MOROCCO, "nouaceur": MOROCCO})
    assert matrix.admissible().tolist() == [True, False, True]
    assert repr(matrix) == (
        "AdmissionMatrix(3 tenants × 2 sites, 4/6 cells allowed, 1 tenants with no admissible site)"
    )
    assert matrix.rejection("eu-gov").startswith(
        "tenant eu-gov (eu_sovereign) has no admissible site — north: eu_sovereign may not leave the EU"
    )
    frame = matrix.to_frame()
    assert list(frame.columns) == ["tenant", "residency_class", "site", "allowed", "rule_id", "reason"]
    assert len(frame) == 6 and frame["allowed"].sum() == 4

    # the job table may order its tenant names differently from the scenario
    jobs = _jobs(tenant=[0, 1, 2, 0], residency=[2, 0, 1, 2], tenants=("eu-health", "ma-bank", "eu-gov"))
    assert matrix.for_jobs(jobs).tolist() == [[True, True], [True, True], [False, False], [True, True]]
    assert matrix.for_jobs(jobs.take(np.zeros(4, dtype=bool))).shape == (0, 2)
    wrong = _jobs(tenant=[0], residency=[1], tenants=("eu-health", "ma-bank", "eu-gov"))
    with pytest.raises(ValueError, match="give the job its tenant's class"):
        matrix.for_jobs(wrong)
    with pytest.raises(ValueError, match="not a row"):
        matrix.for_jobs(_jobs(tenant=[0], residency=[0], tenants=("someone",)))


def _jobs(tenant: list[int], residency: list[int], tenants: tuple[str, ...], **over: object) -> JobTable:
    n = len(tenant)
    columns: dict[str, object] = {
        "job_id": np.arange(n),
        "tenant": np.asarray(tenant),
        "kind": np.zeros(n, dtype=np.int8),
        "qos": np.zeros(n, dtype=np.int8),
        "gpus": np.full(n, 72),
        "submit_s": np.zeros(n),
        "duration_s": np.full(n, 3600.0),
        "end_state": np.zeros(n, dtype=np.int8),
        "deadline_s": np.full(n, np.nan),
        "residency": np.asarray(residency),
        "checkpoint_interval_s": np.full(n, 1800.0),
        "tenants": tenants,
        "residency_classes": ("ma_personal", "eu_sovereign", "eu_personal"),
    }
    columns.update(over)
    return JobTable(**columns)  # type: ignore[arg-type]


# ------------------------------------------------------------------ the audit log
def test_audit_log_appends_and_round_trips_through_a_frame() -> None:
    log = AuditLog()
    log.append(0.0, "eu-health", 1, "eu_personal", "north", "allowed", "EU-GDPR-ART46-SCC")
    log.append(5.0, "eu-health", 1, "eu_personal", "north", "placed", "EU-GDPR-ART46-SCC")
    log.append(9.0, "eu-gov", 2, "eu_sovereign", None, "rejected", "EU-SOV-LOCATION")
    log.append(9.5, "ma-bank", None, "ma_personal", "nouaceur", "placed", "MA-0908-IN-MA")
    assert repr(log) == "AuditLog(4 decisions: 2 placed, 1 allowed, 1 rejected)"
    frame = log.to_frame()
    assert list(frame.columns) == list(AuditLog.COLUMNS)
    assert frame["time_s"].tolist() == [0.0, 5.0, 9.0, 9.5]
    assert frame["job_id"].tolist() == [1, 1, 2, -1]
    assert frame["site"].isna().tolist() == [False, False, True, False]
    assert frame["decision"].tolist() == ["allowed", "placed", "rejected", "placed"]
    assert frame["rule_id"].iloc[2] == "EU-SOV-LOCATION"
    pd.testing.assert_frame_equal(AuditLog.from_frame(frame).to_frame(), frame)


def test_audit_log_extend_matches_appends() -> None:
    one, many = AuditLog(), AuditLog()
    rows = [
        (1.0, "a", 10, "public", "north", "placed", "PUBLIC-ANYWHERE"),
        (2.0, "b", 11, "eu_sovereign", None, "rejected", "EU-SOV-LOCATION"),
        (3.0, "a", 12, "public", "nouaceur", "placed", "PUBLIC-ANYWHERE"),
    ]
    for row in rows:
        one.append(*row)
    many.extend(*(list(col) for col in zip(*rows, strict=True)))
    pd.testing.assert_frame_equal(one.to_frame(), many.to_frame())
    many.extend([4.0, 5.0], "c", None, "public", "north", "placed", "PUBLIC-ANYWHERE")
    assert many.to_frame()["job_id"].tolist()[-2:] == [-1, -1] and len(many) == 5


def test_audit_log_rejects_unknown_decisions() -> None:
    with pytest.raises(ValueError, match="decision must be one of"):
        AuditLog().append(0.0, "a", 1, "public", "north", "started", "PUBLIC-ANYWHERE")
    with pytest.raises(ValueError, match="decision must hold"):
        AuditLog().extend([0.0], "a", 1, "public", "north", ["started"], "PUBLIC-ANYWHERE")


def test_audit_log_empty_frame_has_the_columns() -> None:
    frame = AuditLog().to_frame()
    assert list(frame.columns) == list(AuditLog.COLUMNS) and len(frame) == 0
    assert repr(AuditLog()) == "AuditLog(0 decisions: 0 placed, 0 allowed, 0 rejected)"


def test_a_million_appends() -> None:
    """The scheduler logs every decision; a year of jobs is ~10^6 of them (no wall-clock bound)."""
    log = AuditLog()
    sites, rules = ("north", "nouaceur"), ("EU-GDPR-ART46-SCC", "MA-0908-IN-MA")
    append = log.append
    for k in range(1_000_000):
        append(
            float(k),
            "eu-health" if k & 1 else "ma-bank",
            k,
            "eu_personal",
            sites[k & 1],
            "placed",
            rules[k & 1],
        )
    frame = log.to_frame()
    assert len(frame) == 1_000_000 and frame["job_id"].iloc[-1] == 999_999
    assert frame["site"].cat.categories.tolist() == ["north", "nouaceur"]
    assert frame.memory_usage(deep=False).sum() < 40e6


def test_audit_log_survives_parquet(tmp_path: object) -> None:
    pytest.importorskip("pyarrow")
    from pathlib import Path

    log = AuditLog()
    log.append(1.0, "a", 1, "public", None, "rejected", "PUBLIC-ANYWHERE")
    log.append(2.0, "a", 2, "public", "north", "placed", "PUBLIC-ANYWHERE")
    path = Path(str(tmp_path)) / "audit.parquet"
    log.to_frame().to_parquet(path)
    again = AuditLog.from_frame(pd.read_parquet(path)).to_frame()
    assert again["site"].isna().tolist() == [True, False]
    assert again[["tenant", "decision", "rule_id"]].astype(str).values.tolist() == [
        ["a", "rejected", "PUBLIC-ANYWHERE"],
        ["a", "placed", "PUBLIC-ANYWHERE"],
    ]


# ------------------------------------------------------------------ EU AI Act
def test_sixteen_thousand_gb200_reach_the_threshold_in_about_a_week() -> None:
    """facts.md §6.2 note: at 40 % MFU, 16k GB200 GPUs reach 10^25 FLOP in ≈ 7 days (BF16 dense
    2.5 PF/GPU) or ≈ 3.6 days (FP8 dense 5 PF/GPU); dense values from facts.md §3.1."""
    days_bf16 = time_to_systemic_risk_s(16_000, 2.5, 0.40) / 86_400
    days_fp8 = time_to_systemic_risk_s(16_000, 5.0, 0.40) / 86_400
    assert days_bf16 == pytest.approx(7.0, rel=0.05) and days_fp8 == pytest.approx(3.6, rel=0.02)
    assert training_flop(16_000, days_bf16 * 86_400, 2.5, 0.40) == pytest.approx(SYSTEMIC_RISK_FLOP)
    assert not crosses_systemic_risk(16_000, 7 * 86_400, 2.5, 0.40)
    assert crosses_systemic_risk(16_000, 7.5 * 86_400, 2.5, 0.40)


def test_the_threshold_is_strictly_greater_than_1e25() -> None:
    """EU AI Act Art. 51(2) (facts.md §6.1): presumed systemic risk when training compute is
    *greater than* 10^25 FLOP."""
    assert SYSTEMIC_RISK_FLOP == 1e25
    assert training_flop(1, 1e10, 1.0, 1.0) == 1e25
    assert crosses_systemic_risk(1, 1e10, 1.0, 1.0) is False
    assert crosses_systemic_risk(1, 1e10 + 1.0, 1.0, 1.0) is True  # one FLOP-second more


def test_ai_act_functions_vectorise_and_flag_training_jobs_only() -> None:
    flops = training_flop(np.array([1, 2]), 10.0, 1.0, 0.5)
    assert flops.tolist() == [5e15, 1e16]
    assert crosses_systemic_risk(np.array([16_000, 1_000]), 8 * 86_400, 2.5, 0.4).tolist() == [True, False]
    week = 8 * 86_400.0
    kinds = [KINDS.index("pretrain"), KINDS.index("batch_inference"), KINDS.index("finetune"), 0]
    jobs = _jobs(
        tenant=[0, 0, 0, 0],
        residency=[0, 0, 0, 0],
        tenants=("ma-bank",),
        kind=np.array(kinds, dtype=np.int8),
        gpus=np.array([16_000, 16_000, 16_000, 72]),
        duration_s=np.full(4, week),
    )
    assert systemic_risk_jobs(jobs, 2.5, 0.40).tolist() == [True, False, True, False]
