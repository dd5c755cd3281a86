"""One JSON line per request, to stderr and ``<home>/logs/access.jsonl``.

    {"time": "2026-07-01T08:30:00.123Z", "level": "info", "event": "request", "method": "POST",
     "path": "/_dash-update-component", "callback": "..channels-mix.figure...", "status": 200,
     "duration_ms": 41.7, "user": "amartin", "role": "manager", "pid": 4242}

What is never written: the client's address, the query string (filter values may name a
place or a person), request bodies, cookies and other headers. ``user`` and ``role`` appear
only for a logged-in user (``observatory.access.current_user``); ``callback`` only for Dash
callback requests, and only when it names one of the app's callbacks, so a forged body
cannot write what it likes into the log.

Several server processes append to the same file: each line is one ``write`` on a file
opened in append mode, which the kernel does not interleave. The file is reopened for each
line, so a log rotation that moves it away is followed at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

from flask import g, request, request_finished, request_started

from observatory.access import ANONYMOUS, current_user

LOG_NAME = "access.jsonl"
CALLBACK_PATH = "/_dash-update-component"
MAX_PATH = 200  # characters kept of a path (a long forged path is cut)


def level_of(status: int) -> str:
    return "error" if status >= 500 else "warning" if status >= 400 else "info"


class AccessLog:
    """Where the lines go: the file under ``logs_dir`` and, unless told not to, stderr."""

    def __init__(self, logs_dir: Path, stderr: bool = True):
        self.path = Path(logs_dir) / LOG_NAME
        self.stderr = stderr

    def write(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        data = line.encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        except OSError:  # a full disk or a read-only home never fails a request
            pass
        if self.stderr:
            try:
                sys.stderr.write(line)
                sys.stderr.flush()
            except (OSError, ValueError):
                pass


def _callback_output(app) -> str | None:
    """The output id of a Dash callback request, if it is one of ``app``'s callbacks."""
    if request.method != "POST" or not request.path.endswith(CALLBACK_PATH):
        return None
    body = request.get_json(silent=True)  # Dash has parsed it already: this is cached
    output = body.get("output") if isinstance(body, dict) else None
    return output if isinstance(output, str) and output in app.callback_map else "unknown"


def record_for(app, response, started: float | None) -> dict:
    """The log record of the current request and its ``response``."""
    status = response.status_code
    record = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"),
        "level": level_of(status),
        "event": "request",
        "method": request.method,
        "path": request.path[:MAX_PATH],
    }
    callback = _callback_output(app)
    if callback is not None:
        record["callback"] = callback[:MAX_PATH]
    record["status"] = status
    record["duration_ms"] = (round((time.perf_counter() - started) * 1000, 1)
                             if started is not None else None)
    user = current_user()
    if user != ANONYMOUS:
        record["user"], record["role"] = user.name, user.role
    record["pid"] = os.getpid()
    return record


_STARTED = "observatory_request_started"


def register(app, logs_dir: Path, *, stderr: bool = True) -> AccessLog:
    """Log every request of ``app`` (a Dash app) to ``logs_dir/access.jsonl`` (and stderr)."""
    log = AccessLog(logs_dir, stderr=stderr)
    server = app.server

    # Signals, not before/after_request hooks: request_started comes before any hook (a login
    # check may answer without running the others) and request_finished after all of them,
    # with the final response. Strong references: the app lives as long as its server.
    def started(sender, **extra):
        setattr(g, _STARTED, time.perf_counter())

    def finished(sender, response, **extra):
        try:
            log.write(record_for(app, response, getattr(g, _STARTED, None)))
        except Exception:  # noqa: BLE001 - logging never turns an answer into an error
            server.logger.exception("could not write the access log line")

    request_started.connect(started, server, weak=False)
    request_finished.connect(finished, server, weak=False)
    return log
