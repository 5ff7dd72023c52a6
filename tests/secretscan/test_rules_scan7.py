"""Rules and filters of the seventh pass on the fresh corpus's dev half (issue 16).

Each change has cases it must find and near misses it must leave alone. Keys are assembled
at run time from seeded random pieces, so this file holds no key-shaped string.
"""

from __future__ import annotations

import pytest

from apilab.secretscan.provider_names import off_format
from tests.secretscan.keys import ALNUM, HEX, seeded_text
from tests.secretscan.keys import rules_found as _rules


def _r(alphabet: str, n: int, seed: int = 7) -> str:
    return seeded_text(alphabet, n, seed)


def _uuid4(seed: int) -> str:
    return "-".join((_r(HEX, 8, seed), _r(HEX, 4, seed), "4" + _r(HEX, 3, seed),
                     "9" + _r(HEX, 3, seed + 1), _r(HEX, 12, seed)))


# --- a provider's name with a value off its format ------------------------------------------

@pytest.mark.parametrize(("name", "value"), [
    ("deepgram_key", _r(HEX, 32)),                 # Deepgram keys are 40 hex
    ("deepseek_key", "sk-" + _r(HEX, 22)),         # DeepSeek's are sk- and 32 hex
    ("kimi_api_key", "sk-" + _r(ALNUM, 20)),       # Moonshot's are sk- and 48
    ("mistral_token", _r(ALNUM, 28)),              # Mistral's are 32
    ("ANTHROPIC_API_KEY", _r(ALNUM, 40)),          # no Anthropic layout at all
    # (Groq's prefix with far too short a body is quiet under any name: test_rules_scan9)
])
def test_a_provider_name_with_a_value_off_its_format_stays_quiet(name: str, value: str) -> None:
    assert _rules(f'{name} = "{value}"') == [], name
    # the same value under a name that names no provider is reported
    assert _rules(f'service_token = "{value}"') == ["generic-secret"], name


@pytest.mark.parametrize(("text", "rule"), [
    # the provider's own format: its rule reports it, not the name rule
    (f"deepgram_key = {_r(HEX, 40)}", "deepgram-api-key"),
    (f"MISTRAL_API_KEY={_r(ALNUM, 32, 3)}", "mistral-api-key"),
    # a prefix only that provider uses, in a layout newer than the rule's
    (f"ANTHROPIC_API_KEY='sk-ant-api04-{_r(ALNUM, 90)}'", "generic-secret"),
    # a random UUID: a key format many services use
    (f"ai21_token = {_uuid4(2)}", "generic-secret"),
    # names that only contain a provider-like word are not checked
    (f'VERCEL_TOKEN = "{_r(ALNUM, 24, 4)}"', "generic-secret"),
    (f'cursor_secret = "{_r(ALNUM, 32, 5)}"', "generic-secret"),
    # OPENAI_API_KEY holds any OpenAI-compatible service's key (a proxy's "sk-" + 22)
    (f'OPENAI_API_KEY = "sk-{_r(ALNUM, 22, 6)}"', "generic-secret"),
])
def test_provider_names_keep_what_fits(text: str, rule: str) -> None:
    assert rule in _rules(text), text


def test_off_format_reads_the_syntax_the_provider_rule_knows() -> None:
    # an XML property the Deepgram rule cannot read: the value still has its format
    assert not off_format("DeepgramApiKey", _r(HEX, 40, 6))
    assert off_format("DeepgramApiKey", _r(HEX, 32, 6))
    assert not off_format("service_token", _r(HEX, 32, 6))  # no provider named


# --- a name and a random token with only a space between ------------------------------------

LOWER36 = "abcdefghijklmnopqrstuvwxyz0123456789"


@pytest.mark.parametrize("text", [
    f"clarifai SECRET {_r(ALNUM, 30)}",
    f"apitemplateKEY {_r(ALNUM, 36, 2)}",
    f"scrapfly TOKEN {_r(HEX, 32, 3)}",
    f"securitytrails PRIVATE_KEY {_r(ALNUM, 32, 4)}",
    # "<word> key" in words reads as <word>_key
    f"nuget key = {_r(LOWER36, 46, 5)}",
    f"clarifai access key {_r(ALNUM, 30, 6)}",
    f"flickr KEY {_r(LOWER36, 36, 7)}",
])
def test_a_name_and_a_random_token_after_a_space_are_found(text: str) -> None:
    assert "generic-secret" in _rules(text), text


@pytest.mark.parametrize("text", [
    "kubectl create secret generic app-credentials --from-file=./creds",
    "The token expires after one hour unless it is refreshed",
    f"the secret {_r(ALNUM, 12, 8)}",                          # short: not a token
    f"the key {_r(ALNUM, 30, 9)}",                              # "the key": not a name
    f"public key {_r(ALNUM, 30, 10)}",
    f"secret {'ab' * 12}",                                       # not random
    '<add key="ConnectionString_Main2" value="Server=db1;Database=app" />',
    "token TokenProviderFactoryImplementation2",               # an identifier
])
def test_words_after_a_name_stay_quiet(text: str) -> None:
    assert not {"generic-secret", "generic-password"} & set(_rules(text, "notes.txt")), text


# --- more assignment forms --------------------------------------------------------------------

PW = _r(ALNUM, 9, 11) + "#" + _r(ALNUM, 3, 12)
TOKEN = _r(ALNUM, 32, 13)


