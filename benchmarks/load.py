"""Load test: simulated users on the production server while a full refresh swaps the snapshot.

    python benchmarks/load.py --home /tmp/load-home [--users 20 --duration 120]

The home must hold a published warehouse (``observatory generate`` then ``observatory
refresh``). The script:

1. starts ``observatory serve --prod`` (gunicorn) on a free loopback port;
2. gives the home three accounts (analyst, manager of one region, admin; random passwords,
   removed at the end) and lets ``--users`` threads log in as them;
3. each user loops over realistic navigations until the time or request budget is spent: an
   internal page (its HTML, then the page as Dash's router renders it), a filter change on it
   (every indicator callback of the page, with the bodies the browser sends), now and then a
   CSV export, a public factsheet, and an open-data API call;
4. meanwhile it lands new data (the demo regenerated with another seed, so that every
   published figure changes) and runs ``observatory refresh`` in a subprocess, and a monitor
   polls /healthz to see when the server starts serving the new snapshot;
5. prints a table and writes docs/benchmarks-load.md: requests, failed requests (the goal is
   none), p50/p95/p99 latency overall and per kind, and the refresh's duration.

A request fails when it cannot connect, times out, or answers a status the browser would not
get for it (any 5xx, a 4xx, a redirect to the log-in). tests/dashboards/test_always_on.py runs
the same users, fewer and for less time, and checks the numbers served after the swap.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CALLBACK_PATH = "/_dash-update-component"
ROUTER_OUTPUT = "_pages_content.children"
INTERNAL_PAGES = ("/", "/channels", "/channels/journeys", "/channels/inclusion",
                  "/channels/quality", "/channels/caseloads", "/outcomes", "/employers",
                  "/labour-market")
ADMIN_PAGES = ("/data-quality",)
API_DATASETS = ("region-monthly", "vacancies-by-occupation", "vacancies-by-unit-group",
                "unemployment-rate")
KINDS = ("page", "callback", "csv", "factsheet", "api", "login")


# -- an HTTP client with cookies, as a browser tab -------------------------------------------

@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    ms: float

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Client:
    """One keep-alive connection and a cookie jar: one simulated browser."""

    def __init__(self, base_url: str, timeout: float = 60.0):
        parts = urlsplit(base_url)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.cookies: dict[str, str] = {}
        self._conn: http.client.HTTPConnection | None = None
        self.reconnects = 0

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, *, json_body=None, form=None,
                headers: dict | None = None) -> Response:
        hdrs = {"Accept": "*/*", "User-Agent": "pes-observatory-load"} | (headers or {})
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs["Content-Type"] = "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port,
                                                        timeout=self.timeout)
            conn, reused = self._conn, self._conn.sock is not None
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=hdrs)
                resp = conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                # A keep-alive connection the server closed while idle (a worker replaced
                # after its max_requests, say): sent again on a new one, as browsers do.
                if reused and attempt == 0:
                    self.reconnects += 1
                    continue
                raise
            except OSError:
                self.close()
                raise
            ms = (time.perf_counter() - started) * 1000
            self._keep_cookies(resp.headers.get_all("Set-Cookie") or [])
            if (resp.getheader("Connection") or "").lower() == "close":
                self.close()
            return Response(resp.status, resp.headers, data, ms)
        raise AssertionError("unreachable")

    def _keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                expired = morsel["max-age"] == "0" or (
                    morsel["expires"] and "1970" in morsel["expires"])
                if expired or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post_json(self, path: str, body) -> Response:
        return self.request("POST", path, json_body=body)

    def login(self, name: str, password: str) -> Response:
        """Log in through the form, as a person would (CSRF token from the page)."""
        page = self.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if page.status != 200 or token is None:
            raise RuntimeError(f"no log-in form at /login ({page.status})")
        return self.request("POST", "/login", form={
            "name": name, "password": password, "csrf_token": token.group(1), "next": "/"})


# -- what Dash's renderer sends ----------------------------------------------------------------

def _parse_id(text: str):
    return json.loads(text) if text.startswith("{") else text


def _id_key(component_id) -> str:
    """Dash's string form of an id: dict ids as JSON with sorted keys."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return component_id


