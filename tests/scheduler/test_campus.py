"""The campus workload end to end: trace replay through the engine, the audit trail, the
routing of inference to the sites its users' data may go to, and the RTT estimate."""

from __future__ import annotations

import tomllib
from pathlib import Path

import tomli_w

from dctwin.engine import run
from dctwin.scenario import builtin_scenario_text, load_scenario
from dctwin.scenario.inference import load_regions
from dctwin.scenario.residency import residency_catalogue
from dctwin.scheduler.campus import region_residency_class
from dctwin.sovereignty import admission

TRACE = """\
# three jobs of two tenants (docs/workload-trace-csv.md)
job_id,tenant,submit_s,gpus,duration_s,kind,qos
0,naver-hyperclova,0,576,7200,pretrain,guaranteed
1,eu-enterprise,600,72,1800,finetune,standard
2,eu-public-research,900,8,600,eval,standard
"""


def test_a_replayed_trace_runs_through_the_engine(tmp_path: Path) -> None:
    (tmp_path / "jobs.csv").write_text(TRACE)
    data = tomllib.loads(builtin_scenario_text("morocco-500mw"))
    data["jobs"] = {"source": "trace", "trace_path": "jobs.csv"}
    data["time"]["duration_days"] = 1
    path = tmp_path / "campus.toml"
    path.write_text(tomli_w.dumps(data))
    scenario = load_scenario(path)
    assert Path(scenario.jobs.trace_path or "").is_absolute()  # resolved against the scenario file
    results = run(scenario)
    jobs = results.tables["jobs"].set_index("job_id")
    assert list(jobs.index) == [0, 1, 2]
    assert jobs.loc[0, "state"] == "done" and jobs.loc[0, "first_start_s"] == 0.0
    assert jobs.loc[1, "state"] == "done"
    assert jobs.loc[2, "state"] == "rejected"  # eu_sovereign may not leave the EU
    audit = results.tables["audit"]
    rejected = audit[audit["decision"] == "rejected"]
    assert rejected["job_id"].tolist() == [2] and rejected["rule_id"].tolist() == ["EU-SOV-LOCATION"]
    placed = audit[audit["decision"] == "placed"].set_index("job_id")
    assert placed.loc[1, "rule_id"] == "EU-GDPR-ART46-SCC"  # SCCs + TIA on file
    assert results.tables["tenants"].set_index("tenant").loc["eu-enterprise", "swarm_gpu_h"] == 0.0


def test_every_placement_names_an_allow_rule_of_its_tenant_and_site() -> None:
    results = run(load_scenario("morocco-500mw", **{"time.duration_days": 3}))
    audit = results.tables["audit"]
    admission_table = results.tables["admission"].set_index(["tenant", "site"])
    placed = audit[audit["decision"] == "placed"]
    assert len(placed) > 100
    for (tenant, site), rule in placed.groupby(["tenant", "site"], observed=True)["rule_id"].first().items():
        assert bool(admission_table.loc[(tenant, site), "allowed"])
        assert rule == admission_table.loc[(tenant, site), "rule_id"]


def test_region_classes_follow_facts_6_2() -> None:
    known = list(residency_catalogue().classes)
    regions = {r.slug: r for r in load_regions()}
    assert region_residency_class(regions["paris"], known) == "eu_personal"
    assert region_residency_class(regions["casablanca"], known) == "ma_personal"
    assert region_residency_class(regions["riyadh"], known) == "sa_personal"
    assert region_residency_class(regions["lagos"], known) == "ng_personal"
    assert region_residency_class(regions["london"], known) == "public"  # no UK class in the catalogue
    catalogue = residency_catalogue()
    north = load_scenario("morocco-500mw").sites[0]
    ok = admission(catalogue, "eu_personal", ["sccs", "tia"], "north", north.jurisdiction)
    assert ok.allowed and ok.rule_id == "EU-GDPR-ART46-SCC"
