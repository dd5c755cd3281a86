"""SQL injection and malformed input: every filter of every Dash callback, every /api/v1 parameter.

Classic injection strings, unicode quotes, very long strings, lists where a scalar is expected
and objects where a list is expected go into every input and state of every callback of the
app (enumerated from ``app.callback_map``, bodies built as Dash's renderer builds them) and
into every parameter the OpenAPI description lists. Nothing may answer 500; the API answers
400 naming the parameter, or a normal answer; callbacks answer as if the bad values had not
been given; the published warehouse file is byte for byte unchanged.

The requests run in process (Flask's test client, through the whole app: log-in form, CSRF,
session cookie, Dash's dispatch), so that a spy on the warehouse cursors can also check that no
request value ever reaches the text of a SQL statement. A static check reads the query modules:
SQL built with f-strings may only interpolate the reviewed identifier fragments listed here.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import re
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from dashboards import db
from dashboards.app import create_app
from dashboards.components import filters
from observatory.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import load  # noqa: E402

MARK = "zqx"  # in every hostile string: it must never appear in a SQL statement's text
PAYLOADS = [
    f"' OR 1=1 --{MARK}",
    f"'; DROP TABLE marts.mart_contacts_monthly; --{MARK}",
    f"FRK' UNION SELECT password_hash, 1 FROM users --{MARK}",
    f"1); SELECT * FROM meta.loaded_files; --{MARK}",
    f"2025-01' OR '1'='1{MARK}",
    f"\u2019 OR \u20181\u2019=\u20181 {MARK}",            # unicode quotes
    f"\uff07 OR 1=1 -- {MARK}",                             # fullwidth apostrophe
    f"FRK\x00{MARK}",
    f"\\'; COPY (SELECT 1) TO '/tmp/{MARK}.csv'; --",
    f"$1 {MARK}",
    f"{MARK}" + "A" * 20_000,                               # very long
    [f"' OR 1=1 --{MARK}", f"FRK'{MARK}"],                  # a list where a scalar is expected
    [[f"nested{MARK}"], {"a": MARK}],                       # lists and objects inside lists
    {"$where": f"1=1{MARK}", "value": "FRK"},               # an object
    -1,
    1e308,
    True,
]
API_PAYLOADS = [p for p in PAYLOADS if isinstance(p, str)] + [
    "FRK,ALL' OR 1=1", "ALL,,,", "%27%20OR%201%3D1", "2025-13", "0000-00", "9999-12",
    "FRK;DROP TABLE x", "'" * 500]
SHARED_NAMES = sorted(filters.LABELS)  # every filter's query name


# -- the app, logged in ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def home(demo_home, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("injection") / "home"
    shutil.copytree(demo_home.home, home, ignore=shutil.ignore_patterns("prefect", "logs"))
    return home


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def snapshot_hashes(home):
    """The warehouse files' hashes before any hostile request (checked again at the end)."""
    settings = load_settings(home)
    return {p: sha256(p) for p in (settings.published_db, settings.build_db) if p.exists()}


@pytest.fixture(scope="module")
def accounts(home):
    regions, _ = load.published_facts(home)
    return {a.role: a for a in load.create_accounts(home, regions[0], prefix="inj")}


@pytest.fixture(scope="module")
def app(home, snapshot_hashes, accounts):
    return create_app(load_settings(home))


def log_in(app, account):
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"name": account.name, "password": account.password,
                                           "csrf_token": token, "next": "/"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture(scope="module")
def admin(app, accounts):
    return log_in(app, accounts["admin"])


@pytest.fixture(scope="module")
def manager(app, accounts):
    return log_in(app, accounts["manager"])


@pytest.fixture(scope="module")
def dependencies(admin) -> list[dict]:
    return admin.get("/_dash-dependencies").get_json()


