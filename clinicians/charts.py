"""Server-drawn SVG charts for the staff pages. Pure Python: no Django (import-linter enforces it).

The builders take plain frozen data and return an SVG string. Every text is XML-escaped here, so
a caller may pass any label. Each chart carries a <title> and a <desc> (``role="img"``,
``aria-labelledby``); the page shows the same data as a table, because a chart is never the only
way to read a value. Nothing is encoded by colour alone: grades also set the height of a step,
alert markers carry the words RED or AMBER, and series differ by dash and marker shape.
Presentation attributes only (no ``style``), so the charts print and work under a strict CSP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal
from xml.sax.saxutils import escape

# CTCAE grade colours (green, gold, orange, red, dark red as commonly used for grades 1-4),
# darkened so that each has a contrast of at least 3:1 against the white page (WCAG 1.4.11,
# non-text contrast); tests/clinicians/test_charts.py computes the ratios.
GRADE_COLOURS: dict[int, str] = {
    0: "#5f6368",
    1: "#2e7d32",
    2: "#8a6100",
    3: "#c43e00",
    4: "#9b0000",
}
LEVEL_COLOURS: dict[str, str] = {"red": "#b00020", "amber": "#8a5300"}
SERIES_COLOUR = "#1f4e9c"
BASELINE_COLOUR = "#2f3b52"
THRESHOLD_COLOUR = "#b00020"
BAND_FILL = "#b00020"
GRID_COLOUR = "#d0d4da"
INK = "#1b1f24"
MUTED = "#4a5260"

MarkerKind = Literal["infusion", "course", "dose", "red", "amber"]


@dataclass(frozen=True, slots=True)
class Lane:
    """A row of steps: a CTCAE term's highest grade per day (0-4) or a PRO-CTCAE composite (0-3)."""

    label: str
    points: tuple[tuple[date, int], ...]
    top: int = 4


@dataclass(frozen=True, slots=True)
class Series:
    """Numbers per day (e.g. the day's lowest resting SpO2); a missing day breaks the line."""

    label: str
    points: tuple[tuple[date, float], ...]
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class RefLine:
    """A horizontal line: the patient's baseline, or a threshold with its reference source tag.

    ``band`` shades the region beyond a threshold (``"above"`` or ``"below"`` the line). Lines
    are named in the panel's legend, left of the plot, so that no label hides a data point.
    """

    value: float
    label: str  # the full text: the tooltip
    kind: Literal["baseline", "threshold"] = "threshold"
    band: Literal["above", "below"] | None = None
    short: str = ""  # the legend's text (the label, cut to fit, by default)
    # Where a threshold comes from, with its tag ("reference §5.2 RED 2 [V]"): listed under
    # the chart in a disclosure, never in the chart itself (issue 15, D79).
    source: str = ""


@dataclass(frozen=True, slots=True)
class Panel:
    """A numeric panel: series drawn against baselines and thresholds on one y scale."""

    label: str
    unit: str
    series: tuple[Series, ...]
    lines: tuple[RefLine, ...] = ()
    low: float | None = None  # y range floor and ceiling; the data widens them if needed
    high: float | None = None


@dataclass(frozen=True, slots=True)
class Marker:
    """A dated event: treatment (infusion, course start/hold/stop, dose change) or an alert."""

    day: date
    label: str
    kind: MarkerKind


@dataclass(frozen=True, slots=True)
class Timeline:
    title: str
    description: str
    start: date
    end: date  # inclusive
    grade_lanes: tuple[Lane, ...] = ()
    composite_lanes: tuple[Lane, ...] = ()
    panels: tuple[Panel, ...] = ()
    treatment: tuple[Marker, ...] = ()
    alerts: tuple[Marker, ...] = ()
    today: date | None = None


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    text: str = ""  # shown after the bar; the formatted value by default
    colour: str = SERIES_COLOUR


# --- drawing helpers --------------------------------------------------------------------------

FONT = 'font-family="system-ui, sans-serif"'
LEFT = 170
RIGHT = 16
ROW = 18
LANE_HEIGHT = 40
PANEL_HEIGHT = 124
SECTION_GAP = 22
CHAR_WIDTH = 5.6  # average width of a character at font-size 10, for laying out labels
MAX_LABEL_ROWS = 3


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


