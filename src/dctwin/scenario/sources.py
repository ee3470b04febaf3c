"""The source of each default value: the trailing comment of its line in a catalogue file.

Every number in the built-in TOML catalogues carries its citation as a trailing
``# comment`` (house style). This module reads those comments back so that a result can
say where each of its inputs came from (the capex table of the economics, the report).
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["catalogue_sources", "catalogue_values", "source_of"]

_TABLE = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\.\"]+)\s*=\s*(.+?)\s*$")


def _trailing_comment(value_text: str) -> str:
    """The comment after a TOML value, ignoring ``#`` inside quoted strings."""
    quote = ""
    for i, ch in enumerate(value_text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return value_text[i + 1 :].strip()
    return ""


@cache
def catalogue_sources(filename: str) -> dict[str, str]:
    """Dotted key → source comment of every value in a built-in catalogue file.

    Parameters
    ----------
    filename
        A file of ``dctwin/scenario/data`` (e.g. ``"campus_costs.toml"``).

    Returns
    -------
    dict
        ``"facility.building_usd_per_it_mw"`` → ``"E: same guide, …"``; a key without a
        comment maps to ``""``.

    Examples
    --------
    >>> catalogue_sources("campus_costs.toml")["wacc_frac"][:10]
    'energy.md '
    """
    text = resources.files("dctwin.scenario").joinpath("data", filename).read_text(encoding="utf-8")
    table, out = "", {}
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        header = _TABLE.match(line)
        if header:
            table = header.group(1).replace('"', "")
            continue
        kv = _KEY.match(line)
        if kv:
            key = kv.group(1).replace('"', "")
            out[f"{table}.{key}" if table else key] = _trailing_comment(kv.group(2))
    return out


@cache
def catalogue_values(filename: str) -> dict[str, Any]:
    """The parsed built-in catalogue file (for telling defaults from overrides)."""
    text = resources.files("dctwin.scenario").joinpath("data", filename).read_text(encoding="utf-8")
    return tomllib.loads(text)


def source_of(filename: str, key: str, value: Any) -> str:
    """The citation of ``key`` if ``value`` is the catalogue's, else ``"scenario override"``.

    Parameters
    ----------
    filename
        Catalogue file the default comes from.
    key
        Dotted key in that file.
    value
        The value the run used.
    """
    node: Any = catalogue_values(filename)
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if node is None:
        return "scenario (no catalogue default)"
    same = (
        abs(float(node) - float(value)) <= 1e-9 * max(1.0, abs(float(node)))
        if _number(node)
        else node == value
    )
    if not same:
        return f"scenario override (catalogue {filename} has {node})"
    return catalogue_sources(filename).get(key, "") or f"{filename} (no source comment)"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
