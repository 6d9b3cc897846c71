"""Browser tests: a real `app.cli serve` subprocess driven by Chromium through Playwright.

These tests use Playwright's sync API in plain (non-anyio) test functions. A running sync
Playwright owns an asyncio loop on this thread, which breaks every anyio test that runs
after it, so the Playwright driver and browser are module-scoped: pytest stops them at
the end of each browser module, before any other directory's tests start.

Chromium: $CHROMIUM_EXECUTABLE, else a system chromium on PATH (Debian's /usr/bin/chromium),
else Playwright's own download. If none can be launched the tests skip, except under
CI=true where a missing browser must not pass silently, so they fail.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# The helpers live in a plain module next to this file; putting this directory on
# sys.path makes `import browser_support` work whatever --import-mode pytest runs with.
sys.path.insert(0, str(Path(__file__).parent))

from browser_support import ContextFactory, LiveServer, PlaywrightError, Watch

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # depends on the environment; the browser fixture reports it
    sync_playwright = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

ROOT = Path(__file__).resolve().parents[2]

# Chromium refuses to start as root without --no-sandbox; the rest stop it phoning home
# (update checks, sync, QUIC probes), which the closed network turns into slow failures.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

# 40 characters: PostgreSQL mode refuses to start without a SECRET_KEY of 32 or more.
TEST_SECRET_KEY = "browser-tests-only-secret-key-0123456789"

SERVER_START_TIMEOUT = 30.0
CLI_TIMEOUT = 180


def browser_unavailable(reason: str) -> None:
    message = f"Browser tests cannot run: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(
            message + " (CI=true, so this is a failure rather than a skip: install the "
            "test extras, pip install -e '.[test]', and Chromium, e.g. apt-get install "
            "chromium, or point CHROMIUM_EXECUTABLE at one)",
            pytrace=False,
        )
    pytest.skip(message)


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_cli(args: list[str], env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "app.cli", *args]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT
    )
    if result.returncode != 0:
        pytest.fail(
            f"`{' '.join(command[1:])}` exited {result.returncode}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}",
            pytrace=False,
        )


def _truncate_postgres(dsn: str) -> None:
    async def truncate() -> None:
        import asyncpg

        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT tablename FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename <> 'migration'"
            )
            if rows:
                names = ", ".join(
                    'public."{}"'.format(r["tablename"].replace('"', '""')) for r in rows
                )
                await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        finally:
            await conn.close()

    # A fresh thread has no event loop, so this works even if some other fixture left
    # one running on the main thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, truncate()).result(timeout=60)


def _wait_for_health(url: str, process: subprocess.Popen[bytes], deadline: float) -> str:
    last = "no response yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"server exited with code {process.returncode}"
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return ""
                last = f"/healthz answered {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"/healthz answered {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            last = f"/healthz unreachable: {exc}"
        time.sleep(0.2)
    return f"gave up after {SERVER_START_TIMEOUT:.0f}s ({last})"


# Package scope: the server stops as soon as the browser tests are done instead of
# idling (and holding database connections) through the rest of the suite.
@pytest.fixture(scope="package")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    var_dir = tmp_path_factory.mktemp("roundtable-var")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"

    env = os.environ.copy()
    # A developer's own settings must not leak in: a domain allow-list would reject the
    # example.org addresses the journeys register, and SMTP would send real mail.
    for name in ("ALLOWED_EMAIL_DOMAINS", "SECRET_KEY", "SMTP_HOST", "MAIL_FROM"):
        env.pop(name, None)
    env.update(VAR_DIR=str(var_dir), MAIL_BACKEND="console", SCHEDULER="off", BASE_URL=url)

    test_database_url = os.environ.get("TEST_DATABASE_URL", "")
    if test_database_url:
        env["DATABASE_URL"] = test_database_url
        env["SECRET_KEY"] = TEST_SECRET_KEY
        if test_database_url.startswith(("postgresql:", "postgres:")):
            _run_cli(["migrate"], env)
            _truncate_postgres(test_database_url)
    else:
        env["DATABASE_URL"] = f"sqlite:///{var_dir / 'roundtable.sqlite3'}"

    _run_cli(["demo"], env)
    # One pass of the jobs, as `serve` would run at start-up: reminders are planned and
    # sent to the console mailer, so pages that show them have something to show.
    _run_cli(["worker", "--once"], env)

    log_path = var_dir / "server.log"
    with log_path.open("wb") as log:
        # The log goes to a file, not a pipe: an unread pipe fills and stalls the server.
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url=url, process=process, log_path=log_path)
    try:
        problem = _wait_for_health(url, process, time.monotonic() + SERVER_START_TIMEOUT)
        if problem:
            pytest.fail(
                f"The server did not become healthy: {problem}\n"
                f"--- server output ---\n{server.log_tail(200)}",
                pytrace=False,
            )
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


# --------------------------------------------------------------------------- browser


def _chromium_executable() -> str | None:
    configured = os.environ.get("CHROMIUM_EXECUTABLE")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None  # fall back to a browser downloaded by `playwright install`


@pytest.fixture(scope="module")
def browser(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    if sync_playwright is None:
        browser_unavailable("the playwright package is not installed")
    # The server (and its asyncpg clean-up) must be up before Playwright claims this
    # thread's event loop; asking for it here also avoids starting it when there is no
    # Playwright at all.
    request.getfixturevalue("live_server")

    # Chromium writes crash reports and profile state under $HOME.
    env = {**os.environ, "HOME": str(tmp_path_factory.mktemp("chromium-home"))}
    playwright: Playwright = sync_playwright().start()
    try:
        try:
            launched = playwright.chromium.launch(
                executable_path=_chromium_executable(), args=CHROMIUM_ARGS, env=env
            )
        except PlaywrightError as exc:
            browser_unavailable(f"Chromium failed to launch: {str(exc).splitlines()[0]}")
        try:
            yield launched
        finally:
            launched.close()
    finally:
        playwright.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    # Fixtures read this at teardown to decide whether to dump diagnostics.
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def new_context(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer
) -> Iterator[ContextFactory]:
    factory = ContextFactory(browser, live_server)
    yield factory
    if request.node.stash.get(_CALL_FAILED, False):
        # An assertion that fails early hides what the watch saw and why the server
        # misbehaved; pytest shows this output under the failure.
        for watch in factory.watches:
            for kind, items in watch.take().items():
                for item in items:
                    print(f"[{kind}] {item}")
        print("--- server log (tail) ---")
        print(live_server.log_tail(40))
    factory.close()


@pytest.fixture
def context_and_watch(new_context: ContextFactory) -> tuple[BrowserContext, Watch]:
    return new_context()


@pytest.fixture
def page(context_and_watch: tuple[BrowserContext, Watch]) -> Page:
    context, _ = context_and_watch
    return context.new_page()


@pytest.fixture
def watch(context_and_watch: tuple[BrowserContext, Watch]) -> Watch:
    return context_and_watch[1]
