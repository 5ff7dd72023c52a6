"""The ninth pass (issue 16): causes of the fresh corpus' dev-half misses that recur across
services, each with a found and a quiet case.

Keys are assembled at run time from seeded random pieces, so this file holds no key-shaped
string (the weak passwords below are words, which no scanner reads as keys).
"""

from __future__ import annotations

import pytest

from apilab.secretscan.provider_names import near_miss
from tests.secretscan.keys import ALNUM, HEX, LOWER36, seeded_text
from tests.secretscan.keys import rules_found as _rules


def _r(alphabet: str, n: int, seed: int = 9) -> str:
    return seeded_text(alphabet, n, seed)


# --- a password that is one lowercase word ----------------------------------------------------


@pytest.mark.parametrize(("text", "path"), [
    ('db_password = "whiteduke"', "app.py"),
    ("password =    'ilikespaces'", "app.py"),
    ('password "braksha"', "build.gradle"),
    ("REACT_APP_AUTH_PASSWORD=whiteduke", ".env"),
    ("REACT_APP_AUTH_PASSWORD=whiteduke    # some comment", ".env"),
    ("# REACT_APP_PASS=whiteduke", ".env"),
    ("export SMTP_PASS=whiteduke\n", "run.sh"),
    ("if password == 'logmein':", "app.py"),
])
def test_a_literal_word_given_to_a_password_is_found(text: str, path: str) -> None:
    assert _rules(text, path) == ["generic-password"], text


@pytest.mark.parametrize("text", [
    'fields = ["login", "password", "encoding"]',             # a list of strings
    '{"name": "MYSQL_PASSWORD", "description": "x"}',          # the next key in a mapping
    'field_type: Literal["text", "password", "select"] = "t"',
    '_PassArg.context: "context",',                            # the value is in the name
    '"Pass adopt_hosts=\'namespace\' to the pool"',            # prose
    "password = credentials",                                  # unquoted in code: a variable
    "x = 1; PASSWORD=whiteduke",                               # not alone on its line
    '{variant:"reset_password"===e?"reset_password":"signup"}',  # a ternary (minified JS)
    'let t=isPw?"password":"select"',
    'password = "hidden"',                                     # a field's role
    '"password": "passwort"',                                  # a translation
    '"Password": "pasword"',                                   # "password", misspelt
    'password = "password"',
    "DB_PASSWORD=postgres",                                    # a well-known default
    'password = "Password"',
    "mysql -u root -p inventory",                              # -p prompts; then a database
    'new NetworkCredential("ci@corp.test", "whiteduke")',      # a pair: test_rules_scan5
])
def test_a_word_that_is_not_a_password_stays_quiet(text: str) -> None:
    assert _rules(text) == [], text


# --- an AI provider's prefix with too short a body: a near miss under any name ---------------

@pytest.mark.parametrize("value", [
    "gsk_" + _r(ALNUM, 24),          # Groq's are gsk_ and 52
    "hf_" + _r(ALNUM, 20),           # Hugging Face's hf_ and 34
    "sk-proj-" + _r(ALNUM, 20),      # OpenAI project keys run to 150+
    "pplx-" + _r(ALNUM, 30),
    "sk-ant-api03-" + _r(ALNUM, 24),
])
@pytest.mark.parametrize("name", ["GROQ_API_KEY", "service_token", "api_key"])
def test_a_provider_prefix_with_a_short_body_is_a_near_miss(name: str, value: str) -> None:
    assert near_miss(value)
    assert _rules(f'{name} = "{value}"') == [], (name, value)


@pytest.mark.parametrize("value", [
    "sk-" + _r(ALNUM, 24),           # sk- is many services' prefix
    "app-" + _r(ALNUM, 24),          # a common word (here a Dify key's layout)
    "pa-" + _r(ALNUM, 12) + "9",     # a password may start so
    "gsk_" + _r(ALNUM, 40),          # a long body: a newer layout, or another service's
])
def test_shared_prefixes_and_long_bodies_are_not_near_misses(value: str) -> None:
    assert not near_miss(value)
    assert _rules(f'service_token = "{value}"'), value


# --- service names with digits ----------------------------------------------------------------

def test_a_service_name_with_digits_names_its_key() -> None:
    uuid4 = "-".join((_r(HEX, 8, 5), _r(HEX, 4, 5), "4" + _r(HEX, 3, 5), "a" + _r(HEX, 3, 6),
                      _r(HEX, 12, 5)))
    assert _rules(f"ai21_key: {uuid4}") == ["generic-secret"]
    assert _rules(f"s3_key = '{uuid4}'") == []        # S3's object keys


# --- a service's name and ACCESS or PRIVATE ---------------------------------------------------

