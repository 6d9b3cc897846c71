from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import VARIABLES, ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_the_embedded_default_is_sqlite_under_var_with_console_mail(tmp_path: Path) -> None:
    settings = load_settings({"VAR_DIR": str(tmp_path)})
    assert settings.database_url == "sqlite:///var/roundtable.sqlite3"
    assert settings.mail_backend == "console"
    assert settings.scheduler is True
    assert settings.timezone == "Europe/London"
    assert settings.allowed_email_domains == ()


def test_the_embedded_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = load_settings({"VAR_DIR": str(tmp_path)}).secret_key
    second = load_settings({"VAR_DIR": str(tmp_path)}).secret_key
    assert first == second and len(first) >= 32
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_postgresql_needs_a_secret_key() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is required"):
        load_settings({"DATABASE_URL": "postgresql://db/roundtable"})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "mysql://db/x", "DATABASE_URL must start with"),
        ("SECRET_KEY", "short", "SECRET_KEY must be at least 32"),
        ("BASE_URL", "roundtable.example", "BASE_URL must be an http"),
        ("MAIL_BACKEND", "pigeon", "MAIL_BACKEND must be console, smtp or memory"),
        ("SMTP_PORT", "eighty", "SMTP_PORT must be a whole number"),
        ("SMTP_PORT", "70000", "SMTP_PORT must be between"),
        ("SMTP_STARTTLS", "maybe", "SMTP_STARTTLS must be on or off"),
        ("SMTP_TIMEOUT", "-1", "SMTP_TIMEOUT must be more than 0"),
        ("TIMEZONE", "Europe/Lodnon", "TIMEZONE 'Europe/Lodnon' is not a known"),
        ("SCHEDULER", "sometimes", "SCHEDULER must be on or off"),
        (
            "ALLOWED_EMAIL_DOMAINS",
            "example.org, not a domain",
            "ALLOWED_EMAIL_DOMAINS has a malformed",
        ),
        ("MAIL_FROM", "nobody", "MAIL_FROM must contain an email address"),
    ],
)
def test_a_bad_value_is_refused_with_a_message_naming_the_variable(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"VAR_DIR": str(tmp_path), name: value})


def test_smtp_mail_needs_a_host(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SMTP_HOST is required"):
        load_settings({"VAR_DIR": str(tmp_path), "MAIL_BACKEND": "smtp"})


def test_a_bad_setting_stops_the_command_line_with_the_variables_name(tmp_path: Path) -> None:
    env = {**os.environ, "VAR_DIR": str(tmp_path), "TIMEZONE": "Mars/Olympus"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "TIMEZONE 'Mars/Olympus' is not a known IANA timezone" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_variable_is_documented_in_the_readme_and_env_example() -> None:
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / "deploy" / "env.example").read_text()
    for name in VARIABLES:
        assert f"`{name}`" in readme, name
        assert f"{name}=" in example, name