def split_outputs(output: str) -> list[tuple[object, str]]:
    """The (id, property) pairs of a callback's output string."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    pairs = []
    for part in parts:
        id_text, prop = part.rsplit(".", 1)
        pairs.append((_parse_id(id_text), prop.split("@")[0]))
    return pairs


def outputs_field(output: str):
    pairs = [{"id": i, "property": p} for i, p in split_outputs(output)]
    return pairs if output.startswith("..") else pairs[0]


def router_body(dependencies: list[dict], pathname: str, search: str = "") -> dict:
    """The body of the page-router callback for ``pathname``."""
    output = next(d["output"] for d in dependencies if ROUTER_OUTPUT in d["output"])
    return {"output": output, "outputs": outputs_field(output),
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}


def walk_layout(node) -> Iterator[dict]:
    """Every component (as JSON) in a layout returned by Dash."""
    if isinstance(node, list):
        for item in node:
            yield from walk_layout(item)
    elif isinstance(node, dict):
        if "props" in node and "type" in node:
            yield node
            for value in node["props"].values():
                yield from walk_layout(value)
        else:
            for value in node.values():
                yield from walk_layout(value)


def page_components(router_response: dict) -> dict[str, dict]:
    """The page's components by id key (only those with an id): their props."""
    layout = router_response["response"]["_pages_content"]["children"]
    return {_id_key(c["props"]["id"]): c["props"] for c in walk_layout(layout)
            if "id" in c["props"]}


def filter_values(components: dict[str, dict]) -> dict[str, object]:
    """The page's filter controls: {query name: value}."""
    out = {}
    for key, props in components.items():
        if key.startswith("{"):
            component_id = json.loads(key)
            if component_id.get("type") == "filter":
                out[component_id["name"]] = props.get("value")
    return out


def filter_options(components: dict[str, dict]) -> dict[str, list]:
    out = {}
    for key, props in components.items():
        if key.startswith("{") and json.loads(key).get("type") == "filter":
            options = props.get("options") or []
            out[json.loads(key)["name"]] = [o["value"] if isinstance(o, dict) else o
                                            for o in options]
    return out


def _filter_name(id_text: str) -> str | None:
    if not id_text.startswith("{"):
        return None
    component_id = json.loads(id_text)
    if component_id.get("type") == "filter" and isinstance(component_id.get("name"), str):
        return component_id["name"]
    return None


def filter_callbacks(dependencies: list[dict], components: dict[str, dict]) -> list[dict]:
    """The callbacks a filter change on this page runs: all inputs are filters of the page and
    all outputs are on it."""
    found = []
    for dep in dependencies:
        if dep.get("clientside_function") or not dep["inputs"]:
            continue
        names = [_filter_name(i["id"]) for i in dep["inputs"]]
        if any(n is None or _id_key(json.loads(i["id"])) not in components
               for n, i in zip(names, dep["inputs"], strict=True)):
            continue
        if any(_id_key(i) not in components for i, _ in split_outputs(dep["output"])):
            continue
        found.append(dep)
    return found


def callback_body(dep: dict, values: dict[str, object], changed: str | None = None) -> dict:
    """The body the renderer posts for ``dep`` with the filter ``values``."""
    inputs = []
    for item in dep["inputs"]:
        component_id = json.loads(item["id"])
        inputs.append({"id": component_id, "property": item["property"],
                       "value": values.get(component_id["name"])})
    changed_item = next((i for i in dep["inputs"] if _filter_name(i["id"]) == changed),
                        dep["inputs"][0])
    return {"output": dep["output"], "outputs": outputs_field(dep["output"]), "inputs": inputs,
            "changedPropIds": [f"{changed_item['id']}.{changed_item['property']}"],
            "state": []}


