"""Rendering pages and fragments, flash messages, and reading forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.response import Redirect, Template

from app.web.auth import current_account

_FLASH = "flash"


def flash(connection: ASGIConnection[Any, Any, Any, Any], message: str) -> None:
    session = connection.scope.get("session")
    data = dict(session) if isinstance(session, dict) else {}
    data[_FLASH] = [*data.get(_FLASH, []), message]
    connection.set_session(data)


def _take_flashes(connection: ASGIConnection[Any, Any, Any, Any]) -> list[str]:
    # Unknown routes are answered before the session middleware runs: no session then.
    session = connection.scope.get("session")
    if not isinstance(session, dict) or _FLASH not in session:
        return []
    data = dict(session)
    messages = data.pop(_FLASH)
    connection.set_session(data)
    return list(messages)


def is_fragment_request(request: Request[Any, Any, Any]) -> bool:
    """htmx asked for part of a page (not a boosted navigation or a history restore)."""
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


def page(
    connection: ASGIConnection[Any, Any, Any, Any],
    template: str,
    status_code: int = 200,
    **context: Any,
) -> Template:
    context.setdefault("account", current_account(connection))
    context["flashes"] = _take_flashes(connection)
    return Template(
        template_name=template,
        context=context,
        status_code=status_code,
        headers={"Vary": "HX-Request"},
    )


def see_other(path: str) -> Redirect:
    return Redirect(path=path, status_code=303)


def safe_next(raw: str | None, default: str = "/") -> str:
    """Only local paths: an emailed or crafted ?next= must not send people elsewhere."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return default


@dataclass
class Form:
    """What a person typed and what was wrong with it, for re-rendering."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def value(self, name: str) -> str:
        return self.values.get(name, "")


async def read_form(request: Request[Any, Any, Any], *names: str) -> dict[str, str]:
    data = await request.form()
    values: dict[str, str] = {}
    for name in names:
        raw = data.get(name, "")
        values[name] = raw.strip() if isinstance(raw, str) else ""
    return values


def without_secrets(values: dict[str, str]) -> dict[str, str]:
    # Typed passwords are never sent back to the browser.
    return {k: v for k, v in values.items() if "password" not in k}
