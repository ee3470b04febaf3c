"""Building blocks of the scenario schema: the base model and the quantity declaration.

Kept apart from :mod:`dctwin.scenario.schema` so that schema modules of later layers
(planning, workload, network, economics) can share them without import cycles.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Model", "check_isodays", "check_slug", "check_time_zone", "q"]


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


_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def check_slug(value: str) -> str:
    """A name usable as an id: lowercase letters, digits, ``-`` or ``_`` (validators call this)."""
    if not _SLUG.match(value):
        raise ValueError(f"{value!r} is not a slug: use lowercase letters, digits, '-' or '_'")
    return value


def check_time_zone(value: str, example: str = "Africa/Casablanca") -> str:
    """An IANA time-zone name (validators call this)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone; use e.g. {example!r}") from None
    return value


def check_isodays(value: tuple[int, ...]) -> tuple[int, ...]:
    """Distinct ISO weekdays 1 (Monday) … 7 (Sunday) (validators call this)."""
    if any(d < 1 or d > 7 for d in value) or len(set(value)) != len(value):
        raise ValueError(f"weekend_isodays must be distinct ISO weekdays 1–7, got {list(value)}")
    return value
