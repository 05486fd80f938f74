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

// The playground and compare pages: each chosen model's answer streamed into its own pane
// (server-sent events read from a fetch, since EventSource cannot POST), then the facts the
// ledger recorded, rendered (and escaped) by the server.
(function () {
  "use strict";

  function parseEvent(block) {
    let name = "message";
    const data = [];
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event: ") === 0) name = line.slice(7);
      else if (line.indexOf("data: ") === 0) data.push(line.slice(6));
    });
    return { name: name, data: data.length ? JSON.parse(data.join("\n")) : {} };
  }

  function showFailure(pane, message) {
    const note = document.createElement("p");
    note.className = "error refusal";
    note.textContent = message;
    pane.querySelector(".pane-facts").replaceChildren(note);
    pane.dataset.refused = "true";
    pane.dataset.done = "true";
  }

  async function streamInto(pane, form, model) {
    const answer = pane.querySelector(".answer");
    answer.textContent = "";
    pane.querySelector(".pane-facts").replaceChildren();
    pane.querySelector(".pane-model").textContent = model;
    pane.dataset.done = "false";
    pane.dataset.refused = "false";
    pane.hidden = false;
    const body = new FormData(form);
    body.set("model", model);
    const csrf = body.get("csrf_token");
    let reply;
    try {
      reply = await fetch(form.action, { method: "POST", body: body, headers: { "x-csrf-token": csrf }, credentials: "same-origin" });
    } catch (error) {
      showFailure(pane, "The console could not be reached: " + error);
      return;
    }
    if (!reply.ok || !reply.body) {
      let message = "The console answered " + reply.status + ".";
      try { message = (await reply.json()).error.message; } catch (_) { /* keep */ }
      showFailure(pane, message);
      return;
    }
    const reader = reply.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event.name === "started") pane.dataset.requestId = event.data.request_id || "";
        else if (event.name === "token") answer.textContent += event.data.text;
        else if (event.name === "facts") {
          pane.querySelector(".pane-facts").innerHTML = event.data.html;
          pane.dataset.refused = event.data.refused ? "true" : "false";
          pane.dataset.done = "true";
        }
      }
    }
    if (pane.dataset.done !== "true") showFailure(pane, "The answer ended early.");
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.stream-form").forEach(function (form) {
      form.addEventListener("submit", async function (event) {
        event.preventDefault();
        const send = form.querySelector("button[type=submit]");
        send.disabled = true;
        try {
          await Promise.all(Array.from(form.querySelectorAll("select[data-pane]")).map(function (select) {
            return streamInto(document.getElementById(select.dataset.pane), form, select.value);
          }));
        } finally {
          send.disabled = false;
        }
      });
    });
  });
})();
