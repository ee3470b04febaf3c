"""The data-residency catalogue and the legal properties of a site.

The catalogue (``scenario/data/residency.toml``) holds

* **classes** of data (``public``, ``ma_personal``, ``eu_personal``, ``eu_sovereign``, ...), each
  with its legal basis and source, where it may be processed at all (``jurisdictions``) and where
  it needs no tenant condition (``free_in``);
* the **conditions** a tenant may have on file (``sccs``, ``tia``, ``cndp_authorisation``, ...);
* **country groups** (``EU``, ``EEA``, ``EU_ADEQUATE``, ``MA_SUFFICIENT``);
* the ordered **rules**: per class, allow or deny, where, which conditions and which operator
  properties an allow rule needs.

A site's legal side is a :class:`SiteJurisdiction`: its country and what its operator is
(a Moroccan-law company, majority Moroccan-owned, operated from where). The decision itself
is :func:`dctwin.sovereignty.admission`.

Everything here encodes ``facts.md`` §6 (E: derived, not legal advice).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from dctwin.errors import CatalogError, ScenarioError
from dctwin.scenario.schema_base import Model, q
from dctwin.scenario.tenants import Tenant

__all__ = [
    "ConditionSpec",
    "ResidencyCatalogue",
    "ResidencyClass",
    "Rule",
    "SiteJurisdiction",
    "check_conditions",
    "check_tenants",
    "residency_catalogue",
    "residency_catalogue_from_dict",
]

ANYWHERE = "*"
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_RULE_ID = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,62}$")


def _country_code(value: str, what: str) -> str:
    code = value.upper()
    if not _COUNTRY.match(code):
        raise ValueError(f"{what} {value!r} is not an ISO 3166-1 alpha-2 country code, e.g. 'MA', 'FR'")
    return code


# ------------------------------------------------------------------ the site side
class SiteJurisdiction(Model):
    """Where a site is and who runs it, as far as data-residency rules care.

    The defaults describe the Morocco campus (both sites, facts.md §1) as the public record
    shows it; set them per site in the scenario to test another operator.
    """

    country: str = q(
        "MA",
        "ISO 3166-1 alpha-2",
        "Country the site is in",
        "facts.md §1: both campus sites (Tangier–Tetouan, Nouaceur/Casablanca) are in Morocco",
    )
    moroccan_law_company: bool = q(
        True,
        "bool",
        "The site's operator is a company under Moroccan law (DGSSI qualification levels 1 and 2)",
        "E: a Moroccan project company is assumed; facts.md §1 names the consortium (Naver, Nvidia, "
        "Nexus Core Systems, Lloyds Capital), not the operating entity — not legal advice",
    )
    majority_moroccan_owned: bool = q(
        False,
        "bool",
        "The operator is majority Moroccan-owned (DGSSI qualification level 2)",
        "E: facts.md §1 consortium Naver (KR), Nvidia (US), Nexus Core Systems (UK), Lloyds Capital; "
        "no Moroccan majority shareholder in the public record — not legal advice",
    )
    operated_from_country: str = q(
        "MA",
        "ISO 3166-1 alpha-2",
        "Country the site's operation, administration and supervision are run from",
        "facts.md §1: data 'stored, processed and managed entirely within the local jurisdiction' "
        "(koreaherald)",
    )
    dgssi_qualification_level: int = q(
        0,
        "level",
        "DGSSI cloud qualification held by the operator (0 none, 1 sensitive systems, 2 sensitive data)",
        "E: no qualification in the public record (facts.md §6.1 Decree 2-24-921)",
        ge=0,
        le=2,
    )
    immune_from_non_eu_law: bool = q(
        False,
        "bool",
        "The operator is immune from non-EU law (SecNumCloud 3.2, Gaia-X L3 criterion)",
        "E: non-EU parents (Naver KR, Nvidia US; facts.md §1) — facts.md §6.1 SecNumCloud row",
    )
    dpf_certified: bool = q(
        False,
        "bool",
        "The operator is certified under the EU–US Data Privacy Framework",
        "E: the DPF certifies US organisations only (facts.md §6.1 EU GDPR adequacy)",
    )

    @field_validator("country", "operated_from_country")
    @classmethod
    def _code(cls, value: str) -> str:
        return _country_code(value, "country")

    @model_validator(mode="after")
    def _qualification_consistent(self) -> SiteJurisdiction:
        level = self.dgssi_qualification_level
        if level >= 1 and not (
            self.country == "MA" and self.moroccan_law_company and self.operated_from_country == "MA"
        ):
            raise ValueError(
                f"dgssi_qualification_level = {level} needs a site in MA run by a Moroccan-law company "
                "from MA (Decree 2-24-921 level 1); fix the operator fields or set the level to 0"
            )
        if level == 2 and not self.majority_moroccan_owned:
            raise ValueError(
                "dgssi_qualification_level = 2 needs majority_moroccan_owned = true (Decree 2-24-921 "
                "level 2); set it, or the level to 1"
            )
        return self

    def __repr__(self) -> str:
        law = "Moroccan-law" if self.moroccan_law_company else "foreign-law"
        owned = "majority Moroccan-owned" if self.majority_moroccan_owned else "not majority Moroccan-owned"
        return (
            f"SiteJurisdiction({self.country}, {law} operator run from {self.operated_from_country}, "
            f"{owned}, DGSSI L{self.dgssi_qualification_level})"
        )

    __str__ = __repr__


_SITE_FIELDS = SiteJurisdiction.model_fields


# ------------------------------------------------------------------ the catalogue
class ConditionSpec(Model):
    """A legal condition a tenant may have on file."""

    description: str = Field(description="What the condition is")
    source: str = Field(description="Where it comes from")


class ResidencyClass(Model):
    """A data-residency class: what data, its legal basis, where it may be processed."""

    description: str = Field(description="What data the class holds")
    legal_basis: str = Field(description="The law the class follows, with articles")
    source: str = Field(description="Citation (facts.md §6.1 row or URL)")
    jurisdictions: list[str] = Field(
        description="Where it may be processed under some rule ('*', codes, groups)"
    )
    free_in: list[str] = Field(description="Where it needs no tenant condition")


class Rule(Model):
    """One placement rule: allow or deny a class at sites in some places.

    ``site`` maps :class:`SiteJurisdiction` fields to what the operator must be: a bool must match,
    a text value is a country or group the property must be in, a number is a minimum.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, populate_by_name=True)

    id: str = Field(description="Rule id, e.g. 'EU-GDPR-ART46-SCC'")
    residency_class: str = Field(alias="class", description="Class the rule is about")
    effect: Literal["allow", "deny"] = Field(description="What the rule decides")
    where: list[str] = Field(description="Countries where it applies ('*', codes, groups)")
    except_where: list[str] = Field(default_factory=list, description="Countries excluded from 'where'")
    conditions: list[str] = Field(default_factory=list, description="Tenant conditions an allow rule needs")
    site: dict[str, bool | int | str] = Field(
        default_factory=dict, description="Operator properties an allow rule needs"
    )
    reason: str = Field(description="Phrase used in the decision's one-line reason")
    source: str = Field(description="Citation")

    @property
    def catch_all(self) -> bool:
        """True if the rule applies everywhere, unconditionally."""
        return self.where == [ANYWHERE] and not (self.except_where or self.conditions or self.site)

    def __repr__(self) -> str:
        where = ",".join(self.where) + (f" except {','.join(self.except_where)}" if self.except_where else "")
        needs = [*self.conditions, *(f"site.{k}" for k in self.site)]
        tail = f" with {', '.join(needs)}" if needs else ""
        return f"Rule({self.id}: {self.effect} {self.residency_class} in {where}{tail})"

    __str__ = __repr__


