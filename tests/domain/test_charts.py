from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import charts
from app.domain.charts import (
    FONT_SIZE,
    NO_DATA,
    NOTHING_TO_DRAW,
    PALETTE,
    Chart,
    Label,
    Point,
    Series,
    bar_chart,
    common_max,
    line_chart,
    nice_ticks,
    text_width,
    thinning,
    truncate,
)
from app.paths import STATIC
from app.templating import environment

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def months(count: int) -> list[str]:
    return [f"{MONTHS[i % 12]} {2024 + i // 12}" for i in range(count)]


def series(name: str, labels: list[str], values: list[float | None]) -> Series:
    return Series(
        name,
        tuple(
            Point(label, v, "not shown" if v is None else f"{v:g}")
            for label, v in zip(labels, values, strict=True)
        ),
    )


# --------------------------------------------------------------------------- helpers


def extent(label: Label) -> tuple[float, float, float, float]:
    """The estimated box a label's text occupies: left, top, right, bottom."""
    w = text_width(label.text)
    left = {"start": label.x, "middle": label.x - w / 2, "end": label.x - w}[label.anchor]
    return left, label.y - FONT_SIZE * 0.8, left + w, label.y + FONT_SIZE * 0.25


def all_labels(c: Chart) -> list[Label]:
    return [
        *(t.label for t in c.ticks if t.label),
        *c.category_labels,
        *c.value_labels,
        *c.gap_labels,
    ]


def numbers(d: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]


def assert_inside_view_box(c: Chart) -> None:
    W, H = c.width, c.height

    def inside(x: float, y: float) -> bool:
        return 0 <= x <= W and 0 <= y <= H

    p = c.plot
    assert p.w > 0 and p.h > 0
    assert inside(p.x, p.y) and inside(p.x + p.w, p.y + p.h)
    lines = [t.gridline for t in c.ticks] + list(c.category_marks) + [c.axis]
    for line in lines:
        assert line is not None
        assert inside(line.x1, line.y1) and inside(line.x2, line.y2), line
    for s in c.series:
        for b in s.bars:
            assert b.w >= 0 and b.h >= 0
            # Bars stay inside the plot, not just the view box.
            assert p.x <= b.x and b.x + b.w <= p.x + p.w + 0.01, b
            assert p.y <= b.y and b.y + b.h <= p.y + p.h + 0.01, b
        for m in s.markers:
            assert inside(m.x - m.r, m.y - m.r) and inside(m.x + m.r, m.y + m.r), m
            assert all(0 <= n <= max(W, H) for n in numbers(m.d))
        for d in s.segments:
            assert d.startswith("M")
            xy = numbers(d)
            for x, y in zip(xy[::2], xy[1::2], strict=True):
                assert p.x - 0.01 <= x <= p.x + p.w + 0.01 and p.y - 0.01 <= y <= p.y + p.h + 0.01
    for label in all_labels(c):
        left, top, right, bottom = extent(label)
        assert inside(left, top) and inside(right, bottom), label


def assert_category_labels_apart(c: Chart) -> None:
    if c.horizontal:
        for a, b in pairwise(c.category_labels):
            assert extent(a)[3] <= extent(b)[1] + FONT_SIZE  # one per band, bands ≥ a line
    else:
        for a, b in pairwise(c.category_labels):
            assert extent(a)[2] < extent(b)[0], (a, b)


def bar_length(c: Chart, w: float, h: float) -> float:
    return w if c.horizontal else h


# --------------------------------------------------------------------------- properties

values = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=2000).map(float),
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
)
category_names = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N", "Zs"]), min_size=1, max_size=60
)


