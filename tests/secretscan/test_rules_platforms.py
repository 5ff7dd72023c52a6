"""Rules of apilab/secretscan/rules/platforms.py: each finds its key and leaves near misses.

For every rule, a true positive in a common placement and false positives: placeholders
(``xxxx``, ``<your-token>``, ``${VAR}``), identifiers, the wrong length or alphabet. Keys are
assembled at run time from seeded random pieces, so this file holds no key-shaped string.
"""

from __future__ import annotations

import string

import pytest

from apilab.secretscan.rules.platforms import PLATFORM_RULES
from tests.secretscan.keys import ALNUM, HEX, seeded_text
from tests.secretscan.keys import rules_found as _rules

LOWER36 = string.ascii_lowercase + string.digits
UPPER36 = string.ascii_uppercase + string.digits
URLSAFE = ALNUM + "_-"
B64 = ALNUM + "+/"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
HEXU = HEX + "ABCDEF"


def _r(alphabet: str, n: int, seed: int = 16) -> str:
    return seeded_text(alphabet, n, seed)


def _uuid(seed: int = 16) -> str:
    return "-".join(_r(HEX, n, seed + i) for i, n in enumerate((8, 4, 4, 4, 12)))


def _mixed(n: int, seed: int = 16) -> str:
    """``n`` alphanumerics holding an upper-case letter, a lower-case letter and a digit."""
    while True:
        body = _r(ALNUM, n, seed)
        if any(c.isupper() for c in body) and any(c.islower() for c in body) and any(
                c.isdigit() for c in body):
            return body
        seed += 1


def _azdo() -> str:
    # 52 random, "JQQJ", 20 of header (reserved bytes are "A"), "AZDO", 4 of checksum
    return (_mixed(52) + "JQQJ" + "99BA" + "C" + "A" * 13 + "A" + "B" + "AZDO"
            + _r(ALNUM, 4))


def _mapbox() -> str:
    return "sk.eyJ1Ijoi" + _r(URLSAFE, 60) + "." + _r(URLSAFE, 22)


