"""Lab 2 JSON APIs: /api/scan/... and the leak drill's /api/drill/... (in-process)."""

from __future__ import annotations

import json
import random
import re
import stat

import pytest
from fastapi.testclient import TestClient

from apilab.sandbox import keys
from apilab.storage import drill as drill_repo
from apilab.storage.conversations import get_or_create_learner
from apilab.web.routes import _drill
from tests.secretscan.keys import make_key

SECRET = re.compile(r"sk-sbx-[A-Za-z0-9]{40}")


@pytest.fixture
def fast_attacker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The attacker strikes at once and every poll (no waiting in unit tests)."""
    monkeypatch.setattr(_drill, "ATTACK_DELAY_S", 0.0)
    monkeypatch.setattr(_drill, "ATTACK_INTERVAL_S", 0.01)


def test_scan_text_returns_redacted_findings_only(client: TestClient) -> None:
    key = make_key("openai-service-account-key", random.Random(1))
    r = client.post("/api/scan/text", json={"text": f"x = 1\nKEY = '{key}'\n"})
    assert r.status_code == 200
    body = r.text
    assert key not in body and key[-8:] not in body
    (finding,) = r.json()["findings"]
    assert finding["rule"] == "openai-service-account-key" and finding["line"] == 2
    assert finding["redacted"] == "sk-svcacct-…" + key[-4:]


def test_scan_text_gitignore_and_env_kinds(client: TestClient) -> None:
    r = client.post("/api/scan/text", json={"text": "dist/\n", "kind": "gitignore"}).json()
    assert [f["rule"] for f in r["findings"]] == ["gitignore-missing-env"]
    r = client.post("/api/scan/text", json={"text": ".env\n", "kind": "gitignore"}).json()
    assert r["findings"] == [] and r["advice"]
    r = client.post("/api/scan/text", json={"text": "DEBUG=1\n", "kind": "env"}).json()
    assert "never be committed" in r["advice"][0]
    bad = client.post("/api/scan/text", json={"text": "x", "kind": "zip"})
    assert bad.status_code == 422


def test_scan_text_gitignore_is_not_labelled_with_a_leftover_file_name(
        client: TestClient) -> None:
    r = client.post("/api/scan/text", json={"text": "dist/\n", "kind": "gitignore",
                                            "filename": "app.js"}).json()
    assert [f["path"] for f in r["findings"]] == [".gitignore"]


def test_scan_path_needs_the_local_token_and_an_allowed_root(app, client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.py").write_text(f"T = '{make_key('github-token', random.Random(2))}'\n")
    app.state.scan_roots = [root]
    # No token: the peer address (127.0.0.1 here) proves nothing.
    r = client.post("/api/scan/path", json={"path": str(root)})
    assert r.status_code == 403 and "apilab serve" in r.json()["error"]
    # The printed link sets the cookie, then scans work inside the roots only.
    link = client.get(f"/?local={app.state.tokens.local}", follow_redirects=False)
    assert link.status_code == 303 and "HttpOnly" in link.headers["set-cookie"]
    r = client.post("/api/scan/path", json={"path": str(root)})
    assert r.status_code == 200 and r.json()["summary"]["findings"] == 1
    missing = client.post("/api/scan/path", json={"path": str(root / "nope")})
    assert missing.status_code == 422 and "No such file" in missing.json()["error"]
    outside = client.post("/api/scan/path", json={"path": str(tmp_path)})
    assert outside.status_code == 403 and "outside the folders" in outside.json()["error"]
    # A symlink inside a root that points out of it is judged by where it points.
    (root / "escape").symlink_to(tmp_path)
    assert client.post("/api/scan/path",
                       json={"path": str(root / "escape")}).status_code == 403
    # A wrong token is no token.
    client.cookies.set("apilab_local", "guessed")
    assert client.post("/api/scan/path", json={"path": str(root)}).status_code == 403


def test_drill_full_flow_scores_and_never_exposes_a_secret(client: TestClient, app,
                                                           fast_attacker) -> None:  # type: ignore[no-untyped-def]
    responses = []

    def go(method: str, url: str, **kw):  # type: ignore[no-untyped-def]
        if method == "POST":
            kw.setdefault("json", {})
        r = client.request(method, url, **kw)
        responses.append(r.text)
        assert r.status_code == 200, r.text
        return r.json()

    assert go("GET", "/api/drill") == {"drill": None}
    d = go("POST", "/api/drill/start")["drill"]
    assert d["stage"] == "issued" and d["app_calls"] == 2 and len(d["keys"]) == 1
    d = go("POST", "/api/drill/leak")["drill"]
    assert d["stage"] == "leaked" and d["commit"]["findings"][0]["rule"] == "apilab-sandbox-key"
    assert d["commit"]["findings"][0]["line"] == 2  # line 2 of the committed .env
    for _ in range(3):
        d = go("GET", "/api/drill")["drill"]
    assert d["attacker_calls"] >= 3
    assert float(d["attacker_spend_usd"]) > 0
    assert float(d["credit_left_usd"]) < 1.5
    d = go("POST", "/api/drill/revoke")["drill"]
    assert d["stage"] == "revoked" and d["seconds_to_revoke"] is not None
    assert d["investigated_before_revoke"] is False
    for _ in range(4):  # the attacker retries, is refused, gives up
        d = go("GET", "/api/drill")["drill"]
    refused = [e for e in d["events"] if e["event"] == "attack-refused"]
    assert len(refused) == _drill.ATTACKS_AFTER_REVOKE
    audit = go("GET", "/api/drill/audit")
    statuses = {row["status"] for row in audit["rows"]}
    assert {200, 401} <= statuses
    attacker = [r["request_id"] for r in audit["rows"]
                if r["user_agent"] in _drill.ATTACKER_USER_AGENTS]
    result = go("POST", "/api/drill/audit", json={"attacker_ids": attacker})
    assert result["audit_result"]["wrong"] == []
    # Verifying before the app's config changes fails: the app still has the revoked key.
    d = go("POST", "/api/drill/verify")["drill"]
    assert d["verify_status"] == 401 and not d["verified"]
    d = go("POST", "/api/drill/rotate")["drill"]
    new = next(k for k in d["keys"] if k["role"] == "new")
    wrong = client.post("/api/drill/configure", json={"key_id": d["keys"][0]["id"]})
    assert wrong.status_code == 422 and "revoked" in wrong.json()["error"]
    d = go("POST", "/api/drill/configure", json={"key_id": new["id"]})["drill"]
    d = go("POST", "/api/drill/verify")["drill"]
    assert d["stage"] == "done" and d["score"] >= 90
    assert d["debrief"]["score"] == d["score"]
    assert sum(p["max"] for p in d["debrief"]["parts"]) == 100
    # Nothing the page received holds a secret; the DB row does not either.
    for text in responses:
        assert not SECRET.search(text)
    with app.state.db.session() as session:
        learner = get_or_create_learner(session, "local")
        row = drill_repo.current_drill(session, learner.id)
        assert not SECRET.search(json.dumps(row.events))
        state = drill_repo.get_drill_state(session, learner.id)
    assert state["stage"] == "done" and state["seconds_to_revoke"] is not None
    # The app's secret store is private to the server user.
    store = app.state.settings.data_path / "drill" / f"{d['drill_id']}.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600


def test_drill_audit_scores_the_rows_the_learner_was_shown(client: TestClient,
                                                           fast_attacker) -> None:  # type: ignore[no-untyped-def]
    def go(method: str, url: str, **kw):  # type: ignore[no-untyped-def]
        r = client.request(method, url, **kw)
        assert r.status_code == 200, r.text
        return r.json()

    go("POST", "/api/drill/start", json={})
    go("POST", "/api/drill/leak", json={})
    go("GET", "/api/drill")
    shown = go("GET", "/api/drill/audit")["rows"]
    attacker = [r["request_id"] for r in shown if r["user_agent"] in _drill.ATTACKER_USER_AGENTS]
    assert attacker
    # The attacker calls again while the learner is reading the table.
    before = go("GET", "/api/drill")["drill"]["attacker_calls"]
    assert go("GET", "/api/drill")["drill"]["attacker_calls"] > before
    ids = [r["request_id"] for r in shown]
    newest = max(shown, key=lambda r: r["time"])["request_id"]
    result = go("POST", "/api/drill/audit",
                json={"attacker_ids": attacker, "shown_ids": ids})["audit_result"]
    assert result["wrong"] == [] and result["total"] == len(shown)
    assert result["newer_calls"] >= 1  # said, not counted against the learner
    # Leaving shown rows out does not raise a score: every row up to the newest shown
    # one is scored, and an unticked attacker row is wrong.
    result = go("POST", "/api/drill/audit",
                json={"attacker_ids": attacker[1:], "shown_ids": [newest]})["audit_result"]
    assert result["total"] == len(shown) and result["wrong"] == attacker[:1]
    # Without shown_ids (an API client), every row is scored, the newer ones too.
    result = go("POST", "/api/drill/audit", json={"attacker_ids": attacker})["audit_result"]
    assert result["total"] > len(shown) and result["wrong"]


def test_drill_rules_and_reset(client: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/drill/revoke", json={}).status_code == 404  # no drill yet
    client.post("/api/drill/start", json={})
    r = client.post("/api/drill/revoke", json={})
    assert r.status_code == 422 and "push the commit" in r.json()["error"]
    assert client.get("/api/drill/audit").status_code == 422
    key_id = client.get("/api/drill").json()["drill"]["keys"][0]["id"]
    assert client.post("/api/drill/reset", json={}).json() == {"drill": None}
    assert keys.get_key(app.state.db, key_id).revoked  # a reset drill leaves no live key
    d = client.get("/api/drill").json()["drill"]
    assert d["finished"] and d["events"][-1]["event"] == "abandoned"
    d = client.post("/api/drill/start", json={}).json()["drill"]  # a new drill starts clean
    assert d["stage"] == "issued" and not d["finished"]


def test_rotate_before_revoke_counts_as_the_revocation(client: TestClient, fast_attacker) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/drill/start", json={})
    client.post("/api/drill/leak", json={})
    d = client.post("/api/drill/rotate", json={}).json()["drill"]
    assert d["revoked_at"] and d["rotated"]
    assert [k["revoked"] for k in d["keys"]] == [True, False]
