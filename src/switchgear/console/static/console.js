// Draws the overview's charts (uPlot) from the JSON the page carries; no inline script runs.
(function () {
  "use strict";
  const colours = { requests: "#2f6fde", errors: "#c0392b", latency_ms: "#8e44ad", tokens: "#16a085", cost: "#d35400" };

  function draw() {
    const data = document.getElementById("chart-data");
    if (!data || typeof uPlot === "undefined") return;
    const series = JSON.parse(data.textContent);
    document.querySelectorAll(".chart[data-series]").forEach(function (el) {
      el.textContent = "";
      const names = el.dataset.series.split(",");
      const width = Math.max(240, el.clientWidth);
      const opts = {
        width: width,
        height: 180,
        legend: { show: names.length > 1 },
        series: [{}].concat(names.map(function (n) {
          return { label: n, stroke: colours[n] || "#333", width: 2, spanGaps: false, points: { show: true, size: 4 } };
        })),
        axes: [{}, { size: 60 }],
      };
      const chart = new uPlot(opts, [series.time].concat(names.map(function (n) { return series[n]; })), el);
      el.dataset.drawn = "true";
      el._chart = chart;
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  let resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(draw, 200);
  });
})();

// Uploads on the knowledge page: sent with XMLHttpRequest so a progress bar can follow them.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("upload");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const bar = document.getElementById("upload-progress");
      const request = new XMLHttpRequest();
      bar.hidden = false;
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
      });
      request.addEventListener("load", function () {
        if (request.status >= 400) {
          let message = "Upload failed (" + request.status + ")";
          try { message = JSON.parse(request.responseText).error.message; } catch (_) { /* keep */ }
          bar.hidden = true;
          const note = document.createElement("p");
          note.className = "error";
          note.id = "upload-error";
          note.textContent = message;
          form.appendChild(note);
          return;
        }
        window.location.assign("/console/knowledge");
      });
      request.open("POST", form.action);
      request.send(new FormData(form));
    });
  });
})();
