"""The Dash shell: landmarks, navigation from the page registry, and the page container."""

from __future__ import annotations

from pathlib import Path

import dash
from dash import ALL, Input, Output, dcc, html

from dashboards import access_log, auth, callback_guard, db, health, public, security
from dashboards.components import filters
from dashboards.pages import channels, data_quality, employers, labour_market, outcomes, overview
from observatory import access
from observatory.settings import Settings

ASSETS = Path(__file__).parent / "assets"
PAGES = (overview, channels, labour_market, data_quality, outcomes, employers)
# Shown to administrators only (observatory/access.py); the pages refuse everybody else too.
OPERATIONS_PAGES = (data_quality,)

# lang for screen readers; no <footer> around the scripts (it would be a second contentinfo).
INDEX = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        {%config%}
        {%scripts%}
        {%renderer%}
    </body>
</html>"""


def _nav() -> html.Nav:
    shown = {p.__name__ for p in PAGES}
    if not access.current_user().operations:
        shown -= {p.__name__ for p in OPERATIONS_PAGES}
    links = [
        html.Li(dcc.Link(page["name"], href=page["relative_path"], className="nav-link",
                         id={"type": "nav-link", "path": page["path"]}))
        for page in dash.page_registry.values()
        if page["module"] in shown
    ]
    return html.Nav(html.Ul(links, className="nav-list"), className="site-nav",
                    **{"aria-label": "Pages"})


def _shell() -> html.Div:
    return html.Div([
        html.A("Skip to main content", href="#main-content", className="skip-link"),
        html.Header([html.P("PES Observatory", className="brand"), _nav(), auth.user_menu()],
                    className="site-header", role="banner"),
        html.Main(dash.page_container, id="main-content", role="main", tabIndex="-1",
                  className="site-main"),
        html.Footer(html.P("PES Observatory · open-source channel-usage and labour-market "
                           "observatory for Public Employment Services."),
                    className="site-footer", role="contentinfo"),
    ], className="site")


def nav_state(pathname: str | None, paths: list[str]) -> tuple[list[str], list]:
    """Class names and children marking the current page's link."""
    current = (pathname or "/").rstrip("/") or "/"
    classes, children = [], []
    for path in paths:
        # A section's sub-pages (/channels/journeys) are part of its link (/channels).
        active = _is_path(path) and (current == path or (path != "/" and current.startswith(
            path + "/")))
        classes.append("nav-link active" if active else "nav-link")
        # A path no page has can only come from a forged request: it gets no name.
        name = next((p["name"] for p in dash.page_registry.values() if p["path"] == path), "")
        children.append([name, html.Span(" (current page)", className="visually-hidden")]
                        if active else name)
    return classes, children


def nav_hrefs(search: str | None, paths: list[str]) -> list[str]:
    """Links to the other pages keep the filters they share."""
    query = filters.common_search(search)
    return [dash.get_relative_path(path if _is_path(path) else "/") + query for path in paths]


def _is_path(path) -> bool:
    """A page path as the links have them (a forged request may send anything)."""
    return isinstance(path, str) and path.startswith("/")


def create_app(settings: Settings, production: bool = False) -> dash.Dash:
    """A Dash app serving the published snapshot of ``settings``; safe to call more than once.

    Internal pages need a log-in (dashboards/auth.py); ``production`` sends the session cookie
    over HTTPS only.
    """
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",  # pages are registered below, so create_app can run again
        assets_folder=str(ASSETS),
        serve_locally=True,
        external_stylesheets=[],
        external_scripts=[],
        title="PES Observatory",
        update_title=None,
        index_string=INDEX,
        # Page components come and go with the URL; callbacks are checked by the tests.
        suppress_callback_exceptions=True,
    )
    db.bind(app, settings)
    for page in PAGES:
        page.register(app)
    filters.register_callbacks(app)
    public.register(app)  # /public, /embed, /api/v1: no login, public.* marts only
    health.register(app)  # /healthz: the published snapshot, no login
    security.register(app)  # CSP, framing and other headers on every response
    access_log.register(app, settings.logs_dir)  # one JSON line per request
    auth.install(app, settings, production=production)  # log-in for all but the open paths
    callback_guard.register(app)  # after the log-in check: 400 for forged callback bodies
    app.layout = _shell

    @app.callback(
        Output({"type": "nav-link", "path": ALL}, "className"),
        Output({"type": "nav-link", "path": ALL}, "children"),
        Input("_pages_location", "pathname"),
    )
    def mark_current_page(pathname):
        paths = [item["id"]["path"] for item in dash.ctx.outputs_list[0]]
        return nav_state(pathname, paths)

    @app.callback(
        Output({"type": "nav-link", "path": ALL}, "href"),
        Input(filters.URL_ID, "search"),
        prevent_initial_call=True,
    )
    def carry_filters(search):
        paths = [item["id"]["path"] for item in dash.ctx.outputs_list]
        return nav_hrefs(search, paths)

    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8050,
          debug: bool = False) -> None:
    """Run the dashboard with Dash's own server (use a WSGI server in production)."""
    create_app(settings).run(host=host, port=port, debug=debug)
