"""Invitation links: convenors make and withdraw them; invited people land and join."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.services import invitations
from app.services.errors import FormErrors
from app.services.invitations import InvitationUnusable
from app.services.membership import GroupFull
from app.web.auth import requires_account, signed_in, utcnow
from app.web.render import Form, flash, page, read_form, see_other

AnyRequest = Request[Any, Any, Any]


async def _list(
    request: AnyRequest, group_id: int, state: State, form: Form, status_code: int = 200
) -> Template:
    now = utcnow()
    group, links = await invitations.invitations_for(group_id, signed_in(request), now)
    return page(
        request,
        "groups/invitations.html",
        status_code=status_code,
        g=group,
        links=[(link, link.state(now)) for link in links],
        base_url=state.settings.base_url,
        form=form,
    )


@get("/groups/{group_id:int}/invitations", guards=[requires_account])
async def list_invitations(request: AnyRequest, group_id: FromPath[int], state: State) -> Template:
    return await _list(request, group_id, state, Form({"single_use": "true", "days": "14"}))


@post("/groups/{group_id:int}/invitations", guards=[requires_account])
async def create(request: AnyRequest, group_id: FromPath[int], state: State) -> Template | Redirect:
    values = await read_form(request, "single_use", "days")
    try:
        await invitations.create_invitation(
            group_id, signed_in(request), values["single_use"] == "true", values["days"], utcnow()
        )
    except FormErrors as e:
        return await _list(request, group_id, state, Form(values, e.errors), status_code=422)
    flash(
        request, "A new invitation link is ready. Copy it from the list and send it to the person."
    )
    return see_other(f"/groups/{group_id}/invitations")


@post("/groups/{group_id:int}/invitations/{invitation_id:int}/revoke", guards=[requires_account])
async def revoke(
    request: AnyRequest, group_id: FromPath[int], invitation_id: FromPath[int]
) -> Redirect:
    await invitations.revoke_invitation(group_id, invitation_id, signed_in(request), utcnow())
    flash(request, "The invitation link has been withdrawn and no longer works.")
    return see_other(f"/groups/{group_id}/invitations")


async def _landing(
    request: AnyRequest, token: str, form: Form, status_code: int | None = None
) -> Template:
    landing = await invitations.look_up(token, signed_in(request), utcnow())
    code = status_code or (200 if landing.group else 410)
    return page(
        request, "groups/invite.html", status_code=code, landing=landing, token=token, form=form
    )


@get("/invite/{token:str}", guards=[requires_account])
async def landing(request: AnyRequest, token: FromPath[str]) -> Template:
    return await _landing(request, token, Form())


@post("/invite/{token:str}", guards=[requires_account])
async def accept(request: AnyRequest, token: FromPath[str]) -> Template | Redirect:
    values = await read_form(request, "accept_rules")
    try:
        group_id = await invitations.redeem(
            token, signed_in(request), values["accept_rules"] == "true", utcnow()
        )
    except FormErrors as e:
        return await _landing(request, token, Form(values, e.errors), status_code=422)
    except GroupFull:
        errors = {"accept_rules": "This group is full, so no one else can join at the moment."}
        return await _landing(request, token, Form(values, errors), status_code=422)
    except InvitationUnusable:
        return await _landing(request, token, Form())
    flash(request, "Welcome! You have joined the group.")
    return see_other(f"/groups/{group_id}")


HANDLERS = [list_invitations, create, revoke, landing, accept]
