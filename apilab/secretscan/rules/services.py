"""Rules for keys of services other than AI providers: cloud, code hosting, chat, payments.

Most are tokens with a fixed, documented prefix (``glpat-``, ``xoxb-``,
``sk_live_``, ``npm_`` ...) and so HIGH confidence; a few need the variable name
beside the value (AWS secret keys, GitHub's old 40-hex tokens) and are MEDIUM.
Layouts follow the public rule sets cited in docs/secretscan.md. Every body is a
character class, so this file scans clean.
"""

from __future__ import annotations

from apilab.secretscan.rules.base import ASSIGN, HIGH, LOW, MEDIUM, B, E, Rule, fix

__all__ = ["SERVICE_RULES"]


def _prefixed(rule_id: str, description: str, provider: str, body: str,
              keywords: tuple[str, ...], console: str, env: str, *, prefix: str = "",
              confidence: float = HIGH, min_entropy: float = 3.0, anchored: bool = True,
              tail: str = "") -> Rule:
    """A token recognised by its own prefix: ``body`` is the regex after the boundary.

    ``anchored``: the body starts with one of ``keywords``, so the scanner tries the
    pattern only where a keyword occurs (see ``Rule.keyword_anchored``). ``tail``: see
    ``Rule.placeholder_tail``.
    """
    return Rule(rule_id, description, B + body + E, keywords, confidence, fix(console, env),
                provider=provider, min_entropy=min_entropy, prefix=prefix,
                keyword_anchored=anchored, placeholder_tail=tail)


_SLACK = "api.slack.com/apps (revoke the token or regenerate the webhook)"

