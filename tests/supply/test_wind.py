"""Wind: real power curves, hub-height extrapolation, density correction, losses."""

from __future__ import annotations

import numpy as np
import pytest

from dctwin.errors import CatalogError
from dctwin.supply.wind import (
    hub_air_density_kg_per_m3,
    hub_wind_speed_m_per_s,
    turbine_curve,
    turbine_types,
    wind_farm_mw,
)


def test_library_has_real_curves() -> None:
    """windpowerlib 0.2.2 offline library: 67 types with power curves (energy.md §3)."""
    names = turbine_types()
    assert len(names) >= 60 and "V112/3450" in names and "E-126/4200" in names


def test_v112_curve_matches_the_datasheet_points() -> None:
    """Vestas V112-3.45 MW: cut-in 3 m/s, rated 3,450 kW from ≈ 12 m/s, cut-out 25 m/s
    (Vestas V112-3.45 MW product brochure; OpenEnergy DB curve shipped in windpowerlib)."""
    c = turbine_curve("V112/3450")
    assert c.nominal_power_w == 3_450_000
    p = np.interp([2.0, 13.0, 24.0], c.wind_speed_m_per_s, c.power_w)
    assert p[0] == 0.0 and p[1] == pytest.approx(3.45e6) and p[2] == pytest.approx(3.45e6)


def test_farm_output_bounds_and_losses() -> None:
    c = turbine_curve("V112/3450")
    v = np.array([0.0, 8.0, 15.0, 30.0])
    rho = np.full(4, 1.225)
    raw = wind_farm_mw(v, rho, c, 100.0, wake_loss_frac=0.0, availability_frac=1.0, electrical_loss_frac=0.0)
    lossy = wind_farm_mw(
        v, rho, c, 100.0, wake_loss_frac=0.1, availability_frac=0.95, electrical_loss_frac=0.02
    )
    assert raw[2] == pytest.approx(100.0) and raw[3] == 0.0  # rated, then cut-out
    np.testing.assert_allclose(lossy, raw * 0.9 * 0.95 * 0.98)


def test_density_correction_lowers_output_in_thin_air() -> None:
    """IEC 61400-12-1: below rated, power scales with density."""
    c = turbine_curve("V112/3450")
    v = np.full(2, 8.0)
    p = wind_farm_mw(v, np.array([1.225, 1.10]), c, 10.0)
    assert p[1] < p[0]
    assert p[1] / p[0] == pytest.approx(1.10 / 1.225, rel=0.05)


def test_hellman_extrapolation() -> None:
    """v_h = v_r (h/h_r)^α (Hau 2013 §13.3): 5 m/s at 10 m → 5·8^(1/7) at 80 m."""
    got = hub_wind_speed_m_per_s(np.array([5.0]), 10.0, 80.0, "hellman", 1 / 7)
    assert got[0] == pytest.approx(5.0 * 8 ** (1 / 7))
    log = hub_wind_speed_m_per_s(np.array([5.0]), 10.0, 80.0, "logarithmic", roughness_length_m=0.1)
    assert log[0] == pytest.approx(5.0 * np.log(800) / np.log(100))


def test_hub_density_is_standard_at_sea_level() -> None:
    """ISA: 101,325 Pa and 15 °C → 1.225 kg/m³ at the surface; lower 100 m up."""
    rho = hub_air_density_kg_per_m3(np.array([101_325.0]), np.array([15.0]), 2.0, 100.0)
    assert rho[0] == pytest.approx(1.225 - 0.012, abs=0.01)


def test_unknown_turbine() -> None:
    with pytest.raises(CatalogError):
        turbine_curve("V999/1")
