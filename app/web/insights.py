"""Insights pages: organisers across groups, convenors for their own group.

Each view has a page (and an htmx fragment of it), a printable report and a CSV file per
table, all from the same filters in the query string, so any view can be shared as a link.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Response, Template

from app.domain.groups import KINDS
from app.domain.insight_filters import InsightFilters, parse_filters
from app.services import insights
from app.services.groups import officer_group
from app.services.insights import Insights
from app.web.auth import requires_account, requires_organiser, signed_in, utcnow
from app.web.render import Form, is_fragment_request, page

AnyRequest = Request[Any, Any, Any]
FILTERS = ("from", "to", "kind", "group")
GROUP_FILTERS = ("from", "to")


def _asked(request: AnyRequest, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(request.query_params.get(name, "")).strip() for name in names}


async def _organiser_view(
    request: AnyRequest,
) -> tuple[InsightFilters, Form, Insights | None, list[insights.GroupRow]]:
    values = _asked(request, FILTERS)
    choices = await insights.scope_groups()
    now = utcnow()
    filters, errors = parse_filters(values, now.date(), {g.id for g in choices})
    if errors:
        return filters, Form(values, errors), None, choices
    view = await insights.organiser_insights(filters, now)
    return filters, _shown(filters), view, choices


@get("/organiser/insights", name="organiser_insights", guards=[requires_organiser])
async def organiser_page(request: AnyRequest) -> Template:
    filters, form, view, choices = await _organiser_view(request)
    return _render(
        request, filters, form, view, "/organiser/insights", choices=choices, kinds=KINDS
    )


@get("/organiser/insights/report", guards=[requires_organiser])
async def organiser_report(request: AnyRequest) -> Template:
    filters, form, view, _ = await _organiser_view(request)
    return _render(request, filters, form, view, "/organiser/insights", report=True)


@get("/organiser/insights/csv/{table:str}", guards=[requires_organiser])
async def organiser_csv(request: AnyRequest, table: FromPath[str]) -> Response[bytes]:
    _, _, view, _ = await _organiser_view(request)
    return _csv(view, table)


async def _group_view(
    request: AnyRequest, group_id: int
) -> tuple[InsightFilters, Form, Insights | None, Any]:
    now = utcnow()
    group = await officer_group(group_id, signed_in(request), now)
    values = _asked(request, GROUP_FILTERS)
    filters, errors = parse_filters(values, now.date(), set())
    if errors:
        return filters, Form(values, errors), None, group
    view = await insights.group_insights(group.id, filters, now)
    return filters, _shown(filters), view, group


def _shown(filters: InsightFilters) -> Form:
    """The form as the figures were worked out, defaults filled in."""
    return Form(
        {
            "from": filters.first_day.isoformat(),
            "to": filters.last_day.isoformat(),
            "kind": filters.kind,
            "group": "" if filters.group_id is None else str(filters.group_id),
        }
    )


@get("/groups/{group_id:int}/insights", guards=[requires_account])
async def group_page(request: AnyRequest, group_id: FromPath[int]) -> Template:
    filters, form, view, group = await _group_view(request, group_id)
    return _render(request, filters, form, view, f"/groups/{group.id}/insights", group=group)


@get("/groups/{group_id:int}/insights/report", guards=[requires_account])
async def group_report(request: AnyRequest, group_id: FromPath[int]) -> Template:
    filters, form, view, group = await _group_view(request, group_id)
    return _render(
        request, filters, form, view, f"/groups/{group.id}/insights", report=True, group=group
    )


@get("/groups/{group_id:int}/insights/csv/{table:str}", guards=[requires_account])
async def group_csv(
    request: AnyRequest, group_id: FromPath[int], table: FromPath[str]
) -> Response[bytes]:
    _, _, view, _ = await _group_view(request, group_id)
    return _csv(view, table)


def _render(
    request: AnyRequest,
    filters: InsightFilters,
    form: Form,
    view: Insights | None,
    base_path: str,
    *,
    report: bool = False,
    group: Any = None,
    **context: Any,
) -> Template:
    if report:
        template = "insights/report.html"
    elif is_fragment_request(request):
        template = "insights/_view.html"
    else:
        template = "insights/page.html"
    return page(
        request,
        template,
        status_code=422 if form.errors else 200,
        view=view,
        filters=filters,
        form=form,
        report=report,
        group=group,
        base_path=base_path,
        **context,
    )


def _csv(view: Insights | None, table_id: str) -> Response[bytes]:
    if view is None:
        # The filters in the link are wrong: the page explains; a file can't.
        raise NotFoundException()
    table = view.tables.get(table_id)
    if table is None:
        raise NotFoundException()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.columns)
    writer.writerows(table.texts())
    # The byte-order mark makes Excel read the file as UTF-8 (theme and group names).
    body = "\ufeff" + buffer.getvalue()
    name = f"roundtable-{table.id}-{view.filters.first_day}-to-{view.filters.last_day}.csv"
    return Response(
        content=body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


HANDLERS = [
    organiser_page,
    organiser_report,
    organiser_csv,
    group_page,
    group_report,
    group_csv,
]