def csv_charts(components: dict[str, dict]) -> list[str]:
    return [json.loads(k)["chart"] for k in components
            if k.startswith("{") and json.loads(k).get("type") == "csv-button"]


def csv_body(dependencies: list[dict], chart: str, values: dict[str, object]) -> dict:
    """The body of a "Download the data (CSV)" click on ``chart``."""
    dep = next(d for d in dependencies if '"type":"csv-download"' in d["output"])
    button = {"chart": chart, "type": "csv-button"}
    return {"output": dep["output"],
            "outputs": {"id": {"chart": chart, "type": "csv-download"}, "property": "data"},
            "inputs": [{"id": button, "property": "n_clicks", "value": 1}],
            "changedPropIds": [f"{_id_key(button)}.n_clicks"],
            "state": [[{"id": {"name": name, "type": "filter"}, "property": "value",
                        "value": value} for name, value in values.items()]]}


# -- the server ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    stderr_path: Path
    returncode: int | None = None


@contextlib.contextmanager
def production_server(home: Path, *, workers: int = 2, threads: int = 4, port: int | None = None,
                      log_dir: Path | None = None, startup_timeout: float = 90.0
                      ) -> Iterator[Server]:
    """``observatory serve --prod`` in its own process; stopped with SIGTERM at the end (its
    exit code is then in ``server.returncode``)."""
    port = port or free_port()
    log_dir = Path(log_dir or home / "logs")
    log_dir.mkdir(parents=True, exist_ok=True)
    stderr_path = log_dir / f"serve-prod-{port}.err"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with open(stderr_path, "wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "observatory.cli", "serve", "--prod", "--home", str(home),
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
             "--threads", str(threads)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=err)
    server = Server(f"http://127.0.0.1:{port}", process, stderr_path)
    try:
        wait_until_serving(server, startup_timeout)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        server.returncode = process.returncode


def wait_until_serving(server: Server, timeout: float) -> None:
    """Until /healthz answers and every worker has booted."""
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError("the production server stopped:\n"
                               + server.stderr_path.read_text(errors="replace")[-3000:])
        try:
            client = Client(server.url, timeout=5)
            if client.get("/healthz").status in (200, 503):
                client.close()
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the production server did not answer within {timeout:.0f} s")
        time.sleep(0.25)


def healthz(url: str) -> dict:
    client = Client(url, timeout=10)
    try:
        return client.get("/healthz").json()
    finally:
        client.close()


# -- accounts --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    name: str
    role: str
    password: str
    regions: tuple[str, ...] = ()


def create_accounts(home: Path, region: str, prefix: str = "load") -> list[Account]:
    """An analyst, a manager of ``region`` and an admin, with random passwords."""
    from observatory import users
    from observatory.settings import load_settings

    settings = load_settings(home)
    accounts = [Account(f"{prefix}-analyst", "analyst", secrets.token_urlsafe(18)),
                Account(f"{prefix}-manager", "manager", secrets.token_urlsafe(18), (region,)),
                Account(f"{prefix}-admin", "admin", secrets.token_urlsafe(18))]
    existing = {u.name for u in users.list_users(settings)}
    for a in accounts:
        if a.name in existing:
            users.remove_user(settings, a.name)
        users.add_user(settings, a.name, a.role, a.password, a.regions)
    return accounts


def remove_accounts(home: Path, accounts: list[Account]) -> None:
    from observatory import users
    from observatory.settings import load_settings

    settings = load_settings(home)
    for a in accounts:
        with contextlib.suppress(users.UsersError):
            users.remove_user(settings, a.name)


# -- the simulated users ---------------------------------------------------------------------

@dataclass
class Result:
    kind: str
    what: str
    status: int | None
    ms: float
    ok: bool
    at: float  # time.monotonic() when it ended
    error: str = ""


