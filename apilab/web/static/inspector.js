/* API inspector: clicking button.inspect[data-message-id] opens <dialog id="inspector">
   with what happened behind that reply (GET /api/inspector/{id}). Built with textContent
   only (no HTML from the server is trusted); keyboard: the buttons are real buttons, the
   dialog is modal (Esc closes, focus returns to the button that opened it). */
(function () {
  "use strict";

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function ensureStyles() {
    if (document.querySelector('link[data-inspector-css]')) return;
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = "/static/inspector.css";
    link.dataset.inspectorCss = "1";
    document.head.append(link);
  }

  let dialog = null;
  let opener = null;

  function ensureDialog() {
    if (dialog) return dialog;
    ensureStyles();
    dialog = el("dialog");
    dialog.id = "inspector";
    dialog.setAttribute("aria-labelledby", "inspector-title");
    const head = el("div", "ins-head");
    const title = el("h2", null, "API inspector");
    title.id = "inspector-title";
    const close = el("button", "btn-secondary small", "Close");
    close.type = "button";
    close.addEventListener("click", () => dialog.close());
    head.append(title, close);
    const body = el("div", "ins-body");
    body.setAttribute("aria-live", "polite");
    dialog.append(head, body);
    dialog.addEventListener("close", () => { if (opener) opener.focus(); });
    document.body.append(dialog);
    return dialog;
  }

  function fmt(value, unit) {
    if (value === null || value === undefined || value === "") return "–";
    if (typeof value === "number") return (Math.round(value * 10) / 10).toLocaleString() + (unit || "");
    return String(value) + (unit || "");
  }

  function usd(value) {
    if (value === null || value === undefined) return "–";
    const n = Number(value);
    return "$" + (n < 0.01 ? n.toFixed(6) : n.toFixed(4));
  }

  function facts(pairs) {
    const dl = el("dl", "ins-facts");
    for (const [k, v] of pairs) {
      dl.append(el("dt", null, k), el("dd", null, v));
    }
    return dl;
  }

  function codeBlock(summary, data, open) {
    const details = el("details");
    if (open) details.open = true;
    details.append(el("summary", null, summary));
    const pre = el("pre", "code wrap-lines");
    pre.textContent = typeof data === "string" ? data : JSON.stringify(data, null, 2);
    details.append(pre);
    return details;
  }

  function attemptsTable(attempts) {
    const wrap = el("div", "table-scroll");
    const table = el("table", "data");
    const cap = el("caption", "muted", "Attempts (the call layer is the only retry loop)");
    const head = el("tr");
    for (const h of ["#", "Target", "Outcome", "HTTP", "Cause", "Wait after", "TTFT", "Time"]) {
      const th = el("th", null, h);
      th.scope = "col";
      head.append(th);
    }
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    for (const a of attempts) {
      const tr = el("tr");
      const outcome = el("td", a.outcome === "ok" ? "ok" : (a.outcome === "error" ? "bad" : "warn"), a.outcome);
      const wait = a.wait_s === null || a.wait_s === undefined ? "–" : `${a.wait_s.toFixed(2)} s (${a.wait_reason || "backoff"})`;
      tr.append(el("td", "num", a.number), el("td", null, `${a.provider}:${a.model}`), outcome,
        el("td", "num", fmt(a.status)), el("td", null, a.cause || "–"), el("td", null, wait),
        el("td", "num", fmt(a.ttft_ms, " ms")), el("td", "num", fmt(a.latency_ms, " ms")));
      tbody.append(tr);
    }
    table.append(cap, thead, tbody);
    wrap.append(table);
    return wrap;
  }

  // What the offline tutor's retrieval found: one row per candidate card, the chosen one
  // marked, with the word stems it matched and how confident the match was.
  function retrievalTable(rows) {
    const wrap = el("div", "table-scroll");
    const table = el("table", "data ins-retrieval");
    table.append(el("caption", "muted", "Retrieval: the answer cards closest to the question"));
    const head = el("tr");
    for (const h of ["Card", "Matched word stems", "Confidence", "Meaning"]) {
      const th = el("th", null, h);
      th.scope = "col";
      head.append(th);
    }
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    const pct = (v) => (typeof v === "number" ? `${Math.round(v * 100)}%` : "–");
    for (const r of rows) {
      const tr = el("tr", r.chosen ? "chosen" : null);
      const card = el("td");
      card.append(el("code", null, r.card || r.doc));
      if (r.chosen) card.append(" ", el("span", "badge ok", "used"));
      if (r.where === "other lab") card.append(" ", el("span", "badge", r.lab));
      if (r.about) card.append(el("div", "muted", r.about));
      tr.append(card, el("td", null, (r.matched || []).join(", ") || "–"),
        el("td", "num", pct(r.confidence)), el("td", "num", pct(r.semantic)));
      tbody.append(tr);
    }
    table.append(thead, tbody);
    wrap.append(table);
    return wrap;
  }

  function renderCall(call, index, total) {
    const section = el("section", "ins-call");
    const label = total > 1 ? `Call ${index + 1} of ${total} (tool round ${call.seq})` : "The call";
    section.append(el("h3", null, label));
    const t = call.tokens || {};
    const estimated = `${fmt(t.estimated_input)} in (${t.method || "?"}) + up to ${fmt(t.max_output)} out`;
    const actual = t.input === null || t.input === undefined ? "–"
      : `${fmt(t.input)} in${t.cached_input ? ` (${t.cached_input} cached)` : ""} + ${fmt(t.output)} out${t.exact === false ? " (estimated)" : ""}`;
    section.append(facts([
      ["Answered by", call.answered_by || "–"],
      ["Status", call.status + (call.error ? ` — ${call.error}` : "")],
      ["Request id", call.request_id || "–"],
      ["Tokens, estimated", estimated],
      ["Tokens, actual", actual],
      ["Cost", `reserved ${usd(call.cost.reserved_usd)}, settled ${usd(call.cost.actual_usd)}`],
      ["Time to first token", fmt(call.ttft_ms, " ms")],
      ["Total time", fmt(call.latency_ms, " ms")],
      ["Cache", call.cache_hit ? "hit (served from cache, $0)" : "miss"],
      ["Finish reason", call.finish_reason || "–"],
    ]));
    if (call.fallbacks && call.fallbacks.length) {
      const list = el("ul");
      for (const f of call.fallbacks) list.append(el("li", "warn", `Skipped ${f.from}: ${f.error} — ${f.reason}`));
      section.append(el("p", null, "Fallback taken:"), list);
    }
    if (call.attempts && call.attempts.length) section.append(attemptsTable(call.attempts));
    if (call.notes && call.notes.length) section.append(el("p", "muted", call.notes.join("; ")));
    if (call.request) section.append(codeBlock("Request as sent (key redacted)", call.request, false));
    if (call.streamed && call.events) section.append(codeBlock(`Stream events (${call.events.length})`, call.events, false));
    else if (call.response) section.append(codeBlock("Response", call.response, false));
    if (call.tool_calls && call.tool_calls.length) section.append(codeBlock("Tool calls the model asked for", call.tool_calls, true));
    return section;
  }

  function render(body, data) {
    body.replaceChildren();
    body.append(facts([
      ["Reply", `#${data.message_id} (${data.status})`],
      ["Backend", data.backend || "–"],
      ["Kind", data.kind === "model" ? "model call(s) through the call layer" : "offline tutor (in-process)"],
    ]));
    if (data.kind === "offline") {
      const off = data.offline;
      const d = off.details || {};
      body.append(el("p", "notice", off.note));
      body.append(facts([
        ["Decision", [...new Set([d.intent, d.answer_kind].filter(Boolean))].join(" · ") || "–"],
        ["Answer card", d.card || "none"],
        ["Counts toward completion", d.counts === undefined ? "–" : (d.counts ? "yes" : "no")],
        ["Objectives covered", (d.objectives || []).join(", ") || "none"],
        ["Tools used", (off.tools_used || []).join(", ") || "none"],
        ["Time", off.timing_ms && off.timing_ms.total !== undefined ? fmt(off.timing_ms.total, " ms") : "–"],
      ]));
      if (off.retrieval && off.retrieval.length) body.append(retrievalTable(off.retrieval));
      body.append(codeBlock("Raw details (JSON)", off.details, false));
      body.append(codeBlock("Timing (ms)", off.timing_ms, false));
      return;
    }
    const tot = data.totals;
    body.append(el("p", null,
      `${tot.calls} call(s), ${tot.attempts} attempt(s), ${tot.tokens_in} tokens in, ${tot.tokens_out} out, ${usd(tot.cost_usd)} in total.`));
    data.calls.forEach((c, i) => body.append(renderCall(c, i, data.calls.length)));
  }

  async function open(button) {
    const id = button.dataset.messageId;
    if (!id) return;
    opener = button;
    const d = ensureDialog();
    const body = d.querySelector(".ins-body");
    body.replaceChildren(el("p", "muted", "Loading…"));
    if (!d.open) d.showModal();
    try {
      const res = await fetch(`/api/inspector/${encodeURIComponent(id)}`, { headers: { Accept: "application/json" } });
      const data = await res.json();
      if (!res.ok) {
        body.replaceChildren(el("p", "notice bad", data.error || `Could not load the inspector (${res.status}).`));
        return;
      }
      render(body, data);
    } catch (err) {
      body.replaceChildren(el("p", "notice bad", "Could not reach the server. Check that apilab is running, then try again."));
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.inspect[data-message-id]");
    if (button) {
      event.preventDefault();
      open(button);
    }
  });
})();
