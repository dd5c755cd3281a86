"""`observatory stack`'s process handling, on real processes but without Prefect.

The whole stack, with its own Prefect server, is tested in tests/pipelines/test_stack_e2e.py.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time

import pytest

from observatory.cli import main
from observatory.settings import load_settings
from observatory.stack import COMPONENT_MARKER, MARKER, Stack, StackConfig, StackError
from observatory.stack import _marked_processes as marked_processes

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc (Linux)")


def fake_component(home, name: str, *, ignore_term: bool = False) -> subprocess.Popen:
    """A process started as the stack starts its components, with its PID file."""
    ready = home / f"{name}.ready"
    # The shell says it is ready only once its trap is set: a SIGTERM sent before that
    # would end it however it was meant to behave.
    script = ("trap '' TERM; " if ignore_term else "") + f"sleep 60 & touch '{ready}'; wait"
    process = subprocess.Popen(["sh", "-c", script], start_new_session=True,
                               env=os.environ | {MARKER: str(home), COMPONENT_MARKER: name})
    deadline = time.monotonic() + 10
    while not ready.exists():
        assert time.monotonic() < deadline, f"fake {name} never started"
        time.sleep(0.01)
    (home / "run").mkdir(parents=True, exist_ok=True)
    (home / "run" / f"{name}.pid").write_text(f"{process.pid}\n")
    return process


def gone(process: subprocess.Popen, timeout: float = 5) -> bool:
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


def test_a_pid_file_of_another_process_is_stale(tmp_path):
    stack = Stack(load_settings(tmp_path), say=lambda _: None)
    (tmp_path / "run").mkdir()
    other = subprocess.Popen(["sleep", "60"], start_new_session=True)  # alive, but not ours
    try:
        stack.pid_file("server").write_text(f"{other.pid}\n")
        finished = subprocess.Popen(["true"])
        finished.wait()
        stack.pid_file("worker").write_text(f"{finished.pid}\n")  # no such process any more
        stack.pid_file("dashboard").write_text("not a pid\n")
        assert [stack.pid(name) for name in ("server", "worker", "dashboard")] == [None] * 3
        assert not list((tmp_path / "run").glob("*.pid"))
        assert other.poll() is None  # a stale PID file never leads to signalling its PID
    finally:
        other.kill()
        other.wait()


def test_stop_ends_each_group_in_reverse_order_and_kills_what_ignores_sigterm(tmp_path):
    said = []
    server = fake_component(tmp_path, "server")
    worker = fake_component(tmp_path, "worker", ignore_term=True)
    try:
        stack = Stack(load_settings(tmp_path), say=said.append)
        assert stack.pid("server") == server.pid and stack.pid("worker") == worker.pid
        started = time.monotonic()
        stack.stop(timeout=2)
        assert time.monotonic() - started < 15
        assert gone(server) and gone(worker)
        assert said[0] == "dashboard: not running"
        assert said[1].startswith("worker: killed") and said[2].startswith("server: stopped")
        assert not list((tmp_path / "run").glob("*.pid"))
        assert marked_processes(tmp_path) == []  # the groups' `sleep` children went too
    finally:
        for p in (server, worker):
            if p.poll() is None:
                os.killpg(p.pid, 9)
                p.wait()


def test_stop_also_ends_a_marked_process_outside_the_groups(tmp_path):
    """A flow run the worker started in a session of its own still carries the marker."""
    stray = subprocess.Popen(["sleep", "60"], start_new_session=True,
                             env=os.environ | {MARKER: str(tmp_path)})
    try:
        Stack(load_settings(tmp_path), say=lambda _: None).stop(timeout=2)
        assert gone(stray)
    finally:
        if stray.poll() is None:
            stray.kill()
            stray.wait()


def test_start_refuses_a_port_in_use_before_starting_anything(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = Stack(load_settings(tmp_path), StackConfig(prefect_port=port), say=lambda _: None)
        with pytest.raises(StackError, match=f"port {port} .* in use"):
            stack.start(timeout=5)
    assert not list((tmp_path / "run").glob("*.pid"))
    assert marked_processes(tmp_path) == []


def test_status_says_what_is_down_with_the_urls(tmp_path, capsys):
    home = str(tmp_path)
    assert main(["stack", "status", "--home", home]) == 3
    out = capsys.readouterr().out
    assert out.count("not running") == 3
    assert "Prefect UI: http://127.0.0.1:4200  (runs: http://127.0.0.1:4200/runs" in out
    assert main(["stack", "status", "--json", "--home", home]) == 3
    status = json.loads(capsys.readouterr().out)
    assert status["prefect_home"] == str(tmp_path / "prefect")
    assert status["components"]["dashboard"]["url"] == "http://127.0.0.1:8050/"
    assert status["components"]["worker"]["log"] == str(tmp_path / "logs" / "worker.log")
    # --home may come before the command or between its words, not only at the end.
    for argv in (["--home", home, "stack", "status", "--json"],
                 ["stack", "--home", home, "status", "--json"]):
        assert main(argv) == 3
        assert json.loads(capsys.readouterr().out)["home"] == home
