"""Outcomes and Employers pages: layouts from the URL, callbacks against the marts, CSV exports
equal to what is drawn, and both pages in a real browser."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest

from dashboards.app import create_app
from dashboards.components import export
from dashboards.components.filters import dom_id, fid
from dashboards.components.format import month_value
from dashboards.pages import employers, outcomes
from dashboards.queries import add_months
from tests.dashboards.layout import FIGURE_DATA, assert_offline_and_clean, by_id, walk, watch
from warehouse.db import connect_published

ROOT = Path(__file__).resolve().parents[2]


def ids(layout) -> set:
    return {str(getattr(c, "id", None)) for c in walk(layout)}


def mart(settings, relation: str) -> pl.DataFrame:
    con = connect_published(settings.published_db)
    try:
        return con.sql(f"select * from {relation}").pl()
    finally:
        con.close()


@pytest.fixture
def app(demo_home):
    return create_app(demo_home)


@pytest.fixture(scope="module")
def period(demo_home):
    meta = mart(demo_home, "meta.dataset").row(0, named=True)
    return {"from": month_value(add_months(meta["data_to"], -5)),
            "to": month_value(meta["data_to"]), "meta": meta}


# -- Outcomes --------------------------------------------------------------------------------

def test_outcomes_layout_restores_the_view_with_definitions_and_csv_buttons(app):
    page = outcomes.layout(region="FRK", breakdown="sex", curves="channel_profile",
                           age_band="bogus")
    assert by_id(page, fid("region")).value == ["FRK"]
    assert by_id(page, fid("breakdown")).value == "sex"
    assert by_id(page, fid("curves")).value == "channel_profile"
    assert by_id(page, fid("age_band")).value == []  # unknown values are dropped
    found = ids(page)
    for chart in outcomes.DEFINITIONS:
        assert chart in found, chart
        assert str({"type": export.BUTTON, "chart": chart}) in found
    asides = [c for c in walk(page) if getattr(c, "className", "") == "outcome-definition"]
    assert len(asides) == len(outcomes.DEFINITIONS)
    names = [t.name for t in by_id(page, "outcomes-survival").figure.data if t.showlegend
             is not False]
    assert "Mostly digital" in names
    assert "Association, not effect." in str(page.to_plotly_json())


def test_monthly_a1_and_sustainability_equal_the_mart(app, period, demo_home):
    a1, sustain, a1_text, _ = outcomes.update_monthly(
        period["from"], period["to"], ["FR1", "FRK"], ["25-49"], [], [])
    m = (mart(demo_home, "marts.mart_outcomes_monthly")
         .filter(pl.col("region_code").is_in(["FR1", "FRK"]) & (pl.col("age_band") == "25-49"))
         .with_columns(ym=pl.col("month").dt.strftime("%Y-%m"))
         .filter(pl.col("ym").is_between(pl.lit(period["from"]), pl.lit(period["to"])))
         .group_by("month").agg(pl.col("n_exits_employment", "n_stock_end",
                                       "n_employment_outcome_known",
                                       "n_still_employed_3m").sum()).sort("month"))
    expected = [e * 100 / s if s >= 30 else None
                for e, s in zip(m["n_exits_employment"], m["n_stock_end"], strict=True)]
    assert list(a1.data[0].y) == pytest.approx(expected)
    shares = [s / k if k >= 30 else None for s, k in zip(
        m["n_still_employed_3m"], m["n_employment_outcome_known"], strict=True)]
    assert [None if v is None else pytest.approx(v) for v in sustain.data[0].y] == shares
    assert a1_text.startswith("A1 over ")
    # The CSV holds the numbers drawn.
    frame, name = outcomes.csv_export_frame("outcomes-a1-monthly", {
        "from": period["from"], "to": period["to"], "region": ["FR1", "FRK"],
        "age_band": ["25-49"]})
    assert name == "outcomes-a1-monthly.csv"
    assert frame["rate_a1"].to_list() == list(a1.data[0].y)


def test_breakdown_by_sex_over_the_period(app, period, demo_home):
    a1, _sustain, text, _ = outcomes.update_breakdown(period["from"], period["to"], [], [], [],
                                                      [], "sex")
    assert text == "By sex."
    m = (mart(demo_home, "marts.mart_outcomes_monthly")
         .with_columns(ym=pl.col("month").dt.strftime("%Y-%m"))
         .filter(pl.col("ym").is_between(pl.lit(period["from"]), pl.lit(period["to"])))
         .group_by("sex").agg(pl.col("n_exits_employment", "n_stock_end").sum()))
    drawn = {c[0]: x for c, x in zip(a1.data[0].customdata, a1.data[0].x, strict=True)}
    assert set(drawn) == set(m["sex"])
    for row in m.iter_rows(named=True):
        mean_stock = row["n_stock_end"] / 6
        if mean_stock >= 30:
            assert drawn[row["sex"]] == pytest.approx(row["n_exits_employment"] * 100 / mean_stock)
        else:
            assert drawn[row["sex"]] == 0  # drawn empty, labelled "not shown"


def test_survival_curves_and_medians_table(app, period):
    fig, text, table = outcomes.update_survival(period["from"], period["to"], [], [], [], [],
                                                "support_tier")
    curves = [t for t in fig.data if t.mode == "lines" and t.fill != "toself"]
    assert [t.name for t in curves] == ["Autonomous", "Guided", "Intensive", "Global"]
    for trace in curves:
        ys = list(trace.y)
        assert ys[0] == 1.0 and all(a >= b for a, b in zip(ys, ys[1:], strict=False))
    assert "data window" in text
    rows = [c for c in walk(table) if getattr(c, "__class__", None).__name__ == "Tr"]
    assert len(rows) == 1 + 4


def test_cohorts_respect_right_censoring(app, period, demo_home):
    cohorts, intensity, text, _ = outcomes.update_cohorts(period["from"], period["to"], [], [],
                                                          [], [])
    m = mart(demo_home, "marts.mart_entry_cohorts").group_by("cohort_month").agg(
        pl.col("n_entrants").sum(), pl.col("n_job_within_6m").sum(),
        pl.col("n_job_within_6m").is_null().all().alias("censored")).sort("cohort_month")
    observed = m.filter(~pl.col("censored") & (pl.col("n_entrants") >= 30))
    six = next(t for t in cohorts.data if t.name == "Within 6 months")
    assert list(six.x) == observed["cohort_month"].to_list()
    assert list(six.y) == pytest.approx((observed["n_job_within_6m"] / observed["n_entrants"])
                                        .to_list())
    assert not any(t.name == "Within 24 months" for t in cohorts.data)  # 12 months of data
    assert "6 months" in text
    assert {t.name for t in intensity.data} == {"Without a training referral",
                                                "With a training referral"}


def test_outcome_callbacks_shrug_off_crafted_values(app):
    out = outcomes.update_breakdown("'; drop table x; --", "13-13", ["ZZ9"], ["evil"], None,
                                    42, "region_code; drop")
    assert out[2] == "By region."  # an unknown breakdown falls back to the default


# -- Employers -------------------------------------------------------------------------------

def test_employers_layout_with_a_drilled_occupation(app, demo_home):
    postings = mart(demo_home, "marts.mart_vacancy_postings")
    code = (postings.group_by("isco_sub_major_group").agg(pl.col("n_vacancies_posted").sum())
            .sort("n_vacancies_posted", descending=True)["isco_sub_major_group"][0])
    page = employers.layout(isco=code, **{"from": month_value(postings["month"].min())})
    assert by_id(page, fid("isco")).value == code
    crumbs = by_id(page, "employers-crumbs")
    text = str(crumbs.to_plotly_json())
    assert "All occupations" in text and f"{code[0]} " in text
    bars = by_id(page, "employers-occupations").figure.data[0]
    assert all(c[0].startswith(code) and len(c[0]) == 3 for c in bars.customdata)
    found = ids(page)
    for chart in employers.DEFINITIONS:
        assert chart in found, chart
    # Tension by occupation drills with the same control: the sub-major groups of the major.
    heatmap = by_id(page, "employers-tension-occupation").figure.data[0]
    assert heatmap.y[0].startswith(f"All of {code[0]} ")
    frame, _ = employers.csv_export_frame("employers-tension-occupation", {"isco": code})
    codes = set(frame["isco_code"]) - {"ALL", "unknown"}
    assert codes and all(len(c) == 2 and c[0] == code[0] for c in codes)
    assert len(heatmap.y) == frame["isco_code"].n_unique()
    assert employers.layout(isco="99999")  # an unknown code falls back to all occupations


def test_vacancy_callbacks_equal_the_marts(app, period, demo_home):
    out = employers.update_demand(period["from"], period["to"], [], "all")
    occupations, _sectors, _regions, sizes = out[:4]
    postings = (mart(demo_home, "marts.mart_vacancy_postings")
                .with_columns(ym=pl.col("month").dt.strftime("%Y-%m"))
                .filter(pl.col("ym").is_between(pl.lit(period["from"]), pl.lit(period["to"]))))
    by_major = dict(postings.group_by("isco_major_group").agg(pl.col("n_vacancies_posted").sum())
                    .iter_rows())
    drawn = {c[0]: x for c, x in zip(occupations.data[0].customdata, occupations.data[0].x,
                                     strict=True)}
    assert drawn == by_major
    assert sum(sizes.data[0].x) == postings["n_vacancies_posted"].sum()
    assert "SME share" in out[7]
    ttf, fill, *_ = employers.update_closures(period["from"], period["to"], [], "all")
    closures = (mart(demo_home, "marts.mart_vacancy_closures")
                .with_columns(ym=pl.col("month").dt.strftime("%Y-%m"))
                .filter(pl.col("ym").is_between(pl.lit(period["from"]), pl.lit(period["to"]))))
    filled = closures.filter(pl.col("close_reason").is_in(["filled_pes", "filled_other"]))
    assert sum(ttf.data[0].y) == filled["n_vacancies_closed"].sum()
    frame, _name = employers.csv_export_frame("employers-time-to-fill",
                                              {"from": period["from"], "to": period["to"]})
    assert frame["n_filled"].to_list() == list(ttf.data[0].y)


def test_tension_is_by_region_only(app, period, demo_home):
    fig, text = employers.update_tension(period["from"], period["to"], ["FR1", "FRK"])
    t = (mart(demo_home, "marts.mart_vacancy_tension_monthly")
         .with_columns(ym=pl.col("month").dt.strftime("%Y-%m"))
         .filter(pl.col("ym").is_between(pl.lit(period["from"]), pl.lit(period["to"]))
                 & pl.col("region_code").is_in(["FR1", "FRK"])))
    value = t["n_vacancies_open_end"].sum() * 100 / t["n_jobseekers_end"].sum()
    assert text.startswith(f"All selected regions: {value:.1f} open vacancies per 100")
    assert len(fig.data[0].y) == 2


def test_tension_by_occupation_and_region_equals_the_mart(app, period, demo_home):
    """Each cell of the heatmap is the ratio of the period's sums in the mart; 'unknown'
    job-seekers are a row of their own, with no tension; the totals are the by-region ones."""
    fig, text = employers.update_tension_occupation(period["from"], period["to"],
                                                    ["FR1", "FRK"], "all")
    t = (mart(demo_home, "marts.mart_vacancy_tension_occupation_monthly")
         .with_columns(ym=pl.col("month").dt.strftime("%Y-%m"))
         .filter(pl.col("ym").is_between(pl.lit(period["from"]), pl.lit(period["to"]))
                 & pl.col("region_code").is_in(["FR1", "FRK"])))
    cells = t.group_by("isco_major_group", "region_code").agg(
        pl.col("n_vacancies_open_end", "n_jobseekers_end").sum())
    trace = fig.data[0]
    assert list(trace.x) == ["All selected regions", "Île-de-France", "Auvergne-Rhône-Alpes"]
    assert trace.y[0] == "All occupations" and trace.y[-1] == "Occupation sought not recorded"
    frame, name = employers.csv_export_frame("employers-tension-occupation", {
        "from": period["from"], "to": period["to"], "region": ["FR1", "FRK"]})
    assert name == "employers-tension-occupation.csv"
    drawn = {(r["isco_code"], r["region_code"]): r for r in frame.iter_rows(named=True)}
    for row in cells.iter_rows(named=True):
        got = drawn[(row["isco_major_group"], row["region_code"])]
        assert got["mean_jobseekers"] == pytest.approx(row["n_jobseekers_end"] / 6)
        if row["isco_major_group"] == "unknown":
            assert got["vacancies_per_100_jobseekers"] is None and row["n_jobseekers_end"] > 0
        elif row["n_jobseekers_end"] / 6 >= 30:
            assert got["vacancies_per_100_jobseekers"] == pytest.approx(
                row["n_vacancies_open_end"] * 100 / row["n_jobseekers_end"])
        else:
            assert got["vacancies_per_100_jobseekers"] is None and got["is_suppressed"]
    # What is drawn is the frame: row by row, column by column.
    occupations = list(dict.fromkeys(frame["isco_code"].to_list()))
    regions = list(dict.fromkeys(frame["region_code"].to_list()))
    for i, code in enumerate(occupations):
        for j, region in enumerate(regions):
            assert trace.z[i][j] == drawn[(code, region)]["vacancies_per_100_jobseekers"]
    # All occupations x each region is the by-region tension.
    _fig, by_region = employers.update_tension(period["from"], period["to"], ["FR1", "FRK"])
    total = drawn[("ALL", "ALL")]["vacancies_per_100_jobseekers"]
    assert by_region.startswith(f"All selected regions: {total:.1f} open vacancies per 100")
    assert text.startswith("All selected regions: highest tension in ")


def test_outlook_picks_its_series_and_reports_the_backtest(app):
    assert employers.outlook_series({"region": ["FRK"], "isco": "52"})[:2] == ("FRK", "5")
    region, group, note = employers.outlook_series({"region": ["FRK", "FR1"], "isco": "all"})
    assert (region, group) == ("ALL", "ALL") and "national" in note
    fig, bmo, text, bmo_text = employers.update_outlook(["FRK"], "5")
    assert any(t.name == "Forecast" for t in fig.data)
    assert "Backtest not available (insufficient history: 12 months, 25 needed)" in text
    assert "seed 20240601" in text
    assert "No BMO survey is loaded" in bmo_text


def test_drill_goes_down_on_click_and_up_on_a_breadcrumb():
    click = {"points": [{"customdata": ["52", 0.1]}]}
    bar = "employers-occupations"
    assert employers.drill_target(bar, click, click, "5") == "52"
    assert employers.drill_target(bar, click, click, "52") is None  # already there
    assert employers.drill_target(bar, None, None, "5") is None
    crumb = {"type": employers.CRUMB, "code": "5"}
    assert employers.drill_target(crumb, 1, None, "522") == "5"
    assert employers.drill_target(crumb, 0, None, "522") is None  # rendered, not clicked


def test_pages_without_a_published_warehouse_say_what_to_do(empty_settings):
    create_app(empty_settings)
    for module in (outcomes, employers):
        assert by_id(module.layout(), "no-data")
    assert "No data yet" in outcomes.update_monthly("2025-01", "2025-02", [], [], [], [])[2]
    assert "No data yet" in employers.update_tension("2025-01", "2025-02", [])[1]


# -- in a real browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_url(demo_home, serve_dashboard):
    return serve_dashboard(demo_home.home)


@pytest.fixture
def page(browser, base_url, login, accounts):
    context = browser.new_context(viewport={"width": 1280, "height": 1600}, accept_downloads=True)
    page = context.new_page()
    login(page, base_url, accounts.admin)
    page.set_default_timeout(20_000)
    watch(page)
    yield page
    assert_offline_and_clean(page, base_url)
    context.close()


@pytest.mark.browser
def test_outcomes_in_a_browser_breakdown_url_reload_and_csv(page, base_url):
    page.goto(base_url + "/outcomes?region=FRK&curves=channel_profile")
    page.wait_for_selector("#outcomes-a1-by .main-svg")
    assert page.title() == "Outcomes · PES Observatory"
    survival = page.evaluate(FIGURE_DATA, "outcomes-survival")
    assert "Mostly digital" in [t["name"] for t in survival]
    before = page.evaluate(FIGURE_DATA, "outcomes-a1-by")

    page.get_by_label("Education").check()
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('breakdown') === 'education_level'")
    assert "region=FRK" in page.url and "curves=channel_profile" in page.url
    page.wait_for_function(
        "() => document.getElementById('outcomes-a1-by-text').innerText === 'By education.'")
    after = page.evaluate(FIGURE_DATA, "outcomes-a1-by")
    assert after != before and len(after[0]["y"]) == 3

    page.reload()
    page.wait_for_selector("#outcomes-a1-by .main-svg")
    assert page.get_by_label("Education").is_checked()
    assert page.evaluate(FIGURE_DATA, "outcomes-a1-by") == after

    with page.expect_download() as download:
        page.click(f"[id='{dom_id_of('outcomes-a1-by')}']")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert download.value.suggested_filename == "outcomes-a1-by.csv"
    drawn = dict(zip(after[0]["y"], after[0]["x"], strict=True))
    for row in rows:
        label = {"low": "Low (ISCED 0-2)", "medium": "Medium (ISCED 3-4)",
                 "high": "High (ISCED 5-8)"}[row["key"]]
        assert drawn[label] == pytest.approx(float(row["rate_a1"] or 0))
    labels = page.eval_on_selector_all(
        "label[for]", "els => els.map(e => !!document.getElementById(e.htmlFor))")
    assert labels and all(labels)


@pytest.mark.browser
def test_employers_in_a_browser_drill_down_and_back(page, base_url):
    page.goto(base_url + "/employers")
    page.wait_for_selector("#employers-occupations .main-svg")
    assert page.title() == "Employers · PES Observatory"
    majors = page.evaluate(FIGURE_DATA, "employers-occupations")[0]["y"]
    assert all(len(label.split(" ")[0]) == 1 for label in majors)
    # Click the largest major group (drawn on top).
    # Plotly's drag layer takes the pointer events and finds the bar under it.
    box = page.locator("#employers-occupations .bars .point path").last.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => (new URLSearchParams(location.search).get('isco') || '')"
                           ".length === 1")
    code = page.evaluate("() => new URLSearchParams(location.search).get('isco')")
    page.wait_for_function(
        "code => { const p = document.querySelector('#employers-occupations .js-plotly-plot');"
        " return p && p.data && p.data[0].customdata &&"
        " Array.from(p.data[0].customdata).every(c => c[0].startsWith(code) &&"
        " c[0].length === 2); }", arg=code)
    assert page.is_visible("text=All occupations")
    page.reload()
    page.wait_for_selector("#employers-occupations .main-svg")
    assert code in page.inner_text(f"[id='{dom_id('isco')}']")
    page.get_by_role("button", name="All occupations").click()
    page.wait_for_function("() => !new URLSearchParams(location.search).get('isco')")
    assert page.inner_text("#employers-tension-text").startswith("All selected regions:")
    page.wait_for_function(
        "() => { const p = document.querySelector('#employers-tension-occupation "
        ".js-plotly-plot'); return p && p.data && p.data[0].y[0] === 'All occupations'; }")
    heatmap = page.evaluate(FIGURE_DATA, "employers-tension-occupation")[0]
    assert heatmap["y"][-1] == "Occupation sought not recorded"
    with page.expect_download() as download:
        page.click(f"[id='{dom_id_of('employers-tension-occupation')}']")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert {r["isco_label"] for r in rows} == set(heatmap["y"])
    assert page.inner_text("#employers-outlook-text").endswith("25 needed).")


def dom_id_of(chart: str) -> str:
    """The DOM id Dash gives a chart's pattern-matching CSV button."""
    import json

    component_id = {"type": export.BUTTON, "chart": chart}
    return "{" + ",".join(f"{json.dumps(k)}:{json.dumps(component_id[k])}"
                          for k in sorted(component_id)) + "}"


