"""The tenth pass (issue 16): forms behind the fresh corpus' dev-half misses and false hits
that recur beyond the services they were seen with, each with a found and a quiet case.

Keys are assembled at run time from seeded random pieces, so this file holds no key-shaped
string (the weak passwords below are words, which no scanner reads as keys).
"""

from __future__ import annotations

import time

import pytest

from tests.secretscan.keys import ALNUM, seeded_text
from tests.secretscan.keys import rules_found as _rules


def _r(alphabet: str, n: int, seed: int = 10) -> str:
    return seeded_text(alphabet, n, seed)


# --- PsExec's -p takes the password, even one word ------------------------------------------


@pytest.mark.parametrize("text", [
    r"PSEXEC.EXE \\fileserver -u DOMAIN\ops -p whiteduke CMD",
    r'system("psexec \\\\10.0.0.7 -u Administrator -p blooberry shutdown -r");',
    r"cmd.exe /C PsExec \\build01 -u Administrator -p ops_night CMD /C ECHO",
])
def test_a_word_after_psexec_dash_p_is_a_password(text: str) -> None:
    assert _rules(text, "deploy.bat") == ["cli-password"], text


@pytest.mark.parametrize("text", [
    r"psexec \\host -u User -p $Password -i -d calc.exe",        # a variable
    r"PsExec.exe \\host -u ADMIN -p %nothing% -i 2 -c",         # a Windows variable
    r"psexec \\host -u admin -p PASSWORD cmd",                  # a placeholder
    r"psexec \\host -u admin -p password cmd",
    r"psexec \\host -u admin -p admin cmd",                     # a default
    "mysql -u root -p inventory",                               # not PsExec: -p prompts
    "run -u root -p inventory # then psexec later",             # PsExec after the -p
])
def test_psexec_references_and_other_commands_stay_quiet(text: str) -> None:
    assert _rules(text, "deploy.bat") == [], text


# --- a JSON-RPC method that logs in with a key, given one ------------------------------------


def _rpc(method: str, value: str, *, spaced: bool = False) -> str:
    if spaced:
        return (f'{{\n  "id": 7,\n  "msg": "method",\n  "method": "{method}",\n'
                f'  "params": [\n    "{value}"\n  ]\n}}\n')
    return f'{{"id": 7, "msg": "method", "method": "{method}", "params": ["{value}"]}}'


@pytest.mark.parametrize(("method", "spaced"), [
    ("auth.login_with_api_key", False),
    ("auth.login_with_api_key", True),
    ("session.setToken", False),
    ("Auth.UseSecret", True),
])
def test_a_key_given_to_a_json_rpc_login_is_found(method: str, spaced: bool) -> None:
    value = "12-" + _r(ALNUM, 64, 3)
    assert _rules(_rpc(method, value, spaced=spaced), "call.json") == ["rpc-credential"]


@pytest.mark.parametrize(("method", "value"), [
    ("auth.login", "operator" + _r(ALNUM, 16, 4)),           # the first parameter is a user
    ("eth_getBalance", "0x" + _r("0123456789abcdef", 40, 5)),  # no key in the name
    ("auth.login_with_api_key", "${TRUENAS_API_KEY}"),       # a reference
    ("auth.login_with_api_key", "your-api-key-goes-here"),   # words
    ("auth.generate_token", "300"),                          # a lifetime, not a key
])
def test_json_rpc_calls_without_a_literal_key_stay_quiet(method: str, value: str) -> None:
    assert _rules(_rpc(method, value), "call.json") == [], (method, value)


@pytest.mark.parametrize("attack", [
    '{"method": "' + "a" * 200_000,
    '"method":"auth.key", "params": [' + " " * 200_000,
    ('"method": "key", "params": ["' + "a" * 19 + '" ') * 10_000,
    '"method"' * 40_000,
])
def test_the_json_rpc_rule_is_linear_on_hostile_input(attack: str) -> None:
    start = time.perf_counter()
    _rules(attack, "call.json")
    assert time.perf_counter() - start < 2.0


# --- a name that can only mean a GitHub token needs a GitHub format -------------------------

_HEX = "0123456789abcdef"


@pytest.mark.parametrize("name", ["github_api_key", "github-api-token", "GITHUB_TOKEN",
                                  "GH_TOKEN", "githubAccessToken"])
@pytest.mark.parametrize("tail", ["3", "z", "_"])
def test_a_github_token_name_with_a_value_off_githubs_formats_stays_quiet(name: str,
                                                                        tail: str) -> None:
    # 40 hex and one more character: a made-up or mistyped token, not GitHub's
    assert _rules(f"{name}: {_r(_HEX, 40, 7)}{tail}") == [], name


