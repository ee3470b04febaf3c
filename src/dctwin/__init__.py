"""dctwin: digital twin and planner for renewable-powered, sovereign AI datacenter campuses.

The public API::

    load_scenario(name_or_path, **overrides) -> Scenario
    run(scenario) -> Results
    RunStore(root).write(results) / .load(run_id) / .list_runs()
    build_report(results) -> str (HTML)
"""

__version__ = "0.1.0"

from dctwin.engine import run
from dctwin.errors import (
    CatalogError,
    DctwinError,
    InfeasibleError,
    RunNotFoundError,
    ScenarioError,
    StoreError,
    WeatherDataError,
)
from dctwin.report import build_report, write_report
from dctwin.results import Results, RunStore
from dctwin.scenario import (
    Scenario,
    builtin_scenario_names,
    hardware_catalog,
    load_scenario,
    scenario_to_toml,
)

__all__ = [
    "CatalogError",
    "DctwinError",
    "InfeasibleError",
    "Results",
    "RunNotFoundError",
    "RunStore",
    "Scenario",
    "ScenarioError",
    "StoreError",
    "WeatherDataError",
    "__version__",
    "build_report",
    "builtin_scenario_names",
    "hardware_catalog",
    "load_scenario",
    "run",
    "scenario_to_toml",
    "write_report",
]
