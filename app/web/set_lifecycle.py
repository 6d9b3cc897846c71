"""An action learning set's closing review, then ending it or carrying on self-facilitated.

Only the set's convenors act here; everyone else gets 404 on every route.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.services import set_lifecycle
from app.services.errors import FormErrors
from app.web.auth import requires_account, signed_in, utcnow
from app.web.groups import render_group
from app.web.render import Form, flash, page, read_form, see_other

AnyRequest = Request[Any, Any, Any]


@post("/groups/{group_id:int}/closing-review", guards=[requires_account])
async def record_review(request: AnyRequest, group_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, "closing_note")
    try:
        recorded = await set_lifecycle.record_review(
            group_id, signed_in(request), values["closing_note"], utcnow()
        )
    except FormErrors as e:
        return await render_group(request, group_id, Form(values, e.errors), status_code=422)
    flash(
        request,
        "The closing review is recorded. Now choose: end the set, or carry on self-facilitated."
        if recorded
        else "The closing review had already been recorded.",
    )
    return see_other(f"/groups/{group_id}#closing")


async def _confirm(request: AnyRequest, group_id: int, step: str) -> Template:
    view = await set_lifecycle.confirm_step(group_id, signed_in(request), step, utcnow())
    return page(request, "set_lifecycle/confirm.html", v=view, g=view.group)


@get("/groups/{group_id:int}/end", guards=[requires_account])
async def confirm_end(request: AnyRequest, group_id: FromPath[int]) -> Template:
    return await _confirm(request, group_id, "end")


@post("/groups/{group_id:int}/end", guards=[requires_account])
async def end(request: AnyRequest, group_id: FromPath[int]) -> Redirect:
    ended = await set_lifecycle.end_set(group_id, signed_in(request), utcnow())
    flash(
        request,
        "The set has ended. Members keep its page, with their own actions."
        if ended
        else "The set had already ended.",
    )
    return see_other(f"/groups/{group_id}")


@get("/groups/{group_id:int}/continue", guards=[requires_account])
async def confirm_continue(request: AnyRequest, group_id: FromPath[int]) -> Template:
    return await _confirm(request, group_id, "continue")


@post("/groups/{group_id:int}/continue", guards=[requires_account])
async def carry_on(request: AnyRequest, group_id: FromPath[int]) -> Redirect:
    continued = await set_lifecycle.continue_set(group_id, signed_in(request), utcnow())
    flash(
        request,
        "The set carries on self-facilitated, and facilitation now rotates among members."
        if continued
        else "The set was already carrying on self-facilitated.",
    )
    return see_other(f"/groups/{group_id}")


HANDLERS = [record_review, confirm_end, end, confirm_continue, carry_on]
