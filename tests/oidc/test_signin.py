"""OIDC sign-in against the local provider simulator, through the web door."""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests._services import TEST_BASE_URL, TEST_PEER
from tests.classes.helpers import PASSWORD, make_account
from tests.oidc.simulator import CANARY_SECRET, CLIENT_ID, Provider, configured_provider, new_key

HTML = {"Accept": "text/html"}
# What a browser sends when the provider's page redirects it back to the lab.
FROM_PROVIDER = {**HTML, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate",
                 "Sec-Fetch-Dest": "document"}


@pytest.fixture
def idp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Provider]:
    yield from configured_provider(monkeypatch)


@pytest.fixture
def oidc_app(idp: Provider):  # type: ignore[no-untyped-def]
    from apilab.settings import get_settings
    from apilab.web.app import create_app

    return create_app(get_settings())


class Recorder:
    """Every response a test's browsers received, to search for secrets afterwards."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, response: Any) -> None:
        response.read()
        self.seen.append(f"{response.status_code} {dict(response.headers)!r} {response.text}")


def browser(app, recorder: Recorder | None = None) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app, base_url=TEST_BASE_URL, client=TEST_PEER)
    if recorder is not None:
        client.event_hooks = {"request": [], "response": [recorder]}
    return client


def start(client: TestClient, next_path: str = "/labs/api-basics") -> str:
    response = client.get("/auth/oidc/start", params={"next": next_path}, headers=HTML,
                          follow_redirects=False)
    assert response.status_code == 302, response.text
    cookie = response.headers["set-cookie"].lower()
    assert "apilab_oidc=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    return response.headers["location"]


def callback(client: TestClient, url: str) -> Any:
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == TEST_BASE_URL
    assert parts.path == "/auth/oidc/callback"
    return client.get(parts.path + "?" + parts.query, headers=FROM_PROVIDER,
                      follow_redirects=False)


def sign_in(app, idp: Provider, client: TestClient | None = None, **person: Any) -> Any:  # type: ignore[no-untyped-def]
    client = client or browser(app)
    return client, callback(client, idp.authorize(start(client), **person))


def refused(response: Any, *words: str) -> None:
    assert response.status_code == 403, response.text
    assert "apilab_session" not in response.headers.get("set-cookie", "")
    assert 'id="signin-again"' in response.text
    for word in words:
        assert word in response.text, (word, response.text)


# --- the happy path -------------------------------------------------------------------------
def test_first_sign_in_creates_the_account_and_signs_in(oidc_app, idp) -> None:  # type: ignore[no-untyped-def]
    client, response = sign_in(oidc_app, idp, sub="s-ada", email="ada@example.edu")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/labs/api-basics"
    cookie = response.headers["set-cookie"].lower()
    assert "apilab_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    me = client.get("/api/me").json()
    assert me["signed_in"] and me["email"] == "ada@example.edu" and me["role"] == "learner"
    assert me["name"] == "Ada Lovelace"
    assert client.get("/labs/api-basics").status_code == 200
    # The client authenticated with its secret over HTTP Basic and sent the PKCE verifier.
    request = idp.token_requests[-1]
    assert request["headers"]["Authorization"].startswith("Basic ")
    assert len(request["form"]["code_verifier"]) >= 43
    # Now the server has an account: anyone else is asked to sign in.
    assert browser(oidc_app).get("/api/me").status_code == 401


def test_second_sign_in_finds_the_same_account_by_subject(oidc_app, idp) -> None:  # type: ignore[no-untyped-def]
    from apilab.accounts import Accounts

    first, _ = sign_in(oidc_app, idp, sub="s-ada", email="ada@example.edu")
    first_id = first.get("/api/me").json()["handle"]
    # The provider's email changed; (issuer, subject) still names the same person.
    second, response = sign_in(oidc_app, idp, sub="s-ada", email="ada.l@example.edu")
    assert response.status_code == 303
    assert second.get("/api/me").json()["handle"] == first_id
    accounts = Accounts.for_db(oidc_app.state.db, oidc_app.state.settings).list()
    assert len(accounts) == 1 and accounts[0]["password"] is False and accounts[0]["oidc"]


def test_the_sign_in_page_offers_the_provider(oidc_app, idp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    page = browser(oidc_app).get("/signin?next=/labs/api-basics").text
    assert "Sign in with Test University" in page
    assert 'href="/auth/oidc/start?next=/labs/api-basics"' in page
    make_account(oidc_app, "bo@example.edu")
    page = browser(oidc_app).get("/signin").text
    assert 'id="oidc-signin"' in page and 'id="signin-form"' in page


def test_without_oidc_settings_there_is_no_button_and_no_flow(app, client) -> None:  # type: ignore[no-untyped-def]
    make_account(app, "bo@example.edu")
    assert 'id="oidc-signin"' not in client.get("/signin").text
    response = client.get("/auth/oidc/start", headers=HTML, follow_redirects=False)
    assert response.status_code == 403 and "not set up" in response.text


def test_password_sign_in_can_be_turned_off(idp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from apilab.settings import get_settings
    from apilab.web.app import create_app

    monkeypatch.setenv("APILAB_OIDC_PASSWORD_SIGNIN", "false")
    app = create_app(get_settings())
    make_account(app, "bo@example.edu")
    client = browser(app)
    page = client.get("/signin").text
    assert 'id="oidc-signin"' in page and 'id="signin-form"' not in page
    response = client.post("/api/auth/signin",
                           json={"email": "bo@example.edu", "password": PASSWORD})
    assert response.status_code == 403 and "Password sign-in is off" in response.json()["error"]


def test_the_secret_can_come_from_the_secret_file(idp, monkeypatch, clean_environ) -> None:  # type: ignore[no-untyped-def]
    from apilab.settings import get_settings
    from apilab.web.app import create_app

    monkeypatch.delenv("APILAB_OIDC_CLIENT_SECRET")
    clean_environ.mkdir(parents=True, exist_ok=True)
    secrets_file = clean_environ / "secrets.env"
    secrets_file.write_text(f"APILAB_OIDC_CLIENT_SECRET={CANARY_SECRET}\n")
    secrets_file.chmod(0o600)
    app = create_app(get_settings())
    _, response = sign_in(app, idp)
    assert response.status_code == 303, response.text


# --- refusals -------------------------------------------------------------------------------
def test_a_bad_or_replayed_state_is_refused(oidc_app, idp) -> None:  # type: ignore[no-untyped-def]
    client = browser(oidc_app)
    url = idp.authorize(start(client))
    forged = url.replace("state=", "state=x")
    refused(callback(client, forged), "does not match a sign-in started here")
    # The forged attempt did not spend the real state; the real one works once, then not.
    assert callback(client, url).status_code == 303
    refused(callback(client, url), "already used")


def test_a_callback_in_another_browser_is_refused(oidc_app, idp) -> None:  # type: ignore[no-untyped-def]
    # Login CSRF: an attacker's own sign-in link opened in the victim's browser.
    url = idp.authorize(start(browser(oidc_app)), sub="attacker")
    refused(callback(browser(oidc_app), url), "another browser")


def test_denied_consent_says_so(oidc_app, idp) -> None:  # type: ignore[no-untyped-def]
    client = browser(oidc_app)
    response = callback(client, idp.authorize(start(client), deny=True))
    refused(response, "declined")
    assert "<b>" not in response.text  # the provider's free text is never shown


def test_an_expired_or_reused_code_is_refused(oidc_app, idp) -> None:  # type: ignore[no-untyped-def]
    idp.code_ttl_s = 0.0
    client, response = sign_in(oidc_app, idp)
    refused(response, "expired or was already used")


@pytest.mark.parametrize(("claims", "words"), [
    ({"nonce": "another-nonce"}, "nonce"),
    ({"aud": "someone-else"}, "another application"),
    ({"exp": 1_000_000_000, "iat": 999_999_000}, "has expired"),
    ({"iss": "https://evil.example"}, "another issuer"),
    ({"iat": 4_000_000_000, "exp": 4_000_000_300}, "dated in the future"),
])
def test_a_wrong_id_token_is_refused(oidc_app, idp, claims, words) -> None:  # type: ignore[no-untyped-def]
    idp.claims = claims
    _, response = sign_in(oidc_app, idp)
    refused(response, words)


def test_a_badly_signed_id_token_is_refused(oidc_app, idp) -> None:  # type: ignore[no-untyped-def]
    idp.sign_with = new_key()  # same kid, another key: a forgery
    _, response = sign_in(oidc_app, idp)
    refused(response, "signature does not match")


def test_only_allowed_domains_get_in(idp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from apilab.settings import get_settings
    from apilab.web.app import create_app

    monkeypatch.setenv("APILAB_OIDC_ALLOWED_DOMAINS", "example.edu, students.example.edu")
    app = create_app(get_settings())
    _, response = sign_in(app, idp, email="eve@gmail.com")
    refused(response, "only from example.edu, students.example.edu", "eve@gmail.com")
    _, response = sign_in(app, idp, sub="no-mail", email=None)
    refused(response, "did not share a verified email")
    idp.claims = {"email_verified": None}  # a provider that does not say (Entra ID)
    _, response = sign_in(app, idp, sub="unsaid", email="sam@example.edu")
    refused(response, "did not share a verified email")
    idp.claims = {}
    _, response = sign_in(app, idp, sub="student", email="sam@students.example.edu")
    assert response.status_code == 303


def test_an_unverified_email_is_refused(oidc_app, idp) -> None:  # type: ignore[no-untyped-def]
    idp.claims = {"email_verified": False}
    _, response = sign_in(oidc_app, idp)
    refused(response, "not verified")


def test_an_email_the_provider_does_not_vouch_for_is_not_used(oidc_app, idp) -> None:  # type: ignore[no-untyped-def]
    make_account(oidc_app, "ada@example.edu", role="admin")
    idp.claims = {"email_verified": None}  # Entra ID sends no email_verified
    client, response = sign_in(oidc_app, idp, sub="s-x", email="ada@example.edu")
    assert response.status_code == 303
    me = client.get("/api/me").json()
    assert me["email"].endswith("@oidc.invalid") and me["role"] == "learner"


def test_a_disabled_account_is_refused(oidc_app, idp) -> None:  # type: ignore[no-untyped-def]
    from apilab.accounts import Accounts

    first, response = sign_in(oidc_app, idp, sub="s-ada", email="ada@example.edu")
    assert response.status_code == 303
    Accounts.for_db(oidc_app.state.db, oidc_app.state.settings).set_disabled("ada@example.edu")
    assert first.get("/api/me").status_code == 401  # signed out everywhere
    _, response = sign_in(oidc_app, idp, sub="s-ada", email="ada@example.edu")
    refused(response, "disabled")


def test_an_existing_local_account_is_linked_only_when_allowed(idp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from apilab.settings import get_settings
    from apilab.web.app import create_app

    app = create_app(get_settings())
    make_account(app, "ada@example.edu", role="admin")
    _, response = sign_in(app, idp, sub="s-ada", email="ada@example.edu")
    refused(response, "already exists", "APILAB_OIDC_LINK_EMAIL")

    monkeypatch.setenv("APILAB_OIDC_LINK_EMAIL", "true")
    linked = create_app(get_settings())
    client, response = sign_in(linked, idp, sub="s-ada", email="ada@example.edu")
    assert response.status_code == 303
    me = client.get("/api/me").json()
    assert me["email"] == "ada@example.edu" and me["role"] == "admin"  # the same account


# --- signing out ------------------------------------------------------------------------
def test_sign_out_ends_the_session_and_offers_the_providers_logout(oidc_app, idp) -> None:  # type: ignore[no-untyped-def]
    client, response = sign_in(oidc_app, idp, sub="s-ada", email="ada@example.edu")
    assert response.status_code == 303
    out = client.post("/api/auth/signout", json={})
    assert out.status_code == 200 and "apilab_session=\"\"" in out.headers["set-cookie"]
    url = urllib.parse.urlsplit(out.json()["logout_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == idp.issuer + "/logout"
    query = dict(urllib.parse.parse_qsl(url.query))
    assert query == {"client_id": CLIENT_ID,
                     "post_logout_redirect_uri": TEST_BASE_URL + "/signin"}
    assert "id_token_hint" not in query  # no ID token is kept after sign-in
    assert client.get("/api/me").status_code == 401  # signed out here first, whatever next


def test_password_sessions_and_providers_without_logout_get_no_logout_url(idp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from apilab.settings import get_settings
    from apilab.web.app import create_app

    app = create_app(get_settings())
    make_account(app, "bo@example.edu")
    client = browser(app)
    assert client.post("/api/auth/signin", json={"email": "bo@example.edu",
                                                 "password": PASSWORD}).status_code == 200
    out = client.post("/api/auth/signout", json={})
    assert out.status_code == 200 and "logout_url" not in out.json()

    for endpoint in (None, "javascript:alert(1)"):  # absent, or not an https URL
        from apilab.oidc import provider

        provider.forget()
        idp.discovery_extra = {"end_session_endpoint": endpoint}
        client, response = sign_in(app, idp, sub="s-cy", email="cy@example.edu")
        assert response.status_code == 303  # sign-in itself is unaffected
        out = client.post("/api/auth/signout", json={})
        assert out.status_code == 200 and "logout_url" not in out.json()
        assert client.get("/api/me").status_code == 401


def test_discovery_must_name_the_configured_issuer(oidc_app, idp) -> None:  # type: ignore[no-untyped-def]
    idp.discovery_extra = {"issuer": "https://someone-else.example"}
    response = browser(oidc_app).get("/auth/oidc/start", headers=HTML, follow_redirects=False)
    assert response.status_code == 500 and "APILAB_OIDC_ISSUER" in response.text


def test_an_oversized_provider_answer_is_not_read(oidc_app, idp) -> None:  # type: ignore[no-untyped-def]
    from apilab.oidc.provider import MAX_RESPONSE_BYTES

    idp.discovery_padding = MAX_RESPONSE_BYTES + 1
    response = browser(oidc_app).get("/auth/oidc/start", headers=HTML, follow_redirects=False)
    assert response.status_code == 502 and "stopped reading" in response.text


# --- secrets never leak ---------------------------------------------------------------------
def test_no_secret_or_token_reaches_logs_or_pages(oidc_app, idp, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    recorder = Recorder()
    client = browser(oidc_app, recorder)
    _, response = sign_in(oidc_app, idp, client=client)
    assert response.status_code == 303
    client.get("/api/me")
    client.get("/account", headers=HTML)
    client.get("/api/me/export")
    for claims in ({"aud": "x"}, {"nonce": "x"}, {"email_verified": False}):
        idp.claims = claims
        sign_in(oidc_app, idp, client=browser(oidc_app, recorder))
    idp.claims = {}
    idp.sign_with = new_key()
    sign_in(oidc_app, idp, client=browser(oidc_app, recorder))
    bad_secret = browser(oidc_app, recorder)
    idp.secret = "another-secret"
    callback(bad_secret, idp.authorize(start(bad_secret)))
    assert "client id or secret" in recorder.seen[-1]

    # Everything the server logged, its outbound client (httpx2) included; the "httpx"
    # logger is the TestClient, i.e. the browser's side, whose URLs hold the code by design.
    server = [r for r in caplog.records if r.name != "httpx"]
    logged = "\n".join(r.getMessage() + str(r.__dict__) for r in server)
    pages = "\n".join(recorder.seen)
    assert len(idp.issued) >= 12 and "OIDC sign-in refused" in logged
    for secret in [CANARY_SECRET, *idp.issued]:
        assert secret not in logged, "a secret or token reached the logs"
        assert secret not in pages, "a secret or token reached a page or header"
    assert CANARY_SECRET not in repr(oidc_app.state.settings)


def test_the_access_log_never_shows_a_code_or_state() -> None:
    from apilab.web.security.accesslog import RedactSecrets

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/auth/oidc/callback?state=S3cr3t&code=C0de&x=1", "1.1", 303),
        None)
    assert RedactSecrets().filter(record)
    assert record.getMessage() == (
        '127.0.0.1:5000 - "GET /auth/oidc/callback?state=***&code=***&x=1 HTTP/1.1" 303')


def test_starting_sign_ins_is_rate_limited_per_client(idp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from apilab.settings import get_settings
    from apilab.web.app import create_app

    monkeypatch.setenv("APILAB_SIGNIN_PEER_LIMIT", "2")
    app = create_app(get_settings())
    client = browser(app)
    start(client)
    start(client)
    response = client.get("/auth/oidc/start", headers=HTML, follow_redirects=False)
    assert response.status_code == 429 and "Too many sign-in attempts" in response.text
