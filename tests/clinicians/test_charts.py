"""The SVG builders of clinicians/charts.py, read back with xml.etree."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from typing import Any

import pytest

from clinicians import charts
from clinicians.charts import Bar, Lane, Marker, Panel, RefLine, Series, Timeline

SVG = "{http://www.w3.org/2000/svg}"
START = date(2026, 9, 1)  # a Tuesday
END = START + timedelta(days=83)


def day(n: int) -> date:
    return START + timedelta(days=n)


def parse(svg: str) -> Any:
    return ET.fromstring(svg)


def groups(root: Any, css: str) -> list[Any]:
    return [g for g in root.iter(f"{SVG}g") if css in (g.get("class") or "").split()]


def texts(element: Any) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def timeline(**fields: object) -> Timeline:
    values: dict[str, object] = {
        "title": "Timeline of DEMO-001",
        "description": "Grades, SpO2 and temperature",
        "start": START,
        "end": END,
    }
    values.update(fields)
    return Timeline(**values)  # type: ignore[arg-type]


def test_the_chart_names_itself_for_screen_readers():
    root = parse(charts.timeline_svg(timeline(), uid="p1"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "p1-title p1-desc"
    assert root.find(f"{SVG}title").get("id") == "p1-title"
    assert root.find(f"{SVG}title").text == "Timeline of DEMO-001"
    assert root.find(f"{SVG}desc").text == "Grades, SpO2 and temperature"


def test_grade_lane_draws_one_point_per_day_inside_the_window():
    lane = Lane("Diarrhea", ((day(-3), 3), (day(2), 1), (day(3), 2), (day(90), 4)))
    root = parse(charts.timeline_svg(timeline(grade_lanes=(lane,))))
    (group,) = [g for g in groups(root, "lane") if g.get("data-label") == "Diarrhea"]
    points = [(c.get("data-day"), c.get("data-value")) for c in group.iter(f"{SVG}circle")]
    assert points == [(day(2).isoformat(), "1"), (day(3).isoformat(), "2")]
    assert "lane-grade" in group.get("class", "")


def test_a_long_term_name_is_shortened_with_the_full_name_as_tooltip():
    name = "Palmar-plantar erythrodysesthesia syndrome"
    root = parse(charts.timeline_svg(timeline(grade_lanes=(Lane(name, ((day(1), 1),)),))))
    (group,) = groups(root, "lane")
    assert group.find(f"{SVG}title").text == name
    shown = texts(group)[0]
    assert shown.endswith("…")
    assert name.startswith(shown[:-1])
    assert charts.label_width(shown) <= charts.LEFT


def test_higher_grades_sit_higher_and_take_their_grade_colour():
    lane = Lane("Fatigue", ((day(1), 1), (day(2), 3)))
    root = parse(charts.timeline_svg(timeline(grade_lanes=(lane,))))
    circles = {c.get("data-value"): c for c in root.iter(f"{SVG}circle")}
    assert float(circles["3"].get("cy")) < float(circles["1"].get("cy"))
    assert circles["1"].get("fill") == charts.GRADE_COLOURS[1]
    assert circles["3"].get("fill") == charts.GRADE_COLOURS[3]


def test_a_day_without_report_breaks_the_step_line():
    lane = Lane("Cough", ((day(1), 1), (day(2), 1), (day(5), 2)))
    root = parse(charts.timeline_svg(timeline(grade_lanes=(lane,))))
    (path,) = [p for g in groups(root, "lane") for p in g.iter(f"{SVG}path")]
    assert path.get("d").count("M") == 2


def test_composite_lanes_are_labelled_apart_from_ctcae_grades():
    lane = Lane("Shortness of breath", ((day(4), 2),), top=3)
    svg = charts.timeline_svg(timeline(composite_lanes=(lane,)))
    root = parse(svg)
    assert "PRO-CTCAE composite (0-3, not a CTCAE grade)" in texts(root)
    (group,) = groups(root, "lane-composite")
    assert "3" in texts(group)  # the scale tops out at 3, not 4
    assert "4" not in texts(group)


def spo2_panel() -> Panel:
    return Panel(
        "Resting SpO2",
        "%",
        (Series("Rest", ((day(1), 96.0), (day(2), 91.0))),),
        (
            RefLine(97, "Baseline 97%", kind="baseline"),
            RefLine(88, "<88% [V]", band="below"),
        ),
        low=85,
        high=100,
    )


def test_numeric_panel_draws_its_points_baseline_and_threshold_band():
    root = parse(charts.timeline_svg(timeline(panels=(spo2_panel(),))))
    (panel,) = groups(root, "panel")
    (series,) = groups(panel, "series")
    values = [(c.get("data-day"), c.get("data-value")) for c in series.iter(f"{SVG}circle")]
    assert values == [(day(1).isoformat(), "96"), (day(2).isoformat(), "91")]
    (baseline,) = groups(panel, "refline-baseline")
    assert baseline.get("data-value") == "97"
    assert baseline.find(f"{SVG}title").text == "Baseline 97%"
    (threshold,) = groups(panel, "refline-threshold")
    assert threshold.find(f"{SVG}title").text == "<88% [V]"
    # Named in the legend beside the plot, in the line's own dash.
    (baseline_legend,) = groups(panel, "legend-baseline")
    (threshold_legend,) = groups(panel, "legend-threshold")
    assert texts(baseline_legend) == ["Baseline 97%"]
    assert texts(threshold_legend) == ["<88% [V]"]
    assert threshold_legend.find(f"{SVG}line").get("stroke-dasharray") == "6 3"
    band = threshold.find(f"{SVG}rect")
    line = threshold.find(f"{SVG}line")
    # "below": the shaded band starts at the threshold line and runs down the plot.
    assert float(band.get("y")) == pytest.approx(float(line.get("y1")))
    assert float(band.get("height")) > 0
    assert baseline.find(f"{SVG}rect") is None


def test_a_legend_shows_the_short_text_and_keeps_the_full_label_as_tooltip():
    line = RefLine(
        38.0, "RED at 38.0 °C or above (fever, reference §5.3) [V]", short="RED ≥38 °C [V]"
    )
    panel = Panel("Temperature", "°C", (Series("Temperature", ((day(1), 37.0),)),), (line,))
    root = parse(charts.timeline_svg(timeline(panels=(panel,))))
    (legend,) = groups(root, "legend-threshold")
    assert texts(legend) == ["RED ≥38 °C [V]"]
    assert legend.find(f"{SVG}title").text == line.label


def test_higher_values_are_drawn_higher_on_a_numeric_panel():
    root = parse(charts.timeline_svg(timeline(panels=(spo2_panel(),))))
    circles = {c.get("data-value"): float(c.get("cy")) for c in root.iter(f"{SVG}circle")}
    assert circles["96"] < circles["91"]


def test_a_dashed_series_uses_square_markers_and_appears_in_the_legend():
    panel = Panel(
        "SpO2",
        "%",
        (Series("Rest", ((day(1), 96.0),)), Series("After exertion", ((day(1), 92.0),), True)),
    )
    root = parse(charts.timeline_svg(timeline(panels=(panel,))))
    rest, exertion = groups(root, "series")
    assert rest.find(f"{SVG}circle") is not None
    assert exertion.find(f"{SVG}rect").get("data-value") == "92"
    assert {"Rest", "After exertion"} <= set(texts(root))


def test_alert_markers_say_their_level_in_words():
    alerts = (Marker(day(3), "Fever", "red"), Marker(day(30), "Diarrhea", "amber"))
    root = parse(charts.timeline_svg(timeline(alerts=alerts)))
    red, amber = groups(root, "alert")
    assert texts(red) == ["RED: Fever"]
    assert texts(amber) == ["AMBER: Diarrhea"]
    assert red.get("data-day") == day(3).isoformat()
    assert red.find(f"{SVG}title").text == f"{day(3).isoformat()}: RED: Fever"


def test_treatment_markers_have_a_shape_per_kind():
    treatment = (
        Marker(day(0), "T-DXd 5.4 mg/kg", "infusion"),
        Marker(day(21), "Dose reduced to 4.4 mg/kg", "dose"),
        Marker(day(40), "Course held", "course"),
    )
    root = parse(charts.timeline_svg(timeline(treatment=treatment)))
    found = {g.get("class").split()[-1]: g for g in groups(root, "treatment")}
    assert set(found) == {"marker-infusion", "marker-dose", "marker-course"}
    assert found["marker-infusion"].find(f"{SVG}polygon") is not None
    assert found["marker-course"].find(f"{SVG}rect") is not None
    assert texts(found["marker-dose"]) == ["Dose reduced to 4.4 mg/kg"]


def test_a_label_near_the_right_edge_goes_left_of_its_marker():
    alerts = (Marker(day(2), "Early", "red"), Marker(END, "Possible ILD / pneumonitis", "red"))
    root = parse(charts.timeline_svg(timeline(alerts=alerts)))
    early, late = groups(root, "alert")
    assert early.find(f"{SVG}text").get("text-anchor") is None
    label = late.find(f"{SVG}text")
    assert label.get("text-anchor") == "end"
    assert float(label.get("x")) < float(
        late.find(f"{SVG}polygon").get("points").split()[2].split(",")[0]
    )


def test_crowded_labels_move_to_further_rows_and_then_keep_only_the_tooltip():
    alerts = tuple(Marker(day(10), f"Alert number {n}", "amber") for n in range(5))
    root = parse(charts.timeline_svg(timeline(alerts=alerts)))
    markers = groups(root, "alert")
    assert len(markers) == 5
    labelled = [m for m in markers if texts(m)]
    assert len(labelled) == charts.MAX_LABEL_ROWS
    ys = {m.find(f"{SVG}circle").get("cy") for m in labelled}
    assert len(ys) == charts.MAX_LABEL_ROWS  # one row each
    assert all(m.find(f"{SVG}title") is not None for m in markers)


def test_every_text_is_escaped():
    nasty = '<script>alert("x")</script> & </text>'
    short = "<b>&amp;\"'</text>"
    lane = Lane(short, ((day(1), 2),))
    svg = charts.timeline_svg(
        timeline(title=nasty, description=nasty, grade_lanes=(lane,)),
        uid="u",
    )
    root = parse(svg)  # still well-formed XML
    assert not list(root.iter(f"{SVG}script"))
    assert not list(root.iter("script"))
    assert root.find(f"{SVG}title").text == nasty
    assert short in texts(root)
    assert "&lt;script&gt;" in svg
    assert "&amp;amp;" in svg


def test_attribute_values_are_quoted_safely():
    lane = Lane('Say "hi" & <go>', ((day(1), 2),))
    root = parse(charts.timeline_svg(timeline(grade_lanes=(lane,))))
    (group,) = groups(root, "lane")
    assert group.get("data-label") == 'Say "hi" & <go>'


def test_week_ticks_start_on_mondays_and_stay_few_on_long_ranges():
    short = parse(charts.timeline_svg(timeline()))
    labels = [t.text for t in short.iter(f"{SVG}text") if "tick" in (t.get("class") or "")]
    assert labels[0] == "7 Sep"  # the first Monday after Tuesday 1 September
    assert len(labels) == 12
    long = parse(charts.timeline_svg(timeline(end=START + timedelta(days=364))))
    long_labels = [t for t in long.iter(f"{SVG}text") if "tick" in (t.get("class") or "")]
    assert 6 <= len(long_labels) <= 13


def test_an_empty_period_says_so():
    root = parse(charts.timeline_svg(timeline(panels=(Panel("Temperature", "°C", ()),))))
    assert "No diary entries in this period." in texts(root)


def test_a_panel_without_readings_says_so():
    empty = Panel("Temperature", "°C", (Series("Temperature", ((day(200), 37.0),)),))
    root = parse(charts.timeline_svg(timeline(panels=(spo2_panel(), empty))))
    with_readings, without = groups(root, "panel")
    assert "No readings in this period." in texts(without)
    assert "No readings in this period." not in texts(with_readings)


def test_today_is_marked_when_inside_the_window():
    assert "today" in texts(parse(charts.timeline_svg(timeline(today=day(10)))))
    assert "today" not in texts(parse(charts.timeline_svg(timeline(today=day(200)))))


def relative_luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize(
    "colour",
    [*charts.GRADE_COLOURS.values(), *charts.LEVEL_COLOURS.values(), charts.SERIES_COLOUR],
)
def test_marks_have_at_least_three_to_one_contrast_on_white(colour):
    # WCAG 2.1 non-text contrast (1.4.11); white has luminance 1.
    ratio = 1.05 / (relative_luminance(colour) + 0.05)
    assert ratio >= 3.0


@pytest.mark.parametrize("colour", [*charts.LEVEL_COLOURS.values(), charts.INK, charts.MUTED])
def test_text_colours_meet_four_and_a_half_to_one_on_white(colour):
    ratio = 1.05 / (relative_luminance(colour) + 0.05)
    assert ratio >= 4.5


def test_bars_are_proportional_and_carry_their_values():
    svg = charts.bars_svg(
        [Bar("RED", 10), Bar("AMBER", 40, text="40 alerts")],
        title="Alerts by level",
        description="Alert counts",
        uid="bars",
    )
    root = parse(svg)
    red, amber = groups(root, "bar")
    red_width = float(red.find(f"{SVG}rect").get("width"))
    amber_width = float(amber.find(f"{SVG}rect").get("width"))
    assert amber_width == pytest.approx(4 * red_width)
    assert texts(red) == ["RED", "10"]
    assert texts(amber) == ["AMBER", "40 alerts"]


def test_a_target_line_sits_at_its_value_on_the_bar_scale():
    root = parse(
        charts.bars_svg(
            [Bar("Median", 30), Bar("p90", 120)],
            title="t",
            description="d",
            uid="b",
            target=60,
            target_label="Target 60 min",
        )
    )
    median, p90 = groups(root, "bar")
    (target,) = groups(root, "target")
    x0 = float(median.find(f"{SVG}rect").get("x"))
    p90_end = x0 + float(p90.find(f"{SVG}rect").get("width"))
    line_x = float(target.find(f"{SVG}line").get("x1"))
    assert line_x - x0 == pytest.approx((p90_end - x0) / 2)
    assert "Target 60 min" in texts(target)


def test_a_maximum_fixes_the_scale_of_percentages():
    root = parse(
        charts.bars_svg([Bar("DEMO-001", 50)], title="t", description="d", uid="b", maximum=100)
    )
    (bar,) = groups(root, "bar")
    full = parse(charts.bars_svg([Bar("x", 100)], title="t", description="d", uid="b"))
    (whole,) = groups(full, "bar")
    assert float(bar.find(f"{SVG}rect").get("width")) == pytest.approx(
        float(whole.find(f"{SVG}rect").get("width")) / 2
    )


def test_no_bars_say_nothing_happened_without_a_target_line():
    root = parse(charts.bars_svg([], title="t", description="d", uid="b", target=60))
    assert "Nothing in this period." in texts(root)
    assert groups(root, "target") == []
