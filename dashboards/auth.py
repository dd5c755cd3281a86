"""Who is asking, on the web: the log-in form, the session cookie, CSRF and failed-log-in limits.

Every request passes ``guard`` (a Flask ``before_request`` hook) first:

- the public section (``/public``, ``/embed/``, ``/api/v1``), static files, ``/login``,
  ``/logout`` and ``/healthz`` are open to everybody;
- everything else needs a logged-in internal user: a browser asking for a page is sent to
  ``/login?next=<the page>``, Dash's JSON endpoints answer 401;
- the user comes from ``request_user``, the one function that turns a request into an
  ``access.User`` (an OIDC single sign-on would replace it: docs/access-control.md), and is
  handed to the query layer with ``access.set_current_user``.

The session is Flask's signed cookie: it holds the user's name, a fingerprint of their password
hash, the log-in time and the CSRF token, and nothing the user could change to gain a role: the
role and regions are read from users.toml at every request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import math
import os
import secrets
import sqlite3
import time
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, jsonify, redirect, render_template, request, session, url_for
from werkzeug.exceptions import MethodNotAllowed

from dashboards.public import PUBLIC_PATH_PREFIXES
from observatory import access, users
from observatory.settings import Settings, SettingsError

log = logging.getLogger(__name__)

LOGIN_PATH, LOGOUT_PATH, HEALTH_PATH = "/login", "/logout", "/healthz"
# Open to everybody: the public section, files without data (stylesheets, Dash's JavaScript
# bundles), and the log-in itself. A prefix ending in "/" matches below it only; any other also
# matches itself ("/public" and "/public/...", never "/publicity").
OPEN_PREFIXES = (*PUBLIC_PATH_PREFIXES, "/assets/", "/_dash-component-suites/", "/_favicon.ico",
                 LOGIN_PATH, LOGOUT_PATH, HEALTH_PATH)
# Dash's own JSON endpoints (layout, callback graph, callbacks, hot reload): a 401, not a
# redirect, when nobody is logged in.
DASH_JSON_PREFIXES = ("/_dash-", "/_reload-hash")

SESSION_COOKIE = "observatory_session"
# A session ends after 8 hours without a request, and 12 hours after logging in whatever.
SESSION_IDLE = dt.timedelta(hours=8)
SESSION_MAX = dt.timedelta(hours=12)
SESSION_KEY_ENV = "OBSERVATORY_SESSION_KEY"
MIN_KEY_LENGTH = 32

# Failed log-ins: after 5 for one name, or 20 from one address (an office behind one NAT
# shares it), within 15 minutes, log-in answers 429 without checking the password.
FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20


# -- the session key -------------------------------------------------------------------------

def session_secret(settings: Settings) -> bytes:
    """OBSERVATORY_SESSION_KEY, else <home>/secrets/session.key, created (0600) on first use.

    Every worker process of one home reads the same key, so a session opened on one is valid
    on all; rotating the key logs everybody out.
    """
    env = os.environ.get(SESSION_KEY_ENV)
    if env:
        if len(env) < MIN_KEY_LENGTH:
            raise SettingsError(f"{SESSION_KEY_ENV} is too short: use at least {MIN_KEY_LENGTH} "
                                "random characters (python -c 'import secrets; "
                                "print(secrets.token_hex(32))')")
        return env.encode()
    path = settings.session_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: link() fails if another worker got there
        # first, and nobody ever reads a half-written key.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links: create it in place
                with suppress(FileExistsError):
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "w") as f:
                        f.write(tmp.read_text())
        finally:
            os.unlink(tmp)
    key = path.read_bytes().strip()
    if len(key) < MIN_KEY_LENGTH:
        raise SettingsError(f"{path} holds fewer than {MIN_KEY_LENGTH} characters: delete it to "
                            "have a new key made, or write a longer one")
    return key


# -- failed log-ins, shared by every worker --------------------------------------------------

def _key(kind: str, value: str) -> str:
    # Names and addresses are kept hashed: the file only has to count them.
    return hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()


@dataclass(frozen=True)
class Attempt:
    """A log-in attempt let through (counted as failed until it succeeds), or refused."""

    retry_after: int | None = None  # seconds, when refused
    name_key: str = ""
    row_ids: tuple[int, ...] = ()

    @property
    def refused(self) -> bool:
        return self.retry_after is not None


class LoginThrottle:
    """Failed log-ins per name and per client address over a sliding window, in one SQLite file
    that every worker process of the home shares.

    Each attempt is recorded as a failure *before* the password is checked, in the same
    transaction that counts the earlier ones, so parallel guesses on several workers cannot
    slip past the limit; a success takes its record back and clears the name's failures.
    """

    def __init__(self, path: Path, window: dt.timedelta = FAILURE_WINDOW,
                 per_name: int = MAX_FAILURES_PER_NAME,
                 per_address: int = MAX_FAILURES_PER_ADDRESS):
        self.path, self.window = path, window.total_seconds()
        self.per_name, self.per_address = per_name, per_address

    def _connect(self) -> sqlite3.Connection:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with suppress(FileExistsError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        con.execute("CREATE TABLE IF NOT EXISTS failed_logins (key TEXT NOT NULL, "
                    "attempted_at REAL NOT NULL)")
        con.execute("CREATE INDEX IF NOT EXISTS failed_logins_key ON failed_logins (key, "
                    "attempted_at)")
        return con

    def _wait(self, con: sqlite3.Connection, key: str, limit: int, now: float) -> float | None:
        """Seconds until ``key`` is under its limit again; None if it already is."""
        (n,) = con.execute("SELECT count(*) FROM failed_logins WHERE key = ?", (key,)).fetchone()
        if n < limit:
            return None
        # The limit is reached until the (n - limit + 1)-th oldest failure leaves the window.
        (at,) = con.execute("SELECT attempted_at FROM failed_logins WHERE key = ? "
                            "ORDER BY attempted_at LIMIT 1 OFFSET ?", (key, n - limit)).fetchone()
        return at + self.window - now

    def attempt(self, name: str, address: str) -> Attempt:
        now = time.time()
        name_key, address_key = _key("name", name.casefold()), _key("address", address)
        with closing(self._connect()) as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                con.execute("DELETE FROM failed_logins WHERE attempted_at < ?",
                            (now - self.window,))
                waits = [w for w in (self._wait(con, name_key, self.per_name, now),
                                     self._wait(con, address_key, self.per_address, now))
                         if w is not None]
                if waits:
                    con.execute("COMMIT")
                    return Attempt(retry_after=max(1, math.ceil(max(waits))))
                ids = tuple(con.execute("INSERT INTO failed_logins VALUES (?, ?)",
                                        (key, now)).lastrowid for key in (name_key, address_key))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return Attempt(name_key=name_key, row_ids=ids)

    def succeeded(self, attempt: Attempt) -> None:
        with closing(self._connect()) as con:
            con.execute("DELETE FROM failed_logins WHERE key = ? OR rowid IN (?, ?)",
                        (attempt.name_key, *attempt.row_ids))


# -- the user of a request -------------------------------------------------------------------

def _under(path: str, prefix: str) -> bool:
    if prefix.endswith("/"):
        return path.startswith(prefix)
    return path == prefix or path.startswith(prefix + "/")


def is_open(path: str) -> bool:
    """Whether ``path`` (relative to the app's root) is served without logging in."""
    return any(_under(path, prefix) for prefix in OPEN_PREFIXES)


def is_dash_json(path: str) -> bool:
    return path.startswith(DASH_JSON_PREFIXES) and not is_open(path)


def request_user(directory: users.Directory) -> access.User | None:
    """The logged-in user of the current request, else None.

    The session names the user; their role and regions come from users.toml as it is now, so
    a user removed, or given another role or password, is out at their next request. This is
    where a single sign-on would plug in (docs/access-control.md).
    """
    name = session.get("user")
    if not name:
        return None
    try:
        account = directory.lookup(name)
    except users.UsersError:
        log.exception("the users file cannot be read: nobody is logged in")
        return None
    logged_in_at = session.get("at", 0)
    if (account is None or not hmac.compare_digest(session.get("pwd", ""), account.fingerprint)
            or time.time() - logged_in_at > SESSION_MAX.total_seconds()):
        session.clear()
        return None
    return account.user


def csrf_token() -> str:
    """This session's token for forms that change something (log in, log out)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _csrf_ok() -> bool:
    expected, sent = session.get("csrf", ""), request.form.get("csrf_token", "")
    return bool(expected) and hmac.compare_digest(expected.encode(), sent.encode())


def safe_next(target: str | None) -> str:
    """A path on this site to go to after logging in: anything else (another host, a scheme,
    "//host", backslashes, the log-in itself) becomes "/"."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or "\\" in target
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
            or _under(parts.path, LOGIN_PATH) or _under(parts.path, LOGOUT_PATH)):
        return "/"
    return target


