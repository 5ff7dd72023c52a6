"""The AI-platform rules (rules/ai_platforms.py): each finds its key and leaves a near miss alone.

Keys are assembled at run time from split prefixes and random bodies, so this file holds
no key-shaped string.
"""

from __future__ import annotations

import string

import pytest

from apilab.secretscan import find_secrets
from apilab.secretscan.rules.ai_platforms import AI_PLATFORM_RULES
from apilab.secretscan.rules.base import MEDIUM
from tests.secretscan.keys import ALNUM, HEX, seeded_text
from tests.secretscan.keys import rules_found as _rules
from tests.secretscan.outside.corpus import AI_PROVIDERS

LOWER36 = string.ascii_lowercase + string.digits
UPPER36 = string.ascii_uppercase + string.digits


def _r(alphabet: str, n: int, seed: int = 4) -> str:
    return seeded_text(alphabet, n, seed)


def _uuid(seed: int = 4) -> str:
    return "-".join(_r(HEX, n, seed) for n in (8, 4, 4, 4, 12))


FOUND = {
    "fireworks-api-key": f'FIREWORKS_API_KEY = "{"fw" + "_"}{_r(ALNUM, 24)}"',
    "cerebras-api-key": f'client = Cerebras(api_key="{"csk" + "-"}{_r(LOWER36, 48)}")',
    "nvidia-api-key": f"NVIDIA_API_KEY={'nvapi' + '-'}{_r(ALNUM + '_-', 64)}",
    "anyscale-api-key": f'api_key = "{"esecret" + "_"}{_r(LOWER36, 26)}"',
    "runpod-api-key": f'RUNPOD_API_KEY: "{"rpa" + "_"}{_r(UPPER36, 40)}{_r(ALNUM, 6)}"',
    "minimax-api-key": f'key = "{"sk-" + "api-"}{_r(ALNUM + "_-", 119)}"',
    "vercel-ai-gateway-key": f"AI_GATEWAY_API_KEY={'vck' + '_'}{_r(ALNUM, 56)}",
    "meta-llama-api-key": f'LLAMA_API_KEY = "{"LLM" + "|"}{_r(string.digits, 16)}|{_r(ALNUM, 40)}"',
    "gemini-api-key-aq": f'GEMINI_API_KEY = "{"AQ." + "Ab8RN6"}{_r(ALNUM, 44)}"',
    "together-api-key-legacy": f'TOGETHER_API_KEY = "{_r(HEX, 64)}"',
    "deepinfra-api-key": f'DEEPINFRA_API_TOKEN = "{_r(ALNUM, 32)}"',
    "novita-api-key": f'NOVITA_API_KEY = "sk_{_r(ALNUM, 44)}"',
    "ai21-api-key": f'AI21_API_KEY = "{_r(ALNUM, 32)}"',
    "moonshot-api-key": f'MOONSHOT_API_KEY = "sk-{_r(ALNUM, 48)}"',
    "zai-api-key": f'ZAI_API_KEY = "{_r(HEX, 32)}.{_r(ALNUM, 16)}"',
    "zai-api-key-bare": f'client = ZhipuAI(api_key="{_r(HEX, 32)}.{_r(ALNUM, 16)}")',
    "ollama-api-key": f'OLLAMA_API_KEY = "{_r(HEX, 32)}.{_r(ALNUM, 24)}"',
    "privateai-api-key": f'PRIVATE_AI_API_KEY = "{_r(LOWER36, 32)}"',
    "upstage-api-key": f'UPSTAGE_API_KEY = "up_{_r(ALNUM, 30)}"',
    "voyage-api-key": f'vo = voyageai.Client(api_key="{"pa" + "-"}{_r(ALNUM + "_-", 43)}")',
    "jina-api-key": f"JINA_KEY = os.getenv('JINA_KEY', '{'jina' + '_'}{_r(ALNUM, 60)}')",
    "pinecone-api-key": f'pc = Pinecone(api_key="{"pcsk" + "_"}{_r(ALNUM, 5)}_{_r(ALNUM, 63)}")',
    "pinecone-api-key-legacy": f'PINECONE_API_KEY = "{_uuid()}"',
    "firecrawl-api-key": f'app = FirecrawlApp(api_key="{"fc" + "-"}{_r(HEX, 32)}")',
    "exa-api-key": f'EXA_API_KEY="{_uuid()}"',
    "mem0-api-key": f'MEM0_API_KEY = "{"m0" + "-"}{_r(ALNUM, 40)}"',
    "greptile-api-key": f'GREPTILE_API_KEY = "{_r(ALNUM, 48)}"',
    "elevenlabs-api-key": f'client = ElevenLabs(api_key="{"sk" + "_"}{_r(HEX, 48)}")',
    "elevenlabs-api-key-legacy": f'headers = {{"xi-api-key": "{_r(HEX, 32)}"}}',
    "stability-api-key": f'STABILITY_API_KEY = "sk-{_r(ALNUM, 48)}"',
    "deepgram-api-key": f'DEEPGRAM_API_KEY = "{_r(HEX, 40)}"',
    "assemblyai-api-key": f'ASSEMBLYAI_API_KEY = "{_r(HEX, 32)}"',
    "fal-api-key": f'FAL_KEY="{_uuid()}:{_r(HEX, 32)}"',
    "fal-api-key-header": f'-H "Authorization: Key {_uuid()}:{_r(HEX, 32)}"',
    "langfuse-secret-key": f'LANGFUSE_SECRET_KEY="{"sk-" + "lf-"}{_uuid()}"',
    "helicone-api-key": "HELICONE_API_KEY=" + "pk-" + "helicone-eu-"
                        + "-".join(_r(LOWER36, 7, n) for n in range(4)),
    "wandb-api-key": f"WANDB_API_KEY={'wandb' + '_v1_'}{_r(ALNUM + '_', 77)}",
    "wandb-api-key-legacy": f"WANDB_API_KEY={_r(HEX, 40)}",
    "wandb-netrc": f"machine api.wandb.ai\n  login user\n  password {_r(HEX, 40)}\n",
    "devin-api-key": f'DEVIN_API_KEY = "{"apk" + "_user_"}{_r(ALNUM, 150)}"',
    "cursor-api-key": f'CURSOR_API_KEY = "{"key" + "_"}{_r(HEX, 64)}"',
    "modal-token-secret": f'MODAL_TOKEN_SECRET = "{"as" + "-"}{_r(ALNUM, 22)}"',
    "modal-token-secret-cli": f"modal token set --token-id ak-{_r(ALNUM, 22, 5)} "
                              f"--token-secret {'as' + '-'}{_r(ALNUM, 22)}",
    "dify-api-key": f'-H "Authorization: Bearer {"app" + "-"}{_r(ALNUM, 24)}"',
    "qianfan-api-key": f'QIANFAN_API_KEY = "{"bce-v3/" + "ALTAK-"}{_r(ALNUM, 21)}/{_r(HEX, 40)}"',
    "dashscope-api-key": f'DASHSCOPE_API_KEY="sk-{_r(HEX, 32)}"',
}

