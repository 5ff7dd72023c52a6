"""Issue 16's rules: each new provider and form found, and its near misses left alone.

Keys are assembled at run time from pieces so that this file holds no key-shaped string.
"""

from __future__ import annotations

import string

import pytest

from apilab.secretscan import find_secrets
from tests.secretscan.keys import ALNUM, HEX, seeded_text
from tests.secretscan.keys import rules_found as _rules


def _r(alphabet: str, n: int, seed: int = 16) -> str:
    return seeded_text(alphabet, n, seed)


SLACK_BOT = "xo" + "xb-" + _r(string.digits, 12) + "-" + _r(string.digits, 13) + "-" + _r(ALNUM, 24)
SLACK_USER = "xo" + "xp-" + "-".join(_r(string.digits, 12, i) for i in range(3)) + "-" + _r(HEX, 32)
SLACK_APP = "xa" + "pp-1-A" + _r(string.ascii_uppercase + string.digits, 10) + "-" + \
    _r(string.digits, 13) + "-" + _r(HEX, 64)
SLACK_HOOK = "https://hooks." + "slack.com/services/T" + _r(string.ascii_uppercase, 8) + "/B" + \
    _r(string.ascii_uppercase, 8) + "/" + _r(ALNUM, 24)
STRIPE_TEST = "sk" + "_test_" + _r(ALNUM, 30)
STRIPE_RK = "rk" + "_live_" + _r(ALNUM, 30)
STRIPE_WH = "wh" + "sec_" + _r(ALNUM, 32)
AZURE_HEX = _r(HEX, 32, 3)
DEEPSEEK = "sk" + "-" + _r(HEX, 32, 4)
BEDROCK = "AB" + "SK" + _r(ALNUM + "+/", 120)
PROJ_SHORT = "sk" + "-proj-" + _r(ALNUM, 20) + "T3Blbk" + "FJ" + _r(ALNUM, 20, 5)
ANT_MALFORMED = "sk-ant-" + "api03-" + _r(ALNUM + "_-", 93) + "Qw"
GITHUB_HEX = _r(HEX, 40, 6)


@pytest.mark.parametrize(("text", "rule"), [
    (f'SLACK_BOT_TOKEN = "{SLACK_BOT}"', "slack-token"),
    (f"client.chat_postMessage(token='{SLACK_USER}')", "slack-token"),
    (f"app_token: {SLACK_APP}", "slack-app-token"),
    (f"requests.post('{SLACK_HOOK}', json=msg)", "slack-webhook"),
    (f"stripe.api_key = '{STRIPE_TEST}'", "stripe-test-key"),
    (f"STRIPE_KEY={STRIPE_RK}", "stripe-secret-key"),
    (f"endpoint_secret = '{STRIPE_WH}'", "stripe-webhook-secret"),
    (f'AZURE_OPENAI_KEY = "{AZURE_HEX}"', "azure-openai-key"),
    (f"headers = {{'api-key': '{AZURE_HEX}'}}", "azure-openai-header-key"),
    (f'base = "https://x.openai.azure.com/"\nclient = AzureOpenAI(key="{AZURE_HEX}")',
     "azure-openai-endpoint-key"),
    (f"client = OpenAI(api_key='{DEEPSEEK}', base_url=BASE)", "deepseek-api-key-bare"),
    (f"token = {BEDROCK}", "aws-bedrock-api-key"),
    (f"print('{PROJ_SHORT}')", "openai-legacy-key"),
    (f"key = '{ANT_MALFORMED}'", "anthropic-key-malformed"),
    (f'GITHUB_TOKEN = "{GITHUB_HEX}"', "github-token-legacy"),
    # a provider's name holds that provider's key (provider_names): here one in a newer
    # layout than the Anthropic rules know, under the name's own prefix
    (f'ANTHROPIC_KEY = "sk-ant-api04-{_r(ALNUM, 90, 7)}"', "generic-secret"),
    (f"anthropic_key = sk-ant-api04-{_r(ALNUM, 90, 8)}", "generic-secret"),
    (f'OPENAI_KEY = "{_r(ALNUM, 40, 7)}"', "generic-secret"),
])
def test_new_rules_find_their_keys(text: str, rule: str) -> None:
    assert rule in _rules(text), _rules(text)


