"""Rules for the AI platforms around the model vendors: inference hosts, embeddings and
search, speech and image models, observability, agents and GPU clouds.

``ai.py`` holds the vendors whose keys learners paste most (OpenAI, Anthropic, Google,
Azure, Bedrock, ...); this module holds the long tail the course's labs also call. Shapes
come from the providers' documentation and the public rule definitions of gitleaks and
betterleaks (docs/secretscan.md, "Sources"); none was taken from a scanner's test samples.

Two kinds of rule:

- ``_prefixed``: a token with its own prefix (``fw_``, ``csk-``, ``nvapi-``, ``sk-lf-``).
  HIGH confidence when the prefix is long or the layout exact; where the prefix is two or
  three characters (``pa-``, ``fw_``, ``m0-``) the body must also mix upper case, lower case
  and digits, checked by bounded look-aheads so the rule stays linear.
- ``_named``: a value with no prefix of its own (40 hex for Deepgram, 32 for AssemblyAI),
  reported only next to a name that holds the provider's name: MEDIUM.

Every body is a character class, so this file scans clean.
"""

from __future__ import annotations

from apilab.secretscan.rules.base import HIGH, MEDIUM, NAMED_ASSIGN, UUID, B, E, Rule, fix
from apilab.secretscan.rules.base import mixed_case as _mixed

__all__ = ["AI_PLATFORM_RULES"]


def _prefixed(rule_id: str, provider: str, prefix: str, body: str,
              keywords: tuple[str, ...], console: str, env: str, *,
              confidence: float = HIGH, min_entropy: float = 3.5,
              description: str = "") -> Rule:
    """A key recognised by its own prefix; ``body`` is the regex after ``prefix``."""
    return Rule(rule_id, description or f"{provider} API key", B + body + E, keywords,
                confidence, fix(console, env), provider=provider, ai_provider=True,
                min_entropy=min_entropy, prefix=prefix, keyword_anchored=True)


def _named(rule_id: str, provider: str, names: str, value: str, keywords: tuple[str, ...],
           console: str, env: str, *, min_entropy: float = 3.0, description: str = "",
           confidence: float = MEDIUM) -> Rule:
    """A key with no prefix of its own, assigned to a name that holds one of ``names``.

    ``names`` is a regex alternation (matched case-insensitively) that starts with one of
    ``keywords`` (``DEEPGRAM_API_KEY = ...``, ``deepgram: ...``).
    """
    return Rule(rule_id, description or f"{provider} API key (by its variable name)",
                r"(?i:" + names + r")" + NAMED_ASSIGN + "(" + value + ")" + E,
                keywords, confidence, fix(console, env), provider=provider, ai_provider=True,
                min_entropy=min_entropy, keyword_anchored=True, key_keywords=False)