class ResidencyCatalogue(Model):
    """Classes, conditions, country groups and the ordered rules (see ``residency.toml``)."""

    groups: dict[str, list[str]] = Field(default_factory=dict, description="Named lists of country codes")
    conditions: dict[str, ConditionSpec] = Field(description="Condition vocabulary")
    classes: dict[str, ResidencyClass] = Field(description="Residency classes")
    rules: list[Rule] = Field(description="Placement rules, in order")

    _groups: dict[str, frozenset[str]] = PrivateAttr(default_factory=dict)
    _by_class: dict[str, tuple[Rule, ...]] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any) -> None:
        """Index the groups and the rules per class (in file order)."""
        self._groups = {name: frozenset(codes) for name, codes in self.groups.items()}
        by_class: dict[str, list[Rule]] = {name: [] for name in self.classes}
        for rule in self.rules:
            by_class.setdefault(rule.residency_class, []).append(rule)
        self._by_class = {name: tuple(rules) for name, rules in by_class.items()}

    def rules_for(self, residency_class: str) -> tuple[Rule, ...]:
        """The rules of a class, in order.

        Raises
        ------
        CatalogError
            If the class is not in the catalogue (with the closest name).
        """
        if residency_class not in self.classes:
            raise CatalogError(
                f"unknown residency class {residency_class!r}; {_close(residency_class, self.classes)}"
            )
        return self._by_class[residency_class]

    def in_place(self, token: str, country: str) -> bool:
        """True if ``country`` is ``token``: ``'*'``, the same code, or a member of the group."""
        if token == ANYWHERE:
            return True
        group = self._groups.get(token)
        return country in group if group is not None else country == token

    def located(self, rule: Rule, country: str) -> bool:
        """True if ``rule`` applies in ``country`` (in ``where``, not in ``except_where``)."""
        return any(self.in_place(t, country) for t in rule.where) and not any(
            self.in_place(t, country) for t in rule.except_where
        )

    def countries(self) -> frozenset[str]:
        """Every country code named by a group or a rule."""
        named = {c for codes in self._groups.values() for c in codes}
        for rule in self.rules:
            named.update(t for t in (*rule.where, *rule.except_where) if _COUNTRY.match(t))
        return frozenset(named)

    def __repr__(self) -> str:
        return (
            f"ResidencyCatalogue({len(self.classes)} classes, {len(self.rules)} rules, "
            f"{len(self.conditions)} conditions, groups {sorted(self.groups)})"
        )

    __str__ = __repr__


