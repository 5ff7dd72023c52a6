"""The generic prefixed-token rule (rules/prefixed.py, secretscan/tokens.py).

A short lowercase vendor prefix and a long random body is reported when no provider rule
knows the service; identifiers, paths, hashes, object ids and placeholders are not. Keys
are assembled at run time from random bodies, so this file holds no key-shaped string.
"""

from __future__ import annotations

import string

import pytest

from apilab.secretscan.tokens import prefixed_token_ok, reserved_prefixes
from tests.secretscan.keys import ALNUM, HEX, seeded_text
from tests.secretscan.keys import rules_found as _rules

RULE = "generic-prefixed-token"


def _r(alphabet: str, n: int, seed: int = 9) -> str:
    return seeded_text(alphabet, n, seed)


@pytest.mark.parametrize("text", [
    f'client = Acme("acme_{_r(ALNUM, 32)}")',                 # passed to a constructor
    f'headers = {{"X-Key": "ion_{_r(ALNUM, 40)}"}}',
    f"curl -H 'X-Zpk: zpka-live-{_r(ALNUM, 40)}' https://api.zpk.io",
    f'x = "scp-live-{_r(HEX, 32)}"',                           # hex under a credential word
    f"echo prospect-token-{_r(HEX, 32)}",
    f'{{"value": "shopco_test_{_r(ALNUM, 40)}"}}',
    f'cfg = {{"k": "sk-{_r(ALNUM, 48)}"}}',                    # an old-style sk- key
    f"STREAM=live_12603119_{_r(ALNUM, 30)}",                   # a numeric account segment
    f"t = 'zqdm_{_r(string.ascii_lowercase + string.digits, 60)}'",  # base36: not hex
    f"k = 'key_{_r(HEX, 128)}'",                               # long hex under "key"
])
def test_vendor_prefixed_random_token_is_found(text: str) -> None:
    assert RULE in _rules(text), text


@pytest.mark.parametrize("text", [
    f'integrity="sha384-{_r(ALNUM, 64)}"',                     # SRI hash
    f"pkg/mod.py,sha256=ab_{_r(ALNUM, 40)},2462",               # wheel RECORD hash
    f'path = "/static/abc_{_r(ALNUM, 30)}.js"',                # a path and a file name
    f'url = "https://x.io/files/img_{_r(ALNUM, 30)}"',
    "my_var_TestConnectionHandlerForLegacy2024 = 1",           # an identifier
    f"self.abc_{_r(ALNUM, 30)} = 1",                           # an attribute
    f'x = "build-{_r(HEX, 40)}"',                              # hex without a credential word
    f'"chunk-{_r(HEX, 32)}"',
    f'STRIPE_PUBLISHABLE = "pk_live_{_r(ALNUM, 30)}"',         # public by design
    f'email = "abc_{_r(ALNUM, 30)}@example.org"',
    f'"tool_use_id": "toolu_01{_r(ALNUM, 30)}"',               # API object ids
    f'"id": "chatcmpl-{_r(ALNUM, 29)}"',
    f'v = "abc_{_r(ALNUM.upper(), 30)}"',                      # upper case and digits: ids
    "k = 'cfat_aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQ03fa099b'",   # the alphabet in order
    f"k = 'r9_{_r(ALNUM, 37)}'",                               # two letters: another's typo
    f"t = 'foo_{_r(ALNUM, 36)}'",                              # a placeholder word
    f"k = 'bsk-{_r(string.ascii_lowercase + string.digits, 48)}'",  # csk- one typo off
    f'k = "acme_{_r(ALNUM, 20)}"',                             # too short to tell
    f'k = "sk-ant-admin03-{_r(ALNUM, 95)}"',                   # a provider rule's near miss
])
def test_look_alikes_are_quiet(text: str) -> None:
    assert RULE not in _rules(text), text


def test_a_provider_rule_wins_over_the_generic_one() -> None:
    key = "gh" + "p_" + _r(ALNUM, 36)
    assert _rules(f'token = "{key}"') == ["github-token"]


def test_reserved_prefixes_come_from_provider_keywords() -> None:
    reserved = reserved_prefixes(["sk-ant-api03-", "ghp_", "sk-", "sk_live_"])
    assert {"sk-ant-", "sk-ant-api03-", "ghp_", "sk_live_"} <= reserved
    assert "sk-" not in reserved and "sk_" not in reserved
    body = _r(ALNUM, 40)
    text = f'k = "acme_{body}"'
    assert prefixed_token_ok(text, text.index("_"), body)
    assert not prefixed_token_ok(text, text.index("_"), body, frozenset({"acme_"}))
