"""Inference demand per EMEA region and the fluid/queueing serving model.

Reference values and their sources:

* facts.md = ``shared/reference/facts.md`` (§5.3 great-circle distances from Tangier).
* workload-calibration.md = ``shared/reference/workload-calibration.md`` §3b: Azure LLM
  inference 2024 (DynamoLLM, Stojkovic et al., HPCA 2025) weekday peak/trough code ≈ 10×,
  conversation ≈ 2–2.5×, hour-of-day factor code 0.24–2.15 and conversation 0.74–1.32;
  Azure 2023 (Splitwise, Patel et al., ISCA 2024) token percentiles; Mooncake (Qin et al.,
  FAST 2025) conversation trace.
* Kleinrock, *Queueing Systems* Vol. 1 (1975) §3.4–3.5: M/M/1 and M/M/2 waiting
  probabilities, Erlang's C formula; Halfin & Whitt (1981), *Oper. Res.* 29(3), 567–588:
  the large-c limit.
* MLPerf Inference Llama 2 70B: 865k output tokens/s on one GB200 NVL72 (Azure HPC blog
  2025, MLPerf v4.1 unverified); 294.45 output tokens per sample
  (``mlcommons/inference`` ``language/llama2-70b/README.md``).
* Samsi et al. (2023), "From Words to Watts", IEEE HPEC, arXiv 2310.03003: about 3–4 J per
  output token for LLaMA-65B on V100/A100.

The trace files under ``shared/data/traces`` are read only by the tests marked
``shared_data`` (skipped when the folder is absent) and never copied.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dctwin.errors import CatalogError
from dctwin.scenario import hardware_catalog
from dctwin.scenario.inference import (
    AZURE2024_CODE_SHAPE,
    AZURE2024_CONV_SHAPE,
    InferenceConfig,
    Region,
    ServedModel,
    load_regions,
)
from dctwin.workload.inference import (
    InferenceDemand,
    busy_gpu_s_per_request,
    energy_per_million_tokens_kwh,
    erlang_c,
    gpus_for_slo,
    inference_demand,
    inference_it_power_mw,
    local_diurnal_factors,
    replica_throughput,
    sample_token_lengths,
    serve,
    token_length_moments,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
TRACES = SHARED / "data" / "traces"
REGIONS_FILE = Path(__file__).resolve().parents[2] / "src/dctwin/scenario/data/regions/emea.toml"
SEED = 20250613
GB200 = hardware_catalog()["gb200-nvl72"]
CONFIG = InferenceConfig()
REGIONS = load_regions()

# facts.md §5.3: great-circle km from Tangier to each destination, in table order.
FACTS_GC_KM_FROM_TANGIER = {
    "casablanca": 291, "lisbon": 441, "madrid": 550, "marseille": 1273, "paris": 1602,
    "milan": 1660, "london": 1809, "frankfurt": 1978, "amsterdam": 2031, "dakar": 2611,
    "lagos": 3384, "abidjan": 3385, "cairo": 3497, "riyadh": 5130, "dubai": 5879,
    "johannesburg": 7754, "tangier": 0, "rabat": 214,
}  # fmt: skip
"""facts.md §5.3 great-circle km from Tangier; Tangier itself and Rabat (E: haversine from city centres)
close the list of 18 cities."""
TANGIER_DEG = (35.7595, -5.8340)
# facts.md §5.3 ×1.3 engineered-path RTT from Tangier, used as a realistic rtt_ms. [ms]
RTT_MS = np.array(
    [3.7, 5.6, 7.0, 16.2, 20.4, 21.1, 23.0, 25.2, 25.9, 33.2, 43.1, 43.1, 44.5, 65.3, 74.9, 98.7, 2.0, 4.7]
)


def week_utc(start: str = "2025-05-12") -> pd.DatetimeIndex:
    """One week of hourly steps from a Monday 00:00 UTC (no DST change in May)."""
    return pd.date_range(start, periods=7 * 24, freq="h", tz="UTC")


def without_noise(config: InferenceConfig) -> InferenceConfig:
    classes = tuple(
        c.model_copy(update={"diurnal": c.diurnal.model_copy(update={"noise_log_sd": 0.0})})
        for c in config.classes
    )
    return config.model_copy(update={"classes": classes})


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def one_step(config: InferenceConfig, rates_per_s: list[float]) -> InferenceDemand:
    """A demand of one step and one region with the given rate per class. [req/s]"""
    lam = np.asarray(rates_per_s, dtype=float).reshape(len(config.classes), 1, 1)
    means = np.array(
        [[token_length_moments(c.prompt_tokens, [1])[0], token_length_moments(c.output_tokens, [1])[0]]
         for c in config.classes]
    )  # fmt: skip
    return InferenceDemand(
        times_utc=pd.date_range("2025-05-12 14:00", periods=1, freq="h", tz="UTC"),
        regions=("r",),
        classes=config.class_names(),
        requests_per_s=lam,
        mean_prompt_tokens=np.broadcast_to(means[:, 0, None, None], lam.shape),
        mean_output_tokens=np.broadcast_to(means[:, 1, None, None], lam.shape),
        dt_h=1.0,
    )


def weekday_peak_to_trough(rate: np.ndarray, local: pd.DatetimeIndex) -> float:
    """Max / min over local hours of the mean weekday profile."""
    weekday = np.asarray(local.dayofweek < 5)
    profile = pd.Series(rate[weekday]).groupby(np.asarray(local.hour)[weekday]).mean()
    return float(profile.max() / profile.min())


def hour_of_day_range(rate: np.ndarray, local: pd.DatetimeIndex) -> tuple[float, float]:
    """Min and max of the hour-of-day factor (mean by local hour / weekly mean)."""
    factor = pd.Series(rate).groupby(np.asarray(local.hour)).mean() / rate.mean()
    return float(factor.min()), float(factor.max())


# ------------------------------------------------------------------------------ regions
def test_regions_are_the_cities_of_the_facts_rtt_table() -> None:
    """facts.md §5.3 lists 16 destinations and the Tangier origin; with Rabat, 18 regions in order."""
    assert [r.slug for r in REGIONS] == list(FACTS_GC_KM_FROM_TANGIER)
    eu = {r.slug for r in REGIONS if r.eu_member}
    assert eu == {"lisbon", "madrid", "marseille", "paris", "milan", "frankfurt", "amsterdam"}
    assert all(r.jurisdiction == ("EU" if r.eu_member else r.country_iso2) for r in REGIONS)
    assert all(r.demand_weight > 0 for r in REGIONS)


def test_region_coordinates_reproduce_the_facts_distances() -> None:
    """facts.md §5.3 great-circle km from Tangier, within 0.5 % (the network module reuses lat/lon)."""
    for r in REGIONS:
        km = haversine_km(*TANGIER_DEG, r.latitude_deg, r.longitude_deg)
        assert km == pytest.approx(FACTS_GC_KM_FROM_TANGIER[r.slug], rel=0.005), r.slug


def test_region_time_zones_and_weekends() -> None:
    by = {r.slug: r for r in REGIONS}
    assert by["dubai"].time_zone == "Asia/Dubai" and by["dubai"].weekend_isodays == (6, 7)
    assert by["riyadh"].weekend_isodays == (5, 6) and by["cairo"].weekend_isodays == (5, 6)
    assert repr(by["paris"]) == "Region('paris', FR, Europe/Paris, weight=42.7)"
    with pytest.raises(ValidationError, match="IANA"):
        Region.model_validate({**by["paris"].model_dump(), "time_zone": "Mars/Olympus"})


def test_every_value_in_the_regions_file_cites_a_source() -> None:
    for number, line in enumerate(REGIONS_FILE.read_text().splitlines(), 1):
        stripped = line.strip()
        if re.match(r"^[A-Za-z_][\w-]*\s*=", stripped):
            assert "#" in stripped.split("=", 1)[1], f"emea.toml:{number} has no source comment: {line}"


def test_unknown_region_set_names_the_known_ones() -> None:
    with pytest.raises(CatalogError, match="'emea'"):
        load_regions("mars")


# ------------------------------------------------------------------------------- config
def test_default_config_is_valid_and_documented() -> None:
    assert CONFIG.class_names() == ("chat", "code", "long_context")
    assert sum(c.share_frac for c in CONFIG.classes) == pytest.approx(1.0)
    assert repr(CONFIG).startswith("InferenceConfig(39500 req/s at 19200 GPUs")
    missing = []

    def walk(model: type, prefix: str) -> None:
        for fname, field in model.model_fields.items():  # type: ignore[attr-defined]
            inner = getattr(field.annotation, "model_fields", None)
            if inner is not None:
                walk(field.annotation, f"{prefix}{fname}.")
                continue
            nested = [a for a in getattr(field.annotation, "__args__", ()) if hasattr(a, "model_fields")]
            for a in nested:
                walk(a, f"{prefix}{fname}[].")
            if nested or field.is_required():
                continue
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            if not extra.get("source") or not extra.get("unit"):
                missing.append(prefix + fname)

    walk(InferenceConfig, "")
    assert missing == []


def test_config_errors_say_how_to_fix() -> None:
    chat = CONFIG.classes[0]
    with pytest.raises(ValidationError, match=r"sum to 1, got 0\.52; rescale"):
        InferenceConfig(classes=(chat,))
    with pytest.raises(ValidationError, match="weekly mean 1"):
        AZURE2024_CODE_SHAPE.model_validate(
            {**AZURE2024_CODE_SHAPE.model_dump(), "weekday_factors": (2.0,) * 24}
        )
    with pytest.raises(ValueError, match="fp8"):
        busy_gpu_s_per_request(CONFIG, hardware_catalog()["dgx-h100"])  # Hopper has no FP4


# ------------------------------------------------------------- diurnal calibration (must show)
def test_week_reproduces_the_azure_2024_peak_to_trough_ratios() -> None:
    """workload-calibration.md §3b: code weekday ≈10× (digitised days 8.5–11.0), conversation
    ≈2–2.5× (digitised days 1.71–2.25); hour-of-day factor code 0.24–2.15, conversation
    0.74–1.32. Simulated week with the default noise; tolerances cover the noise of one week
    (40 seeds checked) and the smoothing of the campus total over UTC+0…+4.
    """
    times = week_utc()
    demand = inference_demand(CONFIG, REGIONS, times, np.random.default_rng(SEED))
    casablanca = times.tz_convert("Africa/Casablanca")
    for rate, local in [
        (demand.of_class("code").sum(axis=1), times),  # campus total, UTC
        (demand.of_class("code")[:, 0], casablanca),  # one region, its local time
    ]:
        assert 7.5 <= weekday_peak_to_trough(rate, local) <= 12.5
        low, high = hour_of_day_range(rate, local)
        assert 0.18 <= low <= 0.32 and 1.85 <= high <= 2.45
    for name in ("chat", "long_context"):  # both follow the conversation trace
        for rate, local in [
            (demand.of_class(name).sum(axis=1), times),
            (demand.of_class(name)[:, 0], casablanca),
        ]:
            assert 1.55 <= weekday_peak_to_trough(rate, local) <= 2.6
            low, high = hour_of_day_range(rate, local)
            assert 0.64 <= low <= 0.84 and 1.2 <= high <= 1.45


def test_fitted_shapes_match_the_published_summary_exactly() -> None:
    """Without noise, in the trace's own zone (UTC−4), the hour-of-day range is the digitised one."""
    zone = Region.model_validate({**REGIONS[0].model_dump(), "time_zone": "Etc/GMT+4"})
    times = week_utc("2024-05-13")
    for shape, (low, high) in [(AZURE2024_CODE_SHAPE, (0.24, 2.15)), (AZURE2024_CONV_SHAPE, (0.74, 1.32))]:
        factors = local_diurnal_factors(shape, [zone], times)[:, 0]
        got = hour_of_day_range(factors, times)
        assert got == pytest.approx((low, high), abs=0.006)
        assert factors.mean() == pytest.approx(1.0)


