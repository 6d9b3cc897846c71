"""Settings from environment variables, parsed strictly and read once.

A bad value stops start-up with a message naming the variable: a care provider's
administrator should never have to guess which line of their env file is wrong.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    base_url: str
    var_dir: Path
    mail_backend: str
    mail_from: str
    smtp_host: str
    smtp_port: int
    smtp_username: str
    smtp_password: str
    smtp_starttls: bool
    smtp_timeout: float
    reminder_lease: float
    timezone: str
    scheduler: bool
    allowed_email_domains: tuple[str, ...]
    forwarded_allow_ips: str

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        return sqlite_path(self.database_url)

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"


# Every variable the app reads, with its default and what it means. README and
# deploy/env.example are checked against this table by the tests.
VARIABLES: dict[str, tuple[str, str]] = {
    "DATABASE_URL": (
        "sqlite:///var/roundtable.sqlite3",
        "sqlite:///path (embedded default) or postgresql://user:password@host:5432/name",
    ),
    "SECRET_KEY": (
        "",
        "Signs sessions, CSRF tokens and links. Generated under VAR_DIR for SQLite; "
        "required (32+ characters) with PostgreSQL",
    ),
    "BASE_URL": ("http://127.0.0.1:8000", "The public address used in emailed links"),
    "VAR_DIR": ("var", "Where the SQLite file, the generated key and console mail live"),
    "MAIL_BACKEND": ("console", "console (print and keep under VAR_DIR/mail), smtp or memory"),
    "MAIL_FROM": ("Roundtable <roundtable@localhost>", "The From address of every email"),
    "SMTP_HOST": ("", "SMTP server, required when MAIL_BACKEND=smtp"),
    "SMTP_PORT": ("587", "SMTP port"),
    "SMTP_USERNAME": ("", "SMTP user name, if the server asks for one"),
    "SMTP_PASSWORD": ("", "SMTP password"),
    "SMTP_STARTTLS": ("true", "Upgrade the SMTP connection with STARTTLS"),
    "SMTP_TIMEOUT": ("30", "Seconds to wait for the SMTP server"),
    "REMINDER_LEASE": (
        "120",
        "Seconds a worker holds claimed reminders; at least SMTP_TIMEOUT plus 10, so a send "
        "always ends before another worker may take the row",
    ),
    "TIMEZONE": ("Europe/London", "The organisation's timezone, used when a group sets none"),
    "SCHEDULER": (
        "on",
        "on runs reminders and clean-up inside `serve`; off leaves them to `worker`",
    ),
    "ALLOWED_EMAIL_DOMAINS": ("", "Comma-separated email domains that may register; empty: anyone"),
    "FORWARDED_ALLOW_IPS": (
        "127.0.0.1",
        "Reverse proxies trusted for X-Forwarded-For (sign-in limits count per address)",
    ),
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def sqlite_path(url: str) -> Path:
    # sqlite:///relative/file and sqlite:////absolute/file, as SQLAlchemy spells them.
    return Path(url.removeprefix("sqlite:///"))


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be on or off (got {raw!r})")


def _int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number (got {raw!r})") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high} (got {value})")
    return value


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds (got {raw!r})") from None
    if not 0 < value <= 600:
        raise ConfigError(f"{name} must be more than 0 and at most 600 seconds (got {raw!r})")
    return value


def _lease(raw: str, smtp_timeout: float) -> float:
    lease = _seconds("REMINDER_LEASE", raw)
    if lease < smtp_timeout + 10:
        raise ConfigError(
            f"REMINDER_LEASE must be at least SMTP_TIMEOUT plus 10 seconds (got {raw!r})"
        )
    return lease


def _database_url(raw: str) -> str:
    if raw.startswith("sqlite:///") and len(raw) > len("sqlite:///"):
        return raw
    if raw.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(raw)
        if not parts.hostname and not parts.path.strip("/"):
            raise ConfigError("DATABASE_URL names no PostgreSQL host or database")
        return raw
    raise ConfigError(
        "DATABASE_URL must start with sqlite:/// or postgresql:// "
        f"(got {raw.split(':', 1)[0]!r}...)"
    )


def _base_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"BASE_URL must be an http:// or https:// address (got {raw!r})")
    return raw.rstrip("/")


def _timezone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE {raw!r} is not a known IANA timezone") from None
    return raw


def _domains(raw: str) -> tuple[str, ...]:
    domains = tuple(d.strip().lower().lstrip("@") for d in raw.split(",") if d.strip())
    for domain in domains:
        if "." not in domain or " " in domain or "@" in domain:
            raise ConfigError(f"ALLOWED_EMAIL_DOMAINS has a malformed domain: {domain!r}")
    return domains


def _secret_key(raw: str, database_url: str, var_dir: Path) -> str:
    if raw:
        if len(raw) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters long")
        return raw
    if not database_url.startswith("sqlite:"):
        raise ConfigError("SECRET_KEY is required when DATABASE_URL is PostgreSQL")
    # The embedded default keeps one generated key, so sessions survive a restart.
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ

    def get(name: str) -> str:
        return env.get(name, VARIABLES[name][0]).strip()

    var_dir = Path(get("VAR_DIR") or "var")
    database_url = _database_url(get("DATABASE_URL"))
    mail_backend = get("MAIL_BACKEND").lower()
    if mail_backend not in {"console", "smtp", "memory"}:
        raise ConfigError(f"MAIL_BACKEND must be console, smtp or memory (got {mail_backend!r})")
    smtp_host = get("SMTP_HOST")
    if mail_backend == "smtp" and not smtp_host:
        raise ConfigError("SMTP_HOST is required when MAIL_BACKEND=smtp")
    mail_from = get("MAIL_FROM")
    if "@" not in mail_from:
        raise ConfigError(f"MAIL_FROM must contain an email address (got {mail_from!r})")
    return Settings(
        database_url=database_url,
        secret_key=_secret_key(get("SECRET_KEY"), database_url, var_dir),
        base_url=_base_url(get("BASE_URL")),
        var_dir=var_dir,
        mail_backend=mail_backend,
        mail_from=mail_from,
        smtp_host=smtp_host,
        smtp_port=_int("SMTP_PORT", get("SMTP_PORT"), 1, 65535),
        smtp_username=get("SMTP_USERNAME"),
        smtp_password=env.get("SMTP_PASSWORD", ""),
        smtp_starttls=_flag("SMTP_STARTTLS", get("SMTP_STARTTLS")),
        smtp_timeout=_seconds("SMTP_TIMEOUT", get("SMTP_TIMEOUT")),
        reminder_lease=_lease(get("REMINDER_LEASE"), _seconds("SMTP_TIMEOUT", get("SMTP_TIMEOUT"))),
        timezone=_timezone(get("TIMEZONE")),
        scheduler=_flag("SCHEDULER", get("SCHEDULER")),
        allowed_email_domains=_domains(get("ALLOWED_EMAIL_DOMAINS")),
        forwarded_allow_ips=get("FORWARDED_ALLOW_IPS"),
    )
