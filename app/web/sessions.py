"""Server-side sessions that rotate at sign-in and cost nothing for visitors.

Litestar's stock backend keeps the cookie's session id across sign-in (a fixation risk),
writes an empty session row for every anonymous page view, and rewrites the row on every
request. This backend does none of those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

ROTATE = "roundtable.rotate_session"
_LOADED = "roundtable.session_loaded"


def rotate_session_id(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    connection.scope["state"][ROTATE] = True


class RotatingSessionBackend(ServerSideSessionBackend):
    async def load_from_connection(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope["state"][_LOADED] = (
            self.serialize_data(data, connection.scope) if data else None
        )
        return data

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        state = connection.scope["state"]
        store = self.config.get_store_from_app(connection.scope["app"])
        headers = MutableScopeHeaders.from_message(message)
        cookie_params = dict(
            extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys())
        )
        cookie_id = connection.cookies.get(self.config.key)
        existing = cookie_id if cookie_id and cookie_id != "null" else None

        if scope_session is Empty or not scope_session:
            if existing:
                await self.delete(existing, store=store)
                headers.add(
                    "Set-Cookie",
                    Cookie(value="null", key=self.config.key, expires=0, **cookie_params).to_header(
                        header=""
                    ),
                )
            return

        data = self.serialize_data(scope_session, connection.scope)
        session_id = existing
        if state.get(ROTATE) or existing is None:
            if existing:
                await self.delete(existing, store=store)
            session_id = self.generate_session_id()
        elif data == state.get(_LOADED):
            return
        assert session_id is not None
        await self.set(session_id=session_id, data=data, store=store)
        headers.add(
            "Set-Cookie",
            Cookie(value=session_id, key=self.config.key, **cookie_params).to_header(header=""),
        )


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend
