"""``apilab scan``: find API keys and other secrets in files, the git index or history.

Exit codes: 0 clean, 1 findings, 2 usage or I/O error (with a message on stderr).
Every output format shows secrets redacted only.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from apilab.cli._common import exit_on_error, load_settings
from apilab.errors import InvalidInputError

if TYPE_CHECKING:
    from apilab.secretscan.files import ScanReport
    from apilab.secretscan.scanner import Finding


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


def _render_text(report: ScanReport) -> str:
    """Findings grouped by file (most confident first within a file), each fix shown once."""
    lines: list[str] = []
    by_path: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_path.setdefault(f.path or "<text>", []).append(f)
    for path, found in by_path.items():
        lines.append(f"{path}  ({len(found)} finding{'s' if len(found) != 1 else ''})")
        shown_fixes: set[str] = set()
        for f in sorted(found, key=lambda f: (f.line, -f.confidence)):
            commit = f"  (commit {f.commit[:10]})" if f.commit else ""
            shown = f"  {f.redacted}" if f.redacted else ""
            where = f"{f.line}:{f.column}" if f.line else "-"
            lines.append(f"  {where:>8}  {_band(f.confidence):<6} {f.rule}{shown}{commit}")
            lines.append(f"            {f.description}")
            if f.fix not in shown_fixes:
                shown_fixes.add(f.fix)
                lines.append(f"            fix: {f.fix}")
        lines.append("")
    summary = (
        f"{len(report.findings)} finding(s) in {report.files} file(s) scanned "
        f"({report.bytes / 1e6:.2f} MB, mode: {report.mode}"
        + (f", {report.suppressed} accepted in baseline" if report.suppressed else "")
        + ")."
    )
    if not report.findings:
        summary = "No secrets found. " + summary
    lines.append(summary)
    return "\n".join(lines)


def _band(confidence: float) -> str:
    """high (a provider's marker or layout), medium (layout by name), low (name + entropy)."""
    if confidence >= 0.9:
        return "high"
    return "medium" if confidence >= 0.7 else "low"


@exit_on_error
def scan(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Files or folders to scan (default: .).")
    ] = None,
    staged: Annotated[
        bool, typer.Option("--staged", help="Scan what is staged for the next commit.")
    ] = False,
    history: Annotated[
        bool, typer.Option("--history", help="Scan every commit reachable from HEAD.")
    ] = False,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.text,
    baseline: Annotated[
        str | None,
        typer.Option("--baseline", help="JSON file of accepted findings (by fingerprint)."),
    ] = None,
    update_baseline: Annotated[
        bool,
        typer.Option("--update-baseline", help="Write the current findings to --baseline."),
    ] = False,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the report to this file.")
    ] = None,
    min_confidence: Annotated[
        float, typer.Option("--min-confidence", min=0.0, max=1.0,
                            help="Drop findings below this confidence (0.9: provider keys "
                            "recognised by their own marker or layout; 0.7: also layouts known "
                            "by name; 0: also secret-like names with random values).")
    ] = 0.0,
    include_ignored: Annotated[
        bool, typer.Option("--include-ignored", help="Also scan files git ignores.")
    ] = False,
    install_hook: Annotated[
        bool, typer.Option("--install-hook", help="Install a git pre-commit hook and exit.")
    ] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1,
                                 help="Processes for a folder of many files (default: one per "
                                 "CPU; 1 scans in this process only).")
    ] = None,
) -> None:
    """Find API keys and other secrets (shown redacted). Exit 1 when any are found."""
    from apilab.secretscan import baseline as baseline_mod
    from apilab.secretscan import files, hook
    from apilab.secretscan.sarif import to_sarif
    from apilab.secretscan.scanner import fingerprint_key

    if install_hook:
        target = hook.install_hook(paths[0] if paths else ".")
        typer.echo(f"Installed the pre-commit hook at {target}: commits that add secrets "
                   "are now refused.")
        return
    if staged and history:
        raise InvalidInputError("Use --staged or --history, not both.")
    if update_baseline and not baseline:
        raise InvalidInputError("--update-baseline needs --baseline FILE to write to.")
    if (staged or history) and paths and len(paths) > 1:
        raise InvalidInputError("--staged/--history take at most one folder (the repository).")

    # Fingerprints are keyed (see secretscan.scanner): by the baseline's own key when there
    # is a baseline (a fresh one when writing a new or version-1 file), else by this
    # install's key, so the same finding keeps its fingerprint from run to run.
    key = baseline_mod.baseline_key(baseline) if baseline else None
    if update_baseline and not key:
        key = baseline_mod.new_key()
    if key is None:
        from apilab.storage.installkey import fingerprint_key as install_fingerprint_key

        key = install_fingerprint_key(load_settings().data_path)
    with fingerprint_key(key):
        if staged:
            report = files.scan_staged(paths[0] if paths else ".")
        elif history:
            report = files.scan_history(paths[0] if paths else ".")
        else:
            report = files.scan_paths(paths or ["."], include_ignored=include_ignored,
                                      jobs=jobs or files.default_jobs())
    report.findings = [f for f in report.findings if f.confidence >= min_confidence]

    if update_baseline:
        assert baseline is not None
        count = baseline_mod.write_baseline(baseline, report.findings, key)
        typer.echo(f"Wrote {count} accepted finding(s) to {baseline}. Review it before "
                   "committing: every entry is a secret you chose to keep.", err=True)
        return
    if baseline:
        report.findings, report.suppressed = baseline_mod.apply_baseline(
            report.findings, baseline_mod.load_baseline(baseline)
        )

    if output_format is OutputFormat.json:
        rendered = json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
    elif output_format is OutputFormat.sarif:
        rendered = json.dumps(to_sarif(report.findings), indent=2, ensure_ascii=False)
    else:
        rendered = _render_text(report)
    if output:
        try:
            Path(output).write_text(rendered + "\n", encoding="utf-8")
        except OSError as exc:
            raise InvalidInputError(f"Cannot write {output}: {exc}") from exc
        typer.echo(f"{len(report.findings)} finding(s); report written to {output}.", err=True)
    else:
        typer.echo(rendered)
    if report.findings:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add ``scan`` to the app."""
    app.command("scan")(scan)
