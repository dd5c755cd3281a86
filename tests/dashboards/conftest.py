"""Fixtures for the dashboard tests: a published warehouse to read.

The lead's session fixture ``demo_home`` (tests/conftest.py) builds a small demo warehouse
through the real pipeline; when it is defined, every dashboard test reads that. Until then a
tiny warehouse with exactly the published schema is generated here.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import duckdb
import polars as pl
import pytest

from dashboards.db import open_read_only
from observatory import users
from observatory.settings import Settings
from pipelines.contracts import CHANNELS, DIGITAL_CHANNELS, SERVICES

REGIONS = {"FRK": "Auvergne-Rhône-Alpes", "FR1": "Île-de-France",
           "FRL": "Provence-Alpes-Côte d'Azur"}
AGE_BANDS = ("<25", "25-49", "50+", "unknown")
DIGITAL_SKILLS = ("none", "basic", "above_basic", "unknown")
SUPPORT_TIERS = ("autonomous", "guided", "intensive", "global", "unknown")
FIRST_MONTH = dt.date(2024, 1, 1)
N_MONTHS = 24

DDL = """
CREATE SCHEMA marts; CREATE SCHEMA meta; CREATE SCHEMA core;
CREATE TABLE core.dim_region (region_code VARCHAR, region_name VARCHAR);
CREATE TABLE core.dim_agency (agency_code VARCHAR, agency_name VARCHAR, region_code VARCHAR,
    region_name VARCHAR, latitude DOUBLE, longitude DOUBLE);
CREATE TABLE meta.dataset (is_synthetic BOOLEAN, data_from DATE, data_to DATE,
    published_at TIMESTAMPTZ, refresh_run_id VARCHAR);
CREATE TABLE marts.mart_contacts_monthly (month DATE, region_code VARCHAR, region_name VARCHAR,
    agency_code VARCHAR, agency_name VARCHAR, channel VARCHAR, is_digital BOOLEAN,
    service VARCHAR, direction VARCHAR, party_type VARCHAR, is_staff_assisted BOOLEAN,
    age_band VARCHAR, education_level VARCHAR, digital_skills VARCHAR, support_tier VARCHAR,
    n_contacts BIGINT,
    n_rated BIGINT, n_satisfied BIGINT, n_appointments BIGINT, n_no_shows BIGINT,
    n_resolution_known BIGINT, n_resolved BIGINT);
CREATE TABLE marts.mart_jobseeker_flows_monthly (month DATE, region_code VARCHAR,
    region_name VARCHAR, age_band VARCHAR, sex VARCHAR, education_level VARCHAR,
    digital_skills VARCHAR, support_tier VARCHAR, n_stock_end BIGINT, n_inflows BIGINT,
    n_exits BIGINT, n_exits_employment BIGINT, n_exits_training BIGINT,
    n_exits_other_benefit BIGINT, n_exits_sanction_or_removal BIGINT,
    n_exits_no_renewal BIGINT, n_exits_retirement BIGINT, n_exits_other BIGINT);
CREATE TABLE marts.mart_vacancies_monthly (month DATE, region_code VARCHAR, region_name VARCHAR,
    isco_major_group VARCHAR, isco_major_group_label VARCHAR, employer_size VARCHAR,
    n_vacancies_posted BIGINT, n_positions_posted BIGINT, n_vacancies_closed BIGINT,
    n_filled_pes BIGINT, n_filled_other BIGINT, n_open_end BIGINT);
