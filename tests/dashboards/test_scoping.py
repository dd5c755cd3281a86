"""Issue 8: a manager sees only their regions, whatever the browser sends.

In process first: every public query function of the query modules (found with ``inspect``, so
a new one cannot be forgotten) is called as a manager scoped to one region with filters naming
their region, another one, both, or an agency of another region; its result must equal the
operator's result for exactly the allowed part of the request, hold no other region, and differ
from the unrestricted result. Key figures are also recomputed with Polars from the marts.
Then over HTTP, logged in as that manager: every registered callback and every CSV export,
posted with other regions in its inputs, answers without naming any other region.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl
import pytest
from plotly.io.json import to_json_plotly
from polars.testing import assert_frame_equal

from dashboards import channel_queries, db, official_queries, outcome_queries, quality_queries, queries
from dashboards.app import create_app
from dashboards.components import export, filters
from dashboards.components.filters import fid
from dashboards.components.format import month_value
from dashboards.db import open_read_only, warehouse_for
from dashboards.pages import channels, employers, outcomes, overview
from observatory import access
from observatory.access import User
from observatory.settings import Settings
from tests.dashboards.layout import route, walk

SCOPE = ("FRK",)
OTHER = "FR1"
MANAGER = User("scoped-manager", "manager", SCOPE)
NOWHERE = ("ZZZ",)  # a region with no row: the operator's way of asking for nothing

MODULES = (queries, channel_queries, outcome_queries, official_queries, quality_queries)
# Query functions that take no filters, and why each is safe (checked below, per kind).
SPECIAL = {
    "queries.dataset_meta": "no region",
    "outcome_queries.isco_groups": "no region",
    "queries.regions": "options",
    "channel_queries.agencies": "options",
    "outcome_queries.forecast_series": "forecast",
    "outcome_queries.forecast_accuracy": "forecast",
    "outcome_queries.bmo_families": "public",
    "outcome_queries.beveridge": "public",
    **{f"official_queries.{name}": "public" for name, fn in
       inspect.getmembers(official_queries, inspect.isfunction)
       if not name.startswith("_") and fn.__module__ == official_queries.__name__},
    **{f"quality_queries.{name}": "operations" for name, fn in
       inspect.getmembers(quality_queries, inspect.isfunction)
       if not name.startswith("_") and fn.__module__ == quality_queries.__name__},
}
# The arguments a filtered query needs beyond (wh, f): each variant is called.
EXTRA: dict[str, list[dict[str, Any]]] = {
    "channel_queries.channel_use_by_segment": [{"segment_by": "age_band"}],
    "channel_queries.bounce_back_by_segment": [{"segment_by": "digital_skills"}],
    "channel_queries.exclusion_ranking": [{"rank_by": "agency"}, {"rank_by": "region"}],
    "channel_queries.exclusion_monthly": [{"segment_by": "support_tier"}],
    "channel_queries.no_shows_by_channel_segment": [{"segment_by": "age_band"}],
    "outcome_queries.transition_rate_by": [{"by": by} for by in outcome_queries.BREAKDOWNS],
    "outcome_queries.survival_counts": [{"by": "support_tier"}],
    "outcome_queries.time_to_employment": [{"by": "channel_profile"}],
    "outcome_queries.vacancies_by": [{"key": k} for k in ("nace_section", "region",
                                                          "employer_size")],
    "outcome_queries.relevance_by": [{"by": "occupation"}, {"by": "region"}],
}


def _query_functions() -> dict[str, Callable]:
    """Every public function of the query modules whose first argument is the warehouse."""
    found = {}
    for module in MODULES:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            parameters = list(inspect.signature(fn).parameters)
            if parameters and parameters[0] in ("wh", "published_db"):
                found[f"{module.__name__.split('.')[-1]}.{name}"] = fn
    return found


FUNCTIONS = _query_functions()


def _filters_parameter(fn: Callable) -> inspect.Parameter | None:
    return next((p for p in inspect.signature(fn).parameters.values()
                 if "Filters" in str(p.annotation)), None)


FILTERED = sorted(name for name, fn in FUNCTIONS.items() if _filters_parameter(fn))


# -- fixtures --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reference(dash_settings: Settings) -> dict[str, Any]:
    """The regions, agencies and marts of the test warehouse, read directly."""
    con = open_read_only(dash_settings.published_db)
    try:
        tables = {r[0] for r in con.sql("SELECT table_schema || '.' || table_name "
                                        "FROM information_schema.tables").fetchall()}
        if "marts.mart_vacancy_tension_monthly" not in tables:
            pytest.skip("needs the demo warehouse with every mart (not the tiny one)")
        read = {name: con.sql(f"SELECT * FROM {name}").pl() for name in (
            "core.dim_region", "core.dim_agency", "meta.dataset",
            "marts.mart_contacts_monthly", "marts.mart_outcomes_monthly",
            "marts.mart_vacancy_tension_monthly", "marts.mart_vacancy_postings")}
    finally:
        con.close()
    regions, agencies = read["core.dim_region"], read["core.dim_agency"]
    assert set(SCOPE) | {OTHER} <= set(regions["region_code"].to_list())
    meta = read["meta.dataset"].row(0, named=True)
    others = regions.filter(~pl.col("region_code").is_in(SCOPE))
    return {
        **read,
        "month_from": queries.add_months(meta["data_to"], -5), "month_to": meta["data_to"],
        "scope_agencies": sorted(agencies.filter(pl.col("region_code").is_in(SCOPE))
                                 ["agency_code"].to_list()),
        "other_agency": agencies.filter(pl.col("region_code") == OTHER)["agency_code"][0],
        "other_codes": set(others["region_code"].to_list()),
        "other_names": set(others["region_name"].to_list()),
    }


@pytest.fixture(scope="module")
def wh(dash_settings: Settings) -> db.Warehouse:
    return warehouse_for(dash_settings.published_db)


@pytest.fixture
def app(dash_settings):
    return create_app(dash_settings)


@contextmanager
def signed_in(app, user: User) -> Iterator[None]:
    """Inside a request of ``app`` by ``user``, as the web layer sets it up."""
    with app.server.test_request_context():
        access.set_current_user(user)
        yield


# -- helpers -----------------------------------------------------------------------------------

def _requests(reference, channel: bool) -> list[dict[str, tuple[str, ...]]]:
    """Filter requests a crafted callback could send: other regions, a mix, other agencies."""
    mine, other_agency = reference["scope_agencies"][0], reference["other_agency"]
    asked = [{"region": ()}, {"region": SCOPE}, {"region": (OTHER,)},
             {"region": (OTHER, *SCOPE)}, {"region": (OTHER, *SCOPE), "age_band": ("<25",)}]
    if channel:
        asked += [{"agency": (other_agency,)}, {"agency": (mine, other_agency)},
                  {"region": (OTHER,), "agency": (mine,)}]
    return asked


def _expected_regions(requested: tuple[str, ...]) -> tuple[str, ...]:
    """What the manager's request may read, said as an operator's request."""
    if not requested:
        return SCOPE
    return tuple(r for r in requested if r in SCOPE) or NOWHERE


def _filters_for(fn: Callable, reference, **values) -> queries.Filters:
    annotation = str(_filters_parameter(fn).annotation)
    cls = channel_queries.ChannelFilters if "ChannelFilters" in annotation else queries.Filters
    return cls(reference["month_from"], reference["month_to"], **values)


def assert_same(got, expected, context: str) -> None:
    if isinstance(expected, pl.DataFrame):
        try:
            assert_frame_equal(got, expected, check_exact=False)
        except AssertionError as error:
            raise AssertionError(f"{context}: {error}") from None
    elif isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected), context
        for g, e in zip(got, expected, strict=True):
            assert_same(g, e, context)
    else:
        assert got == expected, context


def _differs(a, b) -> bool:
    try:
        assert_same(a, b, "")
    except AssertionError:
        return True
    return False


def strings_in(result) -> set[str]:
    """Every text value of a result (frames, tuples, dicts)."""
    if isinstance(result, pl.DataFrame):
        return {v for c in result.columns if result[c].dtype == pl.String
                for v in result[c].drop_nulls().unique().to_list()}
    if isinstance(result, tuple | list):
        return set().union(*(strings_in(r) for r in result)) if result else set()
    if isinstance(result, dict):
        return {v for v in result.values() if isinstance(v, str)}
    return {result} if isinstance(result, str) else set()


def _leaks(result, reference) -> set[str]:
    return strings_in(result) & (reference["other_codes"] | reference["other_names"])


# -- every query function is classified --------------------------------------------------------

def test_every_query_function_is_either_filtered_or_classified():
    assert len(FILTERED) >= 35, FILTERED  # the enumeration finds the query layer
    unclassified = sorted(set(FUNCTIONS) - set(FILTERED) - set(SPECIAL))
    assert not unclassified, f"say how these are scoped (SPECIAL in this test): {unclassified}"
    for name in FILTERED:
        required = [p.name for p in list(inspect.signature(FUNCTIONS[name]).parameters.values())[2:]
                    if p.default is inspect.Parameter.empty]
        assert not required or name in EXTRA, f"give {name} its {required} in EXTRA"


# -- in process: filtered queries --------------------------------------------------------------

@pytest.mark.parametrize("name", FILTERED)
def test_a_manager_reads_only_their_regions_whatever_the_filters(name, app, wh, reference):
    fn = FUNCTIONS[name]
    channel = "ChannelFilters" in str(_filters_parameter(fn).annotation)
    for extra in EXTRA.get(name, [{}]):
        for asked in _requests(reference, channel):
            f = _filters_for(fn, reference, **asked)
            context = f"{name}({extra}) asked {asked}"
            with signed_in(app, MANAGER):
                got = fn(wh, f, **extra)
            # The operator (outside a request: every region) asking for exactly what is allowed.
            expected = fn(wh, dataclasses.replace(f, region=_expected_regions(f.region)), **extra)
            assert_same(got, expected, context)
            assert not _leaks(got, reference), context
        with signed_in(app, MANAGER):
            mine = fn(wh, _filters_for(fn, reference), **extra)
        everything = fn(wh, _filters_for(fn, reference), **extra)
        assert _differs(mine, everything), f"{name}({extra}) is not cut to the manager's regions"


@pytest.mark.parametrize("name", ["queries.contacts_monthly", "channel_queries.contacts_by_channel",
                                  "outcome_queries.transition_rate_monthly"])
def test_nobody_logged_in_reads_nothing(name, app, wh, reference):
    fn = FUNCTIONS[name]
    with app.server.test_request_context(), pytest.raises(access.AccessDenied):
        fn(wh, _filters_for(fn, reference, region=SCOPE))


def test_contacts_per_month_are_the_scoped_marts_recomputed(app, wh, reference):
    f = queries.Filters(reference["month_from"], reference["month_to"], region=(OTHER, *SCOPE))
    with signed_in(app, MANAGER):
        got = queries.contacts_monthly(wh, f)
    expected = (reference["marts.mart_contacts_monthly"]
                .filter(pl.col("region_code").is_in(SCOPE),
                        pl.col("month").is_between(f.month_from, f.month_to))
                .group_by("month")
                .agg(pl.col("n_contacts").sum(),
                     pl.col("n_contacts").filter(pl.col("is_digital")).sum().alias("n_digital"),
                     pl.col("n_rated").sum(), pl.col("n_satisfied").sum())
                .sort("month"))
    assert got.height == f.n_months
    assert_frame_equal(got.filter(pl.col("n_contacts") > 0),
                       expected.cast({c: pl.Int64 for c in expected.columns if c != "month"}))


def test_digital_share_by_region_lists_the_scope_only(app, wh, reference):
    f = channel_queries.ChannelFilters(reference["month_from"], reference["month_to"])
    with signed_in(app, MANAGER):
        got = channel_queries.digital_share_by_region(wh, f)
    marts = reference["marts.mart_contacts_monthly"].filter(
        pl.col("month").is_between(f.month_from, f.month_to), pl.col("region_code").is_in(SCOPE))
    assert got["region_code"].to_list() == list(SCOPE)
    assert got["n_contacts"].to_list() == [int(marts["n_contacts"].sum())]
    assert got["n_digital"].to_list() == [int(marts.filter(pl.col("is_digital"))["n_contacts"]
                                              .sum())]


def test_the_all_regions_benchmarks_cover_the_scope_only(app, wh, reference):
    """Tension's "all selected regions" and A1 by region: a manager's totals are their region's."""
    f = queries.Filters(reference["month_from"], reference["month_to"])
    with signed_in(app, MANAGER):
        tension = outcome_queries.tension_by_region(wh, f, min_denominator=1)
        a1 = outcome_queries.transition_rate_by(wh, f, "region", min_denominator=1)
    marts = reference["marts.mart_vacancy_tension_monthly"].filter(
        pl.col("month").is_between(f.month_from, f.month_to), pl.col("region_code").is_in(SCOPE))
    assert sorted(tension["key"].to_list()) == sorted([outcome_queries.ALL, *SCOPE])
    total = tension.filter(pl.col("key") == outcome_queries.ALL).row(0, named=True)
    assert total["mean_jobseekers"] == pytest.approx(marts["n_jobseekers_end"].sum() / f.n_months)
    assert total["vacancies_per_100_jobseekers"] == pytest.approx(
        100 * marts["n_vacancies_open_end"].sum() / marts["n_jobseekers_end"].sum())
    outcomes_mart = reference["marts.mart_outcomes_monthly"].filter(
        pl.col("month").is_between(f.month_from, f.month_to), pl.col("region_code").is_in(SCOPE))
    assert a1["key"].to_list() == list(SCOPE)
    assert a1["n_exits_employment"].to_list() == [int(outcomes_mart["n_exits_employment"].sum())]


