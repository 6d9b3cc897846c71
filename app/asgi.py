"""create_app(settings) -> Litestar: templates, static files, sessions, CSRF, lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.exceptions import HTTPException
from litestar.middleware.base import DefineMiddleware
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from app.config import Settings, load_settings
from app.db.engine import bind_tables, close_engine, engine_for, open_engine
from app.mail import mailer_for
from app.paths import STATIC
from app.services.errors import NotFound
from app.services.session_store import DatabaseSessionStore
from app.templating import environment
from app.web import (
    accounts,
    admin_mail,
    email_preferences,
    forum,
    groups,
    insights,
    invitations,
    meetings,
    membership,
    notifications,
    oversight,
    pages,
    rota,
    set_lifecycle,
)
from app.web.auth import SessionAccountMiddleware
from app.web.errors import http_error, not_found, server_error
from app.web.security import add_security_headers
from app.web.sessions import RotatingSessionConfig

SESSION_LIFETIME_SECONDS = 14 * 24 * 3600


def create_app(settings: Settings, *, run_scheduler: bool | None = None) -> Litestar:
    engine = engine_for(settings.database_url)
    bind_tables(engine)
    scheduler_wanted = settings.scheduler if run_scheduler is None else run_scheduler
    mailer = mailer_for(settings)

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncGenerator[None, None]:
        await open_engine(engine)
        try:
            yield
        finally:
            await close_engine(engine)

    @asynccontextmanager
    async def scheduler(app: Litestar) -> AsyncGenerator[None, None]:
        if not scheduler_wanted:
            yield
            return
        from jobs.scheduler import running_scheduler

        async with running_scheduler(settings, mailer):
            yield

    sessions = RotatingSessionConfig(
        key="rt_session",
        max_age=SESSION_LIFETIME_SECONDS,
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
        renew_on_access=True,
        exclude=["^/static/", "^/healthz$"],
    )
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="rt_csrf",
        cookie_secure=settings.secure_cookies,
        cookie_httponly=True,
        cookie_samesite="lax",
    )

    def template_engine_callback(engine_: JinjaTemplateEngine) -> None:
        engine_.engine.globals["site_name"] = "Roundtable"

    return Litestar(
        route_handlers=[
            pages.home,
            pages.healthz,
            *accounts.HANDLERS,
            *email_preferences.HANDLERS,
            *admin_mail.HANDLERS,
            *groups.HANDLERS,
            *membership.HANDLERS,
            *invitations.HANDLERS,
            *oversight.HANDLERS,
            *insights.HANDLERS,
            *meetings.HANDLERS,
            *forum.HANDLERS,
            *rota.HANDLERS,
            *set_lifecycle.HANDLERS,
            *notifications.HANDLERS,
            create_static_files_router(
                path="/static",
                directories=[STATIC],
                name="static",
                cache_control=CacheControlHeader(max_age=86400, public=True),
                send_as_attachment=False,
                include_in_schema=False,
            ),
        ],
        # Lifespans are entered in order and left in reverse: the database outlives the jobs.
        lifespan=[database, scheduler],
        state=State({"settings": settings, "mailer": mailer}),
        stores={"sessions": DatabaseSessionStore()},
        middleware=[
            sessions.middleware,
            DefineMiddleware(SessionAccountMiddleware, exclude=["^/static/", "^/healthz$"]),
        ],
        csrf_config=csrf,
        template_config=TemplateConfig(
            instance=JinjaTemplateEngine.from_environment(environment()),
            engine_callback=template_engine_callback,
        ),
        plugins=[HTMXPlugin()],
        exception_handlers={
            HTTPException: http_error,
            NotFound: not_found,
            Exception: server_error,
        },
        before_send=[add_security_headers],
        openapi_config=None,
        logging_config=None,
        debug=False,
    )


def create_app_from_env() -> Litestar:
    """The uvicorn factory: each worker process reads the same environment."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(load_settings())
