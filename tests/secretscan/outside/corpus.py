"""The outside corpus: load it, write it out as files, and score a scanner on it.

Samples come from two places (see ``extract.py``):

- ``samples.json.gz`` beside this file: gitleaks, detect-secrets and CredSweeper
  samples, whose licences (MIT, Apache-2.0, MIT) let this repository carry them
  (``NOTICE.md`` has the attributions). Stored gzipped so that neither our own
  scan nor a code host's push protection reads the upstream test keys as leaks;
- a cache built from local copies of the upstream projects
  (``APILAB_OUTSIDE_CORPUS`` or the bench's ``--outside``), which also holds
  trufflehog's samples (AGPL-3.0: read from the local copy, never committed).

``debatable.yaml`` lists samples whose upstream label we do not accept, each with
a note; scores are reported with those samples left out (and their count shown).

A sample is one unit of scoring: a positive counts as found when the scanner
reports a finding on one of its ``lines`` (anywhere when it has none); a negative
counts as a false positive when the scanner reports anything on its lines.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

__all__ = ["AI_PROVIDERS", "AI_PROVIDERS_SCAN3", "OutsideSample", "Tally", "load_fresh",
           "load_samples", "provider_of", "score", "write_files"]

HERE = Path(__file__).resolve().parent
COMMITTED = HERE / "samples.json.gz"
DEBATABLE = HERE / "debatable.yaml"
FRESH = HERE / "fresh.json.gz"
ENV_VAR = "APILAB_OUTSIDE_CORPUS"

# Upstream rule / detector / plugin name fragments -> provider (first match wins).
_PROVIDERS: tuple[tuple[str, str], ...] = (
    ("azure_openai", "Azure OpenAI"), ("azure-openai", "Azure OpenAI"),
    ("openai", "OpenAI"), ("open_ai", "OpenAI"), ("anthropic", "Anthropic"),
    ("antrhropic", "Anthropic"), ("deepseek", "DeepSeek"), ("groq", "Groq"),
    ("huggingface", "Hugging Face"), ("hugging face", "Hugging Face"),
    ("langsmith", "LangSmith"), ("openrouter", "OpenRouter"), ("replicate", "Replicate"),
    ("xai", "xAI"), ("gemini", "Google"), ("gcp-api-key", "Google"), ("mistral", "Mistral"),
    ("cohere", "Cohere"), ("perplexity", "Perplexity"), ("together", "Together AI"),
    ("llama", "Meta Llama"), ("bedrock", "AWS Bedrock"), ("privateai", "Private AI"),
    ("fireworks", "Fireworks AI"), ("elevenlabs", "ElevenLabs"), ("voyage", "Voyage AI"),
    ("tvly", "Tavily"),
    # AI platforms (apilab/secretscan/rules/ai_platforms.py); before "llama" for Ollama
    ("ollama", "Ollama"), ("cerebras", "Cerebras"), ("nvidia", "NVIDIA"), ("nvapi", "NVIDIA"),
    ("jina", "Jina AI"), ("pinecone", "Pinecone"), ("langfuse", "Langfuse"),
    ("helicone", "Helicone"), ("anyscale", "Anyscale"), ("stability", "Stability AI"),
    ("deepgram", "Deepgram"), ("assemblyai", "AssemblyAI"), ("assembly_ai", "AssemblyAI"),
    ("wandb", "Weights & Biases"), ("weightsandbiases", "Weights & Biases"),
    ("weights-and-biases", "Weights & Biases"), ("weights_and_biases", "Weights & Biases"),
    ("ai21", "AI21"), ("deepinfra", "DeepInfra"), ("novita", "Novita AI"),
    ("firecrawl", "Firecrawl"), ("mem0", "Mem0"), ("moonshot", "Moonshot (Kimi)"),
    ("kimi", "Moonshot (Kimi)"), ("minimax", "MiniMax"), ("upstage", "Upstage"),
    ("devin", "Devin"), ("greptile", "Greptile"), ("runpod", "RunPod"),
    ("vercel-ai-gateway", "Vercel AI Gateway"), ("fal-ai", "fal.ai"), ("falai", "fal.ai"),
    ("fal_ai", "fal.ai"), ("modal", "Modal"), ("cursor", "Cursor"), ("exa-api", "Exa"),
    ("exa_api", "Exa"), ("exaai", "Exa"),
    ("zhipu", "Z.ai"), ("z.ai", "Z.ai"),
    ("slack", "Slack"), ("stripe", "Stripe"), ("github", "GitHub"), ("gitlab", "GitLab"),
    ("private", "Private key"), ("pem", "Private key"), ("aws", "AWS"), ("npm", "npm"),
    ("sendgrid", "SendGrid"), ("twilio", "Twilio"), ("jwt", "JWT"),
    ("json web token", "JWT"), ("password", "Generic"), ("keyword", "Generic"),
    ("generic", "Generic"), ("high_entropy", "Generic"), ("basic_auth", "URL credentials"),
    ("uri", "URL credentials"), ("url", "URL credentials"), ("jdbc", "URL credentials"),
)
AI_PROVIDERS = frozenset({
    "OpenAI", "Azure OpenAI", "Anthropic", "DeepSeek", "Groq", "Hugging Face", "LangSmith",
    "OpenRouter", "Replicate", "xAI", "Google", "Mistral", "Cohere", "Perplexity",
    "Together AI", "Meta Llama", "AWS Bedrock", "Private AI", "Fireworks AI", "ElevenLabs",
    "Voyage AI", "Tavily",
    # AI platforms (apilab/secretscan/rules/ai_platforms.py)
    "Ollama", "Cerebras", "NVIDIA", "Jina AI", "Pinecone", "Langfuse", "Helicone", "Anyscale",
    "Stability AI", "Deepgram", "AssemblyAI", "Weights & Biases", "AI21", "DeepInfra",
    "Novita AI", "Firecrawl", "Mem0", "Moonshot (Kimi)", "MiniMax", "Upstage", "Devin",
    "Greptile", "RunPod", "Vercel AI Gateway", "fal.ai", "Exa", "Z.ai", "Modal", "Cursor",
})
# The AI providers before the AI-platform rules (scan4): held-out scores are reported
# under both sets, so "before" and "after" compare the same samples.
AI_PROVIDERS_SCAN3 = frozenset({
    "OpenAI", "Azure OpenAI", "Anthropic", "DeepSeek", "Groq", "Hugging Face", "LangSmith",
    "OpenRouter", "Replicate", "xAI", "Google", "Mistral", "Cohere", "Perplexity",
    "Together AI", "Meta Llama", "AWS Bedrock", "Private AI", "Fireworks AI", "ElevenLabs",
    "Voyage AI", "Tavily",
})


def provider_of(rule: str, path: str) -> str:
    """The provider a sample is about, from its upstream rule name (else its file name)."""
    for text in (rule.lower(), path.lower().rsplit("/", 1)[-1]):
        for fragment, provider in _PROVIDERS:
            if fragment in text:
                return provider
    return "Other"


@dataclasses.dataclass
class OutsideSample:
    """One scored unit (see the module docstring)."""

    id: str
    source: str
    upstream_path: str
    commit: str
    rule: str
    text: str
    positive: bool
    filename: str
    lines: list[int]
    provider: str
    debatable: str = ""  # the note from debatable.yaml, when upstream's label is not accepted
    half: str = ""  # fresh corpus only: "dev" or "held-out" (see fresh.py)

    @property
    def ai(self) -> bool:
        return self.provider in AI_PROVIDERS

    @property
    def file_key(self) -> str:
        """Samples sharing a text (one CredSweeper file, many lines) share one file."""
        digest = hashlib.sha256(f"{self.source}\0{self.upstream_path}\0{self.text}".encode())
        name = self.filename if self.filename != "sample.txt" else "sample.txt"
        return f"{self.source}/{digest.hexdigest()[:12]}/{name}"


def _read_doc(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    doc: dict[str, Any] = json.loads(raw)
    return doc


def _debatable_rules() -> tuple[dict[str, str], list[tuple[bool, re.Pattern[str], str]]]:
    if not DEBATABLE.exists():
        return {}, []
    data = yaml.safe_load(DEBATABLE.read_text(encoding="utf-8")) or {}
    by_id = {str(k): str(v).strip() for k, v in (data.get("samples") or {}).items()}
    patterns = [(p["label"] == "positive", re.compile(p["text"]), p["note"])
                for p in data.get("patterns") or []]
    return by_id, patterns


def labelled_text(sample: OutsideSample) -> str:
    """The sample's labelled lines (its whole text when it has none)."""
    if not sample.lines:
        return sample.text
    lines = sample.text.split("\n")
    return "\n".join(lines[i - 1] for i in sample.lines if 0 < i <= len(lines))


