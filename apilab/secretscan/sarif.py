"""SARIF 2.1.0 output, in the shape GitHub code scanning accepts.

One run, one ``tool.driver`` listing the rules that fired, one result per
finding with a ``physicalLocation`` relative to ``%SRCROOT%`` and the
finding's fingerprint under ``partialFingerprints`` (GitHub uses it to track a
result across commits). Messages carry the redacted form only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from apilab.secretscan.rules import RULES_BY_ID
from apilab.secretscan.scanner import Finding

__all__ = ["SARIF_SCHEMA", "to_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_INFO_URI = "https://github.com/apilab/apilab/blob/main/docs/secretscan.md"


def _level(confidence: float) -> str:
    if confidence >= 0.85:
        return "error"
    return "warning" if confidence >= 0.5 else "note"


def _rule_entry(finding: Finding) -> dict[str, Any]:
    rule = RULES_BY_ID.get(finding.rule)
    description = rule.description if rule else finding.description
    fix = rule.fix if rule else finding.fix
    return {
        "id": finding.rule,
        "name": "".join(part.title() for part in finding.rule.split("-")),
        "shortDescription": {"text": description},
        "fullDescription": {"text": f"{description}. Fix: {fix}"},
        "help": {"text": fix, "markdown": fix},
        "defaultConfiguration": {"level": _level(finding.confidence)},
        "properties": {
            "tags": ["security", "secret"],
            "precision": "very-high" if finding.confidence >= 0.95 else "high"
            if finding.confidence >= 0.85 else "medium",
            "security-severity": "9.0" if finding.confidence >= 0.85 else "6.0",
        },
    }


def to_sarif(findings: Sequence[Finding], *, version: str = "0.1.0") -> dict[str, Any]:
    """A SARIF log (as a dict) for ``findings``."""
    rule_ids: list[str] = []
    rules: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for f in findings:
        if f.rule not in rule_ids:
            rule_ids.append(f.rule)
            rules.append(_rule_entry(f))
        shown = f" ({f.redacted})" if f.redacted else ""
        region: dict[str, Any] = {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)}
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": rule_ids.index(f.rule),
            "level": _level(f.confidence),
            "message": {"text": f"{f.description}{shown}. {f.fix}"},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": f.path or "stdin", "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }
            }],
            "partialFingerprints": {"apilabSecret/v1": f.fingerprint},
            "properties": {"confidence": f.confidence},
        }
        if f.commit:
            result["properties"]["commit"] = f.commit
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "apilab-secretscan",
                "informationUri": _INFO_URI,
                "semanticVersion": version,
                "rules": rules,
            }},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }
