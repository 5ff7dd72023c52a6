"""OIDC sign-in in a real browser: the sign-in page's button, the provider, back signed in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oidc.simulator import CANARY_SECRET, Provider, configured_provider

pytestmark = [pytest.mark.playwright, pytest.mark.e2e]


@pytest.fixture
def idp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Provider]:
    yield from configured_provider(monkeypatch)


@pytest.fixture
def settings(idp):  # type: ignore[no-untyped-def]
    """The live server's settings, with the simulated provider configured."""
    from apilab.settings import get_settings

    return get_settings()


def test_sign_in_with_the_provider_in_a_browser(live_server, browser, idp) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(live_server + "/signin?next=/labs/api-basics")
    page.click("text=Sign in with Test University")
    # The provider consents at once and sends the browser back to the lab.
    page.wait_for_url(live_server + "/labs/api-basics")
    me = page.evaluate("() => fetch('/api/me').then(r => r.json())")
    assert me["signed_in"] and me["email"] == "ada@example.edu"
    assert CANARY_SECRET not in page.content()
    # Coming back with a spent state (a reload, the back button) ends on a page saying so.
    page.goto(idp.authorize(idp.issuer + "/authorize?" + _replay_query(idp)))
    assert "already used" in page.text_content("#error-message")
    # Signing out ends the session here, then at the provider, which sends the browser back.
    page.goto(live_server + "/account")
    page.click("#signout")
    page.wait_for_url(live_server + "/signin")
    assert idp.logouts and idp.logouts[-1]["post_logout_redirect_uri"] == live_server + "/signin"
    me = page.evaluate("() => fetch('/api/me').then(r => r.status)")
    assert me == 401


def _replay_query(idp: Provider) -> str:
    import urllib.parse

    query = next(iter(idp.codes.values()))["query"]
    return urllib.parse.urlencode(query)
