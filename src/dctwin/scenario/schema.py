"""The one scenario schema.

Every input a run needs is defined here once, with its unit, default, bounds,
description and, for every default, the source it comes from. The CLI, the file
validator, the (later) API and dashboard all validate through these models; the
resolved scenario (defaults filled in) is saved with every run.

Units are in the field names (``_mw``, ``_mwh``, ``_c``, ``_frac`` 0–1, ...), see
``docs/conventions.md``. Capacities that grow with the build-out live in
:class:`BuildStep` (one per site and phase); technology and design parameters that do
not change between phases live in the site's blocks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from dctwin.scenario.economics import CampusEconomics, ServiceCatalogue
from dctwin.scenario.inference import InferenceConfig
from dctwin.scenario.network import NetworkConfig
from dctwin.scenario.planning import CostAssumptions, SupplyLimits
from dctwin.scenario.residency import SiteJurisdiction
from dctwin.scenario.scheduler import SchedulerConfig
from dctwin.scenario.schema_base import Model as _Model
from dctwin.scenario.schema_base import _extra, check_slug, check_time_zone, q
from dctwin.scenario.tenants import Tenant
from dctwin.scenario.workload import JobGeneration

__all__ = [
    "BatteryDesign",
    "BuildStep",
    "ClimateNormals",
    "CoolingDesign",
    "GridConnection",
    "HardwareSpec",
    "Phase",
    "Scenario",
    "Site",
    "SolarDesign",
    "TimeConfig",
    "WeatherConfig",
    "WindDesign",
    "WorkloadProfile",
]


def _twelve(unit: str, description: str, source: str, default: list[float]) -> Any:
    return Field(
        default,
        min_length=12,
        max_length=12,
        description=f"{description}, January→December [{unit}]",
        json_schema_extra=_extra(unit, source),
    )


# --------------------------------------------------------------------------- time
class TimeConfig(_Model):
    """Simulated period and time step. Time is UTC throughout; local time only in reports."""

    start_date: dt.date = q(
        dt.date(2026, 1, 1),
        "date",
        "First simulated day (00:00 UTC)",
        "E: first full calendar year of phase 1 (online Q4 2025, facts.md §1)",
    )
    duration_days: int = q(365, "d", "Number of simulated days", "E: one year", ge=1, le=366)
    step: Literal["1h", "15min", "5min"] = q(
        "1h", "step", "Simulation time step", "E: hourly, as CFE accounting"
    )
    report_timezone: str = q(
        "Africa/Casablanca",
        "tz",
        "IANA time zone used for local time in reports and profiles",
        "IANA tz database",
    )

    @field_validator("report_timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return check_time_zone(value, "Africa/Casablanca")

    @property
    def dt_h(self) -> float:
        """Step length. [h]"""
        return {"1h": 1.0, "15min": 0.25, "5min": 1.0 / 12.0}[self.step]


# ------------------------------------------------------------------------ weather
_TANGIER = "facts.md §4.2: Tangier 1961–1990 normals (Hong Kong Observatory table via liquisearch)"


class ClimateNormals(_Model):
    """Monthly climate normals and stochastic parameters for the synthetic weather year."""

    monthly_temp_max_c: list[float] = _twelve(
        "°C",
        "Mean daily maximum dry-bulb temperature",
        _TANGIER,
        [16.2, 16.8, 17.9, 19.2, 21.9, 24.9, 28.3, 28.6, 27.3, 23.7, 19.6, 17.0],
    )
    monthly_temp_min_c: list[float] = _twelve(
        "°C",
        "Mean daily minimum dry-bulb temperature",
        _TANGIER,
        [8.8, 9.4, 10.1, 11.2, 13.4, 16.2, 18.7, 19.1, 18.3, 15.6, 12.2, 9.7],
    )
    monthly_clear_sky_index_frac: list[float] = _twelve(
        "frac",
        "Mean ratio of GHI to clear-sky GHI",
        "E: fitted so annual GHI ≈ 1,850–1,950 kWh/m² (Rabat-Salé TMYx 1,940; energy.md §4.1 "
        "Tangier 1,846) with winter cloudiness following Tangier rainfall (facts.md §4.2)",
        [0.74, 0.77, 0.81, 0.84, 0.89, 0.94, 0.96, 0.95, 0.91, 0.84, 0.76, 0.73],
    )
    daily_temp_anomaly_std_c: float = q(
        1.8,
        "K",
        "Standard deviation of day-to-day synoptic temperature anomalies",
        "E: Rabat-Salé TMYx daily-mean residuals after the monthly cycle (shared/data/weather)",
        ge=0.0,
        le=10.0,
    )
    daily_temp_anomaly_autocorr: float = q(
        0.7,
        "1",
        "Lag-1-day autocorrelation of synoptic temperature anomalies",
        "E: typical mid-latitude coastal value (synoptic persistence 2–4 days)",
        ge=0.0,
        lt=1.0,
    )
    heatwave_events_per_year: float = q(
        2.0,
        "1/yr",
        "Mean number of Chergui heat-wave events per year (Poisson)",
        "facts.md §4.2: Chergui pushes Tangier above 40 °C, typically for 2–3 days",
        ge=0.0,
        le=20.0,
    )
    heatwave_peak_temp_c: float = q(
        41.0,
        "°C",
        "Daily maximum temperature at the peak of a heat wave",
        "facts.md §4.2: Tetouan record 42.2 °C (2021); DGM heat alerts 38–44 °C",
        ge=20.0,
        le=55.0,
    )
    heatwave_duration_days: int = q(
        3,
        "d",
        "Duration of a heat-wave event",
        "facts.md §4.2: 'typically for 2–3 days'",
        ge=1,
        le=15,
    )
    wind_mean_speed_m_per_s: float = q(
        7.6,
        "m/s",
        "Annual mean wind speed at the reference height",
        "E: gives a hub-height (94 m, Hellman 1/7) mean of 8.3 m/s, inside the Tangier–Tetouan "
        "8–11 m/s resource, and a V112/3450 net CF of 0.40, inside 35–45 % (energy.md §4.1); "
        "measured on the synthetic year (dctwin.weather calibration)",
        gt=0.0,
        le=25.0,
    )
    wind_reference_height_m: float = q(
        50.0,
        "m",
        "Height of the wind-speed series",
        "E: a met-mast height of wind atlases",
        gt=0.0,
        le=300.0,
    )
    wind_weibull_k: float = q(
        1.9,
        "1",
        "Weibull shape parameter of hourly wind speed",
        "energy.md §4.1: north is gusty with a lower Weibull k than the southern trades (k≈2.5+)",
        ge=1.0,
        le=5.0,
    )
    wind_hourly_autocorr: float = q(
        0.96,
        "1",
        "Lag-1-hour autocorrelation of the wind-speed Gaussian process",
        "E: typical of hourly wind series (synoptic persistence ~1 day)",
        ge=0.0,
        lt=1.0,
    )
    wind_diurnal_amplitude_frac: float = q(
        0.08,
        "frac",
        "Relative amplitude of the diurnal wind cycle",
        "E: coastal sea-breeze modulation; Dakhla afternoon maximum (energy.md §4.1)",
        ge=0.0,
        le=0.5,
    )
    wind_peak_hour_local: float = q(
        16.0,
        "h",
        "Local hour of the diurnal wind maximum",
        "energy.md §4.1: afternoon maximum ~16:00",
        ge=0.0,
        lt=24.0,
    )
    wind_seasonal_amplitude_frac: float = q(
        0.10,
        "frac",
        "Relative amplitude of the seasonal wind cycle",
        "E: Strait of Gibraltar levanter/poniente seasonality",
        ge=0.0,
        le=0.5,
    )
    wind_peak_month: int = q(
        7,
        "month",
        "Month of the seasonal wind maximum",
        "energy.md §4.1: windiest month July (Dakhla)",
        ge=1,
        le=12,
    )

    @model_validator(mode="after")
    def _min_below_max(self) -> ClimateNormals:
        for i, (tmax, tmin) in enumerate(zip(self.monthly_temp_max_c, self.monthly_temp_min_c, strict=True)):
            if tmin > tmax:
                raise ValueError(
                    f"monthly_temp_min_c[{i}] = {tmin} °C is above monthly_temp_max_c[{i}] = {tmax} °C; "
                    "swap them or correct the normals"
                )
        for i, kc in enumerate(self.monthly_clear_sky_index_frac):
            if not 0.05 <= kc <= 1.1:
                raise ValueError(
                    f"monthly_clear_sky_index_frac[{i}] = {kc} is outside 0.05–1.1; it is GHI/clear-sky "
                    "GHI (a fraction, not percent)"
                )
        return self


class WeatherConfig(_Model):
    """Where the site's hourly weather year comes from."""

    source: Literal["synthetic", "epw", "pvgis_tmy", "csv"] = q(
        "synthetic",
        "choice",
        "Weather source: seeded synthetic year, or a file the user brings",
        "E: offline default (nothing is downloaded at run time)",
    )
    path: str | None = q(
        None,
        "path",
        "Weather file for source epw/pvgis_tmy/csv (relative to the scenario file)",
        "E: none for synthetic",
    )
    time_shift_h: float = q(
        0.0,
        "h",
        "Shift applied to file timestamps (e.g. to re-align a TMYx EPW)",
        "shared/data/weather/README.md: Rabat TMYx needs ≈ +1.45 h",
        ge=-12.0,
        le=12.0,
    )
    climate: ClimateNormals = Field(default_factory=ClimateNormals, description="Synthetic-year normals")

    @model_validator(mode="after")
    def _path_needed(self) -> WeatherConfig:
        if self.source != "synthetic" and not self.path:
            raise ValueError(f"source = {self.source!r} needs a 'path' to the weather file")
        return self


