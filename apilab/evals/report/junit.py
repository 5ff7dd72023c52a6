"""JUnit XML for CI: one ``<testsuite>`` per prompt x provider, one ``<testcase>`` per cell.

A failed cell carries ``<failure>`` with each failing assertion's reason; a
cell whose call failed carries ``<error>``. Held-out cells keep their verdict
but not their content (name ``heldout #N``, no message). ``time`` is the
call's latency in seconds.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apilab.evals.results import CellResult, EvalRun

__all__ = ["to_junit"]


def to_junit(run: EvalRun, *, show_heldout: bool = False) -> str:
    """The run as a JUnit XML document."""
    groups: dict[tuple[str, str], list[CellResult]] = defaultdict(list)
    for cell in run.results:
        groups[(cell.prompt, cell.provider)].append(cell)
    root = ET.Element("testsuites", name=run.config.description or "apilab eval",
                      tests=str(len(run.results)),
                      failures=str(sum(not c.passed and not c.error for c in run.results)),
                      errors=str(sum(c.error for c in run.results)))
    for (prompt, provider), cells in groups.items():
        suite = ET.SubElement(root, "testsuite", name=f"{prompt} @ {provider}",
                              tests=str(len(cells)),
                              failures=str(sum(not c.passed and not c.error for c in cells)),
                              errors=str(sum(c.error for c in cells)),
                              time=f"{sum(c.output.latency_ms for c in cells) / 1000:.3f}")
        for cell in cells:
            hidden = cell.test.heldout and not show_heldout
            name = f"heldout #{cell.test.index + 1}" if hidden else cell.test.name
            if cell.repeat:
                name += f" (repeat {cell.repeat + 1})"
            case = ET.SubElement(suite, "testcase", name=name, classname=f"{prompt}.{provider}",
                                 time=f"{cell.output.latency_ms / 1000:.3f}")
            if cell.passed:
                continue
            tag = "error" if cell.error else "failure"
            message = "held out: details withheld" if hidden else "; ".join(cell.reasons())
            element = ET.SubElement(case, tag, message=message[:1000])
            if not hidden:
                element.text = f"output: {cell.output.text[:2000]}"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") \
        + "\n"