class SpyCursor:
    """A real cursor that also records the text of every statement it runs."""

    def __init__(self, cursor, statements: list[str]):
        self._cursor, self._statements = cursor, statements

    def sql(self, query, *args, **kwargs):
        self._statements.append(str(query))
        return self._cursor.sql(query, *args, **kwargs)

    def execute(self, query, *args, **kwargs):
        self._statements.append(str(query))
        return self._cursor.execute(query, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


@pytest.fixture(scope="module")
def statements():
    """Every SQL text run by the dashboards during this module (the cursors still run it)."""
    recorded: list[str] = []
    original = db.Warehouse.cursor

    @contextmanager
    def spying(self):
        with original(self) as cursor:
            yield SpyCursor(cursor, recorded)

    db.Warehouse.cursor = spying
    yield recorded
    db.Warehouse.cursor = original


# -- bodies as Dash's renderer sends them ----------------------------------------------------

def _concrete(pattern: dict, wildcard_value) -> dict:
    return {k: (wildcard_value if isinstance(v, list) else v) for k, v in pattern.items()}


def _wildcard_values(pattern: dict, payload) -> list:
    """Concrete values for an ALL wildcard: every known filter name (and a hostile one)."""
    key = next(k for k, v in pattern.items() if isinstance(v, list))
    if pattern.get("type") == "filter" and key == "name":
        return [*SHARED_NAMES, f"name{MARK}"]
    return ["/", "/channels", f"x{MARK}", 7] if key in ("path", "code") else ["x", f"x{MARK}", 7]


def _items(item: dict, value, payload, match_value) -> list | dict:
    """The input/state entry for one dependency item, with ``value`` everywhere."""
    component_id = json.loads(item["id"]) if item["id"].startswith("{") else item["id"]
    if isinstance(component_id, dict):
        wildcards = [v[0] for v in component_id.values() if isinstance(v, list)]
        if "ALL" in wildcards:
            return [{"id": _concrete(component_id, w), "property": item["property"],
                     "value": copy.deepcopy(value)}
                    for w in _wildcard_values(component_id, payload)]
        if "MATCH" in wildcards:
            component_id = _concrete(component_id, match_value)
    return {"id": component_id, "property": item["property"], "value": copy.deepcopy(value)}


def _outputs(dep: dict, payload, match_value):
    outputs = []
    for component_id, prop in load.split_outputs(dep["output"]):
        if isinstance(component_id, dict) and any(isinstance(v, list)
                                                  for v in component_id.values()):
            if ["ALL"] in component_id.values():
                outputs.append([{"id": _concrete(component_id, w), "property": prop}
                                for w in _wildcard_values(component_id, payload)])
                continue
            component_id = _concrete(component_id, match_value)
        outputs.append({"id": component_id, "property": prop})
    return outputs if dep["output"].startswith("..") else outputs[0]


def body_for(dep: dict, values: list, payload, match_value="channels-mix") -> dict:
    """A callback request with ``values[i]`` in input i (and ``payload`` in every state)."""
    inputs = [_items(item, v, payload, match_value)
              for item, v in zip(dep["inputs"], values, strict=True)]
    state = [_items(item, payload, payload, match_value) for item in dep["state"]]
    first = inputs[0][0] if isinstance(inputs[0], list) else inputs[0]
    first_id = load._id_key(first["id"])
    return {"output": dep["output"], "outputs": _outputs(dep, payload, match_value),
            "inputs": inputs, "state": state,
            "changedPropIds": [f"{first_id}.{first['property']}"]}


def server_callbacks(dependencies) -> list[dict]:
    return [d for d in dependencies if not d.get("clientside_function")]


def post(client, body):
    response = client.post(load.CALLBACK_PATH, json=body)
    return response.status_code, response.get_data(as_text=True)


def refused_clearly(status: int, text: str) -> bool:
    """A 400 from dashboards/callback_guard.py: the value cannot come from the page."""
    return status == 400 and json.loads(text)["error"].startswith("malformed callback request")


@pytest.fixture(scope="module")
def default_views(admin, dependencies) -> dict[str, tuple[int, str]]:
    """Each callback's answer when none of its inputs is set."""
    return {dep["output"]: post(admin, body_for(dep, [None] * len(dep["inputs"]), None))
            for dep in server_callbacks(dependencies)}


# -- the tests ---------------------------------------------------------------------------------

def test_every_callback_of_the_app_is_enumerated(app, admin, dependencies):
    """What /_dash-dependencies serves (and the bodies below are built from) is callback_map."""
    server_side = {d["output"] for d in server_callbacks(dependencies)}
    assert server_side == {k for k, v in app.callback_map.items() if v.get("callback")} - {
        d["output"] for d in dependencies if d.get("clientside_function")}
    assert len(server_side) >= 40


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"p{i}" for i in range(len(PAYLOADS))])
def test_hostile_values_in_every_input_of_every_callback(admin, dependencies, statements,
                                                         default_views, payload):
    """All inputs and states at once hold the hostile value. A value of a type the page
    cannot send is refused with a 400 that says so; any other is ignored: the answer is the
    one the callback gives when nothing is set."""
    problems = []
    accepted = 0
    for dep in server_callbacks(dependencies):
        status, text = post(admin, body_for(dep, [payload] * len(dep["inputs"]), payload))
        if refused_clearly(status, text):
            continue
        if status not in (200, 204):
            problems.append((dep["output"][:70], status, text[:300]))
            continue
        accepted += 1
        # (URL-syncing callbacks echo the URL; a CSV export with a click count answers a file.)
        if status == 200 and not dep["output"].startswith(("..lm-url", "..dq-url")) \
                and "csv-download" not in dep["output"]:
            baseline = default_views[dep["output"]]
            if baseline[0] == 200 and MARK not in text and json.loads(baseline[1]) != json.loads(
                    text):
                problems.append((dep["output"][:70], "differs from the default view", ""))
    assert problems == []
    if isinstance(payload, str) and len(payload) < 1000:
        # Hostile text in a filter is a value outside the options, not a malformed request.
        assert accepted >= 30
    assert not [s for s in statements if MARK in s]