@pytest.mark.parametrize(("text", "rule"), [
    # env lists: Kubernetes / Compose / CloudFormation YAML, ECS JSON
    (f"env:\n  - name: DB_PASSWORD\n    value: {PW}", "generic-password"),
    (f'env:\n  - name: "API_TOKEN"\n    value: "{TOKEN}"', "generic-secret"),
    (f'"environment": [{{"name": "DB_PASSWORD", "value": "{PW}"}}]', "generic-password"),
    (f"  - Name: DB_PASSWORD\n    Value: {PW}", "generic-password"),
    # setters and builders given a literal
    (f'ds.setPassword("{PW}");', "generic-password"),
    (f'builder.withApiKey("{TOKEN}")', "generic-secret"),
    # a (user, password) pair to login(), or with its arguments on lines of their own
    (f'server.login("alerts@corp.test", "{PW}")', "credential-pair"),
    (f'new DirectoryEntry("LDAP://10.0.0.1",\n    "corp\\\\svc",\n    "{PW}");', "credential-pair"),
    # a URL with a password and no user
    (f"REDIS_URL=redis://:{PW}@cache.internal:6379/0", "url-credentials"),
])
def test_more_assignment_forms_are_found(text: str, rule: str) -> None:
    assert rule in _rules(text, "deploy.yaml"), text


@pytest.mark.parametrize("text", [
    "password:\n  value: " + PW,                          # "value:" with no env-list name
    "- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef: {name: db, key: pw}",
    "- name: DB_PASSWORD\n  value: ${DB_PASSWORD}",
    f'tok = getToken("{TOKEN}")',                         # a lookup, not a setter
    f'if (hasSecret("{TOKEN}")) {{',
    'cfg.setPassword(System.getenv("DB_PASS"));',
    'ds.setPassword("changeme")',
    "$ftp->login(\"anonymous\",'-anonymous@')",             # anonymous FTP: an e-mail
    'client.login("Sign in", "Cancel")',                  # words, not a password
    'throw new Error("like dotenv://:key_1234@dotenvx.com/vault/.env")',
    "REDIS_URL=redis://:foobared@cache.internal:6379/0",  # no user: a chosen password only
])
def test_more_assignment_look_alikes_stay_quiet(text: str) -> None:
    assert not {"generic-secret", "generic-password", "credential-pair", "url-credentials"} & set(
        _rules(text, "deploy.yaml")), text


# --- passwords on a command line --------------------------------------------------------------

@pytest.mark.parametrize("text", [
    f"mysql -u root -p{PW} inventory",
    f"mysql -uroot -p'{PW}' inventory",
    f"psexec \\\\\\\\10.0.0.5 -u CORP\\\\svc -p {PW} cmd /c dir",
    f"docker login -u deploy -p {PW} registry.corp.test",
    f"sqlcmd -S db -U sa -P {PW} -Q \"select 1\"",
    f"sshpass -p '{PW}' ssh deploy@10.0.0.5",
    f'$pw = ConvertTo-SecureString "{PW}" -AsPlainText -Force',
])
def test_command_line_passwords_are_found(text: str) -> None:
    assert "cli-password" in _rules(text, "deploy.sh"), text


@pytest.mark.parametrize("text", [
    "psql -h db -U app -p 5432 inventory",          # psql's -p is the port
    "mysql -u root -p inventory",                   # -p alone prompts; then the database
    "docker login -u $REGISTRY_USER -p $REGISTRY_TOKEN",
    "psexec -u admin -p %ADMIN_PASSWORD% cmd",      # a Windows variable
    "pip install -U pip -p python3.11",             # -U is pip's upgrade flag
    "use the -u and -p options, respectively.",     # prose
    "sshpass -p $SSHPASS ssh deploy@host",
    "$s = ConvertTo-SecureString $plain -AsPlainText -Force",
    "useradd -u 1001 -p '$6$rounds$hash' bob",      # a crypt hash, not the password
])
def test_command_line_look_alikes_stay_quiet(text: str) -> None:
    assert _rules(text, "deploy.sh") == [], text


def test_a_cmdlet_is_not_a_password() -> None:
    # the generic rule once read "ConvertTo-SecureString" as the value of $pw
    assert "generic-password" not in _rules(
        f'$pw = ConvertTo-SecureString "{PW}" -AsPlainText', "a.ps1")
    assert _rules("$pw = ConvertTo-SecureString $plain -AsPlainText", "a.ps1") == []


def test_a_sentence_before_key_is_not_a_name() -> None:
    # "<word> key <token>" reads as <word>_key only where the word starts the name
    body = _r(ALNUM + "+/", 44, 14)
    assert _rules(f"{_r(ALNUM, 20, 15)} not a real key {body}", "notes.txt") == []
    assert _rules(f"see the nuget key {_r(LOWER36, 46, 5)}", "notes.txt") == []


# --- a token of dotted fields is not a version string -----------------------------------------

def test_a_dotted_token_with_a_long_random_part_is_found() -> None:
    token = f"pdct.1.1.2021{_r('0123456789', 4, 16)}T124723Z.{_r(HEX, 16, 17)}.{_r(HEX, 40, 18)}"
    assert "generic-secret" in _rules(f"yandex_api_key= '{token}'")


@pytest.mark.parametrize("text", [
    'jwt_token_lib = "io.jsonwebtoken:jjwt-jackson:0.11.2"',
    'api_token: "release-2.14.1-alpine"',
    f'secret_image = "registry.corp/app:1.4.2-{_r(HEX, 12, 19)}"',   # a short commit: a build
])
def test_version_strings_stay_quiet(text: str) -> None:
    assert _rules(text) == [], text