# ------------------------------------------------------------------------- supply
_PVWATTS = "PVWatts v5 manual (Dobos 2014, NREL/TP-6A20-62641)"


class SolarDesign(_Model):
    """PV plant design (capacity per phase is in :class:`BuildStep`)."""

    mounting: Literal["fixed", "single_axis"] = q(
        "single_axis",
        "choice",
        "Fixed-tilt or horizontal single-axis tracker (N–S axis)",
        "energy.md §3: the offline chain uses single-axis tracking with backtracking",
    )
    surface_tilt_deg: float = q(
        30.0,
        "deg",
        "Tilt of fixed modules (ignored for trackers)",
        "E: ≈ latitude − 5° at 35.7°N",
        ge=0.0,
        le=90.0,
    )
    surface_azimuth_deg: float = q(
        180.0,
        "deg",
        "Azimuth of fixed modules, 180 = south",
        "E: equator-facing",
        ge=0.0,
        lt=360.0,
    )
    tracker_max_angle_deg: float = q(
        60.0,
        "deg",
        "Tracker rotation limit",
        "pvlib.tracking.singleaxis default / typical trackers",
        gt=0.0,
        le=90.0,
    )
    ground_coverage_ratio_frac: float = q(
        0.35,
        "frac",
        "Ground coverage ratio (module area / ground area)",
        "E: typical utility tracker GCR 0.3–0.4 (pvlib docs)",
        gt=0.0,
        lt=1.0,
    )
    dc_ac_ratio: float = q(
        1.3,
        "1",
        "DC nameplate / AC inverter rating",
        "E: utility-scale practice 1.2–1.4",
        ge=0.8,
        le=2.5,
    )
    gamma_pdc_per_c: float = q(
        -0.0034,
        "1/°C",
        "Temperature coefficient of DC power",
        "Mono-PERC module datasheets (−0.34 %/°C)",
        ge=-0.01,
        le=0.0,
    )
    system_loss_frac: float = q(
        0.14,
        "frac",
        "Combined DC losses (soiling, shading, mismatch, wiring, LID, availability)",
        _PVWATTS + ", default 14 %",
        ge=0.0,
        lt=0.5,
    )
    inverter_efficiency_frac: float = q(
        0.96,
        "frac",
        "Nominal inverter efficiency",
        _PVWATTS + ", eta_inv_nom 0.96",
        gt=0.5,
        le=1.0,
    )
    albedo_frac: float = q(0.2, "frac", "Ground albedo", "pvlib default (grass/soil)", ge=0.0, le=1.0)
    transposition_model: Literal["haydavies", "perez", "isotropic"] = q(
        "haydavies",
        "choice",
        "Sky-diffuse transposition model",
        "energy.md §3 offline chain (Hay-Davies)",
    )
    temperature_model: Literal["pvsyst_freestanding", "sapm_open_rack"] = q(
        "pvsyst_freestanding",
        "choice",
        "Cell-temperature model",
        "energy.md §3 offline chain (PVsyst)",
    )


