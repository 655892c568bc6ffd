"""Plotly figures from the dashboard summary (pure: data in, figure out).

Labels that come from incident titles are untrusted: plotly.js reads a little HTML in
text (<b>, <br>, <a href>), so every such label is escaped here and shown as literal text.
"""
import html

import plotly.graph_objects as go

URGENCY_COLOURS = {"high": "#d62728", "low": "#1f77b4"}
NO_RUNBOOK = "#ff7f0e"
HAS_RUNBOOK = "#2ca02c"


def plain(text: object) -> str:
    """Text plotly.js shows literally, whatever markup it contains."""
    return html.escape(str(text), quote=False)


# A plain look set here rather than through a named template: a template is embedded in
# every figure's JSON (tens of kB per chart) and costs time to validate on every request.
AXIS = {"gridcolor": "#eee", "zerolinecolor": "#ddd", "automargin": True}


def _figure(traces, title, **extra):
    """The figure of `traces` with the page's look; the layout is given whole to the constructor, as
    update_layout validates it again key by key (ten times slower, and on every new summary)."""
    layout = {"title": {"text": title, "x": 0.01, "font": {"size": 15}}, "template": "none", "height": 340,
              "paper_bgcolor": "#fff", "plot_bgcolor": "#fff", "font": {"family": "system-ui, sans-serif", "size": 12},
              "xaxis": AXIS, "yaxis": AXIS,
              "margin": {"l": 50, "r": 20, "t": 50, "b": 40}, "legend": {"orientation": "h", "y": -0.2}}
    for axis in ("xaxis", "yaxis"):
        if isinstance(extra.get(axis), dict):
            extra[axis] = {**AXIS, **extra[axis]}
    return go.Figure(traces, layout=go.Layout(**{**layout, **extra}))


def incidents_over_time(per_day: dict[str, list]) -> go.Figure:
    """Stacked bars: incidents per local day, by urgency."""
    traces = [
        go.Bar(x=per_day["days"], y=per_day.get(urgency, []), name=urgency, marker_color=colour)
        for urgency, colour in URGENCY_COLOURS.items()
    ]
    return _figure(traces, "Incidents per day, by urgency", barmode="stack", yaxis_title="incidents")


def top_alerts(rows: list[dict[str, object]]) -> go.Figure:
    """Horizontal bars of the top alert keys; those without a runbook in orange and marked."""
    rows = list(reversed(rows))  # plotly draws the first bar at the bottom
    traces = go.Bar(
        x=[row["count"] for row in rows],
        y=[plain(row["alert_key"]) for row in rows],
        orientation="h",
        marker_color=[HAS_RUNBOOK if row["has_runbook"] else NO_RUNBOOK for row in rows],
        text=[("" if row["has_runbook"] else "no runbook  ") + f"{row['change']:+d}" for row in rows],
        textposition="auto",
        hovertemplate="%{y}: %{x} incidents<extra></extra>",
    )
    return _figure(traces, "Top alerts (orange: no runbook)",
                   height=max(340, 32 * len(rows) + 90), yaxis={"automargin": True})


def alert_share(slices: list[dict[str, object]]) -> go.Figure:
    traces = go.Pie(
        labels=[plain(item["alert_key"]) for item in slices],
        values=[item["count"] for item in slices], hole=0.4, sort=False, textinfo="percent",
    )
    return _figure(traces, "Alert share", legend={"orientation": "v"})


def hour_weekday_heatmap(heatmap: dict[str, list]) -> go.Figure:
    traces = go.Heatmap(
        z=heatmap["counts"], x=heatmap["hours"], y=heatmap["weekdays"], colorscale="Reds",
        hovertemplate="%{y} %{x}:00 - %{z} incidents<extra></extra>",
    )
    return _figure(traces, "When incidents start (local hour x weekday)",
                   xaxis={"dtick": 2, "title": "hour"}, yaxis={"autorange": "reversed"})


def incidents_by_service(rows: list[dict[str, object]]) -> go.Figure:
    traces = go.Bar(x=[plain(row["service"]) for row in rows], y=[row["count"] for row in rows],
                    marker_color="#9467bd")
    return _figure(traces, "Incidents by service", yaxis_title="incidents")


def response_trend(rows: list[dict[str, object]], step: str = "week") -> go.Figure:
    weeks = [row["start"] for row in rows]
    traces = [
        go.Scatter(x=weeks, y=[row["mtta_minutes"] for row in rows], name="MTTA", mode="lines+markers"),
        go.Scatter(x=weeks, y=[row["mttr_minutes"] for row in rows], name="MTTR", mode="lines+markers"),
    ]
    return _figure(traces, f"MTTA / MTTR per {step} (minutes)", yaxis_title="minutes",
                   xaxis={"title": "week of" if step == "week" else "day", "type": "date", "tickformat": "%b %d"})


def chart_labels(figures: dict[str, go.Figure]) -> dict[str, str]:
    """{element id: what a screen reader says for the chart}: its title, and that the numbers are in
    the tables and the JSON beside it."""
    return {element: f"Chart: {figure.layout.title.text}. The numbers are in the page's tables and its JSON."
            for element, figure in figures.items()}


def dashboard_figures(summary: dict) -> dict[str, go.Figure]:
    """{element id: figure} for every chart on the page."""
    return {
        "chart-over-time": incidents_over_time(summary["per_day"]),
        "chart-top-alerts": top_alerts(summary["top_alerts"]),
        "chart-alert-share": alert_share(summary["alert_share"]),
        "chart-heatmap": hour_weekday_heatmap(summary["heatmap"]),
        "chart-services": incidents_by_service(summary["by_service"]),
        "chart-response": response_trend(summary["response_trend"], summary.get("response_trend_step", "week")),
    }
