"""Who may log in to the dashboard: ``<home>/users.toml``, with argon2id password hashes.

The file is written only by the functions below (``observatory users add|remove``): atomically
(a temporary file, then ``os.replace``), readable by its owner only. It looks like this::

    [[user]]
    name = "amelie"
    role = "manager"
    regions = ["FRK"]
    password_hash = "$argon2id$v=19$m=65536,t=3,p=4$..."

Roles and what each may see are defined in observatory/access.py. Names are case-sensitive.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import secrets
import tempfile
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from observatory import access
from observatory.settings import Settings

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
# A NUTS code: the country, then up to three levels (FR, FRK, FRK2, FRK26).
NUTS_PATTERN = re.compile(r"[A-Z]{2}[A-Z0-9]{0,3}")
MIN_PASSWORD_LENGTH = 12
# Who logs in is an internal user; "public" is everybody who has not logged in.
LOGIN_ROLES = tuple(r for r in access.ROLES if r in access.INTERNAL_ROLES)


class UsersError(ValueError):
    """A bad name, role, region or password, or a users file that cannot be read."""


@dataclass(frozen=True)
class Account:
    """A user as stored: who they are, and the hash their password is checked against."""

    user: access.User
    password_hash: str

    @property
    def fingerprint(self) -> str:
        """Changes whenever the password is set again: a session remembers it, so removing and
        re-adding a user ends the sessions opened with the old password."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]


def _hasher() -> PasswordHasher:
    # argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile (64 MiB, t=3, p=4).
    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the name is unknown, so both cases take as long."""
    return _hasher().hash(secrets.token_hex(16))


# -- validation ------------------------------------------------------------------------------

def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name or ""):
        raise UsersError(f"bad user name {name!r}: use 1 to 64 letters, digits and . _ @ -, "
                         "starting with a letter or digit")
    return name


def check_role(role: str) -> access.Role:
    if role == "public":
        raise UsersError("'public' is the role of visitors who have not logged in: give a user "
                         f"one of {', '.join(LOGIN_ROLES)}")
    if role not in LOGIN_ROLES:
        raise UsersError(f"unknown role {role!r}: expected one of {', '.join(LOGIN_ROLES)}")
    return role  # type: ignore[return-value]


def check_regions(role: str, regions: Iterable[str]) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(r.strip().upper() for r in regions))
    bad = [c for c in codes if not NUTS_PATTERN.fullmatch(c)]
    if bad:
        raise UsersError(f"not a NUTS region code: {', '.join(map(repr, bad))} (e.g. FRK, FR1, DE3)")
    if role == "manager" and not codes:
        raise UsersError("a manager sees only their regions: give at least one --region")
    if role != "manager" and codes:
        raise UsersError(f"only managers are scoped to regions; an {role} sees every region")
    return codes


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsersError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


# -- the file --------------------------------------------------------------------------------

def _parse(path: Path, text: str) -> dict[str, Account]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsersError(f"{path}: {exc}") from exc
    accounts: dict[str, Account] = {}
    for i, entry in enumerate(data.get("user", []), start=1):
        try:
            name = entry["name"]
            user = access.User(name, entry["role"], tuple(entry.get("regions", ())))
            password_hash = entry["password_hash"]
        except (KeyError, TypeError, ValueError) as exc:
            raise UsersError(f"{path}: user #{i} is malformed ({exc})") from exc
        if name in accounts:
            raise UsersError(f"{path}: user {name!r} is defined twice")
        accounts[name] = Account(user, password_hash)
    return accounts


def read_accounts(settings: Settings) -> dict[str, Account]:
    """Every account of the users file by name; empty when there is no file."""
    path = settings.users_file
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    return _parse(path, text)


def _string(value: str) -> str:
    # A JSON string with ASCII escapes is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=True)


def _render(accounts: Iterable[Account]) -> str:
    lines = ["# PES Observatory dashboard users: edit with `observatory users add|remove`.",
             "# Roles: analyst, manager (only their regions), admin. Passwords are argon2id hashes.",
             ""]
    for account in sorted(accounts, key=lambda a: a.user.name):
        user = account.user
        lines += ["[[user]]", f"name = {_string(user.name)}", f"role = {_string(user.role)}"]
        if user.regions:
            lines.append(f"regions = [{', '.join(_string(r) for r in user.regions)}]")
        lines += [f"password_hash = {_string(account.password_hash)}", ""]
    return "\n".join(lines)


def _write(settings: Settings, accounts: Iterable[Account]) -> None:
    """Replace the users file at once: a reader sees the old file or the new one, never half."""
    path = settings.users_file
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".users-", suffix=".toml", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_render(accounts))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(settings: Settings) -> Iterator[None]:
    """One writer at a time, so two `users add` never lose each other's user."""
    path = settings.users_file
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# -- the API ---------------------------------------------------------------------------------