class WindDesign(_Model):
    """Wind farm design (capacity per phase is in :class:`BuildStep`)."""

    turbine_type: str = q(
        "V112/3450",
        "name",
        "Turbine from windpowerlib's offline library (power curve)",
        "windpowerlib 0.2.2 oedb/power_curves.csv (OpenEnergy DB); IEC class I for 8–11 m/s sites",
    )
    hub_height_m: float = q(
        94.0, "m", "Hub height", "Vestas V112-3.45 MW standard hub height 94 m", gt=10.0, le=250.0
    )
    wind_profile: Literal["hellman", "logarithmic"] = q(
        "hellman",
        "choice",
        "Vertical extrapolation of wind speed to hub height",
        "windpowerlib.wind_speed",
    )
    hellman_exponent: float = q(
        0.14,
        "1",
        "Hellman exponent (used when wind_profile = hellman)",
        "1/7 power law (windpowerlib default)",
        gt=0.0,
        le=0.6,
    )
    roughness_length_m: float = q(
        0.1,
        "m",
        "Surface roughness length (used when wind_profile = logarithmic)",
        "WMO/Wieringa: open farmland with scattered obstacles",
        gt=0.0,
        le=3.0,
    )
    wake_loss_frac: float = q(
        0.08,
        "frac",
        "Array wake losses",
        "E: typical onshore farm 5–10 % (IEA Wind TCP Task 31)",
        ge=0.0,
        lt=0.5,
    )
    availability_frac: float = q(
        0.97,
        "frac",
        "Technical availability",
        "E: modern onshore fleets 96–98 %",
        gt=0.5,
        le=1.0,
    )
    electrical_loss_frac: float = q(
        0.02,
        "frac",
        "Collection and transformer losses",
        "E: typical 1.5–3 %",
        ge=0.0,
        lt=0.2,
    )
    density_correction: bool = q(
        True,
        "bool",
        "Correct the power curve for air density (IEC 61400-12-1)",
        "IEC 61400-12-1",
    )


