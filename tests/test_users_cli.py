"""`observatory users add|list|remove`, the users file it writes, and the demo's admin."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from observatory import access, users
from observatory.cli import main
from observatory.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct-horse-battery"


def run(capsys, monkeypatch, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def add(capsys, monkeypatch, home: Path, name: str, role: str, *regions: str,
        password: str = PASSWORD):
    argv = ["users", "add", name, "--role", role, "--password-stdin", "--home", str(home)]
    for region in regions:
        argv += ["--region", region]
    return run(capsys, monkeypatch, *argv, stdin=password + "\n")


def test_add_list_remove(tmp_path, capsys, monkeypatch):
    assert add(capsys, monkeypatch, tmp_path, "ana", "analyst")[:2] == (
        0, f"added ana (analyst) to {tmp_path / 'users.toml'}\n")
    code, out, _ = add(capsys, monkeypatch, tmp_path, "mia", "manager", "frk", "FR1")
    assert code == 0 and "added mia (manager for FRK, FR1)" in out
    assert add(capsys, monkeypatch, tmp_path, "ada", "admin")[0] == 0

    code, out, _ = run(capsys, monkeypatch, "users", "list", "--home", str(tmp_path))
    assert code == 0
    assert out.splitlines() == ["name  role     regions",
                                "ada   admin    all",
                                "ana   analyst  all",
                                "mia   manager  FRK, FR1"]
    assert "argon2" not in out

    code, out, _ = run(capsys, monkeypatch, "users", "remove", "ana", "--home", str(tmp_path))
    assert code == 0 and out.startswith("removed ana (analyst)")
    assert [u.name for u in users.list_users(Settings(home=tmp_path))] == ["ada", "mia"]


def test_the_file_holds_argon2id_hashes_only_and_is_private(tmp_path, capsys, monkeypatch):
    add(capsys, monkeypatch, tmp_path, "mia", "manager", "FRK")
    path = tmp_path / "users.toml"
    text = path.read_text(encoding="utf-8")
    assert PASSWORD not in text
    entry = tomllib.loads(text)["user"][0]
    assert entry["name"] == "mia" and entry["role"] == "manager" and entry["regions"] == ["FRK"]
    assert entry["password_hash"].startswith("$argon2id$")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".users-")] == []


def test_verify(tmp_path, capsys, monkeypatch):
    add(capsys, monkeypatch, tmp_path, "mia", "manager", "FRK")
    settings = Settings(home=tmp_path)
    assert users.verify(settings, "mia", PASSWORD) == access.User("mia", "manager", ("FRK",))
    assert users.verify(settings, "mia", PASSWORD + "!") is None
    assert users.verify(settings, "Mia", PASSWORD) is None  # names are case-sensitive
    assert users.verify(settings, "nobody", PASSWORD) is None
    assert users.verify(Settings(home=tmp_path / "no-home"), "mia", PASSWORD) is None


@pytest.mark.parametrize("argv, message", [
    (["ana", "--role", "public"], "'public' is the role of visitors who have not logged in"),
    (["ana", "--role", "boss"], "unknown role 'boss': expected one of analyst, manager, admin"),
    (["ana", "--role", "manager"], "a manager sees only their regions: give at least one"),
    (["ana", "--role", "analyst", "--region", "FRK"], "only managers are scoped to regions"),
    (["ana", "--role", "manager", "--region", "Rhône"], "not a NUTS region code: 'RHÔNE'"),
    (["an a", "--role", "admin"], "bad user name 'an a'"),
])
def test_bad_users_are_refused_with_a_clear_message(tmp_path, capsys, monkeypatch, argv,
                                                    message):
    code, out, err = run(capsys, monkeypatch, "users", "add", *argv, "--password-stdin",
                         "--home", str(tmp_path), stdin=PASSWORD + "\n")
    assert code == 2 and out == ""
    assert message in err
    assert not (tmp_path / "users.toml").exists()


def test_duplicates_short_passwords_and_unknown_users(tmp_path, capsys, monkeypatch):
    add(capsys, monkeypatch, tmp_path, "ana", "analyst")
    code, _, err = add(capsys, monkeypatch, tmp_path, "ana", "admin")
    assert code == 2 and "there is already a user named 'ana'" in err
    code, _, err = add(capsys, monkeypatch, tmp_path, "bob", "admin", password="short")
    assert code == 2 and "at least 12 characters" in err
    code, _, err = run(capsys, monkeypatch, "users", "remove", "bob", "--home", str(tmp_path))
    assert code == 2 and "no user named 'bob'" in err
    assert [u.name for u in users.list_users(Settings(home=tmp_path))] == ["ana"]


def test_list_without_users_says_how_to_add_one(tmp_path, capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "users", "list", "--home", str(tmp_path))
    assert code == 0 and "observatory users add NAME --role admin" in out


def _cli(home: Path, *argv: str, stdin: str) -> subprocess.CompletedProcess:
    # A new session has no controlling terminal: getpass reads the answers from stdin.
    return subprocess.run([sys.executable, "-m", "observatory.cli", *argv, "--home", str(home)],
                          input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120,
                          start_new_session=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_the_password_is_asked_twice(tmp_path):
    differ = _cli(tmp_path, "users", "add", "ana", "--role", "analyst",
                  stdin=f"{PASSWORD}\n{PASSWORD}x\n")
    assert differ.returncode == 2 and "the two passwords differ" in differ.stderr
    assert not (tmp_path / "users.toml").exists()
    same = _cli(tmp_path, "users", "add", "ana", "--role", "analyst",
                stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert same.returncode == 0, same.stderr
    assert users.verify(Settings(home=tmp_path), "ana", PASSWORD)


def test_the_demo_gets_an_admin_with_a_random_password(tmp_path):
    settings = Settings(home=tmp_path)
    line = users.ensure_demo_login(settings)
    assert line.startswith("log in as admin / ")
    password = line.removeprefix("log in as admin / ")
    assert len(password) >= users.MIN_PASSWORD_LENGTH
    assert users.verify(settings, "admin", password) == access.User("admin", "admin")
    secret = tmp_path / "secrets" / "demo-login.txt"
    assert secret.read_text() == f"admin\n{password}\n"
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    assert users.ensure_demo_login(settings) == line  # a second run says the same

    # Users of one's own: the demo leaves them alone.
    other = Settings(home=tmp_path / "own")
    users.add_user(other, "ana", "analyst", PASSWORD)
    assert "observatory users list" in users.ensure_demo_login(other)
    assert [u.name for u in users.list_users(other)] == ["ana"]


def test_a_users_file_edited_by_hand_into_nonsense_is_reported(tmp_path, capsys, monkeypatch):
    (tmp_path / "users.toml").write_text('[[user]]\nname = "x"\nrole = "manager"\n'
                                         'password_hash = "h"\n')
    code, _, err = run(capsys, monkeypatch, "users", "list", "--home", str(tmp_path))
    assert code == 2 and "user #1 is malformed" in err and "needs at least one region" in err
