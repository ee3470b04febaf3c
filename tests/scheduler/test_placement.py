"""Gang placement: hand-worked placements on a small fleet, and the invariants (no GPU
allocated twice, all or nothing, indexes consistent) under random place/release sequences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dctwin.facility.fleet import site_fleet
from dctwin.scenario import hardware_catalog
from dctwin.scenario.schema import BuildStep
from dctwin.scheduler.placement import Domains, check_domains, new_domains, place, release, reserve_whole
from dctwin.scheduler.topology import Topology, build_topology


def _topology(mw: float = 2.4, hardware: str = "gb200-nvl72") -> Topology:
    """2.4 MW of IT at PUE 1 = 16 NVL72 racks of 150 kW = 2 SUs of 8 racks (SuperPOD RA)."""
    fleet = site_fleet(
        [BuildStep(phase="p", hardware=hardware, facility_power_mw=mw)], hardware_catalog(), 1.0
    )
    return build_topology([("north", fleet)])


def _out(n: int = 512) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int32)


def test_topology_of_sixteen_nvl72_racks() -> None:
    topo = _topology()
    assert topo.gpus == 16 * 72
    assert list(topo.su_domains) == [8, 8]
    assert topo.pools[0].gpu_it_kw == pytest.approx(150.0 / 72)  # SU 1.2 MW / 576 GPUs
    assert "1,152 GPUs in 16 NVLink domains" in repr(topo)


def test_dgx_b200_domains_are_eight_gpu_systems() -> None:
    topo = _topology(mw=0.5, hardware="dgx-b200")
    assert set(topo.domain_gpus.tolist()) == {8}
    assert len(topo.domain_gpus) == 2 * len(np.unique(topo.domain_rack))  # 2 DGX per rack


def test_small_jobs_best_fit_and_keep_whole_domains_free() -> None:
    """10 GPUs go to domain 0; then 60 fit in its 62 free GPUs (best fit), not a whole domain;
    then 5 GPUs do not fit there (2 left) and go to the next domain."""
    d = new_domains(_topology())
    dom, gpus = _out()
    assert place(d, 0, 10, dom, gpus, 0) == 1 and (dom[0], gpus[0]) == (0, 10)
    assert place(d, 0, 60, dom, gpus, 1) == 1 and dom[1] == 0
    assert place(d, 0, 5, dom, gpus, 2) == 1 and dom[2] != 0
    assert int(d.free[0]) == 2
    assert int(d.pool_whole[0]) == 14
    check_domains(d)


def test_a_gang_stays_in_one_scalable_unit() -> None:
    """100 GPUs = one whole NVL72 + 28 GPUs, both in the same SU; a 576-GPU gang takes a whole SU."""
    topo = _topology()
    d = new_domains(topo)
    dom, gpus = _out()
    used = place(d, 0, 100, dom, gpus, 0)
    assert used == 2 and sorted(gpus[:2].tolist()) == [28, 72]
    assert len({int(topo.domain_su[k]) for k in dom[:2]}) == 1
    used = place(d, 0, 576, dom, gpus, 2)
    assert used == 8 and len({int(topo.domain_su[k]) for k in dom[2:10]}) == 1
    assert int(d.su_whole.sum()) == 6
    check_domains(d)


def test_all_or_nothing() -> None:
    d = new_domains(_topology())
    dom, gpus = _out()
    assert place(d, 0, 15 * 72 + 1, dom, gpus, 0) == 16  # fits: 15 whole domains + 1 GPU in the last
    release(d, dom, gpus, 0, 16)
    check_domains(d)
    before = np.asarray(d.free).copy()
    assert place(d, 0, 16 * 72 + 1, dom, gpus, 0) == 0  # one GPU too many
    np.testing.assert_array_equal(np.asarray(d.free), before)


def test_reserved_whole_domains_leave_whole_sus_for_gangs() -> None:
    """Reserving 3 domains takes them from one SU, so the other SU stays whole for a 576-GPU gang."""
    topo = _topology()
    d = new_domains(topo)
    dom, gpus = _out()
    assert reserve_whole(d, 0, 3, dom, 0) == 3
    assert len({int(topo.domain_su[k]) for k in dom[:3]}) == 1
    assert place(d, 0, 576, dom, gpus, 3) == 8
    check_domains(d)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 700)), min_size=1, max_size=80))
def test_random_place_and_release_never_double_allocate(ops: list[tuple[bool, int]]) -> None:
    """Property: whatever the sequence, free counts stay in [0, cap], every index agrees,
    each gang gets exactly its GPUs, and a failed placement changes nothing."""
    topo = _topology()
    d: Domains = new_domains(topo)
    dom, gpus = _out(4096)
    live: list[tuple[int, int, int]] = []  # (first slot, slots, gpus)
    cursor = 0
    for is_place, n in ops:
        if is_place or not live:
            before = np.asarray(d.free).copy()
            used = place(d, 0, n, dom, gpus, cursor)
            if used:
                assert int(gpus[cursor : cursor + used].sum()) == n
                assert len(set(dom[cursor : cursor + used].tolist())) == used
                live.append((cursor, used, n))
                cursor += used
            else:
                np.testing.assert_array_equal(np.asarray(d.free), before)
        else:
            first, used, _ = live.pop(len(live) // 2)
            release(d, dom, gpus, first, used)
        check_domains(d)
        assert int(np.asarray(d.free).sum()) == topo.gpus - sum(g for _, _, g in live)