class BatteryDesign(_Model):
    """Battery technology (power and energy per phase are in :class:`BuildStep`)."""

    round_trip_efficiency_frac: float = q(
        0.87,
        "frac",
        "AC round-trip efficiency",
        "E: Li-ion LFP utility systems 85–90 % (NREL ATB 2024)",
        gt=0.3,
        le=1.0,
    )
    soc_min_frac: float = q(
        0.05, "frac", "Minimum state of charge", "E: vendor warranty window", ge=0.0, lt=1.0
    )
    soc_max_frac: float = q(
        0.95, "frac", "Maximum state of charge", "E: vendor warranty window", gt=0.0, le=1.0
    )
    initial_soc_frac: float = q(
        0.5, "frac", "State of charge at the first step", "E: mid-window", ge=0.0, le=1.0
    )
    self_discharge_frac_per_day: float = q(
        0.0005,
        "frac/d",
        "Self-discharge per day",
        "E: Li-ion ≈ 1.5 %/month",
        ge=0.0,
        lt=0.2,
    )

    @model_validator(mode="after")
    def _window(self) -> BatteryDesign:
        if self.soc_min_frac >= self.soc_max_frac:
            raise ValueError(
                f"soc_min_frac = {self.soc_min_frac} must be below soc_max_frac = {self.soc_max_frac}"
            )
        if not self.soc_min_frac <= self.initial_soc_frac <= self.soc_max_frac:
            raise ValueError(
                f"initial_soc_frac = {self.initial_soc_frac} must lie in the SoC window "
                f"[{self.soc_min_frac}, {self.soc_max_frac}]"
            )
        return self


class GridConnection(_Model):
    """Connection to the national grid (ONEE) and its carbon accounting."""

    import_limit_mw: float | None = q(
        None,
        "MW",
        "Maximum import; empty = the site's facility power at the simulated phase (full backup)",
        "E: grid backup sized to the facility (seed-system.md S5)",
        ge=0.0,
        le=10000.0,
    )
    export_limit_mw: float | None = q(
        None,
        "MW",
        "Maximum export; empty = same as the import limit",
        "E: symmetric connection",
        ge=0.0,
        le=10000.0,
    )
    export_cap_frac_of_production: float = q(
        0.20,
        "frac",
        "Cap on surplus sold to the grid, as a share of renewable production to date",
        "energy.md §4.2: Law 13-09 as amended (58-15, 40-19, 82-21) caps surplus sales at 20 %",
        ge=0.0,
        le=1.0,
    )
    carbon_intensity_kg_per_mwh: float = q(
        600.0,
        "kg/MWh",
        "Average (location-based) carbon intensity of grid electricity",
        "energy.md §4.2: Morocco ≈ 595–615 gCO2e/kWh (2023, lowcarbonpower.org)",
        ge=0.0,
        le=1500.0,
    )
    residual_mix_kg_per_mwh: float = q(
        600.0,
        "kg/MWh",
        "Residual-mix intensity for market-based emissions",
        "E: no published Moroccan residual mix; grid average used (energy.md §4.2)",
        ge=0.0,
        le=1500.0,
    )
    clean_share_frac: float = q(
        0.20,
        "frac",
        "Carbon-free share of grid electricity (counts toward hourly CFE)",
        "energy.md §4.2: low-carbon share ≈ 20–22 % (2023)",
        ge=0.0,
        le=1.0,
    )


