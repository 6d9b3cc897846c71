"""Every error a person can meet is a page inside the layout, never a bare status."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException
from litestar.response import Redirect

from app.web.render import is_fragment_request, page

log = logging.getLogger("roundtable")

_TEMPLATES = {403: "errors/403.html", 404: "errors/404.html", 429: "errors/429.html"}


def _to_sign_in(request: Request[Any, Any, Any]) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/sign-in?next={quote(target, safe='/')}"
    if is_fragment_request(request):
        return Response(content="", status_code=204, headers={"HX-Redirect": location})
    return Redirect(path=location, status_code=303)


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status == 401:
        return _to_sign_in(request)
    if status >= 500:
        return server_error(request, exc)
    template = _TEMPLATES.get(status, "errors/error.html")
    response = page(request, template, status_code=status, status=status)
    if status == 405:
        response.headers["Allow"] = (exc.headers or {}).get("Allow", "GET")
    return response


def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return page(request, "errors/500.html", status_code=500, status=500)


def not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A service's NotFound: the same page as a missing route, so nothing is revealed."""
    return http_error(request, NotFoundException())