@pytest.mark.parametrize("weekend_isodays", [(5,), (5, 6), (6, 7), (5, 6, 7)])
def test_a_week_averages_one_whatever_the_weekend(weekend_isodays: tuple[int, ...]) -> None:
    """Friday only, Friday–Saturday (Gulf), Saturday–Sunday, three days: the mean stays 1."""
    zone = Region.model_validate(
        {**REGIONS[0].model_dump(), "time_zone": "UTC", "weekend_isodays": weekend_isodays}
    )
    times = week_utc("2026-01-05")  # a Monday, whole days in UTC
    for shape in (AZURE2024_CODE_SHAPE, AZURE2024_CONV_SHAPE):
        assert local_diurnal_factors(shape, [zone], times).mean() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "shape", "min_r"), [("code", AZURE2024_CODE_SHAPE, 0.98), ("conv", AZURE2024_CONV_SHAPE, 0.9)]
)
def test_fitted_shape_against_the_digitised_2024_hourly_rates(name: str, shape: Any, min_r: float) -> None:
    """azure2024_*_hourly_digitized.csv (derived from AzurePublicDataset, DynamoLLM week)."""
    path = TRACES / "azure_llm_2024_hourly_digitized" / f"azure2024_{name}_hourly_digitized.csv"
    if not path.exists():
        pytest.skip(f"{path} not available")
    trace = pd.read_csv(path)
    times = pd.DatetimeIndex(pd.to_datetime(trace["hour_start_utc"])).tz_localize("UTC")
    zone = Region.model_validate({**REGIONS[0].model_dump(), "time_zone": "Etc/GMT+4"})  # UTC−4
    fitted = local_diurnal_factors(shape, [zone], times)[:, 0] * trace["req_per_min"].mean()
    observed = trace["req_per_min"].to_numpy()
    assert np.corrcoef(fitted, observed)[0, 1] >= min_r
    local = times.tz_convert("Etc/GMT+4")
    assert weekday_peak_to_trough(fitted, local) == pytest.approx(
        weekday_peak_to_trough(observed, local), rel=0.05
    )
    log_residual = np.log(observed / fitted)
    assert log_residual.std() == pytest.approx(shape.noise_log_sd, abs=0.005)
    assert np.corrcoef(log_residual[:-1], log_residual[1:])[0, 1] == pytest.approx(
        shape.noise_lag1_corr, abs=0.01
    )