@st.composite
def chart_input(draw: st.DrawFn) -> tuple[list[Series], float | None, int]:
    labels = draw(st.lists(category_names, min_size=1, max_size=40, unique=True))
    count = draw(st.integers(min_value=1, max_value=4))
    made = []
    for i in range(count):
        vals = draw(st.lists(values, min_size=len(labels), max_size=len(labels)))
        keep = draw(st.lists(st.booleans(), min_size=len(labels), max_size=len(labels)))
        points = tuple(
            Point(label, v, "fewer than 5" if v is None else f"{v:g}")
            for label, v, k in zip(labels, vals, keep, strict=True)
            if k or i == 0
        )
        made.append(Series(f"Series {i + 1}", points))
    max_value = draw(st.none() | st.floats(min_value=0, max_value=1e6))
    width = draw(st.sampled_from([320, 440, 600, 800]))
    return made, max_value, width


def check(c: Chart, given_series: list[Series]) -> None:
    assert len(c.rows) == len({p.label for s in given_series for p in s.points})
    assert all(len(r.cells) == len(given_series) for r in c.rows)
    if not c.has_plot:
        assert all(p.value is None for s in given_series for p in s.points)
        assert c.message == NOTHING_TO_DRAW
        return
    assert_inside_view_box(c)
    assert_category_labels_apart(c)
    for drawn, s in zip(c.series, given_series, strict=True):
        present = [p for p in s.points if p.value is not None]
        if c.kind == "bar":
            # None never produces a shape: one bar per value, and no more.
            assert len(drawn.bars) == len(present)
            assert len(drawn.markers) == (len(present) if len(given_series) > 1 else 0)
        else:
            assert len(drawn.markers) == len(present)
            assert sum(len(numbers(d)) // 2 for d in drawn.segments) <= len(present)
    bars = sorted((b for s in c.series for b in s.bars), key=lambda b: b.value)
    for a, b in pairwise(bars):
        la, lb = bar_length(c, a.w, a.h), bar_length(c, b.w, b.h)
        assert la <= lb
        if a.value == b.value:
            assert la == lb


@settings(max_examples=60)
@given(chart_input(), st.booleans())
def test_bars_stay_inside_and_grow_with_their_value(
    data: tuple[list[Series], float | None, int], horizontal: bool
) -> None:
    given_series, max_value, width = data
    c = bar_chart(
        id="c",
        title="T",
        summary="S",
        series=given_series,
        max_value=max_value,
        horizontal=horizontal,
        width=width,
        unit="%",
    )
    check(c, given_series)


@settings(max_examples=60)
@given(chart_input())
def test_lines_stay_inside_and_break_at_gaps(
    data: tuple[list[Series], float | None, int],
) -> None:
    given_series, max_value, width = data
    c = line_chart(
        id="c", title="T", summary="S", series=given_series, max_value=max_value, width=width
    )
    check(c, given_series)
    if not c.has_plot:
        return
    for drawn, s in zip(c.series, given_series, strict=True):
        runs, run = [], 0
        by_label = {p.label: p.value for p in s.points}
        for row in c.rows:
            if by_label.get(row.label) is None:
                runs.append(run)
                run = 0
            else:
                run += 1
        runs.append(run)
        assert [len(numbers(d)) // 2 for d in drawn.segments] == [r for r in runs if r > 1]


@settings(max_examples=100)
@given(
    st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.booleans(),
)
def test_ticks_are_round_and_cover_the_highest_value(high: float, integers: bool) -> None:
    if integers:
        high = float(round(high))
    ticks = nice_ticks(high, integers=integers)
    assert ticks[0] == 0
    assert ticks[-1] >= high
    assert 2 <= len(ticks) <= 7
    step = ticks[1] - ticks[0]
    assert all(abs((b - a) - step) <= step * 1e-9 for a, b in pairwise(ticks))
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(abs(mantissa - m) < 1e-9 for m in (1, 2, 2.5, 5, 10))
    if integers:
        assert step >= 1 and step == int(step)


# --------------------------------------------------------------------------- cases


def test_percentages_tick_in_quarters() -> None:
    assert nice_ticks(100) == (0, 25, 50, 75, 100)
    assert nice_ticks(61) == (0, 25, 50, 75)
    assert nice_ticks(7, integers=True) == (0, 2, 4, 6, 8)
    assert nice_ticks(3, integers=True) == (0, 1, 2, 3)
    c = line_chart(
        id="rate",
        title="Attendance rate",
        summary="S",
        series=[series("Rate", months(3), [52.5, 58, 61])],
        unit="%",
        max_value=100,
    )
    assert [t.label.text for t in c.ticks if t.label] == ["0%", "25%", "50%", "75%", "100%"]


def test_no_series_says_there_is_no_data_and_draws_nothing() -> None:
    for c in (
        bar_chart(id="c", title="T", summary="S", series=[]),
        line_chart(id="c", title="T", summary="S", series=[Series("Meetings", ())]),
    ):
        assert not c.has_plot
        assert c.message == NO_DATA == "No data for this period."
        assert c.rows == ()
        assert all(not s.bars and not s.markers and not s.segments for s in c.series)


def test_all_values_suppressed_keeps_the_table_but_draws_nothing() -> None:
    s = Series("Members", (Point("Forum", None, "fewer than 5"), Point("Set", None, "not shown")))
    c = bar_chart(id="c", title="T", summary="S", series=[s])
    assert not c.has_plot
    assert c.message == NOTHING_TO_DRAW
    assert [(r.label, r.cells) for r in c.rows] == [
        ("Forum", ("fewer than 5",)),
        ("Set", ("not shown",)),
    ]


def test_a_gap_is_never_a_zero() -> None:
    s = series("Meetings", months(5), [3, None, 4, 5, None])
    c = line_chart(id="c", title="T", summary="S", series=[s])
    (drawn,) = c.series
    assert len(drawn.markers) == 3
    assert len(drawn.segments) == 1  # 4 to 5; the lone 3 is a marker only
    assert [m.category for m in drawn.markers] == ["Jan 2024", "Mar 2024", "Apr 2024"]
    bars = bar_chart(id="b", title="T", summary="S", series=[s])
    assert [b.category for b in bars.series[0].bars] == ["Jan 2024", "Mar 2024", "Apr 2024"]
    assert [g.text for g in bars.gap_labels] == ["not shown", "not shown"]


def test_a_single_point_is_a_centred_marker() -> None:
    c = line_chart(id="c", title="T", summary="S", series=[series("Meetings", ["Mar 2026"], [4])])
    (drawn,) = c.series
    assert drawn.segments == ()
    (m,) = drawn.markers
    assert m.x == pytest.approx(c.plot.x + c.plot.w / 2, abs=0.01)
    assert_inside_view_box(c)


def test_all_zero_draws_zero_length_bars_on_a_0_to_1_axis() -> None:
    c = bar_chart(id="c", title="T", summary="S", series=[series("Led", ["A", "B"], [0, 0])])
    assert [t.value for t in c.ticks] == [0, 1]
    assert [b.w for b in c.series[0].bars] == [0, 0]
    assert_inside_view_box(c)


def test_long_labels_are_cut_in_the_chart_but_whole_in_the_table() -> None:
    long = "Supporting people with complex needs through hospital discharge and home"
    c = bar_chart(
        id="c", title="T", summary="S", series=[series("Mentions", [long, "Rotas"], [9, 4])]
    )
    first = c.category_labels[0]
    assert first.truncated and first.text.endswith("…") and first.full == long
    assert text_width(first.text) <= c.width * 0.35
    assert c.rows[0].label == long
    assert not c.category_labels[1].truncated


def test_three_years_of_months_thin_their_labels() -> None:
    labels = months(40)
    c = line_chart(id="c", title="T", summary="S", series=[series("Meetings", labels, [1.0] * 40)])
    shown = [label.full for label in c.category_labels]
    assert 3 <= len(shown) <= 10
    every = labels.index(shown[1])
    assert every in (1, 2, 3, 4, 6, 12)
    assert shown == labels[::every]
    assert_category_labels_apart(c)
    assert len(c.rows) == 40


def test_thinning_keeps_to_calendar_friendly_steps() -> None:
    assert thinning(60, 100) == 1
    assert thinning(60, 30) == 3
    assert thinning(60, 14) == 6
    assert thinning(60, 1) == 72


def test_series_differ_by_more_than_colour() -> None:
    labels = ["A", "B"]
    c = line_chart(
        id="c",
        title="T",
        summary="S",
        series=[series(f"S{i}", labels, [1, 2]) for i in range(4)],
    )
    assert len({s.shape for s in c.series}) == 4
    assert len({s.dasharray for s in c.series}) == 4
    assert [s.colour_class for s in c.series] == ["chart-s1", "chart-s2", "chart-s3", "chart-s4"]
    assert len({re.sub(r"[\d.,\s]", "", m.d) for s in c.series for m in s.markers}) == 4
    assert c.show_legend


def test_missing_points_read_no_data_in_the_table() -> None:
    a = series("Meetings", ["Jan", "Feb"], [3, 4])
    b = series("Attended", ["Feb"], [7])
    c = line_chart(id="c", title="T", summary="S", series=[a, b])
    assert [r.cells for r in c.rows] == [("3", "no data"), ("4", "7")]


def test_common_max_gives_small_multiples_one_scale() -> None:
    q1 = [series("Mentions", ["Rotas", "Pay"], [4, 9])]
    q2 = [series("Mentions", ["Rotas", "Pay"], [12, None])]
    top = common_max(q1, q2)
    assert top == 12
    a, b = (
        bar_chart(id=f"q{i}", title="T", summary="S", series=s, max_value=top)
        for i, s in enumerate([q1, q2])
    )
    assert [t.value for t in a.ticks] == [t.value for t in b.ticks]
    assert common_max([]) is None


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "1st"},
        {"id": "has space"},
        {"series": [series(f"S{i}", ["A"], [1]) for i in range(5)]},
        {"series": [series("S", ["A"], [-1])]},
        {"series": [series("S", ["A"], [float("nan")])]},
        {"series": [series("S", ["A", "A"], [1, 2])]},
        {"width": 200},
    ],
)
def test_nonsense_is_refused(bad: dict[str, object]) -> None:
    args: dict[str, object] = {"id": "c", "title": "T", "summary": "S", "series": []}
    with pytest.raises(ValueError):
        bar_chart(**{**args, **bad})  # type: ignore[arg-type]


