"""Fleet sizing against NVIDIA's reference unit and the derived phase-1 GPU count."""

from __future__ import annotations

import numpy as np
import pytest

from dctwin.facility.fleet import it_power_mw, racks_for_it_power, site_fleet
from dctwin.scenario import hardware_catalog, load_scenario
from dctwin.scenario.schema import BuildStep


def test_one_scalable_unit_is_576_gpus_and_1_2_mw() -> None:
    """NVIDIA DGX SuperPOD GB200 RA (facts.md §3.1): 8 NVL72 racks = 576 GPUs = 1.2 MW."""
    fleet = site_fleet([BuildStep(phase="p", facility_power_mw=1.2)], hardware_catalog(), sizing_pue=1.0)
    assert (fleet.racks, fleet.gpus) == (8, 576)
    assert fleet.it_capacity_mw == pytest.approx(1.2)
    assert fleet.blocks[0].scalable_units == pytest.approx(1.0)


def test_phase_one_gpu_count() -> None:
    """facts.md §8: 40 MW facility at PUE 1.15 → 34.8 MW IT → ≈ 16.7k–22k GB200 GPUs."""
    sc = load_scenario("morocco-500mw")
    site = sc.sites[0]
    fleet = site_fleet(sc.builds_up_to_phase(site), hardware_catalog(sc), site.cooling.sizing_pue)
    assert fleet.racks == racks_for_it_power(40.0 / 1.15, 150.0) == 231
    assert fleet.gpus == 231 * 72 == 16_632
    assert 16_000 <= fleet.gpus <= 22_100
    assert fleet.it_capacity_mw <= 40.0 / 1.15


def test_full_campus_gpu_count() -> None:
    """facts.md §8: 500 MW of GB200 holds ≈ 210k–280k GPUs; with GB300 (1.4 kW vs 1.2 kW TDP)
    fewer, at a facility power per GPU inside the 1.8–3.0 kW of comparable campuses (facts.md §7)."""
    sc = load_scenario("morocco-500mw", phase="phase-4")
    site = sc.sites[0]
    catalog = hardware_catalog(sc)
    fleet = site_fleet(sc.builds_up_to_phase(site), catalog, site.cooling.sizing_pue)
    assert [b.hardware for b in fleet.blocks] == ["gb200-nvl72"] + ["gb300-nvl72"] * 3
    assert 1.8 <= 500_000 / fleet.gpus <= 3.0
    all_gb200 = [b.model_copy(update={"hardware": "gb200-nvl72"}) for b in sc.builds_up_to_phase(site)]
    gb200_fleet = site_fleet(all_gb200, catalog, site.cooling.sizing_pue)
    assert 200_000 <= gb200_fleet.gpus <= 280_000


def test_it_power_by_state() -> None:
    """IT power = capacity × catalogue power fraction of each state (facts.md §8)."""
    fleet = site_fleet([BuildStep(phase="p", facility_power_mw=12.0)], hardware_catalog(), 1.0)
    spec = hardware_catalog()["gb200-nvl72"]
    cap = fleet.it_capacity_mw
    got = it_power_mw(fleet, np.array([0.0, 1.0, 0.0, 0.5]), np.array([0.0, 0.0, 1.0, 0.25]))
    expected = cap * np.array(
        [
            spec.power_frac_idle,
            spec.power_frac_training,
            spec.power_frac_inference,
            0.5 * spec.power_frac_training + 0.25 * spec.power_frac_inference + 0.25 * spec.power_frac_idle,
        ]
    )
    np.testing.assert_allclose(got, expected)


def test_no_capacity_no_blocks() -> None:
    fleet = site_fleet([BuildStep(phase="p", facility_power_mw=0.0)], hardware_catalog(), 1.15)
    assert fleet.gpus == 0 and fleet.it_capacity_mw == 0.0 and fleet.liquid_cooled_frac == 0.0