def test_region_four_hours_east_peaks_four_hours_earlier_in_utc() -> None:
    """Dubai (UTC+4) vs Dakar (UTC+0), both without DST and with a Sat–Sun weekend: exactly 4 h."""
    config = without_noise(CONFIG)
    by = {r.slug: r for r in REGIONS}
    times = pd.date_range("2025-01-06", periods=21 * 24, freq="h", tz="UTC")
    demand = inference_demand(config, [by["dakar"], by["dubai"]], times, np.random.default_rng(SEED))
    for name in config.class_names():
        dakar, dubai = demand.of_class(name).T
        dubai = dubai * by["dakar"].demand_weight / by["dubai"].demand_weight
        np.testing.assert_allclose(dubai[:-4], dakar[4:], rtol=1e-12)
        assert np.argmax(dakar[:24]) - np.argmax(dubai[:24]) == 4


def test_time_shift_follows_the_tz_database_including_ramadan() -> None:
    """Casablanca vs Dubai: the shift is their UTC-offset difference at each time (3 h, 4 h in Ramadan)."""
    by = {r.slug: r for r in REGIONS}
    times = pd.date_range("2025-01-01", periods=365 * 24, freq="h", tz="UTC")
    factors = local_diurnal_factors(AZURE2024_CODE_SHAPE, [by["casablanca"], by["dubai"]], times)
    weekday = np.asarray(AZURE2024_CODE_SHAPE.weekday_factors)
    seen = set()
    for t in (
        datetime(2025, 3, 11, tzinfo=UTC),
        datetime(2025, 7, 15, tzinfo=UTC),
    ):  # Tuesdays: Ramadan, July
        casa = t.astimezone(ZoneInfo("Africa/Casablanca")).utcoffset()
        dubai = t.astimezone(ZoneInfo("Asia/Dubai")).utcoffset()
        assert casa is not None and dubai is not None
        shift_h = int((dubai - casa) / timedelta(hours=1))
        seen.add(shift_h)
        i = int(times.searchsorted(pd.Timestamp(t)))
        norm = (5 * weekday.sum() + 2 * sum(AZURE2024_CODE_SHAPE.weekend_factors)) / 168
        day = slice(i + 6, i + 18)  # working hours, away from midnight
        np.testing.assert_allclose(factors[day, 1], factors[i + 6 + shift_h : i + 18 + shift_h, 0])
        assert factors[i, 0] * norm == pytest.approx(weekday[int(casa / timedelta(hours=1))])
    assert seen == {3, 4}


