"""The dashboard's Flask app: routes parse the request, call one function, render.

Routes: `/` (the page), `/api/summary.json` (every number and series on the page),
`/export.csv` (the filtered incidents), `/healthz` (the suite's heartbeats; 503 when one
is stale), and `/vendor/plotly.min.js` served from the installed plotly package (no CDN:
on-call networks are often closed).
"""
import csv
import hashlib
import hmac
import io
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import plotly
from flask import Flask, Response, jsonify, render_template, request, send_file

from alert_visualization.figures import dashboard_figures
from alert_visualization.filters import parse_filters

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
        """The page's figures as JSON, built once per distinct summary (plotly is slow to build)."""
        digest = hashlib.sha256(json.dumps(summary, sort_keys=True, default=str).encode()).hexdigest()
        if digest not in figures_cache:
            figures = {element: figure.to_json() for element, figure in dashboard_figures(summary).items()}
            if len(figures_cache) >= 32:
                figures_cache.pop(next(iter(figures_cache)))
            figures_cache[digest] = "{" + ",".join(f"{json.dumps(element)}:{figure}" for element, figure in figures.items()) + "}"
        return figures_cache[digest]

    @app.get("/")
    def index():
        filters = parse_filters(request.args)
        summary = data.summary(filters)
        return render_template("dashboard.html", summary=summary, filters=filters, status=data.suite_status(),
                               rule_gaps=data.rule_gaps(), bot=data.bot_feedback(),
                               figures_json=script_json(figures_json(summary)))

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
            health = data.health()
        except Exception:  # the database is what health is about; say so, log the detail
            log.exception("Health check failed.")
            return jsonify({"status": "error", "database": "unreachable"}), 503
        return jsonify(health), 200 if health["status"] == "ok" else 503

    @app.get("/vendor/plotly.min.js")
    def plotly_js():
        return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86400)

    return app