@dataclass
class Budget:
    """Shared by the users: stop at the deadline, or once ``max_requests`` were sent."""

    deadline: float
    max_requests: int
    stop: threading.Event = field(default_factory=threading.Event)
    _sent: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        if self.stop.is_set() or time.monotonic() >= self.deadline:
            return False
        with self._lock:
            if self._sent >= self.max_requests:
                return False
            self._sent += 1
            return True


class User(threading.Thread):
    """One person: logs in, then navigates until the budget is spent."""

    def __init__(self, number: int, url: str, account: Account, dependencies: list[dict],
                 budget: Budget, regions: list[str], months: list[str], seed: int,
                 think: float = 0.0):
        super().__init__(name=f"user-{number}", daemon=True)
        self.think = think  # mean pause between two navigations, in seconds
        self.url, self.account, self.deps, self.budget = url, account, dependencies, budget
        self.regions, self.months = regions, months
        self.rng = random.Random(seed)
        self.results: list[Result] = []
        self.reconnects = 0

    def record(self, kind: str, what: str, call, expect=(200,)) -> Response | None:
        try:
            response = call()
        except Exception as exc:  # noqa: BLE001 - every failure is a result
            self.results.append(Result(kind, what, None, 0.0, False, time.monotonic(),
                                       f"{type(exc).__name__}: {exc}"))
            return None
        ok = response.status in expect
        error = "" if ok else response.text[:300]
        self.results.append(Result(kind, what, response.status, response.ms, ok,
                                   time.monotonic(), error))
        return response if ok else None

    def run(self) -> None:
        client = Client(self.url)
        try:
            if not self.budget.take():
                return
            self.record("login", "/login", lambda: client.login(self.account.name,
                                                                 self.account.password),
                        expect=(302,))
            pages = INTERNAL_PAGES + (ADMIN_PAGES if self.account.role == "admin" else ())
            while True:
                if self.think:
                    time.sleep(self.rng.uniform(0, 2 * self.think))
                step = self.rng.random()
                if step < 0.6:
                    if not self.visit_page(client, self.rng.choice(pages)):
                        break
                elif step < 0.8:
                    if not self.budget.take():
                        break
                    path = self.factsheet_path()
                    self.record("factsheet", path.split("?")[0], lambda p=path: client.get(p))
                else:
                    if not self.budget.take():
                        break
                    path = self.api_path()
                    self.record("api", path.split("?")[0], lambda p=path: client.get(p))
        finally:
            self.reconnects = client.reconnects
            client.close()

    def factsheet_path(self) -> str:
        lang = self.rng.choice(("en", "fr"))
        if self.rng.random() < 0.7:
            return f"/public/region/{self.rng.choice([*self.regions, 'ALL'])}?lang={lang}"
        return f"/public/occupation/{self.rng.randint(1, 9)}?lang={lang}"

    def api_path(self) -> str:
        dataset = self.rng.choice(API_DATASETS)
        params = {"format": self.rng.choice(("json", "json", "csv"))}
        if dataset in ("region-monthly", "vacancies-by-occupation"):
            params["region"] = self.rng.choice([*self.regions, "ALL"])
        if dataset == "unemployment-rate":
            params["area"] = self.rng.choice([*self.regions, "ALL"])
        if dataset != "unemployment-rate" and self.months:
            params["from"] = self.rng.choice(self.months[: max(1, len(self.months) // 2)])
        return f"/api/v1/{dataset}?{urlencode(params, safe=',')}"

    def visit_page(self, client: Client, path: str) -> bool:
        """The page as a browser opens it, then one filter change on it. False: budget spent."""
        if not self.budget.take():
            return False
        # The HTML shell (on a first visit or a reload; links inside the app skip it).
        if self.rng.random() < 0.3:
            self.record("page", path, lambda: client.get(path))
            if not self.budget.take():
                return False
        routed = self.record("page", f"{path} (router)",
                             lambda: client.post_json(CALLBACK_PATH,
                                                      router_body(self.deps, path)))
        if routed is None:
            return True
        components = page_components(routed.json())
        values = filter_values(components)
        options = filter_options(components)
        callbacks = filter_callbacks(self.deps, components)
        # A filter change: a region when the page has one, else another value of any filter.
        changed = "region" if "region" in options and options["region"] else None
        if changed is None:
            choosable = [n for n, o in options.items() if o and n not in ("from", "to")]
            changed = self.rng.choice(choosable) if choosable else None
        if changed is not None:
            pick = self.rng.choice(options[changed])
            values = {**values, changed: [pick] if isinstance(values.get(changed), list)
                      or changed == "region" else pick}
        for dep in callbacks:
            if not self.budget.take():
                return False
            body = callback_body(dep, values, changed)
            self.record("callback", dep["output"][:80],
                        lambda b=body: client.post_json(CALLBACK_PATH, b), expect=(200, 204))
        charts = csv_charts(components)
        if charts and self.rng.random() < 0.25:
            if not self.budget.take():
                return False
            body = csv_body(self.deps, self.rng.choice(charts), values)
            self.record("csv", body["outputs"]["id"]["chart"],
                        lambda: client.post_json(CALLBACK_PATH, body), expect=(200, 204))
        return True


def dash_dependencies(url: str, account: Account) -> list[dict]:
    client = Client(url)
    try:
        client.login(account.name, account.password)
        response = client.get("/_dash-dependencies")
        if response.status != 200:
            raise RuntimeError(f"/_dash-dependencies answered {response.status}")
        return response.json()
    finally:
        client.close()


def published_facts(home: Path) -> tuple[list[str], list[str]]:
    """Region codes and months (YYYY-MM) of the published snapshot, for realistic requests."""
    from dashboards.db import open_read_only
    from observatory.settings import load_settings

    con = open_read_only(load_settings(home).published_db)
    try:
        regions = [r[0] for r in con.sql("SELECT region_code FROM core.dim_region "
                                         "ORDER BY region_code").fetchall()]
        months = [r[0].strftime("%Y-%m") for r in con.sql(
            "SELECT DISTINCT month FROM public.factsheet_region_monthly ORDER BY month"
        ).fetchall()]
    finally:
        con.close()
    return regions, months


def run_users(url: str, accounts: list[Account], n_users: int, budget: Budget,
              regions: list[str], months: list[str], seed: int = 1, think: float = 0.0
              ) -> list[User]:
    """Start ``n_users`` users (accounts in turn: mostly analysts and managers)."""
    dependencies = dash_dependencies(url, accounts[-1])
    mix = [accounts[0], accounts[1]] * 4 + [accounts[2]]  # 8 analysts, 8 managers, 2 admins...
    users = [User(i, url, mix[i % len(mix)], dependencies, budget, regions, months, seed + i,
                  think) for i in range(n_users)]
    for user in users:
        user.start()
    return users


# -- the refresh -----------------------------------------------------------------------------

def land_new_data(home: Path, seed: int) -> float:
    """Regenerate the demo of ``home`` with another seed: every landed file changes."""
    manifest = json.loads((home / "landing" / "_synthetic.json").read_text(encoding="utf-8"))
    config = manifest["config"]
    args = [sys.executable, "-m", "observatory.cli", "generate", "--home", str(home),
            "--seed", str(seed), "--jobseekers", str(config["n_jobseekers"]),
            "--employers", str(config["n_employers"]), "--months", str(config["months"]),
            "--end-month", config["end_month"], "--format", config["file_format"]]
    if config.get("n_interactions"):
        args += ["--interactions", str(config["n_interactions"])]
    started = time.perf_counter()
    subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


@dataclass
class Refresh:
    started: float = 0.0
    ended: float = 0.0
    returncode: int | None = None
    output: str = ""

    @property
    def seconds(self) -> float:
        return self.ended - self.started


def refresh_in_background(home: Path, env: dict | None = None) -> tuple[threading.Thread,
                                                                        Refresh]:
    """``observatory refresh`` in a subprocess, timed, from a thread."""
    result = Refresh()

    def run():
        result.started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "observatory.cli", "refresh", "--home",
                               str(home)], cwd=ROOT, env=env, capture_output=True, text=True)
        result.ended = time.monotonic()
        result.returncode, result.output = done.returncode, done.stdout + done.stderr

    thread = threading.Thread(target=run, name="refresh", daemon=True)
    thread.start()
    return thread, result


class SwapMonitor(threading.Thread):
    """Polls /healthz: when did the server start serving another refresh run?"""

    def __init__(self, url: str, interval: float = 0.5):
        super().__init__(name="swap-monitor", daemon=True)
        self.url, self.interval = url, interval
        self.first_run_id = healthz(url).get("refresh_run_id")
        self.swapped_at: float | None = None
        self.new_run_id: str | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            try:
                run_id = healthz(self.url).get("refresh_run_id")
            except (OSError, ValueError):
                continue
            if run_id != self.first_run_id and self.swapped_at is None:
                self.swapped_at, self.new_run_id = time.monotonic(), run_id


@dataclass
class LoadRun:
    users: list[User]
    refresh: Refresh
    swap: SwapMonitor
    elapsed: float

    @property
    def results(self) -> list[Result]:
        return [r for u in self.users for r in u.results]


def load_during_refresh(home: Path, url: str, accounts: list[Account], n_users: int,
                        duration: float, max_requests: int, refresh_after: float,
                        regions: list[str], months: list[str], *, think: float = 0.0,
                        after_swap: float = 10.0, refresh_env: dict | None = None,
                        max_refresh: float = 900.0) -> LoadRun:
    """``n_users`` users on the server at ``url`` for ``duration`` seconds, with ``observatory
    refresh`` of ``home`` started after ``refresh_after`` seconds. The load goes on while the
    refresh runs and for ``after_swap`` seconds after it ended (so the new snapshot is served
    under load too), up to ``max_refresh`` seconds more, or until ``max_requests``."""
    swap = SwapMonitor(url)
    swap.start()
    started = time.monotonic()
    budget = Budget(deadline=started + duration, max_requests=max_requests)
    users = run_users(url, accounts, n_users, budget, regions, months, think=think)
    time.sleep(refresh_after)
    refresh_thread, refresh = refresh_in_background(home, refresh_env)
    hard_stop = started + duration + max_refresh
    while any(u.is_alive() for u in users):
        if refresh_thread.is_alive():
            budget.deadline = max(budget.deadline, min(hard_stop, time.monotonic() + 5))
        elif refresh.ended:
            budget.deadline = max(budget.deadline, min(hard_stop, refresh.ended + after_swap))
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    refresh_thread.join()
    time.sleep(1.0)  # one more look at /healthz
    swap.stop.set()
    swap.join()
    return LoadRun(users, refresh, swap, elapsed)


# -- statistics and the report ---------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 1))))
    return ordered[rank - 1]


def summarise(results: list[Result]) -> list[dict]:
    rows = []
    groups = [("all", results)] + [(k, [r for r in results if r.kind == k]) for k in KINDS]
    for kind, group in groups:
        if not group:
            continue
        times = [r.ms for r in group if r.status is not None]
        rows.append({"kind": kind, "requests": len(group),
                     "failed": sum(not r.ok for r in group),
                     "p50": percentile(times, 0.50), "p95": percentile(times, 0.95),
                     "p99": percentile(times, 0.99), "max": max(times) if times else float("nan")})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| kind | requests | failed | p50 ms | p95 ms | p99 ms | max ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['kind']} | {r['requests']:,} | {r['failed']} | {r['p50']:.0f} | "
                     f"{r['p95']:.0f} | {r['p99']:.0f} | {r['max']:.0f} |")
    return "\n".join(lines)


