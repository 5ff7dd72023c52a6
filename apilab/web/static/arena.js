// Lab 3 rate-limit arena: form -> POST /api/arena/run/stream (SSE) -> table + SVG timelines.
// Hand-written, no framework; all text goes in through textContent.
(function () {
  "use strict";
  const form = document.getElementById("arena-form");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  let tierNotes = {};

  function fmtNum(n) { return Number(n).toLocaleString("en-US"); }
  function fmtSecs(s) {
    if (s === null || s === undefined) return "did not finish";
    if (s >= 120) return (s / 60).toFixed(1) + " min";
    return s.toFixed(1) + " s";
  }

  // --- options: the tier list comes from the server (the sandbox's presets).
  fetch("/api/arena/options").then((r) => r.json()).then((opts) => {
    const select = $("arena-tier");
    const current = select.value || opts.defaults.tier;
    select.textContent = "";
    for (const t of opts.tiers) {
      const o = document.createElement("option");
      o.value = t.name;
      // The name alone fits a phone-width select; the figures go in the note under it.
      o.textContent = t.name;
      if (t.name === current) o.selected = true;
      select.appendChild(o);
      tierNotes[t.name] = `${t.name}: ${fmtNum(t.rpm)} RPM / ${fmtNum(t.tpm)} TPM. ` +
        (t.label || "") + (t.as_of ? ` (example figures as of ${t.as_of})` : "");
    }
    showTierNote();
  }).catch(() => { /* the static default option still works */ });

  function showTierNote() { $("arena-tier-note").textContent = tierNotes[$("arena-tier").value] || ""; }
  $("arena-tier").addEventListener("change", showTierNote);

  function payload() {
    const data = new FormData(form);
    const int = (name) => Number.parseInt(data.get(name), 10);
    return {
      tier: data.get("tier"),
      clients: int("clients"),
      requests_per_client: int("requests_per_client"),
      input_tokens: int("input_tokens"),
      max_tokens: int("max_tokens"),
      seed: int("seed"),
      start_spread_s: Number.parseFloat(data.get("start_spread_s") || "0"),
      strategies: data.getAll("strategies"),
    };
  }

  function setProgress(done, total, text) {
    $("arena-progress").hidden = false;
    $("arena-progress-bar").style.width = total ? `${Math.round((100 * done) / total)}%` : "0%";
    $("arena-progress-text").textContent = text;
  }

  function showError(message) {
    const box = $("arena-error");
    box.textContent = message;
    box.hidden = false;
  }



  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("arena-run");
    $("arena-error").hidden = true;
    const body = payload();
    if (!body.strategies.length) { showError("Choose at least one strategy."); return; }
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    setProgress(0, body.strategies.length, "Starting…");
    try {
      const response = await fetch("/api/arena/run/stream", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        let detail = null;
        try { detail = await response.json(); } catch (_) { /* not JSON */ }
        throw new Error(window.apilab.errorText(detail, "The arena could not run."));
      }
      await window.apilab.readSSE(response, (name, data) => {
        if (name === "started") setProgress(0, data.total, `Running ${data.total} strategies…`);
        else if (name === "progress") {
          setProgress(data.done, data.total, `${data.done} of ${data.total} done: ${data.label}`);
        } else if (name === "result") {
          setProgress(1, 1, "Done.");
          render(data);
        } else if (name === "error") throw new Error(data.error);
      });
    } catch (err) {
      $("arena-progress").hidden = true;
      showError(err.message || String(err));
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });

  function render(data) {
    const cfg = data.config;
    $("arena-caption").textContent =
      `${cfg.clients} clients × ${cfg.requests_per_client} requests ` +
      (cfg.start_spread_s ? `starting within ${cfg.start_spread_s} s ` : "in one burst ") +
      `against ${cfg.tier.name} ` +
      `(${fmtNum(cfg.tier.rpm)} RPM, ${fmtNum(cfg.tier.tpm)} TPM), seed ${cfg.seed}; ` +
      `each request reserves ${fmtNum(cfg.input_tokens + cfg.max_tokens)} tokens.`;
    const tbody = $("arena-table").querySelector("tbody");
    tbody.textContent = "";
    // Best per column, not one "winner": the fastest finish was bought with wasted calls,
    // and the reading below says at what price.
    const fewestWasted = Math.min(...data.results.map((r) => r.wasted));
    for (const r of data.results) {
      const tr = document.createElement("tr");
      tr.dataset.strategy = r.strategy;
      const perRequest = r.successes ? (r.wasted / r.successes).toFixed(1) : "—";
      const cells = [
        r.label,
        fmtSecs(r.finish_s) + (r.unfinished ? ` (${r.unfinished} left)` : ""),
        fmtNum(r.requests), fmtNum(r.wasted), perRequest,
        fmtNum(r.ignored_retry_after), fmtNum(r.max_attempts),
      ];
      cells.forEach((text, i) => {
        const td = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) td.scope = "row"; else td.className = "num";
        td.textContent = text;
        if (i === 1 && r.finish_s === null) td.classList.add("bad");
        if ((i === 3 || i === 4) && r.wasted === fewestWasted) td.classList.add("ok");
        if (i === 5) td.classList.add(r.ignored_retry_after > 0 ? "bad" : "ok");
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    }
    const reading = $("arena-reading");
    reading.textContent = "";
    for (const line of data.reading || []) {
      const li = document.createElement("li");
      li.textContent = line;
      reading.appendChild(li);
    }
    const charts = $("arena-charts");
    charts.textContent = "";
    $("arena-results").hidden = false;
    // Draw at the width each chart's grid column really has (arena.css: one column on a
    // phone, two on a wide screen), so 12 px labels stay 12 px instead of a scaled drawing.
    const column = parseFloat(getComputedStyle(charts).gridTemplateColumns.split(" ")[0]);
    const width = Math.max(240, Math.floor(column || 460));
    for (const r of data.results) charts.appendChild(chart(r, data, cfg, width));
  }

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (parent) parent.appendChild(node);
    return node;
  }

  // One strategy: stacked bars per time slice (successes + 429s) and a cumulative line.
  function chart(result, data, cfg, width) {
    const W = width, H = 180, L = 44, R = 38, T = 10, B = 24;
    const iw = W - L - R, ih = H - T - B;
    const bins = result.timeline;
    const total = cfg.clients * cfg.requests_per_client;
    const peak = Math.max(1, ...bins.map((b) => b.successes + b.rate_limited));
    const fig = document.createElement("figure");
    fig.className = "arena-chart";
    fig.dataset.strategy = result.strategy;
    const cap = document.createElement("figcaption");
    cap.textContent = `${result.label}: finished ${fmtSecs(result.finish_s)}, ` +
      `${fmtNum(result.requests)} requests, ${fmtNum(result.rate_limited)} × 429`;
    fig.appendChild(cap);
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img",
      "aria-label": `Timeline for ${result.label}: ${cap.textContent}` });
    const bw = iw / bins.length;
    const y = (v) => T + ih - (ih * v) / peak;
    bins.forEach((b, i) => {
      const x = L + i * bw;
      if (b.successes) el("rect", { x, y: y(b.successes), width: Math.max(1, bw - 1),
        height: (ih * b.successes) / peak, class: "bar-ok" }, svg);
      if (b.rate_limited) el("rect", { x, y: y(b.successes + b.rate_limited),
        width: Math.max(1, bw - 1), height: (ih * b.rate_limited) / peak, class: "bar-429" }, svg);
    });
    // Cumulative share of work done, on its own 0-100 % scale (right axis).
    let done = 0;
    const pts = [`${L},${T + ih}`];
    bins.forEach((b, i) => {
      done += b.successes;
      pts.push(`${L + (i + 1) * bw},${T + ih - (ih * done) / total}`);
    });
    el("polyline", { points: pts.join(" "), class: "line-done", fill: "none" }, svg);
    // Axes and labels.
    el("line", { x1: L, y1: T + ih, x2: L + iw, y2: T + ih, class: "axis" }, svg);
    el("line", { x1: L, y1: T, x2: L, y2: T + ih, class: "axis" }, svg);
    const label = (x, yy, text, anchor) => {
      const t = el("text", { x, y: yy, "text-anchor": anchor || "middle" }, svg);
      t.textContent = text;
    };
    label(L - 4, T + 10, fmtNum(peak), "end");
    label(L - 4, T + ih, "0", "end");
    label(L + iw + 4, T + 10, "100%", "start");
    for (const f of (W < 400 ? [0, 0.5, 1] : [0, 0.25, 0.5, 0.75, 1])) {
      label(L + f * iw, H - 8, fmtSecs(f * data.axis_end_s), f === 0 ? "start" : f === 1 ? "end" : "middle");
    }
    fig.appendChild(svg);
    return fig;
  }
})();
