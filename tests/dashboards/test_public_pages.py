"""The public section: factsheets, embeds, downloads and the /api/v1 open-data API.

They read a small warehouse whose public.* marts were built by the real disclosure step
(tests/warehouse/public_data.py). The browser tests drive headless Chromium: a language
switch followed by a permalink, keyboard use, and axe-core on every kind of public page.
"""

from __future__ import annotations

import io
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboards.app import create_app
from dashboards.public import api, i18n
from observatory.settings import Settings
from tests.dashboards.layout import assert_offline_and_clean, watch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "warehouse"))
import public_data  # noqa: E402

AXE = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
SECTIONS = ("jobseekers", "vacancies", "occupations", "tension", "job-access", "unemployment")


@pytest.fixture(scope="module")
def public_settings(tmp_path_factory) -> Settings:
    settings = Settings(home=tmp_path_factory.mktemp("public-home"))
    public_data.build_public_warehouse(settings.published_db)
    return settings


@pytest.fixture(scope="module")
def client(public_settings):
    return create_app(public_settings).server.test_client()


@pytest.fixture(scope="module")
def mart(public_settings):
    """A reader of the public marts, to compare what is served with what is stored."""
    con = duckdb.connect(str(public_settings.published_db), read_only=True,
                         config={"autoinstall_known_extensions": False,
                                 "autoload_known_extensions": False})
    yield lambda sql: con.sql(sql).pl()
    con.close()


class Page(HTMLParser):
    """Links, ids, the html lang and the text of a served page."""

    def __init__(self, html: str):
        super().__init__()
        self.links, self.ids, self.lang, self.svgs, self.text = [], set(), None, 0, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "svg":
            self.svgs += 1
        if a.get("id"):
            self.ids.add(a["id"])

    def handle_data(self, data):
        self.text.append(data)

    @property
    def body(self) -> str:
        return " ".join(" ".join(self.text).split())


