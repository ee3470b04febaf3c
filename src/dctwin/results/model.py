"""The :class:`Results` of one run: what the engine returns and the store persists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dctwin.scenario.schema import Scenario

__all__ = ["Results"]


@dataclass(frozen=True)
class Results:
    """Everything one run produced.

    Attributes
    ----------
    scenario
        The resolved scenario (defaults filled in) that produced these results.
    timeseries
        Long-format table, one row per site and step; columns are listed in
        ``docs/conventions.md`` (``time_utc``, ``site``, ``solar_mw``, ...).
    summary
        ``{"campus": {...}, "sites": {slug: {...}}, "fleet": {...}}``; unit-suffixed keys.
    metadata
        Seed, dctwin version, git hash, wall time per stage [s], creation time (UTC).
    run_id
        Id in the results store, once stored.
    tables
        Further tables of the run by name (with the scheduler: ``jobs``, ``audit``,
        ``tenants``, ``jct_by_qos``, ``inference_by_region``, ...), unit-named columns.
    """

    scenario: Scenario
    timeseries: pd.DataFrame
    summary: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def site_frame(self, site: str) -> pd.DataFrame:
        """Time series of one site, indexed by ``time_utc``."""
        frame = self.timeseries[self.timeseries["site"] == site]
        return frame.drop(columns="site").set_index("time_utc")

    @property
    def sites(self) -> list[str]:
        """Site slugs in scenario order."""
        return list(dict.fromkeys(self.timeseries["site"]))

    def __repr__(self) -> str:
        campus = self.summary.get("campus", {})
        cfe = campus.get("hourly_cfe_score_frac")
        pue = campus.get("pue_annual")
        parts = [f"{self.scenario.name!r}", f"phase={self.scenario.phase!r}"]
        if self.run_id:
            parts.insert(0, f"run_id={self.run_id!r}")
        if cfe is not None:
            parts.append(f"hourly CFE {cfe:.1%}")
        if pue is not None:
            parts.append(f"PUE {pue:.3f}")
        return f"Results({', '.join(parts)}, {len(self.timeseries)} rows)"
