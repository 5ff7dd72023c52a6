"""SARIF output: the 2.1.0 shape GitHub code scanning reads, secrets redacted."""

from __future__ import annotations

import json
import random

from apilab.secretscan import find_secrets
from apilab.secretscan.sarif import to_sarif
from tests.secretscan.keys import make_key


def test_sarif_document_shape_and_redaction() -> None:
    rng = random.Random(2)
    keys = [make_key("openai-admin-key", rng), make_key("github-token", rng)]
    third = make_key("openai-admin-key", rng)
    text = f'ADMIN = "{keys[0]}"\nGH = "{keys[1]}"\nADMIN2 = "{third}"\n'
    findings = find_secrets(text, "src/app.py")
    doc = to_sarif(findings)
    blob = json.dumps(doc)
    assert all(k not in blob for k in keys)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "apilab-secretscan"
    assert [r["id"] for r in driver["rules"]] == ["openai-admin-key", "github-token"]
    assert all(r["help"]["text"] and r["shortDescription"]["text"] for r in driver["rules"])
    results = run["results"]
    assert [r["ruleIndex"] for r in results] == [0, 1, 0]
    loc = results[1]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "src/app.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"]["startLine"] == 2 and loc["region"]["startColumn"] >= 1
    assert results[0]["level"] == "error"
    assert set(results[0]["partialFingerprints"]) == {"apilabSecret/v1"}
    assert "gh" in results[1]["message"]["text"] and "…" in results[1]["message"]["text"]


def test_empty_sarif_is_still_a_valid_run() -> None:
    doc = to_sarif([])
    assert doc["runs"][0]["results"] == [] and doc["runs"][0]["tool"]["driver"]["rules"] == []
