"""One Jinja environment for pages and emails."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.paths import TEMPLATES


def local_time(value: datetime, timezone: str, fmt: str = "%a %-d %b %Y, %H:%M") -> str:
    return value.astimezone(ZoneInfo(timezone)).strftime(fmt)


def long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["local_time"] = local_time
    env.filters["long_date"] = long_date
    return env
