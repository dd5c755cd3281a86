"""`observatory stack` for real: its own `prefect server`, a process worker and the dashboard.

In a temporary home holding a small generated demo: the deployments of prefect.yaml are on
the server with their schedule, a run started from the Prefect CLI completes on the worker and
publishes the warehouse the dashboard then serves, and `stack stop` leaves no process behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from observatory.settings import load_settings
from observatory.stack import COMPONENTS, _marked_processes
from pipelines.contracts import LOAD_ORDER
from pipelines.generate import DemoConfig, generate_demo

pytestmark = pytest.mark.flow

PRIVATE_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:  # held open together, so the ports differ
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def get(url: str):
    with PRIVATE_OPENER.open(url, timeout=10) as response:
        return json.loads(response.read())


def post(url: str, body: dict):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with PRIVATE_OPENER.open(request, timeout=10) as response:
        return json.loads(response.read())


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(1)


def observatory(*args: str, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "observatory.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def log_tails(home: Path) -> str:
    out = []
    for name in (*COMPONENTS, "deploy"):
        log = home / "logs" / f"{name}.log"
        if log.exists():
            out.append(f"--- {log}\n" + "\n".join(log.read_text(errors="replace")
                                                   .splitlines()[-25:]))
    return "\n".join(out)


@pytest.fixture
def ports() -> tuple[int, int]:
    try:
        return tuple(free_ports(2))
    except OSError as exc:
        pytest.skip(f"cannot bind a loopback port for the Prefect server: {exc}")


def test_stack_deploys_schedules_runs_and_stops(tmp_path, ports):
    prefect_port, dashboard_port = ports
    home = tmp_path / "home"
    settings = load_settings(home)
    settings.ensure_dirs()
    # The suite's small demo (tests/conftest.py SMALL_DEMO).
    generate_demo(settings.landing_dir, DemoConfig(seed=7, n_jobseekers=1_500, n_employers=120,
                                                   months=12, end_month="2026-06"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PREFECT_") and k != "OBSERVATORY_HOME"}
    env |= {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
            "PREFECT_LOGGING_LEVEL": "INFO",
            # the worker looks for due runs every 2 s rather than 10: a shorter test
            "PREFECT_WORKER_QUERY_SECONDS": "2"}
    api = f"http://127.0.0.1:{prefect_port}/api"
    stopped = False
    clock = time.monotonic()

    def step(what: str) -> None:  # shown by pytest when the test fails, or with -s
        print(f"{time.monotonic() - clock:6.1f} s  {what}", flush=True)

    try:
        started = observatory("stack", "start", "--home", str(home), "--prefect-port",
                              str(prefect_port), "--port", str(dashboard_port), env=env)
        assert started.returncode == 0, started.stdout + started.stderr + log_tails(home)
        step("stack started:\n" + started.stdout)
        assert f"http://127.0.0.1:{prefect_port}/runs" in started.stdout
        assert (settings.prefect_home / "prefect.db").exists()  # Prefect's state under <home>

        # Starting again starts nothing twice.
        pids = {name: (home / "run" / f"{name}.pid").read_text() for name in COMPONENTS}
        again = observatory("stack", "start", "--home", str(home), env=env)
        assert again.returncode == 0, again.stderr
        assert again.stdout.count("already running") == 3
        assert {name: (home / "run" / f"{name}.pid").read_text() for name in COMPONENTS} == pids

        # (a) The nightly deployment, with its schedule, and the runs the scheduler made of it.
        daily = get(f"{api}/deployments/name/refresh/daily")
        assert daily["work_pool_name"] == "observatory"
        assert daily["job_variables"]["env"]["OBSERVATORY_HOME"] == str(home)
        (schedule,) = daily["schedules"]
        assert schedule["active"]
        assert (schedule["schedule"]["cron"], schedule["schedule"]["timezone"]) == \
            ("30 2 * * *", "Europe/Paris")
        scheduled = wait_for(lambda: post(f"{api}/flow_runs/filter", {
            "deployments": {"id": {"any_": [daily["id"]]}},
            "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}}),
            60, "the scheduler to schedule refresh/daily")
        for run in scheduled:
            at = dt.datetime.fromisoformat(run["expected_start_time"].replace("Z", "+00:00"))
            assert at.astimezone(ZoneInfo("Europe/Paris")).time() == dt.time(2, 30)
            assert at > dt.datetime.now(dt.UTC)
        names = {d["name"] for d in post(f"{api}/deployments/filter", {})}
        assert names == {"daily", "ingest-landing", "build-warehouse", "ingest-official"}
        step(f"{len(scheduled)} scheduled runs of refresh/daily")

        # (b) A run now, from the Prefect CLI, executed by the worker.
        prefect_env = env | {"PREFECT_API_URL": api, "PREFECT_HOME": str(settings.prefect_home)}
        created = subprocess.run([sys.executable, "-m", "prefect", "deployment", "run",
                                  "refresh/daily"], env=prefect_env, capture_output=True,
                                 text=True, timeout=120)
        assert created.returncode == 0, created.stdout + created.stderr
        run_id = next(line.split("UUID:")[1].strip() for line in created.stdout.splitlines()
                      if "UUID:" in line)
        step(f"flow run {run_id} created")
        final = wait_for(lambda: (r := get(f"{api}/flow_runs/{run_id}"))["state_type"] in
                         ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") and r,
                         180, f"flow run {run_id} to finish" + log_tails(home))
        assert final["state_type"] == "COMPLETED", log_tails(home)
        assert final["deployment_id"] == daily["id"]
        step("flow run completed")

        status = observatory("status", "--json", "--home", str(home), env=env)
        assert status.returncode == 0, status.stderr
        status = json.loads(status.stdout)
        assert status["published"] is True
        assert status["last_refresh"]["status"] == "completed"
        assert status["last_refresh"]["flow_run_id"] == run_id
        assert status["dataset"]["refresh_run_id"] == run_id
        assert set(status["sources"]) == set(LOAD_ORDER)
        assert all(s["rows_loaded"] > 0 and s["files_rejected"] == 0
                   for s in status["sources"].values())

        # The dashboard serves the snapshot that run published.
        health = get(f"http://127.0.0.1:{dashboard_port}/healthz")
        assert health["refresh_run_id"] == run_id

        stack = observatory("stack", "status", "--json", "--home", str(home), env=env)
        assert stack.returncode == 0, stack.stdout + stack.stderr
        components = json.loads(stack.stdout)["components"]
        assert all(c["running"] and c["answering"] for c in components.values()), components

        # (c) Stop: nothing left, ports free again.
        stop = observatory("stack", "stop", "--home", str(home), env=env)
        stopped = True
        assert stop.returncode == 0, stop.stdout + stop.stderr
        step("stack stopped:\n" + stop.stdout)
        assert not list((home / "run").glob("*.pid"))
        assert _marked_processes(home) == []
        for port in (prefect_port, dashboard_port):
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
        down = observatory("stack", "status", "--home", str(home), env=env)
        assert down.returncode == 3 and down.stdout.count("not running") == 3
    finally:
        if not stopped:
            observatory("stack", "stop", "--home", str(home), "--timeout", "10", env=env)