@pytest.mark.parametrize("text", [
    "xo" + "xp-1234-1234-1234-" + _r(HEX, 32),  # Slack's documented placeholder
    "xo" + "xb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx",
    'nonMatchingToken := "ta' + "sk_test_" + _r(ALNUM, 30) + '"',  # task_test_, not Stripe
    "scan-disk-" + _r(HEX, 32),  # a DeepSeek-shaped tail inside a longer word
    "h = '" + _r(HEX, 40, 9) + "'  # a commit hash with no GitHub name",
    "sk-ant-" + "api03-abc123xyz-456de-klMnopqrstuvwx-3456yza789bcde-1234fghijklmnopAA",  # short
    'password = "somefakekey"',
    "password = ,.:-@*?!",
    "credentialId = '" + _r(ALNUM, 20) + "'",
    '<input name="csrf-token" value="' + _r(ALNUM, 40) + '">',
    "keyVaultToStoreSecrets: keyVaultNameForProduction",
    "api_key = os.environ['API_KEY']",
    "token: ${GITHUB_TOKEN}",
    'secret = "<your-secret>"',
])
def test_near_misses_stay_quiet(text: str) -> None:
    assert _rules(text) == []


SECRET = "Xk29dkf0qLm3Rt7w"


@pytest.mark.parametrize("text", [
    f'db_password = "{SECRET}"',                       # Python
    f"const dbPassword = '{SECRET}';",                 # JS/TS
    f'var dbPassword string = "{SECRET}"',             # Go
    f'dbPassword := "{SECRET}"',                       # Go short
    f'String dbPassword = "{SECRET}";',                # Java
    f'val dbPassword: String = "{SECRET}"',            # Kotlin
    f'$dbPassword .= "{SECRET}";',                     # PHP
    f"config[:db_password] = '{SECRET}'",              # Ruby
    f"export DB_PASSWORD={SECRET}",                    # shell / .env unquoted
    f'DB_PASSWORD="{SECRET}"',                         # .env quoted
    f"DB_PASSWORD ?= {SECRET}",                        # Make
    f'DB_PASSWORD ::= "{SECRET}"',                     # Make
    f"db:\n  password: {SECRET}\n",                    # YAML
    f'password = "{SECRET}"\n',                        # TOML
    f'{{"db_password": "{SECRET}"}}',                  # JSON
    f'<add key="DbPassword" value="{SECRET}" />',      # XML properties
    f"<dbPassword>{SECRET}</dbPassword>",              # XML element
    f'System.setProperty("DB_PASSWORD", "{SECRET}")',  # Java call
    f'%define PASSWORD "{SECRET}"',                    # RPM spec
    f'if (password == "{SECRET}") {{',                 # comparison
    f'if ("{SECRET}" != password) {{',                 # comparison, literal first
    f"MYSQLPASS: {SECRET}",                            # abbreviation
    f"X3_PSWD={SECRET}",                               # abbreviation
    f"mysql --user root --password {SECRET}",          # command-line option
    f'creds = "{SECRET}"',                             # creds
    f'"user_auth": "{SECRET}"',                        # auth
    f"smtps://someone@mail.example.org:{SECRET}@smtp.mail.org:465",  # e-mail as user
    f"https://h.org/x?v=1%26token%3D{SECRET}abc%26y%3D2",            # URL-encoded query
])
def test_assignment_forms_of_many_languages(text: str) -> None:
    found = find_secrets(text, "config")
    assert found, text
    start, end = found[0].start, found[0].end
    assert SECRET in text[start:end]


@pytest.mark.parametrize("rule_text", [
    ("private-key",
     "-----BEGIN PRIVATE KEY-----\nMIIEvQ" + "A" * 70 + "\n-----END PRIVATE KEY-----"),
])
def test_private_key_ignores_runs_of_one_character(rule_text: tuple[str, str]) -> None:
    rule, text = rule_text
    assert _rules(text) == [rule]
