"""The dashboard as CSV (one row per learner x lab) and JSON, for spreadsheets and LMSs.

CSV cells that a spreadsheet would run as a formula (leading ``= + - @``, tab or
carriage return) are prefixed with an apostrophe: a learner's display name is
untrusted text, and "CSV injection" runs it on the instructor's machine.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

__all__ = ["dashboard_csv", "dashboard_json", "safe_cell"]

CSV_COLUMNS = ("email", "name", "lab", "exchanges", "objectives", "objectives_total",
               "completed_at", "last_active", "stuck", "spend_month_usd")


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def dashboard_csv(data: dict[str, Any]) -> str:
    """One row per learner and lab."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in data["learners"]:
        for cell in row["labs"]:
            writer.writerow([safe_cell(v) for v in (
                row["email"], row["name"], cell["lab"], cell["exchanges"], cell["objectives"],
                cell["objectives_total"], cell["completed_at"] or "", row["last_active"] or "",
                "yes" if row["stuck"] else "no", row["spend_month_usd"])])
    return out.getvalue()


def dashboard_json(data: dict[str, Any]) -> str:
    """The whole dashboard as JSON."""
    return json.dumps(data, indent=2, default=str)