def get_page(client, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return Page(response.get_data(as_text=True))


# -- pages -------------------------------------------------------------------------------------

def test_public_code_reads_only_the_public_marts():
    """Public pages and the API never reach the internal marts or core tables."""
    folder = ROOT / "dashboards" / "public"
    # The module's SQL, without its Python import lines.
    sql = re.sub(r"^(?:from|import) .*$", "", (folder / "queries.py").read_text(), flags=re.M)
    schemas = set(re.findall(r"\b(?:from|join)\s+([a-z_]+)\.[a-z_]+", sql))
    assert schemas == {"public"}
    for path in folder.glob("*.py"):
        source = path.read_text()
        assert "dashboards.queries" not in source and "official_queries" not in source, path
        text = re.sub(r"^(?:from|import) .*$", "", source, flags=re.M)
        if path.name != "queries.py":
            assert not re.search(r"\b(?:from|join)\s+(?:marts|core|official|raw|meta)\.",
                                 text), path


def test_index_links_every_region_and_occupation_group_in_the_language(client):
    page = get_page(client, "/public/?lang=fr")
    assert page.lang == "fr"
    regions = [link for link in page.links if "/public/region/" in link]
    assert {urlparse(link).path.rsplit("/", 1)[1] for link in regions} == {
        "ALL", *public_data.all_region_codes()}
    groups = [link for link in page.links if "/public/occupation/" in link]
    assert len(groups) == 10
    assert all(parse_qs(urlparse(link).query) == {"lang": ["fr"]} for link in regions + groups)
    assert "Professions élémentaires" in page.body


def test_region_factsheet_shows_every_section_with_table_alt_text_and_meaning(client, mart):
    page = get_page(client, "/public/region/FRK?lang=en")
    assert page.lang == "en"
    for section in SECTIONS:
        assert {section, f"{section}-meaning", f"{section}-table"} <= page.ids, section
    assert page.svgs == len(SECTIONS)
    assert {f"chart-{s}-title" for s in SECTIONS} | {f"chart-{s}-desc" for s in SECTIONS} <= page.ids
    # The "what this means" line is generated from the published numbers.
    latest = mart("""select month, n_jobseekers from public.factsheet_region_monthly
                     where region_code = 'FRK' and n_jobseekers is not null
                     order by month desc limit 1""").row(0, named=True)
    expected = (f"In {i18n.fmt_month(latest['month'], 'en')}, "
                f"{i18n.fmt_number(latest['n_jobseekers'], 'en')} people were registered as "
                "job-seekers in Auvergne-Rhône-Alpes")
    assert expected in page.body
    assert "The national figure for France is shown instead." in page.body


def test_french_factsheet_formats_numbers_and_dates_the_french_way(client, mart):
    html = client.get("/public/region/FR1?lang=fr").get_data(as_text=True)
    page = Page(html)
    assert page.lang == "fr"
    assert "Demandeurs d'emploi inscrits" in page.body
    latest = mart("""select month, n_jobseekers from public.factsheet_region_monthly
                     where region_code = 'FR1' and n_jobseekers is not null
                     order by month desc limit 1""").row(0, named=True)
    number = i18n.fmt_number(latest["n_jobseekers"], "fr")
    assert latest["n_jobseekers"] < 1000 or "\u202f" in number
    assert f"En {i18n.fmt_month(latest['month'], 'fr')}, on compte {number} demandeurs" in page.body
    # FR1 has a regional Eurostat series (its code exists in NUTS 2010): no fallback note.
    assert "affiché à la place" not in page.body and "Île-de-France" in page.body
    assert "Chiffre national (France) : 6,6\u00a0% en décembre 2025" in html
    assert re.search(r"\d,\d\u00a0%", html)  # 8,7 % with a no-break space
    # Every internal link keeps the language, but the switch to English.
    internal = [link for link in page.links
                if link.startswith(("/public", "/api", "http://localhost/public"))
                and link not in ("/public/region/FR1?lang=en", "/api/v1/openapi.json")]
    assert internal and all("lang=fr" in link for link in internal), internal


def norm(text: str) -> str:
    """Text as Page.body holds it: every run of spaces (no-break ones too) as one space."""
    return " ".join(text.split())


def test_occupation_factsheet_shows_its_job_seekers_and_tension(client, mart):
    page = get_page(client, "/public/occupation/2?lang=fr")
    assert "Professions intellectuelles et scientifiques" in page.body
    assert {"occupations", "regions", "jobseekers", "tension"} <= page.ids
    assert "Développeurs de logiciels" in page.body  # from official.isco_groups
    assert "n'indique pas le métier recherché" not in page.body
    # Job-seekers seeking the group, all regions, from the public mart, with their share.
    rows = mart("""select month, isco_major_group, n_jobseekers, rate_tension
                   from public.jobseekers_region_occupation_monthly
                   where region_code = 'ALL' and isco_major_group in ('2', 'ALL')
                   order by month""")
    mine = rows.filter(pl.col("isco_major_group") == "2")
    every = rows.filter(pl.col("isco_major_group") == "ALL")
    latest = mine.filter(pl.col("n_jobseekers").is_not_null()).row(-1, named=True)
    month = i18n.fmt_month(latest["month"], "fr")
    assert norm(f"En {month}, on compte {i18n.fmt_number(latest['n_jobseekers'], 'fr')} "
                "demandeurs d'emploi recherchant un métier du groupe « Professions "
                "intellectuelles et scientifiques » dans l'ensemble des régions") in page.body
    total = every.filter(pl.col("month") == latest["month"])["n_jobseekers"][0]
    share = i18n.fmt_pct(latest["n_jobseekers"] / total, "fr")
    assert norm(f"Cela représente {share} de l'ensemble des demandeurs d'emploi") in page.body
    # The tension of the group beside that of all occupations, per 100 job-seekers.
    tension = mine.filter(pl.col("rate_tension").is_not_null()).row(-1, named=True)
    other = every.filter(pl.col("month") == tension["month"])["rate_tension"][0]
    assert norm(f"En {i18n.fmt_month(tension['month'], 'fr')}, on compte "
            f"{i18n.fmt_number(tension['rate_tension'] * 100, 'fr', 1)} offres en cours pour 100 "
            "demandeurs d'emploi recherchant « Professions intellectuelles et scientifiques » "
            f"(toutes régions), contre {i18n.fmt_number(other * 100, 'fr', 1)} pour l'ensemble "
            "des métiers") in page.body
    assert "L'accès à l'emploi est publié pour l'ensemble des métiers" in page.body
    links = [link for link in page.links if "/api/v1/jobseekers-by-occupation" in link]
    assert links and all("occupation=2" in link for link in links)
    page = get_page(client, "/public/occupation/9?lang=en")
    assert "Elementary occupations" in page.body
    assert "people seeking a job in “Elementary occupations” were registered" in page.body


@pytest.mark.parametrize("url", ["/public/region/XX", "/public/occupation/12",
                                 "/public/occupation/2512", "/embed/region/FRK/nothing",
                                 "/embed/planet/FRK/tension"])
def test_unknown_factsheets_are_404(client, url):
    assert client.get(url).status_code == 404


def test_without_published_data_pages_and_api_say_so(tmp_path):
    empty = create_app(Settings(home=tmp_path)).server.test_client()
    page = get_page(empty, "/public/region/FRK?lang=fr", status=503)
    assert "Aucune donnée" in page.body
    assert empty.get("/api/v1/region-monthly").status_code == 503


def test_embed_route_renders_one_chart_and_each_factsheet_chart_has_a_snippet(client):
    html = client.get("/public/region/FRK?lang=fr").get_data(as_text=True)
    snippets = re.findall(r'&lt;iframe src=&#34;(http://localhost/embed/[^&]+)&#34;', html)
    assert len(snippets) == len(SECTIONS)
    for src in snippets:
        url = src.replace("http://localhost", "").replace("&amp;", "&")
        response = client.get(url)
        assert response.status_code == 200
        assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
        page = Page(response.get_data(as_text=True))
        assert page.svgs == 1 and page.lang == "fr"
    assert "frame-ancestors 'none'" in client.get("/public/").headers["Content-Security-Policy"]


# -- the API -----------------------------------------------------------------------------------

def test_api_json_serves_the_public_mart(client, mart):
    body = client.get("/api/v1/region-monthly?region=FRK,ALL&from=2025-03&to=2025-06").get_json()
    stored = mart("""select * from public.factsheet_region_monthly
                     where region_code in ('FRK', 'ALL') and month between '2025-03-01'
                     and '2025-06-01' order by region_code, month""")
    assert body["n_rows"] == stored.height == 8
    served = pl.DataFrame(body["data"]).select(stored.columns).with_columns(
        pl.col("month").str.to_date())
    assert_frame_equal(served, stored, check_dtypes=False)


@pytest.mark.parametrize(("dataset", "query", "sql"), [
    ("region-monthly", "region=FRM", "select * from public.factsheet_region_monthly "
                                     "where region_code = 'FRM' order by month"),
    ("vacancies-by-occupation", "region=FR1&occupation=ALL,5",
     "select * from public.vacancies_region_occupation_monthly where region_code = 'FR1' "
     "and isco_major_group in ('ALL', '5') order by isco_major_group, month"),
    ("vacancies-by-unit-group", "occupation=2", "select * from public.vacancies_occupation_monthly "
                                               "where isco_major_group = '2' "
                                               "order by isco_unit_group, month"),
    ("jobseekers-by-occupation", "region=FRK,ALL&occupation=2,unknown,ALL&from=2025-06",
     "select * from public.jobseekers_region_occupation_monthly where region_code in "
     "('FRK', 'ALL') and isco_major_group in ('2', 'unknown', 'ALL') and month >= '2025-06-01' "
     "order by region_code, isco_major_group, month"),
    ("unemployment-rate", "area=FR1", "select * from public.unemployment_rate where "
                                      "area_code = 'FR1' order by geo_level desc, geo, "
                                      "period_start"),
])
def test_downloads_equal_the_public_mart(client, mart, dataset, query, sql):
    stored = mart(sql)
    csv = client.get(f"/api/v1/{dataset}?{query}&format=csv&lang=fr")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert f'filename="{dataset}_' in csv.headers["Content-Disposition"]
    from_csv = pl.read_csv(io.BytesIO(csv.data), infer_schema=False)
    as_text = stored.select(pl.all().cast(pl.String))
    assert_frame_equal(from_csv.select(stored.columns).with_columns(
        pl.col(pl.String).replace("", None)), as_text.with_columns(
        pl.col(c).str.replace(r"\.0$", "") for c in as_text.columns), check_dtypes=False)
    parquet = client.get(f"/api/v1/{dataset}?{query}&format=parquet")
    assert parquet.status_code == 200
    assert_frame_equal(pl.read_parquet(io.BytesIO(parquet.data)).select(stored.columns), stored)


def test_job_seekers_by_occupation_add_up_and_say_what_is_unknown(client, mart):
    """The API's job-seekers by occupation sought: the all-occupations rows are the region
    factsheet's counts; 'unknown' is named, and has no tension."""
    body = client.get("/api/v1/jobseekers-by-occupation?occupation=ALL,unknown&lang=fr"
                      ).get_json()
    rows = pl.DataFrame(body["data"]).with_columns(pl.col("month").str.to_date())
    totals = rows.filter(pl.col("isco_major_group") == "ALL").select(
        "month", "region_code", "n_jobseekers", "n_jobseekers_status")
    stored = mart("select month, region_code, n_jobseekers, n_jobseekers_status "
                  "from public.factsheet_region_monthly")
    assert_frame_equal(totals.sort("region_code", "month"), stored.sort("region_code", "month"),
                       check_dtypes=False)
    unknown = rows.filter(pl.col("isco_major_group") == "unknown")
    assert set(unknown["isco_major_group_label"]) == {"Métier recherché non renseigné"}
    assert set(unknown["rate_tension_status"]) == {"not_available"}
    assert unknown["rate_tension"].null_count() == unknown.height


def test_downloads_carry_labels_in_the_chosen_language(client):
    fr = pl.read_parquet(io.BytesIO(client.get(
        "/api/v1/vacancies-by-occupation?region=ALL&occupation=9&format=parquet&lang=fr").data))
    assert set(fr["isco_major_group_label"]) == {"Professions élémentaires"}
    assert set(fr["region_name"]) == {"Toutes les régions"}


@pytest.mark.parametrize(("query", "parameter", "message"), [
    ("region-monthly?from=2025-13", "from", "from must be a month written YYYY-MM"),
    ("region-monthly?to=25-01", "to", "to must be a month written YYYY-MM"),
    ("region-monthly?from=2025-06&to=2025-01", "from", "is after to"),
    ("region-monthly?region=XX", "region", "region takes region codes"),
    ("region-monthly?region=FRK;drop table x", "region", "region takes region codes"),
    ("vacancies-by-occupation?occupation=12", "occupation", "ISCO-08 major groups"),
    ("vacancies-by-occupation?occupation=unknown", "occupation", "among: 0, 1, 2"),
    ("jobseekers-by-occupation?occupation=2512", "occupation", "9, unknown, ALL"),
    ("region-monthly?format=xml", "format", "format must be one of json, csv, parquet"),
    ("region-monthly?lang=de", "lang", "lang must be one of en, fr"),
    ("region-monthly?regoin=FRK", "regoin", "unknown parameter 'regoin'"),
    ("region-monthly?region=FRK&region=FR1", "region", "give 'region' once"),
    ("occupations?level=2", "level", "level must be one of 1, 4"),
    ("regions?region=FRK", "region", "unknown parameter 'region'"),
])
def test_malformed_parameters_get_a_400_with_a_clear_message(client, query, parameter, message):
    response = client.get(f"/api/v1/{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["parameter"] == parameter and message in error["message"], error


def test_api_is_read_only_and_lists_its_datasets(client):
    assert client.get("/api/v1/nothing").status_code == 404
    assert client.post("/api/v1/region-monthly").status_code == 405
    index = client.get("/api/v1/").get_json()
    assert [d["name"] for d in index["datasets"]] == list(api.DATASETS)
    assert client.get("/api/v1/regions").headers["Access-Control-Allow-Origin"] == "*"


def test_openapi_describes_every_dataset_and_parameter(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    for name, ds in api.DATASETS.items():
        op = spec["paths"][f"/api/v1/{name}"]["get"]
        assert {p["name"] for p in op["parameters"]} == {p.name for p in (*ds.params, *api.COMMON)}
        assert {"200", "400"} <= set(op["responses"])
        assert all(p.get("description") and p.get("schema") for p in op["parameters"])
    doc = (ROOT / "docs" / "public-api.md").read_text()
    assert all(f"/api/v1/{name}" in doc for name in api.DATASETS)


# -- in the browser ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def base_url(public_settings, serve_dashboard):
    return serve_dashboard(public_settings.home, "/public/")


@pytest.fixture
def page(browser, base_url):
    # bypass_csp: the pages forbid every script, and axe has to be injected.
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    watch(page)
    yield page
    assert_offline_and_clean(page, base_url)
    context.close()


@pytest.mark.browser
def test_switch_language_with_the_keyboard_then_follow_the_permalink(page, base_url):
    page.goto(base_url + "/public/region/FRK?lang=en")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("h1") == "Auvergne-Rhône-Alpes: labour-market factsheet"
    page.keyboard.press("Tab")  # the first stop is the skip link
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.focus("#lang-fr")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert parse_qs(urlparse(page.url).query) == {"lang": ["fr"]}
    assert page.get_attribute("html", "lang") == "fr"
    assert page.inner_text("h1") == "Auvergne-Rhône-Alpes : fiche sur le marché du travail"
    meaning = page.inner_text("#jobseekers-meaning")
    assert meaning.startswith("Ce que cela signifie : En ")
    permalink = page.get_attribute("#permalink", "href")
    assert permalink.endswith("/public/region/FRK?lang=fr")
    # A reader opens the shared link in a fresh tab: same page, same language, same numbers.
    other = page.context.new_page()
    other.goto(permalink)
    assert other.get_attribute("html", "lang") == "fr"
    assert other.inner_text("#jobseekers-meaning") == meaning
    # The data table opens from the keyboard.
    other.focus("#tension summary")
    other.keyboard.press("Enter")
    assert other.is_visible("#tension-table")
    other.close()


def _axe(page) -> list[dict]:
    # Open every <details> so the data tables are checked too.
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"][:3]]} for v in result["violations"]]


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/public/?lang=en", "/public/region/FRK?lang=en",
                                  "/public/region/ALL?lang=fr", "/public/occupation/2?lang=fr",
                                  "/public/occupation/5?lang=en",
                                  "/embed/region/FRM/vacancies?lang=en",
                                  "/embed/occupation/2/occupations?lang=fr",
                                  "/embed/occupation/7/tension?lang=en"])
def test_axe_finds_no_violation(page, base_url, path):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `npm ci --prefix tests/a11y`")
    page.goto(base_url + path)
    violations = _axe(page)
    assert violations == [], json.dumps(violations, indent=1)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str = "#ffffff") -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_chart_colours_meet_aa_contrast():
    """axe cannot judge text inside SVG (it reports it 'incomplete'): checked here instead."""
    from dashboards.public import charts

    assert contrast(charts.INK) >= 4.5 and contrast(charts.MUTED) >= 4.5  # text
    assert all(contrast(c) >= 3 for c in charts.COLOURS)  # lines and bars (WCAG 1.4.11)
    css = (ROOT / "dashboards" / "public" / "static" / "public.css").read_text()
    assert contrast("#1a4f99") >= 4.5 and "#1a4f99" in css  # links
    assert contrast("#5c4300", "#fff4ce") >= 4.5 and "#5c4300" in css  # the synthetic badge


def test_without_official_statistics_the_context_section_says_so(tmp_path):
    settings = Settings(home=tmp_path)
    public_data.build_public_warehouse(settings.published_db, official=False)
    client = create_app(settings).server.test_client()
    page = get_page(client, "/public/region/FRK?lang=en")
    assert "No official unemployment statistics have been loaded for this area." in page.body
    assert "unemployment" in page.ids and "chart-unemployment-title" not in page.ids
    assert client.get("/api/v1/unemployment-rate").get_json()["n_rows"] == 0