def test_vacancies_by_region_are_the_scoped_postings(app, wh, reference):
    f = queries.Filters(reference["month_from"], reference["month_to"], region=(OTHER,))
    with signed_in(app, MANAGER):
        nothing = outcome_queries.vacancies_by(wh, f, "region")
        mine = outcome_queries.vacancies_by(wh, dataclasses.replace(f, region=()), "region")
    assert nothing.is_empty()  # only another region asked for: no row, not every row
    postings = reference["marts.mart_vacancy_postings"].filter(
        pl.col("month").is_between(f.month_from, f.month_to), pl.col("region_code").is_in(SCOPE))
    assert mine["key"].to_list() == list(SCOPE)
    assert mine["n_vacancies_posted"].to_list() == [int(postings["n_vacancies_posted"].sum())]
    assert mine["share"].to_list() == [1.0]


def test_duration_histograms_never_read_the_grain_without_regions(app, wh, reference):
    f = channel_queries.ChannelFilters(reference["month_from"], reference["month_to"],
                                       age_band=("<25",))
    with signed_in(app, MANAGER):
        mine = channel_queries.duration_histograms(wh, f)
        with pytest.raises(access.AccessDenied):
            channel_queries._where(f, place=False)  # the guard behind that choice
    assert_frame_equal(mine, channel_queries.duration_histograms(
        wh, dataclasses.replace(f, region=SCOPE)))


