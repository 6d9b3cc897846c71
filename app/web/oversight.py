"""Organisers' overview of listed groups, and admins' break-glass safeguarding access."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.domain.prompts import LENS_LABELS, load_banks
from app.services import groups, prompts, safeguarding
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


async def _prompts_page(request: AnyRequest, form: Form, status_code: int = 200) -> Template:
    rows = await prompts.all_prompts(include_retired=True)
    banks: dict[str, list[prompts.PromptView]] = {}
    for row in rows:
        banks.setdefault(row.bank, []).append(row)
    return page(
        request,
        "oversight/prompts.html",
        status_code=status_code,
        banks=banks,
        titles={bank.id: bank.title for bank in load_banks().values()},
        lenses=LENS_LABELS,
        form=form,
    )


@get("/organiser/prompts", guards=[requires_organiser])
async def prompt_banks(request: AnyRequest) -> Template:
    return await _prompts_page(request, Form())


@post("/organiser/prompts", guards=[requires_organiser])
async def add_prompt(request: AnyRequest) -> Template | Redirect:
    values = await read_form(request, "text", "lens")
    try:
        await prompts.add_custom_prompt(signed_in(request), values["text"], values["lens"])
    except FormErrors as e:
        return await _prompts_page(request, Form(values, e.errors), status_code=422)
    flash(request, "Your prompt is added. Facilitators can now pick it for their agendas.")
    return see_other("/organiser/prompts")


@post("/organiser/prompts/{prompt_id:int}/retire", guards=[requires_organiser])
async def retire_prompt(request: AnyRequest, prompt_id: FromPath[int]) -> Redirect:
    values = await read_form(request, "retired")
    retired = values["retired"] == "true"
    await prompts.set_retired(signed_in(request), prompt_id, retired)
    flash(request, "The prompt is retired." if retired else "The prompt is back in use.")
    return see_other("/organiser/prompts")


HANDLERS = [overview, break_glass_form, break_glass, prompt_banks, add_prompt, retire_prompt]
