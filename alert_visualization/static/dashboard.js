// Draws every chart from the figures the server embedded as JSON (never as markup),
// and marks the page once all of them have rendered.
(function () {
  "use strict";
  var figures = JSON.parse(document.getElementById("figures").textContent);
  var ids = Object.keys(figures);
  var rendered = 0;
  ids.forEach(function (id) {
    var element = document.getElementById(id);
    var figure = figures[id];
    Plotly.newPlot(element, figure.data, figure.layout, {responsive: true, displaylogo: false})
      .then(function () {
        element.dataset.rendered = "true";
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