SERVICE_RULES: tuple[Rule, ...] = (
    # --- AWS ----------------------------------------------------------------------------
    Rule(
        "aws-access-key-id", "AWS access key ID",
        r"(?<![A-Z0-9])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])",
        ("akia", "asia", "abia", "acca", "a3t"), 0.9,
        fix("the AWS IAM console (deactivate, then delete the access key)",
            "AWS_ACCESS_KEY_ID / an IAM role"),
        provider="AWS", min_entropy=2.5, prefix="AKIA", keyword_anchored=True,
        allow=("AKIA" + "IOSFODNN7EXAMPLE",),  # AWS docs' example (split for key greps)
    ),
    Rule(
        "aws-secret-access-key", "AWS secret access key",
        r"(?i:aws_?secret_?access_?key|aws_?secret_?key|secretaccesskey|aws_?access_?key"
        r"|aws_?secret)[A-Za-z0-9_.-]{0,10}"
        + ASSIGN + r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
        ("aws", "secretaccesskey"), 0.9,
        fix("the AWS IAM console (deactivate, then delete the access key)",
            "AWS_SECRET_ACCESS_KEY / an IAM role"),
        provider="AWS", min_entropy=3.5, keyword_anchored=True,
        allow=("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",),
    ),
    # --- code hosting and registries ----------------------------------------------------
    Rule(
        "github-token", "GitHub token",
        B + r"gh[pousr]_[A-Za-z0-9]{36}" + E, ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), HIGH,
        fix("GitHub Settings > Developer settings > Tokens", "GITHUB_TOKEN"),
        provider="GitHub", min_entropy=3.0, prefix="gh", keyword_anchored=True,
    ),
    Rule(
        "github-fine-grained-token", "GitHub fine-grained personal access token",
        B + r"github_pat_[A-Za-z0-9_]{82}" + E, ("github_pat_",), HIGH,
        fix("GitHub Settings > Developer settings > Fine-grained tokens", "GITHUB_TOKEN"),
        provider="GitHub", min_entropy=3.0, prefix="github_pat_", keyword_anchored=True,
    ),
    Rule(
        # Before 2021 GitHub tokens were 40 hex characters with no prefix: only the name
        # beside them (github_token, GH_TOKEN, githubKey ...) tells them from a hash.
        "github-token-legacy", "GitHub token (old 40-hex format, by its variable name)",
        r"(?i:github|gh)[A-Za-z0-9_.-]{0,24}" + ASSIGN + r"([a-f0-9]{40})(?![A-Za-z0-9_-])",
        ("github", "gh"), MEDIUM,
        fix("GitHub Settings > Developer settings > Tokens", "GITHUB_TOKEN"),
        provider="GitHub", min_entropy=3.0, generic=True,
        anchor=r"github|gh",
    ),
    # Lengths per prefix as GitLab documents them (docs.gitlab.com, "GitLab token overview").
    _prefixed("gitlab-token", "GitLab token", "GitLab",
              r"(?:gl(?:pat|dt|rt|soat|ffct|ft|wt)-(?:[A-Za-z0-9_-]{27,300}\.[0-9a-z]{9,10}"
              r"|[A-Za-z0-9_-]{20,50})|glcbt-(?:[0-9a-fA-F]{2}_)?[A-Za-z0-9_-]{20,50}"
              r"|glimt-[A-Za-z0-9_-]{25}|glptt-[A-Za-z0-9_-]{40}|glagent-[A-Za-z0-9_-]{50,1024}"
              r"|gloas-[A-Za-z0-9_-]{64}|GR1348941[A-Za-z0-9_-]{20,50})",
              ("glpat-", "gldt-", "glptt-", "glrt-", "glsoat-", "glcbt-", "glffct-", "glft-",
               "glimt-", "glagent-", "gloas-", "glwt-", "gr1348941"),
              "GitLab > Preferences > Access Tokens (revoke)", "GITLAB_TOKEN", prefix="glpat-"),
    _prefixed("npm-token", "npm access token", "npm", r"npm_[A-Za-z0-9]{36}", ("npm_",),
              "npmjs.com > Access Tokens", "NPM_TOKEN", prefix="npm_"),
    _prefixed("pypi-token", "PyPI API token", "PyPI",
              r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}", ("pypi-ageichlwas5vcmc",),
              "pypi.org > Account settings > API tokens", "TWINE_PASSWORD", prefix="pypi-"),
    _prefixed("rubygems-token", "RubyGems API key", "RubyGems", r"rubygems_[a-f0-9]{48}",
              ("rubygems_",), "rubygems.org > Settings > API keys", "GEM_HOST_API_KEY"),
    _prefixed("clojars-token", "Clojars deploy token", "Clojars", r"CLOJARS_[a-z0-9]{60}",
              ("clojars_",), "clojars.org > Deploy tokens", "CLOJARS_PASSWORD"),
    _prefixed("docker-token", "Docker Hub access token", "Docker",
              r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,40}", ("dckr_pat_", "dckr_oat_"),
              "Docker Hub > Account settings > Personal access tokens", "DOCKER_TOKEN"),
    _prefixed("atlassian-token", "Atlassian API token", "Atlassian",
              r"(?:ATATT3|ATCTT3|ATBB)[A-Za-z0-9_=.-]{32,300}+", ("atatt3", "atctt3", "atbb"),
              "id.atlassian.com > Security > API tokens (or Bitbucket app passwords)",
              "ATLASSIAN_API_TOKEN", min_entropy=3.5),
    # --- chat ---------------------------------------------------------------------------
    _prefixed("slack-token", "Slack token", "Slack",
              r"(?:xox[abposre]-[0-9]{1,14}(?:-[A-Za-z0-9]{1,64}){1,4}"
              r"|xox[ar]-(?:\d-)?[0-9a-zA-Z]{8,48}"  # legacy workspace and refresh tokens
              r"|xoxe\.xox[bp]-\d-[A-Za-z0-9]{100,200}"
              r"|xoxe-\d-[A-Za-z0-9]{100,200})",  # token-rotation refresh tokens
              ("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "xoxe-", "xoxe.xox"),
              _SLACK, "SLACK_BOT_TOKEN", prefix="xox", min_entropy=3.0, tail="-"),
    _prefixed("slack-app-token", "Slack app-level token", "Slack",
              r"(?i:xapp-\d-[A-Z0-9]{8,14}-\d{8,16}-[a-z0-9]{32,80})", ("xapp-",),
              _SLACK, "SLACK_APP_TOKEN", prefix="xapp-"),
    Rule(
        "slack-webhook", "Slack incoming webhook URL",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/"
        r"([A-Za-z0-9+/_]{40,120})(?![A-Za-z0-9_/+])",
        ("hooks.slack.com",), HIGH, fix(_SLACK, "SLACK_WEBHOOK_URL"),
        provider="Slack", min_entropy=3.0, keyword_anchored=True,
    ),
    _prefixed("discord-webhook", "Discord webhook URL", "Discord",
              r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{10,20}/"
              r"[A-Za-z0-9_-]{60,70}", ("discord.com/api/webhooks", "discordapp.com/api/webhooks"),
              "the Discord channel settings > Integrations > Webhooks (delete it)",
              "DISCORD_WEBHOOK_URL", anchored=False),
    Rule(
        # "<bot id>:AA<33>": the match starts at the colon (where the keyword is) and the
        # secret is the part after it; the digits before are the bot's public id.
        "telegram-bot-token", "Telegram bot token",
        r"(?<=[0-9]{8}):(AA[A-Za-z0-9_-]{33})(?![A-Za-z0-9_-])",
        (":aa",), HIGH, fix("@BotFather (/revoke)", "TELEGRAM_BOT_TOKEN"),
        provider="Telegram", min_entropy=3.0, keyword_anchored=True,
    ),
    Rule(
        # App-only bearer tokens start with the base64 of zero bytes ("AAAA...") and hold
        # URL-encoded base64 ("%2B", "%3D") after it.
        "twitter-bearer-token", "X (Twitter) app-only bearer token",
        # Not keyword-anchored: a run of "A" holds the keyword at every position; the
        # anchor finds the runs at C speed, one hit per 20 characters.
        B + r"A{20,22}[A-Za-z0-9%]{80,200}" + E, ("a" * 20,), HIGH,
        fix("the X developer portal > your app > Keys and tokens (regenerate)",
            "TWITTER_BEARER_TOKEN"),
        provider="X (Twitter)", min_entropy=4.0, placeholder_check=False, anchor="a{20}",
    ),
    Rule(
        # Sidekiq Pro/Enterprise gem-server credentials: "<8 hex>:<8 hex>", set as the
        # bundler variable for the contribsys gem host or inside its URL.
        "sidekiq-credentials", "Sidekiq Pro/Enterprise gem-server credentials",
        r"(?i:bundle_(?:enterprise|gems)__contribsys__com)[\"']?\s{0,3}[:=]\s{0,3}[\"']?"
        r"([a-f0-9]{8}:[a-f0-9]{8})(?![A-Za-z0-9_-])"
        r"|(?<![A-Za-z0-9_-])([a-f0-9]{8}:[a-f0-9]{8})@(?i:gems|enterprise)\.contribsys\.com",
        ("contribsys",), HIGH,
        fix("contribsys.com (ask for new credentials)", "BUNDLE_ENTERPRISE__CONTRIBSYS__COM"),
        provider="Sidekiq", min_entropy=2.0,
    ),
    # --- payments -----------------------------------------------------------------------
    _prefixed("stripe-secret-key", "Stripe live secret key", "Stripe",
              r"(?:sk|rk)_(?:live|prod)_[A-Za-z0-9]{20,247}", ("sk_live_", "rk_live_",
                                                              "sk_prod_", "rk_prod_"),
              "the Stripe dashboard > Developers > API keys (roll key)", "STRIPE_SECRET_KEY",
              prefix="sk_live_", min_entropy=3.0),
    _prefixed("stripe-test-key", "Stripe test-mode secret or restricted key", "Stripe",
              r"(?:sk|rk)_test_[A-Za-z0-9]{20,247}", ("sk_test_", "rk_test_"),
              "the Stripe dashboard > Developers > API keys (test mode)", "STRIPE_SECRET_KEY",
              prefix="sk_test_", confidence=MEDIUM, min_entropy=3.0),
    _prefixed("stripe-webhook-secret", "Stripe webhook signing secret", "Stripe",
              r"whsec_[A-Za-z0-9+/]{32,64}", ("whsec_",),
              "the Stripe dashboard > Developers > Webhooks (roll secret)",
              "STRIPE_WEBHOOK_SECRET", prefix="whsec_"),
    _prefixed("square-token", "Square access token or secret", "Square",
              r"(?:sq0(?:atp|csp)-[A-Za-z0-9_-]{22,60}|EAAA[A-Za-z0-9_+-]{60})",
              ("sq0atp-", "sq0csp-", "eaaa"), "the Square developer dashboard > Credentials",
              "SQUARE_ACCESS_TOKEN"),
    _prefixed("shopify-token", "Shopify access token", "Shopify",
              r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", ("shpat_", "shpca_", "shppa_", "shpss_"),
              "the Shopify admin > Apps > your app > API credentials", "SHOPIFY_ACCESS_TOKEN"),
    # --- email and messaging ------------------------------------------------------------
    _prefixed("sendgrid-key", "SendGrid API key", "SendGrid",
              r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", ("sg.",),
              "SendGrid > Settings > API Keys", "SENDGRID_API_KEY", prefix="SG."),
    _prefixed("brevo-key", "Brevo (Sendinblue) API key", "Brevo",
              r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}", ("xkeysib-",),
              "Brevo > SMTP & API > API keys", "BREVO_API_KEY"),
    _prefixed("mailgun-key", "Mailgun private API key", "Mailgun", r"key-[a-f0-9]{32}",
              ("key-",), "Mailgun > API Security", "MAILGUN_API_KEY", confidence=MEDIUM),
    Rule(
        # "<32 hex>-us<datacenter>": the match starts at "-us" (where the keyword is); the
        # secret, captured inside the look-behind, is the 32 hex characters before it.
        "mailchimp-key", "Mailchimp API key",
        r"(?<=(?<![A-Za-z0-9_-])([a-f0-9]{32}))-us\d{1,2}(?![A-Za-z0-9_-])",
        ("-us",), MEDIUM, fix("Mailchimp > Account > Extras > API keys", "MAILCHIMP_API_KEY"),
        provider="Mailchimp", min_entropy=3.0, keyword_anchored=True,
    ),
    _prefixed("twilio-api-key", "Twilio API key", "Twilio", r"SK[0-9a-fA-F]{32}", ("sk",),
              "the Twilio console > API keys", "TWILIO_API_KEY", confidence=MEDIUM),
    # --- cloud and infrastructure -------------------------------------------------------
    _prefixed("digitalocean-token", "DigitalOcean token", "DigitalOcean",
              r"do[opr]_v1_[a-f0-9]{64}", ("dop_v1_", "doo_v1_", "dor_v1_"),
              "DigitalOcean > API > Tokens", "DIGITALOCEAN_TOKEN"),
    _prefixed("heroku-key", "Heroku API key", "Heroku", r"HRKU-[A-Za-z0-9_-]{58,60}",
              ("hrku-",), "Heroku > Account settings > API key (regenerate)", "HEROKU_API_KEY"),
    _prefixed("flyio-token", "Fly.io access token", "Fly.io",
              r"(?:fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3})",
              ("fo1_", "fm1", "fm2_"), "fly.io > Tokens (revoke)", "FLY_API_TOKEN"),
    _prefixed("vault-token", "HashiCorp Vault token", "HashiCorp",
              r"(?:hvs\.[A-Za-z0-9_-]{90,120}|hvb\.[A-Za-z0-9_-]{138,300}"
              r"|[a-z0-9]{14}\.atlasv1\.[a-z0-9_=-]{60,70})", ("hvs.", "hvb.", ".atlasv1."),
              "Vault (vault token revoke) or HCP Terraform > User settings > Tokens",
              "VAULT_TOKEN", anchored=False),
    _prefixed("doppler-token", "Doppler token", "Doppler",
              # a service token names its environment: dp.st.<env>.<40-44>
              r"dp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_-]{1,30}\.)?[A-Za-z0-9]{40,44}",
              ("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
              "the Doppler dashboard > Access", "DOPPLER_TOKEN"),
    _prefixed("databricks-token", "Databricks access token", "Databricks",
              r"dapi[a-f0-9]{32}(?:-\d)?", ("dapi",), "Databricks > User settings > Tokens",
              "DATABRICKS_TOKEN"),
    _prefixed("dynatrace-token", "Dynatrace API token", "Dynatrace",
              r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}", ("dt0c01.",),
              "Dynatrace > Access tokens", "DT_API_TOKEN"),
    _prefixed("cloudflare-token", "Cloudflare API token", "Cloudflare",
              r"(?:cfut|cfat|cfk)_[A-Za-z0-9]{40,50}", ("cfut_", "cfat_", "cfk_"),
              "Cloudflare > My Profile > API Tokens", "CLOUDFLARE_API_TOKEN"),
    _prefixed("grafana-token", "Grafana token", "Grafana",
              r"(?:glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2})",
              ("glsa_", "glc_"), "Grafana > Administration > Service accounts",
              "GRAFANA_TOKEN"),
    _prefixed("sentry-token", "Sentry auth token", "Sentry",
              r"(?:sntrys_eyJ[A-Za-z0-9+/=_-]{50,400}|sntryu_[a-f0-9]{64})",
              ("sntrys_", "sntryu_"), "Sentry > Settings > Auth Tokens", "SENTRY_AUTH_TOKEN"),
    _prefixed("newrelic-key", "New Relic key", "New Relic",
              r"(?:NRAK-[A-Z0-9]{27}|NRII-[A-Za-z0-9_-]{32}|NRJS-[a-f0-9]{19}"
              r"|NRAA-[a-f0-9]{27}|NRIQ-[A-Za-z0-9_-]{32})",
              ("nrak-", "nrii-", "nrjs-", "nraa-", "nriq-"), "New Relic > API keys",
              "NEW_RELIC_API_KEY"),
    # License (ingest) keys end in the fixed marker "NRAL": 36 hex, or a region tag
    # ("eu01xx") and 30 hex. The keyword is at the end, so the pattern is not anchored.
    _prefixed("newrelic-license-key", "New Relic license key", "New Relic",
              r"(?:[a-z]{2}\d{2}xx[a-f0-9]{30}|[a-f0-9]{36})NRAL", ("nral",),
              "New Relic > API keys (license keys)", "NEW_RELIC_LICENSE_KEY", anchored=False),
    _prefixed("postman-key", "Postman API key", "Postman", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}",
              ("pmak-",), "Postman > Settings > API keys", "POSTMAN_API_KEY"),
    _prefixed("planetscale-token", "PlanetScale token or password", "PlanetScale",
              r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9=._-]{32,64}", ("pscale_",),
              "PlanetScale > Settings > Service tokens / Passwords", "PLANETSCALE_TOKEN"),
    _prefixed("supabase-key", "Supabase secret key or access token", "Supabase",
              r"(?:sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{31})", ("sbp_", "sb_secret_"),
              "Supabase > Project settings > API keys", "SUPABASE_SECRET_KEY"),
    _prefixed("linear-key", "Linear API key", "Linear", r"lin_api_[A-Za-z0-9]{40}",
              ("lin_api_",), "Linear > Settings > API", "LINEAR_API_KEY"),
    _prefixed("notion-token", "Notion integration token", "Notion",
              r"(?:ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})", ("ntn_", "secret_"),
              "Notion > Settings > Integrations", "NOTION_TOKEN", min_entropy=4.0),
    _prefixed("figma-token", "Figma personal access token", "Figma",
              r"figd_[A-Za-z0-9_-]{40}", ("figd_",), "Figma > Settings > Personal access tokens",
              "FIGMA_TOKEN"),
    _prefixed("netlify-token", "Netlify access token", "Netlify", r"nfp_[A-Za-z0-9]{36}",
              ("nfp_",), "Netlify > User settings > Applications", "NETLIFY_AUTH_TOKEN"),
    _prefixed("posthog-personal-key", "PostHog personal API key", "PostHog",
              r"phx_[A-Za-z0-9]{43}", ("phx_",), "PostHog > Settings > Personal API keys",
              "POSTHOG_PERSONAL_API_KEY"),
    _prefixed("onepassword-token", "1Password service-account token or secret key",
              "1Password",
              r"(?:ops_eyJ[A-Za-z0-9+/=_-]{250,2000}|A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}"
              r"|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})",
              ("ops_eyj", "a3-"), "1Password > Developer > Service accounts",
              "OP_SERVICE_ACCOUNT_TOKEN"),
    _prefixed("age-secret-key", "age secret key", "age",
              r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", ("age-secret-key-1",),
              "your age key store (generate a new identity with age-keygen)", "a secret file"),
    _prefixed("alibaba-access-key", "Alibaba Cloud AccessKey ID", "Alibaba",
              r"LTAI[A-Za-z0-9]{20}", ("ltai",), "the Alibaba Cloud RAM console",
              "ALIBABA_CLOUD_ACCESS_KEY_ID"),
    _prefixed("azure-ad-client-secret", "Azure AD (Entra ID) client secret", "Azure",
              r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}", ("q~",),
              "the Azure portal > App registrations > Certificates & secrets",
              "AZURE_CLIENT_SECRET", anchored=False),
    _prefixed("sourcegraph-token", "Sourcegraph access token", "Sourcegraph",
              r"sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}", ("sgp_",),
              "Sourcegraph > Settings > Access tokens", "SRC_ACCESS_TOKEN"),
    _prefixed("easypost-key", "EasyPost API key", "EasyPost", r"EZ[AT]K[A-Za-z0-9]{54}",
              ("ezak", "eztk"), "EasyPost > Account settings > API keys", "EASYPOST_API_KEY"),
    _prefixed("intra42-secret", "42 Intra client secret", "42", r"s-s4t2(?:ud|af)-[a-f0-9]{64}",
              ("s-s4t2",), "the 42 Intra application settings", "INTRA42_CLIENT_SECRET"),
    _prefixed("openshift-token", "OpenShift user token", "OpenShift", r"sha256~[A-Za-z0-9_-]{43}",
              ("sha256~",), "oc logout / the OpenShift console > tokens", "OPENSHIFT_TOKEN",
              min_entropy=3.5),
    _prefixed("facebook-page-token", "Facebook (Meta) access token", "Facebook",
              r"EAA[A-Za-z0-9]{100,400}", ("eaa",), "Meta for Developers > your app > tokens",
              "FB_ACCESS_TOKEN", min_entropy=3.5),
    _prefixed("harness-token", "Harness API key", "Harness",
              r"(?:pat|sat)\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}",
              ("pat.", "sat."), "Harness > My profile > API keys", "HARNESS_API_KEY"),
    _prefixed("teams-webhook", "Microsoft Teams incoming webhook URL", "Microsoft",
              r"[a-z0-9-]{1,60}\.webhook\.office\.com/webhookb2/[A-Za-z0-9@/_-]{60,300}",
              ("webhook.office.com",), "the Teams channel > Connectors (remove the webhook)",
              "TEAMS_WEBHOOK_URL", anchored=False),
    # The older Office 365 connector URL: /webhook/<group>@<tenant>/IncomingWebhook/<id>/..
    _prefixed("teams-webhook-legacy", "Microsoft Teams incoming webhook URL (Office 365)",
              "Microsoft",
              r"outlook\.office(?:365)?\.com/webhook/[0-9a-fA-F-]{36}@[0-9a-fA-F-]{36}"
              r"/IncomingWebhook/[0-9a-fA-F]{32}(?:/[0-9a-fA-F-]{36})?",
              ("outlook.office.com/webhook/", "outlook.office365.com/webhook/"),
              "the Teams channel > Connectors (remove the webhook)", "TEAMS_WEBHOOK_URL",
              anchored=False),
    Rule(
        "azure-storage-key", "Azure storage account key",
        r"(?i:accountkey|azure[_.-]?storage[_.-]?key)\s{0,3}[=:]\s{0,3}[\"']?"
        r"([A-Za-z0-9+/]{86}==)", ("accountkey", "azure"), HIGH,
        fix("the Azure portal > Storage account > Access keys (rotate)",
            "AZURE_STORAGE_CONNECTION_STRING"),
        provider="Azure", min_entropy=4.0, keyword_anchored=True,
    ),
    # --- more services with documented token layouts --------------------------------------
    _prefixed("google-oauth-access-token", "Google OAuth 2.0 access token", "Google",
              r"ya29\.[A-Za-z0-9_-]{30,2000}", ("ya29.",),
              "myaccount.google.com > Security > Third-party access (or the OAuth client's "
              "console)", "a token cache outside the repository", min_entropy=3.5),
    _prefixed("nuget-key", "NuGet API key", "NuGet", r"oy2[a-z0-9]{43}", ("oy2",),
              "nuget.org > API Keys (regenerate)", "NUGET_API_KEY", min_entropy=3.5),
    _prefixed("cratesio-token", "crates.io API token", "crates.io",
              r"cio(?=[A-Za-z]{0,31}[0-9])[A-Za-z0-9]{32}", ("cio",),
              "crates.io > Account settings > API Tokens", "CARGO_REGISTRY_TOKEN",
              confidence=MEDIUM, min_entropy=3.5),
    # betterleaks (MIT), cmd/generate/config/rules/cockroachlabs.go, citing CockroachDB's
    # "Manage access" page: a Cloud API secret key is CCDB1_, 22 and 40 alphanumerics.
    _prefixed("cockroachdb-cloud-key", "CockroachDB Cloud API secret key", "CockroachDB",
              r"CCDB1_[A-Za-z0-9]{22}_[A-Za-z0-9]{40}", ("ccdb1_",),
              "CockroachDB Cloud console > Organization > Access Management > Service "
              "Accounts (delete the API key)", "COCKROACH_API_KEY", prefix="CCDB1_",
              min_entropy=3.5),
    _prefixed("pulumi-token", "Pulumi access token", "Pulumi", r"pul-[a-f0-9]{40}", ("pul-",),
              "app.pulumi.com > Settings > Access tokens", "PULUMI_ACCESS_TOKEN"),
    _prefixed("riot-api-key", "Riot Games API key", "Riot Games",
              r"RGAPI-[A-Za-z0-9]{8}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}"
              r"-[A-Za-z0-9]{12}", ("rgapi-",),
              "developer.riotgames.com (regenerate the key)", "RIOT_API_KEY"),
    _prefixed("hubspot-token", "HubSpot private app access token", "HubSpot",
              r"pat-(?:na|eu|ap)\d{1,2}-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}"
              r"-[a-f0-9]{12}", ("pat-na", "pat-eu", "pat-ap"),
              "HubSpot > Settings > Integrations > Private apps (rotate)",
              "HUBSPOT_ACCESS_TOKEN"),
    _prefixed("tailscale-key", "Tailscale key", "Tailscale",
              r"tskey-(?:[a-z]{3,8}-)?[A-Za-z0-9]{6,20}-[A-Za-z0-9]{16,64}", ("tskey-",),
              "the Tailscale admin console > Settings > Keys (revoke)", "TS_AUTHKEY"),
    Rule(
        # "pat" + 14 characters, ".", 64 hex. "pat" is too common a keyword: an anchor
        # finds the layout's start at C speed instead.
        "airtable-token", "Airtable personal access token",
        B + r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}" + E, (), HIGH,
        fix("airtable.com > Builder hub > Personal access tokens", "AIRTABLE_TOKEN"),
        provider="Airtable", min_entropy=3.0, anchor=r"pat[a-z0-9]{14}\.",
    ),
    _prefixed("dropbox-token", "Dropbox short-lived access token", "Dropbox",
              r"sl\.(?:u\.)?[A-Za-z0-9_-]{130,1500}", ("sl.",),
              "dropbox.com/developers/apps (revoke the app's tokens)", "DROPBOX_TOKEN",
              min_entropy=4.0),
    Rule(
        # Unix crypt(3) and Kerberos hashes: a password's hash can be cracked offline, so
        # it is a credential to rotate (shadow files, seed data, config dumps).
        "password-hash", "Password hash (crypt or Kerberos format)",
        r"(?<![A-Za-z0-9$./])(?:\$1\$[./0-9A-Za-z]{0,8}\$[./0-9A-Za-z]{22}"
        r"|\$2[abxy]?\$\d\d\$[./0-9A-Za-z]{53}"
        r"|\$5\$(?:rounds=\d{1,9}\$)?[./0-9A-Za-z]{0,16}\$[./0-9A-Za-z]{43}"
        r"|\$6\$(?:rounds=\d{1,9}\$)?[./0-9A-Za-z]{0,16}\$[./0-9A-Za-z]{86}"
        r"|\$[89]\$[./0-9A-Za-z]{14}\$[./0-9A-Za-z]{43}"
        r"|\$krb5asrep\$\d{1,2}\$(?:[^$:\s]{1,128}:)?[a-f0-9]{32}\$[a-f0-9]{64,8000}"
        r"|\$krb5tgs\$\d{1,2}\$\*[^*\s]{1,300}\*\$[a-f0-9]{32}\$[a-f0-9]{64,8000})"
        r"(?![./0-9A-Za-z])",
        ("$1$", "$2$", "$2a$", "$2b$", "$2x$", "$2y$", "$5$", "$6$", "$8$", "$9$",
         "$krb5asrep$", "$krb5tgs$"), MEDIUM,
        "Change this password wherever it is used (a hash is cracked offline), and keep "
        "hashes out of the repository: seed test users from the environment.",
        min_entropy=3.0, keyword_anchored=True, key_keywords=False,
    ),
    Rule(
        # .netrc: machine HOST login USER password PASS (on one line or several).
        "netrc-credentials", "Password in a .netrc entry",
        r"(?i:machine)[ \t]{1,10}[^\s]{1,253}\s{1,20}(?i:login)[ \t]{1,10}[^\s]{1,253}"
        r"\s{1,20}(?i:password)[ \t]{1,10}([^\s]{4,200})",
        ("machine",), LOW,
        "Keep .netrc files out of the repository (they belong in the home directory, mode "
        "600), and change this password.",
        generic=True, keyword_anchored=True, key_keywords=False,
    ),
    Rule(
        # A PEM private key stored base64-encoded (JSON configs, Helm values, CI variables):
        # "LS0tLS1CRUdJTi" is "-----BEGIN" encoded; filters decode the start to check it is
        # a private key.
        "private-key-base64", "Private key block, base64-encoded",
        r"(?<![A-Za-z0-9+/])LS0tLS1CRUdJTi[A-Za-z0-9+/]{100,20000}+={0,2}",
        ("ls0tls1crudjti",), 0.9,
        "Treat the key pair as compromised: replace it wherever it is trusted, keep the "
        "private half out of the repository and purge it from the git history.",
        min_entropy=3.5, keyword_anchored=True, show_suffix=False, placeholder_check=False,
    ),
    # --- private keys and tokens ----------------------------------------------------------
    Rule(
        "private-key", "Private key block",
        # Header lines ("Proc-Type: 4,ENCRYPTED") sit in an atomic group repeated
        # possessively: a line that could be split two ways is split once, so a run of
        # "a: a: a: " is linear instead of exponential (issue 10).
        #
        # The body may sit behind per-line noise, within 400 characters of the header: a
        # string literal's quotes and "+" (Java, C), a log line's timestamp, a comment's
        # " * ", JSON escapes. The first base64 run of 40+ mixing upper case, lower case
        # and digits is the body (a hex hash or an identifier after a mere mention of the
        # header is not). "-----BEGIN OPENSSH FAKE PRIVATE KEY-----" is a test fixture.
        r"-----BEGIN(?![ A-Z0-9]{0,30}?(?:FAKE|EXAMPLE|DUMMY|EMPTY))[ A-Z0-9]{0,30}PRIVATE KEY"
        r"(?: BLOCK)?-----"
        r"(?:(?:\\[rn]|\s)++"
        r"(?>[A-Za-z][A-Za-z-]{0,40}: [^\n]{0,200}?(?:\\[rn]|\n)(?:\\[rn]|\s)*+)*+"
        r"[A-Za-z0-9+/=]{40,}+"
        r"|[\s\S]{0,400}?(?<![A-Za-z0-9+/])(?=[A-Za-z0-9+/]{0,63}[A-Z])"
        r"(?=[A-Za-z0-9+/]{0,63}[a-z])(?=[A-Za-z0-9+/]{0,63}[0-9])[A-Za-z0-9+/]{40,}+)"
        r"(?:[\s\S]{0,12000}?-----END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----)?",
        ("private key",), 0.97,
        "Treat the key pair as compromised: revoke or replace it wherever it is trusted "
        "(servers' authorized_keys, certificates, deploy keys), generate a new pair, keep "
        "the private half out of the repository and purge it from the git history.",
        provider="", min_entropy=0.0, prefix="-----BEGIN PRIVATE KEY-----", show_suffix=False,
        placeholder_check=False,
    ),
    Rule(
        "jwt", "JSON Web Token (a bearer credential while it is valid)",
        B + r"eyJ[A-Za-z0-9_-]{10,2000}\.eyJ[A-Za-z0-9_-]{10,4000}\.[A-Za-z0-9_-]{10,1000}" + E,
        ("eyj",), 0.6,
        "Do not commit tokens: whoever holds this one can act as its subject until it "
        "expires. Revoke the session or rotate the signing key if it has not expired, and "
        "load tokens at run time.",
        provider="JWT", min_entropy=3.0, keyword_anchored=True,
    ),
)