_ATTRIBUTE_ENTITIES = {'"': "&quot;"}
_ATTRIBUTE_NAMES: dict[str, str] = {}


def _attribute_value(value: object) -> str:
    text = str(value)
    # Most values are numbers: escape only what needs it (the charts are thousands of attributes).
    if "&" in text or "<" in text or ">" in text or '"' in text:
        return escape(text, _ATTRIBUTE_ENTITIES)
    return text


def _attrs(**attributes: object) -> str:
    parts = []
    for name, value in attributes.items():
        if value is None:
            continue
        attribute = _ATTRIBUTE_NAMES.get(name)
        if attribute is None:  # class_ -> class, stroke_width -> stroke-width
            attribute = _ATTRIBUTE_NAMES[name] = name.rstrip("_").replace("_", "-")
        parts.append(f'{attribute}="{_attribute_value(value)}"')
    return " ".join(parts)


def _el(tag: str, body: str = "", /, **attributes: object) -> str:
    attrs = _attrs(**attributes)
    opening = f"<{tag} {attrs}" if attrs else f"<{tag}"
    return f"{opening}>{body}</{tag}>" if body else f"{opening}/>"


def _text(x: float, y: float, content: str, **attributes: object) -> str:
    return _el(
        "text",
        escape(content),
        x=_num(x),
        y=_num(y),
        font_size=attributes.pop("font_size", 10),
        fill=attributes.pop("fill", INK),
        **attributes,
    )


def _tooltip(content: str) -> str:
    return f"<title>{escape(content)}</title>"


def _svg(
    body: Iterable[str], *, width: float, height: float, title: str, desc: str, uid: str
) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f"{_attrs(viewBox=f'0 0 {_num(width)} {_num(height)}', width='100%')} "
        f'preserveAspectRatio="xMinYMin meet" {FONT} '
        f'aria-labelledby="{uid}-title {uid}-desc" class="chart">'
        f'<title id="{uid}-title">{escape(title)}</title>'
        f'<desc id="{uid}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _pack(items: Sequence[tuple[float, float]], rows: int) -> list[int | None]:
    """Greedy rows for labels starting at x with a width: the first row where it fits, or None."""
    ends: list[float] = []  # the right end of the rightmost label of each row
    placed: list[int | None] = []
    for x, width in items:
        row = next((i for i, end in enumerate(ends) if end < x), None)
        if row is None and len(ends) < rows:
            ends.append(float("-inf"))
            row = len(ends) - 1
        if row is not None:
            ends[row] = max(ends[row], x + width)
        placed.append(row)
    return placed


def label_width(label: str) -> float:
    return len(label) * CHAR_WIDTH + 14


