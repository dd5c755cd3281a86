"""Time the callbacks of the Outcomes and Employers pages (queries + figures), as Dash runs them.

Used by benchmarks/run.py; also runnable alone on an existing home:

    python benchmarks/outcome_callbacks.py --home var --repeats 30
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def callbacks(month_from: str, month_to: str, region: str) -> dict[str, Callable[[], object]]:
    """Each callback with the default view (the last 12 months, every region) and a filtered one."""
    from dashboards.pages import employers, outcomes

    none = ([], [], [], [])
    one = ([region], [], [], [])
    return {
        "outcomes.update_monthly": lambda: outcomes.update_monthly(month_from, month_to, *none),
        "outcomes.update_monthly (region, age band)": lambda: outcomes.update_monthly(
            month_from, month_to, [region], ["25-49"], [], []),
        "outcomes.update_breakdown (region)": lambda: outcomes.update_breakdown(
            month_from, month_to, *none, "region"),
        "outcomes.update_breakdown (education)": lambda: outcomes.update_breakdown(
            month_from, month_to, *one, "education_level"),
        "outcomes.update_cohorts": lambda: outcomes.update_cohorts(month_from, month_to, *none),
        "outcomes.update_survival (support tier)": lambda: outcomes.update_survival(
            month_from, month_to, *none, "support_tier"),
        "outcomes.update_survival (channel profile, region)": lambda: outcomes.update_survival(
            month_from, month_to, *one, "channel_profile"),
        "employers.update_demand": lambda: employers.update_demand(month_from, month_to, [],
                                                                   "all"),
        "employers.update_demand (ISCO 5, region)": lambda: employers.update_demand(
            month_from, month_to, [region], "5"),
        "employers.update_closures": lambda: employers.update_closures(month_from, month_to, [],
                                                                       "all"),
        "employers.update_tension": lambda: employers.update_tension(month_from, month_to, []),
        "employers.update_tension_occupation": lambda: employers.update_tension_occupation(
            month_from, month_to, [], "all"),
        "employers.update_tension_occupation (ISCO 5)":
            lambda: employers.update_tension_occupation(month_from, month_to, [], "5"),
        "employers.update_outlook (region, ISCO 5)": lambda: employers.update_outlook([region],
                                                                                      "5"),
    }


def callback_timings(settings, repeats: int = 30) -> list[tuple[str, float, float]]:
    """(callback, p50 ms, p95 ms) for each callback of the two pages."""
    from dashboards.app import create_app
    from dashboards.components.format import month_value
    from dashboards.db import warehouse_for
    from dashboards.queries import add_months, dataset_meta, regions

    create_app(settings)  # callbacks find the settings through the app, as in a request
    wh = warehouse_for(settings.published_db)
    meta = dataset_meta(wh).row(0, named=True)
    region = regions(wh)["region_code"][0]
    month_to = month_value(meta["data_to"])
    month_from = month_value(max(add_months(meta["data_to"], -11), meta["data_from"]))
    rows = []
    for name, run in callbacks(month_from, month_to, region).items():
        run()  # warm the connection and the OS cache
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            run()
            times.append((time.perf_counter() - t0) * 1000)
        rows.append((f"callback {name}", statistics.median(times), _percentile(times, 0.95)))
        print(f"  {rows[-1][0]:<62} p50 {rows[-1][1]:6.1f} ms  p95 {rows[-1][2]:6.1f} ms",
              flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    from observatory.settings import load_settings

    callback_timings(load_settings(args.home), args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