# -- official statistics beside the PES data --------------------------------------------------

def _official_db(path: Path, observations: list[tuple], bmo: list[tuple] = ()) -> Path:
    import duckdb

    from warehouse import official

    con = duckdb.connect(str(path))
    try:
        official.ensure_schema(con)
        lineage = ("f.csv", "h", "2026-01-01 00:00:00+00", "r")
        con.execute("insert into official.imports values ('f.csv', 'eurostat_sdmx_csv', "
                    "'eurostat_observations', 'h', null, 1, null, 'Source: Eurostat', "
                    "'2026-01-01 00:00:00+00', 'r')")
        for dataset, dims, geo, period, start, freq, value in observations:
            con.execute("insert into official.eurostat_observations values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, null, ?, ?, ?, ?)",
                        [dataset, dims, geo, geo, period, start, freq, value, *lineage])
        for row in bmo:
            con.execute("insert into official.bmo values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                        "?, ?, ?, ?, ?, ?, ?, ?)", [*row, *lineage])
    finally:
        con.close()
    return path


def test_beveridge_pairs_quarters_with_three_months_and_says_what_it_draws(tmp_path):
    from dashboards import outcome_queries as oq

    une = '{"age":"From 25 to 74 years","s_adj":"SA","sex":"T","unit":"PC_ACT"}'
    young = '{"age":"Less than 25 years","s_adj":"SA","sex":"T","unit":"PC_ACT"}'
    jvs = '{"indic_em":"JOBVAC","nace_r2":"A-S","s_adj":"NSA","sizeclas":"TOTAL"}'
    rows = [("jvs_q_nace2", jvs, "LU", "2024-Q1", "2024-01-01", "Q", 7000.0),
            ("jvs_q_nace2", jvs, "LU", "2024-Q2", "2024-04-01", "Q", 7700.0),
            ("jvs_q_nace2", jvs, "LU", "2024-Q3", "2024-07-01", "Q", 7100.0)]
    for month, value in ((1, 4.0), (2, 4.3), (3, 4.6), (4, 5.0), (5, 5.0), (6, 5.0), (7, 5.5)):
        rows.append(("une_rt_m", une, "LU", f"2024-{month:02d}", f"2024-{month:02d}-01", "M",
                     value))
        rows.append(("une_rt_m", young, "LU", f"2024-{month:02d}", f"2024-{month:02d}-01", "M",
                     value * 4))
    rows.append(("une_rt_m", une, "FR", "2024-01", "2024-01-01", "M", 7.5))
    pairs, note = oq.beveridge(_official_db(tmp_path / "o.duckdb", rows))
    # Q3 has one month of unemployment only: no point. France has no vacancies: no curve.
    assert pairs.select("geo", "period", "vacancies").rows() == [
        ("LU", "2024-Q1", 7000.0), ("LU", "2024-Q2", 7700.0)]
    assert pairs["unemployment_rate"].to_list() == pytest.approx([4.3, 5.0])  # 25-74, not <25
    assert "number of vacancies, not the vacancy rate" in note
    empty, why = oq.beveridge(_official_db(tmp_path / "u.duckdb", rows[3:]))
    assert empty.is_empty() and "jvs_q_nace2 (job vacancies) is not loaded" in why


