"""Recruitment outlook: monthly vacancies forecast 6 months ahead, with intervals and a backtest.

The model is a Poisson log-linear regression on a linear trend (from 6 months of history) and
annual harmonics, fitted by iteratively reweighted least squares. The number of harmonics is
chosen by QAIC among 0, 1, 2, 3, 4 and 6 (6 = a free effect for each calendar month) with two
years of history or more, among 0 to 2 with one year, none below. Overdispersion is the
Pearson statistic over the residual degrees of freedom (at least 1). Intervals come from
simulation: coefficients drawn from their asymptotic normal law (scaled by the dispersion),
then counts from a gamma–Poisson law with that dispersion. The point forecast is the fitted
mean, which uses no random draw.

The backtest replays the last 12 months: from every origin in them, the model and the
seasonal-naive baseline (the same month a year earlier) forecast 1 to 6 months ahead, as far
as the data goes. MASE (Hyndman & Koehler, 2006) divides each method's mean absolute error by
the in-sample mean absolute error of the seasonal-naive forecast over the months before the
backtest, so the two are on one scale; under 1 beats that in-sample benchmark.

Everything random goes through ``numpy.random.default_rng((seed, crc32(series key)))``, so a
seed gives the same tables whatever the order or number of series.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

SEASON = 12
ALL = "ALL"  # region_code / isco_major_group of the totals


@dataclass(frozen=True)
class ForecastSettings:
    horizon: int = 6
    backtest_months: int = 12
    n_draws: int = 2000
    seed: int = 20_240_601
    levels: tuple[float, ...] = (0.8, 0.95)


# -- the model --------------------------------------------------------------------------------

def design(t: np.ndarray, *, n_harmonics: int, trend: bool) -> np.ndarray:
    """Columns: intercept, trend (years), then cos/sin pairs of the annual cycle."""
    t = np.asarray(t, dtype=float)
    cols = [np.ones_like(t)]
    if trend:
        cols.append(t / SEASON)
    for k in range(1, n_harmonics + 1):
        angle = 2 * np.pi * k * t / SEASON
        cols.append(np.cos(angle))
        if 2 * k < SEASON:  # sin(pi t) is 0 at whole months: 6 harmonics = 11 monthly effects
            cols.append(np.sin(angle))
    return np.column_stack(cols)


@functools.lru_cache(maxsize=256)
def _design_upto(stop: int, n_harmonics: int, trend: bool) -> np.ndarray:
    X = design(np.arange(stop), n_harmonics=n_harmonics, trend=trend)
    X.flags.writeable = False
    return X


def design_range(start: int, stop: int, *, n_harmonics: int, trend: bool) -> np.ndarray:
    """The design rows of months start..stop-1 (cached: the backtest asks for them often)."""
    return _design_upto(stop, n_harmonics, trend)[start:stop]


@dataclass(frozen=True)
class Fit:
    beta: np.ndarray
    cov: np.ndarray  # of beta, already scaled by the dispersion
    dispersion: float
    n_harmonics: int
    trend: bool
    converged: bool

    @property
    def description(self) -> str:
        parts = ["level"] + (["trend"] if self.trend else [])
        if self.n_harmonics:
            parts.append(f"{self.n_harmonics} annual harmonic{'s' if self.n_harmonics > 1 else ''}")
        return "Poisson regression: " + " + ".join(parts)

    def design(self, start: int, stop: int) -> np.ndarray:
        return design_range(start, stop, n_harmonics=self.n_harmonics, trend=self.trend)

    def mean(self, start: int, stop: int) -> np.ndarray:
        """Expected counts of months start..stop-1 (month 0 = the first of the history)."""
        return np.exp(np.clip(self.design(start, stop) @ self.beta, -50, 50))


def fit_poisson(y: np.ndarray, X: np.ndarray, *, max_iter: int = 50, tol: float = 1e-8
                ) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """IRLS for a Poisson log-linear model: (beta, cov scaled by dispersion, dispersion, converged)."""
    y = np.asarray(y, dtype=float)
    n, p = X.shape
    # A tiny ridge keeps the normal equations solvable when a column is nearly constant.
    ridge = 1e-8 * np.eye(p)
    mu = y + 0.5
    eta = np.log(mu)
    beta = np.linalg.lstsq(X, eta, rcond=None)[0]
    converged = False
    for _ in range(max_iter):
        eta = np.clip(X @ beta, -50, 50)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        XtW = X.T * mu
        new = np.linalg.solve(XtW @ X + ridge, XtW @ z)
        if np.max(np.abs(new - beta)) < tol * (1 + np.max(np.abs(beta))):
            beta, converged = new, True
            break
        beta = new
    mu = np.exp(np.clip(X @ beta, -50, 50))
    dof = n - p
    dispersion = max(1.0, float(np.sum((y - mu) ** 2 / mu) / dof)) if dof > 0 else 1.0
    cov = dispersion * np.linalg.inv((X.T * mu) @ X + ridge)
    return beta, cov, dispersion, converged


def poisson_loglik(y: np.ndarray, mu: np.ndarray) -> float:
    """Poisson log-likelihood without the log(y!) term, which no model choice depends on."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(np.where(y > 0, y * np.log(mu), 0.0) - mu))


