// Builds plotly-dashboard-<version>.min.js: plotly.js's partial bundle of the trace types the dashboard
// draws (alert_visualization/app.py PLOTLY_TRACES), with the esbuild settings plotly.js's own build uses
// (its esbuild-config.js), minified.  Run it in an empty folder with the packages installed:
//
//   npm install plotly.js@4.1.1 esbuild@0.28.2 esbuild-plugin-environment@0.5.0 \
//       esbuild-plugin-glsl@1.4.2 esbuild-plugin-inline-css@0.0.1
//   node /path/to/build_plotly_bundle.js /path/to/alert_visualization/static/vendor
//
// The plotly.js version must be the installed plotly package's (tests/alert_visualization check it).
"use strict";
const { createRequire } = require("module");
const path = require("path");

const here = createRequire(path.join(process.cwd(), "package.json"));  // the packages of the build folder
const esbuild = here("esbuild");
const { environmentPlugin } = here("esbuild-plugin-environment");
const { glsl } = here("esbuild-plugin-glsl");
const InlineCSSPlugin = here("esbuild-plugin-inline-css");

const TRACES = ["bar", "heatmap", "pie", "scatter"];  // scatter is part of plotly.js's core
const version = here("plotly.js/package.json").version;
const out = path.join(process.argv[2] || ".", `plotly-dashboard-${version}.min.js`);
const registered = TRACES.filter((trace) => trace !== "scatter").map((trace) => `require("plotly.js/lib/${trace}")`);

esbuild.build({
    stdin: {
        contents: `var Plotly = require("plotly.js/lib/core"); Plotly.register([${registered.join(", ")}]); module.exports = Plotly;`,
        resolveDir: process.cwd(),
    },
    outfile: out,
    banner: {
        js: `/**\n* plotly.js (dashboard: ${TRACES.join(", ")} - minified) v${version}\n* Copyright 2012-2026, Plotly, Inc.\n`
            + "* All rights reserved.\n* Licensed under the MIT license\n*/",
    },
    format: "iife",
    globalName: "Plotly",
    bundle: true,
    minify: true,
    sourcemap: false,
    plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
    alias: { regl: "@plotly/regl", stream: "stream-browserify" },
    define: { global: "window", "define.amd": "false" },
    target: "es2016",
    logLevel: "info",
}).catch(() => process.exit(1));
