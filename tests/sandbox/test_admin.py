"""The admin HTTP API: token or loopback-only access, keys, usage, chaos, limits."""

from __future__ import annotations

import httpx
import pytest

from apilab.sandbox.app import create_sandbox_app


@pytest.mark.anyio
async def test_admin_key_lifecycle(aclient) -> None:  # type: ignore[no-untyped-def]
    created = await aclient.post("/admin/keys", json={"name": "drill", "tier": "free",
                                                      "monthly_cap_usd": "1"})
    assert created.status_code == 201
    key, secret = created.json()["key"], created.json()["secret"]
    listed = (await aclient.get("/admin/keys")).json()["keys"]
    assert [k["id"] for k in listed] == [key["id"]]
    assert secret not in str(listed)
    reply = await aclient.post("/v1/chat/completions", headers={"Authorization": "Bearer " +
                                                                secret},
                               json={"model": "gpt-4o-mini",
                                     "messages": [{"role": "user", "content": "hi"}]})
    assert reply.status_code == 200
    usage = (await aclient.get(f"/admin/keys/{key['id']}/usage")).json()
    assert usage["entries"][0]["status"] == 200
    assert float(usage["spent_this_month_usd"]) > 0
    limits = (await aclient.get(f"/admin/limits/{key['id']}?model=gpt-4o-mini")).json()
    assert limits["limit_requests"] == 3 and limits["remaining_requests"] == 2
    assert (await aclient.post("/admin/limits/reset", json={"key_id": key["id"]})).status_code \
        == 200
    rotated = (await aclient.post(f"/admin/keys/{key['id']}/rotate", json={})).json()
    assert rotated["revoked"] == key["id"] and rotated["secret"] != secret
    old = await aclient.post("/v1/chat/completions", headers={"Authorization": "Bearer " +
                                                              secret},
                             json={"model": "gpt-4o-mini",
                                   "messages": [{"role": "user", "content": "hi"}]})
    assert old.status_code == 401
    missing = await aclient.post("/admin/keys/key_nope/revoke", json={})
    assert missing.status_code == 404 and "No sandbox key" in missing.json()["error"]
    bad = await aclient.post("/admin/keys", json={"name": "x", "tier": "gold"})
    assert bad.status_code == 400 and "Unknown tier" in bad.json()["error"]


@pytest.mark.anyio
async def test_admin_presets(aclient) -> None:  # type: ignore[no-untyped-def]
    tiers = (await aclient.get("/admin/tiers")).json()["tiers"]
    assert tiers["free"]["rpm"] == 3 and tiers["tier-4"]["tpm"] == 2_000_000
    assert all(t["as_of"] for t in tiers.values())
    profiles = (await aclient.get("/admin/chaos/profiles")).json()["profiles"]
    assert {"off", "flaky", "overloaded", "slow", "drops", "hang"} <= set(profiles)
    per_key = await aclient.put("/admin/chaos", json={"profile": "flaky", "key_id": "key_x"})
    assert per_key.status_code == 404


@pytest.mark.anyio
async def test_admin_token_required_when_set(settings, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    token = "adm-" + "t" * 20
    app = create_sandbox_app(settings.with_overrides(admin_token=token), sandbox_db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sandbox") as client:
        assert (await client.get("/admin/keys")).status_code == 401
        wrong = await client.get("/admin/keys", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = await client.get("/admin/keys", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200


@pytest.mark.anyio
async def test_admin_refuses_remote_clients_without_token(sandbox_app) -> None:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=sandbox_app, client=("203.0.113.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        response = await client.get("/admin/keys")
    assert response.status_code == 403 and "APILAB_ADMIN_TOKEN" in response.json()["error"]


@pytest.mark.anyio
async def test_admin_refuses_cross_site_and_non_json(aclient) -> None:  # type: ignore[no-untyped-def]
    text_plain = await aclient.post("/admin/keys", content=b'{"name": "x", "tier": "tier-5"}',
                                    headers={"Content-Type": "text/plain"})
    assert text_plain.status_code == 415
    no_body = await aclient.post("/admin/cache/clear")
    assert no_body.status_code == 415
    foreign = await aclient.post("/admin/keys", json={"name": "x"},
                                 headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403
    site = await aclient.get("/admin/keys", headers={"Sec-Fetch-Site": "cross-site"})
    assert site.status_code == 403
    same = await aclient.post("/admin/cache/clear", json={},
                              headers={"Origin": "http://sandbox", "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200
    assert (await aclient.get("/admin/keys")).json()["keys"] == []  # nothing was created


@pytest.mark.anyio
async def test_admin_needs_its_token_when_bound_beyond_loopback(settings, sandbox_db) -> None:  # type: ignore[no-untyped-def]
    app = create_sandbox_app(settings.with_overrides(host="0.0.0.0"), sandbox_db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sandbox") as client:
        response = await client.get("/admin/keys")  # from 127.0.0.1, still refused
    assert response.status_code == 403 and "APILAB_ADMIN_TOKEN" in response.json()["error"]
