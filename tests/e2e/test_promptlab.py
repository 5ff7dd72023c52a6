"""Lab 4's prompt workbench in a real browser: two versions, the injection pack, two runs
against the sandbox, and the comparison matrix showing which cases flipped."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]


def _run(page, version_label: str, previous: str | None) -> str:  # type: ignore[no-untyped-def]
    page.select_option("#pl-run-version", label=page.eval_on_selector(
        "#pl-run-version", "(s, v) => [...s.options].find(o => o.text.startsWith(v)).text",
        version_label))
    page.select_option("#pl-provider", "sandbox:echo")
    page.click("#pl-run")
    wait_until(page, "(prev) => { const s = document.getElementById('pl-run-status');"
                     " return s.dataset.done && s.dataset.done !== prev; }", previous or "",
               timeout=60)
    # Results streamed into the table, one row per case.
    assert page.locator("#pl-results tbody tr").count() == 10
    return page.get_attribute("#pl-run-status", "data-done") or ""


def test_two_versions_the_injection_pack_and_the_flips(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/labs/production-prompts")
    page.wait_for_selector("#pl-versions li[data-version='v1']")
    assert "Acme Invoicing" in page.input_value("#pl-system")  # v1 starts from the lesson

    # v2: the same prompt, answering in a JSON schema instead of free text.
    page.fill("#pl-name", "structured reply")
    page.select_option("#pl-mode", "json_schema")
    assert page.is_visible("#pl-schema")
    page.fill("#pl-note", "answer as JSON so injected text cannot reach the page")
    page.click("#pl-save")
    page.wait_for_selector("#pl-versions li[data-version='v2']")
    assert "Saved as v2" in page.inner_text("#pl-save-status")

    # The diff between the versions names what changed.
    page.click("#pl-versions li[data-version='v2'] button:has-text('diff v1')")
    page.wait_for_selector("#pl-diff pre .add")
    assert "+output: json_schema" in page.inner_text("#pl-diff")

    page.click("#pl-pack")
    wait_until(page, "document.querySelectorAll('#pl-cases li[data-kind=injection]').length === 8")
    assert "Added 8 attack cases" in page.inner_text("#pl-pack-status")

    first = _run(page, "v1", None)
    status = page.inner_text("#pl-run-status")
    assert "Done: 3/10 passed" in status  # echo repeats every attack: most defences fail
    assert page.locator("#pl-results td.pl-fail").count() == 7
    _run(page, "v2", first)
    assert "Done: 10/10 passed" in page.inner_text("#pl-run-status")
    assert "pipeline: bounds ✓ → parse ✓ → schema ✓" in page.inner_text("#pl-results")

    page.click("#pl-compare")
    page.wait_for_selector("#pl-matrix .pl-matrix")
    fixed = page.locator("#pl-matrix [data-flip='fixed']")
    assert fixed.count() == 7
    names = {fixed.nth(i).get_attribute("data-case") for i in range(fixed.count())}
    assert "Direct instruction override" in names and "Tool-call hijack" in names
    assert page.locator("#pl-matrix [data-flip='broke']").count() == 0
    assert "7 fixed, 0 broke" in page.inner_text("#pl-flip-count")
    assert page.locator("#pl-matrix .cell.pl-fail").count() == 7  # the A column's failures
