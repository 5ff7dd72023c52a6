"""The Markdown renderer every page uses: folded sections, escaping, linear time."""

from __future__ import annotations

import time

from apilab.web.templating import render_markdown


def test_a_details_container_becomes_a_closed_fold_with_an_escaped_summary() -> None:
    html = str(render_markdown(
        "Answer.\n\n::: details If you meant \u201c<b>x</b>?\u201d\nOther **answer**.\n\n"
        "- one\n:::\n\n**Next:** y"))
    assert ("<details><summary>If you meant \u201c&lt;b&gt;x&lt;/b&gt;?\u201d</summary>"
            in html)
    assert "<p>Other <strong>answer</strong>.</p>" in html and "<li>one</li>" in html
    assert html.index("</details>") < html.index("<strong>Next:</strong>")
    assert " open" not in html  # closed until the learner opens it


def test_raw_html_stays_escaped_inside_a_fold() -> None:
    html = str(render_markdown("::: details t\n<script>alert(1)</script>\n"
                               "<img src=x onerror=alert(1)>\n:::"))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_unclosed_and_stacked_markers_render_in_linear_time() -> None:
    """Model output goes through the same renderer: markers it never closes must not cost
    more than the text's length."""
    def seconds(n: int) -> float:
        # The best of three: one pause of the process (a collection, a busy neighbour) in a
        # single run failed CI at 0.27 s against a 0.27 s bound.
        # (A different text each time: the renderer caches what it has rendered.)
        best = float("inf")
        for run in range(3):
            text = "::: details x\n" * n + "text\n" * n + f"run {run} of {n}\n"
            started = time.perf_counter()
            render_markdown(text)
            best = min(best, time.perf_counter() - started)
        return best

    small, large = seconds(500), seconds(4000)
    assert large < max(small, 0.002) * 8 * 4  # 8x the text; generous for a noisy machine
