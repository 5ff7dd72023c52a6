"""Issue 10, item 3: cross-site requests and foreign Hosts are refused (HTTP level)."""

from __future__ import annotations

import httpx
import pytest

EVIL = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}


def _ask(client: httpx.Client) -> None:
    reply = client.post("/api/labs/api-basics/messages", json={"message": "What is a 429?"})
    assert reply.status_code == 200


def _messages(client: httpx.Client) -> list:
    return client.get("/api/labs/api-basics/messages").json()["messages"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    # A form POST from another site (no token, foreign Origin).
    ("POST", "/labs/api-basics/reset", {"data": {"x": "1"}, "headers": EVIL}, 403),
    # The chat with no Content-Type (a no-cors fetch).
    ("POST", "/api/labs/api-basics/messages", {"content": b'{"message": "hi"}'}, 415),
    ("POST", "/api/scan/path", {"json": {"path": "/"}, "headers": EVIL}, 403),
    ("POST", "/api/drill/start", {"content": b"{}", "headers": {"Content-Type": "text/plain"}},
     415),
    ("POST", "/api/workbench/send", {"json": {"target": "provider"}, "headers": EVIL}, 403),
    ("POST", "/sandbox/admin/keys",
     {"content": b'{"name": "x", "tier": "tier-5"}', "headers": {"Content-Type": "text/plain"}},
     415),
    ("POST", "/sandbox/admin/keys", {"json": {"name": "x", "tier": "tier-5"}, "headers": EVIL},
     403),
    # Even a GET to the API is refused when the browser says it came from another site.
    ("GET", "/api/drill/audit", {"headers": {"Sec-Fetch-Site": "cross-site",
                                             "Sec-Fetch-Mode": "no-cors"}}, 403),
])
def test_state_changes_from_elsewhere_are_refused(lab, method, path, kwargs, status) -> None:  # type: ignore[no-untyped-def]
    base, app = lab
    with httpx.Client(base_url=base, timeout=30) as client:
        _ask(client)
        response = client.request(method, path, **kwargs)
        assert response.status_code == status, response.text
        assert _messages(client), "the conversation must survive"
        keys = client.get("/sandbox/admin/keys").json()["keys"]
        assert not [k for k in keys if k["tier"] == "tier-5"]
        assert client.get("/api/drill").json() == {"drill": None}


def test_same_origin_requests_still_work(lab) -> None:  # type: ignore[no-untyped-def]
    base, _app = lab
    mine = {"Origin": base, "Sec-Fetch-Site": "same-origin"}
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.post("/api/drill/start", json={}, headers=mine).status_code == 200
        assert client.post("/api/scan/text", json={"text": "x"}, headers=mine).status_code == 200
        page = client.get("/", headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode":
                                        "navigate", "Sec-Fetch-Dest": "document"})
        assert page.status_code == 200  # a link from another site still opens the lab


@pytest.mark.parametrize("host", ["rebind.attacker.example", "evil.example:8000", "10.1.2.3"])
def test_foreign_host_is_refused(lab, host: str) -> None:  # type: ignore[no-untyped-def]
    base, _app = lab
    with httpx.Client(base_url=base) as client:
        for path in ("/", "/api/labs/api-basics/messages", "/sandbox/admin/keys", "/healthz"):
            response = client.get(path, headers={"Host": host})
            assert response.status_code == 400 and "APILAB_ALLOWED_HOSTS" in response.text


def test_allowed_hosts_setting(serve) -> None:  # type: ignore[no-untyped-def]
    base, _app = serve(allowed_hosts="lab.example.edu")
    with httpx.Client(base_url=base) as client:
        assert client.get("/", headers={"Host": "lab.example.edu"}).status_code == 200
        assert client.get("/").status_code == 400  # 127.0.0.1 is no longer listed


def test_admin_api_needs_its_token_when_bound_beyond_loopback(serve) -> None:  # type: ignore[no-untyped-def]
    base, _app = serve(host="0.0.0.0", allowed_hosts="127.0.0.1")
    with httpx.Client(base_url=base) as client:
        response = client.post("/sandbox/admin/keys", json={"name": "x"})
    assert response.status_code == 403 and "APILAB_ADMIN_TOKEN" in response.json()["error"]
