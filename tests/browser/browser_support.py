"""Helpers shared by the browser tests: watching pages, axe, keyboard focus, signing in."""

from __future__ import annotations

import contextlib
import json
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

import pytest

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect
except ImportError:
    # Collection must still succeed so the browser fixture can skip (or fail under CI)
    # with a clear message instead of an import error.
    PlaywrightError = Exception  # type: ignore[assignment,misc]
    expect = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

AXE_SOURCE_PATH = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

DEMO_PASSWORD = "roundtable-demo"
DEMO_PEOPLE = {
    "alice": "alice@example.org",
    "bob": "bob@example.org",
    "carol": "carol@example.org",
    "olga": "olga@example.org",
    "adam": "adam@example.org",
}

# Long enough for any sensible password policy and not in a breached-password list.
NEW_PASSWORD = "plum-harbour-lantern-47"


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def netloc(self) -> str:
        return urlsplit(self.url).netloc

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------- recording


@dataclass
class Watch:
    """What went wrong while the pages of one browser context were loading.

    Every request to a host other than the test server is aborted and recorded, so a
    stray CDN script, web font or analytics beacon fails here instead of leaking people's
    browsing to a third party in production.
    """

    server: LiveServer
    js_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    _documents: set[str] = field(default_factory=set)
    _console_errors: list[tuple[str, str, str]] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.route("**/*", self._route)
        context.on("page", self._watch_page)

    def _route(self, route: Any, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.server.netloc:
            self.foreign_requests.append(f"{request.method} {request.url}")
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def _watch_page(self, page: Page) -> None:
        page.on("pageerror", lambda exc: self.js_errors.append(f"{page.url}: uncaught {exc}"))
        page.on("console", lambda msg: self._console(page, msg))
        page.on("response", self._response)

    def _console(self, page: Page, msg: Any) -> None:
        if msg.type == "error":
            where = (msg.location or {}).get("url") or page.url
            self._console_errors.append((page.url, msg.text, where))

    def _is_noise(self, text: str, where: str) -> bool:
        # Aborting a foreign request makes Chromium log a load failure; the request itself
        # is already reported, so the echo would only be noise.
        if "ERR_BLOCKED_BY_CLIENT" in text:
            return True
        # Chromium also logs every page whose own status is 4xx/5xx. A 422 for a form
        # with mistakes or a 404 page is the app working; 5xx is reported separately.
        # (Judged here, not as messages arrive, because the log line can beat the
        # response event.)
        failed_load = text.startswith("Failed to load resource: the server responded")
        return failed_load and where in self._documents

    def _response(self, response: Any) -> None:
        request = response.request
        if request.resource_type == "document":
            self._documents.add(response.url)
        if response.status >= 500:
            self.server_errors.append(f"{response.status} for {request.method} {response.url}")

    def take(self) -> dict[str, list[str]]:
        """Return and forget everything recorded so far."""
        self.js_errors.extend(
            f"{page_url}: console error: {text} (at {where})"
            for page_url, text, where in self._console_errors
            if not self._is_noise(text, where)
        )
        self._console_errors.clear()
        taken = {
            "JavaScript and console errors": self.js_errors[:],
            "server errors (5xx)": self.server_errors[:],
            "requests to other hosts": self.foreign_requests[:],
        }
        self.js_errors.clear()
        self.server_errors.clear()
        self.foreign_requests.clear()
        return taken

    def assert_clean(self) -> None:
        found = {kind: items for kind, items in self.take().items() if items}
        if found:
            message = "\n".join(
                f"{kind}:\n" + "\n".join(f"  - {item}" for item in items)
                for kind, items in found.items()
            )
            if "server errors (5xx)" in found:
                message += "\n--- server log (tail) ---\n" + self.server.log_tail()
            pytest.fail(message, pytrace=False)


# Contexts opened with JavaScript disabled, by id(): axe needs timers, which never fire
# there, so axe_violations checks their pages in a replay instead of hanging.
_NO_JAVASCRIPT: set[int] = set()


class ContextFactory:
    """Opens watched browser contexts against the live server; closes them at teardown."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser = browser
        self.server = server
        self._contexts: list[BrowserContext] = []
        self.watches: list[Watch] = []

    def __call__(self, **options: Any) -> tuple[BrowserContext, Watch]:
        context = self.browser.new_context(base_url=self.server.url, **options)
        context.set_default_timeout(10_000)
        watch = Watch(self.server)
        watch.attach(context)
        self._contexts.append(context)
        self.watches.append(watch)
        if options.get("java_script_enabled") is False:
            _NO_JAVASCRIPT.add(id(context))
        return context, watch

    def close(self) -> None:
        for context in self._contexts:
            _NO_JAVASCRIPT.discard(id(context))
            context.close()
        self._contexts.clear()


# --------------------------------------------------------------------------- accounts


def unique_email() -> str:
    return f"browser-{uuid.uuid4().hex[:12]}@example.org"


def sign_out_button(page: Page) -> Locator:
    return page.get_by_role("banner").get_by_role("button", name="Sign out", exact=True)


def sign_in(page: Page, who: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in as a demo person ("alice") or any email, and wait until it has worked."""
    email = DEMO_PEOPLE.get(who, who)
    page.goto("/sign-in")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(sign_out_button(page)).to_be_visible()


# Signing out half-way would silently turn the rest of a person's crawl into a visitor's.
SIGN_OUT_WORDS = ("sign-out", "signout", "sign_out", "logout", "log-out", "log_out")


def crawlable(link: dict[str, Any], netloc: str) -> str | None:
    """The URL to crawl for a link collected from a page, or None to leave it alone."""
    raw = (link["raw"] or "").strip()
    if not raw or raw.startswith("#") or link["download"]:
        return None
    parts = urlsplit(link["url"])
    if parts.scheme not in ("http", "https") or parts.netloc != netloc:
        return None  # mailto:, tel:, javascript: and other hosts
    if parts.path.startswith("/static/"):
        return None
    lowered = (parts.path + " " + link["text"]).lower()
    if any(word in lowered for word in SIGN_OUT_WORDS) or "sign out" in lowered:
        return None
    return urldefrag(link["url"]).url


# --------------------------------------------------------------------------- axe

_RUN_AXE = """
async (tags) => {
  const results = await window.axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String).join(" "),
      html: n.html.slice(0, 200),
      summary: (n.failureSummary || "").replace(/\\s+/g, " ").slice(0, 300),
    })),
  }));
}
"""

_axe_source_cache: list[str] = []


def _axe_source() -> str:
    if not _axe_source_cache:
        # The trailing expression stops Playwright serialising whatever the bundle's last
        # statement evaluates to.
        source = AXE_SOURCE_PATH.read_text(encoding="utf-8")
        _axe_source_cache.append(source + "\n;void 0;")
    return _axe_source_cache[0]


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the current page; return its WCAG 2.2 A/AA violations.

    axe is injected with page.evaluate rather than add_script_tag: the app's CSP forbids
    inline script, and evaluate goes through the DevTools protocol, which CSP does not
    govern, so the page is checked under its real policy (no bypass_csp).
    """
    if id(page.context) in _NO_JAVASCRIPT:
        return _axe_on_a_replay(page)
    return _run_axe(page)


def _run_axe(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    violations: list[dict[str, Any]] = page.evaluate(_RUN_AXE, AXE_TAGS)
    return violations


def _axe_on_a_replay(page: Page) -> list[dict[str, Any]]:
    """Check a page from a JavaScript-disabled context.

    axe.run waits on setTimeout, which never fires with JavaScript disabled, so evaluate
    would hang for ever. The page's current DOM is served again, at the same address, to
    a JavaScript-enabled page whose own scripts are blocked: the DOM and the stylesheets
    axe sees are the ones the person without JavaScript got.
    """
    url, html = page.url, page.content()
    origin = urlsplit(url).netloc
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context()
    try:
        replay = context.new_page()
        # Routes registered later take precedence.
        replay.route(
            "**/*",
            lambda route: (
                route.continue_() if urlsplit(route.request.url).netloc == origin else route.abort()
            ),
        )
        replay.route(lambda u: urlsplit(u).path.endswith(".js"), lambda route: route.abort())
        replay.route(
            lambda u: urldefrag(u).url == urldefrag(url).url,
            lambda route: route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=html
            ),
        )
        replay.goto(url, wait_until="load")
        return _run_axe(replay)
    finally:
        context.close()


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    at {node['target']}: {node['html']}")
            if node["summary"]:
                lines.append(f"       {node['summary']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- keyboard

_DESCRIBE_ACTIVE = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const name = (el.getAttribute("aria-label") || (el.labels && el.labels[0]
      && el.labels[0].textContent) || el.textContent || el.value || "")
      .replace(/\\s+/g, " ").trim().slice(0, 60);
  return {
    tag: el.tagName.toLowerCase(),
    name,
    outlineStyle: style.outlineStyle,
    outlineWidth: style.outlineWidth,
    outlineColor: style.outlineColor,
    boxShadow: style.boxShadow,
  };
}
"""


def _focus_problem(active: dict[str, Any]) -> str | None:
    # A transparent outline is the Windows high-contrast trick: invisible everywhere else,
    # so it only counts together with a box-shadow.
    outline = (
        active["outlineStyle"] != "none"
        and active["outlineWidth"] not in ("0px", "")
        and active["outlineColor"] not in ("transparent", "rgba(0, 0, 0, 0)")
    )
    shadow = active["boxShadow"] not in ("none", "")
    if outline or shadow:
        return None
    return (
        f"<{active['tag']}> {active['name']!r} has no visible focus indicator "
        f"(outline {active['outlineStyle']} {active['outlineWidth']} "
        f"{active['outlineColor']}, box-shadow {active['boxShadow']})"
    )


def _target(page: Page, target: str) -> Locator:
    # CSS selectors are told apart from accessible names by their leading character.
    if target.startswith(("#", ".", "[", "css=")):
        return page.locator(target.removeprefix("css="))
    return (
        page.get_by_label(target, exact=True)
        .or_(page.get_by_role("link", name=target, exact=True))
        .or_(page.get_by_role("button", name=target, exact=True))
    )


def tab_to(page: Page, target: str, *, backwards: bool = False, limit: int = 40) -> None:
    """Press Tab (or Shift+Tab) until the focused element is `target`.

    `target` is an accessible name (a field's label, a link's or button's name) or a CSS
    selector starting with #, . or [. Every element focus passes through must show a
    visible focus indicator, because a keyboard user sees nothing else.
    """
    wanted = _target(page, target)
    key = "Shift+Tab" if backwards else "Tab"
    passed: list[str] = []
    for _ in range(limit):
        page.keyboard.press(key)
        active = page.evaluate(_DESCRIBE_ACTIVE)
        if active is None:
            passed.append("(nothing: focus left the page content)")
            continue
        passed.append(f"<{active['tag']}> {active['name']!r}")
        problem = _focus_problem(active)
        assert problem is None, f"On {page.url}: {problem}"
        if wanted.evaluate_all("(els) => els.includes(document.activeElement)"):
            return
    pytest.fail(
        f"On {page.url}: {limit} presses of {key} never reached {target!r}. Focus went:\n  "
        + "\n  ".join(passed),
        pytrace=False,
    )


def wait_for_settled_focus(page: Page, timeout_ms: int = 5000) -> None:
    """Wait until focus is on an element again after an in-place swap.

    htmx applies `autofocus` in the swap's settle step, a moment after the new content is
    in the page; checking focus as soon as the content appears races it on a busy
    machine. A timeout is not an error here: the caller's assertion says what is wrong.
    """
    with contextlib.suppress(PlaywrightError):
        page.wait_for_function(
            "() => document.activeElement && document.activeElement !== document.body"
            " && document.activeElement !== document.documentElement",
            timeout=timeout_ms,
        )


def pretty(data: object) -> str:
    return json.dumps(data, indent=2, default=str)
