"""Reading, validating and writing scenarios; the hardware catalogue.

Validation errors from the schema are turned into one :class:`~dctwin.errors.ScenarioError`
whose message lists every problem as ``field.path: what, got VALUE UNIT; fix``.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, get_origin

import tomli_w
from pydantic import BaseModel, ValidationError

from dctwin.errors import CatalogError, ScenarioError
from dctwin.scenario.residency import check_conditions, check_tenants
from dctwin.scenario.schema import HardwareSpec, Scenario

__all__ = [
    "builtin_scenario_names",
    "hardware_catalog",
    "load_scenario",
    "scenario_from_dict",
    "scenario_to_toml",
]

_DATA = resources.files("dctwin.scenario") / "data"


def builtin_scenario_names() -> list[str]:
    """Names of the scenarios shipped inside the package, sorted."""
    return sorted(p.name.removesuffix(".toml") for p in _DATA.iterdir() if _is_scenario_file(p.name))


CATALOGUE_FILES = frozenset(
    {"hardware.toml", "costs.toml", "campus_costs.toml", "residency.toml", "job_mixes.toml"}
)
"""Data files in ``scenario/data`` that are catalogues, not scenarios."""


def _is_scenario_file(name: str) -> bool:
    return name.endswith(".toml") and name not in CATALOGUE_FILES


def builtin_scenario_text(name: str) -> str:
    """The TOML text of a built-in scenario (with its source comments)."""
    names = builtin_scenario_names()
    if name not in names:
        hint = difflib.get_close_matches(name, names, n=1)
        fix = f"did you mean {hint[0]!r}?" if hint else f"built-in scenarios are {names}"
        raise CatalogError(f"no built-in scenario named {name!r}; {fix} (or pass a .toml file path)")
    return (_DATA / f"{name}.toml").read_text(encoding="utf-8")


@cache
def _builtin_hardware() -> dict[str, HardwareSpec]:
    raw = tomllib.loads((_DATA / "hardware.toml").read_text(encoding="utf-8"))
    catalog: dict[str, HardwareSpec] = {}
    for key, entry in raw.items():
        entry = {k: (None if v is False and k.startswith("dense_") else v) for k, v in entry.items()}
        catalog[key] = HardwareSpec.model_validate(entry)
    return catalog


def hardware_catalog(scenario: Scenario | None = None) -> dict[str, HardwareSpec]:
    """The hardware catalogue: built-in entries, overridden or extended by the scenario's.

    Parameters
    ----------
    scenario
        Scenario whose ``hardware`` table is merged over the built-in catalogue.

    Returns
    -------
    dict
        Catalogue name → :class:`HardwareSpec`.
    """
    catalog = dict(_builtin_hardware())
    if scenario is not None:
        catalog.update(scenario.hardware)
    return catalog


def load_scenario(source: str | Path, **overrides: Any) -> Scenario:
    """Load and validate a scenario from a built-in name or a TOML/JSON file.

    Parameters
    ----------
    source
        A built-in scenario name (see :func:`builtin_scenario_names`) or a file path.
    **overrides
        Dotted field paths to override, e.g. ``phase="phase-2"``,
        ``**{"time.step": "5min"}``. ``None`` values are ignored.

    Returns
    -------
    Scenario
        The validated scenario, defaults filled in, weather paths made absolute.

    Raises
    ------
    ScenarioError
        The file is missing, is not valid TOML/JSON, or a field is invalid.
    CatalogError
        ``source`` is neither a file nor a built-in name.
    """
    path = Path(source)
    if path.suffix in {".toml", ".json"} or path.exists():
        if not path.is_file():
            raise ScenarioError(f"scenario file {str(path)!r} does not exist; check the path")
        text = path.read_text(encoding="utf-8")
        data = _parse(text, path.suffix, str(path))
        base_dir: Path | None = path.resolve().parent
    else:
        data = _parse(builtin_scenario_text(str(source)), ".toml", str(source))
        base_dir = None
    for dotted, value in overrides.items():
        if value is not None:
            _set_dotted(data, dotted, value)
    return scenario_from_dict(data, base_dir=base_dir)


def _parse(text: str, suffix: str, origin: str) -> dict[str, Any]:
    try:
        if suffix == ".json":
            loaded = json.loads(text)
            if not isinstance(loaded, dict):
                raise ScenarioError(
                    f"{origin}: a scenario must be a JSON object, got {type(loaded).__name__}"
                )
            return loaded
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{origin} is not valid TOML: {exc}; fix the syntax at that line") from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{origin} is not valid JSON: {exc}") from None


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    node = data
    *parents, leaf = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def scenario_from_dict(data: Mapping[str, Any], base_dir: Path | None = None) -> Scenario:
    """Validate a scenario given as a mapping (the parsed TOML).

    Parameters
    ----------
    data
        The scenario as nested dicts and lists.
    base_dir
        Directory that relative file paths (weather, trace, ``network.data``) are resolved
        against.

    Raises
    ------
    ScenarioError
        Listing every invalid field with its path, value, unit and a fix.
    """
    data = _absolutise_network_data(data, base_dir)
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc)) from None
    _check_catalog_references(scenario)
    check_tenants(scenario.tenants)
    check_conditions(scenario.scheduler.inference_conditions, "scheduler.inference_conditions")
    _check_job_mixes(scenario)
    _check_prices(scenario)
    if base_dir is not None:
        scenario = _absolutise_weather_paths(scenario, base_dir)
    return scenario


def _check_catalog_references(scenario: Scenario) -> None:
    catalog = hardware_catalog(scenario)
    for i, site in enumerate(scenario.sites):
        for j, build in enumerate(site.builds):
            if build.hardware not in catalog:
                hint = difflib.get_close_matches(build.hardware, list(catalog), n=1)
                fix = f"did you mean {hint[0]!r}?" if hint else f"use one of {sorted(catalog)}"
                raise ScenarioError(
                    f"unknown hardware {build.hardware!r}; {fix} or add it under [hardware.{build.hardware}]",
                    path=f"sites[{i}].builds[{j}].hardware",
                )
        _check_turbine(site.wind.turbine_type, f"sites[{i}].wind.turbine_type")


def _check_prices(scenario: Scenario) -> None:
    """Every hardware installed has a rack price and a GPU-hour price; every price names a hardware.

    Also that the energy catalogue's euros can be brought to the campus price year (the
    euro inflation of every year between is given), so a run cannot fail on it at the end.
    """
    if scenario.costs.currency == "EUR":
        scenario.economics.fx.eur_price_factor(scenario.costs.currency_year, scenario.economics.currency_year)
    catalog = set(hardware_catalog(scenario))
    for path, priced in (
        ("economics.hardware", scenario.economics.hardware),
        ("services.on_demand_usd_per_gpu_h", scenario.services.on_demand_usd_per_gpu_h),
    ):
        for hw in priced:
            if hw not in catalog:
                hint = difflib.get_close_matches(hw, sorted(catalog), n=1)
                fix = f"did you mean {hint[0]!r}?" if hint else f"use one of {sorted(catalog)}"
                raise ScenarioError(
                    f"price for unknown hardware {hw!r}: the override would have no effect; {fix}",
                    path=f"{path}.{hw}",
                )
    for i, site in enumerate(scenario.sites):
        for j, build in enumerate(site.builds):
            hw = build.hardware
            if build.facility_power_mw <= 0:
                continue
            if hw not in scenario.economics.hardware:
                raise ScenarioError(
                    f"no rack price for hardware {hw!r}; add [economics.hardware.{hw}] rack_usd = … "
                    f"(priced: {', '.join(sorted(scenario.economics.hardware))})",
                    path=f"sites[{i}].builds[{j}].hardware",
                )
            if hw not in scenario.services.on_demand_usd_per_gpu_h:
                raise ScenarioError(
                    f"no GPU-hour price for hardware {hw!r}; add it to [services.on_demand_usd_per_gpu_h] "
                    f"(priced: {', '.join(sorted(scenario.services.on_demand_usd_per_gpu_h))})",
                    path=f"sites[{i}].builds[{j}].hardware",
                )


def _check_job_mixes(scenario: Scenario) -> None:
    mixes = scenario.jobs.mix_catalogue()
    for i, tenant in enumerate(scenario.tenants):
        if tenant.job_mix not in mixes:
            hint = difflib.get_close_matches(tenant.job_mix, list(mixes), n=1)
            fix = (
                f"did you mean {hint[0]!r}?"
                if hint
                else f"use one of {sorted(mixes)} or add it under [jobs.mixes]"
            )
            raise ScenarioError(f"unknown job mix {tenant.job_mix!r}; {fix}", path=f"tenants[{i}].job_mix")


def _check_turbine(turbine_type: str, path: str) -> None:
    from dctwin.supply.wind import turbine_types  # local import: supply depends on scenario

    names = turbine_types()
    if turbine_type not in names:
        hint = difflib.get_close_matches(turbine_type, names, n=3)
        fix = f"did you mean {hint}?" if hint else "run `dctwin turbines` for the list"
        raise ScenarioError(
            f"turbine {turbine_type!r} is not in windpowerlib's offline library; {fix}", path=path
        )


def _absolutise_network_data(data: Mapping[str, Any], base_dir: Path | None) -> Mapping[str, Any]:
    """``network.data`` as a file path relative to the scenario file, made absolute.

    Done before validation, because validating the network block reads that file.
    """
    network = data.get("network")
    path = network.get("data") if isinstance(network, Mapping) else None
    if (
        base_dir is None
        or not isinstance(path, str)
        or not path.endswith(".toml")
        or Path(path).is_absolute()
    ):
        return data
    return {**data, "network": {**network, "data": str((base_dir / path).resolve())}}  # type: ignore[dict-item]


def _absolutise_weather_paths(scenario: Scenario, base_dir: Path) -> Scenario:
    trace = scenario.jobs.trace_path
    if trace and not Path(trace).is_absolute():
        jobs = scenario.jobs.model_copy(update={"trace_path": str((base_dir / trace).resolve())})
        scenario = scenario.model_copy(update={"jobs": jobs})
    sites = []
    for site in scenario.sites:
        wpath = site.weather.path
        if wpath and not Path(wpath).is_absolute():
            weather = site.weather.model_copy(update={"path": str((base_dir / wpath).resolve())})
            site = site.model_copy(update={"weather": weather})
        sites.append(site)
    return scenario.model_copy(update={"sites": sites})


# ------------------------------------------------------------------ error messages
#: ``outages[0].cable: …`` at the start of a model validator's message: the field inside the block.
_INNER_PATH = re.compile(r"^([A-Za-z_]\w*(?:\[\d+\])*(?:\.[A-Za-z_]\w*(?:\[\d+\])*)*): ")


def format_validation_error(exc: ValidationError) -> str:
    """Turn a pydantic error into lines of ``path: problem, got value unit; fix``."""
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = _dotted(loc)
        unit = _unit_at(Scenario, loc)
        message = _explain(err, unit, loc)
        inner = _INNER_PATH.match(message)  # a block's own check that names its field first
        if inner and loc:
            path, message = f"{path}.{inner.group(1)}", message[inner.end() :]
        lines.append(f"{path}: {message}")
    count = len(lines)
    head = f"scenario invalid ({count} problem{'s' if count > 1 else ''}): "
    return head + "; ".join(lines)


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(scenario)"


def _unit_at(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    current: Any = model
    unit = ""
    keyed = False  # the previous field is a mapping: this part is one of its keys
    for part in loc:
        if keyed:
            keyed = False
            continue
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = current.model_fields.get(str(part)) or next(
            (f for f in current.model_fields.values() if f.alias == str(part)), None
        )
        if field is None:
            return ""
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        unit = str(extra.get("unit", ""))
        keyed = get_origin(field.annotation) in (dict, Mapping)
        current = _inner_model(field.annotation)
    return unit


def _inner_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


_BOUND_WORDS = {"greater_than": ">", "greater_than_equal": "≥", "less_than": "<", "less_than_equal": "≤"}


def _explain(err: Any, unit: str, loc: tuple[Any, ...]) -> str:
    kind = err["type"]
    value = err.get("input")
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    shown = (
        f"{value!r} {unit}".rstrip()
        if numeric and unit not in {"", "choice", "name", "path"}
        else repr(value)
    )
    ctx = err.get("ctx") or {}
    if kind in _BOUND_WORDS:
        bound = next(iter(ctx.values()))
        fix = ""
        if unit.startswith("frac") and isinstance(value, int | float) and 1 < value <= 100:
            fix = f"; fractions are 0–1, not percent: did you mean {value / 100:g}?"
        fix = fix or "; set a value inside the bound"
        return f"must be {_BOUND_WORDS[kind]} {bound} {unit}, got {shown}{fix}"
    if kind == "extra_forbidden":
        parent = _model_at(Scenario, loc[:-1])
        valid = sorted(parent.model_fields) if parent else []
        hint = difflib.get_close_matches(str(loc[-1]), valid, n=1)
        fix = f"did you mean {hint[0]!r}?" if hint else f"valid fields here: {', '.join(valid)}"
        return f"unknown field; {fix}"
    if kind == "missing":
        return "is required but missing; add it to the scenario"
    if kind == "literal_error":
        return f"got {value!r}; choose one of {ctx.get('expected')}"
    if kind in {"too_short", "too_long"}:
        return f"{err['msg'].lower()}; got {len(value) if hasattr(value, '__len__') else value} items"
    if kind.endswith("_parsing") or kind.endswith("_type"):
        return f"{err['msg'].lower()}, got {shown}; write a value of that type"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return msg


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


# ------------------------------------------------------------------------ writing
def scenario_to_toml(scenario: Scenario) -> str:
    """The resolved scenario (every default filled in) as TOML text."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    return tomli_w.dumps(data)
