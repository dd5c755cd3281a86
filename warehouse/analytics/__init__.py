"""Models computed in Python after the SQL models, in the same build transaction.

``build`` writes them and returns their Model records, which warehouse.build audits like the
SQL ones (not empty, key unique and not null). survival.py holds the Kaplan–Meier estimator
the outcome pages use on the counts of marts.mart_time_to_employment.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb


def build(con: duckdb.DuckDBPyConnection, progress: Callable[[str], None] | None = None) -> list:
    """Write core.dim_isco_group and the vacancy forecast marts; return their Model records."""
    from warehouse.analytics import forecast, isco
    from warehouse.build import Model

    isco.build_table(con, progress)
    forecast.build_tables(con, forecast.ForecastSettings(), progress)

    def model(layer: str, name: str, grain: str, key: tuple[str, ...], source: str) -> Model:
        return Model(layer=layer, name=name, sql=f"-- computed in Python: {source}", grain=grain,
                     key=key, materialized="table")

    return [
        model("core", "dim_isco_group",
              "one row per ISCO-08 code (levels 1-4) of a vacancy or an occupation sought",
              ("isco_code",), "warehouse/analytics/isco.py"),
        model("marts", "mart_vacancy_forecast",
              "one row per series (region or ALL x ISCO major group or ALL) x month",
              ("region_code", "isco_major_group", "month"), "warehouse/analytics/forecast.py"),
        model("marts", "mart_vacancy_forecast_accuracy",
              "one row per series (region or ALL x ISCO major group or ALL)",
              ("region_code", "isco_major_group"), "warehouse/analytics/forecast.py"),
    ]
