"""Building blocks of the scenario schema: the base model and the quantity declaration.

Kept apart from :mod:`dctwin.scenario.schema` so that schema modules of later layers
(planning, workload, network, economics) can share them without import cycles.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Model", "q"]


def _extra(unit: str, source: str) -> Any:
    return {"unit": unit, "source": source}


def q(default: Any, unit: str, description: str, source: str, **bounds: Any) -> Any:
    """Declare a quantity: default, unit, description, source of the default, bounds.

    Parameters
    ----------
    default
        Default value (``...`` for required).
    unit
        Unit string shown in errors and docs, e.g. ``"MW"``, ``"frac"``, ``"°C"``.
    description
        One-line meaning of the field.
    source
        Where the default comes from (datasheet, paper, regulator, or ``"E: ..."``
        for our own derivation with its method).
    **bounds
        ``ge``, ``gt``, ``le``, ``lt``, ``min_length``, ``max_length`` as in pydantic.
    """
    return Field(
        default, description=f"{description} [{unit}]", json_schema_extra=_extra(unit, source), **bounds
    )


class Model(BaseModel):
    """Base of every scenario block: unknown fields are errors, instances are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    def __repr__(self) -> str:  # short reprs: the full dump is model_dump()
        keys = list(type(self).model_fields)[:4]
        inner = ", ".join(f"{k}={getattr(self, k)!r}" for k in keys if not _is_model(getattr(self, k)))
        return f"{type(self).__name__}({inner}, …)"


def _is_model(value: Any) -> bool:
    return isinstance(value, BaseModel | list | tuple | dict)
