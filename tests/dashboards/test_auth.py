"""Logging in to the dashboard: who gets in, where they go, what their role opens, and the limits
on guessing. Real app, real HTTP (Flask's test client or a served process), real Chromium."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboards import auth
from dashboards.app import create_app
from dashboards.pages import data_quality as dq
from observatory import users
from observatory.settings import Settings, SettingsError
from tests.dashboards.layout import route as route_page

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "warehouse"))
import public_data  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
COOKIE = auth.SESSION_COOKIE


# -- fixtures --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def home(tmp_path_factory, tiny_warehouse, accounts) -> Settings:
    """A home with a small published warehouse; the test accounts can log in."""
    settings = Settings(home=tmp_path_factory.mktemp("auth-home"))
    tiny_warehouse(settings.published_db)
    for account in accounts.all:
        users.add_user(settings, account.name, account.role, account.password, account.regions)
    return settings


@pytest.fixture
def app(home):
    return create_app(home)


@pytest.fixture
def anonymous(app):
    return app.server.test_client()


def token_of(client, path: str = "/login") -> str:
    return CSRF.search(client.get(path).text).group(1)


def post_login(client, name: str, password: str, *, token: str | None = None, next_path="/",
               address: str = "127.0.0.1"):
    token = token_of(client) if token is None else token
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token,
                                       "next": next_path},
                       environ_base={"REMOTE_ADDR": address})


def components(node):
    """Every component of a layout as Dash sends it (JSON): {"type", "props"} dicts."""
    if isinstance(node, dict):
        if "props" in node and "type" in node:
            yield node
        for value in node.values():
            yield from components(value)
    elif isinstance(node, list):
        for value in node:
            yield from components(value)


def shell(client) -> dict[str, dict]:
    """The props of the shell's components with an id (string ids) or an href."""
    layout = client.get("/_dash-layout").get_json()
    found = {}
    for c in components(layout):
        props = c["props"]
        key = props.get("id") if isinstance(props.get("id"), str) else props.get("href")
        if key:
            found[key] = props
    return found


def logout_token(client) -> str:
    """The CSRF token of the log-out form in the shell's header."""
    return shell(client)["logout-csrf"]["value"]


def route(client, pathname: str, search: str = ""):
    """Ask the Dash page router for a page, as the browser does: (status, JSON text)."""
    response = route_page(client, pathname, search)
    return response.status_code, json.dumps(response.get_json())


def data_quality_callback(client):
    """The data-quality page's content callback, as the browser calls it."""
    output = f"..{dq.CONTENT_ID}.children...dq-view-status.children.."
    return client.post("/_dash-update-component", json={
        "output": output,
        "outputs": [{"id": dq.CONTENT_ID, "property": "children"},
                    {"id": "dq-view-status", "property": "children"}],
        "inputs": [{"id": dq.VIEW_ID, "property": "data", "value": ""}],
        "changedPropIds": [f"{dq.VIEW_ID}.data"], "state": [],
    })


# -- who gets in -----------------------------------------------------------------------------

def test_anonymous_pages_redirect_to_login_with_the_page_as_next(anonymous):
    response = anonymous.get("/channels?region=FRK")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and not location.netloc
    assert parse_qs(location.query) == {"next": ["/channels?region=FRK"]}
    assert anonymous.get("/").headers["Location"] == "/login"


@pytest.mark.parametrize("method, path", [
    ("POST", "/_dash-update-component"), ("GET", "/_dash-layout"),
    ("GET", "/_dash-dependencies")])
def test_anonymous_dash_endpoints_answer_401_json(anonymous, method, path):
    response = anonymous.open(path, method=method, json={})
    assert response.status_code == 401
    assert response.get_json()["login"] == "/login"


@pytest.fixture(scope="module")
def public_home(tmp_path_factory) -> Settings:
    settings = Settings(home=tmp_path_factory.mktemp("auth-public-home"))
    public_data.build_public_warehouse(settings.published_db)
    return settings


@pytest.mark.parametrize("path", ["/public/", "/public/region/FRK?lang=fr", "/api/v1/",
                                  "/api/v1/region-monthly?region=FRK", "/api/v1/openapi.json",
                                  "/healthz", "/assets/observatory.css"])
def test_public_section_health_and_assets_are_open(public_home, path):
    client = create_app(public_home).server.test_client()
    response = client.get(path)
    assert response.status_code == 200, path
    assert COOKIE not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("path", ["/publicity", "/api/v10", "/public/no/such/page",
                                  "/api/v1/a/b/c", "/embed/x"])
