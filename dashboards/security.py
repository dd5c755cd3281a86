"""Security headers on every response of the dashboard's server.

The Content-Security-Policy allows exactly what the app needs, and nothing from another
origin (every script, style and font is served locally):

- scripts: this origin, plus the hashes of the inline scripts Dash writes into its page (the
  renderer's start, and the clientside callbacks such as the page-title one of Dash pages),
  taken from the app itself, never from the page being sent;
- styles: this origin and inline styles (React and Plotly set style attributes, Plotly adds
  its own rules);
- images: this origin, ``data:`` and ``blob:`` (Plotly's legend symbols and "download as
  PNG");
- connections: this origin (the callbacks' ``/_dash-update-component``) and ``data:`` (the
  empty topology the NUTS map is given instead of plotly.js's CDN one).

Nothing may frame a page (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``) except the
chart embeds under ``/embed/``, which any site may frame. The public section
(``dashboards/public``) sets its own, stricter script-free policy; it is kept as it is.
"""

from __future__ import annotations

from flask import Response, request

EMBED_PREFIX = "/embed/"
# Dash's own JSON and its pages carry internal figures: no shared cache may keep them.
NO_STORE_PREFIXES = ("/_dash-update-component", "/_dash-layout", "/_dash-dependencies")

# Browser features the app never uses.
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), "
                      "magnetometer=(), microphone=(), payment=(), usb=()")
HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(script_hashes: list[str] | tuple[str, ...], *,
                            framed_by_anyone: bool = False) -> str:
    """The CSP of the Dash pages, given the hashes of their inline scripts."""
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *script_hashes]),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        # data: for the empty world topology the NUTS map hands plotly.js instead of its CDN
        # (dashboards/official_figures.py), which plotly.js fetches.
        "connect-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "*" if framed_by_anyone else "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def is_embed(path: str) -> bool:
    return path.startswith(EMBED_PREFIX)


def register(app) -> None:
    """Add the headers to every response of ``app`` (a Dash app) and its Flask server."""

    @app.server.after_request
    def security_headers(response: Response) -> Response:
        embed = is_embed(request.path)
        headers = response.headers
        if "Content-Security-Policy" not in headers:
            # Computed per response: cheap, and it sees clientside callbacks Dash adds on the
            # first request.
            headers["Content-Security-Policy"] = content_security_policy(
                app.csp_hashes(), framed_by_anyone=embed)
        elif not embed:
            # A blueprint's own policy may be stricter, never more framable.
            policy = headers["Content-Security-Policy"]
            if "frame-ancestors" not in policy:
                headers["Content-Security-Policy"] = policy + "; frame-ancestors 'none'"
        if embed:
            headers.pop("X-Frame-Options", None)
        else:
            headers["X-Frame-Options"] = "DENY"
            headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers["X-Content-Type-Options"] = "nosniff"
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.is_secure:  # behind a TLS proxy that says so (X-Forwarded-Proto)
            headers.setdefault("Strict-Transport-Security", HSTS)
        if "Cache-Control" not in headers and (
                request.path.startswith(NO_STORE_PREFIXES)
                or (response.mimetype == "text/html" and not request.path.startswith(
                    ("/public", EMBED_PREFIX)))):
            headers["Cache-Control"] = "no-store"
        return response
