"""Shared fixtures of the weather tests: the default northern site and cached runs.

(Test modules cannot import this file under ``--import-mode=importlib``; they get the
helpers through the fixtures below.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dctwin.scenario.schema import Site, WeatherConfig
from dctwin.weather import site_weather

# The northern site of the built-in scenarios (morocco-500mw.toml): Tangier–Tetouan.
TANGIER_LAT_DEG, TANGIER_LON_DEG = 35.62, -5.55
SEED = 20250613

# ../shared next to the repository (also from a fresh clone placed beside shared/).
SHARED_WEATHER = Path(__file__).resolve().parents[3] / "shared" / "data" / "weather"


def tangier_site(**weather: Any) -> Site:
    """The northern site with the default (Tangier) climate, or the given weather fields."""
    return Site(
        name="north",
        latitude_deg=TANGIER_LAT_DEG,
        longitude_deg=TANGIER_LON_DEG,
        weather=WeatherConfig(**weather),
    )


def year_index(year: int, step: str = "1h") -> pd.DatetimeIndex:
    """All steps of one UTC calendar year."""
    return pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq=step, tz="UTC", inclusive="left")


@pytest.fixture(scope="session")
def make_site() -> Any:
    """Factory: ``make_site(**weather_fields)`` → the northern site."""
    return tangier_site


@pytest.fixture(scope="session")
def shared_weather() -> Path:
    """``shared/data/weather`` beside the repository (may be absent)."""
    return SHARED_WEATHER


@pytest.fixture(scope="session")
def tangier_year() -> pd.DataFrame:
    """One synthetic hourly year (2026) of the default Tangier climate."""
    return site_weather(tangier_site(), year_index(2026), np.random.default_rng(SEED))


@pytest.fixture(scope="session")
def tangier_years() -> pd.DataFrame:
    """Fifteen synthetic hourly years (2026–2040) of the default Tangier climate."""
    times = pd.date_range("2026-01-01", "2041-01-01", freq="1h", tz="UTC", inclusive="left")
    return site_weather(tangier_site(), times, np.random.default_rng(SEED))
