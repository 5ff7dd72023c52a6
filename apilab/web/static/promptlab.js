// Lab 4 prompt workbench: versions, test cases, streamed runs and the comparison matrix.
(function () {
  "use strict";
  const root = document.getElementById("pl-versions");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  let state = null;
  let editing = null; // the version shown in the editor

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  async function api(method, url, body) {
    const init = { method: method, headers: { Accept: "application/json" } };
    if (method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body || {});
    }
    const response = await fetch(url, init);
    if (!response.ok) {
      let data = null;
      try { data = await response.json(); } catch (e) { data = null; }
      throw new Error(window.apilab.errorText(data, `Request failed (${response.status}).`));
    }
    return response;
  }
  const versionLabel = (id) => {
    const v = state.versions.find((x) => x.id === id);
    return v ? v.label : "?";
  };

  // --- versions -------------------------------------------------------------------------
  function fillEditor(v) {
    editing = v;
    $("pl-name").value = v.name;
    $("pl-system").value = v.system;
    $("pl-user").value = v.user_template;
    $("pl-mode").value = v.output_mode;
    $("pl-max-tokens").value = v.max_tokens;
    $("pl-schema").value = v.schema_text;
    $("pl-rules").value = v.rules;
    $("pl-note").value = "";
    $("pl-structured").hidden = v.output_mode === "text";
  }

  async function showDiff(a, b) {
    const data = await (await api("GET", `/api/promptlab/diff?a=${a}&b=${b}`)).json();
    const box = $("pl-diff");
    box.textContent = "";
    box.append(el("p", "muted", `Changes from ${data.a} to ${data.b}:`));
    const pre = el("pre", "mono");
    if (!data.lines.length) pre.append(el("span", null, "(identical)"));
    data.lines.slice(2).forEach((line) => {
      const cls = line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : null;
      const span = el("span", cls, line + "\n");
      pre.append(span);
    });
    box.append(pre);
  }

  function renderVersions() {
    root.textContent = "";
    const newest = state.versions[state.versions.length - 1];
    state.versions.forEach((v, i) => {
      const li = el("li", v === newest ? "pl-current" : null);
      li.dataset.version = v.label;
      li.append(el("span", null, `${v.label} · ${v.name}`));
      if (v.note) li.append(el("span", "muted small", ` — ${v.note}`));
      const edit = el("button", "btn-secondary", "edit");
      edit.type = "button";
      edit.addEventListener("click", () => fillEditor(v));
      li.append(edit);
      if (i > 0) {
        const diff = el("button", "btn-secondary", `diff v${state.versions[i - 1].number}`);
        diff.type = "button";
        diff.addEventListener("click", () => showDiff(state.versions[i - 1].id, v.id));
        li.append(diff);
      }
      if (v !== newest) {
        const restore = el("button", "btn-secondary", "restore");
        restore.type = "button";
        restore.addEventListener("click", async () => {
          await api("POST", `/api/promptlab/versions/${v.id}/restore`);
          await load();
        });
        li.append(restore);
      }
      root.append(li);
    });
    if (!editing) fillEditor(newest);
    const select = $("pl-run-version");
    const keep = select.value;
    select.textContent = "";
    state.versions.slice().reverse().forEach((v) => {
      const opt = el("option", null, `${v.label} · ${v.name}`);
      opt.value = v.id;
      select.append(opt);
    });
    if (keep && state.versions.some((v) => String(v.id) === keep)) select.value = keep;
  }

  // --- cases ----------------------------------------------------------------------------
  function renderCases() {
    const list = $("pl-cases");
    list.textContent = "";
    state.cases.forEach((c) => {
      const li = el("li");
      li.dataset.kind = c.kind;
      li.append(el("span", `pl-kind ${c.kind}`, c.kind), el("span", null, c.name));
      li.title = (c.explain ? c.explain + "\n\n" : "") + c.asserts.map((a) =>
        `${a.type} ${a.value !== undefined ? JSON.stringify(a.value) : a.threshold}`).join("\n");
      const del = el("button", "btn-secondary", "delete");
      del.type = "button";
      del.setAttribute("aria-label", `Delete case ${c.name}`);
      del.addEventListener("click", async () => {
        await api("POST", `/api/promptlab/cases/${c.id}/delete`);
        await load();
      });
      li.append(del);
      list.append(li);
    });
  }

  // --- runs and comparison --------------------------------------------------------------
  function renderTargets() {
    const select = $("pl-provider");
    if (select.options.length) return;
    state.targets.forEach((t) => {
      const opt = el("option", null, t.label);
      opt.value = t.id;
      select.append(opt);
    });
  }

  function renderRunChoices(preferA, preferB) {
    ["pl-cmp-a", "pl-cmp-b"].forEach((id, side) => {
      const select = $(id);
      const keep = select.value;
      select.textContent = "";
      state.runs.filter((r) => r.status === "done").forEach((r) => {
        const opt = el("option", null,
          `#${r.id} ${versionLabel(r.version_id)} on ${r.provider}: ${r.passed}/${r.total}`);
        opt.value = r.id;
        select.append(opt);
      });
      const want = side === 0 ? preferA : preferB;
      if (want) select.value = String(want);
      else if (keep) select.value = keep;
    });
  }

  function resultRow(r) {
    const tr = el("tr", null);
    tr.dataset.case = r.name;
    tr.append(el("td", null, r.name));
    const verdict = el("td", r.error ? "pl-error" : r.pass ? "pl-pass" : "pl-fail",
      r.error ? "error" : r.pass ? "held / pass" : "fail");
    tr.append(verdict);
    const checks = el("td");
    (r.error ? [r.error] : r.checks.map((c) => `${c.pass ? "✓" : "✗"} ${c.type}: ${c.reason}`))
      .forEach((line) => checks.append(el("div", "why", line)));
    if (r.validation) {
      const steps = r.validation.steps.map((s) => `${s.name} ${s.skipped ? "–" : s.ok ? "✓" : "✗"}`);
      checks.append(el("div", "why", "pipeline: " + steps.join(" → ") + (r.validation.act ? " → act" : " → do not act")));
    }
    const details = el("details");
    details.append(el("summary", null, "output"), el("pre", "mono", r.output || ""));
    checks.append(details);
    tr.append(checks, el("td", null, `$${Number(r.cost_usd).toFixed(6)}`),
      el("td", null, `${Math.round(r.latency_ms)} ms`));
    return tr;
  }

  async function run() {
    const button = $("pl-run");
    const status = $("pl-run-status");
    const progress = $("pl-progress");
    const body = $("pl-results").querySelector("tbody");
    const previous = state.runs.find((r) => r.status === "done");
    button.disabled = true;
    body.textContent = "";
    status.textContent = "Starting…";
    let runId = null;
    try {
      const response = await api("POST", "/api/promptlab/runs", {
        version_id: Number($("pl-run-version").value), provider: $("pl-provider").value,
      });
      let done = 0;
      await window.apilab.readSSE(response, async (name, data) => {
        if (name === "start") {
          runId = data.run_id;
          progress.max = data.cases.length;
          progress.value = 0;
          progress.hidden = false;
          $("pl-results").hidden = false;
          status.textContent = `Running ${data.version} on ${data.provider}: ${data.cases.length} cases, ` +
            `${data.estimate.input_tokens} input tokens, at most $${Number(data.estimate.worst_usd).toFixed(4)}.`;
        } else if (name === "result") {
          done += 1;
          progress.value = done;
          body.append(resultRow(data));
        } else if (name === "done") {
          status.textContent = `Done: ${data.passed}/${data.total} passed, $${Number(data.cost_usd).toFixed(6)}` +
            (data.stopped ? ` (stopped: ${data.stopped})` : ".");
          status.dataset.done = String(data.run_id);
        } else if (name === "error") {
          status.textContent = data.error;
        }
      });
    } catch (err) {
      status.textContent = err.message;
    } finally {
      button.disabled = false;
      progress.hidden = true;
    }
    await load(previous ? previous.id : null, runId);
  }

  function matrixCell(side) {
    if (!side) return el("div", "cell pl-none", "—");
    return el("div", `cell ${side.pass ? "pl-pass" : "pl-fail"}`, side.pass ? "pass" : "fail");
  }

  async function compare() {
    const a = $("pl-cmp-a").value;
    const b = $("pl-cmp-b").value;
    const box = $("pl-matrix");
    box.textContent = "";
    if (!a || !b) { box.append(el("p", "muted", "Run two versions first.")); return; }
    let data;
    try {
      data = await (await api("GET", `/api/promptlab/compare?a=${a}&b=${b}`)).json();
    } catch (err) { box.append(el("p", "bad", err.message)); return; }
    const summary = el("div", "pl-summary");
    const fmt = (t) => `${t.version} on ${t.provider}: ${t.passed}/${t.total} passed, $${Number(t.cost_usd).toFixed(6)}, mean ${t.latency_ms_mean} ms`;
    summary.append(el("span", null, "A: " + fmt(data.a)), el("span", null, "B: " + fmt(data.b)));
    const delta = el("span", null, `B − A: ${data.delta.passed >= 0 ? "+" : ""}${data.delta.passed} passed, ` +
      `$${Number(data.delta.cost_usd).toFixed(6)}, ${data.delta.latency_ms_mean} ms; ` +
      `${data.flips.fixed} fixed, ${data.flips.broke} broke`);
    delta.id = "pl-flip-count";
    summary.append(delta);
    box.append(summary);
    if (!data.same_provider) box.append(el("p", "notice warn", "The two runs used different providers: a flip may come from the provider, not the prompt."));
    const grid = el("div", "pl-matrix");
    grid.setAttribute("role", "table");
    grid.setAttribute("aria-label", `Comparison of ${data.a.version} and ${data.b.version}`);
    grid.append(el("div", "head", "case"), el("div", "head", `A ${data.a.version}`),
      el("div", "head", `B ${data.b.version}`), el("div", "head", "change"));
    data.rows.forEach((row) => {
      const name = el("div", null, row.name);
      const change = el("div", row.flip ? `flip-${row.flip}` : "muted",
        row.flip === "fixed" ? "fixed ↑" : row.flip === "broke" ? "broke ↓" : "same");
      change.dataset.flip = row.flip || "";
      change.dataset.case = row.name;
      grid.append(name, matrixCell(row.a), matrixCell(row.b), change);
    });
    box.append(grid);
  }

  // --- load and wire --------------------------------------------------------------------
  async function load(preferA, preferB) {
    state = await (await api("GET", "/api/promptlab")).json();
    renderVersions();
    renderCases();
    renderTargets();
    renderRunChoices(preferA, preferB);
  }

  $("pl-mode").addEventListener("change", () => { $("pl-structured").hidden = $("pl-mode").value === "text"; });
  $("pl-editor").addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = $("pl-save-status");
    try {
      const saved = await (await api("POST", "/api/promptlab/versions", {
        name: $("pl-name").value, system: $("pl-system").value, user_template: $("pl-user").value,
        output_mode: $("pl-mode").value, schema_text: $("pl-schema").value, rules: $("pl-rules").value,
        max_tokens: Number($("pl-max-tokens").value), note: $("pl-note").value,
        temperature: editing ? editing.temperature : 0,
      })).json();
      status.textContent = `Saved as ${saved.label}.`;
      editing = saved;
      await load();
      $("pl-run-version").value = String(saved.id);
    } catch (err) { status.textContent = err.message; }
  });
  $("pl-pack").addEventListener("click", async () => {
    const status = $("pl-pack-status");
    try {
      const data = await (await api("POST", "/api/promptlab/pack")).json();
      status.textContent = data.added.length ? `Added ${data.added.length} attack cases.` : "You already have the whole pack.";
      await load();
    } catch (err) { status.textContent = err.message; }
  });
  $("pl-case-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const type = $("pl-case-type").value;
    const raw = $("pl-case-value").value;
    const check = { type: type };
    if (type === "latency" || type === "cost") check.threshold = Number(raw);
    else if (type === "similar") { check.value = raw; check.threshold = 0.4; }
    else if (type !== "is-json") check.value = raw;
    try {
      await api("POST", "/api/promptlab/cases", {
        name: $("pl-case-name").value, kind: $("pl-case-kind").value, input: $("pl-case-input").value,
        asserts: [check],
      });
      $("pl-case-status").textContent = "Added.";
      await load();
    } catch (err) { $("pl-case-status").textContent = err.message; }
  });
  $("pl-run").addEventListener("click", run);
  $("pl-compare").addEventListener("click", compare);
  load().catch((err) => { $("pl-run-status").textContent = err.message; });
})();
