"""Mutable records of arrays for the compiled core (numba StructRef).

A numba ``NamedTuple`` of arrays is passed *by value*: every call between compiled
functions copies every array descriptor, and with ~150 arrays the generated code (and
compile time, ≈ 2 min) explodes. A StructRef is passed by reference, compiles about
three times faster, and is cached on disk like any ``cache=True`` function. Attribute
access (``jobs.gpus[j]``) reads the same in compiled code; from Python, each record
also holds its fields as plain attributes: the very array objects the compiled code
mutates in place (fields are never re-bound), so they always show the current state.
"""

from __future__ import annotations

from typing import Any

from numba.core import types

__all__ = ["make_struct"]


class RecordType(types.StructRef):
    """Base of the record types: literal field types are widened (no re-compilation per value)."""

    def preprocess_fields(self, fields: Any) -> tuple[tuple[str, Any], ...]:
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


def make_struct(proxy: type, fields: tuple[str, ...], values: dict[str, Any]) -> Any:
    """Build a record from keyword values, checking that exactly ``fields`` are given."""
    missing = [f for f in fields if f not in values]
    extra = [k for k in values if k not in fields]
    if missing or extra:
        raise TypeError(f"{proxy.__name__}: missing fields {missing}, unknown fields {extra}")
    record = proxy(*(values[f] for f in fields))
    for name in fields:  # Python-side view: the same array objects the compiled code mutates
        object.__setattr__(record, name, values[name])
    return record
