"""The rota page: upcoming facilitators, the fairness ledger, opting out and away days."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.services import meetings, rota
from app.services.errors import FormErrors
from app.services.groups import officer_group
from app.web.auth import requires_account, signed_in, utcnow
from app.web.render import Form, flash, page, read_form, see_other

AnyRequest = Request[Any, Any, Any]


async def _rota(request: AnyRequest, group_id: int, form: Form, status_code: int = 200) -> Template:
    view = await rota.rota_page(group_id, signed_in(request), utcnow())
    presenting = view.group.kind == "action_learning"
    columns = [(k, v) for k, v in rota.ROLES.items() if k != "presenter" or presenting]
    return page(
        request,
        "rota/page.html",
        status_code=status_code,
        r=view,
        g=view.group,
        roles=rota.ROLES,
        columns=columns,
        form=form,
    )


@get("/groups/{group_id:int}/rota", guards=[requires_account])
async def rota_page(request: AnyRequest, group_id: FromPath[int]) -> Template:
    return await _rota(request, group_id, Form())


@post("/groups/{group_id:int}/rota/plan", guards=[requires_account])
async def plan(request: AnyRequest, group_id: FromPath[int]) -> Redirect:
    await officer_group(group_id, signed_in(request), utcnow())
    made = await rota.plan_rota(group_id, utcnow())
    flash(request, f"The rota is up to date ({made} new turn{'s' if made != 1 else ''}).")
    return see_other(f"/groups/{group_id}/rota")


@post("/groups/{group_id:int}/rota/opt-out", guards=[requires_account])
async def opt_out(request: AnyRequest, group_id: FromPath[int]) -> Redirect:
    values = await read_form(request, "opted_out")
    opted = values["opted_out"] == "true"
    await rota.set_opt_out(group_id, signed_in(request), opted, utcnow())
    flash(request, "You won't be asked to lead." if opted else "You are back on the rota to lead.")
    return see_other(f"/groups/{group_id}/rota")


@post("/groups/{group_id:int}/rota/away", guards=[requires_account])
async def add_away(request: AnyRequest, group_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, "day")
    try:
        day = await rota.add_away_day(signed_in(request), values["day"], utcnow())
    except FormErrors as e:
        return await _rota(request, group_id, Form(values, e.errors), status_code=422)
    flash(request, f"Noted: you are away on {day.strftime('%-d %B %Y')}. The rota will skip you.")
    return see_other(f"/groups/{group_id}/rota")


@post("/groups/{group_id:int}/rota/away/{away_id:int}/delete", guards=[requires_account])
async def remove_away(
    request: AnyRequest, group_id: FromPath[int], away_id: FromPath[int]
) -> Redirect:
    await rota.remove_away_day(signed_in(request), away_id)
    flash(request, "That away day is removed.")
    return see_other(f"/groups/{group_id}/rota")


@post("/meetings/{meeting_id:int}/swap", guards=[requires_account])
async def ask_for_swap(request: AnyRequest, meeting_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, "kind", "role")
    group_id = await rota.group_of_meeting(meeting_id)
    try:
        await rota.ask_for_swap(
            meeting_id, signed_in(request), values["kind"], utcnow(), values["role"] or None
        )
    except FormErrors as e:
        return await _rota(request, group_id, Form(values, e.errors), status_code=422)
    flash(request, "Your request is out. Everyone who can take the turn has been asked.")
    return see_other(f"/groups/{group_id}/rota")


@post("/swaps/{swap_id:int}/take", guards=[requires_account])
async def take_swap(request: AnyRequest, swap_id: FromPath[int]) -> Redirect:
    group_id = await rota.group_of_swap(swap_id)
    try:
        await rota.take_swap(swap_id, signed_in(request), utcnow())
    except rota.SwapTaken:
        flash(request, rota.TAKEN)
        return see_other(f"/groups/{group_id}/rota")
    except rota.CannotTake:
        flash(request, rota.CANNOT_TAKE)
        return see_other(f"/groups/{group_id}/rota")
    flash(request, "The turn is yours. Thank you for stepping in.")
    return see_other(f"/groups/{group_id}/rota")


@post("/swaps/{swap_id:int}/withdraw", guards=[requires_account])
async def withdraw_swap(request: AnyRequest, swap_id: FromPath[int]) -> Redirect:
    group_id = await rota.group_of_swap(swap_id)
    await rota.withdraw_swap(swap_id, signed_in(request))
    flash(request, "Your request is withdrawn; the turn is still yours.")
    return see_other(f"/groups/{group_id}/rota")


@post("/meetings/{meeting_id:int}/override", guards=[requires_account])
async def override(request: AnyRequest, meeting_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, "role", f"member-{meeting_id}", f"note-{meeting_id}")
    group_id = await rota.group_of_meeting(meeting_id)
    try:
        await rota.override_turn(
            meeting_id,
            signed_in(request),
            values["role"],
            values[f"member-{meeting_id}"],
            values[f"note-{meeting_id}"],
            utcnow(),
        )
    except FormErrors as e:
        return await _rota(request, group_id, Form(values, e.errors), status_code=422)
    flash(request, "The turn is changed, and the change is noted in the rota's history.")
    return see_other(f"/groups/{group_id}/rota")


@get("/meetings/{meeting_id:int}/prepare", guards=[requires_account])
async def prepare(request: AnyRequest, meeting_id: FromPath[int]) -> Template:
    view = await rota.preparation(meeting_id, signed_in(request), utcnow())
    agenda = await meetings.agenda_of(meeting_id)
    return page(
        request, "rota/prepare.html", prep=view, g=view.group, agenda=agenda, roles=rota.ROLES
    )


HANDLERS = [
    prepare,
    rota_page,
    plan,
    opt_out,
    add_away,
    remove_away,
    ask_for_swap,
    take_swap,
    withdraw_swap,
    override,
]
