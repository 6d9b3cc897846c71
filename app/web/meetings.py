"""Sessions: the schedule, a meeting's page and agenda, RSVP, attendance, themes, calendars."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from app.domain.prompts import LENS_LABELS, load_banks
from app.domain.recurrence import RULES
from app.services import actions, calendar, meetings
from app.services.errors import FormErrors
from app.services.groups import officer_group
from app.web.auth import requires_account, signed_in, utcnow
from app.web.render import Form, flash, is_fragment_request, page, read_form, see_other

AnyRequest = Request[Any, Any, Any]

SCHEDULE_FIELDS = (
    "rule",
    "first_date",
    "local_start",
    "minutes",
    "weekday",
    "nth",
    "place",
    "online_link",
    "access_notes",
    "venue_capacity",
    *meetings.ACCESS_FLAGS,
)
CHANGE_FIELDS = (
    "date",
    "start",
    "minutes",
    "place",
    "online_link",
    "access_notes",
    "venue_capacity",
    *meetings.ACCESS_FLAGS,
)
WEEKDAYS = {
    str(n): day
    for n, day in enumerate(
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    )
}
BANK_TITLES = {bank.id: bank.title for bank in load_banks().values()} | {
    "custom": "Your organisation's prompts"
}
NTHS = {"1": "First", "2": "Second", "3": "Third", "4": "Fourth", "-1": "Last"}


def _schedule_choices() -> dict[str, Any]:
    return {
        "rules": RULES,
        "weekdays": WEEKDAYS,
        "nths": NTHS,
        "access_labels": meetings.ACCESS_LABELS,
    }


@get("/groups/{group_id:int}/schedule", guards=[requires_account])
async def schedule_form(request: AnyRequest, group_id: FromPath[int]) -> Template:
    group = await officer_group(group_id, signed_in(request), utcnow())
    values = await meetings.schedule_form_values(group_id)
    return page(
        request, "meetings/schedule.html", g=group, form=Form(values), **_schedule_choices()
    )


@post("/groups/{group_id:int}/schedule", guards=[requires_account])
async def save_schedule(request: AnyRequest, group_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, *SCHEDULE_FIELDS)
    try:
        made = await meetings.save_schedule(group_id, signed_in(request), values, utcnow())
    except FormErrors as e:
        group = await officer_group(group_id, signed_in(request), utcnow())
        return page(
            request,
            "meetings/schedule.html",
            status_code=422,
            g=group,
            form=Form(values, e.errors),
            **_schedule_choices(),
        )
    flash(request, f"The schedule is saved. {made} new session{'s' if made != 1 else ''} added.")
    return see_other(f"/groups/{group_id}")


async def _meeting(
    request: AnyRequest,
    meeting_id: int,
    form: Form | None = None,
    status_code: int = 200,
    fragment: str = "",
) -> Template:
    view = await meetings.meeting_page(meeting_id, signed_in(request), utcnow())
    template = fragment if fragment and is_fragment_request(request) else "meetings/page.html"
    vocabulary = await meetings.theme_vocabulary() if view.can_run else []
    other_prompts = await meetings.other_bank_prompts() if view.can_run and not view.past else []
    learning = view.group.kind == "action_learning"
    # After a set ends, each member sees only their own actions, read-only.
    owner = view.viewer_id if view.group.ended else None
    raised = await actions.raised_at(meeting_id, owner) if learning else []
    earlier = (
        await actions.open_before(view.group.id, view.meeting.starts_at, owner) if learning else []
    )
    return page(
        request,
        template,
        status_code=status_code,
        m=view,
        g=view.group,
        form=form or Form(),
        answers=meetings.ANSWERS,
        lenses=LENS_LABELS,
        vocabulary=vocabulary,
        other_prompts=other_prompts,
        bank_titles=BANK_TITLES,
        raised=raised,
        earlier=earlier,
        # A swapped-in fragment takes focus (see the templates), a full page never does.
        swapped=template == fragment and bool(fragment),
        statuses=actions.STATUSES,
    )


@get("/meetings/{meeting_id:int}", guards=[requires_account])
async def meeting_page(request: AnyRequest, meeting_id: FromPath[int]) -> Template:
    return await _meeting(request, meeting_id)


@post("/meetings/{meeting_id:int}/rsvp", guards=[requires_account])
async def rsvp(request: AnyRequest, meeting_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, "answer")
    try:
        await meetings.set_rsvp(meeting_id, signed_in(request), values["answer"], utcnow())
    except FormErrors as e:
        return await _meeting(
            request, meeting_id, Form(values, e.errors), 422, "meetings/_rsvp.html"
        )
    if is_fragment_request(request):
        return await _meeting(request, meeting_id, fragment="meetings/_rsvp.html")
    flash(request, "Thank you: your answer is saved.")
    return see_other(f"/meetings/{meeting_id}")


@post("/meetings/{meeting_id:int}/attendance", guards=[requires_account])
async def attendance(request: AnyRequest, meeting_id: FromPath[int]) -> Template | Redirect:
    form = await request.form()
    attended = [int(v) for v in form.getall("attended", []) if isinstance(v, str) and v.isdigit()]
    try:
        await meetings.record_attendance(meeting_id, signed_in(request), attended, utcnow())
    except FormErrors as e:
        return await _meeting(request, meeting_id, Form({}, e.errors), 422)
    flash(request, "Attendance is recorded.")
    return see_other(f"/meetings/{meeting_id}")


@post("/meetings/{meeting_id:int}/themes", guards=[requires_account])
async def themes(request: AnyRequest, meeting_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, "themes", "notes")
    tags = values["themes"].replace(";", ",").split(",")
    try:
        await meetings.record_themes(
            meeting_id, signed_in(request), tags, values["notes"], utcnow()
        )
    except FormErrors as e:
        return await _meeting(request, meeting_id, Form(values, e.errors), 422)
    flash(request, "Themes are recorded.")
    return see_other(f"/meetings/{meeting_id}")


@post("/meetings/{meeting_id:int}/cancel", guards=[requires_account])
async def cancel(request: AnyRequest, meeting_id: FromPath[int]) -> Redirect:
    await meetings.cancel_meeting(meeting_id, signed_in(request), utcnow())
    flash(request, "The session is cancelled. Everyone who said they were going has been told.")
    return see_other(f"/meetings/{meeting_id}")


@get("/meetings/{meeting_id:int}/edit", guards=[requires_account])
async def change_form(request: AnyRequest, meeting_id: FromPath[int]) -> Template:
    view = await meetings.meeting_page(meeting_id, signed_in(request), utcnow())
    if not view.can_run:
        raise NotFoundException()
    values = meetings.change_form_values(view.meeting, view.group.timezone)
    return page(
        request,
        "meetings/edit.html",
        m=view,
        g=view.group,
        form=Form(values),
        access_labels=meetings.ACCESS_LABELS,
    )


@post("/meetings/{meeting_id:int}/edit", guards=[requires_account])
async def change(request: AnyRequest, meeting_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, *CHANGE_FIELDS)
    try:
        await meetings.change_meeting(meeting_id, signed_in(request), values, utcnow())
    except FormErrors as e:
        view = await meetings.meeting_page(meeting_id, signed_in(request), utcnow())
        return page(
            request,
            "meetings/edit.html",
            status_code=422,
            m=view,
            g=view.group,
            form=Form(values, e.errors),
            access_labels=meetings.ACCESS_LABELS,
        )
    flash(request, "The session is changed. Calendars will update.")
    return see_other(f"/meetings/{meeting_id}")


@post("/meetings/{meeting_id:int}/facilitator", guards=[requires_account])
async def facilitator(request: AnyRequest, meeting_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, "facilitator")
    chosen = int(values["facilitator"]) if values["facilitator"].isdigit() else None
    try:
        await meetings.set_facilitator(meeting_id, signed_in(request), chosen, utcnow())
    except FormErrors as e:
        return await _meeting(request, meeting_id, Form(values, e.errors), 422)
    flash(request, "The facilitator is set.")
    return see_other(f"/meetings/{meeting_id}")


AGENDA = "meetings/_agenda.html"


async def _agenda_changed(
    request: AnyRequest,
    meeting_id: int,
    change: Awaitable[None],
    values: dict[str, str],
    message: str,
) -> Template | Redirect:
    """Every agenda change answers alike: the agenda fragment for htmx, else a redirect."""
    try:
        await change
    except FormErrors as e:
        return await _meeting(request, meeting_id, Form(values, e.errors), 422, AGENDA)
    if is_fragment_request(request):
        return await _meeting(request, meeting_id, fragment=AGENDA)
    flash(request, message)
    return see_other(f"/meetings/{meeting_id}#agenda")


@post("/meetings/{meeting_id:int}/agenda/{item_id:int}/swap", guards=[requires_account])
async def swap(
    request: AnyRequest, meeting_id: FromPath[int], item_id: FromPath[int]
) -> Template | Redirect:
    field = f"lens-{item_id}"
    values = await read_form(request, field)
    change = meetings.swap_prompt(meeting_id, item_id, signed_in(request), values[field], utcnow())
    return await _agenda_changed(request, meeting_id, change, values, "The question is swapped.")


@post("/meetings/{meeting_id:int}/agenda", guards=[requires_account])
async def edit_agenda(request: AnyRequest, meeting_id: FromPath[int]) -> Template | Redirect:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    item = values.get("item", "")
    item_id = int(item) if item.isdigit() else None
    field = str(item_id) if item_id is not None else "new"
    raw = {"title": values.get(f"title-{field}", ""), "minutes": values.get(f"minutes-{field}", "")}
    action = values.get("action", "")
    change = meetings.edit_agenda(meeting_id, signed_in(request), action, item_id, raw, utcnow())
    return await _agenda_changed(
        request,
        meeting_id,
        change,
        values,
        "The agenda is updated; the times still add up to the session's length.",
    )


@post("/meetings/{meeting_id:int}/topics", guards=[requires_account])
async def suggest_topic(request: AnyRequest, meeting_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, "topic")
    try:
        await meetings.suggest_topic(meeting_id, signed_in(request), values["topic"], utcnow())
    except FormErrors as e:
        return await _meeting(request, meeting_id, Form(values, e.errors), 422)
    flash(request, "Thank you: your topic is on the agenda, without your name.")
    return see_other(f"/meetings/{meeting_id}#agenda")


@post("/meetings/{meeting_id:int}/agenda/{item_id:int}/pick", guards=[requires_account])
async def pick(
    request: AnyRequest, meeting_id: FromPath[int], item_id: FromPath[int]
) -> Template | Redirect:
    field = f"bank-{item_id}"
    values = await read_form(request, field)
    change = meetings.pick_prompt(meeting_id, item_id, signed_in(request), values[field], utcnow())
    return await _agenda_changed(request, meeting_id, change, values, "The prompt is changed.")


@post("/meetings/{meeting_id:int}/actions", guards=[requires_account])
async def add_action(request: AnyRequest, meeting_id: FromPath[int]) -> Template | Redirect:
    values = await read_form(request, "action")
    try:
        await actions.add_action(meeting_id, signed_in(request), values["action"], utcnow())
    except FormErrors as e:
        return await _meeting(request, meeting_id, Form(values, e.errors), 422)
    flash(request, "Your action is recorded. It will come up at the next session's check-in.")
    return see_other(f"/meetings/{meeting_id}#actions")


@post("/meetings/{meeting_id:int}/actions/{action_id:int}", guards=[requires_account])
async def review_action(
    request: AnyRequest, meeting_id: FromPath[int], action_id: FromPath[int]
) -> Template | Redirect:
    values = await read_form(request, f"status-{action_id}", f"note-{action_id}")
    try:
        await actions.review_action(
            meeting_id,
            action_id,
            signed_in(request),
            values[f"status-{action_id}"],
            values[f"note-{action_id}"],
            utcnow(),
        )
    except FormErrors as e:
        return await _meeting(request, meeting_id, Form(values, e.errors), 422)
    flash(request, "The action's outcome is recorded.")
    return see_other(f"/meetings/{meeting_id}#actions")


@get("/meetings/{meeting_id:int}/calendar.ics", guards=[requires_account])
async def meeting_ics(
    request: AnyRequest, meeting_id: FromPath[int], state: State
) -> Response[bytes]:
    body = await calendar.meeting_ics(
        meeting_id, signed_in(request), state.settings.base_url, utcnow()
    )
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="session-{meeting_id}.ics"'},
    )


@get("/calendar/{token:str}", exclude_from_csrf=True)
async def feed(token: FromPath[str], state: State) -> Response[bytes]:
    body = await calendar.personal_feed(
        token.removesuffix(".ics"), state.settings.base_url, utcnow()
    )
    if body is None:
        raise NotFoundException()
    return Response(content=body, media_type="text/calendar; charset=utf-8")


@get("/account/calendar", guards=[requires_account])
async def calendar_page(request: AnyRequest, state: State) -> Template:
    token = await calendar.feed_token(signed_in(request))
    return page(
        request,
        "meetings/calendar.html",
        feed_url=f"{state.settings.base_url}/calendar/{token}.ics",
    )


@post("/account/calendar/reset", guards=[requires_account])
async def reset_calendar(request: AnyRequest) -> Redirect:
    await calendar.reset_feed_token(signed_in(request))
    flash(
        request,
        "Your calendar address has changed. The old one no longer works: "
        "add the new one to your calendar.",
    )
    return see_other("/account/calendar")


HANDLERS = [
    schedule_form,
    save_schedule,
    meeting_page,
    rsvp,
    attendance,
    themes,
    cancel,
    change_form,
    change,
    facilitator,
    swap,
    edit_agenda,
    suggest_topic,
    pick,
    add_action,
    review_action,
    meeting_ics,
    feed,
    calendar_page,
    reset_calendar,
]
