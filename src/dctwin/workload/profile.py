"""IT utilisation profile: a training base load plus a diurnal inference share.

This is the documented stand-in for the scheduler (issue "AI workloads on the fleet"):
a share of GPUs trains around the clock, a share serves inference whose demand follows
the local time of day, the rest idles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from dctwin.scenario.schema import WorkloadProfile

__all__ = ["inference_diurnal_shape", "utilisation_shares"]


def inference_diurnal_shape(
    local_hour: np.ndarray, peak_to_trough_ratio: float, peak_hour: float
) -> np.ndarray:
    """Diurnal inference demand relative to its daily mean.

    Parameters
    ----------
    local_hour
        Local clock time as fractional hours. [h]
    peak_to_trough_ratio
        Daily maximum / minimum of demand. [1]
    peak_hour
        Local hour of the maximum. [h]

    Returns
    -------
    numpy.ndarray
        Multiplier with mean 1 over a day. [1]

    Notes
    -----
    :math:`s(h) = 1 + a\\cos(2π(h-h_p)/24)` with :math:`a = (r-1)/(r+1)` so that
    :math:`\\max s / \\min s = r`.

    Examples
    --------
    >>> s = inference_diurnal_shape(np.arange(24.0), 2.0, 14.0)
    >>> round(float(s.max() / s.min()), 6), round(float(s.mean()), 6)
    (2.0, 1.0)
    """
    amplitude = (peak_to_trough_ratio - 1.0) / (peak_to_trough_ratio + 1.0)
    return 1.0 + amplitude * np.cos(2.0 * np.pi * (np.asarray(local_hour, dtype=float) - peak_hour) / 24.0)


def utilisation_shares(
    times_utc: pd.DatetimeIndex,
    timezone: str,
    profile: WorkloadProfile,
    rng: np.random.Generator,
    dt_h: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Shares of GPUs training and serving inference at each step.

    Parameters
    ----------
    times_utc
        Interval starts (UTC).
    timezone
        IANA zone whose local time shapes inference demand.
    profile
        Shares, diurnal shape and noise.
    rng
        Random generator for the noise (the workload stream of the run).
    dt_h
        Step length. [h]

    Returns
    -------
    training_share_frac, inference_share_frac
        Shares in [0, 1] whose sum never exceeds 1. [frac]

    Notes
    -----
    The noise is an AR(1) process with a 3-hour correlation time and standard deviation
    ``utilisation_noise_std_frac``, added to each share and clipped. It is drawn for whole
    UTC calendar years and sliced, so a week simulated alone equals the same week of a
    full-year run with the same seed.
    """
    local = times_utc.tz_convert(timezone)
    hour = np.asarray(local.hour + local.minute / 60.0, dtype=float)
    shape = inference_diurnal_shape(
        hour, profile.inference_peak_to_trough_ratio, profile.inference_peak_hour_local
    )
    noise = _calendar_year_noise(times_utc, dt_h, profile.utilisation_noise_std_frac, rng)
    train = np.clip(profile.training_share_frac + noise[0], 0.0, 1.0)
    infer = np.clip(profile.inference_mean_share_frac * shape + noise[1], 0.0, None)
    infer = np.minimum(infer, 1.0 - train)
    return train, infer


def _calendar_year_noise(
    times_utc: pd.DatetimeIndex, dt_h: float, std_frac: float, rng: np.random.Generator
) -> np.ndarray:
    """Two AR(1) noise series on the calendar years covering ``times_utc``, sliced to it."""
    first = pd.Timestamp(year=times_utc[0].year, month=1, day=1, tz="UTC")
    last = pd.Timestamp(year=times_utc[-1].year + 1, month=1, day=1, tz="UTC")
    step = pd.Timedelta(hours=dt_h)
    n_full = int((last - first) / step)
    phi = float(np.exp(-dt_h / 3.0))
    full = lfilter([np.sqrt(1.0 - phi**2)], [1.0, -phi], rng.standard_normal((2, n_full)) * std_frac, axis=1)
    start = int((times_utc[0] - first) / step)
    return np.asarray(full[:, start : start + len(times_utc)])
