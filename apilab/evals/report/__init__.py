"""Eval reports: JSON (a stable schema), JUnit XML for CI, a self-contained HTML page.

``write_report(run, path)`` picks the format from the file's suffix. Every
format reads its figures from ``EvalRun.stats()`` and the cells; none computes
its own. Held-out cells (``metadata.split: heldout``) appear only as counts
unless ``show_heldout`` is set, so a report shared while tuning never shows
what the held-out cases ask or what failed on them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from apilab.errors import ConfigError
from apilab.evals.report.html import to_html
from apilab.evals.report.jsonout import SCHEMA_VERSION, to_json, to_json_text
from apilab.evals.report.junit import to_junit

if TYPE_CHECKING:
    from apilab.evals.results import EvalRun

__all__ = ["SCHEMA_VERSION", "to_html", "to_json", "to_json_text", "to_junit", "write_report"]

_WRITERS = {".json": to_json_text, ".xml": to_junit, ".html": to_html, ".htm": to_html}


def write_report(run: EvalRun, path: str | Path, *, show_heldout: bool = False) -> Path:
    """Write the report in the format the suffix names (.json, .xml, .html)."""
    target = Path(path)
    writer = _WRITERS.get(target.suffix.lower())
    if writer is None:
        raise ConfigError(f"Cannot write {target.name}: use a .json, .xml (JUnit) or .html "
                          "file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(writer(run, show_heldout=show_heldout), encoding="utf-8")
    return target
