"""The WSGI entry point for any WSGI server: ``gunicorn dashboards.wsgi:application``.

The home comes from OBSERVATORY_HOME (default ./var), as for the command line. The app is
built on first access to ``application``, not at import: ``observatory serve --prod`` imports
``build_application`` from here and builds its own for the home it was given.
"""

from __future__ import annotations

import os

from observatory.settings import load_settings


def build_application(home: str | os.PathLike | None = None, *, proxy_hops: int = 0):
    """The Flask server of the dashboard in production mode (secure cookies), for ``home``.

    ``proxy_hops``: how many reverse proxies in front of the server set X-Forwarded-For,
    -Proto and -Host; their values are then trusted for the client's address (the log-in
    throttle counts failures per address), the scheme (HTTPS) and the host. Leave it at 0 when
    clients reach the server directly: they could otherwise claim any address.
    """
    from dashboards.app import create_app

    server = create_app(load_settings(home), production=True).server
    if proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=proxy_hops, x_proto=proxy_hops,
                                   x_host=proxy_hops)
    return server


def __getattr__(name: str):
    if name == "application":
        app = build_application(os.environ.get("OBSERVATORY_HOME"))
        globals()["application"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