def _logged_name(settings: Settings, name: str) -> str:
    """What a log may say of a name typed at log-in: an account's name, never anything else
    (a mistyped e-mail address or a password typed in the wrong field is personal data).
    Client addresses are not logged either."""
    try:
        known = name in users.read_accounts(settings)
    except users.UsersError:
        known = False
    return repr(name) if known else "an unknown name"


def _client_address() -> str:
    # Behind a reverse proxy the production server must set remote_addr from the proxy's
    # X-Forwarded-For (werkzeug's ProxyFix), or every client shares the proxy's address.
    return request.remote_addr or "unknown"


# -- the Flask side --------------------------------------------------------------------------

def install(app, settings: Settings, *, production: bool = False) -> None:
    """Require a log-in for ``app``'s internal pages (a Dash app and its Flask server)."""
    server = app.server
    server.secret_key = session_secret(settings)
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        PERMANENT_SESSION_LIFETIME=SESSION_IDLE,
    )
    directory = users.Directory(settings)
    throttle = LoginThrottle(settings.login_attempts_db)

    # Dash serves its (internal) shell for any path no other route takes: "/public/typo" too.
    dash_index_rules = {app.config.routes_pathname_prefix,
                        app.config.routes_pathname_prefix + "<path:path>"}

    def login_url(next_path: str | None = None) -> str:
        query = f"?{urlencode({'next': next_path})}" if next_path and next_path != "/" else ""
        return request.script_root + LOGIN_PATH + query

    @server.before_request
    def guard():
        path = request.path
        rule = request.url_rule.rule if request.url_rule else None
        if is_open(path) and rule not in dash_index_rules:
            return None
        user = request_user(directory)
        if user is None or not user.internal:
            if is_dash_json(path) or request.method not in ("GET", "HEAD"):
                return jsonify(error="log in to see internal pages", login=login_url()), 401
            wanted = request.full_path.rstrip("?")
            return redirect(login_url(wanted))
        access.set_current_user(user)
        return None

    @server.errorhandler(access.AccessDenied)
    def denied(error: access.AccessDenied):
        if is_dash_json(request.path):
            return jsonify(error=str(error)), 403
        return _page("denied.html", status=403, message=str(error))

    blueprint = Blueprint("auth", __name__, template_folder="templates")

    def login_page(status: int = 200, error: str | None = None, notice: str | None = None,
                   name: str = "", next_path: str = "/") -> Response:
        try:
            has_users = bool(directory.accounts())
            broken = False
        except users.UsersError:
            log.exception("the users file cannot be read")
            has_users, broken = False, True
        return _page("login.html", status=status, error=error, notice=notice, name=name,
                     next_path=next_path, has_users=has_users, users_file_broken=broken,
                     csrf_token=csrf_token())

    @blueprint.get(LOGIN_PATH)
    def login():
        next_path = safe_next(request.args.get("next"))
        user = request_user(directory)
        if user is not None and user.internal:
            return redirect(request.script_root + next_path)
        notice = "You have logged out." if session.pop("logged_out", False) else None
        return login_page(notice=notice, next_path=next_path)

    @blueprint.post(LOGIN_PATH)
    def login_submit():
        next_path = safe_next(request.form.get("next"))
        name = request.form.get("name", "").strip()
        password = request.form.get("password", "")
        if not _csrf_ok():
            return login_page(403, "This form has expired or did not come from this site: "
                                   "please log in again.", name=name, next_path=next_path)
        if not name or not password:
            return login_page(400, "Enter your name and your password.", name=name,
                              next_path=next_path)
        attempt = throttle.attempt(name, _client_address())
        if attempt.refused:
            minutes = math.ceil(attempt.retry_after / 60)
            log.warning("log-in refused for %s: too many failures", _logged_name(settings, name))
            response = login_page(
                429, f"Too many failed log-ins for this name or from this address. Try again in "
                     f"{minutes} minute{'s' if minutes > 1 else ''}.", name=name,
                next_path=next_path)
            response.headers["Retry-After"] = str(attempt.retry_after)
            return response
        try:
            account = users.verify_account(settings, name, password)
        except users.UsersError:
            log.exception("the users file cannot be read")
            account = None
        if account is None or not account.user.internal:
            log.warning("failed log-in for %s", _logged_name(settings, name))
            return login_page(401, "Unknown name or wrong password.", name=name,
                              next_path=next_path)
        throttle.succeeded(attempt)
        # A new session: nothing from before the log-in (its CSRF token included) survives.
        session.clear()
        session.permanent = True
        session.update(user=account.user.name, pwd=account.fingerprint, at=time.time(),
                       csrf=secrets.token_urlsafe(32))
        log.info("log-in of %s (%s)", account.user.name, account.user.role)
        return redirect(request.script_root + next_path)

    @blueprint.get(LOGOUT_PATH)
    def logout_get():
        # Logging out changes something: only the form's POST, with its CSRF token, does it.
        raise MethodNotAllowed(valid_methods=["POST"])

    @blueprint.post(LOGOUT_PATH)
    def logout():
        if not _csrf_ok():
            return _page("denied.html", status=403, message="This log-out form has expired or "
                         "did not come from this site: reload the page and try again.")
        name = session.get("user")
        session.clear()
        session["logged_out"] = True
        if name:
            log.info("log-out of %s", name)
        return redirect(login_url())

    server.register_blueprint(blueprint)