def _cross_label_notes(samples: list[OutsideSample]) -> dict[str, str]:
    """Negatives that hold a value another upstream sample labels a secret."""
    secrets: set[str] = set()
    for s in samples:
        if not s.positive:
            continue
        value = labelled_text(s).strip()
        for token in re.findall(r"[A-Za-z0-9_\-+/=.~]{24,}", value):
            secrets.add(token)
    notes: dict[str, str] = {}
    for s in samples:
        if s.positive:
            continue
        text = labelled_text(s)
        if any(tok in text for tok in re.findall(r"[A-Za-z0-9_\-+/=.~]{24,}", text)
               if tok in secrets):
            notes[s.id] = ("negative upstream, but the same value is a positive of another "
                           "upstream sample (usually another rule's key format)")
    return notes


def load_samples(extra: str | Path | None = None, *, committed: bool = True
                 ) -> list[OutsideSample]:
    """The committed samples plus any from a local cache (``extra`` or $APILAB_OUTSIDE_CORPUS)."""
    docs = []
    if committed and COMMITTED.exists():
        docs.append(_read_doc(COMMITTED))
    extra = extra or os.environ.get(ENV_VAR)
    if extra:
        docs.append(_read_doc(Path(extra)))
    return _from_docs(docs)


def load_fresh(path: str | Path | None = None, half: str | None = None) -> list[OutsideSample]:
    """The fresh corpus (``fresh.json.gz``, see fresh.py), optionally one half of it."""
    path = Path(path) if path else FRESH
    if not path.exists():
        return []
    samples = _from_docs([_read_doc(path)])
    return [s for s in samples if half is None or s.half == half]


