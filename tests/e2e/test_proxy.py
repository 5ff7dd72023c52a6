"""Two `apilab serve` processes behind nginx, sharing PostgreSQL and Redis: a class runs.

The nginx site is docs/deploy/nginx-apilab.conf itself (ports substituted) with
plain round robin, so consecutive requests of one browser land on different
processes: sign-in, sign-in limits, class context, chat over SSE, the leak drill
and the dashboard must all work whichever process answers.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from bench._cluster import Cluster, nginx_binary
from tests._services import require_postgres, require_redis, unavailable

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
PASSWORD = "correct horse battery staple"
QUESTIONS = ("RPM vs TPM?", "why add jitter to retries?",
             "How much do 2 million input tokens and 500k output tokens cost on gpt-4o-mini?")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):  # type: ignore[no-untyped-def]
    postgres, redis_url = require_postgres(), require_redis()
    if nginx_binary() is None:
        unavailable("nginx", "not installed (apt-get install nginx-light)")
    with Cluster(tmp_path_factory.mktemp("cluster"), postgres, redis_url) as running:
        running.cli("users", "create", "prof@example.org", "--role", "instructor",
                    "--password-stdin", stdin=PASSWORD + "\n")
        for i in range(4):
            running.cli("users", "create", f"l{i}@example.org", "--password-stdin",
                        stdin=PASSWORD + "\n")
        out = running.cli("classes", "create", "cs101", "--owner", "prof@example.org",
                          "--learner-daily-usd", "0.10", "--class-monthly-usd", "5")
        running.join_code = out.strip().rsplit(" ", 1)[-1]  # type: ignore[attr-defined]
        yield running


def _browser(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=30)


def _sign_in(url: str, email: str) -> httpx.Client:
    browser = _browser(url)
    response = browser.post("/api/auth/signin", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return browser


def _events(text: str) -> list[tuple[str, dict]]:
    out = []
    for frame in text.strip().split("\n\n"):
        lines = dict(line.split(":", 1) for line in frame.splitlines() if ":" in line)
        out.append((lines.get("event", "").strip(), json.loads(lines.get("data", "{}"))))
    return out


def test_a_class_runs_through_the_proxy_on_both_processes(cluster) -> None:  # type: ignore[no-untyped-def]
    upstreams: set[str] = set()
    for i in range(4):
        learner = _sign_in(cluster.url, f"l{i}@example.org")
        joined = learner.post("/api/classes/join", json={"code": cluster.join_code})
        assert joined.status_code == 200, joined.text
        for question in QUESTIONS:
            with learner.stream("POST", "/api/labs/rate-limits-cost/messages",
                                json={"message": question}) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                upstreams.add(response.headers["x-upstream"])
                events = _events(response.read().decode())
            assert events[0][0] == "accepted" and events[-1][0] == "completed"
        assert events[-1][1]["completed_at"]
        page = learner.get("/labs/rate-limits-cost")
        upstreams.add(page.headers["x-upstream"])
        assert 'id="class-notice"' in page.text
    assert len(upstreams) == 2, f"only {upstreams} answered"
    prof = _sign_in(cluster.url, "prof@example.org")
    data = prof.get("/api/classes/cs101/dashboard").json()
    done = [r for r in data["learners"]
            if any(c["lab"] == "rate-limits-cost" and c["completed_at"] for c in r["labs"])]
    assert len(done) == 4
    # Every exchange stored once: 4 learners x 3 questions, each with one reply.
    for row in data["learners"]:
        transcript = prof.get(f"/api/classes/cs101/learners/{row['learner_id']}/labs/"
                              "rate-limits-cost").json()["messages"]
        assert [m["role"] for m in transcript] == ["learner", "assistant"] * 3


def test_one_session_works_on_every_process_and_sign_out_reaches_them_all(cluster) -> None:  # type: ignore[no-untyped-def]
    from apilab.accounts.service import IDENTITY_TTL_S

    browser = _sign_in(cluster.url, "l0@example.org")
    cookie = {"apilab_session": browser.cookies["apilab_session"]}
    for port in cluster.ports:
        direct = httpx.get(f"http://127.0.0.1:{port}/api/me", cookies=cookie, timeout=10)
        assert direct.json()["email"] == "l0@example.org"
    assert browser.post("/api/auth/signout", json={}).status_code == 200
    time.sleep(IDENTITY_TTL_S + 0.5)
    for port in cluster.ports:
        direct = httpx.get(f"http://127.0.0.1:{port}/api/me", cookies=cookie, timeout=10)
        assert direct.status_code == 401


def test_the_sign_in_limit_is_shared_by_the_processes(cluster) -> None:  # type: ignore[no-untyped-def]
    cluster.cli("users", "create", "target@example.org", "--password-stdin",
                stdin=PASSWORD + "\n")
    statuses = []
    seen = set()
    for _ in range(14):  # the default limit is 10 per email; per process it would be 20
        response = _browser(cluster.url).post(
            "/api/auth/signin", json={"email": "target@example.org", "password": "wrong guess!"})
        statuses.append(response.status_code)
        seen.add(response.headers["x-upstream"])
    assert len(seen) == 2
    assert statuses.count(403) == 10 and statuses.count(429) == 4


def test_the_leak_drill_carries_on_whichever_process_answers(cluster) -> None:  # type: ignore[no-untyped-def]
    browser = _sign_in(cluster.url, "l1@example.org")
    cookie = {"apilab_session": browser.cookies["apilab_session"]}
    a, b = (f"http://127.0.0.1:{p}" for p in cluster.ports)

    def post(base: str, path: str) -> dict:
        response = httpx.post(base + path, json={}, cookies=cookie, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["drill"]

    assert post(a, "/api/drill/start")["stage"] == "issued"
    assert post(b, "/api/drill/leak")["stage"] == "leaked"
    assert post(a, "/api/drill/revoke")["stage"] == "revoked"
    assert post(b, "/api/drill/rotate")["stage"] == "rotated"
