"""Production mode: `observatory serve --prod` under gunicorn, its headers, its logs, its stops.

Real gunicorn in its own process, real HTTP on loopback, real log-ins through the form, and
Debian's headless Chromium for the Content-Security-Policy: every page must render with no
violation reported by the browser.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import load  # noqa: E402

INTERNAL_PAGES = (*load.INTERNAL_PAGES, *load.ADMIN_PAGES)
# Personal-looking values sent in query strings and cookies: they must never reach a log.
SECRET_QUERY = "jean.dupont@example.org"
SECRET_COOKIE = "tracking-7f3a9c"


def shared_data_dir() -> Path:
    override = os.environ.get("OBSERVATORY_SHARED_DATA")
    return Path(override).resolve() if override else (ROOT / ".." / "shared" / "data").resolve()


def add_official_statistics(home: Path) -> bool:
    """Eurostat's monthly unemployment and the NUTS 0 map, so the Labour market page draws its
    map (plotly.js fetches a topology from a data: URL, which the CSP must allow)."""
    files = [shared_data_dir() / "eurostat" / "une_rt_m.csv",
             shared_data_dir() / "geo" / "NUTS_RG_20M_2021_4326_LEVL_0.geojson"]
    if not all(f.exists() for f in files):
        return False
    from observatory.settings import load_settings
    from pipelines import official
    from warehouse.build import publish
    from warehouse.db import connect_build

    settings = load_settings(home)
    con = connect_build(settings.build_db)
    try:
        outcomes = official.import_files(con, files, "run-prod-test")
        assert all(o.outcome == "loaded" for o in outcomes), [o.describe() for o in outcomes]
        con.execute("checkpoint")
    finally:
        con.close()
    publish(settings.build_db, settings.published_db)
    return True


@pytest.fixture(scope="module")
def prod(demo_home, tmp_path_factory):
    """The demo home copied (with official statistics when ../shared/data is there), three
    accounts, and `observatory serve --prod` on it with two workers."""
    home = tmp_path_factory.mktemp("prod") / "home"
    shutil.copytree(demo_home.home, home, ignore=shutil.ignore_patterns("prefect", "logs"))
    has_map = add_official_statistics(home)
    regions, _months = load.published_facts(home)
    accounts = {a.role: a for a in load.create_accounts(home, regions[0], prefix="prod")}
    with load.production_server(home, workers=2, threads=4) as server:
        yield {"home": home, "server": server, "url": server.url, "accounts": accounts,
               "has_map": has_map}


def logged_in(url: str, account: load.Account) -> load.Client:
    client = load.Client(url)
    response = client.login(account.name, account.password)
    assert response.status == 302, response.text[:500]
    return client


def children_of(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


# -- the server ------------------------------------------------------------------------------

def test_serve_prod_runs_gunicorn_with_two_workers(prod):
    workers = children_of(prod["server"].process.pid)
    assert len(workers) == 2, workers
    stderr = prod["server"].stderr_path.read_text()
    assert "Using worker: gthread" in stderr
    assert stderr.count("Booting worker with pid") == 2
    health = load.healthz(prod["url"])
    assert health["status"] == "ok" and health["refresh_run_id"]


def test_debug_is_refused_in_production(tmp_path, capsys):
    from observatory.cli import main

    assert main(["serve", "--prod", "--debug", "--home", str(tmp_path)]) == 2
    assert "--debug is for development" in capsys.readouterr().err


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl+C"])
def test_a_stop_signal_lets_requests_in_flight_finish_and_exits_cleanly(prod, stop):
    """SIGTERM is a graceful stop; Ctrl+C (SIGINT) stops too, with exit code 0 both times."""
    with load.production_server(prod["home"], workers=2, threads=2) as server:
        client = logged_in(server.url, prod["accounts"]["analyst"])
        deps = client.get("/_dash-dependencies").json()
        answers = []
        # A whole page rendered by Dash's router: the slowest kind of request.
        thread = threading.Thread(target=lambda: answers.append(client.post_json(
            load.CALLBACK_PATH, load.router_body(deps, "/outcomes"))))
        thread.start()
        time.sleep(0.05)
        server.process.send_signal(stop)
        thread.join(timeout=60)
        server.process.wait(timeout=60)
    assert server.returncode == 0, server.stderr_path.read_text()[-2000:]
    if stop == signal.SIGTERM:
        assert answers and answers[0].status == 200
    assert "Shutting down" in server.stderr_path.read_text()


# -- security headers --------------------------------------------------------------------------

def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: (d.split(" ", 1) + [""])[1] for d in
            (p.strip() for p in policy.split(";")) if d}


def test_every_response_carries_the_security_headers(prod):
    anonymous = load.Client(prod["url"])
    analyst = logged_in(prod["url"], prod["accounts"]["analyst"])
    index = analyst.get("/channels")
    script = re.search(r'<script src="(/_dash-component-suites/[^"]+)"', index.text).group(1)
    responses = {
        "internal page": index,
        "internal page, logged out": anonymous.get("/channels"),  # redirect to the log-in
        "log-in form": anonymous.get("/login"),
        "callback, logged out": anonymous.post_json(load.CALLBACK_PATH, {}),
        "callback": analyst.post_json(load.CALLBACK_PATH, load.router_body(
            analyst.get("/_dash-dependencies").json(), "/")),
        "script": anonymous.get(script),
        "stylesheet": anonymous.get("/assets/observatory.css"),
        "healthz": anonymous.get("/healthz"),
        "api": anonymous.get("/api/v1/regions"),
        "api error": anonymous.get("/api/v1/region-monthly?region=%27"),
        "public index": anonymous.get("/public/"),
        "factsheet": anonymous.get("/public/region/ALL?lang=fr"),
        "unknown factsheet": anonymous.get("/public/region/XX"),
        "embed": anonymous.get("/embed/region/ALL/tension"),
    }
    expected_status = {"internal page, logged out": 302, "callback, logged out": 401,
                       "api error": 400, "unknown factsheet": 404}
    for name, response in responses.items():
        assert response.status == expected_status.get(name, 200), (name, response.status)
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
        assert "camera=()" in headers["Permissions-Policy"], name
        csp = _csp(response)
        assert "http:" not in headers["Content-Security-Policy"], name
        assert "https:" not in headers["Content-Security-Policy"], name
        assert "'unsafe-inline'" not in csp.get("script-src", ""), name
        assert "'unsafe-eval'" not in csp.get("script-src", ""), name
        if name == "embed":
            assert csp["frame-ancestors"] == "*"
            assert "X-Frame-Options" not in headers
        else:
            assert csp["frame-ancestors"] == "'none'", name
            assert headers["X-Frame-Options"] == "DENY", name
    # Internal figures are never kept by a shared cache.
    assert responses["internal page"].headers["Cache-Control"] == "no-store"
    assert responses["callback"].headers["Cache-Control"] == "no-store"


def test_the_dash_page_csp_allows_exactly_its_inline_scripts(prod):
    """Every inline script Dash writes into the page (its renderer, the clientside callbacks)
    has its hash in script-src, and nothing else is allowed inline."""
    analyst = logged_in(prod["url"], prod["accounts"]["analyst"])
    page = analyst.get("/")
    inline = [m.group(2) for m in re.finditer(r"<script(\s[^>]*)?>(.*?)</script>", page.text,
                                              re.S)
              if "src=" not in (m.group(1) or "") and "application/json" not in (m.group(1)
                                                                                   or "")]
    assert len(inline) >= 2  # the renderer and the page-title clientside callback
    hashes = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
              for s in inline}
    sources = set(_csp(page)["script-src"].split())
    assert sources == {"'self'", *hashes}


# -- structured logs ---------------------------------------------------------------------------

def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_one_json_line_per_request_with_user_and_callback_and_nothing_personal(prod):
    analyst = logged_in(prod["url"], prod["accounts"]["analyst"])
    analyst.cookies["tracker"] = SECRET_COOKIE
    deps = analyst.get("/_dash-dependencies").json()
    body = load.router_body(deps, "/channels", f"?region=FRK&q={SECRET_QUERY}")
    assert analyst.post_json(load.CALLBACK_PATH, body).status == 200
    assert analyst.get(f"/channels?q={SECRET_QUERY}&region=FRK").status == 200
    anonymous = load.Client(prod["url"])
    assert anonymous.get(f"/api/v1/region-monthly?region=ALL&from=2026-01&x={SECRET_QUERY}"
                         ).status == 400
    marker = f"/public/region/ALL?lang=fr&who={SECRET_QUERY}"
    assert anonymous.get(marker, headers={"X-Forwarded-For": "203.0.113.9"}).status == 200
    time.sleep(0.3)

    log_file = prod["home"] / "logs" / "access.jsonl"
    raw = log_file.read_text()
    for secret in (SECRET_QUERY, "jean.dupont", SECRET_COOKIE, "observatory_session",
                   "127.0.0.1", "203.0.113", prod["accounts"]["analyst"].password):
        assert secret not in raw, secret
    lines = _json_lines(raw)
    assert lines and all(set(r) >= {"time", "level", "event", "method", "path", "status",
                                    "duration_ms", "pid"} for r in lines)
    assert all(set(r) <= {"time", "level", "event", "method", "path", "callback", "status",
                          "duration_ms", "user", "role", "pid"} for r in lines)
    callback = [r for r in lines if r.get("callback") == body["output"]]
    assert callback, "the router callback is logged with its output id"
    assert callback[-1] | {"time": None, "duration_ms": None, "pid": None} == {
        "time": None, "level": "info", "event": "request", "method": "POST",
        "path": "/_dash-update-component", "callback": body["output"], "status": 200,
        "duration_ms": None, "user": "prod-analyst", "role": "analyst", "pid": None}
    assert callback[-1]["duration_ms"] > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", callback[-1]["time"])
    api = [r for r in lines if r["path"] == "/api/v1/region-monthly"][-1]
    assert api["status"] == 400 and api["level"] == "warning" and "user" not in api
    # The same lines go to stderr (gunicorn's own lines are not JSON and are skipped here).
    stderr = _json_lines(prod["server"].stderr_path.read_text())
    assert callback[-1] in stderr


# -- in the browser ----------------------------------------------------------------------------

# Run in every page before its own scripts: what the browser refuses under the page's CSP.
VIOLATIONS = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
  e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));"""


