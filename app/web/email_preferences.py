"""Choose which reminder emails to get and when, and one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.domain.reminders import DIGEST_AT, KINDS, SETTINGS, valid_unsubscribe
from app.services import email_preferences
from app.services.errors import FormErrors
from app.web.auth import requires_account, signed_in
from app.web.render import Form, flash, page, read_form, see_other

AnyRequest = Request[Any, Any, Any]


def _email_page(request: AnyRequest, form: Form, status_code: int = 200) -> Template:
    return page(
        request,
        "accounts/email.html",
        status_code=status_code,
        form=form,
        kinds=KINDS,
        options=SETTINGS,
        timezone=signed_in(request).timezone,
        digest_at=DIGEST_AT.strftime("%H:%M"),
    )


@get("/account/email", name="email_preferences", guards=[requires_account])
async def email_form(request: AnyRequest) -> Template:
    choices = await email_preferences.choices_of(signed_in(request).id)
    return _email_page(request, Form(choices.form_values()))


@post("/account/email", guards=[requires_account])
async def email_submit(request: AnyRequest) -> Template | Redirect:
    values = await read_form(request, *email_preferences.FIELDS)
    try:
        await email_preferences.save_choices(signed_in(request).id, values)
    except FormErrors as e:
        return _email_page(request, Form(values, e.errors), status_code=422)
    flash(request, "Your email choices are saved.")
    return see_other("/account/email")


def _checked(state: State, user_id: int, kind: str, token: str) -> str:
    """What the link is about, or 404: a wrong or tampered link reveals nothing."""
    if not valid_unsubscribe(state.settings.secret_key, user_id, kind, token):
        raise NotFoundException()
    return "" if kind == "all" else f"“{KINDS[kind]}”"


# No sign-in: the link in the email is the credential. A GET only asks, because mail
# scanners and link previews open links; the POST does it.
@get("/email/unsubscribe/{user_id:int}/{kind:str}/{token:str}", name="unsubscribe")
async def unsubscribe_form(
    request: AnyRequest,
    state: State,
    user_id: FromPath[int],
    kind: FromPath[str],
    token: FromPath[str],
) -> Template:
    about = _checked(state, user_id, kind, token)
    if not await email_preferences.person_exists(user_id):
        raise NotFoundException()
    return page(request, "accounts/unsubscribe.html", about=about, everything=kind == "all")


# Mail clients POST "List-Unsubscribe=One-Click" with no cookie and no CSRF token; the
# signed link is what proves the request, so CSRF does not apply here.
@post("/email/unsubscribe/{user_id:int}/{kind:str}/{token:str}", exclude_from_csrf=True)
async def unsubscribe(
    request: AnyRequest,
    state: State,
    user_id: FromPath[int],
    kind: FromPath[str],
    token: FromPath[str],
) -> Template:
    about = _checked(state, user_id, kind, token)
    await email_preferences.unsubscribe(user_id, kind)
    return page(request, "accounts/unsubscribed.html", about=about, everything=kind == "all")


HANDLERS = [email_form, email_submit, unsubscribe_form, unsubscribe]
