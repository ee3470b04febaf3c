"""The one scenario schema, its loader and the built-in scenarios and catalogues."""

from dctwin.scenario.loader import (
    builtin_scenario_names,
    builtin_scenario_text,
    hardware_catalog,
    load_scenario,
    scenario_from_dict,
    scenario_to_toml,
)
from dctwin.scenario.schema import HardwareSpec, Scenario, Site

__all__ = [
    "HardwareSpec",
    "Scenario",
    "Site",
    "builtin_scenario_names",
    "builtin_scenario_text",
    "hardware_catalog",
    "load_scenario",
    "scenario_from_dict",
    "scenario_to_toml",
]