# ----------------------------------------------------------------------- facility
class CoolingDesign(_Model):
    """Warm-water direct liquid cooling with dry coolers and chiller trim.

    The liquid loop carries ``liquid_cooled_frac`` of IT heat (from the hardware
    catalogue); the rest is air-cooled through a colder loop. See
    :mod:`dctwin.facility.cooling` for the equations.
    """

    liquid_supply_temp_c: float = q(
        35.0,
        "°C",
        "Facility-water supply temperature of the liquid loop",
        "facts.md §4.1: ASHRAE W32–W40 warm-water classes; NVIDIA 45 °C design",
        ge=10.0,
        le=50.0,
    )
    liquid_delta_t_k: float = q(
        10.0,
        "K",
        "Return − supply temperature of the liquid loop",
        "E: DLC design ΔT 8–12 K",
        gt=0.0,
        le=30.0,
    )
    air_supply_temp_c: float = q(
        20.0,
        "°C",
        "Chilled-water supply temperature for the air-cooled share",
        "facts.md §4.1: chilled 18–27 °C",
        ge=5.0,
        le=35.0,
    )
    air_delta_t_k: float = q(
        8.0, "K", "Return − supply of the air-side loop", "E: CRAH coil ΔT 6–10 K", gt=0.0, le=30.0
    )
    dry_cooler_approach_k: float = q(
        5.0,
        "K",
        "Dry-cooler leaving-water minus dry-bulb temperature",
        "facts.md §4.1: approach ≈ 5–8 K",
        gt=0.0,
        le=20.0,
    )
    chiller_condenser_approach_k: float = q(
        8.0,
        "K",
        "Condensing minus dry-bulb temperature of the trim chiller",
        "E: air-cooled condensers 8–12 K",
        gt=0.0,
        le=25.0,
    )
    chiller_carnot_efficiency_frac: float = q(
        0.5,
        "frac",
        "Chiller COP as a share of the Carnot COP",
        "E: screw/centrifugal chillers 0.45–0.6",
        gt=0.1,
        le=0.9,
    )
    chiller_cop_max: float = q(
        12.0, "1", "Upper bound on chiller COP at small lift", "E: vendor maps", gt=1.0, le=30.0
    )
    pump_power_frac_of_heat: float = q(
        0.02,
        "frac",
        "CDU and facility pump power per unit of heat moved",
        "facts.md §4.1: pumps/fans 2–4 % together",
        ge=0.0,
        le=0.1,
    )
    air_handling_power_frac_of_air_heat: float = q(
        0.08,
        "frac",
        "CRAH / fan-wall power per unit of air-side heat",
        "E: air-handler fan power 5–10 % of the air-cooled load (ASHRAE 90.4 fan-power allowances)",
        ge=0.0,
        le=0.3,
    )
    fan_power_frac_of_heat_design: float = q(
        0.02,
        "frac",
        "Dry-cooler fan power per unit of heat at the design dry-bulb",
        "facts.md §4.1: pumps/fans 2–4 % together",
        ge=0.0,
        le=0.1,
    )
    fan_power_min_frac_of_design: float = q(
        0.15,
        "frac",
        "Fan power at cold ambient as a share of design fan power",
        "E: VFD fan turn-down",
        ge=0.0,
        le=1.0,
    )
    electrical_loss_frac: float = q(
        0.06,
        "frac",
        "Transformer + UPS + distribution losses as a share of facility power",
        "facts.md §8: 4–6 %; §4.1: double-conversion UPS 94–96 % × MV/LV transformer ≈ 99 % → ≈ 6 %",
        ge=0.0,
        lt=0.3,
    )
    other_power_frac_of_it: float = q(
        0.01,
        "frac",
        "Lighting, BMS, security, offices and make-up air as a share of IT power",
        "E: 0.5–1.5 % of IT at hyperscale campuses",
        ge=0.0,
        lt=0.1,
    )
    heat_rejection: Literal["dry", "adiabatic", "evaporative"] = q(
        "dry",
        "choice",
        "Heat-rejection technology (sets water use)",
        "facts.md §4.1: 45 °C design allows chiller-less dry coolers, near-zero water",
    )
    adiabatic_threshold_c: float = q(
        30.0,
        "°C",
        "Dry-bulb above which adiabatic pre-cooling sprays water",
        "E: vendor setting",
        ge=0.0,
        le=50.0,
    )
    wet_bulb_depression_k: float = q(
        7.0,
        "K",
        "Dry-bulb minus wet-bulb on warm afternoons (evaporative/adiabatic modes)",
        "E: coastal Morocco, RH ≈ 55–65 % at 25–30 °C (Rabat TMYx mean RH 79 %, shared/data/weather)",
        ge=0.0,
        le=30.0,
    )
    adiabatic_effectiveness_frac: float = q(
        0.8,
        "frac",
        "Share of the wet-bulb depression removed by adiabatic pre-coolers",
        "E: wetted-media effectiveness 0.75–0.9",
        ge=0.0,
        le=1.0,
    )
    evaporative_water_l_per_kwh_heat: float = q(
        1.12,
        "L/kWh",
        "Water consumed per kWh of heat rejected by evaporation",
        "facts.md §4.1: tower cooling ≈ 2.6 M gal/MW/yr ≈ 1.12 L/kWh (NVIDIA)",
        ge=0.0,
        le=5.0,
    )
    design_dry_bulb_c: float = q(
        43.0,
        "°C",
        "Cooling design dry-bulb; above it capacity derates",
        "facts.md §4.2: size for ≥42–45 °C at the northern site",
        ge=20.0,
        le=60.0,
    )
    derate_frac_per_k: float = q(
        0.03,
        "frac/K",
        "IT capacity lost per kelvin above the design dry-bulb",
        "E: dry-cooler capacity slope",
        ge=0.0,
        le=0.5,
    )
    sizing_pue: float = q(
        1.15,
        "1",
        "Design PUE used to turn facility MW into IT MW when sizing the fleet",
        "facts.md §8: 40 MW facility at PUE 1.15 → 34.8 MW IT",
        ge=1.0,
        le=3.0,
    )