@pytest.mark.parametrize("text", [
    f"zerobounceACCESS={_r(LOWER36, 30, 4)}",
    f"pdfshift ACCESS {_r(HEX, 32, 4)}",
    f"scrapeowl ACCESS {_r(LOWER36, 30, 5)}",
    f"languagelayer PRIVATE {_r(LOWER36, 32, 6)}",
    f'mailerPRIVATE: "{_r(ALNUM, 32, 7)}"',
])
def test_a_service_name_and_access_or_private_before_a_token_is_a_key(text: str) -> None:
    assert _rules(text) == ["generic-secret"], text


@pytest.mark.parametrize("text", [
    "DATABASE_ACCESS=readonly",                        # not a token
    "ALLOW_PUBLIC_ACCESS=true",
    f"S3_BUCKET_ACCESS={_r(HEX, 32, 4)}",              # a bucket's, structural
    f"user_access = '{_r(LOWER36, 30, 4)}'",           # lower case: everywhere in code
    f"private {_r(LOWER36, 30, 4)}",                   # no service before it
    f"-----BEGIN RSA PRIVATE KEY-----\n{_r(LOWER36, 30, 4)}",
    f"NO ACCESS {_r(HEX, 32, 4)}",                     # "no" is too short a service
    f"the server ACCESS {_r(LOWER36, 30, 4)}",         # in a sentence
])
def test_access_and_private_elsewhere_stay_quiet(text: str) -> None:
    assert "generic-secret" not in _rules(text), text


# --- a service's key in hex: the entropy a random hex key of that length has ------------------

def _hex_entropy_key(n: int, seed: int) -> str:
    """A random hex string of ``n`` digits whose entropy is under 3.5 bits (most at 20)."""
    from apilab.secretscan.filters import entropy
    for s in range(seed, seed + 500):
        value = _r(HEX, n, s)
        if entropy(value) < 3.5 and any(c.isdigit() for c in value):
            return value
    raise AssertionError("no such value")


@pytest.mark.parametrize("n", [20, 24, 32])
def test_a_random_hex_key_under_a_service_name_is_found(n: int) -> None:
    value = _hex_entropy_key(n, 11)
    assert _rules(f"CLAY_KEY: {value}") == ["generic-secret"], value
    assert _rules(f"clay key: {value}") == ["generic-secret"], value


@pytest.mark.parametrize("value", [
    "0a0b0c0d0e0f0a0b0c0d0e0f",        # two symbols at a time: 2.6 bits
    "1111222233334444aaaa",            # runs
    "deadbeefdeadbeefdeadbeef",
])
def test_patterned_hex_under_a_service_name_stays_quiet(value: str) -> None:
    assert _rules(f"CLAY_KEY: {value}") == [], value


# --- prose: the password is "..." ---------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "The default Password is 'blooberry'",
    'ensure the password is "centipede" and press the button',
    f'the password was "{_r(ALNUM, 10, 3)}"',
])
def test_a_password_given_in_prose_is_found(text: str) -> None:
    assert _rules(text, "README.md") == ["generic-password"], text


@pytest.mark.parametrize("text", [
    "The password is 'required'",                      # a default word
    'if password is "x":',                             # too short
    "Your password is 'invalid'",                      # a placeholder word
    'the password is "{password}"',                    # a template
])
def test_prose_that_gives_no_password_stays_quiet(text: str) -> None:
    assert _rules(text, "README.md") == [], text


# --- placeholders: the alphabet in order, letters and digits interleaved in order -------------

@pytest.mark.parametrize("text", [
    "license_key: a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8NRAL",
    "--set newrelic-pixie.apiKey=px-api-a1b2c3d4-e5f6-g7h8-i8j0-k0l3m3n4o0p5",
    "--set pixie-chart.deployKey=px-dep-d4c3b2a1-f6e5-h8g7-j1i8-p5o0n5m3l2k1",
    f'api_key = "{_r(ALNUM, 10, 2)}ghijklm{_r(ALNUM, 20, 2)}"',
    f'token = "{_r(ALNUM, 10, 2)}ZYXWVUT{_r(ALNUM, 20, 2)}"',
])
def test_sequences_in_order_are_placeholders(text: str) -> None:
    assert _rules(text) == [], text


def test_random_keys_hold_no_sequence_marker() -> None:
    from apilab.secretscan.filters import is_placeholder
    keys = [seeded_text(ALNUM, 48, seed) for seed in range(20_000)]
    assert not [k for k in keys if is_placeholder(k)]


# --- a comparison with an expression -----------------------------------------------------------


@pytest.mark.parametrize(("text", "path", "found"), [
    ('function f(e){return"password"===e.type?e.value:null}', "app.min.js", []),
    ("if (user.password !== other.passwordConfirmation) { fail() }", "form.js", []),
    (f'if (token === "{_r(ALNUM, 24, 31)}") {{}}', "check.js", ["generic-secret"]),
    (f'password == "{_r(ALNUM, 16, 32)}"', "app.py", ["generic-password"]),
])
def test_a_comparison_reports_literals_not_expressions(text: str, path: str,
                                                       found: list[str]) -> None:
    # Minified JS compares a field's type with the word "password" all the time.
    assert _rules(text, path) == found, text