def test_demand_scales_with_the_installed_fleet_and_keeps_its_mean() -> None:
    times = pd.date_range("2025-01-06", periods=4 * 7 * 24, freq="h", tz="UTC")
    base = inference_demand(CONFIG, REGIONS, times, np.random.default_rng(SEED))
    double = inference_demand(CONFIG, REGIONS, times, np.random.default_rng(SEED), installed_gpus=38400)
    np.testing.assert_allclose(double.requests_per_s, 2 * base.requests_per_s)
    assert base.total_requests_per_s.sum(axis=1).mean() == pytest.approx(CONFIG.mean_requests_per_s, rel=0.03)
    shares = base.requests_per_s.sum(axis=(1, 2)) / base.requests_per_s.sum()
    assert shares == pytest.approx([c.share_frac for c in CONFIG.classes], abs=0.01)
    overrides = CONFIG.model_copy(update={"region_weight_overrides": {"lagos": 0.0}})
    no_lagos = inference_demand(overrides, REGIONS, times, np.random.default_rng(SEED))
    assert no_lagos.total_requests_per_s[:, 10].max() == 0.0
    assert no_lagos.total_requests_per_s.sum() == pytest.approx(base.total_requests_per_s.sum(), rel=0.03)


def test_demand_rejects_naive_or_irregular_times() -> None:
    rng = np.random.default_rng(SEED)
    with pytest.raises(ValueError, match="tz-aware UTC"):
        inference_demand(CONFIG, REGIONS, pd.date_range("2025-01-01", periods=3, freq="h"), rng)
    irregular = pd.DatetimeIndex(["2025-01-01 00:00", "2025-01-01 01:00", "2025-01-01 03:00"], tz="UTC")
    with pytest.raises(ValueError, match="fixed step"):
        inference_demand(CONFIG, REGIONS, irregular, rng)


