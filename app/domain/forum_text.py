"""Forum posts: a small, safe subset of Markdown turned into HTML.

markdown-it-py parses only what a post needs (emphasis, lists, links, quotes, code) with
raw HTML and images switched off; nh3 then cleans the result against an allow-list, so
even a parser bug cannot let a script, an event handler or a `javascript:` link through.
"""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt

MAX_LENGTH = 5000

_parser = MarkdownIt("zero", {"html": False, "linkify": False, "breaks": True}).enable(
    ["emphasis", "list", "link", "blockquote", "backticks", "fence", "newline", "escape"]
)


def _safe_link(url: str) -> bool:
    return url.strip().lower().startswith(("http://", "https://", "mailto:"))


_parser.validateLink = _safe_link  # type: ignore[method-assign]

_TAGS = {"p", "br", "em", "strong", "ul", "ol", "li", "a", "blockquote", "code", "pre"}


def to_html(text: str) -> str:
    rendered = _parser.render(text)
    return nh3.clean(
        rendered,
        tags=_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
        strip_comments=True,
    )


def plain_excerpt(text: str, length: int = 140) -> str:
    """A short plain-text preview, e.g. for a digest: markup dropped, whitespace folded."""
    flat = " ".join(html.unescape(nh3.clean(_parser.render(text), tags=set())).split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"
