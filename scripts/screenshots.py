"""Take a screenshot of every page at laptop (1280 px) and phone (390 px) width into
docs/screenshots/, from a fresh lab server with a little progress in it.

Drives Debian's Chromium through Playwright; nothing is downloaded. Run after a visible
change:  .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
WIDTHS = {"laptop": (1280, 900), "phone": (390, 844)}
QUESTIONS = {  # one counted exchange in two labs, so the pages are not empty
    "api-basics": "What goes in the Authorization header?",
    "rate-limits-cost": "why add jitter to retries?",
}
_ASK = """async ([lab, message]) => {
  const r = await fetch('/api/labs/' + lab + '/messages', {method: 'POST',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify({message})});
  await r.text();
}"""


def pages() -> dict[str, str]:
    from apilab.content import load_course

    course = load_course()
    found = {"course-map": "/", "progress": "/progress", "api-docs": "/api/docs",
             "not-found": "/labs/no-such-lab"}
    for i, lesson in enumerate(course.lessons, start=1):
        found[f"lesson-{i}"] = f"/lessons/{lesson.id}"
    for i, lab in enumerate(course.labs, start=1):
        found[f"lab-{i}"] = f"/labs/{lab.id}"
    return found


def serve(data_dir: str) -> str:
    import uvicorn

    from apilab.settings import get_settings
    from apilab.web.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    os.environ["APILAB_DATA_DIR"] = data_dir
    app = create_app(get_settings(port=port))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}"


def main() -> int:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data_dir:
        base = serve(data_dir)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=["--headless=new", "--no-sandbox"])
            page = browser.new_page()
            page.goto(base + "/")
            for lab, question in QUESTIONS.items():
                page.evaluate(_ASK, [lab, question])
            for kind, (width, height) in WIDTHS.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                tab = context.new_page()
                for name, path in pages().items():
                    tab.goto(base + path)
                    tab.wait_for_load_state("networkidle")
                    target = OUT / f"{name}-{kind}.png"
                    tab.screenshot(path=str(target))  # the first screenful, as a visitor sees it
                    print(f"{target.relative_to(ROOT)}")
                context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
