// Draws the plotly figures a page wrote as JSON (templates/macros.html, chart()).
// plotly.js comes from the installed plotly package, served at /vendor/plotly.min.js.
"use strict";
(function () {
  function draw() {
    if (!window.Plotly) return; // the table beside each chart has the same numbers
    document.querySelectorAll(".plot[data-figure]").forEach(function (box) {
      var source = document.getElementById(box.dataset.figure);
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(box, figure.data, figure.layout, {
        responsive: true,
        displaylogo: false,
        modeBarButtonsToRemove: ["select2d", "lasso2d"],
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