def test_truncate() -> None:
    assert truncate("Rotas", 100) == "Rotas"
    text = "Supervision and reflective practice"
    room = text_width("Supervision")
    cut = truncate(text, room)
    assert cut == "Supervisi…"
    assert text_width(cut) <= room < text_width("Supervisio…")
    assert truncate("Rotas and workload", 1) == "R…"  # never cut to nothing


# --------------------------------------------------------------------------- colours


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


CSS = (STATIC / "css" / "app.css").read_text(encoding="utf-8")


def test_palette_is_legible_on_the_page_background() -> None:
    (background,) = re.findall(r"--bg:\s*(#[0-9a-fA-F]{6})\s*;", CSS)
    assert background.lower() == charts.BACKGROUND
    assert len(set(PALETTE)) == 4
    for colour in PALETTE:
        # 4.5:1 is the bar for text; graphics need only 3:1 (WCAG 1.4.11).
        assert contrast(colour, background) >= 4.5, colour


def test_stylesheet_uses_the_palette() -> None:
    block = CSS[CSS.index("/* Charts (insights) */") :]
    found = dict(re.findall(r"\.chart-s(\d) \{ --chart-colour: (#[0-9a-f]{6}); \}", block))
    assert found == {str(i + 1): colour for i, colour in enumerate(PALETTE)}
    assert "break-inside: avoid" in block
    assert "forced-colors: active" in block