@pytest.mark.parametrize(("text", "found"), [
    (f"GITHUB_TOKEN: {_r(_HEX, 40, 7)}", ["github-token-legacy"]),
    (f'GITHUB_TOKEN = "{"gh" + "p_" + _r(ALNUM, 36, 8)}"', ["github-token"]),
    # other GitHub secrets take any layout: a webhook's secret is chosen by its owner
    (f"GITHUB_WEBHOOK_SECRET: {_r(_HEX, 40, 7)}3", ["generic-secret"]),
    (f"GITHUB_CLIENT_SECRET = '{_r(ALNUM, 30, 9)}'", ["generic-secret"]),
    # "git" is not GitHub
    (f"git_token = '{_r(_HEX, 40, 7)}z'", ["generic-secret"]),
])
def test_github_formats_and_other_github_secrets_are_found(text: str,
                                                           found: list[str]) -> None:
    assert _rules(text) == found, text


# --- CockroachDB Cloud API secret keys (betterleaks' public rule) ---------------------------


def _ccdb(first: int = 22, second: int = 40, seed: int = 12) -> str:
    return "CCDB" + "1_" + _r(ALNUM, first, seed) + "_" + _r(ALNUM, second, seed + 1)


@pytest.mark.parametrize("text", [
    f"export COCKROACH_API_KEY={_ccdb()}",
    f'provider "cockroach" {{ apikey = "{_ccdb(seed=14)}" }}',
    f"curl -H 'Authorization: Bearer {_ccdb(seed=16)}' https://cockroachlabs.cloud/api/v1",
])
def test_a_cockroachdb_cloud_key_is_found(text: str) -> None:
    assert "cockroachdb-cloud-key" in _rules(text, "env.sh"), text


@pytest.mark.parametrize("value", [
    _ccdb(first=21),                                     # a part a character short
    _ccdb(second=41),                                    # a part a character long
    "CCDB" + "1_" + "A" * 22 + "_" + "B" * 40,           # a filler
    "ccdb" + "1_" + _r(ALNUM, 22, 12) + "_" + _r(ALNUM, 40, 13),  # the prefix in lower case
])
def test_cockroachdb_near_misses_are_not_its_keys(value: str) -> None:
    assert "cockroachdb-cloud-key" not in _rules(f"key: {value}", "env.sh"), value


# --- a prefixed token whose URL-safe body holds "_" or "-" -----------------------------------


def _chunked(prefix: str, seed: int) -> str:
    """``prefix``, a short mixed chunk and a long run, as URL-safe base64 bodies come out."""
    chunk = "Q" + _r(ALNUM, 3, seed)
    return f"{prefix}{chunk}_{_r(ALNUM, 35, seed + 1)}"


@pytest.mark.parametrize("text", [
    f"atlas = Atlas(client_id, '{_chunked('acme_sa_sk_', 20)}')",
    f'client = Vendor("{_chunked("zork_live-", 22)}")',
    f"token: {_chunked('wisp_token_', 24)}",
])
def test_a_prefixed_token_with_a_separator_in_its_body_is_found(text: str) -> None:
    assert "generic-prefixed-token" in _rules(text), text


@pytest.mark.parametrize("text", [
    # pieces of a base64url blob split over lines: no credential word before the chunk
    f'    "{_chunked("qssd_", 26)}"',
    f'    "{_chunked("abcd_efgh-", 28)}"',
    # a public or test prefix with a credential word
    f"key = '{_chunked('pk_test_', 30)}'",
    # inside a path
    f"url = 'https://x.io/a/{_chunked('acme_sk_', 32)}'",
])
def test_blob_pieces_and_public_prefixes_with_a_chunk_stay_quiet(text: str) -> None:
    assert "generic-prefixed-token" not in _rules(text), text


@pytest.mark.parametrize("attack", [
    "ab_" * 100_000,
    ("abc_sk_Q" + "a" * 15 + "_") * 20_000,
    "zz_sk_" + "Ab_" * 100_000,
    ("k_sk_AA-" + "A1" * 20 + " ") * 5_000,
])
def test_the_chunked_prefix_is_linear_on_hostile_input(attack: str) -> None:
    start = time.perf_counter()
    _rules(attack)
    assert time.perf_counter() - start < 3.0


# --- a JWT whose signature is a word is documentation's made-up token -------------------------