"""


def _months() -> list[dt.date]:
    return [dt.date(FIRST_MONTH.year + (FIRST_MONTH.month - 1 + i) // 12,
                    (FIRST_MONTH.month - 1 + i) % 12 + 1, 1) for i in range(N_MONTHS)]


def _contacts(rng: random.Random, agencies: list[tuple[str, str, str]]) -> pl.DataFrame:
    rows: dict[tuple, list[int]] = {}
    for i, month in enumerate(_months()):
        for agency_code, _name, region_code in agencies:
            for _ in range(45):
                party = rng.choice(("jobseeker", "jobseeker", "jobseeker", "employer"))
                # Digital use grows over time so that trends and changes are not flat.
                digital = rng.random() < 0.35 + 0.01 * i
                channel = rng.choice(DIGITAL_CHANNELS if digital else
                                     tuple(c for c in CHANNELS if c not in DIGITAL_CHANNELS))
                segment = ("n/a", "n/a", "n/a") if party == "employer" else (
                    rng.choice(AGE_BANDS), rng.choice(DIGITAL_SKILLS), rng.choice(SUPPORT_TIERS))
                key = (month, region_code, agency_code, channel, rng.choice(SERVICES),
                       rng.choice(("inbound", "inbound", "outbound")), party,
                       rng.random() < 0.5, *segment)
                n = rng.randint(1, 60)
                rated = rng.randint(0, n // 3)
                appts = rng.randint(0, n // 4)
                known = rng.randint(0, n)
                add = [n, rated, rng.randint(0, rated), appts, rng.randint(0, appts), known,
                       rng.randint(0, known)]
                rows[key] = [a + b for a, b in zip(rows.get(key, [0] * 7), add, strict=True)]
    names = ("month", "region_code", "agency_code", "channel", "service", "direction",
             "party_type", "is_staff_assisted", "age_band", "digital_skills", "support_tier",
             "n_contacts", "n_rated", "n_satisfied", "n_appointments", "n_no_shows",
             "n_resolution_known", "n_resolved")
    return pl.DataFrame([(*k, *v) for k, v in rows.items()], schema=names, orient="row")


def _flows(rng: random.Random) -> pl.DataFrame:
    rows: dict[tuple, list[int]] = {}
    for month in _months():
        for region_code in REGIONS:
            for _ in range(30):
                key = (month, region_code, rng.choice(AGE_BANDS[:3]), rng.choice("FM"),
                       rng.choice(("low", "medium", "high")), rng.choice(DIGITAL_SKILLS),
                       rng.choice(SUPPORT_TIERS[:4]))
                exits = [rng.randint(0, 20) for _ in range(7)]
                add = [rng.randint(50, 900), rng.randint(0, 80), sum(exits), *exits]
                rows[key] = [a + b for a, b in zip(rows.get(key, [0] * 10), add, strict=True)]
    names = ("month", "region_code", "age_band", "sex", "education_level", "digital_skills",
             "support_tier", "n_stock_end", "n_inflows", "n_exits", "n_exits_employment",
             "n_exits_training", "n_exits_other_benefit", "n_exits_sanction_or_removal",
             "n_exits_no_renewal", "n_exits_retirement", "n_exits_other")
    return pl.DataFrame([(*k, *v) for k, v in rows.items()], schema=names, orient="row")


def _vacancies(rng: random.Random) -> pl.DataFrame:
    rows: dict[tuple, list[int]] = {}
    for month in _months():
        for region_code in REGIONS:
            for _ in range(12):
                key = (month, region_code, str(rng.randint(0, 9)),
                       rng.choice(("micro", "small", "medium", "large")))
                posted = rng.randint(1, 40)
                add = [posted, posted + rng.randint(0, 10), rng.randint(0, posted),
                       rng.randint(0, 10), rng.randint(0, 10), rng.randint(0, 120)]
                rows[key] = [a + b for a, b in zip(rows.get(key, [0] * 6), add, strict=True)]
    names = ("month", "region_code", "isco_major_group", "employer_size", "n_vacancies_posted",
             "n_positions_posted", "n_vacancies_closed", "n_filled_pes", "n_filled_other",
             "n_open_end")
    return pl.DataFrame([(*k, *v) for k, v in rows.items()], schema=names, orient="row")


def build_tiny_warehouse(path: Path, *, seed: int = 7) -> None:
    """Write a small published snapshot with exactly the schema the dashboard reads."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    agencies = [(f"{code}{i:02d}", f"Agence {name.split('-')[0]} {i}", code)
                for code, name in REGIONS.items() for i in (1, 2)]
    region_df = pl.DataFrame({"region_code": list(REGIONS), "region_name": list(REGIONS.values())})
    agency_df = pl.DataFrame(agencies, schema=("agency_code", "agency_name", "region_code"),
                             orient="row")
    contacts, flows, vacancies = _contacts(rng, agencies), _flows(rng), _vacancies(rng)
    con = duckdb.connect(str(path))
    try:
        for name, frame in (("region_df", region_df), ("agency_df", agency_df),
                            ("contacts", contacts), ("flows", flows), ("vacancies", vacancies)):
            con.register(name, frame)
        con.execute(DDL)
        con.execute("INSERT INTO core.dim_region SELECT region_code, region_name FROM region_df")
        con.execute("""INSERT INTO core.dim_agency SELECT a.agency_code, a.agency_name,
                       a.region_code, r.region_name, 45.0, 4.0
                       FROM agency_df a JOIN region_df r USING (region_code)""")
        con.execute("""INSERT INTO marts.mart_contacts_monthly
            SELECT c.month, c.region_code, r.region_name, c.agency_code, a.agency_name,
                   c.channel, list_contains($digital, c.channel), c.service, c.direction,
                   c.party_type, c.is_staff_assisted, c.age_band,
                   CASE WHEN c.party_type = 'employer' THEN 'n/a' ELSE 'unknown' END,
                   c.digital_skills, c.support_tier, c.n_contacts, c.n_rated, c.n_satisfied,
                   c.n_appointments, c.n_no_shows, c.n_resolution_known, c.n_resolved
            FROM contacts c JOIN region_df r USING (region_code)
            JOIN agency_df a USING (agency_code)""", {"digital": list(DIGITAL_CHANNELS)})
        # The Channels section's mix and shares read the same counts without service.
        con.execute("""CREATE TABLE marts.mart_channel_contacts_monthly AS
            SELECT month, region_code, region_name, agency_code, agency_name, party_type,
                   direction, age_band, education_level, digital_skills, support_tier, channel,
                   is_digital, sum(n_contacts)::BIGINT AS n_contacts
            FROM marts.mart_contacts_monthly GROUP BY ALL""")
        con.execute("""INSERT INTO marts.mart_jobseeker_flows_monthly
            SELECT f.month, f.region_code, r.region_name, f.age_band, f.sex,
                   f.education_level, f.digital_skills, f.support_tier, f.n_stock_end,
                   f.n_inflows, f.n_exits, f.n_exits_employment, f.n_exits_training,
                   f.n_exits_other_benefit, f.n_exits_sanction_or_removal,
                   f.n_exits_no_renewal, f.n_exits_retirement, f.n_exits_other
            FROM flows f JOIN region_df r USING (region_code)""")
        con.execute("""INSERT INTO marts.mart_vacancies_monthly
            SELECT v.month, v.region_code, r.region_name, v.isco_major_group,
                   'ISCO group ' || v.isco_major_group, v.employer_size, v.n_vacancies_posted,
                   v.n_positions_posted, v.n_vacancies_closed, v.n_filled_pes,
                   v.n_filled_other, v.n_open_end
            FROM vacancies v JOIN region_df r USING (region_code)""")
        con.execute("INSERT INTO meta.dataset VALUES (true, $from, $to, "
                    "TIMESTAMPTZ '2026-01-05 08:30:00+00', 'test-run')",
                    {"from": _months()[0], "to": _months()[-1]})
    finally:
        con.close()


