"""The lab 2 scanner panel in a real browser: pasted code, .gitignore, folder scans."""

from __future__ import annotations

import random

import pytest

from tests.e2e.conftest import wait_until
from tests.secretscan.keys import make_key

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]


def test_paste_code_shows_redacted_findings_with_fixes(live_server, page) -> None:  # type: ignore[no-untyped-def]
    key = make_key("anthropic-api-key", random.Random(1))  # TEST FIXTURE, generated now
    page.goto(f"{live_server}/labs/key-security")
    page.fill("#scan-filename", "public/app.js")
    page.fill("#scan-text", f'const client = new Anthropic({{ apiKey: "{key}" }});\n')
    page.click("#scan-text-btn")
    page.wait_for_selector("#scan-table tbody tr[data-rule=anthropic-api-key]")
    row = page.inner_text("#scan-table tbody tr")
    assert "sk-ant-api03-…" + key[-4:] in row
    assert "client-side" in row and "server" in row
    assert key not in page.inner_text("#panel-scanner").replace(page.input_value("#scan-text"), "")
    assert "1 finding" in page.inner_text("#scan-status")


def test_example_gitignore_and_folder_scan(live_server, page, clean_environ) -> None:  # type: ignore[no-untyped-def]
    from apilab.web.security.tokens import InstallTokens

    # The link `apilab serve` prints makes this browser the owner's (folder scans allowed).
    page.goto(f"{live_server}/?local={InstallTokens(clean_environ).local}")
    page.goto(f"{live_server}/labs/key-security")
    assert page.locator("#scan-path-locked").count() == 0
    page.click("#scan-example")
    page.click("#scan-text-btn")
    page.wait_for_selector("#scan-table tbody tr[data-rule=openai-project-key]")
    page.check("input[name=kind][value=gitignore]")
    page.fill("#scan-filename", "")
    page.fill("#scan-text", "node_modules/\ndist/\n")
    page.click("#scan-text-btn")
    page.wait_for_selector("#scan-table tbody tr[data-rule=gitignore-missing-env]")
    workspace = clean_environ / "workspace"  # a default scan root
    folder = workspace / "proj"
    folder.mkdir(parents=True)
    (folder / "settings.py").write_text(
        f'HF = "{make_key("huggingface-token", random.Random(2))}"\n')
    page.fill("#scan-path", str(folder))
    page.click("#scan-path-btn")
    page.wait_for_selector("#scan-table tbody tr[data-rule=huggingface-token]")
    assert "in 1 file(s)" in page.inner_text("#scan-status")
    page.fill("#scan-path", str(workspace / "missing"))
    page.click("#scan-path-btn")
    wait_until(page,
        "document.querySelector('#scan-status').textContent.includes('No such file')")