def add_user(settings: Settings, name: str, role: str, password: str,
             regions: Iterable[str] = ()) -> access.User:
    """Add a user; a name already taken is refused (remove it first)."""
    user = access.User(check_name(name), check_role(role), check_regions(role, regions))
    password_hash = _hasher().hash(check_password(password))
    with _locked(settings):
        accounts = read_accounts(settings)
        if name in accounts:
            raise UsersError(f"there is already a user named {name!r} (remove it first to "
                             "change their role or password)")
        accounts[name] = Account(user, password_hash)
        _write(settings, accounts.values())
    return user


def remove_user(settings: Settings, name: str) -> access.User:
    """Remove a user: their sessions end at their next request."""
    with _locked(settings):
        accounts = read_accounts(settings)
        if name not in accounts:
            raise UsersError(f"no user named {name!r} in {settings.users_file}")
        removed = accounts.pop(name)
        _write(settings, accounts.values())
    return removed.user


def list_users(settings: Settings) -> list[access.User]:
    """Every user, by name (no hashes)."""
    return [a.user for _, a in sorted(read_accounts(settings).items())]


def verify_account(settings: Settings, name: str, password: str) -> Account | None:
    """The account whose name and password these are, else None."""
    account = read_accounts(settings).get(name)
    try:
        _hasher().verify(account.password_hash if account else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return account


def verify(settings: Settings, name: str, password: str) -> access.User | None:
    """The user with this name and password, else None (an unknown name takes as long)."""
    account = verify_account(settings, name, password)
    return account.user if account else None


DEMO_ADMIN = "admin"


def demo_login_file(settings: Settings) -> Path:
    return settings.home / "secrets" / "demo-login.txt"


def ensure_demo_login(settings: Settings) -> str:
    """For `observatory demo`: with no users file yet, an ``admin`` with a random password,
    written to <home>/secrets/demo-login.txt (0600). Returns how to log in, in one line."""
    path = demo_login_file(settings)
    if not settings.users_file.exists():
        password = secrets.token_urlsafe(12)
        add_user(settings, DEMO_ADMIN, "admin", password)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f"{DEMO_ADMIN}\n{password}\n")
        os.chmod(path, 0o600)
    if path.exists():
        name, _, password = path.read_text(encoding="utf-8").partition("\n")
        password = password.strip()
        if verify(settings, name, password):
            return f"log in as {name} / {password}"
    return (f"log in with one of the users of {settings.users_file} "
            "(`observatory users list`; add one with `observatory users add`)")


class Directory:
    """The users file, read again only when it changes: the web layer looks every request's
    user up here, so a removed user or a new role takes effect at the next request."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._cache: tuple[tuple[int, int, int] | None, dict[str, Account]] = (None, {})

    def accounts(self) -> dict[str, Account]:
        try:
            st = self.settings.users_file.stat()
        except FileNotFoundError:
            return {}
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)  # os.replace gives a new inode
        cached_stamp, accounts = self._cache
        if stamp != cached_stamp:
            accounts = read_accounts(self.settings)
            self._cache = (stamp, accounts)
        return accounts

    def lookup(self, name: str) -> Account | None:
        return self.accounts().get(name)

    def exists(self) -> bool:
        return self.settings.users_file.exists()
