"""Render apilab/web/static/favicon.svg to favicon.ico (16, 32 and 48 px PNGs in one ICO).

Uses Playwright with Debian's Chromium, so no image library is needed. Run after
editing the SVG:  .venv/bin/python scripts/favicon.py
"""

import struct
from pathlib import Path

from playwright.sync_api import sync_playwright

STATIC = Path(__file__).resolve().parent.parent / "apilab" / "web" / "static"
SIZES = (16, 32, 48)


def render(svg: str) -> list[tuple[int, bytes]]:
    """PNG bytes of the SVG at each size, transparent corners kept."""
    pngs = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                     args=["--headless=new", "--no-sandbox"])
        for size in SIZES:
            page = browser.new_page(viewport={"width": size, "height": size})
            sized = svg.replace("<svg ", f"<svg width={size} height={size} ", 1)
            page.set_content(f"<html><body style='margin:0'>{sized}</body></html>")
            pngs.append((size, page.screenshot(omit_background=True)))
        browser.close()
    return pngs


def ico(pngs: list[tuple[int, bytes]]) -> bytes:
    """An ICO file: a header, one directory entry per image, then the PNGs themselves."""
    out = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    for size, data in pngs:
        out += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return out + b"".join(data for _, data in pngs)


if __name__ == "__main__":
    data = ico(render((STATIC / "favicon.svg").read_text()))
    (STATIC / "favicon.ico").write_bytes(data)
    print(f"favicon.ico: {len(data)} bytes")
