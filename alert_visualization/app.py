"""The dashboard's Flask app: routes parse the request, call one function, render.

Routes: `/` (the page), `/api/summary.json` (every number and series on the page),
`/export.csv` (the filtered incidents), `/healthz` (this process and its database: 200 or
503, for a load balancer or a liveness probe), `/status` (the suite's heartbeats, each
process's staleness), `/metrics` (the suite in the Prometheus text format), and
`/vendor/plotly-dashboard-<version>.min.js`, plotly.js's partial bundle of the trace types
the page draws (bar, heatmap, pie, scatter; static/vendor/build_plotly_bundle.js makes it), vendored
with its MIT licence in static/vendor/ (no CDN: on-call networks are often closed).  Versioned asset URLs are cached for a year;
text responses are gzip-compressed for browsers that ask.
"""
import csv
import functools
import gzip
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
from flask import Flask, Response, g, jsonify, render_template, request, send_file
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from alert_visualization.figures import chart_labels, dashboard_figures, to_json
from alert_visualization.filters import parse_filters
from alert_visualization.suite_metrics import dashboard_registry

if TYPE_CHECKING:
    from alert_visualization.dashboard_data import DashboardData

log = logging.getLogger(__name__)

# plotly.js with only the trace types the figures use (static/vendor/build_plotly_bundle.js; 1.29 MB where
# the "cartesian" partial bundle is 1.50), of the same version as the installed plotly package's full one.
PLOTLY_VERSION = "4.1.1"
PLOTLY_TRACES = ("bar", "heatmap", "pie", "scatter")
PLOTLY_BUNDLE = f"plotly-dashboard-{PLOTLY_VERSION}.min.js"
PLOTLY_JS = Path(__file__).resolve().parent / "static" / "vendor" / PLOTLY_BUNDLE
ASSET_MAX_AGE = 365 * 86400  # versioned URLs never change content
COMPRESSED_TYPES = ("text/html", "text/css", "text/javascript", "application/json", "text/csv", "text/plain")
COMPRESS_MIN_BYTES = 1024
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


@functools.lru_cache(maxsize=64)
def asset_version(filename: str) -> str:
    """A short hash of a static file's content, for its URL."""
    path = Path(__file__).resolve().parent / "static" / filename
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.is_file() else "0"


@functools.lru_cache(maxsize=4)
def compressed_file(path: Path) -> bytes:
    """A static file gzip-compressed once per process (the bundle is 1.5 MB, 0.5 MB compressed)."""
    return gzip.compress(path.read_bytes(), compresslevel=9)


def gzipped(response: Response) -> Response:
    """The response gzip-compressed when it is text worth compressing (plotly's bundle shrinks to a third)."""
    kind = (response.mimetype or "")
    if (response.status_code != 200 or response.direct_passthrough and not response.is_sequence
            or "Content-Encoding" in response.headers or not any(kind.startswith(t) for t in COMPRESSED_TYPES)):
        return response
    response.direct_passthrough = False
    body = response.get_data()
    if len(body) < COMPRESS_MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    return response


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


def warm_page(app: Flask) -> None:
    """Render the dashboard's page once, for no one: the template's first use costs time the first person
    to open the page would otherwise wait for.  Logged, never raised."""
    try:
        with app.test_request_context("/"):
            app.view_functions["index"]()
    except Exception:
        log.exception("Could not render the dashboard's page ahead of time; the first view will.")


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
        distinct summary."""
        digest = hashlib.sha256(json.dumps(summary, sort_keys=True, default=str).encode()).hexdigest()
        if digest not in figures_cache:
            built = dashboard_figures(summary)
            figures = {element: to_json(figure) for element, figure in built.items()}
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

    @app.get(f"/vendor/{PLOTLY_BUNDLE}")
    def plotly_js():
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            response = Response(compressed_file(PLOTLY_JS), 200, {"Content-Type": "text/javascript; charset=utf-8",
                                                                   "Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        else:
            response = send_file(PLOTLY_JS, mimetype="text/javascript")
        response.headers["Cache-Control"] = f"public, max-age={ASSET_MAX_AGE}, immutable"
        return response

    @app.url_defaults
    def versioned_static(endpoint, values):
        # The page's own CSS and JS carry their content's hash: a new release is fetched, an old one cached.
        if endpoint == "static" and "filename" in values and "v" not in values:
            values["v"] = asset_version(values["filename"])

    @app.after_request
    def compress(response):
        return gzipped(response) if "gzip" in request.headers.get("Accept-Encoding", "") else response

    return app
