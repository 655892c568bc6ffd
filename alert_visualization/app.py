"""The dashboard's Flask app: routes parse the request, call one function, render.

Routes: `/` (the page), `/api/summary.json` (every number and series on the page),
`/export.csv` (the filtered incidents), `/healthz` (this process and its database: 200 or
503, for a load balancer or a liveness probe), `/status` (the suite's heartbeats, each
process's staleness), `/metrics` (the suite in the Prometheus text format), and
`/vendor/plotly.min.js` served from the installed plotly package (no CDN: on-call
networks are often closed).
"""
import csv
import hashlib
import hmac
import io
import json
import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pandas as pd
import plotly
from flask import Flask, Response, g, jsonify, render_template, request, send_file
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from alert_visualization.figures import chart_labels, dashboard_figures
from alert_visualization.filters import parse_filters
from alert_visualization.suite_metrics import dashboard_registry

if TYPE_CHECKING:
    from alert_visualization.dashboard_data import DashboardData

log = logging.getLogger(__name__)

PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
EXPORT_COLUMNS = ("id", "incident_number", "title", "alert_key", "status", "urgency", "service_name",
                  "created_at", "first_acknowledged_at", "resolved_at", "auto_resolved", "html_url")


def script_json(value: object) -> str:
    """JSON safe inside a <script type="application/json"> element (no </script>, no <!--)."""
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (titles are untrusted)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _cell(value):
    if pd.isna(value):
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else spreadsheet_safe(value)


def local_time(moment: str | None, zone: str) -> str:
    """An ISO timestamp as the dashboard shows times: in its zone, with the zone said
    ("2026-11-30 09:12 CET"); what is not a timestamp is shown as it is."""
    if not moment:
        return "–"
    try:
        parsed = datetime.fromisoformat(str(moment))
    except ValueError:
        return str(moment)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def export_csv(frame: pd.DataFrame) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in frame[list(EXPORT_COLUMNS)].itertuples(index=False):
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def create_app(data: "DashboardData", password: str | None = None, user: str = "oncall") -> Flask:
    """The Flask app over a DashboardData; `password` turns on basic auth (except /healthz)."""
    app = Flask(__name__)
    app.json.sort_keys = False
    registry, latency = dashboard_registry(data.metrics_figures)
    app.add_template_filter(lambda moment: local_time(moment, data.timezone), "local")

    @app.before_request
    def start_clock():
        g.started = time.perf_counter()

    @app.teardown_request
    def time_request(_error=None):
        if "started" in g:
            route = request.url_rule.rule if request.url_rule is not None else "unknown"
            latency.labels(route).observe(time.perf_counter() - g.started)

    @app.before_request
    def require_password():
        if not password or request.path == "/healthz":
            return None
        given = request.authorization
        if given and hmac.compare_digest(given.username or "", user) and hmac.compare_digest(given.password or "", password):
            return None
        return Response("Authentication required.\n", 401, {"WWW-Authenticate": 'Basic realm="on-call dashboard"'})

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    figures_cache = {}

    def figures_json(summary):
        """(the page's figures as JSON, {element: its label for screen readers}), built once per
        distinct summary (plotly is slow to build)."""
        digest = hashlib.sha256(json.dumps(summary, sort_keys=True, default=str).encode()).hexdigest()
        if digest not in figures_cache:
            built = dashboard_figures(summary)
            figures = {element: figure.to_json() for element, figure in built.items()}
            if len(figures_cache) >= 32:
                figures_cache.pop(next(iter(figures_cache)))
            figures_cache[digest] = ("{" + ",".join(f"{json.dumps(element)}:{figure}" for element, figure in figures.items())
                                     + "}", chart_labels(built))
        return figures_cache[digest]

    @app.get("/")
    def index():
        filters = parse_filters(request.args)
        summary = data.summary(filters)
        figures, labels = figures_json(summary)
        return render_template("dashboard.html", summary=summary, filters=filters, status=data.suite_status(),
                               rule_gaps=data.rule_gaps(), bot=data.bot_feedback(),
                               figures_json=script_json(figures), chart_labels=labels)

    @app.get("/api/summary.json")
    def summary_json():
        return jsonify(data.summary(parse_filters(request.args)))

    @app.get("/export.csv")
    def export():
        filters = parse_filters(request.args)
        body = export_csv(data.export(filters))
        name = f"incidents-{filters.period(data.timezone).label().replace(' ', '_')}.csv"
        return Response(body, 200, {"Content-Type": "text/csv; charset=utf-8",
                                    "Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/healthz")
    def healthz():
        try:
            return jsonify(data.health())
        except Exception:  # the database is what health is about; say so, log the detail
            log.exception("Health check failed.")
            return jsonify({"status": "error", "database": "unreachable"}), 503

    @app.get("/status")
    def status():
        try:
            return jsonify(data.status())
        except Exception:
            log.exception("The suite's status could not be read.")
            return jsonify({"status": "error", "database": "unreachable"}), 503

    @app.get("/metrics")
    def metrics():
        try:
            body = generate_latest(registry)
        except Exception:
            log.exception("The metrics could not be read.")
            return Response("# the database is unreachable\n", 503, {"Content-Type": "text/plain; charset=utf-8"})
        return Response(body, 200, {"Content-Type": CONTENT_TYPE_LATEST})

    @app.get("/vendor/plotly.min.js")
    def plotly_js():
        return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86400)

    return app
