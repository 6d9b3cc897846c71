"""The test harness: the app on the test's own event loop, against a real database.

SQLite by default; PostgreSQL when TEST_DATABASE_URL is set, used exactly as given.
Every test starts from empty tables.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from html import unescape
from pathlib import Path
from typing import Any

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="roundtable-tests-"))
DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP}/test.sqlite3"
IS_SQLITE = DATABASE_URL.startswith("sqlite:")
# Piccolo's configuration module reads DATABASE_URL when first imported: set it first.
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("PICCOLO_CONF", "app.db.piccolo_conf")

import httpx  # noqa: E402
import hypothesis  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from litestar import Litestar  # noqa: E402

from app.config import Settings, load_settings  # noqa: E402
from app.db.engine import bind_tables, close_engine, engine_for, open_engine  # noqa: E402
from app.db.migrate import apply_migrations  # noqa: E402
from app.db.tables import ALL_TABLES  # noqa: E402
from app.services import passwords  # noqa: E402

# No per-example deadline (a busy CI machine is slow, not wrong), and in CI a fixed
# sequence of examples, so a run's result does not depend on luck.
hypothesis.settings.register_profile(
    "roundtable", deadline=None, derandomize=os.environ.get("CI") == "true"
)
hypothesis.settings.load_profile("roundtable")

TEST_PASSWORD = "correct horse battery"
# Production-strength Argon2 costs ~50 ms a hash; tests hash hundreds of times.
passwords.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def make_settings(**overrides: str) -> Settings:
    env = {
        "DATABASE_URL": DATABASE_URL,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "VAR_DIR": str(_TMP / "var"),
        "MAIL_BACKEND": "memory",
        "SCHEDULER": "off",
        "BASE_URL": "http://testserver",
        **overrides,
    }
    return load_settings(env)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
async def database(anyio_backend: str) -> AsyncIterator[str]:
    engine = engine_for(DATABASE_URL)
    bind_tables(engine)
    await open_engine(engine)
    await apply_migrations(DATABASE_URL, quiet=True)
    yield DATABASE_URL
    await close_engine(engine)


async def empty_all_tables() -> None:
    first = ALL_TABLES[0]
    if IS_SQLITE:
        # One transaction, so the deletes commit (and sync) once.
        async with first._meta.db.transaction():
            for table in reversed(ALL_TABLES):
                await first.raw(f"DELETE FROM {table._meta.tablename}")
    else:
        names = ", ".join(t._meta.tablename for t in ALL_TABLES)
        await first.raw(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture
async def db(database: str) -> str:
    from app.services.prompts import sync_prompt_banks

    await empty_all_tables()
    # Prompt banks are shipped data that migrations load; every test starts with them.
    await sync_prompt_banks()
    return database


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def app(db: str, settings: Settings) -> Litestar:
    from app.asgi import create_app

    # The session fixture owns the database connection, so the app's lifespan is not
    # entered here; tests of the lifespan enter it themselves.
    return create_app(settings)


def client_for(app: Litestar, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


async def csrf_token(client: httpx.AsyncClient) -> str:
    """The token as a browser has it: from the hidden field of a rendered form."""
    page = await client.get("/password/forgot")
    found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert found, "no CSRF field in the form"
    return found.group(1)


async def post_form(
    client: httpx.AsyncClient, url: str, data: dict[str, str], **headers: str
) -> httpx.Response:
    form = {"_csrf_token": await csrf_token(client), **data}
    return await client.post(url, data=form, headers=headers)


async def htmx_post(client: httpx.AsyncClient, url: str, data: dict[str, str]) -> httpx.Response:
    # htmx sends the token in a header (from <body hx-headers>), not in the form.
    headers = {"HX-Request": "true", "x-csrftoken": await csrf_token(client)}
    return await client.post(url, data=data, headers=headers)


async def sign_in(client: httpx.AsyncClient, email: str, password: str = TEST_PASSWORD) -> None:
    response = await post_form(client, "/sign-in", {"email": email, "password": password})
    assert response.status_code == 303, response.text


MakeAccount = Callable[..., Awaitable[Any]]


@pytest.fixture
def make_account(db: str) -> MakeAccount:
    from app.services.accounts import ensure_account

    async def make(
        email: str = "bob@example.org", name: str = "Bob Brown", role: str = "member"
    ) -> Any:
        return await ensure_account(email, name, TEST_PASSWORD, role)

    return make


def text_of(html: str) -> str:
    """The visible words of a page, for asserting on what a person reads."""
    without_tags = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(without_tags)).strip()


def field_error(html: str, name: str) -> str | None:
    found = re.search(rf'id="{name}-error">(.*?)</p>', html, re.S)
    return text_of(found.group(1)).removeprefix("Error: ").strip() if found else None
