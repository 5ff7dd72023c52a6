"""Every role check, tried from the side that must be refused.

Cast: ``prof`` teaches cs101 (learners ada, bob); ``other`` teaches ml (learner cy);
``root`` is an admin; ``ada`` and ``bob`` are learners. Each forbidden path is
asked for and must answer 403 (or 401 without a session), never the data.
"""

from __future__ import annotations

import pytest

from tests.classes.helpers import ask, make_account, signed_in


@pytest.fixture
def cast(app):  # type: ignore[no-untyped-def]
    from apilab.classes import Classes

    for email, role in (("prof@example.org", "instructor"), ("other@example.org", "instructor"),
                        ("root@example.org", "admin"), ("ada@example.org", "learner"),
                        ("bob@example.org", "learner"), ("cy@example.org", "learner")):
        make_account(app, email, role)
    classes = Classes.for_db(app.state.db, app.state.settings)
    classes.create(None, slug="cs101", owner_email="prof@example.org")
    classes.create(None, slug="ml", owner_email="other@example.org")
    classes.add("cs101", "ada@example.org")
    classes.add("cs101", "bob@example.org")
    classes.add("ml", "cy@example.org")
    browsers = {name: signed_in(app, f"{name}@example.org")
                for name in ("prof", "other", "root", "ada", "bob", "cy")}
    ask(browsers["ada"], "api-basics", "What does finish_reason length mean?")
    ask(browsers["cy"], "api-basics", "What is a 429 status code?")
    with app.state.db.session() as session:
        from apilab.storage.models.accounts import Account
        from apilab.storage.models.lab import Message

        ids = {a.email.split("@")[0]: a.learner_id for a in session.query(Account)}
        ada_reply = session.query(Message).filter_by(learner_id=ids["ada"],
                                                    role="assistant").first().id
    return {"b": browsers, "ids": ids, "ada_reply": ada_reply}


CLASS_READS = ["/api/classes/{slug}/dashboard", "/api/classes/{slug}/export.csv",
               "/api/classes/{slug}/export.json", "/instructor/classes/{slug}"]
CLASS_WRITES = [("/api/classes/{slug}", {"name": "mine now"}),
                ("/api/classes/{slug}/close", {"closed": True}),
                ("/api/classes/{slug}/code", {})]


@pytest.mark.parametrize("path", CLASS_READS)
@pytest.mark.parametrize("who", ["ada", "other"])
def test_a_class_is_read_only_by_its_teachers_and_admins(cast, path, who) -> None:  # type: ignore[no-untyped-def]
    assert cast["b"][who].get(path.format(slug="cs101")).status_code == 403
    assert cast["b"]["prof"].get(path.format(slug="cs101")).status_code == 200
    assert cast["b"]["root"].get(path.format(slug="cs101")).status_code == 200


@pytest.mark.parametrize(("path", "body"), CLASS_WRITES)
@pytest.mark.parametrize("who", ["ada", "other"])
def test_a_class_is_changed_only_by_its_teachers_and_admins(cast, path, body, who) -> None:  # type: ignore[no-untyped-def]
    assert cast["b"][who].post(path.format(slug="cs101"), json=body).status_code == 403
    assert cast["b"]["root"].post(path.format(slug="cs101"), json=body).status_code == 200


def test_another_classes_learner_transcript_is_refused(cast) -> None:  # type: ignore[no-untyped-def]
    cy = cast["ids"]["cy"]
    # prof teaches cs101, cy is in ml: not through cs101, not through ml.
    assert cast["b"]["prof"].get(f"/api/classes/cs101/learners/{cy}/labs/api-basics") \
        .status_code == 403
    assert cast["b"]["prof"].get(f"/api/classes/ml/learners/{cy}/labs/api-basics") \
        .status_code == 403
    assert cast["b"]["other"].get(f"/api/classes/ml/learners/{cy}/labs/api-basics") \
        .status_code == 200


@pytest.mark.parametrize("path", ["/instructor", "/api/classes"])
def test_learners_have_no_instructor_pages(cast, path) -> None:  # type: ignore[no-untyped-def]
    assert cast["b"]["ada"].get(path).status_code == 403
    assert cast["b"]["prof"].get(path).status_code == 200


def test_learners_cannot_create_classes(cast) -> None:  # type: ignore[no-untyped-def]
    assert cast["b"]["ada"].post("/api/classes", json={"slug": "mine"}).status_code == 403


def test_an_instructor_lists_only_their_own_classes(cast) -> None:  # type: ignore[no-untyped-def]
    assert [c["slug"] for c in cast["b"]["prof"].get("/api/classes").json()] == ["cs101"]
    assert [c["slug"] for c in cast["b"]["root"].get("/api/classes").json()] == ["cs101", "ml"]


def test_a_learner_sees_only_their_own_transcript_progress_and_inspector(cast) -> None:  # type: ignore[no-untyped-def]
    bob = cast["b"]["bob"]
    assert bob.get("/api/labs/api-basics/messages").json()["messages"] == []
    assert all(p["exchange_count"] == 0 for p in bob.get("/api/progress").json()["labs"])
    assert bob.get(f"/api/inspector/{cast['ada_reply']}").status_code in (403, 404)
    assert cast["b"]["ada"].get(f"/api/inspector/{cast['ada_reply']}").status_code == 200
    assert len(cast["b"]["ada"].get("/api/labs/api-basics/messages").json()["messages"]) == 2


def test_a_learner_cannot_read_a_classmate_through_the_class(cast) -> None:  # type: ignore[no-untyped-def]
    ada = cast["ids"]["ada"]
    assert cast["b"]["bob"].get(f"/api/classes/cs101/learners/{ada}/labs/api-basics") \
        .status_code == 403


def test_the_deep_link_picker_is_for_instructors(cast) -> None:  # type: ignore[no-untyped-def]
    assert cast["b"]["ada"].get("/lti/deep-link?launch=x").status_code == 403
    assert cast["b"]["ada"].post("/api/lti/deep-link",
                                 json={"launch": "x", "labs": ["api-basics"]}).status_code == 403


def test_a_disabled_account_loses_every_path(app, cast) -> None:  # type: ignore[no-untyped-def]
    from apilab.accounts import Accounts

    Accounts.for_db(app.state.db, app.state.settings).set_disabled("prof@example.org")
    assert cast["b"]["prof"].get("/api/classes/cs101/dashboard").status_code == 401


def test_the_local_learner_is_no_instructor(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/instructor").status_code == 403
    assert client.get("/api/classes").status_code == 403


def test_export_and_delete_act_only_on_ones_own_data(app, cast) -> None:  # type: ignore[no-untyped-def]
    ada_export = cast["b"]["ada"].get("/api/me/export").json()
    assert ada_export["account"]["email"] == "ada@example.org"
    assert "password_hash" not in ada_export["account"]
    assert {m["learner_id"] for m in ada_export["messages"]} == {cast["ids"]["ada"]}
    refused = cast["b"]["bob"].post("/api/me/delete", json={"confirm": "yes"})
    assert refused.status_code == 422
    assert cast["b"]["bob"].post("/api/me/delete", json={"confirm": "delete"}).status_code == 200
    # Ada's data is untouched; Bob is gone and signed out.
    assert len(cast["b"]["ada"].get("/api/labs/api-basics/messages").json()["messages"]) == 2
    assert cast["b"]["bob"].get("/api/me").status_code == 401
    assert [r["email"] for r in cast["b"]["prof"].get("/api/classes/cs101/dashboard")
            .json()["learners"]] == ["ada@example.org"]