POSITIVES: list[tuple[str, str]] = [
    ("circleci-token", f"CIRCLE_TOKEN={'CCIP' + 'AT_'}{_r(BASE58, 22)}_{_r(HEX, 40)}"),
    ("circleci-token", f'token: "{"CCIP" + "RJ_"}{_r(BASE58, 22)}_{_r(HEX, 40)}"'),
    ("buildkite-token", f"export BUILDKITE_API_TOKEN={'bk' + 'ua_'}{_r(HEX, 40)}"),
    ("sonarqube-token", f"sonar.token={'sq' + 'p_'}{_r(HEX, 40)}"),
    ("sonarqube-token", f"SONAR_TOKEN: {'sq' + 'u_'}{_r(HEX, 40)}"),
    ("azure-devops-pat", f"AZURE_DEVOPS_EXT_PAT={_azdo()}"),
    ("readme-api-key", f"README_API_KEY={'rd' + 'me_'}{_mixed(64)}"),
    ("typeform-token", f"TYPEFORM_TOKEN={'tf' + 'p_'}{_mixed(44)}_{_mixed(14, 3)}"),
    ("launchdarkly-sdk-key", f'sdkKey: "{"sd" + "k-"}{_uuid()}"'),
    ("infracost-key", f"INFRACOST_API_KEY={'ic' + 'o-'}{_mixed(32)}"),
    ("databricks-oauth-secret", f"DATABRICKS_CLIENT_SECRET={'do' + 'se'}{_r(HEX, 32)}"),
    ("plaid-access-token", f'access_token = "{"access" + "-production-"}{_uuid()}"'),
    ("flutterwave-key", f"FLW_SECRET_KEY={'FLW' + 'SECK_TEST-'}{_r(HEX, 32)}-X"),
    ("flutterwave-key", f"FLW_SECRET_KEY={'FLW' + 'SECK-'}{_r(HEX, 32)}-X"),
    ("duffel-token", f"DUFFEL_ACCESS_TOKEN={'duffel' + '_live_'}{_r(URLSAFE, 43)}"),
    ("shippo-token", f"Authorization: ShippoToken {'shippo' + '_live_'}{_r(HEXU, 40)}"),
    ("mapbox-secret-token", f"MAPBOX_SECRET_TOKEN={_mapbox()}"),
    ("yandex-iam-token", f"YC_TOKEN={'t1' + '.'}{_r(URLSAFE, 120)}.{_r(URLSAFE, 86)}"),
    ("yandex-static-key", f"secret: {'Y' + 'C'}{_mixed(38)}"),
    ("okta-api-token", f"Authorization: {'SS' + 'WS'} 00{_r(URLSAFE, 40)}"),
    ("azure-shared-access-key",
     "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey"
     f";SharedAccessKey={_r(B64, 43)}="),
    ("cloudinary-url",
     f"CLOUDINARY_URL={'cloudinary' + '://'}{_r(string.digits, 15)}:{_r(URLSAFE, 27)}@acme"),
    ("scaleway-access-key", f"SCW_ACCESS_KEY={'SC' + 'W'}{_r(UPPER36, 17)}"),
    ("scaleway-secret-key", f"SCW_SECRET_KEY={_uuid()}"),
    ("sentry-dsn", f'dsn="https://{_r(HEX, 32)}@o{_r(string.digits, 6)}.ingest.sentry.io/'
                   f'{_r(string.digits, 7)}"'),
    ("sentry-dsn-named", f"SENTRY_DSN=https://{_r(HEX, 32)}@sentry.acme.internal/4"),
    ("datadog-key", f"DD_API_KEY={_r(HEX, 32)}"),
    ("datadog-key", f'datadog_app_key: "{_r(HEX, 40)}"'),
    ("algolia-admin-key", f"ALGOLIA_ADMIN_API_KEY={_r(HEX, 32)}"),
    ("okta-api-token-named", f"OKTA_API_TOKEN=00{_r(URLSAFE, 40)}"),
    ("linode-token", f"LINODE_TOKEN={_r(HEX, 64)}"),
    ("hetzner-token", f"HCLOUD_TOKEN={_mixed(64)}"),
    ("vultr-api-key", f"VULTR_API_KEY={_r(UPPER36, 36)}"),
    ("ovh-secret", f"OVH_APPLICATION_SECRET={_mixed(32)}"),
    ("backblaze-key", f"B2_APPLICATION_KEY=K{_r(string.digits, 3)}{_r(B64, 27)}"),
    ("wasabi-secret", f"wasabi_secret_key = '{_r(B64, 40)}'"),
    ("confluent-secret", f"CONFLUENT_CLOUD_API_SECRET={_r(B64, 64)}"),
    ("snyk-token", f"SNYK_TOKEN={_uuid()}"),
    ("codecov-token", f"CODECOV_TOKEN={_uuid()}"),
    ("fastly-token", f"FASTLY_API_TOKEN={_mixed(32)}"),
    ("zendesk-token", f"ZENDESK_API_TOKEN={_mixed(40)}"),
    ("pagerduty-token", f"PAGERDUTY_TOKEN={_mixed(20)}"),
    ("postmark-token", f'"X-Postmark-Server-Token": "{_uuid()}"'),
    ("mailjet-key", f"MJ_APIKEY_PRIVATE={_r(HEX, 32)}"),
    ("sparkpost-key", f"SPARKPOST_API_KEY={_r(HEX, 40)}"),
    ("mandrill-key", f"MANDRILL_API_KEY=md-{_mixed(22)}"),
    ("messagebird-key", f"MESSAGEBIRD_API_KEY={_mixed(25)}"),
    ("mollie-key", f"MOLLIE_API_KEY=live_{_mixed(30)}"),
    ("gocardless-token", f"GOCARDLESS_ACCESS_TOKEN=live_{_mixed(40)}"),
    ("twitch-secret", f"TWITCH_CLIENT_SECRET={_r(LOWER36, 30)}"),
    ("etherscan-key", f"ETHERSCAN_API_KEY={_r(UPPER36, 34)}"),
    ("infura-key", f"INFURA_API_KEY={_r(HEX, 32)}"),
    ("alchemy-key", f"ALCHEMY_API_KEY={_mixed(32)}"),
    ("alchemy-url-key", f'rpc = "https://eth-mainnet.g.alchemy.com/v2/{_mixed(32)}"'),
]

