"""LTI 1.3 against the local platform simulator: launch, deep linking, grade passback."""

from __future__ import annotations

import json
import time
import urllib.parse

import anyio
import pytest
from fastapi.testclient import TestClient

from tests._services import TEST_BASE_URL, TEST_PEER
from tests.classes.helpers import COMPLETING, ask
from tests.lti.simulator import Platform, deep_link_items, new_key, unique_sub

LEARNER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
TEACHER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
# What a browser sends when an LMS page posts a form to the tool.
FROM_LMS = {"Origin": "https://lms.example.test", "Sec-Fetch-Site": "cross-site",
            "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}


@pytest.fixture
def platform(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    with Platform() as sim:
        config = tmp_path / "lti.json"
        config.write_text(json.dumps(sim.registration()))
        monkeypatch.setenv("APILAB_LTI_CONFIG", str(config))
        yield sim


@pytest.fixture
def lms_app(platform):  # type: ignore[no-untyped-def]
    from apilab.settings import get_settings
    from apilab.web.app import create_app

    app = create_app(get_settings())
    with TestClient(app, base_url=TEST_BASE_URL, client=TEST_PEER) as anyone:
        platform.tool_jwks = lambda: anyone.get("/lti/jwks").json()
        yield app


def _browser(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, base_url=TEST_BASE_URL, client=TEST_PEER)


def launch(app, platform, browser, *, sub, roles, lab=None, **kw):  # type: ignore[no-untyped-def]
    """The platform's login -> tool redirect -> platform form post of the id_token."""
    login = browser.post("/lti/login", data=platform.login_params(f"{TEST_BASE_URL}/lti/launch"),
                         headers=FROM_LMS, follow_redirects=False)
    assert login.status_code == 302, login.text
    target = urllib.parse.urlsplit(login.headers["location"])
    assert target.geturl().startswith(platform.url + "/auth")
    state = dict(urllib.parse.parse_qsl(target.query))["state"]
    token = platform.id_token(target.query, sub=sub, roles=roles, lab=lab, **kw)
    response = browser.post("/lti/launch", data={"id_token": token, "state": state},
                            headers=FROM_LMS, follow_redirects=False)
    return response, token, state


def test_a_signed_launch_signs_in_opens_the_lab_and_completion_reaches_the_lms(
        lms_app, platform) -> None:  # type: ignore[no-untyped-def]
    # One event loop for every request: a TestClient outside `with` runs each request
    # on its own short-lived loop, which drops the grade passbacks that run behind each
    # reply (a server runs them on its one loop).
    with anyio.from_thread.start_blocking_portal() as portal:
        browser = _browser(lms_app)
        browser.portal = portal
        sub = unique_sub()
        response, _, _ = launch(lms_app, platform, browser, sub=sub, roles=LEARNER,
                                lab="rate-limits-cost")
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/labs/rate-limits-cost"
        assert browser.get("/labs/rate-limits-cost").status_code == 200
        me = browser.get("/api/me").json()
        assert me["signed_in"] and me["classes"][0]["name"] == "Intro to AI APIs"
        for question in COMPLETING:
            ask(browser, "rate-limits-cost", question)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(s["scoreGiven"] == 1.0
                                                       for s in platform.scores):
            time.sleep(0.1)
        final = [s for s in platform.scores if s["scoreGiven"] == 1.0]
        assert final, f"no completion score reached the LMS: {platform.scores}"
        score = final[-1]
        assert score["userId"] == sub and score["scoreMaximum"] == 1.0
        assert score["activityProgress"] == "Completed"
        assert score["gradingProgress"] == "FullyGraded"
        assert score["_lineitem"] == "/lineitems/rate-limits-cost/lineitem"
        assert score["_content_type"] == "application/vnd.ims.lis.v1.score+json"
        # Earlier counted exchanges sent the share of objectives, never more than 1.
        assert all(0 <= s["scoreGiven"] <= 1 for s in platform.scores)
        # The token request carried a client assertion the platform verified with our JWKS.
        assert platform.token_requests and all(
            r["grant_type"] == "client_credentials" for r in platform.token_requests)


def test_a_replayed_id_token_is_refused(lms_app, platform) -> None:  # type: ignore[no-untyped-def]
    browser = _browser(lms_app)
    first, token, state = launch(lms_app, platform, browser, sub=unique_sub(), roles=LEARNER,
                                 lab="api-basics")
    assert first.status_code == 303
    replay = _browser(lms_app).post("/lti/launch", data={"id_token": token, "state": state},
                                    headers=FROM_LMS, follow_redirects=False)
    assert replay.status_code == 403
    assert replay.json()["error"].startswith("LTI launch refused")


def test_a_launch_signed_by_another_key_is_refused(lms_app, platform) -> None:  # type: ignore[no-untyped-def]
    forged_key, _ = new_key()
    response, _, _ = launch(lms_app, platform, _browser(lms_app), sub="attacker",
                            roles=TEACHER, lab="api-basics", key=forged_key)
    assert response.status_code == 403
    assert "apilab_session" not in response.headers.get("set-cookie", "")


def test_a_launch_without_the_login_state_is_refused(lms_app, platform) -> None:  # type: ignore[no-untyped-def]
    browser = _browser(lms_app)
    login = browser.post("/lti/login", data=platform.login_params(f"{TEST_BASE_URL}/lti/launch"),
                         headers=FROM_LMS, follow_redirects=False)
    query = urllib.parse.urlsplit(login.headers["location"]).query
    token = platform.id_token(query, sub="x", roles=LEARNER, lab="api-basics")
    stranger = _browser(lms_app)  # no state cookie from the login
    response = stranger.post("/lti/launch", data={"id_token": token, "state": "state-guess"},
                             headers=FROM_LMS, follow_redirects=False)
    assert response.status_code == 403


def test_an_lms_instructor_owns_the_course_class_and_learners_join_it(lms_app, platform) -> None:  # type: ignore[no-untyped-def]
    teacher = _browser(lms_app)
    launch(lms_app, platform, teacher, sub=unique_sub(), roles=TEACHER, lab="api-basics",
           name="Prof")
    learner = _browser(lms_app)
    launch(lms_app, platform, learner, sub=unique_sub(), roles=LEARNER, lab="api-basics")
    (room,) = teacher.get("/api/classes").json()
    assert room["lti"] and room["name"] == "Intro to AI APIs" and room["learners"] == 1
    assert learner.get("/api/classes").status_code == 403


def test_deep_linking_returns_a_signed_pick_of_labs(lms_app, platform) -> None:  # type: ignore[no-untyped-def]
    teacher = _browser(lms_app)
    response, _, _ = launch(lms_app, platform, teacher, sub=unique_sub(), roles=TEACHER,
                            message_type="LtiDeepLinkingRequest")
    assert response.status_code == 303
    picker_url = response.headers["location"]
    assert picker_url.startswith("/lti/deep-link?launch=")
    page = teacher.get(picker_url)
    assert page.status_code == 200 and 'id="deep-link-form"' in page.text
    # This page alone may post its form to the platform.
    assert f"form-action 'self' {platform.url}" in page.headers["content-security-policy"]
    launch_id = urllib.parse.parse_qs(urllib.parse.urlsplit(picker_url).query)["launch"][0]
    answer = teacher.post("/api/lti/deep-link",
                          json={"launch": launch_id, "labs": ["api-basics", "key-security"]})
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["return_url"] == platform.url + "/deep-link-return"
    items = deep_link_items(data["jwt"], teacher.get("/lti/jwks").json())
    assert [i["custom"]["lab"] for i in items] == ["api-basics", "key-security"]
    assert all(i["url"] == f"{TEST_BASE_URL}/lti/launch" for i in items)


def test_a_learner_cannot_deep_link(lms_app, platform) -> None:  # type: ignore[no-untyped-def]
    response, _, _ = launch(lms_app, platform, _browser(lms_app), sub=unique_sub(),
                            roles=LEARNER, message_type="LtiDeepLinkingRequest")
    assert response.status_code == 403


def test_without_lti_config_the_routes_say_so(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/lti/jwks")
    assert response.status_code == 400 and "APILAB_LTI_CONFIG" in response.json()["error"]

