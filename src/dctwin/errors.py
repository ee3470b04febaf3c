"""Exceptions raised by dctwin.

Every error a user can cause says what is wrong, where (a field path or a file), the
offending value with its unit, and how to fix it. Errors subclass builtins so callers
can catch them without importing dctwin.

The tree::

    DctwinError                      base of everything dctwin raises on purpose
    ├── ScenarioError(ValueError)    a scenario file or field is invalid
    ├── WeatherDataError(ValueError) a weather file cannot be read or is implausible
    ├── CatalogError(KeyError)       an unknown hardware or turbine name
    ├── StoreError(OSError)          the results store cannot be read or written
    │   └── RunNotFoundError         no run with that id in the store
    └── InfeasibleError(RuntimeError) a model has no solution for the given inputs

The CLI prints ``str(error)`` on one line and exits with status 2 for any of them.
"""

from __future__ import annotations

__all__ = [
    "CatalogError",
    "DctwinError",
    "InfeasibleError",
    "RunNotFoundError",
    "ScenarioError",
    "StoreError",
    "WeatherDataError",
]


class DctwinError(Exception):
    """Base class of the errors dctwin raises on purpose."""


class ScenarioError(DctwinError, ValueError):
    """A scenario file or one of its fields is invalid.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    path
        Dotted field path, e.g. ``sites[0].battery.power_capacity_mw``.
    """

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class WeatherDataError(DctwinError, ValueError):
    """A weather file cannot be read, or its values are implausible."""


class CatalogError(DctwinError, KeyError):
    """A name that is not in a catalogue (hardware, turbine, scenario)."""

    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0]) if self.args else ""


class StoreError(DctwinError, OSError):
    """The results store cannot be read or written."""


class RunNotFoundError(StoreError):
    """No run with the requested id exists in the store."""


class InfeasibleError(DctwinError, RuntimeError):
    """A model has no feasible solution; the message names the binding constraint."""