class HardwareSpec(_Model):
    """One accelerator system type of the hardware catalogue (one rack = the unit)."""

    display_name: str = Field(description="Human-readable name")
    gpu_model: str = Field(description="GPU model name")
    gpus_per_rack: int = q(..., "GPU", "GPUs per rack", "catalogue", ge=1, le=1024)
    systems_per_rack: int = q(1, "1", "Systems (servers or NVL domains) per rack", "catalogue", ge=1, le=64)
    nvlink_domain_gpus: int = q(..., "GPU", "GPUs in one NVLink domain", "catalogue", ge=1, le=1024)
    racks_per_scalable_unit: int = q(
        ..., "rack", "Racks per scalable unit (SuperPOD SU)", "catalogue", ge=1, le=256
    )
    gpu_tdp_w: float = q(..., "W", "GPU thermal design power", "catalogue", gt=0.0, le=5000.0)
    rack_power_kw: float = q(..., "kW", "Maximum power of one compute rack", "catalogue", gt=0.0, le=1000.0)
    it_overhead_frac: float = q(
        ...,
        "frac",
        "Network, storage and management IT power on top of compute racks",
        "catalogue",
        ge=0.0,
        le=1.0,
    )
    power_frac_idle: float = q(..., "frac", "Rack power when idle / max", "catalogue", ge=0.0, le=1.0)
    power_frac_inference: float = q(
        ..., "frac", "Rack power serving inference / max", "catalogue", ge=0.0, le=1.0
    )
    power_frac_training: float = q(..., "frac", "Rack power in training / max", "catalogue", ge=0.0, le=1.0)
    dense_bf16_pflops_per_gpu: float = q(
        ..., "PFLOP/s", "Dense BF16 tensor throughput per GPU", "catalogue", gt=0.0
    )
    dense_fp8_pflops_per_gpu: float = q(
        ..., "PFLOP/s", "Dense FP8 tensor throughput per GPU", "catalogue", gt=0.0
    )
    dense_fp4_pflops_per_gpu: float | None = q(
        ...,
        "PFLOP/s",
        "Dense FP4 tensor throughput per GPU (empty if unsupported)",
        "catalogue",
        gt=0.0,
    )
    hbm_gb_per_gpu: float = q(..., "GB", "HBM capacity per GPU", "catalogue", gt=0.0)
    liquid_cooled_frac: float = q(
        ..., "frac", "Share of rack heat removed by liquid", "catalogue", ge=0.0, le=1.0
    )
    sources: dict[str, str] = Field(default_factory=dict, description="Source per field")

    @property
    def it_power_per_rack_kw(self) -> float:
        """Design IT power per rack including its share of network and storage. [kW]"""
        return self.rack_power_kw * (1.0 + self.it_overhead_frac)

    @model_validator(mode="after")
    def _order(self) -> HardwareSpec:
        if not self.power_frac_idle <= self.power_frac_inference <= self.power_frac_training:
            raise ValueError(
                "power fractions must satisfy idle ≤ inference ≤ training, got "
                f"{self.power_frac_idle} / {self.power_frac_inference} / {self.power_frac_training}"
            )
        return self


