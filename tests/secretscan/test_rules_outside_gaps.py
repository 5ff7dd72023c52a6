"""Rules added to close the outside corpus's gaps (issue 16, second pass).

Each provider format and form has a found case and near misses that stay quiet.
Keys are assembled at run time from pieces, so this file holds no key-shaped string.
"""

from __future__ import annotations

import string

import pytest

from tests.secretscan.keys import ALNUM, HEX, seeded_text
from tests.secretscan.keys import rules_found as _rules


def _r(alphabet: str, n: int, seed: int = 7) -> str:
    return seeded_text(alphabet, n, seed)


SIDEKIQ = _r(HEX, 8) + ":" + _r(HEX, 8, 2)
TWITTER = "A" * 22 + _r(ALNUM, 60) + "%2B" + _r(ALNUM, 30, 3)
GL = "gl"
MAILCHIMP = _r(HEX, 32) + "-u" + "s21"


@pytest.mark.parametrize(("text", "rule"), [
    (f"BUNDLE_ENTERPRISE__CONTRIBSYS__COM: {SIDEKIQ}", "sidekiq-credentials"),
    (f'export BUNDLE_GEMS__CONTRIBSYS__COM="{SIDEKIQ}"', "sidekiq-credentials"),
    (f"source 'https://{SIDEKIQ}@gems.contribsys.com/'", "sidekiq-credentials"),
    (f'bearer := "{TWITTER}"', "twitter-bearer-token"),
    (f"x = '{GL}soat-{_r(ALNUM + '_-', 50)}'", "gitlab-token"),
    (f"x = '{GL}imt-{_r(ALNUM, 25)}'", "gitlab-token"),
    (f"x = '{GL}agent-{_r(ALNUM, 60)}'", "gitlab-token"),
    (f"x = '{GL}oas-{_r(ALNUM, 64)}'", "gitlab-token"),
    (f"x = 'GR1348941{_r(ALNUM, 30)}'", "gitlab-token"),
    # a Slack token whose public team/user ids look like fillers: the random tail decides
    ("t = 'xo" + "xa-2-511111111-31111111111-3111111111111-" + _r(HEX, 18) + "'", "slack-token"),
    ("t = 'xo" + "xb-123456789012-" + _r(ALNUM, 24) + "'", "slack-token"),
    ("t = 'xo" + "xr-" + _r(string.ascii_lowercase + string.digits, 12) + "'", "slack-token"),
    (f"mc = {MAILCHIMP}", "mailchimp-key"),
    (f"curl --user kevin:'{_r(ALNUM, 16)}' -X PATCH https://api.test", "basic-auth"),
    (f'curl -u "{_r(ALNUM, 10)}!t:" https://search.internal:9200', "basic-auth"),
])
def test_found(text: str, rule: str) -> None:
    assert rule in _rules(text), text


@pytest.mark.parametrize("text", [
    "BUNDLE_ENTERPRISE__CONTRIBSYS__COM: ${SIDEKIQ_CREDS}",
    "https://gems.contribsys.com/",
    "A" * 120,                                   # a run of "A", not a token
    "A" * 22 + "B" * 90,
    f"x = '{GL}ptt-{_r(ALNUM, 20)}'",            # too short for its prefix
    f"x = '{GL}agent-{_r(ALNUM, 20)}'",
    "xo" + "xe.xo" + "xp-1-RANDOMSTRINGHERE",      # word tails are placeholders
    "xo" + "xp-1-SlackAppConfigurationAccessTokenHere",
    "xo" + "xp-1234-1234-1234-" + _r(HEX, 32),    # the docs' repeated ids
    "lang = 'en-us2'",
    f"h = '{_r(HEX, 31)}-us2'",                   # 31 hex: not a Mailchimp key
    'curl -k -X POST -u "SRVC_JENKINS:${APPID}" https://ci',
    "curl -u admin: http://localhost",
])
def test_near_misses_stay_quiet(text: str) -> None:
    assert _rules(text) == [], text


@pytest.mark.parametrize("text", [
    # API handles for retries, paging and concurrency (botocore's examples hold hundreds)
    '"ClientRequestToken": "a8ca07e4-61ec-4399-99f4-19853801bcd5",',
    '"ChangeToken": "abcd12f2-46da-4fdb-b8d5-fbd4c466928f",',
    f'"NextToken": "{_r(ALNUM, 40, 4)}"',
])
def test_handle_tokens_are_not_secrets(text: str) -> None:
    assert _rules(text, "examples-1.json") == []


def test_a_token_qualified_otherwise_is_still_found() -> None:
    assert _rules(f'"SessionToken": "{_r(ALNUM, 40, 5)}"', "c.json") == ["generic-secret"]
