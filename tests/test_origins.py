"""apilab.origins: which requests count as same-origin, JSON, cross-site, loopback."""

from __future__ import annotations

import pytest

from apilab.origins import cross_site, is_json, is_loopback_bind, must_be_json, same_origin


@pytest.mark.parametrize(("origin", "host", "same"), [
    ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
    ("https://lab.example.edu", "lab.example.edu", True),  # TLS proxy in front
    ("https://lab.example.edu", "lab.example.edu:443", True),
    ("http://[::1]:8000", "[::1]:8000", True),
    ("http://127.0.0.1:9999", "127.0.0.1:8000", False),  # same site, other port
    ("http://localhost:8000", "127.0.0.1:8000", False),
    ("null", "127.0.0.1:8000", False),
    ("file://", "127.0.0.1:8000", False),
    ("http://evil.example", "evil.example.lab.edu", False),
])
def test_same_origin(origin: str, host: str, same: bool) -> None:
    assert same_origin(origin, host) is same


def test_json_and_methods() -> None:
    assert is_json("application/json; charset=utf-8") and is_json("application/vnd.api+json")
    assert not is_json("text/plain") and not is_json(None)
    assert must_be_json("POST", None, None) and must_be_json("PUT", "2", None)
    assert not must_be_json("DELETE", None, None) and not must_be_json("GET", "5", None)
    assert cross_site("cross-site") and cross_site("same-site") and not cross_site("none")
    assert not cross_site(None) and not cross_site("same-origin")


@pytest.mark.parametrize(("bind", "loopback"), [
    ("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("10.0.0.5", False), ("lab.example.edu", False)])
def test_loopback_binds(bind: str, loopback: bool) -> None:
    assert is_loopback_bind(bind) is loopback