# -- in process: reads without filters ---------------------------------------------------------

def test_filter_options_list_the_managers_regions_and_agencies_only(app, wh, reference):
    with signed_in(app, MANAGER):
        regions = queries.regions(wh)
        agencies = channel_queries.agencies(wh)
    assert regions["region_code"].to_list() == list(SCOPE)
    assert sorted(agencies["agency_code"].to_list()) == reference["scope_agencies"]
    assert queries.regions(wh).height == reference["core.dim_region"].height  # the operator


def _options(layout, name: str) -> list[str]:
    control = next(c for c in walk(layout) if getattr(c, "id", None) == fid(name))
    return [o["value"] for o in control.options]


@pytest.mark.parametrize("page", [overview, channels, outcomes, employers])
def test_the_region_dropdown_offers_a_manager_their_regions_only(page, app, reference):
    query = {"region": f"{OTHER},{SCOPE[0]}", "agency": reference["other_agency"]}
    with signed_in(app, MANAGER):
        layout = page.layout(**query)
    assert _options(layout, "region") == list(SCOPE)
    region = next(c for c in walk(layout) if getattr(c, "id", None) == fid("region"))
    assert region.value == list(SCOPE)  # the other region of the URL is dropped
    if page is channels:
        assert sorted(_options(layout, "agency")) == reference["scope_agencies"]
    assert not _leaks_text(to_json_plotly(layout), reference)


