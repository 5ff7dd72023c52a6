"""The labelled secret-detection corpus, generated at run time (TEST FIXTURES, no real keys).

``build_corpus(seed)`` returns files of many kinds (Python, JS, minified JS, HTML,
YAML, JSON, .env, shell, Markdown, notebooks) holding synthetic keys of every
format in ``keys.py`` at their real lengths, plus false-positive vectors that a
good scanner must leave alone: placeholders, documented example keys, truncated
and over-long keys, wrong suffixes, UUIDs, hashes, lockfile integrity strings,
base64 images, environment lookups. Labels are (file, line) pairs, 1-based.

The unit tests (tests/secretscan/test_corpus.py) and bench/scan.py score
scanners on the same corpus with ``score``.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import random
import string
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from tests.secretscan.keys import (
    AI_FORMATS,
    ALNUM,
    B64,
    FORMATS,
    HEX,
    OPENAI_MARKER,
    URLSAFE,
    KeyFormat,
    make_private_key,
)

__all__ = ["CorpusFile", "Score", "build_corpus", "score", "write_corpus"]

# Formats whose rule needs the variable name next to the value.
NAME_ANCHORED = {"cohere-api-key", "mistral-api-key", "deepseek-api-key",
                 "aws-secret-access-key", "generic-secret", "deepgram-api-key",
                 "assemblyai-api-key"}


@dataclasses.dataclass
class CorpusFile:
    """One corpus file: its name, its text, and the labelled secret lines."""

    name: str
    text: str
    labels: dict[int, str]  # line -> expected rule id ("" for a false-positive vector file)
    kind: str  # "positive" or the false-positive vector's name


@dataclasses.dataclass
class Score:
    """Line-level precision/recall over a corpus."""

    tp: int
    fp: int
    fn: int
    recall_by_rule: dict[str, float]
    missed: list[tuple[str, int]]
    false_hits: list[tuple[str, int]]

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


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _camel(env: str) -> str:
    head, *rest = env.lower().split("_")
    return head + "".join(w.title() for w in rest)


# --- contexts: (extension, template) where {k} is the key and {E}/{e}/{c} its name ---------
_CONTEXTS: tuple[tuple[str, str, bool], ...] = (
    # (extension, template, needs no name: usable for name-free formats only)
    ("py", 'import os\nfrom openai import OpenAI\n\n{E} = "{k}"\nclient = OpenAI()\n', False),
    ("py", 'def make_client():\n    return Client(\n        api_key="{k}",\n    )\n', True),
    ("py", "settings = {{\n    '{e}': '{k}',\n    'timeout': 30,\n}}\n", False),
    ("js", 'import OpenAI from "openai";\nconst {c} = "{k}";\nexport default {c};\n', False),
    ("ts", "export const config = {{\n  {c}: `{k}`,\n  retries: 3,\n}};\n", False),
    ("yaml", "service:\n  name: chat\n  {e}: {k}\n  region: eu-west-1\n", False),
    ("yml", 'env:\n  - name: {E}\n    value: "{k}"\n', True),
    ("json", '{{\n  "model": "gpt-4o",\n  "{e}": "{k}",\n  "temperature": 0.2\n}}\n', False),
    ("env", "# local settings\nDEBUG=true\n{E}={k}\nPORT=8000\n", False),
    ("sh", "#!/bin/sh\nset -e\nexport {E}={k}\npython app.py\n", False),
    ("sh", 'curl https://api.example.com/v1/models \\\n  -H "Authorization: Bearer {k}"\n',
     True),
    ("md", "# Setup\n\nRun this first:\n\n```bash\nexport {E}={k}\n```\n", False),
    ("md", "My key is {k} and it stopped working, why?\n", True),
    ("html", '<html><body>\n<script>\nconst {c} = "{k}";\n</script>\n</body></html>\n', False),
    ("min.js", '!function(){{var e={{{c}:"{k}",u:"/v1/chat"}};window.cfg=e}}();\n', False),
    ("ini", "[default]\nregion = us-east-1\n{e} = {k}\n", False),
    ("toml", '[provider]\nname = "x"\n{e} = "{k}"\n', False),
)


def _notebook(name: str, key: str) -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Quick test\n"]},
        {
            "cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
            "source": ["import os\n", f'os.environ["{name}"] = "{key}"\n', "print('ready')\n"],
        },
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1) + "\n"


def _positives(rng: random.Random, per_format: int) -> list[CorpusFile]:
    files: list[CorpusFile] = []
    for fmt in FORMATS:
        contexts = [c for c in _CONTEXTS if not (c[2] and fmt.rule in NAME_ANCHORED)]
        for i in range(per_format):
            key = fmt.make(rng)
            env = fmt.env
            if fmt.rule in NAME_ANCHORED and fmt.rule != "aws-secret-access-key":
                env = fmt.env  # names like COHERE_API_KEY carry the provider word
            if i % 9 == 8:
                ext, text = "ipynb", _notebook(env, key)
            else:
                ext, template, _ = contexts[i % len(contexts)]
                text = template.format(E=env, e=env.lower(), c=_camel(env), k=key)
            files.append(_labelled(f"pos/{fmt.rule}/{i:03d}.{ext}", text, key, fmt.rule))
    for i in range(per_format):
        block = make_private_key(rng)
        text = f"# deploy key\nKEY_FILE = 'deploy'\n{block}\n"
        files.append(_labelled(f"pos/private-key/{i:03d}.pem", text, block[:20], "private-key"))
    for i in range(per_format):
        pw = _r(rng, ALNUM + "!#%^*-", 14)
        text = f'DB_HOST = "db.internal"\nDB_PASSWORD = "{pw}"\n'
        files.append(_labelled(f"pos/generic-password/{i:03d}.py", text, pw, "generic-password"))
        url = f"DATABASE_URL=postgresql://app:{_r(rng, ALNUM, 16)}@db.internal:5432/app\n"
        files.append(_labelled(f"pos/url-credentials/{i:03d}.env", url, "postgresql://",
                               "url-credentials"))
    return files


def _labelled(name: str, text: str, needle: str, rule: str) -> CorpusFile:
    lines = text.split("\n")
    line = next(i for i, t in enumerate(lines, 1) if needle in t)
    return CorpusFile(name, text, {line: rule}, "positive")


# --- false-positive vectors ---------------------------------------------------------------
def _fp_vectors(rng: random.Random) -> dict[str, Callable[[], str]]:
    proj = "sk-" + "proj-"

    def b64img() -> str:
        raw = bytes(rng.getrandbits(8) for _ in range(300))
        return base64.b64encode(b"\x89PNG\r\n\x1a\n" + raw).decode()

    return {
        "placeholder-dots": lambda: "OPENAI_API_KEY=sk-...\nANTHROPIC_API_KEY=sk-ant-...\n",
        "placeholder-your-key": lambda: 'api_key = "YOUR_KEY_HERE"\ntoken = "<your-token>"\n',
        "placeholder-env-template": lambda: (
            "OPENAI_API_KEY=your-openai-key\nGEMINI_API_KEY=\nHF_TOKEN=hf_xxx\n"
        ),
        "placeholder-x-run": lambda: (
            f'OPENAI_API_KEY="{proj}{"x" * 74}{OPENAI_MARKER}{"x" * 74}"\n'
            f'GEMINI_API_KEY="AIza{"X" * 35}"\n'
        ),
        "placeholder-docs-prose": lambda: (
            "Keys look like `sk-proj-…` (OpenAI) or `sk-ant-api03-…` (Anthropic); Google keys "
            "start with AIza and Hugging Face tokens with hf_.\n"
        ),
        "aws-documented-example": lambda: (
            "aws_access_key_id = AKIA" + "IOSFODNN7" + "EXAMPLE\n"
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY"  # apilab: allow
            + "EXAMPLEKEY\n"
        ),
        "truncated-openai": lambda: (
            f'key = "{proj}{_r(rng, URLSAFE, 73)}{OPENAI_MARKER}{_r(rng, URLSAFE, 74)}"\n'
        ),
        "overlong-openai": lambda: (
            f'x = "{proj}{_r(rng, URLSAFE, 80)}{OPENAI_MARKER}{_r(rng, URLSAFE, 74)}"\n'
        ),
        "anthropic-prefix-confusion": lambda: (
            f'k = "sk-ant-admin03-{_r(rng, URLSAFE, 93)}AA"\nj = "sk-ant-api01-'
            f'{_r(rng, URLSAFE, 93)}AA"\n'
        ),
        "google-too-short": lambda: f'k = "AIza{_r(rng, URLSAFE, 30)}"\n',
        "hf-too-long": lambda: f"t = 'hf_{_r(rng, string.ascii_letters, 40)}'\n",
        "uuids": lambda: (
            f'request_id = "{uuid.UUID(int=rng.getrandbits(128))}"\n'
            f'"trace": "{uuid.UUID(int=rng.getrandbits(128))}",\n'
            f'api_key_id: {uuid.UUID(int=rng.getrandbits(128))}\n'
        ),
        "git-hashes": lambda: (
            f"commit {_r(rng, HEX, 40)}\nMerge: {_r(rng, HEX, 7)} {_r(rng, HEX, 7)}\n"
            f"sha256 = \"{_r(rng, HEX, 64)}\"\ntoken_hash = \"{_r(rng, HEX, 64)}\"\n"
        ),
        "lockfile-integrity": lambda: (
            '"node_modules/left-pad": {\n  "version": "1.3.0",\n  "resolved": '
            '"https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",\n  "integrity": "sha512-'
            + _r(rng, B64, 86) + '=="\n}\n'
        ),
        "pip-hashes": lambda: f"requests==2.32.3 \\\n    --hash=sha256:{_r(rng, HEX, 64)}\n",
        "base64-image": lambda: (
            f'<img alt="logo" src="data:image/png;base64,{b64img()}">\n'
            f".icon {{ background: url(data:image/png;base64,{b64img()}); }}\n"
        ),
        "env-lookups": lambda: (
            'api_key = os.environ["OPENAI_API_KEY"]\nconst key = process.env.OPENAI_API_KEY;\n'
            "token = settings.github_token\nSECRET_KEY = get_secret('django')\n"
            'client_secret: ${CLIENT_SECRET}\npassword = "{{ vault_password }}"\n'
        ),
        "token-counting": lambda: (
            "max_tokens = 1024\n\"tokenizer\": \"o200k_base\",\ntoken_count = len(tokens)\n"
            "TOKEN_LIMIT = 128000\n"
        ),
        "identifiers": lambda: (
            'API_KEY_ENV = "OPENAI_API_KEY"\nsecret_name = "prod/openai/api-key"\n'
            'token_type = "bearer_access_token"\nkey = "primary_key_column"\n'
        ),
        "minified-js": lambda: (
            "!function(e,t){var n=" + '"' + _r(rng, string.ascii_letters, 24) + '"'
            + ";e.k=function(r){return r.split(\"\").map(function(o){return o})}}(window);\n"
        ),
        "aws-arn": lambda: "role_arn = arn:aws:iam::123456789012:role/deploy\n",
        "asia-prose": lambda: "Our ASIA region and AKIA... prefixes are documented elsewhere.\n",
        "public-keys": lambda: (
            f'STRIPE_PUBLISHABLE_KEY = "pk_live_{_r(rng, ALNUM, 24)}"\n'
            f'public_key = "{_r(rng, B64, 44)}"\n'
        ),
        "localhost-url": lambda: (
            "DATABASE_URL=postgresql://postgres:postgres@localhost:5432/dev\n"
            "REDIS_URL=redis://user:password@localhost:6379/0\n"
        ),
        "weak-passwords": lambda: 'password = "password"\nPASSWORD: changeme\n',
        "css-colours": lambda: ".a{color:#a3f9c2}.b{background:#00ff00}\n",
        "numbers": lambda: f"id: {rng.randrange(10**17, 10**18)}\nversion = '1.2.3'\n",
        "sandbox-hint": lambda: 'secret_hint = "sk-sbx-…9f2a"\n',
        "go-sum": lambda: (
            f"golang.org/x/net v0.30.0 h1:{_r(rng, B64, 43)}=\n"
            f"golang.org/x/net v0.30.0/go.mod h1:{_r(rng, B64, 43)}=\n"
        ),
        "sri-hash": lambda: (
            '<script src="https://cdn.example.net/lib.min.js"\n'
            f'  integrity="sha384-{_r(rng, B64, 64)}" crossorigin="anonymous"></script>\n'
        ),
        "image-digest": lambda: f"image: python:3.11-slim@sha256:{_r(rng, HEX, 64)}\n",
        "cargo-checksum": lambda: f'checksum = "{_r(rng, HEX, 64)}"\n',
        "poetry-lock": lambda: (
            'files = [\n    {file = "pkg-1.0.tar.gz", hash = "sha256:'
            + _r(rng, HEX, 64) + '"},\n]\n'
        ),
    }


_FP_EXT = {
    "base64-image": "html", "lockfile-integrity": "json", "minified-js": "min.js",
    "placeholder-docs-prose": "md", "asia-prose": "md", "css-colours": "css", "go-sum": "sum",
    "sri-hash": "html", "image-digest": "yaml", "cargo-checksum": "toml", "poetry-lock": "lock",
}


def _negatives(rng: random.Random, repeats: int) -> list[CorpusFile]:
    files = []
    for name, make in _fp_vectors(rng).items():
        ext = _FP_EXT.get(name, "py")
        for i in range(repeats):
            files.append(CorpusFile(f"neg/{name}/{i:03d}.{ext}", make(), {}, name))
    return files


def build_corpus(
    seed: int = 2026, per_format: int = 18, fp_repeats: int | None = None
) -> list[CorpusFile]:
    """The whole corpus: positives for every format plus the false-positive vectors.

    Each false-positive vector gets as many files as each key format (real code
    holds far more non-secrets than secrets, so this is a conservative balance).
    """
    fp_repeats = per_format if fp_repeats is None else fp_repeats
    rng = random.Random(seed)
    return _positives(rng, per_format) + _malformed(rng, per_format) + _negatives(rng,
                                                                               fp_repeats)


def _malformed(rng: random.Random, repeats: int) -> list[CorpusFile]:
    """Anthropic keys one character off the exact layout (wrong suffix): still leaks (#16)."""
    ant = "sk-ant-" + "api03-"
    return [_labelled(f"pos/anthropic-key-malformed/{i:03d}.py",
                      f'k = "{ant}{_r(rng, URLSAFE, 93)}AB"\n', "sk-ant", "anthropic-key-malformed")
            for i in range(repeats)]


def write_corpus(files: Iterable[CorpusFile], root: Path) -> None:
    """Write the corpus under ``root`` (file names are relative paths)."""
    for f in files:
        target = root / f.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f.text, encoding="utf-8")


def score(files: list[CorpusFile], hits: Iterable[tuple[str, int]]) -> Score:
    """Line-level score of ``hits`` (file name, line) against the labels."""
    found = set(hits)
    labels = {(f.name, line): rule for f in files for line, rule in f.labels.items()}
    tp = len(found & labels.keys())
    fp_hits = sorted(found - labels.keys())
    missed = sorted(labels.keys() - found)
    by_rule: dict[str, list[bool]] = {}
    for loc, rule in labels.items():
        by_rule.setdefault(rule, []).append(loc in found)
    recall = {rule: sum(v) / len(v) for rule, v in by_rule.items()}
    return Score(tp, len(fp_hits), len(missed), recall, missed, fp_hits)


def ai_rules() -> set[str]:
    """Rule ids of the AI-provider formats (the 100% recall bar)."""
    return {f.rule for f in AI_FORMATS}


def formats() -> tuple[KeyFormat, ...]:
    return FORMATS
