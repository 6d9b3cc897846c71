"""Apply and inspect migrations from code, for `roundtable migrate` and `serve`."""

from __future__ import annotations

import contextlib
import io
import os

from piccolo.apps.migrations.commands.check import CheckMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards

APP_NAME = "roundtable"


def _point_piccolo_at(database_url: str) -> None:
    # Piccolo's runner finds its engine through PICCOLO_CONF, which reads DATABASE_URL.
    os.environ["DATABASE_URL"] = database_url


async def apply_migrations(database_url: str, quiet: bool = False) -> None:
    _point_piccolo_at(database_url)
    out = io.StringIO()
    with contextlib.redirect_stdout(out) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name=APP_NAME, migration_id="all")
    if not result.success:
        raise RuntimeError(f"Migrations failed: {result.message}\n{out.getvalue()}")


async def pending_migrations(database_url: str) -> list[str]:
    _point_piccolo_at(database_url)
    statuses = await CheckMigrationManager(app_name=APP_NAME).get_migration_statuses()
    return [s.migration_id for s in statuses if not s.has_ran]