def test_no_question_without_filters_reads_a_region(app, wh):
    for name, kind in SPECIAL.items():
        if kind != "no region":
            continue
        with signed_in(app, MANAGER):
            result = FUNCTIONS[name](wh)
        assert "region_code" not in result.columns, name


def test_public_questions_read_only_public_and_official_tables():
    """Official statistics (Eurostat, BMO) and public.* are open data: not scoped, but they must
    not read an internal table."""
    for name, kind in SPECIAL.items():
        if kind == "public":
            source = inspect.getsource(FUNCTIONS[name])
            assert "marts." not in source and "core." not in source, name


def test_operations_questions_are_refused_to_a_manager(app, wh):
    for name, kind in SPECIAL.items():
        if kind == "operations":
            with signed_in(app, MANAGER), pytest.raises(access.AccessDenied):
                FUNCTIONS[name](wh)


def test_the_forecast_is_the_managers_region_and_never_the_national_one(app, wh):
    with signed_in(app, MANAGER):
        series = outcome_queries.forecast_series(wh, SCOPE[0])
        assert outcome_queries.forecast_accuracy(wh, SCOPE[0]) is not None
        for refused in (OTHER, outcome_queries.ALL):
            with pytest.raises(access.AccessDenied):
                outcome_queries.forecast_series(wh, refused)
            with pytest.raises(access.AccessDenied):
                outcome_queries.forecast_accuracy(wh, refused)
    assert series.height and set(series["region_code"]) == set(SCOPE)


