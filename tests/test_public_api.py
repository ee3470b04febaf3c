"""The public API is an explicit list; changing it is a deliberate act (httpx style)."""

import dctwin

EXPECTED = {
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
}


def test_public_api_is_exactly_the_list() -> None:
    assert set(dctwin.__all__) == EXPECTED
    for name in dctwin.__all__:
        assert hasattr(dctwin, name), name


def test_errors_subclass_builtins() -> None:
    assert issubclass(dctwin.ScenarioError, ValueError)
    assert issubclass(dctwin.WeatherDataError, ValueError)
    assert issubclass(dctwin.StoreError, OSError)
    assert issubclass(dctwin.RunNotFoundError, dctwin.StoreError)
    assert issubclass(dctwin.InfeasibleError, RuntimeError)
    assert issubclass(dctwin.CatalogError, KeyError)