NEGATIVES: list[tuple[str, str]] = [
    ("circleci-token", "CIRCLE_TOKEN=" + "CCIP" + "AT_" + "x" * 22 + "_" + "x" * 40),
    ("circleci-token", "CIRCLE_TOKEN=<your-circleci-token>"),
    ("buildkite-token", "BUILDKITE_API_TOKEN=" + "bk" + "ua_" + "x" * 40),
    ("buildkite-token", "buildkite_agent_token = bkua_token_placeholder"),
    ("sonarqube-token", "sonar.token=" + "sq" + "p_" + _r(HEX, 30)),  # too short
    ("sonarqube-token", "sonar.token=${SONAR_TOKEN}"),
    ("azure-devops-pat", "pat = " + _mixed(84)),  # no signatures
    ("azure-devops-pat", "AZURE_DEVOPS_EXT_PAT=<your-pat>"),
    ("readme-api-key", "README_API_KEY=" + "rd" + "me_" + "x" * 70),
    ("readme-api-key", "def rdme_" + "upload_all_the_documentation_pages(): ..."),
    ("typeform-token", "TYPEFORM_TOKEN=" + "tf" + "p_" + "your_typeform_token"),
    ("launchdarkly-sdk-key", "sdk-" + "00000000-0000-0000-0000-000000000000"),
    ("launchdarkly-sdk-key", "sdkKey: 'sdk-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'"),
    ("launchdarkly-sdk-key", f"mobileKey: 'mob-{_uuid()}'"),  # mobile keys are public
    ("infracost-key", "INFRACOST_API_KEY=" + "ic" + "o-" + "x" * 32),
    ("databricks-oauth-secret", "dosage = 'dose" + "0" * 32 + "'"),
    ("plaid-access-token", "access" + "-production-" + "00000000-0000-0000-0000-000000000000"),
    ("plaid-access-token", "access-control-allow-origin: *"),
    ("flutterwave-key", "FLW" + "SECK_TEST-" + "x" * 32 + "-X"),
    ("duffel-token", "duffel" + "_test_" + "x" * 43),
    ("shippo-token", "shippo" + "_test_" + "0" * 40),
    ("mapbox-secret-token", "MAPBOX_SECRET_TOKEN=sk.<your-mapbox-secret-token>"),
    ("mapbox-secret-token", "pk.eyJ1Ijoi" + _r(URLSAFE, 60) + "." + _r(URLSAFE, 22)),  # public
    ("yandex-iam-token", "see section t1.2 and t1.3"),
    ("yandex-iam-token", "t1." + "x" * 120 + "." + "x" * 86),
    ("yandex-static-key", "YC_SERVICE_ACCOUNT_KEY_FILE_PATH_ENV_NAM"),  # a constant, 40 long
    ("yandex-static-key", "key_id: " + "Y" + "C" + _mixed(23)),  # the 25-char key ID
    ("okta-api-token", "Authorization: SSWS ${OKTA_API_TOKEN}"),
    ("okta-api-token", "Authorization: SS" + "WS 00" + "x" * 40),
    ("azure-shared-access-key", "SharedAccessKeyName=RootManageSharedAccessKey;"
                                "SharedAccessKey=<key>"),
    ("azure-shared-access-key", "SharedAccessKey=" + "x" * 43 + "="),
    ("cloudinary-url", "CLOUDINARY_URL=cloudinary://<api_key>:<api_secret>@<cloud_name>"),
    ("cloudinary-url", "cloudinary" + "://" + "1" * 15 + ":" + "x" * 27 + "@demo"),
    ("scaleway-access-key", "SC" + "W" + "X" * 17),
    ("scaleway-secret-key", "SCW_SECRET_KEY=00000000-0000-0000-0000-000000000000"),
    ("scaleway-secret-key", f"SCW_DEFAULT_PROJECT_ID={_uuid()}"),  # an id, not a secret
    ("sentry-dsn", "SENTRY_DSN=https://<key>@o0.ingest.sentry.io/0"),
    ("sentry-dsn", "https://" + "0" * 32 + "@o1.ingest.sentry.io/1"),
    ("sentry-dsn-named", "SENTRY_DSN=${SENTRY_DSN}"),
    ("datadog-key", "DD_API_KEY=<your-datadog-api-key>"),
    ("datadog-key", "DD_API_KEY=" + "x" * 32),
    ("datadog-key", f"add_api_key_hash = '{_r(HEX, 32)}'"),  # inside a longer word
    ("algolia-admin-key", f"ALGOLIA_SEARCH_KEY={_r(HEX, 32)}"),  # search keys are public
    ("okta-api-token-named", "OKTA_API_TOKEN=00" + "x" * 40),
    ("linode-token", "LINODE_TOKEN=" + "0" * 64),
    ("linode-token", f"linode_image_sha = '{_r(HEX, 64)}'"),
    ("hetzner-token", "HCLOUD_TOKEN=" + "x" * 64),
    ("vultr-api-key", "VULTR_API_KEY=" + "X" * 36),
    ("ovh-secret", "OVH_APPLICATION_SECRET=" + "x" * 32),
    ("backblaze-key", "B2_APPLICATION_KEY=<your-application-key>"),
    ("wasabi-secret", "wasabi_secret_key = '" + "x" * 40 + "'"),
    ("confluent-secret", "CONFLUENT_CLOUD_API_SECRET=" + "x" * 64),
    ("snyk-token", "SNYK_TOKEN=${{ secrets.SNYK_TOKEN }}"),
    ("snyk-token", f"SNYK_ORG_ID={_uuid()}"),
    ("codecov-token", "CODECOV_TOKEN=00000000-0000-0000-0000-000000000000"),
    ("fastly-token", "FASTLY_API_TOKEN=" + "x" * 32),
    ("zendesk-token", "ZENDESK_API_TOKEN=<your-zendesk-token>"),
    ("pagerduty-token", "PAGERDUTY_TOKEN=" + "x" * 20),
    ("postmark-token", '"X-Postmark-Server-Token": "server token"'),
    ("mailjet-key", "MJ_APIKEY_PRIVATE=" + "0" * 32),
    ("sparkpost-key", "SPARKPOST_API_KEY=" + "0" * 40),
    ("mandrill-key", "MANDRILL_API_KEY=" + "x" * 22),
    ("messagebird-key", "MESSAGEBIRD_API_KEY=" + "x" * 25),
    ("mollie-key", "MOLLIE_API_KEY=live_" + "x" * 30),
    ("gocardless-token", "GOCARDLESS_ACCESS_TOKEN=sandbox_" + "x" * 40),
    ("twitch-secret", "TWITCH_CLIENT_SECRET=" + "x" * 30),
    ("etherscan-key", "ETHERSCAN_API_KEY=" + "X" * 34),
    ("infura-key", "INFURA_API_KEY=" + "0" * 32),
    ("alchemy-key", "ALCHEMY_API_KEY=" + "x" * 32),
    ("alchemy-url-key", "https://eth-mainnet.g.alchemy.com/v2/" + "x" * 32),
    ("alchemy-url-key", "https://eth-mainnet.g.alchemy.com/v2/${ALCHEMY_API_KEY}"),
]