def test_what_is_not_a_public_route_is_not_open(anonymous, path):
    # Dash's catch-all would serve its (internal) shell for any path: not without a log-in.
    assert anonymous.get(path).status_code == 302


def test_login_logout_and_the_session_cookie(anonymous, accounts):
    ensure = accounts.analyst
    response = post_login(anonymous, ensure.name, ensure.password, next_path="/channels?region=FRK")
    assert response.status_code == 302
    assert response.headers["Location"] == "/channels?region=FRK"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires=" in cookie  # a lifetime, not a browser-session cookie
    assert anonymous.get("/channels").status_code == 200
    assert route(anonymous, "/channels")[0] == 200

    # The log-in page of a logged-in user goes straight on.
    assert anonymous.get("/login?next=/outcomes").headers["Location"] == "/outcomes"
    assert shell(anonymous)["user-name"]["children"] == ensure.name

    response = anonymous.post("/logout", data={"csrf_token": logout_token(anonymous)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "You have logged out." in anonymous.get("/login").text
    assert anonymous.get("/channels").status_code == 302
    assert anonymous.post("/_dash-update-component", json={}).status_code == 401


def test_a_logged_in_session_is_a_new_one(anonymous, accounts):
    before = token_of(anonymous)
    post_login(anonymous, accounts.analyst.name, accounts.analyst.password, token=before)
    assert logout_token(anonymous) != before  # the anonymous session's token is gone


def test_wrong_password_and_unknown_name_get_the_same_answer(anonymous, accounts):
    wrong = post_login(anonymous, accounts.analyst.name, "not-the-password")
    unknown = post_login(anonymous, "nobody-at-all", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Unknown name or wrong password." in response.text
        assert 'role="alert"' in response.text
    assert anonymous.get("/channels").status_code == 302


def test_the_login_page_is_accessible_plain_html(anonymous):
    page = anonymous.get("/login?next=/channels").text
    assert '<html lang="en">' in page and "<h1>Log in</h1>" in page
    assert '<label for="login-name">' in page and 'id="login-name"' in page
    assert '<label for="login-password">' in page and 'autocomplete="current-password"' in page
    assert '<input type="hidden" name="next" value="/channels">' in page
    assert "<script" not in page
    assert anonymous.get("/login").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
    "http:/evil.example", "/login?next=//evil.example", "channels", "/\r\nSet-Cookie: x=1", ""])
def test_next_never_leaves_the_site(anonymous, accounts, target):
    response = post_login(anonymous, accounts.analyst.name, accounts.analyst.password,
                          next_path=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_safe_next_keeps_paths_and_queries():
    assert auth.safe_next("/channels/journeys?region=FRK&from=2025-01") == \
        "/channels/journeys?region=FRK&from=2025-01"
    assert auth.safe_next("/\t/evil.example") == "/"
    assert auth.safe_next(None) == "/"


# -- CSRF ------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", ["", "forged-token"])
def test_login_without_the_session_csrf_token_is_refused(anonymous, accounts, token):
    token_of(anonymous)  # the session has a token; the form does not send it
    response = post_login(anonymous, accounts.analyst.name, accounts.analyst.password,
                          token=token)
    assert response.status_code == 403
    assert "This form has expired or did not come from this site" in response.text
    assert anonymous.get("/channels").status_code == 302


def test_login_with_no_session_at_all_is_refused(app, accounts):
    fresh = app.server.test_client()
    response = fresh.post("/login", data={"name": accounts.analyst.name,
                                          "password": accounts.analyst.password})
    assert response.status_code == 403


def test_logout_without_the_csrf_token_is_refused(app, login_client, accounts):
    client = login_client(app, accounts.analyst)
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/channels").status_code == 200  # still logged in
    assert client.get("/logout").status_code == 405  # not the Dash app's catch-all page


# -- roles -----------------------------------------------------------------------------------

def test_data_quality_is_for_administrators_only(app, login_client, accounts):
    for account in (accounts.analyst, accounts.manager):
        client = login_client(app, account)
        links = shell(client)
        assert "/channels" in links and "/data-quality" not in links  # no link in the nav
        status, page = route(client, dq.PATH)
        assert status == 200 and "access-denied" in page
        assert "only administrators see the data-quality and operations views" in page
        response = data_quality_callback(client)
        assert response.status_code == 403
        assert "administrators" in response.get_json()["error"]

    admin = login_client(app, accounts.admin)
    assert "/data-quality" in shell(admin)
    status, page = route(admin, dq.PATH)
    assert status == 200 and "access-denied" not in page and "dq-content" in page
    assert data_quality_callback(admin).status_code == 200


def test_the_header_says_who_is_logged_in(app, login_client, accounts):
    found = shell(login_client(app, accounts.manager))
    assert found["user-name"]["children"] == accounts.manager.name
    assert found["user-role"]["children"] == "(manager, FRK)"
    form = next(c["props"] for c in components(
        login_client(app, accounts.manager).get("/_dash-layout").get_json())
        if c["type"] == "Form")
    assert (form["action"], form["method"]) == ("/logout", "post")
    assert found["logout-csrf"]["name"] == "csrf_token"


def test_removing_a_user_or_changing_their_password_logs_them_out(home, app):
    users.add_user(home, "temp", "analyst", "temporary-password")
    client = app.server.test_client()
    assert post_login(client, "temp", "temporary-password").status_code == 302
    assert client.get("/channels").status_code == 200
    users.remove_user(home, "temp")
    response = client.get("/channels")
    assert response.status_code == 302
    assert f"{COOKIE}=;" in response.headers["Set-Cookie"]  # the stale session is cleared
    assert client.post("/_dash-update-component", json={}).status_code == 401

    # Removed and added again, with a new password: the old session stays out.
    users.add_user(home, "temp", "admin", "temporary-password")
    client = app.server.test_client()
    assert post_login(client, "temp", "temporary-password").status_code == 302
    cookie = client.get_cookie(COOKIE).value
    users.remove_user(home, "temp")
    users.add_user(home, "temp", "admin", "another-password-2")
    other = app.server.test_client()
    other.set_cookie(COOKIE, cookie)
    assert other.get("/channels").status_code == 302
    users.remove_user(home, "temp")


def test_without_users_the_login_page_says_how_to_add_one(tmp_path, tiny_warehouse):
    settings = Settings(home=tmp_path)
    tiny_warehouse(settings.published_db)
    client = create_app(settings).server.test_client()
    page = client.get("/login").text
    assert "No users are defined yet" in page and "observatory users add" in page
    assert "<form" not in page
    assert client.get("/channels").status_code == 302


# -- sessions across workers and in production -----------------------------------------------

def test_two_workers_share_the_session_key(home, accounts):
    first, second = create_app(home).server.test_client(), create_app(home).server.test_client()
    assert post_login(first, accounts.admin.name, accounts.admin.password).status_code == 302
    second.set_cookie(COOKIE, first.get_cookie(COOKIE).value)
    assert second.get("/channels").status_code == 200
    assert oct(home.session_key_file.stat().st_mode & 0o777) == "0o600"


def test_production_cookies_are_secure(home, accounts):
    client = create_app(home, production=True).server.test_client()
    response = post_login(client, accounts.analyst.name, accounts.analyst.password)
    assert "Secure" in response.headers["Set-Cookie"]


def test_the_session_key_can_come_from_the_environment(tmp_path, monkeypatch):
    settings = Settings(home=tmp_path)
    monkeypatch.setenv(auth.SESSION_KEY_ENV, "k" * 40)
    assert auth.session_secret(settings) == b"k" * 40
    assert not settings.session_key_file.exists()
    monkeypatch.setenv(auth.SESSION_KEY_ENV, "short")
    with pytest.raises(SettingsError, match="too short"):
        auth.session_secret(settings)


# -- failed log-ins --------------------------------------------------------------------------

@pytest.fixture
def limited_home(tmp_path, tiny_warehouse) -> Settings:
    settings = Settings(home=tmp_path)
    tiny_warehouse(settings.published_db)
    users.add_user(settings, "victim", "admin", "the-right-password")
    return settings


def test_too_many_failures_for_a_name_get_429_even_with_the_right_password(limited_home):
    client = create_app(limited_home).server.test_client()
    for i in range(auth.MAX_FAILURES_PER_NAME):
        assert post_login(client, "victim", f"guess-{i}", address=f"10.0.0.{i}").status_code == 401
    refused = post_login(client, "victim", "the-right-password", address="10.0.1.1")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= auth.FAILURE_WINDOW.total_seconds()
    assert "Too many failed log-ins" in refused.text and "Try again in 15 minutes" in refused.text
    assert client.get("/channels").status_code == 302
    # Another name from the same addresses is not affected.
    users.add_user(limited_home, "bystander", "analyst", "bystander-password")
    assert post_login(client, "bystander", "bystander-password",
                      address="10.0.0.1").status_code == 302


def test_the_limit_holds_across_two_workers_of_one_home(limited_home):
    first = create_app(limited_home).server.test_client()
    second = create_app(limited_home).server.test_client()
    for i in range(auth.MAX_FAILURES_PER_NAME):
        client = (first, second)[i % 2]
        assert post_login(client, "victim", f"guess-{i}").status_code == 401
    for client in (first, second):
        assert post_login(client, "victim", "the-right-password").status_code == 429


def test_a_success_clears_the_failures_of_its_name(limited_home):
    client = create_app(limited_home).server.test_client()
    for _ in range(2):
        for i in range(auth.MAX_FAILURES_PER_NAME - 1):
            assert post_login(client, "victim", f"guess-{i}").status_code == 401
        assert post_login(client, "victim", "the-right-password").status_code == 302
        assert client.post("/logout", data={"csrf_token": logout_token(client)}).status_code == 302


def test_failures_from_one_address_are_limited_too(tmp_path):
    throttle = auth.LoginThrottle(tmp_path / "state" / "attempts.sqlite", per_name=100,
                                  per_address=3)
    for i in range(3):
        assert not throttle.attempt(f"name-{i}", "192.0.2.7").refused
    assert throttle.attempt("someone-else", "192.0.2.7").refused
    assert not throttle.attempt("someone-else", "192.0.2.8").refused
    stored = (tmp_path / "state" / "attempts.sqlite").read_bytes()
    assert b"192.0.2.7" not in stored and b"name-1" not in stored  # kept hashed
    assert oct(os.stat(tmp_path / "state" / "attempts.sqlite").st_mode & 0o777) == "0o600"


def test_failures_leave_the_window(tmp_path):
    throttle = auth.LoginThrottle(tmp_path / "a.sqlite", window=dt.timedelta(seconds=1),
                                  per_name=1)
    assert not throttle.attempt("x", "a").refused
    assert throttle.attempt("x", "b").retry_after == 1
    time.sleep(1.1)
    assert not throttle.attempt("x", "c").refused


# -- in Chromium -----------------------------------------------------------------------------

@pytest.mark.browser
def test_log_in_through_the_form_then_log_out(home, serve_dashboard, browser, accounts):
    base_url = serve_dashboard(home.home, "/login")
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(base_url + "/channels?region=FRK")
        assert urlsplit(page.url).path == "/login"
        assert page.title() == "Log in · PES Observatory"
        page.get_by_label("Name").fill(accounts.analyst.name)
        page.get_by_label("Password").fill("wrong-password!")
        page.get_by_role("button", name="Log in").click()
        assert page.get_by_role("alert").inner_text() == "Unknown name or wrong password."
        assert page.get_by_label("Name").input_value() == accounts.analyst.name

        page.get_by_label("Password").fill(accounts.analyst.password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("#user-name")
        assert page.url == base_url + "/channels?region=FRK"
        assert page.inner_text("#user-name") == accounts.analyst.name
        assert page.inner_text("#user-role") == "(analyst)"
        assert page.get_by_role("link", name="Data quality").count() == 0
        page.wait_for_selector("#channels-mix .main-svg")

        page.get_by_role("button", name="Log out").click()
        page.wait_for_selector("#login-notice")
        assert page.inner_text("#login-notice") == "You have logged out."
        page.goto(base_url + "/channels")
        assert urlsplit(page.url).path == "/login"
        assert errors == []
    finally:
        context.close()


@pytest.mark.browser
def test_an_ended_session_sends_the_open_page_to_the_log_in_and_back(home, serve_dashboard,
                                                                     browser, accounts):
    base_url = serve_dashboard(home.home, "/login")
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(base_url + "/channels?region=FRK")
        page.get_by_label("Name").fill(accounts.analyst.name)
        page.get_by_label("Password").fill(accounts.analyst.password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("#channels-mix .main-svg")
        context.clear_cookies()  # the session ends while the page is open
        page.get_by_text("Share of month").click()  # the next callback gets a 401
        page.wait_for_url("**/login?next=*")
        assert parse_qs(urlsplit(page.url).query)["next"] == ["/channels?region=FRK"]
        page.get_by_label("Name").fill(accounts.analyst.name)
        page.get_by_label("Password").fill(accounts.analyst.password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("#channels-mix .main-svg")
        assert page.url == base_url + "/channels?region=FRK"
    finally:
        context.close()


AXE = ROOT / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.browser
def test_axe_finds_no_violation_on_the_login_page(home, serve_dashboard, browser):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `npm ci --prefix tests/a11y`")
    base_url = serve_dashboard(home.home, "/login")
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    try:
        page.goto(base_url + "/login?next=/channels")
        page.get_by_label("Name").fill("somebody")
        page.get_by_label("Password").fill("not-a-password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("#login-error")  # the page with its error message
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document)")
        violations = [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
                      for v in result["violations"]]
        assert violations == [], json.dumps(violations, indent=1)
    finally:
        context.close()