# ------------------------------------------------------------------ loading and checks
def residency_catalogue_from_dict(raw: Mapping[str, Any], origin: str = "residency") -> ResidencyCatalogue:
    """Validate a residency catalogue given as nested dicts (the parsed TOML).

    Parameters
    ----------
    raw
        ``groups``, ``conditions``, ``classes`` and ``rules`` tables as in ``residency.toml``.
    origin
        Name used as the first part of error paths.

    Returns
    -------
    ResidencyCatalogue

    Raises
    ------
    ScenarioError
        Naming the path of the first problem (``residency.rules[3].conditions[0]``) and its fix:
        an unknown class, condition, group or operator property; a duplicate rule id; a deny rule
        that depends on conditions or operator properties; a class without a catch-all last rule.
    """
    try:
        catalogue = ResidencyCatalogue.model_validate(dict(raw))
    except ValidationError as exc:
        err = exc.errors()[0]
        path = origin + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
        raise ScenarioError(f"{err['msg']}, got {err.get('input')!r}", path=path) from None
    _check_catalogue(catalogue, origin)
    return catalogue


def _check_catalogue(cat: ResidencyCatalogue, origin: str) -> None:
    for name, codes in cat.groups.items():
        for k, code in enumerate(codes):
            if not _COUNTRY.match(code):
                raise ScenarioError(
                    f"{code!r} is not an upper-case ISO 3166-1 code", f"{origin}.groups.{name}[{k}]"
                )
    for name, cls in cat.classes.items():
        for field in ("jurisdictions", "free_in"):
            for k, token in enumerate(getattr(cls, field)):
                _check_token(cat, token, f"{origin}.classes.{name}.{field}[{k}]")
    seen: set[str] = set()
    for i, rule in enumerate(cat.rules):
        path = f"{origin}.rules[{i}]"
        _check_rule(cat, rule, path, seen)
    for name in cat.classes:
        rules = cat.rules_for(name)
        if not rules or not rules[-1].catch_all:
            raise ScenarioError(
                f"the last rule of class {name!r} must be a catch-all (where = ['*'], no except_where, "
                "conditions or site) so that every decision names a rule; add one",
                f"{origin}.classes.{name}",
            )


def _check_rule(cat: ResidencyCatalogue, rule: Rule, path: str, seen: set[str]) -> None:
    if not _RULE_ID.match(rule.id):
        raise ScenarioError(f"rule id {rule.id!r} must be upper-case letters, digits and '-'", f"{path}.id")
    if rule.id in seen:
        raise ScenarioError(f"duplicate rule id {rule.id!r}; give every rule its own id", f"{path}.id")
    seen.add(rule.id)
    if rule.residency_class not in cat.classes:
        raise ScenarioError(
            f"unknown class {rule.residency_class!r}; {_close(rule.residency_class, cat.classes)}",
            f"{path}.class",
        )
    for field in ("where", "except_where"):
        for k, token in enumerate(getattr(rule, field)):
            _check_token(cat, token, f"{path}.{field}[{k}]")
    for k, cond in enumerate(rule.conditions):
        if cond not in cat.conditions:
            raise ScenarioError(
                f"unknown condition {cond!r}; {_close(cond, cat.conditions)}", f"{path}.conditions[{k}]"
            )
    for key, want in rule.site.items():
        _check_site_requirement(cat, key, want, f"{path}.site.{key}")
    if rule.effect == "deny" and (rule.conditions or rule.site):
        raise ScenarioError(
            "a deny rule may depend on location only (no conditions or site), so that more conditions "
            "never turn an admission into a denial; move them to an allow rule before it",
            path,
        )


