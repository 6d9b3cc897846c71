from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import build_parser, report_pass
from app.db.tables import Group, JoinRequest, Membership, User
from app.services.demo import COLLEAGUES, DEMO_GROUPS, DEMO_PASSWORD, DEMO_PEOPLE
from tests.conftest import DATABASE_URL, IS_SQLITE

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, stdin: str = "", tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "VAR_DIR": str(tmp),
        "SCHEDULER": "off",
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize("command", ["serve", "migrate", "demo", "create-admin", "worker"])
def test_every_command_explains_itself(command: str) -> None:
    subparsers = build_parser()._subparsers
    assert subparsers is not None
    choices = subparsers._group_actions[0].choices  # type: ignore[attr-defined]
    assert choices[command].description


async def test_the_demo_can_be_seeded_twice_and_leaves_one_copy(db: str, tmp_path: Path) -> None:
    for _ in range(2):
        result = run_cli("demo", tmp=tmp_path)
        assert result.returncode == 0, result.stderr
    emails = sorted(r["email"] for r in await User.select(User.email))
    assert emails == sorted(p.email for p in DEMO_PEOPLE + COLLEAGUES)
    assert await Group.count() == len(DEMO_GROUPS)
    assert await Membership.count() == sum(len(g.members) for g in DEMO_GROUPS)
    assert await JoinRequest.count() == 1
    roles = {r["email"]: r["role"] for r in await User.select(User.email, User.role)}
    assert roles["olga@example.org"] == "organiser"
    assert roles["adam@example.org"] == "admin"
    assert DEMO_PASSWORD in result.stdout


async def test_create_admin_makes_an_account_an_admin(db: str, tmp_path: Path) -> None:
    result = run_cli(
        "create-admin",
        "--email",
        "Head@Example.org",
        "--name",
        "Hana Head",
        "--password-stdin",
        stdin="a long admin password\n",
        tmp=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    row = (
        await User.select(User.role, User.display_name)
        .where(User.email == "head@example.org")
        .first()
    )
    assert row == {"role": "admin", "display_name": "Hana Head"}


async def test_create_admin_explains_a_weak_password_and_changes_nothing(
    db: str, tmp_path: Path
) -> None:
    result = run_cli(
        "create-admin",
        "--email",
        "head@example.org",
        "--name",
        "Hana",
        "--password-stdin",
        stdin="short\n",
        tmp=tmp_path,
    )
    assert result.returncode == 1
    assert "password: Use at least 10 characters" in result.stderr
    assert await User.count() == 0


def test_migrate_is_safe_to_run_again(db: str, tmp_path: Path) -> None:
    result = run_cli("migrate", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Database is up to date." in result.stdout


def test_one_worker_pass_runs_and_exits(db: str, tmp_path: Path) -> None:
    result = run_cli("worker", "--once", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "prune:" in result.stdout


def test_a_worker_pass_with_a_failed_job_says_so_and_exits_non_zero(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert report_pass({"meetings": 2, "dispatch": None}) == 1
    assert capsys.readouterr().out.splitlines() == [
        "meetings: 2",
        "dispatch: failed (the error is logged above)",
    ]
    assert report_pass({"meetings": 0, "dispatch": 0}) == 0


@pytest.mark.skipif(IS_SQLITE, reason="only PostgreSQL refuses to migrate itself at start-up")
async def test_serve_on_postgresql_refuses_to_start_with_migrations_pending(
    db: str, tmp_path: Path
) -> None:
    from piccolo.apps.migrations.tables import Migration

    # Forget the newest migration for a moment, as a database one release behind would.
    newest = await Migration.select().order_by(Migration.id, ascending=False).first()
    await Migration.delete().where(Migration.id == newest["id"])
    try:
        result = run_cli("serve", "--port", "0", tmp=tmp_path)
    finally:
        await Migration.insert(Migration(**{k: v for k, v in newest.items() if k != "id"}))
    assert result.returncode == 1
    assert "Run `roundtable migrate` once" in result.stderr


async def test_the_demo_brings_its_own_prompts_even_into_an_emptied_database(
    db: str, tmp_path: Path
) -> None:
    from app.db.tables import AgendaItem, Prompt

    await Prompt.delete(force=True)
    result = run_cli("demo", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert await Prompt.count().where(Prompt.bank == "tool3") == 20
    assert await AgendaItem.count().where(AgendaItem.prompt.is_not_null()) > 0