@pytest.fixture(scope="session")
def dash_settings(request: pytest.FixtureRequest, tmp_path_factory) -> Settings:
    """Settings whose published snapshot holds data: the demo warehouse built through the real
    pipeline (tests/conftest.py), or the tiny one here when that fixture is missing or when
    OBSERVATORY_TEST_TINY_WAREHOUSE=1 asks for a fast run."""
    try:
        if os.environ.get("OBSERVATORY_TEST_TINY_WAREHOUSE") == "1":
            raise pytest.FixtureLookupError("demo_home", request, "tiny warehouse requested")
        return request.getfixturevalue("demo_home")
    except pytest.FixtureLookupError:
        settings = Settings(home=tmp_path_factory.mktemp("dash-home"))
        build_tiny_warehouse(settings.published_db)
        return settings


@pytest.fixture(scope="session")
def tiny_warehouse():
    """The builder of a tiny published snapshot: ``tiny_warehouse(path, seed=...)``."""
    return build_tiny_warehouse


@pytest.fixture(scope="session")
def empty_settings(tmp_path_factory) -> Settings:
    """Settings of a home where nothing has been published yet."""
    return Settings(home=tmp_path_factory.mktemp("dash-empty"))


@pytest.fixture(scope="session")
def marts(dash_settings: Settings) -> dict[str, pl.DataFrame]:
    """Every mart row, read once, for independent recomputation with Polars."""
    con = open_read_only(dash_settings.published_db)
    try:
        return {name: con.sql(f"SELECT * FROM {name}").pl() for name in (
            "marts.mart_contacts_monthly", "marts.mart_jobseeker_flows_monthly",
            "marts.mart_vacancies_monthly", "meta.dataset", "core.dim_region")}
    finally:
        con.close()


