"""The home page and the health check."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Response, Template

from app.services.health import database_state
from app.services.home import home_view
from app.web.auth import current_account
from app.web.render import page


@get("/", name="home")
async def home(request: Request[Any, Any, Any]) -> Template:
    account = current_account(request)
    view = await home_view(account) if account else None
    return page(request, "pages/home.html", home=view)


@get("/healthz", name="healthz", exclude_from_csrf=True)
async def healthz() -> Response[dict[str, str]]:
    state = await database_state()
    healthy = state == "ok"
    return Response(
        content={"status": "ok" if healthy else "unavailable", "database": state},
        status_code=200 if healthy else 503,
        headers={"Cache-Control": "no-store"},
    )
