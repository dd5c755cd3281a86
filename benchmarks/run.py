"""Time each stage of the pipeline on N generated interactions; write docs/benchmarks.md.

    python benchmarks/run.py                      # 1 million interactions
    python benchmarks/run.py --interactions 10000000

Stages run in this process with the plain functions the Prefect tasks wrap, so the figures
exclude Prefect's own start-up (a temporary API server adds 5-15 s to a CLI refresh).
Peak memory is the highest resident set size sampled while the stage ran.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Stage:
    name: str
    seconds: float
    peak_mb: float
    rows: int | None = None
    note: str = ""

    @property
    def rate(self) -> str:
        return f"{self.rows / self.seconds:,.0f}" if self.rows and self.seconds else ""


@contextmanager
def measured(stages: list[Stage], name: str, rows: int | None = None, note: str = ""):
    peak = [rss_mb()]
    done = threading.Event()

    def sample():
        while not done.wait(0.05):
            peak[0] = max(peak[0], rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stage = Stage(name, 0.0, 0.0, rows, note)
    started = time.perf_counter()
    try:
        yield stage
    finally:
        stage.seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        stage.peak_mb = max(peak[0], rss_mb())
        stages.append(stage)
        print(f"  {name:<44} {stage.seconds:8.2f} s  {stage.peak_mb:8.0f} MB  {stage.rate}",
              flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--jobseekers", type=int, default=50_000)
    parser.add_argument("--employers", type=int, default=2_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--repeats", type=int, default=30, help="runs per dashboard query")
    parser.add_argument("--home", type=Path, default=None, help="work folder (default: temp)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()

    import duckdb
    import pandas as pd

    from dashboards import queries
    from dashboards.db import warehouse_for
    from observatory.settings import load_settings
    from pipelines.generate import DemoConfig, generate_demo
    from pipelines.ingest import ingest_landing
    from warehouse import build as wh_build
    from warehouse.db import connect_build

    home = args.home or Path(tempfile.mkdtemp(prefix="observatory-bench-"))
    shutil.rmtree(home / "landing", ignore_errors=True)
    shutil.rmtree(home / "warehouse", ignore_errors=True)
    settings = load_settings(home)
    settings.ensure_dirs()
    stages: list[Stage] = []
    n = args.interactions
    print(f"PES Observatory benchmark: {n:,} interactions in {home}")

    config = DemoConfig(seed=42, n_jobseekers=args.jobseekers, n_employers=args.employers,
                        months=args.months, n_interactions=n, file_format="csv")
    with measured(stages, "generate (CSV, all sources)", rows=n):
        generate_demo(settings.landing_dir, config)
    csv_glob = str(settings.landing_dir / "interactions" / "*.csv")
    csv_mb = sum(p.stat().st_size for p in (settings.landing_dir / "interactions").glob("*.csv"))
    csv_mb /= 1e6

    with measured(stages, "DuckDB bare read_csv of interactions", rows=n,
                  note="into an in-memory table, no checks") as st:
        con = duckdb.connect()
        con.execute(f"create table t as select * from read_csv('{csv_glob}')")
        st.rows = con.execute("select count(*) from t").fetchall()[0][0]
        con.close()

    with measured(stages, "start great_expectations (import, context, first run of each suite)",
                  note="once per process, whatever the data size: left out of the ingest rate"):
        import expectations.validate

        expectations.validate.start()

    con = connect_build(settings.build_db)
    with measured(stages, "ingest with validation (all sources)",
                  note="read, type and pseudonymise (a thread) + GX suite and key screening "
                       "per batch of up to 300,000 rows (a second thread) + load, one "
                       "transaction per file "
                       "(while the next batches are checked)") as st:
        report = ingest_landing(con, settings, run_id="benchmark")
        st.rows = report.n_rows_loaded
    assert report.count("rejected") == 0, [o.detail for o in report.outcomes]
    n_loaded = con.execute("select count(*) from raw.interactions").fetchall()[0][0]

    with measured(stages, "build staging -> core -> marts") as st:
        built = wh_build.build(con, timezone=settings.timezone, run_id="benchmark")
        st.rows = n_loaded
    con.close()
    with measured(stages, "publish snapshot (copy + atomic swap)"):
        wh_build.publish(settings.build_db, settings.published_db)

    with measured(stages, "pandas: channel-mix mart from the CSVs", rows=n,
                  note="read_csv + group by month x channel x direction"):
        frames = [pd.read_csv(p, usecols=["occurred_at", "channel", "direction"])
                  for p in sorted((settings.landing_dir / "interactions").glob("*.csv"))]
        df = pd.concat(frames, ignore_index=True)
        df["month"] = df["occurred_at"].str.slice(0, 7)
        df.groupby(["month", "channel", "direction"]).size()
        del df, frames

    wh = warehouse_for(settings.published_db)
    meta = queries.dataset_meta(wh).row(0, named=True)
    filters = queries.Filters(month_from=meta["data_from"], month_to=meta["data_to"])
    questions = {
        "contacts_monthly": lambda: queries.contacts_monthly(wh, filters),
        "jobseekers_monthly": lambda: queries.jobseekers_monthly(wh, filters),
        "vacancies_monthly": lambda: queries.vacancies_monthly(wh, filters),
        "contacts_by_channel": lambda: queries.contacts_by_channel(wh, filters),
        "digital_share_by_service": lambda: queries.digital_share_by_service(wh, filters),
        "digital_share_by_region": lambda: queries.digital_share_by_region(wh, filters),
        "digital_share_by_segment": lambda: queries.digital_share_by_segment(wh, filters),
    }
    query_rows = []
    for name, run in questions.items():
        run()  # warm the connection and the OS cache
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            run()
            times.append((time.perf_counter() - t0) * 1000)
        query_rows.append((name, statistics.median(times), percentile(times, 0.95)))
        print(f"  query {name:<38} p50 {query_rows[-1][1]:6.1f} ms  p95 {query_rows[-1][2]:6.1f} ms")
    # Outcomes and Employers pages: whole callbacks (queries + figures), last 12 months.
    from benchmarks.outcome_callbacks import callback_timings
    query_rows += callback_timings(settings, args.repeats)
    # Channels section: each indicator's callback (and two CSV exports), over 4 filter states.
    from benchmarks.channel_callbacks import callback_timings as channel_callback_timings
    query_rows += channel_callback_timings(settings, args.repeats)
    wh.close()

    marts = {m.relation: rows for m, rows in built if m.layer == "marts"}
    write_report(args, stages, query_rows, marts, csv_mb, n_loaded)
    print(f"wrote {args.output}")
    if args.home is None:
        shutil.rmtree(home, ignore_errors=True)
    return 0


def write_report(args, stages, query_rows, marts, csv_mb, n_loaded) -> None:
    import duckdb
    import polars as pl

    bare = next(s for s in stages if s.name.startswith("DuckDB bare"))
    ingest = next(s for s in stages if s.name.startswith("ingest"))
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [
        "# Benchmarks",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python benchmarks/run.py "
        f"--interactions {args.interactions}` on {os.cpu_count()} cores, {mem_gb:.0f} GiB, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, Polars {pl.__version__}.",
        f"Data: {args.jobseekers:,} job-seekers, {args.employers:,} employers, {args.months} months, "
        f"{n_loaded:,} interactions loaded ({csv_mb:,.0f} MB of CSV). Regenerate this page with "
        "`make bench` (add `BENCH_ARGS=\"--interactions 10000000\"` for 10 million).",
        "",
        "## Stages",
        "",
        "| stage | seconds | peak RSS (MB) | rows/s | note |",
        "|---|---:|---:|---:|---|",
    ]
    for s in stages:
        lines.append(f"| {s.name} | {s.seconds:.2f} | {s.peak_mb:,.0f} | {s.rate} | {s.note} |")
    ratio = (ingest.rows / ingest.seconds) / (bare.rows / bare.seconds)
    lines += [
        "",
        f"Ingest with validation runs at **{ratio:.0%}** of DuckDB's bare `read_csv` rate "
        "(all sources ingested vs. interactions read bare, GX already started; goal: at least "
        "a third).",
        "",
        "## Dashboard queries (published snapshot, whole period, no filter)",
        "",
        "| query | p50 (ms) | p95 (ms) |",
        "|---|---:|---:|",
        *[f"| `{name}` | {p50:.1f} | {p95:.1f} |" for name, p50, p95 in query_rows],
        "",
        "## Mart sizes",
        "",
        "| mart | rows |",
        "|---|---:|",
        *[f"| `{name}` | {rows:,} |" for name, rows in marts.items()],
        "",
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