class WorkloadProfile(_Model):
    """IT utilisation profile used until the scheduler drives the load.

    Each step a share of GPUs trains (constant base load), a share serves inference
    with a diurnal shape in local time, and the rest idles.
    """

    training_share_frac: float = q(
        0.60,
        "frac",
        "Share of installed GPUs running training",
        "E: training-dominated AI factory",
        ge=0.0,
        le=1.0,
    )
    inference_mean_share_frac: float = q(
        0.25,
        "frac",
        "Daily-mean share of GPUs serving inference",
        "E: remainder after training and idle",
        ge=0.0,
        le=1.0,
    )
    inference_peak_to_trough_ratio: float = q(
        2.0,
        "1",
        "Peak/trough ratio of the diurnal inference demand",
        "E: Azure LLM inference 2024 hourly traces (workload-calibration.md §3b) show ≈2×",
        ge=1.0,
        le=20.0,
    )
    inference_peak_hour_local: float = q(
        14.0,
        "h",
        "Local hour of peak inference demand",
        "E: business-hours peak in the Azure 2024 traces",
        ge=0.0,
        lt=24.0,
    )
    utilisation_noise_std_frac: float = q(
        0.02,
        "frac",
        "Std of hour-to-hour noise on the shares",
        "E: job churn",
        ge=0.0,
        le=0.3,
    )

    @model_validator(mode="after")
    def _fits(self) -> WorkloadProfile:
        r = self.inference_peak_to_trough_ratio
        peak = self.inference_mean_share_frac * 2.0 * r / (1.0 + r)
        if self.training_share_frac + peak > 1.0 + 1e-9:
            raise ValueError(
                f"training_share_frac ({self.training_share_frac}) + inference peak share ({peak:.3f}) "
                "exceeds 1; lower one of training_share_frac, inference_mean_share_frac or "
                "inference_peak_to_trough_ratio"
            )
        return self


# ------------------------------------------------------------------ sites, phases
class BuildStep(_Model):
    """Capacity a site adds in one phase of the build-out (cumulative over phases)."""

    phase: str = Field(description="Name of the phase in which this capacity comes online")
    hardware: str = q("gb200-nvl72", "name", "Hardware catalogue entry installed", "facts.md §1: GB200 named")
    facility_power_mw: float = q(
        0.0,
        "MW",
        "Facility (grid-side) power added, IT × PUE",
        "scenario",
        ge=0.0,
        le=5000.0,
    )
    solar_ac_mw: float = q(0.0, "MW", "PV inverter (AC) capacity added", "scenario", ge=0.0, le=20000.0)
    wind_mw: float = q(0.0, "MW", "Wind nameplate capacity added", "scenario", ge=0.0, le=20000.0)
    battery_power_mw: float = q(0.0, "MW", "Battery power capacity added", "scenario", ge=0.0, le=20000.0)
    battery_energy_mwh: float = q(
        0.0, "MWh", "Battery energy capacity added", "scenario", ge=0.0, le=200000.0
    )


class Site(_Model):
    """A campus site: location, weather, supply and facility design, build-out."""

    name: str = Field(description="Short slug, e.g. 'north'")
    display_name: str = Field("", description="Human-readable name")
    latitude_deg: float = q(..., "deg", "Latitude, north positive", "scenario", ge=-90.0, le=90.0)
    longitude_deg: float = q(..., "deg", "Longitude, east positive", "scenario", ge=-180.0, le=180.0)
    altitude_m: float | None = q(
        None,
        "m",
        "Altitude; empty = pvlib's shipped altitude lookup",
        "pvlib.location.lookup_altitude",
        ge=-500.0,
        le=6000.0,
    )
    weather: WeatherConfig = Field(default_factory=WeatherConfig)
    solar: SolarDesign = Field(default_factory=SolarDesign)
    wind: WindDesign = Field(default_factory=WindDesign)
    battery: BatteryDesign = Field(default_factory=BatteryDesign)
    grid: GridConnection = Field(default_factory=GridConnection)
    cooling: CoolingDesign = Field(default_factory=CoolingDesign)
    jurisdiction: SiteJurisdiction = Field(
        default_factory=SiteJurisdiction,
        description="Country and operator properties that data-residency rules look at",
    )
    limits: SupplyLimits = Field(
        default_factory=SupplyLimits, description="Planner limits on PV, wind, storage and PPA volume"
    )
    builds: list[BuildStep] = Field(default_factory=list, description="Capacity added per phase")

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)


class Phase(_Model):
    """One phase of the build-out timeline."""

    name: str = Field(description="Phase slug, e.g. 'phase-1'")
    online_date: dt.date = Field(description="Date the phase's capacity is online")
    description: str = Field("", description="What the phase is")

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)


def _check_tenant_set(tenants: list[Tenant]) -> None:
    """Unique names; per cohort, nominal quotas within the fleet; demand shares summing to 1."""
    names = [t.name for t in tenants]
    if len(set(names)) != len(names):
        raise ValueError(f"tenant names must be unique, got {names}")
    if not tenants:
        return
    by_cohort: dict[str, float] = {}
    for t in tenants:
        by_cohort[t.cohort] = by_cohort.get(t.cohort, 0.0) + t.nominal_quota_frac
    for cohort, total in by_cohort.items():
        if total > 1.0 + 1e-9:
            raise ValueError(
                f"nominal_quota_frac of the tenants in cohort {cohort!r} sums to {total:g} > 1: "
                "quotas cannot promise more than the installed GPUs; lower them"
            )
    share = sum(t.workload_share_frac for t in tenants)
    if abs(share - 1.0) > 1e-6:
        raise ValueError(
            f"tenants' workload_share_frac sums to {share:g}; it must be 1 (shares of the campus demand)"
        )