def test_demand_is_deterministic_in_the_seed_and_uses_no_global_state() -> None:
    times = week_utc()
    state = np.random.get_state()[1].copy()  # type: ignore[index]  # noqa: NPY002 — the legacy global stream must stay untouched
    a = inference_demand(CONFIG, REGIONS, times, np.random.default_rng(SEED))
    b = inference_demand(CONFIG, REGIONS, times, np.random.default_rng(SEED))
    c = inference_demand(CONFIG, REGIONS, times, np.random.default_rng(SEED + 1))
    np.testing.assert_array_equal(a.requests_per_s, b.requests_per_s)
    assert not np.allclose(a.requests_per_s, c.requests_per_s)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # type: ignore[index]  # noqa: NPY002
    sa, sb = serve(a, None, CONFIG, GB200, RTT_MS), serve(b, None, CONFIG, GB200, RTT_MS)
    np.testing.assert_array_equal(sa.replicas_needed, sb.replicas_needed)
    np.testing.assert_array_equal(sa.ttft_p99_ms, sb.ttft_p99_ms)


# -------------------------------------------------------------------------- token lengths
PUBLISHED_TOKENS = {  # class: (prompt p50, prompt p90, output p50, output p90); None = not published
    "code": (1469, 5188, 13, 55),  # Azure 2023 code trace [c], workload-calibration.md §3b
    "chat": (1020, 2735, 129, 424),  # Azure 2023 conversation trace
    "long_context": (6909, 27367, 350, None),  # Mooncake conversation trace (FAST'25)
}


@pytest.mark.parametrize("name", list(PUBLISHED_TOKENS))
def test_generated_token_lengths_match_the_published_percentiles(name: str) -> None:
    """Medians and p90 within 2 % (± 1 token for the short code outputs)."""
    cls = next(c for c in CONFIG.classes if c.name == name)
    rng = np.random.default_rng(SEED)
    prompt = sample_token_lengths(cls.prompt_tokens, 200_000, rng)
    output = sample_token_lengths(cls.output_tokens, 200_000, rng)
    p50_in, p90_in, p50_out, p90_out = PUBLISHED_TOKENS[name]
    assert np.median(prompt) == pytest.approx(p50_in, rel=0.02)
    assert np.percentile(prompt, 90) == pytest.approx(p90_in, rel=0.02)
    assert np.median(output) == pytest.approx(p50_out, rel=0.02, abs=1)
    if p90_out is not None:
        assert np.percentile(output, 90) == pytest.approx(p90_out, rel=0.02, abs=1)
    assert prompt.min() >= cls.prompt_tokens.min_tokens and prompt.max() <= cls.prompt_tokens.max_tokens
    assert prompt.mean() == pytest.approx(token_length_moments(cls.prompt_tokens, [1])[0], rel=0.01)


def _raw_tokens(name: str) -> tuple[np.ndarray, np.ndarray] | None:
    if name == "long_context":
        path = TRACES / "mooncake_fast25" / "conversation_trace.jsonl"
        if not path.exists():
            return None
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return np.array([r["input_length"] for r in rows]), np.array([r["output_length"] for r in rows])
    path = TRACES / "azure_llm_2023" / f"AzureLLMInferenceTrace_{'conv' if name == 'chat' else 'code'}.csv"
    if not path.exists():
        return None
    trace = pd.read_csv(path)
    return trace["ContextTokens"].to_numpy(), trace["GeneratedTokens"].to_numpy()


@pytest.mark.shared_data
@pytest.mark.parametrize("name", list(PUBLISHED_TOKENS))
def test_token_length_fit_against_the_raw_traces(name: str) -> None:
    """The raw files give the fitted percentiles; the clip share and the means are close."""
    raw = _raw_tokens(name)
    if raw is None:
        pytest.skip(f"trace for {name} not available under {TRACES}")
    prompt, output = raw
    cls = next(c for c in CONFIG.classes if c.name == name)
    for values, fit in [(prompt, cls.prompt_tokens), (output, cls.output_tokens)]:
        assert np.median(values) == pytest.approx(fit.median_tokens, rel=0.01)
        assert np.percentile(values, 90) == pytest.approx(fit.p90_tokens, rel=0.01)
        mean = token_length_moments(fit, [1])[0]
        assert mean == pytest.approx(values.mean(), rel=0.15)  # lognormal through p50/p90, not an MLE
    if name == "code":  # 4.7 % of prompts sit at the 7,437-token cap; the clipped fit puts 5.0 % there
        at_cap = (prompt >= 7400).mean()
        fitted = 1 - float(
            np.mean(sample_token_lengths(cls.prompt_tokens, 100_000, np.random.default_rng(1)) < 7437)
        )
        assert at_cap == pytest.approx(fitted, abs=0.01)


