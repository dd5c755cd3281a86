"""Time the callbacks of the Channels section as Dash runs them: validation of the controls,
the mart query, the drawn frame, the figure, and the JSON the browser receives.

Used by benchmarks/run.py; also runnable alone on an existing home:

    python benchmarks/channel_callbacks.py --home var --repeats 30

Each callback is timed under four filter states (the default view, a region and a segment, an
agency and a user type, the whole period with education and a page choice), ``repeats`` times
each; p50 and p95 are over all those runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def filter_states(wh) -> list[dict]:
    """Four realistic views, as the controls would send them."""
    from dashboards.components.format import month_value
    from dashboards.queries import add_months, dataset_meta, regions

    meta = dataset_meta(wh).row(0, named=True)
    month_to = month_value(meta["data_to"])
    month_from = month_value(max(add_months(meta["data_to"], -11), meta["data_from"]))
    region = regions(wh)["region_code"][0]
    agency = wh.frame("SELECT agency_code FROM marts.mart_contacts_monthly GROUP BY agency_code "
                      "ORDER BY sum(n_contacts) DESC LIMIT 1")["agency_code"][0]
    period = {"from": month_from, "to": month_to}
    return [
        period,
        {**period, "region": [region], "digital_skills": ["none", "basic"]},
        {**period, "agency": [agency], "user_type": "jobseeker", "direction": "inbound"},
        {"from": month_value(meta["data_from"]), "to": month_to, "education_level": ["low"],
         "segment_by": "age_band", "measure": "share", "service": "benefit_claim",
         "rank_by": "region"},
    ]


def callback_timings(settings, repeats: int = 30) -> list[tuple[str, float, float]]:
    """(callback, p50 ms, p95 ms) for each indicator callback of the section, and two exports."""
    from plotly.io.json import to_json_plotly

    from dashboards.app import create_app
    from dashboards.components import export
    from dashboards.db import warehouse_for
    from dashboards.pages import (
        channels,
        channels_caseloads,
        channels_inclusion,
        channels_journeys,
        channels_quality,
    )
    from dashboards.pages import channels_section as section

    app = create_app(settings)  # callbacks find the settings through the app, as in a request
    states = filter_states(warehouse_for(settings.published_db))
    runs = []
    for module in (channels, channels_journeys, channels_inclusion, channels_quality,
                   channels_caseloads):
        for indicator in module.INDICATORS:
            runs.append((f"callback {module.PATH} {indicator.id}",
                         lambda raw, i=indicator, m=module: to_json_plotly(
                             section.update(i, m.EXTRAS, raw))))
    for chart in ("channels-mix", "exclusion-groups"):
        runs.append((f"CSV export {chart}",
                     lambda raw, c=chart: to_json_plotly(export.export(app, c, raw))))
    rows = []
    for name, run in runs:
        for state in states:
            run(state)  # warm the connection and the OS cache
        times = []
        for _ in range(repeats):
            for state in states:
                t0 = time.perf_counter()
                run(state)
                times.append((time.perf_counter() - t0) * 1000)
        rows.append((name, statistics.median(times), _percentile(times, 0.95)))
        print(f"  {name:<62} p50 {rows[-1][1]:6.1f} ms  p95 {rows[-1][2]:6.1f} ms", flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    from observatory.settings import load_settings

    rows = callback_timings(load_settings(args.home), args.repeats)
    worst = max(rows, key=lambda r: r[2])
    print(f"slowest p95: {worst[0]} {worst[2]:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