def test_bmo_beside_the_forecast_maps_nuts_regions_to_insee_codes(tmp_path):
    from dashboards import outcome_queries as oq

    def cell(region, family, n, secret=False):
        return (2025, f"{family}0X40", "job", family, f"Family {family}", region, "Region",
                "01", "Dept", "0101", "Bassin", None if secret else n, 1, 1, secret, False, False)

    db_path = _official_db(tmp_path / "b.duckdb", [], [
        cell("84", "A", 120), cell("84", "B", 300), cell("84", "B", 5, secret=True),
        cell("11", "A", 999)])
    frk = oq.bmo_families(db_path, "FRK")  # Auvergne-Rhône-Alpes is INSEE region 84
    assert frk.select("family_code", "n_projects", "n_secret_projects").rows() == [
        ("B", 300, 1), ("A", 120, 0)]
    assert oq.bmo_families(db_path)["n_projects"].to_list() == [1119, 300]
    assert oq.bmo_families(db_path, "LU0").is_empty()  # not a French region


@pytest.mark.shared_data
def test_beveridge_from_the_real_eurostat_files(shared_data, tmp_path):
    from dashboards import outcome_queries as oq
    from pipelines.official import import_files
    from warehouse.db import connect_build

    db_path = tmp_path / "real.duckdb"
    con = connect_build(db_path)
    try:
        outcomes_ = import_files(con, [shared_data / "eurostat" / "une_rt_m.csv",
                                       shared_data / "eurostat" /
                                       "jvs_q_nace2_page_linear_2_0.csv"], "test")
        assert all(o.outcome == "loaded" for o in outcomes_)
    finally:
        con.close()
    pairs, note = oq.beveridge(db_path)
    assert set(pairs["geo"]) == {"LU"}  # the job-vacancy file covers Luxembourg only
    assert pairs["period"].to_list()[0] == "2022-Q1" and pairs.height >= 12
    assert "Luxembourg" in note and "not the vacancy rate" in note
