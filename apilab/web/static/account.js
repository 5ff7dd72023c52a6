// Sign-in, reset, joining a class, signing out and deleting your data: JSON posts to the
// lab's API (the server refuses form posts), messages shown next to each form.
(function () {
  "use strict";

  const post = (url, body) => window.apilab.postJSON(url, body);  // sse.js

  function show(node, text, bad) {
    if (!node) return;
    node.textContent = text;
    node.hidden = false;
    node.classList.toggle("bad", !!bad);
  }

  const signin = document.getElementById("signin-form");
  if (signin) {
    signin.addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = document.getElementById("signin-submit");
      const error = document.getElementById("signin-error");
      error.hidden = true;
      button.disabled = true;
      button.textContent = "Signing in…";
      try {
        const next = signin.dataset.next || "/";
        const data = await post("/api/auth/signin?next=" + encodeURIComponent(next), {
          email: document.getElementById("signin-email").value,
          password: document.getElementById("signin-password").value,
        });
        window.location.assign(data.next || "/");
      } catch (e) {
        show(error, e.message, true);
        button.disabled = false;
        button.textContent = "Sign in";
      }
    });
  }

  const reset = document.getElementById("reset-form");
  if (reset) {
    reset.addEventListener("submit", async function (event) {
      event.preventDefault();
      try {
        await post("/api/auth/reset", { token: reset.dataset.token,
          password: document.getElementById("reset-password").value });
        window.location.assign("/");
      } catch (e) { show(document.getElementById("reset-error"), e.message, true); }
    });
  }

  const signout = document.getElementById("signout");
  if (signout) {
    signout.addEventListener("click", async function () {
      const data = await post("/api/auth/signout", {});
      // Signed in through the identity provider: sign out there too (it comes back to /signin).
      window.location.assign(data && data.logout_url ? data.logout_url : "/signin");
    });
  }

  const join = document.getElementById("join-form");
  if (join) {
    join.addEventListener("submit", async function (event) {
      event.preventDefault();
      const result = document.getElementById("join-result");
      try {
        const data = await post("/api/classes/join", { code: document.getElementById("join-code").value });
        show(result, "You joined " + data.name + ".", false);
        window.setTimeout(function () { window.location.assign("/account"); }, 600);
      } catch (e) { show(result, e.message, true); }
    });
  }

  const del = document.getElementById("delete-form");
  if (del) {
    del.addEventListener("submit", async function (event) {
      event.preventDefault();
      const result = document.getElementById("delete-result");
      try {
        const data = await post("/api/me/delete", { confirm: document.getElementById("delete-confirm").value });
        show(result, "Deleted: " + data.deleted.messages + " messages. Your account is gone.", false);
        window.setTimeout(function () { window.location.assign("/"); }, 1200);
      } catch (e) { show(result, e.message, true); }
    });
  }
})();
