"""Rules and filters of the fifth pass on the fresh corpus's dev half (issue 16).

Each change has cases it must find and near misses it must leave alone. Keys are assembled
at run time from seeded random pieces, so this file holds no key-shaped string.
"""

from __future__ import annotations

import pytest

from tests.secretscan.keys import ALNUM, HEX, seeded_text
from tests.secretscan.keys import rules_found as _rules


def _r(alphabet: str, n: int, seed: int = 5) -> str:
    return seeded_text(alphabet, n, seed)


# --- generic assignments --------------------------------------------------------------------

@pytest.mark.parametrize(("text", "rule"), [
    # columns aligned in a JS object, a Ruby hash, a PHP array
    (f'  fbApiKey:            "{_r(HEX, 32)}",', "generic-secret"),
    (f"  :password       => '{_r(ALNUM, 10)}',", "generic-password"),
    (f"    'db_password'        => '{_r(ALNUM, 12)}',", "generic-password"),
    (f"API_TOKEN\t\t\t= {_r(ALNUM, 40)}", "generic-secret"),
])
def test_aligned_assignments_are_found(text: str, rule: str) -> None:
    assert rule in _rules(text, "config.rb"), text


@pytest.mark.parametrize("text", [
    # an HTML field whose id repeats its name with "-" for "_"
    'name="my_plugin__s3_files_access_key" id="my-plugin--s3-files-access-key"',
    # the text between two strings is not a value
    'userLabel:"Username:",passwordLabel:"Password:",rememberLabel:"Remember me:"',
    # a value that says it is not a key
    f"gh-token={_r(HEX, 6)}notakey{_r(HEX, 27)}",
    # aligned, but a reference
    "  :password       => ENV['DB_PASSWORD'],",
    "  password:            ${DB_PASSWORD}",
])
def test_aligned_or_html_look_alikes_stay_quiet(text: str) -> None:
    assert not {"generic-secret", "generic-password"} & set(_rules(text, "form.html")), text


def test_random_lower_case_letters_are_an_app_password() -> None:
    # Gmail-style app passwords: 16 random lower-case letters
    pw = seeded_text("bcdfghjklmnpqrstvwxz", 12, 7) + "aeiu"
    assert "credential-pair" in _rules(
        f'c.Credentials = new NetworkCredential("ci@corp.test", "{pw}");', "Mail.cs")


@pytest.mark.parametrize("pw", ["correcthorsebatterystaple", "whiteduke", "ilikelemons",
                                "administrators"])
def test_words_are_still_not_passwords(pw: str) -> None:
    assert "credential-pair" not in _rules(
        f'c.Credentials = new NetworkCredential("ci@corp.test", "{pw}");', "Mail.cs")


# --- URL credentials ------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "amqp://app:xK9!mN2$" + "@broker.internal:5672/production",      # "!" and "$" inside
    "mongodb+srv://app:bria@Pass5!" + "@cluster0.abcde.mongodb.net/db",  # "@" inside
    "CONNECTION_URI=postgres://svc:s2Tf2k@rLMy" + "@db.corp.net:5434/elephant",
    "amqps://admin:3eCa3P" + "@10.1.2.3:5671/vhost",                  # short, letters+digits
    "jdbc:mysql://admin:s3cr3t" + "@prod.internal:3306/inventory",
])
def test_more_passwords_in_urls_are_found(text: str) -> None:
    assert "url-credentials" in _rules(text), text


@pytest.mark.parametrize("text", [
    "DATABASE_URL=postgres://user:${DB_PASS}" + "@db.internal/app",
    "DATABASE_URL=postgres://user:$DB_PASS" + "@db.internal/app",
    "url = 'https://user:aaabbb" + "@db.internal/app'",               # short and repetitive
    "see https://a.example:8080/x and mailto:someone@corp.test",
])
def test_url_look_alikes_stay_quiet(text: str) -> None:
    assert "url-credentials" not in _rules(text), text
