from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.params import FromPath
from litestar.response import Redirect, Response

from app.services.notifications import mark_read
from app.web.auth import requires_account, signed_in, utcnow
from app.web.render import is_fragment_request, see_other


@post("/notifications/{notification_id:int}/read", guards=[requires_account])
async def read(
    request: Request[Any, Any, Any], notification_id: FromPath[int]
) -> Response[str] | Redirect:
    await mark_read(signed_in(request).id, notification_id, utcnow())
    if is_fragment_request(request):
        return Response(content="", media_type="text/html")
    return see_other("/")


HANDLERS = [read]