def home_size(home: Path) -> dict:
    from dashboards.db import open_read_only
    from observatory.settings import load_settings

    con = open_read_only(load_settings(home).published_db)
    try:
        n_contacts = con.sql("SELECT count(*) FROM core.fct_interactions").fetchall()[0][0]
        n_spells = con.sql("SELECT count(*) FROM core.dim_jobseeker_spell").fetchall()[0][0]
    finally:
        con.close()
    size = (load_settings(home).published_db.stat().st_size) / 2**20
    return {"contacts": n_contacts, "spells": n_spells, "snapshot_mib": size}


def write_report(path: Path, *, rows: list[dict], args, size: dict, refresh: Refresh,
                 swap: SwapMonitor, elapsed: float, results: list[Result], reconnects: int,
                 workers: int, threads: int, generate_s: float | None,
                 load_before: tuple[float, float, float], load_after: tuple[float, float, float],
                 size_after: dict) -> None:
    during = [r for r in results if refresh.started <= r.at <= (refresh.ended or float("inf"))]
    after_swap = [r for r in results if swap.swapped_at and r.at >= swap.swapped_at]
    failures = [r for r in results if not r.ok]
    examples = "\n".join(f"- {r.kind} `{r.what}`: {r.status} {r.error[:160]}"
                         for r in failures[:10]) or "- none"
    swap_line = (f"The server was serving the new refresh run ({swap.new_run_id}) "
                 f"{swap.swapped_at - refresh.started:.0f} s after the refresh started "
                 "(the command then closes its Prefect run and exits)."
                 if swap.swapped_at else "The swap was not seen: the refresh did not finish.")
    new_data = (f"During the run the demo was generated again with another seed ({generate_s:.0f} "
                "s; every landed file changed) and refreshed, so every published figure changed: "
                f"the new snapshot holds {size_after['contacts']:,} contacts."
                if generate_s is not None else "The refresh ran without new landed data.")
    if generate_s is not None and size_after["contacts"] < size["contacts"]:
        new_data += (" (The demo numbers interaction ids in time order, so another seed moves ids "
                     "between month files; a new file's row whose id an older file not yet "
                     "replaced still held was set aside as a duplicate, see "
                     "`meta.duplicate_rows`.)")
    text = f"""# Load benchmark: the production server during a full refresh

Measured on {dt.date.today().isoformat()} with `make bench-load` (`benchmarks/load.py`):
{args.users} simulated users on `observatory serve --prod` ({workers} gunicorn workers x {threads}
threads) on loopback, on {os.cpu_count()} cores ({platform.machine()}, Python
{platform.python_version()}), while new data was landed and `observatory refresh` rebuilt and
swapped the published snapshot. The users, the server and the refresh share the cores (load
average {load_before[0]:.1f} before the run, {load_after[0]:.1f} at its end).

## The data

A home built with `observatory generate {args.generate_note}` then `observatory refresh`:
{size['contacts']:,} contacts, {size['spells']:,} job-seeker spells, a {size['snapshot_mib']:.0f} MiB
published snapshot. {new_data}

## What each user does

Logs in through the form (as an analyst, a manager of one region or an admin), then loops:
60% an internal page (the HTML shell on 30% of visits, then the page as Dash's router renders
it, then a filter change: every indicator callback of the page with the bodies the browser
sends, and a CSV export on a quarter of the visits), 20% a public factsheet, 20% an open-data
API call (JSON or CSV). Between two navigations a user pauses a random time averaging
{args.think:g} s; within one, requests follow each other without a pause (a browser would send a
page's callbacks in parallel). People reading charts pause far longer, so {args.users} users here
are a heavier load than {args.users} people.

## Results

**{len(results):,} requests in {elapsed:.0f} s ({len(results) / elapsed:.1f} per second), {len(failures)}
failed.** {len(during):,} were answered while the refresh ran, {len(after_swap):,} after the server
had swapped to the new snapshot. {reconnects} keep-alive connections that the server had closed
while idle were opened again (as a browser does).

{table(rows)}

Latency is measured by the client, from sending the request to the last byte of the answer.
"page" is the HTML shell or the whole page rendered by Dash's router with its figures;
"callback" is one indicator callback (a figure and its headline); "csv" a chart's CSV export;
"login" includes the Argon2 password check.

**Refresh: {refresh.seconds:.0f} s** for `observatory refresh` (Prefect flow, ingest of the new
files, full rebuild, publication) while serving; exit code {refresh.returncode}. {swap_line}

## Failures

{examples}
"""
    path.write_text(text, encoding="utf-8")