def test_each_input_alone_holds_a_hostile_value(manager, dependencies, statements):
    """One input at a time (the others unset), for a manager scoped to one region."""
    problems = []
    for dep in server_callbacks(dependencies):
        for i in range(len(dep["inputs"])):
            for payload in (PAYLOADS[0], PAYLOADS[11]):
                values = [None] * len(dep["inputs"])
                values[i] = payload
                status, text = post(manager, body_for(dep, values, None))
                if status not in (200, 204, 403) and not refused_clearly(status, text):
                    problems.append((dep["output"][:60], i, status, text[:300]))
    assert problems == []
    assert not [s for s in statements if MARK in s]


def test_hostile_chart_ids_in_the_csv_export(admin, dependencies):
    dep = next(d for d in dependencies if '"type":"csv-download"' in d["output"])
    for chart in (f"' OR 1=1 --{MARK}", "__class__", "", "channels-mix/../../x"):
        status, _ = post(admin, body_for(dep, [1], None, match_value=chart))
        assert status in (200, 204), chart


def test_hostile_urls_restore_a_normal_view(admin, dependencies, statements):
    """Filters live in the URL: the page router gets them as a query string."""
    for payload in PAYLOADS[:3] + PAYLOADS[5:6]:
        search = "?" + urlencode({name: payload for name in SHARED_NAMES})
        for path in (*load.INTERNAL_PAGES, *load.ADMIN_PAGES):
            status, text = post(admin, load.router_body(dependencies, path, search))
            assert status == 200, (path, text[:300])
            assert MARK not in text.replace(search, ""), path
    assert not [s for s in statements if MARK in s]


def test_structurally_wrong_callback_bodies_are_refused_without_a_500(admin, dependencies):
    dep = server_callbacks(dependencies)[0]
    good = body_for(dep, [None] * len(dep["inputs"]), None)
    for body in ({}, {"output": f"nothing{MARK}.children"}, {**good, "inputs": "x"},
                 {**good, "outputs": [[]]}, [good], "text"):
        status, text = post(admin, body)
        assert status < 500, (body if len(str(body)) < 200 else "...", status, text[:300])


# -- the open-data API -------------------------------------------------------------------------

