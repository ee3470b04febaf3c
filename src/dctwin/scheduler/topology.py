"""Fleet topology: GPUs → NVLink domains → racks → scalable units → halls → sites.

The scheduler places gangs on **NVLink domains** (an NVL72 rack is one 72-GPU domain; a
DGX B200 is an 8-GPU domain, two per rack). Domains are grouped into **scalable units**
(the DGX SuperPOD SU: 8 NVL72 racks = 576 GPUs), SUs into **halls** (one SuperPOD of up
to 128 racks), halls into **sites**. Each (site, hardware) pair is a **pool**: a job runs
inside one pool (no gang mixes hardware generations).

Everything is flat integer arrays, contiguous per pool and per SU, which is what the
compiled placement code (:mod:`dctwin.scheduler.placement`) works on.

References
----------
NVIDIA DGX SuperPOD GB200 reference architecture: SU = 8 NVL72 racks = 576 GPUs =
1.2 MW, scaling to 128 racks / 9,216 GPUs (facts.md §3.1). DGX GB200 user guide: 18
compute trays of 4 GPUs per NVL72 rack.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dctwin.facility.fleet import SiteFleet
from dctwin.scenario.schema import HardwareSpec

__all__ = ["Pool", "Topology", "build_topology"]


@dataclass(frozen=True)
class Pool:
    """GPUs of one hardware type at one site.

    Attributes
    ----------
    site
        Site index (scenario order among simulated sites).
    site_name, hardware
        Names.
    spec
        Catalogue entry.
    domains
        NVLink domains in the pool. [1]
    domain_gpus
        GPUs per domain. [GPU]
    gpu_it_kw
        Design IT power per GPU incl. its share of rack, network and storage. [kW]
    """

    site: int
    site_name: str
    hardware: str
    spec: HardwareSpec
    domains: int
    domain_gpus: int
    gpu_it_kw: float

    @property
    def gpus(self) -> int:
        """GPUs in the pool. [GPU]"""
        return self.domains * self.domain_gpus


@dataclass(frozen=True)
class Topology:
    """The campus as flat arrays (one entry per domain, SU, hall, pool).

    Attributes
    ----------
    sites
        Names of the simulated sites.
    pools
        One :class:`Pool` per (site, hardware).
    domain_pool, domain_su, domain_rack, domain_hall
        For each domain: its pool, scalable unit, rack and hall (global indices).
    domain_gpus
        GPUs per domain. [GPU]
    su_pool, su_first_domain, su_domains
        For each SU: its pool, first domain and number of domains.
    pool_first_domain, pool_domains, pool_first_su, pool_sus, pool_site
        For each pool: its domain and SU ranges and its site.
    """

    sites: tuple[str, ...]
    pools: tuple[Pool, ...]
    domain_pool: np.ndarray
    domain_su: np.ndarray
    domain_rack: np.ndarray
    domain_hall: np.ndarray
    domain_gpus: np.ndarray
    su_pool: np.ndarray
    su_first_domain: np.ndarray
    su_domains: np.ndarray
    pool_first_domain: np.ndarray
    pool_domains: np.ndarray
    pool_first_su: np.ndarray
    pool_sus: np.ndarray
    pool_site: np.ndarray

    def __repr__(self) -> str:
        gpus = int(self.domain_gpus.sum())
        return (
            f"Topology({len(self.sites)} sites, {len(self.pools)} pools, {gpus:,} GPUs in "
            f"{len(self.domain_gpus):,} NVLink domains, {len(self.su_pool):,} SUs, "
            f"{int(self.domain_hall.max()) + 1 if len(self.domain_hall) else 0} halls)"
        )

    @property
    def gpus(self) -> int:
        """Installed GPUs. [GPU]"""
        return int(self.domain_gpus.sum())

    def site_gpus(self) -> np.ndarray:
        """GPUs per site. [GPU]"""
        out = np.zeros(len(self.sites), dtype=np.int64)
        for p in self.pools:
            out[p.site] += p.gpus
        return out


def build_topology(fleets: list[tuple[str, SiteFleet]], racks_per_hall: int = 128) -> Topology:
    """Lay out the racks of each site's fleet as domains, SUs and halls.

    Parameters
    ----------
    fleets
        ``(site name, SiteFleet)`` for each simulated site, in scenario order.
    racks_per_hall
        Racks per hall (a DGX SuperPOD scales to 128 racks). [rack]

    Returns
    -------
    Topology
        Pools in site order, hardware in build order; domains contiguous per pool and SU.

    Examples
    --------
    >>> from dctwin.facility.fleet import site_fleet
    >>> from dctwin.scenario import hardware_catalog
    >>> from dctwin.scenario.schema import BuildStep
    >>> fleet = site_fleet([BuildStep(phase="p", facility_power_mw=2.4)], hardware_catalog(), 1.0)
    >>> topo = build_topology([("north", fleet)])
    >>> topo.gpus, len(topo.su_pool), int(topo.su_domains[0])   # 16 NVL72 racks = 2 SUs of 8
    (1152, 2, 8)
    """
    if racks_per_hall < 1:
        raise ValueError(f"racks_per_hall must be ≥ 1, got {racks_per_hall}")
    pools: list[Pool] = []
    racks_by_pool: list[int] = []
    for site_index, (name, fleet) in enumerate(fleets):
        by_hardware: dict[str, tuple[HardwareSpec, int]] = {}
        for block in fleet.blocks:
            spec, racks = by_hardware.get(block.hardware, (block.spec, 0))
            by_hardware[block.hardware] = (spec, racks + block.racks)
        for hardware, (spec, racks) in by_hardware.items():
            if racks == 0:
                continue
            size = min(spec.nvlink_domain_gpus, spec.gpus_per_rack)
            per_rack = max(spec.gpus_per_rack // size, 1)
            pools.append(
                Pool(
                    site=site_index,
                    site_name=name,
                    hardware=hardware,
                    spec=spec,
                    domains=racks * per_rack,
                    domain_gpus=size,
                    gpu_it_kw=spec.it_power_per_rack_kw / spec.gpus_per_rack,
                )
            )
            racks_by_pool.append(racks)
    domain_pool: list[int] = []
    domain_su: list[int] = []
    domain_rack: list[int] = []
    domain_hall: list[int] = []
    domain_gpus: list[int] = []
    su_pool: list[int] = []
    su_first: list[int] = []
    su_n: list[int] = []
    pool_first_domain: list[int] = []
    pool_first_su: list[int] = []
    pool_sus: list[int] = []
    rack_base = hall_base = 0
    for p_index, (pool, racks) in enumerate(zip(pools, racks_by_pool, strict=True)):
        per_rack = pool.domains // racks
        racks_per_su = pool.spec.racks_per_scalable_unit
        pool_first_domain.append(len(domain_pool))
        pool_first_su.append(len(su_pool))
        n_su = math.ceil(racks / racks_per_su)
        for k in range(n_su):
            first_rack = k * racks_per_su
            rack_count = min(racks_per_su, racks - first_rack)
            su_pool.append(p_index)
            su_first.append(len(domain_pool))
            su_n.append(rack_count * per_rack)
            for r in range(first_rack, first_rack + rack_count):
                for _ in range(per_rack):
                    domain_pool.append(p_index)
                    domain_su.append(len(su_pool) - 1)
                    domain_rack.append(rack_base + r)
                    domain_hall.append(hall_base + r // racks_per_hall)
                    domain_gpus.append(pool.domain_gpus)
        pool_sus.append(n_su)
        rack_base += racks
        hall_base += math.ceil(racks / racks_per_hall)
    i32 = np.int32
    return Topology(
        sites=tuple(name for name, _ in fleets),
        pools=tuple(pools),
        domain_pool=np.asarray(domain_pool, dtype=i32),
        domain_su=np.asarray(domain_su, dtype=i32),
        domain_rack=np.asarray(domain_rack, dtype=i32),
        domain_hall=np.asarray(domain_hall, dtype=i32),
        domain_gpus=np.asarray(domain_gpus, dtype=i32),
        su_pool=np.asarray(su_pool, dtype=i32),
        su_first_domain=np.asarray(su_first, dtype=i32),
        su_domains=np.asarray(su_n, dtype=i32),
        pool_first_domain=np.asarray(pool_first_domain, dtype=i32),
        pool_domains=np.asarray([p.domains for p in pools], dtype=i32),
        pool_first_su=np.asarray(pool_first_su, dtype=i32),
        pool_sus=np.asarray(pool_sus, dtype=i32),
        pool_site=np.asarray([p.site for p in pools], dtype=i32),
    )