QUIET = {
    "fireworks-api-key": [f"fw_{_r(string.ascii_lowercase, 30)}",  # no digit or upper case
                          "fw_update_firmware_image_from_the_usb_stick"],
    "cerebras-api-key": [f'"csk-{_r(LOWER36, 47)}"'],  # one character short
    "nvidia-api-key": ['NVIDIA_API_KEY="nvapi-YOUR_KEY_HERE_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'
                       'xxxxxxxxxxxxxxxx"'],
    "anyscale-api-key": ['ANYSCALE_API_KEY="esecret_YOUR_API_KEY"'],
    "runpod-api-key": [f"rpa_{_r(string.ascii_lowercase, 46)}"],
    "minimax-api-key": [f'"sk-api-{_r(ALNUM, 50)}"'],
    "vercel-ai-gateway-key": [f"vck_{_r(ALNUM, 30)}"],
    "meta-llama-api-key": ["LLM|calls|the-model"],
    "gemini-api-key-aq": [f"AQ.Ab8RN6{_r(ALNUM, 20)}"],
    "together-api-key-legacy": [f'together_model_sha = "{_r(HEX, 64)}"'],  # no key word
    "deepinfra-api-key": ['DEEPINFRA_API_TOKEN = "your_deepinfra_token_here_000"'],
    "novita-api-key": ['NOVITA_API_KEY = "<your-novita-api-key>"'],
    "ai21-api-key": [f'ai21_model_version = "{_r(ALNUM, 32)}"', f'ai21 = "{_r(ALNUM, 31)}"'],
    "moonshot-api-key": [f'MOONSHOT_API_KEY = "sk-{"x" * 48}"'],
    "zai-api-key": [f'glm_checkpoint_sha = "{_r(HEX, 32)}.{_r(ALNUM, 16)}"'],
    "zai-api-key-bare": [f'name = "{_r(HEX, 32)}.{_r(string.ascii_lowercase, 16)}"',  # a file
                         f"v = {_r(HEX, 32)}.{_r(ALNUM, 16)}.{_r(ALNUM, 5)}"],  # dotted
    "ollama-api-key": [f'ollama_model_digest = "{_r(HEX, 32)}.{_r(ALNUM, 24)}"'],
    "privateai-api-key": [f'private_ai_entity_ids = "{_r(LOWER36, 32)}"'],
    "upstage-api-key": ['UPSTAGE_API_KEY = "up_your_api_key"'],
    "voyage-api-key": [f"pa-{_r(string.ascii_lowercase + '-', 43)}",  # no digit or upper
                       "https://example.com/pa-service-documentation-and-overview-pages-2"],
    "jina-api-key": ["model = 'jina_embeddings_v2_base_en_model_for_long_documents'"],
    "pinecone-api-key": [f"pcsk_{_r(ALNUM, 5)}_{_r(ALNUM, 40)}"],
    "pinecone-api-key-legacy": [f'pinecone_index_host = "{_uuid()}"'],
    "firecrawl-api-key": ['FIRECRAWL_API_KEY = "fc-YOUR_API_KEY"'],
    "exa-api-key": [f'example_id = "{_uuid()}"', f'exa_request_id = "{_uuid()}"'],
    "mem0-api-key": [f"m0-{_r(string.ascii_lowercase, 40)}"],
    "greptile-api-key": ['GREPTILE_API_KEY = "your-greptile-api-key-goes-here-0000000000000"'],
    "elevenlabs-api-key": [f'"sk_{_r(HEX, 64)}"'],  # a hash: 64, not 48
    "elevenlabs-api-key-legacy": [f'elevenlabs_voice_id = "{_r(HEX, 32)}"'],
    "stability-api-key": [f'stability_note = "sk-{_r(ALNUM, 20)}"'],
    "deepgram-api-key": [f'deepgram_sdk_commit = "{_r(HEX, 40)}"',
                         f"deepgram_request_id: {_r(HEX, 40)}"],
    "assemblyai-api-key": [f'assemblyai_transcript_id = "{_r(HEX, 32)}"'],
    "fal-api-key": [f'FAL_KEY="{_uuid()}"'],  # the key id alone
    "fal-api-key-header": [f'-H "Authorization: Key {_uuid()}"'],
    "langfuse-secret-key": [f'LANGFUSE_PUBLIC_KEY="{"pk-" + "lf-"}{_uuid()}"',
                            'LANGFUSE_SECRET_KEY="sk-lf-..."'],
    "helicone-api-key": ['HELICONE_API_KEY="sk-helicone-your-key-here"',
                         # a group cut short, and one group too few
                         "HELICONE_API_KEY=" + "sk-" + "helicone-"
                         + "-".join(_r(LOWER36, 7, n) for n in range(3)) + "-" + _r(LOWER36, 4),
                         "k = " + "sk-" + "helicone-"
                         + "-".join(_r(LOWER36, 7, n) for n in range(3))],
    "wandb-api-key": [f"wandb_v1_{_r(ALNUM, 30)}"],
    "wandb-api-key-legacy": [f"wandb_run_commit = {_r(HEX, 40)}"],
    "wandb-netrc": [f"machine api.github.com\n  login user\n  password {_r(HEX, 40)}\n"],
    "devin-api-key": [f"apk_{_r(ALNUM, 20)}"],
    "cursor-api-key": [f'cursor_key = "key_{_r(HEX, 40)}"'],
    "modal-token-secret": [f'MODAL_TOKEN_ID = "ak-{_r(ALNUM, 22)}"'],
    "modal-token-secret-cli": [f"modal token set --token-id ak-{_r(ALNUM, 22)}"],
    "dify-api-key": [f'<div class="app-{_r(string.ascii_letters, 24)}">',  # no digit
                     f'dify = "app-{_r(ALNUM, 20)}"',  # short
                     f'path = "my-app-{_r(ALNUM, 24)}"'],  # glued to a word
    "qianfan-api-key": ['QIANFAN_API_KEY="bce-v3/ALTAK-..."',
                        f'QIANFAN_API_KEY="bce-v3/ALTAK-{_r(ALNUM, 21)}"'],  # no secret part
    "dashscope-api-key": [f'DASHSCOPE_API_KEY="sk-{"x" * 32}"',
                          f'DASHSCOPE_API_KEY="sk-{_r(HEX, 20)}"',  # short
                          f'dashscope_model_version = "sk-{_r(HEX, 32)}"'],
}

