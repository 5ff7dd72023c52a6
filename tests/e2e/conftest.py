"""Browser-test fixtures: a live server in a thread and a Chromium page.

Playwright drives Debian's Chromium (``/usr/bin/chromium``); no browser is
downloaded. Without Chromium these tests skip on a laptop and fail in CI.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests._services import require_chromium

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Run the lab server in a background thread; yields its base URL."""
    import uvicorn

    from apilab.web.app import create_app

    port = _free_port()
    # With a tutor worker, as `apilab serve` runs on two or more cores.
    app = create_app(settings.with_overrides(port=port, tutor_workers=1))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "live server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def wait_until(page, expression: str, arg: object = None, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """Poll a JS predicate until it is truthy.

    ``page.wait_for_function`` evaluates its string with ``eval`` inside the page,
    which the lab's Content-Security-Policy (rightly) forbids; ``page.evaluate``
    goes through the DevTools protocol, which the policy does not govern. The
    browser tests keep the real policy on, so a page script that needs inline
    code or eval fails here first.
    """
    deadline = time.monotonic() + timeout
    while True:
        if page.evaluate(expression, arg):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for: {expression}")
        time.sleep(0.05)


@pytest.fixture
def phone(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A page in a 390 x 844 viewport (a current phone held upright)."""
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


PHONE_WIDTH = 390

# Elements whose right edge passes the viewport, skipping those inside a box that scrolls
# on its own (a wide table or <pre> may, as long as the page itself does not).
_OVERFLOW_JS = r"""() => {
  const width = document.documentElement.clientWidth;
  const inScroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden'].includes(s.overflowX)) return true;
    }
    return false;
  };
  const wide = [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > width + 1 && !inScroller(el))
    .slice(0, 5)
    .map((el) => {
      const cls = typeof el.className === 'string' && el.className
        ? '.' + el.className.trim().split(/\s+/).join('.') : '';
      const id = el.id ? '#' + el.id : '';
      const right = Math.round(el.getBoundingClientRect().right);
      return `${el.tagName.toLowerCase()}${id}${cls} right=${right}`;
    });
  return {scrollWidth: document.documentElement.scrollWidth, width, wide};
}"""


def assert_fits_viewport(page, what: str = "") -> None:  # type: ignore[no-untyped-def]
    """The page does not scroll sideways: nothing is wider than the viewport."""
    result = page.evaluate(_OVERFLOW_JS)
    assert result["scrollWidth"] <= result["width"], (
        f"{what or page.url} is {result['scrollWidth']} px wide in a {result['width']} px "
        f"viewport; too wide: {result['wide']}")