def _page(template: str, status: int = 200, **context) -> Response:
    response = Response(render_template(f"auth/{template}", asset_url=asset_url, **context),
                        status=status,
                        mimetype="text/html")
    # Never kept by a browser or a proxy: it holds the CSRF token, and says who is logged in.
    response.headers["Cache-Control"] = "no-store"
    return response


def asset_url(name: str) -> str:
    return url_for("_dash_assets.static", filename=name)


# -- the internal shell's header -------------------------------------------------------------

def user_menu():
    """Who is logged in, and a button to log out, for the Dash shell's header (None outside a
    request or when nobody is logged in)."""
    from flask import has_request_context

    if not has_request_context():
        return None
    user = access.current_user()
    if not user.internal:
        return None
    from dash import dcc, get_relative_path, html

    scope = f", {', '.join(user.regions)}" if user.regions else ""
    return html.Div([
        html.P([html.Span("Logged in as ", className="visually-hidden"),
                html.Strong(user.name, id="user-name"), " ",
                html.Span(f"({user.role}{scope})", id="user-role")], className="user-who"),
        html.Form([
            dcc.Input(type="hidden", name="csrf_token", value=csrf_token(), id="logout-csrf"),
            html.Button("Log out", type="submit", className="logout-button", id="logout-button"),
        ], action=get_relative_path(LOGOUT_PATH), method="post", className="logout-form"),
    ], className="user-menu")
