// Shared by every lab page script: read Server-Sent Events from a fetch() body
// (EventSource cannot POST) and turn an error response body into one sentence.
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

  window.apilab = Object.assign(window.apilab || {}, { readSSE, errorText });
})();
