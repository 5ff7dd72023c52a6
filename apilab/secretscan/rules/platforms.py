"""Rules for developer platforms, SaaS APIs, CI, payments and clouds not in ``services.py``.

Formats come from the vendors' own documentation (token pages, changelogs, API guides) and
GitHub's public "Supported secret scanning patterns" list, which names the token types its
partners register; docs/secretscan.md ("Platforms") lists each rule with its source. None
was taken from another scanner's rule file or test samples.

Two kinds of rule, as in ``ai_platforms.py``:

- ``_prefixed``: a token with its own documented prefix or layout (``CCIPAT_``, ``sqp_``,
  ``sk.eyJ``, ``access-production-<uuid>``): HIGH confidence, MEDIUM where the prefix is
  short (Yandex's ``YC``, Scaleway's ``SCW``) or the token lives hours (Yandex IAM).
- ``_named``: a value with no prefix of its own (Datadog's 32 hex, Linode's 64 hex), reported
  only next to a name holding the provider's name or its documented variable: MEDIUM.

Every body is a character class, so this file scans clean.
"""

from __future__ import annotations

from apilab.secretscan.rules.base import HIGH, LOW, MEDIUM, NAMED_ASSIGN, B, E, Rule, fix
from apilab.secretscan.rules.base import mixed_case as _mixed

__all__ = ["PLATFORM_RULES"]

_LOWER_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _prefixed(rule_id: str, description: str, provider: str, body: str,
              keywords: tuple[str, ...], console: str, env: str, *, prefix: str = "",
              confidence: float = HIGH, min_entropy: float = 3.0,
              anchored: bool = True, key_keywords: bool = True) -> Rule:
    """A token recognised by its own prefix or layout; ``body`` is the regex after ``B``.

    ``anchored``: the body starts with one of ``keywords`` (see ``Rule.keyword_anchored``);
    False where the keyword sits inside the token (Azure DevOps' ``JQQJ``, FCM's ``APA91b``).
    ``key_keywords``: False where a keyword is also a common word (``access-``), so that
    it does not buy every file the literal-joining pass (see ``Rule.key_keywords``).
    """
    return Rule(rule_id, description, B + body + E, keywords, confidence, fix(console, env),
                provider=provider, min_entropy=min_entropy, prefix=prefix,
                keyword_anchored=anchored, key_keywords=key_keywords)


def _named(rule_id: str, description: str, provider: str, names: str, value: str,
           keywords: tuple[str, ...], console: str, env: str, *,
           min_entropy: float = 3.0, lead: str = "", confidence: float = MEDIUM) -> Rule:
    """A key with no prefix of its own, assigned to a name that holds one of ``names``.

    ``names`` (matched case-insensitively, not inside a longer word) starts with one of
    ``keywords``: ``DD_API_KEY=...``, ``"linode_token": ...``, ``hcloud token = ...``.
    ``lead``: a regex between the assignment and the secret that is not part of it.
    """
    return Rule(rule_id, description, r"(?<![A-Za-z0-9])(?i:" + names + r")" + NAMED_ASSIGN
                + lead + "(" + value + ")" + E, keywords, confidence, fix(console, env),
                provider=provider, min_entropy=min_entropy, keyword_anchored=True,
                key_keywords=False)