# -------------------------------------------------------------------------------- throughput
def test_throughput_brackets_mlperf_llama2_70b_on_gb200() -> None:
    """MLPerf Llama 2 70B (FP4) on GB200 NVL72: 865k output tokens/s per rack = 12.0k per GPU with
    294.45 output tokens per sample; prompts are ≤ 1,024 tokens, so the roofline at 1 and
    1,024 prompt tokens must bracket it. Prefill = 0.55 × 10 PF dense FP4 / 2N."""
    llama2 = ServedModel(name="llama-2-70b", active_params_b=69.0, total_params_b=69.0)
    config = InferenceConfig(model=llama2)
    mlperf_per_gpu = 865_000 / 72

    def output_tokens_per_s(prompt: float) -> float:
        tp = replica_throughput(config, GB200, prompt, 294.45)
        busy_s = prompt / tp.prefill_tokens_per_s_per_gpu + 294.45 / tp.decode_tokens_per_s_per_gpu
        return 294.45 / busy_s

    assert output_tokens_per_s(1024) < mlperf_per_gpu < output_tokens_per_s(1)
    tp = replica_throughput(config, GB200, 1, 1)
    assert tp.prefill_tokens_per_s_per_gpu == pytest.approx(0.55 * 10e15 / (2 * 69e9), rel=0.001)
    long = replica_throughput(CONFIG, GB200, 12_000, 380)
    assert long.decode_memory_bound and long.decode_tokens_per_s_per_gpu < tp.decode_tokens_per_s_per_gpu / 5


# ---------------------------------------------------------------------------------- queueing
def _erlang_c_by_the_sum(c: int, a: float) -> float:
    """Erlang's C formula as written in Kleinrock (1975) §3.5, summed term by term."""
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) * c / (c - a)
    return tail / (head + tail)


def test_erlang_c_against_textbook_values() -> None:
    """Kleinrock (1975): M/M/1 waits with probability ρ; M/M/2 with 2ρ²/(1+ρ) (1/3 at ρ = 0.5)."""
    assert float(erlang_c(1, 0.7)) == pytest.approx(0.7, rel=1e-12)
    assert float(erlang_c(2, 1.0)) == pytest.approx(1 / 3, rel=1e-12)
    assert float(erlang_c(2, 1.6)) == pytest.approx(2 * 0.8**2 / 1.8, rel=1e-12)
    for c, a in [(10, 8.0), (50, 45.0), (120, 100.0)]:
        assert float(erlang_c(c, a)) == pytest.approx(_erlang_c_by_the_sum(c, a), rel=1e-9)
    # c = 10 servers, a = 8 Erlang: P(wait) = 0.4092 in Erlang C tables (e.g. Kleinrock 1975,
    # Table 3.1 form), and by the term-by-term sum below
    assert float(erlang_c(10, 8.0)) == pytest.approx(0.4092, abs=5e-5)
    assert _erlang_c_by_the_sum(10, 8.0) == pytest.approx(0.4092, abs=5e-5)
    # Halfin & Whitt (1981): c = a + β√a → C → 1 / (1 + βΦ(β)/φ(β)); β = 0.71 at c = 5,000.
    beta = 50 / math.sqrt(4950)
    phi, cdf = math.exp(-(beta**2) / 2) / math.sqrt(2 * math.pi), 0.5 * math.erfc(-beta / math.sqrt(2))
    assert float(erlang_c(5000, 4950.0)) == pytest.approx(1 / (1 + beta * cdf / phi), rel=0.02)
    np.testing.assert_array_equal(erlang_c([3, 3, 3], [0.0, 3.0, 4.0]), [0.0, 1.0, 1.0])


def _rates(total_per_s: float) -> list[float]:
    return [total_per_s * c.share_frac for c in CONFIG.classes]


@settings(max_examples=30, deadline=None)
@given(total=st.floats(1.0, 3000.0), replicas=st.integers(1, 400), rtt=st.floats(0.0, 120.0))
def test_slo_attainment_grows_with_replicas(total: float, replicas: int, rtt: float) -> None:
    demand = one_step(CONFIG, _rates(total))
    g = CONFIG.gpus_per_replica
    runs = [serve(demand, np.array([[r * g]]), CONFIG, GB200, [rtt]) for r in (replicas, replicas + 1)]
    few, more = (s.slo_attainment_frac[:, 0, 0] for s in runs)
    assert np.all(more >= few - 1e-9)
    assert runs[1].requests_dropped_per_s.sum() <= runs[0].requests_dropped_per_s.sum() + 1e-9


