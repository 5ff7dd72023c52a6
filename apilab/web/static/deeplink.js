// Deep linking: ask the server to sign the chosen labs, then post the JWT to the LMS
// with a form built here (the page's CSP allows that one platform as a form target).
(function () {
  "use strict";
  const form = document.getElementById("deep-link-form");
  if (!form) return;
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const result = document.getElementById("dl-result");
    const labs = Array.prototype.map.call(form.querySelectorAll("input[name=dl-lab]:checked"),
      function (box) { return box.value; });
    const response = await fetch("/api/lti/deep-link", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ launch: form.dataset.launch, labs: labs }),
    });
    const data = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      result.textContent = data.error || "The server answered " + response.status + ".";
      result.hidden = false;
      return;
    }
    const post = document.createElement("form");
    post.method = "POST";
    post.action = data.return_url;
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = "JWT";
    field.value = data.jwt;
    post.appendChild(field);
    document.body.appendChild(post);
    post.submit();
  });
})();