@pytest.fixture(autouse=True)
def _no_leaked_dash_app_context():
    """Dash sets its app context var in the caller's context (dash._get_app.with_app_context),
    so an app used by one test would answer dash.get_app() in the next. Start each test clean."""
    from dash._get_app import app_context

    token = app_context.set(None)
    yield
    app_context.reset(token)


# -- who logs in --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    name: str
    role: str
    password: str
    regions: tuple[str, ...] = ()


# Known passwords, in every home a test serves (served_dashboard) or logs in to (login_client).
ANALYST = Account("ana", "analyst", "analyst-password-1")
MANAGER = Account("mia", "manager", "manager-password-1", ("FRK",))  # a region of both demos
ADMIN = Account("ada", "admin", "admin-password-12")
ACCOUNTS = (ANALYST, MANAGER, ADMIN)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def ensure_accounts(home: Path) -> None:
    """Write the test accounts into ``home``'s users.toml unless they are there already."""
    settings = Settings(home=Path(home))
    present = {u.name for u in users.list_users(settings)}
    for account in ACCOUNTS:
        if account.name not in present:
            users.add_user(settings, account.name, account.role, account.password,
                           account.regions)


def http_login(client, base_url: str, account: Account, next_path: str = "/"):
    """Log ``client`` in through the real form: a Flask test client (base_url "") or a
    requests.Session; returns the client, its session cookie set."""
    token = _CSRF.search(client.get(f"{base_url}/login").text).group(1)
    extra = {} if hasattr(client, "application") else {"allow_redirects": False}
    response = client.post(f"{base_url}/login", data={
        "name": account.name, "password": account.password, "csrf_token": token,
        "next": next_path}, **extra)
    assert response.status_code == 302, (response.status_code, response.text[:500])
    return client


def browser_login(page, base_url: str, account: Account) -> None:
    """Log a Playwright page's browser context in (over HTTP, sharing the context's cookies),
    without loading a page: the log-in form itself is tested in test_auth.py."""
    request = page.context.request
    token = _CSRF.search(request.get(f"{base_url}/login").text()).group(1)
    response = request.post(f"{base_url}/login", max_redirects=0, form={
        "name": account.name, "password": account.password, "csrf_token": token})
    assert response.status == 302, (response.status, response.text()[:500])


@pytest.fixture(scope="session")
def accounts() -> SimpleNamespace:
    """The test accounts: ``accounts.analyst``, ``.manager`` (FRK only), ``.admin``."""
    return SimpleNamespace(analyst=ANALYST, manager=MANAGER, admin=ADMIN, all=ACCOUNTS)


@pytest.fixture(scope="session")
def login():
    """``login(page, base_url, account)``: log a Playwright page in."""
    return browser_login


@pytest.fixture(scope="session")
def login_client():
    """``login_client(app, account=ADMIN)``: a Flask test client of a Dash app, logged in."""
    from dashboards import db

    def make(app, account: Account = ADMIN):
        ensure_accounts(getattr(app, db.SETTINGS_ATTRIBUTE).home)
        return http_login(app.server.test_client(), "", account)

    return make


# -- a real server and a real browser ----------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium tries Google's hosts, which are unreachable.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
_REPO = Path(__file__).resolve().parents[2]


@contextmanager
def served_dashboard(home: Path, probe: str = "/") -> Iterator[str]:
    """The dashboard served by dashboards.app.serve in its own process, as in production; the
    test accounts can log in."""
    ensure_accounts(home)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = ("import sys; from observatory.settings import load_settings; "
            "from dashboards.app import serve; "
            "serve(load_settings(sys.argv[1]), '127.0.0.1', int(sys.argv[2]))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
        str(_REPO), os.environ.get("PYTHONPATH")]))}
    server = subprocess.Popen([sys.executable, "-c", code, str(home), str(port)], cwd=_REPO,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(url + probe, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"dashboard did not start: {server.stderr.read()}")
                if time.monotonic() > deadline:
                    pytest.fail("dashboard did not answer within 60 s")
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="module")
def serve_dashboard():
    """Start a dashboard for a home (``serve_dashboard(home, probe)``); stopped after the module."""
    with ExitStack() as stack:
        yield lambda home, probe="/": stack.enter_context(served_dashboard(home, probe))


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, driven by Playwright (it never downloads a browser)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
