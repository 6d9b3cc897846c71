"""Join, ask to join, leave, accept the rules, and the convenors' member actions.

Each action works in place with htmx (the membership panel is swapped) and as a plain
form (redirect back to the group page with a message).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from app.services import groups, membership
from app.services.errors import FormErrors
from app.services.membership import GroupFull
from app.web.auth import requires_account, requires_organiser, signed_in, utcnow
from app.web.groups import render_group
from app.web.render import Form, flash, is_fragment_request, page, read_form, see_other

AnyRequest = Request[Any, Any, Any]
FULL = "This group is full, so no one else can join at the moment."


async def _done(request: AnyRequest, group_id: int, message: str) -> Template | Redirect:
    if is_fragment_request(request):
        return await render_group(request, group_id, done=message)
    flash(request, message)
    return see_other(f"/groups/{group_id}")


async def _again(
    request: AnyRequest, group_id: int, values: dict[str, str], errors: dict[str, str]
) -> Template:
    return await render_group(request, group_id, Form(values, errors), status_code=422)


@post("/groups/{group_id:int}/join", guards=[requires_account])
async def join(request: AnyRequest, group_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, "accept_rules")
    try:
        group = await membership.join(
            group_id, signed_in(request), values["accept_rules"] == "true", utcnow()
        )
    except FormErrors as e:
        return await _again(request, group_id, values, e.errors)
    except GroupFull:
        # The panel itself now says the group is full; nothing to fix in the form.
        return await render_group(request, group_id, status_code=409)
    return await _done(request, group_id, f"You have joined {group.name}.")


@post("/groups/{group_id:int}/request", guards=[requires_account])
async def ask_to_join(request: AnyRequest, group_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, "message", "accept_rules")
    try:
        await membership.request_to_join(
            group_id,
            signed_in(request),
            values["message"],
            values["accept_rules"] == "true",
            utcnow(),
        )
    except FormErrors as e:
        return await _again(request, group_id, values, e.errors)
    return await _done(
        request, group_id, "You have asked to join. A convenor will decide, and you'll be told."
    )


@post("/groups/{group_id:int}/request/withdraw", guards=[requires_account])
async def withdraw(request: AnyRequest, group_id: FromPath[int]) -> Template | Redirect:
    await membership.withdraw_request(group_id, signed_in(request), utcnow())
    return await _done(request, group_id, "You have withdrawn your request to join.")


@post("/groups/{group_id:int}/leave", guards=[requires_account])
async def leave(
    request: AnyRequest, group_id: FromPath[int]
) -> Template | Response[str] | Redirect:
    group = await membership.leave(group_id, signed_in(request), utcnow())
    message = f"You have left {group.name}."
    if group.listed:
        return await _done(request, group_id, message)
    # An unlisted group's page is no longer there for this person: go home instead.
    flash(request, message)
    if is_fragment_request(request):
        return Response(content="", status_code=204, headers={"HX-Redirect": "/"})
    return see_other("/")


@post("/groups/{group_id:int}/rules/accept", guards=[requires_account])
async def accept_rules(request: AnyRequest, group_id: FromPath[int]) -> Template | Redirect:
    await membership.accept_rules(group_id, signed_in(request), utcnow())
    return await _done(request, group_id, "Thank you for accepting the ground rules.")


@get("/groups/{group_id:int}/requests", guards=[requires_account])
async def requests_page(request: AnyRequest, group_id: FromPath[int]) -> Template:
    group, pending = await groups.pending_requests(group_id, signed_in(request), utcnow())
    return page(request, "groups/requests.html", g=group, pending=pending, form=Form())


@post("/groups/{group_id:int}/requests/{request_id:int}", guards=[requires_account])
async def decide(
    request: AnyRequest, group_id: FromPath[int], request_id: FromPath[int]
) -> Template | Redirect:
    # Each request on the page has its own message box, named after the request.
    field = f"message-{request_id}"
    values = await read_form(request, "decision", field)
    approve = values["decision"] == "approve"
    try:
        name = await membership.decide_request(
            group_id, request_id, signed_in(request), approve, values[field], utcnow()
        )
    except (FormErrors, GroupFull) as e:
        message = e.errors["message"] if isinstance(e, FormErrors) else FULL
        group, pending = await groups.pending_requests(group_id, signed_in(request), utcnow())
        form = Form(values, {field: message})
        return page(
            request, "groups/requests.html", status_code=422, g=group, pending=pending, form=form
        )
    flash(request, f"{name} {'has joined the group' if approve else 'was not accepted'}.")
    return see_other(f"/groups/{group_id}/requests")


@get("/groups/{group_id:int}/members/{membership_id:int}/remove", guards=[requires_account])
async def remove_form(
    request: AnyRequest, group_id: FromPath[int], membership_id: FromPath[int]
) -> Template:
    group, person = await groups.member_for_officer(
        group_id, membership_id, signed_in(request), utcnow()
    )
    return page(request, "groups/remove.html", g=group, person=person, form=Form())


@post("/groups/{group_id:int}/members/{membership_id:int}/remove", guards=[requires_account])
async def remove(
    request: AnyRequest, group_id: FromPath[int], membership_id: FromPath[int]
) -> Template | Redirect:
    values = await read_form(request, "reason")
    try:
        name = await membership.remove_member(
            group_id, signed_in(request), membership_id, values["reason"], utcnow()
        )
    except FormErrors as e:
        group, person = await groups.member_for_officer(
            group_id, membership_id, signed_in(request), utcnow()
        )
        return page(
            request,
            "groups/remove.html",
            status_code=422,
            g=group,
            person=person,
            form=Form(values, e.errors),
        )
    flash(request, f"{name} has been removed from the group and told your reason.")
    return see_other(f"/groups/{group_id}/members")


@post("/groups/{group_id:int}/members/{membership_id:int}/convenor", guards=[requires_account])
async def make_convenor(
    request: AnyRequest, group_id: FromPath[int], membership_id: FromPath[int]
) -> Redirect:
    values = await read_form(request, "step_down")
    step_down = values["step_down"] == "true"
    name = await membership.make_convenor(
        group_id, signed_in(request), membership_id, step_down, utcnow()
    )
    if step_down:
        flash(request, f"{name} is now the convenor, and you are a member.")
        return see_other(f"/groups/{group_id}")
    flash(request, f"{name} is now a convenor too.")
    return see_other(f"/groups/{group_id}/members")


@post("/groups/{group_id:int}/appoint", guards=[requires_organiser])
async def appoint(request: AnyRequest, group_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, "email")
    try:
        await membership.appoint_convenor(group_id, signed_in(request), values["email"], utcnow())
    except FormErrors as e:
        return await render_group(request, group_id, Form(values, e.errors), status_code=422)
    flash(request, "The convenor has been appointed and told.")
    return see_other(f"/groups/{group_id}")


HANDLERS = [
    join,
    ask_to_join,
    withdraw,
    leave,
    accept_rules,
    requests_page,
    decide,
    remove_form,
    remove,
    make_convenor,
    appoint,
]
