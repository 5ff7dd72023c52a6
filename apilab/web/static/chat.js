// Lab chat: send a message, read the SSE reply stream, update progress.
// Learner text is only ever inserted with textContent; assistant HTML comes
// from the server already sanitized (markdown-it + nh3).
(function () {
  "use strict";
  const chat = document.getElementById("chat");
  if (!chat) return;
  const lab = chat.dataset.lab;
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const send = document.getElementById("send");
  const status = document.getElementById("status");
  const transcript = document.getElementById("transcript");
  const counter = document.getElementById("exchange-count");
  const why = document.getElementById("why-not-counted");
  const completion = document.getElementById("completion-state");

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scrollDown() { transcript.scrollTop = transcript.scrollHeight; }

  function setBusy(busy, text) {
    send.disabled = busy;
    input.setAttribute("aria-busy", busy ? "true" : "false");
    status.textContent = text || "";
  }

  function markObjectives(ids) {
    (ids || []).forEach(function (id) {
      const li = document.getElementById("obj-" + id);
      if (li && !li.classList.contains("covered")) {
        li.classList.add("covered");
        const sr = li.querySelector(".sr-status");
        if (sr) sr.textContent = " (covered)";
      }
    });
  }

  function assistantBubble() {
    const div = el("div", "msg assistant streaming");
    const body = el("div", "body");
    const meta = el("div", "meta");
    div.append(body, meta);
    transcript.append(div);
    return div;
  }

  function finish(div, data) {
    div.classList.remove("streaming");
    div.dataset.messageId = data.reply_id;
    div.querySelector(".body").innerHTML = data.html; // sanitized server-side
    const meta = div.querySelector(".meta");
    meta.textContent = "";
    meta.append(el("span", "badge " + (data.counted ? "ok" : "warn"), data.counted ? "Counted" : "Not counted"));
    meta.append(el("span", null, data.backend));
    const inspect = el("button", "inspect btn-secondary small", "Inspect");
    inspect.type = "button";
    inspect.dataset.messageId = data.reply_id;
    meta.append(inspect);
    if (!data.counted && data.why_not_counted) div.append(el("p", "muted why", data.why_not_counted));
    if (data.retracted_reply_id) {
      // "no, I mean ...": the answer before missed, and its count was taken back.
      const earlier = document.querySelector(`.msg[data-message-id="${Number(data.retracted_reply_id)}"] .meta .badge`);
      if (earlier) {
        earlier.className = "badge warn";
        earlier.textContent = "Not counted";
      }
    }
    counter.textContent = data.exchange_count;
    why.textContent = data.counted ? "" : (data.why_not_counted || "The last message did not count.");
    markObjectives(data.objectives_covered);
    if (data.completed_at) showCompletion(data.completed_at, data.exchange_count, data.min_exchanges);
    else if (data.exchange_count) {
      completion.textContent = "";
      completion.append(el("span", "badge", "In progress"));
    }
  }

  // The same wording as templates/_completion.html: a lab completed before its conversation
  // was reset stays complete, and the page says both that and where the new count stands.
  function showCompletion(at, count, needed) {
    const time = el("time", null, at.replace("T", " ").slice(0, 16) + " UTC");
    time.setAttribute("datetime", at);
    completion.textContent = "";
    if (count >= needed) {
      const muted = el("span", "muted", "on ");
      muted.append(time);
      completion.append(el("span", "badge ok", "Lab complete"), document.createTextNode(" "), muted);
    } else {
      const badge = el("span", "badge ok", "Completed on ");
      badge.append(time);
      completion.append(badge, document.createTextNode(" "), el("span", "muted completion-reset",
        "Conversation reset since: " + count + " of " + needed + " in this conversation."));
    }
  }

  function fail(div, message) {
    div.classList.remove("streaming");
    div.classList.add("interrupted");
    div.append(el("p", "bad", message));
  }


  async function sendMessage(text) {
    const hint = document.getElementById("empty-hint");
    if (hint) hint.remove();
    setBusy(true, "Sending…");
    let bubble = null;
    try {
      const response = await fetch("/api/labs/" + encodeURIComponent(lab) + "/messages", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
        body: JSON.stringify({ message: text }),
      });
      if (!response.ok) {
        let message = "The server refused the message (HTTP " + response.status + ").";
        try {
          message = window.apilab.errorText(await response.json(), message);
        } catch (e) { /* keep the generic message */ }
        setBusy(false, message);
        return;
      }
      input.value = "";
      setBusy(true, "The assistant is answering…");
      await window.apilab.readSSE(response, function (name, data) {
        const ev = { event: name, data: data };
        if (ev.event === "accepted") {
          const learner = el("div", "msg learner", ev.data.content); // redacted by the server
          learner.dataset.messageId = ev.data.message_id;
          transcript.append(learner);
          if (ev.data.secret_detected) setBusy(true, "A key-like secret was detected and redacted before storing.");
          bubble = assistantBubble();
        } else if (ev.event === "delta" && bubble) {
          bubble.querySelector(".body").textContent += ev.data.text;
          chat.dispatchEvent(new CustomEvent("apilab:delta", { detail: ev.data }));
        } else if (ev.event === "completed" && bubble) {
          finish(bubble, ev.data);
        } else if (ev.event === "failed") {
          if (!bubble) bubble = assistantBubble();
          fail(bubble, ev.data.message);
        }
        scrollDown();
      });
      setBusy(false, "");
    } catch (err) {
      if (bubble) fail(bubble, "The connection broke before the reply finished. Your message is saved; ask again.");
      setBusy(false, "Network error: " + err.message);
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) { setBusy(false, "Type a message first."); input.focus(); return; }
    sendMessage(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  document.querySelectorAll("button.starter").forEach(function (button) {
    button.addEventListener("click", function () {
      input.value = button.textContent;
      input.focus();
    });
  });
  scrollDown();
})();
