from __future__ import annotations

import re

import httpx
from litestar import Litestar, get

from app.asgi import create_app
from app.paths import TEMPLATES
from tests.conftest import (
    IS_SQLITE,
    client_for,
    csrf_token,
    make_settings,
    post_form,
    sign_in,
    text_of,
)


async def test_a_visitor_sees_what_roundtable_is_and_how_to_start(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    words = text_of(response.text)
    assert "Peer groups for social care staff" in words
    assert 'href="/sign-in"' in response.text and 'href="/register"' in response.text


def main_text(html: str) -> str:
    """Only what is inside <main>: a heading stuck in <title> must not count."""
    return text_of(html.split('<main id="main"', 1)[1].split("</main>", 1)[0])


async def test_a_new_member_is_told_what_to_do_next(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org", "Bob Brown")
    await sign_in(client, "bob@example.org")
    html = (await client.get("/")).text
    assert "<title>Home \u2013 Roundtable</title>" in html
    words = main_text(html)
    assert "Hello, Bob Brown" in words
    assert "You are not in any groups yet." in words
    assert "Complete your profile" in words


async def test_every_page_has_a_skip_link_landmarks_and_a_language(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/", "/sign-in", "/register", "/password/forgot", "/missing"):
        html = (await client.get(path)).text
        assert '<html lang="en-GB">' in html
        assert '<a class="skip-link" href="#main">' in html
        assert '<main id="main"' in html and "<header" in html and "<footer" in html
        assert '<nav aria-label="Main">' in html
        assert len(re.findall(r"<h1[ >]", html)) == 1, path


async def test_an_unknown_page_is_a_404_inside_the_layout(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in text_of(response.text)
    assert "Skip to main content" in response.text


async def test_a_wrong_method_gets_a_page_not_a_bare_status(client: httpx.AsyncClient) -> None:
    response = await client.get("/sign-out")
    assert response.status_code == 405
    assert "That did not work" in text_of(response.text)


async def test_a_form_posted_without_its_csrf_token_is_refused_with_a_page(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/sign-in")
    response = await client.post("/sign-in", data={"email": "a@example.org", "password": "x"})
    assert response.status_code == 403
    assert "This action was not allowed" in text_of(response.text)


async def test_an_htmx_post_carries_its_csrf_token_in_a_header(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    page = await client.get("/")
    token = await csrf_token(client)
    assert f'hx-headers=\'{{"x-csrftoken": "{token}"}}\'' in page.text
    refused = await client.post("/account/profile", data={}, headers={"HX-Request": "true"})
    assert refused.status_code == 403


async def test_an_unexpected_error_is_a_500_page_inside_the_layout(db: str) -> None:
    @get("/explode")
    async def explode() -> str:
        raise RuntimeError("boom")

    app = create_app(make_settings())
    app.register(explode)
    async with client_for(app) as client:
        response = await client.get("/explode")
    assert response.status_code == 500
    assert "Something went wrong on our side" in text_of(response.text)
    assert "boom" not in response.text


async def test_the_too_many_requests_page_sits_inside_the_layout(app: Litestar) -> None:
    from litestar.exceptions import TooManyRequestsException

    @get("/busy")
    async def busy() -> str:
        raise TooManyRequestsException()

    app.register(busy)
    async with client_for(app) as client:
        response = await client.get("/busy")
    assert response.status_code == 429
    assert "Too many requests" in text_of(response.text)


async def test_pages_forbid_inline_script_and_framing(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_static_files_are_served_by_the_app_and_cached(client: httpx.AsyncClient) -> None:
    for path in ("/static/css/app.css", "/static/js/htmx.min.js", "/static/img/favicon.svg"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "max-age" in response.headers["Cache-Control"]


def test_no_template_loads_anything_from_another_host() -> None:
    for template in TEMPLATES.rglob("*.html"):
        if template.parent.name == "emails":
            continue
        source = template.read_text()
        assert not re.search(r'(src|href)="(https?:)?//', source), template
        assert "<script>" not in source and " on" + "click=" not in source, template


def test_the_vendored_htmx_is_a_pinned_2_0_release() -> None:
    from app.paths import STATIC

    header = (STATIC / "js" / "htmx.min.js").read_text()[:2000]
    version = (STATIC / "js" / "VERSION.txt").read_text()
    assert re.search(r"version:\s+2\.0\.\d+", version)
    assert "htmx" in header


async def test_the_health_check_reports_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_the_lifespan_opens_and_closes_the_database(db: str) -> None:
    from app.db.engine import close_engine, engine_for, open_engine

    engine = engine_for(db)
    # Hand the connection over to the app's lifespan for the length of this test.
    await close_engine(engine)
    try:
        app = create_app(make_settings(SCHEDULER="on"))
        async with app.lifespan(), client_for(app) as client:
            response = await client.get("/healthz")
            assert response.json()["database"] == "ok"
            if not IS_SQLITE:
                assert engine.pool is not None
        if not IS_SQLITE:
            assert engine.pool is None
    finally:
        await open_engine(engine)


async def test_signing_out_is_a_post_from_a_form_in_the_header(
    client: httpx.AsyncClient, make_account
) -> None:
    await make_account("bob@example.org")
    await sign_in(client, "bob@example.org")
    html = (await client.get("/")).text
    assert re.search(
        r'<form method="post" action="/sign-out"[^>]*>\s*<input type="hidden" name="_csrf_token"',
        html,
    )
    response = await post_form(client, "/sign-out", {})
    assert response.status_code == 303
    assert "You have signed out." in text_of((await client.get("/")).text)
