"""The installed fleet: from facility MW to racks and GPUs, and IT power by state.

A build step buys ``facility_power_mw``; at the design PUE that is
``facility_power_mw / sizing_pue`` of IT, which buys whole racks of the catalogue entry
at their design IT power (compute rack plus its share of network and storage). NVIDIA's
reference unit fixes the GB200 numbers: one DGX SuperPOD scalable unit = 8 NVL72 racks =
576 GPUs = 1.2 MW.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dctwin.scenario.schema import BuildStep, HardwareSpec

__all__ = ["FleetBlock", "SiteFleet", "it_power_mw", "racks_for_it_power", "site_fleet"]


def racks_for_it_power(it_power_mw: float, it_power_per_rack_kw: float) -> int:
    """Whole racks that fit in an IT power budget.

    Parameters
    ----------
    it_power_mw
        IT power available. [MW]
    it_power_per_rack_kw
        Design IT power per rack incl. network/storage share. [kW]

    Examples
    --------
    >>> racks_for_it_power(1.2, 150.0)   # one GB200 scalable unit
    8
    >>> racks_for_it_power(40 / 1.15, 150.0)
    231
    """
    return math.floor(it_power_mw * 1000.0 / it_power_per_rack_kw + 1e-9)


@dataclass(frozen=True)
class FleetBlock:
    """Racks of one hardware type added in one phase.

    Attributes
    ----------
    phase, hardware
        Build phase and catalogue name.
    spec
        Catalogue entry.
    racks, gpus
        Installed counts. [rack], [GPU]
    it_capacity_mw
        Design IT power of the block (racks × IT power per rack). [MW]
    facility_power_mw
        Facility power bought for the block. [MW]
    """

    phase: str
    hardware: str
    spec: HardwareSpec
    racks: int
    gpus: int
    it_capacity_mw: float
    facility_power_mw: float

    @property
    def scalable_units(self) -> float:
        """Racks in units of the catalogue's scalable unit. [SU]"""
        return self.racks / self.spec.racks_per_scalable_unit


@dataclass(frozen=True)
class SiteFleet:
    """All racks installed at a site up to the simulated phase."""

    blocks: tuple[FleetBlock, ...]

    @property
    def gpus(self) -> int:
        """Installed GPUs. [GPU]"""
        return sum(b.gpus for b in self.blocks)

    @property
    def racks(self) -> int:
        """Installed racks. [rack]"""
        return sum(b.racks for b in self.blocks)

    @property
    def it_capacity_mw(self) -> float:
        """Design IT power. [MW]"""
        return sum(b.it_capacity_mw for b in self.blocks)

    @property
    def facility_power_mw(self) -> float:
        """Built facility power. [MW]"""
        return sum(b.facility_power_mw for b in self.blocks)

    @property
    def liquid_cooled_frac(self) -> float:
        """IT-capacity-weighted share of heat removed by liquid. [frac]"""
        cap = self.it_capacity_mw
        return (
            sum(b.it_capacity_mw * b.spec.liquid_cooled_frac for b in self.blocks) / cap if cap > 0 else 0.0
        )

    @property
    def dense_bf16_pflops(self) -> float:
        """Peak dense BF16 throughput of the fleet. [PFLOP/s]"""
        return sum(b.gpus * b.spec.dense_bf16_pflops_per_gpu for b in self.blocks)

    def describe(self) -> list[dict[str, object]]:
        """One JSON-ready row per block for summaries and reports."""
        return [
            {
                "phase": b.phase,
                "hardware": b.hardware,
                "display_name": b.spec.display_name,
                "racks": b.racks,
                "gpus": b.gpus,
                "scalable_units": round(b.scalable_units, 3),
                "it_capacity_mw": round(b.it_capacity_mw, 6),
                "facility_power_mw": b.facility_power_mw,
                "dense_bf16_pflops": round(b.gpus * b.spec.dense_bf16_pflops_per_gpu, 3),
            }
            for b in self.blocks
        ]


def site_fleet(builds: list[BuildStep], catalog: dict[str, HardwareSpec], sizing_pue: float) -> SiteFleet:
    """Racks and GPUs bought by a site's build steps.

    Parameters
    ----------
    builds
        Build steps online at the simulated phase.
    catalog
        Hardware catalogue (built-in merged with the scenario's).
    sizing_pue
        Design PUE that turns facility power into IT power. [1]
    """
    blocks = []
    for b in builds:
        if b.facility_power_mw <= 0:
            continue
        spec = catalog[b.hardware]
        racks = racks_for_it_power(b.facility_power_mw / sizing_pue, spec.it_power_per_rack_kw)
        blocks.append(
            FleetBlock(
                phase=b.phase,
                hardware=b.hardware,
                spec=spec,
                racks=racks,
                gpus=racks * spec.gpus_per_rack,
                it_capacity_mw=racks * spec.it_power_per_rack_kw / 1000.0,
                facility_power_mw=b.facility_power_mw,
            )
        )
    return SiteFleet(tuple(blocks))


def it_power_mw(
    fleet: SiteFleet, training_share_frac: np.ndarray, inference_share_frac: np.ndarray
) -> np.ndarray:
    """IT power drawn by the fleet for given shares of GPUs in each state.

    Parameters
    ----------
    fleet
        Installed racks.
    training_share_frac, inference_share_frac
        Share of GPUs training / serving inference; the rest idles. [frac]

    Returns
    -------
    numpy.ndarray
        IT power. [MW]

    Notes
    -----
    :math:`P_{IT} = Σ_b C_b [f_{idle}(1-s_t-s_i) + f_{train} s_t + f_{inf} s_i]` with
    :math:`C_b` the block's design IT power and :math:`f` the catalogue's power fractions.

    Examples
    --------
    >>> from dctwin.scenario import hardware_catalog
    >>> from dctwin.scenario.schema import BuildStep
    >>> fleet = site_fleet([BuildStep(phase="p", facility_power_mw=1.2)], hardware_catalog(), 1.0)
    >>> float(it_power_mw(fleet, np.array([1.0]), np.array([0.0]))[0])  # 8 racks training
    1.02
    """
    train = np.asarray(training_share_frac, dtype=float)
    infer = np.asarray(inference_share_frac, dtype=float)
    idle = np.clip(1.0 - train - infer, 0.0, 1.0)
    total = np.zeros_like(train)
    for b in fleet.blocks:
        s = b.spec
        total += b.it_capacity_mw * (
            s.power_frac_idle * idle + s.power_frac_training * train + s.power_frac_inference * infer
        )
    return total
