"""The vacancy forecast: MASE and the seasonal-naive baseline by hand, a backtest replayed by
hand, and reproducibility for a seed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from polars.testing import assert_frame_equal

from warehouse.analytics import forecast as fc

SETTINGS = fc.ForecastSettings(n_draws=400)


def seasonal_counts(n: int = 36, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    mean = 40 * np.exp(0.35 * np.cos(2 * np.pi * t / 12) + 0.01 * t)
    return rng.poisson(mean).astype(float)


def test_mase_and_seasonal_naive_on_a_tiny_series_by_hand():
    train = np.array([10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 13, 15], dtype=float)
    # In-sample seasonal-naive errors: |13 - 10| and |15 - 12|.
    assert fc.seasonal_scale(train) == 3.0
    assert fc.mase(np.array([5.0, 7.0]), np.array([4.0, 9.0]), 3.0) == pytest.approx(0.5)
    assert fc.mase(np.array([1.0]), np.array([1.0]), 0.0) is None  # undefined scale
    assert fc.seasonal_scale(train[:12]) is None  # no month has a year before it
    np.testing.assert_array_equal(fc.seasonal_naive(train, 3), [14, 16, 18])
    twelve = np.arange(12, dtype=float)
    np.testing.assert_array_equal(fc.seasonal_naive(twelve, 14), [*range(12), 0, 1])
    assert np.isnan(fc.seasonal_naive(twelve[:11], 2)).all()


def test_backtest_replayed_by_hand():
    y = seasonal_counts()
    bt = fc.backtest(y, fc.series_rng(1, "x"), SETTINGS)
    assert bt.status == "ok" and bt.backtest_from == 24
    start, errors_naive, errors_model = 24, [], []
    for origin in range(start, 36):
        for h in range(1, min(6, 36 - origin) + 1):
            target = origin + h - 1
            errors_naive.append(abs(y[target] - y[target - 12]))
            model = fc.fit(y[:origin])
            errors_model.append(abs(y[target] - model.mean(origin, origin + h)[-1]))
    # 12 origins (months 24 to 35): 7 forecast 6 months ahead, then 5, 4, 3, 2 and 1 fit.
    assert bt.n_forecasts == len(errors_naive) == 7 * 6 + 5 + 4 + 3 + 2 + 1
    scale = np.mean(np.abs(y[12:24] - y[:12]))
    assert bt.scale == pytest.approx(scale)
    assert bt.mase_seasonal_naive == pytest.approx(np.mean(errors_naive) / scale)
    assert bt.mase_model == pytest.approx(np.mean(errors_model) / scale)
    assert 0 <= bt.coverage[0.8] <= bt.coverage[0.95] <= 1


def test_short_history_has_no_backtest_but_a_forecast():
    y = seasonal_counts(14)
    bt = fc.backtest(y, fc.series_rng(1, "x"), SETTINGS)
    assert bt.status == "insufficient history: 14 months, 25 needed"
    assert bt.mase_model is None
    f = fc.forecast(y, 6, fc.series_rng(1, "x"), n_draws=200)
    assert f.mean.shape == (6,) and np.all(f.mean > 0)


def test_model_recovers_a_seasonal_pattern_and_intervals_are_ordered():
    y = seasonal_counts(48, seed=5)
    model = fc.fit(y)
    assert model.n_harmonics >= 1 and model.trend
    f = fc.forecast(y, 6, fc.series_rng(7, "s"), n_draws=1000)
    truth = 40 * np.exp(0.35 * np.cos(2 * np.pi * np.arange(48, 54) / 12) + 0.01 * np.arange(48, 54))
    assert np.all(np.abs(f.mean - truth) / truth < 0.25)
    lo80, hi80 = f.bounds[0.8]
    lo95, hi95 = f.bounds[0.95]
    assert np.all((lo95 <= lo80) & (lo80 <= f.mean) & (f.mean <= hi80) & (hi80 <= hi95))


def test_all_zero_series_forecasts_zero():
    f = fc.forecast(np.zeros(30), 6, fc.series_rng(1, "z"))
    assert f.mean.tolist() == [0.0] * 6
    assert f.bounds[0.95][1].tolist() == [0.0] * 6
    assert fc.backtest(np.zeros(30), fc.series_rng(1, "z"), SETTINGS).mase_model is None


KEYS = ("ALL|ALL", "FRK|5", "FR1|ALL")


def _frames(seed: int, keys=KEYS):
    months = [dt.date(2023 + (m // 12), m % 12 + 1, 1) for m in range(30)]
    # Each series' counts depend on its key only, not on its position.
    series = {tuple(k.split("|")): seasonal_counts(30, seed=KEYS.index(k)) for k in keys}
    return fc.forecast_frames(months, series, fc.ForecastSettings(n_draws=300, seed=seed))


def test_reproducible_for_a_seed_and_independent_of_series_order():
    history, accuracy = _frames(seed=42)
    again_history, again_accuracy = _frames(seed=42)
    assert_frame_equal(history, again_history)
    assert_frame_equal(accuracy, again_accuracy)
    # Another order of the series changes nothing: each series has its own random stream.
    reordered, reordered_accuracy = _frames(seed=42, keys=KEYS[::-1])
    keys = ["region_code", "isco_major_group"]
    assert_frame_equal(history.sort(*keys, "month"), reordered.sort(*keys, "month"))
    assert_frame_equal(accuracy.sort(keys), reordered_accuracy.sort(keys))
    # Another seed moves the simulated intervals, never the point forecast.
    other, _ = _frames(seed=43)
    assert other["forecast"].to_list() == history["forecast"].to_list()
    assert other["lower_80"].to_list() != history["lower_80"].to_list()
    assert accuracy["seed"].to_list() == [42] * 3
    assert history.filter(history["is_forecast"]).height == 3 * 6
