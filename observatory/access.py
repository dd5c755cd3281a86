"""Who is asking: the user of the current request, their role and the regions they may see.

The web layer (``dashboards/auth.py``) authenticates each request and calls
``set_current_user``; the query layer asks ``allowed_regions()`` and never trusts a region the
browser sent. Outside a request (the CLI, the pipelines, the benchmarks) nobody is set and the
caller is the operator of the machine: every region is allowed. Inside a request nobody set
means nobody logged in: no internal data at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Role = Literal["public", "analyst", "manager", "admin"]
ROLES: tuple[Role, ...] = ("public", "analyst", "manager", "admin")
# What each role may open, from least to most.
INTERNAL_ROLES = frozenset({"analyst", "manager", "admin"})
OPERATIONS_ROLES = frozenset({"admin"})


class AccessDenied(PermissionError):
    """The current user may not see this."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    # A manager's regions (NUTS codes); empty for the other roles, who see every region.
    regions: tuple[str, ...] = field(default=())

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}: expected one of {', '.join(ROLES)}")
        if self.role == "manager" and not self.regions:
            raise ValueError(f"manager {self.name!r} needs at least one region")
        if self.role != "manager" and self.regions:
            raise ValueError(f"only managers are scoped to regions, not {self.role} {self.name!r}")

    @property
    def internal(self) -> bool:
        return self.role in INTERNAL_ROLES

    @property
    def operations(self) -> bool:
        return self.role in OPERATIONS_ROLES

    def allowed_regions(self) -> frozenset[str] | None:
        """The regions this user may see; None means all of them."""
        if not self.internal:
            return frozenset()
        return frozenset(self.regions) if self.role == "manager" else None


ANONYMOUS = User("anonymous", "public")
OPERATOR = User("operator", "admin")  # the CLI, the pipelines, tests outside a request


def _request_active() -> bool:
    try:
        from flask import has_request_context
    except ImportError:  # pragma: no cover - flask comes with dash
        return False
    return has_request_context()


_G_ATTRIBUTE = "observatory_user"


def set_current_user(user: User) -> None:
    """Record the authenticated user of the current request (called by the web layer)."""
    from flask import g

    setattr(g, _G_ATTRIBUTE, user)


def current_user() -> User:
    """The user of the current request; ANONYMOUS if none logged in; OPERATOR outside one."""
    if not _request_active():
        return OPERATOR
    from flask import g

    return getattr(g, _G_ATTRIBUTE, ANONYMOUS)


def allowed_regions() -> frozenset[str] | None:
    """The regions the current user may see (None: all)."""
    return current_user().allowed_regions()


def require_internal() -> User:
    user = current_user()
    if not user.internal:
        raise AccessDenied("log in to see internal pages")
    return user


def require_operations() -> User:
    user = current_user()
    if not user.operations:
        raise AccessDenied("only administrators see the data-quality and operations views")
    return user


def scope_regions(requested: Iterable[str]) -> tuple[str, ...] | None:
    """The regions a query may read, given the ones the user asked for.

    None means every region (no restriction). For a scoped user an empty request means all of
    *their* regions, and regions outside their scope are dropped; if nothing is left the result
    is an empty tuple and the query must return no rows.
    """
    require_internal()
    requested = tuple(requested)
    allowed = allowed_regions()
    if allowed is None:
        return requested or None
    if not requested:
        return tuple(sorted(allowed))
    return tuple(r for r in requested if r in allowed)
