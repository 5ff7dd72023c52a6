"""The Lab 4 validation panel's API."""

from __future__ import annotations

import json


def test_examples_and_validate_round_trip(client) -> None:  # type: ignore[no-untyped-def]
    data = client.get("/api/prompts/examples").json()
    assert data["examples"] and data["rules"]
    bad = next(ex for ex in data["examples"] if ex["id"] == "business-rule")
    result = client.post("/api/prompts/validate", json={
        "output": bad["output"], "schema_text": json.dumps(data["schema"]),
        "rules": "\n".join(data["rules"]),
    }).json()
    assert result["act"] is False
    assert result["steps"][-1]["name"] == "business rules" and not result["steps"][-1]["ok"]


def test_a_schema_that_is_not_json_is_a_clear_422(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/prompts/validate", json={"output": "{}", "schema_text": "{oops"})
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["error"]
