"""Figure builders: data in, figure out -- checked on the fixed data set of the metrics tests."""
import json

import plotly.graph_objects as go
import pytest

from alert_visualization import figures
from alert_visualization.incident_store import incidents_frame
from tests.alert_visualization import row_metrics as pa
from tests.alert_visualization.frame_summary import frame_summary
from tests.alert_visualization.test_metrics import PERIOD, ROWS

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def summary():
    frame = pa.with_alert_keys(incidents_frame(ROWS))
    return frame_summary(frame, PERIOD, {"KubePodCrashLooping"}, [])


def test_incidents_over_time_stacks_the_daily_counts_by_urgency(summary):
    figure = figures.incidents_over_time(summary["per_day"])
    assert figure["layout"]["barmode"] == "stack"
    bars = {trace["name"]: list(trace["y"]) for trace in figure["data"]}
    assert bars == {"high": [3, 2, 0, 0, 0, 1, 1], "low": [0, 0, 0, 0, 0, 0, 2]}
    assert list(figure["data"][0]["x"]) == [f"2026-03-{day}" for day in range(23, 30)]


def test_top_alerts_mark_those_without_a_runbook(summary):
    figure = figures.top_alerts(summary["top_alerts"])
    bar = figure["data"][0]
    by_key = dict(zip(bar["y"], zip(bar["marker"]["color"], bar["text"])))
    assert by_key["kube pod crash looping"][0] == figures.HAS_RUNBOOK
    assert "no runbook" not in by_key["kube pod crash looping"][1]
    assert by_key["api 5xx"] == (figures.NO_RUNBOOK, "no runbook  +4")
    assert list(bar["x"])[-1] == 4  # the most frequent alert is drawn at the top


def test_titles_reach_plotly_as_literal_text_never_markup():
    rows = [{"alert_key": XSS, "count": 3, "previous": 0, "change": 3, "has_runbook": False}]
    drawn = [figures.top_alerts(rows), figures.alert_share([{"alert_key": XSS, "count": 3}]),
             figures.incidents_by_service([{"service": "<b>svc</b>", "count": 1}])]
    labels = [drawn[0]["data"][0]["y"], drawn[1]["data"][0]["labels"], drawn[2]["data"][0]["x"]]
    assert labels == [["&lt;img src=x onerror=alert(1)&gt;"], ["&lt;img src=x onerror=alert(1)&gt;"],
                      ["&lt;b&gt;svc&lt;/b&gt;"]]
    for figure in drawn:
        assert "<img" not in figures.to_json(figure) and "<b>" not in figures.to_json(figure)


def test_heatmap_is_seven_weekdays_by_twenty_four_hours(summary):
    heatmap = figures.hour_weekday_heatmap(summary["heatmap"])["data"][0]
    assert len(heatmap["z"]) == 7 and all(len(row) == 24 for row in heatmap["z"])
    assert list(heatmap["y"]) == list(pa.WEEKDAYS)
    assert heatmap["z"][6][3] == 1 and heatmap["z"][6][2] == 0  # Sunday 03:30 CEST exists, 02:xx does not


def test_response_trend_draws_mtta_and_mttr_with_gaps_for_missing_weeks():
    rows = [{"start": "2026-03-16", "mtta_minutes": 3.0, "mttr_minutes": None},
            {"start": "2026-03-23", "mtta_minutes": 9.0, "mttr_minutes": 45.0}]
    figure = figures.response_trend(rows)
    assert {trace["name"]: trace["y"] for trace in figure["data"]} == {"MTTA": [3.0, 9.0], "MTTR": [None, 45.0]}


def test_alert_share_sums_to_the_period_total(summary):
    pie = figures.alert_share(summary["alert_share"])["data"][0]
    assert sum(pie["values"]) == summary["kpis"]["incidents"]["value"] == 9


def test_every_page_chart_is_built_and_serialisable(summary):
    charts = figures.dashboard_figures(summary)
    assert set(charts) == {"chart-over-time", "chart-top-alerts", "chart-alert-share", "chart-heatmap",
                            "chart-services", "chart-response"}
    for figure in charts.values():
        assert json.loads(figures.to_json(figure))["data"]


def test_every_chart_is_a_figure_plotly_accepts_as_written(summary):
    """The figures are plain dicts; plotly's own Python objects check them here, property by property
    (a misspelt key raises), and write them out the same: nothing is lost or added in plotly's hands."""
    charts = {**figures.dashboard_figures(summary), "day trend": figures.response_trend(summary["response_trend"], "day")}
    for figure in charts.values():
        validated = go.Figure(figure)
        assert json.loads(validated.to_json()) == json.loads(figures.to_json(figure))
    with pytest.raises(ValueError):
        go.Figure({"data": [{"type": "bar", "colour": "red"}]})


def test_every_trace_type_the_charts_draw_is_in_the_vendored_plotly_bundle(summary):
    from alert_visualization.app import PLOTLY_JS, PLOTLY_TRACES
    charts = {**figures.dashboard_figures(summary), "day trend": figures.response_trend(summary["response_trend"], "day")}
    drawn = {trace.get("type", "scatter") for figure in charts.values() for trace in figure["data"]}
    assert drawn <= set(PLOTLY_TRACES), "a new trace type: add it to build_plotly_bundle.js and rebuild the bundle"
    with open(PLOTLY_JS, encoding="utf-8") as bundle:
        header = bundle.read(200)
    assert f"plotly.js (dashboard: {', '.join(PLOTLY_TRACES)} - minified)" in header  # the bundle built for them
