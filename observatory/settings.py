"""One settings object: every path and secret comes from here.

Values are read, in order of precedence, from the environment, then from
``<home>/observatory.toml``, then from the defaults below.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from zoneinfo import ZoneInfo

CONFIG_NAME = "observatory.toml"


@dataclass(frozen=True)
class DisclosureThresholds:
    """Statistical disclosure control for public outputs (docs/disclosure-control.md)."""

    min_count: int = 10
    rounding_base: int = 5
    min_employers: int = 3
    dominance_share: float = 0.85
    min_rate_denominator: int = 30


@dataclass(frozen=True)
class Settings:
    home: Path
    timezone: str = "Europe/Paris"
    # Satisfaction and other survey shares are not shown below this many answers.
    min_survey_n: int = 30
    pseudonym_key_file: Path | None = None
    disclosure: DisclosureThresholds = field(default_factory=DisclosureThresholds)
    # Per-source file format: {"interactions": {"encoding": "cp1252", "separator": ";"}, ...}
    sources: dict = field(default_factory=dict)
    mappings_file: Path | None = None

    # -- paths -----------------------------------------------------------------
    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def build_db(self) -> Path:
        """The pipeline's read-write database; never served."""
        return self.warehouse_dir / "build.duckdb"

    @property
    def published_db(self) -> Path:
        """The read-only snapshot the dashboard and `observatory sql` read."""
        return self.warehouse_dir / "observatory.duckdb"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def prefect_home(self) -> Path:
        return self.home / "prefect"

    @property
    def key_file(self) -> Path:
        return self.pseudonym_key_file or self.home / "secrets" / "pseudonym.key"

    @property
    def mappings_path(self) -> Path:
        return self.mappings_file or self.home / "mappings.toml"

    @property
    def users_file(self) -> Path:
        """Who may log in to the dashboard, with their role (written by `observatory users`)."""
        return self.home / "users.toml"

    @property
    def session_key_file(self) -> Path:
        """The key signing dashboard session cookies, unless OBSERVATORY_SESSION_KEY is set."""
        return self.home / "secrets" / "session.key"

    @property
    def login_attempts_db(self) -> Path:
        """Failed log-ins, counted across every web worker (a small SQLite file)."""
        return self.home / "state" / "login-attempts.sqlite"

    def source_format(self, source: str):
        """What the settings pin of a source's file format ("auto" = detect per file)."""
        from pipelines.readers import SourceFormat

        try:
            return SourceFormat.from_settings(self.sources.get(source, {}))
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"[sources.{source}] in {self.home / CONFIG_NAME}: {exc}") from exc

    def code_mappings(self, source: str) -> dict[str, dict[str, str]]:
        """The PES's own codes for ``source``: {column: {pes_code: canonical_code}}.

        mappings.toml holds [column] tables for every source and [source.column] tables
        for one. Read on every call, so a fixed mapping applies to the next replay.
        """
        path = self.mappings_path
        if not path.exists():
            return {}
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: {exc}") from exc
        from pipelines.contracts import CONTRACTS

        out: dict[str, dict[str, str]] = {}
        for key, table in data.items():
            if key in CONTRACTS:
                if key == source:
                    for column, codes in table.items():
                        out.setdefault(column, {}).update({str(k): str(v) for k, v in codes.items()})
            else:
                out.setdefault(key, {})
                out[key] = {str(k): str(v) for k, v in table.items()} | out[key]
        return out

    # -- secrets ---------------------------------------------------------------
    def pseudonym_key(self, *, create_for_demo: bool = False) -> bytes:
        """The HMAC key for pseudonyms: OBSERVATORY_PSEUDONYM_KEY, else the key file.

        Only demo data may create a key on the fly; real data without a key is refused.
        """
        env = os.environ.get("OBSERVATORY_PSEUDONYM_KEY")
        if env:
            return env.encode()
        if self.key_file.exists():
            return self.key_file.read_bytes().strip()
        if not create_for_demo:
            raise MissingKeyError(
                "No pseudonymisation key: set OBSERVATORY_PSEUDONYM_KEY or write a key to "
                f"{self.key_file}. Real identifiers are never loaded without one."
            )
        self.key_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32).encode()
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        return key

    def ensure_dirs(self) -> None:
        for d in (self.landing_dir, self.quarantine_dir, self.warehouse_dir, self.logs_dir):
            d.mkdir(parents=True, exist_ok=True)


class MissingKeyError(RuntimeError):
    pass


class SettingsError(ValueError):
    pass


def load_settings(home: str | os.PathLike | None = None) -> Settings:
    """Settings for ``home`` (else OBSERVATORY_HOME, else ./var)."""
    home_path = Path(home or os.environ.get("OBSERVATORY_HOME") or "var").resolve()
    values: dict = {}
    config = home_path / CONFIG_NAME
    if config.exists():
        try:
            values = tomllib.loads(config.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{config}: {exc}") from exc
    known = {f.name for f in fields(Settings)} - {"home"}
    unknown = set(values) - known
    if unknown:
        raise SettingsError(f"{config}: unknown settings {sorted(unknown)}; known: {sorted(known)}")
    if "disclosure" in values:
        values["disclosure"] = DisclosureThresholds(**values["disclosure"])
    for name in ("pseudonym_key_file", "mappings_file"):
        if name in values:
            values[name] = Path(values[name])
    if tz := os.environ.get("OBSERVATORY_TIMEZONE"):
        values["timezone"] = tz
    settings = replace(Settings(home=home_path), **values)
    try:
        ZoneInfo(settings.timezone)
    except Exception as exc:
        raise SettingsError(f"timezone {settings.timezone!r} is not an IANA time zone") from exc
    return settings
