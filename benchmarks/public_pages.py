"""Time to first render of the public factsheets in Chromium, every chart drawn, and bytes sent.

    python benchmarks/public_pages.py                 # the published snapshot of $OBSERVATORY_HOME
    python benchmarks/public_pages.py --home var --runs 10

It serves the dashboard as `observatory serve` does, opens each page in a fresh browser
context (empty cache) and records, from the page's own Performance API:

- **rendered**: milliseconds from navigation start until the page has painted and every chart
  (inline SVG) is in the document with a layout box: the later of the first contentful paint
  and the moment all charts are laid out (checked on DOMContentLoaded and on load);
- **first paint**: first contentful paint alone;
- **bytes**: the transfer size of the document and every resource it loaded (headers
  included, no cache), and the number of requests.

The goal is under 2 s to every chart drawn. Results go to docs/benchmarks-public.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
GOAL_MS = 2000

# Runs before the page: notes when all charts have a layout box.
PROBE = """
(() => {
  const mark = () => {
    const charts = Array.from(document.querySelectorAll('svg.chart-svg'));
    if (charts.length && charts.every(c => c.getBoundingClientRect().width > 0)) {
      window.__chartsDrawnAt = window.__chartsDrawnAt || performance.now();
      window.__nCharts = charts.length;
    }
  };
  document.addEventListener('DOMContentLoaded', mark);
  window.addEventListener('load', mark);
})();
"""
MEASURE = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {
    charts_ms: window.__chartsDrawnAt ?? null,
    n_charts: window.__nCharts ?? 0,
    fcp_ms: fcp ? fcp.startTime : null,
    load_ms: nav.loadEventEnd,
    bytes: nav.transferSize + resources.reduce((s, r) => s + r.transferSize, 0),
    requests: 1 + resources.length,
  };
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(home: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    code = ("import sys; from observatory.settings import load_settings; "
            "from dashboards.app import serve; "
            "serve(load_settings(sys.argv[1]), '127.0.0.1', int(sys.argv[2]))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-c", code, str(home), str(port)], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/public/", timeout=2):
                return server, url
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise SystemExit(f"the server did not start for {home}") from None
            time.sleep(0.2)


def default_pages(home: Path) -> list[str]:
    from dashboards.db import open_read_only

    con = open_read_only(home / "warehouse" / "observatory.duckdb")
    try:
        region = con.execute("select min(region_code) from public.regions").fetchall()[0][0]
    finally:
        con.close()
    return ["/public/?lang=en", f"/public/region/{region}?lang=fr", "/public/region/ALL?lang=en",
            "/public/occupation/2?lang=en", "/public/occupation/5?lang=fr",
            f"/embed/region/{region}/tension?lang=en"]


def measure(base: str, pages: list[str], runs: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        version = browser.version
        for path in pages:
            samples = []
            for i in range(runs + 1):  # the first run warms the server, not the browser
                context = browser.new_context(viewport={"width": 1280, "height": 900},
                                              bypass_csp=True)
                page = context.new_page()
                page.add_init_script(PROBE)
                page.goto(base + path, wait_until="load")
                # The paint timing entry can land a frame after the load event; if it never
                # does, it is reported as missing.
                with contextlib.suppress(Exception):
                    page.wait_for_function(
                        "performance.getEntriesByName('first-contentful-paint').length > 0",
                        timeout=3000)
                sample = page.evaluate(MEASURE)
                context.close()
                if i:
                    samples.append(sample)
            # Rendered with every chart: the later of the first paint and all charts laid out
            # (a page without charts: its first paint).
            rendered = [max(s["fcp_ms"] or 0, s["charts_ms"] or 0) for s in samples
                        if s["fcp_ms"] or s["charts_ms"]]
            rows.append({
                "page": path, "runs": runs, "n_charts": samples[-1]["n_charts"],
                "charts_median": statistics.median(rendered) if rendered else None,
                "charts_max": max(rendered) if rendered else None,
                "fcp_median": statistics.median(fcp) if (fcp := [
                    s["fcp_ms"] for s in samples if s["fcp_ms"]]) else None,
                "load_median": statistics.median(s["load_ms"] for s in samples),
                "bytes": samples[-1]["bytes"], "requests": samples[-1]["requests"],
            })
        browser.close()
    for row in rows:
        row["chromium"] = version
    return rows


def render(rows: list[dict], data: str) -> str:
    def ms(v):
        return "–" if v is None else f"{v:,.0f}"

    lines = [
        "# Benchmark: public pages",
        "",
        f"Generated by `python benchmarks/public_pages.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} "
        f"UTC: {os.cpu_count()} CPU(s), Python {platform.python_version()}, Chromium "
        f"{rows[0]['chromium'] if rows else '?'} headless, the dashboard's own server on "
        f"localhost; data: {data}.",
        "",
        "Each page opened in a fresh browser context (no cache), median of "
        f"{rows[0]['runs'] if rows else 0} runs after one warm-up. *Rendered*: from "
        "navigation start until the page has painted and every chart (inline SVG) has a "
        "layout box. *Bytes*: transfer "
        "size of the page and everything it loaded, headers included. Goal: every chart drawn "
        f"in under {GOAL_MS / 1000:.0f} s.",
        "",
        "| page | charts | rendered, median (ms) | max (ms) | first paint (ms) | load (ms) "
        "| bytes | requests | goal |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        ok = r["charts_max"] is not None and r["charts_max"] < GOAL_MS
        lines.append(
            f"| `{r['page']}` | {r['n_charts']} | {ms(r['charts_median'])} | "
            f"{ms(r['charts_max'])} | {ms(r['fcp_median'])} | {ms(r['load_median'])} | "
            f"{r['bytes']:,} | {r['requests']} | {'met' if ok else 'MISSED'} |")
    lines += ["", "The pages are server-rendered HTML with inline SVG charts, one stylesheet "
              "and no script, so a factsheet is drawn as soon as its HTML has arrived.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path,
                        default=Path(os.environ.get("OBSERVATORY_HOME", ROOT / "var")))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--page", action="append", help="a path to measure (repeatable)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks-public.md")
    parser.add_argument("--data", help="what the snapshot holds, for the report",
                        default="the published snapshot of --home")
    args = parser.parse_args(argv)
    home = args.home.resolve()
    server, base = serve(home)
    try:
        rows = measure(base, args.page or default_pages(home), args.runs)
    finally:
        server.terminate()
        server.wait(timeout=10)
    text = render(rows, args.data)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0 if all(r["charts_max"] is not None and r["charts_max"] < GOAL_MS for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