def test_the_outlook_of_a_manager_of_two_regions_says_why_it_is_empty(app, wh, dash_settings):
    values = {"region": [], "isco": "all"}
    with signed_in(app, User("two", "manager", (*SCOPE, "FRL"))):
        view = employers.outlook_views(values, wh, dash_settings)
    assert view["texts"]["employers-outlook"] == outcome_queries.NATIONAL_FORECAST_REFUSED
    assert view["frames"]["employers-outlook"].is_empty()
    with signed_in(app, MANAGER):  # one region: that region's series, without asking
        view = employers.outlook_views(values, wh, dash_settings)
    assert set(view["frames"]["employers-outlook"]["region_code"]) == set(SCOPE)


def test_a_scoped_result_holding_another_region_is_refused(app, wh):
    """Defence in depth (dashboards.db.check_scope): fail closed if a query forgot the scope."""
    every_region = "SELECT region_code, region_name FROM core.dim_region"
    with signed_in(app, MANAGER):
        with pytest.raises(access.AccessDenied):
            wh.frame(every_region)
        with pytest.raises(access.AccessDenied):
            wh.frame("SELECT NULL::VARCHAR AS region_code")  # a total over every region
        assert wh.frame(every_region + " WHERE region_code = $r", {"r": SCOPE[0]}).height == 1
        assert wh.frame(every_region, public=True).height > 1  # public data opts out
        total = "SELECT 'ALL' AS region_code UNION ALL SELECT $r"
        assert wh.frame(total, {"r": SCOPE[0]}, totals="ALL").height == 2  # a sum of the scope
        with pytest.raises(access.AccessDenied):
            wh.frame(total, {"r": OTHER}, totals="ALL")
        with pytest.raises(access.AccessDenied):
            wh.frame(total, {"r": SCOPE[0]})  # 'ALL' undeclared: the national total
    with app.server.test_request_context(), pytest.raises(access.AccessDenied):
        wh.frame(every_region)  # nobody logged in
    assert wh.frame(every_region).height > 1  # the operator


# -- over HTTP, logged in as the manager ---------------------------------------------------------

def _leaks_text(text: str, reference) -> set[str]:
    """Other regions' codes (as whole tokens, not inside base64 arrays) and names in ``text``."""
    found = {code for code in reference["other_codes"]
             if re.search(rf"(?<![A-Za-z0-9+/]){re.escape(code)}(?![A-Za-z0-9+/=])", text)}
    return found | {name for name in reference["other_names"] if name in text}


