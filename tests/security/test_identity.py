"""Issue 10, item 5: the learner header is required, and believed only from the proxy."""

from __future__ import annotations

import httpx


def test_direct_clients_cannot_name_a_learner(serve) -> None:  # type: ignore[no-untyped-def]
    # The proxy is elsewhere (10.0.0.5); this client reaches the server directly.
    base, _app = serve(learner_header="X-Forwarded-User", trusted_proxies="10.0.0.5")
    with httpx.Client(base_url=base) as client:
        response = client.get("/api/labs/api-basics/messages",
                              headers={"X-Forwarded-User": "alice"})
    assert response.status_code == 403 and "sign-in proxy" in response.json()["error"]


def test_a_missing_header_is_401_never_the_shared_learner(serve) -> None:  # type: ignore[no-untyped-def]
    base, _app = serve(learner_header="X-Forwarded-User", trusted_proxies="127.0.0.1")
    with httpx.Client(base_url=base, timeout=30) as client:
        alice = {"X-Forwarded-User": "alice"}
        sent = client.post("/api/labs/api-basics/messages", json={"message": "What is a 401?"},
                           headers=alice)
        assert sent.status_code == 200
        missing = client.get("/api/labs/api-basics/messages")
        assert missing.status_code == 401
        assert client.get("/").status_code == 401
        bob = client.get("/api/labs/api-basics/messages", headers={"X-Forwarded-User": "bob"})
        assert bob.status_code == 200 and bob.json()["messages"] == []
        mine = client.get("/api/labs/api-basics/messages", headers=alice).json()["messages"]
        assert len(mine) == 2


def test_testclient_is_not_a_loopback_peer() -> None:
    from apilab.web.security import ProxyTrust

    trust = ProxyTrust.from_setting(None)
    assert trust.trusts("127.0.0.1") and trust.trusts("::1")
    assert not trust.trusts("testclient") and not trust.trusts("localhost")