class Scenario(_Model):
    """A complete, validated campus scenario."""

    name: str = Field(description="Scenario slug")
    description: str = Field("", description="What the scenario represents")
    seed: int = q(
        20250613, "1", "Seed of the run's random streams", "E: announcement date", ge=0, le=2**63 - 1
    )
    phase: str = Field(description="Phase simulated: all capacity built up to and including it")
    time: TimeConfig = Field(default_factory=TimeConfig)
    phases: list[Phase] = Field(min_length=1, description="Build-out timeline in order")
    sites: list[Site] = Field(min_length=1, description="Campus sites")
    workload: WorkloadProfile = Field(default_factory=WorkloadProfile)
    hardware: dict[str, HardwareSpec] = Field(
        default_factory=dict, description="Extra or overriding hardware catalogue entries"
    )
    it_load: Literal["profile", "scheduler"] = q(
        "profile",
        "choice",
        "Where the IT load comes from: the documented utilisation profile, or the workload "
        "scheduler (tenants, jobs, inference, power budget)",
        "E: profile for scenarios without tenants",
    )
    jobs: JobGeneration = Field(
        default_factory=JobGeneration, description="Training and batch workload generator"
    )
    tenants: list[Tenant] = Field(
        default_factory=list, description="Customer organisations: residency, quotas, demand (scheduler)"
    )
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig, description="Scheduler policy")
    inference: InferenceConfig = Field(
        default_factory=InferenceConfig, description="Inference services: demand per EMEA region, SLOs"
    )
    costs: CostAssumptions = Field(
        default_factory=lambda: CostAssumptions.model_validate({}),
        description="Cost assumptions; any value left out takes the built-in catalogue's (costs.toml)",
    )
    network: NetworkConfig = Field(
        default_factory=NetworkConfig,
        description="Route graph to the EMEA cities: RTT model, capacities, cable outages",
    )
    services: ServiceCatalogue = Field(
        default_factory=ServiceCatalogue,
        description="What the campus sells: GPU-hour products, inference per token, storage; prices",
    )
    economics: CampusEconomics = Field(
        default_factory=lambda: CampusEconomics.model_validate({}),
        description="Capex, lives, opex, tax, WACC; any value left out takes campus_costs.toml's",
    )

    def __repr__(self) -> str:
        sites = ", ".join(s.name for s in self.sites)
        return (
            f"Scenario({self.name!r}, phase={self.phase!r}, sites=[{sites}], "
            f"{self.time.duration_days} d at {self.time.step}, seed={self.seed})"
        )

    __str__ = __repr__

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        phase_names = [p.name for p in self.phases]
        if len(set(phase_names)) != len(phase_names):
            raise ValueError(f"phase names must be unique, got {phase_names}")
        dates = [p.online_date for p in self.phases]
        if dates != sorted(dates):
            raise ValueError("phases must be listed in order of online_date")
        if self.phase not in phase_names:
            raise ValueError(f"phase {self.phase!r} is not one of the scenario's phases {phase_names}")
        site_names = [s.name for s in self.sites]
        if len(set(site_names)) != len(site_names):
            raise ValueError(f"site names must be unique, got {site_names}")
        _check_tenant_set(self.tenants)
        if self.it_load == "scheduler" and not self.tenants:
            raise ValueError(
                "it_load = 'scheduler' needs tenants: add [[tenants]] entries, or use it_load = 'profile'"
            )
        for i, site in enumerate(self.sites):
            for build in site.builds:
                if build.phase not in phase_names:
                    raise ValueError(
                        f"site {site.name!r} builds in unknown phase {build.phase!r}; "
                        f"use one of {phase_names}"
                    )
            for k, name in enumerate(phase_names):
                online = [b for b in site.builds if phase_names.index(b.phase) <= k]
                power = sum(b.battery_power_mw for b in online)
                energy = sum(b.battery_energy_mwh for b in online)
                if (power > 0) != (energy > 0):
                    raise ValueError(
                        f"sites[{i}] at {name}: battery power {power:g} MW and energy {energy:g} MWh "
                        "built so far must both be > 0 or both be 0"
                    )
        return self

    def phase_index(self, name: str | None = None) -> int:
        """Position of a phase in the timeline (default: the simulated phase)."""
        return [p.name for p in self.phases].index(name or self.phase)

    def builds_up_to_phase(self, site: Site) -> list[BuildStep]:
        """A site's build steps online at the simulated phase."""
        limit = self.phase_index()
        return [b for b in site.builds if self.phase_index(b.phase) <= limit]
