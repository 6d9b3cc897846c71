"""Register, sign in and out, reset and change passwords, edit the profile."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from app.domain.accounts import TIMEZONES, Profile, Registration, normalise_email
from app.services import accounts
from app.services.errors import FormErrors, TooManyAttempts
from app.web.auth import requires_account, sign_in, sign_out, signed_in, utcnow
from app.web.render import (
    Form,
    flash,
    is_fragment_request,
    page,
    read_form,
    safe_next,
    see_other,
    without_secrets,
)

AnyRequest = Request[Any, Any, Any]


def _address(request: AnyRequest) -> str:
    return request.client.host if request.client else "unknown"


@get("/register", name="register")
async def register_form(request: AnyRequest) -> Template | Redirect:
    if request.scope.get("user"):
        return see_other("/")
    return page(request, "accounts/register.html", form=Form())


@post("/register")
async def register(request: AnyRequest, state: State) -> Template | Redirect:
    values = await read_form(request, "display_name", "email", "password")
    registration = Registration(
        display_name=values["display_name"],
        email=normalise_email(values["email"]),
        password=values["password"],
    )
    settings = state.settings
    try:
        account = await accounts.register(
            registration, settings.allowed_email_domains, settings.timezone
        )
    except FormErrors as e:
        form = Form(without_secrets(values), e.errors)
        return page(request, "accounts/register.html", status_code=422, form=form)
    sign_in(request, account)
    flash(request, f"Welcome to Roundtable, {account.display_name}.")
    return see_other("/")


@get("/sign-in", name="sign_in")
async def sign_in_form(
    request: AnyRequest,
    next_path: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Template:
    return page(request, "accounts/sign_in.html", form=Form(), next=safe_next(next_path))


@post("/sign-in")
async def sign_in_submit(request: AnyRequest) -> Template | Redirect:
    values = await read_form(request, "email", "password", "next")
    next_path = safe_next(values.pop("next"))
    try:
        account = await accounts.authenticate(
            values["email"], values["password"], _address(request), utcnow()
        )
    except TooManyAttempts:
        form = Form(without_secrets(values), {"password": accounts.PAUSED_MESSAGE})
        return page(request, "accounts/sign_in.html", status_code=429, form=form, next=next_path)
    except FormErrors as e:
        form = Form(without_secrets(values), e.errors)
        return page(request, "accounts/sign_in.html", status_code=422, form=form, next=next_path)
    sign_in(request, account)
    return see_other(next_path)


@post("/sign-out", name="sign_out")
async def sign_out_submit(request: AnyRequest) -> Redirect:
    sign_out(request)
    flash(request, "You have signed out.")
    return see_other("/")


@get("/password/forgot", name="forgot_password")
async def forgot_form(request: AnyRequest) -> Template:
    return page(request, "accounts/forgot.html", form=Form(), sent=False)


@post("/password/forgot")
async def forgot_submit(request: AnyRequest, state: State) -> Template:
    values = await read_form(request, "email")
    try:
        await accounts.request_password_reset(
            values["email"], utcnow(), state.mailer, state.settings.base_url
        )
    except FormErrors as e:
        return page(
            request,
            "accounts/forgot.html",
            status_code=422,
            form=Form(values, e.errors),
            sent=False,
        )
    return page(request, "accounts/forgot.html", form=Form(values), sent=True)


@get("/password/reset/{token:str}", name="reset_password")
async def reset_form(request: AnyRequest, token: FromPath[str]) -> Template:
    valid = await accounts.reset_link_is_valid(token, utcnow())
    status = 200 if valid else 410
    return page(request, "accounts/reset.html", status_code=status, form=Form(), valid=valid)


@post("/password/reset/{token:str}")
async def reset_submit(request: AnyRequest, token: FromPath[str]) -> Template | Redirect:
    values = await read_form(request, "new_password")
    try:
        account = await accounts.reset_password(token, values["new_password"], utcnow())
    except FormErrors as e:
        return page(
            request, "accounts/reset.html", status_code=422, form=Form({}, e.errors), valid=True
        )
    except accounts.InvalidResetLink:
        return page(request, "accounts/reset.html", status_code=410, form=Form(), valid=False)
    sign_in(request, account)
    flash(request, "Your password has been changed and you are signed in.")
    return see_other("/")


@get("/account/password", name="change_password", guards=[requires_account])
async def change_password_form(request: AnyRequest) -> Template:
    return page(request, "accounts/password.html", form=Form())


@post("/account/password", guards=[requires_account])
async def change_password(request: AnyRequest) -> Template | Redirect:
    values = await read_form(request, "current_password", "new_password")
    try:
        account = await accounts.change_password(
            signed_in(request), values["current_password"], values["new_password"]
        )
    except FormErrors as e:
        return page(request, "accounts/password.html", status_code=422, form=Form({}, e.errors))
    # Re-issued here so this browser stays signed in while every other session ends.
    sign_in(request, account)
    flash(request, "Your password has been changed. Other devices have been signed out.")
    return see_other("/account/profile")


def _profile_page(
    request: AnyRequest, form: Form, status_code: int = 200, saved: bool = False
) -> Template:
    template = (
        "accounts/_profile_form.html" if is_fragment_request(request) else "accounts/profile.html"
    )
    return page(
        request, template, status_code=status_code, form=form, timezones=TIMEZONES, saved=saved
    )


@get("/account/profile", name="profile", guards=[requires_account])
async def profile_form(request: AnyRequest) -> Template:
    account = signed_in(request)
    values = {
        "display_name": account.display_name,
        "pronouns": account.pronouns,
        "timezone": account.timezone,
        "accessibility_needs": account.accessibility_needs,
    }
    return _profile_page(request, Form(values))


@post("/account/profile", guards=[requires_account])
async def profile_submit(request: AnyRequest) -> Template | Redirect:
    values = await read_form(request, "display_name", "pronouns", "timezone", "accessibility_needs")
    try:
        account = await accounts.update_profile(signed_in(request), Profile(**values))
    except FormErrors as e:
        return _profile_page(request, Form(values, e.errors), status_code=422)
    request.scope["user"] = account
    if is_fragment_request(request):
        return _profile_page(request, Form(values), saved=True)
    flash(request, "Your profile has been saved.")
    return see_other("/account/profile")


@get("/account/delete", name="delete_account", guards=[requires_account])
async def delete_form(request: AnyRequest) -> Template:
    return page(request, "accounts/delete.html", form=Form())


@post("/account/delete", guards=[requires_account])
async def delete_submit(request: AnyRequest) -> Template | Redirect:
    values = await read_form(request, "password")
    try:
        await accounts.delete_account(signed_in(request), values["password"], utcnow())
    except FormErrors as e:
        return page(request, "accounts/delete.html", status_code=422, form=Form({}, e.errors))
    sign_out(request)
    flash(request, "Your account has been deleted. Thank you for taking part.")
    return see_other("/")


HANDLERS = [
    delete_form,
    delete_submit,
    register_form,
    register,
    sign_in_form,
    sign_in_submit,
    sign_out_submit,
    forgot_form,
    forgot_submit,
    reset_form,
    reset_submit,
    change_password_form,
    change_password,
    profile_form,
    profile_submit,
]