# --------------------------------------------------------------------------- template


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text_by_id: dict[str, str] = {}
        self.open: list[tuple[str, str | None]] = []
        self.rows_in_tbody = 0
        self.in_tbody = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag == "tbody":
            self.in_tbody = True
        if tag == "tr" and self.in_tbody:
            self.rows_in_tbody += 1
        # Self-closed SVG shapes arrive at handle_startendtag; only these can hold text.
        if tag not in {"br", "meta", "link", "input"}:
            self.open.append((tag, a.get("id")))
            if a.get("id"):
                self.text_by_id[str(a["id"])] = ""

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self.in_tbody = False
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, id_ in self.open:
            if id_:
                self.text_by_id[id_] += data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == tag]


def render(source: str, **context: object) -> Page:
    html = environment().from_string(source).render(**context)
    page = Page()
    page.feed(html)
    page.close()
    assert "style=" not in html
    assert not any("style" in a for _, a in page.elements)
    ids = [a["id"] for _, a in page.elements if a.get("id")]
    assert len(ids) == len(set(ids))
    return page


MACRO = '{% from "insights/_chart.html" import chart, small_multiples %}'


@pytest.mark.parametrize("kind", ["line", "hbar", "vbar"])
def test_the_macro_draws_an_image_and_a_table(kind: str) -> None:
    labels = months(14)
    attended: list[float | None] = [None if i % 5 == 2 else 40 + i for i in range(14)]
    given_series = [
        series("Attendance", labels, attended),
        series("Meetings & more", labels, [5.0] * 14),
    ]
    args = {"id": "attendance", "title": "Attendance <by month>", "summary": "Rose."}
    c = (
        line_chart(**args, series=given_series, unit="%")
        if kind == "line"
        else bar_chart(**args, series=given_series, horizontal=kind == "hbar")
    )
    page = render(MACRO + "{{ chart(c) }}", c=c)

    (figure,) = page.all("figure")
    assert figure["aria-labelledby"] == "attendance-title"
    assert page.text_by_id["attendance-title"] == "Attendance <by month>"
    assert page.all("h3") and not page.all("h2")
    (svg,) = [a for a in page.all("svg") if a.get("role")]
    assert svg["role"] == "img"
    assert page.text_by_id[str(svg["aria-labelledby"])].startswith(
        ("Line chart: Attendance", "Bar chart: Attendance")
    )
    assert page.text_by_id[str(svg["aria-describedby"])] == "Rose."
    assert svg["viewbox"] == f"0 0 {c.width} {c.height}"
    # The legend's samples are decoration beside the series names.
    assert all(a.get("aria-hidden") == "true" for a in page.all("svg") if not a.get("role"))

    assert len(page.all("caption")) == 1
    assert page.rows_in_tbody == 14
    assert len(page.all("th")) == 3 + 14  # the header row, then one row header a category
    html = environment().from_string(MACRO + "{{ chart(c) }}").render(c=c)
    caption = "Data for: Attendance &lt;by month&gt;"
    assert f'<caption id="attendance-caption">{caption}</caption>' in html
    assert "<td>not shown</td>" in html
    assert "Meetings &amp; more" in html


def test_the_macro_takes_a_heading_level_and_says_when_there_is_nothing() -> None:
    c = bar_chart(id="themes", title="Themes", summary="None yet.", series=[])
    page = render(MACRO + "{{ chart(c, level=2) }}", c=c)
    assert page.text_by_id["themes-title"] == "Themes"
    assert [a.get("id") for a in page.all("h2")] == ["themes-title"]
    assert not page.all("svg") and not page.all("table")
    html = environment().from_string(MACRO + "{{ chart(c) }}").render(c=c)
    assert NO_DATA in html


def test_small_multiples_render_each_chart_with_its_table_below() -> None:
    quarters = [
        bar_chart(
            id=f"q{i}",
            title=f"Q{i}",
            summary="S",
            series=[series("Mentions", ["Rotas", "Pay"], [i, 2])],
            width=440,
        )
        for i in range(1, 5)
    ]
    page = render(MACRO + "{{ small_multiples(cs) }}", cs=quarters)
    assert len(page.all("figure")) == 4
    assert all("chart-compact" in str(f["class"]) for f in page.all("figure"))
    assert len(page.all("table")) == 4
