// Shared by every page script (loaded by base.html): read Server-Sent Events from a
// fetch() body (EventSource cannot POST), turn an error response body into one sentence,
// and POST JSON to the lab's API.
(function () {
  "use strict";

  async function readSSE(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let name = "message";
        const data = [];
        for (const line of frame.split("\n")) {
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length) await onEvent(name, JSON.parse(data.join("\n")));
      }
    }
  }

  // {"error": "..."} from apilab, or FastAPI's {"detail": [{loc, msg}]} validation list.
  function errorText(body, fallback) {
    if (body && typeof body.error === "string") return body.error;
    if (body && typeof body.detail === "string") return body.detail;
    if (body && Array.isArray(body.detail) && body.detail.length) {
      const d = body.detail[0];
      return `${(d.loc || []).slice(-1)[0] || "input"}: ${d.msg}`;
    }
    return fallback;
  }

  // POST a JSON body to the lab's API (the server refuses form posts) and return the JSON
  // answer; a refusal becomes an Error carrying the server's one-sentence reason.
  async function postJSON(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) {
      let message = data.error || ("The server answered " + response.status + ".");
      if (Array.isArray(message)) message = "Check the form and try again.";
      throw new Error(message);
    }
    return data;
  }

  window.apilab = Object.assign(window.apilab || {}, { readSSE, errorText, postJSON });
})();
