"""Command-line interface. Thin: every command calls public functions of dctwin.

User errors print one line to stderr and exit with status 2, never a traceback.
Set ``DCTWIN_DEBUG=1`` to see tracebacks of internal errors.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from dctwin.errors import DctwinError, ScenarioError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="dctwin — digital twin and planner for renewable-powered, sovereign AI datacenter campuses.",
)
# Wide tables when piped or captured (rich would otherwise assume 80 columns).
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 400)

DEFAULT_STORE = Path("runs")
StoreOpt = Annotated[Path, typer.Option("--out", "-o", help="Results store directory.")]


def _summary_rows(campus: dict[str, Any]) -> list[tuple[str, str]]:
    from dctwin.report.tables import headline_rows

    return [(str(label), str(value)) for label, value in headline_rows(campus)]


def _workload_table(results: Any) -> Table | None:
    """Headline workload figures and what following the clean supply bought."""
    from dctwin.report.workload import flexibility_table, has_workload, workload_headline_table

    if not has_workload(results):
        return None
    table = Table(title="workload (scheduler) — and against the power-oblivious baseline")
    flex = flexibility_table(results)
    table.add_column("metric")
    table.add_column("value", justify="right")
    if flex is not None:
        table.add_column("oblivious baseline", justify="right")
    base = {r[0]: r[2] for r in flex.rows} if flex is not None else {}
    keep = {
        "Jobs individual", "Jobs done", "Jobs rejected", "GPU allocation (share)", "Queue p50", "JCT p50",
        "JCT p99", "Goodput lost (share)", "Deferred", "Preemptions", "Inference SLO attainment (share)",
        "Inference energy per million tokens", "Sovereignty rejected jobs", "AI act systemic risk jobs",
    }  # fmt: skip
    for label, value in workload_headline_table(results).rows:
        if label in keep:
            table.add_row(label, value, *([base.get(label, "")] if flex is not None else []))
    if flex is not None:
        for label, aware, oblivious in flex.rows:
            if label in {"Hourly CFE score", "Grid import", "Emissions location"}:
                table.add_row(label, aware, oblivious)
    return table


@app.command()
def run(
    scenario: Annotated[
        str, typer.Argument(help="Built-in scenario name or scenario file (.toml/.json).")
    ] = ("morocco-500mw"),
    phase: Annotated[str | None, typer.Option(help="Phase to simulate (capacity built up to it).")] = None,
    step: Annotated[str | None, typer.Option(help="Time step: 1h, 15min or 5min.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the run's random streams.")] = None,
    days: Annotated[int | None, typer.Option(help="Number of simulated days.")] = None,
    cut: Annotated[
        list[str] | None,
        typer.Option(help="Cut this submarine cable for the whole run (repeatable), e.g. atlas-offshore."),
    ] = None,
    build_out: Annotated[
        bool,
        typer.Option(
            "--build-out",
            help="Also simulate one representative year per phase and add the year-by-year ramp "
            "(capacity, energy, emissions, cash flows) to the run.",
        ),
    ] = False,
    build_out_days: Annotated[
        int | None,
        typer.Option(help="Days simulated per phase for --build-out, scaled to the year (default: 365)."),
    ] = None,
    store: StoreOpt = DEFAULT_STORE,
    report: Annotated[bool, typer.Option(help="Write the HTML report into the run directory.")] = True,
) -> None:
    """Run a scenario, store the results and write the HTML report."""
    from dctwin.engine import run as run_scenario
    from dctwin.report import build_report
    from dctwin.results import RunStore
    from dctwin.scenario import load_scenario
    from dctwin.scenario.network import with_cable_cuts

    overrides = {"phase": phase, "time.step": step, "seed": seed, "time.duration_days": days}
    base = load_scenario(scenario, **overrides)
    sc = with_cable_cuts(base, cut or [])
    if build_out_days is not None and not build_out:
        raise ScenarioError("is only used with --build-out; add --build-out or drop it", "--build-out-days")
    if build_out_days is not None and not 1 <= build_out_days <= 366:
        raise ScenarioError(
            f"must be 1–366 d, got {build_out_days} d; give the days simulated per phase", "--build-out-days"
        )
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task(f"{sc.name} {sc.phase}", total=None)
        results = run_scenario(
            sc, progress=lambda msg: bar.update(task, description=f"{sc.name} {sc.phase}: {msg}")
        )
        if build_out:
            _attach_build_out(
                results, base, cut or [], build_out_days, lambda msg: bar.update(task, description=msg)
            )
        bar.update(task, description="writing report and results")
        extra = {"report.html": build_report(results)} if report else None
        run_id = RunStore(store).write(results, extra_files=extra)
    table = Table(
        title=f"{sc.name} · {sc.phase} · {sc.time.duration_days} d at {sc.time.step} · run {run_id}"
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    for label, value in _summary_rows(results.summary["campus"]):
        table.add_row(label, value)
    out.print(table)
    workload = _workload_table(results)
    if workload is not None:
        out.print(workload)
    for extra_table in _economics_tables(results):
        out.print(extra_table)
    run_dir = RunStore(store).run_dir(run_id)
    out.print(f"results: {run_dir}")
    if report:
        out.print(f"report:  {run_dir / 'report.html'}")


def _attach_build_out(results: Any, base: Any, cuts: list[str], days: int | None, progress: Any) -> None:
    """Add the build-out (tables and summary) to a run, reusing the run if it is a phase's year.

    ``base`` is the scenario before ``--cut``; the cuts are applied to every phase's year.
    """
    from dctwin.timeline import build_out, representative_matches

    sc = results.scenario
    reuse = {sc.phase: results} if days is None and representative_matches(sc, sc.phase) else None
    timeline = build_out(base, progress=progress, days=days, reuse=reuse, cuts=cuts)
    results.tables.update(timeline.tables())
    results.summary["build_out"] = timeline.summary()


def _economics_tables(results: Any) -> list[Table]:
    """Headline economics, the build-out, reach per city and the cable cuts, as printed tables."""
    from rich.markup import escape

    from dctwin.report.economics import (
        build_out_headline_table,
        economics_headline_table,
        sensitivity_records,
    )
    from dctwin.report.network import cut_table, outage_table, reach_table

    tables = []
    for title, record in (
        ("economics — traced in the capex and cost_breakdown tables", economics_headline_table(results)),
        ("build-out — the ramp year by year", build_out_headline_table(results)),
        ("what moves the NPV — one driver at a time", sensitivity_records(results)),
        ("reach — RTT [ms] and inference SLO per city", reach_table(results)),
        ("single-cable cuts (N−1)", cut_table(results)),
        ("the run's cable outages — cities whose route changed", outage_table(results)),
    ):  # fmt: skip
        if record is None:
            continue
        rows = [row for row in record.rows if row[0] != "Basis"]
        basis = [row[1] for row in record.rows if row[0] == "Basis"]
        table = Table(title=escape(title), caption=escape(f"basis: {basis[0]}") if basis else None)
        for i, column in enumerate(record.headers):
            table.add_column(escape(column), justify="left" if i == 0 else "right")
        for row in rows:
            table.add_row(*[escape(str(v)) for v in row])
        tables.append(table)
    return tables


@app.command()
def validate(
    file: Annotated[str, typer.Argument(help="Scenario file or built-in name.")],
    resolved: Annotated[
        bool, typer.Option(help="Print the resolved scenario (defaults filled in) as TOML.")
    ] = False,
) -> None:
    """Validate a scenario file without running it."""
    from dctwin.network import build_network
    from dctwin.scenario import load_scenario, scenario_to_toml

    sc = load_scenario(file)
    if sc.it_load == "scheduler":  # the route graph: backhaul reach and cities, as a run checks them
        build_network(sc.network, sc.sites)
    if resolved:
        out.print(scenario_to_toml(sc), markup=False, highlight=False)
    else:
        out.print(f"ok: {sc!r}", markup=False)


@app.command()
def scenarios() -> None:
    """List the built-in scenarios."""
    from dctwin.scenario import builtin_scenario_names, load_scenario

    table = Table(title="built-in scenarios")
    for col in ("name", "phases", "sites", "description"):
        table.add_column(col)
    for name in builtin_scenario_names():
        sc = load_scenario(name)
        phases = ", ".join(p.name + (" *" if p.name == sc.phase else "") for p in sc.phases)
        table.add_row(name, phases, ", ".join(s.name for s in sc.sites), sc.description)
    out.print(table)
    out.print("* = phase simulated by default (change with --phase)")


@app.command()
def runs(
    store: StoreOpt = DEFAULT_STORE,
    sql: Annotated[str | None, typer.Option(help="SQL over the index (tables: runs, timeseries).")] = None,
    rebuild: Annotated[bool, typer.Option(help="Rebuild the index from the run directories first.")] = False,
) -> None:
    """List stored runs, or query them with SQL (DuckDB)."""
    from dctwin.results import RunStore

    rs = RunStore(store)
    if rebuild:
        rs.rebuild_index()
    frame = rs.query(sql) if sql else rs.list_runs()
    if frame.empty:
        out.print(f"no runs in {store}" if not sql else "(no rows)")
        return
    if not sql:
        cols = [
            c
            for c in (
                "run_id",
                "scenario",
                "phase",
                "step",
                "created_utc",
                "hourly_cfe_score_frac",
                "pue_annual",
                "gpus",
            )
            if c in frame.columns
        ]
        frame = frame[cols]
    table = Table()
    for col in frame.columns:
        table.add_column(str(col))
    for row in frame.itertuples(index=False):
        table.add_row(*(_fmt(v) for v in row))
    out.print(table)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@app.command()
def report(
    run_id: Annotated[str, typer.Argument(help="Run id (or unique prefix, or 'latest').")] = "latest",
    store: StoreOpt = DEFAULT_STORE,
) -> None:
    """(Re)write the HTML report of a stored run."""
    from dctwin.report import build_report
    from dctwin.results import RunStore

    rs = RunStore(store)
    rid = rs.latest() if run_id == "latest" else run_id
    results = rs.load(rid)
    rid = results.run_id or rid
    rs.add_file(rid, "report.html", build_report(results))
    out.print(f"report: {rs.run_dir(rid) / 'report.html'}")


def _policy(text: str) -> Any:
    from dctwin.errors import ScenarioError
    from dctwin.planner.problem import parse_policy

    try:
        return parse_policy(text)
    except ValueError as exc:
        raise ScenarioError(str(exc), path="--policy") from None


@app.command()
def plan(
    scenario: Annotated[
        str, typer.Argument(help="Built-in scenario name or scenario file.")
    ] = "morocco-500mw",
    policy: Annotated[str, typer.Option(help="annual, islanded or cfe:X (X in 0–1).")] = "cfe:0.95",
    phase: Annotated[str | None, typer.Option(help="Plan every phase up to this one.")] = None,
    write: Annotated[Path | None, typer.Option(help="Planned scenario file to write (TOML).")] = None,
    netcdf: Annotated[
        Path | None, typer.Option(help="Also write each site's last-phase plan as a PyPSA network.")
    ] = None,
) -> None:
    """Size PV, wind and storage for a policy, phase by phase, and write the planned scenario."""
    from dctwin.planner.handoff import plan_scenario
    from dctwin.scenario import load_scenario, scenario_to_toml

    pol = _policy(policy)
    sc = load_scenario(scenario, phase=phase)
    with err.status(f"planning {sc.name} for {pol} up to {sc.phase}"):
        planned = plan_scenario(sc, pol)
    table = Table(title=f"{sc.name} · {pol} · capacities are cumulative")
    cols = [
        ("site", "site", None), ("phase", "phase", None), ("solar_mw", "PV MW", 1), ("wind_mw", "wind MW", 1),
        ("battery_power_mw", "battery MW", 1), ("battery_energy_mwh", "battery MWh", 0),
        ("cost_per_mwh", "cost EUR/MWh", 2), ("hourly_cfe_score_frac", "hourly CFE", 3),
        ("solve_s", "solve s", 3),
    ]  # fmt: skip
    for _, label, _ in cols:
        table.add_column(label)
    for _, row in planned.table.iterrows():
        table.add_row(*(str(row[k]) if d is None else f"{row[k]:,.{d}f}" for k, _, d in cols))
    out.print(table)
    target = write or Path(f"{sc.name}-{str(pol).replace(':', '')}.toml")
    header = (
        f"# Planned by `dctwin plan {scenario} --policy {pol}`: renewable capacities are the planner's.\n"
    )
    target.write_text(header + scenario_to_toml(planned.scenario), encoding="utf-8")
    out.print(f"planned scenario: {target}  (simulate it with: dctwin run {target})")
    if netcdf is not None:
        _export_netcdf(planned, pol, netcdf)


def _export_netcdf(planned: Any, policy: Any, path: Path) -> None:
    from dctwin.engine import run as run_scenario
    from dctwin.planner.handoff import demand_scenario
    from dctwin.planner.inputs import problem_from_results
    from dctwin.planner.pypsa_network import export_netcdf

    results = run_scenario(demand_scenario(planned.scenario))
    for site in results.sites:
        problem = problem_from_results(results, site, policy)
        file = path if len(results.sites) == 1 else path.with_name(f"{path.stem}-{site}{path.suffix}")
        export_netcdf(problem, planned.plans[(site, planned.scenario.phase)], file)
        out.print(f"PyPSA network: {file}")


@app.command()
def frontier(
    scenario: Annotated[
        str, typer.Argument(help="Built-in scenario name or scenario file.")
    ] = "morocco-500mw",
    phase: Annotated[str | None, typer.Option(help="Phase whose load is planned.")] = None,
    site: Annotated[str | None, typer.Option(help="Site (default: the first active one).")] = None,
    targets: Annotated[str, typer.Option(help="Comma-separated hourly CFE targets (0–1).")] = (
        "0.8,0.85,0.9,0.925,0.95,0.97,0.98,0.99,0.995,1.0"
    ),
    html_out: Annotated[Path | None, typer.Option("--html", help="Frontier report to write.")] = None,
) -> None:
    """The cost-versus-CFE frontier: least-cost portfolio for each target, and its report."""
    from dctwin.engine import run as run_scenario
    from dctwin.planner.frontier import cost_frontier
    from dctwin.planner.handoff import demand_scenario
    from dctwin.planner.inputs import problem_from_results
    from dctwin.planner.problem import Policy
    from dctwin.report.frontier import build_frontier_report
    from dctwin.scenario import load_scenario

    try:
        levels = [float(t) for t in targets.split(",") if t.strip()]
    except ValueError:
        raise typer.BadParameter(f"targets must be numbers separated by commas, got {targets!r}") from None
    for level in levels:
        _policy(f"cfe:{level}")
    sc = load_scenario(scenario, phase=phase)
    with err.status(f"frontier of {sc.name} at {sc.phase}"):
        results = run_scenario(demand_scenario(sc))
        name = site or results.sites[0]
        if name not in results.sites:
            from dctwin.errors import ScenarioError

            raise ScenarioError(
                f"site {name!r} has no capacity at {sc.phase}; active sites: {results.sites}", "--site"
            )
        frame = cost_frontier(problem_from_results(results, name, Policy("annual")), levels)
    catalogue = sc.costs
    table = Table(title=f"{sc.name} · {name} · {sc.phase} · {catalogue.currency} {catalogue.currency_year}")
    for label in (
        "policy",
        "PV MW",
        "wind MW",
        "batt MW",
        "batt MWh",
        "cost/MWh",
        "premium",
        "CFE",
        "solve s",
    ):
        table.add_column(label)
    for _, r in frame.iterrows():
        table.add_row(
            str(r["policy"]), f"{r['solar_mw']:.1f}", f"{r['wind_mw']:.1f}", f"{r['battery_power_mw']:.1f}",
            f"{r['battery_energy_mwh']:.0f}", f"{r['cost_per_mwh']:.2f}",
            f"{r['premium_over_annual_frac']:+.1%}",
            f"{r['hourly_cfe_score_frac']:.3f}", f"{r['solve_s']:.3f}",
        )  # fmt: skip
    out.print(table)
    target = html_out or Path(f"frontier-{sc.name}-{name}-{sc.phase}.html")
    notes = (
        f"Costs: {catalogue.currency} {catalogue.currency_year}, PyPSA technology-data 2030 "
        f"(energy.md §4.3), WACC {catalogue.wacc_frac:.0%}. Load: the twin's facility load (IT × PUE(T))."
    )
    title = f"{sc.name} — {name} — {sc.phase}: cost of 24/7 CFE"
    target.write_text(build_frontier_report(frame, title, catalogue.currency, notes), encoding="utf-8")
    out.print(f"frontier report: {target}")


@app.command()
def turbines() -> None:
    """List the wind turbines with power curves in the offline library."""
    from dctwin.supply.wind import turbine_types

    out.print("\n".join(turbine_types()))


@app.command()
def hardware() -> None:
    """List the hardware catalogue."""
    from dctwin.scenario import hardware_catalog

    table = Table(title="hardware catalogue")
    for col in ("name", "GPUs/rack", "GPU TDP W", "IT kW/rack", "BF16 PF/GPU", "HBM GB", "liquid"):
        table.add_column(col)
    for name, h in hardware_catalog().items():
        table.add_row(
            name,
            str(h.gpus_per_rack),
            f"{h.gpu_tdp_w:.0f}",
            f"{h.it_power_per_rack_kw:.1f}",
            f"{h.dense_bf16_pflops_per_gpu:g}",
            f"{h.hbm_gb_per_gpu:g}",
            f"{h.liquid_cooled_frac:.0%}",
        )
    out.print(table)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dctwin`` command; returns the exit status."""
    try:
        app(args=argv, prog_name="dctwin")  # standalone: usage errors exit 2 with click's message
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except DctwinError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"error: {exc.strerror or exc}{where}", markup=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted; nothing was written to the results store")
        return 130
    except Exception as exc:  # internal errors: one line unless debugging
        if os.environ.get("DCTWIN_DEBUG"):
            raise
        err.print(
            f"internal error: {type(exc).__name__}: {exc} "
            "(please report it; DCTWIN_DEBUG=1 shows the traceback)",
            markup=False,
            soft_wrap=True,
        )
        return 1
    return 0


def _entry() -> None:  # pragma: no cover - console script shim
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    _entry()
