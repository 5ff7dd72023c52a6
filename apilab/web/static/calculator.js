// Lab 3 token counter and cost calculator.
// Count: textarea -> POST /api/pricing/tokens. Workload: form -> POST /api/pricing/estimate
// -> table + inline SVG bar chart. Hand-written, no framework; all text via textContent.
(function () {
  "use strict";
  const countForm = document.getElementById("calc-count-form");
  const workForm = document.getElementById("calc-workload-form");
  if (!countForm || !workForm) return;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const DEFAULT_MODELS = ["gpt-4o", "gpt-4o-mini", "claude-3-5-haiku-20241022", "gemini-2.0-flash"];
  const PROVIDERS = { openai: "OpenAI", anthropic: "Anthropic", google: "Google Gemini" };
  let lastCount = null;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function fmtInt(n) { return Number(n).toLocaleString("en-US"); }

  async function postJSON(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (_e) { data = null; }
    if (!response.ok) {
      throw new Error(errorText(data) || `The server answered ${response.status}.`);
    }
    return data;
  }

  function errorText(data) {
    if (!data) return "";
    if (typeof data.error === "string") return data.error;
    if (Array.isArray(data.detail)) {
      return data.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    }
    return typeof data.detail === "string" ? data.detail : "";
  }

  function showError(message) {
    const box = $("calc-error");
    box.textContent = message;
    box.hidden = !message;
    // An error replaces the answer: a table left from the previous run would read as the
    // answer to the inputs now in the form.
    if (message) clearResults();
  }

  function clearResults() {
    $("calc-results").hidden = true;
    $("calc-table").querySelector("tbody").textContent = "";
    $("calc-summary").textContent = "";
    $("calc-notes").textContent = "";
  }

  // --- the model pickers, filled from the price table ---------------------------------
  function fillModels(models) {
    const select = $("calc-count-model");
    const current = select.value || "gpt-4o";
    select.textContent = "";
    const grid = $("calc-models");
    grid.textContent = "";
    const groups = {};
    for (const m of models) (groups[m.provider] = groups[m.provider] || []).push(m);
    for (const [provider, list] of Object.entries(groups)) {
      const optgroup = el("optgroup", { label: PROVIDERS[provider] || provider });
      const box = el("div", { class: "calc-provider" });
      box.appendChild(el("p", { class: "calc-provider-name" }, PROVIDERS[provider] || provider));
      for (const m of list) {
        const option = el("option", { value: m.model },
          m.model + (m.exact_tokens ? "" : " (estimated count)"));
        if (m.model === current) option.selected = true;
        optgroup.appendChild(option);
        const id = `calc-model-${m.model.replace(/[^a-z0-9]+/gi, "-")}`;
        const label = el("label", { for: id, class: "calc-check" });
        const input = el("input", { type: "checkbox", id, name: "models", value: m.model });
        if (DEFAULT_MODELS.includes(m.model)) input.checked = true;
        label.appendChild(input);
        label.appendChild(document.createTextNode(" " + m.model));
        if (!m.verified) {
          label.appendChild(el("span", { class: "badge warn calc-badge", title:
            `Price not verified against its source (last checked ${m.as_of}); see the row's source.` },
          "unverified"));
        }
        box.appendChild(label);
      }
      select.appendChild(optgroup);
      grid.appendChild(box);
    }
  }

  fetch("/api/pricing/models", { headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
    .then((data) => fillModels(data.models))
    .catch(() => {
      $("calc-models").textContent = "Could not load the price table; reload the page to retry.";
    });

  // --- 1. count tokens ------------------------------------------------------------------
  function parseInput(text) {
    const trimmed = text.trim();
    if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
      try {
        const data = JSON.parse(trimmed);
        if (Array.isArray(data) && data.length && data.every((m) => m && typeof m === "object" && "role" in m)) {
          return { messages: data };
        }
        if (data && !Array.isArray(data) && Array.isArray(data.messages)) {
          return { messages: data.messages, tools: Array.isArray(data.tools) ? data.tools : null };
        }
      } catch (_e) { /* not JSON: count it as text */ }
    }
    return { text };
  }

  countForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = $("calc-count-result");
    const text = $("calc-text").value;
    if (!text.trim()) {
      out.textContent = "Paste some text or a messages array first.";
      return;
    }
    const button = $("calc-count-btn");
    button.disabled = true;
    out.textContent = "Counting…";
    try {
      const body = { model: $("calc-count-model").value, ...parseInput(text) };
      const count = await postJSON("/api/pricing/tokens", body);
      lastCount = count.tokens;
      out.textContent = "";
      out.appendChild(el("strong", { class: "calc-count-number" }, `${fmtInt(count.tokens)} tokens`));
      out.appendChild(document.createTextNode(" "));
      out.appendChild(el("span", { class: `badge ${count.exact ? "ok" : "warn"}`, "data-label": count.label },
        count.label));
      const how = count.encoding ? `tiktoken ${count.encoding}` : count.method;
      const what = count.input === "messages" ? "chat request, per-message overhead included" : "plain text";
      out.appendChild(document.createTextNode(` for ${count.model} · ${what} · ${how}`));
      for (const note of count.notes || []) {
        out.appendChild(el("span", { class: "calc-note muted" }, note));
      }
      $("calc-use-count").disabled = false;
    } catch (err) {
      lastCount = null;
      $("calc-use-count").disabled = true;
      out.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });

  $("calc-use-count").addEventListener("click", () => {
    if (lastCount === null) return;
    $("calc-per-item").value = String(lastCount);
    workForm.querySelector('input[name="unit"][value="tokens"]').checked = true;
    $("calc-per-item").focus();
  });

  // --- 2. price a workload --------------------------------------------------------------
  function readWorkload() {
    const int = (id, label, min) => {
      const raw = $(id).value.trim();
      const value = Number(raw);
      if (raw === "" || !Number.isInteger(value) || value < min) {
        throw new Error(`${label} must be a whole number of at least ${min}.`);
      }
      return value;
    };
    const models = Array.from(workForm.querySelectorAll('input[name="models"]:checked')).map((i) => i.value);
    if (!models.length) throw new Error("Choose at least one model to compare.");
    const unit = workForm.querySelector('input[name="unit"]:checked').value;
    const perItem = int("calc-per-item", "Input per item", 0);
    const body = {
      models,
      items: int("calc-items", "Items", 1),
      output_tokens_per_item: int("calc-output", "Output tokens per item", 0),
      cached_prefix_tokens: int("calc-prefix", "Shared prefix", 0),
    };
    if (unit === "words") body.words_per_item = perItem; else body.input_tokens_per_item = perItem;
    if ($("calc-date").value) body.date = $("calc-date").value;
    return body;
  }

  workForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("");
    let body;
    try { body = readWorkload(); } catch (err) { showError(err.message); return; }
    const button = $("calc-estimate-btn");
    button.disabled = true;
    button.textContent = "Estimating…";
    try {
      render(await postJSON("/api/pricing/estimate", body));
    } catch (err) {
      showError(err.message);
    } finally {
      button.disabled = false;
      button.textContent = "Estimate cost";
    }
  });

  $("calc-example").addEventListener("click", () => {
    // The course notes: 10,000 documents of ~650 tokens, ~65-token summaries, GPT-4o, mid-2024
    // (August, so GPT-4o mini, launched 2024-07-18, has a price too).
    $("calc-items").value = "10000";
    $("calc-per-item").value = "650";
    workForm.querySelector('input[name="unit"][value="tokens"]').checked = true;
    $("calc-output").value = "65";
    $("calc-prefix").value = "0";
    $("calc-date").value = "2024-08-01";
    for (const box of workForm.querySelectorAll('input[name="models"]')) {
      box.checked = ["gpt-4o", "gpt-4o-mini"].includes(box.value);
    }
    workForm.requestSubmit();
  });

  function amountOf(lines, label) {
    const line = (lines || []).find((l) => l.label === label);
    return line ? line.display : "$0.00";
  }

  function render(data) {
    $("calc-results").hidden = false;
    const per = `${fmtInt(data.input_tokens_per_item)} input tokens` +
      (data.tokens_from_words ? " (estimated from words)" : "");
    $("calc-summary").textContent = `${fmtInt(data.items)} items × ${per} + ` +
      `${fmtInt(data.output_tokens_per_item)} output tokens each` +
      (data.cached_prefix_tokens ? `, ${fmtInt(data.cached_prefix_tokens)}-token shared prefix` : "") +
      ` · prices as of ${data.at || "today"}.`;
    const tbody = $("calc-table").querySelector("tbody");
    tbody.textContent = "";
    for (const row of data.rows) {
      const tr = el("tr", { "data-model": row.model });
      const name = el("th", { scope: "row" }, row.model);
      if (!row.verified) name.appendChild(el("span", { class: "badge warn calc-badge" }, "unverified"));
      tr.appendChild(name);
      tr.appendChild(el("td", { class: "num" }, amountOf(row.breakdown, "input")));
      tr.appendChild(el("td", { class: "num" }, amountOf(row.breakdown, "output")));
      tr.appendChild(el("td", { class: "num calc-total" }, row.total_display));
      tr.appendChild(el("td", { class: "num" }, row.cached_total_display || "—"));
      const saves = el("td", { class: "num" + (row.savings_display ? " ok" : " muted") },
        row.savings_display || "—");
      if (row.cache_note) saves.setAttribute("title", row.cache_note);
      tr.appendChild(saves);
      const p = row.price;
      // When the figure was checked, and whether against its source: a price is only as good
      // as the day someone read it.
      const checked = p.verified ? `verified ${p.as_of}` : `unverified, last checked ${p.as_of}`;
      tr.appendChild(el("td", {}, `$${p.input_per_m} in / $${p.output_per_m} out per 1M · ` +
        `${p.valid_from} → ${p.valid_to || "now"} · ${checked} · ${p.source}`));
      tbody.appendChild(tr);
    }
    drawChart(data.rows);
    const notes = $("calc-notes");
    notes.textContent = "";
    const all = [...(data.notes || [])];
    for (const row of data.rows) {
      if (row.cache_note) all.push(row.cache_note);
      // Per-model notes, e.g. a future date priced at the latest known (dated) price. The
      // "not verified" note is already the row's badge.
      for (const note of row.notes || []) {
        if (!note.startsWith("Price not verified")) all.push(`${row.model}: ${note}`);
      }
    }
    for (const miss of data.unpriced || []) all.push(miss.error);
    for (const text of new Set(all)) notes.appendChild(el("li", {}, text));
  }

  function drawChart(rows) {
    const svg = $("calc-chart");
    for (const node of Array.from(svg.childNodes)) {
      if (node.nodeName !== "title" && node.nodeName !== "desc") svg.removeChild(node);
    }
    // Draw at the element's real width so 12px text stays 12px; on a phone the model name
    // goes above its bars instead of beside them.
    const width = Math.max(280, Math.round(svg.getBoundingClientRect().width || 640));
    const narrow = width < 520;
    const labelW = narrow ? 0 : 200, labelH = narrow ? 16 : 0, valueW = 120, barH = 14, gap = 12;
    const hasCache = rows.some((r) => r.cached_total !== null);
    const rowH = labelH + (hasCache ? barH * 2 + 4 : barH) + gap;
    const height = Math.max(40, rows.length * rowH + gap);
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const max = Math.max(...rows.map((r) => Number(r.total)), 1e-12);
    const scale = (v) => Math.max(1, ((width - labelW - valueW) * Number(v)) / max);
    const add = (tag, attrs, text) => {
      const node = document.createElementNS(SVG, tag);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
      if (text !== undefined) node.textContent = text;
      svg.appendChild(node);
      return node;
    };
    const tip = (node, text) => {
      const t = document.createElementNS(SVG, "title");
      t.textContent = text;
      node.appendChild(t);
    };
    rows.forEach((row, i) => {
      const top = gap / 2 + i * rowH;
      const y = top + labelH;
      if (narrow) add("text", { x: 0, y: top + 12 }, row.model);
      else add("text", { x: labelW - 8, y: y + barH - 3, "text-anchor": "end" }, row.model);
      tip(add("rect", { x: labelW, y, width: scale(row.total), height: barH, class: "calc-bar-plain",
        "data-model": row.model }), `${row.model}: ${row.total_display}`);
      add("text", { x: labelW + scale(row.total) + 6, y: y + barH - 3 }, row.total_display);
      if (row.cached_total !== null) {
        const y2 = y + barH + 4;
        tip(add("rect", { x: labelW, y: y2, width: scale(row.cached_total), height: barH,
          class: "calc-bar-cached", "data-model": row.model }),
        `${row.model} with prompt cache: ${row.cached_total_display}`);
        add("text", { x: labelW + scale(row.cached_total) + 6, y: y2 + barH - 3 },
          `${row.cached_total_display} cached`);
      }
    });
    $("calc-legend").hidden = false;
    svg.querySelector("desc").textContent = "Total cost per model: " +
      rows.map((r) => `${r.model} ${r.total_display}` +
        (r.cached_total_display ? ` (${r.cached_total_display} with cache)` : "")).join("; ") + ".";
  }
})();
