"""`observatory users add|list|remove`: who may log in to the dashboard, with which role."""

from __future__ import annotations

import argparse
import getpass
import sys

from observatory import users
from observatory.settings import Settings


def _read_password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("The same password again: ") != password:
        raise users.UsersError("the two passwords differ; nothing was changed")
    return password


def _unknown_regions(settings: Settings, regions: tuple[str, ...]) -> list[str]:
    """Regions absent from the published warehouse (none when nothing is published yet)."""
    if not regions or not settings.published_db.exists():
        return []
    import duckdb

    from warehouse.db import connect_published  # offline, the config every reader shares

    try:
        con = connect_published(settings.published_db)
        try:
            known = {r for (r,) in con.execute("SELECT region_code FROM core.dim_region").fetchall()}
        finally:
            con.close()
    except duckdb.Error:
        return []
    return [r for r in regions if r not in known]


def cmd_add(settings: Settings, args) -> int:
    # Checked before asking for a password, so a typo costs no typing.
    users.check_name(args.name)
    users.check_role(args.role)
    regions = users.check_regions(args.role, args.region)
    if args.name in users.read_accounts(settings):
        raise users.UsersError(f"there is already a user named {args.name!r} (remove it first "
                               "to change their role or password)")
    user = users.add_user(settings, args.name, args.role, _read_password(args), regions)
    scope = f" for {', '.join(user.regions)}" if user.regions else ""
    print(f"added {user.name} ({user.role}{scope}) to {settings.users_file}")
    unknown = _unknown_regions(settings, user.regions)
    if unknown:
        print(f"warning: the published warehouse has no region {', '.join(unknown)}: "
              f"{user.name} will see no data there", file=sys.stderr)
    return 0


def cmd_list(settings: Settings, args) -> int:
    listed = users.list_users(settings)
    if not listed:
        print(f"no users in {settings.users_file}: add one with "
              "`observatory users add NAME --role admin`")
        return 0
    rows = [("name", "role", "regions")] + [
        (u.name, u.role, ", ".join(u.regions) if u.regions else "all") for u in listed]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}".rstrip())
    return 0


def cmd_remove(settings: Settings, args) -> int:
    user = users.remove_user(settings, args.name)
    print(f"removed {user.name} ({user.role}); their sessions end at their next request")
    return 0


def run(settings: Settings, args) -> int:
    try:
        return args.action_func(settings, args)
    except users.UsersError as exc:
        print(f"observatory: {exc}", file=sys.stderr)
        return 2


def add_users_parser(subparsers, home_parent: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add `users add|list|remove` to the `observatory` sub-commands."""
    parser = subparsers.add_parser(
        "users", parents=[home_parent], help="who may log in to the dashboard, with which role",
        description="Dashboard users, kept in <home>/users.toml with argon2id password hashes. "
                    "Roles: analyst (every internal page, every region), manager (only their "
                    "--region), admin (also data quality and operations). Changes take effect "
                    "at the next request, without restarting the dashboard.")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = sub.add_parser("add", parents=[home_parent], help="add a user (asks for the password)")
    add.add_argument("name")
    add.add_argument("--role", required=True, metavar="ROLE",
                     help="one of " + ", ".join(users.LOGIN_ROLES))
    add.add_argument("--region", action="append", default=[], metavar="NUTS",
                     help="a region a manager sees (NUTS code, e.g. FRK); repeat for several")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add.set_defaults(action_func=cmd_add)
    lst = sub.add_parser("list", parents=[home_parent], help="users, roles and regions")
    lst.set_defaults(action_func=cmd_list)
    rm = sub.add_parser("remove", parents=[home_parent], help="remove a user")
    rm.add_argument("name")
    rm.set_defaults(action_func=cmd_remove)
    parser.set_defaults(func=run)
    return parser