def _check_site_requirement(cat: ResidencyCatalogue, key: str, want: object, path: str) -> None:
    field = _SITE_FIELDS.get(key)
    if field is None:
        raise ScenarioError(f"unknown operator property; {_close(key, _SITE_FIELDS)}", path)
    kind = field.annotation
    ok = (
        (kind is bool and isinstance(want, bool))
        or (kind is int and isinstance(want, int) and not isinstance(want, bool))
        or (kind is str and isinstance(want, str))
    )
    if not ok:
        raise ScenarioError(f"{key} is a {getattr(kind, '__name__', kind)}, got {want!r}", path)
    if isinstance(want, str):
        _check_token(cat, want, path)


def _check_token(cat: ResidencyCatalogue, token: str, path: str) -> None:
    if token == ANYWHERE or token in cat.groups or _COUNTRY.match(token):
        return
    raise ScenarioError(
        f"{token!r} is neither '*', an upper-case ISO 3166-1 code nor a group; {_close(token, cat.groups)}",
        path,
    )


def _close(name: str, known: Mapping[str, Any]) -> str:
    """``did you mean 'x'? (known: a, b, c)``, or just the known names."""
    names = ", ".join(sorted(known))
    hint = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean {hint[0]!r}? (known: {names})" if hint else f"known: {names}"


@cache
def residency_catalogue() -> ResidencyCatalogue:
    """The built-in residency catalogue (``scenario/data/residency.toml``), read once.

    Returns
    -------
    ResidencyCatalogue

    Examples
    --------
    >>> cat = residency_catalogue()
    >>> [r.id for r in cat.rules_for("eu_sovereign")]
    ['EU-SOV-LOCATION', 'EU-SOV-CONTROL', 'EU-SOV-CONTROL-REQUIRED']
    """
    text = (resources.files("dctwin.scenario") / "data" / "residency.toml").read_text(encoding="utf-8")
    return residency_catalogue_from_dict(tomllib.loads(text), origin="residency.toml")


def check_tenants(tenants: Sequence[Tenant], catalogue: ResidencyCatalogue | None = None) -> None:
    """Check that every tenant's residency class and conditions are in the catalogue.

    Parameters
    ----------
    tenants
        The scenario's tenants, in scenario order.
    catalogue
        Residency catalogue; default the built-in one.

    Raises
    ------
    ScenarioError
        At the first unknown name, with its path (``tenants[2].residency_class``,
        ``tenants[2].conditions[0]``) and the closest known name.
    """
    cat = catalogue if catalogue is not None else residency_catalogue()
    for i, tenant in enumerate(tenants):
        if tenant.residency_class not in cat.classes:
            fix = _close(tenant.residency_class, cat.classes)
            raise ScenarioError(
                f"unknown residency class {tenant.residency_class!r}; {fix}",
                path=f"tenants[{i}].residency_class",
            )
        check_conditions(tenant.conditions, f"tenants[{i}].conditions", cat)


def check_conditions(
    conditions: Sequence[str], path: str, catalogue: ResidencyCatalogue | None = None
) -> None:
    """Check that every condition on file is one of the catalogue's.

    Parameters
    ----------
    conditions
        Condition names, e.g. ``["sccs", "tia"]``.
    path
        Field path of the list, e.g. ``"scheduler.inference_conditions"``.
    catalogue
        Residency catalogue; default the built-in one.

    Raises
    ------
    ScenarioError
        At the first unknown name, with its path (``path[k]``) and the closest known name.
    """
    cat = catalogue if catalogue is not None else residency_catalogue()
    for k, cond in enumerate(conditions):
        if cond not in cat.conditions:
            raise ScenarioError(
                f"unknown condition {cond!r}; {_close(cond, cat.conditions)}", path=f"{path}[{k}]"
            )