def api_parameters(client) -> list[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").get_json()
    return [(path, p["name"]) for path, item in spec["paths"].items()
            for p in item["get"]["parameters"]]


def test_hostile_values_in_every_api_parameter(app, statements):
    client = app.server.test_client()  # the API is public: no log-in
    pairs = api_parameters(client)
    assert len(pairs) >= 15
    problems = []
    for path, name in pairs:
        for payload in API_PAYLOADS:
            response = client.get(f"{path}?{name}={quote(payload, safe='')}")
            body = response.get_json(silent=True)
            if response.status_code == 400:
                error = body["error"]
                if error.get("parameter") != name or name not in error["message"]:
                    problems.append((path, name, payload[:40], error))
            elif response.status_code == 200:
                if name != "format" and (body is None or "data" not in body):
                    problems.append((path, name, payload[:40], "not a table"))
            else:
                problems.append((path, name, payload[:40], response.status_code))
        # A list where one value is expected.
        response = client.get(f"{path}?{name}=a&{name}=b")
        assert response.status_code == 400, (path, name)
        assert "once" in response.get_json()["error"]["message"]
    assert problems == []
    assert not [s for s in statements if MARK in s]


@pytest.mark.parametrize("url", [
    f"/api/v1/x{MARK}' OR 1=1", f"/api/v1/region-monthly?{MARK}'=1",
    f"/public/region/FRK' OR 1=1 --{MARK}", f"/public/occupation/1 UNION SELECT 1{MARK}",
    f"/embed/region/FRK'{MARK}/tension", f"/embed/region/FRK/tension'{MARK}",
    "/public/region/" + "A" * 5000, "/api/v1/region-monthly?region=" + "A," * 3000,
])
def test_hostile_paths_are_answered_404_or_400(app, url):
    client = app.server.test_client()
    assert client.get(url).status_code in (400, 404)


def test_the_warehouse_is_unchanged(home, snapshot_hashes, statements):
    """Last in the module: after every request above, the files are byte for byte the same."""
    assert statements, "the spy saw the queries"
    db.warehouse_for(load_settings(home).published_db).close()
    assert {p: sha256(p) for p in snapshot_hashes} == snapshot_hashes


# -- static: what the query modules put into SQL text ------------------------------------------

# Every expression interpolated into SQL text by an f-string in the query layer, per module.
# Each is an identifier or fragment chosen in code from a fixed list (a mart name, a column
# picked by comparison with allowed names, clauses made of such columns and $parameters),
# never a request value. A new one fails this test until it is reviewed and listed here.
REVIEWED_SQL_FRAGMENTS = {
    "dashboards/queries.py": {"column", "extra_where", "keys", "where"},
    "dashboards/channel_queries.py": {
        "CASELOADS", "CHANNEL_CONTACTS", "CONTACTS", "CONTACT_MONTHS", "CONTACT_PROFILES",
        "JOURNEYS", "REPEATS", "_grouping_sets()", "_grouping_sets(extra)", "_grouping_type()",
        "_grouping_type(extra, total=True)", "_grouping_value()",
        "_grouping_value(extra, total=True)", "code", "column", "columns", "keys", "name",
        "people", "segments", "table", "where", "c"},
    "dashboards/outcome_queries.py": {
        "ALL", "by", "column", "dims", "join", "key", "label", "month", "q", "r", "where",
        "table", "d", "h", "', '.join((f\"coalesce(sum(c.n_vacancies_closed) FILTER (WHERE "
        "c.close_reason = '{r}'), 0)::BIGINT AS n_{r}\" for r in CLOSE_REASONS))"},
    "dashboards/official_queries.py": {"' and '.join(clauses)", "_BMO_MEASURES", "_NUTS_NAMES",
                                       "columns", "scale_clause", "where", "i", "column",
                                       "name"},  # a JSON path, checked against _DIMENSION
    "dashboards/quality_queries.py": {"' UNION ALL '.join(parts)", "_where(clauses)", "counts",
                                      "dups", "known", "quarantined", "rows", "select", "t",
                                      "zero_dups", "zero_rows", "column", "alias or column",
                                      "prefix"},
    "dashboards/public/queries.py": {"' and '.join(clauses)", "where", "region_col"},
}
SQL_WORDS = re.compile(r"\b(select|from|where|join|group by|order by|union|between|case when|"
                       r"in \(|and|or|=)\b", re.I)


def _sql_interpolations(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if SQL_WORDS.search(text) or "$" in text:
                found |= {ast.unparse(v.value) for v in node.values
                          if isinstance(v, ast.FormattedValue)}
    return found


def test_query_modules_interpolate_only_reviewed_identifiers_into_sql():
    modules = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "dashboards").rglob("*queries.py"))
    assert set(modules) == set(REVIEWED_SQL_FRAGMENTS), "a new query module: review it here"
    unreviewed = {m: sorted(_sql_interpolations(ROOT / m) - REVIEWED_SQL_FRAGMENTS[m])
                  for m in modules}
    assert {m: v for m, v in unreviewed.items() if v} == {}


def test_query_modules_never_format_sql_with_format_or_percent():
    for path in (ROOT / "dashboards").rglob("*queries.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "format" and isinstance(node.func.value, ast.Constant)
                    and SQL_WORDS.search(str(node.func.value.value))):
                pytest.fail(f"{path}:{node.lineno}: str.format on SQL")
            if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod)
                    and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)
                    and SQL_WORDS.search(node.left.value)):
                pytest.fail(f"{path}:{node.lineno}: % formatting on SQL")