def _body_text(response) -> str:
    """The response, JSON decoded and dumped again so that escaped accents read as text."""
    try:
        return json.dumps(response.get_json(), ensure_ascii=False)
    except Exception:  # noqa: BLE001 - not JSON: read it as it is
        return response.get_data(as_text=True)


@pytest.fixture(scope="module")
def manager_client(dash_settings, tmp_path_factory, reference):
    """A test client of an app on the same snapshot, logged in as a manager of SCOPE."""
    users = pytest.importorskip("observatory.users", reason="the log-in is not there yet")
    home = tmp_path_factory.mktemp("scoping-home")
    (home / "warehouse").mkdir()
    (home / "warehouse" / "observatory.duckdb").symlink_to(dash_settings.published_db)
    settings = Settings(home=home)
    password = secrets.token_urlsafe(16)
    users.add_user(settings, MANAGER.name, "manager", password, regions=SCOPE)
    app = create_app(settings)
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert token, "no csrf_token field on GET /login"
    response = client.post("/login", data={"name": MANAGER.name, "username": MANAGER.name,
                                           "password": password, "csrf_token": token.group(1)})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    assert client.get("/_dash-dependencies").status_code == 200  # logged in; pages registered
    return app, client


def _crafted_values(reference) -> dict[str, Any]:
    """Every filter's value as a crafted request would send it: other regions mixed in."""
    return {
        "from": month_value(reference["month_from"]), "to": month_value(reference["month_to"]),
        "region": [OTHER, *SCOPE], "agency": [reference["other_agency"],
                                              reference["scope_agencies"][0]],
        "user_type": "all", "age_band": [], "education_level": [], "digital_skills": [],
        "support_tier": [], "measure": "volume", "direction": "all", "breakdown": "region",
        "curves": "support_tier", "segment_by": "digital_skills", "rank_by": "region",
        "service": "all", "isco": "all",
    }


def _search(values: dict[str, Any]) -> str:
    return filters.to_search({**values, "region": values["region"]})


def _concrete(id_text: str, values: dict[str, Any], paths: list[str]) -> list[dict] | dict | str:
    """The concrete component id(s) a wildcard id stands for on the pages."""
    if not id_text.startswith("{"):
        return id_text
    pattern = json.loads(id_text)
    wild = {k: v for k, v in pattern.items() if isinstance(v, list)}
    if not wild:
        return pattern
    (key, _), = wild.items()
    choices = {("filter", "name"): list(values), ("nav-link", "path"): paths,
               ("channels-subnav", "path"): [p for p in paths if p.startswith("/channels")],
               ("employers-crumb", "code"): ["all"]}[(pattern["type"], key)]
    return [{**pattern, key: choice} for choice in choices]


def _value(component_id, prop: str, values: dict[str, Any], search: str, pathname: str):
    if isinstance(component_id, dict) and component_id.get("type") == "filter":
        name = component_id["name"]
        if prop == "options":
            if name == "region":
                return [OTHER, *SCOPE]
            return [{"label": str(v), "value": v} for v in (values[name] if isinstance(
                values[name], list) else [values[name]])]
        return values[name]
    if prop == "search":
        return search
    if prop == "pathname":
        return pathname
    if prop == "n_clicks":
        return 1
    if prop == "clickData":
        return {"points": [{"customdata": ["5"]}]}
    return None


def _items(deps: list[dict], values, search, pathname, paths) -> list:
    out = []
    for dep in deps:
        ids = _concrete(dep["id"], values, paths)
        if isinstance(ids, list):
            out.append([{"id": i, "property": dep["property"],
                         "value": _value(i, dep["property"], values, search, pathname)}
                        for i in ids])
        else:
            out.append({"id": ids, "property": dep["property"],
                        "value": _value(ids, dep["property"], values, search, pathname)})
    return out


def _prop_id(item: dict) -> str:
    component_id = item["id"]
    if isinstance(component_id, dict):
        component_id = json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return f"{component_id}.{item['property']}"


