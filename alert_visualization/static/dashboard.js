// Draws every chart from the figures the server embedded as JSON (never as markup), in the
// browser's colour scheme (and again when it changes), and marks the page once all have rendered.
(function () {
  "use strict";
  var figures = JSON.parse(document.getElementById("figures").textContent);
  var ids = Object.keys(figures);
  var rendered = 0;
  var dark = window.matchMedia("(prefers-color-scheme: dark)");

  // The charts' colours follow the page's: the server's figures are drawn for a light page.
  function themed(layout) {
    var colours = dark.matches
      ? {panel: "#1e2125", text: "#e6e6e6", grid: "#2c3036", zero: "#3a3f45"}
      : {panel: "#ffffff", text: "#222222", grid: "#eeeeee", zero: "#dddddd"};
    var result = Object.assign({}, layout, {paper_bgcolor: colours.panel, plot_bgcolor: colours.panel,
                                            font: Object.assign({}, layout.font, {color: colours.text})});
    ["xaxis", "yaxis"].forEach(function (axis) {
      result[axis] = Object.assign({}, layout[axis], {gridcolor: colours.grid, zerolinecolor: colours.zero});
    });
    return result;
  }

  dark.addEventListener("change", function () {
    ids.forEach(function (id) {
      Plotly.relayout(id, themed(figures[id].layout)).then(function () {
        document.getElementById(id).dataset.theme = dark.matches ? "dark" : "light";
      });
    });
  });

  ids.forEach(function (id) {
    var element = document.getElementById(id);
    var figure = figures[id];
    Plotly.newPlot(element, figure.data, themed(figure.layout), {responsive: true, displaylogo: false})
      .then(function () {
        element.dataset.rendered = "true";
        element.dataset.theme = dark.matches ? "dark" : "light";
        rendered += 1;
        if (rendered === ids.length) {
          document.body.dataset.chartsRendered = String(rendered);
        }
      });
  });

  // Picking a preset range clears the custom dates, so the link says what is shown.
  var range = document.getElementById("filter-range");
  range.addEventListener("change", function () {
    var custom = range.value === "custom";
    document.getElementById("filter-from").disabled = !custom;
    document.getElementById("filter-to").disabled = !custom;
  });
  range.dispatchEvent(new Event("change"));
})();