@settings(max_examples=30, deadline=None)
@given(total=st.floats(0.5, 5000.0), rtt=st.floats(0.0, 120.0), target=st.floats(0.5, 0.995))
def test_gpus_for_slo_is_the_minimum(total: float, rtt: float, target: float) -> None:
    """With the returned GPUs every class meets the target; one replica fewer misses it (sheds
    load above max_utilisation_frac, or a class falls below the target)."""
    config = CONFIG.model_copy(update={"slo_target_frac": target})
    demand = one_step(config, _rates(total))
    need = int(gpus_for_slo(demand, config, GB200, [rtt])[0, 0])
    g = config.gpus_per_replica
    assert need % g == 0 and need >= g
    ok = serve(demand, np.array([[need]]), config, GB200, [rtt])
    assert np.all(ok.slo_attainment_frac >= target - 1e-12)
    assert ok.requests_dropped_per_s.sum() == 0.0
    assert ok.replicas_needed[0, 0] * g == need
    short = serve(demand, np.array([[need - g]]), config, GB200, [rtt])
    assert np.any(short.slo_attainment_frac < target) or short.requests_dropped_per_s.sum() > 0


def test_analytic_ttft_matches_a_monte_carlo_of_the_same_model() -> None:
    """Attainment, mean and p99 of RTT + wait + prefill against 400k sampled requests."""
    demand = one_step(CONFIG, _rates(2000.0))
    replicas = 54  # 90 % busy: a quarter of the requests wait
    service = serve(demand, np.array([[replicas * CONFIG.gpus_per_replica]]), CONFIG, GB200, [30.0])
    c_wait = float(service.queue_wait_prob_frac[0, 0])
    assert 0.05 < c_wait < 0.9
    theta = c_wait / (float(service.queue_wait_mean_ms[0, 0]) / 1e3)
    slowdown = float(service.prefill_slowdown[0, 0])
    flops = CONFIG.gpus_per_replica * GB200.dense_fp4_pflops_per_gpu * 1e15 * CONFIG.compute_eff_frac  # type: ignore[operator]
    alpha = 2 * CONFIG.model.active_params_b * 1e9 / flops
    beta = 2 * CONFIG.model.n_layers * CONFIG.model.attention_width / flops
    rng = np.random.default_rng(SEED)
    n = 400_000
    wait_s = np.where(rng.random(n) < c_wait, rng.exponential(1 / theta, n), 0.0)
    for k, cls in enumerate(CONFIG.classes):
        p = sample_token_lengths(cls.prompt_tokens, n, rng).astype(float)
        ttft_ms = 30.0 + 1e3 * (wait_s + slowdown * (alpha * p + beta * p**2))
        assert service.slo_attainment_frac[k, 0, 0] == pytest.approx(
            (ttft_ms <= cls.ttft_slo_ms).mean(), abs=0.003
        )
        assert service.ttft_mean_ms[k, 0, 0] == pytest.approx(ttft_ms.mean(), rel=0.01)
        assert service.ttft_p99_ms[k, 0, 0] == pytest.approx(np.percentile(ttft_ms, 99), rel=0.03)


def test_rtt_adds_to_ttft_and_does_not_change_the_queue() -> None:
    demand = one_step(CONFIG, _rates(400.0))
    cap = np.array([[200]])
    near, far = (serve(demand, cap, CONFIG, GB200, [rtt]) for rtt in (0.0, 80.0))
    np.testing.assert_allclose(far.ttft_mean_ms - near.ttft_mean_ms, 80.0)
    np.testing.assert_allclose(far.ttft_p99_ms - near.ttft_p99_ms, 80.0)
    assert far.queue_wait_prob_frac == near.queue_wait_prob_frac
    assert np.all(far.slo_attainment_frac <= near.slo_attainment_frac)


def test_short_capacity_drops_requests_and_misses_the_slo() -> None:
    demand = inference_demand(CONFIG, REGIONS, week_utc(), np.random.default_rng(SEED))
    need = serve(demand, None, CONFIG, GB200, RTT_MS)
    assert np.all(need.slo_attainment_frac >= CONFIG.slo_target_frac - 1e-9)
    assert need.requests_dropped_per_s.sum() == 0.0
    campus = 0.7 * need.gpus_needed.sum(axis=1)  # campus-wide total, split over regions
    short = serve(demand, campus, CONFIG, GB200, RTT_MS)
    assert short.gpus_assigned.sum(axis=1) == pytest.approx(np.floor(campus / 4 + 1e-9) * 4)
    dropped = short.requests_dropped_per_s.sum() / demand.requests_per_s.sum()
    assert 0.05 < dropped < 0.5
    assert short.region_slo_attainment_frac().max() < CONFIG.slo_target_frac
    assert np.all((short.busy_frac >= 0) & (short.busy_frac <= CONFIG.max_utilisation_frac + 1e-9))
    served = short.requests_served_per_s + short.requests_dropped_per_s
    np.testing.assert_allclose(served, demand.requests_per_s)


