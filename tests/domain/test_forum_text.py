"""Forum text: the safe Markdown subset renders, and nothing executable survives."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.forum_text import plain_excerpt, to_html

# Payloads from the usual XSS cheat sheets, in Markdown and in raw HTML.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "<iframe src=//evil.example></iframe>",
    "<body onload=alert(1)>",
    '<a href="&#106;avascript:alert(1)">x</a>',
    "[x](&#106;avascript:alert(1))",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<!--<img src=x onerror=alert(1)>-->",
    '"><script>alert(1)</script>',
    "<a href=x onmouseover=alert(1)>x</a>",
    '[x](https://example.org "title" onmouseover=alert(1))',
    "<details open ontoggle=alert(1)>",
    "<form action=javascript:alert(1)><input type=submit>",
]

ALLOWED = {"p", "br", "em", "strong", "ul", "ol", "li", "a", "blockquote", "code", "pre"}


class _Elements(HTMLParser):
    """Every element and attribute a browser would build from the output."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.found.append(("!--", []))


def _safe(html: str) -> bool:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.found:
        if tag not in ALLOWED:
            return False
        for name, value in attrs:
            if tag == "a" and name == "rel" and value == "nofollow noopener":
                continue
            if (
                tag == "a"
                and name == "href"
                and (value or "").startswith(("http://", "https://", "mailto:"))
            ):
                continue
            return False
    return True


def test_known_cross_site_scripting_payloads_come_out_harmless() -> None:
    for payload in PAYLOADS:
        html = to_html(payload)
        assert _safe(html), (payload, html)


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_text_renders_without_script_handlers_or_javascript_links(text: str) -> None:
    assert _safe(to_html(text))


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(
            [
                "<",
                ">",
                '"',
                "'",
                "=",
                "[",
                "]",
                "(",
                ")",
                "!",
                "`",
                "*",
                "_",
                "javascript:",
                "on",
                "onerror",
                "script",
                "img",
                "a",
                " ",
                "\n",
                "href",
                "src",
                "&#106;",
                "http://x",
                "data:",
            ]
        ),
        max_size=60,
    ).map("".join)
)
def test_text_built_from_attack_fragments_renders_safely(text: str) -> None:
    assert _safe(to_html(text))


def test_the_safe_subset_renders_emphasis_lists_links_quotes_and_code() -> None:
    html = to_html("*one* **two**\n\n- a\n- b\n\n> heard\n\n`x = 1` [guide](https://example.org)")
    assert "<em>one</em>" in html and "<strong>two</strong>" in html
    assert "<ul>" in html and "<li>a</li>" in html
    assert "<blockquote>" in html
    assert "<code>x = 1</code>" in html
    assert '<a href="https://example.org" rel="nofollow noopener">guide</a>' in html


def test_images_from_other_hosts_are_never_embedded() -> None:
    html = to_html("![chart](https://tracker.example/pixel.png)")
    assert "<img" not in html


def test_an_excerpt_is_plain_text_and_short() -> None:
    excerpt = plain_excerpt("**Hard week** & _tired_ " + "word " * 100, length=40)
    assert excerpt.startswith("Hard week & tired")
    assert "<" not in excerpt and len(excerpt) <= 40