AI_PLATFORM_RULES: tuple[Rule, ...] = (
    # --- inference hosts ----------------------------------------------------------------
    _prefixed("fireworks-api-key", "Fireworks AI", "fw_",
              r"fw_" + _mixed("A-Za-z0-9", 64) + r"[A-Za-z0-9]{20,64}", ("fw_",),
              "fireworks.ai > Settings > API Keys", "FIREWORKS_API_KEY", confidence=0.9),
    _prefixed("cerebras-api-key", "Cerebras", "csk-", r"csk-[A-Za-z0-9]{48}", ("csk-",),
              "cloud.cerebras.ai > API Keys", "CEREBRAS_API_KEY"),
    _prefixed("nvidia-api-key", "NVIDIA", "nvapi-", r"nvapi-[A-Za-z0-9_-]{60,70}",
              ("nvapi-",), "build.nvidia.com > API Keys (NGC)", "NVIDIA_API_KEY"),
    _prefixed("anyscale-api-key", "Anyscale", "esecret_", r"esecret_[A-Za-z0-9]{20,40}",
              ("esecret_",), "the Anyscale console > Credentials", "ANYSCALE_API_KEY"),
    _prefixed("runpod-api-key", "RunPod", "rpa_", r"rpa_[A-Z0-9]{40}[A-Za-z0-9]{6}", ("rpa_",),
              "runpod.io > Settings > API Keys", "RUNPOD_API_KEY"),
    _prefixed("minimax-api-key", "MiniMax", "sk-api-", r"sk-api-[A-Za-z0-9_-]{100,140}",
              ("sk-api-",), "the MiniMax platform > API Keys", "MINIMAX_API_KEY"),
    _prefixed("vercel-ai-gateway-key", "Vercel AI Gateway", "vck_", r"vck_[A-Za-z0-9_-]{56}",
              ("vck_",), "the Vercel dashboard > AI Gateway > API Keys", "AI_GATEWAY_API_KEY"),
    _prefixed("meta-llama-api-key", "Meta Llama", "LLM|",
              r"LLM\|[0-9]{10,20}\|[A-Za-z0-9_-]{20,64}", ("llm|",),
              "llama.developer.meta.com > API keys", "LLAMA_API_KEY"),
    _prefixed("gemini-api-key-aq", "Google", "AQ.", r"AQ\.Ab8RN6[A-Za-z0-9_-]{44}",
              ("aq.ab8rn6",), "Google AI Studio / Google Cloud console > Credentials",
              "GEMINI_API_KEY", description="Google Gemini / Vertex AI API key (AQ. form)"),
    _named("together-api-key-legacy", "Together AI", r"together", r"[a-f0-9]{64}",
           ("together",), "api.together.ai > Settings > API Keys", "TOGETHER_API_KEY"),
    _named("deepinfra-api-key", "DeepInfra", r"deepinfra", r"[A-Za-z0-9]{32}",
           ("deepinfra",), "deepinfra.com > Dashboard > API Keys", "DEEPINFRA_API_TOKEN",
           min_entropy=3.5),
    _named("novita-api-key", "Novita AI", r"novita", r"(?:sk_)?[A-Za-z0-9_-]{32,64}",
           ("novita",), "novita.ai > Key Management", "NOVITA_API_KEY", min_entropy=3.5),
    _named("ai21-api-key", "AI21", r"ai21", r"[A-Za-z0-9]{32}", ("ai21",),
           "studio.ai21.com > Account > API Key", "AI21_API_KEY", min_entropy=3.5),
    _named("moonshot-api-key", "Moonshot (Kimi)", r"kimi|moonshot", r"sk-[A-Za-z0-9]{48}",
           ("kimi", "moonshot"), "platform.moonshot.ai > API Keys", "MOONSHOT_API_KEY"),
    _named("zai-api-key", "Z.ai", r"zai|z_ai|zhipu|bigmodel|glm",
           r"[a-f0-9]{32}\.[A-Za-z0-9]{16}", ("zai", "z_ai", "zhipu", "bigmodel", "glm"),
           "z.ai (or open.bigmodel.cn) > API Keys", "ZAI_API_KEY"),
    Rule(
        # Zhipu/Z.ai keys are "<32-hex id>.<16-character secret>" (their SDKs split the key
        # at the dot to sign a JWT): distinctive without a name when the secret mixes case
        # and digits. The match starts at the dot (the anchor, a literal, is fast to scan
        # for); the id before it is read by a fixed-width look-behind.
        "zai-api-key-bare", "Z.ai (Zhipu) API key (by its layout alone)",
        r"(?<=(?<![A-Za-z0-9_.-])[a-f0-9]{32})\.(?=[A-Za-z0-9]{0,15}[0-9])"
        r"(?=[A-Za-z0-9]{0,15}[a-z])(?=[A-Za-z0-9]{0,15}[A-Z])([A-Za-z0-9]{16})"
        r"(?![A-Za-z0-9_.-])",
        (), MEDIUM, fix("z.ai (or open.bigmodel.cn) > API Keys", "ZAI_API_KEY"),
        provider="Z.ai", ai_provider=True, min_entropy=3.0, anchor=r"\.[a-z0-9]{16}",
    ),
    _named("ollama-api-key", "Ollama", r"ollama", r"[a-f0-9]{32}\.[A-Za-z0-9_-]{24}",
           ("ollama",), "ollama.com > Settings > Keys", "OLLAMA_API_KEY"),
    _named("privateai-api-key", "Private AI", r"private[_-]?ai", r"[a-z0-9]{32}",
           ("privateai", "private_ai", "private-ai"), "the Private AI portal > API keys",
           "PRIVATE_AI_API_KEY"),
    _named("upstage-api-key", "Upstage", r"upstage", r"up_[A-Za-z0-9]{29,50}|[A-Za-z0-9]{40,50}",
           ("upstage",), "console.upstage.ai > API Keys", "UPSTAGE_API_KEY", min_entropy=3.5),
    # --- embeddings, rerankers, search and retrieval --------------------------------------
    _prefixed("voyage-api-key", "Voyage AI", "pa-",
              r"pa-" + _mixed("A-Za-z0-9_-", 50) + r"[A-Za-z0-9_-]{40,50}", ("pa-",),
              "dash.voyageai.com > API keys", "VOYAGE_API_KEY", confidence=0.9),
    _prefixed("jina-api-key", "Jina AI", "jina_",
              r"jina_" + _mixed("A-Za-z0-9_-", 80) + r"[A-Za-z0-9_-]{40,80}", ("jina_",),
              "jina.ai > API > API key & billing (create a new key)", "JINA_API_KEY"),
    _prefixed("pinecone-api-key", "Pinecone", "pcsk_", r"pcsk_[A-Za-z0-9]{5,6}_[A-Za-z0-9]{63}",
              ("pcsk_",), "app.pinecone.io > API Keys", "PINECONE_API_KEY"),
    _named("pinecone-api-key-legacy", "Pinecone",
           r"pinecone(?:[_. -]{0,3}api)?[_. -]{0,3}(?:secret|key|token)", UUID,
           ("pinecone",), "app.pinecone.io > API Keys", "PINECONE_API_KEY"),
    _prefixed("firecrawl-api-key", "Firecrawl", "fc-", r"fc-[a-f0-9]{32}", ("fc-",),
              "firecrawl.dev > Dashboard > API Keys", "FIRECRAWL_API_KEY", min_entropy=3.0),
    _named("exa-api-key", "Exa", r"exa[_.-]?(?:ai[_.-]?)?(?:api[_.-]?)?key", UUID,
           ("exa_", "exa-", "exa.", "exaapi", "exaai", "exakey"),
           "dashboard.exa.ai > API Keys", "EXA_API_KEY"),
    _prefixed("mem0-api-key", "Mem0", "m0-",
              r"m0-" + _mixed("A-Za-z0-9", 60) + r"[A-Za-z0-9]{30,60}", ("m0-",),
              "app.mem0.ai > API Keys", "MEM0_API_KEY", confidence=0.9),
    _named("greptile-api-key", "Greptile", r"greptile", r"[A-Za-z0-9+/]{48}", ("greptile",),
           "app.greptile.com > Settings > API", "GREPTILE_API_KEY", min_entropy=3.5),
    # --- speech, audio and images ---------------------------------------------------------
    _prefixed("elevenlabs-api-key", "ElevenLabs", "sk_", r"sk_[a-f0-9]{48}", ("sk_",),
              "elevenlabs.io > Developers > API Keys", "ELEVENLABS_API_KEY",
              confidence=0.9, min_entropy=3.0),
    _named("elevenlabs-api-key-legacy", "ElevenLabs", r"elevenlabs|eleven[_.-]labs|xi-api",
           r"[a-f0-9]{32}", ("elevenlabs", "eleven_labs", "eleven-labs", "eleven.labs",
                             "xi-api"),
           "elevenlabs.io > Developers > API Keys", "ELEVENLABS_API_KEY"),
    _named("stability-api-key", "Stability AI", r"stability", r"sk-[A-Za-z0-9]{48}",
           ("stability",), "platform.stability.ai > Account > API Keys", "STABILITY_API_KEY",
           min_entropy=3.5),
    _named("deepgram-api-key", "Deepgram", r"deepgram", r"[a-f0-9]{40}", ("deepgram",),
           "console.deepgram.com > API Keys", "DEEPGRAM_API_KEY"),
    _named("assemblyai-api-key", "AssemblyAI", r"assembly[_.-]?ai", r"[a-f0-9]{32}",
           ("assemblyai", "assembly_ai", "assembly-ai", "assembly.ai"),
           "assemblyai.com > Dashboard > API Keys", "ASSEMBLYAI_API_KEY"),
    _named("fal-api-key", "fal.ai", r"fal[_.-]?(?:ai[_.-]?)?(?:api[_.-]?)?key",
           UUID + r":[a-f0-9]{32}", ("fal_", "fal-", "fal.", "falkey", "falai", "falapi"),
           "fal.ai > Dashboard > Keys", "FAL_KEY"),
    Rule(
        # fal.ai's "<key id>:<secret>" is distinctive enough on its own in a header.
        "fal-api-key-header", "fal.ai API key in an Authorization header",
        r"(?i:authorization)[\"']?\s{0,3}[:=]\s{0,3}[\"']?(?i:key)\s{1,3}(" + UUID
        + r":[a-f0-9]{32})" + E, ("authorization",), MEDIUM,
        fix("fal.ai > Dashboard > Keys", "FAL_KEY"), provider="fal.ai", ai_provider=True,
        min_entropy=3.0, keyword_anchored=True, key_keywords=False,
    ),
    # --- observability, evaluation and experiment tracking --------------------------------
    _prefixed("langfuse-secret-key", "Langfuse", "sk-lf-", r"sk-lf-" + UUID, ("sk-lf-",),
              "Langfuse > Project settings > API keys (create new, delete old)",
              "LANGFUSE_SECRET_KEY", min_entropy=3.0,
              description="Langfuse secret key"),
    # Helicone writes a key as four dashed groups of 7 base32 characters (generateApiKey
    # {method: "base32", dashes: true} in Helicone/helicone; its test key has that shape),
    # "sk-" for read and "pk-" for write, "eu-" for the EU region (docs.helicone.ai,
    # "Generate an API key"), and a proxy key adds "proxy-" and a UUID (checked 2026-12-05).
    # The exact groups refuse "sk-helicone-your-key-goes-here" and cut-off keys.
    _prefixed("helicone-api-key", "Helicone", "sk-helicone-",
              r"[sp]k-helicone-(?:eu-)?(?:proxy-)?[A-Za-z0-9]{7}(?:-[A-Za-z0-9]{7}){3}"
              r"(?:-" + UUID + r")?",
              ("sk-helicone-", "pk-helicone-"), "Helicone > Settings > API Keys",
              "HELICONE_API_KEY", min_entropy=3.0),
    _prefixed("wandb-api-key", "Weights & Biases", "wandb_v1_", r"wandb_v1_[A-Za-z0-9_]{77}",
              ("wandb_v1_",), "wandb.ai > User settings > API keys", "WANDB_API_KEY"),
    _named("wandb-api-key-legacy", "Weights & Biases",
           r"wandb|weights[_.-]?and[_.-]?biases", r"[a-f0-9]{40}",
           ("wandb", "weightsandbiases", "weights_and_biases", "weights-and-biases"),
           "wandb.ai > User settings > API keys", "WANDB_API_KEY"),
    Rule(
        # ~/.netrc as `wandb login` writes it: "machine api.wandb.ai / login user /
        # password <40 hex>", over one to three lines.
        "wandb-netrc", "Weights & Biases API key in a .netrc entry",
        r"api\.wandb\.ai\s{1,8}login\s{1,8}[^\s]{1,64}\s{1,8}password\s{1,8}([a-f0-9]{40})" + E,
        ("api.wandb.ai",), MEDIUM, fix("wandb.ai > User settings > API keys", "WANDB_API_KEY"),
        provider="Weights & Biases", ai_provider=True, min_entropy=3.0, keyword_anchored=True,
        key_keywords=False,
    ),
    # --- agents and coding assistants ------------------------------------------------------
    _prefixed("devin-api-key", "Devin", "apk_",
              r"(?:apk_user_[A-Za-z0-9+/]{120,180}={0,2}|apk_[A-Za-z0-9+/]{80,100}={0,2}"
              r"|cog_[a-z2-7]{52})", ("apk_", "cog_"),
              "app.devin.ai > Settings > API keys", "DEVIN_API_KEY"),
    _named("cursor-api-key", "Cursor", r"cursor", r"key_[0-9a-f]{64}", ("cursor",),
           "cursor.com > Dashboard > Integrations (API keys)", "CURSOR_API_KEY"),
    _named("modal-token-secret", "Modal", r"modal[_.-]?token[_.-]?secret",
           r"as-[A-Za-z0-9]{22}", ("modal",), "modal.com > Settings > API Tokens",
           "MODAL_TOKEN_SECRET", description="Modal token secret"),
    Rule(
        "modal-token-secret-cli", "Modal token secret on a command line",
        r"--token-secret\s{1,3}[\"']?(as-[A-Za-z0-9]{22})" + E, ("--token-secret",), MEDIUM,
        fix("modal.com > Settings > API Tokens", "MODAL_TOKEN_SECRET"), provider="Modal",
        ai_provider=True, min_entropy=3.0, keyword_anchored=True, key_keywords=False,
    ),
    # --- app builders and Chinese model platforms (eighth pass; formats checked 2026-12-05)
    # Dify: "app-" (an app's key) or "dataset-" (a knowledge base's) + generate_string(24),
    # 24 ASCII letters and digits (langgenius/dify api/models/model.py
    # ApiToken.generate_api_key; docs.dify.ai API reference: "it starts with app-"). The
    # prefix is a common word, so the body must also mix case and digits (a real key
    # lacks a digit about 1.5% of the time: the price of not reading "app-HeaderTitle").
    _prefixed("dify-api-key", "Dify", "app-",
              r"(?:app|dataset)-" + _mixed("A-Za-z0-9", 23) + r"[A-Za-z0-9]{24}",
              ("app-", "dataset-"), "Dify > your app > API Access > API Key (or Knowledge > "
              "Service API)", "DIFY_API_KEY", confidence=0.9),
    # Baidu Qianfan: "bce-v3/ALTAK-<key id>/<secret>" (cloud.baidu.com/doc/WENXINWORKSHOP
    # /s/fm4tsw9nv, the Authorization header: "Bearer bce-v3/ALTAK-*********/614fb****").
    _prefixed("qianfan-api-key", "Baidu Qianfan", "bce-v3/ALTAK-",
              r"bce-v3/ALTAK-[A-Za-z0-9]{8,40}/[A-Za-z0-9]{16,64}", ("bce-v3/altak-",),
              "the Qianfan console > API Key", "QIANFAN_API_KEY"),
    # Alibaba Model Studio (DashScope, Qwen): "sk-" and 32 characters for pay-as-you-go,
    # "sk-sp-" for the token and coding plans (alibabacloud.com/help/en/model-studio/
    # get-api-key; the docs' example is "sk-" and 32 x's). No prefix of its own ("sk-" and
    # 32 hex is also DeepSeek's): only under a name that says DashScope or Bailian, which
    # then outranks the bare DeepSeek layout.
    _named("dashscope-api-key", "Alibaba DashScope", r"dashscope|bailian",
           r"sk-(?:sp-)?[A-Za-z0-9]{32}", ("dashscope", "bailian"),
           "the Model Studio console > API Key", "DASHSCOPE_API_KEY", confidence=0.85),
)
