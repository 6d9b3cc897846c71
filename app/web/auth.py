"""Who is asking: the signed-in account from the session, and the guards that use it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from app.services.accounts import Account, get_account
from app.web.sessions import rotate_session_id

_USER_ID = "uid"
_FINGERPRINT = "pwf"


class SessionAccountMiddleware(AbstractAuthenticationMiddleware):
    """Attaches the account, or None; never refuses. Guards decide what needs one."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        session = connection.scope.get("session")
        data: dict[str, Any] = session if isinstance(session, dict) else {}
        user_id = data.get(_USER_ID)
        account = await get_account(user_id) if isinstance(user_id, int) else None
        if account is not None and data.get(_FINGERPRINT) != account.password_fingerprint:
            # The password changed elsewhere: this session is over.
            account = None
            connection.clear_session()
        return AuthenticationResult(user=account, auth=None)


def current_account(connection: ASGIConnection[Any, Any, Any, Any]) -> Account | None:
    user = connection.scope.get("user")
    return user if isinstance(user, Account) else None


def signed_in(connection: ASGIConnection[Any, Any, Any, Any]) -> Account:
    account = current_account(connection)
    if account is None:
        raise NotAuthorizedException()
    return account


def sign_in(connection: ASGIConnection[Any, Any, Any, Any], account: Account) -> None:
    rotate_session_id(connection)
    connection.set_session({_USER_ID: account.id, _FINGERPRINT: account.password_fingerprint})
    connection.scope["user"] = account


def sign_out(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    # Rotated as well as cleared: a flash message set after this starts a new session.
    rotate_session_id(connection)
    connection.clear_session()
    connection.scope["user"] = None


def requires_account(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    signed_in(connection)


def requires_organiser(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    # Pages for organisers are 404 to everyone else: their existence is not advertised.
    if not signed_in(connection).is_organiser:
        raise NotFoundException()


def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not signed_in(connection).is_admin:
        raise NotFoundException()


def utcnow() -> datetime:
    return datetime.now(UTC)
