"""`observatory stack`: the Prefect server, a process worker and the dashboard on one machine.

Each component runs detached in its own process group, writes its output to
``<home>/logs/<name>.log`` and its PID to ``<home>/run/<name>.pid``. Every process the stack
starts, and every process those start (flow runs included), carries ``OBSERVATORY_STACK=<home>``
in its environment: that is how a PID file is told from a stale one whose PID was reused, and
how `stop` finds a flow run the worker started in a session of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from observatory.settings import Settings

# The checkout holding prefect.yaml: deployments run their flows from it (its pull step).
REPO_ROOT = Path(__file__).resolve().parents[1]
WORK_POOL = "observatory"
COMPONENTS = ("server", "worker", "dashboard")  # start order; stop is the reverse
MARKER = "OBSERVATORY_STACK"
COMPONENT_MARKER = "OBSERVATORY_STACK_COMPONENT"
# The open-source Prefect server has no log-in: it only ever listens on loopback.
PREFECT_HOST = "127.0.0.1"


class StackError(RuntimeError):
    """Something the operator can act on (a port taken, a component that died at start)."""


@dataclass(frozen=True)
class StackConfig:
    prefect_port: int = 4200
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = 8050
    dashboard: bool = True

    @property
    def prefect_ui_url(self) -> str:
        return f"http://{PREFECT_HOST}:{self.prefect_port}"

    @property
    def prefect_api_url(self) -> str:
        return f"{self.prefect_ui_url}/api"

    @property
    def dashboard_url(self) -> str:
        host = "127.0.0.1" if self.dashboard_host in ("0.0.0.0", "") else self.dashboard_host
        return f"http://{host}:{self.dashboard_port}/"


class Stack:
    def __init__(self, settings: Settings, config: StackConfig | None = None,
                 say: Callable[[str], None] = print):
        self.settings = settings
        self.run_dir = settings.home / "run"
        self.say = say
        self._launched_at: dict[str, float] = {}
        # A running stack keeps the ports it was started with; flags only apply to a new one.
        recorded = self._recorded_config()
        if recorded and self._running_components():
            self.config = recorded
        else:
            self.config = config or recorded or StackConfig()

    # -- files ---------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.run_dir / "stack.json"

    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.settings.logs_dir / f"{name}.log"

    def _recorded_config(self) -> StackConfig | None:
        try:
            return StackConfig(**json.loads(self.state_file.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def _read_pid(self, name: str) -> int | None:
        try:
            return int(self.pid_file(name).read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None

    def pid(self, name: str) -> int | None:
        """The component's PID if it runs; a stale PID file is removed."""
        pid = self._read_pid(name)
        if pid is not None and _is_ours(pid, self.settings.home, name):
            return pid
        self.pid_file(name).unlink(missing_ok=True)
        return None

    def _running_components(self) -> list[str]:
        return [name for name in COMPONENTS if self._read_pid(name) is not None
                and _is_ours(self._read_pid(name), self.settings.home, name)]

    # -- environment -----------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """The components' environment: Prefect state under <home>, telemetry off."""
        env = dict(os.environ)
        env.update({
            "OBSERVATORY_HOME": str(self.settings.home),
            "PREFECT_HOME": str(self.settings.prefect_home),
            "PREFECT_API_URL": self.config.prefect_api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "GX_ANALYTICS_ENABLED": "false",
            # prefect.yaml's pull step and job variables are resolved from these when deploying.
            "PWD": str(REPO_ROOT),
            MARKER: str(self.settings.home),
        })
        # The components talk to each other on loopback, never through a proxy.
        no_proxy = ",".join(filter(None, [os.environ.get("no_proxy") or os.environ.get("NO_PROXY"),
                                          "localhost", PREFECT_HOST, self.config.dashboard_host]))
        env["no_proxy"] = env["NO_PROXY"] = no_proxy
        return env

    # -- start -----------------------------------------------------------------------
    def start(self, *, redeploy: bool = False, timeout: float = 120) -> None:
        """Start what is not running, in order: server, work pool, deployments, worker.

        The dashboard needs none of them, so it starts beside the server; the worker beside
        the deployments. Whatever runs already is left alone.
        """
        if not (REPO_ROOT / "prefect.yaml").exists():
            raise StackError(f"no prefect.yaml in {REPO_ROOT}: the stack runs the flows from a "
                             "source checkout (pip install -e .)")
        self.settings.ensure_dirs()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.settings.prefect_home.mkdir(parents=True, exist_ok=True)
        cfg = self.config
        wanted = [("server", PREFECT_HOST, cfg.prefect_port)]
        if cfg.dashboard:
            wanted.append(("dashboard", cfg.dashboard_host, cfg.dashboard_port))
        for name, host, port in wanted:  # every port checked before anything starts
            if self.pid(name) is None and not _port_free(host, port):
                raise StackError(f"{name}: port {port} on {host} is in use by another "
                                 "program; stop it or choose another port (`observatory stack "
                                 "start --help`)")
        self.state_file.write_text(json.dumps(asdict(cfg)), encoding="utf-8")

        server = self._launch("server", _prefect(
            "server", "start", "--host", PREFECT_HOST, "--port", str(cfg.prefect_port),
            "--analytics-off"))
        dashboard = None
        if cfg.dashboard:
            dashboard = self._launch("dashboard", [
                sys.executable, "-m", "observatory.cli", "serve", "--prod", "--home",
                str(self.settings.home), "--host", cfg.dashboard_host, "--port",
                str(cfg.dashboard_port)])
        self._await("server", server, lambda: _http_ok(f"{cfg.prefect_api_url}/health"), timeout)

        self._ensure_work_pool()
        worker_since = time.time() - 1
        worker = self._launch("worker", _prefect(
            "worker", "start", "--pool", WORK_POOL, "--type", "process", "--name",
            self.worker_name, "--install-policy", "never",
            # one flow run at a time: they all write the one build database
            "--limit", "1"))
        if server is not None or redeploy or self._missing_deployments():
            self._deploy()
        else:
            self.say("deployments: already on the server (`stack start --redeploy` reads "
                     "prefect.yaml again)")
        self._await("worker", worker, lambda: self._worker_online(since=worker_since), timeout)
        if cfg.dashboard:
            self._await("dashboard", dashboard, lambda: _http_answers(cfg.dashboard_url), timeout)

        self.say(f"Prefect UI: {cfg.prefect_ui_url}  (runs: {cfg.prefect_ui_url}/runs, "
                 f"deployments: {cfg.prefect_ui_url}/deployments)")
        if cfg.dashboard:
            self.say(f"dashboard: {cfg.dashboard_url}")
            users = getattr(self.settings, "users_file", None)
            if users is not None and not users.exists():
                self.say("  nobody may log in to it yet: observatory users add NAME --role admin")
        self.say(f"logs: {self.settings.logs_dir}/{{server,worker,dashboard,deploy}}.log")
        self.say(f"a run now: PREFECT_API_URL={cfg.prefect_api_url} PREFECT_HOME="
                 f"{self.settings.prefect_home} {_prefect_script()} deployment run refresh/daily")

    @property
    def worker_name(self) -> str:
        return f"observatory@{socket.gethostname()}"

    def _launch(self, name: str, command: list[str]) -> subprocess.Popen | None:
        """Start ``name`` detached unless it runs already (then None)."""
        pid = self.pid(name)
        if pid is not None:
            self.say(f"{name}: already running (pid {pid})")
            return None
        log = self.log_file(name)
        with open(log, "ab") as out:
            out.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} observatory stack start: "
                      f"{' '.join(command)}\n".encode())
            out.flush()
            process = subprocess.Popen(command, cwd=REPO_ROOT, env=self.env() | {
                COMPONENT_MARKER: name}, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
        self.pid_file(name).write_text(f"{process.pid}\n", encoding="utf-8")
        self._launched_at[name] = time.monotonic()
        return process

    def _await(self, name: str, process: subprocess.Popen | None, ready: Callable[[], bool],
               timeout: float) -> None:
        """Wait until a component just launched is ready; stop it if it does not get there."""
        if process is None:
            return
        log = self.log_file(name)
        launched = self._launched_at[name]
        while not ready():
            if process.poll() is not None:
                self.pid_file(name).unlink(missing_ok=True)
                raise StackError(f"{name} exited with code {process.returncode} while starting; "
                                 f"{log} ends with:\n{_tail(log)}")
            if time.monotonic() - launched > timeout:
                self._terminate(name, process.pid, timeout=10)
                self.pid_file(name).unlink(missing_ok=True)
                raise StackError(f"{name} was not ready {timeout:.0f} s after it started; "
                                 f"{log} ends with:\n{_tail(log)}")
            time.sleep(0.5)
        self.say(f"{name}: started (pid {process.pid}), ready after "
                 f"{time.monotonic() - launched:.0f} s")

    def _ensure_work_pool(self) -> None:
        if _http_ok(f"{self.config.prefect_api_url}/work_pools/{WORK_POOL}"):
            return
        self._run_prefect("deploy", "work-pool", "create", WORK_POOL, "--type", "process")
        self.say(f"work pool {WORK_POOL!r} created (process)")

    def _missing_deployments(self) -> set[str]:
        """Deployments of prefect.yaml the server does not hold (any reason to deploy)."""
        import yaml

        wanted = {d["name"] for d in yaml.safe_load(
            (REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]}
        held = _post_json(f"{self.config.prefect_api_url}/deployments/filter",
                          {"work_pools": {"name": {"any_": [WORK_POOL]}}})
        return wanted - {d["name"] for d in held}

    def _deploy(self) -> None:
        started = time.monotonic()
        self._run_prefect("deploy", "--no-prompt", "deploy", "--all")
        self.say(f"deployments from prefect.yaml applied in {time.monotonic() - started:.0f} s "
                 f"(log: {self.log_file('deploy')})")

    def _run_prefect(self, log_name: str, *args: str) -> None:
        log = self.log_file(log_name)
        with open(log, "ab") as out:
            out.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} prefect {' '.join(args)}\n"
                      .encode())
            out.flush()
            done = subprocess.run(_prefect(*args), cwd=REPO_ROOT, env=self.env(),
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise StackError(f"`prefect {' '.join(args)}` failed (code {done.returncode}); "
                             f"{log} ends with:\n{_tail(log)}")

    def _worker_online(self, since: float = 0) -> bool:
        """The worker is ONLINE with a heartbeat after ``since`` (a UNIX time).

        The server keeps a worker's last status across restarts, so a heartbeat from before
        this start does not count.
        """
        try:
            workers = _post_json(f"{self.config.prefect_api_url}/work_pools/{WORK_POOL}/workers/"
                                 "filter", {})
        except (OSError, ValueError):
            return False
        return any(w["name"] == self.worker_name and w.get("status") == "ONLINE"
                   and _unix_time(w.get("last_heartbeat_time")) >= since for w in workers)

    # -- stop ------------------------------------------------------------------------
    def stop(self, *, timeout: float = 40) -> None:
        for name in reversed(COMPONENTS):
            pid = self.pid(name)
            if pid is None:
                self.say(f"{name}: not running")
                self.pid_file(name).unlink(missing_ok=True)
                continue
            self._terminate(name, pid, timeout=timeout)
            self.pid_file(name).unlink(missing_ok=True)
        # Flow runs live in sessions of their own: whatever still carries the marker goes too.
        for pid in _marked_processes(self.settings.home):
            self.say(f"stopping left-over process {pid} ({_cmdline(pid)[:80]})")
            _signal_group_or_pid(pid, signal.SIGTERM)
        _wait_until(lambda: not _marked_processes(self.settings.home), timeout)
        for pid in _marked_processes(self.settings.home):
            _signal_group_or_pid(pid, signal.SIGKILL)
        _wait_until(lambda: not _marked_processes(self.settings.home), 5)

    def _terminate(self, name: str, pid: int, *, timeout: float) -> None:
        """SIGTERM to the process group, then SIGKILL after ``timeout`` seconds."""
        started = time.monotonic()
        _signal_group(pid, signal.SIGTERM)
        if _wait_until(lambda: not _group_alive(pid), timeout):
            self.say(f"{name}: stopped (pid {pid}) in {time.monotonic() - started:.0f} s")
            return
        _signal_group(pid, signal.SIGKILL)
        _wait_until(lambda: not _group_alive(pid), 5)
        self.say(f"{name}: killed (pid {pid}) after {timeout:.0f} s without stopping")

    # -- status ----------------------------------------------------------------------
    def status(self) -> dict:
        cfg = self.config
        urls = {"server": cfg.prefect_ui_url, "worker": None,
                "dashboard": cfg.dashboard_url if cfg.dashboard else None}
        probes = {"server": lambda: _http_ok(f"{cfg.prefect_api_url}/health"),
                  "worker": self._worker_online,
                  "dashboard": lambda: _http_answers(cfg.dashboard_url)}
        components = {}
        for name in COMPONENTS:
            pid = self.pid(name)
            components[name] = {"enabled": name != "dashboard" or cfg.dashboard,
                                "running": pid is not None, "pid": pid,
                                "answering": bool(pid) and probes[name](),
                                "url": urls[name], "log": str(self.log_file(name))}
        return {"home": str(self.settings.home), "prefect_home": str(self.settings.prefect_home),
                "prefect_api_url": cfg.prefect_api_url, "prefect_ui_url": cfg.prefect_ui_url,
                "runs_url": f"{cfg.prefect_ui_url}/runs",
                "deployments_url": f"{cfg.prefect_ui_url}/deployments",
                "work_pool": WORK_POOL, "components": components}


def render_status(status: dict) -> str:
    lines = []
    for name, c in status["components"].items():
        if not c["enabled"]:
            state = "not started (--no-dashboard)"
        elif c["running"]:
            state = f"running (pid {c['pid']})" + ("" if c["answering"] else ", not answering yet")
        else:
            state = "not running"
        lines.append(f"{name:<10} {state:<34} {c['url'] or ''}")
    lines += [f"Prefect UI: {status['prefect_ui_url']}  (runs: {status['runs_url']}, "
              f"deployments: {status['deployments_url']})",
              f"logs: {Path(status['components']['server']['log']).parent}"]
    return "\n".join(lines)


# -- processes ------------------------------------------------------------------------

def _prefect(*args: str) -> list[str]:
    # The venv's own Prefect, whatever PATH says; flow runs then use this interpreter too.
    return [sys.executable, "-m", "prefect", *args]


def _prefect_script() -> str:
    script = Path(sys.executable).with_name("prefect")
    return str(script) if script.exists() else "prefect"


def _environ(pid: int) -> dict[str, str] | None:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0")
                if "=" in item)


