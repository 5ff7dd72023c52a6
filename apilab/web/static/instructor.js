// The instructor's forms: create a class, change its settings, new join code, close it.
(function () {
  "use strict";

  const post = (url, body) => window.apilab.postJSON(url, body);  // sse.js

  function show(node, text, bad) {
    node.textContent = text;
    node.hidden = false;
    node.classList.toggle("bad", !!bad);
  }

  function ticked(form) {
    return Array.prototype.map.call(form.querySelectorAll("input[name=open-lab]:checked"),
      function (box) { return box.value; });
  }

  const create = document.getElementById("class-form");
  if (create) {
    create.addEventListener("submit", async function (event) {
      event.preventDefault();
      const result = document.getElementById("class-result");
      try {
        const data = await post("/api/classes", {
          slug: document.getElementById("class-slug").value,
          name: document.getElementById("class-name").value || null,
          backend: document.getElementById("class-backend").value || null,
          learner_daily_usd: document.getElementById("class-learner-daily").value || null,
          class_monthly_usd: document.getElementById("class-monthly").value || null,
          open_labs: ticked(create),
        });
        show(result, "Created " + data.name + ". Join code: " + data.join_code, false);
        window.setTimeout(function () { window.location.assign("/instructor/classes/" + data.slug); }, 800);
      } catch (e) { show(result, e.message, true); }
    });
  }

  const settings = document.getElementById("class-settings");
  if (settings) {
    const slug = settings.dataset.slug;
    const result = document.getElementById("settings-result");
    settings.addEventListener("submit", async function (event) {
      event.preventDefault();
      try {
        await post("/api/classes/" + encodeURIComponent(slug), {
          backend: document.getElementById("set-backend").value,
          model: document.getElementById("set-model").value,
          learner_daily_usd: document.getElementById("set-learner-daily").value || "off",
          class_monthly_usd: document.getElementById("set-monthly").value || "off",
          open_labs: ticked(settings),
        });
        show(result, "Saved.", false);
      } catch (e) { show(result, e.message, true); }
    });
    document.getElementById("new-code").addEventListener("click", async function () {
      try {
        const data = await post("/api/classes/" + encodeURIComponent(slug) + "/code", {});
        document.getElementById("join-code").textContent = data.join_code;
        show(result, "New join code: " + data.join_code + " (the old one no longer works).", false);
      } catch (e) { show(result, e.message, true); }
    });
    const close = document.getElementById("close-class");
    close.addEventListener("click", async function () {
      const closing = close.dataset.closed !== "true";
      try {
        await post("/api/classes/" + encodeURIComponent(slug) + "/close", { closed: closing });
        window.location.reload();
      } catch (e) { show(result, e.message, true); }
    });
  }
})();
