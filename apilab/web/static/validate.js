// Lab 4 panel: run parse -> schema -> rules -> act on a model reply and draw the pipeline.
(function () {
  "use strict";
  const root = document.getElementById("validate-result");
  if (!root) return;
  const output = document.getElementById("validate-output");
  const schema = document.getElementById("validate-schema");
  const rules = document.getElementById("validate-rules");
  const explain = document.getElementById("validate-explain");
  const SVG = "http://www.w3.org/2000/svg";

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function drawPipeline(result) {
    const names = ["bounds", "parse", "schema", "business rules", "act"];
    const byName = {};
    result.steps.forEach(function (s) { byName[s.name] = s; });
    const chart = svg("svg", { viewBox: "0 0 700 70", class: "chart", role: "img",
      "aria-label": "Pipeline: " + names.map(function (n) {
        const s = byName[n];
        if (n === "act") return "act " + (result.act ? "yes" : "no");
        return n + " " + (!s ? "not reached" : s.skipped ? "skipped" : s.ok ? "passed" : "failed");
      }).join(", ") });
    names.forEach(function (name, i) {
      const x = 5 + i * 140;
      let fill = "#e7eaee", mark = "·";
      const s = byName[name];
      if (name === "act") { fill = result.act ? "#cfeedd" : "#f8d4d0"; mark = result.act ? "✓" : "✗"; }
      else if (s && s.skipped) { fill = "#eef1f4"; mark = "–"; }
      else if (s) { fill = s.ok ? "#cfeedd" : "#f8d4d0"; mark = s.ok ? "✓" : "✗"; }
      chart.append(svg("rect", { x: x, y: 10, width: 120, height: 46, rx: 8, fill: fill, stroke: "#9aa3ad" }));
      chart.append(svg("text", { x: x + 60, y: 31, "text-anchor": "middle" }, name));
      chart.append(svg("text", { x: x + 60, y: 49, "text-anchor": "middle" }, mark));
      if (i < names.length - 1) chart.append(svg("text", { x: x + 124, y: 38 }, "→"));
    });
    return chart;
  }

  function render(result) {
    root.textContent = "";
    root.append(drawPipeline(result));
    const verdict = el("p", result.act ? "ok" : "bad",
      result.act ? "Safe to act on this output" + (result.warnings.length ? " — but read the warnings." : ".")
                 : "Do not act on this output.");
    verdict.id = "validate-verdict";
    root.append(verdict);
    const list = el("ol");
    result.steps.forEach(function (s) {
      const li = el("li");
      li.append(el("strong", null, s.name + ": "), document.createTextNode(s.detail));
      if (s.errors.length) {
        const ul = el("ul");
        s.errors.forEach(function (e) { ul.append(el("li", "mono", e)); });
        li.append(ul);
      }
      list.append(li);
    });
    root.append(list);
    result.warnings.forEach(function (w) { root.append(el("p", "notice warn", w)); });
  }

  async function run() {
    root.textContent = "Checking…";
    const response = await fetch("/api/prompts/validate", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ output: output.value, schema_text: schema.value, rules: rules.value }),
    });
    const body = await response.json();
    if (!response.ok) { root.textContent = ""; root.append(el("p", "bad", body.error || "Request rejected.")); return; }
    render(body);
  }

  document.getElementById("validate-run").addEventListener("click", run);
  fetch("/api/prompts/examples").then(function (r) { return r.json(); }).then(function (data) {
    schema.value = JSON.stringify(data.schema, null, 2);
    rules.value = data.rules.join("\n");
    const box = document.getElementById("validate-examples");
    data.examples.forEach(function (ex, i) {
      const b = el("button", "starter", ex.title);
      b.type = "button";
      b.dataset.example = ex.id;
      b.addEventListener("click", function () {
        output.value = ex.output.trim();
        explain.textContent = ex.explain;
        run();
      });
      box.append(b);
      if (i === 0) { output.value = ex.output.trim(); explain.textContent = ex.explain; }
    });
  });
})();
