"""Error answers: pages in the site's layout for browsers, JSON for scripts and the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests._services import TEST_BASE_URL, TEST_PEER

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize("path, says", [
    ("/labs/nope", "Unknown lab"),
    ("/lessons/nope", "Unknown lesson"),
    ("/no/such/page", "There is no page at this address."),
])
def test_a_browser_gets_a_404_page_with_navigation(client, path: str, says: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "<h1" in html and "Page not found" in html and says in html
    # The site's layout: main navigation and links on to every lab.
    assert 'aria-label="Main"' in html
    for lab in ("api-basics", "key-security", "rate-limits-cost", "production-prompts"):
        assert f'href="/labs/{lab}"' in html
    assert '{"error"' not in html


@pytest.mark.parametrize("path", ["/labs/nope", "/lessons/nope", "/no/such/page"])
def test_a_script_still_gets_json(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]


def test_api_paths_answer_json_even_to_a_browser(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/labs/nope/messages", headers=BROWSER)
    assert response.status_code == 404
    assert response.json()["error"].startswith("Unknown lab")
    assert client.get("/sandbox/v1/nope", headers=BROWSER).headers["content-type"].startswith(
        "application/json")


def test_an_unexpected_error_is_a_500_page_without_the_traceback(app) -> None:  # type: ignore[no-untyped-def]
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals sk-should-not-show")

    with TestClient(app, base_url=TEST_BASE_URL, client=TEST_PEER,
                    raise_server_exceptions=False) as client:
        page = client.get("/boom", headers=BROWSER)
        api = client.get("/boom", headers={"Accept": "application/json"})
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in page.text and 'aria-label="Main"' in page.text
    assert "RuntimeError" not in page.text and "sk-should-not-show" not in page.text
    assert api.status_code == 500 and api.json() == {"error": "Internal server error."}


def test_favicon_is_served(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/vnd.microsoft.icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # ICO header: reserved 0, type 1 (icon)
    assert 'rel="icon"' in client.get("/").text
