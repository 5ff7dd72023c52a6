// Lab 2 secret scanner panel: paste -> POST /api/scan/text, folder -> POST /api/scan/path.
// Results are rendered with textContent only; the server returns redacted values.
(function () {
  "use strict";
  const textForm = document.getElementById("scan-text-form");
  const pathForm = document.getElementById("scan-path-form");
  if (!textForm || !pathForm) return;
  const $ = (id) => document.getElementById(id);
  const status = $("scan-status");

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  async function postJSON(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (_e) { data = null; }
    if (!response.ok) {
      let message = `The server answered ${response.status}.`;
      if (data && typeof data.error === "string") message = data.error;
      else if (data && Array.isArray(data.detail)) message = data.detail.map((d) => d.msg).join("; ");
      throw new Error(message);
    }
    return data;
  }

  function render(data, what) {
    const tbody = $("scan-table").querySelector("tbody");
    tbody.replaceChildren();
    const findings = data.findings || [];
    for (const f of findings) {
      const tr = el("tr", { "data-rule": f.rule });
      tr.append(el("td", {}, `${f.path || "pasted"}:${f.line}`));
      const what = el("td");
      what.append(el("strong", {}, f.description), el("br"), el("code", {}, f.rule));
      tr.append(what);
      tr.append(el("td", { class: "num" }, Number(f.confidence).toFixed(2)));
      const shown = el("td");
      if (f.redacted) shown.append(el("code", {}, f.redacted));
      else shown.textContent = "—";
      tr.append(shown);
      tr.append(el("td", { class: "fix" }, f.fix));
      tbody.append(tr);
    }
    $("scan-results").hidden = findings.length === 0;
    const advice = $("scan-advice");
    advice.replaceChildren(...(data.advice || []).map((a) => el("li", {}, a)));
    const summary = data.summary || {};
    const scanned = summary.files_scanned !== undefined
      ? ` in ${summary.files_scanned} file(s)` : "";
    status.className = findings.length ? "bad" : "ok";
    status.textContent = findings.length
      ? `${findings.length} finding(s)${scanned} in ${what}.${data.truncated ? " (first 500 shown)" : ""}`
      : `No secrets found${scanned} in ${what}.`;
  }

  async function run(button, url, body, what) {
    button.disabled = true;
    status.className = "muted";
    status.textContent = "Scanning…";
    try {
      render(await postJSON(url, body), what);
    } catch (err) {
      status.className = "bad";
      status.textContent = err.message;
      $("scan-results").hidden = true;
    } finally {
      button.disabled = false;
    }
  }

  textForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const kind = textForm.querySelector("input[name=kind]:checked").value;
    run($("scan-text-btn"), "/api/scan/text", {
      text: $("scan-text").value, kind, filename: $("scan-filename").value || null,
    }, "the pasted text");
  });

  pathForm.addEventListener("submit", (event) => {
    event.preventDefault();
    run($("scan-path-btn"), "/api/scan/path", { path: $("scan-path").value }, "that path");
  });

  // A made-up key, generated here so no key-shaped literal ever sits in the source.
  function fakeKey() {
    const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const pick = (n) => Array.from({ length: n }, () => abc[Math.floor(Math.random() * abc.length)]).join("");
    return "sk-" + "proj-" + pick(74) + "T3Blbk" + "FJ" + pick(74);
  }
  $("scan-example").addEventListener("click", () => {
    textForm.querySelector("input[value=code]").checked = true;
    $("scan-filename").value = "app.js";
    $("scan-text").value =
      'import OpenAI from "openai";\n\n' +
      "// TODO: move to the server before launch\n" +
      `const client = new OpenAI({ apiKey: "${fakeKey()}", dangerouslyAllowBrowser: true });\n`;
    $("scan-text").focus();
  });
})();
