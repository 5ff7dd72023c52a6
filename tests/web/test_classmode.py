"""Class mode through the web door: sign-in, classes, the dashboard and exports."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from tests._services import TEST_PEER
from tests.classes.helpers import COMPLETING, PASSWORD, ask, make_account, signed_in


def test_without_accounts_the_local_learner_needs_no_sign_in(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/").status_code == 200
    assert client.get("/api/me").json()["handle"] == "local"
    page = client.get("/signin").text
    assert 'id="no-accounts"' in page


def test_once_an_account_exists_pages_go_to_sign_in_and_apis_say_401(app, client) -> None:  # type: ignore[no-untyped-def]
    make_account(app, "ada@example.org")
    page = client.get("/labs/api-basics", headers={"Accept": "text/html"},
                      follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=%2Flabs%2Fapi-basics"
    api = client.get("/api/progress")
    assert api.status_code == 401 and "Sign in" in api.json()["error"]
    # The shared local learner is never a fallback once accounts exist.
    assert client.post("/api/labs/api-basics/messages", json={"message": "hi"}).status_code == 401


def test_session_cookie_flags_over_http_and_https(app) -> None:  # type: ignore[no-untyped-def]
    make_account(app, "ada@example.org")
    for base, secure in (("http://127.0.0.1", False), ("https://127.0.0.1", True)):
        with TestClient(app, base_url=base, client=TEST_PEER) as browser:
            response = browser.post("/api/auth/signin",
                                    json={"email": "ada@example.org", "password": PASSWORD})
            cookie = response.headers["set-cookie"].lower()
            assert "apilab_session=" in cookie and "httponly" in cookie
            assert "samesite=lax" in cookie
            assert ("secure" in cookie) is secure


def test_sign_out_ends_the_session_on_the_server(app) -> None:  # type: ignore[no-untyped-def]
    make_account(app, "ada@example.org")
    browser = signed_in(app, "ada@example.org")
    token = browser.cookies.get("apilab_session")
    assert browser.get("/api/me").json()["email"] == "ada@example.org"
    assert browser.post("/api/auth/signout", json={}).status_code == 200
    # Replaying the old cookie after sign-out does not work (server-side session).
    replay = TestClient(app, base_url="http://127.0.0.1", client=TEST_PEER,
                        cookies={"apilab_session": token})
    assert replay.get("/api/me").status_code == 401


def test_sign_in_refuses_a_form_post_and_another_origin(app, client) -> None:  # type: ignore[no-untyped-def]
    make_account(app, "ada@example.org")
    form = client.post("/api/auth/signin", data={"email": "ada@example.org",
                                                 "password": PASSWORD})
    assert form.status_code == 415
    cross = client.post("/api/auth/signin", json={"email": "ada@example.org",
                                                  "password": PASSWORD},
                        headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403


def test_next_after_sign_in_stays_on_this_site(app, client) -> None:  # type: ignore[no-untyped-def]
    make_account(app, "ada@example.org")
    for target, expected in (("/labs/api-basics", "/labs/api-basics"),
                             ("//evil.example/x", "/"), ("https://evil.example", "/")):
        response = client.post(f"/api/auth/signin?next={target}",
                               json={"email": "ada@example.org", "password": PASSWORD})
        assert response.json()["next"] == expected


def _class(app, **options):  # type: ignore[no-untyped-def]
    from apilab.classes import Classes

    make_account(app, "prof@example.org", "instructor")
    make_account(app, "ada@example.org")
    classes = Classes.for_db(app.state.db, app.state.settings)
    return classes.create(None, slug="cs101", name="CS 101", owner_email="prof@example.org",
                          **options)


def test_a_class_run_end_to_end(app) -> None:  # type: ignore[no-untyped-def]
    info = _class(app, learner_daily_usd="0.10", class_monthly_usd="5")
    ada = signed_in(app, "ada@example.org")
    joined = ada.post("/api/classes/join", json={"code": info["join_code"].lower()})
    assert joined.status_code == 200 and joined.json()["slug"] == "cs101"
    assert "join_code" not in joined.json()  # learners do not get the code to pass on
    page = ada.get("/labs/rate-limits-cost").text
    assert 'id="class-notice"' in page and "can read this conversation" in page
    for question in COMPLETING:
        done = ask(ada, "rate-limits-cost", question)[-1][1]
    assert done["completed_at"]

    prof = signed_in(app, "prof@example.org")
    data = prof.get("/api/classes/cs101/dashboard").json()
    (row,) = data["learners"]
    cell = next(c for c in row["labs"] if c["lab"] == "rate-limits-cost")
    assert row["email"] == "ada@example.org" and cell["exchanges"] == 3 and cell["completed_at"]
    assert next(p for p in data["per_lab"] if p["lab"] == "rate-limits-cost")["completed"] == 1
    assert data["spend"]["learner_daily_cap_usd"] == "0.100000"
    assert data["spend"]["class_monthly_cap_usd"] == "5.000000"
    html = prof.get("/instructor/classes/cs101").text
    assert 'id="chart-labs"' in html and "<svg" in html and 'id="matrix"' in html
    transcript = prof.get(f"/api/classes/cs101/learners/{row['learner_id']}/labs/"
                          "rate-limits-cost").json()
    assert [m["role"] for m in transcript["messages"]][:2] == ["learner", "assistant"]
    rows = list(csv.DictReader(io.StringIO(prof.get("/api/classes/cs101/export.csv").text)))
    assert {r["lab"] for r in rows} >= {"rate-limits-cost"} and rows[0]["email"] == \
        "ada@example.org"
    exported = prof.get("/api/classes/cs101/export.json").json()
    assert exported["class"]["slug"] == "cs101"


def test_labs_a_class_keeps_shut_are_refused(app) -> None:  # type: ignore[no-untyped-def]
    info = _class(app, open_labs=["api-basics"])
    ada = signed_in(app, "ada@example.org")
    ada.post("/api/classes/join", json={"code": info["join_code"]})
    assert ada.get("/labs/api-basics").status_code == 200
    assert ada.get("/labs/rate-limits-cost").status_code == 403
    shut = ada.post("/api/labs/rate-limits-cost/messages", json={"message": "RPM vs TPM?"})
    assert shut.status_code == 403 and "not opened" in shut.json()["error"]


def test_a_closed_class_is_read_only_and_cannot_be_joined(app) -> None:  # type: ignore[no-untyped-def]
    from apilab.classes import Classes

    info = _class(app)
    ada = signed_in(app, "ada@example.org")
    ada.post("/api/classes/join", json={"code": info["join_code"]})
    ask(ada, "api-basics", "What does finish_reason length mean?")
    prof = signed_in(app, "prof@example.org")
    assert prof.post("/api/classes/cs101/close", json={"closed": True}).status_code == 200
    Classes.for_db(app.state.db, app.state.settings).forget()
    assert ada.get("/labs/api-basics").status_code == 200  # still readable
    closed = ada.post("/api/labs/api-basics/messages", json={"message": "what is a 429?"})
    assert closed.status_code == 403 and "closed" in closed.json()["error"]
    make_account(app, "bob@example.org")
    bob = signed_in(app, "bob@example.org")
    assert bob.post("/api/classes/join", json={"code": info["join_code"]}).status_code == 403


def test_unknown_join_code_is_404(app) -> None:  # type: ignore[no-untyped-def]
    _class(app)
    ada = signed_in(app, "ada@example.org")
    assert ada.post("/api/classes/join", json={"code": "ZZZZ-ZZZZ"}).status_code == 404


def test_instructor_creates_and_configures_a_class_over_the_api(app) -> None:  # type: ignore[no-untyped-def]
    make_account(app, "prof@example.org", "instructor")
    prof = signed_in(app, "prof@example.org")
    made = prof.post("/api/classes", json={"slug": "ml-2026", "name": "ML",
                                           "backend": "sandbox", "learner_daily_usd": "0.25",
                                           "open_labs": ["api-basics"]})
    assert made.status_code == 200, made.text
    assert made.json()["backend"] == "sandbox" and made.json()["join_code"]
    bad = prof.post("/api/classes/ml-2026", json={"learner_daily_usd": "lots"})
    assert bad.status_code == 422 and "dollar amount" in bad.json()["error"]
    assert prof.post("/api/classes/ml-2026", json={"open_labs": ["no-such-lab"]}) \
        .status_code == 404
    assert prof.post("/api/classes", json={"slug": "Bad Slug!"}).status_code == 422
    code = prof.post("/api/classes/ml-2026/code", json={}).json()["join_code"]
    assert code != made.json()["join_code"]
    assert [c["slug"] for c in prof.get("/api/classes").json()] == ["ml-2026"]


def test_class_budget_becomes_the_call_layers_caps(app) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from apilab.calls.budget import limits_from_settings
    from apilab.classes import Classes

    _class(app, learner_daily_usd="0.10", class_monthly_usd="5", backend="sandbox")
    classes = Classes.for_db(app.state.db, app.state.settings)
    classes.add("cs101", "ada@example.org")
    context = classes.context_for("ada@example.org")
    settings = classes.settings_for(context)
    assert settings is classes.settings_for(context)  # one stack per class, not per message
    assert settings.backend == "sandbox" and settings.budget_class == "cs101"
    caps = {(c.scope, c.period): c.usd for c in limits_from_settings(settings)}
    assert caps[("learner", "day")] == Decimal("0.10")
    assert caps[("class", "month")] == Decimal("5")
    assert ("class", "day") not in caps
    # Outside any class the server's own caps apply.
    assert classes.settings_for(classes.context_for("nobody")) is app.state.settings


def test_csv_export_cannot_smuggle_a_formula(app) -> None:  # type: ignore[no-untyped-def]
    from apilab.accounts import Accounts
    from apilab.classes import Classes

    _class(app)
    Accounts.for_db(app.state.db, app.state.settings).create(
        "eve@example.org", password=PASSWORD, display_name="=HYPERLINK(\"http://x\")")
    Classes.for_db(app.state.db, app.state.settings).add("cs101", "eve@example.org")
    prof = signed_in(app, "prof@example.org")
    text = prof.get("/api/classes/cs101/export.csv").text
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_tutor_gaps_are_grouped_with_counts(app) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from apilab.classes.gaps import group_questions

    now = dt.datetime.now(dt.UTC)
    items = [{"learner_id": i % 3, "lab": "key-security", "kind": "dont-know", "at": now,
              "focus": q, "question": q} for i, q in enumerate([
                  "how do I set an API key secret in GitHub Actions?",
                  "how do i set my api key as a secret in github actions",
                  "GitHub Actions: how to store the API key secret?",
                  "what is the capital of France",
              ])]
    groups = group_questions(items)
    assert groups[0]["count"] == 3 and "GitHub" in groups[0]["label"].replace("github", "GitHub")
    assert groups[0]["learners"] == 3 and groups[-1]["count"] == 1
