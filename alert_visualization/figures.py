"""The dashboard's figures from its summary, in plotly.js's own figure format (pure: data in, dicts out).

A figure is ``{"data": [trace, ...], "layout": {...}}``, what plotly.js draws and what the page
embeds as JSON.  They are written as plain dicts rather than built with plotly's Python objects:
those validate every property on every build, and their first use in a process cost 200 ms of the
first page view.  The tests have plotly's Python package validate every figure instead.

Labels that come from incident titles are untrusted: plotly.js reads a little HTML in
text (<b>, <br>, <a href>), so every such label is escaped here and shown as literal text.
"""
import html
import json

Figure = dict[str, object]

URGENCY_COLOURS = {"high": "#d62728", "low": "#1f77b4"}
NO_RUNBOOK = "#ff7f0e"
HAS_RUNBOOK = "#2ca02c"


def plain(text: object) -> str:
    """Text plotly.js shows literally, whatever markup it contains."""
    return html.escape(str(text), quote=False)


# A plain look set here rather than through a named template: a template is embedded in
# every figure's JSON (tens of kB per chart).  NO_TEMPLATE is plotly's "none" template as it
# writes it into a figure, so plotly.js adds no look of its own either.
AXIS = {"gridcolor": "#eee", "zerolinecolor": "#ddd", "automargin": True}
NO_TEMPLATE = {"data": {"scatter": [{"type": "scatter"}]}}
# ColorBrewer's nine-class Reds, spelled out: plotly.js's own "Reds" is another scale.
REDS = [[step / 8, colour] for step, colour in enumerate((
    "rgb(255,245,240)", "rgb(254,224,210)", "rgb(252,187,161)", "rgb(252,146,114)", "rgb(251,106,74)",
    "rgb(239,59,44)", "rgb(203,24,29)", "rgb(165,15,21)", "rgb(103,0,13)"))]


def _axis(title: str | None = None, **settings) -> dict:
    return {**AXIS, **settings, **({"title": {"text": title}} if title else {})}


def _figure(traces: list[dict], title: str, **layout) -> Figure:
    """The figure of `traces` with the page's look; `layout` adds to or replaces its settings."""
    look = {"title": {"text": title, "x": 0.01, "font": {"size": 15}}, "template": NO_TEMPLATE, "height": 340,
            "paper_bgcolor": "#fff", "plot_bgcolor": "#fff", "font": {"family": "system-ui, sans-serif", "size": 12},
            "xaxis": _axis(), "yaxis": _axis(),
            "margin": {"l": 50, "r": 20, "t": 50, "b": 40}, "legend": {"orientation": "h", "y": -0.2}}
    return {"data": traces, "layout": {**look, **layout}}


def incidents_over_time(per_day: dict[str, list]) -> Figure:
    """Stacked bars: incidents per local day, by urgency."""
    traces = [{"type": "bar", "x": per_day["days"], "y": per_day.get(urgency, []), "name": urgency,
               "marker": {"color": colour}} for urgency, colour in URGENCY_COLOURS.items()]
    return _figure(traces, "Incidents per day, by urgency", barmode="stack", yaxis=_axis("incidents"))


def top_alerts(rows: list[dict[str, object]]) -> Figure:
    """Horizontal bars of the top alert keys; those without a runbook in orange and marked."""
    rows = list(reversed(rows))  # plotly draws the first bar at the bottom
    trace = {
        "type": "bar",
        "x": [row["count"] for row in rows],
        "y": [plain(row["alert_key"]) for row in rows],
        "orientation": "h",
        "marker": {"color": [HAS_RUNBOOK if row["has_runbook"] else NO_RUNBOOK for row in rows]},
        "text": [("" if row["has_runbook"] else "no runbook  ") + f"{row['change']:+d}" for row in rows],
        "textposition": "auto",
        "hovertemplate": "%{y}: %{x} incidents<extra></extra>",
    }
    return _figure([trace], "Top alerts (orange: no runbook)", height=max(340, 32 * len(rows) + 90))


def alert_share(slices: list[dict[str, object]]) -> Figure:
    trace = {"type": "pie", "labels": [plain(item["alert_key"]) for item in slices],
             "values": [item["count"] for item in slices], "hole": 0.4, "sort": False, "textinfo": "percent"}
    return _figure([trace], "Alert share", legend={"orientation": "v"})


def hour_weekday_heatmap(heatmap: dict[str, list]) -> Figure:
    trace = {"type": "heatmap", "z": heatmap["counts"], "x": heatmap["hours"], "y": heatmap["weekdays"],
             "colorscale": REDS, "hovertemplate": "%{y} %{x}:00 - %{z} incidents<extra></extra>"}
    return _figure([trace], "When incidents start (local hour x weekday)",
                   xaxis=_axis("hour", dtick=2), yaxis=_axis(autorange="reversed"))


def incidents_by_service(rows: list[dict[str, object]]) -> Figure:
    trace = {"type": "bar", "x": [plain(row["service"]) for row in rows], "y": [row["count"] for row in rows],
             "marker": {"color": "#9467bd"}}
    return _figure([trace], "Incidents by service", yaxis=_axis("incidents"))


def response_trend(rows: list[dict[str, object]], step: str = "week") -> Figure:
    weeks = [row["start"] for row in rows]
    traces = [{"type": "scatter", "x": weeks, "y": [row[column] for row in rows], "name": name,
               "mode": "lines+markers"} for name, column in (("MTTA", "mtta_minutes"), ("MTTR", "mttr_minutes"))]
    return _figure(traces, f"MTTA / MTTR per {step} (minutes)", yaxis=_axis("minutes"),
                   xaxis=_axis("week of" if step == "week" else "day", type="date", tickformat="%b %d"))


def chart_labels(figures: dict[str, Figure]) -> dict[str, str]:
    """{element id: what a screen reader says for the chart}: its title, and that the numbers are in
    the tables and the JSON beside it."""
    return {element: f"Chart: {figure['layout']['title']['text']}. The numbers are in the page's tables and its JSON."
            for element, figure in figures.items()}


def to_json(figure: Figure) -> str:
    """The figure as the page embeds it; a NaN (which JSON.parse refuses) raises here instead."""
    return json.dumps(figure, separators=(",", ":"), allow_nan=False)


def dashboard_figures(summary: dict) -> dict[str, Figure]:
    """{element id: figure} for every chart on the page."""
    return {
        "chart-over-time": incidents_over_time(summary["per_day"]),
        "chart-top-alerts": top_alerts(summary["top_alerts"]),
        "chart-alert-share": alert_share(summary["alert_share"]),
        "chart-heatmap": hour_weekday_heatmap(summary["heatmap"]),
        "chart-services": incidents_by_service(summary["by_service"]),
        "chart-response": response_trend(summary["response_trend"], summary.get("response_trend_step", "week")),
    }