def test_one_hour_slices_give_the_same_reservation_as_the_whole_run() -> None:
    """The scheduler reserves inference capacity hour by hour: demand[i] gives row i."""
    demand = inference_demand(CONFIG, REGIONS, week_utc(), np.random.default_rng(SEED))
    whole = gpus_for_slo(demand, CONFIG, GB200, RTT_MS)
    for i in (0, 37, 167):
        np.testing.assert_array_equal(gpus_for_slo(demand[i], CONFIG, GB200, RTT_MS)[0], whole[i])
    assert demand[10:20].n_steps == 10 and "168 steps of 1 h" in repr(demand)


def test_default_demand_scale_matches_its_derivation() -> None:
    """mean_requests_per_s: busy GPU-time of the default classes = 20 % of the 19,200-GPU phase 1."""
    busy = busy_gpu_s_per_request(CONFIG, GB200)
    per_request = sum(c.share_frac * busy[c.name] for c in CONFIG.classes)
    assert per_request == pytest.approx(0.0972, abs=0.0005)
    assert CONFIG.mean_requests_per_s * per_request / CONFIG.reference_installed_gpus == pytest.approx(
        0.2, abs=0.002
    )


def test_serve_rejects_a_demand_of_another_config_and_a_bad_rtt() -> None:
    demand = one_step(CONFIG, _rates(10.0))
    two = InferenceConfig(classes=(CONFIG.classes[0].model_copy(update={"share_frac": 1.0}),))
    with pytest.raises(ValueError, match="same InferenceConfig"):
        serve(demand, None, two, GB200)
    with pytest.raises(ValueError, match="rtt_ms must have shape"):
        serve(demand, None, CONFIG, GB200, rtt_ms=[1.0, 2.0])
    with pytest.raises(ValueError, match="capacity_gpus must be"):
        serve(demand, np.ones((2, 3)), CONFIG, GB200)


# ------------------------------------------------------------------------------------ energy
def test_energy_per_million_tokens_at_full_load_is_plausible() -> None:
    """At the SLO-sized pool (≈ 92 % busy) the IT energy lands between a physical floor and the
    prior generation: floor = 2N FLOP per token at GB200's dense FP4 peak per watt of TDP
    (10 PF / 1.2 kW, facts.md §3.1) ≤ ours ≤ 3–4 J per output token for LLaMA-65B on A100
    (Samsi et al. 2023). A chat-only, MLPerf-shaped load is within a factor 2 of the MLPerf
    Llama 2 70B rack (865k output tokens/s at ≤ 120 kW × 1.25 IT)."""
    demand = inference_demand(CONFIG, REGIONS, week_utc(), np.random.default_rng(SEED))
    service = serve(demand, None, CONFIG, GB200, RTT_MS)
    assert service.busy_frac.mean() > 0.85
    floor_kwh = 2 * CONFIG.model.active_params_b * 1e9 / (10e15 / 1200.0) * 1e6 / 3.6e6
    all_tokens = energy_per_million_tokens_kwh(service, GB200)
    output = energy_per_million_tokens_kwh(service, GB200, output_only=True)
    assert floor_kwh < all_tokens < output < 4.0 * 1e6 / 3.6e6
    per_region = energy_per_million_tokens_kwh(service, GB200, by_region=True)
    assert per_region.shape == (18,) and np.all(per_region > floor_kwh)
    mw = inference_it_power_mw(service, GB200)
    per_gpu_kw = GB200.rack_power_kw / GB200.gpus_per_rack * (1 + GB200.it_overhead_frac)
    assert mw.sum(axis=1).max() <= service.gpus_assigned.sum(axis=1).max() * per_gpu_kw / 1e3

    mlperf_like = InferenceConfig(
        model=ServedModel(name="llama-2-70b", active_params_b=69.0, total_params_b=69.0),
        classes=(CONFIG.classes[0].model_copy(update={"share_frac": 1.0}),),
    )
    chat = serve(one_step(mlperf_like, [2000.0]), None, mlperf_like, GB200)
    mlperf_kwh = 120.0 * 1.25 / 865_000 * 1e6 / 3600.0  # rack kW / output tokens/s → kWh per 10⁶
    assert 0.5 * mlperf_kwh < energy_per_million_tokens_kwh(chat, GB200, output_only=True) < 4.0 * mlperf_kwh


# -------------------------------------------------------------------------------------- scale
def test_a_year_of_hourly_steps_in_18_regions_has_consistent_shapes() -> None:
    """Demand + serve for 8,760 h × 18 regions (the speed is measured in benchmarks/, not here)."""
    times = pd.date_range("2025-01-01", periods=8760, freq="h", tz="UTC")
    assert len(REGIONS) == 18
    demand = inference_demand(CONFIG, REGIONS, times, np.random.default_rng(SEED))
    service = serve(demand, None, CONFIG, GB200, RTT_MS)
    assert service.ttft_p99_ms.shape == (3, 8760, 18)
    assert np.all(service.slo_attainment_frac >= CONFIG.slo_target_frac - 1e-9)