def _jwt(signature: str) -> str:
    import base64
    import json

    def seg(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{seg({'alg': 'HS256', 'typ': 'JWT'})}.{seg({'sub': 'svc-7', 'n': 41})}.{signature}"


@pytest.mark.parametrize("text", [
    f"WORKATO_API_TOKEN={_jwt(_r(ALNUM + '_-', 43, 40))}",
    f'auth_token = "{_jwt(_r(ALNUM + "_-", 43, 41))}"',
])
def test_a_jwt_with_a_random_signature_is_found(text: str) -> None:
    assert _rules(text), text


@pytest.mark.parametrize("signature", ["signature", "SIGNATURE", "signaturegoeshere",
                                       "yoursignature"])
@pytest.mark.parametrize("template", ["WORKATO_API_TOKEN={}", 'auth_token = "{}"',
                                      "Authorization: Bearer {}"])
def test_a_jwt_whose_signature_is_a_word_stays_quiet(signature: str, template: str) -> None:
    text = template.format(_jwt(signature))
    assert _rules(text) == [], text


# --- a literal fallback after a look-up -------------------------------------------------------


@pytest.mark.parametrize(("text", "path", "found"), [
    ('SECRET_KEY = os.environ.get("SECRET_KEY") or "{v}"', "settings.py", "generic-secret"),
    ('PASSWORD = os.environ.get("PASSWORD") or "{v}!"', "settings.py", "generic-password"),
    ("const secret = process.env.JWT_SECRET || '{v}';", "auth.js", "generic-secret"),
    ('  jwtSecret: process.env.JWT_SECRET ?? "{v}",', "config.ts", "generic-secret"),
    ("$password = getenv('DB_PASS') ?: '{v}';", "db.php", "generic-password"),
    ('api_key = config["api_key"] or "{v}"', "client.py", "generic-secret"),
])
def test_a_literal_fallback_after_a_lookup_is_found(text: str, path: str, found: str) -> None:
    line = text.format(v=_r(ALNUM, 20, 50))
    assert _rules(line, path) == [found], line


@pytest.mark.parametrize("text", [
    'token = os.environ.get("TOKEN") or ""',                      # empty
    'password = os.environ.get("PASSWORD") or "changeme"',        # a default
    'secret = process.env.SECRET || "your-secret-here"',          # a placeholder
    'key = opts.key || "default_key_name"',                       # words
    'token = self._token or "anonymous"',
    f'token = os.environ.get("TOKEN") or sys.exit("{_r(ALNUM, 20, 51)}")',  # a call
    f'password = password or getpass("{_r(ALNUM, 20, 52)}")',
    f'if token == os.environ.get("T") or x == "{_r(ALNUM, 20, 53)}": pass',  # a comparison
])
def test_fallbacks_that_are_not_literal_secrets_stay_quiet(text: str) -> None:
    assert _rules(text) == [], text


@pytest.mark.parametrize("attack", [
    "token = " + "a." * 100_000,
    ("secret = f(" + "x" * 79) * 10_000,
    ("key: env[" + "'" * 90 + "] || ") * 5_000,
    "password = os.environ.get('P') or " * 20_000,
])
def test_the_fallback_form_is_linear_on_hostile_input(attack: str) -> None:
    start = time.perf_counter()
    _rules(attack)
    assert time.perf_counter() - start < 3.0


# --- a keyword default after a quoted name: config("SECRET_KEY", default="...") ---------------


@pytest.mark.parametrize("text", [
    "SECRET_KEY = config('SECRET_KEY', default='{v}')",          # python-decouple
    'SECRET_KEY = os.getenv("SECRET_KEY", default="{v}")',
    'SECRET_KEY = env.str("SECRET_KEY", default="{v}")',        # environs
    'SECRET_KEY = os.getenv("SECRET_KEY", "{v}")',              # (found before)
])
def test_a_keyword_default_after_a_secret_name_is_found(text: str) -> None:
    line = text.format(v=_r(ALNUM, 24, 60))
    assert _rules(line, "settings.py") == ["generic-secret"], line


@pytest.mark.parametrize("text", [
    'SECRET_KEY = config("SECRET_KEY", default="changeme")',
    'TOKEN_TTL = config("TOKEN_TTL", default="3600")',
    'API_KEY = config("API_KEY", default=None)',
    "SECRET_KEY = config('SECRET_KEY', cast=str)",
    'name = config("USER", default="' + _r(ALNUM, 24, 61) + '")',   # not a secret's name
])
def test_keyword_defaults_that_are_not_secrets_stay_quiet(text: str) -> None:
    assert _rules(text, "settings.py") == [], text