# -- main ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True,
                        help="a home with a published warehouse (generate + refresh)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=120.0,
                        help="seconds of load (extended until the refresh has finished, "
                             "up to 3x)")
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: as `serve --prod`)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--refresh-after", type=float, default=10.0,
                        help="seconds of load before the refresh starts")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean pause of a user between two navigations, seconds (0: none)")
    parser.add_argument("--no-new-data", action="store_true",
                        help="refresh without landing new data first")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks-load.md")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the new demo data (default: a random one)")
    args = parser.parse_args(argv)
    home = args.home.resolve()
    from dashboards.production import default_workers

    workers = args.workers or default_workers()
    manifest = json.loads((home / "landing" / "_synthetic.json").read_text(encoding="utf-8"))
    config = manifest["config"]
    args.generate_note = (f"--jobseekers {config['n_jobseekers']} --employers "
                          f"{config['n_employers']} --months {config['months']}"
                          + (f" --interactions {config['n_interactions']}"
                             if config.get("n_interactions") else ""))
    size = home_size(home)
    regions, months = published_facts(home)
    load_before = os.getloadavg()
    print(f"home {home}: {size['contacts']:,} contacts; {args.users} users, {workers} workers x "
          f"{args.threads} threads, {args.duration:.0f} s", flush=True)

    generate_s = None
    if not args.no_new_data:
        seed = args.seed if args.seed is not None else random.randrange(1000, 10_000)
        print(f"landing new data (demo seed {seed}) ...", flush=True)
        generate_s = land_new_data(home, seed)
        print(f"  {generate_s:.1f} s", flush=True)

    accounts = create_accounts(home, regions[0])
    try:
        with production_server(home, workers=workers, threads=args.threads) as server:
            run = load_during_refresh(home, server.url, accounts, args.users, args.duration,
                                      args.max_requests, args.refresh_after, regions, months,
                                      think=args.think)
        print(f"server stopped (exit code {server.returncode})", flush=True)
    finally:
        remove_accounts(home, accounts)
    users, refresh, swap, elapsed = run.users, run.refresh, run.swap, run.elapsed
    results = [r for u in users for r in u.results]
    reconnects = sum(u.reconnects for u in users)
    rows = summarise(results)
    print(table(rows))
    print(f"refresh: {refresh.seconds:.1f} s (exit {refresh.returncode}); "
          f"swap seen: {swap.new_run_id is not None}")
    if refresh.returncode != 0:
        print(refresh.output[-3000:], file=sys.stderr)
    write_report(args.output, rows=rows, args=args, size=size, refresh=refresh, swap=swap,
                 elapsed=elapsed, results=results, reconnects=reconnects, workers=workers,
                 threads=args.threads, generate_s=generate_s, load_before=load_before,
                 load_after=os.getloadavg(), size_after=home_size(home))
    print(f"wrote {args.output}")
    failed = sum(not r.ok for r in results)
    return 0 if failed == 0 and refresh.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
