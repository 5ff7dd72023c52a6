"""Lab 4's prompt workbench engine and API: what is stored, what is refused, what a run records."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apilab.errors import InvalidInputError, NotFoundError, TooBusyError
from apilab.promptlab import PromptLab, VersionIn
from apilab.promptlab.lab import CaseIn


@pytest.fixture
def lab(settings) -> PromptLab:  # type: ignore[no-untyped-def]
    from apilab.storage.db import open_database

    return PromptLab(open_database(settings.db_url), settings)


def _version(**overrides: Any) -> VersionIn:
    data: dict[str, Any] = {"name": "v", "system": "Be brief. {{canary}}",
                            "user_template": "{{input}}"}
    data.update(overrides)
    return VersionIn(**data)


def test_first_visit_starts_from_the_lesson(lab: PromptLab) -> None:
    state = lab.state("ada")
    assert [v["label"] for v in state["versions"]] == ["v1"]
    assert "Acme Invoicing" in state["versions"][0]["system"]
    assert {c["kind"] for c in state["cases"]} == {"ordinary", "edge"}
    assert [t["id"] for t in state["targets"]] == ["sandbox:echo", "sandbox:gpt-4o-mini"]


def test_versions_are_append_only_and_restorable(lab: PromptLab) -> None:
    lab.state("ada")
    v2 = lab.save_version("ada", _version(name="short"))
    v3 = lab.restore("ada", lab.state("ada")["versions"][0]["id"])
    assert (v2["label"], v3["label"], v3["restored_from"]) == ("v2", "v3", 1)
    assert "Acme Invoicing" in v3["system"] and v3["note"] == "restored from v1"
    diff = lab.diff("ada", v2["id"], v3["id"])["lines"]
    assert "-name: short" in diff and "+name: support assistant (lesson 4)" in diff


@pytest.mark.parametrize(("overrides", "needle"), [
    ({"system": "Hi {{ user.name }}"}, "{{user}}"),
    ({"user_template": "{% for x in y %}{{input}}{% endfor %}"}, "{% for x in y %}"),
    ({"output_mode": "json_schema", "schema_text": "{nope"}, "not valid JSON"),
    ({"output_mode": "json_schema", "schema_text": '{"type": 5}'}, "invalid"),
    ({"output_mode": "json_object"}, "word JSON"),
])
def test_bad_versions_are_refused_and_nothing_is_stored(lab: PromptLab, overrides: dict[str, Any],
                                                        needle: str) -> None:
    lab.state("ada")
    with pytest.raises(InvalidInputError) as err:
        lab.save_version("ada", _version(**overrides))
    assert needle in str(err.value)
    assert len(lab.state("ada")["versions"]) == 1


def test_cases_check_assertions_and_the_pack_is_added_once(lab: PromptLab) -> None:
    with pytest.raises(InvalidInputError, match="unknown assertion type"):
        lab.add_case("ada", CaseIn(name="x", input="y", asserts=[{"type": "nope"}]))
    with pytest.raises(InvalidInputError, match="not available in the workbench"):
        lab.add_case("ada", CaseIn(name="x", input="y",
                                   asserts=[{"type": "llm-rubric", "value": "polite"}]))
    assert len(lab.add_pack("ada")["added"]) == 8
    assert lab.add_pack("ada")["added"] == []
    case = lab.add_case("ada", CaseIn(name="mine", input="hello",
                                      asserts=[{"type": "icontains", "value": "hello"}]))
    lab.delete_case("ada", case["id"])
    with pytest.raises(NotFoundError):
        lab.delete_case("ada", case["id"])


def test_learners_never_see_each_others_rows(lab: PromptLab) -> None:
    ada = lab.save_version("ada", _version(name="ada's"))
    with pytest.raises(NotFoundError):
        lab.diff("bob", ada["id"], ada["id"])
    with pytest.raises(NotFoundError):
        lab.restore("bob", ada["id"])
    assert all(v["name"] != "ada's" for v in lab.state("bob")["versions"])


def _events(client, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    response = client.post("/api/promptlab/runs", json=body)
    assert response.status_code == 200, response.text
    out = []
    for block in response.text.split("\n\n"):
        if block.strip():
            head, data = block.split("\n", 1)
            out.append((head.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return out


def test_a_run_streams_stores_and_compares(client) -> None:  # type: ignore[no-untyped-def]
    state = client.get("/api/promptlab").json()
    v1 = state["versions"][0]
    schema_version = {k: v1[k] for k in ("system", "user_template", "schema_text", "rules")}
    v2 = client.post("/api/promptlab/versions", json={
        **schema_version, "name": "json", "output_mode": "json_schema"}).json()
    client.post("/api/promptlab/pack", json={})
    first = _events(client, {"version_id": v1["id"], "provider": "sandbox:echo"})
    names = [name for name, _ in first]
    assert names[0] == "start" and names[-1] == "done" and names.count("result") == 10
    second = _events(client, {"version_id": v2["id"], "provider": "sandbox:echo"})
    structured = [d for n, d in second if n == "result"]
    assert all(r["validation"]["act"] for r in structured)  # through the validation pipeline
    a, b = first[-1][1]["run_id"], second[-1][1]["run_id"]
    stored = client.get(f"/api/promptlab/runs/{a}").json()
    assert stored["status"] == "done" and len(stored["results"]) == 10
    assert all(r["call_id"] for r in stored["results"])  # each case is a ledger row
    matrix = client.get(f"/api/promptlab/compare?a={a}&b={b}").json()
    assert matrix["flips"] == {"fixed": 7, "broke": 0}
    assert matrix["delta"]["passed"] == 7 and matrix["same_provider"]


def test_run_errors_are_4xx_before_any_stream(client) -> None:  # type: ignore[no-untyped-def]
    state = client.get("/api/promptlab").json()
    vid = state["versions"][0]["id"]
    assert client.post("/api/promptlab/runs", json={"version_id": vid,
                                                    "provider": "openai:gpt-4o"}).status_code == 422
    assert client.post("/api/promptlab/runs", json={"version_id": 4242,
                                                    "provider": "sandbox:echo"}).status_code == 404
    assert client.get("/api/promptlab/compare?a=1&b=99999999999").status_code == 422
    for case in state["cases"]:
        client.post(f"/api/promptlab/cases/{case['id']}/delete", json={})
    empty = client.post("/api/promptlab/runs", json={"version_id": vid, "provider": "sandbox:echo"})
    assert empty.status_code == 422 and "Add a test case" in empty.json()["error"]


def test_one_run_per_learner(lab: PromptLab) -> None:
    import asyncio

    from apilab.promptlab.runs import run_version

    lab.state("ada")
    lab.running.add("ada")

    async def start() -> None:
        await run_version(lab, "ada", 1, "sandbox:echo").__anext__()

    with pytest.raises(TooBusyError):
        asyncio.run(start())
