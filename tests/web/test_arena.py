"""The arena's JSON/SSE API and its panel on the rate-limits-cost lab page."""

from __future__ import annotations

import json

import pytest

from apilab.arena import STRATEGIES


def _sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for frame in text.strip().split("\n\n"):
        name = next(line[7:] for line in frame.splitlines() if line.startswith("event: "))
        data = next(line[6:] for line in frame.splitlines() if line.startswith("data: "))
        events.append((name, json.loads(data)))
    return events


def test_options_list_tiers_strategies_and_defaults(client) -> None:
    body = client.get("/api/arena/options").json()
    names = [t["name"] for t in body["tiers"]]
    assert {"free", "tier-1"} <= set(names)
    assert "lab" not in names  # the lab's own key tier is not a lesson
    free = next(t for t in body["tiers"] if t["name"] == "free")
    assert free["rpm"] == 3 and free["as_of"]  # dated example figures
    assert [s["name"] for s in body["strategies"]] == list(STRATEGIES)
    # A burst against a tight tier: where the herd, wasted calls and Retry-After show.
    assert body["defaults"] | {"strategies": None} == {
        "tier": "anthropic-tier-1", "clients": 50, "requests_per_client": 2,
        "start_spread_s": 0.0, "input_tokens": 700, "max_tokens": 300, "seed": 1,
        "strategies": None}
    assert body["defaults"]["tier"] in names


def test_run_returns_timelines_and_summary(client) -> None:
    response = client.post("/api/arena/run", json={"tier": "tier-1", "seed": 4, "clients": 20,
                                                   "requests_per_client": 5})
    assert response.status_code == 200
    body = response.json()
    assert [r["strategy"] for r in body["results"]] == list(STRATEGIES)
    for result in body["results"]:
        assert result["successes"] == 100
        assert len(result["timeline"]) == body["config"]["bins"]
        assert {"finish_s", "rate_limited", "wasted", "ignored_retry_after",
                "requests"} <= set(result)
        assert "_events" not in result


def test_run_is_deterministic_for_a_seed(client) -> None:
    request = {"tier": "tier-1", "seed": 99, "clients": 12, "strategies": ["jitter", "fixed"]}
    first = client.post("/api/arena/run", json=request).json()
    second = client.post("/api/arena/run", json=request).json()
    assert first == second
    other = client.post("/api/arena/run", json={**request, "seed": 100}).json()
    assert other["results"] != first["results"]


def test_stream_reports_progress_then_the_result(client) -> None:
    response = client.post("/api/arena/run/stream", json={"strategies": ["immediate", "jitter"]})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _sse(response.text)
    names = [name for name, _ in events]
    assert names == ["started", "progress", "progress", "result"]
    assert [data["done"] for name, data in events if name == "progress"] == [1, 2]
    result = events[-1][1]
    assert [r["strategy"] for r in result["results"]] == ["immediate", "jitter"]
    # The streamed result is the same run as the JSON endpoint's.
    plain = client.post("/api/arena/run", json={"strategies": ["immediate", "jitter"]}).json()
    assert plain == result


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"tier": "platinum"}, "Unknown tier 'platinum'"),
        ({"clients": 0}, "clients must be"),
        ({"strategies": []}, "at least one strategy"),
        ({"strategies": ["yolo"]}, "Unknown strategy"),
        ({"tier": "tier-1", "input_tokens": 30_000}, "could never be admitted"),
    ],
)
@pytest.mark.parametrize("path", ["/api/arena/run", "/api/arena/run/stream"])
def test_bad_input_is_a_422_with_a_message(client, path: str, body: dict, message: str) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422
    assert message in response.json()["error"]


def test_wrong_types_are_refused_not_crashed(client) -> None:
    response = client.post("/api/arena/run", json={"clients": "many"})
    assert response.status_code == 422
    assert "clients" in json.dumps(response.json())


def test_panel_renders_labelled_controls_for_every_strategy(settings) -> None:
    from apilab.web.templating import templates

    html = templates.env.get_template("_panel_arena.html").render(settings=settings)
    assert 'id="arena-form"' in html
    assert "/static/arena.js" in html
    assert "<script>" not in html  # no inline script
    for name in STRATEGIES:
        assert f'value="{name}"' in html  # the form offers every strategy the engine has
    for control in ("arena-clients", "arena-tier", "arena-requests", "arena-seed"):
        assert f'for="{control}"' in html and f'id="{control}"' in html


def test_lab_page_includes_the_arena_panel(app, client) -> None:
    if not any(getattr(r, "path", "") == "/labs/{lab_id}" for r in app.routes):
        pytest.skip("the lab page route is not installed in this build")
    page = client.get("/labs/rate-limits-cost")
    assert page.status_code == 200
    html = page.text
    assert 'id="panel-arena"' in html
    assert 'id="arena-form"' in html
    assert "/static/arena.js" in html


def test_static_assets_are_served(client) -> None:
    assert client.get("/static/arena.js").status_code == 200
    assert client.get("/static/arena.css").status_code == 200
