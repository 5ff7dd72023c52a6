// Lab 1 API workbench: build a request, POST /api/workbench/send, render the raw exchange
// (request, response headers, each SSE event as it arrives, usage, finish_reason, timing).
// Hand-written, no framework; everything from the server goes in through textContent.
(function () {
  "use strict";
  const form = document.getElementById("wb-form");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  let defaults = { openai: "gpt-4o-mini", anthropic: "claude-haiku-4-5", responses: "gpt-4o-mini" };
  // What each API style calls the cap, the system prompt and the end-of-reply field.
  const FIELDS = {
    openai: { cap: "max_tokens", system: "System message", finish: "finish_reason" },
    responses: { cap: "max_output_tokens", system: "Instructions", finish: "status" },
    anthropic: { cap: "max_tokens", system: "System prompt", finish: "stop_reason" },
  };
  let providers = {};
  let busy = false;
  const MAX_EVENTS_SHOWN = 400;

  function style() { return form.querySelector("input[name=style]:checked").value; }

  // --- options: models from the sandbox catalogue, which real providers are configured.
  fetch("/api/workbench/options").then((r) => r.json()).then((opts) => {
    defaults = opts.defaults.models || defaults;
    providers = opts.providers || {};
    const select = $("wb-model");
    const current = select.value;
    select.textContent = "";
    const groups = {};
    for (const m of opts.models) {
      if (!groups[m.provider]) {
        groups[m.provider] = document.createElement("optgroup");
        groups[m.provider].label = m.provider;
        select.appendChild(groups[m.provider]);
      }
      const o = document.createElement("option");
      o.value = m.id;
      o.textContent = m.id;
      groups[m.provider].appendChild(o);
    }
    select.value = current;
    if (!select.value) select.value = defaults[style()];
    targetNote();
  }).catch(() => { /* the static defaults still work */ });

  function targetNote() {
    const note = $("wb-target-note");
    if ($("wb-target").value === "provider" && style() === "responses") {
      note.textContent = "The Responses style runs on the built-in sandbox only (real calls go through the call layer, which uses Chat Completions).";
    } else if ($("wb-target").value === "provider") {
      note.textContent = providers[style()]
        ? `Sends to the real ${style()} API with the key from the environment; it costs money.`
        : `No ${style()} key is configured on this server: set it in the environment to use this.`;
    } else {
      note.textContent = "Free: the sandbox in this server, with the lab's own key.";
    }
  }
  $("wb-target").addEventListener("change", targetNote);
  for (const radio of form.querySelectorAll("input[name=style]")) {
    radio.addEventListener("change", () => {
      const select = $("wb-model");
      const others = Object.keys(defaults).filter((s) => s !== style()).map((s) => defaults[s]);
      if (others.includes(select.value) || !select.value) select.value = defaults[style()];
      labels();
      targetNote();
    });
  }

  function labels() {
    const f = FIELDS[style()] || FIELDS.openai;
    $("wb-max-tokens-label").textContent = f.cap;
    $("wb-system-label").textContent = f.system;
    $("wb-sum-finish-label").textContent = f.finish;
  }
  labels();

  function payload(scenario) {
    return {
      style: style(),
      target: $("wb-target").value,
      model: $("wb-model").value,
      system: $("wb-system").value,
      user: $("wb-user").value,
      max_tokens: Number.parseInt($("wb-max-tokens").value, 10),
      temperature: Number.parseFloat($("wb-temperature").value),
      stream: $("wb-stream").checked,
      scenario: scenario || "none",
    };
  }

  function reset() {
    $("wb-output").hidden = false;
    $("wb-error").hidden = true;
    $("wb-explain").hidden = true;
    for (const id of ["wb-request", "wb-curl", "wb-response-head", "wb-response-body", "wb-text", "wb-events", "wb-attempts"]) {
      $(id).textContent = "";
    }
    $("wb-response-body").hidden = true;
    $("wb-stream-box").hidden = true;
    $("wb-attempts").hidden = true;
    $("wb-event-count").textContent = "0";
    for (const id of ["status", "finish", "usage", "ttft", "total", "reqid"]) $(`wb-sum-${id}`).textContent = "…";
  }

  function showError(message) {
    const box = $("wb-error");
    box.textContent = message;
    box.hidden = false;
  }



  function pretty(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return text; }
  }

  function statusClass(status) {
    if (status === 200) return "ok";
    if (status === 429 || status === 503 || status === 529) return "warn";
    return "bad";
  }

  // Text carried by one upstream stream event, for the live "Reply text" view.
  function deltaText(ev) {
    let data;
    try { data = JSON.parse(ev.data); } catch (_) { return ""; }
    if (!data || typeof data !== "object") return "";
    if (Array.isArray(data.choices)) {
      return data.choices.map((c) => (c.delta && c.delta.content) || "").join("");
    }
    if (data.type === "content_block_delta" && data.delta) return data.delta.text || "";
    if (data.type === "response.output_text.delta") return data.delta || "";
    return "";
  }

  // {"prompt_tokens": 28, "completion_tokens": 9, "prompt_tokens_details": {"cached_tokens": 0}}
  // -> "prompt_tokens 28 · completion_tokens 9 (other fields 0)". Top-level counts always
  // show; a nested detail only when it is not zero (the raw body above has every field).
  function flatUsage(usage) {
    const parts = [];
    let zeros = 0;
    (function walk(obj, prefix) {
      for (const [k, v] of Object.entries(obj)) {
        const name = prefix ? `${prefix}.${k}` : k;
        if (v && typeof v === "object") walk(v, name);
        else if (v === null || v === undefined) continue;
        else if (prefix && (v === 0 || v === "0")) zeros += 1;
        else parts.push(`${name} ${v}`);
      }
    })(usage, "");
    return parts.join(" · ") + (zeros ? ` (${zeros} other field${zeros > 1 ? "s" : ""} 0)` : "");
  }

  // A request that ended before (or without) a summary: no field may stay "…".
  function settleSummary(status) {
    for (const id of ["status", "finish", "usage", "ttft", "total", "reqid"]) {
      const node = $(`wb-sum-${id}`);
      if (node.textContent === "…") node.textContent = "–";
    }
    if (status && $("wb-sum-status").textContent === "–") {
      $("wb-sum-status").textContent = status;
      $("wb-sum-status").className = "bad";
    }
  }

  // `backticked` spans become <code>; everything goes in as text, never as HTML.
  function renderCode(node, text) {
    node.textContent = "";
    String(text || "").split("`").forEach((part, i) => {
      if (i % 2) {
        const code = document.createElement("code");
        code.textContent = part;
        node.appendChild(code);
      } else if (part) {
        node.appendChild(document.createTextNode(part));
      }
    });
  }

  const handlers = {
    request(d) {
      const lines = [`${d.method} ${d.url}`];
      for (const [k, v] of Object.entries(d.headers)) lines.push(`${k}: ${v}`);
      $("wb-request").textContent = lines.join("\n") + "\n\n" + d.body;
      $("wb-curl").textContent = d.curl || "";
      $("wb-status").textContent = d.stream ? "Waiting for the stream…" : "Waiting for the reply…";
    },
    attempt(d) {
      const list = $("wb-attempts");
      list.hidden = false;
      const li = document.createElement("li");
      li.textContent = `attempt ${d.n}: HTTP ${d.status ?? "no response"} (${d.t_ms} ms)`;
      list.appendChild(li);
    },
    response(d) {
      const lines = [`HTTP/${d.http_version.replace("HTTP/", "")} ${d.status} ${d.reason}`];
      for (const [k, v] of Object.entries(d.headers)) lines.push(`${k}: ${v}`);
      $("wb-response-head").textContent = lines.join("\n");
      const badge = $("wb-sum-status");
      badge.textContent = `${d.status} ${d.reason}`;
      badge.className = statusClass(d.status);
    },
    sse(d) {
      $("wb-stream-box").hidden = false;
      $("wb-event-count").textContent = String(d.n);
      $("wb-status").textContent = `Streaming… ${d.n} events`;
      $("wb-text").textContent += deltaText(d);
      if (d.n > MAX_EVENTS_SHOWN) return;
      const li = document.createElement("li");
      const t = document.createElement("span");
      t.className = "t";
      t.textContent = `+${Math.round(d.t_ms)} ms`;
      li.appendChild(t);
      if (d.event) {
        const ev = document.createElement("span");
        ev.className = "ev";
        ev.textContent = `event: ${d.event}\n`;
        li.appendChild(ev);
      }
      li.appendChild(document.createTextNode(`data: ${d.data}`));
      $("wb-events").appendChild(li);
      $("wb-events").scrollTop = $("wb-events").scrollHeight;
    },
    body(d) {
      const box = $("wb-response-body");
      box.hidden = false;
      box.textContent = d.json ? pretty(d.text) : d.text;
    },
    summary(d) {
      $("wb-sum-finish").textContent = d.finish_reason || "–";
      $("wb-sum-usage").textContent = d.usage ? flatUsage(d.usage) : "–";
      $("wb-sum-ttft").textContent = d.ttft_ms != null ? `${Math.round(d.ttft_ms)} ms` : "–";
      $("wb-sum-total").textContent = d.total_ms != null ? `${Math.round(d.total_ms)} ms` : "–";
      $("wb-sum-reqid").textContent = d.request_id || "–";
      if (d.status == null) {
        $("wb-sum-status").textContent = d.outcome === "budget" ? "not sent (budget)" : "no response";
        $("wb-sum-status").className = "bad";
      }
      $("wb-cost-row").hidden = d.cost_usd == null;
      if (d.cost_usd != null) $("wb-sum-cost").textContent = `$${d.cost_usd}`;
      if (d.outcome === "length") $("wb-sum-finish").className = "warn";
      else $("wb-sum-finish").className = "";
      if (!$("wb-text").textContent && d.content) $("wb-text").textContent = d.content;
      const explain = $("wb-explain");
      explain.hidden = false;
      explain.className = "notice" + (d.outcome === "ok" ? "" : d.status === 200 ? " warn" : " bad");
      $("wb-intent").textContent = d.intent ? `What this did: ${d.intent}` : "";
      $("wb-intent").hidden = !d.intent;
      renderCode($("wb-explanation"), d.explanation);
      $("wb-status").textContent = "Done.";
    },
    error(d) { showError(d.error); settleSummary("not sent"); $("wb-status").textContent = ""; },
  };

  async function send(scenario) {
    if (busy) return;
    busy = true;
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    form.setAttribute("aria-busy", "true");
    reset();
    $("wb-status").textContent = "Sending…";
    try {
      const response = await fetch("/api/workbench/send", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(payload(scenario)),
      });
      if (!response.ok) {
        let detail = null;
        try { detail = await response.json(); } catch (_) { /* not JSON */ }
        throw new Error(window.apilab.errorText(detail, "The workbench could not send the request."));
      }
      await window.apilab.readSSE(response, (name, data) => { if (handlers[name]) handlers[name](data); });
    } catch (err) {
      showError(err.message || String(err));
      settleSummary("not sent");
      $("wb-status").textContent = "";
    } finally {
      settleSummary("no response");
      busy = false;
      buttons.forEach((b) => { b.disabled = false; });
      form.removeAttribute("aria-busy");
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); send("none"); });
  $("wb-copy-curl").addEventListener("click", () => {
    const text = $("wb-curl").textContent;
    if (navigator.clipboard) navigator.clipboard.writeText(text).catch(() => {});
  });
  for (const button of form.querySelectorAll("button[data-scenario]")) {
    button.addEventListener("click", () => send(button.dataset.scenario));
  }
})();
