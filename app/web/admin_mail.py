"""Admins' view of outgoing mail: the reminder outbox, and the console mailbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.services import admin_mail
from app.web.auth import requires_admin, signed_in
from app.web.render import flash, page, see_other

AnyRequest = Request[Any, Any, Any]


@get("/admin/reminders", name="admin_reminders", guards=[requires_admin])
async def reminders(request: AnyRequest) -> Template:
    overview = await admin_mail.outbox_overview()
    return page(
        request,
        "admin_mail/reminders.html",
        overview=overview,
        descriptions=admin_mail.STATUS_MEANINGS,
        limit=admin_mail.FAILED_LIMIT,
    )


@post("/admin/reminders/{reminder_id:int}/retry", guards=[requires_admin])
async def retry(request: AnyRequest, reminder_id: FromPath[int]) -> Redirect:
    if await admin_mail.retry_failed(reminder_id, signed_in(request).id, datetime.now(UTC)):
        flash(request, "The reminder is back in the queue and will be sent at the next run.")
    else:
        flash(request, "That reminder had already left the failed list, so nothing changed.")
    return see_other("/admin/reminders")


@get("/admin/mail", name="admin_mail", guards=[requires_admin])
async def mailbox(request: AnyRequest, state: State) -> Template:
    settings = state.settings
    console = settings.mail_backend == "console"
    messages = await admin_mail.console_mail(settings.mail_dir) if console else []
    return page(
        request,
        "admin_mail/mail.html",
        console=console,
        backend=settings.mail_backend,
        smtp_host=settings.smtp_host,
        messages=messages,
        limit=admin_mail.MAIL_LIMIT,
    )


@get("/admin/mail/{name:str}", guards=[requires_admin])
async def message(request: AnyRequest, state: State, name: FromPath[str]) -> Template:
    settings = state.settings
    found = None
    if settings.mail_backend == "console":
        found = await admin_mail.console_message(settings.mail_dir, name)
    if found is None:
        raise NotFoundException()
    return page(request, "admin_mail/message.html", message=found)


HANDLERS = [reminders, retry, mailbox, message]
