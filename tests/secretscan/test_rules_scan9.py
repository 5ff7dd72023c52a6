"""The ninth pass (issue 16): causes of the fresh corpus' dev-half misses that recur across
services, each with a found and a quiet case.

Keys are assembled at run time from seeded random pieces, so this file holds no key-shaped
string (the weak passwords below are words, which no scanner reads as keys).
"""

from __future__ import annotations

import pytest

from tests.secretscan.keys import rules_found as _rules

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
