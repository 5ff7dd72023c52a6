// Lab 2 leak drill: polls GET /api/drill (each poll lets the app and the attacker make their
// due calls), and drives the steps with POST /api/drill/<step>. The page only ever sees key ids
// and redacted hints. All text is set with textContent.
(function () {
  "use strict";
  const root = document.getElementById("drill-steps");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  let timer = null;
  let samples = [];
  let busy = false;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  const money = (v) => `$${Number(v || 0).toFixed(4)}`;

  async function call(method, url, body) {
    const response = await fetch(url, {
      method,
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (_e) { data = null; }
    if (!response.ok) {
      throw new Error((data && (data.error || (data.detail && JSON.stringify(data.detail))))
        || `The server answered ${response.status}.`);
    }
    return data;
  }

  function setStatus(text, cls) {
    const status = $("drill-status");
    status.className = cls || "muted";
    status.textContent = text;
  }

  function show(id, visible) { $(id).hidden = !visible; }

  function renderSteps(d) {
    const done = {
      issued: !!d,
      leaked: !!(d && d.leaked_at),
      revoked: !!(d && d.revoked_at),
      audited: !!(d && d.audit_total !== null && d.audit_total !== undefined),
      rotated: !!(d && d.rotated),
      configured: !!(d && d.app_config_updated),
      verified: !!(d && d.verified),
    };
    let current = null;
    for (const li of root.querySelectorAll("li")) {
      const isDone = done[li.dataset.step];
      li.classList.toggle("done", isDone);
      li.classList.remove("current");
      li.removeAttribute("aria-current");
      if (!isDone && !current && d && !d.finished) { current = li; }
    }
    if (current) { current.classList.add("current"); current.setAttribute("aria-current", "step"); }
  }

  function drawChart(d) {
    const total = Number(d.credit_usd) || 1;
    samples.push(Number(d.credit_left_usd));
    samples = samples.slice(-90);
    const svg = $("drill-chart");
    for (const node of Array.from(svg.childNodes)) if (node.nodeName !== "title") node.remove();
    const cap = document.createElementNS(SVG, "line");
    cap.setAttribute("class", "cap");
    cap.setAttribute("x1", "0"); cap.setAttribute("x2", "300");
    cap.setAttribute("y1", "6"); cap.setAttribute("y2", "6");
    svg.append(cap);
    if (samples.length < 2) return;
    const step = 300 / Math.max(samples.length - 1, 1);
    const points = samples.map((v, i) => `${(i * step).toFixed(1)},${(6 + (1 - v / total) * 68).toFixed(1)}`);
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("class", "line");
    line.setAttribute("points", points.join(" "));
    svg.append(line);
  }

  function renderKeys(d) {
    const tbody = $("drill-keys-table").querySelector("tbody");
    tbody.replaceChildren();
    for (const k of d.keys || []) {
      const tr = el("tr", { "data-key-id": k.id });
      const code = el("td"); code.append(el("code", {}, k.hint));
      tr.append(code, el("td", {}, k.role === "leaked" ? "leaked (original)" : "new (rotated)"));
      const state = el("td"); state.append(el("span", { class: k.revoked ? "badge bad" : "badge ok" },
        k.revoked ? "revoked" : "active"));
      tr.append(state, el("td", {}, k.in_app_config ? "in use by the app" : "—"));
      tbody.append(tr);
    }
    const select = $("drill-config-key");
    if (!select.options.length || select.options.length !== (d.keys || []).length) {
      select.replaceChildren(...(d.keys || []).map((k) => el("option", { value: k.id },
        `${k.hint} (${k.role === "leaked" ? "leaked" : "new"})`)));
      const fresh = (d.keys || []).find((k) => k.role === "new");
      if (fresh) select.value = fresh.id;
    }
  }

  function renderDebrief(d) {
    const debrief = d.debrief;
    show("drill-debrief", !!debrief);
    if (!debrief) return;
    $("drill-score").textContent = String(debrief.score);
    const tbody = $("drill-score-table").querySelector("tbody");
    tbody.replaceChildren(...debrief.parts.map((p) => {
      const tr = el("tr");
      tr.append(el("td", {}, p.step), el("td", { class: "num" }, `${p.points}/${p.max}`), el("td", {}, p.note));
      return tr;
    }));
    $("drill-debrief-lines").replaceChildren(...debrief.lines.map((l) => el("li", {}, l)));
  }

  function render(d) {
    renderSteps(d);
    const active = d && !d.finished;
    const leaked = !!(d && d.leaked_at);
    $("drill-start").textContent = d ? "Start a new drill" : "Start drill";
    show("drill-start", !active);
    show("drill-leak", !!(active && d.stage === "issued"));
    show("drill-revoke", !!(active && leaked && !d.revoked_at));
    show("drill-audit-open", !!(active && leaked));
    show("drill-rotate", !!(active && leaked && !d.rotated));
    show("drill-verify", !!(active && leaked && !d.verified));
    show("drill-reset", !!active);
    show("drill-live", leaked);
    show("drill-keys", !!d);
    show("drill-config-form", !!(active && d.rotated && !d.app_config_updated));
    const next = $("drill-next");
    next.hidden = !active;
    if (active) next.textContent = `Next: ${d.next_step}`;
    if (!d) {
      setStatus("Press Start drill to begin.");
      show("drill-commit", false); show("drill-debrief", false);
      $("drill-timeline").replaceChildren();
      return;
    }
    if (leaked) {
      $("drill-credit").textContent = money(d.credit_left_usd);
      $("drill-credit-total").textContent = money(d.credit_usd);
      const seconds = d.revoked_at ? d.seconds_to_revoke : d.seconds_since_leak;
      $("drill-timer").textContent = String(Math.round(seconds || 0));
      $("drill-attacks").textContent = String(d.attacker_calls);
      $("drill-attacker-spend").textContent = money(d.attacker_spend_usd);
      drawChart(d);
    }
    const appEvent = (d.events || []).filter((e) => e.event === "app-ok" || e.event === "app-down").pop();
    const appDown = appEvent && appEvent.event === "app-down";
    const badge = $("drill-app-status");
    badge.className = appDown ? "badge bad" : "badge ok";
    badge.textContent = appDown ? "failing (401)" : "working";
    if (d.commit) {
      show("drill-commit", true);
      $("drill-commit-sha").textContent = d.commit.sha;
      $("drill-commit-meta").textContent = `"${d.commit.message}" pushed to ${d.commit.repository}`;
      $("drill-commit-diff").textContent = d.commit.diff;
      const f = (d.commit.findings || [])[0];
      $("drill-commit-scan").textContent = f
        ? `apilab scan --staged would have refused this commit: ${f.rule} at ${f.path}:${f.line} (${f.redacted}).`
        : "";
    } else {
      show("drill-commit", false);
    }
    renderKeys(d);
    renderDebrief(d);
    $("drill-timeline").replaceChildren(...(d.events || []).map((e) =>
      el("li", {}, `${new Date(e.at).toLocaleTimeString()} — ${e.detail || e.event}`)));
    if (d.finished) setStatus(d.score !== null ? `Drill complete: ${d.score}/100.` : "Drill closed.", "ok");
    else if (leaked && !d.revoked_at) setStatus("The key is public and being used. Act now.", "bad");
    else setStatus(d.next_step, "muted");
  }

  function schedule(d) {
    if (timer) { clearTimeout(timer); timer = null; }
    if (d && !d.finished) timer = setTimeout(poll, 1000);
  }

  async function poll() {
    if (busy) { schedule({ finished: false }); return; }
    try {
      const data = await call("GET", "/api/drill");
      render(data.drill);
      schedule(data.drill);
    } catch (err) {
      setStatus(err.message, "bad");
      timer = setTimeout(poll, 3000);
    }
  }

  async function act(button, method, url, body) {
    busy = true;
    button.disabled = true;
    try {
      const data = await call(method, url, body);
      if (data && "drill" in data) { render(data.drill); schedule(data.drill); }
      return data;
    } catch (err) {
      setStatus(err.message, "bad");
      return null;
    } finally {
      busy = false;
      button.disabled = false;
    }
  }

  function renderAudit(data) {
    show("drill-audit", true);
    const tbody = $("drill-audit-table").querySelector("tbody");
    tbody.replaceChildren();
    const agents = new Map();
    for (const row of data.rows) {
      const tr = el("tr", { "data-request-id": row.request_id });
      const cell = el("td");
      const box = el("input", { type: "checkbox", name: "attacker", value: row.request_id,
        "aria-label": `Call ${row.request_id} was the attacker's` });
      box.dataset.agent = row.user_agent || "";
      cell.append(box);
      tr.append(cell,
        el("td", {}, new Date(row.time).toLocaleTimeString()),
        el("td", {}, row.user_agent || "—"),
        el("td", {}, row.model || "—"),
        el("td", { class: "num" }, `${row.input_tokens}/${row.output_tokens}`),
        el("td", { class: "num" }, money(row.cost)),
        el("td", { class: "num" }, String(row.status)));
      tbody.append(tr);
      agents.set(row.user_agent || "", (agents.get(row.user_agent || "") || 0) + 1);
    }
    const groups = $("drill-audit-groups");
    groups.replaceChildren(...Array.from(agents.entries()).map(([agent, count]) => {
      const b = el("button", { type: "button", class: "btn-secondary small", "data-agent": agent },
        `Tick all from ${agent || "(no user agent)"} (${count})`);
      b.addEventListener("click", () => {
        for (const box of tbody.querySelectorAll("input[name=attacker]")) {
          if (box.dataset.agent === agent) box.checked = true;
        }
      });
      return b;
    }));
  }

  async function openAudit(button) {
    const data = await act(button, "GET", "/api/drill/audit");
    if (data) { renderAudit(data); $("drill-audit").scrollIntoView({ block: "nearest" }); poll(); }
  }

  $("drill-start").addEventListener("click", (e) => { samples = []; $("drill-audit").hidden = true;
    $("drill-audit-result").textContent = ""; act(e.currentTarget, "POST", "/api/drill/start"); });
  $("drill-leak").addEventListener("click", (e) => act(e.currentTarget, "POST", "/api/drill/leak"));
  $("drill-revoke").addEventListener("click", (e) => act(e.currentTarget, "POST", "/api/drill/revoke"));
  $("drill-audit-open").addEventListener("click", (e) => openAudit(e.currentTarget));
  $("drill-audit-refresh").addEventListener("click", (e) => openAudit(e.currentTarget));
  $("drill-rotate").addEventListener("click", (e) => act(e.currentTarget, "POST", "/api/drill/rotate"));
  $("drill-verify").addEventListener("click", (e) => act(e.currentTarget, "POST", "/api/drill/verify"));
  $("drill-reset").addEventListener("click", (e) => { samples = []; $("drill-audit").hidden = true;
    act(e.currentTarget, "POST", "/api/drill/reset"); });
  $("drill-config-form").addEventListener("submit", (e) => {
    e.preventDefault();
    act($("drill-config-btn"), "POST", "/api/drill/configure", { key_id: $("drill-config-key").value });
  });
  $("drill-audit-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const boxes = Array.from($("drill-audit-table").querySelectorAll("input[name=attacker]"));
    const ids = boxes.filter((b) => b.checked).map((b) => b.value);
    const data = await act($("drill-audit-submit"), "POST", "/api/drill/audit",
      { attacker_ids: ids, shown_ids: boxes.map((b) => b.value) });
    if (data && data.audit_result) {
      const r = data.audit_result;
      const result = $("drill-audit-result");
      result.className = r.wrong.length ? "warn" : "ok";
      result.textContent = `${r.correct} of ${r.total} calls classified correctly.` +
        (r.wrong.length ? " The rows marked in red were wrong." : "") +
        (r.newer_calls ? ` ${r.newer_calls} newer call(s) arrived after you opened the log: ` +
          "refresh it to see them." : "");
      for (const tr of $("drill-audit-table").querySelectorAll("tbody tr")) {
        tr.classList.toggle("bad", r.wrong.includes(tr.dataset.requestId));
      }
    }
  });

  poll();
})();
