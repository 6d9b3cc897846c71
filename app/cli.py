"""`roundtable serve|worker|migrate|demo|create-admin`: the composition root."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from app.config import ConfigError, Settings, load_settings

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as e:
        print(f"roundtable: configuration error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def _with_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    from app.db.engine import bind_tables, close_engine, engine_for, open_engine

    async def run() -> T:
        engine = engine_for(settings.database_url)
        bind_tables(engine)
        await open_engine(engine)
        try:
            return await work()
        finally:
            await close_engine(engine)

    return asyncio.run(run())


async def _migrate(database_url: str, quiet: bool = False) -> None:
    from app.db.migrate import apply_migrations
    from app.services.prompts import sync_prompt_banks

    await apply_migrations(database_url, quiet=quiet)
    # The shipped prompt banks are data: each release's text replaces the last.
    await sync_prompt_banks()


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings()
    try:
        _with_database(settings, lambda: _migrate(settings.database_url))
    except Exception as e:  # a person runs this by hand: one clear line, then stop
        print(f"roundtable: migration failed: {e}", file=sys.stderr)
        return 1
    print("Database is up to date.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import time
    from datetime import UTC, datetime

    from app.services.demo import DEMO_PASSWORD, seed_demo
    from app.services.demo_scale import LARGE, scale_seeded, seed_scale_once

    settings = _settings()
    now = datetime.now(UTC)

    async def work() -> int:
        if settings.is_sqlite:
            await _migrate(settings.database_url, quiet=True)
        # The large organisation comes on top of the demo people, never instead of them.
        count = await seed_demo(now)
        print(f"Demo data ready: {count} people, password {DEMO_PASSWORD!r}.", flush=True)
        if args.scale != "large":
            return 0
        if await scale_seeded():
            print("The large organisation is already there; nothing was added.")
            return 0
        print("Adding the large organisation; this takes a little while.", flush=True)
        started = time.perf_counter()
        summary = await seed_scale_once(now, **LARGE)
        if summary is None:
            print("The large organisation is already there; nothing was added.")
            return 0
        print(
            f"Large organisation added in {time.perf_counter() - started:.0f} s: "
            f"{summary.users} staff, {summary.groups} groups, {summary.meetings} meetings, "
            f"{summary.total} rows in all. Everyone's password is {DEMO_PASSWORD!r}."
        )
        return 0

    return _with_database(settings, work)


def cmd_create_admin(args: argparse.Namespace) -> int:
    from app.services.accounts import ensure_account
    from app.services.errors import FormErrors

    settings = _settings()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password for the admin: ")
        if password != getpass.getpass("Same password again: "):
            print("The passwords did not match; nothing was changed.", file=sys.stderr)
            return 1
    try:
        account = _with_database(
            settings,
            lambda: ensure_account(args.email, args.name, password, "admin", settings.timezone),
        )
    except FormErrors as e:
        for field, message in e.errors.items():
            print(f"{field}: {message}", file=sys.stderr)
        return 1
    print(f"{account.email} is an admin.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.db.migrate import pending_migrations
    from app.services.demo import DEMO_PASSWORD, seed_demo

    settings = _settings()

    async def prepare() -> list[str]:
        if settings.is_sqlite:
            await _migrate(settings.database_url, quiet=True)
        waiting = await pending_migrations(settings.database_url)
        if args.demo and not waiting:
            await seed_demo()
        return waiting

    waiting = _with_database(settings, prepare)
    if waiting:
        # Several instances migrating at once would race: PostgreSQL is migrated once
        # per release by `roundtable migrate`, never by each instance at start-up.
        print(
            f"roundtable: {len(waiting)} migration(s) not applied yet. "
            "Run `roundtable migrate` once, then start the web instances.",
            file=sys.stderr,
        )
        return 1
    print(f"Roundtable is starting on http://{args.host}:{args.port}", flush=True)
    if args.demo:
        print(
            f"Demo: sign in as alice@, bob@, carol@, olga@ or adam@example.org with the password "
            f"{DEMO_PASSWORD!r}. Emails are printed here and kept in {settings.mail_dir}/.",
            flush=True,
        )
    uvicorn.run(
        "app.asgi:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        log_level="info",
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from jobs import runtime
    from jobs.scheduler import run_all_once, running_scheduler

    settings = _settings()
    if args.once:
        runtime.configure(settings)
        return report_pass(_with_database(settings, run_all_once))

    async def forever() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with running_scheduler(settings):
            print("Roundtable worker is running; stop it with Ctrl+C.", flush=True)
            await stop.wait()

    _with_database(settings, forever)
    return 0


def report_pass(results: dict[str, int | None]) -> int:
    """Print what one worker pass did; exit 1 if any job failed, so cron or CI notices."""
    for name, count in results.items():
        print(f"{name}: {'failed (the error is logged above)' if count is None else count}")
    return 1 if None in results.values() else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roundtable",
        description="Roundtable: peer groups, staff networks, reflective forums and "
        "action learning sets for adult social care staff. Settings come from "
        "environment variables (see deploy/env.example).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the web app (migrates an embedded SQLite database first)",
        description="Run the web app. On SQLite, migrations are applied first; on "
        "PostgreSQL, start-up stops if `roundtable migrate` has not been run.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--demo", action="store_true", help="seed the demo people before serving")
    serve.set_defaults(run=cmd_serve)

    migrate = commands.add_parser(
        "migrate",
        help="apply database migrations (once per release on PostgreSQL)",
        description="Apply every migration not yet applied. Run it once per release, "
        "before starting the web instances.",
    )
    migrate.set_defaults(run=cmd_migrate)

    demo = commands.add_parser(
        "demo",
        help="seed the demo data; running it again leaves one copy",
        description="Create or refresh the demo people listed in the README. With "
        "--scale large, also add a synthetic organisation of 5,000 staff in 300 groups "
        "with three years of meetings, for organiser insights.",
    )
    demo.add_argument(
        "--scale",
        choices=("demo", "large"),
        default="demo",
        help="demo (default): the demo people and groups; large: those plus 5,000 "
        "synthetic staff (staff0001@scale.example, ...) in 300 groups",
    )
    demo.set_defaults(run=cmd_demo)

    admin = commands.add_parser(
        "create-admin",
        help="create an admin account, or make an existing account an admin",
        description="Create an admin account, or make an existing account an admin and set "
        "its password.",
    )
    admin.add_argument("--email", required=True, help="the admin's email address")
    admin.add_argument("--name", required=True, help="the admin's display name")
    admin.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )
    admin.set_defaults(run=cmd_create_admin)

    worker = commands.add_parser(
        "worker",
        help="run the scheduled jobs without the web server",
        description="Run the scheduled jobs (sessions and rota, reminders and digests, "
        "clean-up) without the web server. Any number of workers can run at once.",
    )
    worker.add_argument("--once", action="store_true", help="run every job once and exit")
    worker.set_defaults(run=cmd_worker)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
