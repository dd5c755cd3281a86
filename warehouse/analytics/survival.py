"""Kaplan–Meier survival with Greenwood variance, and quantiles with Brookmeyer–Crowley intervals.

Plain NumPy, no I/O: the outcome pages call it on the counts of ``marts.mart_time_to_employment``
(at most one row per distinct duration per group, so it runs in a millisecond), and the tests
check it against hand-computed cases and SciPy.

Conventions (those of R's ``survival`` package and of lifelines):
- at a time where events and censorings tie, the censored are still at risk for those events;
- S(t) is right-continuous: the estimate *after* the events at t;
- the p-quantile of the time to the event is the smallest t with S(t) <= 1 - p;
- its confidence interval (Brookmeyer & Crowley, 1982) inverts the pointwise band: the lower
  bound is the first time the band's lower limit falls to 1 - p, the upper bound the first time
  its upper limit does. The upper bound is open (None) when the band never gets there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import polars as pl

TRANSFORMS = ("log-log", "linear")


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def kaplan_meier_from_counts(times: Sequence[float], n_events: Sequence[int],
                             n_censored: Sequence[int], *, confidence: float = 0.95,
                             transform: str = "log-log") -> pl.DataFrame:
    """The Kaplan–Meier table from counts per time (several rows per time are summed).

    Returns one row per distinct time with at least one event or censoring: time, n_at_risk,
    n_events, n_censored, survival, std_err (Greenwood), lower, upper.
    ``transform`` 'log-log' (Kalbfleisch & Prentice; never leaves [0, 1]) or 'linear'.
    """
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {TRANSFORMS}, not {transform!r}")
    t = np.asarray(times, dtype=float)
    d = np.asarray(n_events, dtype=float)
    c = np.asarray(n_censored, dtype=float)
    if not (t.shape == d.shape == c.shape):
        raise ValueError("times, n_events and n_censored must have the same length")
    if (d < 0).any() or (c < 0).any():
        raise ValueError("counts cannot be negative")
    if t.size == 0:
        return _empty()
    order = np.argsort(t, kind="stable")
    t, d, c = t[order], d[order], c[order]
    # Sum the rows of each distinct time.
    unique, first = np.unique(t, return_index=True)
    d = np.add.reduceat(d, first)
    c = np.add.reduceat(c, first)
    keep = (d + c) > 0
    unique, d, c = unique[keep], d[keep], c[keep]
    if unique.size == 0:
        return _empty()
    leaving = d + c
    at_risk = leaving[::-1].cumsum()[::-1]  # everyone whose time is >= t
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1.0 - d / at_risk)
        # Greenwood's sum; a step where everyone at risk has the event makes it infinite.
        terms = np.where(d > 0, d / (at_risk * (at_risk - d)), 0.0)
    greenwood = np.cumsum(terms)
    with np.errstate(invalid="ignore"):
        std_err = np.where(survival == 0, 0.0, survival * np.sqrt(greenwood))
    lower, upper = _band(survival, greenwood, _z(confidence), transform)
    return pl.DataFrame({
        "time": unique,
        "n_at_risk": at_risk.astype(np.int64),
        "n_events": d.astype(np.int64),
        "n_censored": c.astype(np.int64),
        "survival": survival,
        "std_err": std_err,
        "lower": lower,
        "upper": upper,
    })


def kaplan_meier(durations: Sequence[float], events: Sequence[bool], *,
                 confidence: float = 0.95, transform: str = "log-log") -> pl.DataFrame:
    """The Kaplan–Meier table of individual observations (event True, censored False)."""
    e = np.asarray(events, dtype=bool)
    return kaplan_meier_from_counts(durations, e.astype(int), (~e).astype(int),
                                    confidence=confidence, transform=transform)


def _band(survival: np.ndarray, greenwood: np.ndarray, z: float, transform: str
          ) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if transform == "linear":
            half = z * survival * np.sqrt(greenwood)
            lower, upper = np.clip(survival - half, 0, 1), np.clip(survival + half, 0, 1)
        else:
            log_s = np.log(survival)
            theta_se = np.sqrt(greenwood) / np.abs(log_s)
            lower = survival ** np.exp(z * theta_se)
            upper = survival ** np.exp(-z * theta_se)
    # Before the first event S = 1 with no variance; after everyone had the event S = 0.
    lower = np.where(survival >= 1, 1.0, np.where(survival <= 0, 0.0, lower))
    upper = np.where(survival >= 1, 1.0, np.where(survival <= 0, 0.0, upper))
    return lower, upper


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema={
        "time": pl.Float64, "n_at_risk": pl.Int64, "n_events": pl.Int64, "n_censored": pl.Int64,
        "survival": pl.Float64, "std_err": pl.Float64, "lower": pl.Float64, "upper": pl.Float64})


def _first_time_at_or_below(times: np.ndarray, values: np.ndarray, level: float) -> float | None:
    # A tolerance so that 1 - 1/2 computed in floating point counts as reaching 0.5.
    hits = np.flatnonzero(values <= level + 1e-12)
    return float(times[hits[0]]) if hits.size else None


@dataclass(frozen=True)
class Quantile:
    """The time by which a share ``p`` had the event, with its confidence interval."""

    p: float
    time: float | None
    lower: float | None
    upper: float | None

    @property
    def is_reached(self) -> bool:
        return self.time is not None


def survival_quantile(table: pl.DataFrame, p: float = 0.5) -> Quantile:
    """The p-quantile of the time to the event (p=0.5: the median) and its Brookmeyer–Crowley
    interval, read from a table of ``kaplan_meier*`` at the confidence it was built with."""
    if not 0 < p < 1:
        raise ValueError("p must be strictly between 0 and 1")
    if table.is_empty():
        return Quantile(p, None, None, None)
    level = 1.0 - p
    times = table["time"].to_numpy()
    return Quantile(
        p,
        _first_time_at_or_below(times, table["survival"].to_numpy(), level),
        _first_time_at_or_below(times, table["lower"].to_numpy(), level),
        _first_time_at_or_below(times, table["upper"].to_numpy(), level),
    )


def survival_at(table: pl.DataFrame, t: float) -> float:
    """S(t): the estimate after the last time at or before ``t`` (1 before the first)."""
    times = table["time"].to_numpy()
    i = int(np.searchsorted(times, t, side="right")) - 1
    return 1.0 if i < 0 else float(table["survival"][i])