@pytest.mark.parametrize(("rule", "text"), POSITIVES, ids=[f"{r}-{i}" for i, (r, _) in
                                                             enumerate(POSITIVES)])
def test_platform_key_is_found(rule: str, text: str) -> None:
    assert rule in _rules(text, "settings.env"), text


@pytest.mark.parametrize(("rule", "text"), NEGATIVES, ids=[f"{r}-{i}" for i, (r, _) in
                                                             enumerate(NEGATIVES)])
def test_platform_near_miss_is_not_reported(rule: str, text: str) -> None:
    assert rule not in _rules(text, "settings.env"), text


def test_every_platform_rule_has_cases() -> None:
    ids = {rule.id for rule in PLATFORM_RULES}
    assert ids == {r for r, _ in POSITIVES}
    assert ids == {r for r, _ in NEGATIVES}


def test_no_eight_characters_of_a_platform_key_are_printed() -> None:
    from apilab.secretscan import find_secrets

    for rule, text in POSITIVES:
        for finding in find_secrets(text, "settings.env"):
            secret = text[finding.start:finding.end]
            shown = finding.redacted + finding.fix + finding.description
            pieces = {secret[i:i + 8] for i in range(len(secret) - 7)}
            assert not any(p in shown for p in pieces), (rule, finding.rule)