def candidate_harmonics(n_obs: int) -> tuple[int, ...]:
    """Seasonal shapes tried: from none to 6 harmonics (a free effect for every month)."""
    if n_obs >= 2 * SEASON:
        return (0, 1, 2, 3, 4, 6)
    if n_obs >= SEASON:
        return (0, 1, 2)
    return (0,)


def fit(y: np.ndarray) -> Fit | None:
    """The Poisson model with the lowest QAIC among the seasonal shapes the history supports,
    with a trend from 6 months of history; None for an all-zero series.

    QAIC = -2 log L / c + 2 p, with c the dispersion of the richest model (Burnham & Anderson).
    A fit that does not converge or runs away (a forecast above 3 x the highest month + 5) is
    set aside.
    """
    y = np.asarray(y, dtype=float)
    if y.size == 0 or not y.any():
        return None
    n = y.size
    trend = n >= 6
    ceiling = 3 * y.max() + 5
    fits = []
    for n_harm in candidate_harmonics(n):
        X = design_range(0, n, n_harmonics=n_harm, trend=trend)
        if X.shape[1] >= n:
            continue
        beta, cov, dispersion, converged = fit_poisson(y, X)
        model = Fit(beta, cov, dispersion, n_harm, trend, converged)
        ahead = model.mean(n, n + SEASON)
        if converged and np.all(np.isfinite(ahead)) and ahead.max() <= ceiling:
            fits.append((model, poisson_loglik(y, model.mean(0, n)), X.shape[1]))
    if not fits:
        X = design_range(0, n, n_harmonics=0, trend=False)
        beta, cov, dispersion, converged = fit_poisson(y, X)
        return Fit(beta, cov, dispersion, 0, False, converged)
    c = max(fits, key=lambda f: f[2])[0].dispersion
    return min(fits, key=lambda f: -2 * f[1] / c + 2 * f[2])[0]


def simulate(model: Fit | None, start: int, stop: int, n_draws: int,
             rng: np.random.Generator) -> np.ndarray:
    """Draws of the counts of months start..stop-1, shape (n_draws, stop - start)."""
    if model is None:
        return np.zeros((n_draws, stop - start))
    X = model.design(start, stop)
    try:
        chol = np.linalg.cholesky(model.cov + 1e-12 * np.eye(len(model.beta)))
    except np.linalg.LinAlgError:
        chol = np.diag(np.sqrt(np.clip(np.diag(model.cov), 0, None)))
    betas = model.beta + rng.standard_normal((n_draws, len(model.beta))) @ chol.T
    mu = np.exp(np.clip(betas @ X.T, -50, 20))
    if model.dispersion > 1:
        excess = model.dispersion - 1
        mu = rng.gamma(shape=mu / excess, scale=excess)
    return rng.poisson(mu).astype(float)


