"""Issue 10, items 3 and 7 in Chromium: a page on another site can neither frame the lab
nor change its state, whatever it sends."""

from __future__ import annotations

import time

import httpx
import pytest

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]


def test_the_lab_cannot_be_framed(lab, other_site, page) -> None:  # type: ignore[no-untyped-def]
    base, _app = lab
    site, handler = other_site
    handler.pages["/frame.html"] = (
        f'<html><body><iframe id="f" src="{base}/labs/api-basics" width="800" height="600">'
        "</iframe></body></html>").encode()
    page.goto(f"{site}/frame.html")
    time.sleep(1.0)
    frame = next(f for f in page.frames if f != page.main_frame)
    # Chromium replaces a frame refused by frame-ancestors with its own error page.
    assert "Lab assistant" not in frame.content()
    assert page.evaluate("() => { try { return document.getElementById('f')"
                         ".contentDocument === null || !document.getElementById('f')"
                         ".contentDocument.querySelector('#reset-form'); } catch (e) "
                         "{ return true; } }")


def test_cross_site_posts_change_nothing(lab, other_site, page) -> None:  # type: ignore[no-untyped-def]
    base, app = lab
    site, handler = other_site
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.post("/api/labs/api-basics/messages",
                           json={"message": "What is a 429?"}).status_code == 200
    handler.pages["/attack.html"] = f"""<html><body>
<form id="reset" method="post" action="{base}/labs/api-basics/reset"></form>
<script>
  const opts = {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}}}};
  Promise.all([
    fetch("{base}/sandbox/admin/keys", {{...opts, body: '{{"name": "x", "tier": "tier-5"}}'}}),
    fetch("{base}/api/drill/start", {{...opts, body: "{{}}"}}),
    fetch("{base}/api/labs/api-basics/messages", {{...opts, body: '{{"message": "hi"}}'}}),
    fetch("{base}/api/workbench/send", {{...opts,
          body: '{{"target": "provider", "stream": false}}'}}),
  ]).finally(() => {{ document.title = "sent"; document.getElementById("reset").submit(); }});
</script></body></html>""".encode()
    page.goto(f"{site}/attack.html")
    page.wait_for_url(f"{base}/labs/api-basics/reset", timeout=15_000)
    assert "request refused: the lab" in page.content()  # the 403, not a reset
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/api/labs/api-basics/messages").json()["messages"]
        assert not [k for k in client.get("/sandbox/admin/keys").json()["keys"]
                    if k["tier"] == "tier-5"]
        assert client.get("/api/drill").json() == {"drill": None}
    with app.state.db.session() as session:
        from apilab.storage import ledger

        assert ledger.list_calls(session) == []  # no provider call was made


def test_the_page_itself_works_under_its_policy(lab, page) -> None:  # type: ignore[no-untyped-def]
    base, _app = lab
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text
            else None)
    page.goto(f"{base}/labs/api-basics")
    page.fill("#message", "What is a 429?")
    page.click("#send")
    page.wait_for_selector(".msg.assistant:not(.streaming)")
    page.click("#reset-form button")  # the form with its CSRF token, same origin
    page.wait_for_selector("#empty-hint")
    assert errors == []
