"""What several dashboard tests read from a layout or a live page: one copy of each."""

from __future__ import annotations

WALK_LEAVES = str | int | float


def route(client, pathname: str, search: str = ""):
    """Ask the app's page router for a page, as the browser does; the Flask response."""
    deps = client.get("/_dash-dependencies").get_json()
    output = next(d["output"] for d in deps if "_pages_content.children" in d["output"])
    return client.post("/_dash-update-component", json={
        "output": output,
        "outputs": [{"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    })


def walk(component):
    """Every component in a Dash layout tree, depth first."""
    yield component
    children = getattr(component, "children", None)
    if children is None or isinstance(children, WALK_LEAVES):
        return
    for child in children if isinstance(children, list | tuple) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child)


def by_id(layout, component_id):
    """The component of ``layout`` with this id."""
    return next(c for c in walk(layout) if getattr(c, "id", None) == component_id)


# The figure a dcc.Graph drew in the browser, as plain data: [{name, x, y}] per trace.
FIGURE_DATA = """id => {
    const plot = document.getElementById(id)?.querySelector('.js-plotly-plot');
    return plot?.data ? plot.data.map(t => ({name: t.name, x: Array.from(t.x || []),
                                             y: Array.from(t.y || [])})) : null;
}"""


def watch(page):
    """Record every request and every console or page error of a Playwright page."""
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def assert_offline_and_clean(page, base_url: str) -> None:
    """The page asked nothing of another origin (data: and blob: URLs are local) and logged
    no error."""
    elsewhere = {u for u in page.requests if not u.startswith((base_url, "data:", "blob:"))}
    assert not elsewhere, elsewhere
    assert page.errors == []