def interval(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    alpha = (1 - level) / 2
    return (np.quantile(draws, alpha, axis=0, method="inverted_cdf"),
            np.quantile(draws, 1 - alpha, axis=0, method="inverted_cdf"))


def series_rng(seed: int, key: str) -> np.random.Generator:
    """The random stream of one series: independent of the order series are processed in."""
    return np.random.default_rng((seed, zlib.crc32(key.encode("utf-8"))))


@dataclass(frozen=True)
class Forecast:
    fitted: np.ndarray  # in-sample means
    mean: np.ndarray  # point forecasts, horizon long
    bounds: dict[float, tuple[np.ndarray, np.ndarray]]
    seasonal_naive: np.ndarray  # NaN where there is no value a year earlier
    description: str
    dispersion: float


def forecast(y: np.ndarray, horizon: int, rng: np.random.Generator, *,
             levels: tuple[float, ...] = (0.8, 0.95), n_draws: int = 2000) -> Forecast:
    y = np.asarray(y, dtype=float)
    model = fit(y)
    n = y.size
    draws = simulate(model, n, n + horizon, n_draws, rng)
    mean = model.mean(n, n + horizon) if model else np.zeros(horizon)
    fitted = model.mean(0, n) if model else np.zeros(n)
    return Forecast(
        fitted=fitted,
        mean=mean,
        bounds={level: interval(draws, level) for level in levels},
        seasonal_naive=seasonal_naive(y, horizon),
        description=model.description if model else "all zero: forecast zero",
        dispersion=model.dispersion if model else 1.0,
    )


def seasonal_naive(y: np.ndarray, horizon: int, season: int = SEASON) -> np.ndarray:
    """y[T + h - season] for h = 1..horizon (repeating the last season past one year)."""
    y = np.asarray(y, dtype=float)
    out = np.full(horizon, np.nan)
    if y.size >= season:
        for h in range(1, horizon + 1):
            out[h - 1] = y[y.size - season + (h - 1) % season]
    return out


# -- backtest ---------------------------------------------------------------------------------

def seasonal_scale(train: np.ndarray, season: int = SEASON) -> float | None:
    """In-sample MAE of the seasonal-naive forecast: mean |y_t - y_(t-season)|."""
    train = np.asarray(train, dtype=float)
    if train.size <= season:
        return None
    return float(np.mean(np.abs(train[season:] - train[:-season])))


def mase(actual: np.ndarray, predicted: np.ndarray, scale: float | None) -> float | None:
    """Mean absolute scaled error; None when the scale is missing or zero."""
    if scale is None or scale == 0 or len(actual) == 0:
        return None
    return float(np.mean(np.abs(np.asarray(actual) - np.asarray(predicted))) / scale)


@dataclass(frozen=True)
class Backtest:
    status: str
    backtest_from: int | None = None  # index of the first month forecast
    n_forecasts: int = 0
    scale: float | None = None
    mae_model: float | None = None
    mae_seasonal_naive: float | None = None
    mase_model: float | None = None
    mase_seasonal_naive: float | None = None
    coverage: dict[float, float] | None = None


def min_history(settings: ForecastSettings) -> int:
    """Months needed: a year before the backtest for the scale, plus one, plus the backtest."""
    return settings.backtest_months + SEASON + 1


def backtest(y: np.ndarray, rng: np.random.Generator, settings: ForecastSettings) -> Backtest:
    """Rolling-origin backtest over the last ``backtest_months`` months (see the module doc)."""
    y = np.asarray(y, dtype=float)
    n = y.size
    if n < min_history(settings):
        return Backtest(status=f"insufficient history: {n} months, {min_history(settings)} needed")
    start = n - settings.backtest_months
    scale = seasonal_scale(y[:start])
    actual, model_pred, naive_pred = [], [], []
    hits = {level: 0 for level in settings.levels}
    for origin in range(start, n):
        steps = min(settings.horizon, n - origin)
        fc = forecast(y[:origin], steps, rng, levels=settings.levels,
                      n_draws=max(200, settings.n_draws // 4))
        truth = y[origin:origin + steps]
        actual.extend(truth)
        model_pred.extend(fc.mean)
        naive_pred.extend(fc.seasonal_naive)
        for level, (lo, hi) in fc.bounds.items():
            hits[level] += int(np.sum((truth >= lo) & (truth <= hi)))
    actual_a, model_a, naive_a = map(np.asarray, (actual, model_pred, naive_pred))
    status = "ok" if scale else "seasonal-naive scale is zero: MASE undefined"
    return Backtest(
        status=status,
        backtest_from=start,
        n_forecasts=len(actual),
        scale=scale,
        mae_model=float(np.mean(np.abs(actual_a - model_a))),
        mae_seasonal_naive=float(np.mean(np.abs(actual_a - naive_a))),
        mase_model=mase(actual_a, model_a, scale),
        mase_seasonal_naive=mase(actual_a, naive_a, scale),
        coverage={level: hit / len(actual) for level, hit in hits.items()},
    )


# -- the marts --------------------------------------------------------------------------------

def monthly_series(con: duckdb.DuckDBPyConnection) -> tuple[list, dict[tuple[str, str], np.ndarray]]:
    """Vacancies posted per month for the national total, every region, every ISCO major group,
    and every region x major group, over every month of the window (zeros filled in)."""
    months = [r[0] for r in con.execute(
        "select month from core.dim_month order by month").fetchall()]
    regions = [r[0] for r in con.execute(
        "select region_code from core.dim_region where region_code is not null").fetchall()]
    groups = [r[0] for r in con.execute(
        "select isco_major_group from core.dim_isco_major_group").fetchall()]
    rows = con.execute("""
        select month, coalesce(region_code, '') as region_code, isco_major_group,
               sum(n_vacancies_posted)::bigint as n
        from marts.mart_vacancies_monthly
        group by all
    """).fetchall()
    index = {m: i for i, m in enumerate(months)}
    series: dict[tuple[str, str], np.ndarray] = {
        key: np.zeros(len(months))
        for key in [(ALL, ALL), *((r, ALL) for r in regions), *((ALL, g) for g in groups),
                    *((r, g) for r in regions for g in groups)]}
    for month, region, group, n in rows:
        if month not in index or not region:
            continue
        for key in ((ALL, ALL), (region, ALL), (ALL, group), (region, group)):
            series.setdefault(key, np.zeros(len(months)))[index[month]] += n
    return months, series


def add_months(month, n: int):
    i = month.year * 12 + month.month - 1 + n
    return month.replace(year=i // 12, month=i % 12 + 1, day=1)


def forecast_frames(months: list, series: dict[tuple[str, str], np.ndarray],
                    settings: ForecastSettings) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(one row per series x month, history and forecast; one row per series: the backtest)."""
    future = [add_months(months[-1], h) for h in range(1, settings.horizon + 1)]
    rows, accuracy = [], []
    for (region, group), y in sorted(series.items()):
        key = f"{region}|{group}"
        fc = forecast(y, settings.horizon, series_rng(settings.seed, key + "|forecast"),
                      levels=settings.levels, n_draws=settings.n_draws)
        for i, month in enumerate(months):
            rows.append({"region_code": region, "isco_major_group": group, "month": month,
                         "is_forecast": False, "n_vacancies_posted": int(y[i]),
                         "fitted": float(fc.fitted[i])})
        for h, month in enumerate(future):
            row = {"region_code": region, "isco_major_group": group, "month": month,
                   "is_forecast": True, "horizon": h + 1, "forecast": float(fc.mean[h]),
                   "seasonal_naive": None if np.isnan(fc.seasonal_naive[h])
                   else float(fc.seasonal_naive[h])}
            for level, (lo, hi) in fc.bounds.items():
                pct = round(level * 100)
                row[f"lower_{pct}"], row[f"upper_{pct}"] = float(lo[h]), float(hi[h])
            rows.append(row)
        bt = backtest(y, series_rng(settings.seed, key + "|backtest"), settings)
        row = {
            "region_code": region, "isco_major_group": group, "model": fc.description,
            "dispersion": fc.dispersion, "n_months_history": len(months),
            "backtest_from": months[bt.backtest_from] if bt.backtest_from is not None else None,
            "backtest_to": months[-1] if bt.backtest_from is not None else None,
            "n_forecasts": bt.n_forecasts, "scale_seasonal_naive": bt.scale,
            "mae_model": bt.mae_model, "mae_seasonal_naive": bt.mae_seasonal_naive,
            "mase_model": bt.mase_model, "mase_seasonal_naive": bt.mase_seasonal_naive,
            "status": bt.status, "seed": settings.seed,
        }
        for level in settings.levels:
            row[f"coverage_{round(level * 100)}"] = (bt.coverage or {}).get(level)
        accuracy.append(row)
    history_schema = {
        "region_code": pl.String, "isco_major_group": pl.String, "month": pl.Date,
        "is_forecast": pl.Boolean, "horizon": pl.Int32, "n_vacancies_posted": pl.Int64,
        "fitted": pl.Float64, "forecast": pl.Float64, "seasonal_naive": pl.Float64,
        **{f"{side}_{round(level * 100)}": pl.Float64 for level in settings.levels
           for side in ("lower", "upper")},
    }
    accuracy_schema = {
        "region_code": pl.String, "isco_major_group": pl.String, "model": pl.String,
        "dispersion": pl.Float64, "n_months_history": pl.Int64, "backtest_from": pl.Date,
        "backtest_to": pl.Date, "n_forecasts": pl.Int64, "scale_seasonal_naive": pl.Float64,
        "mae_model": pl.Float64, "mae_seasonal_naive": pl.Float64, "mase_model": pl.Float64,
        "mase_seasonal_naive": pl.Float64, "status": pl.String, "seed": pl.Int64,
        **{f"coverage_{round(level * 100)}": pl.Float64 for level in settings.levels},
    }
    return (pl.DataFrame(rows, schema=history_schema),
            pl.DataFrame(accuracy, schema=accuracy_schema))


def build_tables(con: duckdb.DuckDBPyConnection, settings: ForecastSettings = ForecastSettings(),
                 progress: Callable[[str], None] | None = None) -> None:
    """Write marts.mart_vacancy_forecast and marts.mart_vacancy_forecast_accuracy."""
    if progress:
        progress("building marts.mart_vacancy_forecast (Python)")
    months, series = monthly_series(con)
    history, accuracy = forecast_frames(months, series, settings)
    labels = """
        left join core.dim_region as r on r.region_code = f.region_code
        left join core.dim_isco_major_group as g on g.isco_major_group = f.isco_major_group"""
    names = """
        case when f.region_code = 'ALL' then 'All regions' else r.region_name end as region_name,
        case when f.isco_major_group = 'ALL' then 'All occupations'
             else g.isco_major_group_label end as isco_major_group_label"""
    con.register("forecast_history", history)
    con.register("forecast_accuracy", accuracy)
    try:
        con.execute(f"""
            create or replace table marts.mart_vacancy_forecast as
            select f.region_code, f.isco_major_group, {names}, f.* exclude (region_code, isco_major_group)
            from forecast_history as f {labels}
            order by f.region_code, f.isco_major_group, f.month""")
        con.execute(f"""
            create or replace table marts.mart_vacancy_forecast_accuracy as
            select f.region_code, f.isco_major_group, {names}, f.* exclude (region_code, isco_major_group)
            from forecast_accuracy as f {labels}
            order by f.region_code, f.isco_major_group""")
    finally:
        con.unregister("forecast_history")
        con.unregister("forecast_accuracy")
