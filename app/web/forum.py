"""A group's forum: threads, replies, edits, "I hear you", reports, moderation and search.

Every action is a plain form that redirects (303) or re-renders with errors (422). With
htmx the same handler answers with the piece of page that changed: a post acts in place,
a reply is added to the thread, "show more" appends the next page.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Response, Template

from app.services import forum
from app.services.errors import FormErrors, NotFound
from app.web.auth import requires_account, signed_in, utcnow
from app.web.render import Form, flash, is_fragment_request, page, read_form, see_other

AnyRequest = Request[Any, Any, Any]

POST = "forum/_post.html"
POST_FORM = "forum/_post_form.html"
NEW_THREAD = "forum/_new_thread.html"
REPLY = "forum/_reply_form.html"


def _page_number(raw: str) -> int:
    # A mangled ?page= is the first page, never a 400.
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def _texts() -> dict[str, Any]:
    return {
        "hidden_notice": forum.HIDDEN_NOTICE,
        "deleted_notice": forum.DELETED_NOTICE,
        "body_max": forum.BODY_MAX,
        "title_max": forum.TITLE_MAX,
    }


def _client_redirect(location: str) -> Response[str]:
    return Response(content="", status_code=204, headers={"HX-Redirect": location})


# The thread list and starting a thread.


async def _forum(
    request: AnyRequest,
    group_id: int,
    page_no: int = 1,
    form: Form | None = None,
    status: int = 200,
) -> Template:
    view = await forum.forum_page(group_id, signed_in(request), utcnow(), page_no)
    fragment = is_fragment_request(request)
    if fragment and form is not None:
        template = NEW_THREAD
    elif fragment:
        template = "forum/_threads_page.html"
    else:
        template = "forum/forum.html"
    return page(
        request,
        template,
        status_code=status,
        f=view,
        g=view.group,
        access=view.access,
        form=form or Form(),
        swapped=fragment,
        **_texts(),
    )


@get("/groups/{group_id:int}/forum", guards=[requires_account])
async def forum_page(
    request: AnyRequest,
    group_id: FromPath[int],
    page_no: Annotated[str, QueryParameter(name="page")] = "1",
) -> Template:
    return await _forum(request, group_id, _page_number(page_no))


@post("/groups/{group_id:int}/forum", guards=[requires_account])
async def start_thread(
    request: AnyRequest, group_id: FromPath[int]
) -> Template | Redirect | Response[str]:
    values = await read_form(request, "title", "body", "anonymous")
    try:
        thread_id = await forum.start_thread(group_id, signed_in(request), values, utcnow())
    except FormErrors as e:
        return await _forum(request, group_id, form=Form(values, e.errors), status=422)
    flash(request, "Your thread is posted.")
    location = f"/forum/threads/{thread_id}"
    return _client_redirect(location) if is_fragment_request(request) else see_other(location)


@get("/groups/{group_id:int}/forum/search", guards=[requires_account])
async def search(
    request: AnyRequest,
    group_id: FromPath[int],
    q: Annotated[str, QueryParameter()] = "",
) -> Template:
    view = await forum.search(group_id, signed_in(request), q, utcnow())
    fragment = is_fragment_request(request)
    return page(
        request,
        "forum/_search_results.html" if fragment else "forum/search.html",
        s=view,
        g=view.group,
        access=view.access,
        form=Form({"q": view.q}),
        swapped=fragment,
    )


async def _reports(
    request: AnyRequest, group_id: int, form: Form | None = None, status: int = 200
) -> Template:
    view = await forum.reports_page(group_id, signed_in(request), utcnow())
    return page(
        request,
        "forum/reports.html",
        status_code=status,
        r=view,
        g=view.group,
        access=view.access,
        form=form or Form(),
        **_texts(),
    )


@get("/groups/{group_id:int}/forum/reports", guards=[requires_account])
async def reports(request: AnyRequest, group_id: FromPath[int]) -> Template:
    return await _reports(request, group_id)


# A thread and replying.


async def _thread(
    request: AnyRequest,
    thread_id: int,
    page_no: int = 1,
    form: Form | None = None,
    status: int = 200,
) -> Template:
    view = await forum.thread_page(thread_id, signed_in(request), utcnow(), page_no)
    fragment = is_fragment_request(request)
    if fragment and form is not None:
        template = REPLY
    elif fragment:
        template = "forum/_posts_page.html"
    else:
        template = "forum/thread.html"
    return page(
        request,
        template,
        status_code=status,
        tp=view,
        t=view.thread,
        g=view.group,
        access=view.access,
        form=form or Form(),
        swapped=fragment,
        posted=False,
        **_texts(),
    )


@get("/forum/threads/{thread_id:int}", guards=[requires_account])
async def thread_page(
    request: AnyRequest,
    thread_id: FromPath[int],
    page_no: Annotated[str, QueryParameter(name="page")] = "1",
) -> Template:
    return await _thread(request, thread_id, _page_number(page_no))


@post("/forum/threads/{thread_id:int}/replies", guards=[requires_account])
async def reply(request: AnyRequest, thread_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, "body", "anonymous")
    account = signed_in(request)
    try:
        place = await forum.reply(thread_id, account, values, utcnow())
    except FormErrors as e:
        return await _thread(request, thread_id, form=Form(values, e.errors), status=422)
    if is_fragment_request(request):
        # The cleared form, and the new post added to the end of the thread.
        context = await forum.post_in_context(place.post_id, account, utcnow())
        return page(
            request,
            "forum/_reply_done.html",
            p=context.post,
            t=context.thread,
            g=context.group,
            access=context.access,
            tp=None,
            form=Form(),
            swapped=True,
            posted=True,
            **_texts(),
        )
    flash(request, "Your reply is posted.")
    return see_other(place.url)


@post("/forum/threads/{thread_id:int}/pin", guards=[requires_account])
async def pin(request: AnyRequest, thread_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, "pinned")
    pinned = values["pinned"] == "true"
    account = signed_in(request)
    await forum.set_pinned(thread_id, account, pinned, utcnow())
    message = (
        "The thread is pinned to the top of the forum." if pinned else "The thread is unpinned."
    )
    if not is_fragment_request(request):
        flash(request, message)
        return see_other(f"/forum/threads/{thread_id}")
    context = await forum.thread_in_context(thread_id, account, utcnow())
    return page(
        request,
        "forum/_thread_head.html",
        t=context.thread,
        g=context.group,
        access=context.access,
        notice=message,
        swapped=True,
    )


# One post: shown, edited, deleted, heard, reported, hidden, restored.


async def _post(
    request: AnyRequest,
    post_id: int,
    *,
    mode: str = "",
    form: Form | None = None,
    status: int = 200,
    notice: str = "",
) -> Template:
    """The post as a fragment (in place) or, with a form, as a page of its own."""
    context = await forum.post_in_context(post_id, signed_in(request), utcnow())
    fragment = is_fragment_request(request)
    template = (POST_FORM if fragment else "forum/post_action.html") if mode else POST
    return page(
        request,
        template,
        status_code=status,
        p=context.post,
        t=context.thread,
        g=context.group,
        access=context.access,
        mode=mode,
        form=form or Form(),
        notice=notice,
        swapped=fragment,
        **_texts(),
    )


def _done(request: AnyRequest, place: forum.PostPlace, message: str) -> Redirect | None:
    if is_fragment_request(request):
        return None
    flash(request, message)
    return see_other(place.url)


@get("/forum/posts/{post_id:int}", guards=[requires_account])
async def show_post(request: AnyRequest, post_id: FromPath[int]) -> Template | Redirect:
    if is_fragment_request(request):
        return await _post(request, post_id)
    place = await forum.post_place(post_id, signed_in(request), utcnow())
    return see_other(place.url)


def _beside(field: str, values: dict[str, str], e: FormErrors) -> Form:
    # One text field per post on the page: its error goes beside that post's field.
    return Form(values, {field: next(iter(e.errors.values()))})


def _may(allowed: bool) -> None:
    if not allowed:
        raise NotFound()


@get("/forum/posts/{post_id:int}/edit", guards=[requires_account])
async def edit_form(request: AnyRequest, post_id: FromPath[int]) -> Template:
    context = await forum.post_in_context(post_id, signed_in(request), utcnow())
    _may(context.post.can_edit)
    form = Form({f"body-{post_id}": context.post.own_text})
    return await _post(request, post_id, mode="edit", form=form)


@post("/forum/posts/{post_id:int}/edit", guards=[requires_account])
async def edit(request: AnyRequest, post_id: FromPath[int]) -> Template | Redirect:
    field = f"body-{post_id}"
    values = await read_form(request, field)
    try:
        place = await forum.edit_post(post_id, signed_in(request), values[field], utcnow())
    except FormErrors as e:
        form = _beside(field, values, e)
        return await _post(request, post_id, mode="edit", form=form, status=422)
    return _done(request, place, "Your post is changed.") or await _post(
        request, post_id, notice="Your post is changed."
    )


@get("/forum/posts/{post_id:int}/delete", guards=[requires_account])
async def delete_form(request: AnyRequest, post_id: FromPath[int]) -> Template:
    context = await forum.post_in_context(post_id, signed_in(request), utcnow())
    _may(context.post.can_edit)
    return await _post(request, post_id, mode="delete")


@post("/forum/posts/{post_id:int}/delete", guards=[requires_account])
async def delete(
    request: AnyRequest, post_id: FromPath[int]
) -> Template | Redirect | Response[str]:
    deleted = await forum.delete_post(post_id, signed_in(request), utcnow())
    if deleted.place is None:
        flash(request, "Your post is deleted, and with it the thread, as nobody had replied.")
        location = f"/groups/{deleted.group_id}/forum"
        return _client_redirect(location) if is_fragment_request(request) else see_other(location)
    return _done(request, deleted.place, "Your post is deleted.") or await _post(
        request, post_id, notice="Your post is deleted."
    )


@post("/forum/posts/{post_id:int}/ack", guards=[requires_account])
async def ack(request: AnyRequest, post_id: FromPath[int]) -> Template | Redirect:
    place = await forum.toggle_ack(post_id, signed_in(request), utcnow())
    # No message in place: the button's pressed state and the count say it, and focus
    # stays on the button.
    return _done(request, place, "Thank you: they will know they were heard.") or await _post(
        request, post_id
    )


@get("/forum/posts/{post_id:int}/report", guards=[requires_account])
async def report_form(request: AnyRequest, post_id: FromPath[int]) -> Template:
    context = await forum.post_in_context(post_id, signed_in(request), utcnow())
    _may(context.post.can_report)
    return await _post(request, post_id, mode="report")


@post("/forum/posts/{post_id:int}/report", guards=[requires_account])
async def report(request: AnyRequest, post_id: FromPath[int]) -> Template | Redirect:
    field = f"report-{post_id}"
    values = await read_form(request, field)
    try:
        place = await forum.report_post(post_id, signed_in(request), values[field], utcnow())
    except FormErrors as e:
        form = _beside(field, values, e)
        return await _post(request, post_id, mode="report", form=form, status=422)
    message = "Thank you. The group's convenors will look at the post."
    return _done(request, place, message) or await _post(request, post_id, notice=message)


@get("/forum/posts/{post_id:int}/hide", guards=[requires_account])
async def hide_form(request: AnyRequest, post_id: FromPath[int]) -> Template:
    context = await forum.post_in_context(post_id, signed_in(request), utcnow())
    _may(context.post.can_moderate and not context.post.hidden)
    return await _post(request, post_id, mode="hide")


def _to_reports(
    request: AnyRequest, back: str, place: forum.PostPlace, message: str
) -> Redirect | None:
    """Moderating from the reports page goes back there, and from a thread to the thread."""
    if back != "reports":
        return None
    flash(request, message)
    return see_other(f"/groups/{place.group_id}/forum/reports")


@post("/forum/posts/{post_id:int}/hide", guards=[requires_account])
async def hide(request: AnyRequest, post_id: FromPath[int]) -> Template | Redirect:
    field = f"hide-{post_id}"
    values = await read_form(request, field, "back")
    account = signed_in(request)
    try:
        place = await forum.hide_post(post_id, account, values[field], utcnow())
    except FormErrors as e:
        form = _beside(field, values, e)
        if values["back"] != "reports":
            return await _post(request, post_id, mode="hide", form=form, status=422)
        context = await forum.post_in_context(post_id, account, utcnow())
        return await _reports(request, context.group.id, form, 422)
    message = "The post is hidden. Its author can still see it, with your reason."
    return (
        _to_reports(request, values["back"], place, message)
        or _done(request, place, message)
        or await _post(request, post_id, notice=message)
    )


@post("/forum/posts/{post_id:int}/restore", guards=[requires_account])
async def restore(request: AnyRequest, post_id: FromPath[int]) -> Template | Redirect:
    place = await forum.restore_post(post_id, signed_in(request), utcnow())
    message = "The post is shown to members again."
    return _done(request, place, message) or await _post(request, post_id, notice=message)


@post("/forum/posts/{post_id:int}/dismiss", guards=[requires_account])
async def dismiss(request: AnyRequest, post_id: FromPath[int]) -> Redirect:
    values = await read_form(request, "back")
    place = await forum.dismiss_reports(post_id, signed_in(request), utcnow())
    message = "The reports are dismissed, and the post stays."
    return (
        _to_reports(request, values["back"], place, message)
        or _done(request, place, message)
        or see_other(place.url)
    )


HANDLERS = [
    forum_page,
    start_thread,
    search,
    reports,
    thread_page,
    reply,
    pin,
    show_post,
    edit_form,
    edit,
    delete_form,
    delete,
    ack,
    report_form,
    report,
    hide_form,
    hide,
    restore,
    dismiss,
]
