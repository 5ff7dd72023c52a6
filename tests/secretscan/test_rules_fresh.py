"""Rules and filters changed after the fresh corpus's dev half (issue 16, third pass).

Each change has cases it must find and near misses it must leave alone. Keys are assembled
at run time from pieces, so this file holds no key-shaped string.
"""

from __future__ import annotations

import string

import pytest

from tests.secretscan.keys import ALNUM, HEX, seeded_text
from tests.secretscan.keys import rules_found as _rules

LOWER36 = string.ascii_lowercase + string.digits
B64 = ALNUM + "+/"


def _r(alphabet: str, n: int, seed: int = 16) -> str:
    return seeded_text(alphabet, n, seed)


HEADER = "-----BEGIN RSA PRIVATE " + "KEY-----"
BODY = ["MIIEpAIBAAKCAQEA" + _r(B64, 48, n) for n in range(4)]


@pytest.mark.parametrize("text", [
    # Java: the PEM split over "+"-joined literals with escaped newlines
    'String k = "' + HEADER + '\\n" +\n' + "".join(f'    "{b}\\n" +\n' for b in BODY) + '"";',
    # a log with a timestamp before every line
    "".join(f"2026-04-26 12:36:01 {line}\n" for line in [HEADER, *BODY]),
    # a Docker build log: "#6 0.245 " before every line
    "".join(f"#6 0.245 {line}\n" for line in [HEADER, *BODY]),
    # a C comment block
    "/*\n" + "".join(f" *  {line}\n" for line in [HEADER, *BODY]) + " */\n",
])
def test_private_key_behind_per_line_noise_is_found(text: str) -> None:
    assert _rules(text, "Keys.java") == ["private-key"]


@pytest.mark.parametrize("text", [
    # a mention of the header, then a commit hash (hex: no upper case) within 400 characters
    f"# {HEADER} marks the block; fixed in {_r(HEX, 40)}\n",
    # a mention, then a long identifier without digits
    f"assert text.startswith('{HEADER}')\nclass PrivateKeyLoaderForTheLegacyPemFormatOnlyHere:\n",
    # test fixtures that say what they are in the header
    "-----BEGIN OPENSSH FAKE PRIVATE " + "KEY-----\n" + "\n".join(BODY),
    'header="-----BEGIN OPENSSH EMPTY PRIVATE ' + 'KEY-----"\n' + "\n".join(BODY),
])
def test_private_key_look_alikes_stay_quiet(text: str) -> None:
    assert "private-key" not in _rules(text)


@pytest.mark.parametrize("text", [
    f"craftmypdf_key = {_r(LOWER36, 35)}",
    f"zerobounceKEY={_r(LOWER36, 32, 2)}",
    f"BITCOINAVERAGE_KEY={_r(ALNUM, 43)}",
    # (a Jina key here is now the jina-api-key rule's: tests/secretscan/test_rules_ai_platforms.py)
    f"ZETA_KEY = os.getenv('ZETA_KEY', '{_r(ALNUM, 60)}')",
    f'"acmecloud_key": "{_r(ALNUM, 40, 3)}"',
])
def test_a_services_key_name_with_a_random_value_is_found(text: str) -> None:
    assert "generic-secret" in _rules(text), text


@pytest.mark.parametrize("text", [
    f'cache_key = "{_r(HEX, 32)}"',                       # lookup keys, not credentials
    f'sort_key = "{_r(LOWER36, 24)}"',
    f'partition_key = "{_r(ALNUM, 30)}"',
    'idempotency_key = "3f1c2b4a-1d2e-4f5a-9b8c-7d6e5f4a3b2c"',  # UUIDs: request ids
    "acmecloud_key = acmecloud-prod-west",               # a name, no digits
    f"acmecloud_key = {_r(LOWER36, 12)}",                # too short to tell
    "translation_key = 'errors.login.failed_attempt_3'",
    f"key = '{_r(ALNUM, 40)}'",                          # "key" alone: too noisy
    "acme_key = '12345678901234567890123'",              # digits only
])
def test_key_names_that_are_not_credentials_stay_quiet(text: str) -> None:
    assert "generic-secret" not in _rules(text), text


@pytest.mark.parametrize("text", [
    "mongodb://appuser:D1fficult" + "@localhost/records",
    "url: mongodb://jrfdeg42:p4Dsr8b" + "@127.0.0.1:32768/architecture",
])
def test_a_strong_password_in_a_local_url_is_found(text: str) -> None:
    assert "url-credentials" in _rules(text)


@pytest.mark.parametrize("text", [
    "DATABASE_URL=postgresql://postgres:postgres" + "@localhost:5432/dev",
    "REDIS_URL=redis://user:password" + "@localhost:6379/0",
    "postgresql://scott:tiger" + "@localhost/test",
    "mysql://user:pass1234" + "@localhost/db",              # a placeholder ("1234")
    "https://user:S3cretive9" + "@host/path",              # a placeholder host, as before
])
def test_weak_or_placeholder_local_urls_stay_quiet(text: str) -> None:
    assert "url-credentials" not in _rules(text)


@pytest.mark.parametrize("text", [
    "        mlkem_key: mlkem.MLKEM768PrivateKey,",          # a type annotation
    "    'w32-register-hot-key', 'w32-registered-hot-keys',",  # a list of names
    'key"===n.reason&&tv&&0===tM.length&&!tO.state.emptyRef.current&&n.allow()',  # minified
])
def test_key_names_before_code_stay_quiet(text: str) -> None:
    assert "generic-secret" not in _rules(text, "app.js"), text


PW = "Tr0ub4" + "dor&3x"


@pytest.mark.parametrize("text", [
    f'$c = New-Object System.Net.NetworkCredential("cidownload", "{PW}");',
    f'var c = new NetworkCredential("builds@corp.test", "{PW}");',
    f'r = requests.get(url, auth=("alice", "{PW}"))',
    f"r = requests.get(url, auth=HTTPBasicAuth('alice', '{PW}'))",
    f'new DirectoryEntry("LDAP://10.10.10.1", "domain\\\\user", "{PW}")',
    f'new PasswordAuthentication("alice", "{PW}".toCharArray())',
])
def test_a_password_given_to_a_credentials_constructor_is_found(text: str) -> None:
    assert "credential-pair" in _rules(text, "Client.cs"), text


@pytest.mark.parametrize("text", [
    'r = requests.get(url, auth=("alice", "password"))',   # a placeholder
    "r = requests.get(url, auth=(user, pw))",                # variables, not literals
    'new NetworkCredential("user", "${PASSWORD}")',          # a template
    'auth=("alice", "changeme")',
    'new NetworkCredential(user, "{PW}")',                   # user is not a literal: no pair
])
def test_credentials_constructors_without_a_literal_password_stay_quiet(text: str) -> None:
    assert "credential-pair" not in _rules(text, "Client.cs"), text