def _outputs(key: str, values, paths) -> list | dict:
    """The outputs of a callback from its key: "id.prop" or "..id1.prop1...id2.prop2.."."""
    multi = key.startswith("..")
    outputs = []
    for spec in (key[2:-2].split("...") if multi else [key]):
        id_text, prop = spec.rsplit(".", 1)
        prop = prop.split("@")[0]  # allow_duplicate outputs carry a hash
        ids = _concrete(id_text, values, paths)
        outputs.append([{"id": i, "property": prop} for i in ids] if isinstance(ids, list)
                       else {"id": ids, "property": prop})
    return outputs if multi else outputs[0]


def _posts(app, reference) -> Iterator[tuple[str, dict]]:
    """(what, payload) for every registered callback, as a crafted browser would post them."""
    import dash

    values = _crafted_values(reference)
    search = _search(values)
    paths = [p["path"] for p in dash.page_registry.values()]
    for key, callback in app.callback_map.items():
        if "MATCH" in key:
            continue  # the CSV export: posted per chart below
        if "callback" not in callback:
            continue  # a clientside callback (the page title): it runs in the browser only
        pathnames = paths if any(d["id"] == "_pages_location" for d in callback["inputs"]) \
            else ["/"]
        for pathname in pathnames:
            inputs = _items(callback["inputs"], values, search, pathname, paths)
            state = _items(callback["state"], values, search, pathname, paths)
            # Each input in turn where the callback asks which one changed, else the first.
            firsts = [item[0] if isinstance(item, list) else item for item in inputs if item]
            triggers = firsts if len(firsts) <= 3 else firsts[:1]
            for trigger in triggers:
                yield f"{key} at {pathname} by {_prop_id(trigger)}", {
                    "output": key, "outputs": _outputs(key, values, paths),
                    "inputs": inputs, "state": state, "changedPropIds": [_prop_id(trigger)]}
    states = [[{"id": fid(name), "property": "value", "value": value}
               for name, value in values.items()]]
    for chart in sorted(app.observatory_csv_exports):
        yield f"CSV of {chart}", {
            "output": '{"chart":["MATCH"],"type":"csv-download"}.data',
            "outputs": {"id": {"chart": chart, "type": export.DOWNLOAD}, "property": "data"},
            "inputs": [{"id": {"chart": chart, "type": export.BUTTON}, "property": "n_clicks",
                        "value": 1}],
            "state": states,
            "changedPropIds": [_prop_id({"id": {"chart": chart, "type": export.BUTTON},
                                         "property": "n_clicks"})]}


# Official statistics are public (Eurostat NUTS names, BMO regions): the labour-market page may
# name any region, whoever asks.
PUBLIC_OUTPUTS = ("lm-",)
# The data-quality page is for administrators: its callbacks refuse a manager (HTTP 403).
OPERATIONS_OUTPUTS = ("dq-",)


def test_crafted_callbacks_never_answer_with_another_region(manager_client, reference):
    app, client = manager_client
    posted, csv_with_data = 0, 0
    failures = []
    for what, payload in _posts(app, reference):
        response = client.post("/_dash-update-component", json=payload)
        posted += 1
        output = payload["output"].lstrip(".")
        if response.status_code == 403 and output.startswith(OPERATIONS_OUTPUTS):
            continue
        if response.status_code not in (200, 204):
            failures.append(f"{what}: HTTP {response.status_code} "
                            f"{response.get_data(as_text=True)[:300]}")
            continue
        public = output.startswith(PUBLIC_OUTPUTS) or "/labour-market" in what
        text = _body_text(response) if response.status_code == 200 else ""
        if not public and (leaks := _leaks_text(text, reference)):
            failures.append(f"{what}: names {sorted(leaks)}")
        if what.startswith("CSV of") and SCOPE[0] in text:
            csv_with_data += 1
    assert not failures, "\n".join(failures)
    assert posted > 80 and csv_with_data >= 3  # the exports carried the manager's own region


def test_a_page_asked_for_another_region_shows_the_managers_own(manager_client, reference):
    _app, client = manager_client
    response = client.get(f"/employers?region={OTHER}")
    assert response.status_code == 200
    routed = route(client, "/employers", f"?region={OTHER},{SCOPE[0]}")
    assert routed.status_code == 200
    text = _body_text(routed)
    assert "employers-regions" in text and SCOPE[0] in text
    assert not _leaks_text(text, reference)
