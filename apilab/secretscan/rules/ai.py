"""Rules for AI-provider keys (OpenAI, Anthropic, Google, Azure OpenAI, Bedrock, ...).

Key layouts follow the public rules cited in docs/secretscan.md (gitleaks,
TruffleHog, CredSweeper): OpenAI project/service-account/admin keys carry the
base64 marker ``T3BlbkFJ`` ("OpenAI") between two bodies of 74 (or 58)
characters, Anthropic keys are 93 characters followed by a literal ``AA``.
Exact layouts are HIGH confidence; a loose form of the same prefix (a key typed
wrong, or a layout the provider changed) is reported at MEDIUM so that it is
still never missed. No pattern here may itself look like a key: every body is a
character class, so this file scans clean.
"""

from __future__ import annotations

from apilab.secretscan.rules.base import ASSIGN, HIGH, MEDIUM, NAMED_ASSIGN, B, E, Rule, fix

__all__ = ["AI_RULES"]

_OPENAI_FIX = fix("the OpenAI dashboard (API keys page)", "OPENAI_API_KEY")
_ANTHROPIC_FIX = fix("the Anthropic Console (API keys page)", "ANTHROPIC_API_KEY")
_AZURE_FIX = fix("the Azure portal > your Azure OpenAI resource > Keys and Endpoint "
                 "(regenerate the key)", "AZURE_OPENAI_API_KEY")
_OAI_BODY = (
    r"(?:[A-Za-z0-9_-]{74}T3BlbkFJ[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58}T3BlbkFJ[A-Za-z0-9_-]{58})"
)
# Names Azure OpenAI keys are kept under; the value is 32 hex characters (or, since
# 2024, 84 alphanumerics ending in "JQQJ99" + base62 checksum; the loose class covers both).
_AZURE_VALUE = r"([a-f0-9]{32}|[A-Za-z0-9]{84})"