# Platforms whose keys the bench's per-provider tables do not count as AI keys (added after
# the fresh corpus was labelled; their samples, if any, count under "all secrets").
_OUTSIDE_THE_BENCH = {"Dify", "Baidu Qianfan", "Alibaba DashScope"}


def test_every_platform_rule_has_cases() -> None:
    ids = {rule.id for rule in AI_PLATFORM_RULES}
    assert ids == set(FOUND) == set(QUIET)


@pytest.mark.parametrize("rule_id", sorted(FOUND))
def test_platform_key_is_found(rule_id: str) -> None:
    assert rule_id in _rules(FOUND[rule_id]), FOUND[rule_id]


@pytest.mark.parametrize(("rule_id", "text"),
                         [(r, t) for r, texts in sorted(QUIET.items()) for t in texts])
def test_platform_near_miss_is_quiet(rule_id: str, text: str) -> None:
    assert rule_id not in _rules(text), text


@pytest.mark.parametrize("rule", AI_PLATFORM_RULES, ids=lambda r: r.id)
def test_platform_rule_is_labelled_for_the_bench(rule) -> None:  # type: ignore[no-untyped-def]
    """Provider names match the bench's per-provider table; a fixed prefix is HIGH-ish."""
    assert rule.ai_provider and (rule.provider in AI_PROVIDERS
                                 or rule.provider in _OUTSIDE_THE_BENCH), rule.provider
    assert rule.confidence >= (0.9 if rule.prefix else MEDIUM), rule.id


def test_a_platform_key_is_redacted_to_its_prefix() -> None:
    key = "fw" + "_" + _r(ALNUM, 24)
    [finding] = find_secrets(f'k = "{key}"', "app.py")
    assert finding.redacted.startswith("fw_…") and key[3:11] not in finding.redacted


def test_azure_identifiable_key_is_found_without_a_name() -> None:
    key = _r(ALNUM, 52) + "JQQJ" + "99" + _r(ALNUM, 26)
    assert _rules(f'key = "{key}"') == ["azure-openai-key-identifiable"]
    # the marker inside a longer run (a base64 blob) or a short one is not that key
    assert _rules(f'blob = "{_r(ALNUM, 90)}JQQJ99{_r(ALNUM, 40)}"') == []
    assert _rules(f'x = "{_r(ALNUM, 20)}JQQJ99{_r(ALNUM, 20)}"') == []