def _from_docs(docs: list[dict[str, Any]]) -> list[OutsideSample]:
    by_id, patterns = _debatable_rules()
    seen: set[str] = set()
    out: list[OutsideSample] = []
    for doc in docs:
        for s in doc["samples"]:
            if s["id"] in seen:
                continue
            seen.add(s["id"])
            provider = provider_of(s["rule"], s["upstream_path"])
            out.append(OutsideSample(
                id=s["id"], source=s["source"], upstream_path=s["upstream_path"],
                commit=s["commit"], rule=s["rule"], text=s["text"], positive=s["positive"],
                filename=s.get("filename") or "sample.txt", lines=list(s.get("lines") or []),
                provider=provider, debatable=by_id.get(s["id"], s.get("debatable") or ""),
                half=s.get("half") or "",
            ))
    cross = _cross_label_notes(out)
    for sample in out:
        if sample.debatable:
            continue
        text = labelled_text(sample)
        note = next((n for pos, rx, n in patterns if pos == sample.positive and rx.search(text)),
                    "")
        sample.debatable = note or cross.get(sample.id, "")
    return out


def write_files(samples: Iterable[OutsideSample], folder: Path) -> dict[str, str]:
    """Write each distinct sample text once under ``folder``; sample id -> relative path."""
    where: dict[str, str] = {}
    for s in samples:
        rel = s.file_key
        target = folder / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(s.text, encoding="utf-8")
        where[s.id] = rel
    return where


@dataclasses.dataclass
class Tally:
    """TP/FP/FN over a set of samples."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def hit(sample: OutsideSample, lines_found: set[int]) -> bool:
    """Whether a scanner's findings (lines of the sample's file) touch this sample."""
    if not sample.lines:
        return bool(lines_found)
    return any(line in lines_found for line in sample.lines)


def score(samples: Iterable[OutsideSample], found: Callable[[OutsideSample], set[int]],
          *, include_debatable: bool = False) -> tuple[Tally, list[OutsideSample],
                                                       list[OutsideSample]]:
    """(tally, missed positives, false hits) of a scanner over ``samples``."""
    tally = Tally()
    missed: list[OutsideSample] = []
    false_hits: list[OutsideSample] = []
    for s in samples:
        if s.debatable and not include_debatable:
            continue
        h = hit(s, found(s))
        if s.positive and h:
            tally.tp += 1
        elif s.positive:
            tally.fn += 1
            missed.append(s)
        elif h:
            tally.fp += 1
            false_hits.append(s)
        else:
            tally.tn += 1
    return tally, missed, false_hits