AI_RULES: tuple[Rule, ...] = (
    # --- OpenAI -------------------------------------------------------------------------
    Rule(
        "openai-project-key", "OpenAI project API key",
        B + r"sk-proj-" + _OAI_BODY + E, ("sk-proj-",), 0.99, _OPENAI_FIX,
        provider="OpenAI", ai_provider=True, min_entropy=4.0, prefix="sk-proj-",
        keyword_anchored=True,
    ),
    Rule(
        "openai-service-account-key", "OpenAI service-account API key",
        B + r"sk-svcacct-" + _OAI_BODY + E, ("sk-svcacct-",), 0.99, _OPENAI_FIX,
        provider="OpenAI", ai_provider=True, min_entropy=4.0, prefix="sk-svcacct-",
        keyword_anchored=True,
    ),
    Rule(
        "openai-admin-key", "OpenAI admin API key (manages the whole organisation)",
        B + r"sk-admin-" + _OAI_BODY + E, ("sk-admin-",), 0.99,
        fix("the OpenAI dashboard (Admin keys page)", "OPENAI_ADMIN_KEY"),
        provider="OpenAI", ai_provider=True, min_entropy=4.0, prefix="sk-admin-",
        keyword_anchored=True,
    ),
    Rule(
        # The short form also appears with a project prefix and no variable name.
        "openai-legacy-key", "OpenAI user API key (legacy sk- format)",
        B + r"sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20}T3BlbkFJ[A-Za-z0-9_-]{20}" + E,
        ("t3blbkfj",), 0.99,
        _OPENAI_FIX, provider="OpenAI", ai_provider=True, min_entropy=3.5, prefix="sk-",
    ),
    # --- Anthropic ----------------------------------------------------------------------
    Rule(
        "anthropic-api-key", "Anthropic API key",
        B + r"sk-ant-api03-[A-Za-z0-9_-]{93}AA" + E, ("sk-ant-api03-",), 0.99, _ANTHROPIC_FIX,
        provider="Anthropic", ai_provider=True, min_entropy=4.0, prefix="sk-ant-api03-",
        keyword_anchored=True,
    ),
    Rule(
        "anthropic-admin-key", "Anthropic Admin API key (manages the whole organisation)",
        B + r"sk-ant-admin01-[A-Za-z0-9_-]{93}AA" + E, ("sk-ant-admin01-",), 0.99,
        fix("the Anthropic Console (Admin keys page)", "ANTHROPIC_ADMIN_KEY"),
        provider="Anthropic", ai_provider=True, min_entropy=4.0, prefix="sk-ant-admin01-",
        keyword_anchored=True,
    ),
    Rule(
        # A key with the right prefix whose body is not the exact layout (a character lost
        # or changed in a paste): not a valid key, but almost all of one, so still a leak.
        "anthropic-key-malformed", "Anthropic API key (malformed: not the exact layout)",
        B + r"sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{80,120}" + E,
        ("sk-ant-api03-", "sk-ant-admin01-"), MEDIUM, _ANTHROPIC_FIX,
        provider="Anthropic", ai_provider=True, min_entropy=4.0, prefix="sk-ant-api03-",
        keyword_anchored=True,
    ),
    Rule(
        "anthropic-oauth-token", "Anthropic OAuth token",
        B + r"sk-ant-o[ar]t01-[A-Za-z0-9_-]{40,200}" + E, ("sk-ant-oat01-", "sk-ant-ort01-"),
        HIGH, fix("claude.ai account settings (sign out other sessions)", "a credential store"),
        provider="Anthropic", ai_provider=True, min_entropy=3.5, prefix="sk-ant-oat01-",
        keyword_anchored=True,
    ),
    # --- Google -------------------------------------------------------------------------
    Rule(
        "google-api-key", "Google API key (Gemini / Google Cloud)",
        B + r"AIza[A-Za-z0-9_-]{35}" + E, ("aiza",), HIGH,
        fix("Google Cloud console > APIs & Services > Credentials (or AI Studio)",
            "GEMINI_API_KEY") + " Restrict the new key to the APIs it needs.",
        provider="Google", ai_provider=True, min_entropy=3.5, prefix="AIza",
        keyword_anchored=True,
    ),
    # --- Azure OpenAI -------------------------------------------------------------------
    Rule(
        "azure-openai-key", "Azure OpenAI API key",
        r"(?i:azure[_.-]?openai[_.-]?(?:api[_.-]?)?key|azure[_.-]?api[_.-]?key"
        r"|azure[_.-]?openai[_.-]?token)[A-Za-z0-9_.-]{0,12}" + ASSIGN + _AZURE_VALUE + E,
        ("azure",), MEDIUM, _AZURE_FIX, provider="Azure OpenAI", ai_provider=True,
        min_entropy=3.0,
        keyword_anchored=True,
    ),
    Rule(
        # The REST header Azure OpenAI takes instead of "Authorization: Bearer" (not
        # "x-api-key" or ElevenLabs' "xi-api-key": other services' headers).
        "azure-openai-header-key", "Azure OpenAI API key in an api-key header",
        r"""(?<![A-Za-z0-9_-])(?i:["']?api-key["']?)\s{0,3}[:=,]\s{0,3}["']?""" + _AZURE_VALUE + E,
        ("api-key",), MEDIUM, _AZURE_FIX, provider="Azure OpenAI", ai_provider=True,
        min_entropy=3.0,
        keyword_anchored=True,
    ),
    Rule(
        # A 32-hex key next to a key-like name, in a file that names an Azure OpenAI
        # endpoint: the keyword (an endpoint host) gates the whole rule.
        "azure-openai-endpoint-key", "API key beside an Azure OpenAI endpoint",
        r"(?i:key)[A-Za-z0-9_.-]{0,12}" + ASSIGN + r"([a-f0-9]{32})" + E,
        ("openai.azure.com", "cognitiveservices.azure.com"), MEDIUM, _AZURE_FIX,
        provider="Azure OpenAI", ai_provider=True, min_entropy=3.0, anchor=r"key",
    ),
    Rule(
        # Azure AI services keys issued since 2024 are 84 alphanumerics with the fixed
        # signature "JQQJ99" after the first 52 (Microsoft's identifiable-key format), so
        # they are found with no name beside them; a few characters more or less on either
        # side is still that key, pasted wrong. Only files holding the marker run it.
        "azure-openai-key-identifiable", "Azure OpenAI / AI services API key (JQQJ99 format)",
        r"(?<![A-Za-z0-9])[A-Za-z0-9]{40,64}JQQJ99[A-Za-z0-9]{16,40}+(?![A-Za-z0-9])",
        ("jqqj99",), 0.9, _AZURE_FIX, provider="Azure OpenAI", ai_provider=True,
        min_entropy=3.5,
    ),
    # --- AWS Bedrock ----------------------------------------------------------------------
    Rule(
        "aws-bedrock-api-key", "Amazon Bedrock API key",
        r"(?:(?<![A-Za-z0-9+/])|(?<=\\[nrt]))(?:ABSK[A-Za-z0-9+/]{109,400}={0,2}"
        r"|bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=%&?._-]{20,2000})",
        ("absk", "bedrock-api-key-"), HIGH,
        fix("the Amazon Bedrock console > API keys", "AWS_BEARER_TOKEN_BEDROCK"),
        provider="AWS", ai_provider=True, min_entropy=3.5, prefix="ABSK",
        keyword_anchored=True,
    ),
    # --- Hugging Face -------------------------------------------------------------------
    Rule(
        "huggingface-token", "Hugging Face access token",
        B + r"hf_[A-Za-z0-9]{34}" + E, ("hf_",), HIGH,
        fix("huggingface.co > Settings > Access Tokens", "HF_TOKEN"),
        provider="Hugging Face", ai_provider=True, min_entropy=3.5, prefix="hf_",
        keyword_anchored=True,
    ),
    Rule(
        "huggingface-org-token", "Hugging Face organisation API token",
        B + r"api_org_[A-Za-z0-9]{34}" + E, ("api_org_",), HIGH,
        fix("the Hugging Face organisation settings", "HF_TOKEN"),
        provider="Hugging Face", ai_provider=True, min_entropy=3.5, prefix="api_org_",
        keyword_anchored=True,
    ),
    # --- other AI providers -------------------------------------------------------------
    Rule(
        "perplexity-api-key", "Perplexity API key",
        B + r"pplx-[A-Za-z0-9]{48}" + E, ("pplx-",), HIGH,
        fix("Perplexity settings > API", "PERPLEXITY_API_KEY"),
        provider="Perplexity", ai_provider=True, min_entropy=3.5, prefix="pplx-",
        keyword_anchored=True,
    ),
    Rule(
        "groq-api-key", "Groq API key",
        B + r"gsk_[A-Za-z0-9]{52}" + E, ("gsk_",), HIGH,
        fix("the GroqCloud console > API Keys", "GROQ_API_KEY"),
        provider="Groq", ai_provider=True, min_entropy=3.5, prefix="gsk_",
        keyword_anchored=True,
    ),
    Rule(
        "openrouter-api-key", "OpenRouter API key",
        B + r"sk-or-v1-[a-f0-9]{64}" + E, ("sk-or-v1-",), 0.97,
        fix("openrouter.ai > Keys", "OPENROUTER_API_KEY"),
        provider="OpenRouter", ai_provider=True, min_entropy=3.0, prefix="sk-or-v1-",
        keyword_anchored=True,
    ),
    Rule(
        "xai-api-key", "xAI (Grok) API key",
        B + r"xai-[A-Za-z0-9_-]{70,120}" + E, ("xai-",), HIGH,
        fix("the xAI console > API Keys", "XAI_API_KEY"),
        provider="xAI", ai_provider=True, min_entropy=3.5, prefix="xai-",
        keyword_anchored=True,
    ),
    Rule(
        "replicate-api-token", "Replicate API token",
        B + r"r8_[A-Za-z0-9]{37}" + E, ("r8_",), 0.9,
        fix("replicate.com > Account > API tokens", "REPLICATE_API_TOKEN"),
        provider="Replicate", ai_provider=True, min_entropy=3.5, prefix="r8_",
        keyword_anchored=True,
    ),
    Rule(
        "langsmith-api-key", "LangSmith API key",
        B + r"lsv2_(?:pt|sk)_[a-fA-F0-9]{32}_[a-fA-F0-9]{10}" + E, ("lsv2_",), HIGH,
        fix("LangSmith settings > API Keys", "LANGSMITH_API_KEY"),
        provider="LangSmith", ai_provider=True, min_entropy=3.0, prefix="lsv2_",
        keyword_anchored=True,
    ),
    Rule(
        "together-api-key", "Together AI API key",
        B + r"tgp_v1_[A-Za-z0-9_-]{40,50}" + E, ("tgp_v1_",), HIGH,
        fix("api.together.ai > Settings > API Keys", "TOGETHER_API_KEY"),
        provider="Together AI", ai_provider=True, min_entropy=3.5, prefix="tgp_v1_",
        keyword_anchored=True,
    ),
    Rule(
        "llamacloud-api-key", "LlamaCloud (LlamaIndex) API key",
        B + r"llx-[A-Za-z0-9]{48}" + E, ("llx-",), HIGH,
        fix("cloud.llamaindex.ai > API Keys", "LLAMA_CLOUD_API_KEY"),
        provider="LlamaIndex", ai_provider=True, min_entropy=3.5, prefix="llx-",
        keyword_anchored=True,
    ),
    Rule(
        "tavily-api-key", "Tavily API key",
        B + r"tvly-(?:dev-|prod-)?[A-Za-z0-9]{32}" + E, ("tvly-",), HIGH,
        fix("app.tavily.com > API Keys", "TAVILY_API_KEY"),
        provider="Tavily", ai_provider=True, min_entropy=3.5, prefix="tvly-",
        keyword_anchored=True,
    ),
    Rule(
        "cohere-api-key", "Cohere API key",
        r"(?i:cohere|co_api_key)" + NAMED_ASSIGN + r"([A-Za-z0-9]{40})" + E,
        ("cohere", "co_api_key"), 0.85, fix("the Cohere dashboard > API keys", "CO_API_KEY"),
        provider="Cohere", ai_provider=True, min_entropy=3.5,
        keyword_anchored=True,
    ),
    Rule(
        "mistral-api-key", "Mistral API key",
        r"(?i:mistral)" + NAMED_ASSIGN + r"([A-Za-z0-9]{32})" + E,
        ("mistral",), 0.85, fix("the Mistral console > API Keys", "MISTRAL_API_KEY"),
        provider="Mistral", ai_provider=True, min_entropy=3.5,
        keyword_anchored=True,
    ),
    Rule(
        "deepseek-api-key", "DeepSeek API key",
        r"(?i:deepseek)" + NAMED_ASSIGN + r"(sk-[a-z0-9]{32})" + E,
        ("deepseek",), 0.85, fix("the DeepSeek platform > API keys", "DEEPSEEK_API_KEY"),
        provider="DeepSeek", ai_provider=True, min_entropy=3.0, prefix="sk-",
        keyword_anchored=True,
    ),
    Rule(
        # DeepSeek's own layout with no name beside it: "sk-" and exactly 32 lowercase hex.
        # (OpenAI's legacy keys are 48 mixed-case characters; the sandbox's say "sbx".)
        "deepseek-api-key-bare", "DeepSeek API key (by its layout alone)",
        B + r"sk-[a-f0-9]{32}" + E, ("sk-",), MEDIUM,
        fix("the DeepSeek platform > API keys", "DEEPSEEK_API_KEY"),
        provider="DeepSeek", ai_provider=True, min_entropy=3.0, prefix="sk-",
        keyword_anchored=True,
    ),
    Rule(
        "apilab-sandbox-key", "apilab sandbox API key",
        B + r"sk-sbx-[A-Za-z0-9]{40}" + E, ("sk-sbx-",), HIGH,
        "Revoke it (`apilab sandbox keys revoke KEY_ID`, or the Key security lab), read its "
        "audit log (`apilab sandbox keys usage KEY_ID`), rotate, and load the new key from "
        "the environment (OPENAI_API_KEY with OPENAI_BASE_URL pointing at the sandbox).",
        provider="apilab sandbox", min_entropy=3.5, prefix="sk-sbx-",
        keyword_anchored=True,
    ),
)
