"""The public section: labour-market factsheets, chart embeds and the open-data API.

It is served without login and reads only the ``public.*`` marts, where disclosure control has
been applied by the warehouse build (warehouse/disclosure.py).
"""

from __future__ import annotations

# Served without login: an access-control layer must let these through untouched.
PUBLIC_PATH_PREFIXES = ("/public", "/embed/", "/api/v1")


def register(app) -> None:
    """Add /public/..., /embed/... and /api/v1/... to ``app``'s Flask server."""
    from dashboards.public import api, views

    app.server.register_blueprint(views.blueprint(app))
    app.server.register_blueprint(api.blueprint(app))
