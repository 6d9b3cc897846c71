"""Bar and line charts for the organiser insights pages: the geometry, worked out here.

Pure: the caller passes the series; nothing here reads a clock, a database or a file.
templates/insights/_chart.html only draws what a `Chart` says, so everything that can
go wrong with a chart (a value outside the plot, labels running into each other, a
missing value drawn as zero) is decided, and tested, in Python.

What every chart promises:

- A value of None (suppressed, or no data) is a gap: no bar, no marker, and a line
  breaks there rather than joining across it. It is never drawn as zero.
- Colour is never the only cue. Each series has its own marker shape (circle, square,
  triangle, diamond) and dash pattern (solid, dashed, dotted, dash-dot), which survive
  printing in black and white and forced-colours mode.
- The data table (`rows`) is the text alternative and is always rendered beside or
  below the chart; its cells read the caller's `text` ("12", "63%", "fewer than 5").
- Every coordinate lies inside the view box, and a label's estimated extent does too.
  Estimates use a generous character width, so real text has room to spare.
- SVG text is FONT_SIZE (15) user units: at the default width of 600, a chart drawn
  480 CSS pixels wide or wider shows it at 12 px or more. Small multiples laid out two
  to a row should pass width=440, which keeps 12 px down to 352 CSS pixels. Narrower
  (a phone) the text shrinks with the drawing; the table beside it does not.

Values must be finite and not negative (counts and rates). The value axis starts at 0
and reaches at least `max_value`, so charts meant to be compared (small multiples)
share a scale when they are given the same `max_value` (see `common_max`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

# Series colours, in order. Each has at least 4.5:1 contrast with the page background
# (--bg in static/css/app.css), so it serves for text as well as for graphics (3:1).
PALETTE: tuple[str, ...] = ("#1d4e89", "#a34a00", "#00703c", "#8f2167")
BACKGROUND = "#ffffff"
MARKER_SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "diamond")
DASHES: tuple[tuple[str, str], ...] = (
    ("solid", ""),
    ("dashed", "8 4"),
    ("dotted", "2 3"),
    ("dash-dot", "8 3 2 3"),
)
MAX_SERIES = len(PALETTE)

FONT_SIZE = 15
# Advance widths of " " to "~", in thousandths of an em, in DejaVu Sans: the widest of
# the fonts system-ui commonly resolves to (Linux), so estimates made with it leave room
# to spare in Segoe UI, Roboto or San Francisco. Text is measured, never drawn, from this.
_ASCII_WIDTHS: tuple[int, ...] = (
    318,
    401,
    460,
    838,
    636,
    950,
    780,
    275,
    390,
    390,
    500,
    838,
    318,
    361,
    318,
    337,
    636,
    636,
    636,
    636,
    636,
    636,
    636,
    636,
    636,
    636,
    337,
    337,
    838,
    838,
    838,
    531,
    1000,
    684,
    686,
    698,
    770,
    632,
    575,
    775,
    752,
    295,
    295,
    656,
    557,
    863,
    748,
    787,
    603,
    787,
    695,
    635,
    611,
    732,
    684,
    989,
    685,
    611,
    685,
    390,
    337,
    390,
    838,
    500,
    500,
    613,
    635,
    550,
    635,
    615,
    352,
    635,
    634,
    278,
    278,
    579,
    278,
    974,
    634,
    612,
    635,
    635,
    411,
    521,
    392,
    634,
    592,
    818,
    592,
    592,
    525,
    636,
    337,
    636,
    838,
)
_ELLIPSIS = "…"
DEFAULT_WIDTH = 600
MIN_WIDTH = 320
GAP = 8.0
# Under a category axis: about a dozen characters, room for "Sept 2026" or "Q3 2025/26".
CATEGORY_LABEL_MAX = 8 * FONT_SIZE

NO_DATA = "No data for this period."
NOTHING_TO_DRAW = "None of these values can be drawn. The table gives each one."

# The legend's sample of a series is drawn in a box this size (see the template).
KEY_WIDTH = 36
KEY_HEIGHT = 14

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    text: str


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Label:
    """A piece of SVG text. `y` is the baseline; `full` is the untruncated text."""

    x: float
    y: float
    text: str
    full: str
    anchor: Literal["start", "middle", "end"]

    @property
    def truncated(self) -> bool:
        return self.text != self.full


@dataclass(frozen=True)
class Tick:
    value: float
    gridline: Line
    label: Label | None  # None when thinned out so labels do not collide


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    value: float
    category: str
    text: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    r: float  # the shape fits in the square x ± r, y ± r
    d: str
    category: str
    text: str


@dataclass(frozen=True)
class DrawnSeries:
    name: str
    number: int  # 1-based, as in the colour class
    colour: str
    colour_class: str
    shape: str
    dash_name: str
    dasharray: str  # "" for solid
    bars: tuple[Bar, ...]
    segments: tuple[str, ...]  # one path per unbroken run of values
    markers: tuple[Marker, ...]
    key_marker: str  # the marker for the legend sample, in a KEY_WIDTH by KEY_HEIGHT box


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    summary: str
    kind: Literal["bar", "line"]
    horizontal: bool
    category_name: str
    width: int
    height: int
    plot: Box
    axis: Line | None
    ticks: tuple[Tick, ...]
    category_labels: tuple[Label, ...]
    category_marks: tuple[Line, ...]
    value_labels: tuple[Label, ...]  # beside bars; "gap" labels say why a bar is missing
    gap_labels: tuple[Label, ...]
    series: tuple[DrawnSeries, ...]
    rows: tuple[Row, ...]
    message: str  # set when nothing is drawn: say so instead
    font_size: int = FONT_SIZE

    @property
    def has_plot(self) -> bool:
        return not self.message

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def caption(self) -> str:
        return f"Data for: {self.title}"

    @property
    def svg_title(self) -> str:
        kind = "Bar chart" if self.kind == "bar" else "Line chart"
        return f"{kind}: {self.title}. The figures are in the table “{self.caption}”."

    @property
    def show_legend(self) -> bool:
        return self.has_plot and len(self.series) > 1


# --------------------------------------------------------------------------- public API


def bar_chart(
    *,
    id: str,
    title: str,
    summary: str,
    series: Sequence[Series],
    unit: str = "",
    max_value: float | None = None,
    horizontal: bool = True,
    category_name: str = "Category",
    width: int = DEFAULT_WIDTH,
) -> Chart:
    """Grouped bars, one group per category. Horizontal bars suit long category names."""
    data = _Data.of(id, series, max_value, width)
    base = _Base(id, title, summary, "bar", horizontal, category_name, data)
    if not data.drawable:
        return base.without_plot()
    if horizontal:
        return _horizontal_bars(base, unit)
    return _vertical_bars(base, unit)


def line_chart(
    *,
    id: str,
    title: str,
    summary: str,
    series: Sequence[Series],
    unit: str = "",
    max_value: float | None = None,
    category_name: str = "Category",
    width: int = DEFAULT_WIDTH,
) -> Chart:
    """Lines across categories in order (months, say), with a marker at every value."""
    data = _Data.of(id, series, max_value, width)
    base = _Base(id, title, summary, "line", False, category_name, data)
    if not data.drawable:
        return base.without_plot()
    return _lines(base, unit)


def common_max(*groups: Iterable[Series]) -> float | None:
    """The highest value across several charts' series: pass it as every chart's max_value
    so small multiples share one scale."""
    values = [p.value for group in groups for s in group for p in s.points if p.value is not None]
    return max(values) if values else None


def nice_ticks(high: float, *, integers: bool = False) -> tuple[float, ...]:
    """Round tick values from 0 to at least `high`, two to six intervals where possible."""
    if high <= 0:
        high = 1.0
    # Below this, steps underflow; no count or rate a person reads is this small.
    high = max(high, 1e-6)
    exponent = math.floor(math.log10(high / 4))
    best: tuple[tuple[bool, float, int], float, int] | None = None
    for power in range(exponent - 1, exponent + 3):
        for mantissa in (1.0, 2.0, 2.5, 5.0):
            step = mantissa * 10.0**power
            if integers and (step < 1 or step != int(step)):
                continue
            count = _intervals(high, step)
            key = (not 2 <= count <= 6, (count * step - high) / high, abs(count - 4))
            if best is None or key < best[0]:
                best = (key, step, count)
    assert best is not None  # the powers above always include a step of at least 1
    _, step, count = best
    return tuple(_clean(i * step) for i in range(count + 1))


def tick_text(value: float, step: float, unit: str = "") -> str:
    decimals = next((d for d in range(10) if abs(round(step, d) - step) <= step * 1e-9), 10)
    return f"{value:,.{decimals}f}{unit}"


def text_width(text: str) -> float:
    """The estimated width of text at FONT_SIZE, in user units."""
    return sum(_char_width(c) for c in text) * FONT_SIZE / 1000


def _char_width(char: str) -> int:
    code = ord(char)
    if 32 <= code < 127:
        return _ASCII_WIDTHS[code - 32]
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1000
    if unicodedata.combining(char):
        return 0
    base = unicodedata.normalize("NFD", char)[0]
    if base != char:  # é, ŵ: as wide as the letter under the accent
        return _char_width(base)
    return 1000


def truncate(text: str, max_width: float) -> str:
    """Shorten text to fit max_width (estimated), ending with an ellipsis if cut. At
    least one character is kept, so a very small max_width may be exceeded."""
    if text_width(text) <= max_width:
        return text
    room = max_width * 1000 / FONT_SIZE - _char_width(_ELLIPSIS)
    kept = 1
    used = _char_width(text[0])
    while kept < len(text) and used + _char_width(text[kept]) <= room:
        used += _char_width(text[kept])
        kept += 1
    return text[:kept].rstrip() + _ELLIPSIS


def thinning(label_width: float, spacing: float) -> int:
    """Show every k-th category label so neighbours keep a gap: k is 1, 2, 3, 4, 6, 12 or
    a multiple of 12, which keeps months on quarter and year boundaries."""
    needed = math.ceil((label_width + GAP) / spacing - 1e-9) if spacing > 0 else 1
    for k in (1, 2, 3, 4, 6, 12):
        if k >= needed:
            return k
    return 12 * math.ceil(needed / 12)


def marker_path(shape: str, x: float, y: float, r: float) -> str:
    if shape == "circle":
        return (
            f"M{_n(x - r)},{_n(y)}A{_n(r)},{_n(r)} 0 1 0 {_n(x + r)},{_n(y)}"
            f"A{_n(r)},{_n(r)} 0 1 0 {_n(x - r)},{_n(y)}Z"
        )
    if shape == "square":
        s = r * 0.85
        return f"M{_n(x - s)},{_n(y - s)}H{_n(x + s)}V{_n(y + s)}H{_n(x - s)}Z"
    if shape == "triangle":
        return f"M{_n(x)},{_n(y - r)}L{_n(x + r)},{_n(y + r * 0.8)}L{_n(x - r)},{_n(y + r * 0.8)}Z"
    if shape == "diamond":
        return f"M{_n(x)},{_n(y - r)}L{_n(x + r)},{_n(y)}L{_n(x)},{_n(y + r)}L{_n(x - r)},{_n(y)}Z"
    raise ValueError(f"unknown marker shape {shape!r}")


# --------------------------------------------------------------------------- internals


def _n(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _r(v: float) -> float:
    return round(v, 2)


def _clean(v: float) -> float:
    return round(v, 10)


def _intervals(high: float, step: float) -> int:
    q = high / step
    return max(1, round(q) if abs(q - round(q)) < 1e-9 else math.ceil(q))


def _clamp(v: float, low: float, high: float) -> float:
    return min(max(v, low), high)


def _baseline(middle: float) -> float:
    """The baseline that centres a line of text vertically on `middle`."""
    return middle + FONT_SIZE * 0.35


@dataclass(frozen=True)
class _Data:
    categories: tuple[str, ...]
    names: tuple[str, ...]
    values: tuple[tuple[float | None, ...], ...]  # [series][category]
    texts: tuple[tuple[str, ...], ...]
    high: float
    integers: bool
    width: int

    @property
    def drawable(self) -> bool:
        return any(v is not None for row in self.values for v in row)

    @staticmethod
    def of(id: str, series: Sequence[Series], max_value: float | None, width: int) -> _Data:
        if not _ID.fullmatch(id):
            raise ValueError(f"chart id {id!r} must be a letter then letters, digits, - or _")
        if len(series) > MAX_SERIES:
            raise ValueError(f"a chart shows at most {MAX_SERIES} series, not {len(series)}")
        if width < MIN_WIDTH:
            raise ValueError(f"a chart is at least {MIN_WIDTH} wide")
        if max_value is not None and not (math.isfinite(max_value) and max_value >= 0):
            raise ValueError(f"max_value must be finite and not negative, not {max_value}")
        categories: dict[str, None] = {}
        for s in series:
            labels = [p.label for p in s.points]
            if len(set(labels)) != len(labels):
                raise ValueError(f"series {s.name!r} has a category twice")
            for p in s.points:
                if p.value is not None and not (math.isfinite(p.value) and p.value >= 0):
                    raise ValueError(f"{s.name!r} {p.label!r}: {p.value} is not a count or rate")
                categories.setdefault(p.label, None)
        values: list[tuple[float | None, ...]] = []
        texts: list[tuple[str, ...]] = []
        for s in series:
            by_label = {p.label: p for p in s.points}
            values.append(tuple(_value(by_label.get(c)) for c in categories))
            texts.append(tuple(_cell(by_label.get(c)) for c in categories))
        present = [v for row in values for v in row if v is not None]
        limits = [*present, *([max_value] if max_value is not None else [])]
        return _Data(
            categories=tuple(categories),
            names=tuple(s.name for s in series),
            values=tuple(values),
            texts=tuple(texts),
            high=max(limits, default=0.0),
            integers=all(float(v).is_integer() for v in limits),
            width=width,
        )


def _value(point: Point | None) -> float | None:
    return None if point is None else point.value


def _cell(point: Point | None) -> str:
    if point is None:
        return "no data"
    if point.text:
        return point.text
    return "no data" if point.value is None else f"{point.value:,g}"


@dataclass(frozen=True)
class _Base:
    id: str
    title: str
    summary: str
    kind: Literal["bar", "line"]
    horizontal: bool
    category_name: str
    data: _Data

    def rows(self) -> tuple[Row, ...]:
        d = self.data
        return tuple(
            Row(label, tuple(texts[i] for texts in d.texts)) for i, label in enumerate(d.categories)
        )

    def without_plot(self) -> Chart:
        return Chart(
            id=self.id,
            title=self.title,
            summary=self.summary,
            kind=self.kind,
            horizontal=self.horizontal,
            category_name=self.category_name,
            width=0,
            height=0,
            plot=Box(0, 0, 0, 0),
            axis=None,
            ticks=(),
            category_labels=(),
            category_marks=(),
            value_labels=(),
            gap_labels=(),
            series=tuple(self.styled(i, (), (), ()) for i in range(len(self.data.names))),
            rows=self.rows(),
            message=NOTHING_TO_DRAW if self.data.categories else NO_DATA,
        )

    def styled(
        self,
        i: int,
        bars: tuple[Bar, ...],
        segments: tuple[str, ...],
        markers: tuple[Marker, ...],
    ) -> DrawnSeries:
        shape = MARKER_SHAPES[i]
        dash_name, dasharray = DASHES[i]
        key_x = 9 if self.kind == "bar" else KEY_WIDTH / 2
        return DrawnSeries(
            name=self.data.names[i],
            number=i + 1,
            colour=PALETTE[i],
            colour_class=f"chart-s{i + 1}",
            shape=shape,
            dash_name=dash_name,
            dasharray=dasharray,
            bars=bars,
            segments=segments,
            markers=markers,
            key_marker=marker_path(shape, key_x, KEY_HEIGHT / 2, 4.5),
        )

    def chart(
        self,
        *,
        width: int,
        height: int,
        plot: Box,
        axis: Line,
        ticks: tuple[Tick, ...],
        category_labels: tuple[Label, ...],
        category_marks: tuple[Line, ...],
        value_labels: tuple[Label, ...],
        gap_labels: tuple[Label, ...],
        series: tuple[DrawnSeries, ...],
    ) -> Chart:
        return Chart(
            id=self.id,
            title=self.title,
            summary=self.summary,
            kind=self.kind,
            horizontal=self.horizontal,
            category_name=self.category_name,
            width=width,
            height=height,
            plot=plot,
            axis=axis,
            ticks=ticks,
            category_labels=category_labels,
            category_marks=category_marks,
            value_labels=value_labels,
            gap_labels=gap_labels,
            series=series,
            rows=self.rows(),
            message="",
        )


@dataclass(frozen=True)
class _Scale:
    ticks: tuple[float, ...]
    labels: tuple[str, ...]

    @property
    def top(self) -> float:
        return self.ticks[-1]

    @property
    def widest(self) -> float:
        return max(text_width(t) for t in self.labels)

    @staticmethod
    def of(data: _Data, unit: str) -> _Scale:
        ticks = nice_ticks(data.high, integers=data.integers)
        step = ticks[1] - ticks[0]
        return _Scale(ticks, tuple(tick_text(t, step, unit) for t in ticks))

    def fraction(self, value: float) -> float:
        return _clamp(value / self.top, 0.0, 1.0)


def _category_axis(
    categories: tuple[str, ...], centres: Sequence[float], spacing: float, baseline: float
) -> tuple[tuple[Label, ...], tuple[Line, ...]]:
    """Labels under a horizontal category axis, truncated to the same width and thinned."""
    cap = _category_cap(categories)
    every = thinning(cap, spacing)
    labels: list[Label] = []
    marks: list[Line] = []
    mark_top = baseline - GAP - FONT_SIZE * 0.8
    for i, (label, x) in enumerate(zip(categories, centres, strict=True)):
        if i % every:
            continue
        labels.append(Label(_r(x), _r(baseline), truncate(label, cap), label, "middle"))
        marks.append(Line(_r(x), _r(mark_top), _r(x), _r(mark_top + 4)))
    return tuple(labels), tuple(marks)


def _category_cap(categories: tuple[str, ...]) -> float:
    """The width every category label is cut to, measured after cutting."""
    widest = max(text_width(c) for c in categories)
    return max(text_width(truncate(c, min(widest, CATEGORY_LABEL_MAX))) for c in categories)


def _lines(base: _Base, unit: str) -> Chart:
    data = base.data
    scale = _Scale.of(data, unit)
    width = data.width
    height = max(220, round(width * 0.5))
    label_w = _category_cap(data.categories)
    left = max(scale.widest + GAP + 2, label_w / 2 + 2)
    right = max(label_w / 2 + 2, 12.0)
    top = 12.0
    bottom = GAP + FONT_SIZE * 1.05 + 6
    plot = Box(_r(left), top, _r(width - left - right), _r(height - top - bottom))
    n = len(data.categories)
    if n == 1:
        xs = [plot.x + plot.w / 2]
        spacing = plot.w
    else:
        spacing = plot.w / (n - 1)
        xs = [plot.x + i * spacing for i in range(n)]
    bottom_y = plot.y + plot.h
    baseline = bottom_y + GAP + FONT_SIZE * 0.8
    labels, marks = _category_axis(data.categories, xs, spacing, baseline)
    r = _clamp(spacing * 0.35, 3.0, 4.5)

    drawn = []
    for i, row in enumerate(data.values):
        shape = MARKER_SHAPES[i]
        segments: list[str] = []
        run: list[str] = []
        markers: list[Marker] = []
        for j, value in enumerate(row):
            if value is None:
                if len(run) > 1:
                    segments.append("M" + "L".join(run))
                run = []
                continue
            x = xs[j]
            y = bottom_y - scale.fraction(value) * plot.h
            run.append(f"{_n(x)},{_n(y)}")
            markers.append(
                Marker(
                    _r(x),
                    _r(y),
                    r,
                    marker_path(shape, x, y, r),
                    data.categories[j],
                    data.texts[i][j],
                )
            )
        if len(run) > 1:
            segments.append("M" + "L".join(run))
        drawn.append(base.styled(i, (), tuple(segments), tuple(markers)))

    return base.chart(
        width=width,
        height=height,
        plot=plot,
        axis=Line(plot.x, _r(bottom_y), _r(plot.x + plot.w), _r(bottom_y)),
        ticks=_value_ticks_up(scale, plot),
        category_labels=labels,
        category_marks=marks,
        value_labels=(),
        gap_labels=(),
        series=tuple(drawn),
    )


def _value_ticks_up(scale: _Scale, plot: Box) -> tuple[Tick, ...]:
    """Gridlines across the plot and labels to its left, for a vertical value axis."""
    bottom_y = plot.y + plot.h
    spacing = plot.h / (len(scale.ticks) - 1)
    every = thinning(FONT_SIZE, spacing)
    ticks = []
    for i, (value, text) in enumerate(zip(scale.ticks, scale.labels, strict=True)):
        y = _r(bottom_y - i * spacing)
        label = None if i % every else Label(_r(plot.x - GAP), _r(_baseline(y)), text, text, "end")
        ticks.append(Tick(value, Line(plot.x, y, _r(plot.x + plot.w), y), label))
    return tuple(ticks)


def _value_ticks_across(scale: _Scale, plot: Box, baseline: float) -> tuple[Tick, ...]:
    """Gridlines down the plot and labels under it, for a horizontal value axis."""
    spacing = plot.w / (len(scale.ticks) - 1)
    every = thinning(scale.widest, spacing)
    ticks = []
    for i, (value, text) in enumerate(zip(scale.ticks, scale.labels, strict=True)):
        x = _r(plot.x + i * spacing)
        label = None if i % every else Label(x, _r(baseline), text, text, "middle")
        ticks.append(Tick(value, Line(x, plot.y, x, _r(plot.y + plot.h)), label))
    return tuple(ticks)


BAR_THICKNESS = 16.0
BAR_GAP = 2.0
BAND_PADDING = 6.0
BAR_MARKER_R = 5.0


def _horizontal_bars(base: _Base, unit: str) -> Chart:
    data = base.data
    scale = _Scale.of(data, unit)
    width = data.width
    n_series = len(data.names)
    with_markers = n_series > 1

    label_cap = width * 0.35
    labels = [truncate(c, label_cap) for c in data.categories]
    value_cap = width * 0.2
    value_texts = [[truncate(t, value_cap) for t in texts] for texts in data.texts]
    widest_value = max(
        (
            text_width(value_texts[i][j])
            for i, row in enumerate(data.values)
            for j, v in enumerate(row)
            if v is not None
        ),
        default=0.0,
    )
    left = max(max(text_width(t) for t in labels) + GAP + 2, text_width(scale.labels[0]) / 2 + 2)
    right = max(widest_value + GAP + 2, text_width(scale.labels[-1]) / 2 + 2)
    top = 8.0
    band = n_series * BAR_THICKNESS + (n_series - 1) * BAR_GAP + 2 * BAND_PADDING
    plot_h = len(data.categories) * band
    baseline = top + plot_h + GAP + FONT_SIZE * 0.8
    height = math.ceil(baseline + FONT_SIZE * 0.25 + 4)
    plot = Box(_r(left), top, _r(width - left - right), _r(plot_h))

    category_labels = tuple(
        Label(_r(plot.x - GAP), _r(_baseline(top + (j + 0.5) * band)), text, full, "end")
        for j, (text, full) in enumerate(zip(labels, data.categories, strict=True))
    )
    after_marker = plot.x + 2 * BAR_MARKER_R + 3 if with_markers else plot.x
    value_labels: list[Label] = []
    gap_labels: list[Label] = []
    drawn = []
    for i, row in enumerate(data.values):
        shape = MARKER_SHAPES[i]
        bars: list[Bar] = []
        markers: list[Marker] = []
        for j, value in enumerate(row):
            y = top + j * band + BAND_PADDING + i * (BAR_THICKNESS + BAR_GAP)
            middle = y + BAR_THICKNESS / 2
            category, text = data.categories[j], data.texts[i][j]
            if value is None:
                shown = truncate(text, plot.w + right - 2 * GAP)
                gap_labels.append(
                    Label(_r(plot.x + 5), _r(_baseline(middle)), shown, text, "start")
                )
                continue
            length = scale.fraction(value) * plot.w
            bars.append(Bar(plot.x, _r(y), _r(length), BAR_THICKNESS, value, category, text))
            if with_markers:
                mx = plot.x + BAR_MARKER_R + 3
                markers.append(
                    Marker(
                        _r(mx),
                        _r(middle),
                        BAR_MARKER_R,
                        marker_path(shape, mx, middle, BAR_MARKER_R),
                        category,
                        text,
                    )
                )
            x = max(plot.x + length, after_marker) + 5
            value_labels.append(
                Label(_r(x), _r(_baseline(middle)), value_texts[i][j], text, "start")
            )
        drawn.append(base.styled(i, tuple(bars), (), tuple(markers)))

    return base.chart(
        width=width,
        height=height,
        plot=plot,
        axis=Line(plot.x, plot.y, plot.x, _r(plot.y + plot.h)),
        ticks=_value_ticks_across(scale, plot, baseline),
        category_labels=category_labels,
        category_marks=(),
        value_labels=tuple(value_labels),
        gap_labels=tuple(gap_labels),
        series=tuple(drawn),
    )


def _vertical_bars(base: _Base, unit: str) -> Chart:
    data = base.data
    scale = _Scale.of(data, unit)
    width = data.width
    height = max(220, round(width * 0.5))
    n_series = len(data.names)
    with_markers = n_series > 1
    label_w = _category_cap(data.categories)
    left = max(scale.widest + GAP + 2, label_w / 2 + 2)
    right = max(label_w / 2 + 2, 12.0)
    top = 12.0
    bottom = GAP + FONT_SIZE * 1.05 + 6
    plot = Box(_r(left), top, _r(width - left - right), _r(height - top - bottom))
    n = len(data.categories)
    band = plot.w / n
    bar_w = min(band * 0.75 / n_series, 40.0)
    bottom_y = plot.y + plot.h
    centres = [plot.x + (j + 0.5) * band for j in range(n)]
    baseline = bottom_y + GAP + FONT_SIZE * 0.8
    labels, marks = _category_axis(data.categories, centres, band, baseline)
    r = _clamp(bar_w / 2 - 1.5, 2.5, BAR_MARKER_R)

    drawn = []
    for i, row in enumerate(data.values):
        shape = MARKER_SHAPES[i]
        bars: list[Bar] = []
        markers: list[Marker] = []
        for j, value in enumerate(row):
            if value is None:
                continue
            x = centres[j] - n_series * bar_w / 2 + i * bar_w
            length = scale.fraction(value) * plot.h
            category, text = data.categories[j], data.texts[i][j]
            bars.append(
                Bar(_r(x), _r(bottom_y - length), _r(bar_w), _r(length), value, category, text)
            )
            if with_markers:
                mx, my = x + bar_w / 2, bottom_y - r - 3
                markers.append(
                    Marker(_r(mx), _r(my), r, marker_path(shape, mx, my, r), category, text)
                )
        drawn.append(base.styled(i, tuple(bars), (), tuple(markers)))

    return base.chart(
        width=width,
        height=height,
        plot=plot,
        axis=Line(plot.x, _r(bottom_y), _r(plot.x + plot.w), _r(bottom_y)),
        ticks=_value_ticks_up(scale, plot),
        category_labels=labels,
        category_marks=marks,
        value_labels=(),
        gap_labels=(),
        series=tuple(drawn),
    )
