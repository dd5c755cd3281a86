"""Production serving: the dashboard under gunicorn (``observatory serve --prod``).

Several worker processes, each with a few threads (DuckDB and Polars release the GIL while
they compute, so threads overlap well); each worker builds its own app after the fork, so no
DuckDB connection or thread pool is ever shared across a fork. Gunicorn's own access log is
off: every request is logged once, as a JSON line, by dashboards/access_log.py.

Signals: Ctrl+C (SIGINT) and SIGTERM stop the server; SIGTERM waits up to the graceful timeout
for the requests in flight. SIGHUP reloads the workers one by one.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from gunicorn.app.base import BaseApplication

from observatory.settings import Settings


def default_workers() -> int:
    """Two to four worker processes: one per core within those bounds."""
    return max(2, min(4, os.cpu_count() or 2))


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8050
    workers: int = 0  # 0: default_workers()
    threads: int = 4
    # A worker whose main loop is silent this long is killed and replaced (with threads the
    # heartbeat does not wait for requests, so a slow query does not count).
    timeout: int = 60
    graceful_timeout: int = 30  # SIGTERM: requests in flight may finish within this
    keepalive: int = 5
    # Workers are replaced after this many requests (+ jitter) to bound memory growth.
    max_requests: int = 5000
    max_requests_jitter: int = 500
    # Reverse proxies in front that set X-Forwarded-For/-Proto/-Host (dashboards/wsgi.py).
    proxy_hops: int = 0

    def gunicorn_config(self) -> dict:
        """Gunicorn's settings for these options."""
        options = asdict(self)
        host, port = options.pop("host"), options.pop("port")
        options.pop("proxy_hops")
        options["workers"] = self.workers or default_workers()
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return {
            **options,
            "bind": [bind],
            "worker_class": "gthread",
            "accesslog": None,  # replaced by the JSON lines of dashboards/access_log.py
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "pes-observatory",
            "preload_app": False,  # each worker imports and builds after the fork
            # Gunicorn 25+ opens a control socket under $HOME by default; unused here, and two
            # servers on one machine would fight over it.
            "control_socket_disable": True,
        }


class ObservatoryServer(BaseApplication):
    """Gunicorn serving the dashboard of one home."""

    def __init__(self, settings: Settings, options: ServerOptions):
        self.settings, self.proxy_hops = settings, options.proxy_hops
        self.options = options.gunicorn_config()
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings an older gunicorn lacks are skipped
                self.cfg.set(key, value)

    def load(self):
        from dashboards.wsgi import build_application

        return build_application(self.settings.home, proxy_hops=self.proxy_hops)


def serve_production(settings: Settings, options: ServerOptions) -> None:
    """Run gunicorn until it is stopped (SIGINT, SIGTERM); returns when it has."""
    try:
        ObservatoryServer(settings, options).run()
    except SystemExit as stop:  # the arbiter ends by sys.exit: 0 on a clean stop
        if stop.code not in (None, 0):
            raise