def _state(pid: int) -> str | None:
    """The process state letter from /proc (Z for a zombie), None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _pgid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def _is_ours(pid: int, home: Path, name: str) -> bool:
    """``pid`` runs, is no zombie, and is the stack component ``name`` of ``home``."""
    if not Path("/proc").is_dir():  # no /proc (macOS): trust the PID file
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    if _state(pid) in (None, "Z", "X"):
        return False
    env = _environ(pid)
    return bool(env) and env.get(MARKER) == str(home) and env.get(COMPONENT_MARKER) == name


def _live_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()] \
        if Path("/proc").is_dir() else []


def _marked_processes(home: Path) -> list[int]:
    """Live processes (not zombies) started by this home's stack, or by its components."""
    me = os.getpid()
    out = []
    for pid in _live_pids():
        if pid == me or _state(pid) in (None, "Z", "X"):
            continue
        env = _environ(pid)
        if env and env.get(MARKER) == str(home):
            out.append(pid)
    return out


def _group_alive(pgid: int) -> bool:
    if Path("/proc").is_dir():
        return any(_pgid(pid) == pgid and _state(pid) not in ("Z", "X") for pid in _live_pids())
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _signal_group_or_pid(pid: int, sig: int) -> None:
    """A flow run leads its own group: signal the group it leads, else the process alone."""
    with contextlib.suppress(ProcessLookupError):
        if _pgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


def _wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def _tail(path: Path, n: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


# -- network --------------------------------------------------------------------------

def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


# Loopback requests never go through an HTTP proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _http_ok(url: str) -> bool:
    try:
        with _OPENER.open(url, timeout=2) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def _http_answers(url: str) -> bool:
    """Any HTTP answer counts: a login redirect or a 503 "nothing published yet" is up."""
    try:
        with _OPENER.open(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def _unix_time(iso: str | None) -> float:
    import datetime as dt

    try:
        return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except (AttributeError, ValueError):
        return 0.0


def _post_json(url: str, body: dict) -> list | dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with _OPENER.open(request, timeout=10) as response:
        return json.loads(response.read())