PLATFORM_RULES: tuple[Rule, ...] = (
    # --- CI, code quality, developer platforms -----------------------------------------
    # CircleCI changelog "New format for API access tokens": CCIPAT_/CCIPRJ_, a base58 UUID,
    # "_", 40 hex.
    _prefixed("circleci-token", "CircleCI personal or project API token", "CircleCI",
              r"CCIP(?:AT|RJ)_[1-9A-HJ-NP-Za-km-z]{18,24}_[a-f0-9]{40}",
              ("ccipat_", "cciprj_"), "CircleCI > User settings > Personal API tokens "
              "(or Project settings > API permissions)", "CIRCLE_TOKEN", prefix="CCIP"),
    # Buildkite docs, "Token security": bkua_ (API access), bkaa_ (agent session),
    # bkaj_ (agent job).
    _prefixed("buildkite-token", "Buildkite API access or agent token", "Buildkite",
              r"bka[aj]_[A-Za-z0-9]{40,100}|bkua_[A-Za-z0-9]{40,100}",
              ("bkua_", "bkaa_", "bkaj_"), "Buildkite > Personal settings > API access tokens",
              "BUILDKITE_API_TOKEN", prefix="bk"),
    # SonarQube 9.5+: squ_ user, sqp_ project analysis, sqa_ global analysis tokens.
    _prefixed("sonarqube-token", "SonarQube / SonarCloud token", "SonarQube",
              r"sq[pua]_[a-f0-9]{40}", ("squ_", "sqp_", "sqa_"),
              "SonarQube > My account > Security (revoke)", "SONAR_TOKEN"),
    # Azure DevOps PATs since 2024: 84 characters, the "JQQJ" signature at 52 and "AZDO"
    # at 76. The keyword is inside the token, so the pattern is not anchored. The part
    # between the two signatures holds reserved zero bytes ("AAAA..." in base64), so the
    # six-identical-characters placeholder check is off, as for private keys.
    Rule("azure-devops-pat", "Azure DevOps personal access token",
         B + r"[A-Za-z0-9]{52}JQQJ[A-Za-z0-9]{20}AZDO[A-Za-z0-9]{4}" + E, ("jqqj",), HIGH,
         fix("Azure DevOps > User settings > Personal access tokens (revoke)",
             "AZURE_DEVOPS_EXT_PAT"),
         provider="Azure", min_entropy=3.5, placeholder_check=False),
    # ReadMe's API v2 OpenAPI description: an API key's token matches "rdme_\w+".
    _prefixed("readme-api-key", "ReadMe API key", "ReadMe", r"rdme_[A-Za-z0-9]{30,100}",
              ("rdme_",), "ReadMe > Project settings > API keys", "README_API_KEY",
              min_entropy=3.5),
    # Typeform docs: personal access tokens look like "tfp_" + 40 hex (newer ones longer).
    _prefixed("typeform-token", "Typeform personal access token", "Typeform",
              r"tfp_[A-Za-z0-9_-]{40,70}", ("tfp_",),
              "Typeform > Account > Personal tokens", "TYPEFORM_TOKEN", min_entropy=3.5),
    # LaunchDarkly docs, "SDK credentials": server-side SDK keys start with sdk- and are
    # secret; mobile keys (mob-) and client-side IDs "do not need to be kept secret".
    _prefixed("launchdarkly-sdk-key", "LaunchDarkly server-side SDK key",
              "LaunchDarkly", r"sdk-" + _LOWER_UUID, ("sdk-",),
              "LaunchDarkly > Account settings > Projects > Environments (reset key)",
              "LAUNCHDARKLY_SDK_KEY"),
    # Infracost API keys start "ico-" (Scalr's Infracost integration docs: "ico-xxxxx").
    _prefixed("infracost-key", "Infracost API key", "Infracost",
              r"ico-" + _mixed("A-Za-z0-9", 32) + r"[A-Za-z0-9]{32,40}",
              ("ico-",), "Infracost Cloud > Org settings > API keys", "INFRACOST_API_KEY",
              min_entropy=3.5),
    # A service principal's OAuth secret is "dose" + the secret value (AWS Secrets Manager's
    # managed-rotation docs for Databricks); 32 hex, like the dapi tokens.
    _prefixed("databricks-oauth-secret", "Databricks service-principal OAuth secret",
              "Databricks", r"dose[a-f0-9]{32}", ("dose",),
              "Databricks > Settings > Identity and access > Service principals > Secrets",
              "DATABRICKS_CLIENT_SECRET"),
    # --- payments and commerce -----------------------------------------------------------
    # Plaid glossary: tokens are [type]-[environment]-[uuid]; an access token never expires.
    _prefixed("plaid-access-token", "Plaid access token", "Plaid",
              r"access-(?:sandbox|development|production)-" + _LOWER_UUID, ("access-",),
              "the Plaid dashboard (/item/remove the Item, rotate the secret)",
              "PLAID_ACCESS_TOKEN", key_keywords=False),
    # Flutterwave docs: keys are FLWPUBK-/FLWSECK- (with _TEST in test mode), 32 hex, "-X".
    _prefixed("flutterwave-key", "Flutterwave secret or encryption key", "Flutterwave",
              r"FLWSECK(?:_TEST)?-[a-fA-F0-9]{32}-X|FLWSECK_TEST[a-fA-F0-9]{12}",
              ("flwseck",), "the Flutterwave dashboard > Settings > API keys",
              "FLW_SECRET_KEY"),
    # Duffel and Shippo docs: test and live tokens start duffel_test_/duffel_live_ and
    # shippo_test_/shippo_live_.
    _prefixed("duffel-token", "Duffel access token", "Duffel",
              r"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}", ("duffel_test_", "duffel_live_"),
              "the Duffel dashboard > Developers > Access tokens", "DUFFEL_ACCESS_TOKEN"),
    _prefixed("shippo-token", "Shippo API token", "Shippo",
              r"shippo_(?:live|test)_[a-fA-F0-9]{40}", ("shippo_live_", "shippo_test_"),
              "Shippo > Settings > API", "SHIPPO_API_TOKEN"),
    # --- clouds, maps, identity -----------------------------------------------------------
    # Mapbox: "all secret access tokens start with sk" (temporary ones tk), then a JWT-like
    # base64 body and a signature.
    _prefixed("mapbox-secret-token", "Mapbox secret or temporary access token", "Mapbox",
              r"[st]k\.eyJ[A-Za-z0-9_-]{20,400}\.[A-Za-z0-9_-]{20,40}", ("sk.eyj", "tk.eyj"),
              "account.mapbox.com > Access tokens (delete or rotate)", "MAPBOX_SECRET_TOKEN",
              prefix="sk.", min_entropy=3.5),
    # Yandex Cloud IAM docs give the IAM token's regular expression (t1.<...>.<86>), with
    # its first part unbounded: bounded here; IAM tokens live 12 hours at most, so MEDIUM.
    _prefixed("yandex-iam-token", "Yandex Cloud IAM token", "Yandex",
              r"t1\.[A-Za-z0-9_-]{20,400}={0,2}\.[A-Za-z0-9_-]{86}={0,2}", ("t1.",),
              "the Yandex Cloud console (revoke the token; yc iam revoke-token)",
              "YC_TOKEN", confidence=MEDIUM, min_entropy=3.5),
    # Yandex Cloud docs, "Static access keys": the secret key is 40 characters starting
    # "YC" (letters, digits, "_", "-"); the 25-character key ID is not secret. "YC" is a
    # short prefix, so the body must also mix upper case, lower case and digits: MEDIUM.
    _prefixed("yandex-static-key", "Yandex Cloud static access key secret", "Yandex",
              r"YC" + _mixed("A-Za-z0-9_-", 38) + r"[A-Za-z0-9_-]{38}", ("yc",),
              "the Yandex Cloud console > Service accounts > Static access keys",
              "YC_SECRET_ACCESS_KEY / AWS_SECRET_ACCESS_KEY", confidence=MEDIUM,
              min_entropy=3.5),
    Rule(
        # Okta's API header (Okta docs, "Create an API token"): "Authorization: SSWS
        # <token>"; tokens start "00", 42 in all.
        "okta-api-token", "Okta API token (SSWS header)",
        r"SSWS[ \t]{1,5}(00[A-Za-z0-9_-]{40})" + E, ("ssws",), HIGH,
        fix("the Okta Admin Console > Security > API > Tokens (revoke)", "OKTA_API_TOKEN"),
        provider="Okta", min_entropy=3.0, keyword_anchored=True, key_keywords=False,
    ),
    Rule(
        # Service Bus, Event Hubs, IoT Hub, Notification Hubs, Relay connection strings:
        # "...;SharedAccessKeyName=<policy>;SharedAccessKey=<44 base64>".
        "azure-shared-access-key", "Azure Shared Access Signature key (connection string)",
        r"(?i:SharedAccessKey)\s{0,3}=\s{0,3}([A-Za-z0-9+/]{43}=)(?![A-Za-z0-9+/=])",
        ("sharedaccesskey",), HIGH,
        fix("the Azure portal > your namespace or hub > Shared access policies "
            "(regenerate the key)", "a connection string in Key Vault or the environment"),
        provider="Azure", min_entropy=3.5, keyword_anchored=True,
    ),
    Rule(
        "cloudinary-url", "Cloudinary URL with API secret",
        r"cloudinary://[0-9]{15}:([A-Za-z0-9_-]{27})@[A-Za-z0-9_-]{1,64}",
        ("cloudinary://",), HIGH,
        fix("the Cloudinary console > Settings > API keys (regenerate the secret)",
            "CLOUDINARY_URL"),
        provider="Cloudinary", min_entropy=3.0, keyword_anchored=True,
    ),
    # Scaleway's SDK README: accessKey "SCW" + 17 characters, secretKey a UUID.
    _prefixed("scaleway-access-key", "Scaleway access key ID", "Scaleway", r"SCW[A-Z0-9]{17}",
              ("scw",), "the Scaleway console > IAM > API keys", "SCW_ACCESS_KEY",
              confidence=MEDIUM, min_entropy=3.0),
    Rule(
        # DSN: https://<public key>[:<secret key>]@o<org>.ingest.sentry.io/<project>. Sentry
        # says DSNs "are safe to keep public" (they only submit events): LOW, reported so a
        # team can rotate one that is abused. The keyword is after the scheme.
        "sentry-dsn", "Sentry DSN",
        r"https?://([a-f0-9]{32})(?::[a-f0-9]{32})?@(?:[a-z0-9-]{1,63}\.){0,4}sentry\.io"
        r"/[0-9]{1,12}", ("sentry.io",), LOW,
        fix("Sentry > Project settings > Client keys (DSN) (revoke, create a new key)",
            "SENTRY_DSN"),
        provider="Sentry", min_entropy=3.0, key_keywords=False,
    ),
    # --- by their documented variable names (MEDIUM) -------------------------------------
    _named("sentry-dsn-named", "Sentry DSN (self-hosted, by its variable name)", "Sentry",
           r"sentry_?dsn", r"[a-f0-9]{32}", ("sentry",),
           "Sentry > Project settings > Client keys (DSN)", "SENTRY_DSN", lead=r"https?://",
           confidence=LOW),
    _named("datadog-key", "Datadog API or application key (by its variable name)", "Datadog",
           r"datadog|dd_api|dd_app|dd-api|dd-app|ddapi|ddapp", r"[a-f0-9]{40}|[a-f0-9]{32}",
           ("datadog", "dd_api", "dd_app", "dd-api", "dd-app", "ddapi", "ddapp"),
           "Datadog > Organization settings > API keys / Application keys (revoke)",
           "DD_API_KEY / DD_APP_KEY"),
    _named("algolia-admin-key", "Algolia admin or write API key (by its variable name)",
           "Algolia", r"algolia[\w.-]{0,16}(?:admin|write)", r"[a-f0-9]{32}", ("algolia",),
           "the Algolia dashboard > Settings > API keys (regenerate)", "ALGOLIA_ADMIN_KEY"),
    _named("okta-api-token-named", "Okta API token (by its variable name)", "Okta",
           r"okta", r"00[A-Za-z0-9_-]{40}", ("okta",),
           "the Okta Admin Console > Security > API > Tokens (revoke)", "OKTA_API_TOKEN"),
    _named("linode-token", "Linode (Akamai) personal access token (by its variable name)",
           "Linode", r"linode", r"[a-f0-9]{64}", ("linode",),
           "cloud.linode.com > Profile > API tokens (revoke)", "LINODE_TOKEN"),
    _named("hetzner-token", "Hetzner Cloud API token (by its variable name)", "Hetzner",
           r"hcloud|hetzner", r"[A-Za-z0-9]{64}", ("hcloud", "hetzner"),
           "the Hetzner Cloud console > Security > API tokens", "HCLOUD_TOKEN",
           min_entropy=3.5),
    _named("vultr-api-key", "Vultr API key (by its variable name)", "Vultr", r"vultr",
           r"[A-Z0-9]{36}", ("vultr",), "my.vultr.com > Account > API", "VULTR_API_KEY"),
    _named("scaleway-secret-key", "Scaleway secret key (by its variable name)", "Scaleway",
           r"scw|scaleway", _LOWER_UUID, ("scw", "scaleway"),
           "the Scaleway console > IAM > API keys", "SCW_SECRET_KEY"),
    _named("ovh-secret", "OVHcloud application secret or consumer key (by its variable name)",
           "OVHcloud", r"ovh", r"[A-Za-z0-9]{32}", ("ovh",),
           "the OVHcloud API console (revoke the application)", "OVH_APPLICATION_SECRET",
           min_entropy=3.5),
    _named("backblaze-key", "Backblaze B2 application key (by its variable name)",
           "Backblaze", r"backblaze|b2_app|b2-app|b2app", r"[A-Za-z0-9+/]{31}",
           ("backblaze", "b2_app", "b2-app", "b2app"),
           "Backblaze > App keys (delete the key)", "B2_APPLICATION_KEY"),
    _named("wasabi-secret", "Wasabi secret access key (by its variable name)", "Wasabi",
           r"wasabi", r"[A-Za-z0-9/+]{40}", ("wasabi",),
           "the Wasabi console > Access keys", "WASABI_SECRET_KEY", min_entropy=3.5),
    _named("confluent-secret", "Confluent Cloud API secret (by its variable name)",
           "Confluent", r"confluent", r"[A-Za-z0-9+/]{64}", ("confluent",),
           "Confluent Cloud > API keys (delete the key)", "CONFLUENT_CLOUD_API_SECRET",
           min_entropy=3.5),
    _named("snyk-token", "Snyk API token (by its variable name)", "Snyk", r"snyk", _LOWER_UUID,
           ("snyk",), "app.snyk.io > Account settings > Auth token (revoke)", "SNYK_TOKEN"),
    _named("codecov-token", "Codecov upload token (by its variable name)", "Codecov",
           r"codecov", _LOWER_UUID, ("codecov",),
           "Codecov > Repository settings > General (regenerate the token)", "CODECOV_TOKEN"),
    _named("fastly-token", "Fastly API token (by its variable name)", "Fastly", r"fastly",
           r"[A-Za-z0-9_-]{32}", ("fastly",),
           "manage.fastly.com > Account > API tokens", "FASTLY_API_TOKEN", min_entropy=3.5),
    _named("zendesk-token", "Zendesk API token (by its variable name)", "Zendesk", r"zendesk",
           r"[A-Za-z0-9]{40}", ("zendesk",),
           "Zendesk Admin Center > Apps and integrations > Zendesk API", "ZENDESK_API_TOKEN",
           min_entropy=3.5),
    _named("pagerduty-token", "PagerDuty API key (by its variable name)", "PagerDuty",
           r"pagerduty", r"[A-Za-z0-9_+-]{20}", ("pagerduty",),
           "PagerDuty > Integrations > API access keys", "PAGERDUTY_TOKEN", min_entropy=3.5),
    _named("postmark-token", "Postmark server or account token (by its name or header)",
           "Postmark", r"postmark", _LOWER_UUID, ("postmark",),
           "Postmark > Servers > API tokens (regenerate)", "POSTMARK_SERVER_TOKEN"),
    _named("mailjet-key", "Mailjet API key or secret (by its variable name)", "Mailjet",
           r"mailjet|mj_apikey|mj-apikey", r"[a-f0-9]{32}", ("mailjet", "mj_apikey",
                                                             "mj-apikey"),
           "Mailjet > Account settings > API keys", "MJ_APIKEY_PRIVATE"),
    _named("sparkpost-key", "SparkPost API key (by its variable name)", "SparkPost",
           r"sparkpost", r"[a-f0-9]{40}", ("sparkpost",),
           "SparkPost > Configuration > API keys", "SPARKPOST_API_KEY"),
    _named("mandrill-key", "Mandrill (Mailchimp Transactional) API key (by its variable name)",
           "Mandrill", r"mandrill", r"(?:md-)?[A-Za-z0-9_-]{22}", ("mandrill",),
           "Mailchimp Transactional > Settings > API keys", "MANDRILL_API_KEY",
           min_entropy=3.5),
    _named("messagebird-key", "MessageBird (Bird) API key (by its variable name)",
           "MessageBird", r"messagebird|message_bird", r"[A-Za-z0-9]{25}",
           ("messagebird", "message_bird"), "the MessageBird dashboard > Developers > API "
           "access", "MESSAGEBIRD_API_KEY", min_entropy=3.5),
    _named("mollie-key", "Mollie API key (by its variable name)", "Mollie", r"mollie",
           r"(?:live|test)_[A-Za-z0-9]{30}", ("mollie",),
           "the Mollie dashboard > Developers > API keys", "MOLLIE_API_KEY"),
    _named("gocardless-token", "GoCardless access token (by its variable name)", "GoCardless",
           r"gocardless", r"(?:live|sandbox)_[A-Za-z0-9_-]{40}", ("gocardless",),
           "the GoCardless dashboard > Developers > Access tokens", "GOCARDLESS_ACCESS_TOKEN"),
    _named("twitch-secret", "Twitch client secret or token (by its variable name)", "Twitch",
           r"twitch", r"[a-z0-9]{30}", ("twitch",),
           "dev.twitch.tv > Console > Applications (new secret)", "TWITCH_CLIENT_SECRET",
           min_entropy=3.5),
    _named("etherscan-key", "Etherscan-family API key (by its variable name)", "Etherscan",
           r"etherscan|bscscan|polygonscan", r"[A-Z0-9]{34}",
           ("etherscan", "bscscan", "polygonscan"),
           "etherscan.io > API keys (delete the key)", "ETHERSCAN_API_KEY", min_entropy=3.5),
    _named("infura-key", "Infura API key (by its variable name)", "Infura", r"infura",
           r"[a-f0-9]{32}", ("infura",), "the Infura dashboard > API keys", "INFURA_API_KEY"),
    _named("alchemy-key", "Alchemy API key (by its variable name)", "Alchemy", r"alchemy",
           r"[A-Za-z0-9_-]{32}", ("alchemy",), "the Alchemy dashboard > Apps > API key",
           "ALCHEMY_API_KEY", min_entropy=3.5),
    Rule(
        # An RPC URL with the key as its last path segment.
        "alchemy-url-key", "Alchemy API key in an RPC URL", r"(?:alchemyapi\.io|alchemy\.com)"
        r"/v2/([A-Za-z0-9_-]{32})" + E, ("alchemyapi.io/v2/", "alchemy.com/v2/"), MEDIUM,
        fix("the Alchemy dashboard > Apps > API key", "ALCHEMY_API_KEY"),
        provider="Alchemy", min_entropy=3.5, keyword_anchored=True,
    ),
)
