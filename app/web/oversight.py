"""Organisers' overview of listed groups, and admins' break-glass safeguarding access."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.services import groups, safeguarding
from app.services.errors import FormErrors
from app.web.auth import requires_admin, requires_organiser, signed_in, utcnow
from app.web.render import Form, flash, page, read_form, see_other

AnyRequest = Request[Any, Any, Any]


@get("/organiser/groups", name="organiser_groups", guards=[requires_organiser])
async def overview(request: AnyRequest) -> Template:
    rows = await groups.organiser_overview()
    return page(request, "oversight/groups.html", rows=rows)


@get("/groups/{group_id:int}/safeguarding", guards=[requires_admin])
async def break_glass_form(request: AnyRequest, group_id: FromPath[int]) -> Template:
    # The same form for any number, existing or not: it reveals nothing until used.
    return page(request, "oversight/break_glass.html", group_id=group_id, form=Form())


@post("/groups/{group_id:int}/safeguarding", guards=[requires_admin])
async def break_glass(request: AnyRequest, group_id: FromPath[int]) -> Template | Redirect:
    account = signed_in(request)
    values = await read_form(request, "reason")
    try:
        await safeguarding.break_glass(
            group_id, account.id, account.display_name, values["reason"], utcnow()
        )
    except FormErrors as e:
        return page(
            request,
            "oversight/break_glass.html",
            status_code=422,
            group_id=group_id,
            form=Form(values, e.errors),
        )
    flash(
        request,
        "Safeguarding access is open for one hour. The group's convenors have been told why.",
    )
    return see_other(f"/groups/{group_id}")


HANDLERS = [overview, break_glass_form, break_glass]
