"""Kaplan–Meier, Greenwood and Brookmeyer–Crowley: hand-computed cases, then SciPy as reference."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from warehouse.analytics.survival import (
    kaplan_meier,
    kaplan_meier_from_counts,
    survival_at,
    survival_quantile,
)

Z = NormalDist().inv_cdf(0.975)

# Nine spells, with tied events (two at 2), an event and a censoring tied at 2 and at 5, a
# censoring alone at 3, and everyone left having the event at 6.
TIMES = [1, 2, 2, 2, 3, 4, 5, 5, 6]
EVENTS = [1, 1, 1, 0, 0, 1, 1, 0, 1]


def loglog(s: float, greenwood: float) -> tuple[float, float]:
    """The log(-log) band by hand: S ** exp(+-z sqrt(V) / |log S|)."""
    se = math.sqrt(greenwood) / abs(math.log(s))
    return s ** math.exp(Z * se), s ** math.exp(-Z * se)


def test_hand_computed_table_with_ties_and_censoring():
    km = kaplan_meier(TIMES, EVENTS)
    # Censored at a tied time are still at risk for that time's events.
    assert km["time"].to_list() == [1, 2, 3, 4, 5, 6]
    assert km["n_at_risk"].to_list() == [9, 8, 5, 4, 3, 1]
    assert km["n_events"].to_list() == [1, 2, 0, 1, 1, 1]
    assert km["n_censored"].to_list() == [0, 1, 1, 0, 1, 0]
    s = [8 / 9, 8 / 9 * 6 / 8, 2 / 3, 2 / 3 * 3 / 4, 1 / 2 * 2 / 3, 0.0]
    assert km["survival"].to_list() == pytest.approx(s)
    # Greenwood: V(t) = S(t)^2 * sum d / (n (n - d)).
    g = [1 / 72, 1 / 72 + 2 / 48, 1 / 18, 1 / 18 + 1 / 12, 5 / 36 + 1 / 6]
    assert km["std_err"].to_list()[:5] == pytest.approx(
        [si * math.sqrt(gi) for si, gi in zip(s, g, strict=False)])
    assert km["std_err"][5] == 0  # S = 0: no uncertainty left
    for i in range(5):
        lo, hi = loglog(s[i], g[i])
        assert km["lower"][i] == pytest.approx(lo)
        assert km["upper"][i] == pytest.approx(hi)
    assert (km["lower"][5], km["upper"][5]) == (0.0, 0.0)


def test_linear_band_by_hand():
    km = kaplan_meier(TIMES, EVENTS, transform="linear")
    s, g = 0.5, 5 / 36  # at t = 4
    half = Z * s * math.sqrt(g)
    assert km.filter(pl.col("time") == 4).select("lower", "upper").row(0) == pytest.approx(
        (s - half, s + half))
    assert km["upper"].max() <= 1 and km["lower"].min() >= 0  # clipped


def test_median_and_its_brookmeyer_crowley_interval_by_hand():
    km = kaplan_meier(TIMES, EVENTS)
    q = survival_quantile(km, 0.5)
    # S(4) = 1/2 exactly: the median is the first time S falls to 0.5 or below.
    assert q.time == 4
    # Lower bound: the first time the band's lower limit is <= 0.5. At t = 1 it already is:
    lo1, _ = loglog(8 / 9, 1 / 72)
    assert lo1 < 0.5 and q.lower == 1
    # Upper bound: the band's upper limit at t = 5 is still above 0.5, it reaches 0 at t = 6.
    _, hi5 = loglog(1 / 3, 11 / 36)
    assert hi5 > 0.5 and q.upper == 6
    assert survival_quantile(km, 0.25).time == 2  # S(2) = 2/3 <= 0.75


def test_quantile_not_reached_and_open_upper_bound():
    km = kaplan_meier([1, 2, 3, 4, 5, 6, 7, 8], [1, 0, 0, 0, 0, 0, 0, 0])
    q = survival_quantile(km, 0.5)
    assert (q.time, q.upper) == (None, None)
    assert not q.is_reached
    censored_only = kaplan_meier([3, 5], [0, 0])
    assert censored_only["survival"].to_list() == [1.0, 1.0]
    assert (censored_only["lower"].to_list(), censored_only["upper"].to_list()) == (
        [1.0, 1.0], [1.0, 1.0])
    assert survival_quantile(censored_only).time is None


def test_counts_and_individual_records_agree_and_rows_are_summed():
    by_counts = kaplan_meier_from_counts(
        [6, 2, 1, 2, 3, 4, 5, 2], [1, 1, 1, 1, 0, 1, 1, 0], [0, 0, 0, 0, 1, 0, 1, 1])
    assert_frame_equal(by_counts, kaplan_meier(TIMES, EVENTS))
    assert survival_at(by_counts, 0.5) == 1.0
    assert survival_at(by_counts, 4.5) == pytest.approx(0.5)
    assert kaplan_meier([], []).is_empty()
    with pytest.raises(ValueError):
        kaplan_meier_from_counts([1], [-1], [0])
    with pytest.raises(ValueError):
        kaplan_meier(TIMES, EVENTS, transform="arcsine")


@pytest.mark.parametrize("method", ["log-log", "linear"])
def test_matches_scipy_on_random_data_with_many_ties(method):
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(11)
    t = rng.integers(0, 60, 500).astype(float)  # many ties, and events at time 0
    e = rng.random(500) < 0.55
    km = kaplan_meier(t, e, transform=method)
    res = stats.ecdf(stats.CensoredData(uncensored=t[e], right=t[~e]))
    times = km["time"].to_numpy()
    np.testing.assert_allclose(km["survival"], res.sf.evaluate(times), atol=1e-12)
    ci = res.sf.confidence_interval(0.95, method=method)
    ok = km["survival"].to_numpy() > 0  # SciPy leaves the band undefined once S = 0
    np.testing.assert_allclose(km["lower"].to_numpy()[ok], ci.low.evaluate(times)[ok],
                               atol=1e-12)
    np.testing.assert_allclose(km["upper"].to_numpy()[ok], ci.high.evaluate(times)[ok],
                               atol=1e-12)