@pytest.mark.browser
def test_every_page_renders_in_chromium_with_no_csp_violation(prod, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.add_init_script(VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(30_000)
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    url, admin = prod["url"], prod["accounts"]["admin"]

    seen = {}
    page.goto(url + "/login", wait_until="networkidle")
    seen["/login"] = (1, page.evaluate("window.__cspViolations"))
    page.fill("#login-name", admin.name)
    page.fill("#login-password", admin.password)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")

    for path in INTERNAL_PAGES:
        page.goto(url + path, wait_until="networkidle")
        page.wait_for_selector("#main-content h1")
        seen[path] = (page.locator(".js-plotly-plot").count(),
                      page.evaluate("window.__cspViolations"))
    assert all(n > 0 for path, (n, _) in seen.items() if path != "/labour-market"), seen
    if prod["has_map"]:
        page.goto(url + "/labour-market", wait_until="networkidle")
        page.wait_for_selector("#lm-map path.choroplethlocation")
        seen["/labour-market (map)"] = (1, page.evaluate("window.__cspViolations"))
    for path in ("/public/", "/public/region/ALL?lang=fr", "/public/occupation/2",
                 "/embed/region/ALL/tension"):
        page.goto(url + path, wait_until="networkidle")
        seen[path] = (page.locator("svg").count(), page.evaluate("window.__cspViolations"))
    assert {path: v for path, (_, v) in seen.items() if v} == {}
    assert [m for m in console if "Content Security Policy" in m] == []

    # The listener does see a violation: an image from another origin is refused.
    page.evaluate("() => { const i = new Image(); i.src = 'http://example.invalid/x.png'; "
                  "document.body.appendChild(i); }")
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert page.evaluate("window.__cspViolations")[0].startswith("img-src")
    context.close()


@contextmanager
def another_site(html: str):
    """A page on another origin (another port on loopback) that frames the dashboard."""
    class Page(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
def test_only_embeds_can_be_framed_by_another_site(prod, browser):
    url = prod["url"]
    html = (f'<iframe name="embed" src="{url}/embed/region/ALL/tension"></iframe>'
            f'<iframe name="factsheet" src="{url}/public/region/ALL"></iframe>'
            f'<iframe name="login" src="{url}/login"></iframe>')
    page = browser.new_page()
    with another_site(html) as site:
        page.goto(site, wait_until="networkidle")
        frames = {f.name: f for f in page.frames if f.name}
        assert set(frames) == {"embed", "factsheet", "login"}
        frames["embed"].wait_for_selector("svg")
        assert frames["embed"].url.startswith(url + "/embed/")
        # A refused frame shows Chromium's error page, never the site's content.
        for name in ("factsheet", "login"):
            assert frames[name].url.startswith("chrome-error://"), (name, frames[name].url)
            assert frames[name].locator("main, form").count() == 0
    page.close()
