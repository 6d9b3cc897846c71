"""The group directory, setting up a group, its page, settings and member list."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from app.domain import groups as rules
from app.domain.prompts import LENS_LABELS
from app.services import groups, meetings, membership, set_lifecycle
from app.services.errors import FormErrors
from app.services.groups import DirectoryFilters, GroupView
from app.web.auth import requires_account, signed_in, utcnow
from app.web.render import Form, flash, is_fragment_request, page, read_form, see_other

AnyRequest = Request[Any, Any, Any]

SETTINGS_FIELDS = (
    "name",
    "purpose",
    "network",
    "visibility",
    "join_policy",
    "member_list",
    "capacity",
    "term_starts",
    "term_ends",
    "meets",
    "ground_rules",
    "discreet",
    "facilitation",
    "anonymous_posts",
)


def form_choices() -> dict[str, Any]:
    return {
        "kinds": rules.KINDS,
        "kind_summaries": rules.KIND_SUMMARIES,
        "networks": rules.NETWORKS,
        "visibility": rules.VISIBILITY,
        "join_policies": rules.JOIN_POLICIES,
        "member_lists": rules.MEMBER_LISTS,
        "meets": rules.MEETS,
        "facilitation": rules.FACILITATION,
    }


def _form_values(s: rules.GroupSettings | GroupView) -> dict[str, str]:
    return {
        "name": s.name,
        "purpose": s.purpose,
        "network": s.network,
        "visibility": s.visibility,
        "join_policy": s.join_policy,
        "member_list": s.member_list,
        "capacity": "" if s.capacity is None else str(s.capacity),
        "term_starts": s.term_starts.isoformat() if s.term_starts else "",
        "term_ends": s.term_ends.isoformat() if s.term_ends else "",
        "meets": s.meets,
        "ground_rules": s.ground_rules,
        "discreet": "true" if s.discreet else "",
        "facilitation": s.facilitation,
        "anonymous_posts": "true" if s.anonymous_posts else "",
    }


@get("/groups", name="directory", guards=[requires_account])
async def directory(
    request: AnyRequest,
    q: Annotated[str, QueryParameter()] = "",
    kind: Annotated[str, QueryParameter()] = "",
    meets: Annotated[str, QueryParameter()] = "",
    space: Annotated[str, QueryParameter()] = "",
) -> Template:
    filters = DirectoryFilters(q=q.strip()[:100], kind=kind, meets=meets, has_space=space == "true")
    entries = await groups.directory(signed_in(request), filters)
    template = "groups/_results.html" if is_fragment_request(request) else "groups/directory.html"
    form = Form({"q": filters.q, "kind": kind, "meets": meets, "space": space})
    return page(request, template, entries=entries, form=form, **form_choices())


@get("/groups/new", name="new_group", guards=[requires_account])
async def choose_kind(request: AnyRequest) -> Template:
    return page(request, "groups/new.html", **form_choices())


def _kind_or_404(kind: str) -> str:
    if kind not in rules.KINDS:
        raise NotFoundException()
    return kind


@get("/groups/new/{kind:str}", guards=[requires_account])
async def new_group_form(request: AnyRequest, kind: FromPath[str]) -> Template:
    defaults = rules.defaults_for(_kind_or_404(kind), date.today())
    return page(
        request,
        "groups/form.html",
        kind=kind,
        form=Form(_form_values(defaults)),
        group=None,
        **form_choices(),
    )


@post("/groups/new/{kind:str}", guards=[requires_account])
async def create_group(
    request: AnyRequest, kind: FromPath[str], state: State
) -> Template | Redirect:
    values = await read_form(request, *SETTINGS_FIELDS)
    settings, errors = rules.parse_settings(_kind_or_404(kind), values)
    if settings is None:
        form = Form(values, errors)
        return page(
            request,
            "groups/form.html",
            status_code=422,
            kind=kind,
            form=form,
            group=None,
            **form_choices(),
        )
    group_id = await membership.create_group(
        signed_in(request), settings, state.settings.timezone, utcnow()
    )
    flash(request, "Your group is set up, and you are its convenor.")
    return see_other(f"/groups/{group_id}")


async def render_group(
    request: AnyRequest,
    group_id: int,
    form: Form | None = None,
    status_code: int = 200,
    done: str = "",
) -> Template:
    """The group page, or only its membership panel for an htmx request."""
    now = utcnow()
    view = await groups.group_page(group_id, signed_in(request), now)
    context: dict[str, Any] = {"p": view, "g": view.group, "form": form or Form(), "done": done}
    if is_fragment_request(request):
        return page(request, "groups/_membership.html", status_code=status_code, **context)
    sessions = await meetings.group_sessions(view.group, view.standing, now)
    closing = await set_lifecycle.closing_panel(
        view.group, view.standing, signed_in(request).id, now
    )
    return page(
        request,
        "groups/page.html",
        status_code=status_code,
        sessions=sessions,
        lenses=LENS_LABELS,
        closing=closing,
        **context,
    )


@get("/groups/{group_id:int}", name="group", guards=[requires_account])
async def group_page(request: AnyRequest, group_id: FromPath[int]) -> Template:
    return await render_group(request, group_id)


@get("/groups/{group_id:int}/settings", guards=[requires_account])
async def settings_form(request: AnyRequest, group_id: FromPath[int]) -> Template:
    group = await groups.officer_group(group_id, signed_in(request), utcnow())
    return page(
        request,
        "groups/form.html",
        kind=group.kind,
        form=Form(_form_values(group)),
        group=group,
        **form_choices(),
    )


@post("/groups/{group_id:int}/settings", guards=[requires_account])
async def save_settings(request: AnyRequest, group_id: FromPath[int]) -> Template | Redirect:
    account = signed_in(request)
    group = await groups.officer_group(group_id, account, utcnow())
    values = await read_form(request, *SETTINGS_FIELDS)
    settings, errors = rules.parse_settings(group.kind, values)
    try:
        if settings is None:
            raise FormErrors(errors)
        await membership.update_settings(group_id, account, settings, utcnow())
    except FormErrors as e:
        form = Form(values, e.errors)
        return page(
            request,
            "groups/form.html",
            status_code=422,
            kind=group.kind,
            form=form,
            group=group,
            **form_choices(),
        )
    flash(request, "The group's settings have been saved.")
    return see_other(f"/groups/{group_id}")


@get("/groups/{group_id:int}/members", guards=[requires_account])
async def members(request: AnyRequest, group_id: FromPath[int]) -> Template:
    group, standing, people = await groups.members_page(group_id, signed_in(request), utcnow())
    return page(request, "groups/members.html", g=group, standing=standing, members=people)


HANDLERS = [
    directory,
    choose_kind,
    new_group_form,
    create_group,
    group_page,
    settings_form,
    save_settings,
    members,
]