def fit(label: str, space: float) -> str:
    """The label, cut with an ellipsis when it is wider than ``space`` (the full text goes in a
    <title> beside it)."""
    limit = max(int(space // CHAR_WIDTH), 2)
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


class _Axis:
    """Days to x: each day is a column; a value sits at its day's centre."""

    def __init__(self, start: date, end: date, width: float) -> None:
        self.start = start
        self.days = max((end - start).days + 1, 1)
        self.left = LEFT
        self.right = width - RIGHT
        self.day_width = (self.right - self.left) / self.days

    def x(self, day: date) -> float:
        return self.left + ((day - self.start).days + 0.5) * self.day_width

    def inside(self, day: date) -> bool:
        return 0 <= (day - self.start).days < self.days

    def ticks(self) -> list[date]:
        """Mondays (or every n-th Monday) so that there are at most about 12 labels."""
        step = 7 * max(1, -(-self.days // (7 * 12)))
        first = self.start + timedelta(days=(7 - self.start.weekday()) % 7)
        return [
            first + timedelta(days=n)
            for n in range(0, self.days, step)
            if self.inside(first + timedelta(days=n))
        ]


def _points(*xy: float) -> str:
    return " ".join(f"{_num(xy[i])},{_num(xy[i + 1])}" for i in range(0, len(xy), 2))


def _marker_shape(kind: MarkerKind, x: float, y: float) -> str:
    if kind == "infusion":  # downward triangle
        return _el(
            "polygon", points=_points(x - 5, y - 5, x + 5, y - 5, x, y + 4), fill=SERIES_COLOUR
        )
    if kind == "course":
        return _el("rect", x=_num(x - 4), y=_num(y - 4), width=8, height=8, fill=INK)
    if kind == "dose":  # hollow diamond
        diamond = _points(x, y - 5, x + 5, y, x, y + 5, x - 5, y)
        return _el("polygon", points=diamond, fill="white", stroke=INK, stroke_width=1.5)
    colour = LEVEL_COLOURS[kind]
    if kind == "red":  # upward triangle
        return _el("polygon", points=_points(x - 6, y + 5, x + 6, y + 5, x, y - 6), fill=colour)
    return _el("circle", cx=_num(x), cy=_num(y), r=5, fill=colour)


def _marker_text(marker: Marker) -> str:
    if marker.kind in ("red", "amber"):
        return f"{marker.kind.upper()}: {marker.label}"
    return marker.label


def _marker_row(
    axis: _Axis, markers: Sequence[Marker], top: float, heading: str, css: str
) -> tuple[list[str], float]:
    """Markers along one band with their labels packed into rows; returns the height used."""
    shown = sorted((m for m in markers if axis.inside(m.day)), key=lambda m: (m.day, m.kind))
    texts = [_marker_text(m) for m in shown]
    # A label goes right of its marker, or left of it when it would run off the chart.
    spans = []
    for marker, text in zip(shown, texts, strict=True):
        x, width = axis.x(marker.day), label_width(text)
        left = x + 8 + width > axis.right + RIGHT
        spans.append((x - 8 - width if left else x - 5, width + (5 if left else 0), left))
    rows = _pack([(start, width) for start, width, _ in spans], MAX_LABEL_ROWS)
    used = max((r for r in rows if r is not None), default=0) + 1
    parts = [_text(8, top + ROW - 5, heading, font_weight="bold")]
    for marker, text, row, (_, _, left) in zip(shown, texts, rows, spans, strict=True):
        x = axis.x(marker.day)
        y = top + ROW / 2 + (row or 0) * ROW
        colour = LEVEL_COLOURS.get(marker.kind, INK)
        label = ""
        if row is not None:
            label = (
                _text(x - 8, y + 4, text, fill=colour, text_anchor="end")
                if left
                else _text(x + 8, y + 4, text, fill=colour)
            )
        parts.append(
            _el(
                "g",
                _tooltip(f"{marker.day.isoformat()}: {text}")
                + _marker_shape(marker.kind, x, y)
                + label,
                class_=f"marker {css} marker-{marker.kind}",
                data_day=marker.day.isoformat(),
            )
        )
    return parts, used * ROW + 6


def _lane(axis: _Axis, lane: Lane, top: float, unit: str) -> list[str]:
    bottom = top + LANE_HEIGHT - 6
    step = (LANE_HEIGHT - 12) / max(lane.top, 1)

    def y(value: int) -> float:
        return bottom - value * step

    parts = [
        _tooltip(lane.label),
        _text(8, top + LANE_HEIGHT / 2 + 3, fit(lane.label, LEFT - 30)),
        _text(LEFT - 6, y(lane.top) + 3, str(lane.top), text_anchor="end", font_size=8, fill=MUTED),
        _text(LEFT - 6, y(0) + 3, "0", text_anchor="end", font_size=8, fill=MUTED),
        _el("line", x1=LEFT, x2=_num(axis.right), y1=_num(y(0)), y2=_num(y(0)), stroke=GRID_COLOUR),
    ]
    points = sorted((day, value) for day, value in lane.points if axis.inside(day))
    if not points:
        return parts
    # Steps hold a grade until the next report; a gap of more than a day drops back to no line.
    path: list[str] = []
    previous: date | None = None
    for day, value in points:
        x0 = axis.x(day) - axis.day_width / 2
        x1 = axis.x(day) + axis.day_width / 2
        command = "L" if previous is not None and (day - previous).days == 1 else "M"
        path.append(f"{command}{_num(x0)},{_num(y(value))} L{_num(x1)},{_num(y(value))}")
        previous = day
    parts.append(_el("path", d=" ".join(path), fill="none", stroke=MUTED, stroke_width=1.5))
    for day, value in points:
        colour = GRADE_COLOURS[min(max(value, 0), 4)]
        parts.append(
            _el(
                "circle",
                _tooltip(f"{lane.label} {unit} {value} on {day.isoformat()}"),
                cx=_num(axis.x(day)),
                cy=_num(y(value)),
                r=3.5 if value else 2,
                fill=colour,
                class_="point",
                data_day=day.isoformat(),
                data_value=value,
            )
        )
    return parts


def _panel(axis: _Axis, panel: Panel, top: float, uid: str, index: int) -> list[str]:
    values = [v for s in panel.series for d, v in s.points if axis.inside(d)] + [
        line.value for line in panel.lines
    ]
    low = min([*values, *([panel.low] if panel.low is not None else [])], default=0.0)
    high = max([*values, *([panel.high] if panel.high is not None else [])], default=1.0)
    if high - low < 1:
        high = low + 1
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad
    plot_top, plot_bottom = top + 20, top + PANEL_HEIGHT - 4

    def y(value: float) -> float:
        return plot_bottom - (value - low) / (high - low) * (plot_bottom - plot_top)

    heading = f"{panel.label} ({panel.unit})" if panel.unit else panel.label
    parts = [
        _text(8, top + 14, heading, font_weight="bold"),
        _el(
            "rect",
            x=LEFT,
            y=_num(plot_top),
            width=_num(axis.right - LEFT),
            height=_num(plot_bottom - plot_top),
            fill="none",
            stroke=GRID_COLOUR,
        ),
    ]
    for tick in _nice_ticks(low, high):
        parts.append(
            _el(
                "line",
                x1=LEFT,
                x2=_num(axis.right),
                y1=_num(y(tick)),
                y2=_num(y(tick)),
                stroke=GRID_COLOUR,
                stroke_width=0.5,
            )
        )
        parts.append(
            _text(LEFT - 6, y(tick) + 3, _num(tick), text_anchor="end", font_size=9, fill=MUTED)
        )
    # The legend, under the heading: each series, then each line, drawn as on the plot.
    legend = [
        (
            series.label,
            series.label,
            SERIES_COLOUR,
            "5 3" if series.dashed else None,
            "legend-series",
        )
        for series in panel.series
    ] + [
        (
            line.short or line.label,
            line.label,
            BASELINE_COLOUR if line.kind == "baseline" else THRESHOLD_COLOUR,
            "2 3" if line.kind == "baseline" else "6 3",
            f"legend-{line.kind}",
        )
        for line in panel.lines
    ]
    for n, (text, tip, colour, dashes, css) in enumerate(legend):
        legend_y = plot_top + 12 + n * 13
        sample = _el(
            "line",
            x1=8,
            x2=28,
            y1=legend_y - 3,
            y2=legend_y - 3,
            stroke=colour,
            stroke_width=2,
            stroke_dasharray=dashes,
        )
        label = _text(32, legend_y, fit(text, LEFT - 62), font_size=9, fill=colour)
        parts.append(_el("g", _tooltip(tip) + sample + label, class_=f"legend {css}"))
    clip = f"{uid}-clip-{index}"
    parts.append(
        _el(
            "clipPath",
            _el(
                "rect",
                x=LEFT,
                y=_num(plot_top),
                width=_num(axis.right - LEFT),
                height=_num(plot_bottom - plot_top),
            ),
            id=clip,
        )
    )
    for line in panel.lines:
        line_y = min(max(y(line.value), plot_top), plot_bottom)
        group: list[str] = [_tooltip(line.label)]
        if line.band is not None:
            band_top, band_bottom = (
                (plot_top, line_y) if line.band == "above" else (line_y, plot_bottom)
            )
            group.append(
                _el(
                    "rect",
                    x=LEFT,
                    y=_num(band_top),
                    width=_num(axis.right - LEFT),
                    height=_num(max(band_bottom - band_top, 0)),
                    fill=BAND_FILL,
                    fill_opacity=0.08,
                )
            )
        baseline = line.kind == "baseline"
        group.append(
            _el(
                "line",
                x1=LEFT,
                x2=_num(axis.right),
                y1=_num(line_y),
                y2=_num(line_y),
                stroke=BASELINE_COLOUR if baseline else THRESHOLD_COLOUR,
                stroke_width=1.5,
                stroke_dasharray="2 3" if baseline else "6 3",
            )
        )
        parts.append(
            _el(
                "g",
                "".join(group),
                class_=f"refline refline-{line.kind}",
                data_value=_num(line.value),
            )
        )
    for series in panel.series:
        points = sorted((d, v) for d, v in series.points if axis.inside(d))
        path: list[str] = []
        previous: date | None = None
        for day, value in points:
            command = "L" if previous is not None and (day - previous).days == 1 else "M"
            path.append(f"{command}{_num(axis.x(day))},{_num(y(value))}")
            previous = day
        group = [
            _el(
                "path",
                d=" ".join(path),
                fill="none",
                stroke=SERIES_COLOUR,
                stroke_width=1.5,
                stroke_dasharray="5 3" if series.dashed else None,
            )
            if path
            else ""
        ]
        for day, value in points:
            x, py = axis.x(day), y(value)
            tip = _tooltip(f"{series.label}: {_num(value)} {panel.unit} on {day.isoformat()}")
            shape = (
                _el(
                    "rect",
                    tip,
                    x=_num(x - 3),
                    y=_num(py - 3),
                    width=6,
                    height=6,
                    fill="white",
                    stroke=SERIES_COLOUR,
                    class_="point",
                    data_day=day.isoformat(),
                    data_value=_num(value),
                )
                if series.dashed
                else _el(
                    "circle",
                    tip,
                    cx=_num(x),
                    cy=_num(py),
                    r=3,
                    fill=SERIES_COLOUR,
                    class_="point",
                    data_day=day.isoformat(),
                    data_value=_num(value),
                )
            )
            group.append(shape)
        parts.append(
            _el(
                "g",
                "".join(group),
                class_="series",
                clip_path=f"url(#{clip})",
                data_label=series.label,
            )
        )
    if not any(axis.inside(day) for series in panel.series for day, _ in series.points):
        middle = (LEFT + axis.right) / 2
        parts.append(
            _text(middle, (plot_top + plot_bottom) / 2, "No readings in this period.", fill=MUTED)
        )
    return parts


def _nice_ticks(low: float, high: float) -> list[float]:
    span = high - low
    step = next((s for s in (0.5, 1, 2, 5, 10, 20, 50, 100) if span / s <= 5), 100.0)
    first = -(-low // step) * step
    ticks: list[float] = []
    value = first
    while value <= high:
        ticks.append(round(value, 6))
        value += step
    return ticks


def _section_heading(text: str, top: float) -> str:
    return _text(8, top + 14, text, font_weight="bold")


# --- public builders --------------------------------------------------------------------------


def timeline_svg(timeline: Timeline, *, uid: str = "timeline", width: int = 960) -> str:
    """The patient timeline: treatment and alert markers, grade and composite lanes, numeric panels
    (e.g. SpO2 and temperature against baseline and thresholds), on one time axis of days."""
    axis = _Axis(timeline.start, timeline.end, width)
    body: list[str] = []
    top = 4.0

    parts, used = _marker_row(axis, timeline.treatment, top, "Treatment", "treatment")
    body += parts
    top += used
    parts, used = _marker_row(axis, timeline.alerts, top, "Alerts", "alert")
    body += parts
    top += used

    for heading, lanes, unit in (
        ("CTCAE grade (patient-reported, provisional)", timeline.grade_lanes, "grade"),
        ("PRO-CTCAE composite (0-3, not a CTCAE grade)", timeline.composite_lanes, "composite"),
    ):
        if not lanes:
            continue
        body.append(_section_heading(heading, top))
        top += SECTION_GAP
        for lane in lanes:
            body.append(
                _el(
                    "g",
                    "".join(_lane(axis, lane, top, unit)),
                    class_=f"lane lane-{unit}",
                    data_label=lane.label,
                )
            )
            top += LANE_HEIGHT + 4

    for index, panel in enumerate(timeline.panels):
        top += 6
        body.append(
            _el(
                "g",
                "".join(_panel(axis, panel, top, uid, index)),
                class_="panel",
                data_label=panel.label,
            )
        )
        top += PANEL_HEIGHT

    if not (
        timeline.grade_lanes
        or timeline.composite_lanes
        or any(p.series and any(s.points for s in p.series) for p in timeline.panels)
    ):
        body.append(_text(LEFT, top + 14, "No diary entries in this period.", fill=MUTED))
        top += SECTION_GAP

    # Treatment events and alerts as faint guides through the whole chart, then the day axis.
    guides: list[str] = []
    for marker in (*timeline.treatment, *timeline.alerts):
        if axis.inside(marker.day):
            x = _num(axis.x(marker.day))
            guides.append(
                _el(
                    "line",
                    x1=x,
                    x2=x,
                    y1=4,
                    y2=_num(top),
                    stroke=LEVEL_COLOURS.get(marker.kind, MUTED),
                    stroke_width=0.6,
                    stroke_dasharray="1 3",
                )
            )
    if timeline.today is not None and axis.inside(timeline.today):
        x = _num(axis.x(timeline.today))
        guides.append(_el("line", x1=x, x2=x, y1=4, y2=_num(top), stroke=INK, stroke_width=0.8))
        guides.append(
            _text(
                axis.x(timeline.today) - 3,
                top - 4,
                "today",
                text_anchor="end",
                font_size=9,
                fill=MUTED,
            )
        )
    body.insert(0, _el("g", "".join(guides), class_="guides"))

    body.append(_el("line", x1=LEFT, x2=_num(axis.right), y1=_num(top), y2=_num(top), stroke=MUTED))
    for tick in axis.ticks():
        tick_x = axis.x(tick)
        body.append(
            _el(
                "line",
                x1=_num(tick_x),
                x2=_num(tick_x),
                y1=_num(top),
                y2=_num(top + 4),
                stroke=MUTED,
            )
        )
        body.append(
            _text(
                tick_x,
                top + 15,
                f"{tick.day} {tick:%b}",
                text_anchor="middle",
                font_size=9,
                fill=MUTED,
                class_="tick",
            )
        )
    top += 32
    return _svg(
        body, width=width, height=top, title=timeline.title, desc=timeline.description, uid=uid
    )


def bars_svg(
    bars: Sequence[Bar],
    *,
    title: str,
    description: str,
    uid: str,
    target: float | None = None,
    target_label: str = "",
    maximum: float | None = None,
    width: int = 560,
) -> str:
    """Horizontal bars with their values written beside them, and an optional target line.

    The scale runs from 0 to the largest of the values, the target and ``maximum`` (e.g. 100
    for percentages, so that 90% does not fill the width)."""
    label_space = 180
    value_space = 90
    plot = width - label_space - value_space
    extra = [v for v in (target, maximum) if v is not None]
    high = max([b.value for b in bars] + extra + [1e-9])
    bar_height, gap = 16, 8
    body: list[str] = []
    top = 6.0
    for bar in bars:
        length = max(bar.value, 0) / high * plot
        text = bar.text or _num(bar.value)
        body.append(
            _el(
                "g",
                _tooltip(f"{bar.label}: {text}")
                + _text(label_space - 8, top + 12, bar.label, text_anchor="end")
                + _el(
                    "rect",
                    x=label_space,
                    y=_num(top),
                    width=_num(length),
                    height=bar_height,
                    fill=bar.colour,
                )
                + _text(label_space + length + 6, top + 12, text),
                class_="bar",
                data_label=bar.label,
                data_value=_num(bar.value),
            )
        )
        top += bar_height + gap
    if target is not None and bars:
        x = label_space + target / high * plot
        body.append(
            _el(
                "g",
                _tooltip(target_label)
                + _el(
                    "line",
                    x1=_num(x),
                    x2=_num(x),
                    y1=2,
                    y2=_num(top),
                    stroke=THRESHOLD_COLOUR,
                    stroke_width=1.5,
                    stroke_dasharray="6 3",
                )
                + _text(
                    x,
                    top + 10,
                    target_label,
                    text_anchor="middle",
                    font_size=9,
                    fill=THRESHOLD_COLOUR,
                ),
                class_="target",
                data_value=_num(target),
            )
        )
        top += 14
    if not bars:
        body.append(_text(8, top + 12, "Nothing in this period.", fill=MUTED))
        top += 20
    return _svg(body, width=width, height=top + 4, title=title, desc=description, uid=uid)
